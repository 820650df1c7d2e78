//! The Commerce API client: every Public and Private endpoint, with safe retries and
//! reconciliation by `reference_id` (see [`policy`]).
//!
//! [`Client`] is async (tokio + reqwest + rustls), cheap to clone, `Send + Sync`, holds one
//! connection pool and no global state. [`BlockingClient`] is the same over a shared runtime.

mod blocking;
mod config;
pub(crate) mod http;
mod operations;
mod options;
mod pager;
pub mod policy;
mod requests;

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

pub use blocking::{BlockingClient, BlockingPager};
pub use config::{
    timeout_from_millis, timeout_from_secs, Config, Exchange, Mode, Observer, Secret, MAX_TIMEOUT,
};
pub use operations::{
    Access, Arguments, Input, Item, Operation, OperationName, Outcome, Semantics,
};
pub use options::{
    check_page_size, ClientOptions, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RETRIES,
    DEFAULT_REQUEST_TIMEOUT, DEFAULT_TIMEOUT, MAX_RETRIES, PAGE_SIZE,
};
pub use pager::Pager;
pub use policy::RetryPolicy;
pub use requests::{PaymentInvoiceRequest, PayoutInvoiceRequest, PrerequestRequest, RefundRequest};

use tokio_util::sync::CancellationToken;

use self::http::{Call, Lookup, Reconcile, Transport};
use self::policy::CallKind;
use super::model::{
    Balances, PaymentInvoice, PaymentService, PayoutInvoice, PayoutService, Prerequest, Refund,
};
use crate::error::{Error, ErrorKind, Result};

/// A result with what the HTTP exchange said about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Response<T> {
    pub data: T,
    pub http_status: u16,
    /// The gateway's request id header, when it sent one.
    pub request_id: Option<String>,
    /// The entity was found by `reference_id` after an attempt whose outcome was unknown
    /// (or a 409), instead of being returned by a successful create.
    pub reconciled: bool,
}

impl<T> Deref for Response<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T> Response<T> {
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            data: f(self.data),
            http_status: self.http_status,
            request_id: self.request_id,
            reconciled: self.reconciled,
        }
    }
}

/// Filters and page size of a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    pub reference_id: Option<String>,
    /// Items per page request (the gateway's default when `None`).
    pub page_size: Option<u32>,
}

impl ListOptions {
    /// Checked options (`page_size` within [`PAGE_SIZE`]).
    pub fn new(reference_id: Option<String>, page_size: Option<u32>) -> Result<ListOptions> {
        Ok(ListOptions {
            reference_id,
            page_size: check_page_size(page_size)?,
        })
    }
}

/// The Commerce API client.
#[derive(Clone, Debug)]
pub struct Client {
    transport: Arc<Transport>,
    /// Per-call deadline override (see [`Client::with_deadline`]).
    deadline: Option<Duration>,
    /// Cancels the calls of this handle (see [`Client::with_cancel`]).
    cancel: Option<CancellationToken>,
}

/// Which resource a create makes, for reconciliation.
#[derive(Clone, Copy)]
enum Resource {
    PaymentInvoices,
    PayoutInvoices,
}

impl Resource {
    fn path(self) -> &'static str {
        match self {
            Resource::PaymentInvoices => "/api/payment-invoices",
            Resource::PayoutInvoices => "/api/payout-invoices",
        }
    }
}

impl Client {
    pub fn new(config: Config) -> Result<Client> {
        Ok(Client {
            transport: Arc::new(Transport::new(config)?),
            deadline: None,
            cancel: None,
        })
    }

    /// The same client with another overall deadline for each call (retries included), at
    /// most [`MAX_TIMEOUT`].
    pub fn with_deadline(&self, deadline: Duration) -> Client {
        Client {
            deadline: Some(deadline.min(MAX_TIMEOUT)),
            ..self.clone()
        }
    }

    /// The same client whose calls end when `cancel` fires, with an error of kind
    /// `Cancelled` that keeps the facts: a create's `reference_id`, and `outcome_unknown`
    /// when the request may have reached the gateway. Dropping a call's future instead loses
    /// them; bindings cancel through this so that a cancelled create can be reconciled.
    pub fn with_cancel(&self, cancel: CancellationToken) -> Client {
        Client {
            cancel: Some(cancel),
            ..self.clone()
        }
    }

    pub fn config(&self) -> &Config {
        &self.transport.config
    }

    /// The mode the configured keys imply, if they say.
    pub fn mode(&self) -> Option<Mode> {
        self.transport.mode
    }

    /// A list's options with the client's page size when the list sets none.
    fn paged(&self, options: &ListOptions) -> ListOptions {
        ListOptions {
            reference_id: options.reference_id.clone(),
            page_size: options.page_size.or(self.transport.config.page_size),
        }
    }

    fn deadline(&self) -> Duration {
        self.deadline.unwrap_or(self.transport.config.deadline)
    }

    async fn run(&self, call: Call) -> Result<Response<Value>> {
        self.transport
            .run(call, self.deadline(), self.cancel.as_ref())
            .await
    }

    // ---------------------------------------------------------------- Public API

    /// Payment services and methods available for a currency (`POST /public-api/payment-prerequest`).
    pub async fn payment_prerequest(
        &self,
        request: &PrerequestRequest,
    ) -> Result<Response<Prerequest>> {
        self.prerequest("/public-api/payment-prerequest", request)
            .await
    }

    /// Payout services for a currency and amount (`POST /public-api/payout-prerequest`).
    pub async fn payout_prerequest(
        &self,
        request: &PrerequestRequest,
    ) -> Result<Response<Prerequest>> {
        self.prerequest("/public-api/payout-prerequest", request)
            .await
    }

    async fn prerequest(
        &self,
        path: &str,
        request: &PrerequestRequest,
    ) -> Result<Response<Prerequest>> {
        request.validate()?;
        let body = self.public_body(&request.0)?;
        // A pre-request changes nothing: it is as safe to repeat as a read.
        let response = self.run(Call::post(path, body, CallKind::Read)).await?;
        decode(response, Prerequest::from_data)
    }

    /// Creates a payment invoice with the public key (`POST /public-api/payment-invoices`).
    /// Needs the account option "forbid public creation" off.
    pub async fn create_payment_invoice_public(
        &self,
        request: &PaymentInvoiceRequest,
    ) -> Result<Response<PaymentInvoice>> {
        request.validate()?;
        let mut request = request.clone();
        let reference_id = requests::ensure_reference_id(&mut request.0);
        if let Some(test_mode) = request.test_mode() {
            self.check_mode(test_mode)?;
            request.0.remove("test_mode");
        }
        let body = self.public_body(&request.0)?;
        let call = Call::post("/public-api/payment-invoices", body, CallKind::Write);
        let response = self
            .run(call)
            .await
            .map_err(|e| with_reference(e, &reference_id))?;
        decode(response, PaymentInvoice::from_resource)
    }

    /// A payment invoice by id, through the Public API (flat shape), authorised with the
    /// public key as the Paymega reference describes ("Авторизация: Public keys"): a GET has
    /// no body, so the key goes in the query, as the Public API's other callers send it.
    pub async fn get_payment_invoice_public(&self, id: &str) -> Result<Response<PaymentInvoice>> {
        let path = self.public_path("payment-invoices", id)?;
        let response = self.run(Call::get(path, false)).await?;
        decode(response, PaymentInvoice::from_resource)
    }

    /// A payout invoice by id, through the Public API (flat shape), authorised as
    /// [`Client::get_payment_invoice_public`] is.
    pub async fn get_payout_invoice_public(&self, id: &str) -> Result<Response<PayoutInvoice>> {
        let path = self.public_path("payout-invoices", id)?;
        let response = self.run(Call::get(path, false)).await?;
        decode(response, PayoutInvoice::from_resource)
    }

    // ---------------------------------------------------------------- Private API

    /// Creates a payment invoice (`POST /api/payment-invoices`). Never doubled: a
    /// `reference_id` is generated when missing, and any attempt whose outcome is unknown is
    /// reconciled by it before anything is sent again.
    pub async fn create_payment_invoice(
        &self,
        request: &PaymentInvoiceRequest,
    ) -> Result<Response<PaymentInvoice>> {
        request.validate()?;
        let mut request = request.clone();
        let test_mode = request.test_mode();
        self.apply_mode(&mut request.0, test_mode)?;
        let response = self
            .create(Resource::PaymentInvoices, "payment-invoices", request.0)
            .await?;
        decode(response, PaymentInvoice::from_resource)
    }

    pub async fn get_payment_invoice(&self, id: &str) -> Result<Response<PaymentInvoice>> {
        let path = format!("/api/payment-invoices/{}", path_segment(id)?);
        let response = self.run(Call::get(path, true)).await?;
        decode(response, PaymentInvoice::from_resource)
    }

    /// The payment invoice with this `reference_id`, if there is one.
    pub async fn find_payment_invoice(&self, reference_id: &str) -> Result<Option<PaymentInvoice>> {
        let found = self.find(Resource::PaymentInvoices, reference_id).await?;
        Ok(found.and_then(PaymentInvoice::from_resource))
    }

    /// Every payment invoice, newest first, fetched page by page as the pager is read.
    pub fn list_payment_invoices(&self, options: &ListOptions) -> Pager<PaymentInvoice> {
        Pager::new(
            self.clone(),
            list_path(
                Resource::PaymentInvoices.path(),
                &self.paged(options),
                "page[size]",
            ),
            PaymentInvoice::from_resource,
        )
    }

    /// Refunds all or part of a payment invoice (`POST /api/payment-invoices/{id}/refund`).
    /// A refund cannot be looked up afterwards, so it is never re-sent once it may have
    /// arrived: an unknown outcome is reported (`outcome_unknown`) for you to check the invoice.
    pub async fn refund_payment_invoice(
        &self,
        id: &str,
        request: &RefundRequest,
    ) -> Result<Response<Refund>> {
        request.validate()?;
        let mut request = request.clone();
        let reference_id = requests::ensure_reference_id(&mut request.0);
        let path = format!("/api/payment-invoices/{}/refund", path_segment(id)?);
        let body = json_api("refund", request.0);
        let response = self
            .run(Call::post(path, body, CallKind::Write).private())
            .await
            .map_err(|e| with_reference(e, &reference_id))?;
        decode(response, Refund::from_resource)
    }

    /// A refund by id (`GET /api/refunds/{id}`, the refund's `links.self`).
    pub async fn get_refund(&self, id: &str) -> Result<Response<Refund>> {
        let path = format!("/api/refunds/{}", path_segment(id)?);
        let response = self.run(Call::get(path, true)).await?;
        decode(response, Refund::from_resource)
    }

    /// Every refund, newest first (`GET /api/refunds`, cursor pages like the invoices';
    /// `filter[reference_id]` finds the refund made with it).
    pub fn list_refunds(&self, options: &ListOptions) -> Pager<Refund> {
        Pager::new(
            self.clone(),
            list_path("/api/refunds", &self.paged(options), "page[size]"),
            Refund::from_resource,
        )
    }

    /// Creates a payout invoice (`POST /api/payout-invoices`), reconciled like payments. The
    /// attributes are those of the reference's payout example (`test_mode`, `currency`,
    /// `amount`, `description`, `reference_id`, `service`, `fields`), which writes them flat;
    /// they go as JSON:API with type `payout-invoices`, as the references write the Private
    /// API's payment create and as the API names the resource in its answers (the sandbox
    /// takes either form; which one the gateway requires is not documented).
    pub async fn create_payout_invoice(
        &self,
        request: &PayoutInvoiceRequest,
    ) -> Result<Response<PayoutInvoice>> {
        request.validate()?;
        let mut request = request.clone();
        let test_mode = request.test_mode();
        self.apply_mode(&mut request.0, test_mode)?;
        let response = self
            .create(Resource::PayoutInvoices, "payout-invoices", request.0)
            .await?;
        decode(response, PayoutInvoice::from_resource)
    }

    pub async fn get_payout_invoice(&self, id: &str) -> Result<Response<PayoutInvoice>> {
        let path = format!("/api/payout-invoices/{}", path_segment(id)?);
        let response = self.run(Call::get(path, true)).await?;
        decode(response, PayoutInvoice::from_resource)
    }

    pub async fn find_payout_invoice(&self, reference_id: &str) -> Result<Option<PayoutInvoice>> {
        let found = self.find(Resource::PayoutInvoices, reference_id).await?;
        Ok(found.and_then(PayoutInvoice::from_resource))
    }

    pub fn list_payout_invoices(&self, options: &ListOptions) -> Pager<PayoutInvoice> {
        Pager::new(
            self.clone(),
            list_path(
                Resource::PayoutInvoices.path(),
                &self.paged(options),
                "page[size]",
            ),
            PayoutInvoice::from_resource,
        )
    }

    /// The payment services configured on the account, every page.
    pub fn list_payment_services(&self, page_size: Option<u32>) -> Pager<PaymentService> {
        let options = ListOptions {
            reference_id: None,
            page_size,
        };
        Pager::new(
            self.clone(),
            list_path("/api/payment-services", &self.paged(&options), "page[size]"),
            PaymentService::from_resource,
        )
    }

    pub async fn get_payment_service(&self, id: &str) -> Result<Response<PaymentService>> {
        let path = format!("/api/payment-services/{}", path_segment(id)?);
        let response = self.run(Call::get(path, true)).await?;
        decode(response, PaymentService::from_resource)
    }

    /// The payout services configured on the account, every page.
    pub fn list_payout_services(&self, page_size: Option<u32>) -> Pager<PayoutService> {
        let options = ListOptions {
            reference_id: None,
            page_size,
        };
        Pager::new(
            self.clone(),
            list_path("/api/payout-services", &self.paged(&options), "page[size]"),
            PayoutService::from_resource,
        )
    }

    pub async fn get_payout_service(&self, id: &str) -> Result<Response<PayoutService>> {
        let path = format!("/api/payout-services/{}", path_segment(id)?);
        let response = self.run(Call::get(path, true)).await?;
        decode(response, PayoutService::from_resource)
    }

    /// Balances per currency account (`GET /api/account/balances`).
    pub async fn balances(&self) -> Result<Response<Balances>> {
        let response = self
            .run(Call::get("/api/account/balances".into(), true))
            .await?;
        decode(response, Balances::from_resource)
    }

    /// Verifies a callback with the configured `secret_key` (see [`crate::paycore::callback`]).
    pub fn verify_callback(
        &self,
        body: &[u8],
        signature: &str,
    ) -> Result<crate::paycore::CallbackEvent> {
        let secret = self.transport.config.secret_key.as_ref().ok_or_else(|| {
            Error::configuration(
                "missing_secret_key",
                "verifying callbacks needs secret_key (sk_…)",
            )
        })?;
        crate::paycore::callback::verify(body, signature, secret.expose())
    }

    // ---------------------------------------------------------------- helpers

    /// A create that is reconciled by `reference_id` whenever its outcome is unknown.
    async fn create(
        &self,
        resource: Resource,
        type_: &str,
        mut attributes: Map<String, Value>,
    ) -> Result<Response<Value>> {
        let reference_id = requests::ensure_reference_id(&mut attributes);
        let identity = ["amount", "currency", "service"]
            .into_iter()
            .filter_map(|field| Some((field.to_owned(), attributes.get(field)?.clone())))
            .collect();
        let lookup = list_path(
            resource.path(),
            &ListOptions {
                reference_id: Some(reference_id.clone()),
                page_size: None,
            },
            "page[size]",
        );
        let call = Call::post(
            resource.path(),
            json_api(type_, attributes),
            CallKind::Create,
        )
        .private()
        .reconciled_by(Reconcile {
            reference_id: reference_id.clone(),
            lookup,
            identity,
        });
        self.run(call)
            .await
            .map_err(|e| with_reference(e, &reference_id))
    }

    async fn find(&self, resource: Resource, reference_id: &str) -> Result<Option<Value>> {
        let options = ListOptions {
            reference_id: Some(reference_id.to_owned()),
            page_size: None,
        };
        let response = self
            .run(Call::get(
                list_path(resource.path(), &options, "page[size]"),
                true,
            ))
            .await?;
        match http::lookup_reference(&response.data, reference_id) {
            Lookup::Found(resource) => Ok(Some(resource)),
            Lookup::Absent => Ok(None),
            Lookup::Unproven => Err(http::decode_error(
                &response,
                "the lookup by reference_id answered items with other references or no data \
                 array: it proves neither presence nor absence",
            )
            .with_argument("reference_id")),
        }
    }

    fn public_key(&self) -> Result<&str> {
        self.transport.config.public_key.as_deref().ok_or_else(|| {
            Error::configuration(
                "missing_public_key",
                "the Public API needs public_key (pk_…)",
            )
            .with_argument("public_key")
        })
    }

    /// `/public-api/{resource}/{id}?public_key=…`.
    fn public_path(&self, resource: &str, id: &str) -> Result<String> {
        let id = path_segment(id)?;
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("public_key", self.public_key()?)
            .finish();
        Ok(format!("/public-api/{resource}/{id}?{query}"))
    }

    fn public_body(&self, fields: &Map<String, Value>) -> Result<Vec<u8>> {
        let key = self.public_key()?;
        let mut body = Map::new();
        body.insert("public_key".into(), Value::from(key));
        body.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(serde_json::to_vec(&body).expect("JSON"))
    }

    /// `test_mode` must agree with the keys; when absent it follows them (test keys → test).
    fn apply_mode(
        &self,
        attributes: &mut Map<String, Value>,
        test_mode: Option<bool>,
    ) -> Result<()> {
        match test_mode {
            Some(test_mode) => self.check_mode(test_mode),
            None => {
                if let Some(mode) = self.transport.mode {
                    attributes.insert("test_mode".into(), Value::Bool(mode == Mode::Test));
                }
                Ok(())
            }
        }
    }

    fn check_mode(&self, test_mode: bool) -> Result<()> {
        let wanted = if test_mode { Mode::Test } else { Mode::Live };
        match self.transport.mode {
            Some(mode) if mode != wanted => Err(Error::configuration(
                "mode_mismatch",
                format!("test_mode={test_mode} but the configured keys are {mode:?} keys"),
            )
            .with_argument("test_mode")),
            _ => Ok(()),
        }
    }
}

fn json_api(type_: &str, attributes: Map<String, Value>) -> Vec<u8> {
    let document =
        serde_json::json!({"data": {"type": type_, "attributes": Value::Object(attributes)}});
    serde_json::to_vec(&document).expect("JSON")
}

fn list_path(path: &str, options: &ListOptions, size_param: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some(reference_id) = &options.reference_id {
        query.append_pair("filter[reference_id]", reference_id);
    }
    if let Some(size) = options.page_size {
        query.append_pair(size_param, &size.to_string());
    }
    let query = query.finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// Ids go into the path: refuse anything that could change it.
fn path_segment(id: &str) -> Result<&str> {
    let valid = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if valid {
        Ok(id)
    } else {
        Err(Error::invalid(
            "id",
            "invalid_id",
            "must be an id such as cpi_QGcJxoBxnYStkuvN",
        ))
    }
}

fn with_reference(mut error: Error, reference_id: &str) -> Error {
    if error.kind() != ErrorKind::InvalidInput {
        error.api_mut().reference_id = Some(reference_id.to_owned());
    }
    error
}

/// Reads the typed model out of a response document.
fn decode<T>(
    mut response: Response<Value>,
    read: impl FnOnce(Value) -> Option<T>,
) -> Result<Response<T>> {
    // The data is moved out of the document, not copied.
    let data = response.data.get_mut("data").map(Value::take);
    match data.and_then(read) {
        Some(data) => Ok(response.map(|_| data)),
        None => Err(http::decode_error(
            &response,
            "the response has no readable data",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_take_the_client_page_size_unless_they_set_their_own() {
        let options = ClientOptions {
            base_url: Some("http://127.0.0.1:9".into()),
            page_size: Some(25),
            ..Default::default()
        };
        let client = Client::new(options.into_config().unwrap()).unwrap();
        let own = ListOptions::new(Some("r1".into()), Some(5)).unwrap();
        assert_eq!(client.paged(&own), own);
        let unset = ListOptions::new(Some("r1".into()), None).unwrap();
        assert_eq!(client.paged(&unset).page_size, Some(25));
        assert_eq!(
            list_path("/api/x", &client.paged(&unset), "page[size]"),
            "/api/x?filter%5Breference_id%5D=r1&page%5Bsize%5D=25"
        );
    }
}
