//! An AscendEX trading session: the `engine::Handler` that joins the exchange's connections to the book, the
//! order tracker and the user's `Strategy`.
//!
//! Connections (each reconnects with backoff on its own): a public WebSocket for market data, an authenticated
//! WebSocket for orders and the user stream (when credentials are given), and two REST connections, one per half,
//! so a slow snapshot fallback never delays an order. The market half (`market`) keeps the books in sync; the
//! trading half (`trading`) owns orders, balances, limits and signing. This file only routes.

pub mod bootstrap;
pub mod ctx;
pub mod market;
pub mod trading;

use std::path::PathBuf;
use std::time::Duration;

use crate::engine::{
    ConnId, ConnState, Cx, DisconnectReason, Engine, EngineError, Handler, RunMode,
};
use crate::metrics::Latency;
use crate::net::http::{HttpError, Response};
use crate::orders::types::SymbolId;
use crate::strategy::{STRATEGY_TIMERS, Strategy};
use crate::venue::ascendex::auth::{Credentials, KeyDerivation};
use crate::venue::ascendex::product::ProductApi;
use crate::venue::ascendex::spot::Spot;
pub use ctx::SessionCtx;

pub use crate::strategy::PlaceError;
pub use market::{MarketConfig, MarketState, MdEvent};
pub use trading::{Leftovers, TradeAuthError, TradingConfig, TradingState, WsAuthMode};

/// Engine timer ids: the market half's, then the trading half's, then the strategy's.
pub const MARKET_TIMERS: usize = 8;
pub const TRADING_TIMERS: usize = 24;
pub const STRATEGY_TIMER_BASE: usize = MARKET_TIMERS + TRADING_TIMERS;
pub const SESSION_TIMERS: usize = STRATEGY_TIMER_BASE + STRATEGY_TIMERS;

/// Everything needed to start a session.
pub struct SessionConfig {
    /// REST base, e.g. `https://ascendex.com`.
    pub rest_url: String,
    /// Public WebSocket stream, e.g. `wss://ascendex.com/api/pro/v1/stream`; the account group is inserted as the
    /// first path segment for the authenticated stream.
    pub ws_url: String,
    /// Extra trusted roots (a simulator, a private gateway).
    pub ca_file: Option<PathBuf>,
    /// Skips the `/api/pro/v1/info` lookup.
    pub account_group: Option<u32>,
    /// Symbols to trade or watch (`BTC/USDT`); their ids are their positions in this list.
    pub symbols: Vec<String>,
    /// Without credentials the session is market-data only.
    pub credentials: Option<Credentials>,
    pub key_derivation: KeyDerivation,
    pub market: MarketConfig,
    pub trading: TradingConfig,
}

/// The connections a session opened in the engine.
#[derive(Clone, Copy, Debug)]
pub struct Conns {
    pub md: ConnId,
    pub md_rest: ConnId,
    pub trade: Option<ConnId>,
    pub trade_rest: Option<ConnId>,
}

/// The handler the engine runs.
pub struct Session<S, P: ProductApi = Spot> {
    pub strategy: S,
    pub conns: Conns,
    pub market: MarketState,
    pub trading: TradingState<P>,
    started: bool,
}

impl<S: Strategy, P: ProductApi> Session<S, P> {
    pub fn from_parts(
        strategy: S,
        conns: Conns,
        market: MarketState,
        trading: TradingState<P>,
    ) -> Self {
        Session {
            strategy,
            conns,
            market,
            trading,
            started: false,
        }
    }

    /// Calls the strategy for one market-data event. The trading half sees it first (paper trading fills
    /// against the live book and trades).
    fn dispatch_md(
        strategy: &mut S,
        trading: &mut TradingState<P>,
        cx: &mut Cx<'_>,
        ev: MdEvent<'_>,
    ) {
        trading.on_market_event(cx, &ev, strategy);
        let mut ctx = SessionCtx::new(cx, trading, STRATEGY_TIMER_BASE);
        match ev {
            MdEvent::Book {
                symbol,
                book,
                update,
            } => strategy.on_book(&mut ctx, symbol, book, &update),
            MdEvent::Status { symbol, status } => strategy.on_book_status(&mut ctx, symbol, status),
            MdEvent::Bbo { symbol, bbo } => strategy.on_bbo(&mut ctx, symbol, bbo),
            MdEvent::Trade { symbol, trade } => strategy.on_trade(&mut ctx, symbol, trade),
            MdEvent::Bar { symbol, bar } => strategy.on_bar(&mut ctx, symbol, bar),
        }
    }

    fn maybe_start(&mut self, cx: &mut Cx<'_>) {
        if !self.started && self.market.is_ready() && self.trading.is_ready() {
            self.started = true;
            let mut ctx = SessionCtx::new(cx, &mut self.trading, STRATEGY_TIMER_BASE);
            self.strategy.on_start(&mut ctx);
        }
    }

    /// The strategy's `on_start` has run.
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// Latency histograms of both halves, merged.
    pub fn latency(&self) -> Latency {
        let mut l = Latency::new();
        l.merge(self.market.latency());
        l.merge(self.trading.latency());
        l
    }

    /// Stops trading gracefully: cancels open orders (when `cancel_on_shutdown`), waits up to `grace` for the
    /// exchange to confirm, then closes the connections.
    pub fn shutdown(&mut self, engine: &mut Engine, grace: Duration) -> Result<(), EngineError> {
        struct Drain<'s, S, P: ProductApi>(&'s mut Session<S, P>, bool);
        impl<S: Strategy, P: ProductApi> Handler for Drain<'_, S, P> {
            fn on_state(
                &mut self,
                cx: &mut Cx<'_>,
                c: ConnId,
                s: ConnState,
                w: Option<&DisconnectReason>,
            ) {
                self.0.on_state(cx, c, s, w)
            }
            fn on_message(&mut self, cx: &mut Cx<'_>, c: ConnId, m: &[u8], rx: u64) {
                self.0.on_message(cx, c, m, rx)
            }
            fn on_http(&mut self, cx: &mut Cx<'_>, c: ConnId, r: Result<Response<'_>, &HttpError>) {
                self.0.on_http(cx, c, r)
            }
            fn on_timer(&mut self, cx: &mut Cx<'_>, id: usize) {
                self.0.on_timer(cx, id)
            }
            fn on_idle(&mut self, cx: &mut Cx<'_>) {
                let s = &mut *self.0;
                if !self.1 {
                    self.1 = true;
                    s.trading.begin_shutdown(cx, &mut s.strategy);
                }
                if s.trading.shutdown_done() {
                    cx.stop();
                }
            }
        }
        let mut drain = Drain(self, false);
        let r = engine.run(&mut drain, RunMode::Block, Some(grace));
        engine.shutdown();
        r
    }

    /// The symbol id of a configured symbol name.
    pub fn symbol(&self, name: &str) -> Option<SymbolId> {
        self.market.symbol(name)
    }
}

impl<S: Strategy, P: ProductApi> Handler for Session<S, P> {
    fn on_state(
        &mut self,
        cx: &mut Cx<'_>,
        conn: ConnId,
        state: ConnState,
        why: Option<&DisconnectReason>,
    ) {
        let Session {
            strategy,
            conns,
            market,
            trading,
            ..
        } = self;
        if conn == conns.md || conn == conns.md_rest {
            market.on_state(cx, conns, conn, state, why, &mut |cx, ev| {
                Self::dispatch_md(strategy, trading, cx, ev)
            });
        } else {
            trading.on_state(cx, conns, conn, state, why, strategy);
        }
        self.maybe_start(cx);
    }

    #[inline]
    fn on_message(&mut self, cx: &mut Cx<'_>, conn: ConnId, msg: &[u8], rx_ns: u64) {
        let Session {
            strategy,
            conns,
            market,
            trading,
            ..
        } = self;
        if conn == conns.md {
            market.on_message(cx, conns, msg, rx_ns, &mut |cx, ev| {
                Self::dispatch_md(strategy, trading, cx, ev)
            });
        } else {
            trading.on_message(cx, conns, msg, rx_ns, strategy);
        }
        if !self.started {
            self.maybe_start(cx);
        }
    }

    fn on_http(&mut self, cx: &mut Cx<'_>, conn: ConnId, result: Result<Response<'_>, &HttpError>) {
        let Session {
            strategy,
            conns,
            market,
            trading,
            ..
        } = self;
        if conn == conns.md_rest {
            market.on_http(cx, conns, result, &mut |cx, ev| {
                Self::dispatch_md(strategy, trading, cx, ev)
            });
        } else {
            trading.on_http(cx, conns, result, strategy);
        }
        if !self.started {
            self.maybe_start(cx);
        }
    }

    fn on_timer(&mut self, cx: &mut Cx<'_>, id: usize) {
        let Session {
            strategy,
            conns,
            market,
            trading,
            ..
        } = self;
        if id < MARKET_TIMERS {
            market.on_timer(cx, conns, id, &mut |cx, ev| {
                Self::dispatch_md(strategy, trading, cx, ev)
            });
        } else if id < STRATEGY_TIMER_BASE {
            trading.on_timer(cx, conns, id - MARKET_TIMERS, strategy);
        } else {
            let mut ctx = SessionCtx::new(cx, trading, STRATEGY_TIMER_BASE);
            strategy.on_timer(&mut ctx, id - STRATEGY_TIMER_BASE);
        }
    }

    #[inline]
    fn on_idle(&mut self, cx: &mut Cx<'_>) {
        let mut ctx = SessionCtx::new(cx, &mut self.trading, STRATEGY_TIMER_BASE);
        self.strategy.on_idle(&mut ctx);
    }
}
