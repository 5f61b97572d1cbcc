//! Autobahn|Testsuite echo client: our `net::ws` over our `net::tls`, driven the way the engine drives a
//! WebSocket (mio readiness, `flush` then `read` + `next_event` until the TLS buffers stop being full). For each
//! case it connects to `/runCase`, echoes every message back (text as text, binary as binary) until the server
//! closes, then asks for `/updateReports` and prints the per-behaviour counts from the report's `index.json`.
//! `--tungstenite` runs the same loop over tungstenite 0.30 (blocking, over rustls) as the reference.
//! Run it through `tools/autobahn/run`, which starts the fuzzingserver.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ascendex_hft::net::tls::{TlsBuffers, TlsStream, client_config};
use ascendex_hft::net::ws::{WsError, WsEvent, WsOptions, WsStream};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use rustls::ClientConfig;
use rustls_pki_types::ServerName;

/// 9.1.6 / 9.2.6 send 16 MiB messages.
const MAX_MESSAGE: usize = 16 << 20;
/// The longest case (9.x with 16 MiB, on a slow shared machine) stays well inside this.
const CASE_TIMEOUT: Duration = Duration::from_secs(120);

struct Args {
    addr: SocketAddr,
    ca_file: PathBuf,
    agent: String,
    reports: PathBuf,
    tungstenite: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut url = None;
    let mut ca_file = None;
    let mut agent = "ascendex-hft".to_string();
    let mut reports = None;
    let mut tungstenite = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--url" => url = Some(val()?),
            "--ca-file" => ca_file = Some(PathBuf::from(val()?)),
            "--agent" => agent = val()?,
            "--reports" => reports = Some(PathBuf::from(val()?)),
            "--tungstenite" => tungstenite = true,
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    let url = url.ok_or("--url wss://127.0.0.1:PORT is required")?;
    let hostport = url
        .strip_prefix("wss://")
        .ok_or("--url must be wss://IP:PORT")?
        .trim_end_matches('/');
    let addr = hostport
        .parse()
        .map_err(|e| format!("--url {url}: {e} (give an IP address, not a name)"))?;
    Ok(Args {
        addr,
        ca_file: ca_file.ok_or("--ca-file is required")?,
        agent,
        reports: reports.ok_or("--reports DIR is required")?,
        tungstenite,
    })
}

/// How one connection ended, for the log line.
type Outcome = Result<(), String>;

/// One connection to `path`: echoes data messages when `echo`; returns the first text message received.
fn ours(
    cfg: &Arc<ClientConfig>,
    addr: SocketAddr,
    path: &str,
    echo: bool,
) -> (Option<String>, Outcome) {
    let mut first = None;
    let r = (|| -> Result<(), String> {
        let mut poll = Poll::new().map_err(|e| e.to_string())?;
        let mut events = Events::with_capacity(16);
        let mut sock = TcpStream::connect(addr).map_err(|e| e.to_string())?;
        sock.set_nodelay(true).map_err(|e| e.to_string())?;
        poll.registry()
            .register(&mut sock, Token(0), Interest::READABLE | Interest::WRITABLE)
            .map_err(|e| e.to_string())?;
        let name = ServerName::IpAddress(addr.ip().into());
        let tls = TlsStream::new(sock, cfg.clone(), name, TlsBuffers::default())
            .map_err(|e| e.to_string())?;
        let mut ws = WsStream::new(
            tls,
            WsOptions {
                host: addr.to_string(),
                path: path.to_string(),
                headers: Vec::new(),
                max_message: MAX_MESSAGE,
            },
        );
        let mut msg: Vec<u8> = Vec::new();
        // After the close handshake the server drops TCP; a reset then is the end, not an error.
        let mut closed = false;
        let deadline = Instant::now() + CASE_TIMEOUT;
        while Instant::now() < deadline {
            poll.poll(&mut events, Some(Duration::from_millis(100)))
                .map_err(|e| e.to_string())?;
            match ws.flush() {
                Ok(_) => {}
                Err(_) if closed => return Ok(()),
                Err(e) => return Err(e.to_string()),
            }
            loop {
                match ws.read() {
                    Ok(_) => {}
                    Err(WsError::Closed(_)) => return Ok(()),
                    Err(_) if closed => return Ok(()),
                    Err(e) => return Err(e.to_string()),
                }
                loop {
                    // 0: nothing to send, 1: text, 2: binary. The event borrows `ws`, so copy before sending.
                    let kind = match ws.next_event() {
                        Ok(None) => break,
                        Ok(Some(WsEvent::Text(m))) => {
                            if first.is_none() {
                                first = Some(String::from_utf8_lossy(m).into_owned());
                            }
                            msg.clear();
                            msg.extend_from_slice(m);
                            1
                        }
                        Ok(Some(WsEvent::Binary(m))) => {
                            msg.clear();
                            msg.extend_from_slice(m);
                            2
                        }
                        Ok(Some(WsEvent::Close(_))) => {
                            closed = true;
                            0
                        }
                        Ok(Some(_)) => 0,
                        Err(e) => return Err(e.to_string()),
                    };
                    let sent = match kind {
                        1 if echo => ws.send_text(&msg),
                        2 if echo => ws.send_binary(&msg),
                        _ => Ok(()),
                    };
                    // After the server's close the echo is refused (NotOpen): that is the protocol, not a failure.
                    match sent {
                        Ok(()) | Err(WsError::NotOpen) => {}
                        Err(e) => return Err(format!("send: {e}")),
                    }
                }
                if !ws.tls.read_blocked() {
                    break;
                }
            }
        }
        Err("case timed out".into())
    })();
    (first, r)
}

/// The reference: tungstenite 0.30 over a blocking rustls stream, the same echo.
fn reference(
    cfg: &Arc<ClientConfig>,
    addr: SocketAddr,
    path: &str,
    echo: bool,
) -> (Option<String>, Outcome) {
    use tungstenite::Message;
    use tungstenite::protocol::WebSocketConfig;
    let mut first = None;
    let r = (|| -> Result<(), String> {
        let sock = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
        sock.set_nodelay(true).map_err(|e| e.to_string())?;
        sock.set_read_timeout(Some(CASE_TIMEOUT))
            .map_err(|e| e.to_string())?;
        let name = ServerName::IpAddress(addr.ip().into());
        let conn = rustls::ClientConnection::new(cfg.clone(), name).map_err(|e| e.to_string())?;
        let stream = rustls::StreamOwned::new(conn, sock);
        let mut wc = WebSocketConfig::default();
        wc.max_message_size = Some(MAX_MESSAGE);
        wc.max_frame_size = Some(MAX_MESSAGE);
        let url = format!("ws://{addr}{path}");
        let (mut ws, _) = tungstenite::client::client_with_config(url.as_str(), stream, Some(wc))
            .map_err(|e| e.to_string())?;
        loop {
            match ws.read() {
                Ok(Message::Text(t)) => {
                    if first.is_none() {
                        first = Some(t.to_string());
                    }
                    if echo {
                        let _ = ws.send(Message::Text(t));
                    }
                }
                Ok(Message::Binary(b)) => {
                    if echo {
                        let _ = ws.send(Message::Binary(b));
                    }
                }
                Ok(_) => {}
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    return Ok(());
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    })();
    (first, r)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("autobahn_client: {e}");
            return ExitCode::from(2);
        }
    };
    let cfg = match client_config(Some(&args.ca_file)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("autobahn_client: {e}");
            return ExitCode::from(2);
        }
    };
    let connect = if args.tungstenite { reference } else { ours };
    let (count, r) = connect(&cfg, args.addr, "/getCaseCount", false);
    let Some(count) = count.and_then(|c| c.trim().parse::<u32>().ok()) else {
        eprintln!("autobahn_client: no case count from the fuzzingserver ({r:?})");
        return ExitCode::from(4);
    };
    eprintln!("autobahn_client: {count} cases, agent {}", args.agent);
    for case in 1..=count {
        let path = format!("/runCase?case={case}&agent={}", args.agent);
        let t = Instant::now();
        let (_, r) = connect(&cfg, args.addr, &path, true);
        if let Err(e) = r {
            eprintln!(
                "  case {case}: connection ended with: {e} ({:?})",
                t.elapsed()
            );
        }
    }
    let _ = connect(
        &cfg,
        args.addr,
        &format!("/updateReports?agent={}", args.agent),
        false,
    );

    let index = args.reports.join("index.json");
    let text = match std::fs::read_to_string(&index) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("autobahn_client: cannot read {}: {e}", index.display());
            return ExitCode::from(4);
        }
    };
    let v: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("autobahn_client: {}: {e}", index.display());
            return ExitCode::from(4);
        }
    };
    let Some(cases) = v.get(&args.agent).and_then(|c| c.as_object()) else {
        eprintln!(
            "autobahn_client: no results for agent {} in {}",
            args.agent,
            index.display()
        );
        return ExitCode::from(4);
    };
    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    let mut failed = Vec::new();
    for (id, r) in cases {
        let b = r.get("behavior").and_then(|b| b.as_str()).unwrap_or("?");
        *counts.entry(b).or_default() += 1;
        if b == "FAILED" {
            let close = r
                .get("behaviorClose")
                .and_then(|b| b.as_str())
                .unwrap_or("?");
            failed.push(format!("{id} (close: {close})"));
        }
    }
    println!("agent {}: {} cases", args.agent, cases.len());
    for b in [
        "OK",
        "NON-STRICT",
        "INFORMATIONAL",
        "UNIMPLEMENTED",
        "FAILED",
    ] {
        println!("  {b:<14} {}", counts.get(b).copied().unwrap_or(0));
    }
    for (b, n) in &counts {
        if ![
            "OK",
            "NON-STRICT",
            "INFORMATIONAL",
            "UNIMPLEMENTED",
            "FAILED",
        ]
        .contains(b)
        {
            println!("  {b:<14} {n}");
        }
    }
    if !failed.is_empty() {
        println!("FAILED: {}", failed.join(", "));
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
