//! Scripted answers for tests of a client against hostile or broken servers: a REST path answered with a given
//! status, `Retry-After` and body instead of the endpoint (numbers spelled wrongly, HTML error pages, empty
//! bodies, HTTP 400/404/429), WebSocket upgrades refused with a status, and a log of every REST request with its
//! arrival time so a test can check a client's pacing against what the server saw.
//!
//! The HTTP request parser is not involved: a script matches the parsed method and path.

use std::time::Instant;

/// One scripted answer. `times: None` answers every matching request; `Some(n)` the next `n` only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scripted {
    /// `None` matches any method.
    pub method: Option<String>,
    /// The exact path (no query), e.g. `/api/pro/v1/spot/ticker`; a trailing `*` matches by prefix.
    pub path: String,
    pub times: Option<u32>,
    pub status: u16,
    /// Sent as `Retry-After` when set.
    pub retry_after: Option<String>,
    pub body: String,
}

impl Scripted {
    /// A `200` answer with `body` to every request for `path`.
    pub fn ok(path: &str, body: impl Into<String>) -> Scripted {
        Scripted {
            method: None,
            path: path.to_string(),
            times: None,
            status: 200,
            retry_after: None,
            body: body.into(),
        }
    }

    /// An answer with `status` and `body` to every request for `path`.
    pub fn status(path: &str, status: u16, body: impl Into<String>) -> Scripted {
        Scripted {
            status,
            ..Scripted::ok(path, body)
        }
    }

    pub fn times(self, n: u32) -> Scripted {
        Scripted {
            times: Some(n),
            ..self
        }
    }

    pub fn retry_after(self, v: &str) -> Scripted {
        Scripted {
            retry_after: Some(v.to_string()),
            ..self
        }
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        let m = self
            .method
            .as_deref()
            .is_none_or(|x| x.eq_ignore_ascii_case(method));
        let p = match self.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => path == self.path,
        };
        m && p && self.times != Some(0)
    }
}

/// A REST request as the simulator received it.
#[derive(Clone, Debug)]
pub struct RestLogEntry {
    pub at: Instant,
    pub method: String,
    pub path: String,
    pub query: String,
    /// The status answered.
    pub status: u16,
}

#[derive(Default)]
pub struct Script {
    rest: Vec<Scripted>,
    /// WebSocket upgrades answered with this status and body instead of `101`.
    pub ws_refuse: Option<(u16, String)>,
    pub log: Vec<RestLogEntry>,
}

/// At most this many log entries are kept (a test reads the recent ones; a long-running simulator stays bounded).
const LOG_CAP: usize = 100_000;

impl Script {
    pub fn add(&mut self, s: Scripted) {
        self.rest.push(s);
    }

    pub fn clear(&mut self) {
        self.rest.clear();
        self.ws_refuse = None;
    }

    /// The first live script for this request, consumed once when it is counted.
    pub fn take(&mut self, method: &str, path: &str) -> Option<Scripted> {
        let s = self.rest.iter_mut().find(|s| s.matches(method, path))?;
        if let Some(n) = &mut s.times {
            *n -= 1;
        }
        Some(s.clone())
    }

    pub fn record(&mut self, method: &str, path: &str, query: &str, status: u16) {
        if self.log.len() >= LOG_CAP {
            self.log.drain(..LOG_CAP / 2);
        }
        self.log.push(RestLogEntry {
            at: Instant::now(),
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            status,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_scripts_run_out_and_prefixes_match() {
        let mut s = Script::default();
        s.add(Scripted::status("/api/pro/v1/barhist", 429, "{}").times(1));
        s.add(Scripted::ok("/api/pro/v1/spot/*", "x"));
        assert_eq!(
            s.take("GET", "/api/pro/v1/barhist").map(|x| x.status),
            Some(429)
        );
        assert_eq!(s.take("GET", "/api/pro/v1/barhist"), None);
        assert!(s.take("GET", "/api/pro/v1/spot/ticker").is_some());
        assert!(s.take("GET", "/api/pro/v1/cash/ticker").is_none());
    }
}
