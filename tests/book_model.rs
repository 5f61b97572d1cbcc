//! Model test: for any sequence of snapshots and diffs with gaps, duplicates and reorders, `BookSync`'s book either
//! equals a simple reference model (a `BTreeMap` of exact decimals per side) at the seqnum it claims, or is marked
//! stale; after a fresh snapshot it equals the model again.

use ascendex_hft::book::{
    BookConfig, BookSync, Level, ResyncReason, SeqRule, Side, SyncAction, SyncConfig,
};
use ascendex_hft::num::{Price, Qty};
use proptest::prelude::*;
use std::collections::BTreeMap;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

/// The reference book: price mantissa → quantity mantissa.
#[derive(Clone, Default, Debug, PartialEq)]
struct Model {
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
}

impl Model {
    fn apply(&mut self, bids: &[Level], asks: &[Level]) {
        for l in bids {
            if l.qty.0 == 0 {
                self.bids.remove(&l.price.0);
            } else {
                self.bids.insert(l.price.0, l.qty.0);
            }
        }
        for l in asks {
            if l.qty.0 == 0 {
                self.asks.remove(&l.price.0);
            } else {
                self.asks.insert(l.price.0, l.qty.0);
            }
        }
    }
    fn top(&self, side: Side, n: usize) -> Vec<Level> {
        let lv = |(&p, &q): (&i64, &i64)| Level {
            price: Price(p),
            qty: Qty(q),
        };
        match side {
            Side::Bid => self.bids.iter().rev().take(n).map(lv).collect(),
            Side::Ask => self.asks.iter().take(n).map(lv).collect(),
        }
    }
    fn levels(&self) -> (Vec<Level>, Vec<Level>) {
        (
            self.top(Side::Bid, usize::MAX),
            self.top(Side::Ask, usize::MAX),
        )
    }
}

#[derive(Clone, Debug)]
struct Diff {
    seq: u64,
    bids: Vec<Level>,
    asks: Vec<Level>,
}

/// The venue: a true book evolving one diff at a time, with its history by seqnum.
struct Venue {
    book: Model,
    seq: u64,
    mid: i64,
    history: BTreeMap<u64, Model>,
    seq_step_max: u64,
}

impl Venue {
    fn new(start_seq: u64, seq_step_max: u64) -> Venue {
        let mut history = BTreeMap::new();
        history.insert(start_seq, Model::default());
        Venue {
            book: Model::default(),
            seq: start_seq,
            mid: 10_000,
            history,
            seq_step_max,
        }
    }

    fn next_diff(&mut self, r: &mut Rng, spread: i64) -> Diff {
        if r.chance(20) {
            self.mid += r.below(2 * spread as u64 + 1) as i64 - spread;
        }
        let mut bids = Vec::new();
        let mut asks = Vec::new();
        for _ in 0..r.below(8) + 1 {
            let off = r.below(spread as u64) as i64 + 1;
            let qty = if r.chance(30) {
                0
            } else {
                r.below(1000) as i64 + 1
            };
            if r.chance(50) {
                bids.push(Level {
                    price: Price(self.mid - off),
                    qty: Qty(qty),
                });
            } else {
                asks.push(Level {
                    price: Price(self.mid + off),
                    qty: Qty(qty),
                });
            }
        }
        // Deleting existing levels on the other side of the mid keeps the venue's book uncrossed.
        let stale_bids: Vec<i64> = self.book.bids.range(self.mid..).map(|(&p, _)| p).collect();
        let stale_asks: Vec<i64> = self.book.asks.range(..=self.mid).map(|(&p, _)| p).collect();
        bids.extend(stale_bids.into_iter().map(|p| Level {
            price: Price(p),
            qty: Qty(0),
        }));
        asks.extend(stale_asks.into_iter().map(|p| Level {
            price: Price(p),
            qty: Qty(0),
        }));
        self.book.apply(&bids, &asks);
        self.seq += if self.seq_step_max <= 1 {
            1
        } else {
            r.below(self.seq_step_max) + 1
        };
        self.history.insert(self.seq, self.book.clone());
        Diff {
            seq: self.seq,
            bids,
            asks,
        }
    }
}

fn check_live(
    sync: &BookSync,
    venue: &Venue,
    depth: usize,
    full: bool,
) -> Result<(), TestCaseError> {
    if !sync.is_live() {
        return Ok(());
    }
    let model = venue.history.get(&sync.seqnum());
    prop_assert!(
        model.is_some(),
        "live at seqnum {} the venue never had",
        sync.seqnum()
    );
    let model = model.unwrap_or(&venue.book);
    let bids: Vec<Level> = sync.book().bids().collect();
    let asks: Vec<Level> = sync.book().asks().collect();
    prop_assert_eq!(
        &bids,
        &model.top(Side::Bid, depth),
        "bids at seq {}",
        sync.seqnum()
    );
    prop_assert_eq!(
        &asks,
        &model.top(Side::Ask, depth),
        "asks at seq {}",
        sync.seqnum()
    );
    if full {
        prop_assert_eq!(sync.book().len(Side::Bid), model.bids.len());
        prop_assert_eq!(sync.book().len(Side::Ask), model.asks.len());
        for (&p, &q) in &model.bids {
            prop_assert_eq!(sync.book().qty(Side::Bid, Price(p)), Qty(q));
        }
    }
    Ok(())
}

/// Run one scenario. `faults` enables drops, duplicates and reorders; `full` checks every level (the window holds
/// the whole book).
fn scenario(
    seed: u64,
    cfg: SyncConfig,
    spread: i64,
    faults: bool,
    full: bool,
) -> Result<(), TestCaseError> {
    let mut r = Rng(seed | 1);
    let step = if cfg.seq == SeqRule::Increasing { 5 } else { 1 };
    let mut venue = Venue::new(r.below(1_000_000), step);
    let mut sync = BookSync::new(cfg).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let depth = cfg.book.depth;
    let mut held: Option<(u64, Model)> = None;
    let mut delayed: Option<Diff> = None;
    let mut requests = 0u64;
    for _ in 0..r.below(120) + 20 {
        match r.below(100) {
            0..=5 => held = Some((venue.seq, venue.book.clone())),
            6..=10 => {
                if let Some((seq, m)) = held.take() {
                    let (b, a) = m.levels();
                    if let SyncAction::RequestSnapshot(_) = sync.on_snapshot(seq, &b, &a) {
                        requests += 1;
                    }
                }
            }
            _ => {
                let d = venue.next_diff(&mut r, spread);
                let mut deliver = vec![d.clone()];
                if faults {
                    match r.below(100) {
                        0..=3 => deliver.clear(),
                        4..=6 => deliver.push(d.clone()),
                        7..=9 => {
                            // Hold this one back and send it after the next diff.
                            delayed = Some(d);
                            deliver.clear();
                        }
                        _ => {
                            if let Some(old) = delayed.take() {
                                deliver.push(old);
                            }
                        }
                    }
                }
                for d in deliver {
                    if let SyncAction::RequestSnapshot(_) = sync.on_diff(d.seq, &d.bids, &d.asks) {
                        requests += 1;
                    }
                    check_live(&sync, &venue, depth, full)?;
                }
            }
        }
        check_live(&sync, &venue, depth, full)?;
    }
    prop_assert!(requests <= sync.counters().resyncs + 1);
    // A fresh snapshot brings the book back.
    let (b, a) = venue.book.levels();
    let act = sync.on_snapshot(venue.seq, &b, &a);
    if act == SyncAction::RequestSnapshot(ResyncReason::OutOfWindow) {
        // Only allowed when the window rule says so: centred on the mid, a side holds fewer than `depth` levels
        // inside the window while more exist outside it.
        let m = &venue.book;
        let centre = match (m.bids.keys().next_back(), m.asks.keys().next()) {
            (Some(&b), Some(&a)) => b / 2 + a / 2,
            (Some(&p), None) | (None, Some(&p)) => p,
            (None, None) => return Err(TestCaseError::fail("out of window with an empty book")),
        };
        let cap = cfg.book.window as i64;
        let base = (centre - cap / 2).div_euclid(64) * 64;
        let inside = |side: &BTreeMap<i64, i64>| side.range(base..base + cap).count();
        let short = |side: &BTreeMap<i64, i64>| inside(side) < depth && side.len() > inside(side);
        prop_assert!(
            short(&m.bids) || short(&m.asks),
            "out of window but the window holds {depth} levels a side"
        );
        return Ok(());
    }
    prop_assert!(
        matches!(act, SyncAction::Applied(_)),
        "fresh snapshot not applied: {:?}",
        act
    );
    prop_assert!(sync.is_live());
    prop_assert_eq!(sync.seqnum(), venue.seq);
    check_live(&sync, &venue, depth, full)?;
    Ok(())
}

fn cfg(rule: SeqRule, window: usize, depth: usize) -> SyncConfig {
    SyncConfig {
        book: BookConfig {
            tick: 1,
            window,
            depth,
        },
        seq: rule,
        buffer_diffs: 64,
        buffer_levels: 2048,
        skip_duplicates: false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    /// Contiguous seqnums, drops/duplicates/reorders, a window holding the whole book: every level is checked.
    #[test]
    fn contiguous_with_faults_matches_model(seed in any::<u64>()) {
        scenario(seed, cfg(SeqRule::Contiguous, 8192, 10_000), 200, true, true)?;
    }

    /// A narrow window around a drifting mid: recentring and dropped far levels; the top `depth` levels are checked.
    #[test]
    fn narrow_window_keeps_top_levels_exact(seed in any::<u64>()) {
        scenario(seed, cfg(SeqRule::Contiguous, 256, 5), 100, true, false)?;
    }

    /// Increasing seqnums with random steps (no faults: this rule cannot see a lost diff).
    #[test]
    fn increasing_rule_matches_model(seed in any::<u64>()) {
        scenario(seed, cfg(SeqRule::Increasing, 8192, 10_000), 200, false, true)?;
    }
}
