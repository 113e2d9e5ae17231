//! A chain for rule-by-rule tests: one transaction per block over in-memory state (each block
//! also validated by a replica, supply checked after each), blobs in memory, and fixtures: a
//! datanet, a published version, a provider serving a model.

use crate::genesis::{supply, test_genesis, total_held};
use sinew_state::read;
use sinew_state::{Account, Chain, Contribution, MemState, StateKey, TxRejection};
use sinew_types::datanet::{BlobId, CurationPolicy, DatanetInfo, DatanetRules, Format};
use sinew_types::inference::{ModelInfo, Pricing, Split};
use sinew_types::{Address, FailureCode, Hash, Keypair, Payload, Receipt, Transaction, TxStatus};

pub use crate::blobs::MemBlobs;
use sinew_types::payload::{
    Contribute, CreateDatanet, DatanetTx, PublishVersion, RegisterModel, RegisterProvider, ServeModel, Stake, Transfer,
};

/// A one-replica chain that runs one transaction per block.
pub struct Net {
    /// The chain.
    pub chain: Chain,
    /// Its state.
    pub state: MemState,
    /// The funded dev keys (key 0 is the governance authority).
    pub keys: Vec<Keypair>,
    /// Blobs the ledger reads.
    pub blobs: MemBlobs,
    /// Each key's next nonce.
    pub nonces: Vec<u64>,
    /// Fees each key has paid so far.
    pub fees: Vec<u128>,
}

/// Plain text, one record per paragraph up to 4 KiB.
pub const TEXT: Format = Format::Text { max_record_bytes: 4096 };

impl Default for Net {
    fn default() -> Net {
        Net::new()
    }
}

impl Net {
    /// A chain with five funded keys.
    pub fn new() -> Net {
        Net::with_keys(5)
    }

    /// A chain with `count` funded keys.
    pub fn with_keys(count: usize) -> Net {
        let (g, keys) = test_genesis(count, 1_000_000_000);
        let (mut chain, gb) = Chain::from_genesis(&g, 8).unwrap();
        let mut state = MemState::default();
        state.apply(&gb.effects.writes);
        chain.commit(gb);
        Net {
            chain,
            state,
            keys,
            blobs: MemBlobs::default(),
            nonces: vec![0; count],
            fees: vec![0; count],
        }
    }

    /// Runs one transaction in its own block: the receipt, or why it was not included.
    pub fn run(&mut self, who: usize, payload: Payload) -> Result<Receipt, TxRejection> {
        let tx = Transaction {
            chain_id: "sinew-test".into(),
            signer: self.keys[who].address(),
            nonce: self.nonces[who],
            max_fee: 10_000_000,
            payload,
        };
        let p = self.keys[who].sign(tx).prepare();
        let (ex, mut rejected) = self
            .chain
            .propose(&self.state, &self.blobs, [&p], 0, Address::default())
            .unwrap();
        if let Some((_, r)) = rejected.pop() {
            return Err(r);
        }
        let receipt = ex.effects.receipts[0].clone();
        // Every block also validates on a replica with the same blobs.
        self.chain
            .validate(&self.state, &self.blobs, ex.block.clone(), |_| false)
            .expect("replica agrees");
        self.state.apply(&ex.effects.writes);
        self.chain.commit(ex);
        self.nonces[who] += 1;
        self.fees[who] += receipt.fee;
        assert_eq!(total_held(&self.state), supply(&self.state), "supply conserved");
        if let Err(e) = crate::invariants::check_ledger(&self.state) {
            panic!("ledger invariant broken at height {}: {e}", self.height());
        }
        Ok(receipt)
    }

    /// Runs a transaction that must succeed; its receipt.
    pub fn ok(&mut self, who: usize, payload: Payload) -> Receipt {
        let r = self.run(who, payload).expect("included");
        assert_eq!(r.status, TxStatus::Success, "{r:?}");
        r
    }

    /// Runs `payload` by `who`, which must fail with `expected`, changing nothing but the
    /// signer's fee and nonce.
    #[track_caller]
    pub fn expect_failure(&mut self, who: usize, payload: Payload, expected: impl Into<FailureCode>) {
        let expected = expected.into();
        let got = self.fails(who, payload);
        assert_eq!(got, expected, "failed with {got}, not {expected}");
    }

    /// Runs a transaction that must be included and fail, changing nothing but the signer's
    /// fee and nonce; its failure code.
    pub fn fails(&mut self, who: usize, payload: Payload) -> FailureCode {
        let before = self.state.clone();
        let r = self.run(who, payload).expect("included");
        match r.status {
            TxStatus::Failed { code, .. } => {
                // Only the fee and the nonce changed.
                let changed: Vec<_> = self
                    .state
                    .map
                    .iter()
                    .filter(|(k, v)| before.map.get(*k) != Some(v))
                    .map(|(k, _)| k.clone())
                    .collect();
                let allowed = [
                    StateKey::Account(self.keys[who].address()).encode(),
                    StateKey::Account(sinew_state::accounts::treasury()).encode(),
                ];
                assert!(
                    changed.iter().all(|k| allowed.contains(k)),
                    "a failed transaction changed more than fee and nonce"
                );
                code
            }
            s => panic!("expected a failure, got {s:?}"),
        }
    }

    /// The committed height.
    pub fn height(&self) -> u64 {
        self.chain.head().height
    }

    /// Adds `n` blocks (a transfer each, from key 0 to an address no test key holds).
    pub fn advance(&mut self, n: u64) {
        for _ in 0..n {
            let to = Address([0xAD; 32]);
            self.ok(0, Transfer { to, amount: 1 }.into());
        }
    }

    /// Stores a blob (a task spec) and returns its id.
    pub fn put_blob(&mut self, bytes: &[u8]) -> Hash {
        let id = Hash::of(bytes);
        self.blobs.put(bytes);
        id
    }

    /// Stores `text` as a blob and returns it with a contribution of it to datanet 0.
    pub fn blob(&mut self, text: &str) -> (BlobId, Payload) {
        self.blobs.put(text.as_bytes());
        (Hash::of(text.as_bytes()), contribution(text.as_bytes()))
    }

    /// The spendable balance of `a`.
    pub fn balance(&self, a: &Address) -> u128 {
        read::<Account, _>(&self.state, &StateKey::Account(*a))
            .unwrap()
            .unwrap_or_default()
            .balance
    }

    /// Contribution `s` of datanet `d` (it must exist).
    pub fn contribution(&self, d: u64, s: u64) -> Contribution {
        read(&self.state, &StateKey::Contribution(d, s)).unwrap().unwrap()
    }
}

/// A `CreateDatanet` of "rivers" with `curation` (bond 1,000, half slashed on rejection).
pub fn create(curation: CurationPolicy, refuse_near: bool) -> Payload {
    CreateDatanet {
        info: DatanetInfo {
            name: "rivers".into(),
            description: "facts about rivers".into(),
            license: "CC-BY-4.0".into(),
            tags: vec!["geo".into()],
        },
        rules: DatanetRules {
            curation,
            contribution_bond: 1_000,
            reject_slash_bps: 5_000,
            publish_fee_per_byte: 2,
            refuse_near_duplicates: refuse_near,
        },
    }
    .into()
}

/// A contribution of `bytes` (text records) to datanet 0, its record count and root computed as
/// the ledger will.
pub fn contribution(bytes: &[u8]) -> Payload {
    let ing = sinew_datanet::ingest_blob(bytes, &TEXT, "t").unwrap();
    Contribute {
        datanet: 0,
        blob: Hash::of(bytes),
        size: bytes.len() as u64,
        format: TEXT,
        record_count: ing.records.len() as u32,
        records_root: sinew_datanet::records_root(&ing.records),
        metadata: "test".into(),
    }
    .into()
}

/// A contribution payload aimed at datanet `id` instead (other payloads unchanged).
pub fn with_datanet(p: Payload, id: u64) -> Payload {
    match p {
        Payload::Datanet(DatanetTx::Contribute(Contribute {
            blob,
            size,
            format,
            record_count,
            records_root,
            metadata,
            ..
        })) => Contribute {
            datanet: id,
            blob,
            size,
            format,
            record_count,
            records_root,
            metadata,
        }
        .into(),
        other => other,
    }
}

/// Model `river-lm` on datanet 0 version 1, served by `provider`: bytes tokenizer, prices
/// 1000/2000 per 1k tokens, fees split 20% owner, 30% provider, 50% contributors.
pub fn river_lm(provider: Address) -> Payload {
    RegisterModel {
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
    .into()
}

/// Records of the datanet [`with_model`] builds.
pub const RIVERS: &str = "The Danube flows through ten countries before it reaches the Black Sea at a wide delta.";
/// Records of the datanet [`with_model`] builds.
pub const LAKES: &str = "Lake Baikal in Siberia holds about a fifth of the unfrozen fresh water on the planet.";

/// A published datanet 0 (owner 0) with one record by key 1 and one by key 2, provider 3 (built
/// in), and model 0 `river-lm` (owner 0, bytes tokenizer, prices 1000/2000 per 1k, split
/// 20/30/50).
pub fn with_model(n: &mut Net) {
    n.ok(0, create(CurationPolicy::Open, false));
    let (_, a) = n.blob(RIVERS);
    n.ok(1, a);
    let (_, b) = n.blob(LAKES);
    n.ok(2, b);
    n.ok(0, PublishVersion { datanet: 0 }.into());
    n.ok(3, Stake { amount: 10_000 }.into());
    n.ok(
        3,
        RegisterProvider {
            name: "gateway".into(),
            endpoint: "builtin".into(),
        }
        .into(),
    );
    let provider = n.keys[3].address();
    n.ok(0, river_lm(provider));
    // The provider accepts to serve it.
    n.ok(3, ServeModel { model: 0, serve: true }.into());
}
