//! The ledger events read from verified callbacks of both gateways, and the rule over them.

use polypay::ledger::{Applied, Lifecycle, Verdict};
use polypay::{ecommpay, paycore};
use serde_json::{Map, Value};

const SECRET: &str = "sk_test_ledger";

fn paycore_event(kind: &str, status: &str, updated: &str) -> paycore::CallbackEvent {
    let body = format!(
        r#"{{"data":{{"type":"{kind}","id":"cpi_1","attributes":{{"status":"{status}","updated":"{updated}","amount":10,"currency":"USD"}}}}}}"#
    );
    let signature = paycore::sign_callback(body.as_bytes(), SECRET).unwrap();
    paycore::callback::verify(body.as_bytes(), &signature, SECRET).unwrap()
}

fn ecommpay_callback(body: &str) -> ecommpay::EcommpayCallback {
    let mut doc: Map<String, Value> = serde_json::from_str(body).unwrap();
    let signature = ecommpay::sign(&doc, SECRET).unwrap();
    doc.insert("signature".into(), Value::String(signature));
    let signed = serde_json::to_vec(&doc).unwrap();
    ecommpay::verify_callback(&signed, SECRET).unwrap()
}

#[test]
fn a_paycore_callback_names_its_invoice_status_and_updated_time() {
    let event = paycore_event(
        "payment-invoices",
        "SUCCESSFUL",
        "2030-01-02T03:04:05+00:00",
    )
    .ledger_event()
    .unwrap();
    assert_eq!(event.lifecycle, Lifecycle::PaycorePayment);
    assert_eq!(event.entity_id, "cpi_1");
    assert_eq!(event.status, "processed");
    assert_eq!(event.time, Some(1_893_553_445));

    let payout = paycore_event("payout-invoices", "canceled", "2030-01-02T03:04:05+00:00")
        .ledger_event()
        .unwrap();
    assert_eq!(payout.lifecycle.as_str(), "paycore.payout");

    let refunded = Applied {
        status: "refunded".into(),
        time: Some(1_893_553_000),
    };
    assert_eq!(event.decide(Some(&refunded)), Verdict::Stale);
}

#[test]
fn an_ecommpay_callback_names_its_payment_status_and_operation_date() {
    let callback = ecommpay_callback(
        r#"{"project_id":1,"payment":{"id":"order-7","status":"partially refunded","date":"2030-01-02T03:00:00+0000"},
        "operation":{"id":5,"type":"refund","status":"success","date":"2030-01-02T03:04:05+0000"}}"#,
    );
    let event = callback.ledger_event().unwrap();
    assert_eq!(event.lifecycle, Lifecycle::EcommpayPayment);
    assert_eq!(event.entity_id, "order-7");
    assert_eq!(event.status, "partially refunded");
    // The operation's date: the payment's own date is when it was created.
    assert_eq!(event.time, Some(1_893_553_445));

    // Without an operation, the payment's date.
    let plain = ecommpay_callback(
        r#"{"project_id":1,"payment":{"id":"order-8","status":"success","date":"2030-01-02T03:00:00+0000"}}"#,
    );
    assert_eq!(plain.ledger_event().unwrap().time, Some(1_893_553_200));

    // No status: nothing for the ledger.
    let bare = ecommpay_callback(r#"{"project_id":1,"payment":{"id":"order-9"}}"#);
    assert_eq!(bare.ledger_event(), None);
}
