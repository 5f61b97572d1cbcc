//! REST trading: request builders and response parsers against the docs' examples and the ccxt fixtures.

use ascendex_hft::orders::*;
use ascendex_hft::venue::ascendex::auth::ApiPath;
use ascendex_hft::venue::ascendex::rest::trading::*;
use ascendex_hft::venue::ascendex::stream::trading::{
    Account, OrderSpec, PlaceOrder, ReplyStatus, RespInst, ScaleTable, SymbolScales, WireStatus,
};

fn scales() -> ScaleTable {
    let mut t = ScaleTable::new();
    let usdt = t.add_asset("USDT", 9);
    let btc = t.add_asset("BTC", 8);
    let ltc = t.add_asset("LTC", 8);
    t.add_asset("ETH", 8);
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
        "LTC/USDT",
        SymbolScales {
            id: SymbolId(1),
            price: 2,
            qty: 3,
            fee: 10,
            base: ltc,
            quote: usdt,
        },
    );
    t
}

fn j(b: &[u8]) -> serde_json::Value {
    serde_json::from_slice(b).unwrap()
}

fn s(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

fn fixture(method: &str) -> Vec<u8> {
    let all: serde_json::Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/response.json"
        ))
        .unwrap(),
    )
    .unwrap();
    serde_json::to_vec(&all["methods"][method][0]["httpResponse"]).unwrap()
}

#[test]
fn builders() {
    let mut b = RestBuffers::with_capacity(512);
    let cid = ClientId::new(b"hftH0000abcd").unwrap();
    let order = PlaceOrder {
        client_id: &cid,
        time_ms: 1699323490303,
        spec: OrderSpec {
            symbol_id: SymbolId(0),
            symbol: "BTC/USDT",
            side: Side::Buy,
            kind: OrderKind::Limit,
            price: 2_500_000,
            price_scale: 2,
            qty: 20,
            qty_scale: 5,
            stop_price: None,
            post_only: false,
            tif: TimeInForce::Gtc,
        },
        resp_inst: RespInst::Ack,
    };
    let r = place_order(&mut b, 6, Account::Cash, &order).unwrap();
    assert_eq!(
        (r.method, s(r.path), r.prehash, r.signed),
        (
            Method::Post,
            "/6/api/pro/v1/cash/order",
            ApiPath::Order,
            true
        )
    );
    let v = j(r.body);
    // Same fields as ccxt's request fixture for a spot limit order.
    assert_eq!(v["symbol"], "BTC/USDT");
    assert_eq!(v["time"], 1699323490303u64);
    assert_eq!(v["orderQty"], "0.00020");
    assert_eq!(v["orderPrice"], "25000.00");
    assert_eq!(v["orderType"], "limit");
    assert_eq!(v["side"], "buy");

    let oid = OrderId::new(b"a18d8972df3cU7223046196BGzSSwzfj").unwrap();
    let item = CancelItem {
        request_id: &cid,
        order_id: &oid,
        symbol: "BTC/USDT",
        time_ms: 1701161145825,
    };
    let r = cancel_order(&mut b, 6, Account::Margin, &item).unwrap();
    assert_eq!(
        (r.method, s(r.path), r.prehash),
        (Method::Delete, "/6/api/pro/v1/margin/order", ApiPath::Order)
    );
    let v = j(r.body);
    assert_eq!(
        (
            v["orderId"].as_str(),
            v["symbol"].as_str(),
            v["time"].as_u64()
        ),
        (Some(oid.as_str()), Some("BTC/USDT"), Some(1701161145825))
    );

    let r = cancel_all(&mut b, 6, Account::Cash, 1701161145825, Some("BTC/USDT")).unwrap();
    assert_eq!(
        (s(r.path), r.prehash),
        ("/6/api/pro/v1/cash/order/all", ApiPath::OrderAll)
    );
    assert_eq!(
        j(r.body),
        serde_json::json!({"time": 1701161145825u64, "symbol": "BTC/USDT"})
    );
    let r = cancel_all(&mut b, 6, Account::Cash, 1, None).unwrap();
    assert_eq!(j(r.body), serde_json::json!({"time": 1}));

    let orders = [order; 2];
    let r = batch_place(&mut b, 6, Account::Cash, &orders).unwrap();
    assert_eq!(
        (s(r.path), r.prehash),
        ("/6/api/pro/v1/cash/order/batch", ApiPath::OrderBatch)
    );
    assert_eq!(j(r.body)["orders"].as_array().unwrap().len(), 2);
    assert_eq!(
        batch_place(&mut b, 6, Account::Cash, &[order; 11]).unwrap_err(),
        BuildError::BatchSize(11)
    );
    assert_eq!(
        batch_place(&mut b, 6, Account::Cash, &[]).unwrap_err(),
        BuildError::BatchSize(0)
    );
    let r = batch_cancel(&mut b, 6, Account::Cash, &[item, item]).unwrap();
    assert_eq!((r.method, r.prehash), (Method::Delete, ApiPath::OrderBatch));
    assert_eq!(j(r.body)["orders"][1]["orderId"], oid.as_str());

    let r = open_orders(&mut b, 6, Account::Cash, Some("BTC/USDT"));
    assert_eq!(
        (r.method, s(r.path), r.prehash, r.body.len()),
        (
            Method::Get,
            "/6/api/pro/v1/cash/order/open?symbol=BTC%2FUSDT",
            ApiPath::OrderOpen,
            0
        )
    );
    let ids = [oid, OrderId::new(b"a2").unwrap()];
    let r = order_status(&mut b, 6, Account::Cash, &ids);
    assert_eq!(
        (s(r.path), r.prehash),
        (
            "/6/api/pro/v1/cash/order/status?orderId=a18d8972df3cU7223046196BGzSSwzfj,a2,",
            ApiPath::OrderStatus
        )
    );
    let r = order_hist_current(&mut b, 6, Account::Cash, Some(10), Some("BTC/USDT"), true);
    assert_eq!(
        s(r.path),
        "/6/api/pro/v1/cash/order/hist/current?n=10&symbol=BTC%2FUSDT&executedOnly=true"
    );
    let r = order_hist_current(&mut b, 6, Account::Cash, None, None, true);
    assert_eq!(
        s(r.path),
        "/6/api/pro/v1/cash/order/hist/current?executedOnly=true"
    );
    let q = HistQuery {
        symbol: Some("BTC/USDT"),
        start_ms: Some(1),
        seq_num: Some(7),
        limit: Some(5000),
        ..Default::default()
    };
    let r = order_hist_v2(&mut b, Account::Margin, &q);
    assert_eq!(
        (s(r.path), r.prehash),
        (
            "/api/pro/data/v2/order/hist?account=margin&symbol=BTC%2FUSDT&startTime=1&seqNum=7&limit=1000",
            ApiPath::DataOrderHistV2
        )
    );
    let r = balance(&mut b, 6, Account::Cash, None, true);
    assert_eq!(
        (s(r.path), r.prehash),
        ("/6/api/pro/v1/cash/balance?showAll=true", ApiPath::Balance)
    );
    let r = account_info(&mut b);
    assert_eq!(
        (s(r.path), r.prehash, r.signed),
        ("/api/pro/v1/info", ApiPath::Info, true)
    );
    let r = exchange_info(&mut b, 1709992982155);
    assert_eq!(
        (s(r.path), r.signed),
        ("/api/pro/v1/exchange-info?requestTime=1709992982155", false)
    );
    let r = products(&mut b, Account::Cash);
    assert_eq!(s(r.path), "/api/pro/v1/cash/products");
}

#[test]
fn parses_fixture_order_status_and_history() {
    let t = scales();
    let rows = parse_orders(&fixture("fetchOrder"), &t).unwrap();
    assert_eq!(rows.len(), 1, "a single object is one row");
    let r = &rows[0];
    assert_eq!(r.order_id.as_str(), "a18d8972df3cU7223046196BGzSSwzfj");
    assert_eq!(
        (r.symbol.as_str(), r.side, r.kind),
        ("LTC/USDT", Some(Side::Sell), Some(OrderKind::Market))
    );
    assert_eq!(
        (r.price, r.qty, r.avg_px, r.cum_qty, r.cum_fee),
        (6568, 100, 6914, 100, 69_140_000)
    );
    assert_eq!(
        (r.status, r.seq, r.ts_ms),
        (WireStatus::Filled, Some(38621007619), 1707408024011)
    );
    let u = r.update(Source::RestStatus);
    assert_eq!(
        (u.status, u.cum_qty, u.seq),
        (ReportedStatus::Filled, 100, Some(38621007619))
    );

    let hist = parse_orders(&fixture("fetchClosedOrders"), &t).unwrap();
    assert_eq!(
        (
            hist[0].avg_px,
            hist[0].cum_qty,
            hist[0].cum_fee,
            hist[0].stop_price
        ),
        (6914, 100, 69_140_000, None)
    );
    // The same order from two REST sources gives the same update: the tracker would count its fill once.
    assert_eq!(
        hist[0].update(Source::RestStatus),
        r.update(Source::RestStatus)
    );
}

#[test]
fn parses_docs_answers() {
    let t = scales();
    let ack = br#"{"code":0,"data":{"ac":"MARGIN","accountId":"cshQtyfq8XLAA9kcf19h8bXHbAwwoqDo","action":"place-order","info":{"id":"16e607e2b83a8bXHbAwwoqDo55c166fa","orderId":"16e85b4d9b9a8bXHbAwwoqDoc3d66830","orderType":"Market","symbol":"BTC/USDT","timestamp":1573576916201},"status":"Ack"}}"#;
    let a = parse_order_ack(ack, &t).unwrap();
    assert_eq!(
        (a.status, a.action.as_str(), a.symbol.as_str()),
        (ReplyStatus::Ack, "place-order", "BTC/USDT")
    );
    assert_eq!(
        a.order_id.unwrap().as_str(),
        "16e85b4d9b9a8bXHbAwwoqDoc3d66830"
    );
    assert_eq!(
        (a.request_id.as_str(), a.timestamp_ms, a.report.is_none()),
        (
            "16e607e2b83a8bXHbAwwoqDo55c166fa",
            Some(1573576916201),
            true
        )
    );

    let done = br#"{"code": 0,"data": {"ac": "CASH","accountId": "MPXFNEYEJIJ93CREXT3LTCIDIJPCFNIX","action": "place-order","info": {"avgPx": "7399.99","cumFee": "0.003296696","cumFilledQty": "0.00081","errorCode": "","feeAsset": "USDT","id": "ROunD0hpprO2KEgkVK30FOIpPK3zuGGh","lastExecTime": 1575646514077,"orderId": "a16edbd9aefaU9490877774pPK3zuGGh","orderQty": "0.00081","orderType": "Market","price": "","seqNum": 2348421435,"side": "Sell","status": "Filled","stopPrice": "","symbol": "BTC/USDT","execInst": "NULL_VAL"},"status": "DONE"}}"#;
    let a = parse_order_ack(done, &t).unwrap();
    assert_eq!(a.status, ReplyStatus::Done);
    let r = a.report.unwrap();
    assert_eq!(
        (r.status, r.cum_qty, r.avg_px, r.cum_fee, r.price),
        (WireStatus::Filled, 81, 739999, 32966960, 0)
    );

    let err = br#"{"code":300011,"ac":"CASH","accountId":"x","action":"place-order","info":{"id":"JkpnjJRuBtFpW7F7PWDB7uwBEJtUOISZ","symbol":"BTC/USDT"},"message":"Not Enough Account Balance","reason":"INVALID_BALANCE","status":"Err"}"#;
    let e = parse_order_ack(err, &t).unwrap_err();
    assert_eq!(e.code(), Some(300011));
    let RestError::Exchange { error, items } = &e else {
        panic!()
    };
    assert_eq!(
        (
            error.reason.as_str(),
            error.message.as_str(),
            error.id.as_str()
        ),
        (
            "INVALID_BALANCE",
            "Not Enough Account Balance",
            "JkpnjJRuBtFpW7F7PWDB7uwBEJtUOISZ"
        )
    );
    assert!(items.is_empty());
    assert!(
        e.to_string().contains("300011") && e.to_string().contains("Not Enough Account Balance")
    );

    let batch_err = br#"{"ac":"CASH","accountId":"x","action":"batch-place-order","code":300013,"info":[{"code":300004,"id":"nGFdep927xsqSaL2B4R3jDSm1IGwcfmr","message":"Notional is too small.","reason":"INVALID_NOTIONAL","symbol":"BTC/USDT"},{"code":300013,"id":"PGEcSVsoQWythsYTs2hWfogLoRs6hhi8","message":"Some invalid order in this batch.","reason":"INVALID_BATCH_ORDER","symbol":"ETH/USDT"}],"message":"Batch Order failed, please check each order info for detail.","reason":"INVALID_BATCH_ORDER","status":"Err"}"#;
    let RestError::Exchange { error, items } = parse_batch_ack(batch_err, &t).unwrap_err() else {
        panic!()
    };
    assert_eq!(
        (
            error.code,
            items.len(),
            items[0].code,
            items[0].reason.as_str()
        ),
        (300013, 2, 300004, "INVALID_NOTIONAL")
    );

    let batch_ok = br#"{"code":0,"data":{"ac":"CASH","accountId":"x","action":"batch-place-order","info":[{"id":"sampleRequestId1","orderId":"16e80b75cbda8bXHbAwwoqDoa5be7384","orderType":"Limit","symbol":"BTC/USDT","timestamp":1573596819185},{"id":"sampleRequestId2","orderId":"16e61adeee5a8bXHbAwwoqDo100e364e","orderType":"Limit","symbol":"BTC/USDT","timestamp":1573596819185}],"status":"Ack"}}"#;
    let acks = parse_batch_ack(batch_ok, &t).unwrap();
    assert_eq!(
        acks.iter()
            .map(|a| a.request_id.as_str())
            .collect::<Vec<_>>(),
        vec!["sampleRequestId1", "sampleRequestId2"]
    );

    let open = br#"{"ac":"CASH","accountId":"x","code":0,"data":[{"avgPx":"0","cumFee":"0","cumFilledQty":"0","errorCode":"","feeAsset":"USDT","lastExecTime":1576019723550,"orderId":"s16ef21882ea0866943712034f36d83","orderQty":"0.0083","orderType":"Limit","price":"7105","seqNum":8193258,"side":"Buy","status":"New","stopPrice":"","symbol":"BTC/USDT","execInst":"POST"}]}"#;
    let rows = parse_orders(open, &t).unwrap();
    let rep = rows[0].open_report(Source::OpenOrders);
    assert_eq!(
        (rep.symbol, rep.side, rep.price, rep.qty, rep.post_only),
        (SymbolId(0), Side::Buy, 710500, 830, true)
    );

    let bal = br#"{"code":0,"data":[{"asset":"USDT","totalBalance":"1285.366663467","availableBalance":"1285.366663467"},{"asset":"BTC","totalBalance":"22.1308675","availableBalance":"16.1308675"},{"asset":"DOGE","totalBalance":"1","availableBalance":"1"}]}"#;
    let (rows, unknown) = parse_balances(bal, &t).unwrap();
    assert_eq!(
        rows[0],
        BalanceRow {
            asset_name: "USDT".into(),
            asset: AssetId(0),
            total: 1285366663467,
            available: 1285366663467
        }
    );
    assert_eq!((rows[1].total, rows[1].available), (2213086750, 1613086750));
    assert_eq!(unknown, vec!["DOGE".to_string()]);

    let info = br#"{"code":0,"data":{"accountGroup":0,"email":"yyzzxxz@gmail.com","expireTime":1604620800000,"allowedIps":["123.123.123.123"],"cashAccount":["dadFNEYEJIJ93CRxdafd3LTCIDIJPCFNIX"],"marginAccount":["mar2z3CMIEQx4UadasbtQ9JcxWJYgHmcb"],"userUID":"U0866943712","tradePermission":true,"transferPermission":true,"viewPermission":true}}"#;
    let i = parse_account_info(info).unwrap();
    assert_eq!(
        (
            i.account_group,
            i.user_uid.as_str(),
            i.trade_permission,
            i.expire_time
        ),
        (0, "U0866943712", true, Some(1604620800000))
    );
}

#[test]
fn exchange_info_gives_clock_sample() {
    let e = parse_exchange_info(&fixture("fetchTime")).unwrap();
    assert_eq!(
        (e.request_time_echo, e.request_receive_at, e.latency),
        (1721370799401, 1721370799895, 494)
    );
    let mut c = ClockOffset::new();
    c.add(e.sample(1721370799500));
    // Midpoint of send and receive is 1721370799450.5; server said ...895 → offset 444.5 → 445.
    assert_eq!(c.offset_ms(), 445);
}

#[test]
fn malformed_answers_are_typed_errors() {
    let t = scales();
    assert!(matches!(
        parse_orders(b"not json", &t),
        Err(RestError::Malformed(_))
    ));
    assert!(
        matches!(parse_orders(b"{}", &t), Err(RestError::Malformed(_))),
        "no code"
    );
    assert!(matches!(
        parse_orders(br#"{"code":"x"}"#, &t),
        Err(RestError::Malformed(_))
    ));
    assert!(matches!(
        parse_orders(br#"{"code":0,"data":5}"#, &t),
        Err(RestError::Malformed(_))
    ));
    assert_eq!(parse_orders(br#"{"code":0,"data":[]}"#, &t), Ok(vec![]));
    let unknown = br#"{"code":0,"data":[{"orderId":"a","symbol":"XX/YY","status":"New"}]}"#;
    assert_eq!(
        parse_orders(unknown, &t),
        Err(RestError::UnknownSymbol("XX/YY".into()))
    );
    let bad_status =
        br#"{"code":0,"data":[{"orderId":"a","symbol":"BTC/USDT","status":"Zombie"}]}"#;
    assert!(matches!(
        parse_orders(bad_status, &t),
        Err(RestError::Malformed(_))
    ));
    let precise = br#"{"code":0,"data":[{"orderId":"a","symbol":"BTC/USDT","status":"New","cumFilledQty":"0.000001"}]}"#;
    assert!(matches!(
        parse_orders(precise, &t),
        Err(RestError::Decimal {
            field: "cumFilledQty",
            ..
        })
    ));
    let no_avg = br#"{"code":0,"data":[{"orderId":"a","symbol":"BTC/USDT","status":"Filled","cumFilledQty":"1","avgPx":"0"}]}"#;
    assert!(matches!(
        parse_orders(no_avg, &t),
        Err(RestError::Malformed(_))
    ));
    assert!(matches!(
        parse_order_ack(br#"{"code":0,"data":{"status":"Huh","info":{}}}"#, &t),
        Err(RestError::Malformed(_))
    ));
    assert!(matches!(
        parse_batch_ack(br#"{"code":0,"data":{"status":"Ack","info":{}}}"#, &t),
        Err(RestError::Malformed(_))
    ));
    assert!(matches!(
        parse_account_info(br#"{"code":0,"data":{"accountGroup":-1}}"#),
        Err(RestError::Malformed(_))
    ));
    assert_eq!(
        parse_exchange_info(br#"{"code":100001,"reason":"X"}"#)
            .unwrap_err()
            .code(),
        Some(100001)
    );
}
