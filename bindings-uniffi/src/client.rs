//! `PayCoreClient`: the core async client. Network methods are `async` on the uniffi tokio
//! runtime (Kotlin `suspend fun`, Swift `async throws`); request fields cross as JSON text.
//!
//! Cancellation: uniffi cannot carry a cancelled call's facts across the FFI. A cancelled Kotlin
//! coroutine drops the Rust future at once (the create's generated `reference_id` and whether it
//! may have been sent are lost), and a cancelled Swift task is not seen by the Rust future at
//! all. So every network method is exported as `raw_<name>` with a trailing `CallToken`, run on
//! the core's `Client::with_cancel`, and the hand-written Kotlin (`PayCoreClientCalls.kt`) and
//! Swift (`PayCoreClient+Calls.swift`) wrappers with the original names fire the token when the
//! caller is cancelled: the call then ends with `PolypayError::Cancelled` and its facts.

use std::fmt;
use std::sync::Arc;

use polypay::paycore::client::{
    timeout_from_secs, Config, ListOptions, PaymentInvoiceRequest, PayoutInvoiceRequest,
    PrerequestRequest, RefundRequest, RetryPolicy, Secret,
};
use polypay::paycore::{Client, Environment};
use tokio_util::sync::CancellationToken;

use crate::error::{PolypayError, Result};
use crate::models::{
    Balances, CallbackEvent, PaymentInvoice, PaymentService, PayoutInvoice, Prerequest, Refund,
    ResponseInfo,
};
use crate::params;

/// Client settings. Give `base_url` (the local `polypay sandbox`, a white label) or `env`
/// (`"paycore"`, `"corefy"`, `"paymega"`; the default is `"paycore"`); `base_url` wins when both
/// are given. Keys as needed: public key for public calls, account id + API key for private
/// calls, secret key for callbacks. Times are in seconds (more than 0, at most 86400).
///
/// `api_key` and `secret_key` never show: `Debug`/`Display` here, and so Kotlin `toString()` and
/// Swift `description`/`debugDescription` (exported below), print `<redacted>` in their place;
/// Swift's `dump`/`Mirror` are covered by `ClientOptions+Redacted.swift`.
#[derive(Clone, uniffi::Record)]
#[uniffi::export(Debug, Display)]
pub struct ClientOptions {
    #[uniffi(default = None)]
    pub public_key: Option<String>,
    #[uniffi(default = None)]
    pub account_id: Option<String>,
    #[uniffi(default = None)]
    pub api_key: Option<String>,
    #[uniffi(default = None)]
    pub secret_key: Option<String>,
    #[uniffi(default = None)]
    pub env: Option<String>,
    #[uniffi(default = None)]
    pub base_url: Option<String>,
    /// Deadline of one call, retries included.
    #[uniffi(default = 60.0)]
    pub timeout: f64,
    #[uniffi(default = 30.0)]
    pub request_timeout: f64,
    #[uniffi(default = 10.0)]
    pub connect_timeout: f64,
    #[uniffi(default = 2)]
    pub max_retries: u32,
    #[uniffi(default = None)]
    pub user_agent: Option<String>,
}

/// `Some(<redacted>)` or `None`: whether a secret is set shows, never its value.
struct Redacted<'a>(&'a Option<String>);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(_) => f.write_str("Some(<redacted>)"),
            None => f.write_str("None"),
        }
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("public_key", &self.public_key)
            .field("account_id", &self.account_id)
            .field("api_key", &Redacted(&self.api_key))
            .field("secret_key", &Redacted(&self.secret_key))
            .field("env", &self.env)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_retries", &self.max_retries)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// The same text as `Debug` (Kotlin's `toString()` prefers `Display`).
impl fmt::Display for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Cancels the calls it is given to (a `raw_*` method's `token`): once `cancel()` ran, they end
/// with a `Cancelled` error that keeps the facts (a create's `reference_id`, and
/// `outcome_unknown` when the request may have reached the gateway); a call given a cancelled
/// token sends nothing. The Kotlin and Swift wrappers make one per call; use one yourself only
/// to cancel a `raw_*` call from outside a coroutine or task.
#[derive(Debug, Default, uniffi::Object)]
pub struct CallToken {
    token: CancellationToken,
}

#[uniffi::export]
impl CallToken {
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(CallToken::default())
    }

    /// Ends the calls running with this token, and those started with it later. Idempotent.
    pub fn cancel(&self) {
        self.token.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}

/// A PayCore API client: one connection pool, safe to share between threads and coroutines.
#[derive(uniffi::Object)]
pub struct PayCoreClient {
    client: Client,
}

impl PayCoreClient {
    /// The client of one call: its own deadline (the core's one rule for user timeouts,
    /// `invalid_timeout` otherwise) and its token.
    fn call(&self, timeout: Option<f64>, token: Option<Arc<CallToken>>) -> Result<Client> {
        let client = match timeout {
            Some(t) => self.client.with_deadline(timeout_from_secs(t, "timeout")?),
            None => self.client.clone(),
        };
        Ok(match token {
            Some(token) => client.with_cancel(token.token.clone()),
            None => client,
        })
    }
}

fn limit(limit: Option<u32>) -> Option<usize> {
    limit.map(|l| l as usize)
}

fn page_size(page_size: Option<u32>) -> Result<Option<u32>> {
    if page_size == Some(0) {
        return Err(PolypayError::invalid(
            "page_size",
            "invalid_value",
            "page_size must be at least 1".into(),
        ));
    }
    Ok(page_size)
}

#[uniffi::export(async_runtime = "tokio")]
impl PayCoreClient {
    #[uniffi::constructor]
    pub fn new(options: ClientOptions) -> Result<Arc<Self>> {
        let environment =
            Environment::resolve(options.env.as_deref(), options.base_url.as_deref())?;
        let mut config = Config::new(environment);
        config.public_key = options.public_key;
        config.account_id = options.account_id;
        config.api_key = options.api_key.map(Secret::new);
        config.secret_key = options.secret_key.map(Secret::new);
        config.deadline = timeout_from_secs(options.timeout, "timeout")?;
        config.request_timeout = timeout_from_secs(options.request_timeout, "request_timeout")?;
        config.connect_timeout = timeout_from_secs(options.connect_timeout, "connect_timeout")?;
        config.retry = RetryPolicy {
            max_retries: options.max_retries,
            ..RetryPolicy::default()
        };
        config.user_agent_suffix = options.user_agent;
        Ok(Arc::new(PayCoreClient {
            client: Client::new(config)?,
        }))
    }

    pub fn base_url(&self) -> String {
        self.client.config().environment.base_url().to_owned()
    }

    /// `"test"`, `"live"` or null, from the keys.
    pub fn mode(&self) -> Option<String> {
        self.client.mode().map(|m| {
            match m {
                polypay::paycore::client::Mode::Test => "test",
                polypay::paycore::client::Mode::Live => "live",
            }
            .to_owned()
        })
    }

    /// Verifies a callback with the client's secret key.
    pub fn verify_callback(&self, body: Vec<u8>, signature: String) -> Result<CallbackEvent> {
        Ok(CallbackEvent::new(
            &self.client.verify_callback(&body, &signature)?,
        ))
    }

    // ---- network calls ----
    //
    // Each is exported as `raw_<name>` with a trailing `token`: Kotlin and Swift users call the
    // hand-written wrappers with the original names and signatures, which pass a token fired
    // by coroutine/task cancellation (see the module comment).

    // ---- public (public key) ----

    #[uniffi::method(name = "raw_payment_prerequest", default(timeout = None, token = None))]
    pub async fn payment_prerequest(
        &self,
        fields_json: String,
        timeout: Option<f64>,
        token: Option<Arc<CallToken>>,
    ) -> Result<Prerequest> {
        let request = PrerequestRequest::from_json(&params(&fields_json, "fields")?)?;
        let client = self.call(timeout, token)?;
        let r = client.payment_prerequest(&request).await?;
        Ok(Prerequest::new(&r.data, ResponseInfo::of(&r)))
    }

    #[uniffi::method(name = "raw_payout_prerequest", default(timeout = None, token = None))]
    pub async fn payout_prerequest(
        &self,
        fields_json: String,
        timeout: Option<f64>,
        token: Option<Arc<CallToken>>,
    ) -> Result<Prerequest> {
        let request = PrerequestRequest::from_json(&params(&fields_json, "fields")?)?;
        let client = self.call(timeout, token)?;
        let r = client.payout_prerequest(&request).await?;
        Ok(Prerequest::new(&r.data, ResponseInfo::of(&r)))
    }

    #[uniffi::method(
        name = "raw_create_payment_invoice_public",
        default(timeout = None, token = None)
    )]
    pub async fn create_payment_invoice_public(
        &self,
        fields_json: String,
        timeout: Option<f64>,
        token: Option<Arc<CallToken>>,
    ) -> Result<PaymentInvoice> {
        let request = PaymentInvoiceRequest::from_json(&params(&fields_json, "fields")?)?;
        let client = self.call(timeout, token)?;
        let r = client.create_payment_invoice_public(&request).await?;
        Ok(PaymentInvoice::new(&r.data, ResponseInfo::of(&r)))
    }

    #[uniffi::method(
        name = "raw_get_payment_invoice_public",
        default(timeout = None, token = None)
    )]
    pub async fn get_payment_invoice_public(
        &self,
        id: String,
        timeout: Option<f64>,
        token: Option<Arc<CallToken>>,
    ) -> Result<PaymentInvoice> {
        let client = self.call(timeout, token)?;
        let r = client.get_payment_invoice_public(&id).await?;
        Ok(PaymentInvoice::new(&r.data, ResponseInfo::of(&r)))
    }

    #[uniffi::method(
        name = "raw_get_payout_invoice_public",
        default(timeout = None, token = None)
    )]
    pub async fn get_payout_invoice_public(
        &self,
        id: String,
        timeout: Option<f64>,
        token: Option<Arc<CallToken>>,
    ) -> Result<PayoutInvoice> {
        let client = self.call(timeout, token)?;
        let r = client.get_payout_invoice_public(&id).await?;
        Ok(PayoutInvoice::new(&r.data, ResponseInfo::of(&r)))
    }

    // ---- private (account id + API key) ----

    #[uniffi::method(name = "raw_create_payment_invoice", default(timeout = None, token = None))]
    pub async fn create_payment_invoice(
        &self,
        fields_json: String,
        timeout: Option<f64>,
        token: Option<Arc<CallToken>>,
    ) -> Result<PaymentInvoice> {
        let request = PaymentInvoiceRequest::from_json(&params(&fields_json, "fields")?)?;
        let client = self.call(timeout, token)?;
        let r = client.create_payment_invoice(&request).await?;
        Ok(PaymentInvoice::new(&r.data, ResponseInfo::of(&r)))
    }

    #[uniffi::method(name = "raw_get_payment_invoice", default(timeout = None, token = None))]
    pub async fn get_payment_invoice(
        &self,
        id: String,
        timeout: Option<f64>,
        token: Option<Arc<CallToken>>,
    ) -> Result<PaymentInvoice> {
        let r = self.call(timeout, token)?.get_payment_invoice(&id).await?;
        Ok(PaymentInvoice::new(&r.data, ResponseInfo::of(&r)))
    }

    /// The invoice with this reference id, or null.
    #[uniffi::method(name = "raw_find_payment_invoice", default(timeout = None, token = None))]
    pub async fn find_payment_invoice(
        &self,
        reference_id: String,
        timeout: Option<f64>,
        token: Option<Arc<CallToken>>,
    ) -> Result<Option<PaymentInvoice>> {
        let client = self.call(timeout, token)?;
        let found = client.find_payment_invoice(&reference_id).await?;
        Ok(found.map(|i| PaymentInvoice::new(&i, None)))
    }

    /// Payment invoices, newest first, fetched page by page up to `limit` items (all if null).
    #[uniffi::method(
        name = "raw_list_payment_invoices",
        default(reference_id = None, page_size = None, limit = None, token = None)
    )]
    pub async fn list_payment_invoices(
        &self,
        reference_id: Option<String>,
        page_size: Option<u32>,
        limit: Option<u32>,
        token: Option<Arc<CallToken>>,
    ) -> Result<Vec<PaymentInvoice>> {
        let options = ListOptions {
            reference_id,
            page_size: self::page_size(page_size)?,
        };
        let items = self
            .call(None, token)?
            .list_payment_invoices(&options)
            .collect(self::limit(limit))
            .await?;
        Ok(items.iter().map(|i| PaymentInvoice::new(i, None)).collect())
    }

    /// Refunds a processed payment invoice; `fields_json` holds `amount` and optional fields.
    #[uniffi::method(name = "raw_refund_payment_invoice", default(timeout = None, token = None))]
    pub async fn refund_payment_invoice(
        &self,
        id: String,
        fields_json: String,
        timeout: Option<f64>,
        token: Option<Arc<CallToken>>,
    ) -> Result<Refund> {
        let request = RefundRequest::from_json(&params(&fields_json, "fields")?)?;
        let client = self.call(timeout, token)?;
        let r = client.refund_payment_invoice(&id, &request).await?;
        Ok(Refund::new(&r.data, ResponseInfo::of(&r)))
    }

    #[uniffi::method(name = "raw_create_payout_invoice", default(timeout = None, token = None))]
    pub async fn create_payout_invoice(
        &self,
        fields_json: String,
        timeout: Option<f64>,
        token: Option<Arc<CallToken>>,
    ) -> Result<PayoutInvoice> {
        let request = PayoutInvoiceRequest::from_json(&params(&fields_json, "fields")?)?;
        let client = self.call(timeout, token)?;
        let r = client.create_payout_invoice(&request).await?;
        Ok(PayoutInvoice::new(&r.data, ResponseInfo::of(&r)))
    }

    #[uniffi::method(name = "raw_get_payout_invoice", default(timeout = None, token = None))]
    pub async fn get_payout_invoice(
        &self,
        id: String,
        timeout: Option<f64>,
        token: Option<Arc<CallToken>>,
    ) -> Result<PayoutInvoice> {
        let r = self.call(timeout, token)?.get_payout_invoice(&id).await?;
        Ok(PayoutInvoice::new(&r.data, ResponseInfo::of(&r)))
    }

    #[uniffi::method(name = "raw_find_payout_invoice", default(timeout = None, token = None))]
    pub async fn find_payout_invoice(
        &self,
        reference_id: String,
        timeout: Option<f64>,
        token: Option<Arc<CallToken>>,
    ) -> Result<Option<PayoutInvoice>> {
        let client = self.call(timeout, token)?;
        let found = client.find_payout_invoice(&reference_id).await?;
        Ok(found.map(|i| PayoutInvoice::new(&i, None)))
    }

    #[uniffi::method(
        name = "raw_list_payout_invoices",
        default(reference_id = None, page_size = None, limit = None, token = None)
    )]
    pub async fn list_payout_invoices(
        &self,
        reference_id: Option<String>,
        page_size: Option<u32>,
        limit: Option<u32>,
        token: Option<Arc<CallToken>>,
    ) -> Result<Vec<PayoutInvoice>> {
        let options = ListOptions {
            reference_id,
            page_size: self::page_size(page_size)?,
        };
        let items = self
            .call(None, token)?
            .list_payout_invoices(&options)
            .collect(self::limit(limit))
            .await?;
        Ok(items.iter().map(|i| PayoutInvoice::new(i, None)).collect())
    }

    #[uniffi::method(name = "raw_get_payment_service", default(timeout = None, token = None))]
    pub async fn get_payment_service(
        &self,
        id: String,
        timeout: Option<f64>,
        token: Option<Arc<CallToken>>,
    ) -> Result<PaymentService> {
        let r = self.call(timeout, token)?.get_payment_service(&id).await?;
        Ok(PaymentService::new(&r.data, ResponseInfo::of(&r)))
    }

    #[uniffi::method(
        name = "raw_list_payment_services",
        default(page_size = None, limit = None, token = None)
    )]
    pub async fn list_payment_services(
        &self,
        page_size: Option<u32>,
        limit: Option<u32>,
        token: Option<Arc<CallToken>>,
    ) -> Result<Vec<PaymentService>> {
        let items = self
            .call(None, token)?
            .list_payment_services(self::page_size(page_size)?)
            .collect(self::limit(limit))
            .await?;
        Ok(items.iter().map(|s| PaymentService::new(s, None)).collect())
    }

    #[uniffi::method(name = "raw_balances", default(timeout = None, token = None))]
    pub async fn balances(
        &self,
        timeout: Option<f64>,
        token: Option<Arc<CallToken>>,
    ) -> Result<Balances> {
        let r = self.call(timeout, token)?.balances().await?;
        Ok(Balances::new(&r.data, ResponseInfo::of(&r)))
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    use std::time::Duration;

    use super::*;

    const API_KEY: &str = "api_key_DO_NOT_SHOW_1234";
    const SECRET_KEY: &str = "sk_test_DO_NOT_SHOW_5678";

    fn options() -> ClientOptions {
        ClientOptions {
            public_key: Some("pk_test_visible".into()),
            account_id: Some("coma_visible".into()),
            api_key: Some(API_KEY.into()),
            secret_key: Some(SECRET_KEY.into()),
            env: None,
            base_url: Some("http://127.0.0.1:9".into()),
            timeout: 60.0,
            request_timeout: 30.0,
            connect_timeout: 10.0,
            max_retries: 2,
            user_agent: None,
        }
    }

    #[test]
    fn debug_and_display_redact_the_keys() {
        let options = options();
        for text in [
            format!("{options:?}"),
            format!("{options:#?}"),
            format!("{options}"),
            options.to_string(),
        ] {
            assert!(!text.contains(API_KEY), "{text}");
            assert!(!text.contains(SECRET_KEY), "{text}");
            assert!(!text.contains("DO_NOT_SHOW"), "{text}");
            assert!(text.contains("api_key: Some(<redacted>)"), "{text}");
            assert!(text.contains("secret_key: Some(<redacted>)"), "{text}");
            // What is not secret still shows, for debugging.
            assert!(
                text.contains("pk_test_visible") && text.contains("coma_visible"),
                "{text}"
            );
        }
        let none = ClientOptions {
            api_key: None,
            secret_key: None,
            ..options
        };
        assert!(format!("{none:?}").contains("api_key: None, secret_key: None"));
    }

    #[test]
    fn bad_times_are_invalid_input_never_a_panic() {
        let bad = [
            f64::NAN,
            -f64::NAN,
            -1.0,
            -0.0,
            0.0,
            1e-300,
            f64::MIN_POSITIVE,
            86_400.000_001,
            1e19,
            1e300,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        // The core's one rule for user timeouts, as the binding's error.
        let seconds =
            |value: f64, name: &str| timeout_from_secs(value, name).map_err(PolypayError::from);
        for value in bad {
            let e = seconds(value, "timeout").unwrap_err();
            assert!(
                matches!(&e, PolypayError::InvalidInput { code, argument, .. }
                    if code == "invalid_timeout" && argument.as_deref() == Some("timeout")),
                "{value}: {e:?}"
            );
        }
        assert_eq!(seconds(1.5, "t").unwrap(), Duration::from_millis(1500));
        assert_eq!(seconds(86_400.0, "t").unwrap(), Duration::from_secs(86_400));
        assert_eq!(seconds(1e-9, "t").unwrap(), Duration::from_nanos(1));

        let client = PayCoreClient::new(options()).unwrap();
        for name in ["timeout", "request_timeout", "connect_timeout"] {
            for value in bad {
                let mut o = options();
                match name {
                    "timeout" => o.timeout = value,
                    "request_timeout" => o.request_timeout = value,
                    _ => o.connect_timeout = value,
                }
                let e = PayCoreClient::new(o).err().expect("refused");
                assert_eq!(e.kind(), "invalid_input", "{name} {value}");
                assert!(
                    matches!(&e, PolypayError::InvalidInput { argument, .. } if argument.as_deref() == Some(name)),
                    "{name} {value}: {e:?}"
                );
                assert!(!e.to_string().contains(API_KEY) && !e.to_string().contains(SECRET_KEY));
            }
            // The per-call timeout goes through the same check.
            for value in bad {
                assert_eq!(
                    client.call(Some(value), None).err().unwrap().kind(),
                    "invalid_input"
                );
            }
        }
    }

    /// The first poll of a future that must finish without waiting (no runtime needed).
    fn at_once<T>(future: impl Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(value) => value,
            Poll::Pending => panic!("the call waited"),
        }
    }

    #[test]
    fn a_cancelled_token_ends_calls_before_sending_with_the_facts() {
        // Port 9 (discard) is never reached: the token is checked before anything is sent.
        let client = PayCoreClient::new(options()).unwrap();
        let token = CallToken::new();
        assert!(!token.is_cancelled());
        token.cancel();
        token.cancel(); // idempotent
        assert!(token.is_cancelled());

        let fields = r#"{"service":"s","amount":"1.00","currency":"USD"}"#.to_owned();
        let e =
            at_once(client.create_payment_invoice(fields, None, Some(token.clone()))).unwrap_err();
        match &e {
            PolypayError::Cancelled {
                kind,
                code,
                outcome_unknown,
                reference_id,
                ..
            } => {
                assert_eq!((kind.as_str(), code.as_str()), ("cancelled", "cancelled"));
                assert!(!outcome_unknown, "nothing was sent: {e:?}");
                // The generated reference_id (a UUID) comes back with the error.
                assert_eq!(reference_id.as_deref().map(str::len), Some(36), "{e:?}");
            }
            other => panic!("expected Cancelled, got {other:?}"),
        }
        let refund = at_once(client.refund_payment_invoice(
            "cpi_1".into(),
            r#"{"amount":"1.00","reference_id":"r-1"}"#.into(),
            None,
            Some(token.clone()),
        ))
        .unwrap_err();
        assert!(
            matches!(&refund, PolypayError::Cancelled { reference_id: Some(r), outcome_unknown: false, .. } if r == "r-1"),
            "{refund:?}"
        );
        // Reads and lists go through the same token.
        let read = at_once(client.balances(None, Some(token.clone()))).unwrap_err();
        assert_eq!(read.kind(), "cancelled");
        let list =
            at_once(client.list_payment_invoices(None, None, None, Some(token))).unwrap_err();
        assert_eq!(list.kind(), "cancelled");
        // Input errors still come first (nothing to cancel).
        let bad = at_once(client.create_payment_invoice("x".into(), None, Some(CallToken::new())));
        assert_eq!(bad.unwrap_err().kind(), "invalid_input");
    }
}
