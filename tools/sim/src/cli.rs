//! `sim [--listen ADDR] [--seed N] [--rate MSGS_PER_S] [--faults SPEC] [--state-dir DIR] [--core N] [--stamp]
//! [--spin] [--ping-interval-ms MS] [--strict-docs] [--no-stdin]`: runs the simulator until Ctrl-C or stdin EOF (with `--no-stdin`, until
//! killed: for background use where stdin is /dev/null) and prints where to reach it.

use crate::{SimConfig, SimError, start};
use std::io::Read;

const USAGE: &str = "usage: sim [--listen ADDR] [--seed N] [--rate MSGS_PER_S] [--faults SPEC] [--state-dir DIR] [--core N] [--stamp] [--spin] [--ping-interval-ms MS] [--strict-docs] [--no-stdin]";

/// What `run_cli` was asked to do.
pub struct CliArgs {
    pub cfg: SimConfig,
    /// Ignore stdin and run until the process is killed.
    pub no_stdin: bool,
}

/// Parses the arguments (without the program name) into a config.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<CliArgs, String> {
    let mut cfg = SimConfig::default();
    let mut no_stdin = false;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut val = |name: &str| {
            it.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--listen" => {
                cfg.listen = val("--listen")?
                    .parse()
                    .map_err(|e| format!("--listen: {e}"))?
            }
            "--seed" => cfg.seed = val("--seed")?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--rate" => cfg.rate = val("--rate")?.parse().map_err(|e| format!("--rate: {e}"))?,
            "--faults" => cfg.faults = val("--faults")?,
            "--state-dir" => cfg.state_dir = Some(val("--state-dir")?.into()),
            "--core" => {
                cfg.core = Some(val("--core")?.parse().map_err(|e| format!("--core: {e}"))?)
            }
            "--ping-interval-ms" => {
                cfg.ping_interval_ms = val("--ping-interval-ms")?
                    .parse()
                    .map_err(|e| format!("--ping-interval-ms: {e}"))?
            }
            "--stamp" => cfg.stamp = true,
            "--spin" => cfg.spin = true,
            "--strict-docs" => cfg.strict_docs = true,
            "--no-stdin" => no_stdin = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(CliArgs { cfg, no_stdin })
}

/// Runs the simulator from command-line arguments; returns the process exit status.
pub fn run_cli(args: impl IntoIterator<Item = String>) -> i32 {
    let CliArgs { cfg, no_stdin } = match parse_args(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    let sim = match start(cfg) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            // Bad input (exit 2) versus a failure to bind or set up TLS (exit 4), as the CLI contract says.
            return match e {
                SimError::Io(_) | SimError::Tls(_) => 4,
                _ => 2,
            };
        }
    };
    // Demo credentials of a local simulator: printing them is intended.
    println!("REST URL:      {}", sim.rest_url());
    println!("WS URL:        {}", sim.ws_url());
    println!("CA file:       {}", sim.ca_file().display());
    println!("account group: {}", sim.account_group());
    println!("ASCENDEX_API_KEY={}", sim.api_key());
    println!("ASCENDEX_API_SECRET={}", sim.api_secret());
    if no_stdin {
        println!("running; stop with Ctrl-C");
        loop {
            std::thread::park();
        }
    }
    println!("running; stop with Ctrl-C or end of input");
    let mut sink = [0u8; 256];
    let mut stdin = std::io::stdin();
    loop {
        match stdin.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    sim.shutdown();
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flags() {
        let args = [
            "--seed",
            "9",
            "--rate",
            "5000",
            "--faults",
            "gap@3",
            "--listen",
            "127.0.0.1:9443",
            "--stamp",
            "--spin",
            "--strict-docs",
            "--no-stdin",
        ];
        let a = parse_args(args.map(String::from)).unwrap();
        assert!(a.no_stdin);
        let c = a.cfg;
        assert_eq!(c.seed, 9);
        assert_eq!(c.rate, 5000);
        assert_eq!(c.faults, "gap@3");
        assert_eq!(c.listen.port(), 9443);
        assert!(c.stamp);
        assert!(c.spin);
        assert!(c.strict_docs);
        assert!(!parse_args(Vec::<String>::new()).unwrap().cfg.strict_docs);
        assert!(parse_args(["--bogus".to_string()]).is_err());
        assert!(parse_args(["--seed".to_string()]).is_err());
    }
}
