//! TLS 1.3 client over a non-blocking byte stream, allocation-free once the handshake is done.
//!
//! rustls drives the handshake through its unbuffered API. When the handshake completes, the connection becomes a
//! `rustls::kernel::KernelConnection` (rustls's API for kTLS-style users) and from then on records are sealed and
//! opened in place with ring's AEAD in buffers this struct owns; rustls still handles key updates and session
//! tickets. Why not simply keep using rustls for records: in rustls 0.23 both the buffered and the unbuffered
//! connection copy every received record into a fresh `Vec` (`take_received_plaintext`), which breaks the
//! zero-allocation rule of the hot path. Only TLS 1.3 is offered, so there is one record format to get right.
//!
//! Certificate and host-name verification are rustls's own (webpki) and cannot be switched off here.

use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;

use ring::aead;
use rustls::client::{ClientConnectionData, UnbufferedClientConnection};
use rustls::kernel::KernelConnection;
use rustls::unbuffered::{ConnectionState, EncodeError, UnbufferedStatus};
use rustls::{ClientConfig, ConnectionTrafficSecrets, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};

/// Largest TLS 1.3 plaintext fragment (RFC 8446 §5.1).
pub const MAX_FRAGMENT: usize = 16 * 1024;
const HEADER_LEN: usize = 5;
const TAG_LEN: usize = 16;
/// Largest ciphertext a peer may send in one record: 2^14 + 256 (RFC 8446 §5.2).
const MAX_CIPHERTEXT: usize = MAX_FRAGMENT + 256;
const CT_ALERT: u8 = 21;
const CT_HANDSHAKE: u8 = 22;
const CT_APP_DATA: u8 = 23;
const HS_NEW_SESSION_TICKET: u8 = 4;
const HS_KEY_UPDATE: u8 = 24;
/// Re-key the send direction well before AES-GCM's confidentiality limit (2^24 records in rustls's ring suites).
const TX_REKEY_AFTER: u64 = 1 << 23;

/// Why a TLS connection failed. None of these carry secret material.
#[derive(Debug)]
pub enum TlsError {
    /// The socket failed.
    Io(io::Error),
    /// rustls refused the handshake (certificate, name, protocol); the message says which check failed.
    Handshake(rustls::Error),
    /// A record failed authentication: corrupted or forged data on the wire.
    BadRecord,
    /// The peer sent a record type or size TLS 1.3 does not allow after the handshake.
    Protocol(&'static str),
    /// The peer sent a fatal alert (the TLS alert description code).
    Alert(u8),
    /// The peer closed the TCP connection without a TLS close_notify (possible truncation).
    UnexpectedEof,
    /// More plaintext was queued than the send buffer holds; the socket is not draining.
    SendBufferFull,
    /// The CA file could not be read or held no certificate.
    CaFile(String),
}

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsError::Io(e) => write!(f, "socket error: {e}"),
            TlsError::Handshake(e) => write!(f, "TLS handshake failed: {e}"),
            TlsError::BadRecord => write!(
                f,
                "TLS record failed authentication (corrupted or forged data)"
            ),
            TlsError::Protocol(what) => write!(f, "TLS protocol violation by the peer: {what}"),
            TlsError::Alert(code) => write!(f, "the peer sent fatal TLS alert {code}"),
            TlsError::UnexpectedEof => {
                write!(f, "the peer closed the connection without TLS close_notify")
            }
            TlsError::SendBufferFull => write!(f, "TLS send buffer full: the peer is not reading"),
            TlsError::CaFile(msg) => write!(f, "cannot use the CA file: {msg}"),
        }
    }
}

impl std::error::Error for TlsError {}

impl From<io::Error> for TlsError {
    fn from(e: io::Error) -> Self {
        TlsError::Io(e)
    }
}

/// Client configuration: the public web roots plus the roots in `extra_ca_file` (a simulator, a private gateway).
/// TLS 1.3 only; secret extraction is enabled because the record layer after the handshake is ours.
pub fn client_config(extra_ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, TlsError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = extra_ca_file {
        let mut added = 0;
        let pem = read_capped(path, MAX_CA_FILE)?;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| TlsError::CaFile(format!("{}: {e}", path.display())))?;
            roots
                .add(cert)
                .map_err(|e| TlsError::CaFile(format!("{}: {e}", path.display())))?;
            added += 1;
        }
        if added == 0 {
            return Err(TlsError::CaFile(format!(
                "{}: no certificate found",
                path.display()
            )));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(TlsError::Handshake)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.enable_secret_extraction = true;
    Ok(Arc::new(cfg))
}

/// Largest CA file read: a bundle of every public root is ~250 KiB of PEM, so 1 MiB is generous, and a path
/// such as `/dev/zero` or a log file given by mistake fails fast instead of filling memory.
pub const MAX_CA_FILE: u64 = 1024 * 1024;

/// Reads a file named by the user, refusing more than `cap` bytes.
fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, TlsError> {
    let f = std::fs::File::open(path)
        .map_err(|e| TlsError::CaFile(format!("{}: {e}", path.display())))?;
    let mut buf = Vec::new();
    f.take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(|e| TlsError::CaFile(format!("{}: {e}", path.display())))?;
    if buf.len() as u64 > cap {
        return Err(TlsError::CaFile(format!(
            "{}: over {} KiB; a CA file holds a few PEM certificates",
            path.display(),
            cap / 1024
        )));
    }
    Ok(buf)
}

/// One direction's record protection: key, static IV and sequence number.
struct RecordKey {
    key: aead::LessSafeKey,
    iv: [u8; 12],
    seq: u64,
}

impl RecordKey {
    fn new(seq: u64, secrets: ConnectionTrafficSecrets) -> Result<Self, TlsError> {
        let (alg, key, iv) = match &secrets {
            ConnectionTrafficSecrets::Aes128Gcm { key, iv } => (&aead::AES_128_GCM, key, iv),
            ConnectionTrafficSecrets::Aes256Gcm { key, iv } => (&aead::AES_256_GCM, key, iv),
            ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv } => {
                (&aead::CHACHA20_POLY1305, key, iv)
            }
            _ => {
                return Err(TlsError::Protocol(
                    "negotiated cipher suite has no record layer here",
                ));
            }
        };
        let unbound = aead::UnboundKey::new(alg, key.as_ref())
            .map_err(|_| TlsError::Protocol("bad traffic key length"))?;
        let iv: [u8; 12] = iv
            .as_ref()
            .try_into()
            .map_err(|_| TlsError::Protocol("bad IV length"))?;
        Ok(RecordKey {
            key: aead::LessSafeKey::new(unbound),
            iv,
            seq,
        })
    }

    /// RFC 8446 §5.3: the per-record nonce is the static IV XOR the 64-bit sequence number.
    fn next_nonce(&mut self) -> aead::Nonce {
        let mut n = self.iv;
        for (b, s) in n[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *b ^= s;
        }
        self.seq += 1;
        aead::Nonce::assume_unique_for_key(n)
    }
}

// The open phase is large (AEAD key schedules) and stays inline: a Box would cost a pointer chase per record.
#[allow(clippy::large_enum_variant)]
enum Phase {
    Handshaking(Box<UnbufferedClientConnection>),
    Open {
        kernel: Box<KernelConnection<ClientConnectionData>>,
        rx: RecordKey,
        tx: RecordKey,
    },
    Failed,
}

/// Connection state as seen by the owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsState {
    Handshaking,
    Open,
    /// The peer sent close_notify: everything it sent has been delivered.
    PeerClosed,
    Failed,
}

/// Buffer sizes. The defaults suit market data: records are small, bursts are not.
#[derive(Clone, Copy, Debug)]
pub struct TlsBuffers {
    /// Ciphertext read buffer; holds several records so one `read()` can take a burst.
    pub rx: usize,
    /// Decrypted bytes not yet consumed by the protocol above.
    pub plain: usize,
    /// Encrypted bytes not yet accepted by the socket.
    pub tx: usize,
}

impl Default for TlsBuffers {
    fn default() -> Self {
        TlsBuffers {
            rx: 128 * 1024,
            plain: 256 * 1024,
            tx: 256 * 1024,
        }
    }
}

/// What one `read_tls` call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadOutcome {
    /// Plaintext bytes added to `plaintext()`.
    pub plaintext_added: usize,
    /// The handshake finished during this call.
    pub handshake_done: bool,
    /// The peer sent close_notify.
    pub peer_closed: bool,
}

/// A TLS 1.3 client stream over `S` (a mio `TcpStream`, or an in-memory pipe in tests and benches).
pub struct TlsStream<S> {
    io: S,
    phase: Phase,
    peer_closed: bool,
    /// The last `read_tls` stopped on a full buffer, so the socket may hold more.
    blocked: bool,
    /// The poller said the peer shut its side down (`EPOLLRDHUP`): read to EOF instead of stopping at a short read.
    read_closed: bool,
    /// TCP EOF without close_notify was read after plaintext that is still to be delivered: the next `read_tls`
    /// reports `UnexpectedEof`.
    eof_pending: bool,
    /// Writes that stopped on `WouldBlock` with ciphertext still queued.
    pub write_blocks: u64,
    /// A post-handshake message split across records (TLS 1.3 allows it); empty on the hot path.
    hs_partial: Vec<u8>,
    rx: Box<[u8]>,
    rx_start: usize,
    rx_end: usize,
    plain: Box<[u8]>,
    p_start: usize,
    p_end: usize,
    tx: Box<[u8]>,
    t_start: usize,
    t_end: usize,
}

impl<S: Read + Write> TlsStream<S> {
    /// Starts a handshake to `name` over an already connected (or connecting) stream. The ClientHello is queued
    /// and written by the first `flush`.
    pub fn new(
        io: S,
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
        bufs: TlsBuffers,
    ) -> Result<Self, TlsError> {
        let conn = UnbufferedClientConnection::new(config, name).map_err(TlsError::Handshake)?;
        let mut s = TlsStream {
            io,
            phase: Phase::Handshaking(Box::new(conn)),
            peer_closed: false,
            blocked: false,
            read_closed: false,
            eof_pending: false,
            write_blocks: 0,
            hs_partial: Vec::new(),
            rx: vec![0; bufs.rx.max(2 * (MAX_CIPHERTEXT + HEADER_LEN))].into_boxed_slice(),
            rx_start: 0,
            rx_end: 0,
            // Room for a partial message plus one more full record (see `max_pending_plaintext`).
            plain: vec![0; bufs.plain.max(2 * MAX_CIPHERTEXT)].into_boxed_slice(),
            p_start: 0,
            p_end: 0,
            tx: vec![0; bufs.tx.max(2 * (MAX_CIPHERTEXT + HEADER_LEN))].into_boxed_slice(),
            t_start: 0,
            t_end: 0,
        };
        s.drive_handshake()?;
        Ok(s)
    }

    pub fn state(&self) -> TlsState {
        match self.phase {
            Phase::Handshaking(_) => TlsState::Handshaking,
            Phase::Open { .. } if self.peer_closed => TlsState::PeerClosed,
            Phase::Open { .. } => TlsState::Open,
            Phase::Failed => TlsState::Failed,
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Open { .. }) && !self.peer_closed
    }

    pub fn get_ref(&self) -> &S {
        &self.io
    }

    pub fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// Decrypted bytes waiting for the protocol above.
    #[inline]
    pub fn plaintext(&self) -> &[u8] {
        &self.plain[self.p_start..self.p_end]
    }

    /// Marks `n` plaintext bytes as consumed.
    #[inline]
    pub fn consume(&mut self, n: usize) {
        self.p_start = (self.p_start + n).min(self.p_end);
        if self.p_start == self.p_end {
            self.p_start = 0;
            self.p_end = 0;
        }
    }

    /// Room for more plaintext; when it is zero the protocol above must consume before more can be decrypted.
    pub fn plaintext_capacity(&self) -> usize {
        self.plain.len()
    }

    /// While fewer unconsumed plaintext bytes than this are buffered, another record of any size can still be
    /// decrypted, so a protocol waiting for more of an incomplete element makes progress. An element that needs
    /// more than this can never complete in this buffer: the protocol above must fail it rather than wait.
    #[inline]
    pub fn max_pending_plaintext(&self) -> usize {
        self.plain.len() - MAX_CIPHERTEXT
    }

    /// True when the last `read_tls` stopped because the buffers were full: consume, then call it again.
    #[inline]
    pub fn read_blocked(&self) -> bool {
        self.blocked
    }

    /// Tells the stream the poller reported the peer's half-close (mio's `is_read_closed`). With edge-triggered
    /// readiness the FIN that came with the last data raises no further event, so `read_tls` then reads until EOF
    /// rather than stopping at the first short read.
    #[inline]
    pub fn note_read_closed(&mut self) {
        self.read_closed = true;
    }

    /// True when the socket hit EOF (no close_notify) behind plaintext still buffered: deliver what is in
    /// `plaintext()`, then call `read_tls` again to get the `UnexpectedEof`.
    #[inline]
    pub fn eof_pending(&self) -> bool {
        self.eof_pending
    }

    /// True when encrypted bytes are waiting for the socket to accept them.
    #[inline]
    pub fn wants_write(&self) -> bool {
        self.t_end > self.t_start
    }

    /// Reads what the socket has, runs the handshake or decrypts records into `plaintext()`.
    ///
    /// Stops quietly on `WouldBlock`. A read shorter than the free space means the kernel's buffer was drained, so
    /// no extra `read()` is spent just to collect a `WouldBlock` (with edge-triggered readiness new data raises a
    /// new event) — unless `note_read_closed` was called: a FIN that arrived with the data raises no new event, so
    /// then it reads on to EOF. Also stops when the plaintext buffer is full: the caller consumes and calls again.
    pub fn read_tls(&mut self) -> Result<ReadOutcome, TlsError> {
        let mut out = ReadOutcome::default();
        let p_before = self.p_end - self.p_start;
        self.blocked = false;
        if self.eof_pending {
            // Records that waited for plaintext room still came before the EOF: hand them over first.
            self.process()?;
            let grew = self.p_end - self.p_start > p_before;
            if self.peer_closed || grew {
                self.eof_pending = !self.peer_closed;
                out.plaintext_added = (self.p_end - self.p_start).saturating_sub(p_before);
                out.peer_closed = self.peer_closed;
                return Ok(out);
            }
            self.eof_pending = false;
            self.phase = Phase::Failed;
            return Err(TlsError::UnexpectedEof);
        }
        loop {
            // Decrypt what is already buffered first, so a full rx buffer never blocks progress.
            let handshake_before = matches!(self.phase, Phase::Handshaking(_));
            self.process()?;
            if handshake_before && matches!(self.phase, Phase::Open { .. }) {
                out.handshake_done = true;
            }
            if self.peer_closed {
                break;
            }
            if self.rx_start > 0 && (self.rx_end == self.rx.len() || self.rx_start == self.rx_end) {
                self.rx.copy_within(self.rx_start..self.rx_end, 0);
                self.rx_end -= self.rx_start;
                self.rx_start = 0;
            }
            let free = self.rx.len() - self.rx_end;
            if free == 0 {
                self.blocked = true; // plaintext backpressure: records wait until the caller consumes.
                break;
            }
            match self.io.read(&mut self.rx[self.rx_end..]) {
                Ok(0) => {
                    self.process()?;
                    if !self.peer_closed {
                        if self.p_end - self.p_start > p_before || self.rx_start < self.rx_end {
                            // Hand over what arrived with the FIN first; the error comes on a later call.
                            self.eof_pending = true;
                            break;
                        }
                        self.phase = Phase::Failed;
                        return Err(TlsError::UnexpectedEof);
                    }
                    break;
                }
                Ok(n) => {
                    self.rx_end += n;
                    if n < free && !self.read_closed {
                        let handshake_before = matches!(self.phase, Phase::Handshaking(_));
                        self.process()?;
                        if handshake_before && matches!(self.phase, Phase::Open { .. }) {
                            out.handshake_done = true;
                            // The server may already have sent data behind its Finished; keep reading.
                            continue;
                        }
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.phase = Phase::Failed;
                    return Err(TlsError::Io(e));
                }
            }
        }
        out.plaintext_added = (self.p_end - self.p_start).saturating_sub(p_before);
        out.peer_closed = self.peer_closed;
        Ok(out)
    }

    fn process(&mut self) -> Result<(), TlsError> {
        let r = match self.phase {
            Phase::Handshaking(_) => self.drive_handshake(),
            Phase::Open { .. } => self.open_records(),
            Phase::Failed => Err(TlsError::Protocol("connection already failed")),
        };
        if r.is_err() {
            self.phase = Phase::Failed;
        }
        r
    }

    fn drive_handshake(&mut self) -> Result<(), TlsError> {
        loop {
            let Phase::Handshaking(conn) = &mut self.phase else {
                return Ok(());
            };
            let UnbufferedStatus { discard, state } =
                conn.process_tls_records(&mut self.rx[self.rx_start..self.rx_end]);
            let mut done = false;
            let mut blocked = false;
            match state.map_err(TlsError::Handshake)? {
                ConnectionState::EncodeTlsData(mut enc) => match enc
                    .encode(&mut self.tx[self.t_end..])
                {
                    Ok(n) => self.t_end += n,
                    Err(EncodeError::InsufficientSize(_)) => return Err(TlsError::SendBufferFull),
                    Err(_) => return Err(TlsError::Protocol("handshake record encoded twice")),
                },
                ConnectionState::TransmitTlsData(t) => {
                    // The bytes are in our buffer and will be written by `flush`; rustls only needs to know
                    // they will not be sent twice.
                    t.done();
                }
                ConnectionState::BlockedHandshake => blocked = true,
                ConnectionState::ReadTraffic(mut rt) => {
                    while let Some(rec) = rt.next_record() {
                        let rec = rec.map_err(TlsError::Handshake)?;
                        let room = self.plain.len() - self.p_end;
                        if rec.payload.len() > room {
                            return Err(TlsError::Protocol(
                                "early application data larger than the buffer",
                            ));
                        }
                        self.plain[self.p_end..self.p_end + rec.payload.len()]
                            .copy_from_slice(rec.payload);
                        self.p_end += rec.payload.len();
                    }
                }
                ConnectionState::WriteTraffic(_) => done = true,
                ConnectionState::PeerClosed | ConnectionState::Closed => {
                    return Err(TlsError::Protocol("peer closed during the handshake"));
                }
                _ => return Err(TlsError::Protocol("unexpected handshake state")),
            }
            self.rx_start += discard;
            if done {
                let Phase::Handshaking(conn) = std::mem::replace(&mut self.phase, Phase::Failed)
                else {
                    return Ok(());
                };
                let (secrets, kernel) = conn
                    .dangerous_into_kernel_connection()
                    .map_err(TlsError::Handshake)?;
                let rx = RecordKey::new(secrets.rx.0, secrets.rx.1)?;
                let tx = RecordKey::new(secrets.tx.0, secrets.tx.1)?;
                self.phase = Phase::Open {
                    kernel: Box::new(kernel),
                    rx,
                    tx,
                };
                self.flush()?;
                return self.open_records();
            }
            if blocked {
                self.flush()?;
                return Ok(());
            }
        }
    }

    /// Opens every complete record in `rx`, appending application data to the plaintext buffer.
    fn open_records(&mut self) -> Result<(), TlsError> {
        loop {
            let avail = self.rx_end - self.rx_start;
            if avail < HEADER_LEN || self.peer_closed {
                return Ok(());
            }
            let h = &self.rx[self.rx_start..self.rx_start + HEADER_LEN];
            let header: [u8; HEADER_LEN] = [h[0], h[1], h[2], h[3], h[4]];
            let len = u16::from_be_bytes([header[3], header[4]]) as usize;
            if header[0] != CT_APP_DATA {
                return Err(TlsError::Protocol(
                    "non-application-data record after the handshake",
                ));
            }
            if !(TAG_LEN + 1..=MAX_CIPHERTEXT).contains(&len) {
                return Err(TlsError::Protocol("record length out of range"));
            }
            if avail < HEADER_LEN + len {
                return Ok(());
            }
            // Decrypting is in place, so make sure the plaintext fits before touching the record.
            // Content plus the inner content-type byte is `len - TAG_LEN`; only the content is copied out.
            let max_plain = len - TAG_LEN - 1;
            if self.plain.len() - self.p_end < max_plain {
                if self.p_start > 0 {
                    self.plain.copy_within(self.p_start..self.p_end, 0);
                    self.p_end -= self.p_start;
                    self.p_start = 0;
                }
                if self.plain.len() - self.p_end < max_plain {
                    // Backpressure. Whole records wait in `rx` and the socket may already be drained, so no
                    // readable edge is coming for them: `read_blocked` tells the caller to consume and call again.
                    self.blocked = true;
                    return Ok(());
                }
            }
            let Phase::Open { rx, .. } = &mut self.phase else {
                return Ok(());
            };
            let body = self.rx_start + HEADER_LEN;
            let nonce = rx.next_nonce();
            let opened = rx
                .key
                .open_in_place(
                    nonce,
                    aead::Aad::from(header),
                    &mut self.rx[body..body + len],
                )
                .map_err(|_| TlsError::BadRecord)?;
            // The inner content type is the last non-zero byte; zeros after it are padding.
            let Some(type_at) = opened.iter().rposition(|&b| b != 0) else {
                return Err(TlsError::Protocol("record without content type"));
            };
            let content_type = opened[type_at];
            let content_end = body + type_at;
            self.rx_start += HEADER_LEN + len;
            match content_type {
                CT_APP_DATA => {
                    let n = content_end - body;
                    self.plain[self.p_end..self.p_end + n]
                        .copy_from_slice(&self.rx[body..content_end]);
                    self.p_end += n;
                }
                CT_ALERT => {
                    let alert = &self.rx[body..content_end];
                    match alert {
                        [_, 0] => self.peer_closed = true, // close_notify
                        [_, desc] => return Err(TlsError::Alert(*desc)),
                        _ => return Err(TlsError::Protocol("malformed alert")),
                    }
                }
                CT_HANDSHAKE => self.post_handshake(body, content_end)?,
                _ => return Err(TlsError::Protocol("unknown record content type")),
            }
            if self.rx_start == self.rx_end {
                self.rx_start = 0;
                self.rx_end = 0;
            }
        }
    }

    /// Post-handshake messages: session tickets go to rustls; key updates re-key (RFC 8446 §4.6.3). A message may
    /// span records, so bytes are gathered until each message is whole. This path is rare (tickets right after the
    /// handshake, key updates every few million records), so it may allocate.
    fn post_handshake(&mut self, start: usize, end: usize) -> Result<(), TlsError> {
        self.hs_partial.extend_from_slice(&self.rx[start..end]);
        let mut at = 0;
        while self.hs_partial.len() - at >= 4 {
            let m = &self.hs_partial[at..];
            let typ = m[0];
            let len = u32::from_be_bytes([0, m[1], m[2], m[3]]) as usize;
            if len > MAX_FRAGMENT * 4 {
                return Err(TlsError::Protocol("oversized post-handshake message"));
            }
            if m.len() - 4 < len {
                break;
            }
            let body = &m[4..4 + len];
            let Phase::Open { kernel, rx, .. } = &mut self.phase else {
                return Ok(());
            };
            match typ {
                HS_NEW_SESSION_TICKET => kernel
                    .handle_new_session_ticket(body)
                    .map_err(TlsError::Handshake)?,
                HS_KEY_UPDATE => {
                    if len != 1 {
                        return Err(TlsError::Protocol("malformed KeyUpdate"));
                    }
                    let requested = body[0] == 1;
                    let (seq, secrets) = kernel.update_rx_secret().map_err(TlsError::Handshake)?;
                    *rx = RecordKey::new(seq, secrets)?;
                    if requested {
                        self.send_key_update()?;
                    }
                }
                _ => {
                    return Err(TlsError::Protocol(
                        "unexpected handshake message after the handshake",
                    ));
                }
            }
            at += 4 + len;
        }
        self.hs_partial.drain(..at);
        Ok(())
    }

    /// Sends KeyUpdate(update_not_requested) under the current key, then switches to the next one.
    fn send_key_update(&mut self) -> Result<(), TlsError> {
        self.seal(&[HS_KEY_UPDATE, 0, 0, 1, 0], CT_HANDSHAKE)?;
        let Phase::Open { kernel, tx, .. } = &mut self.phase else {
            return Ok(());
        };
        let (seq, secrets) = kernel.update_tx_secret().map_err(TlsError::Handshake)?;
        *tx = RecordKey::new(seq, secrets)?;
        Ok(())
    }

    /// Encrypts `data` as application data into the send buffer (split into records as needed), then tries to
    /// write it. On `WouldBlock` the rest stays queued for `flush`.
    pub fn send(&mut self, data: &[u8]) -> Result<(), TlsError> {
        for chunk in data.chunks(MAX_FRAGMENT) {
            self.seal(chunk, CT_APP_DATA)?;
        }
        self.flush()?;
        Ok(())
    }

    /// Encrypts `data` without writing to the socket (callers batching several messages, and benches).
    pub fn queue(&mut self, data: &[u8]) -> Result<(), TlsError> {
        for chunk in data.chunks(MAX_FRAGMENT) {
            self.seal(chunk, CT_APP_DATA)?;
        }
        Ok(())
    }

    fn seal(&mut self, data: &[u8], content_type: u8) -> Result<(), TlsError> {
        let need = HEADER_LEN + data.len() + 1 + TAG_LEN;
        if self.tx.len() - self.t_end < need {
            if self.t_start > 0 {
                self.tx.copy_within(self.t_start..self.t_end, 0);
                self.t_end -= self.t_start;
                self.t_start = 0;
            }
            if self.tx.len() - self.t_end < need {
                return Err(TlsError::SendBufferFull);
            }
        }
        let rekey = match &self.phase {
            Phase::Open { tx, .. } => tx.seq >= TX_REKEY_AFTER && content_type == CT_APP_DATA,
            _ => return Err(TlsError::Protocol("send before the handshake completed")),
        };
        if rekey {
            self.send_key_update()?;
        }
        let Phase::Open { tx, .. } = &mut self.phase else {
            return Err(TlsError::Protocol("send before the handshake completed"));
        };
        let at = self.t_end;
        let inner_len = data.len() + 1;
        let rec_len = (inner_len + TAG_LEN) as u16;
        let header = [CT_APP_DATA, 3, 3, (rec_len >> 8) as u8, rec_len as u8];
        self.tx[at..at + HEADER_LEN].copy_from_slice(&header);
        let body = at + HEADER_LEN;
        self.tx[body..body + data.len()].copy_from_slice(data);
        self.tx[body + data.len()] = content_type;
        let nonce = tx.next_nonce();
        let tag = tx
            .key
            .seal_in_place_separate_tag(
                nonce,
                aead::Aad::from(header),
                &mut self.tx[body..body + inner_len],
            )
            .map_err(|_| TlsError::Protocol("encryption failed"))?;
        self.tx[body + inner_len..body + inner_len + TAG_LEN].copy_from_slice(tag.as_ref());
        self.t_end = body + inner_len + TAG_LEN;
        Ok(())
    }

    /// Writes queued ciphertext until done or `WouldBlock`. Returns true when nothing is left queued.
    pub fn flush(&mut self) -> Result<bool, TlsError> {
        while self.t_start < self.t_end {
            match self.io.write(&self.tx[self.t_start..self.t_end]) {
                Ok(0) => {
                    self.phase = Phase::Failed;
                    return Err(TlsError::Io(io::ErrorKind::WriteZero.into()));
                }
                Ok(n) => self.t_start += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.write_blocks += 1;
                    return Ok(false);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(false), // connect in progress
                Err(e) => {
                    self.phase = Phase::Failed;
                    return Err(TlsError::Io(e));
                }
            }
        }
        self.t_start = 0;
        self.t_end = 0;
        Ok(true)
    }

    /// Queues close_notify and tries to write it. The caller drops the stream once `flush` returns true or a
    /// grace period passes.
    pub fn close(&mut self) -> Result<(), TlsError> {
        if matches!(self.phase, Phase::Open { .. }) {
            self.seal(&[1, 0], CT_ALERT)?;
            self.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::testkit::{MemIo, MemServer, client_config};

    fn name() -> ServerName<'static> {
        ServerName::try_from("localhost").unwrap()
    }

    /// Drives the handshake to completion; returns the connected pair.
    fn connect(max_fragment: Option<usize>, read_chunk: usize) -> (MemServer, TlsStream<MemIo>) {
        let (mut srv, io) = MemServer::new(max_fragment, read_chunk);
        let mut cli = TlsStream::new(io, client_config(), name(), TlsBuffers::default()).unwrap();
        for _ in 0..100_000 {
            cli.flush().unwrap();
            srv.pump();
            cli.read_tls().unwrap();
            if cli.is_open() && !srv.conn.is_handshaking() {
                break;
            }
        }
        assert_eq!(cli.state(), TlsState::Open);
        cli.flush().unwrap();
        srv.pump();
        (srv, cli)
    }

    fn read_all(cli: &mut TlsStream<MemIo>, want: usize) -> Vec<u8> {
        let mut got = Vec::new();
        for _ in 0..1_000_000 {
            cli.read_tls().unwrap();
            got.extend_from_slice(cli.plaintext());
            let n = cli.plaintext().len();
            cli.consume(n);
            if got.len() >= want {
                break;
            }
        }
        got
    }

    #[test]
    fn data_both_ways_with_records_split_and_one_byte_reads() {
        let (mut srv, mut cli) = connect(Some(64), 1);
        let msg: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        srv.send(&msg);
        assert!(read_all(&mut cli, msg.len()) == msg, "plaintext differs");
        cli.send(b"hello from the client").unwrap();
        assert_eq!(srv.pump(), b"hello from the client");
    }

    #[test]
    fn large_writes_are_split_into_records() {
        let (mut srv, mut cli) = connect(None, usize::MAX);
        let big = vec![7u8; 100_000];
        cli.send(&big).unwrap();
        assert!(srv.pump() == big, "server got different bytes");
    }

    #[test]
    fn server_key_update_is_followed_and_our_keys_update_when_asked() {
        let (mut srv, mut cli) = connect(None, usize::MAX);
        srv.send(b"before");
        assert_eq!(read_all(&mut cli, 6), b"before");
        // rustls's server sends KeyUpdate(update_requested): we must switch rx keys and answer with our own.
        srv.conn.refresh_traffic_keys().unwrap();
        srv.send(b"after");
        assert_eq!(read_all(&mut cli, 5), b"after");
        cli.send(b"still readable").unwrap();
        assert_eq!(srv.pump(), b"still readable");
    }

    #[test]
    fn corrupted_record_is_rejected_not_delivered() {
        let (mut srv, mut cli) = connect(None, usize::MAX);
        srv.conn.writer().write_all(b"secret payload").unwrap();
        let mut out = Vec::new();
        while srv.conn.wants_write() {
            srv.conn.write_tls(&mut out).unwrap();
        }
        let last = out.len() - 3;
        out[last] ^= 0x40;
        srv.to_client.0.borrow_mut().extend(out);
        match cli.read_tls() {
            Err(TlsError::BadRecord) => {}
            other => panic!("expected BadRecord, got {other:?}"),
        }
        assert!(cli.plaintext().is_empty());
        assert_eq!(cli.state(), TlsState::Failed);
    }

    #[test]
    fn close_notify_is_a_clean_close_and_eof_without_it_is_an_error() {
        let (mut srv, mut cli) = connect(None, usize::MAX);
        srv.conn.send_close_notify();
        srv.send(b"");
        let r = cli.read_tls().unwrap();
        assert!(r.peer_closed);
        assert_eq!(cli.state(), TlsState::PeerClosed);

        let (srv2, mut cli2) = connect(None, usize::MAX);
        *srv2.eof.borrow_mut() = true;
        assert!(matches!(cli2.read_tls(), Err(TlsError::UnexpectedEof)));
    }

    #[test]
    fn data_that_came_with_a_bare_eof_is_delivered_before_the_error() {
        let (mut srv, mut cli) = connect(None, usize::MAX);
        srv.send(b"last words");
        *srv.eof.borrow_mut() = true;
        // The poller saw EPOLLRDHUP with the data: read on to the EOF in this same call.
        cli.note_read_closed();
        let r = cli.read_tls().unwrap();
        assert_eq!(r.plaintext_added, 10);
        assert_eq!(cli.plaintext(), b"last words");
        assert!(cli.eof_pending());
        cli.consume(10);
        assert!(matches!(cli.read_tls(), Err(TlsError::UnexpectedEof)));
        assert_eq!(cli.state(), TlsState::Failed);
    }

    #[test]
    fn wrong_server_name_fails_the_handshake() {
        let (mut srv, io) = MemServer::new(None, usize::MAX);
        let mut cli = TlsStream::new(
            io,
            client_config(),
            ServerName::try_from("other.example").unwrap(),
            TlsBuffers::default(),
        )
        .unwrap();
        let mut failed = None;
        for _ in 0..100 {
            cli.flush().ok();
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| srv.pump()));
            if let Err(e) = cli.read_tls() {
                failed = Some(e);
                break;
            }
        }
        match failed {
            Some(TlsError::Handshake(e)) => assert!(e.to_string().contains("certificate"), "{e}"),
            other => panic!("expected a certificate error, got {other:?}"),
        }
    }

    #[test]
    fn garbage_instead_of_a_handshake_is_an_error() {
        let (srv, io) = MemServer::new(None, usize::MAX);
        let mut cli = TlsStream::new(io, client_config(), name(), TlsBuffers::default()).unwrap();
        cli.flush().unwrap();
        srv.to_client
            .0
            .borrow_mut()
            .extend(b"HTTP/1.1 400 Bad Request\r\n\r\n".iter());
        assert!(matches!(cli.read_tls(), Err(TlsError::Handshake(_))));
    }

    #[test]
    fn plaintext_backpressure_holds_records_until_consumed() {
        let (mut srv, io) = MemServer::new(None, usize::MAX);
        let bufs = TlsBuffers {
            rx: 40 * 1024,
            plain: 16 * 1024,
            tx: 64 * 1024,
        };
        let mut cli = TlsStream::new(io, client_config(), name(), bufs).unwrap();
        for _ in 0..100 {
            cli.flush().unwrap();
            srv.pump();
            cli.read_tls().unwrap();
        }
        let msg: Vec<u8> = (0..200_000u32).map(|i| (i * 7) as u8).collect();
        srv.send(&msg);
        let mut got = Vec::new();
        for _ in 0..10_000 {
            cli.read_tls().unwrap();
            assert!(cli.plaintext().len() <= cli.plaintext_capacity());
            got.extend_from_slice(cli.plaintext());
            let n = cli.plaintext().len();
            cli.consume(n);
            if got.len() == msg.len() {
                break;
            }
        }
        assert_eq!(got.len(), msg.len());
        assert!(got == msg, "plaintext differs");
    }
}
