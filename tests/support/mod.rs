//! Test support shared by the integration tests (`mod support;`): a throwaway PKI and a TLS test server that serves
//! WebSocket echo or HTTP/1.1 and can misbehave on purpose (tiny records, byte-at-a-time writes, stalled reads,
//! wrong certificate name, garbage instead of TLS, fragmented WS messages, restarts on the same port).
// Each test binary uses a different part of this module.
#![allow(dead_code, unused_imports)]

pub mod http;
pub mod pki;
pub mod server;
pub mod tls;
pub mod ws;

pub use http::{CHUNK_SIZES, body_bytes};
pub use pki::{TestPki, pki};
pub use server::{App, Behaviour, GARBAGE, RecordedRequest, TestServer};
pub use ws::{push_counter, push_message};
