//! The sample market maker: the strategy users copy. `ascendex mm`, `ascendex demo` and
//! `examples/market_maker.rs` all run this one, through the same builder a user's strategy runs through.
//!
//! It quotes one bid and one ask around the mid, `spread_bps` apart, shifted against its inventory (long: both
//! quotes move down, so the ask is likelier to fill). On a change of the best prices it requotes, but never sooner
//! than `min_quote_life_ns` after the last quote (a quote that is cancelled at once earns nothing and burns rate
//! limit). Orders are post-only, so a quote never takes liquidity. Past `max_position` it stops quoting the side
//! that would add to it. The session cancels everything it placed when it stops (`cancel_on_shutdown`).
//!
//! Everything here runs inline on the event-loop thread: no allocation, no formatting, no blocking.

// Written only against the prelude, as a user's strategy would be (`tests/layering.rs` checks it).
use crate::prelude::*;

/// What the market maker is told. Prices at the symbol's price scale, quantities at its quantity scale.
#[derive(Clone, Copy, Debug)]
pub struct MmParams {
    /// The one symbol quoted; book updates of other symbols are ignored.
    pub symbol: SymbolId,
    /// Full bid-to-ask distance, basis points of the mid.
    pub spread_bps: i64,
    /// Quote size; 0 sizes the quotes at the first book, as the smallest order the exchange takes there (see
    /// [`MmParams::for_rules`]).
    pub size: i64,
    /// Inventory beyond which the side adding to it is not quoted (0 with `size` 0: five quotes' worth).
    pub max_position: i64,
    /// The tick (price step) at the price scale.
    pub tick: i64,
    /// Least time between two requotes, engine clock ns: a quote cancelled at once earns nothing and spends rate limit.
    pub min_quote_life_ns: u64,
    /// The symbol's lot (quantity step) at the quantity scale, for sizing at the book when `size` is 0.
    pub lot: i64,
    /// The symbol's minimum order quantity at the quantity scale.
    pub min_qty: i64,
    /// The symbol's minimum notional at `price_scale + qty_scale`.
    pub min_notional: i128,
}

/// The smallest order the exchange takes at `price`: the minimum quantity, and the minimum notional with 10 %
/// margin, up to a whole lot.
fn smallest_order(lot: i64, min_qty: i64, min_notional: i128, price: i64) -> i64 {
    let lot = lot.max(1);
    let mut q = min_qty.max(lot);
    if price > 0 {
        let need = i64::try_from(min_notional * 11 / 10 / i128::from(price)).unwrap_or(i64::MAX);
        q = q.max(need.saturating_add(lot - 1) / lot * lot);
    }
    q
}

/// Counters the command prints as progress.
#[derive(Clone, Copy, Debug, Default)]
pub struct MmStats {
    /// Book updates of the quoted symbol seen.
    pub updates: u64,
    /// Quotes placed (accepted by `Ctx::place`; the exchange may still reject them).
    pub orders: u64,
    /// Cancels sent for quotes that moved or were pulled.
    pub cancels: u64,
    /// Executions of our quotes (one per `on_fill`, partial fills counted separately).
    pub fills: u64,
    /// Quotes the exchange rejected (a post-only quote that would have taken liquidity, for one).
    pub rejects: u64,
    /// Refused before sending (risk or rate limits, not connected yet).
    pub refused: u64,
}

/// One side's resting quote.
#[derive(Clone, Copy, Debug)]
struct Quote {
    handle: OrderHandle,
    price: i64,
}

/// The sample market maker (see the module docs): one post-only bid and ask around the mid, skewed against
/// inventory. Build it with [`MarketMaker::new`] from [`MmParams::for_rules`] and run it through the
/// [`Trader`] builder; read `position`, `stats` and `fills` after the run.
pub struct MarketMaker {
    p: MmParams,
    bid: Option<Quote>,
    ask: Option<Quote>,
    quoted_at_ns: u64,
    /// Signed inventory from our fills (base asset, quantity scale).
    pub position: i64,
    /// What it did, for progress lines and the final summary.
    pub stats: MmStats,
    /// Why the first refused order was refused before sending (rules, limits, not connected): only the first is
    /// kept (later ones are counted in `stats.refused`), so a run that never quoted can say why.
    pub first_refusal: Option<PlaceError>,
    /// The book is in doubt (stale, resyncing): quotes were pulled and none is placed until it is live again.
    pub stale: bool,
    /// Fills since the caller last drained them (capacity reserved up front; the callback never grows it past that).
    pub fills: Vec<Fill>,
}

impl MmParams {
    /// Parameters from a symbol's trading rules: quotes of `size` (default: the smallest order the exchange takes
    /// — the minimum quantity and, given a reference price, the minimum notional with 10 % margin, up to a whole
    /// lot), `spread_bps` apart, at most five quotes' worth of inventory, requoting no sooner than 50 ms.
    pub fn for_rules(
        rules: &SymbolRules,
        symbol: SymbolId,
        spread_bps: u32,
        size: Option<i64>,
        ref_price: i64,
    ) -> Result<MmParams, &'static str> {
        if spread_bps == 0 || spread_bps > 10_000 {
            return Err("the spread must be between 1 and 10000 basis points");
        }
        // Without a size or a reference price, the quotes are sized at the first book (size 0).
        let size = match (size, ref_price) {
            (Some(q), _) => q,
            (None, 0) => 0,
            (None, p) => smallest_order(rules.lot, rules.min_qty, rules.min_notional, p),
        };
        if ref_price > 0 {
            let notional = i128::from(size) * i128::from(ref_price);
            if notional > rules.max_notional {
                return Err(
                    "the quote size times the price is above the symbol's maximum notional",
                );
            }
        }
        Ok(MmParams {
            symbol,
            spread_bps: i64::from(spread_bps),
            size,
            max_position: size.saturating_mul(5),
            tick: rules.tick,
            min_quote_life_ns: 50_000_000,
            lot: rules.lot,
            min_qty: rules.min_qty,
            min_notional: rules.min_notional,
        })
    }
}

impl MarketMaker {
    /// A market maker with nothing quoted and a flat position; reserves room for 4,096 fills up front so the fill
    /// callback never allocates.
    pub fn new(p: MmParams) -> Self {
        MarketMaker {
            p,
            bid: None,
            ask: None,
            quoted_at_ns: 0,
            position: 0,
            stats: MmStats::default(),
            fills: Vec::with_capacity(4096),
            first_refusal: None,
            stale: false,
        }
    }

    /// Target (bid, ask) prices for a mid, skewed by inventory: at `max_position` both move a quarter of the spread
    /// against it (long: down).
    fn targets(&self, best_bid: i64, best_ask: i64) -> (i64, i64) {
        let mid = (best_bid + best_ask) / 2;
        let half = (mid as i128 * self.p.spread_bps as i128 / 20_000) as i64;
        let half = half.max(self.p.tick);
        let skew = (half as i128 * self.position as i128 / (2 * self.p.max_position.max(1) as i128))
            as i64;
        let tick = self.p.tick.max(1);
        let bid = (mid - half - skew).div_euclid(tick) * tick;
        let ask = (mid + half - skew + tick - 1).div_euclid(tick) * tick;
        // Post-only quotes must not cross the book, whatever the skew.
        (bid.min(best_ask - tick), ask.max(best_bid + tick))
    }

    fn requote(&mut self, ctx: &mut impl Ctx, side: Side, target: Option<i64>) {
        let slot = match side {
            Side::Buy => &mut self.bid,
            Side::Sell => &mut self.ask,
        };
        if let Some(q) = *slot {
            if Some(q.price) == target {
                return;
            }
            if ctx.cancel(q.handle).is_ok() {
                self.stats.cancels += 1;
                *slot = None;
            } else {
                return;
            }
        }
        let Some(price) = target else { return };
        let req = PlaceRequest::post_only(self.p.symbol, side, price, self.p.size);
        match ctx.place(&req) {
            Ok(handle) => {
                self.stats.orders += 1;
                *slot = Some(Quote { handle, price });
            }
            Err(e) => {
                self.stats.refused += 1;
                // Only the first refusal is kept, so the hot path does not copy strings repeatedly.
                if self.first_refusal.is_none() {
                    self.first_refusal = Some(e);
                }
            }
        }
    }

    fn forget(&mut self, h: OrderHandle) {
        if self.bid.is_some_and(|q| q.handle == h) {
            self.bid = None;
        }
        if self.ask.is_some_and(|q| q.handle == h) {
            self.ask = None;
        }
    }
}

impl Strategy for MarketMaker {
    fn on_book(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, book: &Book, u: &BookUpdate) {
        if symbol != self.p.symbol {
            return;
        }
        self.stats.updates += 1;
        // A quote that filled completely is gone: quote that side again.
        for slot in [&mut self.bid, &mut self.ask] {
            if slot.is_some_and(|q| ctx.order(q.handle).is_none_or(|o| o.status.is_terminal())) {
                *slot = None;
            }
        }
        if self.stale {
            return;
        }
        let (Some(bb), Some(ba)) = (book.best_bid(), book.best_ask()) else {
            return;
        };
        if self.p.size == 0 {
            let p = &mut self.p;
            p.size = smallest_order(p.lot, p.min_qty, p.min_notional, ba.price.0);
            if p.max_position == 0 {
                p.max_position = p.size.saturating_mul(5);
            }
        }
        let now = ctx.now_ns();
        let missing = self.bid.is_none() || self.ask.is_none();
        if !(u.top_changed || missing) || now < self.quoted_at_ns + self.p.min_quote_life_ns {
            return;
        }
        self.quoted_at_ns = now;
        let (bid, ask) = self.targets(bb.price.0, ba.price.0);
        let m = self.p.max_position;
        self.requote(ctx, Side::Buy, (self.position < m).then_some(bid));
        self.requote(ctx, Side::Sell, (self.position > -m).then_some(ask));
    }

    /// A book in doubt is never quoted on: both quotes are pulled at once (the session cancels over whichever
    /// connection is up), and quoting resumes with the first update after the book is live again.
    fn on_book_status(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, status: BookStatus) {
        if symbol != self.p.symbol {
            return;
        }
        match status {
            BookStatus::Stale(_) | BookStatus::Silent { .. } => {
                self.stale = true;
                self.requote(ctx, Side::Buy, None);
                self.requote(ctx, Side::Sell, None);
            }
            BookStatus::Live => self.stale = false,
        }
    }

    fn on_order(&mut self, _ctx: &mut impl Ctx, ev: &OrderEvent<'_>) {
        match ev.kind {
            OrderEventKind::Canceled => self.forget(ev.handle),
            OrderEventKind::Rejected => {
                self.stats.rejects += 1;
                self.forget(ev.handle);
            }
            _ => {}
        }
        if ev.status.is_terminal() {
            self.forget(ev.handle);
        }
    }

    fn on_fill(&mut self, _ctx: &mut impl Ctx, f: &Fill) {
        self.stats.fills += 1;
        self.position += match f.side {
            Side::Buy => f.qty,
            Side::Sell => -f.qty,
        };
        if self.fills.len() < self.fills.capacity() {
            self.fills.push(*f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mm(position: i64) -> MarketMaker {
        let mut m = MarketMaker::new(MmParams {
            symbol: SymbolId(0),
            spread_bps: 10,
            size: 100,
            max_position: 500,
            tick: 1,
            min_quote_life_ns: 0,
            lot: 1,
            min_qty: 1,
            min_notional: 0,
        });
        m.position = position;
        m
    }

    #[test]
    fn quotes_straddle_the_mid_and_lean_against_inventory() {
        // Mid 6_000_000 (60000.00 at scale 2): 10 bps apart = 6000 ticks.
        let (b, a) = mm(0).targets(5_999_000, 6_001_000);
        assert_eq!((b, a), (5_997_000, 6_003_000));
        let (bl, al) = mm(500).targets(5_999_000, 6_001_000);
        assert_eq!(
            (b - bl, a - al),
            (1500, 1500),
            "long: both quotes a quarter-spread lower"
        );
        let (bs, as_) = mm(-500).targets(5_999_000, 6_001_000);
        assert!(bs > b && as_ > a, "short: both higher");
    }

    #[test]
    fn post_only_quotes_never_cross_the_touch() {
        // A spread wider than the target: the skewed quote is clamped one tick inside the other side.
        let (b, a) = mm(-5_000).targets(5_999_990, 6_000_010);
        assert!(b < 6_000_010 && a > 5_999_990, "{b} {a}");
        assert!(b < a);
    }
}
