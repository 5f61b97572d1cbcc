//! The one-pass decoder of the exchange's exact spelling of a depth message; anything else falls back to the
//! general scanner in the parent.

use super::*;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `w` that is `"`, `\\`, below 0x20 or above 0x7F. Bits after the first flagged
/// byte can be false positives (borrows); the first one is exact, which is all the caller uses.
#[inline(always)]
pub(super) fn swar_special(w: u64) -> u64 {
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    zero(w ^ (ONES * b'"' as u64))
        | zero(w ^ (ONES * b'\\' as u64))
        | (w.wrapping_sub(ONES * 0x20) & !w & HIGH)
        | (w & HIGH)
}

/// Length of the valid UTF-8 sequence starting at `i`, if it is one.
pub(super) fn utf8_len(b: &[u8], i: usize) -> Option<usize> {
    let len = match b.get(i)? {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    std::str::from_utf8(b.get(i..i + len)?).ok().map(|_| len)
}

/// Map "not an object" of a nested value to a type error on `field`.
pub(super) fn obj_err(field: &'static str) -> impl Fn(DecodeError) -> DecodeError {
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
pub(super) fn with_key<T>(k: Str<'_>, f: impl FnOnce(&[u8]) -> R<T>) -> R<T> {
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

pub(crate) struct FastDepth {
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
pub(super) fn compact_uint(b: &[u8], i: &mut usize) -> Option<u64> {
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
pub(crate) fn fast_depth(d: &mut MdDecoder, b: &[u8]) -> Option<FastDepth> {
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
pub(super) fn fast_symbol(
    d: &MdDecoder,
    b: &[u8],
    i: &mut usize,
) -> Option<(SymbolId, Scale, Scale)> {
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
pub(super) fn pad16(name: &[u8]) -> Option<u128> {
    let mut buf = [0u8; 16];
    buf.get_mut(..name.len())?.copy_from_slice(name);
    Some(u128::from_le_bytes(buf))
}

/// `["P","Q"],...]` after the opening `[`: the count, with the cursor after the closing `]`.
#[inline(always)]
pub(super) fn compact_levels(
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
pub(super) fn slow_pair(
    b: &[u8],
    s: usize,
    ps: Scale,
    qs: Scale,
) -> Option<(i64, i64, usize, u32)> {
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
pub(super) struct Tail {
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
pub(super) fn level_pair(
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
    let (p, q, end, next) = parse_scaled_pair_quoted(&t.bytes, start.checked_sub(t.base)?, ps, qs)?;
    Some((p, q, end + t.base, next))
}
