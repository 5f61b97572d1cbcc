//! A server whose answer head never ends (here: the WebSocket 101) must not wedge the loop: the connection fails
//! with a named reason and is retried with backoff, and `--seconds`, SIGTERM and the engine's stop flag are
//! honoured while that happens.

mod harness;
mod hostile_kit;
mod support;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ascendex_hft::engine::{ConnSpec, RunMode};
use harness::{Recorder, engine, fast, run_until};
use hostile_kit::{Peer, RawServer, accept_key, text_frame};

/// Answers every upgrade with a 101 whose head goes on for 2 MiB, then holds the connection.
fn endless_101() -> RawServer {
    RawServer::start(|_, p: &mut Peer| {
        if p.read_head().is_none() {
            return;
        }
        let mut v = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nX-Pad: ".to_vec();
        v.resize(v.len() + 2 * 1024 * 1024, b'a');
        let _ = p.send(&v);
        std::thread::sleep(Duration::from_secs(10));
    })
}

#[test]
fn an_upgrade_answer_head_over_the_buffer_fails_the_connection() {
    let srv = endless_101();
    let mut e = engine(&support::pki().ca_file);
    e.add(fast(ConnSpec::websocket(&srv.ws_url(), vec![]).unwrap()))
        .unwrap();
    let mut rec = Recorder::default();
    let t = Instant::now();
    let ok = run_until(&mut e, &mut rec, |r| r.failures().len() >= 2);
    let took = t.elapsed();
    assert!(ok, "{:?}", rec.failures());
    eprintln!(
        "two endless 101 heads refused in {took:?}: {:?}",
        rec.failures()
    );
    for f in rec.failures() {
        assert!(
            f.contains("WebSocket upgrade response head over 65536 bytes"),
            "{f}"
        );
    }
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

static STOP: AtomicBool = AtomicBool::new(false);

#[test]
fn the_stop_flag_ends_run_within_a_turn_under_a_firehose() {
    // A stream that never pauses: 64 KiB messages back to back.
    let srv = RawServer::start(|_, p: &mut Peer| {
        let Some(head) = p.read_head() else {
            return;
        };
        let key = Peer::header(&head, "sec-websocket-key").unwrap_or_default();
        let resp = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
            accept_key(&key)
        );
        if p.send(resp.as_bytes()).is_err() {
            return;
        }
        let frame = text_frame(&vec![b'x'; 64 * 1024]);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) && p.send(&frame).is_ok() {}
    });
    let mut e = engine(&support::pki().ca_file);
    e.add(fast(ConnSpec::websocket(&srv.ws_url(), vec![]).unwrap()))
        .unwrap();
    e.stop_on(&STOP);
    let setter = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(500));
        STOP.store(true, Ordering::SeqCst);
        Instant::now()
    });
    let mut rec = Recorder::default();
    e.run(&mut rec, RunMode::Block, None).unwrap();
    let stopped = Instant::now();
    let set_at = setter.join().unwrap();
    let lag = stopped.saturating_duration_since(set_at);
    eprintln!(
        "stop flag honoured {lag:?} after it was set ({} messages read)",
        rec.messages.len()
    );
    assert!(!rec.messages.is_empty(), "the firehose never flowed");
    assert!(lag < Duration::from_millis(100), "took {lag:?}");
}

fn cli(
    srv_ws: &str,
    sim: &ascendex_sim::SimHandle,
    ca: &std::path::Path,
    extra: &[&str],
) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_ascendex"))
        .arg("--rest-url")
        .arg(sim.rest_url())
        .arg("--ws-url")
        .arg(srv_ws)
        .arg("--ca-file")
        .arg(ca)
        .args(["book", "BTC/USDT"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs")
}

fn wait_exit(child: &mut std::process::Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let t = Instant::now();
    while t.elapsed() < limit {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn seconds_and_sigterm_end_a_command_whose_stream_is_hostile() {
    let srv = endless_101();
    let sim = ascendex_sim::start(ascendex_sim::SimConfig::default()).expect("simulator starts");
    // Trust both the simulator's CA (REST) and the test CA (the hostile stream).
    let dir = std::env::temp_dir().join(format!("axh-hostile-head-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("both.pem");
    std::fs::write(&ca, format!("{}\n{}", sim.ca_pem(), support::pki().ca_pem)).unwrap();

    let t = Instant::now();
    let mut c = cli(&srv.ws_url(), &sim, &ca, &["--seconds", "1"]);
    let status = wait_exit(&mut c, Duration::from_secs(10));
    let took = t.elapsed();
    eprintln!("book --seconds 1 against an endless 101 head: exited {status:?} after {took:?}");
    assert!(
        status.is_some(),
        "--seconds 1 ignored (still running after 10 s)"
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");

    let before = srv.accepted.load(Ordering::SeqCst);
    let mut c = cli(&srv.ws_url(), &sim, &ca, &[]);
    // Let it reach the stream and take a few hostile heads (the loop is running, the handler installed).
    let seen = Instant::now();
    while srv.accepted.load(Ordering::SeqCst) < before + 3
        && seen.elapsed() < Duration::from_secs(10)
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        srv.accepted.load(Ordering::SeqCst) >= before + 3,
        "the client never reached the stream"
    );
    let sent = Instant::now();
    // SAFETY: signalling our own child by its pid.
    unsafe {
        libc::kill(c.id() as libc::pid_t, libc::SIGTERM);
    }
    let status = wait_exit(&mut c, Duration::from_secs(10));
    let took = sent.elapsed();
    eprintln!("SIGTERM during hostile reconnects: exited {status:?} after {took:?}");
    assert!(
        status.is_some(),
        "SIGTERM ignored (still running after 10 s)"
    );
    assert!(took < Duration::from_secs(1), "took {took:?}");
    // Ended by the command itself (handler installed, orderly exit), not by the default action of the signal.
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.unwrap().signal(), None, "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
