//! Many agents on one node, racing for the same tasks through the SDK loop: every task settles
//! exactly once, no task is worked twice, and a restarted agent resumes its claim.

use sinew_agent::{run, AgentClient, Worker};
use sinew_sdk::TaskFilter;
use sinew_state::{Genesis, GenesisAccount};
use sinew_types::payload::{ClaimTask, PostTask, Transfer};
use sinew_types::records::Task;
use sinew_types::task::{task_id, TaskStatus, Verification};
use sinew_types::{Hash, Keypair, Params};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KIND: &str = "demo/echo";

/// Echoes the spec's hash; records every task it works.
struct Echo(Arc<Mutex<Vec<Hash>>>);

impl Worker for Echo {
    fn kinds(&self) -> Vec<String> {
        vec![KIND.into()]
    }
    fn work(&mut self, _: &AgentClient, task: &Task, spec: &[u8]) -> Result<Hash, String> {
        self.0.lock().unwrap().push(task.id);
        Ok(Hash::of(spec))
    }
}

#[test]
fn many_agents_settle_every_task_exactly_once() {
    const AGENTS: usize = 12;
    const TASKS: usize = 40;
    let keys: Vec<Keypair> = (0..AGENTS + 2).map(|i| Keypair::dev(&format!("many-{i}"))).collect();
    let mut params = Params::default_for(keys[0].address());
    params.unbonding_period = 3;
    let genesis = Genesis {
        chain_id: "sinew-many".into(),
        timestamp_ms: 0,
        params,
        accounts: keys
            .iter()
            .map(|k| GenesisAccount {
                address: k.address(),
                balance: 1_000_000_000,
            })
            .collect(),
        validators: vec![],
    };
    let dir = tempfile::tempdir().unwrap();
    let mut config = sinew_node::NodeConfig::new(dir.path().join("node"));
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.block_interval_ms = 5;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = rt.block_on(sinew_node::start(config, Some(genesis))).unwrap();
    let url = running.url();
    let agents: Vec<AgentClient> = keys[2..].iter().map(|k| AgentClient::new(&url, k.clone())).collect();
    for (i, a) in agents.iter().enumerate() {
        a.register(&format!("echo-{i}"), &[KIND], "", 10_000).unwrap();
    }
    // The poster uploads specs and posts the tasks; one posted twice is joined, not duplicated.
    let poster = AgentClient::new(&url, keys[0].clone());
    let mut ids = Vec::new();
    let deadline = poster.height().unwrap() + 100_000;
    for i in 0..TASKS {
        let spec = poster.upload(format!("task {i}").as_bytes()).unwrap();
        let post = PostTask {
            kind: KIND.into(),
            spec,
            reward: 1_000,
            deadline,
            claim_window: 10_000,
            bond: 100,
            verification: Verification::Poster { window: 1 },
            parent: None,
        };
        poster.send(post.clone().into()).unwrap();
        if i == 0 {
            poster.send(post.into()).unwrap();
        }
        ids.push(task_id(KIND, &spec));
    }
    // Agent 0 claimed task 1 and "crashed" before working it: its loop must resume that claim.
    agents[0].send(ClaimTask { task: ids[1] }.into()).unwrap();
    // Agents race for the tasks; a ticker keeps blocks coming so review windows pass.
    let worked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = agents
        .iter()
        .cloned()
        .map(|a| {
            let (worked, stop) = (worked.clone(), stop.clone());
            std::thread::spawn(move || run(&a, &mut Echo(worked), &stop).unwrap())
        })
        .collect();
    let ticker = {
        let (stop, tick) = (stop.clone(), AgentClient::new(&url, keys[1].clone()));
        let to = keys[0].address();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let _ = tick.send(Transfer { to, amount: 1 }.into());
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let started = Instant::now();
    loop {
        let done = poster
            .tasks(TaskFilter {
                status: Some("completed".into()),
                ..TaskFilter::default()
            })
            .unwrap()
            .len();
        if done == TASKS {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "only {done} of {TASKS} tasks completed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    let stats: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    ticker.join().unwrap();
    let mut times: BTreeMap<Hash, usize> = BTreeMap::new();
    for id in worked.lock().unwrap().iter() {
        *times.entry(*id).or_default() += 1;
    }
    assert_eq!(times.len(), TASKS, "every task was worked");
    assert!(times.values().all(|&n| n == 1), "no task was worked twice: {times:?}");
    let tasks = poster.tasks(TaskFilter::default()).unwrap();
    assert_eq!(tasks.len(), TASKS, "the duplicate post joined the first task");
    assert!(tasks.iter().all(|t| t.status == TaskStatus::Completed));
    assert_eq!(tasks.iter().find(|t| t.id == ids[0]).unwrap().reward, 2_000);
    let claimed: u64 = stats.iter().map(|s| s.claimed).sum();
    assert_eq!(
        claimed as usize + 1,
        TASKS,
        "each task claimed once (one before the run): {stats:?}"
    );
    let resumed = tasks.iter().find(|t| t.id == ids[1]).unwrap();
    assert_eq!(
        resumed.claimant,
        Some(agents[0].address()),
        "the restarted agent finished its own claim"
    );
    let busy = stats.iter().filter(|s| s.claimed > 0).count();
    assert!(busy > 1, "work spread over several agents: {stats:?}");
    rt.block_on(running.shutdown()).unwrap();
}
