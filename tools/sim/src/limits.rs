//! Per-session WebSocket message thresholds (spot/_rest_risk_limit_info_v2.md): counts per window by op group;
//! above level 1 that op group is ignored for the ban period, above level 2 the session is killed and the IP banned.

/// Thresholds as (level 1, level 2) counts per window. Defaults are the documented values (1 minute, 15 minute ban).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    pub window_ms: u64,
    pub ban_ms: u64,
    /// auth / ping / pong
    pub admin: (u32, u32),
    /// sub / unsub
    pub stream: (u32, u32),
    /// other req actions
    pub req: (u32, u32),
    /// place-order / cancel-order / cancel-all
    pub order: (u32, u32),
    /// depth-snapshot / depth-snapshot-top100 / depth-snapshot-realtime
    pub snapshot: (u32, u32),
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            window_ms: 60_000,
            ban_ms: 15 * 60_000,
            admin: (800, 1000),
            stream: (150, 200),
            req: (10_000, 10_000),
            order: (8_000, 10_000),
            snapshot: (400, 500),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Admin = 0,
    Stream = 1,
    Req = 2,
    Order = 3,
    Snapshot = 4,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Admin => "admin",
            Group::Stream => "stream",
            Group::Req => "req",
            Group::Order => "order",
            Group::Snapshot => "snapshot",
        }
    }
    /// The group of a WS message by its op and action.
    pub fn of(op: &str, action: &str) -> Option<Group> {
        match op {
            "auth" | "ping" | "pong" => Some(Group::Admin),
            "sub" | "unsub" => Some(Group::Stream),
            "req" => Some(match action.to_ascii_lowercase().as_str() {
                "place-order" | "cancel-order" | "cancel-all" => Group::Order,
                "depth-snapshot" | "depth-snapshot-top100" | "depth-snapshot-realtime" => {
                    Group::Snapshot
                }
                _ => Group::Req,
            }),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// Level 1 exceeded: ignore this message (and the group until the ban period ends).
    Ignore,
    /// Level 2 exceeded: kill the session and ban the IP.
    Ban,
}

#[derive(Clone, Debug, Default)]
pub struct OpCounters {
    window_start: u64,
    counts: [u32; 5],
    ignored_until: [u64; 5],
}

impl OpCounters {
    pub fn hit(&mut self, g: Group, now: u64, l: &Limits) -> Verdict {
        if now >= self.window_start.saturating_add(l.window_ms) {
            self.window_start = now;
            self.counts = [0; 5];
        }
        let i = g as usize;
        self.counts[i] = self.counts[i].saturating_add(1);
        let (l1, l2) = match g {
            Group::Admin => l.admin,
            Group::Stream => l.stream,
            Group::Req => l.req,
            Group::Order => l.order,
            Group::Snapshot => l.snapshot,
        };
        let c = self.counts[i];
        if c > l2 {
            return Verdict::Ban;
        }
        if c > l1 {
            self.ignored_until[i] = now.saturating_add(l.ban_ms);
            return Verdict::Ignore;
        }
        if now < self.ignored_until[i] {
            Verdict::Ignore
        } else {
            Verdict::Ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level1_ignores_level2_bans_and_the_window_resets() {
        let l = Limits {
            window_ms: 1000,
            ban_ms: 5000,
            stream: (2, 4),
            ..Limits::default()
        };
        let mut c = OpCounters::default();
        assert_eq!(c.hit(Group::Stream, 0, &l), Verdict::Ok);
        assert_eq!(c.hit(Group::Stream, 1, &l), Verdict::Ok);
        assert_eq!(c.hit(Group::Stream, 2, &l), Verdict::Ignore);
        assert_eq!(c.hit(Group::Admin, 3, &l), Verdict::Ok);
        assert_eq!(c.hit(Group::Stream, 4, &l), Verdict::Ignore);
        assert_eq!(c.hit(Group::Stream, 5, &l), Verdict::Ban);
        let mut c = OpCounters::default();
        for t in 0..3 {
            c.hit(Group::Stream, t, &l);
        }
        // New window, but the group stays ignored until the ban period ends.
        assert_eq!(c.hit(Group::Stream, 1500, &l), Verdict::Ignore);
        assert_eq!(c.hit(Group::Stream, 6000, &l), Verdict::Ok);
        assert_eq!(Group::of("req", "Place-Order"), Some(Group::Order));
        assert_eq!(Group::of("req", "depth-snapshot"), Some(Group::Snapshot));
        assert_eq!(Group::of("req", "open-order"), Some(Group::Req));
    }
}
