//! Memory stays bounded whatever a server (or a file named on the command line) holds: a 60 MiB REST answer of
//! small objects, a dense answer under the byte cap, `--ca-file /dev/zero`. Each runs the CLI as a child process
//! and reads its peak RSS from `wait4`'s rusage (the child also gets a 2 GiB address-space limit, so a regression
//! fails the test instead of taking the machine's memory).
//!
//! A child's `ru_maxrss` can also count memory of the process that spawned it before the exec (44-48 MiB were seen
//! when these tests ran in parallel threads), so the figure is an upper bound on the command's own peak: sound for
//! "stays under". The 60 MiB test prints the test process's own peak next to it.
//!
//! `AXH_BIN=path` runs another `ascendex` binary (to check an older build fails these tests).

mod hostile_kit;
mod support;

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hostile_kit::{Peer, RawServer};

/// Peak RSS limit asserted for every case: the binary's own footprint plus the 4 MiB body cap, with room.
const PEAK_LIMIT_KIB: i64 = 64 * 1024;

struct Run {
    code: Option<i32>,
    stderr: String,
    peak_kib: i64,
    took: Duration,
}

fn run(args: &[&str]) -> Run {
    let bin =
        std::env::var("AXH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ascendex").to_string());
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env_remove("ASCENDEX_API_KEY")
        .env_remove("ASCENDEX_API_SECRET")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: only async-signal-safe setrlimit between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 2 << 30,
                rlim_max: 2 << 30,
            };
            libc::setrlimit(libc::RLIMIT_AS, &lim);
            Ok(())
        });
    }
    let t = Instant::now();
    let mut child = cmd.spawn().expect("binary runs");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid out-parameter; the pid is our child, reaped here (not by `Child`).
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    assert_eq!(r, pid, "wait4 failed");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    std::mem::forget(child);
    Run {
        code,
        stderr,
        peak_kib: ru.ru_maxrss,
        took: t.elapsed(),
    }
}

/// Answers every request with `head`, then `prefix`, `piece` repeated up to `total` bytes and `suffix`, as one
/// chunk each when `chunked` (else raw, for a Content-Length head), until the client goes away.
fn server(
    head: &'static str,
    chunked: bool,
    prefix: &'static [u8],
    piece: Vec<u8>,
    total: usize,
    suffix: &'static [u8],
) -> RawServer {
    RawServer::start(move |_, p: &mut Peer| {
        if !p.read_request() {
            return;
        }
        if p.send(head.as_bytes()).is_err() {
            return;
        }
        let mut block = Vec::with_capacity(piece.len() + 32);
        let mut send = |p: &mut Peer, bytes: &[u8]| {
            block.clear();
            if chunked {
                block.extend_from_slice(format!("{:x}\r\n", bytes.len()).as_bytes());
            }
            block.extend_from_slice(bytes);
            if chunked {
                block.extend_from_slice(b"\r\n");
            }
            p.send(&block).is_ok()
        };
        if !send(p, prefix) {
            return;
        }
        let mut sent = 0;
        while sent < total {
            let n = piece.len().min(total - sent);
            if !send(p, &piece[..n]) {
                return;
            }
            sent += n;
        }
        if !send(p, suffix) {
            return;
        }
        if chunked {
            let _ = p.send(b"0\r\n\r\n");
        }
        std::thread::sleep(Duration::from_secs(5));
    })
}

fn own_peak_kib() -> i64 {
    // SAFETY: a zeroed rusage is a valid out-parameter.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    ru.ru_maxrss
}

fn small_objects(n: usize) -> Vec<u8> {
    b"{\"a\":1},".repeat(n / 8)
}

#[test]
fn a_60_mib_answer_of_small_objects_is_refused_in_bounded_memory() {
    // Valid JSON: `{"code":0,"data":[{"a":1},{"a":1},...{"a":1}]}`, 60 MiB.
    let srv = server(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        true,
        b"{\"code\":0,\"data\":[",
        small_objects(64 * 1024),
        60 << 20,
        b"{\"a\":1}]}",
    );
    let ca = support::pki().ca_file.to_str().unwrap().to_string();
    let url = srv.https_url();
    let r = run(&["--rest-url", &url, "--ca-file", &ca, "ticker", "BTC/USDT"]);
    eprintln!(
        "ticker vs a 60 MiB chunked answer: exit {:?} in {:?}, peak RSS {} KiB (test process {} KiB); stderr: {}",
        r.code,
        r.took,
        r.peak_kib,
        own_peak_kib(),
        r.stderr.trim()
    );
    assert_eq!(r.code, Some(4), "{}", r.stderr);
    assert!(
        r.stderr.contains("over the 4194304-byte cap"),
        "{}",
        r.stderr
    );
    assert!(r.peak_kib < PEAK_LIMIT_KIB, "peak RSS {} KiB", r.peak_kib);
}

#[test]
fn an_answer_announcing_60_mib_is_refused_at_its_head() {
    let srv = server(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 62914587\r\n\r\n",
        false,
        b"{\"code\":0,\"data\":[",
        small_objects(64 * 1024),
        60 << 20,
        b"{\"a\":1}]}",
    );
    let ca = support::pki().ca_file.to_str().unwrap().to_string();
    let url = srv.https_url();
    let r = run(&["--rest-url", &url, "--ca-file", &ca, "ticker", "BTC/USDT"]);
    eprintln!(
        "ticker vs Content-Length 60 MiB: exit {:?} in {:?}, peak RSS {} KiB",
        r.code, r.took, r.peak_kib
    );
    assert_eq!(r.code, Some(4), "{}", r.stderr);
    assert!(
        r.stderr.contains("over the 4194304-byte cap"),
        "{}",
        r.stderr
    );
    assert!(r.peak_kib < PEAK_LIMIT_KIB, "peak RSS {} KiB", r.peak_kib);
}

#[test]
fn a_dense_answer_under_the_byte_cap_is_refused_before_parsing() {
    // 3.5 MiB of empty objects: under the byte cap, over a million DOM nodes.
    let mut body = b"{\"code\":0,\"data\":[".to_vec();
    while body.len() < 3_500_000 {
        body.extend_from_slice(b"{},");
    }
    body.extend_from_slice(b"{}]}");
    let head: &'static str = Box::leak(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_boxed_str(),
    );
    let total = body.len();
    let srv = server(head, false, b"", body, total, b"");
    let ca = support::pki().ca_file.to_str().unwrap().to_string();
    let url = srv.https_url();
    let r = run(&["--rest-url", &url, "--ca-file", &ca, "ticker", "BTC/USDT"]);
    eprintln!(
        "ticker vs 3.5 MiB of empty objects: exit {:?} in {:?}, peak RSS {} KiB; stderr: {}",
        r.code,
        r.took,
        r.peak_kib,
        r.stderr.trim()
    );
    assert_eq!(r.code, Some(4), "{}", r.stderr);
    assert!(r.stderr.contains("JSON objects/arrays"), "{}", r.stderr);
    assert!(r.peak_kib < PEAK_LIMIT_KIB, "peak RSS {} KiB", r.peak_kib);
}

#[test]
fn ca_file_dev_zero_fails_fast_with_a_clear_error() {
    let r = run(&[
        "--rest-url",
        "https://127.0.0.1:9",
        "--ca-file",
        "/dev/zero",
        "ticker",
        "BTC/USDT",
    ]);
    eprintln!(
        "--ca-file /dev/zero: exit {:?} in {:?}, peak RSS {} KiB; stderr: {}",
        r.code,
        r.took,
        r.peak_kib,
        r.stderr.trim()
    );
    assert!(r.code.is_some_and(|c| c != 0), "{:?} {}", r.code, r.stderr);
    assert!(
        r.stderr.contains("/dev/zero: over 1024 KiB"),
        "{}",
        r.stderr
    );
    assert!(r.peak_kib < PEAK_LIMIT_KIB, "peak RSS {} KiB", r.peak_kib);
    assert!(r.took < Duration::from_secs(2), "took {:?}", r.took);
}

#[test]
fn key_file_that_is_not_a_small_regular_file_is_refused_before_reading() {
    let dir = std::env::temp_dir().join(format!("axh-keyfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("keys.fifo");
    let big = dir.join("keys.big");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    std::fs::write(&big, vec![b'#'; 8 << 20]).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&big, std::fs::Permissions::from_mode(0o600)).unwrap();
    for path in [&fifo, &big] {
        let bin =
            std::env::var("AXH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ascendex").to_string());
        let mut child = Command::new(bin)
            .args(["--rest-url", "https://127.0.0.1:9", "--key-file"])
            .arg(path)
            .arg("balance")
            .env_remove("ASCENDEX_API_KEY")
            .env_remove("ASCENDEX_API_SECRET")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let t = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            if t.elapsed() > Duration::from_secs(5) {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let mut err = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut err);
        eprintln!(
            "--key-file {}: {status:?} in {:?}: {}",
            path.display(),
            t.elapsed(),
            err.trim()
        );
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(2),
            "{}: {err}",
            path.display()
        );
        assert!(
            err.contains("not a regular file of at most 64 KiB"),
            "{err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
