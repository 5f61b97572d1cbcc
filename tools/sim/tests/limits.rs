//! WS message thresholds: level 1 ignores the op, level 2 disconnects and bans the IP for the ban period.

mod common;
use ascendex_sim::{Limits, SimConfig, start};
use common::*;
use serde_json::json;
use std::time::Duration;

const T: Duration = Duration::from_secs(5);

#[test]
fn level1_ignores_level2_disconnects_and_bans() {
    let limits = Limits {
        ban_ms: 1500,
        stream: (3, 5),
        ..Limits::default()
    };
    let sim = start(SimConfig {
        rate: 0,
        limits,
        ..SimConfig::default()
    })
    .unwrap();
    rt().block_on(async {
        let mut ws = Ws::connect(&sim, "/api/pro/v1/stream", "").await.unwrap();
        ws.json(T).await.unwrap();
        for k in 0..3 {
            ws.send(json!({"op":"sub","id":format!("s{k}"),"ch":"bbo:BTC/USDT"}))
                .await;
            assert_eq!(ws.json(T).await.unwrap()["id"], format!("s{k}"));
        }
        // Level 1: the 4th and 5th sub are ignored (no ack), other ops still work.
        for k in 3..5 {
            ws.send(json!({"op":"sub","id":format!("s{k}"),"ch":"bbo:BTC/USDT"}))
                .await;
        }
        ws.send(json!({"op":"ping","id":"p"})).await;
        let v = ws.json(T).await.unwrap();
        assert_eq!(v["m"], "pong", "subs above level 1 get no ack: {v}");
        // Level 2: disconnected, closed, IP banned.
        ws.send(json!({"op":"sub","id":"s5","ch":"bbo:BTC/USDT"}))
            .await;
        let d = ws.until(T, |v| m(v) == "disconnected").await.unwrap();
        assert!(d["info"].as_str().unwrap().contains("level 2"));
        assert!(ws.json(Duration::from_millis(500)).await.is_none());
        let kinds: Vec<String> = sim.fault_log().into_iter().map(|r| r.kind).collect();
        assert_eq!(kinds, vec!["limit_level1", "limit_level1", "limit_level2"]);
        let e = Ws::connect(&sim, "/api/pro/v1/stream", "")
            .await
            .err()
            .unwrap();
        assert!(e.starts_with("HTTP/1.1 403"), "{e}");
        let rl = get(&sim, "/api/pro/v2/risk-limit-info?ip=127.0.0.1").await;
        assert_eq!(rl.body["data"]["webSocket"]["status"]["isBanned"], true);
        tokio::time::sleep(Duration::from_millis(1600)).await;
        assert!(Ws::connect(&sim, "/api/pro/v1/stream", "").await.is_ok());
    });
}

#[test]
fn snapshot_and_order_requests_have_their_own_thresholds() {
    let limits = Limits {
        snapshot: (2, 100),
        order: (1, 100),
        window_ms: 60_000,
        ..Limits::default()
    };
    let sim = start(SimConfig {
        rate: 0,
        limits,
        ..SimConfig::default()
    })
    .unwrap();
    rt().block_on(async {
        let mut ws = Ws::connect(&sim, "/api/pro/v1/stream", "").await.unwrap();
        ws.json(T).await.unwrap();
        for _ in 0..3 {
            ws.send(json!({"op":"req","action":"depth-snapshot","args":{"symbol":"BTC/USDT"}})).await;
        }
        ws.send(json!({"op":"req","id":"mt","action":"market-trades","args":{"symbol":"BTC/USDT","level":5}})).await;
        let mut snaps = 0;
        while let Some(v) = ws.json(Duration::from_millis(300)).await {
            match m(&v) {
                "depth-snapshot" => snaps += 1,
                "market-trades" => assert_eq!(v["data"].as_array().unwrap().len(), 5),
                _ => {}
            }
        }
        assert_eq!(snaps, 2);
        // order group: the second place-order request is ignored (not even an auth error reply).
        for k in 0..2 {
            ws.send(json!({"op":"req","id":format!("o{k}"),"action":"place-order","args":{}})).await;
        }
        let first = ws.json(T).await.unwrap();
        assert_eq!(first["id"], "o0");
        assert!(ws.json(Duration::from_millis(300)).await.is_none());
    });
}
