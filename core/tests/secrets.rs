//! Secrets never leak: every log line (tracing at TRACE, `log` records bridged in, from polypay,
//! reqwest, hyper and the in-process sandbox), every error's `Display` and `Debug`, every
//! `Debug` of configuration and clients, and every panic message, while the client works
//! against a real sandbox over HTTP: successes, retries, reconciliation and every failure kind
//! the sandbox can produce.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use polypay::ecommpay::{self, Gate, Signer};
use polypay::paycore::client::{
    Config, ListOptions, PaymentInvoiceRequest, PrerequestRequest, RefundRequest, RetryPolicy,
    Secret,
};
use polypay::paycore::{BlockingClient, Client, Environment};
use polypay::{Amount, Currency, Error, ErrorKind, Money};
use polypay_sandbox::{
    AccountConfig, EcommpayProjectConfig, RunningSandbox, Sandbox, SandboxConfig,
};
use serde_json::json;

const ACCOUNT: &str = "coma_canary";
const API_KEY: &str = "APIKEY_canary_9f3a";
const SECRET_TEST: &str = "sk_test_SECRET_canary_71c2";
const SECRET_LIVE: &str = "sk_live_SECRET_canary_71c2";
const INACTIVE_API_KEY: &str = "APIKEY_inactive_canary_9f3a";
const ECOMMPAY_SECRET: &str = "ECOMMPAY_canary_5d8e";

/// What must never appear: the secrets, and the Basic-auth header values that encode them.
fn forbidden() -> Vec<String> {
    let mut list: Vec<String> = ["canary_9f3a", "SECRET_canary", "ECOMMPAY_canary"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (user, key) in [
        (ACCOUNT, API_KEY),
        ("coma_inactive", INACTIVE_API_KEY),
        (ACCOUNT, "wrong_canary_9f3a"),
    ] {
        list.push(STANDARD.encode(format!("{user}:{key}")));
    }
    list
}

fn assert_clean(what: &str, text: &str) {
    for secret in forbidden() {
        assert!(!text.contains(&secret), "{what} shows {secret}:\n{text}");
    }
}

// ---------------------------------------------------------------- capture

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Capture {
    logs: Captured,
    panics: Arc<Mutex<Vec<String>>>,
}

/// One process-wide TRACE subscriber (with the `log` bridge) and a panic hook that records
/// every panic message, shared by the tests of this file.
fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init()
            .expect("the only subscriber of this test binary");
        let panics = Arc::new(Mutex::new(Vec::new()));
        let recorded = panics.clone();
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            recorded.lock().unwrap().push(info.to_string());
            default_hook(info);
        }));
        Capture { logs, panics }
    })
}

fn logs() -> String {
    String::from_utf8_lossy(&capture().logs.0.lock().unwrap()).into_owned()
}

// ---------------------------------------------------------------- fixtures

async fn sandbox() -> RunningSandbox {
    let faults = json!([
        // Retried, then fine.
        {"route": "GET /api/payment-services", "nth": 1, "effect": {"status": 503}},
        // The create is committed, the answer lost: reconciled by reference_id.
        {"route": "POST /api/payment-invoices", "nth": 1, "effect": "created_response_lost"},
        // Failures that stay failures.
        {"route": "GET /api/account/balances", "effect": {"status": 503}},
        {"route": "GET /api/payout-invoices/", "effect": "reset"},
        {"route": "GET /public-api/payout-invoices/", "effect": "malformed_json"},
        {"route": "POST /public-api/payout-prerequest", "effect": {"status": 429, "retry_after": 0}},
        {"route": "POST /public-api/payment-prerequest", "effect": {"delay_ms": 1500}},
    ]);
    Sandbox::start(SandboxConfig {
        seed: Some(7),
        time_scale: 0.001,
        accounts: vec![
            AccountConfig {
                account_id: ACCOUNT.into(),
                api_key: API_KEY.into(),
                public_key_test: "pk_test_canary".into(),
                secret_key_test: SECRET_TEST.into(),
                public_key_live: "pk_live_canary".into(),
                secret_key_live: SECRET_LIVE.into(),
                ..AccountConfig::default()
            },
            AccountConfig {
                account_id: "coma_inactive".into(),
                api_key: INACTIVE_API_KEY.into(),
                public_key_test: "pk_test_inactive".into(),
                public_key_live: "pk_live_inactive".into(),
                status: "blocked".into(),
                ..AccountConfig::default()
            },
        ],
        ecommpay: vec![EcommpayProjectConfig {
            project_id: 7,
            secret_key: ECOMMPAY_SECRET.into(),
            callback_url: None,
        }],
        faults: faults.as_array().unwrap().clone(),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

fn config(base: &str, account: &str, api_key: &str) -> Config {
    let mut config = Config::new(Environment::custom(base).unwrap());
    config.public_key = Some("pk_test_canary".into());
    config.account_id = Some(account.into());
    config.api_key = Some(api_key.into());
    config.secret_key = Some(SECRET_TEST.into());
    config.request_timeout = Duration::from_millis(400);
    config.deadline = Duration::from_secs(3);
    config.retry = RetryPolicy {
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        ..RetryPolicy::default()
    };
    config
}

/// Records an error's kind and checks every way it can be shown.
fn check_error(kinds: &mut BTreeSet<&'static str>, what: &str, err: &Error) {
    kinds.insert(err.kind().as_str());
    let shown = format!(
        "{err}\n{err:?}\n{err:#?}\n{}\n{:?}\n{:?}\n{:?}",
        err.message(),
        err.body(),
        err.existing(),
        err.fields()
    );
    assert_clean(what, &shown);
}

fn usd(amount: &str) -> Money {
    Money::parse(amount, "USD").unwrap()
}

// ---------------------------------------------------------------- tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_logs_errors_and_debug_never_show_secrets() {
    capture();
    let sandbox = sandbox().await;
    let base = sandbox.base_url().to_owned();
    let client = Client::new(config(&base, ACCOUNT, API_KEY)).unwrap();
    let mut kinds = BTreeSet::new();

    // Successes, one after a retried 503 and one reconciled after a lost answer.
    let services = client
        .list_payment_services(Some(5))
        .collect(Some(5))
        .await
        .expect("retried after the 503");
    assert_eq!(services.len(), 5);
    let created = client
        .create_payment_invoice(
            &PaymentInvoiceRequest::new("test_usd_test", usd("25.00"))
                .set("reference_id", "canary-order-1")
                .set("service_fields", json!({"status": "success"}))
                .set("test_mode", true),
        )
        .await
        .expect("reconciled after the lost answer");
    assert!(created.reconciled, "the first create's answer was lost");
    let id = created.id.clone();
    client.get_payment_invoice(&id).await.unwrap();
    client
        .find_payment_invoice("canary-order-1")
        .await
        .unwrap()
        .unwrap();
    client
        .list_payment_invoices(&ListOptions {
            reference_id: None,
            page_size: Some(1),
        })
        .collect(Some(2))
        .await
        .unwrap();
    client
        .refund_payment_invoice(
            &id,
            &RefundRequest::new(Amount::parse("5.00").unwrap())
                .set("reference_id", "canary-refund-1"),
        )
        .await
        .unwrap();
    client.get_payment_invoice_public(&id).await.unwrap();

    // Failures of every kind the gateway can cause.
    let failures: Vec<(&str, Result<(), Error>)> = vec![
        ("500s", client.balances().await.map(drop)),
        (
            "reset",
            client.get_payout_invoice("cpoi_canary").await.map(drop),
        ),
        (
            "malformed",
            client
                .get_payout_invoice_public("cpoi_canary")
                .await
                .map(drop),
        ),
        (
            "429",
            client
                .payout_prerequest(
                    &PrerequestRequest::new(Currency::parse("USD").unwrap()).set("amount", "1.00"),
                )
                .await
                .map(drop),
        ),
        (
            "timeout",
            client
                .with_deadline(Duration::from_millis(900))
                .payment_prerequest(&PrerequestRequest::new(Currency::parse("USD").unwrap()))
                .await
                .map(drop),
        ),
        (
            "404",
            client
                .get_payment_invoice("cpi_canarynotfound")
                .await
                .map(drop),
        ),
        (
            "422",
            client
                .create_payment_invoice(
                    &PaymentInvoiceRequest::new("no_such_service", usd("1.00"))
                        .set("reference_id", "canary-order-2"),
                )
                .await
                .map(drop),
        ),
        (
            "401",
            Client::new(config(&base, ACCOUNT, "wrong_canary_9f3a"))
                .unwrap()
                .get_payment_invoice(&id)
                .await
                .map(drop),
        ),
        (
            "403",
            Client::new(config(&base, "coma_inactive", INACTIVE_API_KEY))
                .unwrap()
                .get_payment_invoice(&id)
                .await
                .map(drop),
        ),
        (
            "connection refused",
            Client::new(config("http://127.0.0.1:9", ACCOUNT, API_KEY))
                .unwrap()
                .get_payment_invoice(&id)
                .await
                .map(drop),
        ),
        (
            "wrong callback signature",
            client
                .verify_callback(br#"{"data":{}}"#, "R7a2MuC2EwiC2MPFd+8JNv0z9jw=")
                .map(drop),
        ),
    ];
    for (what, result) in &failures {
        let err = result.as_ref().expect_err(what);
        check_error(&mut kinds, what, err);
    }

    // Configuration mistakes that involve the secrets themselves.
    let mut mixed = config(&base, ACCOUNT, API_KEY);
    mixed.secret_key = Some(SECRET_LIVE.into());
    let mut swapped = config(&base, ACCOUNT, API_KEY);
    swapped.public_key = Some(SECRET_TEST.into());
    let mut padded = config(&base, ACCOUNT, API_KEY);
    padded.api_key = Some(format!("{API_KEY}\n").into());
    for (what, config) in [("mixed", mixed), ("swapped", swapped), ("padded", padded)] {
        let err = Client::new(config).expect_err(what);
        assert_eq!(err.kind(), ErrorKind::Configuration);
        check_error(&mut kinds, what, &err);
    }
    for (what, err) in [
        (
            "empty secret",
            polypay::paycore::verify_callback(b"{}", "x", "").unwrap_err(),
        ),
        (
            "padded ecommpay secret",
            Gate::new(7, &format!(" {ECOMMPAY_SECRET}"), None).unwrap_err(),
        ),
        (
            "ecommpay mismatch",
            ecommpay::verify_callback(br#"{"signature":"abc"}"#, ECOMMPAY_SECRET).unwrap_err(),
        ),
    ] {
        check_error(&mut kinds, what, &err);
    }

    // Debug of everything that holds a secret.
    let gate = Gate::new(7, ECOMMPAY_SECRET, None).unwrap();
    let shown = format!(
        "{:?}\n{:#?}\n{client:?}\n{gate:?}\n{:?}\n{:?}",
        client.config(),
        client.config(),
        Signer::new(ECOMMPAY_SECRET),
        Secret::new(API_KEY),
    );
    assert_clean("Debug", &shown);

    let expected: BTreeSet<&str> = [
        "invalid_input",
        "signature",
        "configuration",
        "authentication",
        "permission",
        "not_found",
        "validation",
        "rate_limited",
        "server",
        "timeout",
        "connection",
        "decode",
    ]
    .into_iter()
    .collect();
    assert_eq!(kinds, expected, "error kinds reached");

    sandbox.shutdown().await;
    let logs = logs();
    // The capture works: the client's own retry and reconciliation lines, at every level.
    for needle in [
        "attempt failed",
        "reconciling by reference_id",
        "DEBUG",
        "TRACE",
    ] {
        assert!(
            logs.contains(needle),
            "no {needle:?} in the captured logs:\n{logs}"
        );
    }
    assert_clean("the logs", &logs);
    assert_clean(
        "panic messages",
        &capture().panics.lock().unwrap().join("\n"),
    );
}

#[test]
fn blocking_client_and_its_misuse_never_show_secrets() {
    capture();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sandbox = runtime.block_on(sandbox());
    let client = BlockingClient::new(config(sandbox.base_url(), ACCOUNT, API_KEY)).unwrap();
    let mut kinds = BTreeSet::new();
    client.get_payment_service("test_usd_test").unwrap();
    let err = client
        .get_payment_invoice("cpi_canarynotfound")
        .unwrap_err();
    check_error(&mut kinds, "blocking 404", &err);
    // Called from async code: a clear error, not a panic.
    let misuse = runtime.block_on(async { client.get_payment_invoice("cpi_x") });
    let err = misuse.unwrap_err();
    assert_eq!(err.code(), "blocking_in_async");
    check_error(&mut kinds, "blocking in async", &err);
    assert_clean("Debug", &format!("{client:?} {client:#?}"));
    runtime.block_on(sandbox.shutdown());
    assert_clean("the logs", &logs());
    assert_clean(
        "panic messages",
        &capture().panics.lock().unwrap().join("\n"),
    );
}
