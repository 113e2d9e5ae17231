//! One typed method per route of the node's API (`sinew_types::api::Route`), in the route
//! table's order.

use crate::{Client, SdkError};
use sinew_types::api::answers::*;
use sinew_types::api::openai::{ChatCompletion, Completion, ModelList};
use sinew_types::api::queries::*;
use sinew_types::api::requests::{AttributeRequest, ChatRequest, CompletionRequest, ModelAttributeRequest};
use sinew_types::inference::Voucher;
use sinew_types::records::DatanetVersion;
use sinew_types::wire::{AccountView, BatchResult, ProvenValue, SubmitReply};
use sinew_types::{Address, Hash, Height, Params, SignedTransaction, TxId};

impl Client {
    /// `GET /health`.
    pub fn health(&self) -> Result<Health, SdkError> {
        self.get("/health")
    }

    /// `GET /metrics`: Prometheus text.
    pub fn metrics(&self) -> Result<String, SdkError> {
        self.agent
            .get(&format!("{}/metrics", self.base))
            .call()
            .map_err(|e| SdkError::Transport(e.to_string()))?
            .into_string()
            .map_err(|e| SdkError::Decode(e.to_string()))
    }

    /// `GET /openapi.json`.
    pub fn openapi(&self) -> Result<serde_json::Value, SdkError> {
        self.get("/openapi.json")
    }

    /// `GET /v1/chain`: genesis and durable head.
    pub fn chain(&self) -> Result<ChainView, SdkError> {
        self.get("/v1/chain")
    }

    /// The chain id.
    pub fn chain_id(&self) -> Result<String, SdkError> {
        Ok(self.health()?.chain_id)
    }

    /// The durable head's height.
    pub fn height(&self) -> Result<Height, SdkError> {
        Ok(self.health()?.height)
    }

    /// `GET /v1/params`: parameters in force.
    pub fn params(&self) -> Result<Params, SdkError> {
        self.get("/v1/params")
    }

    /// `POST /v1/txs`: submits one transaction as JSON; with `wait`, answers once it is
    /// committed or dropped.
    pub fn submit(&self, tx: &SignedTransaction, wait: bool) -> Result<SubmitReply, SdkError> {
        let url = format!("{}/v1/txs?wait={}", self.base, if wait { "commit" } else { "none" });
        let body = serde_json::to_value(tx).map_err(|e| SdkError::Decode(e.to_string()))?;
        Self::handle(self.agent.post(&url).send_json(body))
    }

    fn batch_url(&self, wait: bool) -> String {
        let wait = if wait { "commit" } else { "none" };
        format!("{}/v1/txs/batch?wait={wait}", self.base)
    }

    /// `POST /v1/txs/batch`: many transactions in the binary encoding (answered in binary too).
    pub fn submit_batch(&self, txs: &[SignedTransaction], wait: bool) -> Result<BatchResult, SdkError> {
        let body = sinew_types::encoding::encode(&txs);
        let resp = self
            .agent
            .post(&self.batch_url(wait))
            .set("content-type", "application/octet-stream")
            .set("accept", "application/octet-stream")
            .send_bytes(&body)
            .map_err(crate::error_of)?;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut resp.into_reader(), &mut bytes)
            .map_err(|e| SdkError::Transport(e.to_string()))?;
        borsh::from_slice(&bytes).map_err(|e| SdkError::Decode(e.to_string()))
    }

    /// `POST /v1/txs/batch` with a JSON array.
    pub fn submit_batch_json(&self, txs: &[SignedTransaction], wait: bool) -> Result<BatchResult, SdkError> {
        let body = serde_json::to_value(txs).map_err(|e| SdkError::Decode(e.to_string()))?;
        Self::handle(self.agent.post(&self.batch_url(wait)).send_json(body))
    }

    /// `GET /v1/txs/{id}`: where a transaction stands.
    pub fn tx(&self, id: &TxId) -> Result<SubmitReply, SdkError> {
        self.get(&format!("/v1/txs/{id}"))
    }

    /// `GET /v1/accounts/{address}`: an account with its proof, at `height` or the head.
    pub fn account(&self, address: &Address, height: Option<Height>) -> Result<AccountView, SdkError> {
        self.get_with(&format!("/v1/accounts/{address}"), &AtHeight { height })
    }

    /// `GET /v1/state/{key}`: any state key with its proof.
    pub fn state_value(&self, key: &[u8], height: Option<Height>) -> Result<ProvenValue, SdkError> {
        self.get_with(&format!("/v1/state/{}", hex::encode(key)), &AtHeight { height })
    }

    /// `GET /v1/blocks/latest`.
    pub fn latest_block(&self) -> Result<BlockView, SdkError> {
        self.get("/v1/blocks/latest")
    }

    /// `GET /v1/blocks?before=&limit=`: headers, newest first; `next` continues the list.
    pub fn blocks(&self, before: Option<u64>, limit: Option<usize>) -> Result<BlockPage, SdkError> {
        self.get_with("/v1/blocks", &BlockRange { before, limit })
    }

    /// `GET /v1/blocks/{id}/txs?from=&limit=`: the header and a range of transactions with their
    /// receipts.
    pub fn block_txs(&self, id: &str, from: Option<u32>, limit: Option<u32>) -> Result<BlockTxsView, SdkError> {
        self.get_with(&format!("/v1/blocks/{id}/txs"), &TxRange { from, limit })
    }

    /// `GET /v1/blocks/{id}`: by height or header hash.
    pub fn block(&self, id: &str) -> Result<BlockView, SdkError> {
        self.get(&format!("/v1/blocks/{id}"))
    }

    /// `GET /v1/blocks/{id}/receipts`.
    pub fn receipts(&self, id: &str) -> Result<ReceiptsView, SdkError> {
        self.get(&format!("/v1/blocks/{id}/receipts"))
    }

    /// `GET /v1/events`: the event stream from the next durable block on.
    pub fn events(&self, filter: &EventFilter) -> Result<crate::EventStream, SdkError> {
        crate::events::open(self, filter)
    }

    /// `PUT /v1/blobs`: uploads a blob, streaming from `reader`.
    pub fn upload_blob(&self, reader: impl std::io::Read, len: Option<u64>) -> Result<BlobStored, SdkError> {
        let mut req = self
            .agent
            .put(&format!("{}/v1/blobs", self.base))
            .set("content-type", "application/octet-stream");
        if let Some(n) = len {
            req = req.set("content-length", &n.to_string());
        }
        Self::handle(req.send(reader))
    }

    /// `GET /v1/blobs/{id}`: a blob's bytes.
    pub fn blob(&self, id: &Hash) -> Result<Vec<u8>, SdkError> {
        self.blob_at_most(id, u64::MAX)
    }

    /// `GET /v1/blobs/{id}`, refusing an answer longer than `max` bytes (from a node not trusted
    /// to stop sending).
    pub fn blob_at_most(&self, id: &Hash, max: u64) -> Result<Vec<u8>, SdkError> {
        let resp = self
            .agent
            .get(&format!("{}/v1/blobs/{id}", self.base))
            .call()
            .map_err(crate::error_of)?;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(resp.into_reader(), max.saturating_add(1)),
            &mut bytes,
        )
        .map_err(|e| SdkError::Transport(e.to_string()))?;
        if bytes.len() as u64 > max {
            return Err(SdkError::Transport(format!("blob {id} is longer than {max} bytes")));
        }
        Ok(bytes)
    }

    /// `GET /v1/datanets`.
    pub fn datanets(&self, page: &Page) -> Result<DatanetPage, SdkError> {
        self.get_with("/v1/datanets", page)
    }

    /// `GET /v1/datanets/{id}`.
    pub fn datanet(&self, id: u64) -> Result<DatanetView, SdkError> {
        self.get(&format!("/v1/datanets/{id}"))
    }

    /// `GET /v1/datanets/{id}/versions/{n}`.
    pub fn datanet_version(&self, id: u64, n: u64) -> Result<DatanetVersion, SdkError> {
        self.get(&format!("/v1/datanets/{id}/versions/{n}"))
    }

    /// `GET /v1/datanets/{id}/contributions`.
    pub fn datanet_contributions(&self, id: u64, filter: &ContributionFilter) -> Result<ContributionPage, SdkError> {
        self.get_with(&format!("/v1/datanets/{id}/contributions"), filter)
    }

    /// `GET /v1/datanets/{id}/records`.
    pub fn datanet_records(&self, id: u64, page: &RecordPage) -> Result<RecordsView, SdkError> {
        self.get_with(&format!("/v1/datanets/{id}/records"), page)
    }

    /// `GET /v1/contributions`: a contributor's contributions across datanets.
    pub fn contributions(&self, filter: &ContributionFilter) -> Result<ContributionPage, SdkError> {
        self.get_with("/v1/contributions", filter)
    }

    /// `GET /v1/datanets/{id}/versions/{n}/index`.
    pub fn version_index(&self, id: u64, n: u64, tokenizer: Option<&str>) -> Result<IndexView, SdkError> {
        let q = IndexQuery {
            tokenizer: tokenizer.map(String::from),
        };
        self.get_with(&format!("/v1/datanets/{id}/versions/{n}/index"), &q)
    }

    /// `POST /v1/datanets/{id}/versions/{n}/attribute`.
    pub fn attribute_to_version(
        &self,
        id: u64,
        n: u64,
        req: &AttributeRequest,
    ) -> Result<AttributionReceipt, SdkError> {
        self.post_json(&format!("/v1/datanets/{id}/versions/{n}/attribute"), req)
    }

    /// `GET /v1/datanets/{id}/models`.
    pub fn datanet_models(&self, id: u64, page: &Page) -> Result<DatanetModels, SdkError> {
        self.get_with(&format!("/v1/datanets/{id}/models"), page)
    }

    /// `GET /v1/registry/models`.
    pub fn models(&self, page: &Page) -> Result<ModelPage, SdkError> {
        self.get_with("/v1/registry/models", page)
    }

    /// `GET /v1/registry/models/{id}`.
    pub fn model(&self, id: u64) -> Result<ModelView, SdkError> {
        self.get(&format!("/v1/registry/models/{id}"))
    }

    /// `GET /v1/registry/providers`.
    pub fn providers(&self, page: &Page) -> Result<ProviderPage, SdkError> {
        self.get_with("/v1/registry/providers", page)
    }

    /// `GET /v1/accounts/{address}/inference`: prepaid balance and claimable rewards.
    pub fn account_inference(&self, address: &Address) -> Result<InferenceAccount, SdkError> {
        self.get(&format!("/v1/accounts/{address}/inference"))
    }

    /// `GET /v1/models`: what this node's gateway serves.
    pub fn served_models(&self) -> Result<ModelList, SdkError> {
        self.get("/v1/models")
    }

    /// `POST /v1/chat/completions` with `api_key` (and the payer's voucher, for keys that want
    /// one). Not streamed.
    pub fn chat(
        &self,
        api_key: &str,
        req: &ChatRequest,
        voucher: Option<&Voucher>,
    ) -> Result<ChatCompletion, SdkError> {
        self.openai("/v1/chat/completions", api_key, req, voucher)
    }

    /// `POST /v1/completions` with `api_key`. Not streamed.
    pub fn complete(
        &self,
        api_key: &str,
        req: &CompletionRequest,
        voucher: Option<&Voucher>,
    ) -> Result<Completion, SdkError> {
        self.openai("/v1/completions", api_key, req, voucher)
    }

    /// POSTs an OpenAI-style request to `path` with `api_key` (and a voucher): what `chat` and
    /// `complete` do, for callers holding the request as JSON.
    pub fn openai<T: serde::de::DeserializeOwned, B: serde::Serialize>(
        &self,
        path: &str,
        api_key: &str,
        body: &B,
        voucher: Option<&Voucher>,
    ) -> Result<T, SdkError> {
        let body = serde_json::to_value(body).map_err(|e| SdkError::Decode(e.to_string()))?;
        let mut req = self
            .agent
            .post(&format!("{}{path}", self.base))
            .set("authorization", &format!("Bearer {api_key}"));
        if let Some(v) = voucher {
            req = req.set(
                "sinew-voucher",
                &hex::encode(borsh::to_vec(v).expect("a voucher encodes")),
            );
        }
        Self::handle(req.send_json(body))
    }

    /// `POST /v1/registry/models/{id}/attribute`: the receipt a settlement of `text` must carry.
    pub fn attribute_to_model(&self, id: u64, text: &str) -> Result<ModelAttribution, SdkError> {
        let req = ModelAttributeRequest { text: text.into() };
        self.post_json(&format!("/v1/registry/models/{id}/attribute"), &req)
    }

    /// `GET /v1/accounts/{address}/activity`: events concerning the account (or only its
    /// rewards), newest first; pass `next` as `before` for older ones.
    pub fn account_activity(&self, address: &Address, q: &ActivityQuery) -> Result<ActivityPage, SdkError> {
        self.get_with(&format!("/v1/accounts/{address}/activity"), q)
    }

    /// `GET /v1/tasks/{id}/history`: the task's events, newest first.
    pub fn task_history(&self, task: &Hash, q: &ActivityQuery) -> Result<ActivityPage, SdkError> {
        self.get_with(&format!("/v1/tasks/{task}/history"), q)
    }

    /// `GET /v1/answers`: paid answers (settlement events), newest first, of one model or all.
    pub fn answers(&self, q: &AnswerQuery) -> Result<ActivityPage, SdkError> {
        self.get_with("/v1/answers", q)
    }

    /// `GET /v1/agents`.
    pub fn agents(&self, filter: &AgentFilter) -> Result<AgentPage, SdkError> {
        self.get_with("/v1/agents", filter)
    }

    /// `GET /v1/agents/{address}`.
    pub fn agent(&self, address: &Address) -> Result<AgentView, SdkError> {
        self.get(&format!("/v1/agents/{address}"))
    }

    /// `GET /v1/tasks`.
    pub fn tasks(&self, filter: &TaskFilter) -> Result<TaskPage, SdkError> {
        self.get_with("/v1/tasks", filter)
    }

    /// `GET /v1/tasks/{id}`.
    pub fn task(&self, id: &Hash) -> Result<TaskView, SdkError> {
        self.get(&format!("/v1/tasks/{id}"))
    }

    /// `GET /v1/validators`.
    pub fn validators(&self) -> Result<ValidatorSet, SdkError> {
        self.get("/v1/validators")
    }

    /// `GET /v1/consensus`: where consensus stands on this node.
    pub fn consensus(&self) -> Result<ConsensusStatus, SdkError> {
        self.get("/v1/consensus")
    }

    /// `GET /v1/blocks/{id}/finalization`: the certificate that finalized a block.
    pub fn finalization(&self, id: &str) -> Result<FinalizationView, SdkError> {
        self.get(&format!("/v1/blocks/{id}/finalization"))
    }
}
