//! The one gate every value from the exchange passes before the CLI prints it: decimals against the exchange's
//! grammar (DESIGN.md §4: exact values as strings, no exponent), the symbol an answer is about, and names and
//! timestamps. A value that fails is an error naming the endpoint and the field (exit 4), never printed: a script
//! reading our output must be able to trust every number in it.

use std::fmt;

use serde_json::Value;

use super::out::{CliError, CliResult};

/// Longest decimal accepted (sign, digits and point): an i64 mantissa has 19 digits; twice that leaves room for
/// any real balance while refusing the 400-digit strings a broken server can send.
pub const MAX_DECIMAL_LEN: usize = 40;

/// Whether a field may carry a minus sign (a PnL, a funding payment); prices, sizes and balances never do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    Unsigned,
    Signed,
}

/// Why a string is not one of the exchange's decimals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecimalFault {
    Empty,
    TooLong(usize),
    /// A `-` (or `+`) where the field is unsigned, or a sign not in front.
    Sign,
    Exponent,
    /// No digit before or after the point (`.5`, `5.`).
    MissingDigits,
    TwoPoints,
    BadChar(char),
    /// More fraction digits than the symbol's scale, and not just trailing zeros.
    BeyondScale(u8),
    /// A JSON number (or other non-string): the exchange spells decimals as strings, and a JSON number may already
    /// have lost precision in a float.
    NotAString,
    Missing,
}

impl fmt::Display for DecimalFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecimalFault::Empty => f.write_str("is an empty string"),
            DecimalFault::TooLong(n) => {
                write!(f, "is {n} characters long (at most {MAX_DECIMAL_LEN})")
            }
            DecimalFault::Sign => f.write_str("has a sign where none is allowed"),
            DecimalFault::Exponent => f.write_str("has an exponent"),
            DecimalFault::MissingDigits => f.write_str("has a point without digits on both sides"),
            DecimalFault::TwoPoints => f.write_str("has more than one point"),
            DecimalFault::BadChar(c) => write!(f, "has the character {c:?}"),
            DecimalFault::BeyondScale(s) => {
                write!(f, "has more than the symbol's {s} decimal places")
            }
            DecimalFault::NotAString => f.write_str("is not a string"),
            DecimalFault::Missing => f.write_str("is missing"),
        }
    }
}

/// The exchange's decimal grammar: `[-]DIGITS[.DIGITS]` (the sign only when `sign` allows it), at most
/// [`MAX_DECIMAL_LEN`] characters, and when `scale` is given no non-zero digit past that many decimal places.
pub fn decimal_fault(s: &str, sign: Sign, scale: Option<u8>) -> Option<DecimalFault> {
    if s.is_empty() {
        return Some(DecimalFault::Empty);
    }
    if s.len() > MAX_DECIMAL_LEN {
        return Some(DecimalFault::TooLong(s.len()));
    }
    let body = match s.strip_prefix('-') {
        Some(rest) if sign == Sign::Signed => rest,
        Some(_) => return Some(DecimalFault::Sign),
        None => s,
    };
    let mut point = None;
    for (i, c) in body.char_indices() {
        match c {
            '0'..='9' => {}
            '.' if point.is_some() => return Some(DecimalFault::TwoPoints),
            '.' => point = Some(i),
            'e' | 'E' => return Some(DecimalFault::Exponent),
            '-' | '+' => return Some(DecimalFault::Sign),
            c => return Some(DecimalFault::BadChar(c)),
        }
    }
    let (int, frac) = match point {
        Some(i) => (&body[..i], &body[i + 1..]),
        None => (body, ""),
    };
    if int.is_empty() || (point.is_some() && frac.is_empty()) {
        return Some(DecimalFault::MissingDigits);
    }
    if let Some(scale) = scale
        && frac.len() > scale as usize
        && frac.as_bytes()[scale as usize..].iter().any(|&b| b != b'0')
    {
        return Some(DecimalFault::BeyondScale(scale));
    }
    None
}

/// Where a value came from, for the error message: the request (`GET /api/pro/v1/spot/ticker?symbol=BTC/USDT`).
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    pub request: &'a str,
}

impl Source<'_> {
    /// The error for a value that fails a check: exit 4, naming the request and the field, value shown shortened.
    pub fn bad(&self, field: &str, value: &str, why: impl fmt::Display) -> CliError {
        let mut shown: String = value.chars().take(24).collect();
        if value.chars().count() > 24 {
            shown.push('…');
        }
        CliError::network(format!(
            "{}: the answer's `{field}` is {shown:?}, {why}; nothing printed",
            self.request
        ))
    }

    /// A decimal string field, checked; returns it as printed.
    pub fn decimal(
        &self,
        field: &str,
        s: &str,
        sign: Sign,
        scale: Option<u8>,
    ) -> CliResult<String> {
        match decimal_fault(s, sign, scale) {
            None => Ok(s.to_string()),
            Some(f) => {
                let grammar = match sign {
                    Sign::Unsigned => "digits with at most one '.', no sign or exponent",
                    Sign::Signed => {
                        "digits with at most one '.', an optional leading '-', no exponent"
                    }
                };
                Err(self.bad(field, s, format!("which {f} (expected {grammar})")))
            }
        }
    }

    /// A decimal field of a JSON object: it must be present and a string.
    pub fn decimal_of(
        &self,
        obj: &Value,
        key: &str,
        sign: Sign,
        scale: Option<u8>,
    ) -> CliResult<String> {
        match obj.get(key) {
            Some(Value::String(s)) => self.decimal(key, s, sign, scale),
            Some(v) => Err(self.bad(
                key,
                &v.to_string(),
                format!("which {}", DecimalFault::NotAString),
            )),
            None => Err(self.bad(key, "", format!("which {}", DecimalFault::Missing))),
        }
    }

    /// Like [`Source::decimal_of`], but an absent or empty field prints as `""` (a market order's price).
    pub fn optional_decimal_of(
        &self,
        obj: &Value,
        key: &str,
        sign: Sign,
        scale: Option<u8>,
    ) -> CliResult<String> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) if s.is_empty() => Ok(String::new()),
            _ => self.decimal_of(obj, key, sign, scale),
        }
    }

    /// A name-like string (asset, status, side, order id): printable ASCII without spaces or quotes, bounded.
    pub fn name_of(&self, obj: &Value, key: &str, optional: bool) -> CliResult<String> {
        let s = match obj.get(key) {
            Some(Value::String(s)) => s.as_str(),
            None | Some(Value::Null) if optional => return Ok(String::new()),
            Some(v) => return Err(self.bad(key, &v.to_string(), "not a string")),
            None => return Err(self.bad(key, "", "missing")),
        };
        if s.is_empty() && optional {
            return Ok(String::new());
        }
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
        if ok {
            Ok(s.to_string())
        } else {
            Err(self.bad(key, s, "not a plain name"))
        }
    }

    /// The answer must be about `want` (the symbol asked for).
    pub fn symbol(&self, obj: &Value, key: &str, want: &str) -> CliResult<()> {
        match obj.get(key).and_then(Value::as_str) {
            Some(s) if s == want => Ok(()),
            Some(s) => Err(self.bad(key, s, format!("not the symbol asked for ({want})"))),
            None => Err(self.bad(key, "", format!("missing (expected {want})"))),
        }
    }

    /// A millisecond timestamp: a non-negative integer, as a number or a string of digits.
    pub fn ts_of(&self, obj: &Value, key: &str) -> CliResult<u64> {
        let v = obj.get(key);
        let t = match v {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse().ok()
            }
            _ => None,
        };
        t.ok_or_else(|| {
            self.bad(
                key,
                &v.map_or(String::new(), Value::to_string),
                "not a millisecond timestamp",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_grammar_accepts_plain_decimals_only() {
        for ok in ["0", "60000.1", "007", "60000.10", "60000.1000"] {
            assert_eq!(decimal_fault(ok, Sign::Unsigned, Some(2)), None, "{ok}");
        }
        assert_eq!(decimal_fault("0.00001", Sign::Unsigned, None), None);
        let bad = [
            ("", DecimalFault::Empty),
            ("1e5", DecimalFault::Exponent),
            ("abc", DecimalFault::BadChar('a')),
            ("-5", DecimalFault::Sign),
            ("+5", DecimalFault::Sign),
            ("NaN", DecimalFault::BadChar('N')),
            ("0x10", DecimalFault::BadChar('x')),
            (".5", DecimalFault::MissingDigits),
            ("5.", DecimalFault::MissingDigits),
            ("1.2.3", DecimalFault::TwoPoints),
            (" 1", DecimalFault::BadChar(' ')),
            ("1.234", DecimalFault::BeyondScale(2)),
        ];
        for (s, f) in bad {
            assert_eq!(decimal_fault(s, Sign::Unsigned, Some(2)), Some(f), "{s:?}");
        }
        assert_eq!(
            decimal_fault(&"9".repeat(400), Sign::Unsigned, None),
            Some(DecimalFault::TooLong(400))
        );
        assert_eq!(decimal_fault("-5.25", Sign::Signed, Some(2)), None);
        assert_eq!(
            decimal_fault("5-", Sign::Signed, None),
            Some(DecimalFault::Sign)
        );
    }

    proptest! {
        /// What the grammar accepts is exactly what `Dec` (the exact fixed-point parser) reads as the same
        /// digits, for strings short enough to fit an i64.
        #[test]
        fn accepted_strings_are_exact_decimals(s in "[-0-9.eE+a ]{0,18}") {
            if decimal_fault(&s, Sign::Unsigned, None).is_none() {
                let d = crate::orders::scaled::Dec::parse(s.as_bytes());
                prop_assert!(d.is_ok(), "{s:?} accepted but Dec refuses it");
            }
        }
    }
}
