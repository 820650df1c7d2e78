//! The operation table: every Commerce API call once, with its name, who may make it, what it
//! takes and what it answers. Front ends do not list operations themselves: the CLI and the
//! bindings expand [`paycore_operations!`](crate::paycore_operations) into their own enums and
//! run calls through [`Client::execute`] and [`Client::pager`], so an operation added here
//! reaches all of them, and one that a front end names wrongly does not compile.

use serde_json::{Map, Value};

use super::{
    Client, ListOptions, Pager, PaymentInvoiceRequest, PayoutInvoiceRequest, PrerequestRequest,
    RefundRequest, Response,
};
use crate::error::{Error, Result};
use crate::paycore::model::{
    Balances, PaymentInvoice, PaymentService, PayoutInvoice, PayoutService, Prerequest, Refund,
};

/// Expands `$then! { … }` with one row per operation:
///
/// ```text
/// /// doc
/// Variant snake_name: Access Semantics (Input) -> Output;
/// ```
///
/// - `Access`: `Public` (the public key; safe in a browser or app) or `Private` (account id +
///   API key; servers only).
/// - `Semantics`: `Read` (repeatable), `Create` (reconciled by `reference_id` when its outcome
///   is unknown), `Write` (never re-sent once it may have arrived) or `List` (lazy pages).
/// - `Input`: `Nothing`, `Id`, `ReferenceId`, `Fields` (a request object), `IdFields` or
///   `Filter` (a list's reference filter and page size).
/// - `Output`: the model answered (an `Option` of it for `ReferenceId`, items for `List`).
///
/// Docs are `#[doc = "…"]` for the reason given at [`paycore_records!`](crate::paycore_records).
#[macro_export]
macro_rules! paycore_operations {
    ($then:path) => {
        $then! {
            #[doc = "Payment services and methods available for a currency and amount."]
            PaymentPrerequest payment_prerequest: Public Read (Fields) -> Prerequest;
            #[doc = "Payout services available for a currency and amount."]
            PayoutPrerequest payout_prerequest: Public Read (Fields) -> Prerequest;
            #[doc = "Creates a payment invoice with the public key (the account must allow it)."]
            CreatePaymentInvoicePublic create_payment_invoice_public: Public Create (Fields) -> PaymentInvoice;
            #[doc = "A payment invoice by id, through the Public API."]
            GetPaymentInvoicePublic get_payment_invoice_public: Public Read (Id) -> PaymentInvoice;
            #[doc = "A payout invoice by id, through the Public API."]
            GetPayoutInvoicePublic get_payout_invoice_public: Public Read (Id) -> PayoutInvoice;
            #[doc = "Creates a payment invoice; never doubled (reconciled by `reference_id`)."]
            CreatePaymentInvoice create_payment_invoice: Private Create (Fields) -> PaymentInvoice;
            #[doc = "A payment invoice by id."]
            GetPaymentInvoice get_payment_invoice: Private Read (Id) -> PaymentInvoice;
            #[doc = "The payment invoice with this `reference_id`, if any."]
            FindPaymentInvoice find_payment_invoice: Private Read (ReferenceId) -> PaymentInvoice;
            #[doc = "Every payment invoice, newest first, page by page."]
            ListPaymentInvoices list_payment_invoices: Private List (Filter) -> PaymentInvoice;
            #[doc = "Refunds all or part of a payment invoice (`amount` required); never re-sent once it may"]
            #[doc = "have arrived: an unknown outcome is an error saying `outcome_unknown`."]
            RefundPaymentInvoice refund_payment_invoice: Private Write (IdFields) -> Refund;
            #[doc = "A refund by id (`ref_…`)."]
            GetRefund get_refund: Private Read (Id) -> Refund;
            #[doc = "Every refund, newest first, page by page (`reference_id` finds the one made with it)."]
            ListRefunds list_refunds: Private List (Filter) -> Refund;
            #[doc = "Creates a payout invoice; never doubled (reconciled by `reference_id`)."]
            CreatePayoutInvoice create_payout_invoice: Private Create (Fields) -> PayoutInvoice;
            #[doc = "A payout invoice by id."]
            GetPayoutInvoice get_payout_invoice: Private Read (Id) -> PayoutInvoice;
            #[doc = "The payout invoice with this `reference_id`, if any."]
            FindPayoutInvoice find_payout_invoice: Private Read (ReferenceId) -> PayoutInvoice;
            #[doc = "Every payout invoice, newest first, page by page."]
            ListPayoutInvoices list_payout_invoices: Private List (Filter) -> PayoutInvoice;
            #[doc = "The payment services configured on the account, page by page."]
            ListPaymentServices list_payment_services: Private List (Filter) -> PaymentService;
            #[doc = "A payment service by id."]
            GetPaymentService get_payment_service: Private Read (Id) -> PaymentService;
            #[doc = "The payout services configured on the account, page by page."]
            ListPayoutServices list_payout_services: Private List (Filter) -> PayoutService;
            #[doc = "A payout service by id."]
            GetPayoutService get_payout_service: Private Read (Id) -> PayoutService;
            #[doc = "Balances per currency account."]
            Balances balances: Private Read (Nothing) -> Balances;
        }
    };
}

/// Which credentials an operation needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// The public key only: may run in a browser or a mobile app.
    Public,
    /// Account id and API key: a server's.
    Private,
}

/// What repeating an operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Semantics {
    Read,
    Create,
    Write,
    List,
}

/// The arguments an operation takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Nothing,
    Id,
    ReferenceId,
    Fields,
    IdFields,
    Filter,
}

macro_rules! operation_names {
    ($( $(#[doc = $doc:literal])* $variant:ident $name:ident: $access:ident $semantics:ident ($input:ident) -> $output:ident; )*) => {
        /// An operation of the table, by name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum OperationName {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl OperationName {
            pub const ALL: &'static [OperationName] = &[$(OperationName::$variant),*];

            /// The snake_case name (Python's method, the CLI's in kebab-case).
            pub fn as_str(self) -> &'static str {
                match self { $(OperationName::$variant => stringify!($name),)* }
            }

            pub fn access(self) -> Access {
                match self { $(OperationName::$variant => Access::$access,)* }
            }

            pub fn semantics(self) -> Semantics {
                match self { $(OperationName::$variant => Semantics::$semantics,)* }
            }

            pub fn input(self) -> Input {
                match self { $(OperationName::$variant => Input::$input,)* }
            }

            /// The CamelCase name (the bindings' enum variant).
            pub fn variant(self) -> &'static str {
                match self { $(OperationName::$variant => stringify!($variant),)* }
            }

            /// The model it answers, by name (for generators of binding code).
            pub fn output(self) -> &'static str {
                match self { $(OperationName::$variant => stringify!($output),)* }
            }

            /// Its documentation, line by line (for generators of binding code).
            pub fn doc(self) -> &'static [&'static str] {
                match self { $(OperationName::$variant => &[$($doc),*],)* }
            }

            /// Whether a call may change the gateway's state (a create or a write): what an
            /// interrupted call leaves is then worth reporting.
            pub fn writes(self) -> bool {
                matches!(self.semantics(), Semantics::Create | Semantics::Write)
            }
        }
    };
}

crate::paycore_operations!(operation_names);

/// What a caller passes; each operation reads the part its [`Input`] names.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Arguments {
    pub id: Option<String>,
    pub reference_id: Option<String>,
    /// The request object of a create, a refund or a pre-request.
    pub fields: Option<Map<String, Value>>,
    /// A list's page size (the client's, else the gateway's default, when `None`).
    pub page_size: Option<u32>,
}

/// An operation whose arguments were checked: what it needs is there, its request is valid.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    name: OperationName,
    input: Checked,
}

#[derive(Clone, Debug, PartialEq)]
enum Checked {
    Nothing,
    Id(String),
    ReferenceId(String),
    Prerequest(PrerequestRequest),
    PaymentInvoice(PaymentInvoiceRequest),
    PayoutInvoice(PayoutInvoiceRequest),
    Refund(String, RefundRequest),
    Filter(ListOptions),
}

impl Operation {
    /// Checks the arguments `name` takes (missing ones are `missing_argument` errors naming
    /// them; fields are validated as a request); the others are ignored.
    pub fn new(name: OperationName, arguments: Arguments) -> Result<Operation> {
        use OperationName as N;
        let Arguments {
            id,
            reference_id,
            fields,
            page_size,
        } = arguments;
        let id = || required(id, "id");
        let fields = || required(fields, "fields");
        let input = match name.input() {
            Input::Nothing => Checked::Nothing,
            Input::Id => Checked::Id(id()?),
            Input::ReferenceId => Checked::ReferenceId(required(reference_id, "reference_id")?),
            Input::Filter => Checked::Filter(ListOptions::new(reference_id, page_size)?),
            Input::IdFields => {
                let id = id()?;
                Checked::Refund(id, RefundRequest::from_json(&fields()?)?)
            }
            Input::Fields => match name {
                N::PaymentPrerequest | N::PayoutPrerequest => {
                    Checked::Prerequest(PrerequestRequest::from_json(&fields()?)?)
                }
                N::CreatePayoutInvoice => {
                    Checked::PayoutInvoice(PayoutInvoiceRequest::from_json(&fields()?)?)
                }
                _ => Checked::PaymentInvoice(PaymentInvoiceRequest::from_json(&fields()?)?),
            },
        };
        Ok(Operation { name, input })
    }

    pub fn name(&self) -> OperationName {
        self.name
    }
}

fn required<T>(value: Option<T>, argument: &str) -> Result<T> {
    value.ok_or_else(|| {
        Error::invalid(
            argument,
            "missing_argument",
            format!("this operation needs {argument}"),
        )
    })
}

/// The result of [`Client::execute`].
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Prerequest(Response<Prerequest>),
    PaymentInvoice(Response<PaymentInvoice>),
    PayoutInvoice(Response<PayoutInvoice>),
    Refund(Response<Refund>),
    PaymentService(Response<PaymentService>),
    PayoutService(Response<PayoutService>),
    Balances(Response<Balances>),
    /// A lookup by `reference_id`: the entity, or `None` when there is none.
    Found(Option<Item>),
}

/// An entity of a list or a lookup.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    PaymentInvoice(PaymentInvoice),
    PayoutInvoice(PayoutInvoice),
    PaymentService(PaymentService),
    PayoutService(PayoutService),
    Refund(Refund),
}

impl Item {
    /// The whole resource as the gateway sent it.
    pub fn raw(&self) -> &Value {
        match self {
            Item::PaymentInvoice(i) => &i.raw,
            Item::PayoutInvoice(i) => &i.raw,
            Item::PaymentService(s) | Item::PayoutService(s) => &s.raw,
            Item::Refund(r) => &r.raw,
        }
    }
}

impl Outcome {
    /// The whole resource (or document, for a pre-request) as the gateway sent it; `None` for
    /// a lookup that found nothing.
    pub fn raw(&self) -> Option<&Value> {
        Some(match self {
            Outcome::Prerequest(r) => &r.raw,
            Outcome::PaymentInvoice(r) => &r.raw,
            Outcome::PayoutInvoice(r) => &r.raw,
            Outcome::Refund(r) => &r.raw,
            Outcome::PaymentService(r) | Outcome::PayoutService(r) => &r.raw,
            Outcome::Balances(r) => &r.raw,
            Outcome::Found(item) => return item.as_ref().map(Item::raw),
        })
    }
}

impl Client {
    /// Runs a checked operation that is not a list (see [`Client::pager`] for those).
    pub async fn execute(&self, operation: &Operation) -> Result<Outcome> {
        use OperationName as N;
        Ok(match (operation.name, &operation.input) {
            (N::PaymentPrerequest, Checked::Prerequest(r)) => {
                Outcome::Prerequest(self.payment_prerequest(r).await?)
            }
            (N::PayoutPrerequest, Checked::Prerequest(r)) => {
                Outcome::Prerequest(self.payout_prerequest(r).await?)
            }
            (N::CreatePaymentInvoicePublic, Checked::PaymentInvoice(r)) => {
                Outcome::PaymentInvoice(self.create_payment_invoice_public(r).await?)
            }
            (N::GetPaymentInvoicePublic, Checked::Id(id)) => {
                Outcome::PaymentInvoice(self.get_payment_invoice_public(id).await?)
            }
            (N::GetPayoutInvoicePublic, Checked::Id(id)) => {
                Outcome::PayoutInvoice(self.get_payout_invoice_public(id).await?)
            }
            (N::CreatePaymentInvoice, Checked::PaymentInvoice(r)) => {
                Outcome::PaymentInvoice(self.create_payment_invoice(r).await?)
            }
            (N::GetPaymentInvoice, Checked::Id(id)) => {
                Outcome::PaymentInvoice(self.get_payment_invoice(id).await?)
            }
            (N::FindPaymentInvoice, Checked::ReferenceId(r)) => Outcome::Found(
                self.find_payment_invoice(r)
                    .await?
                    .map(Item::PaymentInvoice),
            ),
            (N::RefundPaymentInvoice, Checked::Refund(id, r)) => {
                Outcome::Refund(self.refund_payment_invoice(id, r).await?)
            }
            (N::CreatePayoutInvoice, Checked::PayoutInvoice(r)) => {
                Outcome::PayoutInvoice(self.create_payout_invoice(r).await?)
            }
            (N::GetPayoutInvoice, Checked::Id(id)) => {
                Outcome::PayoutInvoice(self.get_payout_invoice(id).await?)
            }
            (N::FindPayoutInvoice, Checked::ReferenceId(r)) => {
                Outcome::Found(self.find_payout_invoice(r).await?.map(Item::PayoutInvoice))
            }
            (N::GetRefund, Checked::Id(id)) => Outcome::Refund(self.get_refund(id).await?),
            (N::GetPaymentService, Checked::Id(id)) => {
                Outcome::PaymentService(self.get_payment_service(id).await?)
            }
            (N::GetPayoutService, Checked::Id(id)) => {
                Outcome::PayoutService(self.get_payout_service(id).await?)
            }
            (N::Balances, Checked::Nothing) => Outcome::Balances(self.balances().await?),
            (name, _) => return Err(not_this_way(name, "Client::pager")),
        })
    }

    /// The lazy pages of a list operation.
    pub fn pager(&self, operation: &Operation) -> Result<Pager<Item>> {
        use OperationName as N;
        Ok(match (operation.name, &operation.input) {
            (N::ListPaymentInvoices, Checked::Filter(options)) => self
                .list_payment_invoices(options)
                .map(Item::PaymentInvoice),
            (N::ListPayoutInvoices, Checked::Filter(options)) => {
                self.list_payout_invoices(options).map(Item::PayoutInvoice)
            }
            (N::ListPaymentServices, Checked::Filter(options)) => self
                .list_payment_services(options.page_size)
                .map(Item::PaymentService),
            (N::ListPayoutServices, Checked::Filter(options)) => self
                .list_payout_services(options.page_size)
                .map(Item::PayoutService),
            (N::ListRefunds, Checked::Filter(options)) => {
                self.list_refunds(options).map(Item::Refund)
            }
            (name, _) => return Err(not_this_way(name, "Client::execute")),
        })
    }
}

fn not_this_way(name: OperationName, instead: &str) -> Error {
    Error::invalid(
        "operation",
        "wrong_entry_point",
        format!("{} is run by {instead}", name.as_str()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_snake_case() {
        let mut names: Vec<&str> = OperationName::ALL.iter().map(|n| n.as_str()).collect();
        assert!(names
            .iter()
            .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OperationName::ALL.len());
    }

    #[test]
    fn lists_and_only_lists_take_a_filter() {
        for name in OperationName::ALL {
            assert_eq!(
                name.semantics() == Semantics::List,
                name.input() == Input::Filter,
                "{name:?}"
            );
            assert_eq!(
                name.as_str().starts_with("list_"),
                name.semantics() == Semantics::List,
                "{name:?}"
            );
        }
    }

    #[test]
    fn rows_describe_themselves_for_generators() {
        let writes: Vec<&str> = OperationName::ALL
            .iter()
            .filter(|n| n.writes())
            .map(|n| n.as_str())
            .collect();
        assert_eq!(
            writes,
            [
                "create_payment_invoice_public",
                "create_payment_invoice",
                "refund_payment_invoice",
                "create_payout_invoice"
            ]
        );
        assert_eq!(
            OperationName::FindPayoutInvoice.variant(),
            "FindPayoutInvoice"
        );
        assert_eq!(OperationName::FindPayoutInvoice.output(), "PayoutInvoice");
        assert_eq!(OperationName::RefundPaymentInvoice.doc().len(), 2);
        assert!(OperationName::ALL.iter().all(|n| !n.doc().is_empty()));
    }

    #[test]
    fn public_operations_are_the_public_api_ones() {
        let public: Vec<&str> = OperationName::ALL
            .iter()
            .filter(|n| n.access() == Access::Public)
            .map(|n| n.as_str())
            .collect();
        assert!(public
            .iter()
            .all(|n| n.ends_with("_public") || n.ends_with("_prerequest")));
        assert_eq!(public.len(), 5);
    }

    #[test]
    fn missing_or_bad_arguments_are_named_before_anything_is_sent() {
        let fields = |json: &str| serde_json::from_str::<Map<String, Value>>(json).ok();
        let cases = [
            (
                OperationName::GetPaymentInvoice,
                Arguments::default(),
                "id",
                "missing_argument",
            ),
            (
                OperationName::FindPayoutInvoice,
                Arguments::default(),
                "reference_id",
                "missing_argument",
            ),
            (
                OperationName::CreatePaymentInvoice,
                Arguments::default(),
                "fields",
                "missing_argument",
            ),
            (
                OperationName::RefundPaymentInvoice,
                Arguments {
                    fields: fields(r#"{"amount":"1"}"#),
                    ..Default::default()
                },
                "id",
                "missing_argument",
            ),
            (
                OperationName::CreatePayoutInvoice,
                Arguments {
                    fields: fields(r#"{"service":"s","currency":"USD","amount":"1.001"}"#),
                    ..Default::default()
                },
                "amount",
                "too_many_decimals",
            ),
            (
                OperationName::ListPaymentServices,
                Arguments {
                    page_size: Some(0),
                    ..Default::default()
                },
                "page_size",
                "bad_page_size",
            ),
        ];
        for (name, arguments, argument, code) in cases {
            let error = Operation::new(name, arguments).unwrap_err();
            assert_eq!(
                (error.argument(), error.code()),
                (Some(argument), code),
                "{name:?}"
            );
        }
        let balances = Operation::new(OperationName::Balances, Arguments::default()).unwrap();
        assert_eq!(balances.name(), OperationName::Balances);
    }
}
