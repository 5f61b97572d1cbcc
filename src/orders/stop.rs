//! The kill switch and the shutdown sequence, venue-free: when new orders are refused, which of our orders a
//! sweep cancels, and when a stop is complete. A venue session holds one [`StopSwitch`], sends the cancels it is
//! told to (by id, over whatever route it has) and reports the answers; the decisions are made here.
//!
//! The sequence: `kill` or `begin_shutdown` → new orders refused → every own live order cancelled by id (those
//! the rate budget refuses now are swept again on the next tick: [`StopSwitch::sweeping`]) → done when no own
//! order is live and the last venue-wide cancel (if one was sent) was answered. Orders in doubt are left to their
//! status queries rather than cancelled again (each refusal would put them back in doubt and they would never
//! settle); orders of other programs on the account are never touched.

use super::tracker::{OrderHandle, OrderTracker};
use super::types::{OrderStatus, SymbolId};

/// Where a session is in stopping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StopPhase {
    /// Trading normally.
    #[default]
    Running,
    /// The kill switch was thrown: orders refused, own orders cancelled, the session keeps running (market data,
    /// queries) until it is stopped.
    Killed,
    /// Shutting down: orders refused, own orders cancelled (when configured), then the loop ends.
    ShuttingDown,
}

/// The kill switch and the shutdown state of one trading session.
#[derive(Clone, Copy, Debug, Default)]
pub struct StopSwitch {
    phase: StopPhase,
    /// The answer to a venue-wide cancel (cancel-all) sent while stopping is still awaited.
    awaiting_cancel_all: bool,
}

impl StopSwitch {
    /// A running session.
    pub const fn new() -> StopSwitch {
        StopSwitch {
            phase: StopPhase::Running,
            awaiting_cancel_all: false,
        }
    }

    /// Where the session is.
    pub fn phase(&self) -> StopPhase {
        self.phase
    }

    /// Throws the kill switch (a shutdown already under way stays one).
    pub fn kill(&mut self) {
        if self.phase == StopPhase::Running {
            self.phase = StopPhase::Killed;
        }
    }

    /// Starts the shutdown sequence.
    pub fn begin_shutdown(&mut self) {
        self.phase = StopPhase::ShuttingDown;
    }

    /// New orders are refused (killed or shutting down).
    #[inline]
    pub fn refuses_orders(&self) -> bool {
        self.phase != StopPhase::Running
    }

    /// Own live orders are to be cancelled, now and on every tick until none is left.
    #[inline]
    pub fn sweeping(&self) -> bool {
        self.phase != StopPhase::Running
    }

    /// A venue-wide cancel was sent while stopping; the stop is not complete before its answer.
    pub fn cancel_all_sent(&mut self) {
        if self.sweeping() {
            self.awaiting_cancel_all = true;
        }
    }

    /// The answer to a cancel-all came (whatever it said: the orders' own reports settle each order).
    pub fn cancel_all_answered(&mut self) {
        self.awaiting_cancel_all = false;
    }

    /// The stop is complete: nothing is awaited and none of `live_own` orders is left.
    pub fn is_done(&self, live_own: usize) -> bool {
        self.phase != StopPhase::Running && !self.awaiting_cancel_all && live_own == 0
    }
}

/// The next own order, at tracker slot `from` or after it, that a sweep cancels: live, of `symbol` (or any), and
/// neither already being cancelled nor in doubt. Returns it with its slot, so a caller can cancel it and go on from
/// `slot + 1` without holding a borrow of the tracker (no allocation).
pub fn next_to_cancel(
    tracker: &OrderTracker,
    symbol: Option<SymbolId>,
    from: usize,
) -> Option<(usize, OrderHandle)> {
    (from..tracker.slot_count()).find_map(|slot| {
        let h = tracker.live_at(slot)?;
        let o = tracker.get(h)?;
        let wanted = symbol.is_none_or(|s| s == o.symbol)
            && !matches!(o.status, OrderStatus::PendingCancel | OrderStatus::Unknown);
        wanted.then_some((slot, h))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::tracker::NewOrder;
    use crate::orders::types::{ClientId, OrderId, OrderKind, Side, TimeInForce};

    fn order(t: &mut OrderTracker, n: u8, symbol: u16) -> OrderHandle {
        let cid = ClientId::new(&[b'a', b'b', b'c', b'0' + n]).unwrap();
        t.insert(
            NewOrder {
                client_id: cid,
                order_id: OrderId::new(&[b'o', b'0' + n]),
                symbol: SymbolId(symbol),
                side: Side::Buy,
                kind: OrderKind::Limit,
                tif: TimeInForce::Gtc,
                post_only: false,
                price: 100,
                qty: 1,
            },
            0,
            1_000,
        )
        .unwrap()
    }

    #[test]
    fn a_stop_refuses_orders_and_completes_when_nothing_is_left() {
        let mut s = StopSwitch::new();
        assert!(!s.refuses_orders() && !s.sweeping());
        assert!(!s.is_done(0), "a running session is not stopped");
        s.kill();
        assert_eq!(s.phase(), StopPhase::Killed);
        assert!(s.refuses_orders() && s.sweeping());
        s.cancel_all_sent();
        assert!(!s.is_done(0), "the cancel-all's answer is awaited");
        s.cancel_all_answered();
        assert!(!s.is_done(1), "an own order is still live");
        assert!(s.is_done(0));
        s.begin_shutdown();
        s.kill();
        assert_eq!(
            s.phase(),
            StopPhase::ShuttingDown,
            "kill does not undo a shutdown"
        );
    }

    #[test]
    fn a_sweep_skips_orders_being_cancelled_or_in_doubt_and_other_symbols() {
        let mut t = OrderTracker::new(8);
        let a = order(&mut t, 1, 0);
        let b = order(&mut t, 2, 1);
        let c = order(&mut t, 3, 0);
        let d = order(&mut t, 4, 0);
        t.cancel_requested(c, 0, 1_000).unwrap();
        t.mark_unknown(d).unwrap();
        let mut found = Vec::new();
        let mut from = 0;
        while let Some((slot, h)) = next_to_cancel(&t, None, from) {
            found.push(h);
            from = slot + 1;
        }
        assert!(found.contains(&a) && found.contains(&b));
        assert!(!found.contains(&c), "already being cancelled");
        let only0: Vec<_> =
            std::iter::successors(next_to_cancel(&t, Some(SymbolId(0)), 0), |(s, _)| {
                next_to_cancel(&t, Some(SymbolId(0)), s + 1)
            })
            .map(|(_, h)| h)
            .collect();
        assert!(only0.contains(&a) && !only0.contains(&b));
    }
}
