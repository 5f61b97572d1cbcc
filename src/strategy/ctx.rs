//! What a strategy acts with: the [`Ctx`] trait a venue session (and the paper venue inside it) implements, the
//! order request it takes, and why a request can be refused before anything is sent.
//!
//! `Strategy` callbacks take `ctx: &mut impl Ctx`, so each session type gets its own monomorphized copy of the
//! strategy: no `dyn` on the hot path. `Ctx` is still dyn-compatible (minus [`Ctx::open_orders`]) for bridges that
//! must erase the type, such as the C ABI.

use crate::orders::rules::RuleError;
use crate::orders::types::{AssetId, Side, SymbolId, TimeInForce};
use crate::orders::{Order, OrderHandle, RiskError, TrackError};
use crate::strategy::events::Position;

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
    /// Which of the session's symbols (the index given by the builder's symbol order).
    pub symbol: SymbolId,
    /// Buy or sell.
    pub side: Side,
    /// Limit or market.
    pub order_type: OrderType,
    /// Limit price as a mantissa at the symbol's price scale (`60000.10` at scale 2 is `6000010`); ignored for market
    /// orders. Rounded to the tick on the passive side (down for a buy, up for a sell) before sending.
    pub price: i64,
    /// Size as a mantissa at the symbol's quantity scale; rounded down to the lot before sending.
    pub qty: i64,
    /// How long a limit order may rest: good-till-cancel, immediate-or-cancel or fill-or-kill (market orders are
    /// sent without one).
    pub tif: TimeInForce,
    /// Have the exchange reject the order rather than let it take liquidity (maker only); ignored for market orders.
    pub post_only: bool,
}

impl PlaceRequest {
    /// A good-till-cancel limit order; `price` and `qty` are mantissas at the symbol's scales.
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

    /// A good-till-cancel limit order that the exchange rejects rather than lets take liquidity: the way to quote
    /// without ever crossing the spread.
    pub fn post_only(symbol: SymbolId, side: Side, price: i64, qty: i64) -> Self {
        PlaceRequest {
            post_only: true,
            ..Self::limit(symbol, side, price, qty)
        }
    }

    /// A market order for `qty` (a mantissa at the symbol's quantity scale); it takes liquidity at any price, so the
    /// notional checks use the book's top as the reference price.
    pub fn market(symbol: SymbolId, side: Side, qty: i64) -> Self {
        PlaceRequest {
            order_type: OrderType::Market,
            price: 0,
            ..Self::limit(symbol, side, 0, qty)
        }
    }
}

/// Why an action was refused before anything was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceError {
    /// No credentials: the session is market-data only.
    NoTrading,
    /// Neither the trade socket (authenticated) nor the REST connection is usable right now.
    NotConnected,
    /// `kill()` was called or the session is shutting down.
    Killed,
    /// The symbol id is not one of the session's symbols.
    UnknownSymbol,
    /// The order breaks the symbol's trading rules after quantization.
    Rule(RuleError),
    /// Our own risk limits or request budgets.
    Risk(RiskError),
    /// The order tracker refused (full, stale handle).
    Track(TrackError),
    /// The order is already done (filled, canceled, rejected).
    NotOpen,
    /// A market order needs a reference price for the notional checks and no book top is known yet.
    NoReferencePrice,
    /// The paper exchange refused it.
    Paper(crate::paper::PaperReject),
    /// The order could not be encoded (a symbol with characters JSON cannot carry).
    Encode,
}

impl std::fmt::Display for PlaceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlaceError::NoTrading => {
                write!(f, "this session has no API credentials: it cannot trade")
            }
            PlaceError::NotConnected => f.write_str(
                "the trade connection is not authenticated and REST is busy or down: retry shortly",
            ),
            PlaceError::Killed => f.write_str("trading stopped (kill switch or shutdown)"),
            PlaceError::UnknownSymbol => f.write_str("symbol is not configured in this session"),
            PlaceError::Rule(e) => write!(f, "order breaks the trading rules: {e}"),
            PlaceError::Risk(e) => write!(f, "order refused by risk/rate limits: {e}"),
            PlaceError::Track(e) => write!(f, "{e}"),
            PlaceError::NotOpen => f.write_str("the order is no longer open"),
            PlaceError::NoReferencePrice => {
                f.write_str("market order: no book price known yet to check the notional")
            }
            PlaceError::Paper(e) => write!(f, "{e}"),
            PlaceError::Encode => f.write_str("order could not be encoded"),
        }
    }
}

impl std::error::Error for PlaceError {}

impl From<RuleError> for PlaceError {
    fn from(e: RuleError) -> Self {
        PlaceError::Rule(e)
    }
}
impl From<RiskError> for PlaceError {
    fn from(e: RiskError) -> Self {
        PlaceError::Risk(e)
    }
}
impl From<TrackError> for PlaceError {
    fn from(e: TrackError) -> Self {
        PlaceError::Track(e)
    }
}

/// Number of timer ids a strategy may use with [`Ctx::set_timer`].
pub const STRATEGY_TIMERS: usize = 16;

/// What a strategy can do from inside a callback. Actions are encoded and queued as they are called and written to
/// the socket when the callback returns.
pub trait Ctx {
    /// Nanoseconds on the engine clock.
    fn now_ns(&self) -> u64;

    /// Quantizes, checks rules, risk limits and rate limits, then sends (over the WebSocket when it is up,
    /// REST otherwise). A refusal before sending is an `Err` and nothing leaves the process.
    fn place(&mut self, req: &PlaceRequest) -> Result<OrderHandle, PlaceError>;

    /// Cancels one order (by its predicted exchange id where the venue allows, so it can leave before the
    /// acknowledgement).
    fn cancel(&mut self, handle: OrderHandle) -> Result<(), PlaceError>;

    /// Cancels the open orders this session owns, of one symbol or all. Orders of other programs on the same
    /// account are never touched.
    fn cancel_all(&mut self, symbol: Option<SymbolId>) -> Result<(), PlaceError>;

    /// The tracker's view of an order.
    fn order(&self, handle: OrderHandle) -> Option<&Order>;

    /// Open orders (not terminal) the session placed or adopted.
    fn open_orders(&self) -> impl Iterator<Item = (OrderHandle, &Order)>
    where
        Self: Sized;

    /// (total, available) of an asset, scaled at the asset's scale.
    fn balance(&self, asset: AssetId) -> Option<(i64, i64)>;

    /// The position in a contract; `None` for spot symbols and before the venue reported one.
    fn position(&self, symbol: SymbolId) -> Option<Position> {
        let _ = symbol;
        None
    }

    /// Cancels everything this session owns and refuses new orders until the session restarts.
    fn kill(&mut self);

    /// Arms strategy timer `id` (< [`STRATEGY_TIMERS`]) to fire at `at_ns` on the engine clock; larger ids are
    /// ignored.
    fn set_timer(&mut self, id: usize, at_ns: u64);

    /// Disarms strategy timer `id`.
    fn cancel_timer(&mut self, id: usize);

    /// Stops the session after this callback (the session cancels its own open orders on shutdown when configured).
    fn stop(&mut self);
}
