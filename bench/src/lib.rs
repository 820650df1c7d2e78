//! Shared inputs of the benchmarks in `benches/` and the profiling loops in `examples/`.

/// A realistic 10-parameter purchase: 333 bytes to sign, the `sign-typical10` shape of
/// docs/ecommpay.md §7 that the official SDKs were timed on.
pub const TYPICAL10: &str = r#"{"project_id":112,"payment_id":"ORDER-2024-000123-7f1e4c3b","payment_amount":125000,"payment_currency":"EUR","payment_description":"Order #123: 2 items, express delivery to Riga, gift wrap, no paper rec","customer_id":"cust_8842_b7e2","customer_email":"jane.doe+orders@example.com","customer_first_name":"Jane","customer_last_name":"Doe-Smith","language_code":"en"}"#;
