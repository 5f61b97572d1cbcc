//! The trading session against the in-process simulator over real TLS: every order lifecycle path, reconnection
//! with orders in flight, authentication and clock failures, REST throttling, WebSocket limits and bans.

#[path = "trade_session/common.rs"]
mod common;

use ascendex_hft::metrics::Probe;
use ascendex_hft::orders::OrderHandle;
use ascendex_hft::orders::types::{OrderStatus, Side, TimeInForce};
use ascendex_hft::strategy::{OrderEventKind, PlaceRequest};
use ascendex_hft::venue::ascendex::rules::RuleError;
use ascendex_hft::venue::ascendex::session::bootstrap::SessionError;
use ascendex_hft::venue::ascendex::session::{PlaceError, TradingConfig};
use ascendex_sim::SimConfig;
use common::*;

fn order_id(s: &ascendex_hft::venue::ascendex::session::Session<Rec>, h: OrderHandle) -> String {
    s.trading.order(h).unwrap().order_id.as_str().to_string()
}

fn status(s: &ascendex_hft::venue::ascendex::session::Session<Rec>, h: OrderHandle) -> OrderStatus {
    s.trading.order(h).unwrap().status
}

#[test]
fn accept_rest_then_cancel_with_predicted_id() {
    let sim = sim("");
    let (mut e, mut s) = start(&sim, TradingConfig::default());
    ready(&mut e, &mut s);
    let (bid, _) = top(&sim, &s);
    let (lot, _, _) = lot(&s);
    let mut h = None;
    assert!(drive(&mut e, &mut s, 10, |s, cx| {
        if h.is_none() {
            let req = PlaceRequest::post_only(SYM, Side::Buy, bid - 10_000, 100 * lot);
            h = Some(s.trading.place(cx, &req).unwrap());
        }
        status(s, h.unwrap()) == OrderStatus::New
    }));
    let h = h.unwrap();
    let oid = order_id(&s, h);
    // The id predicted before sending is the exchange's id.
    let v = sim
        .order(&oid)
        .expect("the predicted id is the simulator's order id");
    assert_eq!(v.status, "New");
    assert!(v.post_only);
    assert_eq!(
        s.strategy.kinds(h),
        vec![OrderEventKind::Acknowledged, OrderEventKind::New]
    );
    assert!(
        !s.trading
            .latency()
            .histogram(Probe::OrderRoundTrip)
            .is_empty()
    );
    assert!(
        !s.trading
            .latency()
            .histogram(Probe::CallbackToWire)
            .is_empty()
    );
    let mut sent = false;
    assert!(drive(&mut e, &mut s, 10, |s, cx| {
        if !sent {
            s.trading.cancel(cx, h).unwrap();
            sent = true;
            assert_eq!(status(s, h), OrderStatus::PendingCancel);
        }
        status(s, h) == OrderStatus::Canceled
    }));
    assert_eq!(sim.order(&oid).unwrap().status, "Canceled");
    assert!(sim.open_orders().is_empty());
    assert_eq!(s.strategy.kinds(h).last(), Some(&OrderEventKind::Canceled));
}

#[test]
fn insufficient_balance_is_rejected_by_the_exchange() {
    let sim = sim("");
    sim.set_balance("USDT", "10");
    let (mut e, mut s) = start(&sim, TradingConfig::default());
    ready(&mut e, &mut s);
    let (bid, _) = top(&sim, &s);
    let (lot, _, _) = lot(&s);
    let mut h = None;
    assert!(drive(&mut e, &mut s, 10, |s, cx| {
        if h.is_none() {
            h = Some(
                s.trading
                    .place(cx, &PlaceRequest::limit(SYM, Side::Buy, bid, 1000 * lot))
                    .unwrap(),
            );
        }
        status(s, h.unwrap()).is_terminal()
    }));
    let h = h.unwrap();
    assert_eq!(status(&s, h), OrderStatus::Rejected);
    let ev = s
        .strategy
        .orders
        .iter()
        .find(|e| e.1 == h && e.0 == OrderEventKind::Rejected)
        .unwrap();
    assert_ne!(ev.3, 0, "the exchange's error code is passed on");
    assert!(sim.open_orders().is_empty());
    // USDT balance seen by the session matches the simulator.
    let usdt = s.trading.asset("USDT").unwrap();
    assert_eq!(s.trading.balance(usdt).unwrap().0, dec("10", 9));
}

#[test]
fn post_only_that_would_take_never_rests() {
    let sim = sim("");
    let (mut e, mut s) = start(&sim, TradingConfig::default());
    ready(&mut e, &mut s);
    let (_, ask) = top(&sim, &s);
    let (lot, _, _) = lot(&s);
    let mut h = None;
    assert!(drive(&mut e, &mut s, 10, |s, cx| {
        if h.is_none() {
            h = Some(
                s.trading
                    .place(cx, &PlaceRequest::post_only(SYM, Side::Buy, ask, 100 * lot))
                    .unwrap(),
            );
        }
        status(s, h.unwrap()).is_terminal()
    }));
    let h = h.unwrap();
    let st = status(&s, h);
    assert!(
        matches!(st, OrderStatus::Canceled | OrderStatus::Rejected),
        "{st:?}"
    );
    assert!(
        s.strategy
            .orders
            .iter()
            .any(|e| e.1 == h && e.4.contains("PostOnlyWouldTake"))
    );
    assert!(s.strategy.fills.is_empty());
    assert!(sim.open_orders().is_empty());
}

#[test]
fn fills_from_the_flow_are_counted_once_and_match_the_exchange() {
    let sim = sim("");
    let (mut e, mut s) = start(&sim, TradingConfig::default());
    ready(&mut e, &mut s);
    let (bid, _) = top(&sim, &s);
    let (lot, qs, _) = lot(&s);
    let mut hs: Vec<OrderHandle> = Vec::new();
    // Three buys at and just below the best bid: the synthetic takers hit them over time.
    assert!(drive(&mut e, &mut s, 10, |s, cx| {
        if hs.is_empty() {
            for k in 0..3 {
                let req = PlaceRequest::limit(SYM, Side::Buy, bid - k, 2000 * lot);
                hs.push(s.trading.place(cx, &req).unwrap());
            }
        }
        hs.iter().all(|&h| status(s, h) != OrderStatus::PendingNew)
    }));
    let mut rounds = 0;
    while rounds < 300 {
        sim.step(20);
        drive(&mut e, &mut s, 1, |_, _| true);
        rounds += 1;
        if hs.iter().any(|&h| status(&s, h) == OrderStatus::Filled) {
            break;
        }
    }
    // Let the last pushes arrive.
    drive(&mut e, &mut s, 2, |_, _| false);
    let mut any_fill = false;
    for &h in &hs {
        let oid = order_id(&s, h);
        let v = sim.order(&oid).unwrap();
        let o = *s.trading.order(h).unwrap();
        assert_eq!(o.status.as_str(), v.status, "status of {oid}");
        assert_eq!(o.cum_qty, dec(&v.filled_qty, qs), "filled qty of {oid}");
        let (q, fee) = s.strategy.filled(&oid);
        assert_eq!(
            q, o.cum_qty,
            "fills of {oid} add up to its cumulative quantity"
        );
        assert_eq!(fee, dec(&v.fee, 9), "fees of {oid}");
        any_fill |= q > 0;
    }
    assert!(any_fill, "the flow filled nothing in {rounds} rounds");
    // Every fill is its own execution: positive quantity, a price at or better than the limit.
    for f in &s.strategy.fills {
        assert!(f.qty > 0 && f.price <= bid);
    }
    // Balances pushed with the order messages equal the simulator's.
    let btc = s.trading.asset("BTC").unwrap();
    let sim_btc = sim
        .balances()
        .into_iter()
        .find(|b| b.asset == "BTC")
        .unwrap();
    assert_eq!(s.trading.balance(btc).unwrap().0, dec(&sim_btc.total, 9));
}

#[test]
fn fill_arriving_with_the_cancel_and_refused_cancels() {
    let sim = sim("");
    let (mut e, mut s) = start(&sim, TradingConfig::default());
    ready(&mut e, &mut s);
    let (_, ask) = top(&sim, &s);
    let (lot, qs, _) = lot(&s);
    let mut h = None;
    // An IOC that takes at once, and its cancel sent in the same write: the fill wins, the cancel is refused.
    assert!(drive(&mut e, &mut s, 10, |s, cx| {
        if h.is_none() {
            let req = PlaceRequest {
                tif: TimeInForce::Ioc,
                ..PlaceRequest::limit(SYM, Side::Buy, ask, 100 * lot)
            };
            let x = s.trading.place(cx, &req).unwrap();
            s.trading.cancel(cx, x).unwrap();
            h = Some(x);
        }
        status(s, h.unwrap()).is_terminal() && s.trading.stats.cancels_refused > 0
    }));
    let h = h.unwrap();
    let oid = order_id(&s, h);
    let v = sim.order(&oid).unwrap();
    assert_eq!(v.status, "Filled");
    assert_eq!(status(&s, h), OrderStatus::Filled);
    assert_eq!(s.strategy.filled(&oid).0, dec(&v.filled_qty, qs));
    assert_eq!(s.strategy.fills.len(), 1);
    // Cancels the engine refuses itself: a filled order, and a handle that names nothing.
    let mut checked = false;
    drive(&mut e, &mut s, 2, |s, cx| {
        assert_eq!(s.trading.cancel(cx, h), Err(PlaceError::NotOpen));
        let stale = unsafe_stale_handle(s, cx);
        assert!(matches!(
            s.trading.cancel(cx, stale),
            Err(PlaceError::Track(_))
        ));
        checked = true;
        true
    });
    assert!(checked);
}

/// A handle the session never issued: made by a separate tracker, for a slot the session does not use.
fn unsafe_stale_handle(
    s: &mut ascendex_hft::venue::ascendex::session::Session<Rec>,
    _cx: &mut ascendex_hft::engine::Cx<'_>,
) -> OrderHandle {
    let mut t = ascendex_hft::orders::OrderTracker::new(8);
    let mut found = None;
    for i in 0..8u8 {
        let cid = ascendex_hft::orders::ClientId::new(&[b'z', b'a' + i, b'x']).unwrap();
        let h = t
            .insert(
                ascendex_hft::orders::NewOrder {
                    client_id: cid,
                    order_id: None,
                    symbol: SYM,
                    side: Side::Buy,
                    kind: ascendex_hft::orders::OrderKind::Limit,
                    tif: TimeInForce::Gtc,
                    post_only: false,
                    price: 1,
                    qty: 1,
                },
                0,
                1,
            )
            .unwrap();
        if found.is_none() && s.trading.order(h).is_none() {
            found = Some(h);
        }
    }
    found.expect("a slot the session does not use")
}

#[test]
fn batch_with_one_bad_order_sends_the_good_ones() {
    let sim = sim("");
    let (mut e, mut s) = start(&sim, TradingConfig::default());
    ready(&mut e, &mut s);
    let (bid, _) = top(&sim, &s);
    let (lot, _, _) = lot(&s);
    let mut res = Vec::new();
    assert!(drive(&mut e, &mut s, 10, |s, cx| {
        if res.is_empty() {
            let reqs = [
                PlaceRequest::post_only(SYM, Side::Buy, bid - 5_000, 100 * lot),
                // Below the minimum notional (5 USDT): refused before sending.
                PlaceRequest::post_only(SYM, Side::Buy, bid - 5_000, lot),
                PlaceRequest::post_only(SYM, Side::Buy, bid - 6_000, 100 * lot),
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
            .all(|&h| status(s, h) == OrderStatus::New)
    }));
    assert_eq!(res.len(), 3);
    assert!(res[0].is_ok() && res[2].is_ok());
    assert!(matches!(
        res[1],
        Err(PlaceError::Rule(RuleError::BelowMinNotional { .. }))
    ));
    assert_eq!(sim.open_orders().len(), 2);
}

#[test]
fn disconnect_with_orders_in_flight_orphans_nothing() {
    let sim = sim("");
    let (mut e, mut s) = start(&sim, TradingConfig::default());
    ready(&mut e, &mut s);
    let (bid, _) = top(&sim, &s);
    let (lot, qs, _) = lot(&s);
    let mut hs: Vec<OrderHandle> = Vec::new();
    // Resting orders near the top (some will fill while we are away), and the trade socket also subscribed to
    // depth so the simulator's close@N cuts it.
    assert!(drive(&mut e, &mut s, 10, |s, cx| {
        if hs.is_empty() {
            for k in 0..4 {
                let req = PlaceRequest::limit(SYM, Side::Buy, bid - k, 1500 * lot);
                hs.push(s.trading.place(cx, &req).unwrap());
            }
            let t = s.conns.trade.unwrap();
            cx.send_text(t, br#"{"op":"sub","id":"d1","ch":"depth:BTC/USDT"}"#)
                .unwrap();
        }
        hs.iter().all(|&h| status(s, h) != OrderStatus::PendingNew)
    }));
    let reconciles = s.trading.stats.reconciles;
    sim.inject("close@1:BTC/USDT").unwrap();
    sim.step(3);
    // While the socket is down, the flow keeps filling.
    for _ in 0..40 {
        sim.step(20);
    }
    assert!(sim.fault_log().iter().any(|f| f.kind == "close"));
    assert!(
        drive(&mut e, &mut s, 20, |s, _| {
            s.trading.stats.reconciles > reconciles
                && s.trading.is_ready()
                && s.trading.orders().all(|(_, o)| {
                    !matches!(o.status, OrderStatus::Unknown | OrderStatus::PendingNew)
                })
        }),
        "no reconciliation after the cut: {:?} {:?}",
        s.trading.stats,
        sim.fault_log()
    );
    drive(&mut e, &mut s, 1, |_, _| false);
    for &h in &hs {
        let oid = order_id(&s, h);
        let v = sim.order(&oid).unwrap();
        let o = *s.trading.order(h).unwrap();
        assert_eq!(o.status.as_str(), v.status, "{oid} after the reconnect");
        assert_eq!(o.cum_qty, dec(&v.filled_qty, qs));
        assert_eq!(
            s.strategy.filled(&oid).0,
            o.cum_qty,
            "fills of {oid} counted once"
        );
    }
    let open_sim = sim.open_orders().len();
    let open_ours = s.trading.open_orders().count();
    assert_eq!(open_sim, open_ours);
}

#[test]
fn wrong_secret_is_an_authentication_error() {
    let sim = sim("");
    let secret = "definitely-not-the-secret-0123456789";
    let cfg = config(&sim, Some(secret), TradingConfig::default());
    let mut engine = ascendex_hft::engine::Engine::new(
        ascendex_hft::net::tls::client_config(Some(&sim.ca_file())).unwrap(),
        ascendex_hft::venue::ascendex::session::SESSION_TIMERS,
    )
    .unwrap();
    let err = match ascendex_hft::venue::ascendex::session::bootstrap::start(
        &mut engine,
        cfg,
        Rec::default(),
    ) {
        Err(e) => e,
        Ok(_) => panic!("start-up accepted a wrong secret"),
    };
    assert!(matches!(err, SessionError::Auth(_)));
    let text = err.to_string();
    assert!(text.contains("authentication failed"), "{text}");
    assert!(!text.contains(secret));
    // The trade socket's own authentication failure is reported too (start-up facts given directly).
    let (mut e, mut s) = start_manual(&sim, Some(secret), TradingConfig::default());
    assert!(drive(&mut e, &mut s, 10, |s, _| s
        .trading
        .auth_error()
        .is_some()));
    assert!(!s.trading.is_ready());
    let msg = s.trading.auth_error().unwrap().to_string();
    assert!(!msg.contains(secret));
}

#[test]
fn clock_skew_is_measured_and_requests_still_sign() {
    let sim = sim("skew=40000");
    // Start-up measures the exchange clock before it signs `/api/pro/v1/info`, so a 40 s skew does not stop it.
    let cfg = config(&sim, None, TradingConfig::default());
    let mut engine = ascendex_hft::engine::Engine::new(
        ascendex_hft::net::tls::client_config(Some(&sim.ca_file())).unwrap(),
        ascendex_hft::venue::ascendex::session::SESSION_TIMERS,
    )
    .unwrap();
    if let Err(e) =
        ascendex_hft::venue::ascendex::session::bootstrap::start(&mut engine, cfg, Rec::default())
    {
        panic!("start-up under a 40 s clock skew failed: {e}");
    }
    assert!(
        sim.auth_variants()
            .iter()
            .any(|v| v.starts_with("rest:info")),
        "the signed /info call did not reach the exchange"
    );
    // The trading half measures the offset before it authenticates, and stamps orders with exchange time.
    let (mut e, mut s) = start_manual(&sim, None, TradingConfig::default());
    ready(&mut e, &mut s);
    let off = s.trading.clock_offset_ms().unwrap();
    assert!((39_000..=41_000).contains(&off), "offset {off}");
    let (bid, _) = top(&sim, &s);
    let (lot, _, _) = lot(&s);
    let mut h = None;
    assert!(drive(&mut e, &mut s, 10, |s, cx| {
        if h.is_none() {
            h = Some(
                s.trading
                    .place(
                        cx,
                        &PlaceRequest::post_only(SYM, Side::Buy, bid - 10_000, 100 * lot),
                    )
                    .unwrap(),
            );
        }
        status(s, h.unwrap()) == OrderStatus::New
    }));
    assert!(sim.order(&order_id(&s, h.unwrap())).is_some());
}

#[test]
fn rest_429_backs_off_and_retries() {
    let sim = sim("");
    let (mut e, mut s) = start(&sim, TradingConfig::default());
    ready(&mut e, &mut s);
    sim.inject("rest429@1").unwrap();
    let mut asked = false;
    assert!(drive(&mut e, &mut s, 15, |s, _| {
        if !asked {
            s.trading.request_balances();
            asked = true;
        }
        s.trading.stats.rest_429 == 1 && !s.trading.has_rest_work()
    }));
    assert!(sim.fault_log().iter().any(|f| f.kind == "rest429"));
    let usdt = s.trading.asset("USDT").unwrap();
    assert!(s.trading.balance(usdt).is_some());
}

#[test]
fn ws_budget_stays_below_the_exchange_threshold() {
    let mut cfg = SimConfig {
        rate: 0,
        ..SimConfig::default()
    };
    cfg.limits.order = (20, 30);
    let sim = sim_with(cfg);
    let (mut e, mut s) = start(&sim, TradingConfig::default());
    ready(&mut e, &mut s);
    let (bid, _) = top(&sim, &s);
    let (lot, _, _) = lot(&s);
    let mut throttled = 0;
    let mut sent = 0;
    drive(&mut e, &mut s, 3, |s, cx| {
        for _ in 0..50 {
            match s.trading.place(
                cx,
                &PlaceRequest::post_only(SYM, Side::Buy, bid - 20_000, 100 * lot),
            ) {
                Ok(_) => sent += 1,
                Err(PlaceError::Risk(_)) => throttled += 1,
                Err(e) => panic!("{e}"),
            }
        }
        true
    });
    drive(&mut e, &mut s, 2, |_, _| false);
    assert!(throttled > 0, "the budget never throttled");
    assert!(
        sent <= 16,
        "sent {sent} orders with a level-1 threshold of 20 (80 % margin)"
    );
    let log = sim.fault_log();
    assert!(
        !log.iter().any(|f| f.kind.starts_with("limit_level")),
        "{log:?}"
    );
}

#[test]
fn ban_holds_the_socket_off_and_rest_keeps_trading() {
    let mut cfg = SimConfig {
        rate: 0,
        ..SimConfig::default()
    };
    cfg.limits.admin = (1000, 1000);
    cfg.limits.req = (3, 5);
    cfg.limits.ban_ms = 60_000;
    let sim = sim_with(cfg);
    let (mut e, mut s) = start(&sim, TradingConfig::default());
    ready(&mut e, &mut s);
    // Something outside the engine's budget (another process on the same key) breaks the threshold.
    let mut flooded = false;
    assert!(drive(&mut e, &mut s, 10, |s, cx| {
        if !flooded {
            let t = s.conns.trade.unwrap();
            for i in 0..6 {
                let m = format!(
                    r#"{{"op":"req","action":"market-trades","id":"f{i}","args":{{"symbol":"BTC/USDT","level":1}}}}"#
                );
                let _ = cx.send_text(t, m.as_bytes());
            }
            flooded = true;
        }
        s.trading.stats.bans == 1
    }));
    assert!(sim.fault_log().iter().any(|f| f.kind == "limit_level2"));
    // Held off: no reconnect storm into the ban; orders go over REST meanwhile.
    let (bid, _) = top(&sim, &s);
    let (lot, _, _) = lot(&s);
    let mut h = None;
    assert!(drive(&mut e, &mut s, 10, |s, cx| {
        if h.is_none()
            && !s.trading.is_ready()
            && let Ok(x) = s.trading.place(
                cx,
                &PlaceRequest::post_only(SYM, Side::Buy, bid - 10_000, 100 * lot),
            )
        {
            h = Some(x);
        }
        h.is_some_and(|h| status(s, h) == OrderStatus::New)
    }));
    assert!(s.trading.stats.placed_rest >= 1);
    // Only the market-data socket (opened before the ban) remains; the trade socket stays away.
    assert!(sim.ws_sessions() <= 1, "{} sessions", sim.ws_sessions());
}

#[test]
fn rest_5xx_is_retried_within_the_bound() {
    let sim = sim("");
    let (mut e, mut s) = start(&sim, TradingConfig::default());
    ready(&mut e, &mut s);
    sim.inject("rest5xx@1").unwrap();
    let mut asked = false;
    assert!(drive(&mut e, &mut s, 15, |s, _| {
        if !asked {
            s.trading.request_balances();
            asked = true;
        }
        s.trading.stats.rest_5xx == 1
            && s.trading.stats.rest_retries >= 1
            && !s.trading.has_rest_work()
    }));
    assert!(sim.fault_log().iter().any(|f| f.kind == "rest5xx"));
}

#[test]
fn kill_cancels_everything_and_refuses_new_orders() {
    let sim = sim("");
    let (mut e, mut s) = start(&sim, TradingConfig::default());
    ready(&mut e, &mut s);
    let (bid, _) = top(&sim, &s);
    let (lot, _, _) = lot(&s);
    let mut n = 0;
    assert!(drive(&mut e, &mut s, 10, |s, cx| {
        if n == 0 {
            for k in 0..3 {
                s.trading
                    .place(
                        cx,
                        &PlaceRequest::post_only(SYM, Side::Buy, bid - 10_000 - k, 100 * lot),
                    )
                    .unwrap();
            }
            n = 3;
        }
        s.trading
            .orders()
            .all(|(_, o)| o.status == OrderStatus::New)
    }));
    assert_eq!(sim.open_orders().len(), 3);
    let mut killed = false;
    assert!(drive(&mut e, &mut s, 10, |s, cx| {
        if !killed {
            s.trading.kill(cx);
            killed = true;
            let r = s.trading.place(
                cx,
                &PlaceRequest::post_only(SYM, Side::Buy, bid - 10_000, 100 * lot),
            );
            assert_eq!(r, Err(PlaceError::Killed));
        }
        s.trading.open_orders().count() == 0
    }));
    assert!(sim.open_orders().is_empty());
    assert_eq!(
        s.strategy
            .orders
            .iter()
            .filter(|e| e.0 == OrderEventKind::Canceled)
            .count(),
        3
    );
}

#[test]
fn graceful_shutdown_cancels_open_orders_and_waits_for_them() {
    let sim = sim("");
    let (mut e, mut s) = start(&sim, TradingConfig::default());
    ready(&mut e, &mut s);
    let (bid, _) = top(&sim, &s);
    let (lot, _, _) = lot(&s);
    let mut placed = false;
    assert!(drive(&mut e, &mut s, 10, |s, cx| {
        if !placed {
            for k in 0..2 {
                s.trading
                    .place(
                        cx,
                        &PlaceRequest::post_only(SYM, Side::Sell, bid * 2 + k, 100 * lot),
                    )
                    .unwrap();
            }
            placed = true;
        }
        s.trading
            .orders()
            .all(|(_, o)| o.status == OrderStatus::New)
    }));
    assert_eq!(sim.open_orders().len(), 2);
    s.shutdown(&mut e, std::time::Duration::from_secs(5))
        .unwrap();
    assert!(s.trading.shutdown_done());
    assert!(sim.open_orders().is_empty());
    assert_eq!(s.trading.open_orders().count(), 0);
}
