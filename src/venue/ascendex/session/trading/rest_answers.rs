//! Answers on the trade REST connection, by endpoint family: account info, orders (place, batch, cancel,
//! status, open orders), balances, risk limits; throttles and bounded retries.

use super::*;

impl<P: ProductApi> TradingState<P> {
    pub fn on_http<S: Strategy>(
        &mut self,
        cx: &mut Cx<'_>,
        conns: &Conns,
        result: Result<Response<'_>, &HttpError>,
        strategy: &mut S,
    ) {
        self.conns(conns);
        let now = cx.now_ns();
        let Some(job) = self.rest.take_inflight() else {
            self.pump(cx);
            self.flush(cx, strategy);
            return;
        };
        match result {
            Ok(resp) => {
                self.rest.succeeded();
                self.on_rest_body(job, resp.body, now);
            }
            Err(HttpError::Status {
                code: 429,
                retry_after_s,
            }) => {
                self.stats.rest_429 += 1;
                let now_ms = self.local_ms(now);
                let ra = retry_after_s.map(|s| s.min(u64::from(u32::MAX)) as u32);
                self.rest.throttled(now, now_ms, ra);
                self.rest.requeue_front(job);
            }
            Err(HttpError::Status {
                code,
                retry_after_s,
            }) if *code >= 500 => {
                self.stats.rest_5xx += 1;
                let now_ms = self.local_ms(now);
                let ra = retry_after_s.map(|s| s.min(u64::from(u32::MAX)) as u32);
                self.rest.throttled(now, now_ms, ra);
                self.retry_or_drop(job, now);
            }
            Err(_) => {
                self.stats.rest_errors += 1;
                self.retry_or_drop(job, now);
            }
        }
        self.pump(cx);
        self.flush(cx, strategy);
    }

    /// Retries a failed request within the bounded retry time. A new order is not resent (it may have reached
    /// the exchange): its timeout and a status query settle it.
    pub(super) fn retry_or_drop(&mut self, j: Queued<Job>, now: u64) {
        if matches!(j.job, Job::Place(_) | Job::PlaceBatch { .. }) {
            return;
        }
        if self.rest.retry(j, now, self.cfg.rest_retry_ms * MS) {
            self.stats.rest_retries += 1;
        } else {
            match j.job {
                Job::Cancel { handle, .. } => self.cancel_refused(handle),
                // Given up: the stop no longer waits for it (the orders' own reports still settle them).
                Job::CancelAll(_) => self.stop.cancel_all_answered(),
                _ => {}
            }
        }
    }

    pub(super) fn on_rest_body(&mut self, j: Queued<Job>, body: &[u8], now: u64) {
        match j.job {
            Job::ExchangeInfo => {
                if let Ok(info) = rest::parse_exchange_info(body) {
                    // The server echoes the local time we sent, so the sample needs no state of ours.
                    let s = info.sample(self.local_ms(now));
                    if self.clock.add(s) {
                        self.clock_sampled = true;
                        self.stats.clock_samples += 1;
                        if let Some(u) = &self.upgrade {
                            u.set_offset(self.clock.offset_ms());
                        }
                    }
                } else {
                    self.stats.rest_errors += 1;
                }
                // A second sample a moment later: the first crossed a cold connection.
                if self.stats.clock_samples == 1 {
                    self.rest.push_front(Job::ExchangeInfo, now);
                }
            }
            Job::RiskLimits => self.on_risk_limits(body),
            Job::Balance => match P::parse_balances(body, &self.scales) {
                Ok((rows, _)) => {
                    for r in &rows {
                        if self
                            .balances
                            .apply_snapshot(r.asset, r.total, r.available)
                            .is_ok()
                        {
                            self.note_balance(r.asset);
                        }
                    }
                    let listed: Vec<AssetId> = rows.iter().map(|r| r.asset).collect();
                    self.balances.zero_unlisted(|a| listed.contains(&a));
                    self.balance_synced = true;
                }
                Err(_) => self.stats.rest_errors += 1,
            },
            Job::OpenOrders { requested_ns } => match P::parse_orders(body, &self.scales) {
                Ok(reports) => {
                    let rows: Vec<OpenOrderReport> = reports
                        .iter()
                        .map(|r| r.open_report(Source::OpenOrders))
                        .collect();
                    self.reconcile_rows(&rows, requested_ns, now);
                    self.open_synced = true;
                }
                Err(_) => self.stats.rest_errors += 1,
            },
            Job::Status { ids, n } => {
                let queried = &ids[..n as usize];
                match P::parse_orders(body, &self.scales) {
                    Ok(reports) => {
                        for r in &reports {
                            self.apply_update(&r.update(Source::RestStatus), 0, &r.error_code);
                        }
                        for id in queried {
                            if !reports.iter().any(|r| r.order_id == *id) {
                                self.never_arrived(id);
                            }
                        }
                    }
                    Err(rest::RestError::Exchange { .. }) => {
                        for id in queried {
                            self.never_arrived(id);
                        }
                    }
                    Err(_) => self.stats.rest_errors += 1,
                }
            }
            Job::Place(h) => match P::parse_order_ack(body, &self.scales) {
                Ok(ack) => {
                    self.placed_reply(h, ack.status, ack.order_id, 0, "", "", now);
                    if let Some(rep) = ack.report {
                        self.apply_update(&rep.update(Source::RestReply), 0, &rep.error_code);
                    }
                }
                Err(rest::RestError::Exchange { error, .. }) => {
                    self.placed_reply(
                        h,
                        ReplyStatus::Err,
                        None,
                        error.code,
                        &error.reason,
                        &error.message,
                        now,
                    );
                }
                Err(_) => self.stats.rest_errors += 1,
            },
            Job::PlaceBatch { hs, n } => self.on_batch_answer(&j, &hs[..n as usize], body, now),
            Job::Cancel { handle, .. } => match P::parse_order_ack(body, &self.scales) {
                Ok(_) => {}
                Err(_) => self.cancel_refused(handle),
            },
            // Whatever it said, the orders' own reports settle each order.
            Job::CancelAll(_) => self.stop.cancel_all_answered(),
            Job::Products => {
                if let Ok(all) = P::parse_rules(body) {
                    let names: Vec<String> =
                        self.rules.iter().map(|(_, r)| r.symbol.clone()).collect();
                    for n in names {
                        if let Some(r) = all.by_name(&n) {
                            self.rules.insert(r.clone());
                        }
                    }
                }
            }
        }
    }

    /// The answer to a batch place. On success each order gets its own acknowledgement. The exchange refuses a whole
    /// batch when one order fails its basic checks (README §5, `order/batch`): that order is rejected with its own
    /// error; the others, marked `INVALID_BATCH_ORDER`, were not placed and go again once, without it.
    pub(super) fn on_batch_answer(
        &mut self,
        j: &Queued<Job>,
        sent: &[Option<OrderHandle>],
        body: &[u8],
        now: u64,
    ) {
        match P::parse_batch_ack(body, &self.scales) {
            Ok(acks) => {
                for (i, ack) in acks.iter().enumerate() {
                    let Some(h) = self.batch_member(sent, &ack.request_id, i) else {
                        self.stats.unknown_reports += 1;
                        continue;
                    };
                    self.placed_reply(h, ack.status, ack.order_id, 0, "", "", now);
                    if let Some(rep) = &ack.report {
                        self.apply_update(&rep.update(Source::RestReply), 0, &rep.error_code);
                    }
                }
                // An order the answer does not mention stays in doubt: its timeout and a status query settle it.
            }
            Err(rest::RestError::Exchange { error, items }) => {
                let mut again = [None; rest::MAX_BATCH];
                let mut k = 0;
                for (i, h) in sent.iter().enumerate() {
                    let Some(h) = *h else { continue };
                    let item = self.batch_item(h, &items, i);
                    match item {
                        Some(it) if it.code == INVALID_BATCH_ORDER && j.tries == 0 => {
                            again[k] = Some(h);
                            k += 1;
                        }
                        Some(it) => self.placed_reply(
                            h,
                            ReplyStatus::Err,
                            None,
                            it.code,
                            &it.reason,
                            &it.message,
                            now,
                        ),
                        None => self.placed_reply(
                            h,
                            ReplyStatus::Err,
                            None,
                            error.code,
                            &error.reason,
                            &error.message,
                            now,
                        ),
                    }
                }
                let job = match (k, again[0]) {
                    (0, _) | (_, None) => return,
                    (1, Some(h)) => Job::Place(h),
                    _ => Job::PlaceBatch {
                        hs: again,
                        n: k as u8,
                    },
                };
                self.rest.requeue_front(Queued {
                    job,
                    first_ns: j.first_ns,
                    not_before_ns: 0,
                    tries: j.tries + 1,
                });
            }
            Err(_) => self.stats.rest_errors += 1,
        }
    }

    /// The order of a batch an answer item belongs to: by its echoed client id, else by position.
    pub(super) fn batch_member(
        &self,
        sent: &[Option<OrderHandle>],
        id: &str,
        pos: usize,
    ) -> Option<OrderHandle> {
        if id.is_empty() {
            return sent.get(pos).copied().flatten();
        }
        sent.iter().flatten().copied().find(|&h| {
            self.tracker
                .get(h)
                .is_some_and(|o| o.client_id.as_bytes() == id.as_bytes())
        })
    }

    /// The error item of a refused batch that belongs to order `h` (sent at position `pos`).
    pub(super) fn batch_item<'e>(
        &self,
        h: OrderHandle,
        items: &'e [rest::ApiError],
        pos: usize,
    ) -> Option<&'e rest::ApiError> {
        let cid = self.tracker.get(h).map(|o| o.client_id)?;
        items
            .iter()
            .find(|it| !it.id.is_empty() && it.id.as_bytes() == cid.as_bytes())
            .or_else(|| items.get(pos).filter(|it| it.id.is_empty()))
    }

    /// A status query did not find an order still waiting for the exchange's first word: it never arrived.
    pub(super) fn never_arrived(&mut self, id: &OrderId) {
        if let Some(h) = self.tracker.by_order_id(id)
            && let Some(o) = self.tracker.get(h).copied()
            && o.status == OrderStatus::Unknown
            && o.confirmed == OrderStatus::PendingNew
            && self.tracker.request_rejected(h).is_ok()
        {
            self.risk.on_done(o.symbol, o.side, o.qty);
            self.note_order(OrderEventKind::Rejected, h, -1, "not found on the exchange");
        }
    }

    pub(super) fn on_risk_limits(&mut self, body: &[u8]) {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
            return;
        };
        let ws = &v["data"]["webSocket"];
        let l1 = &ws["messageThreshold"]["level1OpThreshold"];
        let r1 = &ws["messageThreshold"]["level1ReqThreshold"];
        let get = |o: &serde_json::Value, k: &str| o[k].as_u64();
        let cfg = self.cfg.op_limits;
        let min = |a: u64, b: Option<u64>| b.map_or(a, |b| a.min(b));
        let live = OpLimits {
            admin: min(cfg.admin, get(l1, "auth")),
            stream: min(cfg.stream, get(l1, "sub")),
            req: min(cfg.req, get(l1, "req")),
            order_req: min(cfg.order_req, get(r1, "place_order")),
            snapshot_req: min(cfg.snapshot_req, get(r1, "depth_snapshot")),
        };
        self.budget = RateBudget::new(live.with_margin(self.cfg.limit_margin_pct), 0);
        if ws["status"]["isBanned"].as_bool() == Some(true)
            && let Some(until) = ws["status"]["bannedUntil"].as_i64()
        {
            self.rest.banned_until(until);
        }
    }
}
