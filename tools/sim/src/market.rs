//! Products and assets, seeded from the real rows in fixtures/markets.json and fixtures/currencies.json.

use crate::dec;
use serde_json::{Value, json};

const MARKETS: &str = include_str!("../fixtures/markets.json");
const CURRENCIES: &str = include_str!("../fixtures/currencies.json");

/// Balances and fees are kept at this scale (the assets' precisionScale).
pub const ASSET_SCALE: u32 = 9;

#[derive(Clone, Debug)]
pub struct Product {
    pub symbol: String,
    pub base: String,
    pub quote: String,
    /// Price units are 10^-pscale; `tick` is the tick size in those units.
    pub pscale: u32,
    pub tick: i64,
    /// Quantity units are 10^-qscale; `lot` is the lot size in those units.
    pub qscale: u32,
    pub lot: i64,
    /// minQty/maxQty at ASSET_SCALE (minQty can be finer than the lot).
    pub min_qty: i128,
    pub max_qty: i128,
    /// Notional bounds at ASSET_SCALE.
    pub min_notional: i128,
    pub max_notional: i128,
    pub commission_type: String,
    /// commissionReserveRate as (value, scale).
    pub reserve: (i128, u32),
    /// The cash/products row as served.
    pub info: Value,
    /// Starting mid price in price units.
    pub start_px: i64,
}

impl Product {
    pub fn fmt_px(&self, v: i64) -> String {
        dec::fmt(i128::from(v), self.pscale)
    }
    pub fn fmt_qty(&self, v: i64) -> String {
        dec::fmt(i128::from(v), self.qscale)
    }
    pub fn parse_px(&self, s: &str) -> Option<i64> {
        dec::parse(s, self.pscale).and_then(|v| i64::try_from(v).ok())
    }
    pub fn parse_qty(&self, s: &str) -> Option<i64> {
        dec::parse(s, self.qscale).and_then(|v| i64::try_from(v).ok())
    }
    /// price * qty at ASSET_SCALE, rounded up (what a buyer pays) or down (what a seller gets).
    pub fn notional(&self, px: i64, qty: i64, up: bool) -> i128 {
        dec::rescale(
            i128::from(px) * i128::from(qty),
            self.pscale + self.qscale,
            ASSET_SCALE,
            up,
        )
    }
    pub fn qty_to_asset(&self, qty: i64) -> i128 {
        dec::rescale(i128::from(qty), self.qscale, ASSET_SCALE, true)
    }
    /// The /api/pro/v1/products row (general fields ccxt merges with cash/products).
    pub fn general_row(&self) -> Value {
        json!({
            "symbol": self.symbol,
            "displayName": self.symbol,
            "domain": self.info.get("domain").cloned().unwrap_or(json!("USDS")),
            "baseAsset": self.base,
            "quoteAsset": self.quote,
            "status": "Normal",
            "minNotional": self.info.get("minNotional").cloned().unwrap_or(json!("5")),
            "maxNotional": self.info.get("maxNotional").cloned().unwrap_or(json!("400000")),
            "marginTradable": true,
            "commissionType": self.commission_type,
            "commissionReserveRate": self.info.get("commissionReserveRate").cloned().unwrap_or(json!("0.001")),
            "tickSize": self.info.get("tickSize").cloned().unwrap_or(json!("0.01")),
            "lotSize": self.info.get("lotSize").cloned().unwrap_or(json!("0.00001")),
        })
    }
}

#[derive(Clone, Debug)]
pub struct Asset {
    pub code: String,
    pub row_v2: Value,
}

/// Realistic starting prices for the known symbols (price strings in the symbol's scale).
fn start_price(symbol: &str) -> &'static str {
    match symbol {
        "BTC/USDT" => "60000",
        "ETH/USDT" => "3000",
        "ASD/USDT" => "0.068",
        "LTC/USDT" => "70",
        "XRP/USDT" => "0.5",
        "ADA/USDT" => "0.4",
        "TRX/USDT" => "0.1",
        "SOL/USDT" => "150",
        "DOGE/USDT" => "0.15",
        "DOT/USDT" => "7",
        "LINK/USDT" => "15",
        "AVAX/USDT" => "30",
        "BCH/USDT" => "400",
        "ATOM/USDT" => "8",
        "UNI/USDT" => "8",
        _ => "1",
    }
}

/// Product rows not in the fixtures, built like the real rows (same fields, status Normal) with tick and lot sizes
/// as AscendEX lists them for those pairs: ETH/USDT and ASD/USDT from the docs' examples, the rest so that one
/// connection can carry more than one subscription message of symbols (at most 10 per message).
pub const SYNTHETIC: [(&str, &str, &str); 10] = [
    // (symbol, tickSize, lotSize)
    ("ETH/USDT", "0.01", "0.0001"),
    ("ASD/USDT", "0.00001", "0.1"),
    ("SOL/USDT", "0.001", "0.01"),
    ("DOGE/USDT", "0.000001", "1"),
    ("DOT/USDT", "0.001", "0.01"),
    ("LINK/USDT", "0.001", "0.01"),
    ("AVAX/USDT", "0.001", "0.01"),
    ("BCH/USDT", "0.01", "0.001"),
    ("ATOM/USDT", "0.001", "0.01"),
    ("UNI/USDT", "0.001", "0.01"),
];

fn synthetic_rows() -> Vec<Value> {
    SYNTHETIC
        .iter()
        .map(|&(sym, tick, lot)| {
            let (ps, qs) = (dec::scale_of(tick), dec::scale_of(lot));
            // The real rows collapse to the tick and two coarser steps (hundredfold, tenfold).
            let collapse = [ps.saturating_sub(2), ps.saturating_sub(1), ps]
                .iter()
                .map(|&s| dec::fmt(1, s))
                .collect::<Vec<_>>()
                .join(",");
            json!({
                "symbol": sym, "displayName": sym, "domain": "USDS", "tradingStartTime": 1546329600000u64,
                "collapseDecimals": collapse, "minQty": "0.000000001", "maxQty": "1000000000",
                "minNotional": "5", "maxNotional": "400000", "statusCode": "Normal", "statusMessage": "",
                "tickSize": tick, "useTick": false, "lotSize": lot, "useLot": false, "commissionType": "Quote",
                "commissionReserveRate": "0.001", "qtyScale": qs, "priceScale": ps, "notionalScale": 4
            })
        })
        .collect()
}

/// Every symbol we can serve, fixture rows first.
pub fn all_symbols() -> Vec<String> {
    all_rows()
        .iter()
        .filter_map(|r| r.get("symbol").and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// All spot product rows we can serve: the fixtures' spot rows plus the synthetic ones.
pub fn all_rows() -> Vec<Value> {
    let mut rows = Vec::new();
    if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(MARKETS) {
        for (_, v) in m {
            if v.get("spot").and_then(Value::as_bool) == Some(true)
                && let Some(info) = v.get("info")
                && info.get("tickSize").is_some()
            {
                rows.push(info.clone());
            }
        }
    }
    rows.extend(synthetic_rows());
    rows
}

pub fn product_from_row(row: &Value) -> Option<Product> {
    let s = |k: &str| row.get(k).and_then(Value::as_str);
    let symbol = s("symbol")?.to_string();
    let (base, quote) = symbol.split_once('/')?;
    let tick_s = s("tickSize")?;
    let lot_s = s("lotSize")?;
    let pscale = dec::scale_of(tick_s);
    let qscale = dec::scale_of(lot_s);
    let tick = i64::try_from(dec::parse(tick_s, pscale)?).ok()?;
    let lot = i64::try_from(dec::parse(lot_s, qscale)?).ok()?;
    let rr = s("commissionReserveRate").unwrap_or("0.001");
    let rscale = dec::scale_of(rr);
    let start = dec::parse(start_price(&symbol), pscale)?;
    let start_px = i64::try_from(start - start % i128::from(tick)).ok()?;
    Some(Product {
        base: base.to_string(),
        quote: quote.to_string(),
        pscale,
        tick,
        qscale,
        lot,
        min_qty: dec::parse(s("minQty").unwrap_or("0"), ASSET_SCALE).unwrap_or(0),
        max_qty: dec::parse(s("maxQty").unwrap_or("1000000000"), ASSET_SCALE)
            .unwrap_or(i128::MAX / 4),
        min_notional: dec::parse(s("minNotional").unwrap_or("0"), ASSET_SCALE).unwrap_or(0),
        max_notional: dec::parse(s("maxNotional").unwrap_or("1000000000"), ASSET_SCALE)
            .unwrap_or(i128::MAX / 4),
        commission_type: s("commissionType").unwrap_or("Quote").to_string(),
        reserve: (dec::parse(rr, rscale).unwrap_or(1), rscale),
        info: row.clone(),
        start_px,
        symbol,
    })
}

/// The products for the given symbols, in that order; an unknown symbol is an error naming it.
pub fn products(symbols: &[String]) -> Result<Vec<Product>, String> {
    let rows = all_rows();
    symbols
        .iter()
        .map(|sym| {
            rows.iter()
                .find(|r| r.get("symbol").and_then(Value::as_str) == Some(sym.as_str()))
                .and_then(product_from_row)
                .ok_or_else(|| sym.clone())
        })
        .collect()
}

fn asset_row(
    code: &str,
    name: &str,
    precision: i64,
    native: i64,
    fee: &str,
    minw: &str,
    conf: i64,
) -> Value {
    json!({
        "assetCode": code,
        "assetName": name,
        "precisionScale": precision,
        "nativeScale": native,
        "blockChain": [{
            "chainName": if code == "TRX" { "TRC20" } else { "ERC20" },
            "withdrawFee": fee,
            "allowDeposit": true,
            "allowWithdraw": true,
            "minDepositAmt": "0.0",
            "minWithdrawal": minw,
            "numConfirmations": conf
        }]
    })
}

/// Assets (v2 shape) for every currency in the fixtures plus the ones our products need.
pub fn assets(products: &[Product]) -> Vec<Asset> {
    let mut out: Vec<Asset> = Vec::new();
    if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(CURRENCIES) {
        for (code, v) in m {
            let info = v.get("info").cloned().unwrap_or(Value::Null);
            let gs = |k: &str| {
                info.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let gi = |k: &str, d: i64| match info.get(k) {
                Some(Value::Number(n)) => n.as_i64().unwrap_or(d),
                Some(Value::String(s)) => s.parse().unwrap_or(d),
                _ => d,
            };
            let name = match gs("assetName") {
                n if n.is_empty() => code.clone(),
                n => n,
            };
            let fee = match gs("withdrawFee") {
                f if f.is_empty() => "0".to_string(),
                f => f,
            };
            let row = asset_row(
                &code,
                &name,
                gi("precisionScale", 9),
                gi("nativeScale", 8),
                &fee,
                &gs("minWithdrawalAmt"),
                gi("numConfirmations", 12),
            );
            out.push(Asset { code, row_v2: row });
        }
    }
    for p in products {
        for code in [&p.base, &p.quote] {
            if !out.iter().any(|a| &a.code == code) {
                let name = match code.as_str() {
                    "ASD" => "AscendEX Token",
                    "TRX" => "TRON",
                    "SOL" => "Solana",
                    "DOGE" => "Dogecoin",
                    "DOT" => "Polkadot",
                    "LINK" => "Chainlink",
                    "AVAX" => "Avalanche",
                    "BCH" => "Bitcoin Cash",
                    "ATOM" => "Cosmos",
                    "UNI" => "Uniswap",
                    other => other,
                };
                out.push(Asset {
                    code: code.clone(),
                    row_v2: asset_row(code, name, 9, 6, "1.0", "10.0", 12),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_rows_become_products() {
        let syms: Vec<String> = ["BTC/USDT", "ETH/USDT", "ASD/USDT", "ADA/USDT"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let ps = products(&syms).unwrap();
        assert_eq!(ps[0].pscale, 2);
        assert_eq!(ps[0].tick, 1);
        assert_eq!(ps[0].qscale, 5);
        assert_eq!(ps[0].lot, 1);
        assert_eq!(ps[0].start_px, 6_000_000);
        assert_eq!(ps[3].qscale, 0);
        assert_eq!(ps[3].pscale, 5);
        assert_eq!(ps[2].start_px, 6800);
        assert!(products(&["NOPE/USDT".to_string()]).is_err());
        let a = assets(&ps);
        assert!(a.iter().any(|x| x.code == "ASD"));
        assert!(
            a.iter()
                .any(|x| x.code == "BTC" && x.row_v2["nativeScale"] == 8)
        );
    }
}
