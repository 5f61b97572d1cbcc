//! Small byte helpers for the stream: latency probes, snapshot request ids, integers and strings written
//! without formatting.

use super::*;

/// Latency probes, once per message that reaches the strategy, just before the callback.
#[inline]
pub(super) fn probe<L: MdLink>(latency: &mut Latency, cx: &L, raw: &[u8], rx_ns: u64) {
    latency.record(Probe::WireToCallback, cx.clock_ns().saturating_sub(rx_ns));
    if let Some(sim_ns) = sim_stamp(raw) {
        // The stamp is unix time: compare with the wall clock, not the engine's.
        latency.record(Probe::EndToEnd, wall_ns().saturating_sub(sim_ns));
    }
}

/// The symbol index of a failed snapshot request: our ids are `s<index>`; the docs say snapshot replies echo no id,
/// so an error that names a snapshot action without one is attributed to nobody.
pub(super) fn snapshot_request_symbol(id: &[u8], m: &[u8]) -> Option<usize> {
    let digits = id.strip_prefix(b"s")?;
    if digits.is_empty() || digits.len() > 6 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if !(m == b"error" || m.starts_with(b"depth-snapshot")) {
        return None;
    }
    Some(
        digits
            .iter()
            .fold(0usize, |a, &d| a * 10 + (d - b'0') as usize),
    )
}

/// The simulator's `"simNs":<unix ns>` stamp, appended as the last field. O(1) on unstamped messages: they end in
/// `}}` or `]}`, not in digits.
#[inline]
pub(super) fn sim_stamp(raw: &[u8]) -> Option<u64> {
    const KEY: &[u8] = b"\"simNs\":";
    let body = raw.strip_suffix(b"}")?;
    let digits = body
        .iter()
        .rev()
        .take(21)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 || digits > 20 {
        return None;
    }
    let (head, num) = body.split_at(body.len() - digits);
    if !head.ends_with(KEY) {
        return None;
    }
    num.iter().try_fold(0u64, |v, &c| {
        v.checked_mul(10)?.checked_add((c - b'0') as u64)
    })
}

#[inline]
pub(super) fn wall_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

pub(super) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

pub(super) fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// A string's contents for a JSON string literal (symbol names never need it, but a configured name is user input).
pub(super) fn push_json_str(out: &mut Vec<u8>, s: &[u8]) {
    for &c in s {
        match c {
            b'"' | b'\\' => out.extend_from_slice(&[b'\\', c]),
            c if c < 0x20 => {}
            c => out.push(c),
        }
    }
}
