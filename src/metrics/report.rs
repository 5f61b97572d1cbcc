//! Percentile summaries of the latency histograms: an aligned table for people, one JSON object per line for
//! scripts (`--json`), and the ours-vs-baseline comparison the demo leads with. Off the hot path: allocates.

use std::fmt::Write as _;
use std::io;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::{Latency, PROBES};

/// The figures every report shows, in nanoseconds. Each is the highest value equivalent to the sample at that
/// percentile (hdrhistogram's convention), so it is within 0.1 % above the true sample at 3 significant digits;
/// `min_ns` is the lowest equivalent value (within 0.1 % below) and `mean_ns` uses each bucket's midpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub count: u64,
    pub min_ns: u64,
    pub p50_ns: u64,
    pub p90_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
    pub max_ns: u64,
    pub mean_ns: u64,
}

impl Summary {
    /// `None` when the histogram has no samples: a percentile of nothing is not zero.
    pub fn of(h: &Histogram<u64>) -> Option<Summary> {
        if h.is_empty() {
            return None;
        }
        Some(Summary {
            count: h.len(),
            min_ns: h.min(),
            p50_ns: h.value_at_quantile(0.5),
            p90_ns: h.value_at_quantile(0.9),
            p99_ns: h.value_at_quantile(0.99),
            p999_ns: h.value_at_quantile(0.999),
            max_ns: h.max(),
            mean_ns: h.mean().round() as u64,
        })
    }
}

/// Nanoseconds as microseconds with about three significant digits (the histogram's precision), never fewer than
/// whole microseconds: `850` → "0.850", `12_345` → "12.3", `1_234_567` → "1235".
pub fn format_us(ns: u64) -> String {
    let us = ns as f64 / 1000.0;
    if us < 1.0 {
        format!("{us:.3}")
    } else if us < 10.0 {
        format!("{us:.2}")
    } else if us < 100.0 {
        format!("{us:.1}")
    } else {
        format!("{us:.0}")
    }
}

const COLUMNS: [&str; 7] = ["count", "p50", "p90", "p99", "p99.9", "max", "mean"];

fn summary_cells(s: &Summary) -> [String; 7] {
    [
        s.count.to_string(),
        format_us(s.p50_ns),
        format_us(s.p90_ns),
        format_us(s.p99_ns),
        format_us(s.p999_ns),
        format_us(s.max_ns),
        format_us(s.mean_ns),
    ]
}

/// Renders rows of (label, cells) with the label left-aligned and numbers right-aligned.
fn render(title: &str, first_column: &str, rows: &[(String, Vec<String>)]) -> String {
    let label_w = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0)
        .max(first_column.chars().count());
    let cols = COLUMNS.len();
    let mut widths = COLUMNS.map(|c| c.len());
    for (_, cells) in rows {
        for (w, c) in widths.iter_mut().zip(cells) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "{title}");
    let _ = write!(out, "{first_column:<label_w$}");
    for (name, w) in COLUMNS.iter().zip(widths) {
        let _ = write!(out, "  {name:>w$}");
    }
    out.push('\n');
    for (label, cells) in rows {
        let _ = write!(out, "{label:<label_w$}");
        if cells.len() == cols {
            for (c, w) in cells.iter().zip(widths) {
                let _ = write!(out, "  {c:>w$}");
            }
        } else {
            // A row with a note instead of numbers ("no samples").
            for c in cells {
                let _ = write!(out, "  {c}");
            }
        }
        out.push('\n');
    }
    out
}

/// The human latency table: one row per probe, percentiles in µs; a probe with no samples says so.
///
/// ```text
/// latency (µs; count = samples)
/// probe             count   p50   p90   p99  p99.9   max  mean
/// wire_to_callback   1000   500   900   990    999  1000   500
/// end_to_end           no samples
/// ```
pub fn table(lat: &Latency) -> String {
    let rows: Vec<(String, Vec<String>)> = PROBES
        .into_iter()
        .map(|p| {
            let cells = match Summary::of(lat.histogram(p)) {
                Some(s) => summary_cells(&s).to_vec(),
                None => vec!["no samples".to_string()],
            };
            (p.name().to_string(), cells)
        })
        .collect();
    render("latency (µs; count = samples)", "probe", &rows)
}

#[derive(Serialize)]
struct LatencyLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    probe: &'a str,
    count: u64,
    p50_ns: Option<u64>,
    p90_ns: Option<u64>,
    p99_ns: Option<u64>,
    p999_ns: Option<u64>,
    max_ns: Option<u64>,
    min_ns: Option<u64>,
    mean_ns: Option<u64>,
}

/// One `--json` line (no trailing newline) for a histogram under any name:
/// `{"type":"latency","probe":"wire_to_callback","count":N,"p50_ns":..,"p90_ns":..,"p99_ns":..,"p999_ns":..,
/// "max_ns":..,"min_ns":..,"mean_ns":..}`. With no samples, `count` is 0 and the figures are `null`.
pub fn json_line(probe: &str, h: &Histogram<u64>) -> String {
    let s = Summary::of(h);
    let line = LatencyLine {
        kind: "latency",
        probe,
        count: h.len(),
        p50_ns: s.map(|s| s.p50_ns),
        p90_ns: s.map(|s| s.p90_ns),
        p99_ns: s.map(|s| s.p99_ns),
        p999_ns: s.map(|s| s.p999_ns),
        max_ns: s.map(|s| s.max_ns),
        min_ns: s.map(|s| s.min_ns),
        mean_ns: s.map(|s| s.mean_ns),
    };
    // Serializing a struct of strings and integers cannot fail.
    serde_json::to_string(&line).unwrap_or_default()
}

/// One `--json` line per probe, every probe in `PROBES` order (empty ones with `count: 0`).
pub fn json_lines(lat: &Latency) -> Vec<String> {
    PROBES
        .into_iter()
        .map(|p| json_line(p.name(), lat.histogram(p)))
        .collect()
}

/// Writes `json_lines` each followed by a newline.
pub fn write_json_lines(lat: &Latency, out: &mut impl io::Write) -> io::Result<()> {
    for line in json_lines(lat) {
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn ratio(baseline_ns: u64, ours_ns: u64) -> Option<f64> {
    (ours_ns > 0).then(|| baseline_ns as f64 / ours_ns as f64)
}

fn format_ratio(r: Option<f64>) -> String {
    match r {
        Some(r) if r >= 100.0 => format!("{r:.0}x"),
        Some(r) if r >= 10.0 => format!("{r:.1}x"),
        Some(r) => format!("{r:.2}x"),
        None => "n/a".to_string(),
    }
}

/// The demo's headline: our histogram against a baseline's (e.g. a ccxt client's wire-to-callback), and how many
/// times slower the baseline is at each percentile (`baseline / ours`; above 1 means we are faster).
///
/// ```text
/// wire_to_callback (µs)
/// client          count   p50   p90   p99  p99.9   max  mean
/// ascendex-hft     5000  2.10  3.00  4.50   9.10    12  2.30
/// ccxt (python)    5000   310   420   900   1500  2100   330
/// ccxt / ours             148x  140x  200x   165x  175x  143x
/// ```
pub fn comparison_table(
    title: &str,
    ours: (&str, &Histogram<u64>),
    baseline: (&str, &Histogram<u64>),
) -> String {
    let so = Summary::of(ours.1);
    let sb = Summary::of(baseline.1);
    let cells = |s: &Option<Summary>| match s {
        Some(s) => summary_cells(s).to_vec(),
        None => vec!["no samples".to_string()],
    };
    let mut rows = vec![
        (ours.0.to_string(), cells(&so)),
        (baseline.0.to_string(), cells(&sb)),
    ];
    if let (Some(o), Some(b)) = (so, sb) {
        let r = |bv, ov| format_ratio(ratio(bv, ov));
        rows.push((
            format!("{} / {}", baseline.0, ours.0),
            vec![
                String::new(),
                r(b.p50_ns, o.p50_ns),
                r(b.p90_ns, o.p90_ns),
                r(b.p99_ns, o.p99_ns),
                r(b.p999_ns, o.p999_ns),
                r(b.max_ns, o.max_ns),
                r(b.mean_ns, o.mean_ns),
            ],
        ));
    }
    render(&format!("{title} (µs)"), "client", &rows)
}

#[derive(Serialize)]
struct ComparisonLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    probe: &'a str,
    ours: &'a str,
    baseline: &'a str,
    ours_count: u64,
    baseline_count: u64,
    ours_p50_ns: Option<u64>,
    ours_p99_ns: Option<u64>,
    baseline_p50_ns: Option<u64>,
    baseline_p99_ns: Option<u64>,
    ratio_p50: Option<f64>,
    ratio_p99: Option<f64>,
}

/// The comparison as one `--json` line: `{"type":"latency_comparison","probe":..,"ours":..,"baseline":..,
/// "ours_count":N,"baseline_count":N,"ours_p50_ns":..,"ours_p99_ns":..,"baseline_p50_ns":..,"baseline_p99_ns":..,
/// "ratio_p50":F,"ratio_p99":F}` where ratio = baseline / ours (`null` when either side has no samples).
pub fn comparison_json(
    probe: &str,
    ours: (&str, &Histogram<u64>),
    baseline: (&str, &Histogram<u64>),
) -> String {
    let so = Summary::of(ours.1);
    let sb = Summary::of(baseline.1);
    let both = so.zip(sb);
    let round2 = |r: f64| (r * 100.0).round() / 100.0;
    let line = ComparisonLine {
        kind: "latency_comparison",
        probe,
        ours: ours.0,
        baseline: baseline.0,
        ours_count: ours.1.len(),
        baseline_count: baseline.1.len(),
        ours_p50_ns: so.map(|s| s.p50_ns),
        ours_p99_ns: so.map(|s| s.p99_ns),
        baseline_p50_ns: sb.map(|s| s.p50_ns),
        baseline_p99_ns: sb.map(|s| s.p99_ns),
        ratio_p50: both
            .and_then(|(o, b)| ratio(b.p50_ns, o.p50_ns))
            .map(round2),
        ratio_p99: both
            .and_then(|(o, b)| ratio(b.p99_ns, o.p99_ns))
            .map(round2),
    };
    serde_json::to_string(&line).unwrap_or_default()
}
