//! Session glue: ids, predicted order ids, tracker bookkeeping and frames in one place. The session
//! (`session::trading::TradingState`) places, cancels and matches reports through these same functions.

use super::*;

use crate::orders::{
    Applied, BalanceApplied, BalanceError, Balances, NewOrder, OrderHandle, OrderTracker,
    TrackError,
};
use crate::venue::ascendex::ids::{ClientIdGen, Via, predict_order_id_checked};

/// An order to place, quantized (see `rules`), at its symbol's scales.
#[derive(Debug, Clone, Copy)]
pub struct OrderSpec<'a> {
    pub symbol: &'a str,
    pub symbol_id: SymbolId,
    pub side: Side,
    pub kind: OrderKind,
    pub price: i64,
    pub price_scale: u8,
    pub qty: i64,
    pub qty_scale: u8,
    pub stop_price: Option<i64>,
    pub post_only: bool,
    pub tif: TimeInForce,
}

/// When a request is sent: the exchange-clock time for its `time` field (local + offset), the engine's monotonic
/// `now`, and how long to wait for an answer before the order turns `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub exchange_ms: u64,
    pub now_ns: u64,
    pub timeout_ns: u64,
}

/// Why [`OrderEntry`] sent nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryError {
    Encode(EncodeError),
    Track(TrackError),
    /// The user UID is not a few letters and digits.
    BadUserUid,
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryError::Encode(e) => e.fmt(f),
            EntryError::Track(e) => e.fmt(f),
            EntryError::BadUserUid => f.write_str("userUID must be up to 16 letters and digits"),
        }
    }
}

impl std::error::Error for EntryError {}

/// What an inbound message meant for our orders and balances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryEvent<'a> {
    /// The gateway acknowledged a new order.
    Placed(OrderHandle),
    /// The new-order request was refused: nothing was placed.
    PlaceRejected {
        handle: OrderHandle,
        code: i64,
        reason: &'a str,
    },
    /// The gateway acknowledged a cancel (the `Canceled` push follows).
    CancelAcked(OrderHandle),
    /// The cancel was refused (too late, not open, duplicate); the order is as it was.
    CancelRefused {
        handle: OrderHandle,
        code: i64,
        reason: &'a str,
    },
    /// An order report was applied (see `Applied::fill` for an execution).
    Order(Applied),
    /// A balance push.
    Balance {
        asset: AssetId,
        applied: Result<BalanceApplied, BalanceError>,
    },
    /// A report or reply about an order we do not track (placed elsewhere, or evicted long ago).
    Untracked,
    /// Not about orders (auth, pings, errors, market data): the caller handles it.
    Other,
}

impl OrderPush<'_> {
    /// Applies the balances after the event that ride on an order push (base, then quote); returns the assets
    /// whose balance changed. An inconsistent pair is skipped: the next push or a REST snapshot corrects it.
    pub fn apply_balances(&self, balances: &mut Balances) -> [Option<AssetId>; 2] {
        let sc = self.scales;
        let mut changed = [None; 2];
        for (slot, (asset, total, available)) in changed.iter_mut().zip([
            (sc.base.id, self.base_total, self.base_available),
            (sc.quote.id, self.quote_total, self.quote_available),
        ]) {
            if let (Some(t), Some(a)) = (total, available)
                && let Ok(BalanceApplied::Applied) = balances.apply_update(asset, t, a, self.seq)
            {
                *slot = Some(asset);
            }
        }
        changed
    }
}

/// Default bound of the cancels-in-flight list of [`OrderEntry::new`].
pub const DEFAULT_PENDING_CANCELS: usize = 256;

/// One trading session's order entry: generates client ids, predicts the exchange's order ids, writes the frames,
/// remembers the cancels in flight, and keeps the tracker in step with requests, replies and pushes.
/// Allocation-free per order.
pub struct OrderEntry {
    ids: ClientIdGen,
    /// Empty when the session has no valid userUID: order ids are then not predicted.
    uid: [u8; 16],
    uid_len: usize,
    account: Account,
    resp_inst: RespInst,
    /// Cancel requests in flight (request id → order); its capacity is fixed at construction.
    /// Cancels in flight: request id, order, and when the cancel was sent (its own round trip).
    pending_cancels: Vec<(ClientId, OrderHandle, u64)>,
}

pub(super) fn valid_uid(u: &[u8]) -> bool {
    !u.is_empty() && u.len() <= 16 && u.iter().all(u8::is_ascii_alphanumeric)
}

impl OrderEntry {
    /// Order entry for `user_uid` (refused unless a few letters and digits: the predicted ids need it).
    pub fn new(
        ids: ClientIdGen,
        user_uid: &str,
        account: Account,
    ) -> Result<OrderEntry, EntryError> {
        if !valid_uid(user_uid.as_bytes()) {
            return Err(EntryError::BadUserUid);
        }
        Ok(OrderEntry::for_session(
            ids,
            user_uid,
            account,
            RespInst::Ack,
            DEFAULT_PENDING_CANCELS,
        ))
    }

    /// A session's order entry. A `user_uid` that is not a valid userUID (unknown, paper trading) is accepted:
    /// orders then go without a predicted id and learn theirs from the acknowledgement. At most
    /// `max_pending_cancels` cancel replies are waited for at once (see [`Self::cancel_sent`]).
    pub fn for_session(
        ids: ClientIdGen,
        user_uid: &str,
        account: Account,
        resp_inst: RespInst,
        max_pending_cancels: usize,
    ) -> OrderEntry {
        let u = user_uid.as_bytes();
        let mut uid = [0u8; 16];
        let uid_len = if valid_uid(u) {
            uid[..u.len()].copy_from_slice(u);
            u.len()
        } else {
            0
        };
        OrderEntry {
            ids,
            uid,
            uid_len,
            account,
            resp_inst,
            pending_cancels: Vec::with_capacity(max_pending_cancels.max(1)),
        }
    }

    /// `ACK` by default (lowest latency); the pushes carry the rest.
    pub fn set_resp_inst(&mut self, r: RespInst) {
        self.resp_inst = r;
    }

    /// The client-id generator (whose tag tells our orders from others).
    pub fn ids(&self) -> &ClientIdGen {
        &self.ids
    }

    /// A fresh request id (subscriptions, cancel-all, open-order requests).
    pub fn next_client_id(&mut self) -> ClientId {
        self.ids.next_id()
    }

    /// The exchange order id of a request sent via `via` at exchange time `time_ms`.
    pub fn predict(&self, via: Via, time_ms: u64, client_id: &ClientId) -> Option<OrderId> {
        // `uid` was checked when the entry was made (an unusable one is stored empty).
        let uid = self.uid.get(..self.uid_len).filter(|u| !u.is_empty())?;
        predict_order_id_checked(via, time_ms, uid, client_id)
    }

    /// The request to send for `o` under `client_id` (WebSocket `args` or REST body).
    pub fn place_request<'a>(
        &self,
        client_id: &'a ClientId,
        time_ms: u64,
        o: &OrderSpec<'a>,
    ) -> PlaceOrder<'a> {
        PlaceOrder {
            client_id,
            time_ms,
            spec: *o,
            resp_inst: self.resp_inst,
        }
    }

    /// Records a new order in the tracker under a fresh client id, with the order id predicted for `via`
    /// (`None`: a paper order, whose id looks like the exchange's with a `p` in front).
    pub fn track(
        &mut self,
        tracker: &mut OrderTracker,
        o: &OrderSpec<'_>,
        via: Option<Via>,
        at: Stamp,
    ) -> Result<(OrderHandle, ClientId), TrackError> {
        let cid = self.ids.next_id();
        let order_id = match via {
            Some(v) => self.predict(v, at.exchange_ms, &cid),
            None => {
                let mut b = [0u8; 12];
                b[0] = b'p';
                let c = cid.as_bytes();
                let n = c.len().min(11);
                b[1..1 + n].copy_from_slice(&c[c.len() - n..]);
                OrderId::new(&b[..1 + n])
            }
        };
        let new = NewOrder {
            client_id: cid,
            order_id,
            symbol: o.symbol_id,
            side: o.side,
            kind: o.kind,
            tif: o.tif,
            post_only: o.post_only,
            price: o.price,
            qty: o.qty,
        };
        let h = tracker.insert(new, at.now_ns, at.timeout_ns)?;
        Ok((h, cid))
    }

    /// Records the order (with its predicted exchange id) in the tracker and writes the place-order frame into
    /// `out`. On error nothing is recorded and `out` is empty. `at.exchange_ms` is exchange time (local + offset).
    pub fn place(
        &mut self,
        out: &mut Vec<u8>,
        tracker: &mut OrderTracker,
        o: &OrderSpec<'_>,
        at: Stamp,
    ) -> Result<OrderHandle, EntryError> {
        let account = self.account;
        self.place_with(out, tracker, o, at, |out, req| {
            write_place_order(out, account, req)
        })
    }

    /// [`Self::place`] with the frame written by `write` (a product's codec: the session is generic over it).
    #[inline]
    pub fn place_with(
        &mut self,
        out: &mut Vec<u8>,
        tracker: &mut OrderTracker,
        o: &OrderSpec<'_>,
        at: Stamp,
        write: impl FnOnce(&mut Vec<u8>, &PlaceOrder<'_>) -> Result<(), EncodeError>,
    ) -> Result<OrderHandle, EntryError> {
        let (h, cid) = self
            .track(tracker, o, Some(Via::WebSocket), at)
            .map_err(|e| {
                out.clear();
                EntryError::Track(e)
            })?;
        let req = self.place_request(&cid, at.exchange_ms, o);
        if let Err(e) = write(out, &req) {
            let _ = tracker.release(h);
            return Err(EntryError::Encode(e));
        }
        Ok(h)
    }

    /// Writes a cancel-order frame for `order_id` under a fresh request id, which it returns (see
    /// [`Self::cancel_sent`] once the frame is out).
    pub fn write_cancel(
        &mut self,
        out: &mut Vec<u8>,
        order_id: &OrderId,
        symbol: &str,
        time_ms: u64,
    ) -> Result<ClientId, EncodeError> {
        let account = self.account;
        self.write_cancel_with(out, order_id, symbol, time_ms, |out, rid, t, id, s| {
            write_cancel_order(out, account, rid, t, id, s)
        })
    }

    /// [`Self::write_cancel`] with the frame written by `write` (a product's codec).
    #[inline]
    pub fn write_cancel_with(
        &mut self,
        out: &mut Vec<u8>,
        order_id: &OrderId,
        symbol: &str,
        time_ms: u64,
        write: impl FnOnce(&mut Vec<u8>, &ClientId, u64, &OrderId, &str) -> Result<(), EncodeError>,
    ) -> Result<ClientId, EncodeError> {
        let rid = self.ids.next_id();
        write(out, &rid, time_ms, order_id, symbol)?;
        Ok(rid)
    }

    /// Remembers a cancel in flight so its reply finds the order, without ever growing the list: when full,
    /// cancels of orders already done (or forgotten) go first, then the oldest (its reply is then ignored; the
    /// order's own reports still settle it).
    pub fn cancel_sent(
        &mut self,
        tracker: &OrderTracker,
        request_id: ClientId,
        h: OrderHandle,
        sent_ns: u64,
    ) {
        if self.pending_cancels.len() == self.pending_cancels.capacity() {
            self.pending_cancels
                .retain(|(_, h, _)| tracker.get(*h).is_some_and(|o| o.status.is_live()));
            if self.pending_cancels.len() == self.pending_cancels.capacity() {
                self.pending_cancels.remove(0);
            }
        }
        self.pending_cancels.push((request_id, h, sent_ns));
    }

    /// The order a cancel request was for and when the cancel was sent, forgetting the request (its reply or
    /// error has come).
    pub fn take_cancel(&mut self, request_id: &[u8]) -> Option<(OrderHandle, u64)> {
        let i = self
            .pending_cancels
            .iter()
            .position(|(c, _, _)| c.as_bytes() == request_id)?;
        let (_, h, sent_ns) = self.pending_cancels.swap_remove(i);
        Some((h, sent_ns))
    }

    /// Forgets every cancel in flight (the socket they went out on is gone; the tracker's timeouts resolve them).
    pub fn clear_cancels(&mut self) {
        self.pending_cancels.clear();
    }

    /// Writes the cancel-order frame for a tracked order and marks it `PendingCancel`.
    pub fn cancel(
        &mut self,
        out: &mut Vec<u8>,
        tracker: &mut OrderTracker,
        h: OrderHandle,
        symbol: &str,
        at: Stamp,
    ) -> Result<(), EntryError> {
        let o = *tracker
            .get(h)
            .ok_or(EntryError::Track(TrackError::StaleHandle))?;
        if o.order_id.is_empty() {
            return Err(EntryError::Track(TrackError::UnknownOrder));
        }
        let rid = self
            .write_cancel(out, &o.order_id, symbol, at.exchange_ms)
            .map_err(EntryError::Encode)?;
        tracker
            .cancel_requested(h, at.now_ns, at.timeout_ns)
            .map_err(|e| {
                out.clear();
                EntryError::Track(e)
            })?;
        self.cancel_sent(tracker, rid, h, at.now_ns);
        Ok(())
    }

    /// A push about one of our orders under an exchange id other than the predicted one (the exchange stamped
    /// another time): finds the order by the client id inside the exchange id and corrects its id.
    pub fn correct_order_id(
        &self,
        tracker: &mut OrderTracker,
        order_id: &OrderId,
    ) -> Result<Option<OrderHandle>, TrackError> {
        let Some(h) = self
            .ids
            .client_id_for(order_id)
            .and_then(|c| tracker.by_client_id(&c))
        else {
            return Ok(None);
        };
        tracker.set_order_id(h, *order_id)?;
        Ok(Some(h))
    }

    /// Applies a decoded inbound message to the tracker and balances.
    pub fn on_message<'a>(
        &mut self,
        msg: &Inbound<'a>,
        tracker: &mut OrderTracker,
        balances: &mut Balances,
    ) -> Result<EntryEvent<'a>, TrackError> {
        Ok(match *msg {
            Inbound::OrderReply(r) => {
                let rid = r.request_id.as_bytes();
                match (r.action, r.status) {
                    ("place-order", status) => {
                        let Some(h) = ClientId::new(rid).and_then(|c| tracker.by_client_id(&c))
                        else {
                            return Ok(EntryEvent::Untracked);
                        };
                        if status == ReplyStatus::Err {
                            tracker.request_rejected(h)?;
                            EntryEvent::PlaceRejected {
                                handle: h,
                                code: r.code,
                                reason: r.reason,
                            }
                        } else {
                            tracker.acknowledged(h, r.order_id)?;
                            EntryEvent::Placed(h)
                        }
                    }
                    ("cancel-order", status) => {
                        let Some((h, _)) = self.take_cancel(rid) else {
                            return Ok(EntryEvent::Untracked);
                        };
                        if status == ReplyStatus::Err {
                            tracker.cancel_refused(h)?;
                            EntryEvent::CancelRefused {
                                handle: h,
                                code: r.code,
                                reason: r.reason,
                            }
                        } else {
                            EntryEvent::CancelAcked(h)
                        }
                    }
                    _ => EntryEvent::Other,
                }
            }
            Inbound::Order(p) => {
                p.apply_balances(balances);
                match tracker.apply(&p.update(Source::WsPush)) {
                    Ok(a) => EntryEvent::Order(a),
                    Err(TrackError::UnknownOrder) => {
                        if self.correct_order_id(tracker, &p.order_id)?.is_none() {
                            return Ok(EntryEvent::Untracked);
                        }
                        EntryEvent::Order(tracker.apply(&p.update(Source::WsPush))?)
                    }
                    Err(e) => return Err(e),
                }
            }
            Inbound::CancelReject(c) => match tracker.by_order_id(&c.order_id) {
                Some(h) => {
                    tracker.cancel_refused(h)?;
                    EntryEvent::CancelRefused {
                        handle: h,
                        code: 0,
                        reason: c.text,
                    }
                }
                None => EntryEvent::Untracked,
            },
            Inbound::Balance(b) => EntryEvent::Balance {
                asset: b.asset,
                applied: balances.apply_update(b.asset, b.total, b.available, b.seq),
            },
            _ => EntryEvent::Other,
        })
    }
}
