//! ecommpay Payment Page: signing (the PHP SDK's algorithm), signed URLs and callbacks.

mod callback;
mod payment_page;
pub mod php;
mod php_array;
mod signature;

pub use callback::{
    verify_callback, EcommpayCallback, Operation, OperationStatus, PaymentStatus, Sum,
};
pub use payment_page::{payment_page_url, Payment, DEFAULT_BASE_URL};
pub use signature::{sign, string_to_sign, Signer};

use crate::error::Result;
use serde_json::{Map, Value};

/// A project's connection to the Payment Page: its id, secret key and page URL.
/// Cheap to clone and safe to share between threads.
#[derive(Clone)]
pub struct Gate {
    project_id: i64,
    signer: Signer,
    base_url: String,
}

impl Gate {
    /// Refuses an empty or whitespace-padded secret, which would sign nothing anyone checks.
    pub fn new(project_id: i64, secret_key: &str, base_url: Option<&str>) -> Result<Gate> {
        callback::check_secret(secret_key).map_err(|e| e.with_argument("secret_key"))?;
        let base_url = payment_page::normalise_base_url(base_url.unwrap_or(DEFAULT_BASE_URL))?;
        Ok(Gate {
            project_id,
            signer: Signer::new(secret_key),
            base_url: base_url.to_owned(),
        })
    }

    pub fn project_id(&self) -> i64 {
        self.project_id
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A new payment of this project, to fill in and pass to [`Gate::payment_page_url`].
    pub fn payment(&self) -> Payment {
        Payment::new(self.project_id)
    }

    pub fn payment_page_url(&self, payment: &Payment) -> Result<String> {
        payment_page::signed_url(&payment.to_params()?, &self.signer, &self.base_url)
    }

    /// The signed URL for raw parameters (nothing added).
    pub fn params_url(&self, params: &Map<String, Value>) -> Result<String> {
        payment_page::signed_url(params, &self.signer, &self.base_url)
    }

    pub fn sign(&self, params: &Map<String, Value>) -> Result<String> {
        self.signer.sign(params)
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
