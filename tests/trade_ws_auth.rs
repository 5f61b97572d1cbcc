//! The trade socket's two ways to authenticate, against the in-process simulator over real TLS: signed `x-auth-*`
//! headers on the upgrade (the default: ready when the upgrade succeeds) and the `op:auth` message. A refused
//! signature, re-signing at every reconnect with the exchange clock, and the connect-to-ready time of both modes.

#[path = "trade_session/common.rs"]
mod common;

use ascendex_hft::engine::{ConnState, Engine};
use ascendex_hft::orders::types::{OrderStatus, Side};
use ascendex_hft::strategy::PlaceRequest;
use ascendex_hft::venue::ascendex::session::bootstrap::wall_ms;
use ascendex_hft::venue::ascendex::session::trading::{TradeAuthError, WsAuthMode};
use ascendex_hft::venue::ascendex::session::{Session, TradingConfig};
use ascendex_sim::SimHandle;
use common::*;

fn header_auths(sim: &SimHandle) -> usize {
    sim.auth_variants()
        .iter()
        .filter(|v| v.starts_with("ws-header:stream:"))
        .count()
}

fn message_auths(sim: &SimHandle) -> usize {
    sim.auth_variants()
        .iter()
        .filter(|v| v.starts_with("ws:stream:"))
        .count()
}

/// Places a post-only buy well below the market over the socket and waits until the exchange has it resting.
fn order_goes_through_the_socket(sim: &SimHandle, e: &mut Engine, s: &mut Session<Rec>) {
    let (bid, _) = top(sim, s);
    let (lot, _, _) = lot(s);
    let ws_before = s.trading.stats.placed_ws;
    let mut h = None;
    assert!(drive(e, s, 10, |s, cx| {
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
        s.trading.order(h.unwrap()).unwrap().status == OrderStatus::New
    }));
    assert_eq!(
        s.trading.stats.placed_ws,
        ws_before + 1,
        "sent over the socket"
    );
    let oid = s.trading.order(h.unwrap()).unwrap().order_id;
    assert!(sim.order(oid.as_str()).is_some());
}

/// Drops the trade socket and waits for the new one to be authenticated and subscribed again.
fn reconnect(e: &mut Engine, s: &mut Session<Rec>) {
    let mut phase = 0;
    assert!(
        drive(e, s, 10, |s, cx| {
            let t = s.conns.trade.unwrap();
            match phase {
                0 => {
                    cx.reconnect(t);
                    phase = 1;
                }
                1 if cx.state(t) != ConnState::Open => phase = 2,
                2 if cx.state(t) == ConnState::Open
                    && s.trading.ws_connect_timing().subscribed_ns.is_some() =>
                {
                    return true;
                }
                _ => {}
            }
            false
        }),
        "the trade socket did not come back: {:?} {:?}",
        s.trading.auth_error(),
        s.trading.stats
    );
}

#[test]
fn header_auth_is_the_default_and_orders_flow() {
    let sim = sim("");
    let (mut e, mut s) = start(&sim, TradingConfig::default());
    assert_eq!(s.trading.ws_auth_mode(), WsAuthMode::Header);
    ready(&mut e, &mut s);
    assert_eq!(header_auths(&sim), 1, "{:?}", sim.auth_variants());
    assert_eq!(message_auths(&sim), 0, "no op:auth message in header mode");
    let t = s.trading.ws_connect_timing();
    // Authenticated the moment the upgrade succeeded, no message round trip.
    assert_eq!(t.auth_ns, t.open_ns);
    assert!(t.subscribed_ns >= t.auth_ns && t.subscribed_ns.is_some());
    assert!(s.trading.auth_error().is_none());
    assert_eq!(s.trading.stats.auth_failures, 0);
    // The connection's description names the signed headers, never their values.
    let spec = s.trading.trade_ws_spec(&sim.ws_url()).unwrap();
    let d = format!("{spec:?}");
    assert!(d.contains("Fresh"), "{d}");
    assert!(
        !d.contains(&sim.api_key()) && !d.contains(&sim.api_secret()),
        "{d}"
    );
    order_goes_through_the_socket(&sim, &mut e, &mut s);
}

#[test]
fn wrong_secret_refuses_the_upgrade_and_backs_off() {
    let sim = sim("");
    let secret = "definitely-not-the-secret-0123456789";
    let (mut e, mut s) = start_manual(&sim, Some(secret), TradingConfig::default());
    assert!(
        drive(&mut e, &mut s, 10, |s, _| s.trading.auth_error().is_some()),
        "no authentication error surfaced: {:?}",
        s.trading.stats
    );
    assert_eq!(
        s.trading.auth_error(),
        Some(&TradeAuthError::UpgradeRefused { status: 401 })
    );
    let msg = s.trading.auth_error().unwrap().to_string();
    assert!(msg.contains("401") && msg.contains("secret"), "{msg}");
    assert!(!msg.contains(secret));
    assert!(!format!("{:?}", s.trading.auth_error()).contains(secret));
    // No hot reconnect loop: over the next 4 s at most one more attempt (the first upgrade may have been signed
    // before the exchange clock was measured; a refusal of one signed with the measured clock holds the socket off
    // for 10 s).
    let signed = s.trading.upgrades_signed();
    let failures = s.trading.stats.auth_failures;
    drive(&mut e, &mut s, 4, |_, _| false);
    let more = s.trading.upgrades_signed() - signed;
    assert!(more <= 1, "{more} upgrade attempts in 4 s");
    assert_eq!(s.trading.stats.auth_failures - failures, more);
    assert!(!s.trading.is_ready());
    assert_eq!(header_auths(&sim), 0);
    // Only the market-data socket is up at the exchange.
    assert_eq!(sim.ws_sessions(), 1);
    drop((e, s));
    // With the exchange clock known before the first upgrade (as `bootstrap::start` does), the first refusal
    // already holds the socket off.
    let (mut e, mut s) = start_manual(&sim, Some(secret), TradingConfig::default());
    s.trading.seed_clock_offset(0);
    assert!(drive(&mut e, &mut s, 10, |s, _| s
        .trading
        .auth_error()
        .is_some()));
    drive(&mut e, &mut s, 3, |_, _| false);
    assert_eq!(s.trading.upgrades_signed(), 1);
    assert_eq!(s.trading.stats.auth_failures, 1);
}

#[test]
fn wrong_secret_refused_by_message_drops_the_socket_and_backs_off() {
    let sim = sim("");
    let secret = "definitely-not-the-secret-0123456789";
    let cfg = TradingConfig {
        ws_auth: WsAuthMode::Message,
        ..TradingConfig::default()
    };
    let (mut e, mut s) = start_manual(&sim, Some(secret), cfg);
    assert!(drive(&mut e, &mut s, 10, |s, _| s
        .trading
        .auth_error()
        .is_some()));
    let err = s.trading.auth_error().unwrap().clone();
    assert!(
        matches!(err, TradeAuthError::Refused { code, .. } if code != 0),
        "{err:?}"
    );
    assert!(!err.to_string().contains(secret));
    // The refused socket is dropped and not retried within the hold.
    drive(&mut e, &mut s, 4, |_, _| false);
    assert_eq!(s.trading.stats.auth_failures, 1);
    assert_eq!(
        sim.ws_sessions(),
        1,
        "only the market-data socket stays connected"
    );
    assert!(!s.trading.is_ready());
}

#[test]
fn every_reconnect_signs_afresh() {
    let sim = sim("");
    let (mut e, mut s) = start(&sim, TradingConfig::default());
    ready(&mut e, &mut s);
    let ts1 = s.trading.last_upgrade_timestamp_ms().unwrap();
    let n1 = s.trading.upgrades_signed();
    drive(&mut e, &mut s, 1, |_, _| false);
    reconnect(&mut e, &mut s);
    let ts2 = s.trading.last_upgrade_timestamp_ms().unwrap();
    assert_eq!(s.trading.upgrades_signed(), n1 + 1);
    assert!(ts2 >= ts1 + 900, "new timestamp {ts2} vs {ts1}");
    assert!(ts2.abs_diff(wall_ms()) < 5_000);
    assert_eq!(header_auths(&sim), 2, "{:?}", sim.auth_variants());
    order_goes_through_the_socket(&sim, &mut e, &mut s);
}

#[test]
fn upgrade_is_signed_with_the_exchange_clock() {
    // The exchange clock runs 40 s ahead, beyond the 30 s window. Start-up facts are given directly, so the first
    // upgrade may be signed before the trading half has measured the offset (refused, retried without the long
    // hold); once measured, every upgrade carries exchange time.
    let sim = sim("skew=40000");
    let (mut e, mut s) = start_manual(&sim, None, TradingConfig::default());
    ready(&mut e, &mut s);
    let off = s.trading.clock_offset_ms().unwrap();
    assert!((39_000..=41_000).contains(&off), "offset {off}");
    let ts = s.trading.last_upgrade_timestamp_ms().unwrap() as i64;
    let expect = wall_ms() as i64 + 40_000;
    assert!(
        (ts - expect).abs() < 5_000,
        "upgrade signed at {ts}, exchange time ~{expect}"
    );
    assert!(header_auths(&sim) >= 1);
    reconnect(&mut e, &mut s);
    let ts2 = s.trading.last_upgrade_timestamp_ms().unwrap() as i64;
    assert!(ts2 >= ts && (ts2 - (wall_ms() as i64 + 40_000)).abs() < 5_000);
    order_goes_through_the_socket(&sim, &mut e, &mut s);
}

#[test]
fn headers_lost_on_the_way_fall_back_to_the_auth_message() {
    // The upgrade reaches the exchange without our headers: it answers `connected` `unauth`, and the session
    // authenticates by message on that socket instead of trading on an unauthenticated one.
    let sim = sim("");
    let (mut e, mut s) = start_manual_opts(&sim, None, TradingConfig::default(), |_| {}, false);
    assert_eq!(s.trading.ws_auth_mode(), WsAuthMode::Header);
    ready(&mut e, &mut s);
    assert_eq!(s.trading.stats.header_auth_fallbacks, 1);
    assert_eq!(header_auths(&sim), 0);
    assert_eq!(message_auths(&sim), 1, "{:?}", sim.auth_variants());
    order_goes_through_the_socket(&sim, &mut e, &mut s);
}

#[test]
fn op_auth_message_mode_still_works() {
    let sim = sim("");
    let cfg = TradingConfig {
        ws_auth: WsAuthMode::Message,
        ..TradingConfig::default()
    };
    let (mut e, mut s) = start(&sim, cfg);
    assert_eq!(s.trading.ws_auth_mode(), WsAuthMode::Message);
    ready(&mut e, &mut s);
    assert_eq!(message_auths(&sim), 1, "{:?}", sim.auth_variants());
    assert_eq!(header_auths(&sim), 0);
    assert_eq!(s.trading.upgrades_signed(), 0);
    let t = s.trading.ws_connect_timing();
    assert!(t.auth_ns > t.open_ns, "{t:?}");
    order_goes_through_the_socket(&sim, &mut e, &mut s);
    reconnect(&mut e, &mut s);
    assert_eq!(message_auths(&sim), 2);
    // Ready-ack mode travels in the auth message: it overrides the header setting.
    let (mut e2, mut s2) = start(
        &sim,
        TradingConfig {
            ready_ack: true,
            ..TradingConfig::default()
        },
    );
    assert_eq!(s2.trading.ws_auth_mode(), WsAuthMode::Message);
    ready(&mut e2, &mut s2);
    assert_eq!(message_auths(&sim), 3);
}

fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

/// Connect-to-ready of the trade socket in both modes, reconnects interleaved in the same run against one
/// simulator. Prints the medians; asserts only what holds on any machine (header mode is authenticated at the
/// upgrade, message mode after it).
#[test]
fn connect_to_ready_both_ways() {
    const N: usize = 21;
    let sim = sim("");
    let (mut eh, mut sh) = start(&sim, TradingConfig::default());
    let (mut em, mut sm) = start(
        &sim,
        TradingConfig {
            ws_auth: WsAuthMode::Message,
            ..TradingConfig::default()
        },
    );
    ready(&mut eh, &mut sh);
    ready(&mut em, &mut sm);
    let mut h = [Vec::new(), Vec::new(), Vec::new()];
    let mut m = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..N {
        for (e, s, out) in [(&mut eh, &mut sh, &mut h), (&mut em, &mut sm, &mut m)] {
            reconnect(e, s);
            let t = s.trading.ws_connect_timing();
            let (open, auth, sub) = (
                t.open_ns.unwrap(),
                t.auth_ns.unwrap(),
                t.subscribed_ns.unwrap(),
            );
            out[0].push(open);
            out[1].push(auth);
            out[2].push(sub);
        }
    }
    for i in 0..N {
        assert_eq!(
            h[1][i], h[0][i],
            "header mode: authenticated at the upgrade"
        );
        assert!(
            m[1][i] > m[0][i],
            "message mode: authenticated after the upgrade"
        );
    }
    let us = |v: &mut Vec<u64>| median(v) as f64 / 1000.0;
    eprintln!(
        "trade socket connect-to-ready, median of {N} reconnects (us): header: open {:.0} auth {:.0} subscribed {:.0} | op:auth: open {:.0} auth {:.0} subscribed {:.0}",
        us(&mut h[0]),
        us(&mut h[1]),
        us(&mut h[2]),
        us(&mut m[0]),
        us(&mut m[1]),
        us(&mut m[2]),
    );
}
