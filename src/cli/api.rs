//! One-shot REST for the CLI: public and signed requests over a fresh blocking connection, the exchange's
//! envelope checked, 429/5xx retried with backoff for a bounded time, every failure mapped to an exit status.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ClientConfig;
use serde_json::Value;

use super::out::{CliError, CliResult, Exit, Out};
use crate::net::http::HttpError;
use crate::net::oneshot;
use crate::net::tls::client_config;
use crate::venue::ascendex::auth::{ApiPath, Credentials, KeyDerivation, Signer};
use crate::venue::ascendex::rest::market::{ProductCategory, products_path};
use crate::venue::ascendex::rest::trading::{RestBuffers, RestRequest, account_info};
use crate::venue::ascendex::rules::RulesTable;
use crate::venue::ascendex::session::bootstrap::wall_ms;

/// How long one request may take, and how long 429/5xx answers are retried before giving up (exit 4).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const RETRY_FOR: Duration = Duration::from_secs(8);

/// The CLI's REST budget: a burst of `PACE_BURST` requests, then at most `PACE_PER_S` per second (every attempt,
/// retries included). The API documents no REST request rate (`ascendex-api/README.md` §12); this stays under
/// every per-minute threshold it does document except balance snapshots (the lowest, WebSocket sub/unsub level
/// 1, is 150/min; this is 120/min sustained), and near ccxt's 400 ms between requests.
pub const PACE_BURST: u32 = 5;
pub const PACE_PER_S: u32 = 2;

/// Exchange error codes that mean the credentials (or their use) are wrong, not the request.
fn is_auth_code(code: i64) -> bool {
    matches!(code, 100009 | 100010 | 100011 | 200001..=200005 | 200006)
}

/// A token bucket over wall time: `take` sleeps until a request may go.
#[derive(Debug)]
struct Pace {
    tokens: f64,
    at: Instant,
}

impl Pace {
    fn new() -> Pace {
        Pace {
            tokens: f64::from(PACE_BURST),
            at: Instant::now(),
        }
    }

    /// How long to wait before the next request (zero when a token is there); takes the token.
    fn take(&mut self) -> Duration {
        let now = Instant::now();
        let refill = now.duration_since(self.at).as_secs_f64() * f64::from(PACE_PER_S);
        self.tokens = (self.tokens + refill).min(f64::from(PACE_BURST));
        self.at = now;
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / f64::from(PACE_PER_S))
        }
    }
}

/// The REST side of one CLI invocation.
pub struct Api {
    tls: Arc<ClientConfig>,
    base: String,
    signer: Option<Signer>,
    group: Option<u32>,
    /// Why there is no signer (shown when a signed command runs).
    no_signer: Option<String>,
    pub bufs: RestBuffers,
    pace: RefCell<Pace>,
}

impl Api {
    pub fn new(
        rest_url: &str,
        ca_file: Option<&std::path::Path>,
        creds: Result<Credentials, String>,
        group: Option<u32>,
    ) -> CliResult<Api> {
        let tls = client_config(ca_file).map_err(|e| CliError::usage(format!("--ca-file: {e}")))?;
        let (signer, no_signer) = match creds {
            Ok(c) => match c.signer(KeyDerivation::RawSecret) {
                Ok(s) => (Some(s), None),
                Err(e) => (None, Some(e.to_string())),
            },
            Err(e) => (None, Some(e)),
        };
        Ok(Api {
            tls,
            base: rest_url.trim_end_matches('/').to_string(),
            signer,
            group,
            no_signer,
            bufs: RestBuffers::with_capacity(512),
            pace: RefCell::new(Pace::new()),
        })
    }

    /// Fails with exit 2 (nothing sent) when no credentials were given.
    pub fn require_credentials(&self) -> CliResult {
        match (&self.signer, &self.no_signer) {
            (Some(_), _) => Ok(()),
            (None, why) => Err(CliError::usage(format!(
                "this command needs API credentials: {}; set ASCENDEX_API_KEY and ASCENDEX_API_SECRET or pass \
                 --key-file FILE",
                why.as_deref().unwrap_or("none given")
            ))),
        }
    }

    /// The REST base URL (no trailing `/`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `METHOD URL` of a request, as error messages name it.
    pub fn request_name(&self, method: &str, path: &str) -> String {
        format!("{method} {}{path}", self.base)
    }

    /// GET of a public endpoint; returns `data`.
    pub fn public(&self, path: &str) -> CliResult<Value> {
        let body = self.send("GET", path, None, &[])?;
        envelope(&self.request_name("GET", path), &body)
    }

    /// A signed request built by one of `rest::trading`'s builders (already in `self.bufs`).
    pub fn signed_req(&self, r: RestRequest<'_>) -> CliResult<Value> {
        let path = String::from_utf8_lossy(r.path).into_owned();
        let body = r.body.to_vec();
        let method = r.method.as_str();
        let raw = self.send(method, &path, Some(r.prehash), &body)?;
        envelope(&self.request_name(method, &path), &raw)
    }

    /// The account group: `--account-group`, else `GET /api/pro/v1/info` (essential to signed commands: every
    /// private path carries the group).
    pub fn group(&mut self) -> CliResult<u32> {
        if let Some(g) = self.group {
            return Ok(g);
        }
        self.require_credentials()?;
        let r = account_info(&mut self.bufs);
        let (path, prehash) = (String::from_utf8_lossy(r.path).into_owned(), r.prehash);
        let name = self.request_name("GET", &path);
        let raw = self.send("GET", &path, Some(prehash), &[])?;
        let data = envelope(&name, &raw).map_err(|e| {
            if e.exit == super::out::Exit::Rejected {
                CliError::auth(e.code, e.message)
            } else {
                e
            }
        })?;
        let g = data
            .get("accountGroup")
            .and_then(as_i64)
            .and_then(|g| u32::try_from(g).ok())
            .ok_or_else(|| {
                CliError::network(format!(
                    "{name}: the answer has no accountGroup (pass --account-group N to skip this lookup)"
                ))
            })?;
        self.group = Some(g);
        Ok(g)
    }

    /// Trading rules of every cash symbol.
    pub fn rules(&self) -> CliResult<RulesTable> {
        let mut p = Vec::new();
        products_path(&mut p, ProductCategory::Cash);
        let path = String::from_utf8_lossy(&p).into_owned();
        let name = self.request_name("GET", &path);
        let body = self.send("GET", &path, None, &[])?;
        envelope(&name, &body)?;
        RulesTable::from_products_json(&body)
            .map_err(|e| CliError::network(format!("{name}: trading rules: {e}")))
    }

    /// The trading rules where a command can go on without them (symbol check and scales are then skipped): a
    /// failure is one warning on stderr, and `None`.
    pub fn optional_rules(&self, out: Out, why: &str) -> Option<RulesTable> {
        match self.rules() {
            Ok(r) => Some(r),
            Err(e) if e.exit == Exit::Usage => None,
            Err(e) => {
                out.warn(&format!("{}; going on without {why}", e.message));
                None
            }
        }
    }

    /// Sends with retries on 429/5xx (re-signing each attempt: the signature carries the time), paced by the
    /// CLI's request budget, waiting as long as `Retry-After` asks. Returns the body of a 2xx answer, or of a
    /// non-2xx answer that carries the exchange's JSON envelope (its code then decides the exit status).
    fn send(
        &self,
        method: &str,
        path: &str,
        prehash: Option<ApiPath>,
        body: &[u8],
    ) -> CliResult<Vec<u8>> {
        let name = self.request_name(method, path);
        let start = Instant::now();
        let mut pause = Duration::from_millis(200);
        loop {
            let wait = self.pace.borrow_mut().take();
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
            let mut hdr_store: Vec<(&str, String)> = Vec::new();
            if let Some(p) = prehash {
                let signer = self.signer.as_ref().ok_or_else(|| {
                    CliError::usage("this command needs API credentials (ASCENDEX_API_KEY/ASCENDEX_API_SECRET or --key-file)")
                })?;
                let h = signer.headers(wall_ms(), p);
                for (k, v) in h.pairs() {
                    hdr_store.push((k, String::from_utf8_lossy(v).into_owned()));
                }
            }
            let mut headers: Vec<(&str, &str)> =
                hdr_store.iter().map(|(k, v)| (*k, v.as_str())).collect();
            if !body.is_empty() {
                headers.push(("Content-Type", "application/json"));
            }
            let r = oneshot::request(
                &self.tls,
                &self.base,
                method,
                path,
                &headers,
                body,
                REQUEST_TIMEOUT,
            );
            let (status, retry_after) = match r {
                Ok(o) if (200..300).contains(&o.status) => return Ok(o.body),
                Ok(o) if o.status == 429 || o.status >= 500 => {
                    if let Some(until) = ban_in(&o.body) {
                        return Err(CliError::network(format!(
                            "{name}: HTTP {}: the exchange has banned this IP{}; retrying sooner would extend it",
                            o.status, until
                        )));
                    }
                    (o.status, o.retry_after_s)
                }
                Ok(o) => return non_2xx(&name, o.status, o.body),
                Err(HttpError::Status {
                    code,
                    retry_after_s,
                }) if code == 429 || code >= 500 => (code, retry_after_s),
                Err(e) => {
                    let text = e.to_string();
                    let hint = if text.contains("certificate") {
                        " (for a simulator or a private gateway, pass its CA with --ca-file)"
                    } else {
                        ""
                    };
                    return Err(CliError::network(format!("{name}: {text}{hint}")));
                }
            };
            // The server's own wait wins over our backoff when it asks for longer.
            let wait = match retry_after {
                Some(s) => pause.max(Duration::from_secs(s)),
                None => pause,
            };
            if start.elapsed() + wait > RETRY_FOR {
                let asked = retry_after.map_or(String::new(), |s| format!(" (Retry-After: {s} s)"));
                return Err(CliError::network(format!(
                    "{name}: HTTP {status}{asked}: still failing after {} s of retries",
                    start.elapsed().as_secs()
                )));
            }
            std::thread::sleep(wait);
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }
}

/// A ban the exchange announces in an answer's text ("… banned for 900000 ms", "… banned until 1644807691158"),
/// as a phrase for the error message.
fn ban_in(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let at = lower.find("banned")?;
    let tail = &lower[at..];
    let num = |after: &str| -> Option<u64> {
        let i = tail.find(after)? + after.len();
        let digits: String = tail[i..].chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    Some(if let Some(ms) = num("banned for ") {
        format!(" for {} s", ms / 1000)
    } else if let Some(until) = num("banned until ") {
        format!(" until {} UTC", super::market::utc(until))
    } else {
        String::new()
    })
}

/// A non-2xx answer that is not a throttle: the exchange's envelope when it sent one (exit 3/5 by its code),
/// else the status and the request, with what that status usually means.
fn non_2xx(name: &str, status: u16, body: Vec<u8>) -> CliResult<Vec<u8>> {
    if let Ok(v) = serde_json::from_slice::<Value>(&body)
        && v.get("code").and_then(as_i64).is_some_and(|c| c != 0)
    {
        return Ok(body);
    }
    let snippet: String = String::from_utf8_lossy(&body)
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect();
    let said = if snippet.trim().is_empty() {
        "an empty body".to_string()
    } else {
        format!("{:?}", snippet.trim())
    };
    Err(match status {
        300..=399 => CliError::network(format!(
            "{name}: HTTP {status} redirect ({said}): exchange APIs do not redirect; check --rest-url"
        )),
        401 => CliError::auth(
            i64::from(status),
            format!("{name}: HTTP 401 ({said}): check the API key, secret and the clock"),
        ),
        404 => CliError::network(format!(
            "{name}: HTTP 404 ({said}): no such endpoint at this server; check --rest-url"
        )),
        _ => CliError::rejected(
            i64::from(status),
            format!("{name}: the server refused the request with HTTP {status} ({said})"),
        ),
    })
}

/// An integer given as a number or a string.
pub fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Checks `{"code":0,"data":...}`; a non-zero code is a rejection (exit 3) or an authentication failure (exit 5).
/// `name` is the request (`GET https://…/api/pro/v1/spot/ticker?symbol=BTC/USDT`), named in every error.
pub fn envelope(name: &str, body: &[u8]) -> CliResult<Value> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        let what = if body.is_empty() {
            "an empty body".to_string()
        } else {
            format!("not JSON ({e})")
        };
        CliError::network(format!("{name}: the answer is {what}: check --rest-url"))
    })?;
    let code = v.get("code").and_then(as_i64).ok_or_else(|| {
        CliError::network(format!(
            "{name}: the answer has no `code` (not the exchange's envelope): check --rest-url"
        ))
    })?;
    if code != 0 {
        if let Some(how_long) = ban_in(body) {
            return Err(CliError::network(format!(
                "{name}: the exchange has banned this IP{how_long} (code {code}); retrying sooner would extend it"
            )));
        }
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let (reason, message) = (s("reason"), s("message"));
        let mut text = format!("{name}: the exchange refused: {code}");
        if !reason.is_empty() {
            text.push(' ');
            text.push_str(&reason);
        }
        if !message.is_empty() {
            text.push_str(": ");
            text.push_str(&message);
        }
        if let Some(e) = v.pointer("/info/errorCode").and_then(Value::as_str) {
            text.push_str(&format!(" ({e})"));
        }
        return Err(if is_auth_code(code) {
            CliError::auth(
                code,
                format!("{text} (check the API key, secret and the clock)"),
            )
        } else {
            CliError::rejected(code, text)
        });
    }
    Ok(v.get("data").cloned().unwrap_or(Value::Null))
}
