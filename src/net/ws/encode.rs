//! Client-to-server frames: every frame masked (RFC 6455 §5.3), headers in the shortest length form.

use super::frame::{OP_BINARY, OP_TEXT};

/// Client-side frame writer: masks every frame as RFC 6455 requires.
///
/// The masking key only has to be unpredictable to the web page scripts a proxy might be fooled by (RFC 6455
/// §10.3); an xorshift generator seeded once from the OS is enough and costs a few instructions per frame.
pub struct WsEncoder {
    rng: u64,
}

impl WsEncoder {
    pub fn new() -> Self {
        let mut seed = [0u8; 8];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed);
        WsEncoder {
            rng: u64::from_le_bytes(seed) | 1,
        }
    }

    fn next_mask(&mut self) -> [u8; 4] {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        (x as u32).to_le_bytes()
    }

    /// Appends a complete masked frame to `out`.
    pub fn frame(&mut self, opcode: u8, payload: &[u8], out: &mut Vec<u8>) {
        let mask = self.next_mask();
        let b0 = 0x80 | opcode;
        let len = payload.len();
        if len < 126 {
            out.extend_from_slice(&[b0, 0x80 | len as u8]);
        } else if len <= u16::MAX as usize {
            let l = (len as u16).to_be_bytes();
            out.extend_from_slice(&[b0, 0x80 | 126, l[0], l[1]]);
        } else {
            out.extend_from_slice(&[b0, 0x80 | 127]);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
        out.extend_from_slice(&mask);
        let start = out.len();
        out.extend_from_slice(payload);
        apply_mask(&mut out[start..], mask);
    }

    pub fn text(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        self.frame(OP_TEXT, payload, out)
    }

    pub fn binary(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        self.frame(OP_BINARY, payload, out)
    }
}

impl Default for WsEncoder {
    fn default() -> Self {
        Self::new()
    }
}

/// XORs `buf` with the repeating 4-byte mask, eight bytes at a time.
pub fn apply_mask(buf: &mut [u8], mask: [u8; 4]) {
    let m32 = u32::from_ne_bytes(mask) as u64;
    let m64 = m32 | (m32 << 32);
    let mut chunks = buf.chunks_exact_mut(8);
    for c in &mut chunks {
        let v = u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) ^ m64;
        c.copy_from_slice(&v.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= mask[i & 3];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use tungstenite::protocol::frame::FrameHeader;

    #[test]
    fn client_frames_are_masked_and_unmask_to_the_payload() {
        let mut enc = WsEncoder::new();
        for len in [0usize, 5, 125, 126, 300, 65535, 65536] {
            let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut out = Vec::new();
            enc.text(&payload, &mut out);
            let mut cur = Cursor::new(&out[..]);
            let (hdr, n) = FrameHeader::parse(&mut cur).unwrap().unwrap();
            assert_eq!(n as usize, len);
            let mask = hdr.mask.expect("client frames must be masked");
            let mut body = out[cur.position() as usize..].to_vec();
            apply_mask(&mut body, mask);
            assert!(body == payload, "len {len}");
        }
    }
}
