//! A recording `Handler` for driving the engine from integration tests.
#![allow(dead_code)]

use std::time::Duration;

use ascendex_hft::engine::{
    ConnId, ConnSpec, ConnState, Cx, DisconnectReason, Engine, Handler, RunMode,
};
use ascendex_hft::net::backoff::BackoffPolicy;
use ascendex_hft::net::http::{HttpError, Response};
use ascendex_hft::net::tls::client_config;

pub type HttpResult = Result<(u16, Vec<u8>), String>;
pub type StopWhen = Box<dyn Fn(&Recorder) -> bool>;

/// Everything the engine reported, in order.
#[derive(Default)]
pub struct Recorder {
    pub states: Vec<(ConnId, ConnState, Option<String>)>,
    pub messages: Vec<(ConnId, Vec<u8>)>,
    pub http: Vec<(ConnId, HttpResult)>,
    /// Sent on every transition to Open (per connection).
    pub on_open_ws: Vec<(ConnId, Vec<u8>)>,
    /// HTTP requests sent one after another on connection 0: (method, path, body).
    pub http_script: Vec<(String, String, Vec<u8>)>,
    pub http_next: usize,
    pub stop_when: Option<StopWhen>,
}

impl Recorder {
    pub fn opens(&self, conn: ConnId) -> usize {
        self.states
            .iter()
            .filter(|(c, s, _)| *c == conn && *s == ConnState::Open)
            .count()
    }

    pub fn failures(&self) -> Vec<String> {
        self.states
            .iter()
            .filter_map(|(_, _, r)| r.clone())
            .collect()
    }

    fn check(&self, cx: &mut Cx<'_>) {
        if self.stop_when.as_ref().is_some_and(|f| f(self)) {
            cx.stop();
        }
    }

    fn next_http(&mut self, cx: &mut Cx<'_>) {
        if self.http_next < self.http_script.len() && cx.http_ready(0) {
            let (m, p, b) = &self.http_script[self.http_next];
            if cx.http_request(0, m, p, &[], b).is_ok() {
                self.http_next += 1;
            }
        }
    }
}

impl Handler for Recorder {
    fn on_state(
        &mut self,
        cx: &mut Cx<'_>,
        conn: ConnId,
        state: ConnState,
        reason: Option<&DisconnectReason>,
    ) {
        self.states
            .push((conn, state, reason.map(|r| r.to_string())));
        if state == ConnState::Open {
            for (c, m) in &self.on_open_ws {
                if *c == conn {
                    cx.send_text(conn, m).unwrap();
                }
            }
        }
        self.check(cx);
    }

    fn on_message(&mut self, cx: &mut Cx<'_>, conn: ConnId, msg: &[u8], _rx_ns: u64) {
        self.messages.push((conn, msg.to_vec()));
        self.check(cx);
    }

    fn on_http(&mut self, cx: &mut Cx<'_>, conn: ConnId, result: Result<Response<'_>, &HttpError>) {
        self.http.push((
            conn,
            result
                .map(|r| (r.status, r.body.to_vec()))
                .map_err(|e| e.to_string()),
        ));
        self.check(cx);
    }

    fn on_idle(&mut self, cx: &mut Cx<'_>) {
        self.next_http(cx);
        self.check(cx);
    }
}

/// An engine trusting the test CA, with fast backoff so reconnect tests stay short.
pub fn engine(ca_file: &std::path::Path) -> Engine {
    Engine::new(client_config(Some(ca_file)).unwrap(), 4).unwrap()
}

pub fn fast(mut spec: ConnSpec) -> ConnSpec {
    spec.backoff = BackoffPolicy {
        base_ms: 20,
        cap_ms: 200,
    };
    spec.connect_timeout_ms = 3_000;
    spec
}

/// Runs until the recorder's stop condition holds (or 20 s pass); returns whether it held.
pub fn run_until(
    engine: &mut Engine,
    rec: &mut Recorder,
    cond: impl Fn(&Recorder) -> bool + 'static,
) -> bool {
    let cond = std::rc::Rc::new(cond);
    let c2 = cond.clone();
    rec.stop_when = Some(Box::new(move |r| c2(r)));
    engine
        .run(rec, RunMode::Block, Some(Duration::from_secs(20)))
        .unwrap();
    rec.stop_when = None;
    cond(rec)
}
