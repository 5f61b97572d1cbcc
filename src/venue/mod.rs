//! Venue adapters: everything exchange-specific lives below here.

pub mod ascendex;
