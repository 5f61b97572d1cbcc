//! Bench `sign`: being written (see the issue tracker).
fn main() {}
