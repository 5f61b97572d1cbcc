//! The array-backed price ladder: one slot per tick inside a movable window, bids and asks side by side.
//!
//! Representation: a window of `cap` ticks (a multiple of 64) starting at tick index `base` (also a multiple of 64).
//! Each side has a quantity per slot and an occupancy bitmap (one bit per slot), so an update is one store plus one bit
//! operation, and the next best level after the best is deleted is found with `leading_zeros`/`trailing_zeros` on the
//! bitmap words rather than by scanning quantities.
//!
//! Window rule (what happens to prices outside it), chosen so the top `depth` levels stay exact:
//! - a level that is *worse* than the window on its own side (a bid below it, an ask above it) is not stored; when its
//!   quantity is non-zero the side remembers a *lost edge*: the best price at which something real may be missing
//!   (for bids the highest lost tick, for asks the lowest);
//! - a level that is *better* than the window (a bid above it, an ask below it) moves the window so that price sits in
//!   its middle; slots shifted out on a side's worse end extend its lost edge; slots shifted out on its better end, or
//!   a window that now reaches over the lost edge (the missing levels would now be inside it), make the side
//!   `corrupt` until the next snapshot;
//! - a side is `complete` when it is not corrupt and either nothing was lost or it still holds at least `depth` levels
//!   inside the window: then its best `depth` levels are exactly the real ones, because every lost level is worse than
//!   every stored one. `BookSync` asks for a new snapshot when a side stops being complete.
//!
//! Moving the window is a `copy_within` of whole bitmap words (the shift is a multiple of 64 ticks) and never allocates;
//! all memory is allocated in `Book::new`.

use super::{Level, Side};
use crate::num::{Price, Qty};
use std::fmt;

/// Ladder parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookConfig {
    /// Price step as a mantissa at the price scale (`Step::mantissa`; 1 when the tick is a power of ten).
    pub tick: i64,
    /// Window width in ticks; rounded up to a multiple of 64, at least 128.
    pub window: usize,
    /// Levels per side the book guarantees exact, and the most that `bids()`/`asks()` yield.
    pub depth: usize,
}

impl Default for BookConfig {
    fn default() -> Self {
        BookConfig {
            tick: 1,
            window: 4096,
            depth: 20,
        }
    }
}

/// Why a level could not be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookError {
    /// A price of zero or below, or above `MAX_PRICE`.
    BadPrice,
    /// A negative quantity.
    NegativeQty,
    /// A price that is not a multiple of the tick.
    OffTick,
    /// `tick` ≤ 0, `depth` 0 or a window too large to index.
    BadConfig,
}

impl fmt::Display for BookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BookError::BadPrice => "book level with a price of zero or below, or above 2^60 units",
            BookError::NegativeQty => "book level with a negative quantity",
            BookError::OffTick => "book level price is not a multiple of the symbol's tick size",
            BookError::BadConfig => {
                "book configuration invalid: tick must be > 0, depth > 0, window <= 2^24 ticks"
            }
        })
    }
}

impl std::error::Error for BookError {}

/// What `Book::set` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOutcome {
    /// A level was inserted or its quantity replaced.
    Stored,
    /// A level was removed.
    Deleted,
    /// A delete for a price that holds nothing.
    Absent,
    /// A non-zero level worse than the window on its side; not stored (see the module's window rule). A delete there
    /// is `Absent`.
    OutsideWindow,
}

/// Largest accepted price mantissa: keeps every tick-index computation far from `i64` overflow.
pub const MAX_PRICE: i64 = 1 << 60;

/// `base` while no window is placed: every price is then "outside", which routes it to the anchoring code.
const UNANCHORED_BASE: i64 = -(1 << 61);

const NO_BID: i64 = -1;
const NO_ASK: i64 = i64::MAX;

#[derive(Debug)]
struct Ladder {
    qty: Box<[i64]>,
    bits: Box<[u64]>,
    count: usize,
    /// Best tick at which a real level may be missing: bids the highest (`i64::MIN` = none), asks the lowest
    /// (`i64::MAX` = none).
    lost_edge: i64,
    corrupt: bool,
}

impl Ladder {
    fn new(cap: usize, side: Side) -> Ladder {
        Ladder {
            qty: vec![0; cap].into_boxed_slice(),
            bits: vec![0; cap / 64].into_boxed_slice(),
            count: 0,
            lost_edge: Self::no_loss(side),
            corrupt: false,
        }
    }

    fn no_loss(side: Side) -> i64 {
        match side {
            Side::Bid => i64::MIN,
            Side::Ask => i64::MAX,
        }
    }

    fn has_loss(&self) -> bool {
        self.lost_edge != i64::MIN && self.lost_edge != i64::MAX
    }

    /// Record a real level missing at tick `t`.
    fn lose(&mut self, side: Side, t: i64) {
        self.lost_edge = match side {
            Side::Bid => self.lost_edge.max(t),
            Side::Ask => self.lost_edge.min(t),
        };
    }

    fn clear(&mut self) {
        for (w, word) in self.bits.iter_mut().enumerate() {
            if *word != 0 {
                if let Some(q) = self.qty.get_mut(w * 64..w * 64 + 64) {
                    q.fill(0);
                }
                *word = 0;
            }
        }
        self.count = 0;
        self.corrupt = false;
    }

    /// Store or delete at `slot` (in range). Returns whether the slot was occupied before.
    #[inline]
    fn put(&mut self, slot: usize, qty: i64) -> bool {
        let (Some(word), Some(q)) = (self.bits.get_mut(slot >> 6), self.qty.get_mut(slot)) else {
            return false;
        };
        let bit = 1u64 << (slot & 63);
        let was = *word & bit != 0;
        *q = qty;
        if qty == 0 {
            *word &= !bit;
            self.count -= was as usize;
        } else {
            *word |= bit;
            self.count += !was as usize;
        }
        was
    }

    /// Highest occupied slot strictly below `slot`.
    #[inline]
    fn highest_below(&self, slot: usize) -> i64 {
        let mut w = slot >> 6;
        let b = slot & 63;
        let Some(&first) = self.bits.get(w) else {
            return self.highest();
        };
        let mut word = first & ((1u64 << b) - 1);
        loop {
            if word != 0 {
                return (w * 64 + 63 - word.leading_zeros() as usize) as i64;
            }
            if w == 0 {
                return NO_BID;
            }
            w -= 1;
            word = self.bits.get(w).copied().unwrap_or(0);
        }
    }

    /// Lowest occupied slot strictly above `slot`.
    #[inline]
    fn lowest_above(&self, slot: usize) -> i64 {
        let mut w = slot >> 6;
        let b = slot & 63;
        let Some(&first) = self.bits.get(w) else {
            return NO_ASK;
        };
        let mut word = if b == 63 {
            0
        } else {
            first & (!0u64 << (b + 1))
        };
        loop {
            if word != 0 {
                return (w * 64 + word.trailing_zeros() as usize) as i64;
            }
            w += 1;
            match self.bits.get(w) {
                Some(&x) => word = x,
                None => return NO_ASK,
            }
        }
    }

    fn highest(&self) -> i64 {
        for (w, &word) in self.bits.iter().enumerate().rev() {
            if word != 0 {
                return (w * 64 + 63 - word.leading_zeros() as usize) as i64;
            }
        }
        NO_BID
    }

    fn lowest(&self) -> i64 {
        for (w, &word) in self.bits.iter().enumerate() {
            if word != 0 {
                return (w * 64 + word.trailing_zeros() as usize) as i64;
            }
        }
        NO_ASK
    }

    /// Shift contents by `k` words (window moves up by k*64 ticks when k > 0). Returns (dropped at the low end,
    /// dropped at the high end).
    fn shift(&mut self, k: i64) -> (bool, bool) {
        let words = self.bits.len();
        let n = k.unsigned_abs() as usize;
        if n >= words {
            let any = self.count != 0;
            self.clear();
            return if k > 0 { (any, false) } else { (false, any) };
        }
        let (lo, hi);
        if k > 0 {
            lo = self
                .bits
                .get(..n)
                .is_some_and(|s| s.iter().any(|&w| w != 0));
            hi = false;
            self.bits.copy_within(n.., 0);
            self.qty.copy_within(n * 64.., 0);
            if let Some(s) = self.bits.get_mut(words - n..) {
                s.fill(0);
            }
            if let Some(s) = self.qty.get_mut((words - n) * 64..) {
                s.fill(0);
            }
        } else {
            lo = false;
            hi = self
                .bits
                .get(words - n..)
                .is_some_and(|s| s.iter().any(|&w| w != 0));
            self.bits.copy_within(..words - n, n);
            self.qty.copy_within(..(words - n) * 64, n * 64);
            if let Some(s) = self.bits.get_mut(..n) {
                s.fill(0);
            }
            if let Some(s) = self.qty.get_mut(..n * 64) {
                s.fill(0);
            }
        }
        self.count = self.bits.iter().map(|w| w.count_ones() as usize).sum();
        (lo, hi)
    }
}

/// An order book for one symbol: exact integer prices and quantities in a tick-indexed window.
#[derive(Debug)]
pub struct Book {
    tick: i64,
    cap: usize,
    depth: usize,
    /// Tick index of slot 0; a multiple of 64. Meaningless while `anchored` is false.
    base: i64,
    anchored: bool,
    bids: Ladder,
    asks: Ladder,
    best_bid: i64,
    best_ask: i64,
    recentres: u64,
    outside: u64,
    /// Set when an update stored, replaced or removed the best level of a side (see `take_bbo_touched`).
    bbo_touched: bool,
}

impl Book {
    /// Allocate a book; no allocation happens after this.
    pub fn new(cfg: BookConfig) -> Result<Book, BookError> {
        if cfg.tick <= 0 || cfg.depth == 0 || cfg.window > (1 << 24) {
            return Err(BookError::BadConfig);
        }
        let cap = cfg.window.max(128).div_ceil(64) * 64;
        Ok(Book {
            tick: cfg.tick,
            cap,
            depth: cfg.depth,
            base: UNANCHORED_BASE,
            anchored: false,
            bids: Ladder::new(cap, Side::Bid),
            asks: Ladder::new(cap, Side::Ask),
            best_bid: NO_BID,
            best_ask: NO_ASK,
            recentres: 0,
            outside: 0,
            bbo_touched: false,
        })
    }

    /// Remove every level and forget the window position.
    pub fn clear(&mut self) {
        self.bbo_touched = true;
        self.bids.clear();
        self.asks.clear();
        self.bids.lost_edge = Ladder::no_loss(Side::Bid);
        self.asks.lost_edge = Ladder::no_loss(Side::Ask);
        self.best_bid = NO_BID;
        self.best_ask = NO_ASK;
        self.anchored = false;
        self.base = UNANCHORED_BASE;
    }

    /// Replace the whole book with a snapshot. The window is centred on the snapshot's mid.
    pub fn reset_from(&mut self, bids: &[Level], asks: &[Level]) -> Result<(), BookError> {
        self.clear();
        let bb = bids.iter().filter(|l| l.qty.0 > 0).map(|l| l.price.0).max();
        let ba = asks.iter().filter(|l| l.qty.0 > 0).map(|l| l.price.0).min();
        let tb = bb.map(|p| self.tick_of(Price(p))).transpose()?;
        let ta = ba.map(|p| self.tick_of(Price(p))).transpose()?;
        let centre = match (tb, ta) {
            (Some(b), Some(a)) => Some(b / 2 + a / 2),
            (Some(t), None) | (None, Some(t)) => Some(t),
            (None, None) => None,
        };
        if let Some(c) = centre {
            self.anchor_at(c);
        }
        for l in bids {
            self.set(Side::Bid, l.price, l.qty)?;
        }
        for l in asks {
            self.set(Side::Ask, l.price, l.qty)?;
        }
        Ok(())
    }

    #[inline]
    fn tick_of(&self, price: Price) -> Result<i64, BookError> {
        if self.tick == 1 {
            Ok(price.0)
        } else if price.0 % self.tick != 0 {
            Err(BookError::OffTick)
        } else {
            Ok(price.0 / self.tick)
        }
    }

    fn anchor_at(&mut self, centre_tick: i64) {
        let half = (self.cap / 2) as i64;
        self.base = (centre_tick - half).div_euclid(64) * 64;
        self.anchored = true;
    }

    /// Insert, replace or (with a zero quantity) delete the level at `price` on `side`.
    #[inline(always)]
    pub fn set(&mut self, side: Side, price: Price, qty: Qty) -> Result<SetOutcome, BookError> {
        if (price.0 as u64).wrapping_sub(1) >= MAX_PRICE as u64 {
            return Err(BookError::BadPrice);
        }
        if qty.0 < 0 {
            return Err(BookError::NegativeQty);
        }
        let t = self.tick_of(price)?;
        // While unanchored, `base` is far below any price, so this test also sends that case to the slow path.
        let mut off = t - self.base;
        if off as u64 >= self.cap as u64 {
            match self.place_outside(side, t, qty) {
                Some(o) => off = o,
                None => {
                    return Ok(if qty.0 == 0 {
                        SetOutcome::Absent
                    } else {
                        SetOutcome::OutsideWindow
                    });
                }
            }
        }
        let slot = off as usize;
        Ok(match side {
            Side::Bid => {
                let was = self.bids.put(slot, qty.0);
                let s = slot as i64;
                if qty.0 != 0 {
                    if s >= self.best_bid {
                        self.best_bid = s;
                        self.bbo_touched = true;
                    }
                    SetOutcome::Stored
                } else if was {
                    if s == self.best_bid {
                        self.best_bid = self.bids.highest_below(slot);
                        self.bbo_touched = true;
                    }
                    SetOutcome::Deleted
                } else {
                    SetOutcome::Absent
                }
            }
            Side::Ask => {
                let was = self.asks.put(slot, qty.0);
                let s = slot as i64;
                if qty.0 != 0 {
                    if s <= self.best_ask {
                        self.best_ask = s;
                        self.bbo_touched = true;
                    }
                    SetOutcome::Stored
                } else if was {
                    if s == self.best_ask {
                        self.best_ask = self.asks.lowest_above(slot);
                        self.bbo_touched = true;
                    }
                    SetOutcome::Deleted
                } else {
                    SetOutcome::Absent
                }
            }
        })
    }

    /// A price outside the window (or no window yet): anchor or recentre and return the new offset, or `None` when
    /// the update is not stored (see the module's window rule).
    #[cold]
    fn place_outside(&mut self, side: Side, t: i64, qty: Qty) -> Option<i64> {
        if !self.anchored {
            if qty.0 == 0 {
                return None;
            }
            self.anchor_at(t);
            return Some(t - self.base);
        }
        let off = t - self.base;
        let better = match side {
            Side::Bid => off >= 0,
            Side::Ask => off < 0,
        };
        if !better {
            self.outside += 1;
            if qty.0 != 0 {
                self.ladder_mut(side).lose(side, t);
            }
            return None;
        }
        if qty.0 == 0 {
            // Deleting a level better than anything we hold: it cannot be stored, so nothing changes.
            return None;
        }
        self.recentre(t);
        Some(t - self.base)
    }

    fn ladder_mut(&mut self, side: Side) -> &mut Ladder {
        match side {
            Side::Bid => &mut self.bids,
            Side::Ask => &mut self.asks,
        }
    }

    fn ladder(&self, side: Side) -> &Ladder {
        match side {
            Side::Bid => &self.bids,
            Side::Ask => &self.asks,
        }
    }

    #[cold]
    fn recentre(&mut self, centre_tick: i64) {
        let old = self.base;
        self.anchor_at(centre_tick);
        let k = (self.base - old) / 64;
        self.recentres += 1;
        self.bbo_touched = true;
        let (bl, bh) = self.bids.shift(k);
        let (al, ah) = self.asks.shift(k);
        // Bids lost at the low end and asks at the high end are worse than what remains: only depth is lost.
        // Bids lost at the high end or asks at the low end were better than what remains: the side is wrong.
        let top = self.base + self.cap as i64;
        if bl {
            self.bids.lose(Side::Bid, self.base - 1);
        }
        if ah {
            self.asks.lose(Side::Ask, top);
        }
        self.bids.corrupt |= bh || self.bids.lost_edge >= self.base;
        self.asks.corrupt |= al || self.asks.lost_edge < top;
        self.best_bid = self.bids.highest();
        self.best_ask = self.asks.lowest();
    }

    #[inline]
    fn price_of(&self, slot: i64) -> Price {
        Price((self.base + slot) * self.tick)
    }

    #[inline]
    fn qty_at(&self, side: Side, slot: i64) -> Qty {
        Qty(self
            .ladder(side)
            .qty
            .get(slot as usize)
            .copied()
            .unwrap_or(0))
    }

    /// The highest bid with its total size; `None` while the bid side is empty. O(1): the index is kept on every
    /// update.
    #[inline]
    pub fn best_bid(&self) -> Option<Level> {
        (self.best_bid != NO_BID).then(|| Level {
            price: self.price_of(self.best_bid),
            qty: self.qty_at(Side::Bid, self.best_bid),
        })
    }

    /// The lowest ask with its total size; `None` while the ask side is empty. O(1), like [`Book::best_bid`].
    #[inline]
    pub fn best_ask(&self) -> Option<Level> {
        (self.best_ask != NO_ASK).then(|| Level {
            price: self.price_of(self.best_ask),
            qty: self.qty_at(Side::Ask, self.best_ask),
        })
    }

    /// Whether the best bid or ask was stored, replaced or removed since the last call (its price or size may have
    /// changed), and reset the flag.
    #[inline]
    pub fn take_bbo_touched(&mut self) -> bool {
        std::mem::take(&mut self.bbo_touched)
    }

    /// Best bid ≥ best ask.
    #[inline]
    pub fn is_crossed(&self) -> bool {
        self.best_bid != NO_BID && self.best_ask != NO_ASK && self.best_bid >= self.best_ask
    }

    /// The quantity stored at `price` (zero when absent or outside the window).
    pub fn qty(&self, side: Side, price: Price) -> Qty {
        let Ok(t) = self.tick_of(price) else {
            return Qty(0);
        };
        let off = t - self.base;
        if !self.anchored || off < 0 || off >= self.cap as i64 {
            return Qty(0);
        }
        self.qty_at(side, off)
    }

    /// Levels of `side` held in the window.
    pub fn len(&self, side: Side) -> usize {
        self.ladder(side).count
    }

    /// No level on either side.
    pub fn is_empty(&self) -> bool {
        self.bids.count == 0 && self.asks.count == 0
    }

    /// Are the best `depth` levels of `side` exact? (See the module's window rule.)
    #[inline]
    pub fn is_complete(&self, side: Side) -> bool {
        let l = self.ladder(side);
        !l.corrupt && (!l.has_loss() || l.count >= self.depth)
    }

    /// The number of levels per side the book guarantees exact (`BookConfig::depth`); deeper levels may be missing.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The price step as a mantissa at the symbol's price scale: every level's price is a multiple of it.
    pub fn tick(&self) -> i64 {
        self.tick
    }

    /// How often the window moved.
    pub fn recentres(&self) -> u64 {
        self.recentres
    }

    /// How many updates fell outside the window on their worse side.
    pub fn outside_window(&self) -> u64 {
        self.outside
    }

    /// Bids, best (highest) first, at most `depth` of them.
    pub fn bids(&self) -> Levels<'_> {
        self.levels(Side::Bid)
    }

    /// Asks, best (lowest) first, at most `depth` of them.
    pub fn asks(&self) -> Levels<'_> {
        self.levels(Side::Ask)
    }

    /// Levels of one side, best first, at most `depth`.
    pub fn levels(&self, side: Side) -> Levels<'_> {
        let best = match side {
            Side::Bid => self.best_bid,
            Side::Ask => self.best_ask,
        };
        let empty = best == NO_BID || best == NO_ASK;
        Levels {
            book: self,
            side,
            next: best,
            remaining: if empty { 0 } else { self.depth },
        }
    }
}

/// Iterator over one side's levels, best first.
#[derive(Debug, Clone)]
pub struct Levels<'a> {
    book: &'a Book,
    side: Side,
    next: i64,
    remaining: usize,
}

impl Iterator for Levels<'_> {
    type Item = Level;

    #[inline]
    fn next(&mut self) -> Option<Level> {
        if self.remaining == 0 || self.next == NO_BID || self.next == NO_ASK {
            return None;
        }
        self.remaining -= 1;
        let slot = self.next;
        let lvl = Level {
            price: self.book.price_of(slot),
            qty: self.book.qty_at(self.side, slot),
        };
        self.next = match self.side {
            Side::Bid => self.book.bids.highest_below(slot as usize),
            Side::Ask => self.book.asks.lowest_above(slot as usize),
        };
        Some(lvl)
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

    fn book(window: usize, depth: usize) -> Book {
        Book::new(BookConfig {
            tick: 1,
            window,
            depth,
        })
        .unwrap()
    }

    #[test]
    fn best_after_deletion_uses_the_bitmap() {
        let mut b = book(1024, 10);
        b.reset_from(
            &[lv(1000, 1), lv(990, 2), lv(900, 3)],
            &[lv(1010, 4), lv(1100, 5)],
        )
        .unwrap();
        assert_eq!(b.best_bid(), Some(lv(1000, 1)));
        assert_eq!(b.best_ask(), Some(lv(1010, 4)));
        assert_eq!(
            b.set(Side::Bid, Price(1000), Qty(0)),
            Ok(SetOutcome::Deleted)
        );
        assert_eq!(b.best_bid(), Some(lv(990, 2)));
        b.set(Side::Bid, Price(990), Qty(0)).unwrap();
        assert_eq!(b.best_bid(), Some(lv(900, 3)));
        b.set(Side::Ask, Price(1010), Qty(0)).unwrap();
        assert_eq!(b.best_ask(), Some(lv(1100, 5)));
        b.set(Side::Ask, Price(1100), Qty(0)).unwrap();
        assert_eq!(b.best_ask(), None);
        assert_eq!(
            b.set(Side::Ask, Price(1100), Qty(0)),
            Ok(SetOutcome::Absent)
        );
        let bids: Vec<Level> = b.bids().collect();
        assert_eq!(bids, vec![lv(900, 3)]);
    }

    #[test]
    fn iteration_is_best_first_and_capped_at_depth() {
        let mut b = book(512, 3);
        let bids: Vec<Level> = (0..6).map(|i| lv(1000 - i * 7, i + 1)).collect();
        let asks: Vec<Level> = (0..6).map(|i| lv(1001 + i * 65, i + 1)).collect();
        b.reset_from(&bids, &asks).unwrap();
        assert_eq!(b.bids().collect::<Vec<_>>(), bids[..3].to_vec());
        assert_eq!(b.asks().collect::<Vec<_>>(), asks[..3].to_vec());
        assert_eq!(b.len(Side::Bid), 6);
    }

    #[test]
    fn recentring_keeps_levels_inside_and_marks_far_ones_lost() {
        let mut b = book(256, 2);
        b.reset_from(
            &[lv(1000, 1), lv(999, 2), lv(900, 3)],
            &[lv(1001, 1), lv(1050, 2)],
        )
        .unwrap();
        let r0 = b.recentres();
        // A bid far above the window: the window moves up, the low bids drop out.
        assert_eq!(
            b.set(Side::Bid, Price(1300), Qty(7)),
            Ok(SetOutcome::Stored)
        );
        assert_eq!(b.recentres(), r0 + 1);
        assert_eq!(b.best_bid(), Some(lv(1300, 7)));
        assert_eq!(b.qty(Side::Bid, Price(900)), Qty(0));
        assert_eq!(b.best_ask(), None);
        // Asks at 1001/1050 fell out on their better side: that side cannot be trusted.
        assert!(!b.is_complete(Side::Ask));
        let mut b = book(256, 2);
        b.reset_from(&[lv(1000, 1), lv(999, 2), lv(800, 3)], &[lv(1001, 1)])
            .unwrap();
        // 800 is worse than the window: not stored, the side is lost-but-complete while it holds >= depth levels.
        assert_eq!(b.qty(Side::Bid, Price(800)), Qty(0));
        assert!(b.is_complete(Side::Bid));
        b.set(Side::Bid, Price(999), Qty(0)).unwrap();
        assert!(!b.is_complete(Side::Bid));
        assert_eq!(
            b.set(Side::Ask, Price(5000), Qty(1)),
            Ok(SetOutcome::OutsideWindow)
        );
        assert!(b.outside_window() >= 2);
    }

    #[test]
    fn recentring_by_many_windows_clears_and_keeps_the_new_level() {
        let mut b = book(128, 1);
        b.reset_from(&[lv(100, 1)], &[lv(101, 1)]).unwrap();
        b.set(Side::Ask, Price(100_000), Qty(0)).unwrap();
        b.set(Side::Bid, Price(1_000_000), Qty(3)).unwrap();
        assert_eq!(b.best_bid(), Some(lv(1_000_000, 3)));
        assert_eq!(b.best_ask(), None);
        assert_eq!(b.len(Side::Bid), 1);
        // Window moves down for a much better ask.
        b.set(Side::Ask, Price(50), Qty(2)).unwrap();
        assert_eq!(b.best_ask(), Some(lv(50, 2)));
        assert_eq!(b.best_bid(), None);
        assert!(!b.is_complete(Side::Bid));
    }

    #[test]
    fn crossed_detection() {
        let mut b = book(256, 5);
        b.reset_from(&[lv(100, 1)], &[lv(101, 1)]).unwrap();
        assert!(!b.is_crossed());
        b.set(Side::Bid, Price(101), Qty(1)).unwrap();
        assert!(b.is_crossed());
        b.set(Side::Bid, Price(101), Qty(0)).unwrap();
        assert!(!b.is_crossed());
    }

    #[test]
    fn ticks_other_than_one() {
        let mut b = Book::new(BookConfig {
            tick: 5,
            window: 128,
            depth: 4,
        })
        .unwrap();
        b.reset_from(&[lv(1000, 1), lv(995, 1)], &[lv(1005, 2)])
            .unwrap();
        assert_eq!(
            b.set(Side::Bid, Price(997), Qty(1)),
            Err(BookError::OffTick)
        );
        assert_eq!(b.set(Side::Bid, Price(0), Qty(1)), Err(BookError::BadPrice));
        assert_eq!(
            b.set(Side::Bid, Price(i64::MAX), Qty(1)),
            Err(BookError::BadPrice)
        );
        assert_eq!(
            b.set(Side::Bid, Price(990), Qty(-1)),
            Err(BookError::NegativeQty)
        );
        assert_eq!(
            b.bids().map(|l| l.price.0).collect::<Vec<_>>(),
            vec![1000, 995]
        );
        assert!(
            Book::new(BookConfig {
                tick: 0,
                window: 128,
                depth: 1
            })
            .is_err()
        );
        assert!(
            Book::new(BookConfig {
                tick: 1,
                window: 128,
                depth: 0
            })
            .is_err()
        );
    }
}
