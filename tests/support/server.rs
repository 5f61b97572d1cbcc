//! `TestServer`: a blocking TLS server on `127.0.0.1` (one accept thread, one thread per connection) that serves an
//! `App` and misbehaves on the wire as its `Behaviour` says.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::pki::pki;
use super::tls::TlsStream;

/// What the server speaks once TLS is up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum App {
    /// WebSocket echo with `cmd:` control messages (see `support::ws`).
    WsEcho,
    /// HTTP/1.1 keep-alive router (see `support::http`).
    Http,
}

/// How the server misbehaves. `Behaviour::default()` is a well-behaved server.
#[derive(Clone, Debug, Default)]
pub struct Behaviour {
    /// rustls `max_fragment_size`: every TLS record is at most this long (32..=16389), so frames span records.
    pub max_fragment: Option<usize>,
    /// Write the ciphertext (handshake included) to the socket this many bytes at a time, flushing and pausing
    /// `chunk_pause` between chunks (1 = byte at a time). Each pause is a sleep (≥ 20 µs, more on this VM), so keep
    /// messages small at 1 byte per chunk (a 2 MiB message would take minutes).
    pub write_chunk: Option<usize>,
    /// Pause between `write_chunk` chunks; `None` = 20 µs.
    pub chunk_pause: Option<Duration>,
    /// Do not read from the socket for this long after the handshake (after the TLS handshake for `Http`, after
    /// the WebSocket upgrade for `WsEcho`). The receive buffer is also shrunk to 16 KiB so a client that writes a
    /// lot sees `WouldBlock` quickly.
    pub stall_reads: Option<Duration>,
    /// Present the leaf for `other.example` (same CA): a verifying client must reject it.
    pub wrong_name: bool,
    /// Answer the ClientHello with non-TLS bytes and close.
    pub garbage: bool,
    /// Send every outgoing WebSocket data message as continuation frames of this payload size.
    pub ws_fragment: Option<usize>,
}

/// The bytes sent in place of a ServerHello when `Behaviour::garbage` is set.
pub const GARBAGE: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n\x00\xff\x13\x37 not TLS";

/// One HTTP request as the server saw it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordedRequest {
    /// Accept order of the connection it came on (0-based).
    pub connection: usize,
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Default)]
pub(crate) struct State {
    pub accepted: AtomicUsize,
    pub handshakes: AtomicUsize,
    pub served: AtomicUsize,
    /// Requests (HTTP) or received data messages (WS) per connection, in accept order.
    pub per_connection: Mutex<Vec<usize>>,
    pub handshake_errors: Mutex<Vec<String>>,
    pub pongs: Mutex<Vec<Vec<u8>>>,
    pub upgrade_headers: Mutex<Vec<(String, String)>>,
    pub upgrade_path: Mutex<String>,
    pub client_close: Mutex<Option<Option<u16>>>,
    pub requests: Mutex<Vec<RecordedRequest>>,
}

/// A poisoned lock only means another server thread panicked; the data is still worth reading.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl State {
    pub fn count_request(&self, connection: usize) {
        self.served.fetch_add(1, Ordering::SeqCst);
        let mut per = lock(&self.per_connection);
        if let Some(c) = per.get_mut(connection) {
            *c += 1;
        }
    }
}

/// Everything a connection thread needs.
pub(crate) struct ConnCtx {
    pub state: Arc<State>,
    pub behaviour: Behaviour,
    pub index: usize,
    /// Set when the server stops or restarts: long sleeps give up early.
    pub stop: Arc<AtomicBool>,
}

impl ConnCtx {
    /// Sleeps `d`, or less if the server is being stopped. Returns false if stopped.
    pub fn sleep(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return false;
            }
            let now = Instant::now();
            if now >= end {
                return true;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(5)));
        }
    }
}

/// Each connection's control handle (to abort it) and its thread.
type ConnList = Arc<Mutex<Vec<(TcpStream, JoinHandle<()>)>>>;

struct Generation {
    stop: Arc<AtomicBool>,
    accept: JoinHandle<()>,
    conns: ConnList,
}

pub struct TestServer {
    app: App,
    behaviour: Behaviour,
    config: Arc<rustls::ServerConfig>,
    addr: SocketAddr,
    state: Arc<State>,
    running: Option<Generation>,
}

impl TestServer {
    /// Starts on `127.0.0.1:0` (an ephemeral port).
    /// Panics on a `max_fragment` rustls would refuse (outside 32..=16389), so the mistake shows at start.
    pub fn start(app: App, behaviour: Behaviour) -> TestServer {
        if let Some(n) = behaviour.max_fragment {
            assert!(
                (32..=16389).contains(&n),
                "max_fragment {n}: rustls accepts 32..=16389 (record size incl. the 5-byte header)"
            );
        }
        let config = pki().server_config(behaviour.wrong_name, behaviour.max_fragment);
        let listener = bind(0, &behaviour).expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("listener address");
        let mut server = TestServer {
            app,
            behaviour,
            config,
            addr,
            state: Arc::new(State::default()),
            running: None,
        };
        server.running = Some(server.spawn(listener));
        server
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `wss://127.0.0.1:PORT/` (path `/`).
    pub fn ws_url(&self) -> String {
        format!("wss://127.0.0.1:{}/", self.port())
    }

    /// `https://127.0.0.1:PORT`.
    pub fn https_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port())
    }

    /// Drops every connection and the listener abruptly (no close_notify, no WS close), then listens again on the
    /// same port. Returns once the new listener is accepting.
    pub fn restart(&mut self) {
        self.shutdown_generation();
        // The old listener is closed; the port can be taken again at once (SO_REUSEADDR), but retry a little in
        // case the kernel is slow to let go.
        let deadline = Instant::now() + Duration::from_secs(5);
        let listener = loop {
            match bind(self.addr.port(), &self.behaviour) {
                Ok(l) => break l,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Err(e) => panic!("rebind {}: {e}", self.addr),
            }
        };
        self.running = Some(self.spawn(listener));
    }

    /// Closes the listener and every connection. Idempotent; Drop calls it.
    pub fn stop(&mut self) {
        self.shutdown_generation();
    }

    /// TCP connections accepted so far (all generations, including garbage and failed handshakes).
    pub fn connections_accepted(&self) -> usize {
        self.state.accepted.load(Ordering::SeqCst)
    }

    /// TLS handshakes completed so far.
    pub fn handshakes_completed(&self) -> usize {
        self.state.handshakes.load(Ordering::SeqCst)
    }

    /// HTTP requests answered, or WebSocket data messages received (commands included), all connections.
    pub fn requests_served(&self) -> usize {
        self.state.served.load(Ordering::SeqCst)
    }

    /// Per connection, in accept order: HTTP requests served / WS data messages received.
    /// Keep-alive reuse shows as one connection with a count above 1.
    pub fn requests_per_connection(&self) -> Vec<usize> {
        lock(&self.state.per_connection).clone()
    }

    /// Server-side TLS handshake failures (e.g. the alert a client sent when it rejected the certificate).
    pub fn handshake_errors(&self) -> Vec<String> {
        lock(&self.state.handshake_errors).clone()
    }

    /// Payloads of every WebSocket Pong the server received, in order (all connections).
    pub fn pongs_received(&self) -> Vec<Vec<u8>> {
        lock(&self.state.pongs).clone()
    }

    /// Headers of the last WebSocket upgrade request (names lower-case, as the `http` crate stores them).
    pub fn last_upgrade_headers(&self) -> Vec<(String, String)> {
        lock(&self.state.upgrade_headers).clone()
    }

    /// Request target of the last WebSocket upgrade (e.g. `/1/api/pro/v1/stream`).
    pub fn last_upgrade_path(&self) -> String {
        lock(&self.state.upgrade_path).clone()
    }

    /// Whether a client sent a WebSocket Close frame on the last connection that did; `client_close_code` has
    /// its code (None inside = Close without a code).
    pub fn client_sent_close(&self) -> bool {
        lock(&self.state.client_close).is_some()
    }

    pub fn client_close_code(&self) -> Option<u16> {
        lock(&self.state.client_close).flatten()
    }

    /// Every HTTP request served, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.requests).clone()
    }

    /// Polls `cond` every millisecond until it holds or `timeout` passes; returns its last value.
    pub fn wait_until(&self, timeout: Duration, cond: impl Fn(&TestServer) -> bool) -> bool {
        let end = Instant::now() + timeout;
        loop {
            if cond(self) {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn spawn(&self, listener: TcpListener) -> Generation {
        let stop = Arc::new(AtomicBool::new(false));
        let conns: ConnList = Arc::default();
        let accept = {
            let stop = stop.clone();
            let conns = conns.clone();
            let state = self.state.clone();
            let behaviour = self.behaviour.clone();
            let config = self.config.clone();
            let app = self.app;
            std::thread::Builder::new()
                .name("testsrv-accept".into())
                .spawn(move || accept_loop(listener, app, behaviour, config, state, stop, conns))
                .expect("spawn accept thread")
        };
        Generation {
            stop,
            accept,
            conns,
        }
    }

    fn shutdown_generation(&mut self) {
        let Some(g) = self.running.take() else {
            return;
        };
        g.stop.store(true, Ordering::SeqCst);
        let _ = g.accept.join();
        let conns = std::mem::take(&mut *lock(&g.conns));
        for (sock, _) in &conns {
            abort(sock);
        }
        for (_, h) in conns {
            let _ = h.join();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Makes the kernel answer with RST when the last descriptor closes, and wakes any thread blocked on the socket.
pub(crate) fn abort(sock: &TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket descriptor and a correctly sized `linger` struct.
    unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    let _ = sock.shutdown(Shutdown::Both);
}

fn bind(port: u16, behaviour: &Behaviour) -> io::Result<TcpListener> {
    // std sets SO_REUSEADDR on Unix listeners, so a restart can take the same port back.
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    if behaviour.stall_reads.is_some() {
        // Set on the listener so accepted sockets inherit it before the window scale is negotiated.
        let size: libc::c_int = 16 * 1024;
        // SAFETY: a valid socket descriptor and a correctly sized int.
        unsafe {
            libc::setsockopt(
                listener.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
    listener.set_nonblocking(true)?;
    Ok(listener)
}

fn accept_loop(
    listener: TcpListener,
    app: App,
    behaviour: Behaviour,
    config: Arc<rustls::ServerConfig>,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    conns: ConnList,
) {
    while !stop.load(Ordering::SeqCst) {
        let sock = match listener.accept() {
            Ok((sock, _)) => sock,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
        };
        state.accepted.fetch_add(1, Ordering::SeqCst);
        let index = {
            let mut per = lock(&state.per_connection);
            per.push(0);
            per.len() - 1
        };
        let Ok(control) = sock.try_clone() else {
            continue;
        };
        let ctx = ConnCtx {
            state: state.clone(),
            behaviour: behaviour.clone(),
            index,
            stop: stop.clone(),
        };
        let config = config.clone();
        let handle = std::thread::Builder::new()
            .name(format!("testsrv-conn-{index}"))
            .spawn(move || serve_connection(ctx, app, config, sock));
        match handle {
            Ok(h) => lock(&conns).push((control, h)),
            Err(_) => abort(&control),
        }
    }
}

fn serve_connection(ctx: ConnCtx, app: App, config: Arc<rustls::ServerConfig>, sock: TcpStream) {
    let _ = sock.set_nonblocking(false);
    let _ = sock.set_nodelay(true);
    if ctx.behaviour.garbage {
        answer_with_garbage(sock);
        return;
    }
    let pause = ctx
        .behaviour
        .chunk_pause
        .unwrap_or(Duration::from_micros(20));
    let mut tls = match TlsStream::new(config, sock, ctx.behaviour.write_chunk, pause) {
        Ok(t) => t,
        Err(e) => {
            lock(&ctx.state.handshake_errors).push(e.to_string());
            return;
        }
    };
    if let Err(e) = tls.handshake() {
        lock(&ctx.state.handshake_errors).push(e.to_string());
        return;
    }
    ctx.state.handshakes.fetch_add(1, Ordering::SeqCst);
    match app {
        App::WsEcho => super::ws::serve(&ctx, tls),
        App::Http => super::http::serve(&ctx, tls),
    }
}

fn answer_with_garbage(mut sock: TcpStream) {
    let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
    let mut hello = [0u8; 4096];
    // Wait for (some of) the ClientHello so the client is really mid-handshake when the garbage arrives.
    let _ = sock.read(&mut hello);
    let _ = sock.write_all(GARBAGE);
    let _ = sock.flush();
    let _ = sock.shutdown(Shutdown::Both);
}
