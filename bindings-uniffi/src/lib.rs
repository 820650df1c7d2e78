//! `polypay-uniffi`: the Kotlin and Swift binding of the polypay core, with uniffi proc-macros.
//! Conversion and idiom only; every rule lives in the core.
//!
//! Dynamic parameter maps (ecommpay params, PayCore HPP params, request fields) cross the FFI as
//! **JSON text**, parsed by the core with key order and number lexemes kept (`10.0` stays a float,
//! `9223372036854775808` keeps its digits). Typed records would lose exactly what ecommpay signing
//! depends on; JSON text is what a Kotlin/Swift app already has (`JSONObject.toString()`,
//! `JSONSerialization`, kotlinx.serialization) and it is the format of `tests/vectors`.
//! Raw callback bodies cross as bytes (`ByteArray` / `Data`), never re-serialised.

// The error carries every detail by value (it is lowered across the FFI field by field); the
// size of an `Err` is irrelevant next to an FFI call.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use polypay::ecommpay;
use polypay::paycore::{self, Environment, HppParams};
use serde_json::{Map, Value};

mod client;
mod error;
mod gate;
mod ledger;
mod logging;
mod models;
mod requests;
mod wrappers;

pub use client::{
    CallToken, ClientOptions, PayCoreClient, PublicClientOptions, PublicPayCoreClient,
};
pub use error::{FieldError, PolypayError, Result};
pub use gate::{EcommpayGateApi, GateAccepted, GateApiOptions, GateErrorItem, GatePayment};
pub use ledger::{ledger_decide, LedgerEvent, LedgerVerdict};
pub use logging::{set_logger, LogLevel, PolypayLogger};
pub use models::*;
pub use requests::*;

uniffi::setup_scaffolding!();

fn params(json: &str, argument: &str) -> Result<Map<String, Value>> {
    Ok(polypay::json::parse_object(json.as_bytes(), argument)?)
}

// ---- ecommpay -------------------------------------------------------------------------------

/// The ecommpay signature (base64 HMAC-SHA512) of `params_json`.
#[uniffi::export]
pub fn ecommpay_sign(params_json: String, secret: String) -> Result<String> {
    Ok(ecommpay::sign(&params(&params_json, "params")?, &secret)?)
}

/// The canonical string that is signed (for debugging signature mismatches).
#[uniffi::export]
pub fn ecommpay_string_to_sign(params_json: String) -> Result<String> {
    Ok(ecommpay::string_to_sign(&params(&params_json, "params")?)?)
}

/// The signed payment page URL for raw parameters.
#[uniffi::export(default(base_url = None))]
pub fn ecommpay_payment_page_url(
    params_json: String,
    secret: String,
    base_url: Option<String>,
) -> Result<String> {
    let params = params(&params_json, "params")?;
    Ok(ecommpay::payment_page_url(
        &params,
        &secret,
        base_url.as_deref(),
    )?)
}

/// Verifies an ecommpay callback over its raw body.
#[uniffi::export]
pub fn ecommpay_verify_callback(body: Vec<u8>, secret: String) -> Result<EcommpayCallback> {
    let callback = ecommpay::verify_callback(&body, &secret)?;
    Ok(EcommpayCallback::new(&callback))
}

/// PHP `strnatcmp` as used to order signed paths: -1, 0 or 1.
#[uniffi::export]
pub fn ecommpay_natcmp(a: Vec<u8>, b: Vec<u8>) -> i32 {
    ecommpay::php::natcmp(&a, &b) as i32
}

/// `best_before` as the Payment Page expects it (PHP's `DateTime::format('c')`, in UTC).
#[uniffi::export]
pub fn ecommpay_best_before(at: std::time::SystemTime) -> String {
    ecommpay::php::date_c(&chrono::DateTime::<chrono::Utc>::from(at).fixed_offset())
}

/// PHP `(string)$float` (precision 14), as floats are signed.
#[uniffi::export]
pub fn ecommpay_php_float(value: f64) -> String {
    ecommpay::php::float_to_string(value)
}

/// An ecommpay project: signs, builds payment page URLs, verifies callbacks.
#[derive(uniffi::Object)]
pub struct EcommpayGate {
    gate: ecommpay::Gate,
}

#[uniffi::export]
impl EcommpayGate {
    #[uniffi::constructor(default(base_url = None))]
    pub fn new(project_id: i64, secret_key: String, base_url: Option<String>) -> Result<Arc<Self>> {
        let gate = ecommpay::Gate::new(project_id, &secret_key, base_url.as_deref())?;
        Ok(Arc::new(EcommpayGate { gate }))
    }

    pub fn project_id(&self) -> i64 {
        self.gate.project_id()
    }

    pub fn base_url(&self) -> String {
        self.gate.base_url().to_owned()
    }

    /// The signed URL of a payment built from `fields_json` (`project_id` comes from the gate;
    /// `interface_type` and `payment_id` are placed first, `booking_info` may be an object).
    pub fn payment_page_url(&self, fields_json: String) -> Result<String> {
        let fields = params(&fields_json, "payment")?;
        Ok(self.gate.payment_page_url_from_fields(fields)?)
    }

    /// The signed URL for raw parameters (nothing added).
    pub fn params_url(&self, params_json: String) -> Result<String> {
        Ok(self.gate.params_url(&params(&params_json, "params")?)?)
    }

    pub fn sign(&self, params_json: String) -> Result<String> {
        Ok(self.gate.sign(&params(&params_json, "params")?)?)
    }

    pub fn verify_callback(&self, body: Vec<u8>) -> Result<EcommpayCallback> {
        Ok(EcommpayCallback::new(&self.gate.verify_callback(&body)?))
    }
}

// ---- PayCore --------------------------------------------------------------------------------

/// The X-Signature of a callback body (for tests and tooling).
#[uniffi::export]
pub fn paycore_sign_callback(body: Vec<u8>, secret: String) -> Result<String> {
    Ok(paycore::sign_callback(&body, &secret)?)
}

/// Checks the X-Signature only (throws a `Signature` error).
#[uniffi::export]
pub fn paycore_verify_signature(body: Vec<u8>, signature: String, secret: String) -> Result<()> {
    Ok(paycore::verify_callback(&body, &signature, &secret)?)
}

/// Verifies the X-Signature, then parses the callback.
#[uniffi::export]
pub fn paycore_verify_callback(
    body: Vec<u8>,
    signature: String,
    secret: String,
) -> Result<CallbackEvent> {
    let event = paycore::callback::verify(&body, &signature, &secret)?;
    Ok(CallbackEvent::new(&event))
}

fn hpp(
    params_json: &str,
    env: Option<&str>,
    base_url: Option<&str>,
) -> Result<(HppParams, Environment)> {
    let params = params(params_json, "params")?;
    let env = Environment::resolve(env, base_url)?;
    let params = HppParams::from_json(&params)?;
    Ok((params, env))
}

/// The hosted payment page URL. The deployment is `base_url` (the local `polypay sandbox`, a
/// white label) or `env` (`"paycore"`, `"corefy"`, `"paymega"`; default `"paycore"`).
#[uniffi::export(default(env = None, base_url = None))]
pub fn paycore_hpp_url(
    params_json: String,
    env: Option<String>,
    base_url: Option<String>,
) -> Result<String> {
    let (params, env) = hpp(&params_json, env.as_deref(), base_url.as_deref())?;
    Ok(params.url(&env)?)
}

/// The hosted payment page as an auto-submitting POST form (`env`/`base_url` as for the URL).
#[uniffi::export(default(env = None, base_url = None, button_label = "Pay"))]
pub fn paycore_hpp_form(
    params_json: String,
    env: Option<String>,
    base_url: Option<String>,
    button_label: String,
) -> Result<HppForm> {
    let (params, env) = hpp(&params_json, env.as_deref(), base_url.as_deref())?;
    let form = params.form(&env)?;
    Ok(HppForm {
        action: form.action.clone(),
        method: form.method.to_owned(),
        fields: form
            .fields
            .iter()
            .map(|(name, value)| FormField {
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
        html: form.to_html(&button_label),
    })
}

/// The version of this library.
#[uniffi::export]
pub fn polypay_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
