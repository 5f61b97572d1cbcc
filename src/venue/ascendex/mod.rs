//! AscendEX: signing, REST endpoints, WebSocket messages, trading rules, ids; the products (`spot`, and the
//! [`product::ProductApi`] a session is generic over) over the shared session machinery.

pub mod auth;
pub mod futures;
pub mod ids;
pub mod product;
pub mod rest;
pub mod rules;
pub mod session;
pub mod spot;
pub mod stream;
