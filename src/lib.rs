//! ascendex-hft: a low-latency trading core for the AscendEX exchange. One thread owns every socket (TLS, our own
//! HTTP/1.1 and WebSocket layers), keeps an exact fixed-point order book and the state of your orders, and calls
//! your [`Strategy`](strategy::Strategy) inline; what the strategy places is written to the socket before the
//! next message is parsed. Prices and sizes are scaled integers, never floats, and the hot path allocates nothing
//! after warm-up.
//!
//! A strategy needs one import, [`prelude`], and runs through the [`Trader`](builder::Trader) builder. This one
//! watches the top of the book and rests one post-only bid 1 % below it, for one second, against the exchange
//! simulator embedded in this crate (feature `sim`, on by default; it needs no network or keys):
//!
#![cfg_attr(feature = "sim", doc = "```")]
#![cfg_attr(not(feature = "sim"), doc = "```ignore")]
//! use std::time::Duration;
//!
//! use ascendex_hft::prelude::*;
//!
//! struct Watch {
//!     rules: SymbolRules,
//!     updates: u64,
//!     crossed: u64,
//!     bid: Option<OrderHandle>,
//!     resting: bool,
//! }
//!
//! impl Strategy for Watch {
//!     fn on_book(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, book: &Book, _: &BookUpdate) {
//!         let (Some(bid), Some(ask)) = (book.best_bid(), book.best_ask()) else { return };
//!         self.updates += 1;
//!         if bid.price >= ask.price {
//!             self.crossed += 1;
//!         }
//!         if self.bid.is_none() {
//!             // Mantissas at the symbol's scales: 1 % under the best bid on a whole tick, and the smallest
//!             // size the rules take at that price (the minimum notional is at price scale + size scale).
//!             let r = &self.rules;
//!             let price = bid.price.0 * 99 / 100 / r.tick * r.tick;
//!             let for_notional = (r.min_notional / i128::from(price) + 1) as i64;
//!             let qty = (r.min_qty.max(for_notional) + r.lot - 1) / r.lot * r.lot;
//!             let req = PlaceRequest::post_only(symbol, Side::Buy, price, qty);
//!             self.bid = ctx.place(&req).ok();
//!         }
//!     }
//!
//!     fn on_order(&mut self, _: &mut impl Ctx, event: &OrderEvent<'_>) {
//!         if Some(event.handle) == self.bid && event.kind == OrderEventKind::New {
//!             self.resting = true;
//!         }
//!     }
//! }
//!
//! let run = Trader::ascendex()
//!     .simulator()
//!     .symbol("BTC/USDT")
//!     .run_for(Duration::from_secs(1))
//!     .run_with(|rules| {
//!         let rules = rules[0].clone();
//!         Ok::<_, String>(Watch { rules, updates: 0, crossed: 0, bid: None, resting: false })
//!     })?;
//!
//! let watch = &run.strategy;
//! assert_eq!(run.ended, Ended::TimeLimit);
//! assert!(watch.updates > 0, "the book was never seen in sync");
//! assert_eq!(watch.crossed, 0, "a book in sync is never crossed");
//! assert!(watch.resting, "the bid was not acknowledged as resting on the book");
//! // On the way out the session cancels what it placed and waits for the exchange to confirm.
//! assert_eq!(run.open_after_shutdown, 0);
//! # Ok::<(), TraderError>(())
//! ```
//!
//! Against the real exchange the same strategy runs with `Trader::ascendex().symbol(..)` and the keys in
//! `ASCENDEX_API_KEY` / `ASCENDEX_API_SECRET` (see [`builder`]). The [`strategies`] module holds the sample market
//! maker the `ascendex` binary runs.
//!
//! Stable: what [`prelude`] re-exports. The layout behind it (see `DESIGN.md` next to the repository and the
//! README): the core (`net`, `engine`, `book`, `orders`, `num`) knows nothing of AscendEX; `venue::ascendex`
//! translates.

pub mod book;
pub mod builder;
pub mod cli;
pub mod engine;
pub mod ffi;
pub mod metrics;
pub mod net;
pub mod num;
pub mod orders;
pub mod paper;
pub mod prelude;
pub mod strategies;
pub mod strategy;
pub mod venue;
