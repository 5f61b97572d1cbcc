//! Encoding the order requests: place, cancel, cancel-all, open orders, the order subscription.

use super::*;

/// Which account an order request acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account {
    Cash,
    Margin,
}

impl Account {
    pub fn as_str(self) -> &'static str {
        match self {
            Account::Cash => "cash",
            Account::Margin => "margin",
        }
    }
}

/// How long the exchange waits before answering a new order (README §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RespInst {
    /// Receipt only (default; lowest latency).
    Ack,
    /// After the matching engine accepted it.
    Accept,
    /// After it filled or was rejected.
    Done,
}

impl RespInst {
    fn as_str(self) -> &'static str {
        match self {
            RespInst::Ack => "ACK",
            RespInst::Accept => "ACCEPT",
            RespInst::Done => "DONE",
        }
    }
}

/// A new order, quantized (see `rules`): integers at the symbol's scales.
#[derive(Debug, Clone, Copy)]
pub struct PlaceOrder<'a> {
    pub client_id: &'a ClientId,
    /// Exchange-clock milliseconds (local + offset); also the timestamp inside the predicted order id.
    pub time_ms: u64,
    /// What is ordered (symbol, side, kind, price, size, flags), as the tracker records it too.
    pub spec: OrderSpec<'a>,
    pub resp_inst: RespInst,
}

/// Goes into a JSON string without escaping (no quote, backslash or control character).
pub(crate) fn json_safe(s: &[u8]) -> bool {
    s.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
}

/// Decimal digits of `v` (no allocation once `out` has room).
pub(crate) fn push_u64(out: &mut Vec<u8>, v: u64) {
    let mut tmp = [0u8; 20];
    let n = crate::num::format_u64(v, &mut tmp).unwrap_or(0);
    out.extend_from_slice(tmp.get(..n).unwrap_or_default());
}

pub(super) fn push_str_field(out: &mut Vec<u8>, key: &[u8], val: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(key);
    out.extend_from_slice(b"\":\"");
    out.extend_from_slice(val);
    out.push(b'"');
}

/// Longest symbol an order frame carries (the exchange's are under 20 bytes); longer ones are refused as
/// `BadSymbol`, which keeps the frame inside `OrderPieces`'s stack buffer.
pub(super) const MAX_SYMBOL: usize = 64;

/// An order object assembled on the stack: each piece is one bounds-checked copy (the literal ones compile to a
/// few stores), and the finished object reaches the caller's `Vec` in one copy. Appending piece by piece to the
/// `Vec` cost a capacity check and often a `memcpy` call each (callgrind: ~1,500 instructions per order).
pub(super) struct OrderPieces<'a> {
    // Borrowed rather than owned: the copies take pointers into the buffer, and a cursor kept apart from it stays
    // in a register instead of being stored and reloaded around every copy.
    buf: &'a mut [u8; 512],
    len: usize,
}

impl OrderPieces<'_> {
    #[inline(always)]
    fn put(&mut self, s: &[u8]) {
        // The inputs are bounded (client id 40, symbol 64, decimals 41 each, the rest literals) so the frame fits;
        // a piece that would not is dropped and `finish` refuses the frame instead of writing a truncated one.
        if let Some(d) = self.buf.get_mut(self.len..self.len + s.len()) {
            d.copy_from_slice(s);
            self.len += s.len();
        } else {
            self.len = usize::MAX / 2;
        }
    }

    #[inline(always)]
    fn str_field(&mut self, key: &[u8], val: &[u8]) {
        self.put(b"\"");
        self.put(key);
        self.put(b"\":\"");
        self.put(val);
        self.put(b"\"");
    }

    #[inline(always)]
    fn decimal(&mut self, mantissa: i64, scale: u8) -> Result<(), EncodeError> {
        let mut tmp = [0u8; MAX_FORMATTED];
        let n = format_scaled(mantissa, scale, &mut tmp).map_err(EncodeError::Decimal)?;
        self.put(tmp.get(..n).unwrap_or_default());
        Ok(())
    }

    #[inline(always)]
    fn u64(&mut self, v: u64) {
        let mut tmp = [0u8; 20];
        let n = crate::num::format_u64(v, &mut tmp).unwrap_or(0);
        self.put(tmp.get(..n).unwrap_or_default());
    }

    fn finish(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let done = self.buf.get(..self.len).ok_or(EncodeError::BadSymbol)?;
        out.extend_from_slice(done);
        Ok(())
    }
}

/// Writes the order object shared by WebSocket `args` and the REST body:
/// `{"time":..,"id":"..","symbol":"..","orderPrice":"..","orderQty":"..","orderType":"limit","side":"buy",...}`.
/// Appends to `out` (does not clear it).
pub fn write_order_object(out: &mut Vec<u8>, o: &PlaceOrder<'_>) -> Result<(), EncodeError> {
    let symbol = o.spec.symbol.as_bytes();
    if !json_safe(symbol) || symbol.is_empty() || symbol.len() > MAX_SYMBOL {
        return Err(EncodeError::BadSymbol);
    }
    let has_price = matches!(o.spec.kind, OrderKind::Limit | OrderKind::StopLimit);
    let has_stop = matches!(o.spec.kind, OrderKind::StopLimit | OrderKind::StopMarket);
    if o.spec.qty <= 0
        || (has_price && o.spec.price <= 0)
        || (has_stop && o.spec.stop_price.is_none_or(|p| p <= 0))
    {
        return Err(EncodeError::BadOrder);
    }
    let mut buf = [0u8; 512];
    let mut w = OrderPieces {
        buf: &mut buf,
        len: 0,
    };
    w.put(b"{\"time\":");
    w.u64(o.time_ms);
    w.put(b",");
    w.str_field(b"id", o.client_id.as_bytes());
    w.put(b",");
    w.str_field(b"symbol", symbol);
    if has_price {
        w.put(b",\"orderPrice\":\"");
        w.decimal(o.spec.price, o.spec.price_scale)?;
        w.put(b"\"");
    }
    if has_stop {
        w.put(b",\"stopPrice\":\"");
        w.decimal(o.spec.stop_price.unwrap_or(0), o.spec.price_scale)?;
        w.put(b"\"");
    }
    w.put(b",\"orderQty\":\"");
    w.decimal(o.spec.qty, o.spec.qty_scale)?;
    w.put(b"\",");
    let kind: &[u8] = match o.spec.kind {
        OrderKind::Limit => b"limit",
        OrderKind::Market => b"market",
        OrderKind::StopLimit => b"stop_limit",
        OrderKind::StopMarket => b"stop_market",
    };
    w.str_field(b"orderType", kind);
    w.put(b",");
    w.str_field(b"side", o.spec.side.as_lower().as_bytes());
    if o.spec.kind == OrderKind::Limit {
        if o.spec.post_only {
            w.put(b",\"postOnly\":true");
        }
        let tif: &[u8] = match o.spec.tif {
            TimeInForce::Gtc => b"GTC",
            TimeInForce::Ioc => b"IOC",
            TimeInForce::Fok => b"FOK",
        };
        w.put(b",");
        w.str_field(b"timeInForce", tif);
    }
    w.put(b",");
    w.str_field(b"respInst", o.resp_inst.as_str().as_bytes());
    w.put(b"}");
    w.finish(out)
}

pub(super) fn write_req_head(out: &mut Vec<u8>, action: &[u8], account: Account, id: &[u8]) {
    out.clear();
    out.extend_from_slice(b"{\"op\":\"req\",\"action\":\"");
    out.extend_from_slice(action);
    out.extend_from_slice(b"\",\"account\":\"");
    out.extend_from_slice(account.as_str().as_bytes());
    out.extend_from_slice(b"\",\"id\":\"");
    out.extend_from_slice(id);
    out.extend_from_slice(b"\",\"args\":");
}

/// `{"op":"req","action":"place-order","account":..,"id":<client id>,"args":{order}}` into `out` (cleared first).
/// On error `out` is left empty.
pub fn write_place_order(
    out: &mut Vec<u8>,
    account: Account,
    o: &PlaceOrder<'_>,
) -> Result<(), EncodeError> {
    write_req_head(out, b"place-order", account, o.client_id.as_bytes());
    if let Err(e) = write_order_object(out, o) {
        out.clear();
        return Err(e);
    }
    out.push(b'}');
    Ok(())
}

/// `cancel-order` for `order_id` (predicted or acknowledged). `request_id` is echoed in the reply.
pub fn write_cancel_order(
    out: &mut Vec<u8>,
    account: Account,
    request_id: &ClientId,
    time_ms: u64,
    order_id: &OrderId,
    symbol: &str,
) -> Result<(), EncodeError> {
    if !json_safe(symbol.as_bytes()) || symbol.is_empty() {
        out.clear();
        return Err(EncodeError::BadSymbol);
    }
    write_req_head(out, b"cancel-order", account, request_id.as_bytes());
    out.extend_from_slice(b"{\"time\":");
    push_u64(out, time_ms);
    out.push(b',');
    push_str_field(out, b"id", request_id.as_bytes());
    out.push(b',');
    push_str_field(out, b"orderId", order_id.as_bytes());
    out.push(b',');
    push_str_field(out, b"symbol", symbol.as_bytes());
    out.extend_from_slice(b"}}");
    Ok(())
}

/// `cancel-all`, for one symbol or (with `None`) every symbol of the account.
pub fn write_cancel_all(
    out: &mut Vec<u8>,
    account: Account,
    request_id: &ClientId,
    time_ms: u64,
    symbol: Option<&str>,
) -> Result<(), EncodeError> {
    if symbol.is_some_and(|s| !json_safe(s.as_bytes()) || s.is_empty()) {
        out.clear();
        return Err(EncodeError::BadSymbol);
    }
    write_req_head(out, b"cancel-all", account, request_id.as_bytes());
    out.extend_from_slice(b"{\"time\":");
    push_u64(out, time_ms);
    if let Some(s) = symbol {
        out.push(b',');
        push_str_field(out, b"symbol", s.as_bytes());
    }
    out.extend_from_slice(b"}}");
    Ok(())
}

/// `open-order` for `symbols` (`"A"`, `"A,B"`, or `None` for all).
pub fn write_open_orders(
    out: &mut Vec<u8>,
    account: Account,
    request_id: &ClientId,
    symbols: Option<&str>,
) -> Result<(), EncodeError> {
    if symbols.is_some_and(|s| !json_safe(s.as_bytes())) {
        out.clear();
        return Err(EncodeError::BadSymbol);
    }
    write_req_head(out, b"open-order", account, request_id.as_bytes());
    out.push(b'{');
    if let Some(s) = symbols {
        push_str_field(out, b"symbols", s.as_bytes());
    }
    out.extend_from_slice(b"}}");
    Ok(())
}

/// `{"op":"sub","id":..,"ch":"order:cash"}`: order pushes (and balance pushes) for the account.
pub fn write_subscribe_orders(out: &mut Vec<u8>, account: Account, request_id: &ClientId) {
    out.clear();
    out.extend_from_slice(b"{\"op\":\"sub\",\"id\":\"");
    out.extend_from_slice(request_id.as_bytes());
    out.extend_from_slice(b"\",\"ch\":\"order:");
    out.extend_from_slice(account.as_str().as_bytes());
    out.extend_from_slice(b"\"}");
}
