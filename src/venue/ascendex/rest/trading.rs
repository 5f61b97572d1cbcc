//! Trading REST: request builders (method, path with the account group, prehash path, JSON body) written into
//! reused buffers, and response parsers for orders, balances, account info and exchange time.
//!
//! Builders allocate nothing once the buffers have grown. Parsers use serde (REST answers are not on the hot path:
//! start-up, reconciliation, status queries) and accept integers given as numbers or strings, as real responses
//! do (`"code":"0"`, `"seqNum":"38621007619"`). Every `{"code":≠0,...}` becomes [`RestError::Exchange`] carrying
//! the exchange's code, reason and message.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer};

use super::super::auth::ApiPath;
use super::super::stream::trading::{
    self as wire, Account, EncodeError, PlaceOrder, ReplyStatus, Scales, SymbolScales, WireStatus,
    push_u64, write_order_object,
};
use super::market::push_query_value;
use crate::orders::scaled::{ScaledError, parse_scaled};
use crate::orders::{
    AssetId, ClientId, ClockSample, OpenOrderReport, OrderId, OrderKind, OrderUpdate, Side, Source,
    SymbolId,
};

/// HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// Reused buffers for one request at a time: path (with query) and JSON body.
#[derive(Debug, Default)]
pub struct RestBuffers {
    pub path: Vec<u8>,
    pub body: Vec<u8>,
}

impl RestBuffers {
    pub fn with_capacity(n: usize) -> RestBuffers {
        RestBuffers {
            path: Vec::with_capacity(n),
            body: Vec::with_capacity(n),
        }
    }
}

/// A request ready for the HTTP writer: sign `prehash` (when `signed`) and send `method path` with `body`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestRequest<'b> {
    pub method: Method,
    /// Path and query, starting with `/`.
    pub path: &'b [u8],
    pub prehash: ApiPath,
    /// Private endpoints need the `x-auth-*` headers.
    pub signed: bool,
    /// JSON body (`Content-Type: application/json`), empty for GET.
    pub body: &'b [u8],
}

/// Why a request could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildError {
    Encode(EncodeError),
    /// More than 10 orders in a batch, or none.
    BatchSize(usize),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Encode(e) => e.fmt(f),
            BuildError::BatchSize(n) => write!(f, "a batch holds 1 to 10 orders, not {n}"),
        }
    }
}

impl std::error::Error for BuildError {}

impl From<EncodeError> for BuildError {
    fn from(e: EncodeError) -> Self {
        BuildError::Encode(e)
    }
}

/// Most orders in one batch request.
pub const MAX_BATCH: usize = 10;

/// A non-empty string that goes into JSON without escaping.
fn json_safe(s: &[u8]) -> bool {
    !s.is_empty() && wire::json_safe(s)
}

fn group_path(out: &mut Vec<u8>, group: u32, account: Account, tail: &[u8]) {
    out.clear();
    out.push(b'/');
    push_u64(out, group as u64);
    out.extend_from_slice(b"/api/pro/v1/");
    out.extend_from_slice(account.as_str().as_bytes());
    out.extend_from_slice(tail);
}

fn req(b: &RestBuffers, method: Method, prehash: ApiPath, signed: bool) -> RestRequest<'_> {
    RestRequest {
        method,
        path: &b.path,
        prehash,
        signed,
        body: &b.body,
    }
}

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

fn write_cancel_object(out: &mut Vec<u8>, c: &CancelItem<'_>) -> Result<(), EncodeError> {
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
fn batch_body<T>(
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
fn batch_body_each(
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

// ---------------------------------------------------------------------------------------------------------------
// Responses

/// The exchange's error, as it sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: i64,
    pub reason: String,
    pub message: String,
    /// The request id echoed in `info.id`, when given.
    pub id: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exchange error {}", self.code)?;
        if !self.reason.is_empty() {
            write!(f, " {}", self.reason)?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

/// Why a REST answer could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestError {
    /// `{"code":≠0,...}` (or a batch whose orders failed: `items` holds each order's error).
    Exchange {
        error: ApiError,
        items: Vec<ApiError>,
    },
    /// Not the documented shape.
    Malformed(String),
    /// A decimal that does not fit its field's scale.
    Decimal {
        field: &'static str,
        error: ScaledError,
    },
    /// A symbol or asset the scale table does not know.
    UnknownSymbol(String),
}

impl fmt::Display for RestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestError::Exchange { error, items } => {
                error.fmt(f)?;
                for i in items {
                    write!(f, "; order {}: {i}", i.id)?;
                }
                Ok(())
            }
            RestError::Malformed(e) => write!(f, "malformed response: {e}"),
            RestError::Decimal { field, error } => write!(f, "field {field}: {error}"),
            RestError::UnknownSymbol(s) => {
                write!(f, "symbol or asset {s:?} not in the scale table")
            }
        }
    }
}

impl std::error::Error for RestError {}

impl RestError {
    /// The exchange's error code, if the exchange refused.
    pub fn code(&self) -> Option<i64> {
        match self {
            RestError::Exchange { error, .. } => Some(error.code),
            _ => None,
        }
    }
}

/// An integer sent as a number or as a string.
fn int_or_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        I(i64),
        S(String),
        Other(de::IgnoredAny),
    }
    match Option::<N>::deserialize(d)? {
        None => Ok(None),
        Some(N::I(i)) => Ok(Some(i)),
        Some(N::S(s)) if s.is_empty() => Ok(None),
        Some(N::S(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| de::Error::custom("integer expected")),
        Some(N::Other(_)) => Err(de::Error::custom("integer expected")),
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default, deserialize_with = "int_or_str")]
    code: Option<i64>,
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    info: Option<serde_json::Value>,
}

fn info_id(info: &Option<serde_json::Value>) -> String {
    info.as_ref()
        .and_then(|i| i.get("id"))
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string()
}

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

/// Checks the envelope; returns `data` on `code` 0.
fn envelope(body: &[u8]) -> Result<serde_json::Value, RestError> {
    let e: Envelope =
        serde_json::from_slice(body).map_err(|e| RestError::Malformed(e.to_string()))?;
    let code = e
        .code
        .ok_or_else(|| RestError::Malformed("no code".into()))?;
    if code != 0 {
        let items = match &e.info {
            Some(serde_json::Value::Array(a)) => a.iter().map(api_error_of).collect(),
            _ => Vec::new(),
        };
        let error = ApiError {
            code,
            reason: e.reason.unwrap_or_default(),
            message: e.message.unwrap_or_default(),
            id: info_id(&e.info),
        };
        return Err(RestError::Exchange { error, items });
    }
    Ok(e.data.unwrap_or(serde_json::Value::Null))
}

/// An order's state from a REST answer (open orders, status, current history, ACCEPT/DONE acks, history v2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderReport {
    pub order_id: OrderId,
    pub symbol: String,
    pub scales: SymbolScales,
    pub side: Option<Side>,
    pub kind: Option<OrderKind>,
    pub price: i64,
    pub qty: i64,
    pub stop_price: Option<i64>,
    pub status: WireStatus,
    pub avg_px: i64,
    pub cum_qty: i64,
    /// Positive = commission charged (the hist v2 docs contradict themselves on the sign, README §13.12; the
    /// fixtures show positive fees for charged commission).
    pub cum_fee: i64,
    pub fee_asset: String,
    pub seq: Option<u64>,
    pub ts_ms: i64,
    pub exec_inst: String,
    pub error_code: String,
}

impl OrderReport {
    pub fn update(&self, source: Source) -> OrderUpdate {
        OrderUpdate {
            order_id: self.order_id,
            seq: self.seq,
            status: self.status.reported(),
            cum_qty: self.cum_qty,
            avg_px: self.avg_px,
            cum_fee: self.cum_fee,
            ts_ms: self.ts_ms,
            source,
        }
    }

    /// The row for [`crate::orders::reconcile()`].
    pub fn open_report(&self, source: Source) -> OpenOrderReport {
        OpenOrderReport {
            update: self.update(source),
            symbol: self.scales.id,
            side: self.side.unwrap_or(Side::Buy),
            kind: self.kind.unwrap_or(OrderKind::Limit),
            post_only: self.exec_inst.eq_ignore_ascii_case("post"),
            price: self.price,
            qty: self.qty,
        }
    }

    pub fn symbol_id(&self) -> SymbolId {
        self.scales.id
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderRow {
    order_id: String,
    symbol: String,
    #[serde(default)]
    side: Option<String>,
    #[serde(default)]
    order_type: Option<String>,
    #[serde(default)]
    price: Option<String>,
    #[serde(default)]
    order_qty: Option<String>,
    #[serde(default)]
    stop_price: Option<String>,
    status: String,
    #[serde(default, alias = "avgFillPrice")]
    avg_px: Option<String>,
    #[serde(default, alias = "fillQty")]
    cum_filled_qty: Option<String>,
    #[serde(default, alias = "fee")]
    cum_fee: Option<String>,
    #[serde(default)]
    fee_asset: Option<String>,
    #[serde(default, deserialize_with = "int_or_str")]
    seq_num: Option<i64>,
    #[serde(default, deserialize_with = "int_or_str")]
    last_exec_time: Option<i64>,
    #[serde(default)]
    exec_inst: Option<String>,
    #[serde(default)]
    error_code: Option<String>,
}

fn scaled(v: &Option<String>, scale: u8, field: &'static str) -> Result<Option<i64>, RestError> {
    match v.as_deref() {
        None | Some("") => Ok(None),
        Some(s) => parse_scaled(s.as_bytes(), scale)
            .map(Some)
            .map_err(|error| RestError::Decimal { field, error }),
    }
}

fn report_of<S: Scales>(r: OrderRow, scales: &S) -> Result<OrderReport, RestError> {
    let sc = scales
        .symbol(r.symbol.as_bytes())
        .ok_or_else(|| RestError::UnknownSymbol(r.symbol.clone()))?;
    let order_id = OrderId::new(r.order_id.as_bytes())
        .ok_or_else(|| RestError::Malformed("bad orderId".into()))?;
    let status = WireStatus::parse(r.status.as_bytes())
        .ok_or_else(|| RestError::Malformed(format!("unknown status {:?}", r.status)))?;
    let cum_qty = scaled(&r.cum_filled_qty, sc.qty, "cumFilledQty")?.unwrap_or(0);
    let avg_px =
        match r.avg_px.as_deref() {
            None | Some("") => 0,
            Some(s) => crate::orders::scaled::parse_scaled_round(s.as_bytes(), sc.price).map_err(
                |error| RestError::Decimal {
                    field: "avgPx",
                    error,
                },
            )?,
        };
    if cum_qty < 0 || avg_px < 0 || (cum_qty > 0 && avg_px == 0) {
        return Err(RestError::Malformed(
            "negative fill figures, or fills without an average price".into(),
        ));
    }
    Ok(OrderReport {
        order_id,
        scales: sc,
        side: r
            .side
            .as_deref()
            .and_then(|s| wire::parse_side(s.as_bytes())),
        kind: r
            .order_type
            .as_deref()
            .and_then(|s| wire::parse_kind(s.as_bytes())),
        price: scaled(&r.price, sc.price, "price")?.unwrap_or(0),
        qty: scaled(&r.order_qty, sc.qty, "orderQty")?.unwrap_or(0),
        stop_price: scaled(&r.stop_price, sc.price, "stopPrice")?.filter(|&p| p != 0),
        status,
        avg_px,
        cum_qty,
        cum_fee: scaled(&r.cum_fee, sc.fee, "cumFee")?.unwrap_or(0),
        fee_asset: r.fee_asset.unwrap_or_default(),
        seq: r.seq_num.and_then(|s| u64::try_from(s).ok()),
        ts_ms: r.last_exec_time.unwrap_or(0),
        exec_inst: r.exec_inst.unwrap_or_default(),
        error_code: r.error_code.unwrap_or_default(),
        symbol: r.symbol,
    })
}

fn rows_of<S: Scales>(data: serde_json::Value, scales: &S) -> Result<Vec<OrderReport>, RestError> {
    let rows: Vec<serde_json::Value> = match data {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Null => Vec::new(),
        obj @ serde_json::Value::Object(_) => vec![obj],
        _ => {
            return Err(RestError::Malformed(
                "data is not a list or an object".into(),
            ));
        }
    };
    rows.into_iter()
        .map(|v| {
            let r: OrderRow =
                serde_json::from_value(v).map_err(|e| RestError::Malformed(e.to_string()))?;
            report_of(r, scales)
        })
        .collect()
}

/// Open orders, order status (list or single object), current history, and history v2 answers.
pub fn parse_orders<S: Scales>(body: &[u8], scales: &S) -> Result<Vec<OrderReport>, RestError> {
    rows_of(envelope(body)?, scales)
}

/// The answer to a place or cancel request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderAck {
    pub status: ReplyStatus,
    pub action: String,
    /// Our request id, echoed.
    pub request_id: String,
    pub order_id: Option<OrderId>,
    pub symbol: String,
    pub timestamp_ms: Option<i64>,
    /// With `respInst` ACCEPT or DONE, the order's state.
    pub report: Option<OrderReport>,
}

fn ack_of<S: Scales>(
    action: &str,
    status: &str,
    info: serde_json::Value,
    scales: &S,
) -> Result<OrderAck, RestError> {
    let status = match status {
        "Ack" | "ACK" => ReplyStatus::Ack,
        "ACCEPT" | "Accept" => ReplyStatus::Accept,
        "DONE" | "Done" => ReplyStatus::Done,
        "Err" | "ERR" => ReplyStatus::Err,
        other => {
            return Err(RestError::Malformed(format!(
                "unknown ack status {other:?}"
            )));
        }
    };
    let s = |k: &str| {
        info.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let order_id = match info.get("orderId").and_then(|v| v.as_str()) {
        Some("") | None => None,
        Some(id) => Some(
            OrderId::new(id.as_bytes())
                .ok_or_else(|| RestError::Malformed("bad orderId".into()))?,
        ),
    };
    let report = if matches!(status, ReplyStatus::Accept | ReplyStatus::Done)
        && info.get("status").is_some()
    {
        let row: OrderRow = serde_json::from_value(info.clone())
            .map_err(|e| RestError::Malformed(e.to_string()))?;
        Some(report_of(row, scales)?)
    } else {
        None
    };
    Ok(OrderAck {
        status,
        action: action.to_string(),
        request_id: s("id"),
        order_id,
        symbol: s("symbol"),
        timestamp_ms: info.get("timestamp").and_then(|v| v.as_i64()),
        report,
    })
}

#[derive(Deserialize)]
struct AckData {
    #[serde(default)]
    action: String,
    status: String,
    #[serde(default)]
    info: serde_json::Value,
}

/// Place-order and cancel-order answers (`data.{action,status,info}`).
pub fn parse_order_ack<S: Scales>(body: &[u8], scales: &S) -> Result<OrderAck, RestError> {
    let d: AckData =
        serde_json::from_value(envelope(body)?).map_err(|e| RestError::Malformed(e.to_string()))?;
    ack_of(&d.action, &d.status, d.info, scales)
}

/// Batch place/cancel answers: one ack per order, in request order.
pub fn parse_batch_ack<S: Scales>(body: &[u8], scales: &S) -> Result<Vec<OrderAck>, RestError> {
    let d: AckData =
        serde_json::from_value(envelope(body)?).map_err(|e| RestError::Malformed(e.to_string()))?;
    let serde_json::Value::Array(items) = d.info else {
        return Err(RestError::Malformed("batch info is not a list".into()));
    };
    items
        .into_iter()
        .map(|i| ack_of(&d.action, &d.status, i, scales))
        .collect()
}

/// One asset's balance at its scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceRow {
    pub asset_name: String,
    pub asset: AssetId,
    pub total: i64,
    pub available: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BalanceJson {
    asset: String,
    total_balance: String,
    available_balance: String,
}

/// Cash/margin balance answer. Assets missing from the scale table are returned by name in the second list
/// (the engine did not ask for them; they are not an error).
pub fn parse_balances<S: Scales>(
    body: &[u8],
    scales: &S,
) -> Result<(Vec<BalanceRow>, Vec<String>), RestError> {
    let rows: Vec<BalanceJson> =
        serde_json::from_value(envelope(body)?).map_err(|e| RestError::Malformed(e.to_string()))?;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for r in rows {
        let Some(a) = scales.asset(r.asset.as_bytes()) else {
            unknown.push(r.asset);
            continue;
        };
        let p = |s: &str, field| {
            parse_scaled(s.as_bytes(), a.scale).map_err(|error| RestError::Decimal { field, error })
        };
        known.push(BalanceRow {
            total: p(&r.total_balance, "totalBalance")?,
            available: p(&r.available_balance, "availableBalance")?,
            asset: a.id,
            asset_name: r.asset,
        });
    }
    Ok((known, unknown))
}

/// `GET /api/pro/v1/info`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountInfo {
    pub account_group: u32,
    #[serde(rename = "userUID")]
    pub user_uid: String,
    #[serde(default)]
    pub cash_account: Vec<String>,
    #[serde(default)]
    pub margin_account: Vec<String>,
    #[serde(default)]
    pub trade_permission: bool,
    #[serde(default)]
    pub view_permission: bool,
    /// Key expiry (ms); -1 = never.
    #[serde(default, deserialize_with = "int_or_str")]
    pub expire_time: Option<i64>,
}

pub fn parse_account_info(body: &[u8]) -> Result<AccountInfo, RestError> {
    serde_json::from_value(envelope(body)?).map_err(|e| RestError::Malformed(e.to_string()))
}

/// `GET /api/pro/v1/exchange-info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeInfo {
    pub request_time_echo: i64,
    pub request_receive_at: i64,
    #[serde(default)]
    pub latency: i64,
}

impl ExchangeInfo {
    /// A clock sample: our send time (echoed), the server's receive time, and our receive time.
    pub fn sample(&self, recv_local_ms: i64) -> ClockSample {
        ClockSample {
            sent_local_ms: self.request_time_echo,
            server_ms: self.request_receive_at,
            recv_local_ms,
        }
    }
}

pub fn parse_exchange_info(body: &[u8]) -> Result<ExchangeInfo, RestError> {
    serde_json::from_value(envelope(body)?).map_err(|e| RestError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::TimeInForce;
    use crate::venue::ascendex::stream::trading::RespInst;

    #[test]
    fn batch_written_item_by_item_equals_the_slice_builder() {
        let ids = [
            ClientId::new(b"hx0000001").unwrap(),
            ClientId::new(b"hx0000002").unwrap(),
        ];
        use crate::orders::SymbolId;
        use crate::venue::ascendex::stream::trading::OrderSpec;
        let order = |i: usize| PlaceOrder {
            client_id: &ids[i],
            time_ms: 1_700_000_000_000,
            spec: OrderSpec {
                symbol_id: SymbolId(0),
                symbol: "BTC/USDT",
                side: Side::Buy,
                kind: OrderKind::Limit,
                price: 6_000_000 + i as i64,
                price_scale: 2,
                qty: 1_000 * (i as i64 + 1),
                qty_scale: 5,
                stop_price: None,
                post_only: true,
                tif: TimeInForce::Gtc,
            },
            resp_inst: RespInst::Ack,
        };
        let orders = [order(0), order(1)];
        let mut a = RestBuffers::default();
        let mut b = RestBuffers::default();
        let ra = batch_place(&mut a, 6, Account::Cash, &orders).unwrap();
        let rb = batch_place_each(&mut b, 6, Account::Cash, 2, |i, out| {
            write_order_object(out, &order(i))
        })
        .unwrap();
        assert_eq!(ra, rb);
        assert_eq!(rb.path, b"/6/api/pro/v1/cash/order/batch");
        assert_eq!((rb.method, rb.prehash), (Method::Post, ApiPath::OrderBatch));
        let v: serde_json::Value = serde_json::from_slice(rb.body).unwrap();
        assert_eq!(v["orders"][1]["id"], "hx0000002");
        assert_eq!(v["orders"][1]["orderQty"], "0.02000");
        let mut c = RestBuffers::default();
        for n in [0, MAX_BATCH + 1] {
            assert_eq!(
                batch_place_each(&mut c, 6, Account::Cash, n, |i, out| write_order_object(
                    out,
                    &order(i % 2)
                ))
                .err(),
                Some(BuildError::BatchSize(n))
            );
        }
        let bad = batch_place_each(&mut c, 6, Account::Cash, 1, |_, _| {
            Err(EncodeError::BadOrder)
        });
        assert!(bad.is_err());
    }
}
