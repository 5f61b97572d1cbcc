//! Bench `tick_to_order`: being written (see the issue tracker).
fn main() {}
