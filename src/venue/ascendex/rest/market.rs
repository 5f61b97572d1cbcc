//! Market-data REST: request paths for depth, trades, ticker, barhist, barhist/info and products, and parsers for
//! their responses (serde: these run at start-up or in CLI one-shots, not on the hot path).
//!
//! Numbers: prices and sizes arrive as decimal strings and are parsed exactly (`crate::num`); integers (`ts`,
//! `seqnum`, `code`) are accepted as JSON numbers or digit strings, since the recorded responses quote them.

use crate::book::Level;
use crate::num::{Decimal, NumError, Price, Qty, Scale, Step, parse_scaled};
use crate::venue::ascendex::stream::market::Trade;
use serde::Deserialize;
use std::fmt;
use std::io::Write;

/// Why a REST market-data response was not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestMarketError {
    /// Not JSON of the expected shape; the serde message says where.
    Json(String),
    /// The exchange answered with a non-zero `code`.
    Exchange {
        code: i64,
        message: String,
        reason: String,
    },
    /// A price, size or limit that is not an exact decimal at the symbol's scale.
    Number {
        field: &'static str,
        value: String,
        err: NumError,
    },
    /// `data` is missing from a successful response.
    MissingData,
    /// A bar interval this client does not know.
    UnknownInterval(String),
}

impl fmt::Display for RestMarketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestMarketError::Json(e) => write!(f, "unexpected response shape: {e}"),
            RestMarketError::Exchange {
                code,
                message,
                reason,
            } => {
                write!(f, "exchange error {code}: {message} {reason}")
            }
            RestMarketError::Number { field, value, err } => {
                write!(f, "field `{field}` value {value:?}: {err}")
            }
            RestMarketError::MissingData => f.write_str("response has no `data`"),
            RestMarketError::UnknownInterval(i) => {
                write!(
                    f,
                    "unknown bar interval {i:?} (use 1,5,15,30,60,120,240,360,720,1d,1w,1m)"
                )
            }
        }
    }
}

impl std::error::Error for RestMarketError {}

type R<T> = Result<T, RestMarketError>;

// ---------------------------------------------------------------------------------------------------------------
// Request paths
// ---------------------------------------------------------------------------------------------------------------

/// Append `s` percent-encoded for a query value: everything but `A-Z a-z 0-9 - _ . ~` becomes `%XX` (so `BTC/USDT` is
/// `BTC%2FUSDT` and a list separator `,` is `%2C`, as ccxt sends them).
pub fn push_query_value(buf: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &c in s {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
            buf.push(c);
        } else {
            buf.extend_from_slice(&[b'%', HEX[(c >> 4) as usize], HEX[(c & 15) as usize]]);
        }
    }
}

/// `/api/pro/v1/depth?symbol=SYM` into `buf` (cleared first).
pub fn depth_path(buf: &mut Vec<u8>, symbol: &str) {
    buf.clear();
    buf.extend_from_slice(b"/api/pro/v1/depth?symbol=");
    push_query_value(buf, symbol.as_bytes());
}

/// `/api/pro/v1/trades?symbol=SYM[&n=N]`; the exchange caps `n` at 100.
pub fn trades_path(buf: &mut Vec<u8>, symbol: &str, n: Option<u32>) {
    buf.clear();
    buf.extend_from_slice(b"/api/pro/v1/trades?symbol=");
    push_query_value(buf, symbol.as_bytes());
    if let Some(n) = n {
        let _ = write!(buf, "&n={}", n.min(100));
    }
}

/// `/api/pro/v1/spot/ticker[?symbol=A%2CB]`. No symbols = all (a list); one symbol = an object; several = a list.
pub fn ticker_path(buf: &mut Vec<u8>, symbols: &[&str]) {
    buf.clear();
    buf.extend_from_slice(b"/api/pro/v1/spot/ticker");
    for (i, s) in symbols.iter().enumerate() {
        buf.extend_from_slice(if i == 0 { b"?symbol=" } else { b"%2C" });
        push_query_value(buf, s.as_bytes());
    }
}

/// `/api/pro/v1/barhist?symbol=SYM&interval=I[&from=F][&to=T][&n=N]`.
pub fn barhist_path(
    buf: &mut Vec<u8>,
    symbol: &str,
    interval: BarInterval,
    from: Option<u64>,
    to: Option<u64>,
    n: Option<u32>,
) {
    buf.clear();
    buf.extend_from_slice(b"/api/pro/v1/barhist?symbol=");
    push_query_value(buf, symbol.as_bytes());
    buf.extend_from_slice(b"&interval=");
    buf.extend_from_slice(interval.name().as_bytes());
    if let Some(f) = from {
        let _ = write!(buf, "&from={f}");
    }
    if let Some(t) = to {
        let _ = write!(buf, "&to={t}");
    }
    if let Some(n) = n {
        let _ = write!(buf, "&n={}", n.min(MAX_BARS));
    }
}

/// `/api/pro/v1/barhist/info`.
pub fn barhist_info_path(buf: &mut Vec<u8>) {
    buf.clear();
    buf.extend_from_slice(b"/api/pro/v1/barhist/info");
}

/// Which products list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductCategory {
    /// `/api/pro/v1/products` (every product).
    All,
    /// `/api/pro/v1/cash/products`.
    Cash,
    /// `/api/pro/v1/margin/products`.
    Margin,
}

/// The products path for `cat`.
pub fn products_path(buf: &mut Vec<u8>, cat: ProductCategory) {
    buf.clear();
    buf.extend_from_slice(match cat {
        ProductCategory::All => b"/api/pro/v1/products".as_slice(),
        ProductCategory::Cash => b"/api/pro/v1/cash/products".as_slice(),
        ProductCategory::Margin => b"/api/pro/v1/margin/products".as_slice(),
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Bar intervals and paging
// ---------------------------------------------------------------------------------------------------------------

/// Most bars one barhist request returns.
pub const MAX_BARS: u32 = 500;

/// A bar interval (`/api/pro/v1/barhist/info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BarInterval {
    /// A fixed length in minutes: 1, 5, 15, 30, 60, 120, 240, 360, 720.
    Minutes(u32),
    Day,
    Week,
    /// One calendar month (`1m`): bars start at the first of each month, 00:00 UTC.
    Month,
}

impl BarInterval {
    /// Parse the exchange's interval name.
    pub fn parse(s: &str) -> R<BarInterval> {
        Ok(match s {
            "1d" => BarInterval::Day,
            "1w" => BarInterval::Week,
            "1m" => BarInterval::Month,
            _ => match s.parse::<u32>() {
                Ok(m @ (1 | 5 | 15 | 30 | 60 | 120 | 240 | 360 | 720)) => BarInterval::Minutes(m),
                _ => return Err(RestMarketError::UnknownInterval(s.to_string())),
            },
        })
    }

    /// The exchange's name for it.
    pub fn name(self) -> &'static str {
        match self {
            BarInterval::Minutes(1) => "1",
            BarInterval::Minutes(5) => "5",
            BarInterval::Minutes(15) => "15",
            BarInterval::Minutes(30) => "30",
            BarInterval::Minutes(60) => "60",
            BarInterval::Minutes(120) => "120",
            BarInterval::Minutes(240) => "240",
            BarInterval::Minutes(360) => "360",
            BarInterval::Minutes(720) => "720",
            // Only constructed through `parse`, which admits no other minute counts.
            BarInterval::Minutes(_) => "1",
            BarInterval::Day => "1d",
            BarInterval::Week => "1w",
            BarInterval::Month => "1m",
        }
    }

    /// Fixed length in ms; `None` for the calendar month.
    pub fn fixed_millis(self) -> Option<u64> {
        match self {
            BarInterval::Minutes(m) => Some(m as u64 * 60_000),
            BarInterval::Day => Some(86_400_000),
            BarInterval::Week => Some(7 * 86_400_000),
            BarInterval::Month => None,
        }
    }
}

/// Split the bar-start range `[from, to]` (ms, inclusive) into requests of at most `MAX_BARS` bars each, oldest first.
/// Each page is `[from_k, to_k]` with `from_{k+1} = to_k + 1`, so no bar start is skipped whatever the alignment, and
/// each page spans at most 500 bar starts: `(500 - 1) × interval` for fixed intervals, 500 calendar months for `1m`.
pub fn barhist_pages(interval: BarInterval, from: u64, to: u64) -> BarPages {
    BarPages {
        interval,
        next: from,
        to,
        done: from > to,
    }
}

/// Iterator over `(from, to)` request ranges; see `barhist_pages`.
#[derive(Debug, Clone)]
pub struct BarPages {
    interval: BarInterval,
    next: u64,
    to: u64,
    done: bool,
}

impl Iterator for BarPages {
    type Item = (u64, u64);

    fn next(&mut self) -> Option<(u64, u64)> {
        if self.done {
            return None;
        }
        let from = self.next;
        let span_end = match self.interval.fixed_millis() {
            Some(ms) => from.saturating_add((MAX_BARS as u64 - 1) * ms),
            None => {
                // First month start at or after `from`, then 499 months later.
                let (y, m) = month_of(from);
                let (y, m) = if month_start(y, m) < from {
                    add_months(y, m, 1)
                } else {
                    (y, m)
                };
                let (y2, m2) = add_months(y, m, MAX_BARS as i64 - 1);
                month_start(y2, m2)
            }
        };
        let end = span_end.min(self.to);
        if end >= self.to || end == u64::MAX {
            self.done = true;
        } else {
            self.next = end + 1;
        }
        Some((from, end))
    }
}

const DAY_MS: i64 = 86_400_000;

/// Days since 1970-01-01 → (year, month 1..=12, day) in the proleptic Gregorian calendar (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn month_of(ms: u64) -> (i64, u32) {
    let (y, m, _) = civil_from_days((ms as i64).div_euclid(DAY_MS));
    (y, m)
}

fn month_start(y: i64, m: u32) -> u64 {
    (days_from_civil(y, m, 1) * DAY_MS).max(0) as u64
}

fn add_months(y: i64, m: u32, k: i64) -> (i64, u32) {
    let idx = y * 12 + (m as i64 - 1) + k;
    (idx.div_euclid(12), (idx.rem_euclid(12) + 1) as u32)
}

// ---------------------------------------------------------------------------------------------------------------
// Response shapes
// ---------------------------------------------------------------------------------------------------------------

/// An integer sent as a JSON number or as a string of digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Int(i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Int, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw<'a> {
            N(i64),
            S(&'a str),
            O(String),
        }
        let parse = |s: &str| s.parse::<i64>().map(Int).map_err(serde::de::Error::custom);
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(Int(n)),
            Raw::S(s) => parse(s),
            Raw::O(s) => parse(&s),
        }
    }
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
struct Envelope<T> {
    code: Int,
    #[serde(default = "none")]
    data: Option<T>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

fn none<T>() -> Option<T> {
    None
}

fn envelope<'a, T: Deserialize<'a>>(body: &'a [u8]) -> R<T> {
    let env: Envelope<T> =
        serde_json::from_slice(body).map_err(|e| RestMarketError::Json(e.to_string()))?;
    if env.code.0 != 0 {
        return Err(RestMarketError::Exchange {
            code: env.code.0,
            message: env.message.unwrap_or_default(),
            reason: env.reason.unwrap_or_default(),
        });
    }
    env.data.ok_or(RestMarketError::MissingData)
}

fn num(field: &'static str, s: &str, scale: Scale) -> R<i64> {
    parse_scaled(s.as_bytes(), scale).map_err(|err| RestMarketError::Number {
        field,
        value: s.to_string(),
        err,
    })
}

fn dec(field: &'static str, s: &str) -> R<Decimal> {
    Decimal::parse(s.as_bytes()).map_err(|err| RestMarketError::Number {
        field,
        value: s.to_string(),
        err,
    })
}

#[derive(Deserialize)]
struct RawDepth {
    symbol: String,
    data: RawDepthData,
}

#[derive(Deserialize)]
struct RawDepthData {
    seqnum: Int,
    ts: Int,
    asks: Vec<(String, String)>,
    bids: Vec<(String, String)>,
}

/// A REST depth snapshot, ready for `BookSync::on_snapshot(seqnum, &bids, &asks)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepthSnapshot {
    pub symbol: String,
    pub seqnum: u64,
    pub ts: u64,
    pub bids: Vec<Level>,
    pub asks: Vec<Level>,
}

fn levels(raw: &[(String, String)], ps: Scale, qs: Scale) -> R<Vec<Level>> {
    raw.iter()
        .map(|(p, q)| {
            Ok(Level {
                price: Price(num("price", p, ps)?),
                qty: Qty(num("size", q, qs)?),
            })
        })
        .collect()
}

fn unsigned(field: &'static str, v: Int) -> R<u64> {
    u64::try_from(v.0).map_err(|_| RestMarketError::Json(format!("negative `{field}`: {}", v.0)))
}

/// Parse `/api/pro/v1/depth` at the symbol's price and size scales.
pub fn parse_depth(body: &[u8], price: Scale, qty: Scale) -> R<DepthSnapshot> {
    let raw: RawDepth = envelope(body)?;
    Ok(DepthSnapshot {
        symbol: raw.symbol,
        seqnum: unsigned("seqnum", raw.data.seqnum)?,
        ts: unsigned("ts", raw.data.ts)?,
        bids: levels(&raw.data.bids, price, qty)?,
        asks: levels(&raw.data.asks, price, qty)?,
    })
}

#[derive(Deserialize)]
struct RawTrades {
    data: Vec<RawTrade>,
}

#[derive(Deserialize)]
struct RawTrade {
    p: String,
    q: String,
    ts: Int,
    bm: bool,
    seqnum: Int,
}

/// Parse `/api/pro/v1/trades` (oldest first, as sent). `Trade::side()` gives the taker's side.
pub fn parse_trades(body: &[u8], price: Scale, qty: Scale) -> R<Vec<Trade>> {
    let raw: RawTrades = envelope(body)?;
    raw.data
        .iter()
        .map(|t| {
            Ok(Trade {
                price: Price(num("p", &t.p, price)?),
                qty: Qty(num("q", &t.q, qty)?),
                ts: unsigned("ts", t.ts)?,
                seqnum: unsigned("seqnum", t.seqnum)?,
                buyer_is_maker: t.bm,
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct RawTicker {
    symbol: String,
    open: String,
    close: String,
    high: String,
    low: String,
    /// Spot says `volume`; the futures ticker says `baseVol`.
    #[serde(alias = "baseVol")]
    volume: String,
    #[serde(default)]
    ask: Vec<String>,
    #[serde(default)]
    bid: Vec<String>,
}

/// A 24 h ticker. Values keep their own decimals (the response can mix symbols of different scales).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticker {
    pub symbol: String,
    pub open: Decimal,
    pub close: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    /// In the base asset.
    pub volume: Decimal,
    /// (price, size) at the best bid, if any.
    pub bid: Option<(Decimal, Decimal)>,
    pub ask: Option<(Decimal, Decimal)>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<RawTicker>),
    One(RawTicker),
}

fn pair(field: &'static str, v: &[String]) -> R<Option<(Decimal, Decimal)>> {
    match v {
        [] => Ok(None),
        [p, q, ..] => Ok(Some((dec(field, p)?, dec(field, q)?))),
        [_] => Err(RestMarketError::Json(format!(
            "`{field}` has a price but no size"
        ))),
    }
}

/// Parse `/api/pro/v1/spot/ticker` in either form (one object, or a list).
pub fn parse_ticker(body: &[u8]) -> R<Vec<Ticker>> {
    let raw: OneOrMany = envelope(body)?;
    let list = match raw {
        OneOrMany::Many(v) => v,
        OneOrMany::One(t) => vec![t],
    };
    list.iter()
        .map(|t| {
            Ok(Ticker {
                symbol: t.symbol.clone(),
                open: dec("open", &t.open)?,
                close: dec("close", &t.close)?,
                high: dec("high", &t.high)?,
                low: dec("low", &t.low)?,
                volume: dec("volume", &t.volume)?,
                bid: pair("bid", &t.bid)?,
                ask: pair("ask", &t.ask)?,
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct RawBar {
    #[serde(default)]
    s: String,
    data: RawBarData,
}

#[derive(Deserialize)]
struct RawBarData {
    i: String,
    ts: Int,
    o: String,
    c: String,
    h: String,
    l: String,
    v: String,
}

/// One candle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candle {
    pub symbol: String,
    pub interval: String,
    /// Bar start, ms.
    pub ts: u64,
    pub open: Price,
    pub high: Price,
    pub low: Price,
    pub close: Price,
    pub volume: Qty,
}

/// Parse `/api/pro/v1/barhist`, sorted oldest first (the exchange's order is not documented).
pub fn parse_barhist(body: &[u8], price: Scale, qty: Scale) -> R<Vec<Candle>> {
    let raw: Vec<RawBar> = envelope(body)?;
    let mut out = raw
        .iter()
        .map(|b| {
            let d = &b.data;
            Ok(Candle {
                symbol: b.s.clone(),
                interval: d.i.clone(),
                ts: unsigned("ts", d.ts)?,
                open: Price(num("o", &d.o, price)?),
                high: Price(num("h", &d.h, price)?),
                low: Price(num("l", &d.l, price)?),
                close: Price(num("c", &d.c, price)?),
                volume: Qty(num("v", &d.v, qty)?),
            })
        })
        .collect::<R<Vec<Candle>>>()?;
    out.sort_by_key(|c| c.ts);
    Ok(out)
}

/// One entry of `/api/pro/v1/barhist/info`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BarIntervalInfo {
    pub name: String,
    /// Indicative only for `1m` (months differ in length).
    #[serde(rename = "intervalInMillis")]
    pub interval_ms: u64,
}

/// Parse `/api/pro/v1/barhist/info`.
pub fn parse_barhist_info(body: &[u8]) -> R<Vec<BarIntervalInfo>> {
    envelope(body)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawProduct {
    symbol: String,
    #[serde(default)]
    base_asset: Option<String>,
    #[serde(default)]
    quote_asset: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    status_code: Option<String>,
    #[serde(default)]
    tick_size: Option<String>,
    #[serde(default)]
    lot_size: Option<String>,
    #[serde(default)]
    min_qty: Option<String>,
    #[serde(default)]
    max_qty: Option<String>,
    #[serde(default)]
    min_notional: Option<String>,
    #[serde(default)]
    max_notional: Option<String>,
    /// Futures contracts nest the filters.
    #[serde(default)]
    price_filter: Option<RawPriceFilter>,
    #[serde(default)]
    lot_size_filter: Option<RawLotFilter>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawPriceFilter {
    #[serde(default)]
    tick_size: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawLotFilter {
    #[serde(default)]
    lot_size: Option<String>,
    #[serde(default)]
    min_qty: Option<String>,
    #[serde(default)]
    max_qty: Option<String>,
}

/// Extra size decimals the book accepts beyond the lot size: the exchange's depth can show sizes finer than the order
/// lot (the recorded BTC-PERP book has `1.98975` with lot `0.0001`), and refusing them would make the book resync
/// forever.
pub const BOOK_QTY_EXTRA_DECIMALS: u8 = 4;

/// A product's trading rules and scales.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub symbol: String,
    pub base: Option<String>,
    pub quote: Option<String>,
    /// `Normal` when trading.
    pub status: String,
    /// Price step: its scale is the symbol's price scale.
    pub tick: Step,
    /// Size step: its scale is the symbol's order size scale.
    pub lot: Step,
    pub min_qty: Option<Decimal>,
    pub max_qty: Option<Decimal>,
    pub min_notional: Option<Decimal>,
    pub max_notional: Option<Decimal>,
}

impl Product {
    /// Scale of prices (from `tickSize`).
    pub fn price_scale(&self) -> Scale {
        self.tick.scale
    }

    /// Scale of order sizes (from `lotSize`).
    pub fn qty_scale(&self) -> Scale {
        self.lot.scale
    }

    /// Scale for sizes in market data (book, trades, bars): the lot scale plus `BOOK_QTY_EXTRA_DECIMALS`, at most 18.
    pub fn book_qty_scale(&self) -> Scale {
        Scale::new((self.lot.scale.decimals() + BOOK_QTY_EXTRA_DECIMALS).min(crate::num::MAX_SCALE))
            .unwrap_or(self.lot.scale)
    }

    /// The minimum order size at the lot scale, rounded up to a whole lot unit (the exchange lists `0.000000001` for
    /// symbols whose lot is `0.00001`).
    pub fn min_qty_at_lot_scale(&self) -> Option<Result<Qty, NumError>> {
        self.min_qty
            .map(|d| d.at_scale_ceil(self.lot.scale).map(Qty))
    }
}

fn step(field: &'static str, s: Option<&String>) -> R<Step> {
    let s = s.ok_or_else(|| RestMarketError::Json(format!("product without `{field}`")))?;
    crate::num::Scale::from_step(s.as_bytes()).map_err(|err| RestMarketError::Number {
        field,
        value: s.clone(),
        err,
    })
}

fn opt_dec(field: &'static str, s: Option<&String>) -> R<Option<Decimal>> {
    s.map(|s| dec(field, s)).transpose()
}

fn product(p: RawProduct) -> R<Product> {
    let pf = p.price_filter.unwrap_or_default();
    let lf = p.lot_size_filter.unwrap_or_default();
    Ok(Product {
        tick: step("tickSize", p.tick_size.as_ref().or(pf.tick_size.as_ref()))?,
        lot: step("lotSize", p.lot_size.as_ref().or(lf.lot_size.as_ref()))?,
        min_qty: opt_dec("minQty", p.min_qty.as_ref().or(lf.min_qty.as_ref()))?,
        max_qty: opt_dec("maxQty", p.max_qty.as_ref().or(lf.max_qty.as_ref()))?,
        min_notional: opt_dec("minNotional", p.min_notional.as_ref())?,
        max_notional: opt_dec("maxNotional", p.max_notional.as_ref())?,
        status: p.status_code.or(p.status).unwrap_or_default(),
        base: p.base_asset,
        quote: p.quote_asset,
        symbol: p.symbol,
    })
}

/// Parse `/api/pro/v1/{cash,margin}/products` (or `/api/pro/v1/products`).
pub fn parse_products(body: &[u8]) -> R<Vec<Product>> {
    let raw: Vec<RawProduct> = envelope(body)?;
    raw.into_iter().map(product).collect()
}

/// Each row of a products response parsed on its own, a failed row with its symbol, so the trading rules
/// (`rules::RulesTable`) read the fields here and name the symbol a bad field belongs to.
pub(crate) fn parse_products_rows(
    body: &[u8],
) -> R<Vec<Result<Product, (String, RestMarketError)>>> {
    let raw: Vec<RawProduct> = envelope(body)?;
    Ok(raw.into_iter().map(product_named).collect())
}

/// One product object like [`parse_product_object`], a failed row with its symbol.
pub(crate) fn parse_product_object_row(
    json: &[u8],
) -> R<Result<Product, (String, RestMarketError)>> {
    let raw: RawProduct =
        serde_json::from_slice(json).map_err(|e| RestMarketError::Json(e.to_string()))?;
    Ok(product_named(raw))
}

fn product_named(p: RawProduct) -> Result<Product, (String, RestMarketError)> {
    let symbol = p.symbol.clone();
    product(p).map_err(|e| (symbol, e))
}

/// Parse one product object (for example the `info` of a ccxt market).
pub fn parse_product_object(json: &[u8]) -> R<Product> {
    let raw: RawProduct =
        serde_json::from_slice(json).map_err(|e| RestMarketError::Json(e.to_string()))?;
    product(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(d: u8) -> Scale {
        Scale::new(d).unwrap()
    }

    #[test]
    fn paths_encode_symbols() {
        let mut b = Vec::new();
        depth_path(&mut b, "BTC/USDT");
        assert_eq!(b, b"/api/pro/v1/depth?symbol=BTC%2FUSDT");
        trades_path(&mut b, "BTC-PERP", Some(500));
        assert_eq!(b, b"/api/pro/v1/trades?symbol=BTC-PERP&n=100");
        ticker_path(&mut b, &["BTC/USDT", "ETH/USDT"]);
        assert_eq!(b, b"/api/pro/v1/spot/ticker?symbol=BTC%2FUSDT%2CETH%2FUSDT");
        ticker_path(&mut b, &[]);
        assert_eq!(b, b"/api/pro/v1/spot/ticker");
        barhist_path(
            &mut b,
            "ASD/USDT",
            BarInterval::Day,
            Some(1),
            Some(2),
            Some(1000),
        );
        assert_eq!(
            b,
            b"/api/pro/v1/barhist?symbol=ASD%2FUSDT&interval=1d&from=1&to=2&n=500"
        );
        barhist_info_path(&mut b);
        assert_eq!(b, b"/api/pro/v1/barhist/info");
        products_path(&mut b, ProductCategory::Cash);
        assert_eq!(b, b"/api/pro/v1/cash/products");
        let cap = b.capacity();
        depth_path(&mut b, "A/B");
        assert_eq!(b.capacity(), cap, "the buffer is reused");
    }

    #[test]
    fn intervals() {
        for n in [
            "1", "5", "15", "30", "60", "120", "240", "360", "720", "1d", "1w", "1m",
        ] {
            assert_eq!(BarInterval::parse(n).unwrap().name(), n);
        }
        assert!(BarInterval::parse("2").is_err());
        assert!(BarInterval::parse("1h").is_err());
    }

    #[test]
    fn pages_of_fixed_intervals_cover_the_range_with_at_most_500_bars() {
        let step = 60_000u64;
        let from = 1_700_000_000_123;
        let to = from + 1234 * step;
        let pages: Vec<(u64, u64)> = barhist_pages(BarInterval::Minutes(1), from, to).collect();
        assert_eq!(pages.len(), 3);
        assert_eq!(pages[0].0, from);
        assert_eq!(pages.last().unwrap().1, to);
        for w in pages.windows(2) {
            assert_eq!(w[1].0, w[0].1 + 1);
        }
        for &(a, b) in &pages {
            // Bar starts (multiples of the step) inside [a, b].
            let n = b / step - a.div_ceil(step) + 1;
            assert!(n <= 500, "{n} bars in a page");
        }
        assert_eq!(barhist_pages(BarInterval::Day, 10, 5).count(), 0);
        assert_eq!(
            barhist_pages(BarInterval::Day, 5, 5).collect::<Vec<_>>(),
            vec![(5, 5)]
        );
    }

    #[test]
    fn month_pages_follow_the_calendar() {
        // 2020-01-15 to 2070-06-01: 605 month starts from 2020-02-01.
        let from = month_start(2020, 1) + 14 * 86_400_000;
        let to = month_start(2070, 6);
        let pages: Vec<(u64, u64)> = barhist_pages(BarInterval::Month, from, to).collect();
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0], (from, month_start(2020 + 41, 2 + 7)));
        assert_eq!(pages[1], (month_start(2061, 9) + 1, to));
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(month_of(month_start(2024, 2) + 28 * 86_400_000), (2024, 2));
        assert_eq!(add_months(2024, 12, 1), (2025, 1));
    }

    #[test]
    fn doc_examples_parse() {
        let depth = br#"{"code":0,"data":{"m":"depth-snapshot","symbol":"ASD/USDT","data":{"seqnum":5068757,"ts":1573165838976,
            "asks":[["0.06848","4084.2"],["0.0696","15890.6"]],"bids":[["0.06703","13500"],["0.06615","24036.9"]]}}}"#;
        let d = parse_depth(depth, s(5), s(1)).unwrap();
        assert_eq!(d.seqnum, 5068757);
        assert_eq!(
            d.asks[1],
            Level {
                price: Price(6960),
                qty: Qty(158906)
            }
        );
        let err = br#"{"code":100002,"message":"bad","reason":"DATA_NOT_AVAILABLE"}"#;
        assert!(matches!(
            parse_depth(err, s(5), s(1)),
            Err(RestMarketError::Exchange { code: 100002, .. })
        ));
        assert!(matches!(
            parse_depth(b"{", s(5), s(1)),
            Err(RestMarketError::Json(_))
        ));
        let info = br#"{"code":0,"data":[{"name":"1","intervalInMillis":60000},{"name":"1m","intervalInMillis":2592000000}]}"#;
        let i = parse_barhist_info(info).unwrap();
        assert_eq!(i[1].interval_ms, 2_592_000_000);
        let t = parse_ticker(br#"{"code":0,"data":{"symbol":"ASD/USDT","open":"0.06777","close":"0.06809","high":"0.06899","low":"0.06708","volume":"19823722","ask":["0.0681","43641"],"bid":["0.0676","443"]}}"#).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(
            t[0].ask.unwrap().0,
            Decimal {
                mantissa: 681,
                scale: s(4)
            }
        );
    }
}
