//! The trading half of a session: authentication, order entry over WebSocket (REST fallback), the order tracker,
//! the user stream, balances, reconciliation, rate and risk limits, the exchange clock; and paper trading.
//!
//! Life of the trade connection: upgrade signed with `x-auth-*` headers (header mode, the default; signed at every
//! connect with exchange time) or open → (exchange clock measured) → `op:auth` (message mode) → `sub order:cash` →
//! `open-order` request + REST balance → ready. The same sequence runs after every reconnect, so an order placed
//! before a drop is reconciled (updated, adopted or queried) and never orphaned. REST (`trade_rest`) carries the
//! clock samples, risk-limit look-up, balances, status queries of orders in doubt, product refreshes, and orders
//! while the socket is down (a `place_batch` as one `order/batch` request). One request is in flight at a time; the
//! rest wait in a small queue.
//!
//! Hot path (`place`): quantize, risk gate, token bucket, client id, predicted order id, tracker insert, frame encode
//! into a reused buffer, queue on the socket. No allocation, no syscall (exchange time comes from the engine clock plus
//! a measured offset).

mod connection;
mod entry;
mod notify;
mod rest_answers;
mod rest_send;
mod timers;
mod ws_messages;

use std::marker::PhantomData;
use std::sync::Arc;

use super::bootstrap::{Bootstrap, SessionError, wall_ms};
use super::{Conns, MARKET_TIMERS, STRATEGY_TIMER_BASE, SessionConfig};
use crate::engine::{ConnId, ConnSpec, ConnState, Cx, DisconnectReason, EngineError};
use crate::metrics::{Latency, Probe};
use crate::net::http::{HttpError, Response};
use crate::net::timer::Clock;
use crate::net::ws::WsError;
use crate::orders::rest_queue::{Queued, RestQueue};
use crate::orders::scaled::{Dec, parse_scaled};
use crate::orders::types::{AssetId, SymbolId};
use crate::orders::{
    Applied, Balances, ClientId, ClockOffset, Fill, NewOrder, OpClass, OpLimits, OpenOrderReport,
    Order, OrderHandle, OrderId, OrderKind, OrderStatus, OrderTracker, OrderUpdate, RateBudget,
    ReconcileAction, RiskError, RiskGate, Side, Source, StopSwitch, SymbolLimits, TimeInForce,
    TrackError, next_to_cancel, reconcile,
};
use crate::paper::{PaperConfig, PaperEvent, PaperExchange, PaperOrder, PaperSymbol};
use crate::strategy::{OrderEvent, OrderEventKind, OrderType, PlaceError, PlaceRequest, Strategy};
use crate::venue::ascendex::auth::{ApiPath, Signer, UpgradeSigner};
use crate::venue::ascendex::ids::{ClientIdGen, Via};
use crate::venue::ascendex::product::ProductApi;
use crate::venue::ascendex::rest::trading as rest;
use crate::venue::ascendex::rules::{PriceSpec, RulesTable};
use crate::venue::ascendex::spot::Spot;
use crate::venue::ascendex::stream::trading::{
    self as wire, Account, EntryError, Inbound, OrderEntry, OrderSpec, PING, PONG, ReplyStatus,
    RespInst, ScaleTable, Scales, Stamp,
};

/// Trading options.
#[derive(Clone, Debug)]
pub struct TradingConfig {
    /// Capacity of the in-flight order slab.
    pub max_orders: usize,
    /// Cancel every open order when the session stops.
    pub cancel_on_shutdown: bool,
    /// Simulate fills against the live book instead of sending orders (see `crate::paper`).
    pub paper: Option<PaperConfig>,
    /// What the exchange waits for before answering a new order.
    pub resp_inst: RespInst,
    /// A new order without the matching engine's word after this long turns `Unknown` (then a status query).
    pub ack_timeout_ms: u64,
    /// A cancel without an answer after this long turns the order `Unknown`.
    pub cancel_timeout_ms: u64,
    /// WebSocket budgets per operation class (per minute). The exchange's live level-1 values (risk-limit-info)
    /// lower them at start-up when smaller.
    pub op_limits: OpLimits,
    /// Percentage of each level-1 threshold we allow ourselves.
    pub limit_margin_pct: u64,
    /// Pre-trade limits per symbol (index = symbol id); missing entries are unlimited.
    pub symbol_limits: Vec<SymbolLimits>,
    pub max_open_orders: usize,
    pub max_orders_per_sec: u64,
    /// Decimal places for balances and fees.
    pub asset_scale: u8,
    /// What to do at start with open orders an earlier run left (same tag): adopt them (the strategy sees them
    /// in `open_orders()`) or cancel them and wait for the exchange to confirm before the strategy starts.
    pub leftovers: Leftovers,
    /// Client-id prefix (letters and digits) and the tag character marking this engine's orders. The tag is what
    /// ownership rests on: the exchange's order id carries the client id's last 9 characters (tag + counter), so
    /// an open order is ours when its id ends in our tag, whoever placed it. Programs sharing an account must use
    /// different tags; `mm` uses `m`, `order place` `c`, sessions `h` by default.
    pub client_id_prefix: String,
    pub client_id_tag: u8,
    /// Ready-ack mode on the order channel (`"ack":"ready"` in the auth message).
    pub ready_ack: bool,
    /// How long REST 5xx / network failures are retried before giving up on a request.
    pub rest_retry_ms: u64,
    pub clock_refresh_ms: u64,
    pub products_refresh_ms: u64,
    /// Client `{"op":"ping"}` interval (keep-alive, whatever flows).
    pub ping_ms: u64,
    /// Liveness deadline of the trade socket: after half of it without any message a ping goes out; no answer
    /// within the other half and the socket is declared dead and replaced (5 s by default: a user stream is
    /// quiet far longer than a depth stream).
    pub silence_ms: u64,
    /// Send orders over REST even when the socket is up (comparisons, venues with WS order entry disabled).
    pub order_via_rest: bool,
    /// How the trade socket authenticates. `ready_ack` needs [`WsAuthMode::Message`] (the flag travels in the
    /// `op:auth` message), so it overrides a `Header` setting.
    pub ws_auth: WsAuthMode,
}

/// How the trade WebSocket authenticates (README §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WsAuthMode {
    /// Signed `x-auth-*` headers on the upgrade request (signed at every connect with exchange time): the socket is
    /// authenticated when the upgrade succeeds, one round trip sooner than `Message`. A refused signature is an
    /// HTTP 401 on the upgrade. Should the server ever answer `connected` `unauth` instead, the session falls back
    /// to `Message` on that socket.
    #[default]
    Header,
    /// `{"op":"auth",...}` after the upgrade, then wait for its acknowledgement.
    Message,
}

/// Why the trade socket is not authenticated. Never contains the key or the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradeAuthError {
    /// The exchange answered the `op:auth` message with this error.
    Refused { code: i64, message: String },
    /// The exchange refused the upgrade that carried the signed headers with this HTTP status.
    UpgradeRefused { status: u16 },
}

impl std::fmt::Display for TradeAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TradeAuthError::Refused { code, message } => write!(
                f,
                "the exchange refused the trade socket's authentication: code {code} {message} \
                 (check the API key, secret and clock)"
            ),
            TradeAuthError::UpgradeRefused { status } => write!(
                f,
                "the exchange refused the trade socket's signed upgrade with HTTP {status} \
                 (check the API key, secret and clock)"
            ),
        }
    }
}

impl std::error::Error for TradeAuthError {}

/// When the last trade-socket connect reached each step (ns after the connect started), for connect-to-ready
/// measurements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WsConnectTiming {
    /// The upgrade succeeded.
    pub open_ns: Option<u64>,
    /// Authenticated: orders may go over the socket.
    pub auth_ns: Option<u64>,
    /// The order channel subscription was acknowledged.
    pub subscribed_ns: Option<u64>,
}

impl Default for TradingConfig {
    fn default() -> Self {
        TradingConfig {
            max_orders: 4096,
            cancel_on_shutdown: true,
            paper: None,
            resp_inst: RespInst::Ack,
            ack_timeout_ms: 5_000,
            cancel_timeout_ms: 5_000,
            op_limits: OpLimits::DOCUMENTED_LEVEL1,
            limit_margin_pct: 80,
            symbol_limits: Vec::new(),
            max_open_orders: 1_000,
            max_orders_per_sec: 1_000,
            asset_scale: 9,
            leftovers: Leftovers::Adopt,
            client_id_prefix: String::new(),
            client_id_tag: b'h',
            ready_ack: false,
            rest_retry_ms: 10_000,
            clock_refresh_ms: 60_000,
            products_refresh_ms: 600_000,
            ping_ms: 15_000,
            silence_ms: 5_000,
            order_via_rest: false,
            ws_auth: WsAuthMode::Header,
        }
    }
}

/// Open orders of an earlier run (same client-id tag) found at start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Leftovers {
    /// Track them as the session's own: the strategy sees them and shutdown cancels them.
    #[default]
    Adopt,
    /// Cancel them, by id, before the strategy starts.
    Cancel,
}

/// Counters, read after a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TradingStats {
    pub placed_ws: u64,
    pub placed_rest: u64,
    pub acks: u64,
    pub rejects: u64,
    pub cancels_sent: u64,
    pub cancels_refused: u64,
    pub fills: u64,
    pub decode_errors: u64,
    pub foreign_orders: u64,
    pub adopted: u64,
    pub unknown_reports: u64,
    pub timeouts: u64,
    pub status_queries: u64,
    pub reconciles: u64,
    pub rest_429: u64,
    pub rest_5xx: u64,
    pub rest_errors: u64,
    pub rest_retries: u64,
    pub throttled: u64,
    pub bans: u64,
    pub auth_failures: u64,
    pub clock_samples: u64,
    /// Header mode: the server said `connected` `unauth` after the upgrade, so `op:auth` was sent instead.
    pub header_auth_fallbacks: u64,
    /// REST batch place requests sent (each carries up to 10 orders).
    pub rest_batches: u64,
    /// Trade-socket liveness pings unanswered within half the deadline (the socket was replaced).
    pub pong_timeouts: u64,
    /// Orders an earlier run left open that were cancelled at start (`Leftovers::Cancel`).
    pub leftovers_cancelled: u64,
}

const T_TICK: usize = 0;
const TICK_NS: u64 = 20_000_000;
const MS: u64 = 1_000_000;
const REASON_LEN: usize = 48;
/// A batch member the exchange did not place because another member of the batch failed its checks.
const INVALID_BATCH_ORDER: i64 = 300013;
/// After the exchange refused our credentials, no new attempt on the trade socket before this long.
const AUTH_RETRY_MS: u64 = 10_000;

/// A reason text copied off the wire (the message buffer is gone by the time the strategy hears of it).
#[derive(Clone, Copy, Debug)]
struct Reason {
    buf: [u8; REASON_LEN],
    len: u8,
}

impl Reason {
    const EMPTY: Reason = Reason {
        buf: [0; REASON_LEN],
        len: 0,
    };
    fn new(s: &str) -> Reason {
        let mut r = Reason::EMPTY;
        let mut n = s.len().min(REASON_LEN);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        r.buf[..n].copy_from_slice(&s.as_bytes()[..n]);
        r.len = n as u8;
        r
    }
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }
}

/// What the strategy will be told, queued while the state is updated and delivered afterwards.
#[derive(Clone, Copy, Debug)]
enum Note {
    Order {
        kind: OrderEventKind,
        handle: OrderHandle,
        order: Order,
        code: i64,
        reason: Reason,
    },
    Fill(Fill),
    Balance {
        asset: AssetId,
        total: i64,
        available: i64,
    },
}

// A status query carries its ids inline (no allocation); the queue is short, the size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug)]
enum Job {
    ExchangeInfo,
    RiskLimits,
    Balance,
    OpenOrders {
        requested_ns: u64,
    },
    Status {
        ids: [OrderId; 10],
        n: u8,
    },
    Place(OrderHandle),
    /// Up to 10 orders in one `order/batch` request (the compact front of `hs`).
    PlaceBatch {
        hs: [Option<OrderHandle>; rest::MAX_BATCH],
        n: u8,
    },
    Cancel {
        handle: OrderHandle,
        req: ClientId,
    },
    CancelAll(Option<SymbolId>),
    Products,
}

/// What `prepare` did with an order.
enum Prepared {
    /// Tracked and ready to go (WebSocket: the frame is in `buf`; REST: queued; paper: submitted).
    Ready(OrderHandle, Option<Via>, i64),
    /// The paper exchange refused it at once (the strategy hears `Rejected`).
    Refused(OrderHandle),
}

/// The trading half. Built by `bootstrap::start`; the session routes engine callbacks here.
pub struct TradingState<P: ProductApi = Spot> {
    cfg: TradingConfig,
    /// Credentials and an account group: live trading is possible.
    live: bool,
    paper: Option<PaperExchange>,
    paper_out: Vec<PaperEvent>,
    signer: Option<Signer>,
    /// Signs the trade socket's upgrade at every connect (header mode only).
    upgrade: Option<Arc<UpgradeSigner>>,
    /// The server ignored the upgrade headers on this socket (`connected` `unauth`): authenticate by message.
    header_ignored: bool,
    ws_connect_ns: u64,
    ws_timing: WsConnectTiming,
    group: u32,
    rules: RulesTable,
    scales: ScaleTable,
    /// Asset names by id (for REST balance parsing and the strategy).
    asset_names: Vec<String>,
    tracker: OrderTracker,
    balances: Balances,
    risk: RiskGate,
    budget: RateBudget,
    clock: ClockOffset,
    clock_sampled: bool,
    time_base: Option<(i64, u64)>,
    /// Client ids, predicted order ids, order and cancel frames, cancels in flight.
    entry: OrderEntry,
    buf: Vec<u8>,
    rb: rest::RestBuffers,
    /// The trade REST connection's queue, in-flight request and hold-off.
    rest: RestQueue<Job>,
    trade: Option<ConnId>,
    trade_rest: Option<ConnId>,
    ws_open: bool,
    ws_open_ns: u64,
    auth_sent: bool,
    authed: bool,
    subscribed: bool,
    open_synced: bool,
    /// Leftovers of an earlier run being cancelled (handle, cancel sent), until each is terminal.
    leftovers: Vec<(OrderHandle, bool)>,
    leftovers_deadline_ns: u64,
    /// Where the next status query starts looking for orders in doubt (round-robin over the tracker's slots).
    status_cursor: usize,
    balance_synced: bool,
    auth_error: Option<TradeAuthError>,
    cancel_all_pending: u32,
    /// The kill switch and the shutdown sequence (the core's).
    stop: StopSwitch,
    next_ping_ns: u64,
    /// Engine time of the trade socket's last message, and of its unanswered liveness ping (0: none).
    last_rx_ns: u64,
    liveness_ping_ns: u64,
    next_clock_ns: u64,
    next_products_ns: u64,
    next_status_ns: u64,
    timer_armed: bool,
    started_rest: bool,
    /// Best bid / ask per symbol (price scale), for market orders' notional checks.
    top: Vec<(i64, i64)>,
    notes: Vec<Note>,
    spare: Vec<Note>,
    recon: Vec<ReconcileAction>,
    latency: Latency,
    lclock: Clock,
    pub stats: TradingStats,
    product: PhantomData<P>,
}

fn asset_scale_fn(scale: u8) -> impl Fn(&str) -> u8 {
    move |_| scale
}

impl<P: ProductApi> TradingState<P> {
    pub fn new(cfg: &SessionConfig, boot: &Bootstrap) -> Result<Self, SessionError> {
        let tc = cfg.trading.clone();
        let all = P::parse_rules(&boot.products).map_err(|e| SessionError::Exchange {
            what: "trading rules",
            detail: e.to_string(),
        })?;
        // Symbol ids are positions in the session's symbol list.
        let mut rules = RulesTable::default();
        for name in &cfg.symbols {
            let r = all
                .by_name(name)
                .ok_or_else(|| SessionError::UnknownSymbol(name.clone()))?;
            rules.insert(r.clone());
        }
        let scales = ScaleTable::from_rules(&rules, asset_scale_fn(tc.asset_scale), tc.asset_scale);
        let mut asset_names = Vec::new();
        for (_, r) in rules.iter() {
            for a in [&r.base, &r.quote] {
                if !asset_names.contains(a) {
                    asset_names.push(a.clone());
                }
            }
        }
        let signer = match &cfg.credentials {
            Some(c) => Some(
                c.signer(cfg.key_derivation)
                    .map_err(SessionError::Credentials)?,
            ),
            None => None,
        };
        let live = tc.paper.is_none()
            && signer.is_some()
            && boot.account_group.is_some()
            && boot.user_uid.is_some();
        let n = rules.len();
        let limits: Vec<SymbolLimits> = (0..n)
            .map(|i| {
                tc.symbol_limits.get(i).copied().unwrap_or(SymbolLimits {
                    max_order_qty: i64::MAX,
                    max_position: i64::MAX,
                })
            })
            .collect();
        let ids =
            ClientIdGen::new(&tc.client_id_prefix, tc.client_id_tag, wall_ms()).map_err(|e| {
                SessionError::Exchange {
                    what: "client id settings",
                    detail: e.to_string(),
                }
            })?;
        let paper = match &tc.paper {
            Some(pc) => {
                let syms = rules
                    .iter()
                    .map(|(_, r)| {
                        scales.symbol(r.symbol.as_bytes()).map(|s| PaperSymbol {
                            price_scale: s.price,
                            qty_scale: s.qty,
                            base: s.base.id,
                            quote: s.quote.id,
                        })
                    })
                    .collect();
                let mut initial = vec![0i64; asset_names.len()];
                for (a, v) in &pc.balances {
                    if let Some(i) = asset_names.iter().position(|n| n == a) {
                        initial[i] = parse_scaled(v.as_bytes(), tc.asset_scale).map_err(|e| {
                            SessionError::Exchange {
                                what: "paper balances",
                                detail: format!("{a}: {e}"),
                            }
                        })?;
                    }
                }
                Some(PaperExchange::new(
                    syms,
                    tc.asset_scale,
                    &initial,
                    tc.max_orders,
                    pc,
                ))
            }
            None => None,
        };
        let margin = tc.limit_margin_pct;
        let upgrade = match (&signer, tc.ws_auth, tc.ready_ack) {
            (Some(s), WsAuthMode::Header, false) => {
                Some(Arc::new(UpgradeSigner::new(s.clone(), P::STREAM_PREHASH)))
            }
            _ => None,
        };
        Ok(TradingState {
            live,
            paper,
            paper_out: Vec::with_capacity(256),
            signer,
            upgrade,
            header_ignored: false,
            ws_connect_ns: 0,
            ws_timing: WsConnectTiming::default(),
            group: boot.account_group.unwrap_or(0),
            scales,
            tracker: OrderTracker::new(tc.max_orders),
            balances: Balances::new(asset_names.len()),
            risk: RiskGate::new(limits, tc.max_open_orders, tc.max_orders_per_sec, 0),
            budget: RateBudget::new(tc.op_limits.with_margin(margin), 0),
            clock: ClockOffset::new(),
            clock_sampled: false,
            time_base: None,
            entry: OrderEntry::for_session(
                ids,
                boot.user_uid.as_deref().unwrap_or(""),
                Account::Cash,
                tc.resp_inst,
                tc.max_orders.max(16),
            ),
            buf: Vec::with_capacity(4096),
            rb: rest::RestBuffers::with_capacity(4096),
            rest: RestQueue::with_capacity(256),
            trade: None,
            trade_rest: None,
            ws_open: false,
            ws_open_ns: 0,
            auth_sent: false,
            authed: false,
            subscribed: false,
            open_synced: false,
            leftovers: Vec::with_capacity(64),
            leftovers_deadline_ns: 0,
            status_cursor: 0,
            balance_synced: false,
            auth_error: None,
            cancel_all_pending: 0,
            stop: StopSwitch::new(),
            next_ping_ns: 0,
            last_rx_ns: 0,
            liveness_ping_ns: 0,
            next_clock_ns: 0,
            next_products_ns: 0,
            next_status_ns: 0,
            timer_armed: false,
            started_rest: false,
            top: vec![(0, 0); n],
            notes: Vec::with_capacity(256),
            spare: Vec::with_capacity(256),
            recon: Vec::with_capacity(256),
            latency: Latency::new(),
            lclock: Clock::new(),
            asset_names,
            rules,
            cfg: tc,
            stats: TradingStats::default(),
            product: PhantomData,
        })
    }

    /// Callback-to-wire and order round-trip latencies.
    pub fn latency(&self) -> &Latency {
        &self.latency
    }

    /// The authentication failure the exchange reported on the trade socket, if any (no secret in it).
    pub fn auth_error(&self) -> Option<&TradeAuthError> {
        self.auth_error.as_ref()
    }

    /// How the trade socket authenticates in effect (`ready_ack` forces `Message`).
    pub fn ws_auth_mode(&self) -> WsAuthMode {
        if self.upgrade.is_some() {
            WsAuthMode::Header
        } else {
            WsAuthMode::Message
        }
    }

    /// The engine connection for the trade socket at `url` (the private stream URL): in header mode its upgrade is
    /// signed at every connect.
    pub fn trade_ws_spec(&self, url: &str) -> Result<ConnSpec, EngineError> {
        let spec = ConnSpec::websocket(url, Vec::new())?;
        Ok(match &self.upgrade {
            Some(u) => spec.with_header_source(u.clone()),
            None => spec,
        })
    }

    /// An exchange clock offset measured before the loop runs (start-up), so the first signed upgrade uses exchange
    /// time before the trading half's own samples arrive.
    pub fn seed_clock_offset(&mut self, offset_ms: i64) {
        if let Some(u) = &self.upgrade {
            u.set_offset(offset_ms);
        }
    }

    /// The timestamp of the last signed upgrade (header mode), in exchange ms.
    pub fn last_upgrade_timestamp_ms(&self) -> Option<u64> {
        self.upgrade.as_ref().and_then(|u| u.last_timestamp_ms())
    }

    /// How many upgrades were signed (header mode): one per connect attempt that reached the upgrade.
    pub fn upgrades_signed(&self) -> u64 {
        self.upgrade.as_ref().map_or(0, |u| u.signed_count())
    }

    /// Connect-to-open / -authenticated / -subscribed times of the last trade-socket connect.
    pub fn ws_connect_timing(&self) -> WsConnectTiming {
        self.ws_timing
    }

    /// Exchange clock minus local clock (ms) as measured, and whether a sample exists.
    pub fn clock_offset_ms(&self) -> Option<i64> {
        self.clock_sampled.then(|| self.clock.offset_ms())
    }

    /// The trading rules the session uses (index = symbol id).
    pub fn rules(&self) -> &RulesTable {
        &self.rules
    }

    /// The asset id of an asset name (`USDT`).
    pub fn asset(&self, name: &str) -> Option<AssetId> {
        self.asset_names
            .iter()
            .position(|n| n == name)
            .map(|i| AssetId(i as u16))
    }

    /// The name and balance scale of the asset `on_balance` reports as `a` (for callers that cannot keep names).
    pub fn asset_info(&self, a: AssetId) -> Option<(&str, u8)> {
        let name = self.asset_names.get(usize::from(a.0))?;
        let s = self.scales.asset(name.as_bytes()).filter(|s| s.id == a)?;
        Some((name, s.scale))
    }

    /// How many assets the balance table holds (ids are `0..asset_count()`).
    pub fn asset_count(&self) -> usize {
        self.asset_names.len()
    }

    pub fn is_paper(&self) -> bool {
        self.paper.is_some()
    }

    /// Every tracked order, live and remembered terminal ones.
    pub fn orders(&self) -> impl Iterator<Item = (OrderHandle, &Order)> {
        self.tracker.iter()
    }

    // -----------------------------------------------------------------------------------------------------------
    // Time

    fn init_time(&mut self, now_ns: u64) {
        if self.time_base.is_none() {
            self.time_base = Some((wall_ms() as i64, now_ns));
        }
    }

    /// Local wall-clock ms, from the engine clock (no syscall).
    fn local_ms(&self, now_ns: u64) -> i64 {
        match self.time_base {
            Some((wall, base)) => wall + (now_ns.saturating_sub(base) / MS) as i64,
            None => wall_ms() as i64,
        }
    }

    /// Exchange ms: local + measured offset.
    fn exch_ms(&self, now_ns: u64) -> u64 {
        self.clock.exchange_ms(self.local_ms(now_ns)).max(0) as u64
    }

    fn conns(&mut self, c: &Conns) {
        self.trade = c.trade;
        self.trade_rest = c.trade_rest;
    }

    fn ws_ready(&self, cx: &Cx<'_>) -> bool {
        self.authed && self.trade.is_some_and(|t| cx.state(t) == ConnState::Open)
    }

    fn arm_timer(&mut self, cx: &mut Cx<'_>) {
        cx.set_timer(MARKET_TIMERS + T_TICK, cx.now_ns() + TICK_NS);
        self.timer_armed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ws_messages::ban_ms_of;

    #[test]
    fn ban_duration_from_the_disconnect_text() {
        assert_eq!(
            ban_ms_of(
                "Session is disconnected due to violation of the order message threshold (level 2); IP banned for 900000 ms"
            ),
            Some(900_000)
        );
        assert_eq!(ban_ms_of("missing pong"), None);
    }

    #[test]
    fn reason_copies_are_bounded() {
        let r = Reason::new(&"x".repeat(100));
        assert_eq!(r.as_str().len(), REASON_LEN);
        assert_eq!(
            Reason::new("PostOnlyWouldTake").as_str(),
            "PostOnlyWouldTake"
        );
    }
}
