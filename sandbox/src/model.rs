//! Invoices and refunds, and how they are written: JSON:API (private API, callbacks) and the
//! flat public shape.

use std::sync::Arc;

use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::accounts::Account;
use crate::services::{Kind, Service};
use crate::util::{now, num, php_obj, stable_id};

/// Mostly static text (statuses, resolutions), owned only when a client chose it.
pub type Text = std::borrow::Cow<'static, str>;

/// Entries kept in one invoice's `callback_logs` (the oldest go first).
pub const MAX_CALLBACK_LOGS_PER_INVOICE: usize = 100;

#[derive(Debug, Clone)]
pub struct CallbackLog {
    pub status: &'static str,
    pub processed: i64,
    pub response_code: Option<u16>,
    pub transaction_status: String,
}

/// Card details kept while a 3-D Secure confirmation is pending.
#[derive(Debug, Clone)]
pub struct CardPayment {
    pub payload: Map<String, Value>,
    pub success: bool,
    pub resolution: Text,
}

#[derive(Debug, Clone)]
pub struct Invoice {
    pub kind: Kind,
    pub id: String,
    pub seq: u64,
    pub account: usize,
    pub reference_id: String,
    pub service: Arc<Service>,
    pub amount: Decimal,
    pub fee: Decimal,
    pub test_mode: bool,
    pub status: Text,
    pub resolution: Text,
    pub description: Option<String>,
    pub metadata: Map<String, Value>,
    pub customer: Option<Box<Map<String, Value>>>,
    pub customer_id: Option<String>,
    /// `service_fields` of payments, `fields` of payouts.
    pub fields: Map<String, Value>,
    pub return_url: Option<String>,
    pub return_urls: Option<Box<Map<String, Value>>>,
    pub callback_url: Option<String>,
    pub payment_flow: &'static str,
    pub expires: Option<i64>,
    pub created: i64,
    pub updated: i64,
    pub processed: Option<i64>,
    pub refunded: Decimal,
    pub refunds: Vec<String>,
    pub payload: Option<Box<Map<String, Value>>>,
    pub external_mid: Arc<str>,
    pub rrn: Option<String>,
    pub approval_code: Option<String>,
    pub payout_id: Option<String>,
    pub source: &'static str,
    pub callback_logs: Vec<(i64, CallbackLog)>,
    pub pending_card: Option<Box<CardPayment>>,
}

impl Invoice {
    /// A new invoice in `created`, of the account's service; the caller fills in the request.
    pub fn new(
        kind: Kind,
        id: String,
        account: &Account,
        service: Arc<Service>,
        amount: Decimal,
        test_mode: bool,
    ) -> Invoice {
        let at = now();
        Invoice {
            kind,
            id,
            seq: 0,
            account: account.index,
            reference_id: String::new(),
            fee: service.fee(amount),
            service,
            amount,
            test_mode,
            status: "created".into(),
            resolution: "ok".into(),
            description: None,
            metadata: Map::new(),
            customer: None,
            customer_id: None,
            fields: Map::new(),
            return_url: None,
            return_urls: None,
            callback_url: None,
            payment_flow: "charge",
            expires: None,
            created: at,
            updated: at,
            processed: None,
            refunded: Decimal::ZERO,
            refunds: Vec::new(),
            payload: None,
            external_mid: account.external_mid.clone(),
            rrn: None,
            approval_code: None,
            payout_id: None,
            source: "merchant_api",
            callback_logs: Vec::new(),
            pending_card: None,
        }
    }

    pub fn serial_number(&self) -> &str {
        self.id.split_once('_').map(|(_, s)| s).unwrap_or(&self.id)
    }

    pub fn deposit(&self) -> Decimal {
        self.amount - self.fee
    }

    pub fn is_final(&self) -> bool {
        match self.kind {
            Kind::Payment => polypay::paycore::PaymentInvoiceStatus::parse(&self.status).is_final(),
            Kind::Payout => polypay::paycore::PayoutInvoiceStatus::parse(&self.status).is_final(),
        }
    }

    /// Waiting for the customer (or a trigger): the hosted pages may still take a payment.
    pub fn is_payable(&self) -> bool {
        self.kind == Kind::Payment && matches!(self.status.as_ref(), "created" | "process_pending")
    }

    pub fn self_link(&self) -> String {
        format!("/api/{}/{}", self.kind.resource_type(), self.id)
    }

    /// Where the customer pays: the sandbox's hosted card page (or test-status page).
    pub fn action_url(&self, base_url: &str) -> String {
        format!("{base_url}/hpp/pay/{}", self.id)
    }

    /// Records a callback attempt under its unix second; a later entry in a second already
    /// taken moves to the next free second (keys must be unique, like PHP array keys).
    pub fn push_callback_log(&mut self, at: i64, entry: CallbackLog) {
        let mut key = at;
        while self.callback_logs.iter().any(|(k, _)| *k == key) {
            key += 1;
        }
        self.callback_logs.push((key, entry));
        if self.callback_logs.len() > MAX_CALLBACK_LOGS_PER_INVOICE {
            self.callback_logs.remove(0);
        }
    }

    /// Balance effect of this invoice in its current state (live operations only):
    /// (active, pending, reserved).
    pub fn contribution(&self) -> (Decimal, Decimal, Decimal) {
        let zero = Decimal::ZERO;
        if self.test_mode {
            return (zero, zero, zero);
        }
        match self.kind {
            Kind::Payment => match self.status.as_ref() {
                "process_pending" | "processing" => (zero, self.amount, zero),
                "processed"
                | "partially_refunded"
                | "refunded"
                | "refunding"
                | "refund_pending"
                | "refund_error"
                | "refund_failed"
                | "partially_charged_back" => (self.deposit() - self.refunded, zero, zero),
                _ => (zero, zero, zero),
            },
            Kind::Payout => {
                let total = self.amount + self.fee;
                match self.status.as_ref() {
                    "created" | "processing" | "process_pending" | "process_error" => {
                        (-total, zero, total)
                    }
                    "processed"
                    | "partially_processed"
                    | "canceling"
                    | "cancel_pending"
                    | "cancel_error"
                    | "cancel_failed" => (-total, zero, zero),
                    _ => (zero, zero, zero),
                }
            }
        }
    }

    fn callback_logs_json(&self) -> Value {
        let mut m = Map::new();
        for (key, log) in &self.callback_logs {
            m.insert(
                key.to_string(),
                json!({
                    "status": log.status,
                    "processed": log.processed,
                    "response_code": log.response_code,
                    "transaction_status": log.transaction_status,
                }),
            );
        }
        php_obj(m)
    }

    /// The card-gate session id (`cgi_…`), derived from the invoice id (nothing stored).
    pub fn sid(&self) -> String {
        stable_id("cgi_", &self.id)
    }

    fn token(&self) -> String {
        let a = stable_id("", &format!("token-a/{}", self.id));
        let b = stable_id("", &format!("token-b/{}", self.id));
        format!("sbx.{a}{b}")
    }

    fn flow_data(&self, base_url: &str) -> Value {
        json!({
            "action": self.action_url(base_url),
            "method": "GET",
            "params": [],
            "metadata": {"sid": self.sid(), "token": self.token()},
        })
    }

    fn opt_num(&self, cond: bool, d: Decimal) -> Value {
        if cond {
            num(d)
        } else {
            Value::Null
        }
    }

    fn relationships(&self) -> Value {
        let mut r = Map::new();
        let (relation, ty) = match self.kind {
            Kind::Payment => ("payment-service", "payment-services"),
            Kind::Payout => ("payout-service", "payout-services"),
        };
        r.insert(
            relation.into(),
            json!({"data": {"type": ty, "id": self.service.code}}),
        );
        r.insert(
            "payment-method".into(),
            json!({"data": {"type": "payment-methods", "id": self.service.method}}),
        );
        if let Some(cus) = &self.customer_id {
            r.insert(
                "customer".into(),
                json!({"data": {"type": "customers", "id": cus}}),
            );
        }
        Value::Object(r)
    }

    /// The JSON:API resource (private API responses and callback bodies).
    pub fn resource(&self, base_url: &str) -> Value {
        let mut a = Map::new();
        let processed = self.processed.is_some();
        a.insert("serial_number".into(), json!(self.serial_number()));
        a.insert("status".into(), json!(self.status));
        a.insert("resolution".into(), json!(self.resolution));
        a.insert("moderation_required".into(), json!(false));
        a.insert("amount".into(), num(self.amount));
        match self.kind {
            Kind::Payment => {
                a.insert("payment_amount".into(), num(self.amount));
                a.insert("currency".into(), json!(self.service.currency.code()));
                a.insert(
                    "service_currency".into(),
                    json!(self.service.currency.code()),
                );
                a.insert("reference_id".into(), json!(self.reference_id));
                a.insert("test_mode".into(), json!(self.test_mode));
                a.insert("fee".into(), num(self.fee));
                a.insert("deposit".into(), num(self.deposit()));
                a.insert("processed".into(), json!(self.processed));
                a.insert(
                    "processed_amount".into(),
                    self.opt_num(processed, self.amount),
                );
                a.insert(
                    "refunded_amount".into(),
                    self.opt_num(!self.refunded.is_zero(), self.refunded),
                );
                a.insert("processed_fee".into(), self.opt_num(processed, self.fee));
                a.insert(
                    "processed_deposit".into(),
                    self.opt_num(processed, self.deposit()),
                );
                a.insert("metadata".into(), php_obj(self.metadata.clone()));
                a.insert("flow_data".into(), self.flow_data(base_url));
                a.insert("flow".into(), json!(self.service.flow_name()));
                a.insert("payment_flow".into(), json!(self.payment_flow));
                a.insert("created".into(), json!(self.created));
                a.insert("updated".into(), json!(self.updated));
                a.insert(
                    "payload".into(),
                    match &self.payload {
                        Some(p) => php_obj((**p).clone()),
                        None => Value::Null,
                    },
                );
                a.insert("description".into(), json!(self.description));
                a.insert("descriptor".into(), Value::Null);
                a.insert("callback_url".into(), json!(self.callback_url));
                a.insert("return_url".into(), json!(self.return_url));
                if let Some(urls) = &self.return_urls {
                    a.insert("return_urls".into(), Value::Object((**urls).clone()));
                }
                a.insert(
                    "original_data".into(),
                    json!({
                        "external_id": self.sid(),
                        "merchant_id": "sandbox",
                        "provider_id": null,
                        "external_mid": &*self.external_mid,
                        "provider_code": "test",
                    }),
                );
                a.insert("rrn".into(), json!(self.rrn));
                a.insert("approval_code".into(), json!(self.approval_code));
                a.insert("reserved_amount".into(), Value::Null);
                a.insert("reserve_expires".into(), Value::Null);
                a.insert("unreserved".into(), Value::Null);
            }
            Kind::Payout => {
                a.insert("currency".into(), json!(self.service.currency.code()));
                a.insert(
                    "service_currency".into(),
                    json!(self.service.currency.code()),
                );
                a.insert("reference_id".into(), json!(self.reference_id));
                a.insert("test_mode".into(), json!(self.test_mode));
                a.insert("fee".into(), num(self.fee));
                a.insert("processed".into(), json!(self.processed));
                a.insert(
                    "processed_amount".into(),
                    self.opt_num(processed, self.amount),
                );
                a.insert("processed_fee".into(), self.opt_num(processed, self.fee));
                a.insert("metadata".into(), php_obj(self.metadata.clone()));
                a.insert("fields".into(), php_obj(self.fields.clone()));
                a.insert("flow".into(), json!("payout"));
                a.insert("created".into(), json!(self.created));
                a.insert("updated".into(), json!(self.updated));
                a.insert("description".into(), json!(self.description));
                a.insert("descriptor".into(), Value::Null);
                a.insert("callback_url".into(), json!(self.callback_url));
                let payouts = match &self.payout_id {
                    Some(po) => json!([{
                        "id": po,
                        "rrn": self.rrn,
                        "amount": num(self.amount),
                        "currency": self.service.currency.code(),
                        "status": self.status,
                    }]),
                    None => json!([]),
                };
                a.insert("payouts".into(), payouts);
            }
        }
        a.insert("source".into(), json!(self.source));
        a.insert("callback_logs".into(), self.callback_logs_json());
        json!({
            "type": self.kind.resource_type(),
            "id": self.id,
            "attributes": a,
            "relationships": self.relationships(),
            "links": {"self": self.self_link()},
        })
    }

    /// The flat public shape (`GET /public-api/payment-invoices/{id}` and the public create).
    pub fn flat(&self, base_url: &str) -> Value {
        let processed = self.processed.is_some();
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("serial_number".into(), json!(self.serial_number()));
        m.insert("created".into(), json!(self.created));
        m.insert("test_mode".into(), json!(self.test_mode));
        m.insert("reference_id".into(), json!(self.reference_id));
        m.insert("currency".into(), json!(self.service.currency.code()));
        m.insert("amount".into(), num(self.amount));
        let resolution = self.resolution.to_ascii_uppercase();
        match self.kind {
            Kind::Payment => {
                m.insert("payment_amount".into(), num(self.amount));
                m.insert(
                    "processed_amount".into(),
                    self.opt_num(processed, self.amount),
                );
                m.insert(
                    "refunded_amount".into(),
                    self.opt_num(!self.refunded.is_zero(), self.refunded),
                );
                m.insert("description".into(), json!(self.description));
                m.insert(
                    "has_return_url".into(),
                    json!(self.return_url.is_some() || self.return_urls.is_some()),
                );
                m.insert("status".into(), json!(self.status));
                m.insert("resolution".into(), json!(resolution));
                m.insert("service".into(), json!(self.service.code));
                m.insert("service_method".into(), json!(self.service.method));
                m.insert("service_flow".into(), json!(self.service.flow_name()));
                m.insert(
                    "service_currency".into(),
                    json!(self.service.currency.code()),
                );
                m.insert("metadata".into(), php_obj(self.metadata.clone()));
                let payment_status = match self.status.as_ref() {
                    "created" | "process_pending" => "invoked",
                    other => other,
                };
                m.insert(
                    "active_payment".into(),
                    json!({
                        "payload": self.flow_data(base_url),
                        "status": payment_status,
                        "resolution": resolution,
                    }),
                );
            }
            Kind::Payout => {
                m.insert(
                    "processed_amount".into(),
                    self.opt_num(processed, self.amount),
                );
                m.insert("description".into(), json!(self.description));
                m.insert("status".into(), json!(self.status));
                m.insert("resolution".into(), json!(resolution));
                m.insert("service".into(), json!(self.service.code));
                m.insert("service_method".into(), json!(self.service.method));
                m.insert(
                    "service_currency".into(),
                    json!(self.service.currency.code()),
                );
                m.insert("metadata".into(), php_obj(self.metadata.clone()));
            }
        }
        Value::Object(m)
    }
}

#[derive(Debug, Clone)]
pub struct Refund {
    pub id: String,
    pub account: usize,
    pub invoice_id: String,
    pub reference_id: String,
    pub description: Option<String>,
    pub status: String,
    pub amount: Decimal,
    pub currency: &'static str,
    pub created: i64,
    /// The store's creation order (lists are newest first; `created` has whole seconds).
    pub seq: u64,
}

impl Refund {
    pub fn resource(&self) -> Value {
        json!({
            "type": "refunds",
            "id": self.id,
            "attributes": {
                "reference_id": self.reference_id,
                "original_id": self.invoice_id,
                "description": self.description,
                "status": self.status,
                "amount": num(self.amount),
                "fee": 0,
                "currency": self.currency,
                "created": self.created,
            },
            "links": {"self": format!("/api/refunds/{}", self.id)},
        })
    }
}
