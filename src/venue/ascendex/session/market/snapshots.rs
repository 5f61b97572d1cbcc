//! Snapshot requests: over the WebSocket (`depth-snapshot`) first, REST as the fallback, paced by the
//! snapshot budget and retried with backoff.

use super::*;

impl Core {
    /// Sends the snapshot requests that are due and arms the timer for the next one.
    pub(super) fn pump<L: MdLink>(&mut self, cx: &mut L, conns: &Conns) {
        let now = cx.now_ns();
        let timeout = self.cfg.snapshot_timeout_ms * MS;
        let mut next = u64::MAX;
        for i in 0..self.syms.len() {
            // At most two steps per symbol per pass (a timed-out socket request falls through to REST).
            for _ in 0..2 {
                let s = &self.syms[i];
                match s.snap {
                    Snap::Idle | Snap::RestInflight => break,
                    Snap::Want { not_before } => {
                        if !self.cfg.ws_snapshots {
                            self.syms[i].snap = Snap::RestWant { not_before };
                            continue;
                        }
                        if !self.md_open {
                            break;
                        }
                        let at = if s.acked {
                            not_before
                        } else {
                            not_before.max(s.sub_sent_ns + timeout)
                        };
                        if now < at {
                            next = next.min(at);
                            break;
                        }
                        let oldest = self.snap_times[self.snap_next];
                        if oldest != 0 && now < oldest + 60_000 * MS {
                            // The socket's budget is spent; REST has no documented limit and the throttled
                            // channel's seqnums are on its scale.
                            self.counters.snapshots_deferred += 1;
                            if !self.cfg.depth_realtime {
                                self.syms[i].snap = Snap::RestWant { not_before: now };
                                continue;
                            }
                            next = next.min(oldest + 60_000 * MS);
                            break;
                        }
                        if self.request_ws_snapshot(cx, conns.md, i) {
                            self.snap_times[self.snap_next] = now.max(1);
                            self.snap_next = (self.snap_next + 1) % self.snap_times.len();
                            self.syms[i].snap = Snap::Ws {
                                deadline: now + timeout,
                            };
                            next = next.min(now + timeout);
                        } else {
                            next = next.min(now + 100 * MS);
                        }
                        break;
                    }
                    Snap::Ws { deadline } => {
                        if now < deadline {
                            next = next.min(deadline);
                            break;
                        }
                        self.counters.snapshot_timeouts += 1;
                        // The realtime channel's seqnums are per session: a REST snapshot is not on their scale.
                        self.syms[i].snap = if self.cfg.depth_realtime {
                            Snap::Want { not_before: now }
                        } else {
                            Snap::RestWant { not_before: now }
                        };
                    }
                    Snap::RestWant { not_before } => {
                        if now < not_before {
                            next = next.min(not_before);
                            break;
                        }
                        if self.rest_inflight.is_some() {
                            // `on_http` pumps again.
                            break;
                        }
                        if !cx.http_ready(conns.md_rest) {
                            // `on_state(md_rest, Open)` pumps again; this is the safety net.
                            next = next.min(now + 200 * MS);
                            break;
                        }
                        depth_path(&mut self.path, &s.name);
                        let sent = std::str::from_utf8(&self.path)
                            .ok()
                            .is_some_and(|p| cx.http_get(conns.md_rest, p).is_ok());
                        if sent {
                            self.counters.snapshot_requests_rest += 1;
                            self.rest_inflight = Some((i, self.generation));
                            self.syms[i].snap = Snap::RestInflight;
                        } else {
                            next = next.min(now + 200 * MS);
                        }
                        break;
                    }
                }
            }
        }
        if next == u64::MAX {
            cx.cancel_timer(T_SNAPSHOT);
        } else {
            cx.set_timer(T_SNAPSHOT, next);
        }
    }

    /// `{"op":"req","id":"s<i>","action":"depth-snapshot","args":{"symbol":"..."}}`.
    pub(super) fn request_ws_snapshot<L: MdLink>(
        &mut self,
        cx: &mut L,
        md: ConnId,
        i: usize,
    ) -> bool {
        let Some(s) = self.syms.get(i) else {
            return false;
        };
        let out = &mut self.out;
        out.clear();
        out.extend_from_slice(br#"{"op":"req","id":"s"#);
        push_u64(out, i as u64);
        out.extend_from_slice(br#"","action":""#);
        out.extend_from_slice(if self.cfg.depth_realtime {
            b"depth-snapshot-realtime"
        } else {
            b"depth-snapshot"
        });
        out.extend_from_slice(br#"","args":{"symbol":""#);
        push_json_str(out, s.name.as_bytes());
        out.extend_from_slice(br#""}}"#);
        let ok = cx.send_text(md, out).is_ok();
        if ok {
            self.counters.snapshot_requests_ws += 1;
        }
        ok
    }
}
