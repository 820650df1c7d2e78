//! The one error type of the crate.
//!
//! Every failure is an [`Error`]: a [`ErrorKind`] that bindings map to their own
//! exception classes, a stable machine-readable `code` (e.g. `hex_signature`),
//! a human message, and the argument it concerns when there is one.
//! Messages never contain secrets: constructors take the *name* of an argument,
//! not its value.

use std::fmt;

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
}

impl ErrorKind {
    /// The snake_case name used by the CLI, the vectors and every binding.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Signature => "signature",
            ErrorKind::Configuration => "configuration",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error type of every fallible function in this crate.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    code: &'static str,
    message: String,
    argument: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        Error {
            kind,
            code,
            message: message.into(),
            argument: None,
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

    pub fn with_argument(mut self, argument: impl Into<String>) -> Self {
        self.argument = Some(argument.into());
        self
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
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("code", &self.code)
            .field("argument", &self.argument)
            .field("message", &self.message)
            .finish()
    }
}

impl std::error::Error for Error {}
