//! No allocation per market-data message through the C ABI: against the simulator, a counting global allocator
//! (counting on the engine thread only; the simulator runs on its own) sees nothing allocated between consecutive
//! book callbacks after warm-up. That window holds the whole path: socket read, TLS, WebSocket frame, decode, book,
//! and the bridge that builds the C structs and calls the C function.

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

#[test]
fn no_allocation_between_book_callbacks_after_warm_up() {
    let sim = ascendex_sim::start(ascendex_sim::SimConfig {
        rate: 3000,
        symbols: vec!["BTC/USDT".into()],
        ..ascendex_sim::SimConfig::default()
    })
    .expect("simulator starts");
    let keep = [
        CString::new(sim.rest_url()).unwrap(),
        CString::new(sim.ws_url()).unwrap(),
        CString::new(sim.ca_file().display().to_string()).unwrap(),
        CString::new("BTC/USDT").unwrap(),
    ];
    let symbols: [*const c_char; 1] = [keep[3].as_ptr()];
    let mut cfg = std::mem::MaybeUninit::<AxhConfig>::uninit();
    // SAFETY: writable storage, then initialised by axh_config_init.
    let mut cfg = unsafe {
        axh_config_init(cfg.as_mut_ptr());
        cfg.assume_init()
    };
    cfg.rest_url = keep[0].as_ptr();
    cfg.ws_url = keep[1].as_ptr();
    cfg.ca_file = keep[2].as_ptr();
    cfg.symbols = symbols.as_ptr();
    cfg.n_symbols = 1;
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
