//! In-memory TLS peers for unit tests: a rustls server over a byte pipe, so record boundaries, key updates and
//! corruption can be produced exactly. Integration tests use a real socket server (tests/support).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

use rustls::{ClientConfig, RootCertStore, ServerConfig, ServerConnection};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub struct Pki {
    pub ca_der: CertificateDer<'static>,
    pub leaf_chain: Vec<CertificateDer<'static>>,
    pub leaf_key: Vec<u8>,
}

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf_params =
            rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
        Pki {
            ca_der: ca.der().clone(),
            leaf_chain: vec![leaf.der().clone()],
            leaf_key: leaf_key.serialize_der(),
        }
    })
}

pub fn client_config() -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(pki().ca_der.clone()).unwrap();
    let mut cfg =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    cfg.enable_secret_extraction = true;
    Arc::new(cfg)
}

pub fn server_config(max_fragment: Option<usize>) -> Arc<ServerConfig> {
    let p = pki();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(p.leaf_key.clone()));
    let mut cfg =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(p.leaf_chain.clone(), key)
            .unwrap();
    cfg.max_fragment_size = max_fragment;
    Arc::new(cfg)
}

/// One direction of a pipe.
#[derive(Clone, Default)]
pub struct Pipe(pub Rc<RefCell<VecDeque<u8>>>);

/// The client's end: reads what the server wrote, writes what the server reads. `read_chunk` limits each read.
pub struct MemIo {
    pub rx: Pipe,
    pub tx: Pipe,
    pub read_chunk: usize,
    pub eof: Rc<RefCell<bool>>,
}

impl Read for MemIo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut q = self.rx.0.borrow_mut();
        if q.is_empty() {
            if *self.eof.borrow() {
                return Ok(0);
            }
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(q.len()).min(self.read_chunk);
        for (i, b) in q.drain(..n).enumerate() {
            buf[i] = b;
        }
        Ok(n)
    }
}

impl Write for MemIo {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tx.0.borrow_mut().extend(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A rustls server on the other end of the pipes.
pub struct MemServer {
    pub conn: ServerConnection,
    /// Server → client bytes.
    pub to_client: Pipe,
    /// Client → server bytes.
    pub from_client: Pipe,
    pub eof: Rc<RefCell<bool>>,
}

impl MemServer {
    pub fn new(max_fragment: Option<usize>, read_chunk: usize) -> (MemServer, MemIo) {
        let to_client = Pipe::default();
        let from_client = Pipe::default();
        let eof = Rc::new(RefCell::new(false));
        let io = MemIo {
            rx: to_client.clone(),
            tx: from_client.clone(),
            read_chunk,
            eof: eof.clone(),
        };
        let mut conn = ServerConnection::new(server_config(max_fragment)).unwrap();
        conn.set_buffer_limit(None);
        (
            MemServer {
                conn,
                to_client,
                from_client,
                eof,
            },
            io,
        )
    }

    /// Moves bytes both ways through the server; returns plaintext the server received.
    pub fn pump(&mut self) -> Vec<u8> {
        let mut got = Vec::new();
        loop {
            let incoming: Vec<u8> = self.from_client.0.borrow_mut().drain(..).collect();
            let mut rd = &incoming[..];
            let mut buf = [0u8; 4096];
            loop {
                if !rd.is_empty() {
                    self.conn.read_tls(&mut rd).unwrap();
                    self.conn.process_new_packets().unwrap();
                }
                loop {
                    match self.conn.reader().read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                        Err(_) => break,
                    }
                }
                if rd.is_empty() {
                    break;
                }
            }
            let mut out = Vec::new();
            while self.conn.wants_write() {
                self.conn.write_tls(&mut out).unwrap();
            }
            let wrote = !out.is_empty();
            self.to_client.0.borrow_mut().extend(out);
            if incoming.is_empty() && !wrote {
                return got;
            }
        }
    }

    pub fn send(&mut self, data: &[u8]) {
        self.conn.writer().write_all(data).unwrap();
        self.pump();
    }
}
