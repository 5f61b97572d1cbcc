//! Futures REST: request builders (method, path with the account group, prehash path, JSON body or query) into
//! the spot side's reused [`RestBuffers`], and answer parsers. The builders allocate nothing once the buffers have
//! grown; the order parsers read the borrowed body with the same row decoder as the WebSocket
//! ([`decode_order_row`]); the account-management answers use serde (off the hot path).
//!
//! Paths are `/<group>/api/pro/v2/futures/...`, prehash `v2/futures/...` (README §5). The docs give no prehash
//! for `leverage`; `v2/futures/leverage` is taken, as for its siblings (§13.2). GET parameters go in the query
//! string even where the docs say "Request Body" (§13.18). Errors: every `{"code":≠0}` is
//! [`RestError::Exchange`] with the exchange's code, reason and message (and, for a batch, each order's).

use std::fmt;

use serde::Deserialize;

use crate::orders::scaled::{Dec, push_scaled};
use crate::orders::{ClientId, OrderId, OrderKind};
use crate::strategy::events::MarginType;
use crate::venue::ascendex::auth::ApiPath;
use crate::venue::ascendex::rest::market::push_query_value;
use crate::venue::ascendex::rest::trading::{
    ApiError, CancelItem, Method, RestBuffers, RestError, RestRequest,
};
use crate::venue::ascendex::stream::trading::json::{self, Value};
use crate::venue::ascendex::stream::trading::{
    DecodeError, EncodeError, RespInst, Scales, push_u64,
};

use super::encode::{FuturesPlace, write_order_object};
use super::order_push::{FuturesOrderPush, decode_order_row};

/// Why a futures request was not built (nothing is sent; the CLI exits 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildError {
    Encode(EncodeError),
    /// A batch holds 1 to 10 orders.
    BatchSize(usize),
    /// Leverage is an integer from 1 to 100.
    BadLeverage(u16),
    /// A margin change is a non-zero amount; a transfer a positive one.
    BadAmount,
    /// A market order in a batch must use `respInst` ACK (futures/_rest_prv_order_new_batch.md).
    BatchMarketNeedsAck,
    /// A symbol or asset that is empty or would need escaping.
    BadName,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Encode(e) => e.fmt(f),
            BuildError::BatchSize(n) => write!(f, "a batch holds 1 to 10 orders, not {n}"),
            BuildError::BadLeverage(l) => {
                write!(f, "leverage must be an integer from 1 to 100, not {l}")
            }
            BuildError::BadAmount => f.write_str(
                "amount must be non-zero for a margin change and positive for a transfer",
            ),
            BuildError::BatchMarketNeedsAck => {
                f.write_str("a market order in a batch must be sent with respInst ACK")
            }
            BuildError::BadName => f.write_str(
                "symbol or asset is empty or contains quotes, backslashes or control characters",
            ),
        }
    }
}

impl std::error::Error for BuildError {}

impl From<EncodeError> for BuildError {
    fn from(e: EncodeError) -> Self {
        BuildError::Encode(e)
    }
}

/// Most orders in one batch.
pub const MAX_BATCH: usize = 10;

fn name_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\')
}

fn path(out: &mut Vec<u8>, group: u32, tail: &[u8]) {
    out.clear();
    out.push(b'/');
    push_u64(out, group as u64);
    out.extend_from_slice(b"/api/pro/v2/futures/");
    out.extend_from_slice(tail);
}

fn req(b: &RestBuffers, method: Method, prehash: ApiPath) -> RestRequest<'_> {
    RestRequest {
        method,
        path: &b.path,
        prehash,
        signed: true,
        body: &b.body,
    }
}

/// `POST /<g>/api/pro/v2/futures/order`.
pub fn place_order<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    o: &FuturesPlace<'_>,
) -> Result<RestRequest<'b>, BuildError> {
    path(&mut b.path, group, b"order");
    b.body.clear();
    write_order_object(&mut b.body, o)?;
    Ok(req(b, Method::Post, ApiPath::FuturesOrder))
}

/// `POST /<g>/api/pro/v2/futures/order/batch` with `{"orders":[..]}` (1 to 10; market orders with ACK only).
pub fn batch_place<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    orders: &[FuturesPlace<'_>],
) -> Result<RestRequest<'b>, BuildError> {
    if orders.is_empty() || orders.len() > MAX_BATCH {
        return Err(BuildError::BatchSize(orders.len()));
    }
    if orders
        .iter()
        .any(|o| o.spec.kind == OrderKind::Market && o.resp_inst != RespInst::Ack)
    {
        return Err(BuildError::BatchMarketNeedsAck);
    }
    path(&mut b.path, group, b"order/batch");
    b.body.clear();
    b.body.extend_from_slice(b"{\"orders\":[");
    for (i, o) in orders.iter().enumerate() {
        if i > 0 {
            b.body.push(b',');
        }
        if let Err(e) = write_order_object(&mut b.body, o) {
            b.body.clear();
            return Err(e.into());
        }
    }
    b.body.extend_from_slice(b"]}");
    Ok(req(b, Method::Post, ApiPath::FuturesOrderBatch))
}

fn write_cancel(out: &mut Vec<u8>, c: &CancelItem<'_>) -> Result<(), BuildError> {
    if !name_ok(c.symbol) {
        return Err(BuildError::BadName);
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

/// `DELETE /<g>/api/pro/v2/futures/order` with `{"id","orderId","symbol","time"}`.
pub fn cancel_order<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    c: &CancelItem<'_>,
) -> Result<RestRequest<'b>, BuildError> {
    path(&mut b.path, group, b"order");
    b.body.clear();
    write_cancel(&mut b.body, c)?;
    Ok(req(b, Method::Delete, ApiPath::FuturesOrder))
}

/// `DELETE /<g>/api/pro/v2/futures/order/batch` with `{"orders":[..]}` (1 to 10).
pub fn batch_cancel<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    items: &[CancelItem<'_>],
) -> Result<RestRequest<'b>, BuildError> {
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(BuildError::BatchSize(items.len()));
    }
    path(&mut b.path, group, b"order/batch");
    b.body.clear();
    b.body.extend_from_slice(b"{\"orders\":[");
    for (i, c) in items.iter().enumerate() {
        if i > 0 {
            b.body.push(b',');
        }
        if let Err(e) = write_cancel(&mut b.body, c) {
            b.body.clear();
            return Err(e);
        }
    }
    b.body.extend_from_slice(b"]}");
    Ok(req(b, Method::Delete, ApiPath::FuturesOrderBatch))
}

/// `DELETE /<g>/api/pro/v2/futures/order/all` with `{"time":..[,"symbol":..]}` (ccxt's body).
pub fn cancel_all<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    time_ms: u64,
    symbol: Option<&str>,
) -> Result<RestRequest<'b>, BuildError> {
    if symbol.is_some_and(|s| !name_ok(s)) {
        return Err(BuildError::BadName);
    }
    path(&mut b.path, group, b"order/all");
    b.body.clear();
    b.body.extend_from_slice(b"{\"time\":");
    push_u64(&mut b.body, time_ms);
    if let Some(s) = symbol {
        b.body.extend_from_slice(b",\"symbol\":\"");
        b.body.extend_from_slice(s.as_bytes());
        b.body.push(b'"');
    }
    b.body.push(b'}');
    Ok(req(b, Method::Delete, ApiPath::FuturesOrderAll))
}

/// `GET /<g>/api/pro/v2/futures/order/open` (every contract: the docs take no filter).
pub fn open_orders(b: &mut RestBuffers, group: u32) -> RestRequest<'_> {
    path(&mut b.path, group, b"order/open");
    b.body.clear();
    req(b, Method::Get, ApiPath::FuturesOrderOpen)
}

/// `GET /<g>/api/pro/v2/futures/order/status?orderId=a,b,` (the trailing comma asks for a list even for one id;
/// [`parse_orders`] reads either shape).
pub fn order_status<'b>(b: &'b mut RestBuffers, group: u32, ids: &[OrderId]) -> RestRequest<'b> {
    path(&mut b.path, group, b"order/status?orderId=");
    for id in ids {
        push_query_value(&mut b.path, id.as_bytes());
        b.path.push(b',');
    }
    b.body.clear();
    req(b, Method::Get, ApiPath::FuturesOrderStatus)
}

/// `GET /<g>/api/pro/v2/futures/order/hist/current[?symbol=..][&n=..][&executedOnly=true]`.
pub fn order_hist_current<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    symbol: Option<&str>,
    n: Option<u32>,
    executed_only: bool,
) -> RestRequest<'b> {
    path(&mut b.path, group, b"order/hist/current");
    let mut sep = b'?';
    if let Some(s) = symbol {
        b.path.push(sep);
        b.path.extend_from_slice(b"symbol=");
        push_query_value(&mut b.path, s.as_bytes());
        sep = b'&';
    }
    if let Some(n) = n {
        b.path.push(sep);
        b.path.extend_from_slice(b"n=");
        push_u64(&mut b.path, n as u64);
        sep = b'&';
    }
    if executed_only {
        b.path.push(sep);
        b.path.extend_from_slice(b"executedOnly=true");
    }
    b.body.clear();
    req(b, Method::Get, ApiPath::FuturesOrderHistCurrent)
}

/// `GET /<g>/api/pro/v2/futures/position` (decode with
/// [`decode_position_answer`](super::account::decode_position_answer)).
pub fn position(b: &mut RestBuffers, group: u32) -> RestRequest<'_> {
    path(&mut b.path, group, b"position");
    b.body.clear();
    req(b, Method::Get, ApiPath::FuturesPosition)
}

/// `GET /<g>/api/pro/v2/futures/free-margin` (parse with [`parse_free_margin`](super::account::parse_free_margin)).
pub fn free_margin(b: &mut RestBuffers, group: u32) -> RestRequest<'_> {
    path(&mut b.path, group, b"free-margin");
    b.body.clear();
    req(b, Method::Get, ApiPath::Other("v2/futures/free-margin"))
}

/// `POST /<g>/api/pro/v2/futures/leverage` with `{"symbol":..,"leverage":N}` (1 to 100).
pub fn leverage<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    symbol: &str,
    leverage: u16,
) -> Result<RestRequest<'b>, BuildError> {
    if !(1..=100).contains(&leverage) {
        return Err(BuildError::BadLeverage(leverage));
    }
    if !name_ok(symbol) {
        return Err(BuildError::BadName);
    }
    path(&mut b.path, group, b"leverage");
    b.body.clear();
    b.body.extend_from_slice(b"{\"symbol\":\"");
    b.body.extend_from_slice(symbol.as_bytes());
    b.body.extend_from_slice(b"\",\"leverage\":");
    push_u64(&mut b.body, leverage as u64);
    b.body.push(b'}');
    Ok(req(b, Method::Post, ApiPath::Other("v2/futures/leverage")))
}

/// `POST /<g>/api/pro/v2/futures/margin-type` with `{"symbol":..,"marginType":"crossed"|"isolated"}`.
pub fn margin_type<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    symbol: &str,
    mt: MarginType,
) -> Result<RestRequest<'b>, BuildError> {
    if !name_ok(symbol) {
        return Err(BuildError::BadName);
    }
    path(&mut b.path, group, b"margin-type");
    b.body.clear();
    b.body.extend_from_slice(b"{\"symbol\":\"");
    b.body.extend_from_slice(symbol.as_bytes());
    b.body.extend_from_slice(b"\",\"marginType\":\"");
    b.body.extend_from_slice(mt.as_str().as_bytes());
    b.body.extend_from_slice(b"\"}");
    Ok(req(
        b,
        Method::Post,
        ApiPath::Other("v2/futures/margin-type"),
    ))
}

/// `POST /<g>/api/pro/v2/futures/isolated-position-margin` with `{"symbol":..,"amount":"±X"}` (positive adds
/// margin to the position, negative removes it; `amount` at `scale`, non-zero).
pub fn isolated_margin<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    symbol: &str,
    amount: i64,
    scale: u8,
) -> Result<RestRequest<'b>, BuildError> {
    if amount == 0 {
        return Err(BuildError::BadAmount);
    }
    if !name_ok(symbol) {
        return Err(BuildError::BadName);
    }
    path(&mut b.path, group, b"isolated-position-margin");
    b.body.clear();
    b.body.extend_from_slice(b"{\"symbol\":\"");
    b.body.extend_from_slice(symbol.as_bytes());
    b.body.extend_from_slice(b"\",\"amount\":\"");
    push_scaled(&mut b.body, amount, scale).map_err(EncodeError::Decimal)?;
    b.body.extend_from_slice(b"\"}");
    Ok(req(
        b,
        Method::Post,
        ApiPath::Other("v2/futures/isolated-position-margin"),
    ))
}

/// Which way a collateral transfer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    /// Cash account → futures account (`transfer/deposit`).
    ToFutures,
    /// Futures account → cash account (`transfer/withdraw`).
    ToCash,
}

/// `POST /<g>/api/pro/v2/futures/transfer/{deposit,withdraw}` with `{"asset":..,"amount":".."}` (positive).
pub fn transfer<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    way: Transfer,
    asset: &str,
    amount: i64,
    scale: u8,
) -> Result<RestRequest<'b>, BuildError> {
    if amount <= 0 {
        return Err(BuildError::BadAmount);
    }
    if !name_ok(asset) {
        return Err(BuildError::BadName);
    }
    let (tail, prehash): (&[u8], _) = match way {
        Transfer::ToFutures => (b"transfer/deposit", "v2/futures/transfer/deposit"),
        Transfer::ToCash => (b"transfer/withdraw", "v2/futures/transfer/withdraw"),
    };
    path(&mut b.path, group, tail);
    b.body.clear();
    b.body.extend_from_slice(b"{\"asset\":\"");
    b.body.extend_from_slice(asset.as_bytes());
    b.body.extend_from_slice(b"\",\"amount\":\"");
    push_scaled(&mut b.body, amount, scale).map_err(EncodeError::Decimal)?;
    b.body.extend_from_slice(b"\"}");
    Ok(req(b, Method::Post, ApiPath::Other(prehash)))
}

/// `GET /<g>/api/pro/v2/futures/funding-payments[?symbol=..][&page=..][&pageSize=..]` (page size 1 to 100).
pub fn funding_payments<'b>(
    b: &'b mut RestBuffers,
    group: u32,
    symbol: Option<&str>,
    page: Option<u32>,
    page_size: Option<u32>,
) -> RestRequest<'b> {
    path(&mut b.path, group, b"funding-payments");
    let mut sep = b'?';
    if let Some(s) = symbol {
        b.path.push(sep);
        b.path.extend_from_slice(b"symbol=");
        push_query_value(&mut b.path, s.as_bytes());
        sep = b'&';
    }
    if let Some(p) = page {
        b.path.push(sep);
        b.path.extend_from_slice(b"page=");
        push_u64(&mut b.path, p.max(1) as u64);
        sep = b'&';
    }
    if let Some(n) = page_size {
        b.path.push(sep);
        b.path.extend_from_slice(b"pageSize=");
        push_u64(&mut b.path, n.clamp(1, 100) as u64);
    }
    b.body.clear();
    req(
        b,
        Method::Get,
        ApiPath::Other("v2/futures/funding-payments"),
    )
}

// ---- answers ----

fn api_error_of(v: &serde_json::Value) -> ApiError {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let code = match v.get("code") {
        Some(serde_json::Value::Number(n)) => n.as_i64().unwrap_or(-1),
        Some(serde_json::Value::String(t)) => t.parse().unwrap_or(-1),
        _ => -1,
    };
    ApiError {
        code,
        reason: s("reason"),
        message: s("message"),
        id: s("id"),
    }
}

/// The refusal of a `{"code":≠0,...}` answer, with each batch item's error (`info` as a list) or the echoed id
/// (`info.id`).
fn refusal(v: &serde_json::Value, code: i64) -> RestError {
    let info = v.get("info");
    let items = match info {
        Some(serde_json::Value::Array(a)) => a.iter().map(api_error_of).collect(),
        _ => Vec::new(),
    };
    let mut error = api_error_of(v);
    error.code = code;
    if error.id.is_empty() {
        error.id = info
            .and_then(|i| i.get("id"))
            .and_then(|x| x.as_str())
            .unwrap_or("")
            .to_string();
    }
    if error.message.is_empty() {
        // Futures WS-style refusals put the text in `info.errorMsg`.
        error.message = info
            .and_then(|i| i.get("errorMsg"))
            .and_then(|x| x.as_str())
            .unwrap_or("")
            .to_string();
    }
    RestError::Exchange { error, items }
}

fn code_of(v: &serde_json::Value) -> Option<i64> {
    match v.get("code")? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Checks `code` (number or string); `data` on 0 (serde, for the account answers).
pub(crate) fn envelope(body: &[u8]) -> Result<serde_json::Value, RestError> {
    let mut v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| RestError::Malformed(e.to_string()))?;
    let code = code_of(&v).ok_or_else(|| RestError::Malformed("no code".into()))?;
    if code != 0 {
        return Err(refusal(&v, code));
    }
    Ok(v.get_mut("data")
        .map(serde_json::Value::take)
        .unwrap_or_default())
}

/// The same check with the scanner: `data` borrowed from `body`, nothing allocated unless the exchange refused
/// (its error is then read with serde) or the body is malformed.
pub(crate) fn scan_envelope(body: &[u8]) -> Result<Value<'_>, RestError> {
    let malformed = |e: DecodeError| RestError::Malformed(e.to_string());
    let mut code = None;
    let mut data = Value::Null;
    let mut rdr = json::ObjectReader::new(body);
    while let Some(k) = rdr.next_key().map_err(|e| malformed(e.into()))? {
        let v = rdr.value().map_err(|e| malformed(e.into()))?;
        match k {
            b"code" => code = Some(v),
            b"data" => data = v,
            _ => {}
        }
    }
    let code = code
        .ok_or_else(|| malformed(DecodeError::Missing("code")))?
        .as_i64()
        .ok_or_else(|| malformed(DecodeError::Bad("code")))?;
    if code != 0 {
        let v: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| RestError::Malformed(e.to_string()))?;
        return Err(refusal(&v, code));
    }
    Ok(data)
}

fn row_error(e: DecodeError) -> RestError {
    match e {
        DecodeError::UnknownSymbol => RestError::UnknownSymbol("(order row)".into()),
        DecodeError::Decimal(field, error) => RestError::Decimal { field, error },
        e => RestError::Malformed(e.to_string()),
    }
}

/// Open orders, order status (one object or a list), current history: the rows, borrowed from `body`.
pub fn parse_orders<'a, S: Scales>(
    body: &'a [u8],
    scales: &S,
) -> Result<Vec<FuturesOrderPush<'a>>, RestError> {
    match scan_envelope(body)? {
        Value::Null => Ok(Vec::new()),
        Value::Obj(o) => Ok(vec![decode_order_row(o, scales).map_err(row_error)?]),
        Value::Arr(a) => json::elements(a)
            .map(|v| match v {
                Ok(Value::Obj(o)) => decode_order_row(o, scales).map_err(row_error),
                Ok(_) => Err(RestError::Malformed("order row is not an object".into())),
                Err(e) => Err(RestError::Malformed(e.to_string())),
            })
            .collect(),
        _ => Err(RestError::Malformed(
            "data is not a list or an object".into(),
        )),
    }
}

/// The answer to a single place or cancel: `data.{meta:{action,id,respInst},order:{...}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderAck<'a> {
    pub action: &'a str,
    /// Our request id, echoed.
    pub request_id: &'a str,
    pub resp_inst: &'a str,
    /// The order's state (in ACK mode with `seqNum` -1, read as 0: never newer than a push).
    pub order: Option<FuturesOrderPush<'a>>,
}

/// Place-order and cancel-order answers.
pub fn parse_order_ack<'a, S: Scales>(
    body: &'a [u8],
    scales: &S,
) -> Result<OrderAck<'a>, RestError> {
    let Value::Obj(obj) = scan_envelope(body)? else {
        return Err(RestError::Malformed("data is not an object".into()));
    };
    let m = |e: DecodeError| RestError::Malformed(e.to_string());
    let mut ack = OrderAck {
        action: "",
        request_id: "",
        resp_inst: "",
        order: None,
    };
    for kv in json::fields(obj) {
        let (k, v) = kv.map_err(|e| m(e.into()))?;
        match (k, v) {
            (b"meta", Value::Obj(meta)) => {
                for kv in json::fields(meta) {
                    let (k, v) = kv.map_err(|e| m(e.into()))?;
                    let t = v.as_str().unwrap_or("");
                    match k {
                        b"action" => ack.action = t,
                        b"id" => ack.request_id = t,
                        b"respInst" => ack.resp_inst = t,
                        _ => {}
                    }
                }
            }
            (b"order", Value::Obj(o)) => {
                ack.order = Some(decode_order_row(o, scales).map_err(row_error)?)
            }
            _ => {}
        }
    }
    Ok(ack)
}

/// One order of a batch answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchItem {
    pub request_id: String,
    pub order_id: OrderId,
    pub order_type: String,
    pub symbol: String,
    pub timestamp_ms: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchRow {
    #[serde(default)]
    id: String,
    order_id: String,
    #[serde(default)]
    order_type: String,
    #[serde(default)]
    symbol: String,
    #[serde(default)]
    timestamp: i64,
}

#[derive(Deserialize)]
struct BatchData {
    orders: Vec<BatchRow>,
}

/// Batch place and batch cancel answers `data.{meta,orders:[{id,orderId,orderType,symbol,timestamp}]}`; a
/// refused batch is [`RestError::Exchange`] with each order's error in `items`.
pub fn parse_batch_ack(body: &[u8]) -> Result<Vec<BatchItem>, RestError> {
    let d: BatchData =
        serde_json::from_value(envelope(body)?).map_err(|e| RestError::Malformed(e.to_string()))?;
    d.orders
        .into_iter()
        .map(|r| {
            Ok(BatchItem {
                order_id: OrderId::new(r.order_id.as_bytes())
                    .filter(|i| !i.is_empty())
                    .ok_or_else(|| RestError::Malformed("bad orderId".into()))?,
                request_id: r.id,
                order_type: r.order_type,
                symbol: r.symbol,
                timestamp_ms: r.timestamp,
            })
        })
        .collect()
}

/// Answers that carry nothing but `code` (cancel-all, margin-type, isolated margin, transfers).
pub fn parse_ok(body: &[u8]) -> Result<(), RestError> {
    scan_envelope(body).map(|_| ())
}

/// The leverage answer `data.{leverage,symbol}`.
pub fn parse_leverage(body: &[u8]) -> Result<(String, u16), RestError> {
    #[derive(Deserialize)]
    struct L {
        leverage: serde_json::Value,
        symbol: String,
    }
    let l: L =
        serde_json::from_value(envelope(body)?).map_err(|e| RestError::Malformed(e.to_string()))?;
    let n = match &l.leverage {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .and_then(|n| u16::try_from(n).ok())
    .ok_or_else(|| RestError::Malformed("leverage is not an integer".into()))?;
    Ok((l.symbol, n))
}

/// One funding payment: the rate and what the account paid (negative) or received, in USDT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundingPayment {
    pub symbol: String,
    pub funding_rate: Dec,
    /// Signed as the exchange reports it (negative = paid).
    pub payment: Dec,
    pub ts_ms: i64,
}

/// One page of funding payments (newest first, as the exchange sends them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundingPage {
    pub rows: Vec<FundingPayment>,
    pub has_next: bool,
    pub page: u32,
    pub page_size: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FundingRow {
    funding_rate: String,
    #[serde(rename = "paymentInUSDT")]
    payment: String,
    symbol: String,
    timestamp: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FundingData {
    #[serde(default)]
    data: Vec<FundingRow>,
    #[serde(default)]
    has_next: bool,
    #[serde(default)]
    page: u32,
    #[serde(default)]
    page_size: u32,
}

/// `data.{data:[{fundingRate,paymentInUSDT,symbol,timestamp}],hasNext,page,pageSize}`; ask for `page + 1`
/// while `has_next`.
pub fn parse_funding_payments(body: &[u8]) -> Result<FundingPage, RestError> {
    let d: FundingData =
        serde_json::from_value(envelope(body)?).map_err(|e| RestError::Malformed(e.to_string()))?;
    let dec = |field: &'static str, s: &str| {
        Dec::parse(s.as_bytes()).map_err(|error| RestError::Decimal { field, error })
    };
    Ok(FundingPage {
        rows: d
            .data
            .iter()
            .map(|r| {
                Ok(FundingPayment {
                    symbol: r.symbol.clone(),
                    funding_rate: dec("fundingRate", &r.funding_rate)?,
                    payment: dec("paymentInUSDT", &r.payment)?,
                    ts_ms: r.timestamp,
                })
            })
            .collect::<Result<_, RestError>>()?,
        has_next: d.has_next,
        page: d.page,
        page_size: d.page_size,
    })
}

/// The client id an answer echoes, as a [`ClientId`] (for matching a REST answer to its request).
pub fn echoed_client_id(id: &str) -> Option<ClientId> {
    ClientId::new(id.as_bytes()).filter(|c| !c.is_empty())
}
