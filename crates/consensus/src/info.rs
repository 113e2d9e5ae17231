//! What a BFT engine tells the node about itself, for the API: where consensus stands, and the
//! certificate that finalized a height.

use crate::AppError;
use sinew_types::api::answers::{ConsensusStatus, FinalizationView};
use sinew_types::Height;

/// The engine's side of `/v1/consensus` and `/v1/blocks/{h}/finalization`.
pub trait ConsensusInfo: Send + Sync + 'static {
    /// Where consensus stands now.
    fn status(&self) -> ConsensusStatus;

    /// The finalization certificate stored for `height` (none when that height was finalized
    /// only through a descendant's certificate, or is not final yet). May block briefly.
    fn finalization(&self, height: Height) -> Result<Option<FinalizationView>, AppError>;
}
