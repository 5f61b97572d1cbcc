use super::*;
use crate::orders::TimeInForce;
use crate::venue::ascendex::stream::trading::RespInst;

#[test]
fn batch_written_item_by_item_equals_the_slice_builder() {
    let ids = [
        ClientId::new(b"hx0000001").unwrap(),
        ClientId::new(b"hx0000002").unwrap(),
    ];
    use crate::orders::SymbolId;
    use crate::venue::ascendex::stream::trading::OrderSpec;
    let order = |i: usize| PlaceOrder {
        client_id: &ids[i],
        time_ms: 1_700_000_000_000,
        spec: OrderSpec {
            symbol_id: SymbolId(0),
            symbol: "BTC/USDT",
            side: Side::Buy,
            kind: OrderKind::Limit,
            price: 6_000_000 + i as i64,
            price_scale: 2,
            qty: 1_000 * (i as i64 + 1),
            qty_scale: 5,
            stop_price: None,
            post_only: true,
            tif: TimeInForce::Gtc,
        },
        resp_inst: RespInst::Ack,
    };
    let orders = [order(0), order(1)];
    let mut a = RestBuffers::default();
    let mut b = RestBuffers::default();
    let ra = batch_place(&mut a, 6, Account::Cash, &orders).unwrap();
    let rb = batch_place_each(&mut b, 6, Account::Cash, 2, |i, out| {
        write_order_object(out, &order(i))
    })
    .unwrap();
    assert_eq!(ra, rb);
    assert_eq!(rb.path, b"/6/api/pro/v1/cash/order/batch");
    assert_eq!((rb.method, rb.prehash), (Method::Post, ApiPath::OrderBatch));
    let v: serde_json::Value = serde_json::from_slice(rb.body).unwrap();
    assert_eq!(v["orders"][1]["id"], "hx0000002");
    assert_eq!(v["orders"][1]["orderQty"], "0.02000");
    let mut c = RestBuffers::default();
    for n in [0, MAX_BATCH + 1] {
        assert_eq!(
            batch_place_each(&mut c, 6, Account::Cash, n, |i, out| write_order_object(
                out,
                &order(i % 2)
            ))
            .err(),
            Some(BuildError::BatchSize(n))
        );
    }
    let bad = batch_place_each(&mut c, 6, Account::Cash, 1, |_, _| {
        Err(EncodeError::BadOrder)
    });
    assert!(bad.is_err());
}
