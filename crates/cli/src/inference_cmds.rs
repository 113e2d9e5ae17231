//! `sinew provider|model|apikey|prepaid|rewards`: register providers and models, bind API keys
//! to prepaid balances, and claim what attribution earned.

use crate::keys;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use rand::RngCore;
use sinew_sdk::answers::InferenceAccount;
use sinew_sdk::Page;
use sinew_sdk::{format_amount, Client};
use sinew_state::inference::api_key_hash;
use sinew_types::inference::{KeyScope, ModelInfo, ModelStatus, Pricing, Split};
use sinew_types::payload::{
    DelegateToProvider, DepositPrepaid, InferenceTx, RegisterApiKey, RegisterModel, RegisterProvider, RevokeApiKey,
    ServeModel, UndelegateFromProvider, UpdateModel, WithdrawPrepaid,
};
use sinew_types::Payload;
use std::path::Path;

/// `sinew provider ...`.
#[derive(Subcommand)]
pub enum ProviderCmd {
    /// Register the key's account as an inference provider (it must hold the minimum stake).
    Register {
        /// Key name that signs.
        #[arg(long)]
        from: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// `builtin` (the infini-gram model) or the base URL of an OpenAI-compatible server.
        #[arg(long, default_value = "builtin")]
        endpoint: String,
    },
    /// Stake behind a provider: share its part of every fee, by stake.
    Delegate {
        /// Key name that signs.
        #[arg(long)]
        from: String,
        /// The provider: address or key name.
        #[arg(long)]
        provider: String,
        /// Base units.
        #[arg(long)]
        amount: u128,
    },
    /// Withdraw stake from a provider (it unbonds).
    Undelegate {
        /// Key name that signs.
        #[arg(long)]
        from: String,
        /// The provider: address or key name.
        #[arg(long)]
        provider: String,
        /// Base units.
        #[arg(long)]
        amount: u128,
    },
    /// Accept to serve a model that names this provider (or stop serving it with --stop).
    Serve {
        /// Key name that signs (the provider).
        #[arg(long)]
        from: String,
        /// The model id.
        #[arg(long)]
        model: u64,
        /// Stop serving it.
        #[arg(long)]
        stop: bool,
    },
    /// List providers.
    List,
}

/// `sinew model ...`.
#[derive(Subcommand)]
pub enum ModelCmd {
    /// Register a model owned by the key's account.
    Register(RegisterModelArgs),
    /// Change a model's prices or status (owner only).
    Update {
        /// Key name that signs (the owner).
        #[arg(long)]
        from: String,
        /// The model id.
        #[arg(long)]
        model: u64,
        /// New price per 1,000 prompt tokens.
        #[arg(long)]
        input_price: Option<u128>,
        /// New price per 1,000 answer tokens.
        #[arg(long)]
        output_price: Option<u128>,
        /// New status.
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
    },
    /// List models (or those built from one datanet).
    List {
        /// Only models built from this datanet.
        #[arg(long)]
        datanet: Option<u64>,
    },
    /// Show a model and its lineage.
    Show {
        /// The model id.
        id: u64,
    },
}

/// Arguments of `sinew model register`.
#[derive(Args)]
pub struct RegisterModelArgs {
    /// Key name that signs (the owner).
    #[arg(long)]
    from: String,
    /// Model name (what callers put in `model`).
    #[arg(long)]
    name: String,
    /// Base model.
    #[arg(long, default_value = "infini-gram")]
    base_model: String,
    /// Adapter the provider serves on the base model.
    #[arg(long)]
    adapter: Option<String>,
    /// Datanet versions the model was built from, as DATANET:VERSION (repeatable).
    #[arg(long = "datanet", required = true)]
    datanets: Vec<String>,
    /// Tokenizer: bytes, gpt2 or cl100k.
    #[arg(long, default_value = "bytes")]
    tokenizer: String,
    /// The provider: address or key name.
    #[arg(long)]
    provider: String,
    /// Price per 1,000 prompt tokens.
    #[arg(long, default_value_t = 1_000)]
    input_price: u128,
    /// Price per 1,000 answer tokens.
    #[arg(long, default_value_t = 2_000)]
    output_price: u128,
    /// Split of each fee in basis points: OWNER,PROVIDER,CONTRIBUTORS (sums to 10000).
    #[arg(long, default_value = "2000,3000,5000")]
    split: String,
}

/// `sinew apikey ...`.
#[derive(Subcommand)]
pub enum ApiKeyCmd {
    /// Create a new API key bound to the account's prepaid balance (printed once, never stored),
    /// which only the providers (and models) named here may charge.
    Create {
        /// Key name that signs (whose prepaid balance the key spends).
        #[arg(long)]
        from: String,
        /// A provider that may charge it: address or key name (repeatable, at least one).
        #[arg(long = "provider", required = true)]
        providers: Vec<String>,
        /// A model id it may pay for (repeatable; none: any model of those providers).
        #[arg(long = "model")]
        models: Vec<u64>,
        /// Most one request may cost, in base units.
        #[arg(long)]
        max_fee: u128,
        /// Most the key may ever spend (0: no limit).
        #[arg(long, default_value_t = 0)]
        spend_limit: u128,
        /// Pay only for requests carrying a voucher signed by this key (address or key name).
        #[arg(long)]
        voucher_key: Option<String>,
    },
    /// Revoke an API key.
    Revoke {
        /// Key name that signs.
        #[arg(long)]
        from: String,
        /// The API key.
        #[arg(long)]
        key: String,
    },
}

/// `sinew prepaid ...`.
#[derive(Subcommand)]
pub enum PrepaidCmd {
    /// Move tokens into the prepaid inference balance.
    Deposit {
        /// Key name that signs.
        #[arg(long)]
        from: String,
        /// Base units.
        #[arg(long)]
        amount: u128,
    },
    /// Ask for prepaid tokens back (released after the unbonding period).
    Withdraw {
        /// Key name that signs.
        #[arg(long)]
        from: String,
        /// Base units.
        #[arg(long)]
        amount: u128,
    },
    /// Show an account's prepaid balance.
    Show {
        /// Address or key name.
        who: String,
    },
}

/// `sinew rewards ...`.
#[derive(Subcommand)]
pub enum RewardsCmd {
    /// Show an account's claimable rewards.
    Show {
        /// Address or key name.
        who: String,
    },
    /// Move claimable rewards to the balance.
    Claim {
        /// Key name that signs.
        #[arg(long)]
        from: String,
    },
}

fn send(url: &str, dir: &Path, from: &str, payload: Payload) -> Result<()> {
    let key = keys::load(dir, from)?;
    crate::send::send(&Client::new(url), &key, payload).map(|_| ())
}

fn parse_split(s: &str) -> Result<Split> {
    let parts: Vec<u16> = s
        .split(',')
        .map(|p| p.trim().parse::<u16>())
        .collect::<Result<_, _>>()
        .context("--split takes three basis-point numbers: OWNER,PROVIDER,CONTRIBUTORS")?;
    let [owner_bps, provider_bps, contributors_bps] = parts[..] else {
        bail!("--split takes three numbers: OWNER,PROVIDER,CONTRIBUTORS");
    };
    Ok(Split {
        owner_bps,
        provider_bps,
        contributors_bps,
    })
}

/// A model's status, as `sinew model update --status` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusArg {
    /// Taking requests.
    Active,
    /// Not taking requests for now.
    Paused,
    /// Retired for good.
    Retired,
}

impl From<StatusArg> for ModelStatus {
    fn from(s: StatusArg) -> ModelStatus {
        match s {
            StatusArg::Active => ModelStatus::Active,
            StatusArg::Paused => ModelStatus::Paused,
            StatusArg::Retired => ModelStatus::Retired,
        }
    }
}

/// `sinew provider ...`.
pub fn provider(cmd: ProviderCmd, url: &str, dir: &Path) -> Result<()> {
    match cmd {
        ProviderCmd::Register { from, name, endpoint } => {
            send(url, dir, &from, RegisterProvider { name, endpoint }.into())
        }
        ProviderCmd::Delegate { from, provider, amount } => {
            let provider = keys::resolve_address(dir, &provider)?;
            send(url, dir, &from, DelegateToProvider { provider, amount }.into())
        }
        ProviderCmd::Undelegate { from, provider, amount } => {
            let provider = keys::resolve_address(dir, &provider)?;
            send(url, dir, &from, UndelegateFromProvider { provider, amount }.into())
        }
        ProviderCmd::Serve { from, model, stop } => send(url, dir, &from, ServeModel { model, serve: !stop }.into()),
        ProviderCmd::List => {
            let page = Client::new(url).providers(&Page::default())?;
            println!("{}", serde_json::to_string_pretty(&page.providers)?);
            Ok(())
        }
    }
}

/// `sinew model ...`.
pub fn model(cmd: ModelCmd, url: &str, dir: &Path) -> Result<()> {
    match cmd {
        ModelCmd::Register(a) => {
            let datanets = a
                .datanets
                .iter()
                .map(|d| {
                    let (n, v) = d.split_once(':').context("--datanet takes DATANET:VERSION")?;
                    Ok((n.parse()?, v.parse()?))
                })
                .collect::<Result<Vec<(u64, u64)>>>()?;
            let payload: Payload = RegisterModel {
                info: ModelInfo {
                    name: a.name,
                    base_model: a.base_model,
                    adapter: a.adapter,
                    adapter_blob: None,
                    datanets,
                    tokenizer: a.tokenizer,
                },
                provider: keys::resolve_address(dir, &a.provider)?,
                pricing: Pricing {
                    input_per_1k: a.input_price,
                    output_per_1k: a.output_price,
                },
                split: parse_split(&a.split)?,
            }
            .into();
            send(url, dir, &a.from, payload)?;
            println!("the model takes requests once its provider accepts it: sinew provider serve --from <provider key> --model <id>");
            Ok(())
        }
        ModelCmd::Update {
            from,
            model,
            input_price,
            output_price,
            status,
        } => {
            let pricing = match (input_price, output_price) {
                (None, None) => None,
                (i, o) => {
                    let cur = Client::new(url).model(model)?.model.pricing;
                    Some(Pricing {
                        input_per_1k: i.unwrap_or(cur.input_per_1k),
                        output_per_1k: o.unwrap_or(cur.output_per_1k),
                    })
                }
            };
            let status = status.map(ModelStatus::from);
            send(url, dir, &from, UpdateModel { model, pricing, status }.into())
        }
        ModelCmd::List { datanet } => {
            let c = Client::new(url);
            let models = match datanet {
                Some(d) => c.datanet_models(d, &Page::default())?.models,
                None => c.models(&Page::default())?.models,
            };
            for m in models {
                println!(
                    "{:>4}  {:<24} {:?}  datanets {:?}  {} answers, fees {}",
                    m.id, m.info.name, m.status, m.info.datanets, m.answers, m.fees
                );
            }
            Ok(())
        }
        ModelCmd::Show { id } => {
            let v = Client::new(url).model(id)?;
            println!("{}", serde_json::to_string_pretty(&v)?);
            Ok(())
        }
    }
}

/// `sinew apikey ...`.
pub fn apikey(cmd: ApiKeyCmd, url: &str, dir: &Path) -> Result<()> {
    match cmd {
        ApiKeyCmd::Create {
            from,
            providers,
            models,
            max_fee,
            spend_limit,
            voucher_key,
        } => {
            let scope = KeyScope {
                providers: providers
                    .iter()
                    .map(|p| keys::resolve_address(dir, p))
                    .collect::<Result<_>>()?,
                models,
                max_fee_per_request: max_fee,
                spend_limit,
                voucher_key: voucher_key.map(|v| keys::resolve_address(dir, &v)).transpose()?,
            };
            let mut secret = [0u8; 24];
            rand::rngs::OsRng.fill_bytes(&mut secret);
            let key = format!("sk-sinew-{}", hex::encode(secret));
            send(
                url,
                dir,
                &from,
                RegisterApiKey {
                    key_hash: api_key_hash(&key),
                    scope,
                }
                .into(),
            )?;
            println!("API key (shown once; the ledger keeps only its hash): {key}");
            Ok(())
        }
        ApiKeyCmd::Revoke { from, key } => send(
            url,
            dir,
            &from,
            RevokeApiKey {
                key_hash: api_key_hash(&key),
            }
            .into(),
        ),
    }
}

fn inference_account(url: &str, dir: &Path, who: &str) -> Result<InferenceAccount> {
    let a = keys::resolve_address(dir, who)?;
    Ok(Client::new(url).account_inference(&a)?)
}

/// `sinew prepaid ...`.
pub fn prepaid(cmd: PrepaidCmd, url: &str, dir: &Path) -> Result<()> {
    match cmd {
        PrepaidCmd::Deposit { from, amount } => send(url, dir, &from, DepositPrepaid { amount }.into()),
        PrepaidCmd::Withdraw { from, amount } => send(url, dir, &from, WithdrawPrepaid { amount }.into()),
        PrepaidCmd::Show { who } => {
            let v = inference_account(url, dir, &who)?;
            println!(
                "prepaid {} (available {}, withdrawing {} at height {})",
                format_amount(v.prepaid.balance),
                format_amount(v.prepaid_available),
                format_amount(v.prepaid.withdrawing),
                v.prepaid.release_height
            );
            Ok(())
        }
    }
}

/// `sinew rewards ...`.
pub fn rewards(cmd: RewardsCmd, url: &str, dir: &Path) -> Result<()> {
    match cmd {
        RewardsCmd::Show { who } => {
            let v = inference_account(url, dir, &who)?;
            println!("claimable rewards: {}", format_amount(v.rewards));
            Ok(())
        }
        RewardsCmd::Claim { from } => send(url, dir, &from, Payload::Inference(InferenceTx::ClaimRewards)),
    }
}
