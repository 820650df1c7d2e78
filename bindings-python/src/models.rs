//! The verified ecommpay callback as a frozen class (PayCore's models are in `records`).

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::map_to_py;
use crate::ledger::LedgerEvent;

/// A verified ecommpay callback. The typed fields are read when it is verified; `raw` (the
/// body without its `signature` keys, numbers exact) is built on first access, since most
/// handlers only read the typed fields.
#[pyclass(module = "polypay", frozen, eq)]
pub struct EcommpayCallback {
    #[pyo3(get)]
    project_id: Option<i64>,
    #[pyo3(get)]
    payment_id: Option<String>,
    #[pyo3(get)]
    payment_type: Option<String>,
    #[pyo3(get)]
    payment_status: Option<String>,
    #[pyo3(get)]
    payment_sum: Option<(i64, String)>,
    #[pyo3(get)]
    payment_method: Option<String>,
    #[pyo3(get)]
    customer_id: Option<String>,
    #[pyo3(get)]
    card_token: Option<String>,
    #[pyo3(get)]
    card_mask: Option<String>,
    #[pyo3(get)]
    recurring_id: Option<String>,
    #[pyo3(get)]
    operation: Option<Py<EcommpayOperation>>,
    #[pyo3(get)]
    is_success: bool,
    /// The payment's new state for the exactly-once ledger.
    #[pyo3(get)]
    ledger_event: Option<Py<LedgerEvent>>,
    callback: polypay::ecommpay::EcommpayCallback,
    raw: pyo3::sync::PyOnceLock<Py<PyDict>>,
}

impl PartialEq for EcommpayCallback {
    fn eq(&self, other: &Self) -> bool {
        self.callback == other.callback
    }
}

/// `operation` of an ecommpay callback (and each of a Gate status answer's `operations`).
#[pyclass(module = "polypay", frozen, eq, get_all)]
#[derive(PartialEq)]
pub struct EcommpayOperation {
    id: Option<String>,
    #[pyo3(name = "type")]
    operation_type: Option<String>,
    status: Option<String>,
    request_id: Option<String>,
    code: Option<String>,
    message: Option<String>,
    sum_initial: Option<(i64, String)>,
    sum_converted: Option<(i64, String)>,
}

pub fn sum(s: Option<polypay::ecommpay::Sum>) -> Option<(i64, String)> {
    s.map(|s| (s.amount, s.currency))
}

impl EcommpayOperation {
    pub fn py(py: Python<'_>, op: polypay::ecommpay::Operation) -> PyResult<Py<EcommpayOperation>> {
        Py::new(
            py,
            EcommpayOperation {
                id: op.id,
                operation_type: op.operation_type,
                status: op.status.map(|s| s.as_str().to_owned()),
                request_id: op.request_id,
                code: op.code,
                message: op.message,
                sum_initial: sum(op.sum_initial),
                sum_converted: sum(op.sum_converted),
            },
        )
    }
}

impl EcommpayCallback {
    pub fn new(py: Python<'_>, c: polypay::ecommpay::EcommpayCallback) -> PyResult<Self> {
        let operation = c
            .operation()
            .map(|op| EcommpayOperation::py(py, op))
            .transpose()?;
        Ok(EcommpayCallback {
            project_id: c.project_id(),
            payment_id: c.payment_id(),
            payment_type: c.payment_type(),
            payment_status: c.payment_status().map(|s| s.as_str().to_owned()),
            payment_sum: sum(c.payment_sum()),
            payment_method: c.payment_method(),
            customer_id: c.customer_id(),
            card_token: c.card_token(),
            card_mask: c.card_mask(),
            recurring_id: c.recurring_id(),
            operation,
            is_success: c.is_success(),
            ledger_event: LedgerEvent::from_core(c.ledger_event())
                .map(|e| Py::new(py, e))
                .transpose()?,
            callback: c,
            raw: pyo3::sync::PyOnceLock::new(),
        })
    }
}

#[pymethods]
impl EcommpayCallback {
    /// The verified body without its `signature` keys (integers as int, other numbers as
    /// `decimal.Decimal`); the same dict on every access.
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let raw = self
            .raw
            .get_or_try_init(py, || map_to_py(py, self.callback.raw()).map(Bound::unbind))?;
        Ok(raw.bind(py).clone())
    }

    fn __repr__(&self) -> String {
        let text = |v: &Option<String>| v.as_ref().map_or("None".to_owned(), |s| format!("{s:?}"));
        let operation = match &self.operation {
            Some(op) => op.get().__repr__(),
            None => "None".to_owned(),
        };
        format!(
            "EcommpayCallback(project_id={}, payment_id={}, payment_type={}, payment_status={}, payment_sum={}, payment_method={}, customer_id={}, card_token={}, card_mask={}, recurring_id={}, operation={}, is_success={})",
            self.project_id.map_or("None".to_owned(), |i| i.to_string()),
            text(&self.payment_id),
            text(&self.payment_type),
            text(&self.payment_status),
            self.payment_sum.as_ref().map_or("None".to_owned(), |(a, c)| format!("({a}, {c:?})")),
            text(&self.payment_method),
            text(&self.customer_id),
            text(&self.card_token),
            text(&self.card_mask),
            text(&self.recurring_id),
            operation,
            if self.is_success { "True" } else { "False" },
        )
    }
}

#[pymethods]
impl EcommpayOperation {
    fn __repr__(&self) -> String {
        let text = |v: &Option<String>| v.as_ref().map_or("None".to_owned(), |s| format!("{s:?}"));
        let sum = |v: &Option<(i64, String)>| {
            v.as_ref()
                .map_or("None".to_owned(), |(a, c)| format!("({a}, {c:?})"))
        };
        format!(
            "EcommpayOperation(id={}, type={}, status={}, request_id={}, code={}, message={}, sum_initial={}, sum_converted={})",
            text(&self.id),
            text(&self.operation_type),
            text(&self.status),
            text(&self.request_id),
            text(&self.code),
            text(&self.message),
            sum(&self.sum_initial),
            sum(&self.sum_converted),
        )
    }
}
