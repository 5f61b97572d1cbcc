//! Encoding and signing the queued REST requests when the connection is free.

use super::*;

impl<P: ProductApi> TradingState<P> {
    /// Sends the next queued REST request when the connection is free.
    pub(super) fn pump(&mut self, cx: &mut Cx<'_>) {
        let Some(rc) = self.trade_rest else { return };
        let now = cx.now_ns();
        if !cx.http_ready(rc) {
            return;
        }
        let Some(mut q) = self.rest.take_due(now) else {
            return;
        };
        let t = self.exch_ms(now);
        let ok = match q.job {
            Job::ExchangeInfo => {
                let l = self.local_ms(now).max(0) as u64;
                let r = rest::exchange_info(&mut self.rb, l);
                let (m, p) = (r.method, r.path);
                send(cx, rc, None, m, p, ApiPath::Other(""), &[], t)
            }
            Job::RiskLimits => {
                self.rb.path.clear();
                self.rb
                    .path
                    .extend_from_slice(b"/api/pro/v2/risk-limit-info");
                send(
                    cx,
                    rc,
                    None,
                    rest::Method::Get,
                    &self.rb.path,
                    ApiPath::Other(""),
                    &[],
                    t,
                )
            }
            Job::Products => {
                let r = P::rest_rules(&mut self.rb);
                let (m, p) = (r.method, r.path);
                send(cx, rc, None, m, p, ApiPath::Other(""), &[], t)
            }
            Job::Balance => {
                let r = P::rest_balance(&mut self.rb, self.group);
                send_req(cx, rc, self.signer.as_ref(), &r, t)
            }
            Job::OpenOrders { .. } => {
                let r = P::rest_open_orders(&mut self.rb, self.group);
                send_req(cx, rc, self.signer.as_ref(), &r, t)
            }
            Job::Status { ids, n } => {
                let r = P::rest_order_status(&mut self.rb, self.group, &ids[..n as usize]);
                send_req(cx, rc, self.signer.as_ref(), &r, t)
            }
            Job::CancelAll(sym) => {
                let name = sym
                    .and_then(|s| self.rules.get(s))
                    .map(|r| r.symbol.as_str());
                match P::rest_cancel_all(&mut self.rb, self.group, t, name) {
                    Ok(r) => send_req(cx, rc, self.signer.as_ref(), &r, t),
                    Err(_) => {
                        self.stop.cancel_all_answered();
                        false
                    }
                }
            }
            Job::Cancel { handle, req } => {
                let Some(o) = self.tracker.get(handle).copied() else {
                    return self.pump(cx);
                };
                let Some(rules) = self.rules.get(o.symbol) else {
                    return;
                };
                let item = rest::CancelItem {
                    request_id: &req,
                    order_id: &o.order_id,
                    symbol: &rules.symbol,
                    time_ms: t,
                };
                match P::rest_cancel(&mut self.rb, self.group, &item) {
                    Ok(r) => send_req(cx, rc, self.signer.as_ref(), &r, t),
                    Err(_) => false,
                }
            }
            Job::PlaceBatch { hs, n } => {
                // Orders settled while queued (canceled, timed out) stay out; the rest get ids predicted from the
                // time actually sent.
                let mut live = [None; rest::MAX_BATCH];
                let mut m = 0;
                for h in hs[..n as usize].iter().flatten().copied() {
                    let Some(o) = self.tracker.get(h).copied() else {
                        continue;
                    };
                    if o.status != OrderStatus::PendingNew || self.rules.get(o.symbol).is_none() {
                        continue;
                    }
                    if let Some(id) = self.entry.predict(Via::Rest, t, &o.client_id) {
                        let _ = self.tracker.set_order_id(h, id);
                    }
                    live[m] = Some(h);
                    m += 1;
                }
                if m == 0 {
                    return self.pump(cx);
                }
                q.job = Job::PlaceBatch {
                    hs: live,
                    n: m as u8,
                };
                let (tracker, rules, entry) = (&self.tracker, &self.rules, &self.entry);
                let built = P::rest_batch_place_each(&mut self.rb, self.group, m, |i, out| {
                    let o = live[i]
                        .and_then(|h| tracker.get(h))
                        .ok_or(wire::EncodeError::BadOrder)?;
                    let r = rules.get(o.symbol).ok_or(wire::EncodeError::BadSymbol)?;
                    let spec = tracked_spec(o, r);
                    P::write_order_object(out, &entry.place_request(&o.client_id, t, &spec))
                });
                match built {
                    Ok(r) => {
                        self.stats.rest_batches += 1;
                        let sent = send_req(cx, rc, self.signer.as_ref(), &r, t);
                        if sent {
                            for h in live.iter().take(m).flatten() {
                                self.tracker
                                    .request_sent(*h, now, self.cfg.ack_timeout_ms * MS);
                            }
                        }
                        sent
                    }
                    Err(_) => false,
                }
            }
            Job::Place(h) => {
                let Some(o) = self.tracker.get(h).copied() else {
                    return self.pump(cx);
                };
                if o.status != OrderStatus::PendingNew {
                    return self.pump(cx);
                }
                let Some(rules) = self.rules.get(o.symbol) else {
                    return;
                };
                // The id is predicted from the time actually sent.
                if let Some(id) = self.entry.predict(Via::Rest, t, &o.client_id) {
                    let _ = self.tracker.set_order_id(h, id);
                }
                let spec = tracked_spec(&o, rules);
                let po = self.entry.place_request(&o.client_id, t, &spec);
                match P::rest_place(&mut self.rb, self.group, &po) {
                    Ok(r) => {
                        let sent = send_req(cx, rc, self.signer.as_ref(), &r, t);
                        if sent {
                            self.tracker
                                .request_sent(h, now, self.cfg.ack_timeout_ms * MS);
                        }
                        sent
                    }
                    Err(_) => false,
                }
            }
        };
        if ok {
            self.rest.sent(q);
        } else {
            self.stats.rest_errors += 1;
        }
    }
}

/// What a tracked order asks for, at its symbol's scales: rebuilt when a queued REST request finally leaves.
pub(super) fn tracked_spec<'r>(
    o: &Order,
    r: &'r crate::venue::ascendex::rules::SymbolRules,
) -> OrderSpec<'r> {
    OrderSpec {
        symbol: &r.symbol,
        symbol_id: o.symbol,
        side: o.side,
        kind: o.kind,
        price: o.price,
        price_scale: r.price_scale,
        qty: o.qty,
        qty_scale: r.qty_scale,
        stop_price: None,
        post_only: o.post_only,
        tif: o.tif,
    }
}

/// Writes one REST request, signed when a signer is given.
#[allow(clippy::too_many_arguments)]
pub(super) fn send(
    cx: &mut Cx<'_>,
    conn: ConnId,
    signer: Option<&Signer>,
    method: rest::Method,
    path: &[u8],
    prehash: ApiPath,
    body: &[u8],
    ts_ms: u64,
) -> bool {
    let Ok(path) = std::str::from_utf8(path) else {
        return false;
    };
    match signer {
        Some(s) => {
            let h = s.headers(ts_ms, prehash);
            let headers = [
                (crate::venue::ascendex::auth::AuthHeaders::KEY, h.key),
                (
                    crate::venue::ascendex::auth::AuthHeaders::TIMESTAMP,
                    h.timestamp.as_str(),
                ),
                (
                    crate::venue::ascendex::auth::AuthHeaders::SIGNATURE,
                    h.signature.as_str(),
                ),
            ];
            cx.http_request(conn, method.as_str(), path, &headers, body)
                .is_ok()
        }
        None => cx
            .http_request(conn, method.as_str(), path, &[], body)
            .is_ok(),
    }
}

/// Writes a built request (method, path, prehash, body), signed when a signer is given.
pub(super) fn send_req(
    cx: &mut Cx<'_>,
    conn: ConnId,
    signer: Option<&Signer>,
    r: &rest::RestRequest<'_>,
    ts_ms: u64,
) -> bool {
    send(cx, conn, signer, r.method, r.path, r.prehash, r.body, ts_ms)
}
