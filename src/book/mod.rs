//! The array-backed order book and its snapshot + diff synchroniser. Venue-agnostic: prices and quantities arrive as
//! exact integers (`crate::num`), sequence numbers as `u64`.

// Stable public surface: every public item says what it is for (why, units, scales, invariants).
#![deny(missing_docs)]

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
    /// Buy orders: best is the highest price.
    Bid,
    /// Sell orders: best is the lowest price.
    Ask,
}

/// One price level. A zero quantity in an update means "delete this level".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Level {
    /// The level's price at the symbol's price scale.
    pub price: Price,
    /// Total quantity resting at that price, at the symbol's quantity scale (0 only in an update: delete).
    pub qty: Qty,
}
