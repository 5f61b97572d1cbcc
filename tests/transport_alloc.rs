//! After warm-up, receiving WebSocket text messages through TLS allocates nothing on the engine thread.
//!
//! A counting global allocator counts only on threads that switched counting on (the test server's threads in the
//! same process allocate freely). The engine receives 101,000 messages over real TLS on loopback; counting is on
//! from message 1,000 to message 101,000.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use ascendex_hft::engine::{
    ConnId, ConnSpec, ConnState, Cx, DisconnectReason, Engine, Handler, RunMode,
};
use ascendex_hft::net::tls::client_config;
use support::{App, Behaviour, TestServer, pki};

mod alloc_gate;

use alloc_gate::{ALLOCS, COUNTING};

#[global_allocator]
static GLOBAL: alloc_gate::Counting = alloc_gate::Counting;

const WARMUP: u64 = 1_000;
const MEASURED: u64 = 100_000;

struct Receiver {
    received: u64,
    out_of_order: u64,
    bytes: u64,
    allocs_during: Option<u64>,
}

/// Reads the decimal counter after `"n":` without allocating.
fn counter(msg: &[u8]) -> Option<u64> {
    let at = msg.windows(4).position(|w| w == b"\"n\":")? + 4;
    let digits = msg[at..].iter().take_while(|b| b.is_ascii_digit());
    Some(digits.fold(0u64, |a, &d| a * 10 + (d - b'0') as u64))
}

impl Handler for Receiver {
    fn on_state(
        &mut self,
        cx: &mut Cx<'_>,
        conn: ConnId,
        state: ConnState,
        why: Option<&DisconnectReason>,
    ) {
        assert!(why.is_none(), "connection failed: {why:?}");
        if state == ConnState::Open {
            let cmd = format!("cmd:push {} 300", WARMUP + MEASURED);
            cx.send_text(conn, cmd.as_bytes()).unwrap();
        }
    }

    fn on_message(&mut self, cx: &mut Cx<'_>, _conn: ConnId, msg: &[u8], _rx_ns: u64) {
        if counter(msg) != Some(self.received) {
            self.out_of_order += 1;
        }
        self.received += 1;
        self.bytes += msg.len() as u64;
        if self.received == WARMUP {
            ALLOCS.store(0, Ordering::SeqCst);
            COUNTING.with(|c| c.set(true));
        }
        if self.received == WARMUP + MEASURED {
            COUNTING.with(|c| c.set(false));
            self.allocs_during = Some(ALLOCS.load(Ordering::SeqCst));
            cx.stop();
        }
    }
}

#[test]
fn receiving_100k_messages_through_tls_allocates_nothing() {
    let srv = TestServer::start(App::WsEcho, Behaviour::default());
    let mut engine = Engine::new(client_config(Some(&pki().ca_file)).unwrap(), 0).unwrap();
    engine
        .add(ConnSpec::websocket(&srv.ws_url(), vec![]).unwrap())
        .unwrap();
    let mut rx = Receiver {
        received: 0,
        out_of_order: 0,
        bytes: 0,
        allocs_during: None,
    };
    engine
        .run(&mut rx, RunMode::Block, Some(Duration::from_secs(120)))
        .unwrap();
    COUNTING.with(|c| c.set(false));
    assert_eq!(rx.received, WARMUP + MEASURED, "not every message arrived");
    assert_eq!(rx.out_of_order, 0);
    assert_eq!(rx.bytes, (WARMUP + MEASURED) * 300);
    assert_eq!(
        rx.allocs_during,
        Some(0),
        "allocations while receiving {MEASURED} messages"
    );
}
