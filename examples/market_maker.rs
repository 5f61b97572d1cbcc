//! The sample market maker as a program of its own: the shape of any strategy built on ascendex-hft. The strategy
//! itself (`MarketMaker`: quotes around the mid, inventory skew, minimum quote life, post-only, position limit)
//! is in `src/cli/market_maker.rs`; copy it next to this file and change it.
//!
//! ```text
//! cargo run --release --example market_maker                    # against the embedded simulator, 10 s
//! ASCENDEX_API_KEY=.. ASCENDEX_API_SECRET=.. \
//!   cargo run --release --example market_maker -- https://ascendex.com BTC/USDT 60
//! ```

use std::time::Duration;

use ascendex_hft::cli::market_maker::MarketMaker;
use ascendex_hft::cli::mm::{latency_table, params_for};
use ascendex_hft::engine::{Engine, RunMode};
use ascendex_hft::net::tls::client_config;
use ascendex_hft::orders::types::SymbolId;
use ascendex_hft::venue::ascendex::auth::{Credentials, KeyDerivation};
use ascendex_hft::venue::ascendex::rules::RulesTable;
use ascendex_hft::venue::ascendex::session::bootstrap::{fetch, start};
use ascendex_hft::venue::ascendex::session::{SESSION_TIMERS, SessionConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let symbol = args.get(1).cloned().unwrap_or_else(|| "BTC/USDT".into());
    let seconds: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);

    // Where to trade: a URL given on the command line, else a simulator in this process (kept alive by `_sim`).
    let _sim;
    let (rest_url, ws_url, ca_file, creds) = match args.first() {
        Some(url) => {
            let host = url.trim_start_matches("https://").trim_end_matches('/');
            let ws = format!("wss://{host}/api/pro/v1/stream");
            (url.clone(), ws, None, Credentials::from_env()?)
        }
        None => {
            let sim = ascendex_sim::start(ascendex_sim::SimConfig::default())?;
            let c = Credentials::new(sim.api_key(), sim.api_secret())?;
            let urls = (sim.rest_url(), sim.ws_url(), Some(sim.ca_file()), c);
            _sim = sim;
            urls
        }
    };

    let cfg = SessionConfig {
        rest_url,
        ws_url,
        ca_file,
        account_group: None,
        symbols: vec![symbol.clone()],
        credentials: Some(creds),
        key_derivation: KeyDerivation::RawSecret,
        market: Default::default(),
        trading: Default::default(),
    };

    // Size the quotes from the symbol's trading rules (the smallest order the exchange takes).
    let boot = fetch(&cfg)?;
    let rules = RulesTable::from_products_json(&boot.products)?;
    let r = rules.by_name(&symbol).ok_or("unknown symbol")?;
    let params = params_for(r, SymbolId(0), 10, None, 0).map_err(|e| e.message)?;

    let mut engine = Engine::new(client_config(cfg.ca_file.as_deref())?, SESSION_TIMERS)?;
    let mut session = start(&mut engine, cfg, MarketMaker::new(params))?;

    // The loop (`RunMode::Spin { core: Some(n) }` pins it and busy-polls instead), then cancel everything and
    // wait for the exchange to confirm.
    engine.run(
        &mut session,
        RunMode::Block,
        Some(Duration::from_secs(seconds)),
    )?;
    session.shutdown(&mut engine, Duration::from_secs(3))?;

    let s = session.strategy.stats;
    println!(
        "{} updates, {} orders, {} fills, position {} (at the quantity scale)",
        s.updates, s.orders, s.fills, session.strategy.position
    );
    println!("{}", latency_table(&session.latency()));
    Ok(())
}
