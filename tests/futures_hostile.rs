//! Hostile input to the futures decoders: every truncation of each documented example, every byte replaced by
//! a troublesome one, each field removed, unknown fields added, numbers out of range. Nothing panics; a broken
//! frame is a typed error, never a success with made-up values.

use ascendex_hft::venue::ascendex::futures::{account, contracts, order_push, pricing, rest};
use ascendex_hft::venue::ascendex::stream::trading::{DecodeError, ScaleTable};

const PRICING: &str = r#"{"m":"futures-pricing-data","con":[{"s":"BTC-PERP","t":1614814705716,"ip":"50702.8","mp":"50652.3553","r":"0.000565699","oi":"90.7367","f":1614816000000}],"col":[{"a":"BTC","p":"50621.795"},{"a":"USDT","p":"1"}]}"#;
const ORDER: &str = r#"{"m":"futures-order","sn":127,"e":"ExecutionReport","a":"sample-futures-account-id","ac":"FUTURES","t":1606335352348,"ct":1606335351541,"orderId":"a176010c4957U68469127074abcd1234","sd":"Buy","ot":"Limit","q":"0.1","p":"18000","sp":"0","spb":"","s":"BTC-PERP","st":"PartiallyFilled","lp":"18000","lq":"0.04","ap":"18000","cfq":"0.04","f":"0.72","cf":"0.72","fa":"USDT","ei":"ReduceOnly","err":""}"#;
const ACCOUNT: &str = r#"{"m":"futures-account-update","e":"ExecutionReport","t":1612508562129,"acc":"sample-futures-account-id","at":"FUTURES","sn":23128,"id":"r177710001cbU3813942147C5kbFGOan","col":[{"a":"USDT","b":"1000000","f":"1"}],"pos":[{"s":"BTC-PERP","sd":"LONG","pos":"0.011","rc":"-385.840455","up":"18.436008668","rp":"0","aop":"35041.363636363","boon":"0","soon":"0","mt":"crossed","iw":"0","lev":"10","tp":"0","tpt":"market","sl":"0","slt":"market"}]}"#;
const REPLY: &str = r#"{"m":"order","code":300001,"id":"sampleRequestID","action":"place-order","ac":"FUTURES","info":{"symbol":"BTC-PERP","reason":"INVALID_PRICE","errorMsg":"Order price is too low from market price."}}"#;
const POSITION: &str = r#"{"code":0,"data":{"ac":"FUTURES","accountId":"acc","collaterals":[{"asset":"USDT","balance":"10000","discountFactor":"1","referencePrice":"1"}],"contracts":[{"symbol":"BTC-PERP","side":"LONG","position":"0.5","referenceCost":"-16800","unrealizedPnl":"0","realizedPnl":"0","avgOpenPrice":"0","marginType":"cross","isolatedMargin":"0","leverage":"10","buyOpenOrderNotional":"1362.419625","sellOpenOrderNotional":"0","indexPrice":"17600.095","markPrice":"-1"}]}}"#;
const PRICING_REST: &str = r#"{"code":0,"data":{"contracts":[{"time":1721371401337,"symbol":"BTC-PERP","markPrice":"64259.886598339","indexPrice":"64287.1","lastPrice":"64253.5","openInterest":"23.8294","fundingRate":"0.00034","nextFundingTime":1721376000000}]}}"#;
const ORDERS_REST: &str = r#"{"code":0,"data":[{"avgFilledPx":"58501","cumFee":"0.058501","cumFilledQty":"0.001","execInst":"NULL_VAL","fee":"0.058501","feeAsset":"USDT","lastExecTime":1613992168196,"lastPx":"58501","lastQty":"0.001","orderId":"a177c29e4064U0123456789dVeUxlVyA","orderQty":"0.001","orderType":"Limit","price":"59027","seqNum":1041950,"side":"Buy","status":"Filled","stopPrice":"0","symbol":"BTC-PERP","time":1613992168190}]}"#;

fn scales() -> ScaleTable {
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/markets.json"
    ))
    .unwrap();
    let m: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let rows: Vec<_> = m
        .as_object()
        .unwrap()
        .values()
        .filter(|v| v["swap"] == true)
        .map(|v| &v["info"])
        .collect();
    let answer = serde_json::to_vec(&serde_json::json!({"code":0,"data":rows})).unwrap();
    let t = contracts::parse_contracts(&answer).unwrap();
    let mut s = ScaleTable::from_rules(&t.rules, |a| if a == "USDT" { 9 } else { 8 }, 9);
    s.add_asset("BTC", 8);
    s
}

/// Runs every decoder that could be handed `b` and walks every row: Ok when every step succeeded.
fn all(b: &[u8], s: &ScaleTable) -> [bool; 7] {
    let pricing_ok = pricing::decode_pricing_push(b)
        .map(|m| m.contracts(s).all(|r| r.is_ok()) & m.collaterals(s).all(|r| r.is_ok()))
        .unwrap_or(false);
    let order_ok = order_push::decode_order_push(b, s).is_ok();
    let account_ok = account::decode_account_push(b)
        .map(|m| m.collaterals(s).all(|r| r.is_ok()) & m.positions(s).all(|r| r.is_ok()))
        .unwrap_or(false);
    let reply_ok = order_push::decode_reply(b).is_ok();
    let position_ok = account::decode_position_answer(b)
        .map(|m| m.collaterals(s).all(|r| r.is_ok()) & m.positions(s).all(|r| r.is_ok()))
        .unwrap_or(false);
    let pricing_rest_ok = pricing::decode_pricing_answer(b)
        .map(|m| m.contracts(s).all(|r| r.is_ok()))
        .unwrap_or(false);
    let orders_ok = rest::parse_orders(b, s).is_ok();
    [
        pricing_ok,
        order_ok,
        account_ok,
        reply_ok,
        position_ok,
        pricing_rest_ok,
        orders_ok,
    ]
}

const EXAMPLES: [(&str, usize); 7] = [
    (PRICING, 0),
    (ORDER, 1),
    (ACCOUNT, 2),
    (REPLY, 3),
    (POSITION, 4),
    (PRICING_REST, 5),
    (ORDERS_REST, 6),
];

#[test]
fn examples_decode_whole() {
    let s = scales();
    for (ex, which) in EXAMPLES {
        assert!(all(ex.as_bytes(), &s)[which], "{ex}");
    }
}

#[test]
fn every_truncation_is_an_error() {
    let s = scales();
    for (ex, which) in EXAMPLES {
        let b = ex.as_bytes();
        for n in 0..b.len() {
            assert!(!all(&b[..n], &s)[which], "prefix {n} of {ex}");
        }
    }
}

#[test]
fn every_byte_replaced_never_panics() {
    let s = scales();
    for (ex, _) in EXAMPLES {
        let mut b = ex.as_bytes().to_vec();
        for i in 0..b.len() {
            let orig = b[i];
            for c in [
                b'"', b'}', b']', b'{', b'9', b'-', b'.', b'x', b'\\', b',', 0, 0xff,
            ] {
                b[i] = c;
                let _ = all(&b, &s);
            }
            b[i] = orig;
        }
    }
}

fn without(ex: &str, key: &str) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_str(ex).unwrap();
    v.as_object_mut().unwrap().remove(key);
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn missing_required_fields_are_named() {
    let s = scales();
    for k in ["m", "sn", "orderId", "s", "st", "sd", "cfq"] {
        assert_eq!(
            order_push::decode_order_push(&without(ORDER, k), &s).map(|_| ()),
            Err(DecodeError::Missing(k)),
            "{k}"
        );
    }
    // Optional fields may go: the push still decodes.
    for k in [
        "e", "a", "ac", "ct", "ot", "q", "p", "sp", "spb", "lp", "lq", "ap", "f", "cf", "fa", "ei",
        "err",
    ] {
        let b = without(ORDER, k);
        let r = order_push::decode_order_push(&b, &s).map(|_| ());
        // Without `ap` the cumulative fill has no price: refused; without `lp` the execution has none: refused.
        match k {
            "ap" => assert_eq!(r, Err(DecodeError::Bad("ap"))),
            "lp" => assert_eq!(r, Err(DecodeError::Bad("lp"))),
            _ => assert!(r.is_ok(), "{k}: {r:?}"),
        }
    }
    for k in ["m", "t", "sn"] {
        assert_eq!(
            account::decode_account_push(&without(ACCOUNT, k)).map(|_| ()),
            Err(DecodeError::Missing(k))
        );
    }
    let mut v: serde_json::Value = serde_json::from_str(PRICING).unwrap();
    for k in ["s", "t", "ip", "mp", "r", "oi", "f"] {
        let mut w = v.clone();
        w["con"][0].as_object_mut().unwrap().remove(k);
        let b = serde_json::to_vec(&w).unwrap();
        let m = pricing::decode_pricing_push(&b).unwrap();
        assert_eq!(
            m.contracts(&s).next().unwrap().map(|_| ()),
            Err(DecodeError::Missing(k)),
            "{k}"
        );
    }
    let pos = &mut v; // reuse the binding for the account rows
    *pos = serde_json::from_str(ACCOUNT).unwrap();
    for k in ["s", "pos"] {
        let mut w = pos.clone();
        w["pos"][0].as_object_mut().unwrap().remove(k);
        let b = serde_json::to_vec(&w).unwrap();
        let m = account::decode_account_push(&b).unwrap();
        assert_eq!(
            m.positions(&s).next().unwrap().map(|_| ()),
            Err(DecodeError::Missing(k)),
            "{k}"
        );
    }
}

#[test]
fn unknown_fields_change_nothing() {
    let s = scales();
    let extra = r#""zz":{"a":[1,{"b":null}],"c":"\u00e9\n"},"#;
    for (ex, which) in EXAMPLES {
        let b = ex.replacen('{', &format!("{{{extra}"), 1);
        assert!(all(b.as_bytes(), &s)[which], "{b}");
    }
    let plain = order_push::decode_order_push(ORDER.as_bytes(), &s).unwrap();
    let b = ORDER.replacen('{', &format!("{{{extra}"), 1);
    assert_eq!(
        order_push::decode_order_push(b.as_bytes(), &s).unwrap(),
        plain
    );
}

#[test]
fn out_of_range_numbers_are_refused() {
    let s = scales();
    for (field, value) in [
        ("\"q\":\"0.1\"", "\"q\":\"99999999999999999999\""),
        ("\"cfq\":\"0.04\"", "\"cfq\":\"1e5\""),
        ("\"sn\":127", "\"sn\":99999999999999999999"),
        ("\"t\":1606335352348", "\"t\":-5"),
        ("\"p\":\"18000\"", "\"p\":\"-18000\""),
        ("\"f\":\"0.72\"", "\"f\":\"0.0000000001\""),
    ] {
        let b = ORDER.replace(field, value);
        assert!(
            order_push::decode_order_push(b.as_bytes(), &s).is_err(),
            "{value}"
        );
    }
    for (field, value) in [
        ("\"pos\":\"0.011\"", "\"pos\":\"1e3\""),
        ("\"lev\":\"10\"", "\"lev\":\"70000\""),
        ("\"b\":\"1000000\"", "\"b\":\"99999999999999\""),
    ] {
        let b = ACCOUNT.replace(field, value);
        let m = account::decode_account_push(b.as_bytes()).unwrap();
        let ok = m.positions(&s).all(|r| r.is_ok()) && m.collaterals(&s).all(|r| r.is_ok());
        assert!(!ok, "{value}");
    }
    let b = PRICING.replace("\"mp\":\"50652.3553\"", "\"mp\":\"0.0000000000000000001\"");
    let m = pricing::decode_pricing_push(b.as_bytes()).unwrap();
    assert!(m.contracts(&s).next().unwrap().is_err());
    let deep = "[".repeat(100_000);
    assert!(order_push::decode_order_push(deep.as_bytes(), &s).is_err());
    let deep = format!(
        r#"{{"m":"futures-pricing-data","con":{}}}"#,
        "[".repeat(10_000)
    );
    assert!(pricing::decode_pricing_push(deep.as_bytes()).is_err());
}
