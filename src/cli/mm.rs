//! The sample market maker — the template to copy — and the `mm` command that runs it.
//!
//! It quotes one bid and one ask around the mid, `spread_bps` apart, shifted against its inventory (long: both
//! quotes move down, so the ask is likelier to fill). On a change of the best prices it requotes, but never sooner
//! than `min_quote_life` after the last quote (a quote that is cancelled at once earns nothing and burns rate
//! limit). Orders are post-only, so a quote never takes liquidity. Past `max_position` it stops quoting the side
//! that would add to it. Everything it placed is cancelled when the session stops.

use std::time::Duration;

use serde::Serialize;

use super::args::{Global, MmArgs};
use super::out::{CliError, CliResult, Out};
use crate::book::Book;
use crate::engine::Engine;
use crate::metrics::Latency;
use crate::orders::types::{Fill, Side, SymbolId};
use crate::orders::{OrderHandle, scaled::format_scaled};
use crate::strategy::{BookUpdate, Ctx, OrderEvent, OrderEventKind, PlaceRequest, Strategy};
use crate::venue::ascendex::session::{MarketConfig, SESSION_TIMERS, Session, TradingConfig};

/// What the market maker is told. Prices at the symbol's price scale, quantities at its quantity scale.
#[derive(Clone, Copy, Debug)]
pub struct MmParams {
    pub symbol: SymbolId,
    /// Full bid-to-ask distance, basis points of the mid.
    pub spread_bps: i64,
    /// Quote size.
    pub size: i64,
    /// Inventory beyond which the side adding to it is not quoted.
    pub max_position: i64,
    /// The tick (price step) at the price scale.
    pub tick: i64,
    pub min_quote_life_ns: u64,
}

/// Counters the command prints as progress.
#[derive(Clone, Copy, Debug, Default)]
pub struct MmStats {
    pub updates: u64,
    pub orders: u64,
    pub cancels: u64,
    pub fills: u64,
    pub rejects: u64,
    /// Refused before sending (risk or rate limits, not connected yet).
    pub refused: u64,
}

/// One side's resting quote.
#[derive(Clone, Copy, Debug)]
struct Quote {
    handle: OrderHandle,
    price: i64,
}

pub struct MarketMaker {
    p: MmParams,
    bid: Option<Quote>,
    ask: Option<Quote>,
    quoted_at_ns: u64,
    /// Signed inventory from our fills (base asset, quantity scale).
    pub position: i64,
    pub stats: MmStats,
    /// Fills since the caller last drained them (capacity reserved up front; the callback never grows it past that).
    pub fills: Vec<Fill>,
}

impl MarketMaker {
    pub fn new(p: MmParams) -> Self {
        MarketMaker {
            p,
            bid: None,
            ask: None,
            quoted_at_ns: 0,
            position: 0,
            stats: MmStats::default(),
            fills: Vec::with_capacity(4096),
        }
    }

    /// Target (bid, ask) prices for a mid, skewed by inventory: at `max_position` the skew is half the spread.
    fn targets(&self, best_bid: i64, best_ask: i64) -> (i64, i64) {
        let mid = (best_bid + best_ask) / 2;
        let half = (mid as i128 * self.p.spread_bps as i128 / 20_000) as i64;
        let half = half.max(self.p.tick);
        let skew = (half as i128 * self.position as i128 / (2 * self.p.max_position.max(1)) as i128)
            as i64;
        let tick = self.p.tick.max(1);
        let bid = (mid - half - skew).div_euclid(tick) * tick;
        let ask = (mid + half - skew + tick - 1).div_euclid(tick) * tick;
        // Post-only quotes must not cross the book, whatever the skew.
        (bid.min(best_ask - tick), ask.max(best_bid + tick))
    }

    fn requote(&mut self, ctx: &mut Ctx<'_, '_>, side: Side, target: Option<i64>) {
        let slot = match side {
            Side::Buy => &mut self.bid,
            Side::Sell => &mut self.ask,
        };
        if let Some(q) = *slot {
            if Some(q.price) == target {
                return;
            }
            if ctx.cancel(q.handle).is_ok() {
                self.stats.cancels += 1;
                *slot = None;
            } else {
                return;
            }
        }
        let Some(price) = target else { return };
        let req = PlaceRequest::post_only(self.p.symbol, side, price, self.p.size);
        match ctx.place(&req) {
            Ok(handle) => {
                self.stats.orders += 1;
                *slot = Some(Quote { handle, price });
            }
            Err(_) => self.stats.refused += 1,
        }
    }

    fn forget(&mut self, h: OrderHandle) {
        if self.bid.is_some_and(|q| q.handle == h) {
            self.bid = None;
        }
        if self.ask.is_some_and(|q| q.handle == h) {
            self.ask = None;
        }
    }
}

impl Strategy for MarketMaker {
    fn on_book(&mut self, ctx: &mut Ctx<'_, '_>, symbol: SymbolId, book: &Book, u: &BookUpdate) {
        if symbol != self.p.symbol {
            return;
        }
        self.stats.updates += 1;
        // A quote that filled completely is gone: quote that side again.
        for slot in [&mut self.bid, &mut self.ask] {
            if slot.is_some_and(|q| ctx.order(q.handle).is_none_or(|o| o.status.is_terminal())) {
                *slot = None;
            }
        }
        let (Some(bb), Some(ba)) = (book.best_bid(), book.best_ask()) else {
            return;
        };
        let now = ctx.now_ns();
        let missing = self.bid.is_none() || self.ask.is_none();
        if !(u.top_changed || missing) || now < self.quoted_at_ns + self.p.min_quote_life_ns {
            return;
        }
        self.quoted_at_ns = now;
        let (bid, ask) = self.targets(bb.price.0, ba.price.0);
        let m = self.p.max_position;
        self.requote(ctx, Side::Buy, (self.position < m).then_some(bid));
        self.requote(ctx, Side::Sell, (self.position > -m).then_some(ask));
    }

    fn on_order(&mut self, _ctx: &mut Ctx<'_, '_>, ev: &OrderEvent<'_>) {
        match ev.kind {
            OrderEventKind::Canceled => self.forget(ev.handle),
            OrderEventKind::Rejected => {
                self.stats.rejects += 1;
                self.forget(ev.handle);
            }
            _ => {}
        }
        if ev.status.is_terminal() {
            self.forget(ev.handle);
        }
    }

    fn on_fill(&mut self, _ctx: &mut Ctx<'_, '_>, f: &Fill) {
        self.stats.fills += 1;
        self.position += match f.side {
            Side::Buy => f.qty,
            Side::Sell => -f.qty,
        };
        if self.fills.len() < self.fills.capacity() {
            self.fills.push(*f);
        }
    }
}

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
            q
        }
        None => {
            let mut q = rules.min_qty.max(rules.lot);
            if ref_price > 0 {
                // minNotional (at price+qty scale) / price → quantity; 10 % margin; up to a whole lot.
                let need = rules.min_notional * 11 / 10 / ref_price as i128;
                let need = i64::try_from(need).unwrap_or(i64::MAX);
                q = q.max((need + rules.lot - 1) / rules.lot * rules.lot);
            }
            q
        }
    };
    if spread_bps == 0 || spread_bps > 10_000 {
        return Err(CliError::usage("--spread-bps must be between 1 and 10000"));
    }
    Ok(MmParams {
        symbol,
        spread_bps: spread_bps as i64,
        size,
        max_position: size.saturating_mul(5),
        tick: rules.tick,
        min_quote_life_ns: 50_000_000,
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
    let creds = super::credentials(g)?.ok();
    let trading = TradingConfig {
        cancel_on_shutdown: true,
        ..TradingConfig::default()
    };
    let cfg = super::stream::session_config(
        g,
        vec![a.symbol.clone()],
        creds,
        MarketConfig::default(),
        trading,
    )?;
    let tls = crate::net::tls::client_config(g.ca_file.as_deref())
        .map_err(|e| CliError::usage(format!("--ca-file: {e}")))?;
    let mut engine =
        Engine::new(tls, SESSION_TIMERS).map_err(|e| CliError::network(e.to_string()))?;
    let mut session = crate::venue::ascendex::session::bootstrap::start(
        &mut engine,
        cfg,
        MarketMaker::new(params),
    )
    .map_err(super::stream::session_error)?;
    let ff = FillFormat {
        symbol: a.symbol.clone(),
        price_scale: r.price_scale,
        qty_scale: r.qty_scale,
        fee_scale: FEE_SCALE,
        fee_asset: r.quote.clone(),
    };
    if !out.json {
        out.text(&format!(
            "market making {} : size {} {}, spread {} bps, max position {}{}",
            a.symbol,
            fmt(params.size, r.qty_scale),
            r.base,
            a.spread_bps,
            fmt(params.max_position, r.qty_scale),
            if a.paper { " (paper)" } else { "" }
        ));
    }
    drive(
        &mut engine,
        &mut session,
        super::stream::mode_for(g.core),
        a.seconds,
        out,
        &ff,
        |_, _| {},
    )?;
    summary(&mut api, out, &session, &ff, &r)
}

/// Scale of fee amounts in fills (the exchange's asset scale for commissions).
pub const FEE_SCALE: u8 = 9;

/// Final balances and the latency report.
fn summary(
    api: &mut super::api::Api,
    out: Out,
    s: &Session<MarketMaker>,
    _ff: &FillFormat,
    r: &crate::venue::ascendex::rules::SymbolRules,
) -> CliResult {
    let st = s.strategy.stats;
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
            position: fmt(s.strategy.position, r.qty_scale),
        });
    } else {
        out.text(&format!(
            "\n{} book updates, {} orders, {} cancels, {} fills, {} rejects; position {} {}",
            st.updates,
            st.orders,
            st.cancels,
            st.fills,
            st.rejects,
            fmt(s.strategy.position, r.qty_scale),
            r.base
        ));
        out.text("\nfinal balances:");
    }
    if api.require_credentials().is_ok() {
        super::account::balance(api, out)?;
    }
    if out.json {
        latency_json(out, &s.latency());
    } else {
        out.text("\nlatency:");
        out.text(&latency_table(&s.latency()));
    }
    Ok(())
}
