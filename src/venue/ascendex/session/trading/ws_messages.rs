//! Messages on the authenticated WebSocket: order pushes and replies, balances, errors, reconciliation of
//! the open orders it reports.

use super::*;

impl<P: ProductApi> TradingState<P> {
    pub fn on_message<S: Strategy>(
        &mut self,
        cx: &mut Cx<'_>,
        conns: &Conns,
        msg: &[u8],
        rx_ns: u64,
        strategy: &mut S,
    ) {
        self.conns(conns);
        let now = cx.now_ns();
        // Any message proves the socket alive.
        self.last_rx_ns = rx_ns;
        self.liveness_ping_ns = 0;
        let inbound = match P::decode(msg, &self.scales) {
            Ok(m) => m,
            Err(_) => {
                self.stats.decode_errors += 1;
                return;
            }
        };
        match inbound {
            Inbound::Order(p) => {
                let u = p.update(Source::WsPush);
                if !self.apply_update(&u, 0, p.err) {
                    // Ours under another id than predicted: corrected, then applied; otherwise adopted or foreign.
                    let corrected = matches!(
                        self.entry.correct_order_id(&mut self.tracker, &p.order_id),
                        Ok(Some(_))
                    );
                    if !(corrected && self.apply_update(&u, 0, p.err)) {
                        self.foreign_or_adopt(&p);
                    }
                }
                for asset in p.apply_balances(&mut self.balances).into_iter().flatten() {
                    self.note_balance(asset);
                }
            }
            Inbound::OrderReply(r) => self.on_reply(&r, rx_ns, now),
            Inbound::CancelReject(c) => {
                if let Some(h) = self.tracker.by_order_id(&c.order_id)
                    && self
                        .tracker
                        .get(h)
                        .is_some_and(|o| o.status == OrderStatus::PendingCancel)
                {
                    let _ = self.tracker.cancel_refused(h);
                    self.stats.cancels_refused += 1;
                }
            }
            Inbound::Balance(b) => {
                if let Ok(crate::orders::BalanceApplied::Applied) =
                    self.balances
                        .apply_update(b.asset, b.total, b.available, b.seq)
                {
                    self.note_balance(b.asset);
                }
            }
            Inbound::OpenOrders(oo) => {
                let mut rows = Vec::new();
                for r in oo.orders(&self.scales) {
                    match r {
                        Ok(p) => rows.push(OpenOrderReport {
                            update: p.update(Source::OpenOrders),
                            symbol: p.scales.id,
                            side: p.side.unwrap_or(Side::Buy),
                            kind: p.kind.unwrap_or(OrderKind::Limit),
                            post_only: p.is_post_only(),
                            price: p.price,
                            qty: p.qty,
                        }),
                        Err(_) => self.stats.decode_errors += 1,
                    }
                }
                let requested = self.ws_open_ns;
                self.reconcile_rows(&rows, requested, now);
                self.open_synced = true;
            }
            Inbound::Auth(a) => {
                if a.code == 0 {
                    self.authenticated(cx, now);
                } else {
                    self.stats.auth_failures += 1;
                    self.auth_error = Some(TradeAuthError::Refused {
                        code: a.code,
                        message: a.err.to_string(),
                    });
                    // The socket stays useless: drop it, and retrying at once would only repeat the refusal.
                    self.hold_trade_socket(cx, now);
                }
            }
            Inbound::Sub { code } => {
                if code == 0 && self.authed && !self.subscribed {
                    self.subscribed = true;
                    self.ws_timing.subscribed_ns = Some(now.saturating_sub(self.ws_connect_ns));
                    // Reconcile: open orders over the socket, balances over REST.
                    if let Some(t) = self.trade
                        && self.budget.try_acquire(OpClass::Req, now).is_ok()
                    {
                        let id = self.entry.next_client_id();
                        if P::write_open_orders(&mut self.buf, &id, None).is_ok() {
                            self.ws_open_ns = now;
                            let _ = cx.send_text(t, &self.buf);
                        }
                    }
                    self.rest.push_back(Job::Balance, now);
                    self.pump(cx);
                }
            }
            Inbound::Ping { .. } => {
                if let Some(t) = self.trade
                    && self.budget.try_acquire(OpClass::Admin, now).is_ok()
                {
                    let _ = cx.send_text(t, PONG);
                }
            }
            Inbound::Error(e) => self.on_ws_error(e.id, e.code, e.reason, e.info),
            Inbound::Disconnected(e) => {
                if e.code == 100005 && e.info.contains("ban") {
                    self.stats.bans += 1;
                    let ban_ms = ban_ms_of(e.info).unwrap_or(15 * 60_000);
                    if let Some(t) = self.trade {
                        cx.hold_off(t, now + ban_ms * MS);
                    }
                }
            }
            Inbound::Connected {
                authenticated: false,
            } if self.upgrade.is_some() && !self.header_ignored => {
                // The upgrade went through without the headers being honoured (a gateway that drops them):
                // authenticate by message on this socket.
                self.stats.header_auth_fallbacks += 1;
                self.header_ignored = true;
                self.authed = false;
                self.subscribed = false;
                self.auth_sent = false;
                if self.clock_sampled {
                    self.send_auth(cx);
                }
            }
            Inbound::Connected { .. } | Inbound::Pong | Inbound::Other { .. } => {}
        }
        self.flush(cx, strategy);
    }

    pub(super) fn foreign_or_adopt(&mut self, p: &wire::OrderPush<'_>) {
        if self.entry.ids().is_ours(&p.order_id)
            && p.status.reported().to_status().is_live()
            && let (Some(side), Some(kind)) = (p.side, p.kind)
        {
            let req = NewOrder {
                client_id: ClientId::EMPTY,
                order_id: Some(p.order_id),
                symbol: p.scales.id,
                side,
                kind,
                tif: TimeInForce::Gtc,
                post_only: p.is_post_only(),
                price: p.price,
                qty: p.qty,
            };
            if self.tracker.adopt(req, &p.update(Source::WsPush)).is_ok() {
                self.stats.adopted += 1;
            }
        } else {
            self.stats.foreign_orders += 1;
        }
    }

    pub(super) fn on_reply(&mut self, r: &wire::OrderReply<'_>, rx_ns: u64, now: u64) {
        match r.action {
            "place-order" => {
                let Some(h) = ClientId::new(r.request_id.as_bytes())
                    .and_then(|c| self.tracker.by_client_id(&c))
                else {
                    self.stats.unknown_reports += 1;
                    return;
                };
                self.placed_reply(h, r.status, r.order_id, r.code, r.reason, r.message, rx_ns);
            }
            "cancel-order" => {
                let Some((h, sent_ns)) = self.entry.take_cancel(r.request_id.as_bytes()) else {
                    return;
                };
                // The cancel's own round trip (the order's `sent_ns` is when the order left, not the cancel).
                self.latency
                    .record(Probe::OrderRoundTrip, rx_ns.saturating_sub(sent_ns));
                if r.status == ReplyStatus::Err {
                    self.cancel_refused(h);
                }
            }
            "cancel-all" => {
                self.cancel_all_pending = self.cancel_all_pending.saturating_sub(1);
                self.stop.cancel_all_answered();
                let _ = now;
            }
            _ => {}
        }
    }

    pub(super) fn cancel_refused(&mut self, h: OrderHandle) {
        self.stats.cancels_refused += 1;
        if self
            .tracker
            .get(h)
            .is_some_and(|o| o.status == OrderStatus::PendingCancel)
        {
            let _ = self.tracker.cancel_refused(h);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn placed_reply(
        &mut self,
        h: OrderHandle,
        status: ReplyStatus,
        order_id: Option<OrderId>,
        code: i64,
        reason: &str,
        message: &str,
        rx_ns: u64,
    ) {
        let Some(o) = self.tracker.get(h).copied() else {
            return;
        };
        match status {
            ReplyStatus::Err => {
                self.stats.rejects += 1;
                if self.tracker.request_rejected(h).is_ok() {
                    self.risk.on_done(o.symbol, o.side, o.qty);
                    let why = if reason.is_empty() { message } else { reason };
                    self.note_order(OrderEventKind::Rejected, h, code, why);
                }
            }
            _ => {
                self.stats.acks += 1;
                self.latency
                    .record(Probe::OrderRoundTrip, rx_ns.saturating_sub(o.sent_ns));
                let _ = self.tracker.acknowledged(h, order_id);
                if o.status == OrderStatus::PendingNew {
                    self.note_order(OrderEventKind::Acknowledged, h, 0, "");
                }
            }
        }
    }

    pub(super) fn on_ws_error(&mut self, id: &str, code: i64, reason: &str, info: &str) {
        let Some(cid) = ClientId::new(id.as_bytes()) else {
            return;
        };
        if let Some(h) = self.tracker.by_client_id(&cid)
            && self
                .tracker
                .get(h)
                .is_some_and(|o| o.status == OrderStatus::PendingNew)
        {
            self.placed_reply(h, ReplyStatus::Err, None, code, reason, info, 0);
        } else if let Some((h, _)) = self.entry.take_cancel(cid.as_bytes()) {
            self.cancel_refused(h);
        }
    }

    pub(super) fn reconcile_rows(&mut self, rows: &[OpenOrderReport], requested_ns: u64, now: u64) {
        let at_start = self.stats.reconciles == 0;
        self.stats.reconciles += 1;
        let before: Vec<(OrderHandle, OrderStatus)> = self
            .tracker
            .iter_live()
            .map(|(h, o)| (h, o.status))
            .collect();
        let mut out = std::mem::take(&mut self.recon);
        out.clear();
        let ids = self.entry.ids();
        reconcile(
            &mut self.tracker,
            rows,
            requested_ns,
            |id| ids.is_ours(id),
            &mut out,
        );
        for a in out.iter() {
            match *a {
                ReconcileAction::Updated(ap) => {
                    let prev = before
                        .iter()
                        .find(|(h, _)| *h == ap.handle)
                        .map_or(OrderStatus::PendingNew, |x| x.1);
                    self.applied(prev, &ap, 0, "");
                }
                ReconcileAction::Adopted(h) => {
                    self.stats.adopted += 1;
                    if at_start && self.cfg.leftovers == Leftovers::Cancel {
                        self.leftovers.push((h, false));
                    }
                }
                ReconcileAction::Foreign(_) => self.stats.foreign_orders += 1,
                ReconcileAction::QueryStatus(h) => {
                    self.note_order(
                        OrderEventKind::Unknown,
                        h,
                        0,
                        "absent from the open-order list",
                    );
                }
                ReconcileAction::AdoptFailed(..) => self.stats.unknown_reports += 1,
            }
        }
        self.recon = out;
        self.next_status_ns = now;
    }
}

/// "... IP banned for 900000 ms" → 900000.
pub(super) fn ban_ms_of(info: &str) -> Option<u64> {
    let at = info.find("banned for ")? + "banned for ".len();
    let digits: &str = &info[at..];
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse().ok()
}
