//! HTTP/1.1 client on httparse over a `TlsStream`: keep-alive, one request in flight per connection, requests
//! serialized into a reused buffer, `Content-Length` and chunked bodies decoded incrementally into a reused
//! buffer, interim 1xx responses skipped, non-2xx statuses surfaced as typed errors.

use std::io::{Read, Write};

use super::tls::{TlsError, TlsStream};

#[derive(Debug)]
pub enum HttpError {
    Tls(TlsError),
    /// The server answered with a non-2xx status. `retry_after_s` comes from `Retry-After` (429/503).
    Status {
        code: u16,
        retry_after_s: Option<u64>,
    },
    /// A redirect (3xx): exchange APIs do not redirect, so this means a wrong base URL.
    Redirect {
        code: u16,
    },
    /// The response was not valid HTTP/1.1.
    Malformed(&'static str),
    /// The body exceeded the configured cap.
    BodyTooLarge {
        limit: usize,
    },
    /// The server closed the connection before the response was complete.
    Closed,
    /// A request was started while another is in flight on this connection.
    Busy,
    /// The connection is not usable (handshake not done, or closed): reconnect.
    NotReady,
    /// No complete response within the request timeout.
    Timeout,
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Tls(e) => write!(f, "{e}"),
            HttpError::Status {
                code,
                retry_after_s: Some(s),
            } => {
                write!(f, "HTTP {code} from the server (retry after {s} s)")
            }
            HttpError::Status { code, .. } => write!(f, "HTTP {code} from the server"),
            HttpError::Redirect { code } => {
                write!(f, "HTTP redirect {code}: check the REST base URL")
            }
            HttpError::Malformed(w) => write!(f, "malformed HTTP response: {w}"),
            HttpError::BodyTooLarge { limit } => {
                write!(f, "HTTP response body over the {limit}-byte cap")
            }
            HttpError::Closed => write!(f, "the server closed the connection mid-response"),
            HttpError::Busy => write!(f, "a request is already in flight on this connection"),
            HttpError::NotReady => {
                write!(f, "the HTTP connection is not ready (connecting or closed)")
            }
            HttpError::Timeout => write!(f, "HTTP request timed out"),
        }
    }
}

impl std::error::Error for HttpError {}

impl From<TlsError> for HttpError {
    fn from(e: TlsError) -> Self {
        HttpError::Tls(e)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Body {
    Length(usize),
    Chunked(Chunk),
    /// No length and not chunked: the body runs until the server closes.
    UntilClose,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chunk {
    Size,
    Data(usize),
    DataEnd,
    Trailers,
}

enum ChunkStep {
    Next(Chunk),
    NeedInput,
    End,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Idle,
    Head,
    Body(Body),
    Done,
}

/// A completed response; the body borrows the connection's buffer until the next call.
#[derive(Debug)]
pub struct Response<'a> {
    pub status: u16,
    pub body: &'a [u8],
}

/// One keep-alive HTTP/1.1 connection.
pub struct HttpConn<S> {
    pub tls: TlsStream<S>,
    host: String,
    req: Vec<u8>,
    body: Vec<u8>,
    max_body: usize,
    phase: Phase,
    status: u16,
    retry_after_s: Option<u64>,
    close_after: bool,
    closed: bool,
    /// Requests completed on this connection (keep-alive reuse is visible here).
    pub completed: u64,
}

impl<S: Read + Write> HttpConn<S> {
    pub fn new(tls: TlsStream<S>, host: &str, max_body: usize) -> Self {
        HttpConn {
            tls,
            host: host.to_string(),
            req: Vec::with_capacity(2048),
            body: Vec::with_capacity(16 * 1024),
            max_body,
            phase: Phase::Idle,
            status: 0,
            retry_after_s: None,
            close_after: false,
            closed: false,
            completed: 0,
        }
    }

    /// True when a new request can be sent now.
    pub fn is_idle(&self) -> bool {
        matches!(self.phase, Phase::Idle | Phase::Done) && self.tls.is_open() && !self.closed
    }

    /// True once the server said `Connection: close` or closed: the owner must reconnect before the next request.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    pub fn in_flight(&self) -> bool {
        matches!(self.phase, Phase::Head | Phase::Body(_))
    }

    /// Serializes and sends a request. `path` includes the query string; `headers` are extra headers (auth).
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(), HttpError> {
        if self.in_flight() {
            return Err(HttpError::Busy);
        }
        if !self.tls.is_open() || self.closed {
            return Err(HttpError::NotReady);
        }
        self.req.clear();
        write_request(&mut self.req, &self.host, method, path, headers, body);
        let req = std::mem::take(&mut self.req);
        let r = self.send_raw(&req);
        self.req = req;
        r
    }

    /// Sends an already serialized request (see `write_request`).
    pub fn send_raw(&mut self, request: &[u8]) -> Result<(), HttpError> {
        if self.in_flight() {
            return Err(HttpError::Busy);
        }
        if !self.tls.is_open() || self.closed {
            return Err(HttpError::NotReady);
        }
        self.tls.send(request)?;
        self.phase = Phase::Head;
        self.body.clear();
        self.status = 0;
        self.retry_after_s = None;
        Ok(())
    }

    /// Reads from the socket and advances the response. `Ok(None)` until the response is complete.
    pub fn poll(&mut self) -> Result<Option<Response<'_>>, HttpError> {
        if self.poll_ready()? {
            self.last_response().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Reads and parses; true when a response just completed (then read it with `last_response`).
    pub fn poll_ready(&mut self) -> Result<bool, HttpError> {
        let r = self.tls.read_tls()?;
        if self.advance()? {
            self.finish();
            return Ok(true);
        }
        if r.peer_closed {
            self.closed = true;
            if self.phase == Phase::Body(Body::UntilClose) {
                self.finish();
                return Ok(true);
            }
            if self.in_flight() {
                return Err(HttpError::Closed);
            }
        }
        Ok(false)
    }

    fn finish(&mut self) {
        self.phase = Phase::Done;
        self.completed += 1;
        if self.close_after {
            self.closed = true;
            let _ = self.tls.close();
        }
    }

    /// The last completed response: its body for 2xx, a typed error otherwise (the body stays in `last_body`).
    pub fn last_response(&self) -> Result<Response<'_>, HttpError> {
        match self.status {
            200..=299 => Ok(Response {
                status: self.status,
                body: &self.body,
            }),
            300..=399 => Err(HttpError::Redirect { code: self.status }),
            code => Err(HttpError::Status {
                code,
                retry_after_s: self.retry_after_s,
            }),
        }
    }

    /// The body of the last response, also after a non-2xx status (exchanges put the reason there).
    pub fn last_body(&self) -> &[u8] {
        &self.body
    }

    /// Parses as far as the buffered plaintext allows; true when the response is complete.
    fn advance(&mut self) -> Result<bool, HttpError> {
        loop {
            match self.phase {
                Phase::Idle | Phase::Done => {
                    if !self.tls.plaintext().is_empty() {
                        return Err(HttpError::Malformed(
                            "data from the server with no request in flight",
                        ));
                    }
                    return Ok(false);
                }
                Phase::Head => {
                    let mut headers = [httparse::EMPTY_HEADER; 64];
                    let mut resp = httparse::Response::new(&mut headers);
                    let n = match resp.parse(self.tls.plaintext()) {
                        Ok(httparse::Status::Complete(n)) => n,
                        Ok(httparse::Status::Partial) => return Ok(false),
                        Err(_) => return Err(HttpError::Malformed("bad status line or headers")),
                    };
                    let code = resp.code.unwrap_or(0);
                    if (100..200).contains(&code) {
                        self.tls.consume(n); // interim response: the real one follows
                        continue;
                    }
                    let mut length = None;
                    let mut chunked = false;
                    let mut close = resp.version == Some(0);
                    let mut retry = None;
                    for h in resp.headers.iter() {
                        if h.name.eq_ignore_ascii_case("content-length") {
                            let v = parse_u64(h.value)
                                .ok_or(HttpError::Malformed("bad Content-Length"))?;
                            length = Some(v as usize);
                        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                            chunked = h
                                .value
                                .split(|&b| b == b',')
                                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"chunked"));
                        } else if h.name.eq_ignore_ascii_case("connection") {
                            close = h.value.trim_ascii().eq_ignore_ascii_case(b"close");
                        } else if h.name.eq_ignore_ascii_case("retry-after") {
                            retry = parse_u64(h.value);
                        }
                    }
                    self.status = code;
                    self.retry_after_s = retry;
                    self.close_after = close;
                    self.tls.consume(n);
                    let body = if chunked {
                        Body::Chunked(Chunk::Size)
                    } else if let Some(l) = length {
                        if l > self.max_body {
                            return Err(HttpError::BodyTooLarge {
                                limit: self.max_body,
                            });
                        }
                        Body::Length(l)
                    } else if code == 204 || code == 304 {
                        Body::Length(0)
                    } else {
                        self.close_after = true;
                        Body::UntilClose
                    };
                    self.phase = Phase::Body(body);
                }
                Phase::Body(Body::Length(remaining)) => {
                    let avail = self.tls.plaintext().len().min(remaining);
                    self.take_body(avail)?;
                    let left = remaining - avail;
                    if left == 0 {
                        return Ok(true);
                    }
                    self.phase = Phase::Body(Body::Length(left));
                    return Ok(false);
                }
                Phase::Body(Body::UntilClose) => {
                    let avail = self.tls.plaintext().len();
                    self.take_body(avail)?;
                    return Ok(false);
                }
                Phase::Body(Body::Chunked(c)) => match self.chunk_step(c)? {
                    ChunkStep::Next(next) => self.phase = Phase::Body(Body::Chunked(next)),
                    ChunkStep::NeedInput => return Ok(false),
                    ChunkStep::End => return Ok(true),
                },
            }
        }
    }

    /// One step of chunked decoding.
    fn chunk_step(&mut self, c: Chunk) -> Result<ChunkStep, HttpError> {
        let input = self.tls.plaintext();
        match c {
            Chunk::Size => match httparse::parse_chunk_size(input) {
                Ok(httparse::Status::Complete((n, size))) => {
                    self.tls.consume(n);
                    Ok(ChunkStep::Next(if size == 0 {
                        Chunk::Trailers
                    } else {
                        Chunk::Data(size as usize)
                    }))
                }
                Ok(httparse::Status::Partial) => Ok(ChunkStep::NeedInput),
                Err(_) => Err(HttpError::Malformed("bad chunk size")),
            },
            Chunk::Data(remaining) => {
                let avail = input.len().min(remaining);
                if avail == 0 {
                    return Ok(ChunkStep::NeedInput);
                }
                self.take_body(avail)?;
                let left = remaining - avail;
                Ok(ChunkStep::Next(if left == 0 {
                    Chunk::DataEnd
                } else {
                    Chunk::Data(left)
                }))
            }
            Chunk::DataEnd => {
                if input.len() < 2 {
                    return Ok(ChunkStep::NeedInput);
                }
                if &input[..2] != b"\r\n" {
                    return Err(HttpError::Malformed("chunk not followed by CRLF"));
                }
                self.tls.consume(2);
                Ok(ChunkStep::Next(Chunk::Size))
            }
            Chunk::Trailers => {
                // Trailer fields end with an empty line; we do not use them.
                match input.windows(2).position(|w| w == b"\r\n") {
                    Some(0) => {
                        self.tls.consume(2);
                        Ok(ChunkStep::End)
                    }
                    Some(i) => {
                        self.tls.consume(i + 2);
                        Ok(ChunkStep::Next(Chunk::Trailers))
                    }
                    None => Ok(ChunkStep::NeedInput),
                }
            }
        }
    }

    fn take_body(&mut self, n: usize) -> Result<(), HttpError> {
        if self.body.len() + n > self.max_body {
            return Err(HttpError::BodyTooLarge {
                limit: self.max_body,
            });
        }
        self.body.extend_from_slice(&self.tls.plaintext()[..n]);
        self.tls.consume(n);
        Ok(())
    }
}

/// Serializes a request into `r` (appending). `path` includes the query string.
pub fn write_request(
    r: &mut Vec<u8>,
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) {
    r.extend_from_slice(method.as_bytes());
    r.push(b' ');
    r.extend_from_slice(path.as_bytes());
    r.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    r.extend_from_slice(host.as_bytes());
    r.extend_from_slice(b"\r\nAccept: application/json\r\nUser-Agent: ascendex-hft\r\n");
    for (k, v) in headers {
        r.extend_from_slice(k.as_bytes());
        r.extend_from_slice(b": ");
        r.extend_from_slice(v.as_bytes());
        r.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() || method != "GET" {
        r.extend_from_slice(b"Content-Type: application/json\r\nContent-Length: ");
        r.extend_from_slice(itoa_buf(body.len() as u64).as_bytes());
        r.extend_from_slice(b"\r\n");
    }
    r.extend_from_slice(b"\r\n");
    r.extend_from_slice(body);
}

fn parse_u64(v: &[u8]) -> Option<u64> {
    let v = v.trim_ascii();
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    v.iter().try_fold(0u64, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + (b - b'0') as u64)
    })
}

/// A decimal rendering of a `u64` on the stack.
struct NumBuf {
    buf: [u8; 20],
    start: usize,
}

impl NumBuf {
    fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

fn itoa_buf(mut v: u64) -> NumBuf {
    let mut buf = [0u8; 20];
    let mut i = 20;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    NumBuf { buf, start: i }
}
