//! Venue-agnostic order vocabulary: ids as short byte strings, sides, order kinds, statuses.

use std::fmt;

/// Longest id the tracker holds. AscendEX ids are 32 bytes; other venues' client ids reach 36.
pub const MAX_ID_LEN: usize = 40;

/// A short ASCII id held inline (no heap), compared and hashed as bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ShortId {
    buf: [u8; MAX_ID_LEN],
    len: u8,
}

impl ShortId {
    /// The zero-length id: "not known yet" (an exchange id before the acknowledgement); never found in an index.
    pub const EMPTY: ShortId = ShortId {
        buf: [0; MAX_ID_LEN],
        len: 0,
    };

    /// `None` when `s` is longer than [`MAX_ID_LEN`] or not printable ASCII (ids come from the network).
    pub fn new(s: &[u8]) -> Option<ShortId> {
        // A fold without early exit: the compiler checks the bytes sixteen at a time.
        let graphic = s.iter().fold(true, |ok, b| ok & b.is_ascii_graphic());
        if s.len() > MAX_ID_LEN || !graphic {
            return None;
        }
        let mut buf = [0u8; MAX_ID_LEN];
        buf[..s.len()].copy_from_slice(s);
        Some(ShortId {
            buf,
            len: s.len() as u8,
        })
    }

    /// The id's bytes, exactly as received or chosen (no padding), for encoding into a request.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }

    /// The id as text; ids are ASCII by construction.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// Length in bytes (at most [`MAX_ID_LEN`]).
    #[inline]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// True for [`ShortId::EMPTY`]: the id is not known yet.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Eight bytes at a time over the zero-padded buffer (the bytes past `len` are always zero, so equal ids
    /// hash equally), then a final avalanche so the low bits (the table index) depend on every byte.
    #[inline]
    pub(crate) fn hash(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ self.len as u64;
        for w in self.buf.chunks_exact(8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            h = (h ^ u64::from_le_bytes(word)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            h ^= h >> 31;
        }
        h ^= h >> 29;
        h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^ (h >> 32)
    }
}

impl fmt::Debug for ShortId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl fmt::Display for ShortId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! id_newtype {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub struct $name(pub ShortId);

        impl $name {
            /// The id not known yet (see [`ShortId::EMPTY`]).
            pub const EMPTY: $name = $name(ShortId::EMPTY);
            /// `None` when `s` is longer than [`MAX_ID_LEN`] or not printable ASCII (see [`ShortId::new`]).
            pub fn new(s: &[u8]) -> Option<$name> {
                ShortId::new(s).map($name)
            }
            /// The id's bytes, for encoding into a request.
            #[inline]
            pub fn as_bytes(&self) -> &[u8] {
                self.0.as_bytes()
            }
            /// The id as text (ASCII by construction), for logs and output.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
            /// True when the id is not known yet.
            #[inline]
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

id_newtype!(
    /// The id we choose for an order (the venue echoes it).
    ClientId
);
id_newtype!(
    /// The exchange's id for an order.
    OrderId
);

/// Index of a symbol in the caller's symbol table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SymbolId(pub u16);

/// Index of an asset in the caller's asset table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssetId(pub u16);

/// The side of an order or a fill: what we do, not what the counterparty does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Buy the base asset, paying the quote asset.
    Buy,
    /// Sell the base asset, receiving the quote asset.
    Sell,
}

impl Side {
    /// `"buy"` / `"sell"`: the spelling AscendEX requests and this crate's `--json` output use.
    pub fn as_lower(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

/// How an order executes, as the tracker records it and the venue encodes it. A strategy's `OrderType` asks for
/// limit or market only; the stop kinds are for orders the exchange reports that way (an adopted order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderKind {
    /// At the limit price or better.
    Limit,
    /// At any price, taking liquidity.
    Market,
    /// A limit order that enters the book when the stop price trades.
    StopLimit,
    /// A market order sent when the stop price trades.
    StopMarket,
}

/// How long an order may stay open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeInForce {
    /// Good till canceled: rests on the book until filled or canceled.
    Gtc,
    /// Immediate or cancel: fills what it can at once, the rest is canceled.
    Ioc,
    /// Fill or kill: fills entirely at once or not at all.
    Fok,
}

/// Where an order is in its life. `PendingNew`, `PendingCancel` and `Unknown` are ours (a request in flight, or one
/// whose answer never came); the others are the exchange's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Sent (or acknowledged by the gateway only); the matching engine has not confirmed it yet.
    PendingNew,
    /// Resting on the book (the exchange's `New`, or `Ready` in ready-ack mode).
    New,
    /// Resting with part of its quantity filled (`cum_qty` > 0).
    PartiallyFilled,
    /// A cancel is in flight for an order that was open.
    PendingCancel,
    /// No answer within the timeout: resolve with an order-status query before trusting anything.
    Unknown,
    /// Terminal: the whole quantity executed.
    Filled,
    /// Terminal: canceled (by us, by the exchange, or an IOC/FOK remainder); `cum_qty` may be above zero.
    Canceled,
    /// Terminal: the exchange refused the order (an error reply or a rejected report); nothing executed.
    Rejected,
}

impl OrderStatus {
    /// Filled, canceled or rejected: no further fill or status can follow (a later report is stale).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderStatus::Filled | OrderStatus::Canceled | OrderStatus::Rejected
        )
    }

    /// Still able to trade (or possibly so, for `Unknown`).
    pub fn is_live(self) -> bool {
        !self.is_terminal()
    }

    /// The variant's name, for human and `--json` output.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingNew => "PendingNew",
            OrderStatus::New => "New",
            OrderStatus::PartiallyFilled => "PartiallyFilled",
            OrderStatus::PendingCancel => "PendingCancel",
            OrderStatus::Unknown => "Unknown",
            OrderStatus::Filled => "Filled",
            OrderStatus::Canceled => "Canceled",
            OrderStatus::Rejected => "Rejected",
        }
    }
}

/// What the exchange reports an order's state to be (only the states an exchange can report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportedStatus {
    /// Accepted by the matching engine but not yet live (a stop not triggered, an ACCEPT reply).
    PendingNew,
    /// Resting on the book, nothing filled yet.
    New,
    /// Resting with part of its quantity filled.
    PartiallyFilled,
    /// The whole quantity executed.
    Filled,
    /// Canceled; part of it may have filled first.
    Canceled,
    /// Refused by the matching engine.
    Rejected,
}

impl ReportedStatus {
    /// The same state in the tracker's vocabulary.
    pub fn to_status(self) -> OrderStatus {
        match self {
            ReportedStatus::PendingNew => OrderStatus::PendingNew,
            ReportedStatus::New => OrderStatus::New,
            ReportedStatus::PartiallyFilled => OrderStatus::PartiallyFilled,
            ReportedStatus::Filled => OrderStatus::Filled,
            ReportedStatus::Canceled => OrderStatus::Canceled,
            ReportedStatus::Rejected => OrderStatus::Rejected,
        }
    }
}

/// Where an order report came from; kept on fills for diagnostics, never used to decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// The private WebSocket's unsolicited order update.
    WsPush,
    /// The WebSocket's reply to our own place or cancel request.
    WsReply,
    /// The REST reply to our own place or cancel request.
    RestReply,
    /// A REST order-status query (resolving an `Unknown` order).
    RestStatus,
    /// The REST order-history listing.
    RestHistory,
    /// The REST open-order listing (reconciliation after start-up or a reconnect).
    OpenOrders,
}

/// One report of an order's cumulative state, from any source. Prices at the symbol's price scale, quantities at
/// its quantity scale, fees at the caller's fee scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderUpdate {
    /// The exchange's id of the order reported on.
    pub order_id: OrderId,
    /// The exchange's per-order sequence number, when the report has one.
    pub seq: Option<u64>,
    /// The state the exchange reports.
    pub status: ReportedStatus,
    /// Total quantity filled so far (cumulative, not this execution's), at the quantity scale.
    pub cum_qty: i64,
    /// Average fill price of `cum_qty` (0 when nothing filled).
    pub avg_px: i64,
    /// Total fee charged so far (cumulative), at the fee scale.
    pub cum_fee: i64,
    /// The exchange's timestamp of the report, ms since the Unix epoch.
    pub ts_ms: i64,
    /// Which channel the report came from (diagnostics only).
    pub source: Source,
}

/// One execution, derived from the growth of an order's cumulative quantity and fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    /// The exchange's id of the order that executed.
    pub order_id: OrderId,
    /// Our id of that order, as the tracker holds it (empty when the order was adopted without one).
    pub client_id: ClientId,
    /// The order's symbol.
    pub symbol: SymbolId,
    /// The order's side: a buy fill adds base asset, a sell fill removes it.
    pub side: Side,
    /// This execution's own price: (avg_new·cum_new − avg_old·cum_old) / qty, rounded half away from zero.
    pub price: i64,
    /// This execution's quantity (not cumulative), at the symbol's quantity scale; always above zero.
    pub qty: i64,
    /// This execution's fee (the growth of the cumulative fee), at the fee scale.
    pub fee: i64,
    /// The exchange's timestamp of the report that revealed it, ms since the Unix epoch.
    pub ts_ms: i64,
    /// Which channel revealed it (diagnostics only).
    pub source: Source,
}
