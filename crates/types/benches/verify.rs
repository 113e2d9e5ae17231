//! Signature verification throughput: single, batched on one core, batched over all cores.
//! Run: cargo bench -p sinew-types --bench verify

use sinew_types::payload::Transfer;
use sinew_types::signing::{verify_many, verify_many_on, verify_one};
use sinew_types::{Address, Keypair, Transaction};
use std::time::Instant;

fn main() {
    let n = 20_000;
    let txs: Vec<_> = (0..n)
        .map(|i| {
            let k = Keypair::dev(&format!("v{}", i % 5_000));
            k.sign(Transaction {
                chain_id: "bench".into(),
                signer: k.address(),
                nonce: i as u64,
                max_fee: 1,
                payload: Transfer {
                    to: Address([1; 32]),
                    amount: 1,
                }
                .into(),
            })
            .prepare()
        })
        .collect();
    let items: Vec<_> = txs.iter().map(|t| t.sig_item()).collect();
    let t = Instant::now();
    for it in &items[..5_000] {
        verify_one(it).unwrap();
    }
    println!(
        "one by one, 1 core:        {:>8.0} signatures/s",
        5_000.0 / t.elapsed().as_secs_f64()
    );
    for chunk in [64usize, 256, 1024, 4096] {
        let t = Instant::now();
        for c in items.chunks(chunk) {
            assert!(verify_many_on(c, 1).iter().all(|r| r.is_ok()));
        }
        println!(
            "batches of {chunk:>4}, 1 core: {:>8.0} signatures/s",
            n as f64 / t.elapsed().as_secs_f64()
        );
    }
    let t = Instant::now();
    for c in items.chunks(4_000) {
        assert!(verify_many(c).iter().all(|r| r.is_ok()));
    }
    println!(
        "batches of 4000, all cores: {:>8.0} signatures/s",
        n as f64 / t.elapsed().as_secs_f64()
    );
}
