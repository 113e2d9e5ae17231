//! Runs the seeded simulation for the seeds given (`7`, `1 2 3`, `1..100`), `--blocks N` each;
//! prints a line per seed and exits non-zero on the first failure, naming its seed.

use sinew_testkit::{simulate, SimConfig};

fn main() {
    let mut blocks = 400;
    let mut seeds: Vec<u64> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--blocks" {
            blocks = args.next().and_then(|n| n.parse().ok()).unwrap_or_else(|| usage());
        } else if let Some((lo, hi)) = a.split_once("..") {
            let (lo, hi): (u64, u64) = (
                lo.parse().unwrap_or_else(|_| usage()),
                hi.parse().unwrap_or_else(|_| usage()),
            );
            seeds.extend(lo..hi);
        } else {
            seeds.push(a.parse().unwrap_or_else(|_| usage()));
        }
    }
    if seeds.is_empty() {
        usage();
    }
    for seed in seeds {
        let started = std::time::Instant::now();
        match simulate(&SimConfig::new(seed, blocks)) {
            Ok(r) => println!(
                "seed {seed}: ok, height {}, {} txs ({} of {} kinds succeeded), {} reopens ({} lost blocks replayed), root {} ({:.1}s)",
                r.height,
                r.txs,
                r.kinds_succeeded,
                sinew_testkit::OpKind::ALL.len(),
                r.reopens,
                r.lost_blocks,
                r.state_root,
                started.elapsed().as_secs_f64()
            ),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
    }
}

fn usage() -> ! {
    eprintln!("usage: sim [--blocks N] SEED|LO..HI ...");
    std::process::exit(2)
}
