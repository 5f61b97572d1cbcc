//! The fast depth path remembers the last symbol; these messages switch symbols, use names that are prefixes of
//! each other and change the table between messages, and every decode must still name the right symbol with its
//! current scales (or reject an unknown one).

use ascendex_hft::num::Scale;
use ascendex_hft::venue::ascendex::stream::market::{DecoderConfig, MdDecoder, Msg, SymbolTable};

fn depth(sym: &str, price: &str) -> String {
    format!(
        r#"{{"m":"depth","symbol":"{sym}","data":{{"ts":1,"seqnum":2,"asks":[["{price}","1"]],"bids":[]}}}}"#
    )
}

/// (symbol name, raw price) of a decoded depth message, or `None` when it was rejected.
fn decode(d: &mut MdDecoder, frame: &str) -> Option<(Vec<u8>, i64)> {
    let (id, raw) = match d.decode(frame.as_bytes()) {
        Ok(Msg::Depth(m)) => (m.symbol, m.asks.first().map(|l| l.price.0)?),
        _ => return None,
    };
    Some((d.symbols().name(id)?.to_vec(), raw))
}

fn sc(n: u8) -> Scale {
    Scale::new(n).unwrap()
}

#[test]
fn switching_and_prefix_symbols() {
    let names = [
        "BTC/USDT",
        "BTC/USDTX",
        "BTC/USD",
        "",
        "ABCDEFGHIJKLMNOP",
        "ABCDEFGHIJKLMNOPQ",
        "ABCDEFGHIJKLMNO",
    ];
    let mut t = SymbolTable::new();
    for (k, n) in names.iter().enumerate() {
        t.add(n.as_bytes(), sc(k as u8), sc(0));
    }
    let mut d = MdDecoder::new(t, DecoderConfig::default());
    // xorshift so the order of switches varies without a dependency.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..2000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let k = (x % (names.len() as u64 + 2)) as usize;
        let got = decode(
            &mut d,
            &depth(names.get(k).copied().unwrap_or("BTC/US"), "1"),
        );
        match names.get(k) {
            Some(n) => {
                let (name, raw) = got.expect("known symbol decodes");
                assert_eq!(name, n.as_bytes());
                assert_eq!(raw, 10i64.pow(k as u32), "scale of {n}");
            }
            None => assert!(got.is_none(), "unknown symbol must be rejected"),
        }
    }
}

#[test]
fn table_changes_are_seen() {
    let mut t = SymbolTable::new();
    t.add(b"ASD/USDT", sc(2), sc(0));
    let mut d = MdDecoder::new(t, DecoderConfig::default());
    assert_eq!(
        decode(&mut d, &depth("ASD/USDT", "1.5")),
        Some((b"ASD/USDT".to_vec(), 150))
    );
    d.symbols_mut().add(b"ASD/USDT", sc(4), sc(0));
    assert_eq!(
        decode(&mut d, &depth("ASD/USDT", "1.5")),
        Some((b"ASD/USDT".to_vec(), 15000))
    );
    // A quote right after a cached prefix must not match a longer name.
    assert_eq!(decode(&mut d, &depth("ASD/USDTT", "1.5")), None);
    assert_eq!(decode(&mut d, &depth("ASD/USD", "1.5")), None);
    assert_eq!(
        decode(&mut d, &depth("ASD/USDT", "1.5")),
        Some((b"ASD/USDT".to_vec(), 15000))
    );
}
