//! Every injectable fault, observed over real TLS, and its fault-log record.

mod common;
use ascendex_sim::{SimConfig, SimError, SimHandle, start};
use common::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(5);

fn sim1() -> SimHandle {
    start(SimConfig {
        rate: 0,
        symbols: vec!["BTC/USDT".into()],
        ..SimConfig::default()
    })
    .expect("start")
}

async fn depth_ws(sim: &SimHandle) -> Ws {
    let mut ws = Ws::connect(sim, "/api/pro/v1/stream", "").await.unwrap();
    ws.json(T).await.unwrap();
    ws.send(json!({"op":"sub","id":"d","ch":"depth:BTC/USDT"}))
        .await;
    assert_eq!(ws.json(T).await.unwrap()["code"], 0);
    ws
}

/// Raw text frames until `n` depth seqnums were seen or the stream goes quiet.
async fn seqnums(ws: &mut Ws, n: usize) -> (Vec<u64>, Vec<String>) {
    let mut seqs = Vec::new();
    let mut bad = Vec::new();
    while seqs.len() < n {
        match ws.next(Duration::from_millis(500)).await {
            Msg::Text(t) => match serde_json::from_str::<Value>(&t) {
                Ok(v) if m(&v) == "depth" => seqs.push(v["data"]["seqnum"].as_u64().unwrap()),
                Ok(_) => {}
                Err(_) => bad.push(t),
            },
            Msg::Control(..) => {}
            Msg::Closed => break,
        }
    }
    (seqs, bad)
}

#[test]
fn gap_dup_reorder_malformed_are_seen_and_logged() {
    let sim = sim1();
    rt().block_on(async {
        let mut ws = depth_ws(&sim).await;
        let s = sim.book("BTC/USDT").unwrap().seqnum;
        sim.inject("gap@3").unwrap();
        sim.step(5);
        let (seqs, _) = seqnums(&mut ws, 4).await;
        assert_eq!(seqs, vec![s + 1, s + 2, s + 4, s + 5]);
        let log = sim.fault_log();
        let g = log.iter().find(|r| r.kind == "gap").unwrap();
        assert_eq!(g.seqnum, Some(s + 3));
        assert_eq!(g.symbol.as_deref(), Some("BTC/USDT"));
        assert!(g.at_ms > 1_600_000_000_000);

        let s = sim.book("BTC/USDT").unwrap().seqnum;
        sim.inject("dup@2,reorder@4:BTC/USDT,malformed@6").unwrap();
        sim.step(7);
        let (seqs, bad) = seqnums(&mut ws, 8).await;
        assert_eq!(
            seqs,
            vec![s + 1, s + 2, s + 2, s + 3, s + 5, s + 4, s + 6, s + 7]
        );
        assert_eq!(bad.len(), 1, "one malformed frame");
        let kinds: Vec<(String, Option<u64>)> = sim
            .fault_log()
            .into_iter()
            .map(|r| (r.kind, r.seqnum))
            .collect();
        assert!(kinds.contains(&("dup".into(), Some(s + 2))));
        assert!(kinds.contains(&("reorder".into(), Some(s + 4))));
        assert!(kinds.contains(&("malformed".into(), Some(s + 6))));
    });
}

#[test]
fn unknown_fields_once_and_persistent() {
    let sim = sim1();
    rt().block_on(async {
        let mut ws = depth_ws(&sim).await;
        sim.inject("unknown_fields@2").unwrap();
        sim.step(3);
        let mut flags = Vec::new();
        for _ in 0..3 {
            let v = ws.until(T, |v| m(v) == "depth").await.unwrap();
            flags.push(v.get("xSimUnknown").is_some() && v["data"].get("xSimUnknown").is_some());
        }
        assert_eq!(flags, vec![false, true, false]);
        sim.inject("unknown_fields").unwrap();
        sim.step(2);
        for _ in 0..2 {
            let v = ws.until(T, |v| m(v) == "depth").await.unwrap();
            assert!(v.get("xSimUnknown").is_some());
        }
        sim.inject("clear").unwrap();
        sim.step(1);
        let v = ws.until(T, |v| m(v) == "depth").await.unwrap();
        assert!(v.get("xSimUnknown").is_none());
    });
}

#[test]
fn truncate_and_close_cut_the_connection() {
    let sim = sim1();
    rt().block_on(async {
        let mut ws = depth_ws(&sim).await;
        sim.inject("truncate@2").unwrap();
        sim.step(3);
        let (seqs, _) = seqnums(&mut ws, 3).await;
        assert_eq!(
            seqs.len(),
            1,
            "the stream stops at the truncated frame: {seqs:?}"
        );
        assert!(matches!(
            ws.next(Duration::from_millis(300)).await,
            Msg::Closed
        ));
        assert!(
            sim.fault_log()
                .iter()
                .any(|r| r.kind == "truncate" && r.detail.contains("1 session"))
        );

        let mut ws = depth_ws(&sim).await;
        sim.inject("close").unwrap();
        sim.step(2);
        let (seqs, _) = seqnums(&mut ws, 2).await;
        assert!(seqs.is_empty());
        assert!(matches!(
            ws.next(Duration::from_millis(300)).await,
            Msg::Closed
        ));
        assert!(sim.fault_log().iter().any(|r| r.kind == "close"));
    });
}

#[test]
fn early_diffs_delay_the_snapshot_behind_the_diffs() {
    let sim = start(SimConfig {
        rate: 2000,
        symbols: vec!["BTC/USDT".into()],
        faults: "early_diffs=400".into(),
        ..SimConfig::default()
    })
    .unwrap();
    rt().block_on(async {
        let mut ws = depth_ws(&sim).await;
        let sent = Instant::now();
        ws.send(
            json!({"op":"req","id":"s","action":"depth-snapshot","args":{"symbol":"BTC/USDT"}}),
        )
        .await;
        let mut diffs_before = Vec::new();
        let snap = loop {
            let v = ws.json(T).await.unwrap();
            match m(&v) {
                "depth" => diffs_before.push(v["data"]["seqnum"].as_u64().unwrap()),
                "depth-snapshot" => break v,
                _ => {}
            }
        };
        assert!(sent.elapsed() >= Duration::from_millis(390));
        assert!(diffs_before.len() > 5, "{}", diffs_before.len());
        // The snapshot is on the same seqnum scale: everything before it is covered by it.
        assert!(snap["data"]["seqnum"].as_u64().unwrap() >= *diffs_before.last().unwrap());
        assert!(
            sim.fault_log()
                .iter()
                .any(|r| r.kind == "early_diffs" && r.seqnum.is_some())
        );
        let t0 = Instant::now();
        let r = get(&sim, "/api/pro/v1/depth?symbol=BTC/USDT").await;
        assert_eq!(r.body["code"], 0);
        assert!(t0.elapsed() >= Duration::from_millis(390));
    });
}

#[test]
fn rest_faults_5xx_429_slow_and_skew() {
    let sim = sim1();
    rt().block_on(async {
        sim.inject("rest5xx@2,rest429@3,slow_rest@4").unwrap();
        let mut h = Http::new(&sim).await;
        let r1 = h
            .req(&sim, "GET", "/api/pro/v1/exchange-info", None, None)
            .await;
        assert_eq!(r1.status, 200);
        let r2 = h
            .req(&sim, "GET", "/api/pro/v1/exchange-info", None, None)
            .await;
        assert_eq!(r2.status, 503);
        assert_eq!(r2.body["code"], 510001);
        let r3 = h
            .req(&sim, "GET", "/api/pro/v1/exchange-info", None, None)
            .await;
        assert_eq!(r3.status, 429);
        let t0 = Instant::now();
        let r4 = h
            .req(&sim, "GET", "/api/pro/v1/exchange-info", None, None)
            .await;
        assert_eq!(r4.status, 200);
        assert_eq!(r4.body["code"], 0);
        assert!(
            t0.elapsed() >= Duration::from_millis(100),
            "byte-at-a-time: {:?}",
            t0.elapsed()
        );
        let kinds: Vec<String> = sim.fault_log().into_iter().map(|r| r.kind).collect();
        assert_eq!(kinds, vec!["rest5xx", "rest429", "slow_rest"]);

        // Clock skew beyond the window: signed requests fail with the timestamp error until cleared.
        sim.inject("skew=40000").unwrap();
        let r = h
            .req(
                &sim,
                "GET",
                "/api/pro/v1/info",
                None,
                Some(("info", Key::Raw, 0)),
            )
            .await;
        assert_eq!(r.body["code"], 100011);
        let r = h
            .req(
                &sim,
                "GET",
                "/api/pro/v1/exchange-info?requestTime=1",
                None,
                None,
            )
            .await;
        assert!(r.body["data"]["requestReceiveAt"].as_u64().unwrap() >= now_ms() + 39_000);
        sim.inject("clear").unwrap();
        let r = h
            .req(
                &sim,
                "GET",
                "/api/pro/v1/info",
                None,
                Some(("info", Key::Raw, 0)),
            )
            .await;
        assert_eq!(r.body["code"], 0);
    });
}

#[test]
fn miss_pong_disconnects_every_session() {
    let sim = sim1();
    rt().block_on(async {
        let mut a = depth_ws(&sim).await;
        let mut b = depth_ws(&sim).await;
        sim.inject("miss_pong").unwrap();
        for ws in [&mut a, &mut b] {
            let v = ws.until(T, |v| m(v) == "disconnected").await.unwrap();
            assert_eq!(v["code"], 100005);
            assert!(v["info"].as_str().unwrap().contains("pong"));
        }
        assert!(sim.fault_log().iter().any(|r| r.kind == "miss_pong"));
    });
}

#[test]
fn fault_specs_are_validated_and_start_time_faults_fire() {
    assert!(matches!(
        start(SimConfig {
            rate: 0,
            faults: "gap@x".into(),
            ..SimConfig::default()
        }),
        Err(SimError::BadFaultSpec(_))
    ));
    let sim = start(SimConfig {
        rate: 0,
        symbols: vec!["BTC/USDT".into()],
        faults: "gap@2".into(),
        ..SimConfig::default()
    })
    .unwrap();
    assert!(sim.inject("nonsense").is_err());
    assert!(sim.inject("gap@1:NOPE/USDT").is_err());
    rt().block_on(async {
        let mut ws = depth_ws(&sim).await;
        let s = sim.book("BTC/USDT").unwrap().seqnum;
        sim.step(3);
        let (seqs, _) = seqnums(&mut ws, 2).await;
        assert_eq!(seqs, vec![s + 1, s + 3]);
    });
}

/// Levels best first, (price, qty) as served.
type Side = Vec<(String, String)>;

/// (bids, asks) of a depth-snapshot `data` object.
fn sides(data: &Value) -> (Side, Side) {
    let side = |k: &str| -> Side {
        data[k]
            .as_array()
            .expect("a level array")
            .iter()
            .map(|l| {
                (
                    l[0].as_str().expect("price").to_string(),
                    l[1].as_str().expect("qty").to_string(),
                )
            })
            .collect()
    };
    (side("bids"), side("asks"))
}

fn px(l: &[(String, String)]) -> i128 {
    l.first()
        .and_then(|(p, _)| ascendex_sim::dec::parse(p, 9))
        .expect("a priced level")
}

/// A snapshot's `data` must be the simulator's book exactly (same seqnum, same levels).
fn assert_is_the_book(sim: &SimHandle, sym: &str, data: &Value) {
    let view = sim.book(sym).unwrap();
    assert_eq!(data["seqnum"].as_u64(), Some(view.seqnum), "{sym} seqnum");
    let (bids, asks) = sides(data);
    assert_eq!(bids, view.bids, "{sym} bids");
    assert_eq!(asks, view.asks, "{sym} asks");
    assert!(px(&bids) < px(&asks), "{sym}: the real book is crossed");
}

async fn ws_snapshot(ws: &mut Ws, sym: &str) -> Value {
    ws.send(json!({"op":"req","id":"s","action":"depth-snapshot","args":{"symbol":sym}}))
        .await;
    let v = ws
        .until(T, |v| m(v) == "depth-snapshot")
        .await
        .expect("a depth-snapshot reply");
    assert_eq!(v["symbol"], sym);
    v["data"].clone()
}

async fn rest_snapshot(sim: &SimHandle, sym: &str) -> Value {
    let r = get(sim, &format!("/api/pro/v1/depth?symbol={sym}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["code"], 0);
    assert_eq!(r.body["data"]["symbol"], sym);
    r.body["data"]["data"].clone()
}

#[test]
fn crossed_snapshot_is_one_shot_over_ws_or_rest_and_leaves_the_book_alone() {
    let sim = start(SimConfig {
        rate: 0,
        symbols: vec!["BTC/USDT".into(), "ETH/USDT".into()],
        ..SimConfig::default()
    })
    .unwrap();
    let crossed_log = |sim: &SimHandle| -> Vec<ascendex_sim::FaultRecord> {
        sim.fault_log()
            .into_iter()
            .filter(|r| r.kind == "crossed_snapshot")
            .collect()
    };
    rt().block_on(async {
        let mut ws = Ws::connect(&sim, "/api/pro/v1/stream", "").await.unwrap();
        ws.json(T).await.unwrap();

        // Over the socket: only the named symbol's next snapshot, once.
        sim.inject("crossed_snapshot:BTC/USDT").unwrap();
        let eth = ws_snapshot(&mut ws, "ETH/USDT").await;
        assert_is_the_book(&sim, "ETH/USDT", &eth);
        let real = sim.book("BTC/USDT").unwrap();
        let bad = ws_snapshot(&mut ws, "BTC/USDT").await;
        assert_eq!(bad["seqnum"].as_u64(), Some(real.seqnum));
        let (bids, asks) = sides(&bad);
        assert!(
            px(&bids) >= px(&asks),
            "not crossed: {:?} / {:?}",
            bids.first(),
            asks.first()
        );
        // Only the phantom level was added: the rest is the real book.
        assert_eq!(asks, real.asks);
        assert_eq!(bids[1..], real.bids[..bids.len() - 1]);
        assert_eq!(sim.book("BTC/USDT").unwrap(), real, "the real book changed");
        let log = crossed_log(&sim);
        assert_eq!(log.len(), 1, "{log:?}");
        assert_eq!(log[0].symbol.as_deref(), Some("BTC/USDT"));
        assert_eq!(log[0].seqnum, Some(real.seqnum));
        assert!(log[0].detail.starts_with("WS depth-snapshot"), "{log:?}");
        let good = ws_snapshot(&mut ws, "BTC/USDT").await;
        assert_is_the_book(&sim, "BTC/USDT", &good);
        assert_is_the_book(&sim, "BTC/USDT", &rest_snapshot(&sim, "BTC/USDT").await);

        // Over REST, when it is the next snapshot served; the flow moved the book meanwhile.
        sim.step(20);
        sim.inject("crossed_snapshot:BTC/USDT").unwrap();
        let real = sim.book("BTC/USDT").unwrap();
        let bad = rest_snapshot(&sim, "BTC/USDT").await;
        assert_eq!(bad["seqnum"].as_u64(), Some(real.seqnum));
        let (bids, asks) = sides(&bad);
        assert!(px(&bids) >= px(&asks), "REST reply not crossed");
        assert_eq!(sim.book("BTC/USDT").unwrap(), real, "the real book changed");
        let good = ws_snapshot(&mut ws, "BTC/USDT").await;
        assert_is_the_book(&sim, "BTC/USDT", &good);
        let log = crossed_log(&sim);
        assert_eq!(log.len(), 2, "{log:?}");
        assert_eq!(log[1].seqnum, Some(real.seqnum));
        assert!(log[1].detail.starts_with("REST depth-snapshot"), "{log:?}");

        // `@N` counts snapshots of both paths together: the 1st (REST) is clean, the 2nd (WS) crossed.
        sim.inject("crossed_snapshot@2:BTC/USDT").unwrap();
        assert_is_the_book(&sim, "BTC/USDT", &rest_snapshot(&sim, "BTC/USDT").await);
        let (bids, asks) = sides(&ws_snapshot(&mut ws, "BTC/USDT").await);
        assert!(px(&bids) >= px(&asks), "second snapshot not crossed");
        assert_is_the_book(&sim, "BTC/USDT", &ws_snapshot(&mut ws, "BTC/USDT").await);
        assert_eq!(crossed_log(&sim).len(), 3);

        // `clear` drops a pending one.
        sim.inject("crossed_snapshot:BTC/USDT,clear").unwrap();
        assert_is_the_book(&sim, "BTC/USDT", &ws_snapshot(&mut ws, "BTC/USDT").await);
        assert_eq!(crossed_log(&sim).len(), 3);
    });
}

#[test]
fn crossed_snapshot_also_crosses_a_delayed_snapshot() {
    let sim = start(SimConfig {
        rate: 0,
        symbols: vec!["BTC/USDT".into()],
        faults: "early_diffs=50,crossed_snapshot".into(),
        ..SimConfig::default()
    })
    .unwrap();
    rt().block_on(async {
        let mut ws = Ws::connect(&sim, "/api/pro/v1/stream", "").await.unwrap();
        ws.json(T).await.unwrap();
        let (bids, asks) = sides(&ws_snapshot(&mut ws, "BTC/USDT").await);
        assert!(px(&bids) >= px(&asks), "delayed reply not crossed");
        assert_is_the_book(&sim, "BTC/USDT", &ws_snapshot(&mut ws, "BTC/USDT").await);
        let log = sim.fault_log();
        assert_eq!(
            log.iter().filter(|r| r.kind == "crossed_snapshot").count(),
            1,
            "{log:?}"
        );
    });
}
