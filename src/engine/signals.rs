//! SIGINT and SIGTERM as a flag the loop can read (`Engine::stop_on(&INTERRUPTED)`) and callers can poll: Ctrl-C
//! ends a session gracefully (own orders cancelled, report printed) instead of killing the process. One flag for
//! the process, shared by the CLI and the builder.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the handler when SIGINT or SIGTERM arrives.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// Installs the handler for SIGINT and SIGTERM (idempotent).
pub fn catch_interrupts() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
}

/// A SIGINT or SIGTERM has arrived.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}
