//! Balances per asset (total and available, scaled integers at each asset's scale), from a snapshot then pushes,
//! with a sequence guard so a late or replayed push never overwrites newer figures.

use std::fmt;

use super::types::AssetId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Balance {
    pub total: i64,
    pub available: i64,
    /// Sequence number of the last applied update (0: from a snapshot without one, or never set).
    pub seq: u64,
    pub known: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalanceError {
    /// The asset index is outside the table built at start-up.
    UnknownAsset(AssetId),
    /// Available above total, or a negative figure: the update is refused.
    Inconsistent,
}

impl fmt::Display for BalanceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BalanceError::UnknownAsset(a) => {
                write!(f, "asset index {} not in the balance table", a.0)
            }
            BalanceError::Inconsistent => {
                f.write_str("balance update with available above total or a negative figure")
            }
        }
    }
}

impl std::error::Error for BalanceError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalanceApplied {
    Applied,
    /// Older than what we hold: ignored.
    Stale,
}

/// Fixed table of balances indexed by [`AssetId`].
pub struct Balances {
    slots: Box<[Balance]>,
}

impl Balances {
    pub fn new(assets: usize) -> Balances {
        Balances {
            slots: vec![Balance::default(); assets].into_boxed_slice(),
        }
    }

    pub fn get(&self, a: AssetId) -> Option<&Balance> {
        self.slots.get(a.0 as usize).filter(|b| b.known)
    }

    fn slot(&mut self, a: AssetId) -> Result<&mut Balance, BalanceError> {
        self.slots
            .get_mut(a.0 as usize)
            .ok_or(BalanceError::UnknownAsset(a))
    }

    fn validate(total: i64, available: i64) -> Result<(), BalanceError> {
        if total < 0 || available < 0 || available > total {
            return Err(BalanceError::Inconsistent);
        }
        Ok(())
    }

    /// A full snapshot (REST balance). It carries no sequence number, so it resets the guard: the next push is
    /// accepted whatever its number.
    pub fn apply_snapshot(
        &mut self,
        a: AssetId,
        total: i64,
        available: i64,
    ) -> Result<(), BalanceError> {
        Self::validate(total, available)?;
        *self.slot(a)? = Balance {
            total,
            available,
            seq: 0,
            known: true,
        };
        Ok(())
    }

    /// Sets every asset absent from a snapshot to zero (the exchange omits zero balances by default).
    pub fn zero_unlisted(&mut self, listed: impl Fn(AssetId) -> bool) {
        for (i, b) in self.slots.iter_mut().enumerate() {
            if !listed(AssetId(i as u16)) {
                *b = Balance {
                    total: 0,
                    available: 0,
                    seq: 0,
                    known: true,
                };
            }
        }
    }

    /// A push (balance message, or the balances carried by an order message) with its sequence number.
    pub fn apply_update(
        &mut self,
        a: AssetId,
        total: i64,
        available: i64,
        seq: u64,
    ) -> Result<BalanceApplied, BalanceError> {
        Self::validate(total, available)?;
        let b = self.slot(a)?;
        if b.known && b.seq != 0 && seq <= b.seq {
            return Ok(BalanceApplied::Stale);
        }
        *b = Balance {
            total,
            available,
            seq,
            known: true,
        };
        Ok(BalanceApplied::Applied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_then_pushes_with_guard() {
        let mut b = Balances::new(2);
        let usdt = AssetId(0);
        assert!(b.get(usdt).is_none());
        b.apply_snapshot(usdt, 1000, 900).unwrap();
        assert_eq!(b.get(usdt).unwrap().available, 900);
        assert_eq!(
            b.apply_update(usdt, 1000, 800, 10),
            Ok(BalanceApplied::Applied)
        );
        assert_eq!(
            b.apply_update(usdt, 1000, 700, 9),
            Ok(BalanceApplied::Stale)
        );
        assert_eq!(
            b.apply_update(usdt, 1000, 700, 10),
            Ok(BalanceApplied::Stale)
        );
        assert_eq!(b.get(usdt).unwrap().available, 800);
        assert_eq!(
            b.apply_update(usdt, 1000, 600, 11),
            Ok(BalanceApplied::Applied)
        );
        assert_eq!(b.get(usdt).unwrap().available, 600);
        // A snapshot resets the guard.
        b.apply_snapshot(usdt, 500, 500).unwrap();
        assert_eq!(
            b.apply_update(usdt, 400, 400, 3),
            Ok(BalanceApplied::Applied)
        );
    }

    #[test]
    fn rejects_bad_input() {
        let mut b = Balances::new(1);
        assert_eq!(
            b.apply_update(AssetId(1), 1, 1, 1),
            Err(BalanceError::UnknownAsset(AssetId(1)))
        );
        assert_eq!(
            b.apply_update(AssetId(0), 1, 2, 1),
            Err(BalanceError::Inconsistent)
        );
        assert_eq!(
            b.apply_snapshot(AssetId(0), -1, 0),
            Err(BalanceError::Inconsistent)
        );
        assert!(b.get(AssetId(0)).is_none());
    }

    #[test]
    fn zero_unlisted_marks_known() {
        let mut b = Balances::new(3);
        b.apply_snapshot(AssetId(1), 5, 5).unwrap();
        b.zero_unlisted(|a| a == AssetId(1));
        assert_eq!(b.get(AssetId(0)).unwrap().total, 0);
        assert_eq!(b.get(AssetId(1)).unwrap().total, 5);
    }
}
