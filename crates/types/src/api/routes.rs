//! Every route of the node's HTTP API, once: the node builds its router from this list (a
//! handler per route, matched exhaustively), the OpenAPI document is generated from it, and the
//! SDK's typed methods are tested against it.

/// An HTTP method the API uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
}

impl Method {
    /// Lowercase, as OpenAPI names it.
    pub fn name(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
        }
    }
}

/// What a route answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// JSON of the named schema.
    Json(&'static str),
    /// Server-sent events, each the JSON of the named schema.
    Events(&'static str),
    /// Plain text.
    Text,
    /// Raw bytes.
    Bytes,
}

/// A route of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)]
pub enum Route {
    Health,
    Metrics,
    OpenApi,
    Chain,
    Params,
    SubmitTx,
    SubmitBatch,
    TxStatus,
    Account,
    StateValue,
    LatestBlock,
    Blocks,
    Block,
    BlockReceipts,
    BlockTxs,
    Events,
    UploadBlob,
    DownloadBlob,
    Datanets,
    Datanet,
    DatanetVersion,
    DatanetContributions,
    DatanetRecords,
    Contributions,
    VersionIndex,
    AttributeToVersion,
    DatanetModels,
    Models,
    Model,
    Providers,
    AccountInference,
    AccountActivity,
    Answers,
    OpenAiModels,
    ChatCompletions,
    Completions,
    AttributeToModel,
    Agents,
    Agent,
    Tasks,
    Task,
    TaskHistory,
    Validators,
    Consensus,
    BlockFinalization,
}

/// A query parameter: name and meaning.
pub type QueryParam = (&'static str, &'static str);

const PAGE: &[QueryParam] = &[
    ("after", "the cursor of the previous page (its `next`)"),
    ("limit", "entries per page (default 100, at most 1,000)"),
];
const HEIGHT: &[QueryParam] = &[("height", "the height to read at (default: the durable head)")];
const WAIT: &[QueryParam] = &[(
    "wait",
    "`commit`: answer once the transaction is durable in a block (or dropped)",
)];

impl Route {
    /// Every route.
    pub const ALL: [Route; 45] = {
        use Route::*;
        [
            Health,
            Metrics,
            OpenApi,
            Chain,
            Params,
            SubmitTx,
            SubmitBatch,
            TxStatus,
            Account,
            StateValue,
            LatestBlock,
            Blocks,
            Block,
            BlockReceipts,
            BlockTxs,
            Events,
            UploadBlob,
            DownloadBlob,
            Datanets,
            Datanet,
            DatanetVersion,
            DatanetContributions,
            DatanetRecords,
            Contributions,
            VersionIndex,
            AttributeToVersion,
            DatanetModels,
            Models,
            Model,
            Providers,
            AccountInference,
            AccountActivity,
            Answers,
            OpenAiModels,
            ChatCompletions,
            Completions,
            AttributeToModel,
            Agents,
            Agent,
            Tasks,
            Task,
            TaskHistory,
            Validators,
            Consensus,
            BlockFinalization,
        ]
    };

    /// Its method and path (axum's `{param}` syntax, which is also OpenAPI's).
    pub fn endpoint(self) -> (Method, &'static str) {
        use Method::*;
        match self {
            Route::Health => (Get, "/health"),
            Route::Metrics => (Get, "/metrics"),
            Route::OpenApi => (Get, "/openapi.json"),
            Route::Chain => (Get, "/v1/chain"),
            Route::Params => (Get, "/v1/params"),
            Route::SubmitTx => (Post, "/v1/txs"),
            Route::SubmitBatch => (Post, "/v1/txs/batch"),
            Route::TxStatus => (Get, "/v1/txs/{id}"),
            Route::Account => (Get, "/v1/accounts/{address}"),
            Route::StateValue => (Get, "/v1/state/{key}"),
            Route::LatestBlock => (Get, "/v1/blocks/latest"),
            Route::Blocks => (Get, "/v1/blocks"),
            Route::Block => (Get, "/v1/blocks/{id}"),
            Route::BlockReceipts => (Get, "/v1/blocks/{id}/receipts"),
            Route::BlockTxs => (Get, "/v1/blocks/{id}/txs"),
            Route::Events => (Get, "/v1/events"),
            Route::UploadBlob => (Put, "/v1/blobs"),
            Route::DownloadBlob => (Get, "/v1/blobs/{id}"),
            Route::Datanets => (Get, "/v1/datanets"),
            Route::Datanet => (Get, "/v1/datanets/{id}"),
            Route::DatanetVersion => (Get, "/v1/datanets/{id}/versions/{n}"),
            Route::DatanetContributions => (Get, "/v1/datanets/{id}/contributions"),
            Route::DatanetRecords => (Get, "/v1/datanets/{id}/records"),
            Route::Contributions => (Get, "/v1/contributions"),
            Route::VersionIndex => (Get, "/v1/datanets/{id}/versions/{n}/index"),
            Route::AttributeToVersion => (Post, "/v1/datanets/{id}/versions/{n}/attribute"),
            Route::DatanetModels => (Get, "/v1/datanets/{id}/models"),
            Route::Models => (Get, "/v1/registry/models"),
            Route::Model => (Get, "/v1/registry/models/{id}"),
            Route::Providers => (Get, "/v1/registry/providers"),
            Route::AccountInference => (Get, "/v1/accounts/{address}/inference"),
            Route::AccountActivity => (Get, "/v1/accounts/{address}/activity"),
            Route::Answers => (Get, "/v1/answers"),
            Route::OpenAiModels => (Get, "/v1/models"),
            Route::ChatCompletions => (Post, "/v1/chat/completions"),
            Route::Completions => (Post, "/v1/completions"),
            Route::AttributeToModel => (Post, "/v1/registry/models/{id}/attribute"),
            Route::Agents => (Get, "/v1/agents"),
            Route::Agent => (Get, "/v1/agents/{address}"),
            Route::Tasks => (Get, "/v1/tasks"),
            Route::Task => (Get, "/v1/tasks/{id}"),
            Route::TaskHistory => (Get, "/v1/tasks/{id}/history"),
            Route::Validators => (Get, "/v1/validators"),
            Route::Consensus => (Get, "/v1/consensus"),
            Route::BlockFinalization => (Get, "/v1/blocks/{id}/finalization"),
        }
    }

    /// What it does, in a line.
    pub fn summary(self) -> &'static str {
        match self {
            Route::Health => "Liveness, chain id, durable height and mempool size",
            Route::Metrics => "Prometheus metrics",
            Route::OpenApi => "This document",
            Route::Chain => "The genesis document and the durable head",
            Route::Params => "Parameters in force for the next block",
            Route::SubmitTx => "Submit one signed transaction (JSON, or borsh as application/octet-stream)",
            Route::SubmitBatch => "Submit a batch of signed transactions",
            Route::TxStatus => "Where a transaction stands: pending, committed with its receipt, or dropped and why",
            Route::Account => "An account with its Merkle proof against a block's state root",
            Route::StateValue => "Any state key (hex) with its Merkle proof",
            Route::LatestBlock => "The durable head block",
            Route::Blocks => "Block headers, newest first, a page at a time",
            Route::Block => "A block by height or header hash",
            Route::BlockReceipts => "A block's receipts and block events",
            Route::BlockTxs => "A block's header and a range of its transactions with their receipts",
            Route::Events => "The event stream (server-sent events), from the next durable block on",
            Route::UploadBlob => "Upload a blob (a contribution's file, a task spec); answers its BLAKE3 id",
            Route::DownloadBlob => "A blob's bytes, checked against its id",
            Route::Datanets => "Datanets by id, a page at a time",
            Route::Datanet => "A datanet and its latest versions",
            Route::DatanetVersion => "A published version of a datanet",
            Route::DatanetContributions => "A datanet's contributions in order, a page at a time",
            Route::DatanetRecords => "A datanet's records with their provenance (contribution, blob, byte range)",
            Route::Contributions => "Contributions by contributor across datanets",
            Route::VersionIndex => "A version's attribution index (built on first use)",
            Route::AttributeToVersion => "Attribute a text to a datanet version: the receipt anyone can check",
            Route::DatanetModels => "The models built from a datanet",
            Route::Models => "Registered models by id, a page at a time",
            Route::Model => "A model and the datanet versions it was built from",
            Route::Providers => "Registered providers with their stakers",
            Route::AccountInference => "An account's prepaid balance and claimable rewards",
            Route::AccountActivity => "Events concerning an account, newest first, a page at a time",
            Route::Answers => "Paid answers (their settlement events), newest first, of one model or all",
            Route::OpenAiModels => "OpenAI-compatible: the models this gateway serves",
            Route::ChatCompletions => "OpenAI-compatible chat completion, attributed and settled on the ledger",
            Route::Completions => "OpenAI-compatible text completion, attributed and settled on the ledger",
            Route::AttributeToModel => {
                "Attribute a text to a model's datanets as a settlement would (receipt and digest)"
            }
            Route::Agents => "Agents by reputation score, optionally with one capability",
            Route::Agent => "An agent, its reputation and score",
            Route::Tasks => "Tasks, filtered by status, kind or claimant",
            Route::Task => "A task",
            Route::TaskHistory => {
                "A task's events (posted, claimed, submitted, challenged, settled, slashed), newest first"
            }
            Route::Validators => "The validator set (empty: a single-node sequencer orders blocks)",
            Route::Consensus => {
                "Where consensus stands: view, leader, finalized height, peers, blocked peers, proven faults"
            }
            Route::BlockFinalization => "The certificate by which a quorum of validators finalized a block (by height)",
        }
    }

    /// What it answers on success.
    pub fn answer(self) -> Answer {
        use Answer::*;
        match self {
            Route::Health => Json("Health"),
            Route::Metrics => Text,
            Route::OpenApi => Json("OpenApiDocument"),
            Route::Chain => Json("ChainView"),
            Route::Params => Json("Params"),
            Route::SubmitTx | Route::TxStatus => Json("SubmitReply"),
            Route::SubmitBatch => Json("BatchResult"),
            Route::Account => Json("AccountView"),
            Route::StateValue => Json("ProvenValue"),
            Route::LatestBlock | Route::Block => Json("BlockView"),
            Route::Blocks => Json("BlockPage"),
            Route::BlockReceipts => Json("ReceiptsView"),
            Route::BlockTxs => Json("BlockTxsView"),
            Route::Events => Events("EventRecord"),
            Route::UploadBlob => Json("BlobStored"),
            Route::DownloadBlob => Bytes,
            Route::Datanets => Json("DatanetPage"),
            Route::Datanet => Json("DatanetView"),
            Route::DatanetVersion => Json("DatanetVersion"),
            Route::DatanetContributions | Route::Contributions => Json("ContributionPage"),
            Route::DatanetRecords => Json("RecordsView"),
            Route::VersionIndex => Json("IndexView"),
            Route::AttributeToVersion => Json("AttributionReceipt"),
            Route::DatanetModels => Json("DatanetModels"),
            Route::Models => Json("ModelPage"),
            Route::Model => Json("ModelView"),
            Route::Providers => Json("ProviderPage"),
            Route::AccountInference => Json("InferenceAccount"),
            Route::AccountActivity | Route::Answers | Route::TaskHistory => Json("ActivityPage"),
            Route::OpenAiModels => Json("ModelList"),
            Route::ChatCompletions => Json("ChatCompletion"),
            Route::Completions => Json("Completion"),
            Route::AttributeToModel => Json("ModelAttribution"),
            Route::Agents => Json("AgentPage"),
            Route::Agent => Json("AgentView"),
            Route::Tasks => Json("TaskPage"),
            Route::Task => Json("TaskView"),
            Route::Validators => Json("ValidatorSet"),
            Route::Consensus => Json("ConsensusStatus"),
            Route::BlockFinalization => Json("FinalizationView"),
        }
    }

    /// Its request body's schema, if it takes one.
    pub fn body(self) -> Option<&'static str> {
        match self {
            Route::SubmitTx => Some("SignedTransaction"),
            Route::SubmitBatch => Some("SignedTransactionList"),
            Route::UploadBlob => Some("bytes"),
            Route::AttributeToVersion => Some("AttributeRequest"),
            Route::AttributeToModel => Some("ModelAttributeRequest"),
            Route::ChatCompletions => Some("ChatRequest"),
            Route::Completions => Some("CompletionRequest"),
            _ => None,
        }
    }

    /// Its query parameters.
    pub fn query(self) -> &'static [QueryParam] {
        match self {
            Route::SubmitTx | Route::SubmitBatch => WAIT,
            Route::Account | Route::StateValue => HEIGHT,
            Route::TaskHistory => &[
                ("before", "the cursor of the previous page (its `next`)"),
                ("limit", "entries per page (default 50, at most 500)"),
            ],
            Route::AccountActivity => &[
                ("rewards", "`true`: only the rewards the account accrued"),
                ("before", "the cursor of the previous page (its `next`)"),
                ("limit", "entries per page (default 50, at most 500)"),
            ],
            Route::Answers => &[
                ("model", "only this model's answers"),
                ("before", "the cursor of the previous page (its `next`)"),
                ("limit", "entries per page (default 50, at most 500)"),
            ],
            Route::BlockTxs => &[
                ("from", "the first transaction's position (default 0)"),
                ("limit", "transactions (default 100, at most 1,000)"),
            ],
            Route::Blocks => &[
                ("before", "only blocks below this height (the previous page's `next`)"),
                ("limit", "headers per page (default 20, at most 100)"),
            ],
            Route::Datanets | Route::Models | Route::Providers | Route::DatanetModels => PAGE,
            Route::DatanetContributions | Route::Contributions => &[
                ("contributor", "only this contributor's"),
                ("after", "the cursor of the previous page (its `next`)"),
                ("limit", "entries per page (default 100, at most 1,000)"),
            ],
            Route::DatanetRecords => &[
                ("contribution", "only this contribution's records"),
                ("version", "only this published version's records, in its index's order"),
                ("offset", "records to skip"),
                ("limit", "records per page"),
            ],
            Route::VersionIndex => &[("tokenizer", "bytes (default), gpt2 or cl100k")],
            Route::Agents => &[
                ("capability", "only active agents with this capability"),
                ("after", "the cursor of the previous page (its `next`)"),
                ("limit", "entries per page (default 100, at most 1,000)"),
            ],
            Route::Tasks => &[
                ("status", "open, claimed, submitted, completed or closed"),
                ("kind", "only tasks of this kind"),
                ("claimant", "only tasks claimed by this address"),
                ("after", "the cursor of the previous page (its `next`)"),
                ("limit", "entries per page (default 100, at most 1,000)"),
            ],
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_route_list_is_complete_and_endpoints_are_unique() {
        for (i, r) in Route::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i, "ALL is in declaration order");
        }
        assert_eq!(
            Route::ALL.len(),
            Route::BlockFinalization as usize + 1,
            "ALL lists every route"
        );
        let endpoints: std::collections::BTreeSet<_> = Route::ALL.iter().map(|r| r.endpoint().1).collect();
        assert_eq!(endpoints.len(), Route::ALL.len(), "one route per path");
    }
}
