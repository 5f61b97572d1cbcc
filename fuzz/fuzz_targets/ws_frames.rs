//! The WebSocket frame decoder against adversarial frames: lengths at the edges of every length form (2^64 - 1,
//! 2^63, sums that wrap after assembly), fragments, control frames, bad UTF-8, fed in arbitrary chunk sizes.
//! It must never panic, never consume more than it was given, never hand out more than `max_message`, only hand
//! out text that is UTF-8, and end every failure with a close code.
//!
//! Input: the first byte picks the cap and the chunk size; then records of `[b0, len_kind, payload_len, ...]`.
//! `len_kind` picks the declared length (often a lie: the payload that follows is `payload_len` bytes).
#![no_main]

use ascendex_hft::net::ws::{Frame, WsDecoder, WsEvent};
use libfuzzer_sys::fuzz_target;

const EDGE_LENGTHS: [u64; 12] = [
    0,
    1,
    125,
    126,
    65_535,
    65_536,
    (1 << 63) - 1,
    1 << 63,
    u64::MAX,
    u64::MAX - 1,
    u64::MAX - 9,
    (1 << 20) + 1,
];

fn build(data: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    let mut it = data.iter().copied();
    while let (Some(b0), Some(kind), Some(plen)) = (it.next(), it.next(), it.next()) {
        let payload: Vec<u8> = it.by_ref().take(plen as usize).collect();
        let declared = match kind % 4 {
            // Honest length in the form the byte picks.
            0 | 1 => payload.len() as u64,
            2 => EDGE_LENGTHS[(kind as usize / 4) % EDGE_LENGTHS.len()],
            _ => kind as u64 >> 2,
        };
        wire.push(b0);
        match (kind >> 6, declared) {
            (0, n) if n < 126 => wire.push(n as u8),
            (0 | 1, n) if n <= 65_535 => {
                wire.push(126);
                wire.extend_from_slice(&(n as u16).to_be_bytes());
            }
            (_, n) => {
                wire.push(127);
                wire.extend_from_slice(&n.to_be_bytes());
            }
        }
        wire.extend_from_slice(&payload);
    }
    wire
}

fuzz_target!(|data: &[u8]| {
    let Some((&cfg, rest)) = data.split_first() else {
        return;
    };
    let max_message = [0usize, 1, 125, 4096, 1 << 20][(cfg & 7) as usize % 5];
    let chunk = 1 + (cfg >> 3) as usize * 7;
    let wire = if cfg & 0x80 != 0 { rest.to_vec() } else { build(rest) };
    let mut dec = WsDecoder::new(max_message, 512);
    let mut buf: Vec<u8> = Vec::new();
    let mut fed = 0;
    loop {
        let step = match dec.decode(&buf) {
            Ok(s) => s,
            Err(e) => {
                assert!(e.close_code().is_some(), "a decoder error without a close code: {e}");
                return;
            }
        };
        assert!(step.consumed <= buf.len(), "consumed more than the input");
        match dec.event(&buf, step.frame) {
            Some(WsEvent::Text(m)) => {
                assert!(m.len() <= max_message, "text over the cap");
                assert!(std::str::from_utf8(m).is_ok(), "invalid UTF-8 handed out as text");
            }
            Some(WsEvent::Binary(m)) => assert!(m.len() <= max_message, "binary over the cap"),
            Some(WsEvent::Ping(p) | WsEvent::Pong(p)) => assert!(p.len() <= 125),
            Some(WsEvent::Close(c)) => {
                assert!(c.is_none_or(ascendex_hft::net::ws::close_code_valid));
            }
            None => {}
        }
        buf.drain(..step.consumed);
        if step.consumed == 0 && step.frame == Frame::Incomplete {
            if fed >= wire.len() {
                return;
            }
            let n = chunk.min(wire.len() - fed);
            buf.extend_from_slice(&wire[fed..fed + n]);
            fed += n;
        }
    }
});
