//! WebSocket client (RFC 6455) over a `TlsStream`: the upgrade, frames, control frames, the close handshake.
//!
//! tungstenite provides the handshake key helpers; the frame codec and the payload buffers are ours. A complete
//! unfragmented frame is handed out as a slice of the TLS plaintext buffer (no copy, no allocation); fragmented or
//! oversized messages are assembled in one reused buffer capped at `max_message`. Whatever the server breaks
//! (framing, UTF-8, the cap) fails the connection with the matching close code (1002, 1007, 1009) and a typed
//! error naming the rule.
//!
//! - `frame`: the decoder and what a client must refuse
//! - `encode`: masked client frames
//! - `handshake`: the upgrade request and response
//! - `stream`: `WsStream`, which ties them to a `TlsStream` (pings, close, partial writes of large messages)

mod encode;
mod frame;
mod handshake;
mod stream;

pub use encode::{WsEncoder, apply_mask};
pub use frame::{Frame, Loc, Step, WsDecoder, WsEvent, close_code, close_code_valid};
pub use handshake::{HeaderSource, UpgradeHeader, parse_upgrade_response, write_upgrade_request};
pub use stream::{WsOptions, WsState, WsStream};

use super::tls::TlsError;

/// Why a WebSocket connection failed.
#[derive(Debug)]
pub enum WsError {
    Tls(TlsError),
    /// The server answered the upgrade with this HTTP status instead of 101.
    UpgradeRejected(u16),
    /// The upgrade response was not valid HTTP or lacked the WebSocket headers.
    BadUpgrade(&'static str),
    /// The server broke the framing rules; we failed the connection with 1002.
    Protocol(&'static str),
    /// A text message or close reason was not UTF-8; we failed the connection with 1007.
    InvalidPayload(&'static str),
    /// A message exceeded the configured cap; we failed the connection with 1009.
    MessageTooBig {
        limit: usize,
    },
    /// The server closed the WebSocket (close code, if it sent one).
    Closed(Option<u16>),
    /// An operation that needs an open WebSocket was called in another state.
    NotOpen,
    /// `close_with` was given a code an endpoint may not send (1004-1006, 1015, below 1000, 1016-2999, over 4999).
    InvalidCloseCode(u16),
}

impl WsError {
    /// The close code this error fails the connection with, for the errors that are the server's fault.
    pub fn close_code(&self) -> Option<u16> {
        match self {
            WsError::Protocol(_) => Some(close_code::PROTOCOL_ERROR),
            WsError::InvalidPayload(_) => Some(close_code::INVALID_PAYLOAD),
            WsError::MessageTooBig { .. } => Some(close_code::TOO_BIG),
            _ => None,
        }
    }
}

impl std::fmt::Display for WsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WsError::Tls(e) => write!(f, "{e}"),
            WsError::UpgradeRejected(s) => {
                write!(f, "the server refused the WebSocket upgrade with HTTP {s}")
            }
            WsError::BadUpgrade(w) => write!(f, "invalid WebSocket upgrade response: {w}"),
            WsError::Protocol(w) => write!(
                f,
                "WebSocket protocol violation by the server: {w} (connection failed with 1002)"
            ),
            WsError::InvalidPayload(w) => {
                write!(
                    f,
                    "invalid WebSocket payload from the server: {w} (connection failed with 1007)"
                )
            }
            WsError::MessageTooBig { limit } => {
                write!(
                    f,
                    "WebSocket message larger than the {limit}-byte cap (connection failed with 1009; raise \
                     max_message if legitimate)"
                )
            }
            WsError::Closed(Some(c)) => write!(f, "the server closed the WebSocket (code {c})"),
            WsError::Closed(None) => write!(f, "the server closed the WebSocket"),
            WsError::NotOpen => write!(f, "the WebSocket is not open"),
            WsError::InvalidCloseCode(c) => write!(
                f,
                "close code {c} may not be sent (use 1000-1003, 1007-1014 or 3000-4999)"
            ),
        }
    }
}

impl std::error::Error for WsError {}

impl From<TlsError> for WsError {
    fn from(e: TlsError) -> Self {
        WsError::Tls(e)
    }
}
