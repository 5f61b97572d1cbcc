//! Unit tests of the futures codec, one module per file, on the docs' examples (comments stripped; the docs'
//! trailing commas and `...` elisions removed, since they are not JSON) and the real ccxt fixture rows.

use crate::orders::scaled::{Dec, format_scaled};
use crate::venue::ascendex::stream::trading::{ScaleTable, Scales};

use super::contracts::{ContractTable, parse_contracts};

fn fixture(name: &str) -> serde_json::Value {
    let p = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// The five swap markets' `info` rows of the ccxt fixture, as one contracts answer.
fn fixture_contracts_body() -> Vec<u8> {
    let m = fixture("markets.json");
    let rows: Vec<&serde_json::Value> = m
        .as_object()
        .unwrap()
        .values()
        .filter(|v| v["swap"] == true)
        .map(|v| &v["info"])
        .collect();
    serde_json::to_vec(&serde_json::json!({"code": 0, "data": rows})).unwrap()
}

fn table() -> ContractTable {
    parse_contracts(&fixture_contracts_body()).unwrap()
}

/// USDT at 9 decimals (PnL and fees), other assets at 8, fees at 9.
fn scales(t: &ContractTable) -> ScaleTable {
    let mut s = ScaleTable::from_rules(&t.rules, |a| if a == "USDT" { 9 } else { 8 }, 9);
    for a in ["ETH", "BTC"] {
        s.add_asset(a, 8);
    }
    s
}

fn fmt(d: Dec) -> String {
    let mut b = [0u8; 48];
    let n = format_scaled(d.mantissa, d.scale, &mut b).unwrap();
    String::from_utf8(b[..n].to_vec()).unwrap()
}

fn d(s: &str) -> Dec {
    Dec::parse(s.as_bytes()).unwrap()
}

mod contracts {
    use super::super::contracts::*;
    use super::*;
    use crate::orders::SymbolId;

    #[test]
    fn fixture_rows_become_rules_and_tiers_exactly() {
        let m = fixture("markets.json");
        let t = table();
        assert_eq!(t.len(), 5);
        let (id, btc) = t.resolve("BTC-PERP").unwrap();
        let r = &btc.rules;
        assert_eq!((r.price_scale, r.tick, r.qty_scale, r.lot), (1, 1, 4, 1));
        assert_eq!((r.min_qty, r.max_qty), (1, 100_000_000_000 * 10_000));
        assert_eq!((btc.min_price, btc.max_price), (1, 10_000_000));
        assert_eq!((r.base.as_str(), r.quote.as_str()), ("BTC", "USDT"));
        assert!(r.status.is_tradable());
        assert_eq!(btc.tiers.len(), 9);
        assert_eq!(btc.tiers[1].initial_rate, Dec::new(6666, 6));
        assert_eq!(t.resolve("BTC/USDT:USDT").map(|(i, _)| i), Some(id));
        // Every tier figure of every contract goes back out as the fixture's own string.
        for (_, c) in t.iter() {
            let unified = c.unified_symbol();
            let rows = m[&unified]["info"]["marginRequirements"]
                .as_array()
                .unwrap();
            assert_eq!(rows.len(), c.tiers.len(), "{unified}");
            for (row, tier) in rows.iter().zip(&c.tiers) {
                for (k, v) in [
                    ("positionNotionalLowerBound", tier.notional_lower),
                    ("positionNotionalUpperBound", tier.notional_upper),
                    ("initialMarginRate", tier.initial_rate),
                    ("maintenanceMarginRate", tier.maintenance_rate),
                ] {
                    assert_eq!(row[k].as_str().unwrap(), fmt(v), "{unified} {k}");
                }
            }
            let ccxt = &m[&unified];
            assert_eq!(ccxt["id"].as_str().unwrap(), c.rules.symbol);
        }
        let ada = t.resolve("ADA/USDT:USDT").unwrap().1;
        assert_eq!(
            (ada.rules.price_scale, ada.rules.qty_scale, ada.rules.lot),
            (4, 0, 1)
        );
        assert_eq!(
            t.iter().map(|(i, _)| i).collect::<Vec<_>>(),
            (0..5).map(SymbolId).collect::<Vec<_>>()
        );
    }

    #[test]
    fn docs_row_with_the_docs_spelling_of_the_bounds() {
        let c = Contract::from_row_json(br#"{"symbol":"BTC-PERP","status":"Normal","displayName":"BTCUSDT",
            "settlementAsset":"USDT","underlying":"BTC/USDT","tradingStartTime":1579701600000,
            "priceFilter":{"minPrice":"0.25","maxPrice":"1000000","tickSize":"0.25"},
            "lotSizeFilter":{"minQty":"0.0001","maxQty":"1000000000","lotSize":"0.0001"},
            "marginRequirements":[
              {"positionNotionalLowerbound":"0","positionNotionalUpperbound":"50000","initialMarginRate":"0.01","maintenanceMarginRate":"0.006"},
              {"positionNotionalLowerbound":"50000","positionNotionalUpperbound":"200000","initialMarginRate":"0.02","maintenanceMarginRate":"0.012"}]}"#)
        .unwrap();
        assert_eq!((c.rules.price_scale, c.rules.tick), (2, 25));
        assert_eq!(c.min_price, 25);
        assert_eq!(c.trading_start_ms, 1579701600000);
        assert_eq!(
            c.tier_for(d("49999.99")).unwrap().maintenance_rate,
            d("0.006")
        );
        assert_eq!(c.tier_for(d("50000")).unwrap().maintenance_rate, d("0.012"));
        assert_eq!(
            c.tier_for(d("9e9".replace("9e9", "9000000000").as_str()))
                .unwrap()
                .maintenance_rate,
            d("0.012")
        );
    }

    #[test]
    fn leverage_tiers_answer_fixture() {
        let r = fixture("response.json");
        let body =
            serde_json::to_vec(&r["methods"]["fetchLeverageTiers"][0]["httpResponse"]).unwrap();
        let t = parse_contracts(&body).unwrap();
        let c = t.resolve("BTC-PERP").unwrap().1;
        assert_eq!(c.tiers[0].maintenance_rate, d("0.0048"));
        assert_eq!(c.tiers[0].notional_upper, d("300000"));
    }

    #[test]
    fn aliases() {
        assert_eq!(contract_id_of("BTC/USDT:USDT").as_deref(), Some("BTC-PERP"));
        assert_eq!(contract_id_of("BTC-PERP").as_deref(), Some("BTC-PERP"));
        for spot in ["BTC/USDT", "BTC", "-PERP", "BTC/:USDT", "B\"/USDT:USDT"] {
            assert_eq!(contract_id_of(spot), None, "{spot}");
        }
        assert!(table().resolve("ETH/USDT:USDT").is_none());
    }

    #[test]
    fn bad_rows_are_typed_errors() {
        let row = |tiers: &str, tick: &str| {
            format!(
                r#"{{"symbol":"X-PERP","underlying":"X/USDT","settlementAsset":"USDT",
                "priceFilter":{{"tickSize":"{tick}"}},"lotSizeFilter":{{"lotSize":"1"}},"marginRequirements":[{tiers}]}}"#
            )
        };
        let t = |lo: &str, hi: &str, i: &str, m: &str| {
            format!(
                r#"{{"positionNotionalLowerBound":"{lo}","positionNotionalUpperBound":"{hi}","initialMarginRate":"{i}","maintenanceMarginRate":"{m}"}}"#
            )
        };
        let ok = [t("0", "10", "0.1", "0.05"), t("10", "20", "0.2", "0.1")].join(",");
        assert!(Contract::from_row_json(row(&ok, "0.1").as_bytes()).is_ok());
        for (tiers, why) in [
            (
                [t("0", "10", "0.1", "0.05"), t("11", "20", "0.2", "0.1")].join(","),
                "gap",
            ),
            (t("1", "10", "0.1", "0.05"), "not from 0"),
            (t("0", "10", "0.1", "0.2"), "maintenance above initial"),
            (t("0", "10", "1.5", "0.2"), "rate above 1"),
            (t("0", "0", "0.1", "0.05"), "empty band"),
        ] {
            assert!(
                matches!(
                    Contract::from_row_json(row(&tiers, "0.1").as_bytes()),
                    Err(ContractError::BadTiers { .. })
                ),
                "{why}"
            );
        }
        assert!(matches!(
            Contract::from_row_json(row(&ok, "0").as_bytes()),
            Err(ContractError::NonPositiveStep {
                field: "tickSize",
                ..
            })
        ));
        assert!(matches!(
            Contract::from_row_json(row(&ok, "abc").as_bytes()),
            Err(ContractError::BadField {
                field: "tickSize",
                ..
            })
        ));
        assert!(matches!(
            parse_contracts(br#"{"code":100001,"message":"nope"}"#),
            Err(ContractError::Rest(
                crate::venue::ascendex::rest::trading::RestError::Exchange { .. }
            ))
        ));
        assert!(parse_contracts(b"{").is_err());
    }

    #[test]
    fn collateral_docs_example() {
        let c = parse_collateral(br#"{"code":0,"data":[
            {"asset":"BTC","assetName":"Bitcoin","conversionFactor":"0.995","discountFactor":"0.98","displayName":"BTC","statusCode":"Normal"},
            {"asset":"USDTR","assetName":"Futures Reward Token","conversionFactor":"1","discountFactor":"1","displayName":"USDTR","statusCode":"NoTransaction"}]}"#)
        .unwrap();
        assert_eq!(c[0].discount_factor, d("0.98"));
        assert_eq!(c[0].conversion_factor, d("0.995"));
        assert_eq!(c[1].status, "NoTransaction");
        assert!(
            parse_collateral(
                br#"{"code":0,"data":[{"asset":"X","conversionFactor":"x","discountFactor":"1"}]}"#
            )
            .is_err()
        );
    }
}

pub(super) const PRICING_PUSH: &[u8] = br#"{"m":"futures-pricing-data","con":[{"s":"BTC-PERP","t":1614814705716,"ip":"50702.8","mp":"50652.3553","r":"0.000565699","oi":"90.7367","f":1614816000000}],"col":[{"a":"USDTR","p":"1"},{"a":"USDC","p":"0.99935"},{"a":"ETH","p":"1582.505"},{"a":"PAX","p":"0.9964"},{"a":"BTC","p":"50621.795"},{"a":"USDT","p":"1"}]}"#;

mod pricing {
    use super::super::pricing::*;
    use super::*;
    use crate::venue::ascendex::stream::trading::DecodeError;

    #[test]
    fn docs_push_exact() {
        let t = table();
        let s = scales(&t);
        let msg = decode_pricing_push(PRICING_PUSH).unwrap();
        let rows: Vec<_> = msg.contracts(&s).collect::<Result<_, _>>().unwrap();
        assert_eq!(rows.len(), 1);
        let p = rows[0].pricing;
        assert_eq!(rows[0].name, "BTC-PERP");
        assert_eq!(p.symbol, s.symbol(b"BTC-PERP").unwrap().id);
        assert_eq!(fmt(p.mark_price), "50652.3553");
        assert_eq!(fmt(p.index_price), "50702.8");
        assert_eq!(p.funding_rate, Dec::new(565699, 9));
        assert_eq!(fmt(p.open_interest), "90.7367");
        assert_eq!((p.next_funding_ms, p.ts), (1614816000000, 1614814705716));
        let cols: Vec<_> = msg.collaterals(&s).collect();
        assert_eq!(cols.len(), 6);
        assert_eq!(
            cols[0],
            Err(DecodeError::UnknownAsset),
            "USDTR is not in the table"
        );
        let btc = cols[4].unwrap();
        assert_eq!(
            (btc.name, fmt(btc.price.price)),
            ("BTC", "50621.795".to_string())
        );
        assert_eq!(btc.price.asset, s.asset(b"BTC").unwrap().id);
    }

    #[test]
    fn rest_answer_fixture_and_docs() {
        let t = table();
        let s = scales(&t);
        let r = fixture("response.json");
        let body =
            serde_json::to_vec(&r["methods"]["fetchFundingRate"][0]["httpResponse"]).unwrap();
        let msg = decode_pricing_answer(&body).unwrap();
        let p = msg.contracts(&s).next().unwrap().unwrap().pricing;
        assert_eq!(fmt(p.mark_price), "64259.886598339");
        assert_eq!(fmt(p.funding_rate), "0.00034");
        assert_eq!(p.next_funding_ms, 1721376000000);
        assert_eq!(msg.collaterals(&s).count(), 0);
        // The docs' example (its trailing comma removed).
        let docs = br#"{"code":0,"data":{"contracts":[{"symbol":"BTC-PERP","time":1614815005717,"fundingRate":"0.000564448","indexPrice":"50657.35","markPrice":"50667.130409723","openInterest":"90.7366","nextFundingTime":1614816000000}],"collaterals":[{"asset":"USDT","referencePrice":"1"},{"asset":"ETH","referencePrice":"1582.3264074"}]}}"#;
        let msg = decode_pricing_answer(docs).unwrap();
        let p = msg.contracts(&s).next().unwrap().unwrap().pricing;
        assert_eq!(fmt(p.mark_price), "50667.130409723");
        let eth = msg.collaterals(&s).nth(1).unwrap().unwrap();
        assert_eq!(fmt(eth.price.price), "1582.3264074");
        assert!(matches!(
            decode_pricing_answer(br#"{"code":100002,"message":"x"}"#),
            Err(crate::venue::ascendex::rest::trading::RestError::Exchange { .. })
        ));
    }

    #[test]
    fn wrong_messages_and_values() {
        let t = table();
        let s = scales(&t);
        assert_eq!(
            decode_pricing_push(br#"{"m":"futures-order"}"#),
            Err(DecodeError::Bad("m"))
        );
        assert!(decode_pricing_push(br#"{"m":"futures-pricing-data-batch","con":[]}"#).is_ok());
        assert_eq!(decode_pricing_push(b"[1]"), Err(DecodeError::NotObject));
        assert_eq!(
            decode_pricing_push(br#"{"con":[]}"#),
            Err(DecodeError::Missing("m"))
        );
        let one = |row: &str| {
            let f = format!(r#"{{"m":"futures-pricing-data","con":[{row}]}}"#);
            let m = decode_pricing_push(f.as_bytes()).unwrap();
            m.contracts(&s).next().unwrap().map(|r| r.pricing)
        };
        let base = r#""s":"BTC-PERP","t":1,"ip":"1","r":"-0.0001","oi":"0","f":2"#;
        assert!(one(&format!(r#"{{{base},"mp":"1.5"}}"#)).is_ok());
        assert_eq!(
            one(&format!(r#"{{{base},"mp":"-1"}}"#)),
            Err(DecodeError::Bad("mp"))
        );
        assert_eq!(
            one(&format!(r#"{{{base}}}"#)),
            Err(DecodeError::Missing("mp"))
        );
        assert!(matches!(
            one(&format!(r#"{{{base},"mp":"99999999999999999999"}}"#)),
            Err(DecodeError::Decimal("mp", _))
        ));
        assert_eq!(
            one(r#"{"s":"ETH-PERP","mp":"1"}"#),
            Err(DecodeError::UnknownSymbol)
        );
        assert_eq!(one(r#"{"s":1}"#), Err(DecodeError::Bad("s")));
        assert_eq!(one("7"), Err(DecodeError::Bad("con")));
        // Negative funding stays exact and signed.
        assert_eq!(
            one(&format!(r#"{{{base},"mp":"2"}}"#))
                .unwrap()
                .funding_rate,
            Dec::new(-1, 4)
        );
    }
}

pub(super) const ORDER_PUSH: &[u8] = br#"{"m":"futures-order","sn":127,"e":"ExecutionReport","a":"sample-futures-account-id","ac":"FUTURES","t":1606335352348,"ct":1606335351541,"orderId":"a176010c4957U68469127074abcd1234","sd":"Buy","ot":"Limit","q":"0.1","p":"18000","sp":"0","spb":"","s":"BTC-PERP","st":"New","lp":"0","lq":"0","ap":"0","cfq":"0","f":"0","cf":"0","fa":"USDT","ei":"NULL_VAL","err":""}"#;

mod order_push {
    use super::super::order_push::*;
    use super::*;
    use crate::orders::{OrderKind, ReportedStatus, Side, Source};
    use crate::venue::ascendex::stream::trading::{DecodeError, WireStatus};

    #[allow(clippy::too_many_arguments)]
    fn push(
        sn: u64,
        st: &str,
        lp: &str,
        lq: &str,
        ap: &str,
        cfq: &str,
        f: &str,
        cf: &str,
        ei: &str,
    ) -> Vec<u8> {
        format!(
            r#"{{"m":"futures-order","sn":{sn},"e":"ExecutionReport","a":"acc","ac":"FUTURES","t":{t},"ct":1606335351541,"orderId":"a176010c4957U68469127074abcd1234","sd":"Buy","ot":"Limit","q":"0.1","p":"18000","sp":"0","spb":"","s":"BTC-PERP","st":"{st}","lp":"{lp}","lq":"{lq}","ap":"{ap}","cfq":"{cfq}","f":"{f}","cf":"{cf}","fa":"USDT","ei":"{ei}","err":""}}"#,
            t = 1606335352348u64 + sn
        )
        .into_bytes()
    }

    #[test]
    fn docs_example() {
        let t = table();
        let s = scales(&t);
        let p = decode_order_push(ORDER_PUSH, &s).unwrap();
        assert_eq!(
            (p.seq, p.order_id.as_str()),
            (127, "a176010c4957U68469127074abcd1234")
        );
        assert_eq!(
            (p.side, p.kind, p.status),
            (Side::Buy, Some(OrderKind::Limit), WireStatus::New)
        );
        assert_eq!((p.price, p.qty, p.stop_price), (180000, 1000, None));
        assert_eq!((p.ts_ms, p.created_ms), (1606335352348, 1606335351541));
        assert_eq!(
            (p.fee_asset, p.exec_inst, p.account),
            ("USDT", "NULL_VAL", "sample-futures-account-id")
        );
        assert_eq!(p.exec, ExecFlags::default());
        let u = p.update(Source::WsPush);
        assert_eq!(
            (u.seq, u.status, u.cum_qty),
            (Some(127), ReportedStatus::New, 0)
        );
        assert_eq!(p.check_fill(&Seen::default()), FillCheck::NoFill);
    }

    #[test]
    fn fills_are_counted_once() {
        let t = table();
        let s = scales(&t);
        let a = push(1, "New", "0", "0", "0", "0", "0", "0", "NULL_VAL");
        let b = push(
            2,
            "PartiallyFilled",
            "18000",
            "0.04",
            "18000",
            "0.04",
            "0.72",
            "0.72",
            "NULL_VAL",
        );
        let c = push(
            3, "Filled", "17990", "0.06", "17994", "0.1", "1.0794", "1.7994", "NULL_VAL",
        );
        let (a, b, c) = (
            decode_order_push(&a, &s).unwrap(),
            decode_order_push(&b, &s).unwrap(),
            decode_order_push(&c, &s).unwrap(),
        );
        let seen = |p: &FuturesOrderPush<'_>| Seen {
            seq: p.seq,
            cum_qty: p.cum_qty,
            avg_px: p.avg_px,
            cum_fee: p.cum_fee,
        };
        assert_eq!(a.check_fill(&Seen::default()), FillCheck::NoFill);
        let fb = b.check_fill(&seen(&a));
        assert_eq!(
            fb,
            FillCheck::Exact(Execution {
                price: 180000,
                qty: 400,
                fee: 720_000_000,
                ts_ms: b.ts_ms
            })
        );
        let fc = c.check_fill(&seen(&b));
        assert_eq!(
            fc,
            FillCheck::Exact(Execution {
                price: 179900,
                qty: 600,
                fee: 1_079_400_000,
                ts_ms: c.ts_ms
            })
        );
        // Duplicate and reordered pushes count nothing.
        assert_eq!(c.check_fill(&seen(&c)), FillCheck::Stale);
        assert_eq!(b.check_fill(&seen(&c)), FillCheck::Stale);
        // b was missed: the missed slice is priced from the cumulative notional, then c's own execution.
        let gap = c.check_fill(&seen(&a));
        assert_eq!(
            gap,
            FillCheck::Gap {
                missed: Execution {
                    price: 180000,
                    qty: 400,
                    fee: 720_000_000,
                    ts_ms: c.ts_ms
                },
                last: Some(Execution {
                    price: 179900,
                    qty: 600,
                    fee: 1_079_400_000,
                    ts_ms: c.ts_ms
                }),
            }
        );
        let total: i64 = gap.fills().iter().flatten().map(|e| e.qty).sum();
        assert_eq!(total, c.cum_qty - a.cum_qty);
        // A newer sn with a smaller cumulative is stale too.
        let mut later = seen(&c);
        later.seq = 1;
        assert_eq!(b.check_fill(&later), FillCheck::Regressed);
        // An execution larger than the growth: the cumulative wins.
        let odd = push(
            4, "Filled", "17990", "0.08", "17994", "0.1", "1", "1.7994", "NULL_VAL",
        );
        let odd = decode_order_push(&odd, &s).unwrap();
        match odd.check_fill(&seen(&b)) {
            FillCheck::Derived(e) => assert_eq!((e.qty, e.price), (600, 179900)),
            other => panic!("{other:?}"),
        }
        // A gap without an execution in the push (lq 0): one derived fill.
        let bare = push(
            5, "Filled", "0", "0", "17994", "0.1", "0", "1.7994", "NULL_VAL",
        );
        let bare = decode_order_push(&bare, &s).unwrap();
        assert_eq!(
            bare.check_fill(&seen(&b)).fills()[0].map(|e| (e.qty, e.price)),
            Some((600, 179900))
        );
    }

    #[test]
    fn exec_inst_flags() {
        let t = table();
        let s = scales(&t);
        for (ei, reduce, post, liq) in [
            ("ReduceOnly", true, false, false),
            ("PostReduceOnly", true, true, false),
            ("Post", false, true, false),
            ("Liquidation", false, false, true),
            ("ReduceOnlyMark", true, false, false),
            ("Whatever", false, false, false),
        ] {
            let p = push(9, "New", "0", "0", "0", "0", "0", "0", ei);
            let p = decode_order_push(&p, &s).unwrap();
            assert_eq!(
                p.exec,
                ExecFlags {
                    reduce_only: reduce,
                    post_only: post,
                    liquidation: liq
                },
                "{ei}"
            );
            assert_eq!(p.exec_inst, ei);
        }
    }

    #[test]
    fn inconsistent_pushes_are_refused() {
        let t = table();
        let s = scales(&t);
        let bad = |sn, lp, lq, ap, cfq| {
            decode_order_push(
                &push(sn, "PartiallyFilled", lp, lq, ap, cfq, "0", "0", ""),
                &s,
            )
            .map(|_| ())
        };
        assert_eq!(
            bad(1, "1", "0.05", "0", "0.05"),
            Err(DecodeError::Bad("ap"))
        );
        assert_eq!(
            bad(1, "0", "0.05", "1", "0.05"),
            Err(DecodeError::Bad("lp"))
        );
        assert_eq!(
            bad(1, "1", "0.06", "1", "0.05"),
            Err(DecodeError::Bad("lq"))
        );
        assert_eq!(
            bad(1, "1", "0.05", "1", "0.2"),
            Err(DecodeError::Bad("cfq"))
        );
        assert_eq!(
            bad(1, "1", "-0.05", "1", "0.05"),
            Err(DecodeError::Bad("lq"))
        );
        assert!(matches!(
            bad(1, "1.05", "0.05", "1", "0.05"),
            Err(DecodeError::Decimal("lp", _))
        ));
        let f = String::from_utf8(ORDER_PUSH.to_vec()).unwrap();
        assert_eq!(
            decode_order_push(f.replace("\"Buy\"", "\"Up\"").as_bytes(), &s),
            Err(DecodeError::Bad("sd"))
        );
        assert_eq!(
            decode_order_push(f.replace("BTC-PERP", "ETH-PERP").as_bytes(), &s),
            Err(DecodeError::UnknownSymbol)
        );
        assert_eq!(
            decode_order_push(f.replace("\"New\"", "\"Open\"").as_bytes(), &s),
            Err(DecodeError::Bad("st"))
        );
        assert_eq!(
            decode_order_push(f.replace("futures-order", "order").as_bytes(), &s),
            Err(DecodeError::Bad("m"))
        );
        assert_eq!(
            decode_order_push(f.replace("\"sn\":127", "\"sn\":-1").as_bytes(), &s),
            Err(DecodeError::Bad("sn"))
        );
    }

    #[test]
    fn replies_and_open_orders() {
        let t = table();
        let s = scales(&t);
        let ok = br#"{"m":"order","code":0,"id":"sampleRequestID","action":"place-order","ac":"FUTURES","info":{"orderId":"s177bbb671b7U1234567890leOrderId","symbol":"BTC-PERP"}}"#;
        let Reply::Order(r) = decode_reply(ok).unwrap() else {
            panic!()
        };
        assert_eq!(
            (r.request_id, r.action, r.code, r.symbol),
            ("sampleRequestID", "place-order", 0, "BTC-PERP")
        );
        assert_eq!(
            r.order_id.unwrap().as_str(),
            "s177bbb671b7U1234567890leOrderId"
        );
        let err = br#"{"m":"order","code":300001,"id":"sampleRequestID","action":"place-order","ac":"FUTURES","info":{"symbol":"BTC-PERP","reason":"INVALID_PRICE","errorMsg":"Order price is too low from market price."}}"#;
        let Reply::Order(r) = decode_reply(err).unwrap() else {
            panic!()
        };
        assert_eq!(
            (r.code, r.reason, r.order_id),
            (300001, "INVALID_PRICE", None)
        );
        assert_eq!(r.message, "Order price is too low from market price.");
        let all = br#"{"m":"order","code":0,"action":"cancel-all","ac":"FUTURES","id":"sampleRequestId","info":{"symbol":""}}"#;
        assert!(matches!(
            decode_reply(all).unwrap(),
            Reply::Order(OrderReply {
                action: "cancel-all",
                ..
            })
        ));
        let open = br#"{"m":"futures-open-orders","code":0,"id":"abc123456","ac":"FUTURES","data":[{"ac":"FUTURES","accountId":"sample-futures-account-id","time":1615696544843,"orderId":"r1782f04c58aU3792951278sbtcp7EbA","seqNum":13,"orderType":"Limit","execInst":"NULL_VAL","side":"Sell","symbol":"BTC-PERP","price":"66000","orderQty":"0.0001","stopPrice":"0","stopBy":"market","status":"New","lastExecTime":1615696544851,"lastQty":"0","lastPx":"0","avgFilledPx":"0","cumFilledQty":"0","fee":"0","cumFee":"0","feeAsset":"USDT","errorCode":"","posStopLossPrice":"0","posStopLossTrigger":"None","posTakeProfitPrice":"0","posTakeProfitTrigger":"None"}]}"#;
        let Reply::OpenOrders(o) = decode_reply(open).unwrap() else {
            panic!()
        };
        let rows: Vec<_> = o.orders(&s).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            (rows[0].seq, rows[0].side, rows[0].price, rows[0].qty),
            (13, Side::Sell, 660000, 1)
        );
        assert_eq!(
            (rows[0].ts_ms, rows[0].created_ms, rows[0].stop_by),
            (1615696544851, 1615696544843, "market")
        );
        let e = br#"{"m":"futures-open-orders","code":100005,"id":"abc"}"#;
        assert!(matches!(
            decode_reply(e).unwrap(),
            Reply::OpenOrders(OpenOrdersReply { code: 100005, .. })
        ));
        assert_eq!(
            decode_reply(br#"{"m":"order","id":"x"}"#),
            Err(DecodeError::Missing("code"))
        );
        assert_eq!(
            decode_reply(br#"{"m":"ping","code":0}"#),
            Err(DecodeError::Bad("m"))
        );
    }
}

pub(super) const ACCOUNT_PUSH: &[u8] = br#"{"m":"futures-account-update","e":"ExecutionReport","t":1612508562129,"acc":"sample-futures-account-id","at":"FUTURES","sn":23128,"id":"r177710001cbU3813942147C5kbFGOan","col":[{"a":"USDT","b":"1000000","f":"1"}],"pos":[{"s":"BTC-PERP","sd":"LONG","pos":"0.011","rc":"-385.840455","up":"18.436008668","rp":"0","aop":"35041.363636363","boon":"0","soon":"0","mt":"crossed","iw":"0","lev":"10","tp":"0","tpt":"market","sl":"0","slt":"market"}]}"#;

mod account {
    use super::super::account::*;
    use super::*;
    use crate::strategy::events::MarginType;
    use crate::venue::ascendex::stream::trading::DecodeError;

    #[test]
    fn docs_update() {
        let t = table();
        let s = scales(&t);
        let m = decode_account_push(ACCOUNT_PUSH).unwrap();
        assert_eq!(
            (m.snapshot, m.seq, m.ts, m.event),
            (false, 23128, 1612508562129, "ExecutionReport")
        );
        assert_eq!(
            (m.account, m.request_id),
            (
                "sample-futures-account-id",
                "r177710001cbU3813942147C5kbFGOan"
            )
        );
        let col: Vec<_> = m.collaterals(&s).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            (col[0].name, col[0].balance),
            ("USDT", 1_000_000_000_000_000)
        );
        assert_eq!(col[0].discount_factor, Some(d("1")));
        let pos: Vec<_> = m.positions(&s).collect::<Result<_, _>>().unwrap();
        let p = pos[0].position;
        assert_eq!((p.qty, p.avg_open_price, p.leverage), (110, 350414, 10));
        assert_eq!((p.unrealized_pnl, p.realized_pnl), (18_436_008_668, 0));
        assert_eq!(
            (p.margin_type, p.isolated_margin, p.ts),
            (MarginType::Crossed, 0, 1612508562129)
        );
        assert_eq!(fmt(pos[0].avg_open_exact), "35041.363636363");
        assert_eq!(pos[0].reference_cost, -385_840_455_000);
    }

    #[test]
    fn docs_snapshot_and_rest_position() {
        let t = table();
        let s = scales(&t);
        let snap = br#"{"m":"futures-account-snapshot","id":"abc123456","e":"ClientRequest","t":1613748277356,"acc":"futH9N59hR0BMVEjHnBleHLn0mfUl5lo","ac":"FUTURES","sn":9982,"col":[{"a":"ETH","b":"500","f":"0.95"},{"a":"BTC","b":"100","f":"0.98"},{"a":"USDT","b":"1000000","f":"1"}],"pos":[{"s":"BTC-PERP","sd":"NULL_VAL","pos":"0","rc":"0","up":"0","rp":"0","aop":"0","mt":"crossed","boon":"0","soon":"0","lev":"10","iw":"0","tp":"0","tpt":"market","sl":"0","slt":"market"}]}"#;
        let m = decode_account_push(snap).unwrap();
        assert!(m.snapshot);
        assert_eq!(m.collaterals(&s).count(), 3);
        assert_eq!(
            m.collaterals(&s).nth(1).unwrap().unwrap().balance,
            100 * 100_000_000
        );
        assert_eq!(m.positions(&s).next().unwrap().unwrap().position.qty, 0);
        let rest = br#"{"code":0,"data":{"ac":"FUTURES","accountId":"sample-futures-account-id","collaterals":[{"asset":"ETH","balance":"100","discountFactor":"0.95","referencePrice":"481.79793092"},{"asset":"USDT","balance":"10000","discountFactor":"1","referencePrice":"1"}],"contracts":[{"symbol":"BTC-PERP","side":"LONG","position":"0.5","referenceCost":"-16800","unrealizedPnl":"0","realizedPnl":"0","avgOpenPrice":"0","marginType":"cross","isolatedMargin":"0","leverage":"10","takeProfitPrice":"0","takeProfitTrigger":"market","stopLossPrice":"0","stopLossTrigger":"market","buyOpenOrderNotional":"1362.419625","sellOpenOrderNotional":"0","indexPrice":"17600.095","markPrice":"-1"}]}}"#;
        let m = decode_position_answer(rest).unwrap();
        assert_eq!(m.account, "sample-futures-account-id");
        let c = m.collaterals(&s).next().unwrap().unwrap();
        assert_eq!(c.reference_price.map(fmt).as_deref(), Some("481.79793092"));
        let p = m.positions(&s).next().unwrap().unwrap();
        assert_eq!(
            (p.position.qty, p.position.margin_type),
            (5000, MarginType::Crossed)
        );
        assert_eq!(p.buy_open_notional, 1_362_419_625_000);
        assert_eq!(
            (p.mark_price, p.index_price.map(fmt)),
            (None, Some("17600.095".into()))
        );
    }

    #[test]
    fn signed_size_readings() {
        let t = table();
        let s = scales(&t);
        let one = |sd: &str, pos: &str, mt: &str| {
            let f = format!(
                r#"{{"m":"futures-account-update","t":1,"sn":2,"pos":[{{"s":"BTC-PERP","sd":"{sd}","pos":"{pos}","mt":"{mt}","lev":"20","iw":"12.5"}}]}}"#
            );
            let m = decode_account_push(f.as_bytes()).unwrap();
            m.positions(&s).next().unwrap().map(|r| r.position)
        };
        assert_eq!(one("SHORT", "-0.5", "isolated").unwrap().qty, -5000);
        assert_eq!(one("SHORT", "0.5", "isolated").unwrap().qty, -5000);
        assert_eq!(one("LONG", "-0.5", "crossed"), Err(DecodeError::Bad("sd")));
        assert_eq!(one("UP", "0.5", "crossed"), Err(DecodeError::Bad("sd")));
        assert_eq!(one("LONG", "0.5", "margin"), Err(DecodeError::Bad("mt")));
        let p = one("LONG", "0.5", "isolated").unwrap();
        assert_eq!(
            (p.margin_type, p.isolated_margin, p.leverage),
            (MarginType::Isolated, 12_500_000_000, 20)
        );
        assert!(matches!(
            one("LONG", "0.00001", "crossed"),
            Err(DecodeError::Decimal("pos", _))
        ));
    }

    #[test]
    fn free_margin_docs_example() {
        let f = parse_free_margin(br#"{"code":0,"data":{"collaterals":[{"asset":"BTC","availableForTransfer":"1"},{"asset":"USDT","availableForTransfer":"10000"}],"crossed":{"freeMargin":"30000"},"isolated":[{"freeMargin":"0","symbol":"BTC-PERP"}]}}"#).unwrap();
        assert_eq!(f.crossed, d("30000"));
        assert_eq!(f.collaterals[1], ("USDT".to_string(), d("10000")));
        assert_eq!(f.isolated[0], ("BTC-PERP".to_string(), d("0")));
        assert!(parse_free_margin(br#"{"code":0,"data":{"crossed":{"freeMargin":"x"}}}"#).is_err());
    }
}

mod pnl {
    use super::super::contracts::Contract;
    use super::super::pnl::*;
    use super::*;

    fn docs_contract() -> Contract {
        Contract::from_row_json(br#"{"symbol":"BTC-PERP","status":"Normal","settlementAsset":"USDT","underlying":"BTC/USDT",
            "priceFilter":{"minPrice":"0.25","maxPrice":"1000000","tickSize":"0.25"},
            "lotSizeFilter":{"minQty":"0.0001","maxQty":"1000000000","lotSize":"0.0001"},
            "marginRequirements":[
              {"positionNotionalLowerbound":"0","positionNotionalUpperbound":"50000","initialMarginRate":"0.01","maintenanceMarginRate":"0.006"},
              {"positionNotionalLowerbound":"50000","positionNotionalUpperbound":"200000","initialMarginRate":"0.02","maintenanceMarginRate":"0.012"}]}"#)
        .unwrap()
    }

    #[test]
    fn unrealized_exact() {
        // 0.011 × (36717.363636363 − 35041.363636363) = 18.436 exactly.
        assert_eq!(
            unrealized_pnl(110, 4, d("35041.363636363"), d("36717.363636363"), 9),
            Some(18_436_000_000)
        );
        // Short gains when the mark falls; rounding half away at the settlement scale.
        assert_eq!(unrealized_pnl(-3, 4, d("100"), d("99.5"), 4), Some(2));
        assert_eq!(unrealized_pnl(-3, 4, d("100"), d("99.5"), 3), Some(0));
        assert_eq!(
            unrealized_pnl(-5, 4, d("100"), d("99.5"), 3),
            Some(0),
            "0.00025 rounds half away... to 0.000"
        );
        assert_eq!(
            unrealized_pnl(i64::MAX, 0, d("0"), Dec::new(i64::MAX, 0), 18),
            None
        );
    }

    #[test]
    fn liquidation_estimates() {
        let c = docs_contract();
        // Long 0.8 BTC at 50000 with 400 USDT (tier 0 throughout): (40000 − 400) / (0.8 × (1 − 0.006))
        // = 49798.7927… → up to 49798.80.
        assert_eq!(
            liquidation_price(&c, 8_000, d("50000"), 400, 0),
            Some(Liquidation::At(4_979_880))
        );
        // Short 0.1 at 50000 with 50: (50 + 5000) / (0.1 × 1.006) = 50198.8071… → down to 50198.80.
        assert_eq!(
            liquidation_price(&c, -1_000, d("50000"), 50_000_000_000, 9),
            Some(Liquidation::At(5_019_880))
        );
        // Short 0.9 at 50000 with 5500: tier 0's solution (55776.4) lies in tier 1, tier 1's (55445.8) in tier 0;
        // the rate jumps at notional 50000, price 55555.55…, where equity 500.005 < 0.012 × 50000.
        assert_eq!(
            liquidation_price(&c, -9_000, d("50000"), 5_500, 0),
            Some(Liquidation::At(5_555_555))
        );
        // A position already below maintenance at entry (1 BTC, 500 margin, tier 1 wants 600) reports a price on
        // the wrong side of the entry: liquidatable now.
        let Some(Liquidation::At(p)) = liquidation_price(&c, 10_000, d("50000"), 500, 0) else {
            panic!()
        };
        assert!(p > 5_000_000);
        // A long whose margin covers its notional is never liquidated; flat is never.
        assert_eq!(
            liquidation_price(&c, 10_000, d("50000"), 60_000, 0),
            Some(Liquidation::Never)
        );
        assert_eq!(
            liquidation_price(&c, 0, d("50000"), 1, 0),
            Some(Liquidation::Never)
        );
        let mut bare = c.clone();
        bare.tiers.clear();
        assert_eq!(liquidation_price(&bare, 1, d("1"), 1, 0), None);
    }

    #[test]
    fn liquidation_on_fixture_tiers_is_below_entry_for_longs_and_above_for_shorts() {
        let t = table();
        let btc = t.resolve("BTC-PERP").unwrap().1;
        // Margin 35% of the notional: above every tier's initial rate, so the position is sound at entry.
        for qty in [1i64, 10_000, 1_000_000, 20_000_000, 123_456_789] {
            let margin = qty * 210; // cents: qty/10^4 × 60000 × 0.35 × 100
            let long = liquidation_price(btc, qty, d("60000"), margin, 2).unwrap();
            let short = liquidation_price(btc, -qty, d("60000"), margin, 2).unwrap();
            let Liquidation::At(l) = long else {
                panic!("{qty}")
            };
            let Liquidation::At(s) = short else {
                panic!("{qty}")
            };
            assert!(l < 600_000 && s > 600_000, "{qty}: {l} {s}");
        }
    }
}

mod encode {
    use super::super::encode::*;
    use crate::orders::{ClientId, OrderId, OrderKind, Side, SymbolId, TimeInForce};
    use crate::venue::ascendex::ids::Via;
    use crate::venue::ascendex::stream::trading::{EncodeError, OrderSpec, RespInst};

    fn spec(kind: OrderKind, price: i64, qty: i64) -> OrderSpec<'static> {
        OrderSpec {
            symbol: "BTC-PERP",
            symbol_id: SymbolId(0),
            side: Side::Buy,
            kind,
            price,
            price_scale: 2,
            qty,
            qty_scale: 4,
            stop_price: None,
            post_only: false,
            tif: TimeInForce::Gtc,
        }
    }

    fn json_ok(b: &[u8]) -> serde_json::Value {
        serde_json::from_slice(b).unwrap()
    }

    #[test]
    fn place_frames() {
        let cid = ClientId::new(b"sampleRequestId2").unwrap();
        let mut out = Vec::new();
        let mut s = spec(OrderKind::Limit, 3_000_000, 1_200);
        s.post_only = true;
        let o = FuturesPlace {
            client_id: &cid,
            time_ms: 1613753879921,
            spec: s,
            reduce_only: false,
            resp_inst: RespInst::Ack,
        };
        write_place_order(&mut out, &o).unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"op":"req","action":"place-order","ac":"futures","id":"sampleRequestId2","args":{"time":1613753879921,"id":"sampleRequestId2","symbol":"BTC-PERP","orderPrice":"30000.00","orderQty":"0.1200","orderType":"limit","side":"buy","postOnly":true,"timeInForce":"GTC","respInst":"ACK"}}"#
        );
        let mut m = spec(OrderKind::Market, 0, 5);
        m.side = Side::Sell;
        let o = FuturesPlace {
            spec: m,
            reduce_only: true,
            resp_inst: RespInst::Done,
            ..o
        };
        write_place_order(&mut out, &o).unwrap();
        let v = json_ok(&out);
        assert_eq!(v["args"]["execInst"], "ReduceOnly");
        assert_eq!(v["args"]["orderType"], "market");
        assert_eq!(v["args"]["respInst"], "DONE");
        assert!(v["args"].get("orderPrice").is_none() && v["args"].get("timeInForce").is_none());
        let mut st = spec(OrderKind::StopLimit, 2_900_000, 5);
        st.stop_price = Some(2_950_025);
        st.tif = TimeInForce::Ioc;
        write_place_order(
            &mut out,
            &FuturesPlace {
                spec: st,
                reduce_only: false,
                ..o
            },
        )
        .unwrap();
        let v = json_ok(&out);
        assert_eq!(
            (
                v["args"]["stopPrice"].as_str(),
                v["args"]["timeInForce"].as_str()
            ),
            (Some("29500.25"), Some("IOC"))
        );
        let mut sm = spec(OrderKind::StopMarket, 0, 5);
        sm.stop_price = Some(1);
        sm.tif = TimeInForce::Fok;
        write_place_order(&mut out, &FuturesPlace { spec: sm, ..o }).unwrap();
        assert_eq!(json_ok(&out)["args"]["stopPrice"], "0.01");
        // Refusals leave nothing to send.
        for bad in [
            spec(OrderKind::Limit, 0, 5),
            spec(OrderKind::Limit, 5, 0),
            spec(OrderKind::StopMarket, 0, 5),
            OrderSpec {
                post_only: true,
                ..spec(OrderKind::Market, 0, 5)
            },
        ] {
            assert_eq!(
                write_place_order(&mut out, &FuturesPlace { spec: bad, ..o }),
                Err(EncodeError::BadOrder)
            );
            assert!(out.is_empty());
        }
        let bad = OrderSpec {
            symbol: "BTC\"PERP",
            ..spec(OrderKind::Market, 0, 5)
        };
        assert_eq!(
            write_place_order(&mut out, &FuturesPlace { spec: bad, ..o }),
            Err(EncodeError::BadSymbol)
        );
        assert!(out.is_empty());
        // The futures batch example's id rule, via the WebSocket.
        let o = FuturesPlace {
            time_ms: 1613878579169,
            ..o
        };
        assert_eq!(
            o.predicted_order_id(Via::WebSocket, "U0123456789")
                .unwrap()
                .as_str(),
            "s177c2a8cfe1U0123456789equestId2"
        );
        assert_eq!(
            o.predicted_order_id(Via::Rest, "U0123456789")
                .unwrap()
                .as_str(),
            "a177c2a8cfe1U0123456789equestId2"
        );
    }

    #[test]
    fn other_frames() {
        let rid = ClientId::new(b"sampleRequestId").unwrap();
        let oid = OrderId::new(b"s177bab1b474U5051470287bbtcpKiOR").unwrap();
        let mut out = Vec::new();
        write_cancel_order(&mut out, &rid, 1613744943323, &oid, "BTC-PERP").unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"op":"req","action":"cancel-order","ac":"futures","id":"sampleRequestId","args":{"time":1613744943323,"id":"sampleRequestId","orderId":"s177bab1b474U5051470287bbtcpKiOR","symbol":"BTC-PERP"}}"#
        );
        write_cancel_all(&mut out, &rid, None).unwrap();
        assert_eq!(out, br#"{"op":"req","action":"cancel-all","ac":"futures","id":"sampleRequestId","args":{}}"#);
        write_cancel_all(&mut out, &rid, Some("BTC-PERP")).unwrap();
        assert_eq!(json_ok(&out)["args"]["symbol"], "BTC-PERP");
        write_open_orders(&mut out, &rid, Some("BTC-PERP")).unwrap();
        assert_eq!(out, br#"{"op":"req","action":"futures-open-orders","ac":"futures","id":"sampleRequestId","args":{"symbol":"BTC-PERP"}}"#);
        write_open_orders(&mut out, &rid, None).unwrap();
        assert_eq!(json_ok(&out)["args"], serde_json::json!({}));
        write_account_snapshot(&mut out, &rid);
        assert_eq!(out, br#"{"op":"req","action":"futures-account-snapshot","ac":"futures","id":"sampleRequestId"}"#);
        for (ch, name) in [
            (Channel::Orders, "futures-order"),
            (Channel::Account, "futures-account-update"),
            (Channel::Pricing, "futures-pricing-data"),
        ] {
            write_subscribe(&mut out, &rid, ch);
            assert_eq!(json_ok(&out)["ch"], name);
        }
        assert_eq!(
            write_cancel_order(&mut out, &rid, 1, &oid, ""),
            Err(EncodeError::BadSymbol)
        );
        assert!(out.is_empty());
        assert_eq!(
            write_cancel_all(&mut out, &rid, Some("a\\b")),
            Err(EncodeError::BadSymbol)
        );
        assert_eq!(
            write_open_orders(&mut out, &rid, Some("")),
            Err(EncodeError::BadSymbol)
        );
    }
}

mod rest {
    use super::super::encode::FuturesPlace;
    use super::super::rest::*;
    use super::*;
    use crate::orders::{ClientId, OrderId, OrderKind, Side, SymbolId, TimeInForce};
    use crate::strategy::events::MarginType;
    use crate::venue::ascendex::rest::trading::{CancelItem, Method, RestBuffers, RestError};
    use crate::venue::ascendex::stream::trading::{OrderSpec, RespInst, WireStatus};

    fn place(cid: &ClientId, kind: OrderKind, resp: RespInst) -> FuturesPlace<'_> {
        FuturesPlace {
            client_id: cid,
            time_ms: 1613878579169,
            spec: OrderSpec {
                symbol: "BTC-PERP",
                symbol_id: SymbolId(0),
                side: Side::Buy,
                kind,
                price: 340000,
                price_scale: 1,
                qty: 1000,
                qty_scale: 4,
                stop_price: None,
                post_only: false,
                tif: TimeInForce::Gtc,
            },
            reduce_only: false,
            resp_inst: resp,
        }
    }

    #[test]
    fn builders() {
        let mut b = RestBuffers::default();
        let cid = ClientId::new(b"sampleRequestId1").unwrap();
        let oid = OrderId::new(b"a177c2a8cfe1U0123456789eqntvwWsy").unwrap();
        let r = place_order(&mut b, 6, &place(&cid, OrderKind::Limit, RespInst::Ack)).unwrap();
        assert_eq!(
            (r.method, r.path, r.prehash.as_str(), r.signed),
            (
                Method::Post,
                &b"/6/api/pro/v2/futures/order"[..],
                "v2/futures/order",
                true
            )
        );
        let v: serde_json::Value = serde_json::from_slice(r.body).unwrap();
        assert_eq!(
            (v["orderPrice"].as_str(), v["orderQty"].as_str()),
            (Some("34000.0"), Some("0.1000"))
        );
        let two = [
            place(&cid, OrderKind::Limit, RespInst::Ack),
            place(&cid, OrderKind::Market, RespInst::Ack),
        ];
        let r = batch_place(&mut b, 6, &two).unwrap();
        assert_eq!(r.prehash.as_str(), "v2/futures/order/batch");
        let v: serde_json::Value = serde_json::from_slice(r.body).unwrap();
        assert_eq!(v["orders"].as_array().unwrap().len(), 2);
        assert_eq!(
            batch_place(&mut b, 6, &[place(&cid, OrderKind::Market, RespInst::Done)]).err(),
            Some(BuildError::BatchMarketNeedsAck)
        );
        assert_eq!(
            batch_place(&mut b, 6, &[]).err(),
            Some(BuildError::BatchSize(0))
        );
        let many = vec![place(&cid, OrderKind::Limit, RespInst::Ack); 11];
        assert_eq!(
            batch_place(&mut b, 6, &many).err(),
            Some(BuildError::BatchSize(11))
        );
        let c = CancelItem {
            request_id: &cid,
            order_id: &oid,
            symbol: "BTC-PERP",
            time_ms: 1613900544076,
        };
        let r = cancel_order(&mut b, 6, &c).unwrap();
        assert_eq!((r.method, r.body), (Method::Delete, &br#"{"id":"sampleRequestId1","orderId":"a177c2a8cfe1U0123456789eqntvwWsy","symbol":"BTC-PERP","time":1613900544076}"#[..]));
        let r = batch_cancel(&mut b, 6, &[c, c]).unwrap();
        assert_eq!(
            (r.method, r.path),
            (Method::Delete, &b"/6/api/pro/v2/futures/order/batch"[..])
        );
        let r = cancel_all(&mut b, 6, 1701161145825, Some("BTC-PERP")).unwrap();
        assert_eq!(
            (r.body, r.prehash.as_str()),
            (
                &br#"{"time":1701161145825,"symbol":"BTC-PERP"}"#[..],
                "v2/futures/order/all"
            )
        );
        assert_eq!(
            open_orders(&mut b, 6).path,
            b"/6/api/pro/v2/futures/order/open"
        );
        let r = order_status(&mut b, 6, &[oid]);
        assert_eq!(
            r.path,
            &b"/6/api/pro/v2/futures/order/status?orderId=a177c2a8cfe1U0123456789eqntvwWsy,"[..]
        );
        let r = order_hist_current(&mut b, 6, Some("BTC-PERP"), Some(20), true);
        assert_eq!(
            (r.path, r.prehash.as_str()),
            (
                &b"/6/api/pro/v2/futures/order/hist/current?symbol=BTC-PERP&n=20&executedOnly=true"
                    [..],
                "v2/futures/order/hist/current"
            )
        );
        assert_eq!(position(&mut b, 6).prehash.as_str(), "v2/futures/position");
        assert_eq!(
            free_margin(&mut b, 6).path,
            b"/6/api/pro/v2/futures/free-margin"
        );
        let r = leverage(&mut b, 6, "BTC-PERP", 10).unwrap();
        assert_eq!(
            (r.body, r.prehash.as_str()),
            (
                &br#"{"symbol":"BTC-PERP","leverage":10}"#[..],
                "v2/futures/leverage"
            )
        );
        assert_eq!(
            leverage(&mut b, 6, "BTC-PERP", 0).err(),
            Some(BuildError::BadLeverage(0))
        );
        assert_eq!(
            leverage(&mut b, 6, "BTC-PERP", 101).err(),
            Some(BuildError::BadLeverage(101))
        );
        let r = margin_type(&mut b, 6, "BTC-PERP", MarginType::Isolated).unwrap();
        assert_eq!(r.body, br#"{"symbol":"BTC-PERP","marginType":"isolated"}"#);
        let r = isolated_margin(&mut b, 6, "BTC-PERP", -1_000_000_000, 9).unwrap();
        assert_eq!(
            (r.body, r.prehash.as_str()),
            (
                &br#"{"symbol":"BTC-PERP","amount":"-1.000000000"}"#[..],
                "v2/futures/isolated-position-margin"
            )
        );
        assert_eq!(
            isolated_margin(&mut b, 6, "BTC-PERP", 0, 9).err(),
            Some(BuildError::BadAmount)
        );
        let r = transfer(&mut b, 6, Transfer::ToFutures, "USDT", 15, 1).unwrap();
        assert_eq!(
            (r.path, r.body, r.prehash.as_str()),
            (
                &b"/6/api/pro/v2/futures/transfer/deposit"[..],
                &br#"{"asset":"USDT","amount":"1.5"}"#[..],
                "v2/futures/transfer/deposit"
            )
        );
        let r = transfer(&mut b, 6, Transfer::ToCash, "BTC", 1, 0).unwrap();
        assert_eq!(r.prehash.as_str(), "v2/futures/transfer/withdraw");
        assert_eq!(
            transfer(&mut b, 6, Transfer::ToCash, "BTC", -1, 0).err(),
            Some(BuildError::BadAmount)
        );
        assert_eq!(
            transfer(&mut b, 6, Transfer::ToCash, "", 1, 0).err(),
            Some(BuildError::BadName)
        );
        let r = funding_payments(&mut b, 6, Some("BTC-PERP"), Some(2), Some(500));
        assert_eq!(
            (r.path, r.method),
            (
                &b"/6/api/pro/v2/futures/funding-payments?symbol=BTC-PERP&page=2&pageSize=100"[..],
                Method::Get
            )
        );
        assert_eq!(
            funding_payments(&mut b, 6, None, None, None).path,
            b"/6/api/pro/v2/futures/funding-payments"
        );
    }

    #[test]
    fn order_answers() {
        let t = table();
        let s = scales(&t);
        let ack = br#"{"code":0,"data":{"meta":{"action":"place-order","id":"abcd1234abcd1234","respInst":"ACCEPT"},"order":{"ac":"FUTURES","accountId":"sample-futures-account-id","seqNum":14,"time":1605677683714,"orderId":"sample-order-id","orderType":"Limit","side":"Buy","symbol":"BTC-PERP","price":"9500","orderQty":"0.1","stopPrice":"0","stopBy":"market","status":"New","lastExecTime":1605677684479,"lastPx":"0","lastQty":"0","avgFilledPx":"0","cumFilledQty":"0","fee":"0","cumFee":"0","feeAsset":"USDT","errorCode":""}}}"#;
        let a = parse_order_ack(ack, &s).unwrap();
        assert_eq!(
            (a.action, a.request_id, a.resp_inst),
            ("place-order", "abcd1234abcd1234", "ACCEPT")
        );
        let o = a.order.unwrap();
        assert_eq!(
            (o.seq, o.price, o.qty, o.status),
            (14, 95000, 1000, WireStatus::New)
        );
        let minus = String::from_utf8(ack.to_vec())
            .unwrap()
            .replace("\"seqNum\":14", "\"seqNum\":-1");
        assert_eq!(
            parse_order_ack(minus.as_bytes(), &s)
                .unwrap()
                .order
                .unwrap()
                .seq,
            0
        );
        let refused = br#"{"ac":"FUTURES","accountId":"sample-futures-account-id","action":"place-order","code":300014,"info":{"id":"abcd1234abcd1234","symbol":"BTC-PERP"},"message":"Order price doesn't conform to the required tick size: 1","reason":"TICK_SIZE_VIOLATION"}"#;
        match parse_order_ack(refused, &s) {
            Err(RestError::Exchange { error, .. }) => {
                assert_eq!(
                    (error.code, error.reason.as_str(), error.id.as_str()),
                    (300014, "TICK_SIZE_VIOLATION", "abcd1234abcd1234")
                )
            }
            other => panic!("{other:?}"),
        }
        let batch = br#"{"code":0,"data":{"meta":{"action":"batch-place-order","respInst":"ACK"},"orders":[{"id":"sampleRequestId1","orderId":"a177c2a8cfe1U0123456789eqntvwWsy","orderType":"Limit","symbol":"BTC-PERP","timestamp":1613878579202},{"id":"sampleRequestId2","orderId":"a177c2a8cfe1U0123456789equestId2","orderType":"Market","symbol":"BTC-PERP","timestamp":1613878579202}]}}"#;
        let items = parse_batch_ack(batch).unwrap();
        assert_eq!(
            (items[1].request_id.as_str(), items[1].order_id.as_str()),
            ("sampleRequestId2", "a177c2a8cfe1U0123456789equestId2")
        );
        let bad = br#"{"ac":"FUTURES","accountId":"x","action":"batch-place-order","code":300013,"info":[{"code":300013,"id":"sampleRequestId1","message":"Some invalid order in this batch.","reason":"INVALID_BATCH_ORDER","symbol":"BTC-PERP"},{"code":320008,"id":"sampleRequestId2","message":"Futures account exposure higher than system acceptable level.","reason":"FUTURES_TOO_RISKY","symbol":"BTC-PERP"}],"message":"Batch Order failed, please check each order info for detail.","reason":"INVALID_BATCH_ORDER"}"#;
        match parse_batch_ack(bad) {
            Err(RestError::Exchange { error, items }) => {
                assert_eq!(error.code, 300013);
                assert_eq!(
                    items.iter().map(|i| i.code).collect::<Vec<_>>(),
                    vec![300013, 320008]
                );
                assert_eq!(items[1].reason, "FUTURES_TOO_RISKY");
            }
            other => panic!("{other:?}"),
        }
        let status = br#"{"code":0,"accountId":"sampleFuturesAccountId","ac":"FUTURES","data":{"ac":"FUTURES","accountId":"sampleFuturesAccountId","avgFilledPx":"0","cumFee":"0","cumFilledQty":"0","errorCode":"","execInst":"NULL_VAL","fee":"0","feeAsset":"USDT","lastExecTime":1613877923408,"lastPx":"0","lastQty":"0","orderId":"a177c29e4064U0123456789dVeUxlVyA","orderQty":"0.1","orderType":"Limit","posStopLossPrice":"0","posStopLossTrigger":"None","posTakeProfitPrice":"0","posTakeProfitTrigger":"None","price":"34000","seqNum":18586710,"side":"Buy","status":"New","stopBy":"","stopPrice":"0","symbol":"BTC-PERP","time":1613877922641}}"#;
        let rows = parse_orders(status, &s).unwrap();
        assert_eq!((rows.len(), rows[0].seq), (1, 18586710));
        let hist = br#"{"code":0,"data":[{"ac":"FUTURES","accountId":"sampleFuturesAccountId","avgFilledPx":"58501","cumFee":"0.058501","cumFilledQty":"0.001","errorCode":"","execInst":"ReduceOnly","fee":"0.058501","feeAsset":"USDT","lastExecTime":1613992168196,"lastPx":"58501","lastQty":"0.001","orderId":"a177c29e4064U0123456789dVeUxlVyA","orderQty":"0.001","orderType":"Limit","price":"59027","seqNum":1041950,"side":"Buy","status":"Filled","stopBy":"market","stopPrice":"0","symbol":"BTC-PERP","time":1613992168190}]}"#;
        let rows = parse_orders(hist, &s).unwrap();
        assert_eq!(
            (
                rows[0].cum_qty,
                rows[0].avg_px,
                rows[0].cum_fee,
                rows[0].last_fee
            ),
            (10, 585010, 58_501_000, 58_501_000)
        );
        assert!(rows[0].exec.reduce_only);
        assert_eq!(
            parse_orders(br#"{"code":0,"data":[]}"#, &s).unwrap().len(),
            0
        );
        assert!(matches!(
            parse_orders(br#"{"code":0,"data":[{"symbol":"ETH-PERP"}]}"#, &s),
            Err(RestError::UnknownSymbol(_))
        ));
        assert!(matches!(
            parse_orders(br#"{"code":0,"data":7}"#, &s),
            Err(RestError::Malformed(_))
        ));
    }

    #[test]
    fn account_answers() {
        assert_eq!(parse_ok(br#"{"code":0}"#), Ok(()));
        assert!(matches!(
            parse_ok(br#"{"code":"300001","message":"too risky"}"#),
            Err(RestError::Exchange { .. })
        ));
        assert!(matches!(
            parse_ok(br#"{"data":1}"#),
            Err(RestError::Malformed(_))
        ));
        assert_eq!(
            parse_leverage(br#"{"code":0,"data":{"leverage":10,"symbol":"BTC-PERP"}}"#),
            Ok(("BTC-PERP".into(), 10))
        );
        let page = parse_funding_payments(br#"{"code":0,"data":{"data":[{"fundingRate":"0.00003666","paymentInUSDT":"-0.000142423","symbol":"BTC-PERP","timestamp":1642780800000},{"fundingRate":"0.000109429","paymentInUSDT":"-0.000428031","symbol":"BTC-PERP","timestamp":1642752000000}],"hasNext":true,"page":1,"pageSize":2}}"#).unwrap();
        assert_eq!(
            (page.rows.len(), page.has_next, page.page, page.page_size),
            (2, true, 1, 2)
        );
        assert_eq!(fmt(page.rows[0].payment), "-0.000142423");
        assert_eq!(fmt(page.rows[1].funding_rate), "0.000109429");
        assert!(
            page.rows[0].ts_ms > page.rows[1].ts_ms,
            "newest first, as sent"
        );
        assert_eq!(echoed_client_id("abc").unwrap().as_str(), "abc");
        assert!(echoed_client_id("").is_none());
    }
}
