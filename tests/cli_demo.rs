//! `ascendex demo` end to end: the embedded simulator, the sample market maker, the report files.

use std::process::Command;

#[test]
fn demo_runs_and_writes_a_report() {
    let dir = std::env::temp_dir().join(format!("cli-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = Command::new(env!("CARGO_BIN_EXE_ascendex"))
        .args(["demo", "--seconds", "2", "--report-dir"])
        .arg(&dir)
        .output()
        .expect("binary runs");
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("demo: simulator at https://127.0.0.1:"),
        "{out}"
    );
    // A progress line per second.
    assert!(
        out.lines()
            .filter(|l| l.starts_with('[') && l.contains("updates"))
            .count()
            >= 2,
        "{out}"
    );
    assert!(out.contains("report written to"), "{out}");
    // The market maker saw the book and its latency was recorded.
    let updates = out
        .lines()
        .find(|l| l.contains("book updates,"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok());
    assert!(updates.is_some_and(|n| n > 0), "{out}");
    let hgrm = std::fs::read_to_string(dir.join("wire_to_callback.hgrm")).expect("an .hgrm file");
    assert!(hgrm.contains("Percentile"), "{hgrm}");
    let svg = std::fs::read_to_string(dir.join("latency.svg")).expect("the SVG plot");
    assert!(
        svg.contains("<svg") && svg.trim_end().ends_with("</svg>"),
        "{svg}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn demo_json_lines_parse() {
    let dir = std::env::temp_dir().join(format!("cli-demo-json-{}", std::process::id()));
    let o = Command::new(env!("CARGO_BIN_EXE_ascendex"))
        .args(["--json", "demo", "--seconds", "1", "--report-dir"])
        .arg(&dir)
        .output()
        .expect("binary runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8_lossy(&o.stdout);
    let types: Vec<String> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"));
            v["type"].as_str().unwrap_or("").to_string()
        })
        .collect();
    assert!(types.iter().any(|t| t == "progress"), "{types:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
