//! The context object inside callbacks: place, cancel, cancel-all, stop, clock, timers, symbols, balances.

use super::*;

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

pub(super) fn req_from(r: &AxhOrderReq) -> Result<PlaceRequest, FfiError> {
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

pub(super) fn timer_id(id: u32) -> Result<usize, FfiError> {
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

pub(super) fn balance_of(cell: &CtxCell<'_>, asset: u16) -> Result<AxhBalance, FfiError> {
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
