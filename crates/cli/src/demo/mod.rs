//! The devnet's demo workload: every step goes through the public HTTP API with the SDK, in
//! order: the ledger (transfers, batches, staking, refusals, proofs), a datanet (contributions,
//! review, duplicates, a published version, attribution), paid and attributed inference, and
//! agents working tasks (honest, faulty and auditing).

mod agents;
mod datanet;
mod inference;
mod ledger;
pub mod samples;
pub mod say;

use anyhow::Result;
use say::step;
use sinew_sdk::Client;
use sinew_state::accounts::treasury;
use sinew_types::Keypair;

/// Runs the whole demo against the node at `url` with the dev `keys`.
pub fn run(url: &str, keys: &[Keypair]) -> Result<()> {
    let c = Client::new(url);
    ledger::run(&c, keys)?;
    let datanet = datanet::run(&c, keys)?;
    let model = inference::run(&c, url, keys, datanet)?;
    agents::run(&c, url, keys, model)?;

    step("summary");
    let t = c.account(&treasury(), None)?.account;
    let head = c.latest_block()?.header;
    println!("height {}  state root {}", head.height, head.state_root);
    println!("fees collected by the treasury: {} base units", t.balance);
    println!("check the whole chain offline later with: sinew replay --data-dir <dir> (node stopped)");
    Ok(())
}
