//! Decoding the inbound messages: order and balance pushes, request replies, open orders, auth, errors.

use super::*;

/// The exchange's order status as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireStatus {
    PendingNew,
    New,
    /// Ready-ack mode: resting as a maker (the same state as `New` for the tracker).
    Ready,
    PartiallyFilled,
    Filled,
    Canceled,
    Rejected,
}

impl WireStatus {
    /// The status as spelled in pushes and REST rows.
    pub(crate) fn parse(b: &[u8]) -> Option<WireStatus> {
        Some(match b {
            b"PendingNew" => WireStatus::PendingNew,
            b"New" => WireStatus::New,
            b"Ready" => WireStatus::Ready,
            b"PartiallyFilled" => WireStatus::PartiallyFilled,
            b"Filled" => WireStatus::Filled,
            b"Canceled" | b"Cancelled" => WireStatus::Canceled,
            b"Rejected" => WireStatus::Rejected,
            _ => return None,
        })
    }

    pub fn reported(self) -> ReportedStatus {
        match self {
            WireStatus::PendingNew => ReportedStatus::PendingNew,
            WireStatus::New | WireStatus::Ready => ReportedStatus::New,
            WireStatus::PartiallyFilled => ReportedStatus::PartiallyFilled,
            WireStatus::Filled => ReportedStatus::Filled,
            WireStatus::Canceled => ReportedStatus::Canceled,
            WireStatus::Rejected => ReportedStatus::Rejected,
        }
    }
}

/// `Buy`/`buy`/`BUY` and the same for sell (pushes and REST rows).
pub(crate) fn parse_side(b: &[u8]) -> Option<Side> {
    match b {
        b"Buy" | b"buy" | b"BUY" => Some(Side::Buy),
        b"Sell" | b"sell" | b"SELL" => Some(Side::Sell),
        _ => None,
    }
}

pub(crate) fn parse_kind(b: &[u8]) -> Option<OrderKind> {
    match b {
        b"Limit" | b"limit" => Some(OrderKind::Limit),
        b"Market" | b"market" => Some(OrderKind::Market),
        b"StopLimit" | b"stop_limit" => Some(OrderKind::StopLimit),
        b"StopMarket" | b"stop_market" => Some(OrderKind::StopMarket),
        _ => None,
    }
}

/// One order's state from an `order` push or an `open-order` row, at the symbol's scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderPush<'a> {
    pub symbol: &'a str,
    pub scales: SymbolScales,
    pub seq: u64,
    pub order_id: OrderId,
    pub side: Option<Side>,
    pub kind: Option<OrderKind>,
    /// Limit price; 0 when empty (market orders).
    pub price: i64,
    pub qty: i64,
    pub stop_price: Option<i64>,
    pub status: WireStatus,
    pub avg_px: i64,
    pub cum_qty: i64,
    pub cum_fee: i64,
    pub fee_asset: &'a str,
    /// Error code text (`""`, `"NULL_VAL"`, `"PostOnlyWouldTake"`, ...).
    pub err: &'a str,
    pub ts_ms: i64,
    /// Execution instruction (`NULL_VAL`, `Post`, `Liquidation`).
    pub exec_inst: &'a str,
    /// Balances after the event: base total/available, quote total/available (asset scales).
    pub base_total: Option<i64>,
    pub base_available: Option<i64>,
    pub quote_total: Option<i64>,
    pub quote_available: Option<i64>,
}

impl OrderPush<'_> {
    /// The tracker's view of this report.
    pub fn update(&self, source: Source) -> OrderUpdate {
        OrderUpdate {
            order_id: self.order_id,
            seq: Some(self.seq),
            status: self.status.reported(),
            cum_qty: self.cum_qty,
            avg_px: self.avg_px,
            cum_fee: self.cum_fee,
            ts_ms: self.ts_ms,
            source,
        }
    }

    pub fn is_post_only(&self) -> bool {
        self.exec_inst.eq_ignore_ascii_case("post")
    }
}

/// Ready-ack mode's refusal of a cancel (`st:"Rejected"`, `err:"OrderCancelReject"`): the target order is
/// unaffected. Never apply it to the order as a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelReject<'a> {
    /// The order we tried to cancel (`origOrderId`).
    pub order_id: OrderId,
    /// The cancel request's own id (`orderId`).
    pub request_order_id: OrderId,
    pub symbol: &'a str,
    pub seq: u64,
    /// Why (`TooLateToCancel`, ...).
    pub text: &'a str,
    pub ts_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyStatus {
    Ack,
    Accept,
    Done,
    Err,
}

/// The reply to a place-order, cancel-order or cancel-all request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderReply<'a> {
    /// The request id we sent (outer `id`, or `info.id`).
    pub request_id: &'a str,
    /// `place-order`, `cancel-order`, `cancel-all`, ...
    pub action: &'a str,
    pub status: ReplyStatus,
    /// Exchange order id (`info.orderId`), when given and non-empty.
    pub order_id: Option<OrderId>,
    pub symbol: &'a str,
    /// 0 on success; the exchange's error code otherwise.
    pub code: i64,
    pub reason: &'a str,
    pub message: &'a str,
    pub timestamp_ms: Option<i64>,
}

/// A `balance` push (changes not caused by orders: deposits, transfers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalancePush<'a> {
    pub asset_name: &'a str,
    pub asset: AssetId,
    pub seq: u64,
    pub total: i64,
    pub available: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthReply<'a> {
    pub id: &'a str,
    pub code: i64,
    pub err: &'a str,
    /// The server confirmed ready-ack mode.
    pub ready_ack: bool,
}

/// `{"m":"error",...}` or `{"m":"disconnected",...}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorMsg<'a> {
    pub id: &'a str,
    pub code: i64,
    pub reason: &'a str,
    pub info: &'a str,
}

/// The `open-order` reply; iterate [`OpenOrders::orders`] for the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOrders<'a> {
    pub id: &'a str,
    data: &'a [u8],
}

impl<'a> OpenOrders<'a> {
    /// Each row decoded like an order push; a bad row is an error item, the others still come.
    pub fn orders<'s, S: Scales>(
        &self,
        scales: &'s S,
    ) -> impl Iterator<Item = Result<OrderPush<'a>, DecodeError>> + use<'a, 's, S> {
        json::elements(self.data).map(move |v| match v {
            Ok(Value::Obj(o)) => match decode_order_data(o, scales)? {
                OrderData::Order(p) => Ok(p),
                OrderData::CancelReject(_) => Err(DecodeError::Bad("data")),
            },
            Ok(_) => Err(DecodeError::Bad("data")),
            Err(e) => Err(DecodeError::Json(e)),
        })
    }
}

/// Anything the trading session can receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inbound<'a> {
    OrderReply(OrderReply<'a>),
    Order(OrderPush<'a>),
    CancelReject(CancelReject<'a>),
    Balance(BalancePush<'a>),
    OpenOrders(OpenOrders<'a>),
    Auth(AuthReply<'a>),
    Error(ErrorMsg<'a>),
    Disconnected(ErrorMsg<'a>),
    Connected {
        authenticated: bool,
    },
    /// Server ping: answer `{"op":"pong"}` at once.
    Ping {
        hp: Option<i64>,
    },
    Pong,
    /// Subscription acknowledgement (`code` 0 = ok).
    Sub {
        code: i64,
    },
    /// Another message type (market data, ...), left to its decoder.
    Other {
        m: &'a str,
    },
}

pub(super) fn text<'a>(v: Value<'a>, k: &'static str) -> Result<&'a str, DecodeError> {
    match v {
        Value::Str(_) => v.as_str().ok_or(DecodeError::Bad(k)),
        Value::Null => Ok(""),
        _ => Err(DecodeError::Bad(k)),
    }
}

pub(super) fn int(v: Value<'_>, k: &'static str) -> Result<i64, DecodeError> {
    v.as_i64().ok_or(DecodeError::Bad(k))
}

pub(super) fn dec(
    v: Option<Value<'_>>,
    scale: u8,
    k: &'static str,
    empty_is_zero: bool,
) -> Result<Option<i64>, DecodeError> {
    let Some(v) = v else { return Ok(None) };
    let b = match v {
        Value::Str(b) | Value::Num(b) => b,
        Value::Null => return Ok(None),
        _ => return Err(DecodeError::Bad(k)),
    };
    if b.is_empty() {
        return if empty_is_zero { Ok(Some(0)) } else { Ok(None) };
    }
    parse_scaled(b, scale)
        .map(Some)
        .map_err(|e| DecodeError::Decimal(k, e))
}

/// An average price: more decimals than the price scale are rounded, not refused.
pub(super) fn dec_round(
    v: Option<Value<'_>>,
    scale: u8,
    k: &'static str,
) -> Result<Option<i64>, DecodeError> {
    let Some(v) = v else { return Ok(None) };
    let b = match v {
        Value::Str(b) | Value::Num(b) => b,
        Value::Null => return Ok(None),
        _ => return Err(DecodeError::Bad(k)),
    };
    if b.is_empty() {
        return Ok(Some(0));
    }
    crate::orders::scaled::parse_scaled_round(b, scale)
        .map(Some)
        .map_err(|e| DecodeError::Decimal(k, e))
}

pub(super) fn id_of(v: Value<'_>, k: &'static str) -> Result<OrderId, DecodeError> {
    let b = v.as_str_bytes().ok_or(DecodeError::Bad(k))?;
    if b.len() > MAX_ID_LEN {
        return Err(DecodeError::Bad(k));
    }
    OrderId::new(b).ok_or(DecodeError::Bad(k))
}

pub(super) enum OrderData<'a> {
    Order(OrderPush<'a>),
    CancelReject(CancelReject<'a>),
}

/// Raw fields of an order object, collected in one pass (field order is not guaranteed).
#[derive(Default)]
pub(super) struct RawOrder<'a> {
    s: Option<Value<'a>>,
    sn: Option<Value<'a>>,
    sd: Option<Value<'a>>,
    ot: Option<Value<'a>>,
    p: Option<Value<'a>>,
    q: Option<Value<'a>>,
    sp: Option<Value<'a>>,
    st: Option<Value<'a>>,
    ap: Option<Value<'a>>,
    cfq: Option<Value<'a>>,
    cf: Option<Value<'a>>,
    fa: Option<Value<'a>>,
    err: Option<Value<'a>>,
    t: Option<Value<'a>>,
    order_id: Option<Value<'a>>,
    orig_order_id: Option<Value<'a>>,
    text: Option<Value<'a>>,
    ei: Option<Value<'a>>,
    bab: Option<Value<'a>>,
    btb: Option<Value<'a>>,
    qab: Option<Value<'a>>,
    qtb: Option<Value<'a>>,
    // Balance push fields.
    a: Option<Value<'a>>,
    tb: Option<Value<'a>>,
    ab: Option<Value<'a>>,
}

impl<'a> RawOrder<'a> {
    #[inline]
    fn set(&mut self, k: &[u8], v: Value<'a>) {
        let slot = match k {
            b"s" => &mut self.s,
            b"sn" => &mut self.sn,
            b"sd" => &mut self.sd,
            b"ot" => &mut self.ot,
            b"p" => &mut self.p,
            b"q" => &mut self.q,
            b"sp" => &mut self.sp,
            b"st" => &mut self.st,
            b"ap" => &mut self.ap,
            b"cfq" => &mut self.cfq,
            b"cf" => &mut self.cf,
            b"fa" => &mut self.fa,
            b"err" => &mut self.err,
            b"t" => &mut self.t,
            b"orderId" => &mut self.order_id,
            b"origOrderId" => &mut self.orig_order_id,
            b"text" => &mut self.text,
            b"ei" => &mut self.ei,
            b"bab" => &mut self.bab,
            b"btb" => &mut self.btb,
            b"qab" => &mut self.qab,
            b"qtb" => &mut self.qtb,
            b"a" => &mut self.a,
            b"tb" => &mut self.tb,
            b"ab" => &mut self.ab,
            _ => return,
        };
        *slot = Some(v);
    }
}

pub(super) fn decode_order_data<'a, S: Scales>(
    obj: &'a [u8],
    scales: &S,
) -> Result<OrderData<'a>, DecodeError> {
    let mut r = RawOrder::default();
    for kv in json::fields(obj) {
        let (k, v) = kv?;
        r.set(k, v);
    }
    finish_order(&r, scales)
}

pub(super) fn finish_order<'a, S: Scales>(
    r: &RawOrder<'a>,
    scales: &S,
) -> Result<OrderData<'a>, DecodeError> {
    let symbol = text(r.s.ok_or(DecodeError::Missing("s"))?, "s")?;
    let seq =
        r.sn.ok_or(DecodeError::Missing("sn"))?
            .as_u64()
            .ok_or(DecodeError::Bad("sn"))?;
    let order_id = id_of(
        r.order_id.ok_or(DecodeError::Missing("orderId"))?,
        "orderId",
    )?;
    let st_raw =
        r.st.ok_or(DecodeError::Missing("st"))?
            .as_str_bytes()
            .ok_or(DecodeError::Bad("st"))?;
    let status = WireStatus::parse(st_raw).ok_or(DecodeError::Bad("st"))?;
    let err = r.err.map(|v| text(v, "err")).transpose()?.unwrap_or("");
    let ts_ms = r.t.map(|v| int(v, "t")).transpose()?.unwrap_or(0);
    if status == WireStatus::Rejected && err == "OrderCancelReject" {
        let target = r.orig_order_id.ok_or(DecodeError::Missing("origOrderId"))?;
        return Ok(OrderData::CancelReject(CancelReject {
            order_id: id_of(target, "origOrderId")?,
            request_order_id: order_id,
            symbol,
            seq,
            text: r.text.map(|v| text(v, "text")).transpose()?.unwrap_or(""),
            ts_ms,
        }));
    }
    let sc = scales
        .symbol(symbol.as_bytes())
        .ok_or(DecodeError::UnknownSymbol)?;
    let side = match r.sd {
        Some(v) => Some(
            parse_side(v.as_str_bytes().ok_or(DecodeError::Bad("sd"))?)
                .ok_or(DecodeError::Bad("sd"))?,
        ),
        None => None,
    };
    let kind = match r.ot {
        Some(v) => parse_kind(v.as_str_bytes().ok_or(DecodeError::Bad("ot"))?),
        None => None,
    };
    let cum_qty = dec(r.cfq, sc.qty, "cfq", true)?.ok_or(DecodeError::Missing("cfq"))?;
    if cum_qty < 0 {
        return Err(DecodeError::Bad("cfq"));
    }
    let avg_px = dec_round(r.ap, sc.price, "ap")?.unwrap_or(0);
    if avg_px < 0 || (cum_qty > 0 && avg_px == 0) {
        return Err(DecodeError::Bad("ap"));
    }
    Ok(OrderData::Order(OrderPush {
        symbol,
        scales: sc,
        seq,
        order_id,
        side,
        kind,
        price: dec(r.p, sc.price, "p", true)?.unwrap_or(0),
        qty: dec(r.q, sc.qty, "q", true)?.unwrap_or(0),
        stop_price: dec(r.sp, sc.price, "sp", false)?.filter(|&v| v != 0),
        status,
        avg_px,
        cum_qty,
        cum_fee: dec(r.cf, sc.fee, "cf", true)?.unwrap_or(0),
        fee_asset: r.fa.map(|v| text(v, "fa")).transpose()?.unwrap_or(""),
        err,
        ts_ms,
        exec_inst: r.ei.map(|v| text(v, "ei")).transpose()?.unwrap_or(""),
        base_total: dec(r.btb, sc.base.scale, "btb", false)?,
        base_available: dec(r.bab, sc.base.scale, "bab", false)?,
        quote_total: dec(r.qtb, sc.quote.scale, "qtb", false)?,
        quote_available: dec(r.qab, sc.quote.scale, "qab", false)?,
    }))
}

pub(super) fn finish_balance<'a, S: Scales>(
    r: &RawOrder<'a>,
    scales: &S,
) -> Result<BalancePush<'a>, DecodeError> {
    let (a, sn, tb, ab) = (r.a, r.sn, r.tb, r.ab);
    let name = text(a.ok_or(DecodeError::Missing("a"))?, "a")?;
    let asset = scales
        .asset(name.as_bytes())
        .ok_or(DecodeError::UnknownAsset)?;
    let seq = sn
        .ok_or(DecodeError::Missing("sn"))?
        .as_u64()
        .ok_or(DecodeError::Bad("sn"))?;
    let total = dec(tb, asset.scale, "tb", false)?.ok_or(DecodeError::Missing("tb"))?;
    let available = dec(ab, asset.scale, "ab", false)?.ok_or(DecodeError::Missing("ab"))?;
    Ok(BalancePush {
        asset_name: name,
        asset: asset.id,
        seq,
        total,
        available,
    })
}

pub(super) fn decode_reply<'a>(
    id: Option<Value<'a>>,
    action: Option<Value<'a>>,
    status: Option<Value<'a>>,
    info: Option<Value<'a>>,
    code: Option<Value<'a>>,
    reason: Option<Value<'a>>,
    message: Option<Value<'a>>,
) -> Result<OrderReply<'a>, DecodeError> {
    let status = match status.ok_or(DecodeError::Missing("status"))?.as_str_bytes() {
        Some(b"Ack") | Some(b"ACK") => ReplyStatus::Ack,
        Some(b"ACCEPT") | Some(b"Accept") => ReplyStatus::Accept,
        Some(b"DONE") | Some(b"Done") => ReplyStatus::Done,
        Some(b"Err") | Some(b"ERR") => ReplyStatus::Err,
        _ => return Err(DecodeError::Bad("status")),
    };
    let mut r = OrderReply {
        request_id: id.map(|v| text(v, "id")).transpose()?.unwrap_or(""),
        action: text(action.ok_or(DecodeError::Missing("action"))?, "action")?,
        status,
        order_id: None,
        symbol: "",
        code: code.map(|v| int(v, "code")).transpose()?.unwrap_or(0),
        reason: reason.map(|v| text(v, "reason")).transpose()?.unwrap_or(""),
        message: message
            .map(|v| text(v, "message"))
            .transpose()?
            .unwrap_or(""),
        timestamp_ms: None,
    };
    match info {
        Some(Value::Obj(o)) => {
            for kv in json::fields(o) {
                let (k, v) = kv?;
                match k {
                    b"id" if r.request_id.is_empty() => r.request_id = text(v, "info.id")?,
                    b"orderId" => {
                        let b = v.as_str_bytes().ok_or(DecodeError::Bad("info.orderId"))?;
                        if !b.is_empty() {
                            r.order_id = Some(id_of(v, "info.orderId")?);
                        }
                    }
                    b"symbol" => r.symbol = text(v, "info.symbol")?,
                    b"code" => r.code = int(v, "info.code")?,
                    b"reason" => r.reason = text(v, "info.reason")?,
                    b"message" => r.message = text(v, "info.message")?,
                    b"timestamp" => r.timestamp_ms = Some(int(v, "info.timestamp")?),
                    _ => {}
                }
            }
        }
        Some(Value::Str(_)) if r.message.is_empty() => {
            r.message = text(info.unwrap_or(Value::Null), "info")?
        }
        _ => {}
    }
    if r.status == ReplyStatus::Err && r.code == 0 {
        // The docs show error replies whose code is only inside `info`, or missing; never report success.
        r.code = -1;
    }
    Ok(r)
}

/// Decodes one text frame of the trading session. Borrowed from `frame`; allocates nothing.
pub fn decode<'a, S: Scales>(frame: &'a [u8], scales: &S) -> Result<Inbound<'a>, DecodeError> {
    let mut m = None;
    let mut op = None;
    let mut data = None;
    let mut id = None;
    let mut action = None;
    let mut status = None;
    let mut info = None;
    let mut code = None;
    let mut reason = None;
    let mut message = None;
    let mut err = None;
    let mut ack = None;
    let mut typ = None;
    let mut hp = None;
    let mut first = true;
    // One pass: an object `data` (order and balance pushes) is read in place, not skipped and re-read.
    let mut raw = RawOrder::default();
    let mut data_obj = false;
    let mut rdr = json::ObjectReader::new(frame);
    loop {
        let k = match rdr.next_key() {
            Ok(Some(k)) => k,
            Ok(None) => break,
            Err(JsonError::Unexpected { at: 0 }) if first => return Err(DecodeError::NotObject),
            Err(e) => return Err(e.into()),
        };
        first = false;
        if k == b"data" {
            if rdr.object_fields(|k, v| raw.set(k, v))? {
                data_obj = true;
                data = None;
            } else {
                data_obj = false;
                data = Some(rdr.value()?);
            }
            continue;
        }
        let v = rdr.value()?;
        match k {
            b"m" => m = Some(v),
            b"op" => op = Some(v),
            b"id" => id = Some(v),
            b"action" => action = Some(v),
            b"status" => status = Some(v),
            b"info" => info = Some(v),
            b"code" => code = Some(v),
            b"reason" => reason = Some(v),
            b"message" => message = Some(v),
            b"err" => err = Some(v),
            b"ack" => ack = Some(v),
            b"type" => typ = Some(v),
            b"hp" => hp = Some(v),
            _ => {}
        }
    }
    let kind = m.or(op).ok_or(DecodeError::Missing("m"))?;
    let kind = kind.as_str_bytes().ok_or(DecodeError::Bad("m"))?;
    let s = |v: Option<Value<'a>>, k: &'static str| -> Result<&'a str, DecodeError> {
        v.map(|v| text(v, k)).transpose().map(|o| o.unwrap_or(""))
    };
    let code_i = |v: Option<Value<'a>>| -> Result<i64, DecodeError> {
        v.map(|v| int(v, "code"))
            .transpose()
            .map(|o| o.unwrap_or(0))
    };
    Ok(match kind {
        b"order" if data_obj => match finish_order(&raw, scales)? {
            OrderData::Order(p) => Inbound::Order(p),
            OrderData::CancelReject(c) => Inbound::CancelReject(c),
        },
        b"order" => match data {
            Some(_) => return Err(DecodeError::Bad("data")),
            None => Inbound::OrderReply(decode_reply(
                id, action, status, info, code, reason, message,
            )?),
        },
        b"balance" if data_obj => Inbound::Balance(finish_balance(&raw, scales)?),
        b"balance" => match data {
            Some(_) => return Err(DecodeError::Bad("data")),
            None => return Err(DecodeError::Missing("data")),
        },
        b"open-order" if data_obj => return Err(DecodeError::Bad("data")),
        b"open-order" => match data {
            Some(Value::Arr(a)) => Inbound::OpenOrders(OpenOrders {
                id: s(id, "id")?,
                data: a,
            }),
            Some(_) => return Err(DecodeError::Bad("data")),
            None => return Err(DecodeError::Missing("data")),
        },
        b"auth" => Inbound::Auth(AuthReply {
            id: s(id, "id")?,
            code: code_i(code)?,
            err: s(err, "err")?,
            ready_ack: matches!(ack.and_then(|v| v.as_str_bytes()), Some(b"ready")),
        }),
        b"error" | b"disconnected" => {
            let e = ErrorMsg {
                id: s(id, "id")?,
                code: code_i(code)?,
                reason: s(reason, "reason")?,
                info: match info {
                    Some(v @ Value::Str(_)) => text(v, "info")?,
                    _ => s(message, "message")?,
                },
            };
            if kind == b"error" {
                Inbound::Error(e)
            } else {
                Inbound::Disconnected(e)
            }
        }
        b"connected" => Inbound::Connected {
            authenticated: matches!(typ.and_then(|v| v.as_str_bytes()), Some(b"auth")),
        },
        b"ping" => Inbound::Ping {
            hp: hp.and_then(|v| v.as_i64()),
        },
        b"pong" => Inbound::Pong,
        b"sub" | b"unsub" => Inbound::Sub {
            code: code_i(code)?,
        },
        other => Inbound::Other {
            m: std::str::from_utf8(other).map_err(|_| DecodeError::Bad("m"))?,
        },
    })
}

/// `{"op":"pong"}`, the answer to a server ping.
pub const PONG: &[u8] = b"{\"op\":\"pong\"}";
/// `{"op":"ping"}`, the client keep-alive.
pub const PING: &[u8] = b"{\"op\":\"ping\"}";
