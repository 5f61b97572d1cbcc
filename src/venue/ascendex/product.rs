//! The product dimension of the venue: what differs between the exchange's products (spot, perpetual futures) —
//! the stream path and its prehash, the rules source, the codec of order requests and user-stream pushes, the REST
//! endpoints of orders and balances — and nothing else.
//!
//! The session machinery (connections, tracker, reconciliation, REST queue and hold-offs, rate limits, shutdown) is
//! one generic type over a [`ProductApi`]: `TradingState<P>`, `Session<S, P>`. Every function here is static and
//! monomorphized into the session, so the hot path pays no indirection for the choice. A product is a folder beside
//! this file (`spot/`, `futures/`) that implements the trait; adding one adds files, not branches.

use crate::orders::rules::RulesTable;
use crate::orders::{ClientId, OrderId};
use crate::venue::ascendex::auth::ApiPath;
use crate::venue::ascendex::rest::trading::{
    BalanceRow, BuildError, CancelItem, OrderAck, OrderReport, RestBuffers, RestError, RestRequest,
};
use crate::venue::ascendex::rules::RulesError;
use crate::venue::ascendex::stream::trading::{
    DecodeError, EncodeError, Inbound, PlaceOrder, ScaleTable,
};

/// Which product a session trades; for messages and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProductKind {
    /// The cash (spot) account: `BTC/USDT`.
    Spot,
    /// Perpetual contracts on the futures account: `BTC-PERP`.
    Futures,
}

impl ProductKind {
    /// `spot` or `futures`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductKind::Spot => "spot",
            ProductKind::Futures => "futures",
        }
    }
}

/// A product's codec and endpoints (see the module docs). Implemented by [`crate::venue::ascendex::spot::Spot`].
pub trait ProductApi: Sized + 'static {
    /// Which product this is.
    const KIND: ProductKind;
    /// The stream's path after the host (and the account group, for the authenticated stream).
    const STREAM_PATH: &'static str;
    /// The prehash path that signs the authenticated stream (upgrade headers or `op:auth`).
    const STREAM_PREHASH: ApiPath;
    /// The public REST path of the trading rules read at start-up and refreshed while running.
    const RULES_PATH: &'static str;

    /// The trading rules of every symbol in a [`Self::RULES_PATH`] answer.
    fn parse_rules(body: &[u8]) -> Result<RulesTable, RulesError>;

    /// One message of the authenticated stream.
    fn decode<'a>(frame: &'a [u8], scales: &ScaleTable) -> Result<Inbound<'a>, DecodeError>;
    /// The subscription to the order (and balance or account) pushes.
    fn write_subscribe(out: &mut Vec<u8>, request_id: &ClientId);
    /// A place-order request over the socket.
    fn write_place(out: &mut Vec<u8>, o: &PlaceOrder<'_>) -> Result<(), EncodeError>;
    /// A cancel-order request over the socket.
    fn write_cancel(
        out: &mut Vec<u8>,
        request_id: &ClientId,
        time_ms: u64,
        order_id: &OrderId,
        symbol: &str,
    ) -> Result<(), EncodeError>;
    /// A cancel-all request over the socket (`None`: every symbol).
    fn write_cancel_all(
        out: &mut Vec<u8>,
        request_id: &ClientId,
        time_ms: u64,
        symbol: Option<&str>,
    ) -> Result<(), EncodeError>;
    /// The open-orders request over the socket (reconciliation after every connect).
    fn write_open_orders(
        out: &mut Vec<u8>,
        request_id: &ClientId,
        symbols: Option<&str>,
    ) -> Result<(), EncodeError>;
    /// One order as a member of a REST batch body.
    fn write_order_object(out: &mut Vec<u8>, o: &PlaceOrder<'_>) -> Result<(), EncodeError>;

    /// `GET` the trading rules (periodic refresh).
    fn rest_rules(b: &mut RestBuffers) -> RestRequest<'_>;
    /// `GET` the balances of the product's account.
    fn rest_balance(b: &mut RestBuffers, group: u32) -> RestRequest<'_>;
    /// `GET` every open order of the product's account.
    fn rest_open_orders(b: &mut RestBuffers, group: u32) -> RestRequest<'_>;
    /// `GET` the status of up to ten orders.
    fn rest_order_status<'b>(
        b: &'b mut RestBuffers,
        group: u32,
        ids: &[OrderId],
    ) -> RestRequest<'b>;
    /// Place one order.
    fn rest_place<'b>(
        b: &'b mut RestBuffers,
        group: u32,
        o: &PlaceOrder<'_>,
    ) -> Result<RestRequest<'b>, BuildError>;
    /// Place up to ten orders in one request; `write(i, out)` writes member `i`.
    fn rest_batch_place_each<'b>(
        b: &'b mut RestBuffers,
        group: u32,
        n: usize,
        write: impl FnMut(usize, &mut Vec<u8>) -> Result<(), EncodeError>,
    ) -> Result<RestRequest<'b>, BuildError>;
    /// Cancel one order.
    fn rest_cancel<'b>(
        b: &'b mut RestBuffers,
        group: u32,
        c: &CancelItem<'_>,
    ) -> Result<RestRequest<'b>, BuildError>;
    /// Cancel every order (of one symbol).
    fn rest_cancel_all<'b>(
        b: &'b mut RestBuffers,
        group: u32,
        time_ms: u64,
        symbol: Option<&str>,
    ) -> Result<RestRequest<'b>, BuildError>;

    /// The answer to a place or cancel request.
    fn parse_order_ack(body: &[u8], scales: &ScaleTable) -> Result<OrderAck, RestError>;
    /// The answer to a batch place request, one acknowledgement per member.
    fn parse_batch_ack(body: &[u8], scales: &ScaleTable) -> Result<Vec<OrderAck>, RestError>;
    /// The answer to an open-orders or order-status request.
    fn parse_orders(body: &[u8], scales: &ScaleTable) -> Result<Vec<OrderReport>, RestError>;
    /// The answer to a balance request: rows, and asset names the scale table did not know.
    fn parse_balances(
        body: &[u8],
        scales: &ScaleTable,
    ) -> Result<(Vec<BalanceRow>, Vec<String>), RestError>;
}
