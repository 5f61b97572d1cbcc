//! WebSocket over real TLS: channels, snapshot + diffs with seqnums, auth (both ways, both key derivations),
//! order entry and order/balance pushes, keep-alive.

mod common;
use ascendex_sim::{SimConfig, SimHandle, start};
use common::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

const T: Duration = Duration::from_secs(5);

fn sim() -> SimHandle {
    start(SimConfig {
        rate: 0,
        ..SimConfig::default()
    })
    .expect("start")
}

fn levels(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l[0].as_str().unwrap().to_string(),
                l[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Prices as integer cents for ordering; only used to sort BTC/USDT levels in the test's reference book.
fn key(p: &str) -> i64 {
    let (i, f) = p.split_once('.').unwrap_or((p, ""));
    let f = format!("{f:0<2}");
    i.parse::<i64>().unwrap() * 100 + f[..2].parse::<i64>().unwrap()
}

#[test]
fn depth_snapshot_then_diffs_rebuild_the_exact_book() {
    let sim = sim();
    rt().block_on(async {
        let mut ws = Ws::connect(&sim, "/api/pro/v2/stream", "").await.unwrap();
        let c = ws.json(T).await.unwrap();
        assert_eq!(c, json!({"m":"connected","type":"unauth"}));
        ws.send(json!({"id":"1795235214","op":"sub","ch":"depth:BTC/USDT"}))
            .await;
        let ack = ws.json(T).await.unwrap();
        assert_eq!(
            ack,
            json!({"m":"sub","id":"1795235214","ch":"depth:BTC/USDT","code":0})
        );
        sim.step(30);
        ws.send(
            json!({"id":"2","op":"req","action":"depth-snapshot","args":{"symbol":"BTC/USDT"}}),
        )
        .await;
        let snap = ws.until(T, |v| m(v) == "depth-snapshot").await.unwrap();
        assert!(snap.get("id").is_none(), "depth-snapshot carries no id");
        let s0 = snap["data"]["seqnum"].as_u64().unwrap();
        let mut bids: BTreeMap<i64, (String, String)> = levels(&snap["data"]["bids"])
            .into_iter()
            .map(|l| (key(&l.0), l))
            .collect();
        let mut asks: BTreeMap<i64, (String, String)> = levels(&snap["data"]["asks"])
            .into_iter()
            .map(|l| (key(&l.0), l))
            .collect();
        sim.step(400);
        let target = sim.book("BTC/USDT").unwrap();
        let mut last = s0;
        while last < target.seqnum {
            let d = ws.until(T, |v| m(v) == "depth").await.expect("diff");
            let s = d["data"]["seqnum"].as_u64().unwrap();
            if s <= s0 {
                continue;
            }
            assert_eq!(s, last + 1, "seqnum must step by one");
            last = s;
            for (side, book) in [("bids", &mut bids), ("asks", &mut asks)] {
                for (p, q) in levels(&d["data"][side]) {
                    if q == "0" {
                        book.remove(&key(&p));
                    } else {
                        book.insert(key(&p), (p, q));
                    }
                }
            }
        }
        let got_bids: Vec<_> = bids.values().rev().cloned().collect();
        let got_asks: Vec<_> = asks.values().cloned().collect();
        assert_eq!(got_bids, target.bids);
        assert_eq!(got_asks, target.asks);
    });
}

#[test]
fn public_channels_acks_and_unsub() {
    let sim = start(SimConfig {
        rate: 0,
        stamp: true,
        ..SimConfig::default()
    })
    .unwrap();
    rt().block_on(async {
        let mut ws = Ws::connect(&sim, "/api/pro/v1/stream", "").await.unwrap();
        ws.json(T).await.unwrap();
        for ch in ["trades:BTC/USDT,ETH/USDT,ASD/USDT,LTC/USDT,XRP/USDT,ADA/USDT,TRX/USDT", "bbo:BTC/USDT", "bar:1:BTC/USDT", "depth-realtime:ETH/USDT"] {
            ws.send(json!({"op":"sub","id":"x","ch":ch})).await;
            let a = ws.json(T).await.unwrap();
            assert_eq!(a, json!({"m":"sub","id":"x","ch":ch,"code":0}));
        }
        ws.send(json!({"op":"sub","id":"y","ch":"depth:NOPE/USDT"})).await;
        let a = ws.json(T).await.unwrap();
        assert_eq!(a["code"], 100008);
        let eleven = ["BTC/USDT"; 11].join(",");
        ws.send(json!({"op":"sub","id":"z","ch":format!("trades:{eleven}")})).await;
        assert_ne!(ws.json(T).await.unwrap()["code"], 0);
        sim.step(300);
        let (mut trades, mut bbo, mut bar, mut rt_depth) = (0, 0, 0, 0);
        while let Some(v) = ws.json(Duration::from_millis(300)).await {
            match m(&v) {
                "trades" => {
                    trades += 1;
                    let t = &v["data"][0];
                    assert!(t["p"].is_string() && t["q"].is_string() && t["ts"].is_u64() && t["bm"].is_boolean() && t["seqnum"].is_u64());
                    assert!(v["simNs"].as_u64().unwrap() > 1_600_000_000_000_000_000);
                }
                "bbo" => {
                    bbo += 1;
                    assert_eq!(v["symbol"], "BTC/USDT");
                    assert!(v["data"]["bid"][0].is_string());
                }
                "bar" => {
                    bar += 1;
                    assert_eq!(v["s"], "BTC/USDT");
                    assert_eq!(v["data"]["i"], "1");
                    for k in ["o", "c", "h", "l", "v"] {
                        assert!(v["data"][k].is_string());
                    }
                }
                "depth-realtime" => {
                    rt_depth += 1;
                    assert_eq!(v["symbol"], "ETH/USDT");
                }
                other => panic!("unexpected {other}: {v}"),
            }
        }
        assert!(trades > 0 && bbo > 0 && bar > 0 && rt_depth > 0, "{trades} {bbo} {bar} {rt_depth}");
        assert!(sim.doc_variants().iter().any(|v| v.contains("depth-realtime subscribed on an unauthenticated")));
        for ch in ["trades:*", "bbo", "bar:*:BTC/USDT", "depth-realtime:ETH/USDT"] {
            ws.send(json!({"op":"unsub","id":"u","ch":ch})).await;
            let a = ws.until(T, |v| m(v) == "unsub").await.unwrap();
            assert_eq!(a["ch"], ch);
        }
        // Drain anything in flight, then no more pushes.
        while ws.json(Duration::from_millis(200)).await.is_some() {}
        sim.step(100);
        assert!(ws.json(Duration::from_millis(300)).await.is_none());
        ws.send(json!({"op":"req","id":"r","action":"depth-snapshot-realtime","args":{"symbol":"ETH/USDT"}})).await;
        let s = ws.json(T).await.unwrap();
        assert_eq!(s["m"], "depth-snapshot-realtime");
        assert_eq!(s["data"]["seqnum"], sim.book("ETH/USDT").unwrap().seqnum);
        ws.send(json!({"op":"req","id":"r2","action":"trade-snapshot","args":{}})).await;
        let e = ws.json(T).await.unwrap();
        assert_eq!(e["m"], "error");
        assert_eq!(e["code"], 100005);
        ws.send_frame(1, b"{not json").await;
        assert_eq!(ws.json(T).await.unwrap()["code"], 150001);
    });
}

#[test]
fn auth_message_ready_mode_orders_and_pushes() {
    let sim = sim();
    let g = sim.account_group();
    rt().block_on(async {
        let mut ws = Ws::connect(&sim, &format!("/{g}/api/pro/v2/stream"), "").await.unwrap();
        assert_eq!(ws.json(T).await.unwrap()["type"], "unauth");
        // The order channel needs auth.
        ws.send(json!({"op":"sub","id":"o","ch":"order:CASH"})).await;
        assert_eq!(ws.json(T).await.unwrap()["code"], 100009);
        let a = ws.auth(&sim, true, Key::B64, true).await;
        assert_eq!(a, json!({"m":"auth","id":"a1","code":0,"ack":"ready"}));
        assert_eq!(sim.auth_variants(), vec!["ws:v2/stream:base64".to_string()]);
        assert!(sim.doc_variants().iter().any(|v| v == "ws auth: t as string"));
        ws.send(json!({"op":"sub","id":"o","ch":"order:CASH"})).await;
        assert_eq!(ws.json(T).await.unwrap(), json!({"m":"sub","id":"o","ch":"order:CASH","code":0}));

        let bid = sim.book("ASD/USDT").unwrap().bids[0].0.clone();
        let low = format!("{:.5}", bid.parse::<f64>().unwrap() * 0.9);
        let t = now_ms();
        ws.send(json!({"op":"req","action":"place-order","account":"cash","id":"p1","args":{"time":t,"id":"wsclient01","symbol":"ASD/USDT","orderPrice":low,"orderQty":"1000","orderType":"limit","side":"buy"}})).await;
        let ack = ws.until(T, |v| m(v) == "order" && v["action"] == "place-order").await.unwrap();
        assert_eq!(ack["status"], "Ack", "{ack}");
        let oid = ack["info"]["orderId"].as_str().unwrap().to_string();
        assert_eq!(oid, format!("s{:x}{}sclient01", t, sim.user_uid()));
        let push = ws.until(T, |v| m(v) == "order" && v.get("data").is_some()).await.unwrap();
        assert_eq!(push["ac"], "CASH");
        assert_eq!(push["accountId"], sim.account_id().as_str());
        let d = &push["data"];
        assert_eq!(d["st"], "Ready", "ready-ack mode has no New: {push}");
        assert_eq!(d["orderId"], oid.as_str());
        for k in ["s", "sn", "sd", "ot", "p", "q", "sp", "ap", "cfq", "cf", "fa", "err", "t", "ei", "bab", "btb", "qab", "qtb"] {
            assert!(d.get(k).is_some(), "missing {k} in {d}");
        }
        let usdt = sim.balances().into_iter().find(|b| b.asset == "USDT").unwrap();
        assert_eq!(d["qab"], usdt.available.as_str());
        assert_eq!(d["qtb"], usdt.total.as_str());
        ws.send(json!({"op":"req","action":"open-order","id":"oo","account":"cash","args":{"symbols":"ASD/USDT"}})).await;
        let oo = ws.until(T, |v| m(v) == "open-order").await.unwrap();
        assert_eq!(oo["data"][0]["orderId"], oid.as_str());
        ws.send(json!({"op":"req","action":"cancel-order","account":"cash","id":"c1","args":{"time":now_ms(),"id":"wscancel01","orderId":oid,"symbol":"ASD/USDT"}})).await;
        let ack = ws.until(T, |v| m(v) == "order" && v["action"] == "cancel-order").await.unwrap();
        assert_eq!(ack["status"], "Ack");
        let push = ws.until(T, |v| m(v) == "order" && v.get("data").is_some()).await.unwrap();
        assert_eq!(push["data"]["st"], "Canceled");
        let sn1 = push["data"]["sn"].as_u64().unwrap();
        // Cancel again: Err reply and the ready-mode OrderCancelReject push.
        ws.send(json!({"op":"req","action":"cancel-Order","account":"cash","id":"c2","args":{"time":now_ms(),"id":"wscancel02","orderId":oid,"symbol":"ASD/USDT"}})).await;
        let err = ws.until(T, |v| m(v) == "order" && v["action"] == "cancel-order").await.unwrap();
        assert_eq!(err["status"], "Err");
        assert_eq!(err["info"]["code"], 300019);
        let rej = ws.until(T, |v| m(v) == "order" && v.get("data").is_some()).await.unwrap();
        assert_eq!(rej["data"]["err"], "OrderCancelReject");
        assert_eq!(rej["data"]["text"], "TooLateToCancel");
        assert_eq!(rej["data"]["origOrderId"], oid.as_str());
        assert!(rej["data"]["sn"].as_u64().unwrap() > sn1);
        assert!(sim.doc_variants().iter().any(|v| v.contains("mixed case")));
        // A balance change not caused by an order.
        sim.set_balance("ASD", "123.5");
        let b = ws.until(T, |v| m(v) == "balance").await.unwrap();
        assert_eq!(b["ac"], "CASH");
        assert_eq!(b["data"]["a"], "ASD");
        assert_eq!(b["data"]["tb"], "123.5");
        assert_eq!(b["data"]["ab"], "123.5");
    });
}

#[test]
fn new_ack_mode_header_auth_and_post_only_sequence() {
    let sim = sim();
    let g = sim.account_group();
    rt().block_on(async {
        let t = now_ms();
        let sig = sign(&sim.api_secret(), Key::Raw, &format!("{t}+stream"));
        let h = format!("x-auth-key: {}\r\nx-auth-timestamp: {t}\r\nx-auth-signature: {sig}\r\n", sim.api_key());
        let mut ws = Ws::connect(&sim, &format!("/{g}/api/pro/v1/stream"), &h).await.unwrap();
        assert_eq!(ws.json(T).await.unwrap(), json!({"m":"connected","type":"auth"}));
        assert_eq!(sim.auth_variants(), vec!["ws-header:stream:raw".to_string()]);
        ws.send(json!({"op":"sub","id":"o","ch":"order:cash"})).await;
        assert_eq!(ws.json(T).await.unwrap()["code"], 0);
        let ask = sim.book("BTC/USDT").unwrap().asks[0].0.clone();
        ws.send(json!({"op":"req","action":"place-order","account":"cash","id":"p","args":{"time":now_ms(),"symbol":"BTC/USDT","orderPrice":ask,"orderQty":"0.001","orderType":"limit","side":"buy","postOnly":true}})).await;
        let a = ws.until(T, |v| m(v) == "order" && v["action"] == "place-order").await.unwrap();
        assert_eq!(a["status"], "Ack");
        let p1 = ws.until(T, |v| m(v) == "order" && v.get("data").is_some()).await.unwrap();
        let p2 = ws.until(T, |v| m(v) == "order" && v.get("data").is_some()).await.unwrap();
        assert_eq!(p1["data"]["st"], "New");
        assert_eq!(p2["data"]["st"], "Canceled");
        assert_eq!(p2["data"]["err"], "PostOnlyWouldTake");
        assert!(p2["data"]["sn"].as_u64() > p1["data"]["sn"].as_u64());

        // A bad header signature refuses the upgrade; a bad auth message answers code != 0.
        let bad = format!("x-auth-key: {}\r\nx-auth-timestamp: {t}\r\nx-auth-signature: AAAA\r\n", sim.api_key());
        let e = Ws::connect(&sim, &format!("/{g}/api/pro/v1/stream"), &bad).await.err().unwrap();
        assert!(e.starts_with("HTTP/1.1 401"), "{e}");
        let mut ws2 = Ws::connect(&sim, &format!("/{g}/api/pro/v1/stream"), "").await.unwrap();
        ws2.json(T).await.unwrap();
        ws2.send(json!({"op":"auth","id":"b","t":now_ms(),"key":sim.api_key(),"sig":"nope"})).await;
        let r = ws2.json(T).await.unwrap();
        assert_eq!(r["m"], "auth");
        assert_ne!(r["code"], 0);
        // v1 stream with the v2 prehash is refused (prehash follows the URL version).
        let tt = now_ms();
        let sig2 = sign(&sim.api_secret(), Key::Raw, &format!("{tt}+v2/stream"));
        ws2.send(json!({"op":"auth","id":"c","t":tt,"key":sim.api_key(),"sig":sig2})).await;
        assert_ne!(ws2.json(T).await.unwrap()["code"], 0);
        let e = Ws::connect(&sim, &format!("/{}/api/pro/v1/stream", g + 1), "").await.err().unwrap();
        assert!(e.starts_with("HTTP/1.1 404"), "{e}");
    });
}

#[test]
fn keep_alive_pings_pongs_and_missed_pong_disconnect() {
    let sim = start(SimConfig {
        rate: 0,
        ping_interval_ms: 200,
        ..SimConfig::default()
    })
    .unwrap();
    rt().block_on(async {
        let mut ws = Ws::connect(&sim, "/api/pro/v1/stream", "").await.unwrap();
        ws.json(T).await.unwrap();
        ws.send(json!({"op":"ping"})).await;
        let p = ws.json(T).await.unwrap();
        assert_eq!(p["m"], "pong");
        assert_eq!(p["code"], 0);
        assert!(p["ts"].as_u64().unwrap() > 1_600_000_000_000);
        assert!(p["hp"].is_u64());
        // Protocol ping frame -> pong frame with the same payload.
        ws.send_frame(0x9, b"hb").await;
        match ws.next(T).await {
            Msg::Control(0xA, p) => assert_eq!(p, b"hb"),
            other => panic!("expected a pong frame, got {other:?}"),
        }
        // Answering server pings keeps the session alive.
        for _ in 0..3 {
            let ping = ws.until(T, |v| m(v) == "ping").await.unwrap();
            assert!(ping["hp"].as_u64().unwrap() >= 1);
            ws.send(json!({"op":"pong","hp":ping["hp"]})).await;
        }
        assert_eq!(sim.ws_sessions(), 1);
        // Ignoring them: two missed pings, then the documented disconnected message and a close.
        let mut saw_disc = false;
        loop {
            match ws.next(Duration::from_secs(3)).await {
                Msg::Text(t) => {
                    if t.contains("\"disconnected\"") {
                        let v: Value = serde_json::from_str(&t).unwrap();
                        assert_eq!(v["code"], 100005);
                        assert_eq!(v["reason"], "INVALID_WS_REQUEST_DATA");
                        saw_disc = true;
                    }
                }
                Msg::Control(8, _) | Msg::Closed => break,
                Msg::Control(..) => {}
            }
        }
        assert!(saw_disc);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(sim.ws_sessions(), 0);
    });
}

#[test]
fn flow_rate_is_what_was_configured() {
    let sim = start(SimConfig {
        rate: 5000,
        ..SimConfig::default()
    })
    .unwrap();
    rt().block_on(async {
        let mut ws = Ws::connect(&sim, "/api/pro/v1/stream", "").await.unwrap();
        ws.json(T).await.unwrap();
        // At most 10 symbols per subscription message.
        let all = SimConfig::default().symbols;
        for ch in ["depth", "trades", "bbo"] {
            for syms in all.chunks(10) {
                let syms = syms.join(",");
                ws.send(json!({"op":"sub","id":ch,"ch":format!("{ch}:{syms}")}))
                    .await;
                // Pushes of the channels already subscribed can come before this acknowledgement.
                let ack = loop {
                    let v = ws.json(T).await.unwrap();
                    if v["m"] == "sub" {
                        break v;
                    }
                };
                assert_eq!(ack["code"], 0, "{ack}");
            }
        }
        let t0 = std::time::Instant::now();
        let mut n = 0u64;
        while t0.elapsed() < Duration::from_millis(1500) {
            if let Msg::Text(_) = ws.next(T).await {
                n += 1;
            }
        }
        let per_s = n as f64 / t0.elapsed().as_secs_f64();
        assert!(
            (2000.0..8000.0).contains(&per_s),
            "received {per_s:.0} msgs/s at rate 5000"
        );
    });
}
