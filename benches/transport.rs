//! Transport figures, all measured side by side in one run (`cargo bench --bench transport`):
//!
//! 1. Round trip of a 200-byte WebSocket text message over TLS to a busy-polling echo server on core 1:
//!    our engine in spin mode on core 0, versus tokio + tokio-tungstenite + tokio-rustls, versus the raw TCP
//!    busy-poll ping-pong floor (no TLS, no WebSocket). Rounds alternate between the three so drift on this noisy
//!    machine hits all of them alike; each histogram merges its rounds.
//! 2. WebSocket text messages decrypted and framed per second on one core, fed from memory: our TLS record layer
//!    + frame decoder, versus rustls's buffered client + tungstenite's message API over the same kind of bytes.
//!
//! `BENCH_QUICK=1` shrinks the counts (a smoke run, not figures).

#[path = "baselines/mod.rs"]
mod baselines;
#[path = "memtls/mod.rs"]
mod memtls;

use std::io;
use std::time::{Duration, Instant};

use ascendex_hft::engine::{
    ConnId, ConnSpec, ConnState, Cx, DisconnectReason, Engine, Handler, RunMode,
};
use ascendex_hft::net::timer::Clock;
use ascendex_hft::net::tls::client_config;
use ascendex_hft::net::ws::WsEvent;
use baselines::{CLIENT_CORE, new_histogram, print_row};
use hdrhistogram::Histogram;

const SIZE: usize = 200;

fn quick() -> bool {
    std::env::var_os("BENCH_QUICK").is_some()
}

/// Our client: one message in flight, the next sent from inside the echo's callback.
struct Pinger {
    clock: Clock,
    payload: Vec<u8>,
    sent_at: u64,
    warmup: usize,
    n: usize,
    done: usize,
    hist: Histogram<u64>,
}

impl Handler for Pinger {
    fn on_state(
        &mut self,
        cx: &mut Cx<'_>,
        conn: ConnId,
        state: ConnState,
        why: Option<&DisconnectReason>,
    ) {
        assert!(why.is_none(), "bench connection failed: {why:?}");
        if state == ConnState::Open {
            self.sent_at = self.clock.now_ns();
            cx.send_text(conn, &self.payload).unwrap();
        }
    }

    fn on_message(&mut self, cx: &mut Cx<'_>, conn: ConnId, msg: &[u8], _rx_ns: u64) {
        let now = self.clock.now_ns();
        assert_eq!(msg.len(), SIZE);
        if self.done >= self.warmup {
            self.hist.saturating_record(now - self.sent_at);
        }
        self.done += 1;
        if self.done == self.warmup + self.n {
            cx.stop();
            return;
        }
        self.sent_at = self.clock.now_ns();
        cx.send_text(conn, &self.payload).unwrap();
    }
}

/// Runs on its own thread: pinning the caller would shrink the affinity mask every later thread inherits.
fn ours_rtt(
    addr: std::net::SocketAddr,
    ca_file: &std::path::Path,
    warmup: usize,
    n: usize,
) -> Histogram<u64> {
    let ca_file = ca_file.to_path_buf();
    std::thread::spawn(move || ours_rtt_pinned(addr, &ca_file, warmup, n))
        .join()
        .unwrap()
}

fn ours_rtt_pinned(
    addr: std::net::SocketAddr,
    ca_file: &std::path::Path,
    warmup: usize,
    n: usize,
) -> Histogram<u64> {
    let mut engine = Engine::new(client_config(Some(ca_file)).unwrap(), 0).unwrap();
    let mut spec =
        ConnSpec::websocket(&format!("wss://127.0.0.1:{}/", addr.port()), vec![]).unwrap();
    spec.idle_ping_ms = None;
    spec.dead_after_ms = None;
    engine.add(spec).unwrap();
    let mut p = Pinger {
        clock: engine.clock(),
        payload: vec![b'x'; SIZE],
        sent_at: 0,
        warmup,
        n,
        done: 0,
        hist: new_histogram(),
    };
    engine
        .run(
            &mut p,
            RunMode::Spin {
                core: Some(CLIENT_CORE),
            },
            Some(Duration::from_secs(120)),
        )
        .unwrap();
    assert_eq!(p.done, warmup + n, "our client did not finish");
    p.hist
}

fn rtt_section() {
    let pki = baselines::pki();
    let (addr, _server) = baselines::ws_echo_server(pki);
    let (rounds, warmup, n) = if quick() {
        (1, 200, 2_000)
    } else {
        (5, 2_000, 40_000)
    };
    let mut ours = new_histogram();
    let mut tokio = new_histogram();
    let mut raw = new_histogram();
    for _ in 0..rounds {
        ours.add(ours_rtt(addr, &pki.ca_file, warmup, n)).unwrap();
        tokio
            .add(baselines::tokio_ws_client_rtt(
                addr,
                &pki.ca_pem,
                warmup,
                n,
                SIZE,
            ))
            .unwrap();
        raw.add(baselines::raw_tcp_floor_rtt(warmup, n, SIZE))
            .unwrap();
    }
    println!(
        "\n== Round trip, {SIZE}-byte WebSocket text message, loopback, echo server busy-polling on core 1"
    );
    print_row("ours (TLS 1.3 + WS, spin, core 0)", &ours);
    print_row("tokio + tokio-tungstenite + tokio-rustls", &tokio);
    print_row("raw TCP busy-poll floor (no TLS, no WS)", &raw);
    let r = |a: &Histogram<u64>, b: &Histogram<u64>, q: f64| {
        a.value_at_quantile(q) as f64 / b.value_at_quantile(q) as f64
    };
    println!(
        "tokio / ours: p50 {:.2}x  p99 {:.2}x  p99.9 {:.2}x   |   ours / raw floor: p50 {:.2}x  p99 {:.2}x",
        r(&tokio, &ours, 0.5),
        r(&tokio, &ours, 0.99),
        r(&tokio, &ours, 0.999),
        r(&ours, &raw, 0.5),
        r(&ours, &raw, 0.99)
    );
}

// ---- from memory -------------------------------------------------------------------------------------------

fn ours_from_memory(count: usize, size: usize) -> f64 {
    let pki = baselines::pki();
    let (mut srv, mut ws) = memtls::our_client(pki.server_config(false, None), &pki.ca_file);
    srv.frames(count, size);
    let start = Instant::now();
    let mut seen = 0usize;
    let mut bytes = 0usize;
    while seen < count {
        ws.read().unwrap();
        while let Some(ev) = ws.next_event().unwrap() {
            if let WsEvent::Text(m) = ev {
                bytes += m.len();
                seen += 1;
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(bytes, count * size);
    count as f64 / secs
}

fn tungstenite_from_memory(count: usize, size: usize) -> f64 {
    let pki = baselines::pki();
    let (mut srv, mut ws) = memtls::tungstenite_client(pki.server_config(false, None), &pki.ca_der);
    srv.frames(count, size);
    let start = Instant::now();
    let mut seen = 0usize;
    let mut bytes = 0usize;
    while seen < count {
        match ws.read() {
            Ok(tungstenite::Message::Text(t)) => {
                bytes += t.len();
                seen += 1;
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(bytes, count * size);
    count as f64 / secs
}

fn throughput_section() {
    let (count, rounds) = if quick() { (20_000, 1) } else { (400_000, 5) };
    let size = 300;
    let mut ours = Vec::new();
    let mut base = Vec::new();
    for _ in 0..rounds {
        ours.push(ours_from_memory(count, size));
        base.push(tungstenite_from_memory(count, size));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let (o, b) = (median(&mut ours), median(&mut base));
    println!(
        "\n== {size}-byte WebSocket text messages decrypted and framed on one core, fed from memory ({rounds} rounds, median)"
    );
    println!(
        "{:<48} {:>10.2} M msg/s",
        "ours (in-place TLS 1.3 records + frame decoder)",
        o / 1e6
    );
    println!(
        "{:<48} {:>10.2} M msg/s",
        "rustls ClientConnection + tungstenite read()",
        b / 1e6
    );
    println!("ours / baseline: {:.2}x", o / b);
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument selects one section.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let want = |s: &str| filter.as_deref().is_none_or(|f| s.contains(f));
    if want("throughput") {
        throughput_section();
    }
    if want("rtt") {
        rtt_section();
    }
}
