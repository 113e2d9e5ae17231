//! What a validator can say about consensus, for `/v1/consensus` and
//! `/v1/blocks/{h}/finalization`: it watches simplex's activity (certificates advance the view,
//! nullifications count skipped views, conflicting votes are proof of a faulty validator), the
//! peers the network blocks, and answers certificate queries from marshal's archive.

use crate::certificate;
use commonware_codec::Encode;
use commonware_consensus::marshal::core::Mailbox as MarshalMailbox;
use commonware_consensus::marshal::standard::Standard;
use commonware_consensus::simplex::elector::{Elector, RoundRobin, RoundRobinElector};
use commonware_consensus::simplex::scheme::ed25519::Scheme;
use commonware_consensus::simplex::types::Activity;
use commonware_consensus::simplex::types::Attributable;
use commonware_consensus::types::{Epoch, Height as BftHeight, Round, View};
use commonware_consensus::{Reporter, Viewable};
use commonware_cryptography::blake3::Digest;
use commonware_cryptography::ed25519::PublicKey;
use commonware_runtime::Spawner;
use commonware_utils::ordered::Set;
use futures::channel::mpsc;
use futures::StreamExt;
use sinew_consensus::{AppError, ConsensusInfo};
use sinew_types::api::answers::{ConsensusStatus, FaultReport, FinalizationView, PeerStatus};
use sinew_types::Height;
use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Fault reports kept (the most recent).
const FAULTS_KEPT: usize = 64;

/// How long an API request waits for marshal's archive.
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// Most certificate queries waiting at once (beyond, a query is refused as busy).
const MAX_QUERIES: usize = 16;

/// A certificate query: a height and where to answer.
type Query = (u64, std::sync::mpsc::SyncSender<Option<Vec<u8>>>);

/// The receiving end of a monitor's certificate queries, with the count of those waiting.
pub struct Queries {
    rx: mpsc::UnboundedReceiver<Query>,
    waiting: Arc<AtomicUsize>,
}

#[derive(Default)]
struct State {
    view: u64,
    finalized_view: u64,
    nullified: u64,
    faults: VecDeque<FaultReport>,
    blocked: BTreeSet<PublicKey>,
}

/// One validator's view of consensus.
pub struct Monitor {
    me: PublicKey,
    epoch: Epoch,
    participants: Set<PublicKey>,
    elector: RoundRobinElector<Scheme>,
    chain_id: String,
    committed: Box<dyn Fn() -> Height + Send + Sync>,
    state: Mutex<State>,
    queries: mpsc::UnboundedSender<Query>,
    waiting: Arc<AtomicUsize>,
}

impl Monitor {
    /// A monitor for validator `me` of `participants`; `committed` reads the committed height.
    /// Returns it with the receiving end of its certificate queries (see [`serve_queries`]).
    pub fn new(
        me: PublicKey,
        epoch: Epoch,
        participants: Set<PublicKey>,
        chain_id: String,
        committed: Box<dyn Fn() -> Height + Send + Sync>,
    ) -> (Arc<Monitor>, Queries) {
        let elector = <RoundRobin as commonware_consensus::simplex::elector::Config<Scheme>>::build(
            RoundRobin::default(),
            &participants,
        );
        let (queries, rx) = mpsc::unbounded();
        let waiting = Arc::new(AtomicUsize::new(0));
        let monitor = Monitor {
            me,
            epoch,
            participants,
            elector,
            chain_id,
            committed,
            state: Mutex::default(),
            queries,
            waiting: waiting.clone(),
        };
        (Arc::new(monitor), Queries { rx, waiting })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("not poisoned")
    }

    fn key_at(&self, index: commonware_utils::Participant) -> Option<&PublicKey> {
        self.participants.get(index.get() as usize)
    }

    /// Records the peers the network blocks now.
    pub fn set_blocked(&self, blocked: impl IntoIterator<Item = PublicKey>) {
        self.state().blocked = blocked.into_iter().collect();
    }

    fn observe(&self, activity: &Activity<Scheme, Digest>) {
        let mut s = self.state();
        let saw_view = |s: &mut State, v: View| s.view = s.view.max(v.get() + 1);
        let fault = |kind: &str, who: commonware_utils::Participant, view: View| {
            self.key_at(who).map(|k| FaultReport {
                validator: crate::keys::address(k),
                view: view.get(),
                kind: kind.to_string(),
            })
        };
        let report = match activity {
            Activity::Notarization(n) | Activity::Certification(n) => {
                saw_view(&mut s, n.view());
                None
            }
            Activity::Nullification(n) => {
                saw_view(&mut s, n.view());
                s.nullified += 1;
                None
            }
            Activity::Finalization(f) => {
                saw_view(&mut s, f.view());
                s.finalized_view = s.finalized_view.max(f.view().get());
                None
            }
            Activity::ConflictingNotarize(e) => fault("conflicting_notarize", e.signer(), e.view()),
            Activity::ConflictingFinalize(e) => fault("conflicting_finalize", e.signer(), e.view()),
            Activity::NullifyFinalize(e) => fault("nullify_finalize", e.signer(), e.view()),
            _ => None,
        };
        if let Some(r) = report {
            tracing::warn!(validator = %r.validator, view = r.view, kind = %r.kind, "proof of a faulty validator");
            if !s.faults.contains(&r) {
                s.faults.push_back(r);
                while s.faults.len() > FAULTS_KEPT {
                    s.faults.pop_front();
                }
            }
        }
    }
}

/// Simplex reports its activity here (beside marshal).
#[derive(Clone)]
pub struct MonitorReporter(pub Arc<Monitor>);

impl Reporter for MonitorReporter {
    type Activity = Activity<Scheme, Digest>;

    fn report(&mut self, activity: Self::Activity) -> commonware_actor::Feedback {
        self.0.observe(&activity);
        commonware_actor::Feedback::Ok
    }
}

/// Answers certificate queries from marshal's finalizations archive, on the consensus runtime.
pub fn serve_queries<E: Spawner>(
    context: &E,
    marshal: MarshalMailbox<Scheme, Standard<crate::BftBlock>>,
    queries: Queries,
) {
    let Queries { mut rx, waiting } = queries;
    context.child("monitor_queries").spawn(move |_| async move {
        while let Some((height, reply)) = rx.next().await {
            let found = marshal.get_finalization(BftHeight::new(height)).await;
            let _ = reply.try_send(found.map(|f| f.encode().to_vec()));
            waiting.fetch_sub(1, Ordering::AcqRel);
        }
    });
}

impl ConsensusInfo for Monitor {
    fn status(&self) -> ConsensusStatus {
        let s = self.state();
        let view = s.view.max(1);
        let leader = self
            .key_at(self.elector.elect(Round::new(self.epoch, View::new(view)), ()))
            .map(crate::keys::address);
        ConsensusStatus {
            engine: "simplex".into(),
            validator: Some(crate::keys::address(&self.me)),
            epoch: self.epoch.get(),
            view,
            leader,
            finalized_view: s.finalized_view,
            finalized_height: (self.committed)(),
            nullified_views: s.nullified,
            peers: self
                .participants
                .iter()
                .filter(|k| **k != self.me)
                .map(|k| PeerStatus {
                    key: crate::keys::address(k),
                    blocked: s.blocked.contains(k),
                })
                .collect(),
            faults: s.faults.iter().cloned().collect(),
        }
    }

    fn finalization(&self, height: Height) -> Result<Option<FinalizationView>, AppError> {
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= MAX_QUERIES {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(AppError::new(
                "reading a finalization",
                "busy: too many certificate queries; retry shortly",
            ));
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        if self.queries.unbounded_send((height, tx)).is_err() {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(AppError::new("reading a finalization", "consensus has stopped"));
        }
        let bytes = match rx.recv_timeout(QUERY_TIMEOUT) {
            Ok(bytes) => bytes,
            Err(_) => {
                return Err(AppError::new(
                    "reading a finalization",
                    "consensus did not answer in time",
                ))
            }
        };
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        let validators: Vec<PublicKey> = self.participants.iter().cloned().collect();
        let f = certificate::verify(&self.chain_id, &validators, &bytes)
            .map_err(|e| AppError::new("reading a finalization", e))?;
        Ok(Some(FinalizationView {
            height,
            block_hash: f.block_hash,
            epoch: f.epoch,
            view: f.view,
            parent_view: f.parent_view,
            signers: f.signers,
            certificate: hex::encode(&bytes),
        }))
    }
}
