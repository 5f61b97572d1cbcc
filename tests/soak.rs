//! A bounded chaos soak: the sample market maker on three symbols while the simulator injects every fault kind at
//! random (gaps, duplicates, reordering, malformed frames, truncated frames, closes, silent market and trade links,
//! 5xx, 429, slow answers, missed pongs, clock skew). At the end, with the faults cleared and the flow paused:
//! - each book equals the simulator's (the top levels, exact decimals);
//! - no order of ours is open at the simulator, and the session tracks none;
//! - every execution at the simulator was counted exactly once (per order, the fills' quantities add up to the
//!   simulator's filled quantity);
//! - the balances the session ends with equal the simulator's.
//!
//! `SOAK_SECONDS=600 cargo test --release --test soak -- --nocapture` soaks longer (default 45 s of faults).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ascendex_hft::prelude::*;
use ascendex_sim::{SimConfig, SimHandle};

const SYMBOLS: [&str; 3] = ["BTC/USDT", "ETH/USDT", "ASD/USDT"];
const FAULTS_ALL: &[&str] = &[
    "gap",
    "dup",
    "reorder",
    "malformed",
    "truncate",
    "close",
    "blackhole",
    "blackhole_private",
    "rest5xx",
    "rest429",
    "slow_rest",
    "miss_pong",
    "skew=2000",
    "skew=0",
    "unknown_fields@3",
];
const TOP: usize = 5;

fn faults() -> Vec<&'static str> {
    match std::env::var("SOAK_FAULTS") {
        Ok(list) => FAULTS_ALL
            .iter()
            .copied()
            .filter(|f| list.split(',').any(|x| f.starts_with(x)))
            .collect(),
        Err(_) => FAULTS_ALL.to_vec(),
    }
}
/// Book sizes keep 4 more decimals than the lot (`rest::market::BOOK_QTY_EXTRA_DECIMALS`).
const BOOK_EXTRA: u8 = 4;

/// Three market makers, one per symbol, and a copy of each book's top levels as the session last showed them.
struct Desk {
    mms: Vec<MarketMaker>,
    tops: Vec<(Vec<Level>, Vec<Level>)>,
    fills: HashMap<String, i64>,
    fill_count: u64,
    /// (price scale, book quantity scale) per symbol.
    scales: Vec<(u8, u8)>,
}

impl Strategy for Desk {
    fn on_book(&mut self, ctx: &mut impl Ctx, s: SymbolId, book: &Book, u: &BookUpdate) {
        let i = s.0 as usize;
        self.tops[i] = (
            book.bids().take(TOP).collect(),
            book.asks().take(TOP).collect(),
        );
        self.mms[i].on_book(ctx, s, book, u);
    }
    fn on_book_status(&mut self, ctx: &mut impl Ctx, s: SymbolId, st: BookStatus) {
        self.mms[s.0 as usize].on_book_status(ctx, s, st);
    }
    fn on_order(&mut self, ctx: &mut impl Ctx, ev: &OrderEvent<'_>) {
        self.mms[ev.order.symbol.0 as usize].on_order(ctx, ev);
    }
    fn on_fill(&mut self, ctx: &mut impl Ctx, f: &Fill) {
        *self
            .fills
            .entry(f.order_id.as_str().to_string())
            .or_default() += f.qty;
        self.fill_count += 1;
        self.mms[f.symbol.0 as usize].on_fill(ctx, f);
    }
}

/// `"60432.66"` → (6043266, 2).
fn dec(s: &str) -> (i128, u32) {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    (
        format!("{int}{frac}").parse().expect("a decimal"),
        frac.len() as u32,
    )
}

/// The same value: a/10^sa == b/10^sb.
fn same(a: (i128, u32), b: (i128, u32)) -> bool {
    let (x, y) = (a.0 * 10i128.pow(b.1), b.0 * 10i128.pow(a.1));
    x == y
}

fn levels_equal(ours: &[Level], sim: &[(String, String)], ps: u8, qs: u8) -> bool {
    ours.len() == sim.len().min(TOP)
        && ours.iter().zip(sim).all(|(l, (p, q))| {
            same((i128::from(l.price.0), u32::from(ps)), dec(p))
                && same((i128::from(l.qty.0), u32::from(qs)), dec(q))
        })
}

struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn sim() -> SimHandle {
    ascendex_sim::start(SimConfig {
        rate: 1500,
        symbols: SYMBOLS.iter().map(|s| s.to_string()).collect(),
        ..SimConfig::default()
    })
    .expect("simulator starts")
}

#[test]
fn three_symbols_under_every_fault_end_consistent_with_the_simulator() {
    let secs: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(45);
    let sim = sim();
    let mut rng = Lcg(0x5eed);
    let faults = faults();
    let mut injected = Vec::new();
    let mut next_fault = Duration::from_secs(2);
    let mut settling: Option<Instant> = None;
    let mut settled = false;
    let run = Trader::ascendex()
        .rest_url(sim.rest_url())
        .ws_url(sim.ws_url())
        .ca_file(sim.ca_file())
        .credentials(Credentials::new(sim.api_key(), sim.api_secret()).expect("credentials"))
        .symbols(SYMBOLS)
        // Orders in doubt at the end (requests the faults swallowed) are settled by status queries: give them time.
        .grace(Duration::from_secs(20))
        .run_for(Duration::from_secs(secs + 30))
        .run_observed(
            |rules| {
                let mms = rules
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        MmParams::for_rules(r, SymbolId(i as u16), 20, None, 0)
                            .map(MarketMaker::new)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok::<_, &str>(Desk {
                    mms,
                    tops: vec![(Vec::new(), Vec::new()); SYMBOLS.len()],
                    fills: HashMap::new(),
                    fill_count: 0,
                    scales: rules
                        .iter()
                        .map(|r| (r.price_scale, r.qty_scale + BOOK_EXTRA))
                        .collect(),
                })
            },
            |desk, p| {
                if p.elapsed < Duration::from_secs(secs) {
                    if p.started && p.elapsed >= next_fault {
                        let f = faults[rng.below(faults.len())];
                        let sym = SYMBOLS[rng.below(SYMBOLS.len())];
                        let spec = if f.contains('=')
                            || f.contains('@')
                            || f.starts_with("rest")
                            || f == "slow_rest"
                            || f == "blackhole_private"
                            || f == "miss_pong"
                        {
                            f.to_string()
                        } else {
                            format!("{f}:{sym}")
                        };
                        sim.inject(&spec).expect("fault spec");
                        injected.push(spec);
                        next_fault = p.elapsed + Duration::from_millis(300 + rng.below(700) as u64);
                    }
                    return true;
                }
                // Settle: no more faults, no more flow; the books must converge to the simulator's.
                let t0 = *settling.get_or_insert_with(|| {
                    sim.inject("clear").expect("clear");
                    sim.inject("skew=0").expect("no skew");
                    sim.pause_flow();
                    Instant::now()
                });
                let all = SYMBOLS.iter().enumerate().all(|(i, s)| {
                    let b = sim.book(s).expect("sim book");
                    let (ps, qs) = desk.scales[i];
                    levels_equal(&desk.tops[i].0, &b.bids, ps, qs)
                        && levels_equal(&desk.tops[i].1, &b.asks, ps, qs)
                });
                if all {
                    settled = true;
                    return false;
                }
                assert!(
                    t0.elapsed() < Duration::from_secs(20),
                    "books did not converge 20 s after the faults stopped; injected: {injected:?}"
                );
                true
            },
        )
        .expect("the run survives");
    eprintln!(
        "soak: {} faults over {secs} s ({:?}…); {} orders, {} fills",
        injected.len(),
        &injected[..injected.len().min(8)],
        run.strategy.mms.iter().map(|m| m.stats.orders).sum::<u64>(),
        run.strategy.fill_count
    );
    assert!(settled, "the run ended before the books converged");
    assert!(
        injected.len() >= secs as usize / 2,
        "too few faults: {injected:?}"
    );
    // No order of ours open, none tracked.
    eprintln!(
        "sim open {}, tracked open {}; {:?}",
        sim.open_orders().len(),
        run.open_statuses.len(),
        run.trading_stats
    );
    assert_eq!(run.open_after_shutdown, 0);
    let open = sim.open_orders();
    assert!(
        open.is_empty(),
        "orders left open at the simulator: {open:?}"
    );
    // Every execution counted once.
    for o in sim.orders() {
        let counted = run.strategy.fills.get(&o.order_id).copied().unwrap_or(0);
        let i = SYMBOLS
            .iter()
            .position(|s| *s == o.symbol)
            .expect("our symbol");
        let qs = u32::from(run.strategy.scales[i].1 - BOOK_EXTRA);
        assert!(
            same((i128::from(counted), qs), dec(&o.filled_qty)),
            "order {}: fills counted {counted} (scale {qs}) vs the simulator's {}",
            o.order_id,
            o.filled_qty
        );
    }
    // Balances equal the simulator's.
    let scale = u32::from(run.asset_scale);
    for b in &run.balances {
        let s = sim
            .balances()
            .into_iter()
            .find(|x| x.asset == b.asset)
            .expect("asset at the simulator");
        assert!(
            same((i128::from(b.total), scale), dec(&s.total))
                && same((i128::from(b.available), scale), dec(&s.available)),
            "{}: session {} / {} vs simulator {} / {}",
            b.asset,
            b.total,
            b.available,
            s.total,
            s.available
        );
    }
}
