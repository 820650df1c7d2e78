//! ecommpay callbacks (docs §3): the signature travels inside the JSON body.
//!
//! Verification reads the raw body (numbers keep their exact text), takes the signature from
//! `signature` or `general.signature`, removes every `signature` key at every depth (inside
//! lists too), re-signs the rest and compares in constant time.

use serde_json::{Map, Value};

use super::signature::Signer;
use crate::error::{Error, Result};
use crate::json::{self, read};
use crate::open_enum::open_enum;

open_enum! {
    /// `payment.status` (PHP SDK constants plus the WooCommerce plugin's extra values).
    pub enum PaymentStatus {
        Success = "success",
        Decline = "decline",
        Awaiting3dsResult = "awaiting 3ds result",
        AwaitingRedirectResult = "awaiting redirect result",
        AwaitingCustomer = "awaiting customer",
        AwaitingClarification = "awaiting clarification",
        AwaitingCapture = "awaiting capture",
        /// The platform spells it `canceled`; older SDKs `cancelled`.
        Canceled = "canceled" | "cancelled",
        Refunded = "refunded",
        PartiallyRefunded = "partially refunded",
        Processing = "processing",
        Error = "error",
        Reversed = "reversed",
        PartiallyReversed = "partially reversed",
        Expired = "expired",
        InternalError = "internal error",
        ExternalError = "external error",
    }
}

impl PaymentStatus {
    pub fn is_success(&self) -> bool {
        matches!(self, PaymentStatus::Success)
    }
}

open_enum! {
    /// `operation.status`.
    pub enum OperationStatus {
        Success = "success",
        Decline = "decline",
        Processing = "processing",
        AwaitingApproval = "awaiting approval",
        Awaiting3dsResult = "awaiting 3ds result",
        AwaitingRedirectResult = "awaiting redirect result",
        AwaitingCustomer = "awaiting customer",
        ExternalProcessing = "external processing",
        ExternalError = "external error",
        InternalError = "internal error",
        Expired = "expired",
        Unknown = "unknown",
    }
}

/// An amount in minor units with its currency (`payment.sum`, `operation.sum_initial`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sum {
    pub amount: i64,
    pub currency: String,
}

/// The last operation of the payment (`operation`).
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub id: Option<String>,
    pub operation_type: Option<String>,
    pub status: Option<OperationStatus>,
    pub request_id: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub sum_initial: Option<Sum>,
    pub sum_converted: Option<Sum>,
}

/// A verified callback, with typed accessors over the body and the whole body in [`raw`](Self::raw).
#[derive(Debug, Clone, PartialEq)]
pub struct EcommpayCallback {
    body: Map<String, Value>,
}

/// Verifies a raw callback body with the project's secret key.
pub fn verify_callback(body: &[u8], secret: &str) -> Result<EcommpayCallback> {
    check_secret(secret)?;
    verify_with(body, &Signer::new(secret))
}

pub(crate) fn verify_with(body: &[u8], signer: &Signer) -> Result<EcommpayCallback> {
    let mut document = json::parse_object(body, "body")?;
    let signature = take_signature(&document)?;
    strip_signatures(&mut document);
    if signer.verify(&document, &signature)? {
        Ok(EcommpayCallback { body: document })
    } else {
        Err(Error::signature(
            "mismatch",
            "the callback signature does not match its body: check the project's secret key \
             and that the raw request body is passed (string_to_sign() shows what was signed)",
        ))
    }
}

/// The secret must be usable: empty or whitespace-padded keys would accept forged callbacks
/// or reject every real one.
pub(crate) fn check_secret(secret: &str) -> Result<()> {
    if secret.is_empty() {
        return Err(Error::invalid(
            "secret",
            "empty_secret",
            "is empty; pass the project's secret key",
        ));
    }
    if secret.trim() != secret {
        return Err(Error::invalid(
            "secret",
            "whitespace_secret",
            "has leading or trailing whitespace (a newline from an env file?); strip it",
        ));
    }
    Ok(())
}

/// `signature ?? general.signature` (PHP's `??` skips nulls); "" and "0" count as absent.
fn take_signature(document: &Map<String, Value>) -> Result<String> {
    let found = document
        .get("signature")
        .filter(|v| !v.is_null())
        .or_else(|| {
            document
                .get("general")
                .and_then(Value::as_object)
                .and_then(|general| general.get("signature"))
        });
    match found {
        Some(Value::String(s)) if !s.is_empty() && s != "0" => Ok(s.clone()),
        Some(Value::String(_)) | Some(Value::Null) | None => Err(Error::signature(
            "missing",
            "the callback has no signature (looked at \"signature\" and \"general.signature\")",
        )),
        Some(other) => Err(Error::signature(
            "malformed",
            format!(
                "the callback's signature is {}, not a string",
                json::type_name(other)
            ),
        )),
    }
}

fn strip_signatures(map: &mut Map<String, Value>) {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => strip_signatures(map),
            Value::Array(list) => list.iter_mut().for_each(strip),
            _ => {}
        }
    }
    map.shift_remove("signature");
    map.values_mut().for_each(strip);
}

impl EcommpayCallback {
    /// The verified body without its `signature` fields.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.body
    }

    fn payment(&self) -> Option<&Map<String, Value>> {
        read::object(&self.body, "payment")
    }

    fn general(&self) -> Option<&Map<String, Value>> {
        read::object(&self.body, "general")
    }

    pub fn project_id(&self) -> Option<i64> {
        read::integer(&self.body, "project_id")
            .or_else(|| self.general().and_then(|g| read::integer(g, "project_id")))
    }

    /// `payment.id`, or `general.payment_id` in Gate-format callbacks.
    pub fn payment_id(&self) -> Option<String> {
        self.payment()
            .and_then(|p| read::string(p, "id"))
            .or_else(|| self.general().and_then(|g| read::string(g, "payment_id")))
    }

    pub fn payment_type(&self) -> Option<String> {
        self.payment().and_then(|p| read::string(p, "type"))
    }

    pub fn payment_status(&self) -> Option<PaymentStatus> {
        self.payment()
            .and_then(|p| read::string(p, "status"))
            .map(|s| PaymentStatus::parse(&s))
    }

    pub fn payment_sum(&self) -> Option<Sum> {
        self.payment().and_then(|p| sum(p, "sum"))
    }

    pub fn operation(&self) -> Option<Operation> {
        let op = read::object(&self.body, "operation")?;
        Some(Operation {
            id: read::string(op, "id"),
            operation_type: read::string(op, "type"),
            status: read::string(op, "status").map(|s| OperationStatus::parse(&s)),
            request_id: read::string(op, "request_id"),
            code: read::string(op, "code"),
            message: read::string(op, "message"),
            sum_initial: sum(op, "sum_initial"),
            sum_converted: sum(op, "sum_converted"),
        })
    }

    /// The payment succeeded (`payment.status == "success"`).
    pub fn is_success(&self) -> bool {
        self.payment_status().is_some_and(|s| s.is_success())
    }
}

fn sum(parent: &Map<String, Value>, key: &str) -> Option<Sum> {
    let obj = read::object(parent, key)?;
    Some(Sum {
        amount: read::integer(obj, "amount")?,
        currency: read::string(obj, "currency")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecommpay::signature::sign;

    fn signed(body: &str, secret: &str) -> String {
        let mut doc: Map<String, Value> = serde_json::from_str(body).unwrap();
        let sig = sign(&doc, secret).unwrap();
        doc.insert("signature".into(), Value::String(sig));
        serde_json::to_string(&doc).unwrap()
    }

    #[test]
    fn verifies_and_reads() {
        let body = signed(
            r#"{"project_id":1,"payment":{"id":"p-1","type":"purchase","status":"success","sum":{"amount":125000,"currency":"EUR"}},
            "operation":{"id":1000000000001,"type":"sale","status":"success","sum_initial":{"amount":125000,"currency":"EUR"}},"rate":10.0}"#,
            "secret",
        );
        let cb = verify_callback(body.as_bytes(), "secret").unwrap();
        assert_eq!(cb.payment_id().as_deref(), Some("p-1"));
        assert!(cb.is_success());
        assert_eq!(cb.payment_sum().unwrap().amount, 125000);
        let op = cb.operation().unwrap();
        assert_eq!(op.id.as_deref(), Some("1000000000001"));
        assert_eq!(op.status, Some(OperationStatus::Success));
        assert_eq!(
            verify_callback(body.replace("125000", "125001").as_bytes(), "secret")
                .unwrap_err()
                .code(),
            "mismatch"
        );
        assert_eq!(
            verify_callback(body.as_bytes(), "other")
                .unwrap_err()
                .code(),
            "mismatch"
        );
    }

    #[test]
    fn signature_lookup_and_removal() {
        let inner = r#"{"general":{"project_id":1,"payment_id":"g-1"},"ops":[{"signature":"x","id":1}],"m":{"signature":"y"}}"#;
        let mut doc: Map<String, Value> = serde_json::from_str(inner).unwrap();
        strip_signatures(&mut doc);
        let sig = sign(&doc, "k").unwrap();
        let body = inner.replace(
            r#""project_id":1,"#,
            &format!(r#""project_id":1,"signature":"{sig}","#),
        );
        let cb = verify_callback(body.as_bytes(), "k").unwrap();
        assert_eq!(cb.payment_id().as_deref(), Some("g-1"));
        assert_eq!(cb.project_id(), Some(1));

        let code = |body: &str| verify_callback(body.as_bytes(), "k").unwrap_err().code();
        assert_eq!(code(r#"{"a":1}"#), "missing");
        assert_eq!(code(r#"{"signature":"0"}"#), "missing");
        assert_eq!(code(r#"{"signature":12}"#), "malformed");
        assert_eq!(code(r#"{"body":{"signature":"x"}}"#), "missing");
        assert_eq!(code("[]"), "not_an_object");
        assert_eq!(code("nonsense"), "invalid_json");
        assert_eq!(
            verify_callback(b"{}", "").unwrap_err().code(),
            "empty_secret"
        );
    }
}
