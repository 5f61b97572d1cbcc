//! The CLI against a server whose answers are hostile: numbers spelled as exponents, NaN, hex, signs, 400 digits,
//! more decimals than the symbol has, answers about another symbol. Nothing of that may reach stdout: the
//! command fails with exit 4 naming the request and the field. Property tests put random strings in every
//! printing path (ticker, candles, balance, orders, order status, order place, fills) through the binary.

mod cli_util;

use ascendex_sim::{Scripted, SimHandle};
use cli_util::*;
use proptest::prelude::*;
use serde_json::{Value, json};

const TICKER: &str = "/api/pro/v1/spot/ticker";
const BARHIST: &str = "/api/pro/v1/barhist";

fn env(data: Value) -> String {
    json!({"code": 0, "data": data}).to_string()
}

fn ticker_body(bid: [&str; 2], ask: [&str; 2], close: &str, symbol: &str) -> String {
    env(
        json!({"symbol": symbol, "open": "60000", "close": close, "high": "60010", "low": "59990",
        "volume": "1", "ask": ask, "bid": bid, "type": "spot"}),
    )
}

fn bar(ts: u64, o: &str, h: &str, l: &str, c: &str, v: &str, symbol: &str) -> Value {
    json!({"m": "bar", "s": symbol, "data": {"i": "1", "ts": ts, "o": o, "h": h, "l": l, "c": c, "v": v}})
}

fn order_row(field: &str, value: &str, status: &str) -> Value {
    let mut row = json!({"avgPx": "60000.5", "cumFee": "0.06", "cumFilledQty": "0.001", "errorCode": "",
        "feeAsset": "USDT", "id": "cliabcdefgh", "lastExecTime": 1, "orderId": "a17a1b2c3d4eU1234567890abcdefgh",
        "orderQty": "0.001", "orderType": "Limit", "price": "60000", "seqNum": 1, "side": "Buy",
        "status": status, "stopPrice": "", "symbol": "BTC/USDT"});
    row[field] = json!(value);
    row
}

fn now_ms() -> u64 {
    ascendex_hft::venue::ascendex::session::bootstrap::wall_ms()
}

/// Fails unless the run printed nothing and exited 4 with a message naming `request` and `field`.
fn assert_refused(o: &std::process::Output, request: &str, field: &str) {
    assert_eq!(
        o.status.code(),
        Some(4),
        "stdout {} stderr {}",
        stdout(o),
        stderr(o)
    );
    assert_eq!(stdout(o), "", "nothing may be printed");
    let e = stderr(o);
    assert!(
        e.contains(request),
        "the error names the request {request}: {e}"
    );
    assert!(
        e.contains(&format!("`{field}`")),
        "the error names the field {field}: {e}"
    );
}

#[test]
fn ticker_refuses_what_the_user_saw_printed() {
    let sim = sim();
    // The finding: `BTC/USDT NaN -5 1e5 abc` with exit 0.
    sim.script(Scripted::ok(
        TICKER,
        ticker_body(["-5", "NaN"], ["1e5", "abc"], "60000", "BTC/USDT"),
    ));
    for json in [true, false] {
        let args: &[&str] = if json {
            &["--json", "ticker", "BTC/USDT"]
        } else {
            &["ticker", "BTC/USDT"]
        };
        let o = run(&sim, args);
        assert_refused(&o, "GET https://127.0.0.1", "bid[0]");
        assert!(stderr(&o).contains(TICKER), "{}", stderr(&o));
    }
    // `"close":"0x10"` for another symbol: the symbol is checked first.
    sim.clear_scripts();
    sim.script(Scripted::ok(
        TICKER,
        ticker_body(["60000", "1"], ["60001", "1"], "0x10", "ETH/USDT"),
    ));
    assert_refused(
        &run(&sim, &["--json", "ticker", "BTC/USDT"]),
        TICKER,
        "symbol",
    );
    sim.clear_scripts();
    sim.script(Scripted::ok(
        TICKER,
        ticker_body(["60000", "1"], ["60001", "1"], "0x10", "BTC/USDT"),
    ));
    assert_refused(
        &run(&sim, &["--json", "ticker", "BTC/USDT"]),
        TICKER,
        "close",
    );
    // 400 digits, and more decimals than BTC/USDT's tick (0.01) allows.
    let long = "9".repeat(400);
    for bad in [long.as_str(), "60000.123"] {
        sim.clear_scripts();
        sim.script(Scripted::ok(
            TICKER,
            ticker_body(["60000", "1"], [bad, "1"], "60000", "BTC/USDT"),
        ));
        assert_refused(
            &run(&sim, &["--json", "ticker", "BTC/USDT"]),
            TICKER,
            "ask[0]",
        );
    }
    // A JSON number is not the exchange's decimal string.
    sim.clear_scripts();
    sim.script(Scripted::ok(
        TICKER,
        env(json!({"symbol": "BTC/USDT", "close": 1e5, "ask": [], "bid": []})),
    ));
    assert_refused(
        &run(&sim, &["--json", "ticker", "BTC/USDT"]),
        TICKER,
        "close",
    );
    // The same checks pass what the exchange really sends: trailing zeros are fine.
    sim.clear_scripts();
    sim.script(Scripted::ok(
        TICKER,
        ticker_body(["60000.10", "0.5"], ["60001", "1"], "60000.1", "BTC/USDT"),
    ));
    let o = run(&sim, &["--json", "ticker", "BTC/USDT"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(lines(&o)[0]["bid"][0], "60000.10");
}

#[test]
fn candles_refuse_exponents_nan_and_other_symbols() {
    let sim = sim();
    let ts = now_ms() / 60_000 * 60_000;
    sim.script(Scripted::ok(
        BARHIST,
        env(json!([bar(ts, "1e5", "1", "NaN", "abc", "1", "BTC/USDT")])),
    ));
    let o = run(
        &sim,
        &[
            "--json",
            "candles",
            "BTC/USDT",
            "--interval",
            "1",
            "--limit",
            "1",
        ],
    );
    assert_refused(&o, BARHIST, "o");
    sim.clear_scripts();
    sim.script(Scripted::ok(
        BARHIST,
        env(json!([bar(ts, "1", "1", "1", "1", "1", "ETH/USDT")])),
    ));
    let o = run(
        &sim,
        &[
            "--json",
            "candles",
            "BTC/USDT",
            "--interval",
            "1",
            "--limit",
            "1",
        ],
    );
    assert_refused(&o, BARHIST, "s");
    // A bar from the future is not in the range asked for.
    sim.clear_scripts();
    sim.script(Scripted::ok(
        BARHIST,
        env(json!([bar(
            ts + 3_600_000,
            "1",
            "1",
            "1",
            "1",
            "1",
            "BTC/USDT"
        )])),
    ));
    let o = run(
        &sim,
        &[
            "--json",
            "candles",
            "BTC/USDT",
            "--interval",
            "1",
            "--limit",
            "1",
        ],
    );
    assert_refused(&o, BARHIST, "ts");
}

#[test]
fn balance_orders_and_fills_refuse_bad_decimals() {
    let sim = sim();
    let g = sim.account_group();
    sim.script(Scripted::ok(
        &format!("/{g}/api/pro/v1/cash/balance"),
        env(json!([{"asset": "USDT", "totalBalance": "1e5", "availableBalance": "1"}])),
    ));
    assert_refused(
        &run(&sim, &["--json", "balance"]),
        "cash/balance",
        "totalBalance",
    );

    sim.clear_scripts();
    sim.script(Scripted::ok(
        &format!("/{g}/api/pro/v1/cash/order/open"),
        env(json!([order_row("price", "abc", "New")])),
    ));
    assert_refused(&run(&sim, &["--json", "orders"]), "order/open", "price");
    // Asked for BTC/USDT, answered about ETH/USDT.
    sim.clear_scripts();
    sim.script(Scripted::ok(
        &format!("/{g}/api/pro/v1/cash/order/open"),
        env(json!([order_row("symbol", "ETH/USDT", "New")])),
    ));
    assert_refused(
        &run(&sim, &["--json", "orders", "BTC/USDT"]),
        "order/open",
        "symbol",
    );

    // An order that fills at once with a NaN average price: neither the order nor the fill line is printed.
    sim.clear_scripts();
    sim.script(Scripted::ok(
        &format!("/{g}/api/pro/v1/cash/order"),
        env(json!({"info": order_row("avgPx", "NaN", "Filled")})),
    ));
    let o = run(
        &sim,
        &[
            "--json", "order", "place", "BTC/USDT", "buy", "0.001", "--price", "60000",
        ],
    );
    assert_refused(&o, "POST https://", "avgPx");

    // Filled without an average price: no fill line can be printed, so nothing is.
    sim.clear_scripts();
    sim.script(Scripted::ok(
        &format!("/{g}/api/pro/v1/cash/order"),
        env(json!({"info": order_row("avgPx", "", "Filled")})),
    ));
    let o = run(
        &sim,
        &[
            "--json", "order", "place", "BTC/USDT", "buy", "0.001", "--price", "60000",
        ],
    );
    assert_refused(&o, "POST https://", "avgPx");

    sim.clear_scripts();
    sim.script(Scripted::ok(
        &format!("/{g}/api/pro/v1/cash/order/status"),
        env(json!([order_row(
            "cumFilledQty",
            "-0.001",
            "PartiallyFilled"
        )])),
    ));
    let o = run(
        &sim,
        &[
            "--json",
            "order",
            "status",
            "a17a1b2c3d4eU1234567890abcdefgh",
        ],
    );
    assert_refused(&o, "order/status", "cumFilledQty");
}

/// A string the exchange might send, or one a broken server might: valid decimals, near misses, garbage.
fn any_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,6}(\\.[0-9]{1,4})?",
        "[0-9]{1,3}(\\.[0-9])?[eE][+-]?[0-9]{1,2}",
        "-?[0-9]{0,3}[.eE+xX-]?[0-9]{0,3}",
        "(NaN|Infinity|-0|0x1F|1_000| 1|1 |1,5|٣)",
        "[0-9]{30,60}",
        ".{0,6}",
        Just(String::new()),
    ]
}

/// Every printing path as (arguments, what to script): the random string goes into one decimal field.
fn scripted_run(sim: &SimHandle, path: usize, field: usize, v: &str) -> std::process::Output {
    let g = sim.account_group();
    sim.clear_scripts();
    let ts = now_ms() / 60_000 * 60_000;
    let mut good = ["60000", "0.5", "60001", "0.25", "60000.5"];
    let oid = "a17a1b2c3d4eU1234567890abcdefgh";
    match path {
        0 => {
            good[field % 5] = v;
            sim.script(Scripted::ok(
                TICKER,
                ticker_body([good[0], good[1]], [good[2], good[3]], good[4], "BTC/USDT"),
            ));
            run(sim, &["--json", "ticker", "BTC/USDT"])
        }
        1 => {
            let mut f = ["60000", "60010", "59990", "60005", "1.5"];
            f[field % 5] = v;
            sim.script(Scripted::ok(
                BARHIST,
                env(json!([bar(ts, f[0], f[1], f[2], f[3], f[4], "BTC/USDT")])),
            ));
            run(
                sim,
                &[
                    "--json",
                    "candles",
                    "BTC/USDT",
                    "--interval",
                    "1",
                    "--limit",
                    "1",
                ],
            )
        }
        2 => {
            let mut row = json!({"asset": "USDT", "totalBalance": "100", "availableBalance": "90"});
            row[["totalBalance", "availableBalance"][field % 2]] = json!(v);
            sim.script(Scripted::ok(
                &format!("/{g}/api/pro/v1/cash/balance"),
                env(json!([row])),
            ));
            run(sim, &["--json", "balance"])
        }
        _ => {
            let fields = ["price", "orderQty", "cumFilledQty", "avgPx", "cumFee"];
            let row = order_row(fields[field % 5], v, "Filled");
            match path {
                3 => {
                    sim.script(Scripted::ok(
                        &format!("/{g}/api/pro/v1/cash/order/open"),
                        env(json!([row])),
                    ));
                    run(sim, &["--json", "orders"])
                }
                4 => {
                    sim.script(Scripted::ok(
                        &format!("/{g}/api/pro/v1/cash/order/status"),
                        env(json!([row])),
                    ));
                    run(sim, &["--json", "order", "status", oid])
                }
                _ => {
                    // order place: the order line and its fill line.
                    sim.script(Scripted::ok(
                        &format!("/{g}/api/pro/v1/cash/order"),
                        env(json!({"info": row})),
                    ));
                    run(
                        sim,
                        &[
                            "--json", "order", "place", "BTC/USDT", "buy", "0.001", "--price",
                            "60000",
                        ],
                    )
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever string a field carries, the command either prints only valid decimals (exit 0) or prints nothing
    /// and exits 4.
    #[test]
    fn every_printing_path_prints_valid_decimals_or_fails_with_4(
        path in 0usize..6,
        field in 0usize..5,
        v in any_value(),
    ) {
        thread_local! {
            static SIM: SimHandle = sim();
        }
        let o = SIM.with(|s| scripted_run(s, path, field, &v));
        match o.status.code() {
            Some(0) => {
                assert_all_decimals_valid(&o);
                prop_assert!(!lines(&o).is_empty(), "exit 0 but nothing printed");
            }
            Some(4) => prop_assert_eq!(stdout(&o), "", "exit 4 after printing"),
            c => prop_assert!(false, "exit {:?} for {:?} in path {} field {}: {}", c, v, path, field, stderr(&o)),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 5, ..ProptestConfig::default() })]

    /// `book` prints from the venue's decoded integers: random strings in live depth diffs (in sequence) are
    /// refused by the decoder, so whatever it prints is valid decimals, and it never exits other than 0 or 4.
    #[test]
    fn book_prints_only_valid_decimals_whatever_the_diffs_carry(
        diffs in prop::collection::vec((any_value(), any_value(), any::<bool>()), 1..6),
    ) {
        use std::io::{BufRead, BufReader};
        let sim = sim();
        let mut child = command(&sim, &["--json", "book", "BTC/USDT", "--depth", "3", "--seconds", "2"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        for (p, q, bid) in &diffs {
            let level = json!([[p, q]]);
            let (bids, asks) = if *bid { (level, json!([])) } else { (json!([]), level) };
            sim.push_depth_text("BTC/USDT", |seqnum| {
                json!({"m": "depth", "symbol": "BTC/USDT",
                    "data": {"ts": now_ms(), "seqnum": seqnum, "bids": bids, "asks": asks}})
                .to_string()
            });
            sim.step(2);
        }
        let mut rest = vec![first];
        rest.extend(out.lines().map(Result::unwrap));
        let status = child.wait().unwrap();
        prop_assert!(rest[0].contains("\"type\":\"book\""), "{}", rest[0]);
        prop_assert!(matches!(status.code(), Some(0 | 4)), "{:?}", status);
        for l in rest {
            let v: Value = serde_json::from_str(&l).unwrap();
            for (k, s, signed, empty_ok) in decimal_fields(&v) {
                prop_assert!((empty_ok && s.is_empty()) || is_decimal(&s, signed), "{} = {:?} in {}", k, s, l);
            }
        }
    }
}
