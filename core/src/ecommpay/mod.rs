//! ecommpay Payment Page: signing (the PHP SDK's algorithm), signed URLs and callbacks.

mod callback;
mod json_feed;
mod payment_page;
pub mod php;
mod php_array;
mod signature;

pub use callback::{
    verify_callback, EcommpayCallback, Operation, OperationStatus, PaymentStatus, Sum,
};
pub use payment_page::{payment_page_url, Payment, DEFAULT_BASE_URL};
pub use signature::{
    sign, sign_params, string_to_sign, string_to_sign_params, Canonical, JsonParams, Params,
    Scalar, Signer,
};

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
