//! Every route of the API answers through its typed SDK method, with the answer the route table
//! names: the match below is over `Route` with no wildcard, so a route added to the table does
//! not compile here until the SDK has a method for it and this test calls it.

mod common;

use common::{Options, TestNode, USER_KEY};
use sinew_sdk::{
    ActivityQuery, AgentFilter, AnswerQuery, ContributionFilter, EventFilter, Page, RecordPage, SdkError, TaskFilter,
};
use sinew_types::api::openai::ChatMessage;
use sinew_types::api::requests::{AttributeRequest, ChatRequest, CompletionRequest};
use sinew_types::api::Route;
use sinew_types::failure::TaskFailure;
use sinew_types::payload::{ClaimTask, PostTask, RegisterAgent, Transfer};
use sinew_types::task::{task_id, Verification};
use sinew_types::Hash;

#[test]
fn every_route_answers_through_its_typed_sdk_method() {
    let n = TestNode::start_with(Options {
        provider: Some(3),
        ..Options::default()
    });
    n.setup_inference("builtin");
    let c = &n.client;
    let (owner, contributor, user) = (&n.keys[0], &n.keys[1], &n.keys[2]);
    // An agent and a task, through `send`.
    c.send(
        &n.keys[4],
        RegisterAgent {
            name: "worker".into(),
            capabilities: vec!["demo/echo".into()],
            endpoint: String::new(),
            stake: 1_000,
        }
        .into(),
    )
    .unwrap();
    let spec = c.upload_blob(&b"echo this"[..], None).unwrap().blob;
    let post = PostTask {
        kind: "demo/echo".into(),
        spec,
        reward: 500,
        deadline: c.height().unwrap() + 1_000,
        claim_window: 100,
        bond: 0,
        verification: Verification::Poster { window: 5 },
        parent: None,
    };
    c.send(owner, post.into()).unwrap();
    let task = task_id("demo/echo", &spec);
    // A transaction that would fail comes back with the ledger's typed code.
    match c.send(owner, ClaimTask { task }.into()) {
        Err(e @ SdkError::Refused { .. }) => assert_eq!(e.failure(), Some(TaskFailure::UnknownAgent.into())),
        other => panic!("an account that is no agent cannot claim: {other:?}"),
    }
    let receipt = c
        .send(
            owner,
            Transfer {
                to: user.address(),
                amount: 1,
            }
            .into(),
        )
        .unwrap();
    let head = c.height().unwrap().to_string();

    for route in Route::ALL {
        match route {
            Route::Health => assert_eq!(c.health().unwrap().chain_id, "sinew-test"),
            Route::Metrics => assert!(c.metrics().unwrap().contains("sinew_blocks_committed_total")),
            Route::OpenApi => assert!(c.openapi().unwrap()["paths"].is_object()),
            Route::Chain => assert_eq!(c.chain().unwrap().genesis.chain_id, "sinew-test"),
            Route::Params => assert!(c.params().unwrap().base_fee > 0),
            Route::SubmitTx => {} // `send` above
            Route::SubmitBatch => {
                let tx = c
                    .build(
                        owner,
                        Transfer {
                            to: user.address(),
                            amount: 1,
                        }
                        .into(),
                        None,
                    )
                    .unwrap();
                assert_eq!(c.submit_batch(&[tx], true).unwrap().results.len(), 1);
            }
            Route::TxStatus => assert_eq!(c.tx(&receipt.tx_id).unwrap().status(), "committed"),
            Route::Account => assert!(c.account(&owner.address(), None).unwrap().exists),
            Route::StateValue => {
                let key = sinew_state::StateKey::Account(owner.address()).encode();
                assert!(c.state_value(&key, None).unwrap().value.is_some());
            }
            Route::LatestBlock => assert!(c.latest_block().unwrap().header.height > 0),
            Route::BlockTxs => {
                let head = c.latest_block().unwrap();
                let h = head.header.height.to_string();
                let all = c.block_txs(&h, None, None).unwrap();
                assert_eq!(all.hash, head.hash);
                assert_eq!(all.txs.iter().map(|t| t.id).collect::<Vec<_>>(), head.tx_ids);
                assert!(all.txs.iter().all(|t| t.receipt.tx_id == t.id));
                let beyond = c.block_txs(&h, Some(u32::MAX), Some(5)).unwrap();
                assert!(beyond.txs.is_empty(), "a range past the end is empty");
            }
            Route::Blocks => {
                let head = c.latest_block().unwrap().header.height;
                let page = c.blocks(None, Some(2)).unwrap();
                let heights: Vec<_> = page.blocks.iter().map(|b| b.header.height).collect();
                assert!(heights[0] >= head && heights[1] == heights[0] - 1, "{heights:?}");
                assert_eq!(page.blocks[0].hash, page.blocks[0].header.hash());
                let older = c.blocks(page.next, Some(100)).unwrap();
                assert_eq!(older.blocks.first().unwrap().header.height, heights[1] - 1);
                if heights[1] <= 100 {
                    assert_eq!(older.blocks.last().unwrap().header.height, 0, "down to genesis");
                    assert_eq!(older.next, None);
                }
                assert!(c.blocks(Some(0), None).unwrap().blocks.is_empty());
            }
            Route::Block => assert_eq!(c.block(&head).unwrap().header.height.to_string(), head),
            Route::BlockReceipts => assert!(!c.receipts(&head).unwrap().receipts.is_empty() || head == "0"),
            Route::Events => {
                let mut events = c.events(&EventFilter::default()).unwrap();
                c.send(
                    owner,
                    Transfer {
                        to: user.address(),
                        amount: 2,
                    }
                    .into(),
                )
                .unwrap();
                let first = events.next().expect("an event").unwrap();
                assert!(first.height > 0);
            }
            Route::UploadBlob => assert_eq!(c.upload_blob(&b"x"[..], Some(1)).unwrap().size, 1),
            Route::DownloadBlob => assert_eq!(c.blob(&spec).unwrap(), b"echo this"),
            Route::Datanets => assert_eq!(c.datanets(&Page::default()).unwrap().datanets.len(), 1),
            Route::Datanet => assert_eq!(c.datanet(0).unwrap().versions.len(), 1),
            Route::DatanetVersion => assert_eq!(c.datanet_version(0, 1).unwrap().contributions, 1),
            Route::DatanetContributions => {
                let page = c.datanet_contributions(0, &ContributionFilter::default()).unwrap();
                assert_eq!(page.contributions[0].contributor, contributor.address());
            }
            Route::DatanetRecords => assert!(!c.datanet_records(0, &RecordPage::default()).unwrap().records.is_empty()),
            Route::Contributions => {
                let mine = ContributionFilter {
                    contributor: Some(contributor.address().to_string()),
                    ..ContributionFilter::default()
                };
                assert_eq!(c.contributions(&mine).unwrap().contributions.len(), 1);
            }
            Route::VersionIndex => assert!(c.version_index(0, 1, None).unwrap().tokens > 0),
            Route::AttributeToVersion => {
                let req = AttributeRequest {
                    text: "The Danube flows through ten countries".into(),
                    ..AttributeRequest::default()
                };
                assert!(!c.attribute_to_version(0, 1, &req).unwrap().spans.is_empty());
            }
            Route::DatanetModels => assert_eq!(c.datanet_models(0, &Page::default()).unwrap().models.len(), 1),
            Route::Models => assert_eq!(c.models(&Page::default()).unwrap().models[0].info.name, "river-lm"),
            Route::Model => assert_eq!(c.model(0).unwrap().lineage[0].datanet, 0),
            Route::Providers => assert_eq!(c.providers(&Page::default()).unwrap().providers.len(), 1),
            Route::AccountInference => assert!(c.account_inference(&user.address()).unwrap().prepaid_available > 0),
            Route::OpenAiModels => assert_eq!(c.served_models().unwrap().data[0].id, "river-lm"),
            Route::ChatCompletions => {
                let req = ChatRequest {
                    model: "river-lm".into(),
                    messages: vec![ChatMessage {
                        role: "user".into(),
                        content: "The Danube flows".into(),
                    }],
                    max_tokens: Some(60),
                    seed: None,
                    stream: false,
                };
                let a = c.chat(USER_KEY, &req, None).unwrap();
                assert!(a.sinew.fee > 0 && !a.sinew.spans.is_empty(), "{a:?}");
            }
            Route::Completions => {
                let req = CompletionRequest {
                    model: "river-lm".into(),
                    prompt: "Lake".into(),
                    max_tokens: Some(8),
                    seed: None,
                    stream: false,
                };
                assert_eq!(c.complete(USER_KEY, &req, None).unwrap().object, "text_completion");
            }
            Route::AttributeToModel => {
                let a = c
                    .attribute_to_model(0, "The Danube flows through ten countries")
                    .unwrap();
                assert!(!a.receipt.weights.is_empty());
                // Each span placed in the text (bytes) and named by datanet and contribution.
                let text = "The Danube flows through ten countries";
                assert_eq!(a.places.len(), a.receipt.spans.len());
                for (p, s) in a.places.iter().zip(&a.receipt.spans) {
                    assert_eq!(p.end - p.start, s.len, "byte tokens: {p:?}");
                    assert!(text.get(p.start as usize..p.end as usize).is_some());
                    assert_eq!((p.datanet, p.contribution), (0, 0));
                }
                assert_eq!(a.shares.iter().map(|s| s.ppm).sum::<u32>(), 1_000_000);
            }
            Route::AccountActivity => {
                let q = |before: Option<&str>, limit, rewards| ActivityQuery {
                    rewards,
                    before: before.map(str::to_string),
                    limit,
                };
                let first = c.account_activity(&user.address(), &q(None, Some(2), None)).unwrap();
                assert_eq!(first.events.len(), 2);
                assert!(first.events.iter().all(|e| e.event.involves(&user.address())));
                assert!(first.events[0].height >= first.events[1].height, "newest first");
                let older = c
                    .account_activity(&user.address(), &q(first.next.as_deref(), Some(500), None))
                    .unwrap();
                assert!(older.events.iter().all(|e| e.height <= first.events[1].height));
                let bad = c.account_activity(&user.address(), &q(Some("00"), None, None));
                assert!(bad.is_err(), "a bad cursor");
            }
            Route::Answers => {
                let req = ChatRequest {
                    model: "river-lm".into(),
                    messages: vec![ChatMessage {
                        role: "user".into(),
                        content: "The Danube flows".into(),
                    }],
                    max_tokens: Some(40),
                    seed: None,
                    stream: false,
                };
                let a = c.chat(USER_KEY, &req, None).unwrap();
                n.wait_tx(&a.sinew.settlement_tx.to_string());
                let all = c.answers(&AnswerQuery::default()).unwrap();
                // The contributor's rewards, apart from everything else it did.
                let only_rewards = ActivityQuery {
                    rewards: Some(true),
                    ..ActivityQuery::default()
                };
                let rewards = c.account_activity(&contributor.address(), &only_rewards).unwrap();
                assert!(!rewards.events.is_empty());
                assert!(rewards.events.iter().all(|e| e.event.kind() == "reward_accrued"));
                assert_eq!(all.events[0].tx_id, Some(a.sinew.settlement_tx), "the newest first");
                assert!(!all.events.is_empty(), "the settled answers");
                let of_model = c
                    .answers(&AnswerQuery {
                        model: Some(0),
                        ..AnswerQuery::default()
                    })
                    .unwrap();
                assert_eq!(of_model.events, all.events, "one model");
                let none = c
                    .answers(&AnswerQuery {
                        model: Some(9),
                        ..AnswerQuery::default()
                    })
                    .unwrap();
                assert!(none.events.is_empty());
            }
            Route::Agents => assert_eq!(c.agents(&AgentFilter::default()).unwrap().agents.len(), 1),
            Route::Agent => assert_eq!(c.agent(&n.keys[4].address()).unwrap().agent.name, "worker"),
            Route::Tasks => assert_eq!(c.tasks(&TaskFilter::default()).unwrap().tasks.len(), 1),
            Route::Task => assert_eq!(c.task(&task).unwrap().task.reward, 500),
            Route::TaskHistory => {
                let h = c.task_history(&task, &ActivityQuery::default()).unwrap();
                let kinds: Vec<_> = h.events.iter().map(|e| e.event.kind()).collect();
                assert_eq!(kinds.last(), Some(&"task_posted"), "the oldest: {h:?}");
                assert!(h.events.iter().all(|e| e.event.task() == Some(&task)));
                let other = c.task_history(&Hash([7; 32]), &ActivityQuery::default()).unwrap();
                assert!(other.events.is_empty());
            }
            Route::Validators => assert!(c.validators().unwrap().validators.is_empty(), "a single-node devnet"),
            Route::Consensus => {
                let s = c.consensus().unwrap();
                assert_eq!(s.engine, "sequencer");
                assert!(s.finalized_height >= 1);
            }
            Route::BlockFinalization => {
                let e = c.finalization("1").unwrap_err().to_string();
                assert!(e.contains("signs no finalization certificates"), "{e}");
            }
        }
    }
}
