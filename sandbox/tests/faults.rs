//! Fault injection over real connections, and seeded determinism.

mod common;

use std::time::{Duration, Instant};

use common::*;
use polypay_sandbox::{SandboxArgs, SandboxConfig};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn faults(rules: Value) -> SandboxConfig {
    SandboxConfig {
        faults: rules.as_array().unwrap().clone(),
        ..SandboxConfig::default()
    }
}

async fn count(api: &Api, reference: &str) -> usize {
    let r = api
        .get(&format!(
            "/api/payment-invoices?filter[reference_id]={reference}"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["data"].as_array().unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_faults_answer_without_committing() {
    let sandbox = start_with(faults(json!([
        {"id": "second-create", "route": "POST /api/payment-invoices", "nth": 2, "effect": {"status": 503}},
        {"id": "busy", "route": "GET /api/payment-services", "every": 2, "times": 1, "effect": {"status": 429, "retry_after": 2}},
        {"id": "boom", "route": "GET /api/account", "effect": {"status": 500}},
    ])))
    .await;
    let api = Api::new(&sandbox);
    assert_eq!(api.create_payment(card_payment("f-1")).await.status, 201);
    let r = api.create_payment(card_payment("f-2")).await;
    assert_eq!(r.status, 503);
    assert_eq!(
        r.json,
        json!({"errors": [{"status": "Service Unavailable", "code": "503"}]})
    );
    assert_eq!(r.header("x-sandbox-fault"), Some("second-create"));
    assert!(r.header("x-request-id").is_some());
    assert_eq!(count(&api, "f-2").await, 0, "a 503 commits nothing");
    // The client's retry succeeds; GETs were never affected.
    assert_eq!(api.create_payment(card_payment("f-2")).await.status, 201);
    assert_eq!(count(&api, "f-2").await, 1);

    assert_eq!(api.get("/api/payment-services").await.status, 200);
    let r = api.get("/api/payment-services").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("2"));
    assert_eq!(r.json["errors"][0]["code"], "429");
    // times: 1, so the 4th request passes.
    assert_eq!(api.get("/api/payment-services").await.status, 200);
    assert_eq!(api.get("/api/payment-services").await.status, 200);

    let r = api.get("/api/account/balances").await;
    assert_eq!(r.status, 500);
    assert_eq!(
        r.json,
        json!({"errors": [{"status": "internal_error", "code": "500", "title": "internal_error", "detail": "Internal server error."}]})
    );
    let stats = api.get_anon("/__sandbox/stats").await.json;
    assert_eq!(stats["faults_injected"], 3);
    let listed = api.get_anon("/__sandbox/faults").await.json;
    assert_eq!(listed["data"][0]["id"], "second-create");
    assert_eq!(listed["data"][0]["fired"], 1);
    assert_eq!(listed["data"][0]["matched"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_and_malformed_json() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let r = api
        .admin_post(
            "/__sandbox/faults",
            &json!([
                {"id": "slow", "route": "GET /api/payment-invoices", "nth": 1, "effect": {"delay_ms": 1500}},
                {"id": "broken", "route": "POST /api/payment-invoices", "nth": 1, "effect": "malformed_json"},
            ]),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let started = Instant::now();
    let r = api.get("/api/payment-invoices").await;
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert_eq!(r.status, 200);
    let started = Instant::now();
    api.get("/api/payment-invoices").await;
    assert!(started.elapsed() < Duration::from_millis(1000));

    let r = api.create_payment(card_payment("mj-1")).await;
    assert_eq!(r.status, 200);
    assert!(
        r.text
            .starts_with("{\"data\":{\"type\":\"payment-invoices\""),
        "{}",
        r.text
    );
    assert!(
        serde_json::from_str::<Value>(&r.text).is_err(),
        "must not parse: {}",
        r.text
    );
    // The create was committed: reconciliation finds it.
    assert_eq!(count(&api, "mj-1").await, 1);
    let again = api.create_payment(card_payment("mj-1")).await;
    assert_eq!(again.status, 409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_is_a_connection_error_not_a_status() {
    let sandbox = start_with(faults(json!([
        {"id": "drop", "route": "POST /api/payment-invoices", "nth": 1, "effect": "reset"},
        {"id": "raw", "route": "GET /raw-reset", "effect": "reset"},
    ])))
    .await;
    let api = Api::new(&sandbox);
    let body = json!({"data": {"type": "payment-invoices", "attributes": card_payment("rs-1")}});
    let err = api
        .http
        .post(api.url("/api/payment-invoices"))
        .basic_auth(ACCOUNT, Some(API_KEY))
        .json(&body)
        .send()
        .await
        .expect_err("the connection is dropped");
    assert!(err.status().is_none(), "{err:?}");
    assert!(!err.is_timeout(), "{err:?}");
    assert_eq!(
        count(&api, "rs-1").await,
        0,
        "reset happens before the handler: nothing committed"
    );
    assert_eq!(api.create_payment(card_payment("rs-1")).await.status, 201);

    // On the wire: the request is read, then the socket closes with no byte written.
    let mut socket = tokio::net::TcpStream::connect(sandbox.addr())
        .await
        .unwrap();
    socket
        .write_all(b"GET /raw-reset HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut buf))
        .await
        .expect("closed promptly");
    assert!(
        matches!(n, Ok(0) | Err(_)),
        "{n:?} {:?}",
        String::from_utf8_lossy(&buf)
    );
    assert!(buf.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_response_lost_commits_exactly_one_invoice() {
    let sandbox = start_with(faults(json!([
        {"id": "lost", "route": "POST /api/payment-invoices", "nth": 1, "effect": "created_response_lost"},
    ])))
    .await;
    let api = Api::new(&sandbox);
    let body = json!({"data": {"type": "payment-invoices", "attributes": test_payment("lost-1", "success")}});
    let err = api
        .http
        .post(api.url("/api/payment-invoices"))
        .basic_auth(ACCOUNT, Some(API_KEY))
        .json(&body)
        .send()
        .await
        .expect_err("no response");
    assert!(err.status().is_none(), "{err:?}");
    // Reconcile: the invoice exists, processed, once; a retried create gets 409 with it.
    let list = api
        .get("/api/payment-invoices?filter[reference_id]=lost-1")
        .await;
    assert_eq!(list.json["data"].as_array().unwrap().len(), 1);
    assert_eq!(list.json["data"][0]["attributes"]["status"], "processed");
    let retry = api.create_payment(test_payment("lost-1", "success")).await;
    assert_eq!(retry.status, 409);
    assert_eq!(retry.json["data"]["id"], list.json["data"][0]["id"]);
    assert_eq!(count(&api, "lost-1").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_fault_api_and_wildcards() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let r = api
        .admin_post(
            "/__sandbox/faults",
            &json!({"route": "*", "effect": {"status": 502}}),
        )
        .await;
    assert_eq!(r.status, 201);
    let id = r.json["data"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(api.get("/api/payment-invoices").await.status, 502);
    assert_eq!(api.get_anon("/hpp/?cpi=x").await.status, 502);
    // The admin API is never faulted.
    assert_eq!(
        api.get_anon("/__sandbox/faults").await.json["data"][0]["fired"],
        2
    );
    assert_eq!(
        api.delete(&format!("/__sandbox/faults/{id}")).await.status,
        200
    );
    assert_eq!(api.get("/api/payment-invoices").await.status, 200);
    assert_eq!(api.delete("/__sandbox/faults/nope").await.status, 404);

    let bad = api
        .admin_post(
            "/__sandbox/faults",
            &json!({"route": "POST /x", "nth": 0, "effect": "reset"}),
        )
        .await;
    assert_eq!(bad.status, 422);
    let bad = api
        .admin_post("/__sandbox/faults", &json!({"effect": "explode"}))
        .await;
    assert_eq!(bad.status, 422);
    api.admin_post("/__sandbox/faults", &json!([{"route": "GET /api/", "effect": {"status": 504}}, {"route": "/public-api", "effect": {"status": 500}}])).await;
    assert_eq!(api.get("/api/payment-services").await.status, 504);
    assert_eq!(
        api.post_anon("/public-api/payment-prerequest", &json!({}))
            .await
            .status,
        500
    );
    assert_eq!(api.delete("/__sandbox/faults").await.status, 200);
    assert_eq!(api.get("/api/payment-services").await.status, 200);

    // Reset restores the configured rules (none here) and zeroes the counters.
    api.admin_post("/__sandbox/faults", &json!({"effect": {"status": 503}}))
        .await;
    api.admin_post("/__sandbox/reset", &json!({})).await;
    assert_eq!(
        api.get_anon("/__sandbox/faults").await.json["data"],
        json!([])
    );
    assert_eq!(
        api.get_anon("/__sandbox/stats").await.json["faults_injected"],
        0
    );
}

async fn pattern(seed: u64) -> (Vec<u16>, Vec<String>) {
    let sandbox = start_with(SandboxConfig {
        seed: Some(seed),
        faults: vec![json!({"route": "GET /api/payment-services", "probability": 0.5, "effect": {"status": 503}})],
        ..SandboxConfig::default()
    })
    .await;
    let api = Api::new(&sandbox);
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(api.get("/api/payment-services").await.status);
    }
    let mut ids = Vec::new();
    for i in 0..3 {
        let r = api.create_payment(card_payment(&format!("seed-{i}"))).await;
        ids.push(r.json["data"]["id"].as_str().unwrap().to_owned());
    }
    // Reset replays the same streams.
    api.admin_post("/__sandbox/reset", &json!({})).await;
    let r = api.create_payment(card_payment("seed-0")).await;
    assert_eq!(r.json["data"]["id"], ids[0].as_str());
    (statuses, ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_runs_replay_faults_and_ids() {
    let (a_status, a_ids) = pattern(7).await;
    let (b_status, b_ids) = pattern(7).await;
    let (c_status, c_ids) = pattern(8).await;
    assert_eq!(a_status, b_status);
    assert_eq!(a_ids, b_ids);
    assert_ne!(a_status, c_status);
    assert_ne!(a_ids, c_ids);
    let fired = a_status.iter().filter(|s| **s == 503).count();
    assert!((8..=32).contains(&fired), "{fired} of 40 at p=0.5");
    // Without a seed, ids differ between runs.
    let x = start().await;
    let y = start().await;
    let rx = Api::new(&x).create_payment(card_payment("s")).await;
    let ry = Api::new(&y).create_payment(card_payment("s")).await;
    assert_ne!(rx.json["data"]["id"], ry.json["data"]["id"]);
}

#[test]
fn flags_and_file_configure_faults() {
    let dir = std::env::temp_dir().join(format!("polypay-sandbox-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sandbox.toml");
    std::fs::write(
        &file,
        "[sandbox]\nseed = 3\ntime_scale = 0.01\n\n[[faults]]\nroute = \"POST /api/payout-invoices\"\nevery = 3\neffect = \"reset\"\n",
    )
    .unwrap();
    let args = SandboxArgs {
        config: Some(file.clone()),
        port: Some(0),
        callback_url: Some("http://127.0.0.1:9999/cb".into()),
        faults: vec![r#"{"route":"GET /api/","probability":0.1,"effect":{"delay_ms":5}}"#.into()],
        ..SandboxArgs::default()
    };
    let config = args.to_config().unwrap();
    assert_eq!(
        (config.port, config.seed, config.time_scale),
        (0, Some(3), 0.01)
    );
    assert_eq!(config.faults.len(), 2);
    assert_eq!(
        config.callback_url.as_deref(),
        Some("http://127.0.0.1:9999/cb")
    );
    let default_port = SandboxArgs {
        config: Some(file.clone()),
        ..SandboxArgs::default()
    }
    .to_config()
    .unwrap();
    assert_eq!(default_port.port, polypay_sandbox::DEFAULT_PORT);
    let bad = SandboxArgs {
        faults: vec!["{\"effect\":\"nope\"}".into()],
        ..SandboxArgs::default()
    };
    assert!(bad.to_config().is_err());
    let example = SandboxArgs {
        config: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/sandbox.example.toml").into()),
        ..SandboxArgs::default()
    };
    assert_eq!(example.to_config().unwrap().accounts.len(), 2);
    std::fs::remove_dir_all(dir).ok();
}

async fn requests(api: &Api, route: &str) -> u64 {
    api.get_anon("/__sandbox/stats").await.json["requests"][route]
        .as_u64()
        .unwrap_or(0)
}

/// POSTs a private create and expects a connection error (no status) instead of an answer.
async fn create_expecting_drop(api: &Api, attributes: Value) -> reqwest::Error {
    let body = json!({"data": {"type": "payment-invoices", "attributes": attributes}});
    let err = api
        .http
        .post(api.url("/api/payment-invoices"))
        .basic_auth(ACCOUNT, Some(API_KEY))
        .json(&body)
        .send()
        .await
        .expect_err("the connection is dropped");
    assert!(err.status().is_none(), "{err:?}");
    assert!(!err.is_timeout(), "{err:?}");
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_then_error_status() {
    let sandbox = start_with(faults(json!([
        {"id": "c503", "route": "POST /api/payment-invoices", "nth": 1, "effect": {"status": 503, "commit": true}},
        {"id": "c409", "route": "POST /api/payment-invoices", "nth": 2, "effect": {"status": 409, "commit": true}},
        {"id": "c429", "route": "POST /api/payout-invoices", "nth": 1, "effect": {"status": 429, "commit": true, "retry_after": 18446744073709551615u64}},
    ])))
    .await;
    let api = Api::new(&sandbox);

    let r = api.create_payment(test_payment("c-503", "success")).await;
    assert_eq!(r.status, 503);
    assert_eq!(
        r.json,
        json!({"errors": [{"status": "Service Unavailable", "code": "503"}]})
    );
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.header("x-sandbox-fault"), Some("c503"));
    // Committed despite the 503: the lookup finds it, processed, and a retry gets 409.
    let list = api
        .get("/api/payment-invoices?filter[reference_id]=c-503")
        .await;
    assert_eq!(
        list.json["data"].as_array().unwrap().len(),
        1,
        "{}",
        list.text
    );
    assert_eq!(list.json["data"][0]["attributes"]["status"], "processed");

    // 409 after commit, without `data`: only a lookup tells the client what exists.
    let r = api.create_payment(test_payment("c-409", "success")).await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.json,
        json!({"errors": [{"status": "Conflict", "code": "409", "title": "reference_id already exists"}]})
    );
    assert!(r.json.get("data").is_none(), "{}", r.text);
    assert_eq!(count(&api, "c-409").await, 1);

    let r = api
        .create_payout(json!({"reference_id": "c-429", "service": "test_usd", "currency": "USD", "amount": 1, "test_mode": true, "fields": {"account": "1"}}))
        .await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("18446744073709551615"));
    assert_eq!(r.json["errors"][0]["code"], "429");
    let payouts = api
        .get("/api/payout-invoices?filter[reference_id]=c-429")
        .await;
    assert_eq!(payouts.json["data"].as_array().unwrap().len(), 1);

    // The rules are spent: the next create is ordinary.
    assert_eq!(
        api.create_payment(test_payment("c-ok", "success"))
            .await
            .status,
        201
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_commit_drops_now_and_commits_later() {
    let sandbox = start_with(faults(json!([
        {"id": "late", "route": "POST /api/payment-invoices", "nth": 1, "effect": {"type": "late_commit", "commit_after_ms": 1500}},
    ])))
    .await;
    let api = Api::new(&sandbox);
    let started = Instant::now();
    create_expecting_drop(&api, test_payment("late-1", "success")).await;
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "dropped at once, not after the commit: {:?}",
        started.elapsed()
    );
    // The client's lookup finds nothing yet.
    assert_eq!(count(&api, "late-1").await, 0);
    // Then the entity appears, once, processed.
    let deadline = started + Duration::from_secs(15);
    while count(&api, "late-1").await == 0 {
        assert!(Instant::now() < deadline, "never committed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(started.elapsed() >= Duration::from_millis(1500));
    let list = api
        .get("/api/payment-invoices?filter[reference_id]=late-1")
        .await;
    assert_eq!(list.json["data"].as_array().unwrap().len(), 1);
    assert_eq!(list.json["data"][0]["attributes"]["status"], "processed");
    // Counted once, like any request; the rule fired once.
    assert_eq!(requests(&api, "POST /api/payment-invoices").await, 1);
    let stats = api.get_anon("/__sandbox/stats").await.json;
    assert_eq!(stats["faults_injected"], 1);
    assert_eq!(
        api.get_anon("/__sandbox/faults").await.json["data"][0]["fired"],
        1
    );
    assert_eq!(
        api.create_payment(test_payment("late-1", "success"))
            .await
            .status,
        409
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_shape_answers_the_given_body() {
    let sandbox = start_with(faults(json!([
        {"id": "empty-list", "route": "POST /api/payment-invoices", "nth": 1, "effect": {"type": "wrong_shape", "body": {"data": []}}},
        {"id": "no-id", "route": "POST /api/payment-invoices", "nth": 2, "effect": {"type": "wrong_shape", "status": 201, "commit": false, "body": {"data": {"type": "payment-invoices", "attributes": {"status": "created"}}}}},
    ])))
    .await;
    let api = Api::new(&sandbox);
    let r = api.create_payment(test_payment("ws-1", "success")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text, r#"{"data":[]}"#);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-sandbox-fault"), Some("empty-list"));
    assert_eq!(count(&api, "ws-1").await, 1, "committed by default");

    let r = api.create_payment(test_payment("ws-2", "success")).await;
    assert_eq!(r.status, 201);
    assert_eq!(
        r.json,
        json!({"data": {"type": "payment-invoices", "attributes": {"status": "created"}}})
    );
    assert_eq!(count(&api, "ws-2").await, 0, "commit: false");

    // Any JSON value; given as text, its numbers keep their spelling.
    let rule = r#"{"route": "GET /api/account/balances", "effect": {"type": "wrong_shape", "body": [1, "two", null, {"x": 1.50}]}}"#;
    let added = api
        .http
        .post(api.url("/__sandbox/faults"))
        .header("content-type", "application/json")
        .body(rule)
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    let r = api.get("/api/account/balances").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text, r#"[1,"two",null,{"x":1.50}]"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_status_and_location() {
    let sandbox = start_with(faults(json!([
        {"id": "away", "route": "POST /api/payment-invoices", "nth": 1, "effect": {"type": "redirect", "status": 307, "location": "http://127.0.0.1:1/elsewhere"}},
        {"id": "home", "route": "POST /api/payment-invoices", "nth": 2, "effect": {"type": "redirect", "commit": true}},
    ])))
    .await;
    let api = Api::new(&sandbox); // a client that does not follow redirects
    let r = api.create_payment(test_payment("rd-1", "success")).await;
    assert_eq!(r.status, 307);
    assert_eq!(r.header("location"), Some("http://127.0.0.1:1/elsewhere"));
    assert_eq!(count(&api, "rd-1").await, 0, "not committed by default");

    let r = api.create_payment(test_payment("rd-2", "success")).await;
    assert_eq!(r.status, 302);
    let target = format!("{}/__sandbox/redirect-target", sandbox.base_url());
    assert_eq!(r.header("location"), Some(target.as_str()));
    assert_eq!(count(&api, "rd-2").await, 1, "commit: true");
    // The default target answers and creates nothing.
    let followed = api.get_anon("/__sandbox/redirect-target").await;
    assert_eq!(followed.status, 200);
    assert_eq!(followed.json["redirect_target"], true);
    assert_eq!(
        requests(&api, "GET /__sandbox/redirect-target").await,
        1,
        "hits are counted"
    );

    for status in [301, 303, 308] {
        api.delete("/__sandbox/faults").await;
        let rule = json!({"route": "GET /api/payment-services", "effect": {"type": "redirect", "status": status, "location": "/x"}});
        assert_eq!(api.admin_post("/__sandbox/faults", &rule).await.status, 201);
        let r = api.get("/api/payment-services").await;
        assert_eq!((r.status, r.header("location")), (status, Some("/x")));
    }
    let bad = json!({"effect": {"type": "redirect", "status": 304}});
    assert_eq!(api.admin_post("/__sandbox/faults", &bad).await.status, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickle_sends_the_body_slowly() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let normal = api.get("/api/account/balances").await;
    assert_eq!(normal.status, 200);
    let (chunk, interval) = (64usize, 100u64);
    let chunks = normal.text.len().div_ceil(chunk) as u64;
    assert!(chunks >= 6, "a body of {} bytes", normal.text.len());
    let rule = json!({"id": "slow", "route": "GET /api/account/balances", "effect": {"type": "trickle", "chunk_bytes": chunk, "interval_ms": interval}});
    assert_eq!(api.admin_post("/__sandbox/faults", &rule).await.status, 201);

    // A per-read timer shorter than the whole answer, longer than a pause: every chunk resets it.
    let per_read = polypay::tls::http_client_builder()
        .no_proxy()
        .read_timeout(Duration::from_millis(interval * 8))
        .build()
        .unwrap();
    let started = Instant::now();
    let mut resp = per_read
        .get(api.url("/api/account/balances"))
        .basic_auth(ACCOUNT, Some(API_KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-length"].to_str().unwrap(),
        normal.text.len().to_string()
    );
    assert_eq!(resp.headers()["x-sandbox-fault"], "slow");
    let mut body = Vec::new();
    let mut reads = 0;
    while let Some(bytes) = resp.chunk().await.unwrap() {
        assert!(
            bytes.len() <= chunk * 2,
            "{} bytes in one read",
            bytes.len()
        );
        body.extend_from_slice(&bytes);
        reads += 1;
    }
    let took = started.elapsed();
    assert_eq!(String::from_utf8(body).unwrap(), normal.text);
    assert!(reads >= 3, "{reads} reads");
    assert!(
        took >= Duration::from_millis((chunks - 1) * interval * 9 / 10),
        "{chunks} chunks in {took:?}"
    );
    assert!(
        took > Duration::from_millis(interval * 8),
        "longer than the read timeout: {took:?}"
    );

    // Only a whole-call deadline stops it.
    let deadline = polypay::tls::http_client_builder()
        .no_proxy()
        .timeout(Duration::from_millis(interval * 3))
        .build()
        .unwrap();
    let err = async {
        deadline
            .get(api.url("/api/account/balances"))
            .basic_auth(ACCOUNT, Some(API_KEY))
            .send()
            .await?
            .text()
            .await
    }
    .await
    .expect_err("the deadline passes first");
    assert!(err.is_timeout(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_any_u64_or_verbatim_text() {
    let sandbox = start_with(faults(json!([
        {"route": "GET /api/payment-services", "nth": 1, "effect": {"status": 503, "retry_after": 18446744073709551615u64}},
        {"route": "GET /api/payment-services", "nth": 2, "effect": {"status": 429, "retry_after": "Wed, 21 Oct 2065 07:28:00 GMT"}},
        {"route": "GET /api/payment-services", "nth": 3, "effect": {"status": 503, "retry_after": "soon, maybe"}},
        {"route": "GET /api/payment-services", "nth": 4, "effect": {"status": 500}},
    ])))
    .await;
    let api = Api::new(&sandbox);
    let r = api.get("/api/payment-services").await;
    assert_eq!(
        (r.status, r.header("retry-after")),
        (503, Some("18446744073709551615"))
    );
    let r = api.get("/api/payment-services").await;
    assert_eq!(
        (r.status, r.header("retry-after")),
        (429, Some("Wed, 21 Oct 2065 07:28:00 GMT"))
    );
    assert_eq!(r.json["errors"][0]["status"], "Too Many Requests");
    let r = api.get("/api/payment-services").await;
    assert_eq!(
        (r.status, r.header("retry-after")),
        (503, Some("soon, maybe"))
    );
    let r = api.get("/api/payment-services").await;
    assert_eq!((r.status, r.header("retry-after")), (500, None));
    let too_big = r#"{"effect": {"status": 503, "retry_after": 18446744073709551616}}"#;
    let r = api
        .http
        .post(api.url("/__sandbox/faults"))
        .header("content-type", "application/json")
        .body(too_big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("retry_after"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cyclic_links_point_back() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    for i in 0..5 {
        let r = api.create_payment(card_payment(&format!("cy-{i}"))).await;
        assert_eq!(r.status, 201);
    }
    let first = "/api/payment-invoices?page[size]=2";
    let honest = api.get(first).await;
    let page2 = honest.json["links"]["next"].as_str().unwrap().to_owned();
    assert!(page2.contains("page[after]="), "{page2}");

    let rule = json!({"id": "loop", "route": "GET /api/payment-invoices", "effect": {"type": "cyclic_links"}});
    assert_eq!(api.admin_post("/__sandbox/faults", &rule).await.status, 201);
    let r = api.get(first).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["links"]["next"], first, "{}", r.text);
    assert_eq!(r.json["data"], honest.json["data"]);
    assert_eq!(r.json["meta"], honest.json["meta"]);
    assert_eq!(r.json["links"]["prev"], honest.json["links"]["prev"]);
    let r = api.get(&page2).await;
    assert_eq!(r.json["links"]["next"], page2.as_str());
    // Answers without `links` pass unchanged.
    let id = honest.json["data"][0]["id"].as_str().unwrap();
    let one = api.get(&format!("/api/payment-invoices/{id}")).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json["data"]["id"], id);
    assert!(one.json.get("links").is_none());

    // alternate: the first page keeps its real next; later pages lead back to the first.
    api.delete("/__sandbox/faults").await;
    let rule = json!({"route": "GET /api/payment-invoices", "effect": {"type": "cyclic_links", "alternate": true}});
    assert_eq!(api.admin_post("/__sandbox/faults", &rule).await.status, 201);
    let a = api.get(first).await;
    assert_eq!(a.json["links"]["next"], page2.as_str());
    let b = api.get(&page2).await;
    assert_eq!(b.json["links"]["next"], first);
    assert_ne!(a.json["data"], b.json["data"]);
}
