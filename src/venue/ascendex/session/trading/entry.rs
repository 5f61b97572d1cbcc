//! Order entry: place (WebSocket first, REST when the socket is down), batch place, cancel, cancel-all of the
//! orders this session owns, the kill switch and the shutdown sequence.

use super::*;

impl<P: ProductApi> TradingState<P> {
    /// Starts the graceful stop (the core's sequence, `orders::stop`): new orders refused, and every own open order
    /// cancelled by id when `cancel_on_shutdown`.
    pub fn begin_shutdown<S: Strategy>(&mut self, cx: &mut Cx<'_>, strategy: &mut S) {
        self.stop.begin_shutdown();
        if self.cfg.cancel_on_shutdown {
            // Only what this session owns, by id: other programs' orders on the account are left alone.
            let _ = self.cancel_owned(cx, None);
        }
        self.flush(cx, strategy);
    }

    /// Nothing left to wait for: no own order is still open and no cancel-all answer is awaited.
    pub fn shutdown_done(&self) -> bool {
        if !self.cfg.cancel_on_shutdown || !(self.live || self.paper.is_some()) {
            return true;
        }
        self.stop.is_done(self.tracker.live_count())
    }

    /// Authenticated, subscribed and reconciled (or nothing to trade with).
    pub fn is_ready(&self) -> bool {
        if !self.live {
            return true;
        }
        self.authed
            && self.subscribed
            && self.open_synced
            && self.balance_synced
            && self.leftovers.is_empty()
    }

    // -----------------------------------------------------------------------------------------------------------
    // Actions

    /// Quantizes, checks rules, risk and rate limits, then sends (WebSocket when authenticated, REST otherwise).
    pub fn place(
        &mut self,
        cx: &mut Cx<'_>,
        req: &PlaceRequest,
    ) -> Result<OrderHandle, PlaceError> {
        let t0 = self.lclock.now_ns();
        let now = cx.now_ns();
        let route = self.route(cx);
        let (h, via, qty) = match self.prepare(now, req, route, true)? {
            Prepared::Refused(h) => return Ok(h),
            Prepared::Ready(h, via, qty) => (h, via, qty),
        };
        match via {
            Some(Via::WebSocket) => {
                if self
                    .trade
                    .is_none_or(|t| cx.send_text(t, &self.buf).is_err())
                {
                    let _ = self.tracker.release(h);
                    return Err(PlaceError::NotConnected);
                }
                self.stats.placed_ws += 1;
            }
            Some(Via::Rest) => {
                self.pump(cx);
                self.stats.placed_rest += 1;
            }
            None => {}
        }
        self.risk.on_sent(req.symbol, req.side, qty);
        self.latency.record(
            Probe::CallbackToWire,
            self.lclock.now_ns().saturating_sub(t0),
        );
        Ok(h)
    }

    /// Where a new order goes: the paper exchange (`None`), the authenticated socket, or REST while the socket is
    /// down (or always, with `order_via_rest`).
    pub(super) fn route(&self, cx: &Cx<'_>) -> Result<Option<Via>, PlaceError> {
        let rest_open = self
            .trade_rest
            .is_some_and(|r| cx.state(r) == ConnState::Open)
            && self.authed_rest();
        if self.paper.is_some() {
            Ok(None)
        } else if self.cfg.order_via_rest && rest_open {
            Ok(Some(Via::Rest))
        } else if self.ws_ready(cx) {
            Ok(Some(Via::WebSocket))
        } else if rest_open {
            Ok(Some(Via::Rest))
        } else {
            Err(PlaceError::NotConnected)
        }
    }

    /// The WebSocket order path without a connection: every check, the client id, the predicted order id, the
    /// tracker entry and the frame, exactly as `place` does it, but handed back instead of queued on the socket (for
    /// in-process benchmarks and other transports). The order is tracked as sent.
    pub fn encode_place(
        &mut self,
        now_ns: u64,
        req: &PlaceRequest,
    ) -> Result<(OrderHandle, &[u8]), PlaceError> {
        match self.prepare(now_ns, req, Ok(Some(Via::WebSocket)), true)? {
            Prepared::Ready(h, _, qty) => {
                self.risk.on_sent(req.symbol, req.side, qty);
                Ok((h, &self.buf))
            }
            Prepared::Refused(_) => Err(PlaceError::NoTrading),
        }
    }

    /// Everything `place` does before the frame leaves: checks, ids, tracker, encoding (WebSocket into `buf`),
    /// queueing (REST, unless `queue_rest` is false: a batch queues its orders together), or the paper exchange.
    pub(super) fn prepare(
        &mut self,
        now: u64,
        req: &PlaceRequest,
        route: Result<Option<Via>, PlaceError>,
        queue_rest: bool,
    ) -> Result<Prepared, PlaceError> {
        self.init_time(now);
        if !self.live && self.paper.is_none() {
            return Err(PlaceError::NoTrading);
        }
        if self.stop.refuses_orders() {
            return Err(PlaceError::Killed);
        }
        let rules = self
            .rules
            .get(req.symbol)
            .ok_or(PlaceError::UnknownSymbol)?;
        let (kind, spec) = match req.order_type {
            OrderType::Limit => (
                OrderKind::Limit,
                PriceSpec::Limit(Dec::new(req.price, rules.price_scale)),
            ),
            OrderType::Market => {
                let top = self
                    .top
                    .get(req.symbol.0 as usize)
                    .copied()
                    .unwrap_or((0, 0));
                let reference = if req.price > 0 {
                    req.price
                } else {
                    match req.side {
                        Side::Buy => top.1,
                        Side::Sell => top.0,
                    }
                };
                if reference <= 0 {
                    return Err(PlaceError::NoReferencePrice);
                }
                (
                    OrderKind::Market,
                    PriceSpec::Market {
                        reference: Dec::new(reference, rules.price_scale),
                    },
                )
            }
        };
        let q = rules.quantize(req.side, spec, Dec::new(req.qty, rules.qty_scale))?;
        let via = route?;
        self.risk
            .check_new(req.symbol, req.side, q.qty, self.tracker.live_count(), now)?;
        match via {
            Some(Via::WebSocket) => {
                if let Err(e) = self.budget.try_acquire(OpClass::OrderReq, now) {
                    self.stats.throttled += 1;
                    return Err(e.into());
                }
            }
            Some(Via::Rest) if self.rest.is_held(now) => {
                self.stats.throttled += 1;
                return Err(PlaceError::Risk(RiskError::Banned {
                    until_ms: self.rest.backoff().until_ms(),
                }));
            }
            Some(Via::Rest) | None => {}
        }
        let time_ms = self.exch_ms(now);
        let spec = OrderSpec {
            symbol: &rules.symbol,
            symbol_id: req.symbol,
            side: req.side,
            kind,
            price: q.price,
            price_scale: rules.price_scale,
            qty: q.qty,
            qty_scale: rules.qty_scale,
            stop_price: None,
            post_only: req.post_only,
            tif: req.tif,
        };
        let at = Stamp {
            exchange_ms: time_ms,
            now_ns: now,
            timeout_ns: if via.is_some() {
                self.cfg.ack_timeout_ms * MS
            } else {
                u64::MAX / 4
            },
        };
        let h = match via {
            Some(Via::WebSocket) => {
                match self.entry.place_with(
                    &mut self.buf,
                    &mut self.tracker,
                    &spec,
                    at,
                    P::write_place,
                ) {
                    Ok(h) => h,
                    Err(EntryError::Track(e)) => return Err(e.into()),
                    Err(_) => return Err(PlaceError::Encode),
                }
            }
            Some(Via::Rest) => {
                let (h, _) = self.entry.track(&mut self.tracker, &spec, via, at)?;
                if queue_rest {
                    self.rest.push_front(Job::Place(h), now);
                }
                h
            }
            None => {
                let (h, _) = self.entry.track(&mut self.tracker, &spec, None, at)?;
                let order_id = self.tracker.get(h).map_or(OrderId::EMPTY, |o| o.order_id);
                let po = PaperOrder {
                    order_id,
                    symbol: req.symbol,
                    side: req.side,
                    kind,
                    tif: req.tif,
                    post_only: req.post_only,
                    price: q.price,
                    qty: q.qty,
                };
                if let Some(p) = self.paper.as_mut()
                    && let Err(e) = p.submit(po)
                {
                    let _ = self.tracker.request_rejected(h);
                    self.note_order(OrderEventKind::Rejected, h, -1, e.reason());
                    return Ok(Prepared::Refused(h));
                }
                h
            }
        };
        Ok(Prepared::Ready(h, via, q.qty))
    }

    /// Places up to 10 orders in one go: each is checked on its own (a bad one is refused with its error, the
    /// others still go). Over the socket all leave in the same write (the engine flushes after the callback); over
    /// REST (the socket down) they leave in one `order/batch` request, and the exchange's per-order answers come
    /// back to each order's handle.
    pub fn place_batch(
        &mut self,
        cx: &mut Cx<'_>,
        reqs: &[PlaceRequest],
    ) -> [Result<OrderHandle, PlaceError>; 10] {
        let mut out: [Result<OrderHandle, PlaceError>; 10] =
            std::array::from_fn(|_| Err(PlaceError::Encode));
        let reqs = &reqs[..reqs.len().min(rest::MAX_BATCH)];
        let route = self.route(cx);
        if route != Ok(Some(Via::Rest)) {
            for (slot, req) in out.iter_mut().zip(reqs) {
                *slot = self.place(cx, req);
            }
            return out;
        }
        let t0 = self.lclock.now_ns();
        let now = cx.now_ns();
        let mut hs = [None; rest::MAX_BATCH];
        let mut n = 0;
        for (slot, req) in out.iter_mut().zip(reqs) {
            *slot = match self.prepare(now, req, Ok(Some(Via::Rest)), false) {
                Ok(Prepared::Ready(h, _, qty)) => {
                    self.risk.on_sent(req.symbol, req.side, qty);
                    self.stats.placed_rest += 1;
                    hs[n] = Some(h);
                    n += 1;
                    Ok(h)
                }
                Ok(Prepared::Refused(h)) => Ok(h),
                Err(e) => Err(e),
            };
        }
        match (n, hs[0]) {
            (0, _) | (_, None) => return out,
            (1, Some(h)) => self.rest.push_front(Job::Place(h), now),
            _ => self
                .rest
                .push_front(Job::PlaceBatch { hs, n: n as u8 }, now),
        }
        self.pump(cx);
        self.latency.record(
            Probe::CallbackToWire,
            self.lclock.now_ns().saturating_sub(t0),
        );
        out
    }

    /// Asks REST for a fresh balance snapshot (also done after every trade-socket (re)connect).
    pub fn request_balances(&mut self) {
        self.rest.push_back(Job::Balance, 0);
    }

    /// A REST request is queued or in flight.
    pub fn has_rest_work(&self) -> bool {
        self.rest.is_busy()
    }

    /// REST orders need signed requests: only with credentials.
    pub(super) fn authed_rest(&self) -> bool {
        self.live && self.signer.is_some()
    }

    /// Cancels one order by its (predicted or acknowledged) exchange id.
    pub fn cancel(&mut self, cx: &mut Cx<'_>, h: OrderHandle) -> Result<(), PlaceError> {
        let now = cx.now_ns();
        self.init_time(now);
        if !self.live && self.paper.is_none() {
            return Err(PlaceError::NoTrading);
        }
        let o = *self
            .tracker
            .get(h)
            .ok_or(PlaceError::Track(TrackError::StaleHandle))?;
        if o.status.is_terminal() {
            return Err(PlaceError::NotOpen);
        }
        if o.status == OrderStatus::PendingCancel {
            return Ok(());
        }
        if self.paper.is_some() {
            let ts = self.exch_ms(now) as i64;
            let mut out = std::mem::take(&mut self.paper_out);
            if let Some(p) = self.paper.as_mut() {
                p.cancel(&o.order_id, ts, &mut out);
            }
            self.paper_apply(&mut out);
            self.paper_out = out;
            return Ok(());
        }
        if self.ws_ready(cx) {
            if let Err(e) = self.budget.try_acquire(OpClass::OrderReq, now) {
                self.stats.throttled += 1;
                return Err(e.into());
            }
            let rules = self.rules.get(o.symbol).ok_or(PlaceError::UnknownSymbol)?;
            let t = self.exch_ms(now);
            let req = self
                .entry
                .write_cancel_with(
                    &mut self.buf,
                    &o.order_id,
                    &rules.symbol,
                    t,
                    P::write_cancel,
                )
                .map_err(|_| PlaceError::Encode)?;
            if self
                .trade
                .is_none_or(|c| cx.send_text(c, &self.buf).is_err())
            {
                return Err(PlaceError::NotConnected);
            }
            self.entry.cancel_sent(&self.tracker, req, h, now);
        } else if self
            .trade_rest
            .is_some_and(|r| cx.state(r) == ConnState::Open)
        {
            let req = self.entry.next_client_id();
            self.rest.push_front(Job::Cancel { handle: h, req }, now);
            self.pump(cx);
        } else {
            return Err(PlaceError::NotConnected);
        }
        self.stats.cancels_sent += 1;
        let _ = self
            .tracker
            .cancel_requested(h, now, self.cfg.cancel_timeout_ms * MS);
        Ok(())
    }

    /// Sends the cancels of an earlier run's leftovers (those the budget refuses now go next tick) and forgets each
    /// once it is done; the strategy starts when none is left, or after three cancel timeouts whatever happened
    /// (the rest stay tracked, and shutdown cancels them).
    pub(super) fn cancel_leftovers(&mut self, cx: &mut Cx<'_>) {
        if self.leftovers.is_empty() {
            return;
        }
        let now = cx.now_ns();
        if self.leftovers_deadline_ns == 0 {
            self.leftovers_deadline_ns = now + 3 * self.cfg.cancel_timeout_ms * MS;
        }
        let mut leftovers = std::mem::take(&mut self.leftovers);
        for (h, sent) in leftovers.iter_mut() {
            if !*sent && matches!(self.cancel(cx, *h), Ok(()) | Err(PlaceError::NotOpen)) {
                *sent = true;
                self.stats.leftovers_cancelled += 1;
            }
        }
        let tracker = &self.tracker;
        leftovers.retain(|(h, _)| tracker.get(*h).is_some_and(|o| o.status.is_live()));
        if now >= self.leftovers_deadline_ns {
            leftovers.clear();
        }
        self.leftovers = leftovers;
    }

    /// Cancels, by id, every open order this session owns (placed or adopted), of one symbol or all. An order the
    /// rate budget refuses now is left for the next call (the shutdown loop and the tick call again); the first
    /// refusal is returned.
    pub fn cancel_owned(
        &mut self,
        cx: &mut Cx<'_>,
        symbol: Option<SymbolId>,
    ) -> Result<(), PlaceError> {
        let mut first_err = Ok(());
        // Walks the tracker by slot without holding a borrow across `cancel` (no allocation). Orders in doubt are
        // left to their status query (see `orders::stop`).
        let mut from = 0;
        while let Some((slot, h)) = next_to_cancel(&self.tracker, symbol, from) {
            from = slot + 1;
            match self.cancel(cx, h) {
                Ok(()) | Err(PlaceError::NotOpen) => {}
                Err(e) => {
                    if first_err.is_ok() {
                        first_err = Err(e);
                    }
                }
            }
        }
        first_err
    }

    /// Cancels the account's open orders, of one symbol or all, whoever placed them (the exchange's cancel-all):
    /// for a user who asks for exactly that. Strategies use `Ctx::cancel_all`, which cancels only their own.
    pub fn cancel_all(
        &mut self,
        cx: &mut Cx<'_>,
        symbol: Option<SymbolId>,
    ) -> Result<(), PlaceError> {
        if !self.live && self.paper.is_none() {
            return Err(PlaceError::NoTrading);
        }
        self.send_cancel_all(cx, symbol)
    }

    pub(super) fn send_cancel_all(
        &mut self,
        cx: &mut Cx<'_>,
        symbol: Option<SymbolId>,
    ) -> Result<(), PlaceError> {
        let now = cx.now_ns();
        self.init_time(now);
        let name = match symbol {
            Some(s) => Some(
                self.rules
                    .get(s)
                    .ok_or(PlaceError::UnknownSymbol)?
                    .symbol
                    .as_str(),
            ),
            None => None,
        };
        if self.paper.is_some() {
            let ts = self.exch_ms(now) as i64;
            let mut out = std::mem::take(&mut self.paper_out);
            if let Some(p) = self.paper.as_mut() {
                p.cancel_all(symbol, ts, &mut out);
            }
            self.paper_apply(&mut out);
            self.paper_out = out;
            return Ok(());
        }
        if !self.live {
            return Ok(());
        }
        if self.ws_ready(cx) && self.budget.try_acquire(OpClass::OrderReq, now).is_ok() {
            let req = self.entry.next_client_id();
            let t = self.exch_ms(now);
            let ok = P::write_cancel_all(&mut self.buf, &req, t, name).is_ok()
                && self
                    .trade
                    .is_some_and(|c| cx.send_text(c, &self.buf).is_ok());
            if !ok {
                return Err(PlaceError::NotConnected);
            }
            self.cancel_all_pending += 1;
            self.stop.cancel_all_sent();
        } else if self.trade_rest.is_some() {
            self.rest.push_front(Job::CancelAll(symbol), now);
            self.stop.cancel_all_sent();
            self.pump(cx);
        } else {
            return Err(PlaceError::NotConnected);
        }
        // Every live order of the symbol is now being canceled; the pushes confirm each one.
        let cancel_timeout = self.cfg.cancel_timeout_ms * MS;
        let live: Vec<OrderHandle> = self
            .tracker
            .iter_live()
            .filter(|(_, o)| {
                symbol.is_none_or(|s| s == o.symbol) && o.status != OrderStatus::PendingCancel
            })
            .map(|(h, _)| h)
            .collect();
        for h in live {
            let _ = self.tracker.cancel_requested(h, now, cancel_timeout);
        }
        Ok(())
    }

    pub fn order(&self, h: OrderHandle) -> Option<&Order> {
        self.tracker.get(h)
    }

    pub fn open_orders(&self) -> impl Iterator<Item = (OrderHandle, &Order)> {
        self.tracker.iter_live()
    }

    pub fn balance(&self, asset: AssetId) -> Option<(i64, i64)> {
        self.balances.get(asset).map(|b| (b.total, b.available))
    }

    /// Cancels everything and refuses new orders until the session restarts.
    pub fn kill(&mut self, cx: &mut Cx<'_>) {
        self.stop.kill();
        // Own orders only, by id; the tick resends what the rate budget refuses now.
        let _ = self.cancel_owned(cx, None);
    }
}
