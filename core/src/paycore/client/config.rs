//! Client configuration: credentials, deployment, timeouts, retries. Secrets never print.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::policy::RetryPolicy;
use crate::error::{Error, Result};
use crate::paycore::Environment;

/// A credential that never appears in `Debug`, `Display`, logs or errors.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

/// Whether operations are test or live, as the keys say (`pk_test_…` / `pk_live_…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Test,
    Live,
}

impl Mode {
    pub(crate) fn of_key(key: &str) -> Option<Mode> {
        if key.starts_with("pk_test_") || key.starts_with("sk_test_") {
            Some(Mode::Test)
        } else if key.starts_with("pk_live_") || key.starts_with("sk_live_") {
            Some(Mode::Live)
        } else {
            None
        }
    }
}

/// Everything a [`Client`](super::Client) needs. Start from [`Config::new`] and set fields.
#[derive(Clone, Debug)]
pub struct Config {
    /// `pk_test_…` / `pk_live_…`: the Public API (pre-requests, public invoices).
    pub public_key: Option<String>,
    /// Commerce account id (`coma_…`): the Basic-auth login of the Private API.
    pub account_id: Option<String>,
    /// The Basic-auth password of the Private API.
    pub api_key: Option<Secret>,
    /// `sk_test_…` / `sk_live_…`: checks callback signatures.
    pub secret_key: Option<Secret>,
    pub environment: Environment,
    pub connect_timeout: Duration,
    /// Limit for one HTTP attempt.
    pub request_timeout: Duration,
    /// Limit for a whole call, retries and reconciliation included.
    pub deadline: Duration,
    pub retry: RetryPolicy,
    /// Items per page request of every list that does not set its own (the gateway's default
    /// when `None`).
    pub page_size: Option<u32>,
    /// Appended to `User-Agent: polypay/<version>` (e.g. `myshop/1.2`).
    pub user_agent_suffix: Option<String>,
    /// e.g. `http://proxy.internal:3128`.
    pub proxy: Option<String>,
    /// Allow plain `http://` to a non-loopback host (never do this with live keys).
    pub allow_insecure_http: bool,
    /// Told of every HTTP request the client sends and of its answer (logging hooks).
    pub observer: Option<Arc<dyn Observer>>,
}

/// One HTTP request of a client call, or its answer, as logging hooks see it: never a header,
/// a body or the query (which may hold the public key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    /// 1 for the request's first attempt, 2 for its first retry, …
    pub attempt: u32,
    /// The answer's HTTP status (`None` in a request, or when no answer came).
    pub status: Option<u16>,
    /// The gateway's request id, when the answer has one.
    pub request_id: Option<String>,
    /// From sending to the end of the answer (answers only).
    pub elapsed_ms: Option<u64>,
    /// Why no answer came: the error's code (`timeout`, `connection`, …).
    pub error: Option<String>,
}

/// Logging hooks of a client: called on the client's own tasks, so they must be quick (hand
/// the exchange to a channel or a logger; never block).
pub trait Observer: Send + Sync + fmt::Debug {
    fn on_request(&self, exchange: &Exchange);
    fn on_response(&self, exchange: &Exchange);
}

impl Config {
    pub fn new(environment: Environment) -> Config {
        Config {
            public_key: None,
            account_id: None,
            api_key: None,
            secret_key: None,
            environment,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            deadline: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            page_size: None,
            user_agent_suffix: None,
            proxy: None,
            allow_insecure_http: false,
            observer: None,
        }
    }

    /// The mode the keys imply, after checking that they agree and sit in the right places.
    pub(crate) fn check(&self) -> Result<Option<Mode>> {
        let public = self.public_key.as_deref();
        let secret = self.secret_key.as_ref().map(Secret::expose);
        for (name, value) in [
            ("public_key", public),
            ("account_id", self.account_id.as_deref()),
            ("api_key", self.api_key.as_ref().map(Secret::expose)),
            ("secret_key", secret),
        ] {
            if let Some(value) = value {
                if value.is_empty() || value.trim() != value {
                    return Err(Error::configuration(
                        "whitespace",
                        format!("{name} is empty or has leading/trailing whitespace"),
                    )
                    .with_argument(name));
                }
            }
        }
        if public.is_some_and(|k| k.starts_with("sk_")) {
            return Err(Error::configuration(
                "secret_key_as_public_key",
                "public_key is a secret key (sk_…): it belongs in secret_key and must never reach a browser",
            )
            .with_argument("public_key"));
        }
        if secret.is_some_and(|k| k.starts_with("pk_")) {
            return Err(Error::configuration(
                "public_key_as_secret_key",
                "secret_key is a public key (pk_…); callbacks are signed with the sk_… key",
            )
            .with_argument("secret_key"));
        }
        let modes = (public.and_then(Mode::of_key), secret.and_then(Mode::of_key));
        if let (Some(p), Some(s)) = modes {
            if p != s {
                return Err(Error::configuration(
                    "mixed_modes",
                    format!("public_key is a {p:?} key but secret_key is a {s:?} key"),
                ));
            }
        }
        if self.account_id.is_some() != self.api_key.is_some() {
            return Err(Error::configuration(
                "incomplete_credentials",
                "the Private API needs both account_id and api_key",
            ));
        }
        let base = crate::urls::check(
            self.environment.base_url(),
            "base_url",
            crate::urls::UrlUse::Base,
        )?;
        if base.scheme() == "http" && !self.allow_insecure_http && !crate::urls::is_loopback(&base)
        {
            return Err(Error::configuration(
                "insecure_http",
                format!(
                    "{} is plain http: use https, a loopback address, or allow_insecure_http",
                    self.environment.base_url()
                ),
            )
            .with_argument("base_url"));
        }
        for (name, value) in [
            ("connect_timeout", self.connect_timeout),
            ("request_timeout", self.request_timeout),
            ("deadline", self.deadline),
        ] {
            check_duration(value, name)?;
        }
        check_page_size(self.page_size)?;
        Ok(modes.0.or(modes.1))
    }
}

/// Deadline of one call, retries and reconciliation included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Limit of one HTTP attempt.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Items per page request: the gateway's own bounds.
pub const PAGE_SIZE: std::ops::RangeInclusive<u32> = 1..=1000;

/// The longest timeout or deadline the client takes: a day. Longer ones are mistakes (a
/// value in milliseconds given as seconds) and would overflow the clock's arithmetic.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

pub(crate) fn check_duration(value: Duration, name: &str) -> Result<Duration> {
    if value.is_zero() || value > MAX_TIMEOUT {
        return Err(Error::invalid(
            name,
            "invalid_timeout",
            format!("{name} must be more than 0 and at most 86400 seconds"),
        ));
    }
    Ok(value)
}

/// A page size within [`PAGE_SIZE`], or `None` for the gateway's default.
pub fn check_page_size(page_size: Option<u32>) -> Result<Option<u32>> {
    match page_size {
        Some(size) if !PAGE_SIZE.contains(&size) => Err(Error::invalid(
            "page_size",
            "bad_page_size",
            format!(
                "page_size must be an integer {}..={}",
                PAGE_SIZE.start(),
                PAGE_SIZE.end()
            ),
        )),
        _ => Ok(page_size),
    }
}

/// A timeout given in seconds by a user (any binding, the CLI): positive, finite, at most a
/// day; anything else (NaN, negative, zero, 1e19, infinity) is an `invalid_input` error.
pub fn timeout_from_secs(seconds: f64, name: &str) -> Result<Duration> {
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= MAX_TIMEOUT.as_secs_f64()) {
        return Err(Error::invalid(
            name,
            "invalid_timeout",
            format!("{name} must be a number of seconds above 0 and at most 86400"),
        ));
    }
    check_duration(Duration::from_secs_f64(seconds), name)
}

/// The same for milliseconds (Node).
pub fn timeout_from_millis(millis: f64, name: &str) -> Result<Duration> {
    if !(millis.is_finite() && millis > 0.0 && millis <= MAX_TIMEOUT.as_millis() as f64) {
        return Err(Error::invalid(
            name,
            "invalid_timeout",
            format!("{name} must be a number of milliseconds above 0 and at most 86400000"),
        ));
    }
    check_duration(Duration::from_secs_f64(millis / 1000.0), name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(base: &str) -> Config {
        Config::new(Environment::custom(base).unwrap())
    }

    #[test]
    fn refuses_mixed_or_misplaced_keys_and_plain_http() {
        let mut c = config("https://pay.example.com");
        c.public_key = Some("sk_test_x".into());
        assert_eq!(c.check().unwrap_err().code(), "secret_key_as_public_key");
        c.public_key = Some("pk_live_x".into());
        c.secret_key = Some("sk_test_y".into());
        assert_eq!(c.check().unwrap_err().code(), "mixed_modes");
        c.secret_key = Some("pk_live_y".into());
        assert_eq!(c.check().unwrap_err().code(), "public_key_as_secret_key");
        c.secret_key = Some("sk_live_y".into());
        assert_eq!(c.check().unwrap(), Some(Mode::Live));
        c.account_id = Some("coma_1".into());
        assert_eq!(c.check().unwrap_err().code(), "incomplete_credentials");
        c.api_key = Some(" key".into());
        assert_eq!(c.check().unwrap_err().code(), "whitespace");

        assert_eq!(
            config("http://pay.example.com").check().unwrap_err().code(),
            "insecure_http"
        );
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost",
            "http://[::1]:9000",
        ] {
            assert!(config(ok).check().is_ok(), "{ok}");
        }
        assert_eq!(
            Environment::custom("http://localhost:1@pay.example.com")
                .unwrap_err()
                .code(),
            "url_credentials"
        );
        assert_eq!(
            config("http://localhost.pay.example.com")
                .check()
                .unwrap_err()
                .code(),
            "insecure_http"
        );
        let mut opted_in = config("http://pay.internal");
        opted_in.allow_insecure_http = true;
        assert!(opted_in.check().is_ok());
    }

    #[test]
    fn timeouts_are_checked_not_overflowed() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e19, 1e300, 86_400.5] {
            let e = timeout_from_secs(bad, "timeout").unwrap_err();
            assert_eq!(
                (e.code(), e.argument()),
                ("invalid_timeout", Some("timeout")),
                "{bad}"
            );
            assert!(
                timeout_from_millis(bad * 1000.0, "timeout").is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            timeout_from_secs(1.5, "t").unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(
            timeout_from_millis(250.0, "t").unwrap(),
            Duration::from_millis(250)
        );
        let mut c = config("https://pay.example.com");
        c.deadline = Duration::MAX;
        assert_eq!(c.check().unwrap_err().argument(), Some("deadline"));
        c.deadline = Duration::ZERO;
        assert_eq!(c.check().unwrap_err().code(), "invalid_timeout");
    }

    #[test]
    fn debug_never_shows_secrets() {
        let mut c = config("https://pay.example.com");
        c.api_key = Some("API_KEY_VALUE".into());
        c.secret_key = Some("sk_test_SECRET_VALUE".into());
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("API_KEY_VALUE") && !shown.contains("SECRET_VALUE"),
            "{shown}"
        );
    }
}
