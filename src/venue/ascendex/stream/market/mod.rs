//! Market-data stream messages: `depth`, `depth-realtime`, `depth-snapshot`, `depth-snapshot-realtime`, `bbo`,
//! `trades`, `bar`, and the session messages the engine routes (`connected`, `ping`, `pong`, `sub`/`unsub` acks,
//! `error`, `disconnected`).
//!
//! `MdDecoder::decode` takes one complete WebSocket text payload and returns a `Msg` that borrows the payload and the
//! decoder's preallocated level/trade arrays: no `String` or `Vec` per message. Two parsers produce the same `Msg`:
//! - `decode`: a hand-written scanner for this message family (the hot path);
//! - `decode_reference`: sonic-rs lazy borrowed parsing (`to_object_iter`, `LazyValue`), kept as the reference the
//!   scanner is property-tested and fuzzed against (`tests/md_agree.rs`, `fuzz/`).
//!
//! Semantics shared by both (so they agree on any input):
//! - keys may come in any order, unknown keys are skipped (their values are still validated as JSON); when a key
//!   repeats, the last occurrence wins;
//! - `m` names the message (`op` is accepted when `m` is absent: some doc pages spell `connected` that way);
//! - the symbol is `symbol`, else `s` (bars); it must be in the caller's `SymbolTable`, which gives its scales;
//! - prices and sizes are decimal strings (JSON numbers are accepted too) parsed exactly at the symbol's scales;
//! - integers (`seqnum`, `ts`, `code`, `hp`) may be JSON integers or strings of digits (the REST fixtures quote them);
//! - a `[price, size]` pair may carry extra trailing elements, which are ignored;
//! - a string with escapes is decoded (`\u0041`), and must then be at most 64 bytes; strings without escapes are used
//!   in place. Strings returned raw (`id`, `ch`, `reason`, ...) are the bytes between the quotes, escapes untouched;
//! - trailing bytes after the top-level object other than whitespace are an error;
//! - a market message with a non-zero `code` is returned as `Msg::Error` (a failed `depth-snapshot-realtime`).
//!
//! `trades`: the exchange's `bm` ("buyer is maker") true means the taker sold, so the aggressor side is `Sell`.

use crate::book::Level;
use crate::num::{
    NumError, Price, Qty, Scale, parse_scaled, parse_scaled_pair_quoted, parse_scaled_quoted,
};
use std::fmt;

/// Index of a symbol in the caller's `SymbolTable` (the same id the order side uses).
pub use crate::orders::types::SymbolId;
/// The market-data events this stream decodes into are the core's.
pub use crate::strategy::events::{Bar, Bbo, Trade, TradeSide};

#[derive(Debug, Clone)]
struct SymbolEntry {
    name: Box<[u8]>,
    price: Scale,
    qty: Scale,
}

/// The symbols the session subscribed to, with their price and size scales.
#[derive(Debug, Clone, Default)]
pub struct SymbolTable {
    entries: Vec<SymbolEntry>,
}

impl SymbolTable {
    pub fn new() -> SymbolTable {
        SymbolTable::default()
    }

    /// Add a symbol (e.g. `b"BTC/USDT"`); returns its id. Adding a known name updates its scales.
    pub fn add(&mut self, name: &[u8], price: Scale, qty: Scale) -> SymbolId {
        if let Some(id) = self.lookup(name) {
            if let Some(e) = self.entries.get_mut(id.0 as usize) {
                e.price = price;
                e.qty = qty;
            }
            return id;
        }
        self.entries.push(SymbolEntry {
            name: name.into(),
            price,
            qty,
        });
        SymbolId((self.entries.len() - 1) as u16)
    }

    /// The id of `name`, if known. A linear scan: a session follows a handful of symbols.
    #[inline]
    pub fn lookup(&self, name: &[u8]) -> Option<SymbolId> {
        self.entries
            .iter()
            .position(|e| &*e.name == name)
            .map(|i| SymbolId(i as u16))
    }

    /// Price and size scales of a symbol.
    #[inline]
    pub fn scales(&self, id: SymbolId) -> Option<(Scale, Scale)> {
        self.entries.get(id.0 as usize).map(|e| (e.price, e.qty))
    }

    /// The symbol's name.
    pub fn name(&self, id: SymbolId) -> Option<&[u8]> {
        self.entries.get(id.0 as usize).map(|e| &*e.name)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Why a payload was not decoded. Every variant is a reason to count and skip the message (or resync the symbol's
/// book when it was a depth message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Not valid JSON (includes truncated payloads); `at` is the byte offset where parsing stopped.
    Syntax { at: usize },
    /// The payload is not a JSON object.
    NotObject,
    /// A required field is missing.
    MissingField(&'static str),
    /// A field has the wrong JSON type (e.g. a number where an array was expected).
    WrongType(&'static str),
    /// The symbol is not in the session's table.
    UnknownSymbol,
    /// More levels on one side than the decoder was configured to hold.
    TooManyLevels,
    /// More trades in one message than the decoder was configured to hold.
    TooManyTrades,
    /// A price or size that is not an exact decimal at the symbol's scale.
    Number { field: &'static str, err: NumError },
    /// An integer field that is not a non-negative integer fitting 64 bits (or a signed one for `code`).
    Integer(&'static str),
    /// An escaped string longer than 64 bytes once decoded.
    StringTooLong,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Syntax { at } => write!(f, "malformed JSON at byte {at}"),
            DecodeError::NotObject => f.write_str("message is not a JSON object"),
            DecodeError::MissingField(k) => write!(f, "required field `{k}` is missing"),
            DecodeError::WrongType(k) => write!(f, "field `{k}` has the wrong JSON type"),
            DecodeError::UnknownSymbol => f.write_str("symbol not in the subscribed symbol table"),
            DecodeError::TooManyLevels => {
                f.write_str("more book levels than the decoder's capacity")
            }
            DecodeError::TooManyTrades => {
                f.write_str("more trades in one message than the decoder's capacity")
            }
            DecodeError::Number { field, err } => write!(f, "field `{field}`: {err}"),
            DecodeError::Integer(k) => write!(f, "field `{k}` is not a valid 64-bit integer"),
            DecodeError::StringTooLong => f.write_str("escaped string longer than 64 bytes"),
        }
    }
}

impl std::error::Error for DecodeError {}

type R<T> = Result<T, DecodeError>;

/// Which depth message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepthKind {
    /// `depth` / `depth-realtime`: apply with `BookSync::on_diff`.
    Diff,
    /// `depth-snapshot` / `depth-snapshot-realtime`: apply with `BookSync::on_snapshot`.
    Snapshot,
}

/// A depth diff or snapshot. Levels are in message order; a zero size deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Depth<'a> {
    pub symbol: SymbolId,
    pub kind: DepthKind,
    /// From the `-realtime` channel (unthrottled; its own seqnum space).
    pub realtime: bool,
    pub seqnum: u64,
    pub ts: u64,
    pub bids: &'a [Level],
    pub asks: &'a [Level],
}

/// Market trades of one symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trades<'a> {
    pub symbol: SymbolId,
    pub trades: &'a [Trade],
}

/// A `sub`/`unsub` acknowledgement. Strings are raw JSON string contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack<'a> {
    pub id: &'a [u8],
    pub ch: &'a [u8],
    pub code: i64,
    pub reason: &'a [u8],
}

/// An `error` message, or any market message carrying a non-zero `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorMsg<'a> {
    /// The `m` it came with (`error`, `depth-snapshot-realtime`, ...), raw.
    pub m: &'a [u8],
    pub id: &'a [u8],
    pub code: i64,
    pub reason: &'a [u8],
    pub info: &'a [u8],
}

/// A decoded stream message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg<'a> {
    Depth(Depth<'a>),
    Bbo(Bbo),
    Trades(Trades<'a>),
    Bar(Bar<'a>),
    /// `connected`; `kind` is `auth` or `unauth` (raw).
    Connected {
        kind: &'a [u8],
    },
    /// A server ping: answer `{"op":"pong"}`.
    Ping {
        hp: Option<u64>,
    },
    /// Reply to our ping.
    Pong {
        ts: Option<u64>,
        hp: Option<u64>,
    },
    Sub(Ack<'a>),
    Unsub(Ack<'a>),
    Error(ErrorMsg<'a>),
    /// The server is closing the session.
    Disconnected {
        code: Option<i64>,
        reason: &'a [u8],
        info: &'a [u8],
    },
    /// Any other `m` (`auth`, `order`, `balance`, ...): for the trading decoder. `m` is raw.
    Other {
        m: &'a [u8],
    },
}

/// Decoder capacities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderConfig {
    /// Levels per side (snapshots carry up to 500).
    pub max_levels: usize,
    /// Trades per message.
    pub max_trades: usize,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig {
            max_levels: 1000,
            max_trades: 512,
        }
    }
}

/// Market-data decoder: the symbol table plus preallocated output arrays.
#[derive(Debug, Clone)]
pub struct MdDecoder {
    symbols: SymbolTable,
    bids: Box<[Level]>,
    asks: Box<[Level]>,
    trades: Box<[Trade]>,
    /// The symbol of the last fast-path depth message: consecutive messages usually repeat it, and one 16-byte
    /// compare then replaces the scan for the closing quote and the table lookup.
    last: Option<LastSymbol>,
}

/// A table symbol of at most 16 bytes (zero-padded, little-endian) with its id and scales.
#[derive(Debug, Clone, Copy)]
struct LastSymbol {
    name: u128,
    len: usize,
    id: SymbolId,
    ps: Scale,
    qs: Scale,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Depth,
    DepthRt,
    Snap,
    SnapRt,
    Bbo,
    Trades,
    Bar,
    Connected,
    Ping,
    Pong,
    Sub,
    Unsub,
    Error,
    Disconnected,
    Other,
}

impl Kind {
    #[inline]
    fn of(m: &[u8]) -> Kind {
        match m {
            b"depth" => Kind::Depth,
            b"depth-realtime" => Kind::DepthRt,
            b"depth-snapshot" => Kind::Snap,
            b"depth-snapshot-realtime" => Kind::SnapRt,
            b"bbo" => Kind::Bbo,
            b"trades" => Kind::Trades,
            b"bar" => Kind::Bar,
            b"connected" => Kind::Connected,
            b"ping" => Kind::Ping,
            b"pong" => Kind::Pong,
            b"sub" => Kind::Sub,
            b"unsub" => Kind::Unsub,
            b"error" => Kind::Error,
            b"disconnected" => Kind::Disconnected,
            _ => Kind::Other,
        }
    }

    fn is_market(self) -> bool {
        matches!(
            self,
            Kind::Depth
                | Kind::DepthRt
                | Kind::Snap
                | Kind::SnapRt
                | Kind::Bbo
                | Kind::Trades
                | Kind::Bar
        )
    }
}

/// Parsed data payload (before it is combined with the top-level fields).
#[derive(Debug, Clone, Copy)]
enum Data<'a> {
    Depth {
        seqnum: u64,
        ts: u64,
        nb: usize,
        na: usize,
    },
    Bbo {
        ts: u64,
        bid: Option<Level>,
        ask: Option<Level>,
    },
    Trades {
        n: usize,
    },
    Bar {
        interval: &'a [u8],
        ts: u64,
        o: Price,
        h: Price,
        l: Price,
        c: Price,
        v: Qty,
    },
}

/// Top-level fields common to both parsers.
#[derive(Debug, Default, Clone, Copy)]
struct Top<'a> {
    m: Option<Str<'a>>,
    op: Option<Str<'a>>,
    symbol: Option<Str<'a>>,
    s: Option<Str<'a>>,
    id: Option<&'a [u8]>,
    ch: Option<&'a [u8]>,
    code: Option<i64>,
    reason: Option<&'a [u8]>,
    info: Option<&'a [u8]>,
    typ: Option<&'a [u8]>,
    hp: Option<u64>,
    ts: Option<u64>,
}

/// A JSON string: raw contents and whether it holds escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Str<'a> {
    raw: &'a [u8],
    escaped: bool,
}

const UNESCAPED_MAX: usize = 64;

/// Decode a JSON string's raw contents (known valid) into `out`; returns the length.
fn unescape(raw: &[u8], out: &mut [u8; UNESCAPED_MAX]) -> R<usize> {
    let mut n = 0;
    let mut i = 0;
    let mut push = |n: &mut usize, b: u8| -> R<()> {
        let slot = out.get_mut(*n).ok_or(DecodeError::StringTooLong)?;
        *slot = b;
        *n += 1;
        Ok(())
    };
    while let Some(&c) = raw.get(i) {
        if c != b'\\' {
            push(&mut n, c)?;
            i += 1;
            continue;
        }
        let e = raw
            .get(i + 1)
            .copied()
            .ok_or(DecodeError::Syntax { at: i })?;
        i += 2;
        let b = match e {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let hi = hex4(raw.get(i..i + 4)).ok_or(DecodeError::Syntax { at: i })?;
                i += 4;
                let cp = if (0xD800..0xDC00).contains(&hi) {
                    let lo = match (raw.get(i), raw.get(i + 1)) {
                        (Some(b'\\'), Some(b'u')) => {
                            hex4(raw.get(i + 2..i + 6)).ok_or(DecodeError::Syntax { at: i })?
                        }
                        _ => return Err(DecodeError::Syntax { at: i }),
                    };
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(DecodeError::Syntax { at: i });
                    }
                    i += 6;
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else if (0xDC00..0xE000).contains(&hi) {
                    return Err(DecodeError::Syntax { at: i });
                } else {
                    hi
                };
                let ch = char::from_u32(cp).ok_or(DecodeError::Syntax { at: i })?;
                let mut buf = [0u8; 4];
                for &b in ch.encode_utf8(&mut buf).as_bytes() {
                    push(&mut n, b)?;
                }
                continue;
            }
            _ => return Err(DecodeError::Syntax { at: i }),
        };
        push(&mut n, b)?;
    }
    Ok(n)
}

fn hex4(s: Option<&[u8]>) -> Option<u32> {
    let s = s?;
    let mut v = 0u32;
    for &c in s {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return None,
        };
        v = v * 16 + d as u32;
    }
    Some(v)
}

/// Run `f` on the decoded contents of a string (in place when it holds no escapes).
#[inline]
fn with_str<T>(s: Str<'_>, f: impl FnOnce(&[u8]) -> R<T>) -> R<T> {
    if !s.escaped {
        return f(s.raw);
    }
    let mut buf = [0u8; UNESCAPED_MAX];
    let n = unescape(s.raw, &mut buf)?;
    f(buf.get(..n).unwrap_or(&[]))
}

/// Digits only, fitting a u64.
#[inline]
fn parse_u64(s: &[u8], field: &'static str) -> R<u64> {
    if s.is_empty() {
        return Err(DecodeError::Integer(field));
    }
    let mut v: u64 = 0;
    for &c in s {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return Err(DecodeError::Integer(field));
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(d as u64))
            .ok_or(DecodeError::Integer(field))?;
    }
    Ok(v)
}

/// Optional `-` then digits, fitting an i64.
fn parse_i64(s: &[u8], field: &'static str) -> R<i64> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let v = parse_u64(digits, field)?;
    if neg {
        0i64.checked_sub_unsigned(v)
            .ok_or(DecodeError::Integer(field))
    } else {
        i64::try_from(v).map_err(|_| DecodeError::Integer(field))
    }
}

impl MdDecoder {
    /// Allocate the output arrays once.
    pub fn new(symbols: SymbolTable, cfg: DecoderConfig) -> MdDecoder {
        MdDecoder {
            symbols,
            bids: vec![Level::default(); cfg.max_levels].into_boxed_slice(),
            asks: vec![Level::default(); cfg.max_levels].into_boxed_slice(),
            trades: vec![Trade::default(); cfg.max_trades].into_boxed_slice(),
            last: None,
        }
    }

    pub fn symbols(&self) -> &SymbolTable {
        &self.symbols
    }

    pub fn symbols_mut(&mut self) -> &mut SymbolTable {
        // The caller may change scales or names: the cached symbol is no longer trusted.
        self.last = None;
        &mut self.symbols
    }

    /// Decode one payload with the hand-written scanner (the hot path).
    #[inline]
    pub fn decode<'a>(&'a mut self, frame: &'a [u8]) -> R<Msg<'a>> {
        if let Some(f) = hand::fast_depth(self, frame) {
            return Ok(Msg::Depth(Depth {
                symbol: f.symbol,
                kind: if matches!(f.kind, Kind::Depth | Kind::DepthRt) {
                    DepthKind::Diff
                } else {
                    DepthKind::Snapshot
                },
                realtime: matches!(f.kind, Kind::DepthRt | Kind::SnapRt),
                seqnum: f.seqnum,
                ts: f.ts,
                bids: self.bids.get(..f.nb).unwrap_or(&[]),
                asks: self.asks.get(..f.na).unwrap_or(&[]),
            }));
        }
        let (top, data) = hand::parse(self, frame)?;
        self.finish(top, data)
    }

    /// Best-effort symbol of a payload that failed to decode, so the engine can mark that symbol's book stale
    /// (`BookSync::on_bad_message`): the first `"symbol":"..."` (or `"s":"..."`) without escapes, if in the table.
    pub fn symbol_of(&self, frame: &[u8]) -> Option<SymbolId> {
        for key in [&b"\"symbol\":\""[..], b"\"s\":\""] {
            if let Some(p) = frame.windows(key.len()).position(|w| w == key) {
                let rest = frame.get(p + key.len()..)?;
                let end = rest.iter().position(|&c| c == b'"' || c == b'\\')?;
                return self.symbols.lookup(rest.get(..end)?);
            }
        }
        None
    }

    /// Decode one payload with sonic-rs (the reference parser).
    pub fn decode_reference<'a>(&'a mut self, frame: &'a [u8]) -> R<Msg<'a>> {
        let (top, data) = reference::parse(self, frame)?;
        self.finish(top, data)
    }

    /// The message kind (from `m`, else `op`), decoded.
    fn kind(top: &Top<'_>) -> R<Option<Kind>> {
        match top.m.or(top.op) {
            Some(m) => with_str(m, |b| Ok(Some(Kind::of(b)))),
            None => Ok(None),
        }
    }

    /// Resolve the symbol to its id and scales.
    #[inline]
    fn symbol(&self, top: &Top<'_>) -> R<(SymbolId, Scale, Scale)> {
        let s = top
            .symbol
            .or(top.s)
            .ok_or(DecodeError::MissingField("symbol"))?;
        let id = with_str(s, |b| {
            self.symbols.lookup(b).ok_or(DecodeError::UnknownSymbol)
        })?;
        let (p, q) = self.symbols.scales(id).ok_or(DecodeError::UnknownSymbol)?;
        Ok((id, p, q))
    }

    fn finish<'a>(&'a self, top: Top<'a>, data: Option<Data<'a>>) -> R<Msg<'a>> {
        let kind = Self::kind(&top)?.ok_or(DecodeError::MissingField("m"))?;
        let raw = |s: Option<&'a [u8]>| s.unwrap_or(&[]);
        let m_raw = top.m.or(top.op).map_or(&[][..], |s| s.raw);
        if kind.is_market() && top.code.is_some_and(|c| c != 0) {
            return Ok(Msg::Error(ErrorMsg {
                m: m_raw,
                id: raw(top.id),
                code: top.code.unwrap_or(0),
                reason: raw(top.reason),
                info: raw(top.info),
            }));
        }
        let need_data = || data.ok_or(DecodeError::MissingField("data"));
        Ok(match kind {
            Kind::Depth | Kind::DepthRt | Kind::Snap | Kind::SnapRt => {
                let (symbol, _, _) = self.symbol(&top)?;
                let Data::Depth { seqnum, ts, nb, na } = need_data()? else {
                    return Err(DecodeError::WrongType("data"));
                };
                Msg::Depth(Depth {
                    symbol,
                    kind: if matches!(kind, Kind::Depth | Kind::DepthRt) {
                        DepthKind::Diff
                    } else {
                        DepthKind::Snapshot
                    },
                    realtime: matches!(kind, Kind::DepthRt | Kind::SnapRt),
                    seqnum,
                    ts,
                    bids: self.bids.get(..nb).unwrap_or(&[]),
                    asks: self.asks.get(..na).unwrap_or(&[]),
                })
            }
            Kind::Bbo => {
                let (symbol, _, _) = self.symbol(&top)?;
                let Data::Bbo { ts, bid, ask } = need_data()? else {
                    return Err(DecodeError::WrongType("data"));
                };
                Msg::Bbo(Bbo {
                    symbol,
                    ts,
                    bid,
                    ask,
                })
            }
            Kind::Trades => {
                let (symbol, _, _) = self.symbol(&top)?;
                let Data::Trades { n } = need_data()? else {
                    return Err(DecodeError::WrongType("data"));
                };
                Msg::Trades(Trades {
                    symbol,
                    trades: self.trades.get(..n).unwrap_or(&[]),
                })
            }
            Kind::Bar => {
                let (symbol, _, _) = self.symbol(&top)?;
                let Data::Bar {
                    interval,
                    ts,
                    o,
                    h,
                    l,
                    c,
                    v,
                } = need_data()?
                else {
                    return Err(DecodeError::WrongType("data"));
                };
                Msg::Bar(Bar {
                    symbol,
                    interval,
                    ts,
                    open: o,
                    high: h,
                    low: l,
                    close: c,
                    volume: v,
                })
            }
            Kind::Connected => Msg::Connected { kind: raw(top.typ) },
            Kind::Ping => Msg::Ping { hp: top.hp },
            Kind::Pong => Msg::Pong {
                ts: top.ts,
                hp: top.hp,
            },
            Kind::Sub | Kind::Unsub => {
                let ack = Ack {
                    id: raw(top.id),
                    ch: raw(top.ch),
                    code: top.code.unwrap_or(0),
                    reason: raw(top.reason),
                };
                if kind == Kind::Sub {
                    Msg::Sub(ack)
                } else {
                    Msg::Unsub(ack)
                }
            }
            Kind::Error => Msg::Error(ErrorMsg {
                m: m_raw,
                id: raw(top.id),
                code: top.code.unwrap_or(0),
                reason: raw(top.reason),
                info: raw(top.info),
            }),
            Kind::Disconnected => Msg::Disconnected {
                code: top.code,
                reason: raw(top.reason),
                info: raw(top.info),
            },
            Kind::Other => Msg::Other { m: m_raw },
        })
    }
}

/// The hand-written scanner.
mod hand;
/// The sonic-rs reference parser.
mod reference;

#[cfg(test)]
mod tests;
