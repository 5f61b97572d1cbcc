//! Starting a session: the start-up REST calls (trading rules and product scales, the account group), then the
//! connections in the engine. Blocking and allocating; it runs once, before the loop.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Conns, MarketState, Session, SessionConfig, TradingState};
use crate::engine::{ConnSpec, Engine, EngineError};
use crate::net::http::HttpError;
use crate::net::oneshot;
use crate::net::tls::{TlsError, client_config};
use crate::orders::ClockOffset;
use crate::strategy::Strategy;
use crate::venue::ascendex::auth::{ApiPath, CredentialsError};
use crate::venue::ascendex::product::ProductApi;
use crate::venue::ascendex::rest::trading::{parse_account_info, parse_exchange_info};
use crate::venue::ascendex::spot::Spot;

/// Why a session could not start. Messages say what to check; none contains a secret.
#[derive(Debug)]
pub enum SessionError {
    Tls(TlsError),
    /// A start-up REST call failed (network, TLS, HTTP status).
    Rest {
        what: &'static str,
        err: HttpError,
    },
    /// The exchange answered a start-up call with an error or an unreadable body.
    Exchange {
        what: &'static str,
        detail: String,
    },
    /// Authentication failed (bad key or secret, clock skew).
    Auth(String),
    Credentials(CredentialsError),
    /// A configured symbol is not listed by the exchange.
    UnknownSymbol(String),
    Engine(EngineError),
}

impl std::fmt::Display for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionError::Tls(e) => write!(f, "{e}"),
            SessionError::Rest { what, err } => write!(f, "{what}: {err}"),
            SessionError::Exchange { what, detail } => {
                write!(f, "{what}: the exchange answered {detail}")
            }
            SessionError::Auth(d) => write!(
                f,
                "authentication failed: {d} (check the API key, secret and clock)"
            ),
            SessionError::Credentials(e) => write!(f, "{e}"),
            SessionError::UnknownSymbol(s) => {
                write!(f, "unknown symbol {s} (symbols look like BTC/USDT)")
            }
            SessionError::Engine(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SessionError {}

/// Wall-clock milliseconds (signatures and order times use exchange time; the trading half keeps the offset).
pub fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// What start-up learned from the exchange.
pub struct Bootstrap {
    /// The body of the product's rules source (`GET /api/pro/v1/cash/products` for spot): trading rules and
    /// scales for every symbol.
    pub products: Vec<u8>,
    pub account_group: Option<u32>,
    pub user_uid: Option<String>,
}

/// Measures the exchange clock with `/api/pro/v1/exchange-info?requestTime=` (the exchange echoes our send time
/// and gives its receive time). Three samples; the one with the shortest round trip wins.
fn measure_offset(tls: &std::sync::Arc<rustls::ClientConfig>, rest_url: &str) -> Option<i64> {
    let mut clock = ClockOffset::new();
    for _ in 0..3 {
        let sent = wall_ms();
        let path = format!("/api/pro/v1/exchange-info?requestTime={sent}");
        let Ok(r) = oneshot::request(
            tls,
            rest_url,
            "GET",
            &path,
            &[],
            &[],
            Duration::from_secs(5),
        ) else {
            continue;
        };
        let recv = wall_ms() as i64;
        if let Ok(info) = parse_exchange_info(&r.body) {
            clock.add(info.sample(recv));
        }
    }
    clock.error_ms().map(|_| clock.offset_ms())
}

/// Fetches what the session needs before the loop starts.
pub fn fetch(cfg: &SessionConfig) -> Result<Bootstrap, SessionError> {
    fetch_with_clock(cfg).map(|(boot, _)| boot)
}

/// [`fetch`], plus the exchange clock offset measured on the way (with credentials), which signs the first upgrade.
pub fn fetch_with_clock(cfg: &SessionConfig) -> Result<(Bootstrap, Option<i64>), SessionError> {
    fetch_product::<Spot>(cfg)
}

/// [`fetch_with_clock`] for product `P`: its rules source.
pub fn fetch_product<P: ProductApi>(
    cfg: &SessionConfig,
) -> Result<(Bootstrap, Option<i64>), SessionError> {
    let tls = client_config(cfg.ca_file.as_deref()).map_err(SessionError::Tls)?;
    let timeout = Duration::from_secs(10);
    let r = oneshot::request(&tls, &cfg.rest_url, "GET", P::RULES_PATH, &[], &[], timeout)
        .map_err(|err| SessionError::Rest {
            what: "loading products",
            err,
        })?;
    if r.status != 200 {
        return Err(SessionError::Exchange {
            what: "loading products",
            detail: format!("HTTP {}", r.status),
        });
    }
    let products = r.body;
    let (mut account_group, mut user_uid) = (cfg.account_group, None);
    let mut measured = None;
    if let Some(creds) = &cfg.credentials {
        // Sign with exchange time: a local clock off by more than the 30 s window must not stop start-up. (The
        // trading half keeps measuring the offset once the loop runs.)
        measured = measure_offset(&tls, &cfg.rest_url);
        let offset = measured.unwrap_or(0);
        let ts = (wall_ms() as i64 + offset).max(0) as u64;
        let signer = creds
            .signer(cfg.key_derivation)
            .map_err(SessionError::Credentials)?;
        let hdr = signer.headers(ts, ApiPath::Info);
        let pairs = hdr.pairs();
        let headers: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (*k, std::str::from_utf8(v).unwrap_or_default()))
            .collect();
        let r = oneshot::request(
            &tls,
            &cfg.rest_url,
            "GET",
            "/api/pro/v1/info",
            &headers,
            &[],
            timeout,
        )
        .map_err(|err| SessionError::Rest {
            what: "account info",
            err,
        })?;
        match parse_account_info(&r.body) {
            Ok(info) => {
                account_group = account_group.or(Some(info.account_group));
                user_uid = Some(info.user_uid);
            }
            Err(e) => return Err(SessionError::Auth(e.to_string())),
        }
    }
    Ok((
        Bootstrap {
            products,
            account_group,
            user_uid,
        },
        measured,
    ))
}

/// The public stream URL of a REST base: `https://HOST[:PORT][/...]` → `wss://HOST[:PORT]/api/pro/v1/stream`;
/// `None` when the base is not `https://` with a host.
pub fn public_ws_url(rest_url: &str) -> Option<String> {
    public_ws_url_for::<Spot>(rest_url)
}

/// [`public_ws_url`] of product `P`'s stream.
pub fn public_ws_url_for<P: ProductApi>(rest_url: &str) -> Option<String> {
    let host = rest_url.strip_prefix("https://")?.split('/').next()?;
    (!host.is_empty()).then(|| format!("wss://{host}{}", P::STREAM_PATH))
}

/// The authenticated stream URL: the account group inserted as the first path segment.
pub fn private_ws_url(public: &str, group: u32) -> String {
    match public
        .find("://")
        .and_then(|i| public[i + 3..].find('/').map(|j| i + 3 + j))
    {
        Some(at) => format!("{}/{group}{}", &public[..at], &public[at..]),
        None => format!("{public}/{group}{}", Spot::STREAM_PATH),
    }
}

/// Runs start-up and adds the session's connections to `engine`.
pub fn start<S: Strategy>(
    engine: &mut Engine,
    cfg: SessionConfig,
    strategy: S,
) -> Result<Session<S>, SessionError> {
    start_product::<S, Spot>(engine, cfg, strategy)
}

/// [`start`] for product `P`.
pub fn start_product<S: Strategy, P: ProductApi>(
    engine: &mut Engine,
    cfg: SessionConfig,
    strategy: S,
) -> Result<Session<S, P>, SessionError> {
    let (boot, offset) = fetch_product::<P>(&cfg)?;
    start_with(engine, cfg, &boot, offset, strategy)
}

/// [`start`] from what [`fetch_with_clock`] already learned (a caller that read the rules first, such as the
/// builder, does not fetch them twice).
pub fn start_with<S: Strategy, P: ProductApi>(
    engine: &mut Engine,
    cfg: SessionConfig,
    boot: &Bootstrap,
    offset: Option<i64>,
    strategy: S,
) -> Result<Session<S, P>, SessionError> {
    let rules = P::parse_rules(&boot.products).map_err(|e| SessionError::Exchange {
        what: "reading products",
        detail: e.to_string(),
    })?;
    let market = MarketState::with_rules(&cfg, &rules)?;
    let mut trading = TradingState::<P>::new(&cfg, boot)?;
    if let Some(o) = offset {
        trading.seed_clock_offset(o);
    }
    let md = engine
        .add(ConnSpec::websocket(&cfg.ws_url, vec![]).map_err(SessionError::Engine)?)
        .map_err(SessionError::Engine)?;
    let md_rest = engine
        .add(ConnSpec::http(&cfg.rest_url).map_err(SessionError::Engine)?)
        .map_err(SessionError::Engine)?;
    let (trade, trade_rest) = match (&cfg.credentials, boot.account_group) {
        (Some(_), Some(group)) => {
            let url = private_ws_url(&cfg.ws_url, group);
            let t = engine
                .add(trading.trade_ws_spec(&url).map_err(SessionError::Engine)?)
                .map_err(SessionError::Engine)?;
            let r = engine
                .add(ConnSpec::http(&cfg.rest_url).map_err(SessionError::Engine)?)
                .map_err(SessionError::Engine)?;
            (Some(t), Some(r))
        }
        _ => (None, None),
    };
    Ok(Session::from_parts(
        strategy,
        Conns {
            md,
            md_rest,
            trade,
            trade_rest,
        },
        market,
        trading,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_url_inserts_the_group() {
        assert_eq!(
            private_ws_url("wss://ascendex.com/api/pro/v1/stream", 7),
            "wss://ascendex.com/7/api/pro/v1/stream"
        );
        assert_eq!(
            private_ws_url("wss://127.0.0.1:8443/api/pro/v2/stream", 12),
            "wss://127.0.0.1:8443/12/api/pro/v2/stream"
        );
    }
}
