//! The trade connections' lifecycle: open, authenticate (upgrade headers or message), refusals, bans, close.

use super::*;

impl<P: ProductApi> TradingState<P> {
    pub fn on_state<S: Strategy>(
        &mut self,
        cx: &mut Cx<'_>,
        conns: &Conns,
        conn: ConnId,
        state: ConnState,
        why: Option<&DisconnectReason>,
        strategy: &mut S,
    ) {
        self.conns(conns);
        let now = cx.now_ns();
        self.init_time(now);
        if !self.timer_armed && (self.live || self.paper.is_some()) {
            self.arm_timer(cx);
        }
        if Some(conn) == self.trade {
            if state == ConnState::Connecting {
                self.ws_connect_ns = now;
                self.ws_timing = WsConnectTiming::default();
            }
            if state == ConnState::Open {
                self.ws_open = true;
                self.ws_open_ns = now;
                self.last_rx_ns = now;
                self.liveness_ping_ns = 0;
                self.ws_timing.open_ns = Some(now.saturating_sub(self.ws_connect_ns));
                self.auth_sent = false;
                self.header_ignored = false;
                if self.upgrade.is_some() {
                    // The server checked the signed headers before it switched protocols.
                    self.authenticated(cx, now);
                } else if self.clock_sampled {
                    self.send_auth(cx);
                }
            } else if let Some(DisconnectReason::Ws(WsError::UpgradeRejected(401))) = why {
                self.upgrade_refused(cx, now);
            }
            if state != ConnState::Open
                && (self.ws_open || matches!(state, ConnState::Backoff | ConnState::Stopped))
            {
                self.ws_open = false;
                self.authed = false;
                self.subscribed = false;
                self.open_synced = false;
                self.auth_sent = false;
                // Cancels sent on the dead socket will never be answered: the tracker's timeouts resolve them.
                self.entry.clear_cancels();
                self.cancel_all_pending = 0;
            }
        } else if Some(conn) == self.trade_rest {
            if state == ConnState::Open && !self.started_rest {
                self.started_rest = true;
                self.rest.push_back(Job::ExchangeInfo, now);
                self.rest.push_back(Job::RiskLimits, now);
                self.next_clock_ns = now + self.cfg.clock_refresh_ms * MS;
                self.next_products_ns = now + self.cfg.products_refresh_ms * MS;
            }
            if state != ConnState::Open
                && let Some(j) = self.rest.take_inflight()
            {
                // The request's fate is unknown; queries and reconciliation resolve it, others are simply retried.
                self.retry_or_drop(j, now);
            }
            if state == ConnState::Open {
                self.pump(cx);
            }
        }
        self.flush(cx, strategy);
    }

    /// Header mode: the upgrade carrying the signed headers was refused.
    pub(super) fn upgrade_refused(&mut self, cx: &mut Cx<'_>, now: u64) {
        let Some(u) = &self.upgrade else { return };
        self.stats.auth_failures += 1;
        self.auth_error = Some(TradeAuthError::UpgradeRefused { status: 401 });
        // Signed with a measured exchange clock, the refusal is about the credentials: retrying soon would only
        // repeat it. (Signed before any measurement, it may be the local clock: the engine's backoff retries, by
        // then with the measured offset.)
        if u.last_signed_with_measured_clock() {
            self.hold_trade_socket(cx, now);
        }
    }

    /// No new trade-socket attempt before `AUTH_RETRY_MS`. The engine computed the next attempt before it told us
    /// why the socket went down, so the reconnect request makes it schedule again, under the new floor.
    pub(super) fn hold_trade_socket(&mut self, cx: &mut Cx<'_>, now: u64) {
        if let Some(t) = self.trade {
            cx.hold_off(t, now + AUTH_RETRY_MS * MS);
            cx.reconnect(t);
        }
    }

    /// The trade socket is authenticated (upgrade headers accepted, or the `op:auth` acknowledgement): subscribe to
    /// the order channel.
    pub(super) fn authenticated(&mut self, cx: &mut Cx<'_>, now: u64) {
        self.authed = true;
        self.auth_error = None;
        self.ws_timing.auth_ns = Some(now.saturating_sub(self.ws_connect_ns));
        if let Some(t) = self.trade
            && self.budget.try_acquire(OpClass::Stream, now).is_ok()
        {
            let id = self.entry.next_client_id();
            P::write_subscribe(&mut self.buf, &id);
            let _ = cx.send_text(t, &self.buf);
        }
    }

    /// Authentication goes by `op:auth` message on this socket.
    pub(super) fn message_auth(&self) -> bool {
        self.upgrade.is_none() || self.header_ignored
    }

    pub(super) fn send_auth(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now_ns();
        let (Some(t), Some(signer)) = (self.trade, self.signer.as_ref()) else {
            return;
        };
        if self.budget.try_acquire(OpClass::Admin, now).is_err() {
            self.stats.throttled += 1;
            return;
        }
        let ts = self.exch_ms(now);
        signer.write_ws_auth(
            &mut self.buf,
            "auth",
            ts,
            P::STREAM_PREHASH,
            self.cfg.ready_ack,
        );
        if cx.send_text(t, &self.buf).is_ok() {
            self.auth_sent = true;
        }
    }
}
