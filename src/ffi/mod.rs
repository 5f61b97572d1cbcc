//! The C ABI for linking the core as a static library. The header is `include/ascendex_hft.h` (written by hand; the
//! `#[repr(C)]` types in `abi` mirror it and a layout test pins them).
//!
//! Rules every entry point follows: no panic crosses the boundary (each body runs under `error::guard`), failures
//! are negative status codes with a message in a thread-local (`axh_last_error`), pointers are checked for NULL and
//! strings for UTF-8 before use, and the API secret is copied once into `Credentials` (wiped on drop) and never
//! written anywhere.
//!
//! Threading: one thread at a time uses an engine (it may be handed to another thread before it runs); callbacks
//! run on the thread inside `axh_engine_run`. Only `axh_engine_stop` may be called from another thread: it sets an atomic flag the loop reads
//! once per iteration. An `AxhEngine` keeps that flag outside the `UnsafeCell` holding everything else, and a
//! `busy` flag makes a second exclusive call (run, register, free) while one is in progress fail instead of alias.

pub mod abi;
pub mod bridge;
pub mod error;

use std::cell::UnsafeCell;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use abi::*;
use bridge::{Bridge, Callbacks, Cb, CtxCell, Handles, SymInfo};
use error::*;

use crate::engine::{Endpoint, Engine, EngineError, RunMode};
use crate::net::tls::client_config;
use crate::orders::types::{ClientId, Side, SymbolId, TimeInForce};
use crate::strategy::{OrderType, PlaceRequest, STRATEGY_TIMERS};
use crate::venue::ascendex::auth::{Credentials, KeyDerivation};
use crate::venue::ascendex::session::bootstrap::{self, SessionError};
use crate::venue::ascendex::session::{MarketConfig, SESSION_TIMERS, SessionConfig, TradingConfig};

pub use abi::AXH_ABI_VERSION;

const DEFAULT_GRACE_MS: u32 = 3000;

enum Phase {
    /// Configured, not yet run.
    Ready {
        cfg: Box<SessionConfig>,
        engine: Box<Engine>,
    },
    /// Inside `axh_engine_run`, or a run that panicked (then the engine is unusable).
    Running,
    /// `axh_engine_run` returned; an engine runs once.
    Done,
}

struct Inner {
    phase: Phase,
    cbs: Callbacks,
    mode: RunMode,
    grace: Duration,
    max_orders: usize,
}

/// `axh_engine`: opaque to C.
pub struct AxhEngine {
    stop: Arc<AtomicBool>,
    busy: AtomicBool,
    inner: UnsafeCell<Inner>,
}

/// Exclusive access to an engine's state for the duration of one call.
struct Exclusive<'e> {
    engine: &'e AxhEngine,
}

impl Exclusive<'_> {
    fn inner(&mut self) -> &mut Inner {
        // SAFETY: `busy` was set by `acquire` and is held until drop, so no other `Exclusive` exists; the only other
        // access to an `AxhEngine` from another thread touches the `stop` atomic, never `inner`.
        unsafe { &mut *self.engine.inner.get() }
    }
}

impl Drop for Exclusive<'_> {
    fn drop(&mut self) {
        self.engine.busy.store(false, Ordering::Release);
    }
}

impl AxhEngine {
    fn acquire(&self) -> Result<Exclusive<'_>, FfiError> {
        self.busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .map_err(|_| {
                FfiError::new(
                    AXH_E_STATE,
                    "the engine is busy (running, or in use by another call): only axh_engine_stop may be called now",
                )
            })?;
        Ok(Exclusive { engine: self })
    }
}

/// # Safety
/// `p` is NULL or a valid NUL-terminated string that outlives the returned borrow.
unsafe fn opt_str<'a>(p: *const c_char, what: &str) -> Result<Option<&'a str>, FfiError> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL and NUL-terminated per this function's contract.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str()
        .map(Some)
        .map_err(|_| FfiError::new(AXH_E_ARG, format!("{what} is not valid UTF-8")))
}

fn check_url(url: &str, what: &str) -> Result<(), FfiError> {
    Endpoint::parse_url(url)
        .map(|_| ())
        .map_err(|e| FfiError::new(AXH_E_ARG, format!("{what}: {e}")))
}

/// `wss://HOST[:PORT]/api/pro/v1/stream` from the REST base.
fn default_ws_url(rest: &str) -> Result<String, FfiError> {
    let (scheme, rest_part) = rest
        .split_once("://")
        .ok_or_else(|| FfiError::new(AXH_E_ARG, format!("rest_url {rest} has no scheme")))?;
    let ws = match scheme {
        "https" => "wss",
        "http" => "ws",
        _ => {
            return Err(FfiError::new(
                AXH_E_ARG,
                format!("rest_url {rest}: scheme must be https"),
            ));
        }
    };
    let host = rest_part.split('/').next().unwrap_or_default();
    Ok(format!("{ws}://{host}/api/pro/v1/stream"))
}

fn take_credentials(
    key: Option<&str>,
    secret: Option<&str>,
) -> Result<Option<Credentials>, FfiError> {
    match (key, secret) {
        (None, None) => Ok(None),
        (Some(k), Some(s)) => Credentials::new(k.to_owned(), s.to_owned())
            .map(Some)
            .map_err(|e| FfiError::new(AXH_E_ARG, e)),
        _ => Err(FfiError::new(
            AXH_E_ARG,
            "set both api_key and api_secret, or neither (market data only)",
        )),
    }
}

/// # Safety
/// `c` points at an `AxhConfig` whose string pointers are NULL or valid C strings and whose `symbols` holds
/// `n_symbols` such pointers.
unsafe fn build(c: &AxhConfig) -> Result<AxhEngine, FfiError> {
    if (c.struct_size as usize) < size_of::<AxhConfig>() {
        return Err(FfiError::new(
            AXH_E_ARG,
            "axh_config.struct_size is too small: initialise the config with axh_config_init",
        ));
    }
    if c.flags & !AXH_FLAGS_ALL != 0 {
        return Err(FfiError::new(
            AXH_E_ARG,
            format!("unknown flags {:#x}", c.flags & !AXH_FLAGS_ALL),
        ));
    }
    let mode = match (c.mode, c.core) {
        (AXH_MODE_BLOCK, -1) => RunMode::Block,
        (AXH_MODE_BLOCK, _) => {
            return Err(FfiError::new(
                AXH_E_ARG,
                "core pinning needs mode AXH_MODE_SPIN (set core to -1 to block without pinning)",
            ));
        }
        (AXH_MODE_SPIN, -1) => RunMode::Spin { core: None },
        (AXH_MODE_SPIN, n) if n >= 0 => RunMode::Spin {
            core: Some(n as usize),
        },
        (AXH_MODE_SPIN, n) => {
            return Err(FfiError::new(
                AXH_E_ARG,
                format!("core {n}: use -1 for no pinning"),
            ));
        }
        (m, _) => {
            return Err(FfiError::new(
                AXH_E_ARG,
                format!("mode {m}: use AXH_MODE_BLOCK or AXH_MODE_SPIN"),
            ));
        }
    };
    // SAFETY (all three): the config's string pointers are NULL or valid C strings per this function's contract.
    let rest_url = unsafe { opt_str(c.rest_url, "rest_url") }?
        .ok_or_else(|| FfiError::new(AXH_E_ARG, "rest_url is required"))?;
    check_url(rest_url, "rest_url")?;
    let ws_url = match unsafe { opt_str(c.ws_url, "ws_url") }? {
        Some(u) => u.to_owned(),
        None => default_ws_url(rest_url)?,
    };
    check_url(&ws_url, "ws_url")?;
    let ca_file = unsafe { opt_str(c.ca_file, "ca_file") }?.map(PathBuf::from);

    if c.n_symbols == 0 || c.symbols.is_null() {
        return Err(FfiError::new(
            AXH_E_ARG,
            "no symbols: set symbols and n_symbols (e.g. \"BTC/USDT\")",
        ));
    }
    if c.n_symbols > usize::from(u16::MAX) {
        return Err(FfiError::new(AXH_E_ARG, "too many symbols"));
    }
    // SAFETY: non-NULL, and holds `n_symbols` pointers per this function's contract.
    let ptrs = unsafe { std::slice::from_raw_parts(c.symbols, c.n_symbols) };
    let mut symbols = Vec::with_capacity(ptrs.len());
    for (i, &p) in ptrs.iter().enumerate() {
        // SAFETY: each entry is NULL or a valid C string per the contract.
        let s = unsafe { opt_str(p, "a symbol") }?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| FfiError::new(AXH_E_ARG, format!("symbols[{i}] is NULL or empty")))?;
        if symbols.iter().any(|x: &String| x == s) {
            return Err(FfiError::new(
                AXH_E_ARG,
                format!("symbol {s} is listed twice"),
            ));
        }
        symbols.push(s.to_owned());
    }

    // SAFETY: as above; the secret is copied straight into `Credentials` (wiped on drop) and nowhere else.
    let key = unsafe { opt_str(c.api_key, "api_key") }?;
    let secret = unsafe { opt_str(c.api_secret, "api_secret") }?;
    let credentials = take_credentials(key, secret)?;

    let tls = client_config(ca_file.as_deref()).map_err(|e| FfiError::new(AXH_E_TLS, e))?;
    let engine = Engine::new(tls, SESSION_TIMERS).map_err(engine_error)?;
    let mut trading = TradingConfig {
        cancel_on_shutdown: c.flags & AXH_FLAG_KEEP_ORDERS_ON_STOP == 0,
        ..TradingConfig::default()
    };
    match c.client_id_tag {
        0 => {}
        t if t.is_ascii_alphanumeric() => trading.client_id_tag = t,
        t => {
            return Err(FfiError::new(
                AXH_E_ARG,
                format!("client_id_tag {t}: use one ASCII letter or digit, or 0 for the default"),
            ));
        }
    }
    let max_orders = trading.max_orders;
    let cfg = SessionConfig {
        rest_url: rest_url.to_owned(),
        ws_url,
        ca_file,
        account_group: u32::try_from(c.account_group).ok().filter(|g| *g > 0),
        symbols,
        credentials,
        key_derivation: if c.flags & AXH_FLAG_BASE64_SECRET != 0 {
            KeyDerivation::Base64DecodedSecret
        } else {
            KeyDerivation::RawSecret
        },
        market: MarketConfig {
            depth_realtime: c.flags & AXH_FLAG_DEPTH_REALTIME != 0,
            ..MarketConfig::default()
        },
        trading,
    };
    Ok(AxhEngine {
        stop: Arc::new(AtomicBool::new(false)),
        busy: AtomicBool::new(false),
        inner: UnsafeCell::new(Inner {
            phase: Phase::Ready {
                cfg: Box::new(cfg),
                engine: Box::new(engine),
            },
            cbs: Callbacks::default(),
            mode,
            grace: Duration::from_millis(u64::from(if c.shutdown_grace_ms == 0 {
                DEFAULT_GRACE_MS
            } else {
                c.shutdown_grace_ms
            })),
            max_orders,
        }),
    })
}

fn engine_code(e: &EngineError) -> c_int {
    match e {
        EngineError::BadUrl(_) => AXH_E_ARG,
        EngineError::Tls(_) => AXH_E_TLS,
        EngineError::Pin(_) => AXH_E_PIN,
        EngineError::Resolve(_) | EngineError::Io(_) => AXH_E_NETWORK,
    }
}

fn engine_error(e: EngineError) -> FfiError {
    FfiError::new(engine_code(&e), e)
}

fn session_error(e: SessionError) -> FfiError {
    let code = match &e {
        SessionError::Tls(_) => AXH_E_TLS,
        SessionError::Rest { .. } => AXH_E_NETWORK,
        SessionError::Exchange { .. } => AXH_E_EXCHANGE,
        SessionError::Auth(_) => AXH_E_AUTH,
        SessionError::Credentials(_) | SessionError::UnknownSymbol(_) => AXH_E_ARG,
        SessionError::Engine(inner) => engine_code(inner),
    };
    FfiError::new(code, e)
}

/// The configured symbols' scales and rules, as the session loaded them at start-up.
fn symbols_of<S: crate::strategy::Strategy>(
    session: &crate::venue::ascendex::session::Session<S>,
    names: &[String],
) -> Result<Vec<SymInfo>, FfiError> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let id = SymbolId(i as u16);
            let rules = session.trading.rules().by_name(name);
            let scales = session.market.scales(id);
            match (rules, scales) {
                (Some(r), Some((_, book_qty))) => {
                    Ok(SymInfo::from_rules(id.0, r, book_qty.decimals()))
                }
                _ => Err(FfiError::new(
                    AXH_E_ARG,
                    format!("unknown symbol {name} (symbols look like BTC/USDT)"),
                )),
            }
        })
        .collect()
}

/// One balance record per asset of the configured symbols, index = the asset id the session reports.
fn assets_of<S: crate::strategy::Strategy>(
    session: &crate::venue::ascendex::session::Session<S>,
) -> Result<Vec<AxhBalance>, FfiError> {
    let n = session.trading.asset_count();
    if n > usize::from(u16::MAX) {
        return Err(FfiError::new(AXH_E_ARG, "too many assets"));
    }
    (0..n as u16)
        .map(|i| {
            session
                .trading
                .asset_info(crate::orders::types::AssetId(i))
                .map(|(name, scale)| AxhBalance::named(i, name, scale))
                .ok_or_else(|| {
                    FfiError::new(
                        AXH_E_PANIC,
                        format!("asset id {i} has no name or scale in the session's tables"),
                    )
                })
        })
        .collect()
}

fn run(engine: &AxhEngine, limit_ms: i64) -> Result<(), FfiError> {
    let mut ex = engine.acquire()?;
    let inner = ex.inner();
    let (cfg, mut eng) = match std::mem::replace(&mut inner.phase, Phase::Running) {
        Phase::Ready { cfg, engine } => (cfg, engine),
        Phase::Running => {
            return Err(FfiError::new(
                AXH_E_STATE,
                "this engine failed inside a previous run and cannot be used: free it",
            ));
        }
        Phase::Done => {
            inner.phase = Phase::Done;
            return Err(FfiError::new(
                AXH_E_STATE,
                "an engine runs once: create a new one",
            ));
        }
    };
    if engine.stop.load(Ordering::Relaxed) {
        inner.phase = Phase::Done;
        return Ok(());
    }
    let result = (|| {
        let names = cfg.symbols.clone();
        let mut market = cfg.market.clone();
        market.trades |= inner.cbs.trade.is_some();
        let cfg = SessionConfig { market, ..*cfg };
        let bridge = Bridge {
            cbs: inner.cbs,
            stop: engine.stop.clone(),
            // Filled from what the session loaded, right below.
            syms: Vec::new(),
            assets: Vec::new(),
            handles: Handles::with_capacity(inner.max_orders),
            fee_scale: cfg.trading.asset_scale,
        };
        let mut session = bootstrap::start(&mut eng, cfg, bridge).map_err(session_error)?;
        session.strategy.syms = symbols_of(&session, &names)?;
        session.strategy.assets = assets_of(&session)?;
        let limit = (limit_ms > 0).then(|| Duration::from_millis(limit_ms as u64));
        let ran = eng
            .run(&mut session, inner.mode, limit)
            .map_err(engine_error);
        let closed = session
            .shutdown(&mut eng, inner.grace)
            .map_err(engine_error);
        ran.and(closed)
    })();
    inner.phase = Phase::Done;
    result
}

// ---------------------------------------------------------------------------------------------------------------
// Library information and errors.

static VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(s) => s,
        Err(_) => c"unknown",
    };

/// The library version, e.g. `"0.1.0"` (static storage).
#[unsafe(no_mangle)]
pub extern "C" fn axh_version() -> *const c_char {
    VERSION.as_ptr()
}

/// `AXH_ABI_VERSION` of the compiled library; compare with the header's.
#[unsafe(no_mangle)]
pub extern "C" fn axh_abi_version() -> u32 {
    AXH_ABI_VERSION
}

/// The last error message on the calling thread (`""` when none); valid until the next failing call on it.
#[unsafe(no_mangle)]
pub extern "C" fn axh_last_error() -> *const c_char {
    guard(c"".as_ptr(), last_message)
}

/// The code of the last error on the calling thread (`AXH_OK` when none).
#[unsafe(no_mangle)]
pub extern "C" fn axh_last_error_code() -> c_int {
    guard(AXH_E_PANIC, last_code)
}

/// Name of an order status (`AXH_ST_*`), e.g. `"PartiallyFilled"`; `"?"` for an unknown value. Static storage.
#[unsafe(no_mangle)]
pub extern "C" fn axh_order_status_name(status: c_int) -> *const c_char {
    let s: &CStr = match u8::try_from(status).unwrap_or(u8::MAX) {
        AXH_ST_PENDING_NEW => c"PendingNew",
        AXH_ST_NEW => c"New",
        AXH_ST_PARTIALLY_FILLED => c"PartiallyFilled",
        AXH_ST_PENDING_CANCEL => c"PendingCancel",
        AXH_ST_UNKNOWN => c"Unknown",
        AXH_ST_FILLED => c"Filled",
        AXH_ST_CANCELED => c"Canceled",
        AXH_ST_REJECTED => c"Rejected",
        _ => c"?",
    };
    s.as_ptr()
}

// ---------------------------------------------------------------------------------------------------------------
// Decimals.

/// Writes `mantissa` at `scale` (0..=18) as a decimal with exactly `scale` decimals and a NUL into `buf`. Returns the
/// length without the NUL, or `AXH_E_ARG` (bad scale), `AXH_E_NULL`, `AXH_E_BUFFER` (40 bytes always suffice).
///
/// # Safety
/// `buf` is NULL or points at `buf_len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_format_decimal(
    mantissa: i64,
    scale: u8,
    buf: *mut c_char,
    buf_len: usize,
) -> c_int {
    guard(AXH_E_PANIC, || {
        if buf.is_null() {
            return set_error(AXH_E_NULL, "buf is NULL");
        }
        let Ok(sc) = crate::num::Scale::new(scale) else {
            return set_error(AXH_E_ARG, format!("scale {scale} is above 18"));
        };
        let mut tmp = [0u8; crate::num::MAX_FORMATTED_LEN];
        let Ok(n) = crate::num::format_scaled(mantissa, sc, &mut tmp) else {
            return set_error(AXH_E_BUFFER, "value does not fit the format buffer");
        };
        if n + 1 > buf_len {
            return set_error(
                AXH_E_BUFFER,
                format!("buffer of {buf_len} bytes is too small: {} needed", n + 1),
            );
        }
        // SAFETY: `buf` holds `buf_len` >= n + 1 writable bytes per the contract.
        let out = unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), n + 1) };
        out[..n].copy_from_slice(&tmp[..n]);
        out[n] = 0;
        n as c_int
    })
}

/// Parses a plain decimal (`"60000.1"`, optional leading `-`) into its exact mantissa at `scale`. Digits beyond
/// the scale must be zeros. `AXH_E_ARG` for anything not exactly representable.
///
/// # Safety
/// `s` is NULL or a valid C string; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_parse_decimal(s: *const c_char, scale: u8, out: *mut i64) -> c_int {
    status(|| {
        if out.is_null() {
            return Err(FfiError::new(AXH_E_NULL, "out is NULL"));
        }
        // SAFETY: NULL or a valid C string per the contract.
        let text = unsafe { opt_str(s, "the decimal") }?
            .ok_or_else(|| FfiError::new(AXH_E_NULL, "s is NULL"))?;
        let sc = crate::num::Scale::new(scale)
            .map_err(|_| FfiError::new(AXH_E_ARG, format!("scale {scale} is above 18")))?;
        let (neg, digits) = match text.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, text),
        };
        let m = crate::num::parse_scaled(digits.as_bytes(), sc)
            .map_err(|e| FfiError::new(AXH_E_ARG, format!("\"{text}\" at scale {scale}: {e}")))?;
        // SAFETY: non-NULL and writable per the contract.
        unsafe { *out = if neg { -m } else { m } };
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Engine lifecycle.

/// Fills `cfg` with defaults: blocking mode, no pinning, no flags, default grace.
///
/// # Safety
/// `cfg` is NULL or points at writable `axh_config` storage.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_config_init(cfg: *mut AxhConfig) {
    guard((), || {
        if cfg.is_null() {
            set_error(AXH_E_NULL, "cfg is NULL");
            return;
        }
        let c = AxhConfig {
            struct_size: size_of::<AxhConfig>() as u32,
            mode: AXH_MODE_BLOCK,
            core: -1,
            flags: 0,
            rest_url: std::ptr::null(),
            ws_url: std::ptr::null(),
            ca_file: std::ptr::null(),
            symbols: std::ptr::null(),
            n_symbols: 0,
            api_key: std::ptr::null(),
            api_secret: std::ptr::null(),
            account_group: 0,
            shutdown_grace_ms: DEFAULT_GRACE_MS,
            client_id_tag: 0,
            reserved: [0; 3],
        };
        // SAFETY: non-NULL and writable per the contract; `write` does not read the old (uninitialised) value.
        unsafe { cfg.write(c) };
    })
}

/// Creates an engine: checks the config, loads the CA file, copies every string (the caller may free its config
/// afterwards). No network traffic. NULL on error (see `axh_last_error`).
///
/// # Safety
/// `cfg` is NULL or a valid `axh_config` whose strings are NULL or valid C strings and whose `symbols` array holds
/// `n_symbols` entries.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_engine_new(cfg: *const AxhConfig) -> *mut AxhEngine {
    guard(std::ptr::null_mut(), || {
        if cfg.is_null() {
            set_error(AXH_E_NULL, "cfg is NULL");
            return std::ptr::null_mut();
        }
        // SAFETY: non-NULL and valid per the contract; the struct is copied before use.
        let c = unsafe { cfg.read() };
        // SAFETY: the pointers inside `c` follow this function's contract.
        match unsafe { build(&c) } {
            Ok(e) => Box::into_raw(Box::new(e)),
            Err(e) => {
                fail(e);
                std::ptr::null_mut()
            }
        }
    })
}

/// Frees an engine (NULL is ignored). `AXH_E_STATE` while it is running: stop it and wait for `axh_engine_run` to
/// return first.
///
/// # Safety
/// `engine` is NULL or came from `axh_engine_new` and was not freed; no other thread uses it during or after this.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_engine_free(engine: *mut AxhEngine) -> c_int {
    status(|| {
        if engine.is_null() {
            return Ok(());
        }
        {
            // SAFETY: a live engine per the contract.
            let e = unsafe { &*engine };
            // Refuse while a run (or another call) holds it; the guard is released before the box is dropped.
            drop(e.acquire()?);
        }
        // SAFETY: from `Box::into_raw` in `axh_engine_new`, not freed before, not in use (checked above).
        drop(unsafe { Box::from_raw(engine) });
        Ok(())
    })
}

/// # Safety
/// `engine` is NULL or a live engine.
unsafe fn with_engine(
    engine: *mut AxhEngine,
    f: impl FnOnce(&mut Inner) -> Result<(), FfiError>,
) -> c_int {
    status(|| {
        if engine.is_null() {
            return Err(FfiError::new(AXH_E_NULL, "engine is NULL"));
        }
        // SAFETY: a live engine per the contract; only shared access, exclusivity comes from `acquire`.
        let e = unsafe { &*engine };
        let mut ex = e.acquire()?;
        let inner = ex.inner();
        if !matches!(inner.phase, Phase::Ready { .. }) {
            return Err(FfiError::new(
                AXH_E_STATE,
                "callbacks are registered before axh_engine_run",
            ));
        }
        f(inner)
    })
}

macro_rules! setter {
    ($(#[$m:meta])* $name:ident, $field:ident, $ty:ty) => {
        $(#[$m])*
        ///
        /// # Safety
        /// `engine` is NULL or a live engine; `f` (when not NULL) is a function of the documented signature that
        /// may be called with `user` on the engine thread until the engine is freed.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(engine: *mut AxhEngine, f: Option<$ty>, user: *mut c_void) -> c_int {
            // SAFETY: forwarded contract.
            unsafe {
                with_engine(engine, |inner| {
                    inner.cbs.$field = f.map(|f| Cb { f, user });
                    Ok(())
                })
            }
        }
    };
}

setter!(
    /// Called once the session is connected, authenticated (when trading) and every book is live.
    axh_engine_on_start,
    start,
    StartFn
);
setter!(
    /// Called after every applied book update (snapshot or diff).
    axh_engine_on_book,
    book,
    BookFn
);
setter!(
    /// Called when a book goes stale (`live` 0, with the reason) and when it is live again.
    axh_engine_on_book_status,
    book_status,
    BookStatusFn
);
setter!(
    /// Called for every market trade; registering it subscribes to the trade stream.
    axh_engine_on_trade,
    trade,
    TradeFn
);
setter!(
    /// Called for every order life event (ack, new, canceled, rejected, unknown).
    axh_engine_on_order,
    order,
    OrderFn
);
setter!(
    /// Called once per execution, with that execution's own quantity, price and fee.
    axh_engine_on_fill,
    fill,
    FillFn
);
setter!(
    /// Called when an asset's balance changes (fills, order locks, deposits) and once per asset with the start-up
    /// snapshot, with the asset's name, both figures and their scale.
    axh_engine_on_balance,
    balance,
    BalanceFn
);
setter!(
    /// Called when a timer set with `axh_ctx_set_timer` fires.
    axh_engine_on_timer,
    timer,
    TimerFn
);

/// Connects (start-up REST calls, then the WebSockets) and runs the event loop on the calling thread until
/// stopped (`axh_ctx_stop`, `axh_engine_stop`) or for `limit_ms` (<= 0: no limit); then cancels open orders (unless
/// `AXH_FLAG_KEEP_ORDERS_ON_STOP`) and closes the connections. An engine runs once.
///
/// # Safety
/// `engine` is NULL or a live engine.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_engine_run(engine: *mut AxhEngine, limit_ms: i64) -> c_int {
    status(|| {
        if engine.is_null() {
            return Err(FfiError::new(AXH_E_NULL, "engine is NULL"));
        }
        // SAFETY: a live engine per the contract; shared access, exclusivity from `acquire` inside `run`.
        run(unsafe { &*engine }, limit_ms)
    })
}

/// Asks the engine to stop; callable from any thread (and from callbacks). `axh_engine_run` returns within one loop
/// iteration (~100 ms at most when blocking). Before `axh_engine_run`, makes it return at once.
///
/// # Safety
/// `engine` is NULL or a live engine that is not being freed concurrently.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_engine_stop(engine: *mut AxhEngine) -> c_int {
    status(|| {
        if engine.is_null() {
            return Err(FfiError::new(AXH_E_NULL, "engine is NULL"));
        }
        // SAFETY: a live engine; only the atomic flag is touched, which is safe from any thread.
        unsafe { &*engine }.stop.store(true, Ordering::Relaxed);
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Inside callbacks.

/// # Safety
/// `ctx` is any pointer; it is only dereferenced when it is the live context of this thread's current callback.
unsafe fn with_ctx<T>(
    ctx: *mut AxhCtx,
    f: impl FnOnce(&mut CtxCell<'_>) -> Result<T, FfiError>,
) -> Result<T, FfiError> {
    if ctx.is_null() {
        return Err(FfiError::new(AXH_E_NULL, "ctx is NULL"));
    }
    if !bridge::ctx_is_live(ctx) {
        return Err(FfiError::new(
            AXH_E_STATE,
            "ctx is not the context of the running callback (it is valid only during the callback that received it)",
        ));
    }
    // SAFETY: the live context of this thread: `Bridge::call` made it from a `CtxCell` on its stack that outlives
    // the callback now running, and nothing else uses that cell until the callback returns.
    let cell = unsafe { &mut *ctx.cast::<CtxCell<'_>>() };
    f(cell)
}

fn req_from(r: &AxhOrderReq) -> Result<PlaceRequest, FfiError> {
    let side = match r.side {
        AXH_BUY => Side::Buy,
        AXH_SELL => Side::Sell,
        s => {
            return Err(FfiError::new(
                AXH_E_ARG,
                format!("side {s}: use AXH_BUY or AXH_SELL"),
            ));
        }
    };
    let order_type = match r.order_type {
        AXH_LIMIT => OrderType::Limit,
        AXH_MARKET => OrderType::Market,
        t => {
            return Err(FfiError::new(
                AXH_E_ARG,
                format!("order_type {t}: use AXH_LIMIT or AXH_MARKET"),
            ));
        }
    };
    let tif = match r.tif {
        AXH_GTC => TimeInForce::Gtc,
        AXH_IOC => TimeInForce::Ioc,
        AXH_FOK => TimeInForce::Fok,
        t => {
            return Err(FfiError::new(
                AXH_E_ARG,
                format!("tif {t}: use AXH_GTC, AXH_IOC or AXH_FOK"),
            ));
        }
    };
    if r.post_only > 1 {
        return Err(FfiError::new(AXH_E_ARG, "post_only is 0 or 1"));
    }
    Ok(PlaceRequest {
        symbol: SymbolId(r.symbol),
        side,
        order_type,
        price: r.price,
        qty: r.qty,
        tif,
        post_only: r.post_only == 1,
    })
}

/// Places an order; on success `*handle` (if not NULL) receives its handle. The order is sent when the callback
/// returns. `AXH_E_REFUSED` when refused before sending (rules, limits, no credentials).
///
/// # Safety
/// `ctx` is the context the current callback received; `req` is NULL or valid; `handle` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_ctx_place(
    ctx: *mut AxhCtx,
    req: *const AxhOrderReq,
    handle: *mut u64,
) -> c_int {
    status(|| {
        if req.is_null() {
            return Err(FfiError::new(AXH_E_NULL, "req is NULL"));
        }
        // SAFETY: non-NULL and valid per the contract; copied.
        let r = req_from(&unsafe { req.read() })?;
        // SAFETY: `ctx` is checked to be live before use.
        let tok = unsafe {
            with_ctx(ctx, |cell| {
                if usize::from(r.symbol.0) >= cell.syms.len() {
                    return Err(FfiError::new(
                        AXH_E_NOT_FOUND,
                        format!("symbol id {} is not configured", r.symbol.0),
                    ));
                }
                let h = cell
                    .ctx
                    .place(&r)
                    .map_err(|e| FfiError::recorded(AXH_E_REFUSED, e))?;
                let client = cell.ctx.order(h).map_or(ClientId::EMPTY, |o| o.client_id);
                Ok(cell.handles.token(h, &client))
            })
        }?;
        if !handle.is_null() {
            // SAFETY: non-NULL and writable per the contract.
            unsafe { handle.write(tok) };
        }
        Ok(())
    })
}

/// Cancels an order by handle. `AXH_E_NOT_FOUND` for a handle that is unknown or whose order is gone.
///
/// # Safety
/// `ctx` is the context the current callback received.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_ctx_cancel(ctx: *mut AxhCtx, handle: u64) -> c_int {
    status(|| {
        // SAFETY: `ctx` is checked to be live before use.
        unsafe {
            with_ctx(ctx, |cell| {
                let h = cell.handles.resolve(handle).ok_or_else(|| {
                    FfiError::new(AXH_E_NOT_FOUND, format!("no order with handle {handle:#x}"))
                })?;
                cell.ctx
                    .cancel(h)
                    .map_err(|e| FfiError::recorded(AXH_E_REFUSED, e))
            })
        }
    })
}

/// Cancels every open order of `symbol`, or of all symbols when `symbol` < 0.
///
/// # Safety
/// `ctx` is the context the current callback received.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_ctx_cancel_all(ctx: *mut AxhCtx, symbol: i32) -> c_int {
    status(|| {
        // SAFETY: `ctx` is checked to be live before use.
        unsafe {
            with_ctx(ctx, |cell| {
                let sym = match u16::try_from(symbol) {
                    Ok(s) if usize::from(s) < cell.syms.len() => Some(SymbolId(s)),
                    Ok(s) => {
                        return Err(FfiError::new(
                            AXH_E_NOT_FOUND,
                            format!("symbol id {s} is not configured"),
                        ));
                    }
                    Err(_) if symbol < 0 => None,
                    Err(_) => {
                        return Err(FfiError::new(AXH_E_NOT_FOUND, "symbol id out of range"));
                    }
                };
                cell.ctx
                    .cancel_all(sym)
                    .map_err(|e| FfiError::recorded(AXH_E_REFUSED, e))
            })
        }
    })
}

/// Stops the engine after this callback returns.
///
/// # Safety
/// `ctx` is the context the current callback received.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_ctx_stop(ctx: *mut AxhCtx) -> c_int {
    status(|| {
        // SAFETY: `ctx` is checked to be live before use.
        unsafe {
            with_ctx(ctx, |cell| {
                cell.ctx.stop();
                Ok(())
            })
        }
    })
}

/// Nanoseconds on the engine clock (monotonic); 0 when `ctx` is not live.
///
/// # Safety
/// `ctx` is the context the current callback received.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_ctx_now_ns(ctx: *mut AxhCtx) -> u64 {
    guard(0, || {
        // SAFETY: `ctx` is checked to be live before use.
        unsafe { with_ctx(ctx, |cell| Ok(cell.ctx.now_ns())) }.unwrap_or_else(|e| {
            fail(e);
            0
        })
    })
}

/// Arms timer `id` (< `AXH_MAX_TIMERS`) to fire `delay_ns` from now (re-arming replaces the deadline).
///
/// # Safety
/// `ctx` is the context the current callback received.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_ctx_set_timer(ctx: *mut AxhCtx, id: u32, delay_ns: u64) -> c_int {
    status(|| {
        // SAFETY: `ctx` is checked to be live before use.
        unsafe {
            with_ctx(ctx, |cell| {
                let id = timer_id(id)?;
                let at = cell.ctx.now_ns().saturating_add(delay_ns);
                cell.ctx.set_timer(id, at);
                Ok(())
            })
        }
    })
}

/// Disarms timer `id`.
///
/// # Safety
/// `ctx` is the context the current callback received.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_ctx_cancel_timer(ctx: *mut AxhCtx, id: u32) -> c_int {
    status(|| {
        // SAFETY: `ctx` is checked to be live before use.
        unsafe {
            with_ctx(ctx, |cell| {
                let id = timer_id(id)?;
                cell.ctx.cancel_timer(id);
                Ok(())
            })
        }
    })
}

fn timer_id(id: u32) -> Result<usize, FfiError> {
    let i = id as usize;
    if i < STRATEGY_TIMERS {
        Ok(i)
    } else {
        Err(FfiError::new(
            AXH_E_NOT_FOUND,
            format!("timer id {id}: ids are 0..{STRATEGY_TIMERS}"),
        ))
    }
}

/// A configured symbol's scales and trading rules.
///
/// # Safety
/// `ctx` is the context the current callback received; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_ctx_symbol_info(
    ctx: *mut AxhCtx,
    symbol: u16,
    out: *mut AxhSymbolInfo,
) -> c_int {
    status(|| {
        if out.is_null() {
            return Err(FfiError::new(AXH_E_NULL, "out is NULL"));
        }
        // SAFETY: `ctx` is checked to be live before use.
        let info = unsafe {
            with_ctx(ctx, |cell| {
                cell.syms
                    .get(usize::from(symbol))
                    .map(|s| s.info)
                    .ok_or_else(|| {
                        FfiError::new(
                            AXH_E_NOT_FOUND,
                            format!("symbol id {symbol} is not configured"),
                        )
                    })
            })
        }?;
        // SAFETY: non-NULL and writable per the contract.
        unsafe { out.write(info) };
        Ok(())
    })
}

/// How many assets the engine tracks balances for (the bases and quotes of its symbols): ids are `0..count`.
/// Returns the count (>= 0) or a negative `AXH_E_*`.
///
/// # Safety
/// `ctx` is the context the current callback received.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_ctx_asset_count(ctx: *mut AxhCtx) -> c_int {
    guard(AXH_E_PANIC, || {
        // SAFETY: `ctx` is checked to be live before use.
        match unsafe { with_ctx(ctx, |cell| Ok(cell.assets.len())) } {
            Ok(n) => c_int::try_from(n).unwrap_or(c_int::MAX),
            Err(e) => fail(e),
        }
    })
}

fn balance_of(cell: &CtxCell<'_>, asset: u16) -> Result<AxhBalance, FfiError> {
    // `recorded`: a strategy may ask on every update, so the refusal must not allocate either.
    cell.balance(asset).ok_or_else(|| {
        FfiError::recorded(
            AXH_E_STATE,
            "no balance known for this asset: the engine has no credentials, or the balance snapshot has not arrived",
        )
    })
}

/// The balance of asset id `asset` (< `axh_ctx_asset_count`). `AXH_E_NOT_FOUND` past the last id, `AXH_E_STATE`
/// when no figures are known (no credentials).
///
/// # Safety
/// `ctx` is the context the current callback received; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_ctx_balance_at(
    ctx: *mut AxhCtx,
    asset: u16,
    out: *mut AxhBalance,
) -> c_int {
    status(|| {
        if out.is_null() {
            return Err(FfiError::new(AXH_E_NULL, "out is NULL"));
        }
        // SAFETY: `ctx` is checked to be live before use.
        let b = unsafe {
            with_ctx(ctx, |cell| {
                if usize::from(asset) >= cell.assets.len() {
                    return Err(FfiError::recorded(
                        AXH_E_NOT_FOUND,
                        format_args!("asset id {asset}: ids are 0..{}", cell.assets.len()),
                    ));
                }
                balance_of(cell, asset)
            })
        }?;
        // SAFETY: non-NULL and writable per the contract.
        unsafe { out.write(b) };
        Ok(())
    })
}

/// The balance of the asset named `asset` (`"USDT"`, as in the symbol names). `AXH_E_NOT_FOUND` for an asset of no
/// configured symbol, `AXH_E_STATE` when no figures are known (no credentials).
///
/// # Safety
/// `ctx` is the context the current callback received; `asset` is NULL or a valid C string; `out` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_ctx_balance(
    ctx: *mut AxhCtx,
    asset: *const c_char,
    out: *mut AxhBalance,
) -> c_int {
    status(|| {
        if out.is_null() || asset.is_null() {
            return Err(FfiError::new(AXH_E_NULL, "asset or out is NULL"));
        }
        // SAFETY: non-NULL and NUL-terminated per the contract.
        let name = unsafe { CStr::from_ptr(asset) }.to_bytes();
        // SAFETY: `ctx` is checked to be live before use.
        let b = unsafe {
            with_ctx(ctx, |cell| {
                let id = cell.asset_id(name).ok_or_else(|| {
                    FfiError::recorded(
                        AXH_E_NOT_FOUND,
                        format_args!(
                            "asset {} is not a base or quote of the configured symbols",
                            name.escape_ascii()
                        ),
                    )
                })?;
                balance_of(cell, id)
            })
        }?;
        // SAFETY: non-NULL and writable per the contract.
        unsafe { out.write(b) };
        Ok(())
    })
}

/// Copies up to `max` levels of one side (`AXH_BID`/`AXH_ASK`), best first, into `out`; `*count` receives how
/// many. The book holds its configured depth of exact levels.
///
/// # Safety
/// `book` is the book the current book callback received; `out` is NULL or holds `max` writable levels; `count`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_book_levels(
    book: *const AxhBook,
    side: c_int,
    out: *mut AxhLevel,
    max: usize,
    count: *mut usize,
) -> c_int {
    status(|| {
        if book.is_null() || count.is_null() || (out.is_null() && max > 0) {
            return Err(FfiError::new(AXH_E_NULL, "book, out or count is NULL"));
        }
        if !bridge::book_is_live(book) {
            return Err(FfiError::new(
                AXH_E_STATE,
                "book is valid only during the book callback that received it",
            ));
        }
        let side = u8::try_from(side)
            .ok()
            .filter(|s| *s == AXH_BID || *s == AXH_ASK)
            .ok_or_else(|| FfiError::new(AXH_E_ARG, "side is AXH_BID or AXH_ASK"))?;
        // SAFETY: the live book of this thread's book callback (a `&Book` that outlives the callback).
        let b = unsafe { &*book.cast::<crate::book::Book>() };
        let levels = if max == 0 {
            &mut [][..]
        } else {
            // SAFETY: `out` holds `max` writable levels per the contract.
            unsafe { std::slice::from_raw_parts_mut(out, max) }
        };
        let n = bridge::book_levels(b, side, levels).unwrap_or(0);
        // SAFETY: non-NULL and writable per the contract.
        unsafe { count.write(n) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header lets a caller create an engine on one thread and run it on another (never two at once): that
    /// moves `Inner` across threads, so everything in it must be `Send` apart from the C user pointers.
    #[test]
    fn engine_state_can_move_between_threads() {
        fn assert_send<T: Send>() {}
        assert_send::<Engine>();
        assert_send::<SessionConfig>();
        assert_send::<Handles>();
        assert_send::<Vec<SymInfo>>();
    }

    #[test]
    fn ws_url_is_derived_from_the_rest_url() {
        assert_eq!(
            default_ws_url("https://ascendex.com").unwrap(),
            "wss://ascendex.com/api/pro/v1/stream"
        );
        assert_eq!(
            default_ws_url("https://127.0.0.1:8443/").unwrap(),
            "wss://127.0.0.1:8443/api/pro/v1/stream"
        );
        assert_eq!(default_ws_url("ftp://x").unwrap_err().code, AXH_E_ARG);
    }
}
