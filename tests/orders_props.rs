//! Property tests: quantization never worsens the caller's price or raises the quantity and always lands on the
//! tick and lot; decimals round-trip; predicted order ids have the documented shape.

use ascendex_hft::orders::scaled::{Dec, MAX_FORMATTED, format_scaled, parse_scaled};
use ascendex_hft::orders::{ClientId, Side};
use ascendex_hft::venue::ascendex::ids::{ClientIdGen, Via, order_id_time_ms, predict_order_id};
use ascendex_hft::venue::ascendex::rules::{PriceSpec, RuleError, SymbolRules};
use proptest::prelude::*;

fn rules(tick: &str, lot: &str) -> SymbolRules {
    SymbolRules::from_product_json(
        format!(
            r#"{{"symbol":"X/USDT","statusCode":"Normal","tickSize":"{tick}","lotSize":"{lot}","minQty":"0",
            "maxQty":"1000000000","minNotional":"0","maxNotional":"1000000000000"}}"#
        )
        .as_bytes(),
    )
    .unwrap()
}

proptest! {
    #[test]
    fn quantize_is_on_grid_and_never_worse(
        px_m in 1i64..10_000_000_000,
        px_s in 0u8..9,
        q_m in 0i64..10_000_000_000,
        q_s in 0u8..9,
        buy in any::<bool>(),
        grid in 0usize..4,
    ) {
        let (tick, lot) = [("0.01", "0.00001"), ("0.5", "0.1"), ("0.00001", "1"), ("5", "0.25")][grid];
        let r = rules(tick, lot);
        let side = if buy { Side::Buy } else { Side::Sell };
        let price = Dec::new(px_m, px_s);
        let qty = Dec::new(q_m, q_s);
        match r.quantize(side, PriceSpec::Limit(price), qty) {
            Ok(q) => {
                prop_assert_eq!(q.price % r.tick, 0);
                prop_assert_eq!(q.qty % r.lot, 0);
                // Compare exactly at a common scale (18 fits i128 comfortably here).
                let at = |m: i64, s: u8| m as i128 * 10i128.pow((18 - s) as u32);
                let (asked, got) = (at(px_m, px_s), at(q.price, r.price_scale));
                if buy { prop_assert!(got <= asked); } else { prop_assert!(got >= asked); }
                // Within one tick of the ask.
                prop_assert!((got - asked).abs() < at(r.tick, r.price_scale));
                prop_assert!(at(q.qty, r.qty_scale) <= at(q_m, q_s));
                prop_assert!(at(q_m, q_s) - at(q.qty, r.qty_scale) < at(r.lot, r.qty_scale));
                prop_assert_eq!(q.price_adjusted, got != asked);
            }
            Err(RuleError::BelowMinQty { got, .. }) => prop_assert_eq!(got, 0),
            Err(RuleError::NonPositivePrice) => prop_assert!(buy),
            Err(e) => prop_assert!(matches!(e, RuleError::AboveMaxNotional { .. } | RuleError::AboveMaxQty { .. } | RuleError::Overflow), "{e:?}"),
        }
    }

    #[test]
    fn decimals_round_trip(m in any::<i64>(), s in 0u8..19) {
        let mut out = [0u8; MAX_FORMATTED];
        let n = format_scaled(m, s, &mut out).unwrap();
        prop_assert_eq!(parse_scaled(&out[..n], s), Ok(m));
        let d = Dec::parse(&out[..n]).unwrap();
        prop_assert_eq!(d.at_scale(s), Ok(m));
    }

    #[test]
    fn decimal_parse_never_panics(s in "[-0-9.eE+ ]{0,30}", scale in 0u8..20) {
        let _ = parse_scaled(s.as_bytes(), scale);
        let _ = Dec::parse(s.as_bytes());
    }

    #[test]
    fn predicted_ids_have_the_documented_shape(
        ms in 1_500_000_000_000u64..4_000_000_000_000,
        uid_digits in 0u64..10_000_000_000,
        prefix in "[a-zA-Z0-9]{0,23}",
        start in 1_704_067_200_000u64..2_500_000_000_000,
    ) {
        let mut g = ClientIdGen::new(&prefix, b'Q', start).unwrap();
        let cid: ClientId = g.next_id();
        let uid = format!("U{uid_digits:010}");
        let oid = predict_order_id(Via::Rest, ms, &uid, &cid).unwrap();
        let s = oid.as_str();
        prop_assert_eq!(s.len(), 32);
        prop_assert!(s.starts_with('a'));
        prop_assert_eq!(&s[12..23], uid.as_str());
        prop_assert_eq!(&s[23..], &cid.as_str()[cid.as_str().len() - 9..]);
        prop_assert_eq!(order_id_time_ms(&oid), Some(ms));
        prop_assert!(g.is_ours(&oid));
    }
}
