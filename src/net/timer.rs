//! Timers for the event loop: a fixed set of slots with the earliest deadline cached.
//!
//! The loop asks `due(now)` once per iteration: one comparison when nothing is due, no allocation ever. Arming or
//! disarming the earliest timer rescans the slots; there are a few dozen (per connection: reconnect, ping,
//! request timeout; plus the strategy's own), so the scan is cheaper than a heap's bookkeeping.

use std::time::Instant;

/// Nanoseconds since the engine started; monotonic.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    epoch: Instant,
}

impl Clock {
    pub fn new() -> Self {
        Clock {
            epoch: Instant::now(),
        }
    }

    #[inline]
    pub fn now_ns(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

const DISARMED: u64 = u64::MAX;

pub struct Timers {
    deadlines: Box<[u64]>,
    next: u64,
}

impl Timers {
    pub fn new(slots: usize) -> Self {
        Timers {
            deadlines: vec![DISARMED; slots].into_boxed_slice(),
            next: DISARMED,
        }
    }

    pub fn len(&self) -> usize {
        self.deadlines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.deadlines.is_empty()
    }

    /// Arms (or re-arms) `slot` to fire at `at_ns`. Out-of-range slots are ignored.
    pub fn arm(&mut self, slot: usize, at_ns: u64) {
        let Some(d) = self.deadlines.get_mut(slot) else {
            return;
        };
        let was = *d;
        *d = at_ns;
        if at_ns < self.next {
            self.next = at_ns;
        } else if was == self.next {
            self.recompute();
        }
    }

    pub fn disarm(&mut self, slot: usize) {
        let Some(d) = self.deadlines.get_mut(slot) else {
            return;
        };
        let was = *d;
        *d = DISARMED;
        if was == self.next && was != DISARMED {
            self.recompute();
        }
    }

    pub fn deadline(&self, slot: usize) -> Option<u64> {
        self.deadlines.get(slot).copied().filter(|&d| d != DISARMED)
    }

    fn recompute(&mut self) {
        self.next = self.deadlines.iter().copied().min().unwrap_or(DISARMED);
    }

    /// True when some timer is due.
    #[inline]
    pub fn due(&self, now_ns: u64) -> bool {
        now_ns >= self.next
    }

    /// The earliest deadline, if any timer is armed.
    pub fn next_deadline(&self) -> Option<u64> {
        (self.next != DISARMED).then_some(self.next)
    }

    /// Disarms and returns one expired slot.
    pub fn pop_expired(&mut self, now_ns: u64) -> Option<usize> {
        if now_ns < self.next {
            return None;
        }
        let slot = self.deadlines.iter().position(|&d| d <= now_ns)?;
        self.deadlines[slot] = DISARMED;
        self.recompute();
        Some(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_in_deadline_order_and_only_when_due() {
        let mut t = Timers::new(4);
        t.arm(2, 300);
        t.arm(0, 100);
        t.arm(3, 200);
        assert!(!t.due(99));
        assert_eq!(t.pop_expired(99), None);
        assert_eq!(t.next_deadline(), Some(100));
        assert_eq!(t.pop_expired(250), Some(0));
        assert_eq!(t.pop_expired(250), Some(3));
        assert_eq!(t.pop_expired(250), None);
        assert_eq!(t.next_deadline(), Some(300));
    }

    #[test]
    fn rearm_and_disarm_update_the_earliest() {
        let mut t = Timers::new(3);
        t.arm(0, 100);
        t.arm(1, 500);
        t.arm(0, 900); // moved later: the earliest is now slot 1
        assert_eq!(t.next_deadline(), Some(500));
        t.disarm(1);
        assert_eq!(t.next_deadline(), Some(900));
        t.disarm(0);
        assert_eq!(t.next_deadline(), None);
        assert!(!t.due(u64::MAX - 1));
        t.arm(7, 1); // out of range: ignored, no panic
        assert_eq!(t.next_deadline(), None);
    }
}
