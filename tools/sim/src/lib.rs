//! The AscendEX exchange simulator (issue 3).
