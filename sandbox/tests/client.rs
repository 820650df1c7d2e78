//! The core `Client` against the sandbox over real HTTP: every endpoint, a full hosted-page
//! flow with verified callbacks, and every fault kind with reconciliation — afterwards the
//! sandbox's own state must hold exactly one invoice per reference_id.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use polypay::paycore::client::{
    Config, PaymentInvoiceRequest, PayoutInvoiceRequest, PrerequestRequest, RefundRequest,
    RetryPolicy,
};
use polypay::paycore::{
    CallbackEvent, Client, Environment, ListOptions, PaymentInvoiceStatus, PayoutInvoiceStatus,
};
use polypay::{Currency, ErrorKind, Money};
use polypay_sandbox::{RunningSandbox, SandboxConfig};
use serde_json::{json, Value};

fn config(sandbox: &RunningSandbox) -> Config {
    let mut config = Config::new(Environment::custom(sandbox.base_url()).unwrap());
    config.public_key = Some(PK_TEST.into());
    config.account_id = Some(ACCOUNT.into());
    config.api_key = Some(API_KEY.into());
    config.secret_key = Some(SK_TEST.into());
    config.request_timeout = Duration::from_millis(700);
    config.deadline = Duration::from_secs(8);
    config.retry = RetryPolicy {
        initial_backoff: Duration::from_millis(20),
        jitter: Arc::new(|| 1.0),
        ..RetryPolicy::default()
    };
    config
}

fn client(sandbox: &RunningSandbox) -> Client {
    Client::new(config(sandbox)).unwrap()
}

fn usd(amount: &str) -> Money {
    Money::parse(amount, "USD").unwrap()
}

fn test_service(reference: &str, outcome: &str) -> PaymentInvoiceRequest {
    PaymentInvoiceRequest::new("test_usd_test", usd("100.55"))
        .set("reference_id", reference)
        .set("service_fields", json!({"status": outcome}))
}

/// How many invoices the sandbox holds for this reference (its own state, not the client's view).
async fn stored(api: &Api, reference: &str) -> usize {
    api.get_anon(&format!("/__sandbox/invoices?reference_id={reference}"))
        .await
        .json["count"]
        .as_u64()
        .unwrap() as usize
}

async fn requests(api: &Api, route: &str) -> u64 {
    api.get_anon("/__sandbox/stats").await.json["requests"][route]
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_through_the_client() {
    let sandbox = start().await;
    let c = client(&sandbox);
    let usd_code = Currency::parse("USD").unwrap();

    // Public API.
    let pre = c
        .payment_prerequest(&PrerequestRequest::new(usd_code))
        .await
        .unwrap();
    let codes: Vec<&str> = pre.services.iter().map(|s| s.code.as_str()).collect();
    assert!(
        codes.contains(&"test_usd_test") && codes.contains(&"payment_card_usd_hpp"),
        "{codes:?}"
    );
    assert_eq!(pre.test_mode, Some(true));
    let payout_pre = c
        .payout_prerequest(&PrerequestRequest::new(usd_code).set("amount", "10"))
        .await
        .unwrap();
    assert!(payout_pre.services.iter().any(|s| s.code == "test_usd"));
    let public = c
        .create_payment_invoice_public(
            &PaymentInvoiceRequest::new("payment_card_usd_hpp", usd("12.30"))
                .set("description", "Public"),
        )
        .await
        .unwrap();
    assert_eq!(public.status, PaymentInvoiceStatus::ProcessPending);
    assert!(public
        .flow_data
        .as_ref()
        .unwrap()
        .action
        .starts_with(sandbox.base_url()));
    assert_eq!(
        c.get_payment_invoice_public(&public.id)
            .await
            .unwrap()
            .amount
            .unwrap()
            .to_string(),
        "12.3"
    );

    // Private payments: create, get, find, list, refund.
    let created = c
        .create_payment_invoice(&test_service("ep-1", "success"))
        .await
        .unwrap();
    assert_eq!(
        (created.http_status, created.status.clone()),
        (201, PaymentInvoiceStatus::Processed)
    );
    assert!(created.request_id.is_some());
    assert_eq!(
        c.get_payment_invoice(&created.id)
            .await
            .unwrap()
            .reference_id
            .as_deref(),
        Some("ep-1")
    );
    assert_eq!(
        c.find_payment_invoice("ep-1").await.unwrap().unwrap().id,
        created.id
    );
    assert!(c.find_payment_invoice("nobody").await.unwrap().is_none());
    for i in 2..=5 {
        c.create_payment_invoice(&test_service(&format!("ep-{i}"), "pending"))
            .await
            .unwrap();
    }
    let listed = c
        .list_payment_invoices(&ListOptions {
            reference_id: None,
            page_size: Some(2),
        })
        .collect(None)
        .await
        .unwrap();
    assert_eq!(
        listed.len(),
        6,
        "five private and one public invoice, across three pages"
    );
    assert_eq!(
        requests(&Api::new(&sandbox), "GET /api/payment-invoices").await,
        2 + 3,
        "two finds, three pages"
    );
    let partial = c
        .refund_payment_invoice(&created.id, &RefundRequest::new("40.55".parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(partial.original_id.as_deref(), Some(created.id.as_str()));
    assert_eq!(
        c.get_payment_invoice(&created.id).await.unwrap().status,
        PaymentInvoiceStatus::PartiallyRefunded
    );
    c.refund_payment_invoice(&created.id, &RefundRequest::new("60".parse().unwrap()))
        .await
        .unwrap();
    let refunded = c.get_payment_invoice(&created.id).await.unwrap();
    assert_eq!(
        (
            refunded.status.clone(),
            refunded.refunded_amount.unwrap().to_string()
        ),
        (PaymentInvoiceStatus::Refunded, "100.55".to_owned())
    );
    let too_much = c
        .refund_payment_invoice(&created.id, &RefundRequest::new("1".parse().unwrap()))
        .await
        .unwrap_err();
    assert_eq!(
        (too_much.kind(), too_much.http_status()),
        (ErrorKind::Validation, Some(422))
    );

    // Payouts.
    let payout = c
        .create_payout_invoice(
            &PayoutInvoiceRequest::new("test_usd", usd("25"), json!({"account": "4242"}))
                .set("reference_id", "po-1"),
        )
        .await
        .unwrap();
    assert_eq!(payout.status, PayoutInvoiceStatus::Processed);
    assert!(c.get_payout_invoice(&payout.id).await.unwrap().is_success());
    assert_eq!(
        c.get_payout_invoice_public(&payout.id).await.unwrap().id,
        payout.id
    );
    assert_eq!(
        c.find_payout_invoice("po-1").await.unwrap().unwrap().id,
        payout.id
    );
    assert_eq!(
        c.list_payout_invoices(&ListOptions::default())
            .collect(None)
            .await
            .unwrap()
            .len(),
        1
    );

    // Services and balances.
    let services = c
        .list_payment_services(Some(5))
        .collect(None)
        .await
        .unwrap();
    assert!(services.len() > 5, "several pages: {}", services.len());
    let one = c.get_payment_service(&services[0].id).await.unwrap();
    assert_eq!(one.service, services[0].service);
    let balances = c.balances().await.unwrap();
    assert_eq!(balances.account_id, ACCOUNT);
    assert!(balances.currencies.iter().any(|a| a.currency == "USD"));

    // Gateway-side refusals, typed.
    let err = c
        .create_payment_invoice(&PaymentInvoiceRequest::new(
            "test_usd_test",
            usd("10000000"),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.fields()[0].0.as_str()),
        (ErrorKind::Validation, "amount")
    );
    assert!(!err.outcome_unknown());
    assert_eq!(
        c.get_payment_invoice("cpi_missing")
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    let mut wrong = config(&sandbox);
    wrong.api_key = Some("wrong".into());
    let err = Client::new(wrong)
        .unwrap()
        .get_payment_invoice(&created.id)
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.http_status()),
        (ErrorKind::Authentication, Some(401))
    );
    let again = c
        .create_payment_invoice(&test_service("ep-1", "success"))
        .await
        .unwrap();
    assert_eq!(
        (again.id.clone(), again.http_status, again.reconciled),
        (created.id.clone(), 409, true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_page_payment_with_verified_callbacks_then_reconciled() {
    let rx = Receiver::start().await;
    let sandbox = start_with(SandboxConfig {
        callback_url: Some(format!("{}/paycore", rx.url)),
        ..SandboxConfig::default()
    })
    .await;
    let api = Api::new(&sandbox);
    let c = client(&sandbox);
    for (reference, card_number, three_ds, paid) in [
        ("hpp-ok", "5519283812030000", false, true),
        ("hpp-3ds", "5123817234060000", true, true),
        ("hpp-fail", "4302912837020000", false, false),
    ] {
        let request = PaymentInvoiceRequest::new("payment_card_usd_hpp", usd("49.99"))
            .set("reference_id", reference)
            .set("return_url", "https://shop.example/return");
        let invoice = c.create_payment_invoice(&request).await.unwrap();
        // The customer's browser: the action page, the card form, maybe 3-D Secure, the return.
        let action = invoice
            .flow_data
            .as_ref()
            .unwrap()
            .action
            .trim_start_matches(sandbox.base_url())
            .to_owned();
        let page = api.get_anon(&action).await;
        assert!(page.text.contains("49.99 USD"), "{}", page.text);
        let (form_action, _) = form_in(&page.text, "card-form");
        let mut reply = api.post_form(&form_action, &card(card_number)).await;
        if three_ds {
            let step = location(&reply);
            let confirm = api.get_anon(&step).await;
            assert!(confirm.text.contains("Confirm"), "{}", confirm.text);
            reply = api
                .post_form(&step, &[("action".into(), "confirm".into())])
                .await;
        }
        assert_eq!(
            location(&reply),
            format!("https://shop.example/return?invoice_id={}", invoice.id)
        );

        // The merchant's side: verify every callback with the configured secret.
        let final_status = if paid { "processed" } else { "process_failed" };
        rx.wait_where(1, |r| {
            r.json()["data"]["id"] == invoice.id.as_str() && r.status() == final_status
        })
        .await;
        let callbacks: Vec<_> = rx
            .received()
            .into_iter()
            .filter(|r| r.json()["data"]["id"] == invoice.id.as_str())
            .collect();
        assert!(
            callbacks.len() >= 2,
            "{reference}: {} callbacks",
            callbacks.len()
        );
        let events: Vec<CallbackEvent> = callbacks
            .iter()
            .map(|r| {
                c.verify_callback(&r.body, r.signature())
                    .expect("sandbox callbacks verify")
            })
            .collect();
        let last = events.last().unwrap();
        assert!(last.is_final());
        assert_eq!(last.is_success(), paid, "{reference}");
        assert!(
            String::from_utf8_lossy(&callbacks[0].body).contains("\\/"),
            "PHP-style escaped slashes"
        );
        let mut tampered = callbacks[0].body.to_vec();
        tampered[20] ^= 1;
        assert_eq!(
            c.verify_callback(&tampered, callbacks[0].signature())
                .unwrap_err()
                .kind(),
            ErrorKind::Signature
        );

        // Reconcile: the API agrees with the last callback.
        let now = c.get_payment_invoice(&invoice.id).await.unwrap();
        assert_eq!(now.status.as_str(), last.status());
        assert_eq!(
            c.find_payment_invoice(reference)
                .await
                .unwrap()
                .unwrap()
                .status,
            now.status
        );
    }
}

/// Each fault hits the first create; the client must end with exactly one invoice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_kind_ends_with_exactly_one_invoice() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let c = client(&sandbox);
    let cases: Vec<(&str, Value, bool)> = vec![
        // (name, effect, the client learns of it by reconciliation)
        ("status-500", json!({"status": 500}), false),
        ("status-502", json!({"status": 502}), false),
        ("status-503", json!({"status": 503}), false),
        ("status-504", json!({"status": 504}), false),
        (
            "rate-limited",
            json!({"status": 429, "retry_after": 1}),
            false,
        ),
        ("reset", json!("reset"), false),
        ("malformed-json", json!("malformed_json"), true),
        (
            "created-response-lost",
            json!("created_response_lost"),
            true,
        ),
        ("delay-past-timeout", json!({"delay_ms": 1500}), false),
    ];
    for (name, effect, found_by_lookup) in cases {
        api.delete("/__sandbox/faults").await;
        let rule =
            json!({"id": name, "route": "POST /api/payment-invoices", "nth": 1, "effect": effect});
        assert!(api.admin_post("/__sandbox/faults", &rule).await.status < 300);
        let reference = format!("fault-{name}");
        let posts_before = requests(&api, "POST /api/payment-invoices").await;
        let result = c
            .create_payment_invoice(&test_service(&reference, "success"))
            .await;
        let invoice = result.unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(
            invoice.reference_id.as_deref(),
            Some(reference.as_str()),
            "{name}"
        );
        // A stalled request may still be committed by the sandbox after the client gave up;
        // either way there is exactly one.
        if !name.starts_with("delay") {
            assert_eq!(invoice.reconciled, found_by_lookup, "{name}");
        }
        tokio::time::sleep(Duration::from_millis(if name.starts_with("delay") {
            1600
        } else {
            50
        }))
        .await;
        assert_eq!(
            stored(&api, &reference).await,
            1,
            "{name}: exactly one invoice"
        );
        let posts = requests(&api, "POST /api/payment-invoices").await - posts_before;
        let expected_posts = if found_by_lookup { 1 } else { 2 };
        assert_eq!(posts, expected_posts, "{name}: POSTs sent");
    }
    // Reads retry transient faults.
    api.delete("/__sandbox/faults").await;
    let invoice = c
        .find_payment_invoice("fault-reset")
        .await
        .unwrap()
        .unwrap();
    api.admin_post("/__sandbox/faults", &json!({"route": "GET /api/payment-invoices/", "every": 1, "times": 2, "effect": {"status": 503}})).await;
    assert_eq!(
        c.get_payment_invoice(&invoice.id).await.unwrap().id,
        invoice.id
    );
    assert!(
        api.get_anon("/__sandbox/stats").await.json["faults_injected"]
            .as_u64()
            .unwrap()
            >= 2
    );
}
