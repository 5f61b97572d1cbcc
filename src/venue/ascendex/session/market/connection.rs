//! The market-data connection's lifecycle: subscribe on open (the books wait for their snapshots), mark every
//! book stale when it drops.

use super::*;

impl Core {
    pub(super) fn md_opened<L: MdLink>(&mut self, cx: &mut L, conns: &Conns) {
        let now = cx.now_ns();
        self.md_open = true;
        self.counters.md_opens += 1;
        self.ping_outstanding = false;
        self.last_ping_hp = None;
        for s in &mut self.syms {
            s.acked = false;
            s.sub_sent_ns = now;
            if s.snap != Snap::RestInflight && !s.sync.is_live() {
                s.snap = Snap::Want { not_before: 0 };
            }
        }
        let (depth, batch) = if self.cfg.depth_realtime {
            (&b"depth-realtime:"[..], b'r')
        } else {
            (&b"depth:"[..], b'd')
        };
        self.subscribe(cx, conns.md, depth, batch);
        if self.cfg.bbo {
            self.subscribe(cx, conns.md, b"bbo:", b'b');
        }
        if self.cfg.trades {
            self.subscribe(cx, conns.md, b"trades:", b't');
        }
        for k in 0..self.cfg.bars.len() {
            let mut prefix = [0u8; 32];
            let iv = self.cfg.bars[k].as_bytes();
            let n = 4 + iv.len() + 1;
            if let Some(p) = prefix.get_mut(..n) {
                p[..4].copy_from_slice(b"bar:");
                p[4..n - 1].copy_from_slice(iv);
                p[n - 1] = b':';
                self.subscribe(cx, conns.md, &prefix[..n], b'k');
            }
        }
        self.last_rx_ns = now;
        self.last_ping_ns = now;
        self.in_doubt = false;
        cx.set_timer(T_PING, now + self.half_silence_ns());
    }

    /// Half the liveness deadline: the doubt threshold, and the time a ping may take.
    pub(super) fn half_silence_ns(&self) -> u64 {
        self.cfg.silence_ms.max(2) * MS / 2
    }

    /// The liveness timer: doubt after half the deadline of silence (a ping goes out), death when the ping is not
    /// answered within the other half; a keep-alive ping every `ping_interval_ms` regardless. Re-armed for the next
    /// instant that matters, so a flowing stream costs one timer per half deadline, not one per message.
    pub(super) fn check_liveness<L: MdLink>(
        &mut self,
        cx: &mut L,
        conns: &Conns,
        now: u64,
        emit: &mut impl FnMut(&mut L, MdEvent<'_>),
    ) {
        let half = self.half_silence_ns();
        if self.ping_outstanding && now >= self.ping_sent_ns + half {
            self.counters.pong_timeouts += 1;
            self.last_fault = Some(MdFault::PongTimeout);
            self.ping_outstanding = false;
            cx.reconnect(conns.md);
            return;
        }
        let quiet = now.saturating_sub(self.last_rx_ns);
        if quiet >= half && !self.in_doubt {
            self.in_doubt = true;
            self.counters.silences += 1;
            for i in 0..self.syms.len() {
                if self.syms[i].sync.is_live() {
                    emit(
                        cx,
                        MdEvent::Status {
                            symbol: SymbolId(i as u16),
                            status: BookStatus::Silent { age_ns: quiet },
                        },
                    );
                }
            }
        }
        let interval = self.cfg.ping_interval_ms.max(1) * MS;
        if (quiet >= half || now >= self.last_ping_ns + interval)
            && !self.ping_outstanding
            && cx.send_text(conns.md, br#"{"op":"ping"}"#).is_ok()
        {
            self.counters.pings_sent += 1;
            self.ping_outstanding = true;
            self.ping_sent_ns = now;
            self.last_ping_ns = now;
        }
        let mut next = self.last_ping_ns + interval;
        next = next.min(if self.ping_outstanding {
            self.ping_sent_ns + half
        } else {
            self.last_rx_ns + half
        });
        if next <= now {
            next = now + half;
        }
        cx.set_timer(T_PING, next);
    }

    /// The first message after a silence: the books that are in sync are live again (nothing was lost: the link
    /// was only quiet).
    pub(super) fn doubt_cleared<L: MdLink>(
        &mut self,
        cx: &mut L,
        emit: &mut impl FnMut(&mut L, MdEvent<'_>),
    ) {
        self.in_doubt = false;
        for i in 0..self.syms.len() {
            if self.syms[i].sync.is_live() {
                emit(
                    cx,
                    MdEvent::Status {
                        symbol: SymbolId(i as u16),
                        status: BookStatus::Live,
                    },
                );
            }
        }
    }

    /// `{"op":"sub","id":"<tag><batch>","ch":"<prefix>A,B,..."}`, at most `sub_batch` symbols per message.
    pub(super) fn subscribe<L: MdLink>(&mut self, cx: &mut L, md: ConnId, prefix: &[u8], tag: u8) {
        let per = self.cfg.sub_batch.clamp(1, 10);
        for (b, chunk) in self.syms.chunks(per).enumerate() {
            let out = &mut self.out;
            out.clear();
            out.extend_from_slice(br#"{"op":"sub","id":""#);
            out.push(tag);
            push_u64(out, b as u64);
            out.extend_from_slice(br#"","ch":""#);
            out.extend_from_slice(prefix);
            for (k, s) in chunk.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                push_json_str(out, s.name.as_bytes());
            }
            out.extend_from_slice(br#""}"#);
            let _ = cx.send_text(md, out);
        }
    }

    pub(super) fn md_lost<L: MdLink>(
        &mut self,
        cx: &mut L,
        emit: &mut impl FnMut(&mut L, MdEvent<'_>),
    ) {
        self.md_open = false;
        self.counters.md_drops += 1;
        self.generation += 1;
        self.ping_outstanding = false;
        self.in_doubt = false;
        cx.cancel_timer(T_PING);
        for i in 0..self.syms.len() {
            let s = &mut self.syms[i];
            s.acked = false;
            s.last_seen = None;
            s.skip_until = None;
            s.sync.reset(ResyncReason::Reconnect);
            if s.snap != Snap::RestInflight {
                s.snap = Snap::Want { not_before: 0 };
            }
            self.counters.stale_events += 1;
            emit(
                cx,
                MdEvent::Status {
                    symbol: SymbolId(i as u16),
                    status: BookStatus::Stale(ResyncReason::Reconnect),
                },
            );
        }
    }
}
