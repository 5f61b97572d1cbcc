//! Trading rules from `GET /api/pro/v1/{cash,margin}/products` and quantization before anything is sent.
//!
//! Rules per symbol: `tickSize` (price step), `lotSize` (quantity step), `minQty`/`maxQty`, `minNotional`/
//! `maxNotional` (price × quantity, quote asset) and the trading status. Only `Normal` is tradable (ccxt's `active`
//! is the same test); anything else refuses orders with [`RuleError::NotTradable`].
//!
//! Quantization (what [`SymbolRules::quantize`] does, before any check):
//! - quantity floors to the lot: never more than asked;
//! - a limit price rounds to the tick on the side that is never worse for us: a buy rounds **down**, a sell
//!   **up**. For a maker that is away from the spread, so a post-only order never crosses because of rounding; for
//!   a taker (IOC/FOK or a marketable GTC limit) the caller's price stays a hard limit (a buy never pays more, a
//!   sell never receives less), at the cost of possibly not filling when the price sat between ticks;
//! - a market order has no price: the caller passes a reference price (the opposite side's best) used only for
//!   the notional checks, so a market order below `minNotional` is refused here rather than by the exchange.
//!
//! Then every limit is checked and a violation is a typed error: nothing is sent.
//!
//! The products response is read by `rest::market` (one parser for market data and trading); the rules are built
//! from its [`Product`] rows.

use std::fmt;

use crate::num::NumError;
use crate::orders::scaled::{Dec, Round, ScaledError};
use crate::venue::ascendex::rest::market::{self as rest_market, Product, RestMarketError};

use crate::orders::rules::rescale_i128;
pub use crate::orders::rules::{
    MarketStatus, PriceSpec, Quantized, RuleError, RulesTable, SymbolRules,
};

/// The exchange's `status` field: only `Normal` trades.
fn market_status(s: Option<&str>) -> MarketStatus {
    match s {
        Some("Normal") => MarketStatus::Normal,
        Some(other) => MarketStatus::Other(other.to_string()),
        None => MarketStatus::Other(String::new()),
    }
}

/// Why a product row could not become rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesError {
    /// A numeric field is malformed or out of range.
    BadField {
        symbol: String,
        field: &'static str,
        error: ScaledError,
    },
    /// tickSize or lotSize is zero or negative.
    NonPositiveStep { symbol: String, field: &'static str },
    /// The products response is not `{"code":0,"data":[...]}`.
    BadResponse(String),
    /// The exchange answered with an error code.
    Exchange { code: i64, message: String },
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RulesError::BadField {
                symbol,
                field,
                error,
            } => write!(f, "product {symbol}: field {field}: {error}"),
            RulesError::NonPositiveStep { symbol, field } => {
                write!(f, "product {symbol}: {field} must be positive")
            }
            RulesError::BadResponse(e) => write!(f, "products response malformed: {e}"),
            RulesError::Exchange { code, message } => {
                write!(f, "products request refused: code {code}: {message}")
            }
        }
    }
}

impl std::error::Error for RulesError {}

/// A products-response failure in the rules' terms, naming the symbol when a row is at fault.
fn rules_error(symbol: Option<&str>, e: RestMarketError) -> RulesError {
    let symbol = || symbol.unwrap_or("").to_string();
    match e {
        // A zero step is refused by the parser as a bad scale, a negative one by its sign.
        RestMarketError::Number {
            field: field @ ("tickSize" | "lotSize"),
            err: NumError::BadScale | NumError::Sign,
            ..
        } => RulesError::NonPositiveStep {
            symbol: symbol(),
            field,
        },
        RestMarketError::Number { field, err, .. } => RulesError::BadField {
            symbol: symbol(),
            field,
            error: match err {
                NumError::Empty => ScaledError::Empty,
                NumError::TooPrecise => ScaledError::TooPrecise,
                NumError::Overflow => ScaledError::Overflow,
                NumError::BadScale => ScaledError::BadScale,
                NumError::Sign
                | NumError::Exponent
                | NumError::Invalid
                | NumError::BufferTooSmall => ScaledError::Invalid,
            },
        },
        RestMarketError::Exchange { code, message, .. } => RulesError::Exchange { code, message },
        RestMarketError::Json(e) => RulesError::BadResponse(e),
        other => RulesError::BadResponse(other.to_string()),
    }
}

fn dec_of(d: crate::num::Decimal) -> Dec {
    Dec::new(d.mantissa, d.scale.decimals())
}

impl SymbolRules {
    /// The rules of one product row as `rest::market` parsed it.
    pub fn from_product(p: &Product) -> Result<SymbolRules, RulesError> {
        let sym = &p.symbol;
        let bad = |field: &'static str, error: ScaledError| RulesError::BadField {
            symbol: sym.clone(),
            field,
            error,
        };
        // A step's scale is its own decimals (trailing zeros do not count), its mantissa the step at that scale.
        let price_scale = p.tick.scale.decimals();
        let qty_scale = p.lot.scale.decimals();
        let (tick, lot) = (p.tick.mantissa, p.lot.mantissa);
        if tick <= 0 {
            return Err(RulesError::NonPositiveStep {
                symbol: sym.clone(),
                field: "tickSize",
            });
        }
        if lot <= 0 {
            return Err(RulesError::NonPositiveStep {
                symbol: sym.clone(),
                field: "lotSize",
            });
        }
        let at = |field: &'static str,
                  v: Option<crate::num::Decimal>,
                  scale: u8,
                  round: Round,
                  default: i128| {
            let Some(v) = v else { return Ok(default) };
            rescale_i128(dec_of(v), scale, round).ok_or(bad(field, ScaledError::Overflow))
        };
        let ns = price_scale + qty_scale;
        let min_qty = at("minQty", p.min_qty, qty_scale, Round::Ceil, 0)?;
        let max_qty = at(
            "maxQty",
            p.max_qty,
            qty_scale,
            Round::Floor,
            i64::MAX as i128,
        )?;
        let min_notional = at("minNotional", p.min_notional, ns, Round::Ceil, 0)?;
        let max_notional = at("maxNotional", p.max_notional, ns, Round::Floor, i128::MAX)?;
        let (b, q) = sym.split_once('/').unwrap_or((sym.as_str(), ""));
        Ok(SymbolRules {
            symbol: sym.clone(),
            base: p.base.clone().unwrap_or_else(|| b.to_string()),
            quote: p.quote.clone().unwrap_or_else(|| q.to_string()),
            price_scale,
            qty_scale,
            tick,
            lot,
            min_qty: i64::try_from(min_qty).map_err(|_| bad("minQty", ScaledError::Overflow))?,
            max_qty: i64::try_from(max_qty.min(i64::MAX as i128)).unwrap_or(i64::MAX),
            min_notional,
            max_notional,
            status: market_status(Some(p.status.as_str())),
        })
    }

    /// The rules of one product object (`{"symbol":..,"tickSize":..,...}`, e.g. the `info` of a ccxt market).
    pub fn from_product_json(json: &[u8]) -> Result<SymbolRules, RulesError> {
        match rest_market::parse_product_object_row(json) {
            Ok(Ok(p)) => SymbolRules::from_product(&p),
            Ok(Err((symbol, e))) => Err(rules_error(Some(&symbol), e)),
            Err(e) => Err(rules_error(None, e)),
        }
    }
}

impl RulesTable {
    pub fn from_products(products: &[Product]) -> Result<RulesTable, RulesError> {
        let mut t = RulesTable::default();
        for p in products {
            t.insert(SymbolRules::from_product(p)?);
        }
        Ok(t)
    }

    /// Parses the whole products response `{"code":0,"data":[...]}` (numbers or strings for `code`) with
    /// `rest::market`'s parser.
    pub fn from_products_json(body: &[u8]) -> Result<RulesTable, RulesError> {
        let rows = match rest_market::parse_products_rows(body) {
            Ok(rows) => rows,
            // A success without rows is an empty table, not an error.
            Err(RestMarketError::MissingData) => Vec::new(),
            Err(e) => return Err(rules_error(None, e)),
        };
        let mut t = RulesTable::default();
        for row in rows {
            match row {
                Ok(p) => t.insert(SymbolRules::from_product(&p)?),
                Err((symbol, e)) => return Err(rules_error(Some(&symbol), e)),
            };
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::{Side, SymbolId};

    fn d(s: &str) -> Dec {
        Dec::parse(s.as_bytes()).unwrap()
    }

    fn btc() -> SymbolRules {
        // Real row from tests/fixtures/markets.json.
        SymbolRules::from_product_json(
            br#"{"symbol":"BTC/USDT","displayName":"BTC/USDT","domain":"USDS","tradingStartTime":1546329600000,
            "collapseDecimals":"1,0.1,0.01","minQty":"0.000000001","maxQty":"1000000000","minNotional":"5",
            "maxNotional":"400000","statusCode":"Normal","statusMessage":"","tickSize":"0.01","useTick":false,
            "lotSize":"0.00001","useLot":false,"commissionType":"Quote","commissionReserveRate":"0.001",
            "qtyScale":5,"priceScale":2,"notionalScale":4}"#,
        )
        .unwrap()
    }

    /// A symbol with round limits so every edge is easy to hit: tick 0.5, lot 0.1, qty 1..100, notional 10..1000.
    fn toy() -> SymbolRules {
        SymbolRules::from_product_json(
            br#"{"symbol":"TOY/USDT","status":"Normal","tickSize":"0.5","lotSize":"0.1","minQty":"1",
            "maxQty":"100","minNotional":"10","maxNotional":"1000"}"#,
        )
        .unwrap()
    }

    #[test]
    fn parses_real_row() {
        let r = btc();
        assert_eq!((r.price_scale, r.qty_scale, r.tick, r.lot), (2, 5, 1, 1));
        assert_eq!((r.base.as_str(), r.quote.as_str()), ("BTC", "USDT"));
        assert_eq!(r.min_qty, 1, "0.000000001 rounds up to one unit at scale 5");
        assert_eq!(r.max_qty, 1_000_000_000 * 100_000);
        assert_eq!(r.min_notional, 5 * 10i128.pow(7));
        assert_eq!(r.max_notional, 400_000 * 10i128.pow(7));
        assert!(r.status.is_tradable());
    }

    #[test]
    fn maker_prices_round_away_from_spread() {
        let r = toy();
        let q = d("10");
        let buy = r
            .quantize(Side::Buy, PriceSpec::Limit(d("10.74")), q)
            .unwrap();
        assert_eq!(
            (buy.price, buy.price_adjusted),
            (105, true),
            "buy 10.74 → 10.5"
        );
        let sell = r
            .quantize(Side::Sell, PriceSpec::Limit(d("10.26")), q)
            .unwrap();
        assert_eq!(
            (sell.price, sell.price_adjusted),
            (105, true),
            "sell 10.26 → 10.5"
        );
        let sell = r
            .quantize(Side::Sell, PriceSpec::Limit(d("10.01")), q)
            .unwrap();
        assert_eq!(sell.price, 105);
        // On the tick: unchanged, not flagged.
        let on = r
            .quantize(Side::Buy, PriceSpec::Limit(d("10.50")), q)
            .unwrap();
        assert_eq!((on.price, on.price_adjusted), (105, false));
        // Finer than the price scale.
        let buy = r
            .quantize(Side::Buy, PriceSpec::Limit(d("10.9999")), q)
            .unwrap();
        assert_eq!(buy.price, 105);
        let sell = r
            .quantize(Side::Sell, PriceSpec::Limit(d("10.0001")), q)
            .unwrap();
        assert_eq!(sell.price, 105);
    }

    #[test]
    fn qty_floors_to_lot() {
        let r = toy();
        let p = PriceSpec::Limit(d("10"));
        let x = r.quantize(Side::Buy, p, d("5.19")).unwrap();
        assert_eq!((x.qty, x.qty_adjusted), (51, true));
        let x = r.quantize(Side::Buy, p, d("5.1")).unwrap();
        assert_eq!((x.qty, x.qty_adjusted), (51, false));
        let x = r.quantize(Side::Buy, p, d("5.10")).unwrap();
        assert!(!x.qty_adjusted, "trailing zero is not an adjustment");
    }

    #[test]
    fn min_max_qty_edges() {
        let r = toy();
        let p = PriceSpec::Limit(d("20"));
        assert_eq!(
            r.quantize(Side::Buy, p, d("1")).unwrap().qty,
            10,
            "exactly min"
        );
        assert_eq!(
            r.quantize(Side::Buy, p, d("0.9")),
            Err(RuleError::BelowMinQty { min: 10, got: 9 }),
            "one lot below"
        );
        assert_eq!(
            r.quantize(Side::Buy, p, d("0.99")),
            Err(RuleError::BelowMinQty { min: 10, got: 9 })
        );
        assert_eq!(
            r.quantize(Side::Buy, p, d("0.05")),
            Err(RuleError::BelowMinQty { min: 10, got: 0 })
        );
        let p = PriceSpec::Limit(d("10"));
        assert_eq!(
            r.quantize(Side::Buy, p, d("100")).unwrap().qty,
            1000,
            "exactly max"
        );
        assert_eq!(
            r.quantize(Side::Buy, p, d("100.09")).unwrap().qty,
            1000,
            "floors back to max"
        );
        assert_eq!(
            r.quantize(Side::Buy, p, d("100.1")),
            Err(RuleError::AboveMaxQty {
                max: 1000,
                got: 1001
            })
        );
        assert_eq!(
            r.quantize(Side::Buy, p, d("-1")),
            Err(RuleError::NegativeQty)
        );
    }

    #[test]
    fn notional_edges() {
        let r = toy();
        // notional scale 2: 10 USDT = 1000.
        let x = r
            .quantize(Side::Buy, PriceSpec::Limit(d("10")), d("1"))
            .unwrap();
        assert_eq!(x.notional, 1000, "exactly min notional");
        assert_eq!(
            r.quantize(Side::Buy, PriceSpec::Limit(d("9.5")), d("1")),
            Err(RuleError::BelowMinNotional {
                min: 1000,
                got: 950
            }),
            "one tick below"
        );
        // A buy at 10.4 rounds down to 10.0: still exactly min.
        assert!(
            r.quantize(Side::Buy, PriceSpec::Limit(d("10.4")), d("1"))
                .is_ok()
        );
        // A buy at 9.99 rounds to 9.5 and fails; a sell at 9.99 rounds up to 10 and passes.
        assert!(
            r.quantize(Side::Buy, PriceSpec::Limit(d("9.99")), d("1"))
                .is_err()
        );
        assert!(
            r.quantize(Side::Sell, PriceSpec::Limit(d("9.99")), d("1"))
                .is_ok()
        );
        let x = r
            .quantize(Side::Sell, PriceSpec::Limit(d("20")), d("50"))
            .unwrap();
        assert_eq!(x.notional, 100_000, "exactly max notional");
        assert_eq!(
            r.quantize(Side::Sell, PriceSpec::Limit(d("20")), d("50.1")),
            Err(RuleError::AboveMaxNotional {
                max: 100_000,
                got: 100_200
            })
        );
    }

    #[test]
    fn market_orders_use_reference_for_notional() {
        let r = toy();
        let x = r
            .quantize(
                Side::Buy,
                PriceSpec::Market { reference: d("10") },
                d("1.05"),
            )
            .unwrap();
        assert_eq!((x.price, x.qty, x.notional), (0, 10, 1000));
        assert!(matches!(
            r.quantize(
                Side::Sell,
                PriceSpec::Market {
                    reference: d("9.99")
                },
                d("1")
            ),
            Err(RuleError::BelowMinNotional { .. })
        ));
        let x = r
            .quantize(
                Side::Sell,
                PriceSpec::Market {
                    reference: d("10.001"),
                },
                d("1"),
            )
            .unwrap();
        assert_eq!(
            x.notional, 1000,
            "exact comparison at the reference's own scale"
        );
        assert_eq!(
            r.quantize(Side::Sell, PriceSpec::Market { reference: d("0") }, d("1")),
            Err(RuleError::MissingPrice)
        );
    }

    #[test]
    fn status_and_price_edges() {
        let mut r = toy();
        assert_eq!(
            r.quantize(Side::Buy, PriceSpec::Limit(d("0.4")), d("1")),
            Err(RuleError::NonPositivePrice)
        );
        r.status = MarketStatus::Other("NoTrading".into());
        assert_eq!(
            r.quantize(Side::Buy, PriceSpec::Limit(d("10")), d("1")),
            Err(RuleError::NotTradable {
                status: "NoTrading".into()
            })
        );
        let t = RulesTable::from_products(&[]).unwrap();
        assert_eq!(
            t.quantize("X/Y", Side::Buy, PriceSpec::Limit(d("1")), d("1")),
            Err(RuleError::UnknownSymbol)
        );
        assert_eq!(
            toy().quantize(Side::Buy, PriceSpec::Limit(Dec::new(i64::MAX, 0)), d("1")),
            Err(RuleError::Overflow)
        );
    }

    #[test]
    fn fixture_products_parse() {
        let body = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/markets.json"
        ))
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let rows: Vec<Product> = v
            .as_object()
            .unwrap()
            .values()
            .filter(|m| m["type"] == "spot")
            .map(|m| {
                rest_market::parse_product_object(&serde_json::to_vec(&m["info"]).unwrap()).unwrap()
            })
            .collect();
        let t = RulesTable::from_products(&rows).unwrap();
        assert_eq!(t.len(), 5);
        let ada = t.by_name("ADA/USDT").unwrap();
        assert_eq!((ada.price_scale, ada.qty_scale, ada.lot), (5, 0, 1));
        // The products response wrapper, with a string code as ccxt's fixtures show.
        let body = format!(
            r#"{{"code":"0","data":[{}]}}"#,
            serde_json::to_string(&v["BTC/USDT"]["info"]).unwrap()
        );
        let t = RulesTable::from_products_json(body.as_bytes()).unwrap();
        assert_eq!(t.id("BTC/USDT"), Some(SymbolId(0)));
        assert!(matches!(
            RulesTable::from_products_json(br#"{"code":100001,"message":"nope"}"#),
            Err(RulesError::Exchange { code: 100001, .. })
        ));
        assert!(matches!(
            RulesTable::from_products_json(b"{"),
            Err(RulesError::BadResponse(_))
        ));
    }

    #[test]
    fn bad_rows_refused() {
        let row = |tick: &str| {
            format!(
                r#"{{"symbol":"Z/USDT","statusCode":"Normal","tickSize":"{tick}","lotSize":"1"}}"#
            )
        };
        assert!(matches!(
            SymbolRules::from_product_json(row("0").as_bytes()),
            Err(RulesError::NonPositiveStep {
                field: "tickSize",
                ..
            })
        ));
        assert!(matches!(
            SymbolRules::from_product_json(row("abc").as_bytes()),
            Err(RulesError::BadField {
                field: "tickSize",
                ..
            })
        ));
        let r = SymbolRules::from_product_json(row("0.1").as_bytes()).unwrap();
        assert_eq!((r.min_qty, r.max_qty), (0, i64::MAX));
    }
}
