//! Trading REST: request builders (method, path with the account group, prehash path, JSON body) written into
//! reused buffers, and response parsers for orders, balances, account info and exchange time.
//!
//! Builders allocate nothing once the buffers have grown. Parsers use serde (REST answers are not on the hot path:
//! start-up, reconciliation, status queries) and accept integers given as numbers or strings, as real responses
//! do (`"code":"0"`, `"seqNum":"38621007619"`). Every `{"code":≠0,...}` becomes [`RestError::Exchange`] carrying
//! the exchange's code, reason and message.

mod answers;
mod requests;
#[cfg(test)]
mod tests;

pub use answers::*;
pub use requests::*;

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer};

use super::super::auth::ApiPath;
use super::super::stream::trading::{
    self as wire, Account, EncodeError, PlaceOrder, ReplyStatus, Scales, SymbolScales, WireStatus,
    push_u64, write_order_object,
};
use super::market::push_query_value;
use crate::orders::scaled::{ScaledError, parse_scaled};
use crate::orders::{
    AssetId, ClientId, ClockSample, OpenOrderReport, OrderId, OrderKind, OrderUpdate, Side, Source,
    SymbolId,
};

/// HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// Reused buffers for one request at a time: path (with query) and JSON body.
#[derive(Debug, Default)]
pub struct RestBuffers {
    pub path: Vec<u8>,
    pub body: Vec<u8>,
}

impl RestBuffers {
    pub fn with_capacity(n: usize) -> RestBuffers {
        RestBuffers {
            path: Vec::with_capacity(n),
            body: Vec::with_capacity(n),
        }
    }
}

/// A request ready for the HTTP writer: sign `prehash` (when `signed`) and send `method path` with `body`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestRequest<'b> {
    pub method: Method,
    /// Path and query, starting with `/`.
    pub path: &'b [u8],
    pub prehash: ApiPath,
    /// Private endpoints need the `x-auth-*` headers.
    pub signed: bool,
    /// JSON body (`Content-Type: application/json`), empty for GET.
    pub body: &'b [u8],
}

/// Why a request could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildError {
    Encode(EncodeError),
    /// More than 10 orders in a batch, or none.
    BatchSize(usize),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Encode(e) => e.fmt(f),
            BuildError::BatchSize(n) => write!(f, "a batch holds 1 to 10 orders, not {n}"),
        }
    }
}

impl std::error::Error for BuildError {}

impl From<EncodeError> for BuildError {
    fn from(e: EncodeError) -> Self {
        BuildError::Encode(e)
    }
}

/// Most orders in one batch request.
pub const MAX_BATCH: usize = 10;

/// A non-empty string that goes into JSON without escaping.
pub(super) fn json_safe(s: &[u8]) -> bool {
    !s.is_empty() && wire::json_safe(s)
}

pub(super) fn group_path(out: &mut Vec<u8>, group: u32, account: Account, tail: &[u8]) {
    out.clear();
    out.push(b'/');
    push_u64(out, group as u64);
    out.extend_from_slice(b"/api/pro/v1/");
    out.extend_from_slice(account.as_str().as_bytes());
    out.extend_from_slice(tail);
}

pub(super) fn req(
    b: &RestBuffers,
    method: Method,
    prehash: ApiPath,
    signed: bool,
) -> RestRequest<'_> {
    RestRequest {
        method,
        path: &b.path,
        prehash,
        signed,
        body: &b.body,
    }
}
