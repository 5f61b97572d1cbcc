//! AscendEX request signing and credentials.
//!
//! `signature = base64_std(HMAC-SHA256(key, "<timestamp>+<prehash path>"))` (README §3). The keyed HMAC state is
//! prepared once and cloned per signature; the base64 text goes into a stack buffer, so signing allocates nothing.
//! The prehash path is per endpoint ([`ApiPath`]), never the URL path; the account group is never part of it.
//!
//! Secrets: [`Credentials`] holds the key and secret in one place, wipes them on drop, and never prints the secret
//! (`Debug` shows the first four characters of the key only). No error message contains either.

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::net::ws::HeaderSource;

type HmacSha256 = Hmac<Sha256>;

/// Environment variable holding the API key.
pub const ENV_KEY: &str = "ASCENDEX_API_KEY";
/// Environment variable holding the API secret.
pub const ENV_SECRET: &str = "ASCENDEX_API_SECRET";

/// How the HMAC key is derived from the secret string. The docs' test vector (and ccxt REST) use the raw bytes;
/// the demo's `util.py`, the futures WS snippet and ccxt WS base64-decode it first (README §13.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyDerivation {
    /// The secret's UTF-8 bytes are the key (documented default).
    #[default]
    RawSecret,
    /// The secret is base64 text; its decoded bytes are the key.
    Base64DecodedSecret,
}

/// Why credentials could not be loaded. Never carries the key or the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsError {
    /// The variable is not set.
    MissingEnv(&'static str),
    /// A key file lacks this `NAME=value` line.
    MissingInFile { path: String, name: &'static str },
    /// Empty key or secret.
    Empty(&'static str),
    /// Characters that cannot appear in an AscendEX key or secret (whitespace, quotes, control characters).
    BadCharacters(&'static str),
    /// The key file could not be read.
    Read { path: String, error: String },
    /// The key file is readable (or writable) by group or others: `chmod 600` it.
    TooOpen { path: String, mode: u32 },
    /// A line that is neither blank, a `#` comment, nor `NAME=value`.
    Malformed { path: String, line: usize },
    /// [`KeyDerivation::Base64DecodedSecret`] with a secret that is not valid base64.
    SecretNotBase64,
    /// An API key longer than the signer holds (AscendEX keys are 32 characters).
    KeyTooLong { len: usize, max: usize },
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsError::MissingEnv(v) => write!(f, "environment variable {v} is not set"),
            CredentialsError::MissingInFile { path, name } => {
                write!(f, "key file {path} has no {name}=... line")
            }
            CredentialsError::Empty(what) => write!(f, "{what} is empty"),
            CredentialsError::BadCharacters(what) => {
                write!(
                    f,
                    "{what} contains whitespace, quotes or control characters"
                )
            }
            CredentialsError::Read { path, error } => {
                write!(f, "cannot read key file {path}: {error}")
            }
            CredentialsError::TooOpen { path, mode } => write!(
                f,
                "key file {path} has mode {mode:03o}: it must not be accessible by group or others (chmod 600 {path})"
            ),
            CredentialsError::Malformed { path, line } => {
                write!(f, "key file {path} line {line} is not NAME=value")
            }
            CredentialsError::SecretNotBase64 => f.write_str(
                "the API secret is not valid base64 (needed by the base64-decoded key derivation)",
            ),
            CredentialsError::KeyTooLong { len, max } => {
                write!(
                    f,
                    "API key has {len} characters; at most {max} are supported"
                )
            }
        }
    }
}

impl std::error::Error for CredentialsError {}

/// The API key and secret that sign private REST requests and the trade socket's login. Both strings are wiped
/// from memory on drop, and `Debug` shows only the key's first four characters, never the secret. Build it from
/// the environment ([`Credentials::from_env`]), a key file ([`Credentials::from_key_file`]) or two strings
/// ([`Credentials::new`]); the [`Trader`](crate::builder::Trader) builder reads the environment by itself.
pub struct Credentials {
    key: String,
    secret: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.key.chars().take(4).collect();
        write!(f, "Credentials {{ key: \"{shown}…\", secret: <redacted> }}")
    }
}

impl Drop for Credentials {
    fn drop(&mut self) {
        self.key.zeroize();
        self.secret.zeroize();
    }
}

fn check_token(s: &str, what: &'static str) -> Result<(), CredentialsError> {
    if s.is_empty() {
        return Err(CredentialsError::Empty(what));
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\' && b != b'\'')
    {
        return Err(CredentialsError::BadCharacters(what));
    }
    Ok(())
}

impl Credentials {
    /// Takes ownership of the strings (they are wiped on drop). Each must be non-empty printable ASCII without
    /// quotes or backslashes ([`CredentialsError::Empty`], [`CredentialsError::BadCharacters`]): a key pasted with
    /// its quotes or a trailing newline is refused here rather than failing every signature later.
    pub fn new(key: String, secret: String) -> Result<Credentials, CredentialsError> {
        let c = Credentials { key, secret };
        check_token(&c.key, "API key")?;
        check_token(&c.secret, "API secret")?;
        Ok(c)
    }

    /// From `ASCENDEX_API_KEY` and `ASCENDEX_API_SECRET`; [`CredentialsError::MissingEnv`] names the variable that
    /// is not set.
    pub fn from_env() -> Result<Credentials, CredentialsError> {
        let key = std::env::var(ENV_KEY).map_err(|_| CredentialsError::MissingEnv(ENV_KEY))?;
        let secret =
            std::env::var(ENV_SECRET).map_err(|_| CredentialsError::MissingEnv(ENV_SECRET))?;
        Credentials::new(key, secret)
    }

    /// From a file of `ASCENDEX_API_KEY=...` and `ASCENDEX_API_SECRET=...` lines (blank lines, `#` comments and an
    /// `export ` prefix allowed). The file must not be accessible by group or others.
    pub fn from_key_file(path: &Path) -> Result<Credentials, CredentialsError> {
        let shown = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|e| CredentialsError::Read {
            path: shown.clone(),
            error: e.to_string(),
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(CredentialsError::TooOpen { path: shown, mode });
            }
        }
        // A key file is a few lines: anything else (a device, a FIFO, a large file named by mistake) is refused
        // before it is read, so memory stays bounded.
        if !meta.is_file() || meta.len() > 64 * 1024 {
            return Err(CredentialsError::Read {
                path: shown,
                error: "not a regular file of at most 64 KiB".into(),
            });
        }
        let mut text = std::fs::read_to_string(path).map_err(|e| CredentialsError::Read {
            path: shown.clone(),
            error: e.to_string(),
        })?;
        let parsed = Self::parse_key_file(&text, &shown);
        text.zeroize();
        parsed
    }

    fn parse_key_file(text: &str, shown: &str) -> Result<Credentials, CredentialsError> {
        // Zeroizing holders: a value replaced by a repeated line, or dropped on an error, is wiped too.
        let mut key: Option<Zeroizing<String>> = None;
        let mut secret: Option<Zeroizing<String>> = None;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let (name, value) = line.split_once('=').ok_or(CredentialsError::Malformed {
                path: shown.to_string(),
                line: n + 1,
            })?;
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(value);
            match name.trim() {
                ENV_KEY => key = Some(Zeroizing::new(value.to_string())),
                ENV_SECRET => secret = Some(Zeroizing::new(value.to_string())),
                _ => {}
            }
        }
        match (key, secret) {
            // Moved out, not copied: the holders are left empty.
            (Some(mut key), Some(mut secret)) => {
                Credentials::new(std::mem::take(&mut *key), std::mem::take(&mut *secret))
            }
            // Whatever was read is wiped as the holders drop.
            (key, _) => Err(CredentialsError::MissingInFile {
                path: shown.to_string(),
                name: if key.is_none() { ENV_KEY } else { ENV_SECRET },
            }),
        }
    }

    /// The API key (sent in clear in `x-auth-key`; not a secret by itself, but do not log it).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Prepares the keyed HMAC once; sign with the returned [`Signer`].
    pub fn signer(&self, derivation: KeyDerivation) -> Result<Signer, CredentialsError> {
        if self.key.len() > MAX_KEY_LEN {
            return Err(CredentialsError::KeyTooLong {
                len: self.key.len(),
                max: MAX_KEY_LEN,
            });
        }
        let mac = match derivation {
            KeyDerivation::RawSecret => HmacSha256::new_from_slice(self.secret.as_bytes()),
            KeyDerivation::Base64DecodedSecret => {
                let mut raw = STANDARD
                    .decode(self.secret.as_bytes())
                    .map_err(|_| CredentialsError::SecretNotBase64)?;
                let mac = HmacSha256::new_from_slice(&raw);
                raw.zeroize();
                mac
            }
        }
        // HMAC takes keys of any length; this cannot fail, but no panic either way.
        .map_err(|_| CredentialsError::Empty("API secret"))?;
        let mut key = [0u8; MAX_KEY_LEN];
        let n = self.key.len();
        key[..n].copy_from_slice(&self.key.as_bytes()[..n]);
        Ok(Signer {
            mac,
            key,
            key_len: n as u8,
        })
    }
}

const MAX_KEY_LEN: usize = 128;

/// Prehash paths per endpoint (README §5). The account group and query string are never part of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiPath {
    /// `GET /api/pro/v1/info`.
    Info,
    /// `GET /api/pro/v2/account/info`.
    AccountInfoV2,
    /// Cash or margin balance.
    Balance,
    MarginRisk,
    Transfer,
    /// Fee endpoints (spot; the futures docs say `fee/info` for one of them, README §13.2).
    Fee,
    /// Place or cancel one order.
    Order,
    /// Cancel all.
    OrderAll,
    /// Batch place or cancel.
    OrderBatch,
    OrderOpen,
    OrderStatus,
    OrderHistCurrent,
    /// `GET /api/pro/data/v2/order/hist`.
    DataOrderHistV2,
    /// Deprecated order history.
    OrderHist,
    WalletDepositAddress,
    WalletTransactions,
    /// Spot WebSocket (v1 stream).
    Stream,
    /// Futures WebSocket (v2 stream).
    StreamV2,
    FuturesOrder,
    FuturesOrderAll,
    FuturesOrderBatch,
    FuturesOrderOpen,
    FuturesOrderStatus,
    FuturesOrderHistCurrent,
    FuturesPosition,
    /// Anything else, spelled as the docs give it.
    Other(&'static str),
}

impl ApiPath {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiPath::Info => "info",
            ApiPath::AccountInfoV2 => "v2/account/info",
            ApiPath::Balance => "balance",
            ApiPath::MarginRisk => "margin/risk",
            ApiPath::Transfer => "transfer",
            ApiPath::Fee => "fee",
            ApiPath::Order => "order",
            ApiPath::OrderAll => "order/all",
            ApiPath::OrderBatch => "order/batch",
            ApiPath::OrderOpen => "order/open",
            ApiPath::OrderStatus => "order/status",
            ApiPath::OrderHistCurrent => "order/hist/current",
            ApiPath::DataOrderHistV2 => "data/v2/order/hist",
            ApiPath::OrderHist => "order/hist",
            ApiPath::WalletDepositAddress => "wallet/deposit/address",
            ApiPath::WalletTransactions => "wallet/transactions",
            ApiPath::Stream => "stream",
            ApiPath::StreamV2 => "v2/stream",
            ApiPath::FuturesOrder => "v2/futures/order",
            ApiPath::FuturesOrderAll => "v2/futures/order/all",
            ApiPath::FuturesOrderBatch => "v2/futures/order/batch",
            ApiPath::FuturesOrderOpen => "v2/futures/order/open",
            ApiPath::FuturesOrderStatus => "v2/futures/order/status",
            ApiPath::FuturesOrderHistCurrent => "v2/futures/order/hist/current",
            ApiPath::FuturesPosition => "v2/futures/position",
            ApiPath::Other(s) => s,
        }
    }
}

/// A millisecond timestamp as decimal text, on the stack.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    buf: [u8; 20],
    len: u8,
    ms: u64,
}

impl Timestamp {
    pub fn new(ms: u64) -> Timestamp {
        let mut buf = [0u8; 20];
        let mut digits = [0u8; 20];
        let mut n = ms;
        let mut nd = 0;
        loop {
            digits[nd] = b'0' + (n % 10) as u8;
            n /= 10;
            nd += 1;
            if n == 0 {
                break;
            }
        }
        for i in 0..nd {
            buf[i] = digits[nd - 1 - i];
        }
        Timestamp {
            buf,
            len: nd as u8,
            ms,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or("0")
    }

    pub fn ms(&self) -> u64 {
        self.ms
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signature: 44 bytes of padded standard base64.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature([u8; 44]);

impl Signature {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A signature is not the secret, but it authorises one request for 30 s: keep it out of logs too.
        f.write_str("Signature(<redacted>)")
    }
}

/// The three `x-auth-*` header values for one request (REST, or the WebSocket upgrade).
#[derive(Clone, Copy)]
pub struct AuthHeaders<'a> {
    pub key: &'a str,
    pub timestamp: Timestamp,
    pub signature: Signature,
}

impl<'a> AuthHeaders<'a> {
    pub const KEY: &'static str = "x-auth-key";
    pub const TIMESTAMP: &'static str = "x-auth-timestamp";
    pub const SIGNATURE: &'static str = "x-auth-signature";

    /// `(name, value)` pairs, ready for an HTTP request writer.
    pub fn pairs(&self) -> [(&'static str, &[u8]); 3] {
        [
            (Self::KEY, self.key.as_bytes()),
            (Self::TIMESTAMP, self.timestamp.as_bytes()),
            (Self::SIGNATURE, self.signature.as_bytes()),
        ]
    }

    /// Appends `name: value\r\n` for the three headers to a reused buffer.
    pub fn write_http(&self, out: &mut Vec<u8>) {
        for (name, value) in self.pairs() {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
    }
}

impl fmt::Debug for AuthHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthHeaders")
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

/// Signs requests with a keyed HMAC prepared once. Cheap to use, allocation-free.
#[derive(Clone)]
pub struct Signer {
    mac: HmacSha256,
    key: [u8; MAX_KEY_LEN],
    key_len: u8,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer { <redacted> }")
    }
}

impl Drop for Signer {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl Signer {
    pub fn key(&self) -> &str {
        std::str::from_utf8(&self.key[..self.key_len as usize]).unwrap_or("")
    }

    /// `base64(HMAC(key, "<ts>+<path>"))`.
    pub fn sign_raw(&self, timestamp: &[u8], prehash_path: &[u8]) -> Signature {
        let mut mac = self.mac.clone();
        mac.update(timestamp);
        mac.update(b"+");
        mac.update(prehash_path);
        let digest = mac.finalize().into_bytes();
        let mut out = [0u8; 44];
        // 32 bytes always encode to exactly 44 characters.
        let _ = STANDARD.encode_slice(digest.as_slice(), &mut out);
        Signature(out)
    }

    pub fn sign(&self, ts: Timestamp, path: ApiPath) -> Signature {
        self.sign_raw(ts.as_bytes(), path.as_str().as_bytes())
    }

    /// Header values for a request at `ts_ms` to an endpoint with this prehash path.
    pub fn headers(&self, ts_ms: u64, path: ApiPath) -> AuthHeaders<'_> {
        let timestamp = Timestamp::new(ts_ms);
        AuthHeaders {
            key: self.key(),
            timestamp,
            signature: self.sign(timestamp, path),
        }
    }

    /// Writes the WebSocket `auth` message into `out` (cleared first):
    /// `{"op":"auth","id":"<id>","t":<ms>,"key":"<key>","sig":"<sig>"}`, plus `"ack":"ready"` for ready-ack mode.
    /// `stream` is [`ApiPath::Stream`] (spot v1) or [`ApiPath::StreamV2`] (futures). `id` must be `[A-Za-z0-9]`.
    pub fn write_ws_auth(
        &self,
        out: &mut Vec<u8>,
        id: &str,
        ts_ms: u64,
        stream: ApiPath,
        ready_ack: bool,
    ) {
        let ts = Timestamp::new(ts_ms);
        let sig = self.sign(ts, stream);
        out.clear();
        out.extend_from_slice(b"{\"op\":\"auth\",\"id\":\"");
        for b in id.bytes().filter(|b| b.is_ascii_alphanumeric()) {
            out.push(b);
        }
        out.extend_from_slice(b"\",\"t\":");
        out.extend_from_slice(ts.as_bytes());
        out.extend_from_slice(b",\"key\":\"");
        out.extend_from_slice(&self.key[..self.key_len as usize]);
        out.extend_from_slice(b"\",\"sig\":\"");
        out.extend_from_slice(sig.as_bytes());
        out.push(b'"');
        if ready_ack {
            out.extend_from_slice(b",\"ack\":\"ready\"");
        }
        out.push(b'}');
    }
}

/// Signs the WebSocket upgrade (the `x-auth-*` headers, README §4 option A) at every connect, with exchange time:
/// the wall clock plus the offset the trading half keeps measuring. Shared between the trading half (which updates
/// the offset) and the engine (which writes the headers when a connection's TLS handshake completes).
pub struct UpgradeSigner {
    signer: Signer,
    stream: ApiPath,
    clock: fn() -> u64,
    offset_ms: AtomicI64,
    measured: AtomicBool,
    /// The timestamp of the last headers written (0 = none yet) and whether the offset was measured then.
    last_ts_ms: AtomicU64,
    last_measured: AtomicBool,
    signed: AtomicU64,
}

fn system_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl UpgradeSigner {
    /// `stream` is [`ApiPath::Stream`] (spot v1) or [`ApiPath::StreamV2`] (futures).
    pub fn new(signer: Signer, stream: ApiPath) -> UpgradeSigner {
        Self::with_clock(signer, stream, system_ms)
    }

    /// With another wall clock (ms since the epoch), for tests.
    pub fn with_clock(signer: Signer, stream: ApiPath, clock: fn() -> u64) -> UpgradeSigner {
        UpgradeSigner {
            signer,
            stream,
            clock,
            offset_ms: AtomicI64::new(0),
            measured: AtomicBool::new(false),
            last_ts_ms: AtomicU64::new(0),
            last_measured: AtomicBool::new(false),
            signed: AtomicU64::new(0),
        }
    }

    /// Exchange clock minus local clock, as last measured.
    pub fn set_offset(&self, offset_ms: i64) {
        self.offset_ms.store(offset_ms, Ordering::Relaxed);
        self.measured.store(true, Ordering::Relaxed);
    }

    /// The timestamp (exchange ms) of the last headers written, if any.
    pub fn last_timestamp_ms(&self) -> Option<u64> {
        match self.last_ts_ms.load(Ordering::Relaxed) {
            0 => None,
            t => Some(t),
        }
    }

    /// Whether the last headers were signed with a measured exchange clock (a refusal of headers signed with an
    /// unmeasured clock may only mean the local clock is off).
    pub fn last_signed_with_measured_clock(&self) -> bool {
        self.last_measured.load(Ordering::Relaxed)
    }

    /// How many times headers were written (one per connect attempt that reached the upgrade).
    pub fn signed_count(&self) -> u64 {
        self.signed.load(Ordering::Relaxed)
    }
}

impl HeaderSource for UpgradeSigner {
    fn write_headers(&self, out: &mut Vec<u8>) {
        let ts = ((self.clock)() as i64)
            .saturating_add(self.offset_ms.load(Ordering::Relaxed))
            .max(1) as u64;
        self.last_ts_ms.store(ts, Ordering::Relaxed);
        self.last_measured
            .store(self.measured.load(Ordering::Relaxed), Ordering::Relaxed);
        self.signed.fetch_add(1, Ordering::Relaxed);
        self.signer.headers(ts, self.stream).write_http(out);
    }
}

impl fmt::Debug for UpgradeSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpgradeSigner")
            .field("stream", &self.stream)
            .field("offset_ms", &self.offset_ms.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC_SECRET: &str = "hV8FgjyJtpvVeAcMAgzgAFQCN36wmbWuN7o3WPcYcYhFd8qvE43gzFGVsFcCqMNk";
    const DOC_KEY: &str = "CEcrjGyipqt0OflgdQQSRGdrDXdDUY2x";

    fn creds() -> Credentials {
        Credentials::new(DOC_KEY.into(), DOC_SECRET.into()).unwrap()
    }

    #[test]
    fn docs_test_vector_raw_secret() {
        let s = creds().signer(KeyDerivation::RawSecret).unwrap();
        let sig = s.sign(Timestamp::new(1608133910000), ApiPath::Info);
        assert_eq!(sig.as_str(), "/pwaAgWZQ1Xd/J4yZ4ReHSPQxd3ORP/YR8TvAttqqYM=");
        // Signing twice from the same prepared state gives the same result (the state is cloned, not consumed).
        assert_eq!(s.sign(Timestamp::new(1608133910000), ApiPath::Info), sig);
    }

    #[test]
    fn docs_test_vector_base64_decoded_secret() {
        let s = creds().signer(KeyDerivation::Base64DecodedSecret).unwrap();
        let sig = s.sign(Timestamp::new(1608133910000), ApiPath::Info);
        assert_eq!(sig.as_str(), "iT09ogK94xN6wScfMs0CXbE4jsYkQJpJ5egMfIo1U4I=");
    }

    #[test]
    fn overlong_key_refused() {
        let c = Credentials::new("k".repeat(129), "s".into()).unwrap();
        assert_eq!(
            c.signer(KeyDerivation::RawSecret).err(),
            Some(CredentialsError::KeyTooLong { len: 129, max: 128 })
        );
        assert!(
            Credentials::new("k".repeat(128), "s".into())
                .unwrap()
                .signer(KeyDerivation::RawSecret)
                .is_ok()
        );
    }

    #[test]
    fn base64_derivation_refuses_non_base64() {
        let c = Credentials::new("k".into(), "not*base64".into()).unwrap();
        assert_eq!(
            c.signer(KeyDerivation::Base64DecodedSecret).err(),
            Some(CredentialsError::SecretNotBase64)
        );
    }

    #[test]
    fn headers_and_ws_auth_message() {
        let s = creds().signer(KeyDerivation::RawSecret).unwrap();
        let h = s.headers(1608133910000, ApiPath::Info);
        assert_eq!(h.key, DOC_KEY);
        assert_eq!(h.timestamp.as_str(), "1608133910000");
        let mut http = Vec::new();
        h.write_http(&mut http);
        assert_eq!(
            std::str::from_utf8(&http).unwrap(),
            "x-auth-key: CEcrjGyipqt0OflgdQQSRGdrDXdDUY2x\r\nx-auth-timestamp: 1608133910000\r\n\
             x-auth-signature: /pwaAgWZQ1Xd/J4yZ4ReHSPQxd3ORP/YR8TvAttqqYM=\r\n"
        );
        let mut buf = Vec::with_capacity(256);
        s.write_ws_auth(&mut buf, "abc123", 1608133910000, ApiPath::Stream, true);
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["op"], "auth");
        assert_eq!(v["id"], "abc123");
        assert_eq!(v["t"], 1608133910000u64);
        assert_eq!(v["key"], DOC_KEY);
        assert_eq!(
            v["sig"],
            s.sign(Timestamp::new(1608133910000), ApiPath::Stream)
                .as_str()
        );
        assert_eq!(v["ack"], "ready");
        s.write_ws_auth(&mut buf, "x\"y", 1, ApiPath::StreamV2, false);
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(
            v["id"], "xy",
            "id characters outside [A-Za-z0-9] are dropped, never break the JSON"
        );
        assert!(v.get("ack").is_none());
    }

    #[test]
    fn debug_never_shows_secret() {
        let c = creds();
        let d = format!("{c:?}");
        assert_eq!(d, "Credentials { key: \"CEcr…\", secret: <redacted> }");
        assert!(!d.contains(DOC_SECRET));
        let s = c.signer(KeyDerivation::RawSecret).unwrap();
        assert!(!format!("{s:?}").contains(DOC_SECRET));
        let h = s.headers(1, ApiPath::Info);
        assert!(!format!("{h:?}").contains(DOC_KEY));
        assert!(!format!("{:?}", h.signature).contains('/'));
    }

    #[test]
    fn prehash_table() {
        for (p, s) in [
            (ApiPath::Info, "info"),
            (ApiPath::Balance, "balance"),
            (ApiPath::Order, "order"),
            (ApiPath::OrderAll, "order/all"),
            (ApiPath::OrderBatch, "order/batch"),
            (ApiPath::OrderOpen, "order/open"),
            (ApiPath::OrderStatus, "order/status"),
            (ApiPath::OrderHistCurrent, "order/hist/current"),
            (ApiPath::Fee, "fee"),
            (ApiPath::DataOrderHistV2, "data/v2/order/hist"),
            (ApiPath::Stream, "stream"),
            (ApiPath::StreamV2, "v2/stream"),
            (ApiPath::Other("x/y"), "x/y"),
        ] {
            assert_eq!(p.as_str(), s);
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(Timestamp::new(0).as_str(), "0");
        assert_eq!(Timestamp::new(u64::MAX).as_str(), "18446744073709551615");
        assert_eq!(Timestamp::new(1608133910000).ms(), 1608133910000);
    }

    #[test]
    fn key_file_parsing() {
        let ok = "# creds\nexport ASCENDEX_API_KEY=abcd1234\n\nASCENDEX_API_SECRET = \"s3cr3t\"\n";
        let c = Credentials::parse_key_file(ok, "f").unwrap();
        assert_eq!(c.key(), "abcd1234");
        assert_eq!(c.secret, "s3cr3t");
        assert_eq!(
            Credentials::parse_key_file("ASCENDEX_API_KEY=a\n", "f").err(),
            Some(CredentialsError::MissingInFile {
                path: "f".into(),
                name: ENV_SECRET
            })
        );
        let e = Credentials::parse_key_file(
            "ASCENDEX_API_KEY=a\nASCENDEX_API_SECRET supersecret\n",
            "f",
        )
        .unwrap_err();
        assert_eq!(
            e,
            CredentialsError::Malformed {
                path: "f".into(),
                line: 2
            }
        );
        assert!(!e.to_string().contains("supersecret"));
        assert_eq!(
            Credentials::parse_key_file("ASCENDEX_API_KEY=a b\nASCENDEX_API_SECRET=x\n", "f").err(),
            Some(CredentialsError::BadCharacters("API key"))
        );
        assert_eq!(
            Credentials::parse_key_file("ASCENDEX_API_KEY=a\nASCENDEX_API_SECRET=\n", "f").err(),
            Some(CredentialsError::Empty("API secret"))
        );
        // A secret without a key is refused naming the key (the secret read is wiped as it drops).
        assert_eq!(
            Credentials::parse_key_file("ASCENDEX_API_SECRET=s3cr3t\n", "f").err(),
            Some(CredentialsError::MissingInFile {
                path: "f".into(),
                name: ENV_KEY
            })
        );
        // A repeated name: the last line wins (the earlier value is wiped as it is replaced).
        let c = Credentials::parse_key_file(
            "ASCENDEX_API_KEY=k1\nASCENDEX_API_SECRET=old\nASCENDEX_API_SECRET=new\n",
            "f",
        )
        .unwrap();
        assert_eq!(c.secret, "new");
    }

    #[test]
    fn upgrade_signer_signs_each_connect_with_exchange_time() {
        fn fixed() -> u64 {
            1_608_133_900_000
        }
        let s = creds().signer(KeyDerivation::RawSecret).unwrap();
        let u = UpgradeSigner::with_clock(s.clone(), ApiPath::Stream, fixed);
        assert_eq!(u.last_timestamp_ms(), None);
        let mut out = Vec::new();
        u.write_headers(&mut out);
        assert!(!u.last_signed_with_measured_clock());
        u.set_offset(10_000);
        let mut again = Vec::new();
        u.write_headers(&mut again);
        assert_eq!(u.signed_count(), 2);
        assert_eq!(u.last_timestamp_ms(), Some(1_608_133_910_000));
        assert!(u.last_signed_with_measured_clock());
        let sig = s.sign(Timestamp::new(1_608_133_910_000), ApiPath::Stream);
        let text = String::from_utf8(again).unwrap();
        assert_eq!(
            text,
            format!(
                "x-auth-key: {DOC_KEY}\r\nx-auth-timestamp: 1608133910000\r\nx-auth-signature: {}\r\n",
                sig.as_str()
            )
        );
        assert_ne!(
            out,
            text.as_bytes(),
            "the offset is applied at each signing"
        );
        let d = format!("{u:?}");
        assert!(!d.contains(DOC_KEY) && !d.contains(DOC_SECRET), "{d}");
    }
}
