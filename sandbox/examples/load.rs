//! Load benchmark: private `GET /api/payment-invoices/{id}` throughput with keep-alive
//! connections, against an in-process sandbox on loopback.
//!
//! ```text
//! cargo run --release -p polypay-sandbox --example load -- [--seconds 5] [--connections 64]
//!     [--invoices 1000] [--mode get|create] [--cap N]
//! ```
//!
//! `--mode create` measures `POST /api/payment-invoices` instead (unique reference ids, test
//! service ending `processed`), with the store capped at `--cap` invoices to show memory
//! staying bounded. Prints requests/s and peak RSS (VmHWM).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use polypay_sandbox::{Sandbox, SandboxConfig};
use serde_json::json;

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

fn proc_status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .map(|l| l[field.len()..].trim().to_owned())
        })
        .unwrap_or_else(|| "n/a".into())
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        )
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let seconds: u64 = arg("--seconds", "5").parse().unwrap();
    let connections: usize = arg("--connections", "64").parse().unwrap();
    let invoices: usize = arg("--invoices", "1000").parse().unwrap();
    let mode = arg("--mode", "get");
    let cap: usize = arg("--cap", "200000").parse().unwrap();

    let sandbox = Sandbox::start(SandboxConfig {
        max_invoices_per_account: cap,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let addr = sandbox.addr();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("coma_sandbox:sandbox_api_key")
    );

    // Seed the store with invoices (test service, processed: a full resource with callback-free history).
    let client = polypay::tls::http_client_builder()
        .no_proxy()
        .build()
        .unwrap();
    let mut ids = Vec::with_capacity(invoices);
    for i in 0..invoices {
        let body = json!({"data": {"type": "payment-invoices", "attributes": {
            "reference_id": format!("load-{i}"), "service": "test_usd_test", "currency": "USD",
            "amount": 100, "test_mode": true, "service_fields": {"status": "success"},
            "metadata": {"order": i, "shop": "https://shop.example"}}}});
        let r = client
            .post(format!("{}/api/payment-invoices", sandbox.base_url()))
            .basic_auth("coma_sandbox", Some("sandbox_api_key"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let doc: serde_json::Value = r.json().await.unwrap();
        ids.push(doc["data"]["id"].as_str().unwrap().to_owned());
    }
    let ids = Arc::new(ids);
    let rss_before = proc_status("VmRSS:");

    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (done, errors, bytes, ids, auth, mode) = (
            done.clone(),
            errors.clone(),
            bytes.clone(),
            ids.clone(),
            auth.clone(),
            mode.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream))
                .await
                .unwrap();
            tokio::spawn(conn);
            let mut i = c;
            while Instant::now() < deadline {
                let request = if mode == "create" {
                    let body = format!(
                        r#"{{"data":{{"type":"payment-invoices","attributes":{{"reference_id":"c{c}-{i}","service":"test_usd_test","currency":"USD","amount":10,"test_mode":true,"service_fields":{{"status":"success"}}}}}}}}"#
                    );
                    hyper::Request::post("/api/payment-invoices")
                        .header("host", "127.0.0.1")
                        .header("authorization", &auth)
                        .header("content-type", "application/json")
                        .body(Full::new(Bytes::from(body)))
                        .unwrap()
                } else {
                    let id = &ids[i % ids.len()];
                    hyper::Request::get(format!("/api/payment-invoices/{id}"))
                        .header("host", "127.0.0.1")
                        .header("authorization", &auth)
                        .body(Full::new(Bytes::new()))
                        .unwrap()
                };
                i += connections;
                match sender.send_request(request).await {
                    Ok(response) => {
                        let ok = response.status().is_success();
                        let body = response.into_body().collect().await.map(|b| b.to_bytes().len()).unwrap_or(0);
                        bytes.fetch_add(body as u64, Ordering::Relaxed);
                        if ok {
                            done.fetch_add(1, Ordering::Relaxed);
                        } else {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let ok = done.load(Ordering::Relaxed);
    let what = if mode == "create" {
        "POST /api/payment-invoices"
    } else {
        "GET /api/payment-invoices/{id}"
    };
    println!("{what}: {connections} keep-alive connections, {elapsed:.1} s");
    println!(
        "  {:.0} requests/s ({ok} ok, {} errors, {:.0} bytes/response)",
        ok as f64 / elapsed,
        errors.load(Ordering::Relaxed),
        bytes.load(Ordering::Relaxed) as f64 / ok.max(1) as f64
    );
    let stats = sandbox.state().counts();
    println!(
        "  invoices stored: {}, evicted: {}",
        stats["payment_invoices"], stats["evicted"]
    );
    println!(
        "  RSS before load: {rss_before}, after: {}, peak (VmHWM): {}",
        proc_status("VmRSS:"),
        proc_status("VmHWM:")
    );
    sandbox.shutdown().await;
}
