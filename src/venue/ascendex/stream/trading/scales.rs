//! Scales: per-symbol price/quantity/fee scales and per-asset balance scales that decimal strings are read at.

use super::*;

/// An asset's index and balance scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssetScale {
    pub id: AssetId,
    pub scale: u8,
}

/// A symbol's index and the scales of its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolScales {
    pub id: SymbolId,
    pub price: u8,
    pub qty: u8,
    /// Scale of `cf` (cumulative fee) values.
    pub fee: u8,
    pub base: AssetScale,
    pub quote: AssetScale,
}

/// Where the decoder finds scales; look-ups must not allocate.
pub trait Scales {
    fn symbol(&self, name: &[u8]) -> Option<SymbolScales>;
    fn asset(&self, name: &[u8]) -> Option<AssetScale>;
}

/// A small linear table (a handful of symbols per engine: a scan beats hashing here).
#[derive(Debug, Clone, Default)]
pub struct ScaleTable {
    symbols: Vec<(Box<[u8]>, SymbolScales)>,
    assets: Vec<(Box<[u8]>, AssetScale)>,
}

impl ScaleTable {
    pub fn new() -> ScaleTable {
        ScaleTable::default()
    }

    /// Adds an asset (or returns its existing entry).
    pub fn add_asset(&mut self, name: &str, scale: u8) -> AssetScale {
        if let Some(a) = self.asset(name.as_bytes()) {
            return a;
        }
        let a = AssetScale {
            id: AssetId(self.assets.len() as u16),
            scale,
        };
        self.assets.push((name.as_bytes().into(), a));
        a
    }

    pub fn add_symbol(&mut self, name: &str, s: SymbolScales) {
        self.symbols.retain(|(n, _)| &**n != name.as_bytes());
        self.symbols.push((name.as_bytes().into(), s));
    }

    /// From trading rules: price/quantity scales per symbol, `asset_scale(asset)` for balances (e.g. the
    /// currencies' `precisionScale`), and one fee scale for every symbol.
    pub fn from_rules(
        rules: &crate::venue::ascendex::rules::RulesTable,
        asset_scale: impl Fn(&str) -> u8,
        fee_scale: u8,
    ) -> ScaleTable {
        let mut t = ScaleTable::new();
        for (id, r) in rules.iter() {
            let base = t.add_asset(&r.base, asset_scale(&r.base));
            let quote = t.add_asset(&r.quote, asset_scale(&r.quote));
            t.add_symbol(
                &r.symbol,
                SymbolScales {
                    id,
                    price: r.price_scale,
                    qty: r.qty_scale,
                    fee: fee_scale,
                    base,
                    quote,
                },
            );
        }
        t
    }

    pub fn asset_count(&self) -> usize {
        self.assets.len()
    }
}

impl Scales for ScaleTable {
    fn symbol(&self, name: &[u8]) -> Option<SymbolScales> {
        self.symbols
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, s)| *s)
    }

    fn asset(&self, name: &[u8]) -> Option<AssetScale> {
        self.assets
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, a)| *a)
    }
}
