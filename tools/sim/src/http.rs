//! HTTPS connections: HTTP/1.1 keep-alive request parsing, the WebSocket upgrade, and REST fault injection.

use crate::faults::Kind;
use crate::rest;
use crate::state::Shared;
use crate::ws;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 1 << 20;

pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub ip: IpAddr,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct Response {
    pub status: u16,
    pub body: String,
    pub extra: Vec<(&'static str, String)>,
    /// respInst=DONE on an order still New: wait (up to 5 s) for it to fill or end, else answer `body` (Ack).
    pub done_wait: Option<String>,
}

impl Response {
    pub fn json(body: String) -> Response {
        Response {
            status: 200,
            body,
            extra: Vec::new(),
            done_wait: None,
        }
    }
    pub fn status(status: u16, body: String) -> Response {
        Response {
            status,
            body,
            extra: Vec::new(),
            done_wait: None,
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn render(r: &Response, keep_alive: bool) -> Vec<u8> {
    // A `Content-Type` in `extra` (strict mode's plain-text 404) replaces the JSON default.
    let ct = r
        .extra
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map_or("application/json", |(_, v)| v.as_str());
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: {}\r\n",
        r.status,
        reason(r.status),
        r.body.len(),
        if keep_alive { "keep-alive" } else { "close" }
    );
    for (k, v) in r
        .extra
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("content-type"))
    {
        head.push_str(k);
        head.push_str(": ");
        head.push_str(v);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(r.body.as_bytes());
    out
}

enum Parsed {
    Partial,
    /// Not acceptable HTTP/1.1; the text goes back in the plain-text 400.
    Bad(&'static str),
    Done(Request, usize),
}

/// The plain-text 400 a strict server (Node's llhttp, h11) gives a request it cannot frame; the connection closes.
fn render_bad(why: &str) -> Vec<u8> {
    let body = format!("Bad Request: {why}\n");
    format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// RFC 9112 checks httparse leaves to the caller: CRLF line ends only, exactly one Host, singleton fields once,
/// an exact decimal Content-Length, no request body framing we do not implement.
fn check_head(
    head: &[u8],
    version: Option<u8>,
    headers: &[httparse::Header<'_>],
) -> Result<(), &'static str> {
    if head
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || head[i - 1] != b'\r'))
    {
        return Err("bare LF in the request head (lines end with CRLF)");
    }
    let count = |name: &str| {
        headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .count()
    };
    match count("host") {
        0 if version == Some(1) => return Err("missing Host header"),
        0 | 1 => {}
        _ => return Err("duplicate Host header"),
    }
    for (name, why) in [
        ("content-length", "duplicate Content-Length header"),
        ("content-type", "duplicate Content-Type header"),
        ("authorization", "duplicate Authorization header"),
        ("x-auth-key", "duplicate x-auth-key header"),
        ("x-auth-timestamp", "duplicate x-auth-timestamp header"),
        ("x-auth-signature", "duplicate x-auth-signature header"),
    ] {
        if count(name) > 1 {
            return Err(why);
        }
    }
    if let Some(h) = headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
    {
        let v = h.value;
        if v.is_empty() || v.len() > 18 || !v.iter().all(u8::is_ascii_digit) {
            return Err("bad Content-Length (one decimal number)");
        }
    }
    if count("transfer-encoding") > 0 {
        return Err("Transfer-Encoding in a request is not supported (send Content-Length)");
    }
    Ok(())
}

fn parse(buf: &[u8], ip: IpAddr) -> Parsed {
    let mut hs = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut hs);
    match req.parse(buf) {
        Ok(httparse::Status::Partial) => {
            if buf.len() > MAX_HEAD {
                Parsed::Bad("request head over 64 KiB")
            } else {
                Parsed::Partial
            }
        }
        Err(_) => Parsed::Bad("malformed request line or header field"),
        Ok(httparse::Status::Complete(n)) => {
            if let Err(why) = check_head(&buf[..n], req.version, req.headers) {
                return Parsed::Bad(why);
            }
            let target = req.path.unwrap_or("/");
            let (path, query) = match target.split_once('?') {
                Some((p, q)) => (p.to_string(), q.to_string()),
                None => (target.to_string(), String::new()),
            };
            let headers = req
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_ascii_lowercase(),
                        String::from_utf8_lossy(h.value).trim().to_string(),
                    )
                })
                .collect();
            Parsed::Done(
                Request {
                    method: req.method.unwrap_or("GET").to_string(),
                    path,
                    query,
                    headers,
                    body: Vec::new(),
                    ip,
                },
                n,
            )
        }
    }
}

/// Serves one TLS connection: REST requests until the client closes, or a WebSocket session after an upgrade.
pub async fn serve<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    shared: Arc<Shared>,
    mut s: S,
    ip: IpAddr,
) {
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut tmp = vec![0u8; 16384];
    loop {
        let (mut req, head_len) = loop {
            match parse(&buf, ip) {
                Parsed::Done(r, n) => break (r, n),
                Parsed::Bad(why) => {
                    let _ = s.write_all(&render_bad(why)).await;
                    let _ = s.shutdown().await;
                    return;
                }
                Parsed::Partial => match s.read(&mut tmp).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&tmp[..n]),
                },
            }
        };
        buf.drain(..head_len);
        let upgrade = req
            .header("upgrade")
            .is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
        if upgrade {
            upgrade_ws(shared, s, req, buf).await;
            return;
        }
        // check_head made it one plain decimal number.
        let len: usize = req
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if len > MAX_BODY {
            let r = Response::status(
                413,
                rest::err_body(100001, "INVALID_HTTP_INPUT", "Request body too large"),
            );
            let _ = s.write_all(&render(&r, false)).await;
            return;
        }
        while buf.len() < len {
            match s.read(&mut tmp).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&tmp[..n]),
            }
        }
        req.body = buf.drain(..len).collect();
        let keep_alive = !req
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"));
        let delay = if req.path == "/api/pro/v1/depth" {
            shared.lock().faults.early_diffs_ms
        } else {
            0
        };
        if delay > 0 {
            // early_diffs: the REST snapshot is taken after the delay, so diffs are already flowing.
            tokio::time::sleep(Duration::from_millis(delay)).await;
            let mut st = shared.lock();
            let t = st.now_ms();
            st.faults.record(
                t,
                "early_diffs",
                None,
                None,
                format!("REST depth reply delayed {delay} ms"),
            );
        }
        let (mut resp, slow) = respond(&shared, &req);
        if let Some(order_id) = resp.done_wait.take() {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            while tokio::time::Instant::now() < deadline {
                if let Some(b) = rest::done_body(&shared.lock(), &order_id) {
                    resp.body = b;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        let bytes = render(&resp, keep_alive);
        if slow {
            for b in bytes.chunks(1) {
                if s.write_all(b).await.is_err() || s.flush().await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        } else if s.write_all(&bytes).await.is_err() || s.flush().await.is_err() {
            return;
        }
        if !keep_alive {
            let _ = s.shutdown().await;
            return;
        }
    }
}

/// Scripted answers first (tests), then faults and the endpoint; every non-harness request is logged with the
/// status it got.
fn respond(shared: &Arc<Shared>, req: &Request) -> (Response, bool) {
    if req.path.starts_with("/_sim/") {
        return respond_endpoint(shared, req);
    }
    let scripted = shared.lock().script.take(&req.method, &req.path);
    let (r, slow) = match scripted {
        Some(sc) => {
            let mut r = Response::status(sc.status, sc.body);
            if let Some(v) = sc.retry_after {
                r.extra.push(("Retry-After", v));
            }
            (r, false)
        }
        None => respond_endpoint(shared, req),
    };
    shared
        .lock()
        .script
        .record(&req.method, &req.path, &req.query, r.status);
    (r, slow)
}

/// Applies the REST faults that fire on this request, then the endpoint itself.
fn respond_endpoint(shared: &Arc<Shared>, req: &Request) -> (Response, bool) {
    let (fired, slow_all, now) = {
        let mut st = shared.lock();
        let fired = if req.path.starts_with("/_sim/") {
            Vec::new()
        } else {
            st.faults.on_rest()
        };
        (fired, st.faults.slow_rest, st.now_ms())
    };
    let mut slow = slow_all && !req.path.starts_with("/_sim/");
    for k in &fired {
        let mut st = shared.lock();
        let n = st.faults.rest_count;
        match k {
            Kind::Rest5xx => {
                st.faults.record(
                    now,
                    "rest5xx",
                    None,
                    None,
                    format!("REST request #{n} {} {} answered 503", req.method, req.path),
                );
                return (
                    Response::status(
                        503,
                        rest::err_body(510001, "SERVER_ERROR", "Service temporarily unavailable"),
                    ),
                    false,
                );
            }
            Kind::Rest429 => {
                st.faults.record(
                    now,
                    "rest429",
                    None,
                    None,
                    format!("REST request #{n} {} {} answered 429", req.method, req.path),
                );
                let mut r = Response::status(
                    429,
                    rest::err_body(
                        100101,
                        "TOO_MANY_REQUESTS",
                        "Too many requests, retry later",
                    ),
                );
                r.extra.push(("Retry-After", "1".to_string()));
                return (r, false);
            }
            Kind::SlowRest => {
                st.faults.record(
                    now,
                    "slow_rest",
                    None,
                    None,
                    format!(
                        "REST request #{n} {} {} written byte by byte",
                        req.method, req.path
                    ),
                );
                slow = true;
            }
            _ => {}
        }
    }
    if slow && !fired.contains(&Kind::SlowRest) {
        let mut st = shared.lock();
        let n = st.faults.rest_count;
        st.faults.record(
            now,
            "slow_rest",
            None,
            None,
            format!(
                "REST request #{n} {} {} written byte by byte",
                req.method, req.path
            ),
        );
    }
    (rest::handle(shared, req), slow)
}

async fn upgrade_ws<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    shared: Arc<Shared>,
    mut s: S,
    req: Request,
    leftover: Vec<u8>,
) {
    let strict = {
        let mut st = shared.lock();
        match st
            .strict_docs
            .then(|| crate::strict::check_ws_path(&req.path, &req.query))
        {
            Some(Err(why)) => {
                st.refused.push(crate::strict::refused(&req, why));
                Some(crate::strict::not_found(&req))
            }
            _ => None,
        }
    };
    if let Some(r) = strict {
        let _ = s.write_all(&render(&r, false)).await;
        return;
    }
    let refuse = shared.lock().script.ws_refuse.clone();
    if let Some((status, body)) = refuse {
        let _ = s
            .write_all(&render(&Response::status(status, body), false))
            .await;
        return;
    }
    let path = req.path.trim_end_matches('/');
    let segs: Vec<&str> = path.split('/').filter(|x| !x.is_empty()).collect();
    let (group, rest): (Option<&str>, &[&str]) = match segs.as_slice() {
        [g, tail @ ..] if g.bytes().all(|b| b.is_ascii_digit()) => (Some(*g), tail),
        all => (None, all),
    };
    let v2 = match rest {
        ["api", "pro", "v1", "stream"] => false,
        ["api", "pro", "v2", "stream"] => true,
        _ => {
            let r = Response::status(
                404,
                rest::err_body(
                    100001,
                    "INVALID_HTTP_INPUT",
                    &format!("No WebSocket stream at {}", req.path),
                ),
            );
            let _ = s.write_all(&render(&r, false)).await;
            return;
        }
    };
    let Some(key) = req.header("sec-websocket-key").map(str::to_string) else {
        let r = Response::status(
            400,
            rest::err_body(100001, "INVALID_HTTP_INPUT", "Missing Sec-WebSocket-Key"),
        );
        let _ = s.write_all(&render(&r, false)).await;
        return;
    };
    let checked: Result<(Option<&'static str>, Option<u32>), Response> = (|| {
        let mut st = shared.lock();
        let now = st.now_ms();
        if let Some(until) = st.bans.get(&req.ip).copied()
            && until > now
        {
            return Err(Response::status(
                403,
                rest::err_body(
                    100005,
                    "INVALID_WS_REQUEST_DATA",
                    &format!("IP banned until {until} for violating message thresholds"),
                ),
            ));
        }
        let group_num = group.and_then(|g| g.parse::<u32>().ok());
        if let Some(g) = group_num
            && g != st.acct.group
        {
            return Err(Response::status(
                404,
                rest::err_body(100001, "INVALID_HTTP_INPUT", "Unknown account group"),
            ));
        }
        if group_num.is_none() && req.header("x-auth-key").is_some() {
            st.record_variant("ws header auth on a URL without the account group");
        }
        match ws::header_auth(
            &mut st,
            v2,
            req.header("x-auth-key"),
            req.header("x-auth-timestamp"),
            req.header("x-auth-signature"),
        ) {
            Ok(v) => Ok((v, group_num)),
            Err(e) => Err(Response::status(
                401,
                rest::err_body(e.code, e.reason, &e.message),
            )),
        }
    })();
    let (header_auth, group_num) = match checked {
        Ok(x) => x,
        Err(r) => {
            let _ = s.write_all(&render(&r, false)).await;
            return;
        }
    };
    let head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        ws::accept_key(&key)
    );
    if s.write_all(head.as_bytes()).await.is_err() || s.flush().await.is_err() {
        return;
    }
    ws::run(
        shared,
        s,
        leftover,
        ws::WsInfo {
            v2,
            group: group_num,
            header_auth,
            ip: req.ip,
        },
    )
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(raw: &[u8]) -> Result<(), &'static str> {
        match parse(raw, IpAddr::from([127, 0, 0, 1])) {
            Parsed::Done(..) => Ok(()),
            Parsed::Bad(why) => Err(why),
            Parsed::Partial => Err("partial"),
        }
    }

    #[test]
    fn clean_requests_parse() {
        assert_eq!(verdict(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n"), Ok(()));
        assert_eq!(
            verdict(b"POST /a HTTP/1.1\r\nHost: h:1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"),
            Ok(())
        );
        // Repeating a list-valued field is legal.
        assert_eq!(
            verdict(b"GET / HTTP/1.1\r\nHost: h\r\nAccept: a\r\nAccept: b\r\n\r\n"),
            Ok(())
        );
    }

    #[test]
    fn requests_a_strict_server_refuses_are_refused() {
        let cases: [(&[u8], &str); 8] = [
            (b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", "duplicate Content-Type"),
            (b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}", "duplicate Content-Length"),
            (b"GET /a HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n", "duplicate Host"),
            (b"GET /a HTTP/1.1\r\n\r\n", "missing Host"),
            (b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: +2\r\n\r\n{}", "bad Content-Length"),
            (b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\n{}", "bad Content-Length"),
            (b"GET /a HTTP/1.1\nHost: h\r\n\r\n", "bare LF"),
            (b"POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "Transfer-Encoding"),
        ];
        for (raw, want) in cases {
            match verdict(raw) {
                Err(why) => assert!(
                    why.contains(want),
                    "{}: got {why:?}",
                    String::from_utf8_lossy(raw)
                ),
                Ok(()) => panic!("accepted: {}", String::from_utf8_lossy(raw)),
            }
        }
    }

    #[test]
    fn the_refusal_is_a_plain_text_400_that_closes() {
        let r = String::from_utf8(render_bad("duplicate Host header")).unwrap();
        assert!(r.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{r}");
        assert!(r.contains("Content-Type: text/plain"), "{r}");
        assert!(r.contains("Connection: close"), "{r}");
        assert!(
            r.ends_with("\r\n\r\nBad Request: duplicate Host header\n"),
            "{r}"
        );
    }
}
