//! Decimals across the boundary: scaled integers formatted and parsed exactly.

use super::*;

// ---------------------------------------------------------------------------------------------------------------
// Decimals.

/// Writes `mantissa` at `scale` (0..=18) as a decimal with exactly `scale` decimals and a NUL into `buf`. Returns the
/// length without the NUL, or `AXH_E_ARG` (bad scale), `AXH_E_NULL`, `AXH_E_BUFFER` (40 bytes always suffice).
///
/// # Safety
/// `buf` is NULL or points at `buf_len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_format_decimal(
    mantissa: i64,
    scale: u8,
    buf: *mut c_char,
    buf_len: usize,
) -> c_int {
    guard(AXH_E_PANIC, || {
        if buf.is_null() {
            return set_error(AXH_E_NULL, "buf is NULL");
        }
        let Ok(sc) = crate::num::Scale::new(scale) else {
            return set_error(AXH_E_ARG, format!("scale {scale} is above 18"));
        };
        let mut tmp = [0u8; crate::num::MAX_FORMATTED_LEN];
        let Ok(n) = crate::num::format_scaled(mantissa, sc, &mut tmp) else {
            return set_error(AXH_E_BUFFER, "value does not fit the format buffer");
        };
        if n + 1 > buf_len {
            return set_error(
                AXH_E_BUFFER,
                format!("buffer of {buf_len} bytes is too small: {} needed", n + 1),
            );
        }
        // SAFETY: `buf` holds `buf_len` >= n + 1 writable bytes per the contract.
        let out = unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), n + 1) };
        out[..n].copy_from_slice(&tmp[..n]);
        out[n] = 0;
        n as c_int
    })
}

/// Parses a plain decimal (`"60000.1"`, optional leading `-`) into its exact mantissa at `scale`. Digits beyond
/// the scale must be zeros. `AXH_E_ARG` for anything not exactly representable.
///
/// # Safety
/// `s` is NULL or a valid C string; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_parse_decimal(s: *const c_char, scale: u8, out: *mut i64) -> c_int {
    status(|| {
        if out.is_null() {
            return Err(FfiError::new(AXH_E_NULL, "out is NULL"));
        }
        // SAFETY: NULL or a valid C string per the contract.
        let text = unsafe { opt_str(s, "the decimal") }?
            .ok_or_else(|| FfiError::new(AXH_E_NULL, "s is NULL"))?;
        let sc = crate::num::Scale::new(scale)
            .map_err(|_| FfiError::new(AXH_E_ARG, format!("scale {scale} is above 18")))?;
        let (neg, digits) = match text.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, text),
        };
        let m = crate::num::parse_scaled(digits.as_bytes(), sc)
            .map_err(|e| FfiError::new(AXH_E_ARG, format!("\"{text}\" at scale {scale}: {e}")))?;
        // SAFETY: non-NULL and writable per the contract.
        unsafe { *out = if neg { -m } else { m } };
        Ok(())
    })
}
