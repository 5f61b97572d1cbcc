//! The array-backed order book and its snapshot + diff synchroniser.
