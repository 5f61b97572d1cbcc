//! WebSocket messages in and out.

pub mod market;
pub mod trading;
