//! Zero allocation on the futures hot path after warm-up: decode a pricing push, an order push (and its fill
//! cross-check) and an account update (every row), and encode place and cancel frames, 100,000 times.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use ascendex_hft::orders::{ClientId, OrderId, OrderKind, Side, SymbolId, TimeInForce};
use ascendex_hft::venue::ascendex::futures::encode::{
    FuturesPlace, write_cancel_order, write_place_order,
};
use ascendex_hft::venue::ascendex::futures::order_push::{FillCheck, Seen, decode_order_push};
use ascendex_hft::venue::ascendex::futures::{account, pricing};
use ascendex_hft::venue::ascendex::stream::trading::{
    AssetScale, OrderSpec, RespInst, ScaleTable, SymbolScales,
};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    // Per thread, so tests running in parallel do not see each other's allocations.
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if COUNTING.with(|c| c.get()) {
            ALLOCS.with(|a| a.set(a.get() + 1));
        }
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        if COUNTING.with(|c| c.get()) {
            ALLOCS.with(|a| a.set(a.get() + 1));
        }
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const PRICING: &[u8] = br#"{"m":"futures-pricing-data","con":[{"s":"BTC-PERP","t":1614814705716,"ip":"50702.8","mp":"50652.3553","r":"0.000565699","oi":"90.7367","f":1614816000000}],"col":[{"a":"BTC","p":"50621.795"},{"a":"USDT","p":"1"}]}"#;
const ORDER: &[u8] = br#"{"m":"futures-order","sn":127,"e":"ExecutionReport","a":"sample-futures-account-id","ac":"FUTURES","t":1606335352348,"ct":1606335351541,"orderId":"a176010c4957U68469127074abcd1234","sd":"Buy","ot":"Limit","q":"0.1","p":"18000","sp":"0","spb":"","s":"BTC-PERP","st":"PartiallyFilled","lp":"18000","lq":"0.04","ap":"18000","cfq":"0.04","f":"0.72","cf":"0.72","fa":"USDT","ei":"ReduceOnly","err":""}"#;
const ACCOUNT: &[u8] = br#"{"m":"futures-account-update","e":"ExecutionReport","t":1612508562129,"acc":"sample-futures-account-id","at":"FUTURES","sn":23128,"id":"r177710001cbU3813942147C5kbFGOan","col":[{"a":"USDT","b":"1000000","f":"1"}],"pos":[{"s":"BTC-PERP","sd":"LONG","pos":"0.011","rc":"-385.840455","up":"18.436008668","rp":"0","aop":"35041.363636363","boon":"0","soon":"0","mt":"crossed","iw":"0","lev":"10","tp":"0","tpt":"market","sl":"0","slt":"market"}]}"#;

fn scales() -> ScaleTable {
    let mut s = ScaleTable::new();
    let usdt: AssetScale = s.add_asset("USDT", 9);
    let btc = s.add_asset("BTC", 8);
    s.add_symbol(
        "BTC-PERP",
        SymbolScales {
            id: SymbolId(0),
            price: 1,
            qty: 4,
            fee: 9,
            base: btc,
            quote: usdt,
        },
    );
    s
}

/// One round of the hot path; returns a checksum so nothing is optimized away (and to check the results).
fn round(s: &ScaleTable, out: &mut Vec<u8>, cid: &ClientId, oid: &OrderId, i: u64) -> i64 {
    let mut sum = 0i64;
    let m = pricing::decode_pricing_push(black_box(PRICING)).unwrap();
    for r in m.contracts(s) {
        sum += r.unwrap().pricing.mark_price.mantissa;
    }
    for r in m.collaterals(s) {
        sum += r.unwrap().price.price.mantissa;
    }
    let p = decode_order_push(black_box(ORDER), s).unwrap();
    let seen = Seen {
        seq: 126,
        ..Seen::default()
    };
    if let FillCheck::Exact(e) = p.check_fill(&seen) {
        sum += e.qty;
    }
    let a = account::decode_account_push(black_box(ACCOUNT)).unwrap();
    for c in a.collaterals(s) {
        sum += c.unwrap().balance % 1000;
    }
    for r in a.positions(s) {
        sum += r.unwrap().position.qty;
    }
    let spec = OrderSpec {
        symbol: "BTC-PERP",
        symbol_id: SymbolId(0),
        side: Side::Buy,
        kind: OrderKind::Limit,
        price: 180_000 + (i % 100) as i64,
        price_scale: 1,
        qty: 1_000,
        qty_scale: 4,
        stop_price: None,
        post_only: true,
        tif: TimeInForce::Gtc,
    };
    let o = FuturesPlace {
        client_id: cid,
        time_ms: 1_700_000_000_000 + i,
        spec,
        reduce_only: true,
        resp_inst: RespInst::Ack,
    };
    write_place_order(out, &o).unwrap();
    sum += out.len() as i64;
    write_cancel_order(out, cid, 1_700_000_000_000 + i, oid, "BTC-PERP").unwrap();
    sum + out.len() as i64
}

#[test]
fn futures_codec_allocates_nothing_after_warm_up() {
    let s = scales();
    let cid = ClientId::new(b"r0000000001abcdefg").unwrap();
    let oid = OrderId::new(b"s18bcfe5680U0123456789abcdefg000").unwrap();
    let mut out = Vec::with_capacity(512);
    let first = round(&s, &mut out, &cid, &oid, 0);
    let before = ALLOCS.with(|a| a.get());
    COUNTING.with(|c| c.set(true));
    let mut total = 0i64;
    for i in 0..100_000u64 {
        total = total.wrapping_add(round(&s, &mut out, &cid, &oid, i % 10));
    }
    COUNTING.with(|c| c.set(false));
    let allocs = ALLOCS.with(|a| a.get()) - before;
    assert!(first > 0 && total != 0);
    assert!(serde_json::from_slice::<serde_json::Value>(&out).is_ok());
    assert_eq!(
        allocs, 0,
        "allocations on the futures hot path after warm-up"
    );
}

#[test]
fn the_counter_counts() {
    let before = ALLOCS.with(|a| a.get());
    COUNTING.with(|c| c.set(true));
    let v = black_box(vec![1u8; 64]);
    COUNTING.with(|c| c.set(false));
    drop(v);
    assert!(ALLOCS.with(|a| a.get()) > before);
}
