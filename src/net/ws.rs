//! WebSocket client (RFC 6455) over a `TlsStream`: the upgrade, frames, control frames, the close handshake.
//!
//! tungstenite provides the frame-header codec and the handshake key helpers; the payload buffers are ours. A
//! complete unfragmented frame is handed out as a slice of the TLS plaintext buffer (no copy, no allocation);
//! fragmented or oversized messages are assembled in one reused buffer capped at `max_message`.

use std::io::{Cursor, Read, Write};

use tungstenite::handshake::derive_accept_key;
use tungstenite::protocol::frame::FrameHeader;
use tungstenite::protocol::frame::coding::{Control, Data, OpCode};

use super::tls::{MAX_FRAGMENT, TlsError, TlsStream};

/// Why a WebSocket connection failed.
#[derive(Debug)]
pub enum WsError {
    Tls(TlsError),
    /// The server answered the upgrade with this HTTP status instead of 101.
    UpgradeRejected(u16),
    /// The upgrade response was not valid HTTP or lacked the WebSocket headers.
    BadUpgrade(&'static str),
    /// The server broke the framing rules.
    Protocol(&'static str),
    /// A message exceeded the configured cap.
    MessageTooBig {
        limit: usize,
    },
    /// The server closed the WebSocket (close code, if it sent one).
    Closed(Option<u16>),
    /// An operation that needs an open WebSocket was called in another state.
    NotOpen,
}

impl std::fmt::Display for WsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WsError::Tls(e) => write!(f, "{e}"),
            WsError::UpgradeRejected(s) => {
                write!(f, "the server refused the WebSocket upgrade with HTTP {s}")
            }
            WsError::BadUpgrade(w) => write!(f, "invalid WebSocket upgrade response: {w}"),
            WsError::Protocol(w) => write!(f, "WebSocket protocol violation by the server: {w}"),
            WsError::MessageTooBig { limit } => {
                write!(
                    f,
                    "WebSocket message larger than the {limit}-byte cap (raise max_message if legitimate)"
                )
            }
            WsError::Closed(Some(c)) => write!(f, "the server closed the WebSocket (code {c})"),
            WsError::Closed(None) => write!(f, "the server closed the WebSocket"),
            WsError::NotOpen => write!(f, "the WebSocket is not open"),
        }
    }
}

impl std::error::Error for WsError {}

impl From<TlsError> for WsError {
    fn from(e: TlsError) -> Self {
        WsError::Tls(e)
    }
}

const OP_CONT: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

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
        }
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

    fn append(&mut self, bytes: &[u8]) -> Result<(), WsError> {
        if self.assembly.len() + bytes.len() > self.max_message {
            return Err(WsError::MessageTooBig {
                limit: self.max_message,
            });
        }
        self.assembly.extend_from_slice(bytes);
        Ok(())
    }

    fn finish_assembled(&mut self, consumed: usize) -> Step {
        let op = self.fragmented.take().unwrap_or(OP_TEXT);
        self.assembled_out = true;
        let frame = if op == OP_BINARY {
            Frame::Binary(Loc::Assembly)
        } else {
            Frame::Text(Loc::Assembly)
        };
        Step { consumed, frame }
    }

    /// Decodes at most one frame from the start of `input`.
    pub fn decode(&mut self, input: &[u8]) -> Result<Step, WsError> {
        const NEED_MORE: Step = Step {
            consumed: 0,
            frame: Frame::Incomplete,
        };
        if self.assembled_out {
            self.assembled_out = false;
            self.assembly.clear();
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
            return Ok(self.finish_assembled(take));
        }

        let mut cur = Cursor::new(input);
        let (hdr, len) = match FrameHeader::parse(&mut cur) {
            Ok(Some(h)) => h,
            Ok(None) => return Ok(NEED_MORE),
            Err(_) => return Err(WsError::Protocol("invalid frame header")),
        };
        let hlen = cur.position() as usize;
        if hdr.mask.is_some() {
            return Err(WsError::Protocol("masked frame from the server"));
        }
        if hdr.rsv1 || hdr.rsv2 || hdr.rsv3 {
            return Err(WsError::Protocol(
                "reserved bits set without a negotiated extension",
            ));
        }
        let op = opcode_byte(hdr.opcode)?;
        let total = hlen as u64 + len;
        let complete = (input.len() as u64) >= total;

        if op >= OP_CLOSE {
            if len > 125 || !hdr.is_final {
                return Err(WsError::Protocol("control frame too long or fragmented"));
            }
            if !complete {
                return Ok(NEED_MORE);
            }
            let (start, end) = (hlen, total as usize);
            let loc = Loc::Input { start, end };
            let frame = match op {
                OP_PING => Frame::Ping(loc),
                OP_PONG => Frame::Pong(loc),
                _ => match &input[start..end] {
                    [] => Frame::Close(None),
                    [a, b, ..] => Frame::Close(Some(u16::from_be_bytes([*a, *b]))),
                    [_] => return Err(WsError::Protocol("close frame with a one-byte payload")),
                },
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
        if so_far + len > self.max_message as u64 {
            return Err(WsError::MessageTooBig {
                limit: self.max_message,
            });
        }
        // Fast path: a whole unfragmented message in the buffer is handed out in place.
        if starts_message && hdr.is_final && complete {
            let loc = Loc::Input {
                start: hlen,
                end: total as usize,
            };
            let frame = if op == OP_BINARY {
                Frame::Binary(loc)
            } else {
                Frame::Text(loc)
            };
            return Ok(Step {
                consumed: total as usize,
                frame,
            });
        }
        if !complete && total <= self.inline_limit as u64 {
            return Ok(NEED_MORE);
        }
        if starts_message {
            self.fragmented = Some(op);
            self.assembly.clear();
        }
        let take = ((input.len() - hlen) as u64).min(len) as usize;
        self.append(&input[hlen..hlen + take])?;
        let remaining = len - take as u64;
        if remaining > 0 {
            self.streaming = Some((remaining, hdr.is_final));
            return Ok(Step {
                consumed: hlen + take,
                frame: Frame::Incomplete,
            });
        }
        if !hdr.is_final {
            return Ok(Step {
                consumed: hlen + take,
                frame: Frame::Incomplete,
            });
        }
        Ok(self.finish_assembled(hlen + take))
    }
}

fn opcode_byte(op: OpCode) -> Result<u8, WsError> {
    Ok(match op {
        OpCode::Data(Data::Continue) => OP_CONT,
        OpCode::Data(Data::Text) => OP_TEXT,
        OpCode::Data(Data::Binary) => OP_BINARY,
        OpCode::Control(Control::Close) => OP_CLOSE,
        OpCode::Control(Control::Ping) => OP_PING,
        OpCode::Control(Control::Pong) => OP_PONG,
        _ => return Err(WsError::Protocol("reserved opcode")),
    })
}

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

/// Produces upgrade headers at the moment the request is written, not when the connection was configured: a
/// signature over a timestamp must be fresh at every (re)connect.
pub trait HeaderSource: Send + Sync {
    /// Appends complete `name: value\r\n` lines to `out`.
    fn write_headers(&self, out: &mut Vec<u8>);
}

/// One extra header (or a group of them) on the upgrade request.
#[derive(Clone)]
pub enum UpgradeHeader {
    /// The same name and value on every connect.
    Fixed(String, String),
    /// Written by the source at each connect (for example `x-auth-*` signed with the current exchange time).
    Fresh(std::sync::Arc<dyn HeaderSource>),
}

impl std::fmt::Debug for UpgradeHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be credentials or signatures: names only.
        match self {
            UpgradeHeader::Fixed(name, _) => write!(f, "Fixed({name}: <value>)"),
            UpgradeHeader::Fresh(_) => f.write_str("Fresh(<written at connect>)"),
        }
    }
}

impl From<(String, String)> for UpgradeHeader {
    fn from((name, value): (String, String)) -> Self {
        UpgradeHeader::Fixed(name, value)
    }
}

/// A header line that cannot split the request: no CR or LF, a non-empty name without ':'.
fn header_safe(name: &str, value: &str) -> bool {
    !name.is_empty()
        && !name.bytes().any(|b| b == b':' || b <= b' ')
        && !value.bytes().any(|b| b == b'\r' || b == b'\n')
}

/// Writes the HTTP upgrade request into `out`; returns the `Sec-WebSocket-Key` to check the answer against.
/// `Fresh` headers are produced now; a `Fixed` header that would break the request framing is left out.
pub fn write_upgrade_request(
    out: &mut Vec<u8>,
    host: &str,
    path: &str,
    extra_headers: &[UpgradeHeader],
) -> String {
    let key = tungstenite::handshake::client::generate_key();
    let _ = write!(
        out,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
    );
    for h in extra_headers {
        match h {
            UpgradeHeader::Fixed(k, v) if header_safe(k, v) => {
                let _ = write!(out, "{k}: {v}\r\n");
            }
            UpgradeHeader::Fixed(..) => {}
            UpgradeHeader::Fresh(src) => src.write_headers(out),
        }
    }
    out.extend_from_slice(b"\r\n");
    key
}

/// Parses the upgrade response at the start of `input`. `Ok(None)` means incomplete; `Ok(Some(n))` means the
/// upgrade succeeded and the first `n` bytes were the response (frames may follow).
pub fn parse_upgrade_response(input: &[u8], key: &str) -> Result<Option<usize>, WsError> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    let n = match resp.parse(input) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(WsError::BadUpgrade("not an HTTP response")),
    };
    let code = resp.code.unwrap_or(0);
    if code != 101 {
        return Err(WsError::UpgradeRejected(code));
    }
    let mut upgrade = false;
    let mut connection = false;
    let mut accept_ok = false;
    let expected = derive_accept_key(key.as_bytes());
    for h in resp.headers.iter() {
        if h.name.eq_ignore_ascii_case("upgrade") {
            upgrade = h.value.eq_ignore_ascii_case(b"websocket");
        } else if h.name.eq_ignore_ascii_case("connection") {
            connection = h
                .value
                .split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"upgrade"));
        } else if h.name.eq_ignore_ascii_case("sec-websocket-accept") {
            accept_ok = h.value.trim_ascii() == expected.as_bytes();
        } else if h.name.eq_ignore_ascii_case("sec-websocket-extensions") {
            return Err(WsError::BadUpgrade(
                "server enabled an extension we did not offer",
            ));
        }
    }
    if !upgrade || !connection {
        return Err(WsError::BadUpgrade("missing Upgrade/Connection headers"));
    }
    if !accept_ok {
        return Err(WsError::BadUpgrade(
            "Sec-WebSocket-Accept does not match our key",
        ));
    }
    Ok(Some(n))
}

/// State of a WebSocket over TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WsState {
    /// TLS handshake in progress.
    Handshaking,
    /// Upgrade request sent, waiting for 101.
    Upgrading,
    Open,
    /// We sent a close frame and wait for the server's.
    Closing,
    Closed,
}

/// Options for one WebSocket connection.
#[derive(Clone, Debug)]
pub struct WsOptions {
    pub host: String,
    pub path: String,
    /// Extra headers on the upgrade request (AscendEX accepts `x-auth-*` here), written at each connect.
    pub headers: Vec<UpgradeHeader>,
    pub max_message: usize,
}

/// A WebSocket client over a TLS stream.
pub struct WsStream<S> {
    pub tls: TlsStream<S>,
    state: WsState,
    opts: WsOptions,
    key: String,
    dec: WsDecoder,
    enc: WsEncoder,
    /// Frames built by `send_*` before they are encrypted; reused.
    out: Vec<u8>,
    /// Bytes of the TLS plaintext the last returned event still borrows.
    pending_consume: usize,
    close_code: Option<u16>,
    pub pongs_sent: u64,
}

impl<S: Read + Write> WsStream<S> {
    pub fn new(tls: TlsStream<S>, opts: WsOptions) -> Self {
        let inline = tls.plaintext_capacity().saturating_sub(MAX_FRAGMENT);
        let dec = WsDecoder::new(opts.max_message, inline);
        let mut s = WsStream {
            tls,
            state: WsState::Handshaking,
            opts,
            key: String::new(),
            dec,
            enc: WsEncoder::new(),
            out: Vec::with_capacity(4096),
            pending_consume: 0,
            close_code: None,
            pongs_sent: 0,
        };
        if s.tls.is_open() {
            s.start_upgrade();
        }
        s
    }

    pub fn state(&self) -> WsState {
        self.state
    }

    fn start_upgrade(&mut self) {
        self.out.clear();
        self.key = write_upgrade_request(
            &mut self.out,
            &self.opts.host,
            &self.opts.path,
            &self.opts.headers,
        );
        self.state = WsState::Upgrading;
    }

    /// Reads from the socket; advances the TLS handshake and the upgrade. Returns true when plaintext arrived.
    pub fn read(&mut self) -> Result<bool, WsError> {
        self.tls.consume(std::mem::take(&mut self.pending_consume));
        let r = self.tls.read_tls()?;
        if r.handshake_done && self.state == WsState::Handshaking {
            self.start_upgrade();
            let out = std::mem::take(&mut self.out);
            let res = self.tls.send(&out);
            self.out = out;
            self.out.clear();
            res?;
        }
        if self.state == WsState::Upgrading {
            match parse_upgrade_response(self.tls.plaintext(), &self.key)? {
                Some(n) => {
                    self.tls.consume(n);
                    self.state = WsState::Open;
                }
                None => {
                    if r.peer_closed {
                        return Err(WsError::BadUpgrade("connection closed during the upgrade"));
                    }
                }
            }
        }
        if r.peer_closed && self.tls.plaintext().is_empty() {
            self.state = WsState::Closed;
            return Err(WsError::Closed(self.close_code));
        }
        Ok(r.plaintext_added > 0)
    }

    /// The next event from what has been read. The returned slice stays valid until the next call on this stream.
    /// Pings are answered and close frames echoed before the event is returned.
    pub fn next_event(&mut self) -> Result<Option<WsEvent<'_>>, WsError> {
        self.tls.consume(std::mem::take(&mut self.pending_consume));
        if !matches!(self.state, WsState::Open | WsState::Closing) {
            return Ok(None);
        }
        loop {
            let step = self.dec.decode(self.tls.plaintext())?;
            match step.frame {
                Frame::Incomplete => {
                    if step.consumed == 0 {
                        return Ok(None);
                    }
                    self.tls.consume(step.consumed);
                    continue;
                }
                Frame::Ping(Loc::Input { start, end }) => {
                    let mut buf = [0u8; 125];
                    let n = end - start;
                    buf[..n].copy_from_slice(&self.tls.plaintext()[start..end]);
                    self.out.clear();
                    self.enc.frame(OP_PONG, &buf[..n], &mut self.out);
                    self.tls.send(&self.out)?;
                    self.pongs_sent += 1;
                }
                Frame::Close(code) => {
                    self.tls.consume(step.consumed);
                    self.close_code = code;
                    if self.state == WsState::Open {
                        // Echo the code back (RFC 6455 §5.5.1), then close TLS.
                        let payload = code.map(|c| c.to_be_bytes());
                        self.out.clear();
                        self.enc.frame(
                            OP_CLOSE,
                            payload.as_ref().map_or(&[][..], |p| &p[..]),
                            &mut self.out,
                        );
                        self.tls.send(&self.out)?;
                    }
                    self.state = WsState::Closed;
                    let _ = self.tls.close();
                    return Ok(Some(WsEvent::Close(code)));
                }
                _ => {}
            }
            self.pending_consume = step.consumed;
            return Ok(self.dec.event(self.tls.plaintext(), step.frame));
        }
    }

    /// Sends a text message now (encrypted and written; the rest queued on `WouldBlock`).
    pub fn send_text(&mut self, payload: &[u8]) -> Result<(), WsError> {
        self.send_frame(OP_TEXT, payload)
    }

    pub fn send_binary(&mut self, payload: &[u8]) -> Result<(), WsError> {
        self.send_frame(OP_BINARY, payload)
    }

    pub fn send_ping(&mut self, payload: &[u8]) -> Result<(), WsError> {
        self.send_frame(OP_PING, &payload[..payload.len().min(125)])
    }

    fn send_frame(&mut self, op: u8, payload: &[u8]) -> Result<(), WsError> {
        if self.state != WsState::Open {
            return Err(WsError::NotOpen);
        }
        self.tls.consume(std::mem::take(&mut self.pending_consume));
        self.out.clear();
        self.enc.frame(op, payload, &mut self.out);
        self.tls.send(&self.out)?;
        Ok(())
    }

    /// Starts the close handshake with code 1000.
    pub fn close(&mut self) -> Result<(), WsError> {
        if self.state == WsState::Open {
            self.out.clear();
            self.enc
                .frame(OP_CLOSE, &1000u16.to_be_bytes(), &mut self.out);
            self.tls.send(&self.out)?;
            self.state = WsState::Closing;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> Result<bool, WsError> {
        Ok(self.tls.flush()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server frame (unmasked).
    fn frame(fin: bool, op: u8, payload: &[u8]) -> Vec<u8> {
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
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("masked", masked),
            ("rsv", rsv),
            ("reserved opcode", frame(true, 0x3, b"x")),
            ("continuation first", frame(true, OP_CONT, b"x")),
            ("long ping", frame(true, OP_PING, &[0; 126])),
            ("fragmented ping", frame(false, OP_PING, b"x")),
            (
                "new message inside fragmented",
                [frame(false, OP_TEXT, b"a"), frame(true, OP_TEXT, b"b")].concat(),
            ),
            ("one-byte close", frame(true, OP_CLOSE, &[3])),
        ];
        for (what, wire) in cases {
            let mut dec = WsDecoder::new(1024, 1024);
            assert!(run(&mut dec, &wire, 1000).is_err(), "{what} was accepted");
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

    #[test]
    fn upgrade_response_is_validated() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                  Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
        let with_frame = format!("{ok}\u{81}\u{1}x");
        assert_eq!(
            parse_upgrade_response(with_frame.as_bytes(), key).unwrap(),
            Some(ok.len())
        );
        assert_eq!(
            parse_upgrade_response(&ok.as_bytes()[..20], key).unwrap(),
            None
        );
        let bad_accept = ok.replace(
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        );
        assert!(matches!(
            parse_upgrade_response(bad_accept.as_bytes(), key),
            Err(WsError::BadUpgrade(_))
        ));
        let refused = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
        assert!(matches!(
            parse_upgrade_response(refused.as_bytes(), key),
            Err(WsError::UpgradeRejected(403))
        ));
        assert!(parse_upgrade_response(b"\x16\x03\x01garbage\r\n\r\n", key).is_err());
    }

    #[test]
    fn upgrade_headers_are_written_at_each_request_and_never_split_it() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicU64, Ordering};
        struct Counter(AtomicU64);
        impl HeaderSource for Counter {
            fn write_headers(&self, out: &mut Vec<u8>) {
                let n = self.0.fetch_add(1, Ordering::Relaxed);
                let _ = write!(out, "x-auth-timestamp: {n}\r\n");
            }
        }
        let src = Arc::new(Counter(AtomicU64::new(7)));
        let headers = vec![
            UpgradeHeader::Fixed("x-a".into(), "1".into()),
            UpgradeHeader::Fixed("x-b".into(), "2\r\nx-evil: 1".into()),
            UpgradeHeader::Fixed("bad name".into(), "3".into()),
            UpgradeHeader::Fresh(src.clone()),
        ];
        let mut out = Vec::new();
        write_upgrade_request(&mut out, "h", "/p", &headers);
        let first = String::from_utf8(out.clone()).unwrap();
        out.clear();
        write_upgrade_request(&mut out, "h", "/p", &headers);
        let second = String::from_utf8(out).unwrap();
        assert!(first.contains("\r\nx-a: 1\r\n"), "{first}");
        assert!(
            !first.contains("x-evil") && !first.contains("bad name"),
            "{first}"
        );
        assert!(first.contains("\r\nx-auth-timestamp: 7\r\n\r\n"), "{first}");
        assert!(
            second.contains("\r\nx-auth-timestamp: 8\r\n\r\n"),
            "{second}"
        );
        let mut hs = [httparse::EMPTY_HEADER; 16];
        let mut req = httparse::Request::new(&mut hs);
        assert!(req.parse(first.as_bytes()).unwrap().is_complete());
        let dbg = format!("{:?}", headers);
        assert!(!dbg.contains('1') && dbg.contains("x-a"), "{dbg}");
    }
}
