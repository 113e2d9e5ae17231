//! Entry points shared by the `cargo fuzz` targets (in `fuzz/`) and the property tests: each
//! takes arbitrary bytes and panics if an invariant breaks.

use crate::genesis::{supply, test_genesis, total_held};
use crate::world::World;
use sinew_state::{read, Account, Chain, MemState, NoBlobs, StateKey, StateReader};
use sinew_types::payload::{SetParams, Stake, Transfer, Unstake};
use sinew_types::{Address, ParamsUpdate, Payload, SignedTransaction, Transaction};
use std::collections::BTreeMap;

/// Decoding arbitrary bytes never panics, and whatever decodes re-encodes to the same bytes.
pub fn decode_roundtrip(data: &[u8]) {
    if let Ok(tx) = SignedTransaction::decode(data) {
        assert_eq!(tx.encode(), data, "decoding is canonical");
        let _ = tx.verify_signature();
    }
}

/// Interprets bytes as a stream of (mostly valid, some invalid) transactions over a few
/// accounts, cut into blocks; proposes each block, validates it on a second replica, and checks
/// that supply is conserved and both replicas agree on every root.
pub fn apply_ops(data: &[u8]) {
    let (genesis, keys) = test_genesis(6, 1_000_000_000);
    let mut replicas: Vec<(Chain, MemState)> = (0..2)
        .map(|_| {
            let (mut chain, g) = Chain::from_genesis(&genesis, 4).unwrap();
            let mut state = MemState::default();
            state.apply(&g.effects.writes);
            chain.commit(g);
            (chain, state)
        })
        .collect();
    let supply0 = supply(&replicas[0].1);
    let mut nonces = vec![0u64; keys.len()];
    for block_ops in data.chunks(24) {
        let mut candidates = Vec::new();
        for op in block_ops.chunks(6) {
            if op.len() < 6 {
                break;
            }
            let si = op[0] as usize % keys.len();
            let to = keys[op[1] as usize % keys.len()].address();
            let amount = match op[3] % 4 {
                0 => 0,
                1 => u128::MAX,
                _ => u128::from(u16::from_le_bytes([op[4], op[5]])) * 1_000,
            };
            let payload = match op[2] % 8 {
                0..=3 => Transfer { to, amount }.into(),
                4 => Stake { amount }.into(),
                5 => Unstake { amount }.into(),
                6 => SetParams {
                    update: ParamsUpdate {
                        base_fee: Some(u128::from(op[4])),
                        unbonding_period: Some(u64::from(op[5])),
                        ..Default::default()
                    },
                }
                .into(),
                _ => Transfer {
                    to: Address([op[4]; 32]),
                    amount: 1,
                }
                .into(),
            };
            let nonce = match op[5] % 16 {
                0 => nonces[si].wrapping_sub(1),
                1 => nonces[si] + 1,
                _ => nonces[si],
            };
            let max_fee = if op[4] % 32 == 0 { 1 } else { 10_000_000 };
            let tx = Transaction {
                chain_id: genesis.chain_id.clone(),
                signer: keys[si].address(),
                nonce,
                max_fee,
                payload,
            };
            let mut signed = keys[si].sign(tx);
            if op[3] % 64 == 63 {
                signed.signature.0[5] ^= 1;
            }
            let ptx = signed.prepare();
            if ptx.tx.verify_signature().is_ok() {
                candidates.push(ptx);
            }
        }
        let (leader_chain, leader_state) = &replicas[0];
        let (executed, _rejected) = leader_chain
            .propose(leader_state, &NoBlobs, &candidates, 0, keys[0].address())
            .unwrap();
        let block = executed.block.clone();
        let (follower_chain, follower_state) = &replicas[1];
        let validated = follower_chain
            .validate(follower_state, &NoBlobs, block.clone(), |_| false)
            .expect("a proposed block validates on another replica");
        assert_eq!(validated.block.header, executed.block.header);
        for (i, ex) in [executed, validated].into_iter().enumerate() {
            let (chain, state) = &mut replicas[i];
            state.apply(&ex.effects.writes);
            chain.commit(ex);
            assert_eq!(total_held(state), supply0, "supply is conserved");
        }
        for t in &block.txs {
            let si = keys.iter().position(|k| k.address() == t.tx.signer).unwrap();
            nonces[si] = t.tx.nonce + 1;
        }
        for (i, k) in keys.iter().enumerate() {
            let a: Account = read(&replicas[0].1, &StateKey::Account(k.address())).unwrap().unwrap();
            assert_eq!(
                a.nonce, nonces[i],
                "nonces advance exactly once per included transaction"
            );
        }
    }
    assert_eq!(replicas[0].1, replicas[1].1);
    let _ = replicas[0].1.get(b"");
}

/// Runs a ledger through the transactions `data` describes (8 bytes each, up to 4 per block);
/// panics if replicas disagree or [`check_ledger`] fails after any block. Returns, per payload
/// kind, how many succeeded, failed and were not included.
pub fn ledger_ops(data: &[u8]) -> BTreeMap<crate::kinds::OpKind, [u64; 3]> {
    ledger_run(data).0
}

/// [`ledger_ops`], also returning how often each kind failed or was refused with each code.
pub fn ledger_run(data: &[u8]) -> LedgerStats {
    let mut w = World::new();
    w.setup();
    w.stats.clear();
    w.codes.clear();
    for block in data.chunks(32) {
        let txs: Vec<(usize, Payload)> = block
            .chunks_exact(8)
            .map(|c| w.op(c.try_into().expect("8 bytes")))
            .collect();
        w.block(txs);
    }
    (w.stats, w.codes)
}

/// Outcomes per payload kind (succeeded, failed, not included), and codes per kind.
pub type LedgerStats = (
    BTreeMap<crate::kinds::OpKind, [u64; 3]>,
    BTreeMap<(crate::kinds::OpKind, String), u64>,
);
