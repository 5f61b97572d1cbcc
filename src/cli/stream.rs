//! `book` and `trades`: a market-data session whose strategy prints. Also the session plumbing `mm` and `demo`
//! share: configuration from the global options, start-up errors mapped to exit statuses, running in slices so
//! the command can report progress and notice Ctrl-C, and the pin-or-block fallback.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::args::{BookArgs, Global, TradesArgs};
use super::check::{Sign, Source};
use super::market::{check_spelling, check_symbol};
use super::out::{CliError, CliResult, Exit, Out, table};
use crate::book::Book;
use crate::engine::{
    ConnId, ConnState, Cx, DisconnectReason, Engine, EngineError, Handler, RunMode,
};
use crate::net::http::{HttpError, Response};
use crate::num::{Scale, format_scaled};
use crate::orders::types::SymbolId;
use crate::strategy::{BookStatus, BookUpdate, Ctx, Strategy};
use crate::venue::ascendex::auth::{Credentials, KeyDerivation};
use crate::venue::ascendex::rest::market::{Product, parse_products};
use crate::venue::ascendex::session::bootstrap::{SessionError, start};
use crate::venue::ascendex::session::{
    MarketConfig, SESSION_TIMERS, Session, SessionConfig, TradingConfig,
};
use crate::venue::ascendex::stream::market::Trade;

use crate::engine::signals::{INTERRUPTED, catch_interrupts, interrupted};

/// A session error as the user sees it.
pub fn session_error(e: SessionError) -> CliError {
    let msg = e.to_string();
    match e {
        SessionError::Tls(_) | SessionError::Rest { .. } | SessionError::Engine(_) => {
            CliError::network(msg)
        }
        SessionError::Exchange { .. } => CliError::rejected(Exit::Rejected as i64, msg),
        SessionError::Auth(_) => CliError::auth(Exit::Auth as i64, msg),
        SessionError::Credentials(_) | SessionError::UnknownSymbol(_) => CliError::usage(msg),
    }
}

/// The session configuration from the global options.
pub fn session_config(
    g: &Global,
    symbols: Vec<String>,
    credentials: Option<Credentials>,
    mut market: MarketConfig,
    mut trading: TradingConfig,
) -> CliResult<SessionConfig> {
    market.silence_ms = g.md_silence_ms;
    trading.silence_ms = g.trade_silence_ms;
    let ws_url = match &g.ws_url {
        Some(u) => u.clone(),
        None => super::derive_ws_url(&g.rest_url)?,
    };
    Ok(SessionConfig {
        rest_url: g.rest_url.trim_end_matches('/').to_string(),
        ws_url,
        ca_file: g.ca_file.clone(),
        account_group: g.account_group,
        symbols,
        credentials,
        key_derivation: KeyDerivation::RawSecret,
        market,
        trading,
    })
}

/// The listed product of `symbol` (scales for printing), checked before any stream is opened.
pub fn product(g: &Global, symbol: &str) -> CliResult<Product> {
    check_spelling(symbol)?;
    let api = super::api(g)?;
    // One request serves both the rules (the symbol check) and the product (the scales).
    let mut p = Vec::new();
    crate::venue::ascendex::rest::market::products_path(
        &mut p,
        crate::venue::ascendex::rest::market::ProductCategory::Cash,
    );
    let path = String::from_utf8_lossy(&p).into_owned();
    let name = api.request_name("GET", &path);
    let body = api.public(&path)?;
    let raw = serde_json::json!({"code": 0, "data": body}).to_string();
    let rules = crate::venue::ascendex::rules::RulesTable::from_products_json(raw.as_bytes())
        .map_err(|e| CliError::network(format!("{name}: trading rules: {e}")))?;
    check_symbol(&rules, symbol)?;
    parse_products(raw.as_bytes())
        .map_err(|e| CliError::network(format!("{name}: products: {e}")))?
        .into_iter()
        .find(|p| p.symbol == symbol)
        .ok_or_else(|| CliError::usage(format!("unknown symbol {symbol}")))
}

/// How the loop runs: spin pinned to `--core` when given, else block.
pub fn mode_for(core: Option<usize>) -> RunMode {
    match core {
        Some(c) => RunMode::Spin { core: Some(c) },
        None => RunMode::Block,
    }
}

/// Runs `session` until `until` says stop, the time limit passes, or Ctrl-C, calling `tick` between slices.
/// A pinning failure falls back to blocking mode with a note.
pub fn run_slices<S: Strategy>(
    engine: &mut Engine,
    session: &mut Session<S>,
    mut mode: RunMode,
    total: Option<Duration>,
    slice: Duration,
    out: Out,
    mut tick: impl FnMut(&mut Session<S>, Duration) -> bool,
) -> CliResult {
    catch_interrupts();
    engine.stop_on(&INTERRUPTED);
    let start = Instant::now();
    loop {
        let left = total.map(|t| t.saturating_sub(start.elapsed()));
        if left == Some(Duration::ZERO) || interrupted() {
            return Ok(());
        }
        let this = left.map_or(slice, |l| l.min(slice));
        match engine.run(session, mode, Some(this)) {
            Ok(()) => {}
            Err(EngineError::Pin(core)) => {
                out.note(&format!(
                    "could not pin the event loop to core {core}: running in blocking mode instead"
                ));
                mode = RunMode::Block;
                continue;
            }
            Err(e) => return Err(CliError::network(e.to_string())),
        }
        if !tick(session, start.elapsed()) {
            return Ok(());
        }
    }
}

/// A size without the trailing zeros of the book's extra decimals (`0.033320000` → `0.03332`).
fn fmt_qty(m: i64, scale: Scale) -> String {
    let s = fmt_num(m, scale);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn fmt_num(m: i64, scale: Scale) -> String {
    let mut b = [0u8; 48];
    match format_scaled(m, scale, &mut b) {
        Ok(n) => String::from_utf8_lossy(&b[..n]).into_owned(),
        Err(_) => m.to_string(),
    }
}

#[derive(Serialize)]
struct BookLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    symbol: &'a str,
    seqnum: u64,
    ts: u64,
    bids: Vec<[String; 2]>,
    asks: Vec<[String; 2]>,
}

#[derive(Serialize)]
struct ResyncLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    symbol: &'a str,
    reason: &'a str,
}

/// The book as last shown: seqnum, ts, bids, asks (formatted).
type Shown = (u64, u64, Vec<[String; 2]>, Vec<[String; 2]>);

/// Prints the book (a CLI tool: formatting here is fine, it is not the trading hot path).
struct BookPrinter {
    out: Out,
    symbol: String,
    depth: usize,
    price: Scale,
    qty: Scale,
    max_updates: Option<u64>,
    lines: u64,
    live: bool,
    last_draw: Option<Instant>,
    last: Option<Shown>,
    /// A value that failed the output check: the command stops and exits with it.
    failed: Option<CliError>,
    /// What an output-check error names as the source.
    source: String,
}

impl BookPrinter {
    fn done(&self) -> bool {
        self.max_updates.is_some_and(|m| self.lines >= m)
    }

    fn side(
        &self,
        it: impl Iterator<Item = crate::book::Level>,
        what: &str,
    ) -> CliResult<Vec<[String; 2]>> {
        let src = Source {
            request: &self.source,
        };
        it.take(self.depth)
            .map(|l| {
                Ok([
                    src.decimal(what, &fmt_num(l.price.0, self.price), Sign::Unsigned, None)?,
                    src.decimal(what, &fmt_qty(l.qty.0, self.qty), Sign::Unsigned, None)?,
                ])
            })
            .collect()
    }

    fn draw(&self) -> String {
        let Some((seq, ts, bids, asks)) = &self.last else {
            return String::new();
        };
        let n = bids.len().max(asks.len());
        let rows: Vec<Vec<String>> = (0..n)
            .map(|i| {
                let b = bids.get(i);
                let a = asks.get(i);
                vec![
                    b.map_or(String::new(), |l| l[1].clone()),
                    b.map_or(String::new(), |l| l[0].clone()),
                    a.map_or(String::new(), |l| l[0].clone()),
                    a.map_or(String::new(), |l| l[1].clone()),
                ]
            })
            .collect();
        format!(
            "{}  seqnum {seq}  {}\n{}",
            self.symbol,
            super::market::utc(*ts),
            table(
                &["bid size", "bid", "ask", "ask size"],
                &[true, true, true, true],
                &rows
            )
        )
    }
}

impl Strategy for BookPrinter {
    fn on_book(&mut self, ctx: &mut impl Ctx, _s: SymbolId, book: &Book, u: &BookUpdate) {
        // More updates can arrive in the loop iteration that `stop` ends: they are not printed.
        if self.done() || self.failed.is_some() {
            return;
        }
        let (bids, asks) = match (
            self.side(book.bids(), "bids"),
            self.side(book.asks(), "asks"),
        ) {
            (Ok(b), Ok(a)) => (b, a),
            (Err(e), _) | (_, Err(e)) => {
                self.failed = Some(e);
                ctx.stop();
                return;
            }
        };
        if self.out.json {
            self.out.json_line(&BookLine {
                kind: "book",
                symbol: &self.symbol,
                seqnum: u.seqnum,
                ts: u.ts_ms,
                bids: bids.clone(),
                asks: asks.clone(),
            });
        }
        self.last = Some((u.seqnum, u.ts_ms, bids, asks));
        self.lines += 1;
        if !self.out.json && self.live {
            let due = self
                .last_draw
                .is_none_or(|t| t.elapsed() >= Duration::from_millis(100));
            if due {
                self.last_draw = Some(Instant::now());
                // Clear the screen and redraw from the top left.
                self.out.text(&format!("\x1b[2J\x1b[H{}", self.draw()));
            }
        } else if !self.out.json {
            let top = |v: &Option<Shown>, bid: bool| {
                v.as_ref()
                    .and_then(|l| if bid { l.2.first() } else { l.3.first() })
                    .map_or("-".to_string(), |l| format!("{} x {}", l[0], l[1]))
            };
            self.out.text(&format!(
                "{}  seqnum {}  bid {}  ask {}",
                self.symbol,
                u.seqnum,
                top(&self.last, true),
                top(&self.last, false)
            ));
        }
        if self.max_updates.is_some_and(|m| self.lines >= m) {
            ctx.stop();
        }
    }

    fn on_book_status(&mut self, _ctx: &mut impl Ctx, _s: SymbolId, status: BookStatus) {
        if self.done() {
            return;
        }
        if let BookStatus::Stale(reason) = status {
            if self.out.json {
                self.out.json_line(&ResyncLine {
                    kind: "resync",
                    symbol: &self.symbol,
                    reason: reason.as_str(),
                });
            } else {
                self.out.note(&format!(
                    "{}: book rebuilding ({})",
                    self.symbol,
                    reason.as_str()
                ));
            }
        }
    }
}

/// How long a market stream may stay down (never opened, or lost) while retrying before the command gives up
/// with exit 4: long enough for the session's backoff to try several times, short enough that a wrong
/// `--ws-url` is reported rather than waited on.
pub const STREAM_GIVE_UP: Duration = Duration::from_secs(10);

/// The session as the engine sees it, plus a watch on the market stream's connection: its first failure is
/// said on stderr at once (the TLS or HTTP reason), later ones are counted, and how long it has been down is kept
/// so the command can give up.
struct Watch<'a, S: Strategy> {
    session: &'a mut Session<S>,
    out: Out,
    url: String,
    ever_open: bool,
    first_failure: Option<String>,
    failures: u32,
    down_since: Option<Instant>,
}

impl<S: Strategy> Handler for Watch<'_, S> {
    fn on_state(
        &mut self,
        cx: &mut Cx<'_>,
        conn: ConnId,
        state: ConnState,
        reason: Option<&DisconnectReason>,
    ) {
        if conn == self.session.conns.md {
            if state == ConnState::Open {
                if self.failures > 0 {
                    self.out
                        .note(&format!("market stream {}: connected", self.url));
                }
                self.ever_open = true;
                self.down_since = None;
            } else if let Some(r) = reason {
                self.failures += 1;
                if self.first_failure.is_none() {
                    // A state change, not a message: formatting here costs nothing on the data path.
                    self.out.warn(&format!(
                        "market stream {}: {r}; retrying with backoff (giving up after {} s down)",
                        self.url,
                        STREAM_GIVE_UP.as_secs()
                    ));
                    self.first_failure = Some(r.to_string());
                }
                self.down_since.get_or_insert_with(Instant::now);
            }
        }
        self.session.on_state(cx, conn, state, reason);
    }
    #[inline]
    fn on_message(&mut self, cx: &mut Cx<'_>, conn: ConnId, msg: &[u8], rx_ns: u64) {
        self.session.on_message(cx, conn, msg, rx_ns);
    }
    fn on_http(&mut self, cx: &mut Cx<'_>, conn: ConnId, result: Result<Response<'_>, &HttpError>) {
        self.session.on_http(cx, conn, result);
    }
    fn on_timer(&mut self, cx: &mut Cx<'_>, id: usize) {
        self.session.on_timer(cx, id);
    }
    fn on_idle(&mut self, cx: &mut Cx<'_>) {
        self.session.on_idle(cx);
    }
}

impl<S: Strategy> Watch<'_, S> {
    /// Exit 4 naming the stream and its first failure.
    fn failed(&self, what: &str) -> CliError {
        CliError::network(format!(
            "market stream {}: {}{what} ({} failed connection attempts): check --ws-url and the network",
            self.url,
            self.first_failure
                .as_deref()
                .unwrap_or("no connection was established"),
            self.failures
        ))
    }
}

/// Runs a market-data session like [`run_slices`], watching its stream: exit 4 when it stays down longer than
/// [`STREAM_GIVE_UP`], or when the run ends without it ever having opened.
fn run_watched<S: Strategy>(
    engine: &mut Engine,
    session: &mut Session<S>,
    g: &Global,
    out: Out,
    total: Option<Duration>,
    mut more: impl FnMut(&Session<S>) -> bool,
) -> CliResult {
    catch_interrupts();
    let url = session_ws_url(g)?;
    let start = Instant::now();
    let mut w = Watch {
        session,
        out,
        url,
        ever_open: false,
        first_failure: None,
        failures: 0,
        down_since: None,
    };
    let mut mode = mode_for(g.core);
    let slice = Duration::from_millis(200);
    let disconnects0 = engine.stats.disconnects;
    loop {
        let left = total.map(|t| t.saturating_sub(start.elapsed()));
        if left == Some(Duration::ZERO) || interrupted() {
            break;
        }
        let this = left.map_or(slice, |l| l.min(slice));
        match engine.run(&mut w, mode, Some(this)) {
            Ok(()) => {}
            Err(EngineError::Pin(core)) => {
                out.note(&format!(
                    "could not pin the event loop to core {core}: running in blocking mode instead"
                ));
                mode = RunMode::Block;
                continue;
            }
            Err(e) => return Err(CliError::network(e.to_string())),
        }
        let down_for = match w.down_since {
            Some(t) => t.elapsed(),
            None if !w.ever_open => start.elapsed(),
            None => Duration::ZERO,
        };
        // A retry that fails inside the engine's connect leaves the state at Backoff, so no callback sees it:
        // count attempts from the engine's disconnect counter instead.
        w.failures = w
            .failures
            .max(u32::try_from(engine.stats.disconnects - disconnects0).unwrap_or(u32::MAX));
        if down_for > STREAM_GIVE_UP {
            return Err(w.failed(&format!("; down for {} s", down_for.as_secs())));
        }
        if !more(w.session) {
            break;
        }
    }
    if !w.ever_open && !interrupted() {
        return Err(w.failed("; it never opened"));
    }
    Ok(())
}

fn session_ws_url(g: &Global) -> CliResult<String> {
    match &g.ws_url {
        Some(u) => Ok(u.clone()),
        None => super::derive_ws_url(&g.rest_url),
    }
}

fn market_session<S: Strategy>(
    g: &Global,
    symbol: &str,
    market: MarketConfig,
    strategy: S,
) -> CliResult<(Engine, Session<S>)> {
    let cfg = session_config(
        g,
        vec![symbol.to_string()],
        None,
        market,
        TradingConfig::default(),
    )?;
    let tls = crate::net::tls::client_config(g.ca_file.as_deref())
        .map_err(|e| CliError::usage(format!("--ca-file: {e}")))?;
    let mut engine =
        Engine::new(tls, SESSION_TIMERS).map_err(|e| CliError::network(e.to_string()))?;
    let session = start(&mut engine, cfg, strategy).map_err(session_error)?;
    Ok((engine, session))
}

pub fn book(g: &Global, out: Out, a: &BookArgs) -> CliResult {
    if a.depth == 0 || a.depth > 500 {
        return Err(CliError::usage("--depth must be between 1 and 500"));
    }
    if a.updates == Some(0) {
        return Err(CliError::usage("--updates must be at least 1"));
    }
    if a.seconds == Some(0) {
        return Err(CliError::usage("--seconds must be at least 1"));
    }
    let p = product(g, &a.symbol)?;
    let printer = BookPrinter {
        out,
        symbol: a.symbol.clone(),
        depth: a.depth,
        price: p.price_scale(),
        qty: p.book_qty_scale(),
        max_updates: a.updates,
        lines: 0,
        live: std::io::stdout().is_terminal(),
        last_draw: None,
        last: None,
        failed: None,
        source: format!("market stream depth:{}", a.symbol),
    };
    // A deeper book than the default needs a proportionally wider price window.
    let d = MarketConfig::default();
    let market = MarketConfig {
        book_depth: d.book_depth.max(a.depth),
        book_window: d.book_window * a.depth.div_ceil(d.book_depth.max(1)).max(1),
        ..d
    };
    let (mut engine, mut session) = market_session(g, &a.symbol, market, printer)?;
    let total = a.seconds.map(Duration::from_secs);
    run_watched(&mut engine, &mut session, g, out, total, |s| {
        s.strategy.failed.is_none() && s.strategy.max_updates.is_none_or(|m| s.strategy.lines < m)
    })?;
    if let Some(e) = session.strategy.failed.take() {
        return Err(e);
    }
    engine.shutdown();
    if !out.json && session.strategy.live {
        out.text(&format!("\x1b[2J\x1b[H{}", session.strategy.draw()));
    }
    if session.strategy.lines == 0 && !interrupted() {
        return Err(CliError::network(format!(
            "no book update for {} arrived: check --ws-url and the network",
            a.symbol
        )));
    }
    Ok(())
}

#[derive(Serialize)]
struct TradeLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    symbol: &'a str,
    price: String,
    qty: String,
    ts: u64,
    side: &'static str,
    seqnum: u64,
}

struct TradePrinter {
    out: Out,
    symbol: String,
    price: Scale,
    qty: Scale,
    count: u64,
    failed: Option<CliError>,
    /// What an output-check error names as the source.
    source: String,
}

impl Strategy for TradePrinter {
    fn on_trade(&mut self, ctx: &mut impl Ctx, _s: SymbolId, t: &Trade) {
        if self.failed.is_some() {
            return;
        }
        let src = Source {
            request: &self.source,
        };
        let checked = src
            .decimal("p", &fmt_num(t.price.0, self.price), Sign::Unsigned, None)
            .and_then(|p| {
                src.decimal("q", &fmt_qty(t.qty.0, self.qty), Sign::Unsigned, None)
                    .map(|q| (p, q))
            });
        let (price, qty) = match checked {
            Ok(x) => x,
            Err(e) => {
                self.failed = Some(e);
                ctx.stop();
                return;
            }
        };
        self.count += 1;
        let line = TradeLine {
            kind: "trade",
            symbol: &self.symbol,
            price,
            qty,
            ts: t.ts,
            side: t.side().as_str(),
            seqnum: t.seqnum,
        };
        if self.out.json {
            self.out.json_line(&line);
        } else {
            self.out.text(&format!(
                "{}  {:<8} {:<4} {:>14} x {:<12} seqnum {}",
                super::market::utc(t.ts),
                self.symbol,
                line.side,
                line.price,
                line.qty,
                t.seqnum
            ));
        }
    }
}

pub fn trades(g: &Global, out: Out, a: &TradesArgs) -> CliResult {
    if a.seconds == Some(0) {
        return Err(CliError::usage("--seconds must be at least 1"));
    }
    let p = product(g, &a.symbol)?;
    let printer = TradePrinter {
        out,
        symbol: a.symbol.clone(),
        price: p.price_scale(),
        qty: p.book_qty_scale(),
        count: 0,
        failed: None,
        source: format!("market stream trades:{}", a.symbol),
    };
    let market = MarketConfig {
        trades: true,
        ..MarketConfig::default()
    };
    let (mut engine, mut session) = market_session(g, &a.symbol, market, printer)?;
    run_watched(
        &mut engine,
        &mut session,
        g,
        out,
        a.seconds.map(Duration::from_secs),
        |s| s.strategy.failed.is_none(),
    )?;
    engine.shutdown();
    match session.strategy.failed.take() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
