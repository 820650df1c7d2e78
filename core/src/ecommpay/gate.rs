//! ecommpay Gate, the server-to-server API: payment status, refunds, capture and cancel of a
//! two-step payment, payouts and charges with a stored credential (COF).
//!
//! Pages followed (public ecommpay developer documentation; notes and sources in
//! `GATE-NOTES.md` beside this file):
//! - Gate quickstart: <https://developers.ecommpay.com/en/en_gate_quickstart.html>
//! - Interaction concepts (requests are accepted, results come by callback):
//!   <https://developers.ecommpay.com/en/en_Gate_interaction_concepts.html>
//! - Checking current payment information (`/v2/payment/status`, not earlier than 10 s after
//!   the request): <https://developers.ecommpay.com/en/en_Gate_payment_status_request.html>
//! - Refunds: <https://developers.ecommpay.com/en/en_Gate_Refund.html>
//! - Two-step purchases: <https://developers.ecommpay.com/en/en_gate_payment_auth.html>
//! - Payouts: <https://developers.ecommpay.com/en/en_Gate_payout.html>
//! - COF purchases: <https://developers.ecommpay.com/en/en_Gate__cof_merchant_side.html>
//!
//! A request is the documented body without `general.project_id` and `general.signature`,
//! which the client adds: the same PHP-SDK signature as the Payment Page's, placed in
//! `general`. Nothing is doubled: `payment_id` (and a refund's `merchant_refund_id`, generated
//! when missing) identify each write, so one whose outcome is unknown is looked up through the
//! status endpoint, at the earliest the documented delay after it was sent, before anything is
//! sent again; the gateway refuses a repeated id, which is then looked up too.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use tokio_util::sync::CancellationToken;

use super::callback::{self, Operation, PaymentStatus, Sum};
use super::signature::Signer;
use super::EcommpayCallback;
use crate::error::{ApiDetails, Error, ErrorKind, Result};
use crate::json::read;
use crate::money::printable;
use crate::paycore::client::http::{self, Call, Dialect, Lookup, Reconciler, Transport};
use crate::paycore::client::policy::{Attempt, CallKind};
use crate::paycore::client::{ClientOptions, Response, MAX_TIMEOUT};

/// The Gate's host, for test and live projects alike.
pub const DEFAULT_API_URL: &str = "https://api.ecommpay.com";

/// The documented wait after a request before its payment's status may be asked.
pub const DEFAULT_STATUS_DELAY: Duration = Duration::from_secs(10);

/// Expands `$then! { … }` with one row per Gate operation:
///
/// ```text
/// /// doc
/// Variant snake_name: Semantics "path" -> Output;
/// ```
///
/// - `Semantics`: `Read` (the status endpoints, safe to repeat), `Create` (a new payment,
///   reconciled by its `payment_id`) or `Write` (an operation on an existing payment,
///   reconciled through the payment's operations).
/// - `path`: below the base URL; `{method}` is the payment method (`card` by default).
/// - `Output`: [`GatePayment`] (a verified status answer) or [`GateAccepted`] (the request was
///   accepted; the result comes by callback, or by [`GateApi::wait_for_result`]).
#[macro_export]
macro_rules! ecommpay_gate_operations {
    ($then:path) => {
        $then! {
            #[doc = "The payment's current state and its operations, by `general.payment_id`."]
            PaymentStatus payment_status: Read "/v2/payment/status" -> GatePayment;
            #[doc = "What became of one request, by its `request_id` (for requests the gateway refused)."]
            RequestStatus request_status: Read "/v2/payment/status/request" -> GatePayment;
            #[doc = "Refunds all of a payment, or `payment.amount` of it; never doubled (`merchant_refund_id`)."]
            Refund refund: Write "/v2/payment/{method}/refund" -> GateAccepted;
            #[doc = "Debits an authorised (two-step) payment: all of it, or `payment.amount`."]
            Capture capture: Write "/v2/payment/{method}/capture" -> GateAccepted;
            #[doc = "Releases an authorised (two-step) payment's hold."]
            Cancel cancel: Write "/v2/payment/{method}/cancel" -> GateAccepted;
            #[doc = "Pays out to a card (`card`) under a new `general.payment_id`; never doubled."]
            Payout payout: Create "/v2/payment/{method}/payout" -> GateAccepted;
            #[doc = "Pays out to a card saved earlier (`token`) under a new `general.payment_id`."]
            PayoutByToken payout_by_token: Create "/v2/payment/{method}/payout/token" -> GateAccepted;
            #[doc = "Charges a stored credential (`recurring.id`) under a new `general.payment_id` (COF)."]
            RecurringCharge recurring_charge: Create "/v2/payment/{method}/recurring" -> GateAccepted;
        }
    };
}

/// What repeating a Gate operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateSemantics {
    Read,
    Create,
    Write,
}

macro_rules! gate_operation_names {
    ($( $(#[doc = $doc:literal])* $variant:ident $name:ident: $semantics:ident $path:literal -> $output:ident; )*) => {
        /// A Gate operation, by name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum GateOperation {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl GateOperation {
            pub const ALL: &'static [GateOperation] = &[$(GateOperation::$variant),*];

            /// The snake_case name (Python's method, the CLI's in kebab-case).
            pub fn as_str(self) -> &'static str {
                match self { $(GateOperation::$variant => stringify!($name),)* }
            }

            /// The CamelCase name (the bindings' enum variant).
            pub fn variant(self) -> &'static str {
                match self { $(GateOperation::$variant => stringify!($variant),)* }
            }

            pub fn semantics(self) -> GateSemantics {
                match self { $(GateOperation::$variant => GateSemantics::$semantics,)* }
            }

            /// The endpoint, with `{method}` in place of the payment method.
            pub fn path_template(self) -> &'static str {
                match self { $(GateOperation::$variant => $path,)* }
            }

            /// The result it answers, by name (for generators of binding code).
            pub fn output(self) -> &'static str {
                match self { $(GateOperation::$variant => stringify!($output),)* }
            }

            /// Its documentation, line by line (for generators of binding code).
            pub fn doc(self) -> &'static [&'static str] {
                match self { $(GateOperation::$variant => &[$($doc),*],)* }
            }
        }
    };
}

crate::ecommpay_gate_operations!(gate_operation_names);

impl GateOperation {
    /// By snake_case or kebab-case name.
    pub fn parse(name: &str) -> Option<GateOperation> {
        let name = name.replace('-', "_");
        GateOperation::ALL
            .iter()
            .copied()
            .find(|op| op.as_str() == name)
    }

    /// Whether a call may change the gateway's state.
    pub fn writes(self) -> bool {
        self.semantics() != GateSemantics::Read
    }

    /// The operation types a status answer lists for this write (`refund` may be performed
    /// as a `reversal`).
    fn operation_types(self) -> &'static [&'static str] {
        match self {
            GateOperation::Refund => &["refund", "reversal"],
            GateOperation::Capture => &["capture"],
            GateOperation::Cancel => &["cancel"],
            GateOperation::Payout | GateOperation::PayoutByToken => &["payout"],
            GateOperation::RecurringCharge => &["recurring"],
            GateOperation::PaymentStatus | GateOperation::RequestStatus => &[],
        }
    }
}

/// [`GateOptions::status_delay`] from a user's seconds: zero (no wait, for a sandbox) or a
/// timeout by the one rule for user timeouts.
pub fn status_delay_from_secs(seconds: f64) -> Result<Duration> {
    match seconds {
        0.0 => Ok(Duration::ZERO),
        s => crate::paycore::client::timeout_from_secs(s, "status_delay"),
    }
}

/// [`status_delay_from_secs`] from milliseconds.
pub fn status_delay_from_millis(millis: f64) -> Result<Duration> {
    status_delay_from_secs(millis / 1000.0)
}

/// A Gate client's configuration; `None` takes the default (the Commerce client's for the
/// shared ones).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GateOptions {
    /// [`DEFAULT_API_URL`] unless given (`polypay sandbox`'s URL in tests).
    pub base_url: Option<String>,
    pub timeout: Option<Duration>,
    pub request_timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub max_retries: Option<u32>,
    pub proxy: Option<String>,
    pub user_agent: Option<String>,
    pub allow_insecure_http: Option<bool>,
    /// The wait after a request before its status is asked ([`DEFAULT_STATUS_DELAY`]).
    pub status_delay: Option<Duration>,
}

/// The synchronous answer to a write: the gateway accepted the request. It is not the
/// result, which comes by callback or by [`GateApi::wait_for_result`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateAccepted {
    pub operation: GateOperation,
    pub payment_id: String,
    /// The gateway's id for this request: the callback's and the status answer's
    /// `operation.request_id`.
    pub request_id: Option<String>,
    pub project_id: i64,
    /// A refund's `merchant_refund_id` (generated when the request had none).
    pub merchant_refund_id: Option<String>,
    /// Found through the status endpoint after an attempt whose outcome was unknown (or a
    /// duplicate id) instead of accepted by this call's own request.
    pub reconciled: bool,
    pub http_status: u16,
}

/// A verified status answer: the payment and every operation in it.
#[derive(Clone, Debug, PartialEq)]
pub struct GatePayment {
    document: EcommpayCallback,
    /// `operations[]`, oldest first.
    pub operations: Vec<Operation>,
    /// `errors[]`: what the gateway refused in the request, with `code`, `message`, `field`.
    pub errors: Vec<GateError>,
}

/// An item of a status answer's `errors[]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateError {
    pub code: Option<String>,
    pub message: Option<String>,
    pub field: Option<String>,
}

impl GatePayment {
    fn new(document: EcommpayCallback) -> GatePayment {
        let raw = document.raw();
        let items = |key: &str| {
            raw.get(key)
                .and_then(Value::as_array)
                .map(|list| list.iter().filter_map(Value::as_object).collect::<Vec<_>>())
                .unwrap_or_default()
        };
        let operations = items("operations")
            .into_iter()
            .map(Operation::from_map)
            .collect();
        let errors = items("errors")
            .into_iter()
            .map(|e| GateError {
                code: e.get("code").and_then(read::string_of),
                message: e.get("message").and_then(read::string_of),
                field: e.get("field").and_then(read::string_of),
            })
            .collect();
        GatePayment {
            document,
            operations,
            errors,
        }
    }

    pub fn project_id(&self) -> Option<i64> {
        self.document.project_id()
    }

    pub fn payment_id(&self) -> Option<String> {
        self.document.payment_id()
    }

    pub fn payment_type(&self) -> Option<String> {
        self.document.payment_type()
    }

    pub fn status(&self) -> Option<PaymentStatus> {
        self.document.payment_status()
    }

    pub fn sum(&self) -> Option<Sum> {
        self.document.payment_sum()
    }

    pub fn payment_method(&self) -> Option<String> {
        self.document.payment_method()
    }

    pub fn card_token(&self) -> Option<String> {
        self.document.card_token()
    }

    pub fn recurring_id(&self) -> Option<String> {
        self.document.recurring_id()
    }

    /// The verified answer without its signature.
    pub fn raw(&self) -> &Map<String, Value> {
        self.document.raw()
    }

    /// The operation a request started (by the accepted answer's `request_id`).
    pub fn operation_for(&self, request_id: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .rev()
            .find(|op| op.request_id.as_deref() == Some(request_id))
    }

    /// The payment is in a state that only a new request changes.
    pub fn is_final(&self) -> bool {
        use PaymentStatus::*;
        matches!(
            self.status(),
            Some(
                Success
                    | Decline
                    | Canceled
                    | Refunded
                    | PartiallyRefunded
                    | Reversed
                    | PartiallyReversed
                    | Error
                    | Expired
                    | InternalError
                    | ExternalError
                    | AwaitingCapture
            )
        )
    }
}

/// A Gate request: the documented body, without `general.project_id` and `general.signature`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GateRequest {
    pub body: Map<String, Value>,
    /// The payment method of the endpoint (`card` when `None`), e.g. `applepay`,
    /// `wallet/paypal`.
    pub method: Option<String>,
}

impl GateRequest {
    pub fn new(body: Map<String, Value>) -> GateRequest {
        GateRequest { body, method: None }
    }
}

/// What a Gate call answered.
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)] // made once per network call
pub enum GateOutcome {
    Accepted(GateAccepted),
    Payment(GatePayment),
}

/// The Gate client of one project. Async, cheap to clone, `Send + Sync`.
#[derive(Clone)]
pub struct GateApi {
    inner: Arc<Inner>,
    deadline: Option<Duration>,
    cancel: Option<CancellationToken>,
}

struct Inner {
    transport: Transport,
    project_id: i64,
    signer: Signer,
    status_delay: Duration,
}

impl std::fmt::Debug for GateApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GateApi")
            .field("project_id", &self.inner.project_id)
            .field("secret_key", &"<redacted>")
            .field("base_url", &self.base_url())
            .finish()
    }
}

impl GateApi {
    pub fn new(project_id: i64, secret_key: &str, options: GateOptions) -> Result<GateApi> {
        callback::check_secret(secret_key).map_err(|e| e.with_argument("secret_key"))?;
        if project_id <= 0 {
            return Err(Error::invalid(
                "project_id",
                "bad_project_id",
                "must be the project's positive id",
            ));
        }
        let status_delay = options.status_delay.unwrap_or(DEFAULT_STATUS_DELAY);
        let config = ClientOptions {
            base_url: Some(options.base_url.unwrap_or_else(|| DEFAULT_API_URL.into())),
            timeout: options.timeout,
            request_timeout: options.request_timeout,
            connect_timeout: options.connect_timeout,
            max_retries: options.max_retries,
            proxy: options.proxy,
            user_agent: options.user_agent,
            allow_insecure_http: options.allow_insecure_http,
            ..ClientOptions::default()
        }
        .into_config()?;
        if status_delay > MAX_TIMEOUT {
            return Err(Error::invalid(
                "status_delay",
                "invalid_timeout",
                "status_delay must be at most a day",
            ));
        }
        Ok(GateApi {
            inner: Arc::new(Inner {
                transport: Transport::new(config)?,
                project_id,
                signer: Signer::cached(secret_key),
                status_delay,
            }),
            deadline: None,
            cancel: None,
        })
    }

    /// The same client with another overall deadline for each call (retries, lookups and
    /// the documented status delay included).
    pub fn with_deadline(&self, deadline: Duration) -> GateApi {
        GateApi {
            deadline: Some(deadline.min(MAX_TIMEOUT)),
            ..self.clone()
        }
    }

    /// The same client whose calls end when `cancel` fires, with an error of kind
    /// `Cancelled` that says `outcome_unknown` when the request may have arrived.
    pub fn with_cancel(&self, cancel: CancellationToken) -> GateApi {
        GateApi {
            cancel: Some(cancel),
            ..self.clone()
        }
    }

    pub fn project_id(&self) -> i64 {
        self.inner.project_id
    }

    pub fn base_url(&self) -> &str {
        self.inner.transport.config.environment.base_url()
    }

    pub fn status_delay(&self) -> Duration {
        self.inner.status_delay
    }

    fn deadline(&self) -> Duration {
        self.deadline
            .unwrap_or(self.inner.transport.config.deadline)
    }

    /// The request an operation sends, checked and signed, without sending it: its path and
    /// body (for logs, support tickets and the conformance vectors).
    pub fn signed_request(
        &self,
        operation: GateOperation,
        request: GateRequest,
    ) -> Result<(String, Map<String, Value>)> {
        let prepared = prepare(
            operation,
            request,
            self.inner.project_id,
            &self.inner.signer,
        )?;
        let body = serde_json::from_slice(&prepared.bytes).expect("serialised by prepare");
        Ok((prepared.path, body))
    }

    /// Runs an operation of the table.
    pub async fn execute(
        &self,
        operation: GateOperation,
        request: GateRequest,
    ) -> Result<GateOutcome> {
        match operation.semantics() {
            GateSemantics::Read => self
                .status(operation, request)
                .await
                .map(GateOutcome::Payment),
            _ => self
                .write(operation, request)
                .await
                .map(GateOutcome::Accepted),
        }
    }

    /// `POST /v2/payment/status` for this payment.
    pub async fn payment_status(&self, payment_id: &str) -> Result<GatePayment> {
        let body = json!({"general": {"payment_id": payment_id}});
        self.status(GateOperation::PaymentStatus, request_of(body))
            .await
    }

    /// `POST /v2/payment/status/request` for this request.
    pub async fn request_status(&self, request_id: &str) -> Result<GatePayment> {
        let body = json!({ "request_id": request_id });
        self.status(GateOperation::RequestStatus, request_of(body))
            .await
    }

    pub async fn refund(&self, request: GateRequest) -> Result<GateAccepted> {
        self.write(GateOperation::Refund, request).await
    }

    pub async fn capture(&self, request: GateRequest) -> Result<GateAccepted> {
        self.write(GateOperation::Capture, request).await
    }

    pub async fn cancel(&self, request: GateRequest) -> Result<GateAccepted> {
        self.write(GateOperation::Cancel, request).await
    }

    pub async fn payout(&self, request: GateRequest) -> Result<GateAccepted> {
        self.write(GateOperation::Payout, request).await
    }

    pub async fn payout_by_token(&self, request: GateRequest) -> Result<GateAccepted> {
        self.write(GateOperation::PayoutByToken, request).await
    }

    pub async fn recurring_charge(&self, request: GateRequest) -> Result<GateAccepted> {
        self.write(GateOperation::RecurringCharge, request).await
    }

    async fn status(&self, operation: GateOperation, request: GateRequest) -> Result<GatePayment> {
        let prepared = prepare(
            operation,
            request,
            self.inner.project_id,
            &self.inner.signer,
        )?;
        let call = Call::post(prepared.path, prepared.bytes, CallKind::Read).in_dialect(GATE);
        let response = self
            .inner
            .transport
            .run(call, self.deadline(), self.cancel.as_ref())
            .await?;
        payment_of(response, &self.inner.signer)
    }

    async fn write(&self, operation: GateOperation, request: GateRequest) -> Result<GateAccepted> {
        let prepared = prepare(
            operation,
            request,
            self.inner.project_id,
            &self.inner.signer,
        )?;
        let payment_id = prepared.payment_id.clone();
        let merchant_refund_id = prepared.merchant_refund_id.clone();
        let lookup = prepare(
            GateOperation::PaymentStatus,
            request_of(json!({"general": {"payment_id": payment_id}})),
            self.inner.project_id,
            &self.inner.signer,
        )?;
        let call = Call::post(prepared.path, prepared.bytes, CallKind::Create)
            .in_dialect(GATE)
            .reconciled_by(GateLookup {
                operation,
                payment_id: payment_id.clone(),
                merchant_refund_id: merchant_refund_id.clone(),
                sum: prepared.sum,
                lookup: lookup.bytes,
                not_before: self.inner.status_delay,
                signer: self.inner.signer.clone(),
            });
        let response = self
            .inner
            .transport
            .run(call, self.deadline(), self.cancel.as_ref())
            .await
            .map_err(|e| with_payment_id(e, &payment_id))?;
        let data = &response.data;
        Ok(GateAccepted {
            operation,
            payment_id,
            request_id: data.get("request_id").and_then(read::string_of),
            project_id: self.inner.project_id,
            merchant_refund_id,
            reconciled: response.reconciled,
            http_status: response.http_status,
        })
    }

    /// Waits for the result of an accepted request, asking the status endpoint (first after
    /// the documented delay, then at that interval) until the request's operation, or the
    /// payment when the operation is not identified, is final. For when the callback is late
    /// or lost; a `Timeout` error (`outcome_unknown`) when the deadline comes first.
    pub async fn wait_for_result(&self, accepted: &GateAccepted) -> Result<GatePayment> {
        let deadline = Instant::now() + self.deadline();
        let never = CancellationToken::new();
        let cancel = self.cancel.as_ref().unwrap_or(&never);
        loop {
            let delay = self.inner.status_delay;
            if Instant::now() + delay >= deadline {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    "result_pending",
                    format!(
                        "no final status for payment '{}' before the deadline; the callback \
                         or a later status request will tell",
                        printable(&accepted.payment_id)
                    ),
                )
                .with_outcome_unknown(true)
                .with_retryable(true)
                .with_api(ApiDetails {
                    payment_id: Some(accepted.payment_id.clone()),
                    request_id: accepted.request_id.clone(),
                    ..ApiDetails::default()
                }));
            }
            tokio::select! {
                biased;
                _ = cancel.cancelled() => {
                    return Err(Error::new(ErrorKind::Cancelled, "cancelled", "waiting for the result was cancelled")
                        .with_outcome_unknown(true)
                        .with_retryable(true));
                }
                _ = tokio::time::sleep(delay) => {}
            }
            let payment = match self.payment_status(&accepted.payment_id).await {
                Ok(payment) => payment,
                // A payout or charge may not be registered yet.
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let done = match accepted.request_id.as_deref() {
                Some(request_id) => payment
                    .operation_for(request_id)
                    .is_some_and(Operation::is_final),
                None => payment.is_final(),
            };
            if done {
                return Ok(payment);
            }
        }
    }
}

fn request_of(body: Value) -> GateRequest {
    match body {
        Value::Object(map) => GateRequest::new(map),
        _ => unreachable!("built as an object"),
    }
}

fn with_payment_id(mut error: Error, payment_id: &str) -> Error {
    error.api_mut().payment_id = Some(payment_id.to_owned());
    error
}

/// A checked, signed request.
struct Prepared {
    path: String,
    bytes: Vec<u8>,
    payment_id: String,
    merchant_refund_id: Option<String>,
    sum: Option<Sum>,
}

/// Checks what the operation needs before anything is sent, adds the project and signs.
fn prepare(
    operation: GateOperation,
    request: GateRequest,
    project_id: i64,
    signer: &Signer,
) -> Result<Prepared> {
    let GateRequest { mut body, method } = request;
    let method = method.unwrap_or_else(|| "card".into());
    let method_ok = !method.is_empty()
        && method.split('/').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !method_ok {
        return Err(Error::invalid(
            "method",
            "bad_method",
            "must be a payment method path such as card, applepay or wallet/paypal",
        ));
    }
    check_no_semicolons(&body, "")?;
    if body.contains_key("signature") {
        return Err(Error::invalid(
            "signature",
            "signature_given",
            "is computed by polypay; leave it out",
        ));
    }
    let path = operation.path_template().replace("{method}", &method);
    if operation == GateOperation::RequestStatus {
        let request_id = required_string(&body, &["request_id"])?;
        body.insert("project_id".into(), json!(project_id));
        let signature = signer.sign(&body)?;
        body.insert("signature".into(), json!(signature));
        return Ok(Prepared {
            path,
            bytes: serde_json::to_vec(&body).expect("JSON"),
            payment_id: request_id,
            merchant_refund_id: None,
            sum: None,
        });
    }
    let general = match body
        .entry("general")
        .or_insert_with(|| Value::Object(Map::new()))
    {
        Value::Object(general) => general,
        _ => {
            return Err(Error::invalid(
                "general",
                "not_an_object",
                "must be an object with payment_id",
            ))
        }
    };
    if general.contains_key("signature") {
        return Err(Error::invalid(
            "general.signature",
            "signature_given",
            "is computed by polypay; leave it out",
        ));
    }
    match general.get("project_id").map(read::integer_of) {
        None => {}
        Some(Some(id)) if id == project_id => {}
        Some(_) => {
            return Err(Error::invalid(
                "general.project_id",
                "project_mismatch",
                "differs from the client's project; leave it out",
            ))
        }
    }
    general.insert("project_id".into(), json!(project_id));
    let payment_id = required_string(&body, &["general", "payment_id"])?;
    let sum = check_payment(operation, &body)?;
    let mut merchant_refund_id = None;
    if operation == GateOperation::Refund {
        let payment = body
            .entry("payment")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .expect("checked by check_payment");
        let id = match payment.get("merchant_refund_id") {
            Some(id) => read::string_of(id).ok_or_else(|| {
                Error::invalid(
                    "payment.merchant_refund_id",
                    "bad_id",
                    "must be a non-empty string",
                )
            })?,
            None => uuid::Uuid::new_v4().to_string(),
        };
        payment.insert("merchant_refund_id".into(), json!(id));
        merchant_refund_id = Some(id);
    }
    if operation == GateOperation::PayoutByToken {
        required_string(&body, &["token"])?;
    }
    if operation == GateOperation::RecurringCharge {
        required_string(&body, &["recurring", "id"])?;
    }
    let signature = signer.sign(&body)?;
    if let Some(Value::Object(general)) = body.get_mut("general") {
        general.insert("signature".into(), json!(signature));
    }
    Ok(Prepared {
        path,
        bytes: serde_json::to_vec(&body).expect("JSON"),
        payment_id,
        merchant_refund_id,
        sum,
    })
}

fn required_string(body: &Map<String, Value>, path: &[&str]) -> Result<String> {
    let name = path.join(".");
    let mut value = body.get(path[0]);
    for key in &path[1..] {
        value = value.and_then(|v| v.get(key));
    }
    match value.and_then(read::string_of) {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(Error::invalid(
            name,
            "missing_argument",
            "is required (a non-empty string or integer)",
        )),
    }
}

/// `payment.amount` (minor units, a positive integer) and `payment.currency`: required for
/// payouts and charges, optional (all of it) for refunds, captures and cancels.
fn check_payment(operation: GateOperation, body: &Map<String, Value>) -> Result<Option<Sum>> {
    let required = operation.semantics() == GateSemantics::Create;
    let payment = match body.get("payment") {
        None if !required => return Ok(None),
        None => {
            return Err(Error::invalid(
                "payment",
                "missing_argument",
                "is required: {\"amount\": minor units, \"currency\": \"USD\"}",
            ))
        }
        Some(Value::Object(p)) => p,
        Some(_) => {
            return Err(Error::invalid(
                "payment",
                "not_an_object",
                "must be an object",
            ))
        }
    };
    let amount = match payment.get("amount") {
        None if !required => None,
        None => {
            return Err(Error::invalid(
                "payment.amount",
                "missing_argument",
                "is required (minor units, e.g. 1000 for 10.00 USD)",
            ))
        }
        Some(Value::Number(n)) if n.as_i64().is_some_and(|a| a > 0) => n.as_i64(),
        Some(_) => {
            return Err(Error::invalid(
                "payment.amount",
                "bad_amount",
                "must be a positive integer in minor units (1000 is 10.00 USD)",
            ))
        }
    };
    let currency = match payment.get("currency") {
        None if amount.is_none() => None,
        None => {
            return Err(Error::invalid(
                "payment.currency",
                "missing_argument",
                "is required with payment.amount",
            ))
        }
        Some(Value::String(c)) if crate::money::Currency::parse(c).is_ok() => Some(c.clone()),
        Some(_) => {
            return Err(Error::invalid(
                "payment.currency",
                "bad_currency",
                "must be an ISO 4217 code in upper case, e.g. USD",
            ))
        }
    };
    Ok(amount
        .zip(currency)
        .map(|(amount, currency)| Sum { amount, currency }))
}

/// The Gate refuses `;` in keys and values: it would make the signed string ambiguous.
fn check_no_semicolons(map: &Map<String, Value>, at: &str) -> Result<()> {
    fn check(value: &Value, at: &str) -> Result<()> {
        match value {
            Value::String(s) if s.contains(';') => Err(Error::invalid(
                at.to_owned(),
                "semicolon",
                "contains ';', which the Gate refuses in values",
            )),
            Value::Object(map) => check_no_semicolons(map, at),
            Value::Array(list) => list
                .iter()
                .enumerate()
                .try_for_each(|(i, v)| check(v, &format!("{at}.{i}"))),
            _ => Ok(()),
        }
    }
    for (key, value) in map {
        let path = if at.is_empty() {
            key.clone()
        } else {
            format!("{at}.{key}")
        };
        if key.contains(';') {
            return Err(Error::invalid(
                at.to_owned(),
                "semicolon",
                "has a key with ';', which the Gate refuses",
            ));
        }
        check(value, &path)?;
    }
    Ok(())
}

/// A status answer, verified: one whose signature does not match is not believed.
fn payment_of(response: Response<Value>, signer: &Signer) -> Result<GatePayment> {
    let Value::Object(document) = response.data else {
        return Err(http::decode_error(
            &response,
            "a status answer that is not an object",
        ));
    };
    let verified = callback::verify_document(document, signer).map_err(|e| {
        Error::signature(
            e.code(),
            format!(
                "the status answer's signature does not hold: {}",
                e.message()
            ),
        )
    })?;
    Ok(GatePayment::new(verified))
}

/// The Gate's answers: a write is accepted by `{"status": "success", "request_id": …}`; an
/// error is `{"status": "error", "code", "message"}` (or `errors[]`), whatever the HTTP status.
pub(crate) const GATE: Dialect = Dialect {
    accept: accept_gate,
    refusal,
};

fn accept_gate(
    call: &Call,
    response: Response<Value>,
) -> std::result::Result<Response<Value>, (Error, Attempt)> {
    let status = response.data.get("status").and_then(Value::as_str);
    // A status answer is the payment; `code` or `errors` without it (or `status: "error"`) is
    // the Gate's refusal.
    let refusal_shape = response.data.get("payment").is_none()
        && (response.data.get("code").is_some() || response.data.get("errors").is_some());
    if status == Some("error") || (status.is_none() && refusal_shape) {
        let body = response.data.to_string();
        return Err(refusal(
            response.http_status,
            response.request_id,
            None,
            body.as_bytes(),
        ));
    }
    if call.kind() == CallKind::Read {
        return Ok(response);
    }
    let accepted = status == Some("success")
        && response
            .data
            .get("request_id")
            .and_then(read::string_of)
            .is_some_and(|id| !id.is_empty());
    if accepted {
        return Ok(response);
    }
    Err((
        http::decode_error(
            &response,
            "a 2xx answer to a Gate request without status \"success\" and request_id",
        ),
        Attempt::Lost,
    ))
}

/// Gate codes with a meaning of their own (the rest keep the HTTP status's).
const DUPLICATE_CODES: &[&str] = &["3041", "3230"];
const NOT_FOUND_CODES: &[&str] = &["3061"];

fn refusal(
    status: u16,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    body: &[u8],
) -> (Error, Attempt) {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let first_error = json
        .as_ref()
        .and_then(|j| j.get("errors"))
        .and_then(Value::as_array)
        .and_then(|list| list.first());
    let said = |key: &str| {
        json.as_ref()
            .and_then(|j| j.get(key))
            .or_else(|| first_error.and_then(|e| e.get(key)))
            .and_then(read::string_of)
    };
    let (code, message) = (said("code"), said("message"));
    let mut info = http::details(status, request_id, body);
    info.retry_after = retry_after;
    if let Some(field) = first_error
        .and_then(|e| e.get("field"))
        .and_then(read::string_of)
    {
        info.fields
            .push((field, message.clone().unwrap_or_default()));
    }
    let gate_code = code.as_deref().unwrap_or("");
    let (kind, error_code, policy_status, hint) = if DUPLICATE_CODES.contains(&gate_code) {
        (
            ErrorKind::Conflict,
            "duplicate",
            409,
            "this payment_id or merchant_refund_id was used already",
        )
    } else if NOT_FOUND_CODES.contains(&gate_code) {
        (
            ErrorKind::NotFound,
            "not_found",
            404,
            "no such payment in the project",
        )
    } else {
        // A 2xx or a 400 with the Gate's error body is a refusal of the data: nothing was
        // done (a bare 400 may still have landed).
        let refused = (200..300).contains(&status) || (status == 400 && code.is_some());
        let policy_status = if refused { 422 } else { status };
        let mapped = http::status_error(policy_status, None, None, b"");
        (mapped.kind(), mapped.code(), policy_status, "")
    };
    let text = match (&code, &message) {
        (Some(code), Some(message)) => format!("[{code}] {message}"),
        (None, Some(message)) => message.clone(),
        (Some(code), None) => format!("[{code}]"),
        (None, None) => String::new(),
    };
    let message = match (text.is_empty(), hint.is_empty()) {
        (true, true) => format!("HTTP {status}"),
        (true, false) => format!("HTTP {status}: {hint}"),
        (false, true) => format!("HTTP {status}: {text}"),
        (false, false) => format!("HTTP {status}: {text} ({hint})"),
    };
    (
        Error::new(kind, error_code, message).with_api(info),
        Attempt::Status {
            status: policy_status,
            retry_after,
        },
    )
}

/// Finds a write again through the status endpoint.
struct GateLookup {
    operation: GateOperation,
    payment_id: String,
    merchant_refund_id: Option<String>,
    sum: Option<Sum>,
    /// The signed status request.
    lookup: Vec<u8>,
    not_before: Duration,
    signer: Signer,
}

impl Reconciler for GateLookup {
    fn key(&self) -> &str {
        &self.payment_id
    }

    fn key_name(&self) -> &'static str {
        "payment_id"
    }

    fn lookup(&self) -> Call {
        Call::post(
            GateOperation::PaymentStatus.path_template(),
            self.lookup.clone(),
            CallKind::Read,
        )
        .in_dialect(GATE)
    }

    fn not_before(&self) -> Duration {
        self.not_before
    }

    fn judge(&self, found: Result<Response<Value>>) -> Lookup {
        let creates = self.operation.semantics() == GateSemantics::Create;
        let payment = match found.and_then(|r| payment_of(r, &self.signer)) {
            Ok(payment) => payment,
            // A payout or charge not registered (yet); an existing payment must be found.
            Err(e) if e.kind() == ErrorKind::NotFound && creates => return Lookup::Absent,
            Err(_) => return Lookup::Unproven,
        };
        if payment.payment_id().as_deref() != Some(self.payment_id.as_str()) {
            return Lookup::Unproven;
        }
        let types = self.operation.operation_types();
        let ours: Vec<&Operation> = payment
            .operations
            .iter()
            .filter(|op| {
                op.operation_type
                    .as_deref()
                    .is_some_and(|t| types.contains(&t))
            })
            .collect();
        let raw = |op: &Operation| {
            payment.raw()["operations"]
                .as_array()
                .and_then(|list| {
                    list.iter()
                        .find(|o| o.get("request_id").and_then(read::string_of) == op.request_id)
                })
                .cloned()
                .unwrap_or(Value::Null)
        };
        let found = match &self.merchant_refund_id {
            Some(id) => {
                let mut unknown = false;
                let hit = ours
                    .iter()
                    .find(|op| match raw(op).get("merchant_refund_id") {
                        Some(v) => read::string_of(v).as_deref() == Some(id.as_str()),
                        None => {
                            // A refund we cannot tell from ours proves nothing either way.
                            unknown = true;
                            false
                        }
                    });
                match hit {
                    Some(op) => *op,
                    None if unknown => return Lookup::Unproven,
                    None => return Lookup::Absent,
                }
            }
            None => match ours.last() {
                Some(op) => op,
                // Another payment holds this id: ours was refused as a repeat, it cannot land.
                None if creates => return Lookup::Found(json!({ "reused": true })),
                None => return Lookup::Absent,
            },
        };
        Lookup::Found(json!({
            "request_id": found.request_id,
            "sum": payment.sum().map(|s| json!({"amount": s.amount, "currency": s.currency})),
        }))
    }

    fn recognise(
        &self,
        found: Value,
        http_status: u16,
        request_id: Option<&str>,
    ) -> Result<Response<Value>> {
        if self.operation.semantics() == GateSemantics::Create {
            let asked = self.sum.as_ref();
            let had = found.get("sum").filter(|s| !s.is_null());
            let same_sum = match (asked, had) {
                (Some(asked), Some(had)) => {
                    had["amount"].as_i64() == Some(asked.amount)
                        && had["currency"].as_str() == Some(asked.currency.as_str())
                }
                _ => true,
            };
            let reused = found.get("reused").is_some();
            if reused || !same_sum {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    "payment_id_reused",
                    format!(
                        "payment_id '{}' belongs to another payment: this request was not \
                             made; use a new payment_id",
                        printable(&self.payment_id)
                    ),
                )
                .with_argument("general.payment_id")
                .with_api(ApiDetails {
                    http_status: Some(http_status),
                    request_id: request_id.map(str::to_owned),
                    payment_id: Some(self.payment_id.clone()),
                    ..ApiDetails::default()
                }));
            }
        }
        Ok(Response {
            data: json!({
                "status": "success",
                "payment_id": self.payment_id,
                "request_id": found["request_id"],
            }),
            http_status,
            request_id: request_id.map(str::to_owned),
            reconciled: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> Signer {
        Signer::cached("secret")
    }

    fn body(text: &str) -> GateRequest {
        GateRequest::new(serde_json::from_str(text).unwrap())
    }

    fn refused(operation: GateOperation, text: &str) -> (String, &'static str) {
        let e = prepare(operation, body(text), 42, &signer())
            .err()
            .unwrap_or_else(|| panic!("{text} was accepted"));
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        (e.argument().unwrap_or_default().to_owned(), e.code())
    }

    #[test]
    fn requests_are_checked_before_anything_is_sent() {
        use GateOperation::*;
        let cases: &[(GateOperation, &str, &str, &str)] = &[
            (Refund, r#"{}"#, "general.payment_id", "missing_argument"),
            (
                Refund,
                r#"{"general":{"payment_id":""}}"#,
                "general.payment_id",
                "missing_argument",
            ),
            (Refund, r#"{"general":[]}"#, "general", "not_an_object"),
            (
                Refund,
                r#"{"general":{"payment_id":"p","project_id":7}}"#,
                "general.project_id",
                "project_mismatch",
            ),
            (
                Refund,
                r#"{"general":{"payment_id":"p","signature":"x"}}"#,
                "general.signature",
                "signature_given",
            ),
            (
                Refund,
                r#"{"general":{"payment_id":"p"},"payment":{"amount":"10"}}"#,
                "payment.amount",
                "bad_amount",
            ),
            (
                Refund,
                r#"{"general":{"payment_id":"p"},"payment":{"amount":10.5,"currency":"USD"}}"#,
                "payment.amount",
                "bad_amount",
            ),
            (
                Refund,
                r#"{"general":{"payment_id":"p"},"payment":{"amount":0,"currency":"USD"}}"#,
                "payment.amount",
                "bad_amount",
            ),
            (
                Refund,
                r#"{"general":{"payment_id":"p"},"payment":{"amount":10}}"#,
                "payment.currency",
                "missing_argument",
            ),
            (
                Refund,
                r#"{"general":{"payment_id":"p"},"payment":{"amount":10,"currency":"usd"}}"#,
                "payment.currency",
                "bad_currency",
            ),
            (
                Refund,
                r#"{"general":{"payment_id":"p"},"payment":{"description":"a;b"}}"#,
                "payment.description",
                "semicolon",
            ),
            (
                Refund,
                r#"{"general":{"payment_id":"p"},"x;y":1}"#,
                "",
                "semicolon",
            ),
            (
                Payout,
                r#"{"general":{"payment_id":"p"}}"#,
                "payment",
                "missing_argument",
            ),
            (
                Payout,
                r#"{"general":{"payment_id":"p"},"payment":{"currency":"USD"}}"#,
                "payment.amount",
                "missing_argument",
            ),
            (
                PayoutByToken,
                r#"{"general":{"payment_id":"p"},"payment":{"amount":1,"currency":"USD"}}"#,
                "token",
                "missing_argument",
            ),
            (
                RecurringCharge,
                r#"{"general":{"payment_id":"p"},"payment":{"amount":1,"currency":"USD"}}"#,
                "recurring.id",
                "missing_argument",
            ),
            (RequestStatus, r#"{}"#, "request_id", "missing_argument"),
            (
                PaymentStatus,
                r#"{"signature":"x","general":{"payment_id":"p"}}"#,
                "signature",
                "signature_given",
            ),
        ];
        for (operation, text, argument, code) in cases {
            assert_eq!(
                refused(*operation, text),
                ((*argument).to_owned(), *code),
                "{operation:?} {text}"
            );
        }
        let bad_method = GateRequest {
            method: Some("../admin".into()),
            ..body(r#"{"general":{"payment_id":"p"}}"#)
        };
        let e = prepare(Capture, bad_method, 42, &signer()).err().unwrap();
        assert_eq!((e.argument(), e.code()), (Some("method"), "bad_method"));
    }

    #[test]
    fn a_request_is_signed_in_general_over_everything_else() {
        let prepared = prepare(
            GateOperation::Refund,
            GateRequest {
                method: Some("wallet/paypal".into()),
                ..body(r#"{"general":{"payment_id":"p-1"},"payment":{"amount":500,"currency":"USD","merchant_refund_id":"r-1"}}"#)
            },
            42,
            &signer(),
        )
        .unwrap();
        assert_eq!(prepared.path, "/v2/payment/wallet/paypal/refund");
        let sent: Map<String, Value> = serde_json::from_slice(&prepared.bytes).unwrap();
        assert_eq!(sent["general"]["project_id"], 42);
        let signature = sent["general"]["signature"].as_str().unwrap().to_owned();
        let mut unsigned = sent.clone();
        unsigned["general"]
            .as_object_mut()
            .unwrap()
            .remove("signature");
        assert_eq!(
            super::super::string_to_sign(&unsigned).unwrap(),
            "general:payment_id:p-1;general:project_id:42;payment:amount:500;payment:currency:USD;payment:merchant_refund_id:r-1"
        );
        assert_eq!(signer().sign(&unsigned).unwrap(), signature);
        assert_eq!(prepared.merchant_refund_id.as_deref(), Some("r-1"));

        let generated = prepare(
            GateOperation::Refund,
            body(r#"{"general":{"payment_id":"p-1"}}"#),
            42,
            &signer(),
        )
        .unwrap();
        let sent: Value = serde_json::from_slice(&generated.bytes).unwrap();
        assert_eq!(
            sent["payment"]["merchant_refund_id"].as_str(),
            generated.merchant_refund_id.as_deref()
        );
        let request = prepare(
            GateOperation::RequestStatus,
            body(r#"{"request_id":"r-9"}"#),
            42,
            &signer(),
        )
        .unwrap();
        let sent: Map<String, Value> = serde_json::from_slice(&request.bytes).unwrap();
        assert_eq!(
            (sent["project_id"].as_i64(), sent.contains_key("signature")),
            (Some(42), true)
        );
    }

    #[test]
    fn gate_errors_map_to_kinds_and_the_policy_statuses() {
        let (e, a) = refusal(
            400,
            None,
            None,
            br#"{"status":"error","code":"3041","message":"Payment with such id already exists"}"#,
        );
        assert_eq!((e.kind(), e.code()), (ErrorKind::Conflict, "duplicate"));
        assert!(e
            .message()
            .contains("[3041] Payment with such id already exists"));
        assert_eq!(
            a,
            Attempt::Status {
                status: 409,
                retry_after: None
            }
        );
        let (e, a) = refusal(
            200,
            None,
            None,
            br#"{"status":"error","errors":[{"code":3061,"message":"Transaction not found"}]}"#,
        );
        assert_eq!(
            (e.kind(), a),
            (
                ErrorKind::NotFound,
                Attempt::Status {
                    status: 404,
                    retry_after: None
                }
            )
        );
        let (e, a) = refusal(
            200,
            None,
            None,
            br#"{"status":"error","code":"1000","message":"Wrong amount"}"#,
        );
        assert_eq!(e.kind(), ErrorKind::Validation);
        assert_eq!(
            a,
            Attempt::Status {
                status: 422,
                retry_after: None
            }
        );
        let (e, _) = refusal(503, None, None, b"<html>");
        assert_eq!(e.kind(), ErrorKind::Server);
        let (e, _) = refusal(
            401,
            None,
            None,
            br#"{"status":"error","code":"2","message":"Invalid signature"}"#,
        );
        assert_eq!(e.kind(), ErrorKind::Authentication);
    }

    #[test]
    fn the_table_names_its_rows() {
        assert_eq!(
            GateOperation::parse("payout-by-token"),
            Some(GateOperation::PayoutByToken)
        );
        assert_eq!(GateOperation::parse("nope"), None);
        assert!(GateOperation::Refund.writes() && !GateOperation::PaymentStatus.writes());
        assert_eq!(GateOperation::Payout.output(), "GateAccepted");
        assert_eq!(GateOperation::ALL.len(), 8);
    }
}
