//! The event loop: one thread owns every socket, timer and the handler (venue adapter + strategy).
//!
//! Spin mode pins the thread and polls with a zero timeout, because on this kind of machine a wake-up from
//! `epoll_wait` costs ~100 µs while a busy poll answers in ~12 µs. Block mode sleeps in `poll` until the next
//! timer, for CLI one-shots, tests and laptops.
//!
//! Output from a handler goes through per-connection outboxes that the engine encrypts and writes right after the
//! callback returns, before the next message is parsed: an order decided on message 1 of a burst leaves before
//! message 2 is looked at, and the borrow of the message being handled never conflicts with sending.

pub mod conn;
pub mod signals;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use rustls::ClientConfig;
use rustls_pki_types::ServerName;

pub use conn::{
    ConnId, ConnKind, ConnSpec, ConnState, DisconnectReason, Endpoint, EndpointError, EngineError,
    KeepAlive, TcpOptions,
};

use crate::net::backoff::Backoff;
use crate::net::http::{HttpConn, HttpError, MAX_RESPONSE_HEAD, Response, write_request};
use crate::net::timer::{Clock, Timers};
use crate::net::tls::{TlsBuffers, TlsState, TlsStream};
use crate::net::ws::{WsEncoder, WsEvent, WsOptions, WsState, WsStream};

/// How the loop waits for events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunMode {
    /// Pin to `core` (if given) and poll with a zero timeout.
    Spin { core: Option<usize> },
    /// Sleep in `poll` until an event or the next timer.
    Block,
}

/// Callbacks from the loop. Everything runs on the loop thread; keep them short and allocation-free.
pub trait Handler {
    /// A connection changed state; `reason` is set when it went down.
    fn on_state(
        &mut self,
        _cx: &mut Cx<'_>,
        _conn: ConnId,
        _state: ConnState,
        _reason: Option<&DisconnectReason>,
    ) {
    }
    /// A WebSocket text or binary message. `rx_ns` is when the loop saw the socket readable.
    fn on_message(&mut self, cx: &mut Cx<'_>, conn: ConnId, msg: &[u8], rx_ns: u64);
    /// An HTTP response, or why the request failed.
    fn on_http(
        &mut self,
        _cx: &mut Cx<'_>,
        _conn: ConnId,
        _result: Result<Response<'_>, &HttpError>,
    ) {
    }
    /// A timer set with `Cx::set_timer` fired.
    fn on_timer(&mut self, _cx: &mut Cx<'_>, _id: usize) {}
    /// Once per loop iteration, after events and timers.
    fn on_idle(&mut self, _cx: &mut Cx<'_>) {}
}

/// Why a send from a handler was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// The connection is not open (connecting, backing off, stopped): queue it yourself or use another path.
    NotOpen,
    /// An HTTP request is already in flight on this connection.
    Busy,
    /// No such connection, or the wrong kind (a WebSocket message to an HTTP connection).
    WrongConn,
    /// The request cannot be written as valid HTTP/1.1 (see `net::http::write_request`); nothing was queued.
    BadRequest,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SendError::NotOpen => "connection not open",
            SendError::Busy => "an HTTP request is already in flight on this connection",
            SendError::WrongConn => "no such connection of that kind",
            SendError::BadRequest => {
                "the HTTP request has a bad method, path or header (or a header given twice)"
            }
        })
    }
}

impl std::error::Error for SendError {}

/// Bytes a handler wants sent on one connection, already framed.
struct Outbox {
    buf: Vec<u8>,
    is_ws: bool,
    host: String,
    enc: WsEncoder,
    /// An HTTP request is queued or in flight.
    http_busy: bool,
    reconnect: bool,
    hold_until_ns: u64,
}

/// What a handler can do: send, set timers, ask for a reconnect, stop the loop.
pub struct Cx<'a> {
    now_ns: u64,
    clock: Clock,
    outboxes: &'a mut [Outbox],
    states: &'a [ConnState],
    dirty: &'a mut u64,
    timers: &'a mut Timers,
    stop: &'a mut bool,
}

impl Cx<'_> {
    /// Nanoseconds on the engine clock when this callback started.
    #[inline]
    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }

    /// The engine clock read now (`now_ns` is when the callback started): for latency probes inside a callback.
    #[inline]
    pub fn clock_ns(&self) -> u64 {
        self.clock.now_ns()
    }

    pub fn state(&self, conn: ConnId) -> ConnState {
        self.states.get(conn).copied().unwrap_or(ConnState::Stopped)
    }

    /// Queues a WebSocket text message; it is written as soon as the callback returns.
    #[inline]
    pub fn send_text(&mut self, conn: ConnId, payload: &[u8]) -> Result<(), SendError> {
        let ob = self.outboxes.get_mut(conn).ok_or(SendError::WrongConn)?;
        if !ob.is_ws {
            return Err(SendError::WrongConn);
        }
        if self.states[conn] != ConnState::Open {
            return Err(SendError::NotOpen);
        }
        ob.enc.text(payload, &mut ob.buf);
        *self.dirty |= 1 << (conn & 63);
        Ok(())
    }

    /// Queues an HTTP request (path with query); the response arrives in `Handler::on_http`.
    pub fn http_request(
        &mut self,
        conn: ConnId,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(), SendError> {
        let ob = self.outboxes.get_mut(conn).ok_or(SendError::WrongConn)?;
        if ob.is_ws {
            return Err(SendError::WrongConn);
        }
        if self.states[conn] != ConnState::Open {
            return Err(SendError::NotOpen);
        }
        if ob.http_busy {
            return Err(SendError::Busy);
        }
        write_request(&mut ob.buf, &ob.host, method, path, headers, body)
            .map_err(|_| SendError::BadRequest)?;
        ob.http_busy = true;
        *self.dirty |= 1 << (conn & 63);
        Ok(())
    }

    /// True when `conn` is an open HTTP connection with no request in flight.
    pub fn http_ready(&self, conn: ConnId) -> bool {
        self.outboxes
            .get(conn)
            .is_some_and(|o| !o.is_ws && !o.http_busy)
            && self.state(conn) == ConnState::Open
    }

    /// Arms user timer `id` (0-based, below the count given to `Engine::new`) to fire at `at_ns`.
    pub fn set_timer(&mut self, id: usize, at_ns: u64) {
        if id < self.timers.len() {
            self.timers.arm(id, at_ns);
        }
    }

    pub fn cancel_timer(&mut self, id: usize) {
        self.timers.disarm(id);
    }

    /// Drops the connection and reconnects it (after backoff), e.g. to resync from scratch.
    pub fn reconnect(&mut self, conn: ConnId) {
        if let Some(ob) = self.outboxes.get_mut(conn) {
            ob.reconnect = true;
            *self.dirty |= 1 << (conn & 63);
        }
    }

    /// No reconnect of `conn` before `at_ns` (a ban or Retry-After from the exchange).
    pub fn hold_off(&mut self, conn: ConnId, at_ns: u64) {
        if let Some(ob) = self.outboxes.get_mut(conn) {
            ob.hold_until_ns = ob.hold_until_ns.max(at_ns);
        }
    }

    pub fn stop(&mut self) {
        *self.stop = true;
    }
}

enum Transport {
    None,
    Ws(Box<WsStream<TcpStream>>),
    Http(Box<HttpConn<TcpStream>>),
}

impl Transport {
    fn socket(&mut self) -> Option<&mut TcpStream> {
        match self {
            Transport::None => None,
            Transport::Ws(w) => Some(w.tls.get_mut()),
            Transport::Http(h) => Some(h.tls.get_mut()),
        }
    }
}

struct Slot {
    spec: ConnSpec,
    server_name: ServerName<'static>,
    t: Transport,
    backoff: Backoff,
    last_rx_ns: u64,
    pinged: bool,
}

/// Counters the loop keeps; read them after `run`.
#[derive(Clone, Copy, Debug, Default)]
pub struct EngineStats {
    pub iterations: u64,
    pub messages: u64,
    pub http_responses: u64,
    pub connects: u64,
    pub disconnects: u64,
    /// Whether `RunMode::Spin { core: Some(_) }` pinning took effect.
    pub pinned: Option<bool>,
}

/// Read turns one `service` call may take on a connection before the loop moves on (each turn reads up to the TLS
/// receive buffer): a firehose on one socket cannot starve the others, timers or the stop checks. A connection
/// that still has data is serviced again on the next iteration without waiting for an event.
const MAX_TURNS: usize = 8;

const LIFECYCLE: usize = 0;
const KEEPALIVE: usize = 1;
const TIMERS_PER_CONN: usize = 2;

/// The event loop and every connection it owns.
pub struct Engine {
    poll: Poll,
    events: Events,
    clock: Clock,
    tls: Arc<ClientConfig>,
    bufs: TlsBuffers,
    slots: Vec<Slot>,
    states: Vec<ConnState>,
    outboxes: Vec<Outbox>,
    timers: Timers,
    user_timers: usize,
    stop: bool,
    /// Set asynchronously (a signal handler, another thread): the loop ends at its next turn.
    stop_flag: Option<&'static AtomicBool>,
    dirty: u64,
    /// Connections whose last `service` stopped at `MAX_TURNS` with data left: serviced again without an event.
    resume: Vec<bool>,
    resume_count: usize,
    pub stats: EngineStats,
}

impl Engine {
    /// `user_timers` is how many timer ids handlers may use with `Cx::set_timer`.
    pub fn new(tls: Arc<ClientConfig>, user_timers: usize) -> Result<Self, EngineError> {
        Ok(Engine {
            poll: Poll::new().map_err(EngineError::Io)?,
            events: Events::with_capacity(256),
            clock: Clock::new(),
            tls,
            bufs: TlsBuffers::default(),
            slots: Vec::new(),
            states: Vec::new(),
            outboxes: Vec::new(),
            timers: Timers::new(user_timers),
            user_timers,
            stop: false,
            stop_flag: None,
            dirty: 0,
            resume: Vec::new(),
            resume_count: 0,
            stats: EngineStats::default(),
        })
    }

    /// `run` returns (as if a handler had called `Cx::stop`) within one loop turn of `flag` becoming true, however
    /// busy the connections are. For a flag a SIGINT/SIGTERM handler sets.
    pub fn stop_on(&mut self, flag: &'static AtomicBool) {
        self.stop_flag = Some(flag);
    }

    pub fn set_buffers(&mut self, bufs: TlsBuffers) {
        self.bufs = bufs;
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    pub fn now_ns(&self) -> u64 {
        self.clock.now_ns()
    }

    /// Adds a connection (not started until `run`). Connections are set up before the loop runs, so the
    /// vectors never grow on the hot path.
    pub fn add(&mut self, spec: ConnSpec) -> Result<ConnId, EngineError> {
        let server_name = ServerName::try_from(spec.endpoint.host.clone()).map_err(|_| {
            EngineError::BadUrl(format!("{}: not a valid server name", spec.endpoint.host))
        })?;
        let id = self.slots.len();
        let is_ws = matches!(spec.kind, ConnKind::WebSocket { .. });
        self.outboxes.push(Outbox {
            buf: Vec::with_capacity(64 * 1024),
            is_ws,
            host: spec.endpoint.host_header(),
            enc: WsEncoder::new(),
            http_busy: false,
            reconnect: false,
            hold_until_ns: 0,
        });
        let seed = (id as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ self.clock.now_ns();
        self.slots.push(Slot {
            backoff: Backoff::new(spec.backoff, seed),
            spec,
            server_name,
            t: Transport::None,
            last_rx_ns: 0,
            pinged: false,
        });
        self.states.push(ConnState::Idle);
        self.resume.push(false);
        // The user's timers come first, so growing the table never renumbers them.
        let mut timers = Timers::new(self.user_timers + self.slots.len() * TIMERS_PER_CONN);
        for slot in 0..self.timers.len() {
            if let Some(at) = self.timers.deadline(slot) {
                timers.arm(slot, at);
            }
        }
        self.timers = timers;
        Ok(id)
    }

    pub fn state(&self, conn: ConnId) -> ConnState {
        self.states.get(conn).copied().unwrap_or(ConnState::Stopped)
    }

    /// The socket of `conn` while it has one (to read its options or `TCP_INFO`); `None` between connections.
    pub fn raw_fd(&self, conn: ConnId) -> Option<std::os::fd::RawFd> {
        use std::os::fd::AsRawFd;
        match &self.slots.get(conn)?.t {
            Transport::Ws(w) => Some(w.tls.get_ref().as_raw_fd()),
            Transport::Http(h) => Some(h.tls.get_ref().as_raw_fd()),
            Transport::None => None,
        }
    }

    /// Writes that hit `WouldBlock` on the live connections (the rest was flushed on a writable event).
    pub fn write_blocks(&self) -> u64 {
        self.slots
            .iter()
            .map(|s| match &s.t {
                Transport::Ws(w) => w.tls.write_blocks,
                Transport::Http(h) => h.tls.write_blocks,
                Transport::None => 0,
            })
            .sum()
    }

    /// Runs until a handler calls `Cx::stop` or `limit` elapses.
    /// The last [`Engine::run`] ended because a handler called `Cx::stop` (not its time limit).
    pub fn stop_requested(&self) -> bool {
        self.stop
    }

    pub fn run<H: Handler>(
        &mut self,
        h: &mut H,
        mode: RunMode,
        limit: Option<Duration>,
    ) -> Result<(), EngineError> {
        if let RunMode::Spin { core: Some(core) } = mode {
            let ok = core_affinity::get_core_ids()
                .and_then(|ids| ids.into_iter().find(|c| c.id == core))
                .is_some_and(core_affinity::set_for_current);
            self.stats.pinned = Some(ok);
            if !ok {
                return Err(EngineError::Pin(core));
            }
        }
        self.stop = false;
        let start = self.clock.now_ns();
        let end = limit.map(|d| start + d.as_nanos() as u64);
        for id in 0..self.slots.len() {
            if matches!(self.states[id], ConnState::Idle | ConnState::Stopped) {
                self.connect(id, h, start);
            }
        }
        let mut events = std::mem::replace(&mut self.events, Events::with_capacity(0));
        let result = loop {
            let now = self.clock.now_ns();
            let timeout = match mode {
                RunMode::Spin { .. } => Some(Duration::ZERO),
                RunMode::Block if self.resume_count > 0 => Some(Duration::ZERO),
                RunMode::Block => {
                    let next = self
                        .timers
                        .next_deadline()
                        .unwrap_or(u64::MAX)
                        .min(end.unwrap_or(u64::MAX));
                    Some(Duration::from_nanos(
                        next.saturating_sub(now).min(100_000_000),
                    ))
                }
            };
            if let Err(e) = self.poll.poll(&mut events, timeout)
                && e.kind() != io::ErrorKind::Interrupted
            {
                break Err(EngineError::Io(e));
            }
            let now = self.clock.now_ns();
            self.stats.iterations += 1;
            for ev in events.iter() {
                // A FIN or RST that came with the last data raises no later edge: the read must run to EOF now.
                let closed = ev.is_read_closed() || ev.is_error();
                self.service(ev.token().0, h, now, closed);
            }
            if self.resume_count > 0 {
                self.resume_count = 0;
                for id in 0..self.slots.len() {
                    if std::mem::take(&mut self.resume[id]) {
                        self.service(id, h, now, false);
                    }
                }
            }
            let now = if self.timers.due(now) {
                self.clock.now_ns()
            } else {
                now
            };
            while let Some(slot) = self.timers.pop_expired(now) {
                self.on_timer(slot, h, now);
            }
            {
                let mut cx = self.cx(now);
                h.on_idle(&mut cx);
            }
            if self.dirty != 0 {
                self.flush_outboxes(h, now, None);
            }
            if self.stop
                || end.is_some_and(|e| now >= e)
                || self.stop_flag.is_some_and(|f| f.load(Ordering::Relaxed))
            {
                break Ok(());
            }
        };
        self.events = events;
        result
    }

    fn cx(&mut self, now_ns: u64) -> Cx<'_> {
        Cx {
            now_ns,
            clock: self.clock,
            outboxes: &mut self.outboxes,
            states: &self.states,
            dirty: &mut self.dirty,
            timers: &mut self.timers,
            stop: &mut self.stop,
        }
    }

    fn set_state<H: Handler>(
        &mut self,
        id: ConnId,
        s: ConnState,
        h: &mut H,
        now: u64,
        why: Option<&DisconnectReason>,
    ) {
        if self.states[id] != s {
            self.states[id] = s;
            let mut cx = self.cx(now);
            h.on_state(&mut cx, id, s, why);
        }
    }

    fn connect<H: Handler>(&mut self, id: ConnId, h: &mut H, now: u64) {
        let slot = &mut self.slots[id];
        let addr = match slot.spec.endpoint.resolve() {
            Ok(a) => a,
            Err(EndpointError::Resolve(e) | EndpointError::BadUrl(e)) => {
                return self.fail(id, DisconnectReason::Resolve(e), h, now);
            }
        };
        let mut sock = match TcpStream::connect(addr) {
            Ok(s) => s,
            Err(e) => return self.fail(id, DisconnectReason::Connect(e), h, now),
        };
        let _ = sock.set_nodelay(true);
        {
            use std::os::fd::AsRawFd;
            if let Err(e) = crate::net::sockopt::apply(sock.as_raw_fd(), &slot.spec.tcp) {
                return self.fail(id, DisconnectReason::Connect(e), h, now);
            }
        }
        set_buffer(&sock, libc::SO_SNDBUF, slot.spec.send_buffer);
        set_buffer(&sock, libc::SO_RCVBUF, slot.spec.recv_buffer);
        if let Err(e) = self.poll.registry().register(
            &mut sock,
            Token(id),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            return self.fail(id, DisconnectReason::Connect(e), h, now);
        }
        let tls = match TlsStream::new(sock, self.tls.clone(), slot.server_name.clone(), self.bufs)
        {
            Ok(t) => t,
            Err(e) => return self.fail(id, DisconnectReason::Tls(e), h, now),
        };
        slot.t = match &slot.spec.kind {
            ConnKind::WebSocket { path, headers } => Transport::Ws(Box::new(WsStream::new(
                tls,
                WsOptions {
                    host: slot.spec.endpoint.host_header(),
                    path: path.clone(),
                    headers: headers.clone(),
                    max_message: slot.spec.max_message,
                },
            ))),
            ConnKind::Http => Transport::Http(Box::new(HttpConn::new(
                tls,
                &slot.spec.endpoint.host_header(),
                slot.spec.max_message,
            ))),
        };
        slot.last_rx_ns = now;
        slot.pinged = false;
        let ob = &mut self.outboxes[id];
        ob.buf.clear();
        ob.http_busy = false;
        ob.reconnect = false;
        self.stats.connects += 1;
        self.timers.arm(
            self.user_timers + id * TIMERS_PER_CONN + LIFECYCLE,
            now + slot.spec.connect_timeout_ms * 1_000_000,
        );
        self.timers
            .disarm(self.user_timers + id * TIMERS_PER_CONN + KEEPALIVE);
        self.set_state(id, ConnState::Connecting, h, now, None);
    }

    /// Tears the connection down and schedules the reconnect.
    fn fail<H: Handler>(&mut self, id: ConnId, why: DisconnectReason, h: &mut H, now: u64) {
        let slot = &mut self.slots[id];
        if let Some(sock) = slot.t.socket() {
            let _ = self.poll.registry().deregister(sock);
        }
        slot.t = Transport::None;
        // Leftover data belonged to the dropped socket (`resume_count` is only a hint, so it is left alone).
        self.resume[id] = false;
        self.stats.disconnects += 1;
        let ob = &mut self.outboxes[id];
        ob.buf.clear();
        ob.http_busy = false;
        ob.reconnect = false;
        slot.backoff.hold_until(ob.hold_until_ns);
        self.timers
            .disarm(self.user_timers + id * TIMERS_PER_CONN + KEEPALIVE);
        if slot.spec.reconnect {
            let at = slot.backoff.next_attempt_at(now);
            self.timers
                .arm(self.user_timers + id * TIMERS_PER_CONN + LIFECYCLE, at);
            self.set_state(id, ConnState::Backoff, h, now, Some(&why));
        } else {
            self.timers
                .disarm(self.user_timers + id * TIMERS_PER_CONN + LIFECYCLE);
            self.set_state(id, ConnState::Stopped, h, now, Some(&why));
        }
    }

    fn on_timer<H: Handler>(&mut self, slot: usize, h: &mut H, now: u64) {
        if slot < self.user_timers {
            let mut cx = self.cx(now);
            h.on_timer(&mut cx, slot);
            return;
        }
        let id = (slot - self.user_timers) / TIMERS_PER_CONN;
        match ((slot - self.user_timers) % TIMERS_PER_CONN, self.states[id]) {
            (LIFECYCLE, ConnState::Backoff) => self.connect(id, h, now),
            (LIFECYCLE, ConnState::Connecting | ConnState::TlsHandshake | ConnState::Upgrading) => {
                self.fail(id, DisconnectReason::Timeout("connect/handshake"), h, now)
            }
            (LIFECYCLE, ConnState::Closing) => {
                self.fail(id, DisconnectReason::Timeout("close handshake"), h, now)
            }
            (KEEPALIVE, ConnState::Open) => {
                let s = &mut self.slots[id];
                match &mut s.t {
                    Transport::Http(_) => {
                        let e = HttpError::Timeout;
                        {
                            let mut cx = self.cx(now);
                            h.on_http(&mut cx, id, Err(&e));
                        }
                        self.fail(id, DisconnectReason::Http(e), h, now)
                    }
                    Transport::Ws(ws) => {
                        let silent = now.saturating_sub(s.last_rx_ns);
                        let dead = s.spec.dead_after_ms.map(|ms| ms * 1_000_000);
                        let ping = s.spec.idle_ping_ms.map(|ms| ms * 1_000_000);
                        if dead.is_some_and(|d| silent >= d) {
                            return self.fail(
                                id,
                                DisconnectReason::Timeout("no data from the server"),
                                h,
                                now,
                            );
                        }
                        if ping.is_some_and(|p| silent >= p) && !s.pinged {
                            s.pinged = true;
                            if let Err(e) = ws.send_ping(b"hb") {
                                return self.fail(id, DisconnectReason::Ws(e), h, now);
                            }
                        }
                        self.arm_keepalive(id, now);
                    }
                    Transport::None => {}
                }
            }
            _ => {}
        }
    }

    fn arm_keepalive(&mut self, id: ConnId, now: u64) {
        let s = &self.slots[id];
        let next = [s.spec.idle_ping_ms, s.spec.dead_after_ms]
            .into_iter()
            .flatten()
            .map(|ms| s.last_rx_ns + ms * 1_000_000)
            .filter(|&at| at > now)
            .min();
        match next {
            Some(at) => self
                .timers
                .arm(self.user_timers + id * TIMERS_PER_CONN + KEEPALIVE, at),
            None => {
                if s.spec.dead_after_ms.is_some() {
                    self.timers.arm(
                        self.user_timers + id * TIMERS_PER_CONN + KEEPALIVE,
                        now + 1_000_000,
                    );
                }
            }
        }
    }

    fn service<H: Handler>(&mut self, id: ConnId, h: &mut H, now: u64, read_closed: bool) {
        if id >= self.slots.len() {
            return;
        }
        // Take the transport out so handlers can queue output for any connection, this one included.
        let mut t = std::mem::replace(&mut self.slots[id].t, Transport::None);
        if read_closed {
            match &mut t {
                Transport::Ws(ws) => ws.tls.note_read_closed(),
                Transport::Http(hc) => hc.tls.note_read_closed(),
                Transport::None => {}
            }
        }
        let result = match &mut t {
            Transport::None => Ok(()),
            Transport::Ws(ws) => self.service_ws(id, ws, h, now),
            Transport::Http(hc) => self.service_http(id, hc, h, now),
        };
        if let Err(why) = result {
            self.slots[id].t = t;
            return self.fail(id, why, h, now);
        }
        if matches!(self.states[id], ConnState::Backoff | ConnState::Stopped) {
            // A handler asked for a reconnect while this transport was checked out: drop it here.
            if let Some(sock) = t.socket() {
                let _ = self.poll.registry().deregister(sock);
            }
            return;
        }
        self.slots[id].t = t;
        if self.dirty != 0 {
            self.flush_outboxes(h, now, None);
        }
    }

    fn connection_progress<H: Handler>(
        &mut self,
        id: ConnId,
        tls_open: bool,
        ws: Option<WsState>,
        h: &mut H,
        now: u64,
    ) {
        let s = self.states[id];
        let next = match (ws, tls_open) {
            (Some(WsState::Open), _) => ConnState::Open,
            (Some(WsState::Upgrading), _) => ConnState::Upgrading,
            (Some(WsState::Closing), _) => ConnState::Closing,
            (None, true) => ConnState::Open,
            _ if s == ConnState::Connecting => ConnState::TlsHandshake,
            _ => s,
        };
        if next != s {
            if next == ConnState::Open {
                self.slots[id].backoff.reset();
                self.timers
                    .disarm(self.user_timers + id * TIMERS_PER_CONN + LIFECYCLE);
                if ws.is_some() {
                    self.arm_keepalive(id, now);
                }
            }
            self.set_state(id, next, h, now, None);
        }
    }

    fn service_ws<H: Handler>(
        &mut self,
        id: ConnId,
        ws: &mut WsStream<TcpStream>,
        h: &mut H,
        now: u64,
    ) -> Result<(), DisconnectReason> {
        if self.states[id] == ConnState::Connecting
            && let Some(why) = connect_error(ws.tls.get_mut())
        {
            return Err(why);
        }
        ws.flush().map_err(DisconnectReason::Ws)?;
        for _ in 0..MAX_TURNS {
            let got = ws.read().map_err(|e| match e {
                crate::net::ws::WsError::Closed(c) => DisconnectReason::ClosedByPeer(c),
                e => DisconnectReason::Ws(e),
            })?;
            if got {
                self.slots[id].last_rx_ns = now;
                self.slots[id].pinged = false;
            }
            let ws_state = ws.state();
            if ws_state == WsState::Upgrading {
                // The 101 head is parsed in place; one that fills the buffer can never complete.
                let limit = MAX_RESPONSE_HEAD.min(ws.tls.max_pending_plaintext());
                if ws.tls.plaintext().len() >= limit {
                    return Err(DisconnectReason::HeadTooLarge { limit });
                }
            }
            if self.states[id] != ConnState::Open || ws_state != WsState::Open {
                self.connection_progress(id, ws.tls.is_open(), Some(ws_state), h, now);
            }
            loop {
                match ws.next_event().map_err(DisconnectReason::Ws)? {
                    None => break,
                    Some(WsEvent::Text(m) | WsEvent::Binary(m)) => {
                        self.stats.messages += 1;
                        let mut cx = self.cx(now);
                        h.on_message(&mut cx, id, m, now);
                        if self.dirty != 0 {
                            self.flush_outboxes(h, now, Some((id, &mut *ws)));
                            if matches!(self.states[id], ConnState::Backoff | ConnState::Stopped) {
                                return Ok(());
                            }
                        }
                    }
                    Some(WsEvent::Close(code)) => return Err(DisconnectReason::ClosedByPeer(code)),
                    Some(WsEvent::Ping(_) | WsEvent::Pong(_)) => {}
                }
            }
            if ws.tls.state() == TlsState::PeerClosed {
                // close_notify came with the last frames: they are delivered, and what is left is a frame the
                // peer will never finish. No further event will come for this socket, so end it now.
                return Err(DisconnectReason::ClosedByPeer(None));
            }
            if !ws.tls.read_blocked() && !ws.tls.eof_pending() {
                return Ok(());
            }
        }
        self.want_resume(id);
        Ok(())
    }

    fn want_resume(&mut self, id: ConnId) {
        if !self.resume[id] {
            self.resume[id] = true;
            self.resume_count += 1;
        }
    }

    fn service_http<H: Handler>(
        &mut self,
        id: ConnId,
        hc: &mut HttpConn<TcpStream>,
        h: &mut H,
        now: u64,
    ) -> Result<(), DisconnectReason> {
        if self.states[id] == ConnState::Connecting
            && let Some(why) = connect_error(hc.tls.get_mut())
        {
            return Err(why);
        }
        hc.tls.flush().map_err(DisconnectReason::Tls)?;
        for _ in 0..MAX_TURNS {
            let ready = hc.poll_ready();
            if self.states[id] != ConnState::Open {
                self.connection_progress(id, hc.tls.is_open(), None, h, now);
            }
            let res = match ready {
                Ok(false) => Ok(None),
                Ok(true) => hc.last_response().map(Some),
                Err(e) => Err(e),
            };
            match res {
                Ok(None) => {}
                Ok(Some(resp)) => {
                    self.stats.http_responses += 1;
                    self.outboxes[id].http_busy = false;
                    self.timers
                        .disarm(self.user_timers + id * TIMERS_PER_CONN + KEEPALIVE);
                    let mut cx = self.cx(now);
                    h.on_http(&mut cx, id, Ok(resp));
                }
                Err(e) => {
                    let fatal = !matches!(e, HttpError::Status { .. } | HttpError::Redirect { .. });
                    // An idle keep-alive socket the server closed is not a failed request: just replace it.
                    let had_request = std::mem::replace(&mut self.outboxes[id].http_busy, false);
                    self.timers
                        .disarm(self.user_timers + id * TIMERS_PER_CONN + KEEPALIVE);
                    if had_request {
                        let mut cx = self.cx(now);
                        h.on_http(&mut cx, id, Err(&e));
                    }
                    if fatal {
                        return Err(DisconnectReason::Http(e));
                    }
                }
            }
            if hc.is_closed() {
                // `Connection: close`: replace the socket now rather than fail the next request.
                return Err(DisconnectReason::ClosedByPeer(None));
            }
            if !hc.tls.read_blocked() && !hc.tls.eof_pending() {
                return Ok(());
            }
        }
        self.want_resume(id);
        Ok(())
    }

    /// Encrypts and writes every dirty outbox. `current` is the connection whose transport is checked out.
    fn flush_outboxes<H: Handler>(
        &mut self,
        h: &mut H,
        now: u64,
        mut current: Option<(ConnId, &mut WsStream<TcpStream>)>,
    ) {
        while self.dirty != 0 {
            let bit = self.dirty.trailing_zeros() as usize;
            self.dirty &= !(1u64 << bit);
            // Connections beyond 64 share bits; flush every id that maps to this bit.
            let mut id = bit;
            while id < self.slots.len() {
                let ob = &mut self.outboxes[id];
                if ob.reconnect {
                    ob.reconnect = false;
                    // A checked-out transport (`current`) is dropped by `service` when it sees the new state.
                    self.fail(id, DisconnectReason::Requested, h, now);
                    id += 64;
                    continue;
                }
                if !ob.buf.is_empty() {
                    let res = match (&mut current, &mut self.slots[id].t) {
                        // `send_raw` keeps what the TLS send buffer cannot take and writes it on writable.
                        (Some((c, ws)), _) if *c == id => {
                            ws.send_raw(&ob.buf).map_err(DisconnectReason::Ws)
                        }
                        (_, Transport::Ws(ws)) => {
                            ws.send_raw(&ob.buf).map_err(DisconnectReason::Ws)
                        }
                        (_, Transport::Http(hc)) => {
                            let r = hc.send_raw(&ob.buf).map_err(DisconnectReason::Http);
                            if r.is_ok() {
                                let at = now + self.slots[id].spec.request_timeout_ms * 1_000_000;
                                self.timers
                                    .arm(self.user_timers + id * TIMERS_PER_CONN + KEEPALIVE, at);
                            }
                            r
                        }
                        (_, Transport::None) => Ok(()),
                    };
                    ob.buf.clear();
                    if let Err(why) = res {
                        self.fail(id, why, h, now);
                    }
                }
                id += 64;
            }
        }
    }

    /// Sends close frames / close_notify on every connection and stops reconnecting.
    pub fn shutdown(&mut self) {
        for slot in &mut self.slots {
            match &mut slot.t {
                Transport::Ws(ws) => {
                    let _ = ws.close();
                    let _ = ws.tls.close();
                }
                Transport::Http(hc) => {
                    let _ = hc.tls.close();
                }
                Transport::None => {}
            }
            if let Some(sock) = slot.t.socket() {
                let _ = self.poll.registry().deregister(sock);
            }
            slot.t = Transport::None;
        }
        for s in &mut self.states {
            *s = ConnState::Stopped;
        }
    }
}

fn set_buffer(sock: &TcpStream, opt: libc::c_int, size: Option<usize>) {
    use std::os::fd::AsRawFd;
    if let Some(size) = size {
        let v = size.min(i32::MAX as usize) as libc::c_int;
        // SAFETY: the fd is a live socket owned by `sock`; the option value is a c_int of the declared length.
        unsafe {
            libc::setsockopt(
                sock.as_raw_fd(),
                libc::SOL_SOCKET,
                opt,
                (&v as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
}

/// A non-blocking connect finished with an error, or not at all yet.
fn connect_error(sock: &mut TcpStream) -> Option<DisconnectReason> {
    match sock.take_error() {
        Ok(Some(e)) | Err(e) => return Some(DisconnectReason::Connect(e)),
        Ok(None) => {}
    }
    match sock.peer_addr() {
        Ok(_) => None,
        Err(e) if e.kind() == io::ErrorKind::NotConnected => None,
        Err(e) => Some(DisconnectReason::Connect(e)),
    }
}
