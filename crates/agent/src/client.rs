//! An agent's handle on the ledger: its key, and typed calls for every task action.

use sinew_sdk::{Client, SdkError, SubmitOutcome, TaskFilter};
use sinew_types::failure::LedgerFailure;
use sinew_types::payload::RegisterAgent;
use sinew_types::records::Task;
use sinew_types::task::TaskId;
use sinew_types::{Address, Amount, FailureCode, Hash, Keypair, Payload, TxStatus};

/// Why an agent action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The node could not be reached or answered nonsense.
    #[error("node: {0}")]
    Node(#[from] SdkError),
    /// The ledger refused the transaction (nothing changed).
    #[error("refused ({code}): {message}")]
    Refused {
        /// Stable code, such as `already_claimed`.
        code: String,
        /// Why.
        message: String,
    },
    /// The transaction was included but failed (only its fee was charged).
    #[error("failed ({code}): {message}")]
    Failed {
        /// The rule that refused it.
        code: FailureCode,
        /// Why.
        message: String,
    },
    /// The worker could not do the task.
    #[error("work: {0}")]
    Work(String),
}

impl AgentError {
    /// The refusal or failure code, if the ledger gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            AgentError::Refused { code, .. } => Some(code),
            AgentError::Failed { code, .. } => Some(code.code()),
            _ => None,
        }
    }

    /// The ledger rule behind the error: the failure of an included transaction, or of one the
    /// node refused because a dry run showed it would fail.
    pub fn failure(&self) -> Option<FailureCode> {
        match self {
            AgentError::Failed { code, .. } => Some(*code),
            AgentError::Refused { code, .. } => FailureCode::from_code(code),
            _ => None,
        }
    }
}

/// An agent: a key and the node it talks to.
#[derive(Clone)]
pub struct AgentClient {
    /// The node's client.
    pub client: Client,
    key: Keypair,
}

/// Pages of tasks one query follows.
const MAX_TASK_PAGES: usize = 64;

impl AgentClient {
    /// An agent signing with `key`, talking to the node at `url`.
    pub fn new(url: &str, key: Keypair) -> AgentClient {
        AgentClient {
            client: Client::new(url),
            key,
        }
    }

    /// Its account.
    pub fn address(&self) -> Address {
        self.key.address()
    }

    /// Signs, submits and waits for `payload`; a refusal or a failure is an error.
    pub fn send(&self, payload: Payload) -> Result<sinew_types::Receipt, AgentError> {
        let tx = self.client.build(&self.key, payload, None)?;
        let r = self.client.submit(&tx, true)?;
        match r.outcome {
            SubmitOutcome::Committed { receipt, .. } => match &receipt.status {
                TxStatus::Success => Ok(receipt),
                TxStatus::Failed { code, message } => Err(AgentError::Failed {
                    code: *code,
                    message: message.clone(),
                }),
            },
            SubmitOutcome::Refused { error } => Err(AgentError::Refused {
                code: error.code,
                message: error.message,
            }),
            SubmitOutcome::Dropped { code, reason } => Err(AgentError::Refused { code, message: reason }),
            SubmitOutcome::Pending => Err(AgentError::Refused {
                code: "pending".into(),
                message: "not committed in time".into(),
            }),
        }
    }

    /// Registers the agent (a no-op if it already is one).
    pub fn register(&self, name: &str, capabilities: &[&str], endpoint: &str, stake: Amount) -> Result<(), AgentError> {
        let payload: Payload = RegisterAgent {
            name: name.into(),
            capabilities: capabilities.iter().map(|c| c.to_string()).collect(),
            endpoint: endpoint.into(),
            stake,
        }
        .into();
        match self.send(payload) {
            Err(e) if e.failure() == Some(LedgerFailure::AlreadyRegistered.into()) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// One task.
    pub fn task(&self, id: &TaskId) -> Result<Task, AgentError> {
        Ok(self.client.task(id)?.task)
    }

    /// Every task matching `filter` (its cursor and limit are the agent's own).
    pub fn tasks(&self, filter: TaskFilter) -> Result<Vec<Task>, AgentError> {
        // The node answers a page at a time (and a filtered page may be short): follow the
        // cursor, up to a bound that keeps one pass of the loop bounded too.
        let mut out: Vec<Task> = Vec::new();
        let mut filter = TaskFilter {
            after: None,
            limit: Some(1000),
            ..filter
        };
        for _ in 0..MAX_TASK_PAGES {
            let page = self.client.tasks(&filter)?;
            out.extend(page.tasks);
            match page.next {
                Some(n) => filter.after = Some(n),
                None => break,
            }
        }
        Ok(out)
    }

    /// The committed height.
    pub fn height(&self) -> Result<u64, AgentError> {
        Ok(self.client.height()?)
    }

    /// A blob's bytes (a task's spec).
    pub fn blob(&self, id: &Hash) -> Result<Vec<u8>, AgentError> {
        let bytes = self.client.blob(id)?;
        if Hash::of(&bytes) != *id {
            return Err(AgentError::Work(format!("blob {id} does not match its id")));
        }
        Ok(bytes)
    }

    /// Uploads bytes as a blob (a spec or a result) and returns its id.
    pub fn upload(&self, bytes: &[u8]) -> Result<Hash, AgentError> {
        Ok(self.client.upload_blob(bytes, Some(bytes.len() as u64))?.blob)
    }

    /// The node's base URL.
    pub fn client_url(&self) -> String {
        self.client.url().to_string()
    }
}
