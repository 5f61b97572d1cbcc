//! The market half driven directly through its `MdLink` seam, for what the simulator cannot show:
//! - more symbols than one `sub` message may carry (the simulator lists only seven products): 25 symbols are
//!   subscribed in messages of at most 10, each gets its own snapshot request after its acknowledgement, and every
//!   book goes live from its snapshot and diffs;
//! - keep-alive verdicts: a missing pong and falling health points each reconnect the market-data socket.

use ascendex_hft::engine::{ConnId, ConnState, SendError};
use ascendex_hft::strategy::BookStatus;
use ascendex_hft::venue::ascendex::auth::KeyDerivation;
use ascendex_hft::venue::ascendex::session::bootstrap::Bootstrap;
use ascendex_hft::venue::ascendex::session::market::{MdFault, MdLink, TIMER_PING};
use ascendex_hft::venue::ascendex::session::{
    Conns, MarketConfig, MarketState, MdEvent, SessionConfig, TradingConfig,
};

const N: usize = 25;

#[derive(Default)]
struct Link {
    now: u64,
    sent: Vec<String>,
    timers: Vec<(usize, u64)>,
    reconnects: usize,
}

impl MdLink for Link {
    fn now_ns(&self) -> u64 {
        self.now
    }
    fn clock_ns(&self) -> u64 {
        self.now
    }
    fn send_text(&mut self, _c: ConnId, p: &[u8]) -> Result<(), SendError> {
        self.sent
            .push(String::from_utf8(p.to_vec()).expect("utf-8"));
        Ok(())
    }
    fn http_get(&mut self, _c: ConnId, _p: &str) -> Result<(), SendError> {
        Err(SendError::NotOpen)
    }
    fn http_ready(&self, _c: ConnId) -> bool {
        false
    }
    fn set_timer(&mut self, id: usize, at: u64) {
        self.timers.retain(|t| t.0 != id);
        self.timers.push((id, at));
    }
    fn cancel_timer(&mut self, id: usize) {
        self.timers.retain(|t| t.0 != id);
    }
    fn reconnect(&mut self, _c: ConnId) {
        self.reconnects += 1;
    }
}

const CONNS: Conns = Conns {
    md: 0,
    md_rest: 1,
    trade: None,
    trade_rest: None,
};

fn name(i: usize) -> String {
    format!("C{i:02}/USDT")
}

fn market() -> MarketState {
    let rows: Vec<String> = (0..N)
        .map(|i| {
            format!(
                r#"{{"symbol":"{}","status":"Normal","tickSize":"0.01","lotSize":"0.001"}}"#,
                name(i)
            )
        })
        .collect();
    let cfg = SessionConfig {
        rest_url: "https://127.0.0.1".into(),
        ws_url: "wss://127.0.0.1/api/pro/v1/stream".into(),
        ca_file: None,
        account_group: None,
        symbols: (0..N).map(name).collect(),
        credentials: None,
        key_derivation: KeyDerivation::default(),
        market: MarketConfig::default(),
        trading: TradingConfig::default(),
    };
    let boot = Bootstrap {
        products: format!(r#"{{"code":0,"data":[{}]}}"#, rows.join(",")).into_bytes(),
        account_group: None,
        user_uid: None,
    };
    MarketState::new(&cfg, &boot).expect("market state")
}

#[test]
fn twenty_five_symbols_subscribe_in_batches_of_ten_and_all_go_live() {
    let mut m = market();
    let mut link = Link::default();
    let mut live = [false; N];
    let mut books = [0u64; N];
    let mut emit = |_: &mut Link, ev: MdEvent<'_>| match ev {
        MdEvent::Status {
            symbol,
            status: BookStatus::Live,
        } => live[symbol.0 as usize] = true,
        MdEvent::Book { symbol, .. } => books[symbol.0 as usize] += 1,
        _ => {}
    };
    m.on_state(&mut link, &CONNS, 0, ConnState::Open, None, &mut emit);

    let subs: Vec<String> = link
        .sent
        .iter()
        .filter(|s| s.contains(r#""op":"sub""#))
        .cloned()
        .collect();
    assert_eq!(subs.len(), 3, "{subs:?}");
    let mut listed = Vec::new();
    for s in &subs {
        let v: serde_json::Value = serde_json::from_str(s).expect("sub is JSON");
        let ch = v["ch"].as_str().expect("ch");
        let syms: Vec<String> = ch
            .strip_prefix("depth:")
            .expect("depth channel")
            .split(',')
            .map(str::to_string)
            .collect();
        assert!(syms.len() <= 10, "{ch}");
        listed.extend(syms);
    }
    assert_eq!(listed, (0..N).map(name).collect::<Vec<_>>());
    assert!(
        !link.sent.iter().any(|s| s.contains("depth-snapshot")),
        "a snapshot was asked before the subscription was acknowledged"
    );

    // The exchange acknowledges each batch; every acknowledged symbol gets one snapshot request.
    for s in &subs {
        let v: serde_json::Value = serde_json::from_str(s).expect("sub is JSON");
        let ack = format!(
            r#"{{"m":"sub","id":"{}","ch":"{}","code":0}}"#,
            v["id"].as_str().expect("id"),
            v["ch"].as_str().expect("ch")
        );
        link.sent.clear();
        m.on_message(&mut link, &CONNS, ack.as_bytes(), 0, &mut emit);
        let n = v["ch"].as_str().expect("ch").split(',').count();
        assert_eq!(link.sent.len(), n, "{:?}", link.sent);
        assert!(
            link.sent
                .iter()
                .all(|r| r.contains(r#""action":"depth-snapshot""#))
        );
    }

    // Diffs before the snapshot are buffered; the snapshot bridges them.
    for i in 0..N {
        let sym = name(i);
        for seq in [101u64, 102] {
            let diff = format!(
                r#"{{"m":"depth","symbol":"{sym}","data":{{"ts":2,"seqnum":{seq},"asks":[["10.0{}","1"]],"bids":[]}}}}"#,
                seq - 100
            );
            m.on_message(&mut link, &CONNS, diff.as_bytes(), 0, &mut emit);
        }
        let snap = format!(
            r#"{{"m":"depth-snapshot","symbol":"{sym}","data":{{"ts":1,"seqnum":100,"asks":[["11","1"]],"bids":[["9","2"]]}}}}"#
        );
        m.on_message(&mut link, &CONNS, snap.as_bytes(), 0, &mut emit);
    }
    assert!(live.iter().all(|&l| l), "{live:?}");
    assert!(books.iter().all(|&b| b == 1), "{books:?}");
    assert!(m.is_ready());
    for i in 0..N {
        let id = m.symbol(&name(i)).expect("configured");
        assert_eq!(id.0 as usize, i);
        assert_eq!(m.seqnum(id), Some(102));
        let book = m.book(id).expect("book");
        let asks: Vec<i64> = book.asks().map(|l| l.price.0).collect();
        assert_eq!(asks, vec![1_001, 1_002, 1_100]);
    }
    assert_eq!(m.counters().sub_acks, 3);
}

#[test]
fn a_missing_pong_reconnects() {
    let mut m = market();
    let mut link = Link::default();
    let mut emit = |_: &mut Link, _: MdEvent<'_>| {};
    m.on_state(&mut link, &CONNS, 0, ConnState::Open, None, &mut emit);
    assert!(link.timers.iter().any(|t| t.0 == TIMER_PING));
    link.sent.clear();
    link.now = 15_000_000_000;
    m.on_timer(&mut link, &CONNS, TIMER_PING, &mut emit);
    assert_eq!(link.sent, vec![r#"{"op":"ping"}"#.to_string()]);
    // The pong deadline is the liveness timer itself, re-armed half the silence deadline ahead.
    assert!(
        link.timers
            .iter()
            .any(|t| t.0 == TIMER_PING && t.1 <= link.now + 750_000_000)
    );
    // A pong in time disarms the deadline.
    m.on_message(
        &mut link,
        &CONNS,
        br#"{"m":"pong","code":0,"ts":1,"hp":3}"#,
        0,
        &mut emit,
    );
    assert_eq!(link.reconnects, 0);
    // Silence again: the next ping gets no answer within half the deadline.
    link.now += 1_000_000_000;
    m.on_timer(&mut link, &CONNS, TIMER_PING, &mut emit);
    assert_eq!(link.reconnects, 0);
    link.now += 1_000_000_000;
    m.on_timer(&mut link, &CONNS, TIMER_PING, &mut emit);
    assert_eq!(link.reconnects, 1);
    assert_eq!(m.last_fault(), Some(MdFault::PongTimeout));
    assert_eq!(
        (
            m.counters().pings_sent,
            m.counters().pongs,
            m.counters().pong_timeouts
        ),
        (2, 1, 1)
    );
}

#[test]
fn server_pings_are_answered_and_falling_health_reconnects() {
    let mut m = market();
    let mut link = Link::default();
    let mut emit = |_: &mut Link, _: MdEvent<'_>| {};
    m.on_state(&mut link, &CONNS, 0, ConnState::Open, None, &mut emit);
    link.sent.clear();
    m.on_message(&mut link, &CONNS, br#"{"m":"ping","hp":3}"#, 0, &mut emit);
    m.on_message(&mut link, &CONNS, br#"{"m":"ping","hp":3}"#, 0, &mut emit);
    assert_eq!(link.sent, vec![r#"{"op":"pong","hp":3}"#.to_string(); 2]);
    assert_eq!(link.reconnects, 0);
    m.on_message(&mut link, &CONNS, br#"{"m":"ping","hp":2}"#, 0, &mut emit);
    assert_eq!(link.reconnects, 1);
    assert_eq!(m.last_fault(), Some(MdFault::HealthFalling { hp: 2 }));
    // A ping without hp is answered plainly.
    m.on_message(&mut link, &CONNS, br#"{"m":"ping"}"#, 0, &mut emit);
    assert_eq!(
        link.sent.last().map(String::as_str),
        Some(r#"{"op":"pong"}"#)
    );
    // The exchange closing the session asks for a reconnect at once.
    m.on_message(
        &mut link,
        &CONNS,
        br#"{"m":"disconnected","code":100003,"reason":"NO_PONG","info":"missed pongs"}"#,
        0,
        &mut emit,
    );
    assert_eq!(link.reconnects, 2);
    assert_eq!(
        m.last_fault(),
        Some(MdFault::Disconnected { code: Some(100003) })
    );
}
