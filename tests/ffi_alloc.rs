//! No allocation per message through the C ABI: against the simulator, a counting global allocator (counting on the
//! engine thread only; the simulator runs on its own) sees nothing allocated between consecutive book callbacks after
//! warm-up. That window holds the whole path: socket read, TLS, WebSocket frame, decode, book, and the bridge that
//! builds the C structs and calls the C function. The trading test adds what a C strategy does on that thread:
//! places, cancels and market buys from book callbacks, their order, fill and balance callbacks, balance queries.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ffi::{CStr, CString, c_char, c_void};

use ascendex_hft::ffi::abi::*;
use ascendex_hft::ffi::error::*;
use ascendex_hft::ffi::*;

thread_local! {
    static COUNT_HERE: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

struct Counting;

fn count() {
    // `try_with`: the allocator also runs while thread locals are being torn down.
    let _ = COUNT_HERE.try_with(|c| {
        if c.get() {
            let _ = ALLOCS.try_with(|a| a.set(a.get() + 1));
        }
    });
}

// SAFETY: forwards to the system allocator unchanged; counting touches only const-initialised thread locals.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const WARMUP: u32 = 300;
const MEASURED: u32 = 1000;

#[derive(Default)]
struct Window {
    books: u32,
    last: u64,
    /// Allocations seen from one book callback's entry to the next's (the callback's own ABI calls included) after
    /// warm-up, and in how many windows.
    allocs: u64,
    windows_with_allocs: u32,
    top_reads: i64,
    refused: u32,
}

unsafe extern "C" fn on_book(
    user: *mut c_void,
    ctx: *mut AxhCtx,
    u: *const AxhBookUpdate,
    book: *const AxhBook,
) {
    // SAFETY: registered with a `Window` that outlives the engine; `u`, `book` and `ctx` are live for this call.
    let (w, u) = unsafe { (&mut *user.cast::<Window>(), &*u) };
    let now = ALLOCS.with(|a| a.get());
    if w.books == 0 {
        COUNT_HERE.with(|c| c.set(true));
    } else if w.books > WARMUP {
        let d = now - w.last;
        w.allocs += d;
        w.windows_with_allocs += u32::from(d > 0);
    }
    w.books += 1;
    w.last = now;
    // Use the callback API the way a strategy would, inside the measured window.
    let mut lv = [AxhLevel::default(); 5];
    let mut n = 0usize;
    // SAFETY: live handles; `lv` holds 5 levels.
    unsafe {
        axh_book_levels(book, AXH_BID as i32, lv.as_mut_ptr(), lv.len(), &mut n);
        w.top_reads += u.bid_price.min(lv[0].price).signum();
        axh_ctx_now_ns(ctx);
        // Market data only: refused before sending, and the refusal's message costs no allocation either.
        let req = AxhOrderReq {
            price: u.bid_price,
            qty: 1,
            post_only: 1,
            ..AxhOrderReq::default()
        };
        let mut h = 0u64;
        w.refused += u32::from(axh_ctx_place(ctx, &req, &mut h) == AXH_E_REFUSED);
        if w.books > WARMUP + MEASURED {
            axh_ctx_stop(ctx);
        }
    }
}

/// The strings a config points at, kept alive with it.
struct CfgStrings {
    s: [CString; 6],
    symbols: [*const c_char; 1],
    trade: bool,
}

impl CfgStrings {
    fn new(sim: &ascendex_sim::SimHandle, trade: bool) -> Box<CfgStrings> {
        let s = [
            CString::new(sim.rest_url()).unwrap(),
            CString::new(sim.ws_url()).unwrap(),
            CString::new(sim.ca_file().display().to_string()).unwrap(),
            CString::new("BTC/USDT").unwrap(),
            CString::new(sim.api_key()).unwrap(),
            CString::new(sim.api_secret()).unwrap(),
        ];
        let mut b = Box::new(CfgStrings {
            symbols: [std::ptr::null()],
            s,
            trade,
        });
        b.symbols[0] = b.s[3].as_ptr();
        b
    }

    fn config(&self) -> AxhConfig {
        let mut cfg = std::mem::MaybeUninit::<AxhConfig>::uninit();
        // SAFETY: writable storage, then initialised by axh_config_init.
        let mut cfg = unsafe {
            axh_config_init(cfg.as_mut_ptr());
            cfg.assume_init()
        };
        cfg.rest_url = self.s[0].as_ptr();
        cfg.ws_url = self.s[1].as_ptr();
        cfg.ca_file = self.s[2].as_ptr();
        cfg.symbols = self.symbols.as_ptr();
        cfg.n_symbols = 1;
        if self.trade {
            cfg.api_key = self.s[4].as_ptr();
            cfg.api_secret = self.s[5].as_ptr();
        }
        cfg
    }
}

#[test]
fn no_allocation_between_book_callbacks_after_warm_up() {
    let sim = ascendex_sim::start(ascendex_sim::SimConfig {
        rate: 3000,
        symbols: vec!["BTC/USDT".into()],
        ..ascendex_sim::SimConfig::default()
    })
    .expect("simulator starts");
    let c = CfgStrings::new(&sim, false);
    let cfg = c.config();
    let mut w = Window::default();
    // SAFETY: a valid config; `w` outlives the engine; the callback has the documented signature.
    let rc = unsafe {
        let e = axh_engine_new(&cfg);
        assert!(!e.is_null());
        axh_engine_on_book(e, Some(on_book), (&raw mut w).cast());
        let rc = axh_engine_run(e, 60_000);
        COUNT_HERE.with(|c| c.set(false));
        assert_eq!(axh_engine_free(e), AXH_OK);
        rc
    };
    // SAFETY: the library's NUL-terminated message.
    let msg = unsafe { CStr::from_ptr(axh_last_error()) }.to_string_lossy();
    assert_eq!(rc, AXH_OK, "{msg}");
    assert!(
        w.books > WARMUP + MEASURED,
        "only {} book updates in 60 s",
        w.books
    );
    assert_eq!(w.top_reads, i64::from(w.books), "every update had a bid");
    assert_eq!(
        w.refused, w.books,
        "a session without credentials refuses orders"
    );
    assert_eq!(
        w.allocs,
        0,
        "{} allocations in {} of {} windows between book callbacks",
        w.allocs,
        w.windows_with_allocs,
        w.books - WARMUP - 1
    );
}

/// What the trading test's callbacks record: counters only, so the callbacks themselves allocate nothing.
#[derive(Default)]
struct Trading {
    info: Option<AxhSymbolInfo>,
    /// Book updates since the start callback.
    books: u32,
    quote: u64,
    placed: u32,
    takes: u32,
    refused: u32,
    /// Inside the measured window.
    orders: u32,
    fills: u32,
    balances: u32,
    bad_balances: u32,
    queries_ok: u32,
    /// Allocations on the engine thread over the measured window.
    allocs: Option<u64>,
    at_start: u64,
}

fn trading<'a>(user: *mut c_void) -> &'a mut Trading {
    // SAFETY: every callback of the trading test is registered with a `Trading` that outlives the engine.
    unsafe { &mut *user.cast::<Trading>() }
}

fn measuring(t: &Trading) -> bool {
    t.books > WARMUP && t.allocs.is_none()
}

unsafe extern "C" fn tr_start(user: *mut c_void, ctx: *mut AxhCtx) {
    let t = trading(user);
    let mut info = std::mem::MaybeUninit::<AxhSymbolInfo>::uninit();
    // SAFETY: live ctx, writable `info`, written on success.
    if unsafe { axh_ctx_symbol_info(ctx, 0, info.as_mut_ptr()) } == AXH_OK {
        // SAFETY: written by the call.
        t.info = Some(unsafe { info.assume_init() });
    }
}

/// The smallest size the rules accept at `price`, in lots.
fn min_qty(i: &AxhSymbolInfo, price: i64) -> i64 {
    let q = i
        .min_qty
        .max(i.lot)
        .max((i.min_notional + price - 1) / price);
    (q + i.lot - 1) / i.lot * i.lot
}

unsafe extern "C" fn tr_book(
    user: *mut c_void,
    ctx: *mut AxhCtx,
    u: *const AxhBookUpdate,
    _book: *const AxhBook,
) {
    let t = trading(user);
    // SAFETY: valid during the callback.
    let u = unsafe { &*u };
    let Some(info) = t.info else { return };
    t.books += 1;
    if t.books == WARMUP {
        COUNT_HERE.with(|c| c.set(true));
        t.at_start = ALLOCS.with(|a| a.get());
    }
    if u.has_bid == 0 || u.has_ask == 0 {
        return;
    }
    let mut b = std::mem::MaybeUninit::<AxhBalance>::uninit();
    // SAFETY: live ctx; `b` is writable.
    t.queries_ok +=
        u32::from(unsafe { axh_ctx_balance(ctx, c"USDT".as_ptr(), b.as_mut_ptr()) } == AXH_OK);
    // Every 10th update: replace the resting quote far below the bid (its lock moves the USDT balance). Every
    // 100th: a small market buy, whose fill moves both balances.
    let req = if t.books % 100 == 50 {
        AxhOrderReq {
            qty: 2 * min_qty(&info, u.ask_price),
            side: AXH_BUY,
            order_type: AXH_MARKET,
            ..AxhOrderReq::default()
        }
    } else if t.books % 10 == 0 {
        if t.quote != 0 {
            // SAFETY: live ctx. A quote already gone answers AXH_E_NOT_FOUND / AXH_E_REFUSED, both fine here.
            unsafe { axh_ctx_cancel(ctx, t.quote) };
            t.quote = 0;
        }
        let price = u.bid_price - 50 * info.tick;
        AxhOrderReq {
            price,
            qty: min_qty(&info, price),
            side: AXH_BUY,
            order_type: AXH_LIMIT,
            post_only: 1,
            ..AxhOrderReq::default()
        }
    } else {
        AxhOrderReq::default()
    };
    if req.qty > 0 {
        let mut h = 0u64;
        // SAFETY: live ctx.
        match unsafe { axh_ctx_place(ctx, &req, &mut h) } {
            AXH_OK if req.order_type == AXH_MARKET => t.takes += 1,
            AXH_OK => {
                t.placed += 1;
                t.quote = h;
            }
            _ => t.refused += 1,
        }
    }
    if t.books == WARMUP + MEASURED {
        t.allocs = Some(ALLOCS.with(|a| a.get()) - t.at_start);
        COUNT_HERE.with(|c| c.set(false));
        // SAFETY: live ctx.
        unsafe { axh_ctx_stop(ctx) };
    }
}

unsafe extern "C" fn tr_order(user: *mut c_void, _ctx: *mut AxhCtx, _e: *const AxhOrderEvent) {
    let t = trading(user);
    t.orders += u32::from(measuring(t));
}

unsafe extern "C" fn tr_fill(user: *mut c_void, _ctx: *mut AxhCtx, _f: *const AxhFill) {
    let t = trading(user);
    t.fills += u32::from(measuring(t));
}

unsafe extern "C" fn tr_balance(user: *mut c_void, _ctx: *mut AxhCtx, b: *const AxhBalance) {
    let t = trading(user);
    // SAFETY: valid during the callback.
    let b = unsafe { &*b };
    if measuring(t) {
        t.balances += 1;
        let named = b.name_len > 0 && b.name[usize::from(b.name_len)] == 0;
        t.bad_balances += u32::from(!named || b.available > b.total || b.scale == 0);
    }
}

#[test]
fn no_allocation_while_trading_with_balance_callbacks() {
    let sim = ascendex_sim::start(ascendex_sim::SimConfig {
        rate: 1000,
        symbols: vec!["BTC/USDT".into()],
        ..ascendex_sim::SimConfig::default()
    })
    .expect("simulator starts");
    let c = CfgStrings::new(&sim, true);
    let cfg = c.config();
    let mut t = Trading::default();
    let user = (&raw mut t).cast::<c_void>();
    // SAFETY: a valid config; `t` outlives the engine; the callbacks have the documented signatures.
    let rc = unsafe {
        let e = axh_engine_new(&cfg);
        assert!(!e.is_null());
        axh_engine_on_start(e, Some(tr_start), user);
        axh_engine_on_book(e, Some(tr_book), user);
        axh_engine_on_order(e, Some(tr_order), user);
        axh_engine_on_fill(e, Some(tr_fill), user);
        axh_engine_on_balance(e, Some(tr_balance), user);
        let rc = axh_engine_run(e, 90_000);
        COUNT_HERE.with(|c| c.set(false));
        assert_eq!(axh_engine_free(e), AXH_OK);
        rc
    };
    // SAFETY: the library's NUL-terminated message.
    let msg = unsafe { CStr::from_ptr(axh_last_error()) }.to_string_lossy();
    assert_eq!(rc, AXH_OK, "{msg}");
    let summary = format!(
        "books {} placed {} takes {} refused {} orders {} fills {} balances {} queries {}",
        t.books, t.placed, t.takes, t.refused, t.orders, t.fills, t.balances, t.queries_ok
    );
    let allocs = t
        .allocs
        .unwrap_or_else(|| panic!("the run ended before the window closed: {summary}"));
    // The window saw the whole trading path, balance callbacks included.
    assert!(t.placed >= MEASURED / 20, "{summary}");
    assert!(t.takes >= MEASURED / 200, "{summary}");
    assert!(t.orders > 0 && t.fills > 0, "{summary}");
    assert!(t.balances >= t.fills, "{summary}");
    assert_eq!(t.bad_balances, 0, "{summary}");
    assert!(t.queries_ok >= MEASURED / 2, "{summary}");
    assert_eq!(
        allocs, 0,
        "allocations on the engine thread over {MEASURED} book updates of trading: {summary}"
    );
}
