//! Where a TLS server is: host and port parsed from an `https://` or `wss://` URL. It lives in the ground layer
//! because both the blocking one-shot client (`net::oneshot`) and the event loop (`engine`) connect to one.

use std::net::{SocketAddr, ToSocketAddrs};

/// Host and port of a TLS server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
}

/// Why a URL gives no endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndpointError {
    /// Not an `https://` or `wss://` URL with a host and an optional numeric port; the text says which.
    BadUrl(String),
    /// The host name did not resolve to an address.
    Resolve(String),
}

impl std::fmt::Display for EndpointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndpointError::BadUrl(u) => write!(f, "bad URL {u}"),
            EndpointError::Resolve(e) => write!(f, "cannot resolve {e}"),
        }
    }
}

impl std::error::Error for EndpointError {}

impl Endpoint {
    /// Splits `https://host[:port]/path?q` or `wss://...` into the endpoint and the path (with query).
    pub fn parse_url(url: &str) -> Result<(Endpoint, String), EndpointError> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| EndpointError::BadUrl(url.to_string()))?;
        let default_port = match scheme {
            "https" | "wss" => 443,
            _ => {
                return Err(EndpointError::BadUrl(format!(
                    "{url}: only https:// and wss:// are supported"
                )));
            }
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
                let port = p
                    .parse()
                    .map_err(|_| EndpointError::BadUrl(format!("{url}: bad port")))?;
                (h.trim_start_matches('[').trim_end_matches(']'), port)
            }
            _ => (
                authority.trim_start_matches('[').trim_end_matches(']'),
                default_port,
            ),
        };
        if host.is_empty() {
            return Err(EndpointError::BadUrl(format!("{url}: no host")));
        }
        // A host with bytes outside a URL authority would end up verbatim in the `Host` header.
        if host
            .bytes()
            .any(|b| b.is_ascii_control() || b == b' ' || b == b'/' || b == b'@')
        {
            return Err(EndpointError::BadUrl(format!(
                "{url}: bad character in the host"
            )));
        }
        Ok((
            Endpoint {
                host: host.to_string(),
                port,
            },
            path.to_string(),
        ))
    }

    /// The `Host` header value: the port only when it is not the default; IPv6 literals in brackets.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 443 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    pub fn resolve(&self) -> Result<SocketAddr, EndpointError> {
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| EndpointError::Resolve(format!("{}: {e}", self.host)))?
            .next()
            .ok_or_else(|| EndpointError::Resolve(format!("{}: no address", self.host)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let (e, p) = Endpoint::parse_url("wss://127.0.0.1:8443/api/pro/v1/stream").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, p.as_str()),
            ("127.0.0.1", 8443, "/api/pro/v1/stream")
        );
        assert_eq!(e.host_header(), "127.0.0.1:8443");
        let (e, p) = Endpoint::parse_url("https://ascendex.com").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, p.as_str()),
            ("ascendex.com", 443, "/")
        );
        assert_eq!(e.host_header(), "ascendex.com");
        let (e, _) = Endpoint::parse_url("https://[::1]:9000/x").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("::1", 9000));
        assert_eq!(e.host_header(), "[::1]:9000");
        assert!(Endpoint::parse_url("http://plain.example").is_err());
        assert!(Endpoint::parse_url("wss://:80/").is_err());
        assert!(Endpoint::parse_url("wss://h:notaport/").is_err());
        assert!(Endpoint::parse_url("no-scheme").is_err());
        assert!(Endpoint::parse_url("https://a\r\nX-Evil: 1/").is_err());
    }
}
