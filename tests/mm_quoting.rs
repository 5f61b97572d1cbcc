//! `mm` never exits 0 having silently done nothing, and a sparse book syncs at the depth a strategy needs.

use std::process::Command;
use std::time::Duration;

use ascendex_hft::prelude::*;
use ascendex_hft::venue::ascendex::session::MarketConfig;
use ascendex_sim::{SimConfig, SimHandle};

fn sim() -> SimHandle {
    ascendex_sim::start(SimConfig {
        rate: 2000,
        ..SimConfig::default()
    })
    .expect("simulator starts")
}

#[test]
fn mm_with_a_size_above_the_maximum_notional_says_so_and_exits_2() {
    let sim = sim();
    let o = Command::new(env!("CARGO_BIN_EXE_ascendex"))
        .arg("--rest-url")
        .arg(sim.rest_url())
        .arg("--ca-file")
        .arg(sim.ca_file())
        .args(["mm", "BTC/USDT", "--size", "1000000000", "--seconds", "2"])
        .env("ASCENDEX_API_KEY", sim.api_key())
        .env("ASCENDEX_API_SECRET", sim.api_secret())
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("maximum notional"), "{err}");
    assert!(sim.orders().is_empty(), "nothing may be sent");
}

/// Counts book updates and remembers the best bid it saw.
#[derive(Default)]
struct Watch {
    updates: u64,
}

impl Strategy for Watch {
    fn on_book(&mut self, _ctx: &mut impl Ctx, _s: SymbolId, book: &Book, _u: &BookUpdate) {
        if book.best_bid().is_some() {
            self.updates += 1;
        }
    }
}

fn watch(sim: &SimHandle, depth: usize, window: usize) -> Run<Watch> {
    Trader::ascendex()
        .rest_url(sim.rest_url())
        .ws_url(sim.ws_url())
        .ca_file(sim.ca_file())
        .market_data_only()
        .symbol("BTC/USDT")
        .market_config(MarketConfig {
            book_depth: depth,
            book_window: window,
            ..MarketConfig::default()
        })
        .run_for(Duration::from_secs(2))
        .run(Watch::default())
        .expect("runs")
}

#[test]
fn a_sparse_book_never_syncs_at_twenty_levels_and_says_why_but_syncs_at_the_top() {
    // 4096 ticks (40.96 USDT at BTC/USDT's 0.01 tick) hold the simulator's best level on each side, not its best
    // twenty: the shape of a sparse book on a real gateway, where `mm` asked for 20 exact levels and never synced.
    let sim = sim();
    let deep = watch(&sim, 20, 4096);
    assert_eq!(
        deep.strategy.updates, 0,
        "twenty levels cannot fit this window"
    );
    assert_eq!(deep.book_notes.len(), 1, "{:?}", deep.book_notes);
    assert!(
        deep.book_notes[0].contains("do not fit"),
        "{:?}",
        deep.book_notes
    );
    let top = watch(&sim, 1, 4096);
    assert!(top.strategy.updates > 0, "{:?}", top.book_notes);
    assert!(top.book_notes.is_empty(), "{:?}", top.book_notes);
}
