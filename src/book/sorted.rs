//! The alternative representation, kept to measure against the ladder (`benches/book.rs`, group
//! `book_representation`): per side a sorted fixed-capacity array of levels, best first. An update is a binary search
//! plus a shift of the levels behind it; the best level is always at index 0. Levels past the capacity are dropped,
//! so only the top `capacity` levels are kept (the same guarantee as the ladder's depth, without the window).
//!
//! The engine uses the ladder (`Book`); this type exists for the comparison and is not wired anywhere.

use super::{Level, Side};
use crate::num::{Price, Qty};

/// One side: `len` sorted levels (best first) in a preallocated array.
#[derive(Debug, Clone)]
struct SortedSide {
    levels: Box<[Level]>,
    len: usize,
    side: Side,
}

impl SortedSide {
    fn new(cap: usize, side: Side) -> SortedSide {
        SortedSide {
            levels: vec![Level::default(); cap.max(1)].into_boxed_slice(),
            len: 0,
            side,
        }
    }

    /// Index of `price`, or where it would go, in best-first order.
    #[inline]
    fn find(&self, price: Price) -> Result<usize, usize> {
        let live = self.levels.get(..self.len).unwrap_or(&[]);
        match self.side {
            Side::Bid => live.binary_search_by(|l| price.cmp(&l.price)),
            Side::Ask => live.binary_search_by(|l| l.price.cmp(&price)),
        }
    }

    #[inline]
    fn set(&mut self, price: Price, qty: Qty) {
        match (self.find(price), qty.0 == 0) {
            (Ok(i), false) => {
                if let Some(l) = self.levels.get_mut(i) {
                    l.qty = qty;
                }
            }
            (Ok(i), true) => {
                if let Some(s) = self.levels.get_mut(i..self.len) {
                    s.rotate_left(1);
                }
                self.len -= 1;
            }
            (Err(i), false) => {
                let cap = self.levels.len();
                if i >= cap {
                    return;
                }
                let end = (self.len + 1).min(cap);
                if let Some(s) = self.levels.get_mut(i..end) {
                    s.rotate_right(1);
                    if let Some(first) = s.first_mut() {
                        *first = Level { price, qty };
                    }
                }
                self.len = end;
            }
            (Err(_), true) => {}
        }
    }
}

/// A book of two sorted arrays, each holding at most `capacity` levels.
#[derive(Debug, Clone)]
pub struct SortedBook {
    bids: SortedSide,
    asks: SortedSide,
}

impl SortedBook {
    /// Allocate both sides; nothing allocates afterwards.
    pub fn new(capacity: usize) -> SortedBook {
        SortedBook {
            bids: SortedSide::new(capacity, Side::Bid),
            asks: SortedSide::new(capacity, Side::Ask),
        }
    }

    /// Insert, replace or (quantity 0) delete a level.
    #[inline]
    pub fn set(&mut self, side: Side, price: Price, qty: Qty) {
        match side {
            Side::Bid => self.bids.set(price, qty),
            Side::Ask => self.asks.set(price, qty),
        }
    }

    /// Empties both sides; the storage is kept, so refilling allocates nothing.
    pub fn clear(&mut self) {
        self.bids.len = 0;
        self.asks.len = 0;
    }

    /// Levels of a side, best first.
    pub fn levels(&self, side: Side) -> &[Level] {
        let s = match side {
            Side::Bid => &self.bids,
            Side::Ask => &self.asks,
        };
        s.levels.get(..s.len).unwrap_or(&[])
    }

    /// The best level of a side (highest bid, lowest ask); `None` when the side is empty.
    pub fn best(&self, side: Side) -> Option<Level> {
        self.levels(side).first().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(p: i64, q: i64) -> Level {
        Level {
            price: Price(p),
            qty: Qty(q),
        }
    }

    #[test]
    fn keeps_sorted_top_levels() {
        let mut b = SortedBook::new(3);
        for (p, q) in [(100, 1), (102, 2), (101, 3), (99, 4)] {
            b.set(Side::Bid, Price(p), Qty(q));
        }
        assert_eq!(b.levels(Side::Bid), &[lv(102, 2), lv(101, 3), lv(100, 1)]);
        b.set(Side::Bid, Price(102), Qty(0));
        assert_eq!(b.best(Side::Bid), Some(lv(101, 3)));
        b.set(Side::Bid, Price(100), Qty(9));
        assert_eq!(b.levels(Side::Bid), &[lv(101, 3), lv(100, 9)]);
        for (p, q) in [(105, 1), (103, 2), (104, 3), (106, 0)] {
            b.set(Side::Ask, Price(p), Qty(q));
        }
        assert_eq!(b.levels(Side::Ask), &[lv(103, 2), lv(104, 3), lv(105, 1)]);
        b.clear();
        assert_eq!(b.best(Side::Ask), None);
    }
}
