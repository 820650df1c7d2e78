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
