//! Client commands: transactions, queries, offline proof checking.

use crate::keys;
use anyhow::{bail, Context, Result};
use clap::Args;
use sinew_sdk::{format_amount, AccountView, Client, ProvenValue, SubmitOutcome, SubmitReply};
use sinew_state::{verify_proof, Account, StateKey, StateProof};
use sinew_types::api::answers::{BlockView, FinalizationView};
use sinew_types::payload::{Stake, Transfer, Unstake};
use sinew_types::{Hash, Height};
use std::path::{Path, PathBuf};

/// Arguments of `sinew transfer`.
#[derive(Args)]
pub struct TransferArgs {
    /// Key name that signs and pays.
    #[arg(long)]
    from: String,
    /// Recipient: address (hex) or key name.
    #[arg(long)]
    to: String,
    /// Base units to send.
    #[arg(long)]
    amount: u128,
    /// Nonce to use (default: the account's next nonce).
    #[arg(long)]
    nonce: Option<u64>,
    /// Return once admitted, without waiting for the block.
    #[arg(long)]
    no_wait: bool,
}

/// Arguments of `sinew stake` and `sinew unstake`.
#[derive(Args)]
pub struct StakeArgs {
    /// Key name that signs.
    #[arg(long)]
    from: String,
    /// Base units.
    #[arg(long)]
    amount: u128,
    /// Return once admitted, without waiting for the block.
    #[arg(long)]
    no_wait: bool,
}

/// Arguments of `sinew account`.
#[derive(Args)]
pub struct AccountArgs {
    /// Address (hex) or key name.
    who: String,
    /// Height to read at (default: head).
    #[arg(long)]
    height: Option<u64>,
    /// Print the node's JSON answer, proof included (feed it to `sinew verify-proof`).
    #[arg(long)]
    json: bool,
}

/// Arguments of `sinew verify-proof`.
#[derive(Args)]
pub struct VerifyProofArgs {
    /// File with the JSON of `sinew account --json` (or `-` for stdin).
    file: String,
    /// The state root you trust (from a header you obtained independently); default: the one in the file.
    #[arg(long, conflicts_with = "finalization")]
    root: Option<Hash>,
    /// Trust no node: the JSON of `sinew finalization H` for the proof's height, checked against
    /// the validators of `--genesis`; the state root then comes from `--block`'s header, whose
    /// hash the certificate finalized.
    #[arg(long, requires_all = ["block", "genesis"])]
    finalization: Option<PathBuf>,
    /// The JSON of `sinew block H` (with `--finalization`).
    #[arg(long)]
    block: Option<PathBuf>,
    /// The chain's genesis document (with `--finalization`): its chain id and validator set.
    #[arg(long)]
    genesis: Option<PathBuf>,
}

pub(crate) fn report(r: &SubmitReply) -> Result<()> {
    match &r.outcome {
        SubmitOutcome::Refused { error } => {
            bail!("transaction {} refused ({}): {}", r.tx_id, error.code, error.message)
        }
        SubmitOutcome::Dropped { code, reason } => bail!("transaction {} dropped ({code}): {reason}", r.tx_id),
        SubmitOutcome::Pending => println!("{} pending", r.tx_id),
        SubmitOutcome::Committed { height, receipt, .. } => {
            let outcome = match &receipt.status {
                sinew_types::TxStatus::Success => "success".to_string(),
                sinew_types::TxStatus::Failed { code, message } => format!("FAILED {code}: {message}"),
            };
            println!(
                "{} committed at height {height}: {outcome} (fee {})",
                r.tx_id, receipt.fee
            );
        }
    }
    Ok(())
}

/// `sinew transfer`.
pub fn transfer(a: TransferArgs, url: &str, dir: &Path) -> Result<()> {
    let key = keys::load(dir, &a.from)?;
    let to = keys::resolve_address(dir, &a.to)?;
    let c = Client::new(url);
    let tx = c.build(&key, Transfer { to, amount: a.amount }.into(), a.nonce)?;
    report(&c.submit(&tx, !a.no_wait)?)
}

/// `sinew stake` / `sinew unstake`.
pub fn stake(a: StakeArgs, url: &str, dir: &Path, bond: bool) -> Result<()> {
    let key = keys::load(dir, &a.from)?;
    let c = Client::new(url);
    let payload = if bond {
        Stake { amount: a.amount }.into()
    } else {
        Unstake { amount: a.amount }.into()
    };
    let tx = c.build(&key, payload, None)?;
    report(&c.submit(&tx, !a.no_wait)?)
}

/// `sinew account`.
pub fn account(a: AccountArgs, url: &str, dir: &Path) -> Result<()> {
    let addr = keys::resolve_address(dir, &a.who)?;
    let c = Client::new(url);
    let v = c.account(&addr, a.height)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    check(&v.proof, None)?;
    let acct = &v.account;
    println!("address   {addr}");
    println!("height    {} (state root {})", v.proof.height, v.proof.state_root);
    if !v.exists {
        println!("(no such account)");
    }
    println!("balance   {} ({} tokens)", acct.balance, format_amount(acct.balance));
    println!("staked    {}", acct.staked);
    for u in &acct.unbonding {
        println!("unbonding {} until height {}", u.amount, u.release_height);
    }
    println!("nonce     {}", acct.nonce);
    println!("proof     verified against the state root");
    Ok(())
}

fn check(p: &ProvenValue, root: Option<Hash>) -> Result<Option<Account>> {
    let key = hex::decode(&p.key).context("key is not hex")?;
    let value = p
        .value
        .as_deref()
        .map(hex::decode)
        .transpose()
        .context("value is not hex")?;
    let proof = StateProof(hex::decode(&p.proof).context("proof is not hex")?);
    let root = root.unwrap_or(p.state_root);
    verify_proof(root, &key, value.as_deref(), &proof).map_err(|e| anyhow::anyhow!("{e}"))?;
    let is_account = key.first() == StateKey::Account(Default::default()).encode().first();
    Ok(match (is_account, value) {
        (true, Some(v)) => Some(borsh::from_slice(&v).context("proven value is not an account")?),
        _ => None,
    })
}

/// What `sinew verify-proof` reads: `sinew account --json` output, or a bare proof.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum ProofFile {
    Account(Box<AccountView>),
    Proof(ProvenValue),
}

/// `sinew verify-proof`.
pub fn verify_proof_cmd(a: VerifyProofArgs) -> Result<()> {
    let text = if a.file == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(&a.file).with_context(|| format!("reading {}", a.file))?
    };
    let p = match serde_json::from_str::<ProofFile>(&text).context("neither an account with its proof nor a proof")? {
        ProofFile::Account(a) => a.proof,
        ProofFile::Proof(p) => p,
    };
    let root = match &a.finalization {
        Some(f) => Some(finalized_root(f, a.block.as_deref(), a.genesis.as_deref(), p.height)?),
        None => a.root,
    };
    let acct = check(&p, root)?;
    println!(
        "valid: key {} under state root {} at height {}",
        p.key,
        root.unwrap_or(p.state_root),
        p.height
    );
    match (acct, &p.value) {
        (Some(a), _) => println!("account: balance {} staked {} nonce {}", a.balance, a.staked, a.nonce),
        (None, None) => println!("the key is absent from state"),
        (None, Some(v)) => println!("value: {v}"),
    }
    Ok(())
}

/// The state root at `height` as a finalization certificate proves it: the certificate checks
/// against the genesis validators, it finalized the block whose header is given, and that header
/// is at `height`.
fn finalized_root(finalization: &Path, block: Option<&Path>, genesis: Option<&Path>, height: Height) -> Result<Hash> {
    let read = |p: &Path| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()));
    let fin: FinalizationView =
        serde_json::from_str(&read(finalization)?).context("not the JSON of `sinew finalization`")?;
    let block: BlockView =
        serde_json::from_str(&read(block.context("--block is required")?)?).context("not the JSON of `sinew block`")?;
    let genesis: sinew_state::Genesis =
        serde_json::from_str(&read(genesis.context("--genesis is required")?)?).context("not a genesis document")?;
    let validators = genesis
        .validators
        .iter()
        .map(|v| {
            sinew_bft::keys::public_key(&v.key).with_context(|| format!("validator {} is not an ed25519 key", v.name))
        })
        .collect::<Result<Vec<_>>>()?;
    let bytes = hex::decode(&fin.certificate).context("the certificate is not hex")?;
    let done = sinew_bft::certificate::verify(&genesis.chain_id, &validators, &bytes)?;
    let header = &block.header;
    if header.hash() != done.block_hash {
        bail!(
            "the certificate finalized block {}, not the block given ({})",
            done.block_hash,
            header.hash()
        );
    }
    if header.height != height {
        bail!(
            "the proof is at height {height} but the finalized block is at height {}",
            header.height
        );
    }
    println!(
        "finalized: block {} at height {} by {} of {} validators (view {})",
        done.block_hash,
        header.height,
        done.signers.len(),
        validators.len(),
        done.view
    );
    Ok(header.state_root)
}

/// `sinew consensus`.
pub fn consensus(url: &str) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(&Client::new(url).consensus()?)?);
    Ok(())
}

/// `sinew finalization`.
pub fn finalization(id: &str, url: &str) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(&Client::new(url).finalization(id)?)?);
    Ok(())
}

/// `sinew block`.
pub fn block(id: &str, url: &str) -> Result<()> {
    let v = Client::new(url).block(id)?;
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}

/// `sinew tx`.
pub fn tx(id: &str, url: &str) -> Result<()> {
    let id: Hash = id.parse()?;
    let v = Client::new(url).tx(&id)?;
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}
