//! Recording is on the event loop's hot path: after `Latency::new()` it must never touch the allocator.

use std::sync::atomic::Ordering;

use ascendex_hft::metrics::{Latency, PROBES, Probe};

mod alloc_gate;

use alloc_gate::{ALLOCS, COUNTING};

#[global_allocator]
static GLOBAL: alloc_gate::Counting = alloc_gate::Counting;

// One test in this binary, so no other test thread allocates while we count.
#[test]
fn recording_a_million_values_allocates_nothing() {
    let mut lat = Latency::new();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    COUNTING.with(|c| c.set(true));
    let before = ALLOCS.load(Ordering::Relaxed);
    for i in 0..1_000_000u64 {
        // xorshift: values spread over the whole range, including 0 and beyond the 60 s bound.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let ns = match i % 4 {
            0 => x % 100_000,
            1 => x % 100_000_000,
            2 => x,
            _ => 0,
        };
        lat.record(PROBES[(i % 4) as usize], ns);
        if i % 1000 == 0 {
            lat.record_span(Probe::EndToEnd, i, i + (x & 0xffff));
            let _ = lat.count(Probe::WireToCallback);
        }
    }
    let t = std::time::Instant::now();
    let _ = lat.record_since(Probe::CallbackToWire, t);
    lat.reset_probe(Probe::OrderRoundTrip);
    lat.reset();
    lat.record(Probe::WireToCallback, 1234);
    let after = ALLOCS.load(Ordering::Relaxed);
    COUNTING.with(|c| c.set(false));
    assert_eq!(after - before, 0, "allocations while recording");
    assert_eq!(lat.count(Probe::WireToCallback), 1);
    // Sanity: the counter does count.
    COUNTING.with(|c| c.set(true));
    let v = std::hint::black_box(vec![1u8; 16]);
    COUNTING.with(|c| c.set(false));
    assert!(ALLOCS.load(Ordering::Relaxed) > after);
    drop(v);
}
