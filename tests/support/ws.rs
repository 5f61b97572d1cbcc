//! The WebSocket echo app: echoes text/binary, answers pings (tungstenite does), records pongs, upgrade headers and
//! the client's Close, and obeys `cmd:` text messages:
//!
//! | command | effect |
//! |---|---|
//! | `cmd:push N SIZE` | N text messages of SIZE bytes, `push_message(0..N, SIZE)`, as fast as possible |
//! | `cmd:big SIZE` | one text message `push_message(0, SIZE)` |
//! | `cmd:ping PAYLOAD` | a protocol Ping with that payload (rest of the line, may be empty) |
//! | `cmd:close` | Close 1000, then completes the close handshake |
//! | `cmd:drop-mid-frame` | writes the first half of a 1000-byte text frame, then shuts TCP down (no close_notify) |
//! | `cmd:fragment N TEXT` | TEXT as one message in N frames (first + continuations), split on byte boundaries |
//! | `cmd:raw HEX` | writes the hex-decoded bytes as they are (hand-made frames a conforming server never sends) |
//!
//! An unknown command is answered with the text `cmd-error: <the command>`.

use std::io::Write;
use std::net::Shutdown;

use tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tungstenite::protocol::frame::{CloseFrame, Frame};
use tungstenite::{Bytes, Message, WebSocket};

use super::server::{ConnCtx, lock};
use super::tls::TlsStream;

type Ws = WebSocket<TlsStream>;

/// The `n`-th message of a `cmd:push` (and `cmd:big` with n = 0): `{"n":<n>,"pad":"xxx…"}`, padded with `x` to
/// exactly `size` bytes (never shorter than the unpadded form `{"n":<n>,"pad":""}`).
pub fn push_message(n: u64, size: usize) -> String {
    let head = format!("{{\"n\":{n},\"pad\":\"");
    let pad = size.saturating_sub(head.len() + 2);
    let mut s = String::with_capacity(head.len() + pad + 2);
    s.push_str(&head);
    s.extend(std::iter::repeat_n('x', pad));
    s.push_str("\"}");
    s
}

/// Reads the counter back out of a `push_message`.
pub fn push_counter(msg: &str) -> Option<u64> {
    let rest = msg.strip_prefix("{\"n\":")?;
    let end = rest.find(',')?;
    rest[..end].parse().ok()
}

// The callback's error type is tungstenite's own.
#[allow(clippy::result_large_err)]
pub(crate) fn serve(ctx: &ConnCtx, tls: TlsStream) {
    let config = WebSocketConfig::default()
        .max_message_size(Some(256 << 20))
        .max_frame_size(Some(256 << 20));
    let state = ctx.state.clone();
    let record = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let headers = req
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        *lock(&state.upgrade_headers) = headers;
        *lock(&state.upgrade_path) = req.uri().to_string();
        Ok(resp)
    };
    let mut ws = match tungstenite::accept_hdr_with_config(tls, record, Some(config)) {
        Ok(ws) => ws,
        Err(e) => {
            lock(&ctx.state.handshake_errors).push(format!("websocket upgrade: {e}"));
            return;
        }
    };
    if let Some(d) = ctx.behaviour.stall_reads
        && !ctx.sleep(d)
    {
        return;
    }
    let frag = ctx.behaviour.ws_fragment.filter(|&n| n > 0);
    loop {
        let msg = match ws.read() {
            Ok(m) => m,
            Err(_) => break,
        };
        let ok = match msg {
            Message::Text(t) => {
                ctx.state.count_request(ctx.index);
                if let Some(cmd) = t.as_str().strip_prefix("cmd:") {
                    match command(&mut ws, cmd, frag) {
                        Ok(Flow::Continue) => true,
                        Ok(Flow::Dropped) => return,
                        Err(_) => false,
                    }
                } else {
                    send_data(&mut ws, true, t.as_bytes(), frag).is_ok()
                }
            }
            Message::Binary(b) => {
                ctx.state.count_request(ctx.index);
                send_data(&mut ws, false, &b, frag).is_ok()
            }
            // tungstenite queued the Pong; push it out now rather than on the next write.
            Message::Ping(_) => ws.flush().is_ok(),
            Message::Pong(p) => {
                lock(&ctx.state.pongs).push(p.to_vec());
                true
            }
            Message::Close(frame) => {
                *lock(&ctx.state.client_close) = Some(frame.map(|f| u16::from(f.code)));
                // tungstenite queued the Close reply; keep reading until it reports the connection closed.
                ws.flush().is_ok()
            }
            Message::Frame(_) => true,
        };
        if !ok {
            break;
        }
    }
    // The server closes TCP after the close handshake (RFC 6455 §7.1.1).
    ws.get_mut().close();
}

enum Flow {
    Continue,
    Dropped,
}

fn command(ws: &mut Ws, cmd: &str, frag: Option<usize>) -> tungstenite::Result<Flow> {
    let mut words = cmd.splitn(3, ' ');
    let verb = words.next().unwrap_or("");
    let a = words.next();
    let b = words.next();
    let num = |s: Option<&str>| s.and_then(|s| s.trim().parse::<usize>().ok());
    match (verb, num(a), num(b)) {
        ("push", Some(n), Some(size)) => {
            for i in 0..n {
                let msg = push_message(i as u64, size);
                write_data(ws, true, msg.as_bytes(), frag)?;
            }
            ws.flush()?;
        }
        ("big", Some(size), _) => {
            let msg = push_message(0, size);
            send_data(ws, true, msg.as_bytes(), frag)?;
        }
        ("ping", _, _) => {
            let payload = cmd.strip_prefix("ping").unwrap_or("");
            let payload = payload.strip_prefix(' ').unwrap_or(payload);
            ws.send(Message::Ping(Bytes::copy_from_slice(payload.as_bytes())))?;
        }
        ("close", _, _) => {
            ws.close(Some(CloseFrame {
                code: CloseCode::Normal,
                reason: "".into(),
            }))?;
            ws.flush()?;
        }
        ("drop-mid-frame", _, _) => {
            let mut raw = Vec::new();
            let payload = push_message(0, 1000);
            Frame::message(payload.into_bytes(), OpCode::Data(Data::Text), true)
                .format(&mut raw)?;
            let tls = ws.get_mut();
            tls.write_all(&raw[..raw.len() / 2])?;
            tls.flush()?;
            let _ = tls.sock.shutdown(Shutdown::Both);
            return Ok(Flow::Dropped);
        }
        ("raw", _, _) => {
            let hex = a.unwrap_or("").trim().as_bytes();
            let raw: Vec<u8> = hex
                .chunks(2)
                .filter_map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
                .collect();
            let tls = ws.get_mut();
            tls.write_all(&raw)?;
            tls.flush()?;
        }
        ("fragment", Some(n), _) if n > 0 => {
            let text = b.unwrap_or("").as_bytes();
            let per = text.len().div_ceil(n);
            for i in 0..n {
                let start = (i * per).min(text.len());
                let end = ((i + 1) * per).min(text.len());
                let opcode = if i == 0 {
                    OpCode::Data(Data::Text)
                } else {
                    OpCode::Data(Data::Continue)
                };
                let frame = Frame::message(
                    Bytes::copy_from_slice(&text[start..end]),
                    opcode,
                    i + 1 == n,
                );
                ws.write(Message::Frame(frame))?;
            }
            ws.flush()?;
        }
        _ => {
            ws.send(Message::text(format!("cmd-error: {cmd}")))?;
        }
    }
    Ok(Flow::Continue)
}

fn send_data(
    ws: &mut Ws,
    text: bool,
    payload: &[u8],
    frag: Option<usize>,
) -> tungstenite::Result<()> {
    write_data(ws, text, payload, frag)?;
    ws.flush()
}

/// Queues one data message, split into continuation frames of `frag` bytes when asked to.
fn write_data(
    ws: &mut Ws,
    text: bool,
    payload: &[u8],
    frag: Option<usize>,
) -> tungstenite::Result<()> {
    let first = if text { Data::Text } else { Data::Binary };
    match frag {
        Some(n) if payload.len() > n => {
            let count = payload.len().div_ceil(n);
            for (i, chunk) in payload.chunks(n).enumerate() {
                let opcode = if i == 0 {
                    OpCode::Data(first)
                } else {
                    OpCode::Data(Data::Continue)
                };
                let frame = Frame::message(Bytes::copy_from_slice(chunk), opcode, i + 1 == count);
                ws.write(Message::Frame(frame))?;
            }
            Ok(())
        }
        _ => {
            let msg = if text {
                // Echoed text came in as valid UTF-8 and push messages are ASCII.
                match std::str::from_utf8(payload) {
                    Ok(s) => Message::text(s.to_string()),
                    Err(_) => Message::binary(payload.to_vec()),
                }
            } else {
                Message::binary(payload.to_vec())
            };
            ws.write(msg)
        }
    }
}
