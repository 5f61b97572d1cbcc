//! Small readers shared by the futures decoders: typed values out of the scanner's borrowed [`Value`]s.

use crate::orders::scaled::{Dec, parse_scaled, parse_scaled_round};
use crate::orders::{OrderId, types::MAX_ID_LEN};
use crate::venue::ascendex::stream::trading::DecodeError;
use crate::venue::ascendex::stream::trading::json::Value;

/// A string field as text (`null` reads as empty); anything else is `Bad(k)`.
pub(super) fn text<'a>(v: Value<'a>, k: &'static str) -> Result<&'a str, DecodeError> {
    match v {
        Value::Str(_) => v.as_str().ok_or(DecodeError::Bad(k)),
        Value::Null => Ok(""),
        _ => Err(DecodeError::Bad(k)),
    }
}

/// An optional string field (absent or `null` read as empty).
pub(super) fn opt_text<'a>(v: Option<Value<'a>>, k: &'static str) -> Result<&'a str, DecodeError> {
    v.map(|v| text(v, k)).transpose().map(|o| o.unwrap_or(""))
}

/// A required unsigned integer (JSON number or digit string, as real answers send both).
pub(super) fn req_u64(v: Option<Value<'_>>, k: &'static str) -> Result<u64, DecodeError> {
    v.ok_or(DecodeError::Missing(k))?
        .as_u64()
        .ok_or(DecodeError::Bad(k))
}

/// An optional unsigned integer; absent or `null` is 0.
pub(super) fn opt_u64(v: Option<Value<'_>>, k: &'static str) -> Result<u64, DecodeError> {
    match v {
        None | Some(Value::Null) => Ok(0),
        Some(v) => v.as_u64().ok_or(DecodeError::Bad(k)),
    }
}

/// The text of a decimal field (string or number); `None` when absent, `null` or empty.
fn dec_bytes<'a>(v: Option<Value<'a>>, k: &'static str) -> Result<Option<&'a [u8]>, DecodeError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Str(b)) | Some(Value::Num(b)) if b.is_empty() => Ok(None),
        Some(Value::Str(b)) | Some(Value::Num(b)) => Ok(Some(b)),
        Some(_) => Err(DecodeError::Bad(k)),
    }
}

/// A decimal at `scale`, exactly (extra non-zero digits are an error, never rounded). Absent/empty → `None`.
pub(super) fn dec(
    v: Option<Value<'_>>,
    scale: u8,
    k: &'static str,
) -> Result<Option<i64>, DecodeError> {
    match dec_bytes(v, k)? {
        None => Ok(None),
        Some(b) => parse_scaled(b, scale)
            .map(Some)
            .map_err(|e| DecodeError::Decimal(k, e)),
    }
}

/// A required exact decimal at `scale`.
pub(super) fn req_dec(
    v: Option<Value<'_>>,
    scale: u8,
    k: &'static str,
) -> Result<i64, DecodeError> {
    dec(v, scale, k)?.ok_or(DecodeError::Missing(k))
}

/// A figure the exchange computes (an average, a PnL): extra decimals are rounded half away from zero.
pub(super) fn dec_round(
    v: Option<Value<'_>>,
    scale: u8,
    k: &'static str,
) -> Result<Option<i64>, DecodeError> {
    match dec_bytes(v, k)? {
        None => Ok(None),
        Some(b) => parse_scaled_round(b, scale)
            .map(Some)
            .map_err(|e| DecodeError::Decimal(k, e)),
    }
}

/// A decimal at its own scale (mark prices, rates): exact whatever its precision.
pub(super) fn exact(v: Option<Value<'_>>, k: &'static str) -> Result<Option<Dec>, DecodeError> {
    match dec_bytes(v, k)? {
        None => Ok(None),
        Some(b) => Dec::parse(b)
            .map(Some)
            .map_err(|e| DecodeError::Decimal(k, e)),
    }
}

/// A required exact decimal at its own scale.
pub(super) fn req_exact(v: Option<Value<'_>>, k: &'static str) -> Result<Dec, DecodeError> {
    exact(v, k)?.ok_or(DecodeError::Missing(k))
}

/// An exchange order id (printable ASCII, at most [`MAX_ID_LEN`]).
pub(super) fn order_id(v: Option<Value<'_>>, k: &'static str) -> Result<OrderId, DecodeError> {
    let b = v
        .ok_or(DecodeError::Missing(k))?
        .as_str_bytes()
        .ok_or(DecodeError::Bad(k))?;
    if b.is_empty() || b.len() > MAX_ID_LEN {
        return Err(DecodeError::Bad(k));
    }
    OrderId::new(b).ok_or(DecodeError::Bad(k))
}

/// Integer leverage sent as `"10"` or `10` (1 to 1000; the docs allow 1 to 100, a margin for later changes).
pub(super) fn leverage(v: Option<Value<'_>>, k: &'static str) -> Result<u16, DecodeError> {
    match dec_bytes(v, k)? {
        None => Ok(0),
        Some(b) => {
            // "10" or "10.0": an integer however it is spelled.
            let n = parse_scaled(b, 0).map_err(|e| DecodeError::Decimal(k, e))?;
            u16::try_from(n)
                .ok()
                .filter(|&l| l <= 1000)
                .ok_or(DecodeError::Bad(k))
        }
    }
}

/// An array of flat objects walked in one pass: each row's fields are handed to a callback as the row is read,
/// instead of skipping the row to find its end and then reading it again (the scanner's `elements` + `fields`
/// visit every byte of a row twice). A row's end is where the object reader, given the rest of the array, meets
/// the bytes after the row's closing brace (`TrailingData`), which is exact: nothing else raises it.
pub(super) struct Rows<'a> {
    b: &'a [u8],
    i: usize,
    /// 0 = before `[`, 1 = a row next, 2 = done.
    state: u8,
    /// Named in the error for an element that is not an object.
    name: &'static str,
}

use crate::venue::ascendex::stream::trading::json::{JsonError, ObjectReader};

impl<'a> Rows<'a> {
    pub(super) fn new(arr: &'a [u8], name: &'static str) -> Rows<'a> {
        Rows {
            b: arr,
            i: 0,
            state: 0,
            name,
        }
    }

    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.i += 1;
        }
    }

    /// Reads the next row, calling `f` per field; `None` after the last row.
    pub(super) fn next_row(
        &mut self,
        mut f: impl FnMut(&'a [u8], Value<'a>),
    ) -> Option<Result<(), DecodeError>> {
        let r = self.step(&mut f);
        if r.as_ref().is_some_and(|r| r.is_err()) {
            self.state = 2;
        }
        r
    }

    fn step(&mut self, f: &mut impl FnMut(&'a [u8], Value<'a>)) -> Option<Result<(), DecodeError>> {
        if self.state == 2 {
            return None;
        }
        if self.state == 0 {
            self.ws();
            if self.b.get(self.i) != Some(&b'[') {
                return Some(Err(DecodeError::Bad(self.name)));
            }
            self.i += 1;
            self.ws();
            if self.b.get(self.i) == Some(&b']') {
                self.state = 2;
                return None;
            }
            self.state = 1;
        }
        self.ws();
        match self.b.get(self.i) {
            Some(b'{') => {}
            None => return Some(Err(JsonError::Truncated.into())),
            Some(_) => return Some(Err(DecodeError::Bad(self.name))),
        }
        let rest = self.b.get(self.i..).unwrap_or_default();
        let mut rdr = ObjectReader::new(rest);
        let end = loop {
            match rdr.next_key() {
                Ok(Some(k)) => match rdr.value() {
                    Ok(v) => f(k, v),
                    Err(e) => return Some(Err(e.into())),
                },
                // The row ran to the end of the text: the array's `]` is missing.
                Ok(None) => return Some(Err(JsonError::Truncated.into())),
                Err(JsonError::TrailingData { at }) => break at,
                Err(e) => return Some(Err(e.into())),
            }
        };
        self.i += end;
        match self.b.get(self.i) {
            Some(b',') => self.i += 1,
            Some(b']') => {
                self.i += 1;
                self.state = 2;
                self.ws();
                if self.i != self.b.len() {
                    return Some(Err(JsonError::TrailingData { at: self.i }.into()));
                }
            }
            _ => return Some(Err(JsonError::Unexpected { at: self.i }.into())),
        }
        Some(Ok(()))
    }
}
