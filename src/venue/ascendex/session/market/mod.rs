//! The market-data half of a session: subscriptions, book synchronisation from snapshot and diffs, resync, BBO,
//! trades, bars, keep-alive.
//!
//! Book sync follows the exchange's recipe (API docs §8): subscribe `depth:` first, buffer diffs from then on
//! (`BookSync` does), ask for `depth-snapshot` over the socket once the subscription is acknowledged, fall back to
//! REST `/api/pro/v1/depth` when the socket's snapshot is late, drop diffs at or below the snapshot's seqnum and
//! apply the rest. Any fault (gap, duplicate, reorder, crossed book, undecodable diff) makes the book stale, tells the
//! strategy, and asks for a new snapshot by itself, within the documented `depth_snapshot` budget. A dropped
//! connection makes every book stale; all of them resync after the reconnect.
//!
//! Hot path (a depth diff): decode in place → `BookSync::on_diff` → strategy callback. No allocation, no formatting,
//! no floats. Everything that talks back to the exchange (subscriptions, snapshot requests, pings) is encoded into
//! one reused buffer.
//!
//! The loop is reached through [`MdLink`] rather than `engine::Cx` directly so a bench can drive the same code from
//! memory; `Cx` implements it.

mod connection;
mod messages;
mod snapshots;
mod wire;
use wire::*;

use std::time::{SystemTime, UNIX_EPOCH};

use super::bootstrap::{Bootstrap, SessionError};
use super::{Conns, SessionConfig};
use crate::book::sync::{ResyncReason, SeqRule};
use crate::book::{Book, BookConfig, BookSync, Level, SyncAction, SyncConfig, SyncCounters};
use crate::engine::{ConnId, ConnState, Cx, DisconnectReason, SendError};
use crate::metrics::{Latency, Probe};
use crate::net::http::{HttpError, Response};
use crate::num::MAX_SCALE;
use crate::num::Scale;
use crate::orders::rules::RulesTable;
use crate::orders::types::SymbolId;
use crate::strategy::{BookStatus, BookUpdate};
use crate::venue::ascendex::rest::market::{BOOK_QTY_EXTRA_DECIMALS, depth_path, parse_depth};
use crate::venue::ascendex::stream::market::{
    Bar, Bbo, DecodeError, DecoderConfig, Depth, DepthKind, MdDecoder, Msg, SymbolTable, Trade,
};

/// Market timer ids (the session maps `0..MARKET_TIMERS` to these directly): our ping, its pong deadline, the next
/// snapshot request or fallback.
pub const TIMER_PING: usize = 0;
/// Reserved (the pong deadline is now the liveness timer, `TIMER_PING`).
pub const TIMER_PONG: usize = 1;
pub const TIMER_SNAPSHOT: usize = 2;
use TIMER_PING as T_PING;
use TIMER_SNAPSHOT as T_SNAPSHOT;

const MS: u64 = 1_000_000;

/// Market-data options.
#[derive(Clone, Debug)]
pub struct MarketConfig {
    /// Use the unthrottled `depth-realtime:` channel instead of the 300 ms `depth:` channel.
    pub depth_realtime: bool,
    /// How consecutive depth seqnums must relate (measured on the feed, not assumed).
    pub seq_rule: SeqRule,
    pub bbo: bool,
    pub trades: bool,
    /// Bar intervals to subscribe (`1`, `5`, ..., `1d`, `1w`, `1m`).
    pub bars: Vec<String>,
    /// Levels per side each book keeps exact (and the most `Book::bids()`/`asks()` yield).
    pub book_depth: usize,
    /// Width of each book's price window, in ticks: it must hold `book_depth` levels on both sides of the spread.
    pub book_window: usize,
    /// Ask for snapshots over the WebSocket (`depth-snapshot`); false asks REST only.
    pub ws_snapshots: bool,
    /// How long a WebSocket snapshot (or a sub acknowledgement) may take before the REST fallback is used.
    pub snapshot_timeout_ms: u64,
    /// At most this many WebSocket snapshot requests in any 60 s (the documented level-1 threshold is 400/min).
    pub snapshot_limit_per_min: usize,
    /// Symbols per `sub` message (the exchange accepts at most 10).
    pub sub_batch: usize,
    /// Keep-alive: a client ping (`{"op":"ping"}`) at least this often, whatever flows.
    pub ping_interval_ms: u64,
    /// Kept for configuration compatibility: the pong deadline is half of `silence_ms` (see there).
    pub pong_timeout_ms: u64,
    /// Liveness deadline of the market-data connection. After half of it without any message the books are in
    /// doubt (the strategy hears `BookStatus::Silent` with the age of the last message) and a ping goes out; no
    /// answer within the other half and the connection is declared dead and replaced. A depth stream ticks several
    /// times a second, so the default finds a dead link in 1.5 s.
    pub silence_ms: u64,
    /// Diffs each book buffers while it waits for a snapshot.
    pub buffer_diffs: usize,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig {
            depth_realtime: false,
            seq_rule: SeqRule::Contiguous,
            bbo: false,
            trades: false,
            bars: Vec::new(),
            book_depth: 20,
            book_window: 65_536,
            ws_snapshots: true,
            snapshot_timeout_ms: 3_000,
            snapshot_limit_per_min: 300,
            sub_batch: 10,
            ping_interval_ms: 15_000,
            pong_timeout_ms: 750,
            silence_ms: 1_500,
            buffer_diffs: 1024,
        }
    }
}

/// What the market half reports to the strategy.
pub enum MdEvent<'a> {
    Book {
        symbol: SymbolId,
        book: &'a Book,
        update: BookUpdate,
    },
    Status {
        symbol: SymbolId,
        status: BookStatus,
    },
    Bbo {
        symbol: SymbolId,
        bbo: &'a Bbo,
    },
    Trade {
        symbol: SymbolId,
        trade: &'a Trade,
    },
    Bar {
        symbol: SymbolId,
        bar: &'a Bar<'a>,
    },
}

/// What the market half needs from the event loop. `engine::Cx` is the real one; a bench implements it to drive the
/// same code from memory.
pub trait MdLink {
    /// Engine-clock ns when the current callback started.
    fn now_ns(&self) -> u64;
    /// Engine-clock ns now (for latency probes).
    fn clock_ns(&self) -> u64;
    fn send_text(&mut self, conn: ConnId, payload: &[u8]) -> Result<(), SendError>;
    fn http_get(&mut self, conn: ConnId, path: &str) -> Result<(), SendError>;
    fn http_ready(&self, conn: ConnId) -> bool;
    fn set_timer(&mut self, id: usize, at_ns: u64);
    fn cancel_timer(&mut self, id: usize);
    fn reconnect(&mut self, conn: ConnId);
}

impl MdLink for Cx<'_> {
    #[inline]
    fn now_ns(&self) -> u64 {
        Cx::now_ns(self)
    }
    #[inline]
    fn clock_ns(&self) -> u64 {
        Cx::clock_ns(self)
    }
    #[inline]
    fn send_text(&mut self, conn: ConnId, payload: &[u8]) -> Result<(), SendError> {
        Cx::send_text(self, conn, payload)
    }
    fn http_get(&mut self, conn: ConnId, path: &str) -> Result<(), SendError> {
        self.http_request(conn, "GET", path, &[], &[])
    }
    fn http_ready(&self, conn: ConnId) -> bool {
        Cx::http_ready(self, conn)
    }
    fn set_timer(&mut self, id: usize, at_ns: u64) {
        Cx::set_timer(self, id, at_ns)
    }
    fn cancel_timer(&mut self, id: usize) {
        Cx::cancel_timer(self, id)
    }
    fn reconnect(&mut self, conn: ConnId) {
        Cx::reconnect(self, conn)
    }
}

/// The last thing that went wrong on the market-data connection (the counters say how often).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MdFault {
    /// A message could not be decoded.
    Decode(DecodeError),
    /// The exchange refused a subscription.
    SubRejected { code: i64 },
    /// An `error` message (or a failed snapshot request).
    Error { code: i64 },
    /// The exchange announced it is closing the session (`m: disconnected`).
    Disconnected { code: Option<i64> },
    /// Our ping got no pong in time.
    PongTimeout,
    /// The server's pings reported falling health points.
    HealthFalling { hp: u64 },
    /// A REST snapshot failed (HTTP status or an unreadable body).
    RestSnapshot,
}

impl std::fmt::Display for MdFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MdFault::Decode(e) => write!(f, "undecodable market-data message: {e}"),
            MdFault::SubRejected { code } => write!(
                f,
                "the exchange refused a subscription (code {code}): check the symbol names"
            ),
            MdFault::Error { code } => write!(f, "the exchange sent an error (code {code})"),
            MdFault::Disconnected { code: Some(c) } => {
                write!(f, "the exchange closed the market-data session (code {c})")
            }
            MdFault::Disconnected { code: None } => {
                f.write_str("the exchange closed the market-data session")
            }
            MdFault::PongTimeout => {
                f.write_str("no pong to our ping: market-data connection declared dead")
            }
            MdFault::HealthFalling { hp } => write!(
                f,
                "the server's health points fell to {hp}: market-data connection declared dead"
            ),
            MdFault::RestSnapshot => f.write_str("a REST depth snapshot failed"),
        }
    }
}

impl std::error::Error for MdFault {}

/// How consecutive depth seqnums of one symbol related on the wire (arrival order, before any checking).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeqSteps {
    /// Exactly the previous + 1.
    pub one: u64,
    /// More than + 1 (a gap, or an exchange that does not count by one).
    pub more: u64,
    /// Equal to or below the highest seen (duplicates, reorders).
    pub back: u64,
}

impl SeqSteps {
    fn add(&mut self, o: &SeqSteps) {
        self.one += o.one;
        self.more += o.more;
        self.back += o.back;
    }
}

/// Market-data counters (connection level; per-book counters are in `sync_counters`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MdCounters {
    pub messages: u64,
    pub diffs: u64,
    /// Diffs at or below the seqnum of the snapshot just applied (a REST snapshot can be ahead of the socket).
    pub diffs_skipped: u64,
    pub decode_errors: u64,
    pub md_opens: u64,
    pub md_drops: u64,
    pub sub_acks: u64,
    pub sub_errors: u64,
    pub errors: u64,
    pub disconnected_msgs: u64,
    pub snapshot_requests_ws: u64,
    pub snapshot_requests_rest: u64,
    pub snapshots_ws: u64,
    pub snapshots_rest: u64,
    /// Snapshots that arrived when the book was already live (a late reply): not applied.
    pub snapshots_ignored: u64,
    pub snapshot_timeouts: u64,
    pub snapshot_errors: u64,
    /// Snapshot requests the per-minute WebSocket budget refused (sent over REST instead, or later for
    /// `depth-realtime`).
    pub snapshots_deferred: u64,
    pub rest_errors: u64,
    pub stale_events: u64,
    pub pings_answered: u64,
    pub pings_sent: u64,
    pub pongs: u64,
    pub pong_timeouts: u64,
    /// Times the stream went quiet for half its liveness deadline.
    pub silences: u64,
    pub hp_falls: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Snap {
    /// Nothing to ask for (live, or a request is not needed).
    Idle,
    /// Ask over the socket once subscribed, not before `not_before`.
    Want {
        not_before: u64,
    },
    /// Asked over the socket; REST fallback at `deadline`.
    Ws {
        deadline: u64,
    },
    /// Ask REST, not before `not_before`.
    RestWant {
        not_before: u64,
    },
    RestInflight,
}

struct Sym {
    name: String,
    price_scale: Scale,
    qty_scale: Scale,
    sync: BookSync,
    snap: Snap,
    acked: bool,
    sub_sent_ns: u64,
    ever_live: bool,
    /// After a snapshot: diffs at or below this are already in the book.
    skip_until: Option<u64>,
    /// Highest seqnum seen on this connection (for `SeqSteps`).
    last_seen: Option<u64>,
    steps: SeqSteps,
    /// Consecutive faults without a diff applied in between: spaces out snapshot requests for a book that keeps
    /// failing.
    fails: u32,
}

/// Everything but the decoder, so a decoded message (borrowing the decoder) can be handled with `&mut self`.
struct Core {
    cfg: MarketConfig,
    syms: Vec<Sym>,
    out: Vec<u8>,
    path: Vec<u8>,
    /// Send times of the last `snapshot_limit_per_min` WebSocket snapshot requests (a ring).
    snap_times: Box<[u64]>,
    snap_next: usize,
    md_open: bool,
    /// Bumped on every market-data disconnect: REST replies from before it are discarded.
    generation: u64,
    rest_inflight: Option<(usize, u64)>,
    ping_outstanding: bool,
    /// Engine time of the last message, of the last ping sent, and of the outstanding ping.
    last_rx_ns: u64,
    last_ping_ns: u64,
    ping_sent_ns: u64,
    /// Silent for half the deadline: the strategy was told; the next message clears it.
    in_doubt: bool,
    last_ping_hp: Option<u64>,
    counters: MdCounters,
    last_fault: Option<MdFault>,
    latency: Latency,
}

pub struct MarketState {
    decoder: MdDecoder,
    core: Core,
}

impl MarketState {
    /// The market half of a spot session, from the products body start-up read.
    pub fn new(cfg: &SessionConfig, boot: &Bootstrap) -> Result<Self, SessionError> {
        let rules =
            RulesTable::from_products_json(&boot.products).map_err(|e| SessionError::Exchange {
                what: "reading products",
                detail: e.to_string(),
            })?;
        MarketState::with_rules(cfg, &rules)
    }

    /// The market half from any product's trading rules (the books' tick and scales come from them).
    pub fn with_rules(cfg: &SessionConfig, rules: &RulesTable) -> Result<Self, SessionError> {
        let m = &cfg.market;
        let mut table = SymbolTable::new();
        let mut syms = Vec::with_capacity(cfg.symbols.len());
        for (i, name) in cfg.symbols.iter().enumerate() {
            let p = rules
                .by_name(name)
                .ok_or_else(|| SessionError::UnknownSymbol(name.clone()))?;
            let bad_scale = |_| SessionError::Exchange {
                what: "setting up the book",
                detail: format!("{name}: scale out of range"),
            };
            let ps = Scale::new(p.price_scale).map_err(bad_scale)?;
            let qs = Scale::new((p.qty_scale + BOOK_QTY_EXTRA_DECIMALS).min(MAX_SCALE))
                .map_err(bad_scale)?;
            if table.add(name.as_bytes(), ps, qs).0 as usize != i {
                return Err(SessionError::UnknownSymbol(format!(
                    "{name} (listed twice)"
                )));
            }
            let sync = BookSync::new(SyncConfig {
                book: BookConfig {
                    tick: p.tick,
                    window: m.book_window,
                    depth: m.book_depth.max(1),
                },
                seq: m.seq_rule,
                buffer_diffs: m.buffer_diffs.max(1),
                buffer_levels: m.buffer_diffs.max(1) * 32,
                skip_duplicates: false,
            })
            .map_err(|e| SessionError::Exchange {
                what: "setting up the book",
                detail: format!("{name}: {e} (tick {:?})", p.tick),
            })?;
            syms.push(Sym {
                name: name.clone(),
                price_scale: ps,
                qty_scale: qs,
                sync,
                snap: Snap::Want { not_before: 0 },
                acked: false,
                sub_sent_ns: 0,
                ever_live: false,
                skip_until: None,
                last_seen: None,
                steps: SeqSteps::default(),
                fails: 0,
            });
        }
        Ok(MarketState {
            decoder: MdDecoder::new(table, DecoderConfig::default()),
            core: Core {
                snap_times: vec![0; m.snapshot_limit_per_min.max(1)].into_boxed_slice(),
                snap_next: 0,
                cfg: m.clone(),
                syms,
                out: Vec::with_capacity(4096),
                path: Vec::with_capacity(256),
                md_open: false,
                generation: 0,
                rest_inflight: None,
                ping_outstanding: false,
                last_rx_ns: 0,
                last_ping_ns: 0,
                ping_sent_ns: 0,
                in_doubt: false,
                last_ping_hp: None,
                counters: MdCounters::default(),
                last_fault: None,
                latency: Latency::new(),
            },
        })
    }

    pub fn symbol(&self, name: &str) -> Option<SymbolId> {
        self.decoder.symbols().lookup(name.as_bytes())
    }

    /// Number of configured symbols (ids are `0..len`).
    pub fn len(&self) -> usize {
        self.core.syms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.core.syms.is_empty()
    }

    pub fn name(&self, id: SymbolId) -> Option<&str> {
        self.core.syms.get(id.0 as usize).map(|s| s.name.as_str())
    }

    /// (price scale, book size scale) of a symbol. The book's size scale is the lot scale plus
    /// `rest::market::BOOK_QTY_EXTRA_DECIMALS` (depth shows sizes finer than the order lot).
    pub fn scales(&self, id: SymbolId) -> Option<(Scale, Scale)> {
        self.core
            .syms
            .get(id.0 as usize)
            .map(|s| (s.price_scale, s.qty_scale))
    }

    /// The book (exact only while `is_live`).
    pub fn book(&self, id: SymbolId) -> Option<&Book> {
        self.core.syms.get(id.0 as usize).map(|s| s.sync.book())
    }

    pub fn is_live(&self, id: SymbolId) -> bool {
        self.core
            .syms
            .get(id.0 as usize)
            .is_some_and(|s| s.sync.is_live())
            && !self.core.in_doubt
    }

    /// Seqnum of the last snapshot or diff applied to a book.
    pub fn seqnum(&self, id: SymbolId) -> Option<u64> {
        self.core.syms.get(id.0 as usize).map(|s| s.sync.seqnum())
    }

    pub fn sync_counters(&self, id: SymbolId) -> Option<&SyncCounters> {
        self.core.syms.get(id.0 as usize).map(|s| s.sync.counters())
    }

    /// How one symbol's seqnums stepped on the wire.
    pub fn seq_steps(&self, id: SymbolId) -> Option<SeqSteps> {
        self.core.syms.get(id.0 as usize).map(|s| s.steps)
    }

    /// Seqnum steps summed over all symbols.
    pub fn seq_steps_total(&self) -> SeqSteps {
        let mut t = SeqSteps::default();
        for s in &self.core.syms {
            t.add(&s.steps);
        }
        t
    }

    pub fn counters(&self) -> &MdCounters {
        &self.core.counters
    }

    pub fn last_fault(&self) -> Option<MdFault> {
        self.core.last_fault
    }

    /// Wire-to-callback and (against the simulator) end-to-end latencies.
    pub fn latency(&self) -> &Latency {
        &self.core.latency
    }

    /// Every configured book has been live at least once.
    pub fn is_ready(&self) -> bool {
        self.core.syms.iter().all(|s| s.ever_live)
    }

    pub fn on_state<L: MdLink>(
        &mut self,
        cx: &mut L,
        conns: &Conns,
        conn: ConnId,
        state: ConnState,
        _why: Option<&DisconnectReason>,
        emit: &mut impl FnMut(&mut L, MdEvent<'_>),
    ) {
        let c = &mut self.core;
        if conn == conns.md {
            if state == ConnState::Open {
                c.md_opened(cx, conns);
            } else if c.md_open {
                c.md_lost(cx, emit);
            }
        } else if conn == conns.md_rest && state != ConnState::Open {
            // A request that dies with its socket may never get an `on_http`.
            if let Some((i, _)) = c.rest_inflight.take()
                && let Some(s) = c.syms.get_mut(i)
                && s.snap == Snap::RestInflight
            {
                s.snap = Snap::RestWant { not_before: 0 };
            }
        }
        c.pump(cx, conns);
    }

    #[inline]
    pub fn on_message<L: MdLink>(
        &mut self,
        cx: &mut L,
        conns: &Conns,
        msg: &[u8],
        rx_ns: u64,
        emit: &mut impl FnMut(&mut L, MdEvent<'_>),
    ) {
        let c = &mut self.core;
        c.counters.messages += 1;
        // Any message proves the link alive (TCP keeps order: whatever was sent before it has arrived too).
        c.last_rx_ns = rx_ns;
        c.ping_outstanding = false;
        if c.in_doubt {
            c.doubt_cleared(cx, emit);
        }
        match self.decoder.decode(msg) {
            Ok(m) => c.on_msg(cx, conns, m, msg, rx_ns, emit),
            Err(e) => {
                c.counters.decode_errors += 1;
                c.last_fault = Some(MdFault::Decode(e));
                if e != DecodeError::UnknownSymbol
                    && contains(msg, b"\"depth")
                    && let Some(id) = self.decoder.symbol_of(msg)
                    && let Some(s) = c.syms.get_mut(id.0 as usize)
                    && let SyncAction::RequestSnapshot(r) = s.sync.on_bad_message()
                {
                    c.stale(cx, conns, id, r, emit);
                }
            }
        }
    }

    pub fn on_http<L: MdLink>(
        &mut self,
        cx: &mut L,
        conns: &Conns,
        result: Result<Response<'_>, &HttpError>,
        emit: &mut impl FnMut(&mut L, MdEvent<'_>),
    ) {
        let c = &mut self.core;
        let Some((i, generation)) = c.rest_inflight.take() else {
            return;
        };
        let now = cx.now_ns();
        let retry = |s: &mut Sym, after_ms: u64| {
            if s.snap == Snap::RestInflight {
                s.snap = Snap::RestWant {
                    not_before: now + after_ms * MS,
                };
            }
        };
        let Some(s) = c.syms.get_mut(i) else { return };
        if generation != c.generation {
            // Asked before the socket dropped: the books were reset since.
            if s.snap == Snap::RestInflight {
                s.snap = Snap::Want { not_before: 0 };
            }
            return c.pump(cx, conns);
        }
        let parsed = match result {
            Ok(r) if r.status == 200 => parse_depth(r.body, s.price_scale, s.qty_scale)
                .ok()
                .filter(|d| d.symbol == s.name),
            Ok(_) => None,
            Err(HttpError::Status {
                retry_after_s: Some(secs),
                ..
            }) => {
                c.counters.rest_errors += 1;
                c.last_fault = Some(MdFault::RestSnapshot);
                retry(s, secs.saturating_mul(1000));
                return c.pump(cx, conns);
            }
            Err(_) => None,
        };
        match parsed {
            Some(d) => {
                c.counters.snapshots_rest += 1;
                // Answered: whatever the snapshot leads to (live, or stale again) decides the next request.
                if s.snap == Snap::RestInflight {
                    s.snap = Snap::Idle;
                }
                let id = SymbolId(i as u16);
                c.apply_snapshot(cx, conns, id, d.seqnum, d.ts, &d.bids, &d.asks, now, emit);
            }
            None => {
                c.counters.rest_errors += 1;
                c.last_fault = Some(MdFault::RestSnapshot);
                retry(s, 1000);
            }
        }
        c.pump(cx, conns);
    }

    pub fn on_timer<L: MdLink>(
        &mut self,
        cx: &mut L,
        conns: &Conns,
        id: usize,
        _emit: &mut impl FnMut(&mut L, MdEvent<'_>),
    ) {
        let c = &mut self.core;
        let now = cx.now_ns();
        match id {
            T_PING if c.md_open => c.check_liveness(cx, conns, now, _emit),
            T_SNAPSHOT => c.pump(cx, conns),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_stamp_is_read_from_the_tail() {
        assert_eq!(
            sim_stamp(br#"{"m":"depth","data":{},"simNs":1763700000123456789}"#),
            Some(1_763_700_000_123_456_789)
        );
        assert_eq!(sim_stamp(br#"{"m":"depth","data":{}}"#), None);
        assert_eq!(sim_stamp(br#"{"simNs":}"#), None);
        assert_eq!(sim_stamp(br#"{"simNs":99999999999999999999999}"#), None);
        assert_eq!(sim_stamp(b""), None);
        assert_eq!(sim_stamp(br#"{"data":{"seqnum":5}}"#), None);
        assert_eq!(sim_stamp(br#"{"seqnum":5}"#), None);
        assert_eq!(sim_stamp(br#"{"simNs":7}"#), Some(7));
    }

    #[test]
    fn snapshot_error_ids() {
        assert_eq!(snapshot_request_symbol(b"s12", b"depth-snapshot"), Some(12));
        assert_eq!(snapshot_request_symbol(b"s3", b"error"), Some(3));
        assert_eq!(snapshot_request_symbol(b"d0", b"error"), None);
        assert_eq!(snapshot_request_symbol(b"s", b"error"), None);
        assert_eq!(snapshot_request_symbol(b"s1x", b"error"), None);
        assert_eq!(snapshot_request_symbol(b"s1", b"order"), None);
    }

    #[test]
    fn integers_and_strings_are_encoded_without_formatting() {
        let mut out = Vec::new();
        push_u64(&mut out, 0);
        out.push(b' ');
        push_u64(&mut out, u64::MAX);
        out.push(b' ');
        push_json_str(&mut out, b"A\"B\\C\n");
        assert_eq!(out, b"0 18446744073709551615 A\\\"B\\\\C");
    }
}
