//! OrderEntry: the session glue from placing an order to its fills, cancels and refusals, through frames and
//! decoded replies/pushes shaped like the docs' examples.

use ascendex_hft::orders::*;
use ascendex_hft::venue::ascendex::ids::ClientIdGen;
use ascendex_hft::venue::ascendex::stream::trading::*;

const UID: &str = "U9698887124";

fn setup() -> (OrderEntry, OrderTracker, Balances, ScaleTable) {
    let mut t = ScaleTable::new();
    let usdt = t.add_asset("USDT", 9);
    let asd = t.add_asset("ASD", 6);
    t.add_symbol(
        "ASD/USDT",
        SymbolScales {
            id: SymbolId(0),
            price: 5,
            qty: 0,
            fee: 10,
            base: asd,
            quote: usdt,
        },
    );
    let ids = ClientIdGen::new("mm", b'H', 1_763_700_000_000).unwrap();
    let e = OrderEntry::new(ids, UID, Account::Cash).unwrap();
    (e, OrderTracker::new(16), Balances::new(2), t)
}

fn spec(t: &ScaleTable) -> OrderSpec<'static> {
    let sc = t.symbol(b"ASD/USDT").unwrap();
    OrderSpec {
        symbol: "ASD/USDT",
        symbol_id: sc.id,
        side: Side::Sell,
        kind: OrderKind::Limit,
        price: 4054,
        price_scale: sc.price,
        qty: 400,
        qty_scale: sc.qty,
        stop_price: None,
        post_only: true,
        tif: TimeInForce::Gtc,
    }
}

const AT: Stamp = Stamp {
    exchange_ms: 1589984209000,
    now_ns: 1_000,
    timeout_ns: 5_000_000_000,
};

fn v(b: &[u8]) -> serde_json::Value {
    serde_json::from_slice(b).unwrap()
}

fn push(oid: &str, sn: u64, st: &str, ap: &str, cfq: &str, cf: &str) -> String {
    format!(
        r#"{{"m":"order","accountId":"c","ac":"CASH","data":{{"sn":{sn},"orderId":"{oid}","s":"ASD/USDT","ot":"Limit","t":1589984209677,"p":"0.04054","q":"400","sd":"Sell","st":"{st}","ap":"{ap}","cfq":"{cfq}","sp":"","err":"","btb":"604","bab":"500","qtb":"100","qab":"100","cf":"{cf}","fa":"USDT","ei":"Post"}}}}"#
    )
}

#[test]
fn place_ack_fill_cancel() {
    let (mut e, mut tr, mut bal, t) = setup();
    let mut out = Vec::with_capacity(512);
    let h = e.place(&mut out, &mut tr, &spec(&t), AT).unwrap();
    let frame = v(&out);
    let cid = frame["args"]["id"].as_str().unwrap().to_string();
    assert_eq!(frame["args"]["orderPrice"], "0.04054");
    assert_eq!(frame["args"]["orderQty"], "400");
    assert_eq!(frame["args"]["postOnly"], true);
    let o = *tr.get(h).unwrap();
    // Predicted: s + hex(time) + uid + last 9 of the client id.
    let oid = o.order_id.as_str().to_string();
    assert_eq!(oid.len(), 32);
    assert!(oid.starts_with(&format!("s{:x}{UID}", AT.exchange_ms)));
    assert!(oid.ends_with(&cid[cid.len() - 9..]));
    assert_eq!(o.status, OrderStatus::PendingNew);

    let ack = format!(
        r#"{{"m":"order","accountId":"c","ac":"CASH","action":"place-order","status":"Ack","info":{{"symbol":"ASD/USDT","orderType":"Limit","timestamp":1,"id":"{cid}","orderId":"{oid}"}}}}"#
    );
    let msg = decode(ack.as_bytes(), &t).unwrap();
    assert_eq!(
        e.on_message(&msg, &mut tr, &mut bal).unwrap(),
        EntryEvent::Placed(h)
    );

    let p1 = push(&oid, 1, "New", "0", "0", "0");
    let msg = decode(p1.as_bytes(), &t).unwrap();
    let EntryEvent::Order(a) = e.on_message(&msg, &mut tr, &mut bal).unwrap() else {
        panic!()
    };
    assert_eq!((a.status, a.fill), (OrderStatus::New, None));
    assert_eq!(
        bal.get(AssetId(1)).unwrap().total,
        604_000_000,
        "base balance from the push"
    );

    let p2 = push(&oid, 2, "PartiallyFilled", "0.04054", "296", "0.01199984");
    let msg = decode(p2.as_bytes(), &t).unwrap();
    let EntryEvent::Order(a) = e.on_message(&msg, &mut tr, &mut bal).unwrap() else {
        panic!()
    };
    assert_eq!(
        a.fill.map(|f| (f.qty, f.price, f.fee)),
        Some((296, 4054, 119_998_400))
    );

    // Cancel: the frame targets the predicted id; its request id maps back to the order.
    e.cancel(&mut out, &mut tr, h, "ASD/USDT", AT).unwrap();
    let frame = v(&out);
    assert_eq!(frame["args"]["orderId"], oid.as_str());
    let rid = frame["args"]["id"].as_str().unwrap().to_string();
    assert_ne!(rid, cid);
    assert_eq!(tr.get(h).unwrap().status, OrderStatus::PendingCancel);
    let refused = format!(
        r#"{{"m":"order","accountId":"c","ac":"CASH","action":"cancel-order","status":"Err","info":{{"code":300019,"id":"{rid}","message":"Trying to cancel non-open order","symbol":"ASD/USDT","reason":"INVALID_ORDER_ID"}}}}"#
    );
    let msg = decode(refused.as_bytes(), &t).unwrap();
    assert_eq!(
        e.on_message(&msg, &mut tr, &mut bal).unwrap(),
        EntryEvent::CancelRefused {
            handle: h,
            code: 300019,
            reason: "INVALID_ORDER_ID"
        }
    );
    assert_eq!(tr.get(h).unwrap().status, OrderStatus::PartiallyFilled);

    // Cancel again, acknowledged, then the Canceled push.
    e.cancel(&mut out, &mut tr, h, "ASD/USDT", AT).unwrap();
    let rid = v(&out)["args"]["id"].as_str().unwrap().to_string();
    let acked = format!(
        r#"{{"m":"order","accountId":"c","ac":"CASH","action":"cancel-order","status":"Ack","info":{{"symbol":"ASD/USDT","orderType":"NULL_VAL","timestamp":1,"id":"{rid}","orderId":"{oid}"}}}}"#
    );
    let msg = decode(acked.as_bytes(), &t).unwrap();
    assert_eq!(
        e.on_message(&msg, &mut tr, &mut bal).unwrap(),
        EntryEvent::CancelAcked(h)
    );
    let p3 = push(&oid, 3, "Canceled", "0.04054", "296", "0.01199984");
    let msg = decode(p3.as_bytes(), &t).unwrap();
    let EntryEvent::Order(a) = e.on_message(&msg, &mut tr, &mut bal).unwrap() else {
        panic!()
    };
    assert_eq!((a.status, a.fill), (OrderStatus::Canceled, None));
    assert_eq!(tr.get(h).unwrap().remaining(), 104);
}

#[test]
fn rejections_and_ready_mode_cancel_reject() {
    let (mut e, mut tr, mut bal, t) = setup();
    let mut out = Vec::new();
    let h = e.place(&mut out, &mut tr, &spec(&t), AT).unwrap();
    let cid = v(&out)["args"]["id"].as_str().unwrap().to_string();
    let err = format!(
        r#"{{"m":"order","accountId":"c","ac":"CASH","action":"place-order","status":"Err","info":{{"id":"{cid}","symbol":"ASD/USDT","code":300011,"message":"Not Enough Account Balance","reason":"INVALID_BALANCE"}}}}"#
    );
    let msg = decode(err.as_bytes(), &t).unwrap();
    assert_eq!(
        e.on_message(&msg, &mut tr, &mut bal).unwrap(),
        EntryEvent::PlaceRejected {
            handle: h,
            code: 300011,
            reason: "INVALID_BALANCE"
        }
    );
    assert_eq!(tr.get(h).unwrap().status, OrderStatus::Rejected);

    // Ready-ack mode: a refused cancel arrives as an order message about the cancel request.
    let h2 = e.place(&mut out, &mut tr, &spec(&t), AT).unwrap();
    let oid = tr.get(h2).unwrap().order_id.as_str().to_string();
    let ready = push(&oid, 10, "Ready", "0", "0", "0");
    e.on_message(&decode(ready.as_bytes(), &t).unwrap(), &mut tr, &mut bal)
        .unwrap();
    e.cancel(&mut out, &mut tr, h2, "ASD/USDT", AT).unwrap();
    let reject = format!(
        r#"{{"m":"order","accountId":"c","ac":"CASH","data":{{"sn":11,"ot":"NULL_VAL","s":"ASD/USDT","t":1,"orderId":"s17123e1eff1U9698887124T0dYM2YHd","origOrderId":"{oid}","st":"Rejected","err":"OrderCancelReject","text":"TooLateToCancel"}}}}"#
    );
    let ev = e
        .on_message(&decode(reject.as_bytes(), &t).unwrap(), &mut tr, &mut bal)
        .unwrap();
    assert_eq!(
        ev,
        EntryEvent::CancelRefused {
            handle: h2,
            code: 0,
            reason: "TooLateToCancel"
        }
    );
    assert_eq!(
        tr.get(h2).unwrap().status,
        OrderStatus::New,
        "not rejected: the order still rests"
    );

    // Pushes for orders we never placed, and non-order messages.
    let foreign = push("a16edbd9aefaU9490877774pPK3zuGGh", 1, "New", "0", "0", "0");
    assert_eq!(
        e.on_message(&decode(foreign.as_bytes(), &t).unwrap(), &mut tr, &mut bal)
            .unwrap(),
        EntryEvent::Untracked
    );
    let ping = decode(br#"{"m":"ping","hp":3}"#, &t).unwrap();
    assert_eq!(
        e.on_message(&ping, &mut tr, &mut bal).unwrap(),
        EntryEvent::Other
    );
    let b = decode(br#"{"m":"balance","accountId":"c","ac":"CASH","data":{"a":"USDT","sn":8159798,"tb":"600","ab":"600"}}"#, &t).unwrap();
    assert_eq!(
        e.on_message(&b, &mut tr, &mut bal).unwrap(),
        EntryEvent::Balance {
            asset: AssetId(0),
            applied: Ok(BalanceApplied::Applied)
        }
    );
    assert!(OrderEntry::new(ClientIdGen::new("", b'H', 0).unwrap(), "U-1", Account::Cash).is_err());
}

#[test]
fn mispredicted_id_is_corrected_from_the_push() {
    let (mut e, mut tr, mut bal, t) = setup();
    let mut out = Vec::new();
    let h = e.place(&mut out, &mut tr, &spec(&t), AT).unwrap();
    let predicted = tr.get(h).unwrap().order_id.as_str().to_string();
    // Same user and tail, another timestamp: what we would see if the exchange used its own clock.
    let actual = format!("s{:x}{}", AT.exchange_ms + 7, &predicted[12..]);
    assert_ne!(actual, predicted);
    let p = push(&actual, 1, "New", "0", "0", "0");
    let EntryEvent::Order(a) = e
        .on_message(&decode(p.as_bytes(), &t).unwrap(), &mut tr, &mut bal)
        .unwrap()
    else {
        panic!()
    };
    assert_eq!((a.handle, a.status), (h, OrderStatus::New));
    assert_eq!(tr.get(h).unwrap().order_id.as_str(), actual);
}
