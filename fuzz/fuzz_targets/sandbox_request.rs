//! The sandbox's request handling: routing, Basic auth, JSON/JSON:API/form parsing and
//! validation, hosted pages and the ecommpay page, through a real sandbox on loopback.
//!
//! The sandbox's router is not public, so requests go over HTTP to an in-process sandbox.
//! Input is a small text format, easy to seed from real requests:
//!
//! ```text
//! POST /api/payment-invoices?x=1      <- method and path; `{id}` becomes an id seen earlier
//! auth: valid                         <- replaced by the sandbox's Basic credentials
//! content-type: application/json      <- any other header, sent as is
//!                                     <- blank line
//! {"data": ...}                       <- body bytes
//! ```
//!
//! Invariants: the sandbox always answers (no dropped connection, no hang), never with a 500
//! (no faults are configured), and never panics (libFuzzer aborts on a panic in any thread).
//! Fault rules (`/__sandbox/faults`) are not sent (they would make the sandbox misbehave on
//! purpose); their bodies go through `FaultRule::parse` directly instead.
#![no_main]

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use polypay_sandbox::faults::FaultRule;
use polypay_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Method;

const BASIC_AUTH: &str = "Basic Y29tYV9zYW5kYm94OnNhbmRib3hfYXBpX2tleQ=="; // coma_sandbox:sandbox_api_key
const ID_PREFIXES: &[&str] = &["cpi_", "cpoi_", "comcps_", "comcpos_", "ref_", "eps_"];

struct Fixture {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    base_url: String,
    _sandbox: RunningSandbox,
    /// Ids seen in responses, so `{id}` reaches existing invoices, refunds and pages.
    ids: Mutex<Vec<String>>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = runtime
            .block_on(Sandbox::start(SandboxConfig {
                seed: Some(1),
                // Bounded memory whatever the fuzzer creates.
                max_invoices_per_account: 2_000,
                max_callback_log: 1_000,
                ..SandboxConfig::default()
            }))
            .expect("sandbox starts");
        let client = polypay::tls::http_client_builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        Fixture {
            base_url: sandbox.base_url().to_owned(),
            runtime,
            client,
            _sandbox: sandbox,
            ids: Mutex::new(vec!["cpi_unknown".into()]),
        }
    })
}

/// A percent-decoded, lower-cased view of the path, to recognise the fault routes however
/// they are spelled.
fn is_fault_route(path: &str) -> bool {
    let decoded: Vec<u8> = percent_decode(path.as_bytes());
    String::from_utf8_lossy(&decoded)
        .to_ascii_lowercase()
        .contains("fault")
}

fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    form_urlencoded::parse(&[b"x=", bytes].concat())
        .next()
        .map(|(_, v)| v.into_owned().into_bytes())
        .unwrap_or_default()
}

fn remember_ids(text: &str, ids: &mut Vec<String>) {
    for prefix in ID_PREFIXES {
        for (at, _) in text.match_indices(prefix) {
            let id: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if id.len() > prefix.len() && !ids.contains(&id) {
                if ids.len() >= 32 {
                    ids.remove(0);
                }
                ids.push(id);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let Ok(head) = std::str::from_utf8(head) else {
        return;
    };
    let mut lines = head.lines();
    let Some((method, path)) = lines.next().and_then(|l| l.split_once(' ')) else {
        return;
    };
    if !path.starts_with('/') {
        return;
    }
    if is_fault_route(path) {
        if let Ok(rule) = serde_json::from_slice::<serde_json::Value>(body) {
            if let Ok(rule) = FaultRule::parse(&rule, 0) {
                let _ = rule.to_json();
            }
        }
        return;
    }
    let Ok(method) = Method::from_bytes(method.as_bytes()) else {
        return;
    };
    let fx = fixture();
    let path = if path.contains("{id}") {
        let ids = fx.ids.lock().unwrap();
        path.replace("{id}", &ids[data.len() % ids.len()])
    } else {
        path.to_owned()
    };
    let Ok(url) = reqwest::Url::parse(&format!("{}{}", fx.base_url, path)) else {
        return;
    };
    // The URL parser resolves dot segments, so check the fault routes again on the result.
    if is_fault_route(url.path()) || url.port() != reqwest::Url::parse(&fx.base_url).unwrap().port()
    {
        return;
    }
    let mut request = fx.client.request(method, url.clone()).body(body.to_vec());
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return;
        };
        let value = value.trim_start();
        if name.eq_ignore_ascii_case("auth") && value == "valid" {
            request = request.header("authorization", BASIC_AUTH);
            continue;
        }
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            return;
        };
        // Framing headers would only test reqwest's and hyper's refusal of them.
        if matches!(
            name.as_str(),
            "content-length"
                | "transfer-encoding"
                | "host"
                | "connection"
                | "upgrade"
                | "expect"
                | "te"
                | "trailer"
        ) {
            return;
        }
        request = request.header(name, value);
    }

    let (status, text) = fx.runtime.block_on(async {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("no answer to {url}: {e:?}"));
        let status = response.status();
        let text = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("broken answer to {url}: {e:?}"));
        (status, text)
    });
    let admin = url.path().starts_with("/__sandbox");
    assert!(status.as_u16() != 500 || admin, "500 for {url}: {text}");
    remember_ids(&text, &mut fx.ids.lock().unwrap());
});
