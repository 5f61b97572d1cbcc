//! The physical floor: a raw TCP ping-pong over loopback, no TLS, no WebSocket, both ends busy-polling
//! non-blocking sockets on their own pinned core with TCP_NODELAY.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

use hdrhistogram::Histogram;

use super::{CLIENT_CORE, SERVER_CORE, new_histogram, pin};

fn spin_write(sock: &mut TcpStream, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match sock.write(buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::hint::spin_loop(),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads exactly `buf.len()` bytes, spinning on WouldBlock. Ok(false) on EOF before the first byte.
fn spin_read(sock: &mut TcpStream, buf: &mut [u8]) -> io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        match sock.read(&mut buf[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::hint::spin_loop(),
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Round trips of `size` bytes (client on core 0, echo on core 1), `n_warmup` discarded then `n` recorded, in ns.
pub fn raw_tcp_floor_rtt(n_warmup: usize, n: usize, size: usize) -> Histogram<u64> {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("listener address");
    let server = std::thread::spawn(move || -> io::Result<()> {
        pin(SERVER_CORE, "raw TCP echo");
        let (mut sock, _) = listener.accept()?;
        sock.set_nodelay(true)?;
        sock.set_nonblocking(true)?;
        let mut buf = vec![0u8; size.max(1)];
        while spin_read(&mut sock, &mut buf[..size])? {
            spin_write(&mut sock, &buf[..size])?;
        }
        Ok(())
    });
    let client = std::thread::spawn(move || -> io::Result<Histogram<u64>> {
        pin(CLIENT_CORE, "raw TCP client");
        let mut sock = TcpStream::connect(addr)?;
        sock.set_nodelay(true)?;
        sock.set_nonblocking(true)?;
        let out = vec![b'x'; size];
        let mut back = vec![0u8; size];
        let mut hist = new_histogram();
        for i in 0..n_warmup + n {
            let t0 = Instant::now();
            spin_write(&mut sock, &out)?;
            if !spin_read(&mut sock, &mut back)? {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            let ns = t0.elapsed().as_nanos() as u64;
            if i >= n_warmup {
                hist.saturating_record(ns);
            }
        }
        Ok(hist)
    });
    let hist = client
        .join()
        .expect("raw TCP client thread")
        .expect("raw TCP client I/O");
    server
        .join()
        .expect("raw TCP echo thread")
        .expect("raw TCP echo I/O");
    hist
}
