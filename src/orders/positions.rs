//! Positions per contract (signed size, average open price, PnL, leverage, margin), from a snapshot then the
//! venue's account pushes, venue-free.
//!
//! A venue's account push carries absolute figures for the contracts it names (not deltas), so a push that was
//! missed is healed by the next one for the same contract; what a missed push can leave stale is a contract that is
//! not named again. Hence the rules: a push whose sequence number is not above the last one applied is stale and
//! dropped (a replay or a reordering never overwrites newer figures); a push that skips sequence numbers, and every
//! reconnect, asks for a resync from the venue's full position list ([`Positions::resync_wanted`]), applied as a
//! snapshot. Unrealized PnL is recomputed from the mark price between pushes, exactly, in integers.

use super::types::SymbolId;

/// How the margin of a position is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum MarginType {
    /// Shared with every crossed position of the account.
    #[default]
    Crossed,
    /// Set aside for this position alone.
    Isolated,
}

impl MarginType {
    /// `crossed` or `isolated` (the CLI's and the exchange's spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            MarginType::Crossed => "crossed",
            MarginType::Isolated => "isolated",
        }
    }
}

/// One contract's position as the venue reports it. Prices at the contract's price scale, sizes at its quantity
/// scale, money (PnL, margin) at the settlement asset's scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PositionRow {
    /// Signed size: above zero long, below zero short.
    pub qty: i64,
    /// Average open price (0 when flat).
    pub avg_open_price: i64,
    /// Realized PnL.
    pub realized_pnl: i64,
    /// Unrealized PnL as the venue last reported it.
    pub unrealized_pnl: i64,
    /// Leverage (an integer multiple).
    pub leverage: u16,
    /// Crossed or isolated.
    pub margin_type: MarginType,
    /// Margin set aside for an isolated position.
    pub isolated_margin: i64,
    /// Venue time of the report (ms).
    pub ts_ms: i64,
}

/// What applying a push did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PositionApplied {
    /// Applied.
    Applied,
    /// Applied, but it skipped sequence numbers: a resync is wanted.
    AppliedAfterGap,
    /// Not newer than what is held: dropped.
    Stale,
    /// The contract is not one of the session's.
    UnknownSymbol,
}

/// Scales needed to value a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PositionScales {
    /// Decimals of the contract's prices.
    pub price: u8,
    /// Decimals of the contract's sizes.
    pub qty: u8,
    /// Decimals of the settlement asset (PnL, margin).
    pub money: u8,
}

#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    row: PositionRow,
    known: bool,
    /// The last mark price seen (0: none yet).
    mark: i64,
}

/// Fixed table of positions indexed by [`SymbolId`] (allocation-free after construction).
pub struct Positions {
    slots: Box<[Slot]>,
    scales: Box<[PositionScales]>,
    last_sn: Option<u64>,
    resync: bool,
    gaps: u64,
    stale: u64,
}

impl Positions {
    /// A table for `scales.len()` contracts, none known yet, a resync wanted (the start is one).
    pub fn new(scales: Vec<PositionScales>) -> Positions {
        Positions {
            slots: vec![Slot::default(); scales.len()].into_boxed_slice(),
            scales: scales.into_boxed_slice(),
            last_sn: None,
            resync: true,
            gaps: 0,
            stale: 0,
        }
    }

    /// How many contracts the table holds.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// The table holds no contract (a spot session).
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The position in `symbol`, once the venue reported one (flat is a position too).
    pub fn get(&self, symbol: SymbolId) -> Option<&PositionRow> {
        self.slots
            .get(usize::from(symbol.0))
            .filter(|s| s.known)
            .map(|s| &s.row)
    }

    /// Applies one contract's row from an account push with sequence number `sn`. Several rows of one push share
    /// its `sn`: call [`Self::push_seen`] once per push first, then this for each row.
    pub fn apply_push_row(&mut self, symbol: SymbolId, row: PositionRow) -> bool {
        match self.slots.get_mut(usize::from(symbol.0)) {
            Some(s) => {
                s.row = row;
                s.known = true;
                true
            }
            None => false,
        }
    }

    /// Checks the sequence number of a push before its rows are applied; `Stale` means drop the whole push.
    pub fn push_seen(&mut self, sn: u64) -> PositionApplied {
        match self.last_sn {
            Some(last) if sn <= last => {
                self.stale += 1;
                PositionApplied::Stale
            }
            Some(last) if sn > last + 1 => {
                self.last_sn = Some(sn);
                self.gaps += 1;
                self.resync = true;
                PositionApplied::AppliedAfterGap
            }
            _ => {
                self.last_sn = Some(sn);
                PositionApplied::Applied
            }
        }
    }

    /// Starts a full resync (a reconnect: pushes may have been missed while the socket was down).
    pub fn want_resync(&mut self) {
        self.resync = true;
    }

    /// A resync from the venue's full position list is wanted (at start, after a gap, after a reconnect).
    pub fn resync_wanted(&self) -> bool {
        self.resync
    }

    /// Applies the venue's full position list: every contract named takes its row, every other one is flat.
    /// `sn`, when the list carries one, becomes the baseline for later pushes.
    pub fn apply_snapshot(
        &mut self,
        rows: &[(SymbolId, PositionRow)],
        sn: Option<u64>,
        ts_ms: i64,
    ) {
        for s in self.slots.iter_mut() {
            s.row = PositionRow {
                ts_ms,
                leverage: s.row.leverage,
                margin_type: s.row.margin_type,
                ..PositionRow::default()
            };
            s.known = true;
        }
        for (sym, row) in rows {
            let _ = self.apply_push_row(*sym, *row);
        }
        if let Some(sn) = sn {
            self.last_sn = Some(self.last_sn.map_or(sn, |l| l.max(sn)));
        }
        self.resync = false;
    }

    /// Records the mark price of `symbol` (for [`Self::unrealized_pnl`]).
    pub fn set_mark(&mut self, symbol: SymbolId, mark: i64) {
        if let Some(s) = self.slots.get_mut(usize::from(symbol.0)) {
            s.mark = mark;
        }
    }

    /// The last mark price of `symbol` (0: none yet).
    pub fn mark(&self, symbol: SymbolId) -> i64 {
        self.slots.get(usize::from(symbol.0)).map_or(0, |s| s.mark)
    }

    /// Unrealized PnL of `symbol` at its last mark price: `qty × (mark − avg_open_price)`, at the money scale,
    /// rounded toward zero; the venue's own figure when no mark price is known yet. `None`: no position known.
    pub fn unrealized_pnl(&self, symbol: SymbolId) -> Option<i64> {
        let i = usize::from(symbol.0);
        let s = self.slots.get(i).filter(|s| s.known)?;
        if s.mark == 0 || s.row.qty == 0 {
            return Some(if s.row.qty == 0 {
                0
            } else {
                s.row.unrealized_pnl
            });
        }
        let sc = self.scales.get(i)?;
        pnl(s.row.qty, s.row.avg_open_price, s.mark, *sc)
    }

    /// Pushes dropped as stale, and pushes that skipped sequence numbers.
    pub fn counters(&self) -> (u64, u64) {
        (self.stale, self.gaps)
    }
}

/// `qty × (price − open)` at `sc.money`, rounded toward zero; `None` on overflow.
pub fn pnl(qty: i64, open: i64, price: i64, sc: PositionScales) -> Option<i64> {
    let v = i128::from(qty).checked_mul(i128::from(price) - i128::from(open))?;
    let from = u32::from(sc.price) + u32::from(sc.qty);
    let to = u32::from(sc.money);
    let r = if to >= from {
        v.checked_mul(10i128.checked_pow(to - from)?)?
    } else {
        v / 10i128.checked_pow(from - to)?
    };
    i64::try_from(r).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SC: PositionScales = PositionScales {
        price: 2,
        qty: 4,
        money: 6,
    };

    fn row(qty: i64, aop: i64) -> PositionRow {
        PositionRow {
            qty,
            avg_open_price: aop,
            leverage: 10,
            ..PositionRow::default()
        }
    }

    #[test]
    fn pnl_is_exact_for_longs_and_shorts() {
        // 0.0110 long from 35041.36 marked at 35100.00: 0.011 × 58.64 = 0.64504
        assert_eq!(pnl(110, 3_504_136, 3_510_000, SC), Some(645_040));
        // the same short loses it
        assert_eq!(pnl(-110, 3_504_136, 3_510_000, SC), Some(-645_040));
        // rounding toward zero below the money scale
        let coarse = PositionScales { money: 2, ..SC };
        assert_eq!(pnl(1, 0, 1, coarse), Some(0));
        assert_eq!(pnl(-1, 0, 1, coarse), Some(0));
        assert_eq!(pnl(i64::MAX, 0, i64::MAX, SC), None, "overflow is refused");
    }

    #[test]
    fn pushes_in_order_apply_stale_ones_are_dropped_and_a_gap_wants_a_resync() {
        let mut p = Positions::new(vec![SC, SC]);
        assert!(p.resync_wanted(), "the start is a resync");
        assert_eq!(p.get(SymbolId(0)), None);
        p.apply_snapshot(&[(SymbolId(0), row(110, 3_504_136))], Some(10), 1);
        assert!(!p.resync_wanted());
        assert_eq!(
            p.get(SymbolId(1)).map(|r| r.qty),
            Some(0),
            "not listed: flat"
        );
        assert_eq!(p.push_seen(11), PositionApplied::Applied);
        assert!(p.apply_push_row(SymbolId(0), row(220, 3_504_000)));
        assert_eq!(p.push_seen(11), PositionApplied::Stale, "a replay");
        assert_eq!(p.push_seen(9), PositionApplied::Stale, "reordered");
        assert_eq!(p.get(SymbolId(0)).map(|r| r.qty), Some(220));
        assert_eq!(p.push_seen(14), PositionApplied::AppliedAfterGap);
        assert!(p.resync_wanted());
        assert_eq!(p.counters(), (2, 1));
        assert!(
            !p.apply_push_row(SymbolId(7), row(1, 1)),
            "unknown contract"
        );
        p.want_resync();
        assert!(p.resync_wanted());
    }

    #[test]
    fn unrealized_follows_the_mark_between_pushes() {
        let mut p = Positions::new(vec![SC]);
        p.apply_snapshot(
            &[(
                SymbolId(0),
                PositionRow {
                    unrealized_pnl: 123,
                    ..row(110, 3_504_136)
                },
            )],
            None,
            0,
        );
        assert_eq!(
            p.unrealized_pnl(SymbolId(0)),
            Some(123),
            "no mark yet: the venue's"
        );
        p.set_mark(SymbolId(0), 3_510_000);
        assert_eq!(p.unrealized_pnl(SymbolId(0)), Some(645_040));
        p.set_mark(SymbolId(0), 3_500_000);
        assert_eq!(p.unrealized_pnl(SymbolId(0)), Some(-454_960));
    }
}
