//! Scaled-integer decimals: a value is an `i64` mantissa at a per-field scale (number of decimals).
//!
//! Temporary home: `crate::num` is being written elsewhere; these helpers keep the same conventions (a mantissa plus a
//! `u8` scale, exact, no floats) so switching to `num::Price`/`num::Qty` later is a type change, not a logic change.
//! Unlike prices and sizes, fees may be negative (a rebate), so a leading `-` is accepted here.

use std::fmt;

/// Largest scale whose unit (10^scale) fits an `i64`.
pub const MAX_SCALE: u8 = 18;

const POW10: [i64; 19] = {
    let mut t = [1i64; 19];
    let mut i = 1;
    while i < 19 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// 10^scale, `None` above [`MAX_SCALE`].
#[inline]
pub const fn pow10(scale: u8) -> Option<i64> {
    if scale as usize >= POW10.len() {
        None
    } else {
        Some(POW10[scale as usize])
    }
}

/// Why a decimal string could not become a scaled integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaledError {
    /// Empty string.
    Empty,
    /// A character other than digits, one `.` and a leading `-`.
    Invalid,
    /// Non-zero digits beyond the field's scale: the value cannot be held exactly.
    TooPrecise,
    /// The mantissa does not fit an `i64`.
    Overflow,
    /// The scale is above [`MAX_SCALE`].
    BadScale,
}

impl fmt::Display for ScaledError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ScaledError::Empty => "empty decimal",
            ScaledError::Invalid => "malformed decimal (digits, one '.', optional leading '-')",
            ScaledError::TooPrecise => "decimal has more non-zero digits than the field's scale",
            ScaledError::Overflow => "decimal too large for a 64-bit mantissa",
            ScaledError::BadScale => "scale above 18 decimals",
        })
    }
}

impl std::error::Error for ScaledError {}

/// A decimal as mantissa and scale, for values whose scale is not fixed by a symbol (a strategy's raw price).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dec {
    pub mantissa: i64,
    pub scale: u8,
}

impl Dec {
    pub const fn new(mantissa: i64, scale: u8) -> Dec {
        Dec { mantissa, scale }
    }

    /// Parses at the string's own scale (`"0.0100"` is mantissa 100, scale 4).
    pub fn parse(s: &[u8]) -> Result<Dec, ScaledError> {
        let frac = match s.iter().position(|&b| b == b'.') {
            Some(dot) => s.len() - dot - 1,
            None => 0,
        };
        if frac > MAX_SCALE as usize {
            // Drop trailing zeros so "0.10000000000000000000" still parses.
            let trimmed = trim_trailing_zeros(s);
            if trimmed.len() == s.len() {
                return Err(ScaledError::TooPrecise);
            }
            return Dec::parse(trimmed);
        }
        let scale = frac as u8;
        Ok(Dec {
            mantissa: parse_scaled(s, scale)?,
            scale,
        })
    }

    /// The same value at `scale`, exactly, or an error when digits would be lost.
    pub fn at_scale(self, scale: u8) -> Result<i64, ScaledError> {
        rescale_exact(self.mantissa, self.scale, scale)
    }
}

fn trim_trailing_zeros(s: &[u8]) -> &[u8] {
    let mut end = s.len();
    while end > 0 && s[end - 1] == b'0' {
        end -= 1;
    }
    if end > 0 && s[end - 1] == b'.' {
        end -= 1;
    }
    &s[..end]
}

/// Like [`parse_scaled`], but rounds extra decimals half away from zero instead of refusing them: for averages the
/// exchange computes (an average fill price has more digits than the symbol's price scale).
pub fn parse_scaled_round(s: &[u8], scale: u8) -> Result<i64, ScaledError> {
    match parse_scaled(s, scale) {
        Err(ScaledError::TooPrecise) => {
            let d = Dec::parse(s)?;
            let f = pow10(d.scale.saturating_sub(scale)).ok_or(ScaledError::Overflow)?;
            div_round(d.mantissa as i128, f as i128, Round::HalfAway).ok_or(ScaledError::Overflow)
        }
        r => r,
    }
}

/// Parses `s` (`"-12.340"`, `"7"`, `"0.5"`) into a mantissa at `scale`. Extra decimals are accepted only when they
/// are zeros, so the value is never rounded.
pub fn parse_scaled(s: &[u8], scale: u8) -> Result<i64, ScaledError> {
    if scale > MAX_SCALE {
        return Err(ScaledError::BadScale);
    }
    let (neg, digits) = match s.split_first() {
        None => return Err(ScaledError::Empty),
        Some((b'-', rest)) => (true, rest),
        Some(_) => (false, s),
    };
    if digits.is_empty() {
        return Err(ScaledError::Invalid);
    }
    // Accumulate as a negative number so i64::MIN is reachable and overflow checks stay symmetric.
    let mut acc: i64 = 0;
    let mut seen_dot = false;
    let mut frac_digits: u8 = 0;
    let mut int_digits = 0usize;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                let d = (b - b'0') as i64;
                if seen_dot {
                    if frac_digits >= scale {
                        if d != 0 {
                            return Err(ScaledError::TooPrecise);
                        }
                        continue;
                    }
                    frac_digits += 1;
                } else {
                    int_digits += 1;
                }
                acc = acc
                    .checked_mul(10)
                    .and_then(|v| v.checked_sub(d))
                    .ok_or(ScaledError::Overflow)?;
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return Err(ScaledError::Invalid),
        }
    }
    if int_digits == 0 || (seen_dot && digits.last() == Some(&b'.')) {
        return Err(ScaledError::Invalid);
    }
    let pad = POW10[(scale - frac_digits) as usize];
    acc = acc.checked_mul(pad).ok_or(ScaledError::Overflow)?;
    if neg {
        Ok(acc)
    } else {
        acc.checked_neg().ok_or(ScaledError::Overflow)
    }
}

/// Longest output of [`format_scaled`]: sign, 19 digits, dot, leading "0." padding.
pub const MAX_FORMATTED: usize = 41;

/// Writes `mantissa` at `scale` with exactly `scale` decimals (`6144` at 5 → `"0.06144"`) into `out`; returns the
/// length. `out` must hold [`MAX_FORMATTED`] bytes.
pub fn format_scaled(mantissa: i64, scale: u8, out: &mut [u8]) -> Result<usize, ScaledError> {
    if scale > MAX_SCALE {
        return Err(ScaledError::BadScale);
    }
    if out.len() < MAX_FORMATTED {
        return Err(ScaledError::Overflow);
    }
    let scale = crate::num::Scale::new(scale).map_err(|_| ScaledError::BadScale)?;
    crate::num::format_scaled(mantissa, scale, out).map_err(|_| ScaledError::Overflow)
}

/// Appends the formatted value to a reused buffer (no allocation once its capacity is reached).
pub fn push_scaled(out: &mut Vec<u8>, mantissa: i64, scale: u8) -> Result<(), ScaledError> {
    let mut tmp = [0u8; MAX_FORMATTED];
    let n = format_scaled(mantissa, scale, &mut tmp)?;
    out.extend_from_slice(&tmp[..n]);
    Ok(())
}

/// `mantissa` from scale `from` to scale `to`, exactly; an error when non-zero digits would be dropped.
pub fn rescale_exact(mantissa: i64, from: u8, to: u8) -> Result<i64, ScaledError> {
    if from > MAX_SCALE || to > MAX_SCALE {
        return Err(ScaledError::BadScale);
    }
    if to >= from {
        mantissa
            .checked_mul(POW10[(to - from) as usize])
            .ok_or(ScaledError::Overflow)
    } else {
        let div = POW10[(from - to) as usize];
        if mantissa % div != 0 {
            Err(ScaledError::TooPrecise)
        } else {
            Ok(mantissa / div)
        }
    }
}

/// Rounding direction for [`div_round`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// Toward negative infinity.
    Floor,
    /// Toward positive infinity.
    Ceil,
    /// To nearest, halves away from zero.
    HalfAway,
}

/// `num / den` rounded as asked; `None` when `den` is zero or the quotient leaves `i64`.
pub fn div_round(num: i128, den: i128, round: Round) -> Option<i64> {
    if den == 0 {
        return None;
    }
    // Prices and quantities nearly always fit 64 bits: a 64-bit division is several times cheaper than i128's.
    if let (Ok(n), Ok(d)) = (i64::try_from(num), i64::try_from(den))
        && d > 0
    {
        let (q, r) = (n.div_euclid(d), n.rem_euclid(d));
        return match round {
            Round::Floor => Some(q),
            Round::Ceil if r != 0 => q.checked_add(1),
            Round::Ceil => Some(q),
            // `r > d - r` is `2r > d` without overflow.
            Round::HalfAway if r > d - r || (r == d - r && q >= 0) => q.checked_add(1),
            Round::HalfAway => Some(q),
        };
    }
    let (num, den) = if den < 0 {
        (num.checked_neg()?, -den)
    } else {
        (num, den)
    };
    let q = num.div_euclid(den); // floor, since den > 0
    let r = num.rem_euclid(den);
    let q = match round {
        Round::Floor => q,
        Round::Ceil => {
            if r != 0 {
                q + 1
            } else {
                q
            }
        }
        Round::HalfAway => {
            // Floor quotient plus one when the remainder is past the half; at exactly half, away from zero.
            let twice = r * 2;
            if twice > den || (twice == den && q >= 0) {
                q + 1
            } else {
                q
            }
        }
    };
    i64::try_from(q).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_examples() {
        assert_eq!(parse_scaled(b"0.06144", 5), Ok(6144));
        assert_eq!(parse_scaled(b"60000.10", 1), Ok(600001));
        assert_eq!(parse_scaled(b"12", 2), Ok(1200));
        assert_eq!(parse_scaled(b"-0.004992579", 9), Ok(-4992579));
        assert_eq!(parse_scaled(b"0", 0), Ok(0));
        assert_eq!(parse_scaled(b"0.061441", 5), Err(ScaledError::TooPrecise));
        assert_eq!(parse_scaled(b"", 5), Err(ScaledError::Empty));
        assert_eq!(parse_scaled(b"-", 5), Err(ScaledError::Invalid));
        assert_eq!(parse_scaled(b".5", 5), Err(ScaledError::Invalid));
        assert_eq!(parse_scaled(b"5.", 5), Err(ScaledError::Invalid));
        assert_eq!(parse_scaled(b"1e5", 5), Err(ScaledError::Invalid));
        assert_eq!(parse_scaled(b"1.2.3", 5), Err(ScaledError::Invalid));
        assert_eq!(
            parse_scaled(b"99999999999999999999", 0),
            Err(ScaledError::Overflow)
        );
        assert_eq!(parse_scaled(b"9223372036854775807", 0), Ok(i64::MAX));
        assert_eq!(parse_scaled(b"-9223372036854775808", 0), Ok(i64::MIN));
        assert_eq!(parse_scaled(b"1", 19), Err(ScaledError::BadScale));
    }

    #[test]
    fn format_round_trips() {
        let mut out = [0u8; MAX_FORMATTED];
        for (m, s, txt) in [
            (6144i64, 5u8, "0.06144"),
            (600001, 1, "60000.1"),
            (0, 2, "0.00"),
            (-5, 3, "-0.005"),
            (7, 0, "7"),
            (i64::MIN, 18, "-9.223372036854775808"),
        ] {
            let n = format_scaled(m, s, &mut out).unwrap();
            assert_eq!(&out[..n], txt.as_bytes());
            assert_eq!(parse_scaled(&out[..n], s), Ok(m));
        }
    }

    #[test]
    fn dec_parse_and_rescale() {
        assert_eq!(Dec::parse(b"0.0100"), Ok(Dec::new(100, 4)));
        assert_eq!(Dec::parse(b"0.0100").unwrap().at_scale(2), Ok(1));
        assert_eq!(
            Dec::parse(b"0.0101").unwrap().at_scale(2),
            Err(ScaledError::TooPrecise)
        );
        assert_eq!(Dec::parse(b"1.1000000000000000000000"), Ok(Dec::new(11, 1)));
        assert_eq!(rescale_exact(5, 0, 3), Ok(5000));
    }

    #[test]
    fn rounding() {
        assert_eq!(div_round(7, 2, Round::Floor), Some(3));
        assert_eq!(div_round(-7, 2, Round::Floor), Some(-4));
        assert_eq!(div_round(7, 2, Round::Ceil), Some(4));
        assert_eq!(div_round(-7, 2, Round::Ceil), Some(-3));
        assert_eq!(div_round(7, 2, Round::HalfAway), Some(4));
        assert_eq!(div_round(-7, 2, Round::HalfAway), Some(-4));
        assert_eq!(div_round(5, 3, Round::HalfAway), Some(2));
        assert_eq!(div_round(4, 3, Round::HalfAway), Some(1));
        assert_eq!(div_round(7, -2, Round::Floor), Some(-4));
        assert_eq!(div_round(1, 0, Round::Floor), None);
        assert_eq!(div_round(i128::MAX, 1, Round::Floor), None);
    }

    #[test]
    fn div_round_fast_path_agrees_with_the_wide_path() {
        let wide = |n: i128, d: i128, r: Round| {
            // Same arithmetic forced through i128 by scaling both sides past 64 bits.
            let k: i128 = 1 << 64;
            div_round(n * k, d * k, r)
        };
        let vals = [
            -7i128,
            -6,
            -5,
            -1,
            0,
            1,
            5,
            6,
            7,
            999,
            -999,
            i64::MAX as i128,
            i64::MIN as i128 + 1,
        ];
        let dens = [1i128, 2, 3, 4, 10, 7, -2, -3];
        for &n in &vals {
            for &d in &dens {
                for r in [Round::Floor, Round::Ceil, Round::HalfAway] {
                    assert_eq!(div_round(n, d, r), wide(n, d, r), "{n}/{d} {r:?}");
                }
            }
        }
    }
}
