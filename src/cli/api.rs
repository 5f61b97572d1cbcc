//! One-shot REST for the CLI: public and signed requests over a fresh blocking connection, the exchange's
//! envelope checked, 429/5xx retried with backoff for a bounded time, every failure mapped to an exit status.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ClientConfig;
use serde_json::Value;

use super::out::{CliError, CliResult};
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

/// Exchange error codes that mean the credentials (or their use) are wrong, not the request.
fn is_auth_code(code: i64) -> bool {
    matches!(code, 100009 | 100010 | 100011 | 200001..=200005 | 200006)
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

    /// GET of a public endpoint; returns `data`.
    pub fn public(&self, path: &str) -> CliResult<Value> {
        let body = self.send("GET", path, None, &[])?;
        envelope(&body)
    }

    /// A signed request built by one of `rest::trading`'s builders (already in `self.bufs`).
    pub fn signed_req(&self, r: RestRequest<'_>) -> CliResult<Value> {
        let path = String::from_utf8_lossy(r.path).into_owned();
        let body = r.body.to_vec();
        let raw = self.send(r.method.as_str(), &path, Some(r.prehash), &body)?;
        envelope(&raw)
    }

    /// The account group: `--account-group`, else `GET /api/pro/v1/info`.
    pub fn group(&mut self) -> CliResult<u32> {
        if let Some(g) = self.group {
            return Ok(g);
        }
        self.require_credentials()?;
        let r = account_info(&mut self.bufs);
        let (path, prehash) = (String::from_utf8_lossy(r.path).into_owned(), r.prehash);
        let raw = self.send("GET", &path, Some(prehash), &[])?;
        let data = envelope(&raw).map_err(|e| {
            if e.exit == super::out::Exit::Rejected {
                CliError::auth(e.code, format!("account info: {}", e.message))
            } else {
                e
            }
        })?;
        let g = data
            .get("accountGroup")
            .and_then(as_i64)
            .and_then(|g| u32::try_from(g).ok())
            .ok_or_else(|| CliError::network("account info answer has no accountGroup"))?;
        self.group = Some(g);
        Ok(g)
    }

    /// Trading rules of every cash symbol.
    pub fn rules(&self) -> CliResult<RulesTable> {
        let mut p = Vec::new();
        products_path(&mut p, ProductCategory::Cash);
        let body = self.send("GET", &String::from_utf8_lossy(&p), None, &[])?;
        envelope(&body)?;
        RulesTable::from_products_json(&body)
            .map_err(|e| CliError::network(format!("trading rules: {e}")))
    }

    /// Sends with retries on 429/5xx (re-signing each attempt: the signature carries the time).
    fn send(
        &self,
        method: &str,
        path: &str,
        prehash: Option<ApiPath>,
        body: &[u8],
    ) -> CliResult<Vec<u8>> {
        let start = Instant::now();
        let mut pause = Duration::from_millis(200);
        loop {
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
            let retry = match &r {
                Ok(o) if o.status == 429 || o.status >= 500 => {
                    format!("HTTP {} from {}", o.status, self.base)
                }
                Ok(o) => {
                    // Any other status: the body usually carries the exchange's code; let the envelope decide.
                    if o.status >= 300 && o.body.is_empty() {
                        return Err(CliError::network(format!(
                            "HTTP {} from {}{path}: check --rest-url",
                            o.status, self.base
                        )));
                    }
                    return Ok(r.map(|o| o.body).unwrap_or_default());
                }
                Err(HttpError::Status { code, .. }) if *code == 429 || *code >= 500 => {
                    format!("HTTP {code} from {}", self.base)
                }
                Err(e) => {
                    let text = e.to_string();
                    let hint = if text.contains("certificate") {
                        " (for a simulator or a private gateway, pass its CA with --ca-file)"
                    } else {
                        ""
                    };
                    return Err(CliError::network(format!(
                        "{method} {}: {text}{hint}",
                        self.base
                    )));
                }
            };
            if start.elapsed() + pause > RETRY_FOR {
                return Err(CliError::network(format!(
                    "{retry}: still failing after {} s of retries",
                    RETRY_FOR.as_secs()
                )));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }
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
pub fn envelope(body: &[u8]) -> CliResult<Value> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        CliError::network(format!(
            "the server's answer is not JSON ({e}): check --rest-url"
        ))
    })?;
    let code = v
        .get("code")
        .and_then(as_i64)
        .ok_or_else(|| CliError::network("the server's answer has no `code`: check --rest-url"))?;
    if code != 0 {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let (reason, message) = (s("reason"), s("message"));
        let mut text = format!("the exchange refused: {code}");
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
