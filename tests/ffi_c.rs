//! The C example, compiled with the system C compiler and linked against the static library, run against the
//! simulator: the ABI as a firm uses it (a quote placed and cancelled, then a market buy whose fill's balance change
//! must reach the C balance callback with the simulator's exact figures). Skips (with a message) only when there is no `cc`.
//!
//! The static library is `<target>/<profile>/libascendex_hft.a`; it is rebuilt here (`cargo build --lib`, same
//! profile) when missing or older than a source file. Link flags are `-lpthread -ldl -lm` plus what
//! `cargo rustc --release --lib --crate-type staticlib -- --print native-static-libs` prints on Linux/glibc.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

const NATIVE_LIBS: &[&str] = &[
    "-lpthread",
    "-ldl",
    "-lm",
    "-lgcc_s",
    "-lutil",
    "-lrt",
    "-lc",
];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `<target>/<profile>`: from `CARGO_TARGET_DIR` when set, else from this test executable's path
/// (`<target>/<profile>/deps/ffi_c-<hash>`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let from_exe = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable lives in <target>/<profile>/deps")
        .to_path_buf();
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => {
            let profile = from_exe.file_name().expect("profile directory name");
            PathBuf::from(t).join(profile)
        }
        None => from_exe,
    }
}

fn newest_source(dir: &Path, newest: &mut SystemTime) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            newest_source(&p, newest);
        } else if let Ok(m) = e.metadata().and_then(|m| m.modified()) {
            *newest = (*newest).max(m);
        }
    }
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// The static library, rebuilt when missing or stale.
fn static_lib() -> PathBuf {
    let dir = profile_dir();
    let lib = dir.join("libascendex_hft.a");
    let root = manifest_dir();
    let mut newest = SystemTime::UNIX_EPOCH;
    newest_source(&root.join("src"), &mut newest);
    newest_source(&root.join("tools/sim/src"), &mut newest);
    for f in ["Cargo.toml", "Cargo.lock", "tools/sim/Cargo.toml"] {
        if let Some(m) = mtime(&root.join(f)) {
            newest = newest.max(m);
        }
    }
    if mtime(&lib).is_some_and(|m| m >= newest) {
        return lib;
    }
    let profile = dir
        .file_name()
        .and_then(|n| n.to_str())
        .expect("profile directory name")
        .to_owned();
    let target = dir.parent().expect("target directory").to_path_buf();
    eprintln!(
        "building {} (missing or older than the sources)",
        lib.display()
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args(["build", "--lib", "-p", "ascendex-hft"])
        .env("CARGO_TARGET_DIR", &target);
    if profile == "debug" {
        // the dev profile's directory
    } else {
        cmd.args(["--profile", &profile]);
    }
    let st = cmd.status().expect("run cargo build");
    assert!(st.success(), "cargo build --lib failed: {st}");
    assert!(lib.exists(), "{} was not produced", lib.display());
    lib
}

fn have_cc() -> bool {
    Command::new("cc")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn compile_example(lib: &Path) -> PathBuf {
    let root = manifest_dir();
    let out_dir = profile_dir().join("ffi_c");
    std::fs::create_dir_all(&out_dir).expect("create output directory");
    let exe = out_dir.join("market_maker");
    let out = Command::new("cc")
        .args([
            "-std=c99",
            "-O2",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-I",
        ])
        .arg(root.join("include"))
        .arg(root.join("examples/c/market_maker.c"))
        .arg(lib)
        .args(NATIVE_LIBS)
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("run cc");
    assert!(
        out.status.success(),
        "cc failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// Runs `cmd` with a deadline; returns (exit code, stdout, stderr).
fn run_with_deadline(cmd: &mut Command, deadline: Duration) -> (Option<i32>, String, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the C example");
    let mut so = child.stdout.take().expect("stdout");
    let mut se = child.stderr.take().expect("stderr");
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = so.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = se.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let code = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st.code();
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (
        code,
        t_out.join().unwrap_or_default(),
        t_err.join().unwrap_or_default(),
    )
}

#[test]
fn c_example_quotes_takes_and_reports_balances_against_the_simulator() {
    if !have_cc() {
        eprintln!("SKIPPED: no C compiler (`cc`) on this machine; the C ABI test needs one");
        return;
    }
    let lib = static_lib();
    let exe = compile_example(&lib);

    // Usage errors and config errors come back as exit status 2 with a message, before any network traffic.
    let (code, _, err) = run_with_deadline(&mut Command::new(&exe), Duration::from_secs(10));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("usage"), "{err}");
    let (code, _, err) = run_with_deadline(
        Command::new(&exe).args([
            "--rest-url",
            "https://127.0.0.1:9",
            "--ca-file",
            "/nonexistent/ca.pem",
        ]),
        Duration::from_secs(10),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("error -4") && err.contains("/nonexistent/ca.pem"),
        "{err}"
    );

    let sim = ascendex_sim::start(ascendex_sim::SimConfig {
        rate: 200,
        ..ascendex_sim::SimConfig::default()
    })
    .expect("simulator starts");
    let secret = sim.api_secret();
    let (code, out, err) = run_with_deadline(
        Command::new(&exe)
            .args(["--rest-url", &sim.rest_url(), "--ws-url", &sim.ws_url()])
            .arg("--ca-file")
            .arg(sim.ca_file())
            .args([
                "--symbol",
                "BTC/USDT",
                "--seconds",
                "20",
                "--exit-when-done",
            ])
            .env("ASCENDEX_API_KEY", sim.api_key())
            .env("ASCENDEX_API_SECRET", &secret),
        Duration::from_secs(60),
    );
    let all = format!("--- stdout\n{out}--- stderr\n{err}");
    assert_eq!(code, Some(0), "{all}");
    assert!(
        !out.contains(&secret) && !err.contains(&secret),
        "the secret leaked\n{all}"
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.contains(&"callbacks registered"), "{all}");

    // Market data: a book line with both sides, and levels read through axh_book_levels.
    let book = lines
        .iter()
        .find(|l| l.starts_with("book BTC/USDT seq="))
        .unwrap_or_else(|| panic!("no book line\n{all}"));
    assert!(
        book.contains(" bid=") && book.contains(" ask=") && !book.contains("bid=-"),
        "{book}"
    );
    assert!(lines.iter().any(|l| l.starts_with("level bid 0 ")), "{all}");
    assert!(lines.iter().any(|l| l.starts_with("level ask 0 ")), "{all}");

    // Trading: the post-only buy was placed from the book callback, rested, and was cancelled from the order
    // callback.
    let place = lines
        .iter()
        .find(|l| l.starts_with("place BTC/USDT buy "))
        .unwrap_or_else(|| panic!("no place line\n{all}"));
    assert!(place.contains("post_only handle="), "{place}");
    assert!(
        lines.iter().any(|l| l.starts_with("order new status=New ")),
        "{all}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("cancel handle=")),
        "{all}"
    );
    let canceled = lines
        .iter()
        .find(|l| l.starts_with("order canceled status=Canceled "))
        .unwrap_or_else(|| panic!("no canceled order event\n{all}"));
    assert!(
        lines.last().is_some_and(|l| l.starts_with("stopped rc=0 ")),
        "{all}"
    );

    // The simulator agrees: exactly that order, post-only, now cancelled.
    let orders = sim.orders();
    assert_eq!(orders.len(), 1, "{orders:?}");
    let o = &orders[0];
    assert!(
        o.post_only && o.side == "Buy" && o.status == "Canceled",
        "{o:?}"
    );
    assert!(
        canceled.contains(&format!("id={} ", o.order_id)),
        "{canceled} vs {o:?}"
    );
    assert!(
        place.contains(&format!("buy {}@{} ", o.qty, o.price)) || {
            // The sim may spell the decimals differently (trailing zeros); compare as exact values.
            let (q, p) = place
                .trim_start_matches("place BTC/USDT buy ")
                .split_once(' ')
                .and_then(|(qp, _)| qp.split_once('@'))
                .expect("qty@price");
            same_decimal(q, &o.qty) && same_decimal(p, &o.price)
        },
        "{place} vs {o:?}"
    );

    // Balances at start-up: every asset of BTC/USDT, at the simulator's opening figures.
    let start = balance_lines(&lines, "start balance ");
    let mut names: Vec<&str> = start.iter().map(|b| b.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["BTC", "USDT"], "{all}");
    let opening = ascendex_sim::SimConfig::default().balances;
    for b in &start {
        let (_, v) = opening
            .iter()
            .find(|(a, _)| *a == b.name)
            .unwrap_or_else(|| panic!("the simulator opens no {} balance", b.name));
        let v = exact(v, b.scale);
        assert_eq!((b.total, b.available), (v, v), "{b:?}\n{all}");
    }

    // --take: a market buy whose fill moves both balances; the last balance callback of each asset after the fill
    // carries the simulator's settled figures exactly.
    let before = sim.balances();
    let (code, out, err) = run_with_deadline(
        Command::new(&exe)
            .args(["--rest-url", &sim.rest_url(), "--ws-url", &sim.ws_url()])
            .arg("--ca-file")
            .arg(sim.ca_file())
            .args([
                "--symbol",
                "BTC/USDT",
                "--seconds",
                "20",
                "--take",
                "--exit-when-done",
            ])
            .env("ASCENDEX_API_KEY", sim.api_key())
            .env("ASCENDEX_API_SECRET", &secret),
        Duration::from_secs(60),
    );
    let all = format!("--- stdout\n{out}--- stderr\n{err}");
    assert_eq!(code, Some(0), "{all}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("place BTC/USDT buy ") && l.contains(" market ")),
        "{all}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("fill BTC/USDT buy ") && l.contains("status=Filled")),
        "{all}"
    );
    assert!(
        !lines.iter().any(|l| l.starts_with("cancel ")),
        "nothing to cancel in --take\n{all}"
    );
    let settled = sim.balances();
    let orders = sim.orders();
    assert_eq!(orders.len(), 2, "{orders:?}");
    assert_eq!(orders[1].status, "Filled", "{:?}", orders[1]);
    let seen = balance_lines(&lines, "balance ");
    for name in ["BTC", "USDT"] {
        let sim_now = settled.iter().find(|b| b.asset == name).expect("asset");
        let sim_before = before.iter().find(|b| b.asset == name).expect("asset");
        let last = seen
            .iter()
            .rfind(|b| b.name == name && b.fills > 0)
            .unwrap_or_else(|| panic!("no {name} balance callback after the fill\n{all}"));
        assert_eq!(
            (last.total, last.available),
            (
                exact(&sim_now.total, last.scale),
                exact(&sim_now.available, last.scale)
            ),
            "{name}: C callback {last:?} vs simulator {sim_now:?}\n{all}"
        );
        assert_ne!(
            last.total,
            exact(&sim_before.total, last.scale),
            "{name} did not change with the fill\n{all}"
        );
    }
}

/// A `balance` line of the C example.
#[derive(Debug)]
struct BalanceLine {
    name: String,
    total: i64,
    available: i64,
    scale: u8,
    /// Fills the example had seen when the line was printed (0 for start-up lines).
    fills: u64,
}

/// Lines `<prefix>NAME total=X available=Y scale=S [fills=N]`, figures parsed exactly at S.
fn balance_lines(lines: &[&str], prefix: &str) -> Vec<BalanceLine> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix(prefix))
        .map(|rest| {
            let mut it = rest.split(' ');
            let name = it.next().expect("asset name").to_owned();
            let field = |k: &str| {
                rest.split(' ')
                    .find_map(|w| w.strip_prefix(k))
                    .unwrap_or("")
                    .to_owned()
            };
            let scale: u8 = field("scale=").parse().expect("scale");
            BalanceLine {
                total: exact(&field("total="), scale),
                available: exact(&field("available="), scale),
                fills: field("fills=").parse().unwrap_or(0),
                scale,
                name,
            }
        })
        .collect()
}

/// `text` at `scale` exactly, through the library's own parser.
fn exact(text: &str, scale: u8) -> i64 {
    let c = std::ffi::CString::new(text).expect("no NUL");
    let mut v = 0i64;
    // SAFETY: a valid C string and a writable output.
    let rc = unsafe { ascendex_hft::ffi::axh_parse_decimal(c.as_ptr(), scale, &mut v) };
    assert_eq!(rc, 0, "{text:?} at scale {scale}");
    v
}

/// Two decimal spellings of the same value ("0.00010" and "0.0001").
fn same_decimal(a: &str, b: &str) -> bool {
    fn norm(s: &str) -> String {
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.')
        } else {
            s
        };
        s.trim_start_matches('0').to_owned()
    }
    norm(a) == norm(b)
}

/// What `examples/c/abi_layout.c` must print: the Rust side's sizes, offsets and constants.
fn rust_layout() -> String {
    use ascendex_hft::ffi::abi::*;
    use ascendex_hft::ffi::error::*;
    use std::fmt::Write;
    use std::mem::{offset_of, size_of};
    let mut s = String::new();
    macro_rules! size {
        ($c:literal, $t:ty) => {
            writeln!(s, "sizeof {} {}", $c, size_of::<$t>()).unwrap()
        };
    }
    macro_rules! off {
        ($c:literal, $t:ty, $($f:ident),+) => {
            $(writeln!(s, "offsetof {}.{} {}", $c, stringify!($f), offset_of!($t, $f)).unwrap();)+
        };
    }
    macro_rules! konst {
        ($($k:ident),+) => {
            $(writeln!(s, "const {} {}", stringify!($k), $k as i64).unwrap();)+
        };
    }
    size!("axh_config", AxhConfig);
    off!(
        "axh_config",
        AxhConfig,
        flags,
        rest_url,
        symbols,
        n_symbols,
        api_secret,
        account_group,
        shutdown_grace_ms,
        client_id_tag
    );
    size!("axh_book_update", AxhBookUpdate);
    off!(
        "axh_book_update",
        AxhBookUpdate,
        rx_ns,
        ask_qty,
        symbol,
        price_scale,
        qty_scale,
        has_ask,
        top_changed
    );
    size!("axh_level", AxhLevel);
    size!("axh_trade", AxhTrade);
    off!("axh_trade", AxhTrade, seqnum, symbol, taker_side);
    size!("axh_order_event", AxhOrderEvent);
    off!(
        "axh_order_event",
        AxhOrderEvent,
        fee,
        code,
        symbol,
        kind,
        status,
        fee_scale,
        order_id,
        client_id,
        reason
    );
    size!("axh_fill", AxhFill);
    off!(
        "axh_fill", AxhFill, price, ts_ms, filled_qty, symbol, fee_scale, status, order_id,
        client_id
    );
    size!("axh_order_req", AxhOrderReq);
    off!("axh_order_req", AxhOrderReq, symbol, side, post_only);
    size!("axh_symbol_info", AxhSymbolInfo);
    off!(
        "axh_symbol_info",
        AxhSymbolInfo,
        max_notional,
        symbol,
        notional_scale,
        name
    );
    size!("axh_balance", AxhBalance);
    off!(
        "axh_balance",
        AxhBalance,
        available,
        asset,
        scale,
        name_len,
        name
    );
    konst!(
        AXH_ABI_VERSION,
        AXH_OK,
        AXH_E_NULL,
        AXH_E_ARG,
        AXH_E_STATE,
        AXH_E_TLS,
        AXH_E_NETWORK,
        AXH_E_EXCHANGE
    );
    konst!(
        AXH_E_AUTH,
        AXH_E_REFUSED,
        AXH_E_PIN,
        AXH_E_BUFFER,
        AXH_E_NOT_FOUND,
        AXH_E_PANIC
    );
    konst!(
        AXH_MODE_BLOCK,
        AXH_MODE_SPIN,
        AXH_FLAG_DEPTH_REALTIME,
        AXH_FLAG_KEEP_ORDERS_ON_STOP
    );
    konst!(AXH_FLAG_BASE64_SECRET, AXH_BUY, AXH_SELL, AXH_BID, AXH_ASK);
    konst!(
        AXH_LIMIT,
        AXH_MARKET,
        AXH_STOP_LIMIT,
        AXH_STOP_MARKET,
        AXH_GTC,
        AXH_IOC,
        AXH_FOK
    );
    konst!(
        AXH_EV_ACK,
        AXH_EV_NEW,
        AXH_EV_CANCELED,
        AXH_EV_REJECTED,
        AXH_EV_UNKNOWN
    );
    konst!(
        AXH_ST_PENDING_NEW,
        AXH_ST_NEW,
        AXH_ST_PARTIALLY_FILLED,
        AXH_ST_PENDING_CANCEL,
        AXH_ST_UNKNOWN
    );
    konst!(
        AXH_ST_FILLED,
        AXH_ST_CANCELED,
        AXH_ST_REJECTED,
        AXH_ID_LEN,
        AXH_REASON_LEN,
        AXH_NAME_LEN
    );
    writeln!(
        s,
        "const AXH_MAX_TIMERS {}",
        ascendex_hft::strategy::STRATEGY_TIMERS
    )
    .unwrap();
    s
}

#[test]
fn the_header_matches_the_library() {
    if !have_cc() {
        eprintln!("SKIPPED: no C compiler (`cc`) on this machine; the header check needs one");
        return;
    }
    let root = manifest_dir();
    let out_dir = profile_dir().join("ffi_c");
    std::fs::create_dir_all(&out_dir).expect("create output directory");
    let exe = out_dir.join("abi_layout");
    let out = Command::new("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I"])
        .arg(root.join("include"))
        .arg(root.join("examples/c/abi_layout.c"))
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("run cc");
    assert!(
        out.status.success(),
        "cc failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, printed, err) = run_with_deadline(&mut Command::new(&exe), Duration::from_secs(10));
    assert_eq!(code, Some(0), "{err}");
    let expected = rust_layout();
    for (c, r) in printed.lines().zip(expected.lines()) {
        assert_eq!(c, r, "header (left) and library (right) disagree");
    }
    assert_eq!(printed.lines().count(), expected.lines().count());
}
