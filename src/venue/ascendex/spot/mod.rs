//! The spot product: the cash account on the v1 stream. Its codec and endpoints are the spot modules'
//! (`stream::trading`, `rest::trading`, `rules`); this file binds them to [`ProductApi`].

use crate::orders::rules::RulesTable;
use crate::orders::{ClientId, OrderId};
use crate::venue::ascendex::auth::ApiPath;
use crate::venue::ascendex::product::{ProductApi, ProductKind};
use crate::venue::ascendex::rest::trading::{
    self as rest, BalanceRow, BuildError, CancelItem, OrderAck, OrderReport, RestBuffers,
    RestError, RestRequest,
};
use crate::venue::ascendex::rules::RulesError;
use crate::venue::ascendex::stream::trading::{
    self as wire, Account, DecodeError, EncodeError, Inbound, PlaceOrder, ScaleTable,
};

/// Spot trading on the cash account (`BTC/USDT`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Spot;

const ACCOUNT: Account = Account::Cash;

impl ProductApi for Spot {
    const KIND: ProductKind = ProductKind::Spot;
    const STREAM_PATH: &'static str = "/api/pro/v1/stream";
    const STREAM_PREHASH: ApiPath = ApiPath::Stream;
    const RULES_PATH: &'static str = "/api/pro/v1/cash/products";

    fn parse_rules(body: &[u8]) -> Result<RulesTable, RulesError> {
        RulesTable::from_products_json(body)
    }

    #[inline]
    fn decode<'a>(frame: &'a [u8], scales: &ScaleTable) -> Result<Inbound<'a>, DecodeError> {
        wire::decode(frame, scales)
    }

    fn write_subscribe(out: &mut Vec<u8>, request_id: &ClientId) {
        wire::write_subscribe_orders(out, ACCOUNT, request_id)
    }

    #[inline]
    fn write_place(out: &mut Vec<u8>, o: &PlaceOrder<'_>) -> Result<(), EncodeError> {
        wire::write_place_order(out, ACCOUNT, o)
    }

    #[inline]
    fn write_cancel(
        out: &mut Vec<u8>,
        request_id: &ClientId,
        time_ms: u64,
        order_id: &OrderId,
        symbol: &str,
    ) -> Result<(), EncodeError> {
        wire::write_cancel_order(out, ACCOUNT, request_id, time_ms, order_id, symbol)
    }

    fn write_cancel_all(
        out: &mut Vec<u8>,
        request_id: &ClientId,
        time_ms: u64,
        symbol: Option<&str>,
    ) -> Result<(), EncodeError> {
        wire::write_cancel_all(out, ACCOUNT, request_id, time_ms, symbol)
    }

    fn write_open_orders(
        out: &mut Vec<u8>,
        request_id: &ClientId,
        symbols: Option<&str>,
    ) -> Result<(), EncodeError> {
        wire::write_open_orders(out, ACCOUNT, request_id, symbols)
    }

    fn write_order_object(out: &mut Vec<u8>, o: &PlaceOrder<'_>) -> Result<(), EncodeError> {
        wire::write_order_object(out, o)
    }

    fn rest_rules(b: &mut RestBuffers) -> RestRequest<'_> {
        rest::products(b, ACCOUNT)
    }

    fn rest_balance(b: &mut RestBuffers, group: u32) -> RestRequest<'_> {
        rest::balance(b, group, ACCOUNT, None, false)
    }

    fn rest_open_orders(b: &mut RestBuffers, group: u32) -> RestRequest<'_> {
        rest::open_orders(b, group, ACCOUNT, None)
    }

    fn rest_order_status<'b>(
        b: &'b mut RestBuffers,
        group: u32,
        ids: &[OrderId],
    ) -> RestRequest<'b> {
        rest::order_status(b, group, ACCOUNT, ids)
    }

    fn rest_place<'b>(
        b: &'b mut RestBuffers,
        group: u32,
        o: &PlaceOrder<'_>,
    ) -> Result<RestRequest<'b>, BuildError> {
        rest::place_order(b, group, ACCOUNT, o)
    }

    fn rest_batch_place_each<'b>(
        b: &'b mut RestBuffers,
        group: u32,
        n: usize,
        write: impl FnMut(usize, &mut Vec<u8>) -> Result<(), EncodeError>,
    ) -> Result<RestRequest<'b>, BuildError> {
        rest::batch_place_each(b, group, ACCOUNT, n, write)
    }

    fn rest_cancel<'b>(
        b: &'b mut RestBuffers,
        group: u32,
        c: &CancelItem<'_>,
    ) -> Result<RestRequest<'b>, BuildError> {
        rest::cancel_order(b, group, ACCOUNT, c)
    }

    fn rest_cancel_all<'b>(
        b: &'b mut RestBuffers,
        group: u32,
        time_ms: u64,
        symbol: Option<&str>,
    ) -> Result<RestRequest<'b>, BuildError> {
        rest::cancel_all(b, group, ACCOUNT, time_ms, symbol)
    }

    fn parse_order_ack(body: &[u8], scales: &ScaleTable) -> Result<OrderAck, RestError> {
        rest::parse_order_ack(body, scales)
    }

    fn parse_batch_ack(body: &[u8], scales: &ScaleTable) -> Result<Vec<OrderAck>, RestError> {
        rest::parse_batch_ack(body, scales)
    }

    fn parse_orders(body: &[u8], scales: &ScaleTable) -> Result<Vec<OrderReport>, RestError> {
        rest::parse_orders(body, scales)
    }

    fn parse_balances(
        body: &[u8],
        scales: &ScaleTable,
    ) -> Result<(Vec<BalanceRow>, Vec<String>), RestError> {
        rest::parse_balances(body, scales)
    }
}
