//! Exit statuses (DESIGN.md §4: 0 ok, 2 bad usage caught before sending, 3 refused, 4 network/TLS, 5 auth) and
//! error messages that name the flag or the request, through the binary against the simulator; and optional
//! endpoints that fail without stopping the command.

mod cli_util;

use ascendex_sim::Scripted;
use cli_util::*;
use std::process::Command;

fn bare(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ascendex"))
        .args(args)
        .env_remove("ASCENDEX_API_KEY")
        .env_remove("ASCENDEX_API_SECRET")
        .output()
        .unwrap()
}

#[test]
fn malformed_rest_urls_are_usage_errors_naming_the_flag() {
    for url in [
        "https://",
        "https://127.0.0.1:99999",
        "https://127.0.0.1:8443/?x=1",
        "https://127.0.0.1:8443#frag",
        "https://127.0.0.1:8443\r\nX-Injected: 1",
        "http://127.0.0.1:8443",
    ] {
        for cmd in [
            &["ticker", "BTC/USDT"][..],
            &["book", "BTC/USDT", "--updates", "1"],
        ] {
            let mut args = vec!["--rest-url", url];
            args.extend_from_slice(cmd);
            let o = bare(&args);
            assert_eq!(o.status.code(), Some(2), "{url:?} {cmd:?}: {}", stderr(&o));
            let e = stderr(&o);
            assert!(e.contains("--rest-url"), "names the flag: {e}");
            assert!(!e.contains("malformed HTTP response"), "{e}");
        }
    }
}

#[test]
fn malformed_ws_urls_are_usage_errors_and_nothing_is_sent() {
    let sim = sim();
    for url in [
        "ws://127.0.0.1:1/api/pro/v1/stream",
        "garbage",
        "wss://127.0.0.1:1/s?x=1",
    ] {
        let o = run(
            &sim,
            &["--ws-url", url, "book", "BTC/USDT", "--updates", "1"],
        );
        assert_eq!(o.status.code(), Some(2), "{url}: {}", stderr(&o));
        assert!(stderr(&o).contains("--ws-url"), "{}", stderr(&o));
    }
    assert!(
        sim.rest_log().is_empty(),
        "nothing may be sent: {:?}",
        sim.rest_log()
    );
}

#[test]
fn zero_seconds_and_zero_updates_are_both_usage_errors() {
    let sim = sim();
    for args in [
        &["book", "BTC/USDT", "--seconds", "0"][..],
        &["book", "BTC/USDT", "--updates", "0"],
        &["trades", "BTC/USDT", "--seconds", "0"],
    ] {
        let o = run(&sim, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
    assert!(sim.rest_log().is_empty());
}

#[test]
fn http_400_reports_the_status_and_the_request() {
    let sim = sim();
    // Not the exchange's envelope: an HTML error page.
    sim.script(Scripted::status(
        "/api/pro/v1/spot/ticker",
        400,
        "<html><body>400 Bad Request</body></html>",
    ));
    let o = run(&sim, &["ticker", "BTC/USDT"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("HTTP 400"), "{e}");
    assert!(
        e.contains(&format!("GET {}/api/pro/v1/spot/ticker", sim.rest_url())),
        "{e}"
    );
    assert!(!e.contains("not JSON"), "{e}");
    // The exchange's envelope on a 400: its code and message, and the request.
    sim.clear_scripts();
    sim.script(Scripted::status(
        "/api/pro/v1/spot/ticker",
        400,
        r#"{"code":100008,"reason":"SYMBOL_ERROR","message":"Symbol does not exist"}"#,
    ));
    let o = run(&sim, &["--json", "ticker", "BTC/USDT"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err: serde_json::Value = serde_json::from_str(stderr(&o).lines().last().unwrap()).unwrap();
    assert_eq!(err["code"], 100008);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("/api/pro/v1/spot/ticker")
    );
}

#[test]
fn a_malformed_decimal_argument_says_what_is_accepted() {
    let sim = sim();
    for qty in ["-1", "1e-3", "0,5", ".5"] {
        let o = run(
            &sim,
            &["order", "place", "BTC/USDT", "buy", qty, "--price", "50000"],
        );
        assert_eq!(o.status.code(), Some(2), "{qty}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains("no sign, exponent"), "{e}");
        assert!(!e.contains("optional leading '-'"), "{e}");
    }
    let o = run(
        &sim,
        &[
            "order", "place", "BTC/USDT", "buy", "0.001", "--price", "-50000",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("price \"-50000\""), "{}", stderr(&o));
    assert!(sim.open_orders().is_empty());
}

#[test]
fn refusals_name_the_request() {
    let sim = sim();
    let o = run(
        &sim,
        &[
            "order",
            "cancel",
            "BTC/USDT",
            "a17a1b2c3d4eU1234567890abcdefgh",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("DELETE {}/", sim.rest_url())),
        "{}",
        stderr(&o)
    );
}

#[test]
fn optional_endpoints_degrade_with_one_warning() {
    let sim = sim();
    // The products list is only a symbol and scale check for `ticker`: a 404 HTML page is a warning.
    sim.script(Scripted::status(
        "/api/pro/v1/cash/products",
        404,
        "<html>not here</html>",
    ));
    let o = run(&sim, &["--json", "ticker", "BTC/USDT"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(lines(&o)[0]["type"], "ticker");
    let e = stderr(&o);
    assert_eq!(e.matches("warning:").count(), 1, "{e}");
    assert!(
        e.contains("/api/pro/v1/cash/products") && e.contains("404"),
        "{e}"
    );
    // Empty and non-JSON answers too, for `orders` and `candles`.
    for body in ["", "not json"] {
        sim.clear_scripts();
        sim.script(Scripted::ok("/api/pro/v1/cash/products", body));
        for args in [
            &["--json", "orders"][..],
            &[
                "--json",
                "candles",
                "BTC/USDT",
                "--interval",
                "1",
                "--limit",
                "2",
            ],
        ] {
            let o = run(&sim, args);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{args:?} {body:?}: {}",
                stderr(&o)
            );
            assert_eq!(stderr(&o).matches("warning:").count(), 1, "{}", stderr(&o));
        }
    }
    // `order place` cannot quantize without the rules: it stops, naming the endpoint and the status.
    sim.clear_scripts();
    sim.script(Scripted::status(
        "/api/pro/v1/cash/products",
        404,
        "<html/>",
    ));
    let o = run(
        &sim,
        &[
            "order", "place", "BTC/USDT", "buy", "0.001", "--price", "50000",
        ],
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("/api/pro/v1/cash/products") && stderr(&o).contains("404"),
        "{}",
        stderr(&o)
    );
    assert!(sim.open_orders().is_empty());
}

#[test]
fn account_group_flag_skips_the_info_lookup_and_public_commands_never_make_it() {
    let sim = sim();
    let g = sim.account_group().to_string();
    let o = run(&sim, &["--account-group", &g, "--json", "balance"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&sim, &["--json", "ticker", "BTC/USDT"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let log = sim.rest_log();
    assert!(!log.is_empty());
    assert!(
        log.iter().all(|r| r.path != "/api/pro/v1/info"),
        "{:?}",
        log.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    // Without the flag the lookup is essential to a signed command: an HTML answer stops it, named.
    sim.script(Scripted::status(
        "/api/pro/v1/info",
        502,
        "<html>bad gateway</html>",
    ));
    let o = run(&sim, &["balance"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("/api/pro/v1/info") && stderr(&o).contains("502"),
        "{}",
        stderr(&o)
    );
}
