//! `sinew`: run a node or a devnet, manage keys, send transactions, query state, check proofs,
//! and benchmark.

mod attribution_cmds;
mod bench;
mod chain_cmds;
mod datanet_cmds;
mod demo;
mod devnet;
mod devnet_bft;
mod follower;
mod huge_pages;
mod inference_cmds;
mod keys;
mod mcp_cmd;
mod node_cmds;
mod send;
mod task_cmds;
mod validator;

use clap::{Parser, Subcommand};

/// mimalloc: the node allocates many small, short-lived objects (tree nodes, receipts, write
/// sets) across threads; it measured faster than the system allocator here (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::PathBuf;

/// Sinew: an open coordination ledger for AI.
#[derive(Parser)]
#[command(name = "sinew", version, about)]
struct Cli {
    /// Node API URL for client commands.
    #[arg(long, global = true, env = "SINEW_URL", default_value = "http://127.0.0.1:8645")]
    url: String,
    /// Directory of key files.
    #[arg(long, global = true, env = "SINEW_KEYS_DIR")]
    keys_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create, list and show keys.
    #[command(subcommand)]
    Keys(keys::KeysCmd),
    /// Send tokens.
    Transfer(chain_cmds::TransferArgs),
    /// Bond tokens as stake.
    Stake(chain_cmds::StakeArgs),
    /// Start unbonding stake.
    Unstake(chain_cmds::StakeArgs),
    /// Show an account (with its state proof).
    Account(chain_cmds::AccountArgs),
    /// Show a block by height, hash or `latest`.
    Block {
        /// Height, hash or `latest`.
        #[arg(default_value = "latest")]
        id: String,
    },
    /// Show where consensus stands on the node (view, leader, finalized height, peers, faults).
    Consensus,
    /// Show the certificate that finalized a block (by height), for `verify-proof --finalization`.
    Finalization {
        /// Height or hash.
        id: String,
    },
    /// Show a transaction's status and receipt.
    Tx {
        /// Transaction id (hex).
        id: String,
    },
    /// Check a state proof (the JSON `sinew account --json` prints) offline.
    VerifyProof(chain_cmds::VerifyProofArgs),
    /// Write a genesis document.
    Genesis(node_cmds::GenesisArgs),
    /// Run a node from a TOML configuration file.
    Node(node_cmds::NodeArgs),
    /// Re-execute every stored block from genesis and check each state root.
    Replay(node_cmds::ReplayArgs),
    /// Run a fresh single-node chain with funded dev accounts (and optionally a demo workload).
    Devnet(devnet::DevnetArgs),
    /// Datanets: create, contribute, review, publish, inspect.
    #[command(subcommand)]
    Datanet(datanet_cmds::DatanetCmd),
    /// Build or describe a suffix-array index of local files.
    #[command(subcommand)]
    Index(attribution_cmds::IndexCmd),
    /// Count, find or continue strings in an index.
    #[command(subcommand)]
    Query(attribution_cmds::QueryCmd),
    /// Attribute an answer to the records of an index (spans and weights).
    Attribute(attribution_cmds::AttributeArgs),
    /// Check an attribution receipt against the records, or recompute it.
    #[command(subcommand)]
    Attribution(attribution_cmds::ReceiptCmd),
    /// Inference providers: register, list.
    #[command(subcommand)]
    Provider(inference_cmds::ProviderCmd),
    /// Models: register, update, list, show (with lineage).
    #[command(subcommand)]
    Model(inference_cmds::ModelCmd),
    /// API keys bound to a prepaid balance: create, revoke.
    #[command(subcommand)]
    Apikey(inference_cmds::ApiKeyCmd),
    /// Prepaid inference balance: deposit, withdraw, show.
    #[command(subcommand)]
    Prepaid(inference_cmds::PrepaidCmd),
    /// Rewards earned by attribution: show, claim.
    #[command(subcommand)]
    Rewards(inference_cmds::RewardsCmd),
    /// Agents: register, retire, list (by reputation), show, run an example agent.
    #[command(subcommand)]
    Agent(task_cmds::AgentCmd),
    /// Tasks: post, list, show, claim, submit, review, attest, challenge, finalize, cancel.
    #[command(subcommand)]
    Task(task_cmds::TaskCmd),
    /// Benchmarks (each prints its figures and, where one exists, a peer's from the same run).
    #[command(subcommand)]
    Bench(bench::BenchCmd),
    /// Serve the Model Context Protocol (stdio, or streamable HTTP with --http) so LLM agents can
    /// use Sinew: tools and resources acting with --key, within spend limits.
    Mcp(mcp_cmd::McpArgs),
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("SINEW_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    huge_pages::disable();
    let cli = Cli::parse();
    let keys_dir = cli.keys_dir.clone().unwrap_or_else(keys::default_dir);
    let result = match cli.command {
        Command::Keys(c) => keys::run(c, &keys_dir),
        Command::Mcp(a) => mcp_cmd::run(a, &cli.url, &keys_dir),
        Command::Transfer(a) => chain_cmds::transfer(a, &cli.url, &keys_dir),
        Command::Stake(a) => chain_cmds::stake(a, &cli.url, &keys_dir, true),
        Command::Unstake(a) => chain_cmds::stake(a, &cli.url, &keys_dir, false),
        Command::Account(a) => chain_cmds::account(a, &cli.url, &keys_dir),
        Command::Block { id } => chain_cmds::block(&id, &cli.url),
        Command::Tx { id } => chain_cmds::tx(&id, &cli.url),
        Command::Consensus => chain_cmds::consensus(&cli.url),
        Command::Finalization { id } => chain_cmds::finalization(&id, &cli.url),
        Command::VerifyProof(a) => chain_cmds::verify_proof_cmd(a),
        Command::Genesis(a) => node_cmds::genesis(a, &keys_dir),
        Command::Node(a) => node_cmds::node(a, &keys_dir),
        Command::Replay(a) => node_cmds::replay(a),
        Command::Devnet(a) => devnet::run(a),
        Command::Datanet(c) => datanet_cmds::run(c, &cli.url, &keys_dir),
        Command::Index(c) => attribution_cmds::index(c, &cli.url),
        Command::Query(c) => attribution_cmds::query(c),
        Command::Attribute(a) => attribution_cmds::attribute_cmd(a),
        Command::Attribution(c) => attribution_cmds::receipt_cmd(c),
        Command::Provider(c) => inference_cmds::provider(c, &cli.url, &keys_dir),
        Command::Model(c) => inference_cmds::model(c, &cli.url, &keys_dir),
        Command::Apikey(c) => inference_cmds::apikey(c, &cli.url, &keys_dir),
        Command::Prepaid(c) => inference_cmds::prepaid(c, &cli.url, &keys_dir),
        Command::Rewards(c) => inference_cmds::rewards(c, &cli.url, &keys_dir),
        Command::Agent(c) => task_cmds::agent(c, &cli.url, &keys_dir),
        Command::Task(c) => task_cmds::task(c, &cli.url, &keys_dir),
        Command::Bench(b) => bench::run(b),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
