//! Measures the synthetic flow the simulator delivers over TLS+WS to one subscriber of every public channel, and
//! the time from the `simNs` stamp (set just before the write) to this reader's receipt.
//! `cargo run --release -p ascendex-sim --example flow_rate -- [RATE_MSGS_PER_S] [SECONDS]`

use ascendex_sim::{SimConfig, start};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn masked(text: &str) -> Vec<u8> {
    let p = text.as_bytes();
    let mut f = vec![0x81];
    if p.len() < 126 {
        f.push(0x80 | p.len() as u8);
    } else {
        f.push(0x80 | 126);
        f.extend_from_slice(&(p.len() as u16).to_be_bytes());
    }
    f.extend_from_slice(&[1, 2, 3, 4]);
    f.extend(p.iter().enumerate().map(|(i, b)| b ^ [1, 2, 3, 4][i % 4]));
    f
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rate: u32 = args.first().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let secs: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let sim = match start(SimConfig {
        rate,
        stamp: true,
        ..SimConfig::default()
    }) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    // At most 10 symbols per subscription message.
    let batches: Vec<String> = SimConfig::default()
        .symbols
        .chunks(10)
        .map(|c| c.join(","))
        .collect();
    let result = rt.block_on(async {
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_pemfile_free(&sim.ca_pem()) {
            roots.add(c).map_err(|e| e.to_string())?;
        }
        let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let tcp = tokio::net::TcpStream::connect(sim.addr()).await.map_err(|e| e.to_string())?;
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").map_err(|e| e.to_string())?.to_owned();
        let mut s = tokio_rustls::TlsConnector::from(Arc::new(cfg)).connect(name, tcp).await.map_err(|e| e.to_string())?;
        s.write_all(b"GET /api/pro/v1/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            .await
            .map_err(|e| e.to_string())?;
        for ch in ["depth", "trades", "bbo"] {
            for syms in &batches {
                s.write_all(&masked(&format!("{{\"op\":\"sub\",\"ch\":\"{ch}:{syms}\"}}"))).await.map_err(|e| e.to_string())?;
            }
        }
        let mut buf = vec![0u8; 1 << 16];
        let mut pending: Vec<u8> = Vec::new();
        let mut frames = 0u64;
        let mut lat_us: Vec<u64> = Vec::new();
        let mut header_done = false;
        let start = Instant::now();
        let produced0 = sim.produced();
        while start.elapsed() < Duration::from_secs(secs) {
            let n = s.read(&mut buf).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("closed".to_string());
            }
            pending.extend_from_slice(&buf[..n]);
            if !header_done {
                match pending.windows(4).position(|w| w == b"\r\n\r\n") {
                    Some(p) => {
                        pending.drain(..p + 4);
                        header_done = true;
                    }
                    None => continue,
                }
            }
            let mut pos = 0;
            loop {
                if pending.len() < pos + 2 {
                    break;
                }
                let mut len = (pending[pos + 1] & 0x7F) as usize;
                let mut h = 2;
                if len == 126 {
                    if pending.len() < pos + 4 {
                        break;
                    }
                    len = u16::from_be_bytes([pending[pos + 2], pending[pos + 3]]) as usize;
                    h = 4;
                } else if len == 127 {
                    if pending.len() < pos + 10 {
                        break;
                    }
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&pending[pos + 2..pos + 10]);
                    len = u64::from_be_bytes(b) as usize;
                    h = 10;
                }
                if pending.len() < pos + h + len {
                    break;
                }
                frames += 1;
                let payload = &pending[pos + h..pos + h + len];
                if let Some(i) = find(payload, b"\"simNs\":") {
                    let digits: Vec<u8> = payload[i + 8..].iter().take_while(|b| b.is_ascii_digit()).copied().collect();
                    if let Ok(ns) = String::from_utf8_lossy(&digits).parse::<u128>() {
                        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
                        lat_us.push((now.saturating_sub(ns) / 1000) as u64);
                    }
                }
                pos += h + len;
            }
            pending.drain(..pos);
        }
        let el = start.elapsed().as_secs_f64();
        lat_us.sort_unstable();
        let pct = |p: f64| lat_us.get(((lat_us.len() as f64 * p) as usize).min(lat_us.len().saturating_sub(1))).copied().unwrap_or(0);
        Ok((frames as f64 / el, (sim.produced() - produced0) as f64 / el, pct(0.5), pct(0.99)))
    });
    match result {
        Ok((recv, prod, p50, p99)) => println!(
            "configured {rate} msgs/s: received {recv:.0} msgs/s over TLS+WS, produced {prod:.0} msgs/s; simNs->read p50 {p50} us, p99 {p99} us"
        ),
        Err(e) => {
            eprintln!("flow_rate failed: {e}");
            std::process::exit(1);
        }
    }
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn rustls_pemfile_free(pem: &str) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use base64::Engine as _;
    let mut out = Vec::new();
    let mut cur = String::new();
    for l in pem.lines() {
        if l.starts_with("-----BEGIN") {
            cur.clear();
        } else if l.starts_with("-----END") {
            if let Ok(d) = base64::engine::general_purpose::STANDARD.decode(&cur) {
                out.push(rustls::pki_types::CertificateDer::from(d));
            }
        } else {
            cur.push_str(l.trim());
        }
    }
    out
}
