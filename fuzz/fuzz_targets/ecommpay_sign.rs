//! ecommpay canonicaliser: `string_to_sign` / `sign` over arbitrary JSON parameters.
//!
//! Invariants: nothing panics; both accept exactly the same inputs; the signature is the
//! HMAC-SHA512 (base64) of the string `string_to_sign` shows; the result is deterministic.
//! The one-pass readers of JSON text (signing `JsonParams`, the gate's Payment Page URL from
//! JSON fields) give what the document-based path gives: the same result or the same error.
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use libfuzzer_sys::fuzz_target;
use polypay::ecommpay::{sign, sign_params, string_to_sign, Gate, JsonParams, Payment, Signer};
use serde_json::{Map, Value};
use sha2::Sha512;

const SECRET: &str = "ecommpay_FUZZ_SECRET";

fn same<T: PartialEq + std::fmt::Debug>(a: polypay::Result<T>, b: polypay::Result<T>, what: &str) {
    match (a, b) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{what}"),
        (Err(a), Err(b)) => assert_eq!(
            (a.code(), a.argument()),
            (b.code(), b.argument()),
            "{what}: {a:?} vs {b:?}"
        ),
        (a, b) => panic!("{what}: one pass {a:?}, exact path {b:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let document = polypay::json::parse_object(data, "params");
    same(
        sign_params(&JsonParams::new(data, "params"), SECRET),
        document.clone().and_then(|params| sign(&params, SECRET)),
        "sign",
    );
    let gate = Gate::new(7, SECRET, None).unwrap();
    same(
        gate.payment_page_url_from_json(data),
        document.and_then(|fields| {
            if fields.contains_key("project_id") {
                gate.params_url(&fields)
            } else {
                gate.payment_url(Payment::from_fields(7, fields)?)
            }
        }),
        "payment page URL",
    );

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
