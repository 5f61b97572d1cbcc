//! `.hgrm` files: HdrHistogram's "percentile distribution" text, as Java's `outputPercentileDistribution(out, 5,
//! 1000.0)` writes it and the online plotter (hdrhistogram.github.io/HdrHistogram/plotFiles.html) reads it.
//!
//! Histograms hold nanoseconds; the file holds **microseconds** (values divided by 1000, three decimals), so the
//! plotter's axis reads in µs. The hdrhistogram crate only writes the binary V2 formats, hence this module.
//! Rows step through percentiles with 5 ticks per half-distance to 100 % (0 %, 10 %, … 50 %, 55 %, … 75 %, 77.5 %, …),
//! so the tail is sampled as finely as the body.

use std::fmt;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;

use super::{Latency, PROBES};

/// Nanoseconds per unit written to the file (µs).
pub const UNIT_SCALING: f64 = 1000.0;
/// The plotter's default and Java's: percentile steps per halving of the distance to 100 %.
pub const TICKS_PER_HALF_DISTANCE: u32 = 5;

/// Writes the percentile distribution of `h` (ns) to `out`, values in µs.
pub fn write_hgrm_to(h: &Histogram<u64>, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "{:>12} {:>14} {:>10} {:>14}",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    )?;
    writeln!(out)?;
    let mut total: u64 = 0;
    if !h.is_empty() {
        for v in h.iter_quantiles(TICKS_PER_HALF_DISTANCE) {
            total += v.count_since_last_iteration();
            let value = v.value_iterated_to() as f64 / UNIT_SCALING;
            let q = v.quantile_iterated_to();
            if q < 1.0 {
                writeln!(
                    out,
                    "{value:12.3} {q:2.12} {total:10} {:14.2}",
                    1.0 / (1.0 - q)
                )?;
            } else {
                // 1/(1-1) is infinite: the last row leaves that column out, as Java does.
                writeln!(out, "{value:12.3} {q:2.12} {total:10}")?;
            }
        }
    }
    let mean = h.mean() / UNIT_SCALING;
    let sd = h.stdev() / UNIT_SCALING;
    let max = h.max() as f64 / UNIT_SCALING;
    writeln!(out, "#[Mean    = {mean:12.3}, StdDeviation   = {sd:12.3}]")?;
    writeln!(
        out,
        "#[Max     = {max:12.3}, Total count    = {:12}]",
        h.len()
    )?;
    writeln!(
        out,
        "#[Buckets = {:12}, SubBuckets     = {:12}]",
        h.buckets(),
        sub_buckets(h.sigfig())
    )?;
    Ok(())
}

/// hdrhistogram keeps this private; it is the power of two covering 2 × 10^sigfig (2048 at 3 digits).
fn sub_buckets(sigfig: u8) -> u64 {
    (2 * 10u64.pow(u32::from(sigfig))).next_power_of_two()
}

/// Writes the percentile distribution of `h` (ns) to the file at `path`, values in µs.
pub fn write_hgrm(h: &Histogram<u64>, path: impl AsRef<Path>) -> io::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    write_hgrm_to(h, &mut out)?;
    out.flush()
}

/// Writes `<dir>/<prefix><probe>.hgrm` for every probe with samples (e.g. `demo-wire_to_callback.hgrm`) and returns
/// the paths written, in `PROBES` order. Creates `dir` if needed.
pub fn write_all_hgrm(
    lat: &Latency,
    dir: impl AsRef<Path>,
    prefix: &str,
) -> io::Result<Vec<PathBuf>> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for p in PROBES {
        let h = lat.histogram(p);
        if h.is_empty() {
            continue;
        }
        let path = dir.join(format!("{prefix}{}.hgrm", p.name()));
        write_hgrm(h, &path)?;
        written.push(path);
    }
    Ok(written)
}

/// One data row of a `.hgrm` file, in the file's unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HgrmRow {
    pub value: f64,
    /// 0.0 ..= 1.0
    pub percentile: f64,
    pub total_count: u64,
}

/// A parsed `.hgrm` file: rows and footer, values in the file's unit (µs for files written here).
#[derive(Clone, Debug, PartialEq)]
pub struct Hgrm {
    pub rows: Vec<HgrmRow>,
    pub mean: f64,
    pub std_deviation: f64,
    pub max: f64,
    pub total_count: u64,
    pub buckets: u64,
    pub sub_buckets: u64,
}

impl Hgrm {
    /// Rebuilds an approximate histogram in ns from the rows (each row's new samples recorded at its value, µs
    /// scaled back by 1000): enough to plot or compare a baseline someone saved as `.hgrm`, e.g. from another
    /// language's client. Resolution is the rows', not the original histogram's.
    pub fn to_histogram(&self) -> Histogram<u64> {
        let mut h = super::new_histogram();
        let mut prev = 0u64;
        for r in &self.rows {
            let n = r.total_count.saturating_sub(prev);
            prev = prev.max(r.total_count);
            if n > 0 {
                let ns = (r.value * UNIT_SCALING).round();
                let ns = if ns.is_finite() && ns > 0.0 {
                    ns as u64
                } else {
                    1
                };
                h.saturating_record_n(ns, n);
            }
        }
        h
    }
}

/// Why a `.hgrm` file could not be read.
#[derive(Debug)]
pub enum HgrmError {
    Io(io::Error),
    /// A line that is neither the header, a row of 3 or 4 numbers, nor a `#[...]` footer.
    BadLine {
        line: usize,
        text: String,
    },
    /// One of the three footer lines (`#[Mean`, `#[Max`, `#[Buckets`) is absent.
    MissingFooter(&'static str),
}

impl fmt::Display for HgrmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HgrmError::Io(e) => write!(f, "cannot read the .hgrm file: {e}"),
            HgrmError::BadLine { line, text } => write!(
                f,
                "line {line} of the .hgrm file is not a percentile row (Value Percentile TotalCount [1/(1-P)]): {text:?}"
            ),
            HgrmError::MissingFooter(which) => write!(
                f,
                "the .hgrm file has no `#[{which}` footer line; is it an HdrHistogram percentile distribution?"
            ),
        }
    }
}

impl std::error::Error for HgrmError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HgrmError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Reads and parses a `.hgrm` file.
pub fn read_hgrm(path: impl AsRef<Path>) -> Result<Hgrm, HgrmError> {
    parse_hgrm(&std::fs::read_to_string(path).map_err(HgrmError::Io)?)
}

/// `#[Key = value, Key2 = value2]` → the two values as text.
fn footer_pair(line: &str) -> Option<(&str, &str)> {
    let inner = line.strip_prefix("#[")?.strip_suffix(']')?;
    let (a, b) = inner.split_once(',')?;
    Some((a.split_once('=')?.1.trim(), b.split_once('=')?.1.trim()))
}

/// Parses the text `write_hgrm_to` (or Java's `outputPercentileDistribution`) produces.
pub fn parse_hgrm(text: &str) -> Result<Hgrm, HgrmError> {
    let mut rows = Vec::new();
    let (mut mean_sd, mut max_total, mut buckets) = (None, None, None);
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let bad = || HgrmError::BadLine {
            line: i + 1,
            text: raw.chars().take(120).collect(),
        };
        if line.is_empty() || line.starts_with("Value") {
            continue;
        }
        if line.starts_with("#[") {
            let (a, b) = footer_pair(line).ok_or_else(bad)?;
            if line.starts_with("#[Mean") {
                mean_sd = Some((a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?));
            } else if line.starts_with("#[Max") {
                max_total = Some((a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?));
            } else if line.starts_with("#[Buckets") {
                buckets = Some((a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?));
            }
            continue;
        }
        let mut f = line.split_whitespace();
        let (Some(v), Some(p), Some(c)) = (f.next(), f.next(), f.next()) else {
            return Err(bad());
        };
        let inv = f.next();
        if f.next().is_some() {
            return Err(bad());
        }
        let value: f64 = v.parse().map_err(|_| bad())?;
        let percentile: f64 = p.parse().map_err(|_| bad())?;
        let total_count: u64 = c.parse().map_err(|_| bad())?;
        if let Some(inv) = inv {
            inv.parse::<f64>().map_err(|_| bad())?;
        }
        if !value.is_finite() || !(0.0..=1.0).contains(&percentile) {
            return Err(bad());
        }
        rows.push(HgrmRow {
            value,
            percentile,
            total_count,
        });
    }
    let (mean, std_deviation) = mean_sd.ok_or(HgrmError::MissingFooter("Mean"))?;
    let (max, total_count) = max_total.ok_or(HgrmError::MissingFooter("Max"))?;
    let (buckets, sub_buckets) = buckets.ok_or(HgrmError::MissingFooter("Buckets"))?;
    Ok(Hgrm {
        rows,
        mean,
        std_deviation,
        max,
        total_count,
        buckets,
        sub_buckets,
    })
}
