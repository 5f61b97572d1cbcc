//! Market-data REST: depth, trades, ticker, barhist, products.
