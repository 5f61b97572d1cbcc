//! The `ascendex` commands that run a session (`book`, `trades`, `mm`) against an in-process simulator.

use std::process::{Command, Output};

use ascendex_sim::{SimConfig, SimHandle};
use serde_json::Value;

fn sim(rate: u32) -> SimHandle {
    ascendex_sim::start(SimConfig {
        rate,
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

fn lines(o: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn norm(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

fn levels(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|l| (norm(l[0].as_str().unwrap()), norm(l[1].as_str().unwrap())))
        .collect()
}

#[test]
fn book_snapshot_matches_the_simulator() {
    let sim = sim(0);
    let o = run(
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
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let l = lines(&o);
    assert_eq!(l.len(), 1, "--updates 1: the snapshot line only");
    let want = sim.book("BTC/USDT").unwrap();
    assert_eq!(l[0]["type"], "book");
    assert_eq!(l[0]["symbol"], "BTC/USDT");
    assert_eq!(l[0]["seqnum"].as_u64(), Some(want.seqnum));
    let n = |v: &[(String, String)]| {
        v.iter()
            .take(5)
            .map(|(p, q)| (norm(p), norm(q)))
            .collect::<Vec<_>>()
    };
    assert_eq!(levels(&l[0]["bids"]), n(&want.bids));
    assert_eq!(levels(&l[0]["asks"]), n(&want.asks));
}

#[test]
fn book_updates_stop_after_n_lines_in_seqnum_order() {
    let sim = sim(2000);
    let o = run(
        &sim,
        &[
            "--json",
            "book",
            "BTC/USDT",
            "--updates",
            "20",
            "--depth",
            "3",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let l: Vec<Value> = lines(&o)
        .into_iter()
        .filter(|x| x["type"] == "book")
        .collect();
    assert_eq!(l.len(), 20);
    let seq: Vec<u64> = l.iter().map(|x| x["seqnum"].as_u64().unwrap()).collect();
    assert!(seq.windows(2).all(|w| w[1] > w[0]), "{seq:?}");
    for x in &l {
        let (b, a) = (levels(&x["bids"]), levels(&x["asks"]));
        assert!(b.len() <= 3 && a.len() <= 3);
        let px = |s: &str| s.parse::<f64>().unwrap();
        assert!(px(&b[0].0) < px(&a[0].0), "crossed: {x}");
    }
}

#[test]
fn trades_lines_have_the_documented_shape() {
    let sim = sim(3000);
    let o = run(&sim, &["--json", "trades", "BTC/USDT", "--seconds", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let l = lines(&o);
    assert!(!l.is_empty(), "no trade in 2 s at 3000 msgs/s");
    for t in &l {
        assert_eq!(t["type"], "trade");
        assert_eq!(t["symbol"], "BTC/USDT");
        assert!(t["side"] == "buy" || t["side"] == "sell");
        assert!(t["price"].as_str().unwrap().parse::<f64>().unwrap() > 0.0);
        assert!(
            t["qty"].as_str().is_some()
                && t["ts"].as_u64().is_some()
                && t["seqnum"].as_u64().is_some()
        );
    }
}

#[test]
fn mm_quotes_prints_fills_and_cancels_everything_on_exit() {
    let sim = sim(2000);
    let o = run(
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
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let l = lines(&o);
    assert!(
        sim.open_orders().is_empty(),
        "orders left open: {:?}",
        sim.open_orders()
    );
    let placed = sim.orders();
    assert!(!placed.is_empty(), "the market maker placed nothing");
    assert!(
        placed.iter().all(|o| o.post_only),
        "every quote is post-only"
    );
    // Each fill line is one execution of one of our orders.
    for f in l.iter().filter(|x| x["type"] == "fill") {
        let id = f["orderId"].as_str().unwrap();
        assert!(
            placed.iter().any(|o| o.order_id == id),
            "fill of an unknown order {id}"
        );
    }
    let summary = l
        .iter()
        .find(|x| x["type"] == "summary")
        .expect("summary line");
    assert!(summary["orders"].as_u64().unwrap() > 0);
    assert!(l.iter().any(|x| x["type"] == "balance"), "final balances");
    assert!(l.iter().any(|x| x["type"] == "latency"), "latency report");
}

#[test]
fn mm_paper_sends_nothing() {
    let sim = sim(2000);
    let o = Command::new(env!("CARGO_BIN_EXE_ascendex"))
        .arg("--rest-url")
        .arg(sim.rest_url())
        .arg("--ca-file")
        .arg(sim.ca_file())
        .args([
            "--json",
            "mm",
            "BTC/USDT",
            "--seconds",
            "2",
            "--spread-bps",
            "2",
            "--paper",
        ])
        .env_remove("ASCENDEX_API_KEY")
        .env_remove("ASCENDEX_API_SECRET")
        .output()
        .expect("binary runs");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(sim.orders().is_empty(), "paper trading sent an order");
    let l = lines(&o);
    let summary = l
        .iter()
        .find(|x| x["type"] == "summary")
        .expect("summary line");
    assert!(
        summary["orders"].as_u64().unwrap() > 0,
        "no paper quote: {summary}"
    );
    let assets: Vec<&str> = l
        .iter()
        .filter(|x| x["type"] == "balance")
        .filter_map(|x| x["asset"].as_str())
        .collect();
    assert_eq!(assets, ["BTC", "USDT"]);
}

#[test]
fn book_reports_a_resync_on_a_gap() {
    let sim = sim(2000);
    sim.inject("gap@5:BTC/USDT").unwrap();
    let o = run(
        &sim,
        &[
            "--json",
            "book",
            "BTC/USDT",
            "--updates",
            "15",
            "--depth",
            "1",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let l = lines(&o);
    let resync = l
        .iter()
        .find(|x| x["type"] == "resync")
        .expect("a resync line");
    assert_eq!(resync["symbol"], "BTC/USDT");
    assert_eq!(resync["reason"], "gap");
    assert_eq!(l.iter().filter(|x| x["type"] == "book").count(), 15);
}
