//! Position arithmetic, exact (i128 integers, no floats): unrealized PnL from the mark price, and an estimate of
//! the liquidation price from the contract's maintenance-margin tiers.
//!
//! Unrealized PnL is `qty × (mark − avg_open)`, the usual linear-contract definition. The exchange also sends a
//! reference cost `rc` (≈ −qty × avg_open − fees: in the push example `rc` exceeds `pos·aop` by exactly the 0.1%
//! fee), so its own `up` may differ from this by the fees; both are reported, neither is adjusted to the other.
//!
//! Liquidation happens when the position's equity `M + qty × (P − E)` (M the margin backing it: the isolated
//! margin, or for a crossed position the account equity available to it) falls to the maintenance margin
//! `mmr(N) × N` with `N = |qty| × P` in the tier's band. Per tier: long `P = (qE − M) / (q(1 − mmr))`, short
//! `P = (M + |q|E) / (|q|(1 + mmr))`; a solution counts only inside its tier's band. Going against a short the
//! notional rises into higher tiers, whose rate jumps at each lower bound `L`: the short is also liquidated at
//! the boundary price `L/|q|` when `M + |q|E ≤ L(1 + mmr)` there. The answer is the first such price met moving
//! against the position (the highest for a long, the lowest for a short), rounded toward the position's current
//! side (a long's up, a short's down: the estimate warns early, never late). Fees and other positions are ignored.

use crate::orders::scaled::{Dec, Round, div_round};

use super::contracts::{Contract, MarginTier};

fn p10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// Trailing zeros dropped, so the arithmetic below carries no needless digits.
fn norm(mut d: Dec) -> Dec {
    while d.scale > 0 && d.mantissa % 10 == 0 {
        d.mantissa /= 10;
        d.scale -= 1;
    }
    d
}

/// `num / den` at rounding `round`, for i128 operands whose quotient fits i64.
fn div(num: i128, den: i128, round: Round) -> Option<i64> {
    div_round(num, den, round)
}

/// `qty × (mark − avg_open)`, `qty` signed at `qty_scale`, at `scale` (the settlement asset's), rounded half away
/// from zero. `None` when the figures overflow.
pub fn unrealized_pnl(qty: i64, qty_scale: u8, avg_open: Dec, mark: Dec, scale: u8) -> Option<i64> {
    let (a, m) = (norm(avg_open), norm(mark));
    let s = a.scale.max(m.scale);
    let diff = (m.mantissa as i128).checked_mul(p10((s - m.scale) as u32)?)?
        - (a.mantissa as i128).checked_mul(p10((s - a.scale) as u32)?)?;
    let v = (qty as i128).checked_mul(diff)?;
    let from = qty_scale as u32 + s as u32;
    let to = scale as u32;
    if to >= from {
        i64::try_from(v.checked_mul(p10(to - from)?)?).ok()
    } else {
        div(v, p10(from - to)?, Round::HalfAway)
    }
}

/// What [`liquidation_price`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liquidation {
    /// At this price (the contract's price scale).
    At(i64),
    /// No positive price liquidates it (a long whose margin covers its whole notional), or the position is flat.
    Never,
}

/// A value `v` at scale `from` expressed at scale `to` (floor when digits are dropped).
fn at_scale(v: i128, from: u32, to: u32) -> Option<i128> {
    if to >= from {
        v.checked_mul(p10(to - from)?)
    } else {
        Some(v.div_euclid(p10(from - to)?))
    }
}

/// The liquidation price of `qty` (signed, at the contract's quantity scale) opened at `entry`, backed by `margin`
/// at `margin_scale` (settlement asset), from `contract`'s tiers. `None` when the contract has no tiers or the
/// figures overflow 128 bits.
pub fn liquidation_price(
    contract: &Contract,
    qty: i64,
    entry: Dec,
    margin: i64,
    margin_scale: u8,
) -> Option<Liquidation> {
    if qty == 0 {
        return Some(Liquidation::Never);
    }
    if contract.tiers.is_empty() {
        return None;
    }
    let long = qty > 0;
    let a = qty.unsigned_abs() as i128;
    let e = norm(entry);
    let (qs, ps) = (
        contract.rules.qty_scale as u32,
        contract.rules.price_scale as u32,
    );
    let (es, ms) = (e.scale as u32, margin_scale as u32);
    let (ev, mv) = (e.mantissa as i128, margin as i128);
    // |q|·E and M at the common scale qs+es+ms.
    let qe = a.checked_mul(ev)?.checked_mul(p10(ms)?)?;
    let mm = mv.checked_mul(p10(qs + es)?)?;
    let num_base = if long { qe - mm } else { qe + mm };
    if num_base <= 0 {
        return Some(Liquidation::Never);
    }
    let round = if long { Round::Ceil } else { Round::Floor };
    let band_scale = qs + ps;
    // Where notional |q|·p falls against a tier: below its band, inside it, or above it.
    let place = |t: &MarginTier, p: i64| -> Option<std::cmp::Ordering> {
        let n = a.checked_mul(p as i128)?;
        let lo = at_scale(
            t.notional_lower.mantissa as i128,
            t.notional_lower.scale as u32,
            band_scale,
        )?;
        let hi = at_scale(
            t.notional_upper.mantissa as i128,
            t.notional_upper.scale as u32,
            band_scale,
        )?;
        Some(if n < lo {
            std::cmp::Ordering::Less
        } else if n < hi {
            std::cmp::Ordering::Equal
        } else {
            std::cmp::Ordering::Greater
        })
    };
    let last = contract.tiers.len() - 1;
    let mut best: Option<i64> = None;
    let mut consider = |p: i64| {
        best = Some(match best {
            None => p,
            Some(b) if long => b.max(p),
            Some(b) => b.min(p),
        });
    };
    for (i, t) in contract.tiers.iter().enumerate() {
        let r = norm(t.maintenance_rate);
        let rs = r.scale as u32;
        let one = p10(rs)?;
        let factor = if long {
            one - r.mantissa as i128
        } else {
            one + r.mantissa as i128
        };
        if factor <= 0 {
            continue;
        }
        let num = num_base.checked_mul(p10(rs + ps)?)?;
        let den = p10(es + ms)?.checked_mul(a)?.checked_mul(factor)?;
        if let Some(p) = div(num, den, round).filter(|&p| p > 0) {
            // The last tier also holds everything beyond the table (the estimate stays defined).
            let ok = match place(t, p)? {
                std::cmp::Ordering::Equal => true,
                std::cmp::Ordering::Greater => i == last,
                std::cmp::Ordering::Less => false,
            };
            if ok {
                consider(p);
            }
        }
        // A short reaching this tier's lower bound: the rate jumps there.
        if !long && i > 0 {
            let l = norm(t.notional_lower);
            let ls = l.scale as u32;
            // M + |q|E at scale qs+es+ms vs L(1 + mmr) at scale ls+rs.
            let lhs_scale = qs + es + ms;
            let rhs = (l.mantissa as i128).checked_mul(factor)?;
            let s = lhs_scale.max(ls + rs);
            let lhs = at_scale(num_base, lhs_scale, s)?;
            let rhs = at_scale(rhs, ls + rs, s)?;
            if lhs <= rhs {
                // B = L/|q| at the price scale, floored.
                let b = div(
                    (l.mantissa as i128).checked_mul(p10(qs + ps)?)?,
                    p10(ls)?.checked_mul(a)?,
                    Round::Floor,
                )?;
                if b > 0 {
                    consider(b);
                }
            }
        }
    }
    Some(best.map_or(Liquidation::Never, Liquidation::At))
}
