//! Verifies the nested callback in a loop, for instruction-level profiling:
//! `valgrind --tool=callgrind target/release/examples/verify_loop`.
use polypay::ecommpay::Gate;
use serde_json::{Map, Value};

fn main() {
    let mut body: Map<String, Value> = serde_json::from_str(polypay_bench::CALLBACK).unwrap();
    let gate = Gate::new(12345, "secret", None).unwrap();
    body.insert("signature".into(), Value::String(gate.sign(&body).unwrap()));
    let raw = serde_json::to_vec(&body).unwrap();
    let mut ok = 0usize;
    for _ in 0..10_000 {
        ok += usize::from(gate.verify_callback(std::hint::black_box(&raw)).is_ok());
    }
    println!("{ok}");
}
