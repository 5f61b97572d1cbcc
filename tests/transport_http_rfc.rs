//! Responses as RFC 9112 allows them (chunked with extensions and trailers, bodies ended by the close, bodiless
//! 204/304 whatever their headers say, interim 1xx, repeated fields where lists are legal, HTTP/1.0) are read
//! right; framing that makes the body's end ambiguous is refused with a named reason; a head that never ends
//! fails the request instead of wedging the loop.

mod harness;
mod hostile_kit;
mod support;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ascendex_hft::engine::ConnSpec;
use harness::{Recorder, engine, fast, run_until};
use hostile_kit::{Peer, RawServer};

/// What the server does with the next request (whichever connection it comes on).
enum Act {
    Send(&'static [u8]),
    SendCloseNotify(&'static [u8]),
    SendFin(&'static [u8]),
    /// Send the bytes, then keep the connection open without a word.
    SendHold(Vec<u8>),
}

fn server(acts: Vec<Act>) -> RawServer {
    let q = Arc::new(Mutex::new(VecDeque::from(acts)));
    RawServer::start(move |_, p: &mut Peer| {
        while p.read_request() {
            let Some(act) = q.lock().unwrap().pop_front() else {
                return;
            };
            match act {
                Act::Send(b) => {
                    if p.send(b).is_err() {
                        return;
                    }
                }
                Act::SendCloseNotify(b) => {
                    let _ = p.send_then_close_notify(b);
                    return;
                }
                Act::SendFin(b) => {
                    let _ = p.send_then_fin(b);
                    return;
                }
                Act::SendHold(b) => {
                    let _ = p.send(&b);
                    std::thread::sleep(Duration::from_secs(10));
                    return;
                }
            }
        }
    })
}

fn run(srv: &RawServer, n: usize) -> Recorder {
    let mut e = engine(&support::pki().ca_file);
    e.add(fast(ConnSpec::http(&srv.https_url()).unwrap()))
        .unwrap();
    let mut rec = Recorder {
        http_script: (0..n)
            .map(|i| ("GET".to_string(), format!("/r/{i}"), Vec::new()))
            .collect(),
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

fn body(rec: &Recorder, i: usize) -> (u16, String) {
    match &rec.http[i].1 {
        Ok((code, b)) => (*code, String::from_utf8_lossy(b).into_owned()),
        Err(e) => panic!("response {i}: {e}"),
    }
}

fn err(rec: &Recorder, i: usize) -> String {
    match &rec.http[i].1 {
        Ok(r) => panic!("response {i} accepted: {r:?}"),
        Err(e) => e.clone(),
    }
}

#[test]
fn bodies_framed_every_way_rfc_9112_allows() {
    let srv = server(vec![
        Act::Send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n1\r\n!\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\n"),
        // No body on 204/304 whatever the headers claim: the next response must parse from the next byte.
        Act::Send(b"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n"),
        Act::Send(b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 10\r\n\r\n"),
        // Repeated fields: lists (Cache-Control), Set-Cookie, identical Content-Length values (RFC 9110 §8.6).
        Act::Send(b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 3\r\nCache-Control: no-cache\r\nContent-Length: 3\r\nCache-Control: no-store\r\n\r\nabc"),
        Act::Send(b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nConnection: keep-alive, x-custom\r\n\r\nhi"),
        Act::Send(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
        Act::Send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 999\r\n\r\n4\r\nboth\r\n0\r\n\r\n"),
        // Both framings: chunked wins, and the socket is not reused (next request on connection 2).
        Act::SendCloseNotify(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nread until the close"),
        Act::Send(b"HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nold!"),
        // HTTP/1.0 without keep-alive closes: this one comes on connection 4.
        Act::Send(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nka"),
        Act::Send(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlast"),
    ]);
    let rec = run(&srv, 11);
    assert_eq!(body(&rec, 0), (200, "hello!".into()));
    assert_eq!(body(&rec, 1), (204, String::new()));
    assert!(err(&rec, 2).contains("304"), "{}", err(&rec, 2));
    assert_eq!(body(&rec, 3), (200, "abc".into()));
    assert_eq!(body(&rec, 4), (200, "hi".into()));
    assert_eq!(body(&rec, 5), (200, "ok".into()));
    assert_eq!(body(&rec, 6), (200, "both".into()));
    assert_eq!(body(&rec, 7), (200, "read until the close".into()));
    assert_eq!(body(&rec, 8), (200, "old!".into()));
    assert_eq!(body(&rec, 9), (200, "ka".into()));
    assert_eq!(body(&rec, 10), (200, "last".into()));
    // Connections: 0 for 0..=6, 1 for 7 (close-delimited), 2 for 8 (HTTP/1.0 closes), 3 for 9 and 10 (1.0
    // keep-alive kept).
    assert_eq!(srv.accepted.load(std::sync::atomic::Ordering::SeqCst), 4);
}

#[test]
fn ambiguous_or_broken_framing_is_refused_with_a_reason() {
    let srv = server(vec![
        Act::Send(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
        Act::Send(b"HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nabc"),
        Act::Send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
        Act::Send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
        Act::Send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"),
        // A close-delimited body cut by a bare FIN may be truncated: refused, not handed over as complete.
        Act::SendFin(b"HTTP/1.1 200 OK\r\n\r\n{\"code\":0,\"da"),
        Act::Send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    ]);
    let rec = run(&srv, 7);
    let want = [
        "conflicting Content-Length",
        "bad Content-Length",
        "a transfer coding after chunked",
        "bad chunk size",
        "101 Switching Protocols",
        "without TLS close_notify",
    ];
    for (i, w) in want.iter().enumerate() {
        assert!(err(&rec, i).contains(w), "response {i}: {}", err(&rec, i));
    }
    assert_eq!(body(&rec, 6), (200, "ok".into()), "the client recovers");
}

/// A head that never ends, sent as fast as the socket takes it.
fn endless_head(first: &str) -> Vec<u8> {
    let mut v = first.as_bytes().to_vec();
    v.extend_from_slice(b"X-Pad: ");
    v.resize(v.len() + 2 * 1024 * 1024, b'a');
    v
}

#[test]
fn a_head_that_never_ends_fails_the_request_instead_of_wedging_the_loop() {
    let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..5000 {
        many.extend_from_slice(format!("X-{i}: 1\r\n").as_bytes());
    }
    let mut trailer =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: ".to_vec();
    trailer.resize(trailer.len() + 2 * 1024 * 1024, b'b');
    let mut ext = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;".to_vec();
    ext.resize(ext.len() + 1024 * 1024, b'c');
    let srv = server(vec![
        Act::SendHold(endless_head("HTTP/1.1 200 OK\r\n")),
        Act::SendHold(many),
        Act::SendHold(trailer),
        Act::SendHold(ext),
        Act::Send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    ]);
    let t = Instant::now();
    let rec = run(&srv, 5);
    let took = t.elapsed();
    eprintln!("4 hostile heads refused and a good answer read in {took:?}");
    assert!(
        err(&rec, 0).contains("response head over 65536 bytes"),
        "{}",
        err(&rec, 0)
    );
    assert!(
        err(&rec, 1).contains("over 100 header fields"),
        "{}",
        err(&rec, 1)
    );
    assert!(
        err(&rec, 2).contains("response head over"),
        "{}",
        err(&rec, 2)
    );
    assert!(
        err(&rec, 3).contains("chunk size line too long"),
        "{}",
        err(&rec, 3)
    );
    assert_eq!(body(&rec, 4), (200, "ok".into()));
    // Each is refused as soon as the cap is crossed, not at the 10 s request timeout.
    assert!(took < Duration::from_secs(5), "took {took:?}");
}
