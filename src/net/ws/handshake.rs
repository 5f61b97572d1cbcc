//! The HTTP/1.1 upgrade (RFC 6455 §4.1): the request with its extra headers, and the checks on the 101 answer.

use std::io::Write;

use tungstenite::handshake::derive_accept_key;

use super::WsError;

/// Produces upgrade headers at the moment the request is written, not when the connection was configured: a
/// signature over a timestamp must be fresh at every (re)connect.
pub trait HeaderSource: Send + Sync {
    /// Appends complete `name: value\r\n` lines to `out`.
    fn write_headers(&self, out: &mut Vec<u8>);
}

/// One extra header (or a group of them) on the upgrade request.
#[derive(Clone)]
pub enum UpgradeHeader {
    /// The same name and value on every connect.
    Fixed(String, String),
    /// Written by the source at each connect (for example `x-auth-*` signed with the current exchange time).
    Fresh(std::sync::Arc<dyn HeaderSource>),
}

impl std::fmt::Debug for UpgradeHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be credentials or signatures: names only.
        match self {
            UpgradeHeader::Fixed(name, _) => write!(f, "Fixed({name}: <value>)"),
            UpgradeHeader::Fresh(_) => f.write_str("Fresh(<written at connect>)"),
        }
    }
}

impl From<(String, String)> for UpgradeHeader {
    fn from((name, value): (String, String)) -> Self {
        UpgradeHeader::Fixed(name, value)
    }
}

/// A header line that cannot split the request: no CR or LF, a non-empty name without ':'.
fn header_safe(name: &str, value: &str) -> bool {
    !name.is_empty()
        && !name.bytes().any(|b| b == b':' || b <= b' ')
        && !value.bytes().any(|b| b == b'\r' || b == b'\n')
}

/// Writes the HTTP upgrade request into `out`; returns the `Sec-WebSocket-Key` to check the answer against.
/// `Fresh` headers are produced now; a `Fixed` header that would break the request framing is left out.
pub fn write_upgrade_request(
    out: &mut Vec<u8>,
    host: &str,
    path: &str,
    extra_headers: &[UpgradeHeader],
) -> String {
    let key = tungstenite::handshake::client::generate_key();
    let _ = write!(
        out,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
    );
    for h in extra_headers {
        match h {
            UpgradeHeader::Fixed(k, v) if header_safe(k, v) => {
                let _ = write!(out, "{k}: {v}\r\n");
            }
            UpgradeHeader::Fixed(..) => {}
            UpgradeHeader::Fresh(src) => src.write_headers(out),
        }
    }
    out.extend_from_slice(b"\r\n");
    key
}

/// Parses the upgrade response at the start of `input`. `Ok(None)` means incomplete; `Ok(Some(n))` means the
/// upgrade succeeded and the first `n` bytes were the response (frames may follow).
pub fn parse_upgrade_response(input: &[u8], key: &str) -> Result<Option<usize>, WsError> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    let n = match resp.parse(input) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(WsError::BadUpgrade("not an HTTP response")),
    };
    let code = resp.code.unwrap_or(0);
    if code != 101 {
        return Err(WsError::UpgradeRejected(code));
    }
    let mut upgrade = false;
    let mut connection = false;
    let mut accept_ok = false;
    let expected = derive_accept_key(key.as_bytes());
    for h in resp.headers.iter() {
        if h.name.eq_ignore_ascii_case("upgrade") {
            upgrade = h.value.eq_ignore_ascii_case(b"websocket");
        } else if h.name.eq_ignore_ascii_case("connection") {
            connection = h
                .value
                .split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"upgrade"));
        } else if h.name.eq_ignore_ascii_case("sec-websocket-accept") {
            accept_ok = h.value.trim_ascii() == expected.as_bytes();
        } else if h.name.eq_ignore_ascii_case("sec-websocket-extensions") {
            return Err(WsError::BadUpgrade(
                "server enabled an extension we did not offer",
            ));
        }
    }
    if !upgrade || !connection {
        return Err(WsError::BadUpgrade("missing Upgrade/Connection headers"));
    }
    if !accept_ok {
        return Err(WsError::BadUpgrade(
            "Sec-WebSocket-Accept does not match our key",
        ));
    }
    Ok(Some(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgrade_response_is_validated() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                  Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
        let with_frame = format!("{ok}\u{81}\u{1}x");
        assert_eq!(
            parse_upgrade_response(with_frame.as_bytes(), key).unwrap(),
            Some(ok.len())
        );
        assert_eq!(
            parse_upgrade_response(&ok.as_bytes()[..20], key).unwrap(),
            None
        );
        let bad_accept = ok.replace(
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        );
        assert!(matches!(
            parse_upgrade_response(bad_accept.as_bytes(), key),
            Err(WsError::BadUpgrade(_))
        ));
        let refused = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
        assert!(matches!(
            parse_upgrade_response(refused.as_bytes(), key),
            Err(WsError::UpgradeRejected(403))
        ));
        assert!(parse_upgrade_response(b"\x16\x03\x01garbage\r\n\r\n", key).is_err());
    }

    #[test]
    fn upgrade_headers_are_written_at_each_request_and_never_split_it() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicU64, Ordering};
        struct Counter(AtomicU64);
        impl HeaderSource for Counter {
            fn write_headers(&self, out: &mut Vec<u8>) {
                let n = self.0.fetch_add(1, Ordering::Relaxed);
                let _ = write!(out, "x-auth-timestamp: {n}\r\n");
            }
        }
        let src = Arc::new(Counter(AtomicU64::new(7)));
        let headers = vec![
            UpgradeHeader::Fixed("x-a".into(), "1".into()),
            UpgradeHeader::Fixed("x-b".into(), "2\r\nx-evil: 1".into()),
            UpgradeHeader::Fixed("bad name".into(), "3".into()),
            UpgradeHeader::Fresh(src.clone()),
        ];
        let mut out = Vec::new();
        write_upgrade_request(&mut out, "h", "/p", &headers);
        let first = String::from_utf8(out.clone()).unwrap();
        out.clear();
        write_upgrade_request(&mut out, "h", "/p", &headers);
        let second = String::from_utf8(out).unwrap();
        assert!(first.contains("\r\nx-a: 1\r\n"), "{first}");
        assert!(
            !first.contains("x-evil") && !first.contains("bad name"),
            "{first}"
        );
        assert!(first.contains("\r\nx-auth-timestamp: 7\r\n\r\n"), "{first}");
        assert!(
            second.contains("\r\nx-auth-timestamp: 8\r\n\r\n"),
            "{second}"
        );
        let mut hs = [httparse::EMPTY_HEADER; 16];
        let mut req = httparse::Request::new(&mut hs);
        assert!(req.parse(first.as_bytes()).unwrap().is_complete());
        let dbg = format!("{:?}", headers);
        assert!(!dbg.contains('1') && dbg.contains("x-a"), "{dbg}");
    }
}
