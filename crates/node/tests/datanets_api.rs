//! Datanets over the API: streamed blob upload and verified download, the datanet lifecycle, and
//! bad input refused with a clear error, no state change and no stray file in the blob store.

mod common;

use common::{create, TestNode};
use serde_json::Value;
use sinew_sdk::SdkError;
use sinew_sdk::SubmitOutcome;
use sinew_types::datanet::CurationPolicy;
use sinew_types::payload::{
    Contribute, CreateDatanet, DatanetTx, PublishVersion, RegisterModel, RegisterProvider, Review, Stake,
};
use sinew_types::{Hash, Payload, TxStatus};

#[test]
fn blobs_upload_stream_and_verify() {
    let n = TestNode::start();
    let body = b"some bytes worth keeping".to_vec();
    let sinew_sdk::answers::BlobStored { blob: id, size } = n.client.upload_blob(&body[..], None).unwrap();
    assert_eq!((id, size), (Hash::of(&body), body.len() as u64));
    let got = ureq::get(&format!("{}/v1/blobs/{id}", n.url())).call().unwrap();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut got.into_reader(), &mut bytes).unwrap();
    assert_eq!(bytes, body);
    // Oversized: refused (declared and undeclared length), nothing left behind.
    match n.client.upload_blob(&vec![1u8; 5000][..], Some(5000)) {
        Err(SdkError::Api { status: 413, .. }) => {}
        other => panic!("{other:?}"),
    }
    match n
        .client
        .upload_blob(std::io::Read::chain(&vec![1u8; 3000][..], &vec![2u8; 3000][..]), None)
    {
        Err(SdkError::Api { status: 413, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(n.tmp_files(), 0, "no stray partial upload");
    // Unknown and malformed ids.
    let status = |path: &str| match ureq::get(&format!("{}{path}", n.url())).call() {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(s, _)) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(status(&format!("/v1/blobs/{}", Hash::of(b"nope"))), 404);
    assert_eq!(status("/v1/blobs/..%2F..%2Fetc%2Fpasswd"), 400);
    // A corrupted file on disk is detected and never served.
    let hex = id.to_string();
    std::fs::write(
        n.dir.path().join("node/blobs").join(&hex[..2]).join(&hex[2..]),
        b"tampered",
    )
    .unwrap();
    assert_eq!(status(&format!("/v1/blobs/{id}")), 500);
}

#[test]
fn datanet_lifecycle_and_bad_input_over_the_api() {
    let n = TestNode::start();
    let c = &n.client;
    let mut bad = create(CurationPolicy::OwnerCurated);
    if let Payload::Datanet(DatanetTx::CreateDatanet(CreateDatanet { info, .. })) = &mut bad {
        info.license = "Made-Up-1.0".into();
    }
    assert_eq!(n.send(0, bad), Err("invalid_datanet".into()));
    assert_eq!(n.send(0, create(CurationPolicy::OwnerCurated)), Ok(TxStatus::Success));
    let contrib = n.contribute(0, "First record about rivers.\n\nSecond record about lakes.");
    // Bad contributions are included and fail: the contributor pays the fee, including the work
    // of ingesting the blob, and nothing else changes (nobody makes the node ingest for free).
    let before = c.account(&n.keys[1].address(), None).unwrap().account;
    let fee_of = |p: &Payload| {
        sinew_sdk::sign_with_fee(&n.keys[1], "sinew-test", 0, p.clone(), &n.params)
            .tx
            .max_fee
    };
    let mut wrong = contrib.clone();
    if let Payload::Datanet(DatanetTx::Contribute(Contribute { record_count, .. })) = &mut wrong {
        *record_count = 5;
    }
    let mut missing = contrib.clone();
    if let Payload::Datanet(DatanetTx::Contribute(Contribute { blob, .. })) = &mut missing {
        *blob = Hash::of(b"not uploaded");
    }
    let mut elsewhere = contrib.clone();
    if let Payload::Datanet(DatanetTx::Contribute(Contribute { datanet, .. })) = &mut elsewhere {
        *datanet = 7;
    }
    let fees: u128 = [&wrong, &elsewhere].into_iter().map(fee_of).sum();
    assert!(fees > 2 * n.params.fee_for(200), "the work is priced");
    assert_eq!(n.outcome(1, wrong), "blob_mismatch");
    assert_eq!(n.outcome(1, elsewhere), "unknown_datanet");
    // A blob the node never had is refused at admission, for free.
    assert_eq!(n.send(1, missing), Err("unknown_blob".into()));
    // Cheap transactions that would only fail are still refused at admission, for free.
    assert_eq!(
        n.send(0, PublishVersion { datanet: 0 }.into()),
        Err("nothing_approved".into())
    );
    let after = c.account(&n.keys[1].address(), None).unwrap().account;
    assert_eq!(after.balance, before.balance - fees);
    assert_eq!(after.nonce, before.nonce + 2);
    assert_eq!((after.staked, after.unbonding), (before.staked, before.unbonding));
    // The real thing, then a duplicate, then reviews. A contributed blob is kept for good.
    assert_eq!(n.send(1, contrib.clone()), Ok(TxStatus::Success));
    if let Payload::Datanet(DatanetTx::Contribute(Contribute { blob, .. })) = &contrib {
        assert!(
            n.dir.path().join("node/blobs/pins").join(blob.to_string()).exists(),
            "pinned"
        );
    }
    assert_eq!(n.outcome(2, contrib), "duplicate_record");
    let approve: Payload = Review {
        datanet: 0,
        contribution: 0,
        approve: true,
        reason: String::new(),
    }
    .into();
    assert_eq!(n.send(2, approve.clone()), Err("not_reviewer".into()));
    assert_eq!(n.send(0, approve.clone()), Ok(TxStatus::Success));
    assert_eq!(n.send(0, approve), Err("already_decided".into()));
    assert_eq!(n.send(0, PublishVersion { datanet: 0 }.into()), Ok(TxStatus::Success));
    // Queries: datanet with its version, contributions by contributor, records with provenance.
    let d: Value = c.get("/v1/datanets/0").unwrap();
    assert_eq!(d["versions"][0]["records"], 2);
    let v: Value = c.get("/v1/datanets/0/versions/1").unwrap();
    assert_eq!(v["contributions"], 1);
    let mine: Value = c
        .get(&format!(
            "/v1/datanets/0/contributions?contributor={}",
            n.keys[1].address()
        ))
        .unwrap();
    assert_eq!(mine["contributions"].as_array().unwrap().len(), 1);
    let theirs: Value = c
        .get(&format!(
            "/v1/datanets/0/contributions?contributor={}",
            n.keys[2].address()
        ))
        .unwrap();
    assert!(theirs["contributions"].as_array().unwrap().is_empty());
    let r: Value = c.get("/v1/datanets/0/records?offset=1&limit=5").unwrap();
    assert_eq!(r["records"].as_array().unwrap().len(), 1);
    assert_eq!(r["records"][0]["text"], "Second record about lakes.");
    assert_eq!(
        (r["records"][0]["start"].as_u64(), r["records"][0]["end"].as_u64()),
        (Some(28), Some(54))
    );
    let all: Value = c
        .get(&format!("/v1/contributions?contributor={}", n.keys[1].address()))
        .unwrap();
    assert_eq!(all["contributions"][0]["datanet"], 0);
    // Attribution against the published version's index.
    let ix: Value = c.get("/v1/datanets/0/versions/1/index").unwrap();
    assert_eq!(ix["documents"], 2);
    let receipt: Value = c
        .post_json(
            "/v1/datanets/0/versions/1/attribute",
            &serde_json::json!({ "text": "Well: Second record about lakes.", "min_len": 10 }),
        )
        .unwrap();
    assert_eq!(receipt["weights"], serde_json::json!([[0, 1_000_000]]));
    assert_eq!(receipt["spans"][0]["record"], 1);
    assert_eq!(receipt["min_len"], 10);
    assert_eq!(
        receipt["max_count"], 10,
        "defaults to the ledger's attribution_max_count"
    );
    // A caller asking for every occurrence of every one-token span gets the ledger's bounds.
    let greedy: Value = c
        .post_json(
            "/v1/datanets/0/versions/1/attribute",
            &serde_json::json!({ "text": "Well: Second record about lakes.", "min_len": 0, "max_count": u64::MAX }),
        )
        .unwrap();
    assert_eq!(
        (greedy["min_len"].as_u64(), greedy["max_count"].as_u64()),
        (Some(1), Some(10))
    );
    // Another tokenizer's index is built only once a model uses it (a stranger cannot make the
    // node build and store every tokenizer's index of every version).
    let refused = c.post_json::<Value, _>(
        "/v1/datanets/0/versions/1/attribute",
        &serde_json::json!({ "text": "Well: Second record about lakes.", "min_len": 3, "tokenizer": "gpt2" }),
    );
    assert!(matches!(refused, Err(SdkError::Api { status: 404, .. })), "{refused:?}");
    n.ok(3, Stake { amount: 10_000 }.into());
    n.ok(
        3,
        RegisterProvider {
            name: "p".into(),
            endpoint: "builtin".into(),
        }
        .into(),
    );
    n.ok(
        3,
        RegisterModel {
            info: sinew_types::inference::ModelInfo {
                name: "lakes-gpt2".into(),
                base_model: "infini-gram".into(),
                adapter: None,
                adapter_blob: None,
                datanets: vec![(0, 1)],
                tokenizer: "gpt2".into(),
            },
            provider: n.keys[3].address(),
            pricing: sinew_types::inference::Pricing {
                input_per_1k: 1,
                output_per_1k: 1,
            },
            split: sinew_types::inference::Split {
                owner_bps: 2_000,
                provider_bps: 3_000,
                contributors_bps: 5_000,
            },
        }
        .into(),
    );
    // The same version indexed with GPT-2 tokens: offsets and lengths count tokens.
    let gpt2: Value = c
        .post_json(
            "/v1/datanets/0/versions/1/attribute",
            &serde_json::json!({ "text": "Well: Second record about lakes.", "min_len": 3, "tokenizer": "gpt2" }),
        )
        .unwrap();
    assert_eq!(gpt2["tokenizer"], "gpt2");
    assert_eq!(gpt2["weights"], serde_json::json!([[0, 1_000_000]]));
    // "Well|:| Second| record| about| lakes|." against "Second| record| about| lakes|.": the
    // leading " Second" is another token than "Second", the final "." is trimmed.
    assert_eq!(
        (
            &gpt2["spans"][0]["answer_offset"],
            &gpt2["spans"][0]["len"],
            &gpt2["spans"][0]["record_offset"]
        ),
        (&serde_json::json!(3), &serde_json::json!(3), &serde_json::json!(1)),
        "{gpt2}"
    );
    assert_ne!(gpt2["index"], receipt["index"]);
    assert!(matches!(
        c.get::<Value>("/v1/datanets/0/versions/1/index?tokenizer=llama"),
        Err(SdkError::Api { status: 400, .. })
    ));
    assert!(matches!(
        c.get::<Value>("/v1/datanets/0/versions/9/index"),
        Err(SdkError::Api { status: 404, .. })
    ));
    // Version 2 adds one contribution: indexed from version 1's shards (only the new records
    // tokenized and sorted), with the id the same records get when indexed at once, and answers
    // over both versions' records.
    n.ok(
        1,
        n.contribute(0, "A third record, about the deltas rivers build at the sea."),
    );
    n.ok(
        0,
        Review {
            datanet: 0,
            contribution: 1,
            approve: true,
            reason: String::new(),
        }
        .into(),
    );
    n.ok(0, PublishVersion { datanet: 0 }.into());
    let v2: Value = c.get("/v1/datanets/0/versions/2/index").unwrap();
    assert_eq!(v2["documents"], 3);
    let texts = [
        ("First record about rivers.", 0, 0),
        ("Second record about lakes.", 0, 1),
        ("A third record, about the deltas rivers build at the sea.", 1, 0),
    ];
    let r1: Value = c.get("/v1/datanets/0/records?offset=0&limit=5").unwrap();
    assert_eq!(r1["records"][0]["text"], texts[0].0, "the records this test assumes");
    let docs: Vec<(sinew_attribution::DocRef, &[u8])> = texts
        .iter()
        .map(|(t, c, r)| {
            let at = sinew_attribution::DocRef {
                contribution: *c,
                record: *r,
            };
            (at, t.as_bytes())
        })
        .collect();
    let at_once = sinew_attribution::Index::build(&docs).unwrap();
    assert_eq!(v2["index"], at_once.chain_end().to_string());
    assert_ne!(v2["index"], ix["index"], "a new version, a new id");
    let both: Value = c
        .post_json(
            "/v1/datanets/0/versions/2/attribute",
            &serde_json::json!({ "text": "Second record about lakes. Then: the deltas rivers build at the sea.", "min_len": 10 }),
        )
        .unwrap();
    assert_eq!(both["index"], v2["index"]);
    let weights: Vec<u64> = both["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w[0].as_u64().unwrap())
        .collect();
    assert_eq!(weights, vec![0, 1], "{both}");
    let list: Value = c.get("/v1/datanets").unwrap();
    assert_eq!(list["datanets"].as_array().unwrap().len(), 1);
    assert!(matches!(
        c.get::<Value>("/v1/datanets/9"),
        Err(SdkError::Api { status: 404, .. })
    ));
    assert_eq!(n.tmp_files(), 0);
}

/// Uploads are open to anyone, so those no transaction names share a quota: past it, the node
/// answers 507 and keeps nothing; a blob a transaction names is kept for good and leaves the quota.
#[test]
fn uploads_nobody_names_share_a_quota() {
    let n = TestNode::start_with(common::Options {
        max_blob_bytes: Some(4096),
        max_unpinned_blob_bytes: Some(10_000),
        ..Default::default()
    });
    let c = &n.client;
    let mut kept = Vec::new();
    for i in 0..3u8 {
        let sinew_sdk::answers::BlobStored { blob: id, size: _ } = c.upload_blob(&[i; 3_000][..], Some(3_000)).unwrap();
        kept.push(id);
    }
    let refused = c.upload_blob(&[9u8; 3_000][..], Some(3_000));
    assert!(
        matches!(&refused, Err(SdkError::Api { status: 507, code, .. }) if code == "quota_exceeded"),
        "{refused:?}"
    );
    let hex = Hash::of(&[9u8; 3_000]).to_string();
    assert!(
        !n.dir.path().join("node/blobs").join(&hex[..2]).join(&hex[2..]).exists(),
        "the refused upload is not kept"
    );
    // Naming an upload in a transaction pins it and frees its share of the quota.
    n.ok(0, create(CurationPolicy::Open));
    let contrib = n.contribute(0, "A record about rivers and lakes, long enough to be one record.");
    let held = 9_000 + 62;
    assert!(
        matches!(
            c.upload_blob(&[8u8; 1_000][..], Some(1_000)),
            Err(SdkError::Api { status: 507, .. })
        ),
        "{held} + 1,000 is over the quota"
    );
    assert_eq!(n.send(1, contrib), Ok(TxStatus::Success));
    let sinew_sdk::answers::BlobStored { blob: again, size: _ } =
        c.upload_blob(&[8u8; 1_000][..], Some(1_000)).unwrap();
    assert!(
        !kept.contains(&again),
        "9,000 + 1,000 fits once the contributed blob is pinned"
    );
}

/// Issue 10, hole 5: ingesting a contribution's blob is costly work, so the node does it only for
/// a transaction certain to pay for it. A bad signature, an unknown signer, another chain or a
/// nonce that is not next in line is refused (or waits) without the blob ever being parsed.
#[test]
fn contributions_that_cannot_pay_yet_cost_the_node_no_ingestion() {
    let n = TestNode::start();
    n.ok(0, create(CurationPolicy::OwnerCurated));
    let contrib = n.contribute(0, "A record about glaciers.\n\nAnother about fjords.");
    let ingestions = || n.running.as_ref().unwrap().node.ledger.blobs.ingestions();
    let submit = |tx: &sinew_types::SignedTransaction| n.client.submit(tx, false).unwrap().outcome;
    let refused = |tx: &sinew_types::SignedTransaction| match submit(tx) {
        SubmitOutcome::Refused { error } => error.code,
        other => panic!("{other:?}"),
    };
    let signed = |key: &sinew_types::Keypair, chain: &str, nonce: u64| {
        sinew_sdk::sign_with_fee(key, chain, nonce, contrib.clone(), &n.params)
    };
    let nonce = n.nonce(1);
    let before = ingestions();
    let mut forged = signed(&n.keys[1], "sinew-test", nonce);
    forged.signature.0[7] ^= 1;
    assert_eq!(refused(&forged), "bad_signature");
    let stranger = sinew_types::Keypair::generate();
    assert_eq!(refused(&signed(&stranger, "sinew-test", 0)), "unknown_account");
    assert_eq!(refused(&signed(&n.keys[1], "another-chain", nonce)), "wrong_chain");
    // Ahead of its signer's next nonce: admitted to wait, but nothing is done for it yet.
    assert!(matches!(
        submit(&signed(&n.keys[1], "sinew-test", nonce + 3)),
        SubmitOutcome::Pending
    ));
    assert_eq!(ingestions(), before, "no blob parsed for any of them");
    let metrics = ureq::get(&format!("{}/metrics", n.url()))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(
        metrics.contains(&format!("sinew_blob_ingestions {before}")),
        "{metrics}"
    );
    // Next in line: parsed (once), included, paid for.
    assert_eq!(n.send(1, contrib.clone()), Ok(TxStatus::Success));
    assert_eq!(ingestions(), before + 1);
}
