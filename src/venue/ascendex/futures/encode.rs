//! WebSocket request frames of the futures trading stream (`/api/pro/v2/stream`), written into a caller's reused
//! `Vec<u8>` (cleared first; nothing allocated once its capacity suffices): place (limit, market, post-only,
//! IOC/FOK, reduce-only, stop with `stopPrice`), cancel, cancel-all, `futures-open-orders`,
//! `futures-account-snapshot`, and the channel subscriptions. On error the buffer is left empty.
//!
//! Every request carries `"ac":"futures"` (README §6). Readings taken: the limit price goes as `orderPrice` (the
//! REST table and ccxt; the WS and batch examples write `price`, README §13.10); the outer `id` and `args.id` are
//! both the client id (the docs do not say which one the order id is derived from, §13.10, so both carry it);
//! actions are lower case (§13.9); reduce-only is `execInst:"ReduceOnly"` and post-only the `postOnly` flag,
//! each in its documented field (a post-only reduce-only order sets both). Client ids and predicted order ids
//! are spot's ([`ids`](crate::venue::ascendex::ids)): the order id is `s` + hex(`time`) + userUID + the last
//! nine characters of the client id.

use crate::orders::scaled::push_scaled;
use crate::orders::{ClientId, OrderId, OrderKind, TimeInForce};
use crate::venue::ascendex::ids::{Via, predict_order_id};
use crate::venue::ascendex::stream::trading::{EncodeError, OrderSpec, RespInst, push_u64};

/// A futures order, quantized (see `rules`): integers at the contract's scales.
#[derive(Debug, Clone, Copy)]
pub struct FuturesPlace<'a> {
    pub client_id: &'a ClientId,
    /// Exchange-clock milliseconds; also the timestamp inside the predicted order id.
    pub time_ms: u64,
    /// Symbol, side, kind, price, size, stop price, post-only, time in force.
    pub spec: OrderSpec<'a>,
    /// Never increase the position.
    pub reduce_only: bool,
    pub resp_inst: RespInst,
}

impl FuturesPlace<'_> {
    /// The order id the exchange will give this order when sent via `via` (`None` when the client id is under
    /// nine characters or the uid is not letters and digits).
    pub fn predicted_order_id(&self, via: Via, user_uid: &str) -> Option<OrderId> {
        predict_order_id(via, self.time_ms, user_uid, self.client_id)
    }
}

/// Longest contract id accepted (the exchange's are under 20 bytes).
const MAX_SYMBOL: usize = 64;

fn symbol_ok(s: &[u8]) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SYMBOL
        && s.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
}

fn resp_inst(r: RespInst) -> &'static [u8] {
    match r {
        RespInst::Ack => b"ACK",
        RespInst::Accept => b"ACCEPT",
        RespInst::Done => b"DONE",
    }
}

fn str_field(out: &mut Vec<u8>, key: &[u8], val: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(key);
    out.extend_from_slice(b"\":\"");
    out.extend_from_slice(val);
    out.push(b'"');
}

/// The order object shared by the WebSocket `args` and the REST body (appended, `out` not cleared):
/// `{"time":..,"id":..,"symbol":..,"orderPrice":..,"stopPrice":..,"orderQty":..,"orderType":..,"side":..,
/// "postOnly":true,"timeInForce":..,"execInst":"ReduceOnly","respInst":..}`.
pub fn write_order_object(out: &mut Vec<u8>, o: &FuturesPlace<'_>) -> Result<(), EncodeError> {
    let s = &o.spec;
    if !symbol_ok(s.symbol.as_bytes()) {
        return Err(EncodeError::BadSymbol);
    }
    let has_price = matches!(s.kind, OrderKind::Limit | OrderKind::StopLimit);
    let has_stop = matches!(s.kind, OrderKind::StopLimit | OrderKind::StopMarket);
    if s.qty <= 0
        || (has_price && s.price <= 0)
        || (has_stop && s.stop_price.is_none_or(|p| p <= 0))
        || (s.post_only && s.kind != OrderKind::Limit)
    {
        return Err(EncodeError::BadOrder);
    }
    let start = out.len();
    let r = (|| {
        out.extend_from_slice(b"{\"time\":");
        push_u64(out, o.time_ms);
        out.push(b',');
        str_field(out, b"id", o.client_id.as_bytes());
        out.push(b',');
        str_field(out, b"symbol", s.symbol.as_bytes());
        if has_price {
            out.extend_from_slice(b",\"orderPrice\":\"");
            push_scaled(out, s.price, s.price_scale).map_err(EncodeError::Decimal)?;
            out.push(b'"');
        }
        if has_stop {
            out.extend_from_slice(b",\"stopPrice\":\"");
            push_scaled(out, s.stop_price.unwrap_or(0), s.price_scale)
                .map_err(EncodeError::Decimal)?;
            out.push(b'"');
        }
        out.extend_from_slice(b",\"orderQty\":\"");
        push_scaled(out, s.qty, s.qty_scale).map_err(EncodeError::Decimal)?;
        out.extend_from_slice(b"\",");
        let kind: &[u8] = match s.kind {
            OrderKind::Limit => b"limit",
            OrderKind::Market => b"market",
            OrderKind::StopLimit => b"stop_limit",
            OrderKind::StopMarket => b"stop_market",
        };
        str_field(out, b"orderType", kind);
        out.push(b',');
        str_field(out, b"side", s.side.as_lower().as_bytes());
        if s.post_only {
            out.extend_from_slice(b",\"postOnly\":true");
        }
        if has_price {
            let tif: &[u8] = match s.tif {
                TimeInForce::Gtc => b"GTC",
                TimeInForce::Ioc => b"IOC",
                TimeInForce::Fok => b"FOK",
            };
            out.push(b',');
            str_field(out, b"timeInForce", tif);
        }
        if o.reduce_only {
            out.extend_from_slice(b",\"execInst\":\"ReduceOnly\"");
        }
        out.push(b',');
        str_field(out, b"respInst", resp_inst(o.resp_inst));
        out.push(b'}');
        Ok(())
    })();
    if r.is_err() {
        out.truncate(start);
    }
    r
}

fn head(out: &mut Vec<u8>, action: &[u8], id: &[u8]) {
    out.clear();
    out.extend_from_slice(b"{\"op\":\"req\",\"action\":\"");
    out.extend_from_slice(action);
    out.extend_from_slice(b"\",\"ac\":\"futures\",\"id\":\"");
    out.extend_from_slice(id);
    out.push(b'"');
}

/// `{"op":"req","action":"place-order","ac":"futures","id":<client id>,"args":{order}}`.
pub fn write_place_order(out: &mut Vec<u8>, o: &FuturesPlace<'_>) -> Result<(), EncodeError> {
    head(out, b"place-order", o.client_id.as_bytes());
    out.extend_from_slice(b",\"args\":");
    if let Err(e) = write_order_object(out, o) {
        out.clear();
        return Err(e);
    }
    out.push(b'}');
    Ok(())
}

/// `cancel-order` of `order_id` (predicted or acknowledged); `request_id` is echoed in the reply.
pub fn write_cancel_order(
    out: &mut Vec<u8>,
    request_id: &ClientId,
    time_ms: u64,
    order_id: &OrderId,
    symbol: &str,
) -> Result<(), EncodeError> {
    if !symbol_ok(symbol.as_bytes()) {
        out.clear();
        return Err(EncodeError::BadSymbol);
    }
    head(out, b"cancel-order", request_id.as_bytes());
    out.extend_from_slice(b",\"args\":{\"time\":");
    push_u64(out, time_ms);
    out.push(b',');
    str_field(out, b"id", request_id.as_bytes());
    out.push(b',');
    str_field(out, b"orderId", order_id.as_bytes());
    out.push(b',');
    str_field(out, b"symbol", symbol.as_bytes());
    out.extend_from_slice(b"}}");
    Ok(())
}

/// `cancel-all`, for one contract or (with `None`) all; the docs' `args` are `{}` or `{"symbol":..}`.
pub fn write_cancel_all(
    out: &mut Vec<u8>,
    request_id: &ClientId,
    symbol: Option<&str>,
) -> Result<(), EncodeError> {
    if symbol.is_some_and(|s| !symbol_ok(s.as_bytes())) {
        out.clear();
        return Err(EncodeError::BadSymbol);
    }
    head(out, b"cancel-all", request_id.as_bytes());
    out.extend_from_slice(b",\"args\":{");
    if let Some(s) = symbol {
        str_field(out, b"symbol", s.as_bytes());
    }
    out.extend_from_slice(b"}}");
    Ok(())
}

/// `futures-open-orders` (the docs make `args` required: `{}` for every contract).
pub fn write_open_orders(
    out: &mut Vec<u8>,
    request_id: &ClientId,
    symbol: Option<&str>,
) -> Result<(), EncodeError> {
    if symbol.is_some_and(|s| !symbol_ok(s.as_bytes())) {
        out.clear();
        return Err(EncodeError::BadSymbol);
    }
    head(out, b"futures-open-orders", request_id.as_bytes());
    out.extend_from_slice(b",\"args\":{");
    if let Some(s) = symbol {
        str_field(out, b"symbol", s.as_bytes());
    }
    out.extend_from_slice(b"}}");
    Ok(())
}

/// `futures-account-snapshot` (no `args`, as documented); the reply is decoded by
/// [`decode_account_push`](super::account::decode_account_push).
pub fn write_account_snapshot(out: &mut Vec<u8>, request_id: &ClientId) {
    head(out, b"futures-account-snapshot", request_id.as_bytes());
    out.push(b'}');
}

/// The futures channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// `futures-order` (authenticated).
    Orders,
    /// `futures-account-update` (authenticated).
    Account,
    /// `futures-pricing-data` (public).
    Pricing,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Orders => "futures-order",
            Channel::Account => "futures-account-update",
            Channel::Pricing => "futures-pricing-data",
        }
    }
}

/// `{"op":"sub","id":..,"ch":<channel>}`.
pub fn write_subscribe(out: &mut Vec<u8>, request_id: &ClientId, ch: Channel) {
    out.clear();
    out.extend_from_slice(b"{\"op\":\"sub\",\"id\":\"");
    out.extend_from_slice(request_id.as_bytes());
    out.extend_from_slice(b"\",\"ch\":\"");
    out.extend_from_slice(ch.as_str().as_bytes());
    out.extend_from_slice(b"\"}");
}
