//! A self-contained SVG of percentile distributions, drawn the way HdrHistogram's plotter draws them: x is the
//! percentile on the `1/(1-p)` log scale (0 %, 90 %, 99 %, 99.9 %, …) so the tail gets as much room as the body,
//! y is latency in µs on a log scale so a 2 µs probe and a 2 ms round trip both read on one chart.
//! Written by hand: one file, no dependency, opens in any browser.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use hdrhistogram::Histogram;

use super::report::{Summary, format_us};

const W: f64 = 960.0;
const LEFT: f64 = 92.0;
const RIGHT: f64 = 900.0;
const TOP: f64 = 64.0;
const BOTTOM: f64 = 470.0;
const LEGEND_TOP: f64 = BOTTOM + 72.0;
const LEGEND_ROW: f64 = 24.0;
/// Okabe–Ito: distinct for colour-blind readers and in greyscale print.
const COLOURS: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8C6D1F",
];
const FONT: &str = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0 text.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `k` decades of `1/(1-p)` as a percentile label: 0 → "0%", 1 → "90%", 3 → "99.9%".
fn percentile_label(k: u32) -> String {
    match k {
        0 => "0%".to_string(),
        1 => "90%".to_string(),
        2 => "99%".to_string(),
        k => format!("99.{}%", "9".repeat(k as usize - 2)),
    }
}

/// A latency in µs for an axis label: "0.5 µs", "20 µs", "1 ms", "2 s".
fn latency_label(us: f64) -> String {
    let trim = |v: f64| {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    if us >= 1_000_000.0 {
        format!("{} s", trim(us / 1_000_000.0))
    } else if us >= 1000.0 {
        format!("{} ms", trim(us / 1000.0))
    } else {
        format!("{} µs", trim(us))
    }
}

/// Points (log10(1/(1-p)), µs) of one histogram; the 100 % point sits at the right edge.
fn points(h: &Histogram<u64>, u_max: f64) -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    for v in h.iter_quantiles(5) {
        let q = v.quantile_iterated_to();
        let u = if q >= 1.0 {
            u_max
        } else {
            (1.0 / (1.0 - q)).log10().min(u_max)
        };
        pts.push((u, v.value_iterated_to() as f64 / 1000.0));
    }
    if let Some(&(u, _)) = pts.last()
        && u < u_max
    {
        pts.push((u_max, h.max() as f64 / 1000.0));
    }
    pts
}

/// The SVG text for `series` (name, histogram in ns). Series with no samples get a legend entry saying so and
/// no line. Each plotted series is exactly one `<path class="series">`.
pub fn render_svg(series: &[(&str, &Histogram<u64>)], title: &str) -> String {
    let live: Vec<&(&str, &Histogram<u64>)> =
        series.iter().filter(|(_, h)| !h.is_empty()).collect();

    // x: enough decades to show the tail the data can support (1000 samples say nothing about 99.99 %).
    let max_count = live.iter().map(|(_, h)| h.len()).max().unwrap_or(1).max(1);
    let decades = (max_count as f64).log10().ceil().clamp(2.0, 7.0);
    // y: whole decades around every plotted value.
    let lo_us = live
        .iter()
        .map(|(_, h)| h.min().max(1) as f64 / 1000.0)
        .fold(f64::INFINITY, f64::min);
    let hi_us = live
        .iter()
        .map(|(_, h)| h.max() as f64 / 1000.0)
        .fold(0.0, f64::max);
    let (mut y_lo, mut y_hi) = if live.is_empty() {
        (0.0, 3.0)
    } else {
        (lo_us.log10().floor(), hi_us.log10().ceil())
    };
    if y_hi <= y_lo {
        y_hi = y_lo + 1.0;
    }
    y_lo = y_lo.max(-3.0);

    let x_of = |u: f64| LEFT + (RIGHT - LEFT) * (u / decades);
    let y_of = |us: f64| {
        let l = us.max(10f64.powf(y_lo)).log10();
        BOTTOM - (BOTTOM - TOP) * ((l - y_lo) / (y_hi - y_lo))
    };

    let height = LEGEND_TOP + LEGEND_ROW * series.len().max(1) as f64 + 16.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" viewBox="0 0 {W} {height}" {FONT}>
<rect x="0" y="0" width="{W}" height="{height}" fill="#ffffff"/>
<text x="{}" y="36" font-size="20" font-weight="bold" text-anchor="middle" fill="#222222">{}</text>"##,
        W / 2.0,
        escape(title)
    );

    // Grid and y ticks: a labelled line per decade; 2 and 5 lighter, labelled too when there is room.
    let _ = writeln!(s, r##"<g stroke-width="1" font-size="12" fill="#444444">"##);
    let n_decades = (y_hi - y_lo) as i32;
    for d in (y_lo as i32)..=(y_hi as i32) {
        for m in [1.0, 2.0, 5.0] {
            let us = m * 10f64.powi(d);
            if us.log10() > y_hi + 1e-9 {
                continue;
            }
            let y = y_of(us);
            let major = m == 1.0;
            let colour = if major { "#c8c8c8" } else { "#ececec" };
            let _ = writeln!(
                s,
                r##"<line x1="{LEFT}" y1="{y:.1}" x2="{RIGHT}" y2="{y:.1}" stroke="{colour}"/>"##
            );
            if major || n_decades <= 3 {
                let _ = writeln!(
                    s,
                    r##"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
                    LEFT - 8.0,
                    y + 4.0,
                    escape(&latency_label(us))
                );
            }
        }
    }
    // x ticks: one per decade of 1/(1-p), plus the median.
    for k in 0..=(decades as u32) {
        let x = x_of(f64::from(k));
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{BOTTOM}" stroke="#c8c8c8"/>"##
        );
        let _ = writeln!(
            s,
            r##"<text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"##,
            BOTTOM + 20.0,
            percentile_label(k)
        );
    }
    let x50 = x_of(2f64.log10());
    let _ = writeln!(
        s,
        r##"<line x1="{x50:.1}" y1="{TOP}" x2="{x50:.1}" y2="{BOTTOM}" stroke="#ececec"/>
<text x="{x50:.1}" y="{}" text-anchor="middle" fill="#888888">50%</text>"##,
        BOTTOM + 20.0
    );
    let _ = writeln!(s, "</g>");

    // Frame and axis titles.
    let _ = writeln!(
        s,
        r##"<rect x="{LEFT}" y="{TOP}" width="{}" height="{}" fill="none" stroke="#555555" stroke-width="1"/>
<text x="{}" y="{}" font-size="14" text-anchor="middle" fill="#222222">percentile (log scale of 1/(1-p))</text>
<text x="22" y="{}" font-size="14" text-anchor="middle" fill="#222222" transform="rotate(-90 22 {})">latency (log scale)</text>"##,
        RIGHT - LEFT,
        BOTTOM - TOP,
        (LEFT + RIGHT) / 2.0,
        BOTTOM + 46.0,
        (TOP + BOTTOM) / 2.0,
        (TOP + BOTTOM) / 2.0,
    );

    // One line per series, coloured by its position in `series` so colours stay put when one is empty.
    for (i, (name, h)) in series.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        let colour = COLOURS[i % COLOURS.len()];
        let mut d = String::new();
        for (j, (u, us)) in points(h, decades).into_iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1}",
                if j == 0 { "M" } else { " L" },
                x_of(u),
                y_of(us)
            );
        }
        let _ = writeln!(
            s,
            r##"<path class="series" data-series="{}" d="{d}" fill="none" stroke="{colour}" stroke-width="2.4" stroke-linejoin="round" stroke-linecap="round"/>"##,
            escape(name)
        );
    }

    // Legend under the chart, where it cannot hide a line: swatch, name, and the figures people ask for first.
    let _ = writeln!(s, r##"<g font-size="13" fill="#222222">"##);
    // Bold 13 px runs under 9 px a character; the figures start after the longest name.
    let longest = series
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    let figures_x = LEFT + 32.0 + (9.0 * longest as f64 + 24.0).max(150.0);
    for (i, (name, h)) in series.iter().enumerate() {
        let y = LEGEND_TOP + LEGEND_ROW * i as f64;
        let colour = if h.is_empty() {
            "#bbbbbb"
        } else {
            COLOURS[i % COLOURS.len()]
        };
        let figures = match Summary::of(h) {
            Some(sm) => format!(
                "p50 {} µs · p99 {} µs · p99.9 {} µs · max {} µs · n = {}",
                format_us(sm.p50_ns),
                format_us(sm.p99_ns),
                format_us(sm.p999_ns),
                format_us(sm.max_ns),
                sm.count
            ),
            None => "no samples".to_string(),
        };
        let _ = writeln!(
            s,
            r##"<rect x="{LEFT}" y="{:.1}" width="22" height="5" fill="{colour}"/>
<text x="{}" y="{:.1}" font-weight="bold">{}</text>
<text x="{}" y="{:.1}" fill="#555555">{}</text>"##,
            y - 6.0,
            LEFT + 32.0,
            y,
            escape(name),
            figures_x,
            y,
            escape(&figures)
        );
    }
    let _ = writeln!(s, "</g>\n</svg>");
    s
}

/// Writes `render_svg(series, title)` to `path`.
pub fn write_svg(
    series: &[(&str, &Histogram<u64>)],
    title: &str,
    path: impl AsRef<Path>,
) -> io::Result<()> {
    std::fs::write(path, render_svg(series, title))
}
