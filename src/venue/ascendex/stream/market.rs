//! Market-data stream messages: depth, depth-snapshot, bbo, trades, bar.
