//! Exact decimal fixed-point prices and quantities.
