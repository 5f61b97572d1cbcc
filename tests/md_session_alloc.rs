//! After warm-up, the whole market-data path allocates nothing on the engine thread: TLS records in → WebSocket frame
//! → depth decode → `BookSync` → the strategy's `on_book`, for 100,000 depth diffs from the simulator at a high rate.
//!
//! A counting global allocator counts only on threads that switched counting on (the simulator's thread allocates
//! freely in the same process).

use std::sync::atomic::Ordering;
use std::time::Duration;

use ascendex_hft::book::Book;
use ascendex_hft::engine::RunMode;
use ascendex_hft::orders::types::SymbolId;
use ascendex_hft::strategy::{BookStatus, BookUpdate, Ctx, Strategy};
use ascendex_hft::venue::ascendex::session::MarketConfig;
use ascendex_sim::SimConfig;

mod alloc_gate;
mod md_support;

use alloc_gate::{ALLOCS, COUNTING};
use md_support::market_session;

#[global_allocator]
static GLOBAL: alloc_gate::Counting = alloc_gate::Counting;

const WARMUP: u64 = 5_000;
const MEASURED: u64 = 100_000;

const SYMS: [&str; 7] = [
    "BTC/USDT", "ETH/USDT", "ASD/USDT", "LTC/USDT", "XRP/USDT", "ADA/USDT", "TRX/USDT",
];

struct Counter {
    live: [bool; 7],
    diffs: u64,
    checksum: i64,
    stale: u64,
    allocs_during: Option<u64>,
}

impl Strategy for Counter {
    fn on_book(&mut self, ctx: &mut impl Ctx, _s: SymbolId, book: &Book, u: &BookUpdate) {
        // `stop` takes effect after the loop iteration: the rest of the burst still arrives.
        if u.snapshot || !self.live.iter().all(|&l| l) || self.allocs_during.is_some() {
            return;
        }
        // Read the book as a strategy would.
        self.checksum = self
            .checksum
            .wrapping_add(book.best_bid().map_or(0, |l| l.price.0 ^ l.qty.0));
        self.diffs += 1;
        if self.diffs == WARMUP {
            ALLOCS.store(0, Ordering::SeqCst);
            COUNTING.with(|c| c.set(true));
            // The gate works: an allocation on this thread is seen.
            drop(std::hint::black_box(Box::new(self.diffs)));
            assert_eq!(ALLOCS.swap(0, Ordering::SeqCst), 1);
        }
        if self.diffs == WARMUP + MEASURED {
            COUNTING.with(|c| c.set(false));
            self.allocs_during = Some(ALLOCS.load(Ordering::SeqCst));
            ctx.stop();
        }
    }

    fn on_book_status(&mut self, _ctx: &mut impl Ctx, s: SymbolId, status: BookStatus) {
        if let Some(l) = self.live.get_mut(s.0 as usize) {
            *l = status == BookStatus::Live;
        }
        if status != BookStatus::Live && self.diffs > 0 {
            self.stale += 1;
        }
    }
}

#[test]
fn depth_diffs_from_tls_to_the_strategy_allocate_nothing() {
    let sim = ascendex_sim::start(SimConfig {
        rate: 40_000,
        symbols: SYMS.iter().map(|s| s.to_string()).collect(),
        ..SimConfig::default()
    })
    .expect("simulator starts");
    let strategy = Counter {
        live: [false; 7],
        diffs: 0,
        checksum: 0,
        stale: 0,
        allocs_during: None,
    };
    let (mut engine, mut session) = market_session(&sim, MarketConfig::default(), &SYMS, strategy);
    engine
        .run(&mut session, RunMode::Block, Some(Duration::from_secs(120)))
        .expect("engine runs");
    COUNTING.with(|c| c.set(false));
    let s = &session.strategy;
    assert_eq!(
        s.diffs,
        WARMUP + MEASURED,
        "not every diff arrived: {:?}",
        session.market.counters()
    );
    assert_eq!(
        s.stale,
        0,
        "a book went stale mid-run: {:?}",
        session.market.counters()
    );
    assert_ne!(s.checksum, 0);
    assert_eq!(
        s.allocs_during,
        Some(0),
        "allocations while {MEASURED} depth diffs went from TLS to the strategy"
    );
}
