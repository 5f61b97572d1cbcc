//! The futures account: `futures-account-update` / `futures-account-snapshot` pushes and the REST
//! `GET /<g>/api/pro/v2/futures/position` answer → core [`Position`]s and collateral balances (allocation-free,
//! on the borrowed bytes, one decoder for both: the push's short keys and the answer's long ones), and the
//! `free-margin` answer (serde, off the hot path).
//!
//! Readings taken:
//! - signed size: the REST docs say `position` is negative for a short; the push example only shows a long with
//!   `sd:"LONG"`. So a negative `pos` is short, and a positive `pos` with `sd:"SHORT"` is negated (both readings
//!   give the same signed size); a negative `pos` with `sd:"LONG"` contradicts itself and is refused;
//! - margin type `crossed` (enum, margin-type API) and `cross` (position example) are the same (README §13.14);
//! - `sn` orders account messages (strictly increasing per account): the caller drops a message whose `sn` is not
//!   above the last applied, except a snapshot it asked for, which replaces the state;
//! - the exchange's PnL figures (`up`, `rp`, `rc`), isolated margin and open-order notionals are rounded half away
//!   to the settlement asset's scale (they are computed, with more decimals than a balance); sizes, balances and
//!   prices of record are exact. The average open price goes to the price scale rounded, and is kept exact too
//!   ([`PositionRow::avg_open_exact`]) for [`pnl`](super::pnl).

use serde::Deserialize;

use crate::orders::AssetId;
use crate::orders::scaled::Dec;
use crate::strategy::events::{MarginType, Position};
use crate::venue::ascendex::rest::trading::RestError;
use crate::venue::ascendex::stream::trading::json::{self, JsonError, Value};
use crate::venue::ascendex::stream::trading::{DecodeError, Scales};

use super::wire::{Rows, dec_round, exact, leverage, opt_text, req_dec, req_u64, text};

/// One account message (push or REST answer); iterate [`collaterals`](Self::collaterals) and
/// [`positions`](Self::positions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountMsg<'a> {
    /// A full state (`futures-account-snapshot`, or the REST answer) rather than a change.
    pub snapshot: bool,
    /// `e`: `ExecutionReport`, `ClientRequest`, ... (empty in REST).
    pub event: &'a str,
    /// `t` (ms); 0 in REST answers, which carry none.
    pub ts: u64,
    /// `sn`; 0 in REST answers.
    pub seq: u64,
    /// `acc` / `accountId`.
    pub account: &'a str,
    /// `id`: the request that caused it (echoed for a snapshot request).
    pub request_id: &'a str,
    col: &'a [u8],
    pos: &'a [u8],
}

/// One collateral asset's balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollateralBalance<'a> {
    pub name: &'a str,
    pub asset: AssetId,
    /// At the asset's scale, exact.
    pub balance: i64,
    /// Haircut on its value as margin (`f` / `discountFactor`), exact.
    pub discount_factor: Option<Dec>,
    /// In USDT (REST only).
    pub reference_price: Option<Dec>,
}

/// One contract's position and what rides with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionRow<'a> {
    pub name: &'a str,
    pub position: Position,
    /// The average open price exactly as sent.
    pub avg_open_exact: Dec,
    /// `rc` at the settlement scale (the cost basis, fees included, negative for a long).
    pub reference_cost: i64,
    /// Notional of open buy / sell orders (`boon` / `soon`), settlement scale.
    pub buy_open_notional: i64,
    pub sell_open_notional: i64,
    /// REST only: mark and index prices (`None` when absent or not positive, e.g. the docs' `"-1"`).
    pub mark_price: Option<Dec>,
    pub index_price: Option<Dec>,
}

const EMPTY: &[u8] = b"[]";

fn array<'a>(v: Value<'a>, k: &'static str) -> Result<&'a [u8], DecodeError> {
    match v {
        Value::Arr(a) => Ok(a),
        Value::Null => Ok(EMPTY),
        _ => Err(DecodeError::Bad(k)),
    }
}

/// Decodes a `futures-account-update` or `futures-account-snapshot` frame.
pub fn decode_account_push(frame: &[u8]) -> Result<AccountMsg<'_>, DecodeError> {
    let (mut m, mut e, mut t, mut acc, mut sn, mut id) = (None, None, None, None, None, None);
    let mut msg = AccountMsg {
        snapshot: false,
        event: "",
        ts: 0,
        seq: 0,
        account: "",
        request_id: "",
        col: EMPTY,
        pos: EMPTY,
    };
    let mut rdr = json::ObjectReader::new(frame);
    let mut first = true;
    loop {
        let k = match rdr.next_key() {
            Ok(Some(k)) => k,
            Ok(None) => break,
            Err(JsonError::Unexpected { at: 0 }) if first => return Err(DecodeError::NotObject),
            Err(err) => return Err(err.into()),
        };
        first = false;
        let v = rdr.value()?;
        match k {
            b"m" => m = Some(v),
            b"e" => e = Some(v),
            b"t" => t = Some(v),
            b"acc" => acc = Some(v),
            b"sn" => sn = Some(v),
            b"id" => id = Some(v),
            b"col" => msg.col = array(v, "col")?,
            b"pos" => msg.pos = array(v, "pos")?,
            _ => {}
        }
    }
    msg.snapshot = match m.ok_or(DecodeError::Missing("m"))?.as_str_bytes() {
        Some(b"futures-account-update") => false,
        Some(b"futures-account-snapshot") => true,
        _ => return Err(DecodeError::Bad("m")),
    };
    msg.event = opt_text(e, "e")?;
    msg.ts = req_u64(t, "t")?;
    msg.seq = req_u64(sn, "sn")?;
    msg.account = opt_text(acc, "acc")?;
    msg.request_id = opt_text(id, "id")?;
    Ok(msg)
}

/// The REST position answer `{"code":0,"data":{"ac","accountId","collaterals":[..],"contracts":[..]}}`.
pub fn decode_position_answer(body: &[u8]) -> Result<AccountMsg<'_>, RestError> {
    let malformed = |e: DecodeError| RestError::Malformed(e.to_string());
    let Value::Obj(obj) = super::rest::scan_envelope(body)? else {
        return Err(malformed(DecodeError::Bad("data")));
    };
    let mut msg = AccountMsg {
        snapshot: true,
        event: "",
        ts: 0,
        seq: 0,
        account: "",
        request_id: "",
        col: EMPTY,
        pos: EMPTY,
    };
    for kv in json::fields(obj) {
        let (k, v) = kv.map_err(|e| malformed(e.into()))?;
        match k {
            b"accountId" => msg.account = text(v, "accountId").map_err(malformed)?,
            b"collaterals" => msg.col = array(v, "collaterals").map_err(malformed)?,
            b"contracts" => msg.pos = array(v, "contracts").map_err(malformed)?,
            _ => {}
        }
    }
    Ok(msg)
}

impl<'a> AccountMsg<'a> {
    /// Each collateral balance; an asset the scale table does not know is `Err(UnknownAsset)`.
    pub fn collaterals<'s, S: Scales>(
        &self,
        scales: &'s S,
    ) -> impl Iterator<Item = Result<CollateralBalance<'a>, DecodeError>> + use<'a, 's, S> {
        let mut rows = Rows::new(self.col, "col");
        std::iter::from_fn(move || collateral_row(&mut rows, scales))
    }

    /// Each position (the message's `ts` stamped on it); a contract the table does not know is
    /// `Err(UnknownSymbol)`.
    pub fn positions<'s, S: Scales>(
        &self,
        scales: &'s S,
    ) -> impl Iterator<Item = Result<PositionRow<'a>, DecodeError>> + use<'a, 's, S> {
        let ts = self.ts;
        let mut rows = Rows::new(self.pos, "pos");
        std::iter::from_fn(move || {
            let mut r = RawPos::default();
            let read = rows.next_row(|k, v| r.set(k, v))?;
            Some(read.and_then(|()| position_row(&r, scales, ts)))
        })
    }
}

fn collateral_row<'a, S: Scales>(
    rows: &mut Rows<'a>,
    scales: &S,
) -> Option<Result<CollateralBalance<'a>, DecodeError>> {
    let (mut a, mut b, mut f, mut p) = (None, None, None, None);
    let read = rows.next_row(|k, v| match k {
        b"a" | b"asset" => a = Some(v),
        b"b" | b"balance" => b = Some(v),
        b"f" | b"discountFactor" => f = Some(v),
        b"referencePrice" => p = Some(v),
        _ => {}
    })?;
    Some(read.and_then(|()| collateral_finish(scales, a, b, f, p)))
}

fn collateral_finish<'a, S: Scales>(
    scales: &S,
    a: Option<Value<'a>>,
    b: Option<Value<'a>>,
    f: Option<Value<'a>>,
    p: Option<Value<'a>>,
) -> Result<CollateralBalance<'a>, DecodeError> {
    let name = text(a.ok_or(DecodeError::Missing("a"))?, "a")?;
    let asset = scales
        .asset(name.as_bytes())
        .ok_or(DecodeError::UnknownAsset)?;
    let discount_factor = exact(f, "f")?;
    if discount_factor.is_some_and(|d| d.mantissa < 0) {
        return Err(DecodeError::Bad("f"));
    }
    Ok(CollateralBalance {
        name,
        asset: asset.id,
        // A balance may be negative (isolated margin taken beyond the USDT held, futures/_rest_prv_account_change_margin.md).
        balance: req_dec(b, asset.scale, "b")?,
        discount_factor,
        reference_price: exact(p, "referencePrice")?,
    })
}

/// `crossed` / `cross` / `isolated` (absent or empty: crossed, the exchange's default).
pub fn margin_type_of(b: &[u8]) -> Option<MarginType> {
    match b {
        b"crossed" | b"cross" | b"Crossed" | b"Cross" | b"" => Some(MarginType::Crossed),
        b"isolated" | b"Isolated" => Some(MarginType::Isolated),
        _ => None,
    }
}

#[derive(Default)]
struct RawPos<'a> {
    s: Option<Value<'a>>,
    sd: Option<Value<'a>>,
    pos: Option<Value<'a>>,
    rc: Option<Value<'a>>,
    up: Option<Value<'a>>,
    rp: Option<Value<'a>>,
    aop: Option<Value<'a>>,
    boon: Option<Value<'a>>,
    soon: Option<Value<'a>>,
    mt: Option<Value<'a>>,
    iw: Option<Value<'a>>,
    lev: Option<Value<'a>>,
    mp: Option<Value<'a>>,
    ip: Option<Value<'a>>,
}

impl<'a> RawPos<'a> {
    #[inline]
    fn set(&mut self, k: &[u8], v: Value<'a>) {
        let slot = match k {
            b"s" | b"symbol" => &mut self.s,
            b"sd" | b"side" => &mut self.sd,
            b"pos" | b"position" => &mut self.pos,
            b"rc" | b"referenceCost" => &mut self.rc,
            b"up" | b"unrealizedPnl" => &mut self.up,
            b"rp" | b"realizedPnl" => &mut self.rp,
            b"aop" | b"avgOpenPrice" => &mut self.aop,
            b"boon" | b"buyOpenOrderNotional" => &mut self.boon,
            b"soon" | b"sellOpenOrderNotional" => &mut self.soon,
            b"mt" | b"marginType" => &mut self.mt,
            b"iw" | b"isolatedMargin" => &mut self.iw,
            b"lev" | b"leverage" => &mut self.lev,
            b"markPrice" => &mut self.mp,
            b"indexPrice" => &mut self.ip,
            _ => return,
        };
        *slot = Some(v);
    }
}

fn position_row<'a, S: Scales>(
    r: &RawPos<'a>,
    scales: &S,
    ts: u64,
) -> Result<PositionRow<'a>, DecodeError> {
    let name = text(r.s.ok_or(DecodeError::Missing("s"))?, "s")?;
    let sc = scales
        .symbol(name.as_bytes())
        .ok_or(DecodeError::UnknownSymbol)?;
    let settle = sc.quote.scale;
    let raw_qty = req_dec(r.pos, sc.qty, "pos")?;
    let side = match r.sd {
        None => &b""[..],
        Some(v) => v.as_str_bytes().ok_or(DecodeError::Bad("sd"))?,
    };
    let qty = match side {
        b"LONG" | b"Long" if raw_qty < 0 => return Err(DecodeError::Bad("sd")),
        b"SHORT" | b"Short" if raw_qty > 0 => -raw_qty,
        b"LONG" | b"Long" | b"SHORT" | b"Short" | b"NULL_VAL" | b"" => raw_qty,
        _ => return Err(DecodeError::Bad("sd")),
    };
    let mt = match r.mt {
        None => MarginType::Crossed,
        Some(v) => margin_type_of(v.as_str_bytes().ok_or(DecodeError::Bad("mt"))?)
            .ok_or(DecodeError::Bad("mt"))?,
    };
    let avg_open_exact = exact(r.aop, "aop")?.unwrap_or(Dec::new(0, 0));
    if avg_open_exact.mantissa < 0 {
        return Err(DecodeError::Bad("aop"));
    }
    let money = |v, k| dec_round(v, settle, k).map(|o| o.unwrap_or(0));
    let isolated_margin = money(r.iw, "iw")?;
    if isolated_margin < 0 {
        return Err(DecodeError::Bad("iw"));
    }
    let positive = |d: Option<Dec>| d.filter(|d| d.mantissa > 0);
    Ok(PositionRow {
        name,
        position: Position {
            symbol: sc.id,
            qty,
            avg_open_price: dec_round(r.aop, sc.price, "aop")?.unwrap_or(0),
            realized_pnl: money(r.rp, "rp")?,
            unrealized_pnl: money(r.up, "up")?,
            leverage: leverage(r.lev, "lev")?,
            margin_type: mt,
            isolated_margin,
            ts,
        },
        avg_open_exact,
        reference_cost: money(r.rc, "rc")?,
        buy_open_notional: money(r.boon, "boon")?,
        sell_open_notional: money(r.soon, "soon")?,
        mark_price: positive(exact(r.mp, "markPrice")?),
        index_price: positive(exact(r.ip, "indexPrice")?),
    })
}

/// The free-margin answer: per collateral asset what may leave the account, the crossed group's free margin,
/// and each isolated position's. Exact decimals (figures for display and checks, not order prices).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeMargin {
    /// (asset, availableForTransfer).
    pub collaterals: Vec<(String, Dec)>,
    pub crossed: Dec,
    /// (contract, freeMargin).
    pub isolated: Vec<(String, Dec)>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FreeMarginJson {
    #[serde(default)]
    collaterals: Vec<AvailJson>,
    #[serde(default)]
    crossed: Option<FreeJson>,
    #[serde(default)]
    isolated: Vec<FreeJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AvailJson {
    asset: String,
    available_for_transfer: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FreeJson {
    free_margin: String,
    #[serde(default)]
    symbol: String,
}

/// `GET /<g>/api/pro/v2/futures/free-margin`.
pub fn parse_free_margin(body: &[u8]) -> Result<FreeMargin, RestError> {
    let j: FreeMarginJson = serde_json::from_value(super::rest::envelope(body)?)
        .map_err(|e| RestError::Malformed(e.to_string()))?;
    let d = |field: &'static str, s: &str| {
        Dec::parse(s.as_bytes()).map_err(|error| RestError::Decimal { field, error })
    };
    Ok(FreeMargin {
        collaterals: j
            .collaterals
            .iter()
            .map(|c| {
                Ok((
                    c.asset.clone(),
                    d("availableForTransfer", &c.available_for_transfer)?,
                ))
            })
            .collect::<Result<_, RestError>>()?,
        crossed: match &j.crossed {
            Some(c) => d("freeMargin", &c.free_margin)?,
            None => Dec::new(0, 0),
        },
        isolated: j
            .isolated
            .iter()
            .map(|c| Ok((c.symbol.clone(), d("freeMargin", &c.free_margin)?)))
            .collect::<Result<_, RestError>>()?,
    })
}
