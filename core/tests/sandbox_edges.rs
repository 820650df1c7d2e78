//! Issue 14's rules against `polypay sandbox` itself: each fault a real gateway commits on a
//! bad day, staged with the sandbox's fault effects, and the client's answer to it. The
//! invoices the sandbox holds afterwards are the judge (nothing doubled, nothing lost).

use std::sync::Arc;
use std::time::{Duration, Instant};

use polypay::paycore::client::{Config, ListOptions, PaymentInvoiceRequest, RetryPolicy};
use polypay::paycore::{Client, Environment};
use polypay::{ErrorKind, Money};
use polypay_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

async fn sandbox(faults: Value) -> RunningSandbox {
    Sandbox::start(SandboxConfig {
        seed: Some(14),
        time_scale: 0.001,
        faults: faults.as_array().unwrap().clone(),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

fn client(sandbox: &RunningSandbox, max_retries: u32) -> Client {
    let mut config = Config::new(Environment::custom(sandbox.base_url()).unwrap());
    config.account_id = Some("coma_sandbox".into());
    config.api_key = Some("sandbox_api_key".into());
    config.request_timeout = Duration::from_millis(600);
    config.deadline = Duration::from_secs(4);
    config.retry = RetryPolicy {
        max_retries,
        initial_backoff: Duration::from_millis(20),
        jitter: Arc::new(|| 1.0),
        ..RetryPolicy::default()
    };
    Client::new(config).unwrap()
}

fn request(reference: &str, amount: &str) -> PaymentInvoiceRequest {
    PaymentInvoiceRequest::new("payment_card_usd_hpp", Money::parse(amount, "USD").unwrap())
        .set("reference_id", reference)
        .set("test_mode", true)
}

/// How many invoices the sandbox holds under this reference (listing everything, so a
/// lookup bug cannot hide one).
async fn held(client: &Client, reference: &str) -> usize {
    client
        .list_payment_invoices(&ListOptions::default())
        .collect(None)
        .await
        .unwrap()
        .iter()
        .filter(|i| i.reference_id.as_deref() == Some(reference))
        .count()
}

const CREATE: &str = "POST /api/payment-invoices";

#[tokio::test]
async fn commit_then_5xx_is_reconciled_not_doubled() {
    for status in [500, 502, 503, 504] {
        let sandbox = sandbox(json!([
            {"route": CREATE, "nth": 1, "effect": {"status": status, "commit": true, "retry_after": 0}}
        ]))
        .await;
        let client = client(&sandbox, 2);
        let invoice = client
            .create_payment_invoice(&request("r-5xx", "10.00"))
            .await
            .unwrap();
        assert!(invoice.reconciled, "{status}");
        assert_eq!(held(&client, "r-5xx").await, 1, "{status}");
    }
}

#[tokio::test]
async fn a_late_commit_after_a_drop_is_never_reported_as_not_created() {
    let sandbox = sandbox(json!([
        {"route": CREATE, "nth": 1, "effect": {"type": "late_commit", "commit_after_ms": 700}}
    ]))
    .await;
    let client = client(&sandbox, 0);
    let error = client
        .create_payment_invoice(&request("r-late", "10.00"))
        .await
        .unwrap_err();
    assert!(error.outcome_unknown(), "{error:?}");
    assert_eq!(error.reference_id(), Some("r-late"));
    assert_eq!(held(&client, "r-late").await, 0, "not committed yet");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let found = client.find_payment_invoice("r-late").await.unwrap();
    assert!(found.is_some(), "the commit landed after the error");
    assert_eq!(held(&client, "r-late").await, 1);
}

#[tokio::test]
async fn a_late_commit_racing_a_resend_leaves_one_invoice() {
    let sandbox = sandbox(json!([
        {"route": CREATE, "nth": 1, "effect": {"type": "late_commit", "commit_after_ms": 300}}
    ]))
    .await;
    let client = client(&sandbox, 2);
    let invoice = client
        .create_payment_invoice(&request("r-race", "10.00"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(held(&client, "r-race").await, 1);
    let found = client
        .find_payment_invoice("r-race")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, invoice.id);
}

#[tokio::test]
async fn wrong_shaped_2xx_bodies_are_reconciled() {
    for body in [
        json!({}),
        json!({"data": []}),
        json!({"data": {"status": "created"}}),
    ] {
        let sandbox = sandbox(json!([
            {"route": CREATE, "nth": 1, "effect": {"type": "wrong_shape", "status": 201, "body": body}}
        ]))
        .await;
        let client = client(&sandbox, 2);
        let invoice = client
            .create_payment_invoice(&request("r-shape", "10.00"))
            .await
            .unwrap();
        assert!(invoice.reconciled, "{body}");
        assert_eq!(held(&client, "r-shape").await, 1, "{body}");
    }
}

#[tokio::test]
async fn a_409_without_data_is_looked_up() {
    let sandbox = sandbox(json!([
        {"route": CREATE, "nth": 1, "effect": {"status": 409, "commit": true}}
    ]))
    .await;
    let client = client(&sandbox, 2);
    let invoice = client
        .create_payment_invoice(&request("r-409", "10.00"))
        .await
        .unwrap();
    assert!(invoice.reconciled);
    assert_eq!(held(&client, "r-409").await, 1);
}

#[tokio::test]
async fn a_reused_reference_with_another_amount_is_refused_by_name() {
    let sandbox = sandbox(json!([])).await;
    let client = client(&sandbox, 2);
    let first = client
        .create_payment_invoice(&request("r-reuse", "10.00"))
        .await
        .unwrap();
    // The same request again is the same invoice (a retry after a crash, say).
    let again = client
        .create_payment_invoice(&request("r-reuse", "10.0"))
        .await
        .unwrap();
    assert_eq!(
        (again.id.as_str(), again.reconciled),
        (first.id.as_str(), true)
    );
    let error = client
        .create_payment_invoice(&request("r-reuse", "20.00"))
        .await
        .unwrap_err();
    assert_eq!(
        (error.kind(), error.code(), error.outcome_unknown()),
        (ErrorKind::Conflict, "reference_reused", false)
    );
    assert_eq!(held(&client, "r-reuse").await, 1);
}

#[tokio::test]
async fn redirects_are_typed_errors_not_followed() {
    let sandbox = sandbox(json!([
        {"route": "GET /api/payment-invoices/", "effect": {"type": "redirect", "status": 307}},
        {"route": CREATE, "effect": {"type": "redirect", "status": 303, "commit": true}}
    ]))
    .await;
    let client = client(&sandbox, 2);
    let error = client.get_payment_invoice("cpi_1").await.unwrap_err();
    assert_eq!((error.code(), error.http_status()), ("redirect", Some(307)));
    // The create committed, then redirected: found by the lookup, not followed.
    let invoice = client
        .create_payment_invoice(&request("r-303", "10.00"))
        .await
        .unwrap();
    assert!(invoice.reconciled);
    let stats = polypay::tls::http_client_builder()
        .build()
        .unwrap()
        .get(format!("{}/__sandbox/stats", sandbox.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !stats.contains("redirect-target"),
        "a redirect was followed: {stats}"
    );
}

#[tokio::test]
async fn a_trickled_body_and_a_huge_retry_after_end_within_the_deadline() {
    let sandbox = sandbox(json!([
        {"route": "GET /api/payment-invoices/", "effect": {"type": "trickle", "chunk_bytes": 1, "interval_ms": 100}},
        {"route": "GET /api/account/balances", "effect": {"status": 503, "retry_after": 18446744073709551615u64}},
        {"route": "GET /api/payment-services", "effect": {"status": 429, "retry_after": "Wed, 21 Oct 2065 07:28:00 GMT"}}
    ]))
    .await;
    let created = client(&sandbox, 2)
        .create_payment_invoice(&request("r-trickle", "10.00"))
        .await
        .unwrap();
    let mut config = Config::new(Environment::custom(sandbox.base_url()).unwrap());
    config.account_id = Some("coma_sandbox".into());
    config.api_key = Some("sandbox_api_key".into());
    config.request_timeout = Duration::from_secs(30);
    config.deadline = Duration::from_millis(800);
    let slow = Client::new(config).unwrap();
    let started = Instant::now();
    let error = slow.get_payment_invoice(&created.id).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(
        started.elapsed() < Duration::from_millis(1600),
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    assert_eq!(slow.balances().await.unwrap_err().kind(), ErrorKind::Server);
    let services = slow.list_payment_services(None).collect(None).await;
    assert_eq!(services.unwrap_err().kind(), ErrorKind::RateLimited);
    assert!(
        started.elapsed() < Duration::from_millis(1600),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_cyclic_next_link_ends_the_list_with_an_error() {
    let sandbox = sandbox(json!([])).await;
    let client = client(&sandbox, 2);
    for n in 0..3 {
        client
            .create_payment_invoice(&request(&format!("r-page-{n}"), "10.00"))
            .await
            .unwrap();
    }
    let rule = json!({"route": "GET /api/payment-invoices", "effect": {"type": "cyclic_links"}});
    polypay::tls::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}/__sandbox/faults", sandbox.base_url()))
        .json(&rule)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let options = ListOptions {
        page_size: Some(1),
        ..ListOptions::default()
    };
    let error = client
        .list_payment_invoices(&options)
        .collect(None)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "pagination_cycle");
}

#[tokio::test]
async fn a_cancelled_create_keeps_its_reference_and_is_found_afterwards() {
    let sandbox = sandbox(json!([
        {"route": CREATE, "nth": 1, "effect": {"delay_ms": 500}}
    ]))
    .await;
    let cancel = CancellationToken::new();
    let handle = client(&sandbox, 2).with_cancel(cancel.clone());
    let call = tokio::spawn(async move {
        handle
            .create_payment_invoice(&request("r-cancel", "10.00"))
            .await
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    cancel.cancel();
    let error = call.await.unwrap().unwrap_err();
    assert_eq!(
        (error.kind(), error.outcome_unknown(), error.reference_id()),
        (ErrorKind::Cancelled, true, Some("r-cancel"))
    );
    // The sandbox finishes the request its client left, as a gateway does.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let client = client(&sandbox, 2);
    assert!(client
        .find_payment_invoice("r-cancel")
        .await
        .unwrap()
        .is_some());
    assert_eq!(held(&client, "r-cancel").await, 1);
}
