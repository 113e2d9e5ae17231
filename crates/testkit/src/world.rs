//! A whole ledger under test: replicas of the chain over in-memory state, the participants'
//! keys and nonces, sample blobs (contributions, task specs), and the fixtures a run starts from
//! (datanets, a provider serving a model, a user with scoped API keys and prepaid funds, agents and
//! verifiers). Each block is proposed by the first replica and validated by the others; after it,
//! the replicas agree and the whole-ledger invariant holds, or the block reports which broke.

use crate::blobs::MemBlobs;
use crate::genesis::test_genesis;
use crate::invariants::check_ledger;
use sinew_state::inference::{answer_receipt, api_key_hash, model_corpus};
use sinew_state::{read, Account, BlockEffects, Chain, MemState, Model, StateKey};
use sinew_types::datanet::{CurationPolicy, DatanetInfo, DatanetRules, Format};
use sinew_types::inference::KeyScope;
use sinew_types::payload::{
    Contribute, CreateDatanet, DepositPrepaid, PostTask, PublishVersion, RegisterAgent, RegisterApiKey,
    RegisterProvider, ServeModel, Stake, TaskTx,
};
use sinew_types::task::KIND_ATTRIBUTION;
use sinew_types::{Block, Hash, Keypair, Params, Payload, Transaction, TxStatus};
use std::collections::BTreeMap;

const TEXTS: [&str; 6] = [
    "The Danube flows through ten countries before it reaches the Black Sea at a wide delta.",
    "Lake Baikal in Siberia holds about a fifth of the unfrozen fresh water on the planet.",
    "The Nile was long thought to be the longest river in the world by most geographers.",
    "the danube flows through ten countries before it reaches the black sea at a wide delta",
    "Glaciers carve valleys slowly, leaving moraines and lakes behind when they retreat north.",
    "The Rhine carries barges from the Alps to the North Sea past many old castles and vineyards.",
];
pub(crate) const ANSWERS: [&str; 3] = [
    "Indeed, the Danube flows through ten countries before it reaches the Black Sea, they say.",
    "Lake Baikal in Siberia holds about a fifth of the unfrozen fresh water.",
    "Nothing here matches anything at all.",
];
pub(crate) const DEMO: &str = "demo/summarize";
/// API key `i` of the user: key 0 pays only with vouchers; keys 0 to 3 exist from the start,
/// 4 to 7 once registered by an operation.
pub(crate) fn user_key(i: u8) -> String {
    format!("sk-fuzz-{}", i % 8)
}
pub(crate) const KEYS: usize = 8;

/// A ledger under test: replicas, the blobs, the keys and their next nonces.
pub struct World {
    /// The replicas; the first proposes.
    pub replicas: Vec<(Chain, MemState)>,
    /// Blobs every replica reads.
    pub blobs: MemBlobs,
    /// The participants' keys (see [`World::setup`] for their roles).
    pub keys: Vec<Keypair>,
    nonces: Vec<u64>,
    /// Blobs contributors may name, with their payloads (datanet filled in per op).
    pub(crate) contributions: Vec<Payload>,
    /// Task specs: (kind, spec).
    pub(crate) specs: Vec<(String, Hash)>,
    pub(crate) voucher_signer: Keypair,
    /// Outcomes per payload kind: succeeded, failed, not included.
    pub stats: BTreeMap<crate::kinds::OpKind, [u64; 3]>,
    /// Failure and rejection codes per payload kind.
    pub codes: BTreeMap<(crate::kinds::OpKind, String), u64>,
    /// Tasks posted so far, most recent last: where task actions mostly go.
    pub(crate) live: Vec<(String, Hash)>,
    /// The timestamp of the next block (milliseconds; the simulation's clock moves it).
    pub clock_ms: u64,
    /// The genesis every replica started from.
    pub genesis: sinew_state::Genesis,
    /// When kept (`Some`), blocks committed since the journal was last drained, with their
    /// effects: what a durable replica stores.
    pub journal: Option<Vec<(Block, BlockEffects)>>,
}

/// What a block broke, in words: replicas disagreeing, a proposal that does not validate, or a
/// ledger invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The height of the block.
    pub height: u64,
    /// What broke.
    pub what: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at height {}: {}", self.height, self.what)
    }
}

impl Default for World {
    fn default() -> World {
        World::new()
    }
}

impl World {
    /// A fresh ledger with two replicas.
    pub fn new() -> World {
        World::with_replicas(2)
    }

    /// A fresh ledger with `n` (at least one) replicas, each from the same dev genesis.
    pub fn with_replicas(n: usize) -> World {
        let (genesis, keys) = test_genesis(KEYS, 1_000_000_000);
        let replicas = (0..n.max(1))
            .map(|_| {
                let (mut chain, g) = Chain::from_genesis(&genesis, 4).expect("genesis");
                let mut state = MemState::default();
                state.apply(&g.effects.writes);
                chain.commit(g);
                (chain, state)
            })
            .collect();
        let mut blobs = MemBlobs::default();
        let text = Format::Text { max_record_bytes: 4096 };
        // The samples, then variants of them: fresh records, near-duplicates, and copies.
        let texts: Vec<String> = TEXTS
            .iter()
            .map(|t| t.to_string())
            .chain((0..42).map(|i| format!("{} Note {i}.", TEXTS[i % TEXTS.len()])))
            .collect();
        let contributions = texts
            .iter()
            .map(|t| {
                let id = blobs.put(t.as_bytes());
                let ing = sinew_datanet::ingest_blob(t.as_bytes(), &text, "t").expect("sample texts ingest");
                Contribute {
                    datanet: 0,
                    blob: id,
                    size: t.len() as u64,
                    format: text.clone(),
                    record_count: ing.records.len() as u32,
                    records_root: sinew_datanet::records_root(&ing.records),
                    metadata: String::new(),
                }
                .into()
            })
            .collect();
        let mut specs: Vec<(String, Hash)> = ANSWERS
            .iter()
            .map(|a| {
                let spec = serde_json::json!({ "model": 0, "answer": a }).to_string();
                (KIND_ATTRIBUTION.to_string(), blobs.put(spec.as_bytes()))
            })
            .collect();
        for i in 0..12 {
            specs.push((DEMO.into(), blobs.put(format!("summarize chapter {i}").as_bytes())));
        }
        World {
            replicas,
            blobs,
            keys,
            nonces: vec![0; KEYS],
            contributions,
            specs,
            voucher_signer: Keypair::dev("fuzz-voucher"),
            stats: BTreeMap::new(),
            codes: BTreeMap::new(),
            live: Vec::new(),
            clock_ms: 0,
            genesis,
            journal: None,
        }
    }

    /// The proposer's state.
    pub fn state(&self) -> &MemState {
        &self.replicas[0].1
    }

    /// The committed height.
    pub fn height(&self) -> u64 {
        self.replicas[0].0.head().height
    }

    /// Parameters in force.
    pub fn params(&self) -> Params {
        read(self.state(), &StateKey::Params).expect("reads").expect("params")
    }

    /// Executes one block of `(signer, payload)`: the first replica proposes it, every other
    /// validates it, all commit it; then the replicas must agree and [`check_ledger`] hold.
    /// Returns the committed block and its effects (for a durable replica to store), or what broke.
    pub fn try_block(&mut self, txs: Vec<(usize, Payload)>) -> Result<(Block, BlockEffects), Violation> {
        let prepared: Vec<_> = txs.into_iter().map(|(who, payload)| self.sign(who, payload)).collect();
        let height = self.height() + 1;
        let broke = |what: String| Violation { height, what };
        let (leader, state) = &self.replicas[0];
        let (executed, rejected) = leader
            .propose(state, &self.blobs, &prepared, self.clock_ms, self.keys[0].address())
            .map_err(|e| broke(format!("the proposer cannot build a block: {e}")))?;
        for p in &prepared {
            let outcome = match rejected.iter().find(|r| r.0 == p.id) {
                Some(r) => Err(r.1.code().to_string()),
                None => {
                    let i = executed
                        .effects
                        .tx_ids
                        .iter()
                        .position(|id| *id == p.id)
                        .expect("included");
                    Ok(&executed.effects.receipts[i].status)
                }
            };
            self.count(&p.tx.tx.payload, outcome);
        }
        let block = executed.block.clone();
        let mut committed = vec![executed];
        for (chain, state) in &self.replicas[1..] {
            let validated = chain
                .validate(state, &self.blobs, block.clone(), |_| false)
                .map_err(|e| broke(format!("a proposed block does not validate on another replica: {e}")))?;
            if validated.block.header != block.header {
                return Err(broke("a replica computes another header for the same block".into()));
            }
            committed.push(validated);
        }
        let effects = committed[0].effects.clone();
        if let Some(j) = &mut self.journal {
            j.push((block.clone(), effects.clone()));
        }
        for ((chain, state), ex) in self.replicas.iter_mut().zip(committed) {
            state.apply(&ex.effects.writes);
            chain.commit(ex);
        }
        self.sync_nonces();
        check_ledger(self.state()).map_err(|e| broke(format!("ledger invariant broken: {e}")))?;
        if self.replicas.iter().any(|(_, s)| s != self.state()) {
            return Err(broke("replicas disagree on state".into()));
        }
        Ok((block, effects))
    }

    /// [`World::try_block`], panicking on a violation (property tests and fuzz targets).
    pub fn block(&mut self, txs: Vec<(usize, Payload)>) {
        if let Err(v) = self.try_block(txs) {
            panic!("{v}");
        }
    }

    /// Signs `payload` by participant `who` with their next nonce.
    fn sign(&mut self, who: usize, payload: Payload) -> sinew_types::tx::PreparedTx {
        let tx = Transaction {
            chain_id: "sinew-test".into(),
            signer: self.keys[who].address(),
            nonce: self.nonces[who],
            max_fee: 1_000_000_000,
            payload,
        };
        self.nonces[who] += 1;
        self.keys[who].sign(tx).prepare()
    }

    /// Counts a transaction's outcome (its receipt's status, or the code it was refused with)
    /// and remembers tasks that were posted.
    fn count(&mut self, payload: &Payload, outcome: Result<&TxStatus, String>) {
        let kind = crate::kinds::OpKind::of(payload);
        let slot = match outcome {
            Err(code) => {
                *self.codes.entry((kind, code)).or_default() += 1;
                2
            }
            Ok(TxStatus::Success) => {
                if let Payload::Tasks(TaskTx::PostTask(PostTask { kind, spec, .. })) = payload {
                    self.live.push((kind.clone(), *spec));
                }
                0
            }
            Ok(TxStatus::Failed { code, .. }) => {
                *self.codes.entry((kind, code.to_string())).or_default() += 1;
                1
            }
        };
        self.stats.entry(kind).or_default()[slot] += 1;
    }

    /// Nonces follow what was included (refused transactions did not use theirs).
    fn sync_nonces(&mut self) {
        for (i, k) in self.keys.iter().enumerate() {
            let a: Option<Account> = read(&self.replicas[0].1, &StateKey::Account(k.address())).expect("reads");
            self.nonces[i] = a.map_or(0, |a| a.nonce);
        }
    }

    /// The ledger a fuzz run starts from: datanet 0 (open) published with two records, a
    /// staked-reviewer datanet 1, provider 3 serving model 0, user 4 with two scoped keys
    /// (one for vouchers) and a prepaid balance, agents 1 and 2, verifiers 5 and 6.
    pub fn setup(&mut self) {
        let create = |curation| {
            CreateDatanet {
                info: DatanetInfo {
                    name: "rivers".into(),
                    description: String::new(),
                    license: "CC-BY-4.0".into(),
                    tags: vec![],
                },
                rules: DatanetRules {
                    curation,
                    contribution_bond: 1_000,
                    reject_slash_bps: 5_000,
                    publish_fee_per_byte: 1,
                    refuse_near_duplicates: false,
                },
            }
            .into()
        };
        let provider = self.keys[3].address();
        let c0 = self.contributions[0].clone();
        let c1 = self.contributions[1].clone();
        self.block(vec![
            (0, create(CurationPolicy::Open)),
            (
                0,
                create(CurationPolicy::StakedReviewers {
                    quorum: 2,
                    min_stake: 1_000,
                }),
            ),
            (3, Stake { amount: 20_000 }.into()),
        ]);
        self.block(vec![(1, c0), (2, c1)]);
        self.block(vec![
            (0, PublishVersion { datanet: 0 }.into()),
            (
                3,
                RegisterProvider {
                    name: "p".into(),
                    endpoint: "builtin".into(),
                }
                .into(),
            ),
        ]);
        let model = crate::net::river_lm(provider);
        let agent = |caps: &[&str], stake| {
            RegisterAgent {
                name: "a".into(),
                capabilities: caps.iter().map(|c| c.to_string()).collect(),
                endpoint: String::new(),
                stake,
            }
            .into()
        };
        self.block(vec![
            (0, model),
            (
                4,
                RegisterApiKey {
                    key_hash: api_key_hash(&user_key(0)),
                    scope: KeyScope {
                        voucher_key: Some(self.voucher_signer.address()),
                        spend_limit: 50_000,
                        ..KeyScope::provider(provider, 100_000)
                    },
                }
                .into(),
            ),
            (4, self.register_key(1)),
            (4, self.register_key(2)),
            (4, self.register_key(3)),
            (4, DepositPrepaid { amount: 500_000 }.into()),
            (1, agent(&[KIND_ATTRIBUTION, DEMO], 2_000)),
            (2, agent(&[KIND_ATTRIBUTION, DEMO], 3_000)),
            (5, agent(&["verifier"], 5_000)),
            (6, agent(&["verifier"], 1_000)),
            (7, Stake { amount: 2_000 }.into()),
        ]);
        self.block(vec![(3, ServeModel { model: 0, serve: true }.into())]);
    }

    /// The user's registration of API key `i` (provider 3, model 0, a per-request cap).
    pub(crate) fn register_key(&self, i: u8) -> Payload {
        RegisterApiKey {
            key_hash: api_key_hash(&user_key(i)),
            scope: KeyScope {
                models: vec![0],
                spend_limit: if i % 2 == 0 { 0 } else { 20_000 },
                ..KeyScope::provider(self.keys[3].address(), 100_000)
            },
        }
        .into()
    }

    /// The digest of the correct attribution of `answer` by model 0.
    pub(crate) fn receipt(&self, answer: &str) -> Hash {
        let m: Model = read(self.state(), &StateKey::Model(0))
            .expect("reads")
            .expect("model 0");
        let corpus = model_corpus(self.state(), &self.blobs, &m.info).expect("index");
        answer_receipt(&corpus, answer, &self.params()).digest()
    }
}
