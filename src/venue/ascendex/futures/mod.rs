//! Perpetual futures (AscendEX Futures Pro v2): the product's codec, beside the spot one. Pure functions and types
//! (no session, no sockets) that a product-generic session plugs in:
//!
//! - [`contracts`]: `/api/pro/v2/futures/contract` rows → [`SymbolRules`](crate::orders::rules::SymbolRules) plus
//!   margin tiers; `/futures/collateral` rows; the `BTC/USDT:USDT` ↔ `BTC-PERP` aliases;
//! - [`pricing`]: the `futures-pricing-data` push and the REST pricing answer → core
//!   [`Pricing`](crate::strategy::events::Pricing) / [`CollateralPrice`](crate::strategy::events::CollateralPrice);
//! - [`order_push`]: the flat `futures-order` push → tracker updates, with each execution's own `lp`/`lq`/`f`
//!   cross-checked against the cumulative fields;
//! - [`account`]: `futures-account-update` / `-snapshot` pushes → core
//!   [`Position`](crate::strategy::events::Position) and collateral balances; [`pnl`]: unrealized PnL from the
//!   mark price and a liquidation-price estimate, exact;
//! - [`encode`]: WebSocket `req` frames (`"ac":"futures"`) into a reused buffer;
//! - [`rest`]: request builders and answer parsers of the futures REST endpoints.
//!
//! Hot-path decoders ([`pricing`], [`order_push`], [`account`]) read the borrowed frame with the trading stream's
//! validating scanner ([`json`](crate::venue::ascendex::stream::trading::json)) and allocate nothing; decimals
//! become scaled integers through the same [`Scales`](crate::venue::ascendex::stream::trading::Scales) table as
//! spot (a contract's `base` is its underlying, its `quote` the settlement asset, whose scale PnL and margins use).
//! Every error is a [`DecodeError`](crate::venue::ascendex::stream::trading::DecodeError): count and skip.
//!
//! Readings taken where the docs disagree (README §13) are said where they apply; in short: limit price as
//! `orderPrice` (§13.10, the REST table and ccxt, not the WS example's `price`); lowercase actions (§13.9); the
//! margin type accepted as `crossed` or `cross` (§13.14); the channel is `futures-pricing-data` (§13.11);
//! `positionNotionalLowerBound` as the real rows spell it, `...Lowerbound` as the docs do.

pub mod account;
pub mod contracts;
pub mod encode;
pub mod order_push;
pub mod pnl;
pub mod pricing;
pub mod rest;
mod wire;

#[cfg(test)]
mod tests;
