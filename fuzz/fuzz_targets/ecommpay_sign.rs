//! ecommpay canonicaliser: `string_to_sign` / `sign` over arbitrary JSON parameters.
//!
//! Invariants: nothing panics; both accept exactly the same inputs; the signature is the
//! HMAC-SHA512 (base64) of the string `string_to_sign` shows; the result is deterministic.
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use libfuzzer_sys::fuzz_target;
use polypay::ecommpay::{sign, string_to_sign, Signer};
use serde_json::{Map, Value};
use sha2::Sha512;

const SECRET: &str = "ecommpay_FUZZ_SECRET";

fuzz_target!(|data: &[u8]| {
    let Ok(params) = serde_json::from_slice::<Map<String, Value>>(data) else {
        return;
    };
    match (string_to_sign(&params), sign(&params, SECRET)) {
        (Ok(text), Ok(signature)) => {
            assert_eq!(string_to_sign(&params).unwrap(), text, "not deterministic");
            let mut mac = Hmac::<Sha512>::new_from_slice(SECRET.as_bytes()).unwrap();
            mac.update(text.as_bytes());
            assert_eq!(
                STANDARD.encode(mac.finalize().into_bytes()),
                signature,
                "the signature is not the HMAC of string_to_sign"
            );
            assert_eq!(Signer::new(SECRET).sign(&params).unwrap(), signature);
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.code(), b.code());
            assert!(!format!("{b} {b:?}").contains("FUZZ_SECRET"));
        }
        (a, b) => panic!("string_to_sign {a:?} but sign {b:?}"),
    }
});
