//! A market-data update that makes the strategy place an order allocates nothing, from the update's bytes to the
//! order frame written — and neither does the rest of steady-state trading (acks, order pushes with balances,
//! cancels, cancel replies, timers).
//!
//! The simulator streams BTC/USDT depth diffs over real TLS to the authenticated trade socket; on every diff the
//! "strategy" cancels its previous order and places a new post-only one (quantize, risk, budget, ids, tracker,
//! encode, queue; the engine encrypts and writes after the callback). A counting global allocator counts on this
//! thread only (the simulator's threads allocate freely), from diff 500 to diff 3,500.

#[path = "trade_session/common.rs"]
mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use ascendex_hft::engine::{ConnId, ConnState, Cx, DisconnectReason, Handler, RunMode};
use ascendex_hft::net::http::{HttpError, Response};
use ascendex_hft::orders::OpLimits;
use ascendex_hft::orders::OrderHandle;
use ascendex_hft::orders::types::Side;
use ascendex_hft::strategy::PlaceRequest;
use ascendex_hft::venue::ascendex::session::{Session, TradingConfig};
use ascendex_sim::SimConfig;
use common::*;

mod alloc_gate;

use alloc_gate::{ALLOCS, COUNTING};

#[global_allocator]
static GLOBAL: alloc_gate::Counting = alloc_gate::Counting;

const WARMUP: u64 = 500;
const MEASURED: u64 = 3_000;

struct Trader {
    s: Session<Rec>,
    subscribed: bool,
    depth: u64,
    last: Option<OrderHandle>,
    price: i64,
    qty: i64,
    placed: u64,
    refused: u64,
    acks_at_start: u64,
    allocs: Option<u64>,
    first_err: Option<ascendex_hft::venue::ascendex::session::PlaceError>,
}

fn is_depth(m: &[u8]) -> bool {
    m.windows(11).any(|w| w == b"\"m\":\"depth\"")
}

impl Handler for Trader {
    fn on_state(
        &mut self,
        cx: &mut Cx<'_>,
        c: ConnId,
        st: ConnState,
        w: Option<&DisconnectReason>,
    ) {
        self.s.on_state(cx, c, st, w);
    }
    fn on_message(&mut self, cx: &mut Cx<'_>, c: ConnId, m: &[u8], rx: u64) {
        self.s.on_message(cx, c, m, rx);
        let trade = self.s.conns.trade.unwrap();
        if c != trade || !self.s.trading.is_ready() {
            return;
        }
        if !self.subscribed {
            self.subscribed = true;
            cx.send_text(trade, br#"{"op":"sub","id":"md1","ch":"depth:BTC/USDT"}"#)
                .unwrap();
            return;
        }
        if !is_depth(m) || self.allocs.is_some() {
            return;
        }
        self.depth += 1;
        if self.depth == WARMUP {
            self.acks_at_start = self.s.trading.stats.acks;
            ALLOCS.store(0, Ordering::SeqCst);
            COUNTING.with(|c| c.set(true));
        }
        // The strategy's decision on this update: replace the quote.
        if let Some(h) = self.last.take() {
            let _ = self.s.trading.cancel(cx, h);
        }
        let req = PlaceRequest::post_only(
            SYM,
            Side::Buy,
            self.price - (self.depth as i64 % 7),
            self.qty,
        );
        match self.s.trading.place(cx, &req) {
            Ok(h) => {
                self.last = Some(h);
                self.placed += 1;
            }
            Err(e) => {
                self.refused += 1;
                if self.first_err.is_none() {
                    self.first_err = Some(e);
                }
            }
        }
        if self.depth == WARMUP + MEASURED {
            COUNTING.with(|c| c.set(false));
            self.allocs = Some(ALLOCS.load(Ordering::SeqCst));
            cx.stop();
        }
    }
    fn on_http(&mut self, cx: &mut Cx<'_>, c: ConnId, r: Result<Response<'_>, &HttpError>) {
        self.s.on_http(cx, c, r);
    }
    fn on_timer(&mut self, cx: &mut Cx<'_>, id: usize) {
        self.s.on_timer(cx, id);
    }
    fn on_idle(&mut self, cx: &mut Cx<'_>) {
        self.s.on_idle(cx);
    }
}

#[test]
fn depth_update_to_order_frame_allocates_nothing() {
    let mut cfg = SimConfig {
        rate: 1_000,
        symbols: vec!["BTC/USDT".into()],
        ..SimConfig::default()
    };
    cfg.limits.order = (1_000_000, 1_000_000);
    cfg.limits.req = (1_000_000, 1_000_000);
    let sim = sim_with(cfg);
    let big = OpLimits {
        admin: 800,
        stream: 150,
        req: 1_000_000,
        order_req: 1_000_000,
        snapshot_req: 400,
    };
    let (mut e, s) = start(
        &sim,
        TradingConfig {
            op_limits: big,
            max_orders_per_sec: 100_000,
            max_open_orders: 4_000,
            ..TradingConfig::default()
        },
    );
    let mut t = Trader {
        s,
        subscribed: false,
        depth: 0,
        last: None,
        price: 0,
        qty: 0,
        placed: 0,
        refused: 0,
        acks_at_start: 0,
        allocs: None,
        first_err: None,
    };
    ready(&mut e, &mut t.s);
    t.s.strategy.quiet = true;
    let (bid, _) = top(&sim, &t.s);
    let (lot, _, _) = lot(&t.s);
    t.price = bid * 9 / 10;
    t.qty = 100 * lot;
    e.run(&mut t, RunMode::Block, Some(Duration::from_secs(60)))
        .unwrap();
    COUNTING.with(|c| c.set(false));
    assert_eq!(
        t.depth,
        WARMUP + MEASURED,
        "not enough depth updates arrived"
    );
    assert!(t.allocs.is_some());
    assert!(
        t.placed >= MEASURED / 2,
        "placed {} refused {} ({:?}) {:?}",
        t.placed,
        t.refused,
        t.first_err,
        t.s.trading.stats
    );
    assert!(
        t.s.trading.stats.acks - t.acks_at_start > MEASURED / 4,
        "the exchange acknowledged too few orders: {:?}",
        t.s.trading.stats
    );
    assert_eq!(
        t.allocs,
        Some(0),
        "allocations over {MEASURED} depth updates that each placed (and canceled) an order"
    );
}
