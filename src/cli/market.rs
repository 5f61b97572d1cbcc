//! `ticker` and `candles`: public one-shot REST.

use serde::Serialize;
use serde_json::Value;

use super::api::{Api, as_i64};
use super::args::CandlesArgs;
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

#[derive(Serialize)]
struct TickerLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    symbol: &'a str,
    bid: Vec<String>,
    ask: Vec<String>,
    last: String,
    ts: u64,
}

fn pair(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .take(2)
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

pub fn ticker(api: &Api, out: Out, symbol: &str) -> CliResult {
    check_spelling(symbol)?;
    check_symbol(&api.rules()?, symbol)?;
    let mut p = Vec::new();
    ticker_path(&mut p, &[symbol]);
    let data = api.public(&String::from_utf8_lossy(&p))?;
    let row = match &data {
        Value::Array(a) => a.first().cloned().unwrap_or(Value::Null),
        v => v.clone(),
    };
    let line = TickerLine {
        kind: "ticker",
        symbol,
        bid: pair(row.get("bid")),
        ask: pair(row.get("ask")),
        last: row
            .get("close")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        // The ticker carries no time: this is when the answer arrived.
        ts: wall_ms(),
    };
    if out.json {
        out.json_line(&line);
    } else {
        let side = |v: &[String]| match v {
            [p, q] => (p.clone(), q.clone()),
            _ => ("-".into(), "-".into()),
        };
        let (bp, bq) = side(&line.bid);
        let (ap, aq) = side(&line.ask);
        out.text(&table(
            &["symbol", "bid size", "bid", "ask", "ask size", "last"],
            &[false, true, true, true, true, true],
            &[vec![symbol.to_string(), bq, bp, ap, aq, line.last.clone()]],
        ));
    }
    Ok(())
}

#[derive(Serialize, Clone)]
struct CandleLine {
    #[serde(rename = "type")]
    kind: &'static str,
    symbol: String,
    interval: String,
    ts: u64,
    open: String,
    high: String,
    low: String,
    close: String,
    volume: String,
}

fn candles_of(data: &Value, symbol: &str) -> Vec<CandleLine> {
    let mut v = Vec::new();
    for row in data.as_array().map(Vec::as_slice).unwrap_or(&[]) {
        let d = row.get("data").unwrap_or(row);
        let s = |k: &str| d.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let Some(ts) = d
            .get("ts")
            .and_then(as_i64)
            .and_then(|t| u64::try_from(t).ok())
        else {
            continue;
        };
        v.push(CandleLine {
            kind: "candle",
            symbol: symbol.to_string(),
            interval: s("i"),
            ts,
            open: s("o"),
            high: s("h"),
            low: s("l"),
            close: s("c"),
            volume: s("v"),
        });
    }
    v
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
    check_symbol(&api.rules()?, &a.symbol)?;
    let mut bars: Vec<CandleLine> = Vec::new();
    let mut p = Vec::new();
    if let (Some(from), Some(to)) = (a.from, a.to) {
        for (f, t) in barhist_pages(interval, from, to) {
            barhist_path(
                &mut p,
                &a.symbol,
                interval,
                Some(f),
                Some(t),
                Some(MAX_BARS),
            );
            bars.extend(candles_of(
                &api.public(&String::from_utf8_lossy(&p))?,
                &a.symbol,
            ));
        }
    } else {
        // Page backwards from now: works for every interval, calendar months included.
        let want = a.limit.unwrap_or(100) as usize;
        let mut to = wall_ms() + 60_000;
        while bars.len() < want {
            let n = (want - bars.len()).min(MAX_BARS as usize) as u32;
            barhist_path(&mut p, &a.symbol, interval, None, Some(to), Some(n));
            let page = candles_of(&api.public(&String::from_utf8_lossy(&p))?, &a.symbol);
            let Some(oldest) = page.iter().map(|c| c.ts).min() else {
                break;
            };
            bars.extend(page);
            if oldest == 0 {
                break;
            }
            to = oldest - 1;
        }
        bars.sort_by_key(|c| c.ts);
        bars.dedup_by_key(|c| c.ts);
        if bars.len() > want {
            bars.drain(..bars.len() - want);
        }
    }
    bars.sort_by_key(|c| c.ts);
    bars.dedup_by_key(|c| c.ts);
    if out.json {
        for b in &bars {
            out.json_line(b);
        }
    } else {
        let rows: Vec<Vec<String>> = bars
            .iter()
            .map(|b| {
                vec![
                    utc(b.ts),
                    b.open.clone(),
                    b.high.clone(),
                    b.low.clone(),
                    b.close.clone(),
                    b.volume.clone(),
                ]
            })
            .collect();
        out.text(&table(
            &["start (UTC)", "open", "high", "low", "close", "volume"],
            &[false, true, true, true, true, true],
            &rows,
        ));
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
