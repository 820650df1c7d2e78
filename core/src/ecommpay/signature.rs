//! The ecommpay signature (docs §1): HMAC-SHA512 of the canonical string, in base64.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::hmac;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use super::canonical::{Flattened, Params};
use crate::error::Result;

/// Signs with one secret; the HMAC key schedule is computed once and reused. `ring`'s
/// SHA-512 (OpenSSL's assembly, already linked for TLS) is faster than the RustCrypto one.
#[derive(Clone)]
pub struct Signer {
    key: hmac::Key,
}

impl Signer {
    /// Any secret is accepted here, as in the reference SDK; [`super::Gate`] is stricter.
    pub fn new(secret: &str) -> Signer {
        Signer {
            key: hmac::Key::new(hmac::HMAC_SHA512, secret.as_bytes()),
        }
    }

    pub fn sign(&self, params: &Map<String, Value>) -> Result<String> {
        self.sign_params(params)
    }

    /// Signs parameters that feed themselves to the canonical form (see [`Params`]).
    pub fn sign_params<P: Params + ?Sized>(
        &self,
        params: &P,
    ) -> std::result::Result<String, P::Error> {
        Ok(STANDARD.encode(self.digest(&Flattened::of(params)?)))
    }

    fn digest(&self, flat: &Flattened) -> [u8; 64] {
        // One pass over the joined string: many small updates cost more than the copy.
        let tag = hmac::sign(&self.key, flat.joined().as_bytes());
        let mut out = [0u8; 64];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// Constant-time check of a base64 signature against the canonical form.
    pub(super) fn verify_flat(&self, flat: &Flattened, signature: &str) -> bool {
        let expected = self.digest(flat);
        let mut given = [0u8; 64];
        match STANDARD.decode_slice(signature.as_bytes(), &mut given) {
            Ok(64) => bool::from(given.ct_eq(&expected)),
            _ => false,
        }
    }

    /// Constant-time check of a base64 signature against `params`.
    pub(crate) fn verify(&self, params: &Map<String, Value>, signature: &str) -> Result<bool> {
        Ok(self.verify_flat(&Flattened::of(params)?, signature))
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer { secret: <redacted> }")
    }
}

/// `sign(params, secret)` of the reference SDK.
pub fn sign(params: &Map<String, Value>, secret: &str) -> Result<String> {
    sign_params(params, secret)
}

/// [`sign`] for any [`Params`].
pub fn sign_params<P: Params + ?Sized>(
    params: &P,
    secret: &str,
) -> std::result::Result<String, P::Error> {
    Signer::cached(secret).sign_params(params)
}

thread_local! {
    /// The last secret's HMAC key schedule (see [`Signer::cached`]).
    static LAST_SIGNER: std::cell::RefCell<Option<(Box<[u8]>, Signer)>> = const { std::cell::RefCell::new(None) };
}

impl Signer {
    /// The signer of `secret`, from the per-thread cache of the last secret used: callers
    /// nearly always pass the same one, and preparing the key is a large part of the cost of
    /// a short signature.
    pub(crate) fn cached(secret: &str) -> Signer {
        let cached = LAST_SIGNER.with(|last| {
            let last = last.borrow();
            let (key, signer) = last.as_ref()?;
            bool::from(key.ct_eq(secret.as_bytes())).then(|| signer.clone())
        });
        cached.unwrap_or_else(|| {
            let signer = Signer::new(secret);
            LAST_SIGNER.with(|last| {
                *last.borrow_mut() = Some((secret.as_bytes().into(), signer.clone()));
            });
            signer
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecommpay::canonical::string_to_sign;

    fn params(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    /// A Gate request body (ecommpay's page on signing Gate requests; the official PHP SDK's
    /// signer, which ecommpay's Magento and PrestaShop plugins use for Gate, and the official
    /// Python SDK's give the same): the signature goes into `general.signature`.
    #[test]
    fn gate_request_docs_example() {
        let body = params(
            r#"{"general":{"project_id":3254,"payment_id":"id_38202316"},
            "customer":{"id":"585741","email":"johndoe@example.com","first_name":"John","last_name":"Doe",
            "address":"Downing str., 23","identify":{"doc_number":"54122312544"},"ip_address":"198.51.100.47"},
            "payment":{"amount":10800,"currency":"USD","description":"Computer keyboards"},
            "receipt_data":{"positions":[{"quantity":"10","amount":"108","description":"Computer keyboard"}]},
            "return_url":{"success":"https://paymentpage.example.com/complete-redirect?id=success",
            "decline":"https://paymentpage.example.com/complete-redirect?id=decline"}}"#,
        );
        assert_eq!(
            sign(&body, "secret").unwrap(),
            "lagSnuspAn+F6XkmQISqwtBg0PsiTy62fF9x33TM+278mnufIDZyi1yP0BQALuCxyikkIxIMbodBn2F8hMdRwA=="
        );
    }

    #[test]
    fn docs_example() {
        let p = params(
            r#"{"project_id":12345,"payment_id":"X03936","payment_amount":3550,"payment_currency":"USD",
            "payment_description":"Guyliner purchase","customer_first_name":"Jack",
            "customer_last_name":"Sparrow","customer_phone":"02081234567"}"#,
        );
        assert_eq!(
            string_to_sign(&p).unwrap(),
            "customer_first_name:Jack;customer_last_name:Sparrow;customer_phone:02081234567;\
             payment_amount:3550;payment_currency:USD;payment_description:Guyliner purchase;\
             payment_id:X03936;project_id:12345"
        );
        assert_eq!(
            sign(&p, "secret").unwrap(),
            "e+kuzNpbptuGG4G7WxjuT8EFh90v2eMCh2EQ4y+hq5XX/aptGzhpi7a0uk/c7HdXj7M2o33WLrMNLEKD8yl3Kg=="
        );
    }
}
