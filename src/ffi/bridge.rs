//! The `Strategy` that forwards to C callbacks, and what a callback's context handle points at.
//!
//! Everything a callback receives is built on the stack (no allocation per event). The context and book handles
//! are raw pointers to stack values; a thread-local records which ones are live so a handle kept past its callback
//! is refused (`AXH_E_STATE`) instead of dereferenced.

use std::cell::Cell;
use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::abi::*;
use crate::book::Book;
use crate::orders::OrderHandle;
use crate::orders::types::{
    AssetId, ClientId, Fill, MAX_ID_LEN, OrderKind, OrderStatus, Side, SymbolId,
};
use crate::strategy::{BookStatus, BookUpdate, Ctx, OrderEvent, OrderEventKind, Strategy};
use crate::strategy::{Trade, TradeSide};
use crate::venue::ascendex::rules::SymbolRules;

/// A registered callback and its user pointer.
#[derive(Clone, Copy)]
pub struct Cb<F> {
    pub f: F,
    pub user: *mut c_void,
}

#[derive(Clone, Copy, Default)]
pub struct Callbacks {
    pub start: Option<Cb<StartFn>>,
    pub book: Option<Cb<BookFn>>,
    pub book_status: Option<Cb<BookStatusFn>>,
    pub trade: Option<Cb<TradeFn>>,
    pub order: Option<Cb<OrderFn>>,
    pub fill: Option<Cb<FillFn>>,
    pub balance: Option<Cb<BalanceFn>>,
    pub timer: Option<Cb<TimerFn>>,
}

/// What the ABI reports about a symbol; filled from the exchange's trading rules at start.
#[derive(Clone, Copy, Debug)]
pub struct SymInfo {
    pub info: AxhSymbolInfo,
}

impl SymInfo {
    /// `book_qty_scale`: the market half's scale for book and trade sizes (finer than the lot).
    pub fn from_rules(id: u16, r: &SymbolRules, book_qty_scale: u8) -> SymInfo {
        let sat = |v: i128| v.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
        let mut info = AxhSymbolInfo {
            tick: r.tick,
            lot: r.lot,
            min_qty: r.min_qty,
            max_qty: r.max_qty,
            min_notional: sat(r.min_notional),
            max_notional: sat(r.max_notional),
            symbol: id,
            price_scale: r.price_scale,
            qty_scale: r.qty_scale,
            book_qty_scale,
            notional_scale: r.notional_scale(),
            reserved: [0; 2],
            name: [0; AXH_NAME_LEN],
        };
        copy_str(&mut info.name, &r.symbol);
        SymInfo { info }
    }
}

/// C order handles: `serial << 32 | slot`. The serial changes whenever the tracker's slot holds a different order,
/// so a handle of a finished order never resolves to the order that reused its slot. Never 0.
///
/// Also maps client ids to slots, because a `Fill` names its order only by id and the fill that completes an order
/// is its only news (no separate order event): the fill callback reports the order's handle and final status.
#[derive(Default)]
pub struct Handles {
    slots: Vec<Slot>,
    by_client: HashMap<IdKey, u32>,
}

/// A client id as a hashable value (the id types compare but do not hash).
type IdKey = (u8, [u8; MAX_ID_LEN]);

fn id_key(c: &ClientId) -> IdKey {
    let b = c.as_bytes();
    let mut k = [0u8; MAX_ID_LEN];
    k[..b.len()].copy_from_slice(b);
    (b.len() as u8, k)
}

#[derive(Clone, Copy)]
struct Slot {
    serial: u32,
    handle: Option<OrderHandle>,
    client: ClientId,
}

const EMPTY_SLOT: Slot = Slot {
    serial: 0,
    handle: None,
    client: ClientId::EMPTY,
};

impl Handles {
    /// Room for `n` orders without allocating later.
    pub fn with_capacity(n: usize) -> Handles {
        Handles {
            slots: vec![EMPTY_SLOT; n],
            by_client: HashMap::with_capacity(n.max(16) * 2),
        }
    }

    /// The handle for the order in tracker handle `h` whose client id is `client`.
    pub fn token(&mut self, h: OrderHandle, client: &ClientId) -> u64 {
        let i = h.index();
        if i >= self.slots.len() {
            // Only if the tracker holds more orders than configured; never on the usual path.
            self.slots.resize(i + 1, EMPTY_SLOT);
        }
        let s = &mut self.slots[i];
        if s.handle != Some(h) {
            s.serial = s.serial.wrapping_add(1).max(1);
            s.handle = Some(h);
            let old = id_key(&s.client);
            if !s.client.is_empty() && self.by_client.get(&old) == Some(&(i as u32)) {
                self.by_client.remove(&old);
            }
            s.client = *client;
            if !client.is_empty() {
                self.by_client.insert(id_key(client), i as u32);
            }
        }
        (u64::from(s.serial) << 32) | i as u64
    }

    pub fn resolve(&self, token: u64) -> Option<OrderHandle> {
        let s = self.slots.get((token & 0xffff_ffff) as usize)?;
        if s.serial == 0 || u64::from(s.serial) != token >> 32 {
            return None;
        }
        s.handle
    }

    /// The C handle and tracker handle of the order with this client id, if it passed through `token`.
    pub fn by_client(&self, client: &ClientId) -> Option<(u64, OrderHandle)> {
        let i = *self.by_client.get(&id_key(client))?;
        let s = self.slots.get(i as usize)?;
        Some(((u64::from(s.serial) << 32) | u64::from(i), s.handle?))
    }
}

/// What `axh_ctx *` points at during a callback.
pub struct CtxCell<'x> {
    pub ctx: &'x mut dyn Ctx,
    pub syms: &'x [SymInfo],
    /// Index = asset id; names and scales, figures zero.
    pub assets: &'x [AxhBalance],
    pub handles: &'x mut Handles,
}

impl CtxCell<'_> {
    /// The asset's record with its current figures; `None` when no figures are known yet (no credentials, or before
    /// the balance snapshot).
    pub fn balance(&self, asset: u16) -> Option<AxhBalance> {
        let t = self.assets.get(usize::from(asset))?;
        let (total, available) = self.ctx.balance(AssetId(asset))?;
        Some(AxhBalance {
            total,
            available,
            ..*t
        })
    }

    /// The id of the asset named `name` (`"USDT"`).
    pub fn asset_id(&self, name: &[u8]) -> Option<u16> {
        self.assets
            .iter()
            .find(|a| {
                a.name[..usize::from(a.name_len)]
                    .iter()
                    .map(|c| *c as u8)
                    .eq(name.iter().copied())
            })
            .map(|a| a.asset)
    }
}

thread_local! {
    /// The live context and book handles on this thread (0 outside callbacks).
    static LIVE_CTX: Cell<usize> = const { Cell::new(0) };
    static LIVE_BOOK: Cell<usize> = const { Cell::new(0) };
}

pub fn ctx_is_live(p: *const AxhCtx) -> bool {
    !p.is_null() && LIVE_CTX.with(|c| c.get()) == p as usize
}

pub fn book_is_live(p: *const AxhBook) -> bool {
    !p.is_null() && LIVE_BOOK.with(|c| c.get()) == p as usize
}

/// Restores the previous live handles even if something unwinds.
struct Live {
    ctx: usize,
    book: usize,
}

impl Live {
    fn enter(ctx: usize, book: usize) -> Live {
        Live {
            ctx: LIVE_CTX.with(|c| c.replace(ctx)),
            book: LIVE_BOOK.with(|c| c.replace(book)),
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        LIVE_CTX.with(|c| c.set(self.ctx));
        LIVE_BOOK.with(|c| c.set(self.book));
    }
}

pub struct Bridge {
    pub cbs: Callbacks,
    pub stop: Arc<AtomicBool>,
    pub syms: Vec<SymInfo>,
    /// One record per asset of the configured symbols (index = asset id), built at start so a balance callback only
    /// copies it and sets the figures.
    pub assets: Vec<AxhBalance>,
    pub handles: Handles,
    pub fee_scale: u8,
}

impl Bridge {
    /// Runs `f` with a live context handle (and book handle, when given).
    fn call(&mut self, ctx: &mut dyn Ctx, book: Option<&Book>, f: impl FnOnce(*mut AxhCtx)) {
        let mut cell = CtxCell {
            ctx,
            syms: &self.syms,
            assets: &self.assets,
            handles: &mut self.handles,
        };
        let p = (&raw mut cell).cast::<AxhCtx>();
        let b = book.map_or(0, |b| b as *const Book as usize);
        let _live = Live::enter(p as usize, b);
        f(p);
    }

    fn scales(&self, symbol: SymbolId) -> (u8, u8, u8) {
        self.syms.get(symbol.0 as usize).map_or((0, 0, 0), |s| {
            (s.info.price_scale, s.info.qty_scale, s.info.book_qty_scale)
        })
    }
}

pub fn side_code(s: Side) -> u8 {
    match s {
        Side::Buy => AXH_BUY,
        Side::Sell => AXH_SELL,
    }
}

pub fn status_code(s: OrderStatus) -> u8 {
    match s {
        OrderStatus::PendingNew => AXH_ST_PENDING_NEW,
        OrderStatus::New => AXH_ST_NEW,
        OrderStatus::PartiallyFilled => AXH_ST_PARTIALLY_FILLED,
        OrderStatus::PendingCancel => AXH_ST_PENDING_CANCEL,
        OrderStatus::Unknown => AXH_ST_UNKNOWN,
        OrderStatus::Filled => AXH_ST_FILLED,
        OrderStatus::Canceled => AXH_ST_CANCELED,
        OrderStatus::Rejected => AXH_ST_REJECTED,
    }
}

fn event_code(k: OrderEventKind) -> u8 {
    match k {
        OrderEventKind::Acknowledged => AXH_EV_ACK,
        OrderEventKind::New => AXH_EV_NEW,
        OrderEventKind::Canceled => AXH_EV_CANCELED,
        OrderEventKind::Rejected => AXH_EV_REJECTED,
        OrderEventKind::Unknown => AXH_EV_UNKNOWN,
    }
}

fn kind_code(k: OrderKind) -> u8 {
    match k {
        OrderKind::Limit => AXH_LIMIT,
        OrderKind::Market => AXH_MARKET,
        OrderKind::StopLimit => AXH_STOP_LIMIT,
        OrderKind::StopMarket => AXH_STOP_MARKET,
    }
}

impl Strategy for Bridge {
    fn on_start(&mut self, ctx: &mut impl Ctx) {
        if let Some(cb) = self.cbs.start {
            // SAFETY: a C function pointer registered for this signature; `ctx` is live for the call.
            self.call(ctx, None, |c| unsafe { (cb.f)(cb.user, c) });
        }
    }

    fn on_book(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, book: &Book, u: &BookUpdate) {
        let Some(cb) = self.cbs.book else { return };
        let (ps, _, bqs) = self.scales(symbol);
        let (bid, ask) = (book.best_bid(), book.best_ask());
        let upd = AxhBookUpdate {
            seqnum: u.seqnum,
            ts_ms: u.ts_ms,
            rx_ns: u.rx_ns,
            bid_price: bid.map_or(0, |l| l.price.0),
            bid_qty: bid.map_or(0, |l| l.qty.0),
            ask_price: ask.map_or(0, |l| l.price.0),
            ask_qty: ask.map_or(0, |l| l.qty.0),
            symbol: symbol.0,
            price_scale: ps,
            qty_scale: bqs,
            has_bid: bid.is_some() as u8,
            has_ask: ask.is_some() as u8,
            snapshot: u.snapshot as u8,
            top_changed: u.top_changed as u8,
        };
        let bp = (book as *const Book).cast::<AxhBook>();
        // SAFETY: registered C callback; `upd` outlives the call, `c` and `bp` are live for it.
        self.call(ctx, Some(book), |c| unsafe { (cb.f)(cb.user, c, &upd, bp) });
    }

    fn on_book_status(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, status: BookStatus) {
        let Some(cb) = self.cbs.book_status else {
            return;
        };
        let (live, reason) = match status {
            BookStatus::Live => (1, c"live"),
            BookStatus::Stale(r) => (0, resync_cstr(r)),
            // Not live (C callers that test `live` pull their quotes), with its own reason.
            BookStatus::Silent { .. } => (0, c"silent"),
        };
        // SAFETY: registered C callback; `reason` is a static C string.
        self.call(ctx, None, |c| unsafe {
            (cb.f)(cb.user, c, symbol.0, live, reason.as_ptr())
        });
    }

    fn on_trade(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, t: &Trade) {
        let Some(cb) = self.cbs.trade else { return };
        let (ps, _, bqs) = self.scales(symbol);
        let tr = AxhTrade {
            price: t.price.0,
            qty: t.qty.0,
            ts_ms: t.ts,
            seqnum: t.seqnum,
            symbol: symbol.0,
            price_scale: ps,
            qty_scale: bqs,
            taker_side: match t.side() {
                TradeSide::Buy => AXH_BUY,
                TradeSide::Sell => AXH_SELL,
            },
            reserved: [0; 3],
        };
        // SAFETY: registered C callback; `tr` outlives the call.
        self.call(ctx, None, |c| unsafe { (cb.f)(cb.user, c, &tr) });
    }

    fn on_order(&mut self, ctx: &mut impl Ctx, e: &OrderEvent<'_>) {
        let Some(cb) = self.cbs.order else { return };
        let o = e.order;
        let (ps, qs, _) = self.scales(o.symbol);
        let mut ev = AxhOrderEvent {
            handle: self.handles.token(e.handle, &o.client_id),
            price: o.price,
            qty: o.qty,
            filled_qty: o.cum_qty,
            avg_price: o.avg_px,
            fee: o.cum_fee,
            code: e.code,
            symbol: o.symbol.0,
            kind: event_code(e.kind),
            status: status_code(e.status),
            side: side_code(o.side),
            order_type: kind_code(o.kind),
            post_only: o.post_only as u8,
            price_scale: ps,
            qty_scale: qs,
            fee_scale: self.fee_scale,
            reserved: [0; 6],
            order_id: [0; AXH_ID_LEN],
            client_id: [0; AXH_ID_LEN],
            reason: [0; AXH_REASON_LEN],
        };
        copy_str(&mut ev.order_id, o.order_id.as_str());
        copy_str(&mut ev.client_id, o.client_id.as_str());
        copy_str(&mut ev.reason, e.reason);
        // SAFETY: registered C callback; `ev` outlives the call.
        self.call(ctx, None, |c| unsafe { (cb.f)(cb.user, c, &ev) });
    }

    fn on_fill(&mut self, ctx: &mut impl Ctx, f: &Fill) {
        let Some(cb) = self.cbs.fill else { return };
        let (ps, qs, _) = self.scales(f.symbol);
        let (handle, order) = match self.handles.by_client(&f.client_id) {
            Some((tok, h)) => (tok, ctx.order(h).filter(|o| o.client_id == f.client_id)),
            None => (0, None),
        };
        let mut fl = AxhFill {
            handle: if order.is_some() { handle } else { 0 },
            filled_qty: order.map_or(0, |o| o.cum_qty),
            status: order.map_or(AXH_ST_UNKNOWN, |o| status_code(o.status)),
            price: f.price,
            qty: f.qty,
            fee: f.fee,
            ts_ms: f.ts_ms,
            symbol: f.symbol.0,
            side: side_code(f.side),
            price_scale: ps,
            qty_scale: qs,
            fee_scale: self.fee_scale,
            reserved: 0,
            order_id: [0; AXH_ID_LEN],
            client_id: [0; AXH_ID_LEN],
        };
        copy_str(&mut fl.order_id, f.order_id.as_str());
        copy_str(&mut fl.client_id, f.client_id.as_str());
        // SAFETY: registered C callback; `fl` outlives the call.
        self.call(ctx, None, |c| unsafe { (cb.f)(cb.user, c, &fl) });
    }

    fn on_balance(&mut self, ctx: &mut impl Ctx, asset: AssetId, total: i64, available: i64) {
        let Some(cb) = self.cbs.balance else { return };
        // Every id the session reports is in the table built from the same session at start; an id outside it
        // would have no name to report, so it is not forwarded.
        let Some(t) = self.assets.get(usize::from(asset.0)) else {
            return;
        };
        let b = AxhBalance {
            total,
            available,
            ..*t
        };
        // SAFETY: registered C callback; `b` outlives the call.
        self.call(ctx, None, |c| unsafe { (cb.f)(cb.user, c, &b) });
    }

    fn on_timer(&mut self, ctx: &mut impl Ctx, id: usize) {
        if let Some(cb) = self.cbs.timer {
            // SAFETY: registered C callback.
            self.call(ctx, None, |c| unsafe { (cb.f)(cb.user, c, id as u32) });
        }
    }

    #[inline]
    fn on_idle(&mut self, ctx: &mut impl Ctx) {
        // `axh_engine_stop` from any thread lands here within one loop iteration (at most ~100 ms when blocking).
        if self.stop.load(Ordering::Relaxed) {
            ctx.stop();
        }
    }
}

fn resync_cstr(r: crate::book::ResyncReason) -> &'static std::ffi::CStr {
    use crate::book::ResyncReason as R;
    match r {
        R::Gap => c"gap",
        R::Duplicate => c"duplicate",
        R::Reorder => c"reorder",
        R::Crossed => c"crossed",
        R::Reconnect => c"reconnect",
        R::BufferOverflow => c"buffer_overflow",
        R::OutOfWindow => c"out_of_window",
        R::BadLevel => c"bad_level",
        R::BadMessage => c"bad_message",
    }
}

/// Reads `n` levels of one side, best first, into `out`.
pub fn book_levels(book: &Book, side: u8, out: &mut [AxhLevel]) -> Option<usize> {
    let side = match side {
        AXH_BID => crate::book::Side::Bid,
        AXH_ASK => crate::book::Side::Ask,
        _ => return None,
    };
    let mut n = 0;
    for (slot, l) in out.iter_mut().zip(book.levels(side)) {
        *slot = AxhLevel {
            price: l.price.0,
            qty: l.qty.0,
        };
        n += 1;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::OrderTracker;
    use crate::orders::tracker::NewOrder;
    use crate::orders::types::{ClientId, TimeInForce};

    fn new_order(id: &str) -> NewOrder {
        NewOrder {
            client_id: ClientId::new(id.as_bytes()).unwrap(),
            order_id: None,
            symbol: SymbolId(0),
            side: Side::Buy,
            kind: OrderKind::Limit,
            tif: TimeInForce::Gtc,
            post_only: true,
            price: 100,
            qty: 1,
        }
    }

    #[test]
    fn handles_resolve_until_the_slot_holds_another_order() {
        let mut t = OrderTracker::new(1);
        let mut hs = Handles::with_capacity(1);
        let a = t.insert(new_order("a1"), 0, 1).unwrap();
        let (ca, cb) = (ClientId::new(b"a1").unwrap(), ClientId::new(b"b2").unwrap());
        let ta = hs.token(a, &ca);
        assert_ne!(ta, 0);
        assert_eq!(hs.token(a, &ca), ta, "the same order keeps its token");
        assert_eq!(hs.resolve(ta), Some(a));
        assert_eq!(hs.by_client(&ca), Some((ta, a)));
        t.release(a).unwrap();
        let b = t.insert(new_order("b2"), 0, 1).unwrap();
        assert_eq!(b.index(), a.index(), "the one slot is reused");
        let tb = hs.token(b, &cb);
        assert_ne!(tb, ta);
        assert_eq!(hs.resolve(tb), Some(b));
        assert_eq!(hs.by_client(&cb), Some((tb, b)));
        assert_eq!(hs.by_client(&ca), None, "the old order's id left with it");
        assert_eq!(
            hs.resolve(ta),
            None,
            "a finished order's token never reaches the new one"
        );
        assert_eq!(hs.resolve(0), None);
        assert_eq!(hs.resolve(u64::MAX), None);
        // A tracker larger than configured still works (the map grows).
        let mut big = OrderTracker::new(8);
        let mut small = Handles::with_capacity(1);
        for i in 0..8 {
            let id = format!("c{i}");
            let h = big.insert(new_order(&id), 0, 1).unwrap();
            let c = ClientId::new(id.as_bytes()).unwrap();
            let tok = small.token(h, &c);
            assert_eq!(small.resolve(tok), Some(h));
            assert_eq!(small.by_client(&c), Some((tok, h)));
        }
    }

    #[test]
    fn resync_names_match_the_cli_names() {
        use crate::book::ResyncReason as R;
        for r in [
            R::Gap,
            R::Duplicate,
            R::Reorder,
            R::Crossed,
            R::Reconnect,
            R::BufferOverflow,
            R::OutOfWindow,
            R::BadLevel,
            R::BadMessage,
        ] {
            assert_eq!(resync_cstr(r).to_str().unwrap(), r.as_str());
        }
    }
}
