//! AscendEX rest.
