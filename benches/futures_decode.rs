//! Bench `futures_decode`: the futures codec's hot-path decoders, each beside serde_json in the same run.
//! - `pricing`: a `futures-pricing-data` push (1 contract, 6 collateral prices) → core `Pricing` / `CollateralPrice`;
//! - `order`: a `futures-order` push → `FuturesOrderPush` and its fill cross-check;
//! - `account`: a `futures-account-update` (1 collateral, 1 position) → core `Position` and the balance;
//! - baseline for each: serde_json into owned structs (`String` fields, `f64` figures), the typical stack.
//!
//! Criterion reports means; after it, the binary times batches of 32 decodes (ns per message per batch) into an
//! hdrhistogram and prints p50/p99 and the baseline/ours ratio. Machines here are noisy: read the ratios.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ascendex_hft::orders::SymbolId;
use ascendex_hft::venue::ascendex::futures::order_push::{Seen, decode_order_push};
use ascendex_hft::venue::ascendex::futures::{account, pricing};
use ascendex_hft::venue::ascendex::stream::trading::{ScaleTable, SymbolScales};
use criterion::Criterion;
use hdrhistogram::Histogram;
use serde::Deserialize;

const PRICING: &[u8] = br#"{"m":"futures-pricing-data","con":[{"s":"BTC-PERP","t":1614814705716,"ip":"50702.8","mp":"50652.3553","r":"0.000565699","oi":"90.7367","f":1614816000000}],"col":[{"a":"USDTR","p":"1"},{"a":"USDC","p":"0.99935"},{"a":"ETH","p":"1582.505"},{"a":"PAX","p":"0.9964"},{"a":"BTC","p":"50621.795"},{"a":"USDT","p":"1"}]}"#;
const ORDER: &[u8] = br#"{"m":"futures-order","sn":127,"e":"ExecutionReport","a":"sample-futures-account-id","ac":"FUTURES","t":1606335352348,"ct":1606335351541,"orderId":"a176010c4957U68469127074abcd1234","sd":"Buy","ot":"Limit","q":"0.1","p":"18000","sp":"0","spb":"","s":"BTC-PERP","st":"PartiallyFilled","lp":"18000","lq":"0.04","ap":"18000","cfq":"0.04","f":"0.72","cf":"0.72","fa":"USDT","ei":"NULL_VAL","err":""}"#;
const ACCOUNT: &[u8] = br#"{"m":"futures-account-update","e":"ExecutionReport","t":1612508562129,"acc":"sample-futures-account-id","at":"FUTURES","sn":23128,"id":"r177710001cbU3813942147C5kbFGOan","col":[{"a":"USDT","b":"1000000","f":"1"}],"pos":[{"s":"BTC-PERP","sd":"LONG","pos":"0.011","rc":"-385.840455","up":"18.436008668","rp":"0","aop":"35041.363636363","boon":"0","soon":"0","mt":"crossed","iw":"0","lev":"10","tp":"0","tpt":"market","sl":"0","slt":"market"}]}"#;

fn scales() -> ScaleTable {
    let mut s = ScaleTable::new();
    let usdt = s.add_asset("USDT", 9);
    let btc = s.add_asset("BTC", 8);
    for a in ["USDTR", "USDC", "ETH", "PAX"] {
        s.add_asset(a, 8);
    }
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

fn ours_pricing(s: &ScaleTable, b: &[u8]) -> i64 {
    let m = pricing::decode_pricing_push(b).unwrap();
    let mut x = 0;
    for r in m.contracts(s) {
        x += r.unwrap().pricing.mark_price.mantissa;
    }
    for r in m.collaterals(s) {
        x += r.unwrap().price.price.mantissa;
    }
    x
}

fn ours_order(s: &ScaleTable, b: &[u8]) -> i64 {
    let p = decode_order_push(b, s).unwrap();
    let seen = Seen {
        seq: 126,
        ..Seen::default()
    };
    p.cum_qty + p.check_fill(&seen).fills()[0].map_or(0, |e| e.qty)
}

fn ours_account(s: &ScaleTable, b: &[u8]) -> i64 {
    let m = account::decode_account_push(b).unwrap();
    let mut x = 0;
    for c in m.collaterals(s) {
        x += c.unwrap().balance;
    }
    for p in m.positions(s) {
        x += p.unwrap().position.qty;
    }
    x
}

// ---- baseline: serde_json into owned structs ----

fn f(s: &str) -> f64 {
    s.parse().unwrap_or(0.0)
}

#[derive(Deserialize)]
struct BCon {
    s: String,
    t: u64,
    ip: String,
    mp: String,
    r: String,
    oi: String,
    f: u64,
}
#[derive(Deserialize)]
struct BCol {
    a: String,
    p: String,
}
#[derive(Deserialize)]
struct BPricing {
    m: String,
    con: Vec<BCon>,
    col: Vec<BCol>,
}

fn base_pricing(b: &[u8]) -> f64 {
    let p: BPricing = serde_json::from_slice(b).unwrap();
    let mut x = p.m.len() as f64;
    for c in &p.con {
        x += f(&c.mp) + f(&c.ip) + f(&c.r) + f(&c.oi) + (c.t + c.f) as f64 + c.s.len() as f64;
    }
    for c in &p.col {
        x += f(&c.p) + c.a.len() as f64;
    }
    x
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct BOrder {
    m: String,
    sn: u64,
    e: String,
    a: String,
    ac: String,
    t: u64,
    ct: u64,
    #[serde(rename = "orderId")]
    order_id: String,
    sd: String,
    ot: String,
    q: String,
    p: String,
    sp: String,
    spb: String,
    s: String,
    st: String,
    lp: String,
    lq: String,
    ap: String,
    cfq: String,
    f: String,
    cf: String,
    fa: String,
    ei: String,
    err: String,
}

fn base_order(b: &[u8]) -> f64 {
    let o: BOrder = serde_json::from_slice(b).unwrap();
    f(&o.q)
        + f(&o.p)
        + f(&o.lp)
        + f(&o.lq)
        + f(&o.ap)
        + f(&o.cfq)
        + f(&o.f)
        + f(&o.cf)
        + o.sn as f64
}

#[derive(Deserialize)]
struct BBal {
    a: String,
    b: String,
    f: String,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct BPos {
    s: String,
    sd: String,
    pos: String,
    rc: String,
    up: String,
    rp: String,
    aop: String,
    boon: String,
    soon: String,
    mt: String,
    iw: String,
    lev: String,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct BAccount {
    m: String,
    e: String,
    t: u64,
    acc: String,
    sn: u64,
    id: String,
    col: Vec<BBal>,
    pos: Vec<BPos>,
}

fn base_account(b: &[u8]) -> f64 {
    let a: BAccount = serde_json::from_slice(b).unwrap();
    let mut x = a.sn as f64;
    for c in &a.col {
        x += f(&c.b) + f(&c.f) + c.a.len() as f64;
    }
    for p in &a.pos {
        x += f(&p.pos) + f(&p.rc) + f(&p.up) + f(&p.rp) + f(&p.aop) + f(&p.iw) + f(&p.lev);
    }
    x
}

const BATCH: u32 = 32;
const BATCHES: usize = 20_000;

/// ns per message, batches of [`BATCH`].
fn histogram(mut one: impl FnMut()) -> Histogram<u64> {
    let mut h = Histogram::<u64>::new(3).unwrap();
    for _ in 0..1_000 {
        one();
    }
    for _ in 0..BATCHES {
        let t = Instant::now();
        for _ in 0..BATCH {
            one();
        }
        let ps = t.elapsed().as_nanos() as u64 * 1000 / BATCH as u64;
        h.record(ps.max(1)).unwrap();
    }
    h
}

fn main() {
    let s = scales();
    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    {
        let mut g = c.benchmark_group("futures_decode");
        g.bench_function("pricing/ours", |b| {
            b.iter(|| ours_pricing(&s, black_box(PRICING)))
        });
        g.bench_function("pricing/serde_json_owned", |b| {
            b.iter(|| base_pricing(black_box(PRICING)))
        });
        g.bench_function("order/ours", |b| {
            b.iter(|| ours_order(&s, black_box(ORDER)))
        });
        g.bench_function("order/serde_json_owned", |b| {
            b.iter(|| base_order(black_box(ORDER)))
        });
        g.bench_function("account/ours", |b| {
            b.iter(|| ours_account(&s, black_box(ACCOUNT)))
        });
        g.bench_function("account/serde_json_owned", |b| {
            b.iter(|| base_account(black_box(ACCOUNT)))
        });
        g.finish();
    }
    c.final_summary();

    println!("\nns per message (batches of {BATCH}, {BATCHES} batches), same run:");
    println!(
        "{:<10} {:>10} {:>10} {:>12} {:>12} {:>10} {:>10}",
        "message", "ours p50", "ours p99", "serde p50", "serde p99", "p50 ratio", "p99 ratio"
    );
    let ns = |v: u64| v as f64 / 1000.0;
    let rows: [(&str, Histogram<u64>, Histogram<u64>); 3] = [
        (
            "pricing",
            histogram(|| {
                black_box(ours_pricing(&s, black_box(PRICING)));
            }),
            histogram(|| {
                black_box(base_pricing(black_box(PRICING)));
            }),
        ),
        (
            "order",
            histogram(|| {
                black_box(ours_order(&s, black_box(ORDER)));
            }),
            histogram(|| {
                black_box(base_order(black_box(ORDER)));
            }),
        ),
        (
            "account",
            histogram(|| {
                black_box(ours_account(&s, black_box(ACCOUNT)));
            }),
            histogram(|| {
                black_box(base_account(black_box(ACCOUNT)));
            }),
        ),
    ];
    for (name, o, b) in rows {
        let (o50, o99) = (o.value_at_quantile(0.5), o.value_at_quantile(0.99));
        let (b50, b99) = (b.value_at_quantile(0.5), b.value_at_quantile(0.99));
        println!(
            "{name:<10} {:>10.1} {:>10.1} {:>12.1} {:>12.1} {:>9.2}x {:>9.2}x",
            ns(o50),
            ns(o99),
            ns(b50),
            ns(b99),
            b50 as f64 / o50.max(1) as f64,
            b99 as f64 / o99.max(1) as f64
        );
    }
}
