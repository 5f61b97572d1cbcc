//! `mm`: runs the sample market maker (`crate::strategies::market_maker`) on a session, prints its fills as they happen, and
//! on exit its final balances and the latency report. Also the pieces `demo` shares: sizing from the trading
//! rules, fill lines, the run-and-shut-down loop.

use std::time::Duration;

use serde::Serialize;

use super::args::{Global, MmArgs};
use super::out::{CliError, CliResult, Out};
use crate::builder::{Run, Trader, TraderError};
use crate::engine::Engine;
use crate::metrics::Latency;
use crate::orders::scaled::format_scaled;
use crate::orders::types::{Fill, SymbolId};
pub use crate::strategies::{MarketMaker, MmParams, MmStats};
use crate::venue::ascendex::session::{Leftovers, MarketConfig, Session, TradingConfig};

fn fmt(m: i64, scale: u8) -> String {
    let mut b = [0u8; 48];
    match format_scaled(m, scale, &mut b) {
        Ok(n) => String::from_utf8_lossy(&b[..n]).into_owned(),
        Err(_) => m.to_string(),
    }
}

/// How a fill is printed: the symbol's name and scales.
#[derive(Clone, Debug)]
pub struct FillFormat {
    pub symbol: String,
    pub price_scale: u8,
    pub qty_scale: u8,
    pub fee_scale: u8,
    pub fee_asset: String,
}

#[derive(Serialize)]
struct FillLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "orderId")]
    order_id: &'a str,
    symbol: &'a str,
    side: &'static str,
    price: String,
    qty: String,
    fee: String,
    #[serde(rename = "feeAsset")]
    fee_asset: &'a str,
    ts: i64,
}

/// Prints and clears the fills the strategy collected.
pub fn print_fills(out: Out, f: &FillFormat, fills: &mut Vec<Fill>) {
    for x in fills.drain(..) {
        let line = FillLine {
            kind: "fill",
            order_id: x.order_id.as_str(),
            symbol: &f.symbol,
            side: x.side.as_lower(),
            price: fmt(x.price, f.price_scale),
            qty: fmt(x.qty, f.qty_scale),
            fee: fmt(x.fee, f.fee_scale),
            fee_asset: &f.fee_asset,
            ts: x.ts_ms,
        };
        if out.json {
            out.json_line(&line);
        } else {
            out.text(&format!(
                "fill  {} {:<4} {} @ {}  fee {} {}  order {}",
                f.symbol, line.side, line.qty, line.price, line.fee, f.fee_asset, line.order_id
            ));
        }
    }
}

/// The percentile table of every probe (the metrics module's format).
pub fn latency_table(l: &Latency) -> String {
    crate::metrics::report::table(l)
}

/// One `{"type":"latency",...}` line per probe.
pub fn latency_json(out: Out, l: &Latency) {
    for line in crate::metrics::report::json_lines(l) {
        out.raw_line(&line);
    }
}

/// The client-id prefix of `mm`'s orders, and the tag that marks them inside the exchange's order ids (what
/// ownership rests on: `mm` cancels, at start and on exit, only open orders whose id ends in this tag).
pub const MM_CLIENT_ID_PREFIX: &str = "mm";
pub const MM_CLIENT_ID_TAG: u8 = b'm';
/// Exact levels per side `mm` keeps (it quotes off the best bid and ask).
pub const MM_BOOK_DEPTH: usize = 5;

/// Parameters from the command line and the symbol's rules. The default size is the smallest order the
/// exchange takes at the current price (minimum quantity and minimum notional, with 10 % margin).
pub fn params_for(
    rules: &crate::venue::ascendex::rules::SymbolRules,
    symbol: SymbolId,
    spread_bps: u32,
    size: Option<&str>,
    ref_price: i64,
) -> CliResult<MmParams> {
    let size = match size {
        Some(s) => {
            let d = crate::orders::scaled::Dec::parse(s.as_bytes())
                .map_err(|e| CliError::usage(format!("--size {s:?}: {e}")))?;
            let q = d.at_scale(rules.qty_scale).map_err(|_| {
                CliError::usage(format!(
                    "--size {s} is finer than the lot size {}",
                    fmt(rules.lot, rules.qty_scale)
                ))
            })?;
            if q % rules.lot != 0 || q < rules.min_qty.max(rules.lot) {
                return Err(CliError::usage(format!(
                    "--size {s} must be a multiple of the lot size {} and at least {}",
                    fmt(rules.lot, rules.qty_scale),
                    fmt(rules.min_qty.max(rules.lot), rules.qty_scale)
                )));
            }
            Some(q)
        }
        None => None,
    };
    MmParams::for_rules(rules, symbol, spread_bps, size, ref_price).map_err(|e| {
        let flag = if e.contains("spread") {
            "--spread-bps"
        } else {
            "--size"
        };
        CliError::usage(format!("{flag}: {e}"))
    })
}

/// Runs the market maker on a started session for `seconds` (or until Ctrl-C), printing fills as they happen
/// and a progress line per `progress` interval; cancels its orders on exit.
#[allow(clippy::too_many_arguments)]
pub fn drive(
    engine: &mut Engine,
    session: &mut Session<MarketMaker>,
    mode: crate::engine::RunMode,
    seconds: Option<u64>,
    out: Out,
    fmt_fill: &FillFormat,
    mut progress: impl FnMut(&Session<MarketMaker>, Duration),
) -> CliResult {
    let r = super::stream::run_slices(
        engine,
        session,
        mode,
        seconds.map(Duration::from_secs),
        Duration::from_millis(250),
        out,
        |s, t| {
            print_fills(out, fmt_fill, &mut s.strategy.fills);
            progress(s, t);
            true
        },
    );
    // Cancel everything we placed, whatever happened above.
    let shut = session.shutdown(engine, Duration::from_secs(3));
    print_fills(out, fmt_fill, &mut session.strategy.fills);
    r?;
    shut.map_err(|e| CliError::network(format!("shutting down: {e}")))
}

pub fn run(g: &Global, out: Out, a: &MmArgs) -> CliResult {
    super::market::check_spelling(&a.symbol)?;
    let mut api = super::api(g)?;
    if !a.paper {
        api.require_credentials()?;
    }
    let rules = api.rules()?;
    let r = super::market::check_symbol(&rules, &a.symbol)?.clone();
    let mut p = Vec::new();
    crate::venue::ascendex::rest::market::ticker_path(&mut p, &[&a.symbol]);
    let t = api.public(&String::from_utf8_lossy(&p))?;
    let ask = t
        .get("ask")
        .and_then(|v| v.get(0))
        .and_then(|v| v.as_str())
        .and_then(|s| crate::orders::scaled::parse_scaled(s.as_bytes(), r.price_scale).ok())
        .unwrap_or(0);
    let params = params_for(&r, SymbolId(0), a.spread_bps, a.size.as_deref(), ask)?;
    // Paper trading: fills simulated against the live book, no credentials, nothing sent.
    let creds = if a.paper {
        None
    } else {
        super::credentials(g)?.ok()
    };
    let paper = a.paper.then(|| crate::paper::PaperConfig {
        balances: vec![
            (r.quote.clone(), "100000".into()),
            (r.base.clone(), fmt(params.max_position * 10, r.qty_scale)),
        ],
        ..crate::paper::PaperConfig::default()
    });
    // mm's orders carry its own client-id prefix and tag: it cancels only those, on exit and at start.
    let trading = TradingConfig {
        cancel_on_shutdown: true,
        paper,
        client_id_prefix: MM_CLIENT_ID_PREFIX.into(),
        client_id_tag: MM_CLIENT_ID_TAG,
        leftovers: if a.adopt {
            Leftovers::Adopt
        } else {
            Leftovers::Cancel
        },
        ..TradingConfig::default()
    };
    // The market maker reads only the top of the book: asking for more exact levels than it needs would make a
    // sparse book (levels far apart) fail to fit the price window and never sync.
    let market = MarketConfig {
        book_depth: MM_BOOK_DEPTH,
        ..MarketConfig::default()
    };
    let cfg = super::stream::session_config(g, vec![a.symbol.clone()], creds, market, trading)?;
    // The same builder a user's program runs a strategy through.
    let mut t = Trader::ascendex()
        .rest_url(cfg.rest_url)
        .ws_url(cfg.ws_url)
        .symbol(&a.symbol)
        .market_config(cfg.market)
        .trading_config(cfg.trading);
    if let Some(ca) = cfg.ca_file {
        t = t.ca_file(ca);
    }
    if let Some(group) = cfg.account_group {
        t = t.account_group(group);
    }
    t = match cfg.credentials {
        Some(c) => t.credentials(c),
        None => t.market_data_only(),
    };
    t = match super::stream::mode_for(g.core) {
        crate::engine::RunMode::Spin { core } => t.spin(core),
        crate::engine::RunMode::Block => t.block(),
    };
    if let Some(s) = a.seconds {
        t = t.run_for(Duration::from_secs(s));
    }
    let ff = FillFormat {
        symbol: a.symbol.clone(),
        price_scale: r.price_scale,
        qty_scale: r.qty_scale,
        fee_scale: fee_scale(),
        fee_asset: r.quote.clone(),
    };
    if !out.json {
        out.text(&format!(
            "market making {}: size {} {}, spread {} bps, max position {}{}",
            a.symbol,
            fmt(params.size, r.qty_scale),
            r.base,
            a.spread_bps,
            fmt(params.max_position, r.qty_scale),
            if a.paper { " (paper)" } else { "" }
        ));
    }
    let mut said_start = false;
    let mut run = t
        .run_observed(
            |_| Ok::<_, String>(MarketMaker::new(params)),
            |mm, p| {
                if p.started && !said_start {
                    said_start = true;
                    start_note(out, p);
                }
                print_fills(out, &ff, &mut mm.fills);
                true
            },
        )
        .map_err(trader_error)?;
    print_fills(out, &ff, &mut run.strategy.fills);
    if let Some(core) = run.pin_failed {
        out.note(&format!(
            "could not pin the event loop to core {core}: ran in blocking mode instead"
        ));
    }
    summary(&mut api, out, &run, &r)?;
    never_quoted(&run)
}

/// A run that placed nothing fails, saying why: a book that never synced, an order refused before sending (size,
/// notional, balance, limits), or the exchange refusing every quote.
fn never_quoted(run: &Run<MarketMaker>) -> CliResult {
    let st = run.strategy.stats;
    if st.orders > 0 && st.rejects < st.orders {
        return Ok(());
    }
    if st.orders > 0 {
        return Err(CliError::rejected(
            super::out::Exit::Rejected as i64,
            format!(
                "mm: the exchange rejected every quote ({} of {})",
                st.rejects, st.orders
            ),
        ));
    }
    if let Some(e) = &run.strategy.first_refusal {
        return Err(CliError::usage(format!("mm quoted nothing: {e}")));
    }
    let why = if run.book_notes.is_empty() {
        "no book update arrived".to_string()
    } else {
        run.book_notes.join("; ")
    };
    Err(CliError::network(format!("mm quoted nothing: {why}")))
}

/// What `mm` found on the account before its first quote.
fn start_note(out: Out, p: &crate::builder::Progress) {
    if p.leftovers_cancelled > 0 {
        out.note(&format!(
            "cancelled {} open order(s) an earlier run left (client-id tag '{}') before quoting",
            p.leftovers_cancelled, MM_CLIENT_ID_TAG as char
        ));
    } else if p.adopted > 0 {
        out.note(&format!(
            "adopted {} open order(s) an earlier run left (--adopt): they are cancelled on exit",
            p.adopted
        ));
    }
    if p.foreign_orders > 0 {
        out.note(&format!(
            "{} open order(s) of other programs on the account: left alone",
            p.foreign_orders
        ));
    }
}

/// A run's failure as the user sees it (exit codes of DESIGN §4).
pub fn trader_error(e: TraderError) -> CliError {
    match e {
        TraderError::Session(e) => super::stream::session_error(e),
        TraderError::NoSymbols
        | TraderError::Strategy(_)
        | TraderError::Credentials(_)
        | TraderError::BadUrl(_) => CliError::usage(e.to_string()),
        TraderError::Simulator(_) | TraderError::Engine(_) => CliError::network(e.to_string()),
    }
}

/// Scale of fee amounts in fills (the session's asset scale for balances and commissions).
pub fn fee_scale() -> u8 {
    TradingConfig::default().asset_scale
}

/// Final balances and the latency report.
fn summary(
    api: &mut super::api::Api,
    out: Out,
    run: &Run<MarketMaker>,
    r: &crate::venue::ascendex::rules::SymbolRules,
) -> CliResult {
    let st = run.strategy.stats;
    if out.json {
        #[derive(Serialize)]
        struct Summary {
            #[serde(rename = "type")]
            kind: &'static str,
            updates: u64,
            orders: u64,
            cancels: u64,
            fills: u64,
            rejects: u64,
            position: String,
        }
        out.json_line(&Summary {
            kind: "summary",
            updates: st.updates,
            orders: st.orders,
            cancels: st.cancels,
            fills: st.fills,
            rejects: st.rejects,
            position: fmt(run.strategy.position, r.qty_scale),
        });
    } else {
        out.text(&format!(
            "\n{} book updates, {} orders, {} cancels, {} fills, {} rejects; position {} {}",
            st.updates,
            st.orders,
            st.cancels,
            st.fills,
            st.rejects,
            fmt(run.strategy.position, r.qty_scale),
            r.base
        ));
        out.text("\nfinal balances:");
    }
    if run.paper {
        let scale = run.asset_scale;
        let rows: Vec<[String; 3]> = [&r.base, &r.quote]
            .into_iter()
            .filter_map(|name| {
                let b = run.balances.iter().find(|b| &b.asset == name)?;
                Some([name.clone(), fmt(b.total, scale), fmt(b.available, scale)])
            })
            .collect();
        super::account::print_balances(out, &rows);
    } else if api.require_credentials().is_ok() {
        super::account::balance(api, out)?;
    }
    if out.json {
        latency_json(out, &run.latency);
    } else {
        out.text("\nlatency:");
        out.text(&latency_table(&run.latency));
    }
    Ok(())
}
