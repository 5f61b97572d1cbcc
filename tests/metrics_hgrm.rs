//! `.hgrm` files: HdrHistogram's percentile-distribution text, written in µs and read back.

use std::path::PathBuf;

use ascendex_hft::metrics::{
    Latency, Probe, new_histogram, parse_hgrm, read_hgrm, write_all_hgrm, write_hgrm_to,
};

fn scratch_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ascendex-metrics-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn one_to_thousand_us() -> Latency {
    let mut lat = Latency::new();
    for us in 1..=1000u64 {
        lat.record(Probe::WireToCallback, us * 1000);
    }
    lat
}

#[test]
fn written_file_parses_back_with_monotonic_rows_and_footer() {
    let lat = one_to_thousand_us();
    let dir = scratch_dir("roundtrip");
    let paths = write_all_hgrm(&lat, &dir, "demo-").expect("write");
    // Only probes with samples get a file.
    assert_eq!(paths, vec![dir.join("demo-wire_to_callback.hgrm")]);
    let text = std::fs::read_to_string(&paths[0]).expect("read");
    let first = text.lines().next().expect("header");
    assert_eq!(
        first.split_whitespace().collect::<Vec<_>>(),
        ["Value", "Percentile", "TotalCount", "1/(1-Percentile)"]
    );

    let f = read_hgrm(&paths[0]).expect("parse");
    assert!(f.rows.len() > 20, "{} rows", f.rows.len());
    for w in f.rows.windows(2) {
        assert!(w[1].percentile >= w[0].percentile, "{:?}", w);
        assert!(w[1].value >= w[0].value, "{:?}", w);
        assert!(w[1].total_count >= w[0].total_count, "{:?}", w);
    }
    let first = f.rows[0];
    let last = *f.rows.last().expect("rows");
    assert_eq!(first.percentile, 0.0);
    assert!((first.value - 1.0).abs() < 0.01, "{first:?}"); // µs
    assert_eq!(last.percentile, 1.0);
    assert_eq!(last.total_count, 1000);
    assert!((last.value - 1000.0).abs() <= 1.0, "{last:?}");
    // Median row: the row whose percentile is 0.5 holds ~500 µs.
    let median = f
        .rows
        .iter()
        .find(|r| r.percentile == 0.5)
        .expect("0.5 tick");
    assert!((median.value - 500.0).abs() <= 0.5, "{median:?}");
    // Footer.
    assert_eq!(f.total_count, 1000);
    assert!((f.max - 1000.0).abs() <= 1.0, "{}", f.max);
    assert!((f.mean - 500.5).abs() <= 0.6, "{}", f.mean);
    assert!(
        (f.std_deviation - 288.7).abs() <= 1.0,
        "{}",
        f.std_deviation
    );
    assert_eq!(f.sub_buckets, 2048);
    assert_eq!(
        u64::from(lat.histogram(Probe::WireToCallback).buckets()),
        f.buckets
    );
    // Every row except the last carries 1/(1-p); the last leaves it out, as Java's writer does.
    let data: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(data.len(), f.rows.len());
    for l in &data[..data.len() - 1] {
        assert_eq!(l.split_whitespace().count(), 4, "{l}");
    }
    assert_eq!(data[data.len() - 1].split_whitespace().count(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rebuilt_histogram_keeps_the_percentiles() {
    let lat = one_to_thousand_us();
    let mut buf = Vec::new();
    write_hgrm_to(lat.histogram(Probe::WireToCallback), &mut buf).expect("write");
    let h = parse_hgrm(std::str::from_utf8(&buf).expect("utf8"))
        .expect("parse")
        .to_histogram();
    assert_eq!(h.len(), 1000);
    for q in [0.5, 0.9, 0.99] {
        let want = lat.histogram(Probe::WireToCallback).value_at_quantile(q) as f64;
        let got = h.value_at_quantile(q) as f64;
        // Rows are ticks, not every bucket: within the tick spacing (a few %).
        assert!((got - want).abs() / want < 0.06, "q {q}: {got} vs {want}");
    }
}

#[test]
fn empty_histogram_writes_only_header_and_footer() {
    let mut buf = Vec::new();
    write_hgrm_to(&new_histogram(), &mut buf).expect("write");
    let f = parse_hgrm(std::str::from_utf8(&buf).expect("utf8")).expect("parse");
    assert!(f.rows.is_empty());
    assert_eq!(f.total_count, 0);
    assert_eq!(f.mean, 0.0);
}

#[test]
fn malformed_files_are_typed_errors() {
    let ok = "Value Percentile TotalCount 1/(1-Percentile)\n\n 1.000 0.000000000000 1 1.00\n\
              #[Mean    =        1.000, StdDeviation   =        0.000]\n\
              #[Max     =        1.000, Total count    =            1]\n\
              #[Buckets =           20, SubBuckets     =         2048]\n";
    assert_eq!(parse_hgrm(ok).expect("parses").rows.len(), 1);
    let bad_row = ok.replace(" 1.000 0.000000000000 1 1.00", " 1.000 abc 1 1.00");
    let e = parse_hgrm(&bad_row).expect_err("bad row");
    assert!(e.to_string().contains("line 3"), "{e}");
    let out_of_range = ok.replace("0.000000000000", "1.5");
    assert!(parse_hgrm(&out_of_range).is_err());
    let no_footer: String = ok
        .lines()
        .filter(|l| !l.starts_with("#[Max"))
        .map(|l| format!("{l}\n"))
        .collect();
    let e = parse_hgrm(&no_footer).expect_err("no footer");
    assert!(e.to_string().contains("#[Max"), "{e}");
    assert!(read_hgrm(scratch_dir("missing").join("nope.hgrm")).is_err());
}

#[test]
fn report_files_cover_probes_baselines_and_the_plot() {
    let mut lat = one_to_thousand_us();
    lat.record(Probe::OrderRoundTrip, 45_000);
    let mut ccxt = new_histogram();
    for us in 1..=500u64 {
        ccxt.record(us * 300_000).expect("record");
    }
    let empty = new_histogram();
    let dir = scratch_dir("files");
    let written = ascendex_hft::metrics::write_report_files(
        &lat,
        &[("ccxt (python)", &ccxt), ("nothing", &empty)],
        &dir,
        "run1-",
        "demo",
    )
    .expect("write");
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "run1-wire_to_callback.hgrm",
            "run1-order_round_trip.hgrm",
            "run1-ccxt__python_.hgrm",
            "run1-latency.svg"
        ]
    );
    let ccxt_file = read_hgrm(&written[2]).expect("parse");
    assert_eq!(ccxt_file.total_count, 500);
    let svg = std::fs::read_to_string(&written[3]).expect("svg");
    assert_eq!(svg.matches("<path").count(), 3);
    assert!(svg.contains("ccxt (python)"));
    assert_eq!(lat.summary(Probe::OrderRoundTrip).map(|s| s.count), Some(1));
    assert_eq!(ascendex_hft::metrics::file_stem("a/b c"), "a_b_c");
    assert_eq!(ascendex_hft::metrics::file_stem(""), "series");
    let _ = std::fs::remove_dir_all(&dir);
}
