//! A blocking server-side TLS stream over rustls' buffered `ServerConnection` that can misbehave on the wire:
//! ciphertext written in tiny chunks with pauses, records capped in size (via the config).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rustls::{ServerConfig, ServerConnection};

pub struct TlsStream {
    pub conn: ServerConnection,
    pub sock: TcpStream,
    write_chunk: Option<usize>,
    chunk_pause: Duration,
    scratch: Vec<u8>,
}

impl TlsStream {
    pub fn new(
        config: Arc<ServerConfig>,
        sock: TcpStream,
        write_chunk: Option<usize>,
        chunk_pause: Duration,
    ) -> io::Result<Self> {
        let conn = ServerConnection::new(config).map_err(io::Error::other)?;
        Ok(TlsStream {
            conn,
            sock,
            write_chunk: write_chunk.filter(|&n| n > 0),
            chunk_pause,
            scratch: Vec::with_capacity(64 * 1024),
        })
    }

    /// Drives the handshake to completion (blocking). On a TLS error the alert is sent before returning.
    pub fn handshake(&mut self) -> io::Result<()> {
        while self.conn.is_handshaking() {
            self.flush_tls()?;
            if self.conn.wants_read() && !self.read_tls_once()? {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "peer closed during the TLS handshake",
                ));
            }
        }
        self.flush_tls()
    }

    /// Reads one batch of ciphertext from the socket and processes it. Ok(false) on EOF.
    fn read_tls_once(&mut self) -> io::Result<bool> {
        let n = self.conn.read_tls(&mut self.sock)?;
        if n == 0 {
            return Ok(false);
        }
        if let Err(e) = self.conn.process_new_packets() {
            let _ = self.flush_tls();
            return Err(io::Error::new(io::ErrorKind::InvalidData, e));
        }
        Ok(true)
    }

    /// Writes every pending ciphertext byte to the socket, in chunks if asked to.
    pub fn flush_tls(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            self.scratch.clear();
            self.conn.write_tls(&mut self.scratch)?;
            let buf = std::mem::take(&mut self.scratch);
            let r = self.write_raw(&buf);
            self.scratch = buf;
            r?;
        }
        Ok(())
    }

    /// Writes raw bytes to the socket (bypassing TLS), honouring the chunking knob.
    pub fn write_raw(&mut self, buf: &[u8]) -> io::Result<()> {
        match self.write_chunk {
            None => self.sock.write_all(buf),
            Some(n) => {
                for c in buf.chunks(n) {
                    self.sock.write_all(c)?;
                    self.sock.flush()?;
                    std::thread::sleep(self.chunk_pause);
                }
                Ok(())
            }
        }
    }

    /// Sends close_notify and shuts the socket down cleanly.
    pub fn close(&mut self) {
        self.conn.send_close_notify();
        let _ = self.flush_tls();
        let _ = self.sock.shutdown(Shutdown::Write);
    }
}

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !self.read_tls_once()? {
                        // The peer closed TCP without close_notify: report it as EOF to the app.
                        return Ok(0);
                    }
                    // Key updates and the like need an answer.
                    self.flush_tls()?;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

impl Write for TlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.conn.writer().write(buf)?;
        self.flush_tls()?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.conn.writer().flush()?;
        self.flush_tls()
    }
}
