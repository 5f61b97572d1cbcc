//! Bench `transport`: being written (see the issue tracker).
fn main() {}
