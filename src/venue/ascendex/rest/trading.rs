//! Trading REST: orders, balances, account info.
