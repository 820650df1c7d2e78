//! PayCore callbacks: verify the `X-Signature` on the raw body, then read the JSON:API document.

use serde_json::Value;

use super::model::{PaymentInvoice, PayoutInvoice};
use super::signature;
use crate::error::{Error, Result};
use crate::json;
use crate::ledger::{LedgerEvent, Lifecycle};

/// What a callback reports: the invoice in its new state. The whole document (including
/// `included`, if any) stays available through [`CallbackEvent::raw`].
///
/// Every binding shows it in one shape: `event_type`, `id`, `status`, `is_final`, `is_success`,
/// `invoice` (the payment or payout invoice record; none for other resource types) and `raw`
/// (the whole document).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CallbackEvent {
    PaymentInvoice {
        invoice: PaymentInvoice,
        raw: Value,
    },
    PayoutInvoice {
        invoice: PayoutInvoice,
        raw: Value,
    },
    /// A resource type this SDK version does not model yet (kept whole).
    Other {
        event_type: String,
        id: String,
        raw: Value,
    },
}

/// Verifies `signature` over the exact `body` bytes, and only then parses the body.
pub fn verify(body: &[u8], signature: &str, secret: &str) -> Result<CallbackEvent> {
    signature::verify_callback(body, signature, secret)?;
    CallbackEvent::parse_unverified(body)
}

impl CallbackEvent {
    /// Parses a callback body **without checking its signature**: for tests and tooling only.
    pub fn parse_unverified(body: &[u8]) -> Result<CallbackEvent> {
        let document = json::parse_value(body, "body")?;
        let data = document
            .get("data")
            .filter(|d| d.is_object())
            .ok_or_else(|| not_an_invoice("has no JSON:API \"data\" object"))?;
        let event_type = data
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| not_an_invoice("has no data.type"))?
            .to_owned();
        let missing_id = || not_an_invoice("has no data.id");
        let is_invoice = matches!(
            event_type.as_str(),
            "payment-invoices" | "payment-invoice" | "payout-invoices" | "payout-invoice"
        );
        if is_invoice && !data["attributes"]["status"].is_string() {
            return Err(not_an_invoice("has no data.attributes.status"));
        }
        Ok(match event_type.as_str() {
            "payment-invoices" | "payment-invoice" => CallbackEvent::PaymentInvoice {
                invoice: PaymentInvoice::from_resource(data.clone()).ok_or_else(missing_id)?,
                raw: document,
            },
            "payout-invoices" | "payout-invoice" => CallbackEvent::PayoutInvoice {
                invoice: PayoutInvoice::from_resource(data.clone()).ok_or_else(missing_id)?,
                raw: document,
            },
            _ => CallbackEvent::Other {
                id: json::read::string(data.as_object().expect("checked"), "id")
                    .ok_or_else(missing_id)?,
                event_type,
                raw: document,
            },
        })
    }

    /// `data.type` as sent (`payment-invoices`, `payout-invoices`, ...).
    pub fn event_type(&self) -> &str {
        match self {
            CallbackEvent::PaymentInvoice { raw, .. }
            | CallbackEvent::PayoutInvoice { raw, .. } => {
                raw["data"]["type"].as_str().unwrap_or_default()
            }
            CallbackEvent::Other { event_type, .. } => event_type,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            CallbackEvent::PaymentInvoice { invoice, .. } => &invoice.id,
            CallbackEvent::PayoutInvoice { invoice, .. } => &invoice.id,
            CallbackEvent::Other { id, .. } => id,
        }
    }

    /// The status as sent, whatever the invoice type.
    pub fn status(&self) -> &str {
        match self {
            CallbackEvent::PaymentInvoice { invoice, .. } => invoice.status.as_str(),
            CallbackEvent::PayoutInvoice { invoice, .. } => invoice.status.as_str(),
            CallbackEvent::Other { raw, .. } => raw["data"]["attributes"]["status"]
                .as_str()
                .unwrap_or_default(),
        }
    }

    pub fn is_final(&self) -> bool {
        match self {
            CallbackEvent::PaymentInvoice { invoice, .. } => invoice.is_final(),
            CallbackEvent::PayoutInvoice { invoice, .. } => invoice.is_final(),
            CallbackEvent::Other { .. } => false,
        }
    }

    pub fn is_success(&self) -> bool {
        match self {
            CallbackEvent::PaymentInvoice { invoice, .. } => invoice.is_success(),
            CallbackEvent::PayoutInvoice { invoice, .. } => invoice.is_success(),
            CallbackEvent::Other { .. } => false,
        }
    }

    /// The invoice's new state for the exactly-once ledger (`id`, `status`, `updated`); `None`
    /// for a resource type this version does not model.
    pub fn ledger_event(&self) -> Option<LedgerEvent> {
        let (lifecycle, updated) = match self {
            CallbackEvent::PaymentInvoice { invoice, .. } => {
                (Lifecycle::PaycorePayment, invoice.updated)
            }
            CallbackEvent::PayoutInvoice { invoice, .. } => {
                (Lifecycle::PaycorePayout, invoice.updated)
            }
            CallbackEvent::Other { .. } => return None,
        };
        let time = updated.map(|t| t.timestamp());
        LedgerEvent::new(lifecycle, self.id(), self.status(), time).ok()
    }

    /// The whole callback document as received.
    pub fn raw(&self) -> &Value {
        match self {
            CallbackEvent::PaymentInvoice { raw, .. }
            | CallbackEvent::PayoutInvoice { raw, .. }
            | CallbackEvent::Other { raw, .. } => raw,
        }
    }
}

fn not_an_invoice(why: &str) -> Error {
    Error::invalid(
        "body",
        "not_a_callback",
        format!("is not a PayCore callback document: it {why}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "sk_test_EXAMPLEKEY";

    #[test]
    fn verifies_before_parsing() {
        let body = br#"{"data":{"type":"payout-invoices","id":"cpoi_1","attributes":{"status":"canceled","amount":"10.00"}}}"#;
        let sig = signature::sign_callback(body, SECRET).unwrap();
        let event = verify(body, &sig, SECRET).unwrap();
        assert_eq!(event.event_type(), "payout-invoices");
        assert_eq!(event.id(), "cpoi_1");
        assert!(event.is_final() && !event.is_success());

        let tampered = br#"{"data":{"type":"payout-invoices","id":"cpoi_1","attributes":{"status":"processed","amount":"10.00"}}}"#;
        assert_eq!(
            verify(tampered, &sig, SECRET).unwrap_err().code(),
            "mismatch"
        );
    }

    #[test]
    fn unknown_types_are_kept() {
        let body =
            br#"{"data":{"type":"refunds","id":"ref_1","attributes":{"status":"processed"}}}"#;
        let event = CallbackEvent::parse_unverified(body).unwrap();
        assert_eq!(event.event_type(), "refunds");
        assert_eq!(event.status(), "processed");
        assert!(!event.is_final());
        assert_eq!(
            CallbackEvent::parse_unverified(b"[]").unwrap_err().code(),
            "not_a_callback"
        );
    }
}
