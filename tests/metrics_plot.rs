//! The SVG percentile plot: well-formed XML, one line per series, a legend naming each.

use ascendex_hft::metrics::{Latency, Probe, new_histogram, render_svg, write_all_hgrm, write_svg};
use hdrhistogram::Histogram;

/// A minimal XML well-formedness check (no XML crate among the dependencies): balanced, properly nested tags,
/// quoted attributes, known entities, one root element. Returns the element names in document order.
fn check_xml(doc: &str) -> Result<Vec<String>, String> {
    let mut stack: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut roots = 0;
    let mut rest = doc;
    let check_text = |t: &str| -> Result<(), String> {
        let mut s = t;
        while let Some(i) = s.find('&') {
            let end = s[i..]
                .find(';')
                .ok_or_else(|| format!("unterminated entity in {t:?}"))?;
            let ent = &s[i + 1..i + end];
            let known = ["amp", "lt", "gt", "quot", "apos"].contains(&ent)
                || (ent.starts_with('#')
                    && ent[1..]
                        .trim_start_matches('x')
                        .chars()
                        .all(|c| c.is_ascii_hexdigit()));
            if !known {
                return Err(format!("unknown entity &{ent};"));
            }
            s = &s[i + end + 1..];
        }
        if t.contains('<') || t.contains('>') {
            return Err(format!("raw angle bracket in {t:?}"));
        }
        Ok(())
    };
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        if stack.is_empty() && !text.trim().is_empty() {
            return Err(format!("text outside the root: {text:?}"));
        }
        check_text(text)?;
        let close = rest[open..].find('>').ok_or("unterminated tag")? + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if tag.starts_with('?') {
            if !tag.ends_with('?') {
                return Err(format!("bad processing instruction {tag:?}"));
            }
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack
                .pop()
                .ok_or_else(|| format!("close without open: {name}"))?;
            if top != name.trim() {
                return Err(format!("</{name}> closes <{top}>"));
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name: String = body.chars().take_while(|c| !c.is_whitespace()).collect();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':' || c == '_')
        {
            return Err(format!("bad element name in <{tag}>"));
        }
        // Attributes: name="value" pairs, values free of '<' and with valid entities.
        let mut attrs = body[name.len()..].trim();
        let mut seen = Vec::new();
        while !attrs.is_empty() {
            let eq = attrs
                .find('=')
                .ok_or_else(|| format!("attribute without value in <{tag}>"))?;
            let an = attrs[..eq].trim();
            if an.is_empty() || an.contains(char::is_whitespace) || seen.contains(&an) {
                return Err(format!("bad or repeated attribute {an:?} in <{name}>"));
            }
            seen.push(an);
            let v = attrs[eq + 1..].trim_start();
            let q = v.chars().next().ok_or("missing attribute value")?;
            if q != '"' && q != '\'' {
                return Err(format!("unquoted attribute {an} in <{name}>"));
            }
            let end = v[1..].find(q).ok_or("unterminated attribute value")? + 1;
            check_text(&v[1..end])?;
            attrs = v[end + 1..].trim_start();
        }
        if stack.is_empty() {
            roots += 1;
        }
        names.push(name.clone());
        if !self_closing {
            stack.push(name);
        }
    }
    if !rest.trim().is_empty() {
        return Err(format!("trailing text {rest:?}"));
    }
    if !stack.is_empty() {
        return Err(format!("unclosed elements {stack:?}"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(names)
}

/// Deterministic, latency-shaped samples: a body around `median_ns` with a long tail.
fn skewed(median_ns: u64, n: u64, seed: u64) -> Histogram<u64> {
    let mut h = new_histogram();
    let mut x = seed | 1;
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let u = (x >> 11) as f64 / (1u64 << 53) as f64; // 0..1
        // Pareto-ish tail: most samples near the median, 1 % up to ~30×.
        let factor = 0.6 + 0.8 * u + 0.02 / (1.0 - u + 0.0007);
        h.record((median_ns as f64 * factor) as u64)
            .expect("in range");
    }
    h
}

#[test]
fn checker_rejects_broken_xml() {
    assert!(check_xml("<svg><g></svg></g>").is_err());
    assert!(check_xml("<svg a=1/>").is_err());
    assert!(check_xml("<svg>a & b</svg>").is_err());
    assert!(check_xml("<svg><text>x</text>").is_err());
    assert!(check_xml("<svg/><svg/>").is_err());
    assert_eq!(
        check_xml("<?xml version=\"1.0\"?><svg a=\"&amp;\"><g/></svg>").expect("ok"),
        ["svg", "g"]
    );
}

#[test]
fn svg_is_well_formed_with_one_path_per_series_and_a_legend() {
    let ours = skewed(2_000, 200_000, 7);
    let callback = skewed(600, 200_000, 11);
    let round_trip = skewed(45_000, 5_000, 13);
    let ccxt = skewed(300_000, 20_000, 17);
    let empty = new_histogram();
    let series = [
        ("wire_to_callback", &ours),
        ("callback_to_wire", &callback),
        ("order_round_trip", &round_trip),
        ("end_to_end", &empty),
        ("ccxt <python> & \"asyncio\"", &ccxt),
    ];
    let svg = render_svg(&series, "AscendEX demo: latency by percentile");
    let names = check_xml(&svg).unwrap_or_else(|e| panic!("not well-formed: {e}\n{svg}"));
    assert_eq!(names[0], "svg");
    // One <path> per series that has samples, none for the empty one.
    assert_eq!(names.iter().filter(|n| *n == "path").count(), 4);
    for (name, h) in &series {
        let escaped = name
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;");
        assert!(
            svg.contains(&format!(">{escaped}</text>")),
            "legend for {name}"
        );
        let has_path = svg.contains(&format!("data-series=\"{escaped}\""));
        assert_eq!(has_path, !h.is_empty(), "{name}");
    }
    assert!(svg.contains("no samples"));
    assert!(svg.contains("AscendEX demo: latency by percentile"));
    for tick in ["0%", "90%", "99%", "99.9%", "99.99%"] {
        assert!(svg.contains(&format!(">{tick}</text>")), "x tick {tick}");
    }
    assert!(svg.contains(" µs</text>"), "y ticks in µs");
    // Every coordinate is a finite number inside the canvas.
    for d in svg
        .split("d=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap_or(0)])
    {
        for xy in d.split(['M', 'L', ' ']).filter(|s| !s.is_empty()) {
            let (x, y) = xy.split_once(',').expect("x,y");
            let (x, y): (f64, f64) = (x.parse().expect("x"), y.parse().expect("y"));
            assert!(
                (0.0..=960.0).contains(&x) && (0.0..=700.0).contains(&y),
                "{xy}"
            );
        }
    }

    // Kept under target/ for a look (and for the lead's README screenshot).
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("metrics-plot");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("latency.svg");
    write_svg(&series, "AscendEX demo: latency by percentile", &path).expect("write");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), svg);
    let mut lat = Latency::new();
    for v in ours.iter_recorded() {
        for _ in 0..v.count_at_value() {
            lat.record(Probe::WireToCallback, v.value_iterated_to());
        }
    }
    assert_eq!(write_all_hgrm(&lat, &dir, "").expect("hgrm").len(), 1);
}

#[test]
fn empty_and_single_sample_plots_are_still_valid() {
    let empty = new_histogram();
    let svg = render_svg(&[("a", &empty)], "nothing yet");
    check_xml(&svg).expect("well-formed");
    assert!(!svg.contains("<path"));
    let mut one = new_histogram();
    one.record(1_500).expect("record");
    let svg = render_svg(&[("one", &one)], "one sample");
    assert_eq!(
        check_xml(&svg)
            .expect("well-formed")
            .iter()
            .filter(|n| *n == "path")
            .count(),
        1
    );
    assert!(!svg.contains("NaN") && !svg.contains("inf"));
}
