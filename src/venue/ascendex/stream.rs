//! AscendEX stream.
