//! `sinew agent ...` and `sinew task ...`: register agents, post and work tasks by hand, and run
//! the example agents.

use crate::keys;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use sinew_sdk::Client;
use sinew_sdk::{AgentFilter, TaskFilter};
use sinew_types::payload::{
    Attest, CancelTask, Challenge, ClaimTask, FinalizeTask, PostTask, RegisterAgent, ReviewResult, SubmitResult, TaskTx,
};
use sinew_types::task::{task_id, Verification};
use sinew_types::{Hash, Payload};
use std::path::{Path, PathBuf};

/// `sinew agent ...`.
#[derive(Subcommand)]
pub enum AgentCmd {
    /// Register the key's account as an agent.
    Register {
        /// Key name that signs.
        #[arg(long)]
        from: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Capabilities: tags and task kinds (repeatable).
        #[arg(long = "capability", required = true)]
        capabilities: Vec<String>,
        /// Where to reach it.
        #[arg(long, default_value = "")]
        endpoint: String,
        /// Stake to lock, in base units.
        #[arg(long)]
        stake: u128,
    },
    /// Stop taking work; the stake returns after the unbonding period.
    Retire {
        /// Key name that signs.
        #[arg(long)]
        from: String,
    },
    /// Agents, best reputation score first (optionally with a capability).
    List {
        /// Only agents with this capability.
        #[arg(long)]
        capability: Option<String>,
    },
    /// One agent with its reputation.
    Show {
        /// Address or key name.
        who: String,
    },
    /// Run an example agent: `worker` (inference and attribution tasks, paying the gateway with
    /// --api-key), `faulty` (guesses attribution results), or `auditor` (challenges wrong ones).
    Run {
        /// Key name of the (registered) agent.
        #[arg(long)]
        from: String,
        /// Which example agent.
        #[arg(long, value_enum)]
        role: Role,
        /// The worker's gateway API key.
        #[arg(long, default_value = "")]
        api_key: String,
    },
}

/// `sinew task ...`.
#[derive(Subcommand)]
pub enum TaskCmd {
    /// Post a task (or top up the identical open one).
    Post(PostArgs),
    /// Tasks (filters: --status, --kind).
    List {
        /// Only tasks in this state.
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        /// Task kind.
        #[arg(long)]
        kind: Option<String>,
    },
    /// One task.
    Show {
        /// Task id.
        id: Hash,
    },
    /// Claim a task.
    Claim {
        /// Key name that signs.
        #[arg(long)]
        from: String,
        /// Task id.
        id: Hash,
    },
    /// Submit a result (a file, uploaded as a blob; or --hash).
    Submit {
        /// Key name that signs.
        #[arg(long)]
        from: String,
        /// Task id.
        id: Hash,
        /// Result file.
        #[arg(long, conflicts_with = "hash")]
        file: Option<PathBuf>,
        /// Result digest.
        #[arg(long)]
        hash: Option<Hash>,
    },
    /// Accept or reject a result (poster verification).
    Review {
        /// Key name that signs.
        #[arg(long)]
        from: String,
        /// Task id.
        id: Hash,
        /// Reject instead of accepting.
        #[arg(long)]
        reject: bool,
    },
    /// Attest a result (quorum verification).
    Attest {
        /// Key name that signs.
        #[arg(long)]
        from: String,
        /// Task id.
        id: Hash,
        /// Attest that the result is wrong.
        #[arg(long)]
        reject: bool,
    },
    /// Challenge a result with a bond (the ledger recomputes it; the loser pays).
    Challenge {
        /// Key name that signs.
        #[arg(long)]
        from: String,
        /// Task id.
        id: Hash,
        /// Bond, in base units.
        #[arg(long)]
        bond: u128,
    },
    /// Settle a task whose window passed (or that expired).
    Finalize {
        /// Key name that signs.
        #[arg(long)]
        from: String,
        /// Task id.
        id: Hash,
    },
    /// Cancel an unclaimed task (its poster).
    Cancel {
        /// Key name that signs.
        #[arg(long)]
        from: String,
        /// Task id.
        id: Hash,
    },
}

/// Arguments of `sinew task post`.
#[derive(Args)]
pub struct PostArgs {
    /// Key name that signs and funds.
    #[arg(long)]
    from: String,
    /// Task kind.
    #[arg(long)]
    kind: String,
    /// The spec file (uploaded as a blob).
    #[arg(long, conflicts_with = "spec_text")]
    spec_file: Option<PathBuf>,
    /// The spec as text.
    #[arg(long)]
    spec_text: Option<String>,
    /// Reward, in base units.
    #[arg(long)]
    reward: u128,
    /// Blocks from now until the deadline.
    #[arg(long, default_value_t = 1_000)]
    deadline_in: u64,
    /// Blocks a claimant is exclusive.
    #[arg(long, default_value_t = 100)]
    claim_window: u64,
    /// Claimant bond, in base units.
    #[arg(long, default_value_t = 0)]
    bond: u128,
    /// Who verifies the result.
    #[arg(long, value_enum, default_value_t = Mode::Poster)]
    mode: Mode,
    /// Verification window, in blocks.
    #[arg(long, default_value_t = 20)]
    window: u64,
    /// Quorum: fewest attestations.
    #[arg(long, default_value_t = 3)]
    min_verifiers: u32,
    /// Quorum: each verifier's bond.
    #[arg(long, default_value_t = 0)]
    verifier_bond: u128,
    /// Quorum: share of a losing verifier's bond slashed, in basis points.
    #[arg(long, default_value_t = 5_000)]
    slash_bps: u16,
    /// Quorum: least stake a verifier needs.
    #[arg(long, default_value_t = 0)]
    verifier_min_stake: u128,
    /// Parent task (for sub-tasks).
    #[arg(long)]
    parent: Option<Hash>,
}

fn send(url: &str, dir: &Path, from: &str, payload: Payload) -> Result<()> {
    let key = keys::load(dir, from)?;
    crate::send::send(&Client::new(url), &key, payload).map(|_| ())
}

/// The example agents `sinew agent run` can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// Works inference and attribution tasks, paying the gateway with --api-key.
    Worker,
    /// Guesses attribution results (to be caught).
    Faulty,
    /// Challenges wrong results.
    Auditor,
}

/// A task's state, as `sinew task list --status` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusArg {
    /// Waiting for an agent.
    Open,
    /// Claimed, not yet submitted.
    Claimed,
    /// A result awaits verification.
    Submitted,
    /// Paid out.
    Completed,
    /// Expired, cancelled or rejected for good.
    Closed,
}

/// How a task's result is verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// The poster reviews it within --window blocks.
    Poster,
    /// Staked verifiers attest (--min-verifiers, --verifier-bond, --slash-bps).
    Quorum,
    /// The ledger recomputes it (recomputable kinds only).
    Recompute,
}

/// `sinew agent ...`.
pub fn agent(cmd: AgentCmd, url: &str, dir: &Path) -> Result<()> {
    let c = Client::new(url);
    match cmd {
        AgentCmd::Register {
            from,
            name,
            capabilities,
            endpoint,
            stake,
        } => send(
            url,
            dir,
            &from,
            RegisterAgent {
                name,
                capabilities,
                endpoint,
                stake,
            }
            .into(),
        ),
        AgentCmd::Retire { from } => send(url, dir, &from, Payload::Tasks(TaskTx::RetireAgent)),
        AgentCmd::List { capability } => {
            let filter = AgentFilter {
                capability,
                ..AgentFilter::default()
            };
            for a in c.agents(&filter)?.agents {
                let r = &a.reputation;
                println!(
                    "{}  {:<20} score {:>9}  completed {} failed {} challenged-and-lost {} on time {}  caps {:?}",
                    a.agent.address,
                    a.agent.name,
                    a.score,
                    r.completed,
                    r.failed,
                    r.challenged_lost,
                    r.on_time,
                    a.agent.capabilities
                );
            }
            Ok(())
        }
        AgentCmd::Show { who } => {
            let a = keys::resolve_address(dir, &who)?;
            println!("{}", serde_json::to_string_pretty(&c.agent(&a)?)?);
            Ok(())
        }
        AgentCmd::Run { from, role, api_key } => {
            let agent = sinew_agent::AgentClient::new(url, keys::load(dir, &from)?);
            let stop = std::sync::atomic::AtomicBool::new(false);
            println!("running the {role:?} agent as {} (Ctrl-C to stop)", agent.address());
            match role {
                Role::Worker => {
                    let mut w = sinew_agent::examples::InferenceWorker {
                        api_key,
                        worked: vec![],
                    };
                    sinew_agent::run(&agent, &mut w, &stop)?;
                }
                Role::Faulty => {
                    sinew_agent::run(&agent, &mut sinew_agent::examples::FaultyWorker, &stop)?;
                }
                Role::Auditor => sinew_agent::examples::Auditor::new().run(&agent, &stop)?,
            }
            Ok(())
        }
    }
}

/// `sinew task ...`.
pub fn task(cmd: TaskCmd, url: &str, dir: &Path) -> Result<()> {
    let c = Client::new(url);
    match cmd {
        TaskCmd::Post(a) => {
            let bytes = match (&a.spec_file, &a.spec_text) {
                (Some(f), None) => std::fs::read(f).with_context(|| format!("reading {}", f.display()))?,
                (None, Some(t)) => t.clone().into_bytes(),
                _ => bail!("give the spec with --spec-file or --spec-text"),
            };
            let spec = c.upload_blob(&bytes[..], Some(bytes.len() as u64))?.blob;
            let verification = match a.mode {
                Mode::Poster => Verification::Poster { window: a.window },
                Mode::Quorum => Verification::Quorum {
                    window: a.window,
                    min_verifiers: a.min_verifiers,
                    bond: a.verifier_bond,
                    slash_bps: a.slash_bps,
                    min_stake: a.verifier_min_stake,
                },
                Mode::Recompute => Verification::Recompute,
            };
            let height = c.height()?;
            send(
                url,
                dir,
                &a.from,
                PostTask {
                    kind: a.kind.clone(),
                    spec,
                    reward: a.reward,
                    deadline: height + a.deadline_in,
                    claim_window: a.claim_window,
                    bond: a.bond,
                    verification,
                    parent: a.parent,
                }
                .into(),
            )?;
            println!("task {}", task_id(&a.kind, &spec));
            Ok(())
        }
        TaskCmd::List { status, kind } => {
            let filter = TaskFilter {
                status: status.map(|s| format!("{s:?}").to_lowercase()),
                kind,
                ..TaskFilter::default()
            };
            for t in c.tasks(&filter)?.tasks {
                let claimant = t.claimant.map_or("-".to_string(), |a| a.to_string());
                println!(
                    "{}  {:<20} {:<10} reward {}  claimant {claimant}",
                    t.id,
                    t.kind,
                    format!("{:?}", t.status).to_lowercase(),
                    t.reward
                );
            }
            Ok(())
        }
        TaskCmd::Show { id } => {
            println!("{}", serde_json::to_string_pretty(&c.task(&id)?)?);
            Ok(())
        }
        TaskCmd::Claim { from, id } => send(url, dir, &from, ClaimTask { task: id }.into()),
        TaskCmd::Submit { from, id, file, hash } => {
            let result = match (file, hash) {
                (Some(f), None) => {
                    let bytes = std::fs::read(&f)?;
                    c.upload_blob(&bytes[..], Some(bytes.len() as u64))?.blob
                }
                (None, Some(h)) => h,
                _ => bail!("give the result with --file or --hash"),
            };
            send(url, dir, &from, SubmitResult { task: id, result }.into())
        }
        TaskCmd::Review { from, id, reject } => send(
            url,
            dir,
            &from,
            ReviewResult {
                task: id,
                accept: !reject,
            }
            .into(),
        ),
        TaskCmd::Attest { from, id, reject } => send(
            url,
            dir,
            &from,
            Attest {
                task: id,
                approve: !reject,
            }
            .into(),
        ),
        TaskCmd::Challenge { from, id, bond } => send(url, dir, &from, Challenge { task: id, bond }.into()),
        TaskCmd::Finalize { from, id } => send(url, dir, &from, FinalizeTask { task: id }.into()),
        TaskCmd::Cancel { from, id } => send(url, dir, &from, CancelTask { task: id }.into()),
    }
}
