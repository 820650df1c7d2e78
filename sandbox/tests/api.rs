//! The Commerce API over real HTTP: shapes, auth, validation, conflicts, pagination,
//! refunds, payouts and balances.

mod common;

use std::collections::HashSet;

use common::*;
use polypay_sandbox::{AccountConfig, SandboxConfig, ServiceConfig};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prerequests_follow_the_reference_shape() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);

    let r = api
        .post_anon(
            "/public-api/payment-prerequest",
            &json!({"public_key": PK_TEST, "currency": "USD"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let data = &r.json["data"];
    assert_eq!(
        keys(data),
        ["currency", "test_mode", "services", "methods", "account"]
    );
    assert_eq!(data["currency"], "USD");
    assert_eq!(data["test_mode"], true);
    assert_eq!(
        keys(&data["services"]),
        ["payment_card_usd_hpp", "test_usd_test"]
    );
    let test = &data["services"]["test_usd_test"];
    assert_eq!(
        keys(test),
        [
            "code",
            "method",
            "flow",
            "currency",
            "fields",
            "amount_min",
            "amount_max"
        ]
    );
    assert_eq!(
        (test["flow"].as_str(), test["method"].as_str()),
        (Some("test"), Some("test"))
    );
    assert_eq!(test["fields"][0]["key"], "status");
    assert_eq!(test["fields"][0]["regexp"], "^[a-zA-Z_]*$");
    assert_eq!(test["amount_max"], 9999999);
    assert_eq!(
        data["services"]["payment_card_usd_hpp"]["amount_min"].to_string(),
        "0.01"
    );
    assert_eq!(
        data["services"]["payment_card_usd_hpp"]["fields"],
        json!([])
    );
    assert_eq!(keys(&data["methods"]), ["payment_card", "test"]);
    assert_eq!(
        keys(&data["methods"]["payment_card"]),
        [
            "code",
            "category",
            "description",
            "name",
            "logo",
            "icon",
            "metadata",
            "position",
            "hide"
        ]
    );
    assert_eq!(
        keys(&data["account"]),
        ["name", "description", "icon", "website"]
    );
    // Escaped slashes, like the PHP server.
    assert!(
        r.text.contains(r#"https:\/\/static.openfintech.io"#),
        "{}",
        r.text
    );
    assert!(r.header("x-request-id").is_some());

    // The live key gives a live prerequest; payment prerequests do not filter by amount.
    let r = api
        .post_anon(
            "/public-api/payment-prerequest",
            &json!({"public_key": PK_LIVE, "currency": "EUR", "amount": 5000000}),
        )
        .await;
    assert_eq!(r.json["data"]["test_mode"], false);
    assert_eq!(
        keys(&r.json["data"]["services"]),
        ["payment_card_eur_hpp", "test_eur_test"]
    );

    // Payout prerequests do filter by amount; an empty set is PHP's [].
    let r = api
        .post_anon(
            "/public-api/payout-prerequest",
            &json!({"public_key": PK_TEST, "currency": "UAH", "amount": 10}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        keys(&r.json["data"]),
        [
            "currency",
            "amount",
            "test_mode",
            "services",
            "methods",
            "account"
        ]
    );
    assert_eq!(
        r.json["data"]["services"]["test_uah"]["fields"][0]["key"],
        "account"
    );
    let r = api
        .post_anon(
            "/public-api/payout-prerequest",
            &json!({"public_key": PK_TEST, "currency": "UAH", "amount": 99999999}),
        )
        .await;
    assert_eq!(r.json["data"]["services"], json!([]));
    let r = api
        .post_anon(
            "/public-api/payout-prerequest",
            &json!({"public_key": PK_TEST, "currency": "UAH"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json["errors"]["amount"],
        "This value should not be blank."
    );

    // Bad key, bad currency.
    let r = api
        .post_anon(
            "/public-api/payment-prerequest",
            &json!({"public_key": "pk_test_nope", "currency": "USD"}),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json,
        json!({"errors": [{"status": "Unauthorized", "code": "401"}]})
    );
    let r = api
        .post_anon(
            "/public-api/payment-prerequest",
            &json!({"public_key": PK_TEST, "currency": "ABC"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json["errors"]["currency"],
        "This value is not a valid currency."
    );

    // Browsers may call the public API from another origin.
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let preflight = Reply::read(
        api.http
            .request(
                reqwest::Method::OPTIONS,
                api.url("/public-api/payment-invoices"),
            )
            .header("origin", "https://shop.example")
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert!(preflight
        .header("access-control-allow-headers")
        .unwrap()
        .contains("content-type"));
    // X-Request-Id is on every response, and unique.
    let a = api.get_anon("/nothing").await;
    let b = api.get_anon("/nothing").await;
    assert_ne!(a.header("x-request-id"), b.header("x-request-id"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_create_and_get_follow_the_reference_shape() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let r = api
        .create_payment(json!({
            "reference_id": "a30ebec4-035c-4fc5-8c48-b525ca601f37",
            "amount": 100,
            "currency": "USD",
            "service": "payment_card_usd_hpp",
            "flow": "charge",
            "test_mode": true,
            "description": "Invoice Example",
            "customer": {"reference_id": "1203515", "email": "john@example.com", "name": "John Wick",
                         "phone": "+380987654321", "metadata": {"key1": "value1"}},
            "metadata": {"key": "value", "merchant_url": "https://lets.doc.it"},
            "return_url": "https://example.com",
            "callback_url": "http://127.0.0.1:9/callback",
        }))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let data = &r.json["data"];
    assert_eq!(
        keys(data),
        ["type", "id", "attributes", "relationships", "links"]
    );
    assert_eq!(data["type"], "payment-invoices");
    let id = data["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cpi_") && id.len() == 20, "{id}");
    let a = &data["attributes"];
    assert_eq!(keys(a), PRIVATE_PAYMENT_KEYS);
    assert_eq!(a["serial_number"], id.trim_start_matches("cpi_"));
    assert_eq!(a["status"], "process_pending");
    assert_eq!(a["resolution"], "ok");
    assert_eq!(a["amount"].to_string(), "100");
    assert_eq!(a["payment_amount"].to_string(), "100");
    assert_eq!(a["deposit"].to_string(), "100");
    assert_eq!(a["fee"].to_string(), "0");
    assert_eq!(a["processed"], Value::Null);
    assert_eq!(a["refunded_amount"], Value::Null);
    assert_eq!(a["flow"], "hpp");
    assert_eq!(a["payment_flow"], "charge");
    assert_eq!(a["source"], "merchant_api");
    assert_eq!(a["payload"], Value::Null);
    assert_eq!(a["callback_logs"], json!([]));
    assert_eq!(
        a["metadata"],
        json!({"key": "value", "merchant_url": "https://lets.doc.it"})
    );
    assert_eq!(
        keys(&a["flow_data"]),
        ["action", "method", "params", "metadata"]
    );
    assert_eq!(
        a["flow_data"]["action"],
        format!("{}/hpp/pay/{id}", sandbox.base_url())
    );
    assert!(a["flow_data"]["metadata"]["sid"]
        .as_str()
        .unwrap()
        .starts_with("cgi_"));
    assert_eq!(
        keys(&a["original_data"]),
        [
            "external_id",
            "merchant_id",
            "provider_id",
            "external_mid",
            "provider_code"
        ]
    );
    assert!(a["created"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(
        keys(&data["relationships"]),
        ["payment-service", "payment-method", "customer"]
    );
    assert_eq!(
        data["relationships"]["payment-service"]["data"],
        json!({"type": "payment-services", "id": "payment_card_usd_hpp"})
    );
    assert!(data["relationships"]["customer"]["data"]["id"]
        .as_str()
        .unwrap()
        .starts_with("cus_"));
    assert_eq!(data["links"]["self"], format!("/api/payment-invoices/{id}"));
    assert!(
        r.text.contains(r#""merchant_url":"https:\/\/lets.doc.it""#),
        "{}",
        r.text
    );

    // GET returns the same resource.
    let got = api.get(&format!("/api/payment-invoices/{id}")).await;
    assert_eq!(got.status, 200);
    // (callback_logs may already hold the failed delivery attempts to the closed port)
    let mut same = got.json["data"].clone();
    same["attributes"]["callback_logs"] = json!([]);
    assert_eq!(same, r.json["data"]);

    // The public GET is flat, needs no key, and writes the resolution in upper case.
    let public = api
        .get_anon(&format!("/public-api/payment-invoices/{id}"))
        .await;
    assert_eq!(public.status, 200);
    let p = &public.json["data"];
    assert_eq!(keys(p), PUBLIC_PAYMENT_KEYS);
    assert_eq!(
        (
            p["id"].as_str(),
            p["resolution"].as_str(),
            p["has_return_url"].as_bool()
        ),
        (Some(id.as_str()), Some("OK"), Some(true))
    );
    assert_eq!(p["amount"].to_string(), "100");
    assert_eq!(
        keys(&p["active_payment"]),
        ["payload", "status", "resolution"]
    );
    assert_eq!(p["active_payment"]["status"], "invoked");
    assert_eq!(p["active_payment"]["payload"], a["flow_data"]);
    assert_eq!(
        api.get_anon("/public-api/payment-invoices/cpi_unknown0000000")
            .await
            .status,
        404
    );
    assert_eq!(
        api.get_anon(&format!("/public-api/payout-invoices/{id}"))
            .await
            .status,
        404
    );

    // The public create is flat too, uses the key's mode and accepts `fields`.
    let r = api
        .post_anon(
            "/public-api/payment-invoices",
            &json!({"public_key": PK_TEST, "reference_id": "pub-1", "description": "Invoice Example",
                    "service": "test_usd_test", "currency": "USD", "amount": 123.45, "fields": {"status": "success"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(keys(&r.json["data"]), PUBLIC_PAYMENT_KEYS);
    assert_eq!(r.json["data"]["status"], "processed");
    assert_eq!(r.json["data"]["test_mode"], true);
    assert_eq!(r.json["data"]["processed_amount"].to_string(), "123.45");
    let private = api.invoice(r.json["data"]["id"].as_str().unwrap()).await;
    assert_eq!(private["attributes"]["source"], "platform_public_api");
    // Without a reference_id one is generated.
    let r = api
        .post_anon(
            "/public-api/payment-invoices",
            &json!({"public_key": PK_LIVE, "service": "payment_card_usd_hpp", "currency": "USD", "amount": "10.5"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["data"]["test_mode"], false);
    assert!(!r.json["data"]["reference_id"].as_str().unwrap().is_empty());
    assert_eq!(r.json["data"]["amount"].to_string(), "10.5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_failures_and_unknown_routes() {
    let inactive = AccountConfig {
        account_id: "coma_inactive".into(),
        api_key: "inactive_key".into(),
        public_key_test: "pk_test_inactive".into(),
        public_key_live: "pk_live_inactive".into(),
        status: "inactive".into(),
        ..AccountConfig::default()
    };
    let sandbox = start_with(SandboxConfig {
        accounts: vec![AccountConfig::default(), inactive],
        ..SandboxConfig::default()
    })
    .await;
    let api = Api::new(&sandbox);
    let unauthorized = json!({"errors": [{"status": "Unauthorized", "code": "401"}]});

    let r = api.get_anon("/api/payment-invoices").await;
    assert_eq!((r.status, &r.json), (401, &unauthorized));
    let r = Reply::read(
        api.http
            .get(api.url("/api/payment-invoices"))
            .basic_auth(ACCOUNT, Some("wrong"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((r.status, &r.json), (401, &unauthorized));
    let r = Reply::read(
        api.http
            .get(api.url("/api/payment-invoices"))
            .basic_auth("coma_other", Some(API_KEY))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 401);
    let r = Reply::read(
        api.http
            .get(api.url("/api/payment-invoices"))
            .header("authorization", "Basic !!!")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 401);
    let r = Reply::read(
        api.http
            .get(api.url("/api/payment-invoices"))
            .bearer_auth(API_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 401);
    let r = api.create_payment(card_payment("x")).await;
    assert_eq!(r.status, 201);
    let r = Reply::read(
        api.http
            .post(api.url("/api/payment-invoices"))
            .basic_auth("coma_inactive", Some("inactive_key"))
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (r.status, &r.json),
        (
            403,
            &json!({"errors": [{"status": "Forbidden", "code": "403"}]})
        )
    );
    let r = api.post_anon("/public-api/payment-invoices", &json!({"public_key": "pk_test_inactive", "service": "test_usd_test", "currency": "USD", "amount": 1})).await;
    assert_eq!(r.status, 422);
    assert!(r.json["errors"]["public_key"].is_string());

    let r = api.get("/api/nothing-here").await;
    assert_eq!(
        (r.status, &r.json),
        (
            404,
            &json!({"errors": [{"status": "Not Found", "code": "404"}]})
        )
    );
    let r = api.get("/api/payment-invoices/cpi_doesnotexist000").await;
    assert_eq!(r.status, 404);
    let r = Reply::read(
        api.http
            .delete(api.url("/api/payment-invoices"))
            .basic_auth(ACCOUNT, Some(API_KEY))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (r.status, &r.json),
        (
            405,
            &json!({"errors": [{"status": "Method Not Allowed", "code": "405"}]})
        )
    );
    let r = api.get_anon("/public-api/payment-invoices/process").await;
    assert_eq!(r.status, 405);
    // Another account's invoice is not found, not forbidden.
    let other = start_with(SandboxConfig {
        accounts: vec![AccountConfig {
            account_id: "coma_b".into(),
            api_key: "b".into(),
            ..AccountConfig::default()
        }],
        ..SandboxConfig::default()
    })
    .await;
    drop(other);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_validation_rule_answers_422_with_a_field_map() {
    let test_only = ServiceConfig {
        code: "card_test_only_usd_hpp".into(),
        currency: "USD".into(),
        live: false,
        ..ServiceConfig::default()
    };
    let forbidden = AccountConfig {
        account_id: "coma_private".into(),
        api_key: "private_key".into(),
        public_key_test: "pk_test_private".into(),
        public_key_live: "pk_live_private".into(),
        forbid_public_creation: true,
        ..AccountConfig::default()
    };
    let sandbox = start_with(SandboxConfig {
        accounts: vec![
            AccountConfig {
                services: vec![test_only],
                ..AccountConfig::default()
            },
            forbidden,
        ],
        ..SandboxConfig::default()
    })
    .await;
    let api = Api::new(&sandbox);
    let base = card_payment("base");
    let hour = chrono::Utc::now() + chrono::Duration::hours(1);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "no reference_id",
            json!({"reference_id": null}),
            "reference_id",
        ),
        ("no service", json!({"service": null}), "service"),
        (
            "unknown service",
            json!({"service": "nope_usd_hpp"}),
            "service",
        ),
        ("no currency", json!({"currency": null}), "currency"),
        ("unknown currency", json!({"currency": "ABC"}), "currency"),
        (
            "lower-case currency",
            json!({"currency": "usd"}),
            "currency",
        ),
        ("currency mismatch", json!({"currency": "EUR"}), "currency"),
        ("no amount", json!({"amount": null}), "amount"),
        ("zero amount", json!({"amount": 0}), "amount"),
        ("negative amount", json!({"amount": -5}), "amount"),
        ("text amount", json!({"amount": "abc"}), "amount"),
        ("too many decimals", json!({"amount": 100.555}), "amount"),
        ("below the minimum", json!({"amount": 0.001}), "amount"),
        ("above the maximum", json!({"amount": 2000000}), "amount"),
        (
            "test_mode not bool",
            json!({"test_mode": "yes"}),
            "test_mode",
        ),
        (
            "customer without reference_id",
            json!({"customer": {"name": "Ann"}}),
            "customer.reference_id",
        ),
        (
            "customer not an object",
            json!({"customer": "Ann"}),
            "customer",
        ),
        (
            "metadata not an object",
            json!({"metadata": "x"}),
            "metadata",
        ),
        (
            "return_urls without pending",
            json!({"return_urls": {"success": "https://a.example"}}),
            "return_urls.pending",
        ),
        (
            "bad return_url",
            json!({"return_url": "javascript:alert(1)"}),
            "return_url",
        ),
        (
            "bad callback_url",
            json!({"callback_url": "ftp://x"}),
            "callback_url",
        ),
        (
            "expires too soon",
            json!({"expires": (chrono::Utc::now() + chrono::Duration::minutes(5)).to_rfc3339()}),
            "expires",
        ),
        (
            "expires too late",
            json!({"expires": (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339()}),
            "expires",
        ),
        (
            "expires not a date",
            json!({"expires": "tomorrow"}),
            "expires",
        ),
        ("bad flow", json!({"flow": "capture"}), "flow"),
        (
            "test-only service live",
            json!({"service": "card_test_only_usd_hpp", "test_mode": false}),
            "service",
        ),
        (
            "test service without status",
            json!({"service": "test_usd_test"}),
            "service_fields.status",
        ),
        (
            "test service bad status",
            json!({"service": "test_usd_test", "service_fields": {"status": "maybe"}}),
            "service_fields.status",
        ),
    ];
    for (name, change, field) in cases {
        let mut attrs = base.clone();
        for (k, v) in change.as_object().unwrap() {
            attrs[k] = v.clone();
        }
        let r = api.create_payment(attrs).await;
        assert_eq!(r.status, 422, "{name}: {}", r.text);
        assert!(
            r.json["errors"][field].is_string(),
            "{name}: expected errors.{field} in {}",
            r.text
        );
    }
    let r = api
        .create_payment(json!({"reference_id": "z", "amount": 0}))
        .await;
    assert_eq!(
        r.json["errors"]["amount"],
        "This value should be greater than 0."
    );
    assert_eq!(
        r.json["errors"]["service"],
        "This value should not be blank."
    );
    assert_eq!(
        r.json["errors"]["currency"],
        "This value should not be blank."
    );

    // The valid edges pass: an expiry in an hour, a test-only service in test mode.
    let mut ok = base.clone();
    ok["reference_id"] = json!("expires-ok");
    ok["expires"] = json!(hour.to_rfc3339());
    assert_eq!(api.create_payment(ok).await.status, 201);
    let mut ok = base.clone();
    ok["reference_id"] = json!("test-only-ok");
    ok["service"] = json!("card_test_only_usd_hpp");
    assert_eq!(api.create_payment(ok).await.status, 201);

    // Document-level errors.
    let r = api
        .post(
            "/api/payment-invoices",
            &json!({"data": {"type": "payout-invoices", "attributes": base}}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.json["errors"]["data.type"].is_string());
    let r = api.post("/api/payment-invoices", &json!({})).await;
    assert!(r.json["errors"]["data"].is_string());
    let r = Reply::read(
        api.http
            .post(api.url("/api/payment-invoices"))
            .basic_auth(ACCOUNT, Some(API_KEY))
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["errors"][0]["code"], "400");

    // Payouts.
    let payout = json!({"reference_id": "po", "service": "test_usd", "currency": "USD", "amount": 10, "test_mode": true, "fields": {"account": "12345"}});
    for (change, field) in [
        (json!({"fields": {}}), "fields.account"),
        (json!({"fields": {"account": "12ab"}}), "fields.account"),
        (
            json!({"fields": {"account": "1234567890123456"}}),
            "fields.account",
        ),
        (
            json!({"fields": {"account": "1", "test_details_payout_status": "weird"}}),
            "fields.test_details_payout_status",
        ),
        (json!({"service": "test_usd_test"}), "service"),
        (json!({"reference_id": null}), "reference_id"),
    ] {
        let mut attrs = payout.clone();
        for (k, v) in change.as_object().unwrap() {
            attrs[k] = v.clone();
        }
        let r = api.create_payout(attrs).await;
        assert_eq!(r.status, 422, "{change}: {}", r.text);
        assert!(r.json["errors"][field].is_string(), "{change}: {}", r.text);
    }

    // Public creation forbidden by the account option.
    let r = api
        .post_anon("/public-api/payment-invoices", &json!({"public_key": "pk_test_private", "service": "test_usd_test", "currency": "USD", "amount": 1, "fields": {"status": "success"}}))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json["errors"]["public_key"],
        "Public creation of invoices is forbidden for this account."
    );
    // Public: service fields are required (the msdk name `fields` is reported as such).
    let r = api.post_anon("/public-api/payment-invoices", &json!({"public_key": PK_TEST, "service": "test_usd_test", "currency": "USD", "amount": 1})).await;
    assert_eq!(r.status, 422);
    assert!(
        r.json["errors"]["service_fields.status"].is_string(),
        "{}",
        r.text
    );
    let r = api
        .post_anon(
            "/public-api/payment-invoices",
            &json!({"service": "test_usd_test"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.json["errors"]["public_key"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_reference_id_is_409_with_the_existing_entity() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let first = api.create_payment(card_payment("order-1")).await;
    assert_eq!(first.status, 201);
    let mut again = card_payment("order-1");
    again["amount"] = json!(999);
    let r = api.create_payment(again).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(
        r.json["errors"],
        json!([{"status": "Conflict", "code": "409", "title": "reference_id already exists"}])
    );
    let existing = api
        .invoice(first.json["data"]["id"].as_str().unwrap())
        .await;
    assert_eq!(r.json["data"], existing);
    assert_eq!(r.json["data"]["attributes"]["amount"].to_string(), "123.45");

    // Per type: a payout may reuse a payment's reference_id; a second payout may not.
    let payout = json!({"reference_id": "order-1", "service": "test_usd", "currency": "USD", "amount": 10, "test_mode": true, "fields": {"account": "42"}});
    let p = api.create_payout(payout.clone()).await;
    assert_eq!(p.status, 201, "{}", p.text);
    let r = api.create_payout(payout).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json["data"]["id"], p.json["data"]["id"]);
    assert_eq!(r.json["data"]["type"], "payout-invoices");

    // Public: the flat shape.
    let body = json!({"public_key": PK_TEST, "reference_id": "pub-dup", "service": "payment_card_usd_hpp", "currency": "USD", "amount": 5});
    let a = api.post_anon("/public-api/payment-invoices", &body).await;
    let b = api.post_anon("/public-api/payment-invoices", &body).await;
    assert_eq!((a.status, b.status), (201, 409));
    assert_eq!(
        b.json["data"],
        api.get_anon(&format!(
            "/public-api/payment-invoices/{}",
            a.json["data"]["id"].as_str().unwrap()
        ))
        .await
        .json["data"]
    );

    // Exactly one invoice per reference_id.
    let list = api
        .get("/api/payment-invoices?filter[reference_id]=order-1")
        .await;
    assert_eq!(list.json["data"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursor_pagination_newest_first_with_filters() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let mut created = Vec::new();
    for i in 0..25 {
        let r = api
            .create_payment(card_payment(&format!("page-{i} & more")))
            .await;
        assert_eq!(r.status, 201);
        created.push(r.json["data"]["id"].as_str().unwrap().to_owned());
    }
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut next = "/api/payment-invoices?page[size]=10".to_owned();
    while !next.is_empty() {
        let r = api.get(&next).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(keys(&r.json), ["meta", "links", "data"]);
        assert_eq!(keys(&r.json["meta"]), ["count", "size", "before", "after"]);
        let data = r.json["data"].as_array().unwrap();
        assert_eq!(r.json["meta"]["count"], data.len());
        assert_eq!(r.json["meta"]["size"], 10);
        assert_eq!(r.json["meta"]["before"], data[0]["id"]);
        assert_eq!(r.json["meta"]["after"], data[data.len() - 1]["id"]);
        for item in data {
            assert_eq!(keys(&item["attributes"]), PRIVATE_PAYMENT_KEYS);
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        next = r.json["links"]["next"].as_str().unwrap().to_owned();
        if !next.is_empty() {
            assert!(
                next.starts_with("/api/payment-invoices?page[after]=cpi_")
                    && next.ends_with("&page[size]=10"),
                "{next}"
            );
        }
        pages.push(r.json.clone());
    }
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[2]["data"].as_array().unwrap().len(), 5);
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);
    assert_eq!(pages[0]["links"]["prev"], "");
    // prev of page 2 leads back to page 1.
    let prev = pages[1]["links"]["prev"].as_str().unwrap();
    assert!(!prev.is_empty());
    let back = api.get(prev).await;
    assert_eq!(back.json["data"], pages[0]["data"]);

    // filter[reference_id] (URL-encoded) finds one; next links keep the filter.
    let r = api
        .get("/api/payment-invoices?filter[reference_id]=page-7+%26+more&page[size]=1")
        .await;
    assert_eq!(r.json["data"].as_array().unwrap().len(), 1);
    assert_eq!(r.json["data"][0]["id"], created[7].as_str());
    assert_eq!(r.json["links"]["next"], "");
    let r = api
        .get("/api/payment-invoices?filter[reference_id]=missing")
        .await;
    assert_eq!(r.json["data"], json!([]));
    assert_eq!(r.json["meta"]["count"], 0);
    assert_eq!(
        api.get("/api/payment-invoices?page[after]=cpi_bogus")
            .await
            .status,
        422
    );
    assert_eq!(
        api.get("/api/payment-invoices?page[size]=0").await.status,
        422
    );

    // Payout listing works the same way.
    for i in 0..3 {
        let r = api
            .create_payout(json!({"reference_id": format!("po-{i}"), "service": "test_usd", "currency": "USD", "amount": 1, "test_mode": true, "fields": {"account": "1"}}))
            .await;
        assert_eq!(r.status, 201);
    }
    let r = api.get("/api/payout-invoices?page[size]=2").await;
    assert_eq!(r.json["data"][0]["attributes"]["reference_id"], "po-2");
    let next = r.json["links"]["next"].as_str().unwrap().to_owned();
    assert!(next.starts_with("/api/payout-invoices?page[after]=cpoi_"));
    let r = api.get(&next).await;
    assert_eq!(r.json["data"][0]["attributes"]["reference_id"], "po-0");
    assert_eq!(r.json["links"]["next"], "");
    let r = api
        .get("/api/payout-invoices?filter[reference_id]=po-1")
        .await;
    assert_eq!(r.json["data"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_services_page_by_number() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let r = api.get("/api/payment-services").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["meta"], json!({"total": 14, "pages": 1, "page": 1}));
    assert_eq!(
        r.json["links"]["first"],
        "/api/payment-services?page[number]=1&page[size]=20"
    );
    assert_eq!(r.json["links"]["next"], "");
    let first = &r.json["data"][0];
    assert_eq!(
        keys(first),
        ["type", "id", "attributes", "relationships", "links"]
    );
    assert_eq!(first["type"], "payment-services");
    assert!(first["id"].as_str().unwrap().starts_with("comcps_"));
    assert_eq!(
        keys(&first["attributes"]),
        [
            "service",
            "service_method",
            "service_currency",
            "available",
            "active",
            "enabled",
            "amount_min",
            "amount_max",
            "fee_min",
            "fee_max",
            "fee_rate",
            "fee_fix",
            "reserve_lifetime",
            "reserve_rate",
            "currency",
            "test_mode"
        ]
    );
    assert_eq!(
        keys(&first["relationships"]),
        ["payment-method", "payment-service"]
    );

    let mut seen = HashSet::new();
    let mut page = 1;
    loop {
        let r = api
            .get(&format!(
                "/api/payment-services?page[number]={page}&page[size]=5"
            ))
            .await;
        assert_eq!(
            r.json["meta"],
            json!({"total": 14, "pages": 3, "page": page})
        );
        assert_eq!(
            r.json["links"]["last"],
            "/api/payment-services?page[number]=3&page[size]=5"
        );
        for s in r.json["data"].as_array().unwrap() {
            assert!(seen.insert(s["id"].as_str().unwrap().to_owned()));
        }
        let next = r.json["links"]["next"].as_str().unwrap();
        if next.is_empty() {
            break;
        }
        assert_eq!(
            next,
            format!(
                "/api/payment-services?page[number]={}&page[size]=5",
                page + 1
            )
        );
        page += 1;
    }
    assert_eq!((page, seen.len()), (3, 14));

    // One service by id (and by code), identical to its list entry; ids are stable.
    let one = api
        .get(&format!(
            "/api/payment-services/{}",
            first["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(&one.json["data"], first);
    let by_code = api.get("/api/payment-services/payment_card_usd_hpp").await;
    assert_eq!(
        by_code.json["data"]["attributes"]["service"],
        "payment_card_usd_hpp"
    );
    let again = start().await;
    let r2 = Api::new(&again).get("/api/payment-services").await;
    assert_eq!(r2.json["data"][0]["id"], first["id"]);
    assert_eq!(
        api.get("/api/payment-services/comcps_nope").await.status,
        404
    );
    let payouts = api.get("/api/payout-services").await;
    assert_eq!(payouts.json["meta"]["total"], 7);
    let first = &payouts.json["data"][0];
    assert_eq!(first["type"], "payout-services");
    assert!(first["id"].as_str().unwrap().starts_with("comcpos_"));
    let one = api
        .get(&format!(
            "/api/payout-services/{}",
            first["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(&one.json["data"], first);
    assert_eq!(
        keys(&first["relationships"]),
        ["payment-method", "payout-service"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_partial_then_full() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let r = api
        .create_payment(test_payment("refund-me", "success"))
        .await;
    assert_eq!(r.json["data"]["attributes"]["status"], "processed");
    let id = r.json["data"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/payment-invoices/{id}/refund");
    let refund = |amount: Value, reference: Value| json!({"data": {"type": "refund", "attributes": {"amount": amount, "reference_id": reference, "description": "sorry"}}});

    let r = api.post(&path, &refund(json!(10), Value::Null)).await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json["errors"]["reference_id"],
        "This value should not be blank."
    );

    let r = api.post(&path, &refund(json!(30), json!("rf-1"))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let data = &r.json["data"];
    assert_eq!(data["type"], "refunds");
    assert!(data["id"].as_str().unwrap().starts_with("ref_"));
    assert_eq!(
        keys(&data["attributes"]),
        [
            "reference_id",
            "original_id",
            "description",
            "status",
            "amount",
            "fee",
            "currency",
            "created"
        ]
    );
    assert_eq!(data["attributes"]["original_id"], id.as_str());
    assert_eq!(data["attributes"]["amount"].to_string(), "30");
    let inv = api.invoice(&id).await;
    assert_eq!(inv["attributes"]["status"], "partially_refunded");
    assert_eq!(inv["attributes"]["refunded_amount"].to_string(), "30");
    let got = api
        .get(&format!("/api/refunds/{}", data["id"].as_str().unwrap()))
        .await;
    assert_eq!(got.json["data"], r.json["data"]);

    // The same refund reference_id: 409 with the refund.
    let dup = api.post(&path, &refund(json!(5), json!("rf-1"))).await;
    assert_eq!(dup.status, 409);
    assert_eq!(dup.json["data"]["id"], data["id"]);

    let r = api.post(&path, &refund(json!(80), json!("rf-2"))).await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json["errors"]["amount"],
        "The refund amount exceeds the refundable amount (70)."
    );
    let r = api.post(&path, &refund(json!(20.5), json!("rf-3"))).await;
    assert_eq!(r.status, 201);
    // No amount: refused, as the core refuses it (the documented body always has one).
    let r = api
        .post(
            &path,
            &json!({"data": {"type": "refund", "attributes": {"reference_id": "rf-4"}}}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json["errors"]["amount"],
        "This value should not be blank."
    );
    // The rest, by amount.
    let r = api.post(&path, &refund(json!("49.5"), json!("rf-4"))).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json["data"]["attributes"]["amount"].to_string(), "49.5");
    let inv = api.invoice(&id).await;
    assert_eq!(inv["attributes"]["status"], "refunded");
    assert_eq!(inv["attributes"]["refunded_amount"].to_string(), "100");
    let r = api.post(&path, &refund(json!(1), json!("rf-5"))).await;
    assert_eq!(r.status, 422);
    assert!(r.json["errors"]["status"].is_string());

    // Not processed yet, unknown invoice.
    let pending = api.create_payment(card_payment("not-paid")).await;
    let r = api
        .post(
            &format!(
                "/api/payment-invoices/{}/refund",
                pending.json["data"]["id"].as_str().unwrap()
            ),
            &refund(json!(1), json!("rf-6")),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        api.post(
            "/api/payment-invoices/cpi_nope/refund",
            &refund(json!(1), json!("rf-7"))
        )
        .await
        .status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payouts_end_as_the_test_fields_say() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let r = api
        .post(
            "/api/payout-invoices",
            &json!({"data": {"type": "payout-invoice", "attributes": {"reference_id": "po-1", "service": "test_usd", "currency": "USD",
                    "amount": 25.5, "test_mode": true, "description": "Payout", "fields": {"account": "123456789012345"},
                    "metadata": {"order": "A/1"}}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let data = &r.json["data"];
    assert_eq!(data["type"], "payout-invoices");
    let id = data["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cpoi_"));
    let a = &data["attributes"];
    assert_eq!(
        (a["status"].as_str(), a["resolution"].as_str()),
        (Some("processed"), Some("ok"))
    );
    assert_eq!(a["amount"].to_string(), "25.5");
    assert!(a["payouts"][0]["id"].as_str().unwrap().starts_with("po_"));
    assert_eq!(a["fields"]["account"], "123456789012345");
    assert_eq!(data["links"]["self"], format!("/api/payout-invoices/{id}"));
    assert_eq!(api.invoice(&id).await, *data);
    let public = api
        .get_anon(&format!("/public-api/payout-invoices/{id}"))
        .await;
    assert_eq!(public.status, 200);
    assert_eq!(public.json["data"]["status"], "processed");
    assert_eq!(public.json["data"]["resolution"], "OK");

    let r = api
        .create_payout(json!({"reference_id": "po-2", "service": "test_usd", "currency": "USD", "amount": 1, "test_mode": true,
            "fields": {"account": "1", "test_details_payout_status": "process_failed", "test_details_payout_resolution": "INSUFFICIENT_FUNDS"}}))
        .await;
    assert_eq!(r.json["data"]["attributes"]["status"], "process_failed");
    assert_eq!(
        r.json["data"]["attributes"]["resolution"],
        "INSUFFICIENT_FUNDS"
    );
    let r = api
        .create_payout(json!({"reference_id": "po-3", "service": "test_usd", "currency": "USD", "amount": 1, "test_mode": true,
            "fields": {"account": "1", "test_details_payout_status": "process_pending"}}))
        .await;
    assert_eq!(r.json["data"]["attributes"]["status"], "process_pending");
    // The flat body of the reference docs is accepted too.
    let r = api
        .post("/api/payout-invoices", &json!({"reference_id": "po-4", "service": "test_eur", "currency": "EUR", "amount": 3, "test_mode": true, "fields": {"account": "77"}}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["data"]["attributes"]["currency"], "EUR");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balances_move_with_live_operations_only() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let balances = || async { api.get("/api/account/balances").await.json };
    let b = balances().await;
    assert_eq!(keys(&b["data"]), ["type", "id", "attributes", "links"]);
    assert_eq!(
        (b["data"]["type"].as_str(), b["data"]["id"].as_str()),
        (Some("account"), Some(ACCOUNT))
    );
    assert_eq!(b["data"]["links"]["self"], "/api/account/balances");
    let usd = &b["data"]["attributes"]["currency_accounts"]["USD"];
    assert_eq!(
        keys(usd),
        [
            "account_id",
            "active_balance",
            "pending_balance",
            "reserved_balance",
            "overdraft_limit",
            "balance_lower_limit"
        ]
    );
    assert!(usd["account_id"].as_str().unwrap().starts_with("comca_"));
    assert_eq!(
        (
            usd["active_balance"].as_str(),
            usd["balance_lower_limit"].clone()
        ),
        (Some("0.00"), Value::Null)
    );
    assert_eq!(
        b["data"]["attributes"]["currency_accounts"]["BTC"]["active_balance"],
        "0.00000000"
    );

    let usd = |b: &Value, k: &str| {
        b["data"]["attributes"]["currency_accounts"]["USD"][k]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Test operations never move balances.
    api.create_payment(test_payment("t-1", "success")).await;
    assert_eq!(usd(&balances().await, "active_balance"), "0.00");
    // A live processed payment does.
    let mut live = test_payment("l-1", "success");
    live["test_mode"] = json!(false);
    let paid = api.create_payment(live).await;
    assert_eq!(paid.json["data"]["attributes"]["test_mode"], false);
    assert_eq!(usd(&balances().await, "active_balance"), "100.00");
    // A live pending one is pending.
    let mut pending = card_payment("l-2");
    pending["test_mode"] = json!(false);
    pending["amount"] = json!(50);
    api.create_payment(pending).await;
    assert_eq!(usd(&balances().await, "pending_balance"), "50.00");
    // Refunds and payouts take money out.
    let id = paid.json["data"]["id"].as_str().unwrap();
    let r = api.post(&format!("/api/payment-invoices/{id}/refund"), &json!({"data": {"type": "refund", "attributes": {"amount": 40, "reference_id": "lr-1"}}})).await;
    assert_eq!(r.status, 201);
    assert_eq!(usd(&balances().await, "active_balance"), "60.00");
    let r = api.create_payout(json!({"reference_id": "lp-1", "service": "test_usd", "currency": "USD", "amount": 25, "fields": {"account": "9"}})).await;
    assert_eq!(r.json["data"]["attributes"]["status"], "processed");
    assert_eq!(usd(&balances().await, "active_balance"), "35.00");
    // A pending live payout is reserved; more than the balance fails.
    let r = api
        .create_payout(json!({"reference_id": "lp-2", "service": "test_usd", "currency": "USD", "amount": 5, "fields": {"account": "9", "test_details_payout_status": "process_pending"}}))
        .await;
    assert_eq!(r.json["data"]["attributes"]["status"], "process_pending");
    let b = balances().await;
    assert_eq!(
        (usd(&b, "active_balance"), usd(&b, "reserved_balance")),
        ("30.00".to_owned(), "5.00".to_owned())
    );
    let r = api.create_payout(json!({"reference_id": "lp-3", "service": "test_usd", "currency": "USD", "amount": 1000, "fields": {"account": "9"}})).await;
    assert_eq!(r.status, 201);
    assert_eq!(
        (
            r.json["data"]["attributes"]["status"].as_str(),
            r.json["data"]["attributes"]["resolution"].as_str()
        ),
        (Some("process_failed"), Some("insufficient_funds"))
    );
    assert_eq!(usd(&balances().await, "active_balance"), "30.00");
}
