//! Paper trading, deterministic: books and trades are fed by hand and the fills, queue positions and balances are
//! checked exactly. The last test runs the same model through a session's trading half (strategy callbacks).

use std::time::Duration;

use ascendex_hft::book::{Book, BookConfig, Level};
use ascendex_hft::engine::{Cx, Engine, Handler, RunMode};
use ascendex_hft::net::tls::client_config;
use ascendex_hft::num::{Price, Qty};
use ascendex_hft::orders::types::{
    AssetId, Fill, OrderId, OrderKind, OrderStatus, ReportedStatus, Side, SymbolId, TimeInForce,
};
use ascendex_hft::paper::{
    PaperConfig, PaperEvent, PaperExchange, PaperOrder, PaperReject, PaperSymbol,
};
use ascendex_hft::strategy::{BookUpdate, Ctx, OrderEvent, PlaceRequest, Strategy};
use ascendex_hft::venue::ascendex::session::bootstrap;
use ascendex_hft::venue::ascendex::session::{
    MarketConfig, MdEvent, SESSION_TIMERS, SessionConfig, TradingConfig, TradingState,
};
use ascendex_hft::venue::ascendex::stream::market::Trade;

const S: SymbolId = SymbolId(0);
const BASE: AssetId = AssetId(0);
const QUOTE: AssetId = AssetId(1);
/// Prices at scale 2, quantities at scale 0, balances at scale 2: 1 unit at 100.00 costs 100.00.
const SYMBOL: PaperSymbol = PaperSymbol {
    price_scale: 2,
    qty_scale: 0,
    base: BASE,
    quote: QUOTE,
};

fn lv(p: i64, q: i64) -> Level {
    Level {
        price: Price(p),
        qty: Qty(q),
    }
}

fn book(bids: &[(i64, i64)], asks: &[(i64, i64)]) -> Book {
    let mut b = Book::new(BookConfig {
        tick: 1,
        window: 4096,
        depth: 20,
    })
    .unwrap();
    let bids: Vec<Level> = bids.iter().map(|&(p, q)| lv(p, q)).collect();
    let asks: Vec<Level> = asks.iter().map(|&(p, q)| lv(p, q)).collect();
    b.reset_from(&bids, &asks).unwrap();
    b
}

fn trade(price: i64, qty: i64, buyer_is_maker: bool) -> Trade {
    Trade {
        price: Price(price),
        qty: Qty(qty),
        ts: 1,
        seqnum: 1,
        buyer_is_maker,
    }
}

/// No fees, unless asked: the arithmetic stays readable.
fn exchange(quote: i64, base: i64, fee: i64) -> PaperExchange {
    PaperExchange::new(
        vec![Some(SYMBOL)],
        2,
        &[base * 100, quote * 100],
        16,
        &PaperConfig {
            balances: vec![],
            maker_fee_centi_bps: fee,
            taker_fee_centi_bps: fee,
        },
    )
}

fn oid(s: &str) -> OrderId {
    OrderId::new(s.as_bytes()).unwrap()
}

fn order(id: &str, side: Side, price: i64, qty: i64) -> PaperOrder {
    PaperOrder {
        order_id: oid(id),
        symbol: S,
        side,
        kind: OrderKind::Limit,
        tif: TimeInForce::Gtc,
        post_only: false,
        price,
        qty,
    }
}

fn last(out: &[PaperEvent]) -> (ReportedStatus, i64) {
    let e = out.last().unwrap();
    (e.update.status, e.update.cum_qty)
}

#[test]
fn queue_ahead_is_eaten_first_then_partial_then_full() {
    let mut x = exchange(10_000, 0, 0);
    let mut out = Vec::with_capacity(16);
    x.submit(order("b1", Side::Buy, 10_000, 3)).unwrap();
    // Locked: 3 × 100.00.
    assert_eq!(x.balance(QUOTE), Some((1_000_000, 970_000)));
    x.on_book(S, &book(&[(10_000, 5)], &[(10_100, 5)]), 1, &mut out);
    assert_eq!(last(&out), (ReportedStatus::New, 0));
    assert_eq!(x.queue_ahead(&oid("b1")), Some(5));
    out.clear();
    // A taker sell of 4 at our price: all of it goes to the 5 ahead of us.
    x.on_trade(S, &trade(10_000, 4, true), &mut out);
    assert!(out.is_empty());
    assert_eq!(x.queue_ahead(&oid("b1")), Some(1));
    // A taker buy at our price does not touch a bid.
    x.on_trade(S, &trade(10_000, 10, false), &mut out);
    assert!(out.is_empty());
    // Sell of 3: 1 ahead, 2 to us.
    x.on_trade(S, &trade(10_000, 3, true), &mut out);
    assert_eq!(last(&out), (ReportedStatus::PartiallyFilled, 2));
    assert_eq!(out[0].update.avg_px, 10_000);
    assert_eq!(x.balance(BASE), Some((200, 200)));
    assert_eq!(x.balance(QUOTE), Some((980_000, 970_000)));
    out.clear();
    x.on_trade(S, &trade(10_000, 5, true), &mut out);
    assert_eq!(last(&out), (ReportedStatus::Filled, 3));
    assert_eq!(x.balance(QUOTE), Some((970_000, 970_000)));
    assert_eq!(x.open_count(), 0);
}

#[test]
fn queue_follows_the_level_down_and_trades_through_fill_outright() {
    let mut x = exchange(10_000, 0, 0);
    let mut out = Vec::with_capacity(16);
    x.submit(order("b1", Side::Buy, 10_000, 2)).unwrap();
    x.on_book(S, &book(&[(10_000, 8)], &[(10_100, 5)]), 1, &mut out);
    assert_eq!(x.queue_ahead(&oid("b1")), Some(8));
    // Cancels ahead of us: the shown size drops to 3, so at most 3 are ahead.
    x.on_book(S, &book(&[(10_000, 3)], &[(10_100, 5)]), 2, &mut out);
    assert_eq!(x.queue_ahead(&oid("b1")), Some(3));
    // It grows again (orders behind us): the queue ahead does not.
    x.on_book(S, &book(&[(10_000, 9)], &[(10_100, 5)]), 3, &mut out);
    assert_eq!(x.queue_ahead(&oid("b1")), Some(3));
    out.clear();
    // A trade below our bid went through our price: we fill, at our price, whatever the queue.
    x.on_trade(S, &trade(9_990, 5, true), &mut out);
    assert_eq!(last(&out), (ReportedStatus::Filled, 2));
    assert_eq!(out[0].update.avg_px, 10_000);
}

#[test]
fn opposite_side_reaching_the_price_fills_a_resting_order() {
    let mut x = exchange(0, 10, 0);
    let mut out = Vec::with_capacity(16);
    x.submit(order("s1", Side::Sell, 10_100, 4)).unwrap();
    assert_eq!(x.balance(BASE), Some((1_000, 600)));
    x.on_book(S, &book(&[(10_000, 1)], &[(10_100, 2)]), 1, &mut out);
    assert_eq!(last(&out), (ReportedStatus::New, 0));
    x.on_book(S, &book(&[(10_100, 1)], &[(10_200, 2)]), 2, &mut out);
    assert_eq!(last(&out), (ReportedStatus::Filled, 4));
    assert_eq!(x.balance(BASE), Some((600, 600)));
    assert_eq!(x.balance(QUOTE), Some((40_400, 40_400)));
}

#[test]
fn takers_post_only_ioc_fok_and_market() {
    let asks = [(10_100, 2), (10_200, 5)];
    let bids = [(10_000, 4)];
    let mut out = Vec::with_capacity(16);
    // Post-only that would take: rejected, nothing filled, lock released.
    let mut x = exchange(10_000, 0, 0);
    let mut po = order("p1", Side::Buy, 10_100, 1);
    po.post_only = true;
    x.submit(po).unwrap();
    x.on_book(S, &book(&bids, &asks), 1, &mut out);
    assert_eq!(last(&out), (ReportedStatus::Rejected, 0));
    assert_eq!(out[0].reason, "PostOnlyWouldTake");
    assert_eq!(x.balance(QUOTE), Some((1_000_000, 1_000_000)));
    out.clear();
    // A GTC limit through two levels: fills 2 @ 101.00 then 1 @ 102.00 (its limit), rests nothing.
    x.submit(order("l1", Side::Buy, 10_200, 3)).unwrap();
    x.on_book(S, &book(&bids, &asks), 2, &mut out);
    assert_eq!(last(&out), (ReportedStatus::Filled, 3));
    // Average (2×101 + 1×102)/3 = 101.33.
    assert_eq!(out[0].update.avg_px, 10_133);
    out.clear();
    // IOC for more than the book has up to its price: the remainder is canceled.
    x.submit(PaperOrder {
        tif: TimeInForce::Ioc,
        ..order("i1", Side::Buy, 10_100, 5)
    })
    .unwrap();
    x.on_book(S, &book(&bids, &asks), 3, &mut out);
    assert_eq!(last(&out), (ReportedStatus::Canceled, 2));
    out.clear();
    // FOK that cannot complete: nothing at all.
    x.submit(PaperOrder {
        tif: TimeInForce::Fok,
        ..order("f1", Side::Buy, 10_100, 5)
    })
    .unwrap();
    x.on_book(S, &book(&bids, &asks), 4, &mut out);
    assert_eq!(last(&out), (ReportedStatus::Canceled, 0));
    out.clear();
    // Market sell: walks the bids.
    x.submit(PaperOrder {
        kind: OrderKind::Market,
        price: 0,
        ..order("m1", Side::Sell, 0, 3)
    })
    .unwrap();
    x.on_book(S, &book(&bids, &asks), 5, &mut out);
    assert_eq!(last(&out), (ReportedStatus::Filled, 3));
    assert_eq!(out[0].update.avg_px, 10_000);
}

#[test]
fn fees_and_refusals() {
    // 0.1 % fee (1000 centi-bps) in the quote asset.
    let mut x = exchange(1_000, 0, 1_000);
    let mut out = Vec::with_capacity(16);
    // 10 × 100.00 + fee needs more than 1000.00.
    assert_eq!(
        x.submit(order("b1", Side::Buy, 10_000, 10)),
        Err(PaperReject::InsufficientBalance)
    );
    assert_eq!(
        x.submit(order("s1", Side::Sell, 10_000, 1)),
        Err(PaperReject::InsufficientBalance)
    );
    x.submit(order("b2", Side::Buy, 10_000, 5)).unwrap();
    x.on_book(S, &book(&[(10_000, 0)], &[(10_000, 9)]), 1, &mut out);
    // Taker fill of 5 @ 100.00 = 500.00, fee 0.50.
    assert_eq!(last(&out), (ReportedStatus::Filled, 5));
    assert_eq!(out[0].update.cum_fee, 50);
    assert_eq!(x.balance(QUOTE), Some((49_950, 49_950)));
    assert_eq!(x.balance(BASE), Some((500, 500)));
    // Cancel of a resting order releases its lock; a second cancel finds nothing.
    x.submit(order("b3", Side::Buy, 9_000, 1)).unwrap();
    x.on_book(S, &book(&[(9_900, 1)], &[(10_000, 9)]), 2, &mut out);
    out.clear();
    assert!(x.cancel(&oid("b3"), 3, &mut out));
    assert_eq!(last(&out), (ReportedStatus::Canceled, 0));
    assert!(!x.cancel(&oid("b3"), 3, &mut out));
    assert_eq!(x.balance(QUOTE), Some((49_950, 49_950)));
}

/// Strategy recording what paper trading told it.
#[derive(Default)]
struct Rec {
    statuses: Vec<OrderStatus>,
    fills: Vec<Fill>,
    balances: Vec<(AssetId, i64, i64)>,
}

impl Strategy for Rec {
    fn on_order(&mut self, _c: &mut impl Ctx, e: &OrderEvent<'_>) {
        self.statuses.push(e.status);
    }
    fn on_fill(&mut self, _c: &mut impl Ctx, f: &Fill) {
        self.fills.push(*f);
    }
    fn on_balance(&mut self, _c: &mut impl Ctx, a: AssetId, t: i64, av: i64) {
        self.balances.push((a, t, av));
    }
}

/// Feeds market events to a paper `TradingState` from inside an engine callback (no connection needed).
struct Feed {
    t: TradingState,
    rec: Rec,
    step: usize,
    handle: Option<ascendex_hft::orders::OrderHandle>,
}

impl Handler for Feed {
    fn on_message(&mut self, _cx: &mut Cx<'_>, _c: usize, _m: &[u8], _rx: u64) {}
    fn on_idle(&mut self, cx: &mut Cx<'_>) {
        // BTC/USDT: price scale 2, qty scale 5.
        let b1 = book(&[(6_000_000, 100_000)], &[(6_000_100, 100_000)]);
        let upd = BookUpdate::default();
        match self.step {
            0 => {
                let h = self
                    .t
                    .place(
                        cx,
                        &PlaceRequest::limit(SymbolId(0), Side::Buy, 6_000_000, 200_000),
                    )
                    .unwrap();
                self.handle = Some(h);
                assert_eq!(self.t.order(h).unwrap().status, OrderStatus::PendingNew);
            }
            1 => {
                let ev = MdEvent::Book {
                    symbol: SymbolId(0),
                    book: &b1,
                    update: upd,
                };
                self.t.on_market_event(cx, &ev, &mut self.rec);
            }
            2 => {
                // 1.5 BTC sold at our price: 1 BTC ahead of us, 0.5 to us.
                let t = trade(6_000_000, 150_000, true);
                let ev = MdEvent::Trade {
                    symbol: SymbolId(0),
                    trade: &t,
                };
                self.t.on_market_event(cx, &ev, &mut self.rec);
            }
            3 => {
                let h = self.handle.unwrap();
                self.t.cancel(cx, h).unwrap();
                // The remainder is canceled at once; no order ever left the process.
                self.t.begin_shutdown(cx, &mut self.rec);
                assert!(self.t.shutdown_done());
            }
            _ => cx.stop(),
        }
        self.step += 1;
    }
}

#[test]
fn a_paper_session_reports_fills_balances_and_states_to_the_strategy() {
    let sim = ascendex_sim::start(ascendex_sim::SimConfig {
        rate: 0,
        ..Default::default()
    })
    .unwrap();
    let cfg = SessionConfig {
        rest_url: sim.rest_url(),
        ws_url: sim.ws_url(),
        ca_file: Some(sim.ca_file()),
        account_group: None,
        symbols: vec!["BTC/USDT".into()],
        credentials: None,
        key_derivation: Default::default(),
        market: MarketConfig::default(),
        trading: TradingConfig {
            paper: Some(PaperConfig {
                balances: vec![("USDT".into(), "200000".into())],
                maker_fee_centi_bps: 1_000,
                taker_fee_centi_bps: 1_000,
            }),
            ..TradingConfig::default()
        },
    };
    let boot = bootstrap::fetch(&cfg).unwrap();
    let t = TradingState::new(&cfg, &boot).unwrap();
    assert!(t.is_paper() && t.is_ready());
    let mut engine =
        Engine::new(client_config(Some(&sim.ca_file())).unwrap(), SESSION_TIMERS).unwrap();
    let mut f = Feed {
        t,
        rec: Rec::default(),
        step: 0,
        handle: None,
    };
    engine
        .run(&mut f, RunMode::Block, Some(Duration::from_secs(5)))
        .unwrap();
    assert!(f.step >= 4);
    assert_eq!(
        f.rec.statuses,
        vec![OrderStatus::New, OrderStatus::Canceled]
    );
    assert_eq!(f.rec.fills.len(), 1);
    let fill = f.rec.fills[0];
    assert_eq!((fill.qty, fill.price), (50_000, 6_000_000));
    // 0.5 × 60000 = 30000 USDT, fee 0.1 % = 30 USDT (asset scale 9).
    assert_eq!(fill.fee, 30_000_000_000);
    let usdt = f.t.asset("USDT").unwrap();
    let btc = f.t.asset("BTC").unwrap();
    assert_eq!(f.t.balance(btc), Some((500_000_000, 500_000_000)));
    assert_eq!(
        f.t.balance(usdt),
        Some((169_970_000_000_000, 169_970_000_000_000))
    );
    assert!(f.rec.balances.iter().any(|b| b.0 == usdt));
}
