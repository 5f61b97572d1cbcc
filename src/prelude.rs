//! One import for a strategy: `use ascendex_hft::prelude::*;` brings the [`Strategy`] trait, the events it is
//! called with, the [`Ctx`] it acts through, order requests, sides and order kinds, decimals, the trading rules,
//! and the [`Trader`] builder that runs it.
//!
//! Stable: everything re-exported here. Paths outside the prelude (the venue's sessions, decoders and wire types)
//! may move between versions.

// Stable public surface: every public item says what it is for (why, units, scales, invariants).
#![deny(missing_docs)]

pub use crate::book::{Book, Level};
pub use crate::builder::{Ended, Mode, Product, Progress, Run, Trader, TraderError};
pub use crate::metrics::Latency;
pub use crate::num::{Price, Qty, Scale};
pub use crate::orders::rules::SymbolRules;
pub use crate::orders::types::{AssetId, Fill, OrderStatus, Side, SymbolId, TimeInForce};
pub use crate::orders::{Order, OrderHandle};
pub use crate::strategies::{MarketMaker, MmParams, MmStats};
pub use crate::strategy::{
    Bar, Bbo, BookStatus, BookUpdate, Ctx, OrderEvent, OrderEventKind, OrderType, PlaceError,
    PlaceRequest, Position, STRATEGY_TIMERS, Strategy, Trade, TradeSide,
};
pub use crate::venue::ascendex::auth::Credentials;
