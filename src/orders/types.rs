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

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }

    /// The id as text; ids are ASCII by construction.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len as usize
    }

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
            pub const EMPTY: $name = $name(ShortId::EMPTY);
            pub fn new(s: &[u8]) -> Option<$name> {
                ShortId::new(s).map($name)
            }
            #[inline]
            pub fn as_bytes(&self) -> &[u8] {
                self.0.as_bytes()
            }
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn as_lower(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderKind {
    Limit,
    Market,
    StopLimit,
    StopMarket,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeInForce {
    Gtc,
    Ioc,
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
    PartiallyFilled,
    /// A cancel is in flight for an order that was open.
    PendingCancel,
    /// No answer within the timeout: resolve with an order-status query before trusting anything.
    Unknown,
    Filled,
    Canceled,
    Rejected,
}

impl OrderStatus {
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
    New,
    PartiallyFilled,
    Filled,
    Canceled,
    Rejected,
}

impl ReportedStatus {
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
    WsPush,
    WsReply,
    RestReply,
    RestStatus,
    RestHistory,
    OpenOrders,
}

/// One report of an order's cumulative state, from any source. Prices at the symbol's price scale, quantities at
/// its quantity scale, fees at the caller's fee scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderUpdate {
    pub order_id: OrderId,
    /// The exchange's per-order sequence number, when the report has one.
    pub seq: Option<u64>,
    pub status: ReportedStatus,
    pub cum_qty: i64,
    /// Average fill price of `cum_qty` (0 when nothing filled).
    pub avg_px: i64,
    pub cum_fee: i64,
    pub ts_ms: i64,
    pub source: Source,
}

/// One execution, derived from the growth of an order's cumulative quantity and fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    pub order_id: OrderId,
    pub client_id: ClientId,
    pub symbol: SymbolId,
    pub side: Side,
    /// This execution's own price: (avg_new·cum_new − avg_old·cum_old) / qty, rounded half away from zero.
    pub price: i64,
    pub qty: i64,
    pub fee: i64,
    pub ts_ms: i64,
    pub source: Source,
}
