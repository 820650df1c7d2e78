//! `PayCoreClient`: the core async client. Network methods are `async` on the uniffi tokio
//! runtime (Kotlin `suspend fun`, Swift `async throws`); request fields cross as JSON text.

use std::sync::Arc;
use std::time::Duration;

use polypay::paycore::client::{
    Config, ListOptions, PaymentInvoiceRequest, PayoutInvoiceRequest, PrerequestRequest,
    RefundRequest, RetryPolicy, Secret,
};
use polypay::paycore::{Client, Environment};

use crate::error::{PolypayError, Result};
use crate::models::{
    Balances, CallbackEvent, PaymentInvoice, PaymentService, PayoutInvoice, Prerequest, Refund,
    ResponseInfo,
};
use crate::params;

/// Client settings. Give `env` (`"sandbox"`, `"production"`) or `base_url`; keys as needed
/// (public key for public calls, account id + API key for private calls, secret key for
/// callbacks). Times are in seconds.
#[derive(Debug, Clone, uniffi::Record)]
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

fn seconds(value: f64, name: &str) -> Result<Duration> {
    if !value.is_finite() || value <= 0.0 || value > 86_400.0 {
        return Err(PolypayError::invalid(
            name,
            "invalid_value",
            format!("{name} must be a positive number of seconds (at most 86400), got {value}"),
        ));
    }
    Ok(Duration::from_secs_f64(value))
}

/// A PayCore API client: one connection pool, safe to share between threads and coroutines.
#[derive(uniffi::Object)]
pub struct PayCoreClient {
    client: Client,
}

impl PayCoreClient {
    fn with_timeout(&self, timeout: Option<f64>) -> Result<Client> {
        Ok(match timeout {
            Some(t) => self.client.with_deadline(seconds(t, "timeout")?),
            None => self.client.clone(),
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
        config.deadline = seconds(options.timeout, "timeout")?;
        config.request_timeout = seconds(options.request_timeout, "request_timeout")?;
        config.connect_timeout = seconds(options.connect_timeout, "connect_timeout")?;
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

    // ---- public (public key) ----

    #[uniffi::method(default(timeout = None))]
    pub async fn payment_prerequest(
        &self,
        fields_json: String,
        timeout: Option<f64>,
    ) -> Result<Prerequest> {
        let request = PrerequestRequest::from_json(&params(&fields_json, "fields")?)?;
        let r = self
            .with_timeout(timeout)?
            .payment_prerequest(&request)
            .await?;
        Ok(Prerequest::new(&r.data, ResponseInfo::of(&r)))
    }

    #[uniffi::method(default(timeout = None))]
    pub async fn payout_prerequest(
        &self,
        fields_json: String,
        timeout: Option<f64>,
    ) -> Result<Prerequest> {
        let request = PrerequestRequest::from_json(&params(&fields_json, "fields")?)?;
        let r = self
            .with_timeout(timeout)?
            .payout_prerequest(&request)
            .await?;
        Ok(Prerequest::new(&r.data, ResponseInfo::of(&r)))
    }

    #[uniffi::method(default(timeout = None))]
    pub async fn create_payment_invoice_public(
        &self,
        fields_json: String,
        timeout: Option<f64>,
    ) -> Result<PaymentInvoice> {
        let request = PaymentInvoiceRequest::from_json(&params(&fields_json, "fields")?)?;
        let client = self.with_timeout(timeout)?;
        let r = client.create_payment_invoice_public(&request).await?;
        Ok(PaymentInvoice::new(&r.data, ResponseInfo::of(&r)))
    }

    #[uniffi::method(default(timeout = None))]
    pub async fn get_payment_invoice_public(
        &self,
        id: String,
        timeout: Option<f64>,
    ) -> Result<PaymentInvoice> {
        let r = self
            .with_timeout(timeout)?
            .get_payment_invoice_public(&id)
            .await?;
        Ok(PaymentInvoice::new(&r.data, ResponseInfo::of(&r)))
    }

    #[uniffi::method(default(timeout = None))]
    pub async fn get_payout_invoice_public(
        &self,
        id: String,
        timeout: Option<f64>,
    ) -> Result<PayoutInvoice> {
        let r = self
            .with_timeout(timeout)?
            .get_payout_invoice_public(&id)
            .await?;
        Ok(PayoutInvoice::new(&r.data, ResponseInfo::of(&r)))
    }

    // ---- private (account id + API key) ----

    #[uniffi::method(default(timeout = None))]
    pub async fn create_payment_invoice(
        &self,
        fields_json: String,
        timeout: Option<f64>,
    ) -> Result<PaymentInvoice> {
        let request = PaymentInvoiceRequest::from_json(&params(&fields_json, "fields")?)?;
        let r = self
            .with_timeout(timeout)?
            .create_payment_invoice(&request)
            .await?;
        Ok(PaymentInvoice::new(&r.data, ResponseInfo::of(&r)))
    }

    #[uniffi::method(default(timeout = None))]
    pub async fn get_payment_invoice(
        &self,
        id: String,
        timeout: Option<f64>,
    ) -> Result<PaymentInvoice> {
        let r = self.with_timeout(timeout)?.get_payment_invoice(&id).await?;
        Ok(PaymentInvoice::new(&r.data, ResponseInfo::of(&r)))
    }

    /// The invoice with this reference id, or null.
    #[uniffi::method(default(timeout = None))]
    pub async fn find_payment_invoice(
        &self,
        reference_id: String,
        timeout: Option<f64>,
    ) -> Result<Option<PaymentInvoice>> {
        let found = self
            .with_timeout(timeout)?
            .find_payment_invoice(&reference_id)
            .await?;
        Ok(found.map(|i| PaymentInvoice::new(&i, None)))
    }

    /// Payment invoices, newest first, fetched page by page up to `limit` items (all if null).
    #[uniffi::method(default(reference_id = None, page_size = None, limit = None))]
    pub async fn list_payment_invoices(
        &self,
        reference_id: Option<String>,
        page_size: Option<u32>,
        limit: Option<u32>,
    ) -> Result<Vec<PaymentInvoice>> {
        let options = ListOptions {
            reference_id,
            page_size: self::page_size(page_size)?,
        };
        let items = self
            .client
            .list_payment_invoices(&options)
            .collect(self::limit(limit))
            .await?;
        Ok(items.iter().map(|i| PaymentInvoice::new(i, None)).collect())
    }

    /// Refunds a processed payment invoice; `fields_json` holds `amount` and optional fields.
    #[uniffi::method(default(timeout = None))]
    pub async fn refund_payment_invoice(
        &self,
        id: String,
        fields_json: String,
        timeout: Option<f64>,
    ) -> Result<Refund> {
        let request = RefundRequest::from_json(&params(&fields_json, "fields")?)?;
        let client = self.with_timeout(timeout)?;
        let r = client.refund_payment_invoice(&id, &request).await?;
        Ok(Refund::new(&r.data, ResponseInfo::of(&r)))
    }

    #[uniffi::method(default(timeout = None))]
    pub async fn create_payout_invoice(
        &self,
        fields_json: String,
        timeout: Option<f64>,
    ) -> Result<PayoutInvoice> {
        let request = PayoutInvoiceRequest::from_json(&params(&fields_json, "fields")?)?;
        let r = self
            .with_timeout(timeout)?
            .create_payout_invoice(&request)
            .await?;
        Ok(PayoutInvoice::new(&r.data, ResponseInfo::of(&r)))
    }

    #[uniffi::method(default(timeout = None))]
    pub async fn get_payout_invoice(
        &self,
        id: String,
        timeout: Option<f64>,
    ) -> Result<PayoutInvoice> {
        let r = self.with_timeout(timeout)?.get_payout_invoice(&id).await?;
        Ok(PayoutInvoice::new(&r.data, ResponseInfo::of(&r)))
    }

    #[uniffi::method(default(timeout = None))]
    pub async fn find_payout_invoice(
        &self,
        reference_id: String,
        timeout: Option<f64>,
    ) -> Result<Option<PayoutInvoice>> {
        let found = self
            .with_timeout(timeout)?
            .find_payout_invoice(&reference_id)
            .await?;
        Ok(found.map(|i| PayoutInvoice::new(&i, None)))
    }

    #[uniffi::method(default(reference_id = None, page_size = None, limit = None))]
    pub async fn list_payout_invoices(
        &self,
        reference_id: Option<String>,
        page_size: Option<u32>,
        limit: Option<u32>,
    ) -> Result<Vec<PayoutInvoice>> {
        let options = ListOptions {
            reference_id,
            page_size: self::page_size(page_size)?,
        };
        let items = self
            .client
            .list_payout_invoices(&options)
            .collect(self::limit(limit))
            .await?;
        Ok(items.iter().map(|i| PayoutInvoice::new(i, None)).collect())
    }

    #[uniffi::method(default(timeout = None))]
    pub async fn get_payment_service(
        &self,
        id: String,
        timeout: Option<f64>,
    ) -> Result<PaymentService> {
        let r = self.with_timeout(timeout)?.get_payment_service(&id).await?;
        Ok(PaymentService::new(&r.data, ResponseInfo::of(&r)))
    }

    #[uniffi::method(default(page_size = None, limit = None))]
    pub async fn list_payment_services(
        &self,
        page_size: Option<u32>,
        limit: Option<u32>,
    ) -> Result<Vec<PaymentService>> {
        let items = self
            .client
            .list_payment_services(self::page_size(page_size)?)
            .collect(self::limit(limit))
            .await?;
        Ok(items.iter().map(|s| PaymentService::new(s, None)).collect())
    }

    #[uniffi::method(default(timeout = None))]
    pub async fn balances(&self, timeout: Option<f64>) -> Result<Balances> {
        let r = self.with_timeout(timeout)?.balances().await?;
        Ok(Balances::new(&r.data, ResponseInfo::of(&r)))
    }
}
