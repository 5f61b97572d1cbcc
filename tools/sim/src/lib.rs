//! An AscendEX exchange simulator: HTTPS (REST) and WSS on one loopback port with a generated test CA,
//! the documented signing, a price-time-priority matching engine with balances and fees, a seeded synthetic
//! market flow, WS rate limits and keep-alive, and scripted fault injection.
//!
//! It shares no protocol code with the client in `src/`, so a misreading of the docs cannot hide on both sides.

pub mod auth;
pub mod bars;
pub mod cli;
pub mod dec;
pub mod engine;
pub mod faults;
pub mod flow;
pub mod http;
pub mod limits;
pub mod market;
pub mod orders;
pub mod rest;
pub mod rng;
pub mod script;
pub mod state;
pub mod strict;
pub mod tls;
pub mod ws;

pub use faults::FaultRecord;
pub use limits::Limits;
pub use script::{RestLogEntry, Scripted};
pub use strict::RefusedRequest;

use engine::{Engine, Ev};
use market::ASSET_SCALE;
use rng::Rng;
use state::{Account, Shared, State, SymKeys};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How to run a simulator. `Default` gives an ephemeral loopback port, seed 1, 1000 msgs/s, all fifteen symbols
/// (the seven the tests started with first, then the synthetic ones; see `market::SYNTHETIC`).
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub listen: SocketAddr,
    pub seed: u64,
    /// Total messages per second of synthetic flow (depth + trades + bbo), 0 = no flow.
    pub rate: u32,
    pub symbols: Vec<String>,
    /// Fault spec, see [`faults`] for the syntax.
    pub faults: String,
    /// Where the CA file goes (a fresh temporary directory when None).
    pub state_dir: Option<PathBuf>,
    /// Adds `"simNs":<unix ns>` to every market-data push, set just before the write.
    pub stamp: bool,
    /// Pins the simulator's thread to this core.
    pub core: Option<usize>,
    /// Fee rates as decimal strings.
    pub maker_fee: String,
    pub taker_fee: String,
    /// Starting balances (asset, total).
    pub balances: Vec<(String, String)>,
    /// WS message thresholds (documented values by default; shrink the window to test them quickly).
    pub limits: Limits,
    /// The server pings a quiet session after this long; two unanswered pings disconnect it.
    pub ping_interval_ms: u64,
    pub account_group: u32,
    /// Keeps the simulator's thread busy (a task that yields in a loop, so the runtime polls its sockets without
    /// ever sleeping), as a real exchange's gateways are: latency measured against it then leaves out the
    /// simulator's own wake-ups from `epoll`, tens of µs on an idle VM. Costs a whole core.
    pub spin: bool,
    /// Serve only what the exchange's documentation documents (exact paths, methods, parameter names; no harness
    /// endpoints, no aliases of the demo or ccxt) and answer anything else `404` with a plain-text body, as a real
    /// gateway would (`--strict-docs`). Refusals are logged: [`SimHandle::refused_requests`].
    pub strict_docs: bool,
    /// Completed bars kept per symbol and interval (default 500, as the seed history; more lets a test page
    /// through a deep history).
    pub bar_history: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: 1,
            rate: 1000,
            symbols: [
                "BTC/USDT", "ETH/USDT", "ASD/USDT", "LTC/USDT", "XRP/USDT", "ADA/USDT", "TRX/USDT",
            ]
            .iter()
            .map(|s| s.to_string())
            .chain(
                market::SYNTHETIC
                    .iter()
                    .skip(2)
                    .map(|(sym, _, _)| sym.to_string()),
            )
            .collect(),
            faults: String::new(),
            state_dir: None,
            stamp: false,
            core: None,
            maker_fee: "0.001".into(),
            taker_fee: "0.001".into(),
            balances: [
                ("USDT", "100000"),
                ("BTC", "1"),
                ("ETH", "10"),
                ("ASD", "100000"),
                ("LTC", "100"),
                ("XRP", "10000"),
                ("ADA", "10000"),
                ("TRX", "100000"),
                ("SOL", "100"),
                ("DOGE", "100000"),
                ("DOT", "1000"),
                ("LINK", "1000"),
                ("AVAX", "500"),
                ("BCH", "50"),
                ("ATOM", "1000"),
                ("UNI", "1000"),
            ]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
            limits: Limits::default(),
            ping_interval_ms: 15_000,
            account_group: 6,
            spin: false,
            strict_docs: false,
            bar_history: 500,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimError {
    /// Binding the port, writing the CA file or starting the thread failed.
    Io(String),
    Tls(String),
    UnknownSymbol(String),
    BadFaultSpec(String),
    BadValue(String),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::Io(e) => write!(f, "simulator I/O error: {e}"),
            SimError::Tls(e) => write!(f, "simulator TLS setup failed: {e}"),
            SimError::UnknownSymbol(s) => write!(
                f,
                "unknown symbol {s}: the simulator knows the spot rows of tools/sim/fixtures/markets.json plus ETH/USDT and ASD/USDT"
            ),
            SimError::BadFaultSpec(e) => write!(f, "{e}"),
            SimError::BadValue(e) => write!(f, "invalid value: {e}"),
        }
    }
}

impl std::error::Error for SimError {}

/// The book as the simulator holds it: levels best first, exact decimal strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookView {
    pub seqnum: u64,
    pub bids: Vec<(String, String)>,
    pub asks: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderView {
    pub order_id: String,
    pub client_id: String,
    pub symbol: String,
    /// "Buy" / "Sell"
    pub side: String,
    /// "Limit" / "Market"
    pub order_type: String,
    pub price: String,
    pub qty: String,
    pub filled_qty: String,
    pub avg_price: String,
    pub fee: String,
    pub fee_asset: String,
    /// New, PartiallyFilled, Filled, Canceled, Rejected
    pub status: String,
    pub error: String,
    pub seq_num: u64,
    pub post_only: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalanceView {
    pub asset: String,
    pub total: String,
    pub available: String,
}

/// A running simulator. Dropping it (or `shutdown`) stops the server thread.
pub struct SimHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    ca_pem: String,
    ca_file: PathBuf,
    /// The temporary directory made for the CA file (removed on drop) when no state_dir was given.
    temp_dir: Option<PathBuf>,
    thread: Option<JoinHandle<()>>,
}

static DIR_SEQ: AtomicU64 = AtomicU64::new(0);

fn parse_rate(s: &str) -> Result<(i128, u32), SimError> {
    let scale = dec::scale_of(s);
    dec::parse(s, scale)
        .filter(|v| *v >= 0)
        .map(|v| (v, scale))
        .ok_or_else(|| SimError::BadValue(format!("fee rate {s}")))
}

/// Applies a fault spec to a locked state (shared by `inject`, the harness endpoint and start-up).
pub fn inject_locked(st: &mut State, spec: &str) -> Result<(), SimError> {
    let items = faults::parse_spec(spec).map_err(|e| SimError::BadFaultSpec(e.to_string()))?;
    let now = st.now_ms();
    let products: Vec<String> = st.eng.products.iter().map(|p| p.symbol.clone()).collect();
    let immediate = st
        .faults
        .apply(items, now, |s| products.iter().position(|p| p == s))
        .map_err(|e| SimError::BadFaultSpec(e.to_string()))?;
    for k in immediate {
        if k == faults::Kind::MissPong {
            let now = st.now_ms();
            let n = st.sessions.len();
            st.faults.record(
                now,
                "miss_pong",
                None,
                None,
                format!("{n} WS session(s) disconnected for missing pongs"),
            );
            st.disconnect_all_missing_pong();
        }
    }
    Ok(())
}

fn account(seed: u64, group: u32) -> Account {
    let mut r = Rng::new(seed ^ 0xACC0);
    let digits: String = (0..10)
        .map(|_| char::from(b'0' + r.below(10) as u8))
        .collect();
    Account {
        key: r.alnum(32),
        secret: r.alnum(64),
        group,
        uid: format!("U{digits}"),
        cash_id: format!("csh{}", r.alnum(29)),
        margin_id: format!("mar{}", r.alnum(29)),
    }
}

/// Starts a simulator; returns once it is listening.
pub fn start(cfg: SimConfig) -> Result<SimHandle, SimError> {
    let products = market::products(&cfg.symbols).map_err(SimError::UnknownSymbol)?;
    let maker = parse_rate(&cfg.maker_fee)?;
    let taker = parse_rate(&cfg.taker_fee)?;
    faults::parse_spec(&cfg.faults).map_err(|e| SimError::BadFaultSpec(e.to_string()))?;
    let certs = tls::generate().map_err(SimError::Tls)?;
    let dir = match &cfg.state_dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!(
            "ascendex-sim-{}-{}",
            std::process::id(),
            DIR_SEQ.fetch_add(1, Ordering::Relaxed)
        )),
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| SimError::Io(format!("creating {}: {e}", dir.display())))?;
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, &certs.ca_pem)
        .map_err(|e| SimError::Io(format!("writing {}: {e}", ca_file.display())))?;
    let listener = std::net::TcpListener::bind(cfg.listen)
        .map_err(|e| SimError::Io(format!("binding {}: {e}", cfg.listen)))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| SimError::Io(e.to_string()))?;
    let addr = listener
        .local_addr()
        .map_err(|e| SimError::Io(e.to_string()))?;

    let now = state::wall_ms();
    let mut eng = Engine::new(products, maker, taker, cfg.seed, now);
    if cfg.bar_history > 500 {
        eng.deepen_history(cfg.bar_history, cfg.seed);
    }
    let mut flow_rng = Rng::new(cfg.seed);
    for i in 0..eng.products.len() {
        eng.seed_book(i, &mut flow_rng);
    }
    for (a, v) in &cfg.balances {
        let total = dec::parse(v, ASSET_SCALE)
            .ok_or_else(|| SimError::BadValue(format!("balance {a}={v}")))?;
        eng.set_balance(a, total);
    }
    let assets = market::assets(&eng.products);
    let keys = eng
        .products
        .iter()
        .map(|p| SymKeys::new(&p.symbol))
        .collect();
    let nsym = eng.products.len();
    let mut st = State {
        eng,
        acct: account(cfg.seed, cfg.account_group),
        assets,
        faults: faults::FaultState {
            depth_count_sym: vec![0; nsym],
            snapshot_count_sym: vec![0; nsym],
            ..Default::default()
        },
        sessions: HashMap::new(),
        next_sid: 1,
        flow_rng,
        id_rng: Rng::new(cfg.seed ^ 0x1D),
        paused: false,
        rate: cfg.rate,
        produced: 0,
        stamp: cfg.stamp,
        limits: cfg.limits.clone(),
        ping_interval_ms: cfg.ping_interval_ms,
        bans: HashMap::new(),
        auth_variants: Vec::new(),
        doc_variants: BTreeSet::new(),
        held: vec![None; nsym],
        keys,
        strict_docs: cfg.strict_docs,
        refused: Vec::new(),
        script: script::Script::default(),
    };
    inject_locked(&mut st, &cfg.faults)?;
    let shared = Arc::new(Shared {
        st: Mutex::new(st),
        stop: tokio::sync::Notify::new(),
        stopped: AtomicBool::new(false),
    });
    let acceptor = tokio_rustls::TlsAcceptor::from(certs.server.clone());
    let sh = shared.clone();
    let core = cfg.core;
    let spin = cfg.spin;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
    let thread = std::thread::Builder::new()
        .name("ascendex-sim".into())
        .spawn(move || {
            if let Some(c) = core
                && !core_affinity::set_for_current(core_affinity::CoreId { id: c })
            {
                eprintln!("ascendex-sim: could not pin the simulator thread to core {c}");
            }
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            rt.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                tokio::spawn(flow(sh.clone()));
                if spin {
                    let sh3 = sh.clone();
                    // A yielded task makes the runtime poll its I/O driver with a zero timeout before running it
                    // again, so it never parks.
                    tokio::spawn(async move {
                        while !sh3.stopped.load(std::sync::atomic::Ordering::Relaxed) {
                            tokio::task::yield_now().await;
                        }
                    });
                }
                loop {
                    tokio::select! {
                        _ = sh.stop.notified() => break,
                        r = listener.accept() => {
                            if let Ok((tcp, peer)) = r {
                                let _ = tcp.set_nodelay(true);
                                let acc = acceptor.clone();
                                let sh2 = sh.clone();
                                tokio::spawn(async move {
                                    if let Ok(tls) = acc.accept(tcp).await {
                                        http::serve(sh2, tls, peer.ip()).await;
                                    }
                                });
                            }
                        }
                    }
                }
            });
        })
        .map_err(|e| SimError::Io(format!("spawning the simulator thread: {e}")))?;
    match ready_rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(SimError::Io(e)),
        Err(_) => {
            return Err(SimError::Io(
                "the simulator thread exited during start-up".into(),
            ));
        }
    }
    let temp_dir = if cfg.state_dir.is_none() {
        Some(dir)
    } else {
        None
    };
    Ok(SimHandle {
        shared,
        addr,
        ca_pem: certs.ca_pem,
        ca_file,
        temp_dir,
        thread: Some(thread),
    })
}

/// Runs one synthetic flow event on a random symbol and publishes it; returns the messages it counts for.
fn flow_one(st: &mut State) -> u64 {
    let n = st.eng.products.len() as u64;
    let now = st.now_ms();
    let State { eng, flow_rng, .. } = st;
    let sym = flow_rng.below(n) as usize;
    let evs = eng.flow_event(sym, flow_rng, now);
    let count = evs
        .iter()
        .filter(|e| matches!(e, Ev::Depth { .. } | Ev::Trade { .. } | Ev::Bbo { .. }))
        .count() as u64;
    st.publish(evs);
    count
}

async fn flow(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut base = tokio::time::Instant::now();
    let mut produced: u64 = 0;
    let mut last_rate = 0u32;
    loop {
        tick.tick().await;
        let mut st = shared.lock();
        if st.paused || st.rate == 0 || st.rate != last_rate {
            last_rate = st.rate;
            base = tokio::time::Instant::now();
            produced = 0;
            continue;
        }
        let rate = u128::from(st.rate);
        let due = (base.elapsed().as_micros() * rate / 1_000_000) as u64;
        // Never catch up more than 100 ms of backlog at once.
        let max_burst = (st.rate / 10).max(1) as u64;
        if due > produced + max_burst {
            produced = due - max_burst;
        }
        while produced < due {
            produced += flow_one(&mut st).max(1);
        }
        st.produced = produced;
    }
}

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn rest_url(&self) -> String {
        format!("https://{}", self.addr)
    }
    pub fn ws_url(&self) -> String {
        format!("wss://{}/api/pro/v1/stream", self.addr)
    }
    pub fn ca_pem(&self) -> String {
        self.ca_pem.clone()
    }
    pub fn ca_file(&self) -> PathBuf {
        self.ca_file.clone()
    }
    pub fn api_key(&self) -> String {
        self.shared.lock().acct.key.clone()
    }
    pub fn api_secret(&self) -> String {
        self.shared.lock().acct.secret.clone()
    }
    pub fn account_group(&self) -> u32 {
        self.shared.lock().acct.group
    }
    pub fn user_uid(&self) -> String {
        self.shared.lock().acct.uid.clone()
    }
    pub fn account_id(&self) -> String {
        self.shared.lock().acct.cash_id.clone()
    }

    pub fn book(&self, symbol: &str) -> Option<BookView> {
        let st = self.shared.lock();
        let i = st.eng.sym_index(symbol)?;
        let p = &st.eng.products[i];
        let (bids, asks) = st.eng.levels(i, usize::MAX);
        let f = |v: Vec<(i64, i64)>| {
            v.into_iter()
                .map(|(a, b)| (p.fmt_px(a), p.fmt_qty(b)))
                .collect()
        };
        Some(BookView {
            seqnum: st.eng.syms[i].seqnum,
            bids: f(bids),
            asks: f(asks),
        })
    }

    pub fn pause_flow(&self) {
        self.shared.lock().paused = true;
    }
    pub fn resume_flow(&self) {
        self.shared.lock().paused = false;
    }
    /// Generates `n` flow events now (each is exactly one depth diff, plus trades/bbo it causes).
    pub fn step(&self, n: usize) {
        let mut st = self.shared.lock();
        for _ in 0..n {
            flow_one(&mut st);
        }
    }
    /// Sends `text(seqnum)` to the depth subscribers of `symbol` as its next diff, with the next seqnum (the book
    /// is untouched): hostile diffs for client tests. Returns how many sessions got it, `None` for an unknown
    /// symbol.
    pub fn push_depth_text(&self, symbol: &str, text: impl FnOnce(u64) -> String) -> Option<usize> {
        let mut st = self.shared.lock();
        let sym = st.eng.sym_index(symbol)?;
        Some(st.push_depth_text(sym, text))
    }

    /// Changes the flow rate (messages per second, 0 stops the flow).
    pub fn set_rate(&self, rate: u32) {
        self.shared.lock().rate = rate;
    }

    /// Replaces the WS message thresholds (takes effect on the next message of every session).
    pub fn set_limits(&self, limits: Limits) {
        self.shared.lock().limits = limits;
    }
    /// Changes the server ping interval for sessions opened from now on.
    pub fn set_ping_interval_ms(&self, ms: u64) {
        self.shared.lock().ping_interval_ms = ms;
    }

    pub fn inject(&self, spec: &str) -> Result<(), SimError> {
        inject_locked(&mut self.shared.lock(), spec)
    }
    /// Answers matching REST requests with `s` instead of the endpoint (see [`Scripted`]); the first added that
    /// matches wins.
    pub fn script(&self, s: Scripted) {
        self.shared.lock().script.add(s);
    }

    /// Answers every WebSocket upgrade with `status` and `body` instead of switching protocols (`None`: normal).
    pub fn refuse_ws_upgrades(&self, refuse: Option<(u16, &str)>) {
        self.shared.lock().script.ws_refuse = refuse.map(|(c, b)| (c, b.to_string()));
    }

    /// Removes every script and upgrade refusal.
    pub fn clear_scripts(&self) {
        self.shared.lock().script.clear();
    }

    /// Every REST request received (harness requests excluded), oldest first, with its arrival time.
    pub fn rest_log(&self) -> Vec<RestLogEntry> {
        self.shared.lock().script.log.clone()
    }

    pub fn fault_log(&self) -> Vec<FaultRecord> {
        self.shared.lock().faults.log.clone()
    }

    fn view(st: &State, o: &engine::Order) -> OrderView {
        let p = &st.eng.products[o.sym];
        OrderView {
            order_id: o.order_id.clone(),
            client_id: o.client_id.clone(),
            symbol: p.symbol.clone(),
            side: o.side.name().into(),
            order_type: o.otype.name().into(),
            price: if o.otype == engine::OrdType::Limit {
                p.fmt_px(o.price)
            } else {
                String::new()
            },
            qty: p.fmt_qty(o.qty),
            filled_qty: p.fmt_qty(o.filled),
            avg_price: o.avg_px(p),
            fee: dec::fmt(o.cum_fee, ASSET_SCALE),
            fee_asset: o.fee_asset.clone(),
            status: o.status.name().into(),
            error: o.err.clone(),
            seq_num: o.seq,
            post_only: o.post_only,
        }
    }

    pub fn open_orders(&self) -> Vec<OrderView> {
        let st = self.shared.lock();
        st.eng
            .orders
            .iter()
            .filter(|o| o.status.is_open())
            .map(|o| Self::view(&st, o))
            .collect()
    }
    /// Every order of the account, oldest first.
    pub fn orders(&self) -> Vec<OrderView> {
        let st = self.shared.lock();
        st.eng.orders.iter().map(|o| Self::view(&st, o)).collect()
    }
    pub fn order(&self, order_id: &str) -> Option<OrderView> {
        let st = self.shared.lock();
        st.eng.order_by_id(order_id).map(|o| Self::view(&st, o))
    }
    pub fn balances(&self) -> Vec<BalanceView> {
        let st = self.shared.lock();
        st.eng
            .balances
            .iter()
            .map(|(a, b)| BalanceView {
                asset: a.clone(),
                total: dec::fmt(b.total, ASSET_SCALE),
                available: dec::fmt(b.total - b.locked, ASSET_SCALE),
            })
            .collect()
    }
    /// Sets an asset's total balance and pushes a `balance` message to order-channel subscribers.
    /// An unparsable amount is ignored.
    pub fn set_balance(&self, asset: &str, total: &str) {
        let Some(v) = dec::parse(total, ASSET_SCALE) else {
            return;
        };
        let mut st = self.shared.lock();
        let ev = st.eng.set_balance(asset, v);
        st.publish(vec![ev]);
    }
    /// One entry per authenticated request: `rest:<prehash>:<raw|base64>`, `ws:<prehash>:<raw|base64>` or
    /// `ws-header:<prehash>:<raw|base64>`.
    pub fn auth_variants(&self) -> Vec<String> {
        self.shared.lock().auth_variants.clone()
    }
    /// Which of the documented alternatives clients used where the docs disagree (t as string/number, `order:cash`
    /// vs `order:CASH`, mixed-case actions, ...).
    pub fn doc_variants(&self) -> Vec<String> {
        self.shared.lock().doc_variants.iter().cloned().collect()
    }
    /// The requests strict-docs mode refused (404), oldest first: method, target and what the docs say instead.
    /// Empty when strict mode is off.
    pub fn refused_requests(&self) -> Vec<RefusedRequest> {
        self.shared.lock().refused.clone()
    }
    /// Number of open WebSocket sessions.
    pub fn ws_sessions(&self) -> usize {
        self.shared.lock().sessions.len()
    }
    /// Messages of synthetic flow produced so far at the configured rate.
    pub fn produced(&self) -> u64 {
        self.shared.lock().produced
    }

    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        self.shared.stop.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(d) = self.temp_dir.take() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}
