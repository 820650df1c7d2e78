//! The one error type of the binding: `PolypayError` (Kotlin: the sealed class `PolypayException`
//! with one subclass per kind, e.g. `PolypayException.Authentication`; Swift: `enum PolypayError:
//! Error`). Every variant carries the same fields, so hosts can read them without a `when`/`switch`
//! on the kind. `msg` is the message (Kotlin's `Exception.message` is taken).

use std::fmt;

/// One field the gateway refused (from a 400/422 body).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

macro_rules! polypay_error {
    ($($(#[$doc:meta])* $variant:ident => $core:ident),* $(,)?) => {
        /// Everything that can fail. The variant is the core's error kind.
        #[derive(Debug, Clone, PartialEq, uniffi::Error)]
        pub enum PolypayError {
            $(
                $(#[$doc])*
                $variant {
                    /// The kind as snake_case text (`invalid_input`, `authentication`, ...).
                    kind: String,
                    /// Stable machine-readable code, e.g. `hex_signature`.
                    code: String,
                    /// Human message (never contains secrets).
                    msg: String,
                    /// The argument concerned, when there is one.
                    argument: Option<String>,
                    http_status: Option<u16>,
                    request_id: Option<String>,
                    /// The response body as received.
                    body: Option<String>,
                    /// Worth retrying (the SDK has already retried what it safely could).
                    retryable: bool,
                    /// A create may or may not have happened: look it up by reference id.
                    outcome_unknown: bool,
                    retry_after_seconds: Option<f64>,
                    fields: Vec<FieldError>,
                    /// The existing entity of a 409, as JSON text.
                    existing_json: Option<String>,
                    /// The `reference_id` a create used (generated when none was given).
                    reference_id: Option<String>,
                    /// The ecommpay `payment_id` of a Gate request (look it up by it).
                    payment_id: Option<String>,
                },
            )*
        }

        impl PolypayError {
            fn build(e: &polypay::Error) -> PolypayError {
                let kind = e.kind().as_str().to_owned();
                let code = e.code().to_owned();
                let msg = e.message().to_owned();
                let argument = e.argument().map(str::to_owned);
                let http_status = e.http_status();
                let request_id = e.request_id().map(str::to_owned);
                let body = e.body().map(str::to_owned);
                let retryable = e.retryable();
                let outcome_unknown = e.outcome_unknown();
                let retry_after_seconds = e.retry_after().map(|d| d.as_secs_f64());
                let fields = e
                    .fields()
                    .iter()
                    .map(|(field, message)| FieldError { field: field.clone(), message: message.clone() })
                    .collect();
                let existing_json = e.existing().map(|v| v.to_string());
                let reference_id = e.reference_id().map(str::to_owned);
                let payment_id = e.payment_id().map(str::to_owned);
                match e.kind() {
                    $(polypay::ErrorKind::$core => PolypayError::$variant {
                        kind, code, msg, argument, http_status, request_id, body, retryable,
                        outcome_unknown, retry_after_seconds, fields, existing_json, reference_id, payment_id,
                    },)*
                    // A kind added to the core later: reported as a server-side failure.
                    _ => PolypayError::Server {
                        kind, code, msg, argument, http_status, request_id, body, retryable,
                        outcome_unknown, retry_after_seconds, fields, existing_json, reference_id, payment_id,
                    },
                }
            }

            /// The message, whatever the variant.
            pub fn msg(&self) -> &str {
                match self {
                    $(PolypayError::$variant { msg, .. } => msg,)*
                }
            }

            /// The kind, whatever the variant.
            pub fn kind(&self) -> &str {
                match self {
                    $(PolypayError::$variant { kind, .. } => kind,)*
                }
            }
        }
    };
}

polypay_error! {
    /// An argument is unusable; nothing was sent.
    InvalidInput => InvalidInput,
    /// A signature did not verify, or is missing or malformed.
    Signature => Signature,
    /// Keys or settings that cannot work together.
    Configuration => Configuration,
    /// 401.
    Authentication => Authentication,
    /// 403.
    Permission => Permission,
    /// 404.
    NotFound => NotFound,
    /// 405.
    MethodNotAllowed => MethodNotAllowed,
    /// 409: see `existing_json`.
    Conflict => Conflict,
    /// 400/422: see `fields`.
    Validation => Validation,
    /// 429: see `retry_after_seconds`.
    RateLimited => RateLimited,
    /// 5xx.
    Server => Server,
    /// No answer within the timeout or deadline.
    Timeout => Timeout,
    /// The connection failed or broke.
    Connection => Connection,
    /// The gateway answered something unreadable.
    Decode => Decode,
    /// The call was cancelled (Kotlin coroutine or Swift task cancellation, or a `CallToken`).
    /// A create's error keeps its `reference_id` (generated when none was given), and
    /// `outcome_unknown` is true when the request may have reached the gateway: look it up.
    Cancelled => Cancelled,
}

impl From<polypay::Error> for PolypayError {
    fn from(e: polypay::Error) -> Self {
        PolypayError::build(&e)
    }
}

impl PolypayError {
    /// An `InvalidInput` raised by the binding itself (the message names the argument).
    pub fn invalid(argument: &str, code: &str, msg: String) -> PolypayError {
        PolypayError::InvalidInput {
            kind: "invalid_input".into(),
            code: code.into(),
            msg,
            argument: Some(argument.into()),
            http_status: None,
            request_id: None,
            body: None,
            retryable: false,
            outcome_unknown: false,
            retry_after_seconds: None,
            fields: Vec::new(),
            existing_json: None,
            reference_id: None,
            payment_id: None,
        }
    }
}

impl fmt::Display for PolypayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind(), self.msg())
    }
}

impl std::error::Error for PolypayError {}

pub type Result<T, E = PolypayError> = std::result::Result<T, E>;
