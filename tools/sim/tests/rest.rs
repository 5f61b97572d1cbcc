//! REST over real TLS: public market data, signing (both key derivations), order entry and account state.

mod common;
use ascendex_sim::{SimConfig, start};
use common::*;
use serde_json::{Value, json};

fn sim() -> ascendex_sim::SimHandle {
    start(SimConfig {
        rate: 0,
        ..SimConfig::default()
    })
    .expect("start")
}

#[test]
fn public_endpoints_match_the_docs_and_the_simulator_state() {
    let sim = sim();
    rt().block_on(async {
        let r = get(&sim, "/api/pro/v1/cash/products").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["code"], 0);
        let rows = r.body["data"].as_array().unwrap();
        let btc = rows.iter().find(|x| x["symbol"] == "BTC/USDT").unwrap();
        assert_eq!(btc["tickSize"], "0.01");
        assert_eq!(btc["lotSize"], "0.00001");
        assert_eq!(btc["commissionReserveRate"], "0.001");
        let r = get(&sim, "/api/pro/v1/products").await;
        let p = r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["symbol"] == "ASD/USDT")
            .unwrap()
            .clone();
        assert_eq!(p["baseAsset"], "ASD");
        assert_eq!(p["quoteAsset"], "USDT");
        assert_eq!(p["status"], "Normal");
        let r = get(&sim, "/api/pro/v2/assets").await;
        assert!(
            r.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["assetCode"] == "BTC" && a["blockChain"].is_array())
        );
        let r = get(&sim, "/api/pro/v2/futures/contract").await;
        assert_eq!(r.body, json!({"code":0,"data":[]}));

        // Ticker: one symbol -> object; trailing comma or list -> array; none -> all.
        let one = get(&sim, "/api/pro/v1/ticker?symbol=BTC%2FUSDT").await.body;
        assert!(one["data"].is_object());
        let book = sim.book("BTC/USDT").unwrap();
        assert_eq!(one["data"]["bid"][0], book.bids[0].0.as_str());
        assert_eq!(one["data"]["ask"][1], book.asks[0].1.as_str());
        let l1 = get(&sim, "/api/pro/v1/spot/ticker?symbol=BTC/USDT,")
            .await
            .body;
        assert_eq!(l1["data"].as_array().unwrap().len(), 1);
        let l2 = get(&sim, "/api/pro/v1/spot/ticker?symbol=BTC/USDT,ETH/USDT")
            .await
            .body;
        assert_eq!(l2["data"].as_array().unwrap().len(), 2);
        let all = get(&sim, "/api/pro/v1/spot/ticker").await.body;
        assert_eq!(
            all["data"].as_array().unwrap().len(),
            SimConfig::default().symbols.len()
        );
        let bad = get(&sim, "/api/pro/v1/ticker?symbol=NOPE/USDT").await.body;
        assert_eq!(bad["code"], 100008);

        // Depth equals the simulator's book, seqnum included.
        sim.step(25);
        let d = get(&sim, "/api/pro/v1/depth?symbol=BTC%2FUSDT").await.body;
        let book = sim.book("BTC/USDT").unwrap();
        assert_eq!(d["data"]["m"], "depth-snapshot");
        assert_eq!(d["data"]["symbol"], "BTC/USDT");
        assert_eq!(d["data"]["data"]["seqnum"], book.seqnum);
        let bids: Vec<(String, String)> = d["data"]["data"]["bids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l[0].as_str().unwrap().to_string(),
                    l[1].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(bids, book.bids);

        let t = get(&sim, "/api/pro/v1/trades?symbol=BTC/USDT&n=5")
            .await
            .body;
        let trades = t["data"]["data"].as_array().unwrap();
        assert_eq!(trades.len(), 5);
        assert_eq!(t["data"]["m"], "trades");
        let seqs: Vec<u64> = trades
            .iter()
            .map(|x| x["seqnum"].as_u64().unwrap())
            .collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]));

        let info = get(&sim, "/api/pro/v1/barhist/info").await.body;
        let names: Vec<&str> = info["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "1", "5", "15", "30", "60", "120", "240", "360", "720", "1d", "1w", "1m"
            ]
        );
        for iv in ["1", "60", "1d", "1w", "1m"] {
            let b = get(
                &sim,
                &format!("/api/pro/v1/barhist?symbol=BTC/USDT&interval={iv}&n=3"),
            )
            .await
            .body;
            let bars = b["data"].as_array().unwrap();
            assert_eq!(bars.len(), 3, "interval {iv}");
            assert_eq!(bars[0]["m"], "bar");
            assert_eq!(bars[0]["data"]["i"], iv);
            let ts: Vec<u64> = bars
                .iter()
                .map(|x| x["data"]["ts"].as_u64().unwrap())
                .collect();
            assert!(ts[0] > ts[1] && ts[1] > ts[2]);
        }
        let b = get(&sim, "/api/pro/v1/barhist?symbol=BTC/USDT&interval=1&n=900")
            .await
            .body;
        assert_eq!(b["data"].as_array().unwrap().len(), 500);
        let now = now_ms();
        let e = get(
            &sim,
            &format!("/api/pro/v1/exchange-info?requestTime={now}"),
        )
        .await
        .body;
        assert_eq!(e["data"]["requestTimeEcho"], now);
        assert!(e["data"]["requestReceiveAt"].as_u64().unwrap() >= now);
        let rl = get(&sim, "/api/pro/v2/risk-limit-info").await.body;
        assert_eq!(
            rl["data"]["webSocket"]["messageThreshold"]["level1OpThreshold"]["sub"],
            150
        );
        let nf = get(&sim, "/api/pro/v1/nothing").await;
        assert_eq!(nf.status, 404);
    });
}

#[test]
fn signing_accepts_both_key_derivations_and_records_them() {
    let sim = sim();
    rt().block_on(async {
        let mut h = Http::new(&sim).await;
        let r = h
            .req(
                &sim,
                "GET",
                "/api/pro/v1/info",
                None,
                Some(("info", Key::Raw, 0)),
            )
            .await;
        assert_eq!(r.body["code"], 0, "{}", r.raw);
        assert_eq!(r.body["data"]["accountGroup"], sim.account_group());
        assert_eq!(r.body["data"]["userUID"], sim.user_uid().as_str());
        let r = h
            .req(
                &sim,
                "GET",
                "/api/pro/v1/info",
                None,
                Some(("info", Key::B64, 0)),
            )
            .await;
        assert_eq!(r.body["code"], 0);
        assert_eq!(
            sim.auth_variants(),
            vec!["rest:info:raw".to_string(), "rest:info:base64".to_string()]
        );
        // Wrong prehash path, stale timestamp, no headers, wrong group.
        let r = h
            .req(
                &sim,
                "GET",
                "/api/pro/v1/info",
                None,
                Some(("balance", Key::Raw, 0)),
            )
            .await;
        assert_eq!(r.body["code"], 200001);
        assert_eq!(r.body["reason"], "AUTHENTICATION_FAILED");
        let r = h
            .req(
                &sim,
                "GET",
                "/api/pro/v1/info",
                None,
                Some(("info", Key::Raw, -31_000)),
            )
            .await;
        assert_eq!(r.body["code"], 100011);
        let r = h.req(&sim, "GET", "/api/pro/v1/info", None, None).await;
        assert_eq!(r.body["code"], 100009);
        let g = sim.account_group() + 1;
        let r = h
            .req(
                &sim,
                "GET",
                &format!("/{g}/api/pro/v1/cash/balance"),
                None,
                Some(("balance", Key::Raw, 0)),
            )
            .await;
        assert_ne!(r.body["code"], 0);
        // The group is never part of the prehash.
        let g = sim.account_group();
        let r = h
            .req(
                &sim,
                "GET",
                &format!("/{g}/api/pro/v1/cash/balance"),
                None,
                Some(("balance", Key::Raw, 0)),
            )
            .await;
        assert_eq!(r.body["code"], 0);
        let usdt = r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["asset"] == "USDT")
            .unwrap()
            .clone();
        assert_eq!(usdt["totalBalance"], "100000");
        for (path, pre) in [("spot/fee", "fee"), ("spot/fee/info", "fee")] {
            let r = h
                .req(
                    &sim,
                    "GET",
                    &format!("/{g}/api/pro/v1/{path}"),
                    None,
                    Some((pre, Key::Raw, 0)),
                )
                .await;
            assert_eq!(r.body["code"], 0, "{path}: {}", r.raw);
            assert_eq!(r.body["data"]["domain"], "spot");
        }
    });
}

fn body(v: Value) -> String {
    v.to_string()
}

#[test]
fn order_entry_cancel_races_and_history() {
    let sim = sim();
    let g = sim.account_group();
    let order = format!("/{g}/api/pro/v1/cash/order");
    rt().block_on(async {
        let mut h = Http::new(&sim).await;
        let t = now_ms();
        let book = sim.book("BTC/USDT").unwrap();
        let best_ask: f64 = book.asks[0].0.parse().unwrap();
        let low = format!("{:.2}", (best_ask * 0.9).floor());
        // A resting limit buy: the documented order id, Ack, then visible in open orders with funds locked.
        let r = h
            .req(&sim, "POST", &order, Some(&body(json!({"symbol":"BTC/USDT","time":t,"orderQty":"0.01","orderType":"limit","side":"buy","orderPrice":low,"id":"myclid123456"}))), Some(("order", Key::Raw, 0)))
            .await;
        assert_eq!(r.body["code"], 0, "{}", r.raw);
        assert_eq!(r.body["data"]["status"], "Ack");
        let oid = r.body["data"]["info"]["orderId"].as_str().unwrap().to_string();
        assert_eq!(oid, format!("a{:x}{}lid123456", t, sim.user_uid()));
        let o = sim.order(&oid).unwrap();
        assert_eq!(o.status, "New");
        let open = h.req(&sim, "GET", &format!("/{g}/api/pro/v1/cash/order/open"), None, Some(("order/open", Key::Raw, 0))).await;
        assert_eq!(open.body["data"][0]["orderId"], oid.as_str());
        assert_eq!(open.body["data"][0]["status"], "New");
        let st = h.req(&sim, "GET", &format!("/{g}/api/pro/v1/cash/order/status?orderId={oid}"), None, Some(("order/status", Key::Raw, 0))).await;
        assert!(st.body["data"].is_object());
        assert_eq!(st.body["data"]["price"], low.trim_end_matches(".00"));
        let st2 = h.req(&sim, "GET", &format!("/{g}/api/pro/v1/cash/order/status?orderId={oid},"), None, Some(("order/status", Key::Raw, 0))).await;
        assert!(st2.body["data"].is_array());
        let usdt = sim.balances().into_iter().find(|b| b.asset == "USDT").unwrap();
        assert_ne!(usdt.total, usdt.available);
        // The resting order is in the public book.
        let b = sim.book("BTC/USDT").unwrap();
        assert!(b.bids.iter().any(|(p, _)| p == low.trim_end_matches(".00")));

        // Cancel (JSON body on DELETE), then cancel again: the documented refusal.
        let c = h.req(&sim, "DELETE", &order, Some(&body(json!({"symbol":"BTC/USDT","time":now_ms(),"id":"foobar","orderId":oid}))), Some(("order", Key::Raw, 0))).await;
        assert_eq!(c.body["code"], 0, "{}", c.raw);
        assert_eq!(c.body["data"]["action"], "cancel-order");
        assert_eq!(sim.order(&oid).unwrap().status, "Canceled");
        let usdt = sim.balances().into_iter().find(|b| b.asset == "USDT").unwrap();
        assert_eq!(usdt.total, usdt.available);
        let c2 = h.req(&sim, "DELETE", &order, Some(&body(json!({"symbol":"BTC/USDT","time":now_ms(),"orderId":oid}))), Some(("order", Key::Raw, 0))).await;
        assert_eq!(c2.body["code"], 300019);
        assert_eq!(c2.body["status"], "Err");
        assert_eq!(c2.body["info"]["errorCode"], "TooLateToCancel");
        let c3 = h.req(&sim, "DELETE", &order, Some(&body(json!({"symbol":"BTC/USDT","time":now_ms(),"orderId":"nope"}))), Some(("order", Key::Raw, 0))).await;
        assert_eq!(c3.body["info"]["errorCode"], "NoOpenForCancel");
        let bad = h.req(&sim, "DELETE", &order, Some(&body(json!({"symbol":"BTC/USDT","time":now_ms(),"id":"x@fabs","orderId":oid}))), Some(("order", Key::Raw, 0))).await;
        assert_eq!(bad.body["code"], 300006);

        // Market buy: filled at once against the book; DONE returns the final state.
        let ask = sim.book("BTC/USDT").unwrap().asks[0].clone();
        let m = h.req(&sim, "POST", &order, Some(&body(json!({"symbol":"BTC/USDT","time":now_ms(),"orderQty":"0.001","orderType":"market","side":"buy","respInst":"DONE"}))), Some(("order", Key::Raw, 0))).await;
        assert_eq!(m.body["data"]["status"], "DONE", "{}", m.raw);
        assert_eq!(m.body["data"]["info"]["status"], "Filled");
        assert_eq!(m.body["data"]["info"]["avgPx"], ask.0.as_str());
        assert_eq!(m.body["data"]["info"]["feeAsset"], "USDT");

        // Post-only crossing the book: Rejected with PostOnlyWouldTake, nothing traded.
        let ask = sim.book("BTC/USDT").unwrap().asks[0].0.clone();
        let p = h
            .req(&sim, "POST", &order, Some(&body(json!({"symbol":"BTC/USDT","time":now_ms(),"orderQty":"0.001","orderType":"limit","side":"buy","orderPrice":ask,"postOnly":true,"respInst":"ACCEPT"}))), Some(("order", Key::Raw, 0)))
            .await;
        assert_eq!(p.body["data"]["info"]["status"], "Rejected", "{}", p.raw);
        assert_eq!(p.body["data"]["info"]["errorCode"], "PostOnlyWouldTake");
        assert_eq!(p.body["data"]["info"]["execInst"], "Post");

        // IOC below the market: canceled, nothing filled.
        let i = h
            .req(&sim, "POST", &order, Some(&body(json!({"symbol":"BTC/USDT","time":now_ms(),"orderQty":"0.001","orderType":"limit","side":"buy","orderPrice":low,"timeInForce":"IOC","respInst":"DONE"}))), Some(("order", Key::Raw, 0)))
            .await;
        assert_eq!(i.body["data"]["info"]["status"], "Canceled", "{}", i.raw);
        assert_eq!(i.body["data"]["info"]["cumFilledQty"], "0");

        // Validation errors with documented codes.
        for (b, code) in [
            (json!({"symbol":"BTC/USDT","time":now_ms(),"orderQty":"0.000001","orderType":"limit","side":"buy","orderPrice":low}), 300002),
            (json!({"symbol":"BTC/USDT","time":now_ms(),"orderQty":"0.01","orderType":"limit","side":"buy","orderPrice":"100.001"}), 300014),
            (json!({"symbol":"BTC/USDT","time":now_ms(),"orderQty":"100","orderType":"limit","side":"buy","orderPrice":low}), 300004),
            (json!({"symbol":"BTC/USDT","time":now_ms(),"orderQty":"5","orderType":"limit","side":"sell","orderPrice":"70000"}), 300011),
            (json!({"symbol":"BTC/USDT","time":now_ms() - 60_000,"orderQty":"0.01","orderType":"limit","side":"buy","orderPrice":low}), 100011),
            (json!({"symbol":"BTC/USDT","time":now_ms(),"orderQty":"0.01","orderType":"limit","side":"up","orderPrice":low}), 300003),
            (json!({"symbol":"NOPE/USDT","time":now_ms(),"orderQty":"0.01","orderType":"limit","side":"buy","orderPrice":low}), 300012),
        ] {
            let r = h.req(&sim, "POST", &order, Some(&body(b.clone())), Some(("order", Key::Raw, 0))).await;
            assert_eq!(r.body["code"], code, "{b} -> {}", r.raw);
            assert_eq!(r.body["status"], "Err");
        }

        // Batch place (all-or-nothing basic checks) and batch cancel.
        let bt = now_ms();
        let batch = json!({"orders":[
            {"id":"batchid001","time":bt,"symbol":"BTC/USDT","orderPrice":low,"orderQty":"0.001","orderType":"limit","side":"buy"},
            {"id":"batchid002","time":bt,"symbol":"BTC/USDT","orderPrice":low,"orderQty":"0.002","orderType":"limit","side":"buy"}]});
        let r = h.req(&sim, "POST", &format!("{order}/batch"), Some(&batch.to_string()), Some(("order/batch", Key::Raw, 0))).await;
        assert_eq!(r.body["data"]["action"], "batch-place-order", "{}", r.raw);
        let ids: Vec<String> = r.body["data"]["info"].as_array().unwrap().iter().map(|x| x["orderId"].as_str().unwrap().to_string()).collect();
        assert_eq!(sim.open_orders().len(), 2);
        let badb = json!({"orders":[{"id":"batchid003","time":bt,"symbol":"BTC/USDT","orderPrice":low,"orderQty":"0.001","orderType":"limit","side":"buy"},
            {"id":"batchid004","time":bt,"symbol":"BTC/USDT","orderPrice":low,"orderQty":"0.0000001","orderType":"limit","side":"buy"}]});
        let r = h.req(&sim, "POST", &format!("{order}/batch"), Some(&badb.to_string()), Some(("order/batch", Key::Raw, 0))).await;
        assert_eq!(r.body["code"], 300013);
        assert_eq!(sim.open_orders().len(), 2);
        let cb = json!({"orders": ids.iter().map(|i| json!({"id":"cancelid1","orderId":i,"symbol":"BTC/USDT","time":now_ms()})).collect::<Vec<_>>()});
        let r = h.req(&sim, "DELETE", &format!("{order}/batch"), Some(&cb.to_string()), Some(("order/batch", Key::Raw, 0))).await;
        assert_eq!(r.body["data"]["action"], "batch-cancel-order", "{}", r.raw);
        assert!(sim.open_orders().is_empty());

        // Cancel-all.
        for k in 0..3 {
            let r = h.req(&sim, "POST", &order, Some(&body(json!({"symbol":"ETH/USDT","time":now_ms(),"orderQty":"0.01","orderType":"limit","side":"buy","orderPrice":format!("{}", 2000 + k)}))), Some(("order", Key::Raw, 0))).await;
            assert_eq!(r.body["code"], 0, "{}", r.raw);
        }
        assert_eq!(sim.open_orders().len(), 3);
        let r = h.req(&sim, "DELETE", &format!("{order}/all"), Some(&body(json!({"time":now_ms(),"symbol":"ETH/USDT"}))), Some(("order/all", Key::Raw, 0))).await;
        assert_eq!(r.body["data"]["action"], "cancel-all");
        assert!(sim.open_orders().is_empty());

        // History: current and v2, newest first without startTime.
        let hc = h.req(&sim, "GET", &format!("/{g}/api/pro/v1/cash/order/hist/current?n=50"), None, Some(("order/hist/current", Key::Raw, 0))).await;
        let n_closed = sim.orders().iter().filter(|o| o.status != "New" && o.status != "PartiallyFilled").count();
        assert_eq!(hc.body["data"].as_array().unwrap().len(), n_closed);
        let hv = h.req(&sim, "GET", "/api/pro/data/v2/order/hist?account=cash&limit=1000", None, Some(("data/v2/order/hist", Key::Raw, 0))).await;
        let seqs: Vec<u64> = hv.body["data"].as_array().unwrap().iter().map(|x| x["seqNum"].as_u64().unwrap()).collect();
        assert_eq!(seqs.len(), n_closed);
        assert!(seqs.windows(2).all(|w| w[0] > w[1]));
        let from = seqs[seqs.len() / 2];
        let hv2 = h.req(&sim, "GET", &format!("/api/pro/data/v2/order/hist?account=cash&seqNum={from}"), None, Some(("data/v2/order/hist", Key::Raw, 0))).await;
        let s2: Vec<u64> = hv2.body["data"].as_array().unwrap().iter().map(|x| x["seqNum"].as_u64().unwrap()).collect();
        assert!(s2.iter().all(|s| *s >= from) && s2.windows(2).all(|w| w[0] < w[1]));
    });
}

#[test]
fn a_resting_order_is_filled_by_the_synthetic_counterparty() {
    let sim = sim();
    let g = sim.account_group();
    rt().block_on(async {
        let bid = sim.book("BTC/USDT").unwrap().bids[0].0.clone();
        let px = format!("{}", bid.parse::<f64>().unwrap().floor() as i64 + 1);
        let r = private(&sim, "POST", &format!("/{g}/api/pro/v1/cash/order"), "order", Some(&body(json!({"symbol":"BTC/USDT","time":now_ms(),"orderQty":"0.002","orderType":"limit","side":"buy","orderPrice":px})))).await;
        let oid = r.body["data"]["info"]["orderId"].as_str().unwrap().to_string();
        for _ in 0..200 {
            sim.step(100);
            if sim.order(&oid).unwrap().status == "Filled" {
                let o = sim.order(&oid).unwrap();
                assert_eq!(o.filled_qty, "0.002");
                // Maker fee 0.1% of the notional, in USDT.
                let notional: f64 = px.parse::<f64>().unwrap() * 0.002;
                assert!((o.fee.parse::<f64>().unwrap() - notional * 0.001).abs() < 1e-8, "fee {}", o.fee);
                let btc = sim.balances().into_iter().find(|b| b.asset == "BTC").unwrap();
                assert_eq!(btc.total, "1.002");
                return;
            }
        }
        panic!("order never filled");
    });
}

#[test]
fn same_seed_same_flow() {
    let a = sim();
    let b = sim();
    let c = start(SimConfig {
        rate: 0,
        seed: 99,
        ..SimConfig::default()
    })
    .unwrap();
    a.step(500);
    b.step(500);
    c.step(500);
    for s in ["BTC/USDT", "ASD/USDT", "TRX/USDT"] {
        let (x, y, z) = (a.book(s).unwrap(), b.book(s).unwrap(), c.book(s).unwrap());
        assert_eq!(x.bids, y.bids);
        assert_eq!(x.asks, y.asks);
        assert!(x.bids != z.bids || x.asks != z.asks);
    }
}

#[test]
fn resp_inst_done_waits_for_the_fill() {
    let sim = sim();
    let g = sim.account_group();
    let bid = sim.book("BTC/USDT").unwrap().bids[0].0.clone();
    let px = format!("{}", bid.parse::<f64>().unwrap().floor() as i64 + 1);
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(300));
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                sim.step(50);
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        });
        rt().block_on(async {
            let t0 = std::time::Instant::now();
            let r = private(&sim, "POST", &format!("/{g}/api/pro/v1/cash/order"), "order", Some(&body(json!({"symbol":"BTC/USDT","time":now_ms(),"orderQty":"0.001","orderType":"limit","side":"buy","orderPrice":px,"respInst":"DONE"})))).await;
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            assert_eq!(r.body["data"]["status"], "DONE", "{}", r.raw);
            assert!(t0.elapsed() >= std::time::Duration::from_millis(250), "the reply waited for the fill");
            let st = r.body["data"]["info"]["status"].as_str().unwrap().to_string();
            assert!(st == "Filled" || st == "PartiallyFilled", "{st}");
            let now_st = sim.order(r.body["data"]["info"]["orderId"].as_str().unwrap()).unwrap().status;
            assert!(now_st == "Filled" || now_st == "PartiallyFilled", "{now_st}");
        });
    });
}

#[test]
fn older_documented_field_names_and_prehashes_are_accepted_and_recorded() {
    let sim = sim();
    let g = sim.account_group();
    rt().block_on(async {
        let mut h = Http::new(&sim).await;
        let r = h.req(&sim, "GET", &format!("/{g}/api/pro/v1/spot/fee/info"), None, Some(("fee/info", Key::Raw, 0))).await;
        assert_eq!(r.body["code"], 0, "{}", r.raw);
        let t = now_ms();
        let r = h
            .req(&sim, "POST", &format!("/{g}/api/pro/v1/cash/order"), Some(&body(json!({"symbol":"ETH/USDT","time":t,"orderQty":"0.01","orderType":"limit","side":"buy","orderPrice":"2000","coid":"democoid01"}))), Some(("order", Key::Raw, 0)))
            .await;
        let oid = r.body["data"]["info"]["orderId"].as_str().unwrap().to_string();
        assert!(oid.ends_with("emocoid01"), "{oid}");
        let r = h.req(&sim, "DELETE", &format!("/{g}/api/pro/v1/cash/order"), Some(&body(json!({"symbol":"ETH/USDT","time":now_ms(),"origCoid":oid}))), Some(("order", Key::Raw, 0))).await;
        assert_eq!(r.body["code"], 0, "{}", r.raw);
        assert_eq!(sim.order(&oid).unwrap().status, "Canceled");
        let v = sim.doc_variants();
        for want in ["rest prehash fee/info for spot/fee/info", "order: old coid field instead of id (demo)", "cancel: old origCoid field instead of orderId (demo)"] {
            assert!(v.iter().any(|x| x == want), "{want} not in {v:?}");
        }
        assert!(sim.auth_variants().contains(&"rest:fee/info:raw".to_string()));
    });
}
