//! The HTTP/1.1 app (keep-alive). Routes:
//!
//! | request | response |
//! |---|---|
//! | `GET /len/N` | 200, `Content-Length: N`, body `body_bytes(N)` |
//! | `GET /chunked/N` | 200, chunked, body `body_bytes(N)` in chunks of varying sizes; the first chunk carries an extension (`;ext=1`), the end carries a trailer `X-Trailer: done` |
//! | `GET /status/CODE` | CODE (200..=599) with `{"code":CODE}` (no body for 204/304) |
//! | `GET /close` | 200 `Connection: close`, body `bye`, then close_notify and FIN |
//! | `GET /sleep/MS` | waits MS, then 200 body `slept` |
//! | `POST /echo` | 200 echoing the request body (Content-Length or chunked request bodies) |
//! | `GET /100` | interim `100 Continue`, then 200 body `ok` |
//! | anything else | 404 `{"error":"not found"}` |
//!
//! `Connection: close` from the client is honoured; `Expect: 100-continue` gets a `100 Continue` first.

use std::io::{self, Read, Write};

use super::server::{ConnCtx, RecordedRequest, lock};
use super::tls::TlsStream;

/// The deterministic body of `/len/N` and `/chunked/N`: byte i is `b'a' + i % 26`.
pub fn body_bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| b'a' + (i % 26) as u8).collect()
}

/// The chunk sizes `/chunked/N` cycles through (the last chunk is whatever is left).
pub const CHUNK_SIZES: [usize; 7] = [1, 10, 100, 1000, 4096, 7, 333];

struct Conn {
    tls: TlsStream,
    buf: Vec<u8>,
    pos: usize,
}

impl Conn {
    /// Reads more bytes; Ok(false) on EOF.
    fn fill(&mut self) -> io::Result<bool> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let mut tmp = [0u8; 16 * 1024];
        let n = self.tls.read(&mut tmp)?;
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(n > 0)
    }

    fn pending(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    fn take(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.pending().len() < n {
            if !self.fill()? {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        let v = self.pending()[..n].to_vec();
        self.pos += n;
        Ok(v)
    }

    fn line(&mut self) -> io::Result<String> {
        loop {
            if let Some(i) = self.pending().windows(2).position(|w| w == b"\r\n") {
                let l = String::from_utf8_lossy(&self.pending()[..i]).into_owned();
                self.pos += i + 2;
                return Ok(l);
            }
            if !self.fill()? {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
    }

    /// Sends the start of the final response, counting the request first so a client that has the response
    /// always sees it counted.
    fn respond(&mut self, ctx: &ConnCtx, bytes: &[u8]) -> io::Result<()> {
        ctx.state.count_request(ctx.index);
        self.send(bytes)
    }

    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.tls.write_all(bytes)?;
        self.tls.flush()
    }
}

struct Head {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Ok(None) on a clean EOF between requests.
fn read_head(c: &mut Conn) -> io::Result<Option<Head>> {
    loop {
        let mut slots = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut slots);
        match req.parse(c.pending()) {
            Ok(httparse::Status::Complete(len)) => {
                let head = Head {
                    method: req.method.unwrap_or("").to_string(),
                    path: req.path.unwrap_or("").to_string(),
                    headers: req
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_string(),
                                String::from_utf8_lossy(h.value).into_owned(),
                            )
                        })
                        .collect(),
                };
                c.pos += len;
                return Ok(Some(head));
            }
            Ok(httparse::Status::Partial) => {
                let was_empty = c.pending().is_empty();
                if !c.fill()? {
                    return if was_empty {
                        Ok(None)
                    } else {
                        Err(io::ErrorKind::UnexpectedEof.into())
                    };
                }
            }
            Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
        }
    }
}

fn read_body(c: &mut Conn, head: &Head) -> io::Result<Vec<u8>> {
    let chunked = head
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        let mut body = Vec::new();
        loop {
            let line = c.line()?;
            let size_hex = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_hex, 16)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            if size == 0 {
                // Trailers, up to the empty line.
                while !c.line()?.is_empty() {}
                return Ok(body);
            }
            body.extend(c.take(size)?);
            if !c.line()?.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "chunk not followed by CRLF",
                ));
            }
        }
    }
    let len = match head.header("content-length") {
        Some(v) => v
            .trim()
            .parse::<usize>()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?,
        None => 0,
    };
    c.take(len)
}

fn reason(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        418 => "I'm a teapot",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

fn response(code: u16, content_type: &str, body: &[u8], close: bool) -> Vec<u8> {
    let mut r = format!("HTTP/1.1 {code} {}\r\n", reason(code));
    if code != 204 && code != 304 {
        r.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    if close {
        r.push_str("Connection: close\r\n");
    }
    r.push_str("\r\n");
    let mut v = r.into_bytes();
    if code != 204 && code != 304 {
        v.extend_from_slice(body);
    }
    v
}

pub(crate) fn serve(ctx: &ConnCtx, tls: TlsStream) {
    if let Some(d) = ctx.behaviour.stall_reads
        && !ctx.sleep(d)
    {
        return;
    }
    let mut c = Conn {
        tls,
        buf: Vec::with_capacity(32 * 1024),
        pos: 0,
    };
    loop {
        match serve_one(ctx, &mut c) {
            Ok(true) => {}
            Ok(false) => {
                c.tls.close();
                return;
            }
            Err(_) => return,
        }
    }
}

/// Serves one request. Ok(false) when the connection should close.
fn serve_one(ctx: &ConnCtx, c: &mut Conn) -> io::Result<bool> {
    let Some(head) = read_head(c)? else {
        return Ok(false);
    };
    if head
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        c.send(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let body = read_body(c, &head)?;
    let client_close = head
        .header("connection")
        .is_some_and(|v| v.to_ascii_lowercase().contains("close"));
    lock(&ctx.state.requests).push(RecordedRequest {
        connection: ctx.index,
        method: head.method.clone(),
        path: head.path.clone(),
        headers: head.headers.clone(),
        body: body.clone(),
    });

    let path = head.path.as_str();
    let num = |prefix: &str| {
        path.strip_prefix(prefix)
            .and_then(|n| n.parse::<usize>().ok())
    };
    let mut close = client_close;
    let json = "application/json";
    let text = "text/plain";
    match (head.method.as_str(), path) {
        ("GET", _) if num("/len/").is_some() => {
            let n = num("/len/").unwrap_or(0);
            c.respond(ctx, &response(200, text, &body_bytes(n), close))?;
        }
        ("GET", _) if num("/chunked/").is_some() => {
            let n = num("/chunked/").unwrap_or(0);
            send_chunked(ctx, c, &body_bytes(n), close)?;
        }
        ("GET", _) if path.starts_with("/status/") => {
            match path["/status/".len()..].parse::<u16>() {
                Ok(code) if (200..=599).contains(&code) => c.respond(
                    ctx,
                    &response(code, json, format!("{{\"code\":{code}}}").as_bytes(), close),
                )?,
                _ => c.respond(
                    ctx,
                    &response(400, json, b"{\"error\":\"bad status\"}", close),
                )?,
            }
        }
        ("GET", "/close") => {
            close = true;
            c.respond(ctx, &response(200, text, b"bye", true))?;
        }
        ("GET", _) if num("/sleep/").is_some() => {
            let ms = num("/sleep/").unwrap_or(0) as u64;
            if !ctx.sleep(std::time::Duration::from_millis(ms)) {
                return Ok(false);
            }
            c.respond(ctx, &response(200, text, b"slept", close))?;
        }
        ("POST", "/echo") => {
            c.respond(
                ctx,
                &response(200, "application/octet-stream", &body, close),
            )?;
        }
        ("GET", "/100") => {
            c.send(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            c.respond(ctx, &response(200, text, b"ok", close))?;
        }
        _ => c.respond(
            ctx,
            &response(404, json, b"{\"error\":\"not found\"}", close),
        )?,
    }
    Ok(!close)
}

fn send_chunked(ctx: &ConnCtx, c: &mut Conn, body: &[u8], close: bool) -> io::Result<()> {
    let mut head = String::from(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Trailer\r\n",
    );
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    c.respond(ctx, head.as_bytes())?;
    let mut off = 0;
    let mut i = 0;
    while off < body.len() {
        let n = CHUNK_SIZES[i % CHUNK_SIZES.len()].min(body.len() - off);
        // One chunk extension, and upper-case hex once the size has letters, to exercise the client's parser.
        let ext = if i == 0 { ";ext=1" } else { "" };
        let mut chunk = format!("{n:X}{ext}\r\n").into_bytes();
        chunk.extend_from_slice(&body[off..off + n]);
        chunk.extend_from_slice(b"\r\n");
        c.send(&chunk)?;
        off += n;
        i += 1;
    }
    c.send(b"0\r\nX-Trailer: done\r\n\r\n")
}
