//! The `ascendex` binary's one-shot commands against an in-process simulator: `--json` lines checked against the
//! simulator's state, exit statuses, bad input refused with nothing sent, no secret in any output.

use std::process::{Command, Output};

use ascendex_sim::{SimConfig, SimHandle};
use serde_json::Value;

fn sim() -> SimHandle {
    // No flow: the book stays where the test reads it.
    ascendex_sim::start(SimConfig {
        rate: 0,
        ..SimConfig::default()
    })
    .expect("simulator starts")
}

/// Runs the binary against `sim` with its credentials in the environment.
fn run(sim: &SimHandle, args: &[&str]) -> Output {
    run_env(
        sim,
        args,
        &[
            ("ASCENDEX_API_KEY", &sim.api_key()),
            ("ASCENDEX_API_SECRET", &sim.api_secret()),
        ],
    )
}

fn run_env(sim: &SimHandle, args: &[&str], env: &[(&str, &str)]) -> Output {
    let ca = sim.ca_file();
    let mut c = Command::new(env!("CARGO_BIN_EXE_ascendex"));
    c.arg("--rest-url")
        .arg(sim.rest_url())
        .arg("--ca-file")
        .arg(&ca)
        .args(args)
        .env_remove("ASCENDEX_API_KEY")
        .env_remove("ASCENDEX_API_SECRET");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("binary runs")
}

fn lines(o: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The same decimal value whatever the spelling (`"1.50"` = `"1.5"`, `"3"` = `"3.000"`).
fn norm(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} missing in {v}"))
}

#[test]
fn ticker_matches_the_book_top() {
    let sim = sim();
    let o = run(&sim, &["--json", "ticker", "BTC/USDT"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let l = lines(&o);
    assert_eq!(l.len(), 1);
    let book = sim.book("BTC/USDT").unwrap();
    assert_eq!(l[0]["type"], "ticker");
    assert_eq!(l[0]["symbol"], "BTC/USDT");
    assert_eq!(
        l[0]["bid"][0].as_str().map(norm),
        Some(norm(&book.bids[0].0))
    );
    assert_eq!(
        l[0]["bid"][1].as_str().map(norm),
        Some(norm(&book.bids[0].1))
    );
    assert_eq!(
        l[0]["ask"][0].as_str().map(norm),
        Some(norm(&book.asks[0].0))
    );
    assert!(l[0]["ts"].as_u64().is_some_and(|t| t > 1_600_000_000_000));
    // Human output: a table with the same prices.
    let o = run(&sim, &["ticker", "BTC/USDT"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(&book.bids[0].0) && text.contains("ask"),
        "{text}"
    );
}

#[test]
fn balance_matches_the_simulator() {
    let sim = sim();
    let o = run(&sim, &["--json", "balance"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut got: Vec<(String, String, String)> = lines(&o)
        .iter()
        .inspect(|l| assert_eq!(l["type"], "balance"))
        .map(|l| {
            (
                s(l, "asset").into(),
                norm(s(l, "total")),
                norm(s(l, "available")),
            )
        })
        .collect();
    let mut want: Vec<(String, String, String)> = sim
        .balances()
        .into_iter()
        .filter(|b| norm(&b.total) != "0")
        .map(|b| (b.asset, norm(&b.total), norm(&b.available)))
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn order_place_status_cancel_round_trip() {
    let sim = sim();
    // Off the lot and the tick: quantized down, with notes on stderr.
    let o = run(
        &sim,
        &[
            "--json",
            "order",
            "place",
            "BTC/USDT",
            "buy",
            "0.0012345",
            "--price",
            "50000.005",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("rounded down"), "{}", stderr(&o));
    let l = lines(&o);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!((s(&l[0], "type"), s(&l[0], "status")), ("order", "New"));
    let id = s(&l[0], "orderId").to_string();
    let so = sim.order(&id).expect("the simulator has the order");
    assert_eq!(
        (so.status.as_str(), so.side.to_lowercase().as_str()),
        ("New", "buy")
    );
    assert_eq!(norm(&so.qty), "0.00123");
    assert_eq!(norm(&so.price), "50000");
    assert_eq!(norm(s(&l[0], "qty")), "0.00123");
    assert_eq!(s(&l[0], "side"), "buy");
    assert_eq!(s(&l[0], "orderType"), "limit");

    let o = run(&sim, &["--json", "orders", "BTC/USDT"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(lines(&o).iter().any(|x| x["orderId"] == id.as_str()));

    let o = run(&sim, &["--json", "order", "status", &id]);
    assert_eq!(lines(&o)[0]["status"], "New");

    let o = run(&sim, &["--json", "order", "cancel", "BTC/USDT", &id]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(lines(&o)[0]["status"], "Canceled");
    assert_eq!(sim.order(&id).unwrap().status, "Canceled");

    // Cancelling again: the exchange refuses (exit 3) and the final state is printed.
    let o = run(&sim, &["--json", "order", "cancel", "BTC/USDT", &id]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err: Value = serde_json::from_str(stderr(&o).lines().last().unwrap()).unwrap();
    assert_eq!(err["type"], "error");
    assert!(err["code"].as_i64().is_some());
}

#[test]
fn market_order_fills_and_prints_the_fill() {
    let sim = sim();
    let o = run(
        &sim,
        &[
            "--json", "order", "place", "BTC/USDT", "sell", "0.001", "--type", "market",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let l = lines(&o);
    assert_eq!(s(&l[0], "status"), "Filled");
    let fill = l.iter().find(|x| x["type"] == "fill").expect("a fill line");
    assert_eq!(norm(s(fill, "qty")), "0.001");
    assert_eq!(s(fill, "side"), "sell");
    let so = sim.order(s(&l[0], "orderId")).unwrap();
    assert_eq!(norm(s(fill, "price")), norm(&so.avg_price));
}

#[test]
fn post_only_that_would_take_is_rejected_with_exit_3() {
    let sim = sim();
    let ask = sim.book("BTC/USDT").unwrap().asks[0].0.clone();
    let o = run(
        &sim,
        &[
            "--json",
            "order",
            "place",
            "BTC/USDT",
            "buy",
            "0.001",
            "--price",
            &ask,
            "--post-only",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let l = lines(&o);
    assert_eq!(s(&l[0], "status"), "Rejected");
    assert!(s(&l[0], "error").contains("PostOnly"), "{l:?}");
}

#[test]
fn bad_input_exits_2_and_sends_nothing() {
    let sim = sim();
    let before = sim.orders().len();
    let cases: &[&[&str]] = &[
        &["order", "place", "FOO/USDT", "buy", "1", "--price", "1"],
        &["order", "place", "BTCUSDT", "buy", "1", "--price", "1"],
        &[
            "order", "place", "BTC/USDT", "buy", "0.000001", "--price", "50000",
        ],
        &["order", "place", "BTC/USDT", "buy", "0.001"],
        &[
            "order", "place", "BTC/USDT", "buy", "abc", "--price", "50000",
        ],
        &[
            "order", "place", "BTC/USDT", "hold", "0.001", "--price", "50000",
        ],
        &[
            "order", "place", "BTC/USDT", "buy", "1000000", "--price", "50000",
        ],
        &["order", "cancel", "BTC/USDT", "not an id"],
        &["candles", "BTC/USDT", "--interval", "7"],
        &["ticker", "NOPE/USDT"],
        &["frobnicate"],
    ];
    for args in cases {
        let o = run(&sim, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).trim().is_empty(), "{args:?}: no message");
        let o = run(&sim, &[&["--json"], *args].concat());
        let last = stderr(&o).lines().last().unwrap_or("").to_string();
        let v: Value = serde_json::from_str(&last).unwrap_or_else(|_| panic!("{args:?}: {last}"));
        assert_eq!(
            (v["type"].as_str(), v["exit"].as_i64()),
            (Some("error"), Some(2))
        );
    }
    let o = run(
        &sim,
        &[
            "order", "place", "BTC/USDT", "buy", "0.000001", "--price", "50000",
        ],
    );
    assert!(stderr(&o).contains("minimum"), "{}", stderr(&o));
    // Missing keys: exit 2 with what to do.
    let o = run_env(
        &sim,
        &[
            "order", "place", "BTC/USDT", "buy", "0.001", "--price", "50000",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("ASCENDEX_API_KEY"), "{}", stderr(&o));
    assert_eq!(sim.orders().len(), before, "an order reached the simulator");
}

#[test]
fn auth_and_network_failures_have_their_exit_statuses() {
    let sim = sim();
    let o = run_env(
        &sim,
        &["balance"],
        &[
            ("ASCENDEX_API_KEY", &sim.api_key()),
            ("ASCENDEX_API_SECRET", "wrongsecretwrongsecret"),
        ],
    );
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    // A closed port: network failure.
    let o = Command::new(env!("CARGO_BIN_EXE_ascendex"))
        .args(["--rest-url", "https://127.0.0.1:9", "ticker", "BTC/USDT"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    // The simulator's certificate without its CA: TLS failure, with a hint.
    let o = Command::new(env!("CARGO_BIN_EXE_ascendex"))
        .args(["--rest-url", &sim.rest_url(), "ticker", "BTC/USDT"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("--ca-file"), "{}", stderr(&o));
}

#[test]
fn rest_5xx_is_retried() {
    let sim = sim();
    sim.inject("rest5xx@1,rest429@2").unwrap();
    let o = run(&sim, &["--json", "ticker", "BTC/USDT"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(lines(&o)[0]["type"], "ticker");
}

#[test]
fn candles_page_past_500_oldest_first() {
    let sim = sim();
    let o = run(
        &sim,
        &[
            "--json",
            "candles",
            "BTC/USDT",
            "--interval",
            "1",
            "--limit",
            "600",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let l = lines(&o);
    // The simulator holds 500 finished bars and the one in progress.
    assert_eq!(l.len(), 501);
    let ts: Vec<u64> = l.iter().map(|c| c["ts"].as_u64().unwrap()).collect();
    assert!(
        ts.windows(2).all(|w| w[1] - w[0] == 60_000),
        "oldest first, no gap"
    );
    assert!(ts[500] <= ascendex_hft::venue::ascendex::session::bootstrap::wall_ms());
    assert_eq!(l[0]["interval"], "1");
    // --from/--to: the same bars, across two pages.
    let (from, to) = (ts[0].to_string(), ts[500].to_string());
    let o = run(
        &sim,
        &[
            "--json",
            "candles",
            "BTC/USDT",
            "--interval",
            "1",
            "--from",
            &from,
            "--to",
            &to,
        ],
    );
    assert_eq!(lines(&o).len(), 501);
    let o = run(
        &sim,
        &[
            "--json",
            "candles",
            "BTC/USDT",
            "--interval",
            "1m",
            "--limit",
            "3",
        ],
    );
    assert_eq!(lines(&o).len(), 3);
}

#[test]
fn no_secret_in_any_output() {
    let sim = sim();
    let secret = sim.api_secret();
    let dir = std::env::temp_dir().join(format!("cli-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kf = dir.join("keys");
    std::fs::write(
        &kf,
        format!(
            "ASCENDEX_API_KEY={}\nASCENDEX_API_SECRET={secret}\n",
            sim.api_key()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&kf, std::fs::Permissions::from_mode(0o644)).unwrap();
    let kfs = kf.to_str().unwrap();
    // Readable by others: refused before anything is sent.
    let o = run_env(&sim, &["--key-file", kfs, "balance"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("chmod 600"), "{}", stderr(&o));
    std::fs::set_permissions(&kf, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut outputs = vec![
        run_env(&sim, &["--key-file", kfs, "--json", "balance"], &[]),
        run_env(
            &sim,
            &[
                "--key-file",
                kfs,
                "order",
                "place",
                "BTC/USDT",
                "buy",
                "1",
                "--price",
                "1",
            ],
            &[],
        ),
        run(&sim, &["--json", "balance"]),
        run(&sim, &["order", "status", "nosuchorder"]),
        run_env(
            &sim,
            &["balance"],
            &[("ASCENDEX_API_KEY", "k"), ("ASCENDEX_API_SECRET", &secret)],
        ),
    ];
    assert_eq!(outputs[0].status.code(), Some(0), "{}", stderr(&outputs[0]));
    for o in outputs.drain(..) {
        for stream in [&o.stdout, &o.stderr] {
            assert!(
                !String::from_utf8_lossy(stream).contains(&secret),
                "secret printed"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_on_every_command() {
    for cmd in [
        vec!["--help"],
        vec!["demo", "--help"],
        vec!["sim", "--help"],
        vec!["book", "--help"],
        vec!["trades", "--help"],
        vec!["candles", "--help"],
        vec!["ticker", "--help"],
        vec!["balance", "--help"],
        vec!["order", "--help"],
        vec!["order", "place", "--help"],
        vec!["order", "cancel", "--help"],
        vec!["order", "cancel-all", "--help"],
        vec!["order", "status", "--help"],
        vec!["orders", "--help"],
        vec!["mm", "--help"],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_ascendex"))
            .args(&cmd)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{cmd:?}");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("sage"),
            "{cmd:?}: no usage"
        );
    }
}

#[test]
fn sim_prints_where_to_reach_it_and_stops_at_end_of_input() {
    let o = Command::new(env!("CARGO_BIN_EXE_ascendex"))
        .args(["sim", "--listen", "127.0.0.1:0", "--rate", "0"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    for want in [
        "REST URL:      https://127.0.0.1:",
        "WS URL:        wss://",
        "CA file:",
        "ASCENDEX_API_KEY=",
    ] {
        assert!(text.contains(want), "{want} missing in {text}");
    }
    let o = Command::new(env!("CARGO_BIN_EXE_ascendex"))
        .args(["sim", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
