//! The sandbox's ecommpay Gate over raw HTTP, as a Gate client in any language meets it: signed
//! requests checked, accepted at once, processed later with a signed callback, answered by the
//! status endpoint, refused with the Gate's error shape and codes.

mod common;

use common::{start_with, Api, Receiver};
use polypay_sandbox::config::{EcommpayProjectConfig, SandboxConfig};
use serde_json::{json, Map, Value};

const SECRET: &str = "gate_sandbox_secret";

/// `body` with `general.project_id` and the signature in `general` (top level without it).
fn signed(mut body: Value) -> Value {
    let map = body.as_object_mut().unwrap();
    match map.get_mut("general").and_then(Value::as_object_mut) {
        Some(general) => {
            general.insert("project_id".into(), json!(112));
        }
        None => {
            map.insert("project_id".into(), json!(112));
        }
    }
    let signature = polypay::ecommpay::sign(map, SECRET).unwrap();
    match map.get_mut("general").and_then(Value::as_object_mut) {
        Some(general) => general.insert("signature".into(), json!(signature)),
        None => map.insert("signature".into(), json!(signature)),
    };
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_requests_are_checked_accepted_processed_and_reported() {
    let rx = Receiver::start().await;
    let sandbox = start_with(SandboxConfig {
        ecommpay: vec![EcommpayProjectConfig {
            project_id: 112,
            secret_key: SECRET.into(),
            callback_url: Some(format!("{}/ecommpay", rx.url)),
        }],
        gate_delay_ms: 50,
        ..SandboxConfig::default()
    })
    .await;
    let api = Api::new(&sandbox);
    let paid = api
        .post_anon(
            "/__sandbox/ecommpay/payments",
            &json!({"payment_id": "g-1", "payment_amount": 1000, "payment_currency": "USD"}),
        )
        .await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    rx.wait(1).await;

    // Accepted at once; processed later; the callback is signed and says refunded.
    let refund = signed(
        json!({"general": {"payment_id": "g-1"}, "payment": {"amount": 1000, "currency": "USD", "merchant_refund_id": "r-1"}}),
    );
    let r = api.post_anon("/v2/payment/card/refund", &refund).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            r.json["status"].as_str(),
            r.json["payment_id"].as_str(),
            r.json["project_id"].as_i64()
        ),
        (Some("success"), Some("g-1"), Some(112))
    );
    let request_id = r.json["request_id"].as_str().unwrap().to_owned();
    let got = rx.wait(2).await;
    let callback = polypay::ecommpay::verify_callback(&got[1].body, SECRET).expect("signed");
    assert_eq!(
        callback
            .payment_status()
            .map(|s| s.as_str().to_owned())
            .as_deref(),
        Some("refunded")
    );
    let op = callback.operation().unwrap();
    assert_eq!(
        (op.operation_type.as_deref(), op.request_id.as_deref()),
        (Some("refund"), Some(request_id.as_str()))
    );

    // The status answer: signed, every operation, the refund with its merchant_refund_id.
    let status = api
        .post_anon(
            "/v2/payment/status",
            &signed(json!({"general": {"payment_id": "g-1"}})),
        )
        .await;
    assert_eq!(status.status, 200);
    let verified =
        polypay::ecommpay::verify_callback(status.text.as_bytes(), SECRET).expect("signed");
    assert_eq!(verified.payment_id().as_deref(), Some("g-1"));
    let ops = status.json["operations"].as_array().unwrap();
    assert_eq!(
        ops.iter()
            .map(|o| o["type"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["sale", "refund"]
    );
    assert_eq!(ops[1]["merchant_refund_id"], "r-1");
    let by_request = api
        .post_anon(
            "/v2/payment/status/request",
            &signed(json!({"request_id": request_id})),
        )
        .await;
    assert_eq!(by_request.json["payment"]["id"], "g-1");

    // Refusals: the Gate's shape and codes.
    let refused = |reply: &common::Reply| {
        (
            reply.status,
            reply.json["status"].as_str().map(str::to_owned),
            reply.json["code"].as_str().map(str::to_owned),
        )
    };
    let again = api.post_anon("/v2/payment/card/refund", &refund).await;
    assert_eq!(
        refused(&again),
        (400, Some("error".into()), Some("3230".into()))
    );
    let mut forged = refund.clone();
    forged["payment"]["amount"] = json!(1);
    assert_eq!(
        api.post_anon("/v2/payment/card/refund", &forged)
            .await
            .status,
        401
    );
    let unknown = api
        .post_anon(
            "/v2/payment/status",
            &signed(json!({"general": {"payment_id": "nope"}})),
        )
        .await;
    assert_eq!(
        refused(&unknown),
        (404, Some("error".into()), Some("3061".into()))
    );
    let semicolon = api
        .post_anon(
            "/v2/payment/card/refund",
            &signed(json!({"general": {"payment_id": "g-1"}, "payment": {"description": "a;b"}})),
        )
        .await;
    assert_eq!(
        refused(&semicolon),
        (400, Some("error".into()), Some("1005".into()))
    );
    let payout = signed(
        json!({"general": {"payment_id": "po-1"}, "payment": {"amount": 500, "currency": "USD"}, "card": {"pan": "4302912837020000"}}),
    );
    assert_eq!(
        api.post_anon("/v2/payment/card/payout", &payout)
            .await
            .status,
        200
    );
    let twice = api.post_anon("/v2/payment/card/payout", &payout).await;
    assert_eq!(
        refused(&twice),
        (400, Some("error".into()), Some("3041".into()))
    );
    // The declining test card: the payout's callback says decline.
    let got = rx.wait(3).await;
    let declined: Map<String, Value> = serde_json::from_slice(&got[2].body).unwrap();
    assert_eq!(
        (
            declined["payment"]["type"].as_str(),
            declined["payment"]["status"].as_str()
        ),
        (Some("payout"), Some("decline"))
    );
    let stats = api.get_anon("/__sandbox/stats").await.json;
    assert!(
        stats["requests"]["POST /v2/payment/card/refund"]
            .as_u64()
            .unwrap()
            >= 4,
        "{stats}"
    );
}
