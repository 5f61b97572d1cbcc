//! Percentile figures, the human table and the `--json` lines, against data whose percentiles are known exactly.

use ascendex_hft::metrics::{
    Latency, PROBES, Probe, Summary, comparison_json, comparison_table, format_us, json_lines,
    table,
};

/// 1..=1000 µs, once each: the q-th quantile is ceil(q * 1000) µs.
fn one_to_thousand_us() -> Latency {
    let mut lat = Latency::new();
    for us in 1..=1000u64 {
        lat.record(Probe::WireToCallback, us * 1000);
    }
    lat
}

/// hdrhistogram reports the highest value equivalent to the sample: at 3 significant digits that is at most
/// 0.1 % (plus one unit) above it, never below.
fn assert_close(got_ns: u64, want_ns: u64) {
    assert!(
        got_ns >= want_ns && got_ns <= want_ns + want_ns / 1000 + 1,
        "got {got_ns} ns, want {want_ns} ns within 0.1 %"
    );
}

#[test]
fn percentiles_match_known_data() {
    let lat = one_to_thousand_us();
    let s = Summary::of(lat.histogram(Probe::WireToCallback)).expect("has samples");
    assert_eq!(s.count, 1000);
    assert_close(s.min_ns, 1_000);
    assert_close(s.p50_ns, 500_000);
    assert_close(s.p90_ns, 900_000);
    assert_close(s.p99_ns, 990_000);
    assert_close(s.p999_ns, 999_000);
    assert_close(s.max_ns, 1_000_000);
    assert_close(s.mean_ns, 500_500);
    assert_eq!(Summary::of(lat.histogram(Probe::EndToEnd)), None);
}

#[test]
fn counts_reset_and_names() {
    let mut lat = one_to_thousand_us();
    lat.record_span(Probe::CallbackToWire, 5_000, 7_500);
    lat.record_span(Probe::CallbackToWire, 9_000, 1_000); // backwards: clamps to the minimum, no wrap
    assert_eq!(lat.count(Probe::WireToCallback), 1000);
    assert_eq!(lat.count(Probe::CallbackToWire), 2);
    assert!(
        lat.histogram(Probe::CallbackToWire)
            .equivalent(lat.histogram(Probe::CallbackToWire).max(), 2_500)
    );
    assert_eq!(lat.histogram(Probe::CallbackToWire).min(), 1);
    assert_eq!(lat.total_count(), 1002);
    assert_eq!(lat.series().len(), 2);

    let mut other = Latency::new();
    other.record(Probe::EndToEnd, 42_000);
    lat.merge(&other);
    assert_eq!(lat.count(Probe::EndToEnd), 1);

    lat.reset_probe(Probe::WireToCallback);
    assert_eq!(lat.count(Probe::WireToCallback), 0);
    assert_eq!(lat.count(Probe::CallbackToWire), 2);
    lat.reset();
    assert!(lat.is_empty());
    assert_eq!(lat.total_count(), 0);

    let names: Vec<&str> = PROBES.iter().map(|p| p.name()).collect();
    assert_eq!(
        names,
        [
            "wire_to_callback",
            "callback_to_wire",
            "order_round_trip",
            "end_to_end"
        ]
    );
    for p in PROBES {
        assert_eq!(Probe::from_name(p.name()), Some(p));
        assert_eq!(p.to_string(), p.name());
    }
    assert_eq!(Probe::from_name("nope"), None);
}

#[test]
fn out_of_range_values_saturate() {
    let mut lat = Latency::new();
    lat.record(Probe::OrderRoundTrip, 0);
    lat.record(Probe::OrderRoundTrip, u64::MAX);
    assert_eq!(lat.count(Probe::OrderRoundTrip), 2);
    assert_eq!(lat.histogram(Probe::OrderRoundTrip).min(), 1);
    assert!(lat.histogram(Probe::OrderRoundTrip).max() >= 60_000_000_000);
}

#[test]
fn record_since_measures_elapsed_time() {
    let mut lat = Latency::new();
    let start = std::time::Instant::now();
    std::thread::sleep(std::time::Duration::from_millis(2));
    let t1 = lat.record_since(Probe::CallbackToWire, start);
    assert!(t1 >= start);
    assert_eq!(lat.count(Probe::CallbackToWire), 1);
    assert!(lat.histogram(Probe::CallbackToWire).max() >= 2_000_000);
}

#[test]
fn formats_microseconds_with_three_significant_digits() {
    assert_eq!(format_us(850), "0.850");
    assert_eq!(format_us(1_234), "1.23");
    assert_eq!(format_us(12_345), "12.3");
    assert_eq!(format_us(123_456), "123");
    assert_eq!(format_us(1_234_567), "1235");
}

#[test]
fn table_is_aligned_and_marks_empty_probes() {
    let mut lat = one_to_thousand_us();
    lat.record(Probe::CallbackToWire, 2_500);
    let t = table(&lat);
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 2 + PROBES.len(), "{t}");
    let header = lines[1];
    for col in ["probe", "count", "p50", "p90", "p99", "p99.9", "max"] {
        assert!(header.contains(col), "{header}");
    }
    let w2c = lines
        .iter()
        .find(|l| l.starts_with("wire_to_callback"))
        .expect("row");
    let cells: Vec<&str> = w2c.split_whitespace().collect();
    assert_eq!(cells[1], "1000");
    assert_eq!(cells[2], "500"); // p50 in µs
    assert_eq!(cells[4], "990"); // p99
    assert_eq!(cells[6], "1000"); // max
    // Right-aligned numbers: every full row is as long as the header.
    for l in lines.iter().skip(2).filter(|l| !l.contains("no samples")) {
        assert_eq!(l.chars().count(), header.chars().count(), "{t}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("end_to_end") && l.contains("no samples")),
        "{t}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("order_round_trip") && l.contains("no samples")),
        "{t}"
    );
}

#[test]
fn json_lines_carry_every_probe() {
    let lat = one_to_thousand_us();
    let lines = json_lines(&lat);
    assert_eq!(lines.len(), PROBES.len());
    for (line, p) in lines.iter().zip(PROBES) {
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
        assert_eq!(v["type"], "latency");
        assert_eq!(v["probe"], p.name());
        let h = lat.histogram(p);
        assert_eq!(v["count"].as_u64(), Some(h.len()));
        if h.is_empty() {
            assert!(v["p50_ns"].is_null());
            assert!(v["max_ns"].is_null());
        } else {
            assert_eq!(v["p50_ns"].as_u64(), Some(h.value_at_quantile(0.5)));
            assert_eq!(v["p90_ns"].as_u64(), Some(h.value_at_quantile(0.9)));
            assert_eq!(v["p99_ns"].as_u64(), Some(h.value_at_quantile(0.99)));
            assert_eq!(v["p999_ns"].as_u64(), Some(h.value_at_quantile(0.999)));
            assert_eq!(v["max_ns"].as_u64(), Some(h.max()));
        }
    }
}

#[test]
fn comparison_reports_the_ratio() {
    let ours = one_to_thousand_us();
    let mut theirs = Latency::new();
    for us in 1..=1000u64 {
        theirs.record(Probe::WireToCallback, us * 50_000); // 50 times slower everywhere
    }
    let o = ("ascendex-hft", ours.histogram(Probe::WireToCallback));
    let b = ("ccxt", theirs.histogram(Probe::WireToCallback));
    let t = comparison_table("wire_to_callback", o, b);
    assert!(
        t.lines().nth(1).is_some_and(|l| l.starts_with("client")),
        "{t}"
    );
    let ratio_row = t
        .lines()
        .find(|l| l.starts_with("ccxt / ascendex-hft"))
        .expect("ratio row");
    let cells: Vec<&str> = ratio_row.split_whitespace().collect();
    // label is 3 words, then p50, p90, p99, p99.9, max, mean ratios
    let p50: f64 = cells[3].trim_end_matches('x').parse().expect("ratio");
    let p99: f64 = cells[5].trim_end_matches('x').parse().expect("ratio");
    assert!((p50 - 50.0).abs() < 0.2, "{t}");
    assert!((p99 - 50.0).abs() < 0.2, "{t}");

    let v: serde_json::Value =
        serde_json::from_str(&comparison_json("wire_to_callback", o, b)).expect("json");
    assert_eq!(v["type"], "latency_comparison");
    assert_eq!(v["baseline"], "ccxt");
    assert!((v["ratio_p50"].as_f64().expect("ratio") - 50.0).abs() < 0.2);
    assert!((v["ratio_p99"].as_f64().expect("ratio") - 50.0).abs() < 0.2);

    let empty = Latency::new();
    let v: serde_json::Value = serde_json::from_str(&comparison_json(
        "wire_to_callback",
        ("ours", empty.histogram(Probe::WireToCallback)),
        b,
    ))
    .expect("json");
    assert!(v["ratio_p50"].is_null());
    let t = comparison_table("x", ("ours", empty.histogram(Probe::WireToCallback)), b);
    assert!(t.contains("no samples") && !t.contains(" / "), "{t}");
}
