//! The core's ecommpay Gate client on the shared runtime, with one generic entry point
//! (`call`) as the Commerce client has; `polypay/gate.py` gives each operation its method.

use std::sync::Mutex;

use polypay::ecommpay::{
    GateAccepted as CoreAccepted, GateApi, GateOperation as CoreOperation, GateOptions,
    GateOutcome, GatePayment as CorePayment, GateRequest,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::client::{seconds, CancelToken, Seconds};
use crate::convert::{map_to_py, to_object, Floats};
use crate::errors::IntoPyResult;
use crate::models::{sum, EcommpayOperation};
use crate::runtime::{self, PolypayRuntime};

macro_rules! python_gate_operations {
    ($( $(#[$doc:meta])* $variant:ident $name:ident: $semantics:ident $path:literal -> $output:ident; )*) => {
        /// The ecommpay Gate operations: the core's Gate table.
        #[pyclass(module = "polypay._native", frozen, eq, eq_int)]
        #[derive(Clone, Copy, PartialEq, Eq)]
        pub enum GateOperation {
            $( $(#[$doc])* $variant, )*
        }

        impl From<GateOperation> for CoreOperation {
            fn from(operation: GateOperation) -> CoreOperation {
                match operation {
                    $( GateOperation::$variant => CoreOperation::$variant, )*
                }
            }
        }

        impl GateOperation {
            const ALL: &'static [GateOperation] = &[$(GateOperation::$variant),*];
        }
    };
}

polypay::ecommpay_gate_operations!(python_gate_operations);

#[pymethods]
impl GateOperation {
    /// The method's name (`refund`), for logs.
    #[getter]
    fn method(&self) -> &'static str {
        CoreOperation::from(*self).as_str()
    }

    /// Whether a call may change the gateway's state.
    #[getter]
    fn writes(&self) -> bool {
        CoreOperation::from(*self).writes()
    }

    /// The table's row (`variant`, `name`, `semantics`, `path`, `output`, `doc`), from which
    /// the methods are generated (internal).
    #[getter]
    fn row(&self) -> [String; 6] {
        let op = CoreOperation::from(*self);
        [
            op.variant().into(),
            op.as_str().into(),
            format!("{:?}", op.semantics()),
            op.path_template().into(),
            op.output().into(),
            op.doc().join("\n"),
        ]
    }

    #[staticmethod]
    fn all() -> Vec<GateOperation> {
        GateOperation::ALL.to_vec()
    }
}

/// The gateway accepted a request: the result comes by callback, or by
/// `wait_for_result(accepted)`.
#[pyclass(module = "polypay", frozen, eq)]
#[derive(PartialEq)]
pub struct GateAccepted {
    /// The operation's method name (`refund`).
    #[pyo3(get)]
    operation: String,
    #[pyo3(get)]
    payment_id: String,
    #[pyo3(get)]
    request_id: Option<String>,
    #[pyo3(get)]
    project_id: i64,
    #[pyo3(get)]
    merchant_refund_id: Option<String>,
    /// Found through the status endpoint after an unknown outcome, not accepted by this call.
    #[pyo3(get)]
    reconciled: bool,
    #[pyo3(get)]
    http_status: u16,
    core: CoreAccepted,
}

impl GateAccepted {
    fn new(core: CoreAccepted) -> GateAccepted {
        GateAccepted {
            operation: core.operation.as_str().into(),
            payment_id: core.payment_id.clone(),
            request_id: core.request_id.clone(),
            project_id: core.project_id,
            merchant_refund_id: core.merchant_refund_id.clone(),
            reconciled: core.reconciled,
            http_status: core.http_status,
            core,
        }
    }
}

#[pymethods]
impl GateAccepted {
    fn __repr__(&self) -> String {
        let text = |v: &Option<String>| v.as_ref().map_or("None".to_owned(), |s| format!("{s:?}"));
        format!(
            "GateAccepted(operation={:?}, payment_id={:?}, request_id={}, project_id={}, merchant_refund_id={}, reconciled={})",
            self.operation,
            self.payment_id,
            text(&self.request_id),
            self.project_id,
            text(&self.merchant_refund_id),
            if self.reconciled { "True" } else { "False" },
        )
    }
}

/// A verified Gate status answer: the payment and every operation in it.
#[pyclass(module = "polypay", frozen, eq)]
pub struct GatePayment {
    #[pyo3(get)]
    project_id: Option<i64>,
    #[pyo3(get)]
    payment_id: Option<String>,
    #[pyo3(get)]
    payment_type: Option<String>,
    #[pyo3(get)]
    status: Option<String>,
    #[pyo3(get)]
    sum: Option<(i64, String)>,
    #[pyo3(get)]
    payment_method: Option<String>,
    #[pyo3(get)]
    card_token: Option<String>,
    #[pyo3(get)]
    recurring_id: Option<String>,
    /// `operations[]`, oldest first.
    #[pyo3(get)]
    operations: Vec<Py<EcommpayOperation>>,
    /// `errors[]` as `(code, message, field)`.
    #[pyo3(get)]
    errors: Vec<(Option<String>, Option<String>, Option<String>)>,
    /// The payment is in a state only a new request changes.
    #[pyo3(get)]
    is_final: bool,
    core: CorePayment,
}

impl PartialEq for GatePayment {
    fn eq(&self, other: &Self) -> bool {
        self.core == other.core
    }
}

impl GatePayment {
    fn py(py: Python<'_>, core: CorePayment) -> PyResult<Py<GatePayment>> {
        let operations = core
            .operations
            .iter()
            .map(|op| EcommpayOperation::py(py, op.clone()))
            .collect::<PyResult<_>>()?;
        let payment = GatePayment {
            project_id: core.project_id(),
            payment_id: core.payment_id(),
            payment_type: core.payment_type(),
            status: core.status().map(|s| s.as_str().to_owned()),
            sum: sum(core.sum()),
            payment_method: core.payment_method(),
            card_token: core.card_token(),
            recurring_id: core.recurring_id(),
            operations,
            errors: core
                .errors
                .iter()
                .map(|e| (e.code.clone(), e.message.clone(), e.field.clone()))
                .collect(),
            is_final: core.is_final(),
            core,
        };
        Py::new(py, payment)
    }
}

#[pymethods]
impl GatePayment {
    /// The verified answer without its signature.
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        map_to_py(py, self.core.raw())
    }

    /// The operation a request started (by the accepted answer's `request_id`), or None.
    fn operation_for(&self, py: Python<'_>, request_id: &str) -> Option<Py<EcommpayOperation>> {
        let at = self
            .core
            .operations
            .iter()
            .rposition(|op| op.request_id.as_deref() == Some(request_id))?;
        Some(self.operations[at].clone_ref(py))
    }

    fn __repr__(&self) -> String {
        let text = |v: &Option<String>| v.as_ref().map_or("None".to_owned(), |s| format!("{s:?}"));
        format!(
            "GatePayment(payment_id={}, payment_type={}, status={}, sum={}, operations={}, is_final={})",
            text(&self.payment_id),
            text(&self.payment_type),
            text(&self.status),
            self.sum.as_ref().map_or("None".to_owned(), |(a, c)| format!("({a}, {c:?})")),
            self.operations.len(),
            if self.is_final { "True" } else { "False" },
        )
    }
}

fn outcome_to_py(py: Python<'_>, result: polypay::Result<GateOutcome>) -> PyResult<Py<PyAny>> {
    Ok(match result.py_err(py)? {
        GateOutcome::Accepted(accepted) => Py::new(py, GateAccepted::new(accepted))?.into_any(),
        GateOutcome::Payment(payment) => GatePayment::py(py, payment)?.into_any(),
    })
}

fn payment_to_py(py: Python<'_>, result: polypay::Result<CorePayment>) -> PyResult<Py<PyAny>> {
    Ok(GatePayment::py(py, result.py_err(py)?)?.into_any())
}

fn request(body: &Bound<'_, PyAny>, method: Option<String>) -> PyResult<GateRequest> {
    Ok(GateRequest {
        body: to_object(body, "request", Floats::Refuse)?,
        method,
    })
}

/// The Gate client of one ecommpay project.
#[pyclass(module = "polypay._native", frozen)]
pub struct NativeGateApi {
    project_id: i64,
    secret_key: String,
    options: GateOptions,
    state: Mutex<(u64, GateApi)>,
}

impl NativeGateApi {
    /// The core client of this process generation (rebuilt in a forked child).
    fn gate(&self, py: Python<'_>, timeout: Option<Seconds>) -> PyResult<GateApi> {
        let generation = runtime::generation();
        let gate = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if state.0 != generation {
                state.1 = GateApi::new(self.project_id, &self.secret_key, self.options.clone())
                    .py_err(py)?;
                state.0 = generation;
            }
            state.1.clone()
        };
        Ok(match timeout {
            Some(t) => gate.with_deadline(seconds(py, t, "timeout")?),
            None => gate,
        })
    }
}

fn with_cancel(gate: GateApi, cancel: Option<&Bound<'_, CancelToken>>) -> GateApi {
    match cancel {
        Some(token) => gate.with_cancel(token.get().token()),
        None => gate,
    }
}

#[pymethods]
impl NativeGateApi {
    #[new]
    #[pyo3(signature = (project_id, secret_key, *, base_url=None, timeout=None, request_timeout=None,
        connect_timeout=None, max_retries=None, proxy=None, user_agent=None,
        allow_insecure_http=None, status_delay=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        project_id: i64,
        secret_key: Bound<'_, PyString>,
        base_url: Option<String>,
        timeout: Option<Seconds>,
        request_timeout: Option<Seconds>,
        connect_timeout: Option<Seconds>,
        max_retries: Option<u32>,
        proxy: Option<String>,
        user_agent: Option<String>,
        allow_insecure_http: Option<bool>,
        status_delay: Option<Seconds>,
    ) -> PyResult<Self> {
        let time = |value: Option<Seconds>, name| value.map(|v| seconds(py, v, name)).transpose();
        let options = GateOptions {
            base_url,
            timeout: time(timeout, "timeout")?,
            request_timeout: time(request_timeout, "request_timeout")?,
            connect_timeout: time(connect_timeout, "connect_timeout")?,
            max_retries,
            proxy,
            user_agent,
            allow_insecure_http,
            status_delay: status_delay
                .map(|value| match value {
                    Seconds::Number(s) => polypay::ecommpay::status_delay_from_secs(s).py_err(py),
                    wrong => seconds(py, wrong, "status_delay"),
                })
                .transpose()?,
        };
        let secret_key = crate::convert::text(&secret_key, "secret_key")?.to_owned();
        let gate = GateApi::new(project_id, &secret_key, options.clone()).py_err(py)?;
        Ok(NativeGateApi {
            project_id,
            secret_key,
            options,
            state: Mutex::new((runtime::generation(), gate)),
        })
    }

    #[getter]
    fn project_id(&self) -> i64 {
        self.project_id
    }

    #[getter]
    fn base_url(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.gate(py, None)?.base_url().to_owned())
    }

    /// Runs one operation, blocking, with the GIL released while it waits.
    #[pyo3(signature = (op, request, *, method=None, timeout=None))]
    fn call(
        &self,
        py: Python<'_>,
        op: &Bound<'_, GateOperation>,
        request: &Bound<'_, PyAny>,
        method: Option<String>,
        timeout: Option<Seconds>,
    ) -> PyResult<Py<PyAny>> {
        let request = self::request(request, method)?;
        let gate = self.gate(py, timeout)?;
        let operation = CoreOperation::from(*op.get());
        let result = py.detach(|| runtime::block_on(gate.execute(operation, request)));
        outcome_to_py(py, result)
    }

    /// The same as an asyncio future; `cancel` ends it keeping its facts.
    #[pyo3(signature = (op, request, *, method=None, timeout=None, cancel=None))]
    #[allow(clippy::too_many_arguments)]
    fn call_async<'py>(
        &self,
        py: Python<'py>,
        op: &Bound<'_, GateOperation>,
        request: &Bound<'py, PyAny>,
        method: Option<String>,
        timeout: Option<Seconds>,
        cancel: Option<&Bound<'py, CancelToken>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = self::request(request, method)?;
        let gate = with_cancel(self.gate(py, timeout)?, cancel);
        let operation = CoreOperation::from(*op.get());
        pyo3_async_runtimes::generic::future_into_py::<PolypayRuntime, _, _>(py, async move {
            let result = gate.execute(operation, request).await;
            Python::attach(|py| outcome_to_py(py, result))
        })
    }

    /// Waits for an accepted request's final status (blocking, GIL released).
    #[pyo3(signature = (accepted, *, timeout=None))]
    fn wait_for_result(
        &self,
        py: Python<'_>,
        accepted: &Bound<'_, GateAccepted>,
        timeout: Option<Seconds>,
    ) -> PyResult<Py<PyAny>> {
        let gate = self.gate(py, timeout)?;
        let accepted = accepted.get().core.clone();
        let result = py.detach(|| runtime::block_on(gate.wait_for_result(&accepted)));
        payment_to_py(py, result)
    }

    #[pyo3(signature = (accepted, *, timeout=None, cancel=None))]
    fn wait_for_result_async<'py>(
        &self,
        py: Python<'py>,
        accepted: &Bound<'_, GateAccepted>,
        timeout: Option<Seconds>,
        cancel: Option<&Bound<'py, CancelToken>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let gate = with_cancel(self.gate(py, timeout)?, cancel);
        let accepted = accepted.get().core.clone();
        pyo3_async_runtimes::generic::future_into_py::<PolypayRuntime, _, _>(py, async move {
            let result = gate.wait_for_result(&accepted).await;
            Python::attach(|py| payment_to_py(py, result))
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "GateApi(project_id={}, secret_key=<redacted>, base_url={:?})",
            self.project_id,
            self.base_url(py)?
        ))
    }
}
