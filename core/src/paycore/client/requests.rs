//! Request bodies of the Commerce API, validated before anything is sent.
//!
//! Each request is a JSON object of the operation's fields (the shape the CLI and every
//! binding pass), checked against a small schema: types, required fields, exact money in the
//! currency's precision, URLs, the `expires` window, and nested rules (`customer.reference_id`,
//! `return_urls.pending`). Unknown fields are refused, so a typo never silently drops data.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::money::{Amount, Currency, Money};

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Bool,
    Amount,
    Currency,
    Object,
    Url,
    DateTime,
}

struct Field {
    name: &'static str,
    kind: Kind,
    required: bool,
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
    }
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
    }
}

const PAYMENT_INVOICE: &[Field] = &[
    opt("reference_id", Kind::Text),
    req("service", Kind::Text),
    req("currency", Kind::Currency),
    req("amount", Kind::Amount),
    opt("flow", Kind::Text),
    opt("test_mode", Kind::Bool),
    opt("description", Kind::Text),
    opt("customer", Kind::Object),
    opt("metadata", Kind::Object),
    opt("service_fields", Kind::Object),
    opt("return_url", Kind::Url),
    opt("return_urls", Kind::Object),
    opt("callback_url", Kind::Url),
    opt("expires", Kind::DateTime),
    opt("gateway_options", Kind::Object),
];

const PAYOUT_INVOICE: &[Field] = &[
    opt("reference_id", Kind::Text),
    req("service", Kind::Text),
    req("currency", Kind::Currency),
    req("amount", Kind::Amount),
    opt("fields", Kind::Object),
    opt("token", Kind::Text),
    opt("service_amount", Kind::Amount),
    opt("test_mode", Kind::Bool),
    opt("description", Kind::Text),
    opt("callback_url", Kind::Url),
    opt("options", Kind::Object),
    opt("customer", Kind::Object),
    opt("metadata", Kind::Object),
    opt("context", Kind::Object),
    opt("payment_id", Kind::Text),
];

const REFUND: &[Field] = &[
    req("amount", Kind::Amount),
    opt("reference_id", Kind::Text),
    opt("description", Kind::Text),
];

const PREREQUEST: &[Field] = &[req("currency", Kind::Currency), opt("amount", Kind::Amount)];

/// A payment invoice to create (private or public API).
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentInvoiceRequest(pub(crate) Map<String, Value>);

/// A payout invoice to create (private API only).
#[derive(Debug, Clone, PartialEq)]
pub struct PayoutInvoiceRequest(pub(crate) Map<String, Value>);

/// A (partial) refund of a payment invoice.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundRequest(pub(crate) Map<String, Value>);

/// A payment or payout pre-request: which services serve this currency (and amount).
#[derive(Debug, Clone, PartialEq)]
pub struct PrerequestRequest(pub(crate) Map<String, Value>);

macro_rules! request_common {
    ($name:ident, $schema:expr, $what:literal) => {
        impl $name {
            /// Reads and validates the fields of a JSON object.
            pub fn from_json(fields: &Map<String, Value>) -> Result<Self> {
                let request = $name(fields.clone());
                request.validate()?;
                Ok(request)
            }

            /// Checks every rule the gateway would enforce, before anything is sent.
            pub fn validate(&self) -> Result<()> {
                validate(&self.0, $schema, $what)
            }

            /// Sets any field (validated when the request is sent).
            pub fn set(mut self, key: &str, value: impl Into<Value>) -> Self {
                self.0.insert(key.to_owned(), value.into());
                self
            }

            pub fn fields(&self) -> &Map<String, Value> {
                &self.0
            }

            pub fn reference_id(&self) -> Option<&str> {
                self.0.get("reference_id").and_then(Value::as_str)
            }
        }
    };
}

request_common!(PaymentInvoiceRequest, PAYMENT_INVOICE, "payment invoice");
request_common!(PayoutInvoiceRequest, PAYOUT_INVOICE, "payout invoice");
request_common!(RefundRequest, REFUND, "refund");
request_common!(PrerequestRequest, PREREQUEST, "pre-request");

impl PaymentInvoiceRequest {
    /// `service` (e.g. `payment_card_usd_hpp`) and the amount to charge.
    pub fn new(service: &str, money: Money) -> Self {
        PaymentInvoiceRequest(money_fields(money)).set("service", service)
    }

    pub fn test_mode(&self) -> Option<bool> {
        self.0.get("test_mode").and_then(Value::as_bool)
    }
}

impl PayoutInvoiceRequest {
    /// `service` (e.g. `test_usd`), the amount to pay out and the recipient's `fields`.
    pub fn new(service: &str, money: Money, fields: Value) -> Self {
        PayoutInvoiceRequest(money_fields(money))
            .set("service", service)
            .set("fields", fields)
    }

    pub fn test_mode(&self) -> Option<bool> {
        self.0.get("test_mode").and_then(Value::as_bool)
    }
}

impl RefundRequest {
    pub fn new(amount: Amount) -> Self {
        RefundRequest(Map::new()).set("amount", amount.to_json())
    }
}

impl PrerequestRequest {
    pub fn new(currency: Currency) -> Self {
        PrerequestRequest(Map::new()).set("currency", currency.code())
    }
}

/// The request's `reference_id`, generated (a UUID) when the caller gave none, so every
/// create can be looked up if its outcome is unknown.
pub(crate) fn ensure_reference_id(fields: &mut Map<String, Value>) -> String {
    if let Some(id) = fields.get("reference_id").and_then(Value::as_str) {
        return id.to_owned();
    }
    let id = uuid::Uuid::new_v4().to_string();
    fields.insert("reference_id".into(), Value::String(id.clone()));
    id
}

fn money_fields(money: Money) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("amount".into(), money.amount().to_json());
    map.insert("currency".into(), Value::from(money.currency().code()));
    map
}

fn validate(fields: &Map<String, Value>, schema: &[Field], what: &str) -> Result<()> {
    if let Some(unknown) = fields
        .keys()
        .find(|key| !schema.iter().any(|f| f.name == key.as_str()))
    {
        let known: Vec<&str> = schema.iter().map(|f| f.name).collect();
        return Err(Error::invalid(
            unknown.clone(),
            "unknown_parameter",
            format!("is not a {what} field; known: {}", known.join(", ")),
        ));
    }
    for field in schema {
        match fields.get(field.name).filter(|v| !v.is_null()) {
            None if field.required => {
                return Err(Error::invalid(
                    field.name,
                    "missing",
                    format!("is required for a {what}"),
                ))
            }
            None => {}
            Some(value) => check_kind(field.name, field.kind, value)?,
        }
    }
    if let (Some(amount), Some(currency)) = (fields.get("amount"), fields.get("currency")) {
        let currency = Currency::parse(currency.as_str().unwrap_or_default())?;
        Money::new(Amount::from_json(amount)?, currency)?;
    } else if let Some(amount) = fields.get("amount") {
        if Amount::from_json(amount)?.is_zero() {
            return Err(Error::invalid(
                "amount",
                "zero_amount",
                "must be greater than 0",
            ));
        }
    }
    if let Some(customer) = fields.get("customer").and_then(Value::as_object) {
        let reference = customer.get("reference_id").and_then(Value::as_str);
        if reference.is_none_or(str::is_empty) {
            return Err(Error::invalid(
                "customer.reference_id",
                "missing",
                "is required when a customer is given",
            ));
        }
    }
    if let Some(urls) = fields.get("return_urls").and_then(Value::as_object) {
        for (key, url) in urls {
            if !["success", "fail", "pending"].contains(&key.as_str()) {
                return Err(Error::invalid(
                    format!("return_urls.{key}"),
                    "unknown_parameter",
                    "return_urls takes success, fail and pending",
                ));
            }
            check_kind(&format!("return_urls.{key}"), Kind::Url, url)?;
        }
        if !urls.contains_key("pending") {
            return Err(Error::invalid(
                "return_urls.pending",
                "missing",
                "is required when return_urls is given",
            ));
        }
    }
    if let Some(expires) = fields.get("expires").and_then(Value::as_str) {
        let at = DateTime::parse_from_rfc3339(expires)
            .expect("checked")
            .with_timezone(&Utc);
        let ahead = at - Utc::now();
        if ahead < Duration::minutes(14) || ahead > Duration::days(2) {
            return Err(Error::invalid(
                "expires",
                "out_of_range",
                "must be between 14 minutes and 2 days from now",
            ));
        }
    }
    Ok(())
}

fn check_kind(name: &str, kind: Kind, value: &Value) -> Result<()> {
    let wrong = |expected: &str| {
        Err(Error::invalid(
            name,
            "wrong_type",
            format!("must be {expected}, got {}", crate::json::type_name(value)),
        ))
    };
    match kind {
        Kind::Text => match value.as_str() {
            Some(s) if !s.is_empty() => Ok(()),
            Some(_) => Err(Error::invalid(name, "empty", "must not be empty")),
            None => wrong("a string"),
        },
        Kind::Bool => match value {
            Value::Bool(_) => Ok(()),
            _ => wrong("true or false"),
        },
        Kind::Amount => Amount::from_json(value)
            .map(|_| ())
            .map_err(|e| e.with_argument(name)),
        Kind::Currency => match value.as_str() {
            Some(code) => Currency::parse(code)
                .map(|_| ())
                .map_err(|e| e.with_argument(name)),
            None => wrong("a currency code string"),
        },
        Kind::Object => match value {
            Value::Object(_) => Ok(()),
            _ => wrong("an object"),
        },
        Kind::Url => match value.as_str() {
            Some(url) => crate::urls::check(url, name, crate::urls::UrlUse::Link).map(|_| ()),
            None => wrong("a URL string"),
        },
        Kind::DateTime => match value.as_str().map(DateTime::parse_from_rfc3339) {
            Some(Ok(_)) => Ok(()),
            _ => wrong("an ISO 8601 date-time such as 2030-12-13T15:52:00+00:00"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment(json: &str) -> Result<PaymentInvoiceRequest> {
        PaymentInvoiceRequest::from_json(&serde_json::from_str(json).unwrap())
    }

    #[test]
    fn refuses_bad_requests_with_the_field_named() {
        let cases = [
            (r#"{"service":"s","currency":"USD"}"#, "amount", "missing"),
            (
                r#"{"service":"s","currency":"USD","amount":-1}"#,
                "amount",
                "negative_amount",
            ),
            (
                r#"{"service":"s","currency":"USD","amount":"1.001"}"#,
                "amount",
                "too_many_decimals",
            ),
            (
                r#"{"service":"s","currency":"USD","amount":0}"#,
                "amount",
                "zero_amount",
            ),
            (
                r#"{"service":"s","currency":"XYZ","amount":1}"#,
                "currency",
                "unknown_currency",
            ),
            (
                r#"{"service":"s","currency":"USD","amount":1,"refrence_id":"x"}"#,
                "refrence_id",
                "unknown_parameter",
            ),
            (
                r#"{"service":"s","currency":"USD","amount":1,"customer":{"name":"A"}}"#,
                "customer.reference_id",
                "missing",
            ),
            (
                r#"{"service":"s","currency":"USD","amount":1,"return_urls":{"success":"https://a"}}"#,
                "return_urls.pending",
                "missing",
            ),
            (
                r#"{"service":"s","currency":"USD","amount":1,"expires":"2000-01-01T00:00:00Z"}"#,
                "expires",
                "out_of_range",
            ),
            (
                r#"{"service":"s","currency":"USD","amount":1,"test_mode":"yes"}"#,
                "test_mode",
                "wrong_type",
            ),
            (
                r#"{"service":"s","currency":"USD","amount":1,"callback_url":"ftp://x"}"#,
                "callback_url",
                "invalid_url",
            ),
            (
                r#"{"service":"","currency":"USD","amount":1}"#,
                "service",
                "empty",
            ),
        ];
        for (json, argument, code) in cases {
            let err = payment(json).unwrap_err();
            assert_eq!(
                (err.argument(), err.code()),
                (Some(argument), code),
                "{json}: {err}"
            );
        }
        assert!(payment(
            r#"{"service":"s","currency":"USD","amount":"100.55","reference_id":"r"}"#
        )
        .is_ok());
    }

    #[test]
    fn typed_constructors_build_valid_requests() {
        let money = Money::parse("100.55", "USD").unwrap();
        let mut request = PaymentInvoiceRequest::new("test_usd_test", money)
            .set("service_fields", serde_json::json!({"status": "success"}));
        request.validate().unwrap();
        let generated = ensure_reference_id(&mut request.0);
        assert_eq!(request.reference_id(), Some(generated.as_str()));
        assert_eq!(ensure_reference_id(&mut request.0), generated);
        assert_eq!(
            serde_json::to_string(&request.0["amount"]).unwrap(),
            "100.55"
        );
    }
}
