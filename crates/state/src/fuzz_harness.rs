//! Entry points shared by the `cargo fuzz` targets (in `fuzz/`) and the property tests: each
//! takes arbitrary bytes and panics if an invariant breaks.

use crate::accounts::Account;
use crate::chain::Chain;
use crate::genesis::{Genesis, GenesisAccount};
use crate::keys::StateKey;
use crate::reader::{MemState, StateReader};
use sinew_types::payload::{SetParams, Stake, Transfer, Unstake};
use sinew_types::{Address, Keypair, Params, ParamsUpdate, SignedTransaction, Transaction};

/// Decoding arbitrary bytes never panics, and whatever decodes re-encodes to the same bytes.
pub fn decode_roundtrip(data: &[u8]) {
    if let Ok(tx) = SignedTransaction::decode(data) {
        assert_eq!(tx.encode(), data, "decoding is canonical");
        let _ = tx.verify_signature();
    }
}

/// Sum of everything every account holds.
pub fn total_held(state: &MemState) -> u128 {
    let prefix = StateKey::Account(Address::default()).encode()[..1].to_vec();
    state
        .map
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(_, v)| borsh::from_slice::<Account>(v).expect("account decodes").total())
        .sum()
}

/// The fixed supply recorded at genesis.
pub fn supply(state: &MemState) -> u128 {
    crate::reader::read(state, &StateKey::Supply)
        .unwrap()
        .expect("supply is set")
}

/// A small test chain: `n` dev accounts funded with `balance` each; the first is the authority.
pub fn test_genesis(n: usize, balance: u128) -> (Genesis, Vec<Keypair>) {
    let keys: Vec<Keypair> = (0..n).map(|i| Keypair::dev(&format!("fuzz-{i}"))).collect();
    let mut params = Params::default_for(keys[0].address());
    params.unbonding_period = 3;
    params.min_claim_window = 4;
    let genesis = Genesis {
        chain_id: "sinew-test".into(),
        timestamp_ms: 0,
        params,
        accounts: keys
            .iter()
            .map(|k| GenesisAccount {
                address: k.address(),
                balance,
            })
            .collect(),
    };
    (genesis, keys)
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
            .propose(leader_state, &crate::NoBlobs, &candidates, 0, keys[0].address())
            .unwrap();
        let block = executed.block.clone();
        let (follower_chain, follower_state) = &replicas[1];
        let validated = follower_chain
            .validate(follower_state, &crate::NoBlobs, block.clone(), |_| false)
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
            let a: Account = crate::reader::read(&replicas[0].1, &StateKey::Account(k.address()))
                .unwrap()
                .unwrap();
            assert_eq!(
                a.nonce, nonces[i],
                "nonces advance exactly once per included transaction"
            );
        }
    }
    assert_eq!(replicas[0].1, replicas[1].1);
    let _ = replicas[0].1.get(b"");
}
