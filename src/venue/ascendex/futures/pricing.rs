//! `futures-pricing-data` pushes and the REST `GET /api/pro/v2/futures/pricing-data` answer → core [`Pricing`]
//! per contract and [`CollateralPrice`] per collateral asset. Allocation-free on the borrowed bytes: the decoder
//! checks the envelope and hands out the two arrays; their rows decode lazily, one error per bad row (the other
//! rows still come, so one unknown contract does not hide the rest).
//!
//! Both spellings are read by the same row decoder: the push's short keys (`s,t,ip,mp,r,oi,f` / `a,p`) and the
//! REST answer's long ones (`symbol,time,indexPrice,markPrice,fundingRate,openInterest,nextFundingTime` /
//! `asset,referencePrice`). The `m` enum of the docs lists `futures-pricing-data-batch` while the channel page
//! shows `futures-pricing-data` (README §13.11): both are accepted. Every contract field is required; figures
//! stay exact at their own scale ([`Dec`]), since a mark price has more decimals than the tick.

use crate::orders::scaled::Dec;
use crate::strategy::events::{CollateralPrice, Pricing};
use crate::venue::ascendex::rest::trading::RestError;
use crate::venue::ascendex::stream::trading::json::{self, JsonError, Value};
use crate::venue::ascendex::stream::trading::{DecodeError, Scales};

use super::wire::{Rows, req_exact, req_u64, text};

/// The two arrays of one pricing message or answer; iterate [`contracts`](PricingMsg::contracts) and
/// [`collaterals`](PricingMsg::collaterals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricingMsg<'a> {
    /// The `con` / `contracts` array text (`[]` when absent).
    pub con: &'a [u8],
    /// The `col` / `collaterals` array text (`[]` when absent).
    pub col: &'a [u8],
}

/// One contract's pricing with the name it came under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricingRow<'a> {
    pub name: &'a str,
    pub pricing: Pricing,
}

/// One collateral asset's reference price with its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollateralRow<'a> {
    pub name: &'a str,
    pub price: CollateralPrice,
}

const EMPTY: &[u8] = b"[]";

fn array<'a>(v: Value<'a>, k: &'static str) -> Result<&'a [u8], DecodeError> {
    match v {
        Value::Arr(a) => Ok(a),
        Value::Null => Ok(EMPTY),
        _ => Err(DecodeError::Bad(k)),
    }
}

/// A `futures-pricing-data` push. Anything else (another `m`, not an object) is an error.
pub fn decode_pricing_push(frame: &[u8]) -> Result<PricingMsg<'_>, DecodeError> {
    let mut m = None;
    let mut msg = PricingMsg {
        con: EMPTY,
        col: EMPTY,
    };
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
            b"con" => msg.con = array(v, "con")?,
            b"col" => msg.col = array(v, "col")?,
            _ => {}
        }
    }
    match m.ok_or(DecodeError::Missing("m"))?.as_str_bytes() {
        Some(b"futures-pricing-data") | Some(b"futures-pricing-data-batch") => Ok(msg),
        _ => Err(DecodeError::Bad("m")),
    }
}

/// The REST answer `{"code":0,"data":{"contracts":[..],"collaterals":[..]}}`. A refusal is
/// [`RestError::Exchange`]; a malformed answer [`RestError::Malformed`] (the only allocations: on error).
pub fn decode_pricing_answer(body: &[u8]) -> Result<PricingMsg<'_>, RestError> {
    let malformed = |e: DecodeError| RestError::Malformed(e.to_string());
    let data = super::rest::scan_envelope(body)?;
    let Value::Obj(obj) = data else {
        return Err(malformed(DecodeError::Bad("data")));
    };
    let mut msg = PricingMsg {
        con: EMPTY,
        col: EMPTY,
    };
    for kv in json::fields(obj) {
        let (k, v) = kv.map_err(|e| malformed(e.into()))?;
        match k {
            b"contracts" => msg.con = array(v, "contracts").map_err(malformed)?,
            b"collaterals" => msg.col = array(v, "collaterals").map_err(malformed)?,
            _ => {}
        }
    }
    Ok(msg)
}

impl<'a> PricingMsg<'a> {
    /// Each contract row; a contract the scale table does not know is `Err(UnknownSymbol)`.
    pub fn contracts<'s, S: Scales>(
        &self,
        scales: &'s S,
    ) -> impl Iterator<Item = Result<PricingRow<'a>, DecodeError>> + use<'a, 's, S> {
        let mut rows = Rows::new(self.con, "con");
        std::iter::from_fn(move || contract_row(&mut rows, scales))
    }

    /// Each collateral row; an asset the scale table does not know is `Err(UnknownAsset)`.
    pub fn collaterals<'s, S: Scales>(
        &self,
        scales: &'s S,
    ) -> impl Iterator<Item = Result<CollateralRow<'a>, DecodeError>> + use<'a, 's, S> {
        let mut rows = Rows::new(self.col, "col");
        std::iter::from_fn(move || collateral_row(&mut rows, scales))
    }
}

fn contract_row<'a, S: Scales>(
    rows: &mut Rows<'a>,
    scales: &S,
) -> Option<Result<PricingRow<'a>, DecodeError>> {
    let (mut s, mut t, mut ip, mut mp, mut r, mut oi, mut f) =
        (None, None, None, None, None, None, None);
    let read = rows.next_row(|k, v| {
        let slot = match k {
            b"s" | b"symbol" => &mut s,
            b"t" | b"time" => &mut t,
            b"ip" | b"indexPrice" => &mut ip,
            b"mp" | b"markPrice" => &mut mp,
            b"r" | b"fundingRate" => &mut r,
            b"oi" | b"openInterest" => &mut oi,
            b"f" | b"nextFundingTime" => &mut f,
            _ => return,
        };
        *slot = Some(v);
    })?;
    Some(read.and_then(|()| contract_finish(scales, s, t, ip, mp, r, oi, f)))
}

#[allow(clippy::too_many_arguments)]
fn contract_finish<'a, S: Scales>(
    scales: &S,
    s: Option<Value<'a>>,
    t: Option<Value<'a>>,
    ip: Option<Value<'a>>,
    mp: Option<Value<'a>>,
    r: Option<Value<'a>>,
    oi: Option<Value<'a>>,
    f: Option<Value<'a>>,
) -> Result<PricingRow<'a>, DecodeError> {
    let name = text(s.ok_or(DecodeError::Missing("s"))?, "s")?;
    let sc = scales
        .symbol(name.as_bytes())
        .ok_or(DecodeError::UnknownSymbol)?;
    let mark = req_exact(mp, "mp")?;
    let index = req_exact(ip, "ip")?;
    let open_interest = req_exact(oi, "oi")?;
    if mark.mantissa <= 0 {
        return Err(DecodeError::Bad("mp"));
    }
    if index.mantissa < 0 {
        return Err(DecodeError::Bad("ip"));
    }
    if open_interest.mantissa < 0 {
        return Err(DecodeError::Bad("oi"));
    }
    Ok(PricingRow {
        name,
        pricing: Pricing {
            symbol: sc.id,
            mark_price: mark,
            index_price: index,
            funding_rate: req_exact(r, "r")?,
            next_funding_ms: req_u64(f, "f")?,
            open_interest,
            ts: req_u64(t, "t")?,
        },
    })
}

fn collateral_row<'a, S: Scales>(
    rows: &mut Rows<'a>,
    scales: &S,
) -> Option<Result<CollateralRow<'a>, DecodeError>> {
    let (mut a, mut p) = (None, None);
    let read = rows.next_row(|k, v| match k {
        b"a" | b"asset" => a = Some(v),
        b"p" | b"referencePrice" => p = Some(v),
        _ => {}
    })?;
    Some(read.and_then(|()| collateral_finish(scales, a, p)))
}

fn collateral_finish<'a, S: Scales>(
    scales: &S,
    a: Option<Value<'a>>,
    p: Option<Value<'a>>,
) -> Result<CollateralRow<'a>, DecodeError> {
    let name = text(a.ok_or(DecodeError::Missing("a"))?, "a")?;
    let price: Dec = req_exact(p, "p")?;
    if price.mantissa < 0 {
        return Err(DecodeError::Bad("p"));
    }
    let asset = scales
        .asset(name.as_bytes())
        .ok_or(DecodeError::UnknownAsset)?;
    Ok(CollateralRow {
        name,
        price: CollateralPrice {
            asset: asset.id,
            price,
        },
    })
}
