//! The devnet demo's inference part: a provider and a model on the sample datanet, a user with
//! an API key and a prepaid balance asking questions through the OpenAI-compatible API, and who
//! was paid what for each answer, and why.

use super::say::{committed, step};
use anyhow::{Context, Result};
use sinew_sdk::{format_amount, Client, Page};
use sinew_state::inference::api_key_hash;
use sinew_types::amount::TOKEN;
use sinew_types::api::openai::ChatMessage;
use sinew_types::api::requests::ChatRequest;
use sinew_types::inference::{KeyScope, ModelInfo, Pricing, Split};
use sinew_types::payload::{
    DepositPrepaid, InferenceTx, RegisterApiKey, RegisterModel, RegisterProvider, ServeModel, Stake, Transfer,
};
use sinew_types::{Address, Keypair, Payload};

fn rewards(c: &Client, a: &Address) -> Result<u128> {
    Ok(c.account_inference(a)?.rewards)
}

/// The id of the model named `name`.
fn model_named(c: &Client, name: &str) -> Result<u64> {
    c.models(&Page::default())?
        .models
        .into_iter()
        .find(|m| m.info.name == name)
        .map(|m| m.id)
        .context("the model just registered is not listed")
}

fn balance(c: &Client, a: &Address) -> Result<u128> {
    Ok(c.account(a, None)?.account.balance)
}

/// Runs the inference demo against datanet `datanet` (version 1 published); returns the id of
/// the model it registers.
pub fn run(c: &Client, url: &str, keys: &[Keypair], datanet: u64) -> Result<u64> {
    step("7. payable inference: a model on the datanet, answered, attributed and settled");
    let owner = &keys[0];
    let provider = keys.last().context("no dev keys")?;
    let contributors: Vec<&Keypair> = keys[1..keys.len().min(3)].iter().collect();
    committed(c, provider, Stake { amount: 100 * TOKEN }.into())?;
    committed(
        c,
        provider,
        RegisterProvider {
            name: "devnet gateway".into(),
            endpoint: "builtin".into(),
        }
        .into(),
    )?;
    println!(
        "dev{} staked 100 tokens and registered as a provider serving the built-in infini-gram model",
        keys.len() - 1
    );
    let name = format!("rivers-lm-{datanet}");
    committed(
        c,
        owner,
        RegisterModel {
            info: ModelInfo {
                name: name.clone(),
                base_model: "infini-gram".into(),
                adapter: None,
                adapter_blob: None,
                datanets: vec![(datanet, 1)],
                tokenizer: "bytes".into(),
            },
            provider: provider.address(),
            pricing: Pricing {
                input_per_1k: TOKEN / 100,
                output_per_1k: TOKEN / 50,
            },
            split: Split {
                owner_bps: 2_000,
                provider_bps: 3_000,
                contributors_bps: 5_000,
            },
        }
        .into(),
    )?;
    println!(
        "dev0 registered model {name:?} built from datanet {datanet} version 1: 0.01 token per 1,000 prompt \
         tokens, 0.02 per 1,000 answer tokens; fees split 20% owner, 30% provider, 50% contributors"
    );
    let model = model_named(c, &name)?;
    committed(c, provider, ServeModel { model, serve: true }.into())?;
    println!(
        "dev{} accepted to serve model {model} (a model takes requests only once its provider agrees)",
        keys.len() - 1
    );
    // A fresh user: funded, with an API key and a prepaid balance.
    let user = Keypair::dev("devnet-user");
    committed(
        c,
        owner,
        Transfer {
            to: user.address(),
            amount: 10 * TOKEN,
        }
        .into(),
    )?;
    let api_key = format!("sk-sinew-devnet-{}", &user.address().to_string()[..16]);
    committed(
        c,
        &user,
        RegisterApiKey {
            key_hash: api_key_hash(&api_key),
            scope: KeyScope {
                providers: vec![provider.address()],
                models: vec![model],
                max_fee_per_request: TOKEN / 10,
                spend_limit: TOKEN,
                voucher_key: None,
            },
        }
        .into(),
    )?;
    committed(c, &user, DepositPrepaid { amount: 5 * TOKEN }.into())?;
    println!(
        "a user registered API key {api_key} (only dev{} may charge it, only for model {model}, at most 0.1 token \
         per request and 1 token in all) and prepaid 5 tokens",
        keys.len() - 1
    );

    let watched: Vec<(String, Address)> = [("owner dev0".to_string(), owner.address())]
        .into_iter()
        .chain(std::iter::once((
            format!(
                "provider dev{} (after paying for its settlement transactions)",
                keys.len() - 1
            ),
            provider.address(),
        )))
        .collect();
    let before: Vec<u128> = watched.iter().map(|(_, a)| balance(c, a)).collect::<Result<_>>()?;
    let rewards_before: Vec<u128> = contributors
        .iter()
        .map(|k| rewards(c, &k.address()))
        .collect::<Result<_>>()?;
    let mut last_tx = None;
    for question in ["Most rivers begin as", "A reservoir forms behind"] {
        let req = ChatRequest {
            model: name.clone(),
            messages: vec![ChatMessage {
                role: "user".into(),
                content: question.into(),
            }],
            max_tokens: Some(96),
            seed: None,
            stream: false,
        };
        let resp = c.chat(&api_key, &req, None).context("chat completion")?;
        let answer = resp.choices.first().map_or("", |ch| ch.message.content.as_str());
        let s = &resp.sinew;
        println!("\nQ: {question:?}\nA: {:?}", answer.trim_end());
        println!(
            "   {} prompt + {} answer tokens, fee {} tokens, settlement tx {}",
            resp.usage.prompt_tokens,
            resp.usage.completion_tokens,
            format_amount(s.fee),
            s.settlement_tx
        );
        for span in s.spans.iter().take(3) {
            let datanet = span.datanet.map_or("?".into(), |d| d.to_string());
            println!(
                "   verbatim from datanet {datanet} contribution {} record {}: {:?}",
                span.at.contribution, span.at.record, span.text
            );
        }
        for w in &s.weights {
            println!(
                "   contribution {} (contributor {}...) gets {:.2}% of the contributors' share",
                w.contribution,
                &w.contributor[..12],
                f64::from(w.ppm) / 10_000.0
            );
        }
        last_tx = Some(s.settlement_tx);
    }
    // Wait for the last settlement, then show who was paid.
    if let Some(tx) = last_tx {
        for _ in 0..200 {
            if c.tx(&tx)?.status() == "committed" {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    println!("\nwho was paid (the ledger recomputed each attribution before splitting the fee):");
    for ((who, a), b) in watched.iter().zip(before) {
        println!("   {who}: +{} tokens", format_amount(balance(c, a)? - b));
    }
    for (i, (k, b)) in contributors.iter().zip(rewards_before).enumerate() {
        println!(
            "   contributor dev{}: +{} tokens claimable",
            i + 1,
            format_amount(rewards(c, &k.address())? - b)
        );
    }
    let left = c.account_inference(&user.address())?.prepaid.balance;
    println!("   the user's prepaid balance: {} tokens left", format_amount(left));
    if rewards(c, &contributors[0].address())? > 0 {
        committed(c, contributors[0], Payload::Inference(InferenceTx::ClaimRewards))?;
        println!("   dev1 claimed its rewards into its balance");
    }
    println!("\ntry it with any OpenAI client:");
    println!(
        "   curl {url}/v1/chat/completions -H 'Authorization: Bearer {api_key}' -H 'Content-Type: application/json' \\\n     -d '{{\"model\": \"{name}\", \"messages\": [{{\"role\": \"user\", \"content\": \"Lakes are\"}}]}}'"
    );
    println!(
        "   python -c \"from openai import OpenAI; c = OpenAI(base_url='{url}/v1', api_key='{api_key}'); \
         print(c.chat.completions.create(model='{name}', messages=[{{'role': 'user', 'content': 'Lakes are'}}]).choices[0].message.content)\""
    );
    Ok(model)
}
