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
    /// The status line and header fields did not end within `limit` bytes (a hostile or broken server).
    HeadTooLarge {
        limit: usize,
    },
    /// The request cannot be written as valid HTTP/1.1 (a header name or value with forbidden bytes, a header
    /// given twice, a framing header the connection owns); nothing was sent.
    BadRequest(&'static str),
    /// A one-shot answer holds more JSON objects and arrays than the cap: parsing it whole would take memory out
    /// of proportion to its size.
    BodyTooComplex {
        limit: usize,
    },
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
            HttpError::HeadTooLarge { limit } => {
                write!(f, "HTTP response head over {limit} bytes")
            }
            HttpError::BadRequest(w) => write!(f, "cannot send the HTTP request: {w}"),
            HttpError::BodyTooComplex { limit } => write!(
                f,
                "HTTP response body holds over {limit} JSON objects/arrays: refused unparsed"
            ),
        }
    }
}

impl std::error::Error for HttpError {}

impl From<TlsError> for HttpError {
    fn from(e: TlsError) -> Self {
        HttpError::Tls(e)
    }
}

/// Largest response head (status line and header fields) accepted. Exchange answers carry well under 4 KiB; the
/// bound keeps a server that never ends its head from filling the TLS buffer and stalling the connection.
pub const MAX_RESPONSE_HEAD: usize = 64 * 1024;
/// Header fields parsed per response; more is refused as malformed.
const MAX_HEADERS: usize = 100;
/// Longest chunk-size line (size, extensions, CRLF).
const MAX_CHUNK_LINE: usize = 4 * 1024;

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
    /// Trailer fields; the count is the bytes of trailer seen so far (bounded like a head).
    Trailers(usize),
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
        write_request(&mut self.req, &self.host, method, path, headers, body)?;
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
                    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                    let mut resp = httparse::Response::new(&mut headers);
                    let input = self.tls.plaintext();
                    let n = match resp.parse(input) {
                        Ok(httparse::Status::Complete(n)) => n,
                        Ok(httparse::Status::Partial) => {
                            // A head that fills the buffer (or the cap) can never complete: fail, do not spin.
                            let limit = MAX_RESPONSE_HEAD.min(self.tls.max_pending_plaintext());
                            if input.len() >= limit {
                                return Err(HttpError::HeadTooLarge { limit });
                            }
                            return Ok(false);
                        }
                        Err(httparse::Error::TooManyHeaders) => {
                            return Err(HttpError::Malformed("over 100 header fields"));
                        }
                        Err(_) => return Err(HttpError::Malformed("bad status line or headers")),
                    };
                    let code = resp.code.unwrap_or(0);
                    if code == 101 {
                        return Err(HttpError::Malformed(
                            "101 Switching Protocols to a request that asked for no upgrade",
                        ));
                    }
                    if (100..200).contains(&code) {
                        self.tls.consume(n); // interim response: the real one follows
                        continue;
                    }
                    let head = parse_head(resp.version == Some(0), resp.headers)?;
                    self.status = code;
                    self.retry_after_s = head.retry_after_s;
                    self.close_after = head.close;
                    self.tls.consume(n);
                    // RFC 9112 §6.3: the order of these checks is the order of precedence.
                    let body = if code == 204 || code == 304 {
                        Body::Length(0)
                    } else if head.chunked {
                        Body::Chunked(Chunk::Size)
                    } else if head.transfer_encoding {
                        // A coding we do not decode last: only the close ends the body.
                        self.close_after = true;
                        Body::UntilClose
                    } else if let Some(l) = head.length {
                        if l > self.max_body as u64 {
                            return Err(HttpError::BodyTooLarge {
                                limit: self.max_body,
                            });
                        }
                        Body::Length(l as usize)
                    } else {
                        self.close_after = true;
                        Body::UntilClose
                    };
                    if head.transfer_encoding && head.length.is_some() {
                        // Both framings: possible smuggling; Transfer-Encoding wins and the socket is not reused.
                        self.close_after = true;
                    }
                    if body == Body::Length(0) {
                        return Ok(true);
                    }
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
                        Chunk::Trailers(0)
                    } else {
                        if self.body.len() as u64 + size > self.max_body as u64 {
                            return Err(HttpError::BodyTooLarge {
                                limit: self.max_body,
                            });
                        }
                        Chunk::Data(size as usize)
                    }))
                }
                Ok(httparse::Status::Partial) => {
                    if input.len() >= MAX_CHUNK_LINE.min(self.tls.max_pending_plaintext()) {
                        return Err(HttpError::Malformed("chunk size line too long"));
                    }
                    Ok(ChunkStep::NeedInput)
                }
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
            Chunk::Trailers(seen) => {
                // Trailer fields end with an empty line; we do not use them, but they count like a head.
                let limit = MAX_RESPONSE_HEAD.min(self.tls.max_pending_plaintext());
                match input.windows(2).position(|w| w == b"\r\n") {
                    Some(0) => {
                        self.tls.consume(2);
                        Ok(ChunkStep::End)
                    }
                    Some(i) if seen + i + 2 <= limit => {
                        self.tls.consume(i + 2);
                        Ok(ChunkStep::Next(Chunk::Trailers(seen + i + 2)))
                    }
                    Some(_) => Err(HttpError::HeadTooLarge { limit }),
                    None if seen + input.len() >= limit => Err(HttpError::HeadTooLarge { limit }),
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

/// What a response head says about framing and the connection.
struct HeadInfo {
    length: Option<u64>,
    /// Any Transfer-Encoding field was present.
    transfer_encoding: bool,
    /// The final transfer coding is `chunked`.
    chunked: bool,
    close: bool,
    retry_after_s: Option<u64>,
}

/// Reads the framing fields of a response head. Repeated fields are combined where RFC 9110 §5.3 allows (lists:
/// Transfer-Encoding, Connection; identical Content-Length values), and refused where they would make the body's
/// end ambiguous.
fn parse_head(http10: bool, headers: &[httparse::Header<'_>]) -> Result<HeadInfo, HttpError> {
    let mut h = HeadInfo {
        length: None,
        transfer_encoding: false,
        chunked: false,
        close: false,
        retry_after_s: None,
    };
    let mut keep_alive = false;
    for f in headers {
        if f.name.eq_ignore_ascii_case("content-length") {
            // `Content-Length: 5, 5` and repeated equal fields are one length (RFC 9110 §8.6); anything else is not.
            for item in f.value.split(|&b| b == b',') {
                let v = parse_u64(item).ok_or(HttpError::Malformed("bad Content-Length"))?;
                if h.length.is_some_and(|l| l != v) {
                    return Err(HttpError::Malformed("conflicting Content-Length values"));
                }
                h.length = Some(v);
            }
        } else if f.name.eq_ignore_ascii_case("transfer-encoding") {
            for coding in f.value.split(|&b| b == b',') {
                let coding = coding.trim_ascii();
                if coding.is_empty() {
                    continue;
                }
                if h.chunked {
                    // RFC 9112 §6.1: chunked is applied last and only once.
                    return Err(HttpError::Malformed("a transfer coding after chunked"));
                }
                h.transfer_encoding = true;
                h.chunked = coding.eq_ignore_ascii_case(b"chunked");
            }
        } else if f.name.eq_ignore_ascii_case("connection") {
            for opt in f.value.split(|&b| b == b',') {
                let opt = opt.trim_ascii();
                if opt.eq_ignore_ascii_case(b"close") {
                    h.close = true;
                } else if opt.eq_ignore_ascii_case(b"keep-alive") {
                    keep_alive = true;
                }
            }
        } else if f.name.eq_ignore_ascii_case("retry-after") && h.retry_after_s.is_none() {
            h.retry_after_s = parse_u64(f.value);
        }
    }
    // HTTP/1.0 closes unless it asked to keep the connection.
    if http10 && !keep_alive {
        h.close = true;
    }
    if http10 && h.transfer_encoding {
        // RFC 9112 §6.1: a Transfer-Encoding in HTTP/1.0 cannot be trusted; the close ends the body.
        h.close = true;
    }
    Ok(h)
}

/// RFC 9110 §5.6.2 token characters (method and field names).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A field value: visible characters, spaces and tabs, no leading or trailing whitespace (RFC 9110 §5.5).
fn is_field_value(v: &str) -> bool {
    let b = v.as_bytes();
    b.iter().all(|&c| c == b'\t' || (c >= 0x20 && c != 0x7f))
        && !b.first().is_some_and(|c| c.is_ascii_whitespace())
        && !b.last().is_some_and(|c| c.is_ascii_whitespace())
}

/// Fields the connection writes itself and a caller may not give: they frame the message.
const OWNED: [&str; 4] = ["host", "content-length", "transfer-encoding", "connection"];
/// Fields written with a default unless the caller gives its own.
const DEFAULTED: [&str; 3] = ["accept", "user-agent", "content-type"];

fn has(headers: &[(&str, &str)], name: &str) -> bool {
    headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
}

/// Serializes a request into `r` (appending). `path` includes the query string.
///
/// The result is RFC 9112 clean whatever the caller passes: `Host` once, `Content-Length` exact (sent whenever
/// there is a body, and for POST/PUT/PATCH without one), every other field at most once — a caller's
/// `Content-Type`, `Accept` or `User-Agent` replaces the default instead of repeating it. A request that cannot be
/// made clean is refused and `r` is left as it was.
pub fn write_request(
    r: &mut Vec<u8>,
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(), HttpError> {
    if !is_token(method) {
        return Err(HttpError::BadRequest("the method is not an HTTP token"));
    }
    if !path.starts_with('/') || path.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(HttpError::BadRequest(
            "the request target must start with / and hold no spaces or control bytes",
        ));
    }
    if host.is_empty() || !is_field_value(host) || host.contains(' ') {
        return Err(HttpError::BadRequest("bad Host value"));
    }
    for (i, (k, v)) in headers.iter().enumerate() {
        if !is_token(k) {
            return Err(HttpError::BadRequest("a header name is not an HTTP token"));
        }
        if !is_field_value(v) {
            return Err(HttpError::BadRequest(
                "a header value holds CR, LF, another control byte or edge whitespace",
            ));
        }
        if OWNED.iter().any(|o| k.eq_ignore_ascii_case(o)) {
            return Err(HttpError::BadRequest(
                "Host, Content-Length, Transfer-Encoding and Connection are written by the connection",
            ));
        }
        if has(&headers[..i], k) {
            return Err(HttpError::BadRequest("a header field is given twice"));
        }
    }
    r.extend_from_slice(method.as_bytes());
    r.push(b' ');
    r.extend_from_slice(path.as_bytes());
    r.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    r.extend_from_slice(host.as_bytes());
    r.extend_from_slice(b"\r\n");
    if !has(headers, DEFAULTED[0]) {
        r.extend_from_slice(b"Accept: application/json\r\n");
    }
    if !has(headers, DEFAULTED[1]) {
        r.extend_from_slice(b"User-Agent: ascendex-hft\r\n");
    }
    for (k, v) in headers {
        r.extend_from_slice(k.as_bytes());
        r.extend_from_slice(b": ");
        r.extend_from_slice(v.as_bytes());
        r.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() && !has(headers, DEFAULTED[2]) {
        r.extend_from_slice(b"Content-Type: application/json\r\n");
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        r.extend_from_slice(b"Content-Length: ");
        r.extend_from_slice(itoa_buf(body.len() as u64).as_bytes());
        r.extend_from_slice(b"\r\n");
    }
    r.extend_from_slice(b"\r\n");
    r.extend_from_slice(body);
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<String, HttpError> {
        let mut r = b"keep".to_vec();
        write_request(&mut r, "h:1", method, "/p?q=1", headers, body)?;
        Ok(String::from_utf8(r).unwrap())
    }

    #[test]
    fn a_callers_content_type_replaces_the_default_instead_of_repeating_it() {
        let r = req(
            "POST",
            &[("Content-Type", "application/json"), ("x-auth-key", "k")],
            b"{}",
        )
        .unwrap();
        assert_eq!(r.matches("Content-Type").count(), 1, "{r}");
        assert_eq!(r.matches("Content-Length: 2\r\n").count(), 1, "{r}");
        assert!(
            r.starts_with("keepPOST /p?q=1 HTTP/1.1\r\nHost: h:1\r\n"),
            "{r}"
        );
        assert!(r.ends_with("\r\n\r\n{}"), "{r}");
        let r = req(
            "POST",
            &[("content-type", "text/plain"), ("User-Agent", "me")],
            b"x",
        )
        .unwrap();
        assert!(!r.contains("application/json\r\nContent-Length"), "{r}");
        assert_eq!(
            r.to_ascii_lowercase().matches("user-agent").count(),
            1,
            "{r}"
        );
    }

    #[test]
    fn bodies_and_lengths_follow_the_method() {
        let get = req("GET", &[], b"").unwrap();
        assert!(
            !get.contains("Content-Length") && !get.contains("Content-Type"),
            "{get}"
        );
        let post = req("POST", &[], b"").unwrap();
        assert!(
            post.contains("Content-Length: 0\r\n") && !post.contains("Content-Type"),
            "{post}"
        );
        let del = req("DELETE", &[], b"{\"a\":1}").unwrap();
        assert!(
            del.contains("Content-Type: application/json\r\nContent-Length: 7\r\n"),
            "{del}"
        );
    }

    #[test]
    fn requests_that_cannot_be_clean_are_refused_and_leave_the_buffer_alone() {
        let bad: [(&str, &[(&str, &str)]); 7] = [
            ("GET", &[("Host", "evil")]),
            ("GET", &[("content-length", "5")]),
            ("GET", &[("Transfer-Encoding", "chunked")]),
            ("GET", &[("x-a", "1\r\nX-Injected: 1")]),
            ("GET", &[("x a", "1")]),
            ("GET", &[("x-a", "1"), ("X-A", "2")]),
            ("GE T", &[]),
        ];
        for (m, h) in bad {
            let mut r = b"keep".to_vec();
            let e = write_request(&mut r, "h", m, "/", h, b"").unwrap_err();
            assert!(matches!(e, HttpError::BadRequest(_)), "{m} {h:?}: {e}");
            assert_eq!(r, b"keep", "{m} {h:?}");
        }
        let mut r = Vec::new();
        assert!(write_request(&mut r, "h", "GET", "/a b", &[], b"").is_err());
        assert!(write_request(&mut r, "h", "GET", "a", &[], b"").is_err());
        assert!(write_request(&mut r, "h\r\nX: 1", "GET", "/", &[], b"").is_err());
        assert!(r.is_empty());
    }

    #[test]
    fn head_fields_combine_where_lists_are_legal() {
        let h = |pairs: &[(&'static str, &'static [u8])]| -> Vec<httparse::Header<'static>> {
            pairs
                .iter()
                .map(|(n, v)| httparse::Header { name: n, value: v })
                .collect()
        };
        let i = parse_head(
            false,
            &h(&[("Content-Length", b"5"), ("content-length", b"5, 5")]),
        )
        .unwrap();
        assert_eq!(i.length, Some(5));
        assert!(
            parse_head(
                false,
                &h(&[("Content-Length", b"5"), ("Content-Length", b"6")])
            )
            .is_err()
        );
        let i = parse_head(
            false,
            &h(&[
                ("Transfer-Encoding", b"gzip"),
                ("Transfer-Encoding", b"chunked"),
            ]),
        )
        .unwrap();
        assert!(i.chunked && i.transfer_encoding);
        let i = parse_head(false, &h(&[("Transfer-Encoding", b"chunked, gzip")]));
        assert!(i.is_err());
        let i = parse_head(
            false,
            &h(&[("Connection", b"keep-alive"), ("Connection", b"Close")]),
        )
        .unwrap();
        assert!(i.close);
        assert!(parse_head(true, &h(&[])).unwrap().close);
        assert!(
            !parse_head(true, &h(&[("Connection", b"Keep-Alive")]))
                .unwrap()
                .close
        );
        let i = parse_head(false, &h(&[("Retry-After", b"7"), ("Retry-After", b"9")])).unwrap();
        assert_eq!(i.retry_after_s, Some(7));
    }
}
