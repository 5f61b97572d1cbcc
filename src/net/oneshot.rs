//! One blocking HTTPS request on a fresh connection, for start-up (products, account info) and the CLI's one-shot
//! commands. It reuses the same TLS and HTTP code as the event loop over a blocking socket with timeouts; nothing
//! here is on the hot path.

use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ClientConfig;
use rustls_pki_types::ServerName;

use super::http::{HttpConn, HttpError};
use super::tls::{TlsBuffers, TlsError, TlsStream};
use crate::engine::Endpoint;

/// Status and body of a completed request (any status; the caller decides what is an error).
#[derive(Debug)]
pub struct OneShot {
    pub status: u16,
    pub body: Vec<u8>,
    /// `Retry-After` in seconds on a 429/503, so a caller can wait as long as the server asked.
    pub retry_after_s: Option<u64>,
}

/// Sends one request to `base_url` + `path_and_query` and waits for the whole response.
pub fn request(
    tls: &Arc<ClientConfig>,
    base_url: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> Result<OneShot, HttpError> {
    let (ep, _) =
        Endpoint::parse_url(base_url).map_err(|_| HttpError::Malformed("bad base URL"))?;
    let deadline = Instant::now() + timeout;
    let addr = (ep.host.as_str(), ep.port)
        .to_socket_addrs()
        .map_err(|e| HttpError::Tls(TlsError::Io(e)))?
        .next()
        .ok_or(HttpError::NotReady)?;
    let sock =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| HttpError::Tls(TlsError::Io(e)))?;
    let _ = sock.set_nodelay(true);
    // Short read timeouts turn blocking reads into WouldBlock-like pauses so the deadline is checked.
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .map_err(|e| HttpError::Tls(TlsError::Io(e)))?;
    sock.set_write_timeout(Some(timeout))
        .map_err(|e| HttpError::Tls(TlsError::Io(e)))?;
    let name =
        ServerName::try_from(ep.host.clone()).map_err(|_| HttpError::Malformed("bad host name"))?;
    let bufs = TlsBuffers {
        rx: 64 * 1024,
        plain: 256 * 1024,
        tx: 64 * 1024,
    };
    let mut t = TlsStream::new(Timeout(sock), tls.clone(), name, bufs)?;
    while !t.is_open() {
        if Instant::now() > deadline {
            return Err(HttpError::Timeout);
        }
        t.flush()?;
        t.read_tls()?;
    }
    let mut conn = HttpConn::new(t, &ep.host_header(), 64 * 1024 * 1024);
    conn.send(method, path_and_query, headers, body)?;
    loop {
        if Instant::now() > deadline {
            return Err(HttpError::Timeout);
        }
        conn.tls.flush()?;
        match conn.poll_ready() {
            Ok(true) => {
                let (status, retry_after_s) = match conn.last_response() {
                    Ok(r) => (r.status, None),
                    Err(HttpError::Status {
                        code,
                        retry_after_s,
                    }) => (code, retry_after_s),
                    Err(HttpError::Redirect { code }) => (code, None),
                    Err(e) => return Err(e),
                };
                return Ok(OneShot {
                    status,
                    body: conn.last_body().to_vec(),
                    retry_after_s,
                });
            }
            Ok(false) => {}
            Err(e) => return Err(e),
        }
    }
}

/// A blocking socket whose read timeouts look like `WouldBlock` to the TLS layer.
struct Timeout(TcpStream);

impl io::Read for Timeout {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.0.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Err(io::ErrorKind::WouldBlock.into()),
            r => r,
        }
    }
}

impl io::Write for Timeout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}
