//! Records returned to Kotlin and Swift. Amounts are exact decimals (Kotlin `BigDecimal`, Swift
//! `Decimal`), never binary floats; times are `java.time.Instant` / `Date`;
//! whole documents are JSON text (`raw_json`), with key order and number lexemes as received.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use polypay::ecommpay;
use polypay::paycore;
use polypay::paycore::client::Response;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::ledger::LedgerEvent;

/// Money: an exact decimal, `java.math.BigDecimal` in Kotlin and `Decimal` in Swift
/// (uniffi.toml). It crosses as its decimal text, never as a binary float. (A type of its own:
/// Swift's `Decimal` would shadow one named `Decimal`.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExactDecimal(pub Decimal);

impl ExactDecimal {
    /// The decimal text it crosses as (and is sent as): normalised, `100.55`.
    pub fn text(&self) -> String {
        self.0.normalize().to_string()
    }
}

uniffi::custom_type!(ExactDecimal, String, {
    lower: |amount| amount.text(),
    try_lift: |text| Ok(ExactDecimal(text.parse::<Decimal>()?)),
});

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

/// Converts a core field to its record type; the target is the field's type in the record.
trait Lower<T> {
    fn lower(&self) -> T;
}

macro_rules! lower_by_clone {
    ($($t:ty),*) => {$(
        impl Lower<$t> for $t {
            fn lower(&self) -> $t {
                self.clone()
            }
        }
    )*};
}

lower_by_clone!(String, bool);

impl Lower<ExactDecimal> for Decimal {
    fn lower(&self) -> ExactDecimal {
        ExactDecimal(*self)
    }
}

impl Lower<SystemTime> for DateTime<Utc> {
    fn lower(&self) -> SystemTime {
        SystemTime::from(*self)
    }
}

impl<C: Lower<R>, R> Lower<Option<R>> for Option<C> {
    fn lower(&self) -> Option<R> {
        self.as_ref().map(Lower::lower)
    }
}

impl<C: Lower<R>, R> Lower<Vec<R>> for Vec<C> {
    fn lower(&self) -> Vec<R> {
        self.iter().map(Lower::lower).collect()
    }
}

// The core's open enums as uniffi enums (a Kotlin sealed class, a Swift enum): the known values
// as variants, `Other` keeping any value this version does not know. `toString()` /
// `description` is the value as the API writes it.
macro_rules! uniffi_open_enums {
    ($( $(#[$doc:meta])* $name:ident { $( $variant:ident = $text:literal $(| $alias:literal)* ),+ $(,)? } )*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Enum)]
        #[uniffi::export(Display)]
        pub enum $name {
            $( $variant, )+
            /// A value this SDK version does not know, as sent.
            Other { value: String },
        }

        impl Lower<$name> for paycore::model::$name {
            fn lower(&self) -> $name {
                match self {
                    $( paycore::model::$name::$variant => $name::$variant, )+
                    other => $name::Other { value: other.as_str().to_owned() },
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(match self {
                    $( $name::$variant => $text, )+
                    $name::Other { value } => value,
                })
            }
        }
    )*};
}

polypay::paycore_open_enums!(uniffi_open_enums);

// The core's models as uniffi records. A field's type follows its kind in the table; maps and
// lists of JSON cross as JSON text under `<field>_json`. The munching rules collect each field's
// declaration and its value from the core's model (`m`).
macro_rules! uniffi_records {
    ($( $(#[$doc:meta])* $name:ident $role:ident {
        $( $field:ident: $kind:ident $(($inner:ident))? ),* $(,)?
    } derived { $( $derived:ident ),* } )*) => {$(
        uniffi_records!(@munch m [$(#[$doc])* $name $role { $($derived)* }] [] [] $( $field $kind $(($inner))?, )*);
    )*};
    (@munch $m:ident $head:tt [$($decl:tt)*] [$($init:tt)*] $field:ident JsonMap, $($rest:tt)*) => { pastey::paste! {
        uniffi_records!(@munch $m $head
            [$($decl)* #[doc = "The object as sent, as JSON text."] pub [<$field _json>]: String,]
            [$($init)* [<$field _json>]: json_map(&$m.$field),] $($rest)*);
    }};
    (@munch $m:ident $head:tt [$($decl:tt)*] [$($init:tt)*] $field:ident JsonList, $($rest:tt)*) => { pastey::paste! {
        uniffi_records!(@munch $m $head
            [$($decl)* #[doc = "Each item as sent, as JSON text."] pub [<$field _json>]: Vec<String>,]
            [$($init)* [<$field _json>]: $m.$field.iter().map(Value::to_string).collect(),] $($rest)*);
    }};
    (@munch $m:ident $head:tt [$($decl:tt)*] [$($init:tt)*] $field:ident $kind:ident $(($inner:ident))?, $($rest:tt)*) => {
        uniffi_records!(@munch $m $head
            [$($decl)* pub $field: uniffi_records!(@type $kind $($inner)?),]
            [$($init)* $field: $m.$field.lower(),] $($rest)*);
    };
    (@type Text) => { String };
    (@type OptText) => { Option<String> };
    (@type OptBool) => { Option<bool> };
    (@type OptMoney) => { Option<ExactDecimal> };
    (@type OptTime) => { Option<SystemTime> };
    (@type Enum $inner:ident) => { $inner };
    (@type OptEnum $inner:ident) => { Option<$inner> };
    (@type OptRecord $inner:ident) => { Option<$inner> };
    (@type List $inner:ident) => { Vec<$inner> };
    (@munch $m:ident [$(#[$doc:meta])* $name:ident Resource { $($derived:ident)* }] [$($decl:tt)*] [$($init:tt)*]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, uniffi::Record)]
        pub struct $name {
            $($decl)*
            $( pub $derived: bool, )*
            /// The resource exactly as received, as JSON text.
            pub raw_json: String,
            /// What the HTTP exchange said (absent on callbacks and list items).
            pub response: Option<ResponseInfo>,
        }

        impl $name {
            pub fn new($m: &paycore::model::$name, response: Option<ResponseInfo>) -> Self {
                $name { $($init)* $( $derived: $m.$derived(), )* raw_json: $m.raw.to_string(), response }
            }
        }
    };
    (@munch $m:ident [$(#[$doc:meta])* $name:ident Part { $($derived:ident)* }] [$($decl:tt)*] [$($init:tt)*]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, uniffi::Record)]
        pub struct $name {
            $($decl)*
            $( pub $derived: bool, )*
        }

        impl Lower<$name> for paycore::model::$name {
            fn lower(&self) -> $name {
                let $m = self;
                $name { $($init)* $( $derived: $m.$derived(), )* }
            }
        }
    };
}

polypay::paycore_records!(uniffi_records);

/// The invoice a PayCore callback reports.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum CallbackInvoice {
    Payment { invoice: PaymentInvoice },
    Payout { invoice: PayoutInvoice },
}

/// A verified PayCore callback: `invoice` is set for the resource types this SDK models
/// (payment and payout invoices), null for others, which only have the common fields.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CallbackEvent {
    /// The resource type, e.g. `payment-invoices`.
    pub event_type: String,
    pub id: String,
    pub status: String,
    pub is_final: bool,
    pub is_success: bool,
    pub invoice: Option<CallbackInvoice>,
    /// The invoice's new state for the exactly-once ledger (`ledger_decide`); null for a
    /// resource type this SDK does not model.
    pub ledger_event: Option<LedgerEvent>,
    /// The whole document (with `included`), as received, as JSON text.
    pub raw_json: String,
}

impl CallbackEvent {
    pub fn new(e: &paycore::CallbackEvent) -> Self {
        CallbackEvent {
            event_type: e.event_type().to_owned(),
            id: e.id().to_owned(),
            status: e.status().to_owned(),
            is_final: e.is_final(),
            is_success: e.is_success(),
            invoice: match e {
                paycore::CallbackEvent::PaymentInvoice { invoice, .. } => {
                    Some(CallbackInvoice::Payment {
                        invoice: PaymentInvoice::new(invoice, None),
                    })
                }
                paycore::CallbackEvent::PayoutInvoice { invoice, .. } => {
                    Some(CallbackInvoice::Payout {
                        invoice: PayoutInvoice::new(invoice, None),
                    })
                }
                _ => None,
            },
            ledger_event: e.ledger_event().as_ref().map(LedgerEvent::from),
            raw_json: e.raw().to_string(),
        }
    }
}

/// A sum in minor units (`payment.sum`, `operation.sum_initial`, ...).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct EcommpaySum {
    pub amount: i64,
    pub currency: String,
}

/// `operation` of an ecommpay callback (and each of a Gate status answer's `operations`).
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
    /// `payment.method`, e.g. `card`.
    pub payment_method: Option<String>,
    /// `customer.id`.
    pub customer_id: Option<String>,
    /// The saved card's token (`account.token`, or `token` in a tokenize callback).
    pub card_token: Option<String>,
    /// The masked card number (`account.number`).
    pub card_mask: Option<String>,
    /// The recurring (COF) id to charge the card again (`recurring.id`).
    pub recurring_id: Option<String>,
    pub operation: Option<EcommpayOperation>,
    pub is_success: bool,
    /// The payment's new state for the exactly-once ledger (`ledger_decide`); null without a
    /// payment id or status.
    pub ledger_event: Option<LedgerEvent>,
    /// The whole body, as received.
    pub raw_json: String,
}

pub(crate) fn sum(s: ecommpay::Sum) -> EcommpaySum {
    EcommpaySum {
        amount: s.amount,
        currency: s.currency,
    }
}

impl EcommpayOperation {
    pub(crate) fn new(op: ecommpay::Operation) -> Self {
        EcommpayOperation {
            id: op.id,
            operation_type: op.operation_type,
            status: op.status.map(|s| s.as_str().to_owned()),
            request_id: op.request_id,
            code: op.code,
            message: op.message,
            sum_initial: op.sum_initial.map(sum),
            sum_converted: op.sum_converted.map(sum),
        }
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
            payment_method: c.payment_method(),
            customer_id: c.customer_id(),
            card_token: c.card_token(),
            card_mask: c.card_mask(),
            recurring_id: c.recurring_id(),
            operation: c.operation().map(EcommpayOperation::new),
            is_success: c.is_success(),
            ledger_event: c.ledger_event().as_ref().map(LedgerEvent::from),
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
