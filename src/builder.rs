//! The library's front door: a builder that takes a venue, symbols, credentials, endpoints, the run mode and limits,
//! runs a [`Strategy`] and shuts down cleanly (the session's own orders cancelled and confirmed) on the time limit,
//! on SIGINT/SIGTERM, on the strategy's `stop()` or its kill switch.
//!
//! ```no_run
//! use ascendex_hft::prelude::*;
//!
//! struct Quiet;
//! impl Strategy for Quiet {}
//!
//! let run = Trader::ascendex()
//!     .symbol("BTC/USDT")
//!     .run_for(std::time::Duration::from_secs(5))
//!     .run(Quiet)?;
//! println!("{}", run.latency_table());
//! # Ok::<(), TraderError>(())
//! ```
//!
//! The builder is generic over the strategy: the session it starts is `Session<S>`, monomorphized, so running
//! through it costs nothing on the hot path compared with wiring the session by hand.

// Stable public surface: every public item says what it is for (why, units, scales, invariants).
#![deny(missing_docs)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::engine::signals::{catch_interrupts, interrupted};
use crate::engine::{Engine, EngineError, RunMode};
use crate::metrics::Latency;
use crate::orders::rules::SymbolRules;
use crate::paper::PaperConfig;
use crate::strategy::Strategy;
use crate::venue::ascendex::auth::{Credentials, CredentialsError, KeyDerivation};
use crate::venue::ascendex::rules::RulesTable;
use crate::venue::ascendex::session::bootstrap::{self, SessionError};
use crate::venue::ascendex::session::{
    MarketConfig, SESSION_TIMERS, Session, SessionConfig, TradingConfig,
};

/// Which of the venue's products the session trades.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Product {
    /// Spot (cash) symbols such as `BTC/USDT`.
    Spot,
}

/// How the event loop waits for the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Sleeps in `epoll_wait` between events: for laptops, tests and CI.
    Block,
    /// Busy-polls, pinned to `core` when given: the lowest latency, one core at 100 %.
    Spin {
        /// The CPU to pin the loop's thread to; `None` spins wherever the OS schedules it.
        core: Option<usize>,
    },
}

/// Why a run could not start or ended in error.
#[derive(Debug)]
pub enum TraderError {
    /// No symbol was given: call `.symbol(..)` or `.symbols(..)`.
    NoSymbols,
    /// Credentials were asked for from the environment and are missing or malformed (the message never holds
    /// the secret).
    Credentials(CredentialsError),
    /// The embedded simulator could not start.
    Simulator(String),
    /// The session could not start: network, TLS, the exchange's answers, an unknown symbol.
    Session(SessionError),
    /// The event loop failed (a socket error it cannot recover from, or the core could not be pinned).
    Engine(EngineError),
    /// The REST base is not `https://HOST[:PORT]`, so no stream URL can be derived from it (set `.ws_url`).
    BadUrl(String),
    /// The strategy factory refused the symbols' rules.
    Strategy(String),
}

impl std::fmt::Display for TraderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TraderError::NoSymbols => {
                f.write_str("no symbol given: call .symbol(\"BTC/USDT\") on the builder")
            }
            TraderError::Credentials(e) => write!(
                f,
                "credentials: {e} (set ASCENDEX_API_KEY and ASCENDEX_API_SECRET, or call .market_data_only())"
            ),
            TraderError::Simulator(e) => write!(f, "the embedded simulator did not start: {e}"),
            TraderError::Session(e) => write!(f, "{e}"),
            TraderError::Engine(e) => write!(f, "event loop: {e}"),
            TraderError::Strategy(e) => write!(f, "strategy: {e}"),
            TraderError::BadUrl(u) => {
                write!(
                    f,
                    "REST base {u:?} is not https://HOST[:PORT]: no stream URL to derive"
                )
            }
        }
    }
}

impl std::error::Error for TraderError {}

impl From<SessionError> for TraderError {
    fn from(e: SessionError) -> Self {
        TraderError::Session(e)
    }
}

impl From<EngineError> for TraderError {
    fn from(e: EngineError) -> Self {
        TraderError::Engine(e)
    }
}

/// Where credentials come from.
enum Creds {
    Env,
    Given(Credentials),
    None,
}

/// A configured run of one strategy on one venue. Start with [`Trader::ascendex`].
pub struct Trader {
    product: Product,
    symbols: Vec<String>,
    creds: Creds,
    rest_url: String,
    ws_url: Option<String>,
    ca_file: Option<PathBuf>,
    account_group: Option<u32>,
    #[cfg(feature = "sim")]
    simulator: Option<ascendex_sim::SimConfig>,
    mode: Mode,
    run_for: Option<Duration>,
    grace: Duration,
    market: MarketConfig,
    trading: TradingConfig,
}

/// What a finished run hands back: the strategy (with whatever it counted), the latency histograms, and why it
/// ended.
pub struct Run<S> {
    /// The strategy as the run left it: read its counters, position or fills here.
    pub strategy: S,
    /// The run's latency histograms (ns), one per probe; `latency_table()` formats them.
    pub latency: Latency,
    /// Why the loop stopped.
    pub ended: Ended,
    /// The orders the session still tracked as open after shutdown (0 when every cancel was confirmed).
    pub open_after_shutdown: usize,
    /// The balances the session knew at the end (at `asset_scale`), of the configured symbols' assets.
    pub balances: Vec<RunBalance>,
    /// Decimal places of `balances` (`total` 1.5 at scale 9 is 1_500_000_000).
    pub asset_scale: u8,
    /// Paper trading: the balances are the paper exchange's.
    pub paper: bool,
    /// The core the loop could not be pinned to (it ran blocking instead).
    pub pin_failed: Option<usize>,
    /// A sentence per symbol whose book was not in sync at the end, saying why (for a run that could not trade).
    pub book_notes: Vec<String>,
    /// The status of each order still tracked as open after shutdown (in doubt, refused cancels, ...).
    pub open_statuses: Vec<crate::orders::types::OrderStatus>,
    /// The trading half's counters (orders placed, acknowledged, throttled, timed out, ...).
    pub trading_stats: crate::venue::ascendex::session::trading::TradingStats,
}

/// What an observer learns between loop slices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Since the loop started.
    pub elapsed: Duration,
    /// The strategy's `on_start` ran (connected, authenticated, reconciled, leftovers settled).
    pub started: bool,
    /// Open orders an earlier run left, cancelled at start (`Leftovers::Cancel`).
    pub leftovers_cancelled: u64,
    /// Open orders recognised as the session's own and adopted (at start, or after a lost acknowledgement).
    pub adopted: u64,
    /// Open orders of other programs seen on the account (left alone).
    pub foreign_orders: u64,
}

/// One asset's balance at the end of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunBalance {
    /// The asset's name as the exchange spells it (`USDT`).
    pub asset: String,
    /// Total holding at the run's `asset_scale`.
    pub total: i64,
    /// The part not locked in open orders, at the run's `asset_scale`.
    pub available: i64,
}

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The `run_for` limit passed.
    TimeLimit,
    /// SIGINT or SIGTERM.
    Signal,
    /// The strategy called `stop()` (or `kill()`).
    Stopped,
}

/// How often the run loop looks at the clock, the signal flag and the strategy's stop (the engine's own loop is
/// not interrupted in between; a slice ends early when the strategy stops).
const SLICE: Duration = Duration::from_millis(50);

impl Trader {
    /// AscendEX spot, against the real exchange (`https://ascendex.com`), credentials from `ASCENDEX_API_KEY` /
    /// `ASCENDEX_API_SECRET`, blocking mode, no time limit, 3 s to confirm cancels on exit.
    pub fn ascendex() -> Trader {
        Trader {
            product: Product::Spot,
            symbols: Vec::new(),
            creds: Creds::Env,
            rest_url: "https://ascendex.com".into(),
            ws_url: None,
            ca_file: None,
            account_group: None,
            #[cfg(feature = "sim")]
            simulator: None,
            mode: Mode::Block,
            run_for: None,
            grace: Duration::from_secs(3),
            market: MarketConfig::default(),
            trading: TradingConfig {
                cancel_on_shutdown: true,
                ..TradingConfig::default()
            },
        }
    }

    /// The product to trade (spot is the default; perpetual futures come with the futures API).
    pub fn product(mut self, p: Product) -> Trader {
        self.product = p;
        self
    }

    /// Adds one symbol (`BTC/USDT`); symbol ids are positions in the order added, from 0.
    pub fn symbol(mut self, s: impl Into<String>) -> Trader {
        self.symbols.push(s.into());
        self
    }

    /// Adds several symbols.
    pub fn symbols<I, T>(mut self, s: I) -> Trader
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.symbols.extend(s.into_iter().map(Into::into));
        self
    }

    /// Uses these credentials instead of the environment's.
    pub fn credentials(mut self, c: Credentials) -> Trader {
        self.creds = Creds::Given(c);
        self
    }

    /// No credentials: market data only (`place` answers `PlaceError::NoTrading`), or paper trading.
    pub fn market_data_only(mut self) -> Trader {
        self.creds = Creds::None;
        self
    }

    /// Another REST base (a gateway, a simulator); the stream URL is derived from it unless [`Trader::ws_url`]
    /// sets it.
    pub fn rest_url(mut self, url: impl Into<String>) -> Trader {
        self.rest_url = url.into();
        self
    }

    /// The public stream URL (`wss://HOST:PORT/api/pro/v1/stream`).
    pub fn ws_url(mut self, url: impl Into<String>) -> Trader {
        self.ws_url = Some(url.into());
        self
    }

    /// Extra trusted root certificates (PEM); the public roots stay trusted.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Trader {
        self.ca_file = Some(path.into());
        self
    }

    /// Skips the account-group look-up.
    pub fn account_group(mut self, group: u32) -> Trader {
        self.account_group = Some(group);
        self
    }

    /// Runs against an exchange simulator started in this process (its URLs, CA and demo credentials).
    #[cfg(feature = "sim")]
    pub fn simulator(mut self) -> Trader {
        self.simulator = Some(ascendex_sim::SimConfig::default());
        self
    }

    /// Like [`Trader::simulator`], with the simulator's own settings (rate, faults, seed).
    #[cfg(feature = "sim")]
    pub fn simulator_with(mut self, cfg: ascendex_sim::SimConfig) -> Trader {
        self.simulator = Some(cfg);
        self
    }

    /// Paper trading: fills simulated against the live book from these starting balances (`("USDT", "1000")`);
    /// nothing is sent and no credentials are needed.
    pub fn paper<'a>(mut self, balances: impl IntoIterator<Item = (&'a str, &'a str)>) -> Trader {
        self.trading.paper = Some(PaperConfig {
            balances: balances
                .into_iter()
                .map(|(a, v)| (a.to_string(), v.to_string()))
                .collect(),
            ..PaperConfig::default()
        });
        self.creds = Creds::None;
        self
    }

    /// Busy-polls, pinned to `core` when given.
    pub fn spin(mut self, core: Option<usize>) -> Trader {
        self.mode = Mode::Spin { core };
        self
    }

    /// Blocks between events (the default).
    pub fn block(mut self) -> Trader {
        self.mode = Mode::Block;
        self
    }

    /// Stops after `d`.
    pub fn run_for(mut self, d: Duration) -> Trader {
        self.run_for = Some(d);
        self
    }

    /// How long shutdown waits for the exchange to confirm the cancels.
    pub fn grace(mut self, d: Duration) -> Trader {
        self.grace = d;
        self
    }

    /// Market-data settings (depth, snapshot pacing, pings).
    pub fn market_config(mut self, m: MarketConfig) -> Trader {
        self.market = m;
        self
    }

    /// Trading settings (risk and rate limits, client-id prefix, timeouts, order routing). Shutdown cancels the
    /// session's own orders unless `cancel_on_shutdown` is turned off here.
    pub fn trading_config(mut self, t: TradingConfig) -> Trader {
        self.trading = t;
        self
    }

    /// Runs `strategy` until the time limit, a signal or the strategy's `stop()`, then shuts down.
    pub fn run<S: Strategy>(self, strategy: S) -> Result<Run<S>, TraderError> {
        self.run_with(|_| Ok::<S, String>(strategy))
    }

    /// Builds the strategy from the symbols' trading rules (tick, lot, minimum size), in the order the symbols
    /// were added, then runs it as [`Trader::run`] does.
    pub fn run_with<S, E, F>(self, make: F) -> Result<Run<S>, TraderError>
    where
        S: Strategy,
        E: std::fmt::Display,
        F: FnOnce(&[SymbolRules]) -> Result<S, E>,
    {
        self.run_observed(make, |_, _: &Progress| true)
    }

    /// [`Trader::run_with`], calling `observe` off the hot path between loop slices (about every 50 ms) with the
    /// strategy and the run's [`Progress`]: to print what the strategy collected, or to end the run by returning
    /// `false`.
    pub fn run_observed<S, E, F, O>(self, make: F, mut observe: O) -> Result<Run<S>, TraderError>
    where
        S: Strategy,
        E: std::fmt::Display,
        F: FnOnce(&[SymbolRules]) -> Result<S, E>,
        O: FnMut(&mut S, &Progress) -> bool,
    {
        let Product::Spot = self.product;
        if self.symbols.is_empty() {
            return Err(TraderError::NoSymbols);
        }
        #[cfg(feature = "sim")]
        let (_sim, sim_urls) = match &self.simulator {
            Some(c) => {
                let sim = ascendex_sim::start(c.clone())
                    .map_err(|e| TraderError::Simulator(e.to_string()))?;
                let creds = Credentials::new(sim.api_key(), sim.api_secret())
                    .map_err(TraderError::Credentials)?;
                let urls = (sim.rest_url(), sim.ws_url(), sim.ca_file(), creds);
                (Some(sim), Some(urls))
            }
            None => (None, None),
        };
        // Only the embedded simulator (feature `sim`) overrides these three.
        #[cfg_attr(not(feature = "sim"), allow(unused_mut))]
        let mut rest_url = self.rest_url.clone();
        #[cfg_attr(not(feature = "sim"), allow(unused_mut))]
        let mut ws_url = self.ws_url.clone();
        #[cfg_attr(not(feature = "sim"), allow(unused_mut))]
        let mut ca_file = self.ca_file.clone();
        let paper = self.trading.paper.is_some();
        #[allow(unused_mut)]
        let mut env_creds = matches!(self.creds, Creds::Env) && !paper;
        #[allow(unused_mut)]
        let mut credentials = None;
        #[cfg(feature = "sim")]
        if let Some((r, w, ca, c)) = sim_urls {
            // The simulator's demo credentials stand in for the environment's.
            rest_url = r;
            ws_url = Some(w);
            ca_file = Some(ca);
            if env_creds {
                credentials = Some(c);
                env_creds = false;
            }
        }
        let credentials = match self.creds {
            Creds::Given(c) => Some(c),
            _ if env_creds => Some(Credentials::from_env().map_err(TraderError::Credentials)?),
            _ => credentials,
        };
        let ws_url = match ws_url {
            Some(w) => w,
            None => {
                bootstrap::public_ws_url(&rest_url).ok_or(TraderError::BadUrl(rest_url.clone()))?
            }
        };
        let cfg = SessionConfig {
            rest_url,
            ws_url,
            ca_file,
            account_group: self.account_group,
            symbols: self.symbols.clone(),
            credentials,
            key_derivation: KeyDerivation::RawSecret,
            market: self.market.clone(),
            trading: self.trading.clone(),
        };
        let (boot, offset) = bootstrap::fetch_with_clock(&cfg)?;
        let all = RulesTable::from_products_json(&boot.products).map_err(|e| {
            TraderError::Session(SessionError::Exchange {
                what: "trading rules",
                detail: e.to_string(),
            })
        })?;
        let mut rules = Vec::with_capacity(self.symbols.len());
        for s in &self.symbols {
            let r = all
                .by_name(s)
                .ok_or_else(|| TraderError::Session(SessionError::UnknownSymbol(s.clone())))?;
            rules.push(r.clone());
        }
        let strategy = make(&rules).map_err(|e| TraderError::Strategy(e.to_string()))?;
        let tls = crate::net::tls::client_config(cfg.ca_file.as_deref())
            .map_err(|e| TraderError::Session(SessionError::Tls(e)))?;
        let mut engine = Engine::new(tls, SESSION_TIMERS)?;
        let mut session = bootstrap::start_with(&mut engine, cfg, &boot, offset, strategy)?;
        let mut pin_failed = None;
        let ended = drive(
            &mut engine,
            &mut session,
            self.mode,
            self.run_for,
            &mut pin_failed,
            &mut observe,
        );
        // Whatever ended the run, the session's own orders are cancelled and confirmed before returning.
        let shut = session.shutdown(&mut engine, self.grace);
        let ended = ended?;
        shut?;
        let t = &session.trading;
        let open_after_shutdown = t.open_orders().count();
        let open_statuses: Vec<_> = t.open_orders().map(|(_, o)| o.status).collect();
        let balances = (0..t.asset_count())
            .filter_map(|i| {
                let a = crate::orders::types::AssetId(i as u16);
                let (name, _) = t.asset_info(a)?;
                let (total, available) = t.balance(a)?;
                Some(RunBalance {
                    asset: name.to_string(),
                    total,
                    available,
                })
            })
            .collect();
        let book_notes = book_notes(&session, &self.symbols, self.market.book_depth);
        let latency = session.latency();
        let trading_stats = session.trading.stats;
        Ok(Run {
            strategy: session.strategy,
            latency,
            ended,
            open_after_shutdown,
            balances,
            asset_scale: self.trading.asset_scale,
            paper,
            pin_failed,
            book_notes,
            open_statuses,
            trading_stats,
        })
    }
}

/// Why each book that is not in sync is not, from its synchronizer's counters.
fn book_notes<S>(session: &Session<S>, symbols: &[String], depth: usize) -> Vec<String> {
    let m = &session.market;
    let mut out = Vec::new();
    for (i, name) in symbols.iter().enumerate() {
        let id = crate::orders::types::SymbolId(i as u16);
        if m.is_live(id) {
            continue;
        }
        let Some(c) = m.sync_counters(id) else {
            continue;
        };
        let why = if c.snapshots == 0 {
            "no depth snapshot arrived".to_string()
        } else if c.out_of_window > 0 {
            format!(
                "{} snapshot(s) refused: the best {depth} levels do not fit the book's price window (a sparse \
                 book); lower MarketConfig::book_depth or raise book_window",
                c.out_of_window
            )
        } else if c.gaps + c.buffer_evictions > 0 {
            format!(
                "{} gap(s), {} diff(s) evicted while waiting for a snapshot",
                c.gaps, c.buffer_evictions
            )
        } else if c.crossed > 0 {
            format!("{} crossed book(s)", c.crossed)
        } else {
            format!(
                "{} snapshot(s), still waiting for one that bridges the diffs",
                c.snapshots
            )
        };
        out.push(format!("{name}: book not in sync: {why}"));
    }
    out
}

/// The loop in slices, so the clock, the signal flag, the strategy's stop and the observer are looked at between
/// them. A core that cannot be pinned is reported in `pin_failed` and the loop blocks instead.
fn drive<S: Strategy>(
    engine: &mut Engine,
    session: &mut Session<S>,
    mode: Mode,
    limit: Option<Duration>,
    pin_failed: &mut Option<usize>,
    observe: &mut impl FnMut(&mut S, &Progress) -> bool,
) -> Result<Ended, TraderError> {
    catch_interrupts();
    let mut mode = match mode {
        Mode::Block => RunMode::Block,
        Mode::Spin { core } => RunMode::Spin { core },
    };
    let start = Instant::now();
    loop {
        if interrupted() {
            return Ok(Ended::Signal);
        }
        let left = limit.map(|l| l.saturating_sub(start.elapsed()));
        if left == Some(Duration::ZERO) {
            return Ok(Ended::TimeLimit);
        }
        let slice = left.map_or(SLICE, |l| l.min(SLICE));
        match engine.run(session, mode, Some(slice)) {
            Ok(()) => {}
            Err(EngineError::Pin(core)) => {
                *pin_failed = Some(core);
                mode = RunMode::Block;
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        let st = &session.trading.stats;
        let progress = Progress {
            elapsed: start.elapsed(),
            started: session.is_started(),
            leftovers_cancelled: st.leftovers_cancelled,
            adopted: st.adopted,
            foreign_orders: st.foreign_orders,
        };
        if engine.stop_requested() || !observe(&mut session.strategy, &progress) {
            return Ok(Ended::Stopped);
        }
    }
}

impl<S> Run<S> {
    /// The percentile table of every latency probe (the same table `ascendex mm` prints).
    pub fn latency_table(&self) -> String {
        crate::metrics::report::table(&self.latency)
    }
}
