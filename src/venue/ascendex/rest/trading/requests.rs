//! Request builders, by endpoint family: orders (place, cancel, cancel-all, batch, open, status, history), and
//! the account (balances, account info, exchange time, products).

use super::*;

/// `POST /<g>/api/pro/v1/{cash,margin}/order` with the order as body.
pub fn place_order<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    account: Account,
    order: &PlaceOrder<'_>,
) -> Result<RestRequest<'b>, BuildError> {
    group_path(&mut b.path, group, account, b"/order");
    b.body.clear();
    write_order_object(&mut b.body, order)?;
    Ok(req(b, Method::Post, ApiPath::Order, true))
}

/// One order to cancel (single or batch).
#[derive(Debug, Clone, Copy)]
pub struct CancelItem<'a> {
    pub request_id: &'a ClientId,
    pub order_id: &'a OrderId,
    pub symbol: &'a str,
    pub time_ms: u64,
}

pub(super) fn write_cancel_object(
    out: &mut Vec<u8>,
    c: &CancelItem<'_>,
) -> Result<(), EncodeError> {
    if !json_safe(c.symbol.as_bytes()) {
        return Err(EncodeError::BadSymbol);
    }
    out.extend_from_slice(b"{\"id\":\"");
    out.extend_from_slice(c.request_id.as_bytes());
    out.extend_from_slice(b"\",\"orderId\":\"");
    out.extend_from_slice(c.order_id.as_bytes());
    out.extend_from_slice(b"\",\"symbol\":\"");
    out.extend_from_slice(c.symbol.as_bytes());
    out.extend_from_slice(b"\",\"time\":");
    push_u64(out, c.time_ms);
    out.push(b'}');
    Ok(())
}

/// `DELETE /<g>/api/pro/v1/{cat}/order` with `{"id","orderId","symbol","time"}` as body.
pub fn cancel_order<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    account: Account,
    c: &CancelItem<'_>,
) -> Result<RestRequest<'b>, BuildError> {
    group_path(&mut b.path, group, account, b"/order");
    b.body.clear();
    write_cancel_object(&mut b.body, c)?;
    Ok(req(b, Method::Delete, ApiPath::Order, true))
}

/// `DELETE /<g>/api/pro/v1/{cat}/order/all`, optionally for one symbol.
pub fn cancel_all<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    account: Account,
    time_ms: u64,
    symbol: Option<&str>,
) -> Result<RestRequest<'b>, BuildError> {
    if symbol.is_some_and(|s| !json_safe(s.as_bytes())) {
        return Err(EncodeError::BadSymbol.into());
    }
    group_path(&mut b.path, group, account, b"/order/all");
    b.body.clear();
    b.body.extend_from_slice(b"{\"time\":");
    push_u64(&mut b.body, time_ms);
    if let Some(s) = symbol {
        b.body.extend_from_slice(b",\"symbol\":\"");
        b.body.extend_from_slice(s.as_bytes());
        b.body.push(b'"');
    }
    b.body.push(b'}');
    Ok(req(b, Method::Delete, ApiPath::OrderAll, true))
}

/// The batch path and `{"orders":[..]}` body shared by batch place and batch cancel (1 to 10 items).
pub(super) fn batch_body<T>(
    b: &mut RestBuffers,
    group: u32,
    account: Account,
    items: &[T],
    write: impl Fn(&mut Vec<u8>, &T) -> Result<(), EncodeError>,
) -> Result<(), BuildError> {
    batch_body_each(b, group, account, items.len(), |i, out| {
        match items.get(i) {
            Some(item) => write(out, item),
            None => Err(EncodeError::BadOrder),
        }
    })
}

/// The batch body with item `i` written by `write(i, out)`, for callers that build each item on the fly.
pub(super) fn batch_body_each(
    b: &mut RestBuffers,
    group: u32,
    account: Account,
    n: usize,
    mut write: impl FnMut(usize, &mut Vec<u8>) -> Result<(), EncodeError>,
) -> Result<(), BuildError> {
    if n == 0 || n > MAX_BATCH {
        return Err(BuildError::BatchSize(n));
    }
    group_path(&mut b.path, group, account, b"/order/batch");
    b.body.clear();
    b.body.extend_from_slice(b"{\"orders\":[");
    for i in 0..n {
        if i > 0 {
            b.body.push(b',');
        }
        write(i, &mut b.body)?;
    }
    b.body.extend_from_slice(b"]}");
    Ok(())
}

/// [`batch_place`] with order `i` written by `write(i, out)` (typically [`write_order_object`] of a request built
/// from tracked state), so no slice of requests has to be assembled first.
pub fn batch_place_each<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    account: Account,
    n: usize,
    write: impl FnMut(usize, &mut Vec<u8>) -> Result<(), EncodeError>,
) -> Result<RestRequest<'b>, BuildError> {
    batch_body_each(b, group, account, n, write)?;
    Ok(req(b, Method::Post, ApiPath::OrderBatch, true))
}

/// `POST /<g>/api/pro/v1/{cat}/order/batch` with `{"orders":[...]}` (1 to 10 orders).
pub fn batch_place<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    account: Account,
    orders: &[PlaceOrder<'_>],
) -> Result<RestRequest<'b>, BuildError> {
    batch_body(b, group, account, orders, write_order_object)?;
    Ok(req(b, Method::Post, ApiPath::OrderBatch, true))
}

/// `DELETE /<g>/api/pro/v1/{cat}/order/batch` with `{"orders":[{id,orderId,symbol,time}...]}`.
pub fn batch_cancel<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    account: Account,
    items: &[CancelItem<'_>],
) -> Result<RestRequest<'b>, BuildError> {
    batch_body(b, group, account, items, write_cancel_object)?;
    Ok(req(b, Method::Delete, ApiPath::OrderBatch, true))
}

/// `GET /<g>/api/pro/v1/{cat}/order/open[?symbol=..]`.
pub fn open_orders<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    account: Account,
    symbol: Option<&str>,
) -> RestRequest<'b> {
    group_path(&mut b.path, group, account, b"/order/open");
    if let Some(s) = symbol {
        b.path.extend_from_slice(b"?symbol=");
        push_query_value(&mut b.path, s.as_bytes());
    }
    b.body.clear();
    req(b, Method::Get, ApiPath::OrderOpen, true)
}

/// `GET /<g>/api/pro/v1/{cat}/order/status?orderId=a,b,...`. A trailing comma makes the answer a list even for
/// one id; [`parse_orders`] takes either shape.
pub fn order_status<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    account: Account,
    order_ids: &[OrderId],
) -> RestRequest<'b> {
    group_path(&mut b.path, group, account, b"/order/status?orderId=");
    for id in order_ids {
        push_query_value(&mut b.path, id.as_bytes());
        b.path.push(b',');
    }
    b.body.clear();
    req(b, Method::Get, ApiPath::OrderStatus, true)
}

/// `GET /<g>/api/pro/v1/{cat}/order/hist/current[?n=..&symbol=..&executedOnly=true]`.
pub fn order_hist_current<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    account: Account,
    n: Option<u32>,
    symbol: Option<&str>,
    executed_only: bool,
) -> RestRequest<'b> {
    group_path(&mut b.path, group, account, b"/order/hist/current");
    let mut sep = b'?';
    if let Some(n) = n {
        b.path.extend_from_slice(b"?n=");
        push_u64(&mut b.path, n as u64);
        sep = b'&';
    }
    if let Some(s) = symbol {
        b.path.push(sep);
        b.path.extend_from_slice(b"symbol=");
        push_query_value(&mut b.path, s.as_bytes());
        sep = b'&';
    }
    if executed_only {
        b.path.push(sep);
        b.path.extend_from_slice(b"executedOnly=true");
    }
    b.body.clear();
    req(b, Method::Get, ApiPath::OrderHistCurrent, true)
}

/// Filters for [`order_hist_v2`].
#[derive(Debug, Clone, Copy, Default)]
pub struct HistQuery<'a> {
    pub symbol: Option<&'a str>,
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
    /// Every record has `seqNum` ≥ this (page with the last seen + 1).
    pub seq_num: Option<u64>,
    /// Up to 1000 (default 500).
    pub limit: Option<u32>,
}

/// `GET /api/pro/data/v2/order/hist?account=cash&...` (no account group in this path).
pub fn order_hist_v2<'b>(
    b: &'b mut RestBuffers,
    account: Account,
    q: &HistQuery<'_>,
) -> RestRequest<'b> {
    b.path.clear();
    b.path
        .extend_from_slice(b"/api/pro/data/v2/order/hist?account=");
    b.path.extend_from_slice(account.as_str().as_bytes());
    if let Some(s) = q.symbol {
        b.path.extend_from_slice(b"&symbol=");
        push_query_value(&mut b.path, s.as_bytes());
    }
    for (k, v) in [
        (&b"&startTime="[..], q.start_ms),
        (b"&endTime=", q.end_ms),
        (b"&seqNum=", q.seq_num),
        (b"&limit=", q.limit.map(|l| l.min(1000) as u64)),
    ] {
        if let Some(v) = v {
            b.path.extend_from_slice(k);
            push_u64(&mut b.path, v);
        }
    }
    b.body.clear();
    req(b, Method::Get, ApiPath::DataOrderHistV2, true)
}

/// `GET /<g>/api/pro/v1/{cat}/balance[?asset=..][&showAll=true]`.
pub fn balance<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    account: Account,
    asset: Option<&str>,
    show_all: bool,
) -> RestRequest<'b> {
    group_path(&mut b.path, group, account, b"/balance");
    let mut sep = b'?';
    if let Some(a) = asset {
        b.path.extend_from_slice(b"?asset=");
        push_query_value(&mut b.path, a.as_bytes());
        sep = b'&';
    }
    if show_all {
        b.path.push(sep);
        b.path.extend_from_slice(b"showAll=true");
    }
    b.body.clear();
    req(b, Method::Get, ApiPath::Balance, true)
}

/// `GET /api/pro/v1/info` (account group, userUID; no group in the path).
pub fn account_info(b: &mut RestBuffers) -> RestRequest<'_> {
    b.path.clear();
    b.path.extend_from_slice(b"/api/pro/v1/info");
    b.body.clear();
    req(b, Method::Get, ApiPath::Info, true)
}

/// `GET /api/pro/v1/exchange-info?requestTime=<local ms>` (public), for the clock offset.
pub fn exchange_info(b: &mut RestBuffers, request_time_ms: u64) -> RestRequest<'_> {
    b.path.clear();
    b.path
        .extend_from_slice(b"/api/pro/v1/exchange-info?requestTime=");
    push_u64(&mut b.path, request_time_ms);
    b.body.clear();
    req(b, Method::Get, ApiPath::Other("exchange-info"), false)
}

/// `GET /api/pro/v1/{cash,margin}/products` (public).
pub fn products(b: &mut RestBuffers, account: Account) -> RestRequest<'_> {
    b.path.clear();
    b.path.extend_from_slice(b"/api/pro/v1/");
    b.path.extend_from_slice(account.as_str().as_bytes());
    b.path.extend_from_slice(b"/products");
    b.body.clear();
    req(b, Method::Get, ApiPath::Other("products"), false)
}
