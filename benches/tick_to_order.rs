//! Bench `tick_to_order`, two sections, each against its baseline in the same run.
//!
//! 1. In process, from memory: the TLS record holding a depth diff → decrypt → WebSocket frame → depth decode →
//!    book sync → the strategy's decision → quantize, risk, budget, client id, predicted order id, tracker, order
//!    frame → the encrypted record handed to `write()`. Per tick, p50/p99 in ns. Baseline: tokio + tokio-rustls +
//!    tokio-tungstenite + serde_json into owned structs and a `BTreeMap` book, doing the same work over an
//!    in-memory duplex. Ticks of the two alternate in rounds so machine noise hits both alike.
//! 2. Against the simulator on loopback (real TLS, the full session): orders per second placed and tracked to their
//!    acknowledgement with a window of orders in flight, and the order round trip (sent → acknowledged) over the
//!    WebSocket versus over REST, one order at a time.
//!
//! `cargo bench -p ascendex-hft --bench tick_to_order` (`-- --quick` for a short run; `TICK_CALLGRIND=N` for an
//! instruction profile, see `callgrind_mode`).

#[path = "baselines/mod.rs"]
mod baselines;
#[path = "memtls/mod.rs"]
mod memtls;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ascendex_hft::book::BookConfig;
use ascendex_hft::book::sync::{BookSync, SeqRule, SyncConfig};
use ascendex_hft::engine::{ConnId, ConnState, Cx, DisconnectReason, Engine, Handler, RunMode};
use ascendex_hft::metrics::Probe;
use ascendex_hft::net::http::{HttpError, Response};
use ascendex_hft::net::tls::client_config;
use ascendex_hft::net::ws::{WsEvent, WsStream};
use ascendex_hft::num::Scale;
use ascendex_hft::orders::{OpLimits, Side, SymbolId};
use ascendex_hft::strategy::{PlaceRequest, Strategy};
use ascendex_hft::venue::ascendex::auth::Credentials;
use ascendex_hft::venue::ascendex::session::bootstrap::{self, Bootstrap};
use ascendex_hft::venue::ascendex::session::{
    MarketConfig, SESSION_TIMERS, Session, SessionConfig, TradingConfig, TradingState,
};
use ascendex_hft::venue::ascendex::stream::market::{DecoderConfig, MdDecoder, Msg, SymbolTable};
use baselines::{new_histogram, print_row};
use hdrhistogram::Histogram;
use rustls_pki_types::ServerName;

fn quick() -> bool {
    std::env::args().any(|a| a == "--quick")
}

// ---- the market data -------------------------------------------------------------------------------------------

const SNAPSHOT_SEQ: u64 = 1_000;

fn snapshot() -> String {
    let bids: Vec<String> = (0..20)
        .map(|i| {
            format!(
                "[\"{}.{:02}\",\"{}.{:05}\"]",
                60_000 - i,
                0,
                1 + i % 3,
                12_340 + i
            )
        })
        .collect();
    let asks: Vec<String> = (0..20)
        .map(|i| {
            format!(
                "[\"{}.{:02}\",\"{}.{:05}\"]",
                60_001 + i,
                0,
                1 + i % 4,
                5_670 + i
            )
        })
        .collect();
    format!(
        "{{\"m\":\"depth-snapshot\",\"symbol\":\"BTC/USDT\",\"data\":{{\"ts\":1700000000000,\"seqnum\":{SNAPSHOT_SEQ},\"asks\":[{}],\"bids\":[{}]}}}}",
        asks.join(","),
        bids.join(",")
    )
}

/// Diff `i`: a bid and an ask level change near the top (the shape AscendEX sends).
fn diff(i: u64) -> String {
    let k = i % 10;
    format!(
        "{{\"m\":\"depth\",\"symbol\":\"BTC/USDT\",\"data\":{{\"ts\":{},\"seqnum\":{},\"asks\":[[\"{}.{:02}\",\"{}.{:05}\"]],\"bids\":[[\"{}.{:02}\",\"0.{:05}\"]]}}}}",
        1_700_000_000_000u64 + i,
        SNAPSHOT_SEQ + 1 + i,
        60_001 + k,
        (i * 7) % 100,
        k % 3,
        (i * 13) % 100_000,
        60_000 - k,
        (i * 3) % 100,
        (i * 11) % 100_000 + 1
    )
}

const PRODUCTS: &str = r#"{"code":0,"data":[{"symbol":"BTC/USDT","baseAsset":"BTC","quoteAsset":"USDT","statusCode":"Normal","tickSize":"0.01","lotSize":"0.00001","minQty":"0.00001","maxQty":"1000","minNotional":"5","maxNotional":"400000"}]}"#;

fn trading_state(max_orders: usize) -> TradingState {
    let cfg = SessionConfig {
        rest_url: "https://127.0.0.1".into(),
        ws_url: "wss://127.0.0.1/api/pro/v1/stream".into(),
        ca_file: None,
        account_group: Some(6),
        symbols: vec!["BTC/USDT".into()],
        credentials: Some(
            Credentials::new("benchkey0123456789".into(), "benchsecret".into()).unwrap(),
        ),
        key_derivation: Default::default(),
        market: MarketConfig::default(),
        trading: TradingConfig {
            max_orders,
            max_open_orders: max_orders,
            max_orders_per_sec: 1_000_000_000,
            op_limits: OpLimits {
                admin: 800,
                stream: 150,
                req: 1_000_000_000,
                order_req: 1_000_000_000,
                snapshot_req: 400,
            },
            ..TradingConfig::default()
        },
    };
    let boot = Bootstrap {
        products: PRODUCTS.as_bytes().to_vec(),
        account_group: Some(6),
        user_uid: Some("U0123456789".into()),
    };
    TradingState::new(&cfg, &boot).unwrap()
}

// ---- ours ------------------------------------------------------------------------------------------------------

struct Ours {
    srv: memtls::MemServer,
    ws: WsStream<memtls::MemIo>,
    md: MdDecoder,
    sync: BookSync,
    trading: TradingState,
    clock: Instant,
    placed: u64,
}

impl Ours {
    fn new(max_orders: usize) -> Ours {
        let pki = baselines::pki();
        let (srv, ws) = memtls::our_client(pki.server_config(false, None), &pki.ca_file);
        let mut syms = SymbolTable::new();
        syms.add(b"BTC/USDT", Scale::new(2).unwrap(), Scale::new(5).unwrap());
        let md = MdDecoder::new(syms, DecoderConfig::default());
        let sync = BookSync::new(SyncConfig {
            book: BookConfig {
                tick: 1,
                window: 1 << 16,
                depth: 20,
            },
            seq: SeqRule::Contiguous,
            ..SyncConfig::default()
        })
        .unwrap();
        let mut o = Ours {
            srv,
            ws,
            md,
            sync,
            trading: trading_state(max_orders),
            clock: Instant::now(),
            placed: 0,
        };
        o.srv.send_frame(snapshot().as_bytes());
        o.tick();
        assert!(o.sync.is_live());
        o
    }

    /// One record in, at most one order out. Returns whether an order left.
    #[inline]
    fn tick(&mut self) -> bool {
        let _ = self.ws.read();
        let mut want: Option<PlaceRequest> = None;
        while let Ok(Some(ev)) = self.ws.next_event() {
            let WsEvent::Text(m) = ev else { continue };
            let Ok(Msg::Depth(d)) = self.md.decode(m) else {
                continue;
            };
            let _ = match d.kind {
                ascendex_hft::venue::ascendex::stream::market::DepthKind::Diff => {
                    self.sync.on_diff(d.seqnum, d.bids, d.asks)
                }
                ascendex_hft::venue::ascendex::stream::market::DepthKind::Snapshot => {
                    self.sync.on_snapshot(d.seqnum, d.bids, d.asks)
                }
            };
            // The strategy: join the best bid one tick below, post-only, 0.001 BTC.
            if d.kind == ascendex_hft::venue::ascendex::stream::market::DepthKind::Diff
                && let Some(b) = self.sync.book().best_bid()
            {
                want = Some(PlaceRequest::post_only(
                    SymbolId(0),
                    Side::Buy,
                    b.price.0 - 1,
                    100,
                ));
            }
        }
        if let Some(req) = want {
            let now = self.clock.elapsed().as_nanos() as u64;
            if let Ok((_, frame)) = self.trading.encode_place(now, &req) {
                self.ws.send_text(frame).unwrap();
                self.placed += 1;
                return true;
            }
        }
        false
    }
}

// ---- baseline: tokio + serde_json ------------------------------------------------------------------------------

#[derive(serde::Deserialize)]
struct DepthJson {
    #[allow(dead_code)]
    m: String,
    #[allow(dead_code)]
    symbol: String,
    data: DepthData,
}

#[derive(serde::Deserialize)]
struct DepthData {
    #[allow(dead_code)]
    ts: u64,
    seqnum: u64,
    asks: Vec<[String; 2]>,
    bids: Vec<[String; 2]>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderArgs {
    time: u64,
    id: String,
    symbol: String,
    order_price: String,
    order_qty: String,
    order_type: &'static str,
    side: &'static str,
    post_only: bool,
    time_in_force: &'static str,
    resp_inst: &'static str,
}

#[derive(serde::Serialize)]
struct OrderReq {
    op: &'static str,
    action: &'static str,
    account: &'static str,
    id: String,
    args: OrderArgs,
}

struct BaselineBook {
    bids: BTreeMap<i64, f64>,
    asks: BTreeMap<i64, f64>,
    seq: u64,
}

fn cents(s: &str) -> i64 {
    (s.parse::<f64>().unwrap_or(0.0) * 100.0).round() as i64
}

impl BaselineBook {
    fn apply(&mut self, d: &DepthData) {
        for [p, q] in &d.bids {
            let q: f64 = q.parse().unwrap_or(0.0);
            if q == 0.0 {
                self.bids.remove(&cents(p));
            } else {
                self.bids.insert(cents(p), q);
            }
        }
        for [p, q] in &d.asks {
            let q: f64 = q.parse().unwrap_or(0.0);
            if q == 0.0 {
                self.asks.remove(&cents(p));
            } else {
                self.asks.insert(cents(p), q);
            }
        }
        self.seq = d.seqnum;
    }
}

type ClientWs =
    tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::io::DuplexStream>>;
type ServerWs =
    tokio_tungstenite::WebSocketStream<tokio_rustls::server::TlsStream<tokio::io::DuplexStream>>;

struct Baseline {
    rt: tokio::runtime::Runtime,
    client: ClientWs,
    server: ServerWs,
    book: BaselineBook,
    n: u64,
}

impl Baseline {
    fn new() -> Baseline {
        use futures_util::{SinkExt, StreamExt};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (client, server) = rt.block_on(async {
            let (c, s) = tokio::io::duplex(1 << 20);
            let acceptor =
                tokio_rustls::TlsAcceptor::from(baselines::pki().server_config(false, None));
            let connector = tokio_rustls::TlsConnector::from(baselines::pki().client_config());
            let srv = async move {
                let tls = acceptor.accept(s).await.unwrap();
                tokio_tungstenite::accept_async(tls).await.unwrap()
            };
            let cli = async move {
                let tls = connector
                    .connect(ServerName::try_from("127.0.0.1").unwrap(), c)
                    .await
                    .unwrap();
                tokio_tungstenite::client_async("wss://127.0.0.1/", tls)
                    .await
                    .unwrap()
                    .0
            };
            let (s, c) = tokio::join!(srv, cli);
            (c, s)
        });
        let mut b = Baseline {
            rt,
            client,
            server,
            book: BaselineBook {
                bids: BTreeMap::new(),
                asks: BTreeMap::new(),
                seq: 0,
            },
            n: 0,
        };
        let snap = snapshot();
        b.rt.block_on(async {
            b.server
                .send(tungstenite::Message::Text(snap.into()))
                .await
                .unwrap();
            let m = b.client.next().await.unwrap().unwrap();
            let d: DepthJson = serde_json::from_str(m.to_text().unwrap()).unwrap();
            b.book.apply(&d.data);
        });
        b
    }

    /// Server sends (untimed), then the timed client work; returns the client's time in ns.
    fn tick(&mut self, msg: &str) -> u64 {
        use futures_util::{SinkExt, StreamExt};
        let Baseline {
            rt,
            client,
            server,
            book,
            n,
        } = self;
        rt.block_on(async {
            server
                .send(tungstenite::Message::Text(msg.to_string().into()))
                .await
                .unwrap();
            let t0 = Instant::now();
            let m = client.next().await.unwrap().unwrap();
            let d: DepthJson = serde_json::from_str(m.to_text().unwrap()).unwrap();
            book.apply(&d.data);
            let best = *book.bids.keys().next_back().unwrap_or(&0);
            *n += 1;
            let o = OrderReq {
                op: "req",
                action: "place-order",
                account: "cash",
                id: format!("h{:08}", *n),
                args: OrderArgs {
                    time: 1_700_000_000_000 + *n,
                    id: format!("h{:08}", *n),
                    symbol: "BTC/USDT".into(),
                    order_price: format!("{:.2}", (best - 1) as f64 / 100.0),
                    order_qty: "0.00100".into(),
                    order_type: "limit",
                    side: "buy",
                    post_only: true,
                    time_in_force: "GTC",
                    resp_inst: "ACK",
                },
            };
            let text = serde_json::to_string(&o).unwrap();
            client
                .send(tungstenite::Message::Text(text.into()))
                .await
                .unwrap();
            let ns = t0.elapsed().as_nanos() as u64;
            // Drain the order on the server side (untimed).
            let _ = server.next().await;
            ns
        })
    }
}

fn tick_section() {
    let rounds = if quick() { 4 } else { 10 };
    let per_round: u64 = if quick() { 2_000 } else { 10_000 };
    let msgs: Vec<String> = (0..rounds as u64 * per_round).map(diff).collect();
    let mut ours = Ours::new(1 << 18);
    let mut base = Baseline::new();
    let mut h_ours = new_histogram();
    let mut h_base = new_histogram();
    let mut i = 0usize;
    let warm = 500;
    for r in 0..rounds {
        for k in 0..per_round as usize {
            let m = &msgs[r * per_round as usize + k];
            // Ours: the server's record is queued (untimed), then decrypt → ... → encrypted order record.
            ours.srv.send_frame(m.as_bytes());
            let t0 = Instant::now();
            let sent = ours.tick();
            let ns = t0.elapsed().as_nanos() as u64;
            ours.srv.pump();
            if sent && i >= warm {
                h_ours.saturating_record(ns.max(1));
            }
            let bns = base.tick(m);
            if i >= warm {
                h_base.saturating_record(bns.max(1));
            }
            i += 1;
        }
    }
    println!(
        "tick-to-order in process (TLS record with a depth diff → encrypted place-order record):"
    );
    print_row(
        "  ascendex-hft (rustls unbuffered, own WS, book, tracker)",
        &h_ours,
    );
    print_row(
        "  baseline: tokio + tokio-tungstenite + serde_json + BTreeMap",
        &h_base,
    );
    let r = |q: f64| h_base.value_at_quantile(q) as f64 / h_ours.value_at_quantile(q).max(1) as f64;
    println!(
        "  p50 ours {} ns vs baseline {} ns ({:.1}x);  p99 ours {} ns vs baseline {} ns ({:.1}x);  orders {}",
        h_ours.value_at_quantile(0.5),
        h_base.value_at_quantile(0.5),
        r(0.5),
        h_ours.value_at_quantile(0.99),
        h_base.value_at_quantile(0.99),
        r(0.99),
        ours.placed
    );
}

// ---- against the simulator ---------------------------------------------------------------------------------------

#[derive(Default)]
struct Quiet;
impl Strategy for Quiet {}

struct Flood {
    s: Session<Quiet>,
    window: usize,
    price: i64,
    qty: i64,
    placed: u64,
    started: Option<Instant>,
    acks_at_start: u64,
    seconds: f64,
    /// One order at a time (round-trip mode) instead of a window.
    serial: bool,
    target: u64,
    last: Option<ascendex_hft::orders::OrderHandle>,
}

impl Flood {
    fn act(&mut self, cx: &mut Cx<'_>) {
        if !self.s.trading.is_ready() {
            return;
        }
        if self.started.is_none() {
            self.started = Some(Instant::now());
            self.acks_at_start = self.s.trading.stats.acks;
        }
        let acked = self.s.trading.stats.acks - self.acks_at_start;
        if self.serial {
            let busy = self.last.is_some_and(|h| {
                self.s.trading.order(h).is_some_and(|o| {
                    o.status == ascendex_hft::orders::OrderStatus::PendingNew && acked < self.placed
                })
            });
            if !busy && self.placed < self.target {
                let req = PlaceRequest::post_only(
                    SymbolId(0),
                    Side::Buy,
                    self.price - (self.placed as i64 % 50),
                    self.qty,
                );
                if let Ok(h) = self.s.trading.place(cx, &req) {
                    self.last = Some(h);
                    self.placed += 1;
                }
            }
        } else {
            while self.placed < self.target && (self.placed - acked) < self.window as u64 {
                let req = PlaceRequest::post_only(
                    SymbolId(0),
                    Side::Buy,
                    self.price - (self.placed as i64 % 50),
                    self.qty,
                );
                match self.s.trading.place(cx, &req) {
                    Ok(_) => self.placed += 1,
                    Err(_) => break,
                }
            }
        }
        if acked >= self.target {
            self.seconds = self.started.map_or(0.0, |t| t.elapsed().as_secs_f64());
            cx.stop();
        }
    }
}

impl Handler for Flood {
    fn on_state(
        &mut self,
        cx: &mut Cx<'_>,
        c: ConnId,
        st: ConnState,
        w: Option<&DisconnectReason>,
    ) {
        self.s.on_state(cx, c, st, w);
    }
    fn on_message(&mut self, cx: &mut Cx<'_>, c: ConnId, m: &[u8], rx: u64) {
        self.s.on_message(cx, c, m, rx);
        self.act(cx);
    }
    fn on_http(&mut self, cx: &mut Cx<'_>, c: ConnId, r: Result<Response<'_>, &HttpError>) {
        self.s.on_http(cx, c, r);
        self.act(cx);
    }
    fn on_timer(&mut self, cx: &mut Cx<'_>, id: usize) {
        self.s.on_timer(cx, id);
        self.act(cx);
    }
    fn on_idle(&mut self, cx: &mut Cx<'_>) {
        self.s.on_idle(cx);
    }
}

fn flood(sim: &ascendex_sim::SimHandle, via_rest: bool, serial: bool, target: u64) -> Flood {
    let cfg = SessionConfig {
        rest_url: sim.rest_url(),
        ws_url: sim.ws_url(),
        ca_file: Some(sim.ca_file()),
        account_group: None,
        symbols: vec!["BTC/USDT".into()],
        credentials: Some(Credentials::new(sim.api_key(), sim.api_secret()).unwrap()),
        key_derivation: Default::default(),
        market: MarketConfig::default(),
        trading: TradingConfig {
            order_via_rest: via_rest,
            max_orders: 1 << 16,
            max_open_orders: 1 << 16,
            max_orders_per_sec: 1_000_000,
            op_limits: OpLimits {
                admin: 800,
                stream: 150,
                req: 10_000_000,
                order_req: 10_000_000,
                snapshot_req: 400,
            },
            ..TradingConfig::default()
        },
    };
    let mut engine =
        Engine::new(client_config(Some(&sim.ca_file())).unwrap(), SESSION_TIMERS).unwrap();
    let s = bootstrap::start(&mut engine, cfg, Quiet).unwrap();
    let book = sim.book("BTC/USDT").unwrap();
    let bid = ascendex_hft::orders::scaled::parse_scaled(book.bids[0].0.as_bytes(), 2).unwrap();
    let mut f = Flood {
        s,
        window: 64,
        price: bid * 8 / 10,
        qty: 100,
        placed: 0,
        started: None,
        acks_at_start: 0,
        seconds: 0.0,
        serial,
        target,
        last: None,
    };
    // Both ends busy-poll on their own core, as in production: the round trip is then the two programs' work and
    // the loopback, not `epoll` wake-ups.
    engine
        .run(
            &mut f,
            RunMode::Spin { core: Some(0) },
            Some(Duration::from_secs(60)),
        )
        .unwrap();
    engine.shutdown();
    f
}

fn sim_section() {
    let mut cfg = ascendex_sim::SimConfig {
        rate: 0,
        symbols: vec!["BTC/USDT".into()],
        spin: true,
        core: Some(1),
        ..Default::default()
    };
    cfg.limits.order = (100_000_000, 100_000_000);
    cfg.limits.req = (100_000_000, 100_000_000);
    cfg.balances = vec![
        ("USDT".into(), "1000000000".into()),
        ("BTC".into(), "100".into()),
    ];
    let sim = ascendex_sim::start(cfg).unwrap();
    let n = if quick() { 2_000 } else { 10_000 };
    let f = flood(&sim, false, false, n);
    let acked = f.s.trading.stats.acks - f.acks_at_start;
    println!(
        "orders against the simulator on loopback (real TLS, full session, window of 64 in flight):"
    );
    println!(
        "  {} orders placed and acknowledged in {:.3} s: {:.0} orders/s",
        acked,
        f.seconds,
        acked as f64 / f.seconds.max(1e-9)
    );
    let rt_n = if quick() { 300 } else { 1_000 };
    let ws = flood(&sim, false, true, rt_n);
    let rest = flood(&sim, true, true, rt_n);
    println!("order round trip (sent → acknowledged), one order at a time:");
    print_row(
        "  WebSocket place-order",
        ws.s.trading.latency().histogram(Probe::OrderRoundTrip),
    );
    print_row(
        "  REST POST /<g>/api/pro/v1/cash/order",
        rest.s.trading.latency().histogram(Probe::OrderRoundTrip),
    );
    let p = |f: &Flood, q: f64| {
        f.s.trading
            .latency()
            .histogram(Probe::OrderRoundTrip)
            .value_at_quantile(q)
    };
    println!(
        "  REST / WebSocket: p50 {:.2}x, p99 {:.2}x",
        p(&rest, 0.5) as f64 / p(&ws, 0.5).max(1) as f64,
        p(&rest, 0.99) as f64 / p(&ws, 0.99).max(1) as f64
    );
    let cw: &Histogram<u64> = f.s.trading.latency().histogram(Probe::CallbackToWire);
    print_row("  place() → frame queued (CallbackToWire, flood run)", cw);
}

/// `TICK_CALLGRIND=N`: only N ticks of ours, no timing and no baseline, for an instruction profile under callgrind
/// (`valgrind --tool=callgrind`); the difference between two values of N is the per-tick cost.
fn callgrind_mode(n: u64) {
    let msgs: Vec<String> = (0..n).map(diff).collect();
    let mut ours = Ours::new(1 << 18);
    for m in &msgs {
        ours.srv.send_frame(m.as_bytes());
        ours.tick();
        ours.srv.pump();
    }
    println!("{} orders", ours.placed);
}

fn main() {
    if let Some(n) = std::env::var("TICK_CALLGRIND")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        callgrind_mode(n);
        return;
    }
    tick_section();
    sim_section();
}
