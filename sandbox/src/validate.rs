//! Validation of create requests. Errors are a field → message map, nested fields as dotted
//! names (`customer.reference_id`), messages in the platform's (Symfony) wording.

use std::sync::Arc;

use polypay::{Amount, Currency, Money};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::accounts::Account;
use crate::services::{Flow, Kind, Service};
use crate::util::{is_http_url, now};

pub const NOT_BLANK: &str = "This value should not be blank.";
pub const NOT_VALID: &str = "This value is not valid.";
pub const NOT_URL: &str = "This value is not a valid URL.";

/// Field → message, first message per field wins; order kept.
#[derive(Debug, Default, Clone)]
pub struct Errors(pub Vec<(String, String)>);

impl Errors {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        let field = field.into();
        if !self.0.iter().any(|(f, _)| *f == field) {
            self.0.push((field, message.into()));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn single(field: &str, message: &str) -> Errors {
        let mut e = Errors::default();
        e.add(field, message);
        e
    }

    pub fn to_json(&self) -> Value {
        let map: Map<String, Value> = self
            .0
            .iter()
            .map(|(f, m)| (f.clone(), Value::String(m.clone())))
            .collect();
        serde_json::json!({ "errors": map })
    }
}

/// Where a create comes from: what is required and how values are typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Private JSON:API: `reference_id` required, `expires` ISO 8601, service fields required.
    Private,
    /// Public JSON API: `reference_id` optional, service fields required.
    PublicJson,
    /// Browser forms (HPP, the process form): strings only; missing service fields are asked
    /// for on the hosted page.
    Form,
}

#[derive(Debug, Clone)]
pub struct PaymentRequest {
    pub reference_id: Option<String>,
    pub service: Arc<Service>,
    pub amount: Decimal,
    pub test_mode: bool,
    pub description: Option<String>,
    pub metadata: Map<String, Value>,
    pub customer: Option<Map<String, Value>>,
    pub service_fields: Map<String, Value>,
    pub return_url: Option<String>,
    pub return_urls: Option<Map<String, Value>>,
    pub callback_url: Option<String>,
    pub expires: Option<i64>,
    pub payment_flow: &'static str,
    pub source: &'static str,
}

#[derive(Debug, Clone)]
pub struct PayoutRequest {
    pub reference_id: String,
    pub service: Arc<Service>,
    pub amount: Decimal,
    pub test_mode: bool,
    pub description: Option<String>,
    pub metadata: Map<String, Value>,
    pub customer: Option<Map<String, Value>>,
    pub fields: Map<String, Value>,
    pub callback_url: Option<String>,
}

fn present<'a>(attrs: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    match attrs.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(v) => Some(v),
    }
}

fn opt_string(
    attrs: &Map<String, Value>,
    key: &str,
    errors: &mut Errors,
    max: usize,
) -> Option<String> {
    match present(attrs, key) {
        None => None,
        Some(Value::String(s)) if s.chars().count() <= max => Some(s.clone()),
        Some(Value::String(_)) => {
            errors.add(
                key,
                format!("This value is too long. It should have {max} characters or less."),
            );
            None
        }
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            errors.add(key, "This value should be of type string.");
            None
        }
    }
}

fn opt_url(
    attrs: &Map<String, Value>,
    key: &str,
    field: &str,
    errors: &mut Errors,
) -> Option<String> {
    match present(attrs, key) {
        None => None,
        Some(Value::String(s)) if is_http_url(s) => Some(s.clone()),
        Some(_) => {
            errors.add(field, NOT_URL);
            None
        }
    }
}

/// An object; PHP clients send an empty one as `[]`.
fn opt_object(
    attrs: &Map<String, Value>,
    key: &str,
    errors: &mut Errors,
) -> Option<Map<String, Value>> {
    match present(attrs, key) {
        None => None,
        Some(Value::Object(m)) => Some(m.clone()),
        Some(Value::Array(a)) if a.is_empty() => Some(Map::new()),
        Some(_) => {
            errors.add(key, "This value should be of type object.");
            None
        }
    }
}

fn check_customer(attrs: &Map<String, Value>, errors: &mut Errors) -> Option<Map<String, Value>> {
    let customer = opt_object(attrs, "customer", errors)?;
    match present(&customer, "reference_id") {
        Some(Value::String(_)) | Some(Value::Number(_)) => {}
        Some(_) => errors.add(
            "customer.reference_id",
            "This value should be of type string.",
        ),
        None => errors.add("customer.reference_id", NOT_BLANK),
    }
    if let Some(email) = present(&customer, "email") {
        if !email
            .as_str()
            .is_some_and(|e| e.contains('@') && !e.contains(char::is_whitespace))
        {
            errors.add("customer.email", "This value is not a valid email address.");
        }
    }
    for key in ["metadata", "address"] {
        if let Some(v) = present(&customer, key) {
            if !(v.is_object() || v.as_array().is_some_and(Vec::is_empty)) {
                errors.add(
                    format!("customer.{key}"),
                    "This value should be of type object.",
                );
            }
        }
    }
    Some(customer)
}

/// Service, currency and amount, checked together (the service decides currency and limits).
fn service_and_amount(
    account: &Account,
    kind: Kind,
    attrs: &Map<String, Value>,
    test_mode: bool,
    errors: &mut Errors,
) -> Option<(Arc<Service>, Decimal)> {
    let service = match present(attrs, "service") {
        None => {
            errors.add("service", NOT_BLANK);
            None
        }
        Some(Value::String(code)) => match account.service(kind, code) {
            Some(s) if s.available_in(test_mode) => Some(s),
            Some(_) => {
                let mode = if test_mode { "test" } else { "live" };
                errors.add(
                    "service",
                    format!("This service is not available in {mode} mode."),
                );
                None
            }
            None => {
                errors.add("service", "Service not found.");
                None
            }
        },
        Some(_) => {
            errors.add("service", "This value should be of type string.");
            None
        }
    };
    let currency = match present(attrs, "currency") {
        None => {
            errors.add("currency", NOT_BLANK);
            None
        }
        Some(Value::String(code)) => match Currency::parse(code) {
            Ok(c) => Some(c),
            Err(_) => {
                errors.add("currency", "This value is not a valid currency.");
                None
            }
        },
        Some(_) => {
            errors.add("currency", "This value is not a valid currency.");
            None
        }
    };
    if let (Some(s), Some(c)) = (&service, currency) {
        if s.currency != c {
            errors.add(
                "currency",
                format!(
                    "The currency does not match the service currency ({}).",
                    s.currency.code()
                ),
            );
        }
    }
    let amount = match present(attrs, "amount") {
        None => {
            errors.add("amount", NOT_BLANK);
            None
        }
        Some(v @ (Value::Number(_) | Value::String(_))) => match Amount::from_json(v) {
            Ok(a) if a.is_zero() => {
                errors.add("amount", "This value should be greater than 0.");
                None
            }
            Ok(a) => Some(a),
            Err(e) if e.code() == "negative_amount" => {
                errors.add("amount", "This value should be greater than 0.");
                None
            }
            Err(_) => {
                errors.add("amount", "This value should be a valid number.");
                None
            }
        },
        Some(_) => {
            errors.add("amount", "This value should be a valid number.");
            None
        }
    };
    let (service, amount) = (service?, amount?);
    if let Err(e) = Money::new(amount, service.currency) {
        if e.code() == "too_many_decimals" {
            errors.add(
                "amount",
                format!(
                    "This value has too many decimal places ({} allows {}).",
                    service.currency.code(),
                    service.currency.exponent().unwrap_or(0)
                ),
            );
            return None;
        }
    }
    let value = amount.as_decimal();
    if value < service.amount_min || value > service.amount_max {
        errors.add(
            "amount",
            format!(
                "This value should be between {} and {}.",
                service.amount_min.normalize(),
                service.amount_max.normalize()
            ),
        );
        return None;
    }
    Some((service, value))
}

fn test_mode_attr(attrs: &Map<String, Value>, errors: &mut Errors) -> bool {
    match attrs.get("test_mode") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.add("test_mode", "This value should be of type bool.");
            false
        }
    }
}

fn parse_expires(value: &Value, origin: Origin) -> Option<i64> {
    match value {
        Value::Number(n) if origin != Origin::Private => n.as_i64(),
        Value::String(s) => {
            let s = s.trim();
            if origin != Origin::Private {
                if let Ok(unix) = s.parse::<i64>() {
                    return Some(unix);
                }
            }
            chrono::DateTime::parse_from_rfc3339(s)
                .or_else(|_| chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z"))
                .ok()
                .map(|t| t.timestamp())
        }
        _ => None,
    }
}

/// Validates a payment invoice create. `key_mode` is the public key's mode (`Some(true)` for
/// `pk_test_`); the private API takes the `test_mode` attribute instead.
pub fn payment(
    account: &Account,
    attrs: &Map<String, Value>,
    origin: Origin,
    key_mode: Option<bool>,
) -> Result<PaymentRequest, Errors> {
    let mut errors = Errors::default();
    let reference_id = opt_string(attrs, "reference_id", &mut errors, 255);
    if origin == Origin::Private
        && reference_id.is_none()
        && !errors.0.iter().any(|(f, _)| f == "reference_id")
    {
        errors.add("reference_id", NOT_BLANK);
    }
    let test_mode = match key_mode {
        Some(mode) => mode,
        None => test_mode_attr(attrs, &mut errors),
    };
    let checked = service_and_amount(account, Kind::Payment, attrs, test_mode, &mut errors);
    let description = opt_string(attrs, "description", &mut errors, 1024);
    let metadata = opt_object(attrs, "metadata", &mut errors).unwrap_or_default();
    let customer = check_customer(attrs, &mut errors);
    // The public API (and the msdk client) call them `fields`; private and HPP `service_fields`.
    let fields_key =
        if present(attrs, "service_fields").is_none() && present(attrs, "fields").is_some() {
            "fields"
        } else {
            "service_fields"
        };
    let service_fields = opt_object(attrs, fields_key, &mut errors).unwrap_or_default();
    if let Some((service, _)) = &checked {
        if service.flow == Flow::Test {
            match service_fields.get("status") {
                Some(Value::String(s)) if ["success", "pending", "fail"].contains(&s.as_str()) => {}
                None if origin == Origin::Form => {}
                None => errors.add(format!("{fields_key}.status"), NOT_BLANK),
                Some(Value::String(s)) if s.is_empty() && origin == Origin::Form => {}
                Some(_) => errors.add(
                    format!("{fields_key}.status"),
                    "This value is not valid. Use success, pending or fail.",
                ),
            }
        }
    }
    let return_url = opt_url(attrs, "return_url", "return_url", &mut errors);
    let return_urls = opt_object(attrs, "return_urls", &mut errors);
    if let Some(urls) = &return_urls {
        for key in ["success", "fail", "pending"] {
            match present(urls, key) {
                Some(Value::String(u)) if is_http_url(u) => {}
                None if key != "pending" => {}
                None => errors.add("return_urls.pending", NOT_BLANK),
                Some(_) => errors.add(format!("return_urls.{key}"), NOT_URL),
            }
        }
    }
    let callback_url = if origin == Origin::Form {
        // The HPP cannot override the callback URL (docs §3.5): the account's is used.
        None
    } else {
        opt_url(attrs, "callback_url", "callback_url", &mut errors)
    };
    let expires = match present(attrs, "expires") {
        None => None,
        Some(v) => match parse_expires(v, origin) {
            None => {
                let msg = if origin == Origin::Private {
                    "This value is not a valid datetime (ISO 8601)."
                } else {
                    "This value is not a valid timestamp."
                };
                errors.add("expires", msg);
                None
            }
            Some(at) => {
                let lifetime = at - now();
                // A few seconds of slack for the client's clock and the trip here.
                if !(14 * 60 - 5..=2 * 86_400 + 5).contains(&lifetime) {
                    errors.add(
                        "expires",
                        "The invoice lifetime must be between 14 minutes and 2 days.",
                    );
                }
                Some(at)
            }
        },
    };
    let payment_flow = match present(attrs, "flow") {
        None => "charge",
        Some(Value::String(f)) if f == "verify" => "verify",
        Some(Value::String(f)) if f == "charge" => "charge",
        Some(_) => {
            errors.add("flow", "This value is not valid. Use charge or verify.");
            "charge"
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let (service, amount) = checked.expect("no errors");
    Ok(PaymentRequest {
        reference_id,
        service,
        amount,
        test_mode,
        description,
        metadata,
        customer,
        service_fields,
        return_url,
        return_urls,
        callback_url,
        expires,
        payment_flow,
        source: match origin {
            Origin::Private => "merchant_api",
            Origin::PublicJson | Origin::Form => "platform_public_api",
        },
    })
}

/// Why an account may not create invoices publicly, as a 422 field map.
pub fn public_creation_refused(account: &Account) -> Option<Errors> {
    if !account.is_active() {
        Some(Errors::single("public_key", "The account is not active."))
    } else if account.cfg.forbid_public_creation {
        Some(Errors::single(
            "public_key",
            "Public creation of invoices is forbidden for this account.",
        ))
    } else {
        None
    }
}

/// Validates a payout invoice create (private API only).
pub fn payout(account: &Account, attrs: &Map<String, Value>) -> Result<PayoutRequest, Errors> {
    let mut errors = Errors::default();
    let reference_id = opt_string(attrs, "reference_id", &mut errors, 255);
    if reference_id.is_none() && !errors.0.iter().any(|(f, _)| f == "reference_id") {
        errors.add("reference_id", NOT_BLANK);
    }
    let test_mode = test_mode_attr(attrs, &mut errors);
    let checked = service_and_amount(account, Kind::Payout, attrs, test_mode, &mut errors);
    let description = opt_string(attrs, "description", &mut errors, 1024);
    let metadata = opt_object(attrs, "metadata", &mut errors).unwrap_or_default();
    let customer = check_customer(attrs, &mut errors);
    let fields = opt_object(attrs, "fields", &mut errors).unwrap_or_default();
    match fields.get("account") {
        Some(Value::String(a))
            if (1..=15).contains(&a.len()) && a.bytes().all(|b| b.is_ascii_digit()) => {}
        Some(Value::Number(n)) if n.as_u64().is_some_and(|v| v.to_string().len() <= 15) => {}
        None => errors.add("fields.account", NOT_BLANK),
        Some(_) => errors.add(
            "fields.account",
            "This value is not valid. Use 1 to 15 digits.",
        ),
    }
    if let Some(status) = present(&fields, "test_details_payout_status") {
        let known = status
            .as_str()
            .map(|s| {
                !matches!(
                    polypay::paycore::PayoutInvoiceStatus::parse(s),
                    polypay::paycore::PayoutInvoiceStatus::Other(_)
                )
            })
            .unwrap_or(false);
        if !known {
            errors.add("fields.test_details_payout_status", NOT_VALID);
        }
    }
    if let Some(rate) = present(&fields, "test_details_success_rate") {
        let ok = match rate {
            Value::Number(n) => n.as_f64().is_some_and(|r| (0.0..=100.0).contains(&r)),
            Value::String(s) => s.parse::<f64>().is_ok_and(|r| (0.0..=100.0).contains(&r)),
            _ => false,
        };
        if !ok {
            errors.add(
                "fields.test_details_success_rate",
                "This value should be between 0 and 100.",
            );
        }
    }
    let callback_url = opt_url(attrs, "callback_url", "callback_url", &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let (service, amount) = checked.expect("no errors");
    Ok(PayoutRequest {
        reference_id: reference_id.expect("checked"),
        service,
        amount,
        test_mode,
        description,
        metadata,
        customer,
        fields,
        callback_url,
    })
}
