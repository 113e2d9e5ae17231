//! `sinew devnet --validators N` (N > 1): a local network of N validators on loopback. Writes
//! their keys, one genesis naming them and one configuration each, starts N `sinew node`
//! processes, waits until they finalize, runs the demo workload against them and shows that all
//! of them report the same head hash and state root. The children are stopped by PID on exit
//! (and on Ctrl-C).

use crate::keys;
use anyhow::{bail, Context, Result};
use sinew_sdk::Client;
use sinew_state::{Genesis, GenesisValidator};
use sinew_types::Keypair;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The validator processes; killed and reaped when dropped.
pub(crate) struct Children(pub(crate) Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
        }
        for c in &mut self.0 {
            let _ = c.wait();
        }
    }
}

/// Deterministic, publicly known dev validator keys.
pub(crate) fn validator_keys(n: usize) -> Vec<Keypair> {
    (0..n).map(|i| Keypair::dev(&format!("devnet-validator-{i}"))).collect()
}

/// Where validator `i` serves its API and listens for the others.
pub(crate) fn ports(api_base: u16, i: usize) -> (u16, u16) {
    (api_base + i as u16, api_base + 1_000 + i as u16)
}

/// The configuration file of validator `i`.
fn config_text(i: usize, validators: &[Keypair], api_base: u16, tuning: &str) -> String {
    let (api, p2p) = ports(api_base, i);
    let mut t = format!(
        "data_dir = \"data\"\ngenesis_file = \"../genesis.json\"\nlisten = \"127.0.0.1:{api}\"\n\n\
         [bft]\nkey_file = \"../keys/validator{i}.json\"\nlisten = \"127.0.0.1:{p2p}\"\n{tuning}"
    );
    for (j, v) in validators.iter().enumerate() {
        let (_, p) = ports(api_base, j);
        let _ = write!(
            t,
            "\n[[bft.peers]]\nkey = \"{}\"\naddress = \"127.0.0.1:{p}\"\n",
            v.address()
        );
    }
    t
}

/// Writes keys, genesis and configurations (an existing devnet directory is resumed as is);
/// `tuning` is added to each `[bft]` section (`key = value` lines).
pub(crate) fn write_network(
    dir: &Path,
    genesis: &mut Genesis,
    validators: &[Keypair],
    api_base: u16,
    tuning: &str,
) -> Result<()> {
    let keys_dir = dir.join("keys");
    for (i, k) in validators.iter().enumerate() {
        if !keys_dir.join(format!("validator{i}.json")).exists() {
            keys::save(&keys_dir, &format!("validator{i}"), k, None)?;
        }
    }
    genesis.validators = validators
        .iter()
        .enumerate()
        .map(|(i, k)| GenesisValidator {
            key: k.address(),
            name: format!("validator{i}"),
        })
        .collect();
    let genesis_path = dir.join("genesis.json");
    if !genesis_path.exists() {
        std::fs::write(&genesis_path, serde_json::to_string_pretty(genesis)?)?;
    }
    for i in 0..validators.len() {
        let node_dir = dir.join(format!("node{i}"));
        std::fs::create_dir_all(&node_dir)?;
        std::fs::write(node_dir.join("node.toml"), config_text(i, validators, api_base, tuning))?;
    }
    Ok(())
}

/// Starts validator `i`'s process, its output in its directory; validator 0 also serves the
/// provider's models (if any).
pub(crate) fn spawn(dir: &Path, i: usize, provider: Option<&str>) -> Result<Child> {
    let node_dir = dir.join(format!("node{i}"));
    let log = std::fs::File::create(node_dir.join("node.log"))?;
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("--keys-dir")
        .arg(dir.join("keys"))
        .arg("node")
        .arg("--config")
        .arg(node_dir.join("node.toml"));
    if let (0, Some(p)) = (i, provider) {
        cmd.arg("--provider-key").arg(p);
    }
    cmd.stdout(log.try_clone()?).stderr(log).stdin(Stdio::null());
    cmd.spawn().with_context(|| format!("starting validator {i}"))
}

/// Waits until every node has finalized at least `height`.
pub(crate) fn wait_for_height(urls: &[String], height: u64, children: &mut Children, timeout: Duration) -> Result<()> {
    let started = Instant::now();
    loop {
        let mut done = 0;
        for (i, url) in urls.iter().enumerate() {
            if let Some(status) = children.0[i].try_wait()? {
                bail!("validator {i} exited ({status}); see its node.log");
            }
            if Client::new(url).latest_block().is_ok_and(|b| b.header.height >= height) {
                done += 1;
            }
        }
        if done == urls.len() {
            return Ok(());
        }
        if started.elapsed() > timeout {
            bail!("the validators did not all reach height {height} within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every node's header at one height all have reached: the same hash and state root, or an error.
fn check_agreement(urls: &[String], children: &mut Children) -> Result<(u64, String, String)> {
    let heights: Vec<u64> = urls
        .iter()
        .map(|u| Client::new(u).latest_block().map(|b| b.header.height))
        .collect::<Result<_, _>>()?;
    let top = *heights.iter().max().expect("validators");
    wait_for_height(urls, top, children, Duration::from_secs(60))?;
    let mut seen: Option<(String, String)> = None;
    for (i, url) in urls.iter().enumerate() {
        let h = Client::new(url).block(&top.to_string())?.header;
        let this = (h.hash().to_string(), h.state_root.to_string());
        println!("  validator{i}  height {top}  hash {}  state root {}", this.0, this.1);
        match &seen {
            None => seen = Some(this),
            Some(s) if *s == this => {}
            Some(_) => bail!("validator {i} disagrees at height {top}"),
        }
    }
    let (hash, root) = seen.expect("validators");
    Ok((top, hash, root))
}

/// `sinew devnet --validators n`.
pub fn run(
    dir: PathBuf,
    n: usize,
    api_base: u16,
    mut genesis: Genesis,
    accounts: &[Keypair],
    demo: bool,
    exit: bool,
) -> Result<()> {
    let validators = validator_keys(n);
    write_network(&dir, &mut genesis, &validators, api_base, "")?;
    let provider = format!("dev{}", accounts.len() - 1);
    let mut children = Children(Vec::new());
    for i in 0..n {
        children.0.push(spawn(&dir, i, Some(&provider))?);
    }
    let urls: Vec<String> = (0..n)
        .map(|i| format!("http://127.0.0.1:{}", ports(api_base, i).0))
        .collect();
    wait_for_height(&urls, 1, &mut children, Duration::from_secs(120))?;
    println!(
        "Sinew devnet  chain {}  {n} validators (BFT: simplex, ed25519 certificates)",
        genesis.chain_id
    );
    for (i, u) in urls.iter().enumerate() {
        println!(
            "  validator{i}  API {u}  (p2p 127.0.0.1:{}, pid {}, log {})",
            ports(api_base, i).1,
            children.0[i].id(),
            dir.join(format!("node{i}/node.log")).display()
        );
    }
    println!("  explorer   {}/  (every validator serves one)", urls[0]);
    println!("  data dir   {}", dir.display());
    if demo {
        // Every step goes to validator 0 (which also serves the models); transactions reach
        // the others by gossip, blobs by the blob exchange, and each waits for finality.
        crate::demo::run(&urls[0], accounts)?;
    }
    println!("\nevery validator at one height:");
    let (height, hash, _) = check_agreement(&urls, &mut children)?;
    println!("all {n} validators agree on block {height} ({hash})");
    if !exit {
        println!("\nserving until Ctrl-C");
        let rt = tokio::runtime::Runtime::new()?;
        rt.block_on(tokio::signal::ctrl_c())?;
    }
    drop(children);
    Ok(())
}
