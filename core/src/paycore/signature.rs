//! PayCore callback signatures: `X-Signature = base64(sha1(secret ‖ raw body ‖ secret))`.
//!
//! Always computed on the exact bytes received: the server escapes slashes and writes `[]`
//! for empty objects, so a re-serialised body would not match.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};

/// Length of a valid `X-Signature` value: base64 of a 20-byte SHA-1 digest.
const SIGNATURE_LEN: usize = 28;

/// Computes the `X-Signature` the gateway sends with `body` (use it to sign test callbacks).
pub fn sign_callback(body: &[u8], secret: &str) -> Result<String> {
    check_secret(secret)?;
    Ok(STANDARD.encode(digest(body, secret)))
}

/// Checks `signature` (the `X-Signature` header) against the exact received `body`, in constant time.
pub fn verify_callback(body: &[u8], signature: &str, secret: &str) -> Result<()> {
    check_secret(secret)?;
    let expected = digest(body, secret);
    let given = decode_signature(signature)?;
    if bool::from(given.as_slice().ct_eq(expected.as_slice())) {
        Ok(())
    } else {
        Err(Error::signature(
            "mismatch",
            "X-Signature does not match the body: check that you pass the raw request body \
             (not re-serialised JSON) and the secret key (sk_…) of the operation's mode",
        ))
    }
}

fn digest(body: &[u8], secret: &str) -> [u8; 20] {
    let mut hasher = Sha1::new();
    hasher.update(secret.as_bytes());
    hasher.update(body);
    hasher.update(secret.as_bytes());
    hasher.finalize().into()
}

/// The secret must be the account's private key (`sk_live_…`/`sk_test_…`), exactly as issued.
pub(crate) fn check_secret(secret: &str) -> Result<()> {
    if secret.is_empty() {
        return Err(Error::invalid(
            "secret",
            "empty_secret",
            "is empty; pass the commerce account's secret key (sk_…)",
        ));
    }
    if secret.trim() != secret {
        return Err(Error::invalid(
            "secret",
            "whitespace_secret",
            "has leading or trailing whitespace (a newline from an env file?); strip it",
        ));
    }
    if secret.starts_with("pk_") {
        return Err(Error::invalid(
            "secret",
            "public_key",
            "is a public key (pk_…); callbacks are signed with the secret key (sk_…)",
        ));
    }
    Ok(())
}

fn decode_signature(signature: &str) -> Result<[u8; 20]> {
    decode_signature_bytes(signature).map_err(|e| e.with_argument("signature"))
}

fn decode_signature_bytes(signature: &str) -> Result<[u8; 20]> {
    if signature.len() == 40 && signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::signature(
            "hex_signature",
            "looks like a hex SHA-1 digest; X-Signature is the base64 of the raw 20-byte digest",
        ));
    }
    if signature.len() != SIGNATURE_LEN {
        return Err(Error::signature(
            "wrong_length",
            format!(
                "is {} characters long; an X-Signature is {SIGNATURE_LEN} (base64 of 20 bytes)",
                signature.len()
            ),
        ));
    }
    let mut digest = [0u8; 20];
    match STANDARD.decode_slice(signature, &mut digest) {
        Ok(20) => Ok(digest),
        _ => Err(Error::signature(
            "not_base64",
            "is not base64 of a 20-byte digest",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"data":{"type":"payment-invoices","id":"cpi_TEST123","attributes":{"status":"processed","resolution":"ok","reference_id":"order-1","amount":100,"currency":"USD","test_mode":true}}}"#;

    #[test]
    fn documented_vector() {
        assert_eq!(
            sign_callback(BODY, "sk_test_EXAMPLEKEY").unwrap(),
            "R7a2MuC2EwiC2MPFd+8JNv0z9jw="
        );
        assert_eq!(
            sign_callback(b"", "sk_test_EXAMPLEKEY").unwrap(),
            "J1JYUuEJGY/kxpIK2LIdpzOxO1k="
        );
        assert!(
            verify_callback(BODY, "R7a2MuC2EwiC2MPFd+8JNv0z9jw=", "sk_test_EXAMPLEKEY").is_ok()
        );
    }

    #[test]
    fn helpful_errors() {
        let code = |sig: &str, secret: &str| verify_callback(BODY, sig, secret).unwrap_err().code();
        assert_eq!(
            code(
                "47b6b632e0b6130882d8c3c577ef0936fd33f63c",
                "sk_test_EXAMPLEKEY"
            ),
            "hex_signature"
        );
        assert_eq!(code("R7a2MuC2", "sk_test_EXAMPLEKEY"), "wrong_length");
        assert_eq!(
            code("R7a2MuC2EwiC2MPFd+8JNv0z9j*=", "sk_test_EXAMPLEKEY"),
            "not_base64"
        );
        assert_eq!(
            code("R7a2MuC2EwiC2MPFd+8JNv0z9jw=", "sk_test_OTHER"),
            "mismatch"
        );
        assert_eq!(code("R7a2MuC2EwiC2MPFd+8JNv0z9jw=", ""), "empty_secret");
        assert_eq!(
            code("R7a2MuC2EwiC2MPFd+8JNv0z9jw=", "sk_test_EXAMPLEKEY\n"),
            "whitespace_secret"
        );
        assert_eq!(
            code("R7a2MuC2EwiC2MPFd+8JNv0z9jw=", "pk_test_EXAMPLEKEY"),
            "public_key"
        );
    }

    #[test]
    fn errors_never_show_the_secret() {
        let secret = "sk_test_VERY_SECRET_VALUE";
        let err = verify_callback(BODY, "R7a2MuC2EwiC2MPFd+8JNv0z9jw=", secret).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("VERY_SECRET"));
    }
}
