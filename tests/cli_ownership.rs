//! Ownership of orders: `mm` (and any session) cancels only what it placed — on exit, on the kill switch, and at
//! start the leftovers of a run that died — and leaves other programs' orders on the same account alone.

use std::collections::HashSet;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use ascendex_hft::prelude::*;
use ascendex_sim::{SimConfig, SimHandle};

fn sim() -> SimHandle {
    ascendex_sim::start(SimConfig {
        rate: 2000,
        ..SimConfig::default()
    })
    .expect("simulator starts")
}

fn cmd(sim: &SimHandle, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ascendex"));
    c.arg("--rest-url")
        .arg(sim.rest_url())
        .arg("--ca-file")
        .arg(sim.ca_file())
        .args(args)
        .env("ASCENDEX_API_KEY", sim.api_key())
        .env("ASCENDEX_API_SECRET", sim.api_secret());
    c
}

fn run(sim: &SimHandle, args: &[&str]) -> Output {
    cmd(sim, args).output().expect("binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A resting order placed by "another program" (the CLI's one-shot `order place`), far below the market.
fn foreign_order(sim: &SimHandle) -> String {
    let mid = {
        let b = sim.book("BTC/USDT").expect("book");
        b.bids[0].0.clone()
    };
    let whole: u64 = mid
        .split('.')
        .next()
        .expect("digits")
        .parse()
        .expect("price");
    let price = (whole / 2).to_string();
    let o = run(
        sim,
        &[
            "--json", "order", "place", "BTC/USDT", "buy", "0.001", "--price", &price,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let line: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .next()
            .expect("a line"),
    )
    .expect("json");
    let id = line["orderId"].as_str().expect("orderId").to_string();
    assert_eq!(sim.order(&id).expect("at the simulator").status, "New");
    id
}

fn is_mm(o: &ascendex_sim::OrderView) -> bool {
    o.client_id.starts_with("mm")
}

#[test]
fn mm_leaves_other_programs_orders_alone_on_exit() {
    let sim = sim();
    let foreign = foreign_order(&sim);
    let o = run(
        &sim,
        &["mm", "BTC/USDT", "--seconds", "3", "--spread-bps", "2"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(sim.orders().iter().any(is_mm), "mm placed nothing");
    let open = sim.open_orders();
    assert!(
        open.iter().all(|x| !is_mm(x)),
        "mm left its own orders open: {open:?}"
    );
    assert_eq!(
        sim.order(&foreign).expect("foreign order").status,
        "New",
        "mm cancelled an order it never placed"
    );
}

/// Places one post-only bid per book update until it has one, then pulls the kill switch.
struct KillAfterOne {
    placed: Option<OrderHandle>,
    killed: bool,
}

impl Strategy for KillAfterOne {
    fn on_book(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, book: &Book, _u: &BookUpdate) {
        if self.killed {
            return;
        }
        let Some(bid) = book.best_bid() else { return };
        match self.placed {
            None => {
                let qty = 1_000; // 0.001 at BTC/USDT's quantity scale (5)
                let price = bid.price.0 - 100 * 100; // 100 USDT below the best bid (price scale 2)
                if let Ok(h) = ctx.place(&PlaceRequest::post_only(symbol, Side::Buy, price, qty)) {
                    self.placed = Some(h);
                }
            }
            Some(h) => {
                if ctx.order(h).is_some_and(|o| o.status == OrderStatus::New) {
                    ctx.kill();
                    self.killed = true;
                }
            }
        }
    }
}

#[test]
fn the_kill_switch_cancels_only_the_sessions_own_orders() {
    let sim = sim();
    let foreign = foreign_order(&sim);
    let run = Trader::ascendex()
        .rest_url(sim.rest_url())
        .ws_url(sim.ws_url())
        .ca_file(sim.ca_file())
        .credentials(Credentials::new(sim.api_key(), sim.api_secret()).expect("credentials"))
        .symbol("BTC/USDT")
        .run_for(Duration::from_secs(4))
        .run(KillAfterOne {
            placed: None,
            killed: false,
        })
        .expect("runs");
    assert!(run.strategy.killed, "the strategy never saw its order rest");
    assert_eq!(run.open_after_shutdown, 0);
    let ours: Vec<_> = sim
        .orders()
        .into_iter()
        .filter(|o| o.order_id != foreign)
        .collect();
    assert!(!ours.is_empty());
    assert!(
        ours.iter()
            .all(|o| o.status != "New" && o.status != "PartiallyFilled"),
        "own order left open: {ours:?}"
    );
    assert_eq!(sim.order(&foreign).expect("foreign").status, "New");
}

#[test]
fn mm_cancels_a_dead_runs_orders_before_it_quotes() {
    let sim = sim();
    let foreign = foreign_order(&sim);
    // Run 1: quotes, then dies without a chance to cancel (SIGKILL).
    let mut child = cmd(
        &sim,
        &["mm", "BTC/USDT", "--seconds", "60", "--spread-bps", "20"],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("mm starts");
    let t0 = Instant::now();
    let dead: HashSet<String> = loop {
        let open: HashSet<String> = sim
            .open_orders()
            .into_iter()
            .filter(is_mm)
            .map(|o| o.order_id)
            .collect();
        if open.len() >= 2 {
            break open;
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "run 1 never quoted");
        std::thread::sleep(Duration::from_millis(20));
    };
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    std::thread::sleep(Duration::from_millis(200));
    let orphans: Vec<String> = sim
        .open_orders()
        .into_iter()
        .filter(is_mm)
        .map(|o| o.order_id)
        .collect();
    assert!(
        !orphans.is_empty(),
        "the dead run's quotes should still rest at the exchange"
    );

    // Run 2: at the moment its first own quote appears, none of the dead run's orders may still be open.
    let child = cmd(
        &sim,
        &["mm", "BTC/USDT", "--seconds", "3", "--spread-bps", "20"],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .expect("mm starts again");
    let t0 = Instant::now();
    loop {
        let open = sim.open_orders();
        let new_quote = open.iter().any(|o| is_mm(o) && !dead.contains(&o.order_id))
            || sim
                .orders()
                .iter()
                .any(|o| is_mm(o) && !dead.contains(&o.order_id));
        if new_quote {
            let still: Vec<_> = open
                .iter()
                .filter(|o| orphans.contains(&o.order_id))
                .collect();
            assert!(
                still.is_empty(),
                "run 2 quoted while the dead run's orders were open: {still:?}"
            );
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "run 2 never quoted");
        std::thread::sleep(Duration::from_millis(1));
    }
    let out = child.wait_with_output().expect("run 2 ends");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("cancelled") && err.contains("earlier run"),
        "run 2 does not say what it did with the leftovers: {err}"
    );
    assert!(
        sim.open_orders().iter().all(|o| !is_mm(o)),
        "mm orders left open"
    );
    assert_eq!(sim.order(&foreign).expect("foreign").status, "New");
}
