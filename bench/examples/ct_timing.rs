//! Statistical timing test of signature comparison (dudect-style): do mismatching signatures
//! that differ from the right one in the *first* byte take a different time to refuse than
//! ones that differ in the *last* byte? An early-exit comparison would refuse the first kind
//! sooner.
//!
//! The two classes are measured interleaved in random order, in batches, with the slowest
//! samples cropped (interrupts, migrations); Welch's t-test then compares the two
//! distributions. |t| < 4.5 is dudect's threshold for "no evidence of a timing difference".
//! A deliberately early-exit comparison is measured the same way, as a control that shows the
//! test can see a leak of this size.
//!
//! `cargo run --release -p polypay-bench --example ct_timing [-- --samples N]`

use std::hint::black_box;
use std::time::Instant;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{Map, Value};

const BATCH: usize = 8;
const THRESHOLD: f64 = 4.5;

/// xorshift64*: the class order only has to be unpredictable to the CPU, not secure.
struct Rng(u64);
impl Rng {
    fn bit(&mut self) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 63) as usize
    }
}

/// Welch's t over two samples.
fn welch_t(a: &[f64], b: &[f64]) -> f64 {
    let stats = |x: &[f64]| {
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (n, mean, var)
    };
    let (na, ma, va) = stats(a);
    let (nb, mb, vb) = stats(b);
    (ma - mb) / (va / na + vb / nb).sqrt()
}

struct Outcome {
    t: f64,
    mean_ns: [f64; 2],
    n: usize,
}

/// Measures `run(class)` for the two classes, interleaved at random; nanoseconds per call.
fn measure(samples: usize, mut run: impl FnMut(usize)) -> Outcome {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut times: [Vec<f64>; 2] = [Vec::with_capacity(samples), Vec::with_capacity(samples)];
    for _ in 0..samples / 20 {
        run(0);
        run(1); // warm-up
    }
    for _ in 0..samples {
        let class = rng.bit();
        let start = Instant::now();
        for _ in 0..BATCH {
            run(class);
        }
        times[class].push(start.elapsed().as_nanos() as f64 / BATCH as f64);
    }
    // Crop the slowest 10% of all samples (the same cut for both classes).
    let mut all: Vec<f64> = times.iter().flatten().copied().collect();
    all.sort_by(f64::total_cmp);
    let cut = all[all.len() * 9 / 10];
    let cropped: Vec<Vec<f64>> = times
        .iter()
        .map(|t| t.iter().copied().filter(|&v| v <= cut).collect())
        .collect();
    let mean = |x: &Vec<f64>| x.iter().sum::<f64>() / x.len() as f64;
    Outcome {
        t: welch_t(&cropped[0], &cropped[1]),
        mean_ns: [mean(&cropped[0]), mean(&cropped[1])],
        n: cropped[0].len() + cropped[1].len(),
    }
}

/// `signature` (base64 of a digest) with one byte of the digest flipped.
fn flip(signature: &str, at: usize) -> String {
    let mut digest = STANDARD.decode(signature).unwrap();
    digest[at] ^= 0x5A;
    STANDARD.encode(digest)
}

/// The control: compares byte by byte and stops at the first difference.
fn early_exit_eq(a: &[u8], b: &[u8]) -> bool {
    for (x, y) in a.iter().zip(b) {
        if black_box(*x) != black_box(*y) {
            return false;
        }
    }
    a.len() == b.len()
}

fn report(name: &str, o: &Outcome) -> String {
    let verdict = if o.t.abs() < THRESHOLD {
        "no timing difference detected"
    } else {
        "TIMING DIFFERENCE"
    };
    println!(
        "{name:<44} first-byte {:>8.1} ns, last-byte {:>8.1} ns, n = {:>7}, t = {:>+7.2}  ({verdict})",
        o.mean_ns[0], o.mean_ns[1], o.n, o.t
    );
    format!("{name} t = {:+.2}", o.t)
}

fn main() {
    let samples: usize = std::env::args()
        .skip_while(|a| a != "--samples")
        .nth(1)
        .map(|n| n.parse().expect("--samples N"))
        .unwrap_or(400_000);

    // PayCore: X-Signature over a short body, so the comparison is a large part of the time.
    let secret = "sk_test_timing";
    let body =
        br#"{"data":{"type":"payment-invoices","id":"cpi_1","attributes":{"status":"processed"}}}"#;
    let good = polypay::paycore::sign_callback(body, secret).unwrap();
    let paycore_sigs = [flip(&good, 0), flip(&good, 19)];
    let paycore = measure(samples, |class| {
        let r = polypay::paycore::verify_callback(black_box(body), &paycore_sigs[class], secret);
        assert!(black_box(r).is_err());
    });

    // ecommpay: the signature inside a callback body (HMAC-SHA512, 64 bytes).
    let ecommpay_secret = "ecommpay_timing";
    let mut params = Map::new();
    params.insert("project_id".into(), Value::from(1));
    params.insert(
        "payment".into(),
        serde_json::json!({"id": "p-1", "status": "success"}),
    );
    let good = polypay::ecommpay::sign(&params, ecommpay_secret).unwrap();
    let bodies: Vec<Vec<u8>> = [0, 63]
        .iter()
        .map(|&at| {
            let mut doc = params.clone();
            doc.insert("signature".into(), Value::String(flip(&good, at)));
            serde_json::to_vec(&doc).unwrap()
        })
        .collect();
    let ecommpay = measure(samples, |class| {
        let r = polypay::ecommpay::verify_callback(black_box(&bodies[class]), ecommpay_secret);
        assert!(black_box(r).is_err());
    });

    // Control: the same 20-byte digests through an early-exit comparison.
    let expected = STANDARD
        .decode(polypay::paycore::sign_callback(body, secret).unwrap())
        .unwrap();
    let given: Vec<Vec<u8>> = paycore_sigs
        .iter()
        .map(|s| STANDARD.decode(s).unwrap())
        .collect();
    let control = measure(samples, |class| {
        assert!(!early_exit_eq(
            black_box(&given[class]),
            black_box(&expected)
        ));
    });

    // What the PayCore classes differ in besides the comparison: their base64 text (the
    // attacker's own input). Decoding alone, to tell the two apart.
    let decode = measure(samples, |class| {
        let mut out = [0u8; 20];
        black_box(STANDARD.decode_slice(black_box(paycore_sigs[class].as_bytes()), &mut out)).ok();
    });

    println!();
    let line = [
        report("paycore::verify_callback (SHA-1, 20 B)", &paycore),
        report(
            "  of which base64-decoding the two signatures alone",
            &decode,
        ),
        report("ecommpay::verify_callback (HMAC-SHA512, 64 B)", &ecommpay),
        report("control: early-exit compare (20 B)", &control),
    ];
    println!(
        "\nct_timing (dudect-style Welch t, |t| < {THRESHOLD} = no evidence of leak, {samples} samples/target): {}",
        line.join("; ")
    );
}
