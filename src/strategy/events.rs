//! The events a strategy sees, whatever the venue: book updates and their status, top of book, trades, bars,
//! positions, and an order's life events. A venue decodes its messages into these; nothing here knows an exchange.
//!
//! Prices and quantities are scaled integers at the symbol's scales (see `num`), never floats.

use crate::book::Level;
use crate::book::sync::ResyncReason;
use crate::num::{Price, Qty};
use crate::orders::scaled::Dec;
use crate::orders::types::{AssetId, OrderStatus, SymbolId};
use crate::orders::{Order, OrderHandle};

/// What changed in a book update.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BookUpdate {
    /// The exchange's depth sequence number of this update (checked for gaps before the book is touched).
    pub seqnum: u64,
    /// Exchange timestamp of the update, ms since the Unix epoch.
    pub ts_ms: u64,
    /// True for a snapshot (the book was rebuilt), false for a diff.
    pub snapshot: bool,
    /// Bid levels changed in this update (saturates at `u16::MAX`).
    pub bid_levels: u16,
    /// Ask levels changed in this update (saturates at `u16::MAX`).
    pub ask_levels: u16,
    /// The best bid or ask moved.
    pub top_changed: bool,
    /// When the loop saw the bytes arrive (engine clock, ns): for wire-to-callback latency.
    pub rx_ns: u64,
}

/// Best bid and offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bbo {
    /// The symbol the quote is for.
    pub symbol: SymbolId,
    /// The exchange's timestamp of the quote, ms since the Unix epoch.
    pub ts: u64,
    /// Best bid (price and size); `None` when the exchange sent an empty pair.
    pub bid: Option<Level>,
    /// Best ask (price and size); `None` when the exchange sent an empty pair.
    pub ask: Option<Level>,
}

/// The taker's side of a trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TradeSide {
    /// The taker bought: it lifted an ask.
    Buy,
    /// The taker sold: it hit a bid.
    Sell,
}

impl TradeSide {
    /// From the exchange's `bm` (buyer is maker): a maker buyer means the taker sold.
    #[inline]
    pub fn from_buyer_is_maker(bm: bool) -> TradeSide {
        if bm { TradeSide::Sell } else { TradeSide::Buy }
    }

    /// `"buy"` / `"sell"`, as in the `--json` trade lines.
    pub fn as_str(self) -> &'static str {
        match self {
            TradeSide::Buy => "buy",
            TradeSide::Sell => "sell",
        }
    }
}

/// One (possibly aggregated) market trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Trade {
    /// Trade price at the symbol's price scale.
    pub price: Price,
    /// Traded quantity at the symbol's quantity scale.
    pub qty: Qty,
    /// The exchange's timestamp of the trade, ms since the Unix epoch.
    pub ts: u64,
    /// The exchange's sequence number of the trade.
    pub seqnum: u64,
    /// True when the buyer was the maker (`bm`); see `side()`.
    pub buyer_is_maker: bool,
}

impl Trade {
    /// The aggressor (taker) side.
    #[inline]
    pub fn side(&self) -> TradeSide {
        TradeSide::from_buyer_is_maker(self.buyer_is_maker)
    }
}

/// One bar (candle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bar<'a> {
    /// The symbol the bar is for.
    pub symbol: SymbolId,
    /// Interval name as sent (`1`, `5`, ..., `1d`, `1w`, `1m`), raw.
    pub interval: &'a [u8],
    /// Start of the bar's interval, ms since the Unix epoch, as the exchange sends it.
    pub ts: u64,
    /// First trade price of the interval, at the symbol's price scale.
    pub open: Price,
    /// Highest trade price of the interval.
    pub high: Price,
    /// Lowest trade price of the interval.
    pub low: Price,
    /// Last trade price so far (the bar may still be in progress).
    pub close: Price,
    /// Quantity traded in the interval as the exchange reports it (`v`), at the symbol's quantity scale.
    pub volume: Qty,
}

/// An order's life event, with the order as the tracker now has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderEventKind {
    /// The exchange received the request (ACK).
    Acknowledged,
    /// Resting on the book.
    New,
    /// Canceled (by us, by the exchange, or the unfilled remainder of an IOC/FOK order): no longer on the book.
    Canceled,
    /// Refused by the exchange (`code`, `reason` in `OrderEvent`) or by our own checks before sending.
    Rejected,
    /// No answer within the timeout: being resolved with an order-status query.
    Unknown,
}

/// One event of [`Strategy::on_order`](crate::strategy::Strategy::on_order): what happened to one of the
/// session's orders, with the order as the tracker holds it after the event.
#[derive(Clone, Copy, Debug)]
pub struct OrderEvent<'a> {
    /// What happened.
    pub kind: OrderEventKind,
    /// The order's handle, as [`Ctx::place`](crate::strategy::Ctx::place) returned it (or from `open_orders()` for an
    /// adopted order).
    pub handle: OrderHandle,
    /// The order after the event: status, cumulative fill, exchange id.
    pub order: &'a Order,
    /// The order's status after the event (the same as `order.status`).
    pub status: OrderStatus,
    /// The exchange's error code, when it gave one.
    pub code: i64,
    /// The exchange's reason text (e.g. `PostOnlyWouldTake`), empty otherwise.
    pub reason: &'a str,
}

/// A market-data connection or the book of a symbol went stale and is being rebuilt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookStatus {
    /// Being rebuilt (gap, reconnect, crossed book, ...): not exact until `Live`.
    Stale(ResyncReason),
    /// The connection went quiet for half its liveness deadline: nothing for `age_ns`, a ping is out. The book may
    /// be behind the market; `Live` follows the next message, or `Stale(Reconnect)` if the link is dead.
    Silent {
        /// Nanoseconds (engine clock) since the connection last delivered anything.
        age_ns: u64,
    },
    /// In sync.
    Live,
}

/// A futures position as the venue reports it (spot sessions have none). `qty` is signed: above zero long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// The contract the position is in.
    pub symbol: SymbolId,
    /// Signed size at the symbol's quantity scale.
    pub qty: i64,
    /// Average open price at the symbol's price scale (0 when flat).
    pub avg_open_price: i64,
    /// Realized PnL as the venue reports it, at the settlement asset's scale.
    pub realized_pnl: i64,
    /// Unrealized PnL as the venue reports it, at the settlement asset's scale.
    pub unrealized_pnl: i64,
    /// Leverage set for the contract (an integer; 0 when the venue did not say).
    pub leverage: u16,
    /// Crossed (shares the account's collateral) or isolated (its own margin).
    pub margin_type: MarginType,
    /// Margin held by an isolated position, at the settlement asset's scale (0 when crossed).
    pub isolated_margin: i64,
    /// The venue's timestamp of the report, ms since the Unix epoch.
    pub ts: u64,
}

/// How a futures position is margined (defined with the core's position table).
pub use crate::orders::positions::MarginType;

/// A perpetual contract's pricing: what the funding and the liquidation engine use, not the last trade. Figures
/// are [`Dec`]s at their own scale (a mark price carries more decimals than the tick, a funding rate nine): exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pricing {
    /// The contract.
    pub symbol: SymbolId,
    /// Mark price (the venue's fair price; unrealized PnL and liquidation use it), exact as sent.
    pub mark_price: Dec,
    /// Index price of the underlying (spot reference), exact as sent.
    pub index_price: Dec,
    /// Funding rate of the current period (signed: positive means longs pay shorts), exact as sent.
    pub funding_rate: Dec,
    /// When the next funding is charged, ms since the Unix epoch.
    pub next_funding_ms: u64,
    /// Open interest in contracts (base units), exact as sent.
    pub open_interest: Dec,
    /// The venue's timestamp of the figures, ms since the Unix epoch.
    pub ts: u64,
}

/// The reference price of a collateral asset (in the settlement asset, e.g. USDT), for valuing collateral.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CollateralPrice {
    /// The collateral asset.
    pub asset: AssetId,
    /// Its price in the settlement asset, exact as sent.
    pub price: Dec,
}
