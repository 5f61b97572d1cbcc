//! The market-data session against the in-process simulator over real TLS: books synchronise from snapshot + diffs,
//! survive every injected fault (and reconnects) by resynchronising themselves, and end equal to the simulator's
//! book at the same seqnum (exact decimals, every level up to the book's depth).

mod md_support;

use md_support::{assert_books_match, market_session};
use std::time::Duration;

use ascendex_hft::book::{Book, ResyncReason, SeqRule};
use ascendex_hft::engine::{ConnId, ConnState, Cx, DisconnectReason, Engine, Handler, RunMode};
use ascendex_hft::metrics::Probe;
use ascendex_hft::net::http::{HttpError, Response};
use ascendex_hft::orders::types::SymbolId;
use ascendex_hft::strategy::{BookStatus, BookUpdate, Ctx, Strategy};
use ascendex_hft::venue::ascendex::session::market::MdFault;
use ascendex_hft::venue::ascendex::session::{MarketConfig, Session};
use ascendex_hft::venue::ascendex::stream::market::{Bar, Bbo, Trade, TradeSide};
use ascendex_sim::{Limits, SimConfig, SimHandle};

const SYMS: [&str; 7] = [
    "BTC/USDT", "ETH/USDT", "ASD/USDT", "LTC/USDT", "XRP/USDT", "ADA/USDT", "TRX/USDT",
];

type Cond = Box<dyn Fn(&Rec) -> bool>;

/// A strategy that records what it is told.
struct Rec {
    started: bool,
    live: Vec<bool>,
    seq: Vec<u64>,
    books: u64,
    snapshots: u64,
    /// Every stale report: (symbol, reason).
    stale: Vec<(usize, ResyncReason)>,
    /// Best bid / ask prices after the last book update (0 = none).
    top: Vec<(i64, i64)>,
    trades: u64,
    trades_checked: u64,
    trade_side_errors: u64,
    bbos: u64,
    bbo_checked: u64,
    bbo_errors: u64,
    bars: u64,
    seq_went_back: u64,
    want: Option<Cond>,
}

impl Rec {
    fn new(n: usize) -> Rec {
        Rec {
            started: false,
            live: vec![false; n],
            seq: vec![0; n],
            books: 0,
            snapshots: 0,
            stale: Vec::new(),
            top: vec![(0, 0); n],
            trades: 0,
            trades_checked: 0,
            trade_side_errors: 0,
            bbos: 0,
            bbo_checked: 0,
            bbo_errors: 0,
            bars: 0,
            seq_went_back: 0,
            want: None,
        }
    }

    fn check(&self, ctx: &mut impl Ctx) {
        if self.want.as_ref().is_some_and(|f| f(self)) {
            ctx.stop();
        }
    }

    fn all_live(&self) -> bool {
        self.live.iter().all(|&l| l)
    }
}

impl Strategy for Rec {
    fn on_start(&mut self, ctx: &mut impl Ctx) {
        self.started = true;
        self.check(ctx);
    }

    fn on_book(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, book: &Book, u: &BookUpdate) {
        let i = symbol.0 as usize;
        if !u.snapshot && u.seqnum <= self.seq[i] {
            self.seq_went_back += 1;
        }
        self.seq[i] = u.seqnum;
        self.books += 1;
        if u.snapshot {
            self.snapshots += 1;
        }
        self.top[i] = (
            book.best_bid().map_or(0, |l| l.price.0),
            book.best_ask().map_or(0, |l| l.price.0),
        );
        self.check(ctx);
    }

    fn on_book_status(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, status: BookStatus) {
        let i = symbol.0 as usize;
        match status {
            BookStatus::Live => self.live[i] = true,
            // The link went quiet (nothing lost): not a resync.
            BookStatus::Silent { .. } => {}
            BookStatus::Stale(r) => {
                self.live[i] = false;
                self.stale.push((i, r));
            }
        }
        self.check(ctx);
    }

    fn on_bbo(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, bbo: &Bbo) {
        let i = symbol.0 as usize;
        self.bbos += 1;
        // The simulator sends the bbo after the diff that moved it: it must match the book's top.
        if self.live[i] {
            self.bbo_checked += 1;
            let got = (
                bbo.bid.map_or(0, |l| l.price.0),
                bbo.ask.map_or(0, |l| l.price.0),
            );
            if got != self.top[i] {
                self.bbo_errors += 1;
            }
        }
        self.check(ctx);
    }

    fn on_trade(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, trade: &Trade) {
        let i = symbol.0 as usize;
        self.trades += 1;
        // Trades precede the diff of the same event, so the book is still the one the taker hit: a taker buy lifts
        // an ask (price ≥ best ask), a taker sell hits a bid (price ≤ best bid).
        let (bid, ask) = self.top[i];
        if self.live[i] && bid > 0 && ask > 0 {
            self.trades_checked += 1;
            let ok = match trade.side() {
                TradeSide::Buy => trade.price.0 >= ask,
                TradeSide::Sell => trade.price.0 <= bid,
            };
            if !ok {
                self.trade_side_errors += 1;
            }
        }
        self.check(ctx);
    }

    fn on_bar(&mut self, ctx: &mut impl Ctx, _symbol: SymbolId, bar: &Bar<'_>) {
        if bar.interval == b"1" && bar.high.0 >= bar.low.0 {
            self.bars += 1;
        }
        self.check(ctx);
    }

    fn on_idle(&mut self, ctx: &mut impl Ctx) {
        self.check(ctx);
    }
}

struct Rig {
    sim: SimHandle,
    /// The session's symbols (ids are the indices).
    syms: Vec<String>,
    engine: Engine,
    session: Session<Rec>,
}

fn sim_cfg(rate: u32) -> SimConfig {
    SimConfig {
        rate,
        symbols: SYMS.iter().map(|s| s.to_string()).collect(),
        ..SimConfig::default()
    }
}

fn rig(sim: SimConfig, market: MarketConfig) -> Rig {
    rig_for(sim, market, &SYMS)
}

fn rig_for(sim: SimConfig, market: MarketConfig, syms: &[&str]) -> Rig {
    let sim = ascendex_sim::start(sim).expect("simulator starts");
    let (engine, session) = market_session(&sim, market, syms, Rec::new(syms.len()));
    Rig {
        sim,
        syms: syms.iter().map(|s| s.to_string()).collect(),
        engine,
        session,
    }
}

impl Rig {
    fn rec(&self) -> &Rec {
        &self.session.strategy
    }

    fn run_until(&mut self, secs: u64, cond: impl Fn(&Rec) -> bool + 'static) -> bool {
        let cond = std::rc::Rc::new(cond);
        let c = cond.clone();
        self.session.strategy.want = Some(Box::new(move |r| c(r)));
        self.engine
            .run(
                &mut self.session,
                RunMode::Block,
                Some(Duration::from_secs(secs)),
            )
            .expect("engine runs");
        self.session.strategy.want = None;
        cond(&self.session.strategy)
    }

    fn start(&mut self) {
        assert!(
            self.run_until(20, |r| r.started && r.all_live()),
            "books never became live: {:?} {:?}; live {:?}, stale reports {:?}",
            self.session.market.counters(),
            self.session.market.last_fault(),
            self.rec().live,
            self.rec().stale
        );
        assert!(self.session.market.is_ready());
    }

    /// Pauses the flow, waits until every book reached the simulator's seqnum and compares them level by level.
    fn settle_and_compare(&mut self) {
        self.sim.pause_flow();
        let targets: Vec<u64> = self
            .syms
            .iter()
            .map(|s| self.sim.book(s).expect("known symbol").seqnum)
            .collect();
        let t = targets.clone();
        let reached = self.run_until(20, move |r| {
            r.all_live() && r.seq.iter().zip(&t).all(|(a, b)| a == b)
        });
        assert!(
            reached,
            "books did not reach the simulator's seqnums {targets:?}: at {:?}, live {:?}, {:?}",
            self.rec().seq,
            self.rec().live,
            self.session.market.counters()
        );
        assert_books_match(&self.sim, &self.session.market, &self.syms);
        assert_eq!(
            self.rec().seq_went_back,
            0,
            "a diff reached the strategy out of order"
        );
        self.sim.resume_flow();
    }

    fn stale_since(&self, from: usize) -> Vec<(usize, ResyncReason)> {
        self.rec().stale[from..].to_vec()
    }
}

fn market() -> MarketConfig {
    MarketConfig {
        bbo: true,
        trades: true,
        ..MarketConfig::default()
    }
}

/// Injects `spec` once the books are live, waits for the stale reports `expect` accepts, then for the books to be
/// live again, and compares them with the simulator's.
fn fault_case(
    spec: &str,
    kind: &str,
    market: MarketConfig,
    expect: impl Fn(&[(usize, ResyncReason)]) -> bool + 'static,
) -> Rig {
    let mut r = rig(sim_cfg(1500), market);
    r.start();
    r.settle_and_compare();
    let from = r.rec().stale.len();
    r.sim.inject(spec).expect("valid fault spec");
    let seen = r.run_until(20, move |x| expect(&x.stale[from..]));
    assert!(
        seen,
        "{spec}: expected stale reports, got {:?}; {:?}",
        r.stale_since(from),
        r.session.market.counters()
    );
    assert!(
        r.run_until(20, |x| x.all_live()),
        "{spec}: books did not come back"
    );
    r.settle_and_compare();
    assert!(
        r.sim.fault_log().iter().any(|f| f.kind == kind),
        "{spec}: the simulator did not record {kind}: {:?}",
        r.sim.fault_log()
    );
    r
}

fn has(reasons: &[(usize, ResyncReason)], sym: usize, r: ResyncReason) -> bool {
    reasons.iter().any(|&(s, x)| s == sym && x == r)
}

fn every_book(reasons: &[(usize, ResyncReason)], r: ResyncReason) -> bool {
    (0..SYMS.len()).all(|i| has(reasons, i, r))
}

#[test]
fn syncs_with_diffs_flowing_before_a_late_snapshot() {
    let mut r = rig(
        SimConfig {
            faults: "early_diffs=1500".into(),
            ..sim_cfg(1500)
        },
        market(),
    );
    r.start();
    let m = &r.session.market;
    let bridged: u64 = (0..SYMS.len())
        .map(|i| m.sync_counters(SymbolId(i as u16)).unwrap().diffs_buffered)
        .sum();
    assert!(
        bridged > 0,
        "no diff was buffered before the snapshot: {:?}",
        m.counters()
    );
    assert_eq!(
        m.counters().snapshots_rest,
        0,
        "the socket's snapshot was in time"
    );
    assert!(m.counters().snapshots_ws >= SYMS.len() as u64);
    assert!(r.sim.fault_log().iter().any(|f| f.kind == "early_diffs"));
    r.settle_and_compare();
}

#[test]
fn gap_resyncs_the_book() {
    fault_case("gap@5:BTC/USDT", "gap", market(), |s| {
        has(s, 0, ResyncReason::Gap)
    });
}

#[test]
fn duplicate_resyncs_the_book() {
    fault_case("dup@5:ETH/USDT", "dup", market(), |s| {
        has(s, 1, ResyncReason::Duplicate)
    });
}

#[test]
fn reorder_is_a_gap_under_the_contiguous_rule() {
    // seqnum S+2 arrives before S+1: under "+1 each" that is first a gap.
    fault_case("reorder@5:ASD/USDT", "reorder", market(), |s| {
        has(s, 2, ResyncReason::Gap)
    });
}

#[test]
fn reorder_is_a_reorder_under_the_increasing_rule() {
    let m = MarketConfig {
        seq_rule: SeqRule::Increasing,
        ..market()
    };
    let r = fault_case("reorder@5:ASD/USDT", "reorder", m, |s| {
        has(s, 2, ResyncReason::Reorder)
    });
    assert!(r.session.market.seq_steps(SymbolId(2)).unwrap().back >= 1);
}

#[test]
fn malformed_depth_message_resyncs_its_book() {
    let r = fault_case("malformed@5:LTC/USDT", "malformed", market(), |s| {
        has(s, 3, ResyncReason::BadMessage)
    });
    assert!(r.session.market.counters().decode_errors >= 1);
}

#[test]
fn unknown_fields_change_nothing() {
    let mut r = rig(sim_cfg(1500), market());
    r.start();
    let from = r.rec().stale.len();
    r.sim.inject("unknown_fields").expect("valid fault spec");
    let books = r.rec().books;
    assert!(r.run_until(20, move |x| x.books > books + 300));
    r.settle_and_compare();
    assert_eq!(
        r.stale_since(from),
        vec![],
        "unknown fields made a book stale"
    );
    assert_eq!(r.session.market.counters().decode_errors, 0);
}

#[test]
fn truncated_frame_reconnects_and_resyncs_every_book() {
    let r = fault_case("truncate@5:XRP/USDT", "truncate", market(), |s| {
        every_book(s, ResyncReason::Reconnect)
    });
    assert!(r.session.market.counters().md_opens >= 2);
}

#[test]
fn cut_connection_reconnects_and_resyncs_every_book() {
    let r = fault_case("close@5:ADA/USDT", "close", market(), |s| {
        every_book(s, ResyncReason::Reconnect)
    });
    assert!(r.session.market.counters().md_opens >= 2);
}

#[test]
fn missed_pong_disconnect_is_handled() {
    let r = fault_case("miss_pong", "miss_pong", market(), |s| {
        every_book(s, ResyncReason::Reconnect)
    });
    let c = r.session.market.counters();
    assert!(c.disconnected_msgs >= 1 && c.md_opens >= 2, "{c:?}");
}

/// Delegates to the session and asks the engine to drop and reopen the market-data socket once.
struct Kick<'a>(&'a mut Session<Rec>, bool);

impl Handler for Kick<'_> {
    fn on_state(&mut self, cx: &mut Cx<'_>, c: ConnId, s: ConnState, w: Option<&DisconnectReason>) {
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
        if !self.1 {
            self.1 = true;
            cx.reconnect(self.0.conns.md);
        }
        self.0.on_idle(cx)
    }
}

#[test]
fn reconnect_mid_stream_resyncs_every_book() {
    let mut r = rig(sim_cfg(1500), market());
    r.start();
    let from = r.rec().stale.len();
    let opens = r.session.market.counters().md_opens;
    {
        let mut kick = Kick(&mut r.session, false);
        r.engine
            .run(&mut kick, RunMode::Block, Some(Duration::from_millis(50)))
            .expect("engine runs");
    }
    assert!(r.run_until(20, move |x| every_book(
        &x.stale[from..],
        ResyncReason::Reconnect
    )));
    assert!(r.run_until(20, |x| x.all_live()));
    assert_eq!(r.session.market.counters().md_opens, opens + 1);
    r.settle_and_compare();
}

#[test]
fn rest_snapshot_fallback_when_the_socket_ignores_snapshot_requests() {
    let mut r = rig(
        sim_cfg(1500),
        MarketConfig {
            snapshot_timeout_ms: 300,
            ..market()
        },
    );
    // Level 1 at zero: the simulator ignores every WebSocket snapshot request (as the exchange does for 15 min).
    r.sim.set_limits(Limits {
        snapshot: (0, 1_000_000),
        ..Limits::default()
    });
    r.start();
    let c = *r.session.market.counters();
    assert!(c.snapshot_timeouts >= SYMS.len() as u64, "{c:?}");
    assert!(c.snapshots_rest >= SYMS.len() as u64, "{c:?}");
    assert_eq!(c.snapshots_ws, 0, "{c:?}");
    r.settle_and_compare();
    // Faults now resync through REST too.
    let from = r.rec().stale.len();
    r.sim.inject("gap@3:TRX/USDT").expect("valid fault spec");
    assert!(r.run_until(20, move |x| has(&x.stale[from..], 6, ResyncReason::Gap)));
    assert!(r.run_until(20, |x| x.all_live()));
    r.settle_and_compare();
}

#[test]
fn rest_only_snapshots_with_early_diffs() {
    let mut r = rig(
        SimConfig {
            faults: "early_diffs=800".into(),
            ..sim_cfg(1500)
        },
        MarketConfig {
            ws_snapshots: false,
            ..market()
        },
    );
    r.start();
    let c = *r.session.market.counters();
    assert_eq!(c.snapshot_requests_ws, 0, "{c:?}");
    assert!(c.snapshots_rest >= SYMS.len() as u64, "{c:?}");
    r.settle_and_compare();
}

#[test]
fn subscriptions_are_batched_and_channels_delivered() {
    let mut r = rig(
        SimConfig {
            stamp: true,
            ..sim_cfg(2000)
        },
        MarketConfig {
            sub_batch: 3,
            bars: vec!["1".into()],
            ..market()
        },
    );
    r.start();
    assert!(r.run_until(20, |x| x.trades_checked >= 30
        && x.bbo_checked >= 30
        && x.bars >= 5));
    let c = *r.session.market.counters();
    // 7 symbols in batches of 3: 3 messages per channel (depth, bbo, trades, bar:1).
    assert_eq!(c.sub_acks, 12, "{c:?}");
    assert_eq!(c.sub_errors, 0);
    let x = r.rec();
    assert_eq!(x.trade_side_errors, 0, "taker side disagrees with the book");
    assert_eq!(x.bbo_errors, 0, "bbo disagrees with the book's top");
    let lat = r.session.market.latency();
    let books = x.books;
    assert!(lat.histogram(Probe::WireToCallback).len() >= books - x.snapshots);
    // The simulator stamped every push: end-to-end latency is measured for each one that reached a callback.
    assert_eq!(
        lat.histogram(Probe::EndToEnd).len(),
        lat.histogram(Probe::WireToCallback).len()
    );
    r.settle_and_compare();
}

#[test]
fn refused_subscription_is_counted_and_typed() {
    let mut r = rig(
        sim_cfg(1000),
        MarketConfig {
            bars: vec!["7".into()],
            ..market()
        },
    );
    r.start();
    assert!(r.run_until(5, |x| x.books > 50));
    let c = *r.session.market.counters();
    assert_eq!(c.sub_errors, 1, "{c:?}");
    assert_eq!(
        r.session.market.last_fault(),
        Some(MdFault::SubRejected { code: 100005 })
    );
    r.settle_and_compare();
}

#[test]
fn keep_alive_answers_server_pings_and_pings_itself() {
    let mut r = rig(
        sim_cfg(300),
        MarketConfig {
            ping_interval_ms: 150,
            pong_timeout_ms: 1_000,
            ..market()
        },
    );
    r.sim.set_ping_interval_ms(100);
    r.start();
    let start = std::time::Instant::now();
    let _ = r.run_until(2, |_| false);
    assert!(start.elapsed() >= Duration::from_secs(2));
    let c = *r.session.market.counters();
    assert!(c.pings_sent >= 5 && c.pongs >= 5, "{c:?}");
    assert_eq!(c.pong_timeouts, 0, "{c:?}");
    assert_eq!(c.md_opens, 1, "the session dropped: {c:?}");
    // The server pings only a quiet client: with our pings every 150 ms it stays quiet; at 15 s it must ping us.
    drop(r);
    let mut r = rig(sim_cfg(300), market());
    r.sim.set_ping_interval_ms(100);
    r.start();
    let _ = r.run_until(1, |_| false);
    let c = *r.session.market.counters();
    assert!(c.pings_answered >= 3, "{c:?}");
    assert_eq!(c.md_opens, 1, "the session dropped: {c:?}");
    assert!(
        !r.sim.fault_log().iter().any(|f| f.kind == "pong_timeout"),
        "the simulator saw missed pongs"
    );
}

#[test]
fn seqnums_step_by_one_on_the_simulator() {
    let mut r = rig(sim_cfg(3000), MarketConfig::default());
    r.start();
    let books = r.rec().books;
    // The first diff of each symbol has no predecessor and counts as no step; with the seed books live at once
    // (no crossed seed to trade away first) it can come after the start.
    let n = SYMS.len() as u64;
    assert!(r.run_until(30, move |x| x.books > books + 3000 + n));
    let s = r.session.market.seq_steps_total();
    eprintln!("seqnum steps on the simulator (depth channel, 7 symbols): {s:?}");
    assert!(s.one > 3000, "{s:?}");
    assert_eq!((s.more, s.back), (0, 0), "{s:?}");
    r.settle_and_compare();
}

#[test]
fn seed_books_are_uncrossed_and_go_live_without_flow() {
    // The simulator used to seed a locked book (first bid = first ask) for symbols whose level step is one tick
    // (LTC, TRX, ASD); the client refused those snapshots as `Crossed` and, without flow, never went live.
    let mut r = rig(sim_cfg(0), market());
    for s in SYMS {
        let v = r.sim.book(s).expect("known symbol");
        let px = |l: &[(String, String)]| -> i128 {
            l.first()
                .and_then(|(p, _)| ascendex_sim::dec::parse(p, 9))
                .expect("a priced level")
        };
        assert!(
            px(&v.bids) < px(&v.asks),
            "{s}: seed book crossed or locked: {:?} / {:?}",
            v.bids.first(),
            v.asks.first()
        );
    }
    r.start();
    assert!(
        !r.rec()
            .stale
            .iter()
            .any(|&(_, x)| x == ResyncReason::Crossed),
        "{:?}",
        r.rec().stale
    );
    r.settle_and_compare();
}

#[test]
fn spent_snapshot_budget_resyncs_over_rest() {
    // A budget of exactly the start-up snapshots: the resync after the gap must not touch the socket's limit.
    let mut r = rig(
        sim_cfg(1500),
        MarketConfig {
            snapshot_limit_per_min: SYMS.len(),
            ..market()
        },
    );
    r.start();
    let from = r.rec().stale.len();
    r.sim.inject("gap@3:BTC/USDT").expect("valid fault spec");
    assert!(r.run_until(20, move |x| has(&x.stale[from..], 0, ResyncReason::Gap)));
    assert!(r.run_until(20, |x| x.all_live()));
    let c = *r.session.market.counters();
    assert_eq!(c.snapshot_requests_ws, SYMS.len() as u64, "{c:?}");
    assert!(c.snapshots_deferred >= 1 && c.snapshots_rest >= 1, "{c:?}");
    r.settle_and_compare();
}

#[test]
fn realtime_channel_syncs_and_resyncs() {
    let m = MarketConfig {
        depth_realtime: true,
        ..market()
    };
    let r = fault_case("gap@5:ETH/USDT", "gap", m, |s| has(s, 1, ResyncReason::Gap));
    let c = *r.session.market.counters();
    assert_eq!(
        c.snapshots_rest, 0,
        "realtime books never take REST snapshots: {c:?}"
    );
    assert!(
        r.sim
            .doc_variants()
            .iter()
            .any(|v| v.contains("depth-realtime")),
        "{:?}",
        r.sim.doc_variants()
    );
}

#[test]
fn many_symbols_share_one_connection() {
    // Every symbol the simulator lists: more than one subscription message of at most 10 symbols.
    let all = SimConfig::default().symbols;
    assert!(all.len() >= 12, "the simulator lists only {all:?}");
    let syms: Vec<&str> = all.iter().map(String::as_str).collect();
    let mut r = rig_for(
        SimConfig {
            rate: 3000,
            symbols: all.clone(),
            ..SimConfig::default()
        },
        MarketConfig::default(),
        &syms,
    );
    r.start();
    // Diffs flow on every book after it went live, not just the snapshot.
    let at_live = r.rec().seq.clone();
    assert!(
        r.run_until(20, move |x| x.seq.iter().zip(&at_live).all(|(a, b)| a > b)),
        "some books saw no diff: {:?}",
        r.rec().seq
    );
    let c = *r.session.market.counters();
    // The depth channel only: one message per 10 symbols, all acknowledged, on the one connection.
    assert_eq!(c.sub_acks, syms.len().div_ceil(10) as u64, "{c:?}");
    assert!(c.sub_acks >= 2, "{c:?}");
    assert_eq!(c.sub_errors, 0, "{c:?}");
    assert_eq!(c.md_opens, 1, "{c:?}");
    r.settle_and_compare();
}
