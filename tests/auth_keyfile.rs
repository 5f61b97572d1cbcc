//! Credentials from a key file (mode check) and from the environment; errors never carry the secret.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;

use ascendex_hft::venue::ascendex::auth::{
    ApiPath, Credentials, CredentialsError, KeyDerivation, Timestamp,
};

const SECRET: &str = "hV8FgjyJtpvVeAcMAgzgAFQCN36wmbWuN7o3WPcYcYhFd8qvE43gzFGVsFcCqMNk";

fn write_file(name: &str, mode: u32, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ascendex-auth-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let mut f = std::fs::File::create(&p).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    p
}

#[test]
fn key_file_private_mode_loads_and_signs() {
    let p = write_file(
        "ok.env",
        0o600,
        &format!(
            "ASCENDEX_API_KEY=CEcrjGyipqt0OflgdQQSRGdrDXdDUY2x\nASCENDEX_API_SECRET={SECRET}\n"
        ),
    );
    let c = Credentials::from_key_file(&p).unwrap();
    let s = c.signer(KeyDerivation::RawSecret).unwrap();
    assert_eq!(
        s.sign(Timestamp::new(1608133910000), ApiPath::Info)
            .as_str(),
        "/pwaAgWZQ1Xd/J4yZ4ReHSPQxd3ORP/YR8TvAttqqYM="
    );
    assert!(!format!("{c:?}").contains(SECRET));
}

#[test]
fn key_file_readable_by_others_is_refused() {
    for mode in [0o644, 0o640, 0o604, 0o660] {
        let p = write_file(
            &format!("open{mode:o}.env"),
            mode,
            &format!("ASCENDEX_API_KEY=k\nASCENDEX_API_SECRET={SECRET}\n"),
        );
        match Credentials::from_key_file(&p) {
            Err(e @ CredentialsError::TooOpen { mode: m, .. }) => {
                assert_eq!(m, mode);
                assert!(e.to_string().contains("chmod 600"));
                assert!(!e.to_string().contains(SECRET));
            }
            other => panic!("mode {mode:o}: expected TooOpen, got {other:?}"),
        }
    }
}

#[test]
fn missing_file_is_a_read_error() {
    let e =
        Credentials::from_key_file(std::path::Path::new("/nonexistent/ascendex.env")).unwrap_err();
    assert!(matches!(e, CredentialsError::Read { .. }), "{e:?}");
}

#[test]
fn from_env() {
    // Only this test in this binary touches these variables.
    unsafe {
        std::env::remove_var("ASCENDEX_API_KEY");
        std::env::remove_var("ASCENDEX_API_SECRET");
    }
    assert_eq!(
        Credentials::from_env().err(),
        Some(CredentialsError::MissingEnv("ASCENDEX_API_KEY"))
    );
    unsafe {
        std::env::set_var("ASCENDEX_API_KEY", "abcdefgh");
        std::env::set_var("ASCENDEX_API_SECRET", SECRET);
    }
    let c = Credentials::from_env().unwrap();
    assert_eq!(c.key(), "abcdefgh");
    assert_eq!(
        format!("{c:?}"),
        "Credentials { key: \"abcd…\", secret: <redacted> }"
    );
}
