//! The demo's ledger part: a transfer waited until durable, a binary batch of 4,000 transfers,
//! staking, bad input refused with clear errors, and a balance proven against a state root.

use super::say::step;
use anyhow::{Context, Result};
use sinew_sdk::{format_amount, sign_with_fee, Client};
use sinew_types::amount::TOKEN;
use sinew_types::payload::{Stake, Transfer, Unstake};
use sinew_types::{Keypair, SignedTransaction, TxStatus};
use std::time::Instant;

/// Steps 1 to 5.
pub fn run(c: &Client, keys: &[Keypair]) -> Result<()> {
    let first = transfer(c, keys)?;
    batch(c, keys)?;
    staking(c, &keys[1])?;
    refusals(c, keys, &first)?;
    proof(c, &keys[1])
}

/// Step 1: a transfer waited until durable; returns it (step 4 replays it).
fn transfer(c: &Client, keys: &[Keypair]) -> Result<SignedTransaction> {
    step("1. a transfer, waited until durable");
    let (k0, k1) = (&keys[0], &keys[1]);
    let before = c.account(&k1.address(), None)?.account.balance;
    let first = c.build(
        k0,
        Transfer {
            to: k1.address(),
            amount: 250 * TOKEN,
        }
        .into(),
        None,
    )?;
    let r = c.submit(&first, true)?;
    let receipt = r.receipt().cloned().context("no receipt")?;
    println!(
        "dev0 -> dev1 250 tokens: tx {} committed at height {}, status {:?}, fee {} base units",
        r.tx_id,
        r.height().unwrap_or(0),
        receipt.status,
        receipt.fee
    );
    let after = c.account(&k1.address(), None)?.account.balance;
    println!(
        "dev1 balance {} -> {} tokens",
        format_amount(before),
        format_amount(after)
    );

    Ok(first)
}

/// Step 2: 4,000 transfers in one binary batch.
fn batch(c: &Client, keys: &[Keypair]) -> Result<()> {
    let chain_id = c.chain_id()?;
    let params = c.params()?;
    step("2. a batch of 4,000 signed transfers in the binary encoding");
    let mut txs = vec![];
    for (i, k) in keys.iter().enumerate() {
        let nonce = c.account(&k.address(), None)?.account.nonce;
        for n in 0..(4000 / keys.len()) as u64 {
            let to = keys[(i + 1 + n as usize % (keys.len() - 1)) % keys.len()].address();
            txs.push(sign_with_fee(
                k,
                &chain_id,
                nonce + n,
                Transfer {
                    to,
                    amount: TOKEN / 1000,
                }
                .into(),
                &params,
            ));
        }
    }
    let t = Instant::now();
    let h0 = c.height()?;
    let br = c.submit_batch(&txs, true)?;
    let secs = t.elapsed().as_secs_f64();
    let committed = br.results.iter().filter(|r| r.status() == "committed").count();
    let h1 = c.height()?;
    println!(
        "{committed} of {} committed in {:.0} ms across {} blocks ({:.0} tx/s including signing checks and fsync)",
        txs.len(),
        secs * 1000.0,
        h1 - h0,
        committed as f64 / secs
    );

    Ok(())
}

/// Step 3: bond, then start unbonding.
fn staking(c: &Client, k1: &Keypair) -> Result<()> {
    step("3. staking: bond 1,000 tokens, start unbonding 400");
    for (payload, what) in [
        (Stake { amount: 1000 * TOKEN }.into(), "stake"),
        (Unstake { amount: 400 * TOKEN }.into(), "unstake"),
    ] {
        let r = c.submit(&c.build(k1, payload, None)?, true)?;
        println!("{what}: {:?}", r.receipt().context("no receipt")?.status);
    }
    let acct = c.account(&k1.address(), None)?.account;
    println!(
        "dev1 staked {} tokens; unbonding {} tokens until height {}",
        format_amount(acct.staked),
        format_amount(acct.unbonding[0].amount),
        acct.unbonding[0].release_height
    );

    Ok(())
}

/// Step 4: a replay, a forgery and an overdraft, refused or failed with clear errors.
fn refusals(c: &Client, keys: &[Keypair], first: &SignedTransaction) -> Result<()> {
    let (k0, k1) = (&keys[0], &keys[1]);
    step("4. bad input is refused with a clear error and changes nothing");
    let before = c.account(&k0.address(), None)?;
    let replay = c.submit(first, true)?;
    println!(
        "replaying the first transfer: {} ({})",
        replay.error().map(|e| e.message).unwrap_or_default(),
        replay.error().map(|e| e.code).unwrap_or_default()
    );
    let mut forged = c.build(
        k0,
        Transfer {
            to: k1.address(),
            amount: 1,
        }
        .into(),
        None,
    )?;
    forged.tx.payload = Transfer {
        to: k1.address(),
        amount: 1_000 * TOKEN,
    }
    .into();
    let r = c.submit(&forged, true)?;
    println!(
        "a transaction altered after signing: {}",
        r.error().map(|e| e.message).unwrap_or_default()
    );
    let broke = c.build(
        k0,
        Transfer {
            to: k1.address(),
            amount: u128::MAX,
        }
        .into(),
        None,
    )?;
    let r = c.submit(&broke, true)?;
    if let Some(TxStatus::Failed { code, message }) = r.receipt().map(|r| &r.status) {
        println!("sending more than the balance: included but failed ({code}: {message}); only the fee was charged");
    }
    let after = c.account(&k0.address(), None)?;
    println!(
        "dev0 nonce {} -> {} (the refused ones left no trace; the failed one used a nonce)",
        before.account.nonce, after.account.nonce
    );

    Ok(())
}

/// Step 5: a balance proven against a block's state root, and a lie refused.
fn proof(c: &Client, k1: &Keypair) -> Result<()> {
    step("5. a balance anyone can check: Merkle proof against the block's state root");
    let v = c.account(&k1.address(), None)?;
    let proof = sinew_state::StateProof(hex::decode(&v.proof.proof)?);
    let key = hex::decode(&v.proof.key)?;
    let value = v.proof.value.as_deref().map(hex::decode).transpose()?;
    sinew_state::verify_proof(v.proof.state_root, &key, value.as_deref(), &proof)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "dev1 balance {} tokens at height {} proven against state root {} ({} byte proof): OK",
        format_amount(v.account.balance),
        v.proof.height,
        v.proof.state_root,
        proof.0.len()
    );
    let mut tampered = v.account.clone();
    tampered.balance += 1;
    let lie = borsh::to_vec(&tampered)?;
    let rejected = sinew_state::verify_proof(v.proof.state_root, &key, Some(&lie), &proof).is_err();
    println!(
        "the same proof for a balance one unit higher: {}",
        if rejected { "rejected" } else { "ACCEPTED (bug!)" }
    );
    Ok(())
}
