//! AscendEX rules.
