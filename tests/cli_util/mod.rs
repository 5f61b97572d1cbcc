//! Shared by the `cli_*` tests: run the binary against a simulator, read its JSON lines, check printed decimals
//! with a checker written independently of the CLI's.
#![allow(dead_code)]

use std::process::{Command, Output};

use ascendex_sim::{SimConfig, SimHandle};
use serde_json::Value;

pub fn sim() -> SimHandle {
    // No flow: the book and the bars stay where the test reads them.
    ascendex_sim::start(SimConfig {
        rate: 0,
        ..SimConfig::default()
    })
    .expect("simulator starts")
}

pub fn command(sim: &SimHandle, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ascendex"));
    c.arg("--rest-url")
        .arg(sim.rest_url())
        .arg("--ca-file")
        .arg(sim.ca_file())
        .args(args)
        .env("ASCENDEX_API_KEY", sim.api_key())
        .env("ASCENDEX_API_SECRET", sim.api_secret());
    c
}

/// Runs the binary against `sim` with its credentials in the environment.
pub fn run(sim: &SimHandle, args: &[&str]) -> Output {
    command(sim, args).output().expect("binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect()
}

/// DESIGN.md §4's decimal: digits, at most one point with digits on both sides, a leading `-` only if `signed`.
pub fn is_decimal(s: &str, signed: bool) -> bool {
    let body = match s.strip_prefix('-') {
        Some(b) if signed => b,
        _ => s,
    };
    let mut parts = body.split('.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    parts.next().is_none()
        && !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// Every decimal field of a `--json` line, with whether it may be signed or empty.
pub fn decimal_fields(line: &Value) -> Vec<(String, String, bool, bool)> {
    let mut v = Vec::new();
    let mut add = |k: &str, signed: bool, empty_ok: bool| {
        if let Some(s) = line.get(k).and_then(Value::as_str) {
            v.push((k.to_string(), s.to_string(), signed, empty_ok));
        } else if line.get(k).is_some() {
            v.push((k.to_string(), line[k].to_string(), signed, false));
        }
    };
    match line["type"].as_str() {
        Some("ticker") => {
            add("last", false, false);
            for side in ["bid", "ask"] {
                for (i, x) in line[side].as_array().into_iter().flatten().enumerate() {
                    v.push((
                        format!("{side}[{i}]"),
                        x.as_str().unwrap_or("<not a string>").to_string(),
                        false,
                        false,
                    ));
                }
            }
        }
        Some("candle") => {
            for k in ["open", "high", "low", "close", "volume"] {
                add(k, false, false);
            }
        }
        Some("balance") => {
            add("total", false, false);
            add("available", false, false);
        }
        Some("order") => {
            add("price", false, true);
            add("qty", false, false);
            add("filledQty", false, true);
            add("avgPrice", false, true);
            add("fee", true, true);
        }
        Some("fill") => {
            add("price", false, false);
            add("qty", false, false);
            add("fee", true, true);
        }
        Some("book") => {
            for side in ["bids", "asks"] {
                for l in line[side].as_array().into_iter().flatten() {
                    for x in l.as_array().into_iter().flatten() {
                        v.push((
                            side.to_string(),
                            x.as_str().unwrap_or("<not a string>").to_string(),
                            false,
                            false,
                        ));
                    }
                }
            }
        }
        Some("trade") => {
            add("price", false, false);
            add("qty", false, false);
        }
        _ => {}
    }
    v
}

/// Panics unless every decimal printed on stdout is a valid decimal.
pub fn assert_all_decimals_valid(o: &Output) {
    for l in lines(o) {
        for (k, s, signed, empty_ok) in decimal_fields(&l) {
            assert!(
                (empty_ok && s.is_empty()) || is_decimal(&s, signed),
                "printed {k} = {s:?}, not a decimal, in {l}"
            );
        }
    }
}

/// A port with nothing listening on it (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}
