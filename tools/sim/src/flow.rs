//! The synthetic market: a fair price that walks around a realistic start price, random adds, cancels and takes of
//! synthetic liquidity (crossing orders trade against whatever rests, the account's orders included), and the
//! synthetic history of bars and trades before the start. Every flow event is exactly one depth diff.

use crate::bars::{Bar, INTERVALS, bar_start, prev_bar_start};
use crate::engine::{Changes, Engine, Ev, Side, SymState, TradeRec};
use crate::market::Product;
use crate::rng::Rng;
use std::collections::VecDeque;

impl Engine {
    /// One synthetic flow event on `sym`: exactly one depth diff (plus trades / bbo as they happen).
    pub fn flow_event(&mut self, sym: usize, rng: &mut Rng, ts: u64) -> Vec<Ev> {
        let mut evs = Vec::new();
        let top = self.best(sym);
        let mut ch = Changes::default();
        let (nb, na) = (self.syms[sym].bids.len(), self.syms[sym].asks.len());
        let p_tick = self.products[sym].tick;
        // The fair price walks a little and reverts toward the start price.
        {
            let start = self.products[sym].start_px;
            let s = &mut self.syms[sym];
            if rng.chance(1, 6) {
                let bias = if s.fair > start + start / 20 {
                    -1
                } else if s.fair < start - start / 20 {
                    1
                } else {
                    0
                };
                let mv = rng.range(-1, 1) + bias;
                s.fair = (s.fair + mv * s.step).max(s.step * 4);
                s.fair -= s.fair % p_tick;
            }
        }
        let roll = rng.below(100);
        let kind = if nb < 8 || na < 8 || roll < 45 {
            0
        } else if roll < 80 {
            1
        } else {
            2
        };
        match kind {
            1 if self.synth_cancel(sym, rng, &mut ch) => {}
            2 => {
                let side = if rng.chance(1, 2) {
                    Side::Buy
                } else {
                    Side::Sell
                };
                let unit = self.syms[sym].unit_qty;
                let qty = unit * rng.range(1, 3);
                let got = self.match_taker(sym, side, None, qty, None, ts, &mut ch, &mut evs);
                if got == 0 {
                    self.synth_add(sym, rng, ts, &mut ch, &mut evs);
                }
            }
            _ => self.synth_add(sym, rng, ts, &mut ch, &mut evs),
        }
        if ch.is_empty() {
            self.synth_add(sym, rng, ts, &mut ch, &mut evs);
        }
        self.prune(sym, &mut ch);
        self.finish(sym, ch, ts, top, &mut evs);
        evs
    }

    fn synth_add(
        &mut self,
        sym: usize,
        rng: &mut Rng,
        ts: u64,
        ch: &mut Changes,
        evs: &mut Vec<Ev>,
    ) {
        let (fair, step, unit) = {
            let s = &self.syms[sym];
            (s.fair, s.step, s.unit_qty)
        };
        let tick = self.products[sym].tick;
        let (nb, na) = (self.syms[sym].bids.len(), self.syms[sym].asks.len());
        let side = if nb < na || (nb == na && rng.chance(1, 2)) {
            Side::Buy
        } else {
            Side::Sell
        };
        let k = (rng.below(self.max_levels as u64) * rng.below(1000) / 1000) as i64;
        let jitter = rng.range(0, (step / tick - 1).max(0)) * tick;
        let dist = step / 2 + k * step + jitter;
        let dist = dist.max(tick);
        let px = match side {
            Side::Buy => fair - dist,
            Side::Sell => fair + dist,
        };
        let px = (px - px % tick).max(tick);
        let qty = unit * rng.range(1, 8);
        let got = self.match_taker(sym, side, Some(px), qty, None, ts, ch, evs);
        if qty > got {
            self.add_resting(sym, side, px, qty - got, None, ch);
        }
    }

    fn synth_cancel(&mut self, sym: usize, rng: &mut Rng, ch: &mut Changes) -> bool {
        let side = if rng.chance(1, 2) {
            Side::Buy
        } else {
            Side::Sell
        };
        let book = self.book_side(sym, side);
        let n = book.len();
        if n == 0 {
            return false;
        }
        let k = rng.below(n as u64) as usize;
        let Some((&px, lvl)) = book.iter_mut().nth(k) else {
            return false;
        };
        let Some(pos) = lvl.q.iter().rposition(|r| r.client.is_none()) else {
            return false;
        };
        let cut = if rng.chance(1, 2) {
            lvl.q[pos].qty
        } else {
            (lvl.q[pos].qty / 2).max(1)
        };
        let lot = self.products[sym].lot;
        let book = self.book_side(sym, side);
        let Some(lvl) = book.get_mut(&px) else {
            return false;
        };
        let mut cut = cut - cut % lot;
        if cut <= 0 {
            cut = lvl.q[pos].qty;
        }
        lvl.q[pos].qty -= cut;
        lvl.total -= cut;
        if lvl.q[pos].qty == 0 {
            lvl.q.remove(pos);
        }
        if lvl.q.is_empty() {
            book.remove(&px);
        }
        ch.touch(side, px);
        true
    }

    /// Keeps each side at most `max_levels` deep by dropping synthetic orders at the far end.
    fn prune(&mut self, sym: usize, ch: &mut Changes) {
        let max = self.max_levels;
        for side in [Side::Buy, Side::Sell] {
            loop {
                let book = self.book_side(sym, side);
                if book.len() <= max {
                    break;
                }
                let far = match side {
                    Side::Buy => book.keys().next().copied(),
                    Side::Sell => book.keys().next_back().copied(),
                };
                let Some(px) = far else { break };
                let Some(lvl) = book.get_mut(&px) else { break };
                let before = lvl.q.len();
                lvl.q.retain(|r| r.client.is_some());
                lvl.total = lvl.q.iter().map(|r| r.qty).sum();
                let emptied = lvl.q.is_empty();
                if emptied {
                    book.remove(&px);
                }
                if before != 0 {
                    ch.touch(side, px);
                }
                if !emptied {
                    break;
                }
            }
        }
    }

    /// Builds a full starting book (used once at start, before any seqnum is published).
    pub fn seed_book(&mut self, sym: usize, rng: &mut Rng) {
        let (fair, step, unit) = {
            let s = &self.syms[sym];
            (s.fair, s.step, s.unit_qty)
        };
        let tick = self.products[sym].tick;
        let mut ch = Changes::default();
        // The first level sits at least one tick from the fair price on each side (a one-tick step would put both
        // at the fair price: a locked book clients refuse), bids rounded down and asks up to the tick.
        let first = (step / 2).max(tick);
        for k in 0..(self.max_levels as i64 / 2) {
            for side in [Side::Buy, Side::Sell] {
                let d = first + k * step;
                let px = match side {
                    Side::Buy => {
                        let px = fair - d;
                        px - px.rem_euclid(tick)
                    }
                    Side::Sell => {
                        let px = fair + d;
                        px + (tick - px.rem_euclid(tick)) % tick
                    }
                };
                // Near zero the bid side stops rather than stacking at one tick under the asks.
                if px < tick {
                    continue;
                }
                self.add_resting(sym, side, px, unit * rng.range(1, 8), None, &mut ch);
            }
        }
    }
}

/// Synthetic bar and trade history before the simulator started, ending at the start price.
impl Engine {
    /// Extends every symbol's bar history backwards to `depth` completed bars per interval (a random walk down
    /// from the oldest seeded bar), and keeps that many from then on.
    pub fn deepen_history(&mut self, depth: usize, seed: u64) {
        let mut rng = Rng::new(seed ^ 0xBA25);
        self.max_bars = depth;
        for (p, s) in self.products.iter().zip(self.syms.iter_mut()) {
            let step = s.step;
            for (i, (hist, _)) in s.bars.iter_mut().enumerate() {
                let Some(first) = hist.front().copied() else {
                    continue;
                };
                let (mut ts, mut close) = (first.ts, first.o);
                while hist.len() < depth && ts > 0 {
                    ts = prev_bar_start(i, ts);
                    let o = (close + rng.range(-3, 3) * step).max(step * 4);
                    let h = o.max(close) + rng.range(0, 2) * step;
                    let l = (o.min(close) - rng.range(0, 2) * step).max(p.tick);
                    hist.push_front(Bar {
                        ts,
                        o,
                        h,
                        l,
                        c: close,
                        v: s.unit_qty * rng.range(10, 200),
                    });
                    close = o;
                }
            }
        }
    }
}

pub(crate) fn prefill_history(p: &Product, s: &mut SymState, rng: &mut Rng, now: u64) {
    let step = s.step;
    for i in 0..INTERVALS.len() {
        let mut hist = VecDeque::new();
        let cur_start = bar_start(i, now);
        let mut starts = Vec::with_capacity(500);
        let mut t = cur_start;
        for _ in 0..500 {
            t = prev_bar_start(i, t);
            starts.push(t);
        }
        starts.reverse();
        let mut px = p.start_px;
        // Walk backwards from the start price, then emit oldest first.
        let mut closes = Vec::with_capacity(500);
        for _ in 0..500 {
            closes.push(px);
            px = (px + rng.range(-3, 3) * step).max(step * 4);
        }
        closes.reverse();
        let mut prev_close = closes[0];
        for (k, ts) in starts.iter().enumerate() {
            let c = closes[k];
            let o = prev_close;
            let h = o.max(c) + rng.range(0, 2) * step;
            let l = (o.min(c) - rng.range(0, 2) * step).max(p.tick);
            let v = s.unit_qty * rng.range(10, 200);
            hist.push_back(Bar {
                ts: *ts,
                o,
                h,
                l,
                c,
                v,
            });
            prev_close = c;
        }
        let cur = Bar {
            ts: cur_start,
            o: p.start_px,
            h: p.start_px,
            l: p.start_px,
            c: p.start_px,
            v: 0,
        };
        s.bars.push((hist, cur));
    }
    for k in 0..20u64 {
        s.trade_seq += 2;
        s.trades.push_back(TradeRec {
            px: p.start_px + rng.range(-2, 2) * s.step,
            qty: s.unit_qty * rng.range(1, 4),
            ts: now.saturating_sub((20 - k) * 1500),
            bm: rng.chance(1, 2),
            seqnum: s.trade_seq,
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::dec;
    use crate::engine::{Engine, Ev, NewOrder, OrdType, Side, Status, Tif};
    use crate::market;
    use crate::rng::Rng;

    fn engine() -> Engine {
        let ps = market::products(&["BTC/USDT".to_string()]).unwrap();
        let mut e = Engine::new(ps, (1, 3), (2, 3), 1, 1_700_000_000_000);
        e.set_balance("USDT", dec::parse("100000", 9).unwrap());
        e.set_balance("BTC", dec::parse("2", 9).unwrap());
        e
    }

    fn lim(e: &Engine, side: Side, px: &str, qty: &str, id: &str) -> NewOrder {
        let p = &e.products[0];
        NewOrder {
            sym: 0,
            side,
            otype: OrdType::Limit,
            tif: Tif::Gtc,
            post_only: false,
            price: p.parse_px(px).unwrap(),
            qty: p.parse_qty(qty).unwrap(),
            client_id: String::new(),
            order_id: id.to_string(),
        }
    }

    #[test]
    fn every_flow_event_is_one_depth_diff_with_seqnum_plus_one() {
        let mut e = engine();
        let mut rng = Rng::new(3);
        e.seed_book(0, &mut rng);
        let first = e.syms[0].seqnum;
        for k in 0..5000u64 {
            let evs = e.flow_event(0, &mut rng, 1_700_000_000_000 + k);
            let depths: Vec<u64> = evs
                .iter()
                .filter_map(|ev| {
                    if let Ev::Depth { seqnum, .. } = ev {
                        Some(*seqnum)
                    } else {
                        None
                    }
                })
                .collect();
            assert_eq!(depths, vec![first + k + 1]);
            let (b, a) = e.best(0);
            if let (Some(b), Some(a)) = (b, a) {
                assert!(b.0 < a.0, "crossed book at event {k}");
            }
        }
        assert!(e.syms[0].bids.len() <= e.max_levels && e.syms[0].asks.len() <= e.max_levels);
    }

    /// Best bid < best ask by at least one tick, both on the tick grid, and both sides deep.
    fn assert_uncrossed(e: &Engine, sym: usize, when: &str) {
        let p = &e.products[sym];
        let (b, a) = e.best(sym);
        let (Some((b, _)), Some((a, _))) = (b, a) else {
            panic!("{} one-sided book {when}", p.symbol);
        };
        assert!(
            a - b >= p.tick,
            "{} crossed or locked {when}: bid {} ask {}",
            p.symbol,
            p.fmt_px(b),
            p.fmt_px(a)
        );
        assert_eq!(
            (b % p.tick, a % p.tick),
            (0, 0),
            "{} off the tick grid",
            p.symbol
        );
    }

    #[test]
    fn every_book_starts_and_stays_uncrossed() {
        let syms = market::all_symbols();
        assert!(syms.len() >= 14, "{syms:?}");
        for seed in [1u64, 2, 3, 7, 42] {
            let ps = market::products(&syms).unwrap();
            let mut e = Engine::new(ps, (1, 3), (2, 3), seed, 1_700_000_000_000);
            let mut rng = Rng::new(seed);
            for i in 0..syms.len() {
                e.seed_book(i, &mut rng);
                assert_uncrossed(&e, i, &format!("after seeding (seed {seed})"));
                assert!(e.syms[i].bids.len() >= 8 && e.syms[i].asks.len() >= 8);
            }
            // Spread over the symbols as the simulator's flow does.
            let mut per_sym = vec![0u32; syms.len()];
            for k in 0..20_000u64 {
                let sym = rng.below(syms.len() as u64) as usize;
                per_sym[sym] += 1;
                e.flow_event(sym, &mut rng, 1_700_000_000_000 + k);
                assert_uncrossed(&e, sym, &format!("at event {k} (seed {seed})"));
            }
            for i in 0..syms.len() {
                assert_uncrossed(&e, i, &format!("at the end (seed {seed})"));
            }
            assert!(
                per_sym.iter().all(|&n| n > 20_000 / syms.len() as u32 / 2),
                "{per_sym:?}"
            );
        }
    }

    #[test]
    fn resting_client_order_gets_filled_by_the_flow() {
        let mut e = engine();
        let mut rng = Rng::new(5);
        e.seed_book(0, &mut rng);
        let (bid, _) = e.best(0);
        let px = bid.unwrap().0 + 100; // one dollar above the best bid: first in line
        let p = e.products[0].clone();
        let req = lim(&e, Side::Buy, &p.fmt_px(px), "0.001", "mm1");
        e.place(req, 1).unwrap();
        for k in 0..20_000 {
            e.flow_event(0, &mut rng, 1_700_000_000_000 + k);
            if e.order_by_id("mm1").unwrap().status == Status::Filled {
                return;
            }
        }
        panic!("the resting order was never filled");
    }
}
