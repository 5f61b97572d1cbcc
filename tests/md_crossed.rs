//! A crossed depth snapshot, end to end over TLS against the simulator: the client's `BookSync` refuses it (the
//! strategy is told the book is stale because it is crossed, the `crossed` counter moves, the strategy never sees a
//! crossed book), asks for a fresh snapshot by itself, and ends equal to the simulator's book at the same seqnum.
//! Covered for the socket's `depth-snapshot` reply and for the REST fallback snapshot, at start-up and mid-stream.

mod md_support;

use md_support::{assert_books_match, market_session};
use std::time::Duration;

use ascendex_hft::book::{Book, ResyncReason};
use ascendex_hft::engine::{Engine, RunMode};
use ascendex_hft::orders::types::SymbolId;
use ascendex_hft::strategy::{BookStatus, BookUpdate, Ctx, Strategy};
use ascendex_hft::venue::ascendex::session::{MarketConfig, Session};
use ascendex_sim::{FaultRecord, Limits, SimConfig, SimHandle};

const SYMS: [&str; 3] = ["BTC/USDT", "ETH/USDT", "LTC/USDT"];
/// Upper bound on any single wait: the whole recovery takes well under a second on the simulator.
const WAIT_S: u64 = 8;

type Cond = Box<dyn Fn(&Rec) -> bool>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    Stale(ResyncReason),
    Live,
    /// A snapshot reached the strategy, with the seqnum the book is at.
    Snapshot(u64),
}

/// A strategy that records what it is told, in order.
struct Rec {
    started: bool,
    live: Vec<bool>,
    seq: Vec<u64>,
    events: Vec<(usize, Ev)>,
    /// Book updates where the best bid was at or above the best ask: must stay 0.
    crossed_books: u64,
    want: Option<Cond>,
}

impl Rec {
    fn new(n: usize) -> Rec {
        Rec {
            started: false,
            live: vec![false; n],
            seq: vec![0; n],
            events: Vec::new(),
            crossed_books: 0,
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

    /// The events of symbol `sym` from index `from` of the log on.
    fn of(&self, sym: usize, from: usize) -> Vec<Ev> {
        self.events[from..]
            .iter()
            .filter(|(s, _)| *s == sym)
            .map(|&(_, e)| e)
            .collect()
    }
}

impl Strategy for Rec {
    fn on_start(&mut self, ctx: &mut impl Ctx) {
        self.started = true;
        self.check(ctx);
    }

    fn on_book(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, book: &Book, u: &BookUpdate) {
        let i = symbol.0 as usize;
        self.seq[i] = u.seqnum;
        if u.snapshot {
            self.events.push((i, Ev::Snapshot(u.seqnum)));
        }
        if let (Some(b), Some(a)) = (book.best_bid(), book.best_ask())
            && b.price.0 >= a.price.0
        {
            self.crossed_books += 1;
        }
        self.check(ctx);
    }

    fn on_book_status(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, status: BookStatus) {
        let i = symbol.0 as usize;
        match status {
            // A silence (the link went quiet, nothing lost) and the Live that ends it are not resyncs.
            BookStatus::Live if self.live[i] => {}
            BookStatus::Silent { .. } => {}
            BookStatus::Live => {
                self.live[i] = true;
                self.events.push((i, Ev::Live));
            }
            BookStatus::Stale(r) => {
                self.live[i] = false;
                self.events.push((i, Ev::Stale(r)));
            }
        }
        self.check(ctx);
    }

    fn on_idle(&mut self, ctx: &mut impl Ctx) {
        self.check(ctx);
    }
}

struct Rig {
    sim: SimHandle,
    engine: Engine,
    session: Session<Rec>,
}

fn rig(faults: &str, market: MarketConfig) -> Rig {
    let sim = ascendex_sim::start(SimConfig {
        rate: 1500,
        symbols: SYMS.iter().map(|s| s.to_string()).collect(),
        faults: faults.into(),
        ..SimConfig::default()
    })
    .expect("simulator starts");
    let (engine, session) = market_session(&sim, market, &SYMS, Rec::new(SYMS.len()));
    Rig {
        sim,
        engine,
        session,
    }
}

/// The REST fallback, forced: the simulator ignores every socket snapshot request (level-1 threshold at zero, as
/// the exchange does for 15 min), so each one times out after 300 ms and the session asks REST.
fn rest_fallback_rig(faults: &str) -> Rig {
    let r = rig(
        faults,
        MarketConfig {
            snapshot_timeout_ms: 300,
            ..MarketConfig::default()
        },
    );
    r.sim.set_limits(Limits {
        snapshot: (0, 1_000_000),
        ..Limits::default()
    });
    r
}

impl Rig {
    fn rec(&self) -> &Rec {
        &self.session.strategy
    }

    fn run_until(&mut self, cond: impl Fn(&Rec) -> bool + 'static) -> bool {
        let cond = std::rc::Rc::new(cond);
        let c = cond.clone();
        self.session.strategy.want = Some(Box::new(move |r| c(r)));
        self.engine
            .run(
                &mut self.session,
                RunMode::Block,
                Some(Duration::from_secs(WAIT_S)),
            )
            .expect("engine runs");
        self.session.strategy.want = None;
        cond(&self.session.strategy)
    }

    fn start(&mut self) {
        assert!(
            self.run_until(|r| r.started && r.all_live()),
            "books never became live: {:?}; live {:?}, events {:?}, fault log {:?}",
            self.session.market.counters(),
            self.rec().live,
            self.rec().events,
            self.sim.fault_log()
        );
    }

    fn crossed(&self, sym: usize) -> u64 {
        self.session
            .market
            .sync_counters(SymbolId(sym as u16))
            .expect("known symbol")
            .crossed
    }

    fn crossed_records(&self) -> Vec<FaultRecord> {
        self.sim
            .fault_log()
            .into_iter()
            .filter(|f| f.kind == "crossed_snapshot")
            .collect()
    }

    /// Pauses the flow, waits until every book reached the simulator's seqnum and compares them level by level.
    fn settle_and_compare(&mut self) {
        self.sim.pause_flow();
        let targets: Vec<u64> = SYMS
            .iter()
            .map(|s| self.sim.book(s).expect("known symbol").seqnum)
            .collect();
        let t = targets.clone();
        let reached =
            self.run_until(move |r| r.all_live() && r.seq.iter().zip(&t).all(|(a, b)| a == b));
        assert!(
            reached,
            "books did not reach the simulator's seqnums {targets:?}: at {:?}, live {:?}, {:?}",
            self.rec().seq,
            self.rec().live,
            self.session.market.counters()
        );
        assert_books_match(&self.sim, &self.session.market, &SYMS);
        assert_eq!(
            self.rec().crossed_books,
            0,
            "the strategy was handed a crossed book"
        );
        self.sim.resume_flow();
    }

    /// What every crossed-snapshot case must show for symbol `sym`, looking at the strategy's events from `from`:
    /// told stale because crossed, then live again from a snapshot at or after the crossed one's seqnum, with no
    /// snapshot reaching the strategy in between; exactly one crossed record in the simulator's log for `sym`,
    /// served over `via`; the other books untouched by it.
    fn assert_refused_then_resynced(&self, sym: usize, from: usize, via: &str) {
        let evs = self.rec().of(sym, from);
        let at = evs
            .iter()
            .position(|e| *e == Ev::Stale(ResyncReason::Crossed))
            .unwrap_or_else(|| panic!("{}: never told stale(crossed): {evs:?}", SYMS[sym]));
        let recs: Vec<FaultRecord> = self
            .crossed_records()
            .into_iter()
            .filter(|f| f.symbol.as_deref() == Some(SYMS[sym]))
            .collect();
        assert_eq!(recs.len(), 1, "{recs:?}");
        assert!(
            recs[0].detail.starts_with(via),
            "expected a {via} snapshot: {recs:?}"
        );
        let crossed_seq = recs[0].seqnum.expect("the record carries the seqnum");
        // Nothing reached the strategy as a book between the refusal and the next good snapshot.
        match evs.get(at + 1..at + 3) {
            Some([Ev::Live, Ev::Snapshot(s)]) => assert!(
                *s >= crossed_seq,
                "resynced from an older snapshot ({s} < {crossed_seq})"
            ),
            other => panic!("{}: after stale(crossed): {other:?} in {evs:?}", SYMS[sym]),
        }
        for (i, name) in SYMS.iter().enumerate() {
            let c = self.crossed(i);
            assert_eq!(c, u64::from(i == sym), "{name}: crossed counter {c}");
        }
        assert!(self.rec().all_live());
    }
}

#[test]
fn crossed_socket_snapshot_at_start_is_refused_and_resynced() {
    let mut r = rig("crossed_snapshot:BTC/USDT", MarketConfig::default());
    r.start();
    r.assert_refused_then_resynced(0, 0, "WS depth-snapshot");
    let c = *r.session.market.counters();
    assert_eq!(c.snapshots_rest, 0, "{c:?}");
    assert!(c.snapshots_ws > SYMS.len() as u64, "{c:?}");
    let s = r.session.market.sync_counters(SymbolId(0)).expect("BTC");
    assert_eq!(s.snapshots, 2, "the crossed one and the fresh one: {s:?}");
    r.settle_and_compare();
}

#[test]
fn crossed_socket_snapshot_mid_stream_is_refused_and_resynced() {
    let mut r = rig("", MarketConfig::default());
    r.start();
    r.settle_and_compare();
    let from = r.rec().events.len();
    assert_eq!(r.crossed(1), 0);
    // The gap makes ETH's book ask for a snapshot; that snapshot is the crossed one.
    r.sim
        .inject("gap@3:ETH/USDT,crossed_snapshot:ETH/USDT")
        .expect("valid fault spec");
    assert!(
        r.run_until(
            move |x| x.of(1, from).contains(&Ev::Stale(ResyncReason::Crossed)) && x.all_live()
        ),
        "ETH: {:?}; {:?}; {:?}",
        r.rec().of(1, from),
        r.session.market.counters(),
        r.sim.fault_log()
    );
    assert_eq!(
        r.rec().of(1, from).first(),
        Some(&Ev::Stale(ResyncReason::Gap))
    );
    r.assert_refused_then_resynced(1, from, "WS depth-snapshot");
    r.settle_and_compare();
}

#[test]
fn crossed_rest_fallback_snapshot_is_refused_and_resynced() {
    let mut r = rest_fallback_rig("crossed_snapshot:BTC/USDT");
    r.start();
    let c = *r.session.market.counters();
    assert_eq!(c.snapshots_ws, 0, "{c:?}");
    assert!(c.snapshot_timeouts > SYMS.len() as u64, "{c:?}");
    assert!(c.snapshots_rest > SYMS.len() as u64, "{c:?}");
    r.assert_refused_then_resynced(0, 0, "REST depth-snapshot");
    r.settle_and_compare();

    // Mid-stream too, on another book: gap, then the REST snapshot it falls back to is crossed.
    let from = r.rec().events.len();
    r.sim
        .inject("gap@3:LTC/USDT,crossed_snapshot:LTC/USDT")
        .expect("valid fault spec");
    assert!(
        r.run_until(
            move |x| x.of(2, from).contains(&Ev::Stale(ResyncReason::Crossed)) && x.all_live()
        ),
        "LTC: {:?}; {:?}; {:?}",
        r.rec().of(2, from),
        r.session.market.counters(),
        r.sim.fault_log()
    );
    assert_eq!(
        r.rec().of(2, from).first(),
        Some(&Ev::Stale(ResyncReason::Gap))
    );
    let recs = r.crossed_records();
    assert_eq!(recs.len(), 2, "{recs:?}");
    assert!(recs[1].detail.starts_with("REST"), "{recs:?}");
    assert_eq!((r.crossed(0), r.crossed(1), r.crossed(2)), (1, 0, 1));
    assert_eq!(r.session.market.counters().snapshots_ws, 0);
    r.settle_and_compare();
}
