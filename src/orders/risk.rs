//! Pre-trade risk checks, request-rate budgets and exchange back-off. Everything takes `now` as an argument.

use std::fmt;

use super::types::{Side, SymbolId};

/// Per-symbol limits, at the symbol's quantity scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolLimits {
    /// Largest single order.
    pub max_order_qty: i64,
    /// Largest absolute position, counting every open order as if it filled (worst case).
    pub max_position: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskError {
    UnknownSymbol(SymbolId),
    OrderTooLarge {
        max: i64,
        got: i64,
    },
    TooManyOpenOrders {
        max: usize,
    },
    PositionLimit {
        max: i64,
        would_be: i64,
    },
    /// Our own orders-per-second cap.
    OrderRate,
    /// The exchange-facing budget for this class of request is spent; wait for `retry_at_ns`.
    Throttled {
        class: OpClass,
        retry_at_ns: u64,
    },
    /// The exchange told us to back off until this instant (ms, exchange clock as given).
    Banned {
        until_ms: i64,
    },
    /// Non-positive quantity.
    BadQty,
}

impl fmt::Display for RiskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RiskError::UnknownSymbol(s) => {
                write!(f, "no risk limits configured for symbol index {}", s.0)
            }
            RiskError::OrderTooLarge { max, got } => {
                write!(f, "order quantity {got} above the limit {max}")
            }
            RiskError::TooManyOpenOrders { max } => write!(f, "open-order limit {max} reached"),
            RiskError::PositionLimit { max, would_be } => {
                write!(f, "position would reach {would_be}, limit {max}")
            }
            RiskError::OrderRate => f.write_str("own orders-per-second limit reached"),
            RiskError::Throttled { class, retry_at_ns } => {
                write!(
                    f,
                    "{class:?} request budget spent; retry at {retry_at_ns} ns"
                )
            }
            RiskError::Banned { until_ms } => {
                write!(f, "exchange back-off in force until {until_ms} ms")
            }
            RiskError::BadQty => f.write_str("order quantity must be positive"),
        }
    }
}

impl std::error::Error for RiskError {}

const NS_PER_MIN: u64 = 60_000_000_000;

/// A token bucket in integer arithmetic: `capacity` tokens, refilled at `per_minute` tokens per minute.
/// Level is held in token·ns-per-minute units, so refill is an exact integer product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenBucket {
    capacity: u64,
    per_minute: u64,
    level: u128,
    last_ns: u64,
}

impl TokenBucket {
    /// Starts full.
    pub fn new(capacity: u64, per_minute: u64, now_ns: u64) -> TokenBucket {
        TokenBucket {
            capacity,
            per_minute,
            level: capacity as u128 * NS_PER_MIN as u128,
            last_ns: now_ns,
        }
    }

    /// At most `limit` requests in any 60 s window: the burst plus one minute of refill never exceed it.
    pub fn for_window_limit(limit: u64, now_ns: u64) -> TokenBucket {
        let burst = (limit / 10).max(1).min(limit);
        TokenBucket::new(burst, limit - burst, now_ns)
    }

    fn refill(&mut self, now_ns: u64) {
        if now_ns > self.last_ns {
            let add = (now_ns - self.last_ns) as u128 * self.per_minute as u128;
            let cap = self.capacity as u128 * NS_PER_MIN as u128;
            self.level = (self.level + add).min(cap);
            self.last_ns = now_ns;
        }
    }

    /// Whole tokens available now.
    pub fn available(&mut self, now_ns: u64) -> u64 {
        self.refill(now_ns);
        (self.level / NS_PER_MIN as u128) as u64
    }

    /// Takes `n` tokens if they are all there.
    pub fn try_take(&mut self, n: u64, now_ns: u64) -> bool {
        self.refill(now_ns);
        let need = n as u128 * NS_PER_MIN as u128;
        if self.level >= need {
            self.level -= need;
            true
        } else {
            false
        }
    }

    /// When `n` tokens will be there (now if they already are; `u64::MAX` if never).
    pub fn ready_at(&mut self, n: u64, now_ns: u64) -> u64 {
        self.refill(now_ns);
        let need = n as u128 * NS_PER_MIN as u128;
        if self.level >= need {
            return now_ns;
        }
        if self.per_minute == 0 || n > self.capacity {
            return u64::MAX;
        }
        let wait = (need - self.level).div_ceil(self.per_minute as u128);
        now_ns.saturating_add(u64::try_from(wait).unwrap_or(u64::MAX))
    }
}

/// Classes of WebSocket operations the exchange counts separately (spot/_rest_risk_limit_info_v2.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpClass {
    /// auth, ping, pong (shared threshold).
    Admin,
    /// sub, unsub.
    Stream,
    /// Any `req` (order and snapshot requests also count here: we budget conservatively).
    Req,
    /// place-order, cancel-order, cancel-all.
    OrderReq,
    /// depth-snapshot, depth-snapshot-top100.
    SnapshotReq,
}

const CLASSES: [OpClass; 5] = [
    OpClass::Admin,
    OpClass::Stream,
    OpClass::Req,
    OpClass::OrderReq,
    OpClass::SnapshotReq,
];

fn class_index(c: OpClass) -> usize {
    match c {
        OpClass::Admin => 0,
        OpClass::Stream => 1,
        OpClass::Req => 2,
        OpClass::OrderReq => 3,
        OpClass::SnapshotReq => 4,
    }
}

/// Level-1 per-minute thresholds (exceeding one gets that message type ignored for 15 min; level 2 kills the
/// session and bans the IP). Check live values with `GET /api/pro/v2/risk-limit-info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpLimits {
    pub admin: u64,
    pub stream: u64,
    pub req: u64,
    pub order_req: u64,
    pub snapshot_req: u64,
}

impl OpLimits {
    /// The documented level-1 values.
    pub const DOCUMENTED_LEVEL1: OpLimits = OpLimits {
        admin: 800,
        stream: 150,
        req: 10_000,
        order_req: 8_000,
        snapshot_req: 400,
    };

    /// Keep `percent` of each limit (e.g. 80) as our budget, leaving head-room for clock skew between windows.
    pub fn with_margin(self, percent: u64) -> OpLimits {
        let f = |v: u64| v * percent.min(100) / 100;
        OpLimits {
            admin: f(self.admin),
            stream: f(self.stream),
            req: f(self.req),
            order_req: f(self.order_req),
            snapshot_req: f(self.snapshot_req),
        }
    }

    fn get(&self, c: OpClass) -> u64 {
        match c {
            OpClass::Admin => self.admin,
            OpClass::Stream => self.stream,
            OpClass::Req => self.req,
            OpClass::OrderReq => self.order_req,
            OpClass::SnapshotReq => self.snapshot_req,
        }
    }
}

/// One token bucket per operation class.
#[derive(Debug, Clone)]
pub struct RateBudget {
    buckets: [TokenBucket; 5],
}

impl RateBudget {
    pub fn new(limits: OpLimits, now_ns: u64) -> RateBudget {
        RateBudget {
            buckets: CLASSES.map(|c| TokenBucket::for_window_limit(limits.get(c), now_ns)),
        }
    }

    /// Takes one token for `class` (and for `Req` too when `class` is a kind of request). All or nothing.
    pub fn try_acquire(&mut self, class: OpClass, now_ns: u64) -> Result<(), RiskError> {
        let also_req = matches!(class, OpClass::OrderReq | OpClass::SnapshotReq);
        let i = class_index(class);
        let r = class_index(OpClass::Req);
        let own_ok = self.buckets[i].available(now_ns) >= 1;
        let req_ok = !also_req || self.buckets[r].available(now_ns) >= 1;
        if !own_ok || !req_ok {
            let mut at = self.buckets[i].ready_at(1, now_ns);
            if also_req {
                at = at.max(self.buckets[r].ready_at(1, now_ns));
            }
            return Err(RiskError::Throttled {
                class,
                retry_at_ns: at,
            });
        }
        self.buckets[i].try_take(1, now_ns);
        if also_req {
            self.buckets[r].try_take(1, now_ns);
        }
        Ok(())
    }

    pub fn available(&mut self, class: OpClass, now_ns: u64) -> u64 {
        self.buckets[class_index(class)].available(now_ns)
    }
}

/// Back-off after a ban, HTTP 429 or 5xx, taking the exchange's word for how long when it gives one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backoff {
    until_ms: i64,
    failures: u32,
}

impl Backoff {
    const BASE_MS: i64 = 250;
    const MAX_MS: i64 = 60_000;

    pub fn new() -> Backoff {
        Backoff::default()
    }

    /// The exchange says we are banned until `until_ms` (e.g. risk-limit-info `bannedUntil`).
    pub fn banned_until(&mut self, until_ms: i64) {
        self.until_ms = self.until_ms.max(until_ms);
    }

    /// A throttling answer at `now_ms`; `retry_after_ms` when the exchange gave one, else exponential back-off.
    pub fn throttled(&mut self, now_ms: i64, retry_after_ms: Option<i64>) {
        let wait = match retry_after_ms {
            Some(ms) => ms.max(0),
            None => (Self::BASE_MS << self.failures.min(16)).min(Self::MAX_MS),
        };
        self.failures = self.failures.saturating_add(1);
        self.until_ms = self.until_ms.max(now_ms.saturating_add(wait));
    }

    pub fn succeeded(&mut self) {
        self.failures = 0;
    }

    pub fn check(&self, now_ms: i64) -> Result<(), RiskError> {
        if now_ms < self.until_ms {
            Err(RiskError::Banned {
                until_ms: self.until_ms,
            })
        } else {
            Ok(())
        }
    }

    pub fn until_ms(&self) -> i64 {
        self.until_ms
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Exposure {
    position: i64,
    open_buy: i64,
    open_sell: i64,
}

/// Pre-trade checks: order size, open-order count, worst-case position, our own order rate.
pub struct RiskGate {
    limits: Box<[SymbolLimits]>,
    exposure: Box<[Exposure]>,
    max_open_orders: usize,
    order_rate: TokenBucket,
}

impl RiskGate {
    /// `limits[i]` applies to `SymbolId(i)`.
    pub fn new(
        limits: Vec<SymbolLimits>,
        max_open_orders: usize,
        max_orders_per_sec: u64,
        now_ns: u64,
    ) -> RiskGate {
        let n = limits.len();
        RiskGate {
            limits: limits.into_boxed_slice(),
            exposure: vec![Exposure::default(); n].into_boxed_slice(),
            max_open_orders,
            // Per-second cap expressed per minute; a one-second burst.
            order_rate: TokenBucket::new(
                max_orders_per_sec.max(1),
                max_orders_per_sec * 60,
                now_ns,
            ),
        }
    }

    /// Checks a new order and, if it passes, consumes one unit of the order rate. `open_orders` is the tracker's
    /// live count.
    pub fn check_new(
        &mut self,
        symbol: SymbolId,
        side: Side,
        qty: i64,
        open_orders: usize,
        now_ns: u64,
    ) -> Result<(), RiskError> {
        let i = symbol.0 as usize;
        let lim = *self.limits.get(i).ok_or(RiskError::UnknownSymbol(symbol))?;
        if qty <= 0 {
            return Err(RiskError::BadQty);
        }
        if qty > lim.max_order_qty {
            return Err(RiskError::OrderTooLarge {
                max: lim.max_order_qty,
                got: qty,
            });
        }
        if open_orders >= self.max_open_orders {
            return Err(RiskError::TooManyOpenOrders {
                max: self.max_open_orders,
            });
        }
        let e = self.exposure[i];
        let would_be = match side {
            Side::Buy => e.position.saturating_add(e.open_buy).saturating_add(qty),
            Side::Sell => e.position.saturating_sub(e.open_sell).saturating_sub(qty),
        };
        if would_be.unsigned_abs() > lim.max_position.unsigned_abs() {
            return Err(RiskError::PositionLimit {
                max: lim.max_position,
                would_be,
            });
        }
        if !self.order_rate.try_take(1, now_ns) {
            return Err(RiskError::OrderRate);
        }
        Ok(())
    }

    /// An order was sent: its whole quantity counts as open exposure.
    pub fn on_sent(&mut self, symbol: SymbolId, side: Side, qty: i64) {
        if let Some(e) = self.exposure.get_mut(symbol.0 as usize) {
            match side {
                Side::Buy => e.open_buy = e.open_buy.saturating_add(qty),
                Side::Sell => e.open_sell = e.open_sell.saturating_add(qty),
            }
        }
    }

    /// A fill moves quantity from open exposure to position.
    pub fn on_fill(&mut self, symbol: SymbolId, side: Side, qty: i64) {
        if let Some(e) = self.exposure.get_mut(symbol.0 as usize) {
            match side {
                Side::Buy => {
                    e.open_buy = (e.open_buy - qty).max(0);
                    e.position = e.position.saturating_add(qty);
                }
                Side::Sell => {
                    e.open_sell = (e.open_sell - qty).max(0);
                    e.position = e.position.saturating_sub(qty);
                }
            }
        }
    }

    /// An order ended (canceled, rejected, filled): its unfilled remainder is no longer exposure.
    pub fn on_done(&mut self, symbol: SymbolId, side: Side, remaining: i64) {
        if let Some(e) = self.exposure.get_mut(symbol.0 as usize) {
            match side {
                Side::Buy => e.open_buy = (e.open_buy - remaining).max(0),
                Side::Sell => e.open_sell = (e.open_sell - remaining).max(0),
            }
        }
    }

    /// Sets the position from an external source (balances at start-up).
    pub fn set_position(&mut self, symbol: SymbolId, position: i64) {
        if let Some(e) = self.exposure.get_mut(symbol.0 as usize) {
            e.position = position;
        }
    }

    pub fn position(&self, symbol: SymbolId) -> Option<i64> {
        self.exposure.get(symbol.0 as usize).map(|e| e.position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn bucket_burst_then_refill() {
        let mut b = TokenBucket::new(3, 60, 0); // 1 token per second
        assert!(b.try_take(1, 0));
        assert!(b.try_take(1, 0));
        assert!(b.try_take(1, 0));
        assert!(!b.try_take(1, 0));
        assert_eq!(b.ready_at(1, 0), S);
        assert!(!b.try_take(1, S - 1));
        assert!(b.try_take(1, S));
        // Refill never exceeds the capacity.
        assert_eq!(b.available(1000 * S), 3);
        assert_eq!(b.ready_at(4, 1000 * S), u64::MAX);
    }

    #[test]
    fn window_limit_never_exceeded() {
        // Hammer the bucket every millisecond for 3 minutes; every 60 s window must stay within the limit.
        let limit = 800;
        let mut b = TokenBucket::for_window_limit(limit, 0);
        let mut taken_at = Vec::new();
        let ms = 1_000_000u64;
        for t in 0..180_000u64 {
            if b.try_take(1, t * ms) {
                taken_at.push(t);
            }
        }
        assert!(
            taken_at.len() as u64 > 2 * limit,
            "budget too stingy: {}",
            taken_at.len()
        );
        let mut lo = 0;
        for hi in 0..taken_at.len() {
            while taken_at[hi] - taken_at[lo] >= 60_000 {
                lo += 1;
            }
            assert!(
                (hi - lo + 1) as u64 <= limit,
                "window over limit at {}",
                taken_at[hi]
            );
        }
    }

    #[test]
    fn order_requests_also_spend_req_budget() {
        let limits = OpLimits {
            admin: 10,
            stream: 10,
            req: 20,
            order_req: 100,
            snapshot_req: 10,
        };
        let mut r = RateBudget::new(limits, 0);
        let mut ok = 0;
        while r.try_acquire(OpClass::OrderReq, 0).is_ok() {
            ok += 1;
        }
        // Req burst is 2 (20/10): it binds before the order bucket's burst of 10.
        assert_eq!(ok, 2);
        match r.try_acquire(OpClass::OrderReq, 0) {
            Err(RiskError::Throttled {
                class: OpClass::OrderReq,
                retry_at_ns,
            }) => assert!(retry_at_ns > 0),
            other => panic!("expected throttled, got {other:?}"),
        }
        assert!(r.try_acquire(OpClass::Admin, 0).is_ok());
        assert_eq!(OpLimits::DOCUMENTED_LEVEL1.with_margin(80).order_req, 6400);
    }

    #[test]
    fn backoff_takes_exchange_word_and_grows() {
        let mut b = Backoff::new();
        assert!(b.check(0).is_ok());
        b.throttled(1000, Some(5000));
        assert_eq!(b.check(5999), Err(RiskError::Banned { until_ms: 6000 }));
        assert!(b.check(6000).is_ok());
        b.throttled(10_000, None);
        let first = b.until_ms() - 10_000;
        b.throttled(10_000, None);
        let second = b.until_ms() - 10_000;
        assert!(second > first);
        b.banned_until(900_000);
        assert!(b.check(899_999).is_err());
        b.succeeded();
        b.throttled(900_000, None);
        assert_eq!(b.until_ms(), 900_000 + 250);
    }

    #[test]
    fn risk_gate_limits() {
        let lim = SymbolLimits {
            max_order_qty: 10,
            max_position: 15,
        };
        let mut g = RiskGate::new(vec![lim], 2, 2, 0);
        let s = SymbolId(0);
        assert_eq!(
            g.check_new(SymbolId(1), Side::Buy, 1, 0, 0),
            Err(RiskError::UnknownSymbol(SymbolId(1)))
        );
        assert_eq!(g.check_new(s, Side::Buy, 0, 0, 0), Err(RiskError::BadQty));
        assert_eq!(
            g.check_new(s, Side::Buy, 11, 0, 0),
            Err(RiskError::OrderTooLarge { max: 10, got: 11 })
        );
        assert_eq!(
            g.check_new(s, Side::Buy, 10, 2, 0),
            Err(RiskError::TooManyOpenOrders { max: 2 })
        );
        assert!(g.check_new(s, Side::Buy, 10, 0, 0).is_ok());
        g.on_sent(s, Side::Buy, 10);
        assert_eq!(
            g.check_new(s, Side::Buy, 6, 1, 0),
            Err(RiskError::PositionLimit {
                max: 15,
                would_be: 16
            })
        );
        assert!(g.check_new(s, Side::Buy, 5, 1, 0).is_ok());
        // Third order in the same second: our own rate cap (2/s).
        assert_eq!(
            g.check_new(s, Side::Sell, 1, 1, 0),
            Err(RiskError::OrderRate)
        );
        g.on_fill(s, Side::Buy, 4);
        assert_eq!(g.position(s), Some(4));
        g.on_done(s, Side::Buy, 6);
        // Exposure now: position 4, nothing open; a 10 buy → 14 ≤ 15.
        assert!(g.check_new(s, Side::Buy, 10, 0, 2 * S).is_ok());
        assert_eq!(
            g.check_new(s, Side::Sell, 10, 0, 3 * S).map(|_| ()),
            Ok(()),
            "sell side: 4 - 10 = -6 within 15"
        );
    }
}
