//! Strict-docs mode (`SimConfig::strict_docs`, `--strict-docs`): the simulator serves only the requests the exchange's
//! documentation (`/work/shared/ascendex-api/`) describes — exact path, method, parameter names, required
//! parameters — and answers anything else `404` with a plain-text body, as a real gateway does.
//!
//! Why: the lenient default mode serves whatever our client asks for (harness endpoints, undocumented aliases, the
//! demo's and ccxt's field names), which hid a client request that a server written only from the docs refused.
//! Every refusal is logged (`SimHandle::refused_requests()`) so a test can name the request that went beyond the
//! docs. Where the docs contradict themselves, every documented variant is accepted (listed in the README).

use crate::http::{Request, Response};
use serde_json::Value;

/// One request the strict mode refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedRequest {
    /// `GET`, `POST`, ... (`WS` for a refused WebSocket message, `GET` for a refused upgrade).
    pub method: String,
    /// Path and query as received (for a WS message: the message text, cut to 200 bytes).
    pub target: String,
    /// What the docs say instead, naming the doc file when there is one.
    pub reason: String,
}

/// How the body of a documented endpoint looks.
#[derive(Clone, Copy)]
enum Body {
    /// GET: no body.
    Empty,
    /// A JSON object with these fields (`required` ones must be present).
    Fields {
        allowed: &'static [&'static str],
        required: &'static [&'static str],
    },
    /// `{"orders":[...]}` of 1 to 10 objects, each with these fields.
    Batch {
        allowed: &'static [&'static str],
        required: &'static [&'static str],
    },
}

struct Endpoint {
    method: &'static str,
    /// The path after the account group when `grouped`, else the whole path.
    path: &'static str,
    grouped: bool,
    query: &'static [&'static str],
    required_query: &'static [&'static str],
    body: Body,
    doc: &'static str,
}

const PLACE_FIELDS: &[&str] = &[
    "symbol",
    "time",
    "orderQty",
    "orderType",
    "side",
    "id",
    "orderPrice",
    "stopPrice",
    "postOnly",
    "timeInForce",
    "respInst",
];
const PLACE_REQUIRED: &[&str] = &["symbol", "time", "orderQty", "orderType", "side"];
const CANCEL_FIELDS: &[&str] = &["id", "orderId", "symbol", "time"];
const CANCEL_REQUIRED: &[&str] = &["orderId", "symbol", "time"];

const fn public(path: &'static str, query: &'static [&'static str], doc: &'static str) -> Endpoint {
    Endpoint {
        method: "GET",
        path,
        grouped: false,
        query,
        required_query: &[],
        body: Body::Empty,
        doc,
    }
}

const fn get(
    path: &'static str,
    grouped: bool,
    query: &'static [&'static str],
    doc: &'static str,
) -> Endpoint {
    Endpoint {
        method: "GET",
        path,
        grouped,
        query,
        required_query: &[],
        body: Body::Empty,
        doc,
    }
}

/// The documented endpoints the simulator implements (spot cash; `margin` and futures paths it does not simulate
/// are refused like undocumented ones, with a reason that says so).
const ENDPOINTS: &[Endpoint] = &[
    public("/api/pro/v2/assets", &[], "spot/_rest_pub_assets.md"),
    public(
        "/api/pro/v1/cash/products",
        &[],
        "spot/_rest_pub_products.md",
    ),
    public(
        "/api/pro/v1/margin/products",
        &[],
        "spot/_rest_pub_products.md",
    ),
    public(
        "/api/pro/v2/futures/contract",
        &[],
        "futures/_rest_pub_general_futures_products.md",
    ),
    public(
        "/api/pro/v2/futures/collateral",
        &[],
        "futures/_rest_pub_general_futures_products.md",
    ),
    public(
        "/api/pro/v1/spot/ticker",
        &["symbol"],
        "spot/_rest_pub_ticker.md",
    ),
    // The release notes (spot/index.html.md) keep the old ticker path "available but will be removed".
    public(
        "/api/pro/v1/ticker",
        &["symbol"],
        "spot/index.html.md (release notes)",
    ),
    Endpoint {
        required_query: &["symbol"],
        ..public("/api/pro/v1/depth", &["symbol"], "spot/_rest_pub_depth.md")
    },
    Endpoint {
        required_query: &["symbol"],
        ..public(
            "/api/pro/v1/trades",
            &["symbol", "n"],
            "spot/_rest_pub_trades.md",
        )
    },
    public("/api/pro/v1/barhist/info", &[], "spot/_rest_pub_bar.md"),
    Endpoint {
        required_query: &["symbol", "interval"],
        ..public(
            "/api/pro/v1/barhist",
            &["symbol", "interval", "to", "from", "n"],
            "spot/_rest_pub_bar.md",
        )
    },
    Endpoint {
        required_query: &["requestTime"],
        ..public(
            "/api/pro/v1/exchange-info",
            &["requestTime"],
            "spot/_rest_exchange_info.md",
        )
    },
    public(
        "/api/pro/v2/risk-limit-info",
        &["ip"],
        "spot/_rest_risk_limit_info_v2.md",
    ),
    public(
        "/api/pro/v1/risk-limit-info",
        &["ip"],
        "spot/_rest_risk_limit_info.md (deprecated)",
    ),
    get("/api/pro/v1/info", false, &[], "spot/_rest_act_info.md"),
    get(
        "/api/pro/v2/account/info",
        false,
        &[],
        "futures/_rest_prv_account_info.md",
    ),
    Endpoint {
        required_query: &["account"],
        ..get(
            "/api/pro/data/v2/order/hist",
            false,
            &[
                "account",
                "symbol",
                "startTime",
                "endTime",
                "seqNum",
                "limit",
            ],
            "spot/_rest_prv_order_hist_v2.md",
        )
    },
    get(
        "api/pro/v1/cash/balance",
        true,
        &["asset", "showAll"],
        "spot/_rest_prv_bal.md",
    ),
    get("api/pro/v1/spot/fee", true, &[], "spot/_rest_act_fee.md"),
    get(
        "api/pro/v1/spot/fee/info",
        true,
        &[],
        "spot/_rest_act_fee.md",
    ),
    get(
        "api/pro/v1/cash/order/open",
        true,
        &["symbol"],
        "spot/_rest_prv_order_open.md",
    ),
    get(
        "api/pro/v1/cash/order/status",
        true,
        &["orderId"],
        "spot/_rest_prv_order_query.md",
    ),
    get(
        "api/pro/v1/cash/order/hist/current",
        true,
        &["n", "symbol", "executedOnly"],
        "spot/_rest_prv_order_hist_curr.md",
    ),
    Endpoint {
        method: "POST",
        path: "api/pro/v1/cash/order",
        grouped: true,
        query: &[],
        required_query: &[],
        body: Body::Fields {
            allowed: PLACE_FIELDS,
            required: PLACE_REQUIRED,
        },
        doc: "spot/_rest_prv_order_new.md",
    },
    Endpoint {
        method: "DELETE",
        path: "api/pro/v1/cash/order",
        grouped: true,
        query: &[],
        required_query: &[],
        body: Body::Fields {
            allowed: CANCEL_FIELDS,
            required: CANCEL_REQUIRED,
        },
        doc: "spot/_rest_prv_order_cancel.md",
    },
    Endpoint {
        method: "DELETE",
        path: "api/pro/v1/cash/order/all",
        grouped: true,
        query: &[],
        required_query: &[],
        // The parameter table has `symbol` only; the response schema says `info.id` "echo back the `id` in
        // request", and the same action over WS (spot/_ws_req_order_cancel_all.md) says "provide *time* value in
        // *args*", as every other order request does: `id` and `time` are documented variants.
        body: Body::Fields {
            allowed: &["symbol", "id", "time"],
            required: &[],
        },
        doc: "spot/_rest_prv_order_cancel_all.md",
    },
    Endpoint {
        method: "POST",
        path: "api/pro/v1/cash/order/batch",
        grouped: true,
        query: &[],
        required_query: &[],
        body: Body::Batch {
            allowed: PLACE_FIELDS,
            required: PLACE_REQUIRED,
        },
        doc: "spot/_rest_prv_order_new_batch.md",
    },
    Endpoint {
        method: "DELETE",
        path: "api/pro/v1/cash/order/batch",
        grouped: true,
        query: &[],
        required_query: &[],
        body: Body::Batch {
            allowed: CANCEL_FIELDS,
            required: CANCEL_REQUIRED,
        },
        doc: "spot/_rest_prv_order_cancel_batch.md",
    },
];

/// Splits `/<digits>/tail` into the tail; `None` when the first segment is not an account group.
fn group_tail(path: &str) -> Option<&str> {
    let rest = path.strip_prefix('/')?;
    let (g, tail) = rest.split_once('/')?;
    (!g.is_empty() && g.bytes().all(|b| b.is_ascii_digit())).then_some(tail)
}

fn doc_paths_for(path: &str) -> Vec<&'static Endpoint> {
    let tail = group_tail(path);
    ENDPOINTS
        .iter()
        .filter(|e| {
            if e.grouped {
                tail == Some(e.path)
            } else {
                path == e.path
            }
        })
        .collect()
}

/// Why strict mode refused a REST request.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not a documented endpoint, method or parameter: `404`.
    NotDocumented(String),
    /// A documented endpoint, but the request itself is malformed for it (a body without exactly one
    /// `Content-Type: application/json`, spot/_rest_auth.md / README §3): `400`, as a strict HTTP server answers.
    BadRequest(String),
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::NotDocumented(_) => 404,
            Refusal::BadRequest(_) => 400,
        }
    }
    pub fn reason(&self) -> &str {
        match self {
            Refusal::NotDocumented(r) | Refusal::BadRequest(r) => r,
        }
    }
}

/// Checks a REST request against the documented endpoints.
pub fn check_rest(req: &Request) -> Result<(), Refusal> {
    check_endpoint(req).map_err(Refusal::NotDocumented)?;
    check_content_type(req).map_err(Refusal::BadRequest)
}

/// A body goes with exactly one `Content-Type: application/json` (a repeated singleton header is a malformed
/// message, RFC 9110 §5.3, which strict servers such as llhttp refuse).
fn check_content_type(req: &Request) -> Result<(), String> {
    if req.body.is_empty() {
        return Ok(());
    }
    let cts: Vec<&str> = req
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.as_str())
        .collect();
    let json = |ct: &str| {
        ct.split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
    };
    match cts.as_slice() {
        [ct] if json(ct) => Ok(()),
        [] => Err(format!(
            "{} {}: a body without Content-Type (the docs send Content-Type: application/json)",
            req.method, req.path
        )),
        [ct] => Err(format!(
            "{} {}: Content-Type {ct:?} (the docs send application/json)",
            req.method, req.path
        )),
        many => Err(format!(
            "{} {}: Content-Type sent {} times ({}); a singleton header must appear once",
            req.method,
            req.path,
            many.len(),
            many.join(" | ")
        )),
    }
}

fn check_endpoint(req: &Request) -> Result<(), String> {
    let candidates = doc_paths_for(&req.path);
    if candidates.is_empty() {
        let hint = if req.path.starts_with("/_sim/") {
            " (a simulator harness endpoint; strict mode serves only documented ones)"
        } else if req.path.contains("/margin/") || req.path.contains("/futures/") {
            " (documented, but the simulator does not simulate it)"
        } else if req.path.len() > 1 && req.path.ends_with('/') {
            " (trailing slash: the docs give the path without it)"
        } else {
            ""
        };
        return Err(format!("no documented endpoint at {}{hint}", req.path));
    }
    let Some(ep) = candidates.iter().find(|e| e.method == req.method) else {
        let methods: Vec<&str> = candidates.iter().map(|e| e.method).collect();
        return Err(format!(
            "{} {} is not documented: {} documents {}",
            req.method,
            req.path,
            candidates[0].doc,
            methods.join("/")
        ));
    };
    check_query(ep, &req.query)?;
    check_body(ep, &req.body)
}

fn check_query(ep: &Endpoint, query: &str) -> Result<(), String> {
    let mut seen = Vec::new();
    for kv in query.split('&').filter(|s| !s.is_empty()) {
        let k = crate::rest::pct_decode(kv.split_once('=').map_or(kv, |(k, _)| k));
        if !ep.query.contains(&k.as_str()) {
            return Err(if ep.query.is_empty() {
                format!(
                    "{} {}: query parameter {k:?} is not documented ({} takes {})",
                    ep.method,
                    ep.path,
                    ep.doc,
                    if ep.method == "GET" {
                        "no parameters"
                    } else {
                        "its parameters in a JSON body"
                    }
                )
            } else {
                format!(
                    "{} {}: query parameter {k:?} is not documented ({} lists {})",
                    ep.method,
                    ep.path,
                    ep.doc,
                    ep.query.join(", ")
                )
            });
        }
        seen.push(k);
    }
    for r in ep.required_query {
        if !seen.iter().any(|k| k == r) {
            return Err(format!(
                "{} {}: required query parameter {r:?} missing ({})",
                ep.method, ep.path, ep.doc
            ));
        }
    }
    Ok(())
}

fn check_fields(
    ep: &Endpoint,
    v: &Value,
    allowed: &[&str],
    required: &[&str],
    what: &str,
) -> Result<(), String> {
    let Some(o) = v.as_object() else {
        // Not an object: the endpoint's own documented error (150001) answers it.
        return Ok(());
    };
    if let Some(k) = o.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!(
            "{} {}: {what} field {k:?} is not documented ({} lists {})",
            ep.method,
            ep.path,
            ep.doc,
            allowed.join(", ")
        ));
    }
    if let Some(r) = required.iter().find(|r| !o.contains_key(**r)) {
        return Err(format!(
            "{} {}: required {what} field {r:?} missing ({})",
            ep.method, ep.path, ep.doc
        ));
    }
    // Enumerated values the lenient mode widens (ccxt's `timeInForce: "PO"`).
    for (k, vals) in [
        ("timeInForce", &["GTC", "IOC", "FOK"][..]),
        ("respInst", &["ACK", "ACCEPT", "DONE"][..]),
    ] {
        if let Some(x) = o.get(k).and_then(Value::as_str)
            && !vals.contains(&x)
        {
            return Err(format!(
                "{} {}: {k}={x:?} is not documented ({} allows {})",
                ep.method,
                ep.path,
                ep.doc,
                vals.join(", ")
            ));
        }
    }
    Ok(())
}

fn check_body(ep: &Endpoint, body: &[u8]) -> Result<(), String> {
    let blank = body.iter().all(u8::is_ascii_whitespace);
    match ep.body {
        Body::Empty if blank => Ok(()),
        Body::Empty => Err(format!(
            "{} {}: a body on a GET is not documented ({})",
            ep.method, ep.path, ep.doc
        )),
        Body::Fields { allowed, required } => {
            let v = if blank {
                Value::Object(Default::default())
            } else {
                match serde_json::from_slice::<Value>(body) {
                    Ok(v) => v,
                    Err(_) => return Ok(()),
                }
            };
            check_fields(ep, &v, allowed, required, "body")
        }
        Body::Batch { allowed, required } => {
            let Ok(v) = serde_json::from_slice::<Value>(body) else {
                return Ok(());
            };
            check_fields(ep, &v, &["orders"], &["orders"], "body")?;
            for o in v
                .get("orders")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                check_fields(ep, o, allowed, required, "order")?;
            }
            Ok(())
        }
    }
}

/// Checks a WebSocket upgrade target: `/[<grp>/]api/pro/v1/stream` (spot) or `/[<grp>/]api/pro/v2/stream`
/// (futures), exactly, with no query string.
pub fn check_ws_path(path: &str, query: &str) -> Result<(), String> {
    let tail = group_tail(path).map_or(path.trim_start_matches('/'), |t| t);
    if !path.starts_with('/') || !matches!(tail, "api/pro/v1/stream" | "api/pro/v2/stream") {
        return Err(format!(
            "no documented WebSocket stream at {path} (spot/_ws_general.md: /[<grp>/]api/pro/v1/stream, futures/_wss_general.md: /[<grp>/]api/pro/v2/stream)"
        ));
    }
    if !query.is_empty() {
        return Err(format!(
            "query string {query:?} on the stream URL is not documented"
        ));
    }
    Ok(())
}

/// The gateway's answer to anything undocumented: `404` (`400` for a malformed request), plain text.
pub fn not_found(req: &Request) -> Response {
    refuse(req, 404)
}

pub fn refuse(req: &Request, status: u16) -> Response {
    let text = if status == 404 {
        "404 page not found"
    } else {
        "400 Bad Request"
    };
    let mut r = Response::status(status, format!("{text}: {} {}\n", req.method, req.path));
    r.extra
        .push(("Content-Type", "text/plain; charset=utf-8".to_string()));
    r
}

/// What to log for a refused request.
pub fn refused(req: &Request, reason: String) -> RefusedRequest {
    let target = if req.query.is_empty() {
        req.path.clone()
    } else {
        format!("{}?{}", req.path, req.query)
    };
    RefusedRequest {
        method: req.method.clone(),
        target,
        reason,
    }
}

/// Checks one WebSocket message (spot v1 stream) against spot/_ws_*.md: the documented ops, the documented
/// request actions (any letter case: the examples write `place-Order`, the table `place-order`), the REST field
/// names in order `args` (spot/_ws_req_order_place.md: "as specified in rest api"), and `depth-realtime` only on an
/// authenticated session (spot/misc/real_time_orderbook_feed.md). `Err` says why it is not documented.
pub fn check_ws_msg(v: &Value, authed: bool) -> Result<(), String> {
    let op = v.get("op").and_then(Value::as_str).unwrap_or("");
    match op {
        "auth" | "ping" | "pong" => Ok(()),
        "sub" | "unsub" => {
            let ch = v.get("ch").and_then(Value::as_str).unwrap_or("");
            if op == "sub" && ch.starts_with("depth-realtime:") && !authed {
                return Err(format!(
                    "sub {ch} on an unauthenticated session: spot/misc/real_time_orderbook_feed.md requires authentication"
                ));
            }
            Ok(())
        }
        "req" => {
            let action = v
                .get("action")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_lowercase();
            let args = v
                .get("args")
                .cloned()
                .unwrap_or(Value::Object(Default::default()));
            let ep = |doc: &'static str| Endpoint {
                method: "WS",
                path: "req",
                grouped: false,
                query: &[],
                required_query: &[],
                body: Body::Empty,
                doc,
            };
            match action.as_str() {
                "place-order" => check_fields(
                    &ep("spot/_ws_req_order_place.md"),
                    &args,
                    PLACE_FIELDS,
                    PLACE_REQUIRED,
                    "place-order args",
                ),
                "cancel-order" => check_fields(
                    &ep("spot/_ws_req_order_cancel.md"),
                    &args,
                    CANCEL_FIELDS,
                    CANCEL_REQUIRED,
                    "cancel-order args",
                ),
                "cancel-all"
                | "depth-snapshot"
                | "depth-snapshot-top100"
                | "depth-snapshot-realtime"
                | "market-trades"
                | "open-order"
                | "balance" => Ok(()),
                other => Err(format!(
                    "req action {other:?} is not documented (spot/_ws_req.md lists place-order, cancel-order, cancel-all, depth-snapshot, depth-snapshot-top100, market-trades, open-order, balance, margin-risk; the simulator does not simulate margin-risk)"
                )),
            }
        }
        other => Err(format!(
            "op {other:?} is not documented (spot/_ws_general.md: auth, ping, pong, sub, unsub, req)"
        )),
    }
}

/// What to log for a refused WebSocket message.
pub fn refused_ws(text: &str, reason: String) -> RefusedRequest {
    let mut end = text.len().min(200);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    RefusedRequest {
        method: "WS".into(),
        target: text[..end].to_string(),
        reason,
    }
}
