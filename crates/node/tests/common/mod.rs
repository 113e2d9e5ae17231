//! A node on loopback for API tests, with helpers to sign, submit and wait; and a ready-made
//! inference setup (a published datanet, a provider, a model, a funded API key).
#![allow(dead_code)]

use serde_json::Value;
use sinew_node::NodeConfig;
use sinew_sdk::{sign_with_fee, Client, SubmitOutcome};
use sinew_state::inference::api_key_hash;
use sinew_testkit::test_genesis;
use sinew_types::datanet::{CurationPolicy, DatanetInfo, DatanetRules, Format};
use sinew_types::inference::{KeyScope, ModelInfo, Pricing, Split};
use sinew_types::payload::{
    Contribute, CreateDatanet, DepositPrepaid, PostTask, PublishVersion, RegisterAgent, RegisterApiKey, RegisterModel,
    RegisterProvider, ServeModel, Stake,
};
use sinew_types::task::{task_id, Verification};
use sinew_types::{Hash, Keypair, Params, Payload, TxStatus};

pub struct TestNode {
    pub rt: tokio::runtime::Runtime,
    pub running: Option<sinew_node::RunningNode>,
    pub client: Client,
    pub keys: Vec<Keypair>,
    pub params: Params,
    pub dir: tempfile::TempDir,
}

/// How to start a test node.
#[derive(Default)]
pub struct Options {
    /// Serve models as provider key `n`.
    pub provider: Option<usize>,
    /// Blob size limit (default: the genesis default).
    pub max_blob_bytes: Option<u64>,
    /// Upstream timeout of the gateway, in ms.
    pub upstream_timeout_ms: Option<u64>,
    /// Bytes of uploads no transaction names that the node keeps.
    pub max_unpinned_blob_bytes: Option<u64>,
    /// How the node stores datanet indexes (default: suffix arrays).
    pub index_mode: Option<sinew_attribution::IndexMode>,
}

impl TestNode {
    pub fn start() -> TestNode {
        TestNode::start_with(Options {
            max_blob_bytes: Some(4096),
            ..Options::default()
        })
    }

    pub fn start_with(o: Options) -> TestNode {
        let dir = tempfile::tempdir().unwrap();
        let (mut genesis, keys) = test_genesis(5, 1_000_000_000);
        if let Some(m) = o.max_blob_bytes {
            genesis.params.max_blob_bytes = m;
        }
        let mut config = NodeConfig::new(dir.path().join("node"));
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.block_interval_ms = 5;
        if let Some(t) = o.upstream_timeout_ms {
            config.gateway.upstream_timeout_ms = t;
        }
        if let Some(q) = o.max_unpinned_blob_bytes {
            config.api.max_unpinned_blob_bytes = q;
        }
        if let Some(m) = o.index_mode {
            config.index_mode = m;
        }
        let rt = tokio::runtime::Runtime::new().unwrap();
        let provider = o.provider.map(|i| keys[i].clone());
        let running = rt
            .block_on(sinew_node::service::start_with(config, Some(genesis.clone()), provider))
            .unwrap();
        let client = Client::new(&running.url());
        TestNode {
            rt,
            running: Some(running),
            client,
            keys,
            params: genesis.params,
            dir,
        }
    }

    pub fn url(&self) -> String {
        self.running.as_ref().unwrap().url()
    }

    pub fn nonce(&self, who: usize) -> u64 {
        self.client
            .account(&self.keys[who].address(), None)
            .unwrap()
            .account
            .nonce
    }

    /// Submits and waits: Ok(receipt status) or Err(code of the refusal at admission, or of
    /// the drop from the block).
    pub fn send(&self, who: usize, payload: Payload) -> Result<TxStatus, String> {
        let tx = sign_with_fee(&self.keys[who], "sinew-test", self.nonce(who), payload, &self.params);
        match self.client.submit(&tx, true).unwrap().outcome {
            SubmitOutcome::Committed { receipt, .. } => Ok(receipt.status),
            SubmitOutcome::Refused { error } => Err(error.code),
            SubmitOutcome::Dropped { code, .. } => Err(code),
            other => panic!("unexpected {other:?}"),
        }
    }

    /// The code of a refusal, a drop or a failure in the block ("success" otherwise).
    pub fn outcome(&self, who: usize, payload: Payload) -> String {
        match self.send(who, payload) {
            Ok(TxStatus::Success) => "success".into(),
            Ok(TxStatus::Failed { code, .. }) => code.to_string(),
            Err(code) => code,
        }
    }

    /// The amount held from key `who`'s prepaid balance by reservations in progress.
    pub fn held(&self, who: usize) -> u128 {
        let v: Value = self
            .client
            .get(&format!("/v1/accounts/{}/inference", self.keys[who].address()))
            .unwrap();
        v["prepaid"]["held"].as_str().unwrap().parse().unwrap()
    }

    /// Submits, waits and expects success.
    pub fn ok(&self, who: usize, payload: Payload) {
        assert_eq!(self.send(who, payload), Ok(TxStatus::Success));
    }

    pub fn contribute(&self, datanet: u64, text: &str) -> Payload {
        let ing = sinew_datanet::ingest_blob(text.as_bytes(), &Format::Text { max_record_bytes: 4096 }, "t").unwrap();
        let sinew_sdk::answers::BlobStored { blob, size } = self
            .client
            .upload_blob(text.as_bytes(), Some(text.len() as u64))
            .unwrap();
        Contribute {
            datanet,
            blob,
            size,
            format: Format::Text { max_record_bytes: 4096 },
            record_count: ing.records.len() as u32,
            records_root: sinew_datanet::records_root(&ing.records),
            metadata: String::new(),
        }
        .into()
    }

    pub fn tmp_files(&self) -> usize {
        std::fs::read_dir(self.dir.path().join("node/blobs/tmp"))
            .unwrap()
            .count()
    }

    /// The prepaid balance and claimable rewards of key `who`.
    pub fn inference_account(&self, who: usize) -> (u128, u128) {
        let v: Value = self
            .client
            .get(&format!("/v1/accounts/{}/inference", self.keys[who].address()))
            .unwrap();
        (
            v["prepaid"]["balance"].as_str().unwrap().parse().unwrap(),
            v["rewards"].as_str().unwrap().parse().unwrap(),
        )
    }

    /// A datanet (owner 0) with contributor 1's records in version 1, provider 3 registered at
    /// `endpoint`, model `river-lm` (owner 0, accepted by the provider) and user 2 with API key
    /// [`USER_KEY`] (provider 3 may charge it up to 1,000,000 per request) and 1,000,000 prepaid.
    pub fn setup_inference(&self, endpoint: &str) {
        self.ok(0, create(CurationPolicy::Open));
        self.ok(1, self.contribute(0, RIVERS));
        self.ok(0, PublishVersion { datanet: 0 }.into());
        self.ok(3, Stake { amount: 10_000 }.into());
        self.ok(
            3,
            RegisterProvider {
                name: "test gateway".into(),
                endpoint: endpoint.into(),
            }
            .into(),
        );
        self.ok(
            0,
            RegisterModel {
                info: ModelInfo {
                    name: "river-lm".into(),
                    base_model: "infini-gram".into(),
                    adapter: Some("rivers-adapter".into()),
                    adapter_blob: None,
                    datanets: vec![(0, 1)],
                    tokenizer: "bytes".into(),
                },
                provider: self.keys[3].address(),
                pricing: Pricing {
                    input_per_1k: 1_000,
                    output_per_1k: 2_000,
                },
                split: Split {
                    owner_bps: 2_000,
                    provider_bps: 3_000,
                    contributors_bps: 5_000,
                },
            }
            .into(),
        );
        self.ok(3, ServeModel { model: 0, serve: true }.into());
        self.ok(
            2,
            RegisterApiKey {
                key_hash: api_key_hash(USER_KEY),
                scope: KeyScope::provider(self.keys[3].address(), 1_000_000),
            }
            .into(),
        );
        self.ok(2, DepositPrepaid { amount: 1_000_000 }.into());
    }

    /// After [`TestNode::setup_inference`]: a paid answer of `river-lm` to `prompt`, through
    /// the OpenAI-compatible endpoint with [`USER_KEY`]; its settlement's id, once committed.
    pub fn paid_answer(&self, prompt: &str, max_tokens: u64) -> String {
        let body = serde_json::json!({ "model": "river-lm", "max_tokens": max_tokens,
                                       "messages": [{ "role": "user", "content": prompt }] });
        let a: Value = ureq::post(&format!("{}/v1/chat/completions", self.url()))
            .set("authorization", &format!("Bearer {USER_KEY}"))
            .send_json(body)
            .unwrap()
            .into_json()
            .unwrap();
        let settlement = a["sinew"]["settlement_tx"].as_str().unwrap().to_string();
        self.wait_tx(&settlement);
        settlement
    }

    /// Agent `worker` (key 4, capability `demo/echo`) and an open `demo/echo` task posted by
    /// key 0 (reward 500, checked by the poster); the task's id.
    pub fn agent_and_task(&self) -> Hash {
        self.ok(
            4,
            RegisterAgent {
                name: "worker".into(),
                capabilities: vec!["demo/echo".into()],
                endpoint: String::new(),
                stake: 1_000,
            }
            .into(),
        );
        let spec = self.client.upload_blob(&b"echo this"[..], None).unwrap().blob;
        self.ok(
            0,
            PostTask {
                kind: "demo/echo".into(),
                spec,
                reward: 500,
                deadline: self.client.height().unwrap() + 1_000,
                claim_window: 100,
                bond: 0,
                verification: Verification::Poster { window: 5 },
                parent: None,
            }
            .into(),
        );
        task_id("demo/echo", &spec)
    }

    /// Waits until transaction `id` (hex) is committed; returns its status JSON.
    pub fn wait_tx(&self, id: &str) -> Value {
        for _ in 0..500 {
            let v: Value = self.client.get(&format!("/v1/txs/{id}")).unwrap();
            if v.to_string().contains("committed") {
                return v;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("transaction {id} did not commit");
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.shutdown()).unwrap();
        }
    }
}

/// The user's API key in [`TestNode::setup_inference`].
pub const USER_KEY: &str = "sk-sinew-test-user";

/// The contributed text of [`TestNode::setup_inference`].
pub const RIVERS: &str = "The Danube flows through ten countries before it reaches the Black Sea at a wide delta. \
                          The Rhine carries barges from the Alps to the North Sea past many old castles.";

pub fn create(curation: CurationPolicy) -> Payload {
    CreateDatanet {
        info: DatanetInfo {
            name: "notes".into(),
            description: "d".into(),
            license: "MIT OR Apache-2.0".into(),
            tags: vec![],
        },
        rules: DatanetRules {
            curation,
            contribution_bond: 100,
            reject_slash_bps: 0,
            publish_fee_per_byte: 1,
            refuse_near_duplicates: false,
        },
    }
    .into()
}
