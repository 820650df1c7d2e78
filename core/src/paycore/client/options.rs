//! What a user configures, with the same names, defaults and limits in every language: each
//! binding converts its idiomatic input (keyword arguments, an options object, a record) into
//! [`ClientOptions`] and nothing else; the checks and defaults live here, once.

use std::time::Duration;

use super::config::{check_duration, Config, Secret};
use super::policy::RetryPolicy;
use crate::error::{Error, Result};
use crate::paycore::Environment;

pub use super::config::{
    check_page_size, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, DEFAULT_TIMEOUT, PAGE_SIZE,
};
pub use super::policy::DEFAULT_MAX_RETRIES;

/// More retries than this only hold a caller past any sensible deadline.
pub const MAX_RETRIES: u32 = 10;

/// A client's configuration as given; `None` takes the default. Times are [`Duration`]s: a
/// binding reads its language's unit with [`super::timeout_from_secs`] or
/// [`super::timeout_from_millis`], the one rule for user timeouts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientOptions {
    /// `paycore` (default), `corefy` or `paymega`; `base_url` wins when both are given.
    pub env: Option<String>,
    /// A custom deployment, e.g. `polypay sandbox`'s `http://127.0.0.1:8080`.
    pub base_url: Option<String>,
    /// `pk_test_…` / `pk_live_…`: the Public API.
    pub public_key: Option<String>,
    /// `coma_…`: with `api_key`, the Private API.
    pub account_id: Option<String>,
    pub api_key: Option<Secret>,
    /// `sk_test_…` / `sk_live_…`: verifies callbacks.
    pub secret_key: Option<Secret>,
    pub timeout: Option<Duration>,
    pub request_timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    /// 0 ..= [`MAX_RETRIES`].
    pub max_retries: Option<u32>,
    /// Items per page request of every list, within [`PAGE_SIZE`] (the gateway's default when
    /// `None`).
    pub page_size: Option<u32>,
    /// e.g. `http://proxy.internal:3128`.
    pub proxy: Option<String>,
    /// Appended to `User-Agent: polypay/<version>`, e.g. `myshop/1.2`.
    pub user_agent: Option<String>,
    /// Plain `http://` to a host that is not loopback (never with live keys).
    pub allow_insecure_http: Option<bool>,
}

impl ClientOptions {
    /// The checked configuration; errors name the option (`max_retries`, `page_size`, …).
    pub fn into_config(self) -> Result<Config> {
        let environment = Environment::resolve(self.env.as_deref(), self.base_url.as_deref())?;
        let mut config = Config::new(environment);
        config.public_key = self.public_key;
        config.account_id = self.account_id;
        config.api_key = self.api_key;
        config.secret_key = self.secret_key;
        config.deadline = check_duration(self.timeout.unwrap_or(DEFAULT_TIMEOUT), "timeout")?;
        config.request_timeout = check_duration(
            self.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT),
            "request_timeout",
        )?;
        config.connect_timeout = check_duration(
            self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            "connect_timeout",
        )?;
        let max_retries = self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
        if max_retries > MAX_RETRIES {
            return Err(Error::invalid(
                "max_retries",
                "bad_retries",
                format!("max_retries must be an integer 0..={MAX_RETRIES}"),
            ));
        }
        config.retry = RetryPolicy {
            max_retries,
            ..RetryPolicy::default()
        };
        config.page_size = check_page_size(self.page_size)?;
        config.proxy = self.proxy;
        config.user_agent_suffix = self.user_agent;
        config.allow_insecure_http = self.allow_insecure_http.unwrap_or(false);
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let config = ClientOptions::default().into_config().unwrap();
        assert_eq!(config.environment.base_url(), "https://com.paycore.io");
        assert_eq!(
            (
                config.deadline,
                config.request_timeout,
                config.connect_timeout
            ),
            (
                DEFAULT_TIMEOUT,
                DEFAULT_REQUEST_TIMEOUT,
                DEFAULT_CONNECT_TIMEOUT
            )
        );
        assert_eq!(config.retry.max_retries, DEFAULT_MAX_RETRIES);
        assert_eq!(config.page_size, None);
        assert!(!config.allow_insecure_http);
    }

    #[test]
    fn every_limit_names_its_option() {
        let cases = [
            (
                ClientOptions {
                    max_retries: Some(11),
                    ..Default::default()
                },
                "max_retries",
                "bad_retries",
            ),
            (
                ClientOptions {
                    page_size: Some(0),
                    ..Default::default()
                },
                "page_size",
                "bad_page_size",
            ),
            (
                ClientOptions {
                    page_size: Some(1001),
                    ..Default::default()
                },
                "page_size",
                "bad_page_size",
            ),
            (
                ClientOptions {
                    request_timeout: Some(Duration::ZERO),
                    ..Default::default()
                },
                "request_timeout",
                "invalid_timeout",
            ),
            (
                ClientOptions {
                    timeout: Some(Duration::from_secs(86_401)),
                    ..Default::default()
                },
                "timeout",
                "invalid_timeout",
            ),
            (
                ClientOptions {
                    env: Some("moon".into()),
                    ..Default::default()
                },
                "env",
                "unknown_environment",
            ),
        ];
        for (options, argument, code) in cases {
            let error = options.clone().into_config().unwrap_err();
            assert_eq!(
                (error.argument(), error.code()),
                (Some(argument), code),
                "{options:?}"
            );
        }
        let edge = ClientOptions {
            max_retries: Some(MAX_RETRIES),
            page_size: Some(*PAGE_SIZE.end()),
            ..Default::default()
        };
        let config = edge.into_config().unwrap();
        assert_eq!(
            (config.retry.max_retries, config.page_size),
            (MAX_RETRIES, Some(1000))
        );
    }

    #[test]
    fn debug_never_shows_the_secrets() {
        let options = ClientOptions {
            api_key: Some("API_KEY_VALUE".into()),
            secret_key: Some("sk_test_SECRET_VALUE".into()),
            ..Default::default()
        };
        let shown = format!("{options:?}");
        assert!(
            !shown.contains("API_KEY_VALUE") && !shown.contains("SECRET_VALUE"),
            "{shown}"
        );
    }
}
