//! The one URL validator: every base URL, `return_url`, callback URL and Payment Page base
//! goes through [`check`], judged on the URL as the `url` crate (WHATWG) parses it, so a
//! string that looks like a loopback address but is not (`http://localhost:1@evil.example`)
//! cannot pass for one.

use url::{Host, Url};

use crate::error::{Error, Result};
use crate::money::printable;

/// What a URL is for, which decides the rules beyond "an http(s) URL without credentials".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlUse {
    /// A deployment's base URL (API, Payment Page): no query or fragment. Plain http is
    /// judged later, by the client's `allow_insecure_http`.
    Base,
    /// Where a customer or a callback is sent (`return_url`, `callback_url`): https, or
    /// plain http to a loopback host (local development).
    Link,
}

/// Parses and checks `value`; errors name `argument`, code `invalid_url`,
/// `url_credentials` or `insecure_http`.
pub fn check(value: &str, argument: &str, purpose: UrlUse) -> Result<Url> {
    let invalid = |code: &'static str, why: &str| {
        Error::invalid(
            argument,
            code,
            format!("'{}' {why}", printable(&truncate(value))),
        )
    };
    // The WHATWG parser silently drops tabs and newlines and trims spaces: refuse them first,
    // so what is checked is what is sent.
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid(
            "invalid_url",
            "contains whitespace or control characters",
        ));
    }
    let url = Url::parse(value).map_err(|_| invalid("invalid_url", "is not an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("invalid_url", "must be an http(s) URL"));
    }
    if url.host().is_none() {
        return Err(invalid("invalid_url", "has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "url_credentials",
            "must not carry a user name or password (user:pass@host)",
        ));
    }
    match purpose {
        UrlUse::Base if url.query().is_some() || url.fragment().is_some() => Err(invalid(
            "invalid_url",
            "must be a base URL without query or fragment, such as https://pay.example.com",
        )),
        UrlUse::Link if url.scheme() == "http" && !is_loopback(&url) => Err(invalid(
            "insecure_http",
            "must use https (plain http only to localhost or a loopback address)",
        )),
        _ => Ok(url),
    }
}

/// `localhost` or a loopback IP address, judged on the parsed host.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn truncate(value: &str) -> String {
    value.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(value: &str, purpose: UrlUse) -> &'static str {
        check(value, "u", purpose).err().map_or("ok", |e| e.code())
    }

    #[test]
    fn one_set_of_rules() {
        for (value, base, link) in [
            ("https://pay.example.com", "ok", "ok"),
            ("https://pay.example.com/prefix", "ok", "ok"),
            ("http://pay.example.com", "ok", "insecure_http"),
            ("http://127.0.0.1:8080", "ok", "ok"),
            ("http://127.9.9.9/x", "ok", "ok"),
            ("http://[::1]:9000/cb", "ok", "ok"),
            ("http://LOCALHOST/return", "ok", "ok"),
            (
                "http://localhost:1@evil.example",
                "url_credentials",
                "url_credentials",
            ),
            (
                "https://user:pass@pay.example.com",
                "url_credentials",
                "url_credentials",
            ),
            ("http://localhost.evil.example/", "ok", "insecure_http"),
            ("javascript:alert(1)", "invalid_url", "invalid_url"),
            ("file:///etc/passwd", "invalid_url", "invalid_url"),
            ("ftp://pay.example.com", "invalid_url", "invalid_url"),
            ("shop.example/return", "invalid_url", "invalid_url"),
            ("https://pay.example.com/\nx", "invalid_url", "invalid_url"),
            ("https://pay.example.com/\tx", "invalid_url", "invalid_url"),
            (" https://pay.example.com", "invalid_url", "invalid_url"),
            ("https://pay.example.com?a=1", "invalid_url", "ok"),
            ("https://pay.example.com#top", "invalid_url", "ok"),
            ("https://", "invalid_url", "invalid_url"),
            ("", "invalid_url", "invalid_url"),
        ] {
            assert_eq!(code(value, UrlUse::Base), base, "base {value:?}");
            assert_eq!(code(value, UrlUse::Link), link, "link {value:?}");
        }
    }

    #[test]
    fn errors_name_the_argument_and_never_echo_control_bytes() {
        let e = check("https://a.example/\u{1b}[31m", "return_url", UrlUse::Link).unwrap_err();
        assert_eq!(e.argument(), Some("return_url"));
        assert!(!e.message().contains('\u{1b}'), "{}", e.message());
    }
}
