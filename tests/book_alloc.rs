//! Zero allocation on the market-data hot path: 100,000 depth diffs go from raw payload bytes through the decoder,
//! `BookSync` and the book to a strategy callback, and a counting global allocator sees no allocation after warm-up.

use ascendex_hft::book::{Applied, Book, BookConfig, BookSync, SeqRule, SyncAction, SyncConfig};
use ascendex_hft::num::Scale;
use ascendex_hft::venue::ascendex::stream::market::{
    DecoderConfig, DepthKind, MdDecoder, Msg, SymbolTable,
};
use std::sync::atomic::Ordering;

mod alloc_gate;

use alloc_gate::{ALLOCS, COUNTING};

#[global_allocator]
static GLOBAL: alloc_gate::Counting = alloc_gate::Counting;

const N: usize = 100_000;

/// Payloads for seqnums 1..=n: five levels a side around a mid that wanders, some deletes.
fn payloads(n: usize) -> (Vec<u8>, Vec<(usize, usize)>) {
    let mut buf = Vec::with_capacity(n * 340);
    let mut spans = Vec::with_capacity(n);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    // Bids stay below 60000.00 and asks above it, so the book never crosses; the levels shift by up to 2 ticks.
    let mid: i64 = 6_000_000;
    for seq in 1..=n as u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let shift = (x % 3) as i64;
        let start = buf.len();
        let level = |p: i64, i: u64| {
            let q = if (x >> i) & 7 == 0 {
                0
            } else {
                (x >> (i * 3)) % 500_000 + 1
            };
            format!(
                "[\"{}.{:02}\",\"{}.{:05}\"]",
                p / 100,
                p % 100,
                q / 100_000,
                q % 100_000
            )
        };
        let asks: Vec<String> = (1..=5).map(|i| level(mid + i as i64 + shift, i)).collect();
        let bids: Vec<String> = (1..=5)
            .map(|i| level(mid - i as i64 - shift, i + 5))
            .collect();
        let msg = format!(
            "{{\"m\":\"depth\",\"symbol\":\"BTC/USDT\",\"data\":{{\"ts\":{},\"seqnum\":{seq},\"asks\":[{}],\"bids\":[{}]}}}}",
            1_700_000_000_000u64 + seq,
            asks.join(","),
            bids.join(",")
        );
        buf.extend_from_slice(msg.as_bytes());
        spans.push((start, buf.len()));
    }
    (buf, spans)
}

#[test]
fn depth_pipeline_allocates_nothing_after_warm_up() {
    let (buf, spans) = payloads(N);
    let mut symbols = SymbolTable::new();
    let btc = symbols.add(b"BTC/USDT", Scale::new(2).unwrap(), Scale::new(5).unwrap());
    let mut dec = MdDecoder::new(symbols, DecoderConfig::default());
    let mut sync = BookSync::new(SyncConfig {
        book: BookConfig {
            tick: 1,
            window: 4096,
            depth: 20,
        },
        seq: SeqRule::Contiguous,
        ..SyncConfig::default()
    })
    .unwrap();
    // Warm-up: the snapshot (seqnum 0), exactly as the engine would feed it.
    let snap = br#"{"m":"depth-snapshot","symbol":"BTC/USDT","data":{"seqnum":0,"ts":1,"asks":[["60000.01","1"],["60000.02","1"]],"bids":[["59999.99","1"],["59999.98","1"]]}}"#;
    match dec.decode(snap).unwrap() {
        Msg::Depth(d) if d.kind == DepthKind::Snapshot => {
            assert!(matches!(
                sync.on_snapshot(d.seqnum, d.bids, d.asks),
                SyncAction::Applied(_)
            ));
        }
        other => panic!("unexpected {other:?}"),
    }

    let mut seen = 0u64;
    let mut checksum = 0i64;
    let mut strategy = |book: &Book, a: Applied| {
        seen += 1;
        if a.bbo_changed {
            checksum = checksum.wrapping_add(book.best_bid().map_or(0, |l| l.price.0));
        }
        checksum = checksum.wrapping_add(book.bids().take(5).map(|l| l.qty.0).sum::<i64>());
    };

    ALLOCS.store(0, Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    let mut errors = 0u64;
    let mut resyncs = 0u64;
    for &(s, e) in &spans {
        match dec.decode(&buf[s..e]) {
            Ok(Msg::Depth(d)) if d.symbol == btc => match sync.on_diff(d.seqnum, d.bids, d.asks) {
                SyncAction::Applied(a) => strategy(sync.book(), a),
                SyncAction::RequestSnapshot(_) => resyncs += 1,
                SyncAction::None => {}
            },
            _ => errors += 1,
        }
    }
    COUNTING.with(|c| c.set(false));
    let allocs = ALLOCS.load(Ordering::SeqCst);

    assert_eq!(errors, 0);
    assert_eq!(resyncs, 0);
    assert_eq!(seen, N as u64);
    assert_eq!(sync.counters().diffs_applied, N as u64);
    assert_ne!(checksum, 0);
    assert!(sync.is_live());
    assert_eq!(allocs, 0, "{allocs} allocations in {N} messages");

    // The counter itself works: one boxed value while counting is one allocation.
    COUNTING.with(|c| c.set(true));
    let b = std::hint::black_box(Box::new(seen));
    COUNTING.with(|c| c.set(false));
    assert_eq!(*b, N as u64);
    assert_eq!(ALLOCS.load(Ordering::SeqCst), 1);
}
