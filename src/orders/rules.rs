//! Trading rules of a symbol and quantization before anything is sent: venue-agnostic (a venue builds
//! [`SymbolRules`] from its own product listing).
//!
//! Rules per symbol: price step (tick), quantity step (lot), minimum/maximum quantity, minimum/maximum notional
//! (price × quantity, quote asset) and the trading status. Only [`MarketStatus::Normal`] is tradable; anything else
//! refuses orders with [`RuleError::NotTradable`].
//!
//! Quantization (what [`SymbolRules::quantize`] does, before any check):
//! - quantity floors to the lot: never more than asked;
//! - a limit price rounds to the tick on the side that is never worse for us: a buy rounds **down**, a sell
//!   **up**. For a maker that is away from the spread, so a post-only order never crosses because of rounding; for
//!   a taker (IOC/FOK or a marketable GTC limit) the caller's price stays a hard limit (a buy never pays more, a
//!   sell never receives less), at the cost of possibly not filling when the price sat between ticks;
//! - a market order has no price: the caller passes a reference price (the opposite side's best) used only for
//!   the notional checks, so a market order below the minimum notional is refused here rather than by the exchange.
//!
//! Then every limit is checked and a violation is a typed error: nothing is sent.

use std::collections::HashMap;
use std::fmt;

use crate::orders::scaled::{Dec, Round, div_round, pow10};
use crate::orders::{Side, SymbolId};

/// The symbol's trading status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarketStatus {
    /// Trading normally: the only status that accepts orders.
    Normal,
    /// Anything else the exchange reports (`NoTrading`, `InternalTrading`, ...), kept verbatim.
    Other(String),
}

impl MarketStatus {
    /// True only for [`MarketStatus::Normal`]: orders for any other status are refused before sending.
    pub fn is_tradable(&self) -> bool {
        *self == MarketStatus::Normal
    }
}

/// Why an order was refused before sending. Quantities at the symbol's quantity scale, prices at its price scale,
/// notionals at `price_scale + qty_scale`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleError {
    /// No rules are loaded for the symbol (a name not in the exchange's product list).
    UnknownSymbol,
    /// The symbol exists but its status is not `Normal` (suspended, delisting, ...).
    NotTradable {
        /// The exchange's status text, verbatim.
        status: String,
    },
    /// The quantity after flooring to the lot is below the minimum (the larger of `minQty` and one lot).
    BelowMinQty {
        /// Smallest accepted quantity, at the quantity scale.
        min: i64,
        /// The quantity after flooring to the lot, at the quantity scale.
        got: i64,
    },
    /// The quantity after flooring to the lot is above the symbol's maximum.
    AboveMaxQty {
        /// Largest accepted quantity, at the quantity scale.
        max: i64,
        /// The quantity after flooring to the lot, at the quantity scale.
        got: i64,
    },
    /// Price × quantity (the quote amount) is below the symbol's minimum notional.
    BelowMinNotional {
        /// Smallest accepted notional, at `price_scale + qty_scale`.
        min: i128,
        /// The order's notional (for a market order, at the reference price), at `price_scale + qty_scale`.
        got: i128,
    },
    /// Price × quantity (the quote amount) is above the symbol's maximum notional.
    AboveMaxNotional {
        /// Largest accepted notional, at `price_scale + qty_scale`.
        max: i128,
        /// The order's notional (for a market order, at the reference price), at `price_scale + qty_scale`.
        got: i128,
    },
    /// A limit order without a price, or a market order without a reference price.
    MissingPrice,
    /// Zero or negative price after rounding.
    NonPositivePrice,
    /// Negative quantity.
    NegativeQty,
    /// A value does not fit the symbol's scale in 64 bits.
    Overflow,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleError::UnknownSymbol => f.write_str("unknown symbol"),
            RuleError::NotTradable { status } => {
                write!(f, "symbol not tradable (status {status:?})")
            }
            RuleError::BelowMinQty { min, got } => {
                write!(f, "quantity {got} below the minimum {min} (lots)")
            }
            RuleError::AboveMaxQty { max, got } => {
                write!(f, "quantity {got} above the maximum {max}")
            }
            RuleError::BelowMinNotional { min, got } => {
                write!(f, "notional {got} below the minimum {min}")
            }
            RuleError::AboveMaxNotional { max, got } => {
                write!(f, "notional {got} above the maximum {max}")
            }
            RuleError::MissingPrice => {
                f.write_str("price required (limit price, or a reference price for market)")
            }
            RuleError::NonPositivePrice => f.write_str("price must be positive"),
            RuleError::NegativeQty => f.write_str("quantity must not be negative"),
            RuleError::Overflow => f.write_str("value too large for the symbol's scale"),
        }
    }
}

impl std::error::Error for RuleError {}

/// What kind of order is being quantized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceSpec {
    /// A limit price (maker or taker: the rounding is the same, see the module docs).
    Limit(Dec),
    /// A market order; the reference price serves the notional checks only.
    Market {
        /// The opposite side's best price (any scale): what the notional checks multiply the quantity by.
        reference: Dec,
    },
}

/// An order after quantization, ready to be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantized {
    /// Limit price at the price scale; 0 for market orders.
    pub price: i64,
    /// Quantity floored to the lot, at the quantity scale.
    pub qty: i64,
    /// The price moved to reach a tick.
    pub price_adjusted: bool,
    /// The quantity moved down to reach a lot.
    pub qty_adjusted: bool,
    /// Price × quantity at `price_scale + qty_scale` (for a market order, at the reference price, truncated).
    pub notional: i128,
}

/// One symbol's rules, all at the symbol's own scales.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolRules {
    /// The exchange's symbol name (`BTC/USDT`), the key of a [`RulesTable`].
    pub symbol: String,
    /// The asset bought or sold (`BTC`).
    pub base: String,
    /// The asset prices and notionals are in (`USDT`).
    pub quote: String,
    /// Decimal places of prices: every price of the symbol is an integer mantissa at this scale.
    pub price_scale: u8,
    /// Decimal places of quantities: every quantity of the symbol is an integer mantissa at this scale.
    pub qty_scale: u8,
    /// Tick at `price_scale`.
    pub tick: i64,
    /// Lot at `qty_scale`.
    pub lot: i64,
    /// Smallest quantity at `qty_scale` (a finer `minQty` rounds up: no order below it is possible anyway).
    pub min_qty: i64,
    /// Largest quantity at `qty_scale`.
    pub max_qty: i64,
    /// At `notional_scale()`.
    pub min_notional: i128,
    /// Largest price × quantity, at `notional_scale()`.
    pub max_notional: i128,
    /// Whether the symbol trades now; anything but [`MarketStatus::Normal`] refuses orders.
    pub status: MarketStatus,
}

impl SymbolRules {
    /// Scale of notionals (price × quantity multiplied as mantissas): `price_scale + qty_scale`.
    pub fn notional_scale(&self) -> u8 {
        self.price_scale + self.qty_scale
    }

    /// Quantizes and checks an order (see the module docs for the rounding rules).
    pub fn quantize(&self, side: Side, price: PriceSpec, qty: Dec) -> Result<Quantized, RuleError> {
        if !self.status.is_tradable() {
            let status = match &self.status {
                MarketStatus::Other(s) => s.clone(),
                MarketStatus::Normal => String::new(),
            };
            return Err(RuleError::NotTradable { status });
        }
        if qty.mantissa < 0 {
            return Err(RuleError::NegativeQty);
        }
        // Quantity: floor to the scale, then to the lot.
        let q_scaled =
            rescale_i128(qty, self.qty_scale, Round::Floor).ok_or(RuleError::Overflow)?;
        let q = i64::try_from(q_scaled).map_err(|_| RuleError::Overflow)?;
        let q_lots = q - q.rem_euclid(self.lot);
        let qty_adjusted = q_lots as i128 != q_scaled
            || (qty.scale > self.qty_scale && !exact(qty, self.qty_scale));
        let (px, price_adjusted, ref_px) = match price {
            PriceSpec::Limit(p) => {
                let round = match side {
                    Side::Buy => Round::Floor,
                    Side::Sell => Round::Ceil,
                };
                let at_scale =
                    rescale_i128(p, self.price_scale, round).ok_or(RuleError::Overflow)?;
                let at_scale = i64::try_from(at_scale).map_err(|_| RuleError::Overflow)?;
                let snapped = div_round(at_scale as i128, self.tick as i128, round)
                    .and_then(|t| t.checked_mul(self.tick))
                    .ok_or(RuleError::Overflow)?;
                let adjusted = snapped != at_scale || !exact(p, self.price_scale);
                if snapped <= 0 {
                    return Err(RuleError::NonPositivePrice);
                }
                (snapped, adjusted, snapped)
            }
            PriceSpec::Market { reference } => {
                if reference.mantissa <= 0 {
                    return Err(RuleError::MissingPrice);
                }
                (0, false, 0)
            }
        };
        if q_lots < self.min_qty.max(self.lot) {
            return Err(RuleError::BelowMinQty {
                min: self.min_qty.max(self.lot),
                got: q_lots,
            });
        }
        if q_lots > self.max_qty {
            return Err(RuleError::AboveMaxQty {
                max: self.max_qty,
                got: q_lots,
            });
        }
        // Notional compared exactly: at the notional scale plus whatever extra decimals a reference price has.
        let (px_m, extra) = match price {
            PriceSpec::Limit(_) => (ref_px as i128, 0u8),
            PriceSpec::Market { reference } => (
                reference.mantissa as i128,
                reference.scale.saturating_sub(self.price_scale),
            ),
        };
        let px_m = match price {
            PriceSpec::Market { reference } if reference.scale < self.price_scale => {
                px_m * pow10(self.price_scale - reference.scale).ok_or(RuleError::Overflow)? as i128
            }
            _ => px_m,
        };
        let f = pow10(extra).ok_or(RuleError::Overflow)? as i128;
        let exact_notional = px_m
            .checked_mul(q_lots as i128)
            .ok_or(RuleError::Overflow)?;
        let notional = exact_notional / f;
        if exact_notional < self.min_notional.saturating_mul(f) {
            return Err(RuleError::BelowMinNotional {
                min: self.min_notional,
                got: notional,
            });
        }
        if exact_notional > self.max_notional.saturating_mul(f) {
            return Err(RuleError::AboveMaxNotional {
                max: self.max_notional,
                got: notional,
            });
        }
        Ok(Quantized {
            price: px,
            qty: q_lots,
            price_adjusted,
            qty_adjusted,
            notional,
        })
    }
}

fn exact(d: Dec, scale: u8) -> bool {
    d.at_scale(scale).is_ok()
}

/// `d` at `scale`, rounding as asked when digits are dropped; `None` on overflow.
pub(crate) fn rescale_i128(d: Dec, scale: u8, round: Round) -> Option<i128> {
    if scale >= d.scale {
        let f = pow10(scale - d.scale)? as i128;
        (d.mantissa as i128).checked_mul(f)
    } else {
        let f = pow10(d.scale - scale)? as i128;
        div_round(d.mantissa as i128, f, round).map(|v| v as i128)
    }
}

/// All symbols' rules, indexed by [`SymbolId`] (the row order) and by name.
#[derive(Debug, Clone, Default)]
pub struct RulesTable {
    rules: Vec<SymbolRules>,
    by_name: HashMap<String, SymbolId>,
}

impl RulesTable {
    /// Adds (or replaces, keeping its id) one symbol's rules.
    pub fn insert(&mut self, r: SymbolRules) -> SymbolId {
        if let Some(&id) = self.by_name.get(&r.symbol) {
            self.rules[id.0 as usize] = r;
            return id;
        }
        let id = SymbolId(self.rules.len() as u16);
        self.by_name.insert(r.symbol.clone(), id);
        self.rules.push(r);
        id
    }

    /// The id of a symbol by its exchange name (`BTC/USDT`); `None` when it was never inserted.
    pub fn id(&self, symbol: &str) -> Option<SymbolId> {
        self.by_name.get(symbol).copied()
    }

    /// The rules of a symbol by id; `None` for an id this table never issued.
    pub fn get(&self, id: SymbolId) -> Option<&SymbolRules> {
        self.rules.get(id.0 as usize)
    }

    /// The rules of a symbol by its exchange name.
    pub fn by_name(&self, symbol: &str) -> Option<&SymbolRules> {
        self.id(symbol).and_then(|id| self.get(id))
    }

    /// Quantizes an order for `symbol` by name ([`RuleError::UnknownSymbol`] when absent).
    pub fn quantize(
        &self,
        symbol: &str,
        side: Side,
        price: PriceSpec,
        qty: Dec,
    ) -> Result<Quantized, RuleError> {
        self.by_name(symbol)
            .ok_or(RuleError::UnknownSymbol)?
            .quantize(side, price, qty)
    }

    /// Every symbol with its id, in id order (the order of first insertion).
    pub fn iter(&self) -> impl Iterator<Item = (SymbolId, &SymbolRules)> {
        self.rules
            .iter()
            .enumerate()
            .map(|(i, r)| (SymbolId(i as u16), r))
    }

    /// Number of symbols held.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True before any symbol is inserted.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}
