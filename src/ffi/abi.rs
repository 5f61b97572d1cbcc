//! The `#[repr(C)]` types of the ABI, mirrored field for field in `include/ascendex_hft.h`. Fields are ordered by
//! size with explicit reserved bytes, so the layout is the same under every C compiler's default rules; the
//! `layout` test pins sizes and offsets.

use std::ffi::{c_char, c_void};

/// Bumped on any incompatible change to a function or a struct below.
pub const AXH_ABI_VERSION: u32 = 1;

pub const AXH_MODE_BLOCK: u32 = 0;
pub const AXH_MODE_SPIN: u32 = 1;

/// `depth-realtime:` instead of the 300 ms `depth:` channel.
pub const AXH_FLAG_DEPTH_REALTIME: u32 = 1;
/// Leave open orders on the exchange when the engine stops (default: cancel them).
pub const AXH_FLAG_KEEP_ORDERS_ON_STOP: u32 = 2;
/// The API secret is base64 text whose decoded bytes are the HMAC key (default: the raw bytes).
pub const AXH_FLAG_BASE64_SECRET: u32 = 4;
pub const AXH_FLAGS_ALL: u32 = 7;

pub const AXH_BUY: u8 = 0;
pub const AXH_SELL: u8 = 1;
pub const AXH_BID: u8 = 0;
pub const AXH_ASK: u8 = 1;

pub const AXH_LIMIT: u8 = 0;
pub const AXH_MARKET: u8 = 1;
pub const AXH_STOP_LIMIT: u8 = 2;
pub const AXH_STOP_MARKET: u8 = 3;

pub const AXH_GTC: u8 = 0;
pub const AXH_IOC: u8 = 1;
pub const AXH_FOK: u8 = 2;

pub const AXH_EV_ACK: u8 = 0;
pub const AXH_EV_NEW: u8 = 1;
pub const AXH_EV_CANCELED: u8 = 2;
pub const AXH_EV_REJECTED: u8 = 3;
pub const AXH_EV_UNKNOWN: u8 = 4;

pub const AXH_ST_PENDING_NEW: u8 = 0;
pub const AXH_ST_NEW: u8 = 1;
pub const AXH_ST_PARTIALLY_FILLED: u8 = 2;
pub const AXH_ST_PENDING_CANCEL: u8 = 3;
pub const AXH_ST_UNKNOWN: u8 = 4;
pub const AXH_ST_FILLED: u8 = 5;
pub const AXH_ST_CANCELED: u8 = 6;
pub const AXH_ST_REJECTED: u8 = 7;

/// Bytes of an id field including its NUL (ids are at most 40 characters).
pub const AXH_ID_LEN: usize = 48;
pub const AXH_REASON_LEN: usize = 128;
pub const AXH_NAME_LEN: usize = 32;

/// Engine configuration. Initialise with `axh_config_init`, then set fields.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct AxhConfig {
    /// `sizeof(axh_config)` as the caller compiled it.
    pub struct_size: u32,
    pub mode: u32,
    /// Core to pin the loop to in `AXH_MODE_SPIN`; -1 for none.
    pub core: i32,
    pub flags: u32,
    pub rest_url: *const c_char,
    pub ws_url: *const c_char,
    pub ca_file: *const c_char,
    pub symbols: *const *const c_char,
    pub n_symbols: usize,
    pub api_key: *const c_char,
    pub api_secret: *const c_char,
    /// > 0 skips the account-info lookup.
    pub account_group: i64,
    /// How long `axh_engine_run` waits for open orders to be cancelled when it stops; 0 for the default (3000).
    pub shutdown_grace_ms: u32,
    /// The letter or digit marking this engine's client order ids; 0 for the default. Two engines trading one
    /// account at the same time need different tags.
    pub client_id_tag: u8,
    pub reserved: [u8; 3],
}

/// Sent with every book callback. Prices at `price_scale`, sizes at `qty_scale` (the book's size scale).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AxhBookUpdate {
    pub seqnum: u64,
    pub ts_ms: u64,
    /// When the loop saw the bytes arrive (engine clock, ns).
    pub rx_ns: u64,
    pub bid_price: i64,
    pub bid_qty: i64,
    pub ask_price: i64,
    pub ask_qty: i64,
    pub symbol: u16,
    pub price_scale: u8,
    pub qty_scale: u8,
    pub has_bid: u8,
    pub has_ask: u8,
    pub snapshot: u8,
    pub top_changed: u8,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AxhLevel {
    pub price: i64,
    pub qty: i64,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AxhTrade {
    pub price: i64,
    pub qty: i64,
    pub ts_ms: u64,
    pub seqnum: u64,
    pub symbol: u16,
    pub price_scale: u8,
    pub qty_scale: u8,
    /// The taker's side (`AXH_BUY` / `AXH_SELL`).
    pub taker_side: u8,
    pub reserved: [u8; 3],
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct AxhOrderEvent {
    /// The handle to cancel with (never 0).
    pub handle: u64,
    pub price: i64,
    pub qty: i64,
    pub filled_qty: i64,
    pub avg_price: i64,
    /// Cumulative fee at `fee_scale`.
    pub fee: i64,
    /// The exchange's error code, 0 when none.
    pub code: i64,
    pub symbol: u16,
    pub kind: u8,
    pub status: u8,
    pub side: u8,
    pub order_type: u8,
    pub post_only: u8,
    pub price_scale: u8,
    pub qty_scale: u8,
    pub fee_scale: u8,
    pub reserved: [u8; 6],
    pub order_id: [c_char; AXH_ID_LEN],
    pub client_id: [c_char; AXH_ID_LEN],
    /// The exchange's reason text (e.g. `PostOnlyWouldTake`), truncated to fit; empty when none.
    pub reason: [c_char; AXH_REASON_LEN],
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct AxhFill {
    /// The order's handle (as in its order events); 0 when the order was never seen by this engine.
    pub handle: u64,
    pub price: i64,
    /// This execution's own quantity.
    pub qty: i64,
    pub fee: i64,
    pub ts_ms: i64,
    /// The order's cumulative filled quantity, this execution included.
    pub filled_qty: i64,
    pub symbol: u16,
    pub side: u8,
    pub price_scale: u8,
    pub qty_scale: u8,
    pub fee_scale: u8,
    /// The order's status after this execution (`AXH_ST_FILLED` for the last one).
    pub status: u8,
    pub reserved: u8,
    pub order_id: [c_char; AXH_ID_LEN],
    pub client_id: [c_char; AXH_ID_LEN],
}

/// An order to place. Price at the symbol's `price_scale`, quantity at its (order) `qty_scale`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AxhOrderReq {
    pub price: i64,
    pub qty: i64,
    pub symbol: u16,
    pub side: u8,
    pub order_type: u8,
    pub tif: u8,
    pub post_only: u8,
    pub reserved: [u8; 2],
}

/// A symbol's scales and trading rules.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct AxhSymbolInfo {
    /// Price step at `price_scale`.
    pub tick: i64,
    /// Order size step at `qty_scale`.
    pub lot: i64,
    pub min_qty: i64,
    pub max_qty: i64,
    /// At `notional_scale` (= price_scale + qty_scale), saturated to the int64 range.
    pub min_notional: i64,
    pub max_notional: i64,
    pub symbol: u16,
    pub price_scale: u8,
    /// Scale of order sizes (place requests, order events, fills).
    pub qty_scale: u8,
    /// Scale of market-data sizes (book levels, trades): finer than the lot.
    pub book_qty_scale: u8,
    pub notional_scale: u8,
    pub reserved: [u8; 2],
    pub name: [c_char; AXH_NAME_LEN],
}

/// An asset's balance: both figures exact at `scale` (the asset's balance scale). `asset` is the asset's id, stable
/// for the engine's life (`0..axh_ctx_asset_count`); `name` is its code (`"USDT"`), NUL-terminated, `name_len`
/// bytes long. Appended in ABI 1 without changing any earlier struct.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct AxhBalance {
    pub total: i64,
    /// What open orders do not lock.
    pub available: i64,
    pub asset: u16,
    pub scale: u8,
    pub name_len: u8,
    pub reserved: [u8; 4],
    pub name: [c_char; AXH_NAME_LEN],
}

impl AxhBalance {
    /// A record for `name` with no figures yet (built once per asset at start, copied per callback).
    pub fn named(asset: u16, name: &str, scale: u8) -> AxhBalance {
        let mut b = AxhBalance {
            total: 0,
            available: 0,
            asset,
            scale,
            name_len: 0,
            reserved: [0; 4],
            name: [0; AXH_NAME_LEN],
        };
        copy_str(&mut b.name, name);
        b.name_len = b.name.iter().position(|c| *c == 0).unwrap_or(0) as u8;
        b
    }
}

/// Opaque: the context a callback acts through, valid only during that callback.
#[repr(C)]
pub struct AxhCtx {
    _private: [u8; 0],
}

/// Opaque: a book, valid only during the book callback that received it.
#[repr(C)]
pub struct AxhBook {
    _private: [u8; 0],
}

pub type StartFn = unsafe extern "C" fn(user: *mut c_void, ctx: *mut AxhCtx);
pub type BookFn = unsafe extern "C" fn(
    user: *mut c_void,
    ctx: *mut AxhCtx,
    update: *const AxhBookUpdate,
    book: *const AxhBook,
);
pub type BookStatusFn = unsafe extern "C" fn(
    user: *mut c_void,
    ctx: *mut AxhCtx,
    symbol: u16,
    live: i32,
    reason: *const c_char,
);
pub type TradeFn =
    unsafe extern "C" fn(user: *mut c_void, ctx: *mut AxhCtx, trade: *const AxhTrade);
pub type OrderFn =
    unsafe extern "C" fn(user: *mut c_void, ctx: *mut AxhCtx, event: *const AxhOrderEvent);
pub type FillFn = unsafe extern "C" fn(user: *mut c_void, ctx: *mut AxhCtx, fill: *const AxhFill);
pub type BalanceFn =
    unsafe extern "C" fn(user: *mut c_void, ctx: *mut AxhCtx, balance: *const AxhBalance);
pub type TimerFn = unsafe extern "C" fn(user: *mut c_void, ctx: *mut AxhCtx, timer_id: u32);

/// Copies `s` into a fixed C string field, truncated at a UTF-8 boundary so the field stays valid text.
pub fn copy_str<const N: usize>(dst: &mut [c_char; N], s: &str) {
    let mut n = s.len().min(N - 1);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    for (d, b) in dst.iter_mut().zip(&s.as_bytes()[..n]) {
        *d = *b as c_char;
    }
    dst[n] = 0;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    /// The header's structs have exactly these sizes and offsets (x86-64 and aarch64 LP64).
    #[test]
    fn layout() {
        assert_eq!(size_of::<AxhConfig>(), 88);
        assert_eq!(offset_of!(AxhConfig, rest_url), 16);
        assert_eq!(offset_of!(AxhConfig, n_symbols), 48);
        assert_eq!(offset_of!(AxhConfig, account_group), 72);
        assert_eq!(size_of::<AxhBookUpdate>(), 64);
        assert_eq!(offset_of!(AxhBookUpdate, symbol), 56);
        assert_eq!(size_of::<AxhLevel>(), 16);
        assert_eq!(size_of::<AxhTrade>(), 40);
        assert_eq!(size_of::<AxhOrderEvent>(), 56 + 16 + 48 + 48 + 128);
        assert_eq!(offset_of!(AxhOrderEvent, order_id), 72);
        assert_eq!(size_of::<AxhFill>(), 48 + 8 + 96);
        assert_eq!(size_of::<AxhOrderReq>(), 24);
        assert_eq!(size_of::<AxhSymbolInfo>(), 48 + 8 + 32);
        assert_eq!(size_of::<AxhBalance>(), 16 + 8 + 32);
        assert_eq!(offset_of!(AxhBalance, asset), 16);
        assert_eq!(offset_of!(AxhBalance, name), 24);
    }

    #[test]
    fn balance_names_are_truncated_to_fit() {
        let b = AxhBalance::named(3, "USDT", 9);
        assert_eq!((b.asset, b.scale, b.name_len), (3, 9, 4));
        assert_eq!(b.name.map(|c| c as u8)[..5], *b"USDT\0");
        let long = "X".repeat(40);
        let b = AxhBalance::named(0, &long, 9);
        assert_eq!(usize::from(b.name_len), AXH_NAME_LEN - 1);
        assert_eq!(b.name[AXH_NAME_LEN - 1], 0);
    }

    #[test]
    fn copy_str_truncates_on_char_boundary() {
        let mut b = [1 as c_char; 5];
        copy_str(&mut b, "abé!"); // é is two bytes: "abé" is 4 bytes, fits with the NUL
        assert_eq!(b.map(|c| c as u8), [b'a', b'b', 0xc3, 0xa9, 0]);
        copy_str(&mut b, "abcé");
        assert_eq!(b.map(|c| c as u8)[..4], [b'a', b'b', b'c', 0]);
        copy_str(&mut b, "");
        assert_eq!(b[0], 0);
    }
}
