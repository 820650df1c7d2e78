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

impl Environment {
    /// `"paycore"` or `"paymega"`.
    pub fn named(name: &str) -> Result<Environment> {
        match name {
            "paycore" | "corefy" => Ok(Environment::PayCore),
            "paymega" => Ok(Environment::Paymega),
            other => Err(Error::invalid(
                "env",
                "unknown_environment",
                format!(
                    "'{}' is not a known environment: use \"paycore\", \"paymega\" or a base URL",
                    printable(other)
                ),
            )),
        }
    }

    /// A base URL such as `https://pay.example.com` (trailing slashes are dropped).
    pub fn custom(base_url: &str) -> Result<Environment> {
        let trimmed = base_url.trim_end_matches('/');
        let rest = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"));
        let valid = match rest {
            Some(rest) => {
                !rest.is_empty()
                    && !rest.starts_with('/')
                    && !rest.contains(['?', '#'])
                    && !rest.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if !valid {
            return Err(Error::invalid(
                "base_url",
                "invalid_url",
                format!(
                    "'{}' is not an http(s) base URL such as https://pay.example.com",
                    printable(base_url)
                ),
            ));
        }
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
}
