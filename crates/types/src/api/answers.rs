//! The shapes of the node's JSON answers: the node serialises these structs and the SDK
//! deserialises the same ones, so the two cannot drift.

use crate::amount::{self, Amount};
use crate::datanet::ContributionStatus;
use crate::event::Event;
use crate::genesis::Genesis;
use crate::records::{
    Agent, Contribution, Datanet, DatanetVersion, Delegation, Model, Prepaid, Provider, Reputation, Task,
};
use crate::{Address, BlockHeader, Hash, Height, Receipt, SignedTransaction, TxId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `GET /health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    /// Always `ok` when the node answers.
    pub status: String,
    /// The chain it runs.
    pub chain_id: String,
    /// Its durable head.
    pub height: Height,
    /// Transactions waiting in its mempool.
    pub pending: usize,
}

/// `GET /v1/chain`: the chain's genesis and durable head.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChainView {
    /// The chain id.
    pub chain_id: String,
    /// The genesis document.
    pub genesis: Genesis,
    /// The durable head.
    pub head: BlockHeader,
}

/// `GET /v1/blocks/{id}` and `/v1/blocks/latest`: a block with its hash and transaction ids.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BlockView {
    /// The header's hash.
    pub hash: Hash,
    /// The header.
    pub header: BlockHeader,
    /// Each transaction's id, in order.
    pub tx_ids: Vec<TxId>,
    /// The transactions.
    pub txs: Vec<SignedTransaction>,
}

/// `GET /v1/blocks`: headers, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BlockPage {
    /// Each block's hash and header.
    pub blocks: Vec<BlockSummary>,
    /// `before` for the next (older) page; none after genesis.
    pub next: Option<Height>,
}

/// A block without its transactions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BlockSummary {
    /// The header's hash.
    pub hash: Hash,
    /// The header.
    pub header: BlockHeader,
}

/// `GET /v1/accounts/{address}/activity` and `GET /v1/answers`: events, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ActivityPage {
    /// The events, each with its height and transaction.
    pub events: Vec<EventRecord>,
    /// `before` for the next (older) page; none at the end.
    pub next: Option<String>,
}

/// `GET /v1/blocks/{id}/txs?from=&limit=`: a block's header, the block's own events and a range
/// of its transactions, each with its id and receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BlockTxsView {
    /// The header's hash.
    pub hash: Hash,
    /// The header.
    pub header: BlockHeader,
    /// Position of the first transaction returned.
    pub from: u32,
    /// The transactions in the range.
    pub txs: Vec<TxEntry>,
    /// Events of the block itself.
    pub block_events: Vec<Event>,
}

/// One transaction of a block, with what it did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TxEntry {
    /// Its id.
    pub id: TxId,
    /// The signed transaction.
    pub tx: SignedTransaction,
    /// Its receipt.
    pub receipt: Receipt,
}

/// `GET /v1/blocks/{id}/receipts`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReceiptsView {
    /// The block's height.
    pub height: Height,
    /// One receipt per transaction, in order.
    pub receipts: Vec<Receipt>,
    /// Events of the block itself (maturities, expiries).
    pub block_events: Vec<Event>,
}

/// An event as `GET /v1/events` streams it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EventRecord {
    /// Height of the block that emitted it.
    pub height: Height,
    /// The transaction that emitted it (none for block events).
    pub tx_id: Option<TxId>,
    /// The event.
    #[serde(flatten)]
    pub event: Event,
}

/// `PUT /v1/blobs`: the stored blob.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BlobStored {
    /// Its id (BLAKE3 of its bytes).
    pub blob: Hash,
    /// Its size in bytes.
    pub size: u64,
}

/// `GET /v1/datanets`: a page of datanets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DatanetPage {
    /// The datanets, by id.
    pub datanets: Vec<Datanet>,
    /// The cursor of the next page, if any.
    pub next: Option<String>,
}

/// `GET /v1/datanets/{id}`: a datanet and its latest versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DatanetView {
    /// The datanet.
    pub datanet: Datanet,
    /// Its latest versions (at most a page), oldest first.
    pub versions: Vec<DatanetVersion>,
}

/// `GET /v1/datanets/{id}/contributions` and `/v1/contributions`: a page of contributions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContributionPage {
    /// The contributions.
    pub contributions: Vec<Contribution>,
    /// The cursor of the next page, if any.
    pub next: Option<String>,
}

/// A record with its provenance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RecordView {
    /// The contribution it came in.
    pub contribution: u64,
    /// Its position in that contribution.
    pub index: u64,
    /// Who contributed it.
    pub contributor: Address,
    /// The contribution's status.
    pub status: ContributionStatus,
    /// The blob it was cut from.
    pub blob: Hash,
    /// First byte of its source in the blob.
    pub start: u64,
    /// One past its last byte.
    pub end: u64,
    /// BLAKE3 of its text.
    pub hash: Hash,
    /// Its text.
    pub text: String,
}

/// `GET /v1/datanets/{id}/records`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RecordsView {
    /// The records, in order.
    pub records: Vec<RecordView>,
}

/// `GET /v1/datanets/{id}/versions/{n}/index`: a version's attribution index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct IndexView {
    /// The datanet.
    pub datanet: u64,
    /// The version.
    pub version: u64,
    /// The index's id: a hash chain over the version's records as tokens, whatever shards hold
    /// them (what receipts name).
    pub index: Hash,
    /// Its tokenizer.
    pub tokenizer: String,
    /// Tokens indexed.
    pub tokens: u64,
    /// Records indexed.
    pub documents: u64,
    /// Size of the index files.
    pub bytes: u64,
    /// Shards serving the version now (merges in the background lower it).
    #[serde(default)]
    pub shards: u64,
}

/// One occurrence of an attributed span in a record (offsets and lengths in tokens).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReceiptSpan {
    /// Offset of the span in the answer.
    pub answer_offset: u64,
    /// Its length.
    pub len: u64,
    /// The contribution holding the record.
    pub contribution: u64,
    /// The record within it.
    pub record: u32,
    /// Offset of the span in the record.
    pub record_offset: u64,
}

/// An attribution receipt as the API serves it: the same JSON as the attribution engine's
/// receipt (its `digest` is what settlements carry).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AttributionReceipt {
    /// BLAKE3 of the answer.
    pub answer_hash: Hash,
    /// The index attributed against.
    pub index: Hash,
    /// The index's tokenizer, in which offsets and lengths count.
    pub tokenizer: String,
    /// Shortest span kept.
    pub min_len: u64,
    /// Most occurrences of a kept span.
    pub max_count: u64,
    /// Every occurrence of every kept span.
    pub spans: Vec<ReceiptSpan>,
    /// Parts per million per contribution (tagged number, ppm); sums to 1,000,000 or is empty.
    pub weights: Vec<(u64, u32)>,
}

/// `POST /v1/registry/models/{id}/attribute`: a receipt and its digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ModelAttribution {
    /// The receipt's digest (what a settlement of this answer must carry).
    pub digest: Hash,
    /// The receipt.
    pub receipt: AttributionReceipt,
    /// Each span of the receipt, in its order, as a reader needs it: where it is in the text (in
    /// bytes, whatever the tokenizer) and which datanet's contribution it came from (the
    /// receipt's contribution numbers are tagged with the model's part).
    #[serde(default)]
    pub places: Vec<SpanPlace>,
    /// Each contribution's share, by datanet and contribution (the receipt's weights, untagged).
    #[serde(default)]
    pub shares: Vec<ContributionShare>,
}

/// Where an attributed span is in the text, and whose contribution it matches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SpanPlace {
    /// First byte of the span in the text.
    pub start: u64,
    /// One past its last byte.
    pub end: u64,
    /// The datanet.
    pub datanet: u64,
    /// The contribution within it.
    pub contribution: u64,
}

/// A contribution's share of an attribution, in parts per million.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContributionShare {
    /// The datanet.
    pub datanet: u64,
    /// The contribution within it.
    pub contribution: u64,
    /// Parts per million of the contributors' share.
    pub ppm: u32,
}

/// `GET /v1/registry/models`: a page of models.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ModelPage {
    /// The models, by id.
    pub models: Vec<Model>,
    /// The cursor of the next page, if any.
    pub next: Option<String>,
}

/// `GET /v1/datanets/{id}/models`: a page of the models built from a datanet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DatanetModels {
    /// The datanet.
    pub datanet: u64,
    /// The models.
    pub models: Vec<Model>,
    /// The cursor of the next page, if any.
    pub next: Option<String>,
}

/// One datanet version a model was built from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LineageEntry {
    /// The datanet.
    pub datanet: u64,
    /// The version.
    pub version: u64,
    /// The version's record (absent if it is not in state).
    pub details: Option<DatanetVersion>,
}

/// `GET /v1/registry/models/{id}`: a model and its lineage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ModelView {
    /// The model.
    pub model: Model,
    /// The datanet versions it was built from.
    pub lineage: Vec<LineageEntry>,
}

/// A provider with the stake behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderView {
    /// The provider.
    #[serde(flatten)]
    pub provider: Provider,
    /// Its stakers and their stake.
    pub stakers: Vec<Delegation>,
}

/// `GET /v1/registry/providers`: a page of providers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderPage {
    /// The providers.
    pub providers: Vec<ProviderView>,
    /// The cursor of the next page, if any.
    pub next: Option<String>,
}

/// `GET /v1/accounts/{address}/inference`: prepaid balance and claimable rewards.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InferenceAccount {
    /// The account.
    pub account: Address,
    /// Its prepaid balance.
    pub prepaid: Prepaid,
    /// What it may still spend or withdraw.
    #[serde(with = "amount::as_string")]
    #[schemars(with = "String")]
    pub prepaid_available: Amount,
    /// Its claimable rewards.
    #[serde(with = "amount::as_string")]
    #[schemars(with = "String")]
    pub rewards: Amount,
}

/// An agent with its track record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AgentView {
    /// The agent.
    pub agent: Agent,
    /// Its record.
    pub reputation: Reputation,
    /// Its score (higher is better; see `Reputation::score`).
    pub score: u64,
}

/// `GET /v1/agents`: a page of agents, best score first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AgentPage {
    /// The agents.
    pub agents: Vec<AgentView>,
    /// The cursor of the next page, if any.
    pub next: Option<String>,
}

/// `GET /v1/tasks`: a page of tasks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TaskPage {
    /// The tasks.
    pub tasks: Vec<Task>,
    /// The cursor of the next page, if any.
    pub next: Option<String>,
}

/// `GET /v1/tasks/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TaskView {
    /// The task.
    pub task: Task,
}

/// `GET /v1/validators`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ValidatorSet {
    /// The validators in index order (empty: a single-node sequencer orders blocks).
    pub validators: Vec<crate::records::Validator>,
}

/// An error answer: `{"error": {"code", "message"}}` (the OpenAI-compatible routes use the same
/// envelope with OpenAI's fields).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorAnswer {
    /// What went wrong.
    pub error: crate::wire::ErrorBody,
}

/// `GET /v1/consensus`: how this node orders blocks and where consensus stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConsensusStatus {
    /// `sequencer` (a single node orders blocks) or `simplex` (BFT among the validators).
    pub engine: String,
    /// This node's validator key (none for a sequencer).
    pub validator: Option<Address>,
    /// The epoch (one per validator set).
    pub epoch: u64,
    /// The view in progress (one past the highest view with a certificate seen here).
    pub view: u64,
    /// The leader of the view in progress.
    pub leader: Option<Address>,
    /// The highest finalized view seen here.
    pub finalized_view: u64,
    /// The committed (final and durable) height on this node.
    pub finalized_height: Height,
    /// Views skipped (nullified) since this node started.
    pub nullified_views: u64,
    /// The other validators, and whether this node blocks them.
    pub peers: Vec<PeerStatus>,
    /// Validators proven faulty by conflicting signed votes (the latest, most recent last).
    pub faults: Vec<FaultReport>,
}

/// A peer validator as one node sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PeerStatus {
    /// Its validator key.
    pub key: Address,
    /// Whether this node blocks it (it sent something an honest validator never sends).
    pub blocked: bool,
}

/// Evidence that a validator signed conflicting votes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FaultReport {
    /// The validator.
    pub validator: Address,
    /// The view it equivocated in.
    pub view: u64,
    /// `conflicting_notarize`, `conflicting_finalize` or `nullify_finalize`.
    pub kind: String,
}

/// `GET /v1/blocks/{height}/finalization`: the certificate by which a quorum of validators
/// finalized a block (for a light client: check it against the validator set, then trust the
/// block's header and its state root).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FinalizationView {
    /// The height asked for.
    pub height: Height,
    /// The finalized block's header hash.
    pub block_hash: Hash,
    /// The epoch of the finalizing view.
    pub epoch: u64,
    /// The finalizing view.
    pub view: u64,
    /// The view of the block's parent.
    pub parent_view: u64,
    /// The validators whose signatures the certificate holds.
    pub signers: Vec<Address>,
    /// The certificate in commonware's encoding, hex (what `sinew verify-proof --finalization`
    /// checks).
    pub certificate: String,
}
