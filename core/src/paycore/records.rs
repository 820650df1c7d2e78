//! The record table: every model the Commerce API answers, field by field, once. Bindings do not
//! list fields themselves: they expand [`paycore_records!`](crate::paycore_records) and
//! [`paycore_open_enums!`](crate::paycore_open_enums) into their native records and enums, so a
//! field added to a model here reaches every language, and one the table forgets does not
//! compile (the check below names every field of every model).

/// Expands `$then! { … }` with the open enums of the models (statuses, resolutions):
///
/// ```text
/// /// doc
/// Name { Variant = "text" | "alias", … }
/// ```
///
/// Known values match case-insensitively; anything else is kept as `Other(String)`. Docs are
/// `#[doc = "…"]` for the reason given at [`paycore_records!`](crate::paycore_records).
#[macro_export]
macro_rules! paycore_open_enums {
    ($then:path) => {
        $then! {
            #[doc = "`status` of a payment invoice (paycore-api docs §4.1)."]
            PaymentInvoiceStatus {
                Created = "created" | "INITIALIZED",
                Expired = "expired",
                Terminated = "terminated",
                Processing = "processing",
                ProcessPending = "process_pending" | "PENDING",
                Processed = "processed" | "SUCCESSFUL",
                PartiallyProcessed = "partially_processed",
                ProcessError = "process_error",
                ProcessFailed = "process_failed" | "FAILED",
                Refunding = "refunding",
                RefundPending = "refund_pending" | "REFUNDING",
                PartiallyRefunded = "partially_refunded",
                Refunded = "refunded",
                RefundError = "refund_error",
                RefundFailed = "refund_failed",
                ChargedBack = "charged_back",
                PartiallyChargedBack = "partially_charged_back",
            }
            #[doc = "`status` of a payout invoice (paycore-api docs §4.2)."]
            PayoutInvoiceStatus {
                Created = "created",
                Expired = "expired",
                Terminated = "terminated",
                Processing = "processing",
                ProcessPending = "process_pending",
                Processed = "processed",
                PartiallyProcessed = "partially_processed",
                ProcessError = "process_error",
                ProcessFailed = "process_failed",
                Canceling = "canceling" | "cancelling",
                CancelPending = "cancel_pending",
                PartiallyCanceled = "partially_canceled" | "partially_cancelled",
                Canceled = "canceled" | "cancelled",
                CancelError = "cancel_error",
                CancelFailed = "cancel_failed",
            }
            #[doc = "`resolution`: why an invoice has its status (`ok` is possible with a failed"]
            #[doc = "status). The public API writes `OK`, the private API `ok`."]
            Resolution {
                Ok = "ok",
                Expired = "expired",
                GeneralDecline = "general_decline",
                InsufficientFunds = "insufficient_funds",
                AntifraudError = "antifraud_error",
                InvalidCard = "invalid_card",
                InvalidDetails = "invalid_details",
                IssuerDecline = "issuer_decline",
                Auth3dsRequired = "auth_3ds_required",
                FatalError = "fatal_error",
                InternalError = "internal_error",
            }
        }
    };
}

/// Expands `$then! { … }` with one entry per model of [`crate::paycore::model`]:
///
/// ```text
/// /// doc
/// Name Role { field: Kind, … } derived { method, … }
/// ```
///
/// - `Role`: `Resource` (an answer of its own: it keeps the resource as received in `raw`, and
///   results of calls carry the response's metadata) or `Part` (inside a resource).
/// - `Kind`: `Text`, `OptText`, `OptBool`, `OptMoney` (exact decimal), `OptTime` (UTC),
///   `JsonMap` (an object as sent), `JsonList`, `Enum(E)` / `OptEnum(E)` (an open enum of
///   [`paycore_open_enums!`](crate::paycore_open_enums)), `OptRecord(R)`, `List(R)`.
/// - `derived`: `bool` methods of the model exposed as fields (`is_final`, `is_success`).
///
/// Docs are `#[doc = "…"]` rather than `///`: napi-rs prints the raw-string form that `///`
/// becomes inside a macro (`r"…"`) into the TypeScript declarations.
#[macro_export]
macro_rules! paycore_records {
    ($then:path) => {
        $then! {
            #[doc = "Where to send the customer next (`flow_data`)."]
            FlowData Part {
                action: Text,
                method: Text,
                params: JsonMap,
            } derived {}
            #[doc = "A payment invoice (`cpi_…`)."]
            PaymentInvoice Resource {
                id: Text,
                status: Enum(PaymentInvoiceStatus),
                resolution: OptEnum(Resolution),
                reference_id: OptText,
                amount: OptMoney,
                currency: OptText,
                payment_amount: OptMoney,
                processed_amount: OptMoney,
                refunded_amount: OptMoney,
                service: OptText,
                test_mode: OptBool,
                description: OptText,
                metadata: JsonMap,
                flow_data: OptRecord(FlowData),
                created: OptTime,
                updated: OptTime,
            } derived { is_final, is_success }
            #[doc = "A payout invoice (`cpoi_…`)."]
            PayoutInvoice Resource {
                id: Text,
                status: Enum(PayoutInvoiceStatus),
                resolution: OptEnum(Resolution),
                reference_id: OptText,
                amount: OptMoney,
                currency: OptText,
                service: OptText,
                test_mode: OptBool,
                description: OptText,
                metadata: JsonMap,
                created: OptTime,
                updated: OptTime,
            } derived { is_final, is_success }
            #[doc = "A refund of a payment invoice (`ref_…`); `original_id` is the refunded invoice."]
            Refund Resource {
                id: Text,
                status: OptText,
                reference_id: OptText,
                original_id: OptText,
                amount: OptMoney,
                fee: OptMoney,
                currency: OptText,
                description: OptText,
                created: OptTime,
            } derived {}
            #[doc = "A payment service configured on the account (`comcps_…`)."]
            PaymentService Resource {
                id: Text,
                service: OptText,
                method: OptText,
                currency: OptText,
                available: OptBool,
                active: OptBool,
                enabled: OptBool,
                amount_min: OptMoney,
                amount_max: OptMoney,
                test_mode: OptBool,
            } derived {}
            #[doc = "A payout service configured on the account."]
            PayoutService Resource {
                id: Text,
                service: OptText,
                method: OptText,
                currency: OptText,
                available: OptBool,
                active: OptBool,
                enabled: OptBool,
                amount_min: OptMoney,
                amount_max: OptMoney,
                test_mode: OptBool,
            } derived {}
            #[doc = "One currency account of the commerce account."]
            CurrencyAccount Part {
                currency: Text,
                account_id: OptText,
                active_balance: OptMoney,
                pending_balance: OptMoney,
                reserved_balance: OptMoney,
                overdraft_limit: OptMoney,
                balance_lower_limit: OptMoney,
            } derived {}
            #[doc = "The balances of the commerce account, per currency."]
            Balances Resource {
                account_id: Text,
                currencies: List(CurrencyAccount),
            } derived {}
            #[doc = "One service offered by a pre-request; `fields` describe what it needs, as sent."]
            PrerequestService Part {
                code: Text,
                method: OptText,
                flow: OptText,
                currency: OptText,
                amount_min: OptMoney,
                amount_max: OptMoney,
                fields: JsonList,
            } derived {}
            #[doc = "The services and methods a pre-request offers for a currency."]
            Prerequest Resource {
                currency: OptText,
                test_mode: OptBool,
                services: List(PrerequestService),
                methods: JsonMap,
            } derived {}
        }
    };
}

/// Names every field of every model (no `..`), so a field the table lacks, or one it names
/// wrongly, fails to compile here rather than going missing in a binding.
macro_rules! check_records {
    ($( $(#[$doc:meta])* $name:ident $role:ident {
        $( $field:ident: $kind:ident $(($inner:ident))? ),* $(,)?
    } derived { $( $derived:ident ),* } )*) => {
        $( check_records!(@one $name $role { $($field)* } { $($derived)* }); )*
    };
    (@one $name:ident Resource { $($field:ident)* } { $($derived:ident)* }) => {
        const _: fn(&super::model::$name) = |model| {
            let super::model::$name { $($field: _,)* raw: _ } = model;
            $( let _: bool = model.$derived(); )*
        };
    };
    (@one $name:ident Part { $($field:ident)* } { $($derived:ident)* }) => {
        const _: fn(&super::model::$name) = |model| {
            let super::model::$name { $($field: _,)* } = model;
            $( let _: bool = model.$derived(); )*
        };
    };
}

crate::paycore_records!(check_records);
