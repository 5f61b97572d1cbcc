//! The `futures-order` push: one flat object per order event
//! (`{m,sn,e,a,ac,t,ct,orderId,sd,ot,q,p,sp,spb,s,st,lp,lq,ap,cfq,f,cf,fa,ei,err}`) → what the tracker needs.
//! Allocation-free on the borrowed frame.
//!
//! Unlike spot, a futures push carries the execution itself: `lp`/`lq`/`f` (last fill price, quantity, fee) beside
//! the cumulative `cfq`/`ap`/`cf`. Fills are never counted twice: [`FuturesOrderPush::check_fill`] compares a push
//! with what was already applied to the order ([`Seen`]: its highest `sn`, `cfq`, `ap`, `cf`):
//! 1. `sn` not above the last applied → [`FillCheck::Stale`] (a duplicate or a reordered push): nothing applies;
//! 2. `cfq` below the applied one → [`FillCheck::Regressed`]: the cumulative never falls, so the push is stale
//!    whatever its `sn` says (counted; nothing applies);
//! 3. `cfq` unchanged → [`FillCheck::NoFill`] (a status change; an `lq` here is an execution already counted);
//! 4. `cfq` grew by exactly `lq` → [`FillCheck::Exact`]: one fill with the execution's own `lp`/`lq`/`f`;
//! 5. `cfq` grew by more than `lq` → [`FillCheck::Gap`]: pushes were missed; the missed quantity is one fill priced
//!    from the cumulative notional (`ap·cfq − ap₀·cfq₀ − lp·lq`) and fee (`cf − cf₀ − f`), then the last execution;
//! 6. `cfq` grew by less than `lq` → [`FillCheck::Derived`]: the execution contradicts the cumulative; the
//!    cumulative wins (one fill of the growth, priced from the notionals).
//!
//! In every case the fills sum to the growth of `cfq`, so the tracker's cumulative view and the fill lines agree.
//! `ei` (execution instruction) gives reduce-only, post-only and `Liquidation`; unknown values are kept as text.

use crate::orders::scaled::{Round, div_round};
use crate::orders::{OrderId, OrderKind, OrderUpdate, Side, Source};
use crate::venue::ascendex::stream::trading::json::{self, JsonError, Value};
use crate::venue::ascendex::stream::trading::{DecodeError, Scales, SymbolScales, WireStatus};

use super::wire::{dec, dec_round, opt_text, opt_u64, order_id, req_dec, req_u64, text};

/// What `ei` says about an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExecFlags {
    /// Never increases the position (`ReduceOnly`, `PostReduceOnly`, `ReduceOnly*`, `PostReduce*`).
    pub reduce_only: bool,
    /// Maker only (`Post`, `PostReduceOnly`, `InternalPost`, `Post*`).
    pub post_only: bool,
    /// Placed by the liquidation engine, not by us.
    pub liquidation: bool,
}

impl ExecFlags {
    /// From the `ei`/`execInst` text. The enum (futures/_appendix_enum.md) composes its 26 values from `Post`,
    /// `Reduce` and stop words, so the flags are read from the words; `NULL_VAL` and unknown values set nothing.
    pub fn parse(ei: &[u8]) -> ExecFlags {
        let has = |w: &[u8]| ei.windows(w.len()).any(|x| x == w);
        ExecFlags {
            reduce_only: has(b"Reduce"),
            post_only: has(b"Post"),
            liquidation: ei == b"Liquidation",
        }
    }
}

/// One decoded `futures-order` push, at the contract's scales (price, quantity, fee).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuturesOrderPush<'a> {
    pub symbol: &'a str,
    pub scales: SymbolScales,
    /// `sn`: the order's sequence number (stale pushes are dropped by it).
    pub seq: u64,
    pub order_id: OrderId,
    pub side: Side,
    /// `None` for a type this client does not know (kept as a report, not refused).
    pub kind: Option<OrderKind>,
    /// Limit price; 0 for market orders.
    pub price: i64,
    pub qty: i64,
    /// `sp`, when non-zero.
    pub stop_price: Option<i64>,
    /// `spb`: what triggers the stop (`market`, `mark`, `ref`, or empty).
    pub stop_by: &'a str,
    pub status: WireStatus,
    /// This execution's own price (`lp`), quantity (`lq`) and fee (`f`); all 0 when the event is not a fill.
    pub last_px: i64,
    pub last_qty: i64,
    pub last_fee: i64,
    /// Cumulative: average price (rounded half away to the price scale), filled quantity, fee.
    pub avg_px: i64,
    pub cum_qty: i64,
    pub cum_fee: i64,
    pub fee_asset: &'a str,
    pub exec: ExecFlags,
    /// `ei` as sent (`NULL_VAL`, `ReduceOnly`, `Liquidation`, ...).
    pub exec_inst: &'a str,
    /// `err` as sent (`""`, `PostOnlyWouldTake`, ...).
    pub err: &'a str,
    /// `t`: last execution time; `ct`: creation time (ms).
    pub ts_ms: i64,
    pub created_ms: i64,
    /// `a`: the futures account id.
    pub account: &'a str,
}

/// An execution, at the contract's scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Execution {
    pub price: i64,
    pub qty: i64,
    pub fee: i64,
    pub ts_ms: i64,
}

/// What the tracker has already applied for this order (its [`Order`](crate::orders::Order)'s `last_seq`,
/// `cum_qty`, `avg_px`, `cum_fee`; `seq` 0 = nothing yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Seen {
    pub seq: u64,
    pub cum_qty: i64,
    pub avg_px: i64,
    pub cum_fee: i64,
}

impl From<&crate::orders::Order> for Seen {
    fn from(o: &crate::orders::Order) -> Seen {
        Seen {
            seq: o.last_seq,
            cum_qty: o.cum_qty,
            avg_px: o.avg_px,
            cum_fee: o.cum_fee,
        }
    }
}

/// The outcome of [`FuturesOrderPush::check_fill`] (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillCheck {
    Stale,
    Regressed,
    NoFill,
    Exact(Execution),
    Gap {
        missed: Execution,
        last: Option<Execution>,
    },
    Derived(Execution),
}

impl FillCheck {
    /// The fills to report, in order (at most two), whatever the case.
    pub fn fills(&self) -> [Option<Execution>; 2] {
        match *self {
            FillCheck::Exact(e) | FillCheck::Derived(e) => [Some(e), None],
            FillCheck::Gap { missed, last } => [Some(missed), last],
            FillCheck::Stale | FillCheck::Regressed | FillCheck::NoFill => [None, None],
        }
    }
}

impl FuturesOrderPush<'_> {
    /// The tracker's view of this report (cumulative figures, `sn` as the sequence).
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

    /// Which fills this push reveals given what was applied before (see the module docs). Pure: call it before
    /// applying [`update`](Self::update) to the tracker.
    pub fn check_fill(&self, seen: &Seen) -> FillCheck {
        if seen.seq != 0 && self.seq <= seen.seq {
            return FillCheck::Stale;
        }
        if self.cum_qty < seen.cum_qty {
            return FillCheck::Regressed;
        }
        let growth = self.cum_qty - seen.cum_qty;
        if growth == 0 {
            return FillCheck::NoFill;
        }
        let last = Execution {
            price: self.last_px,
            qty: self.last_qty,
            fee: self.last_fee,
            ts_ms: self.ts_ms,
        };
        if self.last_qty == growth {
            return FillCheck::Exact(last);
        }
        // Cumulative notionals at price scale + qty scale (i128: no overflow for i64 operands).
        let notional_new = self.avg_px as i128 * self.cum_qty as i128;
        let notional_old = seen.avg_px as i128 * seen.cum_qty as i128;
        let fee_growth = self.cum_fee.saturating_sub(seen.cum_fee);
        if self.last_qty > 0 && self.last_qty < growth {
            let missed_qty = growth - self.last_qty;
            let missed_notional =
                notional_new - notional_old - self.last_px as i128 * self.last_qty as i128;
            let missed = Execution {
                price: derived_price(missed_notional, missed_qty, self.last_px),
                qty: missed_qty,
                fee: fee_growth.saturating_sub(self.last_fee),
                ts_ms: self.ts_ms,
            };
            return FillCheck::Gap {
                missed,
                last: Some(last),
            };
        }
        let derived = Execution {
            price: derived_price(notional_new - notional_old, growth, self.avg_px),
            qty: growth,
            fee: fee_growth,
            ts_ms: self.ts_ms,
        };
        if self.last_qty == 0 {
            FillCheck::Gap {
                missed: derived,
                last: None,
            }
        } else {
            FillCheck::Derived(derived)
        }
    }
}

/// Notional / quantity rounded half away; `fallback` when the figures cannot give a positive price (an average
/// rounded by the exchange can make a small missed slice's notional come out at or below zero).
fn derived_price(notional: i128, qty: i64, fallback: i64) -> i64 {
    match div_round(notional, qty as i128, Round::HalfAway) {
        Some(p) if p > 0 => p,
        _ => fallback,
    }
}

/// The raw fields of the flat push, collected in one pass (field order is not guaranteed).
#[derive(Default)]
struct Raw<'a> {
    m: Option<Value<'a>>,
    sn: Option<Value<'a>>,
    a: Option<Value<'a>>,
    t: Option<Value<'a>>,
    ct: Option<Value<'a>>,
    order_id: Option<Value<'a>>,
    sd: Option<Value<'a>>,
    ot: Option<Value<'a>>,
    q: Option<Value<'a>>,
    p: Option<Value<'a>>,
    sp: Option<Value<'a>>,
    spb: Option<Value<'a>>,
    s: Option<Value<'a>>,
    st: Option<Value<'a>>,
    lp: Option<Value<'a>>,
    lq: Option<Value<'a>>,
    ap: Option<Value<'a>>,
    cfq: Option<Value<'a>>,
    f: Option<Value<'a>>,
    cf: Option<Value<'a>>,
    fa: Option<Value<'a>>,
    ei: Option<Value<'a>>,
    err: Option<Value<'a>>,
}

/// `Buy`/`buy`/`BUY` and the same for sell.
pub(super) fn side_of(b: &[u8]) -> Option<Side> {
    match b {
        b"Buy" | b"buy" | b"BUY" => Some(Side::Buy),
        b"Sell" | b"sell" | b"SELL" => Some(Side::Sell),
        _ => None,
    }
}

pub(super) fn kind_of(b: &[u8]) -> Option<OrderKind> {
    match b {
        b"Limit" | b"limit" => Some(OrderKind::Limit),
        b"Market" | b"market" => Some(OrderKind::Market),
        b"StopLimit" | b"stop_limit" => Some(OrderKind::StopLimit),
        b"StopMarket" | b"stop_market" => Some(OrderKind::StopMarket),
        _ => None,
    }
}

/// Decodes one `futures-order` frame. Borrowed from `frame`; allocates nothing.
pub fn decode_order_push<'a, S: Scales>(
    frame: &'a [u8],
    scales: &S,
) -> Result<FuturesOrderPush<'a>, DecodeError> {
    let mut r = Raw::default();
    let mut rdr = json::ObjectReader::new(frame);
    let mut first = true;
    loop {
        let k = match rdr.next_key() {
            Ok(Some(k)) => k,
            Ok(None) => break,
            Err(JsonError::Unexpected { at: 0 }) if first => return Err(DecodeError::NotObject),
            Err(e) => return Err(e.into()),
        };
        first = false;
        let v = rdr.value()?;
        if let Some(slot) = r.slot(k) {
            *slot = Some(v);
        }
    }
    if r.m.ok_or(DecodeError::Missing("m"))?.as_str_bytes() != Some(b"futures-order") {
        return Err(DecodeError::Bad("m"));
    }
    finish(&r, scales, false)
}

/// One order row of a `futures-open-orders` reply or a REST order answer (long keys: `orderId`, `seqNum`,
/// `side`, `orderType`, `orderQty`, `price`, `stopPrice`, `stopBy`, `status`, `lastPx`, `lastQty`,
/// `avgFilledPx`, `cumFilledQty`, `fee`, `cumFee`, `feeAsset`, `execInst`, `errorCode`, `lastExecTime`, `time`),
/// decoded like a push. A row's `seqNum` may be absent or -1 (an ACK-mode answer, README §5): it reads as 0,
/// older than any push, so such a row never overrides one.
pub fn decode_order_row<'a, S: Scales>(
    obj: &'a [u8],
    scales: &S,
) -> Result<FuturesOrderPush<'a>, DecodeError> {
    let mut r = Raw::default();
    for kv in json::fields(obj) {
        let (k, v) = kv?;
        if let Some(slot) = r.slot(k) {
            *slot = Some(v);
        }
    }
    finish(&r, scales, true)
}

impl<'a> Raw<'a> {
    /// The slot of a key, in either spelling (push or row).
    #[inline]
    fn slot(&mut self, k: &[u8]) -> Option<&mut Option<Value<'a>>> {
        Some(match k {
            b"m" => &mut self.m,
            b"sn" | b"seqNum" => &mut self.sn,
            b"a" | b"accountId" => &mut self.a,
            b"t" | b"lastExecTime" => &mut self.t,
            b"ct" | b"time" => &mut self.ct,
            b"orderId" => &mut self.order_id,
            b"sd" | b"side" => &mut self.sd,
            b"ot" | b"orderType" => &mut self.ot,
            b"q" | b"orderQty" => &mut self.q,
            b"p" | b"price" => &mut self.p,
            b"sp" | b"stopPrice" => &mut self.sp,
            b"spb" | b"stopBy" => &mut self.spb,
            b"s" | b"symbol" => &mut self.s,
            b"st" | b"status" => &mut self.st,
            b"lp" | b"lastPx" => &mut self.lp,
            b"lq" | b"lastQty" => &mut self.lq,
            b"ap" | b"avgFilledPx" => &mut self.ap,
            b"cfq" | b"cumFilledQty" => &mut self.cfq,
            b"f" | b"fee" => &mut self.f,
            b"cf" | b"cumFee" => &mut self.cf,
            b"fa" | b"feeAsset" => &mut self.fa,
            b"ei" | b"execInst" => &mut self.ei,
            b"err" | b"errorCode" => &mut self.err,
            _ => return None,
        })
    }
}

/// The reply to a `place-order`, `cancel-order` or `cancel-all` request:
/// `{"m":"order","code":0,"id":..,"action":..,"ac":"FUTURES","info":{"orderId","symbol"}}`, or with a non-zero
/// `code` and `info.{reason,errorMsg}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderReply<'a> {
    pub request_id: &'a str,
    pub action: &'a str,
    /// 0: passed the gateway's checks and went to the matching engine.
    pub code: i64,
    pub order_id: Option<OrderId>,
    pub symbol: &'a str,
    pub reason: &'a str,
    pub message: &'a str,
}

/// The `futures-open-orders` reply: `id`, `code`, and the rows (decode with [`decode_order_row`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOrdersReply<'a> {
    pub request_id: &'a str,
    pub code: i64,
    pub rows: &'a [u8],
}

impl<'a> OpenOrdersReply<'a> {
    pub fn orders<'s, S: Scales>(
        &self,
        scales: &'s S,
    ) -> impl Iterator<Item = Result<FuturesOrderPush<'a>, DecodeError>> + use<'a, 's, S> {
        json::elements(self.rows).map(move |v| match v? {
            Value::Obj(o) => decode_order_row(o, scales),
            _ => Err(DecodeError::Bad("data")),
        })
    }
}

/// Either reply to a request of ours on the futures trading stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply<'a> {
    Order(OrderReply<'a>),
    OpenOrders(OpenOrdersReply<'a>),
}

/// Decodes `m:"order"` (request replies) and `m:"futures-open-orders"`; other messages are `Bad("m")`.
pub fn decode_reply(frame: &[u8]) -> Result<Reply<'_>, DecodeError> {
    let (mut m, mut id, mut action, mut code, mut info, mut data) =
        (None, None, None, None, None, None);
    let mut rdr = json::ObjectReader::new(frame);
    let mut first = true;
    loop {
        let k = match rdr.next_key() {
            Ok(Some(k)) => k,
            Ok(None) => break,
            Err(JsonError::Unexpected { at: 0 }) if first => return Err(DecodeError::NotObject),
            Err(e) => return Err(e.into()),
        };
        first = false;
        let v = rdr.value()?;
        match k {
            b"m" => m = Some(v),
            b"id" => id = Some(v),
            b"action" => action = Some(v),
            b"code" => code = Some(v),
            b"info" => info = Some(v),
            b"data" => data = Some(v),
            _ => {}
        }
    }
    let request_id = opt_text(id, "id")?;
    let code = match code {
        None => return Err(DecodeError::Missing("code")),
        Some(v) => v.as_i64().ok_or(DecodeError::Bad("code"))?,
    };
    match m.ok_or(DecodeError::Missing("m"))?.as_str_bytes() {
        Some(b"order") => {
            let mut r = OrderReply {
                request_id,
                action: text(action.ok_or(DecodeError::Missing("action"))?, "action")?,
                code,
                order_id: None,
                symbol: "",
                reason: "",
                message: "",
            };
            if let Some(Value::Obj(o)) = info {
                for kv in json::fields(o) {
                    let (k, v) = kv?;
                    match k {
                        b"orderId" if v.as_str_bytes().is_some_and(|b| !b.is_empty()) => {
                            r.order_id = Some(order_id(Some(v), "info.orderId")?);
                        }
                        b"symbol" => r.symbol = text(v, "info.symbol")?,
                        b"reason" => r.reason = text(v, "info.reason")?,
                        b"errorMsg" | b"message" => r.message = text(v, "info.errorMsg")?,
                        _ => {}
                    }
                }
            }
            Ok(Reply::Order(r))
        }
        Some(b"futures-open-orders") => Ok(Reply::OpenOrders(OpenOrdersReply {
            request_id,
            code,
            rows: match data {
                Some(Value::Arr(a)) => a,
                None | Some(Value::Null) if code != 0 => b"[]",
                None => return Err(DecodeError::Missing("data")),
                Some(_) => return Err(DecodeError::Bad("data")),
            },
        })),
        _ => Err(DecodeError::Bad("m")),
    }
}

fn finish<'a, S: Scales>(
    r: &Raw<'a>,
    scales: &S,
    row: bool,
) -> Result<FuturesOrderPush<'a>, DecodeError> {
    let symbol = text(r.s.ok_or(DecodeError::Missing("s"))?, "s")?;
    let sc = scales
        .symbol(symbol.as_bytes())
        .ok_or(DecodeError::UnknownSymbol)?;
    let seq = match r.sn {
        None if row => 0,
        Some(v) if row && v.as_i64() == Some(-1) => 0,
        sn => req_u64(sn, "sn")?,
    };
    let order_id = order_id(r.order_id, "orderId")?;
    let st =
        r.st.ok_or(DecodeError::Missing("st"))?
            .as_str_bytes()
            .ok_or(DecodeError::Bad("st"))?;
    let status = WireStatus::parse(st).ok_or(DecodeError::Bad("st"))?;
    let sd =
        r.sd.ok_or(DecodeError::Missing("sd"))?
            .as_str_bytes()
            .ok_or(DecodeError::Bad("sd"))?;
    let side = side_of(sd).ok_or(DecodeError::Bad("sd"))?;
    let kind = match r.ot {
        Some(v) => kind_of(v.as_str_bytes().ok_or(DecodeError::Bad("ot"))?),
        None => None,
    };
    let nonneg = |v: i64, k: &'static str| {
        if v < 0 {
            Err(DecodeError::Bad(k))
        } else {
            Ok(v)
        }
    };
    let qty = nonneg(dec(r.q, sc.qty, "q")?.unwrap_or(0), "q")?;
    let cum_qty = nonneg(req_dec(r.cfq, sc.qty, "cfq")?, "cfq")?;
    let last_qty = nonneg(dec(r.lq, sc.qty, "lq")?.unwrap_or(0), "lq")?;
    let last_px = nonneg(dec(r.lp, sc.price, "lp")?.unwrap_or(0), "lp")?;
    let avg_px = nonneg(dec_round(r.ap, sc.price, "ap")?.unwrap_or(0), "ap")?;
    if cum_qty > 0 && avg_px == 0 {
        return Err(DecodeError::Bad("ap"));
    }
    if last_qty > 0 && last_px == 0 {
        return Err(DecodeError::Bad("lp"));
    }
    if last_qty > cum_qty {
        return Err(DecodeError::Bad("lq"));
    }
    if qty > 0 && cum_qty > qty {
        return Err(DecodeError::Bad("cfq"));
    }
    let ei = opt_text(r.ei, "ei")?;
    let ts_ms = i64::try_from(opt_u64(r.t, "t")?).map_err(|_| DecodeError::Bad("t"))?;
    let created_ms = i64::try_from(opt_u64(r.ct, "ct")?).map_err(|_| DecodeError::Bad("ct"))?;
    Ok(FuturesOrderPush {
        symbol,
        scales: sc,
        seq,
        order_id,
        side,
        kind,
        price: nonneg(dec(r.p, sc.price, "p")?.unwrap_or(0), "p")?,
        qty,
        stop_price: nonneg(dec(r.sp, sc.price, "sp")?.unwrap_or(0), "sp")
            .map(|v| (v != 0).then_some(v))?,
        stop_by: opt_text(r.spb, "spb")?,
        status,
        last_px,
        last_qty,
        last_fee: dec(r.f, sc.fee, "f")?.unwrap_or(0),
        avg_px,
        cum_qty,
        cum_fee: dec(r.cf, sc.fee, "cf")?.unwrap_or(0),
        fee_asset: opt_text(r.fa, "fa")?,
        exec: ExecFlags::parse(ei.as_bytes()),
        exec_inst: ei,
        err: opt_text(r.err, "err")?,
        ts_ms,
        created_ms,
        account: opt_text(r.a, "a")?,
    })
}
