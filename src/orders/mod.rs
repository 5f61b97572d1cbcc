//! Venue-agnostic order state: the in-flight order tracker (fixed-capacity slab, state machine, fills),
//! reconciliation with the exchange's open orders, balances, pre-trade risk and rate budgets, clock offset.
//!
//! Nothing here knows an exchange: it works on ids as short byte strings, scaled integers and status enums, and
//! every function takes `now` as an argument (no clocks, no syscalls).
//!
//! How an engine drives it (one thread, no allocation per order after start-up):
//! 1. start-up: `Balances::apply_snapshot` per asset; the open-order list through [`reconcile()`] (adopts our
//!    orders, asks for status queries of missing ones); `RiskGate::set_position`.
//! 2. to place: `RiskGate::check_new` and `RateBudget::try_acquire(OpClass::OrderReq, now)` and
//!    `Backoff::check(now_ms)`; then `OrderTracker::insert` (with the predicted exchange id when the venue allows
//!    it) and `RiskGate::on_sent`; then encode and send.
//! 3. replies: an error reply → `request_rejected` (+ `RiskGate::on_done`); an acknowledgement → `acknowledged`.
//! 4. every order report, whatever its source (push, REST status, history) → `OrderTracker::apply`: a fill comes
//!    out at most once (`Applied::fill` → `RiskGate::on_fill`); a terminal status → `RiskGate::on_done` with the
//!    unfilled remainder.
//! 5. a timer: `OrderTracker::expire(now)` → for each order turned `Unknown`, query its status and `apply` the
//!    answer.
//! 6. cancel: `cancel_requested` before sending; `cancel_refused` on the exchange's refusal.

pub mod balances;
pub mod clock;
pub mod positions;
pub mod reconcile;
pub mod rest_queue;
pub mod risk;
#[deny(missing_docs)]
pub mod rules;
pub mod scaled;
pub mod stop;
#[deny(missing_docs)]
pub mod tracker;
#[deny(missing_docs)]
pub mod types;

pub use balances::{Balance, BalanceApplied, BalanceError, Balances};
pub use clock::{ClockOffset, ClockSample};
pub use positions::{MarginType, PositionApplied, PositionRow, PositionScales, Positions};
pub use reconcile::{OpenOrderReport, ReconcileAction, reconcile};
pub use risk::{
    Backoff, OpClass, OpLimits, RateBudget, RiskError, RiskGate, SymbolLimits, TokenBucket,
};
pub use stop::{StopPhase, StopSwitch, next_to_cancel};
pub use tracker::{
    Applied, Event, IllegalTransition, NewOrder, Order, OrderHandle, OrderTracker, TrackError,
    transition,
};
pub use types::{
    AssetId, ClientId, Fill, OrderId, OrderKind, OrderStatus, OrderUpdate, ReportedStatus, ShortId,
    Side, Source, SymbolId, TimeInForce,
};
