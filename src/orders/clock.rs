//! Local-to-exchange clock offset from request/response round trips (our send time, the server's receive time,
//! our receive time). Orders carry the exchange's `time` and are refused when more than 30 s old, and order ids
//! embed it, so the engine stamps requests with `local + offset`.

/// One round trip, all in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSample {
    pub sent_local_ms: i64,
    pub server_ms: i64,
    pub recv_local_ms: i64,
}

impl ClockSample {
    pub fn rtt_ms(&self) -> i64 {
        self.recv_local_ms - self.sent_local_ms
    }

    /// server − midpoint(send, receive), rounded half away from zero, in ms.
    pub fn offset_ms(&self) -> i64 {
        let twice = 2 * self.server_ms - self.sent_local_ms - self.recv_local_ms;
        if twice >= 0 {
            (twice + 1) / 2
        } else {
            -((-twice + 1) / 2)
        }
    }
}

/// Keeps the last `N` samples and trusts the one with the shortest round trip (least queueing, least error).
#[derive(Debug, Clone)]
pub struct ClockOffset {
    samples: [Option<ClockSample>; 16],
    next: usize,
}

impl Default for ClockOffset {
    fn default() -> Self {
        Self::new()
    }
}

impl ClockOffset {
    pub fn new() -> ClockOffset {
        ClockOffset {
            samples: [None; 16],
            next: 0,
        }
    }

    /// Adds a sample; refuses one whose receive precedes its send (a clock step) and returns `false`.
    pub fn add(&mut self, s: ClockSample) -> bool {
        if s.rtt_ms() < 0 {
            return false;
        }
        self.samples[self.next] = Some(s);
        self.next = (self.next + 1) % self.samples.len();
        true
    }

    fn best(&self) -> Option<ClockSample> {
        self.samples
            .iter()
            .flatten()
            .min_by_key(|s| s.rtt_ms())
            .copied()
    }

    /// Exchange clock minus local clock, ms (0 until a sample arrives).
    pub fn offset_ms(&self) -> i64 {
        self.best().map_or(0, |s| s.offset_ms())
    }

    /// Uncertainty of the offset: half the best round trip, ms (`None` without samples).
    pub fn error_ms(&self) -> Option<i64> {
        self.best().map(|s| (s.rtt_ms() + 1) / 2)
    }

    /// The exchange's time now, given the local time.
    pub fn exchange_ms(&self, local_ms: i64) -> i64 {
        local_ms + self.offset_ms()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_example_and_best_sample() {
        // exchange-info example: requestTimeEcho 1640052379050, requestReceiveAt 1640052379063; say we got it at +30.
        let s = ClockSample {
            sent_local_ms: 1640052379050,
            server_ms: 1640052379063,
            recv_local_ms: 1640052379080,
        };
        assert_eq!(s.rtt_ms(), 30);
        assert_eq!(s.offset_ms(), -2);
        let mut c = ClockOffset::new();
        assert_eq!(c.offset_ms(), 0);
        assert!(c.add(s));
        // A slower sample with a very different offset does not win.
        assert!(c.add(ClockSample {
            sent_local_ms: 0,
            server_ms: 500,
            recv_local_ms: 400
        }));
        assert_eq!(c.offset_ms(), -2);
        assert_eq!(c.error_ms(), Some(15));
        assert_eq!(c.exchange_ms(1000), 998);
        assert!(!c.add(ClockSample {
            sent_local_ms: 10,
            server_ms: 5,
            recv_local_ms: 9
        }));
        // Negative odd offsets round away from zero.
        assert_eq!(
            ClockSample {
                sent_local_ms: 0,
                server_ms: 0,
                recv_local_ms: 3
            }
            .offset_ms(),
            -2
        );
    }
}
