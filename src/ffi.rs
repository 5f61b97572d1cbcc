//! The C ABI for linking the core as a static library (header in `include/`). Being built: see issue 6.
