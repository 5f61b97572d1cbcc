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
    ReconcileAction, RiskError, RiskGate, Side, Source, SymbolLimits, TimeInForce, TrackError,
    reconcile,
};
use crate::paper::{PaperConfig, PaperEvent, PaperExchange, PaperOrder, PaperSymbol};
use crate::strategy::{OrderEvent, OrderEventKind, OrderType, PlaceError, PlaceRequest, Strategy};
use crate::venue::ascendex::auth::{ApiPath, Signer, UpgradeSigner};
use crate::venue::ascendex::ids::{ClientIdGen, Via};
use crate::venue::ascendex::rest::trading as rest;
use crate::venue::ascendex::rules::{PriceSpec, RulesTable};
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
    /// Client-id prefix (letters and digits) and the tag character marking this engine's orders.
    pub client_id_prefix: String,
    pub client_id_tag: u8,
    /// Ready-ack mode on the order channel (`"ack":"ready"` in the auth message).
    pub ready_ack: bool,
    /// How long REST 5xx / network failures are retried before giving up on a request.
    pub rest_retry_ms: u64,
    pub clock_refresh_ms: u64,
    pub products_refresh_ms: u64,
    /// Client `{"op":"ping"}` interval.
    pub ping_ms: u64,
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
            client_id_prefix: String::new(),
            client_id_tag: b'h',
            ready_ack: false,
            rest_retry_ms: 10_000,
            clock_refresh_ms: 60_000,
            products_refresh_ms: 600_000,
            ping_ms: 15_000,
            order_via_rest: false,
            ws_auth: WsAuthMode::Header,
        }
    }
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
pub struct TradingState {
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
    balance_synced: bool,
    auth_error: Option<TradeAuthError>,
    cancel_all_pending: u32,
    killed: bool,
    shutting_down: bool,
    shutdown_acked: bool,
    next_ping_ns: u64,
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
}

fn asset_scale_fn(scale: u8) -> impl Fn(&str) -> u8 {
    move |_| scale
}

impl TradingState {
    pub fn new(cfg: &SessionConfig, boot: &Bootstrap) -> Result<Self, SessionError> {
        let tc = cfg.trading.clone();
        let all =
            RulesTable::from_products_json(&boot.products).map_err(|e| SessionError::Exchange {
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
                Some(Arc::new(UpgradeSigner::new(s.clone(), ApiPath::Stream)))
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
            balance_synced: false,
            auth_error: None,
            cancel_all_pending: 0,
            killed: false,
            shutting_down: false,
            shutdown_acked: false,
            next_ping_ns: 0,
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

    // -----------------------------------------------------------------------------------------------------------
    // Strategy notifications

    fn note_order(&mut self, kind: OrderEventKind, h: OrderHandle, code: i64, reason: &str) {
        if let Some(o) = self.tracker.get(h) {
            let order = *o;
            self.notes.push(Note::Order {
                kind,
                handle: h,
                order,
                code,
                reason: Reason::new(reason),
            });
        }
    }

    fn note_balance(&mut self, asset: AssetId) {
        if let Some(b) = self.balances.get(asset) {
            let (total, available) = (b.total, b.available);
            self.notes.push(Note::Balance {
                asset,
                total,
                available,
            });
        }
    }

    fn flush<S: Strategy>(&mut self, cx: &mut Cx<'_>, strategy: &mut S) {
        while !self.notes.is_empty() {
            let mut batch = std::mem::replace(&mut self.notes, std::mem::take(&mut self.spare));
            for n in batch.drain(..) {
                let mut ctx = super::SessionCtx::new(cx, self, STRATEGY_TIMER_BASE);
                match n {
                    Note::Order {
                        kind,
                        handle,
                        order,
                        code,
                        reason,
                    } => strategy.on_order(
                        &mut ctx,
                        &OrderEvent {
                            kind,
                            handle,
                            order: &order,
                            status: order.status,
                            code,
                            reason: reason.as_str(),
                        },
                    ),
                    Note::Fill(f) => strategy.on_fill(&mut ctx, &f),
                    Note::Balance {
                        asset,
                        total,
                        available,
                    } => strategy.on_balance(&mut ctx, asset, total, available),
                }
            }
            self.spare = batch;
        }
    }

    /// After a report was applied: fills, status events, exposure.
    fn applied(&mut self, before: OrderStatus, a: &Applied, code: i64, reason: &str) {
        if a.stale {
            return;
        }
        if let Some(f) = a.fill {
            self.stats.fills += 1;
            self.risk.on_fill(f.symbol, f.side, f.qty);
            self.notes.push(Note::Fill(f));
        }
        if !a.status_changed {
            return;
        }
        let first_word = matches!(before, OrderStatus::PendingNew | OrderStatus::Unknown);
        let kind = match a.status {
            OrderStatus::New => Some(OrderEventKind::New),
            OrderStatus::PartiallyFilled | OrderStatus::Filled if first_word => {
                Some(OrderEventKind::New)
            }
            OrderStatus::Canceled => Some(OrderEventKind::Canceled),
            OrderStatus::Rejected => Some(OrderEventKind::Rejected),
            OrderStatus::Unknown => Some(OrderEventKind::Unknown),
            _ => None,
        };
        if a.status.is_terminal()
            && let Some(o) = self.tracker.get(a.handle)
        {
            let (s, sd, rem) = (o.symbol, o.side, o.qty - o.cum_qty);
            self.risk.on_done(s, sd, rem.max(0));
        }
        if let Some(k) = kind {
            self.note_order(k, a.handle, code, reason);
        }
    }

    fn apply_update(&mut self, u: &OrderUpdate, code: i64, reason: &str) -> bool {
        let Some(h) = self.tracker.by_order_id(&u.order_id) else {
            return false;
        };
        let before = self
            .tracker
            .get(h)
            .map_or(OrderStatus::PendingNew, |o| o.status);
        match self.tracker.apply(u) {
            Ok(a) => {
                self.applied(before, &a, code, reason);
                true
            }
            Err(_) => {
                self.stats.unknown_reports += 1;
                true
            }
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // Session hooks

    /// Paper trading fills against market data; a live session only keeps the book top (market-order checks).
    pub fn on_market_event<S: Strategy>(
        &mut self,
        cx: &mut Cx<'_>,
        ev: &super::MdEvent<'_>,
        strategy: &mut S,
    ) {
        use super::MdEvent;
        match ev {
            MdEvent::Book { symbol, book, .. } => {
                if let Some(t) = self.top.get_mut(symbol.0 as usize) {
                    *t = (
                        book.best_bid().map_or(0, |l| l.price.0),
                        book.best_ask().map_or(0, |l| l.price.0),
                    );
                }
                if self.paper.is_some() {
                    let ts = self.exch_ms(cx.now_ns()) as i64;
                    let mut out = std::mem::take(&mut self.paper_out);
                    if let Some(p) = self.paper.as_mut() {
                        p.on_book(*symbol, book, ts, &mut out);
                    }
                    self.paper_apply(&mut out);
                    self.paper_out = out;
                }
            }
            MdEvent::Bbo { symbol, bbo } => {
                if let Some(t) = self.top.get_mut(symbol.0 as usize) {
                    *t = (
                        bbo.bid.map_or(t.0, |l| l.price.0),
                        bbo.ask.map_or(t.1, |l| l.price.0),
                    );
                }
            }
            MdEvent::Trade { symbol, trade } if self.paper.is_some() => {
                let mut out = std::mem::take(&mut self.paper_out);
                if let Some(p) = self.paper.as_mut() {
                    p.on_trade(*symbol, trade, &mut out);
                }
                self.paper_apply(&mut out);
                self.paper_out = out;
            }
            _ => {}
        }
        self.flush(cx, strategy);
    }

    fn paper_apply(&mut self, out: &mut Vec<PaperEvent>) {
        for ev in out.drain(..) {
            self.apply_update(&ev.update, 0, ev.reason);
        }
        let changed = self.paper.as_mut().map_or(0, |p| p.take_balance_changes());
        if changed != 0 {
            for i in 0..self.asset_names.len() {
                if changed & (1u64 << (i as u32).min(63)) != 0 {
                    let a = AssetId(i as u16);
                    if let Some((t, av)) = self.paper.as_ref().and_then(|p| p.balance(a)) {
                        let _ = self.balances.apply_snapshot(a, t, av);
                        self.note_balance(a);
                    }
                }
            }
        }
    }

    /// Starts the graceful stop: cancel-all when configured, refuse new orders.
    pub fn begin_shutdown<S: Strategy>(&mut self, cx: &mut Cx<'_>, strategy: &mut S) {
        self.shutting_down = true;
        if self.cfg.cancel_on_shutdown {
            let _ = self.send_cancel_all(cx, None);
        } else {
            self.shutdown_acked = true;
        }
        self.flush(cx, strategy);
    }

    /// Nothing left to wait for: the cancel-all was answered and no order of ours is still open.
    pub fn shutdown_done(&self) -> bool {
        if !self.cfg.cancel_on_shutdown || !(self.live || self.paper.is_some()) {
            return true;
        }
        self.shutdown_acked && self.tracker.live_count() == 0
    }

    /// Authenticated, subscribed and reconciled (or nothing to trade with).
    pub fn is_ready(&self) -> bool {
        if !self.live {
            return true;
        }
        self.authed && self.subscribed && self.open_synced && self.balance_synced
    }

    // -----------------------------------------------------------------------------------------------------------
    // Actions

    /// Quantizes, checks rules, risk and rate limits, then sends (WebSocket when authenticated, REST otherwise).
    pub fn place(
        &mut self,
        cx: &mut Cx<'_>,
        req: &PlaceRequest,
    ) -> Result<OrderHandle, PlaceError> {
        let t0 = self.lclock.now_ns();
        let now = cx.now_ns();
        let route = self.route(cx);
        let (h, via, qty) = match self.prepare(now, req, route, true)? {
            Prepared::Refused(h) => return Ok(h),
            Prepared::Ready(h, via, qty) => (h, via, qty),
        };
        match via {
            Some(Via::WebSocket) => {
                if self
                    .trade
                    .is_none_or(|t| cx.send_text(t, &self.buf).is_err())
                {
                    let _ = self.tracker.release(h);
                    return Err(PlaceError::NotConnected);
                }
                self.stats.placed_ws += 1;
            }
            Some(Via::Rest) => {
                self.pump(cx);
                self.stats.placed_rest += 1;
            }
            None => {}
        }
        self.risk.on_sent(req.symbol, req.side, qty);
        self.latency.record(
            Probe::CallbackToWire,
            self.lclock.now_ns().saturating_sub(t0),
        );
        Ok(h)
    }

    /// Where a new order goes: the paper exchange (`None`), the authenticated socket, or REST while the socket is
    /// down (or always, with `order_via_rest`).
    fn route(&self, cx: &Cx<'_>) -> Result<Option<Via>, PlaceError> {
        let rest_open = self
            .trade_rest
            .is_some_and(|r| cx.state(r) == ConnState::Open)
            && self.authed_rest();
        if self.paper.is_some() {
            Ok(None)
        } else if self.cfg.order_via_rest && rest_open {
            Ok(Some(Via::Rest))
        } else if self.ws_ready(cx) {
            Ok(Some(Via::WebSocket))
        } else if rest_open {
            Ok(Some(Via::Rest))
        } else {
            Err(PlaceError::NotConnected)
        }
    }

    /// The WebSocket order path without a connection: every check, the client id, the predicted order id, the
    /// tracker entry and the frame, exactly as `place` does it, but handed back instead of queued on the socket (for
    /// in-process benchmarks and other transports). The order is tracked as sent.
    pub fn encode_place(
        &mut self,
        now_ns: u64,
        req: &PlaceRequest,
    ) -> Result<(OrderHandle, &[u8]), PlaceError> {
        match self.prepare(now_ns, req, Ok(Some(Via::WebSocket)), true)? {
            Prepared::Ready(h, _, qty) => {
                self.risk.on_sent(req.symbol, req.side, qty);
                Ok((h, &self.buf))
            }
            Prepared::Refused(_) => Err(PlaceError::NoTrading),
        }
    }

    /// Everything `place` does before the frame leaves: checks, ids, tracker, encoding (WebSocket into `buf`),
    /// queueing (REST, unless `queue_rest` is false: a batch queues its orders together), or the paper exchange.
    fn prepare(
        &mut self,
        now: u64,
        req: &PlaceRequest,
        route: Result<Option<Via>, PlaceError>,
        queue_rest: bool,
    ) -> Result<Prepared, PlaceError> {
        self.init_time(now);
        if !self.live && self.paper.is_none() {
            return Err(PlaceError::NoTrading);
        }
        if self.killed || self.shutting_down {
            return Err(PlaceError::Killed);
        }
        let rules = self
            .rules
            .get(req.symbol)
            .ok_or(PlaceError::UnknownSymbol)?;
        let (kind, spec) = match req.order_type {
            OrderType::Limit => (
                OrderKind::Limit,
                PriceSpec::Limit(Dec::new(req.price, rules.price_scale)),
            ),
            OrderType::Market => {
                let top = self
                    .top
                    .get(req.symbol.0 as usize)
                    .copied()
                    .unwrap_or((0, 0));
                let reference = if req.price > 0 {
                    req.price
                } else {
                    match req.side {
                        Side::Buy => top.1,
                        Side::Sell => top.0,
                    }
                };
                if reference <= 0 {
                    return Err(PlaceError::NoReferencePrice);
                }
                (
                    OrderKind::Market,
                    PriceSpec::Market {
                        reference: Dec::new(reference, rules.price_scale),
                    },
                )
            }
        };
        let q = rules.quantize(req.side, spec, Dec::new(req.qty, rules.qty_scale))?;
        let via = route?;
        self.risk
            .check_new(req.symbol, req.side, q.qty, self.tracker.live_count(), now)?;
        match via {
            Some(Via::WebSocket) => {
                if let Err(e) = self.budget.try_acquire(OpClass::OrderReq, now) {
                    self.stats.throttled += 1;
                    return Err(e.into());
                }
            }
            Some(Via::Rest) if self.rest.is_held(now) => {
                self.stats.throttled += 1;
                return Err(PlaceError::Risk(RiskError::Banned {
                    until_ms: self.rest.backoff().until_ms(),
                }));
            }
            Some(Via::Rest) | None => {}
        }
        let time_ms = self.exch_ms(now);
        let spec = OrderSpec {
            symbol: &rules.symbol,
            symbol_id: req.symbol,
            side: req.side,
            kind,
            price: q.price,
            price_scale: rules.price_scale,
            qty: q.qty,
            qty_scale: rules.qty_scale,
            stop_price: None,
            post_only: req.post_only,
            tif: req.tif,
        };
        let at = Stamp {
            exchange_ms: time_ms,
            now_ns: now,
            timeout_ns: if via.is_some() {
                self.cfg.ack_timeout_ms * MS
            } else {
                u64::MAX / 4
            },
        };
        let h = match via {
            Some(Via::WebSocket) => {
                match self
                    .entry
                    .place(&mut self.buf, &mut self.tracker, &spec, at)
                {
                    Ok(h) => h,
                    Err(EntryError::Track(e)) => return Err(e.into()),
                    Err(_) => return Err(PlaceError::Encode),
                }
            }
            Some(Via::Rest) => {
                let (h, _) = self.entry.track(&mut self.tracker, &spec, via, at)?;
                if queue_rest {
                    self.rest.push_front(Job::Place(h), now);
                }
                h
            }
            None => {
                let (h, _) = self.entry.track(&mut self.tracker, &spec, None, at)?;
                let order_id = self.tracker.get(h).map_or(OrderId::EMPTY, |o| o.order_id);
                let po = PaperOrder {
                    order_id,
                    symbol: req.symbol,
                    side: req.side,
                    kind,
                    tif: req.tif,
                    post_only: req.post_only,
                    price: q.price,
                    qty: q.qty,
                };
                if let Some(p) = self.paper.as_mut()
                    && let Err(e) = p.submit(po)
                {
                    let _ = self.tracker.request_rejected(h);
                    self.note_order(OrderEventKind::Rejected, h, -1, e.reason());
                    return Ok(Prepared::Refused(h));
                }
                h
            }
        };
        Ok(Prepared::Ready(h, via, q.qty))
    }

    /// Places up to 10 orders in one go: each is checked on its own (a bad one is refused with its error, the
    /// others still go). Over the socket all leave in the same write (the engine flushes after the callback); over
    /// REST (the socket down) they leave in one `order/batch` request, and the exchange's per-order answers come
    /// back to each order's handle.
    pub fn place_batch(
        &mut self,
        cx: &mut Cx<'_>,
        reqs: &[PlaceRequest],
    ) -> [Result<OrderHandle, PlaceError>; 10] {
        let mut out: [Result<OrderHandle, PlaceError>; 10] =
            std::array::from_fn(|_| Err(PlaceError::Encode));
        let reqs = &reqs[..reqs.len().min(rest::MAX_BATCH)];
        let route = self.route(cx);
        if route != Ok(Some(Via::Rest)) {
            for (slot, req) in out.iter_mut().zip(reqs) {
                *slot = self.place(cx, req);
            }
            return out;
        }
        let t0 = self.lclock.now_ns();
        let now = cx.now_ns();
        let mut hs = [None; rest::MAX_BATCH];
        let mut n = 0;
        for (slot, req) in out.iter_mut().zip(reqs) {
            *slot = match self.prepare(now, req, Ok(Some(Via::Rest)), false) {
                Ok(Prepared::Ready(h, _, qty)) => {
                    self.risk.on_sent(req.symbol, req.side, qty);
                    self.stats.placed_rest += 1;
                    hs[n] = Some(h);
                    n += 1;
                    Ok(h)
                }
                Ok(Prepared::Refused(h)) => Ok(h),
                Err(e) => Err(e),
            };
        }
        match (n, hs[0]) {
            (0, _) | (_, None) => return out,
            (1, Some(h)) => self.rest.push_front(Job::Place(h), now),
            _ => self
                .rest
                .push_front(Job::PlaceBatch { hs, n: n as u8 }, now),
        }
        self.pump(cx);
        self.latency.record(
            Probe::CallbackToWire,
            self.lclock.now_ns().saturating_sub(t0),
        );
        out
    }

    /// Asks REST for a fresh balance snapshot (also done after every trade-socket (re)connect).
    pub fn request_balances(&mut self) {
        self.rest.push_back(Job::Balance, 0);
    }

    /// A REST request is queued or in flight.
    pub fn has_rest_work(&self) -> bool {
        self.rest.is_busy()
    }

    /// REST orders need signed requests: only with credentials.
    fn authed_rest(&self) -> bool {
        self.live && self.signer.is_some()
    }

    /// Cancels one order by its (predicted or acknowledged) exchange id.
    pub fn cancel(&mut self, cx: &mut Cx<'_>, h: OrderHandle) -> Result<(), PlaceError> {
        let now = cx.now_ns();
        self.init_time(now);
        if !self.live && self.paper.is_none() {
            return Err(PlaceError::NoTrading);
        }
        let o = *self
            .tracker
            .get(h)
            .ok_or(PlaceError::Track(TrackError::StaleHandle))?;
        if o.status.is_terminal() {
            return Err(PlaceError::NotOpen);
        }
        if o.status == OrderStatus::PendingCancel {
            return Ok(());
        }
        if self.paper.is_some() {
            let ts = self.exch_ms(now) as i64;
            let mut out = std::mem::take(&mut self.paper_out);
            if let Some(p) = self.paper.as_mut() {
                p.cancel(&o.order_id, ts, &mut out);
            }
            self.paper_apply(&mut out);
            self.paper_out = out;
            return Ok(());
        }
        if self.ws_ready(cx) {
            if let Err(e) = self.budget.try_acquire(OpClass::OrderReq, now) {
                self.stats.throttled += 1;
                return Err(e.into());
            }
            let rules = self.rules.get(o.symbol).ok_or(PlaceError::UnknownSymbol)?;
            let t = self.exch_ms(now);
            let req = self
                .entry
                .write_cancel(&mut self.buf, &o.order_id, &rules.symbol, t)
                .map_err(|_| PlaceError::Encode)?;
            if self
                .trade
                .is_none_or(|c| cx.send_text(c, &self.buf).is_err())
            {
                return Err(PlaceError::NotConnected);
            }
            self.entry.cancel_sent(&self.tracker, req, h, now);
        } else if self
            .trade_rest
            .is_some_and(|r| cx.state(r) == ConnState::Open)
        {
            let req = self.entry.next_client_id();
            self.rest.push_front(Job::Cancel { handle: h, req }, now);
            self.pump(cx);
        } else {
            return Err(PlaceError::NotConnected);
        }
        self.stats.cancels_sent += 1;
        let _ = self
            .tracker
            .cancel_requested(h, now, self.cfg.cancel_timeout_ms * MS);
        Ok(())
    }

    /// Cancels every open order, of one symbol or all.
    pub fn cancel_all(
        &mut self,
        cx: &mut Cx<'_>,
        symbol: Option<SymbolId>,
    ) -> Result<(), PlaceError> {
        if !self.live && self.paper.is_none() {
            return Err(PlaceError::NoTrading);
        }
        self.send_cancel_all(cx, symbol)
    }

    fn send_cancel_all(
        &mut self,
        cx: &mut Cx<'_>,
        symbol: Option<SymbolId>,
    ) -> Result<(), PlaceError> {
        let now = cx.now_ns();
        self.init_time(now);
        let name = match symbol {
            Some(s) => Some(
                self.rules
                    .get(s)
                    .ok_or(PlaceError::UnknownSymbol)?
                    .symbol
                    .as_str(),
            ),
            None => None,
        };
        if self.paper.is_some() {
            let ts = self.exch_ms(now) as i64;
            let mut out = std::mem::take(&mut self.paper_out);
            if let Some(p) = self.paper.as_mut() {
                p.cancel_all(symbol, ts, &mut out);
            }
            self.paper_apply(&mut out);
            self.paper_out = out;
            self.shutdown_acked = true;
            return Ok(());
        }
        if !self.live {
            self.shutdown_acked = true;
            return Ok(());
        }
        if self.ws_ready(cx) && self.budget.try_acquire(OpClass::OrderReq, now).is_ok() {
            let req = self.entry.next_client_id();
            let t = self.exch_ms(now);
            let ok = wire::write_cancel_all(&mut self.buf, Account::Cash, &req, t, name).is_ok()
                && self
                    .trade
                    .is_some_and(|c| cx.send_text(c, &self.buf).is_ok());
            if !ok {
                return Err(PlaceError::NotConnected);
            }
            self.cancel_all_pending += 1;
        } else if self.trade_rest.is_some() {
            self.rest.push_front(Job::CancelAll(symbol), now);
            self.pump(cx);
        } else {
            return Err(PlaceError::NotConnected);
        }
        // Every live order of the symbol is now being canceled; the pushes confirm each one.
        let cancel_timeout = self.cfg.cancel_timeout_ms * MS;
        let live: Vec<OrderHandle> = self
            .tracker
            .iter_live()
            .filter(|(_, o)| {
                symbol.is_none_or(|s| s == o.symbol) && o.status != OrderStatus::PendingCancel
            })
            .map(|(h, _)| h)
            .collect();
        for h in live {
            let _ = self.tracker.cancel_requested(h, now, cancel_timeout);
        }
        Ok(())
    }

    pub fn order(&self, h: OrderHandle) -> Option<&Order> {
        self.tracker.get(h)
    }

    pub fn open_orders(&self) -> impl Iterator<Item = (OrderHandle, &Order)> {
        self.tracker.iter_live()
    }

    pub fn balance(&self, asset: AssetId) -> Option<(i64, i64)> {
        self.balances.get(asset).map(|b| (b.total, b.available))
    }

    /// Cancels everything and refuses new orders until the session restarts.
    pub fn kill(&mut self, cx: &mut Cx<'_>) {
        self.killed = true;
        let _ = self.send_cancel_all(cx, None);
    }

    // -----------------------------------------------------------------------------------------------------------
    // Engine callbacks

    pub fn on_state<S: Strategy>(
        &mut self,
        cx: &mut Cx<'_>,
        conns: &Conns,
        conn: ConnId,
        state: ConnState,
        why: Option<&DisconnectReason>,
        strategy: &mut S,
    ) {
        self.conns(conns);
        let now = cx.now_ns();
        self.init_time(now);
        if !self.timer_armed && (self.live || self.paper.is_some()) {
            self.arm_timer(cx);
        }
        if Some(conn) == self.trade {
            if state == ConnState::Connecting {
                self.ws_connect_ns = now;
                self.ws_timing = WsConnectTiming::default();
            }
            if state == ConnState::Open {
                self.ws_open = true;
                self.ws_open_ns = now;
                self.ws_timing.open_ns = Some(now.saturating_sub(self.ws_connect_ns));
                self.auth_sent = false;
                self.header_ignored = false;
                if self.upgrade.is_some() {
                    // The server checked the signed headers before it switched protocols.
                    self.authenticated(cx, now);
                } else if self.clock_sampled {
                    self.send_auth(cx);
                }
            } else if let Some(DisconnectReason::Ws(WsError::UpgradeRejected(401))) = why {
                self.upgrade_refused(cx, now);
            }
            if state != ConnState::Open
                && (self.ws_open || matches!(state, ConnState::Backoff | ConnState::Stopped))
            {
                self.ws_open = false;
                self.authed = false;
                self.subscribed = false;
                self.open_synced = false;
                self.auth_sent = false;
                // Cancels sent on the dead socket will never be answered: the tracker's timeouts resolve them.
                self.entry.clear_cancels();
                self.cancel_all_pending = 0;
            }
        } else if Some(conn) == self.trade_rest {
            if state == ConnState::Open && !self.started_rest {
                self.started_rest = true;
                self.rest.push_back(Job::ExchangeInfo, now);
                self.rest.push_back(Job::RiskLimits, now);
                self.next_clock_ns = now + self.cfg.clock_refresh_ms * MS;
                self.next_products_ns = now + self.cfg.products_refresh_ms * MS;
            }
            if state != ConnState::Open
                && let Some(j) = self.rest.take_inflight()
            {
                // The request's fate is unknown; queries and reconciliation resolve it, others are simply retried.
                self.retry_or_drop(j, now);
            }
            if state == ConnState::Open {
                self.pump(cx);
            }
        }
        self.flush(cx, strategy);
    }

    /// Header mode: the upgrade carrying the signed headers was refused.
    fn upgrade_refused(&mut self, cx: &mut Cx<'_>, now: u64) {
        let Some(u) = &self.upgrade else { return };
        self.stats.auth_failures += 1;
        self.auth_error = Some(TradeAuthError::UpgradeRefused { status: 401 });
        // Signed with a measured exchange clock, the refusal is about the credentials: retrying soon would only
        // repeat it. (Signed before any measurement, it may be the local clock: the engine's backoff retries, by
        // then with the measured offset.)
        if u.last_signed_with_measured_clock() {
            self.hold_trade_socket(cx, now);
        }
    }

    /// No new trade-socket attempt before `AUTH_RETRY_MS`. The engine computed the next attempt before it told us
    /// why the socket went down, so the reconnect request makes it schedule again, under the new floor.
    fn hold_trade_socket(&mut self, cx: &mut Cx<'_>, now: u64) {
        if let Some(t) = self.trade {
            cx.hold_off(t, now + AUTH_RETRY_MS * MS);
            cx.reconnect(t);
        }
    }

    /// The trade socket is authenticated (upgrade headers accepted, or the `op:auth` acknowledgement): subscribe to
    /// the order channel.
    fn authenticated(&mut self, cx: &mut Cx<'_>, now: u64) {
        self.authed = true;
        self.auth_error = None;
        self.ws_timing.auth_ns = Some(now.saturating_sub(self.ws_connect_ns));
        if let Some(t) = self.trade
            && self.budget.try_acquire(OpClass::Stream, now).is_ok()
        {
            let id = self.entry.next_client_id();
            wire::write_subscribe_orders(&mut self.buf, Account::Cash, &id);
            let _ = cx.send_text(t, &self.buf);
        }
    }

    /// Authentication goes by `op:auth` message on this socket.
    fn message_auth(&self) -> bool {
        self.upgrade.is_none() || self.header_ignored
    }

    fn send_auth(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now_ns();
        let (Some(t), Some(signer)) = (self.trade, self.signer.as_ref()) else {
            return;
        };
        if self.budget.try_acquire(OpClass::Admin, now).is_err() {
            self.stats.throttled += 1;
            return;
        }
        let ts = self.exch_ms(now);
        signer.write_ws_auth(
            &mut self.buf,
            "auth",
            ts,
            ApiPath::Stream,
            self.cfg.ready_ack,
        );
        if cx.send_text(t, &self.buf).is_ok() {
            self.auth_sent = true;
        }
    }

    pub fn on_message<S: Strategy>(
        &mut self,
        cx: &mut Cx<'_>,
        conns: &Conns,
        msg: &[u8],
        rx_ns: u64,
        strategy: &mut S,
    ) {
        self.conns(conns);
        let now = cx.now_ns();
        let inbound = match wire::decode(msg, &self.scales) {
            Ok(m) => m,
            Err(_) => {
                self.stats.decode_errors += 1;
                return;
            }
        };
        match inbound {
            Inbound::Order(p) => {
                let u = p.update(Source::WsPush);
                if !self.apply_update(&u, 0, p.err) {
                    // Ours under another id than predicted: corrected, then applied; otherwise adopted or foreign.
                    let corrected = matches!(
                        self.entry.correct_order_id(&mut self.tracker, &p.order_id),
                        Ok(Some(_))
                    );
                    if !(corrected && self.apply_update(&u, 0, p.err)) {
                        self.foreign_or_adopt(&p);
                    }
                }
                for asset in p.apply_balances(&mut self.balances).into_iter().flatten() {
                    self.note_balance(asset);
                }
            }
            Inbound::OrderReply(r) => self.on_reply(&r, rx_ns, now),
            Inbound::CancelReject(c) => {
                if let Some(h) = self.tracker.by_order_id(&c.order_id)
                    && self
                        .tracker
                        .get(h)
                        .is_some_and(|o| o.status == OrderStatus::PendingCancel)
                {
                    let _ = self.tracker.cancel_refused(h);
                    self.stats.cancels_refused += 1;
                }
            }
            Inbound::Balance(b) => {
                if let Ok(crate::orders::BalanceApplied::Applied) =
                    self.balances
                        .apply_update(b.asset, b.total, b.available, b.seq)
                {
                    self.note_balance(b.asset);
                }
            }
            Inbound::OpenOrders(oo) => {
                let mut rows = Vec::new();
                for r in oo.orders(&self.scales) {
                    match r {
                        Ok(p) => rows.push(OpenOrderReport {
                            update: p.update(Source::OpenOrders),
                            symbol: p.scales.id,
                            side: p.side.unwrap_or(Side::Buy),
                            kind: p.kind.unwrap_or(OrderKind::Limit),
                            post_only: p.is_post_only(),
                            price: p.price,
                            qty: p.qty,
                        }),
                        Err(_) => self.stats.decode_errors += 1,
                    }
                }
                let requested = self.ws_open_ns;
                self.reconcile_rows(&rows, requested, now);
                self.open_synced = true;
            }
            Inbound::Auth(a) => {
                if a.code == 0 {
                    self.authenticated(cx, now);
                } else {
                    self.stats.auth_failures += 1;
                    self.auth_error = Some(TradeAuthError::Refused {
                        code: a.code,
                        message: a.err.to_string(),
                    });
                    // The socket stays useless: drop it, and retrying at once would only repeat the refusal.
                    self.hold_trade_socket(cx, now);
                }
            }
            Inbound::Sub { code } => {
                if code == 0 && self.authed && !self.subscribed {
                    self.subscribed = true;
                    self.ws_timing.subscribed_ns = Some(now.saturating_sub(self.ws_connect_ns));
                    // Reconcile: open orders over the socket, balances over REST.
                    if let Some(t) = self.trade
                        && self.budget.try_acquire(OpClass::Req, now).is_ok()
                    {
                        let id = self.entry.next_client_id();
                        if wire::write_open_orders(&mut self.buf, Account::Cash, &id, None).is_ok()
                        {
                            self.ws_open_ns = now;
                            let _ = cx.send_text(t, &self.buf);
                        }
                    }
                    self.rest.push_back(Job::Balance, now);
                    self.pump(cx);
                }
            }
            Inbound::Ping { .. } => {
                if let Some(t) = self.trade
                    && self.budget.try_acquire(OpClass::Admin, now).is_ok()
                {
                    let _ = cx.send_text(t, PONG);
                }
            }
            Inbound::Error(e) => self.on_ws_error(e.id, e.code, e.reason, e.info),
            Inbound::Disconnected(e) => {
                if e.code == 100005 && e.info.contains("ban") {
                    self.stats.bans += 1;
                    let ban_ms = ban_ms_of(e.info).unwrap_or(15 * 60_000);
                    if let Some(t) = self.trade {
                        cx.hold_off(t, now + ban_ms * MS);
                    }
                }
            }
            Inbound::Connected {
                authenticated: false,
            } if self.upgrade.is_some() && !self.header_ignored => {
                // The upgrade went through without the headers being honoured (a gateway that drops them):
                // authenticate by message on this socket.
                self.stats.header_auth_fallbacks += 1;
                self.header_ignored = true;
                self.authed = false;
                self.subscribed = false;
                self.auth_sent = false;
                if self.clock_sampled {
                    self.send_auth(cx);
                }
            }
            Inbound::Connected { .. } | Inbound::Pong | Inbound::Other { .. } => {}
        }
        self.flush(cx, strategy);
    }

    fn foreign_or_adopt(&mut self, p: &wire::OrderPush<'_>) {
        if self.entry.ids().is_ours(&p.order_id)
            && p.status.reported().to_status().is_live()
            && let (Some(side), Some(kind)) = (p.side, p.kind)
        {
            let req = NewOrder {
                client_id: ClientId::EMPTY,
                order_id: Some(p.order_id),
                symbol: p.scales.id,
                side,
                kind,
                tif: TimeInForce::Gtc,
                post_only: p.is_post_only(),
                price: p.price,
                qty: p.qty,
            };
            if self.tracker.adopt(req, &p.update(Source::WsPush)).is_ok() {
                self.stats.adopted += 1;
            }
        } else {
            self.stats.foreign_orders += 1;
        }
    }

    fn on_reply(&mut self, r: &wire::OrderReply<'_>, rx_ns: u64, now: u64) {
        match r.action {
            "place-order" => {
                let Some(h) = ClientId::new(r.request_id.as_bytes())
                    .and_then(|c| self.tracker.by_client_id(&c))
                else {
                    self.stats.unknown_reports += 1;
                    return;
                };
                self.placed_reply(h, r.status, r.order_id, r.code, r.reason, r.message, rx_ns);
            }
            "cancel-order" => {
                let Some((h, sent_ns)) = self.entry.take_cancel(r.request_id.as_bytes()) else {
                    return;
                };
                // The cancel's own round trip (the order's `sent_ns` is when the order left, not the cancel).
                self.latency
                    .record(Probe::OrderRoundTrip, rx_ns.saturating_sub(sent_ns));
                if r.status == ReplyStatus::Err {
                    self.cancel_refused(h);
                }
            }
            "cancel-all" => {
                self.cancel_all_pending = self.cancel_all_pending.saturating_sub(1);
                if self.shutting_down || self.killed {
                    self.shutdown_acked = r.status != ReplyStatus::Err;
                }
                let _ = now;
            }
            _ => {}
        }
    }

    fn cancel_refused(&mut self, h: OrderHandle) {
        self.stats.cancels_refused += 1;
        if self
            .tracker
            .get(h)
            .is_some_and(|o| o.status == OrderStatus::PendingCancel)
        {
            let _ = self.tracker.cancel_refused(h);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn placed_reply(
        &mut self,
        h: OrderHandle,
        status: ReplyStatus,
        order_id: Option<OrderId>,
        code: i64,
        reason: &str,
        message: &str,
        rx_ns: u64,
    ) {
        let Some(o) = self.tracker.get(h).copied() else {
            return;
        };
        match status {
            ReplyStatus::Err => {
                self.stats.rejects += 1;
                if self.tracker.request_rejected(h).is_ok() {
                    self.risk.on_done(o.symbol, o.side, o.qty);
                    let why = if reason.is_empty() { message } else { reason };
                    self.note_order(OrderEventKind::Rejected, h, code, why);
                }
            }
            _ => {
                self.stats.acks += 1;
                self.latency
                    .record(Probe::OrderRoundTrip, rx_ns.saturating_sub(o.sent_ns));
                let _ = self.tracker.acknowledged(h, order_id);
                if o.status == OrderStatus::PendingNew {
                    self.note_order(OrderEventKind::Acknowledged, h, 0, "");
                }
            }
        }
    }

    fn on_ws_error(&mut self, id: &str, code: i64, reason: &str, info: &str) {
        let Some(cid) = ClientId::new(id.as_bytes()) else {
            return;
        };
        if let Some(h) = self.tracker.by_client_id(&cid)
            && self
                .tracker
                .get(h)
                .is_some_and(|o| o.status == OrderStatus::PendingNew)
        {
            self.placed_reply(h, ReplyStatus::Err, None, code, reason, info, 0);
        } else if let Some((h, _)) = self.entry.take_cancel(cid.as_bytes()) {
            self.cancel_refused(h);
        }
    }

    fn reconcile_rows(&mut self, rows: &[OpenOrderReport], requested_ns: u64, now: u64) {
        self.stats.reconciles += 1;
        let before: Vec<(OrderHandle, OrderStatus)> = self
            .tracker
            .iter_live()
            .map(|(h, o)| (h, o.status))
            .collect();
        let mut out = std::mem::take(&mut self.recon);
        out.clear();
        let ids = self.entry.ids();
        reconcile(
            &mut self.tracker,
            rows,
            requested_ns,
            |id| ids.is_ours(id),
            &mut out,
        );
        for a in out.iter() {
            match *a {
                ReconcileAction::Updated(ap) => {
                    let prev = before
                        .iter()
                        .find(|(h, _)| *h == ap.handle)
                        .map_or(OrderStatus::PendingNew, |x| x.1);
                    self.applied(prev, &ap, 0, "");
                }
                ReconcileAction::Adopted(_) => self.stats.adopted += 1,
                ReconcileAction::Foreign(_) => self.stats.foreign_orders += 1,
                ReconcileAction::QueryStatus(h) => {
                    self.note_order(
                        OrderEventKind::Unknown,
                        h,
                        0,
                        "absent from the open-order list",
                    );
                }
                ReconcileAction::AdoptFailed(..) => self.stats.unknown_reports += 1,
            }
        }
        self.recon = out;
        self.next_status_ns = now;
    }

    pub fn on_http<S: Strategy>(
        &mut self,
        cx: &mut Cx<'_>,
        conns: &Conns,
        result: Result<Response<'_>, &HttpError>,
        strategy: &mut S,
    ) {
        self.conns(conns);
        let now = cx.now_ns();
        let Some(job) = self.rest.take_inflight() else {
            self.pump(cx);
            self.flush(cx, strategy);
            return;
        };
        match result {
            Ok(resp) => {
                self.rest.succeeded();
                self.on_rest_body(job, resp.body, now);
            }
            Err(HttpError::Status {
                code: 429,
                retry_after_s,
            }) => {
                self.stats.rest_429 += 1;
                let now_ms = self.local_ms(now);
                let ra = retry_after_s.map(|s| s.min(u64::from(u32::MAX)) as u32);
                self.rest.throttled(now, now_ms, ra);
                self.rest.requeue_front(job);
            }
            Err(HttpError::Status {
                code,
                retry_after_s,
            }) if *code >= 500 => {
                self.stats.rest_5xx += 1;
                let now_ms = self.local_ms(now);
                let ra = retry_after_s.map(|s| s.min(u64::from(u32::MAX)) as u32);
                self.rest.throttled(now, now_ms, ra);
                self.retry_or_drop(job, now);
            }
            Err(_) => {
                self.stats.rest_errors += 1;
                self.retry_or_drop(job, now);
            }
        }
        self.pump(cx);
        self.flush(cx, strategy);
    }

    /// Retries a failed request within the bounded retry time. A new order is not resent (it may have reached
    /// the exchange): its timeout and a status query settle it.
    fn retry_or_drop(&mut self, j: Queued<Job>, now: u64) {
        if matches!(j.job, Job::Place(_) | Job::PlaceBatch { .. }) {
            return;
        }
        if self.rest.retry(j, now, self.cfg.rest_retry_ms * MS) {
            self.stats.rest_retries += 1;
        } else if let Job::Cancel { handle, .. } = j.job {
            self.cancel_refused(handle);
        }
    }

    fn on_rest_body(&mut self, j: Queued<Job>, body: &[u8], now: u64) {
        match j.job {
            Job::ExchangeInfo => {
                if let Ok(info) = rest::parse_exchange_info(body) {
                    // The server echoes the local time we sent, so the sample needs no state of ours.
                    let s = info.sample(self.local_ms(now));
                    if self.clock.add(s) {
                        self.clock_sampled = true;
                        self.stats.clock_samples += 1;
                        if let Some(u) = &self.upgrade {
                            u.set_offset(self.clock.offset_ms());
                        }
                    }
                } else {
                    self.stats.rest_errors += 1;
                }
                // A second sample a moment later: the first crossed a cold connection.
                if self.stats.clock_samples == 1 {
                    self.rest.push_front(Job::ExchangeInfo, now);
                }
            }
            Job::RiskLimits => self.on_risk_limits(body),
            Job::Balance => match rest::parse_balances(body, &self.scales) {
                Ok((rows, _)) => {
                    for r in &rows {
                        if self
                            .balances
                            .apply_snapshot(r.asset, r.total, r.available)
                            .is_ok()
                        {
                            self.note_balance(r.asset);
                        }
                    }
                    let listed: Vec<AssetId> = rows.iter().map(|r| r.asset).collect();
                    self.balances.zero_unlisted(|a| listed.contains(&a));
                    self.balance_synced = true;
                }
                Err(_) => self.stats.rest_errors += 1,
            },
            Job::OpenOrders { requested_ns } => match rest::parse_orders(body, &self.scales) {
                Ok(reports) => {
                    let rows: Vec<OpenOrderReport> = reports
                        .iter()
                        .map(|r| r.open_report(Source::OpenOrders))
                        .collect();
                    self.reconcile_rows(&rows, requested_ns, now);
                    self.open_synced = true;
                }
                Err(_) => self.stats.rest_errors += 1,
            },
            Job::Status { ids, n } => {
                let queried = &ids[..n as usize];
                match rest::parse_orders(body, &self.scales) {
                    Ok(reports) => {
                        for r in &reports {
                            self.apply_update(&r.update(Source::RestStatus), 0, &r.error_code);
                        }
                        for id in queried {
                            if !reports.iter().any(|r| r.order_id == *id) {
                                self.never_arrived(id);
                            }
                        }
                    }
                    Err(rest::RestError::Exchange { .. }) => {
                        for id in queried {
                            self.never_arrived(id);
                        }
                    }
                    Err(_) => self.stats.rest_errors += 1,
                }
            }
            Job::Place(h) => match rest::parse_order_ack(body, &self.scales) {
                Ok(ack) => {
                    self.placed_reply(h, ack.status, ack.order_id, 0, "", "", now);
                    if let Some(rep) = ack.report {
                        self.apply_update(&rep.update(Source::RestReply), 0, &rep.error_code);
                    }
                }
                Err(rest::RestError::Exchange { error, .. }) => {
                    self.placed_reply(
                        h,
                        ReplyStatus::Err,
                        None,
                        error.code,
                        &error.reason,
                        &error.message,
                        now,
                    );
                }
                Err(_) => self.stats.rest_errors += 1,
            },
            Job::PlaceBatch { hs, n } => self.on_batch_answer(&j, &hs[..n as usize], body, now),
            Job::Cancel { handle, .. } => match rest::parse_order_ack(body, &self.scales) {
                Ok(_) => {}
                Err(_) => self.cancel_refused(handle),
            },
            Job::CancelAll(_) => {
                if self.shutting_down || self.killed {
                    self.shutdown_acked = rest::parse_order_ack(body, &self.scales).is_ok();
                }
            }
            Job::Products => {
                if let Ok(all) = RulesTable::from_products_json(body) {
                    let names: Vec<String> =
                        self.rules.iter().map(|(_, r)| r.symbol.clone()).collect();
                    for n in names {
                        if let Some(r) = all.by_name(&n) {
                            self.rules.insert(r.clone());
                        }
                    }
                }
            }
        }
    }

    /// The answer to a batch place. On success each order gets its own acknowledgement. The exchange refuses a whole
    /// batch when one order fails its basic checks (README §5, `order/batch`): that order is rejected with its own
    /// error; the others, marked `INVALID_BATCH_ORDER`, were not placed and go again once, without it.
    fn on_batch_answer(
        &mut self,
        j: &Queued<Job>,
        sent: &[Option<OrderHandle>],
        body: &[u8],
        now: u64,
    ) {
        match rest::parse_batch_ack(body, &self.scales) {
            Ok(acks) => {
                for (i, ack) in acks.iter().enumerate() {
                    let Some(h) = self.batch_member(sent, &ack.request_id, i) else {
                        self.stats.unknown_reports += 1;
                        continue;
                    };
                    self.placed_reply(h, ack.status, ack.order_id, 0, "", "", now);
                    if let Some(rep) = &ack.report {
                        self.apply_update(&rep.update(Source::RestReply), 0, &rep.error_code);
                    }
                }
                // An order the answer does not mention stays in doubt: its timeout and a status query settle it.
            }
            Err(rest::RestError::Exchange { error, items }) => {
                let mut again = [None; rest::MAX_BATCH];
                let mut k = 0;
                for (i, h) in sent.iter().enumerate() {
                    let Some(h) = *h else { continue };
                    let item = self.batch_item(h, &items, i);
                    match item {
                        Some(it) if it.code == INVALID_BATCH_ORDER && j.tries == 0 => {
                            again[k] = Some(h);
                            k += 1;
                        }
                        Some(it) => self.placed_reply(
                            h,
                            ReplyStatus::Err,
                            None,
                            it.code,
                            &it.reason,
                            &it.message,
                            now,
                        ),
                        None => self.placed_reply(
                            h,
                            ReplyStatus::Err,
                            None,
                            error.code,
                            &error.reason,
                            &error.message,
                            now,
                        ),
                    }
                }
                let job = match (k, again[0]) {
                    (0, _) | (_, None) => return,
                    (1, Some(h)) => Job::Place(h),
                    _ => Job::PlaceBatch {
                        hs: again,
                        n: k as u8,
                    },
                };
                self.rest.requeue_front(Queued {
                    job,
                    first_ns: j.first_ns,
                    not_before_ns: 0,
                    tries: j.tries + 1,
                });
            }
            Err(_) => self.stats.rest_errors += 1,
        }
    }

    /// The order of a batch an answer item belongs to: by its echoed client id, else by position.
    fn batch_member(
        &self,
        sent: &[Option<OrderHandle>],
        id: &str,
        pos: usize,
    ) -> Option<OrderHandle> {
        if id.is_empty() {
            return sent.get(pos).copied().flatten();
        }
        sent.iter().flatten().copied().find(|&h| {
            self.tracker
                .get(h)
                .is_some_and(|o| o.client_id.as_bytes() == id.as_bytes())
        })
    }

    /// The error item of a refused batch that belongs to order `h` (sent at position `pos`).
    fn batch_item<'e>(
        &self,
        h: OrderHandle,
        items: &'e [rest::ApiError],
        pos: usize,
    ) -> Option<&'e rest::ApiError> {
        let cid = self.tracker.get(h).map(|o| o.client_id)?;
        items
            .iter()
            .find(|it| !it.id.is_empty() && it.id.as_bytes() == cid.as_bytes())
            .or_else(|| items.get(pos).filter(|it| it.id.is_empty()))
    }

    /// A status query did not find an order still waiting for the exchange's first word: it never arrived.
    fn never_arrived(&mut self, id: &OrderId) {
        if let Some(h) = self.tracker.by_order_id(id)
            && let Some(o) = self.tracker.get(h).copied()
            && o.status == OrderStatus::Unknown
            && o.confirmed == OrderStatus::PendingNew
            && self.tracker.request_rejected(h).is_ok()
        {
            self.risk.on_done(o.symbol, o.side, o.qty);
            self.note_order(OrderEventKind::Rejected, h, -1, "not found on the exchange");
        }
    }

    fn on_risk_limits(&mut self, body: &[u8]) {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
            return;
        };
        let ws = &v["data"]["webSocket"];
        let l1 = &ws["messageThreshold"]["level1OpThreshold"];
        let r1 = &ws["messageThreshold"]["level1ReqThreshold"];
        let get = |o: &serde_json::Value, k: &str| o[k].as_u64();
        let cfg = self.cfg.op_limits;
        let min = |a: u64, b: Option<u64>| b.map_or(a, |b| a.min(b));
        let live = OpLimits {
            admin: min(cfg.admin, get(l1, "auth")),
            stream: min(cfg.stream, get(l1, "sub")),
            req: min(cfg.req, get(l1, "req")),
            order_req: min(cfg.order_req, get(r1, "place_order")),
            snapshot_req: min(cfg.snapshot_req, get(r1, "depth_snapshot")),
        };
        self.budget = RateBudget::new(live.with_margin(self.cfg.limit_margin_pct), 0);
        if ws["status"]["isBanned"].as_bool() == Some(true)
            && let Some(until) = ws["status"]["bannedUntil"].as_i64()
        {
            self.rest.banned_until(until);
        }
    }

    pub fn on_timer<S: Strategy>(
        &mut self,
        cx: &mut Cx<'_>,
        conns: &Conns,
        id: usize,
        strategy: &mut S,
    ) {
        self.conns(conns);
        if id != T_TICK {
            return;
        }
        let now = cx.now_ns();
        self.arm_timer(cx);
        // Orders still waiting in the REST queue (e.g. through a 429 hold) have not left: their answer cannot be
        // late yet, so their wait restarts until they are sent (and again when they are).
        let wait = self.cfg.ack_timeout_ms * MS;
        for q in self.rest.waiting() {
            match &q.job {
                Job::Place(h) => self.tracker.request_sent(*h, now, wait),
                Job::PlaceBatch { hs, n } => {
                    for h in hs.iter().take(*n as usize).flatten() {
                        self.tracker.request_sent(*h, now, wait);
                    }
                }
                _ => {}
            }
        }
        // Requests whose answer never came: Unknown, then a status query.
        let mut expired = 0;
        {
            let notes = &mut self.notes;
            self.tracker.expire(now, |h, o| {
                expired += 1;
                notes.push(Note::Order {
                    kind: OrderEventKind::Unknown,
                    handle: h,
                    order: *o,
                    code: 0,
                    reason: Reason::new("no answer within the timeout"),
                });
            });
        }
        self.stats.timeouts += expired;
        if self.live {
            if self.ws_open
                && !self.authed
                && !self.auth_sent
                && self.message_auth()
                && (self.clock_sampled || now > self.ws_open_ns + 2_000 * MS)
            {
                self.send_auth(cx);
            }
            if self.authed && now >= self.next_ping_ns {
                if self.next_ping_ns != 0
                    && let Some(t) = self.trade
                    && self.budget.try_acquire(OpClass::Admin, now).is_ok()
                {
                    let _ = cx.send_text(t, PING);
                }
                self.next_ping_ns = now + self.cfg.ping_ms * MS;
            }
            if self.started_rest && now >= self.next_clock_ns {
                self.next_clock_ns = now + self.cfg.clock_refresh_ms * MS;
                self.rest.push_back(Job::ExchangeInfo, now);
            }
            if self.started_rest && now >= self.next_products_ns {
                self.next_products_ns = now + self.cfg.products_refresh_ms * MS;
                self.rest.push_back(Job::Products, now);
            }
            // The socket stays down: reconcile over REST so the strategy's orders are not left in doubt.
            if !self.ws_open
                && self.started_rest
                && !self.open_synced
                && !self.rest.has(|j| matches!(j, Job::OpenOrders { .. }))
            {
                self.rest
                    .push_back(Job::OpenOrders { requested_ns: now }, now);
                self.rest.push_back(Job::Balance, now);
            }
            if now >= self.next_status_ns && !self.rest.has(|j| matches!(j, Job::Status { .. })) {
                let mut ids = [OrderId::EMPTY; 10];
                let mut n = 0;
                for (_, o) in self.tracker.iter_live() {
                    if o.status == OrderStatus::Unknown && !o.order_id.is_empty() && n < ids.len() {
                        ids[n] = o.order_id;
                        n += 1;
                    }
                }
                if n > 0 {
                    self.stats.status_queries += 1;
                    self.rest.push_back(Job::Status { ids, n: n as u8 }, now);
                    self.next_status_ns = now + 500 * MS;
                }
            }
            if (self.shutting_down || self.killed)
                && !self.shutdown_acked
                && self.cancel_all_pending == 0
                && !self.rest.has(|j| matches!(j, Job::CancelAll(_)))
            {
                let _ = self.send_cancel_all(cx, None);
            }
            self.pump(cx);
        }
        self.flush(cx, strategy);
    }

    // -----------------------------------------------------------------------------------------------------------
    // REST queue

    /// Sends the next queued REST request when the connection is free.
    fn pump(&mut self, cx: &mut Cx<'_>) {
        let Some(rc) = self.trade_rest else { return };
        let now = cx.now_ns();
        if !cx.http_ready(rc) {
            return;
        }
        let Some(mut q) = self.rest.take_due(now) else {
            return;
        };
        let t = self.exch_ms(now);
        let ok = match q.job {
            Job::ExchangeInfo => {
                let l = self.local_ms(now).max(0) as u64;
                let r = rest::exchange_info(&mut self.rb, l);
                let (m, p) = (r.method, r.path);
                send(cx, rc, None, m, p, ApiPath::Other(""), &[], t)
            }
            Job::RiskLimits => {
                self.rb.path.clear();
                self.rb
                    .path
                    .extend_from_slice(b"/api/pro/v2/risk-limit-info");
                send(
                    cx,
                    rc,
                    None,
                    rest::Method::Get,
                    &self.rb.path,
                    ApiPath::Other(""),
                    &[],
                    t,
                )
            }
            Job::Products => {
                let r = rest::products(&mut self.rb, Account::Cash);
                let (m, p) = (r.method, r.path);
                send(cx, rc, None, m, p, ApiPath::Other(""), &[], t)
            }
            Job::Balance => {
                let r = rest::balance(&mut self.rb, self.group, Account::Cash, None, false);
                send_req(cx, rc, self.signer.as_ref(), &r, t)
            }
            Job::OpenOrders { .. } => {
                let r = rest::open_orders(&mut self.rb, self.group, Account::Cash, None);
                send_req(cx, rc, self.signer.as_ref(), &r, t)
            }
            Job::Status { ids, n } => {
                let r =
                    rest::order_status(&mut self.rb, self.group, Account::Cash, &ids[..n as usize]);
                send_req(cx, rc, self.signer.as_ref(), &r, t)
            }
            Job::CancelAll(sym) => {
                let name = sym
                    .and_then(|s| self.rules.get(s))
                    .map(|r| r.symbol.as_str());
                match rest::cancel_all(&mut self.rb, self.group, Account::Cash, t, name) {
                    Ok(r) => send_req(cx, rc, self.signer.as_ref(), &r, t),
                    Err(_) => false,
                }
            }
            Job::Cancel { handle, req } => {
                let Some(o) = self.tracker.get(handle).copied() else {
                    return self.pump(cx);
                };
                let Some(rules) = self.rules.get(o.symbol) else {
                    return;
                };
                let item = rest::CancelItem {
                    request_id: &req,
                    order_id: &o.order_id,
                    symbol: &rules.symbol,
                    time_ms: t,
                };
                match rest::cancel_order(&mut self.rb, self.group, Account::Cash, &item) {
                    Ok(r) => send_req(cx, rc, self.signer.as_ref(), &r, t),
                    Err(_) => false,
                }
            }
            Job::PlaceBatch { hs, n } => {
                // Orders settled while queued (canceled, timed out) stay out; the rest get ids predicted from the
                // time actually sent.
                let mut live = [None; rest::MAX_BATCH];
                let mut m = 0;
                for h in hs[..n as usize].iter().flatten().copied() {
                    let Some(o) = self.tracker.get(h).copied() else {
                        continue;
                    };
                    if o.status != OrderStatus::PendingNew || self.rules.get(o.symbol).is_none() {
                        continue;
                    }
                    if let Some(id) = self.entry.predict(Via::Rest, t, &o.client_id) {
                        let _ = self.tracker.set_order_id(h, id);
                    }
                    live[m] = Some(h);
                    m += 1;
                }
                if m == 0 {
                    return self.pump(cx);
                }
                q.job = Job::PlaceBatch {
                    hs: live,
                    n: m as u8,
                };
                let (tracker, rules, entry) = (&self.tracker, &self.rules, &self.entry);
                let built =
                    rest::batch_place_each(&mut self.rb, self.group, Account::Cash, m, |i, out| {
                        let o = live[i]
                            .and_then(|h| tracker.get(h))
                            .ok_or(wire::EncodeError::BadOrder)?;
                        let r = rules.get(o.symbol).ok_or(wire::EncodeError::BadSymbol)?;
                        let spec = tracked_spec(o, r);
                        wire::write_order_object(out, &entry.place_request(&o.client_id, t, &spec))
                    });
                match built {
                    Ok(r) => {
                        self.stats.rest_batches += 1;
                        let sent = send_req(cx, rc, self.signer.as_ref(), &r, t);
                        if sent {
                            for h in live.iter().take(m).flatten() {
                                self.tracker
                                    .request_sent(*h, now, self.cfg.ack_timeout_ms * MS);
                            }
                        }
                        sent
                    }
                    Err(_) => false,
                }
            }
            Job::Place(h) => {
                let Some(o) = self.tracker.get(h).copied() else {
                    return self.pump(cx);
                };
                if o.status != OrderStatus::PendingNew {
                    return self.pump(cx);
                }
                let Some(rules) = self.rules.get(o.symbol) else {
                    return;
                };
                // The id is predicted from the time actually sent.
                if let Some(id) = self.entry.predict(Via::Rest, t, &o.client_id) {
                    let _ = self.tracker.set_order_id(h, id);
                }
                let spec = tracked_spec(&o, rules);
                let po = self.entry.place_request(&o.client_id, t, &spec);
                match rest::place_order(&mut self.rb, self.group, Account::Cash, &po) {
                    Ok(r) => {
                        let sent = send_req(cx, rc, self.signer.as_ref(), &r, t);
                        if sent {
                            self.tracker
                                .request_sent(h, now, self.cfg.ack_timeout_ms * MS);
                        }
                        sent
                    }
                    Err(_) => false,
                }
            }
        };
        if ok {
            self.rest.sent(q);
        } else {
            self.stats.rest_errors += 1;
        }
    }
}

/// What a tracked order asks for, at its symbol's scales: rebuilt when a queued REST request finally leaves.
fn tracked_spec<'r>(o: &Order, r: &'r crate::venue::ascendex::rules::SymbolRules) -> OrderSpec<'r> {
    OrderSpec {
        symbol: &r.symbol,
        symbol_id: o.symbol,
        side: o.side,
        kind: o.kind,
        price: o.price,
        price_scale: r.price_scale,
        qty: o.qty,
        qty_scale: r.qty_scale,
        stop_price: None,
        post_only: o.post_only,
        tif: o.tif,
    }
}

/// Writes one REST request, signed when a signer is given.
#[allow(clippy::too_many_arguments)]
fn send(
    cx: &mut Cx<'_>,
    conn: ConnId,
    signer: Option<&Signer>,
    method: rest::Method,
    path: &[u8],
    prehash: ApiPath,
    body: &[u8],
    ts_ms: u64,
) -> bool {
    let Ok(path) = std::str::from_utf8(path) else {
        return false;
    };
    match signer {
        Some(s) => {
            let h = s.headers(ts_ms, prehash);
            let headers = [
                (crate::venue::ascendex::auth::AuthHeaders::KEY, h.key),
                (
                    crate::venue::ascendex::auth::AuthHeaders::TIMESTAMP,
                    h.timestamp.as_str(),
                ),
                (
                    crate::venue::ascendex::auth::AuthHeaders::SIGNATURE,
                    h.signature.as_str(),
                ),
            ];
            cx.http_request(conn, method.as_str(), path, &headers, body)
                .is_ok()
        }
        None => cx
            .http_request(conn, method.as_str(), path, &[], body)
            .is_ok(),
    }
}

/// Writes a built request (method, path, prehash, body), signed when a signer is given.
fn send_req(
    cx: &mut Cx<'_>,
    conn: ConnId,
    signer: Option<&Signer>,
    r: &rest::RestRequest<'_>,
    ts_ms: u64,
) -> bool {
    send(cx, conn, signer, r.method, r.path, r.prehash, r.body, ts_ms)
}

/// "... IP banned for 900000 ms" → 900000.
fn ban_ms_of(info: &str) -> Option<u64> {
    let at = info.find("banned for ")? + "banned for ".len();
    let digits: &str = &info[at..];
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

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
