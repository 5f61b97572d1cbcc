//! The C ABI called from Rust exactly as C calls it: config errors, decimals, callback registration, the engine's
//! one-run lifecycle, stop from another thread, context handles refused outside callbacks, start-up failures
//! against the simulator. (The C example, compiled and linked against the static library, is `ffi_c.rs`.)

use std::ffi::{CStr, CString, c_char, c_void};
use std::ptr::{null, null_mut};
use std::time::{Duration, Instant};

use ascendex_hft::ffi::abi::*;
use ascendex_hft::ffi::error::*;
use ascendex_hft::ffi::*;

fn last_error() -> String {
    // SAFETY: axh_last_error returns a valid NUL-terminated string owned by the library.
    unsafe { CStr::from_ptr(axh_last_error()) }
        .to_string_lossy()
        .into_owned()
}

/// Owns the C strings a config points at.
struct Cfg {
    c: AxhConfig,
    _strings: Vec<CString>,
    _symbols: Vec<*const c_char>,
}

#[derive(Default, Clone)]
struct Spec<'a> {
    rest: Option<&'a str>,
    ws: Option<&'a str>,
    ca: Option<&'a str>,
    symbols: Vec<&'a str>,
    key: Option<&'a str>,
    secret: Option<&'a str>,
    mode: u32,
    core: i32,
    flags: u32,
}

impl<'a> Spec<'a> {
    fn new(rest: &'a str) -> Spec<'a> {
        Spec {
            rest: Some(rest),
            symbols: vec!["BTC/USDT"],
            core: -1,
            ..Spec::default()
        }
    }

    fn build(&self) -> Cfg {
        let mut strings = Vec::new();
        let mut p = |s: Option<&str>| -> *const c_char {
            match s {
                Some(s) => {
                    let c = CString::new(s).unwrap();
                    let ptr = c.as_ptr();
                    strings.push(c);
                    ptr
                }
                None => null(),
            }
        };
        let mut c = std::mem::MaybeUninit::<AxhConfig>::uninit();
        // SAFETY: a writable config.
        unsafe { axh_config_init(c.as_mut_ptr()) };
        // SAFETY: initialised by axh_config_init.
        let mut c = unsafe { c.assume_init() };
        c.rest_url = p(self.rest);
        c.ws_url = p(self.ws);
        c.ca_file = p(self.ca);
        c.api_key = p(self.key);
        c.api_secret = p(self.secret);
        let symbols: Vec<*const c_char> = self.symbols.iter().map(|s| p(Some(s))).collect();
        c.symbols = symbols.as_ptr();
        c.n_symbols = symbols.len();
        c.mode = self.mode;
        c.core = self.core;
        c.flags = self.flags;
        Cfg {
            c,
            _strings: strings,
            _symbols: symbols,
        }
    }
}

fn new_engine(spec: &Spec) -> Result<*mut AxhEngine, (i32, String)> {
    let cfg = spec.build();
    // SAFETY: a valid config whose strings live in `cfg`.
    let e = unsafe { axh_engine_new(&cfg.c) };
    if e.is_null() {
        Err((axh_last_error_code(), last_error()))
    } else {
        Ok(e)
    }
}

fn free(e: *mut AxhEngine) {
    // SAFETY: an engine from axh_engine_new, not running.
    assert_eq!(unsafe { axh_engine_free(e) }, AXH_OK, "{}", last_error());
}

#[test]
fn version_and_abi() {
    // SAFETY: static string.
    let v = unsafe { CStr::from_ptr(axh_version()) }.to_str().unwrap();
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
    assert_eq!(axh_abi_version(), AXH_ABI_VERSION);
    // SAFETY: static strings.
    let name = |s| {
        unsafe { CStr::from_ptr(axh_order_status_name(s)) }
            .to_str()
            .unwrap()
    };
    assert_eq!(name(AXH_ST_PARTIALLY_FILLED as i32), "PartiallyFilled");
    assert_eq!(name(AXH_ST_REJECTED as i32), "Rejected");
    assert_eq!(name(99), "?");
    assert_eq!(name(-1), "?");
}

#[test]
fn decimals_round_trip_exactly() {
    let fmt = |m: i64, s: u8, len: usize| -> Result<String, i32> {
        let mut buf = vec![0x7f as c_char; len];
        // SAFETY: `buf` holds `len` bytes.
        let n = unsafe { axh_format_decimal(m, s, buf.as_mut_ptr(), len) };
        if n < 0 {
            return Err(n);
        }
        // SAFETY: NUL-terminated by the call.
        let out = unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(out.len(), n as usize);
        Ok(out)
    };
    assert_eq!(fmt(6_000_010, 2, 48).unwrap(), "60000.10");
    assert_eq!(fmt(6144, 5, 48).unwrap(), "0.06144");
    assert_eq!(fmt(-5, 3, 48).unwrap(), "-0.005");
    assert_eq!(fmt(7, 0, 48).unwrap(), "7");
    assert_eq!(fmt(i64::MIN, 18, 48).unwrap(), "-9.223372036854775808");
    // "0.06144" needs 8 bytes with the NUL.
    assert_eq!(fmt(6144, 5, 7), Err(AXH_E_BUFFER));
    assert!(last_error().contains("too small"), "{}", last_error());
    assert_eq!(fmt(6144, 5, 8).unwrap(), "0.06144");
    assert_eq!(fmt(1, 19, 48), Err(AXH_E_ARG));
    // SAFETY: NULL buffer is reported, not written.
    assert_eq!(
        unsafe { axh_format_decimal(1, 2, null_mut(), 10) },
        AXH_E_NULL
    );

    let parse = |s: &str, scale: u8| -> Result<i64, (i32, String)> {
        let c = CString::new(s).unwrap();
        let mut out = 0i64;
        // SAFETY: valid string and output.
        let rc = unsafe { axh_parse_decimal(c.as_ptr(), scale, &mut out) };
        if rc == AXH_OK {
            Ok(out)
        } else {
            Err((rc, last_error()))
        }
    };
    assert_eq!(parse("60000.1", 2), Ok(6_000_010));
    assert_eq!(parse("0.068600", 4), Ok(686));
    assert_eq!(parse("-0.005", 3), Ok(-5));
    let (code, msg) = parse("0.0686001", 4).unwrap_err();
    assert_eq!(code, AXH_E_ARG);
    assert!(msg.contains("0.0686001"), "{msg}");
    assert_eq!(parse("1e5", 2).unwrap_err().0, AXH_E_ARG);
    assert_eq!(parse("", 2).unwrap_err().0, AXH_E_ARG);
    assert_eq!(parse("99999999999999999999", 0).unwrap_err().0, AXH_E_ARG);
    let mut out = 0i64;
    // SAFETY: NULL inputs are reported, not read.
    assert_eq!(
        unsafe { axh_parse_decimal(null(), 2, &mut out) },
        AXH_E_NULL
    );
    let one = c"1";
    // SAFETY: as above.
    assert_eq!(
        unsafe { axh_parse_decimal(one.as_ptr(), 2, null_mut()) },
        AXH_E_NULL
    );
    // Round trip over a spread of values and scales.
    for scale in [0u8, 2, 5, 9, 18] {
        for m in [0i64, 1, 9, 10, 123_456_789, i64::MAX, -1, -987_654_321] {
            let s = fmt(m, scale, 48).unwrap();
            assert_eq!(parse(&s, scale), Ok(m), "{s} at {scale}");
        }
    }
}

#[test]
fn config_errors_say_what_to_fix() {
    // SAFETY: NULL is reported.
    assert!(unsafe { axh_engine_new(null()) }.is_null());
    assert_eq!(axh_last_error_code(), AXH_E_NULL);
    assert!(last_error().contains("cfg is NULL"));

    let base = Spec::new("https://127.0.0.1:9");
    let cases: Vec<(Spec, i32, &str)> = vec![
        (
            Spec {
                rest: None,
                ..base.clone()
            },
            AXH_E_ARG,
            "rest_url is required",
        ),
        (Spec::new("127.0.0.1:9"), AXH_E_ARG, "rest_url"),
        (
            Spec {
                ws: Some("not a url"),
                ..base.clone()
            },
            AXH_E_ARG,
            "ws_url",
        ),
        (
            Spec {
                symbols: vec![],
                ..base.clone()
            },
            AXH_E_ARG,
            "no symbols",
        ),
        (
            Spec {
                symbols: vec!["BTC/USDT", "BTC/USDT"],
                ..base.clone()
            },
            AXH_E_ARG,
            "listed twice",
        ),
        (
            Spec {
                symbols: vec!["BTC/USDT", ""],
                ..base.clone()
            },
            AXH_E_ARG,
            "symbols[1]",
        ),
        (
            Spec {
                key: Some("k"),
                ..base.clone()
            },
            AXH_E_ARG,
            "both api_key and api_secret",
        ),
        (
            Spec {
                ca: Some("/nonexistent/ca.pem"),
                ..base.clone()
            },
            AXH_E_TLS,
            "/nonexistent/ca.pem",
        ),
        (
            Spec {
                core: 0,
                ..base.clone()
            },
            AXH_E_ARG,
            "AXH_MODE_SPIN",
        ),
        (
            Spec {
                mode: 7,
                ..base.clone()
            },
            AXH_E_ARG,
            "mode 7",
        ),
        (
            Spec {
                flags: 64,
                ..base.clone()
            },
            AXH_E_ARG,
            "unknown flags",
        ),
    ];
    for (spec, code, needle) in cases {
        let (got, msg) = new_engine(&spec).expect_err(needle);
        assert_eq!(got, code, "{needle}: {msg}");
        assert!(msg.contains(needle), "expected {needle:?} in {msg:?}");
    }

    let mut cfg = base.build();
    cfg.c.client_id_tag = b'-';
    // SAFETY: a valid config; the tag is what is being tested.
    assert!(unsafe { axh_engine_new(&cfg.c) }.is_null());
    assert!(last_error().contains("client_id_tag"), "{}", last_error());
    cfg.c.client_id_tag = b'Q';
    // SAFETY: as above.
    let e = unsafe { axh_engine_new(&cfg.c) };
    assert!(!e.is_null(), "{}", last_error());
    free(e);

    // A config from an older, smaller header is refused rather than read past its end.
    let cfg = base.build();
    let mut c = cfg.c;
    c.struct_size = 8;
    // SAFETY: valid pointers; the size field is what is being tested.
    assert!(unsafe { axh_engine_new(&c) }.is_null());
    assert!(last_error().contains("axh_config_init"));

    // A good config in spin mode pinned to a core is accepted (pinning is tried at run time).
    let e = new_engine(&Spec {
        mode: AXH_MODE_SPIN,
        core: 0,
        ..base.clone()
    })
    .unwrap();
    free(e);
}

#[test]
fn the_secret_never_appears_in_errors() {
    let secret = "SeCrEt-5f3a9 with space";
    let (code, msg) = new_engine(&Spec {
        key: Some("key123"),
        secret: Some(secret),
        ..Spec::new("https://127.0.0.1:9")
    })
    .unwrap_err();
    assert_eq!(code, AXH_E_ARG);
    assert!(msg.contains("API secret"), "{msg}");
    assert!(!msg.contains("SeCrEt"), "the secret leaked: {msg}");
}

unsafe extern "C" fn count_book(
    user: *mut c_void,
    _ctx: *mut AxhCtx,
    _u: *const AxhBookUpdate,
    _b: *const AxhBook,
) {
    // SAFETY: `user` is the counter registered with this callback.
    unsafe { *user.cast::<u64>() += 1 };
}

unsafe extern "C" fn noop_start(_user: *mut c_void, _ctx: *mut AxhCtx) {}

#[test]
fn callbacks_register_before_the_single_run() {
    let e = new_engine(&Spec::new("https://127.0.0.1:9")).unwrap();
    let mut books = 0u64;
    let user = (&raw mut books).cast::<c_void>();
    // SAFETY: a live engine and a callback of the right signature; `books` outlives the engine.
    unsafe {
        assert_eq!(axh_engine_on_book(e, Some(count_book), user), AXH_OK);
        assert_eq!(axh_engine_on_start(e, Some(noop_start), null_mut()), AXH_OK);
        assert_eq!(axh_engine_on_start(e, None, null_mut()), AXH_OK);
        assert_eq!(
            axh_engine_on_book(null_mut(), Some(count_book), user),
            AXH_E_NULL
        );
    }
    // A stop before the run makes it return at once, without touching the network (the URL is unreachable).
    let t = Instant::now();
    // SAFETY: a live engine.
    unsafe {
        assert_eq!(axh_engine_stop(e), AXH_OK);
        assert_eq!(axh_engine_run(e, 0), AXH_OK, "{}", last_error());
    }
    assert!(t.elapsed() < Duration::from_secs(1));
    assert_eq!(books, 0);
    // An engine runs once, and takes no callbacks after its run.
    // SAFETY: a live engine.
    unsafe {
        assert_eq!(axh_engine_run(e, 0), AXH_E_STATE);
        assert!(last_error().contains("runs once"), "{}", last_error());
        assert_eq!(axh_engine_on_book(e, Some(count_book), user), AXH_E_STATE);
        assert_eq!(axh_engine_stop(null_mut()), AXH_E_NULL);
        assert_eq!(axh_engine_run(null_mut(), 0), AXH_E_NULL);
    }
    free(e);
    // SAFETY: NULL is ignored.
    assert_eq!(unsafe { axh_engine_free(null_mut()) }, AXH_OK);
}

#[test]
fn context_and_book_handles_are_refused_outside_callbacks() {
    // Any non-NULL pointer that is not the running callback's context is refused before it is dereferenced.
    let bogus = std::ptr::dangling_mut::<AxhCtx>();
    let req = AxhOrderReq {
        price: 1,
        qty: 1,
        ..AxhOrderReq::default()
    };
    let mut h = 0u64;
    let mut info = std::mem::MaybeUninit::<AxhSymbolInfo>::uninit();
    // SAFETY: the functions check the handle before use; that is what is tested.
    unsafe {
        assert_eq!(axh_ctx_place(bogus, &req, &mut h), AXH_E_STATE);
        assert!(
            last_error().contains("valid only during the callback"),
            "{}",
            last_error()
        );
        assert_eq!(axh_ctx_place(null_mut(), &req, &mut h), AXH_E_NULL);
        assert_eq!(axh_ctx_place(bogus, null(), &mut h), AXH_E_NULL);
        assert_eq!(axh_ctx_cancel(bogus, 1), AXH_E_STATE);
        assert_eq!(axh_ctx_cancel_all(bogus, -1), AXH_E_STATE);
        assert_eq!(axh_ctx_stop(bogus), AXH_E_STATE);
        assert_eq!(axh_ctx_now_ns(bogus), 0);
        assert_eq!(axh_ctx_set_timer(bogus, 0, 1), AXH_E_STATE);
        assert_eq!(axh_ctx_cancel_timer(bogus, 0), AXH_E_STATE);
        assert_eq!(
            axh_ctx_symbol_info(bogus, 0, info.as_mut_ptr()),
            AXH_E_STATE
        );
        let mut bal = std::mem::MaybeUninit::<AxhBalance>::uninit();
        assert_eq!(axh_ctx_asset_count(bogus), AXH_E_STATE);
        assert_eq!(
            axh_ctx_balance(bogus, c"USDT".as_ptr(), bal.as_mut_ptr()),
            AXH_E_STATE
        );
        assert_eq!(axh_ctx_balance(bogus, null(), bal.as_mut_ptr()), AXH_E_NULL);
        assert_eq!(axh_ctx_balance_at(bogus, 0, bal.as_mut_ptr()), AXH_E_STATE);
        assert_eq!(axh_ctx_balance_at(bogus, 0, null_mut()), AXH_E_NULL);
        let mut lv = [AxhLevel::default(); 4];
        let mut n = 99usize;
        let book = std::ptr::dangling::<AxhBook>();
        assert_eq!(
            axh_book_levels(book, AXH_BID as i32, lv.as_mut_ptr(), 4, &mut n),
            AXH_E_STATE
        );
        assert_eq!(
            axh_book_levels(null(), AXH_BID as i32, lv.as_mut_ptr(), 4, &mut n),
            AXH_E_NULL
        );
        assert_eq!(n, 99);
    }
    assert_eq!(h, 0);
}

fn sim() -> ascendex_sim::SimHandle {
    ascendex_sim::start(ascendex_sim::SimConfig {
        rate: 200,
        ..ascendex_sim::SimConfig::default()
    })
    .expect("simulator starts")
}

/// The engine pointer crosses to the thread that runs it; only `axh_engine_stop` is called from this one.
struct SendPtr(*mut AxhEngine);
// SAFETY: the ABI allows moving an engine to another thread before it runs, and calling axh_engine_stop from any.
unsafe impl Send for SendPtr {}

#[test]
fn stop_from_another_thread_ends_a_run_against_the_simulator() {
    let sim = sim();
    let (rest, ws, ca) = (
        sim.rest_url(),
        sim.ws_url(),
        sim.ca_file().display().to_string(),
    );
    let e = new_engine(&Spec {
        ws: Some(&ws),
        ca: Some(&ca),
        ..Spec::new(&rest)
    })
    .unwrap();
    let p = SendPtr(e);
    let runner = std::thread::spawn(move || {
        let p = p;
        let t = Instant::now();
        // SAFETY: a live engine; this thread is the only one running it. 60 s is a backstop only.
        let rc = unsafe { axh_engine_run(p.0, 60_000) };
        (rc, last_error(), t.elapsed(), p)
    });
    std::thread::sleep(Duration::from_millis(1500));
    // SAFETY: the engine is live until the runner returns it; stop is the thread-safe call.
    assert_eq!(unsafe { axh_engine_stop(e) }, AXH_OK);
    let stopped_at = Instant::now();
    let (rc, msg, ran, p) = runner.join().unwrap();
    assert_eq!(rc, AXH_OK, "{msg}");
    assert!(
        ran >= Duration::from_millis(1000),
        "returned too early: {ran:?}"
    );
    // One loop iteration (<= 100 ms blocking) plus the graceful close.
    assert!(
        stopped_at.elapsed() < Duration::from_secs(5),
        "stop took {:?}",
        stopped_at.elapsed()
    );
    free(p.0);
}

#[test]
fn start_up_failures_come_back_from_run_with_their_code() {
    let sim = sim();
    let (rest, ws, ca) = (
        sim.rest_url(),
        sim.ws_url(),
        sim.ca_file().display().to_string(),
    );
    let run = |spec: Spec| -> (i32, String) {
        let e = new_engine(&spec).unwrap();
        // SAFETY: a live engine on this thread.
        let rc = unsafe { axh_engine_run(e, 2_000) };
        let msg = last_error();
        free(e);
        (rc, msg)
    };
    let good = Spec {
        ws: Some(&ws),
        ca: Some(&ca),
        ..Spec::new(&rest)
    };
    let (rc, msg) = run(Spec {
        symbols: vec!["NOPE/USDT"],
        ..good.clone()
    });
    assert_eq!(rc, AXH_E_ARG, "{msg}");
    assert!(msg.contains("unknown symbol NOPE/USDT"), "{msg}");

    let secret = "WrongSecretWrongSecretWrongSecret";
    let (rc, msg) = run(Spec {
        key: Some("WrongKeyWrongKeyWrongKeyWrongKey"),
        secret: Some(secret),
        ..good.clone()
    });
    assert_eq!(rc, AXH_E_AUTH, "{msg}");
    assert!(!msg.contains(secret), "the secret leaked: {msg}");

    // Without the simulator's CA the TLS handshake fails: a network/TLS error, not a hang.
    let (rc, msg) = run(Spec {
        ca: None,
        ..good.clone()
    });
    assert!(rc == AXH_E_NETWORK || rc == AXH_E_TLS, "{rc}: {msg}");

    // The right credentials start a session; the run ends at its limit.
    let t = Instant::now();
    let (rc, msg) = run(Spec {
        key: Some(&sim.api_key()),
        secret: Some(&sim.api_secret()),
        ..good.clone()
    });
    assert_eq!(rc, AXH_OK, "{msg}");
    assert!(t.elapsed() >= Duration::from_secs(2));
}

/// What the callbacks of `callbacks_run_on_the_engine_thread_with_live_handles` record.
#[derive(Default)]
struct Seen {
    thread: Option<std::thread::ThreadId>,
    started: u32,
    books: u32,
    timers: u32,
    info: Option<AxhSymbolInfo>,
    last_ctx: usize,
    last_book: usize,
    place_rc: i32,
    errors: Vec<String>,
    first_ns: u64,
    timer_ns: u64,
}

fn seen<'a>(user: *mut c_void) -> &'a mut Seen {
    // SAFETY: every callback in this test is registered with a `Seen` that outlives the engine.
    unsafe { &mut *user.cast::<Seen>() }
}

unsafe extern "C" fn rec_start(user: *mut c_void, ctx: *mut AxhCtx) {
    let s = seen(user);
    s.started += 1;
    s.thread = Some(std::thread::current().id());
    let mut info = std::mem::MaybeUninit::<AxhSymbolInfo>::uninit();
    // SAFETY: `ctx` is this callback's live context; `info` is writable.
    unsafe {
        if axh_ctx_symbol_info(ctx, 0, info.as_mut_ptr()) == AXH_OK {
            s.info = Some(info.assume_init());
        } else {
            s.errors.push(format!("symbol_info: {}", last_error()));
        }
        if axh_ctx_symbol_info(ctx, 1, info.as_mut_ptr()) != AXH_E_NOT_FOUND {
            s.errors.push("symbol 1 is not configured".into());
        }
        // Without credentials the assets are known by name but have no figures.
        let mut b = std::mem::MaybeUninit::<AxhBalance>::uninit();
        if axh_ctx_asset_count(ctx) != 2 {
            s.errors
                .push(format!("asset count {}", axh_ctx_asset_count(ctx)));
        }
        if axh_ctx_balance(ctx, c"USDT".as_ptr(), b.as_mut_ptr()) != AXH_E_STATE {
            s.errors.push("USDT has figures without credentials".into());
        }
        if axh_ctx_balance(ctx, c"ETH".as_ptr(), b.as_mut_ptr()) != AXH_E_NOT_FOUND {
            s.errors.push("ETH is no asset of BTC/USDT".into());
        }
        // Market data only: an order is refused before anything is sent.
        let req = AxhOrderReq {
            price: 100,
            qty: 1,
            post_only: 1,
            ..AxhOrderReq::default()
        };
        let mut h = 0;
        s.place_rc = axh_ctx_place(ctx, &req, &mut h);
        let bad = AxhOrderReq { side: 9, ..req };
        if axh_ctx_place(ctx, &bad, &mut h) != AXH_E_ARG {
            s.errors.push("side 9 accepted".into());
        }
        if axh_ctx_set_timer(ctx, 16, 1) != AXH_E_NOT_FOUND {
            s.errors.push("timer 16 accepted".into());
        }
        s.first_ns = axh_ctx_now_ns(ctx);
        if axh_ctx_set_timer(ctx, 3, 20_000_000) != AXH_OK {
            s.errors.push(format!("set_timer: {}", last_error()));
        }
    }
    s.last_ctx = ctx as usize;
}

unsafe extern "C" fn rec_book(
    user: *mut c_void,
    ctx: *mut AxhCtx,
    u: *const AxhBookUpdate,
    book: *const AxhBook,
) {
    let s = seen(user);
    // SAFETY: valid for the duration of this callback.
    let u = unsafe { &*u };
    s.books += 1;
    if s.thread != Some(std::thread::current().id()) && s.thread.is_some() {
        s.errors.push("book callback on another thread".into());
    }
    if u.symbol != 0 || u.seqnum == 0 {
        s.errors.push(format!("odd update {u:?}"));
    }
    if let Some(i) = s.info
        && (u.price_scale != i.price_scale || u.qty_scale != i.book_qty_scale)
    {
        s.errors.push(format!("scales {u:?} vs {i:?}"));
    }
    let mut lv = [AxhLevel::default(); 8];
    for (side, best) in [
        (AXH_BID, (u.has_bid, u.bid_price, u.bid_qty)),
        (AXH_ASK, (u.has_ask, u.ask_price, u.ask_qty)),
    ] {
        let mut n = 0usize;
        // SAFETY: `book` is this callback's live book; `lv` holds 8 levels.
        let rc = unsafe { axh_book_levels(book, side as i32, lv.as_mut_ptr(), lv.len(), &mut n) };
        if rc != AXH_OK {
            s.errors.push(format!("levels: {}", last_error()));
            continue;
        }
        if (n > 0) != (best.0 == 1) || (n > 0 && (lv[0].price, lv[0].qty) != (best.1, best.2)) {
            s.errors
                .push(format!("side {side}: top {:?} vs {best:?}", &lv[..n]));
        }
        let sorted = lv[..n].windows(2).all(|w| {
            if side == AXH_BID {
                w[0].price > w[1].price
            } else {
                w[0].price < w[1].price
            }
        });
        if !sorted || lv[..n].iter().any(|l| l.qty <= 0) {
            s.errors.push(format!("side {side} levels {:?}", &lv[..n]));
        }
    }
    if u.has_bid == 1 && u.has_ask == 1 && u.bid_price >= u.ask_price {
        s.errors.push(format!("crossed {u:?}"));
    }
    s.last_ctx = ctx as usize;
    s.last_book = book as usize;
}

unsafe extern "C" fn rec_timer(user: *mut c_void, ctx: *mut AxhCtx, id: u32) {
    let s = seen(user);
    s.timers += 1;
    if id != 3 {
        s.errors.push(format!("timer id {id}"));
    }
    // SAFETY: `ctx` is this callback's live context.
    unsafe {
        s.timer_ns = axh_ctx_now_ns(ctx);
        if s.books >= 5 {
            axh_ctx_stop(ctx);
        } else {
            axh_ctx_set_timer(ctx, 3, 20_000_000);
        }
    }
}

#[test]
fn callbacks_run_on_the_engine_thread_with_live_handles() {
    let sim = sim();
    let (rest, ws, ca) = (
        sim.rest_url(),
        sim.ws_url(),
        sim.ca_file().display().to_string(),
    );
    let e = new_engine(&Spec {
        ws: Some(&ws),
        ca: Some(&ca),
        ..Spec::new(&rest)
    })
    .unwrap();
    let mut s = Seen::default();
    let user = (&raw mut s).cast::<c_void>();
    let t = Instant::now();
    // SAFETY: a live engine; `s` outlives it; callbacks have the documented signatures.
    let rc = unsafe {
        axh_engine_on_start(e, Some(rec_start), user);
        axh_engine_on_book(e, Some(rec_book), user);
        axh_engine_on_timer(e, Some(rec_timer), user);
        axh_engine_run(e, 30_000)
    };
    assert_eq!(rc, AXH_OK, "{}", last_error());
    assert!(
        t.elapsed() < Duration::from_secs(25),
        "the timer callback never stopped the run"
    );
    free(e);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.started, 1);
    assert_eq!(s.thread, Some(std::thread::current().id()));
    assert!(s.books >= 5, "{} book updates", s.books);
    assert!(s.timers >= 1);
    assert!(
        s.timer_ns >= s.first_ns + 20_000_000,
        "{} vs {}",
        s.timer_ns,
        s.first_ns
    );
    assert_eq!(s.place_rc, AXH_E_REFUSED);
    let info = s.info.expect("symbol info");
    // SAFETY: NUL-terminated by the library.
    let name = unsafe { CStr::from_ptr(info.name.as_ptr()) };
    assert_eq!(name.to_str().unwrap(), "BTC/USDT");
    assert!(info.tick > 0 && info.lot > 0 && info.book_qty_scale >= info.qty_scale);
    assert_eq!(info.notional_scale, info.price_scale + info.qty_scale);
    // The handles a callback received are refused once it returned.
    // SAFETY: the library checks the handles before any use; that is what is tested.
    unsafe {
        assert_eq!(axh_ctx_stop(s.last_ctx as *mut AxhCtx), AXH_E_STATE);
        let mut n = 0usize;
        let mut lv = [AxhLevel::default(); 1];
        assert_eq!(
            axh_book_levels(s.last_book as *const AxhBook, 0, lv.as_mut_ptr(), 1, &mut n),
            AXH_E_STATE
        );
    }
}

/// What `a_market_order_fills_through_the_fill_callback` records.
#[derive(Default)]
struct Trader {
    started: bool,
    placed: Option<u64>,
    place_err: Option<String>,
    events: Vec<(u8, u8, u64, i64, i64)>,
    fills: Vec<AxhFill>,
    info: Option<AxhSymbolInfo>,
    cancel_unknown_rc: i32,
    /// Every balance callback, with how many fills had been reported before it.
    balances: Vec<(usize, AxhBalance)>,
    /// Read at start with axh_ctx_balance_at over every asset id.
    start_balances: Vec<AxhBalance>,
    /// axh_ctx_balance("BTC") inside the last fill callback.
    btc_at_fill: Option<AxhBalance>,
    query_errors: Vec<String>,
}

fn trader<'a>(user: *mut c_void) -> &'a mut Trader {
    // SAFETY: every callback in this test is registered with a `Trader` that outlives the engine.
    unsafe { &mut *user.cast::<Trader>() }
}

unsafe extern "C" fn tr_start(user: *mut c_void, ctx: *mut AxhCtx) {
    let t = trader(user);
    t.started = true;
    let mut info = std::mem::MaybeUninit::<AxhSymbolInfo>::uninit();
    // SAFETY: live ctx, writable `info`.
    if unsafe { axh_ctx_symbol_info(ctx, 0, info.as_mut_ptr()) } == AXH_OK {
        // SAFETY: written by the call.
        t.info = Some(unsafe { info.assume_init() });
    }
    // SAFETY: live ctx.
    let n = unsafe { axh_ctx_asset_count(ctx) };
    if n != 2 {
        t.query_errors
            .push(format!("asset count {n}: {}", last_error()));
    }
    let mut b = std::mem::MaybeUninit::<AxhBalance>::uninit();
    for id in 0..n.max(0) as u16 {
        // SAFETY: live ctx, writable `b`, written on success.
        unsafe {
            if axh_ctx_balance_at(ctx, id, b.as_mut_ptr()) == AXH_OK {
                t.start_balances.push(b.assume_init());
            } else {
                t.query_errors
                    .push(format!("balance_at {id}: {}", last_error()));
            }
        }
    }
    // SAFETY: live ctx, writable `b`.
    unsafe {
        if axh_ctx_balance_at(ctx, n.max(0) as u16, b.as_mut_ptr()) != AXH_E_NOT_FOUND {
            t.query_errors.push("an id past the last was found".into());
        }
        if axh_ctx_balance(ctx, c"ETH".as_ptr(), b.as_mut_ptr()) != AXH_E_NOT_FOUND {
            t.query_errors.push("ETH is no asset of BTC/USDT".into());
        }
    }
}

unsafe extern "C" fn tr_balance(user: *mut c_void, _ctx: *mut AxhCtx, b: *const AxhBalance) {
    let t = trader(user);
    // SAFETY: valid during the callback.
    let b = unsafe { *b };
    let fills = t.fills.len();
    t.balances.push((fills, b));
}

unsafe extern "C" fn tr_book(
    user: *mut c_void,
    ctx: *mut AxhCtx,
    u: *const AxhBookUpdate,
    _b: *const AxhBook,
) {
    let t = trader(user);
    // SAFETY: valid during the callback.
    let u = unsafe { &*u };
    let (Some(info), true, None, None) = (t.info, t.started, t.placed, &t.place_err) else {
        return;
    };
    if u.has_ask == 0 {
        return;
    }
    // The smallest order the rules accept at the ask, taken at once by a market buy.
    let mut qty = info.min_qty.max(info.lot);
    let need = (info.min_notional + u.ask_price - 1) / u.ask_price;
    qty = qty.max(need);
    qty = (qty + info.lot - 1) / info.lot * info.lot * 2;
    let req = AxhOrderReq {
        qty,
        symbol: 0,
        side: AXH_BUY,
        order_type: AXH_MARKET,
        ..AxhOrderReq::default()
    };
    let mut h = 0u64;
    // SAFETY: live ctx.
    unsafe {
        if axh_ctx_place(ctx, &req, &mut h) == AXH_OK {
            t.placed = Some(h);
        } else {
            t.place_err = Some(last_error());
            axh_ctx_stop(ctx);
        }
        t.cancel_unknown_rc = axh_ctx_cancel(ctx, h ^ (1 << 40));
    }
}

unsafe extern "C" fn tr_order(user: *mut c_void, ctx: *mut AxhCtx, e: *const AxhOrderEvent) {
    let t = trader(user);
    // SAFETY: valid during the callback.
    let e = unsafe { &*e };
    t.events
        .push((e.kind, e.status, e.handle, e.filled_qty, e.avg_price));
    if e.status == AXH_ST_FILLED || e.status == AXH_ST_REJECTED || e.status == AXH_ST_CANCELED {
        // SAFETY: live ctx.
        unsafe { axh_ctx_stop(ctx) };
    }
}

unsafe extern "C" fn tr_fill(user: *mut c_void, ctx: *mut AxhCtx, f: *const AxhFill) {
    // SAFETY: valid during the callback.
    let f = unsafe { *f };
    let t = trader(user);
    t.fills.push(f);
    if f.status == AXH_ST_FILLED {
        let mut b = std::mem::MaybeUninit::<AxhBalance>::uninit();
        // SAFETY: live ctx, writable `b`, written on success.
        unsafe {
            if axh_ctx_balance(ctx, c"BTC".as_ptr(), b.as_mut_ptr()) == AXH_OK {
                t.btc_at_fill = Some(b.assume_init());
            } else {
                t.query_errors
                    .push(format!("balance BTC: {}", last_error()));
            }
        }
        // SAFETY: live ctx.
        unsafe { axh_ctx_stop(ctx) };
    }
}

#[test]
fn a_market_order_fills_through_the_fill_callback() {
    let sim = sim();
    let (rest, ws, ca, key, secret) = (
        sim.rest_url(),
        sim.ws_url(),
        sim.ca_file().display().to_string(),
        sim.api_key(),
        sim.api_secret(),
    );
    let e = new_engine(&Spec {
        ws: Some(&ws),
        ca: Some(&ca),
        key: Some(&key),
        secret: Some(&secret),
        ..Spec::new(&rest)
    })
    .unwrap();
    let mut t = Trader::default();
    let user = (&raw mut t).cast::<c_void>();
    // SAFETY: a live engine; `t` outlives it; callbacks have the documented signatures.
    let rc = unsafe {
        axh_engine_on_start(e, Some(tr_start), user);
        axh_engine_on_book(e, Some(tr_book), user);
        axh_engine_on_order(e, Some(tr_order), user);
        axh_engine_on_fill(e, Some(tr_fill), user);
        axh_engine_on_balance(e, Some(tr_balance), user);
        axh_engine_run(e, 20_000)
    };
    assert_eq!(rc, AXH_OK, "{}", last_error());
    free(e);
    assert_eq!(t.place_err, None);
    let h = t.placed.expect("an order was placed");
    assert_eq!(t.cancel_unknown_rc, AXH_E_NOT_FOUND);
    let info = t.info.expect("symbol info");
    assert!(
        !t.events.is_empty() && t.events.iter().all(|e| e.2 == h),
        "{:?}",
        t.events
    );
    assert!(
        !t.fills.is_empty(),
        "no fill callback; events {:?}",
        t.events
    );
    assert_eq!(
        t.fills.last().unwrap().status,
        AXH_ST_FILLED,
        "{:?}",
        t.fills
    );
    let mut total = 0i64;
    for f in &t.fills {
        total += f.qty;
        assert_eq!(f.handle, h, "a fill names its order's handle");
        assert_eq!(f.filled_qty, total, "cumulative quantity after each fill");
        assert_eq!((f.symbol, f.side), (0, AXH_BUY));
        assert_eq!(
            (f.price_scale, f.qty_scale),
            (info.price_scale, info.qty_scale)
        );
        assert!(f.price > 0 && f.qty > 0 && f.fee >= 0, "{f:?}");
        assert!(f.fee_scale > 0);
        // SAFETY: NUL-terminated by the library.
        let id = unsafe { CStr::from_ptr(f.order_id.as_ptr()) };
        assert!(!id.to_bytes().is_empty());
    }
    // The exchange agrees on the quantity.
    let orders = sim.orders();
    assert_eq!(orders.len(), 1, "{orders:?}");
    let mut q = 0i64;
    let qs = CString::new(orders[0].filled_qty.clone()).unwrap();
    // SAFETY: valid string and output.
    assert_eq!(
        unsafe { axh_parse_decimal(qs.as_ptr(), info.qty_scale, &mut q) },
        AXH_OK
    );
    assert_eq!(q, total, "{:?}", orders[0]);
    check_balances(&t, &sim);
}

fn c_name(b: &AxhBalance) -> String {
    // SAFETY: NUL-terminated by the library.
    let s = unsafe { CStr::from_ptr(b.name.as_ptr()) }.to_str().unwrap();
    assert_eq!(s.len(), usize::from(b.name_len), "{b:?}");
    s.to_owned()
}

/// `text` (a simulator decimal) at `scale`, exactly.
fn exact(text: &str, scale: u8) -> i64 {
    let c = CString::new(text).unwrap();
    let mut v = 0i64;
    // SAFETY: valid string and output.
    let rc = unsafe { axh_parse_decimal(c.as_ptr(), scale, &mut v) };
    assert_eq!(rc, AXH_OK, "{text} at scale {scale}: {}", last_error());
    v
}

/// The balances the C side saw: the start-up snapshot equals the simulator's opening balances, and the last
/// callback per asset after the fill equals what the simulator holds once the buy settled (fee included).
fn check_balances(t: &Trader, sim: &ascendex_sim::SimHandle) {
    assert!(t.query_errors.is_empty(), "{:?}", t.query_errors);
    let opening = ascendex_sim::SimConfig::default().balances;
    let opening = |name: &str| {
        opening
            .iter()
            .find(|(a, _)| a == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("the simulator opens no {name} balance"))
    };
    let mut names: Vec<String> = t.start_balances.iter().map(c_name).collect();
    names.sort();
    assert_eq!(names, ["BTC", "USDT"], "{:?}", t.start_balances);
    for (id, b) in t.start_balances.iter().enumerate() {
        assert_eq!(usize::from(b.asset), id);
        let v = exact(&opening(&c_name(b)), b.scale);
        assert_eq!((b.total, b.available), (v, v), "{b:?}");
    }
    // The start-up snapshot reached the callback too, before any fill.
    for s in &t.start_balances {
        assert!(
            t.balances
                .iter()
                .any(|(f, b)| *f == 0 && b.asset == s.asset && b.total == s.total),
            "no start-up callback for {}: {:?}",
            c_name(s),
            t.balances
        );
    }
    let settled = sim.balances();
    for s in &t.start_balances {
        let name = c_name(s);
        let after: Vec<&AxhBalance> = t
            .balances
            .iter()
            .filter(|(f, b)| *f > 0 && b.asset == s.asset)
            .map(|(_, b)| b)
            .collect();
        let last = after.last().unwrap_or_else(|| {
            panic!(
                "no {name} balance callback after the fill: {:?}",
                t.balances
            )
        });
        assert_eq!(c_name(last), name);
        assert_eq!(last.scale, s.scale);
        let sim_b = settled
            .iter()
            .find(|b| b.asset == name)
            .unwrap_or_else(|| panic!("simulator has no {name}: {settled:?}"));
        assert_eq!(
            (last.total, last.available),
            (
                exact(&sim_b.total, last.scale),
                exact(&sim_b.available, last.scale)
            ),
            "{name}: callback {last:?} vs simulator {sim_b:?}"
        );
        assert_ne!(last.total, s.total, "{name} did not change with the fill");
    }
    // The query inside the last fill callback already sees the settled figures.
    let btc = t.btc_at_fill.expect("balance queried in the fill callback");
    let sim_btc = settled.iter().find(|b| b.asset == "BTC").unwrap();
    assert_eq!(btc.total, exact(&sim_btc.total, btc.scale));
}
