//! Where block time goes in the state machine: execution, state-tree root, tree apply.
//! Run: cargo bench -p sinew-state --bench apply

use sinew_state::{Chain, Genesis, GenesisAccount, MemState};
use sinew_types::payload::Transfer;
use sinew_types::{Keypair, Params, Transaction};
use std::time::Instant;

fn main() {
    let n_accounts = 10_000;
    let block = 6_000;
    let keys: Vec<Keypair> = (0..n_accounts).map(|i| Keypair::dev(&format!("b{i}"))).collect();
    let g = Genesis {
        chain_id: "bench".into(),
        timestamp_ms: 0,
        params: Params::default_for(keys[0].address()),
        accounts: keys
            .iter()
            .map(|k| GenesisAccount {
                address: k.address(),
                balance: 1 << 100,
            })
            .collect(),
        validators: vec![],
    };
    let (mut chain, gb) = Chain::from_genesis(&g, 8).unwrap();
    let mut state = MemState::default();
    state.apply(&gb.effects.writes);
    chain.commit(gb);
    for round in 0..5u64 {
        let txs: Vec<_> = (0..block)
            .map(|j| {
                let from = (j + round as usize * block) % n_accounts;
                let nonce = ((j + round as usize * block) / n_accounts) as u64;
                keys[from]
                    .sign(Transaction {
                        chain_id: "bench".into(),
                        signer: keys[from].address(),
                        nonce,
                        max_fee: 1 << 40,
                        payload: Transfer {
                            to: keys[(from + 1) % n_accounts].address(),
                            amount: 5,
                        }
                        .into(),
                    })
                    .prepare()
            })
            .collect();
        let t = Instant::now();
        let mut ex = sinew_state::BlockExecutor::begin(&state, &sinew_state::NoBlobs, round + 1).unwrap();
        for p in &txs {
            ex.execute(p).unwrap();
        }
        let effects = ex.finish();
        let t_exec = t.elapsed();
        let t = Instant::now();
        let (executed, _) = chain
            .propose(&state, &sinew_state::NoBlobs, &txs, 0, Default::default())
            .unwrap();
        let t_propose = t.elapsed();
        state.apply(&executed.effects.writes);
        let t = Instant::now();
        chain.commit(executed);
        let t_apply = t.elapsed();
        println!(
            "block of {block}: execute {:.1} ms ({:.2} us/tx, {} writes), propose (execute + tree root) {:.1} ms, tree apply {:.1} ms",
            t_exec.as_secs_f64() * 1e3,
            t_exec.as_secs_f64() * 1e6 / block as f64,
            effects.writes.len(),
            t_propose.as_secs_f64() * 1e3,
            t_apply.as_secs_f64() * 1e3
        );
    }
}
