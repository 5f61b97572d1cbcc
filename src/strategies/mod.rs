//! Sample strategies, written only against [`crate::prelude`]: the proof that a user's strategy needs nothing
//! else, and the ones `ascendex mm` and `ascendex demo` run.

pub mod market_maker;

pub use market_maker::{MarketMaker, MmParams, MmStats};
