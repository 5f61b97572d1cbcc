//! Start-up and shutdown: the CA file, URLs, credentials, the port released, the CLI's printed contract.

use ascendex_sim::{SimConfig, SimError, start};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

#[test]
fn ca_file_urls_and_clean_shutdown() {
    let sim = start(SimConfig {
        rate: 0,
        ..SimConfig::default()
    })
    .unwrap();
    let port = sim.addr().port();
    assert_ne!(port, 0);
    assert_eq!(sim.rest_url(), format!("https://127.0.0.1:{port}"));
    assert_eq!(
        sim.ws_url(),
        format!("wss://127.0.0.1:{port}/api/pro/v1/stream")
    );
    let ca = sim.ca_file();
    assert_eq!(std::fs::read_to_string(&ca).unwrap(), sim.ca_pem());
    assert!(sim.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(sim.api_secret().len(), 64);
    assert!(sim.user_uid().starts_with('U') && sim.user_uid().len() == 11);
    sim.shutdown();
    assert!(!ca.exists(), "the temporary CA directory is removed");
    // Another test of this binary may briefly hold the freed ephemeral port: retry a little.
    let rebind = (0..40).any(|_| {
        let ok = std::net::TcpListener::bind(("127.0.0.1", port)).is_ok();
        if !ok {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        ok
    });
    assert!(rebind, "the port is free after shutdown");

    let dir = std::env::temp_dir().join(format!("ascendex-sim-test-state-{}", std::process::id()));
    let sim = start(SimConfig {
        rate: 0,
        state_dir: Some(dir.clone()),
        ..SimConfig::default()
    })
    .unwrap();
    assert_eq!(sim.ca_file(), dir.join("ca.pem"));
    sim.shutdown();
    assert!(dir.join("ca.pem").exists(), "a given state dir is kept");
    let _ = std::fs::remove_dir_all(&dir);

    assert!(matches!(
        start(SimConfig {
            symbols: vec!["NOPE/USDT".into()],
            ..SimConfig::default()
        }),
        Err(SimError::UnknownSymbol(_))
    ));
    assert!(matches!(
        start(SimConfig {
            maker_fee: "x".into(),
            ..SimConfig::default()
        }),
        Err(SimError::BadValue(_))
    ));
}

#[test]
fn the_binary_prints_its_contract_and_stops_at_end_of_input() {
    let bin = env!("CARGO_BIN_EXE_ascendex-sim");
    let mut child = Command::new(bin)
        .args(["--rate", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    loop {
        let mut l = String::new();
        if out.read_line(&mut l).unwrap() == 0 {
            break;
        }
        let done = l.starts_with("running");
        lines.push(l);
        if done {
            break;
        }
    }
    let text = lines.concat();
    for want in [
        "REST URL:      https://127.0.0.1:",
        "WS URL:        wss://127.0.0.1:",
        "CA file:",
        "ASCENDEX_API_KEY=",
        "ASCENDEX_API_SECRET=",
    ] {
        assert!(text.contains(want), "{want} missing in {text}");
    }
    child.stdin.take().unwrap().write_all(b"").unwrap();
    let status = child.wait().unwrap();
    assert!(status.success());
    let bad = Command::new(bin)
        .args(["--faults", "bogus"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let taken = Command::new(bin)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(taken.status.code(), Some(4));
    let usage = Command::new(bin).args(["--nope"]).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
}
