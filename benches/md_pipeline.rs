//! Bench `md_pipeline`: being written (see the issue tracker).
fn main() {}
