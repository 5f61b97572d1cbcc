//! The quoted-decimal fast path gives `parse_scaled`'s value whenever it accepts, and formatting round-trips.
#![no_main]

use ascendex_hft::num::{Scale, format_scaled, parse_scaled, parse_scaled_quoted};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sc, text)) = data.split_first() else { return };
    let Ok(scale) = Scale::new(sc % 19) else { return };
    let slow = parse_scaled(text, scale);
    if let Some(q) = text.iter().position(|&c| c == b'"') {
        if let Some((v, end)) = parse_scaled_quoted(text, 0, scale) {
            assert_eq!(end, q + 1);
            assert_eq!(parse_scaled(&text[..q], scale), Ok(v));
        }
    }
    if let Ok(v) = slow {
        let mut buf = [0u8; 48];
        let n = format_scaled(v, scale, &mut buf).unwrap();
        assert_eq!(parse_scaled(&buf[..n], scale), Ok(v));
    }
});
