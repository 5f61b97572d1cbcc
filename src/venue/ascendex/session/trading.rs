//! The trading half of a session: authentication, order entry over WebSocket (REST fallback), the order tracker,
//! the user stream, balances, reconciliation, rate and risk limits, the exchange clock. (Being built: see the
//! issue tracker, issue 5.)

use super::bootstrap::{Bootstrap, SessionError};
use super::{Conns, SessionConfig};
use crate::engine::{ConnId, ConnState, Cx, DisconnectReason};
use crate::net::http::{HttpError, Response};
use crate::orders::types::{AssetId, SymbolId};
use crate::orders::{Order, OrderHandle, OrderTracker};
use crate::strategy::{PlaceRequest, Strategy};

/// Trading options.
#[derive(Clone, Debug)]
pub struct TradingConfig {
    /// Capacity of the in-flight order slab.
    pub max_orders: usize,
    /// Cancel every open order when the session stops.
    pub cancel_on_shutdown: bool,
}

impl Default for TradingConfig {
    fn default() -> Self {
        TradingConfig {
            max_orders: 4096,
            cancel_on_shutdown: true,
        }
    }
}

/// Why an action was refused before anything was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceError {
    /// No credentials: the session is market-data only.
    NoTrading,
}

impl std::fmt::Display for PlaceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlaceError::NoTrading => {
                write!(f, "this session has no API credentials: it cannot trade")
            }
        }
    }
}

impl std::error::Error for PlaceError {}

pub struct TradingState {
    tracker: OrderTracker,
    latency: crate::metrics::Latency,
}

impl TradingState {
    pub fn new(cfg: &SessionConfig, _boot: &Bootstrap) -> Result<Self, SessionError> {
        Ok(TradingState {
            tracker: OrderTracker::new(cfg.trading.max_orders),
            latency: crate::metrics::Latency::new(),
        })
    }

    /// Callback-to-wire and order round-trip latencies.
    pub fn latency(&self) -> &crate::metrics::Latency {
        &self.latency
    }

    /// Paper trading fills against market data; a live session ignores it.
    pub fn on_market_event<S: Strategy>(
        &mut self,
        _cx: &mut Cx<'_>,
        _ev: &super::MdEvent<'_>,
        _strategy: &mut S,
    ) {
    }

    /// Starts the graceful stop: cancel-all when configured, refuse new orders.
    pub fn begin_shutdown<S: Strategy>(&mut self, _cx: &mut Cx<'_>, _strategy: &mut S) {}

    /// Nothing left to wait for.
    pub fn shutdown_done(&self) -> bool {
        true
    }

    /// Authenticated and reconciled (or no trading configured).
    pub fn is_ready(&self) -> bool {
        true
    }

    pub fn place(
        &mut self,
        _cx: &mut Cx<'_>,
        _req: &PlaceRequest,
    ) -> Result<OrderHandle, PlaceError> {
        Err(PlaceError::NoTrading)
    }

    pub fn cancel(&mut self, _cx: &mut Cx<'_>, _h: OrderHandle) -> Result<(), PlaceError> {
        Err(PlaceError::NoTrading)
    }

    pub fn cancel_all(
        &mut self,
        _cx: &mut Cx<'_>,
        _symbol: Option<SymbolId>,
    ) -> Result<(), PlaceError> {
        Err(PlaceError::NoTrading)
    }

    pub fn order(&self, h: OrderHandle) -> Option<&Order> {
        self.tracker.get(h)
    }

    pub fn open_orders(&self) -> impl Iterator<Item = (OrderHandle, &Order)> {
        self.tracker.iter_live()
    }

    pub fn balance(&self, _asset: AssetId) -> Option<(i64, i64)> {
        None
    }

    pub fn kill(&mut self, _cx: &mut Cx<'_>) {}

    pub fn on_state<S: Strategy>(
        &mut self,
        _cx: &mut Cx<'_>,
        _conns: &Conns,
        _conn: ConnId,
        _state: ConnState,
        _why: Option<&DisconnectReason>,
        _strategy: &mut S,
    ) {
    }

    pub fn on_message<S: Strategy>(
        &mut self,
        _cx: &mut Cx<'_>,
        _conns: &Conns,
        _msg: &[u8],
        _rx_ns: u64,
        _strategy: &mut S,
    ) {
    }

    pub fn on_http<S: Strategy>(
        &mut self,
        _cx: &mut Cx<'_>,
        _conns: &Conns,
        _result: Result<Response<'_>, &HttpError>,
        _strategy: &mut S,
    ) {
    }

    pub fn on_timer<S: Strategy>(
        &mut self,
        _cx: &mut Cx<'_>,
        _conns: &Conns,
        _id: usize,
        _strategy: &mut S,
    ) {
    }
}
