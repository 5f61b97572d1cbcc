//! Market-data pipeline figures (`cargo bench --bench md_pipeline`), each next to a baseline measured in the same run:
//!
//! 1. `throughput`: depth diffs per second on one core through the whole path — TLS 1.3 records in → WebSocket frame
//!    → depth decode → `BookSync` → the strategy callback — fed from memory (an in-memory rustls server encrypted
//!    the exchange's messages beforehand, one record per message). The session's market half (`MarketState`) runs
//!    exactly as in a live session (sub ack → snapshot request → snapshot → diffs); only the event loop is replaced
//!    by a stand-in `MdLink`, since there is no socket. Baseline: rustls's buffered client, tungstenite's message API,
//!    serde_json into owned structs and f64 levels in `BTreeMap`s, over the same kind of bytes. Two rows split the
//!    difference: the naive decode+book on our transport, and our decode+book without TLS at all.
//! 2. `live`: wire-to-callback latency (socket readable → just before `on_book`, engine clock) and end to end
//!    (simulator write → `on_book`, wall clock) of a real session against the simulator over loopback TLS, the engine
//!    spinning on core 0 and the simulator pinned to core 1.
//!
//! `BENCH_QUICK=1` shrinks the counts (a smoke run, not figures). A filter argument selects a section.

#[path = "baselines/mod.rs"]
mod baselines;
#[path = "memtls/mod.rs"]
mod memtls;

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::time::{Duration, Instant};

use ascendex_hft::book::Book;
use ascendex_hft::engine::{ConnId, ConnState, Engine, EngineError, RunMode, SendError};
use ascendex_hft::metrics::Probe;
use ascendex_hft::net::timer::Clock;
use ascendex_hft::net::tls::client_config;
use ascendex_hft::net::ws::{WsDecoder, WsEvent};
use ascendex_hft::orders::types::SymbolId;
use ascendex_hft::strategy::{BookUpdate, Ctx, Strategy};
use ascendex_hft::venue::ascendex::auth::KeyDerivation;
use ascendex_hft::venue::ascendex::session::bootstrap::{self, Bootstrap};
use ascendex_hft::venue::ascendex::session::market::MdLink;
use ascendex_hft::venue::ascendex::session::{
    Conns, MarketConfig, MarketState, MdEvent, SESSION_TIMERS, SessionConfig, TradingConfig,
};
use ascendex_sim::SimConfig;
use serde::Deserialize;

fn quick() -> bool {
    std::env::var_os("BENCH_QUICK").is_some()
}

// ---- the feed ------------------------------------------------------------------------------------------------

/// (symbol, mid price mantissa, price decimals): tick = one unit of the last decimal.
const SYMS: [(&str, i64, u32); 4] = [
    ("BTC/USDT", 6_000_000, 2),
    ("ETH/USDT", 300_000, 2),
    ("XRP/USDT", 50_000, 5),
    ("ASD/USDT", 4_000, 5),
];
const SEQ0: u64 = 1_000_000;

fn products_body() -> Vec<u8> {
    let rows: Vec<String> = SYMS
        .iter()
        .map(|(s, _, d)| {
            let tick = format!("0.{}1", "0".repeat(*d as usize - 1));
            format!(
                r#"{{"symbol":"{s}","status":"Normal","tickSize":"{tick}","lotSize":"0.00001","minQty":"0.00001","maxQty":"100000","minNotional":"5","maxNotional":"1000000"}}"#
            )
        })
        .collect();
    format!(r#"{{"code":0,"data":[{}]}}"#, rows.join(",")).into_bytes()
}

fn px(m: i64, d: u32) -> String {
    let one = 10i64.pow(d);
    format!("{}.{:0w$}", m / one, m % one, w = d as usize)
}

/// The exchange's messages in order: the sub ack, one snapshot per symbol, then `n` diffs (1–3 levels each, a fifth
/// of them deletes, bids below and asks above a fixed mid so the book never crosses).
fn feed(n: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(n + 8);
    let names: Vec<&str> = SYMS.iter().map(|s| s.0).collect();
    out.push(
        format!(
            r#"{{"m":"sub","id":"d0","ch":"depth:{}","code":0}}"#,
            names.join(",")
        )
        .into_bytes(),
    );
    for (s, mid, d) in SYMS {
        let lv = |side: i64| {
            (1..=50)
                .map(|k| format!(r#"["{}","1.00000"]"#, px(mid + side * k, d)))
                .collect::<Vec<_>>()
                .join(",")
        };
        out.push(
            format!(
                r#"{{"m":"depth-snapshot","symbol":"{s}","data":{{"ts":1700000000000,"seqnum":{SEQ0},"asks":[{}],"bids":[{}]}}}}"#,
                lv(1),
                lv(-1)
            )
            .into_bytes(),
        );
    }
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut seq = [SEQ0; SYMS.len()];
    for i in 0..n {
        let k = (next() % SYMS.len() as u64) as usize;
        let (s, mid, d) = SYMS[k];
        seq[k] += 1;
        let (mut bids, mut asks) = (Vec::new(), Vec::new());
        for _ in 0..1 + next() % 3 {
            let off = 1 + (next() % 300) as i64;
            let q = if next() % 5 == 0 {
                "0".to_string()
            } else {
                px(1 + (next() % 100_000) as i64, 5)
            };
            if next() % 2 == 0 {
                bids.push(format!(r#"["{}","{q}"]"#, px(mid - off, d)));
            } else {
                asks.push(format!(r#"["{}","{q}"]"#, px(mid + off, d)));
            }
        }
        out.push(
            format!(
                r#"{{"m":"depth","symbol":"{s}","data":{{"ts":{},"seqnum":{},"asks":[{}],"bids":[{}]}}}}"#,
                1_700_000_000_001u64 + i as u64,
                seq[k],
                asks.join(","),
                bids.join(",")
            )
            .into_bytes(),
        );
    }
    out
}

// ---- ours ----------------------------------------------------------------------------------------------------

/// The event loop's part, without sockets: sends are accepted and dropped, no timers fire.
struct Link(Clock);

impl MdLink for Link {
    fn now_ns(&self) -> u64 {
        self.0.now_ns()
    }
    fn clock_ns(&self) -> u64 {
        self.0.now_ns()
    }
    fn send_text(&mut self, _c: ConnId, _p: &[u8]) -> Result<(), SendError> {
        Ok(())
    }
    fn http_get(&mut self, _c: ConnId, _p: &str) -> Result<(), SendError> {
        Err(SendError::NotOpen)
    }
    fn http_ready(&self, _c: ConnId) -> bool {
        false
    }
    fn set_timer(&mut self, _id: usize, _at: u64) {}
    fn cancel_timer(&mut self, _id: usize) {}
    fn reconnect(&mut self, _c: ConnId) {}
}

const CONNS: Conns = Conns {
    md: 0,
    md_rest: 1,
    trade: None,
    trade_rest: None,
};

fn market_state() -> MarketState {
    let cfg = SessionConfig {
        rest_url: "https://127.0.0.1".into(),
        ws_url: "wss://127.0.0.1/api/pro/v1/stream".into(),
        ca_file: None,
        account_group: None,
        symbols: SYMS.iter().map(|s| s.0.to_string()).collect(),
        credentials: None,
        key_derivation: KeyDerivation::default(),
        market: MarketConfig::default(),
        trading: TradingConfig::default(),
    };
    let boot = Bootstrap {
        products: products_body(),
        account_group: None,
        user_uid: None,
    };
    MarketState::new(&cfg, &boot).expect("market state")
}

/// What the strategy does with a book update in every row: read the top.
#[inline]
fn touch(book: &Book, acc: &mut i64) {
    if let (Some(b), Some(a)) = (book.best_bid(), book.best_ask()) {
        *acc = acc.wrapping_add(b.price.0 ^ a.qty.0);
    }
}

/// Whole path: our TLS records + frames → `MarketState::on_message` → callback. Returns diffs/s.
/// `check_utf8: false` turns off the RFC 6455 UTF-8 check of text messages, to show what it costs.
fn ours(feed: &[Vec<u8>], diffs: usize, check_utf8: bool) -> f64 {
    let pki = baselines::pki();
    let (mut srv, mut ws) = memtls::our_client(pki.server_config(false, None), &pki.ca_file);
    ws.set_check_utf8(check_utf8);
    srv.text_frames(feed.iter().map(|p| &p[..]));
    let mut market = market_state();
    let mut link = Link(Clock::new());
    market.on_state(&mut link, &CONNS, 0, ConnState::Open, None, &mut |_, _| {});
    let books = std::cell::Cell::new(0usize);
    let mut acc = 0i64;
    let mut emit = |_: &mut Link, ev: MdEvent<'_>| {
        if let MdEvent::Book { book, .. } = ev {
            books.set(books.get() + 1);
            touch(book, &mut acc);
        }
    };
    let want = diffs + SYMS.len();
    let start = Instant::now();
    let mut idle = 0;
    while books.get() < want && idle < 3 {
        let got = ws.read().unwrap();
        idle = if got { 0 } else { idle + 1 };
        let rx = link.0.now_ns();
        while let Some(ev) = ws.next_event().unwrap() {
            if let WsEvent::Text(m) = ev {
                market.on_message(&mut link, &CONNS, m, rx, &mut emit);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(books.get(), want, "{:?}", market.counters());
    assert_eq!(market.counters().stale_events, 0);
    std::hint::black_box(acc);
    diffs as f64 / secs
}

/// Our decode + sync + callback on the plaintext payloads (no TLS, no frames): the part the venue code owns.
fn ours_no_tls(feed: &[Vec<u8>], diffs: usize) -> f64 {
    let mut market = market_state();
    let mut link = Link(Clock::new());
    market.on_state(&mut link, &CONNS, 0, ConnState::Open, None, &mut |_, _| {});
    let (mut books, mut acc) = (0usize, 0i64);
    let mut emit = |_: &mut Link, ev: MdEvent<'_>| {
        if let MdEvent::Book { book, .. } = ev {
            books += 1;
            touch(book, &mut acc);
        }
    };
    let start = Instant::now();
    for m in feed {
        let rx = link.0.now_ns();
        market.on_message(&mut link, &CONNS, m, rx, &mut emit);
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(books, diffs + SYMS.len());
    std::hint::black_box(acc);
    diffs as f64 / secs
}

/// The frame decoder alone over the feed's frames (no TLS, no parse), with and without the UTF-8 check, so the
/// check's own cost is not lost in the whole path's noise. The frames are cut into blocks of 1,000 messages (tens
/// of µs each); each block is decoded 9 times alternating the check on and off, and the fastest time of each
/// block and mode counts — a block the scheduler did not interrupt. Returns ns per message (with, without).
fn decoder_pair(feed: &[Vec<u8>]) -> (f64, f64) {
    let blocks: Vec<Vec<u8>> = feed
        .chunks(1000)
        .map(|msgs| {
            let mut wire = Vec::new();
            for m in msgs {
                wire.push(0x81);
                if m.len() < 126 {
                    wire.push(m.len() as u8);
                } else {
                    wire.push(126);
                    wire.extend_from_slice(&(m.len() as u16).to_be_bytes());
                }
                wire.extend_from_slice(m);
            }
            wire
        })
        .collect();
    let mut decs = [
        WsDecoder::new(1 << 20, 1 << 20),
        WsDecoder::new(1 << 20, 1 << 20),
    ];
    decs[1].set_check_utf8(false);
    let mut total = [0u128; 2];
    let mut bytes = 0usize;
    for wire in &blocks {
        let mut best = [u128::MAX; 2];
        for pass in 0..18 {
            let k = pass % 2;
            let dec = &mut decs[k];
            let mut at = 0;
            let start = Instant::now();
            while at < wire.len() {
                let step = dec.decode(&wire[at..]).unwrap();
                if let Some(WsEvent::Text(m)) = dec.event(&wire[at..], step.frame) {
                    bytes += m.len();
                }
                at += step.consumed;
            }
            best[k] = best[k].min(start.elapsed().as_nanos());
        }
        total[0] += best[0];
        total[1] += best[1];
    }
    std::hint::black_box(bytes);
    let n = feed.len() as f64;
    (total[0] as f64 / n, total[1] as f64 / n)
}

// ---- the baseline: owned structs, f64, BTreeMap ----------------------------------------------------------------

#[derive(Deserialize)]
struct NaiveMsg {
    m: String,
    #[serde(default)]
    symbol: Option<String>,
    #[serde(default)]
    data: Option<NaiveData>,
}

#[derive(Deserialize)]
struct NaiveData {
    seqnum: u64,
    #[allow(dead_code)]
    ts: u64,
    asks: Vec<(String, String)>,
    bids: Vec<(String, String)>,
}

#[derive(Default)]
struct NaiveBook {
    /// Keyed by the f64's bits (monotonic for positive prices), so iteration is price order.
    bids: BTreeMap<u64, f64>,
    asks: BTreeMap<u64, f64>,
    seq: u64,
    gaps: u64,
}

#[derive(Default)]
struct Naive {
    books: HashMap<String, NaiveBook>,
    updates: usize,
    acc: i64,
}

impl Naive {
    fn on_text(&mut self, text: &str) {
        let Ok(msg) = serde_json::from_str::<NaiveMsg>(text) else {
            return;
        };
        let (Some(sym), Some(d)) = (msg.symbol, msg.data) else {
            return;
        };
        let book = self.books.entry(sym).or_default();
        let snapshot = msg.m == "depth-snapshot";
        if snapshot {
            book.bids.clear();
            book.asks.clear();
        } else if d.seqnum != book.seq + 1 {
            book.gaps += 1;
        }
        book.seq = d.seqnum;
        for (side, levels) in [(&mut book.bids, &d.bids), (&mut book.asks, &d.asks)] {
            for (p, q) in levels {
                let (Ok(p), Ok(q)) = (p.parse::<f64>(), q.parse::<f64>()) else {
                    continue;
                };
                if q == 0.0 {
                    side.remove(&p.to_bits());
                } else {
                    side.insert(p.to_bits(), q);
                }
            }
        }
        self.updates += 1;
        if let (Some((b, _)), Some((_, aq))) =
            (book.bids.last_key_value(), book.asks.first_key_value())
        {
            self.acc = self
                .acc
                .wrapping_add((f64::from_bits(*b) * 100.0) as i64 ^ (*aq * 1e5) as i64);
        }
    }
}

/// rustls + tungstenite + serde_json + f64 + BTreeMap. Returns diffs/s.
fn baseline(feed: &[Vec<u8>], diffs: usize) -> f64 {
    let pki = baselines::pki();
    let (mut srv, mut ws) = memtls::tungstenite_client(pki.server_config(false, None), &pki.ca_der);
    srv.text_frames(feed.iter().map(|p| &p[..]));
    let mut naive = Naive::default();
    let want = diffs + SYMS.len();
    let start = Instant::now();
    while naive.updates < want {
        match ws.read() {
            Ok(tungstenite::Message::Text(t)) => naive.on_text(t.as_str()),
            Ok(_) => {}
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(naive.updates, want);
    assert_eq!(naive.books.values().map(|b| b.gaps).sum::<u64>(), 0);
    std::hint::black_box(naive.acc);
    diffs as f64 / secs
}

/// Our TLS + frames, then the naive decode and book.
fn naive_on_our_transport(feed: &[Vec<u8>], diffs: usize) -> f64 {
    let pki = baselines::pki();
    let (mut srv, mut ws) = memtls::our_client(pki.server_config(false, None), &pki.ca_file);
    srv.text_frames(feed.iter().map(|p| &p[..]));
    let mut naive = Naive::default();
    let want = diffs + SYMS.len();
    let start = Instant::now();
    let mut idle = 0;
    while naive.updates < want && idle < 3 {
        let got = ws.read().unwrap();
        idle = if got { 0 } else { idle + 1 };
        while let Some(ev) = ws.next_event().unwrap() {
            if let WsEvent::Text(m) = ev
                && let Ok(t) = std::str::from_utf8(m)
            {
                naive.on_text(t);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(naive.updates, want);
    std::hint::black_box(naive.acc);
    diffs as f64 / secs
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn throughput_section() {
    let (diffs, rounds) = if quick() { (20_000, 1) } else { (400_000, 5) };
    let feed = feed(diffs);
    let bytes: usize = feed.iter().map(Vec::len).sum();
    let mut rows: [(&str, Vec<f64>); 5] = [
        (
            "ours: TLS + frames + decode + BookSync + callback",
            Vec::new(),
        ),
        (
            "baseline: rustls + tungstenite + serde_json + f64 BTreeMap",
            Vec::new(),
        ),
        (
            "  (split) our TLS + frames, naive decode + book",
            Vec::new(),
        ),
        (
            "  (split) ours without TLS/frames: decode + BookSync + callback",
            Vec::new(),
        ),
        (
            "  (split) ours with the UTF-8 check of text frames off",
            Vec::new(),
        ),
    ];
    for _ in 0..rounds {
        rows[0].1.push(ours(&feed, diffs, true));
        rows[1].1.push(baseline(&feed, diffs));
        rows[2].1.push(naive_on_our_transport(&feed, diffs));
        rows[3].1.push(ours_no_tls(&feed, diffs));
        rows[4].1.push(ours(&feed, diffs, false));
    }
    println!(
        "\n== depth diffs through the market-data path on one core, fed from memory ({diffs} diffs over 4 symbols, avg {} B, 1-3 levels; {rounds} rounds, median)",
        bytes / feed.len()
    );
    let mut med = [0.0; 5];
    for (i, (name, v)) in rows.iter_mut().enumerate() {
        med[i] = median(v);
        println!(
            "{name:<66} {:>8.3} M diffs/s  ({:.0} ns/diff)",
            med[i] / 1e6,
            1e9 / med[i]
        );
    }
    println!("ours / baseline: {:.2}x", med[0] / med[1]);
    println!(
        "UTF-8 check (RFC 6455 §8.1, simdutf8) on the whole path: {:.1} ns/diff with, {:.1} without ({:+.1} ns)",
        1e9 / med[0],
        1e9 / med[4],
        1e9 / med[0] - 1e9 / med[4]
    );
    let (on, off) = decoder_pair(&feed);
    println!(
        "UTF-8 check in the frame decoder alone (fastest of 9 alternating passes per 1,000-message block): \
         {on:.1} ns/message with, {off:.1} without ({:+.1} ns)",
        on - off
    );
}

// ---- live ----------------------------------------------------------------------------------------------------

struct CountBooks(u64);

impl Strategy for CountBooks {
    fn on_book(&mut self, _ctx: &mut impl Ctx, _s: SymbolId, book: &Book, _u: &BookUpdate) {
        self.0 += 1;
        std::hint::black_box(book.best_bid());
    }
}

fn live_section() {
    let (secs, rate) = if quick() { (3, 2_000) } else { (20, 5_000) };
    let sim = ascendex_sim::start(SimConfig {
        rate,
        stamp: true,
        core: Some(baselines::SERVER_CORE),
        ..SimConfig::default()
    })
    .expect("simulator starts");
    let mut engine =
        Engine::new(client_config(Some(&sim.ca_file())).unwrap(), SESSION_TIMERS).unwrap();
    let symbols = SimConfig::default().symbols;
    let n_symbols = symbols.len();
    let cfg = SessionConfig {
        rest_url: sim.rest_url(),
        ws_url: sim.ws_url(),
        ca_file: Some(sim.ca_file()),
        account_group: None,
        symbols,
        credentials: None,
        key_derivation: KeyDerivation::default(),
        market: MarketConfig::default(),
        trading: TradingConfig::default(),
    };
    let mut session = bootstrap::start(&mut engine, cfg, CountBooks(0)).expect("session");
    let mode = RunMode::Spin {
        core: Some(baselines::CLIENT_CORE),
    };
    let limit = Some(Duration::from_secs(secs));
    let spun = match engine.run(&mut session, mode, limit) {
        Err(EngineError::Pin(_)) => {
            engine.run(&mut session, RunMode::Block, limit).unwrap();
            false
        }
        r => {
            r.unwrap();
            true
        }
    };
    let lat = session.market.latency();
    println!(
        "\n== live simulator over loopback TLS, {secs} s at {rate} msg/s ({} symbols, depth channel), engine {} on core {}, simulator on core {}",
        n_symbols,
        if spun {
            "spinning"
        } else {
            "blocking (pinning refused)"
        },
        baselines::CLIENT_CORE,
        baselines::SERVER_CORE
    );
    baselines::print_row(
        "wire → on_book (engine clock)",
        lat.histogram(Probe::WireToCallback),
    );
    baselines::print_row(
        "simulator write → on_book (wall clock)",
        lat.histogram(Probe::EndToEnd),
    );
    let c = session.market.counters();
    println!(
        "books {} diffs {} stale {} seqnum steps {:?}",
        session.strategy.0,
        c.diffs,
        c.stale_events,
        session.market.seq_steps_total()
    );
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let want = |s: &str| filter.as_deref().is_none_or(|f| s.contains(f));
    if want("throughput") {
        throughput_section();
    }
    if want("live") {
        live_section();
    }
}
