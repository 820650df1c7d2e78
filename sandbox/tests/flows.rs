//! Full flows over HTTP: callbacks (signed, ordered, retried), the hosted pages with the test
//! cards, the ecommpay Payment Page, the admin API and expiry.

mod common;

use std::time::{Duration, Instant};

use common::*;
use polypay_sandbox::{AccountConfig, EcommpayProjectConfig, SandboxConfig};
use serde_json::{json, Value};

fn with_callbacks(url: &str) -> SandboxConfig {
    SandboxConfig {
        callback_url: Some(format!("{url}/default")),
        ..SandboxConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_are_signed_php_style_and_ordered() {
    let rx = Receiver::start().await;
    let sandbox = start_with(with_callbacks(&rx.url)).await;
    let api = Api::new(&sandbox);

    let mut attrs = test_payment("cb-1", "success");
    attrs["callback_url"] = json!(format!("{}/invoice-level", rx.url));
    attrs["metadata"] = json!({"back": "https://shop.example/orders/1"});
    let created = api.create_payment(attrs).await;
    assert_eq!(created.json["data"]["attributes"]["status"], "processed");
    let id = created.json["data"]["id"].as_str().unwrap().to_owned();

    let got = rx.wait_path("/invoice-level", 3).await;
    let statuses: Vec<String> = got.iter().map(Received::status).collect();
    assert_eq!(statuses, ["created", "process_pending", "processed"]);
    for cb in &got {
        polypay::paycore::verify_callback(&cb.body, cb.signature(), SK_TEST)
            .expect("signed with sk_test_");
        assert!(polypay::paycore::verify_callback(&cb.body, cb.signature(), SK_LIVE).is_err());
        assert_eq!(cb.headers["content-type"], "application/json");
        let text = std::str::from_utf8(&cb.body).unwrap();
        assert!(
            text.contains(r#""back":"https:\/\/shop.example\/orders\/1""#),
            "{text}"
        );
        assert!(
            text.contains(&format!(r#""self":"\/api\/payment-invoices\/{id}""#)),
            "{text}"
        );
        let event = polypay::paycore::callback::verify(&cb.body, cb.signature(), SK_TEST).unwrap();
        assert_eq!(event.id(), id);
        let doc = cb.json();
        assert_eq!(keys(&doc), ["data"]);
        assert_eq!(keys(&doc["data"]["attributes"]), PRIVATE_PAYMENT_KEYS);
    }
    // Empty objects are PHP's []: the first callback has no callback_logs yet.
    assert!(std::str::from_utf8(&got[0].body)
        .unwrap()
        .contains(r#""callback_logs":[]"#));
    assert!(std::str::from_utf8(&got[2].body)
        .unwrap()
        .contains(r#""payload":[]"#));
    // The final callback carries the same resource as the API (except the delivery logs).
    let mut current = api.invoice(&id).await;
    let mut last = got[2].json()["data"].clone();
    current["attributes"]["callback_logs"] = Value::Null;
    last["attributes"]["callback_logs"] = Value::Null;
    assert_eq!(current, last);

    // callback_logs record the deliveries.
    eventually(&api, &format!("/__sandbox/invoices/{id}"), |d| {
        d["data"]["resource"]["attributes"]["callback_logs"]
            .as_object()
            .map(|m| m.len())
            == Some(3)
    })
    .await;
    let logs = api.invoice(&id).await["attributes"]["callback_logs"].clone();
    let entries: Vec<&Value> = logs.as_object().unwrap().values().collect();
    assert_eq!(entries.len(), 3);
    for (entry, status) in entries
        .iter()
        .zip(["created", "process_pending", "processed"])
    {
        assert_eq!(
            keys(entry),
            ["status", "processed", "response_code", "transaction_status"]
        );
        assert_eq!(
            (entry["status"].as_str(), entry["response_code"].as_u64()),
            (Some("done"), Some(200))
        );
        assert_eq!(entry["transaction_status"], status);
    }

    // The --callback-url default, and a live operation signed with sk_live_.
    let mut live = test_payment("cb-live", "fail");
    live["test_mode"] = json!(false);
    let r = api.create_payment(live).await;
    assert_eq!(r.json["data"]["attributes"]["status"], "process_failed");
    let got = rx.wait_path("/default", 3).await;
    assert_eq!(
        got.iter().map(Received::status).collect::<Vec<_>>(),
        ["created", "process_pending", "process_failed"]
    );
    for cb in &got {
        polypay::paycore::verify_callback(&cb.body, cb.signature(), SK_LIVE)
            .expect("signed with sk_live_");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_retry_on_the_scaled_linear_schedule_until_200() {
    let rx = Receiver::start().await;
    rx.script(&[500, 503, 404]);
    let sandbox = start_with(SandboxConfig {
        time_scale: 0.002, // +1 min → 120 ms, +2 min → 240 ms, +3 min → 360 ms
        ..with_callbacks(&rx.url)
    })
    .await;
    let api = Api::new(&sandbox);
    let r = api.create_payment(test_payment("retry-1", "success")).await;
    let id = r.json["data"]["id"].as_str().unwrap().to_owned();
    let got = rx.wait(6).await;
    // The first callback is retried until it gets its 200; the later ones wait behind it.
    let statuses: Vec<String> = got.iter().map(Received::status).collect();
    assert_eq!(
        statuses,
        [
            "created",
            "created",
            "created",
            "created",
            "process_pending",
            "processed"
        ]
    );
    let gaps: Vec<u128> = got
        .windows(2)
        .take(3)
        .map(|w| (w[1].at - w[0].at).as_millis())
        .collect();
    for (gap, expected) in gaps.iter().zip([120u128, 240, 360]) {
        assert!(
            *gap >= expected - 10 && *gap < expected + 1500,
            "gaps {gaps:?}"
        );
    }
    // Every attempt carries the same signed body.
    assert_eq!(got[0].body, got[3].body);
    polypay::paycore::verify_callback(&got[1].body, got[1].signature(), SK_TEST).unwrap();

    let log = eventually(
        &api,
        &format!("/__sandbox/callbacks?invoice_id={id}"),
        |l| l["count"] == 6,
    )
    .await;
    let attempts: Vec<(u64, Option<u64>, bool)> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["attempt"].as_u64().unwrap(),
                e["response_code"].as_u64(),
                e["delivered"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        attempts,
        [
            (1, Some(500), false),
            (2, Some(503), false),
            (3, Some(404), false),
            (4, Some(200), true),
            (1, Some(200), true),
            (1, Some(200), true)
        ]
    );
    assert_eq!(log["data"][0]["next_retry_in_ms"], 120);
    let logs = api.invoice(&id).await["attributes"]["callback_logs"].clone();
    let entries: Vec<(String, Option<u64>)> = logs
        .as_object()
        .unwrap()
        .values()
        .map(|e| {
            (
                e["status"].as_str().unwrap().to_owned(),
                e["response_code"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        entries[..4],
        [
            ("failed".into(), Some(500)),
            ("failed".into(), Some(503)),
            ("failed".into(), Some(404)),
            ("done".into(), Some(200))
        ]
    );
    // Keys are unique unix seconds.
    let mut ts: Vec<i64> = logs
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.parse().unwrap())
        .collect();
    let n = ts.len();
    ts.dedup();
    assert_eq!(ts.len(), n);

    // An unreachable receiver: connection errors are failed attempts too.
    let dead = start_with(SandboxConfig {
        time_scale: 0.0005,
        callback_url: Some("http://127.0.0.1:9/nothing".into()),
        ..SandboxConfig::default()
    })
    .await;
    let api2 = Api::new(&dead);
    api2.create_payment(test_payment("dead-1", "pending")).await;
    let log = eventually(&api2, "/__sandbox/callbacks", |l| {
        l["count"].as_u64() >= Some(3)
    })
    .await;
    let first = &log["data"][0];
    assert_eq!(
        (first["delivered"].as_bool(), first["response_code"].clone()),
        (Some(false), Value::Null)
    );
    assert!(first["error"].as_str().unwrap().len() > 3);
    assert!(log["count"].as_u64().unwrap() >= 3, "{log}");
}

async fn open_checkout(api: &Api, query: &str) -> String {
    let r = api.get_anon(&format!("/hpp/?{query}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    r.text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_page_card_flows_end_at_the_return_url() {
    let rx = Receiver::start().await;
    let sandbox = start_with(with_callbacks(&rx.url)).await;
    let api = Api::new(&sandbox);
    let query = format!(
        "public_key={PK_TEST}&amount=10.5&currency=USD&description=%3Cb%3EShoes%3C%2Fb%3E&service=payment_card_usd_hpp\
&return_url=https%3A%2F%2Fshop.example%2Fback&customer%5Breference_id%5D=c-1&customer%5Bemail%5D=a%40b.c&metadata%5Border%5D=42"
    );
    let html = open_checkout(&api, &query).await;
    assert!(html.contains("10.50 USD"), "{html}");
    assert!(
        page_text(&html).contains("<b>Shoes</b>") && !html.contains("<b>Shoes"),
        "{html}"
    );
    assert!(html.contains("name=\"card_number\"") && html.contains(">Pay</button>"));
    assert!(html.contains("Sandbox merchant"));

    let pay = |reference: &str, number: &str| {
        let (action, mut fields) = form_in(&html, "form-payment_card_usd_hpp");
        assert_eq!(action, "/hpp/");
        fields.retain(|(k, _)| k != "reference_id");
        fields.push(("reference_id".into(), reference.into()));
        fields.extend(card(number));
        (action, fields)
    };

    // A card without 3-D Secure: paid, back to the shop with the invoice id.
    let (action, fields) = pay("hpp-1", "5519283812030000");
    let r = api.post_form(&action, &fields).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let back = location(&r);
    assert!(
        back.starts_with("https://shop.example/back?invoice_id=cpi_"),
        "{back}"
    );
    let id = back.rsplit('=').next().unwrap();
    let inv = api.invoice(id).await;
    let a = &inv["attributes"];
    assert_eq!(
        (a["status"].as_str(), a["resolution"].as_str()),
        (Some("processed"), Some("ok"))
    );
    assert_eq!(a["amount"].to_string(), "10.5");
    assert_eq!(a["payload"]["payment_card"]["mask"], "551928******0000");
    assert_eq!(a["payload"]["payment_card"]["holder"], "JANE DOE");
    assert_eq!(a["metadata"], json!({"order": "42"}));
    assert_eq!(a["source"], "platform_public_api");
    assert!(inv["relationships"]["customer"].is_object());
    // The HPP cannot choose the callback URL: the default one got them.
    let got = rx.wait_where(3, |r| r.json()["data"]["id"] == id).await;
    assert_eq!(got.last().unwrap().status(), "processed");

    // A 3-D Secure card: confirmation page first.
    let (action, fields) = pay("hpp-2", "5123817234060000");
    let r = api.post_form(&action, &fields).await;
    assert_eq!(r.status, 303);
    let three_ds = location(&r);
    assert!(three_ds.starts_with("/hpp/3ds/cpi_"), "{three_ds}");
    let page = api.get_anon(&three_ds).await;
    assert!(
        page.text.contains(">Confirm</button>") && page.text.contains("512381******0000"),
        "{}",
        page.text
    );
    let id = three_ds.trim_start_matches("/hpp/3ds/").to_owned();
    assert_eq!(
        api.invoice(&id).await["attributes"]["status"],
        "process_pending"
    );
    let (confirm_action, _) = form_in(&page.text, "three-ds-form");
    let r = api
        .post_form(&confirm_action, &[("action".into(), "confirm".into())])
        .await;
    assert_eq!(
        location(&r),
        format!("https://shop.example/back?invoice_id={id}")
    );
    assert_eq!(api.invoice(&id).await["attributes"]["status"], "processed");

    // Failing cards, with and without 3-D Secure; unknown cards fail as invalid_card.
    for (reference, number, three_ds, resolution) in [
        ("hpp-3", "4302912837020000", false, "general_decline"),
        ("hpp-4", "4412397212080000", true, "general_decline"),
        ("hpp-5", "4111111111111111", false, "invalid_card"),
    ] {
        let (action, fields) = pay(reference, number);
        let mut r = api.post_form(&action, &fields).await;
        if three_ds {
            let step = location(&r);
            assert!(step.starts_with("/hpp/3ds/"));
            r = api
                .post_form(&step, &[("action".into(), "confirm".into())])
                .await;
        }
        let back = location(&r);
        let id = back.rsplit('=').next().unwrap();
        let a = api.invoice(id).await["attributes"].clone();
        assert_eq!(
            (a["status"].as_str(), a["resolution"].as_str()),
            (Some("process_failed"), Some(resolution)),
            "{number}"
        );
    }

    // A form with a bad card number stays on the page with a message (nothing fails).
    let (action, mut fields) = pay("hpp-6", "12");
    fields.retain(|(k, _)| k != "cvv");
    let r = api.post_form(&action, &fields).await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains("Enter the card number"), "{}", r.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_created_by_api_are_paid_on_their_action_page() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let mut attrs = card_payment("action-1");
    attrs["return_urls"] = json!({"success": "https://shop.example/ok", "fail": "https://shop.example/fail", "pending": "https://shop.example/wait"});
    let r = api.create_payment(attrs).await;
    let action = r.json["data"]["attributes"]["flow_data"]["action"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = r.json["data"]["id"].as_str().unwrap().to_owned();
    let path = action.trim_start_matches(sandbox.base_url()).to_owned();
    let page = api.get_anon(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("123.45 USD") && page.text.contains("Invoice Example"));
    // ?cpi= opens the same step.
    let via_cpi = api.get_anon(&format!("/hpp/?cpi={id}")).await;
    assert_eq!(via_cpi.text, page.text);
    let (form_action, _) = form_in(&page.text, "card-form");
    let r = api.post_form(&form_action, &card("4302912837020000")).await;
    assert_eq!(
        location(&r),
        format!("https://shop.example/fail?invoice_id={id}")
    );
    // Paying again is refused politely: back to the result.
    let r = api.post_form(&form_action, &card("5519283812030000")).await;
    assert_eq!(
        location(&r),
        format!("https://shop.example/fail?invoice_id={id}")
    );
    assert_eq!(
        api.invoice(&id).await["attributes"]["status"],
        "process_failed"
    );

    // Without a return URL the customer lands on the result page.
    let r = api.create_payment(card_payment("action-2")).await;
    let id = r.json["data"]["id"].as_str().unwrap().to_owned();
    let r = api
        .post_form(&format!("/hpp/pay/{id}"), &card("5519283812030000"))
        .await;
    let result = location(&r);
    assert_eq!(result, format!("/hpp/result/{id}"));
    let page = api.get_anon(&result).await;
    assert!(
        page.text
            .contains("id=\"result\" class=\"status-processed\">Paid<"),
        "{}",
        page.text
    );

    // Test-flow invoices created pending are finished on their page.
    let r = api
        .create_payment(test_payment("action-3", "pending"))
        .await;
    let id = r.json["data"]["id"].as_str().unwrap().to_owned();
    let page = api.get_anon(&format!("/hpp/pay/{id}")).await;
    assert!(page.text.contains("name=\"status\""));
    let r = api
        .post_form(
            &format!("/hpp/pay/{id}"),
            &[("status".into(), "success".into())],
        )
        .await;
    assert_eq!(location(&r), format!("/hpp/result/{id}"));
    assert_eq!(api.invoice(&id).await["attributes"]["status"], "processed");
    assert_eq!(api.get_anon("/hpp/pay/cpi_missing").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_form_and_test_service_on_the_hosted_page() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let form = |extra: &[(&str, &str)]| {
        let mut f: Vec<(String, String)> = vec![
            ("public_key".into(), PK_TEST.into()),
            ("currency".into(), "USD".into()),
            ("amount".into(), "100".into()),
            ("service".into(), "payment_card_usd_hpp".into()),
        ];
        f.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        f
    };
    let r = api
        .post_form(
            "/public-api/payment-invoices/process",
            &form(&[
                ("customer[reference_id]", "test12345"),
                ("customer[name]", "Test Customer"),
                ("customer[address][full_address]", "Test Address"),
                ("reference_id", "proc-1"),
            ]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let target = location(&r);
    assert!(
        target.starts_with(&format!("{}/hpp/pay/cpi_", sandbox.base_url())),
        "{target}"
    );
    let id = target.rsplit('/').next().unwrap();
    let inv = api.invoice(id).await;
    assert_eq!(inv["attributes"]["reference_id"], "proc-1");
    assert_eq!(inv["attributes"]["status"], "process_pending");
    let r = api
        .post_form(
            "/public-api/payment-invoices/process",
            &form(&[("customer[name]", "No Reference")]),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains("customer.reference_id"), "{}", r.text);
    let r = api
        .post_form(
            "/public-api/payment-invoices/process",
            &form(&[("reference_id", "proc-1")]),
        )
        .await;
    assert_eq!(r.status, 409);

    // The checkout without `service` offers every method; the test one has the status field.
    let html = open_checkout(
        &api,
        &format!(
            "public_key={PK_TEST}&amount=5&currency=EUR&return_url=https%3A%2F%2Fshop.example%2Fr"
        ),
    )
    .await;
    assert!(
        html.contains("id=\"form-payment_card_eur_hpp\"")
            && html.contains("id=\"form-test_eur_test\"")
    );
    assert!(html.contains("name=\"service_fields[status]\""));
    let (action, mut fields) = form_in(&html, "form-test_eur_test");
    fields.push(("service_fields[status]".into(), "fail".into()));
    let r = api.post_form(&action, &fields).await;
    let back = location(&r);
    let id = back.rsplit('=').next().unwrap();
    assert_eq!(
        api.invoice(id).await["attributes"]["status"],
        "process_failed"
    );

    // Unknown key, bad amount, forbidden account.
    assert_eq!(
        api.get_anon("/hpp/?public_key=pk_test_nope&amount=1&currency=USD")
            .await
            .status,
        401
    );
    let r = api
        .get_anon(&format!(
            "/hpp/?public_key={PK_TEST}&amount=-1&currency=USD"
        ))
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains("amount"));
    let locked = start_with(SandboxConfig {
        accounts: vec![AccountConfig {
            forbid_public_creation: true,
            ..AccountConfig::default()
        }],
        ..SandboxConfig::default()
    })
    .await;
    let api2 = Api::new(&locked);
    assert_eq!(
        api2.get_anon(&format!("/hpp/?public_key={PK_TEST}&amount=1&currency=USD"))
            .await
            .status,
        422
    );
    assert_eq!(
        api2.post_form("/public-api/payment-invoices/process", &form(&[]))
            .await
            .status,
        422
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecommpay_page_checks_signatures_and_sends_signed_callbacks() {
    let rx = Receiver::start().await;
    let secret = "ecommpay_sandbox_secret";
    let sandbox = start_with(SandboxConfig {
        ecommpay: vec![EcommpayProjectConfig {
            project_id: 112,
            secret_key: secret.into(),
            callback_url: Some(format!("{}/ecommpay", rx.url)),
        }],
        ..SandboxConfig::default()
    })
    .await;
    let api = Api::new(&sandbox);
    let page_base = sandbox.config_json()["ecommpay"]["payment_page_base_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let gate = polypay::ecommpay::Gate::new(112, secret, Some(&page_base)).unwrap();
    let payment = gate
        .payment()
        .payment_id("ORDER-1")
        .payment_amount(3550)
        .payment_currency("USD")
        .payment_description("Guyliner purchase & more")
        .customer_id("cust_1")
        .merchant_success_url("https://shop.example/ok")
        .merchant_fail_url("https://shop.example/fail");
    let url = gate.payment_page_url(&payment).unwrap();
    let path = url.trim_start_matches(sandbox.base_url()).to_owned();
    assert!(
        path.starts_with("/ecommpay/payment?project_id=112"),
        "{path}"
    );

    let page = api.get_anon(&path).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text.contains("35.50 USD")
            && page_text(&page.text).contains("Guyliner purchase & more"),
        "{}",
        page.text
    );

    // A tampered amount: 400, naming the string the sandbox signed.
    let tampered = path.replace("payment_amount=3550", "payment_amount=1");
    let bad = api.get_anon(&tampered).await;
    assert_eq!(bad.status, 400);
    assert!(bad.text.contains("Signature mismatch"));
    assert!(page_text(&bad.text).contains("payment_amount:1;payment_currency:USD;payment_description:Guyliner purchase & more;payment_id:ORDER-1;project_id:112"), "{}", bad.text);
    let unsigned = path.split("&signature=").next().unwrap();
    assert_eq!(api.get_anon(unsigned).await.status, 400);

    // Pay with the 3-D Secure success card.
    let (action, _) = form_in(&page.text, "card-form");
    let r = api.post_form(&action, &card("5123817234060000")).await;
    let step = location(&r);
    assert!(step.starts_with("/ecommpay/3ds/"), "{step}");
    let r = api
        .post_form(&step, &[("action".into(), "confirm".into())])
        .await;
    assert_eq!(location(&r), "https://shop.example/ok");
    let got = rx.wait(1).await;
    let cb =
        polypay::ecommpay::verify_callback(&got[0].body, secret).expect("valid ecommpay signature");
    assert_eq!(cb.payment_id().as_deref(), Some("ORDER-1"));
    assert!(cb.is_success());
    let body = got[0].json();
    assert_eq!(
        keys(&body),
        [
            "project_id",
            "payment",
            "account",
            "customer",
            "operation",
            "signature"
        ]
    );
    assert_eq!(
        body["payment"]["sum"],
        json!({"amount": 3550, "currency": "USD"})
    );
    assert_eq!(
        (
            body["payment"]["type"].as_str(),
            body["payment"]["method"].as_str()
        ),
        (Some("purchase"), Some("card"))
    );
    assert_eq!(body["account"]["number"], "512381******0000");
    assert_eq!(body["customer"]["id"], "cust_1");
    assert_eq!(body["operation"]["type"], "sale");
    assert_eq!(body["operation"]["code"], "0");
    assert!(polypay::ecommpay::verify_callback(&got[0].body, "wrong").is_err());

    // A declined card: decline callback, fail URL.
    let page = api.get_anon(&path).await;
    let (action, _) = form_in(&page.text, "card-form");
    let r = api.post_form(&action, &card("4302912837020000")).await;
    assert_eq!(location(&r), "https://shop.example/fail");
    let got = rx.wait(2).await;
    let cb = polypay::ecommpay::verify_callback(&got[1].body, secret).unwrap();
    assert!(!cb.is_success());
    assert_eq!(got[1].json()["payment"]["status"], "decline");
    let payments = api.get_anon("/__sandbox/ecommpay/payments").await.json;
    assert_eq!(payments["count"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_lists_forces_resends_and_resets() {
    let rx = Receiver::start().await;
    let sandbox = start_with(with_callbacks(&rx.url)).await;
    let api = Api::new(&sandbox);
    let config = api.get_anon("/__sandbox/config").await.json;
    assert_eq!(config["base_url"], sandbox.base_url());
    assert_eq!(config["paycore"]["account_id"], ACCOUNT);
    assert_eq!(
        keys(&sandbox.config_json()),
        ["base_url", "paycore", "ecommpay"]
    );
    assert_eq!(
        keys(&sandbox.config_json()["paycore"]),
        [
            "account_id",
            "api_key",
            "public_key_test",
            "secret_key_test",
            "public_key_live",
            "secret_key_live"
        ]
    );
    assert_eq!(
        sandbox.config_json()["ecommpay"],
        json!({"project_id": 112, "secret_key": "ecommpay_sandbox_secret", "payment_page_base_url": format!("{}/ecommpay", sandbox.base_url()), "gate_base_url": sandbox.base_url()})
    );
    let accounts = api.get_anon("/__sandbox/accounts").await.json;
    assert_eq!(accounts["data"][0]["account_id"], ACCOUNT);
    assert_eq!(
        accounts["data"][0]["services"].as_array().unwrap().len(),
        21
    );

    let r = api.create_payment(card_payment("adm-1")).await;
    let id = r.json["data"]["id"].as_str().unwrap().to_owned();
    api.create_payout(json!({"reference_id": "adm-1", "service": "test_usd", "currency": "USD", "amount": 1, "test_mode": true, "fields": {"account": "1"}})).await;
    rx.wait(5).await;

    let list = api
        .get_anon("/__sandbox/invoices?reference_id=adm-1")
        .await
        .json;
    assert_eq!(list["count"], 2);
    assert_eq!(list["data"][0]["kind"], "payout");
    let list = api
        .get_anon("/__sandbox/invoices?reference_id=adm-1&type=payment")
        .await
        .json;
    assert_eq!(list["data"][0]["resource"]["id"], id.as_str());
    let one = api
        .get_anon(&format!("/__sandbox/invoices/{id}"))
        .await
        .json;
    assert_eq!(
        one["data"]["callback_target"],
        format!("{}/default", rx.url)
    );

    // Force processed: the callback follows.
    let r = api
        .admin_post(
            &format!("/__sandbox/invoices/{id}/status"),
            &json!({"status": "processed"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["data"]["attributes"]["status"], "processed");
    let got = rx.wait(6).await;
    assert_eq!(got[5].status(), "processed");
    polypay::paycore::verify_callback(&got[5].body, got[5].signature(), SK_TEST).unwrap();
    // The library helper does the same.
    let doc = polypay_sandbox::trigger(sandbox.base_url(), &id, "refunded")
        .await
        .unwrap();
    assert_eq!(doc["data"]["attributes"]["status"], "refunded");
    assert_eq!(
        doc["data"]["attributes"]["refunded_amount"].to_string(),
        "123.45"
    );
    assert!(polypay_sandbox::trigger(sandbox.base_url(), &id, "bogus")
        .await
        .unwrap_err()
        .contains("not a payment invoice status"));
    assert!(
        polypay_sandbox::trigger(sandbox.base_url(), "cpi_nope", "processed")
            .await
            .is_err()
    );
    rx.wait(7).await;

    // Resend the current state.
    let r = api
        .admin_post(&format!("/__sandbox/invoices/{id}/callbacks"), &json!({}))
        .await;
    assert_eq!(r.status, 202);
    let got = rx.wait(8).await;
    assert_eq!(got[7].status(), "refunded");
    assert_eq!(
        api.admin_post("/__sandbox/invoices/cpi_nope/callbacks", &json!({}))
            .await
            .status,
        404
    );

    let log = eventually(&api, "/__sandbox/callbacks", |l| l["count"] == 8).await;
    assert_eq!(log["count"], 8);
    assert!(log["data"][0]["signature"].is_string() && log["data"][0]["body"].is_string());

    let stats = api.get_anon("/__sandbox/stats").await.json;
    assert_eq!(stats["requests"]["POST /api/payment-invoices"], 1);
    assert_eq!(stats["requests"]["POST /api/payout-invoices"], 1);
    assert_eq!(stats["callbacks"]["delivered"], 8);
    assert_eq!(stats["invoices"]["payment_invoices"], 1);

    // Replayed on demand: every callback sent so far, twice each, newest first, at once; the
    // same bytes and signatures as the first time.
    let first: Vec<(String, Vec<u8>)> = rx
        .received()
        .iter()
        .filter(|c| c.json()["data"]["id"] == id.as_str())
        .map(|c| (c.status(), c.body.to_vec()))
        .collect();
    let replay = json!({"replay": true, "copies": 2, "order": "reverse", "concurrent": true});
    let r = api
        .admin_post(&format!("/__sandbox/invoices/{id}/callbacks"), &replay)
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    // The invoice's distinct callbacks (the resend of its current state repeats one).
    let distinct: std::collections::BTreeSet<&Vec<u8>> = first.iter().map(|(_, b)| b).collect();
    assert_eq!(r.json["queued"], 2 * distinct.len());
    let got = rx.wait(8 + 2 * distinct.len()).await;
    for again in &got[8..] {
        polypay::paycore::verify_callback(&again.body, again.signature(), SK_TEST).unwrap();
        assert!(distinct.contains(&again.body.to_vec()));
    }
    for bad in [
        json!({"replay": true, "copies": 0}),
        json!({"replay": true, "order": "sideways"}),
        json!({"replay": false}),
    ] {
        let r = api
            .admin_post(&format!("/__sandbox/invoices/{id}/callbacks"), &bad)
            .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
    }
    let none = api
        .admin_post(
            "/__sandbox/invoices/cpi_nope/callbacks",
            &json!({"replay": true}),
        )
        .await;
    assert_eq!(none.status, 404);

    let r = api.admin_post("/__sandbox/reset", &json!({})).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        api.get(&format!("/api/payment-invoices/{id}")).await.status,
        404
    );
    let stats = api.get_anon("/__sandbox/stats").await.json;
    assert_eq!(stats["invoices"]["payment_invoices"], 0);
    assert_eq!(stats["requests_total"], 2);
    // The reference_id is free again.
    assert_eq!(api.create_payment(card_payment("adm-1")).await.status, 201);
    assert_eq!(api.get_anon("/__sandbox/nothing").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpaid_invoices_expire_with_a_callback() {
    let rx = Receiver::start().await;
    let sandbox = start_with(SandboxConfig {
        invoice_lifetime_secs: 1,
        ..with_callbacks(&rx.url)
    })
    .await;
    let api = Api::new(&sandbox);
    let r = api.create_payment(card_payment("exp-1")).await;
    let id = r.json["data"]["id"].as_str().unwrap().to_owned();
    let paid = api.create_payment(test_payment("exp-2", "success")).await;
    let started = Instant::now();
    let got = rx.wait_where(3, |r| r.json()["data"]["id"] == id).await;
    assert_eq!(got[2].status(), "expired");
    assert!(started.elapsed() < Duration::from_secs(6));
    let a = api.invoice(&id).await["attributes"].clone();
    assert_eq!(
        (a["status"].as_str(), a["resolution"].as_str()),
        (Some("expired"), Some("expired"))
    );
    // A processed invoice does not expire; an expired one cannot be paid.
    assert_eq!(
        api.invoice(paid.json["data"]["id"].as_str().unwrap()).await["attributes"]["status"],
        "processed"
    );
    let r = api
        .post_form(&format!("/hpp/pay/{id}"), &card("5519283812030000"))
        .await;
    assert_eq!(location(&r), format!("/hpp/result/{id}"));
    assert!(api.get_anon(&location(&r)).await.text.contains(">Expired<"));
    // The admin endpoint runs the same sweep on demand (nothing is due now).
    let r = api.admin_post("/__sandbox/expire", &json!({})).await;
    assert_eq!(r.json, json!({"expired": 0}));
}
