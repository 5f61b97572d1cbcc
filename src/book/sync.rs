//! `BookSync`: keeps a `Book` equal to the venue's book from one snapshot plus a stream of sequenced diffs.
//!
//! States: `AwaitingSnapshot` (start, after `reset`) and `Stale` (after a detected fault) both buffer incoming diffs
//! in a fixed-capacity ring; `Live` applies diffs as they come. On a snapshot with seqnum S the book is replaced,
//! buffered diffs with seqnum ≤ S are dropped and the rest are applied in order, checked with the same sequencing rule
//! as live diffs. Every fault (gap, duplicate, reorder, crossed book, window exhausted, bad level, ring overflow,
//! undecodable message) makes the book `Stale` and returns `SyncAction::RequestSnapshot(reason)` exactly once; the
//! engine then asks the venue for a snapshot while diffs keep being buffered.
//!
//! The sequencing rule is a setting: `SeqRule::Contiguous` (each diff is the previous + 1, what the AscendEX docs
//! promise for `depth`) or `SeqRule::Increasing` (any increase, what ccxt checks).

use super::ladder::{Book, BookConfig, BookError};
use super::{Level, Side};
use std::fmt;

/// How consecutive diff sequence numbers must relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqRule {
    /// Strictly previous + 1.
    Contiguous,
    /// Any increase.
    Increasing,
}

/// Synchroniser settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncConfig {
    /// The book being synchronised: its tick, price window and exact depth.
    pub book: BookConfig,
    /// How consecutive diff sequence numbers must relate; anything else is a gap, duplicate or reorder.
    pub seq: SeqRule,
    /// Diffs the ring holds while waiting for a snapshot (oldest are evicted beyond this).
    pub buffer_diffs: usize,
    /// Levels (both sides, all buffered diffs) the ring holds.
    pub buffer_levels: usize,
    /// Skip a diff whose seqnum equals the last applied one instead of resyncing. Safe only if the venue resends
    /// identical diffs; off by default.
    pub skip_duplicates: bool,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            book: BookConfig::default(),
            seq: SeqRule::Contiguous,
            buffer_diffs: 1024,
            buffer_levels: 32 * 1024,
            skip_duplicates: false,
        }
    }
}

/// Why the book needs a new snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResyncReason {
    /// A diff's seqnum skipped ahead: diffs were lost.
    Gap,
    /// A diff repeated the last applied seqnum.
    Duplicate,
    /// A diff older than the last applied one.
    Reorder,
    /// Best bid ≥ best ask after an update.
    Crossed,
    /// The connection was re-established (`BookSync::reset`).
    Reconnect,
    /// The ring evicted diffs the snapshot needed.
    BufferOverflow,
    /// Levels beyond the window were dropped and the book no longer holds `depth` exact levels on a side.
    OutOfWindow,
    /// A level the book refused (off-tick, non-positive price, negative quantity).
    BadLevel,
    /// A depth message for this symbol could not be decoded (see `BookSync::on_bad_message`).
    BadMessage,
}

impl ResyncReason {
    /// Lower-case name for the CLI's `{"type":"resync","reason":..}` line.
    pub fn as_str(self) -> &'static str {
        match self {
            ResyncReason::Gap => "gap",
            ResyncReason::Duplicate => "duplicate",
            ResyncReason::Reorder => "reorder",
            ResyncReason::Crossed => "crossed",
            ResyncReason::Reconnect => "reconnect",
            ResyncReason::BufferOverflow => "buffer_overflow",
            ResyncReason::OutOfWindow => "out_of_window",
            ResyncReason::BadLevel => "bad_level",
            ResyncReason::BadMessage => "bad_message",
        }
    }
}

impl fmt::Display for ResyncReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the synchroniser is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// No snapshot yet: diffs are buffered.
    AwaitingSnapshot,
    /// The book is exact; diffs are applied.
    Live,
    /// A fault was seen; diffs are buffered until the next snapshot.
    Stale(ResyncReason),
}

/// What changed when a diff or snapshot was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// The best bid or best ask was stored, replaced or removed (its price or size may differ from before); always
    /// true for a snapshot.
    pub bbo_changed: bool,
    /// Sequence number the book is now at.
    pub seqnum: u64,
    /// True when this was a snapshot (the whole book was replaced).
    pub snapshot: bool,
}

/// What the engine must do after feeding the synchroniser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncAction {
    /// Nothing to do: the diff was buffered, skipped, or arrived while already stale.
    None,
    /// The book changed; call the strategy.
    Applied(Applied),
    /// The book is stale: request a snapshot (once per fault).
    RequestSnapshot(ResyncReason),
}

/// Counters for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncCounters {
    /// Snapshots applied (an older one arriving while live is counted in `stale_snapshots` instead).
    pub snapshots: u64,
    /// Diffs applied to a live book, including buffered ones bridged after a snapshot.
    pub diffs_applied: u64,
    /// Diffs held in the ring because the book was not live (awaiting a snapshot, or stale).
    pub diffs_buffered: u64,
    /// Buffered diffs the snapshot already contained (seqnum at or below it), discarded.
    pub diffs_dropped_by_snapshot: u64,
    /// Resyncs because a diff's seqnum skipped ahead.
    pub gaps: u64,
    /// Diffs that repeated the last seqnum (skipped when `skip_duplicates`, otherwise a resync).
    pub duplicates: u64,
    /// Resyncs because a diff was older than the last applied.
    pub reorders: u64,
    /// Resyncs because the book crossed (best bid ≥ best ask) after an update.
    pub crossed: u64,
    /// Resyncs because a side no longer held its exact depth window.
    pub out_of_window: u64,
    /// Resyncs because the book refused a level (off-tick, non-positive price, negative quantity).
    pub bad_levels: u64,
    /// Undecodable depth messages for this symbol, including rejected numbers (reported by the engine).
    pub rejected_messages: u64,
    /// Buffered diffs evicted from the full ring while waiting for a snapshot.
    pub buffer_evictions: u64,
    /// Snapshots older than the live book (a late reply), ignored.
    pub stale_snapshots: u64,
    /// Times the book was dropped for a new snapshot, whatever the reason (faults and `reset`).
    pub resyncs: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct DiffHdr {
    seq: u64,
    /// Absolute position of the first level in the level ring.
    start: u64,
    bids: u32,
    asks: u32,
}

/// Fixed-capacity FIFO of diffs whose levels are copied out of the frame.
#[derive(Debug)]
struct Ring {
    hdrs: Box<[DiffHdr]>,
    levels: Box<[Level]>,
    head: u64,
    len: u64,
    lhead: u64,
    ltail: u64,
    /// Seqnum of the newest evicted diff, if any since the last clear.
    evicted: Option<u64>,
}

impl Ring {
    fn new(diffs: usize, levels: usize) -> Ring {
        Ring {
            hdrs: vec![DiffHdr::default(); diffs.max(1)].into_boxed_slice(),
            levels: vec![Level::default(); levels.max(1)].into_boxed_slice(),
            head: 0,
            len: 0,
            lhead: 0,
            ltail: 0,
            evicted: None,
        }
    }

    fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
        self.lhead = 0;
        self.ltail = 0;
        self.evicted = None;
    }

    fn hdr(&self, i: u64) -> Option<DiffHdr> {
        let cap = self.hdrs.len() as u64;
        self.hdrs.get(((self.head + i) % cap) as usize).copied()
    }

    fn pop_front(&mut self) -> Option<DiffHdr> {
        let h = self.hdr(0).filter(|_| self.len > 0)?;
        self.head += 1;
        self.len -= 1;
        self.lhead = h.start + h.bids as u64 + h.asks as u64;
        Some(h)
    }

    fn level(&self, pos: u64) -> Level {
        let cap = self.levels.len() as u64;
        self.levels
            .get((pos % cap) as usize)
            .copied()
            .unwrap_or_default()
    }

    /// Append a diff, evicting the oldest as needed. Returns the number of evicted diffs.
    fn push(&mut self, seq: u64, bids: &[Level], asks: &[Level]) -> u64 {
        let n = (bids.len() + asks.len()) as u64;
        let lcap = self.levels.len() as u64;
        let mut evicted = 0;
        if n > lcap {
            // Cannot hold even this one diff: everything before it is unusable too.
            evicted += self.len;
            self.clear();
            self.evicted = Some(seq);
            return evicted + 1;
        }
        while self.len >= self.hdrs.len() as u64 || self.ltail - self.lhead + n > lcap {
            match self.pop_front() {
                Some(h) => {
                    self.evicted = Some(h.seq);
                    evicted += 1;
                }
                None => break,
            }
        }
        let start = self.ltail;
        for (i, l) in bids.iter().chain(asks.iter()).enumerate() {
            if let Some(slot) = self.levels.get_mut(((start + i as u64) % lcap) as usize) {
                *slot = *l;
            }
        }
        self.ltail += n;
        let cap = self.hdrs.len() as u64;
        if let Some(h) = self.hdrs.get_mut(((self.head + self.len) % cap) as usize) {
            *h = DiffHdr {
                seq,
                start,
                bids: bids.len() as u32,
                asks: asks.len() as u32,
            };
        }
        self.len += 1;
        evicted
    }
}

/// Snapshot + diff synchroniser for one symbol's book.
#[derive(Debug)]
pub struct BookSync {
    book: Book,
    seq_rule: SeqRule,
    skip_duplicates: bool,
    state: SyncState,
    last_seq: u64,
    ring: Ring,
    counters: SyncCounters,
}

impl BookSync {
    /// Allocate the book and the ring; nothing allocates afterwards.
    pub fn new(cfg: SyncConfig) -> Result<BookSync, BookError> {
        Ok(BookSync {
            book: Book::new(cfg.book)?,
            seq_rule: cfg.seq,
            skip_duplicates: cfg.skip_duplicates,
            state: SyncState::AwaitingSnapshot,
            last_seq: 0,
            ring: Ring::new(cfg.buffer_diffs, cfg.buffer_levels),
            counters: SyncCounters::default(),
        })
    }

    /// The book (exact only while `is_live()`).
    pub fn book(&self) -> &Book {
        &self.book
    }

    /// Where the synchroniser is: awaiting the first snapshot, live, or stale with the reason.
    pub fn state(&self) -> SyncState {
        self.state
    }

    /// True while the book is exact (a snapshot bridged and every diff since in sequence).
    pub fn is_live(&self) -> bool {
        self.state == SyncState::Live
    }

    /// Sequence number of the last applied snapshot or diff.
    pub fn seqnum(&self) -> u64 {
        self.last_seq
    }

    /// What happened so far, for reports: applied, buffered, resynced and why.
    pub fn counters(&self) -> &SyncCounters {
        &self.counters
    }

    /// Drop the book and the buffer (e.g. after a reconnect); the engine must request a snapshot.
    pub fn reset(&mut self, reason: ResyncReason) -> SyncAction {
        self.book.clear();
        self.ring.clear();
        self.counters.resyncs += 1;
        self.state = SyncState::Stale(reason);
        SyncAction::RequestSnapshot(reason)
    }

    /// A depth message for this symbol could not be decoded: its content is unknown, so the book is stale.
    pub fn on_bad_message(&mut self) -> SyncAction {
        self.counters.rejected_messages += 1;
        match self.state {
            SyncState::Live => self.fault(ResyncReason::BadMessage),
            // Already waiting for a snapshot: a lost diff shows up as a gap when the snapshot is bridged.
            _ => SyncAction::None,
        }
    }

    #[cold]
    fn fault(&mut self, reason: ResyncReason) -> SyncAction {
        match reason {
            ResyncReason::Gap => self.counters.gaps += 1,
            ResyncReason::Duplicate => self.counters.duplicates += 1,
            ResyncReason::Reorder => self.counters.reorders += 1,
            ResyncReason::Crossed => self.counters.crossed += 1,
            ResyncReason::OutOfWindow => self.counters.out_of_window += 1,
            ResyncReason::BadLevel => self.counters.bad_levels += 1,
            ResyncReason::Reconnect | ResyncReason::BufferOverflow | ResyncReason::BadMessage => {}
        }
        self.counters.resyncs += 1;
        self.state = SyncState::Stale(reason);
        SyncAction::RequestSnapshot(reason)
    }

    /// Check `seq` against the last applied seqnum.
    #[inline]
    fn check_seq(&self, seq: u64) -> Result<(), ResyncReason> {
        let last = self.last_seq;
        let ok = match self.seq_rule {
            SeqRule::Contiguous => seq == last.wrapping_add(1),
            SeqRule::Increasing => seq > last,
        };
        if ok {
            Ok(())
        } else if seq == last {
            Err(ResyncReason::Duplicate)
        } else if seq < last {
            Err(ResyncReason::Reorder)
        } else {
            Err(ResyncReason::Gap)
        }
    }

    /// Apply levels, then the integrity checks. Err = the book is now wrong.
    #[inline]
    fn apply_levels(
        &mut self,
        bids: impl Iterator<Item = Level>,
        asks: impl Iterator<Item = Level>,
    ) -> Result<(), ResyncReason> {
        for l in bids {
            self.book
                .set(Side::Bid, l.price, l.qty)
                .map_err(|_| ResyncReason::BadLevel)?;
        }
        for l in asks {
            self.book
                .set(Side::Ask, l.price, l.qty)
                .map_err(|_| ResyncReason::BadLevel)?;
        }
        self.check_book()
    }

    #[inline]
    fn check_book(&self) -> Result<(), ResyncReason> {
        if self.book.is_crossed() {
            return Err(ResyncReason::Crossed);
        }
        if !self.book.is_complete(Side::Bid) || !self.book.is_complete(Side::Ask) {
            return Err(ResyncReason::OutOfWindow);
        }
        Ok(())
    }

    /// Feed one diff (levels with quantity 0 delete).
    #[inline]
    pub fn on_diff(&mut self, seqnum: u64, bids: &[Level], asks: &[Level]) -> SyncAction {
        if self.state != SyncState::Live {
            self.counters.diffs_buffered += 1;
            let ev = self.ring.push(seqnum, bids, asks);
            self.counters.buffer_evictions += ev;
            return SyncAction::None;
        }
        if let Err(reason) = self.check_seq(seqnum) {
            if reason == ResyncReason::Duplicate && self.skip_duplicates {
                self.counters.duplicates += 1;
                return SyncAction::None;
            }
            self.ring.clear();
            if reason == ResyncReason::Gap {
                // Newer than anything applied: the snapshot we are about to request may still need it.
                self.ring.push(seqnum, bids, asks);
            }
            return self.fault(reason);
        }
        self.book.take_bbo_touched();
        if let Err(reason) = self.apply_levels(bids.iter().copied(), asks.iter().copied()) {
            self.ring.clear();
            return self.fault(reason);
        }
        self.last_seq = seqnum;
        self.counters.diffs_applied += 1;
        SyncAction::Applied(Applied {
            bbo_changed: self.book.take_bbo_touched(),
            seqnum,
            snapshot: false,
        })
    }

    /// Feed a snapshot with seqnum `seqnum`; buffered diffs newer than it are applied after it.
    pub fn on_snapshot(&mut self, seqnum: u64, bids: &[Level], asks: &[Level]) -> SyncAction {
        if self.state == SyncState::Live && seqnum < self.last_seq {
            // An older snapshot than the live book (a late reply): the book is already ahead of it.
            self.counters.stale_snapshots += 1;
            return SyncAction::None;
        }
        self.counters.snapshots += 1;
        if self.ring.evicted.is_some_and(|e| e > seqnum) {
            // A diff newer than this snapshot was evicted: it can never be bridged. Keep the newer diffs for a
            // later snapshot.
            return self.fault(ResyncReason::BufferOverflow);
        }
        if self.book.reset_from(bids, asks).is_err() {
            self.ring.clear();
            return self.fault(ResyncReason::BadLevel);
        }
        if let Err(reason) = self.check_book() {
            self.ring.clear();
            return self.fault(reason);
        }
        self.last_seq = seqnum;
        // Bridge the snapshot with the buffered diffs.
        while let Some(h) = self.ring.pop_front() {
            if h.seq <= seqnum {
                self.counters.diffs_dropped_by_snapshot += 1;
                continue;
            }
            if let Err(reason) = self.check_seq(h.seq) {
                // The diffs after a gap are still newer than this snapshot: keep them for the next one.
                self.requeue_front(h);
                return self.fault(reason);
            }
            let (b0, a0) = (h.start, h.start + h.bids as u64);
            let bids = (b0..a0).map(|p| self.ring.level(p));
            let asks = (a0..a0 + h.asks as u64).map(|p| self.ring.level(p));
            // Collecting into the book directly: the ring and book are separate fields.
            let mut res = Ok(());
            for l in bids {
                if self.book.set(Side::Bid, l.price, l.qty).is_err() {
                    res = Err(ResyncReason::BadLevel);
                    break;
                }
            }
            if res.is_ok() {
                for l in asks {
                    if self.book.set(Side::Ask, l.price, l.qty).is_err() {
                        res = Err(ResyncReason::BadLevel);
                        break;
                    }
                }
            }
            if let Err(reason) = res.and_then(|_| self.check_book()) {
                self.ring.clear();
                return self.fault(reason);
            }
            self.last_seq = h.seq;
            self.counters.diffs_applied += 1;
        }
        self.ring.clear();
        self.state = SyncState::Live;
        self.book.take_bbo_touched();
        SyncAction::Applied(Applied {
            bbo_changed: true,
            seqnum: self.last_seq,
            snapshot: true,
        })
    }

    fn requeue_front(&mut self, h: DiffHdr) {
        // pop_front only advanced the indices; its slot and levels are untouched, so stepping back restores it.
        self.ring.head -= 1;
        self.ring.len += 1;
        self.ring.lhead = h.start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::{Price, Qty};

    fn lv(p: i64, q: i64) -> Level {
        Level {
            price: Price(p),
            qty: Qty(q),
        }
    }

    fn sync(rule: SeqRule) -> BookSync {
        BookSync::new(SyncConfig {
            book: BookConfig {
                tick: 1,
                window: 1024,
                depth: 5,
            },
            seq: rule,
            buffer_diffs: 4,
            buffer_levels: 16,
            skip_duplicates: false,
        })
        .unwrap()
    }

    #[test]
    fn buffers_until_snapshot_then_bridges() {
        let mut s = sync(SeqRule::Contiguous);
        assert_eq!(s.on_diff(10, &[lv(100, 1)], &[]), SyncAction::None);
        assert_eq!(s.on_diff(11, &[lv(101, 2)], &[]), SyncAction::None);
        assert_eq!(s.on_diff(12, &[], &[lv(105, 3)]), SyncAction::None);
        let a = s.on_snapshot(10, &[lv(99, 9)], &[lv(106, 1)]);
        assert!(matches!(
            a,
            SyncAction::Applied(Applied {
                seqnum: 12,
                snapshot: true,
                ..
            })
        ));
        assert!(s.is_live());
        assert_eq!(
            s.book().qty(Side::Bid, Price(100)),
            Qty(0),
            "diff 10 is covered by the snapshot"
        );
        assert_eq!(s.book().best_bid(), Some(lv(101, 2)));
        assert_eq!(s.book().best_ask(), Some(lv(105, 3)));
        assert_eq!(s.counters().diffs_dropped_by_snapshot, 1);
        assert!(matches!(
            s.on_diff(13, &[lv(101, 0)], &[]),
            SyncAction::Applied(Applied {
                bbo_changed: true,
                ..
            })
        ));
        assert_eq!(s.book().best_bid(), Some(lv(99, 9)));
    }

    #[test]
    fn gap_duplicate_reorder_each_request_a_snapshot() {
        let mut s = sync(SeqRule::Contiguous);
        s.on_snapshot(5, &[lv(100, 1)], &[lv(110, 1)]);
        assert_eq!(
            s.on_diff(7, &[lv(101, 1)], &[]),
            SyncAction::RequestSnapshot(ResyncReason::Gap)
        );
        assert_eq!(s.on_diff(8, &[lv(102, 1)], &[]), SyncAction::None);
        // The gap diff and its successor bridge a snapshot at 6.
        assert!(matches!(
            s.on_snapshot(6, &[lv(100, 1)], &[lv(110, 1)]),
            SyncAction::Applied(_)
        ));
        assert_eq!(s.seqnum(), 8);
        assert_eq!(
            s.on_diff(8, &[], &[]),
            SyncAction::RequestSnapshot(ResyncReason::Duplicate)
        );
        s.on_snapshot(20, &[lv(100, 1)], &[lv(110, 1)]);
        assert_eq!(
            s.on_diff(19, &[], &[]),
            SyncAction::RequestSnapshot(ResyncReason::Reorder)
        );
        let c = s.counters();
        assert_eq!((c.gaps, c.duplicates, c.reorders, c.resyncs), (1, 1, 1, 3));
    }

    #[test]
    fn increasing_rule_accepts_jumps() {
        let mut s = sync(SeqRule::Increasing);
        s.on_snapshot(5, &[lv(100, 1)], &[lv(110, 1)]);
        assert!(matches!(
            s.on_diff(9, &[lv(101, 1)], &[]),
            SyncAction::Applied(_)
        ));
        assert_eq!(
            s.on_diff(9, &[], &[]),
            SyncAction::RequestSnapshot(ResyncReason::Duplicate)
        );
    }

    #[test]
    fn snapshot_that_cannot_bridge_keeps_newer_diffs() {
        let mut s = sync(SeqRule::Contiguous);
        s.on_diff(10, &[lv(100, 1)], &[]);
        assert_eq!(
            s.on_snapshot(7, &[lv(99, 1)], &[lv(120, 1)]),
            SyncAction::RequestSnapshot(ResyncReason::Gap)
        );
        s.on_diff(11, &[lv(101, 1)], &[]);
        assert!(matches!(
            s.on_snapshot(9, &[lv(99, 1)], &[lv(120, 1)]),
            SyncAction::Applied(Applied { seqnum: 11, .. })
        ));
        assert_eq!(s.book().best_bid(), Some(lv(101, 1)));
    }

    #[test]
    fn overflow_is_reported_when_evicted_diffs_were_needed() {
        let mut s = sync(SeqRule::Contiguous);
        for seq in 1..=6 {
            s.on_diff(seq, &[lv(100 + seq as i64, 1)], &[]);
        }
        assert_eq!(s.counters().buffer_evictions, 2);
        assert_eq!(
            s.on_snapshot(0, &[lv(99, 1)], &[lv(120, 1)]),
            SyncAction::RequestSnapshot(ResyncReason::BufferOverflow)
        );
        assert!(matches!(
            s.on_snapshot(2, &[lv(99, 1)], &[lv(120, 1)]),
            SyncAction::Applied(Applied { seqnum: 6, .. })
        ));
        // A diff larger than the whole ring.
        let big = [lv(1, 1); 17];
        s.reset(ResyncReason::Reconnect);
        s.on_diff(7, &big, &[]);
        assert_eq!(
            s.on_snapshot(6, &[lv(99, 1)], &[lv(120, 1)]),
            SyncAction::RequestSnapshot(ResyncReason::BufferOverflow)
        );
    }

    #[test]
    fn crossed_and_bad_levels_go_stale() {
        let mut s = sync(SeqRule::Contiguous);
        s.on_snapshot(1, &[lv(100, 1)], &[lv(110, 1)]);
        assert_eq!(
            s.on_diff(2, &[lv(110, 1)], &[]),
            SyncAction::RequestSnapshot(ResyncReason::Crossed)
        );
        assert_eq!(s.state(), SyncState::Stale(ResyncReason::Crossed));
        s.on_snapshot(3, &[lv(100, 1)], &[lv(110, 1)]);
        assert_eq!(
            s.on_diff(4, &[lv(0, 1)], &[]),
            SyncAction::RequestSnapshot(ResyncReason::BadLevel)
        );
        assert_eq!(
            s.on_snapshot(5, &[lv(110, 1)], &[lv(100, 1)]),
            SyncAction::RequestSnapshot(ResyncReason::Crossed)
        );
        assert!(matches!(
            s.on_snapshot(6, &[lv(100, 1)], &[lv(110, 1)]),
            SyncAction::Applied(_)
        ));
        assert_eq!(
            s.on_snapshot(5, &[lv(100, 1)], &[lv(110, 1)]),
            SyncAction::None
        );
        assert_eq!(s.counters().stale_snapshots, 1);
        assert_eq!(
            s.on_bad_message(),
            SyncAction::RequestSnapshot(ResyncReason::BadMessage)
        );
        assert_eq!(
            s.reset(ResyncReason::Reconnect),
            SyncAction::RequestSnapshot(ResyncReason::Reconnect)
        );
        assert!(s.book().is_empty());
    }
}
