//! Trading stream messages: order requests out (place, cancel, cancel-all, open-order), and in: request replies,
//! `order` and `balance` pushes, `open-order` replies, `auth` replies, `error` and session messages.
//!
//! Frames are written into a caller's reused `Vec<u8>` (cleared first; no allocation once its capacity suffices)
//! and decoded from the borrowed frame bytes with [`json`], a small validating scanner that allocates nothing.
//! sonic-rs's lazy iterators allocate a key buffer per object, which the hot path cannot afford; the tests check
//! the scanner against sonic-rs on the same inputs. Decimal strings become scaled integers through the caller's
//! [`Scales`] table (per-symbol price/quantity/fee scales, per-asset balance scales).
//!
//! Typical session (one thread, reused buffers):
//! - authenticate: `Signer::headers(ts, ApiPath::Stream)` on the upgrade, or `Signer::write_ws_auth` after it;
//!   then [`write_subscribe_orders`];
//! - build a [`ScaleTable`] once (`ScaleTable::from_rules`) and an [`OrderEntry`] (client-id generator, userUID);
//!   the session (`session::trading`) drives its orders through the same [`OrderEntry`];
//! - place / cancel: [`OrderEntry::place`] / [`OrderEntry::cancel`] write the frame and update the tracker;
//! - every text frame: [`decode`], then [`OrderEntry::on_message`] (orders, fills, balances); `Ping` → send
//!   [`PONG`]; `Auth`, `Error`, `Disconnected` and `Other` are the caller's.

use std::fmt;

use crate::orders::scaled::{MAX_FORMATTED, ScaledError, format_scaled, parse_scaled};
use crate::orders::{
    AssetId, ClientId, OrderId, OrderKind, OrderUpdate, ReportedStatus, Side, Source, SymbolId,
};
use crate::orders::{TimeInForce, types::MAX_ID_LEN};

mod decode;
mod encode;
mod entry;
mod errors;
pub mod json;
mod scales;

pub use decode::*;
pub use encode::*;
pub use entry::*;
pub use errors::*;
pub use scales::*;

use json::{JsonError, Value};
