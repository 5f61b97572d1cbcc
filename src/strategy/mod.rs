//! The `Strategy` trait: callbacks on the event-loop thread, inline, in the order events arrive.
//!
//! Every callback gets a [`Ctx`] to act with: place, cancel, cancel-all, timers, the kill switch, stop. Actions are
//! encoded and queued as they are called and written to the socket when the callback returns, before the next
//! message is parsed. Callbacks must not block, allocate on the hot path, or take long: the next market-data
//! message waits behind them.
//!
//! This layer is the venue-agnostic core: it imports nothing from `venue`, `cli` or `ffi` (`tests/layering.rs`).

// Stable public surface: every public item says what it is for (why, units, scales, invariants).
#![deny(missing_docs)]

pub mod ctx;
pub mod events;

pub use ctx::{Ctx, OrderType, PlaceError, PlaceRequest, STRATEGY_TIMERS};
pub use events::{
    Bar, Bbo, BookStatus, BookUpdate, OrderEvent, OrderEventKind, Position, Trade, TradeSide,
};

use crate::book::Book;
use crate::orders::types::{AssetId, Fill, SymbolId};

/// Callbacks. All have empty defaults: implement what you use.
#[allow(unused_variables)]
pub trait Strategy {
    /// The session is connected and (when trading) authenticated and reconciled.
    fn on_start(&mut self, ctx: &mut impl Ctx) {}
    /// The book of `symbol` changed: a snapshot rebuilt it or a diff was applied, and `book` is already the result.
    /// Called only while the book is in sync, so it is exact; `update` says what moved and when the bytes arrived.
    fn on_book(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, book: &Book, update: &BookUpdate) {}
    /// The book of `symbol` went out of sync, its connection went quiet, or it is back in sync: a quoting strategy
    /// pulls its quotes on anything but [`BookStatus::Live`], since its prices may be behind the market.
    fn on_book_status(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, status: BookStatus) {}
    /// The exchange's own best-bid-and-offer channel for `symbol` (independent of the depth book).
    fn on_bbo(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, bbo: &Bbo) {}
    /// One public market trade of `symbol`; a message carrying several trades calls this once per trade, in order.
    fn on_trade(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, trade: &Trade) {}
    /// A candle of `symbol` from the exchange's bar channel, prices at the symbol's scales.
    fn on_bar(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, bar: &Bar<'_>) {}
    /// A life event of one of this session's orders (acknowledged, resting, canceled, rejected, unknown); fills arrive
    /// separately through [`Strategy::on_fill`].
    fn on_order(&mut self, ctx: &mut impl Ctx, event: &OrderEvent<'_>) {}
    /// One execution, with its own quantity, price and fee (never counted twice).
    fn on_fill(&mut self, ctx: &mut impl Ctx, fill: &Fill) {}
    /// A balance changed: `total` and `available` (not locked in orders) of `asset`, scaled integers at the asset's
    /// scale.
    fn on_balance(&mut self, ctx: &mut impl Ctx, asset: AssetId, total: i64, available: i64) {}
    /// A timer set with `Ctx::set_timer`.
    fn on_timer(&mut self, ctx: &mut impl Ctx, id: usize) {}
    /// Once per loop iteration; keep it cheap.
    fn on_idle(&mut self, ctx: &mut impl Ctx) {}
}
