//! `demo` (what `ascendex` runs with no command): the simulator in-process with stamped market data, the sample
//! market maker against it on a pinned busy-polling loop, a progress line per second, then the latency report
//! (percentile tables, `.hgrm` files and an SVG plot) and, with `--compare-ccxt`, the same wire-to-callback
//! figure for a ccxt `watch_order_book` client reading the same simulator at the same time.
// Without the simulator `demo` only says it is missing (the `run` below); the helpers of the real demo are
// compiled but unused there.
#![cfg_attr(not(feature = "sim"), allow(unused))]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hdrhistogram::Histogram;

use super::args::{DemoArgs, Global};
use super::mm::{
    FillFormat, MarketMaker, drive, fee_scale, latency_json, latency_table, params_for,
};
use super::out::{CliError, CliResult, Out};
use crate::engine::{Engine, RunMode};
use crate::metrics::Probe;
use crate::orders::types::SymbolId;
use crate::venue::ascendex::auth::Credentials;
use crate::venue::ascendex::session::{MarketConfig, SESSION_TIMERS, TradingConfig};

const SYMBOL: &str = "BTC/USDT";
const CCXT_NAME: &str = "ccxt_4.5.63_watch_order_book";

/// `{"type":"progress",...}`: one per second while the demo runs.
#[derive(serde::Serialize)]
struct Progress {
    #[serde(rename = "type")]
    kind: &'static str,
    seconds: u64,
    updates: u64,
    orders: u64,
    fills: u64,
    #[serde(rename = "p50WireToCallbackNs")]
    p50_wire_to_callback_ns: Option<u64>,
}

/// The core the demo pins to when `--core` is not given: the last one (the simulator's threads float).
fn default_core() -> Option<usize> {
    core_affinity::get_core_ids().and_then(|ids| ids.last().map(|c| c.id))
}

#[cfg(not(feature = "sim"))]
pub fn run(_g: &Global, _out: Out, _a: &DemoArgs) -> CliResult {
    Err(CliError::usage(
        "this build has no simulator (built without the `sim` feature): run `mm` against an exchange instead",
    ))
}

#[cfg(feature = "sim")]
pub fn run(g: &Global, out: Out, a: &DemoArgs) -> CliResult {
    if a.seconds == 0 {
        return Err(CliError::usage("--seconds must be at least 1"));
    }
    let sim = ascendex_sim::start(ascendex_sim::SimConfig {
        stamp: true,
        rate: a.rate,
        ..ascendex_sim::SimConfig::default()
    })
    .map_err(|e| CliError::network(format!("the simulator could not start: {e}")))?;
    let g = Global {
        rest_url: sim.rest_url(),
        ws_url: Some(sim.ws_url()),
        ca_file: Some(sim.ca_file()),
        account_group: Some(sim.account_group()),
        core: g.core.or_else(default_core),
        json: g.json,
        key_file: None,
        md_silence_ms: g.md_silence_ms,
        trade_silence_ms: g.trade_silence_ms,
    };
    let creds = || {
        Credentials::new(sim.api_key(), sim.api_secret())
            .map_err(|e| CliError::usage(e.to_string()))
    };
    let api = super::api::Api::new(
        &g.rest_url,
        g.ca_file.as_deref(),
        Ok(creds()?),
        g.account_group,
    )?;
    let rules = api.rules()?;
    let r = super::market::check_symbol(&rules, SYMBOL)?.clone();
    let ask = sim
        .book(SYMBOL)
        .and_then(|b| b.asks.first().cloned())
        .and_then(|(p, _)| crate::orders::scaled::parse_scaled(p.as_bytes(), r.price_scale).ok())
        .unwrap_or(0);
    // Inside the touch of the synthetic book (about 2 bps wide), so takers hit the quotes and fills show.
    let params = params_for(&r, SymbolId(0), 2, None, ask)?;
    let cfg = super::stream::session_config(
        &g,
        vec![SYMBOL.to_string()],
        Some(creds()?),
        MarketConfig::default(),
        TradingConfig::default(),
    )?;
    let tls = crate::net::tls::client_config(g.ca_file.as_deref())
        .map_err(|e| CliError::usage(e.to_string()))?;
    let mut engine =
        Engine::new(tls, SESSION_TIMERS).map_err(|e| CliError::network(e.to_string()))?;
    let mut session = crate::venue::ascendex::session::bootstrap::start(
        &mut engine,
        cfg,
        MarketMaker::new(params),
    )
    .map_err(super::stream::session_error)?;
    let mode = RunMode::Spin { core: g.core };
    if !out.json {
        out.text(&format!(
            "demo: simulator at {} ({} msgs/s, stamped), sample market maker on {SYMBOL}, event loop {} for {} s",
            sim.rest_url(),
            a.rate,
            match g.core {
                Some(c) => format!("busy-polling on core {c}"),
                None => "busy-polling (unpinned)".to_string(),
            },
            a.seconds
        ));
    }
    let ccxt = if a.compare_ccxt {
        start_ccxt(out, &sim.rest_url(), &sim.ca_file(), a.seconds)
    } else {
        None
    };
    let ff = FillFormat {
        symbol: SYMBOL.to_string(),
        price_scale: r.price_scale,
        qty_scale: r.qty_scale,
        fee_scale: fee_scale(),
        fee_asset: r.quote.clone(),
    };
    let mut next = Duration::from_secs(1);
    drive(
        &mut engine,
        &mut session,
        mode,
        Some(a.seconds),
        out,
        &ff,
        |s, t| {
            if t < next {
                return;
            }
            next += Duration::from_secs(1);
            let st = s.strategy.stats;
            let w2c = s.latency();
            let h = w2c.histogram(Probe::WireToCallback);
            let p50 = if h.is_empty() {
                "-".to_string()
            } else {
                format!("{:.1} µs", h.value_at_quantile(0.5) as f64 / 1000.0)
            };
            if out.json {
                out.json_line(&Progress {
                    kind: "progress",
                    seconds: t.as_secs(),
                    updates: st.updates,
                    orders: st.orders,
                    fills: st.fills,
                    p50_wire_to_callback_ns: (!h.is_empty()).then(|| h.value_at_quantile(0.5)),
                });
            } else {
                out.text(&format!(
                    "[{:>3} s] updates {:>7}  orders {:>5}  fills {:>4}  p50 wire-to-callback {p50}",
                    t.as_secs(),
                    st.updates,
                    st.orders,
                    st.fills
                ));
            }
        },
    )?;
    if engine.stats.pinned == Some(false) && !out.json {
        out.note("the event loop was not pinned");
    }
    let lat = session.latency();
    let st = session.strategy.stats;
    let dir = &a.report_dir;
    if out.json {
        latency_json(out, &lat);
    } else {
        out.text(&format!(
            "\n{} book updates, {} orders placed, {} cancels, {} fills, {} rejects\n",
            st.updates, st.orders, st.cancels, st.fills, st.rejects
        ));
        out.text(&latency_table(&lat));
    }
    let ccxt = ccxt.map(finish_ccxt);
    let mut baselines: Vec<(&str, &Histogram<u64>)> = Vec::new();
    match &ccxt {
        Some(Ok(h)) => {
            compare(out, &lat, h);
            baselines.push((CCXT_NAME, h));
        }
        Some(Err(e)) => out.note(e),
        None if !out.json && !a.compare_ccxt => out.text(
            "\n(for the same figure from a ccxt 4.5.63 client reading the same simulator: demo --compare-ccxt)",
        ),
        None => {}
    }
    let files = crate::metrics::files::write_report_files(
        &lat,
        &baselines,
        dir,
        "",
        "ascendex-hft demo: latency by percentile (µs)",
    );
    match files {
        Ok(paths) if !out.json => {
            for p in paths {
                out.text(&format!("wrote {}", p.display()));
            }
            out.text(&format!("report written to {}/", dir.display()));
        }
        Ok(_) => {}
        Err(e) => out.note(&format!(
            "could not write the report to {}: {e}",
            dir.display()
        )),
    }
    sim.shutdown();
    Ok(())
}

/// The repository root's `tools/`, found from the working directory or the executable's location.
fn tools_dir() -> Option<PathBuf> {
    let mut cands = vec![std::env::current_dir().ok()?];
    if let Ok(exe) = std::env::current_exe() {
        cands.extend(exe.ancestors().map(Path::to_path_buf));
    }
    cands
        .into_iter()
        .map(|d| d.join("tools"))
        .find(|t| t.join("latency/ccxt_wire.py").is_file())
}

fn start_ccxt(out: Out, rest: &str, ca: &Path, seconds: u64) -> Option<(Child, PathBuf)> {
    let tools = tools_dir();
    let py = tools
        .as_ref()
        .map(|t| t.join("conformance/.venv/bin/python"))
        .filter(|p| p.is_file());
    let (Some(tools), Some(py)) = (tools, py) else {
        out.note("ccxt not installed: run tools/conformance/run first");
        return None;
    };
    let samples = std::env::temp_dir().join(format!("ccxt-wire-{}.txt", std::process::id()));
    let child = Command::new(py)
        .arg("-W")
        .arg("ignore")
        .arg(tools.join("latency/ccxt_wire.py"))
        .arg(rest)
        .arg(ca)
        .arg(seconds.to_string())
        .arg(&samples)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    match child {
        Ok(c) => Some((c, samples)),
        Err(e) => {
            out.note(&format!("could not start the ccxt client: {e}"));
            None
        }
    }
}

fn finish_ccxt((child, samples): (Child, PathBuf)) -> Result<Histogram<u64>, String> {
    let o = child
        .wait_with_output()
        .map_err(|e| format!("ccxt client: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "the ccxt client failed: {}",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    let text = std::fs::read_to_string(&samples).map_err(|e| format!("ccxt samples: {e}"))?;
    let _ = std::fs::remove_file(&samples);
    let mut h =
        Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).map_err(|e| e.to_string())?;
    for v in text.lines().filter_map(|l| l.trim().parse::<i64>().ok()) {
        h.saturating_record(v.max(1) as u64);
    }
    if h.is_empty() {
        return Err("the ccxt client saw no stamped book update".into());
    }
    Ok(h)
}

/// The headline: our end-to-end (simulator stamp → strategy callback) against ccxt's (stamp → `watch_order_book`
/// returns), same simulator, same run.
fn compare(out: Out, lat: &crate::metrics::Latency, ccxt: &Histogram<u64>) {
    let ours = ("ascendex-hft", lat.histogram(Probe::EndToEnd));
    let theirs = ("ccxt 4.5.63", ccxt);
    if out.json {
        out.raw_line(&crate::metrics::report::json_line(CCXT_NAME, ccxt));
        out.raw_line(&crate::metrics::report::comparison_json(
            Probe::EndToEnd.name(),
            ours,
            theirs,
        ));
    } else {
        out.text(&format!(
            "\n{}",
            crate::metrics::report::comparison_table(
                "simulator write -> callback, same simulator, same run",
                ours,
                theirs,
            )
        ));
    }
}
