//! The hand-written market-data scanner and the sonic-rs reference decoder agree: on generated messages with
//! reordered keys, unknown fields, whitespace and escapes both decode to the same `Msg` (and to the values that were
//! encoded); on truncated or corrupted bytes they return the same result or both reject.

use ascendex_hft::book::Level;
use ascendex_hft::num::{Price, Qty, Scale};
use ascendex_hft::venue::ascendex::stream::market::{
    DecoderConfig, DepthKind, MdDecoder, Msg, SymbolTable,
};
use proptest::prelude::*;

/// `compact`: the exchange's own spelling (no whitespace, no extra fields, keys in order, no escapes), which takes
/// the scanner's fast path for depth messages.
struct Rng(u64, bool);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

const PS: u8 = 5;
const QS: u8 = 2;

fn decoder() -> MdDecoder {
    let mut t = SymbolTable::new();
    t.add(
        b"ASD/USDT",
        Scale::new(PS).unwrap(),
        Scale::new(QS).unwrap(),
    );
    t.add(b"BTC/USDT", Scale::new(2).unwrap(), Scale::new(5).unwrap());
    MdDecoder::new(
        t,
        DecoderConfig {
            max_levels: 64,
            max_trades: 16,
        },
    )
}

fn ws(r: &mut Rng) -> &'static str {
    if r.1 {
        return "";
    }
    match r.below(8) {
        0 => " ",
        1 => "\n  ",
        2 => "\t",
        3 => " \r\n",
        _ => "",
    }
}

/// A JSON string literal for `s`, with some characters escaped.
fn jstr(r: &mut Rng, s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if !r.1 && r.chance(30) => out.push_str("\\/"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if r.chance(8) && (c as u32) < 0x10000 => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Decimal text of `m` at `scale`, sometimes padded with trailing zeros, sometimes as a bare JSON number.
fn dec_text(r: &mut Rng, m: u64, scale: u8) -> String {
    let one = 10u64.pow(scale as u32);
    let mut s = if scale == 0 {
        m.to_string()
    } else {
        format!("{}.{:0width$}", m / one, m % one, width = scale as usize)
    };
    if !r.1 && r.chance(20) {
        if !s.contains('.') {
            s.push('.');
        }
        for _ in 0..r.below(3) + 1 {
            s.push('0');
        }
    }
    if !r.1 && r.chance(10) && !s.contains('.') {
        return s;
    }
    jstr(r, &s)
}

fn int_text(r: &mut Rng, v: u64) -> String {
    if !r.1 && r.chance(25) {
        format!("\"{v}\"")
    } else {
        v.to_string()
    }
}

/// A random JSON value for unknown fields.
fn junk(r: &mut Rng, depth: u32) -> String {
    match r.below(if depth > 2 { 5 } else { 7 }) {
        0 => "null".into(),
        1 => if r.chance(50) { "true" } else { "false" }.into(),
        2 => ["0", "-1.5e3", "12.25", "1E+2", "-0"][r.below(5) as usize].into(),
        3 => {
            let i = r.below(7) as usize;
            jstr(
                r,
                ["", "x", "é€", "a/b", "q\"uote", "tab\tnl\n", "\u{1F600}"][i],
            )
        }
        4 => format!("{}", r.below(1_000_000)),
        5 => {
            let n = r.below(3);
            let items: Vec<String> = (0..n).map(|_| junk(r, depth + 1)).collect();
            format!("[{}]", items.join(","))
        }
        _ => {
            let n = r.below(3);
            let items: Vec<String> = (0..n)
                .map(|i| format!("{}:{}", jstr(r, &format!("k{i}")), junk(r, depth + 1)))
                .collect();
            format!("{{{}}}", items.join(","))
        }
    }
}

/// An object from key/value pairs: shuffled, with unknown fields and whitespace added.
fn object(r: &mut Rng, mut kv: Vec<(String, String)>) -> String {
    let extra = if r.1 { 0 } else { r.below(3) };
    for i in 0..extra {
        let k = format!("x{i}_{}", r.below(100));
        let v = junk(r, 0);
        kv.push((k, v));
    }
    if !r.1 && r.chance(60) {
        for i in (1..kv.len()).rev() {
            let j = r.below(i as u64 + 1) as usize;
            kv.swap(i, j);
        }
    }
    let mut s = String::from("{");
    for (i, (k, v)) in kv.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(ws(r));
        let key = jstr(r, k);
        s.push_str(&key);
        s.push_str(ws(r));
        s.push(':');
        s.push_str(ws(r));
        s.push_str(v);
        s.push_str(ws(r));
    }
    s.push('}');
    s
}

fn levels_json(r: &mut Rng, levels: &[(u64, u64)]) -> String {
    let items: Vec<String> = levels
        .iter()
        .map(|&(p, q)| {
            let pt = dec_text(r, p, PS);
            let qt = dec_text(r, q, QS);
            format!("[{}{pt}{},{}{qt}]", ws(r), ws(r), ws(r))
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// What the generated message must decode to.
#[derive(Debug)]
enum Expect {
    Depth {
        kind: DepthKind,
        realtime: bool,
        seqnum: u64,
        ts: u64,
        bids: Vec<Level>,
        asks: Vec<Level>,
    },
    Trades(Vec<(u64, u64, u64, bool, u64)>),
    Bbo(u64, Option<Level>, Option<Level>),
    Bar(u64, [u64; 4], u64),
    Session,
}

fn lv(p: u64, q: u64) -> Level {
    Level {
        price: Price(p as i64),
        qty: Qty(q as i64),
    }
}

fn generate(seed: u64) -> (String, Expect) {
    let compact = seed.is_multiple_of(3);
    let mut r = Rng(seed | 1, compact);
    let sym = "ASD/USDT";
    let kind = r.below(9);
    let mut top: Vec<(String, String)> = Vec::new();
    let expect = match kind {
        0..=3 => {
            let (m, k, rt) = [
                ("depth", DepthKind::Diff, false),
                ("depth-realtime", DepthKind::Diff, true),
                ("depth-snapshot", DepthKind::Snapshot, false),
                ("depth-snapshot-realtime", DepthKind::Snapshot, true),
            ][kind as usize];
            let nb = r.below(21) as usize;
            let na = r.below(21) as usize;
            let bids: Vec<(u64, u64)> = (0..nb)
                .map(|_| (r.below(10_000_000) + 1, r.below(100_000_000)))
                .collect();
            let asks: Vec<(u64, u64)> = (0..na)
                .map(|_| (r.below(10_000_000) + 1, r.below(100_000_000)))
                .collect();
            let seqnum = r.next() >> 1;
            let ts = r.below(2_000_000_000_000);
            let data = object(
                &mut r,
                vec![
                    ("ts".into(), int_text(&mut Rng(seed ^ 7, compact), ts)),
                    (
                        "seqnum".into(),
                        int_text(&mut Rng(seed ^ 9, compact), seqnum),
                    ),
                    ("asks".into(), String::new()),
                    ("bids".into(), String::new()),
                ]
                .into_iter()
                .map(|(k, v): (String, String)| {
                    let v = match k.as_str() {
                        "asks" => levels_json(&mut Rng(seed ^ 11, compact), &asks),
                        "bids" => levels_json(&mut Rng(seed ^ 13, compact), &bids),
                        _ => v,
                    };
                    (k, v)
                })
                .collect(),
            );
            top.push(("m".into(), jstr(&mut r, m)));
            top.push(("symbol".into(), jstr(&mut r, sym)));
            top.push(("data".into(), data));
            Expect::Depth {
                kind: k,
                realtime: rt,
                seqnum,
                ts,
                bids: bids.iter().map(|&(p, q)| lv(p, q)).collect(),
                asks: asks.iter().map(|&(p, q)| lv(p, q)).collect(),
            }
        }
        4 => {
            let n = r.below(6) as usize;
            let trades: Vec<(u64, u64, u64, bool, u64)> = (0..n)
                .map(|_| {
                    (
                        r.below(1_000_000) + 1,
                        r.below(1_000_000),
                        r.below(1 << 41),
                        r.chance(50),
                        r.next() >> 2,
                    )
                })
                .collect();
            let items: Vec<String> = trades
                .iter()
                .map(|&(p, q, ts, bm, seq)| {
                    let kv = vec![
                        ("p".into(), dec_text(&mut r, p, PS)),
                        ("q".into(), dec_text(&mut r, q, QS)),
                        ("ts".into(), int_text(&mut r, ts)),
                        ("bm".into(), bm.to_string()),
                        ("seqnum".into(), int_text(&mut r, seq)),
                    ];
                    object(&mut r, kv)
                })
                .collect();
            top.push(("m".into(), jstr(&mut r, "trades")));
            top.push(("symbol".into(), jstr(&mut r, sym)));
            top.push(("data".into(), format!("[{}]", items.join(","))));
            Expect::Trades(trades)
        }
        5 => {
            let ts = r.below(1 << 41);
            let bid = r
                .chance(80)
                .then(|| (r.below(1_000_000) + 1, r.below(1_000_000)));
            let ask = r
                .chance(80)
                .then(|| (r.below(1_000_000) + 1, r.below(1_000_000)));
            let pair = |r: &mut Rng, l: Option<(u64, u64)>| match l {
                Some((p, q)) => format!("[{},{}]", dec_text(r, p, PS), dec_text(r, q, QS)),
                None => "[]".into(),
            };
            let kv = vec![
                ("ts".into(), int_text(&mut r, ts)),
                ("bid".into(), pair(&mut r, bid)),
                ("ask".into(), pair(&mut r, ask)),
            ];
            let data = object(&mut r, kv);
            top.push(("m".into(), jstr(&mut r, "bbo")));
            top.push(("symbol".into(), jstr(&mut r, sym)));
            top.push(("data".into(), data));
            Expect::Bbo(ts, bid.map(|(p, q)| lv(p, q)), ask.map(|(p, q)| lv(p, q)))
        }
        6 => {
            let ts = r.below(1 << 41);
            let px = [
                r.below(1 << 30),
                r.below(1 << 30),
                r.below(1 << 30),
                r.below(1 << 30),
            ];
            let v = r.below(1 << 40);
            let kv = vec![
                ("i".into(), "\"1\"".into()),
                ("ts".into(), int_text(&mut r, ts)),
                ("o".into(), dec_text(&mut r, px[0], PS)),
                ("h".into(), dec_text(&mut r, px[1], PS)),
                ("l".into(), dec_text(&mut r, px[2], PS)),
                ("c".into(), dec_text(&mut r, px[3], PS)),
                ("v".into(), dec_text(&mut r, v, QS)),
            ];
            let data = object(&mut r, kv);
            top.push(("m".into(), jstr(&mut r, "bar")));
            top.push(("s".into(), jstr(&mut r, sym)));
            top.push(("data".into(), data));
            Expect::Bar(ts, px, v)
        }
        7 => {
            top.push(("m".into(), jstr(&mut r, "sub")));
            top.push(("id".into(), jstr(&mut r, "abc/1")));
            top.push(("ch".into(), jstr(&mut r, "depth:ASD/USDT")));
            top.push(("code".into(), int_text(&mut r, 0)));
            Expect::Session
        }
        _ => {
            top.push(("m".into(), jstr(&mut r, "ping")));
            top.push(("hp".into(), int_text(&mut r, 3)));
            Expect::Session
        }
    };
    let mut s = String::new();
    s.push_str(ws(&mut r));
    s.push_str(&object(&mut r, top));
    s.push_str(ws(&mut r));
    (s, expect)
}

fn check_expect(msg: &Msg<'_>, e: &Expect) {
    match (msg, e) {
        (
            Msg::Depth(d),
            Expect::Depth {
                kind,
                realtime,
                seqnum,
                ts,
                bids,
                asks,
            },
        ) => {
            assert_eq!(
                (d.kind, d.realtime, d.seqnum, d.ts),
                (*kind, *realtime, *seqnum, *ts)
            );
            assert_eq!(d.bids, &bids[..]);
            assert_eq!(d.asks, &asks[..]);
        }
        (Msg::Trades(t), Expect::Trades(v)) => {
            assert_eq!(t.trades.len(), v.len());
            for (a, &(p, q, ts, bm, seq)) in t.trades.iter().zip(v) {
                assert_eq!(
                    (
                        a.price.0 as u64,
                        a.qty.0 as u64,
                        a.ts,
                        a.buyer_is_maker,
                        a.seqnum
                    ),
                    (p, q, ts, bm, seq)
                );
            }
        }
        (Msg::Bbo(b), Expect::Bbo(ts, bid, ask)) => {
            assert_eq!((b.ts, b.bid, b.ask), (*ts, *bid, *ask))
        }
        (Msg::Bar(b), Expect::Bar(ts, px, v)) => {
            assert_eq!(b.ts, *ts);
            assert_eq!(
                [b.open.0, b.high.0, b.low.0, b.close.0].map(|x| x as u64),
                *px
            );
            assert_eq!(b.volume.0 as u64, *v);
        }
        (Msg::Sub(a), Expect::Session) => assert_eq!(a.code, 0),
        (Msg::Ping { hp }, Expect::Session) => assert_eq!(*hp, Some(3)),
        _ => panic!("decoded {msg:?}, expected {e:?}"),
    }
}

/// Both decoders: same `Ok` value or both `Err`.
fn agree(bytes: &[u8]) -> bool {
    let mut a = decoder();
    let mut b = decoder();
    let ra = a.decode(bytes);
    let rb = b.decode_reference(bytes);
    match (&ra, &rb) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "input {:?}", String::from_utf8_lossy(bytes)),
        (Err(_), Err(_)) => {}
        _ => panic!(
            "disagree on {:?}: hand {ra:?} reference {rb:?}",
            String::from_utf8_lossy(bytes)
        ),
    }
    ra.is_ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn generated_messages_decode_identically(seed in any::<u64>()) {
        let (text, expect) = generate(seed);
        let mut a = decoder();
        let mut b = decoder();
        let ma = a.decode(text.as_bytes()).unwrap_or_else(|e| panic!("hand rejected {text}: {e}"));
        let mb = b.decode_reference(text.as_bytes()).unwrap_or_else(|e| panic!("reference rejected {text}: {e}"));
        prop_assert_eq!(ma, mb);
        check_expect(&ma, &expect);
    }

    #[test]
    fn truncated_and_corrupted_messages_agree(seed in any::<u64>(), cut in any::<usize>(), pos in any::<usize>(), byte in any::<u8>()) {
        let (text, _) = generate(seed);
        let bytes = text.as_bytes();
        let n = cut % (bytes.len() + 1);
        agree(&bytes[..n]);
        let mut corrupted = bytes.to_vec();
        let p = pos % corrupted.len();
        corrupted[p] = byte;
        agree(&corrupted);
        let mut inserted = bytes.to_vec();
        inserted.insert(p, [b',', b'"', b'[', b'}', b'\\', b'0', b'.', b'-'][byte as usize % 8]);
        agree(&inserted);
    }
}

/// Inputs the fuzzer found (fuzz/fuzz_targets/md_agree.rs), kept as regressions.
#[test]
fn fuzz_findings_agree() {
    // An escaped key longer than 64 bytes once decoded: unknown to both, skipped by both.
    let long_key = format!(
        r#"{{"m":"baR","s":"ASD/UODT","data{}\\\\{}":{{"i":"1","v":"8052"}}}}"#,
        " ".repeat(5),
        " ".repeat(160)
    );
    assert!(agree(long_key.as_bytes()));
}

#[test]
fn documented_examples_agree() {
    for f in [
        r#"{"m":"depth","symbol":"ASD/USDT","data":{"ts":1573069021376,"seqnum":2097965,"asks":[["0.06844","10760"]],"bids":[["0.06777","562.4"],["0.05","221760.6"]]}}"#,
        r#"{"m":"depth-snapshot","symbol":"ASD/USDT","data":{"seqnum":3167819629,"ts":1573142900389,"asks":[["0.06758","585"],["0.06773","8732"]],"bids":[["0.06733","667"],["0.06732","750"]]}}"#,
        r#"{"m":"trades","symbol":"ASD/USDT","data":[{"p":"0.068600","q":"100.000","ts":1573069903254,"bm":false,"seqnum":144115188077966308}]}"#,
    ] {
        assert!(agree(f.as_bytes()), "{f}");
    }
}
