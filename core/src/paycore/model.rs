//! Payment and payout invoices as the Commerce API and its callbacks describe them.
//!
//! Both documented shapes are read: JSON:API resources (`{type, id, attributes}`, private API
//! and callbacks) and the flat objects of the public API. Every model keeps the resource it was
//! read from in `raw`, so fields this SDK does not know yet are never lost.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::json::read;
use crate::open_enum::open_enum;

macro_rules! define_open_enums {
    ($( $(#[$meta:meta])* $name:ident { $( $variant:ident = $text:literal $(| $alias:literal)* ),+ $(,)? } )*) => {
        $( open_enum! { $(#[$meta])* pub enum $name { $( $variant = $text $(| $alias)* ),+ } } )*
    };
}

crate::paycore_open_enums!(define_open_enums);

impl PaymentInvoiceStatus {
    /// No further status change is expected. `processed` counts as final (it can still be
    /// refunded or charged back later, which arrives as a new callback).
    pub fn is_final(&self) -> bool {
        use PaymentInvoiceStatus::*;
        matches!(
            self,
            Expired
                | Terminated
                | Processed
                | ProcessFailed
                | PartiallyRefunded
                | Refunded
                | RefundFailed
                | ChargedBack
                | PartiallyChargedBack
        )
    }

    /// The customer paid: ship the order. Only `processed`.
    pub fn is_success(&self) -> bool {
        matches!(self, PaymentInvoiceStatus::Processed)
    }
}

impl PayoutInvoiceStatus {
    pub fn is_final(&self) -> bool {
        use PayoutInvoiceStatus::*;
        matches!(
            self,
            Expired
                | Terminated
                | Processed
                | ProcessFailed
                | PartiallyCanceled
                | Canceled
                | CancelFailed
        )
    }

    /// The money was paid out. Only `processed`.
    pub fn is_success(&self) -> bool {
        matches!(self, PayoutInvoiceStatus::Processed)
    }
}

/// Where to send the customer next (`flow_data` in the private API, `active_payment.payload`
/// in the public one).
#[derive(Debug, Clone, PartialEq)]
pub struct FlowData {
    pub action: String,
    pub method: String,
    pub params: Map<String, Value>,
}

impl FlowData {
    fn read(obj: Option<&Map<String, Value>>) -> Option<FlowData> {
        let obj = obj?;
        Some(FlowData {
            action: read::string(obj, "action")?,
            method: read::string(obj, "method").unwrap_or_else(|| "GET".to_owned()),
            params: read::map(obj, "params"),
        })
    }
}

/// A payment invoice (`cpi_…`).
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentInvoice {
    pub id: String,
    pub status: PaymentInvoiceStatus,
    pub resolution: Option<Resolution>,
    pub reference_id: Option<String>,
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    pub payment_amount: Option<Decimal>,
    pub processed_amount: Option<Decimal>,
    pub refunded_amount: Option<Decimal>,
    pub service: Option<String>,
    pub test_mode: Option<bool>,
    pub description: Option<String>,
    pub metadata: Map<String, Value>,
    pub flow_data: Option<FlowData>,
    pub created: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// The resource exactly as received.
    pub raw: Value,
}

/// A payout invoice (`cpoi_…`).
#[derive(Debug, Clone, PartialEq)]
pub struct PayoutInvoice {
    pub id: String,
    pub status: PayoutInvoiceStatus,
    pub resolution: Option<Resolution>,
    pub reference_id: Option<String>,
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    pub service: Option<String>,
    pub test_mode: Option<bool>,
    pub description: Option<String>,
    pub metadata: Map<String, Value>,
    pub created: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub raw: Value,
}

/// The id and the attributes of a resource, whichever of the two documented shapes it has.
fn id_and_attributes(resource: &Value) -> Option<(String, &Map<String, Value>)> {
    let obj = resource.as_object()?;
    let attributes = read::object(obj, "attributes").unwrap_or(obj);
    let id = read::string(obj, "id")?;
    Some((id, attributes))
}

fn status_text(attributes: &Map<String, Value>) -> String {
    read::string(attributes, "status").unwrap_or_default()
}

impl PaymentInvoice {
    /// Reads a JSON:API resource or a flat public-API object (kept whole in `raw`); `None` if
    /// it has no `id`.
    pub fn from_resource(resource: Value) -> Option<PaymentInvoice> {
        let (id, a) = id_and_attributes(&resource)?;
        let flow = read::object(a, "flow_data")
            .or_else(|| read::object(a, "active_payment").and_then(|p| read::object(p, "payload")));
        let mut item = PaymentInvoice {
            id,
            status: PaymentInvoiceStatus::parse(&status_text(a)),
            resolution: read::string(a, "resolution").map(|r| Resolution::parse(&r)),
            reference_id: read::string(a, "reference_id"),
            amount: read::decimal(a, "amount"),
            currency: read::string(a, "currency"),
            payment_amount: read::decimal(a, "payment_amount"),
            processed_amount: read::decimal(a, "processed_amount"),
            refunded_amount: read::decimal(a, "refunded_amount"),
            service: read::string(a, "service"),
            test_mode: read::boolean(a, "test_mode"),
            description: read::string(a, "description"),
            metadata: read::map(a, "metadata"),
            flow_data: FlowData::read(flow),
            created: read::timestamp(a, "created"),
            updated: read::timestamp(a, "updated"),
            raw: Value::Null,
        };
        item.raw = resource;
        Some(item)
    }

    pub fn is_final(&self) -> bool {
        self.status.is_final()
    }

    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }
}

impl PayoutInvoice {
    /// Reads a resource (JSON:API or flat), keeping it whole in `raw`.
    pub fn from_resource(resource: Value) -> Option<PayoutInvoice> {
        let (id, a) = id_and_attributes(&resource)?;
        let mut item = PayoutInvoice {
            id,
            status: PayoutInvoiceStatus::parse(&status_text(a)),
            resolution: read::string(a, "resolution").map(|r| Resolution::parse(&r)),
            reference_id: read::string(a, "reference_id"),
            amount: read::decimal(a, "amount"),
            currency: read::string(a, "currency"),
            service: read::string(a, "service"),
            test_mode: read::boolean(a, "test_mode"),
            description: read::string(a, "description"),
            metadata: read::map(a, "metadata"),
            created: read::timestamp(a, "created"),
            updated: read::timestamp(a, "updated"),
            raw: Value::Null,
        };
        item.raw = resource;
        Some(item)
    }

    pub fn is_final(&self) -> bool {
        self.status.is_final()
    }

    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }
}

/// A payout service configured on the account (private API): the same fields as a payment
/// service.
pub type PayoutService = PaymentService;

/// A payment service configured on the account (`comcps_…`, private API).
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentService {
    pub id: String,
    /// The service code, e.g. `payment_card_usd_hpp`.
    pub service: Option<String>,
    pub method: Option<String>,
    pub currency: Option<String>,
    pub available: Option<bool>,
    pub active: Option<bool>,
    pub enabled: Option<bool>,
    pub amount_min: Option<Decimal>,
    pub amount_max: Option<Decimal>,
    pub test_mode: Option<bool>,
    pub raw: Value,
}

impl PaymentService {
    /// Reads a resource (JSON:API or flat), keeping it whole in `raw`.
    pub fn from_resource(resource: Value) -> Option<PaymentService> {
        let (id, a) = id_and_attributes(&resource)?;
        let mut item = PaymentService {
            id,
            service: read::string(a, "service"),
            method: read::string(a, "service_method"),
            currency: read::string(a, "service_currency").or_else(|| read::string(a, "currency")),
            available: read::boolean(a, "available"),
            active: read::boolean(a, "active"),
            enabled: read::boolean(a, "enabled"),
            amount_min: read::decimal(a, "amount_min"),
            amount_max: read::decimal(a, "amount_max"),
            test_mode: read::boolean(a, "test_mode"),
            raw: Value::Null,
        };
        item.raw = resource;
        Some(item)
    }
}

/// A refund of a payment invoice (`ref_…`).
#[derive(Debug, Clone, PartialEq)]
pub struct Refund {
    pub id: String,
    pub status: Option<String>,
    pub reference_id: Option<String>,
    /// The refunded payment invoice.
    pub original_id: Option<String>,
    pub amount: Option<Decimal>,
    pub fee: Option<Decimal>,
    pub currency: Option<String>,
    pub description: Option<String>,
    pub created: Option<DateTime<Utc>>,
    pub raw: Value,
}

impl Refund {
    /// Reads a resource (JSON:API or flat), keeping it whole in `raw`.
    pub fn from_resource(resource: Value) -> Option<Refund> {
        let (id, a) = id_and_attributes(&resource)?;
        let mut item = Refund {
            id,
            status: read::string(a, "status"),
            reference_id: read::string(a, "reference_id"),
            original_id: read::string(a, "original_id"),
            amount: read::decimal(a, "amount"),
            fee: read::decimal(a, "fee"),
            currency: read::string(a, "currency"),
            description: read::string(a, "description"),
            created: read::timestamp(a, "created"),
            raw: Value::Null,
        };
        item.raw = resource;
        Some(item)
    }
}

/// One currency account of the commerce account (balances come as decimal strings).
#[derive(Debug, Clone, PartialEq)]
pub struct CurrencyAccount {
    pub currency: String,
    pub account_id: Option<String>,
    pub active_balance: Option<Decimal>,
    pub pending_balance: Option<Decimal>,
    pub reserved_balance: Option<Decimal>,
    pub overdraft_limit: Option<Decimal>,
    pub balance_lower_limit: Option<Decimal>,
}

/// `GET /api/account/balances`.
#[derive(Debug, Clone, PartialEq)]
pub struct Balances {
    pub account_id: String,
    pub currencies: Vec<CurrencyAccount>,
    pub raw: Value,
}

impl Balances {
    pub fn from_resource(resource: Value) -> Option<Balances> {
        let (account_id, a) = id_and_attributes(&resource)?;
        let currencies = read::object(a, "currency_accounts")
            .map(|accounts| {
                accounts
                    .iter()
                    .filter_map(|(currency, acc)| {
                        let acc = acc.as_object()?;
                        Some(CurrencyAccount {
                            currency: currency.clone(),
                            account_id: read::string(acc, "account_id"),
                            active_balance: read::decimal(acc, "active_balance"),
                            pending_balance: read::decimal(acc, "pending_balance"),
                            reserved_balance: read::decimal(acc, "reserved_balance"),
                            overdraft_limit: read::decimal(acc, "overdraft_limit"),
                            balance_lower_limit: read::decimal(acc, "balance_lower_limit"),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut item = Balances {
            account_id,
            currencies,
            raw: Value::Null,
        };
        item.raw = resource;
        Some(item)
    }
}

/// One service offered by a pre-request.
#[derive(Debug, Clone, PartialEq)]
pub struct PrerequestService {
    pub code: String,
    pub method: Option<String>,
    pub flow: Option<String>,
    pub currency: Option<String>,
    pub amount_min: Option<Decimal>,
    pub amount_max: Option<Decimal>,
    /// The fields the service needs (`key`, `type`, `required`, `regexp`, labels...), as sent.
    pub fields: Vec<Value>,
}

/// The answer of a payment or payout pre-request: services and methods for a currency.
#[derive(Debug, Clone, PartialEq)]
pub struct Prerequest {
    pub currency: Option<String>,
    pub test_mode: Option<bool>,
    pub services: Vec<PrerequestService>,
    pub methods: Map<String, Value>,
    pub raw: Value,
}

impl Prerequest {
    /// Reads the flat shape and the older `{type, attributes}` one.
    pub fn from_data(data: Value) -> Option<Prerequest> {
        let obj = data.as_object()?;
        let a = read::object(obj, "attributes").unwrap_or(obj);
        let services = read::object(a, "services")
            .map(|services| {
                services
                    .iter()
                    .filter_map(|(code, service)| {
                        let s = service.as_object()?;
                        Some(PrerequestService {
                            code: read::string(s, "code").unwrap_or_else(|| code.clone()),
                            method: read::string(s, "method"),
                            flow: read::string(s, "flow"),
                            currency: read::string(s, "currency"),
                            amount_min: read::decimal(s, "amount_min"),
                            amount_max: read::decimal(s, "amount_max"),
                            fields: s
                                .get("fields")
                                .and_then(Value::as_array)
                                .cloned()
                                .unwrap_or_default(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut item = Prerequest {
            currency: read::string(a, "currency"),
            test_mode: read::boolean(a, "test_mode"),
            services,
            methods: read::map(a, "methods"),
            raw: Value::Null,
        };
        item.raw = data;
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_open_and_case_insensitive() {
        assert_eq!(
            PaymentInvoiceStatus::parse("processed"),
            PaymentInvoiceStatus::Processed
        );
        assert_eq!(
            PaymentInvoiceStatus::parse("SUCCESSFUL"),
            PaymentInvoiceStatus::Processed
        );
        let new = PaymentInvoiceStatus::parse("super_new_status");
        assert_eq!(new.as_str(), "super_new_status");
        assert!(!new.is_final() && !new.is_success());
        assert_eq!(Resolution::parse("OK"), Resolution::Ok);
        assert_eq!(
            PayoutInvoiceStatus::parse("cancelled"),
            PayoutInvoiceStatus::Canceled
        );
    }

    #[test]
    fn reads_both_shapes_and_php_habits() {
        let private: Value = serde_json::from_str(
            r#"{"type":"payment-invoices","id":"cpi_1","attributes":{"status":"processed",
            "amount":"100.50","currency":"USD","metadata":[],"created":"1597833098",
            "flow_data":{"action":"https:\/\/pay.example\/x","method":"GET","params":[]},
            "test_mode":true,"brand_new_field":{"x":1}}}"#,
        )
        .unwrap();
        let invoice = PaymentInvoice::from_resource(private).unwrap();
        assert_eq!(invoice.amount, Some(Decimal::new(1005, 1)));
        assert!(invoice.metadata.is_empty());
        assert_eq!(invoice.created.unwrap().timestamp(), 1597833098);
        assert_eq!(invoice.flow_data.unwrap().action, "https://pay.example/x");
        assert_eq!(invoice.raw["attributes"]["brand_new_field"]["x"], 1);

        let public: Value = serde_json::from_str(
            r#"{"id":"cpi_2","status":"process_pending","resolution":"OK","amount":123.45,
            "active_payment":{"payload":{"action":"https://cardgate/x","method":"GET","params":[]}}}"#,
        )
        .unwrap();
        let invoice = PaymentInvoice::from_resource(public).unwrap();
        assert_eq!(invoice.status, PaymentInvoiceStatus::ProcessPending);
        assert_eq!(invoice.resolution, Some(Resolution::Ok));
        assert_eq!(invoice.amount.unwrap().to_string(), "123.45");
        assert_eq!(invoice.flow_data.unwrap().action, "https://cardgate/x");
    }
}
