//! The session is generic over the product (`ProductApi`): a product of the test's own — spot's codec and endpoints
//! behind counters — runs a whole session against the simulator over real TLS (start-up rules, the user stream, an
//! order placed and cancelled). It fails if the session machinery calls the spot modules directly instead of going
//! through its product parameter (the counters would stay at zero), or if the generic path breaks trading.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use ascendex_hft::book::Book;
use ascendex_hft::engine::{Engine, RunMode};
use ascendex_hft::net::tls::client_config;
use ascendex_hft::orders::rules::RulesTable;
use ascendex_hft::orders::types::{Side, SymbolId};
use ascendex_hft::orders::{ClientId, OrderId};
use ascendex_hft::strategy::{BookUpdate, Ctx, OrderEvent, OrderEventKind, PlaceRequest, Strategy};
use ascendex_hft::venue::ascendex::auth::{ApiPath, Credentials};
use ascendex_hft::venue::ascendex::product::{ProductApi, ProductKind};
use ascendex_hft::venue::ascendex::rest::trading::{
    BalanceRow, BuildError, CancelItem, OrderAck, OrderReport, RestBuffers, RestError, RestRequest,
};
use ascendex_hft::venue::ascendex::rules::RulesError;
use ascendex_hft::venue::ascendex::session::{
    MarketConfig, SESSION_TIMERS, SessionConfig, TradingConfig, bootstrap,
};
use ascendex_hft::venue::ascendex::spot::Spot;
use ascendex_hft::venue::ascendex::stream::trading::{
    DecodeError, EncodeError, Inbound, PlaceOrder, ScaleTable,
};
use ascendex_sim::SimConfig;

static RULES: AtomicU64 = AtomicU64::new(0);
static DECODED: AtomicU64 = AtomicU64::new(0);
static SUBSCRIBED: AtomicU64 = AtomicU64::new(0);
static PLACED: AtomicU64 = AtomicU64::new(0);
static CANCELLED: AtomicU64 = AtomicU64::new(0);
static OPEN_ORDERS: AtomicU64 = AtomicU64::new(0);
static BALANCES: AtomicU64 = AtomicU64::new(0);

/// Spot behind counters.
struct Counting;

impl ProductApi for Counting {
    const KIND: ProductKind = ProductKind::Spot;
    const STREAM_PATH: &'static str = Spot::STREAM_PATH;
    const STREAM_PREHASH: ApiPath = Spot::STREAM_PREHASH;
    const RULES_PATH: &'static str = Spot::RULES_PATH;

    fn parse_rules(body: &[u8]) -> Result<RulesTable, RulesError> {
        RULES.fetch_add(1, Relaxed);
        Spot::parse_rules(body)
    }
    fn decode<'a>(frame: &'a [u8], scales: &ScaleTable) -> Result<Inbound<'a>, DecodeError> {
        DECODED.fetch_add(1, Relaxed);
        Spot::decode(frame, scales)
    }
    fn write_subscribe(out: &mut Vec<u8>, request_id: &ClientId) {
        SUBSCRIBED.fetch_add(1, Relaxed);
        Spot::write_subscribe(out, request_id)
    }
    fn write_place(out: &mut Vec<u8>, o: &PlaceOrder<'_>) -> Result<(), EncodeError> {
        PLACED.fetch_add(1, Relaxed);
        Spot::write_place(out, o)
    }
    fn write_cancel(
        out: &mut Vec<u8>,
        request_id: &ClientId,
        time_ms: u64,
        order_id: &OrderId,
        symbol: &str,
    ) -> Result<(), EncodeError> {
        CANCELLED.fetch_add(1, Relaxed);
        Spot::write_cancel(out, request_id, time_ms, order_id, symbol)
    }
    fn write_cancel_all(
        out: &mut Vec<u8>,
        request_id: &ClientId,
        time_ms: u64,
        symbol: Option<&str>,
    ) -> Result<(), EncodeError> {
        Spot::write_cancel_all(out, request_id, time_ms, symbol)
    }
    fn write_open_orders(
        out: &mut Vec<u8>,
        request_id: &ClientId,
        symbols: Option<&str>,
    ) -> Result<(), EncodeError> {
        OPEN_ORDERS.fetch_add(1, Relaxed);
        Spot::write_open_orders(out, request_id, symbols)
    }
    fn write_order_object(out: &mut Vec<u8>, o: &PlaceOrder<'_>) -> Result<(), EncodeError> {
        Spot::write_order_object(out, o)
    }
    fn rest_rules(b: &mut RestBuffers) -> RestRequest<'_> {
        Spot::rest_rules(b)
    }
    fn rest_balance(b: &mut RestBuffers, group: u32) -> RestRequest<'_> {
        BALANCES.fetch_add(1, Relaxed);
        Spot::rest_balance(b, group)
    }
    fn rest_open_orders(b: &mut RestBuffers, group: u32) -> RestRequest<'_> {
        Spot::rest_open_orders(b, group)
    }
    fn rest_order_status<'b>(
        b: &'b mut RestBuffers,
        group: u32,
        ids: &[OrderId],
    ) -> RestRequest<'b> {
        Spot::rest_order_status(b, group, ids)
    }
    fn rest_place<'b>(
        b: &'b mut RestBuffers,
        group: u32,
        o: &PlaceOrder<'_>,
    ) -> Result<RestRequest<'b>, BuildError> {
        Spot::rest_place(b, group, o)
    }
    fn rest_batch_place_each<'b>(
        b: &'b mut RestBuffers,
        group: u32,
        n: usize,
        write: impl FnMut(usize, &mut Vec<u8>) -> Result<(), EncodeError>,
    ) -> Result<RestRequest<'b>, BuildError> {
        Spot::rest_batch_place_each(b, group, n, write)
    }
    fn rest_cancel<'b>(
        b: &'b mut RestBuffers,
        group: u32,
        c: &CancelItem<'_>,
    ) -> Result<RestRequest<'b>, BuildError> {
        Spot::rest_cancel(b, group, c)
    }
    fn rest_cancel_all<'b>(
        b: &'b mut RestBuffers,
        group: u32,
        time_ms: u64,
        symbol: Option<&str>,
    ) -> Result<RestRequest<'b>, BuildError> {
        Spot::rest_cancel_all(b, group, time_ms, symbol)
    }
    fn parse_order_ack(body: &[u8], scales: &ScaleTable) -> Result<OrderAck, RestError> {
        Spot::parse_order_ack(body, scales)
    }
    fn parse_batch_ack(body: &[u8], scales: &ScaleTable) -> Result<Vec<OrderAck>, RestError> {
        Spot::parse_batch_ack(body, scales)
    }
    fn parse_orders(body: &[u8], scales: &ScaleTable) -> Result<Vec<OrderReport>, RestError> {
        Spot::parse_orders(body, scales)
    }
    fn parse_balances(
        body: &[u8],
        scales: &ScaleTable,
    ) -> Result<(Vec<BalanceRow>, Vec<String>), RestError> {
        Spot::parse_balances(body, scales)
    }
}

/// Places one resting buy below the market at the first book, cancels it once the exchange has it, stops when it is
/// cancelled.
#[derive(Default)]
struct OneOrder {
    placed: bool,
    cancel_sent: bool,
    cancelled: bool,
    refused: Option<String>,
}

impl Strategy for OneOrder {
    fn on_book(&mut self, ctx: &mut impl Ctx, symbol: SymbolId, book: &Book, _u: &BookUpdate) {
        if self.placed {
            return;
        }
        let Some(bid) = book.best_bid() else { return };
        self.placed = true;
        // 10% under the best bid, 0.001 BTC (lot scale 5): it rests.
        let req = PlaceRequest::limit(symbol, Side::Buy, bid.price.0 * 9 / 10, 100);
        if let Err(e) = ctx.place(&req) {
            self.refused = Some(e.to_string());
            ctx.stop();
        }
    }
    fn on_order(&mut self, ctx: &mut impl Ctx, e: &OrderEvent<'_>) {
        match e.kind {
            OrderEventKind::Acknowledged | OrderEventKind::New if !self.cancel_sent => {
                self.cancel_sent = true;
                if let Err(err) = ctx.cancel(e.handle) {
                    self.refused = Some(err.to_string());
                    ctx.stop();
                }
            }
            OrderEventKind::Canceled => {
                self.cancelled = true;
                ctx.stop();
            }
            OrderEventKind::Rejected => {
                self.refused = Some(e.reason.to_string());
                ctx.stop();
            }
            _ => {}
        }
    }
}

#[test]
fn a_session_over_a_product_of_its_own_trades_through_it() {
    let sim = ascendex_sim::start(SimConfig {
        rate: 20,
        ..SimConfig::default()
    })
    .expect("simulator");
    let cfg = SessionConfig {
        rest_url: sim.rest_url(),
        ws_url: sim.ws_url(),
        ca_file: Some(sim.ca_file()),
        account_group: None,
        symbols: vec!["BTC/USDT".into()],
        credentials: Some(Credentials::new(sim.api_key(), sim.api_secret()).unwrap()),
        key_derivation: Default::default(),
        market: MarketConfig::default(),
        trading: TradingConfig::default(),
    };
    let mut engine =
        Engine::new(client_config(Some(&sim.ca_file())).unwrap(), SESSION_TIMERS).unwrap();
    let mut session =
        bootstrap::start_product::<OneOrder, Counting>(&mut engine, cfg, OneOrder::default())
            .expect("session start");
    engine
        .run(&mut session, RunMode::Block, Some(Duration::from_secs(20)))
        .expect("run");
    let s = &session.strategy;
    assert_eq!(s.refused, None);
    assert!(
        s.placed && s.cancel_sent && s.cancelled,
        "placed, cancelled, confirmed"
    );
    // Every step went through the product parameter.
    assert!(RULES.load(Relaxed) >= 1, "rules from the product");
    assert!(
        SUBSCRIBED.load(Relaxed) >= 1,
        "subscription written by the product"
    );
    assert!(
        OPEN_ORDERS.load(Relaxed) >= 1,
        "reconciliation request written by the product"
    );
    assert!(
        BALANCES.load(Relaxed) >= 1,
        "balances requested through the product"
    );
    assert_eq!(
        PLACED.load(Relaxed),
        1,
        "the order frame written by the product"
    );
    assert_eq!(
        CANCELLED.load(Relaxed),
        1,
        "the cancel frame written by the product"
    );
    // Replies and pushes (auth, subscription, open orders, the order's reports) decoded by the product.
    assert!(DECODED.load(Relaxed) >= 5, "{}", DECODED.load(Relaxed));
    assert_eq!(session.trading.stats.placed_ws, 1);
}
