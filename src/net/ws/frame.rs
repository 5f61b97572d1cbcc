//! Server-to-client frame decoding (RFC 6455 §5): the header, the client's MUSTs on what a server may send,
//! UTF-8 of text messages and close reasons, and message assembly.
//!
//! Every length that is added is added with checked arithmetic: a peer chooses the 64-bit length field, so
//! `2^64 - 1` must become an error, never a wrapped small number.

use super::WsError;

pub(crate) const OP_CONT: u8 = 0x0;
pub(crate) const OP_TEXT: u8 = 0x1;
pub(crate) const OP_BINARY: u8 = 0x2;
pub(crate) const OP_CLOSE: u8 = 0x8;
pub(crate) const OP_PING: u8 = 0x9;
pub(crate) const OP_PONG: u8 = 0xA;

/// Close codes (RFC 6455 §7.4.1) the decoder fails the connection with.
pub mod close_code {
    pub const NORMAL: u16 = 1000;
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text message or close reason that is not UTF-8 (§8.1).
    pub const INVALID_PAYLOAD: u16 = 1007;
    pub const TOO_BIG: u16 = 1009;
}

/// True for a code an endpoint may put in a close frame: 1000-1003 and 1007-1014 (IANA registry), and the
/// 3000-4999 ranges for libraries and applications. 1004-1006 and 1015 are reserved, never sent on the wire.
#[inline]
pub fn close_code_valid(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// A data message or a control frame the caller may care about.
#[derive(Debug, PartialEq, Eq)]
pub enum WsEvent<'a> {
    Text(&'a [u8]),
    Binary(&'a [u8]),
    /// A protocol ping; the pong has already been queued.
    Ping(&'a [u8]),
    Pong(&'a [u8]),
    /// The server's close frame; the reply has already been queued.
    Close(Option<u16>),
}

/// Where a decoded frame's payload is: in the caller's input (offsets) or in the decoder's assembly buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    /// Not a complete message yet (bytes may still have been consumed into the assembly buffer).
    Incomplete,
    Text(Loc),
    Binary(Loc),
    Ping(Loc),
    Pong(Loc),
    Close(Option<u16>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loc {
    Input { start: usize, end: usize },
    Assembly,
}

/// Result of one decoding step: how many input bytes to consume once the frame has been handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub consumed: usize,
    pub frame: Frame,
}

const NEED_MORE: Step = Step {
    consumed: 0,
    frame: Frame::Incomplete,
};

/// A parsed frame header.
struct Header {
    fin: bool,
    op: u8,
    len: u64,
    /// Header bytes, length field included.
    hlen: usize,
}

/// Parses the header at the start of `input`; `Ok(None)` when it is not all there yet. Violations visible in the
/// first two bytes fail at once, before the length bytes arrive.
#[inline]
fn parse_header(input: &[u8]) -> Result<Option<Header>, WsError> {
    let [b0, b1, ..] = *input else {
        return Ok(None);
    };
    if b0 & 0x70 != 0 {
        return Err(WsError::Protocol(
            "reserved bits set without a negotiated extension",
        ));
    }
    if b1 & 0x80 != 0 {
        return Err(WsError::Protocol("masked frame from the server"));
    }
    let op = b0 & 0x0F;
    if !matches!(
        op,
        OP_CONT | OP_TEXT | OP_BINARY | OP_CLOSE | OP_PING | OP_PONG
    ) {
        return Err(WsError::Protocol("reserved opcode"));
    }
    let (len, hlen) = match b1 & 0x7F {
        126 => match input.get(2..4) {
            Some(&[a, b]) => (u16::from_be_bytes([a, b]) as u64, 4),
            _ => return Ok(None),
        },
        127 => match input.get(2..10) {
            Some(b) => {
                let mut l = [0u8; 8];
                l.copy_from_slice(b);
                (u64::from_be_bytes(l), 10)
            }
            None => return Ok(None),
        },
        n => (n as u64, 2),
    };
    if len >> 63 != 0 {
        // §5.2: the most significant bit of a 64-bit length MUST be 0.
        return Err(WsError::Protocol(
            "frame length with the most significant bit set (over 2^63 bytes)",
        ));
    }
    Ok(Some(Header {
        fin: b0 & 0x80 != 0,
        op,
        len,
        hlen,
    }))
}

/// Incremental frame decoder for server-to-client frames. Holds no borrow, so the owner can react to a control
/// frame (send a pong) between decoding it and handing data out.
pub struct WsDecoder {
    max_message: usize,
    /// Frames up to this size are waited for and handed out in place; larger ones are streamed into `assembly`.
    inline_limit: usize,
    assembly: Vec<u8>,
    /// Opcode (text or binary) of a fragmented or streamed message in progress.
    fragmented: Option<u8>,
    /// Payload bytes still to copy for a data frame being streamed, and whether it is the last fragment.
    streaming: Option<(u64, bool)>,
    /// The assembled message was handed out; clear it before the next one.
    assembled_out: bool,
    /// Leading bytes of a text message in `assembly` known to be UTF-8. Anything after it is an incomplete code
    /// point (at most 3 bytes) that the next fragment must complete: fragments are checked as they arrive, so an
    /// invalid message fails at its first bad byte, not at its end.
    utf8_ok: usize,
    /// Payload bytes already checked of a text frame that is waited for in place (at the start of the input,
    /// not complete yet), so bad UTF-8 fails when it arrives, not when the frame is whole.
    inline_utf8_ok: usize,
    check_utf8: bool,
}

impl WsDecoder {
    pub fn new(max_message: usize, inline_limit: usize) -> Self {
        WsDecoder {
            max_message,
            inline_limit,
            assembly: Vec::new(),
            fragmented: None,
            streaming: None,
            assembled_out: false,
            utf8_ok: 0,
            inline_utf8_ok: 0,
            check_utf8: true,
        }
    }

    /// Turns the UTF-8 check of text messages off. RFC 6455 requires it; this exists so a bench can measure what
    /// the check costs against the same decoder without it. Do not use it on a live connection.
    #[doc(hidden)]
    pub fn set_check_utf8(&mut self, on: bool) {
        self.check_utf8 = on;
    }

    /// The payload a `Loc` points at.
    #[inline]
    pub fn payload<'a>(&'a self, input: &'a [u8], loc: Loc) -> &'a [u8] {
        match loc {
            Loc::Input { start, end } => &input[start..end],
            Loc::Assembly => &self.assembly,
        }
    }

    /// The borrowed event for a decoded frame (`None` for `Incomplete`).
    #[inline]
    pub fn event<'a>(&'a self, input: &'a [u8], frame: Frame) -> Option<WsEvent<'a>> {
        Some(match frame {
            Frame::Incomplete => return None,
            Frame::Text(l) => WsEvent::Text(self.payload(input, l)),
            Frame::Binary(l) => WsEvent::Binary(self.payload(input, l)),
            Frame::Ping(l) => WsEvent::Ping(self.payload(input, l)),
            Frame::Pong(l) => WsEvent::Pong(self.payload(input, l)),
            Frame::Close(c) => WsEvent::Close(c),
        })
    }

    fn too_big(&self) -> WsError {
        WsError::MessageTooBig {
            limit: self.max_message,
        }
    }

    /// Appends payload bytes of the message in progress, checking the cap and (for text) UTF-8 so far.
    fn append(&mut self, bytes: &[u8]) -> Result<(), WsError> {
        match self.assembly.len().checked_add(bytes.len()) {
            Some(n) if n <= self.max_message => {}
            _ => return Err(self.too_big()),
        }
        self.assembly.extend_from_slice(bytes);
        if self.check_utf8 && self.fragmented == Some(OP_TEXT) {
            let rest = &self.assembly[self.utf8_ok..];
            match simdutf8::compat::from_utf8(rest) {
                Ok(_) => self.utf8_ok = self.assembly.len(),
                // Cut inside a code point that may still complete: remember where the valid part ends.
                Err(e) if e.error_len().is_none() => self.utf8_ok += e.valid_up_to(),
                Err(_) => return Err(WsError::InvalidPayload("text message is not valid UTF-8")),
            }
        }
        Ok(())
    }

    fn finish_assembled(&mut self, consumed: usize) -> Result<Step, WsError> {
        let op = self.fragmented.take().unwrap_or(OP_TEXT);
        self.assembled_out = true;
        let frame = if op == OP_BINARY {
            Frame::Binary(Loc::Assembly)
        } else {
            if self.check_utf8 && self.utf8_ok != self.assembly.len() {
                return Err(WsError::InvalidPayload(
                    "text message ends inside a UTF-8 sequence",
                ));
            }
            Frame::Text(Loc::Assembly)
        };
        Ok(Step { consumed, frame })
    }

    /// Decodes at most one frame from the start of `input`.
    pub fn decode(&mut self, input: &[u8]) -> Result<Step, WsError> {
        if self.assembled_out {
            self.assembled_out = false;
            self.assembly.clear();
            self.utf8_ok = 0;
        }
        if let Some((remaining, fin)) = self.streaming {
            let take = remaining.min(input.len() as u64) as usize;
            self.append(&input[..take])?;
            let remaining = remaining - take as u64;
            if remaining > 0 {
                self.streaming = Some((remaining, fin));
                return Ok(Step {
                    consumed: take,
                    frame: Frame::Incomplete,
                });
            }
            self.streaming = None;
            if !fin {
                return Ok(Step {
                    consumed: take,
                    frame: Frame::Incomplete,
                });
            }
            return self.finish_assembled(take);
        }

        let Some(Header { fin, op, len, hlen }) = parse_header(input)? else {
            return Ok(NEED_MORE);
        };
        // `len < 2^63` after `parse_header`, so this cannot overflow; checked all the same.
        let total = (hlen as u64)
            .checked_add(len)
            .ok_or(WsError::Protocol("frame length overflows"))?;
        let complete = (input.len() as u64) >= total;

        if op >= OP_CLOSE {
            if len > 125 {
                return Err(WsError::Protocol("control frame longer than 125 bytes"));
            }
            if !fin {
                return Err(WsError::Protocol("fragmented control frame"));
            }
            if !complete {
                return Ok(NEED_MORE);
            }
            let (start, end) = (hlen, total as usize);
            let loc = Loc::Input { start, end };
            let frame = match op {
                OP_PING => Frame::Ping(loc),
                OP_PONG => Frame::Pong(loc),
                _ => Frame::Close(parse_close(&input[start..end])?),
            };
            return Ok(Step {
                consumed: end,
                frame,
            });
        }

        let starts_message = op != OP_CONT;
        if starts_message && self.fragmented.is_some() {
            return Err(WsError::Protocol("new message inside a fragmented one"));
        }
        if !starts_message && self.fragmented.is_none() {
            return Err(WsError::Protocol("continuation frame without a message"));
        }
        let so_far = if starts_message {
            0
        } else {
            self.assembly.len() as u64
        };
        match so_far.checked_add(len) {
            Some(n) if n <= self.max_message as u64 => {}
            _ => return Err(self.too_big()),
        }
        // Fast path: a whole unfragmented message in the buffer is handed out in place.
        if starts_message && fin && complete {
            let (start, end) = (hlen, total as usize);
            let loc = Loc::Input { start, end };
            let checked = std::mem::take(&mut self.inline_utf8_ok);
            let frame = if op == OP_BINARY {
                Frame::Binary(loc)
            } else {
                if self.check_utf8
                    && simdutf8::basic::from_utf8(&input[start + checked..end]).is_err()
                {
                    return Err(WsError::InvalidPayload("text message is not valid UTF-8"));
                }
                Frame::Text(loc)
            };
            return Ok(Step {
                consumed: end,
                frame,
            });
        }
        if !complete && total <= self.inline_limit as u64 {
            if self.check_utf8 && starts_message && op == OP_TEXT {
                // What has arrived is a prefix of the message: check it now (`inline_utf8_ok` always ends on a
                // code point boundary, so checking from there is exact).
                let have = &input[hlen + self.inline_utf8_ok..];
                match simdutf8::compat::from_utf8(have) {
                    Ok(_) => self.inline_utf8_ok += have.len(),
                    Err(e) if e.error_len().is_none() => self.inline_utf8_ok += e.valid_up_to(),
                    Err(_) => {
                        return Err(WsError::InvalidPayload("text message is not valid UTF-8"));
                    }
                }
            }
            return Ok(NEED_MORE);
        }
        self.inline_utf8_ok = 0;
        if starts_message {
            self.fragmented = Some(op);
            self.assembly.clear();
            self.utf8_ok = 0;
        }
        let take = ((input.len() - hlen) as u64).min(len) as usize;
        self.append(&input[hlen..hlen + take])?;
        let consumed = hlen + take;
        let remaining = len - take as u64;
        if remaining > 0 {
            self.streaming = Some((remaining, fin));
            return Ok(Step {
                consumed,
                frame: Frame::Incomplete,
            });
        }
        if !fin {
            return Ok(Step {
                consumed,
                frame: Frame::Incomplete,
            });
        }
        self.finish_assembled(consumed)
    }
}

/// A close frame's payload (§5.5.1): empty, or a valid code followed by a UTF-8 reason.
fn parse_close(payload: &[u8]) -> Result<Option<u16>, WsError> {
    match payload {
        [] => Ok(None),
        [_] => Err(WsError::Protocol("close frame with a one-byte payload")),
        [a, b, reason @ ..] => {
            let code = u16::from_be_bytes([*a, *b]);
            if !close_code_valid(code) {
                return Err(WsError::Protocol("close frame with an invalid status code"));
            }
            if simdutf8::basic::from_utf8(reason).is_err() {
                return Err(WsError::InvalidPayload("close reason is not valid UTF-8"));
            }
            Ok(Some(code))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server frame (unmasked).
    pub(crate) fn frame(fin: bool, op: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![(if fin { 0x80 } else { 0 }) | op];
        let n = payload.len();
        if n < 126 {
            f.push(n as u8);
        } else if n <= 65535 {
            f.push(126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        } else {
            f.push(127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
        f.extend_from_slice(payload);
        f
    }

    /// A header claiming `len` payload bytes, with a 64-bit length field.
    fn header64(fin: bool, op: u8, len: u64) -> Vec<u8> {
        let mut f = vec![(if fin { 0x80 } else { 0 }) | op, 127];
        f.extend_from_slice(&len.to_be_bytes());
        f
    }

    /// Feeds `input` in chunks of `chunk`, collecting data messages and control frames in order.
    fn run(
        dec: &mut WsDecoder,
        input: &[u8],
        chunk: usize,
    ) -> Result<Vec<(char, Vec<u8>)>, WsError> {
        let mut buf: Vec<u8> = Vec::new();
        let mut out = Vec::new();
        let mut fed = 0;
        loop {
            let step = dec.decode(&buf)?;
            if let Some(ev) = dec.event(&buf, step.frame) {
                out.push(match ev {
                    WsEvent::Text(p) => ('T', p.to_vec()),
                    WsEvent::Binary(p) => ('B', p.to_vec()),
                    WsEvent::Ping(p) => ('P', p.to_vec()),
                    WsEvent::Pong(p) => ('O', p.to_vec()),
                    WsEvent::Close(c) => {
                        ('C', c.map(|c| c.to_be_bytes().to_vec()).unwrap_or_default())
                    }
                });
            }
            buf.drain(..step.consumed);
            if step.consumed == 0 && step.frame == Frame::Incomplete {
                if fed >= input.len() {
                    return Ok(out);
                }
                let n = chunk.min(input.len() - fed);
                buf.extend_from_slice(&input[fed..fed + n]);
                fed += n;
            }
        }
    }

    #[test]
    fn whole_and_fragmented_messages_with_control_frames_between_fragments() {
        let mut wire = frame(true, OP_TEXT, b"{\"m\":\"depth\"}");
        wire.extend(frame(false, OP_TEXT, b"hel"));
        wire.extend(frame(true, OP_PING, b"p1"));
        wire.extend(frame(false, OP_CONT, b"lo "));
        wire.extend(frame(true, OP_CONT, b"world"));
        wire.extend(frame(true, OP_BINARY, &[1, 2, 3]));
        wire.extend(frame(true, OP_CLOSE, &1001u16.to_be_bytes()));
        let expect = vec![
            ('T', b"{\"m\":\"depth\"}".to_vec()),
            ('P', b"p1".to_vec()),
            ('T', b"hello world".to_vec()),
            ('B', vec![1, 2, 3]),
            ('C', 1001u16.to_be_bytes().to_vec()),
        ];
        for chunk in [1, 2, 3, 7, 1000] {
            let mut dec = WsDecoder::new(1 << 20, 64 * 1024);
            assert_eq!(
                run(&mut dec, &wire, chunk).unwrap(),
                expect,
                "chunk size {chunk}"
            );
        }
    }

    #[test]
    fn frames_larger_than_the_inline_limit_are_streamed_intact() {
        let big: Vec<u8> = (0..2 * 1024 * 1024u32)
            .map(|i| b'a' + (i % 26) as u8)
            .collect();
        let wire = frame(true, OP_TEXT, &big);
        let mut dec = WsDecoder::new(4 * 1024 * 1024, 16 * 1024);
        let got = run(&mut dec, &wire, 16 * 1024).unwrap();
        assert_eq!(got.len(), 1);
        assert!(got[0].1 == big, "2 MiB message corrupted");
    }

    #[test]
    fn protocol_violations_are_errors() {
        let mut masked = frame(true, OP_TEXT, b"x");
        masked[1] |= 0x80;
        masked.splice(2..2, [1, 2, 3, 4]);
        let mut rsv = frame(true, OP_TEXT, b"x");
        rsv[0] |= 0x40;
        let mut rsv3 = frame(true, OP_PING, b"x");
        rsv3[0] |= 0x10;
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("masked", masked),
            ("rsv", rsv),
            ("rsv3 on a control frame", rsv3),
            ("reserved data opcode", frame(true, 0x3, b"x")),
            ("reserved control opcode", frame(true, 0xB, b"")),
            ("continuation first", frame(true, OP_CONT, b"x")),
            ("long ping", frame(true, OP_PING, &[0; 126])),
            (
                "long close",
                frame(true, OP_CLOSE, &[0x03, 0xe8].repeat(63)),
            ),
            ("fragmented ping", frame(false, OP_PING, b"x")),
            (
                "new message inside fragmented",
                [frame(false, OP_TEXT, b"a"), frame(true, OP_TEXT, b"b")].concat(),
            ),
            (
                "new binary inside fragmented text",
                [frame(false, OP_TEXT, b"a"), frame(true, OP_BINARY, b"b")].concat(),
            ),
            ("one-byte close", frame(true, OP_CLOSE, &[3])),
            (
                "msb of the 64-bit length",
                header64(true, OP_BINARY, 1 << 63),
            ),
        ];
        for (what, wire) in cases {
            let mut dec = WsDecoder::new(1024, 1024);
            match run(&mut dec, &wire, 1000) {
                Err(e) => assert_eq!(
                    e.close_code(),
                    Some(close_code::PROTOCOL_ERROR),
                    "{what}: {e}"
                ),
                Ok(v) => panic!("{what} was accepted: {v:?}"),
            }
        }
    }

    #[test]
    fn close_codes_are_checked_and_reasons_must_be_utf8() {
        for code in [
            0u16, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            let mut dec = WsDecoder::new(1024, 1024);
            let r = run(&mut dec, &frame(true, OP_CLOSE, &code.to_be_bytes()), 1000);
            assert!(
                matches!(r, Err(WsError::Protocol(_))),
                "close code {code} accepted: {r:?}"
            );
        }
        for code in [
            1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
        ] {
            let mut dec = WsDecoder::new(1024, 1024);
            let mut p = code.to_be_bytes().to_vec();
            p.extend_from_slice("fin ✓".as_bytes());
            let got = run(&mut dec, &frame(true, OP_CLOSE, &p), 1000).unwrap();
            assert_eq!(got, vec![('C', code.to_be_bytes().to_vec())], "code {code}");
        }
        let mut dec = WsDecoder::new(1024, 1024);
        let bad = [
            0x03, 0xe8, 0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed,
            0xa0, 0x80,
        ];
        let r = run(&mut dec, &frame(true, OP_CLOSE, &bad), 1000);
        match r {
            Err(e) => assert_eq!(e.close_code(), Some(close_code::INVALID_PAYLOAD), "{e}"),
            Ok(v) => panic!("invalid close reason accepted: {v:?}"),
        }
    }

    #[test]
    fn text_must_be_utf8_whole_fragmented_or_streamed() {
        // U+10FFFF is the last code point; F4 90 starts one past it. ED A0 80 is a surrogate.
        let good = "κόσμε \u{10FFFF} €".as_bytes().to_vec();
        for bad in [
            &b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"[..],
            b"\xf4\x90\x80\x80",
            b"a\xff",
            b"\xc0\xaf",
        ] {
            let mut dec = WsDecoder::new(1 << 20, 1024);
            let r = run(&mut dec, &frame(true, OP_TEXT, bad), 1000);
            assert!(
                matches!(r, Err(WsError::InvalidPayload(_))),
                "{bad:?}: {r:?}"
            );
            // The same bytes as binary are fine.
            let mut dec = WsDecoder::new(1 << 20, 1024);
            assert_eq!(
                run(&mut dec, &frame(true, OP_BINARY, bad), 1000)
                    .unwrap()
                    .len(),
                1
            );
        }
        // A valid message split inside every code point, one byte per fragment, and in 1-byte reads.
        let mut wire = Vec::new();
        for (i, b) in good.iter().enumerate() {
            let op = if i == 0 { OP_TEXT } else { OP_CONT };
            wire.extend(frame(i + 1 == good.len(), op, &[*b]));
        }
        for chunk in [1, 3, 1000] {
            let mut dec = WsDecoder::new(1 << 20, 1024);
            assert_eq!(
                run(&mut dec, &wire, chunk).unwrap(),
                vec![('T', good.clone())]
            );
        }
        // A message that ends inside a code point is invalid even though every fragment so far was a prefix.
        let wire = [
            frame(false, OP_TEXT, b"ok \xe2\x82"),
            frame(true, OP_CONT, b""),
        ]
        .concat();
        let mut dec = WsDecoder::new(1 << 20, 1024);
        assert!(matches!(
            run(&mut dec, &wire, 1000),
            Err(WsError::InvalidPayload(_))
        ));
    }

    #[test]
    fn invalid_utf8_fails_at_the_fragment_that_carries_it() {
        // Autobahn 6.4.1: the first fragment is valid, the second holds the bad code point, the third never has
        // to arrive. Feeding the first two frames must already fail.
        let first = frame(false, OP_TEXT, "κόσμε".as_bytes());
        let second = frame(false, OP_CONT, b"\xf4\x90\x80\x80");
        let mut dec = WsDecoder::new(1 << 20, 1024);
        assert!(run(&mut dec, &first, 1000).unwrap().is_empty());
        let mut dec = WsDecoder::new(1 << 20, 1024);
        let r = run(&mut dec, &[first, second].concat(), 1000);
        assert!(matches!(r, Err(WsError::InvalidPayload(_))), "{r:?}");
        // A streamed frame (beyond the inline limit) fails on the chunk with the bad byte, before the rest.
        let mut dec = WsDecoder::new(1 << 20, 64);
        let mut wire = header64(true, OP_TEXT, 10_000);
        wire.extend_from_slice(&[b'a'; 100]);
        wire.extend_from_slice(b"\xff");
        let r = run(&mut dec, &wire, 50);
        assert!(matches!(r, Err(WsError::InvalidPayload(_))), "{r:?}");
    }

    #[test]
    fn invalid_utf8_in_a_frame_still_arriving_fails_before_the_frame_is_whole() {
        // Autobahn 6.4.3: one text frame sent in chunks; the chunk with the bad byte must fail it. E2 82 is the
        // start of "€"; the 'A' after it cannot continue it.
        let bad = [
            b"\xce\xba\xe1\xbd\xb9".as_slice(),
            b"\xe2\x82A",
            &[b'x'; 200],
        ]
        .concat();
        let mut wire = frame(true, OP_TEXT, &bad);
        let mut dec = WsDecoder::new(1 << 20, 1 << 16);
        let first = 4 + 5 + 2; // header, a valid prefix, the start of a code point
        for n in [3, 4 + 3, first] {
            assert_eq!(dec.decode(&wire[..n]).unwrap(), NEED_MORE, "{n} bytes");
        }
        let r = dec.decode(&wire[..first + 1]);
        assert!(matches!(r, Err(WsError::InvalidPayload(_))), "{r:?}");
        // The same frame made valid goes through in place, however it arrives.
        wire[4 + 5..4 + 8].copy_from_slice("€".as_bytes());
        for chunk in [1, 2, 5, 64, 1000] {
            let mut dec = WsDecoder::new(1 << 20, 1 << 16);
            let got = run(&mut dec, &wire, chunk).unwrap();
            assert_eq!(got, vec![('T', wire[4..].to_vec())], "chunk {chunk}");
        }
    }

    #[test]
    fn the_message_cap_holds_for_whole_and_fragmented_messages() {
        let mut dec = WsDecoder::new(100, 1024);
        assert!(matches!(
            run(&mut dec, &frame(true, OP_TEXT, &[b'a'; 101]), 1000),
            Err(WsError::MessageTooBig { .. })
        ));
        let mut dec = WsDecoder::new(100, 1024);
        let wire = [
            frame(false, OP_TEXT, &[b'a'; 60]),
            frame(true, OP_CONT, &[b'a'; 60]),
        ]
        .concat();
        assert!(matches!(
            run(&mut dec, &wire, 1000),
            Err(WsError::MessageTooBig { .. })
        ));
        let mut dec = WsDecoder::new(100, 1024);
        assert_eq!(
            run(&mut dec, &frame(true, OP_TEXT, &[b'a'; 100]), 1000)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn huge_continuation_lengths_fail_instead_of_wrapping() {
        // After 10 bytes assembled, `so_far + len` wraps to a small number for these if it is not checked.
        for len in [u64::MAX, u64::MAX - 9, 1 << 63] {
            let mut wire = frame(false, OP_TEXT, b"0123456789");
            wire.extend(header64(true, OP_CONT, len));
            wire.extend(frame(true, OP_TEXT, b"must not be swallowed"));
            let mut dec = WsDecoder::new(1 << 20, 1024);
            match run(&mut dec, &wire, 1000) {
                Err(WsError::Protocol(why)) => {
                    assert!(why.contains("most significant bit"), "{why}")
                }
                r => panic!("len {len}: {r:?}"),
            }
        }
        // Below 2^63 the sum fits, and the cap refuses it before a byte is taken.
        for len in [(1u64 << 63) - 1, (1 << 20) - 9] {
            let mut wire = frame(false, OP_BINARY, b"0123456789");
            wire.extend(header64(true, OP_CONT, len));
            let mut dec = WsDecoder::new(1 << 20, 1024);
            let r = run(&mut dec, &wire, 1000);
            assert!(
                matches!(r, Err(WsError::MessageTooBig { .. })),
                "len {len}: {r:?}"
            );
        }
        // Whole frames too: `header + len` may not wrap either.
        let mut dec = WsDecoder::new(usize::MAX, 1024);
        let r = run(&mut dec, &header64(true, OP_BINARY, u64::MAX), 1000);
        assert!(matches!(r, Err(WsError::Protocol(_))), "{r:?}");
    }
}
