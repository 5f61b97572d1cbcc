//! Transports: TLS over mio, HTTP/1.1, WebSocket, timers, backoff.

pub mod backoff;
pub mod endpoint;
pub mod http;
pub mod oneshot;
pub mod sockopt;
pub mod timer;
pub mod tls;
pub mod ws;

#[cfg(test)]
pub(crate) mod testkit;
