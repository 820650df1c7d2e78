//! ecommpay callback verification on any body, and sign → embed → verify round trips.
//!
//! Invariants: nothing panics; a body signed by `sign` (with every `signature` key removed
//! first, as the verifier does) verifies and reads back unchanged; a changed signature is
//! refused; errors never show the secret.
#![no_main]

use libfuzzer_sys::fuzz_target;
use polypay::ecommpay::{sign, verify_callback, Gate};
use polypay::ErrorKind;
use serde_json::{Map, Value};

const SECRET: &str = "ecommpay_FUZZ_SECRET";

fn strip_signatures(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.shift_remove("signature");
            map.values_mut().for_each(strip_signatures);
        }
        Value::Array(list) => list.iter_mut().for_each(strip_signatures),
        _ => {}
    }
}

fn read_all(cb: &polypay::ecommpay::EcommpayCallback) {
    let _ = (cb.project_id(), cb.payment_id(), cb.payment_type());
    let _ = (cb.payment_status(), cb.payment_sum(), cb.operation());
    let _ = (cb.is_success(), format!("{cb:?}"));
}

fuzz_target!(|data: &[u8]| {
    // The raw body as received.
    match verify_callback(data, SECRET) {
        Ok(cb) => read_all(&cb),
        Err(err) => assert!(!format!("{err} {err:?}").contains("FUZZ_SECRET")),
    }

    let Ok(mut doc) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if !doc.is_object() {
        return;
    }
    strip_signatures(&mut doc);
    let Value::Object(params) = doc else {
        unreachable!()
    };
    let Ok(signature) = sign(&params, SECRET) else {
        return;
    };
    let mut body: Map<String, Value> = params.clone();
    body.insert("signature".into(), Value::String(signature.clone()));
    let bytes = serde_json::to_vec(&body).unwrap();

    let cb =
        verify_callback(&bytes, SECRET).unwrap_or_else(|e| panic!("own signature refused: {e:?}"));
    assert_eq!(cb.raw(), &params);
    read_all(&cb);
    let gate = Gate::new(1, SECRET, None).unwrap();
    assert_eq!(gate.verify_callback(&bytes).unwrap(), cb);

    // One character of the signature changed: refused.
    let mut forged = signature.into_bytes();
    let at = data.len() % 85; // 88 base64 characters, the last two are '=' padding
    forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
    body.insert(
        "signature".into(),
        Value::String(String::from_utf8(forged).unwrap()),
    );
    let err = verify_callback(&serde_json::to_vec(&body).unwrap(), SECRET)
        .expect_err("forged signature accepted");
    assert_eq!(err.kind(), ErrorKind::Signature);
});
