//! Bench `sign`: signing a REST request with the pre-keyed HMAC (base64 into a stack buffer) against a naive
//! baseline (new HMAC per request, `String` message and base64), and encoding a place-order WebSocket frame
//! against serde_json building the same frame. Criterion reports each; a final same-run pass prints per-operation
//! p50/p99 and the ratios (machines here are noisy: the ratio is the figure to quote).
//!
//! Run: `cargo bench -p ascendex-hft --bench sign`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::Criterion;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use ascendex_hft::orders::SymbolId;
use ascendex_hft::orders::{ClientId, OrderKind, Side, TimeInForce};
use ascendex_hft::venue::ascendex::auth::{ApiPath, Credentials, KeyDerivation, Signer};
use ascendex_hft::venue::ascendex::stream::trading::{
    Account, Inbound, OrderSpec, PlaceOrder, RespInst, ScaleTable, SymbolScales, decode,
    write_place_order,
};

const PUSH: &[u8] = br#"{"m":"order","accountId":"cshQtyfq8XLAA9kcf19h8bXHbAwwoqDo","ac":"CASH","data":{"s":"BTC/USDT","sn":8159711,"sd":"Buy","ap":"60000.25","bab":"2006.5974027","btb":"2006.5974027","cf":"0.0600002","cfq":"0.00100","err":"","fa":"USDT","orderId":"s16ef210b1a50866943712bfaf1584b","ot":"Limit","p":"60000.25","q":"0.00100","qab":"793.23","qtb":"860.23","sp":"","st":"PartiallyFilled","t":1576019215402,"ei":"Post"}}"#;

fn scales() -> ScaleTable {
    let mut t = ScaleTable::new();
    let usdt = t.add_asset("USDT", 9);
    let btc = t.add_asset("BTC", 8);
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
    t
}

fn decode_ours(t: &ScaleTable) -> usize {
    match decode(black_box(PUSH), t) {
        Ok(Inbound::Order(p)) => p.cum_qty as usize,
        _ => 0,
    }
}

/// Baseline: serde_json into a tree with owned strings, then the same decimal conversion.
fn decode_serde() -> usize {
    let v: serde_json::Value = serde_json::from_slice(black_box(PUSH)).unwrap();
    let cfq = v["data"]["cfq"].as_str().unwrap();
    ascendex_hft::orders::scaled::parse_scaled(cfq.as_bytes(), 5).unwrap() as usize
}

const KEY: &str = "CEcrjGyipqt0OflgdQQSRGdrDXdDUY2x";
const SECRET: &str = "hV8FgjyJtpvVeAcMAgzgAFQCN36wmbWuN7o3WPcYcYhFd8qvE43gzFGVsFcCqMNk";

fn signer() -> Signer {
    Credentials::new(KEY.into(), SECRET.into())
        .unwrap()
        .signer(KeyDerivation::RawSecret)
        .unwrap()
}

/// Ours: prepared HMAC cloned, timestamp and base64 on the stack.
fn sign_prekeyed(s: &Signer, ts: u64) -> u8 {
    let h = s.headers(ts, ApiPath::Order);
    h.signature.as_bytes()[0] ^ h.timestamp.as_bytes()[0]
}

/// Baseline: what a straightforward client does per request.
fn sign_naive(secret: &str, ts: u64) -> u8 {
    let msg = format!("{ts}+order");
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(msg.as_bytes());
    let sig: String = STANDARD.encode(mac.finalize().into_bytes());
    let ts_header = ts.to_string();
    sig.as_bytes()[0] ^ ts_header.as_bytes()[0]
}

fn order(id: &ClientId, ts: u64) -> PlaceOrder<'_> {
    PlaceOrder {
        client_id: id,
        time_ms: ts,
        spec: OrderSpec {
            symbol_id: SymbolId(0),
            symbol: "BTC/USDT",
            side: Side::Buy,
            kind: OrderKind::Limit,
            price: 6_000_025,
            price_scale: 2,
            qty: 123,
            qty_scale: 5,
            stop_price: None,
            post_only: true,
            tif: TimeInForce::Gtc,
        },
        resp_inst: RespInst::Ack,
    }
}

fn encode_ours(buf: &mut Vec<u8>, id: &ClientId, ts: u64) -> usize {
    write_place_order(buf, Account::Cash, &order(id, ts)).unwrap();
    buf.len()
}

/// Baseline: serde_json building the same frame from owned strings.
fn encode_serde(id: &ClientId, ts: u64) -> usize {
    let price = format!("{}.{:02}", 6_000_025 / 100, 6_000_025 % 100);
    let qty = format!("0.{:05}", 123);
    let v = serde_json::json!({
        "op": "req", "action": "place-order", "account": "cash", "id": id.as_str(),
        "args": {
            "time": ts, "id": id.as_str(), "symbol": "BTC/USDT", "orderPrice": price, "orderQty": qty,
            "orderType": "limit", "side": "buy", "postOnly": true, "timeInForce": "GTC", "respInst": "ACK",
        }
    });
    serde_json::to_vec(&v).unwrap().len()
}

fn criterion_benches(c: &mut Criterion) {
    let s = signer();
    let id = ClientId::new(b"hftH0000abcd").unwrap();
    let mut buf = Vec::with_capacity(512);
    let mut ts = 1_763_700_000_000u64;
    c.bench_function("sign/prekeyed_stack_base64", |b| {
        b.iter(|| {
            ts += 1;
            sign_prekeyed(&s, black_box(ts))
        })
    });
    c.bench_function("sign/naive_new_hmac_string", |b| {
        b.iter(|| {
            ts += 1;
            sign_naive(black_box(SECRET), black_box(ts))
        })
    });
    c.bench_function("encode/place_order_ws_ours", |b| {
        b.iter(|| {
            ts += 1;
            encode_ours(&mut buf, &id, black_box(ts))
        })
    });
    c.bench_function("encode/place_order_ws_serde_json", |b| {
        b.iter(|| {
            ts += 1;
            encode_serde(&id, black_box(ts))
        })
    });
}

/// Per-operation times from `samples` batches of `batch` calls: (p50, p99) in ns.
fn sample(mut f: impl FnMut(u64) -> usize, samples: usize, batch: u64) -> (f64, f64) {
    let mut t = Vec::with_capacity(samples);
    let mut sink = 0usize;
    let mut ts = 1_763_700_000_000u64;
    for _ in 0..samples / 10 {
        sink = sink.wrapping_add(f(ts));
    }
    for _ in 0..samples {
        let start = Instant::now();
        for _ in 0..batch {
            ts += 1;
            sink = sink.wrapping_add(f(black_box(ts)));
        }
        t.push(start.elapsed().as_nanos() as f64 / batch as f64);
    }
    black_box(sink);
    t.sort_by(|a, b| a.total_cmp(b));
    (t[t.len() / 2], t[t.len() * 99 / 100])
}

fn same_run_report() {
    let s = signer();
    let id = ClientId::new(b"hftH0000abcd").unwrap();
    let mut buf = Vec::with_capacity(512);
    let (n, b) = (2_000, 50);
    let ours = sample(|ts| sign_prekeyed(&s, ts) as usize, n, b);
    let naive = sample(|ts| sign_naive(SECRET, ts) as usize, n, b);
    let enc = sample(|ts| encode_ours(&mut buf, &id, ts), n, b);
    let enc_serde = sample(|ts| encode_serde(&id, ts), n, b);
    println!("\nsame-run report (per operation, {n} samples of {b}):");
    println!(
        "  sign   prekeyed+stack   p50 {:7.1} ns  p99 {:7.1} ns",
        ours.0, ours.1
    );
    println!(
        "  sign   naive            p50 {:7.1} ns  p99 {:7.1} ns",
        naive.0, naive.1
    );
    println!(
        "  sign   ratio naive/ours p50 {:.2}x  p99 {:.2}x",
        naive.0 / ours.0,
        naive.1 / ours.1
    );
    println!(
        "  encode place-order ours p50 {:7.1} ns  p99 {:7.1} ns",
        enc.0, enc.1
    );
    println!(
        "  encode serde_json       p50 {:7.1} ns  p99 {:7.1} ns",
        enc_serde.0, enc_serde.1
    );
    println!(
        "  encode ratio serde/ours p50 {:.2}x  p99 {:.2}x",
        enc_serde.0 / enc.0,
        enc_serde.1 / enc.1
    );
    let t = scales();
    let dec = sample(|_| decode_ours(&t), n, b);
    let dec_serde = sample(|_| decode_serde(), n, b);
    println!(
        "  decode order push ours  p50 {:7.1} ns  p99 {:7.1} ns",
        dec.0, dec.1
    );
    println!(
        "  decode serde_json Value p50 {:7.1} ns  p99 {:7.1} ns",
        dec_serde.0, dec_serde.1
    );
    println!(
        "  decode ratio serde/ours p50 {:.2}x  p99 {:.2}x",
        dec_serde.0 / dec.0,
        dec_serde.1 / dec.1
    );
    println!(
        "  target: signing p50 <= 250 ns: {}",
        if ours.0 <= 250.0 { "met" } else { "NOT met" }
    );
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
        .configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();
    same_run_report();
}
