//! A WebSocket-over-TLS echo server for round-trip benches, pinned to core 1.
//!
//! `EchoMode::BusyPoll` (the default): one thread spins over non-blocking sockets (wake-ups cost ~100 µs on this
//! VM, spinning avoids them). `EchoMode::Blocking`: one blocking thread per connection, for comparison.
//! Handshakes (TLS + upgrade) are done blocking, before a connection joins the spin loop: set connections up
//! before measuring.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use rustls::{ServerConfig, ServerConnection, StreamOwned};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

use super::pki::TestPki;
use super::{SERVER_CORE, pin};

type Ws = WebSocket<StreamOwned<ServerConnection, TcpStream>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EchoMode {
    BusyPoll,
    Blocking,
}

/// Stops the server (and joins its threads) on drop.
pub struct EchoServer {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// Whether the server thread got core 1 (false is also reported on stderr).
    pub pinned: bool,
    pub mode: EchoMode,
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The busy-polling echo server on `127.0.0.1:0`, presenting the `127.0.0.1` leaf of `pki`.
pub fn ws_echo_server(pki: &TestPki) -> (SocketAddr, EchoServer) {
    ws_echo_server_with(pki, EchoMode::BusyPoll)
}

pub fn ws_echo_server_with(pki: &TestPki, mode: EchoMode) -> (SocketAddr, EchoServer) {
    let config = pki.server_config(false, None);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("listener address");
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener");
    let stop = Arc::new(AtomicBool::new(false));
    let (pinned_tx, pinned_rx) = mpsc::channel();
    let thread = {
        let stop = stop.clone();
        std::thread::Builder::new()
            .name("bench-ws-echo".into())
            .spawn(move || {
                let _ = pinned_tx.send(pin(SERVER_CORE, "WS echo server"));
                match mode {
                    EchoMode::BusyPoll => busy_poll(listener, config, &stop),
                    EchoMode::Blocking => blocking(listener, config, &stop),
                }
            })
            .expect("spawn echo server")
    };
    let pinned = pinned_rx.recv().unwrap_or(false);
    (
        addr,
        EchoServer {
            stop,
            thread: Some(thread),
            pinned,
            mode,
        },
    )
}

fn ws_config() -> WebSocketConfig {
    // A small read buffer: tungstenite zero-fills it on every read, even one that ends in WouldBlock.
    WebSocketConfig::default().read_buffer_size(8 * 1024)
}

/// TLS handshake and WebSocket upgrade, blocking (with a timeout so a bad client cannot wedge the server).
fn accept_ws(sock: TcpStream, config: &Arc<ServerConfig>) -> io::Result<Ws> {
    sock.set_nonblocking(false)?;
    sock.set_nodelay(true)?;
    sock.set_read_timeout(Some(Duration::from_secs(5)))?;
    let conn = ServerConnection::new(config.clone()).map_err(io::Error::other)?;
    let mut tls = StreamOwned::new(conn, sock);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    tungstenite::accept_with_config(tls, Some(ws_config())).map_err(io::Error::other)
}

/// Handles whatever is readable on one connection. Ok(false) when it is finished.
fn echo_ready(ws: &mut Ws) -> bool {
    loop {
        match ws.read() {
            Ok(Message::Text(t)) => {
                if !send(ws, Message::Text(t)) {
                    return false;
                }
            }
            Ok(Message::Binary(b)) => {
                if !send(ws, Message::Binary(b)) {
                    return false;
                }
            }
            Ok(_) => {
                // Pongs to pings and Close replies are queued by tungstenite.
                let _ = ws.flush();
            }
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(_) => return false,
        }
    }
}

fn send(ws: &mut Ws, msg: Message) -> bool {
    match ws.send(msg) {
        Ok(()) => true,
        // Queued; flushed on the next pass.
        Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => true,
        Err(_) => false,
    }
}

fn busy_poll(listener: TcpListener, config: Arc<ServerConfig>, stop: &AtomicBool) {
    let mut conns: Vec<Ws> = Vec::new();
    let mut idle: u32 = 0;
    while !stop.load(Ordering::Relaxed) {
        // Checking the listener costs a syscall; the hot connections get most of the passes.
        idle = idle.wrapping_add(1);
        if conns.is_empty() || idle.is_multiple_of(1024) {
            if let Ok((sock, _)) = listener.accept()
                && let Ok(ws) = accept_ws(sock, &config)
                && ws.get_ref().sock.set_nonblocking(true).is_ok()
            {
                conns.push(ws);
            }
            if conns.is_empty() {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        conns.retain_mut(|ws| {
            if ws.get_ref().conn.wants_write() {
                let _ = ws.flush();
            }
            echo_ready(ws)
        });
    }
}

fn blocking(listener: TcpListener, config: Arc<ServerConfig>, stop: &AtomicBool) {
    let mut threads = Vec::new();
    let mut socks = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let Ok((sock, _)) = listener.accept() else {
            std::thread::sleep(Duration::from_millis(1));
            continue;
        };
        let Ok(mut ws) = accept_ws(sock, &config) else {
            continue;
        };
        let _ = ws.get_ref().sock.set_read_timeout(None);
        if let Ok(s) = ws.get_ref().sock.try_clone() {
            socks.push(s);
        }
        threads.push(std::thread::spawn(move || {
            pin(SERVER_CORE, "WS echo connection");
            while echo_ready(&mut ws) {}
        }));
    }
    for s in socks {
        let _ = s.shutdown(std::net::Shutdown::Both);
    }
    for t in threads {
        let _ = t.join();
    }
}
