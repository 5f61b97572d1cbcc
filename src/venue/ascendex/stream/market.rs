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
mod hand {
    use super::*;

    pub(super) struct Cur<'a> {
        pub b: &'a [u8],
        pub i: usize,
    }

    impl<'a> Cur<'a> {
        #[inline]
        fn err<T>(&self) -> R<T> {
            Err(DecodeError::Syntax { at: self.i })
        }

        #[inline(always)]
        pub fn ws(&mut self) {
            while let Some(&c) = self.b.get(self.i) {
                if c == b' ' || c == b'\n' || c == b'\r' || c == b'\t' {
                    self.i += 1;
                } else {
                    break;
                }
            }
        }

        /// Skip whitespace and return the next byte without consuming it.
        #[inline(always)]
        pub fn peek(&mut self) -> R<u8> {
            self.ws();
            match self.b.get(self.i) {
                Some(&c) => Ok(c),
                None => self.err(),
            }
        }

        #[inline(always)]
        pub fn eat(&mut self, c: u8) -> R<()> {
            if self.peek()? == c {
                self.i += 1;
                Ok(())
            } else {
                self.err()
            }
        }

        /// After a value inside a container: `,` → true (more), `close` → false.
        #[inline(always)]
        pub fn next_or_close(&mut self, close: u8) -> R<bool> {
            let c = self.peek()?;
            self.i += 1;
            if c == b',' {
                Ok(true)
            } else if c == close {
                Ok(false)
            } else {
                self.i -= 1;
                self.err()
            }
        }

        /// A string at the cursor (after whitespace); validates escapes, control characters and UTF-8.
        #[inline]
        pub fn string(&mut self) -> R<Str<'a>> {
            self.eat(b'"')?;
            let start = self.i;
            let mut escaped = false;
            loop {
                // Eight bytes at a time while none is a quote, a backslash, a control or a non-ASCII byte.
                while let Some(chunk) = self.b.get(self.i..self.i + 8) {
                    let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
                    let special = swar_special(w);
                    if special == 0 {
                        self.i += 8;
                    } else {
                        self.i += (special.trailing_zeros() / 8) as usize;
                        break;
                    }
                }
                let Some(&c) = self.b.get(self.i) else {
                    return self.err();
                };
                if c == b'"' {
                    let raw = self.b.get(start..self.i).unwrap_or(&[]);
                    self.i += 1;
                    return Ok(Str { raw, escaped });
                }
                if (0x20..0x80).contains(&c) && c != b'\\' {
                    self.i += 1;
                    continue;
                }
                if c == b'\\' {
                    escaped = true;
                    let e = self.b.get(self.i + 1).copied();
                    // `\u` must be followed by four hex digits; surrogate pairing is checked only when a string is
                    // decoded (sonic-rs does not check it in strings it skips).
                    match e {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 2,
                        Some(b'u') if hex4(self.b.get(self.i + 2..self.i + 6)).is_some() => {
                            self.i += 6
                        }
                        _ => return self.err(),
                    }
                    continue;
                }
                if c < 0x20 {
                    return self.err();
                }
                // Non-ASCII: validate one UTF-8 sequence.
                match utf8_len(self.b, self.i) {
                    Some(len) => self.i += len,
                    None => return self.err(),
                }
            }
        }

        /// A JSON number token (strict grammar); returns its bytes.
        #[inline]
        pub fn number(&mut self) -> R<&'a [u8]> {
            self.ws();
            let start = self.i;
            let b = self.b;
            let digit = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_digit());
            if b.get(self.i) == Some(&b'-') {
                self.i += 1;
            }
            match b.get(self.i) {
                Some(b'0') => self.i += 1,
                Some(b'1'..=b'9') => {
                    while digit(self.i) {
                        self.i += 1;
                    }
                }
                _ => return self.err(),
            }
            if b.get(self.i) == Some(&b'.') {
                self.i += 1;
                if !digit(self.i) {
                    return self.err();
                }
                while digit(self.i) {
                    self.i += 1;
                }
            }
            if matches!(b.get(self.i), Some(b'e' | b'E')) {
                self.i += 1;
                if matches!(b.get(self.i), Some(b'+' | b'-')) {
                    self.i += 1;
                }
                if !digit(self.i) {
                    return self.err();
                }
                while digit(self.i) {
                    self.i += 1;
                }
            }
            Ok(b.get(start..self.i).unwrap_or(&[]))
        }

        fn literal(&mut self, word: &[u8]) -> R<()> {
            if self.b.get(self.i..self.i + word.len()) == Some(word) {
                self.i += word.len();
                Ok(())
            } else {
                self.err()
            }
        }

        /// Skip one value of any type, validating it, without recursion.
        pub fn skip_value(&mut self) -> R<()> {
            // One bit per open container: 1 = object, 0 = array.
            let mut stack = [0u64; 128];
            let mut depth = 0usize;
            'value: loop {
                match self.peek()? {
                    b'{' => {
                        self.i += 1;
                        if self.peek()? == b'}' {
                            self.i += 1;
                        } else {
                            if depth >= stack.len() * 64 {
                                return self.err();
                            }
                            if let Some(w) = stack.get_mut(depth / 64) {
                                *w |= 1 << (depth % 64);
                            }
                            depth += 1;
                            self.string()?;
                            self.eat(b':')?;
                            continue 'value;
                        }
                    }
                    b'[' => {
                        self.i += 1;
                        if self.peek()? == b']' {
                            self.i += 1;
                        } else {
                            if depth >= stack.len() * 64 {
                                return self.err();
                            }
                            if let Some(w) = stack.get_mut(depth / 64) {
                                *w &= !(1 << (depth % 64));
                            }
                            depth += 1;
                            continue 'value;
                        }
                    }
                    b'"' => {
                        self.string()?;
                    }
                    b't' => self.literal(b"true")?,
                    b'f' => self.literal(b"false")?,
                    b'n' => self.literal(b"null")?,
                    _ => {
                        self.number()?;
                    }
                }
                // After a value: close containers until one continues.
                loop {
                    if depth == 0 {
                        return Ok(());
                    }
                    let top = depth - 1;
                    let is_obj = stack
                        .get(top / 64)
                        .is_some_and(|w| w & (1 << (top % 64)) != 0);
                    if self.next_or_close(if is_obj { b'}' } else { b']' })? {
                        if is_obj {
                            self.string()?;
                            self.eat(b':')?;
                        }
                        continue 'value;
                    }
                    depth -= 1;
                }
            }
        }

        #[inline]
        fn value_str(&mut self, field: &'static str) -> R<Str<'a>> {
            if self.peek()? != b'"' {
                self.skip_value()?;
                return Err(DecodeError::WrongType(field));
            }
            self.string()
        }

        #[inline]
        fn decimal(&mut self, scale: Scale, field: &'static str) -> R<i64> {
            match self.peek()? {
                b'"' => {
                    // One pass over plain digits; anything unusual takes the general path below.
                    if let Some((v, end)) = parse_scaled_quoted(self.b, self.i + 1, scale) {
                        self.i = end;
                        return Ok(v);
                    }
                    let s = self.string()?;
                    with_str(s, |b| {
                        parse_scaled(b, scale).map_err(|err| DecodeError::Number { field, err })
                    })
                }
                b'-' | b'0'..=b'9' => {
                    let t = self.number()?;
                    parse_scaled(t, scale).map_err(|err| DecodeError::Number { field, err })
                }
                _ => {
                    self.skip_value()?;
                    Err(DecodeError::WrongType(field))
                }
            }
        }

        #[inline]
        fn uint(&mut self, field: &'static str) -> R<u64> {
            self.integer(field, parse_u64)
        }

        fn int(&mut self, field: &'static str) -> R<i64> {
            self.integer(field, parse_i64)
        }

        /// An integer the exchange may send as a number or as a quoted string.
        #[inline]
        fn integer<T>(
            &mut self,
            field: &'static str,
            parse: fn(&[u8], &'static str) -> R<T>,
        ) -> R<T> {
            match self.peek()? {
                b'"' => {
                    let s = self.string()?;
                    with_str(s, |b| parse(b, field))
                }
                b'-' | b'0'..=b'9' => {
                    let t = self.number()?;
                    parse(t, field)
                }
                _ => {
                    self.skip_value()?;
                    Err(DecodeError::WrongType(field))
                }
            }
        }

        fn boolean(&mut self, field: &'static str) -> R<bool> {
            match self.peek()? {
                b't' => self.literal(b"true").map(|_| true),
                b'f' => self.literal(b"false").map(|_| false),
                _ => {
                    self.skip_value()?;
                    Err(DecodeError::WrongType(field))
                }
            }
        }

        /// `[price, size, ...]`.
        #[inline]
        fn level(&mut self, ps: Scale, qs: Scale, field: &'static str) -> R<Level> {
            if self.peek()? != b'[' {
                self.skip_value()?;
                return Err(DecodeError::WrongType(field));
            }
            self.i += 1;
            let price = self.decimal(ps, "price")?;
            if !self.next_or_close(b']')? {
                return Err(DecodeError::WrongType(field));
            }
            let qty = self.decimal(qs, "size")?;
            while self.next_or_close(b']')? {
                self.skip_value()?;
            }
            Ok(Level {
                price: Price(price),
                qty: Qty(qty),
            })
        }

        /// `[[p,s],...]` into `out`; returns the count.
        #[inline]
        fn levels(
            &mut self,
            out: &mut [Level],
            ps: Scale,
            qs: Scale,
            field: &'static str,
        ) -> R<usize> {
            if self.peek()? != b'[' {
                self.skip_value()?;
                return Err(DecodeError::WrongType(field));
            }
            self.i += 1;
            if self.peek()? == b']' {
                self.i += 1;
                return Ok(0);
            }
            let mut n = 0;
            loop {
                let l = match self.compact_level(ps, qs) {
                    Some(l) => l,
                    None => self.level(ps, qs, field)?,
                };
                *out.get_mut(n).ok_or(DecodeError::TooManyLevels)? = l;
                n += 1;
                // The exchange sends compact JSON: `,` straight after the level is the common case.
                if self.b.get(self.i) == Some(&b',') {
                    self.i += 1;
                    continue;
                }
                if !self.next_or_close(b']')? {
                    return Ok(n);
                }
            }
        }

        /// The exchange's exact spelling of a level, `["P","Q"]`, in one pass; `None` (cursor unmoved) for anything
        /// else, which `level` then parses in full.
        #[inline(always)]
        fn compact_level(&mut self, ps: Scale, qs: Scale) -> Option<Level> {
            let b = self.b;
            let i = self.i;
            if b.get(i..i + 2)? != b"[\"" {
                return None;
            }
            let (p, j) = parse_scaled_quoted(b, i + 2, ps)?;
            if b.get(j..j + 2)? != b",\"" {
                return None;
            }
            let (q, k) = parse_scaled_quoted(b, j + 2, qs)?;
            if *b.get(k)? != b']' {
                return None;
            }
            self.i = k + 1;
            Some(Level {
                price: Price(p),
                qty: Qty(q),
            })
        }

        /// A `bid`/`ask` pair that may be empty (`[]`).
        fn opt_level(&mut self, ps: Scale, qs: Scale, field: &'static str) -> R<Option<Level>> {
            if self.peek()? != b'[' {
                self.skip_value()?;
                return Err(DecodeError::WrongType(field));
            }
            let save = self.i;
            self.i += 1;
            if self.peek()? == b']' {
                self.i += 1;
                return Ok(None);
            }
            self.i = save;
            self.level(ps, qs, field).map(Some)
        }

        /// Iterate an object's keys, calling `f(cursor, key)` positioned at each value; `f` consumes the value.
        #[inline]
        pub fn object(&mut self, mut f: impl FnMut(&mut Self, Str<'a>) -> R<()>) -> R<()> {
            if self.peek()? != b'{' {
                return Err(DecodeError::NotObject);
            }
            self.i += 1;
            if self.peek()? == b'}' {
                self.i += 1;
                return Ok(());
            }
            loop {
                let key = self.string()?;
                self.eat(b':')?;
                f(self, key)?;
                if !self.next_or_close(b'}')? {
                    return Ok(());
                }
            }
        }

        fn depth_data(
            &mut self,
            bids: &mut [Level],
            asks: &mut [Level],
            ps: Scale,
            qs: Scale,
        ) -> R<Data<'a>> {
            let (mut seq, mut ts, mut nb, mut na) = (None, None, None, None);
            self.object(|c, k| {
                with_key(k, |key| {
                    match key {
                        b"seqnum" => seq = Some(c.uint("seqnum")?),
                        b"ts" => ts = Some(c.uint("ts")?),
                        b"asks" => na = Some(c.levels(asks, ps, qs, "asks")?),
                        b"bids" => nb = Some(c.levels(bids, ps, qs, "bids")?),
                        _ => c.skip_value()?,
                    }
                    Ok(())
                })
            })
            .map_err(obj_err("data"))?;
            Ok(Data::Depth {
                seqnum: seq.ok_or(DecodeError::MissingField("seqnum"))?,
                ts: ts.ok_or(DecodeError::MissingField("ts"))?,
                nb: nb.ok_or(DecodeError::MissingField("bids"))?,
                na: na.ok_or(DecodeError::MissingField("asks"))?,
            })
        }

        fn bbo_data(&mut self, ps: Scale, qs: Scale) -> R<Data<'a>> {
            let (mut ts, mut bid, mut ask) = (None, None, None);
            self.object(|c, k| {
                with_key(k, |key| {
                    match key {
                        b"ts" => ts = Some(c.uint("ts")?),
                        b"bid" => bid = Some(c.opt_level(ps, qs, "bid")?),
                        b"ask" => ask = Some(c.opt_level(ps, qs, "ask")?),
                        _ => c.skip_value()?,
                    }
                    Ok(())
                })
            })
            .map_err(obj_err("data"))?;
            Ok(Data::Bbo {
                ts: ts.ok_or(DecodeError::MissingField("ts"))?,
                bid: bid.ok_or(DecodeError::MissingField("bid"))?,
                ask: ask.ok_or(DecodeError::MissingField("ask"))?,
            })
        }

        fn trade(&mut self, ps: Scale, qs: Scale) -> R<Trade> {
            let (mut p, mut q, mut ts, mut bm, mut seq) = (None, None, None, None, None);
            self.object(|c, k| {
                with_key(k, |key| {
                    match key {
                        b"p" => p = Some(c.decimal(ps, "p")?),
                        b"q" => q = Some(c.decimal(qs, "q")?),
                        b"ts" => ts = Some(c.uint("ts")?),
                        b"bm" => bm = Some(c.boolean("bm")?),
                        b"seqnum" => seq = Some(c.uint("seqnum")?),
                        _ => c.skip_value()?,
                    }
                    Ok(())
                })
            })
            .map_err(obj_err("data"))?;
            Ok(Trade {
                price: Price(p.ok_or(DecodeError::MissingField("p"))?),
                qty: Qty(q.ok_or(DecodeError::MissingField("q"))?),
                ts: ts.ok_or(DecodeError::MissingField("ts"))?,
                seqnum: seq.ok_or(DecodeError::MissingField("seqnum"))?,
                buyer_is_maker: bm.ok_or(DecodeError::MissingField("bm"))?,
            })
        }

        fn trades_data(&mut self, out: &mut [Trade], ps: Scale, qs: Scale) -> R<Data<'a>> {
            if self.peek()? != b'[' {
                self.skip_value()?;
                return Err(DecodeError::WrongType("data"));
            }
            self.i += 1;
            if self.peek()? == b']' {
                self.i += 1;
                return Ok(Data::Trades { n: 0 });
            }
            let mut n = 0;
            loop {
                let t = self.trade(ps, qs)?;
                *out.get_mut(n).ok_or(DecodeError::TooManyTrades)? = t;
                n += 1;
                if !self.next_or_close(b']')? {
                    return Ok(Data::Trades { n });
                }
            }
        }

        fn bar_data(&mut self, ps: Scale, qs: Scale) -> R<Data<'a>> {
            let (mut i, mut ts, mut o, mut h, mut l, mut c_, mut v) =
                (None, None, None, None, None, None, None);
            self.object(|c, k| {
                with_key(k, |key| {
                    match key {
                        b"i" => i = Some(c.value_str("i")?.raw),
                        b"ts" => ts = Some(c.uint("ts")?),
                        b"o" => o = Some(c.decimal(ps, "o")?),
                        b"h" => h = Some(c.decimal(ps, "h")?),
                        b"l" => l = Some(c.decimal(ps, "l")?),
                        b"c" => c_ = Some(c.decimal(ps, "c")?),
                        b"v" => v = Some(c.decimal(qs, "v")?),
                        _ => c.skip_value()?,
                    }
                    Ok(())
                })
            })
            .map_err(obj_err("data"))?;
            let px = |x: Option<i64>, f| x.map(Price).ok_or(DecodeError::MissingField(f));
            Ok(Data::Bar {
                interval: i.ok_or(DecodeError::MissingField("i"))?,
                ts: ts.ok_or(DecodeError::MissingField("ts"))?,
                o: px(o, "o")?,
                h: px(h, "h")?,
                l: px(l, "l")?,
                c: px(c_, "c")?,
                v: Qty(v.ok_or(DecodeError::MissingField("v"))?),
            })
        }

        /// Parse `data` for `kind` at the cursor.
        fn data(&mut self, d: &mut MdDecoder, kind: Kind, ps: Scale, qs: Scale) -> R<Data<'a>> {
            match kind {
                Kind::Depth | Kind::DepthRt | Kind::Snap | Kind::SnapRt => {
                    self.depth_data(&mut d.bids, &mut d.asks, ps, qs)
                }
                Kind::Bbo => self.bbo_data(ps, qs),
                Kind::Trades => self.trades_data(&mut d.trades, ps, qs),
                _ => self.bar_data(ps, qs),
            }
        }
    }

    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;

    /// High bit set in each byte of `w` that is `"`, `\\`, below 0x20 or above 0x7F. Bits after the first flagged
    /// byte can be false positives (borrows); the first one is exact, which is all the caller uses.
    #[inline(always)]
    fn swar_special(w: u64) -> u64 {
        let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
        zero(w ^ (ONES * b'"' as u64))
            | zero(w ^ (ONES * b'\\' as u64))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH)
            | (w & HIGH)
    }

    /// Length of the valid UTF-8 sequence starting at `i`, if it is one.
    fn utf8_len(b: &[u8], i: usize) -> Option<usize> {
        let len = match b.get(i)? {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return None,
        };
        std::str::from_utf8(b.get(i..i + len)?).ok().map(|_| len)
    }

    /// Map "not an object" of a nested value to a type error on `field`.
    fn obj_err(field: &'static str) -> impl Fn(DecodeError) -> DecodeError {
        move |e| {
            if e == DecodeError::NotObject {
                DecodeError::WrongType(field)
            } else {
                e
            }
        }
    }

    /// Run `f` on a decoded key. An escaped key too long for the buffer cannot be any key we know, so it is
    /// passed as the empty key (skipped), as the reference does with its fully decoded keys.
    #[inline]
    fn with_key<T>(k: Str<'_>, f: impl FnOnce(&[u8]) -> R<T>) -> R<T> {
        if !k.escaped {
            return f(k.raw);
        }
        let mut buf = [0u8; UNESCAPED_MAX];
        match unescape(k.raw, &mut buf) {
            Ok(n) => f(buf.get(..n).unwrap_or(&[])),
            Err(DecodeError::StringTooLong) => f(b""),
            Err(e) => Err(e),
        }
    }

    pub(super) struct FastDepth {
        pub kind: Kind,
        pub symbol: SymbolId,
        pub seqnum: u64,
        pub ts: u64,
        pub nb: usize,
        pub na: usize,
    }

    /// Digits of a JSON integer followed by `,` or `}`; `None` for anything else (leading zeros, signs, strings,
    /// more than 19 digits), which the general path then handles.
    #[inline(always)]
    fn compact_uint(b: &[u8], i: &mut usize) -> Option<u64> {
        if let Some((v, n, end)) = crate::num::digit_run_u64(b, *i) {
            let lead_zero = n > 1 && b.get(*i) == Some(&b'0');
            if n == 0 || lead_zero || !matches!(b.get(end), Some(b',' | b'}')) {
                return None;
            }
            *i = end;
            return Some(v);
        }
        let rest = b.get(*i..)?;
        let mut v: u64 = 0;
        for (n, &c) in rest.iter().enumerate() {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                if n == 0 || (n > 1 && rest.first() == Some(&b'0')) || !(c == b',' || c == b'}') {
                    return None;
                }
                *i += n;
                return Some(v);
            }
            v = v.checked_mul(10)?.checked_add(d as u64)?;
        }
        None
    }

    /// The exchange's exact spelling of a depth message — compact JSON, keys `m`, `symbol`, `data` in that order, data
    /// keys `ts`, `seqnum`, `asks`, `bids` in any order, plain decimal strings — decoded in one pass. Anything else
    /// returns `None` and goes through the general parser, which accepts the same messages with the same result
    /// (and is what the agreement tests compare with the reference).
    #[inline]
    pub(super) fn fast_depth(d: &mut MdDecoder, b: &[u8]) -> Option<FastDepth> {
        let mut i = 0;
        let lit = |i: &mut usize, s: &[u8]| -> Option<()> {
            if b.get(*i..*i + s.len())? == s {
                *i += s.len();
                Some(())
            } else {
                None
            }
        };
        lit(&mut i, b"{\"m\":\"depth")?;
        let kind = if lit(&mut i, b"\",").is_some() {
            Kind::Depth
        } else if lit(&mut i, b"-realtime\",").is_some() {
            Kind::DepthRt
        } else if lit(&mut i, b"-snapshot\",").is_some() {
            Kind::Snap
        } else {
            lit(&mut i, b"-snapshot-realtime\",")?;
            Kind::SnapRt
        };
        lit(&mut i, b"\"symbol\":\"")?;
        let (symbol, ps, qs) = match fast_symbol(d, b, &mut i) {
            Some(hit) => hit,
            None => {
                let sym_start = i;
                let sym_len = b
                    .get(i..)?
                    .iter()
                    .position(|&c| c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c))?;
                let sym = b.get(sym_start..sym_start + sym_len)?;
                i += sym_len;
                let symbol = d.symbols.lookup(sym)?;
                let (ps, qs) = d.symbols.scales(symbol)?;
                if let Some(name) = pad16(sym) {
                    d.last = Some(LastSymbol {
                        name,
                        len: sym_len,
                        id: symbol,
                        ps,
                        qs,
                    });
                }
                (symbol, ps, qs)
            }
        };
        lit(&mut i, b"\",\"data\":{")?;
        let (mut seqnum, mut ts, mut nb, mut na) = (None, None, None, None);
        loop {
            if lit(&mut i, b"\"ts\":").is_some() {
                ts = Some(compact_uint(b, &mut i)?);
            } else if lit(&mut i, b"\"seqnum\":").is_some() {
                seqnum = Some(compact_uint(b, &mut i)?);
            } else if lit(&mut i, b"\"asks\":[").is_some() {
                na = Some(compact_levels(b, &mut i, &mut d.asks, ps, qs)?);
            } else if lit(&mut i, b"\"bids\":[").is_some() {
                nb = Some(compact_levels(b, &mut i, &mut d.bids, ps, qs)?);
            } else {
                return None;
            }
            match b.get(i)? {
                b',' => i += 1,
                b'}' => break,
                _ => return None,
            }
        }
        if i + 2 != b.len() || b.get(i..)? != b"}}" {
            return None;
        }
        Some(FastDepth {
            kind,
            symbol,
            seqnum: seqnum?,
            ts: ts?,
            nb: nb?,
            na: na?,
        })
    }

    /// The cached last symbol when the bytes at `i` are exactly its name followed by `"`; the cursor then moves to
    /// that quote. The cached name passed the full scan (no quote, backslash or control byte), so a match here
    /// is what the scan and lookup would return.
    #[inline(always)]
    fn fast_symbol(d: &MdDecoder, b: &[u8], i: &mut usize) -> Option<(SymbolId, Scale, Scale)> {
        let last = d.last?;
        let chunk: [u8; 16] = b.get(*i..*i + 16)?.try_into().ok()?;
        let mask = if last.len == 16 {
            u128::MAX
        } else {
            (1u128 << (last.len * 8)) - 1
        };
        if u128::from_le_bytes(chunk) & mask != last.name || b.get(*i + last.len) != Some(&b'"') {
            return None;
        }
        *i += last.len;
        Some((last.id, last.ps, last.qs))
    }

    /// A name of at most 16 bytes as a zero-padded little-endian `u128`.
    fn pad16(name: &[u8]) -> Option<u128> {
        let mut buf = [0u8; 16];
        buf.get_mut(..name.len())?.copy_from_slice(name);
        Some(u128::from_le_bytes(buf))
    }

    /// `["P","Q"],...]` after the opening `[`: the count, with the cursor after the closing `]`.
    #[inline(always)]
    fn compact_levels(
        b: &[u8],
        i: &mut usize,
        out: &mut [Level],
        ps: Scale,
        qs: Scale,
    ) -> Option<usize> {
        if b.get(*i) == Some(&b']') {
            *i += 1;
            return Some(0);
        }
        if b.get(*i..*i + 2)? != b"[\"" {
            return None;
        }
        let mut n = 0;
        // P's first character.
        let mut s = *i + 2;
        let mut tail: Option<Tail> = None;
        loop {
            let (p, q, end, next) = match level_pair(b, s, ps, qs, &mut tail) {
                Some(hit) => hit,
                None => slow_pair(b, s, ps, qs)?,
            };
            *out.get_mut(n)? = Level {
                price: Price(p),
                qty: Qty(q),
            };
            n += 1;
            // After the level: `],["` (another one) or `]]` (the array ends), compared as one word each.
            if next == u32::from_le_bytes(*b"],[\"") {
                s = end + 4;
            } else if next as u16 == u16::from_le_bytes(*b"]]") {
                *i = end + 2;
                return Some(n);
            } else {
                return None;
            }
        }
    }

    /// `P","Q"` one number at a time, for what the two-number path declines: the same result shape.
    #[cold]
    fn slow_pair(b: &[u8], s: usize, ps: Scale, qs: Scale) -> Option<(i64, i64, usize, u32)> {
        let (p, j) = parse_scaled_quoted(b, s, ps)?;
        if b.get(j..j + 2)? != b",\"" {
            return None;
        }
        let (q, end) = parse_scaled_quoted(b, j + 2, qs)?;
        // Bytes past the frame read as zero, which matches neither separator.
        let mut next = [0u8; 4];
        for (k, slot) in next.iter_mut().enumerate() {
            *slot = b.get(end + k).copied().unwrap_or(0);
        }
        Some((p, q, end, u32::from_le_bytes(next)))
    }

    /// The last 48 bytes of a frame followed by zeros: the 48-byte window `parse_scaled_pair_quoted` reads is then
    /// available at every position of the frame. Zeros are not digits, quotes or separators, so a window that
    /// reaches past the frame ends where the frame does.
    struct Tail {
        bytes: [u8; 96],
        base: usize,
    }

    impl Tail {
        #[inline(always)]
        fn of(b: &[u8]) -> Tail {
            let mut bytes = [0u8; 96];
            // A fixed-size copy (a few vector moves) for every real depth message; shorter frames copy what there is.
            let base = match b.len().checked_sub(48) {
                Some(base) => {
                    if let (Some(dst), Some(src)) = (bytes.get_mut(..48), b.get(base..base + 48)) {
                        dst.copy_from_slice(src);
                    }
                    base
                }
                None => {
                    if let Some(dst) = bytes.get_mut(..b.len()) {
                        dst.copy_from_slice(b);
                    }
                    0
                }
            };
            Tail { bytes, base }
        }
    }

    /// `P","Q"` at `start` through the two-number fast path, from the frame itself or, near its end, from the
    /// padded copy of its tail (made once per level array).
    #[inline(always)]
    fn level_pair(
        b: &[u8],
        start: usize,
        ps: Scale,
        qs: Scale,
        tail: &mut Option<Tail>,
    ) -> Option<(i64, i64, usize, u32)> {
        if start + 48 <= b.len() {
            return parse_scaled_pair_quoted(b, start, ps, qs);
        }
        let t = tail.get_or_insert_with(|| Tail::of(b));
        let (p, q, end, next) =
            parse_scaled_pair_quoted(&t.bytes, start.checked_sub(t.base)?, ps, qs)?;
        Some((p, q, end + t.base, next))
    }

    pub(super) fn parse<'a>(d: &mut MdDecoder, frame: &'a [u8]) -> R<(Top<'a>, Option<Data<'a>>)> {
        let mut c = Cur { b: frame, i: 0 };
        let mut top = Top::default();
        // `data` is parsed as soon as the kind and symbol are known (the exchange sends `m`, `symbol`, `data` in
        // that order); otherwise its span is kept and parsed at the end. A later `m`/`symbol` invalidates it.
        let mut data_at: Option<usize> = None;
        let mut data: Option<Data<'a>> = None;
        c.object(|c, k| {
            with_key(k, |key| {
                match key {
                    b"m" => {
                        top.m = Some(c.value_str("m")?);
                        data = None;
                    }
                    b"symbol" => {
                        top.symbol = Some(c.value_str("symbol")?);
                        data = None;
                    }
                    b"data" => {
                        c.ws();
                        data_at = Some(c.i);
                        data = None;
                        if let Ok(Some(kind)) = MdDecoder::kind(&top)
                            && kind.is_market()
                            && let Ok((_, ps, qs)) = d.symbol(&top)
                        {
                            let save = c.i;
                            match c.data(d, kind, ps, qs) {
                                Ok(v) => {
                                    data = Some(v);
                                    return Ok(());
                                }
                                Err(_) => c.i = save,
                            }
                        }
                        c.skip_value()?;
                    }
                    b"op" => {
                        top.op = Some(c.value_str("op")?);
                        data = None;
                    }
                    b"s" => {
                        top.s = Some(c.value_str("s")?);
                        data = None;
                    }
                    b"id" => top.id = Some(c.value_str("id")?.raw),
                    b"ch" => top.ch = Some(c.value_str("ch")?.raw),
                    b"code" => top.code = Some(c.int("code")?),
                    b"reason" => top.reason = Some(c.value_str("reason")?.raw),
                    b"info" => top.info = Some(c.value_str("info")?.raw),
                    b"type" => top.typ = Some(c.value_str("type")?.raw),
                    b"hp" => top.hp = Some(c.uint("hp")?),
                    b"ts" => top.ts = Some(c.uint("ts")?),
                    _ => c.skip_value()?,
                }
                Ok(())
            })
        })?;
        c.ws();
        if c.i != frame.len() {
            return Err(DecodeError::Syntax { at: c.i });
        }
        if data.is_none()
            && let Some(at) = data_at
        {
            let kind = MdDecoder::kind(&top)?;
            if let Some(kind) = kind.filter(|k| k.is_market()) {
                if top.code.is_some_and(|c| c != 0) {
                    return Ok((top, None));
                }
                let (_, ps, qs) = d.symbol(&top)?;
                let mut c = Cur { b: frame, i: at };
                data = Some(c.data(d, kind, ps, qs)?);
            }
        }
        Ok((top, data))
    }
}

/// The sonic-rs reference parser.
mod reference {
    use super::*;
    use sonic_rs::{JsonValueTrait, LazyValue};

    fn syntax(_: sonic_rs::Error) -> DecodeError {
        DecodeError::Syntax { at: 0 }
    }

    fn str_of<'a>(v: &LazyValue<'a>, field: &'static str) -> R<Str<'a>> {
        if !v.is_str() {
            return Err(DecodeError::WrongType(field));
        }
        let raw: &'a [u8] = match v.as_raw_cow() {
            std::borrow::Cow::Borrowed(s) => s.as_bytes(),
            std::borrow::Cow::Owned(_) => return Err(DecodeError::WrongType(field)),
        };
        let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or(&[]);
        Ok(Str {
            raw: inner,
            escaped: inner.contains(&b'\\'),
        })
    }

    /// The decoded string contents (through sonic-rs), with the shared 64-byte limit for escaped strings.
    fn decoded<T>(v: &LazyValue<'_>, field: &'static str, f: impl FnOnce(&[u8]) -> R<T>) -> R<T> {
        let s = str_of(v, field)?;
        let text = v.as_str().ok_or(DecodeError::WrongType(field))?;
        if s.escaped && text.len() > UNESCAPED_MAX {
            return Err(DecodeError::StringTooLong);
        }
        f(text.as_bytes())
    }

    fn decimal(v: &LazyValue<'_>, scale: Scale, field: &'static str) -> R<i64> {
        let num =
            |b: &[u8]| parse_scaled(b, scale).map_err(|err| DecodeError::Number { field, err });
        if v.is_str() {
            decoded(v, field, num)
        } else if v.is_number() {
            num(v.as_raw_str().as_bytes().trim_ascii())
        } else {
            Err(DecodeError::WrongType(field))
        }
    }

    fn uint(v: &LazyValue<'_>, field: &'static str) -> R<u64> {
        if v.is_str() {
            decoded(v, field, |b| parse_u64(b, field))
        } else if v.is_number() {
            parse_u64(v.as_raw_str().as_bytes().trim_ascii(), field)
        } else {
            Err(DecodeError::WrongType(field))
        }
    }

    fn int(v: &LazyValue<'_>, field: &'static str) -> R<i64> {
        if v.is_str() {
            decoded(v, field, |b| parse_i64(b, field))
        } else if v.is_number() {
            parse_i64(v.as_raw_str().as_bytes().trim_ascii(), field)
        } else {
            Err(DecodeError::WrongType(field))
        }
    }

    fn key_is(k: &str, name: &str) -> bool {
        k == name
    }

    fn level(v: LazyValue<'_>, ps: Scale, qs: Scale, field: &'static str) -> R<Option<Level>> {
        let Some(it) = v.into_array_iter() else {
            return Err(DecodeError::WrongType(field));
        };
        let mut price = None;
        let mut qty = None;
        let mut n = 0;
        for e in it {
            let e = e.map_err(syntax)?;
            match n {
                0 => price = Some(decimal(&e, ps, "price")?),
                1 => qty = Some(decimal(&e, qs, "size")?),
                _ => {}
            }
            n += 1;
        }
        match (n, price, qty) {
            (0, _, _) => Ok(None),
            (_, Some(p), Some(q)) => Ok(Some(Level {
                price: Price(p),
                qty: Qty(q),
            })),
            _ => Err(DecodeError::WrongType(field)),
        }
    }

    fn levels(
        v: LazyValue<'_>,
        out: &mut [Level],
        ps: Scale,
        qs: Scale,
        field: &'static str,
    ) -> R<usize> {
        let Some(it) = v.into_array_iter() else {
            return Err(DecodeError::WrongType(field));
        };
        let mut n = 0;
        for e in it {
            let e = e.map_err(syntax)?;
            if !e.is_array() {
                return Err(DecodeError::WrongType(field));
            }
            let l = level(e, ps, qs, field)?.ok_or(DecodeError::WrongType(field))?;
            *out.get_mut(n).ok_or(DecodeError::TooManyLevels)? = l;
            n += 1;
        }
        Ok(n)
    }

    fn obj<'a>(v: LazyValue<'a>, field: &'static str) -> R<sonic_rs::ObjectJsonIter<'a>> {
        v.into_object_iter().ok_or(DecodeError::WrongType(field))
    }

    fn data<'a>(
        d: &mut MdDecoder,
        v: LazyValue<'a>,
        kind: Kind,
        ps: Scale,
        qs: Scale,
    ) -> R<Data<'a>> {
        match kind {
            Kind::Depth | Kind::DepthRt | Kind::Snap | Kind::SnapRt => {
                let (mut seq, mut ts, mut nb, mut na) = (None, None, None, None);
                for kv in obj(v, "data")? {
                    let (k, v) = kv.map_err(syntax)?;
                    match &*k {
                        "seqnum" => seq = Some(uint(&v, "seqnum")?),
                        "ts" => ts = Some(uint(&v, "ts")?),
                        "asks" => na = Some(levels(v, &mut d.asks, ps, qs, "asks")?),
                        "bids" => nb = Some(levels(v, &mut d.bids, ps, qs, "bids")?),
                        _ => {}
                    }
                }
                Ok(Data::Depth {
                    seqnum: seq.ok_or(DecodeError::MissingField("seqnum"))?,
                    ts: ts.ok_or(DecodeError::MissingField("ts"))?,
                    nb: nb.ok_or(DecodeError::MissingField("bids"))?,
                    na: na.ok_or(DecodeError::MissingField("asks"))?,
                })
            }
            Kind::Bbo => {
                let (mut ts, mut bid, mut ask) = (None, None, None);
                for kv in obj(v, "data")? {
                    let (k, v) = kv.map_err(syntax)?;
                    match &*k {
                        "ts" => ts = Some(uint(&v, "ts")?),
                        "bid" => bid = Some(level(v, ps, qs, "bid")?),
                        "ask" => ask = Some(level(v, ps, qs, "ask")?),
                        _ => {}
                    }
                }
                Ok(Data::Bbo {
                    ts: ts.ok_or(DecodeError::MissingField("ts"))?,
                    bid: bid.ok_or(DecodeError::MissingField("bid"))?,
                    ask: ask.ok_or(DecodeError::MissingField("ask"))?,
                })
            }
            Kind::Trades => {
                let Some(it) = v.into_array_iter() else {
                    return Err(DecodeError::WrongType("data"));
                };
                let mut n = 0;
                for e in it {
                    let e = e.map_err(syntax)?;
                    let (mut p, mut q, mut ts, mut bm, mut seq) = (None, None, None, None, None);
                    for kv in obj(e, "data")? {
                        let (k, v) = kv.map_err(syntax)?;
                        match &*k {
                            "p" => p = Some(decimal(&v, ps, "p")?),
                            "q" => q = Some(decimal(&v, qs, "q")?),
                            "ts" => ts = Some(uint(&v, "ts")?),
                            "bm" => bm = Some(v.as_bool().ok_or(DecodeError::WrongType("bm"))?),
                            "seqnum" => seq = Some(uint(&v, "seqnum")?),
                            _ => {}
                        }
                    }
                    let t = Trade {
                        price: Price(p.ok_or(DecodeError::MissingField("p"))?),
                        qty: Qty(q.ok_or(DecodeError::MissingField("q"))?),
                        ts: ts.ok_or(DecodeError::MissingField("ts"))?,
                        seqnum: seq.ok_or(DecodeError::MissingField("seqnum"))?,
                        buyer_is_maker: bm.ok_or(DecodeError::MissingField("bm"))?,
                    };
                    *d.trades.get_mut(n).ok_or(DecodeError::TooManyTrades)? = t;
                    n += 1;
                }
                Ok(Data::Trades { n })
            }
            _ => {
                let (mut i, mut ts, mut o, mut h, mut l, mut c, mut vv) =
                    (None, None, None, None, None, None, None);
                for kv in obj(v, "data")? {
                    let (k, v) = kv.map_err(syntax)?;
                    match &*k {
                        "i" => i = Some(str_of(&v, "i")?.raw),
                        "ts" => ts = Some(uint(&v, "ts")?),
                        "o" => o = Some(decimal(&v, ps, "o")?),
                        "h" => h = Some(decimal(&v, ps, "h")?),
                        "l" => l = Some(decimal(&v, ps, "l")?),
                        "c" => c = Some(decimal(&v, ps, "c")?),
                        "v" => vv = Some(decimal(&v, qs, "v")?),
                        _ => {}
                    }
                }
                let px = |x: Option<i64>, f| x.map(Price).ok_or(DecodeError::MissingField(f));
                Ok(Data::Bar {
                    interval: i.ok_or(DecodeError::MissingField("i"))?,
                    ts: ts.ok_or(DecodeError::MissingField("ts"))?,
                    o: px(o, "o")?,
                    h: px(h, "h")?,
                    l: px(l, "l")?,
                    c: px(c, "c")?,
                    v: Qty(vv.ok_or(DecodeError::MissingField("v"))?),
                })
            }
        }
    }

    fn check_unicode_escapes(frame: &[u8]) -> R<()> {
        let mut i = 0;
        while let Some(&c) = frame.get(i) {
            if c == b'\\' {
                if frame.get(i + 1) == Some(&b'u') && hex4(frame.get(i + 2..i + 6)).is_none() {
                    return Err(DecodeError::Syntax { at: i });
                }
                i += 2;
            } else {
                i += 1;
            }
        }
        Ok(())
    }

    pub(super) fn parse<'a>(d: &mut MdDecoder, frame: &'a [u8]) -> R<(Top<'a>, Option<Data<'a>>)> {
        // sonic-rs checks `\u` escapes only in strings it decodes, and not consistently in the ones it skips; the
        // reference requires four hex digits everywhere, as JSON does.
        check_unicode_escapes(frame)?;
        // sonic-rs without its `utf8` feature does not validate UTF-8, and `from_slice` into a `LazyValue` panics on a
        // top-level string that is not UTF-8 (found by the md_agree fuzz target); JSON text must be UTF-8 anyway.
        if let Err(e) = std::str::from_utf8(frame) {
            return Err(DecodeError::Syntax {
                at: e.valid_up_to(),
            });
        }
        // Whole-document validation first (trailing bytes included), then lazy iteration over the borrowed input.
        let whole: LazyValue<'a> = sonic_rs::from_slice(frame).map_err(syntax)?;
        if !whole.is_object() {
            return Err(DecodeError::NotObject);
        }
        let mut top = Top::default();
        let mut data_v: Option<LazyValue<'a>> = None;
        for kv in sonic_rs::to_object_iter(frame) {
            let (k, v) = kv.map_err(syntax)?;
            let k: &str = &k;
            if key_is(k, "m") {
                top.m = Some(str_of(&v, "m")?);
            } else if key_is(k, "symbol") {
                top.symbol = Some(str_of(&v, "symbol")?);
            } else if key_is(k, "data") {
                data_v = Some(v);
            } else if key_is(k, "op") {
                top.op = Some(str_of(&v, "op")?);
            } else if key_is(k, "s") {
                top.s = Some(str_of(&v, "s")?);
            } else if key_is(k, "id") {
                top.id = Some(str_of(&v, "id")?.raw);
            } else if key_is(k, "ch") {
                top.ch = Some(str_of(&v, "ch")?.raw);
            } else if key_is(k, "code") {
                top.code = Some(int(&v, "code")?);
            } else if key_is(k, "reason") {
                top.reason = Some(str_of(&v, "reason")?.raw);
            } else if key_is(k, "info") {
                top.info = Some(str_of(&v, "info")?.raw);
            } else if key_is(k, "type") {
                top.typ = Some(str_of(&v, "type")?.raw);
            } else if key_is(k, "hp") {
                top.hp = Some(uint(&v, "hp")?);
            } else if key_is(k, "ts") {
                top.ts = Some(uint(&v, "ts")?);
            }
        }
        let mut data_out = None;
        if let Some(v) = data_v {
            let kind = MdDecoder::kind(&top)?;
            if let Some(kind) = kind.filter(|k| k.is_market())
                && top.code.is_none_or(|c| c == 0)
            {
                let (_, ps, qs) = d.symbol(&top)?;
                data_out = Some(data(d, v, kind, ps, qs)?);
            }
        }
        Ok((top, data_out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec() -> MdDecoder {
        let mut t = SymbolTable::new();
        t.add(b"ASD/USDT", Scale::new(5).unwrap(), Scale::new(1).unwrap());
        t.add(b"BTC/USDT", Scale::new(2).unwrap(), Scale::new(7).unwrap());
        MdDecoder::new(
            t,
            DecoderConfig {
                max_levels: 8,
                max_trades: 4,
            },
        )
    }

    fn both(frame: &str, check: impl Fn(&Msg<'_>)) {
        let mut a = dec();
        let mut b = dec();
        let ma = a.decode(frame.as_bytes()).unwrap();
        let mb = b.decode_reference(frame.as_bytes()).unwrap();
        assert_eq!(ma, mb);
        check(&ma);
    }

    #[test]
    fn invalid_utf8_is_refused_by_both_decoders() {
        // The md_agree fuzz target's finding: a top-level string with a byte that is not UTF-8 made the reference
        // (sonic-rs into a LazyValue) panic. That panic is a debug assertion in sonic-rs (release builds read the
        // invalid `str` silently), so without the check this test fails under `cargo test` and in the fuzz build.
        let frame = b" \"ata\\t00e\xaa\xaa\xaa\xaa\xaa\",\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\0\0\0(11\" }y\"m \"";
        assert!(dec().decode_reference(frame).is_err());
        assert!(dec().decode(frame).is_err());
        let inside = b"{\"m\":\"depth\",\"symbol\":\"BTC/USDT\",\"x\":\"\xff\",\"data\":{\"ts\":1,\"seqnum\":2,\"asks\":[],\"bids\":[]}}";
        assert!(dec().decode_reference(inside).is_err());
        assert!(dec().decode(inside).is_err());
    }

    #[test]
    fn depth_doc_example() {
        let f = r#"{"m":"depth","symbol":"ASD/USDT","data":{"ts":1573069021376,"seqnum":2097965,
            "asks":[["0.06844","10760"]],"bids":[["0.06777","562.4"],["0.05","221760.6"]]}}"#;
        both(f, |m| {
            let Msg::Depth(d) = m else {
                panic!("not depth: {m:?}")
            };
            assert_eq!(
                (d.seqnum, d.ts, d.kind, d.realtime),
                (2097965, 1573069021376, DepthKind::Diff, false)
            );
            assert_eq!(
                d.asks,
                &[Level {
                    price: Price(6844),
                    qty: Qty(107600)
                }]
            );
            assert_eq!(
                d.bids[1],
                Level {
                    price: Price(5000),
                    qty: Qty(2217606)
                }
            );
        });
    }

    #[test]
    fn fast_path_takes_the_exchange_spelling_only() {
        let compact = br#"{"m":"depth","symbol":"ASD/USDT","data":{"ts":1,"seqnum":2,"asks":[["0.06844","10760"]],"bids":[]}}"#;
        assert!(hand::fast_depth(&mut dec(), compact).is_some());
        let snap = br#"{"m":"depth-snapshot-realtime","symbol":"ASD/USDT","data":{"seqnum":2,"ts":1,"asks":[],"bids":[["0.05","1"]]}}"#;
        assert!(hand::fast_depth(&mut dec(), snap).is_some());
        for other in [
            &br#"{"m":"depth","symbol":"ASD/USDT","data":{"ts":1,"seqnum":2,"asks":[["0.06844","10760"]],"bids":[]}} "#[..],
            br#"{"m":"depth","symbol":"ASD/USDT","data":{"ts":01,"seqnum":2,"asks":[],"bids":[]}}"#,
            br#"{"m":"depth","symbol":"ASD/USDT","data":{"ts":1,"seqnum":2,"asks":[["-1","1"]],"bids":[]}}"#,
            br#"{"m":"depth","symbol":"XX","data":{"ts":1,"seqnum":2,"asks":[],"bids":[]}}"#,
            br#"{"m":"depth","symbol":"ASD/USDT","data":{"ts":1,"asks":[],"bids":[]}}"#,
        ] {
            assert!(hand::fast_depth(&mut dec(), other).is_none(), "{}", String::from_utf8_lossy(other));
        }
    }

    #[test]
    fn symbol_of_a_broken_message() {
        let d = dec();
        assert_eq!(
            d.symbol_of(br#"{"m":"depth","symbol":"BTC/USDT","data":{"ts":1,"seqnum":"#),
            Some(SymbolId(1))
        );
        assert_eq!(
            d.symbol_of(br#"{"m":"bar","s":"ASD/USDT","data":{"#),
            Some(SymbolId(0))
        );
        assert_eq!(d.symbol_of(br#"{"m":"depth","symbol":"XYZ"}"#), None);
        assert_eq!(d.symbol_of(b"garbage"), None);
    }

    #[test]
    fn reordered_keys_and_extras() {
        let f = r#" { "data" : {"bids":[],"x":{"y":[1,2,{"z":null}]},"asks":[["0.1","2",9]],"seqnum":"7","ts":1},
            "extra":"\u00e9\n","symbol":"ASD\/USDT","m":"depth-snapshot-realtime" } "#;
        both(f, |m| {
            let Msg::Depth(d) = m else {
                panic!("not depth")
            };
            assert_eq!(
                (d.kind, d.realtime, d.seqnum),
                (DepthKind::Snapshot, true, 7)
            );
            assert_eq!(
                d.asks,
                &[Level {
                    price: Price(10000),
                    qty: Qty(20)
                }]
            );
        });
    }

    #[test]
    fn trades_bm_means_taker_sold() {
        let f = r#"{"m":"trades","symbol":"ASD/USDT","data":[{"p":"0.068600","q":"100.000","ts":1573069903254,
            "bm":true,"seqnum":144115188077966308},{"p":"0.0686","q":"1","ts":1,"bm":false,"seqnum":2}]}"#;
        both(f, |m| {
            let Msg::Trades(t) = m else {
                panic!("not trades")
            };
            assert_eq!(t.trades[0].side(), TradeSide::Sell);
            assert_eq!(t.trades[1].side(), TradeSide::Buy);
            assert_eq!(t.trades[0].price, Price(6860));
            assert_eq!(t.trades[0].seqnum, 144115188077966308);
        });
    }

    #[test]
    fn bbo_bar_and_session_messages() {
        both(
            r#"{"m":"bbo","symbol":"BTC/USDT","data":{"ts":1573068442532,"bid":["9309.11","0.0197172"],"ask":[]}}"#,
            |m| {
                assert_eq!(
                    *m,
                    Msg::Bbo(Bbo {
                        symbol: SymbolId(1),
                        ts: 1573068442532,
                        bid: Some(Level {
                            price: Price(930911),
                            qty: Qty(197172)
                        }),
                        ask: None
                    })
                )
            },
        );
        both(
            r#"{"m":"bar","s":"ASD/USDT","data":{"i":"1","ts":1575398940000,"o":"0.04993","c":"0.04970","h":"0.04993","l":"0.04970","v":"8052"}}"#,
            |m| {
                let Msg::Bar(b) = m else { panic!("not bar") };
                assert_eq!(
                    (b.interval, b.open, b.close, b.volume),
                    (&b"1"[..], Price(4993), Price(4970), Qty(80520))
                );
            },
        );
        both(r#"{"m":"connected","type":"unauth"}"#, |m| {
            assert_eq!(*m, Msg::Connected { kind: b"unauth" })
        });
        both(r#"{"op":"connected","type":"auth"}"#, |m| {
            assert_eq!(*m, Msg::Connected { kind: b"auth" })
        });
        both(r#"{"m":"ping","hp":3}"#, |m| {
            assert_eq!(*m, Msg::Ping { hp: Some(3) })
        });
        both(r#"{"m":"pong","code":0,"ts":1,"hp":2}"#, |m| {
            assert_eq!(
                *m,
                Msg::Pong {
                    ts: Some(1),
                    hp: Some(2)
                }
            )
        });
        both(
            r#"{"m":"sub","id":"abc123","ch":"depth:ASD/USDT","code":0}"#,
            |m| {
                assert_eq!(
                    *m,
                    Msg::Sub(Ack {
                        id: b"abc123",
                        ch: b"depth:ASD/USDT",
                        code: 0,
                        reason: b""
                    })
                )
            },
        );
        both(
            r#"{"m":"unsub","ch":"bar:*:ASD/USDT","code":100008,"reason":"x"}"#,
            |m| assert!(matches!(m, Msg::Unsub(Ack { code: 100008, .. }))),
        );
        both(
            r#"{"m":"error","id":"ab","code":100005,"reason":"INVALID_WS_REQUEST_DATA","info":"i"}"#,
            |m| assert!(matches!(m, Msg::Error(ErrorMsg { code: 100005, .. }))),
        );
        both(
            r#"{"m":"depth-snapshot-realtime","id":"ec1L5cDt","code":100008,"reason":"SYMBOL_ERROR","info":"x"}"#,
            |m| {
                assert!(matches!(
                    m,
                    Msg::Error(ErrorMsg {
                        m: b"depth-snapshot-realtime",
                        code: 100008,
                        ..
                    })
                ))
            },
        );
        both(
            r#"{"m":"disconnected","code":100005,"reason":"INVALID_WS_REQUEST_DATA","info":"missing pong"}"#,
            |m| {
                assert!(matches!(
                    m,
                    Msg::Disconnected {
                        code: Some(100005),
                        ..
                    }
                ))
            },
        );
        both(
            r#"{"m":"order","accountId":"x","data":{"s":"BTC/USDT"}}"#,
            |m| assert_eq!(*m, Msg::Other { m: b"order" }),
        );
    }

    #[test]
    fn hostile_inputs_are_typed_errors() {
        type Check = fn(&DecodeError) -> bool;
        let cases: &[(&str, Check)] = &[
            ("", |e| {
                matches!(e, DecodeError::Syntax { .. } | DecodeError::NotObject)
            }),
            ("[1]", |e| *e == DecodeError::NotObject),
            (
                r#"{"m":"depth","symbol":"ASD/USDT","data":{"ts":1,"seqnum":1,"asks":[],"bids":[["1","#,
                |e| matches!(e, DecodeError::Syntax { .. }),
            ),
            (
                r#"{"m":"depth","symbol":"XXX","data":{"ts":1,"seqnum":1,"asks":[],"bids":[]}}"#,
                |e| *e == DecodeError::UnknownSymbol,
            ),
            (
                r#"{"m":"depth","symbol":"ASD/USDT","data":{"ts":1,"asks":[],"bids":[]}}"#,
                |e| *e == DecodeError::MissingField("seqnum"),
            ),
            (
                r#"{"m":"depth","symbol":"ASD/USDT","data":{"ts":1,"seqnum":-1,"asks":[],"bids":[]}}"#,
                |e| *e == DecodeError::Integer("seqnum"),
            ),
            (
                r#"{"m":"depth","symbol":"ASD/USDT","data":{"ts":1,"seqnum":1,"asks":[["-1","1"]],"bids":[]}}"#,
                |e| {
                    *e == DecodeError::Number {
                        field: "price",
                        err: NumError::Sign,
                    }
                },
            ),
            (
                r#"{"m":"depth","symbol":"ASD/USDT","data":{"ts":1,"seqnum":1,"asks":[["1e3","1"]],"bids":[]}}"#,
                |e| {
                    *e == DecodeError::Number {
                        field: "price",
                        err: NumError::Exponent,
                    }
                },
            ),
            (
                r#"{"m":"depth","symbol":"ASD/USDT","data":{"ts":1,"seqnum":1,"asks":[["0.000001","1"]],"bids":[]}}"#,
                |e| {
                    *e == DecodeError::Number {
                        field: "price",
                        err: NumError::TooPrecise,
                    }
                },
            ),
            (r#"{"m":"depth","symbol":"ASD/USDT","data":[]}"#, |e| {
                *e == DecodeError::WrongType("data")
            }),
            (
                r#"{"m":"depth","symbol":"ASD/USDT","data":{"ts":1,"seqnum":1,"asks":[["1"]],"bids":[]}}"#,
                |e| *e == DecodeError::WrongType("asks"),
            ),
            (
                r#"{"m":"depth","symbol":"ASD/USDT","data":{"ts":1,"seqnum":1,"asks":[["1","1"],["1","1"],["1","1"],["1","1"],["1","1"],["1","1"],["1","1"],["1","1"],["1","1"]],"bids":[]}}"#,
                |e| *e == DecodeError::TooManyLevels,
            ),
            (
                r#"{"m":"trades","symbol":"ASD/USDT","data":[{"p":"1","q":"1","ts":1,"bm":"true","seqnum":1}]}"#,
                |e| *e == DecodeError::WrongType("bm"),
            ),
            (r#"{"m":"depth","symbol":"ASD/USDT"}"#, |e| {
                *e == DecodeError::MissingField("data")
            }),
            (r#"{"symbol":"ASD/USDT"}"#, |e| {
                *e == DecodeError::MissingField("m")
            }),
            (r#"{"m":"ping"} x"#, |e| {
                matches!(e, DecodeError::Syntax { .. })
            }),
            (r#"{"m":"ping","hp":01}"#, |e| {
                matches!(e, DecodeError::Syntax { .. })
            }),
            (r#"{"m":"ping","x":"a\qb"}"#, |e| {
                matches!(e, DecodeError::Syntax { .. })
            }),
            ("{\"m\":\"ping\",\"x\":\"a\u{1}\"}", |e| {
                matches!(e, DecodeError::Syntax { .. })
            }),
            (r#"{"m":"\ud800","x":1}"#, |e| {
                matches!(e, DecodeError::Syntax { .. } | DecodeError::WrongType(_))
            }),
        ];
        for (input, ok) in cases {
            let e = dec().decode(input.as_bytes()).expect_err(input);
            assert!(ok(&e), "hand {input}: {e:?}");
            let e = dec().decode_reference(input.as_bytes()).expect_err(input);
            if !matches!(e, DecodeError::Syntax { .. }) {
                assert!(ok(&e), "reference {input}: {e:?}");
            }
        }
        // A lone surrogate in a skipped value is not decoded, so it is accepted, as sonic-rs does.
        let lone = br#"{"m":"ping","x":"\ud800"}"#;
        assert_eq!(dec().decode(lone), Ok(Msg::Ping { hp: None }));
        assert_eq!(dec().decode_reference(lone), Ok(Msg::Ping { hp: None }));
        let mut bytes = br#"{"m":"ping","x":"#.to_vec();
        bytes.extend_from_slice(&[b'"', 0xff, b'"', b'}']);
        assert!(dec().decode(&bytes).is_err());
        assert!(dec().decode_reference(&bytes).is_err());
    }
}
