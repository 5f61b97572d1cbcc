//! Sixteen bytes at a time with SSE: the digits are shuffled (dropping the '.') so that the last byte of the vector
//! holds the last decimal at `scale`, then combined in three multiply-add steps. No multiplication by a power of ten
//! and no overflow check is needed: at most 15 digits land in the vector. Callgrind showed the eight-byte SWAR path
//! costing ~100 instructions per decimal; this one is about a third of that.

use super::Scale;
use core::arch::x86_64::*;

/// Per scale `s` (0..=15): byte `o` of the output takes source byte `o + s - 16 + (o >= 16 - s)` plus the
/// position of the '.' (the `+1` steps over the '.'). Negative indices make `pshufb` write zero.
const fn base(s: usize) -> [i8; 16] {
    let mut r = [0i8; 16];
    let mut o = 0;
    while o < 16 {
        r[o] = (o as i32 + s as i32 - 16 + (o + s >= 16) as i32) as i8;
        o += 1;
    }
    r
}

const fn bases() -> [[i8; 16]; 16] {
    let mut t = [[0i8; 16]; 16];
    let mut s = 0;
    while s < 16 {
        t[s] = base(s);
        s += 1;
    }
    t
}

static BASE: [[i8; 16]; 16] = bases();

/// `WIN[16 - n..][..16]` keeps the first `n` bytes.
static WIN: [u8; 32] = {
    let mut w = [0u8; 32];
    let mut i = 0;
    while i < 16 {
        w[i] = 0xFF;
        i += 1;
    }
    w
};

/// Digits, at most one '.' with a digit on each side, at most `scale` decimals and `digits before the '.' +
/// scale <= 15`, closed by '"' within the sixteen bytes at `b[start..]`. `None` otherwise (including fewer than
/// sixteen bytes left); the other paths then decide.
#[inline(always)]
pub(super) fn quoted16(b: &[u8], start: usize, scale: Scale) -> Option<(i64, usize)> {
    let chunk: &[u8; 16] = b.get(start..start + 16)?.try_into().ok()?;
    let sc = scale.0 as u32;
    let base = BASE.get(sc as usize)?;
    // SAFETY: the module is compiled only when SSE4.1 (and so SSE2/SSSE3) is enabled for the whole build;
    // `chunk` is sixteen readable bytes and `loadu` has no alignment requirement.
    let (x, nd) = unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        let x = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
        let is_digit = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(9)), x);
        (x, !(_mm_movemask_epi8(is_digit) as u32))
    };
    let k0 = nd.trailing_zeros();
    let (p, end) = match chunk.get(k0 as usize)? {
        b'"' => (k0, k0),
        b'.' => {
            let end = (nd & (nd - 1)).trailing_zeros();
            if end == k0 + 1 || chunk.get(end as usize)? != &b'"' {
                return None;
            }
            (k0, end)
        }
        _ => return None,
    };
    let frac = end - p - (p != end) as u32;
    if p == 0 || frac > sc || p + sc > 15 {
        return None;
    }
    let win = WIN.get(16 - end as usize..32 - end as usize)?;
    // Source indices stay within 0..=15 (p + scale <= 15); the ones at or after the closing quote read bytes
    // zeroed by `keep`, which become the padding zeros of a value with fewer than `scale` decimals.
    // SAFETY: SSE4.1 is enabled for the whole build (module cfg); `base` and `win` are sixteen readable bytes and
    // `loadu` has no alignment requirement.
    let a = unsafe {
        let idx = _mm_add_epi8(
            _mm_loadu_si128(base.as_ptr().cast()),
            _mm_set1_epi8(p as i8),
        );
        let keep = _mm_loadu_si128(win.as_ptr().cast());
        let y = _mm_shuffle_epi8(_mm_and_si128(x, keep), idx);
        let t = _mm_maddubs_epi16(y, _mm_set1_epi16(0x010A));
        let t = _mm_madd_epi16(t, _mm_set1_epi32(0x0001_0064));
        let t = _mm_packus_epi32(t, t);
        let t = _mm_madd_epi16(t, _mm_set1_epi32(0x0001_2710));
        _mm_cvtsi128_si64(t) as u64
    };
    let v = (a & 0xFFFF_FFFF) * 100_000_000 + (a >> 32);
    Some((v as i64, start + end as usize + 1))
}

/// Two quoted decimals spelled as a book level, `P","Q"` (`b[start..]` starts after P's opening quote): the
/// mantissas of P at `ps` and Q at `qs`, the index after Q's closing quote and the four bytes there. One 32-byte
/// AVX2 pass gives bit masks of digits and dots, from which both numbers' spans follow with bit operations (the
/// separator and the closing quote are single compares); then both are converted at once, P in the low 128-bit
/// lane and Q in the high one, with the same shuffle and multiply-add steps as `quoted16`.
/// Each number follows `quoted16`'s acceptance rules. Needs 48 readable bytes at `start` (the caller pads the end of
/// a message); `None` for anything else, and the caller falls back to one number at a time.
#[cfg(target_feature = "avx2")]
#[inline(always)]
pub(super) fn quoted_pair(
    b: &[u8],
    start: usize,
    ps: Scale,
    qs: Scale,
) -> Option<(i64, i64, usize, u32)> {
    let win: &[u8; 48] = b.get(start..start + 48)?.try_into().ok()?;
    let (psc, qsc) = (ps.0 as u32, qs.0 as u32);
    let pbase = BASE.get(psc as usize)?;
    let qbase = BASE.get(qsc as usize)?;
    // SAFETY: the module is compiled only with SSE4.1 and this function only with AVX2 enabled for the whole build;
    // `win` is 48 readable bytes and `loadu` has no alignment requirement.
    let (v, nd, dots) = unsafe {
        let v = _mm256_loadu_si256(win.as_ptr().cast());
        let x = _mm256_sub_epi8(v, _mm256_set1_epi8(b'0' as i8));
        let digit = _mm256_cmpeq_epi8(_mm256_min_epu8(x, _mm256_set1_epi8(9)), x);
        let dot = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'.' as i8));
        // Bytes past the 32 classified count as non-digits, so every run ends inside the mask.
        let nd = !(_mm256_movemask_epi8(digit) as u32 as u64);
        (v, nd, _mm256_movemask_epi8(dot) as u32 as u64)
    };
    let (pd, pe) = span(nd, dots, 0, psc)?;
    // P's closing quote, the comma and Q's opening quote; `pe` <= 16 (see `span`), inside the window.
    let sep = win.get(pe as usize..pe as usize + 4)?;
    if u32::from_le_bytes(sep.try_into().ok()?) & 0x00FF_FFFF != u32::from_le_bytes(*b"\",\"\0") {
        return None;
    }
    let q = pe + 3;
    let (qd, qe) = span(nd, dots, q, qsc)?;
    // Q's closing quote and the four bytes after it (`q + qe` <= 35: inside the window).
    let close = (q + qe) as usize;
    let after: [u8; 5] = win.get(close..close + 5)?.try_into().ok()?;
    if after[0] != b'"' {
        return None;
    }
    let next = u32::from_le_bytes([after[1], after[2], after[3], after[4]]);
    let qwin = win.get(q as usize..q as usize + 16)?;
    // Lane 0 takes P (bytes 0..16 of the window), lane 1 takes Q (16 bytes from its first digit). Per lane, the
    // digit count before the '.' moves the shuffle's source indices and the end keeps only the number's bytes.
    let pos = (pd | pe << 8 | qd << 16 | qe << 24) as i32;
    // SAFETY: as above; `qwin`, `pbase` and `qbase` are sixteen readable bytes each.
    let (p, qv) = unsafe {
        let lanes = _mm256_inserti128_si256::<1>(v, _mm_loadu_si128(qwin.as_ptr().cast()));
        let x = _mm256_sub_epi8(lanes, _mm256_set1_epi8(b'0' as i8));
        let pos = _mm256_set1_epi32(pos);
        let digits_before = _mm256_shuffle_epi8(
            pos,
            _mm256_setr_epi8(
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
                2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
            ),
        );
        let end = _mm256_shuffle_epi8(
            pos,
            _mm256_setr_epi8(
                1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, //
                3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
            ),
        );
        let iota = _mm256_setr_epi8(
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, //
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        );
        let base = _mm256_inserti128_si256::<1>(
            _mm256_castsi128_si256(_mm_loadu_si128(pbase.as_ptr().cast())),
            _mm_loadu_si128(qbase.as_ptr().cast()),
        );
        let idx = _mm256_add_epi8(base, digits_before);
        let keep = _mm256_cmpgt_epi8(end, iota);
        let y = _mm256_shuffle_epi8(_mm256_and_si256(x, keep), idx);
        let t = _mm256_maddubs_epi16(y, _mm256_set1_epi16(0x010A));
        let t = _mm256_madd_epi16(t, _mm256_set1_epi32(0x0001_0064));
        let t = _mm256_packus_epi32(t, t);
        let t = _mm256_madd_epi16(t, _mm256_set1_epi32(0x0001_2710));
        // Per lane, the low 64 bits hold the first and the last eight digits as two u32.
        let r = _mm256_add_epi64(
            _mm256_mul_epu32(t, _mm256_set1_epi64x(100_000_000)),
            _mm256_srli_epi64::<32>(t),
        );
        (_mm256_extract_epi64::<0>(r), _mm256_extract_epi64::<2>(r))
    };
    Some((p, qv, start + close + 1, next))
}

/// One number's run in the non-digit mask `nd` from byte `at`: digits, optionally a '.' and more digits, then the
/// byte at the returned end (relative to `at`; the caller checks it is the closing quote). Returns (digits before
/// the '.', end). `None` when there is no digit before or after the '.', more decimals than `scale`, or more than
/// 15 digits at `scale` (the widest value one lane converts without overflow); so the end is at most 16.
#[cfg(target_feature = "avx2")]
#[inline(always)]
fn span(nd: u64, dots: u64, at: u32, scale: u32) -> Option<(u32, u32)> {
    // `at` <= 32 and the top 32 bits of `nd` are set: the run ends within 32 bytes and every shift is below 64.
    let n = nd >> at;
    let k0 = n.trailing_zeros();
    let dot = ((dots >> at) >> k0) as u32 & 1;
    let end = if dot == 1 {
        (n & (n - 1)).trailing_zeros()
    } else {
        k0
    };
    let frac = end - k0 - dot;
    if k0 == 0 || dot > frac || frac > scale || k0 + scale > 15 {
        return None;
    }
    Some((k0, end))
}
