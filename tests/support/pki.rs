//! A throwaway PKI for tests and benches: one CA, a leaf for `127.0.0.1`/`localhost`, and a leaf for the wrong name.
//!
//! Standalone on purpose (rcgen + rustls only): `benches/baselines` includes this file by path.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

/// The name every client should verify against (the leaf carries it as an IP SAN).
pub const SERVER_IP: &str = "127.0.0.1";
/// The DNS name the good leaf also carries.
pub const SERVER_DNS: &str = "localhost";
/// The only name the wrong-name leaf carries.
pub const WRONG_NAME: &str = "other.example";

pub struct TestPki {
    /// The CA certificate, PEM (what a user passes as `--ca-file`).
    pub ca_pem: String,
    /// `ca_pem` written to a file in the temp directory (one per process).
    pub ca_file: PathBuf,
    pub ca_der: Vec<u8>,
    /// Leaf for `127.0.0.1` (IP SAN) and `localhost` (DNS SAN), signed by the CA.
    pub leaf_der: Vec<u8>,
    pub leaf_pem: String,
    /// PKCS#8 DER of the leaf's private key.
    pub leaf_key_der: Vec<u8>,
    /// Leaf for `other.example` only, signed by the same CA.
    pub wrong_leaf_der: Vec<u8>,
    pub wrong_leaf_key_der: Vec<u8>,
}

static PKI: OnceLock<TestPki> = OnceLock::new();

/// The process-wide test PKI, generated on first use.
pub fn pki() -> &'static TestPki {
    PKI.get_or_init(generate)
}

fn generate() -> TestPki {
    let ca_key = KeyPair::generate().expect("generate CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "ascendex-hft test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).expect("self-sign CA");
    let issuer = Issuer::new(ca_params, ca_key);

    let (leaf_der, leaf_pem, leaf_key_der) = leaf(&[SERVER_IP, SERVER_DNS], &issuer);
    let (wrong_leaf_der, _, wrong_leaf_key_der) = leaf(&[WRONG_NAME], &issuer);

    let ca_pem = ca_cert.pem();
    let ca_file =
        std::env::temp_dir().join(format!("ascendex-hft-test-ca-{}.pem", std::process::id()));
    std::fs::write(&ca_file, &ca_pem).expect("write CA PEM to the temp dir");
    TestPki {
        ca_pem,
        ca_file,
        ca_der: ca_cert.der().to_vec(),
        leaf_der,
        leaf_pem,
        leaf_key_der,
        wrong_leaf_der,
        wrong_leaf_key_der,
    }
}

fn leaf(names: &[&str], issuer: &Issuer<'_, KeyPair>) -> (Vec<u8>, String, Vec<u8>) {
    let key = KeyPair::generate().expect("generate leaf key");
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(names.clone()).expect("leaf params");
    params
        .distinguished_name
        .push(DnType::CommonName, names[0].as_str());
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let cert = params.signed_by(&key, issuer).expect("sign leaf");
    (cert.der().to_vec(), cert.pem(), key.serialize_der())
}

impl TestPki {
    /// A rustls server config presenting the good leaf (or the `other.example` one), ring provider.
    /// `max_fragment` is rustls' `max_fragment_size` (whole record size; rustls accepts 32..=16389).
    pub fn server_config(
        &self,
        wrong_name: bool,
        max_fragment: Option<usize>,
    ) -> Arc<rustls::ServerConfig> {
        let (cert, key) = if wrong_name {
            (&self.wrong_leaf_der, &self.wrong_leaf_key_der)
        } else {
            (&self.leaf_der, &self.leaf_key_der)
        };
        let chain = vec![CertificateDer::from(cert.clone())];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("leaf certificate and key match");
        config.max_fragment_size = max_fragment;
        Arc::new(config)
    }

    /// A rustls client config trusting only the test CA, ring provider.
    pub fn client_config(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from(self.ca_der.clone()))
            .expect("test CA is a valid trust anchor");
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        Arc::new(config)
    }

    /// `127.0.0.1` as a rustls server name.
    pub fn server_name() -> ServerName<'static> {
        ServerName::try_from(SERVER_IP).expect("valid IP server name")
    }
}
