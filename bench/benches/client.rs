//! Client overhead (issue 3): `get_payment_invoice` against a loopback server with keep-alive,
//! next to a bare reqwest GET + JSON parse of the same response. The two run in alternating
//! rounds in one process (ABBA order), so machine drift hits both alike; the figure is the
//! median of the per-round ratios. Writes target/bench/client.json for bench/report.py.

use std::time::Instant;

use futures_util::future::join_all;
use polypay::paycore::{Client, Config, Environment};
use serde_json::{json, Value};
use std::hint::black_box;

/// A private-API invoice as the reference guide shows it (about 3 KB).
const INVOICE: &str = include_str!("invoice.json");
const ROUNDS: usize = 24;

async fn server() -> String {
    let app = axum::Router::new().route(
        "/api/payment-invoices/{id}",
        axum::routing::get(|| async {
            (
                [
                    ("content-type", "application/json"),
                    ("x-request-id", "bench"),
                ],
                INVOICE,
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

/// Times `calls` calls issued `concurrency` at a time; returns µs per call.
async fn per_call<F, Fut>(calls: usize, concurrency: usize, call: F) -> f64
where
    F: Fn() -> Fut,
    Fut: std::future::Future,
{
    let started = Instant::now();
    for _ in 0..calls / concurrency {
        black_box(join_all((0..concurrency).map(|_| call())).await);
    }
    started.elapsed().as_secs_f64() * 1e6 / calls as f64
}

fn main() {
    // `cargo test --benches` runs bench targets with no arguments worth timing.
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let results = runtime.block_on(async {
        let base = server().await;
        let mut config = Config::new(Environment::custom(&base).unwrap());
        config.account_id = Some("coma_bench".into());
        config.api_key = Some("bench_key".into());
        let sdk = Client::new(config).unwrap();
        let bare = polypay::tls::http_client_builder().build().unwrap();
        let url = format!("{base}/api/payment-invoices/cpi_HeSWMM9LvQonCcQc");
        let sdk_call = || async { sdk.get_payment_invoice("cpi_HeSWMM9LvQonCcQc").await.unwrap() };
        let bare_call = || async {
            let response = bare
                .get(&url)
                .basic_auth("coma_bench", Some("bench_key"))
                .header("accept", "application/json")
                .send()
                .await
                .unwrap();
            let body = response.bytes().await.unwrap();
            serde_json::from_slice::<Value>(&body).unwrap()
        };
        // Warm up the pools and caches.
        per_call(200, 1, sdk_call).await;
        per_call(200, 1, bare_call).await;
        let mut out = Vec::new();
        for (label, concurrency, calls) in [("1 task", 1, 400), ("64 concurrent tasks", 64, 3200)] {
            let (mut sdk_us, mut bare_us, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
            for round in 0..ROUNDS {
                // Alternate which goes first, so neither profits from the order.
                let (s, b) = if round % 2 == 0 {
                    let s = per_call(calls, concurrency, sdk_call).await;
                    (s, per_call(calls, concurrency, bare_call).await)
                } else {
                    let b = per_call(calls, concurrency, bare_call).await;
                    (per_call(calls, concurrency, sdk_call).await, b)
                };
                sdk_us.push(s);
                bare_us.push(b);
                ratios.push(s / b);
            }
            let row = json!({
                "case": label, "concurrency": concurrency, "rounds": ROUNDS, "calls_per_round": calls,
                "sdk_us_per_call": median(sdk_us), "bare_us_per_call": median(bare_us),
                "overhead_ratio": median(ratios),
            });
            println!("{row}");
            out.push(row);
        }
        out
    });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("client.json"),
        serde_json::to_string_pretty(&results).unwrap(),
    )
    .unwrap();
}
