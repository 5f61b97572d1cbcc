//! WebSocket order entry: frames out, replies and pushes in (docs examples), malformed input, and the scanner
//! checked against sonic-rs.

use ascendex_hft::orders::*;
use ascendex_hft::venue::ascendex::stream::trading::*;
use proptest::prelude::*;

fn scales() -> ScaleTable {
    let mut t = ScaleTable::new();
    let usdt = t.add_asset("USDT", 9);
    let btc = t.add_asset("BTC", 8);
    let asd = t.add_asset("ASD", 6);
    let eth = t.add_asset("ETH", 8);
    t.add_symbol(
        "BTC/USDT",
        SymbolScales {
            id: SymbolId(0),
            price: 2,
            qty: 5,
            fee: 10,
            base: btc,
            quote: usdt,
        },
    );
    t.add_symbol(
        "ASD/USDT",
        SymbolScales {
            id: SymbolId(1),
            price: 5,
            qty: 0,
            fee: 10,
            base: asd,
            quote: usdt,
        },
    );
    t.add_symbol(
        "ETH/USDT",
        SymbolScales {
            id: SymbolId(2),
            price: 2,
            qty: 4,
            fee: 10,
            base: eth,
            quote: usdt,
        },
    );
    t
}

fn cid(s: &str) -> ClientId {
    ClientId::new(s.as_bytes()).unwrap()
}

fn j(b: &[u8]) -> serde_json::Value {
    serde_json::from_slice(b).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(b)))
}

fn place<'a>(
    id: &'a ClientId,
    kind: OrderKind,
    post_only: bool,
    tif: TimeInForce,
) -> PlaceOrder<'a> {
    PlaceOrder {
        client_id: id,
        time_ms: 1573772908483,
        spec: OrderSpec {
            symbol_id: SymbolId(0),
            symbol: "BTC/USDT",
            side: Side::Buy,
            kind,
            price: 3427255,
            price_scale: 2,
            qty: 30557,
            qty_scale: 5,
            stop_price: None,
            post_only,
            tif,
        },
        resp_inst: RespInst::Ack,
    }
}

#[test]
fn place_order_frames() {
    let id = cid("hftH000abcdef");
    let mut buf = Vec::with_capacity(512);
    write_place_order(
        &mut buf,
        Account::Cash,
        &place(&id, OrderKind::Limit, true, TimeInForce::Gtc),
    )
    .unwrap();
    let v = j(&buf);
    assert_eq!(v["op"], "req");
    assert_eq!(v["action"], "place-order");
    assert_eq!(v["account"], "cash");
    assert_eq!(v["id"], "hftH000abcdef");
    let a = &v["args"];
    assert_eq!(a["time"], 1573772908483u64);
    assert_eq!(a["id"], "hftH000abcdef");
    assert_eq!(a["symbol"], "BTC/USDT");
    assert_eq!(a["orderPrice"], "34272.55");
    assert_eq!(a["orderQty"], "0.30557");
    assert_eq!(a["orderType"], "limit");
    assert_eq!(a["side"], "buy");
    assert_eq!(a["postOnly"], true);
    assert_eq!(a["timeInForce"], "GTC");
    assert_eq!(a["respInst"], "ACK");

    let mut ioc = place(&id, OrderKind::Limit, false, TimeInForce::Ioc);
    ioc.spec.side = Side::Sell;
    ioc.resp_inst = RespInst::Done;
    write_place_order(&mut buf, Account::Margin, &ioc).unwrap();
    let v = j(&buf);
    assert_eq!(v["account"], "margin");
    assert_eq!(v["args"]["timeInForce"], "IOC");
    assert_eq!(v["args"]["side"], "sell");
    assert_eq!(v["args"]["respInst"], "DONE");
    assert!(v["args"].get("postOnly").is_none());

    let fok = place(&id, OrderKind::Limit, false, TimeInForce::Fok);
    write_place_order(&mut buf, Account::Cash, &fok).unwrap();
    assert_eq!(j(&buf)["args"]["timeInForce"], "FOK");

    let mut mkt = place(&id, OrderKind::Market, true, TimeInForce::Ioc);
    mkt.resp_inst = RespInst::Accept;
    write_place_order(&mut buf, Account::Cash, &mkt).unwrap();
    let v = j(&buf);
    assert_eq!(v["args"]["orderType"], "market");
    assert!(v["args"].get("orderPrice").is_none());
    assert!(
        v["args"].get("postOnly").is_none(),
        "market orders take no postOnly/timeInForce"
    );
    assert!(v["args"].get("timeInForce").is_none());
    assert_eq!(v["args"]["respInst"], "ACCEPT");

    let mut stop = place(&id, OrderKind::StopLimit, false, TimeInForce::Gtc);
    stop.spec.stop_price = Some(3400000);
    write_place_order(&mut buf, Account::Cash, &stop).unwrap();
    let v = j(&buf);
    assert_eq!(
        (
            v["args"]["orderType"].as_str(),
            v["args"]["stopPrice"].as_str()
        ),
        (Some("stop_limit"), Some("34000.00"))
    );
}

#[test]
fn place_order_refuses_bad_input_and_leaves_buffer_empty() {
    let id = cid("hftH000abcdef");
    let mut buf = Vec::new();
    let mut o = place(&id, OrderKind::Limit, false, TimeInForce::Gtc);
    o.spec.symbol = "BTC\"/USDT";
    assert_eq!(
        write_place_order(&mut buf, Account::Cash, &o),
        Err(EncodeError::BadSymbol)
    );
    assert!(buf.is_empty());
    let mut o = place(&id, OrderKind::Limit, false, TimeInForce::Gtc);
    o.spec.price = 0;
    assert_eq!(
        write_place_order(&mut buf, Account::Cash, &o),
        Err(EncodeError::BadOrder)
    );
    o.spec.price = 1;
    o.spec.qty = 0;
    assert_eq!(
        write_place_order(&mut buf, Account::Cash, &o),
        Err(EncodeError::BadOrder)
    );
    let o = place(&id, OrderKind::StopMarket, false, TimeInForce::Gtc);
    assert_eq!(
        write_place_order(&mut buf, Account::Cash, &o),
        Err(EncodeError::BadOrder),
        "stop without trigger"
    );
    let mut o = place(&id, OrderKind::Limit, false, TimeInForce::Gtc);
    o.spec.price_scale = 19;
    assert!(matches!(
        write_place_order(&mut buf, Account::Cash, &o),
        Err(EncodeError::Decimal(_))
    ));
    assert!(buf.is_empty());
}

#[test]
fn cancel_and_query_frames() {
    let rid = cid("hftH000cancel");
    let oid = OrderId::new(b"s16e83845dcdU0123456789H0000abcd").unwrap();
    let mut buf = Vec::new();
    write_cancel_order(
        &mut buf,
        Account::Cash,
        &rid,
        1574165050128,
        &oid,
        "ETH/USDT",
    )
    .unwrap();
    let v = j(&buf);
    assert_eq!(v["action"], "cancel-order");
    assert_eq!(v["args"]["orderId"], oid.as_str());
    assert_eq!(v["args"]["id"], "hftH000cancel");
    assert_eq!(v["args"]["time"], 1574165050128u64);
    assert_eq!(v["args"]["symbol"], "ETH/USDT");
    write_cancel_all(&mut buf, Account::Cash, &rid, 5, Some("BTC/USDT")).unwrap();
    let v = j(&buf);
    assert_eq!(
        (v["action"].as_str(), v["args"]["symbol"].as_str()),
        (Some("cancel-all"), Some("BTC/USDT"))
    );
    write_cancel_all(&mut buf, Account::Cash, &rid, 5, None).unwrap();
    let v = j(&buf);
    assert!(v["args"].get("symbol").is_none());
    assert_eq!(v["args"]["time"], 5);
    write_open_orders(&mut buf, Account::Cash, &rid, Some("BTC/USDT,ETH/USDT")).unwrap();
    let v = j(&buf);
    assert_eq!(
        (v["action"].as_str(), v["args"]["symbols"].as_str()),
        (Some("open-order"), Some("BTC/USDT,ETH/USDT"))
    );
    write_open_orders(&mut buf, Account::Cash, &rid, None).unwrap();
    assert_eq!(j(&buf)["args"], serde_json::json!({}));
    write_subscribe_orders(&mut buf, Account::Cash, &rid);
    assert_eq!(j(&buf)["ch"], "order:cash");
    assert_eq!(
        write_cancel_order(&mut buf, Account::Cash, &rid, 1, &oid, ""),
        Err(EncodeError::BadSymbol)
    );
}

const PUSH_NEW: &str = r#"{"m":"order","accountId":"cshQtyfq8XLAA9kcf19h8bXHbAwwoqDo","ac":"CASH","data":{"s":"BTC/USDT","sn":8159711,"sd":"Buy","ap":"0","bab":"2006.5974027","btb":"2006.5974027","cf":"0","cfq":"0","err":"","fa":"USDT","orderId":"s16ef210b1a50866943712bfaf1584b","ot":"Market","p":"7967.62","q":"0.0083","qab":"793.23","qtb":"860.23","sp":"","st":"New","t":1576019215402,"ei":"NULL_VAL"}}"#;
const PUSH_PARTIAL: &str = r#"{"m":"order","accountId":"cshQtyfq8XLAA9kcf19h8bXHbAwwoqDo","ac":"CASH","data":{"sn":5744212681,"orderId":"s1723271a990U9698887124oF1ZWI2E0","s":"ASD/USDT","ot":"Limit","t":1589984209677,"p":"0.04054","q":"400","sd":"Sell","st":"PartiallyFilled","ap":"0.04054","cfq":"296","sp":"","err":"","btb":"604","bab":"500","qtb":"100","qab":"100","cf":"0.01199984","fa":"USDT","ei":"NULL_VAL"}}"#;
const PUSH_REJECTED: &str = r#"{"m":"order","accountId":"cshQtyfq8XLAA9kcf19h8bXHbAwwoqDo","ac":"CASH","data":{"sn":5744182462,"orderId":"s172326e1f85U9698887124qTSAvg1uJ","s":"ASD/USDT","ot":"Limit","t":1589983977725,"p":"0.05","q":"400","sd":"Sell","st":"Rejected","ap":"0","cfq":"0","sp":"","err":"PostOnlyWouldTake","btb":"500","bab":"500","qtb":"100","qab":"100","cf":"0","fa":"USDT","ei":"Post"}}"#;
const PUSH_READY: &str = r#"{"m":"order","accountId":"cshQtyfq8XLAA9kcf19h8bXHbAwwoqDo","ac":"CASH","data":{"sn":4724910263,"orderId":"s17123e1eff1U9698887124T0dYM2YHd","ot":"Limit","s":"BTC/USDT","t":1585444943527,"p":"9900","q":"0.1","sd":"Buy","st":"Ready","ap":"0","cfq":"0","sp":"","err":"","cf":"0","fa":"USDT","ei":"Post"}}"#;
const CANCEL_REJECT: &str = r#"{"m":"order","accountId":"cshQtyfq8XLAA9kcf19h8bXHbAwwoqDo","ac":"CASH","data":{"sn":5447283902,"ot":"NULL_VAL","s":"BTC/USDT","t":1585438957899,"orderId":"s17123e1eff1U9698887124T0dYM2YHd","origOrderId":"FAKE-ID","st":"Rejected","err":"OrderCancelReject","text":"TooLateToCancel"}}"#;
const BALANCE: &str = r#"{"m":"balance","accountId":"cshQtyfq8XLAA9kcf19h8bXHbAwwoqDo","ac":"CASH","data":{"a":"USDT","sn":8159798,"tb":"600","ab":"600"}}"#;
const PLACE_ACK: &str = r#"{"m":"order","accountId":"cshQtyfq8XLAA9kcf19h8bXHbAwwoqDo","ac":"CASH","action":"place-order","status":"Ack","info":{"symbol":"BTC/USDT","orderType":"Limit","timestamp":1576015701441,"id":"17e1f6809122469589ffc991523b505d","orderId":"s16ef1daefbe08669437121523b505d"}}"#;
const PLACE_ERR: &str = r#"{"m":"order","accountId":"cshQtyfq8XLAA9kcf19h8bXHbAwwoqDo","ac":"CASH","action":"place-order","status":"Err","info":{"id":"69c482a3f29540a0b0d83e00551bb623","symbol":"ETH/USDT","code":300011,"message":"Not Enough Account Balance","reason":"INVALID_BALANCE"}}"#;
const CANCEL_ALL_ACK: &str = r#"{"m":"order","accountId":"cshQtyfq8XLAA9kcf19h8bXHbAwwoqDo","ac":"CASH","action":"cancel-all","status":"Ack","info":{"symbol":"","orderType":"NULL_VAL","timestamp":1574165159732,"id":"69c482a3f29540a0b0d83e00551bb623","orderId":""}}"#;
const OPEN_ORDERS: &str = r#"{"m":"open-order","id":"abdad113","accountId":"cshQtyfq8XLAA9kcf19h8bXHbAwwoqDo","ac":"CASH","data":[{"sn":103,"orderId":"a16edce82c6e0866943712UKrJP1HCA","s":"BTC/USDT","ot":"Limit","t":1575664233699,"p":"9000","q":"0.01","sd":"Buy","st":"New","ap":"0","cfq":"0","sp":"0","err":"NULL_VAL","btb":"0","bab":"0","qtb":"0","qab":"0","cf":"0","fa":"USDT"}]}"#;
const AUTH_OK: &str = r#"{"m":"auth","id":"BSpl5qob","code":0,"ack":"ready"}"#;
const AUTH_ERR: &str =
    r#"{"m":"auth","id":"abc123","code":200006,"err":"Unable to find User Account Data"}"#;
const ERROR: &str = r#"{"m":"error","id":"ab123","code":100005,"reason":"INVALID_WS_REQUEST_DATA","info":"Invalid request action: trade-snapshot"}"#;
const DISCONNECTED: &str = r#"{"m":"disconnected","code":100005,"reason":"INVALID_WS_REQUEST_DATA","info":"Session is disconnected due to missing pong message from the client"}"#;

const ALL: [&str; 14] = [
    PUSH_NEW,
    PUSH_PARTIAL,
    PUSH_REJECTED,
    PUSH_READY,
    CANCEL_REJECT,
    BALANCE,
    PLACE_ACK,
    PLACE_ERR,
    CANCEL_ALL_ACK,
    OPEN_ORDERS,
    AUTH_OK,
    AUTH_ERR,
    ERROR,
    DISCONNECTED,
];

#[test]
fn decodes_order_pushes() {
    let t = scales();
    let Inbound::Order(p) = decode(PUSH_NEW.as_bytes(), &t).unwrap() else {
        panic!()
    };
    assert_eq!(p.symbol, "BTC/USDT");
    assert_eq!(p.scales.id, SymbolId(0));
    assert_eq!(p.seq, 8159711);
    assert_eq!(p.order_id.as_str(), "s16ef210b1a50866943712bfaf1584b");
    assert_eq!((p.side, p.kind), (Some(Side::Buy), Some(OrderKind::Market)));
    assert_eq!((p.price, p.qty, p.stop_price), (796762, 830, None));
    assert_eq!(
        (p.status, p.cum_qty, p.avg_px, p.cum_fee),
        (WireStatus::New, 0, 0, 0)
    );
    assert_eq!(p.base_total, Some(200659740270));
    assert_eq!(p.quote_available, Some(793_230_000_000));
    assert_eq!(
        (p.ts_ms, p.exec_inst, p.fee_asset, p.err),
        (1576019215402, "NULL_VAL", "USDT", "")
    );

    let Inbound::Order(p) = decode(PUSH_PARTIAL.as_bytes(), &t).unwrap() else {
        panic!()
    };
    assert_eq!(
        (p.status, p.cum_qty, p.avg_px, p.cum_fee),
        (WireStatus::PartiallyFilled, 296, 4054, 119998400)
    );
    let u = p.update(Source::WsPush);
    assert_eq!(
        (u.seq, u.status, u.cum_qty),
        (Some(5744212681), ReportedStatus::PartiallyFilled, 296)
    );

    let Inbound::Order(p) = decode(PUSH_REJECTED.as_bytes(), &t).unwrap() else {
        panic!()
    };
    assert_eq!(
        (p.status, p.err, p.is_post_only()),
        (WireStatus::Rejected, "PostOnlyWouldTake", true)
    );

    let Inbound::Order(p) = decode(PUSH_READY.as_bytes(), &t).unwrap() else {
        panic!()
    };
    assert_eq!(
        p.status.reported(),
        ReportedStatus::New,
        "Ready is resting, like New"
    );
    assert_eq!(p.base_total, None);
}

#[test]
fn cancel_reject_is_not_an_order_rejection() {
    let Inbound::CancelReject(c) = decode(CANCEL_REJECT.as_bytes(), &scales()).unwrap() else {
        panic!()
    };
    assert_eq!(c.order_id.as_str(), "FAKE-ID");
    assert_eq!(
        c.request_order_id.as_str(),
        "s17123e1eff1U9698887124T0dYM2YHd"
    );
    assert_eq!((c.text, c.seq), ("TooLateToCancel", 5447283902));
}

#[test]
fn decodes_replies_and_session_messages() {
    let t = scales();
    let Inbound::Balance(b) = decode(BALANCE.as_bytes(), &t).unwrap() else {
        panic!()
    };
    assert_eq!(
        (b.asset_name, b.asset, b.seq, b.total, b.available),
        (
            "USDT",
            AssetId(0),
            8159798,
            600_000_000_000,
            600_000_000_000
        )
    );

    let Inbound::OrderReply(r) = decode(PLACE_ACK.as_bytes(), &t).unwrap() else {
        panic!()
    };
    assert_eq!(
        (r.action, r.status, r.code),
        ("place-order", ReplyStatus::Ack, 0)
    );
    assert_eq!(r.request_id, "17e1f6809122469589ffc991523b505d");
    assert_eq!(
        r.order_id.unwrap().as_str(),
        "s16ef1daefbe08669437121523b505d"
    );
    assert_eq!(
        (r.symbol, r.timestamp_ms),
        ("BTC/USDT", Some(1576015701441))
    );

    let Inbound::OrderReply(r) = decode(PLACE_ERR.as_bytes(), &t).unwrap() else {
        panic!()
    };
    assert_eq!(
        (r.status, r.code, r.reason),
        (ReplyStatus::Err, 300011, "INVALID_BALANCE")
    );
    assert_eq!(
        (r.message, r.order_id),
        ("Not Enough Account Balance", None)
    );

    let Inbound::OrderReply(r) = decode(CANCEL_ALL_ACK.as_bytes(), &t).unwrap() else {
        panic!()
    };
    assert_eq!((r.action, r.order_id), ("cancel-all", None));

    let Inbound::OpenOrders(o) = decode(OPEN_ORDERS.as_bytes(), &t).unwrap() else {
        panic!()
    };
    assert_eq!(o.id, "abdad113");
    let rows: Vec<_> = o.orders(&t).collect();
    assert_eq!(rows.len(), 1);
    let row = rows[0].unwrap();
    assert_eq!(
        (row.seq, row.price, row.qty, row.stop_price, row.status),
        (103, 900000, 1000, None, WireStatus::New)
    );

    assert_eq!(
        decode(AUTH_OK.as_bytes(), &t).unwrap(),
        Inbound::Auth(AuthReply {
            id: "BSpl5qob",
            code: 0,
            err: "",
            ready_ack: true
        })
    );
    let Inbound::Auth(a) = decode(AUTH_ERR.as_bytes(), &t).unwrap() else {
        panic!()
    };
    assert_eq!(
        (a.code, a.err, a.ready_ack),
        (200006, "Unable to find User Account Data", false)
    );
    let Inbound::Error(e) = decode(ERROR.as_bytes(), &t).unwrap() else {
        panic!()
    };
    assert_eq!(
        (e.id, e.code, e.reason),
        ("ab123", 100005, "INVALID_WS_REQUEST_DATA")
    );
    let Inbound::Disconnected(e) = decode(DISCONNECTED.as_bytes(), &t).unwrap() else {
        panic!()
    };
    assert!(e.info.contains("missing pong"));
    assert_eq!(
        decode(br#"{"m":"connected","type":"auth"}"#, &t),
        Ok(Inbound::Connected {
            authenticated: true
        })
    );
    assert_eq!(
        decode(br#"{"op":"connected","type":"unauth"}"#, &t),
        Ok(Inbound::Connected {
            authenticated: false
        })
    );
    assert_eq!(
        decode(br#"{"m":"ping","hp":3}"#, &t),
        Ok(Inbound::Ping { hp: Some(3) })
    );
    assert_eq!(
        decode(br#"{"m":"pong","code":0,"ts":1,"hp":2}"#, &t),
        Ok(Inbound::Pong)
    );
    assert_eq!(
        decode(br#"{"m":"sub","id":"a","ch":"order:cash","code":0}"#, &t),
        Ok(Inbound::Sub { code: 0 })
    );
    assert_eq!(
        decode(br#"{"m":"depth","symbol":"BTC/USDT","data":{}}"#, &t),
        Ok(Inbound::Other { m: "depth" })
    );
    // A string code (as some REST answers have) is accepted.
    let Inbound::Auth(a) = decode(br#"{"m":"auth","code":"0"}"#, &t).unwrap() else {
        panic!()
    };
    assert_eq!(a.code, 0);
}

#[test]
fn push_sequence_drives_tracker_fills() {
    // Our order in ASD/USDT: three pushes, applied to the tracker, yield two fills of the right size and price.
    let t = scales();
    let mut tr = OrderTracker::new(4);
    let oid = "s1723271a990U9698887124oF1ZWI2E0";
    tr.insert(
        NewOrder {
            client_id: cid("xxoF1ZWI2E0"),
            order_id: OrderId::new(oid.as_bytes()),
            symbol: SymbolId(1),
            side: Side::Sell,
            kind: OrderKind::Limit,
            tif: TimeInForce::Gtc,
            post_only: false,
            price: 4054,
            qty: 400,
        },
        0,
        1_000_000,
    )
    .unwrap();
    let push = |sn: u64, st: &str, ap: &str, cfq: &str, cf: &str| {
        format!(
            r#"{{"m":"order","ac":"CASH","data":{{"sn":{sn},"orderId":"{oid}","s":"ASD/USDT","ot":"Limit","t":1,"p":"0.04054","q":"400","sd":"Sell","st":"{st}","ap":"{ap}","cfq":"{cfq}","cf":"{cf}","fa":"USDT"}}}}"#
        )
    };
    let frames = [
        push(1, "New", "0", "0", "0"),
        push(2, "PartiallyFilled", "0.04054", "296", "0.01199984"),
        push(3, "Filled", "0.04055", "400", "0.0162"),
    ];
    let mut fills = Vec::new();
    for f in &frames {
        let Inbound::Order(p) = decode(f.as_bytes(), &t).unwrap() else {
            panic!()
        };
        if let Some(fill) = tr.apply(&p.update(Source::WsPush)).unwrap().fill {
            fills.push(fill);
        }
    }
    // Second fill: (4055*400 - 4054*296)/104 = 4057.846… → 4058.
    assert_eq!(
        fills.iter().map(|f| (f.qty, f.price)).collect::<Vec<_>>(),
        vec![(296, 4054), (104, 4058)]
    );
    assert_eq!(fills[0].fee + fills[1].fee, 162_000_000);
}

#[test]
fn malformed_inputs_are_typed_errors() {
    let t = scales();
    type Check = fn(&DecodeError) -> bool;
    let cases: &[(&str, Check)] = &[
        ("", |e| matches!(e, DecodeError::Json(_))),
        ("[1,2]", |e| *e == DecodeError::NotObject),
        ("null", |e| *e == DecodeError::NotObject),
        (r#"{"x":1}"#, |e| *e == DecodeError::Missing("m")),
        (r#"{"m":5}"#, |e| *e == DecodeError::Bad("m")),
        (r#"{"m":"order","data":[]}"#, |e| {
            *e == DecodeError::Bad("data")
        }),
        (r#"{"m":"order","data":{"s":"BTC/USDT"}}"#, |e| {
            *e == DecodeError::Missing("sn")
        }),
        (
            r#"{"m":"order","data":{"s":"XX/YY","sn":1,"orderId":"a","st":"New","cfq":"0"}}"#,
            |e| *e == DecodeError::UnknownSymbol,
        ),
        (
            r#"{"m":"order","data":{"s":"BTC/USDT","sn":1,"orderId":"a","st":"Weird","cfq":"0"}}"#,
            |e| *e == DecodeError::Bad("st"),
        ),
        (
            r#"{"m":"order","data":{"s":"BTC/USDT","sn":-1,"orderId":"a","st":"New","cfq":"0"}}"#,
            |e| *e == DecodeError::Bad("sn"),
        ),
        (
            r#"{"m":"order","data":{"s":"BTC/USDT","sn":1,"orderId":"a","st":"New","cfq":"0.000001"}}"#,
            |e| matches!(e, DecodeError::Decimal("cfq", _)),
        ),
        (
            r#"{"m":"order","data":{"s":"BTC/USDT","sn":1,"orderId":"a","st":"New","cfq":"1e5"}}"#,
            |e| matches!(e, DecodeError::Decimal("cfq", _)),
        ),
        (
            r#"{"m":"order","data":{"s":"BTC/USDT","sn":1,"orderId":"a","st":"Filled","cfq":"1","ap":"0"}}"#,
            |e| *e == DecodeError::Bad("ap"),
        ),
        (
            r#"{"m":"order","data":{"s":"BTC/USDT","sn":1,"orderId":"a","st":"New","cfq":"-1"}}"#,
            |e| *e == DecodeError::Bad("cfq"),
        ),
        (
            r#"{"m":"order","data":{"s":"BTC/USDT","sn":1,"orderId":"0123456789012345678901234567890123456789X","st":"New","cfq":"0"}}"#,
            |e| *e == DecodeError::Bad("orderId"),
        ),
        (
            r#"{"m":"order","data":{"s":"BTC/USDT","sn":99999999999999999999,"orderId":"a","st":"New","cfq":"0"}}"#,
            |e| *e == DecodeError::Bad("sn"),
        ),
        (
            r#"{"m":"balance","data":{"a":"DOGE","sn":1,"tb":"1","ab":"1"}}"#,
            |e| *e == DecodeError::UnknownAsset,
        ),
        (
            r#"{"m":"balance","data":{"a":"USDT","sn":1,"tb":"1"}}"#,
            |e| *e == DecodeError::Missing("ab"),
        ),
        (
            r#"{"m":"order","action":"place-order","status":"Maybe"}"#,
            |e| *e == DecodeError::Bad("status"),
        ),
        (r#"{"m":"order","status":"Ack"}"#, |e| {
            *e == DecodeError::Missing("action")
        }),
        (r#"{"m":"open-order","data":{}}"#, |e| {
            *e == DecodeError::Bad("data")
        }),
        (r#"{"m":"auth","code":1.5}"#, |e| {
            *e == DecodeError::Bad("code")
        }),
        (r#"{"m":"auth"} x"#, |e| matches!(e, DecodeError::Json(_))),
        (r#"{"m":"auth",}"#, |e| matches!(e, DecodeError::Json(_))),
        ("{\"m\":\"a\u{1}\"}", |e| matches!(e, DecodeError::Json(_))),
        (r#"{"m":"order","data":{"s":[}}"#, |e| {
            matches!(e, DecodeError::Json(_))
        }),
        (r#"{"m":"order","x":[{]],"data":{}}"#, |e| {
            matches!(e, DecodeError::Json(_))
        }),
        (r#"{"m":"order","x":]"#, |e| {
            matches!(e, DecodeError::Json(_))
        }),
        (r#"{"m":"order","data":{"s":"BTC/USDT" "sn":1}}"#, |e| {
            matches!(e, DecodeError::Json(_))
        }),
    ];
    for (input, ok) in cases {
        match decode(input.as_bytes(), &t) {
            Err(e) => assert!(ok(&e), "{input}: unexpected error {e:?}"),
            Ok(v) => panic!("{input}: decoded as {v:?}"),
        }
    }
    // A place-order error reply without any code still reads as an error.
    let Inbound::OrderReply(r) = decode(
        br#"{"m":"order","action":"place-order","status":"Err"}"#,
        &t,
    )
    .unwrap() else {
        panic!()
    };
    assert_ne!(r.code, 0);
    // A bad open-order row is an error item; the good rows still come.
    let frame = r#"{"m":"open-order","data":[{"s":"BTC/USDT"},{"sn":1,"orderId":"a","s":"BTC/USDT","st":"New","cfq":"0"}]}"#;
    let Inbound::OpenOrders(o) = decode(frame.as_bytes(), &t).unwrap() else {
        panic!()
    };
    let rows: Vec<_> = o.orders(&t).collect();
    assert!(rows[0].is_err() && rows[1].is_ok());
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    let t = scales();
    for msg in ALL {
        let b = msg.as_bytes();
        for cut in 0..b.len() {
            assert!(
                decode(&b[..cut], &t).is_err(),
                "prefix {cut} of {msg} decoded"
            );
        }
        assert!(decode(b, &t).is_ok(), "{msg}");
    }
}

#[test]
fn scanner_agrees_with_sonic_rs_on_examples() {
    for msg in ALL {
        assert!(json::parse(msg.as_bytes()).is_ok());
        assert!(sonic_rs::from_slice::<sonic_rs::Value>(msg.as_bytes()).is_ok());
    }
    for bad in [
        "{",
        "{\"a\"}",
        "[1,]",
        "01",
        "-",
        "1.",
        "1e",
        "\"\\x\"",
        "{\"a\":tru}",
        "[] []",
        "\"a\u{7}\"",
    ] {
        assert!(json::parse(bad.as_bytes()).is_err(), "{bad}");
        assert!(
            sonic_rs::from_slice::<sonic_rs::Value>(bad.as_bytes()).is_err(),
            "{bad}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// ASCII mutations of real messages: the scanner accepts exactly what sonic-rs accepts, and decode never
    /// panics.
    #[test]
    fn mutated_messages(which in 0usize..14, pos in any::<prop::sample::Index>(), byte in 0x20u8..0x7f, op in 0u8..3) {
        let mut b = ALL[which].as_bytes().to_vec();
        let i = pos.index(b.len());
        match op {
            0 => b[i] = byte,
            1 => { b.insert(i, byte); }
            _ => { b.remove(i); }
        }
        let ours = json::parse(&b).is_ok();
        let theirs = sonic_rs::from_slice::<sonic_rs::Value>(&b);
        // The scanner keeps number text without evaluating it; sonic-rs also refuses floats beyond f64 range.
        let range_only = matches!(&theirs, Err(e) if e.to_string().contains("must be finite"));
        prop_assert!(ours == theirs.is_ok() || (ours && range_only), "{}", String::from_utf8_lossy(&b));
        let _ = decode(&b, &scales());
    }

    #[test]
    fn random_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode(&b, &scales());
        let _ = json::parse(&b);
    }
}

#[test]
fn push_and_open_order_row_decode_alike() {
    // The push path reads `data` in place (one pass); open-order rows go through the field iterator. Same object,
    // same result.
    let t = scales();
    for msg in [PUSH_NEW, PUSH_PARTIAL, PUSH_REJECTED, PUSH_READY] {
        let Inbound::Order(p) = decode(msg.as_bytes(), &t).unwrap() else {
            panic!()
        };
        let data = &msg[msg.find("\"data\":").unwrap() + 7..msg.len() - 1];
        let frame = format!(r#"{{"m":"open-order","id":"x","data":[{data}]}}"#);
        let Inbound::OpenOrders(o) = decode(frame.as_bytes(), &t).unwrap() else {
            panic!()
        };
        let row = o.orders(&t).next().unwrap().unwrap();
        assert_eq!(row, p);
    }
}

/// The string scanner (sixteen bytes at a time, then eight, then one) against a byte-by-byte reference: every
/// string length up to 70 with a special byte (escaped quote, escaped backslash, `\u` escape, raw control
/// character, stray backslash) at every position, followed by more fields or the end of the frame.
#[test]
fn string_scan_agrees_with_a_byte_reference_at_every_position() {
    use ascendex_hft::venue::ascendex::stream::trading::json::{Value, fields};
    // What the scanner must return for the content between the quotes: the raw bytes, or an error.
    fn reference(content: &[u8]) -> Option<&[u8]> {
        let mut i = 0;
        while i < content.len() {
            match content[i] {
                0..=0x1f => return None,
                b'\\' => match content.get(i + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                    Some(b'u')
                        if content
                            .get(i + 2..i + 6)
                            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) =>
                    {
                        i += 6
                    }
                    _ => return None,
                },
                b'"' => return None,
                _ => i += 1,
            }
        }
        Some(content)
    }
    let specials: [&[u8]; 6] = [b"\\\"", b"\\\\", b"\\u00e9", b"\x01", b"\\x", b"\xc3\xa9"];
    let mut checked = 0;
    for len in 0..70usize {
        for at in 0..=len {
            for sp in specials {
                let mut content: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                content.splice(at..at, sp.iter().copied());
                for tail in [&b",\"n\":1}"[..], b"}"] {
                    let mut frame = b"{\"k\":\"".to_vec();
                    frame.extend_from_slice(&content);
                    frame.push(b'"');
                    frame.extend_from_slice(tail);
                    let got = fields(&frame).next();
                    match reference(&content) {
                        Some(want) => match got {
                            Some(Ok((k, Value::Str(v)))) => {
                                assert_eq!(
                                    (k, v),
                                    (&b"k"[..], want),
                                    "{:?}",
                                    String::from_utf8_lossy(&frame)
                                )
                            }
                            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(&frame)),
                        },
                        None => assert!(
                            matches!(got, Some(Err(_))),
                            "{:?}: {got:?}",
                            String::from_utf8_lossy(&frame)
                        ),
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 25_000, "{checked}");
}
