//! Hostile input over TLS never takes the simulator down: it answers with documented errors and keeps serving.

mod common;
use ascendex_sim::{SimConfig, start};
use common::*;
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const T: Duration = Duration::from_secs(5);

#[test]
fn garbage_http_and_ws_input_is_refused_not_fatal() {
    let sim = start(SimConfig {
        rate: 0,
        ..SimConfig::default()
    })
    .unwrap();
    let g = sim.account_group();
    rt().block_on(async {
        // Not HTTP at all.
        let mut s = tls(&sim).await;
        s.write_all(b"\x00\x01\x02 garbage\r\n\r\n").await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = s.read(&mut buf).await.unwrap_or(0);
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 400"));
        // An absurd body length.
        let mut s = tls(&sim).await;
        s.write_all(b"POST /api/pro/v1/info HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999\r\n\r\n").await.unwrap();
        let n = s.read(&mut buf).await.unwrap_or(0);
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 413"));
        // Bodies that are not objects, fields of the wrong type, huge numbers, unicode ids.
        let order = format!("/{g}/api/pro/v1/cash/order");
        for b in [
            "[1,2,3]",
            "{\"symbol\":",
            "{\"symbol\":5,\"time\":\"x\"}",
            "{\"symbol\":\"BTC/USDT\",\"time\":99999999999999999999999,\"orderQty\":\"1\",\"orderType\":\"limit\",\"side\":\"buy\",\"orderPrice\":\"1\"}",
            "{\"symbol\":\"BTC/USDT\",\"time\":-9223372036854775808,\"orderQty\":\"1\",\"orderType\":\"limit\",\"side\":\"buy\",\"orderPrice\":\"1\"}",
        ] {
            let r = private(&sim, "POST", &order, "order", Some(b)).await;
            assert_eq!(r.status, 200);
            assert_ne!(r.body["code"], 0, "{b} -> {}", r.raw);
        }
        let t = now_ms();
        for (qty, px, id) in [("1e5", "1", "abcdefghij"), ("99999999999999999999999", "60000", "abcdefghij"), ("0.001", "-5", "abcdefghij"), ("0.001", "60000", "ééééééééééé")] {
            let b = json!({"symbol":"BTC/USDT","time":t,"orderQty":qty,"orderType":"limit","side":"buy","orderPrice":px,"id":id}).to_string();
            let r = private(&sim, "POST", &order, "order", Some(&b)).await;
            assert_ne!(r.body["code"], 0, "{b} -> {}", r.raw);
        }
        let r = get(&sim, "/api/pro/v1/exchange-info?requestTime=18446744073709551615").await;
        assert_eq!(r.body["code"], 0);
        let r = get(&sim, "/api/pro/v1/barhist?symbol=BTC%2&interval=%ZZ&n=-1").await;
        assert_ne!(r.body["code"], 0);

        // WS: unmasked frame -> closed; odd messages -> errors; the server keeps serving.
        let mut ws = Ws::connect(&sim, "/api/pro/v1/stream", "").await.unwrap();
        ws.json(T).await.unwrap();
        for msg in ["[]", "null", "{\"op\":5}", "{\"op\":\"sub\",\"ch\":7}", "{\"op\":\"req\",\"action\":\"depth-snapshot\",\"args\":[1]}", "{\"op\":\"auth\",\"t\":{},\"key\":1,\"sig\":null}"] {
            ws.send_frame(1, msg.as_bytes()).await;
            let v = ws.json(T).await.unwrap_or_else(|| panic!("no reply to {msg}"));
            assert_ne!(v["code"], 0, "{msg} -> {v}");
        }
        ws.s.write_all(&[0x81, 0x05, b'h', b'e', b'l', b'l', b'o']).await.unwrap();
        assert!(matches!(ws.next(T).await, Msg::Control(8, _) | Msg::Closed));
        let mut ws = Ws::connect(&sim, "/api/pro/v1/stream", "").await.unwrap();
        assert_eq!(ws.json(T).await.unwrap()["m"], "connected");
        let r = get(&sim, "/api/pro/v1/depth?symbol=BTC/USDT").await;
        assert_eq!(r.body["code"], 0);
    });
}

#[test]
fn requests_a_strict_server_refuses_get_a_plain_text_400_over_tls() {
    let sim = start(SimConfig {
        rate: 0,
        ..SimConfig::default()
    })
    .unwrap();
    rt().block_on(async {
        for (raw, why) in [
            (&b"POST /api/pro/v1/info HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"[..], "duplicate Content-Type"),
            (b"GET /api/pro/v1/info HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n", "duplicate Host"),
            (b"GET /api/pro/v1/info HTTP/1.1\nHost: h\n\n", "bare LF"),
            (b"POST /api/pro/v1/info HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n", "bad Content-Length"),
        ] {
            let mut s = tls(&sim).await;
            s.write_all(raw).await.unwrap();
            let mut got = Vec::new();
            let _ = tokio::time::timeout(T, s.read_to_end(&mut got)).await;
            let text = String::from_utf8_lossy(&got);
            assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{why}: {text}");
            assert!(text.contains("Content-Type: text/plain"), "{why}: {text}");
            assert!(text.contains(why), "{why}: {text}");
        }
        // The server keeps serving.
        let r = get(&sim, "/api/pro/v1/depth?symbol=BTC/USDT").await;
        assert_eq!(r.body["code"], 0);
    });
}
