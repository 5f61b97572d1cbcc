//! The CLI must not earn an IP ban: `candles` over a wide range paces its requests within the CLI's documented
//! budget (as the simulator saw them arrive), streams each page as it arrives, shows progress, honours
//! `Retry-After`, and stops at once on a ban instead of retrying into it.

mod cli_util;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use ascendex_hft::cli::api::{PACE_BURST, PACE_PER_S};
use ascendex_sim::{RestLogEntry, Scripted, SimConfig, SimHandle};
use cli_util::*;

const BARHIST: &str = "/api/pro/v1/barhist";

/// One symbol with a deep bar history, so a range spans many pages.
fn deep_sim(bars: usize) -> SimHandle {
    ascendex_sim::start(SimConfig {
        rate: 0,
        symbols: vec!["BTC/USDT".into()],
        bar_history: bars,
        ..SimConfig::default()
    })
    .expect("simulator starts")
}

fn now_ms() -> u64 {
    ascendex_hft::venue::ascendex::session::bootstrap::wall_ms()
}

/// Fails when any run of requests in the log came faster than a burst plus the sustained rate allows.
fn assert_within_budget(log: &[RestLogEntry]) {
    // 30 ms of scheduling slack per window: the client's clock and the simulator's are the same, but the two
    // processes are not scheduled at the same instant.
    for i in 0..log.len() {
        for j in i + 1..log.len() {
            let span = log[j].at.duration_since(log[i].at).as_secs_f64() + 0.03;
            let allowed = f64::from(PACE_BURST) + span * f64::from(PACE_PER_S);
            let n = (j - i + 1) as f64;
            assert!(
                n <= allowed,
                "{n} requests in {span:.3} s (allowed {allowed:.1}): {:?}",
                log[i..=j]
                    .iter()
                    .map(|r| r.at.duration_since(log[0].at))
                    .collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn a_wide_candle_range_is_paced_streamed_and_complete() {
    let sim = deep_sim(3000);
    let to = now_ms();
    let from = to - 3000 * 60_000;
    let (f, t) = (from.to_string(), to.to_string());
    let mut child = command(
        &sim,
        &[
            "--json",
            "candles",
            "BTC/USDT",
            "--interval",
            "1",
            "--from",
            &f,
            "--to",
            &t,
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let started = Instant::now();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let first_at = started.elapsed();
    // Streaming: the first candle is out while later pages are still to come.
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first line only came when the command had finished"
    );
    let mut ts: Vec<u64> = vec![
        serde_json::from_str::<serde_json::Value>(&first).unwrap()["ts"]
            .as_u64()
            .unwrap(),
    ];
    for l in out.lines() {
        let v: serde_json::Value = serde_json::from_str(&l.unwrap()).unwrap();
        assert_eq!(v["type"], "candle");
        ts.push(v["ts"].as_u64().unwrap());
    }
    let status = child.wait().unwrap();
    let total = started.elapsed();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{err}");
    assert!(
        first_at < total / 2,
        "first line at {first_at:?} of {total:?}"
    );
    // Oldest first, no gap, nothing twice, everything in the range.
    assert!(
        ts.windows(2).all(|w| w[1] - w[0] == 60_000),
        "oldest first, no gap"
    );
    assert!(ts[0] >= from && *ts.last().unwrap() <= to);
    assert!(ts.len() >= 2999, "{} bars", ts.len());
    // Progress for a run over a second.
    assert!(err.contains("candles: page"), "{err}");
    let log: Vec<RestLogEntry> = sim
        .rest_log()
        .into_iter()
        .filter(|r| r.path == BARHIST)
        .collect();
    assert!(log.len() >= 7, "{} barhist requests", log.len());
    assert_within_budget(&sim.rest_log());
}

#[test]
fn a_huge_limit_or_a_range_from_zero_finds_the_history_quickly() {
    let sim = deep_sim(1200);
    for args in [
        &[
            "--json",
            "candles",
            "BTC/USDT",
            "--interval",
            "1",
            "--limit",
            "4294967295",
        ][..],
        &[
            "--json",
            "candles",
            "BTC/USDT",
            "--interval",
            "1",
            "--from",
            "0",
            "--to",
            &now_ms().to_string(),
        ],
    ] {
        let before = sim.rest_log().len();
        let started = Instant::now();
        let o = run(&sim, args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let n = lines(&o).len();
        assert!((1200..=1201).contains(&n), "{n} bars");
        let requests = sim.rest_log().len() - before;
        // Probing for the first bar grows with the log of the history's length (here 1200 bars, 3 pages), not
        // of the 56 years asked for: a few probes and the pages, no walk through decades of empty pages.
        assert!(requests <= 10, "{requests} requests");
        assert!(
            started.elapsed() < Duration::from_secs(25),
            "{:?}",
            started.elapsed()
        );
        // The budget is per invocation: each run's own requests.
        assert_within_budget(&sim.rest_log()[before..]);
    }
}

#[test]
fn retry_after_is_honoured() {
    let sim = sim();
    sim.script(
        Scripted::status(
            BARHIST,
            429,
            r#"{"code":100101,"message":"Too many requests"}"#,
        )
        .retry_after("1")
        .times(1),
    );
    let o = run(
        &sim,
        &[
            "--json",
            "candles",
            "BTC/USDT",
            "--interval",
            "1",
            "--limit",
            "3",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(lines(&o).len(), 3);
    let log: Vec<RestLogEntry> = sim
        .rest_log()
        .into_iter()
        .filter(|r| r.path == BARHIST)
        .collect();
    assert_eq!(log.iter().map(|r| r.status).collect::<Vec<_>>(), [429, 200]);
    let gap = log[1].at.duration_since(log[0].at);
    assert!(
        gap >= Duration::from_millis(980),
        "retried after {gap:?}, asked for 1 s"
    );

    // A Retry-After longer than the retry budget: exit 4 at once, saying so, instead of hammering.
    sim.clear_scripts();
    sim.script(
        Scripted::status(
            BARHIST,
            429,
            r#"{"code":100101,"message":"Too many requests"}"#,
        )
        .retry_after("60"),
    );
    let started = Instant::now();
    let o = run(
        &sim,
        &["candles", "BTC/USDT", "--interval", "1", "--limit", "3"],
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("Retry-After: 60"), "{}", stderr(&o));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_ban_stops_the_command_without_retrying() {
    let sim = sim();
    sim.script(Scripted::status(
        BARHIST,
        429,
        r#"{"code":100014,"message":"IP banned for 900000 ms: too many requests"}"#,
    ));
    let o = run(
        &sim,
        &["candles", "BTC/USDT", "--interval", "1", "--limit", "3"],
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("banned this IP for 900 s"),
        "{}",
        stderr(&o)
    );
    let n = sim.rest_log().iter().filter(|r| r.path == BARHIST).count();
    assert_eq!(n, 1, "no retry into a ban");
    // The same ban announced in a 200 envelope: exit 4 with the ban, not 3.
    sim.clear_scripts();
    sim.script(Scripted::ok(
        BARHIST,
        r#"{"code":100014,"message":"IP banned until 1893456000000"}"#,
    ));
    let o = run(
        &sim,
        &["candles", "BTC/USDT", "--interval", "1", "--limit", "3"],
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("banned this IP until 2030-01-01 00:00 UTC"),
        "{}",
        stderr(&o)
    );
}
