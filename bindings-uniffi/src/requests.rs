//! Typed requests for Kotlin and Swift: the fields most calls need, typed and with defaults, and
//! `extra_json` for any other (a JSON object; a field given both ways is refused). Each becomes
//! the JSON object the core validates (`*_json` below), so the rules stay the core's: amounts
//! exact in the currency's precision, URLs, required fields, unknown fields refused.

use std::collections::HashMap;

use crate::models::ExactDecimal;
use serde_json::{Map, Value};

use crate::error::Result;

/// A payment invoice to create (`createPaymentInvoice`, `createPaymentInvoicePublic`).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct PaymentInvoiceRequest {
    /// e.g. `payment_card_usd_hpp`.
    pub service: String,
    pub amount: ExactDecimal,
    pub currency: String,
    /// Generated when null; a create is never doubled under one reference id.
    #[uniffi(default = None)]
    pub reference_id: Option<String>,
    #[uniffi(default = None)]
    pub description: Option<String>,
    /// Follows the keys when null (test keys: test mode).
    #[uniffi(default = None)]
    pub test_mode: Option<bool>,
    #[uniffi(default = None)]
    pub return_url: Option<String>,
    #[uniffi(default = None)]
    pub callback_url: Option<String>,
    #[uniffi(default = None)]
    pub service_fields: Option<HashMap<String, String>>,
    #[uniffi(default = None)]
    pub metadata: Option<HashMap<String, String>>,
    /// Any other field of the API (`customer`, `return_urls`, `expires`, …) as a JSON object.
    #[uniffi(default = None)]
    pub extra_json: Option<String>,
}

/// A payout invoice to create (`createPayoutInvoice`).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct PayoutInvoiceRequest {
    /// e.g. `test_usd`.
    pub service: String,
    pub amount: ExactDecimal,
    pub currency: String,
    /// The recipient's fields the service asks for (card or account number, …).
    pub fields: HashMap<String, String>,
    #[uniffi(default = None)]
    pub reference_id: Option<String>,
    #[uniffi(default = None)]
    pub description: Option<String>,
    #[uniffi(default = None)]
    pub test_mode: Option<bool>,
    #[uniffi(default = None)]
    pub callback_url: Option<String>,
    #[uniffi(default = None)]
    pub metadata: Option<HashMap<String, String>>,
    #[uniffi(default = None)]
    pub extra_json: Option<String>,
}

/// A full or partial refund (`refundPaymentInvoice`).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct RefundRequest {
    pub amount: ExactDecimal,
    #[uniffi(default = None)]
    pub reference_id: Option<String>,
    #[uniffi(default = None)]
    pub description: Option<String>,
}

/// Which services serve a currency (and amount): `paymentPrerequest`, `payoutPrerequest`.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct PrerequestRequest {
    pub currency: String,
    #[uniffi(default = None)]
    pub amount: Option<ExactDecimal>,
}

/// Collects fields in order; `None` values are left out.
struct Fields(Map<String, Value>);

impl Fields {
    fn new() -> Fields {
        Fields(Map::new())
    }

    fn set(mut self, key: &str, value: Option<impl Into<Value>>) -> Fields {
        if let Some(value) = value {
            self.0.insert(key.to_owned(), value.into());
        }
        self
    }

    fn amount(self, key: &str, amount: Option<ExactDecimal>) -> Fields {
        self.set(key, amount.map(|a| a.text()))
    }

    fn map(self, key: &str, map: Option<HashMap<String, String>>) -> Fields {
        // Sorted: a HashMap has no order, and the same request should give the same body.
        let sorted = map.map(|m| {
            let mut entries: Vec<_> = m.into_iter().collect();
            entries.sort();
            entries
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect::<Map<_, _>>()
        });
        self.set(key, sorted.map(Value::Object))
    }

    /// The typed fields and then `extra_json`'s, a field given both ways refused.
    fn with_extra(mut self, extra_json: Option<String>) -> Result<String> {
        if let Some(json) = extra_json {
            for (key, value) in crate::params(&json, "extra_json")? {
                if self.0.contains_key(&key) {
                    return Err(polypay::Error::invalid(
                        format!("extra_json.{key}"),
                        "duplicate_field",
                        format!("{key} is a typed field of the request: give it once"),
                    )
                    .into());
                }
                self.0.insert(key, value);
            }
        }
        Ok(Value::Object(self.0).to_string())
    }
}

/// The request as the JSON object the API calls take (`fieldsJson`).
#[uniffi::export]
pub fn payment_invoice_request_json(request: PaymentInvoiceRequest) -> Result<String> {
    Fields::new()
        .set("reference_id", request.reference_id)
        .set("service", Some(request.service))
        .amount("amount", Some(request.amount))
        .set("currency", Some(request.currency))
        .set("description", request.description)
        .set("test_mode", request.test_mode)
        .set("return_url", request.return_url)
        .set("callback_url", request.callback_url)
        .map("service_fields", request.service_fields)
        .map("metadata", request.metadata)
        .with_extra(request.extra_json)
}

#[uniffi::export]
pub fn payout_invoice_request_json(request: PayoutInvoiceRequest) -> Result<String> {
    Fields::new()
        .set("reference_id", request.reference_id)
        .set("service", Some(request.service))
        .amount("amount", Some(request.amount))
        .set("currency", Some(request.currency))
        .map("fields", Some(request.fields))
        .set("description", request.description)
        .set("test_mode", request.test_mode)
        .set("callback_url", request.callback_url)
        .map("metadata", request.metadata)
        .with_extra(request.extra_json)
}

#[uniffi::export]
pub fn refund_request_json(request: RefundRequest) -> Result<String> {
    Fields::new()
        .amount("amount", Some(request.amount))
        .set("reference_id", request.reference_id)
        .set("description", request.description)
        .with_extra(None)
}

#[uniffi::export]
pub fn prerequest_json(request: PrerequestRequest) -> Result<String> {
    Fields::new()
        .set("currency", Some(request.currency))
        .amount("amount", request.amount)
        .with_extra(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoice() -> PaymentInvoiceRequest {
        PaymentInvoiceRequest {
            service: "test_usd_test".into(),
            amount: ExactDecimal("100.550".parse().unwrap()),
            currency: "USD".into(),
            reference_id: Some("r-1".into()),
            description: None,
            test_mode: None,
            return_url: None,
            callback_url: None,
            service_fields: Some(HashMap::from([
                ("status".to_owned(), "success".to_owned()),
                ("a".to_owned(), "1".to_owned()),
            ])),
            metadata: None,
            extra_json: Some(r#"{"customer":{"reference_id":"c-1"}}"#.into()),
        }
    }

    #[test]
    fn typed_fields_then_extra_exact_amount_stable_order() {
        assert_eq!(
            payment_invoice_request_json(invoice()).unwrap(),
            r#"{"reference_id":"r-1","service":"test_usd_test","amount":"100.55","currency":"USD","service_fields":{"a":"1","status":"success"},"customer":{"reference_id":"c-1"}}"#
        );
        let request = polypay::paycore::client::PaymentInvoiceRequest::from_json(
            &crate::params(&payment_invoice_request_json(invoice()).unwrap(), "fields").unwrap(),
        );
        assert!(request.is_ok(), "{request:?}");
    }

    #[test]
    fn a_field_given_twice_or_bad_extra_is_refused_by_name() {
        let twice = PaymentInvoiceRequest {
            extra_json: Some(r#"{"amount":"1"}"#.into()),
            ..invoice()
        };
        let e = payment_invoice_request_json(twice).unwrap_err();
        assert!(
            matches!(&e, crate::PolypayError::InvalidInput { code, argument, .. }
                if code == "duplicate_field" && argument.as_deref() == Some("extra_json.amount")),
            "{e:?}"
        );
        let bad = PaymentInvoiceRequest {
            extra_json: Some("[1]".into()),
            ..invoice()
        };
        assert_eq!(
            payment_invoice_request_json(bad).unwrap_err().kind(),
            "invalid_input"
        );
        assert_eq!(
            refund_request_json(RefundRequest {
                amount: ExactDecimal("10.05".parse().unwrap()),
                reference_id: None,
                description: None
            })
            .unwrap(),
            r#"{"amount":"10.05"}"#
        );
    }
}
