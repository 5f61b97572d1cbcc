//! Order tracker: state machine, fill derivation and dedup across sources, staleness, capacity, reconciliation.

use ascendex_hft::orders::*;

fn cid(s: &str) -> ClientId {
    ClientId::new(s.as_bytes()).unwrap()
}
fn oid(s: &str) -> OrderId {
    OrderId::new(s.as_bytes()).unwrap()
}

fn new_order(c: &str, o: Option<&str>) -> NewOrder {
    NewOrder {
        client_id: cid(c),
        order_id: o.map(oid),
        symbol: SymbolId(0),
        side: Side::Buy,
        kind: OrderKind::Limit,
        tif: TimeInForce::Gtc,
        post_only: true,
        price: 10_000,
        qty: 1_000,
    }
}

fn upd(
    o: &str,
    seq: Option<u64>,
    st: ReportedStatus,
    cq: i64,
    ap: i64,
    cf: i64,
    src: Source,
) -> OrderUpdate {
    OrderUpdate {
        order_id: oid(o),
        seq,
        status: st,
        cum_qty: cq,
        avg_px: ap,
        cum_fee: cf,
        ts_ms: 1,
        source: src,
    }
}

const MS: u64 = 1_000_000;

#[test]
fn lifecycle_new_partial_filled() {
    let mut t = OrderTracker::new(8);
    let h = t.insert(new_order("c1", Some("o1")), 0, 100 * MS).unwrap();
    assert_eq!(t.get(h).unwrap().status, OrderStatus::PendingNew);
    assert_eq!(t.by_client_id(&cid("c1")), Some(h));
    assert_eq!(t.by_order_id(&oid("o1")), Some(h));
    assert_eq!(t.live_count(), 1);

    let a = t
        .apply(&upd(
            "o1",
            Some(1),
            ReportedStatus::New,
            0,
            0,
            0,
            Source::WsPush,
        ))
        .unwrap();
    assert_eq!(
        (a.status, a.status_changed, a.fill),
        (OrderStatus::New, true, None)
    );
    assert_eq!(
        t.get(h).unwrap().deadline_ns,
        0,
        "confirmation clears the ack timeout"
    );

    let a = t
        .apply(&upd(
            "o1",
            Some(2),
            ReportedStatus::PartiallyFilled,
            400,
            10_000,
            4,
            Source::WsPush,
        ))
        .unwrap();
    let f = a.fill.unwrap();
    assert_eq!(
        (f.qty, f.price, f.fee, f.client_id),
        (400, 10_000, 4, cid("c1"))
    );
    assert_eq!(a.status, OrderStatus::PartiallyFilled);

    // Second execution at 9_900: avg of 1000 @ (400*10000 + 600*9900)/1000 = 9940.
    let a = t
        .apply(&upd(
            "o1",
            Some(3),
            ReportedStatus::Filled,
            1000,
            9_940,
            10,
            Source::WsPush,
        ))
        .unwrap();
    let f = a.fill.unwrap();
    assert_eq!((f.qty, f.price, f.fee), (600, 9_900, 6));
    assert_eq!(a.status, OrderStatus::Filled);
    assert_eq!(t.live_count(), 0);
    // Still remembered: a late duplicate is recognised and changes nothing.
    let a = t
        .apply(&upd(
            "o1",
            Some(3),
            ReportedStatus::Filled,
            1000,
            9_940,
            10,
            Source::RestStatus,
        ))
        .unwrap();
    assert!(a.stale && a.fill.is_none());
}

#[test]
fn fill_price_rounds_half_away_from_zero() {
    let mut t = OrderTracker::new(2);
    t.insert(new_order("c", Some("o")), 0, MS).unwrap();
    t.apply(&upd(
        "o",
        Some(1),
        ReportedStatus::PartiallyFilled,
        3,
        100,
        0,
        Source::WsPush,
    ))
    .unwrap();
    // Avg 101 over 5: notional 505 - 300 = 205 over 2 = 102.5 → 103.
    let a = t
        .apply(&upd(
            "o",
            Some(2),
            ReportedStatus::PartiallyFilled,
            5,
            101,
            0,
            Source::WsPush,
        ))
        .unwrap();
    assert_eq!(a.fill.unwrap().price, 103);
}

/// Every order of three sources reporting the same two executions must yield exactly those two fills' quantity.
#[test]
fn fills_never_counted_twice_in_any_order() {
    let reports = [
        upd(
            "o",
            Some(5),
            ReportedStatus::PartiallyFilled,
            400,
            10_000,
            4,
            Source::WsPush,
        ),
        upd(
            "o",
            Some(5),
            ReportedStatus::PartiallyFilled,
            400,
            10_000,
            4,
            Source::RestStatus,
        ),
        upd(
            "o",
            Some(9),
            ReportedStatus::Filled,
            1000,
            9_940,
            10,
            Source::WsPush,
        ),
        upd(
            "o",
            Some(9),
            ReportedStatus::Filled,
            1000,
            9_940,
            10,
            Source::RestHistory,
        ),
        upd(
            "o",
            None,
            ReportedStatus::Filled,
            1000,
            9_940,
            10,
            Source::RestReply,
        ),
        upd("o", Some(3), ReportedStatus::New, 0, 0, 0, Source::WsPush),
    ];
    let n = reports.len();
    let mut perm: Vec<usize> = (0..n).collect();
    let mut count = 0;
    // Heap's algorithm over all 720 orders.
    let mut c = vec![0usize; n];
    let check = |perm: &[usize]| {
        let mut t = OrderTracker::new(4);
        t.insert(new_order("c", Some("o")), 0, MS).unwrap();
        let (mut q, mut fee, mut notional) = (0i64, 0i64, 0i128);
        for &i in perm {
            let a = t.apply(&reports[i]).unwrap();
            if let Some(f) = a.fill {
                q += f.qty;
                fee += f.fee;
                notional += f.price as i128 * f.qty as i128;
            }
        }
        let o = t.get(t.by_order_id(&oid("o")).unwrap()).unwrap();
        assert_eq!(q, 1000, "perm {perm:?}");
        assert_eq!(fee, 10, "perm {perm:?}");
        assert_eq!(notional, 9_940 * 1000, "perm {perm:?}");
        assert_eq!(o.status, OrderStatus::Filled, "perm {perm:?}");
        assert_eq!(o.cum_qty, 1000);
    };
    check(&perm);
    count += 1;
    let mut i = 0;
    while i < n {
        if c[i] < i {
            if i % 2 == 0 {
                perm.swap(0, i);
            } else {
                perm.swap(c[i], i);
            }
            check(&perm);
            count += 1;
            c[i] += 1;
            i = 0;
        } else {
            c[i] = 0;
            i += 1;
        }
    }
    assert_eq!(count, 720);
}

#[test]
fn stale_updates_ignored() {
    let mut t = OrderTracker::new(4);
    let h = t.insert(new_order("c", Some("o")), 0, MS).unwrap();
    t.apply(&upd(
        "o",
        Some(10),
        ReportedStatus::PartiallyFilled,
        500,
        100,
        1,
        Source::WsPush,
    ))
    .unwrap();
    // Older sequence number.
    let a = t
        .apply(&upd(
            "o",
            Some(9),
            ReportedStatus::New,
            0,
            0,
            0,
            Source::RestStatus,
        ))
        .unwrap();
    assert!(a.stale);
    // No sequence number, lower cumulative quantity.
    let a = t
        .apply(&upd(
            "o",
            None,
            ReportedStatus::PartiallyFilled,
            300,
            100,
            1,
            Source::RestReply,
        ))
        .unwrap();
    assert!(a.stale);
    // No sequence number, same quantity, earlier state.
    let a = t
        .apply(&upd(
            "o",
            None,
            ReportedStatus::New,
            500,
            100,
            1,
            Source::RestReply,
        ))
        .unwrap();
    assert!(a.stale);
    let o = t.get(h).unwrap();
    assert_eq!(
        (o.status, o.cum_qty, o.last_seq),
        (OrderStatus::PartiallyFilled, 500, 10)
    );
}

#[test]
fn illegal_transitions_refused() {
    let mut t = OrderTracker::new(4);
    let h = t.insert(new_order("c", Some("o")), 0, MS).unwrap();
    // Cannot refuse a cancel that was never requested.
    assert!(matches!(t.cancel_refused(h), Err(TrackError::Illegal(_))));
    t.apply(&upd(
        "o",
        Some(1),
        ReportedStatus::New,
        0,
        0,
        0,
        Source::WsPush,
    ))
    .unwrap();
    // A request rejection after the engine confirmed the order is illegal.
    assert!(matches!(t.request_rejected(h), Err(TrackError::Illegal(_))));
    t.apply(&upd(
        "o",
        Some(2),
        ReportedStatus::Canceled,
        0,
        0,
        0,
        Source::WsPush,
    ))
    .unwrap();
    // Terminal: no cancel, no resurrection.
    assert!(matches!(
        t.cancel_requested(h, 0, MS),
        Err(TrackError::Illegal(_))
    ));
    let a = t
        .apply(&upd(
            "o",
            Some(3),
            ReportedStatus::New,
            0,
            0,
            0,
            Source::WsPush,
        ))
        .unwrap();
    assert_eq!(a.status, OrderStatus::Canceled);
    assert!(a.stale);
    // Double cancel request.
    let h2 = t.insert(new_order("c2", Some("o2")), 0, MS).unwrap();
    t.cancel_requested(h2, 0, MS).unwrap();
    assert!(matches!(
        t.cancel_requested(h2, 0, MS),
        Err(TrackError::Illegal(_))
    ));
    // The pure rule table.
    let o = *t.get(h).unwrap();
    assert!(transition(&o, Event::TimedOut).is_err());
    assert_eq!(
        transition(&o, Event::Reported(ReportedStatus::Canceled)),
        Ok(OrderStatus::Canceled)
    );
    assert!(transition(&o, Event::Reported(ReportedStatus::Filled)).is_err());
}

#[test]
fn cancel_flow_and_refusal() {
    let mut t = OrderTracker::new(4);
    let h = t.insert(new_order("c", Some("o")), 0, MS).unwrap();
    t.apply(&upd(
        "o",
        Some(1),
        ReportedStatus::PartiallyFilled,
        100,
        10_000,
        0,
        Source::WsPush,
    ))
    .unwrap();
    t.cancel_requested(h, 10, 50).unwrap();
    assert_eq!(t.get(h).unwrap().status, OrderStatus::PendingCancel);
    // A fill while the cancel is in flight: still PendingCancel, fill reported.
    let a = t
        .apply(&upd(
            "o",
            Some(2),
            ReportedStatus::PartiallyFilled,
            200,
            10_000,
            0,
            Source::WsPush,
        ))
        .unwrap();
    assert_eq!(
        (a.status, a.fill.unwrap().qty),
        (OrderStatus::PendingCancel, 100)
    );
    // Refused (too late): back to the confirmed state.
    assert_eq!(t.cancel_refused(h), Ok(OrderStatus::PartiallyFilled));
    t.cancel_requested(h, 100, 50).unwrap();
    let a = t
        .apply(&upd(
            "o",
            Some(3),
            ReportedStatus::Canceled,
            200,
            10_000,
            0,
            Source::WsPush,
        ))
        .unwrap();
    assert_eq!((a.status, a.fill), (OrderStatus::Canceled, None));
    assert_eq!(t.live_count(), 0);
}

#[test]
fn timeouts_turn_unknown_and_resolve() {
    let mut t = OrderTracker::new(4);
    let h1 = t.insert(new_order("c1", Some("o1")), 0, 100).unwrap();
    let h2 = t.insert(new_order("c2", Some("o2")), 0, 1_000).unwrap();
    let mut expired = Vec::new();
    assert_eq!(t.expire(99, |h, _| expired.push(h)), 0);
    assert_eq!(t.expire(100, |h, _| expired.push(h)), 1);
    assert_eq!(expired, vec![h1]);
    assert_eq!(t.get(h1).unwrap().status, OrderStatus::Unknown);
    assert_eq!(t.get(h2).unwrap().status, OrderStatus::PendingNew);
    // Expire again: nothing new.
    assert_eq!(t.expire(200, |_, _| {}), 0);
    // The status query answers: it was filled.
    let a = t
        .apply(&upd(
            "o1",
            Some(4),
            ReportedStatus::Filled,
            1000,
            10_000,
            3,
            Source::RestStatus,
        ))
        .unwrap();
    assert_eq!((a.status, a.fill.unwrap().qty), (OrderStatus::Filled, 1000));
    // An error reply: Rejected, nothing placed.
    assert_eq!(t.request_rejected(h2), Ok(OrderStatus::Rejected));
    // A cancel that times out also becomes Unknown.
    let h3 = t.insert(new_order("c3", Some("o3")), 0, 10).unwrap();
    t.apply(&upd(
        "o3",
        Some(1),
        ReportedStatus::New,
        0,
        0,
        0,
        Source::WsPush,
    ))
    .unwrap();
    t.cancel_requested(h3, 500, 10).unwrap();
    assert_eq!(t.expire(510, |_, _| {}), 1);
    assert_eq!(t.get(h3).unwrap().status, OrderStatus::Unknown);
    let a = t
        .apply(&upd(
            "o3",
            Some(2),
            ReportedStatus::New,
            0,
            0,
            0,
            Source::RestStatus,
        ))
        .unwrap();
    assert_eq!(
        a.status,
        OrderStatus::New,
        "cancel lost: the order is still open"
    );
}

#[test]
fn the_answer_wait_restarts_when_a_queued_request_leaves() {
    let mut t = OrderTracker::new(4);
    let h = t.insert(new_order("c1", None), 0, 100).unwrap();
    // Queued until 90 (a REST hold), sent then: the answer is due at 190, not at 100.
    t.request_sent(h, 90, 100);
    assert_eq!(t.expire(150, |_, _| {}), 0);
    assert_eq!(t.get(h).unwrap().status, OrderStatus::PendingNew);
    assert_eq!(t.expire(190, |_, _| {}), 1);
    assert_eq!(t.get(h).unwrap().status, OrderStatus::Unknown);
    // No longer pending: nothing to restart, and no new expiry.
    t.request_sent(h, 1_000, 100);
    assert_eq!(t.expire(5_000, |_, _| {}), 0);
    assert_eq!(t.get(h).unwrap().status, OrderStatus::Unknown);
}

#[test]
fn ack_sets_order_id_and_duplicates_refused() {
    let mut t = OrderTracker::new(4);
    let h = t.insert(new_order("c1", None), 0, MS).unwrap();
    assert!(
        t.apply(&upd(
            "o1",
            None,
            ReportedStatus::New,
            0,
            0,
            0,
            Source::WsPush
        ))
        .is_err()
    );
    t.acknowledged(h, Some(oid("o1"))).unwrap();
    assert_eq!(t.by_order_id(&oid("o1")), Some(h));
    assert_eq!(
        t.insert(new_order("c1", None), 0, MS),
        Err(TrackError::DuplicateClientId)
    );
    assert_eq!(
        t.insert(new_order("c2", Some("o1")), 0, MS),
        Err(TrackError::DuplicateOrderId)
    );
    // Correcting a mispredicted id re-indexes.
    t.set_order_id(h, oid("o1b")).unwrap();
    assert_eq!(t.by_order_id(&oid("o1")), None);
    assert_eq!(t.by_order_id(&oid("o1b")), Some(h));
    assert_eq!(
        t.apply(&upd(
            "zz",
            None,
            ReportedStatus::New,
            0,
            0,
            0,
            Source::WsPush
        )),
        Err(TrackError::UnknownOrder)
    );
}

#[test]
fn capacity_evicts_oldest_terminal_never_live() {
    let mut t = OrderTracker::new(2);
    let h1 = t.insert(new_order("c1", Some("o1")), 0, MS).unwrap();
    let _h2 = t.insert(new_order("c2", Some("o2")), 0, MS).unwrap();
    assert_eq!(
        t.insert(new_order("c3", Some("o3")), 0, MS),
        Err(TrackError::Full)
    );
    t.apply(&upd(
        "o1",
        Some(1),
        ReportedStatus::Canceled,
        0,
        0,
        0,
        Source::WsPush,
    ))
    .unwrap();
    let h3 = t.insert(new_order("c3", Some("o3")), 0, MS).unwrap();
    assert_eq!(t.get(h1), None, "evicted handle no longer resolves");
    assert_eq!(t.by_order_id(&oid("o1")), None);
    assert_eq!(t.get(h3).unwrap().client_id, cid("c3"));
    assert_eq!(
        t.insert(new_order("c4", Some("o4")), 0, MS),
        Err(TrackError::Full)
    );
}

#[test]
fn churn_keeps_indexes_consistent() {
    // Many more orders than slots; tombstones must not break lookups.
    let mut t = OrderTracker::new(16);
    for i in 0..5_000u32 {
        let c = format!("c{i}");
        let o = format!("o{i}");
        let h = t.insert(new_order(&c, Some(&o)), 0, MS).unwrap();
        assert_eq!(t.by_client_id(&cid(&c)), Some(h));
        t.apply(&upd(
            &o,
            Some(1),
            ReportedStatus::Filled,
            1000,
            10_000,
            0,
            Source::WsPush,
        ))
        .unwrap();
        if i % 3 == 0 {
            t.release(h).unwrap();
            assert_eq!(t.by_order_id(&oid(&o)), None);
        }
    }
    assert_eq!(t.live_count(), 0);
    let remembered = t.iter().count();
    assert!(remembered > 0 && remembered <= 16);
}

fn report(o: &str, st: ReportedStatus, cq: i64, seq: u64) -> OpenOrderReport {
    OpenOrderReport {
        update: upd(
            o,
            Some(seq),
            st,
            cq,
            if cq > 0 { 10_000 } else { 0 },
            0,
            Source::OpenOrders,
        ),
        symbol: SymbolId(0),
        side: Side::Sell,
        kind: OrderKind::Limit,
        post_only: false,
        price: 10_100,
        qty: 1_000,
    }
}

#[test]
fn reconcile_adopts_updates_and_queries_missing() {
    let mut t = OrderTracker::new(8);
    let tracked = t.insert(new_order("c1", Some("ours-1")), 10, MS).unwrap();
    t.apply(&upd(
        "ours-1",
        Some(1),
        ReportedStatus::New,
        0,
        0,
        0,
        Source::WsPush,
    ))
    .unwrap();
    let missing = t.insert(new_order("c2", Some("ours-2")), 20, MS).unwrap();
    let too_new = t
        .insert(new_order("c3", Some("ours-3")), 1_000, MS)
        .unwrap();
    let list = [
        report("ours-1", ReportedStatus::PartiallyFilled, 300, 5),
        report("ours-9", ReportedStatus::New, 0, 7),
        report("manual-1", ReportedStatus::New, 0, 8),
    ];
    let mut out = Vec::new();
    reconcile(
        &mut t,
        &list,
        500,
        |id| id.as_str().starts_with("ours"),
        &mut out,
    );
    assert_eq!(out.len(), 4, "{out:?}");
    match out[0] {
        ReconcileAction::Updated(a) => {
            assert_eq!(a.handle, tracked);
            assert_eq!(
                a.fill.unwrap().qty,
                300,
                "fill missed while away comes out once"
            );
        }
        ref other => panic!("{other:?}"),
    }
    let adopted = match out[1] {
        ReconcileAction::Adopted(h) => h,
        ref other => panic!("{other:?}"),
    };
    let o = t.get(adopted).unwrap();
    assert_eq!(
        (o.status, o.side, o.price, o.qty),
        (OrderStatus::New, Side::Sell, 10_100, 1_000)
    );
    assert_eq!(out[2], ReconcileAction::Foreign(oid("manual-1")));
    assert_eq!(out[3], ReconcileAction::QueryStatus(missing));
    assert_eq!(t.get(missing).unwrap().status, OrderStatus::Unknown);
    assert_eq!(
        t.get(too_new).unwrap().status,
        OrderStatus::PendingNew,
        "sent after the list request"
    );
    // Running it again changes nothing for the tracked ones and adopts nothing twice.
    out.clear();
    reconcile(
        &mut t,
        &list,
        500,
        |id| id.as_str().starts_with("ours"),
        &mut out,
    );
    assert!(matches!(out[0], ReconcileAction::Updated(a) if a.stale));
    assert!(matches!(out[1], ReconcileAction::Updated(a) if a.stale));
    assert_eq!(t.live_count(), 4);
}

#[test]
fn reconcile_adoption_fails_cleanly_when_full() {
    let mut t = OrderTracker::new(1);
    t.insert(new_order("c1", Some("ours-1")), 0, MS).unwrap();
    let list = [
        report("ours-1", ReportedStatus::New, 0, 1),
        report("ours-2", ReportedStatus::New, 0, 2),
    ];
    let mut out = Vec::new();
    reconcile(&mut t, &list, 10, |_| true, &mut out);
    assert_eq!(
        out[1],
        ReconcileAction::AdoptFailed(oid("ours-2"), TrackError::Full)
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

        /// An order fills in random steps at random prices; each state is reported by up to three sources (with or
        /// without sequence numbers), delivered in random order. Whatever the order, the fills add up exactly to the
        /// last state's quantity and fee, each fill is positive, and the notional matches avg × qty of the highest
        /// state seen, within rounding of one unit per fill.
        #[test]
        fn fills_sum_to_final_state(
            steps in proptest::collection::vec((1i64..500, 9_000i64..11_000, 0i64..50), 1..8),
            dup in proptest::collection::vec(0u8..8, 8),
            order_seed in any::<u64>(),
        ) {
            // Cumulative states.
            let mut states = Vec::new();
            let (mut cq, mut notional, mut fee) = (0i64, 0i128, 0i64);
            for (i, (q, px, f)) in steps.iter().enumerate() {
                cq += q;
                notional += *px as i128 * *q as i128;
                fee += f;
                // The exchange reports a rounded average.
                let ap = ((notional + cq as i128 / 2) / cq as i128) as i64;
                states.push((i as u64 + 1, cq, ap, fee));
            }
            let last = *states.last().unwrap();
            let mut reports = Vec::new();
            for (i, &(seq, cq, ap, fee)) in states.iter().enumerate() {
                let st = if i + 1 == states.len() { ReportedStatus::Filled } else { ReportedStatus::PartiallyFilled };
                let mask = dup[i % dup.len()] | 1;
                if mask & 1 != 0 { reports.push(upd("o", Some(seq), st, cq, ap, fee, Source::WsPush)); }
                if mask & 2 != 0 { reports.push(upd("o", Some(seq), st, cq, ap, fee, Source::RestStatus)); }
                if mask & 4 != 0 { reports.push(upd("o", None, st, cq, ap, fee, Source::RestReply)); }
            }
            // Deterministic shuffle from the seed.
            let mut s = order_seed | 1;
            for i in (1..reports.len()).rev() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                reports.swap(i, (s % (i as u64 + 1)) as usize);
            }
            let mut t = OrderTracker::new(2);
            t.insert(new_order("c", Some("o")), 0, MS).unwrap();
            let (mut q, mut f, mut n, mut count) = (0i64, 0i64, 0i128, 0i128);
            for r in &reports {
                let a = t.apply(r).unwrap();
                if let Some(fill) = a.fill {
                    prop_assert!(fill.qty > 0);
                    q += fill.qty;
                    f += fill.fee;
                    n += fill.price as i128 * fill.qty as i128;
                    count += 1;
                }
            }
            let o = *t.get(t.by_order_id(&oid("o")).unwrap()).unwrap();
            prop_assert_eq!(q, last.1);
            prop_assert_eq!(f, last.3);
            prop_assert_eq!(o.cum_qty, last.1);
            prop_assert_eq!(o.status, OrderStatus::Filled);
            // Each fill's price is rounded to the nearest unit: at most half a unit per unit of quantity off.
            let exact = last.2 as i128 * last.1 as i128;
            prop_assert!((n - exact).abs() <= count * last.1 as i128, "notional {} vs {}", n, exact);
        }
    }
}

#[test]
fn never_placed_orders_resolve_after_the_request_window() {
    let mut t = OrderTracker::new(4);
    let h = t.insert(new_order("c", Some("o")), 1_000, 10).unwrap();
    t.expire(2_000, |_, _| {});
    assert_eq!(t.get(h).unwrap().status, OrderStatus::Unknown);
    assert_eq!(t.get(h).unwrap().remaining(), 1_000);
    // The status query says "no such order", but the request could still be in flight.
    assert_eq!(t.not_found(h, 2_000, 30_000), Err(TrackError::TooEarly));
    assert_eq!(t.not_found(h, 31_000, 30_000), Ok(OrderStatus::Rejected));
    assert_eq!(t.live_count(), 0);
    // An order the exchange once confirmed cannot be "not found" into Rejected.
    let h2 = t.insert(new_order("c2", Some("o2")), 0, 10).unwrap();
    t.apply(&upd(
        "o2",
        Some(1),
        ReportedStatus::New,
        0,
        0,
        0,
        Source::WsPush,
    ))
    .unwrap();
    t.mark_unknown(h2).unwrap();
    assert!(matches!(
        t.not_found(h2, u64::MAX, 0),
        Err(TrackError::Illegal(_))
    ));
}

#[test]
fn unknown_resolved_by_an_unchanged_status_but_not_by_an_older_one() {
    let mut t = OrderTracker::new(4);
    let h = t.insert(new_order("c", Some("o")), 0, 10).unwrap();
    t.apply(&upd(
        "o",
        Some(7),
        ReportedStatus::New,
        0,
        0,
        0,
        Source::WsPush,
    ))
    .unwrap();
    t.mark_unknown(h).unwrap();
    // An older report (lower sequence number or earlier state) leaves it in doubt.
    let a = t
        .apply(&upd(
            "o",
            Some(6),
            ReportedStatus::New,
            0,
            0,
            0,
            Source::RestStatus,
        ))
        .unwrap();
    assert!(a.stale);
    let a = t
        .apply(&upd(
            "o",
            None,
            ReportedStatus::PendingNew,
            0,
            0,
            0,
            Source::RestStatus,
        ))
        .unwrap();
    assert!(a.stale);
    assert_eq!(t.get(h).unwrap().status, OrderStatus::Unknown);
    // The status query answers with exactly the state we last saw: still open, resolved.
    let a = t
        .apply(&upd(
            "o",
            Some(7),
            ReportedStatus::New,
            0,
            0,
            0,
            Source::RestStatus,
        ))
        .unwrap();
    assert_eq!(
        (a.stale, a.status, a.status_changed),
        (false, OrderStatus::New, true)
    );
    // And a repeat of it once resolved is just stale.
    assert!(
        t.apply(&upd(
            "o",
            Some(7),
            ReportedStatus::New,
            0,
            0,
            0,
            Source::RestStatus
        ))
        .unwrap()
        .stale
    );
}

#[test]
fn a_refused_cancel_of_an_unacknowledged_order_puts_it_in_doubt() {
    // The exchange may never have received the order (a request it ignored): the refused cancel must not leave
    // the order pending forever; it turns Unknown, which the session resolves with a status query.
    let mut t = OrderTracker::new(16);
    let h = t
        .insert(new_order("c1", Some("o1")), 0, 1_000 * MS)
        .unwrap();
    t.cancel_requested(h, 10 * MS, 500 * MS).unwrap();
    assert_eq!(t.cancel_refused(h), Ok(OrderStatus::Unknown));
    assert!(
        t.get(h).unwrap().status.is_live(),
        "still ours until the query settles it"
    );
}
