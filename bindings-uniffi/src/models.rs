//! Records returned to Kotlin and Swift. Amounts are exact decimals (Kotlin `BigDecimal`, Swift
//! `Decimal`), never binary floats; timestamps are RFC 3339 text;
//! whole documents are JSON text (`raw_json`), with key order and number lexemes as received.

use chrono::{DateTime, Utc};
use polypay::ecommpay;
use polypay::paycore::client::Response;
use polypay::paycore::{self, model};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// Money: an exact decimal, `java.math.BigDecimal` in Kotlin and `Decimal` in Swift
/// (uniffi.toml). It crosses as its decimal text, never as a binary float. (A type of its own:
/// Swift's `Decimal` would shadow one named `Decimal`.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExactDecimal(pub Decimal);

uniffi::custom_type!(ExactDecimal, String, {
    lower: |amount| amount.0.normalize().to_string(),
    try_lift: |text| Ok(ExactDecimal(text.parse::<Decimal>()?)),
});

fn dec(d: &Option<Decimal>) -> Option<ExactDecimal> {
    d.map(|d| ExactDecimal(d.normalize()))
}

fn time(t: &Option<DateTime<Utc>>) -> Option<String> {
    t.as_ref().map(polypay::time::timestamp)
}

fn json_map(m: &Map<String, Value>) -> String {
    Value::Object(m.clone()).to_string()
}

/// What the HTTP exchange said (present on results of a call, absent on callbacks and finds).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ResponseInfo {
    pub http_status: u16,
    pub request_id: Option<String>,
    /// The result came from a lookup after an ambiguous create (timeout, 5xx, 409 retry).
    pub reconciled: bool,
}

impl ResponseInfo {
    pub fn of<T>(r: &Response<T>) -> Option<ResponseInfo> {
        Some(ResponseInfo {
            http_status: r.http_status,
            request_id: r.request_id.clone(),
            reconciled: r.reconciled,
        })
    }
}

/// Where to send the payer next (`flow_data` of a payment invoice).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FlowData {
    pub action: String,
    pub method: String,
    pub params_json: String,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PaymentInvoice {
    pub id: String,
    pub status: String,
    pub resolution: Option<String>,
    pub reference_id: Option<String>,
    pub amount: Option<ExactDecimal>,
    pub currency: Option<String>,
    pub payment_amount: Option<ExactDecimal>,
    pub processed_amount: Option<ExactDecimal>,
    pub refunded_amount: Option<ExactDecimal>,
    pub service: Option<String>,
    pub test_mode: Option<bool>,
    pub description: Option<String>,
    pub metadata_json: String,
    pub flow_data: Option<FlowData>,
    pub created: Option<String>,
    pub updated: Option<String>,
    pub is_final: bool,
    pub is_success: bool,
    pub raw_json: String,
    pub response: Option<ResponseInfo>,
}

impl PaymentInvoice {
    pub fn new(i: &paycore::PaymentInvoice, response: Option<ResponseInfo>) -> Self {
        PaymentInvoice {
            id: i.id.clone(),
            status: i.status.as_str().to_owned(),
            resolution: i.resolution.as_ref().map(|r| r.as_str().to_owned()),
            reference_id: i.reference_id.clone(),
            amount: dec(&i.amount),
            currency: i.currency.clone(),
            payment_amount: dec(&i.payment_amount),
            processed_amount: dec(&i.processed_amount),
            refunded_amount: dec(&i.refunded_amount),
            service: i.service.clone(),
            test_mode: i.test_mode,
            description: i.description.clone(),
            metadata_json: json_map(&i.metadata),
            flow_data: i.flow_data.as_ref().map(|f| FlowData {
                action: f.action.clone(),
                method: f.method.clone(),
                params_json: json_map(&f.params),
            }),
            created: time(&i.created),
            updated: time(&i.updated),
            is_final: i.is_final(),
            is_success: i.is_success(),
            raw_json: i.raw.to_string(),
            response,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PayoutInvoice {
    pub id: String,
    pub status: String,
    pub resolution: Option<String>,
    pub reference_id: Option<String>,
    pub amount: Option<ExactDecimal>,
    pub currency: Option<String>,
    pub service: Option<String>,
    pub test_mode: Option<bool>,
    pub description: Option<String>,
    pub metadata_json: String,
    pub created: Option<String>,
    pub updated: Option<String>,
    pub is_final: bool,
    pub is_success: bool,
    pub raw_json: String,
    pub response: Option<ResponseInfo>,
}

impl PayoutInvoice {
    pub fn new(i: &paycore::PayoutInvoice, response: Option<ResponseInfo>) -> Self {
        PayoutInvoice {
            id: i.id.clone(),
            status: i.status.as_str().to_owned(),
            resolution: i.resolution.as_ref().map(|r| r.as_str().to_owned()),
            reference_id: i.reference_id.clone(),
            amount: dec(&i.amount),
            currency: i.currency.clone(),
            service: i.service.clone(),
            test_mode: i.test_mode,
            description: i.description.clone(),
            metadata_json: json_map(&i.metadata),
            created: time(&i.created),
            updated: time(&i.updated),
            is_final: i.is_final(),
            is_success: i.is_success(),
            raw_json: i.raw.to_string(),
            response,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Refund {
    pub id: String,
    pub status: Option<String>,
    pub reference_id: Option<String>,
    pub original_id: Option<String>,
    pub amount: Option<ExactDecimal>,
    pub fee: Option<ExactDecimal>,
    pub currency: Option<String>,
    pub description: Option<String>,
    pub created: Option<String>,
    pub raw_json: String,
    pub response: Option<ResponseInfo>,
}

impl Refund {
    pub fn new(r: &model::Refund, response: Option<ResponseInfo>) -> Self {
        Refund {
            id: r.id.clone(),
            status: r.status.clone(),
            reference_id: r.reference_id.clone(),
            original_id: r.original_id.clone(),
            amount: dec(&r.amount),
            fee: dec(&r.fee),
            currency: r.currency.clone(),
            description: r.description.clone(),
            created: time(&r.created),
            raw_json: r.raw.to_string(),
            response,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PaymentService {
    pub id: String,
    pub service: Option<String>,
    pub method: Option<String>,
    pub currency: Option<String>,
    pub available: Option<bool>,
    pub active: Option<bool>,
    pub enabled: Option<bool>,
    pub amount_min: Option<ExactDecimal>,
    pub amount_max: Option<ExactDecimal>,
    pub test_mode: Option<bool>,
    pub raw_json: String,
    pub response: Option<ResponseInfo>,
}

impl PaymentService {
    pub fn new(s: &model::PaymentService, response: Option<ResponseInfo>) -> Self {
        PaymentService {
            id: s.id.clone(),
            service: s.service.clone(),
            method: s.method.clone(),
            currency: s.currency.clone(),
            available: s.available,
            active: s.active,
            enabled: s.enabled,
            amount_min: dec(&s.amount_min),
            amount_max: dec(&s.amount_max),
            test_mode: s.test_mode,
            raw_json: s.raw.to_string(),
            response,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CurrencyBalance {
    pub currency: String,
    pub account_id: Option<String>,
    pub active_balance: Option<ExactDecimal>,
    pub pending_balance: Option<ExactDecimal>,
    pub reserved_balance: Option<ExactDecimal>,
    pub overdraft_limit: Option<ExactDecimal>,
    pub balance_lower_limit: Option<ExactDecimal>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Balances {
    pub account_id: String,
    pub currencies: Vec<CurrencyBalance>,
    pub raw_json: String,
    pub response: Option<ResponseInfo>,
}

impl Balances {
    pub fn new(b: &model::Balances, response: Option<ResponseInfo>) -> Self {
        Balances {
            account_id: b.account_id.clone(),
            currencies: b
                .currencies
                .iter()
                .map(|c| CurrencyBalance {
                    currency: c.currency.clone(),
                    account_id: c.account_id.clone(),
                    active_balance: dec(&c.active_balance),
                    pending_balance: dec(&c.pending_balance),
                    reserved_balance: dec(&c.reserved_balance),
                    overdraft_limit: dec(&c.overdraft_limit),
                    balance_lower_limit: dec(&c.balance_lower_limit),
                })
                .collect(),
            raw_json: b.raw.to_string(),
            response,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PrerequestService {
    pub code: String,
    pub method: Option<String>,
    pub flow: Option<String>,
    pub currency: Option<String>,
    pub amount_min: Option<ExactDecimal>,
    pub amount_max: Option<ExactDecimal>,
    /// Each field description as JSON text.
    pub fields_json: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Prerequest {
    pub currency: Option<String>,
    pub test_mode: Option<bool>,
    pub services: Vec<PrerequestService>,
    pub methods_json: String,
    pub raw_json: String,
    pub response: Option<ResponseInfo>,
}

impl Prerequest {
    pub fn new(p: &model::Prerequest, response: Option<ResponseInfo>) -> Self {
        Prerequest {
            currency: p.currency.clone(),
            test_mode: p.test_mode,
            services: p
                .services
                .iter()
                .map(|s| PrerequestService {
                    code: s.code.clone(),
                    method: s.method.clone(),
                    flow: s.flow.clone(),
                    currency: s.currency.clone(),
                    amount_min: dec(&s.amount_min),
                    amount_max: dec(&s.amount_max),
                    fields_json: s.fields.iter().map(Value::to_string).collect(),
                })
                .collect(),
            methods_json: json_map(&p.methods),
            raw_json: p.raw.to_string(),
            response,
        }
    }
}

/// A verified PayCore callback: exactly one of `payment_invoice` / `payout_invoice` is set for
/// the resource types this SDK models; other types only have the common fields.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CallbackEvent {
    pub event_type: String,
    pub id: String,
    pub status: Option<String>,
    pub is_final: bool,
    pub is_success: bool,
    pub payment_invoice: Option<PaymentInvoice>,
    pub payout_invoice: Option<PayoutInvoice>,
    /// The whole document (with `included`), as received.
    pub document_json: String,
}

impl CallbackEvent {
    pub fn new(e: &paycore::CallbackEvent) -> Self {
        let (payment_invoice, payout_invoice) = match e {
            paycore::CallbackEvent::PaymentInvoice { invoice, .. } => {
                (Some(PaymentInvoice::new(invoice, None)), None)
            }
            paycore::CallbackEvent::PayoutInvoice { invoice, .. } => {
                (None, Some(PayoutInvoice::new(invoice, None)))
            }
            _ => (None, None),
        };
        CallbackEvent {
            event_type: e.event_type().to_owned(),
            id: e.id().to_owned(),
            status: e.raw()["data"]["attributes"]["status"]
                .as_str()
                .map(str::to_owned),
            is_final: e.is_final(),
            is_success: e.is_success(),
            payment_invoice,
            payout_invoice,
            document_json: e.raw().to_string(),
        }
    }
}

/// A sum in minor units (`payment.sum`, `operation.sum_initial`, ...).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct EcommpaySum {
    pub amount: i64,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct EcommpayOperation {
    pub id: Option<String>,
    pub operation_type: Option<String>,
    pub status: Option<String>,
    pub request_id: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub sum_initial: Option<EcommpaySum>,
    pub sum_converted: Option<EcommpaySum>,
}

/// A verified ecommpay callback.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct EcommpayCallback {
    pub project_id: Option<i64>,
    pub payment_id: Option<String>,
    pub payment_type: Option<String>,
    pub payment_status: Option<String>,
    pub payment_sum: Option<EcommpaySum>,
    pub operation: Option<EcommpayOperation>,
    pub is_success: bool,
    /// The whole body, as received.
    pub raw_json: String,
}

fn sum(s: ecommpay::Sum) -> EcommpaySum {
    EcommpaySum {
        amount: s.amount,
        currency: s.currency,
    }
}

impl EcommpayCallback {
    pub fn new(c: &ecommpay::EcommpayCallback) -> Self {
        EcommpayCallback {
            project_id: c.project_id(),
            payment_id: c.payment_id(),
            payment_type: c.payment_type(),
            payment_status: c.payment_status().map(|s| s.as_str().to_owned()),
            payment_sum: c.payment_sum().map(sum),
            operation: c.operation().map(|op| EcommpayOperation {
                id: op.id,
                operation_type: op.operation_type,
                status: op.status.map(|s| s.as_str().to_owned()),
                request_id: op.request_id,
                code: op.code,
                message: op.message,
                sum_initial: op.sum_initial.map(sum),
                sum_converted: op.sum_converted.map(sum),
            }),
            is_success: c.is_success(),
            raw_json: json_map(c.raw()),
        }
    }
}

/// One hidden field of an HPP form, in order.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FormField {
    pub name: String,
    pub value: String,
}

/// An auto-submitting HPP form: the fields and ready-made HTML.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HppForm {
    pub action: String,
    pub method: String,
    pub fields: Vec<FormField>,
    pub html: String,
}
