//! The matching engine: one price-time-priority book per symbol holding synthetic liquidity and the
//! account's orders, balances with locked/available amounts, maker/taker fees, and order history.
//! Every book change produces exactly one depth diff with the symbol's seqnum + 1.

use crate::dec;
use crate::market::{ASSET_SCALE, Product};
use crate::rng::Rng;
use std::collections::{BTreeMap, HashMap, VecDeque};

pub use crate::bars::{Bar, INTERVAL_MS, INTERVALS, bar_start, prev_bar_start};
use crate::flow::prefill_history;

/// A book level: (price units, quantity units).
pub type Lvl = (i64, i64);
/// Best bid and best ask.
pub type Top = (Option<Lvl>, Option<Lvl>);
/// Bids and asks, best first.
pub type Sides = (Vec<Lvl>, Vec<Lvl>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Buy => "Buy",
            Side::Sell => "Sell",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrdType {
    Limit,
    Market,
}

impl OrdType {
    pub fn name(self) -> &'static str {
        match self {
            OrdType::Limit => "Limit",
            OrdType::Market => "Market",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tif {
    Gtc,
    Ioc,
    Fok,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    New,
    PartiallyFilled,
    Filled,
    Canceled,
    Rejected,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::New => "New",
            Status::PartiallyFilled => "PartiallyFilled",
            Status::Filled => "Filled",
            Status::Canceled => "Canceled",
            Status::Rejected => "Rejected",
        }
    }
    pub fn is_open(self) -> bool {
        matches!(self, Status::New | Status::PartiallyFilled)
    }
}

/// An order of the simulated account.
#[derive(Clone, Debug)]
pub struct Order {
    pub order_id: String,
    pub client_id: String,
    pub sym: usize,
    pub side: Side,
    pub otype: OrdType,
    pub tif: Tif,
    pub post_only: bool,
    /// Limit price in price units (0 for market orders).
    pub price: i64,
    pub qty: i64,
    pub filled: i64,
    /// Sum of fill price * fill qty at scale pscale + qscale (for the average price).
    pub cum_px_qty: i128,
    /// Cumulative fee at ASSET_SCALE.
    pub cum_fee: i128,
    pub fee_asset: String,
    pub status: Status,
    pub err: String,
    pub create_ms: u64,
    pub last_exec_ms: u64,
    pub seq: u64,
    /// Amount still locked for this order, in `lock_asset` at ASSET_SCALE.
    pub locked: i128,
    pub lock_asset: String,
}

impl Order {
    pub fn avg_px(&self, p: &Product) -> String {
        if self.filled == 0 {
            return "0".to_string();
        }
        // Four extra digits, truncated: the average of exact prices is rational.
        let v = self.cum_px_qty * dec::pow10(4) / i128::from(self.filled);
        dec::fmt(v, p.pscale + 4)
    }
    pub fn exec_inst(&self) -> &'static str {
        if self.post_only { "Post" } else { "NULL_VAL" }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Balance {
    pub total: i128,
    pub locked: i128,
}

#[derive(Clone, Debug)]
pub(crate) struct Resting {
    pub(crate) qty: i64,
    /// Index into Engine::orders for the account's orders; None for synthetic liquidity.
    pub(crate) client: Option<usize>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Level {
    pub(crate) total: i64,
    pub(crate) q: VecDeque<Resting>,
}

#[derive(Clone, Copy, Debug)]
pub struct TradeRec {
    pub px: i64,
    pub qty: i64,
    pub ts: u64,
    pub bm: bool,
    pub seqnum: u64,
}

pub struct SymState {
    pub(crate) bids: BTreeMap<i64, Level>,
    pub(crate) asks: BTreeMap<i64, Level>,
    pub seqnum: u64,
    pub trade_seq: u64,
    pub trades: VecDeque<TradeRec>,
    /// Per interval: completed bars (oldest first, at most 500) and the bar in progress.
    pub bars: Vec<(VecDeque<Bar>, Bar)>,
    pub last_px: i64,
    /// Synthetic flow state.
    pub fair: i64,
    pub step: i64,
    pub unit_qty: i64,
    pub last_depth_ts: u64,
}

/// One market-data or account event produced by an engine operation, in order.
#[derive(Clone, Debug)]
pub enum Ev {
    Depth {
        sym: usize,
        seqnum: u64,
        ts: u64,
        asks: Vec<(i64, i64)>,
        bids: Vec<(i64, i64)>,
    },
    Trade {
        sym: usize,
        t: TradeRec,
    },
    Bbo {
        sym: usize,
        ts: u64,
        bid: Option<(i64, i64)>,
        ask: Option<(i64, i64)>,
    },
    Order {
        msg: OrderMsg,
        audience: Audience,
    },
    /// A failed cancel (ready-ack sessions get an OrderCancelReject message).
    CancelReject {
        cancel_id: String,
        orig_id: String,
        sym: usize,
        ts: u64,
        sn: u64,
        text: String,
    },
    Balance {
        asset: String,
        sn: u64,
    },
}

/// Which WebSocket sessions get an order message: New-ack mode sees `New`, Ready-ack mode sees `Ready`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    All,
    NewAck,
    ReadyAck,
}

/// An order update as pushed on the order channel, rendered at the time of the event.
#[derive(Clone, Debug)]
pub struct OrderMsg {
    pub idx: usize,
    pub status: String,
    pub sn: u64,
    pub fields: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectErr {
    pub code: i64,
    pub reason: &'static str,
    pub message: String,
}

fn rej(code: i64, reason: &'static str, message: impl Into<String>) -> RejectErr {
    RejectErr {
        code,
        reason,
        message: message.into(),
    }
}

/// A validated new-order request.
#[derive(Clone, Debug)]
pub struct NewOrder {
    pub sym: usize,
    pub side: Side,
    pub otype: OrdType,
    pub tif: Tif,
    pub post_only: bool,
    pub price: i64,
    pub qty: i64,
    pub client_id: String,
    pub order_id: String,
}

pub struct Engine {
    pub products: Vec<Product>,
    pub syms: Vec<SymState>,
    pub orders: Vec<Order>,
    pub by_id: HashMap<String, usize>,
    pub balances: BTreeMap<String, Balance>,
    pub sn: u64,
    pub maker_fee: (i128, u32),
    pub taker_fee: (i128, u32),
    /// Levels per side kept by the synthetic flow.
    pub max_levels: usize,
    /// Completed bars kept per symbol and interval.
    pub max_bars: usize,
}

#[derive(Default)]
pub(crate) struct Changes {
    bids: Vec<i64>,
    asks: Vec<i64>,
}

impl Changes {
    pub(crate) fn touch(&mut self, side: Side, px: i64) {
        let v = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        if !v.contains(&px) {
            v.push(px);
        }
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }
}

fn fee_of(amount: i128, rate: (i128, u32)) -> i128 {
    // amount at ASSET_SCALE times rate at scale s: round the commission up.
    dec::rescale(amount * rate.0, ASSET_SCALE + rate.1, ASSET_SCALE, true)
}

impl Engine {
    pub fn new(
        products: Vec<Product>,
        maker_fee: (i128, u32),
        taker_fee: (i128, u32),
        seed: u64,
        now: u64,
    ) -> Engine {
        let mut rng = Rng::new(seed ^ 0x5151);
        let syms = products
            .iter()
            .map(|p| {
                let step = (p.start_px / 10_000 / p.tick).max(1) * p.tick;
                // About 500 USDT per unit at the start price.
                let unit_notional = dec::pow10(p.pscale + p.qscale) * 500;
                let unit_qty =
                    ((unit_notional / i128::from(p.start_px.max(1))) as i64 / p.lot).max(1) * p.lot;
                let mut s = SymState {
                    bids: BTreeMap::new(),
                    asks: BTreeMap::new(),
                    seqnum: 100_000 + rng.below(900_000),
                    trade_seq: 1_000_000 + rng.below(1_000_000),
                    trades: VecDeque::new(),
                    bars: Vec::new(),
                    last_px: p.start_px,
                    fair: p.start_px,
                    step,
                    unit_qty,
                    last_depth_ts: now,
                };
                prefill_history(p, &mut s, &mut rng, now);
                s
            })
            .collect();
        Engine {
            products,
            syms,
            orders: Vec::new(),
            by_id: HashMap::new(),
            balances: BTreeMap::new(),
            sn: 1_000,
            maker_fee,
            taker_fee,
            max_levels: 40,
            max_bars: 500,
        }
    }

    pub fn sym_index(&self, symbol: &str) -> Option<usize> {
        self.products.iter().position(|p| p.symbol == symbol)
    }

    fn next_sn(&mut self) -> u64 {
        self.sn += 1;
        self.sn
    }

    pub fn balance(&self, asset: &str) -> Balance {
        self.balances.get(asset).cloned().unwrap_or_default()
    }

    /// Sets an asset's total balance (keeping what is locked) and reports the change as a balance event.
    pub fn set_balance(&mut self, asset: &str, total: i128) -> Ev {
        let b = self.balances.entry(asset.to_string()).or_default();
        b.total = total.max(b.locked);
        let sn = self.next_sn();
        Ev::Balance {
            asset: asset.to_string(),
            sn,
        }
    }

    /// Book levels best first: (bids, asks), each (price, total qty), at most `depth` per side.
    pub fn levels(&self, sym: usize, depth: usize) -> Sides {
        let s = &self.syms[sym];
        let bids = s
            .bids
            .iter()
            .rev()
            .take(depth)
            .map(|(p, l)| (*p, l.total))
            .collect();
        let asks = s
            .asks
            .iter()
            .take(depth)
            .map(|(p, l)| (*p, l.total))
            .collect();
        (bids, asks)
    }

    pub fn best(&self, sym: usize) -> Top {
        let s = &self.syms[sym];
        (
            s.bids.iter().next_back().map(|(p, l)| (*p, l.total)),
            s.asks.iter().next().map(|(p, l)| (*p, l.total)),
        )
    }

    pub(crate) fn book_side(&mut self, sym: usize, side: Side) -> &mut BTreeMap<i64, Level> {
        match side {
            Side::Buy => &mut self.syms[sym].bids,
            Side::Sell => &mut self.syms[sym].asks,
        }
    }

    /// Emits the depth diff (and a bbo when the top changed) for the levels touched by one operation.
    pub(crate) fn finish(
        &mut self,
        sym: usize,
        ch: Changes,
        ts: u64,
        top_before: Top,
        evs: &mut Vec<Ev>,
    ) {
        if ch.is_empty() {
            return;
        }
        let s = &mut self.syms[sym];
        s.seqnum += 1;
        s.last_depth_ts = ts;
        let mut bids: Vec<(i64, i64)> = ch
            .bids
            .iter()
            .map(|p| (*p, s.bids.get(p).map_or(0, |l| l.total)))
            .collect();
        let mut asks: Vec<(i64, i64)> = ch
            .asks
            .iter()
            .map(|p| (*p, s.asks.get(p).map_or(0, |l| l.total)))
            .collect();
        bids.sort_by_key(|l| std::cmp::Reverse(l.0));
        asks.sort_by_key(|l| l.0);
        evs.push(Ev::Depth {
            sym,
            seqnum: s.seqnum,
            ts,
            asks,
            bids,
        });
        let top = self.best(sym);
        if top.0 != top_before.0 || top.1 != top_before.1 {
            evs.push(Ev::Bbo {
                sym,
                ts,
                bid: top.0,
                ask: top.1,
            });
        }
    }

    pub(crate) fn add_resting(
        &mut self,
        sym: usize,
        side: Side,
        px: i64,
        qty: i64,
        client: Option<usize>,
        ch: &mut Changes,
    ) {
        let lvl = self.book_side(sym, side).entry(px).or_default();
        lvl.total += qty;
        lvl.q.push_back(Resting { qty, client });
        ch.touch(side, px);
    }

    fn remove_client_resting(&mut self, idx: usize, ch: &mut Changes) {
        let (sym, side, px) = {
            let o = &self.orders[idx];
            (o.sym, o.side, o.price)
        };
        let book = self.book_side(sym, side);
        if let Some(lvl) = book.get_mut(&px) {
            if let Some(pos) = lvl.q.iter().position(|r| r.client == Some(idx)) {
                if let Some(r) = lvl.q.remove(pos) {
                    lvl.total -= r.qty;
                }
                ch.touch(side, px);
            }
            if lvl.q.is_empty() {
                book.remove(&px);
            }
        }
    }

    fn fee_asset(&self, sym: usize, side: Side) -> String {
        let p = &self.products[sym];
        match (p.commission_type.as_str(), side) {
            ("Base", _) | ("Received", Side::Buy) => p.base.clone(),
            _ => p.quote.clone(),
        }
    }

    /// What must stay locked for `rem` unfilled quantity of an order.
    fn required_lock(&self, o: &Order, rem: i64, est_px: i64) -> i128 {
        let p = &self.products[o.sym];
        let reserve = |amount: i128| fee_of(amount, p.reserve);
        match o.side {
            Side::Buy => {
                let px = if o.otype == OrdType::Limit {
                    o.price
                } else {
                    est_px
                };
                let n = p.notional(px, rem, true);
                if o.fee_asset == p.quote {
                    n + reserve(n)
                } else {
                    n
                }
            }
            Side::Sell => {
                let q = p.qty_to_asset(rem);
                if o.fee_asset == p.base {
                    q + reserve(q)
                } else {
                    q
                }
            }
        }
    }

    fn set_lock(&mut self, idx: usize, new_lock: i128) {
        let (asset, old) = (self.orders[idx].lock_asset.clone(), self.orders[idx].locked);
        let b = self.balances.entry(asset).or_default();
        b.locked += new_lock - old;
        self.orders[idx].locked = new_lock;
    }

    /// Renders the order-channel message for the order's current state.
    pub fn order_msg(&mut self, idx: usize, status: &str, ts: u64) -> OrderMsg {
        let sn = self.next_sn();
        self.orders[idx].seq = sn;
        let o = &self.orders[idx];
        let p = &self.products[o.sym];
        let bb = self.balances.get(&p.base).cloned().unwrap_or_default();
        let qb = self.balances.get(&p.quote).cloned().unwrap_or_default();
        let f = |v: i128| dec::fmt(v, ASSET_SCALE);
        let fields = serde_json::json!({
            "s": p.symbol,
            "sn": sn,
            "sd": o.side.name(),
            "ap": o.avg_px(p),
            "bab": f(bb.total - bb.locked),
            "btb": f(bb.total),
            "cf": f(o.cum_fee),
            "cfq": p.fmt_qty(o.filled),
            "err": o.err,
            "fa": o.fee_asset,
            "orderId": o.order_id,
            "ot": o.otype.name(),
            "p": if o.otype == OrdType::Limit { p.fmt_px(o.price) } else { String::new() },
            "q": p.fmt_qty(o.qty),
            "qab": f(qb.total - qb.locked),
            "qtb": f(qb.total),
            "sp": "",
            "st": status,
            "t": ts,
            "ei": o.exec_inst(),
        });
        OrderMsg {
            idx,
            status: status.to_string(),
            sn,
            fields,
        }
    }

    /// Applies one fill to an account order (maker or taker) and emits its order message.
    fn fill_client(
        &mut self,
        idx: usize,
        px: i64,
        qty: i64,
        maker: bool,
        ts: u64,
        evs: &mut Vec<Ev>,
    ) {
        let (sym, side) = (self.orders[idx].sym, self.orders[idx].side);
        let p = self.products[sym].clone();
        let rate = if maker {
            self.maker_fee
        } else {
            self.taker_fee
        };
        let fee_asset = self.orders[idx].fee_asset.clone();
        let base_amt = p.qty_to_asset(qty);
        let quote_amt = p.notional(px, qty, side == Side::Buy);
        let fee = if fee_asset == p.base {
            fee_of(base_amt, rate)
        } else {
            fee_of(quote_amt, rate)
        };
        {
            let o = &mut self.orders[idx];
            o.filled += qty;
            o.cum_px_qty += i128::from(px) * i128::from(qty);
            o.cum_fee += fee;
            o.last_exec_ms = ts;
        }
        match side {
            Side::Buy => {
                self.balances.entry(p.quote.clone()).or_default().total -= quote_amt;
                self.balances.entry(p.base.clone()).or_default().total += base_amt;
            }
            Side::Sell => {
                self.balances.entry(p.base.clone()).or_default().total -= base_amt;
                self.balances.entry(p.quote.clone()).or_default().total += quote_amt;
            }
        }
        self.balances.entry(fee_asset).or_default().total -= fee;
        let o = self.orders[idx].clone();
        let rem = o.qty - o.filled;
        if o.otype == OrdType::Limit {
            let need = self.required_lock(&o, rem, px);
            self.set_lock(idx, need.min(o.locked));
        }
        let st = if rem == 0 {
            Status::Filled
        } else {
            Status::PartiallyFilled
        };
        self.orders[idx].status = st;
        if rem == 0 {
            self.set_lock(idx, 0);
        }
        let msg = self.order_msg(idx, st.name(), ts);
        evs.push(Ev::Order {
            msg,
            audience: Audience::All,
        });
    }

    /// Liquidity on the opposite side up to `limit`, capped at `want`.
    fn available_liquidity(
        &self,
        sym: usize,
        side: Side,
        limit: Option<i64>,
        want: i64,
    ) -> (i64, i128) {
        let s = &self.syms[sym];
        let p = &self.products[sym];
        let mut got = 0i64;
        let mut cost = 0i128;
        let levels: Box<dyn Iterator<Item = (&i64, &Level)>> = match side {
            Side::Buy => Box::new(s.asks.iter()),
            Side::Sell => Box::new(s.bids.iter().rev()),
        };
        for (px, lvl) in levels {
            if let Some(l) = limit {
                let crosses = match side {
                    Side::Buy => *px <= l,
                    Side::Sell => *px >= l,
                };
                if !crosses {
                    break;
                }
            }
            let take = (want - got).min(lvl.total);
            got += take;
            cost += p.notional(*px, take, true);
            if got >= want {
                break;
            }
        }
        (got, cost)
    }

    /// Matches an aggressor against the opposite side; returns the filled quantity.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn match_taker(
        &mut self,
        sym: usize,
        side: Side,
        limit: Option<i64>,
        mut qty: i64,
        taker: Option<usize>,
        ts: u64,
        ch: &mut Changes,
        evs: &mut Vec<Ev>,
    ) -> i64 {
        let mut filled = 0;
        let maker_side = match side {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        };
        while qty > 0 {
            let best = match side {
                Side::Buy => self.syms[sym].asks.iter().next().map(|(p, _)| *p),
                Side::Sell => self.syms[sym].bids.iter().next_back().map(|(p, _)| *p),
            };
            let Some(px) = best else { break };
            if let Some(l) = limit {
                let crosses = match side {
                    Side::Buy => px <= l,
                    Side::Sell => px >= l,
                };
                if !crosses {
                    break;
                }
            }
            let mut level_fill = 0i64;
            let mut maker_fills: Vec<(usize, i64)> = Vec::new();
            {
                let book = self.book_side(sym, maker_side);
                let Some(lvl) = book.get_mut(&px) else { break };
                while qty > 0 {
                    let Some(front) = lvl.q.front_mut() else {
                        break;
                    };
                    let f = front.qty.min(qty);
                    front.qty -= f;
                    lvl.total -= f;
                    qty -= f;
                    level_fill += f;
                    if let Some(ci) = front.client {
                        maker_fills.push((ci, f));
                    }
                    if front.qty == 0 {
                        lvl.q.pop_front();
                    }
                }
                if lvl.q.is_empty() {
                    book.remove(&px);
                }
            }
            ch.touch(maker_side, px);
            filled += level_fill;
            for (ci, f) in maker_fills {
                self.fill_client(ci, px, f, true, ts, evs);
            }
            if let Some(ti) = taker {
                self.fill_client(ti, px, level_fill, false, ts, evs);
            }
            self.record_trade(sym, px, level_fill, side == Side::Sell, ts, evs);
        }
        filled
    }

    fn record_trade(
        &mut self,
        sym: usize,
        px: i64,
        qty: i64,
        bm: bool,
        ts: u64,
        evs: &mut Vec<Ev>,
    ) {
        let s = &mut self.syms[sym];
        s.trade_seq += 1 + (s.trade_seq % 3);
        let t = TradeRec {
            px,
            qty,
            ts,
            bm,
            seqnum: s.trade_seq,
        };
        s.trades.push_back(t);
        while s.trades.len() > 100 {
            s.trades.pop_front();
        }
        s.last_px = px;
        for i in 0..INTERVALS.len() {
            let start = bar_start(i, ts);
            let (hist, cur) = &mut s.bars[i];
            if cur.ts != start {
                if cur.ts != 0 {
                    hist.push_back(*cur);
                    while hist.len() > self.max_bars {
                        hist.pop_front();
                    }
                }
                *cur = Bar {
                    ts: start,
                    o: px,
                    h: px,
                    l: px,
                    c: px,
                    v: 0,
                };
            }
            cur.h = cur.h.max(px);
            cur.l = cur.l.min(px);
            cur.c = px;
            cur.v += qty;
        }
        evs.push(Ev::Trade { sym, t });
    }

    /// The trading-rule checks that need no balance: id, lot, quantity range, tick, notional range.
    pub fn check_static(&self, req: &NewOrder) -> Result<(), RejectErr> {
        let p = &self.products[req.sym];
        if self.by_id.contains_key(&req.order_id) {
            return Err(rej(
                100003,
                "KEY_CONFLICT",
                format!("Duplicated order id {}", req.order_id),
            ));
        }
        if req.qty <= 0 || req.qty % p.lot != 0 {
            return Err(rej(
                300002,
                "INVALID_QTY",
                format!(
                    "Order quantity must be a positive multiple of lotSize {}",
                    p.fmt_qty(p.lot)
                ),
            ));
        }
        let qa = p.qty_to_asset(req.qty);
        if qa < p.min_qty || qa > p.max_qty {
            return Err(rej(
                300002,
                "INVALID_QTY",
                "Order quantity is out of the [minQty, maxQty] range",
            ));
        }
        if req.otype == OrdType::Limit {
            if req.price <= 0 {
                return Err(rej(300001, "INVALID_PRICE", "Order price must be positive"));
            }
            if req.price % p.tick != 0 {
                return Err(rej(
                    300014,
                    "TICK_SIZE_VIOLATION",
                    format!(
                        "Order price must be a multiple of tickSize {}",
                        p.fmt_px(p.tick)
                    ),
                ));
            }
            let n = p.notional(req.price, req.qty, false);
            if n < p.min_notional {
                return Err(rej(300004, "INVALID_NOTIONAL", "Notional is too small."));
            }
            if n > p.max_notional {
                return Err(rej(300004, "INVALID_NOTIONAL", "Notional is too large."));
            }
        }
        Ok(())
    }

    /// Records an order refused after it passed the basic checks (a batch member without funds).
    pub fn record_rejected(&mut self, req: NewOrder, err: &str, ts: u64) -> (usize, Vec<Ev>) {
        let p = self.products[req.sym].clone();
        let idx = self.orders.len();
        self.orders.push(Order {
            order_id: req.order_id.clone(),
            client_id: req.client_id,
            sym: req.sym,
            side: req.side,
            otype: req.otype,
            tif: req.tif,
            post_only: req.post_only,
            price: req.price,
            qty: req.qty,
            filled: 0,
            cum_px_qty: 0,
            cum_fee: 0,
            fee_asset: self.fee_asset(req.sym, req.side),
            status: Status::Rejected,
            err: err.to_string(),
            create_ms: ts,
            last_exec_ms: ts,
            seq: 0,
            locked: 0,
            lock_asset: p.quote,
        });
        self.by_id.insert(req.order_id, idx);
        let m = self.order_msg(idx, "Rejected", ts);
        (
            idx,
            vec![Ev::Order {
                msg: m,
                audience: Audience::All,
            }],
        )
    }

    /// Validates and places an account order. On success the order id and its events are returned.
    pub fn place(&mut self, req: NewOrder, ts: u64) -> Result<(usize, Vec<Ev>), RejectErr> {
        self.check_static(&req)?;
        let sym = req.sym;
        let p = self.products[sym].clone();
        let top = self.best(sym);
        let fee_asset = self.fee_asset(sym, req.side);
        let lock_asset = match req.side {
            Side::Buy => p.quote.clone(),
            Side::Sell => p.base.clone(),
        };
        let mut o = Order {
            order_id: req.order_id.clone(),
            client_id: req.client_id.clone(),
            sym,
            side: req.side,
            otype: req.otype,
            tif: req.tif,
            post_only: req.post_only,
            price: if req.otype == OrdType::Limit {
                req.price
            } else {
                0
            },
            qty: req.qty,
            filled: 0,
            cum_px_qty: 0,
            cum_fee: 0,
            fee_asset,
            status: Status::New,
            err: String::new(),
            create_ms: ts,
            last_exec_ms: ts,
            seq: 0,
            locked: 0,
            lock_asset: lock_asset.clone(),
        };
        // Funds: limit orders lock at their price; market orders are checked against the sweep cost.
        let est_px = if req.otype == OrdType::Market {
            let (got, cost) = self.available_liquidity(sym, req.side, None, req.qty);
            if got == 0 {
                return Err(rej(
                    300031,
                    "NO_MARKET_PRICE",
                    "No market price for market type order trading",
                ));
            }
            // Average sweep price rounded up, so the lock covers the whole cost.
            let unit = dec::pow10(ASSET_SCALE - (p.pscale + p.qscale).min(ASSET_SCALE));
            let px = (cost / unit + i128::from(got) - 1) / i128::from(got);
            i64::try_from(px).unwrap_or(i64::MAX / 4).max(1)
        } else {
            req.price
        };
        let need = self.required_lock(&o, req.qty, est_px);
        let bal = self.balance(&lock_asset);
        if bal.total - bal.locked < need {
            return Err(rej(300011, "INVALID_BALANCE", "Not Enough Account Balance"));
        }
        let idx = self.orders.len();
        o.locked = 0;
        self.orders.push(o);
        self.by_id.insert(req.order_id.clone(), idx);
        self.set_lock(idx, need);
        let mut evs = Vec::new();
        let new_msg = self.order_msg(idx, "New", ts);
        evs.push(Ev::Order {
            msg: new_msg,
            audience: Audience::NewAck,
        });
        let mut ch = Changes::default();
        let limit = if req.otype == OrdType::Limit {
            Some(req.price)
        } else {
            None
        };
        let crosses = match (limit, req.side) {
            (Some(l), Side::Buy) => top.1.is_some_and(|(a, _)| a <= l),
            (Some(l), Side::Sell) => top.0.is_some_and(|(b, _)| b >= l),
            (None, _) => true,
        };
        if req.post_only && crosses {
            self.set_lock(idx, 0);
            self.orders[idx].status = Status::Rejected;
            self.orders[idx].err = "PostOnlyWouldTake".to_string();
            let m1 = self.order_msg(idx, "Canceled", ts);
            evs.push(Ev::Order {
                msg: m1,
                audience: Audience::NewAck,
            });
            let m2 = self.order_msg(idx, "Rejected", ts);
            evs.push(Ev::Order {
                msg: m2,
                audience: Audience::ReadyAck,
            });
            return Ok((idx, evs));
        }
        if req.tif == Tif::Fok {
            let (got, _) = self.available_liquidity(sym, req.side, limit, req.qty);
            if got < req.qty {
                self.set_lock(idx, 0);
                self.orders[idx].status = Status::Canceled;
                let m = self.order_msg(idx, "Canceled", ts);
                evs.push(Ev::Order {
                    msg: m,
                    audience: Audience::All,
                });
                return Ok((idx, evs));
            }
        }
        let filled = self.match_taker(
            sym,
            req.side,
            limit,
            req.qty,
            Some(idx),
            ts,
            &mut ch,
            &mut evs,
        );
        let rem = req.qty - filled;
        if rem > 0 {
            if req.otype == OrdType::Limit && req.tif == Tif::Gtc {
                self.add_resting(sym, req.side, req.price, rem, Some(idx), &mut ch);
                if filled == 0 {
                    let m = self.order_msg(idx, "Ready", ts);
                    evs.push(Ev::Order {
                        msg: m,
                        audience: Audience::ReadyAck,
                    });
                }
            } else {
                self.set_lock(idx, 0);
                self.orders[idx].status = Status::Canceled;
                let m = self.order_msg(idx, "Canceled", ts);
                evs.push(Ev::Order {
                    msg: m,
                    audience: Audience::All,
                });
            }
        } else {
            self.set_lock(idx, 0);
        }
        self.finish(sym, ch, ts, top, &mut evs);
        Ok((idx, evs))
    }

    /// Cancels an open order. A filled/canceled order gives `TooLateToCancel`, an unknown one `NoOpenForCancel`.
    pub fn cancel(
        &mut self,
        order_id: &str,
        cancel_id: &str,
        ts: u64,
    ) -> Result<Vec<Ev>, (RejectErr, &'static str, Vec<Ev>)> {
        let Some(&idx) = self.by_id.get(order_id) else {
            let sn = self.next_sn();
            let ev = Ev::CancelReject {
                cancel_id: cancel_id.to_string(),
                orig_id: order_id.to_string(),
                sym: usize::MAX,
                ts,
                sn,
                text: "NoOpenForCancel".into(),
            };
            return Err((
                rej(
                    300019,
                    "INVALID_ORDER_ID",
                    "Trying to cancel non-open order",
                ),
                "NoOpenForCancel",
                vec![ev],
            ));
        };
        if !self.orders[idx].status.is_open() {
            let sn = self.next_sn();
            let sym = self.orders[idx].sym;
            let ev = Ev::CancelReject {
                cancel_id: cancel_id.to_string(),
                orig_id: order_id.to_string(),
                sym,
                ts,
                sn,
                text: "TooLateToCancel".into(),
            };
            return Err((
                rej(
                    300019,
                    "INVALID_ORDER_ID",
                    "Trying to cancel non-open order",
                ),
                "TooLateToCancel",
                vec![ev],
            ));
        }
        let sym = self.orders[idx].sym;
        let top = self.best(sym);
        let mut ch = Changes::default();
        let mut evs = Vec::new();
        self.remove_client_resting(idx, &mut ch);
        self.set_lock(idx, 0);
        self.orders[idx].status = Status::Canceled;
        self.orders[idx].last_exec_ms = ts;
        let m = self.order_msg(idx, "Canceled", ts);
        evs.push(Ev::Order {
            msg: m,
            audience: Audience::All,
        });
        self.finish(sym, ch, ts, top, &mut evs);
        Ok(evs)
    }

    pub fn open_order_ids(&self, sym: Option<usize>) -> Vec<String> {
        self.orders
            .iter()
            .filter(|o| o.status.is_open() && sym.is_none_or(|s| s == o.sym))
            .map(|o| o.order_id.clone())
            .collect()
    }

    pub fn cancel_all(&mut self, sym: Option<usize>, ts: u64) -> Vec<Ev> {
        let mut evs = Vec::new();
        for id in self.open_order_ids(sym) {
            if let Ok(e) = self.cancel(&id, "", ts) {
                evs.extend(e);
            }
        }
        evs
    }

    /// Orders ordered by sequence (oldest first).
    pub fn order_by_id(&self, id: &str) -> Option<&Order> {
        self.by_id.get(id).map(|i| &self.orders[*i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market;

    fn engine() -> Engine {
        let ps = market::products(&["BTC/USDT".to_string()]).unwrap();
        let mut e = Engine::new(ps, (1, 3), (2, 3), 1, 1_700_000_000_000);
        e.set_balance("USDT", dec::parse("100000", 9).unwrap());
        e.set_balance("BTC", dec::parse("2", 9).unwrap());
        e
    }

    fn lim(e: &Engine, side: Side, px: &str, qty: &str, id: &str) -> NewOrder {
        let p = &e.products[0];
        NewOrder {
            sym: 0,
            side,
            otype: OrdType::Limit,
            tif: Tif::Gtc,
            post_only: false,
            price: p.parse_px(px).unwrap(),
            qty: p.parse_qty(qty).unwrap(),
            client_id: String::new(),
            order_id: id.to_string(),
        }
    }

    fn synth(e: &mut Engine, side: Side, px: &str, qty: &str) {
        let p = e.products[0].clone();
        let mut ch = Changes::default();
        e.add_resting(
            0,
            side,
            p.parse_px(px).unwrap(),
            p.parse_qty(qty).unwrap(),
            None,
            &mut ch,
        );
    }

    fn avail(e: &Engine, a: &str) -> String {
        let b = e.balance(a);
        dec::fmt(b.total - b.locked, 9)
    }

    #[test]
    fn price_time_priority_and_partial_fills() {
        let mut e = engine();
        synth(&mut e, Side::Sell, "60010", "0.1");
        e.place(lim(&e, Side::Sell, "60000", "0.05", "o1"), 1)
            .unwrap();
        e.place(lim(&e, Side::Sell, "60000", "0.05", "o2"), 2)
            .unwrap();
        // A synthetic buyer of 0.07 at 60000: o1 fills fully first, then o2 partially.
        let mut ch = Changes::default();
        let mut evs = Vec::new();
        let got = e.match_taker(
            0,
            Side::Buy,
            Some(600_0000),
            7000,
            None,
            3,
            &mut ch,
            &mut evs,
        );
        assert_eq!(got, 7000);
        assert_eq!(e.order_by_id("o1").unwrap().status, Status::Filled);
        let o2 = e.order_by_id("o2").unwrap();
        assert_eq!(o2.status, Status::PartiallyFilled);
        assert_eq!(o2.filled, 2000);
        // The synthetic level behind did not trade.
        let (_, asks) = e.levels(0, 5);
        assert_eq!(asks, vec![(6_000_000, 3000), (6_001_000, 10000)]);
    }

    #[test]
    fn fees_and_balances_for_a_taker_buy() {
        let mut e = engine();
        synth(&mut e, Side::Sell, "50000", "0.1");
        let (idx, evs) = e
            .place(lim(&e, Side::Buy, "50000", "0.1", "b1"), 1)
            .unwrap();
        assert_eq!(e.orders[idx].status, Status::Filled);
        // Cost 5000 USDT, taker fee 0.2% = 10 USDT.
        assert_eq!(avail(&e, "USDT"), "94990");
        assert_eq!(avail(&e, "BTC"), "2.1");
        assert_eq!(dec::fmt(e.orders[idx].cum_fee, 9), "10");
        assert!(
            evs.iter()
                .any(|ev| matches!(ev, Ev::Trade { t, .. } if !t.bm && t.qty == 10000))
        );
        assert_eq!(e.balance("USDT").locked, 0);
    }

    #[test]
    fn resting_order_locks_funds_and_maker_fill_releases() {
        let mut e = engine();
        e.place(lim(&e, Side::Buy, "40000", "0.5", "b1"), 1)
            .unwrap();
        // 20000 notional + 0.1% reserve = 20020 locked.
        assert_eq!(avail(&e, "USDT"), "79980");
        let mut ch = Changes::default();
        let mut evs = Vec::new();
        e.match_taker(0, Side::Sell, None, 50000, None, 2, &mut ch, &mut evs);
        let o = e.order_by_id("b1").unwrap();
        assert_eq!(o.status, Status::Filled);
        // Maker fee 0.1% of 20000 = 20.
        assert_eq!(avail(&e, "USDT"), "79980");
        assert_eq!(e.balance("USDT").locked, 0);
        assert_eq!(avail(&e, "BTC"), "2.5");
    }

    #[test]
    fn insufficient_balance_and_rule_violations_are_rejected() {
        let mut e = engine();
        let err = e
            .place(lim(&e, Side::Buy, "60000", "2", "x"), 1)
            .unwrap_err();
        assert_eq!(err.code, 300011);
        let mut bad = lim(&e, Side::Buy, "60000", "0.1", "y");
        bad.price += 0; // valid tick; now break the notional
        bad.qty = 1;
        assert_eq!(e.place(bad, 1).unwrap_err().code, 300004);
        let err = e
            .place(lim(&e, Side::Sell, "60000", "3", "z"), 1)
            .unwrap_err();
        assert_eq!(err.code, 300011);
        assert!(e.orders.is_empty());
    }

    #[test]
    fn post_only_that_would_take_is_rejected() {
        let mut e = engine();
        synth(&mut e, Side::Sell, "50000", "0.1");
        let mut req = lim(&e, Side::Buy, "50000", "0.01", "p1");
        req.post_only = true;
        let (idx, evs) = e.place(req, 1).unwrap();
        assert_eq!(e.orders[idx].status, Status::Rejected);
        assert_eq!(e.orders[idx].err, "PostOnlyWouldTake");
        assert!(evs.iter().any(|ev| matches!(ev, Ev::Order { msg, audience: Audience::ReadyAck } if msg.status == "Rejected")));
        assert!(!evs.iter().any(|ev| matches!(ev, Ev::Trade { .. })));
        assert_eq!(e.balance("USDT").locked, 0);
    }

    #[test]
    fn ioc_and_fok() {
        let mut e = engine();
        synth(&mut e, Side::Sell, "50000", "0.1");
        let mut req = lim(&e, Side::Buy, "50000", "0.3", "f1");
        req.tif = Tif::Fok;
        let (i1, _) = e.place(req, 1).unwrap();
        assert_eq!(e.orders[i1].status, Status::Canceled);
        assert_eq!(e.orders[i1].filled, 0);
        let mut req = lim(&e, Side::Buy, "50000", "0.3", "i1");
        req.tif = Tif::Ioc;
        let (i2, _) = e.place(req, 2).unwrap();
        assert_eq!(e.orders[i2].status, Status::Canceled);
        assert_eq!(e.orders[i2].filled, 10000);
        assert_eq!(e.balance("USDT").locked, 0);
        assert!(e.levels(0, 5).1.is_empty());
    }

    #[test]
    fn market_orders_and_cancel_races() {
        let mut e = engine();
        synth(&mut e, Side::Buy, "50000", "0.1");
        synth(&mut e, Side::Buy, "49990", "0.1");
        let mut req = lim(&e, Side::Sell, "1", "0.15", "m1");
        req.otype = OrdType::Market;
        let (idx, _) = e.place(req, 1).unwrap();
        assert_eq!(e.orders[idx].status, Status::Filled);
        assert_eq!(e.orders[idx].avg_px(&e.products[0]), "49996.666666");
        let (err, text, evs) = e.cancel("m1", "c1", 2).unwrap_err();
        assert_eq!(err.code, 300019);
        assert_eq!(text, "TooLateToCancel");
        assert!(matches!(&evs[0], Ev::CancelReject { text, .. } if text == "TooLateToCancel"));
        let (_, text, _) = e.cancel("nope", "c2", 2).unwrap_err();
        assert_eq!(text, "NoOpenForCancel");
        e.place(lim(&e, Side::Buy, "40000", "0.1", "r1"), 3)
            .unwrap();
        let evs = e.cancel("r1", "c3", 4).unwrap();
        assert!(
            evs.iter()
                .any(|ev| matches!(ev, Ev::Depth { bids, .. } if bids == &vec![(4_000_000, 0)]))
        );
        assert_eq!(e.order_by_id("r1").unwrap().status, Status::Canceled);
        assert_eq!(e.balance("USDT").locked, 0);
    }
}
