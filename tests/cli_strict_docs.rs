//! The whole CLI contract of DESIGN.md §4 run through the `ascendex` binary against a simulator in strict-docs mode,
//! which serves only what the exchange's documentation documents and answers anything else `404` in plain text, as
//! a server written from the docs alone does. Each command must succeed with no request refused; the simulator's
//! refusal log names any request that went beyond the docs.

use std::process::{Command, Output};

use ascendex_sim::{SimConfig, SimHandle};
use serde_json::Value;

fn strict(rate: u32) -> SimHandle {
    ascendex_sim::start(SimConfig {
        rate,
        strict_docs: true,
        ..SimConfig::default()
    })
    .expect("simulator starts")
}

fn run(sim: &SimHandle, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ascendex"))
        .arg("--rest-url")
        .arg(sim.rest_url())
        .arg("--ca-file")
        .arg(sim.ca_file())
        .args(args)
        .env("ASCENDEX_API_KEY", sim.api_key())
        .env("ASCENDEX_API_SECRET", sim.api_secret())
        .output()
        .expect("binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn lines(o: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect()
}

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

/// Runs a command and checks that strict mode refused nothing on the way and the exit status is `exit`. A failure
/// lists the refused requests: what the client sent beyond the docs, and the doc file that says otherwise.
fn ok(sim: &SimHandle, args: &[&str], exit: i32) -> Output {
    let before = sim.refused_requests().len();
    let o = run(sim, args);
    let refused = sim.refused_requests()[before..].to_vec();
    assert!(
        refused.is_empty() && o.status.code() == Some(exit),
        "{args:?}: exit {:?} (want {exit}); refused by strict-docs mode: {refused:#?}\nstderr: {}",
        o.status.code(),
        stderr(&o)
    );
    o
}

fn get_ok(sim: &SimHandle, args: &[&str]) -> Output {
    ok(sim, args, 0)
}

#[test]
fn market_data_commands() {
    let sim = strict(0);
    let o = get_ok(&sim, &["--json", "ticker", "BTC/USDT"]);
    let t = &lines(&o)[0];
    let book = sim.book("BTC/USDT").unwrap();
    assert_eq!(t["type"], "ticker");
    assert_eq!(t["bid"][0].as_str().map(norm), Some(norm(&book.bids[0].0)));
    assert_eq!(t["ask"][0].as_str().map(norm), Some(norm(&book.asks[0].0)));

    let o = get_ok(
        &sim,
        &[
            "--json",
            "book",
            "BTC/USDT",
            "--updates",
            "1",
            "--depth",
            "5",
        ],
    );
    let l = lines(&o);
    assert_eq!(l[0]["type"], "book");
    assert_eq!(l[0]["seqnum"].as_u64(), Some(book.seqnum));
    assert_eq!(
        l[0]["bids"][0][0].as_str().map(norm),
        Some(norm(&book.bids[0].0))
    );

    let o = get_ok(
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
    let l = lines(&o);
    assert_eq!(l.len(), 501, "500 finished bars and the one in progress");
    let ts: Vec<u64> = l.iter().map(|c| c["ts"].as_u64().unwrap()).collect();
    assert!(ts.windows(2).all(|w| w[1] - w[0] == 60_000), "oldest first");
    let (from, to) = (ts[0].to_string(), ts[500].to_string());
    let o = get_ok(
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
    let o = get_ok(
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
fn streaming_commands() {
    let sim = strict(3000);
    let o = get_ok(
        &sim,
        &[
            "--json",
            "book",
            "BTC/USDT",
            "--updates",
            "10",
            "--depth",
            "3",
        ],
    );
    let seq: Vec<u64> = lines(&o)
        .iter()
        .filter(|x| x["type"] == "book")
        .map(|x| x["seqnum"].as_u64().unwrap())
        .collect();
    assert_eq!(seq.len(), 10);
    assert!(seq.windows(2).all(|w| w[1] > w[0]), "{seq:?}");
    let o = get_ok(&sim, &["--json", "trades", "BTC/USDT", "--seconds", "2"]);
    let l = lines(&o);
    assert!(!l.is_empty(), "no trade in 2 s at 3000 msgs/s");
    assert!(
        l.iter()
            .all(|t| t["type"] == "trade" && t["symbol"] == "BTC/USDT")
    );
}

#[test]
fn balance_and_orders_match_the_simulator() {
    let sim = strict(0);
    let o = get_ok(&sim, &["--json", "balance"]);
    let mut got: Vec<(String, String)> = lines(&o)
        .iter()
        .map(|l| (s(l, "asset").to_string(), norm(s(l, "total"))))
        .collect();
    let mut want: Vec<(String, String)> = sim
        .balances()
        .into_iter()
        .filter(|b| norm(&b.total) != "0")
        .map(|b| (b.asset, norm(&b.total)))
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    // No order yet: an empty list, through the documented open-orders path.
    let o = get_ok(&sim, &["--json", "orders"]);
    assert!(lines(&o).is_empty());
    let o = get_ok(&sim, &["--json", "orders", "BTC/USDT"]);
    assert!(lines(&o).is_empty());
}

#[test]
fn order_place_status_orders_cancel_and_cancel_all() {
    let sim = strict(0);
    // Off the lot and the tick: quantized, with the notes on stderr.
    let place = [
        "--json",
        "order",
        "place",
        "BTC/USDT",
        "buy",
        "0.0012345",
        "--price",
        "50000.005",
    ];
    let o = ok(&sim, &place, 0);
    let err = stderr(&o);
    assert!(err.contains("rounded down"), "{err}");
    assert!(
        err.contains("lot size") && err.contains("tick size"),
        "{err}"
    );
    let l = lines(&o);
    assert_eq!((s(&l[0], "type"), s(&l[0], "status")), ("order", "New"));
    let id = s(&l[0], "orderId").to_string();
    let so = sim.order(&id).expect("the simulator has the order");
    assert_eq!(
        (norm(&so.qty), norm(&so.price)),
        ("0.00123".into(), "50000".into())
    );

    let o = get_ok(&sim, &["--json", "order", "status", &id]);
    assert_eq!(lines(&o)[0]["status"], "New");
    let o = get_ok(&sim, &["--json", "orders", "BTC/USDT"]);
    assert!(lines(&o).iter().any(|x| x["orderId"] == id.as_str()));
    let o = get_ok(&sim, &["--json", "orders"]);
    assert!(lines(&o).iter().any(|x| x["orderId"] == id.as_str()));

    let o = ok(&sim, &["--json", "order", "cancel", "BTC/USDT", &id], 0);
    assert_eq!(lines(&o)[0]["status"], "Canceled");
    assert_eq!(sim.order(&id).unwrap().status, "Canceled");

    // Two resting orders, then cancel-all for the symbol, then account-wide.
    for px in ["40000", "41000"] {
        ok(
            &sim,
            &[
                "--json", "order", "place", "BTC/USDT", "buy", "0.001", "--price", px,
            ],
            0,
        );
    }
    ok(
        &sim,
        &[
            "--json", "order", "place", "ETH/USDT", "buy", "0.1", "--price", "100",
        ],
        0,
    );
    assert_eq!(sim.open_orders().len(), 3);
    ok(&sim, &["--json", "order", "cancel-all", "BTC/USDT"], 0);
    let open = sim.open_orders();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].symbol, "ETH/USDT");
    ok(&sim, &["--json", "order", "cancel-all"], 0);
    assert!(sim.open_orders().is_empty(), "{:?}", sim.open_orders());
}

#[test]
fn market_order_fill_and_post_only_refusal() {
    let sim = strict(0);
    let ask = sim.book("BTC/USDT").unwrap().asks[0].0.clone();
    let post_only = [
        "--json",
        "order",
        "place",
        "BTC/USDT",
        "buy",
        "0.001",
        "--price",
        &ask,
        "--post-only",
    ];
    let o = ok(&sim, &post_only, 3);
    let l = lines(&o);
    assert_eq!(s(&l[0], "status"), "Rejected");
    assert!(s(&l[0], "error").contains("PostOnly"), "{l:?}");

    let market = [
        "--json", "order", "place", "BTC/USDT", "sell", "0.001", "--type", "market",
    ];
    let o = ok(&sim, &market, 0);
    let l = lines(&o);
    assert_eq!(s(&l[0], "status"), "Filled");
    let fill = l.iter().find(|x| x["type"] == "fill").expect("a fill line");
    assert_eq!(norm(s(fill, "qty")), "0.001");
}

#[test]
fn mm_runs_and_cancels_what_it_placed() {
    let sim = strict(2000);
    let o = ok(
        &sim,
        &[
            "--json",
            "mm",
            "BTC/USDT",
            "--seconds",
            "3",
            "--spread-bps",
            "2",
        ],
        0,
    );
    assert!(sim.open_orders().is_empty(), "{:?}", sim.open_orders());
    assert!(!sim.orders().is_empty(), "the market maker placed nothing");
    let l = lines(&o);
    assert!(l.iter().any(|x| x["type"] == "summary"), "summary line");
}

/// `ascendex sim --strict-docs` runs the simulator in strict mode: a harness path is a plain-text 404 there and
/// JSON in the default mode.
#[test]
fn sim_flag_turns_strict_mode_on() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    for strict in [false, true] {
        let mut args = vec!["sim", "--listen", "127.0.0.1:0", "--rate", "0"];
        if strict {
            args.push("--strict-docs");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_ascendex"))
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("sim starts");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (mut url, mut ca) = (String::new(), String::new());
        let mut line = String::new();
        while out.read_line(&mut line).unwrap_or(0) > 0 {
            if let Some(u) = line.strip_prefix("REST URL:") {
                url = u.trim().to_string();
            }
            if let Some(c) = line.strip_prefix("CA file:") {
                ca = c.trim().to_string();
            }
            if line.starts_with("running") {
                break;
            }
            line.clear();
        }
        assert!(!url.is_empty() && !ca.is_empty(), "no URL/CA printed");
        let tls = ascendex_hft::net::tls::client_config(Some(std::path::Path::new(&ca))).unwrap();
        let r = ascendex_hft::net::oneshot::request(
            &tls,
            &url,
            "GET",
            "/_sim/state",
            &[],
            &[],
            std::time::Duration::from_secs(5),
        )
        .expect("an answer");
        let json = serde_json::from_slice::<Value>(&r.body).is_ok();
        if strict {
            assert_eq!(
                (r.status, json),
                (404, false),
                "{}",
                String::from_utf8_lossy(&r.body)
            );
        } else {
            assert_eq!((r.status, json), (200, true));
        }
        drop(child.stdin.take());
        assert_eq!(child.wait().unwrap().code(), Some(0));
    }
}
