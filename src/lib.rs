//! ascendex-hft: a low-latency trading core for the AscendEX exchange.
//!
//! One pinned, busy-polling thread owns every socket and all state; see `../shared/DESIGN.md` and the README.
//! The core (`net`, `engine`, `book`, `orders`, `num`) knows nothing of AscendEX; `venue::ascendex` translates.

pub mod book;
pub mod builder;
pub mod cli;
pub mod engine;
pub mod ffi;
pub mod metrics;
pub mod net;
pub mod num;
pub mod orders;
pub mod paper;
pub mod prelude;
pub mod strategies;
pub mod strategy;
pub mod venue;
