//! REST endpoints with the documented paths, prehash paths, envelopes and field names.

use crate::auth;
use crate::dec;
use crate::engine::{INTERVAL_MS, INTERVALS, Status};
use crate::http::{Request, Response};
use crate::market::ASSET_SCALE;
use crate::orders;
use crate::state::{Shared, State, bar_obj};
use serde_json::{Value, json};
use std::sync::Arc;

pub fn err_body(code: i64, reason: &str, message: &str) -> String {
    json!({"code": code, "message": message, "reason": reason}).to_string()
}

fn ok(data: Value) -> Response {
    Response::json(json!({"code": 0, "data": data}).to_string())
}

fn fail(code: i64, reason: &str, message: &str) -> Response {
    Response::json(err_body(code, reason, message))
}

fn hexval(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

pub fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hexval(b[i + 1]), hexval(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn query_param(q: &str, name: &str) -> Option<String> {
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (pct_decode(k) == name).then(|| pct_decode(v))
    })
}

/// Private endpoints: (method, path after the group, prehash path).
fn private_route(method: &str, tail: &str) -> Option<&'static str> {
    Some(match (method, tail) {
        ("GET", "api/pro/v1/cash/balance") => "balance",
        ("POST" | "DELETE", "api/pro/v1/cash/order") => "order",
        ("DELETE", "api/pro/v1/cash/order/all") => "order/all",
        ("POST" | "DELETE", "api/pro/v1/cash/order/batch") => "order/batch",
        ("GET", "api/pro/v1/cash/order/open") => "order/open",
        ("GET", "api/pro/v1/cash/order/status") => "order/status",
        ("GET", "api/pro/v1/cash/order/hist/current") => "order/hist/current",
        ("GET", "api/pro/v1/spot/fee") => "fee",
        ("GET", "api/pro/v1/spot/fee/info") => "fee",
        _ => return None,
    })
}

pub fn handle(shared: &Arc<Shared>, req: &Request) -> Response {
    let mut st = shared.lock();
    if st.strict_docs
        && let Err(why) = crate::strict::check_rest(req)
    {
        st.refused
            .push(crate::strict::refused(req, why.reason().to_string()));
        return crate::strict::refuse(req, why.status());
    }
    let path = req.path.trim_end_matches('/');
    let m = req.method.as_str();
    if let Some(r) = public(&mut st, m, path, req) {
        return r;
    }
    if let Some(r) = harness(&mut st, m, path, req) {
        return r;
    }
    // Ungrouped private endpoints.
    let ungrouped = match (m, path) {
        ("GET", "/api/pro/v1/info") => Some("info"),
        ("GET", "/api/pro/v2/account/info") => Some("v2/account/info"),
        ("GET", "/api/pro/data/v2/order/hist") => Some("data/v2/order/hist"),
        _ => None,
    };
    let (prehash, tail) = if let Some(p) = ungrouped {
        (p, path.trim_start_matches('/').to_string())
    } else {
        let trimmed = path.trim_start_matches('/');
        let Some((g, tail)) = trimmed.split_once('/') else {
            return not_found(req);
        };
        let Ok(g) = g.parse::<u32>() else {
            return not_found(req);
        };
        let Some(p) = private_route(m, tail) else {
            return not_found(req);
        };
        if g != st.acct.group {
            return fail(
                200006,
                "ACCOUNT_ERROR",
                &format!(
                    "Account group {g} does not belong to this API key (expected {})",
                    st.acct.group
                ),
            );
        }
        (p, tail.to_string())
    };
    let now = st.now_ms();
    let verify = |st: &State, path: &str| {
        auth::verify(
            &st.acct.key,
            &st.acct.secret,
            req.header("x-auth-key"),
            req.header("x-auth-timestamp"),
            req.header("x-auth-signature"),
            path,
            now,
        )
    };
    let (prehash, variant) = match verify(&st, prehash) {
        Ok(v) => (prehash, v),
        // The futures docs sign fee/info with `fee/info`; the spot docs (and the demo) use `fee`.
        Err(_)
            if !st.strict_docs
                && tail.ends_with("spot/fee/info")
                && verify(&st, "fee/info").is_ok() =>
        {
            st.record_variant("rest prehash fee/info for spot/fee/info");
            ("fee/info", verify(&st, "fee/info").unwrap_or("raw"))
        }
        Err(e) => return fail(e.code, e.reason, &e.message),
    };
    st.auth_variants.push(format!("rest:{prehash}:{variant}"));
    private(&mut st, m, &tail, req)
}

/// Removes fields the docs do not document (strict mode).
fn strip(v: &mut Value, keys: &[&str]) {
    if let Some(o) = v.as_object_mut() {
        for k in keys {
            o.remove(*k);
        }
    }
}

fn not_found(req: &Request) -> Response {
    Response::status(
        404,
        err_body(
            100001,
            "INVALID_HTTP_INPUT",
            &format!("No endpoint {} {}", req.method, req.path),
        ),
    )
}

fn ticker(st: &State, sym: usize) -> Value {
    let p = &st.eng.products[sym];
    let s = &st.eng.syms[sym];
    let hourly = 4; // index of "60"
    let (hist, cur) = &s.bars[hourly];
    let mut bars: Vec<_> = hist.iter().rev().take(23).rev().copied().collect();
    bars.push(*cur);
    let open = bars.first().map_or(s.last_px, |b| b.o);
    let high = bars.iter().map(|b| b.h).max().unwrap_or(s.last_px);
    let low = bars.iter().map(|b| b.l).min().unwrap_or(s.last_px);
    let vol: i64 = bars.iter().map(|b| b.v).sum();
    let (bid, ask) = st.eng.best(sym);
    let pair = |x: Option<(i64, i64)>| match x {
        Some((a, b)) => json!([p.fmt_px(a), p.fmt_qty(b)]),
        None => json!([]),
    };
    let mut v = json!({"symbol": p.symbol, "open": p.fmt_px(open), "close": p.fmt_px(s.last_px), "high": p.fmt_px(high), "low": p.fmt_px(low),
        "volume": p.fmt_qty(vol), "ask": pair(ask), "bid": pair(bid), "type": "spot"});
    if st.strict_docs {
        // `type` is not in the documented ticker (spot/_rest_pub_ticker.md).
        strip(&mut v, &["type"]);
    }
    v
}

fn public(st: &mut State, m: &str, path: &str, req: &Request) -> Option<Response> {
    if m != "GET" {
        return None;
    }
    let q = |k: &str| query_param(&req.query, k);
    let sym_arg = |st: &State| -> Result<usize, Response> {
        let s = q("symbol").unwrap_or_default();
        st.eng.sym_index(&s).ok_or_else(|| {
            fail(
                100008,
                "SYMBOL_ERROR",
                &format!("Symbol does not exist or not valid for the request: {s}"),
            )
        })
    };
    Some(match path {
        "/api/pro/v2/assets" => ok(Value::Array(st.assets.iter().map(|a| a.row_v2.clone()).collect())),
        "/api/pro/v1/assets" => ok(Value::Array(
            st.assets
                .iter()
                .map(|a| {
                    let r = &a.row_v2;
                    let bc = &r["blockChain"][0];
                    json!({"assetCode": r["assetCode"], "assetName": r["assetName"], "precisionScale": r["precisionScale"], "nativeScale": r["nativeScale"],
                        "withdrawalFee": bc["withdrawFee"], "minWithdrawalAmt": bc["minWithdrawal"], "status": "Normal"})
                })
                .collect(),
        )),
        "/api/pro/v1/products" => ok(Value::Array(st.eng.products.iter().map(|p| p.general_row()).collect())),
        "/api/pro/v1/cash/products" | "/api/pro/v1/margin/products" => ok(Value::Array(st.eng.products.iter().map(|p| p.info.clone()).collect())),
        "/api/pro/v2/futures/contract" | "/api/pro/v2/futures/collateral" => ok(json!([])),
        "/api/pro/v1/ticker" | "/api/pro/v1/spot/ticker" => {
            let arg = q("symbol").unwrap_or_default();
            if arg.is_empty() {
                return Some(ok(Value::Array((0..st.eng.products.len()).map(|i| ticker(st, i)).collect())));
            }
            let list = arg.contains(',');
            let mut out = Vec::new();
            for s in arg.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match st.eng.sym_index(s) {
                    Some(i) => out.push(ticker(st, i)),
                    None => return Some(fail(100008, "SYMBOL_ERROR", &format!("Symbol does not exist or not valid for the request: {s}"))),
                }
            }
            if list {
                ok(Value::Array(out))
            } else {
                ok(out.pop().unwrap_or(Value::Null))
            }
        }
        "/api/pro/v1/depth" => match sym_arg(st) {
            Ok(i) => {
                let body = st.snapshot_reply("depth-snapshot", i, 500, "REST");
                Response::json(format!("{{\"code\":0,\"data\":{body}}}"))
            }
            Err(r) => r,
        },
        "/api/pro/v1/trades" => match sym_arg(st) {
            Ok(i) => {
                let n = q("n").and_then(|s| s.parse::<usize>().ok()).unwrap_or(20).clamp(1, 100);
                let p = &st.eng.products[i];
                let data: Vec<Value> = st.eng.syms[i].trades.iter().rev().take(n).rev().map(|t| json!({"seqnum": t.seqnum, "p": p.fmt_px(t.px), "q": p.fmt_qty(t.qty), "ts": t.ts, "bm": t.bm})).collect();
                ok(json!({"m": "trades", "symbol": p.symbol, "data": data}))
            }
            Err(r) => r,
        },
        "/api/pro/v1/barhist/info" => ok(Value::Array(INTERVALS.iter().zip(INTERVAL_MS).map(|(n, ms)| json!({"name": n, "intervalInMillis": ms})).collect())),
        "/api/pro/v1/barhist" => match sym_arg(st) {
            Ok(i) => barhist(st, i, req),
            Err(r) => r,
        },
        "/api/pro/v1/exchange-info" => {
            let now = st.now_ms();
            let echo = q("requestTime").and_then(|s| s.parse::<u64>().ok()).unwrap_or(now);
            ok(json!({"requestTimeEcho": echo, "requestReceiveAt": now, "latency": (i128::from(now) - i128::from(echo)).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64}))
        }
        "/api/pro/v2/risk-limit-info" | "/api/pro/v1/risk-limit-info" => {
            let ip = q("ip").unwrap_or_else(|| req.ip.to_string());
            let now = st.now_ms();
            let until = ip.parse().ok().and_then(|a| st.bans.get(&a).copied()).filter(|u| *u > now);
            let l = &st.limits;
            ok(json!({"ip": ip, "webSocket": {
                "status": {"isBanned": until.is_some(), "bannedUntil": until.map_or(-1, |u| u as i64), "violationCode": if until.is_some() { 100005 } else { 0 }, "reason": if until.is_some() { "message threshold level 2" } else { "" }},
                "limits": {"maxWebSocketSessionsPerIpAccountGroup": 20, "maxWebSocketSessionsPerIpTotal": 300},
                "messageThreshold": {
                    "level1OpThreshold": {"auth": l.admin.0, "ping": l.admin.0, "pong": l.admin.0, "sub": l.stream.0, "unsub": l.stream.0, "req": l.req.0},
                    "level2OpThreshold": {"auth": l.admin.1, "ping": l.admin.1, "pong": l.admin.1, "sub": l.stream.1, "unsub": l.stream.1, "req": l.req.1},
                    "level1ReqThreshold": {"place_order": l.order.0, "cancel_order": l.order.0, "cancel_all": l.order.0, "batch_place_order": l.req.0, "batch_cancel_order": l.req.0,
                        "depth_snapshot": l.snapshot.0, "depth_snapshot_top100": l.snapshot.0, "market_trades": l.req.0, "balance": l.req.0, "open_order": l.req.0, "margin_risk": l.req.0,
                        "futures_account_snapshot": l.req.0, "futures_open_orders": l.req.0},
                    "level2ReqThreshold": {"place_order": l.order.1, "cancel_order": l.order.1, "cancel_all": l.order.1, "batch_place_order": l.req.1, "batch_cancel_order": l.req.1,
                        "depth_snapshot": l.snapshot.1, "depth_snapshot_top100": l.snapshot.1, "market_trades": l.req.1, "balance": l.req.1, "open_order": l.req.1, "margin_risk": l.req.1,
                        "futures_account_snapshot": l.req.1, "futures_open_orders": l.req.1}
                }}}))
        }
        _ => return None,
    })
}

fn barhist(st: &State, sym: usize, req: &Request) -> Response {
    let q = |k: &str| query_param(&req.query, k);
    let iv = q("interval").unwrap_or_default();
    let Some(i) = INTERVALS.iter().position(|x| *x == iv) else {
        return fail(
            100006,
            "INVALID_ARGUMENT",
            &format!(
                "Invalid interval {iv}: expected one of {}",
                INTERVALS.join(" ")
            ),
        );
    };
    let now = st.now_ms();
    let to = q("to").and_then(|s| s.parse::<u64>().ok()).unwrap_or(now);
    let from = q("from").and_then(|s| s.parse::<u64>().ok());
    let n = q("n").and_then(|s| s.parse::<usize>().ok());
    let p = &st.eng.products[sym];
    let (hist, cur) = &st.eng.syms[sym].bars[i];
    let mut all: Vec<_> = hist.iter().copied().collect();
    all.push(*cur);
    let mut sel: Vec<_> = all
        .into_iter()
        .filter(|b| b.ts <= to && from.is_none_or(|f| b.ts >= f))
        .collect();
    let cap = match (from, n) {
        (Some(_), Some(n)) => n.min(500),
        (Some(_), None) => 500,
        (None, n) => n.unwrap_or(10).min(500),
    };
    if sel.len() > cap {
        sel.drain(..sel.len() - cap);
    }
    // Newest first, as in the documented example.
    let data: Vec<Value> = sel
        .iter()
        .rev()
        .map(|b| serde_json::from_str(&bar_obj(p, i, b, false)).unwrap_or(Value::Null))
        .collect();
    ok(Value::Array(data))
}

fn harness(st: &mut State, m: &str, path: &str, req: &Request) -> Option<Response> {
    match (m, path) {
        ("GET", "/_sim/state") => {
            let balances: Vec<Value> = st.eng.balances.iter().map(|(a, b)| json!({"asset": a, "total": dec::fmt(b.total, ASSET_SCALE), "available": dec::fmt(b.total - b.locked, ASSET_SCALE)})).collect();
            let orders: Vec<Value> = st
                .eng
                .orders
                .iter()
                .map(|o| orders::order_json(st, o))
                .collect();
            let mut books = serde_json::Map::new();
            for (i, p) in st.eng.products.iter().enumerate() {
                let (bids, asks) = st.eng.levels(i, 500);
                let f = |v: Vec<(i64, i64)>| {
                    v.into_iter()
                        .map(|(a, b)| json!([p.fmt_px(a), p.fmt_qty(b)]))
                        .collect::<Vec<_>>()
                };
                books.insert(
                    p.symbol.clone(),
                    json!({"seqnum": st.eng.syms[i].seqnum, "bids": f(bids), "asks": f(asks)}),
                );
            }
            Some(ok(
                json!({"balances": balances, "orders": orders, "books": books, "accountGroup": st.acct.group, "userUID": st.acct.uid,
                "accountId": st.acct.cash_id, "authVariants": st.auth_variants, "docVariants": st.doc_variants.iter().collect::<Vec<_>>(),
                "faultLog": st.faults.log.iter().map(|r| json!({"atMs": r.at_ms, "kind": r.kind, "symbol": r.symbol, "seqnum": r.seqnum, "detail": r.detail})).collect::<Vec<_>>()}),
            ))
        }
        ("POST", "/_sim/pause") => {
            st.paused = true;
            Some(ok(json!({})))
        }
        ("POST", "/_sim/resume") => {
            st.paused = false;
            Some(ok(json!({})))
        }
        ("POST", "/_sim/inject") => {
            let spec = String::from_utf8_lossy(&req.body).into_owned();
            Some(match crate::inject_locked(st, &spec) {
                Ok(()) => ok(json!({})),
                Err(e) => fail(100006, "INVALID_ARGUMENT", &e.to_string()),
            })
        }
        _ => None,
    }
}

fn body_json(req: &Request) -> Result<Value, Response> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(fail(
            150001,
            "INVALID_JSON_FORMAT",
            "Require a valid json object",
        )),
    }
}

fn order_err(
    st: &State,
    action: &str,
    code: i64,
    reason: &str,
    message: &str,
    info: Value,
) -> Response {
    Response::json(json!({"code": code, "ac": "CASH", "accountId": st.acct.cash_id, "action": action, "info": info, "message": message, "reason": reason, "status": "Err"}).to_string())
}

fn private(st: &mut State, m: &str, tail: &str, req: &Request) -> Response {
    let q = |k: &str| query_param(&req.query, k);
    let now = st.now_ms();
    match (m, tail) {
        ("GET", "api/pro/v1/info") | ("GET", "api/pro/v2/account/info") => ok(json!({
            "accountGroup": st.acct.group, "email": "sim@example.com", "expireTime": -1, "allowedIps": [],
            "cashAccount": [st.acct.cash_id], "marginAccount": [st.acct.margin_id], "futuresAccount": [],
            "userUID": st.acct.uid, "tradePermission": true, "transferPermission": true, "viewPermission": true
        })),
        ("GET", "api/pro/v1/cash/balance") => {
            let asset = q("asset");
            let show_all = q("showAll").is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let mut data = Vec::new();
            let mut codes: Vec<String> = st.eng.balances.keys().cloned().collect();
            if show_all {
                for a in &st.assets {
                    if !codes.contains(&a.code) {
                        codes.push(a.code.clone());
                    }
                }
            }
            for a in codes {
                if asset.as_ref().is_some_and(|x| *x != a) {
                    continue;
                }
                let b = st.eng.balance(&a);
                if b.total == 0 && !show_all && asset.is_none() {
                    continue;
                }
                data.push(json!({"asset": a, "totalBalance": dec::fmt(b.total, ASSET_SCALE), "availableBalance": dec::fmt(b.total - b.locked, ASSET_SCALE)}));
            }
            Response::json(json!({"code": 0, "accountId": st.acct.cash_id, "accountCategory": "CASH", "data": data}).to_string())
        }
        ("GET", "api/pro/v1/spot/fee") => {
            let (mk, tk) = (
                dec::fmt(st.eng.maker_fee.0, st.eng.maker_fee.1),
                dec::fmt(st.eng.taker_fee.0, st.eng.taker_fee.1),
            );
            let rows: Vec<Value> = st
                .eng
                .products
                .iter()
                .map(|p| json!({"fee": {"maker": mk, "taker": tk}, "symbol": p.symbol}))
                .collect();
            let mut v = json!({"domain": "spot", "userUID": st.acct.uid, "vipLevel": 0, "productFee": rows.clone(), "fees": rows});
            if st.strict_docs {
                // `fees` is what ccxt reads; spot/_rest_act_fee.md documents `productFee` only.
                strip(&mut v, &["fees"]);
            }
            ok(v)
        }
        ("GET", "api/pro/v1/spot/fee/info") => {
            let (mk, tk) = (
                dec::fmt(st.eng.maker_fee.0, st.eng.maker_fee.1),
                dec::fmt(st.eng.taker_fee.0, st.eng.taker_fee.1),
            );
            ok(
                json!({"domain": "spot", "userUID": st.acct.uid, "vipLevel": 0, "genericFee": {"largeCap": {"maker": mk, "taker": tk}, "smallCap": {"maker": mk, "taker": tk}}}),
            )
        }
        ("POST", "api/pro/v1/cash/order") => {
            let body = match body_json(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            place_one(st, &body)
        }
        ("DELETE", "api/pro/v1/cash/order") => {
            let mut body = match body_json(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            if body.as_object().is_some_and(|o| o.is_empty()) && !req.query.is_empty() {
                st.record_variant("rest cancel: parameters in the query string");
                let mut o = serde_json::Map::new();
                for k in ["orderId", "symbol", "time", "id"] {
                    if let Some(v) = q(k) {
                        o.insert(k.to_string(), Value::String(v));
                    }
                }
                body = Value::Object(o);
            }
            cancel_one(st, &body, now)
        }
        ("DELETE", "api/pro/v1/cash/order/all") => {
            let body = body_json(req).unwrap_or(json!({}));
            let symbol = orders::field_str(&body, "symbol")
                .or_else(|| q("symbol"))
                .unwrap_or_default();
            let sym = if symbol.is_empty() {
                None
            } else {
                st.eng.sym_index(&symbol)
            };
            if !symbol.is_empty() && sym.is_none() {
                return fail(
                    100008,
                    "SYMBOL_ERROR",
                    &format!("Symbol does not exist or not valid for the request: {symbol}"),
                );
            }
            let evs = st.eng.cancel_all(sym, now);
            st.publish(evs);
            let id = orders::field_str(&body, "id").unwrap_or_default();
            ok(
                json!({"ac": "CASH", "accountId": st.acct.cash_id, "action": "cancel-all", "status": "Ack",
                "info": {"id": id, "orderId": "", "orderType": "NULL_VAL", "symbol": symbol, "timestamp": now}}),
            )
        }
        ("POST", "api/pro/v1/cash/order/batch") => {
            let body = match body_json(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            batch_place(st, &body, now)
        }
        ("DELETE", "api/pro/v1/cash/order/batch") => {
            let body = match body_json(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            batch_cancel(st, &body, now)
        }
        ("GET", "api/pro/v1/cash/order/open") => {
            let sym = q("symbol").filter(|s| !s.is_empty());
            let data: Vec<Value> = st
                .eng
                .orders
                .iter()
                .filter(|o| {
                    o.status.is_open()
                        && sym
                            .as_ref()
                            .is_none_or(|s| *s == st.eng.products[o.sym].symbol)
                })
                .map(|o| orders::order_json(st, o))
                .collect();
            Response::json(
                json!({"ac": "CASH", "accountId": st.acct.cash_id, "code": 0, "data": data})
                    .to_string(),
            )
        }
        ("GET", "api/pro/v1/cash/order/status") => {
            let ids = q("orderId").unwrap_or_default();
            let list = ids.contains(',');
            let found: Vec<Value> = ids
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .filter_map(|id| st.eng.order_by_id(id).map(|o| orders::order_json(st, o)))
                .collect();
            if !list {
                return match found.into_iter().next() {
                    Some(o) => Response::json(json!({"code": 0, "accountCategory": "CASH", "accountId": st.acct.cash_id, "data": o}).to_string()),
                    None => fail(300006, "INVALID_ORDER_ID", &format!("Order not found: {ids}")),
                };
            }
            Response::json(json!({"code": 0, "accountCategory": "CASH", "accountId": st.acct.cash_id, "data": found}).to_string())
        }
        ("GET", "api/pro/v1/cash/order/hist/current") => {
            let n = q("n").and_then(|s| s.parse::<usize>().ok()).unwrap_or(10);
            let sym = q("symbol").filter(|s| !s.is_empty());
            let executed = q("executedOnly").is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let data: Vec<Value> = st
                .eng
                .orders
                .iter()
                .rev()
                .filter(|o| {
                    !o.status.is_open()
                        && sym
                            .as_ref()
                            .is_none_or(|s| *s == st.eng.products[o.sym].symbol)
                        && (!executed || o.filled > 0)
                })
                .take(n)
                .map(|o| orders::order_json(st, o))
                .collect();
            Response::json(
                json!({"ac": "CASH", "accountId": st.acct.cash_id, "code": 0, "data": data})
                    .to_string(),
            )
        }
        ("GET", "api/pro/data/v2/order/hist") => {
            let account = q("account").unwrap_or_default();
            if !account.eq_ignore_ascii_case("cash") && account != st.acct.cash_id {
                return fail(
                    100004,
                    "INVALID_REQUEST_DATA",
                    "account must be cash or the cash account id",
                );
            }
            let sym = q("symbol").filter(|s| !s.is_empty());
            let start = q("startTime").and_then(|s| s.parse::<u64>().ok());
            let end = q("endTime").and_then(|s| s.parse::<u64>().ok());
            let seq = q("seqNum").and_then(|s| s.parse::<u64>().ok());
            let limit = q("limit")
                .and_then(|s| s.parse::<usize>().ok())
                .unwrap_or(500)
                .clamp(1, 1000);
            let mut sel: Vec<&crate::engine::Order> = st
                .eng
                .orders
                .iter()
                .filter(|o| {
                    !o.status.is_open()
                        && sym
                            .as_ref()
                            .is_none_or(|s| *s == st.eng.products[o.sym].symbol)
                        && start.is_none_or(|t| o.create_ms >= t)
                        && end.is_none_or(|t| o.create_ms <= t)
                        && seq.is_none_or(|n| o.seq >= n)
                })
                .collect();
            sel.sort_by_key(|o| o.seq);
            if start.is_none() && seq.is_none() {
                sel.reverse();
            }
            let data: Vec<Value> = sel
                .into_iter()
                .take(limit)
                .map(|o| orders::hist_json(st, o))
                .collect();
            ok(Value::Array(data))
        }
        _ => Response::status(
            404,
            err_body(
                100001,
                "INVALID_HTTP_INPUT",
                &format!("No endpoint {} {}", req.method, req.path),
            ),
        ),
    }
}

/// The DONE reply once the order is no longer New (filled, partially filled, canceled or rejected).
pub fn done_body(st: &State, order_id: &str) -> Option<String> {
    let o = st.eng.order_by_id(order_id)?;
    if matches!(o.status, Status::New) {
        return None;
    }
    let data = json!({"ac": "CASH", "accountId": st.acct.cash_id, "action": "place-order", "info": orders::order_json(st, o), "status": "DONE"});
    Some(json!({"code": 0, "data": data}).to_string())
}

fn place_one(st: &mut State, body: &Value) -> Response {
    let resp_inst = orders::field_str(body, "respInst")
        .unwrap_or_else(|| "ACK".into())
        .to_ascii_uppercase();
    match orders::place(st, body, false) {
        Ok(pl) => {
            let o = st.eng.orders[pl.idx].clone();
            let p = &st.eng.products[o.sym];
            let data = match resp_inst.as_str() {
                "ACCEPT" => {
                    json!({"ac": "CASH", "accountId": st.acct.cash_id, "action": "place-order", "info": orders::order_json(st, &o), "status": "ACCEPT"})
                }
                "DONE" if !matches!(o.status, Status::New) => {
                    json!({"ac": "CASH", "accountId": st.acct.cash_id, "action": "place-order", "info": orders::order_json(st, &o), "status": "DONE"})
                }
                _ => {
                    json!({"ac": "CASH", "accountId": st.acct.cash_id, "action": "place-order", "status": "Ack",
                    "info": {"id": o.client_id, "orderId": pl.order_id, "orderType": o.otype.name(), "symbol": p.symbol, "timestamp": o.create_ms}})
                }
            };
            st.publish(pl.evs);
            let mut r = ok(data);
            if resp_inst == "DONE" && matches!(o.status, Status::New) {
                r.done_wait = Some(pl.order_id);
            }
            r
        }
        Err(e) => {
            let info = json!({"id": orders::field_str(body, "id").unwrap_or_default(), "symbol": orders::field_str(body, "symbol").unwrap_or_default()});
            order_err(st, "place-order", e.code, e.reason, &e.message, info)
        }
    }
}

fn cancel_one(st: &mut State, body: &Value, now: u64) -> Response {
    let cid = orders::field_str(body, "id").unwrap_or_default();
    let order_id = match orders::field_str(body, "orderId") {
        Some(o) => o,
        None => {
            let o = orders::field_str(body, "origCoid").unwrap_or_default();
            if !o.is_empty() {
                st.record_variant("cancel: old origCoid field instead of orderId (demo)");
            }
            o
        }
    };
    let symbol = orders::field_str(body, "symbol").unwrap_or_default();
    let info_err = json!({"id": cid, "symbol": symbol, "orderId": order_id});
    if !cid.is_empty() && !orders::valid_client_id(&cid) {
        return order_err(
            st,
            "cancel-order",
            300006,
            "INVALID_ORDER_ID",
            &format!("Invalid Client Order Id: {cid}"),
            info_err,
        );
    }
    if order_id.is_empty() {
        return order_err(
            st,
            "cancel-order",
            300006,
            "INVALID_ORDER_ID",
            "Missing orderId",
            info_err,
        );
    }
    let time = match orders::field_str(body, "time").map(|t| t.parse::<u64>()) {
        Some(Ok(t)) if (i128::from(t) - i128::from(now)).abs() <= i128::from(auth::WINDOW_MS) => t,
        Some(_) => {
            return order_err(
                st,
                "cancel-order",
                100011,
                "INVALID_TIMESTAMP",
                "Request time is more than 30 seconds away from server time",
                info_err,
            );
        }
        None => {
            st.record_variant("rest cancel without time");
            now
        }
    };
    let cancel_id = orders::make_order_id(st, false, time, &cid);
    match st.eng.cancel(&order_id, &cancel_id, now) {
        Ok(evs) => {
            st.publish(evs);
            ok(
                json!({"accountId": st.acct.cash_id, "ac": "CASH", "action": "cancel-order", "status": "Ack",
                "info": {"id": cid, "orderId": order_id, "orderType": "", "symbol": symbol, "timestamp": now}}),
            )
        }
        Err((e, text, evs)) => {
            st.publish(evs);
            let info = json!({"id": cid, "symbol": symbol, "orderId": order_id, "errorCode": text});
            order_err(st, "cancel-order", e.code, e.reason, &e.message, info)
        }
    }
}

fn batch_place(st: &mut State, body: &Value, now: u64) -> Response {
    let Some(list) = body.get("orders").and_then(Value::as_array).cloned() else {
        return fail(100004, "INVALID_REQUEST_DATA", "Missing orders list");
    };
    if list.is_empty() || list.len() > 10 {
        return order_err(
            st,
            "batch-place-order",
            300013,
            "INVALID_BATCH_ORDER",
            "A batch holds 1 to 10 orders",
            json!([]),
        );
    }
    // Basic checks on every order first: one bad order fails the whole batch.
    let mut infos = Vec::new();
    let mut bad = false;
    for o in &list {
        let r = orders::check_static(st, o);
        let id = orders::field_str(o, "id").unwrap_or_default();
        let symbol = orders::field_str(o, "symbol").unwrap_or_default();
        match r {
            Ok(()) => infos.push(json!({"code": 300013, "id": id, "message": "Some invalid order in this batch.", "reason": "INVALID_BATCH_ORDER", "symbol": symbol})),
            Err(e) => {
                bad = true;
                infos.push(json!({"code": e.code, "id": id, "message": e.message, "reason": e.reason, "symbol": symbol}));
            }
        }
    }
    if bad {
        return order_err(
            st,
            "batch-place-order",
            300013,
            "INVALID_BATCH_ORDER",
            "Batch Order failed, please check each order info for detail.",
            Value::Array(infos),
        );
    }
    let mut acks = Vec::new();
    let mut all_evs = Vec::new();
    for o in &list {
        let id = orders::field_str(o, "id").unwrap_or_default();
        let symbol = orders::field_str(o, "symbol").unwrap_or_default();
        match orders::place(st, o, false) {
            Ok(pl) => {
                let ot = st.eng.orders[pl.idx].otype.name();
                acks.push(json!({"id": id, "orderId": pl.order_id, "orderType": ot, "symbol": symbol, "timestamp": now}));
                all_evs.extend(pl.evs);
            }
            Err(e) => {
                // Passed the basic checks but the engine refused it (funds): it is recorded as Rejected.
                let (oid, evs) = orders::record_rejected(st, o, &e, now);
                acks.push(json!({"id": id, "orderId": oid, "orderType": orders::field_str(o, "orderType").unwrap_or_default(), "symbol": symbol, "timestamp": now}));
                all_evs.extend(evs);
            }
        }
    }
    st.publish(all_evs);
    ok(
        json!({"ac": "CASH", "accountId": st.acct.cash_id, "action": "batch-place-order", "info": acks, "status": "Ack"}),
    )
}

fn batch_cancel(st: &mut State, body: &Value, now: u64) -> Response {
    let Some(list) = body.get("orders").and_then(Value::as_array).cloned() else {
        return fail(100004, "INVALID_REQUEST_DATA", "Missing orders list");
    };
    if list.is_empty() || list.len() > 10 {
        return order_err(
            st,
            "batch-cancel-order",
            300013,
            "INVALID_BATCH_ORDER",
            "A batch holds 1 to 10 orders",
            json!([]),
        );
    }
    let mut infos = Vec::new();
    let mut bad = false;
    for o in &list {
        let id = orders::field_str(o, "id").unwrap_or_default();
        let oid = orders::field_str(o, "orderId").unwrap_or_default();
        let open = st.eng.order_by_id(&oid).is_some_and(|x| x.status.is_open());
        if open && (id.is_empty() || orders::valid_client_id(&id)) {
            infos.push(json!({"code": 0, "id": id, "orderId": oid, "message": "", "reason": "", "symbol": orders::field_str(o, "symbol").unwrap_or_default()}));
        } else {
            bad = true;
            infos.push(json!({"code": 300006, "id": id, "orderId": oid, "message": "The order is already filled or canceled.", "reason": "INVALID_ORDER_ID", "symbol": ""}));
        }
    }
    if bad {
        return order_err(
            st,
            "batch-cancel-order",
            300013,
            "INVALID_BATCH_ORDER",
            "Batch Order failed, please check each order info for detail.",
            Value::Array(infos),
        );
    }
    let mut acks = Vec::new();
    for o in &list {
        let id = orders::field_str(o, "id").unwrap_or_default();
        let oid = orders::field_str(o, "orderId").unwrap_or_default();
        let time = orders::field_str(o, "time")
            .and_then(|t| t.parse().ok())
            .unwrap_or(now);
        let cancel_id = orders::make_order_id(st, false, time, &id);
        if let Ok(evs) = st.eng.cancel(&oid, &cancel_id, now) {
            st.publish(evs);
        }
        acks.push(json!({"id": id, "orderId": oid, "orderType": "NULL_VAL", "symbol": orders::field_str(o, "symbol").unwrap_or_default(), "timestamp": now}));
    }
    ok(
        json!({"ac": "CASH", "accountId": st.acct.cash_id, "action": "batch-cancel-order", "status": "Ack", "info": acks}),
    )
}
