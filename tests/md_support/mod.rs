//! What the market-data integration tests share: a session on the simulator, and comparing the client's books
//! with the simulator's own.
#![allow(dead_code)]

use ascendex_hft::engine::Engine;
use ascendex_hft::net::tls::client_config;
use ascendex_hft::num::{Scale, format_scaled};
use ascendex_hft::orders::types::SymbolId;
use ascendex_hft::strategy::Strategy;
use ascendex_hft::venue::ascendex::auth::KeyDerivation;
use ascendex_hft::venue::ascendex::session::market::MarketState;
use ascendex_hft::venue::ascendex::session::{
    MarketConfig, SESSION_TIMERS, Session, SessionConfig, TradingConfig, bootstrap,
};
use ascendex_sim::SimHandle;

/// Asserts that every symbol's book (ids in `syms` order) is live, at the simulator's seqnum, and equal to the
/// simulator's book level by level, to the client's configured depth, with both spelled the same way.
pub fn assert_books_match(sim: &SimHandle, market: &MarketState, syms: &[impl AsRef<str>]) {
    for (i, name) in syms.iter().enumerate() {
        let id = SymbolId(i as u16);
        let name = name.as_ref();
        let view = sim.book(name).expect("known symbol");
        assert!(market.is_live(id), "{name} not live");
        assert_eq!(market.seqnum(id), Some(view.seqnum), "{name} seqnum");
        let (ps, qs) = market.scales(id).expect("scales");
        let book = market.book(id).expect("book");
        let depth = book.depth();
        let mine = |side: ascendex_hft::book::Levels<'_>| -> Vec<(String, String)> {
            side.map(|l| (dec(l.price.0, ps), dec(l.qty.0, qs)))
                .collect()
        };
        let theirs = |v: &[(String, String)]| -> Vec<(String, String)> {
            v.iter()
                .take(depth)
                .map(|(p, q)| (norm(p), norm(q)))
                .collect()
        };
        assert!(
            view.bids.len() >= 8 && view.asks.len() >= 8,
            "{name}: thin book"
        );
        assert_eq!(mine(book.bids()), theirs(&view.bids), "{name} bids");
        assert_eq!(mine(book.asks()), theirs(&view.asks), "{name} asks");
    }
}

/// A scaled value spelled as `norm` spells it.
pub fn dec(m: i64, s: Scale) -> String {
    let mut buf = [0u8; 48];
    let n = format_scaled(m, s, &mut buf).expect("formats");
    norm(std::str::from_utf8(&buf[..n]).expect("ascii"))
}

/// The same value spelled one way: no trailing zeros after the point, no bare point.
pub fn norm(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// An engine trusting the simulator's CA and a market-data-only session (no credentials) for `syms` on it.
pub fn market_session<S: Strategy>(
    sim: &SimHandle,
    market: MarketConfig,
    syms: &[&str],
    strategy: S,
) -> (Engine, Session<S>) {
    let mut engine = Engine::new(
        client_config(Some(&sim.ca_file())).expect("CA loads"),
        SESSION_TIMERS,
    )
    .expect("engine");
    let cfg = SessionConfig {
        rest_url: sim.rest_url(),
        ws_url: sim.ws_url(),
        ca_file: Some(sim.ca_file()),
        account_group: None,
        symbols: syms.iter().map(|s| s.to_string()).collect(),
        credentials: None,
        key_derivation: KeyDerivation::default(),
        market,
        trading: TradingConfig::default(),
    };
    let session = bootstrap::start(&mut engine, cfg, strategy).expect("session");
    (engine, session)
}
