//! ecommpay Payment Page: signing (the PHP SDK's algorithm), signed URLs and callbacks.
//!
//! Layers, lowest first; each module uses only the ones before it, and this module, which
//! holds [`Gate`] and the public paths, uses them all:
//!
//! 1. `php`: the PHP behaviours the reference SDK relies on (natural order, float text,
//!    `urlencode`).
//! 2. `scalar`: one parameter value ([`Scalar`]) and the text PHP makes of it.
//! 3. `canonical`: the canonical form, the string that is signed, fed through [`Params`];
//!    its `php_array` holds PHP's array semantics for the rare integer-like keys.
//! 4. `json_feed`: JSON text fed straight into the canonical form ([`JsonParams`]), also
//!    keeping a callback's signatures and picked members in the same pass.
//! 5. `signature`: [`Signer`], HMAC-SHA512 of the canonical string in base64.
//! 6. `callback`: callback verification and its typed fields.
//! 7. `payment_page`: the [`Payment`] builder and signed Payment Page URLs.
//! 8. `gate`: the server-to-server Gate API ([`GateApi`]).

mod callback;
mod canonical;
mod gate;
mod json_feed;
mod payment_page;
pub mod php;
mod scalar;
mod signature;

pub use callback::{
    verify_callback, EcommpayCallback, Operation, OperationStatus, PaymentStatus, Sum,
};
pub use canonical::{string_to_sign, string_to_sign_params, Canonical, Params};
pub use gate::{
    status_delay_from_millis, status_delay_from_secs, GateAccepted, GateApi, GateError,
    GateOperation, GateOptions, GateOutcome, GatePayment, GateRequest, GateSemantics,
    DEFAULT_API_URL, DEFAULT_STATUS_DELAY,
};
pub use json_feed::JsonParams;
pub use payment_page::{payment_page_url, Payment, DEFAULT_BASE_URL};
pub use scalar::Scalar;
pub use signature::{sign, sign_params, Signer};

use crate::error::Result;
use serde_json::{Map, Value};

/// A project's connection to the Payment Page: its id, secret key and page URL.
/// Cheap to clone and safe to share between threads.
#[derive(Clone)]
pub struct Gate {
    project_id: i64,
    signer: Signer,
    base_url: payment_page::PageBase,
}

impl Gate {
    /// Refuses an empty or whitespace-padded secret, which would sign nothing anyone checks.
    pub fn new(project_id: i64, secret_key: &str, base_url: Option<&str>) -> Result<Gate> {
        callback::check_secret(secret_key).map_err(|e| e.with_argument("secret_key"))?;
        let base_url = payment_page::PageBase::new(base_url.unwrap_or(DEFAULT_BASE_URL))?;
        Ok(Gate {
            project_id,
            signer: Signer::cached(secret_key),
            base_url,
        })
    }

    pub fn project_id(&self) -> i64 {
        self.project_id
    }

    pub fn base_url(&self) -> &str {
        self.base_url.as_str()
    }

    /// A new payment of this project, to fill in and pass to [`Gate::payment_page_url`].
    pub fn payment(&self) -> Payment {
        Payment::new(self.project_id)
    }

    pub fn payment_page_url(&self, payment: &Payment) -> Result<String> {
        self.payment_url(payment.clone())
    }

    /// [`Gate::payment_page_url`], taking the payment (no copy of its parameters).
    pub fn payment_url(&self, payment: Payment) -> Result<String> {
        payment_page::signed_url(&payment.into_params()?, &self.signer, &self.base_url)
    }

    /// The signed URL of a payment given as named fields (see [`Payment::from_fields`]).
    pub fn payment_page_url_from_fields(&self, fields: Map<String, Value>) -> Result<String> {
        self.payment_url(Payment::from_fields(self.project_id, fields)?)
    }

    /// The signed URL for JSON text: the fields of a payment, or whole parameters signed as
    /// given when they include `project_id` (the Node binding's `gate.paymentPageUrl`).
    pub fn payment_page_url_from_json(&self, text: &[u8]) -> Result<String> {
        payment_page::signed_url_from_json(self.project_id, text, &self.signer, &self.base_url)
    }

    /// The signed URL for raw parameters (nothing added).
    pub fn params_url(&self, params: &Map<String, Value>) -> Result<String> {
        payment_page::signed_url(params, &self.signer, &self.base_url)
    }

    pub fn sign(&self, params: &Map<String, Value>) -> Result<String> {
        self.signer.sign(params)
    }

    /// [`Gate::sign`] for any [`Params`] (JSON text, a binding's native mapping).
    pub fn sign_params<P: Params + ?Sized>(
        &self,
        params: &P,
    ) -> std::result::Result<String, P::Error> {
        self.signer.sign_params(params)
    }

    pub fn verify_callback(&self, body: &[u8]) -> Result<EcommpayCallback> {
        callback::verify_with(body, &self.signer)
    }
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("project_id", &self.project_id)
            .field("secret_key", &"<redacted>")
            .field("base_url", &self.base_url)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    /// Whether `source` names `module` as `super::module`, `ecommpay::module` or inside a
    /// `super::{…}` group.
    fn names(source: &str, module: &str) -> bool {
        let grouped = source.split("super::{").skip(1).any(|group| {
            let group = group.split('}').next().unwrap_or_default();
            group.split([',', ' ', '\n']).any(|name| name == module)
        });
        grouped
            || source.contains(&format!("super::{module}"))
            || source.contains(&format!("ecommpay::{module}"))
    }

    #[test]
    fn layers_use_only_earlier_layers() {
        let layers = [
            ("php", include_str!("php.rs")),
            ("scalar", include_str!("scalar.rs")),
            (
                "canonical",
                concat!(
                    include_str!("canonical.rs"),
                    include_str!("canonical/php_array.rs")
                ),
            ),
            ("json_feed", include_str!("json_feed.rs")),
            ("signature", include_str!("signature.rs")),
            ("callback", include_str!("callback.rs")),
            ("payment_page", include_str!("payment_page.rs")),
            ("gate", include_str!("gate.rs")),
        ];
        for (at, (layer, source)) in layers.iter().enumerate() {
            for (later, _) in &layers[at + 1..] {
                assert!(!names(source, later), "{layer} uses {later}, a later layer");
            }
        }
    }
}
