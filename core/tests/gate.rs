//! The ecommpay Gate client against `polypay sandbox` over real HTTP: every operation, the
//! asynchronous model (accepted now, result later), and the faults of a bad day, judged by
//! what the sandbox holds afterwards (nothing doubled, nothing lost).

use std::time::Duration;

use polypay::ecommpay::{
    GateAccepted, GateApi, GateOperation, GateOptions, GateOutcome, GatePayment, GateRequest,
    PaymentStatus,
};
use polypay::ErrorKind;
use polypay_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use serde_json::{json, Value};

const PROJECT: i64 = 112;
const SECRET: &str = "ecommpay_sandbox_secret";

async fn sandbox(faults: Value) -> RunningSandbox {
    Sandbox::start(SandboxConfig {
        seed: Some(17),
        time_scale: 0.001,
        gate_delay_ms: 50,
        faults: faults.as_array().unwrap().clone(),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

fn gate(sandbox: &RunningSandbox) -> GateApi {
    GateApi::new(
        PROJECT,
        SECRET,
        GateOptions {
            base_url: Some(sandbox.base_url().into()),
            status_delay: Some(Duration::from_millis(150)),
            request_timeout: Some(Duration::from_millis(800)),
            timeout: Some(Duration::from_secs(5)),
            ..GateOptions::default()
        },
    )
    .unwrap()
}

/// A payment paid (or authorised) as on the Payment Page.
async fn paid(sandbox: &RunningSandbox, payment_id: &str, extra: Value) -> Value {
    let mut body =
        json!({"payment_id": payment_id, "payment_amount": 1000, "payment_currency": "USD"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let r = reqwest::Client::new()
        .post(format!(
            "{}/__sandbox/ecommpay/payments",
            sandbox.base_url()
        ))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn request(body: Value) -> GateRequest {
    GateRequest::new(body.as_object().unwrap().clone())
}

async fn settled(gate: &GateApi, accepted: &GateAccepted) -> GatePayment {
    gate.wait_for_result(accepted).await.unwrap()
}

#[tokio::test]
async fn refunds_partial_then_full_are_accepted_then_settled() {
    let sandbox = sandbox(json!([])).await;
    let gate = gate(&sandbox);
    paid(&sandbox, "order-1", json!({})).await;

    let partial = gate
        .refund(request(json!({"general": {"payment_id": "order-1"}, "payment": {"amount": 300, "currency": "USD"}})))
        .await
        .unwrap();
    assert_eq!(
        (partial.payment_id.as_str(), partial.reconciled),
        ("order-1", false)
    );
    assert!(partial.request_id.is_some() && partial.merchant_refund_id.is_some());
    let payment = settled(&gate, &partial).await;
    assert_eq!(payment.status(), Some(PaymentStatus::PartiallyRefunded));
    let op = payment
        .operation_for(partial.request_id.as_deref().unwrap())
        .unwrap();
    assert_eq!(
        (
            op.operation_type.as_deref(),
            op.sum_initial.as_ref().map(|s| s.amount)
        ),
        (Some("refund"), Some(300))
    );

    // The rest, with the amount omitted: a full refund of what remains.
    let rest = gate
        .refund(request(json!({"general": {"payment_id": "order-1"}})))
        .await
        .unwrap();
    let payment = settled(&gate, &rest).await;
    assert_eq!(payment.status(), Some(PaymentStatus::Refunded));
    assert_eq!(
        payment
            .operations
            .iter()
            .filter(|o| o.operation_type.as_deref() == Some("refund"))
            .count(),
        2
    );

    // Nothing left: the gateway refuses, before any callback.
    let e = gate
        .refund(request(json!({"general": {"payment_id": "order-1"}, "payment": {"amount": 1, "currency": "USD"}})))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.outcome_unknown(), e.payment_id()),
        (ErrorKind::Validation, false, Some("order-1"))
    );
}

#[tokio::test]
async fn two_step_payments_are_captured_or_cancelled() {
    let sandbox = sandbox(json!([])).await;
    let gate = gate(&sandbox);
    for id in ["auth-1", "auth-2"] {
        paid(&sandbox, id, json!({"card_operation_type": "auth"})).await;
        let held = gate.payment_status(id).await.unwrap();
        assert_eq!(held.status(), Some(PaymentStatus::AwaitingCapture));
    }
    let captured = gate
        .capture(request(json!({"general": {"payment_id": "auth-1"}})))
        .await
        .unwrap();
    assert_eq!(
        settled(&gate, &captured).await.status(),
        Some(PaymentStatus::Success)
    );
    let cancelled = gate
        .cancel(request(json!({"general": {"payment_id": "auth-2"}})))
        .await
        .unwrap();
    assert_eq!(
        settled(&gate, &cancelled).await.status(),
        Some(PaymentStatus::Canceled)
    );
    // A captured payment is no longer held.
    let e = gate
        .cancel(request(json!({"general": {"payment_id": "auth-1"}})))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn payouts_by_card_and_token_and_recurring_charges() {
    let sandbox = sandbox(json!([])).await;
    let gate = gate(&sandbox);
    let payout = |id: &str, pan: &str| {
        request(json!({
            "general": {"payment_id": id},
            "customer": {"id": "c-1", "ip_address": "198.51.100.7"},
            "payment": {"amount": 2500, "currency": "EUR", "description": "Winnings"},
            "card": {"pan": pan, "year": 2040, "month": 12, "card_holder": "A TESTER"},
        }))
    };
    let ok = gate
        .payout(payout("po-1", "5519283812030000"))
        .await
        .unwrap();
    let paid_out = settled(&gate, &ok).await;
    assert_eq!(
        (paid_out.status(), paid_out.payment_type().as_deref()),
        (Some(PaymentStatus::Success), Some("payout"))
    );
    assert_eq!(
        paid_out.sum().map(|s| (s.amount, s.currency)),
        Some((2500, "EUR".to_owned()))
    );
    let declined = gate
        .payout(payout("po-2", "4302912837020000"))
        .await
        .unwrap();
    let declined = settled(&gate, &declined).await;
    assert_eq!(declined.status(), Some(PaymentStatus::Decline));
    assert_eq!(declined.operations[0].code.as_deref(), Some("20000"));

    // The same payment_id again: the existing payout, never a second one...
    let again = gate
        .payout(payout("po-1", "5519283812030000"))
        .await
        .unwrap();
    assert!(again.reconciled);
    // ...unless it is another payout under a used id.
    let mut other = payout("po-1", "5519283812030000");
    other.body["payment"]["amount"] = json!(1);
    let e = gate.payout(other).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::Conflict, "payment_id_reused")
    );
    // ...or a payout under a purchase's id: refused as a repeat, and known not to have landed.
    paid(&sandbox, "bought-1", json!({})).await;
    let e = gate
        .payout(payout("bought-1", "5519283812030000"))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.code(), e.outcome_unknown()),
        (ErrorKind::Conflict, "payment_id_reused", false)
    );

    // A saved card and a registered recurring payment, charged again.
    let first = paid(&sandbox, "sub-1", json!({"recurring_register": 1})).await;
    let token = first["account"]["token"].as_str().unwrap().to_owned();
    let recurring_id = first["recurring"]["id"].clone();
    let by_token = gate
        .payout_by_token(request(json!({"general": {"payment_id": "po-3"}, "token": token, "customer": {"id": "c-1"}, "payment": {"amount": 100, "currency": "USD"}})))
        .await
        .unwrap();
    assert_eq!(
        settled(&gate, &by_token).await.status(),
        Some(PaymentStatus::Success)
    );
    let charge = gate
        .recurring_charge(request(json!({"general": {"payment_id": "sub-2"}, "recurring": {"id": recurring_id}, "payment": {"amount": 1000, "currency": "USD"}})))
        .await
        .unwrap();
    let charged = settled(&gate, &charge).await;
    assert_eq!(
        (charged.status(), charged.payment_type().as_deref()),
        (Some(PaymentStatus::Success), Some("recurring"))
    );
    let e = gate
        .recurring_charge(request(json!({"general": {"payment_id": "sub-3"}, "recurring": {"id": 1}, "payment": {"amount": 1000, "currency": "USD"}})))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn status_by_payment_and_by_request_and_the_table_path() {
    let sandbox = sandbox(json!([])).await;
    let gate = gate(&sandbox);
    paid(&sandbox, "order-9", json!({"customer_id": "c-9"})).await;
    let payment = gate.payment_status("order-9").await.unwrap();
    assert_eq!(
        (payment.payment_id().as_deref(), payment.project_id()),
        (Some("order-9"), Some(PROJECT))
    );
    assert!(payment.card_token().is_some());
    let accepted = match gate
        .execute(
            GateOperation::Refund,
            request(json!({"general": {"payment_id": "order-9"}})),
        )
        .await
        .unwrap()
    {
        GateOutcome::Accepted(accepted) => accepted,
        other => panic!("{other:?}"),
    };
    let by_request = gate
        .request_status(accepted.request_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(by_request.payment_id().as_deref(), Some("order-9"));
    let e = gate.payment_status("never-made").await.unwrap_err();
    assert_eq!(
        (e.kind(), e.outcome_unknown()),
        (ErrorKind::NotFound, false)
    );

    // Another project's secret: the gateway refuses the signature.
    let forged = GateApi::new(
        PROJECT,
        "not-the-secret",
        GateOptions {
            base_url: Some(sandbox.base_url().into()),
            ..GateOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        forged.payment_status("order-9").await.unwrap_err().kind(),
        ErrorKind::Authentication
    );
}

const PAYOUT: &str = "POST /v2/payment/card/payout";
const REFUND: &str = "POST /v2/payment/card/refund";

fn card_payout(id: &str) -> GateRequest {
    request(json!({
        "general": {"payment_id": id},
        "customer": {"id": "c-1"},
        "payment": {"amount": 700, "currency": "USD"},
        "card": {"pan": "5519283812030000", "year": 2040, "month": 1},
    }))
}

async fn payouts_held(gate: &GateApi, id: &str) -> usize {
    match gate.payment_status(id).await {
        Ok(payment) => payment
            .operations
            .iter()
            .filter(|o| o.operation_type.as_deref() == Some("payout"))
            .count(),
        Err(e) if e.kind() == ErrorKind::NotFound => 0,
        Err(e) => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn a_payout_committed_before_a_5xx_or_a_dropped_answer_is_reconciled_not_doubled() {
    for effect in [
        json!({"status": 503, "commit": true}),
        json!("created_response_lost"),
        json!({"type": "late_commit", "commit_after_ms": 50}),
    ] {
        let sandbox = sandbox(json!([{"route": PAYOUT, "nth": 1, "effect": effect}])).await;
        let gate = gate(&sandbox);
        let accepted = gate.payout(card_payout("po-late")).await.unwrap();
        assert!(accepted.reconciled, "{effect}");
        assert_eq!(payouts_held(&gate, "po-late").await, 1, "{effect}");
        assert_eq!(
            settled(&gate, &accepted).await.status(),
            Some(PaymentStatus::Success)
        );
    }
}

#[tokio::test]
async fn a_payout_that_never_arrived_is_sent_again_once() {
    let sandbox = sandbox(json!([{"route": PAYOUT, "nth": 1, "effect": "reset"}])).await;
    let gate = gate(&sandbox);
    let accepted = gate.payout(card_payout("po-reset")).await.unwrap();
    assert!(!accepted.reconciled);
    assert_eq!(payouts_held(&gate, "po-reset").await, 1);
}

#[tokio::test]
async fn a_refund_committed_before_a_5xx_is_found_by_its_merchant_refund_id() {
    let sandbox =
        sandbox(json!([{"route": REFUND, "nth": 1, "effect": {"status": 502, "commit": true}}]))
            .await;
    let gate = gate(&sandbox);
    paid(&sandbox, "order-r", json!({})).await;
    let accepted = gate
        .refund(request(json!({"general": {"payment_id": "order-r"}, "payment": {"amount": 400, "currency": "USD", "merchant_refund_id": "rf-1"}})))
        .await
        .unwrap();
    assert!(accepted.reconciled);
    let payment = settled(&gate, &accepted).await;
    let refunds = payment
        .operations
        .iter()
        .filter(|o| o.operation_type.as_deref() == Some("refund"))
        .count();
    assert_eq!(
        (refunds, payment.status()),
        (1, Some(PaymentStatus::PartiallyRefunded))
    );
}

#[tokio::test]
async fn an_unknown_outcome_past_the_deadline_says_so_with_the_payment_id() {
    let sandbox = sandbox(json!([{"route": PAYOUT, "effect": {"status": 503}}, {"route": "POST /v2/payment/status", "effect": {"status": 503}}])).await;
    let gate = gate(&sandbox).with_deadline(Duration::from_secs(1));
    let e = gate.payout(card_payout("po-x")).await.unwrap_err();
    assert!(e.outcome_unknown(), "{e:?}");
    assert_eq!(e.payment_id(), Some("po-x"));
}

#[tokio::test]
async fn bad_requests_never_leave() {
    let sandbox = sandbox(json!([])).await;
    let gate = gate(&sandbox);
    let e = gate
        .refund(request(
            json!({"general": {"payment_id": "p"}, "payment": {"description": "a;b"}}),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.code(), e.argument()),
        (
            ErrorKind::InvalidInput,
            "semicolon",
            Some("payment.description")
        )
    );
    let stats: Value = reqwest::get(format!("{}/__sandbox/stats", sandbox.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        stats["requests_total"], 1,
        "only the stats request: {stats}"
    );
}
