//! The engine's HTTP/1.1-over-TLS client against a test server that misbehaves on purpose.

mod harness;
mod support;

use ascendex_hft::engine::{ConnSpec, ConnState};
use harness::{Recorder, engine, fast, run_until};
use support::{App, Behaviour, TestServer, body_bytes, pki};

fn get(path: &str) -> (String, String, Vec<u8>) {
    ("GET".into(), path.into(), Vec::new())
}

fn run_script(
    srv: &TestServer,
    spec_edit: impl Fn(&mut ConnSpec),
    script: Vec<(String, String, Vec<u8>)>,
) -> Recorder {
    let mut e = engine(&pki().ca_file);
    let mut spec = fast(ConnSpec::http(&srv.https_url()).unwrap());
    spec_edit(&mut spec);
    e.add(spec).unwrap();
    let n = script.len();
    let mut rec = Recorder {
        http_script: script,
        ..Default::default()
    };
    assert!(
        run_until(&mut e, &mut rec, move |r| r.http.len() >= n),
        "{:?} {:?}",
        rec.failures(),
        rec.http
    );
    rec
}

fn ok_body(rec: &Recorder, i: usize) -> &[u8] {
    match &rec.http[i].1 {
        Ok((200, b)) => b,
        other => panic!("response {i}: {other:?}"),
    }
}

#[test]
fn content_length_and_chunked_bodies_on_one_kept_alive_connection() {
    let srv = TestServer::start(App::Http, Behaviour::default());
    let rec = run_script(
        &srv,
        |_| {},
        vec![
            get("/len/100000"),
            get("/chunked/70000"),
            get("/len/0"),
            get("/len/5"),
        ],
    );
    assert!(
        ok_body(&rec, 0) == body_bytes(100_000),
        "content-length body differs"
    );
    assert!(
        ok_body(&rec, 1) == body_bytes(70_000),
        "chunked body differs"
    );
    assert!(ok_body(&rec, 2).is_empty());
    assert_eq!(ok_body(&rec, 3), &body_bytes(5)[..]);
    // The server counts a request after writing its response, so give it a moment.
    assert!(
        srv.wait_until(std::time::Duration::from_secs(5), |s| s.requests_served()
            == 4)
    );
    assert_eq!(srv.connections_accepted(), 1, "keep-alive was not used");
    assert_eq!(srv.requests_per_connection(), vec![4]);
}

#[test]
fn tiny_records_and_byte_at_a_time_chunked_responses() {
    let srv = TestServer::start(
        App::Http,
        Behaviour {
            max_fragment: Some(64),
            write_chunk: Some(1),
            ..Default::default()
        },
    );
    let rec = run_script(&srv, |_| {}, vec![get("/chunked/3000"), get("/len/2000")]);
    assert!(ok_body(&rec, 0) == body_bytes(3000));
    assert!(ok_body(&rec, 1) == body_bytes(2000));
}

#[test]
fn statuses_are_typed_errors_and_the_connection_survives_them() {
    let srv = TestServer::start(App::Http, Behaviour::default());
    let rec = run_script(
        &srv,
        |_| {},
        vec![
            get("/status/503"),
            get("/status/429"),
            get("/status/301"),
            get("/nope"),
            get("/len/3"),
        ],
    );
    let errs: Vec<String> = rec
        .http
        .iter()
        .take(4)
        .map(|(_, r)| r.clone().unwrap_err())
        .collect();
    assert!(errs[0].contains("HTTP 503"), "{errs:?}");
    assert!(errs[1].contains("HTTP 429"), "{errs:?}");
    assert!(errs[2].contains("redirect 301"), "{errs:?}");
    assert!(errs[3].contains("HTTP 404"), "{errs:?}");
    assert_eq!(ok_body(&rec, 4), &body_bytes(3)[..]);
    assert_eq!(srv.connections_accepted(), 1);
}

#[test]
fn interim_100_is_skipped_and_post_bodies_are_sent() {
    let srv = TestServer::start(App::Http, Behaviour::default());
    let body = br#"{"symbol":"BTC/USDT","orderQty":"0.001"}"#.to_vec();
    let rec = run_script(
        &srv,
        |_| {},
        vec![get("/100"), ("POST".into(), "/echo".into(), body.clone())],
    );
    ok_body(&rec, 0);
    assert_eq!(ok_body(&rec, 1), &body[..]);
    let reqs = srv.requests();
    let post = reqs.iter().find(|r| r.method == "POST").unwrap();
    assert!(
        post.headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("content-type") && v == "application/json")
    );
}

#[test]
fn connection_close_replaces_the_socket() {
    let srv = TestServer::start(App::Http, Behaviour::default());
    let rec = run_script(&srv, |_| {}, vec![get("/close"), get("/len/10")]);
    ok_body(&rec, 0);
    assert_eq!(ok_body(&rec, 1), &body_bytes(10)[..]);
    assert_eq!(srv.connections_accepted(), 2);
    assert!(rec.opens(0) >= 2);
}

#[test]
fn a_slow_response_times_out_and_the_next_request_uses_a_new_socket() {
    let srv = TestServer::start(App::Http, Behaviour::default());
    let rec = run_script(
        &srv,
        |s| s.request_timeout_ms = 300,
        vec![get("/sleep/3000"), get("/len/4")],
    );
    assert!(
        rec.http[0].1.as_ref().unwrap_err().contains("timed out"),
        "{:?}",
        rec.http[0]
    );
    assert_eq!(ok_body(&rec, 1), &body_bytes(4)[..]);
    assert!(rec.states.iter().any(|s| s.1 == ConnState::Backoff));
}

#[test]
fn a_restarted_server_is_reconnected() {
    let mut srv = TestServer::start(App::Http, Behaviour::default());
    let mut e = engine(&pki().ca_file);
    e.add(fast(ConnSpec::http(&srv.https_url()).unwrap()))
        .unwrap();
    let mut rec = Recorder {
        http_script: vec![get("/len/1")],
        ..Default::default()
    };
    assert!(run_until(&mut e, &mut rec, |r| r.http.len() == 1));
    srv.restart();
    rec.http_script.push(get("/len/2"));
    assert!(
        run_until(&mut e, &mut rec, |r| r.http.len() == 2),
        "{:?}",
        rec.failures()
    );
    assert_eq!(ok_body(&rec, 1), &body_bytes(2)[..]);
}
