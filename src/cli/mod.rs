//! The `ascendex` command line (DESIGN.md §4): argument parsing, one-shot REST commands, market-data sessions,
//! the sample market maker and the demo. `src/main.rs` only calls [`main`].

pub mod account;
pub mod api;
pub mod args;
pub mod check;
pub mod demo;
pub mod market;
pub mod mm;
pub mod out;
pub mod stream;

use clap::Parser;

use crate::venue::ascendex::auth::Credentials;
use api::Api;
use args::{Cli, Command, Global, OrderCmd};
use out::{CliError, CliResult, Exit, Out};

/// Parses `std::env::args`, runs the command, returns the exit status.
pub fn main() -> i32 {
    run(std::env::args_os())
}

/// Runs with explicit arguments (the first is the program name).
pub fn run<I, T>(argv: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let argv: Vec<std::ffi::OsString> = argv.into_iter().map(Into::into).collect();
    let json = argv.iter().any(|a| a == "--json");
    let cli = match Cli::try_parse_from(&argv) {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return 0;
            }
            if json {
                Out { json }.error(&CliError::usage(first_line(&e.to_string())));
            } else {
                let _ = e.print();
            }
            return Exit::Usage as i32;
        }
    };
    let out = Out {
        json: cli.global.json,
    };
    #[cfg(feature = "sim")]
    if let Some(Command::Sim { args }) = &cli.command {
        // The simulator prints its own usage and picks its own exit status.
        if args.iter().any(|a| a == "-h" || a == "--help") {
            println!("{SIM_USAGE}");
            return 0;
        }
        return ascendex_sim::cli::run_cli(args.clone());
    }
    match dispatch(cli, out) {
        Ok(()) => 0,
        Err(e) => {
            out.error(&e);
            e.exit as i32
        }
    }
}

#[cfg(feature = "sim")]
const SIM_USAGE: &str = "Run the exchange simulator until stopped; prints its URLs, the CA file and demo credentials.

Usage: ascendex sim [--listen ADDR] [--seed N] [--rate MSGS_PER_S] [--faults SPEC] [--state-dir DIR] [--core N]
                    [--stamp] [--ping-interval-ms MS] [--strict-docs] [--no-stdin]

Stops on Ctrl-C or end of input (with --no-stdin: when killed). Fault spec: see tools/sim/README.md.";

fn sim(_out: Out, _args: Vec<String>) -> CliResult {
    Err(CliError::usage(
        "this build has no simulator (built without the `sim` feature)",
    ))
}

/// Clap's message without the usage block, on one line.
fn first_line(s: &str) -> String {
    s.lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .trim_start_matches("error: ")
        .to_string()
}

/// The public stream URL for a REST base: `https://HOST[:PORT]` → `wss://HOST[:PORT]/api/pro/v1/stream`.
pub fn derive_ws_url(rest_url: &str) -> CliResult<String> {
    if rest_url.starts_with("http://") {
        return Err(CliError::usage(format!(
            "--rest-url {rest_url:?}: plain http is not supported, use https://"
        )));
    }
    crate::venue::ascendex::session::bootstrap::public_ws_url(rest_url)
        .ok_or_else(|| CliError::usage(format!("--rest-url {rest_url:?} must start with https://")))
}

/// Credentials from `--key-file` or the environment. A bad key file is an error at once (exit 2); missing
/// environment variables only matter to commands that sign.
pub fn credentials(g: &Global) -> CliResult<Result<Credentials, String>> {
    match &g.key_file {
        Some(p) => Credentials::from_key_file(p)
            .map(Ok)
            .map_err(|e| CliError::usage(format!("--key-file: {e}"))),
        None => Ok(Credentials::from_env().map_err(|e| e.to_string())),
    }
}

fn api(g: &Global) -> CliResult<Api> {
    let base =
        args::check_url("--rest-url", &g.rest_url, "https", false).map_err(CliError::usage)?;
    Api::new(
        &base,
        g.ca_file.as_deref(),
        credentials(g)?,
        g.account_group,
    )
}

fn dispatch(cli: Cli, out: Out) -> CliResult {
    let g = cli.global;
    let cmd = cli.command.unwrap_or(Command::Demo(args::DemoArgs {
        seconds: 10,
        compare_ccxt: false,
        report_dir: "target/demo-report".into(),
        rate: 2000,
    }));
    if !matches!(cmd, Command::Sim { .. } | Command::Demo(_)) {
        // Both URLs are checked before anything is sent: a typo is bad usage (exit 2), not a network failure.
        args::check_url("--rest-url", &g.rest_url, "https", false).map_err(CliError::usage)?;
        if let Some(u) = &g.ws_url {
            args::check_url("--ws-url", u, "wss", true).map_err(CliError::usage)?;
        }
    }
    match cmd {
        Command::Sim { args } => sim(out, args),
        Command::Demo(a) => demo::run(&g, out, &a),
        Command::Ticker { symbol } => market::ticker(&api(&g)?, out, &symbol),
        Command::Candles(a) => market::candles(&api(&g)?, out, &a),
        Command::Balance => account::balance(&mut api(&g)?, out),
        Command::Orders { symbol } => account::orders(&mut api(&g)?, out, symbol.as_deref()),
        Command::Order(o) => {
            let mut api = api(&g)?;
            match o {
                OrderCmd::Place(a) => account::place(&mut api, out, &a),
                OrderCmd::Cancel { symbol, order_id } => {
                    account::cancel(&mut api, out, &symbol, &order_id)
                }
                OrderCmd::CancelAll { symbol } => {
                    account::cancel_all_cmd(&mut api, out, symbol.as_deref())
                }
                OrderCmd::Status { order_id } => account::status(&mut api, out, &order_id),
            }
        }
        Command::Book(a) => stream::book(&g, out, &a),
        Command::Trades(a) => stream::trades(&g, out, &a),
        Command::Mm(a) => mm::run(&g, out, &a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ws_url_from_rest_url() {
        assert_eq!(
            derive_ws_url("https://ascendex.com").unwrap(),
            "wss://ascendex.com/api/pro/v1/stream"
        );
        assert_eq!(
            derive_ws_url("https://127.0.0.1:8443/").unwrap(),
            "wss://127.0.0.1:8443/api/pro/v1/stream"
        );
        assert_eq!(derive_ws_url("http://x").unwrap_err().exit, Exit::Usage);
        assert_eq!(derive_ws_url("ftp://x").unwrap_err().exit, Exit::Usage);
    }

    #[test]
    fn clap_messages_lose_the_usage_block() {
        let m = first_line(
            "error: unrecognized subcommand 'x'\n\nUsage: ascendex [OPTIONS]\n\nFor more information, try '--help'.\n",
        );
        assert_eq!(m, "unrecognized subcommand 'x'");
    }
}
