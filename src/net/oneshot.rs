//! One blocking HTTPS request on a fresh connection, for start-up (products, account info) and the CLI's one-shot
//! commands. It reuses the same TLS and HTTP code as the event loop over a blocking socket with timeouts; nothing
//! here is on the hot path.

use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ClientConfig;
use rustls_pki_types::ServerName;

use super::endpoint::Endpoint;
use super::http::{HttpConn, HttpError};
use super::tls::{TlsBuffers, TlsError, TlsStream};

/// Cap on a REST answer's body, one-shot or in a session. The largest real answers (every product, a page of
/// order history) are a few hundred KiB; callers parse them whole into a DOM, which costs many times the text.
pub const MAX_REST_BODY: usize = 4 * 1024 * 1024;
/// Cap on the JSON objects and arrays in a one-shot answer (checked before the caller parses it): a DOM node
/// costs tens to hundreds of bytes, so a body of tiny objects under the byte cap could still take gigabytes.
/// The product list, the largest real answer, has a few thousand.
pub const MAX_JSON_CONTAINERS: usize = 200_000;

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
    // A one-shot has its own deadline, but a dead link should not hold a socket open in the kernel either.
    let _ = super::sockopt::apply(
        std::os::fd::AsRawFd::as_raw_fd(&sock),
        &super::sockopt::TcpOptions::default(),
    );
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
    let mut conn = HttpConn::new(t, &ep.host_header(), MAX_REST_BODY);
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
                let body = conn.last_body();
                if json_containers(body, MAX_JSON_CONTAINERS) > MAX_JSON_CONTAINERS {
                    return Err(HttpError::BodyTooComplex {
                        limit: MAX_JSON_CONTAINERS,
                    });
                }
                return Ok(OneShot {
                    status,
                    body: body.to_vec(),
                    retry_after_s,
                });
            }
            Ok(false) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Counts JSON objects and arrays (`{` and `[` outside strings), stopping once past `stop_after`. Not a validator:
/// a body that is not JSON just counts low and fails in the caller's parser.
pub fn json_containers(body: &[u8], stop_after: usize) -> usize {
    let mut n = 0;
    let mut in_str = false;
    let mut escaped = false;
    for &b in body {
        if in_str {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
        } else if b == b'"' {
            in_str = true;
        } else if b == b'{' || b == b'[' {
            n += 1;
            if n > stop_after {
                break;
            }
        }
    }
    n
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

#[cfg(test)]
mod tests {
    use super::json_containers;

    #[test]
    fn containers_are_counted_outside_strings_only() {
        assert_eq!(
            json_containers(br#"{"a":[1,{"b":"[{"}],"c":"\"{"}"#, 100),
            3
        );
        assert_eq!(json_containers(b"[]", 100), 1);
        assert_eq!(json_containers(b"not json", 100), 0);
        // Stops counting once past the cap.
        assert_eq!(json_containers(&b"[".repeat(1000), 10), 11);
    }
}
