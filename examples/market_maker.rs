//! The sample market maker as a program of its own: the shape of any strategy built on ascendex-hft. The strategy
//! (`MarketMaker`: quotes around the mid, inventory skew, minimum quote life, post-only, position limit) lives in
//! `src/strategies/market_maker.rs`, written against the same prelude as this file: copy it here and change it.
//!
//! ```text
//! cargo run --release --example market_maker                    # against the embedded simulator, 10 s
//! cargo run --release --example market_maker -- 3                # 3 s (what CI runs)
//! ASCENDEX_API_KEY=.. ASCENDEX_API_SECRET=.. \
//!   cargo run --release --example market_maker -- 60 BTC/USDT https://ascendex.com
//! ```

use ascendex_hft::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seconds: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(10);
    let symbol = args.get(1).cloned().unwrap_or_else(|| "BTC/USDT".into());

    // A URL on the command line trades there (credentials from the environment); else a simulator in-process.
    let trader = match args.get(2) {
        Some(url) => Trader::ascendex().rest_url(url),
        None => Trader::ascendex().simulator(),
    };
    let run = trader
        .symbol(&symbol)
        .run_for(std::time::Duration::from_secs(seconds))
        .run_with(|rules| {
            MmParams::for_rules(&rules[0], SymbolId(0), 10, None, 0).map(MarketMaker::new)
        })?;

    let s = run.strategy.stats;
    println!(
        "{} updates, {} orders, {} fills, position {} (at the quantity scale), {} open after shutdown",
        s.updates, s.orders, s.fills, run.strategy.position, run.open_after_shutdown
    );
    println!("{}", run.latency_table());
    Ok(())
}
