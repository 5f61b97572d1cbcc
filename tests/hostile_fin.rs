//! A server that sends its last frames and closes in the same write: the FIN arrives with the data, so
//! edge-triggered epoll reports it once (EPOLLIN|EPOLLRDHUP) and never again. The client must still notice at
//! once and reconnect, not sit on a dead socket until a ping or liveness timeout (15-45 s).

mod hostile_kit;
mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ascendex_hft::engine::{ConnId, ConnSpec, ConnState, Cx, DisconnectReason, Handler, RunMode};
use ascendex_hft::net::backoff::BackoffPolicy;
use hostile_kit::{Peer, RawServer, accept_key, text_frame};

#[derive(Default)]
struct Seen {
    last_at: Option<Instant>,
    down_at: Option<Instant>,
    down_reason: Option<String>,
    opens: usize,
    messages: Vec<Vec<u8>>,
}

struct H(Rc<RefCell<Seen>>);

impl Handler for H {
    fn on_state(
        &mut self,
        cx: &mut Cx<'_>,
        _c: ConnId,
        s: ConnState,
        why: Option<&DisconnectReason>,
    ) {
        let mut seen = self.0.borrow_mut();
        match s {
            ConnState::Open => {
                seen.opens += 1;
                if seen.opens == 2 {
                    cx.stop();
                }
            }
            ConnState::Backoff | ConnState::Stopped if seen.down_at.is_none() => {
                seen.down_at = Some(Instant::now());
                seen.down_reason = why.map(|w| w.to_string());
            }
            _ => {}
        }
    }

    fn on_message(&mut self, _cx: &mut Cx<'_>, _c: ConnId, msg: &[u8], _rx: u64) {
        let mut seen = self.0.borrow_mut();
        seen.messages.push(msg.to_vec());
        if msg == b"first" {
            // Hold the loop so the last frame and the FIN are both queued before the next read.
            drop(seen);
            std::thread::sleep(Duration::from_millis(100));
        } else if msg == b"last" {
            seen.last_at = Some(Instant::now());
        }
    }
}

fn upgrade(p: &mut Peer) -> bool {
    let Some(head) = p.read_head() else {
        return false;
    };
    let key = Peer::header(&head, "sec-websocket-key").unwrap_or_default();
    let resp = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        accept_key(&key)
    );
    p.send(resp.as_bytes()).is_ok()
}

/// Returns (time from the last frame to the disconnect, the reason, the frames seen).
fn run(close_notify: bool) -> (Duration, String, Vec<Vec<u8>>) {
    let srv = RawServer::start(move |i, p| {
        if !upgrade(p) {
            return;
        }
        if i == 0 {
            let _ = p.send(&text_frame(b"first"));
            std::thread::sleep(Duration::from_millis(30));
            let last = text_frame(b"last");
            let _ = if close_notify {
                p.send_then_close_notify(&last)
            } else {
                p.send_then_fin(&last)
            };
            std::thread::sleep(Duration::from_secs(3));
        } else {
            let _ = p.send(&text_frame(b"again"));
            std::thread::sleep(Duration::from_secs(3));
        }
    });
    let mut e = ascendex_hft::engine::Engine::new(
        ascendex_hft::net::tls::client_config(Some(&support::pki().ca_file)).unwrap(),
        1,
    )
    .unwrap();
    let mut spec = ConnSpec::websocket(&srv.ws_url(), vec![]).unwrap();
    spec.backoff = BackoffPolicy {
        base_ms: 10,
        cap_ms: 50,
    };
    e.add(spec).unwrap();
    let seen = Rc::new(RefCell::new(Seen::default()));
    let mut h = H(seen.clone());
    e.run(&mut h, RunMode::Block, Some(Duration::from_secs(4)))
        .unwrap();
    let s = seen.borrow();
    assert_eq!(
        s.opens, 2,
        "did not reconnect: {:?} {:?}",
        s.down_reason, s.messages
    );
    let (last, down) = (s.last_at.expect("last frame delivered"), s.down_at.unwrap());
    (
        down.saturating_duration_since(last),
        s.down_reason.clone().unwrap_or_default(),
        s.messages.clone(),
    )
}

#[test]
fn fin_with_the_last_frames_is_noticed_at_once() {
    let (gap, why, msgs) = run(false);
    eprintln!("FIN with the last frame: disconnect noticed {gap:?} after the frame ({why})");
    assert_eq!(
        msgs[..2],
        [b"first".to_vec(), b"last".to_vec()],
        "frames before the FIN were lost"
    );
    assert!(why.contains("without TLS close_notify"), "{why}");
    assert!(
        gap < Duration::from_millis(20),
        "took {gap:?} to notice the FIN"
    );
}

#[test]
fn close_notify_with_the_last_frames_is_noticed_at_once() {
    let (gap, why, msgs) = run(true);
    eprintln!(
        "close_notify with the last frame: disconnect noticed {gap:?} after the frame ({why})"
    );
    assert_eq!(msgs[..2], [b"first".to_vec(), b"last".to_vec()]);
    assert!(
        gap < Duration::from_millis(20),
        "took {gap:?} to notice the close"
    );
}
