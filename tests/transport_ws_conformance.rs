//! RFC 6455 rules a client must enforce, through the engine against the test server over real TLS: the server
//! writes hand-made frames (`cmd:raw`) and we check what the client did — the close code it failed the connection
//! with (recorded by the server), the reason it reported, and that nothing after the violation was delivered.
//! Also: messages larger than the TLS send buffer are written in pieces, not refused.

mod harness;
mod support;

use std::time::Duration;

use ascendex_hft::engine::{ConnSpec, ConnState, Engine};
use harness::{Recorder, engine, fast, run_until};
use support::{App, Behaviour, TestServer, pki};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An unmasked server frame with the shortest length form.
fn frame(fin: bool, op: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![(if fin { 0x80 } else { 0 }) | op];
    let n = payload.len();
    if n < 126 {
        f.push(n as u8);
    } else if n <= 65535 {
        f.push(126);
        f.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        f.push(127);
        f.extend_from_slice(&(n as u64).to_be_bytes());
    }
    f.extend_from_slice(payload);
    f
}

/// A frame header announcing `len` bytes in the 64-bit length form, with no payload after it.
fn header64(fin: bool, op: u8, len: u64) -> Vec<u8> {
    let mut f = vec![(if fin { 0x80 } else { 0 }) | op, 127];
    f.extend_from_slice(&len.to_be_bytes());
    f
}

struct Outcome {
    srv: TestServer,
    rec: Recorder,
}

impl Outcome {
    fn failure(&self) -> String {
        self.rec.failures().join(" | ")
    }

    /// The close code the client sent, once the server has read it.
    fn client_close(&self) -> Option<u16> {
        self.srv
            .wait_until(Duration::from_secs(5), |s| s.client_sent_close());
        self.srv.client_close_code()
    }
}

/// One engine connection (no reconnect) whose server writes `wire` as soon as it is open; runs until it stops.
fn serve_raw(wire: &[u8]) -> Outcome {
    let srv = TestServer::start(App::WsEcho, Behaviour::default());
    let mut e = engine(&pki().ca_file);
    let mut spec = fast(ConnSpec::websocket(&srv.ws_url(), vec![]).unwrap());
    spec.reconnect = false;
    spec.max_message = 1 << 20;
    let id = e.add(spec).unwrap();
    let mut rec = Recorder {
        on_open_ws: vec![(id, format!("cmd:raw {}", hex(wire)).into_bytes())],
        ..Default::default()
    };
    let stopped = run_until(&mut e, &mut rec, |r| {
        r.states.iter().any(|s| s.1 == ConnState::Stopped)
    });
    assert!(stopped, "the connection survived: {:?}", rec.states);
    Outcome { srv, rec }
}

#[test]
fn a_continuation_of_2_pow_64_minus_1_bytes_fails_with_1002_and_swallows_nothing() {
    let wire = [
        frame(false, 0x1, b"abc"),
        header64(true, 0x0, u64::MAX),
        frame(true, 0x1, b"after"),
    ]
    .concat();
    let o = serve_raw(&wire);
    assert!(o.rec.messages.is_empty(), "delivered: {:?}", o.rec.messages);
    let f = o.failure();
    assert!(
        f.contains("most significant bit") && f.contains("1002"),
        "{f}"
    );
    assert_eq!(o.client_close(), Some(1002), "{f}");
}

#[test]
fn a_continuation_past_the_cap_fails_with_1009_before_any_of_it_is_read() {
    // 2^63 - 1: the largest legal length, so the cap is what stops it (`so_far + len` must not wrap).
    let wire = [
        frame(false, 0x2, b"abc"),
        header64(true, 0x0, (1 << 63) - 1),
        frame(true, 0x1, b"after"),
    ]
    .concat();
    let o = serve_raw(&wire);
    assert!(o.rec.messages.is_empty(), "delivered: {:?}", o.rec.messages);
    let f = o.failure();
    assert!(f.contains("cap") && f.contains("1009"), "{f}");
    assert_eq!(o.client_close(), Some(1009), "{f}");
}

#[test]
fn text_that_is_not_utf8_fails_with_1007() {
    // "κ" then a UTF-16 surrogate (ED A0 80), which UTF-8 forbids.
    let o = serve_raw(&frame(true, 0x1, b"\xce\xba\xed\xa0\x80"));
    assert!(o.rec.messages.is_empty(), "delivered: {:?}", o.rec.messages);
    let f = o.failure();
    assert!(f.contains("UTF-8") && f.contains("1007"), "{f}");
    assert_eq!(o.client_close(), Some(1007), "{f}");
}

#[test]
fn invalid_utf8_in_a_fragment_fails_before_the_message_ends() {
    // The final fragment never comes: the bad second fragment alone must fail the connection.
    let wire = [
        frame(false, 0x1, "κόσμε".as_bytes()),
        frame(false, 0x0, b"\xf4\x90\x80\x80"),
    ]
    .concat();
    let o = serve_raw(&wire);
    assert_eq!(o.client_close(), Some(1007), "{}", o.failure());
}

#[test]
fn a_close_frame_with_a_reserved_code_is_answered_with_1002_not_echoed() {
    for code in [1005u16, 999, 2999] {
        let o = serve_raw(&frame(true, 0x8, &code.to_be_bytes()));
        let f = o.failure();
        assert!(f.contains("invalid status code"), "{code}: {f}");
        assert_eq!(o.client_close(), Some(1002), "{code}: {f}");
    }
}

#[test]
fn a_close_reason_that_is_not_utf8_is_answered_with_1007() {
    let o = serve_raw(&frame(true, 0x8, b"\x03\xe8ok\xff"));
    assert_eq!(o.client_close(), Some(1007), "{}", o.failure());
}

#[test]
fn a_valid_close_code_is_echoed() {
    let o = serve_raw(&frame(true, 0x8, b"\x0b\xb8bye"));
    assert_eq!(o.client_close(), Some(3000), "{}", o.failure());
    assert!(o.failure().contains("code 3000"), "{}", o.failure());
}

#[test]
fn masked_reserved_and_control_frame_violations_fail_with_1002() {
    let mut masked = frame(true, 0x1, b"x");
    masked[1] |= 0x80;
    masked.splice(2..2, [1, 2, 3, 4]);
    let cases = [
        ("masked", masked),
        ("rsv1", [vec![0xC1, 0x01], b"x".to_vec()].concat()),
        ("opcode 3", frame(true, 0x3, b"x")),
        ("ping of 126 bytes", frame(true, 0x9, &[b'p'; 126])),
        ("fragmented ping", frame(false, 0x9, b"p")),
        ("continuation first", frame(true, 0x0, b"x")),
        (
            "text inside a fragmented message",
            [frame(false, 0x1, b"a"), frame(true, 0x1, b"b")].concat(),
        ),
    ];
    for (what, wire) in cases {
        let o = serve_raw(&wire);
        assert!(
            o.rec.messages.is_empty(),
            "{what}: delivered {:?}",
            o.rec.messages
        );
        assert_eq!(o.client_close(), Some(1002), "{what}: {}", o.failure());
    }
}

fn echo_engine(srv: &TestServer, max_message: usize) -> (Engine, usize) {
    let mut e = engine(&pki().ca_file);
    let mut spec = fast(ConnSpec::websocket(&srv.ws_url(), vec![]).unwrap());
    spec.max_message = max_message;
    spec.send_buffer = Some(16 * 1024);
    // No keepalive ping: its pong would wake a stalled connection and hide the stall.
    spec.idle_ping_ms = None;
    let id = e.add(spec).unwrap();
    (e, id)
}

#[test]
fn messages_larger_than_the_tls_send_buffer_are_written_in_pieces() {
    // Default TLS buffers (256 KiB send), a 16 KiB kernel send buffer and a server that stalls before reading:
    // a 3 MiB message cannot be encrypted in one go and must wait for writable events.
    let srv = TestServer::start(
        App::WsEcho,
        Behaviour {
            stall_reads: Some(Duration::from_millis(300)),
            ..Default::default()
        },
    );
    let (mut e, id) = echo_engine(&srv, 4 << 20);
    let big: Vec<u8> = (0..3 << 20).map(|i: u32| b'a' + (i % 26) as u8).collect();
    let small = b"after the big one".to_vec();
    let mut rec = Recorder {
        on_open_ws: vec![(id, big.clone()), (id, small.clone())],
        ..Default::default()
    };
    assert!(
        run_until(&mut e, &mut rec, |r| r.messages.len() >= 2),
        "{:?}",
        rec.failures()
    );
    assert!(rec.messages[0].1 == big, "the 3 MiB echo differs");
    assert_eq!(rec.messages[1].1, small);
    assert!(rec.failures().is_empty(), "{:?}", rec.failures());
    assert!(
        e.write_blocks() > 0,
        "the socket never blocked: {:?}",
        e.stats
    );
}
