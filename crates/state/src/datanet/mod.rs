//! Datanets in the state machine: creation, contributions with bonds and duplicate checks,
//! reviews per curation policy, immutable versions, info updates.
//!
//! A contribution names a blob and a format; the state machine gets the blob's records through
//! [`BlobSource`] (the node ingests each blob once and caches the result), checks the claimed
//! count and Merkle root, refuses exact duplicates of records already in the datanet, and flags
//! near-duplicates (MinHash/LSH, see `sinew_datanet::minhash`) or refuses them by policy.
//!
//! # Money
//!
//! A contribution locks the datanet's `contribution_bond` from the contributor in the datanet
//! bonds account. Approval returns it in full; rejection returns it less `reject_slash_bps`, the
//! slashed part going to the treasury; expiry (unreviewed for `pending_expiry_blocks`) returns it
//! in full. Publishing a version charges its owner `publish_fee_per_byte` of the new bytes, to
//! the treasury. Nothing else moves.
//!
//! # A contribution's life
//!
//! ```text
//!  Contribute ──> Pending ──Review (owner, or a quorum of staked reviewers)──┬─> Approved ──> in the
//!                    │                                                       │   next PublishVersion
//!                    │                                                       └─> Rejected
//!                    └── ExpireContribution (anyone, after pending_expiry_blocks) ──> Expired
//! ```
//!
//! # Where each rule lives
//!
//! - `records.rs`: datanets, contributions and versions as stored.
//! - `checks.rs`: what a payload must satisfy before it may be in a block.
//! - `registry.rs`: creating a datanet and changing its description, tags and openness.
//! - `contribute.rs`: a contribution: records recomputed, duplicates refused, bond locked.
//! - `near_dup.rs`: the near-duplicate search over MinHash/LSH buckets.
//! - `curation.rs`: reviews, votes, expiry, and what a decision returns or slashes.
//! - `publish.rs`: immutable versions and their Merkle roots.

mod checks;
mod near_dup;
mod registry;

pub(crate) use checks::check;
pub use near_dup::{GROUP_CAP, GROUP_TARGET, LSH_BUCKET_CAP};
pub use sinew_types::records::{
    contribution_leaf, Contribution, Datanet, DatanetVersion, MAX_FLAGS, MAX_VERSION_BYTES, MAX_VOTES,
};
mod contribute;
mod curation;
mod publish;

use crate::ctx::{Ctx, Outcome};
use crate::reader::StateReader;
use sinew_types::payload::DatanetTx;
use sinew_types::{Address, Event};

impl<R: StateReader> Ctx<'_, R> {
    /// Runs a datanet payload whose fee is paid.
    pub(crate) fn run_datanet(&mut self, signer: &Address, tx: &DatanetTx, events: &mut Vec<Event>) -> Outcome {
        match tx {
            DatanetTx::CreateDatanet(t) => self.create_datanet(signer, t, events),
            DatanetTx::Contribute(t) => self.contribute(signer, t, events),
            DatanetTx::Review(t) => self.review(signer, t, events),
            DatanetTx::PublishVersion(t) => self.publish(signer, t, events),
            DatanetTx::UpdateDatanetInfo(t) => self.update_datanet_info(signer, t),
            DatanetTx::ExpireContribution(t) => self.expire(t, events),
        }
    }
}
