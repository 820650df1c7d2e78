//! # polypay
//!
//! The core of the polypay payment SDK, shared by the CLI and every language binding:
//!
//! - [`paycore`]: PayCore.io / Corefy / Paymega — `X-Signature` callbacks, typed invoice
//!   events, Hosted Payment Page links and auto-redirect forms.
//! - [`ecommpay`]: Payment Page signing (byte-for-byte the PHP SDK's algorithm), signed URLs
//!   and callback verification.
//! - [`money`]: exact decimal amounts and currencies.
//!
//! Every fallible call returns [`Error`]; no secret ever appears in an error or in `Debug`.

pub mod ecommpay;
mod error;
pub mod json;
pub mod ledger;
pub mod money;
mod open_enum;
pub mod paycore;
pub mod time;
pub mod tls;
pub mod urls;

pub use error::{ApiDetails, Error, ErrorKind, Result};
pub use money::{Amount, Currency, Money};
