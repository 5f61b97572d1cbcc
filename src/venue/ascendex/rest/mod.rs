//! REST endpoint builders and response parsers.

pub mod market;
pub mod trading;
