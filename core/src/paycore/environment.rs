//! Which deployment of the Commerce platform to talk to: PayCore/Corefy, Paymega or a white label.

use std::fmt;

use crate::error::{Error, Result};
use crate::money::printable;

#[derive(Clone, PartialEq, Eq)]
pub enum Environment {
    /// PayCore.io / Corefy production, `https://com.paycore.io`.
    PayCore,
    /// Paymega, `https://api.paymega.io`.
    Paymega,
    /// Any other deployment of the same API (white labels, the local sandbox), by base URL.
    Custom(String),
}

/// The named environments, the one list that [`Environment::named`] reads and that its error
/// message shows. Everything else (white labels, the local `polypay sandbox`) is given by base
/// URL instead.
pub const NAMED_ENVIRONMENTS: &[(&str, Environment)] = &[
    ("paycore", Environment::PayCore),
    ("corefy", Environment::PayCore),
    ("paymega", Environment::Paymega),
];

impl Environment {
    /// One of [`NAMED_ENVIRONMENTS`] (`"paycore"`, `"corefy"`, `"paymega"`). An unknown name is
    /// an `invalid_input` error (`unknown_environment`) that lists the valid names.
    pub fn named(name: &str) -> Result<Environment> {
        if let Some((_, environment)) = NAMED_ENVIRONMENTS.iter().find(|(n, _)| *n == name) {
            return Ok(environment.clone());
        }
        let names = NAMED_ENVIRONMENTS
            .iter()
            .map(|(n, _)| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ");
        Err(Error::invalid(
            "env",
            "unknown_environment",
            format!(
                "'{}' is not a known environment: use one of {names}, or give a base URL instead \
                 (base_url, e.g. the http://127.0.0.1:PORT that `polypay sandbox` prints for the \
                 local sandbox)",
                printable(name)
            ),
        ))
    }

    /// A base URL such as `https://pay.example.com` (trailing slashes are dropped), checked by
    /// [`crate::urls::check`]; plain http is judged by the client (`allow_insecure_http`).
    pub fn custom(base_url: &str) -> Result<Environment> {
        let trimmed = base_url.trim_end_matches('/');
        crate::urls::check(trimmed, "base_url", crate::urls::UrlUse::Base)?;
        Ok(Environment::Custom(trimmed.to_owned()))
    }

    /// `env` by name unless a `base_url` is given, which wins.
    pub fn resolve(env: Option<&str>, base_url: Option<&str>) -> Result<Environment> {
        match (base_url, env) {
            (Some(url), _) => Environment::custom(url),
            (None, Some(name)) => Environment::named(name),
            (None, None) => Ok(Environment::PayCore),
        }
    }

    /// Scheme and host (and path prefix, for custom deployments), without a trailing slash.
    pub fn base_url(&self) -> &str {
        match self {
            Environment::PayCore => "https://com.paycore.io",
            Environment::Paymega => "https://api.paymega.io",
            Environment::Custom(url) => url,
        }
    }

    /// The Hosted Payment Page.
    pub fn hpp_url(&self) -> String {
        format!("{}/hpp/", self.base_url())
    }

    /// Where the auto-redirect payment form posts.
    pub fn process_url(&self) -> String {
        format!("{}/public-api/payment-invoices/process", self.base_url())
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Environment({})", self.base_url())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn bases_are_normalised() {
        assert_eq!(
            Environment::custom("https://pay.example.com///")
                .unwrap()
                .hpp_url(),
            "https://pay.example.com/hpp/"
        );
        assert_eq!(
            Environment::named("paymega").unwrap().process_url(),
            "https://api.paymega.io/public-api/payment-invoices/process"
        );
        for bad in [
            "ftp://x",
            "https://",
            "pay.example.com",
            "https://a b",
            "https://x/?q=1",
        ] {
            assert_eq!(
                Environment::custom(bad).unwrap_err().code(),
                "invalid_url",
                "{bad}"
            );
        }
        assert_eq!(
            Environment::named("prod").unwrap_err().code(),
            "unknown_environment"
        );
    }

    #[test]
    fn named_environments_come_from_one_list() {
        for (name, environment) in NAMED_ENVIRONMENTS {
            assert_eq!(&Environment::named(name).unwrap(), environment, "{name}");
        }
        assert_eq!(Environment::named("corefy").unwrap(), Environment::PayCore);
        assert_eq!(
            Environment::named("paymega").unwrap().base_url(),
            "https://api.paymega.io"
        );
        // Names are exact: no case folding, no trimming, no base URL in `env`.
        for bad in [
            "sandbox",
            "production",
            "PayCore",
            " paycore",
            "",
            "https://com.paycore.io",
        ] {
            let e = Environment::named(bad).unwrap_err();
            assert_eq!(
                (e.kind(), e.code(), e.argument()),
                (ErrorKind::InvalidInput, "unknown_environment", Some("env")),
                "{bad:?}"
            );
            // The message lists every valid name and points at a base URL (the local sandbox).
            for (name, _) in NAMED_ENVIRONMENTS {
                assert!(
                    e.message().contains(&format!("\"{name}\"")),
                    "{}",
                    e.message()
                );
            }
            assert!(e.message().contains("base URL"), "{}", e.message());
            assert!(e.message().contains("polypay sandbox"), "{}", e.message());
        }
        // A base URL is the alternative, and wins over a name.
        assert_eq!(
            Environment::resolve(Some("sandbox"), Some("http://127.0.0.1:8080/"))
                .unwrap()
                .base_url(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            Environment::resolve(Some("sandbox"), None)
                .unwrap_err()
                .code(),
            "unknown_environment"
        );
    }
}
