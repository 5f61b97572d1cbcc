//! Response parsers: the exchange's error envelope, order reports and acknowledgements, balances, account info,
//! exchange time.

use super::*;

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
pub(super) fn int_or_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
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
pub(super) struct Envelope {
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

pub(super) fn info_id(info: &Option<serde_json::Value>) -> String {
    info.as_ref()
        .and_then(|i| i.get("id"))
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string()
}

pub(super) fn api_error_of(v: &serde_json::Value) -> ApiError {
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
pub(super) fn envelope(body: &[u8]) -> Result<serde_json::Value, RestError> {
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
pub(super) struct OrderRow {
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

pub(super) fn scaled(
    v: &Option<String>,
    scale: u8,
    field: &'static str,
) -> Result<Option<i64>, RestError> {
    match v.as_deref() {
        None | Some("") => Ok(None),
        Some(s) => parse_scaled(s.as_bytes(), scale)
            .map(Some)
            .map_err(|error| RestError::Decimal { field, error }),
    }
}

pub(super) fn report_of<S: Scales>(r: OrderRow, scales: &S) -> Result<OrderReport, RestError> {
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

pub(super) fn rows_of<S: Scales>(
    data: serde_json::Value,
    scales: &S,
) -> Result<Vec<OrderReport>, RestError> {
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

pub(super) fn ack_of<S: Scales>(
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
pub(super) struct AckData {
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
pub(super) struct BalanceJson {
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
