//! The core's models as JS objects, expanded from the core's record table: their TypeScript
//! types are generated into `native.d.ts` with the addon. Money is exact decimal text
//! (`"100.55"`), times RFC 3339 UTC text, absent values `null`. Objects the gateway sent
//! (`raw`, `metadata`, …) are built by `JSON.parse` from their text, as a JS program would.

use napi::bindgen_prelude::{
    Either, Either5, Either7, JsObjectValue, Object, ToNapiValue, TypeName, ValueType,
};
use napi::{sys, Env, JsValue};
use napi_derive::napi;
use polypay::ecommpay;
use polypay::paycore::client::{Item, Outcome, Response};
use polypay::paycore::model;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// JSON text that becomes a JS value through `JSON.parse` (numbers as JS numbers, exactly as
/// a JS program reading the gateway's answer would see them).
pub struct Json(pub String);

impl TypeName for Json {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Json {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        let env = Env::from_raw(env);
        let json: Object = env.get_global()?.get_named_property("JSON")?;
        let parse: napi::bindgen_prelude::Function<String, napi::Unknown> =
            json.get_named_property("parse")?;
        Ok(parse.call(value.0)?.raw())
    }
}

/// Converts a core field to its JS record type; the target is the field's type in the record.
pub trait Lower<T> {
    fn lower(&self) -> T;
}

impl Lower<String> for String {
    fn lower(&self) -> String {
        self.clone()
    }
}

/// The core's readers normalise amounts already (`100.50` is `100.5`).
impl Lower<String> for Decimal {
    fn lower(&self) -> String {
        self.to_string()
    }
}

impl Lower<String> for chrono::DateTime<chrono::Utc> {
    fn lower(&self) -> String {
        polypay::time::timestamp(self)
    }
}

impl Lower<Json> for Map<String, Value> {
    fn lower(&self) -> Json {
        Json(serde_json::to_string(self).expect("serialising to memory"))
    }
}

impl Lower<Json> for Vec<Value> {
    fn lower(&self) -> Json {
        Json(serde_json::to_string(self).expect("serialising to memory"))
    }
}

impl Lower<Json> for Value {
    fn lower(&self) -> Json {
        Json(self.to_string())
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

// Open enums: a field holds the value's text (a value this SDK does not know stays as sent), typed
// `PaymentInvoiceStatus | string`: the string enum declares the known values (and exports them,
// `PaymentInvoiceStatus.Processed === 'processed'`) without closing the type.
macro_rules! node_open_enums {
    ($( $(#[$doc:meta])* $name:ident { $( $variant:ident = $text:literal $(| $alias:literal)* ),+ $(,)? } )*) => {$(
        $(#[$doc])*
        #[napi(string_enum)]
        #[allow(dead_code)]
        pub enum $name {
            $( #[napi(value = $text)] $variant, )+
        }

        impl Lower<Either<$name, String>> for model::$name {
            fn lower(&self) -> Either<$name, String> {
                Either::B(self.as_str().to_owned())
            }
        }
    )*};
}

polypay::paycore_open_enums!(node_open_enums);

/// What the HTTP exchange said about a result.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct ResponseInfo {
    pub http_status: u16,
    pub request_id: Option<String>,
    /// Found by `reference_id` after an attempt whose outcome was unknown (or a 409).
    pub reconciled: bool,
}

// One `#[napi(object)]` per model. The munching rules turn each field's kind into a Rust type
// napi can describe in TypeScript, and collect the field's value from the core's model (`$m`).
macro_rules! node_records {
    ($( $(#[$doc:meta])* $name:ident $role:ident {
        $( $field:ident: $kind:ident $(($inner:ident))? ),* $(,)?
    } derived { $( $derived:ident ),* } )*) => {$(
        node_records!(@munch m [$(#[$doc])* $name $role { $($derived)* }] [] [] $( $field $kind $(($inner))?, )*);
    )*};
    (@munch $m:ident $head:tt [$($decl:tt)*] [$($init:tt)*] $field:ident Text, $($rest:tt)*) => {
        node_records!(@munch $m $head [$($decl)* pub $field: String,] [$($init)* $field: $m.$field.lower(),] $($rest)*);
    };
    (@munch $m:ident $head:tt [$($decl:tt)*] [$($init:tt)*] $field:ident OptText, $($rest:tt)*) => {
        node_records!(@munch $m $head [$($decl)* pub $field: Option<String>,] [$($init)* $field: $m.$field.lower(),] $($rest)*);
    };
    (@munch $m:ident $head:tt [$($decl:tt)*] [$($init:tt)*] $field:ident OptBool, $($rest:tt)*) => {
        node_records!(@munch $m $head [$($decl)* pub $field: Option<bool>,] [$($init)* $field: $m.$field,] $($rest)*);
    };
    (@munch $m:ident $head:tt [$($decl:tt)*] [$($init:tt)*] $field:ident OptMoney, $($rest:tt)*) => {
        node_records!(@munch $m $head [$($decl)* #[doc = "An exact decimal, as text (`\"100.55\"`)."] pub $field: Option<String>,] [$($init)* $field: $m.$field.lower(),] $($rest)*);
    };
    (@munch $m:ident $head:tt [$($decl:tt)*] [$($init:tt)*] $field:ident OptTime, $($rest:tt)*) => {
        node_records!(@munch $m $head [$($decl)* #[doc = "RFC 3339, UTC."] pub $field: Option<String>,] [$($init)* $field: $m.$field.lower(),] $($rest)*);
    };
    (@munch $m:ident $head:tt [$($decl:tt)*] [$($init:tt)*] $field:ident JsonMap, $($rest:tt)*) => {
        node_records!(@munch $m $head [$($decl)* #[napi(ts_type = "Record<string, unknown>")] pub $field: Json,] [$($init)* $field: $m.$field.lower(),] $($rest)*);
    };
    (@munch $m:ident $head:tt [$($decl:tt)*] [$($init:tt)*] $field:ident JsonList, $($rest:tt)*) => {
        node_records!(@munch $m $head [$($decl)* #[napi(ts_type = "unknown[]")] pub $field: Json,] [$($init)* $field: $m.$field.lower(),] $($rest)*);
    };
    (@munch $m:ident $head:tt [$($decl:tt)*] [$($init:tt)*] $field:ident Enum($inner:ident), $($rest:tt)*) => {
        node_records!(@munch $m $head [$($decl)* pub $field: Either<$inner, String>,] [$($init)* $field: $m.$field.lower(),] $($rest)*);
    };
    (@munch $m:ident $head:tt [$($decl:tt)*] [$($init:tt)*] $field:ident OptEnum($inner:ident), $($rest:tt)*) => {
        node_records!(@munch $m $head [$($decl)* pub $field: Option<Either<$inner, String>>,] [$($init)* $field: $m.$field.lower(),] $($rest)*);
    };
    (@munch $m:ident $head:tt [$($decl:tt)*] [$($init:tt)*] $field:ident OptRecord($inner:ident), $($rest:tt)*) => {
        node_records!(@munch $m $head [$($decl)* pub $field: Option<$inner>,] [$($init)* $field: $m.$field.as_ref().map($inner::new),] $($rest)*);
    };
    (@munch $m:ident $head:tt [$($decl:tt)*] [$($init:tt)*] $field:ident List($inner:ident), $($rest:tt)*) => {
        node_records!(@munch $m $head [$($decl)* pub $field: Vec<$inner>,] [$($init)* $field: $m.$field.iter().map($inner::new).collect(),] $($rest)*);
    };
    (@munch $m:ident [$(#[$doc:meta])* $name:ident Resource { $($derived:ident)* }] [$($decl:tt)*] [$($init:tt)*]) => {
        $(#[$doc])*
        #[napi(object, object_from_js = false, use_nullable = true)]
        pub struct $name {
            $($decl)*
            $( pub $derived: bool, )*
            /// The resource exactly as received (numbers as JS numbers: read money from the
            /// typed fields).
            #[napi(ts_type = "Record<string, unknown>")]
            pub raw: Json,
            /// What the HTTP exchange said (absent on list items and lookups).
            pub response: Option<ResponseInfo>,
        }

        impl $name {
            pub fn new($m: &model::$name) -> Self {
                $name { $($init)* $( $derived: $m.$derived(), )* raw: $m.raw.lower(), response: None }
            }

            pub fn answered(response: &Response<model::$name>) -> Self {
                $name {
                    response: Some(ResponseInfo {
                        http_status: response.http_status,
                        request_id: response.request_id.clone(),
                        reconciled: response.reconciled,
                    }),
                    ..$name::new(&response.data)
                }
            }
        }
    };
    (@munch $m:ident [$(#[$doc:meta])* $name:ident Part { $($derived:ident)* }] [$($decl:tt)*] [$($init:tt)*]) => {
        $(#[$doc])*
        #[napi(object, object_from_js = false, use_nullable = true)]
        pub struct $name {
            $($decl)*
            $( pub $derived: bool, )*
        }

        impl $name {
            pub fn new($m: &model::$name) -> Self {
                $name { $($init)* $( $derived: $m.$derived(), )* }
            }
        }
    };
}

polypay::paycore_records!(node_records);

/// The answer of an operation: one of the models, or `null` for a lookup that found nothing.
pub type Answer = Option<
    Either7<
        Prerequest,
        PaymentInvoice,
        PayoutInvoice,
        Refund,
        PaymentService,
        PayoutService,
        Balances,
    >,
>;

pub fn answer(outcome: Outcome) -> Answer {
    use napi::bindgen_prelude::Either7::*;
    Some(match outcome {
        Outcome::Prerequest(r) => A(Prerequest::answered(&r)),
        Outcome::PaymentInvoice(r) => B(PaymentInvoice::answered(&r)),
        Outcome::PayoutInvoice(r) => C(PayoutInvoice::answered(&r)),
        Outcome::Refund(r) => D(Refund::answered(&r)),
        Outcome::PaymentService(r) => E(PaymentService::answered(&r)),
        Outcome::PayoutService(r) => F(PayoutService::answered(&r)),
        Outcome::Balances(r) => G(Balances::answered(&r)),
        Outcome::Found(None) => return None,
        Outcome::Found(Some(item)) => match list_item(item) {
            Either5::A(i) => B(i),
            Either5::B(i) => C(i),
            Either5::C(s) => E(s),
            Either5::D(s) => F(s),
            Either5::E(r) => D(r),
        },
    })
}

/// An item of a list.
pub type ListItem = Either5<PaymentInvoice, PayoutInvoice, PaymentService, PayoutService, Refund>;

pub fn list_item(item: Item) -> ListItem {
    use napi::bindgen_prelude::Either5::*;
    match item {
        Item::PaymentInvoice(i) => A(PaymentInvoice::new(&i)),
        Item::PayoutInvoice(i) => B(PayoutInvoice::new(&i)),
        Item::PaymentService(s) => C(PaymentService::new(&s)),
        Item::PayoutService(s) => D(PayoutService::new(&s)),
        Item::Refund(r) => E(Refund::new(&r)),
    }
}

/// A verified PayCore callback (the TypeScript layer adds `raw`, the whole document, parsed
/// from the body on first access).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CallbackEvent {
    /// The resource type, e.g. `payment-invoices`.
    pub event_type: String,
    pub id: String,
    pub status: String,
    pub is_final: bool,
    pub is_success: bool,
    /// The invoice, for `payment-invoices` and `payout-invoices` events (null otherwise).
    pub invoice: Option<napi::bindgen_prelude::Either<PaymentInvoice, PayoutInvoice>>,
    /// The invoice's new state for the exactly-once ledger (`polypay/ledger`); null for a
    /// resource type this version does not model.
    pub ledger_event: Option<LedgerEvent>,
}

impl CallbackEvent {
    pub fn new(event: &polypay::paycore::CallbackEvent) -> Self {
        use napi::bindgen_prelude::Either::{A, B};
        use polypay::paycore::CallbackEvent as Core;
        CallbackEvent {
            event_type: event.event_type().to_owned(),
            id: event.id().to_owned(),
            status: event.status().to_owned(),
            is_final: event.is_final(),
            is_success: event.is_success(),
            invoice: match event {
                Core::PaymentInvoice { invoice, .. } => Some(A(PaymentInvoice::new(invoice))),
                Core::PayoutInvoice { invoice, .. } => Some(B(PayoutInvoice::new(invoice))),
                _ => None,
            },
            ledger_event: event.ledger_event().as_ref().map(LedgerEvent::new),
        }
    }
}

/// A verified callback's new state as the exactly-once ledger sees it (`polypay/ledger`): the
/// entity's lifecycle and id, its status, and when the gateway says that state arose.
#[napi(object, use_nullable = true)]
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEvent {
    /// The entity's documented lifecycle: the ledger's `kind` column.
    #[napi(
        ts_type = "'paycore.payment' | 'paycore.payout' | 'ecommpay.payment' | 'ecommpay.operation'"
    )]
    pub kind: String,
    /// The invoice id (PayCore) or the merchant's `payment_id` (ecommpay).
    pub entity_id: String,
    /// Canonical (aliases and case folded: `SUCCESSFUL` is `processed`).
    pub status: String,
    /// Unix seconds (PayCore `updated`, ecommpay `operation.date`), when the callback has one.
    pub time: Option<i64>,
}

impl LedgerEvent {
    pub fn new(event: &polypay::ledger::LedgerEvent) -> Self {
        LedgerEvent {
            kind: event.lifecycle.as_str().to_owned(),
            entity_id: event.entity_id.clone(),
            status: event.status.clone(),
            time: event.time,
        }
    }
}

// The ecommpay callback crosses as JSON text, parsed by `JSON.parse` (measured faster than
// building the object through N-API: a tenth of a verification); these structs are both what is
// serialised and, through napi, its TypeScript declaration.

/// A sum in minor units (`payment.sum`, `operation.sum_initial`, …).
#[napi(object, object_from_js = false)]
#[derive(serde::Serialize)]
pub struct EcommpaySum {
    pub amount: i64,
    pub currency: String,
}

/// `operation` of an ecommpay callback (and each of a Gate status answer's `operations`).
#[napi(object, object_from_js = false, use_nullable = true)]
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EcommpayOperation {
    pub id: Option<String>,
    #[napi(js_name = "type")]
    #[serde(rename = "type")]
    pub operation_type: Option<String>,
    pub status: Option<String>,
    pub request_id: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub sum_initial: Option<EcommpaySum>,
    pub sum_converted: Option<EcommpaySum>,
}

impl EcommpayOperation {
    pub fn new(op: ecommpay::Operation) -> Self {
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

/// The typed fields of a verified ecommpay callback (the TypeScript layer adds `raw`, the
/// body parsed on first access).
#[napi(object, object_from_js = false, use_nullable = true)]
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
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
    /// `payment.status === "success"`.
    pub is_success: bool,
    /// The payment's new state for the exactly-once ledger (`polypay/ledger`); null without a
    /// payment id or status.
    pub ledger_event: Option<LedgerEvent>,
}

pub fn sum(s: ecommpay::Sum) -> EcommpaySum {
    EcommpaySum {
        amount: s.amount,
        currency: s.currency,
    }
}

impl EcommpayCallback {
    /// The typed fields as JSON text.
    pub fn json(c: &ecommpay::EcommpayCallback) -> String {
        serde_json::to_string(&Self::new(c)).expect("serialising to memory")
    }

    fn new(c: &ecommpay::EcommpayCallback) -> Self {
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
            ledger_event: c.ledger_event().as_ref().map(LedgerEvent::new),
        }
    }
}

/// The auto-redirect form of the Hosted Payment Page.
#[napi(object, object_from_js = false)]
pub struct HppForm {
    pub action: String,
    #[napi(ts_type = "'POST'")]
    pub method: String,
    /// The hidden fields, in order, as `[name, value]`.
    #[napi(ts_type = "[string, string][]")]
    pub fields: Vec<Vec<String>>,
    /// The auto-submitting form as HTML, every value escaped.
    pub html: String,
}

impl HppForm {
    pub fn new(form: &polypay::paycore::HppForm, button_label: &str) -> Self {
        HppForm {
            action: form.action.clone(),
            method: form.method.to_owned(),
            fields: form
                .fields
                .iter()
                .map(|(name, value)| vec![name.clone(), value.clone()])
                .collect(),
            html: form.to_html(button_label),
        }
    }
}
