//! Tests of the test server itself, with plain blocking clients (std + rustls + tungstenite + httparse), so a
//! failure in a transport test points at the project's client and not at `tests/support`.

mod support;

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use support::{App, Behaviour, TestServer, pki};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::{ClientRequestBuilder, Message, WebSocket};

const TIMEOUT: Duration = Duration::from_secs(20);

/// A TCP stream that keeps a copy of every byte it read and the size of every read, to inspect the wire.
struct Recording {
    sock: TcpStream,
    bytes: Arc<Mutex<Vec<u8>>>,
    reads: Arc<Mutex<Vec<usize>>>,
}

impl Read for Recording {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.sock.read(buf)?;
        if n > 0 {
            self.bytes.lock().unwrap().extend_from_slice(&buf[..n]);
            self.reads.lock().unwrap().push(n);
        }
        Ok(n)
    }
}

impl Write for Recording {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sock.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.sock.flush()
    }
}

type Tls = StreamOwned<ClientConnection, Recording>;
type Wire = (Arc<Mutex<Vec<u8>>>, Arc<Mutex<Vec<usize>>>);

fn tls_connect_with(
    server: &TestServer,
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
) -> io::Result<(Tls, Wire)> {
    let sock = TcpStream::connect(server.addr())?;
    sock.set_nodelay(true)?;
    sock.set_read_timeout(Some(TIMEOUT))?;
    let wire: Wire = Default::default();
    let rec = Recording {
        sock,
        bytes: wire.0.clone(),
        reads: wire.1.clone(),
    };
    let conn = ClientConnection::new(config, name).map_err(io::Error::other)?;
    let mut tls = StreamOwned::new(conn, rec);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    Ok((tls, wire))
}

fn tls_connect(server: &TestServer) -> (Tls, Wire) {
    tls_connect_with(
        server,
        pki().client_config(),
        support::TestPki::server_name(),
    )
    .expect("TLS handshake with the test server")
}

fn ws_connect(server: &TestServer) -> (WebSocket<Tls>, Wire) {
    let (tls, wire) = tls_connect(server);
    let uri = format!("wss://127.0.0.1:{}/stream?x=1", server.port())
        .parse()
        .unwrap();
    let req = ClientRequestBuilder::new(uri).with_header("x-test-header", "hello-header");
    let (ws, _resp) = tungstenite::client(req, tls).expect("WebSocket upgrade");
    (ws, wire)
}

fn read_text(ws: &mut WebSocket<Tls>) -> String {
    loop {
        match ws.read().expect("read a message") {
            Message::Text(t) => return t.as_str().to_string(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected text, got {other:?}"),
        }
    }
}

/// TLS records (content type, payload length) in a captured server-to-client byte stream.
fn tls_records(bytes: &[u8]) -> Vec<(u8, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 5 <= bytes.len() {
        let len = u16::from_be_bytes([bytes[i + 3], bytes[i + 4]]) as usize;
        out.push((bytes[i], len));
        i += 5 + len;
    }
    out
}

// ---------------------------------------------------------------- PKI

#[test]
fn pki_files_and_names() {
    let p = pki();
    assert!(p.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(std::fs::read_to_string(&p.ca_file).unwrap(), p.ca_pem);
    assert!(!p.ca_der.is_empty() && !p.leaf_der.is_empty() && !p.wrong_leaf_der.is_empty());
    // Same process, same PKI.
    assert!(std::ptr::eq(p, pki()));
}

#[test]
fn good_leaf_verifies_for_ip_and_dns_name() {
    let server = TestServer::start(App::Http, Behaviour::default());
    for name in ["127.0.0.1", "localhost"] {
        let name = ServerName::try_from(name).unwrap();
        tls_connect_with(&server, pki().client_config(), name).expect("handshake");
    }
    // The server finishes its side after the client's Finished arrives.
    assert!(server.wait_until(TIMEOUT, |s| s.handshakes_completed() == 2));
}

#[test]
fn wrong_name_is_rejected_by_a_verifying_client() {
    let server = TestServer::start(
        App::Http,
        Behaviour {
            wrong_name: true,
            ..Default::default()
        },
    );
    let err = tls_connect_with(
        &server,
        pki().client_config(),
        support::TestPki::server_name(),
    )
    .err()
    .expect("handshake must fail");
    let msg = err.to_string();
    assert!(
        msg.contains("NotValidForName") || msg.contains("not valid for"),
        "{msg}"
    );
    // The certificate is otherwise valid: for its own name it verifies.
    let name = ServerName::try_from("other.example").unwrap();
    tls_connect_with(&server, pki().client_config(), name).expect("other.example verifies");
    assert!(server.wait_until(TIMEOUT, |s| !s.handshake_errors().is_empty()));
}

#[test]
fn garbage_instead_of_a_server_hello_fails_the_handshake() {
    let server = TestServer::start(
        App::WsEcho,
        Behaviour {
            garbage: true,
            ..Default::default()
        },
    );
    let err = tls_connect_with(
        &server,
        pki().client_config(),
        support::TestPki::server_name(),
    )
    .err()
    .expect("handshake must fail");
    assert!(!err.to_string().is_empty());
    assert_eq!(server.connections_accepted(), 1);
    assert_eq!(server.handshakes_completed(), 0);
    // What a raw client sees is exactly the garbage, then EOF.
    let mut sock = TcpStream::connect(server.addr()).unwrap();
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    sock.write_all(b"\x16\x03\x01\x00\x05hello").unwrap();
    let mut got = Vec::new();
    let _ = sock.read_to_end(&mut got);
    assert_eq!(got, support::GARBAGE);
}

// ---------------------------------------------------------------- WebSocket

#[test]
fn ws_echoes_text_and_binary_and_records_upgrade() {
    let server = TestServer::start(App::WsEcho, Behaviour::default());
    let (mut ws, _) = ws_connect(&server);
    ws.send(Message::text("hello")).unwrap();
    assert_eq!(read_text(&mut ws), "hello");
    ws.send(Message::binary(vec![0u8, 1, 2, 255])).unwrap();
    match ws.read().unwrap() {
        Message::Binary(b) => assert_eq!(&b[..], &[0u8, 1, 2, 255]),
        other => panic!("{other:?}"),
    }
    let headers = server.last_upgrade_headers();
    assert!(
        headers.contains(&("x-test-header".to_string(), "hello-header".to_string())),
        "{headers:?}"
    );
    assert_eq!(server.last_upgrade_path(), "/stream?x=1");
    assert_eq!(server.requests_served(), 2);
    assert_eq!(server.requests_per_connection(), vec![2]);
}

#[test]
fn ws_push_sends_ordered_messages_of_the_asked_size() {
    let server = TestServer::start(App::WsEcho, Behaviour::default());
    let (mut ws, _) = ws_connect(&server);
    ws.send(Message::text("cmd:push 2000 200")).unwrap();
    for i in 0..2000u64 {
        let m = read_text(&mut ws);
        assert_eq!(m.len(), 200);
        assert_eq!(support::push_counter(&m), Some(i));
        assert_eq!(m, support::push_message(i, 200));
    }
    // Tiny sizes never truncate the counter.
    assert_eq!(support::push_message(123, 3), "{\"n\":123,\"pad\":\"\"}");
}

#[test]
fn ws_big_sends_one_large_message() {
    let server = TestServer::start(App::WsEcho, Behaviour::default());
    let (mut ws, _) = ws_connect(&server);
    ws.send(Message::text("cmd:big 2097152")).unwrap();
    let m = read_text(&mut ws);
    assert_eq!(m.len(), 2 * 1024 * 1024);
    assert_eq!(m, support::push_message(0, 2 * 1024 * 1024));
}

#[test]
fn ws_ping_command_and_pong_is_recorded() {
    let server = TestServer::start(App::WsEcho, Behaviour::default());
    let (mut ws, _) = ws_connect(&server);
    ws.send(Message::text("cmd:ping abc 123")).unwrap();
    match ws.read().unwrap() {
        Message::Ping(p) => assert_eq!(&p[..], b"abc 123"),
        other => panic!("{other:?}"),
    }
    // tungstenite queued the Pong; flushing sends it.
    ws.flush().unwrap();
    assert!(server.wait_until(TIMEOUT, |s| s.pongs_received() == vec![b"abc 123".to_vec()]));
    // A client Ping is answered with a Pong carrying the same payload.
    ws.send(Message::Ping(tungstenite::Bytes::from_static(b"cp")))
        .unwrap();
    match ws.read().unwrap() {
        Message::Pong(p) => assert_eq!(&p[..], b"cp"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn ws_close_command_completes_the_close_handshake() {
    let server = TestServer::start(App::WsEcho, Behaviour::default());
    let (mut ws, _) = ws_connect(&server);
    ws.send(Message::text("cmd:close")).unwrap();
    match ws.read().unwrap() {
        Message::Close(Some(f)) => assert_eq!(f.code, CloseCode::Normal),
        other => panic!("{other:?}"),
    }
    // tungstenite replies with Close; the next read sees the end.
    loop {
        match ws.read() {
            Ok(_) => continue,
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(server.wait_until(TIMEOUT, |s| s.client_sent_close()));
    assert_eq!(server.client_close_code(), Some(1000));
}

#[test]
fn ws_client_initiated_close_is_recorded() {
    let server = TestServer::start(App::WsEcho, Behaviour::default());
    let (mut ws, _) = ws_connect(&server);
    assert!(!server.client_sent_close());
    ws.close(None).unwrap();
    loop {
        match ws.read() {
            Ok(_) => continue,
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(server.wait_until(TIMEOUT, |s| s.client_sent_close()));
    assert_eq!(server.client_close_code(), None);
}

/// A minimal raw WebSocket client, to see frames exactly as the server sent them.
struct RawWs {
    tls: Tls,
    buf: Vec<u8>,
}

impl RawWs {
    fn connect(server: &TestServer) -> (RawWs, Wire) {
        let (mut tls, wire) = tls_connect(server);
        let req = format!(
            "GET / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            server.port()
        );
        tls.write_all(req.as_bytes()).unwrap();
        let mut raw = RawWs {
            tls,
            buf: Vec::new(),
        };
        while !raw.buf.windows(4).any(|w| w == b"\r\n\r\n") {
            raw.fill().unwrap();
        }
        let end = raw.buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8_lossy(&raw.buf[..end]).into_owned();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        assert!(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{head}");
        raw.buf.drain(..end);
        (raw, wire)
    }

    fn fill(&mut self) -> io::Result<()> {
        let mut tmp = [0u8; 8192];
        let n = self.tls.read(&mut tmp)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(())
    }

    fn send_text(&mut self, text: &str) {
        let p = text.as_bytes();
        assert!(p.len() < 126);
        let mask = [1u8, 2, 3, 4];
        let mut f = vec![0x81, 0x80 | p.len() as u8];
        f.extend_from_slice(&mask);
        f.extend(p.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.tls.write_all(&f).unwrap();
    }

    /// (fin, opcode, payload) of the next frame.
    fn frame(&mut self) -> io::Result<(bool, u8, Vec<u8>)> {
        loop {
            if self.buf.len() >= 2 {
                let (fin, op, masked) = (
                    self.buf[0] & 0x80 != 0,
                    self.buf[0] & 0x0f,
                    self.buf[1] & 0x80 != 0,
                );
                assert!(!masked, "server frames are never masked");
                let (len, hdr) = match self.buf[1] & 0x7f {
                    126 if self.buf.len() >= 4 => {
                        (u16::from_be_bytes([self.buf[2], self.buf[3]]) as usize, 4)
                    }
                    127 if self.buf.len() >= 10 => (
                        u64::from_be_bytes(self.buf[2..10].try_into().unwrap()) as usize,
                        10,
                    ),
                    126 | 127 => (usize::MAX, 0),
                    n => (n as usize, 2),
                };
                if len != usize::MAX && self.buf.len() >= hdr + len {
                    let payload = self.buf[hdr..hdr + len].to_vec();
                    self.buf.drain(..hdr + len);
                    return Ok((fin, op, payload));
                }
            }
            self.fill()?;
        }
    }
}

#[test]
fn ws_fragment_command_sends_continuation_frames() {
    let server = TestServer::start(App::WsEcho, Behaviour::default());
    let (mut raw, _) = RawWs::connect(&server);
    raw.send_text("cmd:fragment 4 abcdefgh");
    let frames: Vec<_> = (0..4).map(|_| raw.frame().unwrap()).collect();
    assert_eq!(
        frames,
        vec![
            (false, 1, b"ab".to_vec()),
            (false, 0, b"cd".to_vec()),
            (false, 0, b"ef".to_vec()),
            (true, 0, b"gh".to_vec()),
        ]
    );
    // And tungstenite reassembles it into one message.
    let (mut ws, _) = ws_connect(&server);
    ws.send(Message::text("cmd:fragment 3 héllo wörld"))
        .unwrap();
    assert_eq!(read_text(&mut ws), "héllo wörld");
}

#[test]
fn ws_fragment_behaviour_splits_every_message() {
    let server = TestServer::start(
        App::WsEcho,
        Behaviour {
            ws_fragment: Some(3),
            ..Default::default()
        },
    );
    let (mut raw, _) = RawWs::connect(&server);
    raw.send_text("0123456789");
    let frames: Vec<_> = (0..4).map(|_| raw.frame().unwrap()).collect();
    assert_eq!(
        frames,
        vec![
            (false, 1, b"012".to_vec()),
            (false, 0, b"345".to_vec()),
            (false, 0, b"678".to_vec()),
            (true, 0, b"9".to_vec()),
        ]
    );
    let (mut ws, _) = ws_connect(&server);
    ws.send(Message::text("cmd:push 20 100")).unwrap();
    for i in 0..20 {
        assert_eq!(read_text(&mut ws), support::push_message(i, 100));
    }
}

#[test]
fn ws_drop_mid_frame_leaves_half_a_frame_then_eof() {
    let server = TestServer::start(App::WsEcho, Behaviour::default());
    let (mut raw, _) = RawWs::connect(&server);
    raw.send_text("cmd:drop-mid-frame");
    let err = raw.frame().expect_err("the frame never completes");
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
        ),
        "{err}"
    );
    // Half of a 1000-byte text frame (4-byte header) arrived.
    assert_eq!(raw.buf.len(), 502);
    assert_eq!(&raw.buf[..4], &[0x81, 126, 0x03, 0xe8]);
}

#[test]
fn max_fragment_makes_every_record_tiny() {
    let server = TestServer::start(
        App::WsEcho,
        Behaviour {
            max_fragment: Some(64),
            ..Default::default()
        },
    );
    let (mut ws, wire) = ws_connect(&server);
    ws.send(Message::text("cmd:big 5000")).unwrap();
    assert_eq!(read_text(&mut ws), support::push_message(0, 5000));
    let bytes = wire.0.lock().unwrap().clone();
    let app_data: Vec<usize> = tls_records(&bytes)
        .into_iter()
        .filter(|&(t, _)| t == 23)
        .map(|(_, l)| l)
        .collect();
    // 59 plaintext bytes per record at most, plus the AEAD tag and inner content type.
    assert!(app_data.len() > 5000 / 64, "{} records", app_data.len());
    assert!(app_data.iter().all(|&l| l <= 64 - 5 + 17), "{app_data:?}");
}

#[test]
fn write_chunk_one_dribbles_bytes() {
    let server = TestServer::start(
        App::WsEcho,
        Behaviour {
            write_chunk: Some(1),
            ..Default::default()
        },
    );
    let (mut ws, wire) = ws_connect(&server);
    ws.send(Message::text("x".repeat(300))).unwrap();
    assert_eq!(read_text(&mut ws), "x".repeat(300));
    let reads = wire.1.lock().unwrap().clone();
    let total: usize = reads.iter().sum();
    // Handshake + upgrade + echo is well over 1000 bytes; most reads return a byte or two.
    assert!(total > 1000);
    assert!(
        reads.len() > total / 20,
        "{} reads for {total} bytes",
        reads.len()
    );
    // A well-behaved server delivers the same exchange in far fewer reads.
    let plain = TestServer::start(App::WsEcho, Behaviour::default());
    let (mut ws, wire) = ws_connect(&plain);
    ws.send(Message::text("x".repeat(300))).unwrap();
    assert_eq!(read_text(&mut ws), "x".repeat(300));
    let plain_reads = wire.1.lock().unwrap().len();
    assert!(
        plain_reads * 4 < reads.len(),
        "{plain_reads} vs {}",
        reads.len()
    );
}

// ---------------------------------------------------------------- HTTP

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Raw bytes of the chunked framing, when chunked.
    raw: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct HttpClient {
    tls: Tls,
    buf: Vec<u8>,
}

impl HttpClient {
    fn new(server: &TestServer) -> HttpClient {
        HttpClient {
            tls: tls_connect(server).0,
            buf: Vec::new(),
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        let mut tmp = [0u8; 16384];
        let n = self.tls.read(&mut tmp)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(())
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            self.fill().unwrap();
        }
        self.buf.drain(..n).collect()
    }

    fn line(&mut self) -> Vec<u8> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let l = self.buf[..i].to_vec();
                self.buf.drain(..i + 2);
                return l;
            }
            self.fill().unwrap();
        }
    }

    fn request(&mut self, method: &str, path: &str, extra: &str, body: &[u8]) -> Resp {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n{extra}\r\n",
            body.len()
        );
        self.tls.write_all(head.as_bytes()).unwrap();
        self.tls.write_all(body).unwrap();
        self.response()
    }

    fn response(&mut self) -> Resp {
        loop {
            let mut slots = [httparse::EMPTY_HEADER; 64];
            let mut r = httparse::Response::new(&mut slots);
            if let httparse::Status::Complete(len) = r.parse(&self.buf).unwrap() {
                let status = r.code.unwrap();
                let headers: Vec<(String, String)> = r
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_string(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect();
                self.buf.drain(..len);
                let mut resp = Resp {
                    status,
                    headers,
                    body: Vec::new(),
                    raw: Vec::new(),
                };
                if resp.header("transfer-encoding") == Some("chunked") {
                    loop {
                        let line = self.line();
                        resp.raw.extend_from_slice(&line);
                        resp.raw.extend_from_slice(b"\r\n");
                        let text = String::from_utf8(line).unwrap();
                        let size =
                            usize::from_str_radix(text.split(';').next().unwrap(), 16).unwrap();
                        if size == 0 {
                            loop {
                                let t = self.line();
                                resp.raw.extend_from_slice(&t);
                                resp.raw.extend_from_slice(b"\r\n");
                                if t.is_empty() {
                                    break;
                                }
                            }
                            break;
                        }
                        let data = self.take(size);
                        resp.body.extend_from_slice(&data);
                        assert_eq!(self.line(), b"");
                    }
                } else if let Some(len) = resp.header("content-length") {
                    let len = len.parse().unwrap();
                    resp.body = self.take(len);
                }
                return resp;
            }
            self.fill().unwrap();
        }
    }
}

#[test]
fn http_len_routes_with_keep_alive_reuse() {
    let server = TestServer::start(App::Http, Behaviour::default());
    let mut c = HttpClient::new(&server);
    for n in [0usize, 1, 26, 100_000] {
        let r = c.request("GET", &format!("/len/{n}"), "", b"");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-length"), Some(n.to_string().as_str()));
        assert_eq!(r.body, support::body_bytes(n));
    }
    assert_eq!(server.connections_accepted(), 1);
    assert_eq!(server.requests_served(), 4);
    assert_eq!(server.requests_per_connection(), vec![4]);
    let mut c2 = HttpClient::new(&server);
    assert_eq!(c2.request("GET", "/len/3", "", b"").body, b"abc");
    assert_eq!(server.requests_per_connection(), vec![4, 1]);
}

#[test]
fn http_chunked_with_extension_and_trailer() {
    let server = TestServer::start(App::Http, Behaviour::default());
    let mut c = HttpClient::new(&server);
    let r = c.request("GET", "/chunked/20000", "", b"");
    assert_eq!(r.status, 200);
    assert!(r.header("content-length").is_none());
    assert_eq!(r.body, support::body_bytes(20000));
    let raw = String::from_utf8_lossy(&r.raw);
    assert!(raw.starts_with("1;ext=1\r\n"), "{raw}");
    assert!(
        raw.contains("\r\nFA0\r\n") || raw.contains("\r\n3E8\r\n"),
        "{raw}"
    );
    assert!(raw.ends_with("0\r\nX-Trailer: done\r\n\r\n"), "{raw}");
    // Keep-alive still works after a chunked body.
    assert_eq!(c.request("GET", "/len/5", "", b"").body, b"abcde");
    assert_eq!(server.requests_per_connection(), vec![2]);
}

#[test]
fn http_status_close_sleep_echo_100_and_404() {
    let server = TestServer::start(App::Http, Behaviour::default());
    let mut c = HttpClient::new(&server);
    let r = c.request("GET", "/status/503", "", b"");
    assert_eq!((r.status, r.body.as_slice()), (503, &b"{\"code\":503}"[..]));
    let r = c.request("GET", "/status/429", "", b"");
    assert_eq!((r.status, r.body.as_slice()), (429, &b"{\"code\":429}"[..]));
    let r = c.request("GET", "/status/204", "", b"");
    assert_eq!((r.status, r.body.len()), (204, 0));
    let t = Instant::now();
    let r = c.request("GET", "/sleep/60", "", b"");
    assert_eq!((r.status, r.body.as_slice()), (200, &b"slept"[..]));
    assert!(t.elapsed() >= Duration::from_millis(60));
    let body: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    let r = c.request("POST", "/echo", "", &body);
    assert_eq!((r.status, &r.body), (200, &body));
    let r = c.request("GET", "/100", "", b"");
    assert_eq!(r.status, 100);
    let r = c.response();
    assert_eq!((r.status, r.body.as_slice()), (200, &b"ok"[..]));
    let r = c.request("GET", "/nope", "", b"");
    assert_eq!(r.status, 404);
    let r = c.request("GET", "/close", "", b"");
    assert_eq!((r.status, r.header("connection")), (200, Some("close")));
    assert_eq!(r.body, b"bye");
    // The server closed cleanly (close_notify): EOF.
    let mut rest = Vec::new();
    assert_eq!(c.tls.read_to_end(&mut rest).unwrap(), 0);
    assert_eq!(server.requests_per_connection(), vec![8]);
    let reqs = server.requests();
    assert_eq!(reqs[4].method, "POST");
    assert_eq!(reqs[4].body, body);
}

#[test]
fn http_client_connection_close_and_chunked_request_body() {
    let server = TestServer::start(App::Http, Behaviour::default());
    let mut c = HttpClient::new(&server);
    let head =
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    c.tls.write_all(head.as_bytes()).unwrap();
    c.tls
        .write_all(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n")
        .unwrap();
    let r = c.response();
    assert_eq!((r.status, r.body.as_slice()), (200, &b"abcde"[..]));
    assert_eq!(r.header("connection"), Some("close"));
    let mut rest = Vec::new();
    assert_eq!(c.tls.read_to_end(&mut rest).unwrap(), 0);
}

#[test]
fn stall_reads_makes_a_big_writer_see_would_block() {
    let server = TestServer::start(
        App::Http,
        Behaviour {
            stall_reads: Some(Duration::from_millis(300)),
            ..Default::default()
        },
    );
    // More than the kernel can buffer for a peer that is not reading (tcp_rmem's maximum is 32 MiB here): with 4 MB
    // the stalled server's socket sometimes took it all and the writer never saw WouldBlock on a loaded machine.
    let body: Vec<u8> = (0..40_000_000u32).map(|i| (i % 256) as u8).collect();
    let head = format!(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut plain = head.into_bytes();
    plain.extend_from_slice(&body);
    // The stall starts when the server accepts, so the clock starts before the connect (on a loaded machine the
    // handshake alone can take a good part of the stall, and the writer then waits less than the full stall).
    let start = Instant::now();
    let (mut tls, _) = tls_connect(&server);
    tls.sock.sock.set_nonblocking(true).unwrap();
    let (mut off, mut would_block) = (0, 0usize);
    while off < plain.len() || tls.conn.wants_write() {
        if off < plain.len() {
            off += tls.conn.writer().write(&plain[off..]).unwrap();
        }
        match tls.conn.write_tls(&mut tls.sock) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                would_block += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => panic!("{e}"),
        }
        assert!(start.elapsed() < TIMEOUT);
    }
    assert!(would_block > 0);
    // The writer was held up by the stall.
    assert!(
        start.elapsed() >= Duration::from_millis(250),
        "{:?}",
        start.elapsed()
    );
    tls.sock.sock.set_nonblocking(false).unwrap();
    let mut c = HttpClient {
        tls,
        buf: Vec::new(),
    };
    let r = c.response();
    assert_eq!(r.status, 200);
    assert!(r.body == body);
}

#[test]
fn ws_stall_reads_starts_after_the_upgrade() {
    let server = TestServer::start(
        App::WsEcho,
        Behaviour {
            stall_reads: Some(Duration::from_millis(200)),
            ..Default::default()
        },
    );
    // The upgrade itself is answered at once; the stall starts after it.
    let t = Instant::now();
    let (mut ws, _) = ws_connect(&server);
    let upgraded = t.elapsed();
    assert!(upgraded < Duration::from_millis(200), "{upgraded:?}");
    let t = Instant::now();
    ws.send(Message::text("late")).unwrap();
    assert_eq!(read_text(&mut ws), "late");
    assert!(
        t.elapsed() + upgraded >= Duration::from_millis(200),
        "{:?}",
        t.elapsed()
    );
    assert!(
        t.elapsed() >= Duration::from_millis(100),
        "{:?}",
        t.elapsed()
    );
}

// ---------------------------------------------------------------- restart / stop

#[test]
fn restart_drops_connections_and_listens_on_the_same_port() {
    let mut server = TestServer::start(App::WsEcho, Behaviour::default());
    let port = server.port();
    let (mut ws, _) = ws_connect(&server);
    ws.send(Message::text("before")).unwrap();
    assert_eq!(read_text(&mut ws), "before");
    server.restart();
    assert_eq!(server.port(), port);
    // The old connection is gone without a WebSocket or TLS close.
    assert!(ws.read().is_err());
    let (mut ws2, _) = ws_connect(&server);
    ws2.send(Message::text("after")).unwrap();
    assert_eq!(read_text(&mut ws2), "after");
    assert_eq!(server.connections_accepted(), 2);
    assert!(!server.client_sent_close());
}

#[test]
#[should_panic(expected = "rustls accepts 32..=16389")]
fn out_of_range_max_fragment_panics_at_start() {
    let _ = TestServer::start(
        App::WsEcho,
        Behaviour {
            max_fragment: Some(16),
            ..Default::default()
        },
    );
}

#[test]
fn stop_refuses_new_connections() {
    let mut server = TestServer::start(App::Http, Behaviour::default());
    let addr = server.addr();
    server.stop();
    assert!(TcpStream::connect(addr).is_err());
    server.stop();
}
