//! Latency measurement: hdrhistogram recording on the hot path (no allocation), percentile reports, `.hgrm`
//! files and plots. (Being built: see the issue tracker, issue 6.)

use hdrhistogram::Histogram;

/// Where a latency was measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// Socket readable → strategy callback.
    WireToCallback = 0,
    /// Strategy decision → order frame written to the socket.
    CallbackToWire = 1,
    /// Order sent → acknowledged.
    OrderRoundTrip = 2,
    /// The simulator writing a message → the strategy seeing it (simulator only).
    EndToEnd = 3,
}

pub const PROBES: [Probe; 4] = [
    Probe::WireToCallback,
    Probe::CallbackToWire,
    Probe::OrderRoundTrip,
    Probe::EndToEnd,
];

/// One histogram per probe, in nanoseconds, preallocated (1 ns .. 60 s, 3 significant digits).
pub struct Latency {
    hists: [Histogram<u64>; 4],
}

impl Latency {
    pub fn new() -> Self {
        let h = || {
            Histogram::new_with_bounds(1, 60_000_000_000, 3)
                .unwrap_or_else(|_| Histogram::new(3).unwrap())
        };
        Latency {
            hists: [h(), h(), h(), h()],
        }
    }

    /// Records without allocating (values beyond the bounds saturate).
    #[inline]
    pub fn record(&mut self, probe: Probe, ns: u64) {
        self.hists[probe as usize].saturating_record(ns.max(1));
    }

    pub fn histogram(&self, probe: Probe) -> &Histogram<u64> {
        &self.hists[probe as usize]
    }

    pub fn merge(&mut self, other: &Latency) {
        for (a, b) in self.hists.iter_mut().zip(other.hists.iter()) {
            let _ = a.add(b);
        }
    }
}

impl Default for Latency {
    fn default() -> Self {
        Self::new()
    }
}
