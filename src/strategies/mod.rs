//! Sample strategies, written only against [`crate::prelude`]: the proof that a user's strategy needs nothing
//! else, and the ones `ascendex mm` and `ascendex demo` run.

// Stable public surface: every public item says what it is for (why, units, scales, invariants).
#![deny(missing_docs)]

pub mod market_maker;

pub use market_maker::{MarketMaker, MmParams, MmStats};
