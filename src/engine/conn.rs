//! What the engine knows about one connection: where it goes, what it speaks, and where it is in its life.

use std::io;

use crate::net::backoff::BackoffPolicy;
pub use crate::net::endpoint::{Endpoint, EndpointError};
use crate::net::http::HttpError;
use crate::net::oneshot::MAX_REST_BODY;
pub use crate::net::sockopt::{KeepAlive, TcpOptions};
use crate::net::tls::TlsError;
use crate::net::ws::{HeaderSource, UpgradeHeader, WsError};

/// Index of a connection in the engine, in the order `Engine::add` returned them.
pub type ConnId = usize;

/// What a connection speaks.
#[derive(Clone, Debug)]
pub enum ConnKind {
    /// A WebSocket at `path`, with extra upgrade headers (AscendEX accepts `x-auth-*` there), written anew at every
    /// connect.
    WebSocket {
        path: String,
        headers: Vec<UpgradeHeader>,
    },
    /// Keep-alive HTTP/1.1, one request in flight.
    Http,
}

/// Everything the engine needs to open and keep a connection.
#[derive(Clone, Debug)]
pub struct ConnSpec {
    pub endpoint: Endpoint,
    pub kind: ConnKind,
    pub backoff: BackoffPolicy,
    /// Reconnect after a failure (with backoff); otherwise the connection stops.
    pub reconnect: bool,
    pub connect_timeout_ms: u64,
    /// HTTP: a request without a complete response after this long fails and the socket is replaced.
    pub request_timeout_ms: u64,
    /// WebSocket: send a protocol ping after this long without receiving anything.
    pub idle_ping_ms: Option<u64>,
    /// WebSocket: declare the connection dead after this long without receiving anything.
    pub dead_after_ms: Option<u64>,
    /// Cap on one WebSocket message or HTTP body.
    pub max_message: usize,
    /// SO_SNDBUF / SO_RCVBUF in bytes; `None` keeps the kernel's autotuning.
    pub send_buffer: Option<usize>,
    pub recv_buffer: Option<usize>,
    /// TCP keep-alive and `TCP_USER_TIMEOUT`, set on every socket of this connection.
    pub tcp: TcpOptions,
}

impl ConnSpec {
    pub fn websocket(url: &str, headers: Vec<(String, String)>) -> Result<Self, EngineError> {
        let (endpoint, path) = Endpoint::parse_url(url)?;
        Ok(ConnSpec {
            kind: ConnKind::WebSocket {
                path,
                headers: headers.into_iter().map(UpgradeHeader::from).collect(),
            },
            ..Self::base(endpoint)
        })
    }

    /// Adds headers produced at each connect (a WebSocket upgrade signed with a fresh timestamp). No effect on an
    /// HTTP connection, whose requests carry their own headers.
    pub fn with_header_source(mut self, src: std::sync::Arc<dyn HeaderSource>) -> Self {
        if let ConnKind::WebSocket { headers, .. } = &mut self.kind {
            headers.push(UpgradeHeader::Fresh(src));
        }
        self
    }

    pub fn http(base_url: &str) -> Result<Self, EngineError> {
        let (endpoint, _) = Endpoint::parse_url(base_url)?;
        Ok(ConnSpec {
            kind: ConnKind::Http,
            // REST answers the session reads (snapshots, order lists) are far below this; a larger answer is a
            // misbehaving server, and parsing it would cost memory in proportion.
            max_message: MAX_REST_BODY,
            ..Self::base(endpoint)
        })
    }

    fn base(endpoint: Endpoint) -> Self {
        ConnSpec {
            endpoint,
            kind: ConnKind::Http,
            backoff: BackoffPolicy::default(),
            reconnect: true,
            connect_timeout_ms: 10_000,
            request_timeout_ms: 10_000,
            idle_ping_ms: Some(15_000),
            dead_after_ms: Some(45_000),
            max_message: 8 * 1024 * 1024,
            send_buffer: None,
            recv_buffer: None,
            tcp: TcpOptions::default(),
        }
    }
}

/// Where a connection is in its life; the engine reports every change to the handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnState {
    /// Added, not started.
    Idle,
    /// TCP connect in progress.
    Connecting,
    TlsHandshake,
    /// WebSocket upgrade sent, waiting for 101.
    Upgrading,
    Open,
    /// We started a close handshake.
    Closing,
    /// Waiting to reconnect.
    Backoff,
    /// Closed for good (reconnect off, or the engine stopped).
    Stopped,
}

/// Why a connection went down.
#[derive(Debug)]
pub enum DisconnectReason {
    Connect(io::Error),
    Tls(TlsError),
    Ws(WsError),
    Http(HttpError),
    /// The server closed the WebSocket with this code.
    ClosedByPeer(Option<u16>),
    /// Connect, handshake, request or liveness timeout.
    Timeout(&'static str),
    /// The handler asked for a reconnect (for example after a sequence gap it cannot repair in place).
    Requested,
    /// Resolving the host failed.
    Resolve(String),
    /// The server's answer to the WebSocket upgrade did not end its head within `limit` bytes.
    HeadTooLarge {
        limit: usize,
    },
}

impl std::fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DisconnectReason::Connect(e) => write!(f, "connect failed: {e}"),
            DisconnectReason::Tls(e) => write!(f, "{e}"),
            DisconnectReason::Ws(e) => write!(f, "{e}"),
            DisconnectReason::Http(e) => write!(f, "{e}"),
            DisconnectReason::ClosedByPeer(Some(c)) => write!(f, "closed by the server (code {c})"),
            DisconnectReason::ClosedByPeer(None) => write!(f, "closed by the server"),
            DisconnectReason::Timeout(what) => write!(f, "timed out: {what}"),
            DisconnectReason::Requested => write!(f, "reconnect requested"),
            DisconnectReason::Resolve(e) => write!(f, "cannot resolve {e}"),
            DisconnectReason::HeadTooLarge { limit } => {
                write!(f, "WebSocket upgrade response head over {limit} bytes")
            }
        }
    }
}

/// Errors setting the engine up.
#[derive(Debug)]
pub enum EngineError {
    BadUrl(String),
    Resolve(String),
    Tls(TlsError),
    Io(io::Error),
    /// `--core N` named a core this machine does not have, or the OS refused the affinity.
    Pin(usize),
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineError::BadUrl(u) => write!(f, "bad URL {u}"),
            EngineError::Resolve(e) => write!(f, "cannot resolve {e}"),
            EngineError::Tls(e) => write!(f, "{e}"),
            EngineError::Io(e) => write!(f, "event loop I/O error: {e}"),
            EngineError::Pin(c) => write!(
                f,
                "cannot pin the event loop to core {c} (check --core and the CPU count)"
            ),
        }
    }
}

impl std::error::Error for EngineError {}

impl From<EndpointError> for EngineError {
    fn from(e: EndpointError) -> Self {
        match e {
            EndpointError::BadUrl(u) => EngineError::BadUrl(u),
            EndpointError::Resolve(r) => EngineError::Resolve(r),
        }
    }
}
