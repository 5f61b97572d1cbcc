//! In-flight order tracker: a fixed-capacity slab with two open-addressing indexes (client id, exchange order id),
//! the order state machine, and fills derived from cumulative quantity and fee.
//!
//! Nothing here allocates after construction. Terminal orders stay in the slab (so a late report of an order we
//! already closed is recognised, not mistaken for a new one) until their slot is needed: the oldest terminal order
//! is evicted first.

use std::fmt;

use super::scaled::{Round, div_round};
use super::types::{
    ClientId, Fill, OrderId, OrderKind, OrderStatus, OrderUpdate, ReportedStatus, ShortId, Side,
    SymbolId, TimeInForce,
};

/// What the engine asks the tracker to remember when it sends an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewOrder {
    /// Our id for the order, unique among tracked orders; the venue echoes it back, so a report finds its order.
    pub client_id: ClientId,
    /// The exchange id when the venue lets us predict it; otherwise set it from the acknowledgement.
    pub order_id: Option<OrderId>,
    /// The order's symbol.
    pub symbol: SymbolId,
    /// Buy or sell.
    pub side: Side,
    /// Limit, market or stop.
    pub kind: OrderKind,
    /// Good-till-cancel, immediate-or-cancel or fill-or-kill.
    pub tif: TimeInForce,
    /// The exchange must reject rather than let the order take liquidity.
    pub post_only: bool,
    /// Limit price at the symbol's price scale (0 for market orders).
    pub price: i64,
    /// Quantity asked for, at the symbol's quantity scale.
    pub qty: i64,
}

/// One tracked order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    /// Our id for the order (empty for an adopted order the exchange reported without one).
    pub client_id: ClientId,
    /// The exchange's id: predicted at placement where the venue allows, otherwise empty until the acknowledgement.
    pub order_id: OrderId,
    /// The order's symbol.
    pub symbol: SymbolId,
    /// Buy or sell.
    pub side: Side,
    /// Limit, market or stop.
    pub kind: OrderKind,
    /// Good-till-cancel, immediate-or-cancel or fill-or-kill.
    pub tif: TimeInForce,
    /// The exchange must reject rather than let the order take liquidity.
    pub post_only: bool,
    /// Limit price at the symbol's price scale (0 for market orders).
    pub price: i64,
    /// Quantity asked for, at the symbol's quantity scale.
    pub qty: i64,
    /// The state to act on: the exchange's last word, or ours while a request is in flight.
    pub status: OrderStatus,
    /// The last state the exchange confirmed; `status` may overlay it with `PendingCancel` or `Unknown`.
    pub confirmed: OrderStatus,
    /// Total filled so far, at the quantity scale; only ever grows (a report with less is stale).
    pub cum_qty: i64,
    /// Average price of `cum_qty` at the price scale (0 while nothing filled).
    pub avg_px: i64,
    /// Total fee charged so far, at the fee scale (the session's asset scale).
    pub cum_fee: i64,
    /// Highest exchange sequence number applied (0: none yet).
    pub last_seq: u64,
    /// When the order was inserted for sending, engine clock ns (0 for an adopted order); the not-found rule
    /// measures its age from here.
    pub sent_ns: u64,
    /// When the request in flight (new or cancel) times out into `Unknown`; 0 when nothing is pending.
    pub deadline_ns: u64,
    /// The newest exchange timestamp among the reports applied, ms since the Unix epoch (0: none yet).
    pub last_ts_ms: i64,
}

impl Order {
    /// Quantity not (yet) filled.
    pub fn remaining(&self) -> i64 {
        (self.qty - self.cum_qty).max(0)
    }
}

/// A reference to a slot; the generation makes a stale handle (slot reused since) fail to resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrderHandle {
    idx: u32,
    generation: u32,
}

impl OrderHandle {
    /// The slot number, below the tracker's capacity: an index for a caller's own per-order arrays (the generation
    /// is not part of it, so check the handle still resolves before trusting such an entry).
    pub fn index(self) -> usize {
        self.idx as usize
    }
}

/// Events that move an order between states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The exchange reported this state.
    Reported(ReportedStatus),
    /// We are about to send a cancel for the order.
    CancelRequested,
    /// The exchange refused our cancel (too late, not open, duplicate).
    CancelRefused,
    /// The exchange refused the new-order request itself (an `Err` reply).
    RequestRejected,
    /// No answer to the request in flight before its deadline.
    TimedOut,
    /// The exchange's open-order list does not show a live order (after a reconnect).
    Unconfirmed,
    /// A status query says the exchange never had the order (only meaningful once the request can no longer
    /// arrive: AscendEX drops requests whose `time` is more than 30 s old).
    NotFound,
}

/// A transition the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalTransition {
    /// The order's status when the event arrived.
    pub from: OrderStatus,
    /// The event the rule table has no transition for from `from`.
    pub event: Event,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "illegal order transition: {:?} on {}",
            self.event,
            self.from.as_str()
        )
    }
}

impl std::error::Error for IllegalTransition {}

/// Why the tracker refused an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackError {
    /// Every slot holds a live order; raise the capacity or cancel something.
    Full,
    /// Another tracked order already has this client id.
    DuplicateClientId,
    /// Another tracked order already has this exchange id.
    DuplicateOrderId,
    /// The handle's slot was released or reused.
    StaleHandle,
    /// No tracked order has this id (a foreign order, or one evicted long ago).
    UnknownOrder,
    /// The event is not allowed in the order's current state.
    Illegal(IllegalTransition),
    /// Too soon to conclude the exchange never got the order: the request may still arrive.
    TooEarly,
}

impl fmt::Display for TrackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrackError::Full => f.write_str("order tracker full: every slot holds a live order"),
            TrackError::DuplicateClientId => f.write_str("client id already tracked"),
            TrackError::DuplicateOrderId => f.write_str("exchange order id already tracked"),
            TrackError::StaleHandle => f.write_str("order handle refers to a released slot"),
            TrackError::UnknownOrder => f.write_str("no tracked order has this id"),
            TrackError::Illegal(t) => t.fmt(f),
            TrackError::TooEarly => f.write_str(
                "too soon to declare the order never placed: the request may still arrive",
            ),
        }
    }
}

impl std::error::Error for TrackError {}

impl From<IllegalTransition> for TrackError {
    fn from(t: IllegalTransition) -> TrackError {
        TrackError::Illegal(t)
    }
}

/// What applying a report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// The order the report was about.
    pub handle: OrderHandle,
    /// The execution this report revealed, if its cumulative quantity grew.
    pub fill: Option<Fill>,
    /// The order's status after the report.
    pub status: OrderStatus,
    /// `status` differs from before the report.
    pub status_changed: bool,
    /// The report was older than what we hold (sequence number or cumulative quantity) and changed nothing.
    pub stale: bool,
}

fn rank(s: OrderStatus) -> u8 {
    match s {
        OrderStatus::PendingNew | OrderStatus::Unknown => 0,
        OrderStatus::New | OrderStatus::PendingCancel => 1,
        OrderStatus::PartiallyFilled => 2,
        OrderStatus::Filled | OrderStatus::Canceled | OrderStatus::Rejected => 3,
    }
}

/// The state machine for the engine's own events. Exchange reports go through [`OrderTracker::apply`], which also
/// handles staleness; this function is the rule table both use.
pub fn transition(order: &Order, event: Event) -> Result<OrderStatus, IllegalTransition> {
    use OrderStatus::*;
    let illegal = Err(IllegalTransition {
        from: order.status,
        event,
    });
    match event {
        Event::Reported(r) => {
            let reported = r.to_status();
            if order.status.is_terminal() {
                // A terminal order only accepts the same terminal report again.
                return if reported == order.status {
                    Ok(reported)
                } else {
                    illegal
                };
            }
            let base = if matches!(order.status, PendingCancel | Unknown) {
                order.confirmed
            } else {
                order.status
            };
            let next = if rank(reported) >= rank(base) {
                reported
            } else {
                base
            };
            match order.status {
                PendingCancel if !next.is_terminal() => Ok(PendingCancel),
                _ => Ok(next),
            }
        }
        Event::CancelRequested => match order.status {
            PendingNew | New | PartiallyFilled | Unknown => Ok(PendingCancel),
            _ => illegal,
        },
        Event::CancelRefused => match order.status {
            // A cancel refused before the order was ever acknowledged: the exchange may never have received it
            // (or it is still in flight). Only a status query can tell: in doubt, not back to pending.
            PendingCancel if order.confirmed == PendingNew => Ok(Unknown),
            PendingCancel => Ok(order.confirmed),
            _ => illegal,
        },
        Event::RequestRejected => match order.status {
            PendingNew | Unknown if order.confirmed == PendingNew => Ok(Rejected),
            _ => illegal,
        },
        Event::TimedOut => match order.status {
            PendingNew | PendingCancel => Ok(Unknown),
            _ => illegal,
        },
        Event::NotFound => match order.status {
            PendingNew | Unknown if order.confirmed == PendingNew => Ok(Rejected),
            _ => illegal,
        },
        Event::Unconfirmed => match order.status {
            PendingNew | New | PartiallyFilled | PendingCancel | Unknown => Ok(Unknown),
            _ => illegal,
        },
    }
}

const EMPTY: u32 = u32::MAX;
const TOMB: u32 = u32::MAX - 1;

/// Open-addressing index from an id to a slab slot. Keys live in the slab; the table stores slot numbers only.
struct IdIndex {
    table: Box<[u32]>,
    mask: usize,
    tombs: usize,
}

impl IdIndex {
    fn new(capacity: usize) -> IdIndex {
        let size = (capacity.max(4) * 4).next_power_of_two();
        IdIndex {
            table: vec![EMPTY; size].into_boxed_slice(),
            mask: size - 1,
            tombs: 0,
        }
    }

    fn find(&self, key: &ShortId, key_of: impl Fn(u32) -> ShortId) -> Option<u32> {
        let mut i = key.hash() as usize & self.mask;
        for _ in 0..self.table.len() {
            match self.table[i] {
                EMPTY => return None,
                TOMB => {}
                slot if key_of(slot) == *key => return Some(slot),
                _ => {}
            }
            i = (i + 1) & self.mask;
        }
        None
    }

    fn insert(&mut self, key: &ShortId, slot: u32) {
        let mut i = key.hash() as usize & self.mask;
        loop {
            match self.table[i] {
                EMPTY => {
                    self.table[i] = slot;
                    return;
                }
                TOMB => {
                    self.table[i] = slot;
                    self.tombs -= 1;
                    return;
                }
                _ => i = (i + 1) & self.mask,
            }
        }
    }

    fn remove(&mut self, key: &ShortId, slot: u32) {
        let mut i = key.hash() as usize & self.mask;
        for _ in 0..self.table.len() {
            match self.table[i] {
                EMPTY => return,
                s if s == slot => {
                    self.table[i] = TOMB;
                    self.tombs += 1;
                    return;
                }
                _ => {}
            }
            i = (i + 1) & self.mask;
        }
    }

    fn clear(&mut self) {
        self.table.fill(EMPTY);
        self.tombs = 0;
    }
}

/// The in-flight order tracker. See the module docs.
pub struct OrderTracker {
    orders: Box<[Order]>,
    generation: Box<[u32]>,
    used: Box<[bool]>,
    free: Box<[u32]>,
    free_len: usize,
    /// Terminal slots, oldest first (a ring of `capacity` entries).
    retired: Box<[u32]>,
    retired_head: usize,
    retired_len: usize,
    by_client: IdIndex,
    by_order: IdIndex,
    live: usize,
}

const BLANK: Order = Order {
    client_id: ClientId::EMPTY,
    order_id: OrderId::EMPTY,
    symbol: SymbolId(0),
    side: Side::Buy,
    kind: OrderKind::Limit,
    tif: TimeInForce::Gtc,
    post_only: false,
    price: 0,
    qty: 0,
    status: OrderStatus::Canceled,
    confirmed: OrderStatus::Canceled,
    cum_qty: 0,
    avg_px: 0,
    cum_fee: 0,
    last_seq: 0,
    sent_ns: 0,
    deadline_ns: 0,
    last_ts_ms: 0,
};

impl OrderTracker {
    /// Allocates everything now; `capacity` is the most orders (live plus remembered terminal) held at once.
    pub fn new(capacity: usize) -> OrderTracker {
        let capacity = capacity.clamp(1, (u32::MAX / 8) as usize);
        OrderTracker {
            orders: vec![BLANK; capacity].into_boxed_slice(),
            generation: vec![0; capacity].into_boxed_slice(),
            used: vec![false; capacity].into_boxed_slice(),
            free: (0..capacity as u32)
                .rev()
                .collect::<Vec<_>>()
                .into_boxed_slice(),
            free_len: capacity,
            retired: vec![0; capacity].into_boxed_slice(),
            retired_head: 0,
            retired_len: 0,
            by_client: IdIndex::new(capacity),
            by_order: IdIndex::new(capacity),
            live: 0,
        }
    }

    /// Slots in the slab: the most orders (live plus remembered terminal) held at once, fixed at construction.
    pub fn capacity(&self) -> usize {
        self.orders.len()
    }

    /// Orders not yet terminal (including `Unknown` ones: they may still trade).
    pub fn live_count(&self) -> usize {
        self.live
    }

    fn handle(&self, idx: u32) -> OrderHandle {
        OrderHandle {
            idx,
            generation: self.generation[idx as usize],
        }
    }

    fn check(&self, h: OrderHandle) -> Result<usize, TrackError> {
        let i = h.idx as usize;
        if i < self.orders.len() && self.used[i] && self.generation[i] == h.generation {
            Ok(i)
        } else {
            Err(TrackError::StaleHandle)
        }
    }

    /// The order behind a handle; `None` when the handle is stale (its slot was released or reused).
    pub fn get(&self, h: OrderHandle) -> Option<&Order> {
        self.check(h).ok().map(|i| &self.orders[i])
    }

    /// Finds a tracked order by our id (`None` for an empty id or one not tracked); no allocation.
    pub fn by_client_id(&self, id: &ClientId) -> Option<OrderHandle> {
        if id.is_empty() {
            return None;
        }
        let orders = &self.orders;
        self.by_client
            .find(&id.0, |s| orders[s as usize].client_id.0)
            .map(|s| self.handle(s))
    }

    /// Finds a tracked order by the exchange's id (`None` for an empty id or one not tracked); no allocation.
    pub fn by_order_id(&self, id: &OrderId) -> Option<OrderHandle> {
        if id.is_empty() {
            return None;
        }
        let orders = &self.orders;
        self.by_order
            .find(&id.0, |s| orders[s as usize].order_id.0)
            .map(|s| self.handle(s))
    }

    fn take_slot(&mut self) -> Option<u32> {
        if self.free_len > 0 {
            self.free_len -= 1;
            return Some(self.free[self.free_len]);
        }
        // Evict the oldest remembered terminal order.
        while self.retired_len > 0 {
            let slot = self.retired[self.retired_head];
            self.retired_head = (self.retired_head + 1) % self.retired.len();
            self.retired_len -= 1;
            let i = slot as usize;
            if self.used[i] && self.orders[i].status.is_terminal() {
                self.unlink(slot);
                return Some(slot);
            }
        }
        // The ring can miss a terminal slot after `release` churn; a scan keeps "full" meaning "all live".
        let slot = (0..self.orders.len())
            .find(|&i| self.used[i] && self.orders[i].status.is_terminal())?
            as u32;
        self.unlink(slot);
        Some(slot)
    }

    fn unlink(&mut self, slot: u32) {
        let i = slot as usize;
        let o = self.orders[i];
        if !o.client_id.is_empty() {
            self.by_client.remove(&o.client_id.0, slot);
        }
        if !o.order_id.is_empty() {
            self.by_order.remove(&o.order_id.0, slot);
        }
        self.used[i] = false;
        self.generation[i] = self.generation[i].wrapping_add(1);
        self.maybe_rebuild();
    }

    /// Tombstones only grow with churn; rebuilding from the slab bounds probe lengths without allocating.
    fn maybe_rebuild(&mut self) {
        let cap = self.orders.len();
        if self.by_client.tombs <= cap && self.by_order.tombs <= cap {
            return;
        }
        self.by_client.clear();
        self.by_order.clear();
        for i in 0..cap {
            if self.used[i] {
                let o = &self.orders[i];
                if !o.client_id.is_empty() {
                    self.by_client.insert(&o.client_id.0, i as u32);
                }
                if !o.order_id.is_empty() {
                    self.by_order.insert(&o.order_id.0, i as u32);
                }
            }
        }
    }

    /// Records an order about to be sent. `ack_timeout_ns` after `now_ns` it turns `Unknown` (see [`Self::expire`]).
    pub fn insert(
        &mut self,
        req: NewOrder,
        now_ns: u64,
        ack_timeout_ns: u64,
    ) -> Result<OrderHandle, TrackError> {
        if self.by_client_id(&req.client_id).is_some() {
            return Err(TrackError::DuplicateClientId);
        }
        if let Some(oid) = &req.order_id
            && self.by_order_id(oid).is_some()
        {
            return Err(TrackError::DuplicateOrderId);
        }
        let slot = self.take_slot().ok_or(TrackError::Full)?;
        let i = slot as usize;
        self.orders[i] = Order {
            client_id: req.client_id,
            order_id: req.order_id.unwrap_or(OrderId::EMPTY),
            symbol: req.symbol,
            side: req.side,
            kind: req.kind,
            tif: req.tif,
            post_only: req.post_only,
            price: req.price,
            qty: req.qty,
            status: OrderStatus::PendingNew,
            confirmed: OrderStatus::PendingNew,
            cum_qty: 0,
            avg_px: 0,
            cum_fee: 0,
            last_seq: 0,
            sent_ns: now_ns,
            deadline_ns: now_ns.saturating_add(ack_timeout_ns).max(1),
            last_ts_ms: 0,
        };
        self.used[i] = true;
        if !req.client_id.is_empty() {
            self.by_client.insert(&req.client_id.0, slot);
        }
        if !self.orders[i].order_id.is_empty() {
            self.by_order.insert(&self.orders[i].order_id.0, slot);
        }
        self.live += 1;
        Ok(self.handle(slot))
    }

    /// Records an order found on the exchange that we did not have (after a restart or a lost acknowledgement).
    pub fn adopt(
        &mut self,
        mut req: NewOrder,
        update: &OrderUpdate,
    ) -> Result<Applied, TrackError> {
        req.order_id = Some(update.order_id);
        let h = self.insert(req, 0, 0)?;
        let i = h.idx as usize;
        self.orders[i].deadline_ns = 0;
        // Adopted fills happened before we knew the order: they are state, not news.
        self.orders[i].cum_qty = update.cum_qty;
        self.orders[i].avg_px = update.avg_px;
        self.orders[i].cum_fee = update.cum_fee;
        let mut applied = self.apply(update)?;
        applied.fill = None;
        Ok(applied)
    }

    /// Sets (or corrects) the exchange id, e.g. from an acknowledgement when it was not predicted.
    pub fn set_order_id(&mut self, h: OrderHandle, id: OrderId) -> Result<(), TrackError> {
        let i = self.check(h)?;
        if self.orders[i].order_id == id {
            return Ok(());
        }
        if self.by_order_id(&id).is_some() {
            return Err(TrackError::DuplicateOrderId);
        }
        let old = self.orders[i].order_id;
        if !old.is_empty() {
            self.by_order.remove(&old.0, h.idx);
        }
        self.orders[i].order_id = id;
        if !id.is_empty() {
            self.by_order.insert(&id.0, h.idx);
        }
        self.maybe_rebuild();
        Ok(())
    }

    fn set_status(&mut self, i: usize, status: OrderStatus) {
        let was_live = self.orders[i].status.is_live();
        self.orders[i].status = status;
        if !matches!(status, OrderStatus::PendingCancel | OrderStatus::Unknown) {
            self.orders[i].confirmed = status;
        }
        if status.is_terminal() {
            self.orders[i].deadline_ns = 0;
            if was_live {
                self.live -= 1;
                let cap = self.retired.len();
                // The ring never overflows: it holds at most one entry per slot that is terminal right now.
                if self.retired_len < cap {
                    self.retired[(self.retired_head + self.retired_len) % cap] = i as u32;
                    self.retired_len += 1;
                }
            }
        }
    }

    fn event(&mut self, h: OrderHandle, ev: Event) -> Result<OrderStatus, TrackError> {
        let i = self.check(h)?;
        let next = transition(&self.orders[i], ev)?;
        self.set_status(i, next);
        Ok(next)
    }

    /// The request for a still-pending order has actually left (it may have waited in a queue, e.g. through a
    /// 429 hold): the wait for its answer starts now. Does nothing for an order no longer pending.
    pub fn request_sent(&mut self, h: OrderHandle, now_ns: u64, timeout_ns: u64) {
        if let Some(o) = self.get(h).copied()
            && o.status == OrderStatus::PendingNew
            && o.deadline_ns != 0
        {
            self.orders[h.idx as usize].deadline_ns = now_ns.saturating_add(timeout_ns).max(1);
        }
    }

    /// A cancel is being sent; after `timeout_ns` without an answer the order turns `Unknown`.
    pub fn cancel_requested(
        &mut self,
        h: OrderHandle,
        now_ns: u64,
        timeout_ns: u64,
    ) -> Result<(), TrackError> {
        self.event(h, Event::CancelRequested)?;
        let i = h.idx as usize;
        self.orders[i].deadline_ns = now_ns.saturating_add(timeout_ns).max(1);
        Ok(())
    }

    /// The exchange refused our cancel; the order is what it was before — except an order never acknowledged,
    /// which turns `Unknown` (the exchange may never have received it): the caller queries its status rather than
    /// leave it pending forever.
    pub fn cancel_refused(&mut self, h: OrderHandle) -> Result<OrderStatus, TrackError> {
        let s = self.event(h, Event::CancelRefused)?;
        self.orders[h.idx as usize].deadline_ns = 0;
        Ok(s)
    }

    /// The exchange refused the new-order request (an error reply): nothing was placed.
    pub fn request_rejected(&mut self, h: OrderHandle) -> Result<OrderStatus, TrackError> {
        self.event(h, Event::RequestRejected)
    }

    /// The gateway received the order (AscendEX `Ack`): the id is confirmed; the matching engine's word comes later.
    pub fn acknowledged(
        &mut self,
        h: OrderHandle,
        order_id: Option<OrderId>,
    ) -> Result<(), TrackError> {
        if let Some(id) = order_id
            && !id.is_empty()
        {
            self.set_order_id(h, id)?;
        }
        Ok(())
    }

    /// Applies a report from any source. Fills come out exactly once whichever source reports them first; reports
    /// older than what we hold are flagged `stale` and change nothing.
    pub fn apply(&mut self, u: &OrderUpdate) -> Result<Applied, TrackError> {
        let h = self
            .by_order_id(&u.order_id)
            .ok_or(TrackError::UnknownOrder)?;
        let i = h.idx as usize;
        let o = self.orders[i];
        let stale = Applied {
            handle: h,
            fill: None,
            status: o.status,
            status_changed: false,
            stale: true,
        };
        if let Some(seq) = u.seq
            && o.last_seq != 0
            && seq <= o.last_seq
        {
            // A status answer repeating the last state we saw is news for an `Unknown` order: nothing changed
            // while we were in doubt.
            let confirms = o.status == OrderStatus::Unknown
                && seq == o.last_seq
                && u.cum_qty == o.cum_qty
                && u.status.to_status() == o.confirmed;
            if !confirms {
                return Ok(stale);
            }
        }
        if u.cum_qty < o.cum_qty {
            return Ok(stale);
        }
        let grew = u.cum_qty > o.cum_qty;
        let next = match transition(&o, Event::Reported(u.status)) {
            Ok(s) => s,
            // A report contradicting a terminal state: keep the state, but never drop a fill it reveals.
            Err(_) if o.status.is_terminal() => o.status,
            Err(e) => return Err(e.into()),
        };
        let fill = if grew {
            let dq = u.cum_qty - o.cum_qty;
            let notional_new = u.avg_px as i128 * u.cum_qty as i128;
            let notional_old = o.avg_px as i128 * o.cum_qty as i128;
            let px = div_round(notional_new - notional_old, dq as i128, Round::HalfAway)
                .filter(|&p| p > 0)
                .unwrap_or(u.avg_px);
            Some(Fill {
                order_id: o.order_id,
                client_id: o.client_id,
                symbol: o.symbol,
                side: o.side,
                price: px,
                qty: dq,
                fee: u.cum_fee - o.cum_fee,
                ts_ms: u.ts_ms,
                source: u.source,
            })
        } else {
            None
        };
        let changed_status = next != o.status;
        if !grew && rank(u.status.to_status()) < rank(o.confirmed) {
            // An older state (New after PartiallyFilled) without a sequence number to tell us; it resolves
            // nothing either (an `Unknown` order stays in doubt).
            if let Some(seq) = u.seq {
                self.orders[i].last_seq = self.orders[i].last_seq.max(seq);
            }
            return Ok(stale);
        }
        let ord = &mut self.orders[i];
        if grew {
            ord.cum_qty = u.cum_qty;
            ord.avg_px = u.avg_px;
            ord.cum_fee = u.cum_fee;
        } else if u.cum_fee != ord.cum_fee && u.cum_qty == ord.cum_qty && fill.is_none() {
            // Same quantity, fee restated: keep the newest figure (it cannot create a fill).
            ord.cum_fee = u.cum_fee;
        }
        if let Some(seq) = u.seq {
            ord.last_seq = ord.last_seq.max(seq);
        }
        ord.last_ts_ms = ord.last_ts_ms.max(u.ts_ms);
        if matches!(o.status, OrderStatus::PendingNew | OrderStatus::Unknown)
            && next != OrderStatus::PendingNew
        {
            ord.deadline_ns = 0;
        }
        self.set_status(i, next);
        if next == OrderStatus::PendingCancel {
            // The exchange confirmed an open state while our cancel is in flight.
            self.orders[i].confirmed = u.status.to_status().max_rank(o.confirmed);
        }
        Ok(Applied {
            handle: h,
            fill,
            status: next,
            status_changed: changed_status,
            stale: false,
        })
    }

    /// Turns every order whose request outlived its deadline into `Unknown` and calls `on_expired` for each, so
    /// the engine can query its status. Returns how many expired.
    pub fn expire(
        &mut self,
        now_ns: u64,
        mut on_expired: impl FnMut(OrderHandle, &Order),
    ) -> usize {
        let mut n = 0;
        for i in 0..self.orders.len() {
            let o = &self.orders[i];
            if self.used[i]
                && o.deadline_ns != 0
                && o.deadline_ns <= now_ns
                && o.status.is_live()
                && let Ok(next) = transition(o, Event::TimedOut)
            {
                self.set_status(i, next);
                self.orders[i].deadline_ns = 0;
                n += 1;
                on_expired(self.handle(i as u32), &self.orders[i]);
            }
        }
        n
    }

    /// A status query found no such order: it never reached the exchange. Refused (`TooEarly`) until
    /// `min_age_ns` after it was sent, since a request still in flight would look the same.
    pub fn not_found(
        &mut self,
        h: OrderHandle,
        now_ns: u64,
        min_age_ns: u64,
    ) -> Result<OrderStatus, TrackError> {
        let i = self.check(h)?;
        if now_ns.saturating_sub(self.orders[i].sent_ns) < min_age_ns {
            return Err(TrackError::TooEarly);
        }
        self.event(h, Event::NotFound)
    }

    /// The order's state is in doubt (absent from the exchange's open list): `Unknown` until a status query.
    pub fn mark_unknown(&mut self, h: OrderHandle) -> Result<(), TrackError> {
        self.event(h, Event::Unconfirmed)?;
        self.orders[h.idx as usize].deadline_ns = 0;
        Ok(())
    }

    /// Forgets an order now (normally terminal orders are evicted only when their slot is needed).
    pub fn release(&mut self, h: OrderHandle) -> Result<(), TrackError> {
        let i = self.check(h)?;
        if self.orders[i].status.is_live() {
            self.live -= 1;
        }
        self.unlink(h.idx);
        self.free[self.free_len] = h.idx;
        self.free_len += 1;
        Ok(())
    }

    /// Every tracked order (live and remembered terminal ones).
    pub fn iter(&self) -> impl Iterator<Item = (OrderHandle, &Order)> {
        (0..self.orders.len())
            .filter(|&i| self.used[i])
            .map(|i| (self.handle(i as u32), &self.orders[i]))
    }

    /// Slots in the tracker (its capacity): the range of [`OrderTracker::live_at`].
    pub fn slot_count(&self) -> usize {
        self.orders.len()
    }

    /// The live order in `slot`, if any: lets a caller walk the live orders and act on each (cancel) without
    /// holding a borrow of the tracker or collecting handles.
    pub fn live_at(&self, slot: usize) -> Option<OrderHandle> {
        (self.used.get(slot).copied()? && self.orders[slot].status.is_live())
            .then(|| self.handle(slot as u32))
    }

    /// Live orders only.
    pub fn iter_live(&self) -> impl Iterator<Item = (OrderHandle, &Order)> {
        self.iter().filter(|(_, o)| o.status.is_live())
    }
}

trait MaxRank {
    fn max_rank(self, other: OrderStatus) -> OrderStatus;
}

impl MaxRank for OrderStatus {
    fn max_rank(self, other: OrderStatus) -> OrderStatus {
        if rank(self) >= rank(other) {
            self
        } else {
            other
        }
    }
}
