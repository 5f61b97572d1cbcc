//! The `Strategy` trait: callbacks on the event-loop thread, inline, in the order events arrive.
//!
//! Every callback gets a [`Ctx`] to act with: place, cancel, cancel-all, timers, the kill switch, stop. Actions are
//! encoded and queued as they are called and written to the socket when the callback returns, before the next
//! message is parsed. Callbacks must not block, allocate on the hot path, or take long: the next market-data
//! message waits behind them.
//!
//! This layer is the venue-agnostic core: it imports nothing from `venue`, `cli` or `ffi` (`tests/layering.rs`).

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
    fn on_book(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, book: &Book, update: &BookUpdate) {}
    fn on_book_status(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, status: BookStatus) {}
    fn on_bbo(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, bbo: &Bbo) {}
    fn on_trade(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, trade: &Trade) {}
    fn on_bar(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, bar: &Bar<'_>) {}
    fn on_order(&mut self, ctx: &mut impl Ctx, event: &OrderEvent<'_>) {}
    /// One execution, with its own quantity, price and fee (never counted twice).
    fn on_fill(&mut self, ctx: &mut impl Ctx, fill: &Fill) {}
    fn on_balance(&mut self, ctx: &mut impl Ctx, asset: AssetId, total: i64, available: i64) {}
    /// A timer set with `Ctx::set_timer`.
    fn on_timer(&mut self, ctx: &mut impl Ctx, id: usize) {}
    /// Once per loop iteration; keep it cheap.
    fn on_idle(&mut self, ctx: &mut impl Ctx) {}
}
