//! Paper trading: the same order API, with fills simulated against the live book and trades. Nothing leaves the
//! process.
//!
//! Model (deliberately simple and deterministic, so a strategy's paper results are reproducible from a recording):
//! - An order is accepted at once but reaches the simulated book on the next book event of its symbol, as a real
//!   order would after a network round trip. There it either takes liquidity (it crosses the opposite side: it fills
//!   level by level up to its limit, at each level's price; a post-only order is rejected instead, IOC cancels the
//!   rest, FOK fills completely or not at all) or rests.
//! - A resting order's queue position is the volume shown at its price when it came to rest: everything already there
//!   is ahead of it. The volume ahead only shrinks: when the level's shown size drops below it (cancels or trades
//!   ahead of us) it follows the level down.
//! - A trade whose taker hits our side at our price first consumes the volume ahead, the remainder fills us; a trade
//!   through our price (a better price for the taker than ours would give) fills us outright. When the opposite best
//!   price reaches our price the order fills completely (the market moved through it).
//! - Balances: a resting order locks its notional (buy) or quantity (sell); fills move base and quote and charge the
//!   fee, in the quote asset, at the maker or taker rate.
//!
//! Prices and quantities are scaled integers at the symbol's scales; balances at the asset scale. No allocation after
//! construction.

use crate::book::{Book, Side as BookSide};
use crate::orders::scaled::{Round, div_round, pow10};
use crate::orders::{
    AssetId, OrderId, OrderKind, OrderUpdate, ReportedStatus, Side, Source, SymbolId, TimeInForce,
};
use crate::strategy::events::{Trade, TradeSide};

/// Paper-trading settings.
#[derive(Clone, Debug)]
pub struct PaperConfig {
    /// Starting balances: (asset, decimal amount).
    pub balances: Vec<(String, String)>,
    /// Fee for resting (maker) fills, in hundredths of a basis point (1_000 = 0.1 %).
    pub maker_fee_centi_bps: i64,
    /// Fee for taking (taker) fills, same unit.
    pub taker_fee_centi_bps: i64,
}

impl Default for PaperConfig {
    fn default() -> Self {
        PaperConfig {
            balances: vec![("USDT".into(), "100000".into())],
            maker_fee_centi_bps: 1_000,
            taker_fee_centi_bps: 1_000,
        }
    }
}

/// One symbol as the paper exchange sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaperSymbol {
    pub price_scale: u8,
    pub qty_scale: u8,
    pub base: AssetId,
    pub quote: AssetId,
}

/// An order handed to the paper exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaperOrder {
    pub order_id: OrderId,
    pub symbol: SymbolId,
    pub side: Side,
    pub kind: OrderKind,
    pub tif: TimeInForce,
    pub post_only: bool,
    /// Limit price (0 for market orders).
    pub price: i64,
    pub qty: i64,
}

/// Why the paper exchange refused an order at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaperReject {
    /// Every order slot is busy.
    Full,
    UnknownSymbol,
    /// Not enough available balance for the order's notional (buy) or quantity (sell).
    InsufficientBalance,
}

impl PaperReject {
    /// The exchange-style reason text.
    pub fn reason(self) -> &'static str {
        match self {
            PaperReject::Full => "PaperOrderSlotsFull",
            PaperReject::UnknownSymbol => "UnknownSymbol",
            PaperReject::InsufficientBalance => "InsufficientBalance",
        }
    }
}

impl std::fmt::Display for PaperReject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PaperReject::Full => "paper exchange: every order slot is busy",
            PaperReject::UnknownSymbol => "paper exchange: unknown symbol",
            PaperReject::InsufficientBalance => "paper exchange: insufficient balance",
        })
    }
}

impl std::error::Error for PaperReject {}

/// A state change the paper exchange reports, shaped like an exchange report (cumulative figures).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaperEvent {
    pub update: OrderUpdate,
    /// Why it ended, for rejections and cancels (`PostOnlyWouldTake`, `IocRemainder`, ...), else "".
    pub reason: &'static str,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    o: PaperOrder,
    live: bool,
    /// Reached the simulated book (rests or was matched).
    active: bool,
    cum: i64,
    /// Σ price × qty of fills (price scale + qty scale).
    notional: i128,
    fee: i64,
    queue_ahead: i64,
    /// Balance locked for the remainder (asset scale).
    locked: i64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Bal {
    total: i64,
    locked: i64,
}

/// The paper exchange. See the module docs for the fill model.
pub struct PaperExchange {
    symbols: Vec<Option<PaperSymbol>>,
    asset_scale: u8,
    bals: Vec<Bal>,
    slots: Vec<Slot>,
    seq: u64,
    maker_fee: i64,
    taker_fee: i64,
    /// Balances changed since the last `take_balance_changes`.
    dirty: u64,
    pub fills: u64,
}

const CENTI_BPS: i128 = 1_000_000;

impl PaperExchange {
    /// `symbols[i]` is `SymbolId(i)`; `assets` assets at `asset_scale`; `initial[a]` the starting total of asset `a`.
    pub fn new(
        symbols: Vec<Option<PaperSymbol>>,
        asset_scale: u8,
        initial: &[i64],
        max_orders: usize,
        cfg: &PaperConfig,
    ) -> PaperExchange {
        PaperExchange {
            symbols,
            asset_scale,
            bals: initial
                .iter()
                .map(|&t| Bal {
                    total: t.max(0),
                    locked: 0,
                })
                .collect(),
            slots: Vec::with_capacity(max_orders.max(1)),
            seq: 0,
            maker_fee: cfg.maker_fee_centi_bps,
            taker_fee: cfg.taker_fee_centi_bps,
            dirty: u64::MAX,
            fills: 0,
        }
    }

    /// (total, available) of an asset.
    pub fn balance(&self, a: AssetId) -> Option<(i64, i64)> {
        self.bals
            .get(a.0 as usize)
            .map(|b| (b.total, b.total - b.locked))
    }

    pub fn asset_count(&self) -> usize {
        self.bals.len()
    }

    /// Assets whose balance changed since the last call (a bit per asset; assets ≥ 64 share bit 63).
    pub fn take_balance_changes(&mut self) -> u64 {
        std::mem::take(&mut self.dirty)
    }

    fn touch(&mut self, a: AssetId) {
        self.dirty |= 1u64 << (a.0 as u32).min(63);
    }

    /// Orders waiting for the book or resting.
    pub fn open_count(&self) -> usize {
        self.slots.iter().filter(|s| s.live).count()
    }

    /// The volume still ahead of a resting order (None when not resting).
    pub fn queue_ahead(&self, id: &OrderId) -> Option<i64> {
        self.slots
            .iter()
            .find(|s| s.live && s.active && s.o.order_id == *id)
            .map(|s| s.queue_ahead)
    }

    /// Notional (price scale + qty scale) in the asset scale, rounded up: what a buy locks or pays.
    fn to_asset(&self, sym: &PaperSymbol, notional: i128, round: Round) -> i64 {
        let from = sym.price_scale as i32 + sym.qty_scale as i32;
        let to = self.asset_scale as i32;
        if to >= from {
            let f = pow10((to - from) as u8).unwrap_or(1) as i128;
            i64::try_from(notional.saturating_mul(f)).unwrap_or(i64::MAX)
        } else {
            let f = pow10((from - to) as u8).unwrap_or(1) as i128;
            div_round(notional, f, round).unwrap_or(i64::MAX)
        }
    }

    fn qty_to_asset(&self, sym: &PaperSymbol, qty: i64) -> i64 {
        let (from, to) = (sym.qty_scale as i32, self.asset_scale as i32);
        if to >= from {
            qty.saturating_mul(pow10((to - from) as u8).unwrap_or(1))
        } else {
            qty / pow10((from - to) as u8).unwrap_or(1)
        }
    }

    fn lock_for(&self, sym: &PaperSymbol, o: &PaperOrder, remaining: i64) -> i64 {
        match (o.side, o.kind) {
            (Side::Buy, OrderKind::Limit) => {
                let n = o.price as i128 * remaining as i128;
                let fee = n * self.maker_fee.max(self.taker_fee) as i128 / CENTI_BPS;
                self.to_asset(sym, n + fee, Round::Ceil)
            }
            (Side::Sell, _) => self.qty_to_asset(sym, remaining),
            _ => 0,
        }
    }

    /// Accepts an order; it meets the book on the symbol's next book event.
    pub fn submit(&mut self, o: PaperOrder) -> Result<(), PaperReject> {
        let sym = self
            .symbols
            .get(o.symbol.0 as usize)
            .copied()
            .flatten()
            .ok_or(PaperReject::UnknownSymbol)?;
        let lock = self.lock_for(&sym, &o, o.qty);
        let asset = match o.side {
            Side::Buy => sym.quote,
            Side::Sell => sym.base,
        };
        let b = self.bals.get(asset.0 as usize).copied().unwrap_or_default();
        if b.total - b.locked < lock {
            return Err(PaperReject::InsufficientBalance);
        }
        let slot = Slot {
            o,
            live: true,
            active: false,
            cum: 0,
            notional: 0,
            fee: 0,
            queue_ahead: 0,
            locked: lock,
        };
        let i = match self.slots.iter().position(|s| !s.live) {
            Some(i) => i,
            None if self.slots.len() < self.slots.capacity() => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
            None => return Err(PaperReject::Full),
        };
        self.slots[i] = slot;
        if let Some(b) = self.bals.get_mut(asset.0 as usize) {
            b.locked += lock;
        }
        self.touch(asset);
        Ok(())
    }

    /// Cancels a live order; reports `Canceled` into `out`. False when it is not live.
    pub fn cancel(&mut self, id: &OrderId, ts_ms: i64, out: &mut Vec<PaperEvent>) -> bool {
        let Some(i) = self
            .slots
            .iter()
            .position(|s| s.live && s.o.order_id == *id)
        else {
            return false;
        };
        self.finish(i, ReportedStatus::Canceled, "", ts_ms, out);
        true
    }

    /// Every live order of `symbol` (or all), canceled.
    pub fn cancel_all(&mut self, symbol: Option<SymbolId>, ts_ms: i64, out: &mut Vec<PaperEvent>) {
        for i in 0..self.slots.len() {
            if self.slots[i].live && symbol.is_none_or(|s| s == self.slots[i].o.symbol) {
                self.finish(i, ReportedStatus::Canceled, "", ts_ms, out);
            }
        }
    }

    fn report(
        &mut self,
        i: usize,
        status: ReportedStatus,
        reason: &'static str,
        ts_ms: i64,
    ) -> PaperEvent {
        self.seq += 1;
        let s = &self.slots[i];
        let avg = if s.cum > 0 {
            div_round(s.notional, s.cum as i128, Round::HalfAway).unwrap_or(0)
        } else {
            0
        };
        PaperEvent {
            update: OrderUpdate {
                order_id: s.o.order_id,
                seq: Some(self.seq),
                status,
                cum_qty: s.cum,
                avg_px: avg,
                cum_fee: s.fee,
                ts_ms,
                source: Source::WsPush,
            },
            reason,
        }
    }

    fn finish(
        &mut self,
        i: usize,
        status: ReportedStatus,
        reason: &'static str,
        ts_ms: i64,
        out: &mut Vec<PaperEvent>,
    ) {
        let s = self.slots[i];
        if let Some(sym) = self.symbols.get(s.o.symbol.0 as usize).copied().flatten() {
            let asset = match s.o.side {
                Side::Buy => sym.quote,
                Side::Sell => sym.base,
            };
            if let Some(b) = self.bals.get_mut(asset.0 as usize) {
                b.locked = (b.locked - s.locked).max(0);
            }
            self.touch(asset);
        }
        self.slots[i].locked = 0;
        self.slots[i].live = false;
        let ev = self.report(i, status, reason, ts_ms);
        push(out, ev);
    }

    /// One execution of `qty` at `px` for slot `i`.
    fn execute(&mut self, i: usize, px: i64, qty: i64, maker: bool) {
        let Some(sym) = self
            .symbols
            .get(self.slots[i].o.symbol.0 as usize)
            .copied()
            .flatten()
        else {
            return;
        };
        let s = self.slots[i];
        let n = px as i128 * qty as i128;
        let rate = if maker {
            self.maker_fee
        } else {
            self.taker_fee
        } as i128;
        let quote_amt = self.to_asset(&sym, n, Round::HalfAway);
        let fee = self.to_asset(&sym, n * rate / CENTI_BPS, Round::Ceil);
        let base_amt = self.qty_to_asset(&sym, qty);
        // Release the lock for this quantity (what remains locked covers the remainder).
        let new_lock = self.lock_for(&sym, &s.o, s.o.qty - s.cum - qty);
        let release = (s.locked - new_lock).max(0);
        let (b, q) = (sym.base.0 as usize, sym.quote.0 as usize);
        match s.o.side {
            Side::Buy => {
                if let Some(x) = self.bals.get_mut(q) {
                    x.locked = (x.locked - release).max(0);
                    x.total -= quote_amt + fee;
                }
                if let Some(x) = self.bals.get_mut(b) {
                    x.total += base_amt;
                }
            }
            Side::Sell => {
                if let Some(x) = self.bals.get_mut(b) {
                    x.locked = (x.locked - release).max(0);
                    x.total -= base_amt;
                }
                if let Some(x) = self.bals.get_mut(q) {
                    x.total += quote_amt - fee;
                }
            }
        }
        self.touch(sym.base);
        self.touch(sym.quote);
        let s = &mut self.slots[i];
        s.locked = new_lock;
        s.cum += qty;
        s.notional += n;
        s.fee += fee;
        self.fills += 1;
    }

    fn crosses(o: &PaperOrder, px: i64) -> bool {
        match (o.kind, o.side) {
            (OrderKind::Market | OrderKind::StopMarket, _) => true,
            (_, Side::Buy) => px <= o.price,
            (_, Side::Sell) => px >= o.price,
        }
    }

    /// Matches a newly arrived order against the book as a taker. Returns false when post-only or FOK refused it.
    fn take(&mut self, i: usize, book: &Book) -> Result<(), &'static str> {
        let o = self.slots[i].o;
        let opp = match o.side {
            Side::Buy => BookSide::Ask,
            Side::Sell => BookSide::Bid,
        };
        let marketable = match opp {
            BookSide::Ask => book.best_ask(),
            BookSide::Bid => book.best_bid(),
        }
        .is_some_and(|l| Self::crosses(&o, l.price.0));
        if !marketable {
            return Ok(());
        }
        if o.post_only {
            return Err("PostOnlyWouldTake");
        }
        if o.tif == TimeInForce::Fok {
            let avail: i64 = book
                .levels(opp)
                .take_while(|l| Self::crosses(&o, l.price.0))
                .map(|l| l.qty.0)
                .sum();
            if avail < o.qty {
                return Err("FokNotFilled");
            }
        }
        for l in book.levels(opp) {
            let rem = o.qty - self.slots[i].cum;
            if rem <= 0 || !Self::crosses(&o, l.price.0) {
                break;
            }
            self.execute(i, l.price.0, rem.min(l.qty.0), false);
        }
        Ok(())
    }

    /// A book event for `symbol`: new orders meet the book, resting orders update their queue or fill when the
    /// opposite side reaches their price.
    pub fn on_book(
        &mut self,
        symbol: SymbolId,
        book: &Book,
        ts_ms: i64,
        out: &mut Vec<PaperEvent>,
    ) {
        for i in 0..self.slots.len() {
            let s = self.slots[i];
            if !s.live || s.o.symbol != symbol {
                continue;
            }
            if !s.active {
                self.slots[i].active = true;
                if let Err(reason) = self.take(i, book) {
                    let st = if reason == "PostOnlyWouldTake" {
                        ReportedStatus::Rejected
                    } else {
                        ReportedStatus::Canceled
                    };
                    self.finish(i, st, reason, ts_ms, out);
                    continue;
                }
                let s = self.slots[i];
                let done = s.cum >= s.o.qty;
                let rests = s.o.kind == OrderKind::Limit && s.o.tif == TimeInForce::Gtc;
                if done {
                    self.finish(i, ReportedStatus::Filled, "", ts_ms, out);
                } else if !rests {
                    self.finish(i, ReportedStatus::Canceled, "IocRemainder", ts_ms, out);
                } else {
                    let own = match s.o.side {
                        Side::Buy => BookSide::Bid,
                        Side::Sell => BookSide::Ask,
                    };
                    self.slots[i].queue_ahead = book.qty(own, crate::num::Price(s.o.price)).0;
                    let st = if s.cum > 0 {
                        ReportedStatus::PartiallyFilled
                    } else {
                        ReportedStatus::New
                    };
                    let ev = self.report(i, st, "", ts_ms);
                    push(out, ev);
                }
                continue;
            }
            // Resting: the queue ahead follows the level down; a crossing opposite side fills us.
            let own = match s.o.side {
                Side::Buy => BookSide::Bid,
                Side::Sell => BookSide::Ask,
            };
            let shown = book.qty(own, crate::num::Price(s.o.price)).0;
            if shown < s.queue_ahead {
                self.slots[i].queue_ahead = shown;
            }
            let through = match s.o.side {
                Side::Buy => book.best_ask().is_some_and(|l| l.price.0 <= s.o.price),
                Side::Sell => book.best_bid().is_some_and(|l| l.price.0 >= s.o.price),
            };
            if through {
                let rem = s.o.qty - s.cum;
                self.execute(i, s.o.price, rem, true);
                self.finish(i, ReportedStatus::Filled, "", ts_ms, out);
            }
        }
    }

    /// A public trade on `symbol`: resting orders on the side the taker hit fill from it (after the queue ahead).
    pub fn on_trade(&mut self, symbol: SymbolId, t: &Trade, out: &mut Vec<PaperEvent>) {
        let mut left = t.qty.0;
        let ts_ms = t.ts as i64;
        for i in 0..self.slots.len() {
            if left <= 0 {
                break;
            }
            let s = self.slots[i];
            if !s.live || !s.active || s.o.symbol != symbol {
                continue;
            }
            // A taker sell hits bids (our buys); a taker buy lifts asks (our sells).
            let hits_us = matches!(
                (s.o.side, t.side()),
                (Side::Buy, TradeSide::Sell) | (Side::Sell, TradeSide::Buy)
            );
            if !hits_us {
                continue;
            }
            let px = t.price.0;
            let (at, through) = match s.o.side {
                Side::Buy => (px == s.o.price, px < s.o.price),
                Side::Sell => (px == s.o.price, px > s.o.price),
            };
            if !at && !through {
                continue;
            }
            let mut avail = left;
            if at {
                let eaten = avail.min(s.queue_ahead);
                self.slots[i].queue_ahead -= eaten;
                avail -= eaten;
                left -= eaten;
            }
            let q = avail.min(s.o.qty - s.cum);
            if q <= 0 {
                continue;
            }
            left -= q;
            self.execute(i, s.o.price, q, true);
            if self.slots[i].cum >= s.o.qty {
                self.finish(i, ReportedStatus::Filled, "", ts_ms, out);
            } else {
                let ev = self.report(i, ReportedStatus::PartiallyFilled, "", ts_ms);
                push(out, ev);
            }
        }
    }
}

/// The caller preallocates `out`; it only grows if one event produces more reports than it holds.
fn push(out: &mut Vec<PaperEvent>, ev: PaperEvent) {
    out.push(ev);
}
