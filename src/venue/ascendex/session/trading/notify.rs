//! What the strategy hears: order and balance notes collected while a message is handled, flushed to the
//! strategy after it; order reports applied to the tracker; market events for the paper exchange.

use super::*;

impl<P: ProductApi> TradingState<P> {
    // -----------------------------------------------------------------------------------------------------------
    // Strategy notifications

    pub(super) fn note_order(
        &mut self,
        kind: OrderEventKind,
        h: OrderHandle,
        code: i64,
        reason: &str,
    ) {
        if let Some(o) = self.tracker.get(h) {
            let order = *o;
            self.notes.push(Note::Order {
                kind,
                handle: h,
                order,
                code,
                reason: Reason::new(reason),
            });
        }
    }

    pub(super) fn note_balance(&mut self, asset: AssetId) {
        if let Some(b) = self.balances.get(asset) {
            let (total, available) = (b.total, b.available);
            self.notes.push(Note::Balance {
                asset,
                total,
                available,
            });
        }
    }

    pub(super) fn flush<S: Strategy>(&mut self, cx: &mut Cx<'_>, strategy: &mut S) {
        while !self.notes.is_empty() {
            let mut batch = std::mem::replace(&mut self.notes, std::mem::take(&mut self.spare));
            for n in batch.drain(..) {
                let mut ctx =
                    crate::venue::ascendex::session::SessionCtx::new(cx, self, STRATEGY_TIMER_BASE);
                match n {
                    Note::Order {
                        kind,
                        handle,
                        order,
                        code,
                        reason,
                    } => strategy.on_order(
                        &mut ctx,
                        &OrderEvent {
                            kind,
                            handle,
                            order: &order,
                            status: order.status,
                            code,
                            reason: reason.as_str(),
                        },
                    ),
                    Note::Fill(f) => strategy.on_fill(&mut ctx, &f),
                    Note::Balance {
                        asset,
                        total,
                        available,
                    } => strategy.on_balance(&mut ctx, asset, total, available),
                }
            }
            self.spare = batch;
        }
    }

    /// After a report was applied: fills, status events, exposure.
    pub(super) fn applied(&mut self, before: OrderStatus, a: &Applied, code: i64, reason: &str) {
        if a.stale {
            return;
        }
        if let Some(f) = a.fill {
            self.stats.fills += 1;
            self.risk.on_fill(f.symbol, f.side, f.qty);
            self.notes.push(Note::Fill(f));
        }
        if !a.status_changed {
            return;
        }
        let first_word = matches!(before, OrderStatus::PendingNew | OrderStatus::Unknown);
        let kind = match a.status {
            OrderStatus::New => Some(OrderEventKind::New),
            OrderStatus::PartiallyFilled | OrderStatus::Filled if first_word => {
                Some(OrderEventKind::New)
            }
            OrderStatus::Canceled => Some(OrderEventKind::Canceled),
            OrderStatus::Rejected => Some(OrderEventKind::Rejected),
            OrderStatus::Unknown => Some(OrderEventKind::Unknown),
            _ => None,
        };
        if a.status.is_terminal()
            && let Some(o) = self.tracker.get(a.handle)
        {
            let (s, sd, rem) = (o.symbol, o.side, o.qty - o.cum_qty);
            self.risk.on_done(s, sd, rem.max(0));
        }
        if let Some(k) = kind {
            self.note_order(k, a.handle, code, reason);
        }
    }

    pub(super) fn apply_update(&mut self, u: &OrderUpdate, code: i64, reason: &str) -> bool {
        let Some(h) = self.tracker.by_order_id(&u.order_id) else {
            return false;
        };
        let before = self
            .tracker
            .get(h)
            .map_or(OrderStatus::PendingNew, |o| o.status);
        match self.tracker.apply(u) {
            Ok(a) => {
                self.applied(before, &a, code, reason);
                true
            }
            Err(_) => {
                self.stats.unknown_reports += 1;
                true
            }
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // Session hooks

    /// Paper trading fills against market data; a live session only keeps the book top (market-order checks).
    pub fn on_market_event<S: Strategy>(
        &mut self,
        cx: &mut Cx<'_>,
        ev: &crate::venue::ascendex::session::MdEvent<'_>,
        strategy: &mut S,
    ) {
        use crate::venue::ascendex::session::MdEvent;
        match ev {
            MdEvent::Book { symbol, book, .. } => {
                if let Some(t) = self.top.get_mut(symbol.0 as usize) {
                    *t = (
                        book.best_bid().map_or(0, |l| l.price.0),
                        book.best_ask().map_or(0, |l| l.price.0),
                    );
                }
                if self.paper.is_some() {
                    let ts = self.exch_ms(cx.now_ns()) as i64;
                    let mut out = std::mem::take(&mut self.paper_out);
                    if let Some(p) = self.paper.as_mut() {
                        p.on_book(*symbol, book, ts, &mut out);
                    }
                    self.paper_apply(&mut out);
                    self.paper_out = out;
                }
            }
            MdEvent::Bbo { symbol, bbo } => {
                if let Some(t) = self.top.get_mut(symbol.0 as usize) {
                    *t = (
                        bbo.bid.map_or(t.0, |l| l.price.0),
                        bbo.ask.map_or(t.1, |l| l.price.0),
                    );
                }
            }
            MdEvent::Trade { symbol, trade } if self.paper.is_some() => {
                let mut out = std::mem::take(&mut self.paper_out);
                if let Some(p) = self.paper.as_mut() {
                    p.on_trade(*symbol, trade, &mut out);
                }
                self.paper_apply(&mut out);
                self.paper_out = out;
            }
            _ => {}
        }
        self.flush(cx, strategy);
    }

    pub(super) fn paper_apply(&mut self, out: &mut Vec<PaperEvent>) {
        for ev in out.drain(..) {
            self.apply_update(&ev.update, 0, ev.reason);
        }
        let changed = self.paper.as_mut().map_or(0, |p| p.take_balance_changes());
        if changed != 0 {
            for i in 0..self.asset_names.len() {
                if changed & (1u64 << (i as u32).min(63)) != 0 {
                    let a = AssetId(i as u16);
                    if let Some((t, av)) = self.paper.as_ref().and_then(|p| p.balance(a)) {
                        let _ = self.balances.apply_snapshot(a, t, av);
                        self.note_balance(a);
                    }
                }
            }
        }
    }
}
