//! Bench `book`: being written (see the issue tracker).
fn main() {}
