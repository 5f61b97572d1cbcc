//! Servers for the hostile-peer tests: `RawServer` runs a script per TLS connection that writes whatever bytes it
//! likes (never-ending heads, bodies of any size, data and a FIN in one go); `CaptureProxy` terminates TLS in
//! front of the simulator and records every byte the client sent, so the exact requests can be checked.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::pki::pki;
use crate::support::tls::TlsStream;

/// One accepted TLS connection, handshake done.
pub struct Peer {
    pub tls: TlsStream,
    buf: Vec<u8>,
}

impl Peer {
    /// Reads up to the end of a head (`\r\n\r\n`); returns the head, keeps what follows. None on EOF.
    pub fn read_head(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head: Vec<u8> = self.buf.drain(..i + 4).collect();
                return Some(head);
            }
            let mut tmp = [0u8; 16 * 1024];
            match self.tls.read(&mut tmp) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&tmp[..n]),
            }
        }
    }

    /// Reads a request head and its Content-Length body; discards both. False on EOF.
    pub fn read_request(&mut self) -> bool {
        let Some(head) = self.read_head() else {
            return false;
        };
        let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
        let len = text
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        while self.buf.len() < len {
            let mut tmp = [0u8; 16 * 1024];
            match self.tls.read(&mut tmp) {
                Ok(0) | Err(_) => return false,
                Ok(n) => self.buf.extend_from_slice(&tmp[..n]),
            }
        }
        self.buf.drain(..len);
        true
    }

    /// The value of `name` in a head (case-insensitive).
    pub fn header(head: &[u8], name: &str) -> Option<String> {
        let text = String::from_utf8_lossy(head);
        text.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }

    /// Encrypts and writes `bytes` (records as rustls cuts them).
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.tls.write_all(bytes)?;
        self.tls.flush()
    }

    /// Encrypts `bytes` and writes them in one socket write, then shuts the socket: the data and the FIN leave
    /// together (no close_notify, as when a process dies or a gateway drops the flow).
    pub fn send_then_fin(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.tls.conn.writer().write_all(bytes)?;
        let mut out = Vec::new();
        while self.tls.conn.wants_write() {
            self.tls.conn.write_tls(&mut out)?;
        }
        self.tls.sock.write_all(&out)?;
        self.tls.sock.shutdown(Shutdown::Write)
    }

    /// Like `send_then_fin` with a close_notify after the data.
    pub fn send_then_close_notify(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.tls.conn.writer().write_all(bytes)?;
        self.tls.conn.send_close_notify();
        let mut out = Vec::new();
        while self.tls.conn.wants_write() {
            self.tls.conn.write_tls(&mut out)?;
        }
        self.tls.sock.write_all(&out)?;
        self.tls.sock.shutdown(Shutdown::Write)
    }
}

/// `Sec-WebSocket-Accept` for a key.
pub fn accept_key(key: &str) -> String {
    tungstenite::handshake::derive_accept_key(key.as_bytes())
}

/// An unmasked server text frame.
pub fn text_frame(payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x81];
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

type Script = dyn Fn(usize, &mut Peer) + Send + Sync;

/// A TLS server on 127.0.0.1 (the test PKI's leaf) running `script(connection_index, peer)` per connection.
pub struct RawServer {
    pub addr: SocketAddr,
    pub accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl RawServer {
    pub fn start(script: impl Fn(usize, &mut Peer) + Send + Sync + 'static) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let script: Arc<Script> = Arc::new(script);
        let (acc, st) = (accepted.clone(), stop.clone());
        std::thread::spawn(move || {
            let config = pki().server_config(false, None);
            while !st.load(Ordering::SeqCst) {
                let sock = match listener.accept() {
                    Ok((s, _)) => s,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(2));
                        continue;
                    }
                    Err(_) => return,
                };
                let _ = sock.set_nonblocking(false);
                let _ = sock.set_nodelay(true);
                let i = acc.fetch_add(1, Ordering::SeqCst);
                let (config, script) = (config.clone(), script.clone());
                std::thread::spawn(move || {
                    let Ok(mut tls) = TlsStream::new(config, sock, None, Duration::ZERO) else {
                        return;
                    };
                    if tls.handshake().is_err() {
                        return;
                    }
                    let mut peer = Peer {
                        tls,
                        buf: Vec::new(),
                    };
                    script(i, &mut peer);
                });
            }
        });
        RawServer {
            addr,
            accepted,
            stop,
        }
    }

    pub fn https_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    pub fn ws_url(&self) -> String {
        format!("wss://127.0.0.1:{}/api/pro/v1/stream", self.addr.port())
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A TLS-terminating proxy to `upstream` (trusting `upstream_ca_pem`), presenting the test PKI's leaf, recording
/// the bytes each client connection sent, in accept order.
/// One connection's recorded client bytes, shared with its proxy task.
type Recording = Arc<Mutex<Vec<u8>>>;

pub struct CaptureProxy {
    pub addr: SocketAddr,
    streams: Arc<Mutex<Vec<Recording>>>,
}

impl CaptureProxy {
    pub fn start(upstream: SocketAddr, upstream_ca_pem: &str) -> CaptureProxy {
        use rustls_pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_pki_types::CertificateDer::pem_slice_iter(upstream_ca_pem.as_bytes()) {
            roots.add(c.unwrap()).unwrap();
        }
        let client = Arc::new(
            rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
        );
        let server = pki().server_config(false, None);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let streams: Arc<Mutex<Vec<Recording>>> = Arc::default();
        let st = streams.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let acceptor = tokio_rustls::TlsAcceptor::from(server);
                let connector = tokio_rustls::TlsConnector::from(client);
                loop {
                    let Ok((sock, _)) = listener.accept().await else {
                        return;
                    };
                    let rec = Arc::new(Mutex::new(Vec::new()));
                    st.lock().unwrap().push(rec.clone());
                    let (acceptor, connector) = (acceptor.clone(), connector.clone());
                    tokio::spawn(async move {
                        let _ = proxy_one(sock, acceptor, connector, upstream, rec).await;
                    });
                }
            });
        });
        CaptureProxy { addr, streams }
    }

    pub fn https_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    /// Everything each connection's client sent so far.
    pub fn streams(&self) -> Vec<Vec<u8>> {
        self.streams
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.lock().unwrap().clone())
            .collect()
    }
}

async fn proxy_one(
    sock: tokio::net::TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
    connector: tokio_rustls::TlsConnector,
    upstream: SocketAddr,
    rec: Recording,
) -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let down = acceptor.accept(sock).await?;
    let up = tokio::net::TcpStream::connect(upstream).await?;
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let up = connector.connect(name, up).await?;
    let (mut dr, mut dw) = tokio::io::split(down);
    let (mut ur, mut uw) = tokio::io::split(up);
    let to_server = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = dr.read(&mut buf).await?;
            if n == 0 {
                let _ = uw.shutdown().await;
                return Ok::<(), io::Error>(());
            }
            rec.lock().unwrap().extend_from_slice(&buf[..n]);
            uw.write_all(&buf[..n]).await?;
        }
    };
    let to_client = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = ur.read(&mut buf).await?;
            if n == 0 {
                let _ = dw.shutdown().await;
                return Ok::<(), io::Error>(());
            }
            dw.write_all(&buf[..n]).await?;
        }
    };
    let _ = tokio::join!(to_server, to_client);
    Ok(())
}
