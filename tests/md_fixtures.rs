//! Real exchange data (ccxt's recorded AscendEX responses in tests/fixtures): depth, trades, ticker, barhist and
//! products parse exactly, and agree with what ccxt derived from the same bytes.

use ascendex_hft::book::{BookConfig, BookSync, SyncAction, SyncConfig};
use ascendex_hft::num::{Decimal, Price, Qty, Scale, rescale};
use ascendex_hft::venue::ascendex::rest::market::{
    self as rest, BarInterval, Product, parse_barhist, parse_depth, parse_product_object,
    parse_products, parse_ticker, parse_trades,
};
use ascendex_hft::venue::ascendex::stream::market::{
    DecoderConfig, DepthKind, MdDecoder, Msg, SymbolTable, TradeSide,
};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

/// (httpResponse bytes, parsedResponse) of the first recorded call of `method`.
fn recorded(method: &str) -> (Vec<u8>, Value) {
    let r = fixture("response.json");
    let call = &r["methods"][method][0];
    assert!(call.is_object(), "no recorded {method}");
    (
        serde_json::to_vec(&call["httpResponse"]).unwrap(),
        call["parsedResponse"].clone(),
    )
}

fn markets() -> Vec<Product> {
    let m = fixture("markets.json");
    m.as_object()
        .unwrap()
        .values()
        .map(|v| parse_product_object(&serde_json::to_vec(&v["info"]).unwrap()).unwrap())
        .collect()
}

fn product(symbol: &str) -> Product {
    markets()
        .into_iter()
        .find(|p| p.symbol == symbol)
        .unwrap_or_else(|| panic!("{symbol} not in markets.json"))
}

/// ccxt's number (parsed from the same bytes) as an exact decimal, compared to our mantissa at `scale`.
fn same_value(ccxt: &Value, ours: i64, scale: Scale) {
    let text = ccxt.to_string();
    let d = Decimal::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(
        rescale(ours, scale, d.scale.max(scale)).unwrap(),
        rescale(d.mantissa, d.scale, d.scale.max(scale)).unwrap(),
        "{text}"
    );
}

#[test]
fn products_give_scales_and_limits() {
    let ps = markets();
    assert_eq!(ps.len(), 10);
    let btc = product("BTC/USDT");
    assert_eq!(
        (btc.price_scale(), btc.qty_scale()),
        (Scale::new(2).unwrap(), Scale::new(5).unwrap())
    );
    assert_eq!((btc.tick.mantissa, btc.lot.mantissa), (1, 1));
    assert_eq!(btc.status, "Normal");
    assert_eq!(
        btc.min_notional,
        Some(Decimal {
            mantissa: 5,
            scale: Scale::new(0).unwrap()
        })
    );
    assert_eq!(
        btc.max_notional.unwrap().at_scale(Scale::new(2).unwrap()),
        Ok(40_000_000)
    );
    // minQty 0.000000001 is finer than the lot: rounded up to one lot unit.
    assert_eq!(btc.min_qty_at_lot_scale(), Some(Ok(Qty(1))));
    let ada = product("ADA/USDT");
    assert_eq!(
        (ada.price_scale().decimals(), ada.qty_scale().decimals()),
        (5, 0)
    );
    let perp = product("BTC-PERP");
    assert_eq!(
        (perp.price_scale().decimals(), perp.qty_scale().decimals()),
        (1, 4)
    );
    assert_eq!(perp.min_qty.unwrap().at_scale(perp.qty_scale()), Ok(1));
    // The recorded fetchMarkets response (a products list).
    let (body, parsed) = recorded("fetchMarkets");
    let list = parse_products(&body).unwrap();
    assert_eq!(list[0].symbol, "BCH/USDT");
    assert_eq!(list[0].lot.scale.decimals(), 3);
    assert_eq!(parsed[0]["precision"]["amount"], serde_json::json!(0.001));
}

#[test]
fn depth_snapshot_rest_and_stream_decoders_agree_and_seed_a_book() {
    let perp = product("BTC-PERP");
    let (ps, qs) = (perp.price_scale(), perp.book_qty_scale());
    let (body, parsed) = recorded("fetchOrderBook");
    let snap = parse_depth(&body, ps, qs).unwrap();
    assert_eq!(
        (snap.symbol.as_str(), snap.seqnum, snap.ts),
        ("BTC-PERP", 25079619619, 1721371673039)
    );
    assert_eq!(snap.asks[0].price, Price(642763));
    same_value(&parsed["asks"][0][1], snap.asks[0].qty.0, qs);
    same_value(&parsed["bids"][0][0], snap.bids[0].price.0, ps);
    same_value(&parsed["bids"][0][1], snap.bids[0].qty.0, qs);
    assert_eq!(parsed["nonce"].as_u64(), Some(snap.seqnum));
    // At the order lot scale (4 decimals) "1.98975" is not exact: that is why the book uses a finer size scale.
    assert!(parse_depth(&body, ps, perp.qty_scale()).is_err());

    // The inner object is a `depth-snapshot` stream message.
    let inner: Value = serde_json::from_slice::<Value>(&body).unwrap()["data"].clone();
    let frame = serde_json::to_vec(&inner).unwrap();
    let mut symbols = SymbolTable::new();
    symbols.add(b"BTC-PERP", ps, qs);
    let mut dec = MdDecoder::new(symbols, DecoderConfig::default());
    let Msg::Depth(d) = dec.decode(&frame).unwrap() else {
        panic!("not a depth message")
    };
    assert_eq!(d.kind, DepthKind::Snapshot);
    assert_eq!(
        (d.seqnum, d.bids, d.asks),
        (snap.seqnum, &snap.bids[..], &snap.asks[..])
    );

    let mut sync = BookSync::new(SyncConfig {
        book: BookConfig {
            tick: perp.tick.mantissa,
            ..BookConfig::default()
        },
        ..SyncConfig::default()
    })
    .unwrap();
    assert!(matches!(
        sync.on_snapshot(d.seqnum, d.bids, d.asks),
        SyncAction::Applied(_)
    ));
    assert_eq!(sync.book().best_ask().unwrap().qty, Qty(198_975_000));
}

#[test]
fn trades_taker_side_matches_ccxt() {
    let btc = product("BTC/USDT");
    let (body, parsed) = recorded("fetchTrades");
    let trades = parse_trades(&body, btc.price_scale(), btc.qty_scale()).unwrap();
    assert_eq!(trades.len(), parsed.as_array().unwrap().len());
    let t = trades[0];
    assert!(t.buyer_is_maker);
    assert_eq!(t.side(), TradeSide::Sell);
    assert_eq!(parsed[0]["side"], "sell");
    assert_eq!(parsed[0]["timestamp"].as_u64(), Some(t.ts));
    same_value(&parsed[0]["price"], t.price.0, btc.price_scale());
    same_value(&parsed[0]["amount"], t.qty.0, btc.qty_scale());
}

#[test]
fn tickers_in_object_and_list_form() {
    let (body, parsed) = recorded("fetchTicker");
    let t = parse_ticker(&body).unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].symbol, "BTC/USDT");
    let c = t[0].close;
    same_value(&parsed["close"], c.mantissa, c.scale);
    let (bp, bq) = t[0].bid.unwrap();
    same_value(&parsed["bid"], bp.mantissa, bp.scale);
    same_value(&parsed["bidVolume"], bq.mantissa, bq.scale);
    let v = t[0].volume;
    same_value(&parsed["baseVolume"], v.mantissa, v.scale);

    let (body, parsed) = recorded("fetchTickers");
    let list = parse_ticker(&body).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1].symbol, "ETH-PERP");
    let a = list[1].ask.unwrap().0;
    same_value(&parsed["ETH/USDT:USDT"]["ask"], a.mantissa, a.scale);
    // The futures ticker names its volume `baseVol` (ccxt leaves baseVolume null for it).
    let v = list[0].volume;
    assert_eq!(parsed["BTC/USDT:USDT"]["info"]["baseVol"], "161747.2677");
    assert_eq!((v.mantissa, v.scale.decimals()), (1_617_472_677, 4));
}

#[test]
fn barhist_candles() {
    let btc = product("BTC/USDT");
    let (body, parsed) = recorded("fetchOHLCV");
    let bars = parse_barhist(&body, btc.price_scale(), btc.qty_scale()).unwrap();
    assert_eq!(bars.len(), 1);
    let b = &bars[0];
    assert_eq!(
        BarInterval::parse(&b.interval).unwrap(),
        BarInterval::Minutes(60)
    );
    let row = &parsed[0];
    assert_eq!(row[0].as_u64(), Some(b.ts));
    for (i, v) in [b.open.0, b.high.0, b.low.0, b.close.0]
        .into_iter()
        .enumerate()
    {
        same_value(&row[i + 1], v, btc.price_scale());
    }
    same_value(&row[5], b.volume.0, btc.qty_scale());
    let mut buf = Vec::new();
    rest::barhist_path(
        &mut buf,
        "BTC/USDT",
        BarInterval::Minutes(60),
        None,
        None,
        Some(1),
    );
    assert_eq!(
        buf,
        b"/api/pro/v1/barhist?symbol=BTC%2FUSDT&interval=60&n=1"
    );
}
