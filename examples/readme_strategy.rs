//! The strategy the README shows, compiled and run by CI (`tests/readme.rs` checks the README's copy is this one).

use std::time::Duration;

use ascendex_hft::prelude::*;

/// Joins the best bid once, with the smallest order the symbol takes.
struct Joiner {
    rules: SymbolRules,
    order: Option<OrderHandle>,
}

impl Strategy for Joiner {
    fn on_book(&mut self, ctx: &mut impl Ctx, sym: SymbolId, book: &Book, _u: &BookUpdate) {
        let (None, Some(bid)) = (self.order, book.best_bid()) else {
            return;
        };
        // Exact scaled integers: the minimum notional (price × qty scale) over the price, up to a whole lot.
        let r = &self.rules;
        let qty = (r.min_notional / i128::from(bid.price.0)) as i64 + r.lot;
        let qty = qty.max(r.min_qty) / r.lot * r.lot;
        self.order = ctx
            .place(&PlaceRequest::post_only(sym, Side::Buy, bid.price.0, qty))
            .ok();
    }

    fn on_fill(&mut self, ctx: &mut impl Ctx, _fill: &Fill) {
        ctx.stop(); // one execution is enough: stop, and the session cancels what is left
    }
}

fn main() -> Result<(), TraderError> {
    let run = Trader::ascendex()
        .simulator() // or .rest_url("https://ascendex.com") with ASCENDEX_API_KEY / _SECRET set
        .symbol("BTC/USDT")
        .run_for(Duration::from_secs(3))
        .run_with(|rules| {
            Ok::<_, String>(Joiner {
                rules: rules[0].clone(),
                order: None,
            })
        })?;
    let placed = run.strategy.order.is_some();
    println!(
        "placed: {placed}, open after shutdown: {}",
        run.open_after_shutdown
    );
    assert!(placed && run.open_after_shutdown == 0);
    Ok(())
}
