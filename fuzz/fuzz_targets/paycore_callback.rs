//! PayCore callbacks: `X-Signature` verification and the JSON:API model parse, on any body.
//!
//! Invariants: nothing panics; a correctly signed body verifies exactly when it parses; a wrong
//! signature is always refused before the body is read; errors never show the secret.
#![no_main]

use libfuzzer_sys::fuzz_target;
use polypay::paycore::callback::{verify, CallbackEvent};
use polypay::paycore::{sign_callback, PaymentInvoice, PayoutInvoice};
use polypay::ErrorKind;

const SECRET: &str = "sk_test_FUZZ_SECRET_never_shown";

fn check_error(err: &polypay::Error) {
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("FUZZ_SECRET"), "secret in error: {shown}");
}

fuzz_target!(|body: &[u8]| {
    let parsed = CallbackEvent::parse_unverified(body);
    let signature = sign_callback(body, SECRET).expect("a valid secret signs anything");

    // Correctly signed: the outcome is exactly the parse's.
    match (verify(body, &signature, SECRET), &parsed) {
        (Ok(event), Ok(expected)) => {
            assert_eq!(&event, expected);
            let _ = (event.event_type(), event.id(), event.status(), event.raw());
            let _ = (event.is_final(), event.is_success(), format!("{event:?}"));
        }
        (Err(err), Err(expected)) => {
            assert_eq!(err.code(), expected.code());
            check_error(&err);
        }
        (got, expected) => panic!("verify {got:?} but parse {expected:?}"),
    }

    // Any other signature (here: one made from the body itself, or a one-bit change of the
    // right one) is refused as a signature error, whatever the body holds.
    let forged = String::from_utf8_lossy(&body[..body.len().min(28)]).into_owned();
    if forged != signature {
        let err = verify(body, &forged, SECRET).expect_err("forged signature accepted");
        assert_eq!(err.kind(), ErrorKind::Signature, "{err:?}");
        check_error(&err);
    }
    let mut flipped = signature.into_bytes();
    flipped[body.len() % 27] ^= 0x01; // stays ASCII; never touches the '=' padding
    let flipped = String::from_utf8(flipped).unwrap();
    let err = verify(body, &flipped, SECRET).expect_err("altered signature accepted");
    assert_eq!(err.kind(), ErrorKind::Signature, "{err:?}");

    // The model parsers take any JSON value without panicking.
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        let data = value.get("data").cloned().unwrap_or(value);
        let _ = PaymentInvoice::from_resource(data.clone()).map(|i| (i.is_final(), i.is_success()));
        let _ = PayoutInvoice::from_resource(data).map(|i| (i.is_final(), i.is_success()));
    }
});
