//! `ticker` and `candles`: public one-shot REST.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use super::api::{Api, PACE_BURST};
use super::args::CandlesArgs;
use super::check::{Sign, Source};
use super::out::{CliError, CliResult, Out, table};
use crate::venue::ascendex::rest::market::{
    BarInterval, MAX_BARS, barhist_pages, barhist_path, ticker_path,
};
use crate::venue::ascendex::rules::{RulesTable, SymbolRules};
use crate::venue::ascendex::session::bootstrap::wall_ms;

/// Checks the spelling, then that the exchange lists the symbol (exit 2 otherwise, nothing else sent).
pub fn check_symbol<'r>(rules: &'r RulesTable, symbol: &str) -> CliResult<&'r SymbolRules> {
    if !symbol.contains('/') {
        return Err(CliError::usage(format!(
            "symbol {symbol:?} is not BASE/QUOTE (for example BTC/USDT)"
        )));
    }
    rules.by_name(symbol).ok_or_else(|| {
        let mut some: Vec<&str> = rules
            .iter()
            .map(|(_, r)| r.symbol.as_str())
            .take(6)
            .collect();
        some.sort_unstable();
        CliError::usage(format!(
            "unknown symbol {symbol}: the exchange lists {} symbols, e.g. {}",
            rules.len(),
            some.join(", ")
        ))
    })
}

/// Rejects a malformed symbol before any request.
pub fn check_spelling(symbol: &str) -> CliResult {
    if symbol.contains('/') && !symbol.starts_with('/') && !symbol.ends_with('/') {
        Ok(())
    } else {
        Err(CliError::usage(format!(
            "symbol {symbol:?} is not BASE/QUOTE (for example BTC/USDT)"
        )))
    }
}

#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct TickerLine {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub symbol: String,
    pub bid: Vec<String>,
    pub ask: Vec<String>,
    pub last: String,
    pub ts: u64,
}

/// A `[price, size]` pair; an absent or empty pair is an empty side of the book (printed as `-`).
fn pair(src: &Source<'_>, row: &Value, key: &str, px: Option<u8>) -> CliResult<Vec<String>> {
    match row.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) if a.is_empty() => Ok(Vec::new()),
        Some(Value::Array(a)) if a.len() == 2 => {
            let f = |i: usize, scale| -> CliResult<String> {
                let field = format!("{key}[{i}]");
                match &a[i] {
                    Value::String(s) => src.decimal(&field, s, Sign::Unsigned, scale),
                    v => Err(src.bad(&field, &v.to_string(), "not a decimal string")),
                }
            };
            Ok(vec![f(0, px)?, f(1, None)?])
        }
        Some(v) => Err(src.bad(key, &v.to_string(), "not a [price, size] pair")),
    }
}

/// The ticker line from the answer's `data`, every value checked (the symbol, the decimals at the price scale
/// when the rules are known).
pub fn ticker_line(
    src: &Source<'_>,
    data: &Value,
    symbol: &str,
    price_scale: Option<u8>,
    ts: u64,
) -> CliResult<TickerLine> {
    let row = match data {
        // Several rows: the one about our symbol; an answer about others only is an error below.
        Value::Array(a) => a
            .iter()
            .find(|r| r.get("symbol").and_then(Value::as_str) == Some(symbol))
            .or(a.first())
            .cloned()
            .unwrap_or(Value::Null),
        v => v.clone(),
    };
    src.symbol(&row, "symbol", symbol)?;
    Ok(TickerLine {
        kind: "ticker",
        symbol: symbol.to_string(),
        bid: pair(src, &row, "bid", price_scale)?,
        ask: pair(src, &row, "ask", price_scale)?,
        last: src.decimal_of(&row, "close", Sign::Unsigned, price_scale)?,
        // The ticker carries no time: this is when the answer arrived.
        ts,
    })
}

pub fn ticker_text(line: &TickerLine) -> String {
    let side = |v: &[String]| match v {
        [p, q] => (p.clone(), q.clone()),
        _ => ("-".into(), "-".into()),
    };
    let (bp, bq) = side(&line.bid);
    let (ap, aq) = side(&line.ask);
    table(
        &["symbol", "bid size", "bid", "ask", "ask size", "last"],
        &[false, true, true, true, true, true],
        &[vec![line.symbol.clone(), bq, bp, ap, aq, line.last.clone()]],
    )
}

pub fn ticker(api: &Api, out: Out, symbol: &str) -> CliResult {
    check_spelling(symbol)?;
    // The rules only add the symbol check and the price scale: without them the grammar is still checked.
    let rules = api.optional_rules(out, "the symbol check and the price scale");
    let scale = match &rules {
        Some(r) => Some(check_symbol(r, symbol)?.price_scale),
        None => None,
    };
    let mut p = Vec::new();
    ticker_path(&mut p, &[symbol]);
    let path = String::from_utf8_lossy(&p).into_owned();
    let data = api.public(&path)?;
    let name = api.request_name("GET", &path);
    let line = ticker_line(&Source { request: &name }, &data, symbol, scale, wall_ms())?;
    if out.json {
        out.json_line(&line);
    } else {
        out.text(&ticker_text(&line));
    }
    Ok(())
}

#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct CandleLine {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub symbol: String,
    pub interval: String,
    pub ts: u64,
    pub open: String,
    pub high: String,
    pub low: String,
    pub close: String,
    pub volume: String,
}

/// The candles of one barhist answer, oldest first, every value checked: the symbol and interval each row is
/// about, a bar start inside `[from, to]`, the prices at the price scale (when known), the volume a decimal.
pub fn candles_of(
    src: &Source<'_>,
    data: &Value,
    symbol: &str,
    interval: &str,
    price_scale: Option<u8>,
    (from, to): (u64, u64),
) -> CliResult<Vec<CandleLine>> {
    let rows = match data {
        Value::Array(a) => a.as_slice(),
        Value::Null => &[],
        v => return Err(src.bad("data", &v.to_string(), "not a list of bars")),
    };
    let mut v = Vec::with_capacity(rows.len());
    for row in rows {
        if row.get("s").is_some() {
            src.symbol(row, "s", symbol)?;
        }
        let d = row.get("data").unwrap_or(row);
        if d.get("i").and_then(Value::as_str) != Some(interval) {
            let got = d.get("i").map_or(String::new(), Value::to_string);
            return Err(src.bad(
                "i",
                &got,
                format!("not the interval asked for ({interval})"),
            ));
        }
        let ts = src.ts_of(d, "ts")?;
        if ts < from || ts > to {
            return Err(src.bad(
                "ts",
                &ts.to_string(),
                format!("outside the requested range {from}..={to}"),
            ));
        }
        let px = |k: &str| src.decimal_of(d, k, Sign::Unsigned, price_scale);
        v.push(CandleLine {
            kind: "candle",
            symbol: symbol.to_string(),
            interval: interval.to_string(),
            ts,
            open: px("o")?,
            high: px("h")?,
            low: px("l")?,
            close: px("c")?,
            volume: src.decimal_of(d, "v", Sign::Unsigned, None)?,
        });
    }
    v.sort_by_key(|c| c.ts);
    v.dedup_by_key(|c| c.ts);
    Ok(v)
}

const CANDLE_HEADERS: [&str; 6] = ["start (UTC)", "open", "high", "low", "close", "volume"];
const CANDLE_RIGHT: [bool; 6] = [false, true, true, true, true, true];

fn candle_row(b: &CandleLine) -> Vec<String> {
    vec![
        utc(b.ts),
        b.open.clone(),
        b.high.clone(),
        b.low.clone(),
        b.close.clone(),
        b.volume.clone(),
    ]
}

/// Prints candles as pages arrive. A single page is one aligned table; when paging, the table's widths come from
/// the first page (later wider cells push their row out, never hold output back).
struct CandlePrinter {
    out: Out,
    /// More than one page: the table is printed page by page with widths fixed by the first.
    paging: bool,
    header_done: bool,
    widths: Vec<usize>,
    printed: u64,
    last_ts: Option<u64>,
}

impl CandlePrinter {
    fn page(&mut self, bars: &[CandleLine]) {
        let fresh: Vec<&CandleLine> = bars
            .iter()
            .filter(|b| self.last_ts.is_none_or(|t| b.ts > t))
            .collect();
        let Some(last) = fresh.last() else {
            return;
        };
        self.last_ts = Some(last.ts);
        self.printed += fresh.len() as u64;
        if self.out.json {
            for b in fresh {
                self.out.json_line(b);
            }
            return;
        }
        let rows: Vec<Vec<String>> = fresh.iter().map(|b| candle_row(b)).collect();
        if !self.paging {
            self.out.text(&table(&CANDLE_HEADERS, &CANDLE_RIGHT, &rows));
            return;
        }
        let mut s = String::new();
        if !self.header_done {
            self.header_done = true;
            // Widths from the first page, with room for a few more digits: later pages keep them, so columns
            // stay aligned unless a value grows by more than that (then its row is pushed out, never held back).
            self.widths = (0..CANDLE_HEADERS.len())
                .map(|i| {
                    let w = rows
                        .iter()
                        .map(|r| r[i].len())
                        .chain([CANDLE_HEADERS[i].len()])
                        .max()
                        .unwrap_or(0);
                    if CANDLE_RIGHT[i] { w + 3 } else { w }
                })
                .collect();
            let header: Vec<String> = CANDLE_HEADERS.iter().map(|h| h.to_string()).collect();
            self.line(&mut s, &header);
        }
        for r in &rows {
            self.line(&mut s, r);
        }
        s.pop();
        self.out.text(&s);
    }

    fn line(&self, s: &mut String, cells: &[String]) {
        let mut line = String::new();
        for (i, c) in cells.iter().enumerate() {
            let w = self.widths.get(i).copied().unwrap_or(0);
            if i > 0 {
                line.push_str("  ");
            }
            if CANDLE_RIGHT[i] {
                line.push_str(&format!("{c:>w$}"));
            } else {
                line.push_str(&format!("{c:<w$}"));
            }
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
}

/// Progress on stderr for paging that takes more than a second: a line at most once a second.
struct Progress {
    started: Instant,
    last: Option<Instant>,
}

impl Progress {
    fn tick(&mut self, what: &str) {
        let due = self.started.elapsed() >= Duration::from_secs(1)
            && self
                .last
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
        if due {
            self.last = Some(Instant::now());
            eprintln!("candles: {what}");
        }
    }
}

/// The first bar start that `--limit n` covers: the bars starting in the last `n` intervals, the bar in progress
/// included (for `1m`, calendar months).
fn limit_from(interval: BarInterval, now: u64, n: u64) -> u64 {
    match interval.fixed_millis() {
        Some(ms) => now.saturating_sub(ms.saturating_mul(n)).saturating_add(1),
        None => {
            let (y, m) = month_of(now);
            let back = i64::try_from(n.saturating_sub(1)).unwrap_or(i64::MAX);
            let idx = (y * 12 + i64::from(m) - 1).saturating_sub(back);
            if idx < 1970 * 12 {
                0
            } else {
                month_start(idx.div_euclid(12), (idx.rem_euclid(12) + 1) as u32)
            }
        }
    }
}

fn month_of(ms: u64) -> (i64, u32) {
    let s = utc(ms);
    let y = s[..4].parse().unwrap_or(1970);
    let m = s[5..7].parse().unwrap_or(1);
    (y, m)
}

fn month_start(y: i64, m: u32) -> u64 {
    // Days from civil (Howard Hinnant's algorithm), the inverse of `utc`.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days).unwrap_or(0) * 86_400_000
}

/// Rough length of one bar, for deciding when a range fits in one page (months counted as 31 days).
fn approx_ms(interval: BarInterval) -> u64 {
    interval.fixed_millis().unwrap_or(31 * 86_400_000)
}

pub fn candles(api: &Api, out: Out, a: &CandlesArgs) -> CliResult {
    check_spelling(&a.symbol)?;
    let interval = BarInterval::parse(&a.interval).map_err(|e| CliError::usage(e.to_string()))?;
    if a.limit == Some(0) {
        return Err(CliError::usage("--limit must be at least 1"));
    }
    if let (Some(f), Some(t)) = (a.from, a.to)
        && f > t
    {
        return Err(CliError::usage("--from must not be after --to"));
    }
    let rules = api.optional_rules(out, "the symbol check and the price scale");
    let scale = match &rules {
        Some(r) => Some(check_symbol(r, &a.symbol)?.price_scale),
        None => None,
    };
    let iname = interval.name();
    let mut printer = CandlePrinter {
        out,
        paging: false,
        header_done: false,
        widths: Vec::new(),
        printed: 0,
        last_ts: None,
    };
    let mut p = Vec::new();
    let mut fetch = |from: Option<u64>, to: u64, n: u32| -> CliResult<Vec<CandleLine>> {
        barhist_path(&mut p, &a.symbol, interval, from, Some(to), Some(n));
        let path = String::from_utf8_lossy(&p).into_owned();
        let data = api.public(&path)?;
        let name = api.request_name("GET", &path);
        candles_of(
            &Source { request: &name },
            &data,
            &a.symbol,
            iname,
            scale,
            (from.unwrap_or(0), to),
        )
    };
    let now = wall_ms();
    // Bars start at most one interval before now; a bar starting later does not exist yet.
    let horizon = now.saturating_add(approx_ms(interval));
    let (from, to) = match (a.from, a.to, a.limit.unwrap_or(100)) {
        (Some(f), Some(t), _) => (f, t.min(horizon)),
        (_, _, n) if n <= MAX_BARS => {
            // One page: the last n bars, as the exchange counts them.
            let bars = fetch(None, horizon, n)?;
            printer.page(&bars);
            return Ok(());
        }
        (_, _, n) => (limit_from(interval, now, u64::from(n)), horizon),
    };
    if from > to {
        return Ok(());
    }
    let mut progress = Progress {
        started: Instant::now(),
        last: None,
    };
    // Where the history starts: the newest page below `to`; a short one holds everything there is.
    let page_span = (u64::from(MAX_BARS) - 1).saturating_mul(approx_ms(interval));
    let newest = fetch(None, to, MAX_BARS)?;
    let Some(oldest) = newest.first().map(|b| b.ts) else {
        return Ok(());
    };
    if newest.len() < MAX_BARS as usize || oldest <= from {
        let bars: Vec<CandleLine> = newest.into_iter().filter(|b| b.ts >= from).collect();
        printer.page(&bars);
        return Ok(());
    }
    // Where is the first bar? Gallop back from the newest page (probes one, two, four... pages further back),
    // then bisect the gap: requests grow with the log of the history's length, not of the range asked for, so
    // `--from 0` costs a few requests rather than decades of empty pages. Each probe asks for the 500 bars
    // before a time: an empty answer means the history starts later, a short one holds its first bar.
    let (mut lo, mut hi) = (from, oldest);
    let mut step = page_span.max(1);
    let mut found = false;
    while hi.saturating_sub(lo) > page_span {
        let at = hi.saturating_sub(step).max(lo);
        progress.tick(&format!(
            "looking for the first bar between {} and {} UTC",
            utc(lo),
            utc(hi)
        ));
        let probe = fetch(None, at, MAX_BARS)?;
        match probe.first().map(|b| b.ts) {
            None => {
                lo = at.saturating_add(1);
                break;
            }
            Some(first) if probe.len() < MAX_BARS as usize => {
                lo = first.max(lo);
                found = true;
                break;
            }
            Some(first) => {
                hi = first.min(at);
                step = step.saturating_mul(2);
            }
        }
    }
    while !found && hi.saturating_sub(lo) > page_span {
        let mid = lo + (hi - lo) / 2;
        progress.tick(&format!(
            "looking for the first bar between {} and {} UTC",
            utc(lo),
            utc(hi)
        ));
        let probe = fetch(None, mid, MAX_BARS)?;
        match probe.first().map(|b| b.ts) {
            None => lo = mid + 1,
            Some(first) if probe.len() < MAX_BARS as usize => {
                lo = first.max(lo);
                break;
            }
            Some(first) if first < hi => hi = first,
            Some(_) => hi = mid,
        }
    }
    let pages: Vec<(u64, u64)> = barhist_pages(interval, lo, to).collect();
    printer.paging = pages.len() > 1;
    let total = pages.len();
    for (k, (f, t)) in pages.into_iter().enumerate() {
        if k >= PACE_BURST as usize {
            progress.tick(&format!(
                "page {}/{total}, {} bars printed, up to {} UTC",
                k + 1,
                printer.printed,
                utc(f)
            ));
        }
        let bars = fetch(Some(f), t, MAX_BARS)?;
        printer.page(&bars);
    }
    Ok(())
}

/// `YYYY-MM-DD HH:MM` for a ms timestamp (UTC), without a date crate.
pub fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let (h, m) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_from_covers_the_last_n_intervals() {
        // 2026-12-04 20:30 UTC.
        let now = 1_796_416_200_000;
        let m = BarInterval::Minutes(1);
        assert_eq!(limit_from(m, now, 1), now - 60_000 + 1);
        assert_eq!(limit_from(m, now, u64::from(u32::MAX)), 1);
        // Months: the month in progress and the two before it.
        assert_eq!(
            utc(limit_from(BarInterval::Month, now, 3)),
            "2026-10-01 00:00"
        );
        assert_eq!(
            utc(limit_from(BarInterval::Month, now, 12)),
            "2026-01-01 00:00"
        );
        assert_eq!(
            utc(limit_from(BarInterval::Month, now, 13)),
            "2025-12-01 00:00"
        );
        assert_eq!(limit_from(BarInterval::Month, now, 100_000), 0);
        assert_eq!(month_start(1970, 1), 0);
    }
}
