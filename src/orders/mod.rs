//! Venue-agnostic order state: the in-flight order tracker (fixed-capacity slab, state machine, fills),
//! reconciliation with the exchange's open orders, balances, pre-trade risk and rate budgets, clock offset.
//!
//! Nothing here knows an exchange: it works on ids as short byte strings, scaled integers and status enums, and
//! every function takes `now` as an argument (no clocks, no syscalls).

pub mod balances;
pub mod clock;
pub mod reconcile;
pub mod risk;
pub mod scaled;
pub mod tracker;
pub mod types;

pub use balances::{Balance, BalanceApplied, BalanceError, Balances};
pub use clock::{ClockOffset, ClockSample};
pub use reconcile::{OpenOrderReport, ReconcileAction, reconcile};
pub use risk::{
    Backoff, OpClass, OpLimits, RateBudget, RiskError, RiskGate, SymbolLimits, TokenBucket,
};
pub use tracker::{
    Applied, Event, IllegalTransition, NewOrder, Order, OrderHandle, OrderTracker, TrackError,
    transition,
};
pub use types::{
    AssetId, ClientId, Fill, OrderId, OrderKind, OrderStatus, OrderUpdate, ReportedStatus, ShortId,
    Side, Source, SymbolId, TimeInForce,
};
