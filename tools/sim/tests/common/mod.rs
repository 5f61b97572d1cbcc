//! A minimal independent TLS client for the simulator's own tests: HTTP/1.1 requests and a WebSocket client
//! with masked frames. It verifies the server certificate against the simulator's CA file.
#![allow(dead_code)]

use ascendex_sim::SimHandle;
use base64::Engine as _;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

pub async fn tls(sim: &SimHandle) -> TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    let pem = sim.ca_pem();
    let der = pem_to_der(&pem);
    roots
        .add(rustls::pki_types::CertificateDer::from(der))
        .expect("CA cert");
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = TcpStream::connect(sim.addr()).await.expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1")
        .expect("name")
        .to_owned();
    TlsConnector::from(Arc::new(cfg))
        .connect(name, tcp)
        .await
        .expect("TLS handshake")
}

fn pem_to_der(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("pem")
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Key {
    Raw,
    B64,
}

pub fn sign(secret: &str, key: Key, prehash: &str) -> String {
    let k = match key {
        Key::Raw => secret.as_bytes().to_vec(),
        Key::B64 => base64::engine::general_purpose::STANDARD
            .decode(secret)
            .expect("secret is base64"),
    };
    ascendex_sim::auth::sign(&k, prehash)
}

pub struct Http {
    pub s: TlsStream<TcpStream>,
    buf: Vec<u8>,
}

pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub raw: String,
}

impl Http {
    pub async fn new(sim: &SimHandle) -> Http {
        Http {
            s: tls(sim).await,
            buf: Vec::new(),
        }
    }

    /// Sends a request; `auth` = Some((prehash path, key variant, timestamp offset ms)).
    pub async fn req(
        &mut self,
        sim: &SimHandle,
        method: &str,
        target: &str,
        body: Option<&str>,
        auth: Option<(&str, Key, i64)>,
    ) -> Resp {
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
        );
        if let Some((path, key, off)) = auth {
            let ts = (now_ms() as i64 + off).to_string();
            let sig = sign(&sim.api_secret(), key, &format!("{ts}+{path}"));
            head.push_str(&format!(
                "x-auth-key: {}\r\nx-auth-timestamp: {ts}\r\nx-auth-signature: {sig}\r\n",
                sim.api_key()
            ));
        }
        let b = body.unwrap_or("");
        if body.is_some() {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                b.len()
            ));
        }
        head.push_str("\r\n");
        head.push_str(b);
        self.s.write_all(head.as_bytes()).await.expect("write");
        self.s.flush().await.expect("flush");
        self.read_resp().await
    }

    async fn read_resp(&mut self) -> Resp {
        let mut tmp = [0u8; 8192];
        loop {
            let mut hs = [httparse::EMPTY_HEADER; 32];
            let mut r = httparse::Response::new(&mut hs);
            if let Ok(httparse::Status::Complete(n)) = r.parse(&self.buf) {
                let status = r.code.unwrap_or(0);
                let len: usize = r
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                    .and_then(|h| std::str::from_utf8(h.value).ok()?.parse().ok())
                    .unwrap_or(0);
                if self.buf.len() >= n + len {
                    let raw = String::from_utf8_lossy(&self.buf[n..n + len]).into_owned();
                    self.buf.drain(..n + len);
                    let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
                    return Resp { status, body, raw };
                }
            }
            let k = self.s.read(&mut tmp).await.expect("read");
            assert!(k > 0, "server closed the HTTP connection");
            self.buf.extend_from_slice(&tmp[..k]);
        }
    }
}

pub async fn get(sim: &SimHandle, target: &str) -> Resp {
    Http::new(sim)
        .await
        .req(sim, "GET", target, None, None)
        .await
}

pub async fn private(
    sim: &SimHandle,
    method: &str,
    target: &str,
    prehash: &str,
    body: Option<&str>,
) -> Resp {
    Http::new(sim)
        .await
        .req(sim, method, target, body, Some((prehash, Key::Raw, 0)))
        .await
}

pub struct Ws {
    pub s: TlsStream<TcpStream>,
    buf: Vec<u8>,
}

#[derive(Debug)]
pub enum Msg {
    Text(String),
    Control(u8, Vec<u8>),
    Closed,
}

impl Ws {
    pub async fn connect(sim: &SimHandle, path: &str, headers: &str) -> Result<Ws, String> {
        let mut s = tls(sim).await;
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{headers}\r\n"
        );
        s.write_all(req.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        let mut tmp = [0u8; 4096];
        loop {
            let k = s.read(&mut tmp).await.map_err(|e| e.to_string())?;
            if k == 0 {
                return Err("closed during upgrade".into());
            }
            buf.extend_from_slice(&tmp[..k]);
            if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..pos]).into_owned();
                if !head.starts_with("HTTP/1.1 101") {
                    return Err(head + &String::from_utf8_lossy(&buf[pos..]));
                }
                assert!(
                    head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
                    "bad accept key: {head}"
                );
                buf.drain(..pos + 4);
                return Ok(Ws { s, buf });
            }
        }
    }

    pub async fn send_frame(&mut self, opcode: u8, payload: &[u8]) {
        let mut f = vec![0x80 | opcode];
        let n = payload.len();
        if n < 126 {
            f.push(0x80 | n as u8);
        } else {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        let mask = [0x12, 0x34, 0x56, 0x78];
        f.extend_from_slice(&mask);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.s.write_all(&f).await.expect("ws write");
        self.s.flush().await.expect("ws flush");
    }

    pub async fn send(&mut self, v: Value) {
        self.send_frame(1, v.to_string().as_bytes()).await;
    }

    /// Next frame, or Closed on EOF/error/timeout.
    pub async fn next(&mut self, timeout: Duration) -> Msg {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut tmp = [0u8; 16384];
        loop {
            if self.buf.len() >= 2 {
                let op = self.buf[0] & 0x0F;
                let mut len = (self.buf[1] & 0x7F) as usize;
                let mut pos = 2;
                let mut complete = true;
                if len == 126 {
                    if self.buf.len() >= 4 {
                        len = u16::from_be_bytes([self.buf[2], self.buf[3]]) as usize;
                        pos = 4;
                    } else {
                        complete = false;
                    }
                } else if len == 127 {
                    if self.buf.len() >= 10 {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(&self.buf[2..10]);
                        len = u64::from_be_bytes(b) as usize;
                        pos = 10;
                    } else {
                        complete = false;
                    }
                }
                if complete && self.buf.len() >= pos + len {
                    let payload = self.buf[pos..pos + len].to_vec();
                    self.buf.drain(..pos + len);
                    return if op == 1 {
                        Msg::Text(String::from_utf8_lossy(&payload).into_owned())
                    } else {
                        Msg::Control(op, payload)
                    };
                }
            }
            match tokio::time::timeout_at(deadline, self.s.read(&mut tmp)).await {
                Ok(Ok(k)) if k > 0 => self.buf.extend_from_slice(&tmp[..k]),
                _ => return Msg::Closed,
            }
        }
    }

    /// Next text message parsed as JSON (skipping control frames); None on close/timeout.
    pub async fn json(&mut self, timeout: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Msg::Text(t) => {
                    if let Ok(v) = serde_json::from_str(&t) {
                        return Some(v);
                    }
                }
                Msg::Control(..) => {}
                Msg::Closed => return None,
            }
        }
    }

    /// First JSON message satisfying `pred` within the timeout.
    pub async fn until(
        &mut self,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let v = self.json(left).await?;
            if pred(&v) {
                return Some(v);
            }
        }
    }

    pub async fn auth(&mut self, sim: &SimHandle, v2: bool, key: Key, ready: bool) -> Value {
        let t = now_ms();
        let path = if v2 { "v2/stream" } else { "stream" };
        let sig = sign(&sim.api_secret(), key, &format!("{t}+{path}"));
        let mut m = serde_json::json!({"op":"auth","id":"a1","t":t.to_string(),"key":sim.api_key(),"sig":sig});
        if ready {
            m["ack"] = "ready".into();
        }
        self.send(m).await;
        self.until(Duration::from_secs(5), |v| v["m"] == "auth")
            .await
            .expect("auth reply")
    }
}

pub fn m(v: &Value) -> &str {
    v["m"].as_str().unwrap_or("")
}
