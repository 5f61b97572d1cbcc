//! An in-memory TLS 1.3 server and pipe for from-memory benches (`benches/transport.rs`, `benches/md_pipeline.rs`,
//! `benches/tick_to_order.rs`):
//! a rustls server completes the handshake and the WebSocket upgrade with a client over a pair of byte queues, then
//! encrypts frames (one record each, as an exchange sends them) into a flat buffer the client reads in `recv()`-sized
//! pieces. No socket, no kernel: what is measured is the client's own work.
// Each bench uses the part it needs.
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::rc::Rc;
use std::sync::Arc;

use ascendex_hft::net::tls::{TlsBuffers, TlsStream, client_config};
use ascendex_hft::net::ws::{WsOptions, WsState, WsStream};
use rustls_pki_types::ServerName;

#[derive(Clone, Default)]
pub struct Pipe(Rc<RefCell<VecDeque<u8>>>);

/// The client's end of an in-memory connection. Once `flat` is set (the measured part), reads come from it in
/// pieces of at most 64 KiB, one copy each, like `recv()` from a socket.
pub struct MemIo {
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
pub struct MemServer {
    conn: rustls::ServerConnection,
    to_client: Pipe,
    from_client: Pipe,
    flat: Rc<RefCell<(Vec<u8>, usize)>>,
}

impl MemServer {
    pub fn new(server_config: Arc<rustls::ServerConfig>) -> (MemServer, MemIo) {
        let to_client = Pipe::default();
        let from_client = Pipe::default();
        let flat = Rc::new(RefCell::new((Vec::new(), 0)));
        let io = MemIo {
            rx: to_client.clone(),
            tx: from_client.clone(),
            flat: flat.clone(),
        };
        let mut conn = rustls::ServerConnection::new(server_config).unwrap();
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
    pub fn pump(&mut self) -> Vec<u8> {
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
    pub fn accept_upgrade(&mut self, request: &[u8]) {
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

    /// Encrypts one unmasked text frame per payload, one record each, into the buffer the client reads next.
    pub fn text_frames<'p>(&mut self, payloads: impl IntoIterator<Item = &'p [u8]>) {
        let mut out = Vec::new();
        // Whatever the client has not read yet (session tickets) comes first.
        out.extend(self.to_client.0.borrow_mut().drain(..));
        let mut frame = Vec::new();
        for p in payloads {
            frame.clear();
            push_text_frame(&mut frame, p);
            self.conn.writer().write_all(&frame).unwrap();
            while self.conn.wants_write() {
                self.conn.write_tls(&mut out).unwrap();
            }
        }
        *self.flat.borrow_mut() = (out, 0);
    }

    /// One unmasked text frame, encrypted as one record, queued for the client's next reads (after whatever it has
    /// not read yet): for benches that feed one message at a time.
    pub fn send_frame(&mut self, payload: &[u8]) {
        let mut frame = Vec::with_capacity(payload.len() + 10);
        push_text_frame(&mut frame, payload);
        self.conn.writer().write_all(&frame).unwrap();
        let mut out = Vec::with_capacity(frame.len() + 64);
        while self.conn.wants_write() {
            self.conn.write_tls(&mut out).unwrap();
        }
        self.to_client.0.borrow_mut().extend(out);
    }

    /// `count` text frames of `size` bytes of `{`.
    pub fn frames(&mut self, count: usize, size: usize) {
        let payload = vec![b'{'; size];
        self.text_frames(std::iter::repeat_n(&payload[..], count));
    }
}

/// An unmasked (server-to-client) text frame header and payload.
fn push_text_frame(frame: &mut Vec<u8>, p: &[u8]) {
    frame.push(0x81);
    match p.len() {
        n if n < 126 => frame.push(n as u8),
        n if n < 65536 => {
            frame.push(126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(p);
}

/// Our client (TLS record layer + WebSocket) connected to a fresh in-memory server and upgraded.
pub fn our_client(
    server_config: Arc<rustls::ServerConfig>,
    ca_file: &std::path::Path,
) -> (MemServer, WsStream<MemIo>) {
    let (mut srv, io) = MemServer::new(server_config);
    let cfg = client_config(Some(ca_file)).unwrap();
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
        if ws.state() == WsState::Open {
            break;
        }
    }
    assert_eq!(ws.state(), WsState::Open);
    (srv, ws)
}

/// rustls's buffered client + tungstenite's message API, connected to a fresh in-memory server (the baseline).
pub fn tungstenite_client(
    server_config: Arc<rustls::ServerConfig>,
    ca_der: &[u8],
) -> (
    MemServer,
    tungstenite::WebSocket<rustls::StreamOwned<rustls::ClientConnection, MemIo>>,
) {
    let (mut srv, io) = MemServer::new(server_config);
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls_pki_types::CertificateDer::from(ca_der.to_vec()))
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
    let ws =
        tungstenite::WebSocket::from_raw_socket(stream, tungstenite::protocol::Role::Client, None);
    (srv, ws)
}
