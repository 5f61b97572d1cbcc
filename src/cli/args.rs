//! The command line as clap sees it: DESIGN.md §4, a stable contract (options may be added, never renamed).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "ascendex",
    version,
    about = "Low-latency AscendEX trading core: market data, orders, the sample market maker and the latency demo",
    long_about = "Low-latency AscendEX trading core.\n\nWith no command, runs `demo`: the embedded simulator, the sample \
market maker against it, and the latency report.\n\nCredentials come from ASCENDEX_API_KEY and ASCENDEX_API_SECRET \
(or --key-file FILE); they are never printed.\n\nExit status: 0 success; 2 bad usage or bad input (nothing sent); \
3 the exchange rejected the request; 4 network or TLS failure; 5 authentication failure."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes.
#[derive(Args, Debug, Clone)]
pub struct Global {
    /// REST base URL.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        default_value = "https://ascendex.com"
    )]
    pub rest_url: String,
    /// WebSocket stream URL (default: wss://HOST/api/pro/v1/stream from --rest-url; the account group is inserted
    /// for private streams).
    #[arg(long, global = true, value_name = "URL")]
    pub ws_url: Option<String>,
    /// Extra trusted root certificates (PEM): a simulator, a private gateway. Public roots stay trusted.
    #[arg(long, global = true, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Account group (skips the GET /api/pro/v1/info lookup).
    #[arg(long, global = true, value_name = "N")]
    pub account_group: Option<u32>,
    /// Pin the event loop to this core (busy polling).
    #[arg(long, global = true, value_name = "N")]
    pub core: Option<usize>,
    /// One JSON object per line on stdout (decimals as exact strings); errors as a JSON line on stderr.
    #[arg(long, global = true)]
    pub json: bool,
    /// File with ASCENDEX_API_KEY=... and ASCENDEX_API_SECRET=... lines (must not be readable by others).
    #[arg(long, global = true, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Market-data liveness deadline: after half of it without a message the books are in doubt (strategies
    /// pull their quotes, a ping goes out); after all of it the connection is replaced and the books resynced.
    #[arg(long, global = true, value_name = "MS", default_value_t = 1_500,
          value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub md_silence_ms: u64,
    /// Trade-socket liveness deadline, the same way (a user stream is quiet longer than a depth stream).
    #[arg(long, global = true, value_name = "MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub trade_silence_ms: u64,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// (The default) start the embedded simulator, run the sample market maker against it, print the latency report.
    Demo(DemoArgs),
    /// Run the exchange simulator until stopped; prints its URLs, the CA file and demo credentials.
    #[command(disable_help_flag = true)]
    Sim {
        /// [--listen ADDR] [--seed N] [--rate MSGS_PER_S] [--faults SPEC] [--state-dir DIR] [--core N] [--stamp] [--spin]
        /// [--ping-interval-ms MS] [--strict-docs] [--no-stdin]
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
    /// Live order book of a symbol (a line per applied update with --json).
    Book(BookArgs),
    /// Live market trades of a symbol.
    Trades(TradesArgs),
    /// Historical candles, oldest first, including the bar in progress; printed page by page as they arrive
    /// (paced within the CLI's request budget, progress on stderr when it takes over a second).
    Candles(CandlesArgs),
    /// Best bid and ask and last price of a symbol.
    Ticker {
        /// Symbol, e.g. BTC/USDT.
        symbol: String,
    },
    /// Cash account balances.
    Balance,
    /// Place, cancel or query orders.
    #[command(subcommand)]
    Order(OrderCmd),
    /// Open orders, of one symbol or all.
    Orders {
        /// Symbol, e.g. BTC/USDT (all symbols when absent).
        symbol: Option<String>,
    },
    /// The sample market maker; cancels its orders on exit and prints the latency report.
    Mm(MmArgs),
}

#[derive(Args, Debug, Clone)]
pub struct DemoArgs {
    /// How long the market maker runs.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub seconds: u64,
    /// Also run a ccxt 4.5.63 `watch_order_book` client on the same simulator and compare wire-to-callback latency
    /// (needs the venv made by tools/conformance/run).
    #[arg(long)]
    pub compare_ccxt: bool,
    /// Where the .hgrm files and the SVG plot go.
    #[arg(long, default_value = "target/demo-report", value_name = "DIR")]
    pub report_dir: PathBuf,
    /// Simulated market messages per second.
    #[arg(long, default_value_t = 2000, value_name = "MSGS_PER_S")]
    pub rate: u32,
}

#[derive(Args, Debug, Clone)]
pub struct BookArgs {
    /// Symbol, e.g. BTC/USDT.
    pub symbol: String,
    /// Levels per side shown.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub depth: usize,
    /// Stop after N seconds.
    #[arg(long, value_name = "N", conflicts_with = "updates")]
    pub seconds: Option<u64>,
    /// Stop after N book updates (the snapshot counts as the first).
    #[arg(long, value_name = "N")]
    pub updates: Option<u64>,
}

#[derive(Args, Debug, Clone)]
pub struct TradesArgs {
    /// Symbol, e.g. BTC/USDT.
    pub symbol: String,
    /// Stop after N seconds.
    #[arg(long, value_name = "N")]
    pub seconds: Option<u64>,
}

#[derive(Args, Debug, Clone)]
pub struct CandlesArgs {
    /// Symbol, e.g. BTC/USDT.
    pub symbol: String,
    /// Bar interval: 1 5 15 30 60 120 240 360 720 (minutes), 1d, 1w, 1m (month).
    #[arg(long, value_name = "I")]
    pub interval: String,
    /// The last N bars: up to 500, as the exchange counts them; past 500, the bars starting in the last N
    /// intervals (fewer where the exchange's history is shorter).
    #[arg(long, value_name = "N", conflicts_with_all = ["from", "to"])]
    pub limit: Option<u32>,
    /// First bar start, ms since the epoch.
    #[arg(long, value_name = "MS", requires = "to")]
    pub from: Option<u64>,
    /// Last bar start, ms since the epoch.
    #[arg(long, value_name = "MS", requires = "from")]
    pub to: Option<u64>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideArg {
    Buy,
    Sell,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeArg {
    Limit,
    Market,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TifArg {
    Gtc,
    Ioc,
    Fok,
}

#[derive(Subcommand, Debug)]
pub enum OrderCmd {
    /// Place an order and wait for its first definitive state (New, PartiallyFilled, Filled, Canceled, Rejected).
    Place(PlaceArgs),
    /// Cancel an order and wait until it is Canceled (or the exchange refuses).
    Cancel {
        /// Symbol, e.g. BTC/USDT.
        symbol: String,
        /// The exchange's order id.
        order_id: String,
    },
    /// Cancel every open order, of one symbol or all.
    CancelAll {
        /// Symbol, e.g. BTC/USDT (all when absent).
        symbol: Option<String>,
    },
    /// An order's current state.
    Status {
        /// The exchange's order id.
        order_id: String,
    },
}

#[derive(Args, Debug, Clone)]
pub struct PlaceArgs {
    /// Symbol, e.g. BTC/USDT.
    pub symbol: String,
    pub side: SideArg,
    /// Quantity in the base asset (rounded down to the lot, with a note on stderr).
    // Hyphen values reach our own check, which says what a quantity may be, instead of clap's "unexpected
    // argument".
    #[arg(allow_hyphen_values = true)]
    pub qty: String,
    /// Limit price (rounded to the tick: a buy down, a sell up).
    #[arg(long, value_name = "P", allow_hyphen_values = true)]
    pub price: Option<String>,
    #[arg(long = "type", value_enum, default_value = "limit")]
    pub order_type: TypeArg,
    /// Refuse rather than take liquidity.
    #[arg(long)]
    pub post_only: bool,
    #[arg(long, value_enum, default_value = "gtc")]
    pub tif: TifArg,
    /// Your id for the order (2 to 32 letters, digits, `_` or inner `-`).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct MmArgs {
    /// Symbol, e.g. BTC/USDT.
    pub symbol: String,
    /// Full distance between the bid and ask quotes, in basis points of the mid.
    #[arg(long, default_value_t = 10, value_name = "B")]
    pub spread_bps: u32,
    /// Quote size in the base asset (default: the symbol's minimum order size).
    #[arg(long, value_name = "Q")]
    pub size: Option<String>,
    /// Stop after N seconds (default: until Ctrl-C).
    #[arg(long, value_name = "N")]
    pub seconds: Option<u64>,
    /// Simulated fills against the live book; nothing is sent to the exchange.
    #[arg(long)]
    pub paper: bool,
    /// Keep (adopt) the open orders an earlier `mm` run left, instead of cancelling them before quoting.
    #[arg(long)]
    pub adopt: bool,
}

/// Checks a URL given on the command line before anything is sent (exit 2 naming the flag on failure):
/// `SCHEME://HOST[:PORT]` then, when `path_allowed`, a path of plain characters; never a user, query, fragment,
/// space or control character. Returns the URL without a trailing `/` when no path is allowed.
pub fn check_url(
    flag: &str,
    url: &str,
    scheme: &str,
    path_allowed: bool,
) -> Result<String, String> {
    let bad = |why: &str| {
        let shown: String = url.escape_debug().collect();
        format!("{flag} \"{shown}\" is not a usable URL: {why}")
    };
    if let Some(c) = url.chars().find(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad(&format!("it contains {:?}", c)));
    }
    let Some(rest) = url.strip_prefix(scheme).and_then(|r| r.strip_prefix("://")) else {
        let want = if path_allowed {
            format!("{scheme}://HOST[:PORT]/PATH")
        } else {
            format!("{scheme}://HOST[:PORT]")
        };
        return Err(bad(&format!("expected {want}")));
    };
    if rest.contains('?') || rest.contains('#') {
        return Err(bad("a query or fragment is not allowed"));
    }
    if rest.contains('@') {
        return Err(bad("user information is not allowed"));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (host, port) = if let Some(h) = authority.strip_prefix('[') {
        let Some((h, after)) = h.split_once(']') else {
            return Err(bad("an unclosed '[' in the host"));
        };
        match after.strip_prefix(':') {
            Some(p) => (h, Some(p)),
            None if after.is_empty() => (h, None),
            None => return Err(bad("junk after the IPv6 address")),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    let host_ok = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b':');
    if !host_ok {
        return Err(bad("the host has characters a host name cannot have"));
    }
    if let Some(p) = port {
        match p.parse::<u32>() {
            Ok(1..=65535) if !p.starts_with('+') => {}
            _ => return Err(bad(&format!("port {p:?} is not a number from 1 to 65535"))),
        }
    }
    let path_ok = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/-._~".contains(&b));
    if !path_ok {
        return Err(bad(
            "the path has characters other than letters, digits and / - . _ ~",
        ));
    }
    if !path_allowed && !path.trim_end_matches('/').is_empty() {
        return Err(bad(
            "a REST base takes no path (the API paths are added to it)",
        ));
    }
    if path_allowed && path.trim_matches('/').is_empty() {
        return Err(bad("no stream path (e.g. /api/pro/v1/stream)"));
    }
    Ok(if path_allowed {
        url.to_string()
    } else {
        url.trim_end_matches('/').to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn urls_are_checked_before_anything_is_sent() {
        for bad in [
            "https://",
            "https://127.0.0.1:99999",
            "https://127.0.0.1:0",
            "https://h/?x=1",
            "https://h#f",
            "https://h\r\nX: y",
            "http://h",
            "garbage",
            "https://u@h",
            "https://h/prefix",
            "https://h:",
        ] {
            let e = check_url("--rest-url", bad, "https", false).unwrap_err();
            assert!(e.starts_with("--rest-url "), "{bad:?}: {e}");
        }
        assert_eq!(
            check_url("--rest-url", "https://127.0.0.1:8443/", "https", false).as_deref(),
            Ok("https://127.0.0.1:8443")
        );
        assert!(check_url("--rest-url", "https://[::1]:8443", "https", false).is_ok());
        assert!(check_url("--ws-url", "wss://h:1/api/pro/v1/stream", "wss", true).is_ok());
        for bad in [
            "ws://h/api/pro/v1/stream",
            "garbage",
            "wss://h",
            "wss://h/s?x",
        ] {
            assert!(check_url("--ws-url", bad, "wss", true).is_err(), "{bad}");
        }
    }
}
