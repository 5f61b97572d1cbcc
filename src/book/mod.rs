//! The array-backed order book and its snapshot + diff synchroniser. Venue-agnostic: prices and quantities arrive as
//! exact integers (`crate::num`), sequence numbers as `u64`.

pub mod ladder;
pub mod sorted;
pub mod sync;

pub use ladder::{Book, BookConfig, BookError, Levels, SetOutcome};
pub use sync::{
    Applied, BookSync, ResyncReason, SeqRule, SyncAction, SyncConfig, SyncCounters, SyncState,
};

use crate::num::{Price, Qty};

/// Book side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Bid,
    Ask,
}

/// One price level. A zero quantity in an update means "delete this level".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Level {
    pub price: Price,
    pub qty: Qty,
}
