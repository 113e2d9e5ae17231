//! The inference benchmark: the built-in model answering through the OpenAI-compatible gateway
//! over HTTP (answers of N tokens, attributed and settled), at concurrency 1 and 32; and the
//! gateway's overhead over calling an upstream server directly, excluding attribution.

use super::pct;
use crate::demo::samples::{contribute_sample, SAMPLES};
use anyhow::{bail, Context, Result};
use clap::Args;
use sinew_node::NodeConfig;
use sinew_sdk::Client;
use sinew_state::inference::api_key_hash;
use sinew_state::{Genesis, GenesisAccount};
use sinew_types::amount::TOKEN;
use sinew_types::api::openai::{ChatCompletion, ChatMessage, Timings};
use sinew_types::api::requests::ChatRequest;
use sinew_types::datanet::{CurationPolicy, DatanetInfo, DatanetRules};
use sinew_types::inference::{KeyScope, ModelInfo, Pricing, Split};
use sinew_types::payload::{
    CreateDatanet, DepositPrepaid, PublishVersion, RegisterApiKey, RegisterModel, RegisterProvider, ServeModel, Stake,
};
use sinew_types::{Keypair, Params, Payload};
use std::time::{Duration, Instant};

/// Arguments of `sinew bench inference`.
#[derive(Args)]
pub struct InferenceArgs {
    /// Answer length, in tokens.
    #[arg(long, default_value_t = 256)]
    tokens: u32,
    /// Requests per concurrency level.
    #[arg(long, default_value_t = 400)]
    requests: usize,
    /// Concurrency levels, comma-separated.
    #[arg(long, default_value = "1,32")]
    concurrency: String,
    /// Tokenizer of the model: bytes, gpt2 or cl100k.
    #[arg(long, default_value = "bytes")]
    tokenizer: String,
    /// Answer once the settlement is admitted instead of committed (the gateway's
    /// `wait_for_commit = false`).
    #[arg(long)]
    admitted_only: bool,
}

pub(super) const KEY: &str = "sk-sinew-bench";

fn committed(c: &Client, key: &Keypair, payload: Payload) -> Result<()> {
    crate::demo::say::committed(c, key, payload).map(|_| ())
}

/// A node serving `model` from the sample datanet as provider `keys[3]` at `endpoint`.
pub(super) fn setup(
    rt: &tokio::runtime::Runtime,
    endpoint: &str,
    tokenizer: &str,
    wait_for_commit: bool,
) -> Result<(sinew_node::RunningNode, tempfile::TempDir)> {
    let dir = tempfile::tempdir()?;
    let keys: Vec<Keypair> = (0..4).map(|i| Keypair::dev(&format!("bench-{i}"))).collect();
    let genesis = Genesis {
        chain_id: "sinew-bench".into(),
        timestamp_ms: 0,
        params: Params::default_for(keys[0].address()),
        accounts: keys
            .iter()
            .map(|k| GenesisAccount {
                address: k.address(),
                balance: 1_000_000 * TOKEN,
            })
            .collect(),
        validators: vec![],
    };
    let mut config = NodeConfig::new(dir.path().join("node"));
    config.listen = "127.0.0.1:0".parse()?;
    config.block_interval_ms = 10;
    config.gateway.wait_for_commit = wait_for_commit;
    let running = rt.block_on(sinew_node::service::start_with(
        config,
        Some(genesis),
        Some(keys[3].clone()),
    ))?;
    let c = Client::new(&running.url());
    committed(
        &c,
        &keys[0],
        CreateDatanet {
            info: DatanetInfo {
                name: "bench".into(),
                description: String::new(),
                license: "Apache-2.0".into(),
                tags: vec![],
            },
            rules: DatanetRules {
                curation: CurationPolicy::Open,
                contribution_bond: 0,
                reject_slash_bps: 0,
                publish_fee_per_byte: 0,
                refuse_near_duplicates: false,
            },
        }
        .into(),
    )?;
    for (i, (name, text)) in SAMPLES.iter().enumerate() {
        contribute_sample(&c, &keys[1 + i % 2], 0, name, text)?;
    }
    committed(&c, &keys[0], PublishVersion { datanet: 0 }.into())?;
    committed(&c, &keys[3], Stake { amount: TOKEN }.into())?;
    committed(
        &c,
        &keys[3],
        RegisterProvider {
            name: "bench".into(),
            endpoint: endpoint.into(),
        }
        .into(),
    )?;
    committed(
        &c,
        &keys[0],
        RegisterModel {
            info: ModelInfo {
                name: "bench-lm".into(),
                base_model: "infini-gram".into(),
                adapter: None,
                adapter_blob: None,
                datanets: vec![(0, 1)],
                tokenizer: tokenizer.into(),
            },
            provider: keys[3].address(),
            pricing: Pricing {
                input_per_1k: 1_000,
                output_per_1k: 2_000,
            },
            split: Split {
                owner_bps: 2_000,
                provider_bps: 3_000,
                contributors_bps: 5_000,
            },
        }
        .into(),
    )?;
    committed(&c, &keys[3], ServeModel { model: 0, serve: true }.into())?;
    committed(
        &c,
        &keys[2],
        RegisterApiKey {
            key_hash: api_key_hash(KEY),
            scope: KeyScope::provider(keys[3].address(), 1_000 * TOKEN),
        }
        .into(),
    )?;
    committed(&c, &keys[2], DepositPrepaid { amount: 1_000 * TOKEN }.into())?;
    Ok((running, dir))
}

/// Prompts: the first words of the sample records, so answers continue real text.
pub(super) fn prompts() -> Vec<String> {
    let mut out = Vec::new();
    for (_, text) in SAMPLES {
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().take(4).collect();
            if words.len() == 4 && words.iter().all(|w| w.chars().all(|c| c.is_alphabetic())) {
                out.push(words.join(" "));
            }
        }
    }
    out
}

/// A chat request for the bench model.
pub(super) fn chat_request(prompt: &str, tokens: u32) -> ChatRequest {
    ChatRequest {
        model: "bench-lm".into(),
        messages: vec![ChatMessage {
            role: "user".into(),
            content: prompt.into(),
        }],
        max_tokens: Some(tokens),
        seed: None,
        stream: false,
    }
}

/// One chat completion on a pooled connection: client latency and the answer.
pub(super) fn chat(agent: &ureq::Agent, url: &str, req: &ChatRequest) -> Result<(Duration, ChatCompletion)> {
    let t = Instant::now();
    let answer: ChatCompletion = agent
        .post(&format!("{url}/v1/chat/completions"))
        .set("authorization", &format!("Bearer {KEY}"))
        .send_json(serde_json::to_value(req)?)?
        .into_json()?;
    Ok((t.elapsed(), answer))
}

/// One chat completion: client latency, the gateway's timings and the answer's tokens.
fn ask(agent: &ureq::Agent, url: &str, prompt: &str, tokens: u32) -> Result<(Duration, Timings, u64)> {
    let (d, a) = chat(agent, url, &chat_request(prompt, tokens))?;
    Ok((d, a.sinew.timings_us, a.usage.completion_tokens))
}

/// `sinew bench inference`.
pub fn run(a: InferenceArgs) -> Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    let (node, _dir) = setup(&rt, "builtin", &a.tokenizer, !a.admitted_only)?;
    let url = node.url();
    let prompts = prompts();
    if prompts.is_empty() {
        bail!("no prompts");
    }
    println!(
        "inference bench: built-in infini-gram model ({} tokens), answers of up to {} tokens, attributed and settled ({}), over HTTP",
        a.tokenizer,
        a.tokens,
        if a.admitted_only { "answered once the settlement is admitted" } else { "answered once the settlement is committed" }
    );
    let agent = ureq::AgentBuilder::new().max_idle_connections_per_host(64).build();
    for _ in 0..20 {
        ask(&agent, &url, &prompts[0], a.tokens)?;
    }
    for level in a.concurrency.split(',') {
        let n: usize = level.trim().parse().context("--concurrency takes numbers")?;
        let per = a.requests.div_ceil(n);
        let t = Instant::now();
        let results: Vec<Result<Vec<(Duration, Timings, u64)>>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..n)
                .map(|w| {
                    let (agent, url, prompts) = (&agent, &url, &prompts);
                    s.spawn(move || {
                        (0..per)
                            .map(|i| ask(agent, url, &prompts[(w * per + i) % prompts.len()], a.tokens))
                            .collect()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("worker")).collect()
        });
        let wall = t.elapsed().as_secs_f64();
        let all: Vec<(Duration, Timings, u64)> = results.into_iter().collect::<Result<Vec<_>>>()?.concat();
        let mut lat: Vec<f64> = all.iter().map(|(d, _, _)| d.as_secs_f64() * 1e3).collect();
        let part = |k: fn(&Timings) -> u64| {
            let mut v: Vec<f64> = all.iter().map(|(_, t, _)| k(t) as f64 / 1e3).collect();
            pct(&mut v, 0.5)
        };
        let mean_tokens = all.iter().map(|(_, _, n)| *n as f64).sum::<f64>() / all.len() as f64;
        println!(
            "concurrency {n:>2}: {} answers (mean {mean_tokens:.0} tokens) in {wall:.2}s = {:.0} answers/s; latency p50 {:.2} ms, p99 {:.2} ms (gateway p50: model {:.2} ms, attribution {:.2} ms, settlement {:.2} ms)",
            all.len(),
            all.len() as f64 / wall,
            pct(&mut lat, 0.5),
            pct(&mut lat, 0.99),
            part(|t| t.answer),
            part(|t| t.attribution),
            part(|t| t.settlement),
        );
    }
    // Every answer settles exactly once.
    let c = Client::new(&url);
    let expected = 20
        + a.concurrency
            .split(',')
            .map(|l| {
                a.requests.div_ceil(l.trim().parse::<usize>().unwrap_or(1)) * l.trim().parse::<usize>().unwrap_or(1)
            })
            .sum::<usize>();
    let mut settled = 0;
    for _ in 0..500 {
        settled = c.model(0)?.model.answers as usize;
        if settled == expected {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    println!("settled on the ledger: {settled} of {expected} answers");
    rt.block_on(node.shutdown())?;
    overhead(&rt, &a)
}

/// Gateway overhead over a direct call to an upstream (a local OpenAI-compatible server that
/// answers at once), excluding attribution: client latency through the gateway minus the
/// upstream call and the attribution the gateway reports.
fn overhead(rt: &tokio::runtime::Runtime, a: &InferenceArgs) -> Result<()> {
    use axum::routing::post;
    let answer = "Most rivers begin as many small streams in high ground. Rain and melting snow gather in rills.";
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(move || async move {
            axum::Json(serde_json::json!({ "id": "u", "object": "chat.completion", "created": 0, "model": "m",
                "choices": [{ "index": 0, "message": { "role": "assistant", "content": answer }, "finish_reason": "stop" }],
                "usage": { "prompt_tokens": 4, "completion_tokens": answer.len(), "total_tokens": 4 + answer.len() } }))
        }),
    );
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let upstream = format!("http://{}", listener.local_addr()?);
    rt.spawn(async move { axum::serve(listener, app).await });
    let (node, _dir) = setup(rt, &upstream, &a.tokenizer, !a.admitted_only)?;
    let url = node.url();
    let agent = ureq::AgentBuilder::new().build();
    let req = chat_request("Most rivers", 64);
    let body = serde_json::to_value(&req)?;
    let n = 500;
    let mut direct = Vec::with_capacity(n);
    for _ in 0..n + 50 {
        let t = Instant::now();
        // A pooled connection the server has just closed fails once; the retry is timed too.
        let call = || -> Result<String> {
            Ok(agent
                .post(&format!("{upstream}/v1/chat/completions"))
                .send_json(body.clone())?
                .into_string()?)
        };
        call().or_else(|_| call())?;
        direct.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let mut total = Vec::with_capacity(n);
    let mut over = Vec::with_capacity(n);
    for i in 0..n + 50 {
        let (took, v) = chat(&agent, &url, &req)?;
        let ms = took.as_secs_f64() * 1e3;
        if i < 50 {
            continue;
        }
        let tm = v.sinew.timings_us;
        let inner = (tm.answer + tm.attribution) as f64 / 1e3;
        total.push(ms);
        over.push(ms - inner);
    }
    let mut direct = direct.split_off(50);
    println!(
        "gateway overhead over a direct upstream call: direct p50 {:.3} ms; through the gateway p50 {:.3} ms; overhead excluding the upstream call and attribution p50 {:.3} ms, p99 {:.3} ms",
        pct(&mut direct, 0.5),
        pct(&mut total, 0.5),
        pct(&mut over, 0.5),
        pct(&mut over, 0.99)
    );
    rt.block_on(node.shutdown())?;
    Ok(())
}
