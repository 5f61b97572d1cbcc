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

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ascendex_hft::engine::{
    ConnId, ConnSpec, ConnState, Cx, DisconnectReason, Engine, Handler, RunMode,
};
use ascendex_hft::net::timer::Clock;
use ascendex_hft::net::tls::{TlsBuffers, TlsStream, client_config};
use ascendex_hft::net::ws::{WsEvent, WsOptions, WsStream};
use baselines::{CLIENT_CORE, new_histogram, print_row};
use hdrhistogram::Histogram;
use rustls_pki_types::ServerName;

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

#[derive(Clone, Default)]
struct Pipe(Rc<RefCell<VecDeque<u8>>>);

/// The client's end of an in-memory connection. Once `flat` is set (the measured part), reads come from it in
/// pieces of at most 64 KiB, one copy each, like `recv()` from a socket.
struct MemIo {
    rx: Pipe,
    tx: Pipe,
    flat: Rc<RefCell<(Vec<u8>, usize)>>,
}

impl Read for MemIo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        {
            let mut f = self.flat.borrow_mut();
            let (data, pos) = &mut *f;
            if *pos < data.len() {
                let n = buf.len().min(data.len() - *pos).min(64 * 1024);
                buf[..n].copy_from_slice(&data[*pos..*pos + n]);
                *pos += n;
                return Ok(n);
            }
        }
        let mut q = self.rx.0.borrow_mut();
        if q.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let (a, b) = q.as_slices();
        let src = if a.is_empty() { b } else { a };
        let n = buf.len().min(src.len());
        buf[..n].copy_from_slice(&src[..n]);
        q.drain(..n);
        Ok(n)
    }
}

impl Write for MemIo {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tx.0.borrow_mut().extend(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A rustls server on the other end: completes TLS and the WebSocket upgrade, then encrypts frames.
struct MemServer {
    conn: rustls::ServerConnection,
    to_client: Pipe,
    from_client: Pipe,
    flat: Rc<RefCell<(Vec<u8>, usize)>>,
}

impl MemServer {
    fn new() -> (MemServer, MemIo) {
        let to_client = Pipe::default();
        let from_client = Pipe::default();
        let flat = Rc::new(RefCell::new((Vec::new(), 0)));
        let io = MemIo {
            rx: to_client.clone(),
            tx: from_client.clone(),
            flat: flat.clone(),
        };
        let mut conn =
            rustls::ServerConnection::new(baselines::pki().server_config(false, None)).unwrap();
        conn.set_buffer_limit(None);
        (
            MemServer {
                conn,
                to_client,
                from_client,
                flat,
            },
            io,
        )
    }

    /// Moves bytes through the server; returns the plaintext it received.
    fn pump(&mut self) -> Vec<u8> {
        let incoming: Vec<u8> = self.from_client.0.borrow_mut().drain(..).collect();
        let mut rd = &incoming[..];
        let mut got = Vec::new();
        while !rd.is_empty() {
            self.conn.read_tls(&mut rd).unwrap();
            self.conn.process_new_packets().unwrap();
            let _ = self.conn.reader().read_to_end(&mut got);
        }
        let mut out = Vec::new();
        while self.conn.wants_write() {
            self.conn.write_tls(&mut out).unwrap();
        }
        self.to_client.0.borrow_mut().extend(out);
        got
    }

    /// Answers the client's upgrade request.
    fn accept_upgrade(&mut self, request: &[u8]) {
        let text = String::from_utf8_lossy(request);
        let key = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("Sec-WebSocket-Key: ")
                    .or_else(|| l.strip_prefix("sec-websocket-key: "))
            })
            .expect("upgrade request has a key")
            .trim()
            .to_string();
        let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
        let resp = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        );
        self.conn.writer().write_all(resp.as_bytes()).unwrap();
        self.pump();
    }

    /// Encrypts `count` unmasked text frames of `size` bytes, one record each (as an exchange sends them).
    fn frames(&mut self, count: usize, size: usize) {
        let payload = vec![b'{'; size];
        let mut frame = vec![0x81u8, 126, (size >> 8) as u8, size as u8];
        frame.extend_from_slice(&payload);
        let mut out = Vec::with_capacity(count * (frame.len() + 22));
        // Whatever the client has not read yet (session tickets) comes first.
        out.extend(self.to_client.0.borrow_mut().drain(..));
        for _ in 0..count {
            self.conn.writer().write_all(&frame).unwrap();
            while self.conn.wants_write() {
                self.conn.write_tls(&mut out).unwrap();
            }
        }
        *self.flat.borrow_mut() = (out, 0);
    }
}

fn ours_from_memory(count: usize, size: usize) -> f64 {
    let (mut srv, io) = MemServer::new();
    let cfg = client_config(Some(&baselines::pki().ca_file)).unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let tls = TlsStream::new(io, cfg, name, TlsBuffers::default()).unwrap();
    let opts = WsOptions {
        host: "127.0.0.1".into(),
        path: "/".into(),
        headers: vec![],
        max_message: 1 << 20,
    };
    let mut ws = WsStream::new(tls, opts);
    let mut upgraded = false;
    for _ in 0..100 {
        ws.flush().unwrap();
        let got = srv.pump();
        if !got.is_empty() && !upgraded {
            srv.accept_upgrade(&got);
            upgraded = true;
        }
        let _ = ws.read();
        if ws.state() == ascendex_hft::net::ws::WsState::Open {
            break;
        }
    }
    assert_eq!(ws.state(), ascendex_hft::net::ws::WsState::Open);
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
    let (mut srv, io) = MemServer::new();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls_pki_types::CertificateDer::from(
            baselines::pki().ca_der.clone(),
        ))
        .unwrap();
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13])
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let mut conn =
        rustls::ClientConnection::new(Arc::new(cfg), ServerName::try_from("127.0.0.1").unwrap())
            .unwrap();
    let mut io = io;
    while conn.is_handshaking() {
        while conn.wants_write() {
            conn.write_tls(&mut io).unwrap();
        }
        srv.pump();
        match conn.read_tls(&mut io) {
            Ok(_) => {
                conn.process_new_packets().unwrap();
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
    }
    while conn.wants_write() {
        conn.write_tls(&mut io).unwrap();
    }
    srv.pump();
    let stream = rustls::StreamOwned::new(conn, io);
    let mut ws =
        tungstenite::WebSocket::from_raw_socket(stream, tungstenite::protocol::Role::Client, None);
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
