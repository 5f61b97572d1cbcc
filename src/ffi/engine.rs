//! The engine object: configuration defaults, create, free, run, stop (the one call allowed from another thread).

use super::*;

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
