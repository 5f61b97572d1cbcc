//! Status codes, the thread-local last-error message, and the panic guard every entry point runs under.
//!
//! The message buffer is reused (cleared, rewritten) so an error on the engine thread (a refused order inside a
//! callback) does not allocate once the buffer has grown to its working size.

use std::cell::RefCell;
use std::ffi::c_char;
use std::fmt::{self, Write as _};
use std::os::raw::c_int;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Success.
pub const AXH_OK: c_int = 0;
/// A required pointer argument was NULL.
pub const AXH_E_NULL: c_int = -1;
/// An argument or configuration value is invalid (bad URL, empty symbol list, bad credentials, scale > 18, ...).
pub const AXH_E_ARG: c_int = -2;
/// Not allowed in the engine's current state (already running or finished, a context used outside its callback).
pub const AXH_E_STATE: c_int = -3;
/// The CA file could not be read or the TLS configuration failed.
pub const AXH_E_TLS: c_int = -4;
/// A start-up request or the event loop failed on the network.
pub const AXH_E_NETWORK: c_int = -5;
/// The exchange answered a start-up call with an error, or listed no such symbol.
pub const AXH_E_EXCHANGE: c_int = -6;
/// Authentication failed (key, secret, clock).
pub const AXH_E_AUTH: c_int = -7;
/// An order action was refused before anything was sent (rules, risk or rate limits, no credentials).
pub const AXH_E_REFUSED: c_int = -8;
/// The event loop could not be pinned to the configured core.
pub const AXH_E_PIN: c_int = -9;
/// The caller's buffer is too small.
pub const AXH_E_BUFFER: c_int = -10;
/// No such order handle, symbol or timer.
pub const AXH_E_NOT_FOUND: c_int = -11;
/// An internal error (a bug) was caught at the boundary; the engine that raised it is unusable.
pub const AXH_E_PANIC: c_int = -12;

/// A failure crossing the boundary: a status code and a message for the user.
#[derive(Debug)]
pub struct FfiError {
    pub code: c_int,
    /// `None`: already written to the thread's last-error buffer (see [`FfiError::recorded`]).
    pub message: Option<String>,
}

impl FfiError {
    pub fn new(code: c_int, message: impl fmt::Display) -> FfiError {
        FfiError {
            code,
            message: Some(message.to_string()),
        }
    }

    /// Writes the message straight into the last-error buffer: no `String` per error, for refusals that can
    /// repeat on the engine thread (an order refused by a rate limit inside a callback).
    pub fn recorded(code: c_int, message: impl fmt::Display) -> FfiError {
        set_error(code, message);
        FfiError {
            code,
            message: None,
        }
    }
}

impl fmt::Display for FfiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(m) => f.write_str(m),
            None => f.write_str("see axh_last_error"),
        }
    }
}

impl std::error::Error for FfiError {}

struct LastError {
    code: c_int,
    /// Always NUL-terminated.
    text: String,
}

thread_local! {
    static LAST: RefCell<LastError> = const {
        RefCell::new(LastError { code: AXH_OK, text: String::new() })
    };
}

/// Records an error for `axh_last_error` on this thread and returns its code. Reuses the buffer: no allocation
/// once it has grown to the longest message seen.
pub fn set_error(code: c_int, msg: impl fmt::Display) -> c_int {
    LAST.with(|l| {
        if let Ok(mut l) = l.try_borrow_mut() {
            l.code = code;
            l.text.clear();
            if l.text.capacity() == 0 {
                l.text.reserve(256);
            }
            let _ = write!(l.text, "{msg}");
            // An interior NUL would cut the message short in C; it never appears in our messages, but be sure.
            if l.text.contains('\0') {
                l.text = l.text.replace('\0', " ");
            }
            l.text.push('\0');
        }
    });
    code
}

pub fn fail(e: FfiError) -> c_int {
    match e.message {
        Some(m) => set_error(e.code, m),
        None => e.code,
    }
}

/// The code of the last error on this thread (`AXH_OK` when none).
pub fn last_code() -> c_int {
    LAST.with(|l| l.try_borrow().map(|l| l.code).unwrap_or(AXH_OK))
}

/// Pointer to the last error message on this thread; valid until the next failing call on this thread.
pub fn last_message() -> *const c_char {
    LAST.with(|l| match l.try_borrow() {
        Ok(l) if !l.text.is_empty() => l.text.as_ptr().cast(),
        _ => c"".as_ptr(),
    })
}

pub const PANIC_MESSAGE: &str =
    "internal error in ascendex-hft (a panic was caught at the C boundary); please report it";

/// Runs `f`, turning a panic into `on_panic` and an `AXH_E_PANIC` last error: no unwinding crosses into C.
pub fn guard<T>(on_panic: T, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(_) => {
            set_error(AXH_E_PANIC, PANIC_MESSAGE);
            on_panic
        }
    }
}

/// `guard` for the common shape: a `Result` becomes `AXH_OK` or the error's code (recorded).
pub fn status(f: impl FnOnce() -> Result<(), FfiError>) -> c_int {
    guard(AXH_E_PANIC, || match f() {
        Ok(()) => AXH_OK,
        Err(e) => fail(e),
    })
}
