//! The REST request queue of a trading session, venue-agnostic: one request in flight per connection, the rest
//! waiting in order (urgent work such as cancels at the front), each with its own earliest send time; a hold-off
//! for the whole queue after a 429 or 5xx (from the answer's `Retry-After` or the shared [`Backoff`]); bounded
//! retries with exponential spacing.
//!
//! The venue decides what a job is (`J`: an enum of its endpoints with inline ids, `Copy`, no allocation) and how
//! to encode and answer it; this file decides when it may leave.

use std::collections::VecDeque;

use crate::orders::Backoff;

const MS: u64 = 1_000_000;

/// A job with its bookkeeping.
#[derive(Clone, Copy, Debug)]
pub struct Queued<J> {
    pub job: J,
    /// When it was first queued: the retry budget runs from here.
    pub first_ns: u64,
    /// Not sent before this (0: at once).
    pub not_before_ns: u64,
    /// Retries so far.
    pub tries: u32,
}

/// What an answer's HTTP status means for the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Throttle {
    /// 429: the request was refused before being processed, so it is resent first.
    TooMany,
    /// 5xx: the request may or may not have been processed; the venue decides whether to retry it.
    Unavailable,
}

/// The queue, its in-flight request and its hold-off.
#[derive(Debug)]
pub struct RestQueue<J> {
    jobs: VecDeque<Queued<J>>,
    inflight: Option<Queued<J>>,
    hold_until_ns: u64,
    backoff: Backoff,
}

impl<J: Copy> RestQueue<J> {
    /// An empty queue with room for `capacity` jobs before it grows (start-up only).
    pub fn with_capacity(capacity: usize) -> Self {
        RestQueue {
            jobs: VecDeque::with_capacity(capacity),
            inflight: None,
            hold_until_ns: 0,
            backoff: Backoff::new(),
        }
    }

    /// Queues routine work behind everything else.
    pub fn push_back(&mut self, job: J, now_ns: u64) {
        self.jobs.push_back(Queued {
            job,
            first_ns: now_ns,
            not_before_ns: 0,
            tries: 0,
        });
    }

    /// Queues urgent work (orders, cancels) ahead of routine queries.
    pub fn push_front(&mut self, job: J, now_ns: u64) {
        self.jobs.push_front(Queued {
            job,
            first_ns: now_ns,
            not_before_ns: 0,
            tries: 0,
        });
    }

    /// Puts a job that was taken back at the front, keeping its history.
    pub fn requeue_front(&mut self, q: Queued<J>) {
        self.jobs.push_front(q);
    }

    /// Re-queues a failed job for another try when it is still within `retry_ns` of its first queueing, spaced
    /// 250 ms × 2^tries (capped at 16 s); `false` when its budget is spent (the caller gives it up).
    pub fn retry(&mut self, mut q: Queued<J>, now_ns: u64, retry_ns: u64) -> bool {
        if now_ns.saturating_sub(q.first_ns) >= retry_ns {
            return false;
        }
        q.tries += 1;
        q.not_before_ns = now_ns + ((250 * MS) << q.tries.min(6));
        self.jobs.push_front(q);
        true
    }

    /// Any job in flight or queued matches `f`.
    pub fn has(&self, f: impl Fn(&J) -> bool) -> bool {
        self.inflight.as_ref().is_some_and(|q| f(&q.job)) || self.jobs.iter().any(|q| f(&q.job))
    }

    /// A request is queued or in flight.
    pub fn is_busy(&self) -> bool {
        self.inflight.is_some() || !self.jobs.is_empty()
    }

    /// The whole queue is held off (429, 5xx, ban) at `now_ns`.
    pub fn is_held(&self, now_ns: u64) -> bool {
        now_ns < self.hold_until_ns
    }

    /// The shared backoff (its `until_ms` is reported to callers refused during a hold).
    pub fn backoff(&self) -> &Backoff {
        &self.backoff
    }

    /// The exchange said the account or IP is banned until `until_ms` (its clock).
    pub fn banned_until(&mut self, until_ms: i64) {
        self.backoff.banned_until(until_ms);
    }

    /// The oldest due job, when nothing is in flight and the queue is not held; the caller sends it and calls
    /// [`RestQueue::sent`], or drops it.
    pub fn take_due(&mut self, now_ns: u64) -> Option<Queued<J>> {
        if self.inflight.is_some() || self.is_held(now_ns) {
            return None;
        }
        let i = self.jobs.iter().position(|q| q.not_before_ns <= now_ns)?;
        self.jobs.remove(i)
    }

    /// The job's request left: its answer is the next one on the connection.
    pub fn sent(&mut self, q: Queued<J>) {
        self.inflight = Some(q);
    }

    /// The in-flight job, as its answer (or the connection's failure) arrives.
    pub fn take_inflight(&mut self) -> Option<Queued<J>> {
        self.inflight.take()
    }

    /// A successful answer: the backoff resets.
    pub fn succeeded(&mut self) {
        self.backoff.succeeded();
    }

    /// A 429 or 5xx: the whole queue is held until the backoff (or the server's `Retry-After`) allows. `now_ms`
    /// is the local wall clock the backoff counts in, `now_ns` the engine clock the hold counts in.
    pub fn throttled(&mut self, now_ns: u64, now_ms: i64, retry_after_s: Option<u32>) {
        self.backoff
            .throttled(now_ms, retry_after_s.map(|s| i64::from(s) * 1000));
        let wait = (self.backoff.until_ms() - now_ms).max(0) as u64;
        self.hold_until_ns = now_ns + wait * MS;
    }

    /// The jobs waiting (not the one in flight), front first.
    pub fn waiting(&self) -> impl Iterator<Item = &Queued<J>> {
        self.jobs.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_in_flight_and_urgent_first() {
        let mut q = RestQueue::with_capacity(4);
        q.push_back(1u8, 0);
        q.push_front(2u8, 0);
        let a = q.take_due(0).expect("due");
        assert_eq!(a.job, 2);
        q.sent(a);
        assert!(
            q.take_due(0).is_none(),
            "a second request waits for the first answer"
        );
        assert!(q.has(|j| *j == 2) && q.has(|j| *j == 1));
        assert_eq!(q.take_inflight().map(|q| q.job), Some(2));
        assert_eq!(q.take_due(0).map(|q| q.job), Some(1));
        assert!(!q.is_busy());
    }

    #[test]
    fn a_throttle_holds_everything_for_retry_after() {
        let mut q = RestQueue::with_capacity(4);
        q.push_back(1u8, 0);
        q.throttled(0, 1_000, Some(2));
        assert!(q.is_held(1_999 * MS));
        assert!(q.take_due(1_999 * MS).is_none());
        assert!(!q.is_held(2_000 * MS));
        assert_eq!(q.take_due(2_000 * MS).map(|q| q.job), Some(1));
    }

    #[test]
    fn retries_are_spaced_and_bounded() {
        let mut q = RestQueue::with_capacity(4);
        q.push_back(7u8, 0);
        let j = q.take_due(0).expect("due");
        assert!(q.retry(j, 10 * MS, 1_000 * MS));
        assert!(
            q.take_due(10 * MS).is_none(),
            "spaced by 500 ms after the first retry"
        );
        let j = q.take_due(510 * MS).expect("due again");
        assert_eq!(j.tries, 1);
        assert!(!q.retry(j, 1_000 * MS, 1_000 * MS), "budget spent");
        assert!(!q.is_busy());
    }
}
