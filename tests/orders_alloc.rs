//! Zero allocation on the order path after warm-up: build and sign a place order (WS frame, REST body and
//! headers), decode an order push, apply it to the tracker (fill derived), 100,000 times.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ascendex_hft::orders::*;
use ascendex_hft::venue::ascendex::auth::{ApiPath, Credentials, KeyDerivation};
use ascendex_hft::venue::ascendex::ids::{ClientIdGen, Via, predict_order_id};
use ascendex_hft::venue::ascendex::stream::trading::*;

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

const UID: &str = "U0123456789";

struct Rig {
    signer: ascendex_hft::venue::ascendex::auth::Signer,
    ids: ClientIdGen,
    tracker: OrderTracker,
    scales: ScaleTable,
    balances: Balances,
    ws: Vec<u8>,
    rest_body: Vec<u8>,
    headers: Vec<u8>,
    push: Vec<u8>,
    oid_at: usize,
    sn_at: usize,
    sn: u64,
    fills: i64,
}

impl Rig {
    fn new() -> Rig {
        let creds = Credentials::new(
            "CEcrjGyipqt0OflgdQQSRGdrDXdDUY2x".into(),
            "hV8FgjyJtpvVeAcMAgzgAFQCN36wmbWuN7o3WPcYcYhFd8qvE43gzFGVsFcCqMNk".into(),
        )
        .unwrap();
        let mut scales = ScaleTable::new();
        let usdt = scales.add_asset("USDT", 9);
        let btc = scales.add_asset("BTC", 8);
        scales.add_symbol(
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
        let push = br#"{"m":"order","accountId":"cshQtyfq8XLAA9kcf19h8bXHbAwwoqDo","ac":"CASH","data":{"s":"BTC/USDT","sn":1000000000,"sd":"Buy","ap":"60000.25","bab":"2006.5974027","btb":"2006.5974027","cf":"0.0600002","cfq":"0.00100","err":"","fa":"USDT","orderId":"XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX","ot":"Limit","p":"60000.25","q":"0.00100","qab":"793.23","qtb":"860.23","sp":"","st":"Filled","t":1576019215402,"ei":"Post"}}"#.to_vec();
        let find = |pat: &[u8]| push.windows(pat.len()).position(|w| w == pat).unwrap();
        let oid_at = find(b"XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");
        let sn_at = find(b"1000000000");
        Rig {
            signer: creds.signer(KeyDerivation::RawSecret).unwrap(),
            ids: ClientIdGen::new("hft", b'H', 1_763_700_000_000).unwrap(),
            tracker: OrderTracker::new(256),
            scales,
            balances: Balances::new(2),
            ws: Vec::with_capacity(1024),
            rest_body: Vec::with_capacity(1024),
            headers: Vec::with_capacity(1024),
            push,
            oid_at,
            sn_at,
            sn: 1_000_000_000,
            fills: 0,
        }
    }

    fn round(&mut self, i: u64) {
        let now_ms = 1_763_700_000_000 + i;
        let cid = self.ids.next_id();
        let oid = predict_order_id(Via::WebSocket, now_ms, UID, &cid).unwrap();
        let order = PlaceOrder {
            client_id: &cid,
            time_ms: now_ms,
            spec: OrderSpec {
                symbol_id: SymbolId(0),
                symbol: "BTC/USDT",
                side: Side::Buy,
                kind: OrderKind::Limit,
                price: 6_000_025,
                price_scale: 2,
                qty: 100,
                qty_scale: 5,
                stop_price: None,
                post_only: true,
                tif: TimeInForce::Gtc,
            },
            resp_inst: RespInst::Ack,
        };
        write_place_order(&mut self.ws, Account::Cash, &order).unwrap();
        // The REST variant of the same order: body plus signed headers.
        self.rest_body.clear();
        write_order_object(&mut self.rest_body, &order).unwrap();
        self.headers.clear();
        self.signer
            .headers(now_ms, ApiPath::Order)
            .write_http(&mut self.headers);
        let h = self
            .tracker
            .insert(
                NewOrder {
                    client_id: cid,
                    order_id: Some(oid),
                    symbol: SymbolId(0),
                    side: Side::Buy,
                    kind: OrderKind::Limit,
                    tif: TimeInForce::Gtc,
                    post_only: true,
                    price: 6_000_025,
                    qty: 100,
                },
                i,
                5_000_000_000,
            )
            .unwrap();
        // The exchange's push for it (id and sequence number patched in place).
        self.push[self.oid_at..self.oid_at + 32].copy_from_slice(oid.as_bytes());
        self.sn += 1;
        let mut n = self.sn;
        for k in (0..10).rev() {
            self.push[self.sn_at + k] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        let Inbound::Order(p) = decode(&self.push, &self.scales).unwrap() else {
            panic!("not an order push")
        };
        let a = self.tracker.apply(&p.update(Source::WsPush)).unwrap();
        assert_eq!(a.handle, h);
        let f = a.fill.unwrap();
        assert_eq!((f.qty, f.price), (100, 6_000_025));
        self.fills += f.qty;
        if let (Some(t), Some(av)) = (p.quote_total, p.quote_available) {
            let _ = self.balances.apply_update(p.scales.quote.id, t, av, p.seq);
        }
    }
}

#[test]
fn order_path_allocates_nothing_after_warm_up() {
    let mut rig = Rig::new();
    for i in 0..1_000 {
        rig.round(i);
    }
    let before = ALLOCS.with(|a| a.get());
    COUNTING.with(|c| c.set(true));
    for i in 1_000..101_000 {
        rig.round(i);
    }
    COUNTING.with(|c| c.set(false));
    let allocs = ALLOCS.with(|a| a.get()) - before;
    assert_eq!(rig.fills, 101_000 * 100);
    assert!(serde_json::from_slice::<serde_json::Value>(&rig.ws).is_ok());
    assert_eq!(allocs, 0, "allocations on the order path after warm-up");
}

#[test]
fn the_counter_counts() {
    // Guards the gate itself: a deliberate allocation while counting is seen.
    let before = ALLOCS.with(|a| a.get());
    COUNTING.with(|c| c.set(true));
    let v: Vec<u8> = Vec::with_capacity(std::hint::black_box(64));
    COUNTING.with(|c| c.set(false));
    drop(v);
    assert!(ALLOCS.with(|a| a.get()) > before);
}

#[test]
fn order_entry_path_allocates_nothing_after_warm_up() {
    use ascendex_hft::venue::ascendex::stream::trading::{
        EntryEvent, OrderEntry, OrderSpec, Stamp,
    };
    let mut scales = ScaleTable::new();
    let usdt = scales.add_asset("USDT", 9);
    let btc = scales.add_asset("BTC", 8);
    let sc = SymbolScales {
        id: SymbolId(0),
        price: 2,
        qty: 5,
        fee: 10,
        base: btc,
        quote: usdt,
    };
    scales.add_symbol("BTC/USDT", sc);
    let mut entry = OrderEntry::new(
        ClientIdGen::new("hft", b'H', 1_763_700_000_000).unwrap(),
        UID,
        Account::Cash,
    )
    .unwrap();
    let mut tracker = OrderTracker::new(256);
    let mut balances = Balances::new(2);
    let mut out = Vec::with_capacity(1024);
    let mut push = br#"{"m":"order","accountId":"c","ac":"CASH","data":{"s":"BTC/USDT","sn":1000000000,"sd":"Buy","ap":"60000.25","bab":"1","btb":"1","cf":"0.06","cfq":"0.00100","err":"","fa":"USDT","orderId":"XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX","ot":"Limit","p":"60000.25","q":"0.00100","qab":"7","qtb":"8","sp":"","st":"Filled","t":1,"ei":"Post"}}"#.to_vec();
    let oid_at = push.windows(4).position(|w| w == b"XXXX").unwrap();
    let sn_at = push.windows(10).position(|w| w == b"1000000000").unwrap();
    let spec = OrderSpec {
        symbol: "BTC/USDT",
        symbol_id: sc.id,
        side: Side::Buy,
        kind: OrderKind::Limit,
        price: 6_000_025,
        price_scale: sc.price,
        qty: 100,
        qty_scale: sc.qty,
        stop_price: None,
        post_only: true,
        tif: TimeInForce::Gtc,
    };
    let mut filled = 0i64;
    let mut round = |i: u64, filled: &mut i64| {
        let at = Stamp {
            exchange_ms: 1_763_700_000_000 + i,
            now_ns: i,
            timeout_ns: 5_000_000_000,
        };
        let h = entry.place(&mut out, &mut tracker, &spec, at).unwrap();
        let oid = tracker.get(h).unwrap().order_id;
        push[oid_at..oid_at + 32].copy_from_slice(oid.as_bytes());
        let mut n = 1_000_000_000 + i;
        for k in (0..10).rev() {
            push[sn_at + k] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        let msg = decode(&push, &scales).unwrap();
        match entry.on_message(&msg, &mut tracker, &mut balances).unwrap() {
            EntryEvent::Order(a) => *filled += a.fill.unwrap().qty,
            other => panic!("{other:?}"),
        }
    };
    for i in 0..1_000 {
        round(i, &mut filled);
    }
    let before = ALLOCS.with(|a| a.get());
    COUNTING.with(|c| c.set(true));
    for i in 1_000..101_000 {
        round(i, &mut filled);
    }
    COUNTING.with(|c| c.set(false));
    assert_eq!(filled, 101_000 * 100);
    assert_eq!(
        ALLOCS.with(|a| a.get()) - before,
        0,
        "allocations on the OrderEntry path after warm-up"
    );
}
