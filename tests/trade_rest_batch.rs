//! `place_batch` while the trade socket is down: one `POST .../order/batch` request for the orders that passed our
//! own checks, per-order answers mapped back to each handle, a batch the exchange refuses because of one order
//! re-sent without it, and the REST hold after a 429 respected. Against the in-process simulator over real TLS.

#[path = "trade_session/common.rs"]
mod common;

use ascendex_hft::engine::{ConnState, Engine};
use ascendex_hft::orders::OrderHandle;
use ascendex_hft::orders::RiskError;
use ascendex_hft::orders::types::{OrderStatus, Side};
use ascendex_hft::strategy::{OrderEventKind, PlaceRequest};
use ascendex_hft::venue::ascendex::rules::RuleError;
use ascendex_hft::venue::ascendex::session::{PlaceError, Session, TradingConfig};
use ascendex_sim::SimHandle;
use common::*;

fn cfg() -> TradingConfig {
    TradingConfig {
        // Acked REST orders hear the matching engine's word from a status query, soon, while the socket is down.
        ack_timeout_ms: 1_000,
        ..TradingConfig::default()
    }
}

/// Takes the trade socket down for the rest of the test and waits until the REST reconciliation it triggers is done.
fn socket_down(e: &mut Engine, s: &mut Session<Rec>) {
    let mut asked = false;
    assert!(drive(e, s, 10, |s, cx| {
        let t = s.conns.trade.unwrap();
        if !asked {
            cx.hold_off(t, cx.now_ns() + 600_000_000_000);
            cx.reconnect(t);
            asked = true;
        }
        cx.state(t) == ConnState::Backoff
            && s.trading.stats.reconciles >= 2
            && !s.trading.has_rest_work()
    }));
}

fn ours_at_the_exchange(
    sim: &SimHandle,
    s: &Session<Rec>,
    h: OrderHandle,
) -> ascendex_sim::OrderView {
    let o = s.trading.order(h).unwrap();
    let v = sim
        .order(o.order_id.as_str())
        .expect("the id predicted for the batch is the exchange's id");
    assert_eq!(v.client_id, o.client_id.as_str());
    v
}

#[test]
fn batch_goes_as_one_rest_request_while_the_socket_is_down() {
    let sim = sim("");
    let (mut e, mut s) = start(&sim, cfg());
    ready(&mut e, &mut s);
    socket_down(&mut e, &mut s);
    let (bid, _) = top(&sim, &s);
    let (lot, _, _) = lot(&s);
    let ws_before = s.trading.stats.placed_ws;
    let mut res = Vec::new();
    assert!(drive(&mut e, &mut s, 15, |s, cx| {
        if res.is_empty() {
            let reqs = [
                PlaceRequest::post_only(SYM, Side::Buy, bid - 5_000, 100 * lot),
                // Below the minimum notional (5 USDT): refused before sending.
                PlaceRequest::post_only(SYM, Side::Buy, bid - 5_000, lot),
                PlaceRequest::post_only(SYM, Side::Buy, bid - 6_000, 100 * lot),
                PlaceRequest::post_only(SYM, Side::Buy, bid - 7_000, 200 * lot),
            ];
            res = s
                .trading
                .place_batch(cx, &reqs)
                .into_iter()
                .take(reqs.len())
                .collect();
        }
        res.iter()
            .flatten()
            .all(|&h| s.trading.order(h).unwrap().status == OrderStatus::New)
    }));
    assert!(matches!(
        res[1],
        Err(PlaceError::Rule(RuleError::BelowMinNotional { .. }))
    ));
    let ok: Vec<OrderHandle> = res.iter().flatten().copied().collect();
    assert_eq!(ok.len(), 3);
    assert_eq!(s.trading.stats.rest_batches, 1, "one request for the batch");
    assert_eq!(s.trading.stats.placed_rest, 3);
    assert_eq!(s.trading.stats.placed_ws, ws_before);
    for &h in &ok {
        assert_eq!(ours_at_the_exchange(&sim, &s, h).status, "New");
        // Acknowledged by the batch answer; New from the status query (no push while the socket is down).
        let k = s.strategy.kinds(h);
        assert_eq!(k[0], OrderEventKind::Acknowledged, "{k:?}");
        assert!(k.contains(&OrderEventKind::New), "{k:?}");
    }
    let qty = |h: OrderHandle| s.trading.order(h).unwrap().qty;
    assert_eq!(
        qty(ok[2]),
        2 * qty(ok[0]),
        "answers matched to their own orders"
    );
    assert_eq!(sim.open_orders().len(), 3);
}

#[test]
fn one_order_the_exchange_refuses_does_not_sink_the_batch() {
    let sim = sim("");
    // Our copy of the rules allows a smaller notional than the exchange (rules changed since start-up): the
    // exchange refuses the whole batch for that one order.
    let (mut e, mut s) = start_manual_with(&sim, None, cfg(), |boot| {
        let mut v: serde_json::Value = serde_json::from_slice(&boot.products).unwrap();
        for p in v["data"].as_array_mut().unwrap() {
            if p["symbol"] == "BTC/USDT" {
                p["minNotional"] = "0.000001".into();
            }
        }
        boot.products = serde_json::to_vec(&v).unwrap();
    });
    ready(&mut e, &mut s);
    socket_down(&mut e, &mut s);
    let (bid, _) = top(&sim, &s);
    let (lot, _, _) = lot(&s);
    let mut hs: Vec<OrderHandle> = Vec::new();
    assert!(drive(&mut e, &mut s, 15, |s, cx| {
        if hs.is_empty() {
            let reqs = [
                PlaceRequest::post_only(SYM, Side::Buy, bid - 5_000, 100 * lot),
                PlaceRequest::post_only(SYM, Side::Buy, bid - 5_000, lot),
                PlaceRequest::post_only(SYM, Side::Buy, bid - 6_000, 100 * lot),
            ];
            hs = s
                .trading
                .place_batch(cx, &reqs)
                .into_iter()
                .take(reqs.len())
                .map(|r| r.unwrap())
                .collect();
        }
        let st = |h: OrderHandle| s.trading.order(h).unwrap().status;
        st(hs[1]) == OrderStatus::Rejected
            && st(hs[0]) == OrderStatus::New
            && st(hs[2]) == OrderStatus::New
    }));
    let refused = s
        .strategy
        .orders
        .iter()
        .find(|e| e.1 == hs[1] && e.0 == OrderEventKind::Rejected)
        .unwrap();
    assert_eq!(refused.3, 300004, "the order's own error code");
    assert_eq!(refused.4, "INVALID_NOTIONAL");
    // The first batch was refused whole; the other two went again, alone.
    assert_eq!(s.trading.stats.rest_batches, 2);
    for h in [hs[0], hs[2]] {
        assert_eq!(ours_at_the_exchange(&sim, &s, h).status, "New");
        // Acknowledged by the batch answer; New from the status query (no push while the socket is down).
        let k = s.strategy.kinds(h);
        assert_eq!(k[0], OrderEventKind::Acknowledged, "{k:?}");
        assert!(k.contains(&OrderEventKind::New), "{k:?}");
    }
    let tiny = s.trading.order(hs[1]).unwrap().client_id;
    assert!(sim.orders().iter().all(|o| o.client_id != tiny.as_str()));
    assert_eq!(sim.open_orders().len(), 2);
}

#[test]
fn a_throttled_batch_waits_for_the_rest_hold() {
    // The default answer timeout (5 s) outlasts the hold (Retry-After 1 s).
    throttled_batch(TradingConfig::default());
}

#[test]
fn a_throttled_batch_outlasting_the_answer_timeout_is_still_sent() {
    // The hold (1 s) outlasts the answer timeout: the wait for an answer starts when the request leaves, so the
    // orders are sent after the hold instead of being given up while they wait in the queue.
    throttled_batch(TradingConfig {
        ack_timeout_ms: 400,
        ..TradingConfig::default()
    });
}

fn throttled_batch(cfg: TradingConfig) {
    let sim = sim("");
    let (mut e, mut s) = start(&sim, cfg);
    ready(&mut e, &mut s);
    socket_down(&mut e, &mut s);
    let (bid, _) = top(&sim, &s);
    let (lot, _, _) = lot(&s);
    let mut hs: Vec<OrderHandle> = Vec::new();
    let mut held: Vec<Result<OrderHandle, PlaceError>> = Vec::new();
    let done = drive(&mut e, &mut s, 20, |s, cx| {
        if hs.is_empty() {
            sim.inject("rest429@1").unwrap();
            let reqs = [
                PlaceRequest::post_only(SYM, Side::Buy, bid - 5_000, 100 * lot),
                PlaceRequest::post_only(SYM, Side::Buy, bid - 6_000, 100 * lot),
            ];
            hs = s
                .trading
                .place_batch(cx, &reqs)
                .into_iter()
                .take(2)
                .map(|r| r.unwrap())
                .collect();
        }
        if s.trading.stats.rest_429 == 1 && held.is_empty() {
            // While the exchange's hold lasts, new REST orders are refused at once, each with its reason.
            let req = PlaceRequest::post_only(SYM, Side::Buy, bid - 7_000, 100 * lot);
            held = s
                .trading
                .place_batch(cx, &[req, req])
                .into_iter()
                .take(2)
                .collect();
        }
        !hs.is_empty()
            && hs
                .iter()
                .all(|&h| s.strategy.kinds(h) == [OrderEventKind::Acknowledged])
    });
    assert!(
        done,
        "{:?} {:?} {:?}",
        s.trading.stats,
        hs.iter()
            .map(|&h| s.trading.order(h).unwrap().status)
            .collect::<Vec<_>>(),
        sim.fault_log()
    );
    assert!(sim.fault_log().iter().any(|f| f.kind == "rest429"));
    assert_eq!(held.len(), 2);
    assert!(
        held.iter()
            .all(|r| matches!(r, Err(PlaceError::Risk(RiskError::Banned { .. })))),
        "{held:?}"
    );
    // The refused request was sent again after the hold, once: each order exists once at the exchange.
    assert_eq!(s.trading.stats.rest_batches, 2);
    for &h in &hs {
        let cid = s.trading.order(h).unwrap().client_id;
        assert_eq!(
            sim.orders()
                .iter()
                .filter(|o| o.client_id == cid.as_str())
                .count(),
            1
        );
        assert_eq!(ours_at_the_exchange(&sim, &s, h).status, "New");
    }
}
