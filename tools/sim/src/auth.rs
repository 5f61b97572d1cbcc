//! Signature checks: base64(HMAC-SHA256(key, "<ts>+<prehash path>")), with the key either the secret's raw
//! bytes (docs, ccxt REST) or the base64-decoded secret (the official demo, ccxt WS). Both are accepted and the
//! variant used is reported.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub const WINDOW_MS: i64 = 30_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthErr {
    pub code: i64,
    pub reason: &'static str,
    pub message: String,
}

fn err(code: i64, reason: &'static str, message: impl Into<String>) -> AuthErr {
    AuthErr {
        code,
        reason,
        message: message.into(),
    }
}

pub fn sign(key: &[u8], prehash: &str) -> String {
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(prehash.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks a signature; returns "raw" or "base64" (the key derivation that matched).
pub fn verify(
    api_key: &str,
    secret: &str,
    key: Option<&str>,
    ts: Option<&str>,
    sig: Option<&str>,
    path: &str,
    now_ms: u64,
) -> Result<&'static str, AuthErr> {
    let (Some(key), Some(ts), Some(sig)) = (key, ts, sig) else {
        return Err(err(
            100009,
            "AUTHORIZATION_NEEDED",
            "Authorization is required: x-auth-key, x-auth-timestamp and x-auth-signature",
        ));
    };
    if key != api_key {
        return Err(err(
            200001,
            "AUTHENTICATION_FAILED",
            "Authorization failed: unknown API key",
        ));
    }
    let Ok(t) = ts.trim().parse::<i64>() else {
        return Err(err(
            100011,
            "INVALID_TIMESTAMP",
            format!("Not a valid timestamp: {ts}"),
        ));
    };
    if (i128::from(t) - i128::from(now_ms)).abs() > i128::from(WINDOW_MS) {
        return Err(err(
            100011,
            "INVALID_TIMESTAMP",
            format!("Timestamp {t} is more than 30 seconds away from server time {now_ms}"),
        ));
    }
    let prehash = format!("{}+{path}", ts.trim());
    if sign(secret.as_bytes(), &prehash) == sig {
        return Ok("raw");
    }
    if let Ok(k) = STANDARD.decode(secret)
        && sign(&k, &prehash) == sig
    {
        return Ok("base64");
    }
    Err(err(
        200001,
        "AUTHENTICATION_FAILED",
        "Authorization failed: signature mismatch",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_test_vector_both_key_derivations() {
        let secret = "hV8FgjyJtpvVeAcMAgzgAFQCN36wmbWuN7o3WPcYcYhFd8qvE43gzFGVsFcCqMNk";
        assert_eq!(
            sign(secret.as_bytes(), "1608133910000+info"),
            "/pwaAgWZQ1Xd/J4yZ4ReHSPQxd3ORP/YR8TvAttqqYM="
        );
        let now = 1_608_133_910_000 + 1000;
        assert_eq!(
            verify(
                "k",
                secret,
                Some("k"),
                Some("1608133910000"),
                Some("/pwaAgWZQ1Xd/J4yZ4ReHSPQxd3ORP/YR8TvAttqqYM="),
                "info",
                now
            ),
            Ok("raw")
        );
        assert_eq!(
            verify(
                "k",
                secret,
                Some("k"),
                Some("1608133910000"),
                Some("iT09ogK94xN6wScfMs0CXbE4jsYkQJpJ5egMfIo1U4I="),
                "info",
                now
            ),
            Ok("base64")
        );
        assert_eq!(
            verify(
                "k",
                secret,
                Some("k"),
                Some("1608133910000"),
                Some("iT09ogK94xN6wScfMs0CXbE4jsYkQJpJ5egMfIo1U4I="),
                "balance",
                now
            )
            .unwrap_err()
            .code,
            200001
        );
        assert_eq!(
            verify(
                "k",
                secret,
                Some("k"),
                Some("1608133910000"),
                Some("x"),
                "info",
                now + 31_000
            )
            .unwrap_err()
            .code,
            100011
        );
        assert_eq!(
            verify(
                "k",
                secret,
                Some("other"),
                Some("1608133910000"),
                Some("x"),
                "info",
                now
            )
            .unwrap_err()
            .code,
            200001
        );
        assert_eq!(
            verify(
                "k",
                secret,
                None,
                Some("1608133910000"),
                Some("x"),
                "info",
                now
            )
            .unwrap_err()
            .code,
            100009
        );
    }
}
