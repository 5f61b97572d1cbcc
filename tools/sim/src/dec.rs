//! Exact decimal strings <-> scaled integers. Prices, sizes and balances never touch a float.

/// Parses a plain decimal string ("0.06848", "60000", "-1.5") into an integer scaled by 10^scale.
/// Returns None for anything that is not exactly representable at that scale (extra non-zero digits),
/// exponents, empty input or overflow.
pub fn parse(s: &str, scale: u32) -> Option<i128> {
    let s = s.trim();
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if body.is_empty() {
        return None;
    }
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut v: i128 = 0;
    for b in int_part.bytes() {
        v = v.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    let mut frac_digits = 0u32;
    for b in frac_part.bytes() {
        if frac_digits < scale {
            v = v.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
            frac_digits += 1;
        } else if b != b'0' {
            return None;
        }
    }
    while frac_digits < scale {
        v = v.checked_mul(10)?;
        frac_digits += 1;
    }
    Some(if neg { -v } else { v })
}

/// Formats a scaled integer with trailing fractional zeros trimmed ("60000.10" -> "60000.1", "5.00" -> "5").
pub fn fmt(v: i128, scale: u32) -> String {
    let neg = v < 0;
    let a = v.unsigned_abs();
    let p = 10u128.pow(scale);
    let int = a / p;
    let mut frac = a % p;
    let mut out = String::with_capacity(24);
    if neg && a != 0 {
        out.push('-');
    }
    out.push_str(&int.to_string());
    if frac != 0 {
        let mut digits = scale;
        while frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        out.push('.');
        let f = frac.to_string();
        for _ in f.len()..digits as usize {
            out.push('0');
        }
        out.push_str(&f);
    }
    out
}

/// 10^n as i128.
pub fn pow10(n: u32) -> i128 {
    10i128.pow(n)
}

/// Rescales `v` from scale `from` to scale `to`, rounding toward +infinity when `up`, toward -infinity otherwise.
pub fn rescale(v: i128, from: u32, to: u32, up: bool) -> i128 {
    if to >= from {
        v * pow10(to - from)
    } else {
        let d = pow10(from - to);
        let q = v.div_euclid(d);
        let r = v.rem_euclid(d);
        if up && r != 0 { q + 1 } else { q }
    }
}

/// Number of fractional digits in a decimal string ("0.00001" -> 5, "1" -> 0).
pub fn scale_of(s: &str) -> u32 {
    match s.trim().split_once('.') {
        Some((_, f)) => f.trim_end_matches('0').len() as u32,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_format_round_trip() {
        assert_eq!(parse("0.06848", 5), Some(6848));
        assert_eq!(parse("60000", 2), Some(6_000_000));
        assert_eq!(parse("60000.1", 2), Some(6_000_010));
        assert_eq!(parse("1.230", 2), Some(123));
        assert_eq!(parse("1.231", 2), None);
        assert_eq!(parse("1e5", 2), None);
        assert_eq!(parse("", 2), None);
        assert_eq!(parse(".", 2), None);
        assert_eq!(parse("-0.5", 1), Some(-5));
        assert_eq!(fmt(6_000_010, 2), "60000.1");
        assert_eq!(fmt(500, 2), "5");
        assert_eq!(fmt(6848, 5), "0.06848");
        assert_eq!(fmt(-5, 1), "-0.5");
        assert_eq!(fmt(0, 9), "0");
        assert_eq!(fmt(1, 9), "0.000000001");
    }

    #[test]
    fn rescale_rounds_in_the_requested_direction() {
        assert_eq!(rescale(15, 1, 0, true), 2);
        assert_eq!(rescale(15, 1, 0, false), 1);
        assert_eq!(rescale(-15, 1, 0, false), -2);
        assert_eq!(rescale(3, 0, 2, false), 300);
        assert_eq!(scale_of("0.00001"), 5);
        assert_eq!(scale_of("1"), 0);
        assert_eq!(scale_of("0.10"), 1);
    }
}
