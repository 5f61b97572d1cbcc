//! The session's side of the core's [`Ctx`]: a strategy's actions become the trading half's requests, and its
//! timers the engine's, offset past the session's own timer ids.

use crate::engine::Cx;
use crate::orders::types::{AssetId, SymbolId};
use crate::orders::{Order, OrderHandle};
use crate::strategy::{Ctx, PlaceError, PlaceRequest, STRATEGY_TIMERS};

use super::trading::TradingState;
use crate::venue::ascendex::product::ProductApi;
use crate::venue::ascendex::spot::Spot;

/// What a strategy's callback acts with inside an AscendEX session (live or paper).
pub struct SessionCtx<'a, 'c, P: ProductApi = Spot> {
    cx: &'a mut Cx<'c>,
    trading: &'a mut TradingState<P>,
    timer_base: usize,
}

impl<'a, 'c, P: ProductApi> SessionCtx<'a, 'c, P> {
    pub(crate) fn new(
        cx: &'a mut Cx<'c>,
        trading: &'a mut TradingState<P>,
        timer_base: usize,
    ) -> Self {
        SessionCtx {
            cx,
            trading,
            timer_base,
        }
    }
}

impl<P: ProductApi> Ctx for SessionCtx<'_, '_, P> {
    #[inline]
    fn now_ns(&self) -> u64 {
        self.cx.now_ns()
    }

    #[inline]
    fn place(&mut self, req: &PlaceRequest) -> Result<OrderHandle, PlaceError> {
        self.trading.place(self.cx, req)
    }

    #[inline]
    fn cancel(&mut self, handle: OrderHandle) -> Result<(), PlaceError> {
        self.trading.cancel(self.cx, handle)
    }

    fn cancel_all(&mut self, symbol: Option<SymbolId>) -> Result<(), PlaceError> {
        self.trading.cancel_owned(self.cx, symbol)
    }

    fn order(&self, handle: OrderHandle) -> Option<&Order> {
        self.trading.order(handle)
    }

    fn open_orders(&self) -> impl Iterator<Item = (OrderHandle, &Order)> {
        self.trading.open_orders()
    }

    fn balance(&self, asset: AssetId) -> Option<(i64, i64)> {
        self.trading.balance(asset)
    }

    fn kill(&mut self) {
        self.trading.kill(self.cx)
    }

    fn set_timer(&mut self, id: usize, at_ns: u64) {
        if id < STRATEGY_TIMERS {
            self.cx.set_timer(self.timer_base + id, at_ns);
        }
    }

    fn cancel_timer(&mut self, id: usize) {
        if id < STRATEGY_TIMERS {
            self.cx.cancel_timer(self.timer_base + id);
        }
    }

    fn stop(&mut self) {
        self.cx.stop()
    }
}
