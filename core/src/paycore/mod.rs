//! PayCore.io / Corefy / Paymega "Commerce" platform: callback signatures and events,
//! Hosted Payment Page links and forms, invoice models.

pub mod callback;
pub mod client;
mod environment;
pub mod hpp;
pub mod model;
mod records;
pub mod signature;

pub use callback::CallbackEvent;
pub use client::{BlockingClient, Client, Config, ListOptions, Response};
pub use environment::Environment;
pub use hpp::{Address, Customer, HppForm, HppParams};
pub use model::{
    FlowData, PaymentInvoice, PaymentInvoiceStatus, PayoutInvoice, PayoutInvoiceStatus, Resolution,
};
pub use signature::{sign_callback, verify_callback};
