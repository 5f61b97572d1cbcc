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
