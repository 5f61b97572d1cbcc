//! Bench `book`: decode + apply of AscendEX depth diffs (5 and 20 levels a side), side by side in one run:
//! - `hand`: the hand-written scanner → `BookSync` → array ladder (the hot path);
//! - `sonic_reference`: the strict sonic-rs reference decoder (validates the document, then walks it lazily) → the
//!   same book;
//! - `sonic_typed_borrowed`: sonic-rs `from_slice` into borrowed structs (`&str`, a `Vec` per side) → the same book
//!   (sonic-rs used the usual way; it allocates);
//! - `baseline`: serde_json into owned structs, `f64` prices and sizes, a `BTreeMap` book (the typical stack);
//! - `book_level_update`: one book level update that deletes the best bid (the next best is found in the bitmap) or
//!   puts it back;
//! - `book_representation`: the levels of the 20-level diffs applied to the ladder and to sorted arrays
//!   (`book::sorted`), to check which representation wins at this depth.
//!
//! Criterion reports means; after it, the binary times batches of 32 messages (ns/message per batch) into an
//! hdrhistogram and prints p50/p99 and the ratio to the baseline. `BOOK_CALLGRIND=N` skips all that and runs the
//! 5-level `hand` path N times (for `tools/callgrind-book`).

use ascendex_hft::book::{BookConfig, BookSync, Level, Side, SyncAction, SyncConfig};
use ascendex_hft::num::{Price, Qty, Scale};
use ascendex_hft::venue::ascendex::stream::market::{DecoderConfig, MdDecoder, Msg, SymbolTable};
use criterion::Criterion;
use hdrhistogram::Histogram;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

const MSGS: usize = 4096;
const BATCH: usize = 32;

/// `MSGS` depth diffs with seqnums 1..=MSGS, `levels` a side, bids below 60000.00 and asks above (never crossed),
/// about one level in eight deleted.
fn payloads(levels: usize) -> Vec<Vec<u8>> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mid: i64 = 6_000_000;
    (1..=MSGS as u64)
        .map(|seq| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let shift = (x % 3) as i64;
            let level = |p: i64, i: u64| {
                let q = if (x >> i) & 7 == 0 { 0 } else { (x >> (i % 20 * 3)) % 500_000 + 1 };
                format!("[\"{}.{:02}\",\"{}.{:05}\"]", p / 100, p % 100, q / 100_000, q % 100_000)
            };
            let asks: Vec<String> = (1..=levels).map(|i| level(mid + i as i64 + shift, i as u64)).collect();
            let bids: Vec<String> = (1..=levels).map(|i| level(mid - i as i64 - shift, i as u64 + 7)).collect();
            format!(
                "{{\"m\":\"depth\",\"symbol\":\"BTC/USDT\",\"data\":{{\"ts\":{},\"seqnum\":{seq},\"asks\":[{}],\"bids\":[{}]}}}}",
                1_700_000_000_000u64 + seq,
                asks.join(","),
                bids.join(",")
            )
            .into_bytes()
        })
        .collect()
}

const SNAPSHOT: &[u8] = br#"{"m":"depth-snapshot","symbol":"BTC/USDT","data":{"seqnum":0,"ts":1,"asks":[["60000.01","1"],["60000.02","1"]],"bids":[["59999.99","1"],["59999.98","1"]]}}"#;

/// The exact pipeline: decoder + synchroniser.
struct Exact {
    dec: MdDecoder,
    sync: BookSync,
    reference: bool,
}

impl Exact {
    fn new(reference: bool) -> Exact {
        let mut t = SymbolTable::new();
        t.add(b"BTC/USDT", Scale::new(2).unwrap(), Scale::new(5).unwrap());
        let sync = BookSync::new(SyncConfig {
            book: BookConfig {
                tick: 1,
                window: 4096,
                depth: 20,
            },
            ..SyncConfig::default()
        })
        .unwrap();
        let mut e = Exact {
            dec: MdDecoder::new(t, DecoderConfig::default()),
            sync,
            reference,
        };
        e.reset();
        e
    }

    fn reset(&mut self) {
        // Restarting the seqnums is a new session as far as the synchroniser can tell.
        self.sync.reset(ascendex_hft::book::ResyncReason::Reconnect);
        if let Ok(Msg::Depth(d)) = self.dec.decode(SNAPSHOT) {
            let a = self.sync.on_snapshot(d.seqnum, d.bids, d.asks);
            assert!(matches!(a, SyncAction::Applied(_)), "{a:?}");
        }
    }

    #[inline]
    fn apply(&mut self, frame: &[u8]) -> i64 {
        let msg = if self.reference {
            self.dec.decode_reference(frame)
        } else {
            self.dec.decode(frame)
        };
        match msg {
            Ok(Msg::Depth(d)) => match self.sync.on_diff(d.seqnum, d.bids, d.asks) {
                // What a strategy would look at first.
                SyncAction::Applied(_) => self.sync.book().best_bid().map_or(0, |l| l.price.0),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }
}

/// The typical stack: serde_json into owned structs, f64, BTreeMap.
#[derive(Deserialize)]
#[allow(dead_code)]
struct OwnedDepth {
    m: String,
    symbol: String,
    data: OwnedData,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct OwnedData {
    ts: u64,
    seqnum: u64,
    asks: Vec<(String, String)>,
    bids: Vec<(String, String)>,
}

#[derive(Default)]
struct Baseline {
    // f64 keys by their bit pattern: for positive values the order is the numeric order.
    bids: BTreeMap<u64, f64>,
    asks: BTreeMap<u64, f64>,
    seq: u64,
}

impl Baseline {
    fn reset(&mut self) {
        self.bids.clear();
        self.asks.clear();
        self.seq = 0;
    }

    #[inline]
    fn apply(&mut self, frame: &[u8]) -> f64 {
        let msg: OwnedDepth = serde_json::from_slice(frame).unwrap();
        assert_eq!(msg.data.seqnum, self.seq + 1);
        self.seq = msg.data.seqnum;
        for (side, levels) in [
            (&mut self.bids, &msg.data.bids),
            (&mut self.asks, &msg.data.asks),
        ] {
            for (p, q) in levels {
                let p: f64 = p.parse().unwrap();
                let q: f64 = q.parse().unwrap();
                if q == 0.0 {
                    side.remove(&p.to_bits());
                } else {
                    side.insert(p.to_bits(), q);
                }
            }
        }
        self.bids
            .keys()
            .next_back()
            .map_or(0.0, |&b| f64::from_bits(b))
    }
}

/// sonic-rs the usual way: `from_slice` into borrowed structs (`&str`, one `Vec` per side), decimals to i64, the
/// same ladder. For comparing sonic-rs itself; `Exact { reference: true }` is the strict reference decoder.
#[derive(Deserialize)]
#[allow(dead_code)]
struct BorrowedDepth<'a> {
    #[serde(borrow)]
    m: &'a str,
    #[serde(borrow)]
    symbol: &'a str,
    #[serde(borrow)]
    data: BorrowedData<'a>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct BorrowedData<'a> {
    ts: u64,
    seqnum: u64,
    #[serde(borrow)]
    asks: Vec<(&'a str, &'a str)>,
    #[serde(borrow)]
    bids: Vec<(&'a str, &'a str)>,
}

struct SonicTyped {
    sync: BookSync,
    bids: Vec<Level>,
    asks: Vec<Level>,
}

impl SonicTyped {
    fn new() -> SonicTyped {
        let cfg = SyncConfig {
            book: BookConfig {
                tick: 1,
                window: 4096,
                depth: 20,
            },
            ..SyncConfig::default()
        };
        let mut s = SonicTyped {
            sync: BookSync::new(cfg).unwrap(),
            bids: Vec::with_capacity(64),
            asks: Vec::with_capacity(64),
        };
        Pipeline::reset(&mut s);
        s
    }
}

impl Pipeline for SonicTyped {
    fn reset(&mut self) {
        self.sync.reset(ascendex_hft::book::ResyncReason::Reconnect);
        let l = |p: i64| Level {
            price: Price(p),
            qty: Qty(100_000),
        };
        self.sync.on_snapshot(
            0,
            &[l(5_999_999), l(5_999_998)],
            &[l(6_000_001), l(6_000_002)],
        );
    }
    fn step(&mut self, frame: &[u8]) {
        let msg: BorrowedDepth = sonic_rs::from_slice(frame).unwrap();
        let (ps, qs) = (Scale::new(2).unwrap(), Scale::new(5).unwrap());
        let conv = |v: &[(&str, &str)], out: &mut Vec<Level>| {
            out.clear();
            for (p, q) in v {
                out.push(Level {
                    price: Price::parse(p.as_bytes(), ps).unwrap(),
                    qty: Qty::parse(q.as_bytes(), qs).unwrap(),
                });
            }
        };
        conv(&msg.data.bids, &mut self.bids);
        conv(&msg.data.asks, &mut self.asks);
        match self.sync.on_diff(msg.data.seqnum, &self.bids, &self.asks) {
            SyncAction::Applied(_) => {
                black_box(self.sync.book().best_bid());
            }
            other => panic!("{other:?}"),
        }
    }
}

/// A pipeline the timing loops can drive.
trait Pipeline {
    fn reset(&mut self);
    fn step(&mut self, frame: &[u8]);
}

impl Pipeline for Exact {
    fn reset(&mut self) {
        Exact::reset(self)
    }
    fn step(&mut self, frame: &[u8]) {
        black_box(self.apply(frame));
    }
}

impl Pipeline for Baseline {
    fn reset(&mut self) {
        Baseline::reset(self)
    }
    fn step(&mut self, frame: &[u8]) {
        black_box(self.apply(frame));
    }
}

/// Time `iters` messages, cycling through the payloads; the snapshot that restarts the seqnums is not timed.
fn timed(p: &mut dyn Pipeline, msgs: &[Vec<u8>], pos: &mut usize, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters as usize;
    while left > 0 {
        if *pos == msgs.len() {
            p.reset();
            *pos = 0;
        }
        let n = left.min(msgs.len() - *pos);
        let t = Instant::now();
        for m in &msgs[*pos..*pos + n] {
            p.step(m);
        }
        total += t.elapsed();
        *pos += n;
        left -= n;
    }
    total
}

/// ns/message per batch of `BATCH`, in picoseconds, over `batches` batches.
fn histogram(p: &mut dyn Pipeline, msgs: &[Vec<u8>], batches: usize) -> Histogram<u64> {
    let mut h = Histogram::<u64>::new_with_bounds(1, 100_000_000_000, 3).unwrap();
    let mut pos = 0;
    p.reset();
    for _ in 0..batches {
        let d = timed(p, msgs, &mut pos, BATCH as u64);
        h.saturating_record((d.as_nanos() as u64 * 1000) / BATCH as u64);
    }
    h
}

/// A book with bids every 7 ticks; each op deletes the best bid (the next best is found in the occupancy bitmap, 7
/// ticks down) or puts it back.
struct BareBook {
    book: ascendex_hft::book::Book,
    top: i64,
    present: bool,
}

impl BareBook {
    fn new() -> BareBook {
        let bids: Vec<Level> = (0..200)
            .map(|i| Level {
                price: Price(6_000_000 - 7 * i),
                qty: Qty(1 + i),
            })
            .collect();
        let asks: Vec<Level> = (1..200)
            .map(|i| Level {
                price: Price(6_000_000 + 7 * i),
                qty: Qty(i),
            })
            .collect();
        let mut book = ascendex_hft::book::Book::new(BookConfig {
            tick: 1,
            window: 4096,
            depth: 20,
        })
        .unwrap();
        book.reset_from(&bids, &asks).unwrap();
        BareBook {
            book,
            top: 6_000_000,
            present: true,
        }
    }

    #[inline]
    fn op(&mut self) -> bool {
        let q = if self.present { 0 } else { 5 };
        let r = self.book.set(Side::Bid, Price(self.top), Qty(q));
        self.present = !self.present;
        r.is_ok()
    }
}

fn level_histogram(b: &mut BareBook, batches: usize) -> Histogram<u64> {
    const OPS: usize = 1024;
    let mut h = Histogram::<u64>::new_with_bounds(1, 100_000_000_000, 3).unwrap();
    for _ in 0..batches {
        let t = Instant::now();
        for _ in 0..OPS {
            black_box(b.op());
        }
        h.saturating_record(t.elapsed().as_nanos() as u64 * 1000 / OPS as u64);
    }
    h
}

/// The levels of each payload, decoded once.
fn decoded_levels(msgs: &[Vec<u8>]) -> Vec<(Vec<Level>, Vec<Level>)> {
    let mut t = SymbolTable::new();
    t.add(b"BTC/USDT", Scale::new(2).unwrap(), Scale::new(5).unwrap());
    let mut dec = MdDecoder::new(t, DecoderConfig::default());
    msgs.iter()
        .map(|m| match dec.decode(m) {
            Ok(Msg::Depth(d)) => (d.bids.to_vec(), d.asks.to_vec()),
            other => panic!("{other:?}"),
        })
        .collect()
}

fn callgrind_mode(n: usize) {
    let levels = std::env::var("BOOK_CALLGRIND_LEVELS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let msgs = payloads(levels);
    let mut p = Exact::new(false);
    let mut pos = 0;
    black_box(timed(&mut p, &msgs, &mut pos, n as u64));
}

fn ns(ps: u64) -> f64 {
    ps as f64 / 1000.0
}

fn main() {
    if let Some(n) = std::env::var("BOOK_CALLGRIND")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        callgrind_mode(n);
        return;
    }
    let five = payloads(5);
    let twenty = payloads(20);
    println!(
        "payload sizes: 5 levels {} bytes, 20 levels {} bytes (first message)",
        five[0].len(),
        twenty[0].len()
    );

    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for (name, msgs) in [("5_levels", &five), ("20_levels", &twenty)] {
        let mut g = c.benchmark_group(format!("depth_decode_apply/{name}"));
        let mut hand = Exact::new(false);
        let mut pos = 0;
        g.bench_function("hand", |b| {
            b.iter_custom(|it| timed(&mut hand, msgs, &mut pos, it))
        });
        let mut sonic = Exact::new(true);
        let mut pos = 0;
        g.bench_function("sonic_reference", |b| {
            b.iter_custom(|it| timed(&mut sonic, msgs, &mut pos, it))
        });
        let mut typed = SonicTyped::new();
        let mut pos = 0;
        g.bench_function("sonic_typed_borrowed", |b| {
            b.iter_custom(|it| timed(&mut typed, msgs, &mut pos, it))
        });
        let mut base = Baseline::default();
        let mut pos = 0;
        g.bench_function("baseline_serde_f64_btreemap", |b| {
            b.iter_custom(|it| timed(&mut base, msgs, &mut pos, it))
        });
        g.finish();
    }
    {
        // Representation: the levels of the 20-level diffs (decoded beforehand) applied to the ladder and to
        // sorted arrays.
        let decoded = decoded_levels(&twenty);
        let mut g = c.benchmark_group("book_representation/apply_20_level_diff");
        let mut ladder = ascendex_hft::book::Book::new(BookConfig {
            tick: 1,
            window: 4096,
            depth: 20,
        })
        .unwrap();
        let mut i = 0;
        g.bench_function("ladder", |b| {
            b.iter(|| {
                let (bids, asks) = &decoded[i % decoded.len()];
                i += 1;
                for l in bids {
                    let _ = ladder.set(Side::Bid, l.price, l.qty);
                }
                for l in asks {
                    let _ = ladder.set(Side::Ask, l.price, l.qty);
                }
                black_box(ladder.best_bid())
            })
        });
        let mut sorted = ascendex_hft::book::sorted::SortedBook::new(64);
        let mut i = 0;
        g.bench_function("sorted_arrays_64", |b| {
            b.iter(|| {
                let (bids, asks) = &decoded[i % decoded.len()];
                i += 1;
                for l in bids {
                    sorted.set(Side::Bid, l.price, l.qty);
                }
                for l in asks {
                    sorted.set(Side::Ask, l.price, l.qty);
                }
                black_box(sorted.best(Side::Bid))
            })
        });
        g.finish();
    }
    {
        let mut g = c.benchmark_group("book_level_update");
        let mut bb = BareBook::new();
        g.bench_function("delete_best_or_restore", |b| b.iter(|| black_box(bb.op())));
        g.finish();
    }
    c.final_summary();

    // Percentiles in the same run.
    const BATCHES: usize = 20_000;
    println!("\nns per message, batches of {BATCH} messages, {BATCHES} batches each:");
    println!(
        "{:<12} {:<10} {:>9} {:>9} {:>14} {:>14}",
        "payload", "pipeline", "p50", "p99", "p50 vs base", "p99 vs base"
    );
    for (name, msgs) in [("5 levels", &five), ("20 levels", &twenty)] {
        let hb = histogram(&mut Baseline::default(), msgs, BATCHES);
        let (b50, b99) = (hb.value_at_quantile(0.5), hb.value_at_quantile(0.99));
        for (label, h) in [
            ("hand", histogram(&mut Exact::new(false), msgs, BATCHES)),
            ("sonic_ref", histogram(&mut Exact::new(true), msgs, BATCHES)),
            (
                "sonic_typ",
                histogram(&mut SonicTyped::new(), msgs, BATCHES),
            ),
            ("baseline", hb.clone()),
        ] {
            let (p50, p99) = (h.value_at_quantile(0.5), h.value_at_quantile(0.99));
            println!(
                "{name:<12} {label:<10} {:>9.1} {:>9.1} {:>13.2}x {:>13.2}x",
                ns(p50),
                ns(p99),
                b50 as f64 / p50.max(1) as f64,
                b99 as f64 / p99.max(1) as f64
            );
        }
    }
    let h = level_histogram(&mut BareBook::new(), 20_000);
    println!(
        "\nbook level update (delete best bid → next best from the bitmap, or restore it), batches of 1024: p50 {:.2} ns, p99 {:.2} ns",
        ns(h.value_at_quantile(0.5)),
        ns(h.value_at_quantile(0.99))
    );
}
