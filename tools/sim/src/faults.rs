//! Fault injection: the spec syntax, the scheduled faults, the persistent fault settings and the log.
//!
//! Spec: comma-separated items `NAME[=VALUE][@N][:SYMBOL]`.
//! - `@N` counts from the moment the spec is applied (start or `inject`): the Nth depth message (of SYMBOL when
//!   given, else of any symbol) for stream faults, the Nth REST request for `rest5xx`/`rest429`/`slow_rest`.
//!   Without `@N` a stream or REST fault fires on the next one (`@1`). `crossed_snapshot` counts depth snapshots
//!   served (WS `depth-snapshot*` replies and REST depth replies together) instead.
//! - Stream faults: `gap` (the diff is applied to the book but never sent), `dup` (sent twice), `reorder` (sent after
//!   the next diff of the same symbol), `malformed` (a broken JSON frame is sent before the diff), `unknown_fields@N`
//!   (that diff carries extra fields), `truncate` (subscribers get half a frame, then the TCP connection is cut),
//!   `close` (subscribers' connections are cut instead of sending the diff), `miss_pong` (every WS session is
//!   treated as having missed its pongs: `disconnected` message, then close), `blackhole` (the depth subscribers of
//!   SYMBOL, or of any symbol, go silent: the server stops writing to them without closing, the TCP connection
//!   stays open), `blackhole_private` (every authenticated session goes silent the same way).
//! - Snapshot fault: `crossed_snapshot` (that snapshot reply carries a crossed book; the real book is untouched).
//! - REST faults: `rest5xx` (HTTP 503), `rest429` (HTTP 429), `slow_rest@N` (that response written byte by byte).
//! - Settings (persist until `clear`): `unknown_fields` (every push carries extra fields), `slow_rest` (every
//!   response byte by byte), `early_diffs[=MS]` (snapshot replies, WS and REST, are delayed MS ms, default 1500,
//!   so diffs arrive first), `skew=MS` (the server clock runs MS ms ahead; negative = behind), `clear`.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Gap,
    Dup,
    Reorder,
    Malformed,
    UnknownFields,
    Truncate,
    Close,
    MissPong,
    Rest5xx,
    Rest429,
    SlowRest,
    EarlyDiffs,
    Skew,
    Clear,
    CrossedSnapshot,
    Blackhole,
    BlackholePrivate,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Gap => "gap",
            Kind::Dup => "dup",
            Kind::Reorder => "reorder",
            Kind::Malformed => "malformed",
            Kind::UnknownFields => "unknown_fields",
            Kind::Truncate => "truncate",
            Kind::Close => "close",
            Kind::MissPong => "miss_pong",
            Kind::Rest5xx => "rest5xx",
            Kind::Rest429 => "rest429",
            Kind::SlowRest => "slow_rest",
            Kind::EarlyDiffs => "early_diffs",
            Kind::Skew => "skew",
            Kind::Clear => "clear",
            Kind::CrossedSnapshot => "crossed_snapshot",
            Kind::Blackhole => "blackhole",
            Kind::BlackholePrivate => "blackhole_private",
        }
    }
    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "gap" => Kind::Gap,
            "dup" => Kind::Dup,
            "reorder" => Kind::Reorder,
            "malformed" => Kind::Malformed,
            "unknown_fields" => Kind::UnknownFields,
            "truncate" => Kind::Truncate,
            "close" => Kind::Close,
            "miss_pong" => Kind::MissPong,
            "rest5xx" => Kind::Rest5xx,
            "rest429" => Kind::Rest429,
            "slow_rest" => Kind::SlowRest,
            "early_diffs" => Kind::EarlyDiffs,
            "skew" => Kind::Skew,
            "clear" => Kind::Clear,
            "crossed_snapshot" => Kind::CrossedSnapshot,
            "blackhole" => Kind::Blackhole,
            "blackhole_private" => Kind::BlackholePrivate,
            _ => return None,
        })
    }
    pub fn is_rest(self) -> bool {
        matches!(self, Kind::Rest5xx | Kind::Rest429 | Kind::SlowRest)
    }
    /// Counted on snapshot replies (WS and REST alike) rather than on diffs or REST requests.
    pub fn is_snapshot(self) -> bool {
        self == Kind::CrossedSnapshot
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultItem {
    pub kind: Kind,
    pub value: Option<i64>,
    pub at: Option<u64>,
    pub symbol: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultSpecError(pub String);

impl fmt::Display for FaultSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bad fault spec item '{}': expected NAME[=VALUE][@N][:SYMBOL] with NAME one of gap, dup, reorder, malformed, unknown_fields, truncate, close, miss_pong, blackhole, blackhole_private, rest5xx, rest429, slow_rest, early_diffs, skew, crossed_snapshot, clear",
            self.0
        )
    }
}

impl std::error::Error for FaultSpecError {}

pub fn parse_spec(spec: &str) -> Result<Vec<FaultItem>, FaultSpecError> {
    let mut out = Vec::new();
    for raw in spec.split(',') {
        let item = raw.trim();
        if item.is_empty() {
            continue;
        }
        let bad = || FaultSpecError(item.to_string());
        let (head, symbol) = match item.split_once(':') {
            Some((h, s)) if !s.is_empty() => (h, Some(s.to_string())),
            Some(_) => return Err(bad()),
            None => (item, None),
        };
        let (head, at) = match head.split_once('@') {
            Some((h, n)) => (
                h,
                Some(n.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(bad)?),
            ),
            None => (head, None),
        };
        let (name, value) = match head.split_once('=') {
            Some((h, v)) => (h, Some(v.parse::<i64>().map_err(|_| bad())?)),
            None => (head, None),
        };
        let kind = Kind::parse(name).ok_or_else(bad)?;
        if kind == Kind::Skew && value.is_none() {
            return Err(bad());
        }
        out.push(FaultItem {
            kind,
            value,
            at,
            symbol,
        });
    }
    Ok(out)
}

/// One fault as it happened (what a test checks the client's reaction against).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRecord {
    pub at_ms: u64,
    pub kind: String,
    pub symbol: Option<String>,
    pub seqnum: Option<u64>,
    pub detail: String,
}

#[derive(Clone, Debug)]
pub struct Pending {
    pub kind: Kind,
    /// Absolute counter value (depth messages of `symbol` or of all symbols; REST requests; snapshot replies of
    /// `symbol` or of all symbols) at which it fires.
    pub at: u64,
    pub symbol: Option<String>,
}

#[derive(Default, Debug)]
pub struct FaultState {
    pub pending: Vec<Pending>,
    pub unknown_fields: bool,
    pub slow_rest: bool,
    pub early_diffs_ms: u64,
    pub skew_ms: i64,
    pub depth_count: u64,
    pub depth_count_sym: Vec<u64>,
    pub rest_count: u64,
    /// Depth snapshot replies served (WS and REST), in total and per symbol index.
    pub snapshot_count: u64,
    pub snapshot_count_sym: Vec<u64>,
    pub log: Vec<FaultRecord>,
}

impl FaultState {
    pub fn record(
        &mut self,
        at_ms: u64,
        kind: &str,
        symbol: Option<String>,
        seqnum: Option<u64>,
        detail: impl Into<String>,
    ) {
        self.log.push(FaultRecord {
            at_ms,
            kind: kind.to_string(),
            symbol,
            seqnum,
            detail: detail.into(),
        });
    }

    /// Schedules or applies the items; `sym_index` maps a symbol to its index (None = unknown symbol).
    pub fn apply(
        &mut self,
        items: Vec<FaultItem>,
        now_ms: u64,
        sym_index: impl Fn(&str) -> Option<usize>,
    ) -> Result<Vec<Kind>, FaultSpecError> {
        let mut immediate = Vec::new();
        for it in items {
            let n = it.at.unwrap_or(1);
            match (it.kind, it.at) {
                (Kind::UnknownFields, None) => {
                    self.unknown_fields = true;
                    self.record(
                        now_ms,
                        "unknown_fields",
                        None,
                        None,
                        "every push now carries unknown fields",
                    );
                }
                (Kind::SlowRest, None) => {
                    self.slow_rest = true;
                    self.record(
                        now_ms,
                        "slow_rest",
                        None,
                        None,
                        "every REST response is now written byte by byte",
                    );
                }
                (Kind::EarlyDiffs, _) => {
                    self.early_diffs_ms = it.value.unwrap_or(1500).clamp(0, 3_600_000) as u64;
                    self.record(
                        now_ms,
                        "early_diffs",
                        None,
                        None,
                        format!("snapshot replies delayed {} ms", self.early_diffs_ms),
                    );
                }
                (Kind::Skew, _) => {
                    self.skew_ms = it.value.unwrap_or(0);
                    self.record(
                        now_ms,
                        "skew",
                        None,
                        None,
                        format!("server clock skewed by {} ms", self.skew_ms),
                    );
                }
                (Kind::Clear, _) => {
                    self.unknown_fields = false;
                    self.slow_rest = false;
                    self.early_diffs_ms = 0;
                    self.skew_ms = 0;
                    self.pending.clear();
                    self.record(now_ms, "clear", None, None, "all fault settings cleared");
                }
                (Kind::MissPong, None) if it.symbol.is_none() => immediate.push(Kind::MissPong),
                (k, _) if k.is_rest() => {
                    self.pending.push(Pending {
                        kind: k,
                        at: self.rest_count.saturating_add(n),
                        symbol: None,
                    });
                }
                (k, _) => {
                    let (total, per_sym) = if k.is_snapshot() {
                        (self.snapshot_count, &self.snapshot_count_sym)
                    } else {
                        (self.depth_count, &self.depth_count_sym)
                    };
                    let base = match &it.symbol {
                        Some(s) => {
                            let i = sym_index(s).ok_or_else(|| {
                                FaultSpecError(format!("{}:{s} (unknown symbol)", k.name()))
                            })?;
                            per_sym.get(i).copied().unwrap_or(0)
                        }
                        None => total,
                    };
                    self.pending.push(Pending {
                        kind: k,
                        at: base.saturating_add(n),
                        symbol: it.symbol.clone(),
                    });
                }
            }
        }
        Ok(immediate)
    }

    /// Counts one depth message of symbol `sym` and returns the stream faults that fire on it.
    pub fn on_depth(&mut self, sym: usize, symbol: &str) -> Vec<Kind> {
        self.depth_count += 1;
        if self.depth_count_sym.len() <= sym {
            self.depth_count_sym.resize(sym + 1, 0);
        }
        self.depth_count_sym[sym] += 1;
        if self.pending.is_empty() {
            return Vec::new();
        }
        let (total, mine) = (self.depth_count, self.depth_count_sym[sym]);
        let mut fired = Vec::new();
        self.pending.retain(|p| {
            if p.kind.is_rest() || p.kind.is_snapshot() {
                return true;
            }
            let hit = match &p.symbol {
                Some(s) => s == symbol && p.at == mine,
                None => p.at == total,
            };
            if hit {
                fired.push(p.kind);
            }
            !hit
        });
        fired
    }

    /// Counts one depth snapshot reply of symbol `sym` (WS or REST) and returns whether it must be crossed.
    pub fn on_snapshot(&mut self, sym: usize, symbol: &str) -> bool {
        self.snapshot_count += 1;
        if self.snapshot_count_sym.len() <= sym {
            self.snapshot_count_sym.resize(sym + 1, 0);
        }
        self.snapshot_count_sym[sym] += 1;
        let (total, mine) = (self.snapshot_count, self.snapshot_count_sym[sym]);
        let mut fired = false;
        self.pending.retain(|p| {
            if !p.kind.is_snapshot() {
                return true;
            }
            let hit = match &p.symbol {
                Some(s) => s == symbol && p.at == mine,
                None => p.at == total,
            };
            fired |= hit;
            !hit
        });
        fired
    }

    /// Counts one REST request and returns the REST faults that fire on it.
    pub fn on_rest(&mut self) -> Vec<Kind> {
        self.rest_count += 1;
        let n = self.rest_count;
        let mut fired = Vec::new();
        self.pending.retain(|p| {
            let hit = p.kind.is_rest() && p.at == n;
            if hit {
                fired.push(p.kind);
            }
            !hit
        });
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let items = parse_spec("gap@100,dup@200,reorder@300,malformed@400,unknown_fields,truncate@500,close@600,early_diffs,rest5xx@3,rest429@2,slow_rest,skew=40000,miss_pong").unwrap();
        assert_eq!(items.len(), 13);
        assert_eq!(
            items[0],
            FaultItem {
                kind: Kind::Gap,
                value: None,
                at: Some(100),
                symbol: None
            }
        );
        assert_eq!(
            items[11],
            FaultItem {
                kind: Kind::Skew,
                value: Some(40000),
                at: None,
                symbol: None
            }
        );
        let it = parse_spec("gap@5:BTC/USDT, early_diffs=200").unwrap();
        assert_eq!(it[0].symbol.as_deref(), Some("BTC/USDT"));
        assert_eq!(it[1].value, Some(200));
        assert!(parse_spec("gapp@1").is_err());
        assert!(parse_spec("gap@0").is_err());
        assert!(parse_spec("gap@x").is_err());
        assert!(parse_spec("skew").is_err());
        assert!(parse_spec("").unwrap().is_empty());
    }

    #[test]
    fn counters_fire_relative_to_application() {
        let mut f = FaultState::default();
        f.on_depth(0, "A");
        f.on_depth(1, "B");
        let items = parse_spec("gap@2,dup@1:B,rest429@2").unwrap();
        f.apply(items, 0, |s| if s == "B" { Some(1) } else { Some(0) })
            .unwrap();
        assert!(f.on_depth(0, "A").is_empty());
        assert_eq!(f.on_depth(1, "B"), vec![Kind::Gap, Kind::Dup]);
        assert!(f.on_rest().is_empty());
        assert_eq!(f.on_rest(), vec![Kind::Rest429]);
        assert!(f.pending.is_empty());
    }

    #[test]
    fn crossed_snapshot_counts_snapshots_not_diffs() {
        let mut f = FaultState::default();
        f.on_snapshot(1, "B");
        let items = parse_spec("crossed_snapshot@2:B,crossed_snapshot").unwrap();
        assert_eq!(items[0].kind, Kind::CrossedSnapshot);
        f.apply(items, 0, |s| if s == "B" { Some(1) } else { Some(0) })
            .unwrap();
        // Diffs and REST requests never fire it.
        assert!(f.on_depth(1, "B").is_empty());
        assert!(f.on_rest().is_empty());
        assert_eq!(f.pending.len(), 2);
        // The unqualified one fires on the next snapshot of any symbol, the qualified one on B's second.
        assert!(f.on_snapshot(0, "A"));
        assert!(!f.on_snapshot(1, "B"));
        assert!(f.on_snapshot(1, "B"));
        assert!(!f.on_snapshot(1, "B"));
        assert!(f.pending.is_empty());
        assert!(parse_spec("crossed_snapshots").is_err());
    }
}
