//! redb table definitions.

use redb::TableDefinition;

/// Flat state: state key bytes to value bytes.
pub const STATE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state");
/// Blocks by height (borsh `Block`).
pub const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
/// Receipts by height (borsh `BlockReceipts`).
pub const RECEIPTS: TableDefinition<u64, &[u8]> = TableDefinition::new("receipts");
/// Block height by header hash.
pub const BLOCK_BY_HASH: TableDefinition<&[u8; 32], u64> = TableDefinition::new("block_by_hash");
/// Transaction location (height, index) by id.
pub const TX_INDEX: TableDefinition<&[u8; 32], (u64, u32)> = TableDefinition::new("tx_index");
/// Chain metadata: genesis document and head height.
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// Meta key of the genesis document (JSON).
pub const GENESIS_KEY: &str = "genesis";
/// Meta key of the head height (u64 little endian).
pub const HEAD_KEY: &str = "head";
