//! The fork-aware seam a BFT engine drives. Unlike the single-node sequencer, consensus certifies
//! blocks before it finalizes them and may build on, or check, a block whose parent is not yet
//! final (it becomes final only through a descendant). A [`Replica`] therefore builds and
//! re-executes blocks on any executed parent, keeps them pending, and commits a block only when
//! the engine says it is final, dropping the competitors.

use crate::AppError;
pub use sinew_types::block::Verdict;
use sinew_types::{Address, Block, BlockHeader, ConsensusRound, Hash};

/// The node as a BFT engine sees it: a committed head and executed blocks above it.
pub trait Replica: Send + Sync + 'static {
    /// The last committed (final and durable) header.
    fn committed(&self) -> BlockHeader;

    /// Whether the block with header hash `hash` is the committed head or an executed pending
    /// block (so blocks can build on it).
    fn is_executed(&self, hash: &Hash) -> bool;

    /// Builds a block on `parent` (executed here) from waiting transactions, as `leader` in
    /// `round`, and keeps it pending. `timestamp_ms` comes from the engine's clock.
    fn build(
        &self,
        parent: &Hash,
        round: ConsensusRound,
        leader: Address,
        timestamp_ms: u64,
    ) -> Result<Block, AppError>;

    /// Re-executes `block` on its parent (executed here) and, when valid, keeps it pending.
    fn execute(&self, block: &Block) -> Result<Verdict, AppError>;

    /// The engine decided `block` is final; its parent is the committed head. Returns once the
    /// block is durable: only then may the engine forget it.
    fn finalize(&self, block: &Block) -> Result<(), AppError>;
}
