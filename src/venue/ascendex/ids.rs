//! AscendEX ids.
