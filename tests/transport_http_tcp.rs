//! Every engine socket carries TCP keep-alive and `TCP_USER_TIMEOUT`, as the connection's spec says, so a link
//! that died silently is dropped by the kernel in seconds.

mod harness;
mod hostile_kit;
mod support;

use std::time::Duration;

use ascendex_hft::engine::{ConnSpec, KeepAlive, TcpOptions};
use ascendex_hft::net::sockopt::get_int;
use harness::{Recorder, engine, fast, run_until};
use hostile_kit::{Peer, RawServer};

fn options_on_the_socket(spec_tcp: Option<TcpOptions>) -> (i32, i32, i32, i32, i32) {
    let srv = RawServer::start(|_, p: &mut Peer| {
        let _ = p.read_request();
        std::thread::sleep(Duration::from_secs(2));
    });
    let mut e = engine(&support::pki().ca_file);
    let mut spec = fast(ConnSpec::http(&srv.https_url()).unwrap());
    if let Some(t) = spec_tcp {
        spec.tcp = t;
    }
    e.add(spec).unwrap();
    let mut rec = Recorder::default();
    assert!(
        run_until(&mut e, &mut rec, |r| r.opens(0) >= 1),
        "{:?}",
        rec.failures()
    );
    let fd = e.raw_fd(0).expect("connected socket");
    (
        get_int(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE).unwrap(),
        get_int(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE).unwrap(),
        get_int(fd, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL).unwrap(),
        get_int(fd, libc::IPPROTO_TCP, libc::TCP_KEEPCNT).unwrap(),
        get_int(fd, libc::IPPROTO_TCP, libc::TCP_USER_TIMEOUT).unwrap(),
    )
}

#[test]
fn default_spec_sets_keepalive_and_user_timeout() {
    let d = TcpOptions::default();
    let k = d.keepalive.unwrap();
    assert_eq!(
        options_on_the_socket(None),
        (
            1,
            k.idle_s as i32,
            k.interval_s as i32,
            k.count as i32,
            d.user_timeout_ms.unwrap() as i32
        )
    );
}

#[test]
fn the_options_are_settable_per_connection() {
    let t = TcpOptions {
        keepalive: Some(KeepAlive {
            idle_s: 11,
            interval_s: 4,
            count: 6,
        }),
        user_timeout_ms: Some(2500),
    };
    assert_eq!(options_on_the_socket(Some(t)), (1, 11, 4, 6, 2500));
}
