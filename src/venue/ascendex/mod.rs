//! AscendEX: signing, REST endpoints, WebSocket messages, trading rules, ids.

pub mod auth;
pub mod futures;
pub mod ids;
pub mod rest;
pub mod rules;
pub mod session;
pub mod stream;
