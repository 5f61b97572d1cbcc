//! The market-data half of a session: subscriptions, book synchronisation from snapshot and diffs, resync, BBO,
//! trades, bars. (Being built: see the issue tracker, issue 4.)

use super::bootstrap::{Bootstrap, SessionError};
use super::{Conns, SessionConfig};
use crate::book::Book;
use crate::book::sync::SeqRule;
use crate::engine::{ConnId, ConnState, Cx, DisconnectReason};
use crate::net::http::{HttpError, Response};
use crate::orders::types::SymbolId;
use crate::strategy::{BookStatus, BookUpdate};
use crate::venue::ascendex::stream::market::{Bar, Bbo, Trade};

/// Market-data options.
#[derive(Clone, Debug)]
pub struct MarketConfig {
    /// Use the unthrottled `depth-realtime:` channel instead of the 300 ms `depth:` channel.
    pub depth_realtime: bool,
    /// How consecutive depth seqnums must relate (measured on the feed, not assumed).
    pub seq_rule: SeqRule,
    pub bbo: bool,
    pub trades: bool,
    /// Bar intervals to subscribe (`1`, `5`, ..., `1d`, `1w`, `1m`).
    pub bars: Vec<String>,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig {
            depth_realtime: false,
            seq_rule: SeqRule::Contiguous,
            bbo: false,
            trades: false,
            bars: Vec::new(),
        }
    }
}

/// What the market half reports to the strategy.
pub enum MdEvent<'a> {
    Book {
        symbol: SymbolId,
        book: &'a Book,
        update: BookUpdate,
    },
    Status {
        symbol: SymbolId,
        status: BookStatus,
    },
    Bbo {
        symbol: SymbolId,
        bbo: &'a Bbo,
    },
    Trade {
        symbol: SymbolId,
        trade: &'a Trade,
    },
    Bar {
        symbol: SymbolId,
        bar: &'a Bar<'a>,
    },
}

pub struct MarketState {
    names: Vec<String>,
    latency: crate::metrics::Latency,
}

impl MarketState {
    pub fn new(cfg: &SessionConfig, _boot: &Bootstrap) -> Result<Self, SessionError> {
        Ok(MarketState {
            names: cfg.symbols.clone(),
            latency: crate::metrics::Latency::new(),
        })
    }

    pub fn symbol(&self, name: &str) -> Option<SymbolId> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| SymbolId(i as u16))
    }

    /// Wire-to-callback and (against the simulator) end-to-end latencies.
    pub fn latency(&self) -> &crate::metrics::Latency {
        &self.latency
    }

    /// Every configured book is live.
    pub fn is_ready(&self) -> bool {
        false
    }

    pub fn on_state(
        &mut self,
        _cx: &mut Cx<'_>,
        _conns: &Conns,
        _conn: ConnId,
        _state: ConnState,
        _why: Option<&DisconnectReason>,
        _emit: &mut impl FnMut(&mut Cx<'_>, MdEvent<'_>),
    ) {
    }

    pub fn on_message(
        &mut self,
        _cx: &mut Cx<'_>,
        _conns: &Conns,
        _msg: &[u8],
        _rx_ns: u64,
        _emit: &mut impl FnMut(&mut Cx<'_>, MdEvent<'_>),
    ) {
    }

    pub fn on_http(
        &mut self,
        _cx: &mut Cx<'_>,
        _conns: &Conns,
        _result: Result<Response<'_>, &HttpError>,
        _emit: &mut impl FnMut(&mut Cx<'_>, MdEvent<'_>),
    ) {
    }

    pub fn on_timer(
        &mut self,
        _cx: &mut Cx<'_>,
        _conns: &Conns,
        _id: usize,
        _emit: &mut impl FnMut(&mut Cx<'_>, MdEvent<'_>),
    ) {
    }
}
