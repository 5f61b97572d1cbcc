//! The latency report's files: `.hgrm` percentile distributions (HdrHistogram's text format, values in µs, readable
//! by the HdrHistogram plotter) and one SVG percentile plot of several histograms.

use std::fmt::Write as _;
use std::path::Path;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::mm::probe_name;
use super::out::Out;
use crate::metrics::{Latency, PROBES};

#[derive(Serialize)]
struct LatencyLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    probe: &'a str,
    unit: &'static str,
    samples: u64,
    p50: u64,
    p90: u64,
    p99: u64,
    p999: u64,
    max: u64,
}

/// One `{"type":"latency",...}` line per probe with samples (nanoseconds).
pub fn json_lines(out: Out, l: &Latency) {
    for p in PROBES {
        let h = l.histogram(p);
        if !h.is_empty() {
            json_line(out, probe_name(p), h);
        }
    }
}

pub fn json_line(out: Out, name: &str, h: &Histogram<u64>) {
    out.json_line(&LatencyLine {
        kind: "latency",
        probe: name,
        unit: "ns",
        samples: h.len(),
        p50: h.value_at_quantile(0.5),
        p90: h.value_at_quantile(0.9),
        p99: h.value_at_quantile(0.99),
        p999: h.value_at_quantile(0.999),
        max: h.max(),
    });
}

/// HdrHistogram's percentile-distribution text (values in µs).
pub fn hgrm(h: &Histogram<u64>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    for v in h.iter_quantiles(5) {
        let q = v.quantile_iterated_to();
        let inv = if q < 1.0 {
            format!("{:>14.2}", 1.0 / (1.0 - q))
        } else {
            format!("{:>14}", "")
        };
        let _ = writeln!(
            s,
            "{:>12.3} {:>14.12} {:>10} {inv}",
            v.value_iterated_to() as f64 / 1000.0,
            q,
            v.count_since_last_iteration(),
        );
    }
    let _ = writeln!(
        s,
        "#[Mean    = {:>12.3}, StdDeviation   = {:>12.3}]",
        h.mean() / 1000.0,
        h.stdev() / 1000.0
    );
    let _ = writeln!(
        s,
        "#[Max     = {:>12.3}, Total count    = {:>12}]",
        h.max() as f64 / 1000.0,
        h.len()
    );
    let _ = writeln!(
        s,
        "#[Buckets = {:>12}, SubBuckets     = {:>12}]",
        h.buckets(),
        h.distinct_values()
    );
    s
}

/// Writes `<dir>/<name>.hgrm`; returns the path.
pub fn write_hgrm(
    dir: &Path,
    name: &str,
    h: &Histogram<u64>,
) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{name}.hgrm"));
    std::fs::write(&path, hgrm(h))?;
    Ok(path)
}

/// A percentile plot (x: percentile on the usual 1/(1-p) log scale, y: µs on a log scale), one line per series.
pub fn svg(title: &str, series: &[(&str, &Histogram<u64>)]) -> String {
    const W: f64 = 800.0;
    const H: f64 = 450.0;
    const L: f64 = 70.0;
    const R: f64 = 20.0;
    const T: f64 = 40.0;
    const B: f64 = 50.0;
    const COLORS: [&str; 6] = [
        "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
    ];
    let max_x = 4.0f64; // up to 99.99 %
    let mut lo = f64::MAX;
    let mut hi = 0f64;
    for (_, h) in series {
        if h.is_empty() {
            continue;
        }
        lo = lo.min((h.min().max(1)) as f64 / 1000.0);
        hi = hi.max(h.max().max(1) as f64 / 1000.0);
    }
    if hi == 0.0 {
        lo = 0.1;
        hi = 1.0;
    }
    let (ly0, ly1) = (
        lo.max(0.01).log10().floor(),
        hi.log10().ceil().max(lo.log10().floor() + 1.0),
    );
    let px = |x: f64| L + (x / max_x) * (W - L - R);
    let py = |us: f64| {
        let v = us.max(10f64.powf(ly0)).log10();
        H - B - (v - ly0) / (ly1 - ly0) * (H - T - B)
    };
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"12\">\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\
         <text x=\"{}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">{}</text>",
        W / 2.0,
        xml(title)
    );
    for (i, label) in ["0%", "90%", "99%", "99.9%", "99.99%"].iter().enumerate() {
        let x = px(i as f64);
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{T}\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"#ddd\"/>\
             <text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{label}</text>",
            H - B,
            H - B + 18.0
        );
    }
    let mut e = ly0;
    while e <= ly1 {
        let y = py(10f64.powf(e));
        let _ = write!(
            s,
            "<line x1=\"{L}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{} µs</text>",
            W - R,
            L - 6.0,
            y + 4.0,
            fmt_us(10f64.powf(e))
        );
        e += 1.0;
    }
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">percentile</text>",
        W / 2.0,
        H - 12.0
    );
    for (i, (name, h)) in series.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        let c = COLORS[i % COLORS.len()];
        let mut pts = String::new();
        for v in h.iter_quantiles(5) {
            let q = v.quantile_iterated_to();
            if q >= 0.9999 {
                break;
            }
            let x = (1.0 / (1.0 - q)).log10().min(max_x);
            let _ = write!(
                pts,
                "{:.1},{:.1} ",
                px(x),
                py(v.value_iterated_to() as f64 / 1000.0)
            );
        }
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" points=\"{pts}\"/>\
             <rect x=\"{}\" y=\"{}\" width=\"14\" height=\"3\" fill=\"{c}\"/>\
             <text x=\"{}\" y=\"{}\">{} (p50 {} µs, n={})</text>",
            L + 12.0,
            T + 10.0 + i as f64 * 18.0,
            L + 32.0,
            T + 15.0 + i as f64 * 18.0,
            xml(name),
            fmt_us(h.value_at_quantile(0.5) as f64 / 1000.0),
            h.len()
        );
    }
    s.push_str("</svg>\n");
    s
}

fn fmt_us(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
