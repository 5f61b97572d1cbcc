//! Library information and errors: version, ABI version, the thread's last error, status names.

use super::*;

// ---------------------------------------------------------------------------------------------------------------
// Library information and errors.

static VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(s) => s,
        Err(_) => c"unknown",
    };

/// The library version, e.g. `"0.1.0"` (static storage).
#[unsafe(no_mangle)]
pub extern "C" fn axh_version() -> *const c_char {
    VERSION.as_ptr()
}

/// `AXH_ABI_VERSION` of the compiled library; compare with the header's.
#[unsafe(no_mangle)]
pub extern "C" fn axh_abi_version() -> u32 {
    AXH_ABI_VERSION
}

/// The last error message on the calling thread (`""` when none); valid until the next failing call on it.
#[unsafe(no_mangle)]
pub extern "C" fn axh_last_error() -> *const c_char {
    guard(c"".as_ptr(), last_message)
}

/// The code of the last error on the calling thread (`AXH_OK` when none).
#[unsafe(no_mangle)]
pub extern "C" fn axh_last_error_code() -> c_int {
    guard(AXH_E_PANIC, last_code)
}

/// Name of an order status (`AXH_ST_*`), e.g. `"PartiallyFilled"`; `"?"` for an unknown value. Static storage.
#[unsafe(no_mangle)]
pub extern "C" fn axh_order_status_name(status: c_int) -> *const c_char {
    let s: &CStr = match u8::try_from(status).unwrap_or(u8::MAX) {
        AXH_ST_PENDING_NEW => c"PendingNew",
        AXH_ST_NEW => c"New",
        AXH_ST_PARTIALLY_FILLED => c"PartiallyFilled",
        AXH_ST_PENDING_CANCEL => c"PendingCancel",
        AXH_ST_UNKNOWN => c"Unknown",
        AXH_ST_FILLED => c"Filled",
        AXH_ST_CANCELED => c"Canceled",
        AXH_ST_REJECTED => c"Rejected",
        _ => c"?",
    };
    s.as_ptr()
}
