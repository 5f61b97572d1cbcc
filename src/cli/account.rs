//! `balance`, `orders`, `order place|cancel|cancel-all|status`: signed one-shot REST.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use super::api::Api;
use super::args::{PlaceArgs, SideArg, TifArg, TypeArg};
use super::check::{Sign, Source, decimal_fault};
use super::market::{check_spelling, check_symbol};
use super::out::{CliError, CliResult, Out, table};
use crate::orders::SymbolId;
use crate::orders::scaled::{Dec, format_scaled};
use crate::orders::{OrderId, OrderKind, Side, TimeInForce};
use crate::venue::ascendex::ids::{ClientIdGen, validate_client_id};
use crate::venue::ascendex::rest::trading::{
    CancelItem, RestBuffers, RestRequest, balance as balance_req, cancel_all, cancel_order,
    open_orders, order_status, place_order,
};
use crate::venue::ascendex::rules::{PriceSpec, RulesTable};
use crate::venue::ascendex::session::bootstrap::wall_ms;
use crate::venue::ascendex::stream::trading::{Account, OrderSpec, PlaceOrder, RespInst};

/// How long `order place` / `order cancel` wait for a definitive state.
const SETTLE: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);

#[derive(Serialize)]
struct BalanceLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    asset: &'a str,
    total: &'a str,
    available: &'a str,
}

pub fn balance(api: &mut Api, out: Out) -> CliResult {
    api.require_credentials()?;
    let g = api.group()?;
    let mut b = RestBuffers::default();
    let r = balance_req(&mut b, g, Account::Cash, None, false);
    let name = api.request_name(r.method.as_str(), &String::from_utf8_lossy(r.path));
    let data = api.signed_req(r)?;
    let rows = balance_rows(&Source { request: &name }, &data)?;
    print_balances(out, &rows);
    Ok(())
}

/// (asset, total, available) of each row of a cash balance answer, every value checked.
pub fn balance_rows(src: &Source<'_>, data: &Value) -> CliResult<Vec<[String; 3]>> {
    let rows = match data {
        Value::Array(a) => a.as_slice(),
        Value::Null => &[],
        v => return Err(src.bad("data", &v.to_string(), "not a list of balances")),
    };
    rows.iter()
        .map(|r| {
            Ok([
                src.name_of(r, "asset", false)?,
                src.decimal_of(r, "totalBalance", Sign::Unsigned, None)?,
                src.decimal_of(r, "availableBalance", Sign::Unsigned, None)?,
            ])
        })
        .collect()
}

/// `balance` lines, or a table: (asset, total, available).
pub fn print_balances(out: Out, rows: &[[String; 3]]) {
    if out.json {
        for [asset, total, available] in rows {
            out.json_line(&BalanceLine {
                kind: "balance",
                asset,
                total,
                available,
            });
        }
    } else {
        let rows: Vec<Vec<String>> = rows.iter().map(|r| r.to_vec()).collect();
        out.text(&table(
            &["asset", "total", "available"],
            &[false, true, true],
            &rows,
        ));
    }
}

/// The `order` line of DESIGN.md §4, from an exchange order row.
#[derive(Serialize, Debug, Clone)]
pub struct OrderLine {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(rename = "orderId")]
    pub order_id: String,
    #[serde(rename = "clientId")]
    pub client_id: String,
    pub symbol: String,
    pub side: String,
    #[serde(rename = "orderType")]
    pub order_type: String,
    pub price: String,
    pub qty: String,
    pub status: String,
    #[serde(rename = "filledQty")]
    pub filled_qty: String,
    #[serde(rename = "avgPrice")]
    pub avg_price: String,
    pub fee: String,
    #[serde(rename = "feeAsset")]
    pub fee_asset: String,
    pub error: String,
}

impl OrderLine {
    /// An order line from an exchange order row, every value checked; decimals at the symbol's scales when the
    /// rules are known, and the row must be about `symbol` when one was asked for.
    pub fn from_row(
        src: &Source<'_>,
        v: &Value,
        rules: Option<&RulesTable>,
        symbol: Option<&str>,
    ) -> CliResult<OrderLine> {
        if let Some(want) = symbol {
            src.symbol(v, "symbol", want)?;
        }
        let sym = src.name_of(v, "symbol", false)?;
        let r = rules.and_then(|t| t.by_name(&sym));
        let (px, qty) = (r.map(|r| r.price_scale), r.map(|r| r.qty_scale));
        let side = src.name_of(v, "side", false)?.to_lowercase();
        if side != "buy" && side != "sell" {
            return Err(src.bad("side", &side, "neither Buy nor Sell"));
        }
        let error = v
            .get("errorCode")
            .and_then(Value::as_str)
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        Ok(OrderLine {
            kind: "order",
            order_id: src.name_of(v, "orderId", false)?,
            client_id: src.name_of(v, "id", true)?,
            symbol: sym,
            side,
            order_type: src.name_of(v, "orderType", false)?.to_lowercase(),
            price: src.optional_decimal_of(v, "price", Sign::Unsigned, px)?,
            qty: src.decimal_of(v, "orderQty", Sign::Unsigned, qty)?,
            status: src.name_of(v, "status", false)?,
            filled_qty: src.optional_decimal_of(v, "cumFilledQty", Sign::Unsigned, qty)?,
            avg_price: src.optional_decimal_of(v, "avgPx", Sign::Unsigned, None)?,
            // A rebate is a negative fee.
            fee: src.optional_decimal_of(v, "cumFee", Sign::Signed, None)?,
            fee_asset: src.name_of(v, "feeAsset", true)?,
            error,
        })
    }

    fn is_definitive(&self) -> bool {
        matches!(
            self.status.as_str(),
            "New" | "PartiallyFilled" | "Filled" | "Canceled" | "Rejected"
        )
    }
}

fn print_orders(out: Out, orders: &[OrderLine]) {
    if out.json {
        for o in orders {
            out.json_line(o);
        }
        return;
    }
    let rows: Vec<Vec<String>> = orders
        .iter()
        .map(|o| {
            vec![
                o.order_id.clone(),
                o.symbol.clone(),
                o.side.clone(),
                o.order_type.clone(),
                o.price.clone(),
                o.qty.clone(),
                o.filled_qty.clone(),
                o.avg_price.clone(),
                o.status.clone(),
                o.error.clone(),
            ]
        })
        .collect();
    out.text(&table(
        &[
            "order id",
            "symbol",
            "side",
            "type",
            "price",
            "qty",
            "filled",
            "avg price",
            "status",
            "error",
        ],
        &[
            false, false, false, false, true, true, true, true, false, false,
        ],
        &rows,
    ));
}

/// The order rows of an answer (a list, or one object), every value checked.
pub fn rows(
    src: &Source<'_>,
    data: &Value,
    rules: Option<&RulesTable>,
    symbol: Option<&str>,
) -> CliResult<Vec<OrderLine>> {
    match data {
        Value::Array(a) => a
            .iter()
            .map(|r| OrderLine::from_row(src, r, rules, symbol))
            .collect(),
        Value::Object(_) => Ok(vec![OrderLine::from_row(src, data, rules, symbol)?]),
        Value::Null => Ok(Vec::new()),
        v => Err(src.bad("data", &v.to_string(), "not a list of orders")),
    }
}

/// A signed request's answer as checked order rows.
fn order_rows(
    api: &Api,
    r: RestRequest<'_>,
    rules: Option<&RulesTable>,
    symbol: Option<&str>,
) -> CliResult<Vec<OrderLine>> {
    let name = api.request_name(r.method.as_str(), &String::from_utf8_lossy(r.path));
    let data = api.signed_req(r)?;
    rows(&Source { request: &name }, &data, rules, symbol)
}

fn parse_order_id(id: &str) -> CliResult<OrderId> {
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(CliError::usage(format!(
            "order id {id:?} is not an exchange order id (letters and digits)"
        )));
    }
    OrderId::new(id.as_bytes())
        .ok_or_else(|| CliError::usage(format!("order id {id:?} is too long")))
}

fn status_of(
    api: &mut Api,
    g: u32,
    id: &OrderId,
    rules: Option<&RulesTable>,
    symbol: Option<&str>,
) -> CliResult<Option<OrderLine>> {
    let mut b = RestBuffers::default();
    let r = order_status(&mut b, g, Account::Cash, std::slice::from_ref(id));
    Ok(order_rows(api, r, rules, symbol)?
        .into_iter()
        .find(|o| o.order_id == id.as_str()))
}

pub fn status(api: &mut Api, out: Out, order_id: &str) -> CliResult {
    let id = parse_order_id(order_id)?;
    api.require_credentials()?;
    let g = api.group()?;
    let rules = api.optional_rules(out, "the symbol's scales");
    match status_of(api, g, &id, rules.as_ref(), None)? {
        Some(o) => {
            print_orders(out, std::slice::from_ref(&o));
            Ok(())
        }
        None => Err(CliError::rejected(
            0,
            format!(
                "GET {}/{g}/api/pro/v1/cash/order/status: the exchange does not know order {order_id}",
                api.base()
            ),
        )),
    }
}

pub fn orders(api: &mut Api, out: Out, symbol: Option<&str>) -> CliResult {
    if let Some(s) = symbol {
        check_spelling(s)?;
    }
    api.require_credentials()?;
    let rules = api.optional_rules(out, "the symbol check and the symbol's scales");
    if let (Some(s), Some(r)) = (symbol, &rules) {
        check_symbol(r, s)?;
    }
    let g = api.group()?;
    let mut b = RestBuffers::default();
    let r = open_orders(&mut b, g, Account::Cash, symbol);
    let list = order_rows(api, r, rules.as_ref(), symbol)?;
    if list.is_empty() && !out.json {
        out.text("no open orders");
    } else {
        print_orders(out, &list);
    }
    Ok(())
}

fn fmt(m: i64, scale: u8) -> String {
    let mut b = [0u8; 48];
    match format_scaled(m, scale, &mut b) {
        Ok(n) => String::from_utf8_lossy(&b[..n]).into_owned(),
        Err(_) => m.to_string(),
    }
}

/// A decimal typed by the user (exit 2, nothing sent, when it is not one).
fn dec(what: &str, s: &str) -> CliResult<Dec> {
    let explain = |why: String| {
        CliError::usage(format!(
            "{what} {s:?} is not accepted ({why}): write digits with at most one '.', like 0.001 or 50000.5 \
             (no sign, exponent, spaces or thousands separators); nothing was sent"
        ))
    };
    if let Some(f) = decimal_fault(s, Sign::Unsigned, None) {
        return Err(explain(format!("it has {f}")));
    }
    Dec::parse(s.as_bytes()).map_err(|e| explain(e.to_string()))
}

#[derive(Serialize)]
struct FillLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "orderId")]
    order_id: &'a str,
    symbol: &'a str,
    side: &'a str,
    price: &'a str,
    qty: &'a str,
    fee: &'a str,
    #[serde(rename = "feeAsset")]
    fee_asset: &'a str,
    ts: u64,
}

pub fn place(api: &mut Api, out: Out, a: &PlaceArgs) -> CliResult {
    check_spelling(&a.symbol)?;
    let qty = dec("quantity", &a.qty)?;
    let side = match a.side {
        SideArg::Buy => Side::Buy,
        SideArg::Sell => Side::Sell,
    };
    let kind = match a.order_type {
        TypeArg::Limit => OrderKind::Limit,
        TypeArg::Market => OrderKind::Market,
    };
    let price = match (kind, &a.price) {
        (OrderKind::Limit, None) => {
            return Err(CliError::usage(
                "a limit order needs --price P (or use --type market)",
            ));
        }
        (OrderKind::Market, Some(_)) => {
            return Err(CliError::usage("a market order takes no --price"));
        }
        (_, Some(p)) => Some(dec("price", p)?),
        _ => None,
    };
    if a.post_only && kind == OrderKind::Market {
        return Err(CliError::usage("--post-only applies to limit orders only"));
    }
    let client_id = match &a.client_id {
        Some(c) => validate_client_id(c.as_bytes())
            .map_err(|e| CliError::usage(format!("--client-id: {e}")))?,
        None => ClientIdGen::new("cli", b'c', wall_ms())
            .map_err(|e| CliError::usage(e.to_string()))?
            .next_id(),
    };
    api.require_credentials()?;
    let rules = api.rules()?;
    let r = check_symbol(&rules, &a.symbol)?.clone();
    let spec = match price {
        Some(p) => PriceSpec::Limit(p),
        None => {
            // A market order's notional is checked against the side it would take.
            let mut p = Vec::new();
            crate::venue::ascendex::rest::market::ticker_path(&mut p, &[&a.symbol]);
            let path = String::from_utf8_lossy(&p).into_owned();
            let data = api.public(&path)?;
            let name = api.request_name("GET", &path);
            let t = super::market::ticker_line(
                &Source { request: &name },
                &data,
                &a.symbol,
                Some(r.price_scale),
                wall_ms(),
            )?;
            let (key, px) = if side == Side::Buy {
                ("ask", t.ask.first())
            } else {
                ("bid", t.bid.first())
            };
            let px = px.ok_or_else(|| {
                CliError::rejected(
                    0,
                    format!(
                        "{name}: the book has no {key}: a market {} cannot fill; nothing was sent",
                        if side == Side::Buy { "buy" } else { "sell" }
                    ),
                )
            })?;
            let reference = Dec::parse(px.as_bytes())
                .map_err(|e| CliError::network(format!("{name}: {key} {px:?}: {e}")))?;
            PriceSpec::Market { reference }
        }
    };
    let q = r
        .quantize(side, spec, qty)
        .map_err(|e| CliError::usage(explain_rule(&r, e)))?;
    if q.qty_adjusted {
        out.note(&format!(
            "quantity {} rounded down to {} (lot size {})",
            a.qty,
            fmt(q.qty, r.qty_scale),
            fmt(r.lot, r.qty_scale)
        ));
    }
    if q.price_adjusted {
        out.note(&format!(
            "price {} rounded {} to {} (tick size {})",
            a.price.as_deref().unwrap_or(""),
            if side == Side::Buy { "down" } else { "up" },
            fmt(q.price, r.price_scale),
            fmt(r.tick, r.price_scale)
        ));
    }
    let g = api.group()?;
    let mut b = RestBuffers::default();
    let time_ms = wall_ms();
    let order = PlaceOrder {
        client_id: &client_id,
        time_ms,
        spec: OrderSpec {
            // A one-shot order with no tracker: the id only matters to a session's tracker, never on the wire.
            symbol_id: SymbolId(0),
            symbol: &a.symbol,
            side,
            kind,
            price: q.price,
            price_scale: r.price_scale,
            qty: q.qty,
            qty_scale: r.qty_scale,
            stop_price: None,
            post_only: a.post_only,
            tif: match a.tif {
                TifArg::Gtc => TimeInForce::Gtc,
                TifArg::Ioc => TimeInForce::Ioc,
                TifArg::Fok => TimeInForce::Fok,
            },
        },
        resp_inst: RespInst::Accept,
    };
    let req = place_order(&mut b, g, Account::Cash, &order)
        .map_err(|e| CliError::usage(format!("cannot encode the order: {e}")))?;
    let name = api.request_name(req.method.as_str(), &String::from_utf8_lossy(req.path));
    let data = api.signed_req(req)?;
    let src = Source { request: &name };
    let info = data.get("info").cloned().unwrap_or(Value::Null);
    let order_id = info
        .get("orderId")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let id = parse_order_id(&order_id).map_err(|_| {
        CliError::network(format!(
            "{name}: the exchange acknowledged without an order id: check `ascendex orders {}`",
            a.symbol
        ))
    })?;
    let mut line = match info.get("status") {
        Some(_) => Some(OrderLine::from_row(
            &src,
            &info,
            Some(&rules),
            Some(&a.symbol),
        )?),
        None => None,
    };
    let deadline = Instant::now() + SETTLE;
    while !line.as_ref().is_some_and(OrderLine::is_definitive) {
        if Instant::now() > deadline {
            break;
        }
        if line.is_some() {
            std::thread::sleep(POLL);
        }
        line = status_of(api, g, &id, Some(&rules), Some(&a.symbol))?.or(line);
    }
    let mut line = line.ok_or_else(|| {
        CliError::network(format!(
            "order {order_id} sent, but its state is unknown: check with `ascendex order status {order_id}`"
        ))
    })?;
    if line.client_id.is_empty() {
        line.client_id = client_id.as_str().to_string();
    }
    let filled = Dec::parse(line.filled_qty.as_bytes()).is_ok_and(|d| d.mantissa > 0);
    if filled && line.avg_price.is_empty() {
        // A fill line needs its price: checked before the order line goes out, so nothing half is printed.
        return Err(src.bad(
            "avgPx",
            "",
            format!("missing although {} filled", line.filled_qty),
        ));
    }
    print_orders(out, std::slice::from_ref(&line));
    if filled {
        // REST reports the cumulative execution: one line for what filled at once.
        let f = FillLine {
            kind: "fill",
            order_id: &line.order_id,
            symbol: &line.symbol,
            side: &line.side,
            price: &line.avg_price,
            qty: &line.filled_qty,
            fee: &line.fee,
            fee_asset: &line.fee_asset,
            ts: wall_ms(),
        };
        if out.json {
            out.json_line(&f);
        } else {
            out.text(&format!(
                "filled {} {} at {} (fee {} {})",
                f.qty, f.symbol, f.price, f.fee, f.fee_asset
            ));
        }
    }
    if line.status == "Rejected" {
        return Err(CliError::rejected(
            0,
            format!(
                "the exchange rejected the order{}",
                if line.error.is_empty() {
                    String::new()
                } else {
                    format!(": {}", line.error)
                }
            ),
        ));
    }
    if !line.is_definitive() {
        out.note(&format!(
            "no definitive state within {} s; last seen {}",
            SETTLE.as_secs(),
            line.status
        ));
    }
    Ok(())
}

fn explain_rule(
    r: &crate::venue::ascendex::rules::SymbolRules,
    e: crate::venue::ascendex::rules::RuleError,
) -> String {
    use crate::venue::ascendex::rules::RuleError as E;
    let ns = r.notional_scale();
    let n = |v: i128| fmt(i64::try_from(v).unwrap_or(i64::MAX), ns);
    let what = match e {
        E::BelowMinQty { min, got } => format!(
            "quantity {} is below the minimum {} {} (lot size {})",
            fmt(got, r.qty_scale),
            fmt(min, r.qty_scale),
            r.base,
            fmt(r.lot, r.qty_scale)
        ),
        E::AboveMaxQty { max, got } => format!(
            "quantity {} is above the maximum {} {}",
            fmt(got, r.qty_scale),
            fmt(max, r.qty_scale),
            r.base
        ),
        E::BelowMinNotional { min, got } => format!(
            "order value {} {} is below the minimum {} {}",
            n(got),
            r.quote,
            n(min),
            r.quote
        ),
        E::AboveMaxNotional { max, got } => format!(
            "order value {} {} is above the maximum {} {}",
            n(got),
            r.quote,
            n(max),
            r.quote
        ),
        other => other.to_string(),
    };
    format!("{}: {what}; nothing was sent", r.symbol)
}

pub fn cancel(api: &mut Api, out: Out, symbol: &str, order_id: &str) -> CliResult {
    check_spelling(symbol)?;
    let id = parse_order_id(order_id)?;
    api.require_credentials()?;
    // Without the rules the cancel still goes: the exchange checks the symbol itself.
    let rules = api.optional_rules(out, "the symbol check and the symbol's scales");
    if let Some(r) = &rules {
        check_symbol(r, symbol)?;
    }
    let g = api.group()?;
    let mut b = RestBuffers::default();
    let req_id = ClientIdGen::new("cx", b'x', wall_ms())
        .map_err(|e| CliError::usage(e.to_string()))?
        .next_id();
    let item = CancelItem {
        request_id: &req_id,
        order_id: &id,
        symbol,
        time_ms: wall_ms(),
    };
    let req = cancel_order(&mut b, g, Account::Cash, &item)
        .map_err(|e| CliError::usage(format!("cannot encode the cancel: {e}")))?;
    let sent = api.signed_req(req);
    let refused = sent.as_ref().err().cloned();
    if let Some(e) = &refused
        && e.exit != super::out::Exit::Rejected
    {
        return Err(e.clone());
    }
    let deadline = Instant::now() + SETTLE;
    let mut line = None;
    loop {
        line = status_of(api, g, &id, rules.as_ref(), Some(symbol))?.or(line);
        let done = line.as_ref().is_some_and(|o: &OrderLine| {
            matches!(o.status.as_str(), "Canceled" | "Filled" | "Rejected")
        });
        if done || refused.is_some() || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(POLL);
    }
    if let Some(o) = &line {
        print_orders(out, std::slice::from_ref(o));
    }
    match (refused, line) {
        (Some(e), _) => Err(e),
        (None, Some(o)) if o.status == "Canceled" => Ok(()),
        (None, Some(o)) => Err(CliError::rejected(
            0,
            format!("order {order_id} is {} and was not canceled", o.status),
        )),
        (None, None) => Err(CliError::rejected(
            0,
            format!(
                "GET {}/{g}/api/pro/v1/cash/order/status: the exchange does not know order {order_id}",
                api.base()
            ),
        )),
    }
}

pub fn cancel_all_cmd(api: &mut Api, out: Out, symbol: Option<&str>) -> CliResult {
    if let Some(s) = symbol {
        check_spelling(s)?;
    }
    api.require_credentials()?;
    let rules = api.optional_rules(out, "the symbol check and the symbol's scales");
    if let (Some(s), Some(r)) = (symbol, &rules) {
        check_symbol(r, s)?;
    }
    let rules = rules.as_ref();
    let g = api.group()?;
    let mut b = RestBuffers::default();
    let r = open_orders(&mut b, g, Account::Cash, symbol);
    let before = order_rows(api, r, rules, symbol)?;
    let req = cancel_all(&mut b, g, Account::Cash, wall_ms(), symbol)
        .map_err(|e| CliError::usage(format!("cannot encode the cancel: {e}")))?;
    api.signed_req(req)?;
    let deadline = Instant::now() + SETTLE;
    loop {
        let r = open_orders(&mut b, g, Account::Cash, symbol);
        let open = order_rows(api, r, rules, symbol)?;
        if open
            .iter()
            .all(|o| !before.iter().any(|b| b.order_id == o.order_id))
        {
            break;
        }
        if Instant::now() > deadline {
            return Err(CliError::rejected(
                0,
                format!(
                    "DELETE {}/{g}/api/pro/v1/cash/order/all: {} orders still open {} s after cancel-all",
                    api.base(),
                    open.len(),
                    SETTLE.as_secs()
                ),
            ));
        }
        std::thread::sleep(POLL);
    }
    let mut done = Vec::new();
    for o in &before {
        if let Ok(id) = parse_order_id(&o.order_id)
            && let Some(l) = status_of(api, g, &id, rules, symbol)?
        {
            done.push(l);
        }
    }
    if !out.json && done.is_empty() {
        out.text("no open orders");
    } else {
        print_orders(out, &done);
    }
    Ok(())
}
