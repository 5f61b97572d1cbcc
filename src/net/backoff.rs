//! Reconnect backoff: exponential with jitter and a cap, plus a floor the exchange can impose (a ban, a 429).
//!
//! Jitter is "equal jitter" (half fixed, half random) so a fleet of clients that lost the same gateway does not
//! reconnect in lockstep, while one client still waits at least half the nominal delay.

#[derive(Clone, Copy, Debug)]
pub struct BackoffPolicy {
    pub base_ms: u64,
    pub cap_ms: u64,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy {
            base_ms: 250,
            cap_ms: 30_000,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Backoff {
    policy: BackoffPolicy,
    attempt: u32,
    rng: u64,
    /// No reconnect before this instant (ns on the engine clock): the exchange's word beats our schedule.
    floor_ns: u64,
}

impl Backoff {
    pub fn new(policy: BackoffPolicy, seed: u64) -> Self {
        Backoff {
            policy,
            attempt: 0,
            rng: seed | 1,
            floor_ns: 0,
        }
    }

    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// The delay before the next attempt, in ms; each call counts one attempt.
    pub fn next_delay_ms(&mut self) -> u64 {
        let exp = self
            .policy
            .base_ms
            .saturating_mul(1u64 << self.attempt.min(30))
            .min(self.policy.cap_ms);
        self.attempt = self.attempt.saturating_add(1);
        let half = exp / 2;
        half + self.random() % (exp - half + 1)
    }

    /// When the next attempt may start, given `now_ns`.
    pub fn next_attempt_at(&mut self, now_ns: u64) -> u64 {
        let at = now_ns + self.next_delay_ms() * 1_000_000;
        at.max(self.floor_ns)
    }

    /// A successful connection resets the schedule (the floor stays: a ban outlives a reconnect).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The exchange said "not before": a ban's end, a Retry-After.
    pub fn hold_until(&mut self, at_ns: u64) {
        self.floor_ns = self.floor_ns.max(at_ns);
    }

    fn random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_within_jitter_and_caps() {
        let mut b = Backoff::new(
            BackoffPolicy {
                base_ms: 100,
                cap_ms: 5_000,
            },
            42,
        );
        let mut nominal = 100u64;
        for _ in 0..12 {
            let d = b.next_delay_ms();
            let n = nominal.min(5_000);
            assert!(d >= n / 2 && d <= n, "delay {d} outside [{}, {n}]", n / 2);
            nominal *= 2;
        }
        b.reset();
        assert!(b.next_delay_ms() <= 100);
    }

    #[test]
    fn jitter_spreads_clients() {
        let delays: Vec<u64> = (1..20)
            .map(|s| Backoff::new(BackoffPolicy::default(), s).next_delay_ms())
            .collect();
        let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
        assert!(distinct.len() > 5, "jitter produced {delays:?}");
    }

    #[test]
    fn the_exchanges_floor_wins() {
        let mut b = Backoff::new(BackoffPolicy::default(), 7);
        b.hold_until(900_000_000_000);
        assert_eq!(b.next_attempt_at(0), 900_000_000_000);
        b.reset();
        assert_eq!(
            b.next_attempt_at(1),
            900_000_000_000,
            "a ban outlives a reset"
        );
    }
}
