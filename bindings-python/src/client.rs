//! The core async `Client` on the shared runtime: blocking calls release the GIL, async calls
//! are asyncio awaitables (pyo3-async-runtimes). One generic entry point (`call`) keeps this
//! layer thin; `polypay/client.py` gives each operation its named, typed method.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use polypay::paycore::client::{
    timeout_from_secs, Arguments, ClientOptions, Config, Item, Operation as CoreOperation,
    OperationName, Outcome, Pager, Secret,
};
use polypay::paycore::Client;
use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyString};
use tokio_util::sync::CancellationToken;

use crate::convert::{body_bytes, to_object, Floats};
use crate::errors::{to_pyerr, IntoPyResult};
use crate::records;
use crate::runtime::{self, PolypayRuntime};

macro_rules! python_operations {
    ($( $(#[$doc:meta])* $variant:ident $name:ident: $access:ident $semantics:ident ($input:ident) -> $output:ident; )*) => {
        /// The Commerce API operations: the core's operation table.
        #[pyclass(module = "polypay._native", frozen, eq, eq_int)]
        #[derive(Clone, Copy, PartialEq, Eq)]
        pub enum Operation {
            $( $(#[$doc])* $variant, )*
        }

        impl From<Operation> for OperationName {
            fn from(operation: Operation) -> OperationName {
                match operation {
                    $( Operation::$variant => OperationName::$variant, )*
                }
            }
        }

        impl Operation {
            const ALL: &'static [Operation] = &[$(Operation::$variant),*];
        }
    };
}

polypay::paycore_operations!(python_operations);

#[pymethods]
impl Operation {
    /// The method's name (`get_payment_invoice`), for logs.
    #[getter]
    fn method(&self) -> &'static str {
        OperationName::from(*self).as_str()
    }

    /// Whether a call may change the gateway's state (a create or a write).
    #[getter]
    fn writes(&self) -> bool {
        OperationName::from(*self).writes()
    }

    /// The table's row (`variant`, `name`, `access`, `semantics`, `input`, `output`, `doc`),
    /// from which the clients' methods are generated (internal).
    #[getter]
    fn row(&self) -> [String; 7] {
        let name = OperationName::from(*self);
        [
            name.variant().into(),
            name.as_str().into(),
            format!("{:?}", name.access()),
            format!("{:?}", name.semantics()),
            format!("{:?}", name.input()),
            name.output().into(),
            name.doc().join("\n"),
        ]
    }

    /// Every operation, in the table's order.
    #[staticmethod]
    fn all() -> Vec<Operation> {
        Operation::ALL.to_vec()
    }
}

/// The checked operation; `id` must be a str, `fields` a mapping (of exact values).
fn operation(
    py: Python<'_>,
    op: Operation,
    id: Option<&Bound<'_, PyAny>>,
    reference_id: Option<&Bound<'_, PyAny>>,
    fields: Option<&Bound<'_, PyAny>>,
    page_size: Option<u32>,
) -> PyResult<CoreOperation> {
    let arguments = Arguments {
        id: id.map(|id| id_arg(id, "id")).transpose()?,
        reference_id: reference_id
            .map(|r| id_arg(r, "reference_id"))
            .transpose()?,
        fields: fields
            .map(|f| to_object(f, "fields", Floats::Refuse))
            .transpose()?,
        page_size,
    };
    CoreOperation::new(op.into(), arguments).py_err(py)
}

fn outcome_to_py(py: Python<'_>, result: polypay::Result<Outcome>) -> PyResult<Py<PyAny>> {
    records::answer(py, result.py_err(py)?)
}

fn id_arg(arg: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    let id: String = arg
        .extract()
        .map_err(|_| crate::errors::type_error(name, format!("{name} must be a str")))?;
    Ok(id)
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
pub fn seconds(py: Python<'_>, value: Seconds, name: &str) -> PyResult<Duration> {
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

impl CancelToken {
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
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

#[pymethods]
impl NativeClient {
    /// Every option as the core's [`ClientOptions`]: `None` takes its default.
    #[new]
    #[pyo3(signature = (*, public_key=None, account_id=None, api_key=None, secret_key=None,
        env=None, base_url=None, timeout=None, request_timeout=None, connect_timeout=None,
        max_retries=None, page_size=None, proxy=None, user_agent=None, allow_insecure_http=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        public_key: Option<String>,
        account_id: Option<String>,
        api_key: Option<Bound<'_, PyString>>,
        secret_key: Option<Bound<'_, PyString>>,
        env: Option<String>,
        base_url: Option<String>,
        timeout: Option<Seconds>,
        request_timeout: Option<Seconds>,
        connect_timeout: Option<Seconds>,
        max_retries: Option<u32>,
        page_size: Option<u32>,
        proxy: Option<String>,
        user_agent: Option<String>,
        allow_insecure_http: Option<bool>,
    ) -> PyResult<Self> {
        let key = |value: Option<Bound<'_, PyString>>, argument| -> PyResult<Option<Secret>> {
            value
                .map(|v| crate::convert::text(&v, argument).map(Secret::new))
                .transpose()
        };
        let time = |value: Option<Seconds>, name| value.map(|v| seconds(py, v, name)).transpose();
        let options = ClientOptions {
            env,
            base_url,
            public_key,
            account_id,
            api_key: key(api_key, "api_key")?,
            secret_key: key(secret_key, "secret_key")?,
            timeout: time(timeout, "timeout")?,
            request_timeout: time(request_timeout, "request_timeout")?,
            connect_timeout: time(connect_timeout, "connect_timeout")?,
            max_retries,
            page_size,
            proxy,
            user_agent,
            allow_insecure_http,
        };
        let config = options.into_config().py_err(py)?;
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

    /// Runs one operation (not a list), blocking, with the GIL released while it waits.
    #[pyo3(signature = (op, *, id=None, reference_id=None, fields=None, timeout=None))]
    fn call(
        &self,
        py: Python<'_>,
        op: &Bound<'_, Operation>,
        id: Option<&Bound<'_, PyAny>>,
        reference_id: Option<&Bound<'_, PyAny>>,
        fields: Option<&Bound<'_, PyAny>>,
        timeout: Option<Seconds>,
    ) -> PyResult<Py<PyAny>> {
        let operation = operation(py, *op.get(), id, reference_id, fields, None)?;
        let client = self.client(py, timeout)?;
        let result = py.detach(|| runtime::block_on(client.execute(&operation)));
        outcome_to_py(py, result)
    }

    /// The same as an asyncio future. `cancel` (a `CancelToken`) ends the call with a
    /// `cancelled` error that keeps its facts; cancelling the future itself drops the call
    /// and loses them (`AsyncPayCoreClient` shields the future and fires the token instead).
    #[pyo3(signature = (op, *, id=None, reference_id=None, fields=None, timeout=None, cancel=None))]
    #[allow(clippy::too_many_arguments)]
    fn call_async<'py>(
        &self,
        py: Python<'py>,
        op: &Bound<'_, Operation>,
        id: Option<&Bound<'py, PyAny>>,
        reference_id: Option<&Bound<'py, PyAny>>,
        fields: Option<&Bound<'py, PyAny>>,
        timeout: Option<Seconds>,
        cancel: Option<&Bound<'py, CancelToken>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let operation = operation(py, *op.get(), id, reference_id, fields, None)?;
        let client = bind_cancel(self.client(py, timeout)?, cancel);
        pyo3_async_runtimes::generic::future_into_py::<PolypayRuntime, _, _>(py, async move {
            let result = client.execute(&operation).await;
            Python::attach(|py| outcome_to_py(py, result))
        })
    }

    /// The lazy pages of a list `op`; `cancel` ends its page fetches (every later one too)
    /// with a `cancelled` error.
    #[pyo3(signature = (op, *, reference_id=None, page_size=None, timeout=None, cancel=None))]
    fn list(
        &self,
        py: Python<'_>,
        op: &Bound<'_, Operation>,
        reference_id: Option<&Bound<'_, PyAny>>,
        page_size: Option<u32>,
        timeout: Option<Seconds>,
        cancel: Option<&Bound<'_, CancelToken>>,
    ) -> PyResult<NativePager> {
        let operation = operation(py, *op.get(), None, reference_id, None, page_size)?;
        let client = bind_cancel(self.client(py, timeout)?, cancel);
        let pager = client.pager(&operation).py_err(py)?;
        Ok(NativePager {
            pager: Arc::new(tokio::sync::Mutex::new(pager)),
        })
    }

    fn verify_callback<'py>(
        &self,
        py: Python<'py>,
        body: &Bound<'py, PyAny>,
        signature: &str,
    ) -> PyResult<Py<records::CallbackEvent>> {
        let body = body_bytes(body, "body")?;
        let client = self.client(py, None)?;
        let event = client.verify_callback(&body, signature).py_err(py)?;
        records::CallbackEvent::py(py, &event)
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

async fn next_item(pager: Arc<tokio::sync::Mutex<Pager<Item>>>) -> polypay::Result<Option<Item>> {
    pager.lock().await.next().await
}

fn item_to_py(py: Python<'_>, item: polypay::Result<Option<Item>>) -> PyResult<Py<PyAny>> {
    match item.map_err(|e| to_pyerr(py, &e))? {
        None => Ok(py.None()),
        Some(item) => records::list_item(py, &item),
    }
}

/// Items one by one, fetching the next page only when the buffered one is used up.
#[pyclass(module = "polypay._native", frozen)]
pub struct NativePager {
    pager: Arc<tokio::sync::Mutex<Pager<Item>>>,
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
