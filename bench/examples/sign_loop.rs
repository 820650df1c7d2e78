//! Signs the 10-parameter payment in a loop, for instruction-level profiling:
//! `valgrind --tool=callgrind target/release/examples/sign_loop`.
use polypay::ecommpay::Signer;
use serde_json::{Map, Value};

fn main() {
    let params: Map<String, Value> = serde_json::from_str(polypay_bench::TYPICAL10).unwrap();
    let signer = Signer::new("secret");
    let mut total = 0usize;
    for _ in 0..20_000 {
        total += signer.sign(std::hint::black_box(&params)).unwrap().len();
    }
    println!("{total}");
}
