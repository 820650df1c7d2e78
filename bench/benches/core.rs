//! Core benchmarks (issue 2): signing, verification and URL building, each next to the bare
//! primitive it is built on, measured in the same run. `make bench` records them in RESULTS.md.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use polypay::ecommpay::{self, Gate, Signer};
use polypay::paycore::{self, Environment, HppParams};
use polypay_bench::{CALLBACK, TYPICAL10};
use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use std::hint::black_box;

const SECRET: &str = "secret";

fn object(json: &str) -> Map<String, Value> {
    serde_json::from_str(json).unwrap()
}

fn ecommpay_benches(c: &mut Criterion) {
    let typical = object(TYPICAL10);
    let callback = object(CALLBACK);
    let signer = Signer::new(SECRET);
    let gate = Gate::new(112, SECRET, None).unwrap();
    let message = ecommpay::string_to_sign(&typical).unwrap();

    let mut group = c.benchmark_group("ecommpay");
    group.bench_function("sign_typical10", |b| {
        b.iter(|| signer.sign(black_box(&typical)).unwrap())
    });
    group.bench_function("string_to_sign_typical10", |b| {
        b.iter(|| ecommpay::string_to_sign(black_box(&typical)).unwrap())
    });
    group.bench_function("bare_hmac_sha512_prekeyed_typical10", |b| {
        let keyed = ring::hmac::Key::new(ring::hmac::HMAC_SHA512, SECRET.as_bytes());
        b.iter(|| STANDARD.encode(ring::hmac::sign(&keyed, black_box(message.as_bytes()))))
    });
    group.bench_function("sign_typical10_new_key", |b| {
        b.iter(|| ecommpay::sign(black_box(&typical), SECRET).unwrap())
    });
    group.bench_function("bare_hmac_sha512_base64_typical10", |b| {
        b.iter(|| {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA512, SECRET.as_bytes());
            STANDARD.encode(ring::hmac::sign(&key, black_box(message.as_bytes())))
        })
    });
    group.bench_function("sign_nested_callback", |b| {
        b.iter(|| signer.sign(black_box(&callback)).unwrap())
    });
    group.bench_function("payment_page_url_typical10", |b| {
        b.iter(|| gate.params_url(black_box(&typical)).unwrap())
    });

    let mut signed = callback.clone();
    signed.insert(
        "signature".into(),
        Value::String(signer.sign(&callback).unwrap()),
    );
    let body = serde_json::to_vec(&signed).unwrap();
    group.bench_function("verify_callback", |b| {
        b.iter(|| gate.verify_callback(black_box(&body)).unwrap())
    });
    group.finish();
}

fn paycore_benches(c: &mut Criterion) {
    let secret = "sk_test_EXAMPLEKEY";
    let mut group = c.benchmark_group("paycore");
    for size in [1024usize, 64 * 1024] {
        let body: Vec<u8> = (0..size)
            .map(|i| b"{\"data\":0123456789abcdef}"[i % 25])
            .collect();
        let signature = paycore::sign_callback(&body, secret).unwrap();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("verify", size), &body, |b, body| {
            b.iter(|| paycore::verify_callback(black_box(body), &signature, secret).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("bare_sha1", size), &body, |b, body| {
            b.iter(|| Sha1::digest(black_box(body)))
        });
    }
    group.finish();

    let params = object(
        r#"{"public_key":"pk_test_ClSQHi2T9WXuFa76WcwwBB6rspRpg6ANM69cS9zNOJy","amount":"123.45","currency":"USD",
            "reference_id":"7135b08b-701b-4fbc-a7d2-b2763d96d415","description":"Invoice Example",
            "customer":{"reference_id":"cust-1","email":"jane@example.com","name":"Jane Doe"},
            "service":"payment_card_usd_hpp","return_url":"https://shop.example.com/orders/123","locale":"en",
            "metadata":{"order":"123"}}"#,
    );
    let env = Environment::PayCore;
    let mut group = c.benchmark_group("hpp");
    group.bench_function("url_from_json", |b| {
        b.iter(|| {
            HppParams::from_json(black_box(&params))
                .unwrap()
                .url(&env)
                .unwrap()
        })
    });
    let hpp = HppParams::from_json(&params).unwrap();
    group.bench_function("url_from_params", |b| {
        b.iter(|| black_box(&hpp).url(&env).unwrap())
    });
    group.finish();
}

criterion_group!(benches, ecommpay_benches, paycore_benches);
criterion_main!(benches);
