//! `book` / `trades` whose WebSocket cannot connect: the first failure is said on stderr with its reason, the
//! session keeps retrying with backoff, and the command exits 4 after a bounded time rather than hanging.

mod cli_util;

use std::time::{Duration, Instant};

use cli_util::*;

#[test]
fn an_unreachable_stream_is_reported_and_gives_up() {
    let sim = sim();
    let url = format!("wss://127.0.0.1:{}/api/pro/v1/stream", closed_port());
    let started = Instant::now();
    let o = run(
        &sim,
        &["--ws-url", &url, "book", "BTC/USDT", "--updates", "3"],
    );
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let e = stderr(&o);
    let first = e.lines().next().unwrap_or("");
    assert!(
        first.starts_with("warning: market stream") && first.contains("refused"),
        "the first failure is said at once, with its reason: {e}"
    );
    assert_eq!(
        e.matches("warning: market stream").count(),
        1,
        "said once: {e}"
    );
    // Several attempts with backoff before giving up.
    let attempts: u32 = e
        .split(" failed connection attempts")
        .next()
        .and_then(|s| s.rsplit('(').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(attempts >= 3, "{e}");
    // Retried, then gave up: not at once, not forever.
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(30),
        "{took:?}"
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn a_refused_upgrade_is_reported_with_its_status() {
    let sim = sim();
    sim.refuse_ws_upgrades(Some((403, r#"{"code":100005,"message":"forbidden"}"#)));
    let started = Instant::now();
    let o = run(&sim, &["--json", "trades", "BTC/USDT"]);
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.lines().next().unwrap_or("").contains("403"), "{e}");
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(30),
        "{took:?}"
    );
}

#[test]
fn a_short_run_that_never_connects_exits_4_when_it_ends() {
    let sim = sim();
    sim.refuse_ws_upgrades(Some((403, "{}")));
    let started = Instant::now();
    let o = run(&sim, &["book", "BTC/USDT", "--seconds", "2"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("never opened"), "{}", stderr(&o));
    assert!(started.elapsed() < Duration::from_secs(8));
    // Once the server lets it in, the same command works.
    sim.refuse_ws_upgrades(None);
    let o = run(&sim, &["--json", "book", "BTC/USDT", "--updates", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_all_decimals_valid(&o);
}
