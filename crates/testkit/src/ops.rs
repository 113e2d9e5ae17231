//! The operation generator: one payload of any kind from 8 bytes, signed mostly by the
//! participant whose role it is (the provider reserves, agents claim, verifiers attest) and
//! sometimes by anyone at all, honest or not (right and wrong receipts and results, foreign
//! holds, joins with other terms, stale prices, forged vouchers).
//!
//! [`OpKind::of`] matches every payload variant with no wildcard, and the generator matches every
//! [`OpKind`]: a new payload kind does not compile until it is generated, so it is fuzzed and
//! simulated from its first commit.

pub use crate::kinds::OpKind;
use crate::world::{user_key, World, ANSWERS, DEMO, KEYS};
use sinew_state::inference::api_key_hash;
use sinew_state::tasks::recompute_result;
use sinew_state::{read, Hold, Model, StateKey, Task};
use sinew_types::datanet::{CurationPolicy, DatanetInfo, DatanetRules};
use sinew_types::inference::{ModelInfo, ModelStatus, Pricing, Split, Voucher};
use sinew_types::payload::*;
use sinew_types::task::{task_id, Verification, KIND_ATTRIBUTION};
use sinew_types::{Hash, ParamsUpdate, Payload};

/// What an operation's bytes decide besides its kind.
struct Draw<'a> {
    b: &'a [u8; 8],
    amount: u128,
    flag: bool,
    height: u64,
    /// The task it acts on (kind, spec).
    task: (String, Hash),
    /// The request id it names.
    request: Hash,
}

impl Draw<'_> {
    fn pick(&self, n: usize) -> usize {
        self.b[2] as usize % n
    }
}

impl World {
    /// One payload from 8 bytes of input: who signs it and what it is.
    pub fn op(&self, b: &[u8; 8]) -> (usize, Payload) {
        let kind = OpKind::draw(b[1]);
        let d = Draw {
            b,
            amount: u128::from(u16::from_le_bytes([b[3], b[4]])) * 10,
            flag: b[5] & 1 == 1,
            height: self.height(),
            task: self.task_for(kind, b),
            request: self.request_for(kind, b),
        };
        (self.signer(kind, &d), self.payload(kind, &d))
    }

    /// The task an action goes to: mostly a recent one in the state it acts on (claims to open
    /// tasks, results to claimed ones, reviews to submitted ones); posts to any spec.
    fn task_for(&self, kind: OpKind, b: &[u8; 8]) -> (String, Hash) {
        let recent: Vec<&(String, Hash)> = self.live.iter().rev().take(12).collect();
        let suited = kind.wants().and_then(|w| {
            let n = recent.len();
            (0..n).map(|i| recent[(i + b[2] as usize) % n]).find(|(k, s)| {
                read::<Task, _>(self.state(), &StateKey::Task(task_id(k, s)))
                    .ok()
                    .flatten()
                    .is_some_and(|t| w(&t))
            })
        });
        match suited {
            Some(t) if b[2] % 8 != 0 => t.clone(),
            _ if !recent.is_empty() && b[2] % 4 != 0 && kind != OpKind::PostTask => {
                recent[b[2] as usize % recent.len()].clone()
            }
            // Fresh work: a spec of the demo kind (no blob needed) from the op's bytes.
            _ if b[3] % 2 == 0 => (DEMO.to_string(), Hash::of(&[b[6], b[7], b[4]])),
            _ => self.specs[b[2] as usize % self.specs.len()].clone(),
        }
    }

    /// Reservations take fresh ids; settlements and releases mostly name a live hold.
    fn request_for(&self, kind: OpKind, b: &[u8; 8]) -> Hash {
        let prefix = StateKey::Hold(Hash::default()).kind_prefix();
        let holds: Vec<Hash> = self
            .state()
            .map
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(_, v)| borsh::from_slice::<Hold>(v).ok().map(|h| h.request_id))
            .collect();
        match kind {
            OpKind::SettleInference | OpKind::ReleaseHold if !holds.is_empty() && b[6] % 8 != 0 => {
                holds[b[6] as usize % holds.len()]
            }
            _ => Hash::of(&[b'r', b[6], b[4]]),
        }
    }

    /// Who signs: the participant whose role the action is, or (one time in eight) anyone.
    fn signer(&self, kind: OpKind, d: &Draw) -> usize {
        let b = d.b;
        let anyone = b[0] as usize % KEYS;
        let role = |signers: &[usize]| {
            if b[0] % 8 == 0 {
                anyone
            } else {
                signers[(b[0] as usize / 8) % signers.len()]
            }
        };
        let live: Option<Task> = read(self.state(), &StateKey::Task(task_id(&d.task.0, &d.task.1)))
            .ok()
            .flatten();
        let index_of = |a: sinew_types::Address| self.keys.iter().position(|k| k.address() == a);
        let poster = live.as_ref().and_then(|t| index_of(t.poster)).unwrap_or(0);
        let claimant = live
            .as_ref()
            .and_then(|t| t.claimant)
            .and_then(index_of)
            .unwrap_or(1 + (b[0] as usize % 2));
        use OpKind::*;
        match kind {
            ReviewResult | CancelTask => role(&[poster]),
            SubmitResult => role(&[claimant]),
            SetParams | PublishVersion | UpdateModel | UpdateDatanetInfo => role(&[0]),
            Contribute => role(&[1, 2, 6, 7]),
            Review => role(&[5, 6, 7]),
            ReserveInference | SettleInference | ReleaseHold | ServeModel => role(&[3]),
            DepositPrepaid | WithdrawPrepaid | RegisterApiKey | RevokeApiKey => role(&[4]),
            ClaimRewards => role(&[0, 1, 2, 3]),
            ClaimTask | UpdateAgent | RetireAgent => role(&[1, 2]),
            Attest => role(&[5, 6]),
            _ => anyone,
        }
    }

    /// The payload itself.
    fn payload(&self, kind: OpKind, d: &Draw) -> Payload {
        let (b, amount, flag) = (d.b, d.amount, d.flag);
        let (task_kind, spec) = d.task.clone();
        let task = task_id(&task_kind, &spec);
        match kind {
            OpKind::Transfer => Transfer {
                to: self.keys[d.pick(KEYS)].address(),
                amount,
            }
            .into(),
            OpKind::Stake => Stake { amount }.into(),
            OpKind::Unstake => Unstake { amount }.into(),
            OpKind::SetParams => SetParams {
                update: ParamsUpdate {
                    inference_hold_blocks: flag.then_some(10 + u64::from(b[4] % 20)),
                    pending_expiry_blocks: (!flag).then_some(1 + u64::from(b[4] % 30)),
                    ..Default::default()
                },
            }
            .into(),
            OpKind::CreateDatanet => CreateDatanet {
                info: DatanetInfo {
                    name: format!("late-{}", b[6]),
                    description: String::new(),
                    license: if b[7] % 8 == 0 { "not-a-license" } else { "MIT" }.into(),
                    tags: vec![],
                },
                rules: DatanetRules {
                    curation: CurationPolicy::Open,
                    contribution_bond: u128::from(b[4]),
                    reject_slash_bps: 5_000,
                    publish_fee_per_byte: 1,
                    refuse_near_duplicates: flag,
                },
            }
            .into(),
            OpKind::Contribute => self.contribute(d),
            OpKind::Review => Review {
                datanet: u64::from(b[7] % 8 != 0),
                contribution: u64::from(b[6] % 6),
                approve: b[7] & 1 == 0,
                reason: "no".into(),
            }
            .into(),
            OpKind::PublishVersion => PublishVersion {
                datanet: u64::from(flag),
            }
            .into(),
            OpKind::UpdateDatanetInfo => UpdateDatanetInfo {
                datanet: u64::from(b[6] % 3),
                description: flag.then(|| format!("about rivers, take {}", b[7])),
                tags: (!flag).then(|| vec!["geo".into()]),
                open: (b[7] % 4 == 0).then_some(b[7] % 8 != 0),
            }
            .into(),
            OpKind::ExpireContribution => ExpireContribution {
                datanet: u64::from(flag),
                contribution: u64::from(b[6] % 6),
            }
            .into(),
            OpKind::RegisterProvider => RegisterProvider {
                name: format!("p{}", b[6]),
                endpoint: if flag {
                    "builtin".into()
                } else {
                    format!("http://127.0.0.1:{}", b[7])
                },
            }
            .into(),
            OpKind::RegisterModel => self.register_model(d),
            OpKind::UpdateModel => UpdateModel {
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
            // Keys come (registered) and go (revoked, for good), rarely.
            OpKind::RegisterApiKey => self.register_key(b[6]),
            OpKind::RevokeApiKey => RevokeApiKey {
                key_hash: api_key_hash(&user_key(if b[6] % 8 == 0 { b[7] % 4 } else { 4 + b[7] % 4 })),
            }
            .into(),
            OpKind::DepositPrepaid => DepositPrepaid { amount }.into(),
            OpKind::WithdrawPrepaid => WithdrawPrepaid { amount }.into(),
            OpKind::ReserveInference => self.reserve(d),
            OpKind::SettleInference => {
                let answer = ANSWERS[b[6] as usize % ANSWERS.len()];
                SettleInference {
                    request_id: d.request,
                    answer: answer.into(),
                    receipt: if flag {
                        self.receipt(answer)
                    } else {
                        Hash::of(b"forged")
                    },
                }
                .into()
            }
            OpKind::ReleaseHold => ReleaseHold { request_id: d.request }.into(),
            OpKind::ServeModel => ServeModel {
                model: 0,
                serve: b[7] % 8 != 0,
            }
            .into(),
            OpKind::DelegateToProvider => DelegateToProvider {
                provider: self.keys[3].address(),
                amount,
            }
            .into(),
            OpKind::UndelegateFromProvider => UndelegateFromProvider {
                provider: self.keys[3].address(),
                amount,
            }
            .into(),
            OpKind::ClaimRewards => Payload::Inference(InferenceTx::ClaimRewards),
            OpKind::RegisterAgent => RegisterAgent {
                name: "late".into(),
                capabilities: vec![DEMO.into(), "verifier".into()],
                endpoint: String::new(),
                stake: amount,
            }
            .into(),
            OpKind::UpdateAgent => UpdateAgent {
                capabilities: None,
                endpoint: None,
                add_stake: amount,
            }
            .into(),
            OpKind::RetireAgent => Payload::Tasks(TaskTx::RetireAgent),
            OpKind::PostTask => self.post_task(d, task_kind, spec),
            OpKind::ClaimTask => ClaimTask { task }.into(),
            OpKind::SubmitResult => {
                let right = (task_kind == KIND_ATTRIBUTION)
                    .then(|| recompute_result(self.state(), &self.blobs, &self.params(), &task_kind, &spec).ok())
                    .flatten();
                let result = if flag {
                    right.unwrap_or(Hash::of(b"ok"))
                } else {
                    Hash::of(&[b[6]])
                };
                SubmitResult { task, result }.into()
            }
            OpKind::CancelTask => CancelTask { task }.into(),
            OpKind::ReviewResult => ReviewResult { task, accept: flag }.into(),
            OpKind::Attest => Attest { task, approve: flag }.into(),
            OpKind::Challenge => Challenge {
                task,
                bond: 1 + u128::from(b[4]) * 4,
            }
            .into(),
            OpKind::FinalizeTask => FinalizeTask { task }.into(),
        }
    }

    /// A contribution of one of the sample blobs, sometimes with a wrong record count.
    fn contribute(&self, d: &Draw) -> Payload {
        let Payload::Datanet(DatanetTx::Contribute(c)) = &self.contributions[d.pick(self.contributions.len())] else {
            panic!("the sample contributions are contributions");
        };
        let wrong = u32::from(d.b[7] % 8 == 0);
        Contribute {
            datanet: u64::from(d.flag),
            record_count: c.record_count + wrong,
            ..c.clone()
        }
        .into()
    }

    /// A model on datanet 0's first version served by provider 3 (names collide on purpose).
    fn register_model(&self, d: &Draw) -> Payload {
        RegisterModel {
            info: ModelInfo {
                name: format!("late-lm-{}", d.b[6] % 16),
                base_model: "infini-gram".into(),
                adapter: None,
                adapter_blob: None,
                datanets: vec![(0, 1 + u64::from(d.b[7] % 4 == 0))],
                tokenizer: if d.flag { "bytes" } else { "gpt2" }.into(),
            },
            provider: self.keys[3].address(),
            pricing: Pricing {
                input_per_1k: d.amount,
                output_per_1k: d.amount,
            },
            split: Split {
                owner_bps: 2_000,
                provider_bps: 3_000 + u16::from(d.b[4] % 2) * 6_000,
                contributors_bps: 5_000,
            },
        }
        .into()
    }

    /// A reservation by provider 3 for one of the user's keys, quoted at the model's prices (or
    /// at stale ones, one time in eight), with a voucher when the key wants one.
    fn reserve(&self, d: &Draw) -> Payload {
        let b = d.b;
        let key = user_key(b[7] % 4 + 4 * u8::from(b[6] % 4 == 0));
        let input_tokens = u64::from(b[4]);
        let max_output_tokens = 40 + u64::from(b[7]);
        let pricing = read::<Model, _>(self.state(), &StateKey::Model(0))
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
        let voucher = (key == user_key(0) && d.flag).then(|| {
            Voucher::sign(
                &self.voucher_signer,
                "sinew-test",
                &api_key_hash(&key),
                d.request,
                0,
                max_fee,
                d.height + 5,
            )
        });
        ReserveInference {
            api_key: api_key_hash(&key),
            request_id: d.request,
            model: u64::from(b[5] % 8 == 0),
            prompt_hash: Hash::of(b"prompt"),
            input_tokens,
            max_output_tokens,
            max_fee,
            voucher,
        }
        .into()
    }

    /// A task of `kind` on `spec` with terms from the bytes (so joins sometimes differ).
    fn post_task(&self, d: &Draw, kind: String, spec: Hash) -> Payload {
        let b = d.b;
        let verification = match b[7] % 4 {
            0 => Verification::Poster { window: 6 },
            1 => Verification::Quorum {
                window: 6,
                min_verifiers: 1,
                bond: 50,
                slash_bps: 5_000,
                min_stake: if d.flag { 2_000 } else { 0 },
            },
            2 if kind == KIND_ATTRIBUTION => Verification::Recompute,
            _ => Verification::Poster { window: 5 },
        };
        PostTask {
            kind,
            spec,
            reward: 100 + d.amount,
            deadline: d.height + 10 + u64::from(b[6] % 60),
            claim_window: 4 + u64::from(b[7] % 4),
            bond: u128::from(b[4]) * 2,
            verification,
            parent: None,
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_list_is_complete_and_every_kind_is_drawn_and_generated() {
        for (i, k) in OpKind::ALL.iter().enumerate() {
            assert_eq!(*k as usize, i, "ALL is in declaration order");
        }
        assert_eq!(
            OpKind::ALL.len(),
            OpKind::FinalizeTask as usize + 1,
            "ALL lists every kind"
        );
        let drawn: std::collections::BTreeSet<OpKind> = (0..=255u8).map(OpKind::draw).collect();
        assert_eq!(drawn.len(), OpKind::ALL.len(), "every kind can be drawn");
        let mut w = World::new();
        w.setup();
        let mut generated = std::collections::BTreeSet::new();
        for k in 0..48u8 {
            for x in 0..8u8 {
                let (_, p) = w.op(&[x, k, x, 1, 2, x, 3, x]);
                generated.insert(OpKind::of(&p));
            }
        }
        assert_eq!(generated.len(), OpKind::ALL.len(), "every kind is generated");
    }
}
