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

mod book;
mod ctx;
mod decimal;
mod engine;
mod info;

// The entry points keep their `ffi::axh_*` paths (tests and Rust callers use them).
pub use book::*;
pub use ctx::*;
pub use decimal::*;
pub use engine::*;
pub use info::*;

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
