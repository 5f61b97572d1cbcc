//! The `Strategy` trait: callbacks on the event-loop thread, inline, in the order events arrive.
//!
//! Every callback gets a [`Ctx`] to act with: place, cancel, cancel-all, timers, the kill switch, stop. Actions are
//! encoded and queued as they are called and written to the socket when the callback returns, before the next
//! message is parsed. Callbacks must not block, allocate on the hot path, or take long: the next market-data
//! message waits behind them.

use crate::book::Book;
use crate::book::sync::ResyncReason;
use crate::engine::Cx;
use crate::orders::types::{AssetId, Fill, OrderStatus, Side, SymbolId, TimeInForce};
use crate::orders::{Order, OrderHandle};
use crate::venue::ascendex::session::trading::TradingState;
use crate::venue::ascendex::stream::market::{Bar, Bbo, Trade};

/// What changed in a book update.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BookUpdate {
    pub seqnum: u64,
    /// Exchange timestamp of the update, ms.
    pub ts_ms: u64,
    /// True for a snapshot (the book was rebuilt), false for a diff.
    pub snapshot: bool,
    /// Levels changed in this update (bids, asks).
    pub bid_levels: u16,
    pub ask_levels: u16,
    /// The best bid or ask moved.
    pub top_changed: bool,
    /// When the loop saw the bytes arrive (engine clock, ns): for wire-to-callback latency.
    pub rx_ns: u64,
}

/// Order type requested by a strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderType {
    /// Rests on the book; with `post_only` it is rejected rather than taking liquidity.
    Limit,
    /// Takes liquidity at any price; `price` is ignored.
    Market,
}

/// An order a strategy wants placed. Prices and quantities are scaled integers at the symbol's scales
/// (`SymbolInfo::price_scale` / `qty_scale`); they are quantized to the trading rules before anything is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlaceRequest {
    pub symbol: SymbolId,
    pub side: Side,
    pub order_type: OrderType,
    pub price: i64,
    pub qty: i64,
    pub tif: TimeInForce,
    pub post_only: bool,
}

impl PlaceRequest {
    pub fn limit(symbol: SymbolId, side: Side, price: i64, qty: i64) -> Self {
        PlaceRequest {
            symbol,
            side,
            order_type: OrderType::Limit,
            price,
            qty,
            tif: TimeInForce::Gtc,
            post_only: false,
        }
    }

    pub fn post_only(symbol: SymbolId, side: Side, price: i64, qty: i64) -> Self {
        PlaceRequest {
            post_only: true,
            ..Self::limit(symbol, side, price, qty)
        }
    }

    pub fn market(symbol: SymbolId, side: Side, qty: i64) -> Self {
        PlaceRequest {
            order_type: OrderType::Market,
            price: 0,
            ..Self::limit(symbol, side, 0, qty)
        }
    }
}

/// An order's life event, with the order as the tracker now has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderEventKind {
    /// The exchange received the request (ACK).
    Acknowledged,
    /// Resting on the book.
    New,
    Canceled,
    /// Refused by the exchange (`code`, `reason` in `OrderEvent`) or by our own checks before sending.
    Rejected,
    /// No answer within the timeout: being resolved with an order-status query.
    Unknown,
}

#[derive(Clone, Copy, Debug)]
pub struct OrderEvent<'a> {
    pub kind: OrderEventKind,
    pub handle: OrderHandle,
    pub order: &'a Order,
    pub status: OrderStatus,
    /// The exchange's error code, when it gave one.
    pub code: i64,
    /// The exchange's reason text (e.g. `PostOnlyWouldTake`), empty otherwise.
    pub reason: &'a str,
}

/// A market-data connection or the book of a symbol went stale and is being rebuilt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookStatus {
    Stale(ResyncReason),
    Live,
}

/// Callbacks. All have empty defaults: implement what you use.
#[allow(unused_variables)]
pub trait Strategy {
    /// The session is connected and (when trading) authenticated and reconciled.
    fn on_start(&mut self, ctx: &mut Ctx<'_, '_>) {}
    fn on_book(
        &mut self,
        ctx: &mut Ctx<'_, '_>,
        symbol: SymbolId,
        book: &Book,
        update: &BookUpdate,
    ) {
    }
    fn on_book_status(&mut self, ctx: &mut Ctx<'_, '_>, symbol: SymbolId, status: BookStatus) {}
    fn on_bbo(&mut self, ctx: &mut Ctx<'_, '_>, symbol: SymbolId, bbo: &Bbo) {}
    fn on_trade(&mut self, ctx: &mut Ctx<'_, '_>, symbol: SymbolId, trade: &Trade) {}
    fn on_bar(&mut self, ctx: &mut Ctx<'_, '_>, symbol: SymbolId, bar: &Bar<'_>) {}
    fn on_order(&mut self, ctx: &mut Ctx<'_, '_>, event: &OrderEvent<'_>) {}
    /// One execution, with its own quantity, price and fee (never counted twice).
    fn on_fill(&mut self, ctx: &mut Ctx<'_, '_>, fill: &Fill) {}
    fn on_balance(&mut self, ctx: &mut Ctx<'_, '_>, asset: AssetId, total: i64, available: i64) {}
    /// A timer set with `Ctx::set_timer`.
    fn on_timer(&mut self, ctx: &mut Ctx<'_, '_>, id: usize) {}
    /// Once per loop iteration; keep it cheap.
    fn on_idle(&mut self, ctx: &mut Ctx<'_, '_>) {}
}

/// Number of timer ids a strategy may use with `Ctx::set_timer`.
pub const STRATEGY_TIMERS: usize = 16;

/// What a strategy can do from inside a callback.
pub struct Ctx<'a, 'c> {
    pub(crate) cx: &'a mut Cx<'c>,
    pub(crate) trading: &'a mut TradingState,
    pub(crate) timer_base: usize,
}

impl<'a, 'c> Ctx<'a, 'c> {
    pub(crate) fn new(
        cx: &'a mut Cx<'c>,
        trading: &'a mut TradingState,
        timer_base: usize,
    ) -> Self {
        Ctx {
            cx,
            trading,
            timer_base,
        }
    }

    /// Nanoseconds on the engine clock.
    #[inline]
    pub fn now_ns(&self) -> u64 {
        self.cx.now_ns()
    }

    /// Quantizes, checks rules, risk limits and rate limits, then sends (over the WebSocket when it is up,
    /// REST otherwise). A refusal before sending is an `Err` and nothing leaves the process.
    pub fn place(
        &mut self,
        req: &PlaceRequest,
    ) -> Result<OrderHandle, crate::venue::ascendex::session::trading::PlaceError> {
        self.trading.place(self.cx, req)
    }

    /// Cancels one order (by its predicted exchange id, so it can leave before the acknowledgement).
    pub fn cancel(
        &mut self,
        handle: OrderHandle,
    ) -> Result<(), crate::venue::ascendex::session::trading::PlaceError> {
        self.trading.cancel(self.cx, handle)
    }

    /// Cancels every open order, of one symbol or all.
    pub fn cancel_all(
        &mut self,
        symbol: Option<SymbolId>,
    ) -> Result<(), crate::venue::ascendex::session::trading::PlaceError> {
        self.trading.cancel_all(self.cx, symbol)
    }

    /// The tracker's view of an order.
    pub fn order(&self, handle: OrderHandle) -> Option<&Order> {
        self.trading.order(handle)
    }

    /// Open orders (not terminal) the engine placed or adopted.
    pub fn open_orders(&self) -> impl Iterator<Item = (OrderHandle, &Order)> {
        self.trading.open_orders()
    }

    /// (total, available) of an asset, scaled at the asset's scale.
    pub fn balance(&self, asset: AssetId) -> Option<(i64, i64)> {
        self.trading.balance(asset)
    }

    /// Cancels everything and refuses new orders until the session restarts.
    pub fn kill(&mut self) {
        self.trading.kill(self.cx)
    }

    /// Arms strategy timer `id` (< `STRATEGY_TIMERS`) to fire at `at_ns` on the engine clock.
    pub fn set_timer(&mut self, id: usize, at_ns: u64) {
        if id < STRATEGY_TIMERS {
            self.cx.set_timer(self.timer_base + id, at_ns);
        }
    }

    pub fn cancel_timer(&mut self, id: usize) {
        if id < STRATEGY_TIMERS {
            self.cx.cancel_timer(self.timer_base + id);
        }
    }

    /// Stops the session after this callback (open orders are cancelled on shutdown when configured).
    pub fn stop(&mut self) {
        self.cx.stop()
    }
}
