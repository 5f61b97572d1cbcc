//! Messages on the market-data stream: depth diffs and snapshots into the books (strict seqnum sync, resync on
//! a gap or a crossed book), bbo, trades, bars, server pings.

use super::*;

impl Core {
    #[inline]
    pub(super) fn on_msg<L: MdLink>(
        &mut self,
        cx: &mut L,
        conns: &Conns,
        m: Msg<'_>,
        raw: &[u8],
        rx_ns: u64,
        emit: &mut impl FnMut(&mut L, MdEvent<'_>),
    ) {
        match m {
            Msg::Depth(d) => match d.kind {
                DepthKind::Diff => self.on_diff(cx, conns, &d, raw, rx_ns, emit),
                DepthKind::Snapshot => {
                    self.counters.snapshots_ws += 1;
                    self.apply_snapshot(
                        cx, conns, d.symbol, d.seqnum, d.ts, d.bids, d.asks, rx_ns, emit,
                    );
                }
            },
            Msg::Bbo(b) => {
                probe(&mut self.latency, cx, raw, rx_ns);
                emit(
                    cx,
                    MdEvent::Bbo {
                        symbol: b.symbol,
                        bbo: &b,
                    },
                );
            }
            Msg::Trades(t) => {
                probe(&mut self.latency, cx, raw, rx_ns);
                for tr in t.trades {
                    emit(
                        cx,
                        MdEvent::Trade {
                            symbol: t.symbol,
                            trade: tr,
                        },
                    );
                }
            }
            Msg::Bar(b) => {
                probe(&mut self.latency, cx, raw, rx_ns);
                emit(
                    cx,
                    MdEvent::Bar {
                        symbol: b.symbol,
                        bar: &b,
                    },
                );
            }
            Msg::Ping { hp } => self.on_server_ping(cx, conns, hp),
            Msg::Pong { .. } => {
                self.counters.pongs += 1;
                self.ping_outstanding = false;
            }
            Msg::Sub(a) => {
                if a.code != 0 {
                    self.counters.sub_errors += 1;
                    self.last_fault = Some(MdFault::SubRejected { code: a.code });
                    return;
                }
                self.counters.sub_acks += 1;
                let names =
                    a.ch.strip_prefix(b"depth:")
                        .or_else(|| a.ch.strip_prefix(b"depth-realtime:"));
                if let Some(names) = names {
                    for n in names.split(|&c| c == b',') {
                        if let Some(s) = self.syms.iter_mut().find(|s| s.name.as_bytes() == n) {
                            s.acked = true;
                        }
                    }
                    self.pump(cx, conns);
                }
            }
            Msg::Error(e) => {
                self.last_fault = Some(MdFault::Error { code: e.code });
                match snapshot_request_symbol(e.id, e.m) {
                    Some(i) if i < self.syms.len() => {
                        self.counters.snapshot_errors += 1;
                        let now = cx.now_ns();
                        let s = &mut self.syms[i];
                        if matches!(s.snap, Snap::Ws { .. }) {
                            s.snap = if self.cfg.depth_realtime {
                                Snap::Want {
                                    not_before: now + 1000 * MS,
                                }
                            } else {
                                Snap::RestWant { not_before: now }
                            };
                        }
                        self.pump(cx, conns);
                    }
                    _ => self.counters.errors += 1,
                }
            }
            Msg::Disconnected { code, .. } => {
                self.counters.disconnected_msgs += 1;
                self.last_fault = Some(MdFault::Disconnected { code });
                cx.reconnect(conns.md);
            }
            Msg::Unsub(_) | Msg::Connected { .. } | Msg::Other { .. } => {}
        }
    }

    pub(super) fn on_server_ping<L: MdLink>(&mut self, cx: &mut L, conns: &Conns, hp: Option<u64>) {
        let out = &mut self.out;
        out.clear();
        out.extend_from_slice(br#"{"op":"pong""#);
        if let Some(hp) = hp {
            out.extend_from_slice(br#","hp":"#);
            push_u64(out, hp);
        }
        out.push(b'}');
        if cx.send_text(conns.md, out).is_ok() {
            self.counters.pings_answered += 1;
        }
        if let (Some(hp), Some(prev)) = (hp, self.last_ping_hp)
            && hp < prev
        {
            // We answered every ping, yet the server counts them as missed: our pongs are not getting through.
            self.counters.hp_falls += 1;
            self.last_fault = Some(MdFault::HealthFalling { hp });
            cx.reconnect(conns.md);
        }
        self.last_ping_hp = hp.or(self.last_ping_hp);
    }

    #[inline]
    pub(super) fn on_diff<L: MdLink>(
        &mut self,
        cx: &mut L,
        conns: &Conns,
        d: &Depth<'_>,
        raw: &[u8],
        rx_ns: u64,
        emit: &mut impl FnMut(&mut L, MdEvent<'_>),
    ) {
        self.counters.diffs += 1;
        let Some(s) = self.syms.get_mut(d.symbol.0 as usize) else {
            return;
        };
        let seq = d.seqnum;
        if let Some(last) = s.last_seen {
            if seq == last.wrapping_add(1) {
                s.steps.one += 1;
            } else if seq > last {
                s.steps.more += 1;
            } else {
                s.steps.back += 1;
            }
        }
        s.last_seen = Some(s.last_seen.map_or(seq, |l| l.max(seq)));
        if let Some(floor) = s.skip_until {
            if seq <= floor && s.sync.is_live() {
                self.counters.diffs_skipped += 1;
                return;
            }
            s.skip_until = None;
        }
        match s.sync.on_diff(seq, d.bids, d.asks) {
            SyncAction::Applied(a) => {
                s.fails = 0;
                let update = BookUpdate {
                    seqnum: a.seqnum,
                    ts_ms: d.ts,
                    snapshot: false,
                    bid_levels: d.bids.len().min(u16::MAX as usize) as u16,
                    ask_levels: d.asks.len().min(u16::MAX as usize) as u16,
                    top_changed: a.bbo_changed,
                    rx_ns,
                };
                probe(&mut self.latency, cx, raw, rx_ns);
                emit(
                    cx,
                    MdEvent::Book {
                        symbol: d.symbol,
                        book: s.sync.book(),
                        update,
                    },
                );
            }
            SyncAction::RequestSnapshot(r) => self.stale(cx, conns, d.symbol, r, emit),
            SyncAction::None => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn apply_snapshot<L: MdLink>(
        &mut self,
        cx: &mut L,
        conns: &Conns,
        id: SymbolId,
        seqnum: u64,
        ts: u64,
        bids: &[Level],
        asks: &[Level],
        rx_ns: u64,
        emit: &mut impl FnMut(&mut L, MdEvent<'_>),
    ) {
        let Some(s) = self.syms.get_mut(id.0 as usize) else {
            return;
        };
        if s.sync.is_live() {
            self.counters.snapshots_ignored += 1;
            if matches!(s.snap, Snap::Ws { .. }) {
                s.snap = Snap::Idle;
            }
            return;
        }
        match s.sync.on_snapshot(seqnum, bids, asks) {
            SyncAction::Applied(a) => {
                s.snap = Snap::Idle;
                s.ever_live = true;
                s.skip_until = Some(a.seqnum);
                emit(
                    cx,
                    MdEvent::Status {
                        symbol: id,
                        status: BookStatus::Live,
                    },
                );
                let Some(s) = self.syms.get(id.0 as usize) else {
                    return;
                };
                let update = BookUpdate {
                    seqnum: a.seqnum,
                    ts_ms: ts,
                    snapshot: true,
                    bid_levels: bids.len().min(u16::MAX as usize) as u16,
                    ask_levels: asks.len().min(u16::MAX as usize) as u16,
                    top_changed: a.bbo_changed,
                    rx_ns,
                };
                emit(
                    cx,
                    MdEvent::Book {
                        symbol: id,
                        book: s.sync.book(),
                        update,
                    },
                );
            }
            SyncAction::RequestSnapshot(r) => self.stale(cx, conns, id, r, emit),
            SyncAction::None => {}
        }
    }

    /// A book went stale: tell the strategy and ask for a new snapshot.
    #[cold]
    pub(super) fn stale<L: MdLink>(
        &mut self,
        cx: &mut L,
        conns: &Conns,
        id: SymbolId,
        reason: ResyncReason,
        emit: &mut impl FnMut(&mut L, MdEvent<'_>),
    ) {
        let now = cx.now_ns();
        let Some(s) = self.syms.get_mut(id.0 as usize) else {
            return;
        };
        self.counters.stale_events += 1;
        s.skip_until = None;
        s.fails = s.fails.saturating_add(1);
        // The first retry is immediate; a book that keeps failing backs off up to 5 s.
        let delay = match s.fails {
            0 | 1 => 0,
            k => (100 * MS) << (k - 2).min(6),
        }
        .min(5_000 * MS);
        if s.snap != Snap::RestInflight {
            s.snap = Snap::Want {
                not_before: now + delay,
            };
        }
        emit(
            cx,
            MdEvent::Status {
                symbol: id,
                status: BookStatus::Stale(reason),
            },
        );
        self.pump(cx, conns);
    }
}
