//! `WsStream`: a WebSocket over a `TlsStream`, as the engine drives it (non-blocking, readiness-driven).
//!
//! Output is written in order through one path: frames go to TLS in record-sized pieces, and what does not fit
//! the TLS send buffer waits in `pending` until the socket drains (`flush`, called on writable). So a message of
//! any size is sent, never refused, and a pong or close frame never lands inside a half-written frame. Normal-sized
//! frames never touch `pending`: nothing is allocated for them after warm-up.

use std::io::{Read, Write};

use super::WsError;
use super::encode::WsEncoder;
use super::frame::{
    Frame, Loc, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, WsDecoder, WsEvent, close_code,
    close_code_valid,
};
use super::handshake::{UpgradeHeader, parse_upgrade_response, write_upgrade_request};
use crate::net::tls::{MAX_FRAGMENT, TlsError, TlsStream};

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
    /// Framed bytes the TLS send buffer had no room for, written from `pending_at` on as the socket drains.
    pending: Vec<u8>,
    pending_at: usize,
    /// close_notify waits for `pending`: TLS must not end before the last frame is out.
    close_tls_when_drained: bool,
    /// Bytes of the TLS plaintext the last returned event still borrows.
    pending_consume: usize,
    close_code: Option<u16>,
    pub pongs_sent: u64,
}

/// Encrypts as much of `bytes` as the TLS send buffer holds, a record at a time; returns how much it took.
fn push<S: Read + Write>(tls: &mut TlsStream<S>, bytes: &[u8]) -> Result<usize, TlsError> {
    let mut at = 0;
    while at < bytes.len() {
        let n = (bytes.len() - at).min(MAX_FRAGMENT);
        match tls.queue(&bytes[at..at + n]) {
            Ok(()) => at += n,
            // `queue` checks for room before it touches anything, so a refused record leaves no trace.
            Err(TlsError::SendBufferFull) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(at)
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
            pending: Vec::new(),
            pending_at: 0,
            close_tls_when_drained: false,
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

    /// See `WsDecoder::set_check_utf8`: for benches measuring the check, never for a live connection.
    #[doc(hidden)]
    pub fn set_check_utf8(&mut self, on: bool) {
        self.dec.set_check_utf8(on);
    }

    /// Framed bytes accepted by `send_*` that TLS has not taken yet (a message larger than its send buffer).
    pub fn pending_bytes(&self) -> usize {
        self.pending.len() - self.pending_at
    }

    /// True while anything is waiting for the socket: call `flush` when it is writable.
    pub fn wants_write(&self) -> bool {
        self.pending_bytes() > 0 || self.tls.wants_write()
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
            self.write_out()?;
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
    /// Pings are answered and close frames echoed before the event is returned. A frame that breaks RFC 6455
    /// fails the connection: the close frame with the error's code (1002, 1007, 1009) is sent, TLS is closed,
    /// the state becomes `Closed` and the error is returned.
    pub fn next_event(&mut self) -> Result<Option<WsEvent<'_>>, WsError> {
        self.tls.consume(std::mem::take(&mut self.pending_consume));
        if !matches!(self.state, WsState::Open | WsState::Closing) {
            return Ok(None);
        }
        loop {
            let step = match self.dec.decode(self.tls.plaintext()) {
                Ok(s) => s,
                Err(e) => {
                    self.fail(e.close_code().unwrap_or(close_code::PROTOCOL_ERROR));
                    return Err(e);
                }
            };
            match step.frame {
                Frame::Incomplete => {
                    if step.consumed == 0 {
                        return Ok(None);
                    }
                    self.tls.consume(step.consumed);
                    continue;
                }
                Frame::Ping(Loc::Input { start, end }) => {
                    // Pong with the same payload (§5.5.3); a ping is at most 125 bytes, so this stays on the stack.
                    let mut buf = [0u8; 125];
                    let n = end - start;
                    buf[..n].copy_from_slice(&self.tls.plaintext()[start..end]);
                    self.out.clear();
                    self.enc.frame(OP_PONG, &buf[..n], &mut self.out);
                    self.write_out()?;
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
                        self.write_out()?;
                    }
                    self.state = WsState::Closed;
                    self.close_tls();
                    return Ok(Some(WsEvent::Close(code)));
                }
                _ => {}
            }
            self.pending_consume = step.consumed;
            return Ok(self.dec.event(self.tls.plaintext(), step.frame));
        }
    }

    /// Sends a text message now (encrypted and written; the rest queued on `WouldBlock`, or kept in `pending`
    /// when it is larger than the TLS send buffer).
    pub fn send_text(&mut self, payload: &[u8]) -> Result<(), WsError> {
        self.send_frame(OP_TEXT, payload)
    }

    pub fn send_binary(&mut self, payload: &[u8]) -> Result<(), WsError> {
        self.send_frame(OP_BINARY, payload)
    }

    pub fn send_ping(&mut self, payload: &[u8]) -> Result<(), WsError> {
        self.send_frame(OP_PING, &payload[..payload.len().min(125)])
    }

    /// Sends frames already built by a `WsEncoder` (the engine frames in its outboxes), in order after anything
    /// still pending.
    pub fn send_raw(&mut self, frames: &[u8]) -> Result<(), WsError> {
        if self.state != WsState::Open {
            return Err(WsError::NotOpen);
        }
        self.tls.consume(std::mem::take(&mut self.pending_consume));
        self.write(frames)
    }

    fn send_frame(&mut self, op: u8, payload: &[u8]) -> Result<(), WsError> {
        if self.state != WsState::Open {
            return Err(WsError::NotOpen);
        }
        self.tls.consume(std::mem::take(&mut self.pending_consume));
        self.out.clear();
        self.enc.frame(op, payload, &mut self.out);
        self.write_out()
    }

    /// Writes `self.out` (taken out for the call: moving a `Vec` neither copies nor allocates).
    fn write_out(&mut self) -> Result<(), WsError> {
        let out = std::mem::take(&mut self.out);
        let r = self.write(&out);
        self.out = out;
        self.out.clear();
        r
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), WsError> {
        if self.pending_bytes() > 0 {
            self.pending.extend_from_slice(bytes);
        } else {
            let n = push(&mut self.tls, bytes)?;
            if n < bytes.len() {
                self.pending.clear();
                self.pending_at = 0;
                self.pending.extend_from_slice(&bytes[n..]);
            }
        }
        self.drain()?;
        Ok(())
    }

    /// Moves pending frames into TLS and writes, until everything is out or the socket would block.
    fn drain(&mut self) -> Result<bool, WsError> {
        loop {
            if self.pending_bytes() > 0 {
                let n = push(&mut self.tls, &self.pending[self.pending_at..])?;
                self.pending_at += n;
            }
            let flushed = self.tls.flush()?;
            if self.pending_bytes() == 0 {
                self.pending.clear();
                self.pending_at = 0;
                if std::mem::take(&mut self.close_tls_when_drained) {
                    self.tls.close()?;
                    return Ok(self.tls.flush()?);
                }
                return Ok(flushed);
            }
            if !flushed {
                return Ok(false); // WouldBlock: the next writable event calls `flush`.
            }
        }
    }

    /// close_notify, after every pending frame.
    fn close_tls(&mut self) {
        if self.pending_bytes() > 0 {
            self.close_tls_when_drained = true;
        } else {
            let _ = self.tls.close();
        }
    }

    /// Starts the close handshake with code 1000.
    pub fn close(&mut self) -> Result<(), WsError> {
        self.close_with(close_code::NORMAL, "")
    }

    /// Starts the close handshake with `code` and a reason (cut to the 123 bytes a close frame has room for);
    /// the server's close frame then ends the connection. `InvalidCloseCode` for a code no endpoint may send.
    pub fn close_with(&mut self, code: u16, reason: &str) -> Result<(), WsError> {
        if !close_code_valid(code) {
            return Err(WsError::InvalidCloseCode(code));
        }
        if self.state == WsState::Open {
            let mut cut = reason.len().min(123);
            while !reason.is_char_boundary(cut) {
                cut -= 1;
            }
            let mut payload = [0u8; 125];
            payload[..2].copy_from_slice(&code.to_be_bytes());
            payload[2..2 + cut].copy_from_slice(&reason.as_bytes()[..cut]);
            self.out.clear();
            self.enc.frame(OP_CLOSE, &payload[..2 + cut], &mut self.out);
            self.write_out()?;
            self.state = WsState::Closing;
        }
        Ok(())
    }

    /// Fails the connection (RFC 6455 §7.1.7): sends a close frame with `code` if none was sent yet, then
    /// close_notify, and leaves the stream `Closed` without waiting for the server. Best effort: the socket may
    /// already be gone. The decoder's violations call this with 1002, 1007 or 1009.
    pub fn fail(&mut self, code: u16) {
        if self.state == WsState::Open {
            let code = if close_code_valid(code) {
                code
            } else {
                close_code::PROTOCOL_ERROR
            };
            self.out.clear();
            self.enc.frame(OP_CLOSE, &code.to_be_bytes(), &mut self.out);
            let _ = self.write_out();
        }
        if matches!(self.state, WsState::Open | WsState::Closing) {
            self.close_tls();
        }
        self.state = WsState::Closed;
    }

    /// Writes what is queued: TLS records first, then pending frames. Returns true when nothing is left.
    pub fn flush(&mut self) -> Result<bool, WsError> {
        self.drain()
    }
}
