//! Shared set-up for the trading-session tests: a simulator, a session over real TLS, and a driver that runs the
//! engine while a test script acts between callbacks.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use ascendex_hft::engine::{ConnId, ConnState, Cx, DisconnectReason, Engine, Handler, RunMode};
use ascendex_hft::net::http::{HttpError, Response};
use ascendex_hft::net::tls::client_config;
use ascendex_hft::orders::OrderHandle;
use ascendex_hft::orders::scaled::parse_scaled;
use ascendex_hft::orders::types::{AssetId, Fill, OrderStatus, SymbolId};
use ascendex_hft::strategy::{Ctx, OrderEvent, OrderEventKind, Strategy};
use ascendex_hft::venue::ascendex::auth::Credentials;
use ascendex_hft::venue::ascendex::session::bootstrap::{self, Bootstrap};
use ascendex_hft::venue::ascendex::session::{
    Conns, MarketConfig, MarketState, SESSION_TIMERS, Session, SessionConfig, TradingConfig,
    TradingState,
};
use ascendex_sim::{SimConfig, SimHandle};

pub const SYM: SymbolId = SymbolId(0);

/// Everything the strategy heard.
#[derive(Default)]
pub struct Rec {
    /// Record nothing (the allocation test: the recording itself would allocate).
    pub quiet: bool,
    pub orders: Vec<(OrderEventKind, OrderHandle, OrderStatus, i64, String)>,
    pub fills: Vec<Fill>,
    pub balances: Vec<(AssetId, i64, i64)>,
}

impl Rec {
    pub fn kinds(&self, h: OrderHandle) -> Vec<OrderEventKind> {
        self.orders
            .iter()
            .filter(|e| e.1 == h)
            .map(|e| e.0)
            .collect()
    }
    pub fn filled(&self, order_id: &str) -> (i64, i64) {
        self.fills
            .iter()
            .filter(|f| f.order_id.as_str() == order_id)
            .fold((0, 0), |(q, fee), f| (q + f.qty, fee + f.fee))
    }
}

impl Strategy for Rec {
    fn on_order(&mut self, _ctx: &mut impl Ctx, e: &OrderEvent<'_>) {
        if self.quiet {
            return;
        }
        self.orders
            .push((e.kind, e.handle, e.status, e.code, e.reason.to_string()));
    }
    fn on_fill(&mut self, _ctx: &mut impl Ctx, f: &Fill) {
        if !self.quiet {
            self.fills.push(*f);
        }
    }
    fn on_balance(&mut self, _ctx: &mut impl Ctx, a: AssetId, total: i64, avail: i64) {
        if !self.quiet {
            self.balances.push((a, total, avail));
        }
    }
}

pub fn sim(faults: &str) -> SimHandle {
    ascendex_sim::start(SimConfig {
        rate: 0,
        faults: faults.into(),
        ..SimConfig::default()
    })
    .expect("simulator")
}

pub fn sim_with(cfg: SimConfig) -> SimHandle {
    ascendex_sim::start(cfg).expect("simulator")
}

pub fn config(sim: &SimHandle, secret: Option<&str>, trading: TradingConfig) -> SessionConfig {
    SessionConfig {
        rest_url: sim.rest_url(),
        ws_url: sim.ws_url(),
        ca_file: Some(sim.ca_file()),
        account_group: None,
        symbols: vec!["BTC/USDT".into()],
        credentials: Some(
            Credentials::new(
                sim.api_key(),
                secret.map_or_else(|| sim.api_secret(), str::to_string),
            )
            .unwrap(),
        ),
        key_derivation: Default::default(),
        market: MarketConfig::default(),
        trading,
    }
}

/// A session through the real start-up path.
pub fn start(sim: &SimHandle, trading: TradingConfig) -> (Engine, Session<Rec>) {
    let cfg = config(sim, None, trading);
    let mut engine =
        Engine::new(client_config(Some(&sim.ca_file())).unwrap(), SESSION_TIMERS).unwrap();
    let s = bootstrap::start(&mut engine, cfg, Rec::default()).expect("session start");
    (engine, s)
}

/// A session whose start-up facts come from the simulator directly (the signed `/info` call skipped), for cases
/// where that call itself cannot succeed (a skewed clock).
pub fn start_manual(
    sim: &SimHandle,
    secret: Option<&str>,
    trading: TradingConfig,
) -> (Engine, Session<Rec>) {
    start_manual_with(sim, secret, trading, |_| {})
}

/// [`start_manual`], with the start-up facts edited first (trading rules that differ from the exchange's).
pub fn start_manual_with(
    sim: &SimHandle,
    secret: Option<&str>,
    trading: TradingConfig,
    edit: impl FnOnce(&mut Bootstrap),
) -> (Engine, Session<Rec>) {
    start_manual_opts(sim, secret, trading, edit, true)
}

/// [`start_manual_with`]; with `signed_upgrade` false the trade socket's upgrade goes without the session's
/// `x-auth-*` headers whatever the mode (a gateway that drops them).
pub fn start_manual_opts(
    sim: &SimHandle,
    secret: Option<&str>,
    trading: TradingConfig,
    edit: impl FnOnce(&mut Bootstrap),
    signed_upgrade: bool,
) -> (Engine, Session<Rec>) {
    let cfg = config(sim, secret, trading);
    let mut public = config(sim, None, TradingConfig::default());
    public.credentials = None;
    let mut boot: Bootstrap = bootstrap::fetch(&public).expect("products");
    boot.account_group = Some(sim.account_group());
    boot.user_uid = Some(sim.user_uid());
    edit(&mut boot);
    let mut engine =
        Engine::new(client_config(Some(&sim.ca_file())).unwrap(), SESSION_TIMERS).unwrap();
    let market = MarketState::new(&cfg, &boot).unwrap();
    let trading = TradingState::new(&cfg, &boot).unwrap();
    use ascendex_hft::engine::ConnSpec;
    let md = engine
        .add(ConnSpec::websocket(&cfg.ws_url, vec![]).unwrap())
        .unwrap();
    let md_rest = engine.add(ConnSpec::http(&cfg.rest_url).unwrap()).unwrap();
    let url = bootstrap::private_ws_url(&cfg.ws_url, sim.account_group());
    let spec = if signed_upgrade {
        trading.trade_ws_spec(&url).unwrap()
    } else {
        ConnSpec::websocket(&url, vec![]).unwrap()
    };
    let trade = engine.add(spec).unwrap();
    let trade_rest = engine.add(ConnSpec::http(&cfg.rest_url).unwrap()).unwrap();
    let s = Session::from_parts(
        Rec::default(),
        Conns {
            md,
            md_rest,
            trade: Some(trade),
            trade_rest: Some(trade_rest),
        },
        market,
        trading,
    );
    (engine, s)
}

/// Runs the session; after every callback `step` may act (place, cancel, ...) and returns true when done.
pub struct Drive<'a, F> {
    pub s: &'a mut Session<Rec>,
    pub step: F,
    pub done: bool,
}

impl<F: FnMut(&mut Session<Rec>, &mut Cx<'_>) -> bool> Drive<'_, F> {
    fn check(&mut self, cx: &mut Cx<'_>) {
        if !self.done && (self.step)(self.s, cx) {
            self.done = true;
            cx.stop();
        }
    }
}

impl<F: FnMut(&mut Session<Rec>, &mut Cx<'_>) -> bool> Handler for Drive<'_, F> {
    fn on_state(
        &mut self,
        cx: &mut Cx<'_>,
        c: ConnId,
        st: ConnState,
        w: Option<&DisconnectReason>,
    ) {
        self.s.on_state(cx, c, st, w);
        self.check(cx);
    }
    fn on_message(&mut self, cx: &mut Cx<'_>, c: ConnId, m: &[u8], rx: u64) {
        self.s.on_message(cx, c, m, rx);
        self.check(cx);
    }
    fn on_http(&mut self, cx: &mut Cx<'_>, c: ConnId, r: Result<Response<'_>, &HttpError>) {
        self.s.on_http(cx, c, r);
        self.check(cx);
    }
    fn on_timer(&mut self, cx: &mut Cx<'_>, id: usize) {
        self.s.on_timer(cx, id);
        self.check(cx);
    }
    fn on_idle(&mut self, cx: &mut Cx<'_>) {
        self.s.on_idle(cx);
        self.check(cx);
    }
}

/// Runs until `step` says done or `secs` pass; returns whether it finished.
pub fn drive(
    engine: &mut Engine,
    s: &mut Session<Rec>,
    secs: u64,
    step: impl FnMut(&mut Session<Rec>, &mut Cx<'_>) -> bool,
) -> bool {
    let mut d = Drive {
        s,
        step,
        done: false,
    };
    let start = Instant::now();
    while !d.done && start.elapsed() < Duration::from_secs(secs) {
        engine
            .run(&mut d, RunMode::Block, Some(Duration::from_millis(200)))
            .unwrap();
    }
    d.done
}

/// Runs until the trading half is ready (authenticated, subscribed, reconciled).
pub fn ready(engine: &mut Engine, s: &mut Session<Rec>) {
    assert!(
        drive(engine, s, 15, |s, _| s.trading.is_ready()),
        "trading never became ready (auth error: {:?}, stats {:?})",
        s.trading.auth_error(),
        s.trading.stats
    );
}

/// Best bid and ask of BTC/USDT in the simulator, at the symbol's price scale.
pub fn top(sim: &SimHandle, s: &Session<Rec>) -> (i64, i64) {
    let b = sim.book("BTC/USDT").unwrap();
    let ps = s.trading.rules().get(SYM).unwrap().price_scale;
    let p = |v: &str| parse_scaled(v.as_bytes(), ps).unwrap();
    (p(&b.bids[0].0), p(&b.asks[0].0))
}

/// A decimal string from the simulator at `scale`.
pub fn dec(v: &str, scale: u8) -> i64 {
    parse_scaled(v.as_bytes(), scale).unwrap()
}

pub fn lot(s: &Session<Rec>) -> (i64, u8, u8) {
    let r = s.trading.rules().get(SYM).unwrap();
    (r.lot.max(r.min_qty), r.qty_scale, r.price_scale)
}
