//! The hand-written market-data scanner and the sonic-rs reference decoder agree on any input: the same `Msg`, or
//! both reject. Neither may panic.
#![no_main]

use ascendex_hft::num::Scale;
use ascendex_hft::venue::ascendex::stream::market::{DecoderConfig, MdDecoder, SymbolTable};
use libfuzzer_sys::fuzz_target;

fn decoder() -> MdDecoder {
    let mut t = SymbolTable::new();
    t.add(b"ASD/USDT", Scale::new(5).unwrap(), Scale::new(1).unwrap());
    t.add(b"BTC/USDT", Scale::new(2).unwrap(), Scale::new(5).unwrap());
    MdDecoder::new(t, DecoderConfig { max_levels: 64, max_trades: 16 })
}

fuzz_target!(|data: &[u8]| {
    let mut a = decoder();
    let mut b = decoder();
    let ra = a.decode(data);
    let rb = b.decode_reference(data);
    match (&ra, &rb) {
        (Ok(x), Ok(y)) => assert_eq!(x, y),
        (Err(_), Err(_)) => {}
        _ => panic!("disagree: hand {ra:?} reference {rb:?}"),
    }
});
