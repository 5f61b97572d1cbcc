//! Baselines for `benches/transport.rs` (included there with `#[path = "baselines/mod.rs"] mod baselines;`):
//! a fast WebSocket-over-TLS echo server, the tokio + tokio-tungstenite round-trip client we must beat, and the raw
//! TCP ping-pong floor no transport can beat on this machine.
// The bench uses what it needs; the rest (e.g. the blocking echo mode) stays for comparison runs.
#![allow(dead_code, unused_imports)]

pub mod echo_server;
// Shared with the integration tests: the same throwaway CA and leaf.
#[path = "../../tests/support/pki.rs"]
pub mod pki;
pub mod raw_tcp;
pub mod tokio_client;

use hdrhistogram::Histogram;

pub use echo_server::{EchoMode, EchoServer, ws_echo_server, ws_echo_server_with};
pub use pki::{TestPki, pki};
pub use raw_tcp::raw_tcp_floor_rtt;
pub use tokio_client::tokio_ws_client_rtt;

/// Core the client side of every baseline runs on (and where our engine's thread should run).
pub const CLIENT_CORE: usize = 0;
/// Core the server side of every baseline runs on.
pub const SERVER_CORE: usize = 1;

/// Pins the calling thread to `core`. Returns false (and says so on stderr) when the OS refused or the core does
/// not exist, so a bench run never silently measures an unpinned thread.
pub fn pin(core: usize, who: &str) -> bool {
    let ok = core_affinity::get_core_ids()
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.id == core)
        .is_some_and(core_affinity::set_for_current);
    if !ok {
        eprintln!("warning: could not pin {who} to core {core}; its figures are unpinned");
    }
    ok
}

/// A latency histogram in nanoseconds, 1 ns .. 60 s, 3 significant digits. Record with `saturating_record`.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("valid histogram bounds")
}

/// One line: p50 / p99 / p99.9 / max in µs, and the count.
pub fn print_row(name: &str, h: &Histogram<u64>) {
    let us = |ns: u64| ns as f64 / 1000.0;
    println!(
        "{name:<48} p50 {:>8.2} µs  p99 {:>8.2} µs  p99.9 {:>8.2} µs  max {:>9.2} µs  n={}",
        us(h.value_at_quantile(0.50)),
        us(h.value_at_quantile(0.99)),
        us(h.value_at_quantile(0.999)),
        us(h.max()),
        h.len()
    );
}
