//! The trading half's periodic tick: timeouts, status queries, clock and products refresh, pings, open-order
//! reconciliation.

use super::*;

impl<P: ProductApi> TradingState<P> {
    pub fn on_timer<S: Strategy>(
        &mut self,
        cx: &mut Cx<'_>,
        conns: &Conns,
        id: usize,
        strategy: &mut S,
    ) {
        self.conns(conns);
        if id != T_TICK {
            return;
        }
        let now = cx.now_ns();
        self.arm_timer(cx);
        self.cancel_leftovers(cx);
        // Stopping: cancels the budget refused earlier go now (own orders only, by id).
        if self.stop.sweeping() {
            let _ = self.cancel_owned(cx, None);
        }
        // Orders still waiting in the REST queue (e.g. through a 429 hold) have not left: their answer cannot be
        // late yet, so their wait restarts until they are sent (and again when they are).
        let wait = self.cfg.ack_timeout_ms * MS;
        for q in self.rest.waiting() {
            match &q.job {
                Job::Place(h) => self.tracker.request_sent(*h, now, wait),
                Job::PlaceBatch { hs, n } => {
                    for h in hs.iter().take(*n as usize).flatten() {
                        self.tracker.request_sent(*h, now, wait);
                    }
                }
                _ => {}
            }
        }
        // Requests whose answer never came: Unknown, then a status query.
        let mut expired = 0;
        {
            let notes = &mut self.notes;
            self.tracker.expire(now, |h, o| {
                expired += 1;
                notes.push(Note::Order {
                    kind: OrderEventKind::Unknown,
                    handle: h,
                    order: *o,
                    code: 0,
                    reason: Reason::new("no answer within the timeout"),
                });
            });
        }
        self.stats.timeouts += expired;
        if self.live {
            if self.ws_open
                && !self.authed
                && !self.auth_sent
                && self.message_auth()
                && (self.clock_sampled || now > self.ws_open_ns + 2_000 * MS)
            {
                self.send_auth(cx);
            }
            if self.authed && self.ws_open {
                self.check_liveness(cx, now);
            }
            if self.authed && now >= self.next_ping_ns {
                if self.next_ping_ns != 0
                    && let Some(t) = self.trade
                    && self.budget.try_acquire(OpClass::Admin, now).is_ok()
                {
                    let _ = cx.send_text(t, PING);
                }
                self.next_ping_ns = now + self.cfg.ping_ms * MS;
            }
            if self.started_rest && now >= self.next_clock_ns {
                self.next_clock_ns = now + self.cfg.clock_refresh_ms * MS;
                self.rest.push_back(Job::ExchangeInfo, now);
            }
            if self.started_rest && now >= self.next_products_ns {
                self.next_products_ns = now + self.cfg.products_refresh_ms * MS;
                self.rest.push_back(Job::Products, now);
            }
            // The socket stays down: reconcile over REST so the strategy's orders are not left in doubt.
            if !self.ws_open
                && self.started_rest
                && !self.open_synced
                && !self.rest.has(|j| matches!(j, Job::OpenOrders { .. }))
            {
                self.rest
                    .push_back(Job::OpenOrders { requested_ns: now }, now);
                self.rest.push_back(Job::Balance, now);
            }
            if now >= self.next_status_ns && !self.rest.has(|j| matches!(j, Job::Status { .. })) {
                // Round-robin from where the last query stopped, so orders a query cannot settle do not starve the
                // rest (ten ids per query, the documented maximum).
                let mut ids = [OrderId::EMPTY; 10];
                let mut n = 0;
                let slots = self.tracker.slot_count();
                let mut k = 0;
                while k < slots && n < ids.len() {
                    let slot = (self.status_cursor + k) % slots;
                    k += 1;
                    if let Some(h) = self.tracker.live_at(slot)
                        && let Some(o) = self.tracker.get(h)
                        && o.status == OrderStatus::Unknown
                        && !o.order_id.is_empty()
                    {
                        ids[n] = o.order_id;
                        n += 1;
                    }
                }
                self.status_cursor = (self.status_cursor + k) % slots.max(1);
                if n > 0 {
                    self.stats.status_queries += 1;
                    self.rest.push_back(Job::Status { ids, n: n as u8 }, now);
                    // A full batch means more are in doubt (after a silent socket, hundreds): keep querying, one
                    // request at a time, rather than ten every half second.
                    self.next_status_ns = now + if n == ids.len() { 50 * MS } else { 500 * MS };
                }
            }
            self.pump(cx);
        }
        self.flush(cx, strategy);
    }
}

impl<P: ProductApi> TradingState<P> {
    /// Half the deadline of silence: a ping; the other half unanswered: the socket is replaced (its orders are
    /// reconciled on the new one).
    fn check_liveness(&mut self, cx: &mut Cx<'_>, now: u64) {
        let Some(t) = self.trade else { return };
        let half = self.cfg.silence_ms.max(2) * MS / 2;
        if self.liveness_ping_ns != 0 {
            if now >= self.liveness_ping_ns + half {
                self.stats.pong_timeouts += 1;
                self.liveness_ping_ns = 0;
                cx.reconnect(t);
            }
        } else if now.saturating_sub(self.last_rx_ns) >= half
            && self.budget.try_acquire(OpClass::Admin, now).is_ok()
            && cx.send_text(t, PING).is_ok()
        {
            self.liveness_ping_ns = now;
        }
    }
}
