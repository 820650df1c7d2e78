//! The TLS crypto provider of every HTTP client polypay builds: rustls with `ring`.
//!
//! reqwest is built with `rustls-no-provider` because its default, aws-lc-rs, makes each native
//! library larger and needs a C build (figures in bench/RESULTS.md, "Release artifacts");
//! rustls then needs a process-wide provider before the first client is built.

/// Installs `ring` as rustls' process default, unless the host application has installed a
/// provider of its own (that one is then kept). Cheap and idempotent.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // An error only says a provider is already installed: the application's choice stands.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// `reqwest::Client::builder()` with the provider installed: what every client in polypay, its
/// sandbox and their tests start from.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    install_crypto_provider();
    reqwest::Client::builder()
}
