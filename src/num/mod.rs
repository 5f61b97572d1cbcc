//! Exact decimal fixed-point prices and quantities.
//!
//! The exchange sends prices and sizes as decimal strings (`"0.06144"`, `"60000.10"`, `"12"`). Each symbol has a
//! scale (number of decimals) derived from its `tickSize` (prices) and `lotSize` (sizes); a value is held as an `i64`
//! mantissa at that scale, so `"0.06144"` at scale 5 is `6144`, and it goes back out as the identical string.
//!
//! Parsing rules (all enforced, none panic):
//! - only ASCII digits with at most one `.` that has a digit on each side (`"5."`, `".5"` are malformed);
//! - no sign: `-` and `+` are rejected (`NumError::Sign`) — prices and sizes are never negative on this venue;
//! - no exponent (`NumError::Exponent`), no whitespace or other characters (`NumError::Invalid`);
//! - more decimals than the scale are rejected (`NumError::TooPrecise`) **unless the extra digits are all zeros**:
//!   `"60000.10"` at scale 1 is exactly 600001, so accepting it loses nothing, and the exchange does pad with zeros
//!   (`"0.068600"` in the trades example);
//! - the mantissa must fit in an `i64` (`NumError::Overflow`); leading zeros are accepted (`"007"` is 7).
//!
//! Formatting writes the canonical spelling at the scale (always exactly `scale` decimals) into a caller's buffer.

// Stable public surface: every public item says what it is for (why, units, scales, invariants).
#![deny(missing_docs)]

use std::fmt;

/// Largest number of decimals a scale may have; 10^18 is the largest power of ten in an `i64`.
pub const MAX_SCALE: u8 = 18;

const POW10: [i64; 19] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
    10_000_000_000_000_000,
    100_000_000_000_000_000,
    1_000_000_000_000_000_000,
];

/// Why a decimal string was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumError {
    /// The string is empty.
    Empty,
    /// A `-` or `+` sign: prices and sizes are unsigned.
    Sign,
    /// An exponent (`1e5`, `1E-3`): the exchange sends plain decimals only.
    Exponent,
    /// A character that is not a digit or a single `.` between digits.
    Invalid,
    /// Non-zero digits beyond the symbol's scale: the value is not representable exactly.
    TooPrecise,
    /// The scaled value does not fit in an `i64`.
    Overflow,
    /// A scale above `MAX_SCALE`, or a tick/lot step that is zero.
    BadScale,
    /// The output buffer is too small for the formatted value.
    BufferTooSmall,
}

impl fmt::Display for NumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            NumError::Empty => "empty decimal string",
            NumError::Sign => "signed decimal where only unsigned values are valid",
            NumError::Exponent => "decimal with an exponent; only plain decimals are accepted",
            NumError::Invalid => {
                "malformed decimal (only digits and one '.' between digits are allowed)"
            }
            NumError::TooPrecise => {
                "decimal has more non-zero decimals than the symbol's scale allows"
            }
            NumError::Overflow => "decimal too large for a 64-bit scaled integer",
            NumError::BadScale => "scale above 18 decimals or a zero tick/lot step",
            NumError::BufferTooSmall => "output buffer too small for the formatted decimal",
        };
        f.write_str(s)
    }
}

impl std::error::Error for NumError {}

/// Number of decimals of a fixed-point value (0..=18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Scale(u8);

impl Scale {
    /// A scale of `decimals` digits after the point.
    pub const fn new(decimals: u8) -> Result<Scale, NumError> {
        if decimals > MAX_SCALE {
            Err(NumError::BadScale)
        } else {
            Ok(Scale(decimals))
        }
    }

    /// The number of decimals.
    pub const fn decimals(self) -> u8 {
        self.0
    }

    /// 10^decimals, the mantissa of 1 at this scale.
    pub const fn one(self) -> i64 {
        POW10[self.0 as usize]
    }

    /// The scale and mantissa of a step such as a `tickSize` or `lotSize`: `"0.01"` → (scale 2, step 1),
    /// `"0.5"` → (scale 1, step 5), `"10"` → (scale 0, step 10). Trailing zeros do not widen the scale (`"0.010"` →
    /// scale 2). A zero step is refused.
    pub fn from_step(s: &[u8]) -> Result<Step, NumError> {
        let d = Decimal::parse(s)?;
        if d.mantissa == 0 {
            return Err(NumError::BadScale);
        }
        Ok(Step {
            scale: d.scale,
            mantissa: d.mantissa,
        })
    }
}

/// A tick or lot step: its scale and its mantissa at that scale (1 when the step is a power of ten).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Step {
    /// Decimal places the step needs (`"0.01"` → 2; trailing zeros do not count): the symbol's price or size scale.
    pub scale: Scale,
    /// The step at that scale (`"0.5"` → 5, `"0.01"` → 1, `"10"` → 10); never zero.
    pub mantissa: i64,
}

/// Parse an unsigned decimal string into its mantissa at `scale`. See the module documentation for the rules.
#[inline]
pub fn parse_scaled(s: &[u8], scale: Scale) -> Result<i64, NumError> {
    let Some((&first, _)) = s.split_first() else {
        return Err(NumError::Empty);
    };
    if !first.is_ascii_digit() {
        return Err(classify(first));
    }
    let mut m: i64 = 0;
    let mut i = 0;
    // Integer part. Up to 18 digits cannot overflow an i64, so the common case needs no overflow check.
    while i < s.len() {
        let c = s[i];
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        m = m
            .checked_mul(10)
            .and_then(|v| v.checked_add(d as i64))
            .ok_or(NumError::Overflow)?;
        i += 1;
    }
    let mut frac = 0u8;
    if i < s.len() {
        if s[i] != b'.' {
            return Err(classify(s[i]));
        }
        i += 1;
        if i == s.len() {
            return Err(NumError::Invalid);
        }
        let mut lost_digits: u8 = 0;
        while i < s.len() {
            let c = s[i];
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return Err(classify(c));
            }
            if frac < scale.0 {
                m = m
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(d as i64))
                    .ok_or(NumError::Overflow)?;
                frac += 1;
            } else if d != 0 {
                lost_digits = 1;
            }
            i += 1;
        }
        if lost_digits != 0 {
            return Err(NumError::TooPrecise);
        }
    }
    m.checked_mul(POW10[(scale.0 - frac) as usize])
        .ok_or(NumError::Overflow)
}

/// Fast path for a decimal inside a JSON string: `b[start..]` holds the characters after the opening quote. When they
/// are plain digits with at most one `.` and at most 18 significant digits, followed by the closing `"`, returns the
/// mantissa at `scale` and the index after the closing quote — the same value `parse_scaled` gives for those
/// characters. Anything else (escapes, signs, exponents, junk, too many digits, a value `parse_scaled` would refuse)
/// returns `None`, and the caller falls back to the general path, which produces the error.
#[inline(always)]
pub fn parse_scaled_quoted(b: &[u8], start: usize, scale: Scale) -> Option<(i64, usize)> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse4.1"))]
    if let Some(r) = simd::quoted16(b, start, scale) {
        return Some(r);
    }
    if let Some(r) = quoted_swar(b, start, scale) {
        return Some(r);
    }
    quoted_scalar(b, start, scale)
}

/// Two quoted decimals spelled as a book level's `["P","Q"]` without the brackets: `b[start..]` holds P's characters
/// after its opening quote, then `","`, Q's characters and Q's closing quote. Returns (P at `ps`, Q at `qs`, the
/// index after Q's closing quote, the next four bytes as a little-endian `u32` — what ends or continues the caller's
/// structure, read for free) — the values `parse_scaled` gives for the two — when both are plain decimals this fast
/// path handles and 48 bytes are readable at `start`; `None` otherwise, and the caller parses one number at
/// a time (`parse_scaled_quoted`), which decides.
#[inline(always)]
pub fn parse_scaled_pair_quoted(
    b: &[u8],
    start: usize,
    ps: Scale,
    qs: Scale,
) -> Option<(i64, i64, usize, u32)> {
    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "sse4.1",
        target_feature = "avx2"
    ))]
    {
        simd::quoted_pair(b, start, ps, qs)
    }
    #[cfg(not(all(
        target_arch = "x86_64",
        target_feature = "sse4.1",
        target_feature = "avx2"
    )))]
    {
        let _ = (b, start, ps, qs);
        None
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse4.1"))]
mod simd;

const ZEROS: u64 = 0x3030_3030_3030_3030;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Per-byte digit values of `w` and the number of leading bytes that are digits.
#[inline(always)]
fn digit_run(w: u64) -> (u64, u32) {
    let d = w.wrapping_sub(ZEROS);
    // High bit of each byte that is not '0'..='9'; the first one is exact (later ones may be borrow artefacts).
    let non_digit = (d | d.wrapping_add(0x7676_7676_7676_7676)) & HIGH_BITS;
    (d, non_digit.trailing_zeros() / 8)
}

/// The value of the first `k` (1..=8) digit bytes of `d` (from `digit_run`).
#[inline(always)]
fn swar_value(d: u64, k: u32) -> u64 {
    // Right-align the digits (the vacated low bytes act as leading zeros), then combine pairs, quads and the octet.
    let mut x = d << (8 * (8 - k));
    x = (x.wrapping_mul(10).wrapping_add(x >> 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x.wrapping_mul(100).wrapping_add(x >> 16)) & 0x0000_FFFF_0000_FFFF;
    x.wrapping_mul(10_000).wrapping_add(x >> 32) & 0xFFFF_FFFF
}

/// A run of up to 19 ASCII digits at `b[i..]`, eight bytes at a time: (value, digit count, index after the run).
/// `None` when fewer than eight bytes remain at some step, or the value does not fit a `u64`.
#[inline(always)]
pub(crate) fn digit_run_u64(b: &[u8], mut i: usize) -> Option<(u64, u32, usize)> {
    let mut v: u64 = 0;
    let mut n = 0u32;
    loop {
        let (d, k) = digit_run(load8(b, i)?);
        if k > 0 {
            v = v
                .checked_mul(POW10[k as usize] as u64)?
                .checked_add(swar_value(d, k))?;
            n += k;
            i += k as usize;
        }
        if k < 8 {
            return Some((v, n, i));
        }
        if n > 19 {
            return None;
        }
    }
}

#[inline(always)]
fn load8(b: &[u8], i: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(i..i + 8)?.try_into().ok()?))
}

/// Eight bytes at a time: up to 7 integer digits and up to `scale` (and at most 7) decimals, closed by `"`.
/// `None` for everything else, including short buffers; the scalar path then decides.
#[inline(always)]
fn quoted_swar(b: &[u8], start: usize, scale: Scale) -> Option<(i64, usize)> {
    let w0 = load8(b, start)?;
    let (d0, k0) = digit_run(w0);
    if k0 == 0 || k0 == 8 {
        return None;
    }
    let end0 = start + k0 as usize;
    // Whole number (digits, '.', decimals, closing quote) inside these eight bytes: one conversion. The bytes after
    // the '.' are re-read from `w0` (the subtraction in `d0` borrowed at the '.').
    if k0 <= 6 && (w0 >> (8 * k0)) & 0xFF == b'.' as u64 {
        let (d1, k1) = digit_run(w0 >> (8 * (k0 + 1)));
        let close = k0 + 1 + k1;
        // The closing quote follows the decimals: inside `w0`, or as the next byte ("60000.03").
        let closed = if close < 8 {
            (w0 >> (8 * close)) & 0xFF == b'"' as u64
        } else {
            b.get(start + 8) == Some(&b'"')
        };
        if k1 > 0 && k1 <= scale.0 as u32 && closed {
            let low = d0 & ((1u64 << (8 * k0)) - 1);
            let m = swar_value(low | (d1 << (8 * k0)), k0 + k1);
            let v = m.checked_mul(POW10[(scale.0 as u32 - k1) as usize] as u64)?;
            return Some((i64::try_from(v).ok()?, start + close as usize + 1));
        }
    }
    let int = swar_value(d0, k0);
    match *b.get(end0)? {
        b'"' => {
            let v = int.checked_mul(POW10[scale.0 as usize] as u64)?;
            Some((i64::try_from(v).ok()?, end0 + 1))
        }
        b'.' => {
            let f = end0 + 1;
            let (d1, k1) = digit_run(load8(b, f)?);
            if k1 == 0 || k1 == 8 || k1 > scale.0 as u32 {
                return None;
            }
            let end1 = f + k1 as usize;
            if *b.get(end1)? != b'"' {
                return None;
            }
            let m = int * POW10[k1 as usize] as u64 + swar_value(d1, k1);
            let v = m.checked_mul(POW10[(scale.0 as u32 - k1) as usize] as u64)?;
            Some((i64::try_from(v).ok()?, end1 + 1))
        }
        _ => None,
    }
}

#[inline(always)]
fn quoted_scalar(b: &[u8], start: usize, scale: Scale) -> Option<(i64, usize)> {
    let rest = b.get(start..)?;
    let mut it = rest.iter();
    let mut m: u64 = 0;
    let mut nd = 0u32;
    let mut c;
    loop {
        c = *it.next()?;
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        m = m.wrapping_mul(10).wrapping_add(d as u64);
        nd += 1;
    }
    if nd == 0 {
        return None;
    }
    let mut frac = 0u8;
    if c == b'.' {
        let before = it.as_slice().len();
        loop {
            c = *it.next()?;
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            if frac < scale.0 {
                m = m.wrapping_mul(10).wrapping_add(d as u64);
                frac += 1;
                nd += 1;
            } else if d != 0 {
                return None;
            }
        }
        if it.as_slice().len() + 1 == before {
            return None;
        }
    }
    if c != b'"' || nd > 18 {
        return None;
    }
    let v = m.checked_mul(POW10[(scale.0 - frac) as usize] as u64)?;
    Some((
        i64::try_from(v).ok()?,
        start + rest.len() - it.as_slice().len(),
    ))
}

#[cold]
fn classify(c: u8) -> NumError {
    match c {
        b'-' | b'+' => NumError::Sign,
        b'e' | b'E' => NumError::Exponent,
        _ => NumError::Invalid,
    }
}

/// Write `mantissa` at `scale` as a decimal with exactly `scale` decimals into `out`; returns the length written.
/// Negative mantissas (differences, never exchange values) get a leading `-`.
#[inline]
pub fn format_scaled(mantissa: i64, scale: Scale, out: &mut [u8]) -> Result<usize, NumError> {
    let neg = mantissa < 0;
    let v = mantissa.unsigned_abs();
    let sc = scale.0 as usize;
    // The integer part has the digits above the scale, and at least one ("0.06144").
    let int_digits = decimal_digits(v).saturating_sub(sc).max(1);
    let point = (sc > 0) as usize;
    let len = neg as usize + int_digits + point + sc;
    let dst = out.get_mut(..len).ok_or(NumError::BufferTooSmall)?;
    let (head, frac) = dst.split_at_mut(len - sc);
    let rest = fill_digits(frac, v);
    let (sign, int) = head.split_at_mut(neg as usize);
    let (int, dot) = int.split_at_mut(int_digits);
    fill_digits(int, rest);
    if let Some(d) = dot.first_mut() {
        *d = b'.';
    }
    if let Some(m) = sign.first_mut() {
        *m = b'-';
    }
    Ok(len)
}

/// The decimal digits of `v` into `out`; returns the length (at most 20).
pub fn format_u64(v: u64, out: &mut [u8]) -> Result<usize, NumError> {
    let len = decimal_digits(v);
    fill_digits(out.get_mut(..len).ok_or(NumError::BufferTooSmall)?, v);
    Ok(len)
}

/// Number of decimal digits of `v` (1 for 0).
#[inline]
fn decimal_digits(v: u64) -> usize {
    v.checked_ilog10().map_or(1, |l| l as usize + 1)
}

/// "00" to "99": two digits per division, which halves the divisions of a digit-at-a-time loop.
static DIGIT_PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// Fills `dst` right to left with the low `dst.len()` decimal digits of `v` (zero-padded on the left); returns
/// what is left of `v` above them.
#[inline]
fn fill_digits(dst: &mut [u8], mut v: u64) -> u64 {
    let odd = dst.len() % 2;
    let (first, pairs) = dst.split_at_mut(odd);
    for pair in pairs.as_chunks_mut::<2>().0.iter_mut().rev() {
        *pair = DIGIT_PAIRS[(v % 100) as usize];
        v /= 100;
    }
    if let Some(d) = first.first_mut() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
    v
}

/// Longest formatted value: sign, 19 digits, point, and up to 18 decimals with a leading `0`.
pub const MAX_FORMATTED_LEN: usize = 40;

macro_rules! fixed_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub i64);

        impl $name {
            /// Zero at any scale (an empty level, nothing filled).
            pub const ZERO: $name = $name(0);

            /// Parse an unsigned decimal string at `scale` (see the module documentation for the rules).
            #[inline]
            pub fn parse(s: &[u8], scale: Scale) -> Result<$name, NumError> {
                parse_scaled(s, scale).map($name)
            }

            /// Write the value at `scale` into `out` (no allocation); returns the number of bytes written.
            #[inline]
            pub fn format(self, scale: Scale, out: &mut [u8]) -> Result<usize, NumError> {
                format_scaled(self.0, scale, out)
            }

            /// The integer mantissa.
            #[inline]
            pub const fn raw(self) -> i64 {
                self.0
            }

            /// Is the value zero?
            #[inline]
            pub const fn is_zero(self) -> bool {
                self.0 == 0
            }
        }
    };
}

fixed_type!(
    /// A price: mantissa at the symbol's price scale (from `tickSize`).
    Price
);
fixed_type!(
    /// A quantity: mantissa at the symbol's size scale (from `lotSize`).
    Qty
);

/// A decimal whose scale comes from its own spelling (trailing zeros dropped): for values whose scale is not known in
/// advance, such as limits (`minNotional`) and 24 h volumes. Off the hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    /// The digits as an integer: the value is `mantissa / 10^scale`.
    pub mantissa: i64,
    /// Decimal places kept: the fewest that hold the value exactly.
    pub scale: Scale,
}

impl Decimal {
    /// Parse an unsigned decimal keeping all its significant decimals (`"0.0100"` → mantissa 1, scale 2).
    pub fn parse(s: &[u8]) -> Result<Decimal, NumError> {
        let frac_digits = match s.iter().position(|&c| c == b'.') {
            Some(dot) => {
                let frac = s.get(dot + 1..).unwrap_or(&[]);
                frac.iter().rposition(|&c| c != b'0').map_or(0, |p| p + 1)
            }
            None => 0,
        };
        let scale = Scale::new(u8::try_from(frac_digits).map_err(|_| NumError::TooPrecise)?)
            .map_err(|_| NumError::TooPrecise)?;
        Ok(Decimal {
            mantissa: parse_scaled(s, scale)?,
            scale,
        })
    }

    /// The mantissa at another scale: exact, or `TooPrecise` when digits would be lost, `Overflow` when too large.
    pub fn at_scale(self, scale: Scale) -> Result<i64, NumError> {
        rescale(self.mantissa, self.scale, scale)
    }

    /// The mantissa at `scale`, rounded up (toward +∞) when digits would be lost.
    pub fn at_scale_ceil(self, scale: Scale) -> Result<i64, NumError> {
        if scale >= self.scale {
            return rescale(self.mantissa, self.scale, scale);
        }
        let div = POW10[(self.scale.0 - scale.0) as usize];
        let q = self.mantissa.div_euclid(div);
        Ok(if self.mantissa.rem_euclid(div) != 0 {
            q + 1
        } else {
            q
        })
    }
}

/// Convert a mantissa from one scale to another, exactly.
pub fn rescale(mantissa: i64, from: Scale, to: Scale) -> Result<i64, NumError> {
    if to >= from {
        mantissa
            .checked_mul(POW10[(to.0 - from.0) as usize])
            .ok_or(NumError::Overflow)
    } else {
        let div = POW10[(from.0 - to.0) as usize];
        if mantissa % div != 0 {
            Err(NumError::TooPrecise)
        } else {
            Ok(mantissa / div)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(d: u8) -> Scale {
        Scale::new(d).unwrap()
    }

    fn fmt(m: i64, sc: Scale) -> String {
        let mut b = [0u8; MAX_FORMATTED_LEN];
        let n = format_scaled(m, sc, &mut b).unwrap();
        String::from_utf8(b[..n].to_vec()).unwrap()
    }

    #[test]
    fn parses_examples() {
        assert_eq!(parse_scaled(b"0.06144", s(5)), Ok(6144));
        assert_eq!(parse_scaled(b"60000.10", s(2)), Ok(6_000_010));
        assert_eq!(parse_scaled(b"12", s(3)), Ok(12_000));
        assert_eq!(parse_scaled(b"0", s(0)), Ok(0));
        assert_eq!(parse_scaled(b"007.5", s(1)), Ok(75));
        assert_eq!(parse_scaled(b"0.5", s(0)), Err(NumError::TooPrecise));
    }

    #[test]
    fn trailing_zeros_beyond_scale_are_exact() {
        assert_eq!(parse_scaled(b"60000.10", s(1)), Ok(600_001));
        assert_eq!(parse_scaled(b"0.068600", s(4)), Ok(686));
        assert_eq!(parse_scaled(b"1.000000000000000000000000", s(0)), Ok(1));
        assert_eq!(parse_scaled(b"60000.11", s(1)), Err(NumError::TooPrecise));
        assert_eq!(parse_scaled(b"1.0000001", s(2)), Err(NumError::TooPrecise));
    }

    #[test]
    fn every_rejection() {
        let sc = s(2);
        assert_eq!(parse_scaled(b"", sc), Err(NumError::Empty));
        assert_eq!(parse_scaled(b"-1", sc), Err(NumError::Sign));
        assert_eq!(parse_scaled(b"+1", sc), Err(NumError::Sign));
        assert_eq!(parse_scaled(b"1-", sc), Err(NumError::Sign));
        assert_eq!(parse_scaled(b"1e5", sc), Err(NumError::Exponent));
        assert_eq!(parse_scaled(b"1.5E2", sc), Err(NumError::Exponent));
        assert_eq!(parse_scaled(b"e5", sc), Err(NumError::Exponent));
        assert_eq!(parse_scaled(b".5", sc), Err(NumError::Invalid));
        assert_eq!(parse_scaled(b"5.", sc), Err(NumError::Invalid));
        assert_eq!(parse_scaled(b".", sc), Err(NumError::Invalid));
        assert_eq!(parse_scaled(b"1.2.3", sc), Err(NumError::Invalid));
        assert_eq!(parse_scaled(b" 1", sc), Err(NumError::Invalid));
        assert_eq!(parse_scaled(b"1 ", sc), Err(NumError::Invalid));
        assert_eq!(parse_scaled(b"1,5", sc), Err(NumError::Invalid));
        assert_eq!(parse_scaled(b"0x10", sc), Err(NumError::Invalid));
        assert_eq!(parse_scaled(b"NaN", sc), Err(NumError::Invalid));
        assert_eq!(
            parse_scaled("1\u{0663}".as_bytes(), sc),
            Err(NumError::Invalid)
        );
        assert_eq!(parse_scaled(b"1.001", sc), Err(NumError::TooPrecise));
        assert_eq!(
            parse_scaled(b"92233720368547758.08", sc),
            Err(NumError::Overflow)
        );
        assert_eq!(parse_scaled(b"92233720368547758.07", sc), Ok(i64::MAX));
        assert_eq!(
            parse_scaled(b"99999999999999999999999", s(0)),
            Err(NumError::Overflow)
        );
        assert_eq!(parse_scaled(b"10000000000", s(18)), Err(NumError::Overflow));
        assert_eq!(Scale::new(19), Err(NumError::BadScale));
        assert_eq!(Scale::from_step(b"0"), Err(NumError::BadScale));
        assert_eq!(Scale::from_step(b"0.000"), Err(NumError::BadScale));
        let mut small = [0u8; 3];
        assert_eq!(
            format_scaled(12345, sc, &mut small),
            Err(NumError::BufferTooSmall)
        );
    }

    #[test]
    fn round_trips_at_scale() {
        for (txt, sc) in [
            ("0.06144", 5),
            ("60000.10", 2),
            ("12", 0),
            ("0.00000001", 8),
            ("9309.12", 2),
            ("0.0", 1),
        ] {
            let m = parse_scaled(txt.as_bytes(), s(sc)).unwrap();
            assert_eq!(fmt(m, s(sc)), txt);
        }
        assert_eq!(fmt(i64::MAX, s(18)), "9.223372036854775807");
        assert_eq!(fmt(i64::MIN, s(2)), "-92233720368547758.08");
        assert_eq!(fmt(-5, s(3)), "-0.005");
        let p = Price::parse(b"0.06844", s(5)).unwrap();
        let mut b = [0u8; 16];
        let n = p.format(s(5), &mut b).unwrap();
        assert_eq!(&b[..n], b"0.06844");
    }

    #[test]
    fn quoted_fast_path_matches_parse_scaled() {
        let cases = [
            "0.06144",
            "60000.10",
            "12",
            "0",
            "007.5",
            "0.5",
            "1.000",
            "1.001",
            "",
            ".5",
            "5.",
            "-1",
            "1e5",
            "123456789012345678",
            "1234567890123456789",
            "92233720368547758.07",
            "9.99999999999999999",
            "1.2.3",
            "1\\u0030",
        ];
        let cases = cases.iter().map(|c| c.to_string()).chain(
            [
                "1",
                "12345678",
                "1234567",
                "0.1234567",
                "0.12345678",
                "1234567.1234567",
                "9.9",
                "60000.10",
                "0.0",
                "123456.1",
                "1.234567",
                "12.34567",
                "123456.12",
                "1.2345678",
                "60000.1x",
                "60000.1.",
            ]
            .iter()
            .map(|c| c.to_string()),
        );
        for c in cases {
            // Without and with enough bytes after the closing quote for the eight-byte path.
            for (sc, pad) in [0u8, 2, 5, 7, 8, 18]
                .into_iter()
                .flat_map(|sc| [(sc, ""), (sc, ",\"0.1\"]],[\"1\",\"2\"]]}}")])
            {
                let quoted = format!("{c}\"{pad}");
                let fast = parse_scaled_quoted(quoted.as_bytes(), 0, s(sc));
                let slow = parse_scaled(c.as_bytes(), s(sc));
                match fast {
                    Some((v, end)) => {
                        assert_eq!(Ok(v), slow, "{c} at {sc}");
                        assert_eq!(end, c.len() + 1);
                    }
                    // The fast path may decline anything; it must never decline the plain common case.
                    None => assert!(
                        slow.is_err() || c.len() > 18 || c.starts_with('0'),
                        "{c} at {sc} declined"
                    ),
                }
            }
        }
        assert_eq!(
            parse_scaled_quoted(b"60000.10\"", 0, s(2)),
            Some((6_000_010, 9))
        );
        assert_eq!(parse_scaled_quoted(b"60000.10", 0, s(2)), None);
    }

    /// The sixteen-byte path against `parse_scaled` on random spellings: whenever it accepts, the value and the end
    /// agree; and it accepts the exchange's plain shapes.
    #[cfg(all(target_arch = "x86_64", target_feature = "sse4.1"))]
    #[test]
    fn simd_path_matches_parse_scaled() {
        let alphabet = b"0123456789012345678901234567890123456789..\"x-e";
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut accepted = 0;
        for _ in 0..400_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 19) as usize;
            let sc = ((x >> 8) % 19) as u8;
            let mut body: Vec<u8> = (0..len)
                .map(|i| alphabet[((x >> (16 + 2 * i)) as usize ^ (i * 7)) % alphabet.len()])
                .collect();
            if (x >> 60) & 1 == 0 {
                // Mostly plain decimals so that acceptance is exercised.
                body.retain(|c| c.is_ascii_digit());
                if body.len() > 2 && (x >> 61) & 1 == 0 {
                    let at = 1 + (x >> 40) as usize % (body.len() - 1);
                    body.insert(at, b'.');
                }
            }
            let mut quoted = body.clone();
            quoted.push(b'"');
            quoted.extend_from_slice(b",\"12.5\"]],[\"1\",\"2\"]]}}");
            // A '"' inside the generated body closes the string there.
            let inner = &body[..body.iter().position(|&c| c == b'"').unwrap_or(body.len())];
            let slow = parse_scaled(inner, s(sc));
            if let Some((v, end)) = simd::quoted16(&quoted, 0, s(sc)) {
                accepted += 1;
                assert_eq!(Ok(v), slow, "{:?} at {sc}", String::from_utf8_lossy(&body));
                assert_eq!(end, inner.len() + 1);
            }
            if let Some((v, end)) = parse_scaled_quoted(&quoted, 0, s(sc)) {
                assert_eq!(Ok(v), slow, "{:?} at {sc}", String::from_utf8_lossy(&body));
                assert_eq!(end, inner.len() + 1);
            }
        }
        assert!(accepted > 50_000, "{accepted}");
        for (txt, sc, want) in [
            ("60000.01", 2, 6_000_001),
            ("3.12345", 5, 312_345),
            ("12", 3, 12_000),
            ("0.5", 3, 500),
            ("007.5", 1, 75),
            ("123456789012345", 0, 123_456_789_012_345),
            ("1234567.1234567", 8, 123_456_712_345_670),
        ] {
            let q = format!("{txt}\"]]}}}}................");
            assert_eq!(
                simd::quoted16(q.as_bytes(), 0, s(sc)),
                Some((want, txt.len() + 1)),
                "{txt}"
            );
        }
        // Declined: too precise for the scale (trailing zeros go to the scalar path), too long, a lone '.'.
        for (txt, sc) in [("0.50", 1), ("1234567890123456", 0), ("5.", 2), (".5", 2)] {
            let q = format!("{txt}\"]]}}}}........");
            assert_eq!(simd::quoted16(q.as_bytes(), 0, s(sc)), None, "{txt}");
        }
    }

    /// The two-number path against `parse_scaled` on random spellings of `P","Q"` followed by random bytes: whenever
    /// it accepts, both values, the end and the four bytes after it agree; it accepts the exchange's plain shapes;
    /// and it never reads past the 48 bytes it is given.
    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "sse4.1",
        target_feature = "avx2"
    ))]
    #[test]
    fn pair_path_matches_parse_scaled() {
        let alphabet = b"0123456789012345678901234567890123456789..\",x-e]";
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let body = |r: u64, plain: bool| -> Vec<u8> {
            let len = (r % 19) as usize;
            let mut b: Vec<u8> = (0..len)
                .map(|i| alphabet[((r >> (5 + 2 * i)) as usize ^ (i * 7)) % alphabet.len()])
                .collect();
            if plain {
                b.retain(|c| c.is_ascii_digit());
                if b.len() > 2 && (r >> 61) & 1 == 0 {
                    let at = 1 + (r >> 40) as usize % (b.len() - 1);
                    b.insert(at, b'.');
                }
            }
            b
        };
        let mut accepted = 0;
        for _ in 0..300_000 {
            let (r1, r2, r3) = (next(), next(), next());
            let (ps, qs) = (s((r3 % 19) as u8), s(((r3 >> 8) % 19) as u8));
            let plain = (r3 >> 20) & 3 != 0;
            let (p, q) = (body(r1, plain), body(r2, plain));
            let mut msg = p.clone();
            // Mostly the real separator; sometimes a broken one.
            msg.extend_from_slice(if (r3 >> 24) & 7 != 0 {
                b"\",\""
            } else {
                b"\", \""
            });
            msg.extend_from_slice(&q);
            msg.push(b'"');
            msg.extend_from_slice(if (r3 >> 28) & 1 == 0 {
                b"],[\""
            } else {
                b"]]}}"
            });
            let keep = msg.len();
            // Random filler up to the 48 bytes the path needs, then one byte it must never depend on.
            while msg.len() < 48 {
                msg.push(alphabet[(next() % alphabet.len() as u64) as usize]);
            }
            msg.truncate(48.max(keep));
            // The reading of the same bytes one number at a time: P up to the first quote, `","`, Q up to the next.
            let split = |from: usize| {
                let len = msg[from..].iter().position(|&c| c == b'"')?;
                Some((&msg[from..from + len], from + len))
            };
            let slow = split(0).and_then(|(pt, pe)| {
                (msg.get(pe..pe + 3)? == b"\",\"").then_some(())?;
                let (qt, qe) = split(pe + 3)?;
                Some((parse_scaled(pt, ps), parse_scaled(qt, qs), qe + 1))
            });
            // Digits with at most one '.', no more decimals than the scale, at most 15 digits at the scale.
            let simple = |t: &[u8], sc: Scale| {
                let dot = t.iter().position(|&c| c == b'.');
                let int = dot.unwrap_or(t.len());
                let frac = dot.map_or(0, |d| t.len() - d - 1);
                parse_scaled(t, sc).is_ok() && frac <= sc.0 as usize && int + sc.0 as usize <= 15
            };
            let ctx = String::from_utf8_lossy(&msg).into_owned();
            match parse_scaled_pair_quoted(&msg, 0, ps, qs) {
                Some((pv, qv, end, after)) => {
                    accepted += 1;
                    let (pr, qr, e) = slow.unwrap_or_else(|| panic!("{ctx}: accepted, unreadable"));
                    assert_eq!((Ok(pv), Ok(qv), end), (pr, qr, e), "{ctx} at {ps:?}/{qs:?}");
                    let four: [u8; 4] = msg[end..end + 4].try_into().unwrap();
                    assert_eq!(after, u32::from_le_bytes(four), "{ctx}");
                }
                None => {
                    let must = (r3 >> 24) & 7 != 0
                        && !p.contains(&b'"')
                        && !q.contains(&b'"')
                        && simple(&p, ps)
                        && simple(&q, qs)
                        && p.len() + 3 + q.len() < 32;
                    assert!(!must, "declined a plain pair {ctx:?} at {ps:?}/{qs:?}");
                }
            }
        }
        assert!(accepted > 25_000, "{accepted}");
        // Fewer than 48 bytes: declined (the caller pads the end of a message).
        assert_eq!(
            parse_scaled_pair_quoted(b"1.5\",\"2\"]]}}", 0, s(2), s(2)),
            None
        );
        let mut m = b"60000.01\",\"0.12345\"]]}}".to_vec();
        m.resize(48, 0);
        assert_eq!(
            parse_scaled_pair_quoted(&m, 0, s(2), s(5)),
            Some((6_000_001, 12_345, 19, u32::from_le_bytes(*b"]]}}")))
        );
    }

    /// The two-digits-at-a-time writer against a plain string reference, on random and edge mantissas at every
    /// scale; and `format_u64` against `to_string`.
    #[test]
    fn format_matches_a_string_reference() {
        let reference = |m: i64, sc: u8| -> String {
            let digits = m.unsigned_abs().to_string();
            let sc = sc as usize;
            let padded = format!("{digits:0>width$}", width = sc + 1);
            let (int, frac) = padded.split_at(padded.len() - sc);
            let sign = if m < 0 { "-" } else { "" };
            if sc == 0 {
                format!("{sign}{int}")
            } else {
                format!("{sign}{int}.{frac}")
            }
        };
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let edges = [
            0,
            1,
            -1,
            9,
            10,
            99,
            100,
            6144,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
            1_000_000_000_000_000_000,
        ];
        for k in 0..200_000usize {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let m = match edges.get(k % 64) {
                Some(&e) if k < 64 * edges.len() => e,
                _ => (x >> (x % 60)) as i64 * if x & 1 == 0 { 1 } else { -1 },
            };
            let sc = (k % 19) as u8;
            let mut buf = [0u8; MAX_FORMATTED_LEN];
            let n = format_scaled(m, s(sc), &mut buf).unwrap();
            assert_eq!(
                std::str::from_utf8(&buf[..n]).unwrap(),
                reference(m, sc),
                "{m} at {sc}"
            );
            let mut ubuf = [0u8; 20];
            let u = x >> (x % 64);
            let n = format_u64(u, &mut ubuf).unwrap();
            assert_eq!(std::str::from_utf8(&ubuf[..n]).unwrap(), u.to_string());
        }
        let mut small = [0u8; 4];
        assert_eq!(
            format_scaled(123_456, s(2), &mut small),
            Err(NumError::BufferTooSmall)
        );
        assert_eq!(
            format_u64(12_345, &mut small),
            Err(NumError::BufferTooSmall)
        );
    }

    #[test]
    fn steps_and_decimals() {
        assert_eq!(
            Scale::from_step(b"0.01"),
            Ok(Step {
                scale: s(2),
                mantissa: 1
            })
        );
        assert_eq!(
            Scale::from_step(b"0.5"),
            Ok(Step {
                scale: s(1),
                mantissa: 5
            })
        );
        assert_eq!(
            Scale::from_step(b"10"),
            Ok(Step {
                scale: s(0),
                mantissa: 10
            })
        );
        assert_eq!(
            Scale::from_step(b"0.010"),
            Ok(Step {
                scale: s(2),
                mantissa: 1
            })
        );
        assert_eq!(
            Scale::from_step(b"0.00001"),
            Ok(Step {
                scale: s(5),
                mantissa: 1
            })
        );
        let d = Decimal::parse(b"0.000000001").unwrap();
        assert_eq!((d.mantissa, d.scale), (1, s(9)));
        assert_eq!(d.at_scale(s(5)), Err(NumError::TooPrecise));
        assert_eq!(d.at_scale_ceil(s(5)), Ok(1));
        assert_eq!(
            Decimal::parse(b"400000").unwrap().at_scale(s(4)),
            Ok(4_000_000_000)
        );
        assert_eq!(rescale(150, s(2), s(1)), Ok(15));
        assert_eq!(rescale(i64::MAX, s(0), s(1)), Err(NumError::Overflow));
        assert_eq!(
            Decimal::parse(b"1.0000000000000000001"),
            Err(NumError::TooPrecise)
        );
    }
}
