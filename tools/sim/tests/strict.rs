//! Strict-docs mode: undocumented paths, methods, parameters and the lenient aliases of the default mode are answered
//! `404` in plain text and logged; documented requests are served as in the default mode.

mod common;
use ascendex_sim::{SimConfig, SimHandle, start};
use common::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn sim(strict_docs: bool) -> SimHandle {
    start(SimConfig {
        rate: 0,
        strict_docs,
        ..SimConfig::default()
    })
    .expect("start")
}

/// One unsigned request on a fresh connection: (status, Content-Type, body).
async fn raw(sim: &SimHandle, method: &str, target: &str, body: &str) -> (u16, String, String) {
    let mut s = tls(sim).await;
    let req = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    let ct = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-type")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_default();
    (status, ct, body.to_string())
}

#[test]
fn undocumented_requests_get_a_plain_text_404_and_are_logged() {
    let sim = sim(true);
    let cases: &[(&str, &str, &str)] = &[
        ("GET", "/_sim/state", "harness endpoint"),
        ("GET", "/api/pro/v1/products", "no documented endpoint"),
        ("GET", "/api/pro/v1/assets", "no documented endpoint"),
        ("GET", "/api/pro/v1/cash/products/", "trailing slash"),
        ("POST", "/api/pro/v1/cash/products", "documents GET"),
        (
            "GET",
            "/api/pro/v1/depth?symbol=BTC/USDT&limit=5",
            "\"limit\"",
        ),
        (
            "GET",
            "/api/pro/v1/depth",
            "required query parameter \"symbol\"",
        ),
        ("GET", "/api/pro/v1/exchange-info", "\"requestTime\""),
        ("GET", "/6/api/pro/v1/margin/balance", "does not simulate"),
        ("GET", "/6/api/pro/v2/order/hist", "no documented endpoint"),
    ];
    rt().block_on(async {
        for (m, target, why) in cases {
            let (status, ct, body) = raw(&sim, m, target, "").await;
            assert_eq!(status, 404, "{m} {target}: {body}");
            assert!(ct.starts_with("text/plain"), "{m} {target}: {ct}");
            assert!(serde_json::from_str::<Value>(&body).is_err(), "{body}");
            let last = sim.refused_requests().pop().expect("logged");
            assert_eq!((last.method.as_str(), last.target.as_str()), (*m, *target));
            assert!(last.reason.contains(why), "{m} {target}: {}", last.reason);
        }
    });
    assert_eq!(sim.refused_requests().len(), cases.len());
}

#[test]
fn documented_requests_are_served_and_nothing_is_refused() {
    let sim = sim(true);
    let g = sim.account_group();
    rt().block_on(async {
        for target in [
            "/api/pro/v1/cash/products",
            "/api/pro/v2/assets",
            "/api/pro/v1/spot/ticker?symbol=BTC/USDT",
            "/api/pro/v1/ticker?symbol=BTC/USDT,",
            "/api/pro/v1/depth?symbol=BTC%2FUSDT",
            "/api/pro/v1/trades?symbol=BTC/USDT&n=5",
            "/api/pro/v1/barhist/info",
            "/api/pro/v1/barhist?symbol=BTC/USDT&interval=1&n=3",
            "/api/pro/v1/exchange-info?requestTime=1",
            "/api/pro/v2/risk-limit-info",
        ] {
            let r = get(&sim, target).await;
            assert_eq!((r.status, &r.body["code"]), (200, &json!(0)), "{target}: {}", r.raw);
        }
        let r = private(&sim, "GET", "/api/pro/v1/info", "info", None).await;
        assert_eq!(r.body["data"]["accountGroup"], g);
        let r = private(&sim, "GET", &format!("/{g}/api/pro/v1/cash/balance?showAll=true"), "balance", None).await;
        assert_eq!(r.body["code"], 0, "{}", r.raw);
        let place = json!({"symbol": "BTC/USDT", "time": now_ms(), "orderQty": "0.001", "orderType": "limit",
            "side": "buy", "id": "strict0001", "orderPrice": "40000", "postOnly": true, "timeInForce": "GTC", "respInst": "ACCEPT"});
        let r = private(&sim, "POST", &format!("/{g}/api/pro/v1/cash/order"), "order", Some(&place.to_string())).await;
        assert_eq!(r.body["data"]["status"], "ACCEPT", "{}", r.raw);
        let oid = r.body["data"]["info"]["orderId"].as_str().unwrap().to_string();
        let r = private(&sim, "GET", &format!("/{g}/api/pro/v1/cash/order/status?orderId={oid}"), "order/status", None).await;
        assert_eq!(r.body["data"]["status"], "New", "{}", r.raw);
        let cancel = json!({"id": "strict0002", "orderId": oid, "symbol": "BTC/USDT", "time": now_ms()});
        let r = private(&sim, "DELETE", &format!("/{g}/api/pro/v1/cash/order"), "order", Some(&cancel.to_string())).await;
        assert_eq!(r.body["code"], 0, "{}", r.raw);
        let all = json!({"symbol": "BTC/USDT", "time": now_ms()});
        let r = private(&sim, "DELETE", &format!("/{g}/api/pro/v1/cash/order/all"), "order/all", Some(&all.to_string())).await;
        assert_eq!(r.body["code"], 0, "{}", r.raw);
        let r = private(&sim, "GET", "/api/pro/data/v2/order/hist?account=cash&limit=5", "data/v2/order/hist", None).await;
        assert_eq!(r.body["code"], 0, "{}", r.raw);
    });
    assert!(
        sim.refused_requests().is_empty(),
        "{:#?}",
        sim.refused_requests()
    );
    assert_eq!(sim.orders().len(), 1);
}

#[test]
fn lenient_aliases_of_the_default_mode_are_refused() {
    for strict in [false, true] {
        let sim = sim(strict);
        let g = sim.account_group();
        rt().block_on(async {
            let place = |id: &str, extra: Value| {
                let mut o = json!({"symbol": "BTC/USDT", "time": now_ms(), "orderQty": "0.001", "orderType": "limit",
                    "side": "buy", "id": id, "orderPrice": "40000"});
                for (k, v) in extra.as_object().unwrap() {
                    o[k] = v.clone();
                }
                o.to_string()
            };
            let order = format!("/{g}/api/pro/v1/cash/order");
            // One resting order per cancel case: in the default mode each cancel succeeds.
            let mut oids = Vec::new();
            for id in ["strictA0001", "strictA0002", "strictA0003"] {
                let r = private(&sim, "POST", &order, "order", Some(&place(id, json!({})))).await;
                oids.push(r.body["data"]["info"]["orderId"].as_str().unwrap().to_string());
            }
            // (request, what the default mode answers with code 0)
            let cases: Vec<(&str, String, String, &str)> = vec![
                ("POST", order.clone(), place("strictB0001", json!({"clientOrderId": "x"})), "order"),
                ("POST", order.clone(), place("strictC0001", json!({"timeInForce": "PO", "postOnly": true})), "order"),
                ("DELETE", format!("{order}?orderId={}&symbol=BTC/USDT&time={}", oids[0], now_ms()), String::new(), "order"),
                ("DELETE", order.clone(), json!({"origCoid": oids[1], "symbol": "BTC/USDT", "time": now_ms()}).to_string(), "order"),
                ("DELETE", order.clone(), json!({"orderId": oids[2], "symbol": "BTC/USDT"}).to_string(), "order"),
            ];
            for (m, target, body, prehash) in &cases {
                let b = (!body.is_empty()).then_some(body.as_str());
                let r = private(&sim, m, target, prehash, b).await;
                if strict {
                    assert_eq!(r.status, 404, "{m} {target} {body}: {}", r.raw);
                    assert!(r.raw.starts_with("404"), "{}", r.raw);
                } else {
                    assert_eq!((r.status, &r.body["code"]), (200, &json!(0)), "{m} {target} {body}: {}", r.raw);
                }
            }
            if strict {
                let reasons: Vec<String> = sim.refused_requests().into_iter().map(|r| r.reason).collect();
                assert_eq!(reasons.len(), cases.len(), "{reasons:#?}");
                for (r, want) in reasons.iter().zip(["\"clientOrderId\"", "timeInForce=\"PO\"", "query parameter \"orderId\"", "\"origCoid\"", "\"time\" missing"]) {
                    assert!(r.contains(want), "{r} lacks {want}");
                }
            } else {
                assert!(sim.refused_requests().is_empty());
            }
        });
    }
}

#[test]
fn websocket_upgrade_paths_are_exact_in_strict_mode() {
    let sim = sim(true);
    let g = sim.account_group();
    rt().block_on(async {
        for path in [
            "/api/pro/v1/stream",
            &format!("/{g}/api/pro/v1/stream"),
            "/api/pro/v2/stream",
        ] {
            assert!(Ws::connect(&sim, path, "").await.is_ok(), "{path}");
        }
        for path in [
            "/api/pro/v1/stream/",
            "/api/pro/v1/stream?x=1",
            "/api/pro/stream",
        ] {
            let e = Ws::connect(&sim, path, "")
                .await
                .err()
                .unwrap_or_else(|| panic!("{path} accepted"));
            assert!(
                e.starts_with("HTTP/1.1 404") && e.contains("text/plain"),
                "{path}: {e}"
            );
        }
    });
    assert_eq!(sim.refused_requests().len(), 3);
}

#[test]
fn websocket_messages_beyond_the_docs_are_answered_with_an_error_and_logged() {
    let sim = sim(true);
    let g = sim.account_group();
    let secs = std::time::Duration::from_secs(5);
    rt().block_on(async {
        let mut public = Ws::connect(&sim, "/api/pro/v1/stream", "").await.unwrap();
        public.send(json!({"op":"sub","id":"s1","ch":"depth-realtime:BTC/USDT"})).await;
        let e = public.until(secs, |v| m(v) == "error").await.expect("an error reply");
        assert_eq!((e["id"].as_str(), e["code"].as_i64()), (Some("s1"), Some(100005)));
        // A documented subscription on the same session is served.
        public.send(json!({"op":"sub","id":"s2","ch":"depth:BTC/USDT"})).await;
        let ack = public.until(secs, |v| m(v) == "sub" || m(v) == "error").await.unwrap();
        assert_eq!((m(&ack), ack["code"].as_i64()), ("sub", Some(0)), "{ack}");

        let mut ws = Ws::connect(&sim, &format!("/{g}/api/pro/v1/stream"), "").await.unwrap();
        assert_eq!(ws.auth(&sim, false, Key::Raw, false).await["code"], 0);
        let args = |extra: Value| {
            let mut a = json!({"time": now_ms(), "symbol": "BTC/USDT", "orderPrice": "40000", "orderQty": "0.001",
                "orderType": "limit", "side": "buy"});
            for (k, v) in extra.as_object().unwrap() {
                a[k] = v.clone();
            }
            a
        };
        // The demo's `coid` and ccxt's `clientOrderId` are refused; the documented `id`, in the examples' mixed case, is not.
        for (i, extra) in [json!({"coid": "strictWs0001"}), json!({"id": "strictWs0002", "clientOrderId": "x"})].into_iter().enumerate() {
            let rid = format!("r{i}");
            ws.send(json!({"op":"req","id":rid,"action":"place-order","account":"cash","args":args(extra)})).await;
            let e = ws.until(secs, |v| m(v) == "error" || m(v) == "order").await.unwrap();
            assert_eq!((m(&e), e["id"].as_str()), ("error", Some(rid.as_str())), "{e}");
        }
        ws.send(json!({"op":"req","id":"r9","action":"place-Order","account":"cash","args":args(json!({"id":"strictWs0003"}))})).await;
        let ack = ws.until(secs, |v| m(v) == "error" || (m(v) == "order" && v["id"] == "r9")).await.unwrap();
        assert_eq!((m(&ack), ack["status"].as_str()), ("order", Some("Ack")), "{ack}");
    });
    let refused = sim.refused_requests();
    assert_eq!(refused.len(), 3, "{refused:#?}");
    assert!(refused.iter().all(|r| r.method == "WS"));
    assert!(
        refused[0].reason.contains("requires authentication"),
        "{}",
        refused[0].reason
    );
    assert!(
        refused[1].reason.contains("\"coid\""),
        "{}",
        refused[1].reason
    );
    assert!(
        refused[2].reason.contains("\"clientOrderId\""),
        "{}",
        refused[2].reason
    );
    assert_eq!(
        sim.orders().len(),
        1,
        "only the documented order was placed"
    );
}

#[test]
fn a_body_needs_exactly_one_json_content_type() {
    let sim = sim(true);
    let g = sim.account_group();
    let target = format!("/{g}/api/pro/v1/cash/order");
    let body = json!({"symbol": "BTC/USDT", "time": now_ms(), "orderQty": "0.001", "orderType": "limit", "side": "buy", "orderPrice": "40000"}).to_string();
    rt().block_on(async {
        // A repeated Content-Type is refused by the request parser in every mode (400, not logged here); the
        // missing or non-JSON one only by strict mode, which logs it.
        for (headers, why) in [
            ("Content-Type: application/json\r\nContent-Type: application/json\r\n", None),
            ("", Some("without Content-Type")),
            ("Content-Type: text/plain\r\n", Some("\"text/plain\"")),
        ] {
            let before = sim.refused_requests().len();
            let mut s = tls(&sim).await;
            let req = format!(
                "POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            s.write_all(req.as_bytes()).await.unwrap();
            let mut buf = Vec::new();
            let _ = s.read_to_end(&mut buf).await;
            let text = String::from_utf8_lossy(&buf);
            assert!(
                text.starts_with("HTTP/1.1 400") && text.contains("text/plain"),
                "{headers:?}: {text}"
            );
            let logged = sim.refused_requests()[before..].to_vec();
            match why {
                Some(w) => {
                    assert_eq!(logged.len(), 1, "{logged:?}");
                    assert!(logged[0].reason.contains(w), "{}", logged[0].reason);
                }
                None => assert!(logged.is_empty(), "{logged:?}"),
            }
        }
        // Exactly one: the signed request goes through (common::Http sends one Content-Type).
        let r = private(&sim, "POST", &target, "order", Some(&body)).await;
        assert_eq!(r.body["code"], 0, "{}", r.raw);
    });
    assert_eq!(sim.refused_requests().len(), 2);
}
