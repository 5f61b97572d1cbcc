//! AscendEX auth.
