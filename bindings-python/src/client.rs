//! The core async `Client` on the shared runtime: blocking calls release the GIL, async calls
//! are asyncio awaitables (pyo3-async-runtimes). One generic entry point (`call`) keeps this
//! layer thin; `polypay/client.py` gives each operation its named, typed method.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use polypay::paycore::client::{
    timeout_from_secs, Config, ListOptions, Pager, PaymentInvoiceRequest, PayoutInvoiceRequest,
    PrerequestRequest, RefundRequest, Response, RetryPolicy, Secret,
};
use polypay::paycore::model::{Balances, PaymentService, Prerequest, Refund};
use polypay::paycore::{Client, Environment, PaymentInvoice, PayoutInvoice};
use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyString};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use crate::convert::{body_bytes, to_object, Floats};
use crate::errors::{to_pyerr, IntoPyResult};
use crate::models;
use crate::runtime::{self, PolypayRuntime};

enum Op {
    PaymentPrerequest(PrerequestRequest),
    PayoutPrerequest(PrerequestRequest),
    CreatePaymentPublic(PaymentInvoiceRequest),
    GetPaymentPublic(String),
    GetPayoutPublic(String),
    CreatePayment(PaymentInvoiceRequest),
    GetPayment(String),
    FindPayment(String),
    RefundPayment(String, RefundRequest),
    CreatePayout(PayoutInvoiceRequest),
    GetPayout(String),
    FindPayout(String),
    GetService(String),
    Balances,
}

enum Out {
    Prerequest(Response<Prerequest>),
    Payment(Response<PaymentInvoice>),
    Payout(Response<PayoutInvoice>),
    MaybePayment(Option<PaymentInvoice>),
    MaybePayout(Option<PayoutInvoice>),
    Refund(Response<Refund>),
    Service(Response<PaymentService>),
    Balances(Response<Balances>),
}

async fn run(client: Client, op: Op) -> polypay::Result<Out> {
    Ok(match op {
        Op::PaymentPrerequest(r) => Out::Prerequest(client.payment_prerequest(&r).await?),
        Op::PayoutPrerequest(r) => Out::Prerequest(client.payout_prerequest(&r).await?),
        Op::CreatePaymentPublic(r) => Out::Payment(client.create_payment_invoice_public(&r).await?),
        Op::GetPaymentPublic(id) => Out::Payment(client.get_payment_invoice_public(&id).await?),
        Op::GetPayoutPublic(id) => Out::Payout(client.get_payout_invoice_public(&id).await?),
        Op::CreatePayment(r) => Out::Payment(client.create_payment_invoice(&r).await?),
        Op::GetPayment(id) => Out::Payment(client.get_payment_invoice(&id).await?),
        Op::FindPayment(r) => Out::MaybePayment(client.find_payment_invoice(&r).await?),
        Op::RefundPayment(id, r) => Out::Refund(client.refund_payment_invoice(&id, &r).await?),
        Op::CreatePayout(r) => Out::Payout(client.create_payout_invoice(&r).await?),
        Op::GetPayout(id) => Out::Payout(client.get_payout_invoice(&id).await?),
        Op::FindPayout(r) => Out::MaybePayout(client.find_payout_invoice(&r).await?),
        Op::GetService(id) => Out::Service(client.get_payment_service(&id).await?),
        Op::Balances => Out::Balances(client.balances().await?),
    })
}

fn out_to_py(py: Python<'_>, result: polypay::Result<Out>) -> PyResult<Py<PyAny>> {
    match result.py_err(py)? {
        Out::Prerequest(r) => models::with_response(py, &r, models::prerequest),
        Out::Payment(r) => models::with_response(py, &r, models::payment_invoice),
        Out::Payout(r) => models::with_response(py, &r, models::payout_invoice),
        Out::Refund(r) => models::with_response(py, &r, models::refund),
        Out::Service(r) => models::with_response(py, &r, models::payment_service),
        Out::Balances(r) => models::with_response(py, &r, models::balances),
        Out::MaybePayment(None) | Out::MaybePayout(None) => Ok(py.None()),
        Out::MaybePayment(Some(i)) => Ok(models::payment_invoice(py, &i)?.into_any().unbind()),
        Out::MaybePayout(Some(i)) => Ok(models::payout_invoice(py, &i)?.into_any().unbind()),
    }
}

fn id_arg(arg: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    let id: String = arg
        .extract()
        .map_err(|_| crate::errors::type_error(name, format!("{name} must be a str")))?;
    Ok(id)
}

fn fields(arg: &Bound<'_, PyAny>) -> PyResult<Map<String, Value>> {
    to_object(arg, "fields", Floats::Refuse)
}

fn build_op(
    py: Python<'_>,
    op: &str,
    arg: &Bound<'_, PyAny>,
    extra: &Bound<'_, PyAny>,
) -> PyResult<Op> {
    Ok(match op {
        "payment_prerequest" => {
            Op::PaymentPrerequest(PrerequestRequest::from_json(&fields(arg)?).py_err(py)?)
        }
        "payout_prerequest" => {
            Op::PayoutPrerequest(PrerequestRequest::from_json(&fields(arg)?).py_err(py)?)
        }
        "create_payment_invoice_public" => {
            Op::CreatePaymentPublic(PaymentInvoiceRequest::from_json(&fields(arg)?).py_err(py)?)
        }
        "get_payment_invoice_public" => Op::GetPaymentPublic(id_arg(arg, "id")?),
        "get_payout_invoice_public" => Op::GetPayoutPublic(id_arg(arg, "id")?),
        "create_payment_invoice" => {
            Op::CreatePayment(PaymentInvoiceRequest::from_json(&fields(arg)?).py_err(py)?)
        }
        "get_payment_invoice" => Op::GetPayment(id_arg(arg, "id")?),
        "find_payment_invoice" => Op::FindPayment(id_arg(arg, "reference_id")?),
        "refund_payment_invoice" => Op::RefundPayment(
            id_arg(arg, "id")?,
            RefundRequest::from_json(&fields(extra)?).py_err(py)?,
        ),
        "create_payout_invoice" => {
            Op::CreatePayout(PayoutInvoiceRequest::from_json(&fields(arg)?).py_err(py)?)
        }
        "get_payout_invoice" => Op::GetPayout(id_arg(arg, "id")?),
        "find_payout_invoice" => Op::FindPayout(id_arg(arg, "reference_id")?),
        "get_payment_service" => Op::GetService(id_arg(arg, "id")?),
        "balances" => Op::Balances,
        other => {
            return Err(crate::errors::value_error(
                "op",
                format!("op: unknown operation {other:?}"),
            ))
        }
    })
}

/// A timeout argument as given, checked with its name by [`seconds`]: extracting it never fails,
/// so that a wrong type is reported like a wrong value, naming the argument.
pub enum Seconds {
    Number(f64),
    /// Not a real number (or a bool): the type's name.
    Wrong(String),
}

impl<'a, 'py> FromPyObject<'a, 'py> for Seconds {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let obj = obj.to_owned();
        if obj.is_instance_of::<PyBool>() {
            return Ok(Seconds::Wrong("bool".into()));
        }
        Ok(match obj.extract::<f64>() {
            Ok(value) => Seconds::Number(value),
            // An int beyond a float's range is as far out of range as infinity.
            Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => {
                Seconds::Number(f64::INFINITY)
            }
            Err(_) => Seconds::Wrong(crate::convert::type_name(&obj)),
        })
    }
}

/// A user's timeout in seconds, checked by the core's one rule (NaN, negative, zero, infinite or
/// more than a day: `InvalidArgumentError` naming the argument, never a panic).
fn seconds(py: Python<'_>, value: Seconds, name: &str) -> PyResult<Duration> {
    match value {
        Seconds::Number(value) => timeout_from_secs(value, name).py_err(py),
        Seconds::Wrong(type_name) => Err(crate::errors::type_error(
            name,
            format!("{name} must be a number of seconds (int or float), not {type_name}"),
        )),
    }
}

/// Fires the cancellation of one async call (or one async pager). `AsyncPayCoreClient` creates
/// one per call and fires it when the awaiting task is cancelled: the core then ends the call
/// with a `cancelled` error that keeps its facts (the create's `reference_id`, and
/// `outcome_unknown` when the request may have reached the gateway), where dropping the Rust
/// future would lose them.
#[pyclass(module = "polypay._native", frozen)]
pub struct CancelToken {
    token: CancellationToken,
}

#[pymethods]
impl CancelToken {
    #[new]
    fn new() -> Self {
        CancelToken {
            token: CancellationToken::new(),
        }
    }

    /// Ends the calls bound to this token (idempotent, callable from any thread).
    fn cancel(&self) {
        self.token.cancel();
    }

    #[getter]
    fn cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    fn __repr__(&self) -> String {
        format!("CancelToken(cancelled={})", self.token.is_cancelled())
    }
}

fn bind_cancel(client: Client, cancel: Option<&Bound<'_, CancelToken>>) -> Client {
    match cancel {
        Some(token) => client.with_cancel(token.get().token.clone()),
        None => client,
    }
}

#[pyclass(module = "polypay._native", frozen)]
pub struct NativeClient {
    config: Config,
    state: Mutex<(u64, Client)>,
}

impl NativeClient {
    /// The core client of this process generation (rebuilt in a forked child: the parent's
    /// connection pool belongs to a runtime that does not exist there).
    fn client(&self, py: Python<'_>, timeout: Option<Seconds>) -> PyResult<Client> {
        let generation = runtime::generation();
        let client = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if state.0 != generation {
                state.1 = Client::new(self.config.clone()).py_err(py)?;
                state.0 = generation;
            }
            state.1.clone()
        };
        Ok(match timeout {
            Some(t) => client.with_deadline(seconds(py, t, "timeout")?),
            None => client,
        })
    }
}

fn opt_secret(value: Option<String>) -> Option<Secret> {
    value.map(Secret::new)
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (*, public_key=None, account_id=None, api_key=None, secret_key=None,
        env=None, base_url=None, timeout=Seconds::Number(60.0),
        request_timeout=Seconds::Number(30.0), connect_timeout=Seconds::Number(10.0),
        max_retries=2, user_agent=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        public_key: Option<String>,
        account_id: Option<String>,
        api_key: Option<Bound<'_, PyString>>,
        secret_key: Option<Bound<'_, PyString>>,
        env: Option<&str>,
        base_url: Option<&str>,
        timeout: Seconds,
        request_timeout: Seconds,
        connect_timeout: Seconds,
        max_retries: u32,
        user_agent: Option<String>,
    ) -> PyResult<Self> {
        let environment = Environment::resolve(env, base_url).py_err(py)?;
        let mut config = Config::new(environment);
        config.public_key = public_key;
        config.account_id = account_id;
        let key = |value: Option<Bound<'_, PyString>>, argument| -> PyResult<Option<String>> {
            value
                .map(|v| crate::convert::text(&v, argument).map(str::to_owned))
                .transpose()
        };
        config.api_key = opt_secret(key(api_key, "api_key")?);
        config.secret_key = opt_secret(key(secret_key, "secret_key")?);
        config.deadline = seconds(py, timeout, "timeout")?;
        config.request_timeout = seconds(py, request_timeout, "request_timeout")?;
        config.connect_timeout = seconds(py, connect_timeout, "connect_timeout")?;
        config.retry = RetryPolicy {
            max_retries,
            ..RetryPolicy::default()
        };
        config.user_agent_suffix = user_agent;
        let client = Client::new(config.clone()).py_err(py)?;
        Ok(NativeClient {
            config,
            state: Mutex::new((runtime::generation(), client)),
        })
    }

    #[getter]
    fn base_url(&self) -> &str {
        self.config.environment.base_url()
    }

    #[getter]
    fn public_key(&self) -> Option<&str> {
        self.config.public_key.as_deref()
    }

    #[getter]
    fn account_id(&self) -> Option<&str> {
        self.config.account_id.as_deref()
    }

    /// `"test"`, `"live"` or None, from the keys.
    #[getter]
    fn mode(&self, py: Python<'_>) -> PyResult<Option<&'static str>> {
        let client = self.client(py, None)?;
        Ok(client.mode().map(|m| match m {
            polypay::paycore::client::Mode::Test => "test",
            polypay::paycore::client::Mode::Live => "live",
        }))
    }

    /// Runs one operation, blocking, with the GIL released while it waits.
    #[pyo3(signature = (op, arg, extra=None, timeout=None))]
    fn call(
        &self,
        py: Python<'_>,
        op: &str,
        arg: &Bound<'_, PyAny>,
        extra: Option<&Bound<'_, PyAny>>,
        timeout: Option<Seconds>,
    ) -> PyResult<Py<PyAny>> {
        let none = py.None().into_bound(py);
        let op = build_op(py, op, arg, extra.unwrap_or(&none))?;
        let client = self.client(py, timeout)?;
        let result = py.detach(|| runtime::block_on(run(client, op)));
        out_to_py(py, result)
    }

    /// The same as an asyncio future. `cancel` (a `CancelToken`) ends the call with a
    /// `cancelled` error that keeps its facts; cancelling the future itself drops the call
    /// and loses them (`AsyncPayCoreClient` shields the future and fires the token instead).
    #[pyo3(signature = (op, arg, extra=None, timeout=None, cancel=None))]
    fn call_async<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        arg: &Bound<'py, PyAny>,
        extra: Option<&Bound<'py, PyAny>>,
        timeout: Option<Seconds>,
        cancel: Option<&Bound<'py, CancelToken>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let none = py.None().into_bound(py);
        let op = build_op(py, op, arg, extra.unwrap_or(&none))?;
        let client = bind_cancel(self.client(py, timeout)?, cancel);
        pyo3_async_runtimes::generic::future_into_py::<PolypayRuntime, _, _>(py, async move {
            let result = run(client, op).await;
            Python::attach(|py| out_to_py(py, result))
        })
    }

    /// A lazy pager: `kind` is `payment_invoices`, `payout_invoices` or `payment_services`;
    /// `cancel` ends its page fetches (every later one too) with a `cancelled` error.
    #[pyo3(signature = (kind, reference_id=None, page_size=None, timeout=None, cancel=None))]
    fn list(
        &self,
        py: Python<'_>,
        kind: &str,
        reference_id: Option<String>,
        page_size: Option<u32>,
        timeout: Option<Seconds>,
        cancel: Option<&Bound<'_, CancelToken>>,
    ) -> PyResult<NativePager> {
        if page_size == Some(0) {
            return Err(crate::errors::value_error(
                "page_size",
                "page_size must be at least 1".into(),
            ));
        }
        let client = bind_cancel(self.client(py, timeout)?, cancel);
        let options = ListOptions {
            reference_id,
            page_size,
        };
        let pager = match kind {
            "payment_invoices" => AnyPager::Payment(client.list_payment_invoices(&options)),
            "payout_invoices" => AnyPager::Payout(client.list_payout_invoices(&options)),
            "payment_services" => AnyPager::Service(client.list_payment_services(page_size)),
            other => {
                return Err(crate::errors::value_error(
                    "kind",
                    format!("kind: unknown list {other:?}"),
                ))
            }
        };
        Ok(NativePager {
            pager: Arc::new(tokio::sync::Mutex::new(pager)),
        })
    }

    fn verify_callback<'py>(
        &self,
        py: Python<'py>,
        body: &Bound<'py, PyAny>,
        signature: &str,
    ) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let body = body_bytes(body, "body")?;
        let client = self.client(py, None)?;
        let event = client.verify_callback(&body, signature).py_err(py)?;
        models::callback_event(py, &event)
    }

    fn __repr__(&self) -> String {
        format!(
            "PayCoreClient(base_url={:?}, public_key={}, account_id={}, api_key={}, secret_key={})",
            self.config.environment.base_url(),
            py_opt(&self.config.public_key),
            py_opt(&self.config.account_id),
            if self.config.api_key.is_some() {
                "<redacted>"
            } else {
                "None"
            },
            if self.config.secret_key.is_some() {
                "<redacted>"
            } else {
                "None"
            },
        )
    }
}

fn py_opt(value: &Option<String>) -> String {
    value
        .as_deref()
        .map_or_else(|| "None".to_owned(), |v| format!("{v:?}"))
}

enum AnyPager {
    Payment(Pager<PaymentInvoice>),
    Payout(Pager<PayoutInvoice>),
    Service(Pager<PaymentService>),
}

enum Item {
    Payment(PaymentInvoice),
    Payout(PayoutInvoice),
    Service(PaymentService),
}

async fn next_item(pager: Arc<tokio::sync::Mutex<AnyPager>>) -> polypay::Result<Option<Item>> {
    let mut pager = pager.lock().await;
    Ok(match &mut *pager {
        AnyPager::Payment(p) => p.next().await?.map(Item::Payment),
        AnyPager::Payout(p) => p.next().await?.map(Item::Payout),
        AnyPager::Service(p) => p.next().await?.map(Item::Service),
    })
}

fn item_to_py(py: Python<'_>, item: polypay::Result<Option<Item>>) -> PyResult<Py<PyAny>> {
    match item.map_err(|e| to_pyerr(py, &e))? {
        None => Ok(py.None()),
        Some(Item::Payment(i)) => Ok(models::payment_invoice(py, &i)?.into_any().unbind()),
        Some(Item::Payout(i)) => Ok(models::payout_invoice(py, &i)?.into_any().unbind()),
        Some(Item::Service(s)) => Ok(models::payment_service(py, &s)?.into_any().unbind()),
    }
}

/// Items one by one, fetching the next page only when the buffered one is used up.
#[pyclass(module = "polypay._native", frozen)]
pub struct NativePager {
    pager: Arc<tokio::sync::Mutex<AnyPager>>,
}

#[pymethods]
impl NativePager {
    /// The next item, or None at the end (blocking, GIL released).
    fn next(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let pager = Arc::clone(&self.pager);
        let item = py.detach(|| runtime::block_on(next_item(pager)));
        item_to_py(py, item)
    }

    fn next_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pager = Arc::clone(&self.pager);
        pyo3_async_runtimes::generic::future_into_py::<PolypayRuntime, _, _>(py, async move {
            let item = next_item(pager).await;
            Python::attach(|py| item_to_py(py, item))
        })
    }
}
