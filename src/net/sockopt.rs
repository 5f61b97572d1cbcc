//! TCP options every connection gets: keep-alive probes and `TCP_USER_TIMEOUT`, so a link that died silently (a
//! NAT or gateway dropped the flow, a cable pulled) is found by the kernel in seconds instead of the default
//! ~2 hours of keep-alive or ~15 minutes of retransmissions. Linux names; elsewhere the options are skipped.

use std::io;
use std::os::fd::RawFd;

/// Keep-alive probing of an idle connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeepAlive {
    /// Idle seconds before the first probe (`TCP_KEEPIDLE`).
    pub idle_s: u32,
    /// Seconds between probes (`TCP_KEEPINTVL`).
    pub interval_s: u32,
    /// Unanswered probes before the connection is dropped (`TCP_KEEPCNT`).
    pub count: u32,
}

/// The TCP options of one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpOptions {
    /// `None` leaves keep-alive off.
    pub keepalive: Option<KeepAlive>,
    /// Milliseconds sent data may stay unacknowledged before the kernel drops the connection; `None` keeps the
    /// kernel's retransmission schedule.
    pub user_timeout_ms: Option<u32>,
}

impl Default for TcpOptions {
    /// A quiet link is probed after 5 s and dropped after 3 lost probes 2 s apart (~11 s); an order written into a
    /// dead link fails after 10 s. The WebSocket pings at 15 s sit above this, so the kernel usually finds it first.
    fn default() -> Self {
        TcpOptions {
            keepalive: Some(KeepAlive {
                idle_s: 5,
                interval_s: 2,
                count: 3,
            }),
            user_timeout_ms: Some(10_000),
        }
    }
}

fn set_int(fd: RawFd, level: libc::c_int, opt: libc::c_int, v: u32) -> io::Result<()> {
    let v = v.min(i32::MAX as u32) as libc::c_int;
    // SAFETY: `fd` is a live socket the caller owns; the value is a c_int of the declared length.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            opt,
            (&v as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Reads an integer socket option (tests check what `apply` set).
pub fn get_int(fd: RawFd, level: libc::c_int, opt: libc::c_int) -> io::Result<i32> {
    let mut v: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `fd` is a live socket; `v` and `len` are a correctly sized out-buffer.
    let r = unsafe {
        libc::getsockopt(
            fd,
            level,
            opt,
            (&mut v as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if r == 0 {
        Ok(v)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Applies `o` to the TCP socket `fd`.
pub fn apply(fd: RawFd, o: &TcpOptions) -> io::Result<()> {
    match o.keepalive {
        Some(k) => {
            set_int(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1)?;
            #[cfg(any(target_os = "linux", target_os = "android"))]
            {
                set_int(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, k.idle_s.max(1))?;
                set_int(
                    fd,
                    libc::IPPROTO_TCP,
                    libc::TCP_KEEPINTVL,
                    k.interval_s.max(1),
                )?;
                set_int(fd, libc::IPPROTO_TCP, libc::TCP_KEEPCNT, k.count.max(1))?;
            }
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            let _ = k;
        }
        None => set_int(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE, 0)?,
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Some(ms) = o.user_timeout_ms {
        set_int(fd, libc::IPPROTO_TCP, libc::TCP_USER_TIMEOUT, ms)?;
    }
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn options_are_set_on_the_socket() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let s = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let fd = s.as_raw_fd();
        let o = TcpOptions {
            keepalive: Some(KeepAlive {
                idle_s: 7,
                interval_s: 3,
                count: 4,
            }),
            user_timeout_ms: Some(4321),
        };
        apply(fd, &o).unwrap();
        assert_eq!(
            get_int(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE).unwrap(),
            1
        );
        assert_eq!(
            get_int(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE).unwrap(),
            7
        );
        assert_eq!(
            get_int(fd, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL).unwrap(),
            3
        );
        assert_eq!(
            get_int(fd, libc::IPPROTO_TCP, libc::TCP_KEEPCNT).unwrap(),
            4
        );
        assert_eq!(
            get_int(fd, libc::IPPROTO_TCP, libc::TCP_USER_TIMEOUT).unwrap(),
            4321
        );
        apply(
            fd,
            &TcpOptions {
                keepalive: None,
                user_timeout_ms: None,
            },
        )
        .unwrap();
        assert_eq!(
            get_int(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE).unwrap(),
            0
        );
    }
}
