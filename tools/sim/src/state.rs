//! The simulator's shared state (engine, account, sessions, faults) and the fan-out of events to sessions.

use crate::dec;
use crate::engine::{Audience, Engine, Ev, INTERVALS};
use crate::faults::{FaultState, Kind};
use crate::limits::{Limits, OpCounters};
use crate::market::{ASSET_SCALE, Asset};
use crate::rng::Rng;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// What a session's writer sends next.
#[derive(Clone, Debug)]
pub enum Out {
    /// A text frame.
    Text(Arc<str>),
    /// A market-data push: when stamping is on, `"simNs"` is inserted just before the write.
    Market(Arc<str>),
    /// A control frame (pong, close) with its payload.
    Control(u8, Vec<u8>),
    /// Bytes written to the TLS stream as they are (a truncated frame).
    Raw(Vec<u8>),
    /// Cut the connection without a close frame or TLS close_notify.
    Abort,
    /// Send a close frame and shut the connection down.
    Close,
    /// Stop writing (and drop everything queued from now on) without closing: a peer gone silent.
    Blackhole,
}

/// A session's outbound queue, drained by its writer task.
pub struct SessQ {
    pub q: Mutex<VecDeque<Out>>,
    pub notify: Notify,
}

/// A subscriber this far behind is cut off (its queue is dropped) instead of growing without bound.
pub const MAX_QUEUE: usize = 1_000_000;

impl SessQ {
    pub fn new() -> Arc<SessQ> {
        Arc::new(SessQ {
            q: Mutex::new(VecDeque::new()),
            notify: Notify::new(),
        })
    }
    pub fn push(&self, o: Out) {
        {
            let mut q = lock(&self.q);
            if q.len() >= MAX_QUEUE {
                if !matches!(q.back(), Some(Out::Abort)) {
                    q.clear();
                    q.push_back(Out::Abort);
                }
            } else {
                q.push_back(o);
            }
        }
        self.notify.notify_one();
    }
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it (the state stays usable for tests).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct Sess {
    pub q: Arc<SessQ>,
    pub subs: HashSet<String>,
    pub authed: bool,
    pub ready: bool,
    pub ip: IpAddr,
    pub counters: OpCounters,
}

pub struct Account {
    pub key: String,
    pub secret: String,
    pub group: u32,
    pub uid: String,
    pub cash_id: String,
    pub margin_id: String,
}

pub struct State {
    pub eng: Engine,
    pub acct: Account,
    pub assets: Vec<Asset>,
    pub faults: FaultState,
    pub sessions: HashMap<u64, Sess>,
    pub next_sid: u64,
    pub flow_rng: Rng,
    pub id_rng: Rng,
    pub paused: bool,
    pub rate: u32,
    pub produced: u64,
    pub stamp: bool,
    pub limits: Limits,
    pub ping_interval_ms: u64,
    pub bans: HashMap<IpAddr, u64>,
    pub auth_variants: Vec<String>,
    pub doc_variants: BTreeSet<String>,
    /// A depth diff held back by a `reorder` fault, per symbol.
    pub held: Vec<Option<Ev>>,
    pub keys: Vec<SymKeys>,
    /// Serve only what the docs document (see `strict`).
    pub strict_docs: bool,
    /// What strict mode refused, oldest first.
    pub refused: Vec<crate::strict::RefusedRequest>,
    /// Scripted answers and the REST request log (tests).
    pub script: crate::script::Script,
}

/// Channel names per symbol, built once.
pub struct SymKeys {
    pub depth: String,
    pub realtime: String,
    pub bbo: String,
    pub trades: String,
    pub bars: Vec<String>,
}

impl SymKeys {
    pub fn new(symbol: &str) -> SymKeys {
        SymKeys {
            depth: format!("depth:{symbol}"),
            realtime: format!("depth-realtime:{symbol}"),
            bbo: format!("bbo:{symbol}"),
            trades: format!("trades:{symbol}"),
            bars: INTERVALS
                .iter()
                .map(|i| format!("bar:{i}:{symbol}"))
                .collect(),
        }
    }
}

pub fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub fn wall_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Extra fields a client must ignore (the `unknown_fields` fault).
const UNKNOWN: &str = "\"xSimUnknown\":{\"a\":[1,2.5,null],\"b\":\"?\"},";

fn levels_json(out: &mut String, lv: &[(i64, i64)], p: &crate::market::Product) {
    out.push('[');
    for (k, (px, q)) in lv.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        let _ = write!(out, "[\"{}\",\"{}\"]", p.fmt_px(*px), p.fmt_qty(*q));
    }
    out.push(']');
}

/// Makes a snapshot's levels crossed: a phantom bid one tick above the best ask (strictly crossed, so a client that
/// tolerates a locked book still has to refuse it), sized like that ask so it is a valid level in every other
/// respect. With no asks, a phantom ask goes one tick below the best bid; with an empty book, both. Returns what
/// was added, for the fault log.
fn cross(
    p: &crate::market::Product,
    bids: &mut Vec<(i64, i64)>,
    asks: &mut Vec<(i64, i64)>,
    top: usize,
) -> String {
    let (side, level) = match (bids.first().copied(), asks.first().copied()) {
        (_, Some((ask, q))) => {
            let l = (ask + p.tick, q);
            bids.insert(0, l);
            bids.truncate(top.max(1));
            ("bid", l)
        }
        (Some((bid, q)), None) => {
            let l = ((bid - p.tick).max(p.tick), q);
            asks.insert(0, l);
            asks.truncate(top.max(1));
            ("ask", l)
        }
        (None, None) => {
            bids.push((2 * p.tick, p.lot));
            asks.push((p.tick, p.lot));
            return format!(
                "empty book: bid {} over ask {}",
                p.fmt_px(2 * p.tick),
                p.fmt_px(p.tick)
            );
        }
    };
    format!(
        "phantom {side} {} x {} (best bid {}, best ask {})",
        p.fmt_px(level.0),
        p.fmt_qty(level.1),
        bids.first().map_or("none".into(), |l| p.fmt_px(l.0)),
        asks.first().map_or("none".into(), |l| p.fmt_px(l.0)),
    )
}

impl State {
    pub fn now_ms(&self) -> u64 {
        (wall_ms() as i64)
            .saturating_add(self.faults.skew_ms)
            .max(0) as u64
    }

    pub fn record_variant(&mut self, v: impl Into<String>) {
        self.doc_variants.insert(v.into());
    }

    /// Depth-like message (`depth`, `depth-realtime`, `depth-snapshot`, `depth-snapshot-realtime`).
    #[allow(clippy::too_many_arguments)]
    pub fn depth_json(
        &self,
        m: &str,
        sym: usize,
        seqnum: u64,
        ts: u64,
        asks: &[(i64, i64)],
        bids: &[(i64, i64)],
        unknown: bool,
    ) -> String {
        let p = &self.eng.products[sym];
        let mut s = String::with_capacity(96 + 24 * (asks.len() + bids.len()));
        s.push('{');
        if unknown {
            s.push_str(UNKNOWN);
        }
        let _ = write!(s, "\"m\":\"{m}\",\"symbol\":\"{}\",\"data\":{{", p.symbol);
        if unknown {
            s.push_str(UNKNOWN);
        }
        let _ = write!(s, "\"ts\":{ts},\"seqnum\":{seqnum},\"asks\":");
        levels_json(&mut s, asks, p);
        s.push_str(",\"bids\":");
        levels_json(&mut s, bids, p);
        s.push_str("}}");
        s
    }

    /// A depth snapshot reply (`m` = `depth-snapshot*`) of the current book, at most `top` levels per side; `via`
    /// names the path (`WS` / `REST`) for the fault log. Every served snapshot counts for `crossed_snapshot`, which
    /// crosses this reply only: the real book and its seqnum are untouched.
    pub fn snapshot_reply(&mut self, m: &str, sym: usize, top: usize, via: &str) -> String {
        let (mut bids, mut asks) = self.eng.levels(sym, top);
        let s = &self.eng.syms[sym];
        let (seq, ts) = (s.seqnum, s.last_depth_ts);
        let symbol = self.eng.products[sym].symbol.clone();
        if self.faults.on_snapshot(sym, &symbol) {
            let detail = cross(&self.eng.products[sym], &mut bids, &mut asks, top);
            let now = self.now_ms();
            self.faults.record(
                now,
                "crossed_snapshot",
                Some(symbol),
                Some(seq),
                format!("{via} {m} reply crossed: {detail}"),
            );
        }
        self.depth_json(m, sym, seq, ts, &asks, &bids, false)
    }

    fn subscribers(&self, key: &str) -> Vec<Arc<SessQ>> {
        self.sessions
            .values()
            .filter(|s| s.subs.contains(key))
            .map(|s| s.q.clone())
            .collect()
    }

    fn has_subscriber(&self, key: &str) -> bool {
        self.sessions.values().any(|s| s.subs.contains(key))
    }

    fn push_key(&self, key: &str, out: &Out) {
        for s in self.sessions.values() {
            if s.subs.contains(key) {
                s.q.push(out.clone());
            }
        }
    }

    /// Sends every event to the sessions subscribed to it, applying the stream faults that fire.
    pub fn publish(&mut self, evs: Vec<Ev>) {
        for ev in evs {
            match ev {
                Ev::Depth { sym, seqnum, .. } => {
                    let symbol = self.eng.products[sym].symbol.clone();
                    let fired = self.faults.on_depth(sym, &symbol);
                    self.publish_depth(ev, fired, sym, seqnum, &symbol);
                }
                Ev::Trade { sym, t } => {
                    let p = &self.eng.products[sym];
                    if self.has_subscriber(&self.keys[sym].trades) {
                        let u = if self.faults.unknown_fields {
                            UNKNOWN
                        } else {
                            ""
                        };
                        let body = format!(
                            "{{{u}\"m\":\"trades\",\"symbol\":\"{}\",\"data\":[{{\"p\":\"{}\",\"q\":\"{}\",\"ts\":{},\"bm\":{},\"seqnum\":{}}}]}}",
                            p.symbol,
                            p.fmt_px(t.px),
                            p.fmt_qty(t.qty),
                            t.ts,
                            t.bm,
                            t.seqnum
                        );
                        self.push_key(&self.keys[sym].trades, &Out::Market(body.into()));
                    }
                    for i in 0..INTERVALS.len() {
                        if self.has_subscriber(&self.keys[sym].bars[i]) {
                            let body = self.bar_json(sym, i, true);
                            self.push_key(&self.keys[sym].bars[i], &Out::Market(body.into()));
                        }
                    }
                }
                Ev::Bbo { sym, ts, bid, ask } => {
                    if self.has_subscriber(&self.keys[sym].bbo) {
                        let p = &self.eng.products[sym];
                        let f = |x: Option<(i64, i64)>| match x {
                            Some((a, b)) => format!("[\"{}\",\"{}\"]", p.fmt_px(a), p.fmt_qty(b)),
                            None => "[]".to_string(),
                        };
                        let u = if self.faults.unknown_fields {
                            UNKNOWN
                        } else {
                            ""
                        };
                        let body = format!(
                            "{{{u}\"m\":\"bbo\",\"symbol\":\"{}\",\"data\":{{\"ts\":{ts},\"bid\":{},\"ask\":{}}}}}",
                            p.symbol,
                            f(bid),
                            f(ask)
                        );
                        self.push_key(&self.keys[sym].bbo, &Out::Market(body.into()));
                    }
                }
                Ev::Order { msg, audience } => {
                    let body: Arc<str> = serde_json::json!({"m": "order", "accountId": self.acct.cash_id, "ac": "CASH", "data": msg.fields}).to_string().into();
                    for s in self.sessions.values() {
                        let wants = match audience {
                            Audience::All => true,
                            Audience::NewAck => !s.ready,
                            Audience::ReadyAck => s.ready,
                        };
                        if wants && s.authed && s.subs.contains("order") {
                            s.q.push(Out::Text(body.clone()));
                        }
                    }
                }
                Ev::CancelReject {
                    cancel_id,
                    orig_id,
                    sym,
                    ts,
                    sn,
                    text,
                } => {
                    let symbol = self
                        .eng
                        .products
                        .get(sym)
                        .map(|p| p.symbol.clone())
                        .unwrap_or_default();
                    let body: Arc<str> = serde_json::json!({"m": "order", "accountId": self.acct.cash_id, "ac": "CASH", "data": {
                        "sn": sn, "ot": "NULL_VAL", "s": symbol, "t": ts, "orderId": cancel_id, "origOrderId": orig_id,
                        "st": "Rejected", "err": "OrderCancelReject", "text": text}})
                    .to_string()
                    .into();
                    for s in self.sessions.values() {
                        if s.ready && s.authed && s.subs.contains("order") {
                            s.q.push(Out::Text(body.clone()));
                        }
                    }
                }
                Ev::Balance { asset, sn } => {
                    let b = self.eng.balance(&asset);
                    let body: Arc<str> = serde_json::json!({"m": "balance", "accountId": self.acct.cash_id, "ac": "CASH", "data": {
                        "a": asset, "sn": sn, "tb": dec::fmt(b.total, ASSET_SCALE), "ab": dec::fmt(b.total - b.locked, ASSET_SCALE)}})
                    .to_string()
                    .into();
                    for s in self.sessions.values() {
                        if s.authed && s.subs.contains("order") {
                            s.q.push(Out::Text(body.clone()));
                        }
                    }
                }
            }
        }
    }

    fn send_depth(&self, ev: &Ev, unknown: bool) {
        let Ev::Depth {
            sym,
            seqnum,
            ts,
            asks,
            bids,
        } = ev
        else {
            return;
        };
        let k = &self.keys[*sym];
        if self.has_subscriber(&k.depth) {
            let body = self.depth_json("depth", *sym, *seqnum, *ts, asks, bids, unknown);
            self.push_key(&k.depth, &Out::Market(body.into()));
        }
        if self.has_subscriber(&k.realtime) {
            let body = self.depth_json("depth-realtime", *sym, *seqnum, *ts, asks, bids, unknown);
            self.push_key(&k.realtime, &Out::Market(body.into()));
        }
    }

    /// Sends `text(seqnum)` to the depth subscribers of `sym` as the symbol's next diff (the seqnum advances; the
    /// book does not change): a test's hostile diff. Returns how many sessions got it.
    pub fn push_depth_text(&mut self, sym: usize, text: impl FnOnce(u64) -> String) -> usize {
        let s = &mut self.eng.syms[sym];
        s.seqnum += 1;
        let body: Arc<str> = text(s.seqnum).into();
        let subs = self.depth_subscribers(sym);
        for q in &subs {
            q.push(Out::Text(body.clone()));
        }
        subs.len()
    }

    fn depth_subscribers(&self, sym: usize) -> Vec<Arc<SessQ>> {
        let mut v = self.subscribers(&self.keys[sym].depth);
        for q in self.subscribers(&self.keys[sym].realtime) {
            if !v.iter().any(|x| Arc::ptr_eq(x, &q)) {
                v.push(q);
            }
        }
        v
    }

    fn publish_depth(&mut self, ev: Ev, fired: Vec<Kind>, sym: usize, seqnum: u64, symbol: &str) {
        let now = self.now_ms();
        let held_before = self.held.get_mut(sym).and_then(Option::take);
        let mut send = true;
        let mut times = 1;
        let mut unknown = self.faults.unknown_fields;
        for k in &fired {
            let sy = Some(symbol.to_string());
            match k {
                Kind::Gap => {
                    send = false;
                    self.faults.record(
                        now,
                        "gap",
                        sy,
                        Some(seqnum),
                        "diff applied to the book but not sent",
                    );
                }
                Kind::Dup => {
                    times = 2;
                    self.faults
                        .record(now, "dup", sy, Some(seqnum), "diff sent twice");
                }
                Kind::Reorder => {
                    send = false;
                    self.faults.record(
                        now,
                        "reorder",
                        sy,
                        Some(seqnum),
                        "diff held back and sent after the next diff of the symbol",
                    );
                    if let Some(slot) = self.held.get_mut(sym) {
                        *slot = Some(ev.clone());
                    }
                }
                Kind::Malformed => {
                    let bad: Arc<str> = format!("{{\"m\":\"depth\",\"symbol\":\"{symbol}\",\"data\":{{\"ts\":1,\"seqnum\":{seqnum},\"asks\":[[\"1\",").into();
                    for q in self.depth_subscribers(sym) {
                        q.push(Out::Text(bad.clone()));
                    }
                    self.faults.record(
                        now,
                        "malformed",
                        sy,
                        Some(seqnum),
                        "a malformed JSON frame was sent before this diff",
                    );
                }
                Kind::UnknownFields => {
                    unknown = true;
                    self.faults.record(
                        now,
                        "unknown_fields",
                        sy,
                        Some(seqnum),
                        "diff carries unknown fields",
                    );
                }
                Kind::Truncate => {
                    send = false;
                    let body = self.depth_json("depth", sym, seqnum, 0, &[], &[], false);
                    let frame = crate::ws::frame(0x1, body.as_bytes());
                    let cut = frame[..frame.len() / 2].to_vec();
                    let subs = self.depth_subscribers(sym);
                    for q in &subs {
                        q.push(Out::Raw(cut.clone()));
                        q.push(Out::Abort);
                    }
                    self.faults.record(
                        now,
                        "truncate",
                        sy,
                        Some(seqnum),
                        format!(
                            "half a frame sent to {} session(s), then the connection was cut",
                            subs.len()
                        ),
                    );
                }
                Kind::Close => {
                    send = false;
                    let subs = self.depth_subscribers(sym);
                    for q in &subs {
                        q.push(Out::Abort);
                    }
                    self.faults.record(
                        now,
                        "close",
                        sy,
                        Some(seqnum),
                        format!("{} session(s) cut without a close frame", subs.len()),
                    );
                }
                Kind::Blackhole => {
                    send = false;
                    let subs = self.depth_subscribers(sym);
                    for q in &subs {
                        q.push(Out::Blackhole);
                    }
                    self.faults.record(
                        now,
                        "blackhole",
                        sy,
                        Some(seqnum),
                        format!("{} session(s) silenced, connections left open", subs.len()),
                    );
                }
                Kind::BlackholePrivate => {
                    let mut n = 0;
                    for s in self.sessions.values().filter(|s| s.authed) {
                        s.q.push(Out::Blackhole);
                        n += 1;
                    }
                    self.faults.record(
                        now,
                        "blackhole_private",
                        sy,
                        Some(seqnum),
                        format!("{n} authenticated session(s) silenced, connections left open"),
                    );
                }
                Kind::MissPong => {
                    self.faults.record(
                        now,
                        "miss_pong",
                        sy,
                        Some(seqnum),
                        "every WS session disconnected for missing pongs",
                    );
                    self.disconnect_all_missing_pong();
                }
                _ => {}
            }
        }
        if send {
            for _ in 0..times {
                self.send_depth(&ev, unknown);
            }
        }
        if let Some(h) = held_before {
            self.send_depth(&h, self.faults.unknown_fields);
        }
    }

    pub fn disconnected_msg() -> Arc<str> {
        "{\"m\":\"disconnected\",\"code\":100005,\"reason\":\"INVALID_WS_REQUEST_DATA\",\"info\":\"Session is disconnected due to missing pong message from the client\"}".into()
    }

    pub fn disconnect_all_missing_pong(&mut self) {
        for s in self.sessions.values() {
            s.q.push(Out::Text(Self::disconnected_msg()));
            s.q.push(Out::Close);
        }
    }

    pub fn bar_json(&self, sym: usize, i: usize, ws: bool) -> String {
        let p = &self.eng.products[sym];
        let b = self.eng.syms[sym].bars[i].1;
        bar_obj(p, i, &b, ws && self.faults.unknown_fields)
    }
}

pub fn bar_obj(
    p: &crate::market::Product,
    i: usize,
    b: &crate::engine::Bar,
    unknown: bool,
) -> String {
    let u = if unknown { UNKNOWN } else { "" };
    format!(
        "{{{u}\"m\":\"bar\",\"s\":\"{}\",\"data\":{{\"i\":\"{}\",\"ts\":{},\"o\":\"{}\",\"c\":\"{}\",\"h\":\"{}\",\"l\":\"{}\",\"v\":\"{}\"}}}}",
        p.symbol,
        INTERVALS[i],
        b.ts,
        p.fmt_px(b.o),
        p.fmt_px(b.c),
        p.fmt_px(b.h),
        p.fmt_px(b.l),
        p.fmt_qty(b.v)
    )
}

/// The state shared by the server tasks and the embedding API.
pub struct Shared {
    pub st: Mutex<State>,
    pub stop: Notify,
    pub stopped: std::sync::atomic::AtomicBool,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.st)
    }
}
