//! Order requests (REST and WS share the same argument names) and the documented order JSON shapes.

use crate::auth::WINDOW_MS;
use crate::dec;
use crate::engine::{Ev, NewOrder, OrdType, Order, RejectErr, Side, Tif};
use crate::market::ASSET_SCALE;
use crate::state::State;
use serde_json::{Value, json};

pub fn rej(code: i64, reason: &'static str, message: impl Into<String>) -> RejectErr {
    RejectErr {
        code,
        reason,
        message: message.into(),
    }
}

/// A string or number field as text.
pub fn field_str(v: &Value, k: &str) -> Option<String> {
    match v.get(k)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn field_bool(v: &Value, k: &str) -> bool {
    match v.get(k) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// `^\w[\w\-]*\w$`, at most 32 characters.
pub fn valid_client_id(id: &str) -> bool {
    let b = id.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    b.len() >= 2
        && b.len() <= 32
        && word(b[0])
        && word(b[b.len() - 1])
        && b.iter().all(|c| word(*c) || *c == b'-')
}

/// The documented order id: `a`/`s` + hex(ms) + userUID + last 9 chars of the client id (or 9 random chars).
pub fn make_order_id(st: &mut State, ws: bool, time: u64, client_id: &str) -> String {
    let tail = if client_id.len() >= 9 && client_id.is_ascii() {
        client_id[client_id.len() - 9..].to_string()
    } else {
        st.id_rng.alnum(9)
    };
    format!(
        "{}{:x}{}{}",
        if ws { 's' } else { 'a' },
        time,
        st.acct.uid,
        tail
    )
}

/// Checks the request `time` (ms): older or newer than 30 s is not processed.
fn check_time(st: &State, args: &Value) -> Result<u64, RejectErr> {
    let t = field_str(args, "time").ok_or_else(|| {
        rej(
            100004,
            "INVALID_REQUEST_DATA",
            "Missing required field: time",
        )
    })?;
    let t: u64 = t.trim().parse().map_err(|_| {
        rej(
            100011,
            "INVALID_TIMESTAMP",
            format!("Not a valid timestamp: {t}"),
        )
    })?;
    if (i128::from(t) - i128::from(st.now_ms())).abs() > i128::from(WINDOW_MS) {
        return Err(rej(
            100011,
            "INVALID_TIMESTAMP",
            format!("Request time {t} is more than 30 seconds away from server time"),
        ));
    }
    Ok(t)
}

pub struct Placed {
    pub idx: usize,
    pub order_id: String,
    pub evs: Vec<Ev>,
}

/// Parses, validates and places an order from REST body / WS args.
pub fn place(st: &mut State, args: &Value, ws: bool) -> Result<Placed, RejectErr> {
    let req = parse_new(st, args, ws)?;
    let order_id = req.order_id.clone();
    let now = st.now_ms();
    let (idx, evs) = st.eng.place(req, now)?;
    Ok(Placed { idx, order_id, evs })
}

/// The basic checks of a batch member (fields, time, trading rules), without placing it.
pub fn check_static(st: &mut State, args: &Value) -> Result<(), RejectErr> {
    let req = parse_new(st, args, false)?;
    st.eng.check_static(&req)
}

/// Records a batch member the engine refused (insufficient funds) as a Rejected order.
pub fn record_rejected(st: &mut State, args: &Value, e: &RejectErr, now: u64) -> (String, Vec<Ev>) {
    match parse_new(st, args, false) {
        Ok(req) => {
            let oid = req.order_id.clone();
            let (_, evs) = st.eng.record_rejected(req, e.reason, now);
            (oid, evs)
        }
        Err(_) => (String::new(), Vec::new()),
    }
}

/// Parses and checks the request fields into a NewOrder with its documented order id.
pub fn parse_new(st: &mut State, args: &Value, ws: bool) -> Result<NewOrder, RejectErr> {
    let symbol = field_str(args, "symbol").ok_or_else(|| {
        rej(
            100004,
            "INVALID_REQUEST_DATA",
            "Missing required field: symbol",
        )
    })?;
    let sym = st.eng.sym_index(&symbol).ok_or_else(|| {
        rej(
            300012,
            "INVALID_PRODUCT",
            format!("Not a valid product: {symbol}"),
        )
    })?;
    let time = check_time(st, args)?;
    let client_id = match (field_str(args, "id"), field_str(args, "coid")) {
        (Some(id), _) => id,
        (None, Some(coid)) => {
            st.record_variant("order: old coid field instead of id (demo)");
            coid
        }
        (None, None) => String::new(),
    };
    if !client_id.is_empty() && !valid_client_id(&client_id) {
        return Err(rej(
            300006,
            "INVALID_ORDER_ID",
            format!("Invalid Client Order Id: {client_id}"),
        ));
    }
    if args.get("clientOrderId").is_some() {
        st.record_variant("order: clientOrderId field next to id (ccxt)");
    }
    let side = match field_str(args, "side")
        .map(|s| s.to_ascii_lowercase())
        .as_deref()
    {
        Some("buy") => Side::Buy,
        Some("sell") => Side::Sell,
        _ => {
            return Err(rej(
                300003,
                "INVALID_SIDE",
                "Order side must be buy or sell",
            ));
        }
    };
    let otype = match field_str(args, "orderType")
        .map(|s| s.to_ascii_lowercase())
        .as_deref()
    {
        Some("limit") => OrdType::Limit,
        Some("market") => OrdType::Market,
        Some("stop_limit") | Some("stop_market") => {
            return Err(rej(
                300005,
                "INVALID_TYPE",
                "Stop orders are not supported by the simulator",
            ));
        }
        _ => {
            return Err(rej(
                300005,
                "INVALID_TYPE",
                "Order type must be limit or market",
            ));
        }
    };
    let mut post_only = field_bool(args, "postOnly");
    let tif = match field_str(args, "timeInForce")
        .map(|s| s.to_ascii_uppercase())
        .as_deref()
    {
        None | Some("") | Some("GTC") => Tif::Gtc,
        Some("IOC") => Tif::Ioc,
        Some("FOK") => Tif::Fok,
        Some("PO") => {
            st.record_variant("order: timeInForce=PO (ccxt leak)");
            post_only = true;
            Tif::Gtc
        }
        Some(_) => {
            return Err(rej(
                300007,
                "INVALID_TIME_IN_FORCE",
                "timeInForce must be GTC, IOC or FOK",
            ));
        }
    };
    if post_only && (tif != Tif::Gtc || otype == OrdType::Market) {
        return Err(rej(
            300008,
            "INVALID_ORDER_PARAMETER",
            "postOnly is only valid for GTC limit orders",
        ));
    }
    let p = st.eng.products[sym].clone();
    let qty_s = field_str(args, "orderQty")
        .ok_or_else(|| rej(300002, "INVALID_QTY", "Missing orderQty"))?;
    let qty = p.parse_qty(&qty_s).ok_or_else(|| {
        rej(
            300002,
            "INVALID_QTY",
            format!(
                "Invalid order quantity {qty_s} (lotSize {})",
                p.fmt_qty(p.lot)
            ),
        )
    })?;
    let price = if otype == OrdType::Limit {
        let ps = field_str(args, "orderPrice")
            .ok_or_else(|| rej(300001, "INVALID_PRICE", "Limit orders need orderPrice"))?;
        p.parse_px(&ps).ok_or_else(|| {
            rej(
                300014,
                "TICK_SIZE_VIOLATION",
                format!("Invalid order price {ps} (tickSize {})", p.fmt_px(p.tick)),
            )
        })?
    } else {
        0
    };
    let order_id = make_order_id(st, ws, time, &client_id);
    Ok(NewOrder {
        sym,
        side,
        otype,
        tif,
        post_only,
        price,
        qty,
        client_id,
        order_id,
    })
}

/// The REST order object (open orders, order status, hist/current, ACCEPT/DONE acks).
pub fn order_json(st: &State, o: &Order) -> Value {
    let p = &st.eng.products[o.sym];
    json!({
        "avgPx": o.avg_px(p),
        "cumFee": dec::fmt(o.cum_fee, ASSET_SCALE),
        "cumFilledQty": p.fmt_qty(o.filled),
        "errorCode": o.err,
        "feeAsset": o.fee_asset,
        "id": o.client_id,
        "lastExecTime": o.last_exec_ms,
        "orderId": o.order_id,
        "orderQty": p.fmt_qty(o.qty),
        "orderType": o.otype.name(),
        "price": if o.otype == OrdType::Limit { p.fmt_px(o.price) } else { String::new() },
        "seqNum": o.seq,
        "side": o.side.name(),
        "status": o.status.name(),
        "stopPrice": "",
        "symbol": p.symbol,
        "execInst": o.exec_inst(),
    })
}

/// The order history v2 object.
pub fn hist_json(st: &State, o: &Order) -> Value {
    let p = &st.eng.products[o.sym];
    json!({
        "orderId": o.order_id,
        "seqNum": o.seq,
        "accountId": st.acct.cash_id,
        "symbol": p.symbol,
        "orderType": o.otype.name(),
        "side": o.side.name(),
        "price": if o.otype == OrdType::Limit { p.fmt_px(o.price) } else { "0".to_string() },
        "stopPrice": "0",
        "orderQty": p.fmt_qty(o.qty),
        "status": o.status.name(),
        "createTime": o.create_ms,
        "lastExecTime": o.last_exec_ms,
        "avgFillPrice": o.avg_px(p),
        "fillQty": p.fmt_qty(o.filled),
        "fee": dec::fmt(o.cum_fee, ASSET_SCALE),
        "feeAsset": o.fee_asset,
    })
}

/// The short-key order object of the WS `open-order` reply.
pub fn short_json(st: &State, o: &Order) -> Value {
    let p = &st.eng.products[o.sym];
    let bb = st.eng.balance(&p.base);
    let qb = st.eng.balance(&p.quote);
    let f = |v: i128| dec::fmt(v, ASSET_SCALE);
    json!({
        "sn": o.seq, "orderId": o.order_id, "s": p.symbol, "ot": o.otype.name(), "t": o.last_exec_ms,
        "p": if o.otype == OrdType::Limit { p.fmt_px(o.price) } else { String::new() },
        "q": p.fmt_qty(o.qty), "sd": o.side.name(), "st": o.status.name(), "ap": o.avg_px(p),
        "cfq": p.fmt_qty(o.filled), "sp": "", "err": if o.err.is_empty() { "NULL_VAL" } else { o.err.as_str() },
        "btb": f(bb.total), "bab": f(bb.total - bb.locked), "qtb": f(qb.total), "qab": f(qb.total - qb.locked),
        "cf": f(o.cum_fee), "fa": o.fee_asset, "ei": o.exec_inst(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_rules() {
        assert!(valid_client_id("abc123456"));
        assert!(valid_client_id("a-b_c"));
        assert!(!valid_client_id("a"));
        assert!(!valid_client_id("-abc"));
        assert!(!valid_client_id("abc-"));
        assert!(!valid_client_id("x@fabs"));
        assert!(!valid_client_id(&"a".repeat(33)));
    }
}
