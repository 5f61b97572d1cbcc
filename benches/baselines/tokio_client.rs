//! The baseline to beat: tokio current-thread + tokio-rustls + tokio-tungstenite, as a typical Rust connector does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::{CLIENT_CORE, new_histogram, pin};

/// Round trips of a `size`-byte text message to the echo server at `addr` (TLS verified against `ca_pem`, name
/// `127.0.0.1`), on a thread pinned to core 0: `n_warmup` discarded, then `n` recorded, in ns.
/// Panics on any connection or protocol error: a bench has nothing better to do.
pub fn tokio_ws_client_rtt(
    addr: SocketAddr,
    ca_pem: &str,
    n_warmup: usize,
    n: usize,
    size: usize,
) -> Histogram<u64> {
    let ca_pem = ca_pem.to_owned();
    std::thread::Builder::new()
        .name("bench-tokio-client".into())
        .spawn(move || {
            pin(CLIENT_CORE, "tokio WS client");
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            rt.block_on(run(addr, ca_pem, n_warmup, n, size))
        })
        .expect("spawn tokio client thread")
        .join()
        .expect("tokio client thread")
}

async fn run(
    addr: SocketAddr,
    ca_pem: String,
    n_warmup: usize,
    n: usize,
    size: usize,
) -> Histogram<u64> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots
            .add(cert.expect("CA PEM parses"))
            .expect("CA is a valid trust anchor");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));

    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .expect("TCP connect");
    tcp.set_nodelay(true).expect("TCP_NODELAY");
    let name = ServerName::try_from(addr.ip().to_string()).expect("IP server name");
    let tls = connector.connect(name, tcp).await.expect("TLS handshake");
    let (mut ws, _) = tokio_tungstenite::client_async(format!("wss://{addr}/"), tls)
        .await
        .expect("WebSocket upgrade");

    let payload = Utf8Bytes::from("x".repeat(size));
    let mut hist = new_histogram();
    for i in 0..n_warmup + n {
        let t0 = Instant::now();
        ws.send(Message::Text(payload.clone())).await.expect("send");
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    assert_eq!(t.len(), size, "echo of a different size");
                    break;
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("unexpected from the echo server: {other:?}"),
            }
        }
        let ns = t0.elapsed().as_nanos() as u64;
        if i >= n_warmup {
            hist.saturating_record(ns);
        }
    }
    let _ = ws.close(None).await;
    hist
}
