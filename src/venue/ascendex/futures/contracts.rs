//! Contract rules from `GET /api/pro/v2/futures/contract` and collateral assets from `GET .../futures/collateral`
//! (serde: start-up only), and the contract symbol aliases.
//!
//! A contract row becomes the same [`SymbolRules`] spot uses (so quantization, `order place` exit codes and the
//! scale table are shared): price scale and tick from `priceFilter.tickSize`, quantity scale and lot from
//! `lotSizeFilter.lotSize`, `minQty`/`maxQty`; futures have no notional limits (min 0, max unbounded), and the
//! price band (`minPrice`/`maxPrice`) is kept beside the rules in [`Contract`]. `base` is the underlying's base
//! (`BTC` of `BTC/USDT`), `quote` the settlement asset (`USDT`): PnL, fees and margins are in it.
//!
//! Margin tiers: each `marginRequirements` row is a position-notional band (settlement asset) with its initial and
//! maintenance margin rates, kept as exact decimals. The docs spell the bounds `positionNotionalLowerbound`, the
//! real rows (ccxt fixture) `positionNotionalLowerBound`: both are read. The bands must start at 0, be contiguous
//! and ascending, and have `0 ≤ maintenance ≤ initial ≤ 1`; a table that is not is refused (a liquidation estimate
//! from it would be wrong).

use std::fmt;

use serde::Deserialize;

use crate::orders::SymbolId;
use crate::orders::rules::{MarketStatus, RulesTable, SymbolRules, rescale_i128};
use crate::orders::scaled::{Dec, Round, ScaledError};
use crate::venue::ascendex::rest::trading::RestError;

use super::rest::envelope;

/// Why a contract or collateral answer could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractError {
    /// The envelope (`code`, `data`) is wrong or the exchange refused.
    Rest(RestError),
    /// A numeric field is malformed or does not fit.
    BadField {
        symbol: String,
        field: &'static str,
        error: ScaledError,
    },
    /// `tickSize` or `lotSize` is zero or negative.
    NonPositiveStep { symbol: String, field: &'static str },
    /// The margin tiers are not contiguous ascending bands with sensible rates.
    BadTiers { symbol: String, why: &'static str },
}

impl fmt::Display for ContractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContractError::Rest(e) => e.fmt(f),
            ContractError::BadField {
                symbol,
                field,
                error,
            } => write!(f, "contract {symbol}: field {field}: {error}"),
            ContractError::NonPositiveStep { symbol, field } => {
                write!(f, "contract {symbol}: {field} must be positive")
            }
            ContractError::BadTiers { symbol, why } => {
                write!(f, "contract {symbol}: margin requirements: {why}")
            }
        }
    }
}

impl std::error::Error for ContractError {}

impl From<RestError> for ContractError {
    fn from(e: RestError) -> Self {
        ContractError::Rest(e)
    }
}

/// One margin tier: positions whose notional (|qty| × mark, settlement asset) is in `[lower, upper)` need
/// `initial_rate` of it to open and `maintenance_rate` to stay open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarginTier {
    pub notional_lower: Dec,
    pub notional_upper: Dec,
    pub initial_rate: Dec,
    pub maintenance_rate: Dec,
}

/// One perpetual contract: its trading rules (shared with spot) plus what only futures have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    /// `symbol` is the exchange's id (`BTC-PERP`).
    pub rules: SymbolRules,
    /// `BTC/USDT`.
    pub underlying: String,
    /// `USDT`.
    pub settlement_asset: String,
    /// `BTCUSDT` (the web page's name).
    pub display_name: String,
    pub trading_start_ms: i64,
    /// Price band at the price scale (`minPrice` rounds up, `maxPrice` down).
    pub min_price: i64,
    pub max_price: i64,
    /// Ascending, contiguous, starting at 0 (checked).
    pub tiers: Vec<MarginTier>,
}

impl Contract {
    /// ccxt's unified name for the contract: `BASE/QUOTE:SETTLE` (`BTC/USDT:USDT`).
    pub fn unified_symbol(&self) -> String {
        format!("{}:{}", self.underlying, self.settlement_asset)
    }

    /// The tier a position of notional `notional` (settlement asset, any scale) falls in; the last tier for
    /// anything beyond the table (the exchange refuses such positions, the estimate stays defined).
    pub fn tier_for(&self, notional: Dec) -> Option<&MarginTier> {
        self.tiers
            .iter()
            .find(|t| dec_lt(notional, t.notional_upper))
            .or(self.tiers.last())
    }
}

/// `a < b` exactly, whatever their scales.
pub(crate) fn dec_lt(a: Dec, b: Dec) -> bool {
    let s = a.scale.max(b.scale);
    let up =
        |d: Dec| crate::orders::scaled::pow10(s - d.scale).map(|f| d.mantissa as i128 * f as i128);
    match (up(a), up(b)) {
        (Some(x), Some(y)) => x < y,
        _ => false,
    }
}

/// A contract symbol as the user may type it: the exchange's id (`BTC-PERP`) or ccxt's (`BTC/USDT:USDT`).
/// Table-free: `BASE/QUOTE:SETTLE` maps to `BASE-PERP` (AscendEX lists one USDT-settled perpetual per base, ids
/// `<BASE>-PERP`). `None` for anything else (a spot symbol such as `BTC/USDT`).
pub fn contract_id_of(symbol: &str) -> Option<String> {
    if let Some(base) = symbol.strip_suffix("-PERP") {
        return (!base.is_empty() && base.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| symbol.to_string());
    }
    let (pair, settle) = symbol.split_once(':')?;
    let (base, quote) = pair.split_once('/')?;
    let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    (word(base) && word(quote) && word(settle)).then(|| format!("{base}-PERP"))
}

/// Every contract by id, with the rules as a [`RulesTable`] (the same [`SymbolId`]s) for the scale table.
#[derive(Debug, Clone, Default)]
pub struct ContractTable {
    pub rules: RulesTable,
    contracts: Vec<Contract>,
}

impl ContractTable {
    pub fn insert(&mut self, c: Contract) -> SymbolId {
        let id = self.rules.insert(c.rules.clone());
        match self.contracts.get_mut(id.0 as usize) {
            Some(slot) => *slot = c,
            None => self.contracts.push(c),
        }
        id
    }

    pub fn get(&self, id: SymbolId) -> Option<&Contract> {
        self.contracts.get(id.0 as usize)
    }

    /// By exchange id (`BTC-PERP`) or unified name (`BTC/USDT:USDT`), matched against the rows themselves.
    pub fn resolve(&self, symbol: &str) -> Option<(SymbolId, &Contract)> {
        if let Some(id) = self.rules.id(symbol) {
            return self.get(id).map(|c| (id, c));
        }
        let (pair, settle) = symbol.split_once(':')?;
        self.contracts
            .iter()
            .enumerate()
            .find(|(_, c)| c.underlying == pair && c.settlement_asset == settle)
            .map(|(i, c)| (SymbolId(i as u16), c))
    }

    pub fn iter(&self) -> impl Iterator<Item = (SymbolId, &Contract)> {
        self.contracts
            .iter()
            .enumerate()
            .map(|(i, c)| (SymbolId(i as u16), c))
    }

    pub fn len(&self) -> usize {
        self.contracts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.contracts.is_empty()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PriceFilter {
    #[serde(default)]
    min_price: Option<String>,
    #[serde(default)]
    max_price: Option<String>,
    tick_size: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LotSizeFilter {
    #[serde(default)]
    min_qty: Option<String>,
    #[serde(default)]
    max_qty: Option<String>,
    lot_size: String,
}

#[derive(Deserialize)]
struct TierRow {
    #[serde(
        rename = "positionNotionalLowerBound",
        alias = "positionNotionalLowerbound"
    )]
    lower: String,
    #[serde(
        rename = "positionNotionalUpperBound",
        alias = "positionNotionalUpperbound"
    )]
    upper: String,
    #[serde(rename = "initialMarginRate")]
    initial: String,
    #[serde(rename = "maintenanceMarginRate")]
    maintenance: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContractRow {
    symbol: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    settlement_asset: Option<String>,
    #[serde(default)]
    underlying: Option<String>,
    #[serde(default)]
    trading_start_time: Option<i64>,
    price_filter: PriceFilter,
    lot_size_filter: LotSizeFilter,
    #[serde(default)]
    margin_requirements: Vec<TierRow>,
}

/// Trailing zeros dropped: a step's scale is its own significant decimals (`"0.10"` is scale 1).
fn normalize(mut d: Dec) -> Dec {
    while d.scale > 0 && d.mantissa % 10 == 0 {
        d.mantissa /= 10;
        d.scale -= 1;
    }
    d
}

impl Contract {
    /// One contract row (an element of the answer's `data`, or a ccxt market's `info`).
    pub fn from_row_json(row: &[u8]) -> Result<Contract, ContractError> {
        let r: ContractRow = serde_json::from_slice(row)
            .map_err(|e| ContractError::Rest(RestError::Malformed(e.to_string())))?;
        Contract::from_row(r)
    }

    fn from_row(r: ContractRow) -> Result<Contract, ContractError> {
        let sym = r.symbol.clone();
        let bad = |field: &'static str, error: ScaledError| ContractError::BadField {
            symbol: sym.clone(),
            field,
            error,
        };
        let parse = |field: &'static str, s: &str| {
            Dec::parse(s.as_bytes())
                .map(normalize)
                .map_err(|e| bad(field, e))
        };
        let tick = parse("tickSize", &r.price_filter.tick_size)?;
        let lot = parse("lotSize", &r.lot_size_filter.lot_size)?;
        for (field, d) in [("tickSize", tick), ("lotSize", lot)] {
            if d.mantissa <= 0 {
                return Err(ContractError::NonPositiveStep {
                    symbol: sym.clone(),
                    field,
                });
            }
        }
        let (ps, qs) = (tick.scale, lot.scale);
        let at = |field: &'static str, v: &Option<String>, scale: u8, round: Round, dflt: i64| {
            let Some(s) = v.as_deref().filter(|s| !s.is_empty()) else {
                return Ok(dflt);
            };
            let d = parse(field, s)?;
            if d.mantissa < 0 {
                return Err(bad(field, ScaledError::Invalid));
            }
            let v = rescale_i128(d, scale, round).ok_or(bad(field, ScaledError::Overflow))?;
            // A limit beyond 64 bits at the scale is no limit at all.
            Ok(i64::try_from(v).unwrap_or(i64::MAX))
        };
        let min_qty = at("minQty", &r.lot_size_filter.min_qty, qs, Round::Ceil, 0)?;
        let max_qty = at(
            "maxQty",
            &r.lot_size_filter.max_qty,
            qs,
            Round::Floor,
            i64::MAX,
        )?;
        let min_price = at("minPrice", &r.price_filter.min_price, ps, Round::Ceil, 0)?;
        let max_price = at(
            "maxPrice",
            &r.price_filter.max_price,
            ps,
            Round::Floor,
            i64::MAX,
        )?;
        let underlying = r.underlying.unwrap_or_default();
        let settlement_asset = r.settlement_asset.unwrap_or_default();
        let base = underlying
            .split_once('/')
            .map(|(b, _)| b.to_string())
            .or_else(|| sym.strip_suffix("-PERP").map(str::to_string))
            .unwrap_or_default();
        let mut tiers = Vec::with_capacity(r.margin_requirements.len());
        for t in &r.margin_requirements {
            tiers.push(MarginTier {
                notional_lower: parse("positionNotionalLowerBound", &t.lower)?,
                notional_upper: parse("positionNotionalUpperBound", &t.upper)?,
                initial_rate: parse("initialMarginRate", &t.initial)?,
                maintenance_rate: parse("maintenanceMarginRate", &t.maintenance)?,
            });
        }
        check_tiers(&sym, &tiers)?;
        let status = match r.status.as_deref() {
            Some("Normal") => MarketStatus::Normal,
            other => MarketStatus::Other(other.unwrap_or("").to_string()),
        };
        Ok(Contract {
            rules: SymbolRules {
                symbol: sym.clone(),
                base,
                quote: settlement_asset.clone(),
                price_scale: ps,
                qty_scale: qs,
                tick: tick.mantissa,
                lot: lot.mantissa,
                min_qty,
                max_qty,
                min_notional: 0,
                max_notional: i128::MAX,
                status,
            },
            underlying,
            settlement_asset,
            display_name: r.display_name.unwrap_or_default(),
            trading_start_ms: r.trading_start_time.unwrap_or(0),
            min_price,
            max_price,
            tiers,
        })
    }
}

fn check_tiers(symbol: &str, tiers: &[MarginTier]) -> Result<(), ContractError> {
    let fail = |why| {
        Err(ContractError::BadTiers {
            symbol: symbol.to_string(),
            why,
        })
    };
    let one = Dec::new(1, 0);
    let zero = Dec::new(0, 0);
    for (i, t) in tiers.iter().enumerate() {
        if i == 0 && t.notional_lower.mantissa != 0 {
            return fail("the first band does not start at 0");
        }
        if let Some(prev) = i.checked_sub(1).and_then(|p| tiers.get(p))
            && (dec_lt(prev.notional_upper, t.notional_lower)
                || dec_lt(t.notional_lower, prev.notional_upper))
        {
            return fail("bands are not contiguous");
        }
        if !dec_lt(t.notional_lower, t.notional_upper) {
            return fail("a band's upper bound is not above its lower bound");
        }
        if dec_lt(t.maintenance_rate, zero)
            || dec_lt(t.initial_rate, t.maintenance_rate)
            || dec_lt(one, t.initial_rate)
        {
            return fail("rates are not 0 <= maintenance <= initial <= 1");
        }
    }
    Ok(())
}

/// The contracts answer `{"code":0,"data":[row,...]}`.
pub fn parse_contracts(body: &[u8]) -> Result<ContractTable, ContractError> {
    let data = envelope(body)?;
    let rows: Vec<ContractRow> = match data {
        serde_json::Value::Null => Vec::new(),
        v => serde_json::from_value(v)
            .map_err(|e| ContractError::Rest(RestError::Malformed(e.to_string())))?,
    };
    let mut t = ContractTable::default();
    for r in rows {
        t.insert(Contract::from_row(r)?);
    }
    Ok(t)
}

/// One collateral asset: what it counts for as margin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollateralAsset {
    pub asset: String,
    pub asset_name: String,
    pub display_name: String,
    /// Conversion factor to the settlement asset (exact).
    pub conversion_factor: Dec,
    /// Haircut applied to its value as margin (exact).
    pub discount_factor: Dec,
    /// `Normal`, `NoTransaction`, ...
    pub status: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CollateralRow {
    asset: String,
    #[serde(default)]
    asset_name: String,
    #[serde(default)]
    display_name: String,
    conversion_factor: String,
    discount_factor: String,
    #[serde(default)]
    status_code: String,
}

/// The collateral answer `{"code":0,"data":[{asset,assetName,conversionFactor,discountFactor,...}]}`.
pub fn parse_collateral(body: &[u8]) -> Result<Vec<CollateralAsset>, ContractError> {
    let rows: Vec<CollateralRow> = serde_json::from_value(envelope(body)?)
        .map_err(|e| ContractError::Rest(RestError::Malformed(e.to_string())))?;
    rows.into_iter()
        .map(|r| {
            let p = |field: &'static str, s: &str| {
                Dec::parse(s.as_bytes()).map_err(|error| ContractError::BadField {
                    symbol: r.asset.clone(),
                    field,
                    error,
                })
            };
            Ok(CollateralAsset {
                conversion_factor: p("conversionFactor", &r.conversion_factor)?,
                discount_factor: p("discountFactor", &r.discount_factor)?,
                asset: r.asset.clone(),
                asset_name: r.asset_name,
                display_name: r.display_name,
                status: r.status_code,
            })
        })
        .collect()
}
