//! Agents and tasks: lifecycles per verification mode (poster, quorum, recomputation), timeouts,
//! takeovers, challenges won and lost, reputation, bad input; and a property test that escrow and
//! bonds always add up and supply is conserved.

use sinew_testkit::net as common;
use sinew_types::event::TaskEvent;

use common::{with_model, Net, RIVERS};
use proptest::prelude::*;
use sinew_state::accounts::{agent_stakes, task_escrow};
use sinew_state::inference::{answer_receipt, model_corpus, Model};
use sinew_state::read;
use sinew_state::tasks::{Agent, Reputation, Task};
use sinew_state::{StateKey, TxRejection};
use sinew_types::failure::{LedgerFailure, TaskFailure};
use sinew_types::payload::{
    Attest, CancelTask, Challenge, ClaimTask, FinalizeTask, PostTask, RegisterAgent, ReviewResult, SubmitResult,
    TaskTx, Transfer,
};
use sinew_types::task::{task_id, AgentStatus, TaskStatus, Verification, KIND_ATTRIBUTION};
use sinew_types::{Event, Hash, Payload, TxStatus};

const KIND: &str = "demo/summarize";

fn register(n: &mut Net, who: usize, caps: &[&str], stake: u128) {
    n.ok(
        who,
        RegisterAgent {
            name: format!("agent-{who}"),
            capabilities: caps.iter().map(|c| c.to_string()).collect(),
            endpoint: String::new(),
            stake,
        }
        .into(),
    );
}

fn post(kind: &str, spec: Hash, reward: u128, deadline: u64, verification: Verification) -> Payload {
    PostTask {
        kind: kind.into(),
        spec,
        reward,
        deadline,
        claim_window: 4,
        bond: 100,
        verification,
        parent: None,
    }
    .into()
}

fn task(n: &Net, id: &Hash) -> Task {
    read(&n.state, &StateKey::Task(*id)).unwrap().unwrap()
}

fn rep(n: &Net, who: usize) -> Reputation {
    read(&n.state, &StateKey::Reputation(n.keys[who].address()))
        .unwrap()
        .unwrap_or_default()
}

fn bal(n: &Net, who: usize) -> u128 {
    n.balance(&n.keys[who].address())
}

/// The task escrow holds exactly the rewards, forfeited bonds and locked bonds of unfinished tasks.
fn escrow_adds_up(n: &Net) {
    let prefix = StateKey::Task(Hash::default()).kind_prefix();
    let held: u128 = n
        .state
        .map
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(_, v)| {
            let t: Task = borsh::from_slice(v).unwrap();
            match t.status {
                TaskStatus::Completed | TaskStatus::Closed => 0,
                _ => {
                    t.reward
                        + t.forfeited
                        + if t.claimant.is_some() { t.bond } else { 0 }
                        + t.attestations.iter().map(|a| a.bond).sum::<u128>()
                }
            }
        })
        .sum();
    assert_eq!(
        n.balance(&task_escrow()),
        held,
        "escrow holds exactly what open tasks owe"
    );
}

#[test]
fn poster_verified_tasks_join_claim_submit_and_pay() {
    let mut n = Net::new();
    register(&mut n, 1, &[KIND], 1_000);
    let spec = Hash::of(b"summarize chapter 1");
    let id = task_id(KIND, &spec);
    let deadline = n.height() + 50;
    n.ok(0, post(KIND, spec, 1_000, deadline, Verification::Poster { window: 3 }));
    // The identical task is joined (by its poster: it judges), not duplicated.
    n.ok(0, post(KIND, spec, 500, deadline, Verification::Poster { window: 3 }));
    let t = task(&n, &id);
    assert_eq!((t.reward, t.funders.len()), (1_500, 1));
    assert_eq!(n.fails(2, ClaimTask { task: id }.into()), TaskFailure::UnknownAgent);
    let (before, fees) = (bal(&n, 1), n.fees[1]);
    n.ok(1, ClaimTask { task: id }.into());
    register(&mut n, 3, &[KIND], 1_000);
    assert_eq!(n.fails(3, ClaimTask { task: id }.into()), TaskFailure::AlreadyClaimed);
    assert_eq!(
        n.fails(
            3,
            SubmitResult {
                task: id,
                result: Hash::of(b"x")
            }
            .into()
        ),
        TaskFailure::NotClaimant
    );
    n.ok(
        1,
        SubmitResult {
            task: id,
            result: Hash::of(b"summary"),
        }
        .into(),
    );
    assert_eq!(n.fails(4, FinalizeTask { task: id }.into()), LedgerFailure::TooEarly);
    assert_eq!(
        n.fails(2, ReviewResult { task: id, accept: true }.into()),
        TaskFailure::NotPoster
    );
    n.advance(3);
    n.ok(4, FinalizeTask { task: id }.into());
    let t = task(&n, &id);
    assert_eq!(t.status, TaskStatus::Completed);
    assert_eq!(
        bal(&n, 1),
        before + 1_500 - (n.fees[1] - fees),
        "reward in, bond back, fees out"
    );
    let r = rep(&n, 1);
    assert_eq!((r.claims, r.completed, r.on_time, r.earned), (1, 1, 1, 1_500));
    assert_eq!(
        n.fails(0, post(KIND, spec, 1, deadline, Verification::Poster { window: 3 })),
        TaskFailure::TaskFinished
    );
    assert_eq!(n.fails(4, FinalizeTask { task: id }.into()), TaskFailure::AlreadyFinal);
    escrow_adds_up(&n);
}

#[test]
fn rejection_reopens_and_acceptance_pays_at_once() {
    let mut n = Net::new();
    register(&mut n, 1, &[KIND], 1_000);
    register(&mut n, 2, &[KIND], 1_000);
    let spec = Hash::of(b"s");
    let id = task_id(KIND, &spec);
    n.ok(
        0,
        post(KIND, spec, 1_000, n.height() + 50, Verification::Poster { window: 10 }),
    );
    n.ok(1, ClaimTask { task: id }.into());
    n.ok(
        1,
        SubmitResult {
            task: id,
            result: Hash::of(b"bad"),
        }
        .into(),
    );
    n.ok(
        0,
        ReviewResult {
            task: id,
            accept: false,
        }
        .into(),
    );
    assert_eq!(task(&n, &id).status, TaskStatus::Open);
    assert_eq!(rep(&n, 1).failed, 1);
    n.ok(2, ClaimTask { task: id }.into());
    n.ok(
        2,
        SubmitResult {
            task: id,
            result: Hash::of(b"good"),
        }
        .into(),
    );
    n.ok(0, ReviewResult { task: id, accept: true }.into());
    assert_eq!(task(&n, &id).status, TaskStatus::Completed);
    assert_eq!(rep(&n, 2).completed, 1);
    escrow_adds_up(&n);
}

#[test]
fn a_missed_claim_window_lets_another_agent_take_over_and_deadlines_expire() {
    let mut n = Net::new();
    register(&mut n, 1, &[KIND], 1_000);
    register(&mut n, 2, &[KIND], 1_000);
    let spec = Hash::of(b"slow");
    let id = task_id(KIND, &spec);
    n.ok(
        0,
        post(KIND, spec, 1_000, n.height() + 30, Verification::Poster { window: 2 }),
    );
    n.ok(1, ClaimTask { task: id }.into());
    assert_eq!(n.fails(2, ClaimTask { task: id }.into()), TaskFailure::AlreadyClaimed);
    n.advance(5);
    let r = n.ok(2, ClaimTask { task: id }.into());
    assert!(r
        .events
        .iter()
        .any(|e| matches!(e, Event::Tasks(TaskEvent::Slashed { reason, .. }) if reason == "missed_claim_window")));
    assert_eq!(task(&n, &id).forfeited, 100);
    assert_eq!(
        n.fails(
            1,
            SubmitResult {
                task: id,
                result: Hash::of(b"late")
            }
            .into()
        ),
        TaskFailure::NotClaimant,
        "the taken-over agent can no longer submit"
    );
    n.ok(
        2,
        SubmitResult {
            task: id,
            result: Hash::of(b"r"),
        }
        .into(),
    );
    n.advance(3);
    let r = n.ok(0, FinalizeTask { task: id }.into());
    assert!(
        r.events
            .iter()
            .any(|e| matches!(e, Event::Tasks(TaskEvent::TaskCompleted { reward: 1_100, .. }))),
        "reward plus the forfeited bond"
    );
    // A claimed task past its deadline expires: the claimant's bond is slashed, the funder refunded.
    let spec2 = Hash::of(b"never done");
    let id2 = task_id(KIND, &spec2);
    let deadline = n.height() + 6;
    n.ok(0, post(KIND, spec2, 700, deadline, Verification::Poster { window: 2 }));
    n.ok(1, ClaimTask { task: id2 }.into());
    assert_eq!(
        n.fails(0, CancelTask { task: id2 }.into()),
        TaskFailure::NotOpen,
        "no cancel after a claim"
    );
    while n.height() <= deadline {
        n.advance(1);
    }
    assert_eq!(
        n.fails(
            1,
            SubmitResult {
                task: id2,
                result: Hash::of(b"x")
            }
            .into()
        ),
        TaskFailure::DeadlinePassed
    );
    let before = bal(&n, 0);
    let treasury = n.balance(&sinew_state::accounts::treasury());
    let r = n.ok(3, FinalizeTask { task: id2 }.into());
    assert_eq!(task(&n, &id2).status, TaskStatus::Closed);
    assert_eq!(bal(&n, 0), before + 700, "the reward back to the funder");
    assert_eq!(
        n.balance(&sinew_state::accounts::treasury()),
        treasury + r.fee + 100,
        "the slashed bond to the treasury, never to the poster"
    );
    // An unclaimed task can be cancelled by its poster.
    let spec3 = Hash::of(b"cancel me");
    n.ok(
        0,
        post(KIND, spec3, 300, n.height() + 20, Verification::Poster { window: 2 }),
    );
    assert_eq!(
        n.fails(
            1,
            CancelTask {
                task: task_id(KIND, &spec3)
            }
            .into()
        ),
        TaskFailure::NotPoster
    );
    n.ok(
        0,
        CancelTask {
            task: task_id(KIND, &spec3),
        }
        .into(),
    );
    escrow_adds_up(&n);
}

#[test]
fn a_stake_weighted_quorum_decides_and_outvoted_verifiers_pay() {
    let mut n = Net::new();
    register(&mut n, 1, &[KIND], 1_000);
    for (who, stake) in [(2, 5_000), (3, 3_000), (4, 1_000_000)] {
        register(&mut n, who, &["verifier"], stake);
    }
    let spec = Hash::of(b"q");
    let id = task_id(KIND, &spec);
    let quorum = Verification::Quorum {
        window: 10,
        min_verifiers: 3,
        bond: 200,
        slash_bps: 5_000,
        min_stake: 0,
    };
    n.ok(0, post(KIND, spec, 1_000, n.height() + 50, quorum));
    assert_eq!(
        n.fails(
            2,
            Attest {
                task: id,
                approve: true
            }
            .into()
        ),
        TaskFailure::NotInReview
    );
    n.ok(1, ClaimTask { task: id }.into());
    n.ok(
        1,
        SubmitResult {
            task: id,
            result: Hash::of(b"r"),
        }
        .into(),
    );
    n.ok(
        2,
        Attest {
            task: id,
            approve: true,
        }
        .into(),
    );
    assert_eq!(
        n.fails(
            2,
            Attest {
                task: id,
                approve: true
            }
            .into()
        ),
        TaskFailure::AlreadyAttested
    );
    assert_eq!(
        n.fails(
            0,
            Attest {
                task: id,
                approve: true
            }
            .into()
        ),
        TaskFailure::NotStaked
    );
    assert_eq!(
        n.fails(
            1,
            Attest {
                task: id,
                approve: true
            }
            .into()
        ),
        LedgerFailure::Conflict
    );
    n.ok(
        3,
        Attest {
            task: id,
            approve: true,
        }
        .into(),
    );
    // The whale votes against. Its weight is clipped to a third of the total (336,001), which
    // still outweighs the two smaller verifiers (8,000): clipping bounds a whale, it does not
    // silence it.
    n.ok(
        4,
        Attest {
            task: id,
            approve: false,
        }
        .into(),
    );
    n.advance(2);
    assert_eq!(n.fails(0, FinalizeTask { task: id }.into()), LedgerFailure::TooEarly);
    n.advance(2);
    let before: Vec<u128> = (2..=4).map(|w| bal(&n, w)).collect();
    let r = n.ok(0, FinalizeTask { task: id }.into());
    let rejected = r
        .events
        .iter()
        .any(|e| matches!(e, Event::Tasks(TaskEvent::TaskUpdated { action, .. }) if action == "rejected"));
    assert!(rejected, "the clipped whale still outweighs 8,000: {:?}", r.events);
    // Outvoted verifiers lose half their bond to the winner.
    assert_eq!(bal(&n, 2), before[0] + 100);
    assert_eq!(bal(&n, 3), before[1] + 100);
    assert_eq!(bal(&n, 4), before[2] + 200 + 200);
    assert_eq!(
        task(&n, &id).status,
        TaskStatus::Open,
        "a rejected result reopens the task"
    );
    assert_eq!(rep(&n, 1).failed, 1);
    escrow_adds_up(&n);
}

#[test]
fn recomputable_results_are_checked_by_the_ledger_and_challenges_settle_by_recomputation() {
    let mut n = Net::new();
    with_model(&mut n);
    // Key 1 is a faulty attribution agent, key 2 an honest one, key 4 an auditor.
    register(&mut n, 1, &[KIND_ATTRIBUTION], 1_000);
    register(&mut n, 2, &[KIND_ATTRIBUTION], 1_000);
    let answer = format!("Indeed: {RIVERS}");
    let spec = n.put_blob(
        serde_json::json!({ "model": 0, "answer": answer })
            .to_string()
            .as_bytes(),
    );
    let m: Model = read(&n.state, &StateKey::Model(0)).unwrap().unwrap();
    let params = read(&n.state, &StateKey::Params).unwrap().unwrap();
    let right = answer_receipt(&model_corpus(&n.state, &n.blobs, &m.info).unwrap(), &answer, &params).digest();
    // Recompute mode: a wrong result is caught at submission.
    let id = task_id(KIND_ATTRIBUTION, &spec);
    n.ok(
        0,
        post(KIND_ATTRIBUTION, spec, 1_000, n.height() + 40, Verification::Recompute),
    );
    n.ok(1, ClaimTask { task: id }.into());
    let r = n.ok(
        1,
        SubmitResult {
            task: id,
            result: Hash::of(b"wrong"),
        }
        .into(),
    );
    assert!(r
        .events
        .iter()
        .any(|e| matches!(e, Event::Tasks(TaskEvent::Slashed { reason, .. }) if reason == "wrong_result")));
    assert_eq!(task(&n, &id).status, TaskStatus::Open);
    n.ok(2, ClaimTask { task: id }.into());
    n.ok(
        2,
        SubmitResult {
            task: id,
            result: right,
        }
        .into(),
    );
    assert_eq!(
        task(&n, &id).status,
        TaskStatus::Completed,
        "the right result is paid at once"
    );
    // Poster mode on a recomputable kind: an auditor's challenge decides.
    let spec2 = n.put_blob(
        serde_json::json!({ "model": 0, "answer": format!("Again: {RIVERS}") })
            .to_string()
            .as_bytes(),
    );
    let right2 = answer_receipt(
        &model_corpus(&n.state, &n.blobs, &m.info).unwrap(),
        &format!("Again: {RIVERS}"),
        &params,
    )
    .digest();
    let id2 = task_id(KIND_ATTRIBUTION, &spec2);
    n.ok(
        0,
        post(
            KIND_ATTRIBUTION,
            spec2,
            1_000,
            n.height() + 40,
            Verification::Poster { window: 5 },
        ),
    );
    n.ok(1, ClaimTask { task: id2 }.into());
    n.ok(
        1,
        SubmitResult {
            task: id2,
            result: Hash::of(b"lazy guess"),
        }
        .into(),
    );
    assert_eq!(
        n.fails(4, Challenge { task: id2, bond: 10 }.into()),
        TaskFailure::BondTooSmall
    );
    let (auditor, fees) = (bal(&n, 4), n.fees[4]);
    let r = n.ok(4, Challenge { task: id2, bond: 100 }.into());
    assert!(r
        .events
        .iter()
        .any(|e| matches!(e, Event::Tasks(TaskEvent::TaskUpdated { action, .. }) if action == "challenge_won")));
    assert_eq!(
        bal(&n, 4),
        auditor + 100 - (n.fees[4] - fees),
        "the auditor wins the faulty agent's bond"
    );
    assert_eq!(rep(&n, 1).challenged_lost, 1);
    n.ok(2, ClaimTask { task: id2 }.into());
    n.ok(
        2,
        SubmitResult {
            task: id2,
            result: right2,
        }
        .into(),
    );
    let honest = bal(&n, 2);
    n.ok(4, Challenge { task: id2, bond: 100 }.into());
    assert_eq!(bal(&n, 2), honest + 100, "a wrong challenge pays the claimant");
    n.advance(5);
    n.ok(3, FinalizeTask { task: id2 }.into());
    assert_eq!(task(&n, &id2).status, TaskStatus::Completed);
    // Reputation orders the honest agent first.
    let a1: Agent = read(&n.state, &StateKey::Agent(n.keys[1].address())).unwrap().unwrap();
    let a2: Agent = read(&n.state, &StateKey::Agent(n.keys[2].address())).unwrap().unwrap();
    assert!(rep(&n, 2).score(a2.stake) > rep(&n, 1).score(a1.stake));
    escrow_adds_up(&n);
}

#[test]
fn bad_task_input_is_refused_or_fails_cleanly() {
    let mut n = Net::new();
    register(&mut n, 1, &[KIND], 1_000);
    let refused = |n: &mut Net, who: usize, p: Payload| match n.run(who, p) {
        Err(TxRejection::InvalidTask(m)) => m,
        Err(TxRejection::ZeroAmount) => "zero".into(),
        other => panic!("expected a rejection, got {other:?}"),
    };
    let h = n.height();
    assert!(refused(
        &mut n,
        0,
        post(
            KIND,
            Hash::of(b"a"),
            1 << 100,
            h + 9,
            Verification::Poster { window: 2 }
        )
    )
    .contains("2^96"));
    assert_eq!(
        refused(
            &mut n,
            0,
            post(KIND, Hash::of(b"a"), 0, h + 9, Verification::Poster { window: 2 })
        ),
        "zero"
    );
    assert!(refused(
        &mut n,
        0,
        post(KIND, Hash::of(b"a"), 500, h + 9, Verification::Recompute)
    )
    .contains("recomputed"));
    assert_eq!(
        refused(
            &mut n,
            0,
            Challenge {
                task: Hash::of(b"t"),
                bond: 0
            }
            .into()
        ),
        "a challenge needs a bond"
    );
    assert!(refused(
        &mut n,
        2,
        RegisterAgent {
            name: "x".into(),
            capabilities: vec![],
            endpoint: String::new(),
            stake: 1_000
        }
        .into()
    )
    .contains("capabilities"));
    assert_eq!(
        n.fails(
            0,
            post(
                "no/such-kind",
                Hash::of(b"a"),
                5,
                h + 9,
                Verification::Poster { window: 2 }
            )
        ),
        TaskFailure::UnknownKind
    );
    assert_eq!(
        n.fails(0, post(KIND, Hash::of(b"a"), 5, 1, Verification::Poster { window: 2 })),
        TaskFailure::DeadlinePassed
    );
    assert_eq!(
        n.fails(
            2,
            post(
                KIND,
                Hash::of(b"a"),
                2_000_000_000,
                h + 9,
                Verification::Poster { window: 2 }
            )
        ),
        LedgerFailure::InsufficientBalance,
        "an unfunded reward"
    );
    assert_eq!(
        n.fails(
            2,
            RegisterAgent {
                name: "x".into(),
                capabilities: vec![KIND.into()],
                endpoint: String::new(),
                stake: 1
            }
            .into()
        ),
        LedgerFailure::InsufficientStake
    );
    assert_eq!(
        n.fails(
            1,
            ClaimTask {
                task: Hash::of(b"none")
            }
            .into()
        ),
        TaskFailure::UnknownTask
    );
    assert_eq!(
        n.fails(
            1,
            FinalizeTask {
                task: Hash::of(b"none")
            }
            .into()
        ),
        TaskFailure::UnknownTask
    );
    let spec = Hash::of(b"p");
    n.ok(
        0,
        post(KIND, spec, 500, n.height() + 20, Verification::Poster { window: 2 }),
    );
    assert_eq!(
        n.fails(
            1,
            SubmitResult {
                task: task_id(KIND, &spec),
                result: spec
            }
            .into()
        ),
        TaskFailure::NotClaimant
    );
    assert_eq!(
        n.fails(
            1,
            Challenge {
                task: task_id(KIND, &spec),
                bond: 500
            }
            .into()
        ),
        TaskFailure::NotInReview
    );
    register(&mut n, 2, &["other"], 1_000);
    assert_eq!(
        n.fails(
            2,
            ClaimTask {
                task: task_id(KIND, &spec)
            }
            .into()
        ),
        TaskFailure::NotCapable
    );
    // An agent with open claims cannot retire; one without can, and its stake comes back later.
    n.ok(
        1,
        ClaimTask {
            task: task_id(KIND, &spec),
        }
        .into(),
    );
    assert_eq!(n.fails(1, Payload::Tasks(TaskTx::RetireAgent)), TaskFailure::HasClaims);
    let (before, fees) = (bal(&n, 2), n.fees[2]);
    let stakes = n.balance(&agent_stakes());
    n.ok(2, Payload::Tasks(TaskTx::RetireAgent));
    n.advance(3);
    let a: Agent = read(&n.state, &StateKey::Agent(n.keys[2].address())).unwrap().unwrap();
    assert_eq!(a.status, AgentStatus::Retired);
    assert_eq!(bal(&n, 2), before + 1_000 - (n.fees[2] - fees));
    assert_eq!(n.balance(&agent_stakes()), stakes - 1_000);
    escrow_adds_up(&n);
}

/// Issue 10, hole 3: a second post of the same (kind, spec) with other terms used to be merged
/// silently into the first, so the joiner's reward went to the first poster's deadline, bond,
/// verification and judgement. Only identical terms are joined now, and a poster-verified task
/// only by its poster.
#[test]
fn joining_a_task_needs_the_same_terms() {
    let mut n = Net::new();
    register(&mut n, 1, &[KIND], 1_000);
    let spec = Hash::of(b"shared work");
    let id = task_id(KIND, &spec);
    let deadline = n.height() + 50;
    let quorum = Verification::Quorum {
        window: 5,
        min_verifiers: 1,
        bond: 10,
        slash_bps: 1_000,
        min_stake: 0,
    };
    n.ok(0, post(KIND, spec, 1_000, deadline, quorum));
    let other_deadline = post(KIND, spec, 500, deadline + 1, quorum);
    assert_eq!(n.fails(2, other_deadline), TaskFailure::TermsDiffer);
    let other_mode = post(KIND, spec, 500, deadline, Verification::Poster { window: 5 });
    assert_eq!(n.fails(2, other_mode), TaskFailure::TermsDiffer);
    let mut other_bond = post(KIND, spec, 500, deadline, quorum);
    if let Payload::Tasks(TaskTx::PostTask(PostTask { bond, .. })) = &mut other_bond {
        *bond = 1;
    }
    assert_eq!(n.fails(2, other_bond), TaskFailure::TermsDiffer);
    // The same terms join.
    n.ok(2, post(KIND, spec, 500, deadline, quorum));
    let t = task(&n, &id);
    assert_eq!((t.reward, t.funders.len()), (1_500, 2));
    // A poster-verified task is judged by its poster: nobody else funds it.
    let spec2 = Hash::of(b"judged work");
    n.ok(
        0,
        post(KIND, spec2, 1_000, deadline, Verification::Poster { window: 5 }),
    );
    assert_eq!(
        n.fails(2, post(KIND, spec2, 500, deadline, Verification::Poster { window: 5 })),
        TaskFailure::PosterTask
    );
    escrow_adds_up(&n);
}

/// Issue 10, hole 4: a won challenge on a quorum-verified task reopened it without returning
/// the verifiers' bonds, which stayed in the escrow for ever. Now verifiers who attested the wrong
/// result lose their slash share to the challenger and the rest comes back; the escrow holds
/// exactly what open tasks owe.
#[test]
fn a_won_challenge_on_a_quorum_task_settles_every_verifier_bond() {
    let mut n = Net::with_keys(7);
    with_model(&mut n);
    register(&mut n, 1, &[KIND_ATTRIBUTION], 1_000);
    register(&mut n, 5, &["verifier"], 2_000);
    register(&mut n, 6, &["verifier"], 2_000);
    let answer = format!("Quorum: {RIVERS}");
    let spec = n.put_blob(
        serde_json::json!({ "model": 0, "answer": answer })
            .to_string()
            .as_bytes(),
    );
    let id = task_id(KIND_ATTRIBUTION, &spec);
    let quorum = Verification::Quorum {
        window: 10,
        min_verifiers: 2,
        bond: 300,
        slash_bps: 5_000,
        min_stake: 0,
    };
    n.ok(0, post(KIND_ATTRIBUTION, spec, 1_000, n.height() + 60, quorum));
    n.ok(1, ClaimTask { task: id }.into());
    n.ok(
        1,
        SubmitResult {
            task: id,
            result: Hash::of(b"wrong"),
        }
        .into(),
    );
    n.ok(
        5,
        Attest {
            task: id,
            approve: true,
        }
        .into(),
    );
    n.ok(
        6,
        Attest {
            task: id,
            approve: false,
        }
        .into(),
    );
    escrow_adds_up(&n);
    let (v5, v6, c4) = (bal(&n, 5), bal(&n, 6), bal(&n, 4));
    let r = n.ok(4, Challenge { task: id, bond: 100 }.into());
    assert!(r
        .events
        .iter()
        .any(|e| matches!(e, Event::Tasks(TaskEvent::TaskUpdated { action, .. }) if action == "challenge_won")));
    assert_eq!(bal(&n, 5), v5 + 150, "approved the wrong result: half its bond slashed");
    assert_eq!(bal(&n, 6), v6 + 300, "rejected it: bond back");
    assert_eq!(
        bal(&n, 4),
        c4 - r.fee + 100 + 150,
        "the challenger wins the claimant's bond and the slash"
    );
    let t = task(&n, &id);
    assert_eq!((t.status, t.attestations.len()), (TaskStatus::Open, 0));
    escrow_adds_up(&n);
}

/// A poster that rejects honest work through a quorum it controls, then cancels, gets its reward
/// back and nothing more: bonds forfeited on a task never go to its funders.
#[test]
fn a_poster_never_profits_from_a_forfeited_bond() {
    let mut n = Net::new();
    register(&mut n, 1, &[KIND], 1_000);
    register(&mut n, 2, &["verifier"], 1_000);
    let spec = Hash::of(b"honest work");
    let id = task_id(KIND, &spec);
    let quorum = Verification::Quorum {
        window: 5,
        min_verifiers: 1,
        bond: 10,
        slash_bps: 0,
        min_stake: 0,
    };
    let mut p = post(KIND, spec, 1_000, n.height() + 100, quorum);
    if let Payload::Tasks(TaskTx::PostTask(PostTask { bond, .. })) = &mut p {
        *bond = 1_000;
    }
    n.ok(0, p);
    n.ok(1, ClaimTask { task: id }.into());
    n.ok(
        1,
        SubmitResult {
            task: id,
            result: Hash::of(b"good"),
        }
        .into(),
    );
    // The poster's own verifier rejects it.
    n.ok(
        2,
        Attest {
            task: id,
            approve: false,
        }
        .into(),
    );
    n.advance(6);
    n.ok(3, FinalizeTask { task: id }.into());
    assert_eq!(task(&n, &id).forfeited, 1_000, "the claimant's bond was forfeited");
    let (poster, fees) = (bal(&n, 0), n.fees[0]);
    let treasury = n.balance(&sinew_state::accounts::treasury());
    n.ok(0, CancelTask { task: id }.into());
    assert_eq!(
        bal(&n, 0),
        poster + 1_000 - (n.fees[0] - fees),
        "the reward, not the bond"
    );
    assert_eq!(
        n.balance(&sinew_state::accounts::treasury()),
        treasury + (n.fees[0] - fees) + 1_000
    );
    escrow_adds_up(&n);
}

/// Issue 10, hole 11: a poster offered a 1-block claim window with a large bond, let its own
/// agent take over, and kept the victim's bond. The ledger now asks for a minimum window and a
/// bond no larger than the reward; the SDK's claim policy declines what is still unattractive.
#[test]
fn trap_tasks_are_refused() {
    let mut n = Net::new();
    register(&mut n, 1, &[KIND], 1_000);
    let mut short = post(
        KIND,
        Hash::of(b"trap"),
        1_000,
        n.height() + 50,
        Verification::Poster { window: 2 },
    );
    if let Payload::Tasks(TaskTx::PostTask(PostTask { claim_window, .. })) = &mut short {
        *claim_window = 1;
    }
    match n.run(0, short) {
        Err(TxRejection::InvalidTask(m)) => assert!(m.contains("claim window"), "{m}"),
        other => panic!("{other:?}"),
    }
    let mut greedy = post(
        KIND,
        Hash::of(b"trap"),
        1_000,
        n.height() + 50,
        Verification::Poster { window: 2 },
    );
    if let Payload::Tasks(TaskTx::PostTask(PostTask { bond, .. })) = &mut greedy {
        *bond = 1_001;
    }
    assert_eq!(n.fails(0, greedy), TaskFailure::BondExceedsReward);
}

/// Issue 10, hole 12: attestations were first come, first seated (100 seats): a hundred
/// minimum-stake sybils took every seat and decided. Now a task may ask for a minimum verifier
/// stake, and a full quorum seats a larger stake in place of the smallest.
#[test]
fn quorum_seats_go_by_stake_not_arrival() {
    use sinew_types::task::MAX_ATTESTATIONS;
    let mut n = Net::with_keys(MAX_ATTESTATIONS + 8);
    register(&mut n, 1, &[KIND], 1_000);
    let spec = Hash::of(b"contested");
    let id = task_id(KIND, &spec);
    let quorum = Verification::Quorum {
        window: 1_000,
        min_verifiers: 3,
        bond: 10,
        slash_bps: 5_000,
        min_stake: 1_500,
    };
    n.ok(0, post(KIND, spec, 1_000, n.height() + 2_000, quorum));
    n.ok(1, ClaimTask { task: id }.into());
    n.ok(
        1,
        SubmitResult {
            task: id,
            result: Hash::of(b"r"),
        }
        .into(),
    );
    // A minimum-stake agent is not enough for this task.
    register(&mut n, 2, &["verifier"], 1_000);
    assert_eq!(
        n.fails(
            2,
            Attest {
                task: id,
                approve: false
            }
            .into()
        ),
        TaskFailure::NotStaked
    );
    // Sybils at the task's minimum fill every seat.
    let sybils: Vec<usize> = (8..8 + MAX_ATTESTATIONS).collect();
    for &s in &sybils {
        register(&mut n, s, &["verifier"], 1_500);
        n.ok(
            s,
            Attest {
                task: id,
                approve: false,
            }
            .into(),
        );
    }
    register(&mut n, 3, &["verifier"], 1_500);
    assert_eq!(
        n.fails(
            3,
            Attest {
                task: id,
                approve: true
            }
            .into()
        ),
        TaskFailure::QuorumFull
    );
    // A verifier with more stake takes the smallest seat; the evicted sybil gets its bond back.
    register(&mut n, 4, &["verifier"], 50_000);
    // Equal stakes: the lowest address gives way.
    let evicted = *sybils.iter().min_by_key(|&&s| n.keys[s].address()).unwrap();
    let before = bal(&n, evicted);
    n.ok(
        4,
        Attest {
            task: id,
            approve: true,
        }
        .into(),
    );
    let t = task(&n, &id);
    assert_eq!(t.attestations.len(), MAX_ATTESTATIONS);
    assert!(t.attestations.iter().any(|a| a.verifier == n.keys[4].address()));
    assert!(!t.attestations.iter().any(|a| a.verifier == n.keys[evicted].address()));
    assert_eq!(bal(&n, evicted), before + 10);
    escrow_adds_up(&n);
}

/// Issue 10, 13: a poster could reject every result it saw and then take its reward back at
/// the deadline. Each rejection now pays the rejected claimant a tenth of the reward, and a
/// poster rejects at most three results.
#[test]
fn a_poster_cannot_reject_every_result_for_free() {
    use sinew_types::task::MAX_REJECTIONS;
    let mut n = Net::new();
    register(&mut n, 1, &[KIND], 1_000);
    let spec = Hash::of(b"essay");
    let id = task_id(KIND, &spec);
    n.ok(
        0,
        post(KIND, spec, 1_000, n.height() + 200, Verification::Poster { window: 5 }),
    );
    let mut paid = 0;
    for round in 0..MAX_REJECTIONS {
        n.ok(1, ClaimTask { task: id }.into());
        n.ok(
            1,
            SubmitResult {
                task: id,
                result: Hash::of(&[round as u8]),
            }
            .into(),
        );
        let before = bal(&n, 1);
        let reward = task(&n, &id).reward;
        n.ok(
            0,
            ReviewResult {
                task: id,
                accept: false,
            }
            .into(),
        );
        assert_eq!(
            bal(&n, 1),
            before + 100 + reward / 10,
            "bond back and a tenth of the reward"
        );
        paid += reward / 10;
        escrow_adds_up(&n);
    }
    n.ok(1, ClaimTask { task: id }.into());
    n.ok(
        1,
        SubmitResult {
            task: id,
            result: Hash::of(b"final"),
        }
        .into(),
    );
    assert_eq!(
        n.fails(
            0,
            ReviewResult {
                task: id,
                accept: false
            }
            .into()
        ),
        TaskFailure::RejectionsExhausted
    );
    // Silence accepts: the rest of the reward is paid.
    n.advance(6);
    let before = bal(&n, 1);
    n.ok(2, FinalizeTask { task: id }.into());
    assert_eq!(bal(&n, 1), before + 100 + (1_000 - paid));
    escrow_adds_up(&n);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Random interleavings of every task action by every key: whatever succeeds or fails, the
    /// escrow holds exactly what unfinished tasks owe and supply is conserved (the harness checks
    /// it after every block), and no task is ever paid twice.
    #[test]
    fn escrow_and_bonds_conserve_supply(ops in proptest::collection::vec((0u8..9, 0usize..5, 0usize..3, any::<bool>()), 1..60)) {
        let mut n = Net::new();
        for who in 1..4 {
            register(&mut n, who, &[KIND], 1_000 + who as u128);
        }
        let specs: Vec<Hash> = (0..3).map(|i| Hash::of(&[i as u8])).collect();
        let mut paid = std::collections::BTreeSet::new();
        for (op, who, t, flag) in ops {
            let id = task_id(KIND, &specs[t]);
            let v = if flag { Verification::Poster { window: 2 } } else {
                Verification::Quorum { window: 2, min_verifiers: 1, bond: 50, slash_bps: 5_000, min_stake: 0 }
            };
            let p = match op {
                0 => post(KIND, specs[t], 300, n.height() + 12, v),
                1 => ClaimTask { task: id }.into(),
                2 => SubmitResult { task: id, result: Hash::of(&[who as u8]) }.into(),
                3 => ReviewResult { task: id, accept: flag }.into(),
                4 => Attest { task: id, approve: flag }.into(),
                5 => FinalizeTask { task: id }.into(),
                6 => CancelTask { task: id }.into(),
                7 => Challenge { task: id, bond: 200 }.into(),
                _ => Transfer { to: n.keys[(who + 1) % 5].address(), amount: 1 }.into(),
            };
            if let Ok(r) = n.run(who, p) {
                if let TxStatus::Success = r.status {
                    for e in &r.events {
                        if let Event::Tasks(TaskEvent::TaskCompleted { task, .. }) = e {
                            prop_assert!(paid.insert(*task), "a task was paid twice");
                        }
                    }
                }
            }
            escrow_adds_up(&n);
        }
    }
}
