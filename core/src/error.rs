//! The one error type of the crate.
//!
//! Every failure is an [`Error`]: a [`ErrorKind`] that bindings map to their own
//! exception classes, a stable machine-readable `code` (e.g. `hex_signature`),
//! a human message, and the argument it concerns when there is one.
//! Messages never contain secrets: constructors take the *name* of an argument,
//! not its value.

use std::fmt;
use std::time::Duration;

/// What went wrong, coarsely: the unit that bindings map to exception classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument is unusable (wrong type, bad currency, malformed JSON, too large, ...).
    /// Nothing was sent anywhere.
    InvalidInput,
    /// A signature did not verify, or is missing or malformed.
    Signature,
    /// The SDK was configured with keys or settings that cannot work together.
    Configuration,
    /// 401: the account id / API key (or public key) was refused. Nothing was created.
    Authentication,
    /// 403: the credentials may not call this method. Nothing was created.
    Permission,
    /// 404: no such method or resource.
    NotFound,
    /// 405: wrong HTTP method. Nothing was created.
    MethodNotAllowed,
    /// 409: an entity with this `reference_id` exists; it is in [`Error::existing`].
    Conflict,
    /// 400/422: the gateway refused the data or the account settings; see [`Error::fields`].
    Validation,
    /// 429: too many requests; see [`Error::retry_after`].
    RateLimited,
    /// 5xx: the gateway failed; the outcome of a create may be unknown.
    Server,
    /// No answer within the timeout or the call's deadline.
    Timeout,
    /// The connection failed or broke.
    Connection,
    /// The gateway answered something that could not be read.
    Decode,
    /// The caller cancelled the call; for a create, `outcome_unknown` says whether it may
    /// have reached the gateway, and the error carries its `reference_id`.
    Cancelled,
}

impl ErrorKind {
    /// The snake_case name used by the CLI, the vectors and every binding.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Signature => "signature",
            ErrorKind::Configuration => "configuration",
            ErrorKind::Authentication => "authentication",
            ErrorKind::Permission => "permission",
            ErrorKind::NotFound => "not_found",
            ErrorKind::MethodNotAllowed => "method_not_allowed",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Validation => "validation",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connection => "connection",
            ErrorKind::Decode => "decode",
            ErrorKind::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error type of every fallible function in this crate.
#[derive(Clone, PartialEq)]
pub struct Error {
    kind: ErrorKind,
    code: &'static str,
    message: String,
    argument: Option<String>,
    retryable: bool,
    outcome_unknown: bool,
    api: Option<Box<ApiDetails>>,
}

/// What the gateway said, for errors that come from an API call.
#[derive(Clone, PartialEq, Default)]
pub struct ApiDetails {
    pub http_status: Option<u16>,
    pub request_id: Option<String>,
    /// The response body as received (it never contains our credentials).
    pub body: Option<String>,
    pub retry_after: Option<Duration>,
    /// Field → message, from a 422 body (`{"errors": {"amount": "..."}}`) or `error_codes`.
    pub fields: Vec<(String, String)>,
    /// The entity that already exists (409), as the gateway sent it.
    pub existing: Option<serde_json::Value>,
    /// The `reference_id` a create used (generated when the caller gave none).
    pub reference_id: Option<String>,
    /// The ecommpay `payment_id` a Gate request was about.
    pub payment_id: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        Error {
            kind,
            code,
            message: message.into(),
            argument: None,
            retryable: false,
            outcome_unknown: false,
            api: None,
        }
    }

    /// An unusable argument; `argument` names it (never its value, which may be secret).
    pub fn invalid(
        argument: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Error::new(ErrorKind::InvalidInput, code, message).with_argument(argument)
    }

    pub fn signature(code: &'static str, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Signature, code, message)
    }

    pub fn configuration(code: &'static str, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Configuration, code, message)
    }

    pub(crate) fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    pub fn with_argument(mut self, argument: impl Into<String>) -> Self {
        self.argument = Some(argument.into());
        self
    }

    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    pub fn with_outcome_unknown(mut self, unknown: bool) -> Self {
        self.outcome_unknown = unknown;
        self
    }

    pub fn with_api(mut self, details: ApiDetails) -> Self {
        self.api = Some(Box::new(details));
        self
    }

    pub(crate) fn api_mut(&mut self) -> &mut ApiDetails {
        self.api.get_or_insert_with(Default::default)
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// A stable, machine-readable reason such as `empty_secret` or `mismatch`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The argument (or parameter path, e.g. `customer.reference_id`) the error is about.
    pub fn argument(&self) -> Option<&str> {
        self.argument.as_deref()
    }

    /// Calling again (with the same `reference_id` for a create) is safe and may succeed.
    pub fn retryable(&self) -> bool {
        self.retryable
    }

    /// The gateway may have created the entity: reconcile by `reference_id` before acting.
    /// `false` means the outcome is known (for a create: nothing was created).
    pub fn outcome_unknown(&self) -> bool {
        self.outcome_unknown
    }

    pub fn http_status(&self) -> Option<u16> {
        self.api.as_ref().and_then(|a| a.http_status)
    }

    pub fn request_id(&self) -> Option<&str> {
        self.api.as_ref().and_then(|a| a.request_id.as_deref())
    }

    pub fn body(&self) -> Option<&str> {
        self.api.as_ref().and_then(|a| a.body.as_deref())
    }

    pub fn retry_after(&self) -> Option<Duration> {
        self.api.as_ref().and_then(|a| a.retry_after)
    }

    /// Field → message pairs of a validation error.
    pub fn fields(&self) -> &[(String, String)] {
        self.api.as_ref().map_or(&[], |a| a.fields.as_slice())
    }

    /// The existing entity of a 409 conflict.
    pub fn existing(&self) -> Option<&serde_json::Value> {
        self.api.as_ref().and_then(|a| a.existing.as_ref())
    }

    /// The `reference_id` of the create this error belongs to.
    pub fn reference_id(&self) -> Option<&str> {
        self.api.as_ref().and_then(|a| a.reference_id.as_deref())
    }

    /// The ecommpay `payment_id` of the Gate request this error belongs to.
    pub fn payment_id(&self) -> Option<&str> {
        self.api.as_ref().and_then(|a| a.payment_id.as_deref())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.argument {
            Some(argument) => write!(f, "{argument}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind)
            .field("code", &self.code)
            .field("argument", &self.argument)
            .field("message", &self.message)
            .field("retryable", &self.retryable)
            .field("outcome_unknown", &self.outcome_unknown);
        if let Some(api) = &self.api {
            d.field("http_status", &api.http_status)
                .field("request_id", &api.request_id)
                .field("reference_id", &api.reference_id)
                .field("payment_id", &api.payment_id);
        }
        d.finish()
    }
}

impl std::error::Error for Error {}
