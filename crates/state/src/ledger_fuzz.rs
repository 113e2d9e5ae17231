//! A whole ledger driven by arbitrary bytes: every payload kind, from every kind of participant,
//! honest or not (right and wrong receipts and results, foreign holds, joins with other terms,
//! challenges, expiries...), cut into blocks that a second replica validates; after every block
//! the replicas agree and [`check_ledger`] holds. Shared by the property test and the
//! `cargo fuzz` target `ledger`.

use crate::blobs::{BlobSource, BlobSourceError, IndexKey};
use crate::chain::Chain;
use crate::fuzz_harness::test_genesis;
use crate::inference::{answer_receipt, api_key_hash, model_corpus, Model};
use crate::keys::StateKey;
use crate::ledger_check::check_ledger;
use crate::reader::MemState;
use crate::tasks::recompute_result;
use sinew_attribution::{DocRef, Index};
use sinew_datanet::Ingested;
use sinew_types::datanet::{BlobId, CurationPolicy, DatanetInfo, DatanetRules, Format};
use sinew_types::inference::{KeyScope, ModelInfo, ModelStatus, Pricing, Split, Voucher};
use sinew_types::payload::{
    Attest, CancelTask, Challenge, ClaimTask, Contribute, CreateDatanet, DatanetTx, DelegateToProvider, DepositPrepaid,
    ExpireContribution, FinalizeTask, InferenceTx, PostTask, PublishVersion, RegisterAgent, RegisterApiKey,
    RegisterModel, RegisterProvider, ReleaseHold, ReserveInference, Review, ReviewResult, RevokeApiKey, ServeModel,
    SetParams, SettleInference, Stake, SubmitResult, TaskTx, Transfer, UndelegateFromProvider, Unstake, UpdateAgent,
    UpdateModel, WithdrawPrepaid,
};
use sinew_types::task::{task_id, Verification, KIND_ATTRIBUTION};
use sinew_types::{Hash, Keypair, Params, ParamsUpdate, Payload, Transaction};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Blobs held in memory; version indexes built in memory on first use, as a node builds them.
#[derive(Default)]
pub struct MemBlobs {
    /// The blobs by id.
    pub blobs: BTreeMap<BlobId, Vec<u8>>,
    indexes: Mutex<BTreeMap<IndexKey, (Arc<Index>, Hash)>>,
}

impl MemBlobs {
    /// Stores a blob; returns its id.
    pub fn put(&mut self, bytes: &[u8]) -> BlobId {
        let id = Hash::of(bytes);
        self.blobs.insert(id, bytes.to_vec());
        id
    }
}

impl BlobSource for MemBlobs {
    fn records(&self, blob: &BlobId, format: &Format) -> Result<Arc<Ingested>, BlobSourceError> {
        let bytes = self.blobs.get(blob).ok_or(BlobSourceError::NotFound(*blob))?;
        sinew_datanet::ingest_blob(bytes, format, &format!("blob {blob}"))
            .map(Arc::new)
            .map_err(|e| BlobSourceError::Ingest(e.stable()))
    }

    fn blob(&self, id: &BlobId) -> Result<Arc<Vec<u8>>, BlobSourceError> {
        self.blobs
            .get(id)
            .cloned()
            .map(Arc::new)
            .ok_or(BlobSourceError::NotFound(*id))
    }

    fn version_index(
        &self,
        key: IndexKey,
        contributions: &dyn Fn() -> Result<Vec<(u64, BlobId, Format)>, BlobSourceError>,
    ) -> Result<(Arc<Index>, Hash), BlobSourceError> {
        if let Some(hit) = self.indexes.lock().expect("not poisoned").get(&key) {
            return Ok(hit.clone());
        }
        let mut texts = Vec::new();
        for (seq, blob, format) in contributions()? {
            let bytes = self.blobs.get(&blob).ok_or(BlobSourceError::NotFound(blob))?;
            let records = sinew_datanet::ingest(bytes, &format, &format!("blob {blob}"))
                .map_err(|e| BlobSourceError::Ingest(e.stable()))?;
            for (i, r) in records.into_iter().enumerate() {
                texts.push((
                    DocRef {
                        contribution: seq,
                        record: i as u32,
                    },
                    r.text,
                ));
            }
        }
        let docs: Vec<(DocRef, &[u8])> = texts.iter().map(|(r, t)| (*r, t.as_bytes())).collect();
        let index = Index::build_with(key.tokenizer, &docs)
            .map_err(|e| BlobSourceError::Ingest(format!("the version cannot be indexed: {e}")))?;
        let id = Hash::of(index.as_bytes());
        let entry = (Arc::new(index), id);
        self.indexes.lock().expect("not poisoned").insert(key, entry.clone());
        Ok(entry)
    }
}

const TEXTS: [&str; 6] = [
    "The Danube flows through ten countries before it reaches the Black Sea at a wide delta.",
    "Lake Baikal in Siberia holds about a fifth of the unfrozen fresh water on the planet.",
    "The Nile was long thought to be the longest river in the world by most geographers.",
    "the danube flows through ten countries before it reaches the black sea at a wide delta",
    "Glaciers carve valleys slowly, leaving moraines and lakes behind when they retreat north.",
    "The Rhine carries barges from the Alps to the North Sea past many old castles and vineyards.",
];
const ANSWERS: [&str; 3] = [
    "Indeed, the Danube flows through ten countries before it reaches the Black Sea, they say.",
    "Lake Baikal in Siberia holds about a fifth of the unfrozen fresh water.",
    "Nothing here matches anything at all.",
];
const DEMO: &str = "demo/summarize";
/// API key `i` of the user: key 0 pays only with vouchers; keys 0 to 3 exist from the start,
/// 4 to 7 once registered by an operation.
fn user_key(i: u8) -> String {
    format!("sk-fuzz-{}", i % 8)
}
const KEYS: usize = 8;

/// A ledger under test: two replicas, the blobs, the keys and their next nonces.
struct World {
    replicas: Vec<(Chain, MemState)>,
    blobs: MemBlobs,
    keys: Vec<Keypair>,
    nonces: Vec<u64>,
    /// Blobs contributors may name, with their payloads (datanet filled in per op).
    contributions: Vec<Payload>,
    /// Task specs: (kind, spec).
    specs: Vec<(String, Hash)>,
    voucher_signer: Keypair,
    /// Outcomes per payload kind: succeeded, failed, not included.
    pub stats: BTreeMap<&'static str, [u64; 3]>,
    /// Failure and rejection codes per payload kind.
    pub codes: BTreeMap<(&'static str, String), u64>,
    /// Tasks posted so far, most recent last: where task actions mostly go.
    live: Vec<(String, Hash)>,
}

impl World {
    fn new() -> World {
        let (genesis, keys) = test_genesis(KEYS, 1_000_000_000);
        let replicas = (0..2)
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
        }
    }

    fn state(&self) -> &MemState {
        &self.replicas[0].1
    }

    fn params(&self) -> Params {
        crate::reader::read(self.state(), &StateKey::Params)
            .expect("reads")
            .expect("params")
    }

    /// Executes one block of `(signer, payload)` on the leader, validates it on the follower,
    /// commits both and checks the ledger.
    fn block(&mut self, txs: Vec<(usize, Payload)>) {
        let prepared: Vec<_> = txs
            .into_iter()
            .map(|(who, payload)| {
                let tx = Transaction {
                    chain_id: "sinew-test".into(),
                    signer: self.keys[who].address(),
                    nonce: self.nonces[who],
                    max_fee: 1_000_000_000,
                    payload,
                };
                self.nonces[who] += 1;
                self.keys[who].sign(tx).prepare()
            })
            .collect();
        let (leader, state) = &self.replicas[0];
        let (executed, rejected) = leader
            .propose(state, &self.blobs, &prepared, 0, self.keys[0].address())
            .expect("a block is proposed");
        for p in &prepared {
            let kind = p.tx.tx.payload.kind();
            let slot = if let Some(r) = rejected.iter().find(|r| r.0 == p.id) {
                *self.codes.entry((kind, r.1.code().to_string())).or_default() += 1;
                2
            } else {
                let i = executed
                    .effects
                    .tx_ids
                    .iter()
                    .position(|id| *id == p.id)
                    .expect("included");
                if let Payload::Tasks(TaskTx::PostTask(PostTask { kind, spec, .. })) = &p.tx.tx.payload {
                    if executed.effects.receipts[i].status == sinew_types::TxStatus::Success {
                        self.live.push((kind.clone(), *spec));
                    }
                }
                if let sinew_types::TxStatus::Failed { code, .. } = &executed.effects.receipts[i].status {
                    *self.codes.entry((kind, code.to_string())).or_default() += 1;
                }
                usize::from(executed.effects.receipts[i].status != sinew_types::TxStatus::Success)
            };
            self.stats.entry(kind).or_default()[slot] += 1;
        }
        let block = executed.block.clone();
        let (follower, fstate) = &self.replicas[1];
        let validated = follower
            .validate(fstate, &self.blobs, block.clone(), |_| false)
            .expect("a proposed block validates on another replica");
        assert_eq!(validated.block.header, executed.block.header);
        for (i, ex) in [executed, validated].into_iter().enumerate() {
            let (chain, state) = &mut self.replicas[i];
            state.apply(&ex.effects.writes);
            chain.commit(ex);
        }
        // Nonces follow what was included (rejected transactions did not use theirs).
        for (i, k) in self.keys.iter().enumerate() {
            let a: Option<crate::Account> =
                crate::reader::read(&self.replicas[0].1, &StateKey::Account(k.address())).expect("reads");
            self.nonces[i] = a.map_or(0, |a| a.nonce);
        }
        if let Err(e) = check_ledger(self.state()) {
            panic!("ledger invariant broken at height {}: {e}", block.header.height);
        }
        assert_eq!(self.replicas[0].1, self.replicas[1].1, "replicas agree");
    }

    /// The ledger a fuzz run starts from: datanet 0 (open) published with two records, a
    /// staked-reviewer datanet 1, provider 3 serving model 0, user 4 with two scoped keys
    /// (one for vouchers) and a prepaid balance, agents 1 and 2, verifiers 5 and 6.
    fn setup(&mut self) {
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
        let model: Payload = RegisterModel {
            info: ModelInfo {
                name: "river-lm".into(),
                base_model: "infini-gram".into(),
                adapter: None,
                adapter_blob: None,
                datanets: vec![(0, 1)],
                tokenizer: "bytes".into(),
            },
            provider,
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
        .into();
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
    fn register_key(&self, i: u8) -> Payload {
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
    fn receipt(&self, answer: &str) -> Hash {
        let m: Model = crate::reader::read(self.state(), &StateKey::Model(0))
            .expect("reads")
            .expect("model 0");
        let corpus = model_corpus(self.state(), &self.blobs, &m.info).expect("index");
        answer_receipt(&corpus, answer, &self.params()).digest()
    }

    /// One payload from 8 bytes of fuzz input: who signs it and what it is. Most payloads are
    /// signed by the participant whose role they are (the provider reserves, agents claim,
    /// verifiers attest); one in eight by anyone at all.
    fn op(&self, b: &[u8; 8]) -> (usize, Payload) {
        let anyone = b[0] as usize % KEYS;
        let role = |signers: &[usize]| {
            if b[0] % 8 == 0 {
                anyone
            } else {
                signers[(b[0] as usize / 8) % signers.len()]
            }
        };
        let pick = |n: usize| b[2] as usize % n;
        let amount = u128::from(u16::from_le_bytes([b[3], b[4]])) * 10;
        let flag = b[5] & 1 == 1;
        let height = self.replicas[0].0.head().height;
        // Task actions go mostly to a recent task in the state they act on (claims to open
        // tasks, results to claimed ones, reviews to submitted ones); posts to any spec.
        use sinew_types::task::TaskStatus;
        let kind_byte = op_kind(b[1]);
        let want: Option<fn(&crate::tasks::Task) -> bool> = match kind_byte {
            24 => Some(|t| t.status == TaskStatus::Open),
            25 | 26 => Some(|t| t.status == TaskStatus::Claimed),
            27 => Some(|t| t.status == TaskStatus::Submitted && matches!(t.verification, Verification::Poster { .. })),
            28 => Some(|t| t.status == TaskStatus::Submitted && matches!(t.verification, Verification::Quorum { .. })),
            29 => Some(|t| t.status == TaskStatus::Submitted && sinew_types::task::recomputable(&t.kind)),
            30 => Some(|t| t.status == TaskStatus::Submitted),
            _ => None,
        };
        let recent: Vec<&(String, Hash)> = self.live.iter().rev().take(12).collect();
        let suited = want.and_then(|w| {
            let n = recent.len();
            (0..n).map(|i| recent[(i + b[2] as usize) % n]).find(|(k, s)| {
                crate::reader::read::<crate::tasks::Task, _>(self.state(), &StateKey::Task(task_id(k, s)))
                    .ok()
                    .flatten()
                    .is_some_and(|t| w(&t))
            })
        });
        let (kind, spec) = match suited {
            Some(t) if b[2] % 8 != 0 => t.clone(),
            _ if !recent.is_empty() && b[2] % 4 != 0 && !matches!(kind_byte, 22 | 23) => {
                recent[b[2] as usize % recent.len()].clone()
            }
            // Fresh work: a spec of the demo kind (no blob needed) from the op's bytes.
            _ if b[3] % 2 == 0 => (DEMO.to_string(), Hash::of(&[b[6], b[7], b[4]])),
            _ => self.specs[pick(self.specs.len())].clone(),
        };
        let task = task_id(&kind, &spec);
        // Reservations take fresh ids; settlements and releases mostly name a live hold.
        let holds: Vec<Hash> = {
            let prefix = StateKey::Hold(Hash::default()).encode()[..1].to_vec();
            self.state()
                .map
                .iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .filter_map(|(_, v)| {
                    borsh::from_slice::<crate::inference::Hold>(v)
                        .ok()
                        .map(|h| h.request_id)
                })
                .collect()
        };
        let request = match op_kind(b[1]) {
            13..=15 if !holds.is_empty() && b[6] % 8 != 0 => holds[b[6] as usize % holds.len()],
            _ => Hash::of(&[b'r', b[6], b[4]]),
        };
        let answer = ANSWERS[b[6] as usize % ANSWERS.len()];
        let verification = match b[7] % 4 {
            0 => Verification::Poster { window: 6 },
            1 => Verification::Quorum {
                window: 6,
                min_verifiers: 1,
                bond: 50,
                slash_bps: 5_000,
                min_stake: if flag { 2_000 } else { 0 },
            },
            2 if kind == KIND_ATTRIBUTION => Verification::Recompute,
            _ => Verification::Poster { window: 5 },
        };
        // Who the task's own roles are, when it exists.
        let live: Option<crate::tasks::Task> = crate::reader::read(self.state(), &StateKey::Task(task)).ok().flatten();
        let index_of = |a: sinew_types::Address| self.keys.iter().position(|k| k.address() == a);
        let poster = live.as_ref().and_then(|t| index_of(t.poster)).unwrap_or(0);
        let claimant = live
            .as_ref()
            .and_then(|t| t.claimant)
            .and_then(index_of)
            .unwrap_or(1 + (b[0] as usize % 2));
        let who = match kind_byte {
            27 | 31 => role(&[poster]),
            25 | 26 => role(&[claimant]),
            3 | 7 | 20 => role(&[0]),
            4 | 5 => role(&[1, 2, 6, 7]),
            6 => role(&[5, 6, 7]),
            11..=15 | 21 => role(&[3]),
            16..=19 => role(&[4]),
            24 | 33 => role(&[1, 2]),
            28 => role(&[5, 6]),
            _ => anyone,
        };
        let payload = match kind_byte {
            0 => Transfer {
                to: self.keys[pick(KEYS)].address(),
                amount,
            }
            .into(),
            1 => Stake { amount }.into(),
            2 => Unstake { amount }.into(),
            3 => SetParams {
                update: ParamsUpdate {
                    inference_hold_blocks: flag.then_some(10 + u64::from(b[4] % 20)),
                    pending_expiry_blocks: (!flag).then_some(1 + u64::from(b[4] % 30)),
                    ..Default::default()
                },
            }
            .into(),
            4 | 5 => match self.contributions[pick(self.contributions.len())].clone() {
                Payload::Datanet(DatanetTx::Contribute(Contribute {
                    blob,
                    size,
                    format,
                    record_count,
                    records_root,
                    metadata,
                    ..
                })) => Contribute {
                    datanet: u64::from(flag),
                    blob,
                    size,
                    format,
                    record_count: if b[7] % 8 == 0 { record_count + 1 } else { record_count },
                    records_root,
                    metadata,
                }
                .into(),
                _ => unreachable!(),
            },
            6 => Review {
                datanet: u64::from(b[7] % 8 != 0),
                contribution: u64::from(b[6] % 6),
                approve: b[7] & 1 == 0,
                reason: "no".into(),
            }
            .into(),
            7 => PublishVersion {
                datanet: u64::from(flag),
            }
            .into(),
            8 => ExpireContribution {
                datanet: u64::from(flag),
                contribution: u64::from(b[6] % 6),
            }
            .into(),
            9 => DelegateToProvider {
                provider: self.keys[3].address(),
                amount,
            }
            .into(),
            10 => UndelegateFromProvider {
                provider: self.keys[3].address(),
                amount,
            }
            .into(),
            11 | 12 => {
                let key = user_key(b[7] % 4 + 4 * u8::from(b[6] % 4 == 0));
                let input_tokens = u64::from(b[4]);
                let max_output_tokens = 40 + u64::from(b[7]);
                // Quoted at the model's prices (or at stale ones, one time in eight).
                let pricing = crate::reader::read::<Model, _>(self.state(), &StateKey::Model(0))
                    .ok()
                    .flatten()
                    .filter(|_| b[3] % 8 != 0)
                    .map_or(
                        Pricing {
                            input_per_1k: 1_000,
                            output_per_1k: 2_000,
                        },
                        |m| m.pricing,
                    );
                let max_fee =
                    pricing.price(input_tokens, max_output_tokens).unwrap_or(0) + self.params().inference_platform_fee;
                let voucher = (key == user_key(0) && flag).then(|| {
                    Voucher::sign(
                        &self.voucher_signer,
                        "sinew-test",
                        &api_key_hash(&key),
                        request,
                        0,
                        max_fee,
                        height + 5,
                    )
                });
                ReserveInference {
                    api_key: api_key_hash(&key),
                    request_id: request,
                    model: u64::from(b[5] % 8 == 0),
                    prompt_hash: Hash::of(b"prompt"),
                    input_tokens,
                    max_output_tokens,
                    max_fee,
                    voucher,
                }
                .into()
            }
            13 | 14 => SettleInference {
                request_id: request,
                answer: answer.into(),
                receipt: if flag {
                    self.receipt(answer)
                } else {
                    Hash::of(b"forged")
                },
            }
            .into(),
            15 => ReleaseHold { request_id: request }.into(),
            16 => DepositPrepaid { amount }.into(),
            17 => WithdrawPrepaid { amount }.into(),
            18 => Payload::Inference(InferenceTx::ClaimRewards),
            // Keys come (registered) and go (revoked, for good), rarely.
            19 if b[7] % 2 == 0 => self.register_key(b[6]),
            19 => RevokeApiKey {
                key_hash: api_key_hash(&user_key(if b[6] % 8 == 0 { b[7] % 4 } else { 4 + b[7] % 4 })),
            }
            .into(),
            20 => UpdateModel {
                model: 0,
                pricing: flag.then_some(Pricing {
                    input_per_1k: amount,
                    output_per_1k: amount,
                }),
                status: (!flag).then_some(if b[7] % 8 == 0 {
                    ModelStatus::Paused
                } else {
                    ModelStatus::Active
                }),
            }
            .into(),
            21 => ServeModel {
                model: 0,
                serve: b[7] % 8 != 0,
            }
            .into(),
            22 | 23 => PostTask {
                kind,
                spec,
                reward: 100 + amount,
                deadline: height + 10 + u64::from(b[6] % 60),
                claim_window: 4 + u64::from(b[7] % 4),
                bond: u128::from(b[4]) * 2,
                verification,
                parent: None,
            }
            .into(),
            24 => ClaimTask { task }.into(),
            25 | 26 => {
                let right = if kind == KIND_ATTRIBUTION {
                    recompute_result(self.state(), &self.blobs, &self.params(), &kind, &spec).ok()
                } else {
                    None
                };
                SubmitResult {
                    task,
                    result: if flag {
                        right.unwrap_or(Hash::of(b"ok"))
                    } else {
                        Hash::of(&[b[6]])
                    },
                }
                .into()
            }
            27 => ReviewResult { task, accept: flag }.into(),
            28 => Attest { task, approve: flag }.into(),
            29 => Challenge {
                task,
                bond: 1 + u128::from(b[4]) * 4,
            }
            .into(),
            30 => FinalizeTask { task }.into(),
            31 => CancelTask { task }.into(),
            32 => RegisterAgent {
                name: "late".into(),
                capabilities: vec![DEMO.into(), "verifier".into()],
                endpoint: String::new(),
                stake: amount,
            }
            .into(),
            _ => {
                if b[7] % 8 != 0 {
                    UpdateAgent {
                        capabilities: None,
                        endpoint: None,
                        add_stake: amount,
                    }
                    .into()
                } else {
                    Payload::Tasks(TaskTx::RetireAgent)
                }
            }
        };
        (who, payload)
    }
}

/// The payload kind of an operation byte: 34 kinds, task lifecycle steps (claim, submit, review,
/// attest, challenge) drawn twice as often, so whole lifecycles happen.
fn op_kind(b: u8) -> u8 {
    match b % 48 {
        k @ 0..=33 => k,
        34 | 35 => 24,
        36..=39 => 25,
        40 | 41 => 27,
        42..=44 => 28,
        45 | 46 => 29,
        _ => 30,
    }
}

/// Runs a ledger through the transactions `data` describes (8 bytes each, up to 4 per block);
/// panics if replicas disagree or [`check_ledger`] fails after any block. Returns, per payload
/// kind, how many succeeded, failed and were not included.
pub fn ledger_ops(data: &[u8]) -> BTreeMap<&'static str, [u64; 3]> {
    ledger_run(data).0
}

/// [`ledger_ops`], also returning how often each kind failed or was refused with each code.
pub fn ledger_run(data: &[u8]) -> LedgerStats {
    let mut w = World::new();
    w.setup();
    w.stats.clear();
    w.codes.clear();
    for block in data.chunks(32) {
        let txs: Vec<(usize, Payload)> = block
            .chunks_exact(8)
            .map(|c| w.op(c.try_into().expect("8 bytes")))
            .collect();
        w.block(txs);
    }
    (w.stats, w.codes)
}

/// Outcomes per payload kind (succeeded, failed, not included), and codes per kind.
pub type LedgerStats = (BTreeMap<&'static str, [u64; 3]>, BTreeMap<(&'static str, String), u64>);
