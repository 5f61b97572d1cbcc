//! The engine's WebSocket-over-TLS client against a test server that misbehaves on purpose.

mod harness;
mod support;

use ascendex_hft::engine::{ConnSpec, ConnState};
use harness::{Recorder, engine, fast, run_until};
use support::{App, Behaviour, TestServer, pki, push_counter};

fn ws_spec(srv: &TestServer) -> ConnSpec {
    fast(
        ConnSpec::websocket(
            &srv.ws_url(),
            vec![("x-auth-key".into(), "test-key".into())],
        )
        .unwrap(),
    )
}

/// A server with `behaviour`, an engine with one WebSocket to it, and a recorder that sends `on_open` on open.
fn setup(
    behaviour: Behaviour,
    on_open: &[&[u8]],
) -> (TestServer, ascendex_hft::engine::Engine, Recorder) {
    let srv = TestServer::start(App::WsEcho, behaviour);
    let mut e = engine(&pki().ca_file);
    let id = e.add(ws_spec(&srv)).unwrap();
    let rec = Recorder {
        on_open_ws: on_open.iter().map(|m| (id, m.to_vec())).collect(),
        ..Default::default()
    };
    (srv, e, rec)
}

fn texts(rec: &Recorder) -> Vec<String> {
    rec.messages
        .iter()
        .map(|(_, m)| String::from_utf8_lossy(m).into_owned())
        .collect()
}

fn counters_in_order(rec: &Recorder, n: u64) -> bool {
    let got: Vec<u64> = rec
        .messages
        .iter()
        .filter_map(|(_, m)| push_counter(std::str::from_utf8(m).ok()?))
        .collect();
    got.len() as u64 == n && got.iter().enumerate().all(|(i, &c)| c == i as u64)
}

#[test]
fn echo_with_extra_upgrade_headers() {
    let (srv, mut e, mut rec) = setup(Behaviour::default(), &[b"hello"]);
    assert!(
        run_until(&mut e, &mut rec, |r| !r.messages.is_empty()),
        "no echo: {:?}",
        rec.failures()
    );
    assert_eq!(texts(&rec), vec!["hello"]);
    let states: Vec<ConnState> = rec.states.iter().map(|s| s.1).collect();
    assert_eq!(
        states,
        vec![
            ConnState::Connecting,
            ConnState::TlsHandshake,
            ConnState::Upgrading,
            ConnState::Open
        ]
    );
    assert!(
        srv.last_upgrade_headers()
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("x-auth-key") && v == "test-key")
    );
}

#[test]
fn tiny_records_split_every_frame_and_order_is_kept() {
    let (_srv, mut e, mut rec) = setup(
        Behaviour {
            max_fragment: Some(64),
            ..Default::default()
        },
        &[b"cmd:push 3000 300"],
    );
    assert!(
        run_until(&mut e, &mut rec, |r| r.messages.len() >= 3000),
        "{:?}",
        rec.failures()
    );
    assert!(counters_in_order(&rec, 3000));
    assert!(rec.messages.iter().all(|(_, m)| m.len() == 300));
}

#[test]
fn one_byte_at_a_time_handshake_and_frames() {
    let (_srv, mut e, mut rec) = setup(
        Behaviour {
            write_chunk: Some(1),
            ..Default::default()
        },
        &[b"cmd:push 20 200"],
    );
    assert!(
        run_until(&mut e, &mut rec, |r| r.messages.len() >= 20),
        "{:?}",
        rec.failures()
    );
    assert!(counters_in_order(&rec, 20));
}

#[test]
fn a_2_mib_message_arrives_whole_and_the_cap_is_enforced() {
    let (srv, mut e, mut rec) = setup(Behaviour::default(), &[b"cmd:big 2097152"]);
    assert!(
        run_until(&mut e, &mut rec, |r| !r.messages.is_empty()),
        "{:?}",
        rec.failures()
    );
    assert_eq!(rec.messages[0].1.len(), 2_097_152);

    let mut e = engine(&pki().ca_file);
    let mut spec = ws_spec(&srv);
    spec.max_message = 1024 * 1024;
    spec.reconnect = false;
    let id = e.add(spec).unwrap();
    let mut rec = Recorder {
        on_open_ws: vec![(id, b"cmd:big 2097152".to_vec())],
        ..Default::default()
    };
    assert!(run_until(&mut e, &mut rec, |r| r
        .states
        .iter()
        .any(|s| s.1 == ConnState::Stopped)));
    assert!(rec.messages.is_empty());
    assert!(
        rec.failures().iter().any(|f| f.contains("cap")),
        "{:?}",
        rec.failures()
    );
}

#[test]
fn fragmented_messages_are_reassembled() {
    let srv = TestServer::start(
        App::WsEcho,
        Behaviour {
            ws_fragment: Some(7),
            ..Default::default()
        },
    );
    let mut e = engine(&pki().ca_file);
    let id = e.add(ws_spec(&srv)).unwrap();
    let msg = "{\"m\":\"depth\",\"symbol\":\"BTC/USDT\",\"data\":{\"seqnum\":1}}";
    let mut rec = Recorder {
        on_open_ws: vec![(id, msg.as_bytes().to_vec())],
        ..Default::default()
    };
    assert!(
        run_until(&mut e, &mut rec, |r| !r.messages.is_empty()),
        "{:?}",
        rec.failures()
    );
    assert_eq!(texts(&rec), vec![msg]);
}

#[test]
fn protocol_pings_are_answered_with_the_same_payload() {
    let srv = TestServer::start(App::WsEcho, Behaviour::default());
    let mut e = engine(&pki().ca_file);
    let id = e.add(ws_spec(&srv)).unwrap();
    let mut rec = Recorder {
        on_open_ws: vec![(id, b"cmd:ping abc123".to_vec()), (id, b"after".to_vec())],
        ..Default::default()
    };
    assert!(
        run_until(&mut e, &mut rec, |r| !r.messages.is_empty()),
        "{:?}",
        rec.failures()
    );
    assert!(srv.wait_until(std::time::Duration::from_secs(5), |s| {
        !s.pongs_received().is_empty()
    }));
    assert_eq!(srv.pongs_received()[0], b"abc123");
}

#[test]
fn server_close_is_echoed_then_the_client_reconnects() {
    let (srv, mut e, mut rec) = setup(Behaviour::default(), &[b"cmd:close"]);
    // Each open sends cmd:close again, so wait for the second open.
    assert!(
        run_until(&mut e, &mut rec, |r| r.opens(0) >= 2),
        "{:?}",
        rec.failures()
    );
    assert!(
        rec.failures().iter().any(|f| f.contains("code 1000")),
        "{:?}",
        rec.failures()
    );
    assert!(srv.client_sent_close(), "the close frame was not echoed");
    assert!(srv.connections_accepted() >= 2);
}

#[test]
fn a_connection_dropped_mid_frame_is_detected_and_replaced() {
    let (_srv, mut e, mut rec) = setup(Behaviour::default(), &[b"cmd:drop-mid-frame"]);
    assert!(
        run_until(&mut e, &mut rec, |r| r.opens(0) >= 2),
        "{:?}",
        rec.failures()
    );
    assert!(rec.messages.is_empty(), "a half frame was delivered");
    assert!(
        rec.failures()
            .iter()
            .any(|f| f.contains("close_notify") || f.contains("reset")),
        "{:?}",
        rec.failures()
    );
}

#[test]
fn writes_survive_would_block_while_the_server_stalls() {
    let srv = TestServer::start(
        App::WsEcho,
        Behaviour {
            stall_reads: Some(std::time::Duration::from_millis(500)),
            ..Default::default()
        },
    );
    let mut e = engine(&pki().ca_file);
    // 4 MiB queued at once: far more than the stalled socket's kernel buffers take, less than this TLS buffer.
    e.set_buffers(ascendex_hft::net::tls::TlsBuffers {
        tx: 6 << 20,
        ..Default::default()
    });
    let mut spec = ws_spec(&srv);
    spec.send_buffer = Some(16 * 1024);
    let id = e.add(spec).unwrap();
    let n = 512usize;
    let msgs: Vec<(usize, Vec<u8>)> = (0..n)
        .map(|i| (id, vec![b'a' + (i % 26) as u8; 8192]))
        .collect();
    let mut rec = Recorder {
        on_open_ws: msgs,
        ..Default::default()
    };
    assert!(
        run_until(&mut e, &mut rec, move |r| r.messages.len() >= n),
        "{:?}",
        rec.failures()
    );
    for (i, (_, m)) in rec.messages.iter().enumerate() {
        assert!(
            m.len() == 8192 && m.iter().all(|&b| b == b'a' + (i % 26) as u8),
            "message {i} corrupted"
        );
    }
    assert!(
        e.write_blocks() > 0,
        "the test never made a write block: {:?}",
        e.stats
    );
}

#[test]
fn garbage_instead_of_a_handshake_fails_and_backs_off() {
    let srv = TestServer::start(
        App::WsEcho,
        Behaviour {
            garbage: true,
            ..Default::default()
        },
    );
    let mut e = engine(&pki().ca_file);
    e.add(ws_spec(&srv)).unwrap();
    let mut rec = Recorder::default();
    assert!(run_until(&mut e, &mut rec, |r| r
        .states
        .iter()
        .filter(|s| s.1 == ConnState::Backoff)
        .count()
        >= 2));
    assert_eq!(rec.opens(0), 0);
    assert!(rec.failures()[0].contains("TLS"), "{:?}", rec.failures());
}

#[test]
fn a_certificate_for_another_name_is_refused() {
    let srv = TestServer::start(
        App::WsEcho,
        Behaviour {
            wrong_name: true,
            ..Default::default()
        },
    );
    let mut e = engine(&pki().ca_file);
    let mut spec = ws_spec(&srv);
    spec.reconnect = false;
    e.add(spec).unwrap();
    let mut rec = Recorder::default();
    assert!(run_until(&mut e, &mut rec, |r| r
        .states
        .iter()
        .any(|s| s.1 == ConnState::Stopped)));
    assert_eq!(rec.opens(0), 0);
    assert!(
        rec.failures()[0].contains("certificate"),
        "{:?}",
        rec.failures()
    );
}

#[test]
fn an_untrusted_ca_is_refused() {
    let srv = TestServer::start(App::WsEcho, Behaviour::default());
    // Public roots only: the test CA is not among them.
    let mut e =
        ascendex_hft::engine::Engine::new(ascendex_hft::net::tls::client_config(None).unwrap(), 0)
            .unwrap();
    let mut spec = ws_spec(&srv);
    spec.reconnect = false;
    e.add(spec).unwrap();
    let mut rec = Recorder::default();
    assert!(run_until(&mut e, &mut rec, |r| r
        .states
        .iter()
        .any(|s| s.1 == ConnState::Stopped)));
    assert!(
        rec.failures()[0].contains("certificate"),
        "{:?}",
        rec.failures()
    );
}

#[test]
fn a_restarted_server_is_reconnected_with_backoff() {
    let mut srv = TestServer::start(App::WsEcho, Behaviour::default());
    let mut e = engine(&pki().ca_file);
    let id = e.add(ws_spec(&srv)).unwrap();
    let mut rec = Recorder {
        on_open_ws: vec![(id, b"ping-me".to_vec())],
        ..Default::default()
    };
    assert!(run_until(&mut e, &mut rec, |r| r.messages.len() == 1));
    srv.restart();
    assert!(
        run_until(&mut e, &mut rec, |r| r.messages.len() == 2),
        "{:?}",
        rec.failures()
    );
    let after: Vec<ConnState> = rec.states.iter().skip(4).map(|s| s.1).collect();
    assert_eq!(after[0], ConnState::Backoff, "{after:?}");
    assert!(after.contains(&ConnState::Open));
    assert!(srv.connections_accepted() >= 2);
}

#[test]
fn dns_names_use_sni_and_ip_addresses_work_too() {
    let srv = TestServer::start(App::WsEcho, Behaviour::default());
    for url in [
        format!("wss://localhost:{}/", srv.port()),
        format!("wss://127.0.0.1:{}/", srv.port()),
    ] {
        let mut e = engine(&pki().ca_file);
        let id = e
            .add(fast(ConnSpec::websocket(&url, vec![]).unwrap()))
            .unwrap();
        let mut rec = Recorder {
            on_open_ws: vec![(id, b"name check".to_vec())],
            ..Default::default()
        };
        assert!(
            run_until(&mut e, &mut rec, |r| !r.messages.is_empty()),
            "{url}: {:?}",
            rec.failures()
        );
        assert_eq!(texts(&rec), vec!["name check"]);
    }
}
