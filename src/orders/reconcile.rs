//! Reconciliation: after a (re)connect or at start-up, compare the exchange's list of open orders with the tracker.
//!
//! Rules: an order on the list that we track gets the list's state applied; one we do not track but recognise as
//! ours (the caller's `is_ours`, e.g. our client-id tag inside the exchange id) is adopted; anything else is
//! foreign and left alone. A live order we track that the list does not show is never dropped: it turns `Unknown`
//! and the caller must query its status (it may have filled or been canceled while we were away).

use super::tracker::{Applied, NewOrder, OrderHandle, OrderTracker, TrackError};
use super::types::{ClientId, OrderId, OrderKind, OrderUpdate, Side, SymbolId, TimeInForce};

/// One row of the exchange's open-order list, already converted to scaled integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOrderReport {
    pub update: OrderUpdate,
    pub symbol: SymbolId,
    pub side: Side,
    pub kind: OrderKind,
    pub post_only: bool,
    pub price: i64,
    pub qty: i64,
}

/// What reconciliation did or asks the caller to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReconcileAction {
    /// A tracked order got the list's state (a fill missed while disconnected comes out here, once).
    Updated(Applied),
    /// Ours but untracked (placed before a restart, or its acknowledgement was lost): now tracked.
    Adopted(OrderHandle),
    /// Not ours: left alone.
    Foreign(OrderId),
    /// Tracked as live, absent from the list: now `Unknown`; query its status.
    QueryStatus(OrderHandle),
    /// Ours, untracked, and the tracker refused it (full): cancel it or raise the capacity.
    AdoptFailed(OrderId, TrackError),
}

/// Reconciles `open` (the exchange's open orders, fetched by a request sent at `list_requested_ns`) with the
/// tracker. Orders sent after that instant cannot be on the list and are left as they are.
pub fn reconcile(
    tracker: &mut OrderTracker,
    open: &[OpenOrderReport],
    list_requested_ns: u64,
    is_ours: impl Fn(&OrderId) -> bool,
    out: &mut Vec<ReconcileAction>,
) {
    for row in open {
        let id = row.update.order_id;
        if tracker.by_order_id(&id).is_some() {
            match tracker.apply(&row.update) {
                Ok(a) => out.push(ReconcileAction::Updated(a)),
                Err(e) => out.push(ReconcileAction::AdoptFailed(id, e)),
            }
        } else if is_ours(&id) {
            let req = NewOrder {
                client_id: ClientId::EMPTY,
                order_id: Some(id),
                symbol: row.symbol,
                side: row.side,
                kind: row.kind,
                tif: TimeInForce::Gtc,
                post_only: row.post_only,
                price: row.price,
                qty: row.qty,
            };
            match tracker.adopt(req, &row.update) {
                Ok(a) => out.push(ReconcileAction::Adopted(a.handle)),
                Err(e) => out.push(ReconcileAction::AdoptFailed(id, e)),
            }
        } else {
            out.push(ReconcileAction::Foreign(id));
        }
    }
    let mut missing: Vec<OrderHandle> = Vec::new();
    for (h, o) in tracker.iter_live() {
        if o.sent_ns >= list_requested_ns && o.sent_ns != 0 {
            continue;
        }
        if o.order_id.is_empty() || !open.iter().any(|r| r.update.order_id == o.order_id) {
            missing.push(h);
        }
    }
    for h in missing {
        // Missing from the list is like a timed-out request: only a status query can tell what happened.
        if tracker.mark_unknown(h).is_ok() {
            out.push(ReconcileAction::QueryStatus(h));
        }
    }
}
