//! WebSocket: the server-side frame codec (RFC 6455), the session tasks, and the documented ops
//! (auth, ping/pong, sub/unsub, req).

use crate::auth;
use crate::engine::INTERVALS;
use crate::limits::{Group, OpCounters, Verdict};
use crate::orders;
use crate::state::{Out, Sess, SessQ, Shared, State, lock, wall_ns};
use base64::Engine as _;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

const MAX_FRAME: usize = 1 << 20;

pub fn accept_key(key: &str) -> String {
    let mut h = Sha1::new();
    h.update(key.trim().as_bytes());
    h.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

fn put_header(buf: &mut Vec<u8>, opcode: u8, len: usize) {
    buf.push(0x80 | opcode);
    if len < 126 {
        buf.push(len as u8);
    } else if len <= 0xFFFF {
        buf.push(126);
        buf.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        buf.push(127);
        buf.extend_from_slice(&(len as u64).to_be_bytes());
    }
}

/// An unmasked server frame.
pub fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(payload.len() + 10);
    put_header(&mut v, opcode, payload.len());
    v.extend_from_slice(payload);
    v
}

pub struct Frame {
    pub fin: bool,
    pub opcode: u8,
    pub payload: Vec<u8>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum FrameErr {
    TooLarge,
    Unmasked,
}

/// Parses one client frame from the front of `buf`; Ok(None) when more bytes are needed.
pub fn parse_frame(buf: &[u8]) -> Result<Option<(Frame, usize)>, FrameErr> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let fin = buf[0] & 0x80 != 0;
    let opcode = buf[0] & 0x0F;
    let masked = buf[1] & 0x80 != 0;
    let mut len = (buf[1] & 0x7F) as usize;
    let mut pos = 2;
    if len == 126 {
        if buf.len() < 4 {
            return Ok(None);
        }
        len = u16::from_be_bytes([buf[2], buf[3]]) as usize;
        pos = 4;
    } else if len == 127 {
        if buf.len() < 10 {
            return Ok(None);
        }
        let mut b = [0u8; 8];
        b.copy_from_slice(&buf[2..10]);
        let l = u64::from_be_bytes(b);
        if l > MAX_FRAME as u64 {
            return Err(FrameErr::TooLarge);
        }
        len = l as usize;
        pos = 10;
    }
    if len > MAX_FRAME {
        return Err(FrameErr::TooLarge);
    }
    if !masked {
        return Err(FrameErr::Unmasked);
    }
    if buf.len() < pos + 4 + len {
        return Ok(None);
    }
    let mask = [buf[pos], buf[pos + 1], buf[pos + 2], buf[pos + 3]];
    pos += 4;
    let payload: Vec<u8> = buf[pos..pos + len]
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ mask[i % 4])
        .collect();
    Ok(Some((
        Frame {
            fin,
            opcode,
            payload,
        },
        pos + len,
    )))
}

/// Where the session was opened.
pub struct WsInfo {
    pub v2: bool,
    pub group: Option<u32>,
    pub header_auth: Option<&'static str>,
    pub ip: IpAddr,
}

enum After {
    Snapshot {
        m: String,
        sym: usize,
        delay_ms: u64,
        top: usize,
    },
}

fn encode(buf: &mut Vec<u8>, o: &Out, stamp: bool) {
    match o {
        Out::Text(s) => {
            put_header(buf, 0x1, s.len());
            buf.extend_from_slice(s.as_bytes());
        }
        Out::Market(s) => {
            if stamp && s.ends_with('}') {
                let extra = format!(",\"simNs\":{}}}", wall_ns());
                put_header(buf, 0x1, s.len() - 1 + extra.len());
                buf.extend_from_slice(&s.as_bytes()[..s.len() - 1]);
                buf.extend_from_slice(extra.as_bytes());
            } else {
                put_header(buf, 0x1, s.len());
                buf.extend_from_slice(s.as_bytes());
            }
        }
        Out::Control(op, p) => {
            put_header(buf, *op, p.len());
            buf.extend_from_slice(p);
        }
        Out::Raw(b) => buf.extend_from_slice(b),
        Out::Abort | Out::Close | Out::Blackhole => {}
    }
}

async fn writer<W: AsyncWrite + Unpin>(
    mut wr: W,
    q: Arc<SessQ>,
    stamp: bool,
    done: Arc<tokio::sync::Notify>,
) {
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    'outer: loop {
        let items: Vec<Out> = lock(&q.q).drain(..).collect();
        if items.is_empty() {
            q.notify.notified().await;
            continue;
        }
        buf.clear();
        let mut end: Option<bool> = None;
        for it in &items {
            match it {
                Out::Abort => {
                    end = Some(false);
                    break;
                }
                Out::Blackhole => {
                    if !buf.is_empty() {
                        let _ = wr.write_all(&buf).await;
                        let _ = wr.flush().await;
                        buf.clear();
                    }
                    // Silent from now on, the socket left open: whatever is queued later is dropped unwritten.
                    loop {
                        lock(&q.q).clear();
                        q.notify.notified().await;
                    }
                }
                Out::Close => {
                    put_header(&mut buf, 0x8, 2);
                    buf.extend_from_slice(&1000u16.to_be_bytes());
                    end = Some(true);
                    break;
                }
                o => encode(&mut buf, o, stamp),
            }
        }
        if !buf.is_empty() && (wr.write_all(&buf).await.is_err() || wr.flush().await.is_err()) {
            break 'outer;
        }
        match end {
            Some(true) => {
                let _ = wr.shutdown().await;
                break;
            }
            Some(false) => break,
            None => {}
        }
    }
    done.notify_one();
}

/// Runs one WebSocket session until either side closes it.
pub async fn run<S: AsyncRead + AsyncWrite + Send + 'static>(
    shared: Arc<Shared>,
    stream: S,
    leftover: Vec<u8>,
    info: WsInfo,
) {
    let q = SessQ::new();
    let (sid, stamp, ping_ms) = {
        let mut st = shared.lock();
        let sid = st.next_sid;
        st.next_sid += 1;
        let authed = info.header_auth.is_some();
        st.sessions.insert(
            sid,
            Sess {
                q: q.clone(),
                subs: Default::default(),
                authed,
                ready: false,
                ip: info.ip,
                counters: OpCounters::default(),
            },
        );
        let kind = if authed { "auth" } else { "unauth" };
        q.push(Out::Text(
            format!("{{\"m\":\"connected\",\"type\":\"{kind}\"}}").into(),
        ));
        (sid, st.stamp, st.ping_interval_ms.clamp(10, 86_400_000))
    };
    let (mut rd, wr) = tokio::io::split(stream);
    let done = Arc::new(tokio::sync::Notify::new());
    tokio::spawn(writer(wr, q.clone(), stamp, done.clone()));
    let mut rbuf = leftover;
    let mut tmp = vec![0u8; 16384];
    let mut frag: Option<(u8, Vec<u8>)> = None;
    let interval = Duration::from_millis(ping_ms);
    let mut last_msg = Instant::now();
    let mut quiet_until = Instant::now();
    let mut next_check = Instant::now() + interval;
    let mut ping_pending = false;
    let mut missed = 0u32;
    'session: loop {
        loop {
            match parse_frame(&rbuf) {
                Ok(Some((f, n))) => {
                    rbuf.drain(..n);
                    last_msg = Instant::now();
                    match f.opcode {
                        0x0..=0x2 => {
                            let (op, mut data) = match (f.opcode, frag.take()) {
                                (0x0, Some((op, mut d))) => {
                                    d.extend_from_slice(&f.payload);
                                    (op, d)
                                }
                                (0x0, None) => continue,
                                (op, _) => (op, f.payload),
                            };
                            if !f.fin {
                                if data.len() > MAX_FRAME {
                                    break 'session;
                                }
                                frag = Some((op, std::mem::take(&mut data)));
                                continue;
                            }
                            let text = String::from_utf8_lossy(&data).into_owned();
                            ping_pending = false;
                            missed = 0;
                            if is_client_ping(&text) {
                                quiet_until = Instant::now() + interval * 2;
                            }
                            let afters = handle_text(&shared, sid, &info, &text);
                            for a in afters {
                                spawn_after(shared.clone(), q.clone(), a);
                            }
                        }
                        0x8 => {
                            q.push(Out::Close);
                        }
                        0x9 => q.push(Out::Control(0xA, f.payload)),
                        _ => {}
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    q.push(Out::Close);
                    break;
                }
            }
        }
        tokio::select! {
            r = rd.read(&mut tmp) => match r {
                Ok(0) | Err(_) => break 'session,
                Ok(n) => rbuf.extend_from_slice(&tmp[..n]),
            },
            _ = tokio::time::sleep_until(next_check) => {
                let now = Instant::now();
                next_check = now + interval;
                if ping_pending {
                    missed += 1;
                    if missed >= 2 {
                        let mut st = shared.lock();
                        let t = st.now_ms();
                        st.faults.record(t, "pong_timeout", None, None, format!("session {sid} missed two pings"));
                        q.push(Out::Text(State::disconnected_msg()));
                        q.push(Out::Close);
                        continue;
                    }
                }
                if now >= quiet_until && now.duration_since(last_msg) >= interval {
                    let hp = 3u32.saturating_sub(missed);
                    q.push(Out::Text(format!("{{\"m\":\"ping\",\"hp\":{hp}}}").into()));
                    ping_pending = true;
                }
            },
            _ = done.notified() => break 'session,
        }
    }
    q.push(Out::Abort);
    shared.lock().sessions.remove(&sid);
}

fn is_client_ping(text: &str) -> bool {
    text.contains("\"ping\"")
        && serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|v| v.get("op").and_then(Value::as_str).map(|s| s == "ping"))
            .unwrap_or(false)
}

fn spawn_after(shared: Arc<Shared>, q: Arc<SessQ>, a: After) {
    tokio::spawn(async move {
        {
            let After::Snapshot {
                m,
                sym,
                delay_ms,
                top,
            } = a;
            {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                let mut st = shared.lock();
                let seq = st.eng.syms[sym].seqnum;
                let body = st.snapshot_reply(&m, sym, top, "WS");
                let now = st.now_ms();
                let symbol = st.eng.products[sym].symbol.clone();
                st.faults.record(
                    now,
                    "early_diffs",
                    Some(symbol),
                    Some(seq),
                    format!("{m} reply sent after {delay_ms} ms"),
                );
                q.push(Out::Text(body.into()));
            }
        }
    });
}

fn id_of(v: &Value) -> Value {
    v.get("id").cloned().unwrap_or(Value::String(String::new()))
}

fn push(q: &Arc<SessQ>, v: Value) {
    q.push(Out::Text(v.to_string().into()));
}

fn handle_text(shared: &Arc<Shared>, sid: u64, info: &WsInfo, text: &str) -> Vec<After> {
    let mut st = shared.lock();
    let Some(q) = st.sessions.get(&sid).map(|s| s.q.clone()) else {
        return Vec::new();
    };
    let v: Value = match serde_json::from_str(text) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            push(
                &q,
                json!({"m":"error","id":"","code":150001,"reason":"INVALID_JSON_FORMAT","info":"Require a valid json object"}),
            );
            return Vec::new();
        }
    };
    if st.strict_docs {
        let authed = st.sessions.get(&sid).is_some_and(|s| s.authed);
        if let Err(why) = crate::strict::check_ws_msg(&v, authed) {
            st.refused
                .push(crate::strict::refused_ws(text, why.clone()));
            push(
                &q,
                json!({"m":"error","id":id_of(&v),"code":100005,"reason":"INVALID_WS_REQUEST_DATA","info":why}),
            );
            return Vec::new();
        }
    }
    let op = v
        .get("op")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let action = v
        .get("action")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let now = st.now_ms();
    if let Some(g) = Group::of(&op, &action) {
        let limits = st.limits.clone();
        let verdict = match st.sessions.get_mut(&sid) {
            Some(s) => s.counters.hit(g, now, &limits),
            None => Verdict::Ok,
        };
        match verdict {
            Verdict::Ok => {}
            Verdict::Ignore => {
                st.faults.record(
                    now,
                    "limit_level1",
                    None,
                    None,
                    format!("session {sid}: {} op ignored ({op} {action})", g.name()),
                );
                return Vec::new();
            }
            Verdict::Ban => {
                let until = now.saturating_add(limits.ban_ms);
                st.bans.insert(info.ip, until);
                st.faults.record(
                    now,
                    "limit_level2",
                    None,
                    None,
                    format!(
                        "session {sid}: {} threshold level 2, IP {} banned until {until}",
                        g.name(),
                        info.ip
                    ),
                );
                push(
                    &q,
                    json!({"m":"disconnected","code":100005,"reason":"INVALID_WS_REQUEST_DATA","info":format!("Session is disconnected due to violation of the {} message threshold (level 2); IP banned for {} ms", g.name(), limits.ban_ms)}),
                );
                q.push(Out::Close);
                return Vec::new();
            }
        }
    }
    match op.as_str() {
        "auth" => {
            ws_auth(&mut st, sid, info, &v, &q);
            Vec::new()
        }
        "ping" => {
            push(&q, json!({"m":"pong","code":0,"ts":now,"hp":3}));
            Vec::new()
        }
        "pong" => Vec::new(),
        "sub" | "unsub" => {
            sub(&mut st, sid, &v, &q, op == "sub");
            Vec::new()
        }
        "req" => req(&mut st, sid, &v, &q, &action),
        _ => {
            push(
                &q,
                json!({"m":"error","id":id_of(&v),"code":100005,"reason":"INVALID_WS_REQUEST_DATA","info":format!("Invalid op: {op}")}),
            );
            Vec::new()
        }
    }
}

fn ws_auth(st: &mut State, sid: u64, info: &WsInfo, v: &Value, q: &Arc<SessQ>) {
    let id = id_of(v);
    let t = match v.get("t") {
        Some(Value::Number(n)) => {
            st.record_variant("ws auth: t as number");
            Some(n.to_string())
        }
        Some(Value::String(s)) => {
            st.record_variant("ws auth: t as string");
            Some(s.clone())
        }
        _ => None,
    };
    let path = if info.v2 { "v2/stream" } else { "stream" };
    let now = st.now_ms();
    let r = auth::verify(
        &st.acct.key,
        &st.acct.secret,
        v.get("key").and_then(Value::as_str),
        t.as_deref(),
        v.get("sig").and_then(Value::as_str),
        path,
        now,
    );
    match r {
        Ok(variant) => {
            st.auth_variants.push(format!("ws:{path}:{variant}"));
            if info.group.is_none() {
                st.record_variant("ws auth on a URL without the account group");
            }
            let ready = v
                .get("ack")
                .and_then(Value::as_str)
                .is_some_and(|a| a.eq_ignore_ascii_case("ready"));
            if let Some(s) = st.sessions.get_mut(&sid) {
                s.authed = true;
                s.ready = ready;
            }
            if ready {
                push(q, json!({"m":"auth","id":id,"code":0,"ack":"ready"}));
            } else {
                push(q, json!({"m":"auth","id":id,"code":0}));
            }
        }
        Err(e) => push(
            q,
            json!({"m":"auth","id":id,"code":e.code,"err":e.message,"reason":e.reason}),
        ),
    }
}

fn sub(st: &mut State, sid: u64, v: &Value, q: &Arc<SessQ>, on: bool) {
    let id = id_of(v);
    let ch = v
        .get("ch")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let m = if on { "sub" } else { "unsub" };
    let fail = |code: i64, reason: &str, info: String| json!({"m":m,"id":id,"ch":ch,"code":code,"reason":reason,"info":info});
    let (name, rest) = match ch.split_once(':') {
        Some((n, r)) => (n.to_string(), r.to_string()),
        None => (ch.clone(), String::new()),
    };
    let authed = st.sessions.get(&sid).is_some_and(|s| s.authed);
    let mut keys: Vec<String> = Vec::new();
    let known = |st: &State, s: &str| st.eng.sym_index(s).is_some();
    match name.as_str() {
        "depth" | "depth-realtime" | "bbo" | "trades" | "ref-px" | "summary" => {
            if !on && (rest.is_empty() || rest == "*") {
                let prefix = format!("{name}:");
                if let Some(s) = st.sessions.get_mut(&sid) {
                    s.subs.retain(|k| !k.starts_with(&prefix));
                }
                push(q, json!({"m":m,"id":id,"ch":ch,"code":0}));
                return;
            }
            let syms: Vec<&str> = rest
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            if syms.is_empty() || syms.len() > 10 {
                push(
                    q,
                    fail(
                        100005,
                        "INVALID_WS_REQUEST_DATA",
                        format!("Channel {ch} needs 1 to 10 comma-separated symbols"),
                    ),
                );
                return;
            }
            if name == "depth-realtime" && !authed {
                st.record_variant("depth-realtime subscribed on an unauthenticated session");
            }
            for s in syms {
                if name != "ref-px" && !known(st, s) {
                    push(
                        q,
                        fail(
                            100008,
                            "SYMBOL_ERROR",
                            format!("Unable to handle symbol {s}"),
                        ),
                    );
                    return;
                }
                keys.push(format!("{name}:{s}"));
            }
        }
        "bar" => {
            let (iv, syms) = match rest.split_once(':') {
                Some((i, s)) => (i.to_string(), s.to_string()),
                None => (rest.clone(), String::new()),
            };
            if !on && (iv.is_empty() || iv == "*" || syms.is_empty() || syms == "*") {
                let subs_iv = if iv.is_empty() {
                    "*".to_string()
                } else {
                    iv.clone()
                };
                let subs_sym = if syms.is_empty() {
                    "*".to_string()
                } else {
                    syms.clone()
                };
                if let Some(s) = st.sessions.get_mut(&sid) {
                    s.subs.retain(|k| {
                        let mut parts = k.splitn(3, ':');
                        let (a, b, c) = (
                            parts.next().unwrap_or(""),
                            parts.next().unwrap_or(""),
                            parts.next().unwrap_or(""),
                        );
                        !(a == "bar"
                            && (subs_iv == "*" || subs_iv == b)
                            && (subs_sym == "*" || subs_sym.split(',').any(|x| x == c)))
                    });
                }
                push(q, json!({"m":m,"id":id,"ch":ch,"code":0}));
                return;
            }
            if !INTERVALS.contains(&iv.as_str()) {
                push(
                    q,
                    fail(
                        100005,
                        "INVALID_WS_REQUEST_DATA",
                        format!("Invalid bar interval {iv}"),
                    ),
                );
                return;
            }
            let list: Vec<&str> = syms
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            if list.is_empty() || list.len() > 10 {
                push(
                    q,
                    fail(
                        100005,
                        "INVALID_WS_REQUEST_DATA",
                        format!("Channel {ch} needs 1 to 10 comma-separated symbols"),
                    ),
                );
                return;
            }
            for s in list {
                if !known(st, s) {
                    push(
                        q,
                        fail(
                            100008,
                            "SYMBOL_ERROR",
                            format!("Unable to handle symbol {s}"),
                        ),
                    );
                    return;
                }
                keys.push(format!("bar:{iv}:{s}"));
            }
        }
        "order" => {
            if on && !authed {
                push(
                    q,
                    fail(
                        100009,
                        "AUTHORIZATION_NEEDED",
                        "Authorization is required for the order channel".to_string(),
                    ),
                );
                return;
            }
            let acct = rest.split(':').next().unwrap_or("");
            if acct == "cash" {
                st.record_variant("order channel: order:cash");
            } else if acct == "CASH" {
                st.record_variant("order channel: order:CASH");
            } else if acct == st.acct.cash_id {
                st.record_variant("order channel: order:<accountId>");
            } else if !acct.eq_ignore_ascii_case("cash") && (!acct.is_empty() || on) {
                push(
                    q,
                    fail(
                        100005,
                        "INVALID_WS_REQUEST_DATA",
                        format!(
                            "Unknown account {acct}: expected cash or {}",
                            st.acct.cash_id
                        ),
                    ),
                );
                return;
            }
            keys.push("order".to_string());
        }
        _ => {
            push(
                q,
                fail(
                    100005,
                    "INVALID_WS_REQUEST_DATA",
                    format!("Unknown channel {ch}"),
                ),
            );
            return;
        }
    }
    if let Some(s) = st.sessions.get_mut(&sid) {
        for k in keys {
            if on {
                s.subs.insert(k);
            } else {
                s.subs.remove(&k);
            }
        }
    }
    push(q, json!({"m":m,"id":id,"ch":ch,"code":0}));
}

fn req(st: &mut State, sid: u64, v: &Value, q: &Arc<SessQ>, action_raw: &str) -> Vec<After> {
    let id = id_of(v);
    let action = action_raw.to_ascii_lowercase();
    if action != action_raw {
        st.record_variant(format!("ws req action in mixed case: {action_raw}"));
    }
    let args = v.get("args").cloned().unwrap_or(json!({}));
    let authed = st.sessions.get(&sid).is_some_and(|s| s.authed);
    let err = |code: i64, reason: &str, info: String| json!({"m":"error","id":id,"code":code,"reason":reason,"info":info});
    let symbol = args
        .get("symbol")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    match action.as_str() {
        "depth-snapshot" | "depth-snapshot-top100" | "depth-snapshot-realtime" => {
            let Some(sym) = st.eng.sym_index(&symbol) else {
                push(
                    q,
                    json!({"m":action,"id":id,"code":100008,"reason":"SYMBOL_ERROR","info":format!("Unable to handle symbol {symbol}")}),
                );
                return Vec::new();
            };
            let top = if action == "depth-snapshot-top100" {
                100
            } else {
                500
            };
            let m = if action == "depth-snapshot-realtime" {
                "depth-snapshot-realtime"
            } else {
                "depth-snapshot"
            }
            .to_string();
            let delay = st.faults.early_diffs_ms;
            if delay > 0 {
                return vec![After::Snapshot {
                    m,
                    sym,
                    delay_ms: delay,
                    top,
                }];
            }
            let body = st.snapshot_reply(&m, sym, top, "WS");
            q.push(Out::Text(body.into()));
        }
        "market-trades" => {
            let Some(sym) = st.eng.sym_index(&symbol) else {
                push(
                    q,
                    err(
                        100008,
                        "SYMBOL_ERROR",
                        format!("Unable to handle symbol {symbol}"),
                    ),
                );
                return Vec::new();
            };
            let n = orders::field_str(&args, "level")
                .and_then(|s| s.parse::<usize>().ok())
                .unwrap_or(20)
                .clamp(1, 100);
            let p = st.eng.products[sym].clone();
            let data: Vec<Value> = st.eng.syms[sym].trades.iter().rev().take(n).rev().map(|t| json!({"p":p.fmt_px(t.px),"q":p.fmt_qty(t.qty),"ts":t.ts,"bm":t.bm,"seqnum":t.seqnum})).collect();
            push(
                q,
                json!({"m":"market-trades","id":id,"symbol":symbol,"data":data}),
            );
        }
        "place-order" | "cancel-order" | "cancel-all" | "open-order" | "balance" if !authed => {
            push(
                q,
                err(
                    100009,
                    "AUTHORIZATION_NEEDED",
                    format!("{action} needs an authenticated session"),
                ),
            );
        }
        "place-order" => {
            let acct = (st.acct.cash_id.clone(), "CASH");
            match orders::place(st, &args, true) {
                Ok(pl) => {
                    let o = &st.eng.orders[pl.idx];
                    let info = json!({"symbol":st.eng.products[o.sym].symbol,"orderType":o.otype.name(),"timestamp":o.create_ms,"id":o.client_id,"orderId":pl.order_id});
                    push(
                        q,
                        json!({"m":"order","id":id,"accountId":acct.0,"ac":acct.1,"action":"place-order","status":"Ack","info":info}),
                    );
                    st.publish(pl.evs);
                }
                Err(e) => {
                    let cid = orders::field_str(&args, "id").unwrap_or_default();
                    push(
                        q,
                        json!({"m":"order","id":id,"accountId":acct.0,"ac":acct.1,"action":"place-order","status":"Err",
                        "info":{"id":cid,"symbol":symbol,"code":e.code,"message":e.message,"reason":e.reason}}),
                    );
                }
            }
        }
        "cancel-order" => cancel(st, &args, q, &id, true),
        "cancel-all" => {
            let sym = if symbol.is_empty() {
                None
            } else {
                st.eng.sym_index(&symbol)
            };
            let now = st.now_ms();
            let evs = st.eng.cancel_all(sym, now);
            let cid = orders::field_str(&args, "id").unwrap_or_default();
            push(
                q,
                json!({"m":"order","id":id,"accountId":st.acct.cash_id,"ac":"CASH","action":"cancel-all","status":"Ack",
                "info":{"symbol":symbol,"orderType":"NULL_VAL","timestamp":now,"id":cid,"orderId":""}}),
            );
            st.publish(evs);
        }
        "open-order" => {
            let filter = orders::field_str(&args, "symbols").unwrap_or_default();
            let wanted: Vec<&str> = filter
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty() && *s != "*")
                .collect();
            let data: Vec<Value> = st
                .eng
                .orders
                .iter()
                .filter(|o| {
                    o.status.is_open()
                        && (wanted.is_empty()
                            || wanted.contains(&st.eng.products[o.sym].symbol.as_str()))
                })
                .map(|o| orders::short_json(st, o))
                .collect();
            push(
                q,
                json!({"m":"open-order","id":id,"accountId":st.acct.cash_id,"ac":"CASH","data":data}),
            );
        }
        "balance" => {
            let data: Vec<Value> = st
                .eng
                .balances
                .iter()
                .map(|(a, b)| json!({"a":a,"sn":st.eng.sn,"tb":crate::dec::fmt(b.total, 9),"ab":crate::dec::fmt(b.total - b.locked, 9)}))
                .collect();
            push(
                q,
                json!({"m":"balance","id":id,"accountId":st.acct.cash_id,"ac":"CASH","data":data}),
            );
        }
        _ => push(
            q,
            err(
                100005,
                "INVALID_WS_REQUEST_DATA",
                format!("Invalid request action: {action_raw}"),
            ),
        ),
    }
    Vec::new()
}

/// Cancels one order (WS `cancel-order`), replying Ack or Err; a refused cancel also produces the
/// OrderCancelReject order message for ready-ack sessions.
fn cancel(st: &mut State, args: &Value, q: &Arc<SessQ>, id: &Value, ws: bool) {
    let cid = orders::field_str(args, "id").unwrap_or_default();
    let order_id = match orders::field_str(args, "orderId") {
        Some(o) => o,
        None => {
            let o = orders::field_str(args, "origCoid").unwrap_or_default();
            if !o.is_empty() {
                st.record_variant("cancel: old origCoid field instead of orderId (demo)");
            }
            o
        }
    };
    let symbol = orders::field_str(args, "symbol").unwrap_or_default();
    let acct = st.acct.cash_id.clone();
    let base = |status: &str| json!({"m":"order","id":id,"accountId":acct,"ac":"CASH","action":"cancel-order","status":status});
    if !cid.is_empty() && !orders::valid_client_id(&cid) {
        let mut r = base("Err");
        r["info"] = json!({"code":300006,"id":cid,"message":format!("Invalid Client Order Id: {cid}"),"symbol":symbol,"reason":"INVALID_ORDER_ID"});
        push(q, r);
        return;
    }
    let now = st.now_ms();
    let time = orders::field_str(args, "time")
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(now);
    let cancel_id = orders::make_order_id(st, ws, time, &cid);
    match st.eng.cancel(&order_id, &cancel_id, now) {
        Ok(evs) => {
            let mut r = base("Ack");
            r["info"] = json!({"symbol":symbol,"orderType":"NULL_VAL","timestamp":now,"id":cid,"orderId":order_id});
            push(q, r);
            st.publish(evs);
        }
        Err((e, text, evs)) => {
            let mut r = base("Err");
            r["info"] = json!({"code":e.code,"id":cid,"orderId":order_id,"message":e.message,"symbol":symbol,"reason":e.reason,"errorCode":text});
            push(q, r);
            st.publish(evs);
        }
    }
}

/// Verifies `x-auth-*` headers on the upgrade request (prehash `stream` for v1, `v2/stream` for v2).
pub fn header_auth(
    st: &mut State,
    v2: bool,
    key: Option<&str>,
    ts: Option<&str>,
    sig: Option<&str>,
) -> Result<Option<&'static str>, auth::AuthErr> {
    if key.is_none() && ts.is_none() && sig.is_none() {
        return Ok(None);
    }
    let path = if v2 { "v2/stream" } else { "stream" };
    let now = st.now_ms();
    let variant = auth::verify(&st.acct.key, &st.acct.secret, key, ts, sig, path, now)?;
    st.auth_variants.push(format!("ws-header:{path}:{variant}"));
    Ok(Some(variant))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_matches_rfc_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn frames_round_trip_and_bad_frames_are_refused() {
        let mut f = vec![0x81, 0x80 | 5, 1, 2, 3, 4];
        f.extend(
            "hello"
                .bytes()
                .enumerate()
                .map(|(i, b)| b ^ [1, 2, 3, 4][i % 4]),
        );
        let (fr, n) = parse_frame(&f).unwrap().unwrap();
        assert_eq!(n, f.len());
        assert_eq!(fr.payload, b"hello");
        assert!(fr.fin);
        assert!(parse_frame(&f[..5]).unwrap().is_none());
        assert_eq!(
            parse_frame(&[0x81, 5, b'h']).err(),
            Some(FrameErr::Unmasked)
        );
        let big = [0x81, 0xFF, 0, 0, 0, 0, 0xFF, 0, 0, 0];
        assert_eq!(parse_frame(&big).err(), Some(FrameErr::TooLarge));
        assert_eq!(frame(1, &[0u8; 200])[1], 126);
    }
}
