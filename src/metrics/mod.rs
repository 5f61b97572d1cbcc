//! Latency measurement: hdrhistogram recording on the hot path (no allocation), percentile reports, `.hgrm`
//! files and plots.
//!
//! Recording lives here and is the only part the event loop touches; `report`, `hgrm`, `plot` and `files` run
//! after the loop has stopped and may allocate freely. Histograms hold nanoseconds; everything written for people
//! (tables, `.hgrm`, plots) is in microseconds, `--json` lines stay in nanoseconds (`*_ns` fields).

// Stable public surface: every public item says what it is for (why, units, scales, invariants).
#![deny(missing_docs)]

// Off-hot-path reporting helpers, not part of the stable surface yet: their items are not held to missing_docs.
#[allow(missing_docs)]
pub mod files;
#[allow(missing_docs)]
pub mod hgrm;
#[allow(missing_docs)]
pub mod plot;
#[allow(missing_docs)]
pub mod report;

pub use files::{file_stem, write_report_files};
pub use hgrm::{
    Hgrm, HgrmError, HgrmRow, parse_hgrm, read_hgrm, write_all_hgrm, write_hgrm, write_hgrm_to,
};
pub use plot::{render_svg, write_svg};
pub use report::{
    Summary, comparison_json, comparison_table, format_us, json_line, json_lines, table,
    write_json_lines,
};

use hdrhistogram::Histogram;

/// Where a latency was measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

/// Every probe, in report order (the order of the `Latency` histograms and of table rows).
pub const PROBES: [Probe; 4] = [
    Probe::WireToCallback,
    Probe::CallbackToWire,
    Probe::OrderRoundTrip,
    Probe::EndToEnd,
];

impl Probe {
    /// Stable snake_case name, used in `--json` lines, `.hgrm` file names and plot legends.
    pub const fn name(self) -> &'static str {
        match self {
            Probe::WireToCallback => "wire_to_callback",
            Probe::CallbackToWire => "callback_to_wire",
            Probe::OrderRoundTrip => "order_round_trip",
            Probe::EndToEnd => "end_to_end",
        }
    }

    /// What the span covers, for people reading a report.
    pub const fn description(self) -> &'static str {
        match self {
            Probe::WireToCallback => "socket readable -> strategy callback",
            Probe::CallbackToWire => "strategy decision -> order frame written",
            Probe::OrderRoundTrip => "order sent -> acknowledged",
            Probe::EndToEnd => "simulator write -> strategy sees it",
        }
    }

    /// The inverse of [`Probe::name`].
    pub fn from_name(name: &str) -> Option<Probe> {
        PROBES.into_iter().find(|p| p.name() == name)
    }
}

impl std::fmt::Display for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Lowest trackable value, ns: a zero span (two equal stamps) is recorded as 1 ns.
pub const LOWEST_NS: u64 = 1;
/// Highest trackable value, ns. 60 s covers a stalled order round trip; anything longer saturates at the top
/// instead of growing the histogram (which would allocate inside the loop).
pub const HIGHEST_NS: u64 = 60_000_000_000;
/// 3 significant digits: 0.1 % value error, ~180 KiB per histogram over the range above.
pub const SIGFIG: u8 = 3;

/// An empty histogram with the bounds every probe uses (also the right shape for a baseline to compare with).
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(LOWEST_NS, HIGHEST_NS, SIGFIG).expect("constant bounds are valid")
}

/// One histogram per probe, in nanoseconds, preallocated (1 ns .. 60 s, 3 significant digits).
pub struct Latency {
    hists: [Histogram<u64>; 4],
}

impl Latency {
    /// Four empty histograms, allocated now (about 180 KiB each) so recording never allocates.
    pub fn new() -> Self {
        Latency {
            hists: [
                new_histogram(),
                new_histogram(),
                new_histogram(),
                new_histogram(),
            ],
        }
    }

    /// Records without allocating (values beyond the bounds saturate).
    #[inline]
    pub fn record(&mut self, probe: Probe, ns: u64) {
        self.hists[probe as usize].saturating_record(ns.max(1));
    }

    /// Records the span between two engine-clock stamps (ns). A stamp pair that went backwards (a caller mixing
    /// clocks) is recorded as the minimum rather than wrapping to a huge value.
    #[inline]
    pub fn record_span(&mut self, probe: Probe, start_ns: u64, end_ns: u64) {
        self.record(probe, end_ns.saturating_sub(start_ns));
    }

    /// Records the time since `start` and returns the `Instant` it read, so consecutive stages can chain
    /// without a second clock read.
    #[inline]
    pub fn record_since(&mut self, probe: Probe, start: std::time::Instant) -> std::time::Instant {
        let now = std::time::Instant::now();
        let ns = now.saturating_duration_since(start).as_nanos();
        self.record(probe, u64::try_from(ns).unwrap_or(u64::MAX));
        now
    }

    /// One probe's histogram (ns), for percentiles, `.hgrm` export or a plot.
    pub fn histogram(&self, probe: Probe) -> &Histogram<u64> {
        &self.hists[probe as usize]
    }

    /// Samples recorded for one probe.
    #[inline]
    pub fn count(&self, probe: Probe) -> u64 {
        self.hists[probe as usize].len()
    }

    /// p50/p90/p99/p99.9/max of one probe; `None` without samples.
    pub fn summary(&self, probe: Probe) -> Option<Summary> {
        Summary::of(self.histogram(probe))
    }

    /// Samples recorded over all probes.
    pub fn total_count(&self) -> u64 {
        self.hists.iter().map(|h| h.len()).sum()
    }

    /// True when no probe has a sample.
    pub fn is_empty(&self) -> bool {
        self.hists.iter().all(|h| h.is_empty())
    }

    /// Clears every probe (e.g. after warm-up) without freeing or allocating.
    pub fn reset(&mut self) {
        for h in &mut self.hists {
            h.reset();
        }
    }

    /// Clears one probe without freeing or allocating.
    pub fn reset_probe(&mut self, probe: Probe) {
        self.hists[probe as usize].reset();
    }

    /// Adds every sample of `other` to the matching probe here (e.g. combining runs or threads); off the hot path.
    pub fn merge(&mut self, other: &Latency) {
        for (a, b) in self.hists.iter_mut().zip(other.hists.iter()) {
            // Same bounds on both sides, so `add` cannot run out of range.
            let _ = a.add(b);
        }
    }

    /// Probes with at least one sample, with their histograms (in `PROBES` order): the input `write_svg` takes.
    pub fn series(&self) -> Vec<(&'static str, &Histogram<u64>)> {
        PROBES
            .into_iter()
            .filter(|p| self.count(*p) > 0)
            .map(|p| (p.name(), self.histogram(p)))
            .collect()
    }
}

impl Default for Latency {
    fn default() -> Self {
        Self::new()
    }
}
