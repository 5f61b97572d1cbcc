//! Every request the client can build, checked by an independent HTTP/1.1 parser (Python's h11, the parser
//! behind httpx/hypercorn): each REST endpoint builder serialized the way the session and the CLI send it, and the
//! bytes real commands put on the wire (recorded by a TLS proxy in front of the simulator). Any request h11
//! rejects, or with a field repeated, Host not exactly once or a wrong Content-Length, fails the test.
//!
//! Needs `python3` with `h11` (`pip install h11`); without them the test prints why and passes vacuously.

mod hostile_kit;
mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use ascendex_hft::net::http::write_request;
use ascendex_hft::orders::*;
use ascendex_hft::venue::ascendex::auth::{AuthHeaders, Credentials, KeyDerivation, Signer};
use ascendex_hft::venue::ascendex::rest::market::*;
use ascendex_hft::venue::ascendex::rest::trading::*;
use ascendex_hft::venue::ascendex::stream::trading::{Account, OrderSpec, PlaceOrder, RespInst};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/h11_check.py");

/// None (with the reason printed) when python3 or h11 is missing.
fn h11_available() -> bool {
    match Command::new("python3").args(["-c", "import h11"]).output() {
        Ok(o) if o.status.success() => true,
        Ok(o) => {
            eprintln!(
                "skipping: python3 has no h11 (pip install h11): {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            false
        }
        Err(e) => {
            eprintln!("skipping: cannot run python3: {e}");
            false
        }
    }
}

/// Runs the checker over `streams`; returns (passed, its output).
fn h11_check(streams: &[Vec<u8>]) -> (bool, String) {
    let mut input = Vec::new();
    for s in streams {
        input.extend_from_slice(&(s.len() as u64).to_be_bytes());
        input.extend_from_slice(s);
    }
    let mut child = Command::new("python3")
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let o = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), text)
}

fn checked_count(out: &str) -> usize {
    out.lines().filter(|l| l.starts_with("request ")).count()
}

fn signer() -> Signer {
    Credentials::new("k3yk3yk3y".into(), "s3cr3t".into())
        .unwrap()
        .signer(KeyDerivation::RawSecret)
        .unwrap()
}

/// One built request serialized as the session sends it (auth headers only) and as the CLI does (auth headers
/// plus its own Content-Type for a body), for two Host forms.
fn serialize_all(out: &mut Vec<Vec<u8>>, s: &Signer, r: &RestRequest<'_>) {
    let path = std::str::from_utf8(r.path).unwrap();
    let h = s.headers(1_700_000_000_000, r.prehash);
    let ts = h.timestamp.as_str().to_string();
    let sig = h.signature.as_str().to_string();
    let key = h.key.to_string();
    let auth = [
        (AuthHeaders::KEY, key.as_str()),
        (AuthHeaders::TIMESTAMP, ts.as_str()),
        (AuthHeaders::SIGNATURE, sig.as_str()),
    ];
    let session: Vec<(&str, &str)> = if r.signed { auth.to_vec() } else { vec![] };
    let mut cli = session.clone();
    if !r.body.is_empty() {
        cli.push(("Content-Type", "application/json"));
    }
    for host in ["127.0.0.1:8443", "ascendex.com"] {
        for headers in [&session, &cli] {
            let mut buf = Vec::new();
            write_request(&mut buf, host, r.method.as_str(), path, headers, r.body)
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            out.push(buf);
        }
    }
}

fn get(path: &[u8]) -> RestRequest<'_> {
    RestRequest {
        method: Method::Get,
        path,
        prehash: ascendex_hft::venue::ascendex::auth::ApiPath::Other("market"),
        signed: false,
        body: b"",
    }
}

#[test]
fn every_built_request_is_clean_http_1_1() {
    if !h11_available() {
        return;
    }
    let s = signer();
    let mut reqs = Vec::new();
    let mut b = RestBuffers::with_capacity(512);
    let cid = ClientId::new(b"hftH0000abcd").unwrap();
    let oid = OrderId::new(b"a18d8972df3cU7223046196BGzSSwzfj").unwrap();
    let order = PlaceOrder {
        client_id: &cid,
        time_ms: 1699323490303,
        spec: OrderSpec {
            symbol_id: SymbolId(0),
            symbol: "BTC/USDT",
            side: Side::Buy,
            kind: OrderKind::Limit,
            price: 2_500_000,
            price_scale: 2,
            qty: 20,
            qty_scale: 5,
            stop_price: None,
            post_only: true,
            tif: TimeInForce::Gtc,
        },
        resp_inst: RespInst::Ack,
    };
    let item = CancelItem {
        request_id: &cid,
        order_id: &oid,
        symbol: "BTC/USDT",
        time_ms: 1701161145825,
    };
    for account in [Account::Cash, Account::Margin] {
        serialize_all(
            &mut reqs,
            &s,
            &place_order(&mut b, 6, account, &order).unwrap(),
        );
        serialize_all(
            &mut reqs,
            &s,
            &cancel_order(&mut b, 6, account, &item).unwrap(),
        );
        for sym in [None, Some("BTC/USDT")] {
            serialize_all(
                &mut reqs,
                &s,
                &cancel_all(&mut b, 6, account, 1, sym).unwrap(),
            );
            serialize_all(&mut reqs, &s, &open_orders(&mut b, 6, account, sym));
            serialize_all(
                &mut reqs,
                &s,
                &order_hist_current(&mut b, 6, account, Some(10), sym, true),
            );
            serialize_all(
                &mut reqs,
                &s,
                &balance(&mut b, 6, account, sym.map(|_| "BTC"), true),
            );
            let q = HistQuery {
                symbol: sym,
                start_ms: Some(1),
                end_ms: Some(2),
                seq_num: Some(3),
                limit: Some(5000),
            };
            serialize_all(&mut reqs, &s, &order_hist_v2(&mut b, account, &q));
        }
        serialize_all(
            &mut reqs,
            &s,
            &batch_place(&mut b, 6, account, &[order, order]).unwrap(),
        );
        serialize_all(
            &mut reqs,
            &s,
            &batch_place_each(&mut b, 6, account, 3, |_, out| {
                ascendex_hft::venue::ascendex::stream::trading::write_order_object(out, &order)
            })
            .unwrap(),
        );
        serialize_all(
            &mut reqs,
            &s,
            &batch_cancel(&mut b, 6, account, &[item, item]).unwrap(),
        );
        serialize_all(
            &mut reqs,
            &s,
            &order_status(&mut b, 6, account, &[oid, oid]),
        );
        serialize_all(&mut reqs, &s, &products(&mut b, account));
    }
    serialize_all(&mut reqs, &s, &account_info(&mut b));
    serialize_all(&mut reqs, &s, &exchange_info(&mut b, 1_700_000_000_000));
    let mut p = Vec::new();
    for sym in ["BTC/USDT", "A B&C"] {
        depth_path(&mut p, sym);
        serialize_all(&mut reqs, &s, &get(&p));
        trades_path(&mut p, sym, Some(500));
        serialize_all(&mut reqs, &s, &get(&p));
        ticker_path(&mut p, &[sym, "ETH/USDT"]);
        serialize_all(&mut reqs, &s, &get(&p));
        barhist_path(
            &mut p,
            sym,
            BarInterval::parse("1").unwrap(),
            Some(1),
            Some(2),
            Some(9),
        );
        serialize_all(&mut reqs, &s, &get(&p));
    }
    ticker_path(&mut p, &[]);
    serialize_all(&mut reqs, &s, &get(&p));
    barhist_info_path(&mut p);
    serialize_all(&mut reqs, &s, &get(&p));
    for cat in [
        ProductCategory::All,
        ProductCategory::Cash,
        ProductCategory::Margin,
    ] {
        products_path(&mut p, cat);
        serialize_all(&mut reqs, &s, &get(&p));
    }
    let (ok, out) = h11_check(&reqs);
    assert!(ok, "{out}");
    assert_eq!(checked_count(&out), reqs.len(), "{out}");
}

#[test]
fn the_checker_catches_what_a_strict_server_refuses() {
    if !h11_available() {
        return;
    }
    // What the client sent before the fix, and other framing faults: each must fail on its own.
    let bad: [&[u8]; 4] = [
        b"POST /6/api/pro/v1/cash/order HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x",
        b"GET / HTTP/1.1\r\nHost: h\r\nX-Bad\x01: 1\r\n\r\n",
    ];
    for raw in bad {
        let (ok, out) = h11_check(&[raw.to_vec()]);
        assert!(!ok, "accepted {:?}: {out}", String::from_utf8_lossy(raw));
    }
    let (ok, out) = h11_check(&[b"GET / HTTP/1.1\r\nHost: h\r\n\r\n".to_vec()]);
    assert!(ok, "{out}");
}

#[test]
fn requests_real_commands_send_are_clean_http_1_1() {
    if !h11_available() {
        return;
    }
    let sim = ascendex_sim::start(ascendex_sim::SimConfig::default()).expect("simulator starts");
    let proxy = hostile_kit::CaptureProxy::start(sim.addr(), &sim.ca_pem());
    let ca = &support::pki().ca_file;
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_ascendex"))
            .arg("--rest-url")
            .arg(proxy.https_url())
            .arg("--ca-file")
            .arg(ca)
            .args(args)
            .env("ASCENDEX_API_KEY", sim.api_key())
            .env("ASCENDEX_API_SECRET", sim.api_secret())
            .output()
            .expect("binary runs");
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    run(&["--json", "ticker", "BTC/USDT"]);
    run(&[
        "--json",
        "candles",
        "BTC/USDT",
        "--interval",
        "1",
        "--limit",
        "3",
    ]);
    run(&["--json", "balance"]);
    let placed = run(&[
        "--json", "order", "place", "BTC/USDT", "buy", "0.001", "--price", "50000",
    ]);
    let id = placed
        .lines()
        .find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            v["orderId"].as_str().map(str::to_string)
        })
        .expect("order id");
    run(&["--json", "order", "status", &id]);
    run(&["--json", "orders", "BTC/USDT"]);
    run(&["--json", "order", "cancel", "BTC/USDT", &id]);
    run(&["--json", "order", "cancel-all", "BTC/USDT"]);
    run(&["--json", "book", "BTC/USDT", "--updates", "2"]);
    run(&["--json", "mm", "BTC/USDT", "--seconds", "2"]);
    let streams = proxy.streams();
    let (ok, out) = h11_check(&streams);
    assert!(ok, "{out}");
    // Every command made at least one request; the signed POST and DELETEs are among them.
    let n = checked_count(&out);
    assert!(n >= 10, "only {n} requests recorded: {out}");
    for want in ["POST /", "DELETE /", "GET /api/pro/v1/stream"] {
        assert!(out.contains(want), "no {want} request recorded: {out}");
    }
}
