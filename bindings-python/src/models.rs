//! Core models -> plain dicts tagged with `"type"`; `polypay/models.py` turns them into
//! typed, frozen dataclasses. Amounts are `decimal.Decimal`, timestamps RFC 3339 text.

use chrono::{DateTime, Utc};
use polypay::paycore::client::Response;
use polypay::paycore::model::{Balances, PaymentService, Prerequest, Refund};
use polypay::paycore::{CallbackEvent, FlowData, PaymentInvoice, PayoutInvoice};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use rust_decimal::Decimal;

use crate::convert::{decimal_to_py, map_to_py, to_py};

type Dict<'py> = Bound<'py, PyDict>;

fn dec(py: Python<'_>, d: &Option<Decimal>) -> PyResult<Py<PyAny>> {
    match d {
        Some(d) => decimal_to_py(py, d),
        None => Ok(py.None()),
    }
}

fn time(t: &Option<DateTime<Utc>>) -> Option<String> {
    t.as_ref().map(polypay::time::timestamp)
}

fn flow(py: Python<'_>, f: &Option<FlowData>) -> PyResult<Py<PyAny>> {
    match f {
        None => Ok(py.None()),
        Some(f) => {
            let d = PyDict::new(py);
            d.set_item("action", &f.action)?;
            d.set_item("method", &f.method)?;
            d.set_item("params", map_to_py(py, &f.params)?)?;
            Ok(d.into_any().unbind())
        }
    }
}

pub fn payment_invoice<'py>(py: Python<'py>, i: &PaymentInvoice) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("type", "payment_invoice")?;
    d.set_item("id", &i.id)?;
    d.set_item("status", i.status.as_str())?;
    d.set_item(
        "resolution",
        i.resolution.as_ref().map(|r| r.as_str().to_owned()),
    )?;
    d.set_item("reference_id", &i.reference_id)?;
    d.set_item("amount", dec(py, &i.amount)?)?;
    d.set_item("currency", &i.currency)?;
    d.set_item("payment_amount", dec(py, &i.payment_amount)?)?;
    d.set_item("processed_amount", dec(py, &i.processed_amount)?)?;
    d.set_item("refunded_amount", dec(py, &i.refunded_amount)?)?;
    d.set_item("service", &i.service)?;
    d.set_item("test_mode", i.test_mode)?;
    d.set_item("description", &i.description)?;
    d.set_item("metadata", map_to_py(py, &i.metadata)?)?;
    d.set_item("flow_data", flow(py, &i.flow_data)?)?;
    d.set_item("created", time(&i.created))?;
    d.set_item("updated", time(&i.updated))?;
    d.set_item("is_final", i.is_final())?;
    d.set_item("is_success", i.is_success())?;
    d.set_item("raw", to_py(py, &i.raw)?)?;
    Ok(d)
}

pub fn payout_invoice<'py>(py: Python<'py>, i: &PayoutInvoice) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("type", "payout_invoice")?;
    d.set_item("id", &i.id)?;
    d.set_item("status", i.status.as_str())?;
    d.set_item(
        "resolution",
        i.resolution.as_ref().map(|r| r.as_str().to_owned()),
    )?;
    d.set_item("reference_id", &i.reference_id)?;
    d.set_item("amount", dec(py, &i.amount)?)?;
    d.set_item("currency", &i.currency)?;
    d.set_item("service", &i.service)?;
    d.set_item("test_mode", i.test_mode)?;
    d.set_item("description", &i.description)?;
    d.set_item("metadata", map_to_py(py, &i.metadata)?)?;
    d.set_item("created", time(&i.created))?;
    d.set_item("updated", time(&i.updated))?;
    d.set_item("is_final", i.is_final())?;
    d.set_item("is_success", i.is_success())?;
    d.set_item("raw", to_py(py, &i.raw)?)?;
    Ok(d)
}

pub fn refund<'py>(py: Python<'py>, r: &Refund) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("type", "refund")?;
    d.set_item("id", &r.id)?;
    d.set_item("status", &r.status)?;
    d.set_item("reference_id", &r.reference_id)?;
    d.set_item("original_id", &r.original_id)?;
    d.set_item("amount", dec(py, &r.amount)?)?;
    d.set_item("fee", dec(py, &r.fee)?)?;
    d.set_item("currency", &r.currency)?;
    d.set_item("description", &r.description)?;
    d.set_item("created", time(&r.created))?;
    d.set_item("raw", to_py(py, &r.raw)?)?;
    Ok(d)
}

pub fn payment_service<'py>(py: Python<'py>, s: &PaymentService) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("type", "payment_service")?;
    d.set_item("id", &s.id)?;
    d.set_item("service", &s.service)?;
    d.set_item("method", &s.method)?;
    d.set_item("currency", &s.currency)?;
    d.set_item("available", s.available)?;
    d.set_item("active", s.active)?;
    d.set_item("enabled", s.enabled)?;
    d.set_item("amount_min", dec(py, &s.amount_min)?)?;
    d.set_item("amount_max", dec(py, &s.amount_max)?)?;
    d.set_item("test_mode", s.test_mode)?;
    d.set_item("raw", to_py(py, &s.raw)?)?;
    Ok(d)
}

pub fn balances<'py>(py: Python<'py>, b: &Balances) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("type", "balances")?;
    d.set_item("account_id", &b.account_id)?;
    let list = PyList::empty(py);
    for c in &b.currencies {
        let cd = PyDict::new(py);
        cd.set_item("currency", &c.currency)?;
        cd.set_item("account_id", &c.account_id)?;
        cd.set_item("active_balance", dec(py, &c.active_balance)?)?;
        cd.set_item("pending_balance", dec(py, &c.pending_balance)?)?;
        cd.set_item("reserved_balance", dec(py, &c.reserved_balance)?)?;
        cd.set_item("overdraft_limit", dec(py, &c.overdraft_limit)?)?;
        cd.set_item("balance_lower_limit", dec(py, &c.balance_lower_limit)?)?;
        list.append(cd)?;
    }
    d.set_item("currencies", list)?;
    d.set_item("raw", to_py(py, &b.raw)?)?;
    Ok(d)
}

pub fn prerequest<'py>(py: Python<'py>, p: &Prerequest) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("type", "prerequest")?;
    d.set_item("currency", &p.currency)?;
    d.set_item("test_mode", p.test_mode)?;
    let list = PyList::empty(py);
    for s in &p.services {
        let sd = PyDict::new(py);
        sd.set_item("code", &s.code)?;
        sd.set_item("method", &s.method)?;
        sd.set_item("flow", &s.flow)?;
        sd.set_item("currency", &s.currency)?;
        sd.set_item("amount_min", dec(py, &s.amount_min)?)?;
        sd.set_item("amount_max", dec(py, &s.amount_max)?)?;
        let fields = PyList::empty(py);
        for f in &s.fields {
            fields.append(to_py(py, f)?)?;
        }
        sd.set_item("fields", fields)?;
        list.append(sd)?;
    }
    d.set_item("services", list)?;
    d.set_item("methods", map_to_py(py, &p.methods)?)?;
    d.set_item("raw", to_py(py, &p.raw)?)?;
    Ok(d)
}

pub fn callback_event<'py>(py: Python<'py>, e: &CallbackEvent) -> PyResult<Dict<'py>> {
    let d = match e {
        CallbackEvent::PaymentInvoice { invoice, .. } => payment_invoice(py, invoice)?,
        CallbackEvent::PayoutInvoice { invoice, .. } => payout_invoice(py, invoice)?,
        _ => {
            let d = PyDict::new(py);
            d.set_item("type", "callback_event")?;
            d.set_item("id", e.id())?;
            let status = e.raw()["data"]["attributes"]["status"].as_str();
            d.set_item("status", status)?;
            d.set_item("is_final", e.is_final())?;
            d.set_item("is_success", e.is_success())?;
            d
        }
    };
    d.set_item("event_type", e.event_type())?;
    // The whole document (with `included`), not just the resource.
    d.set_item("document", to_py(py, e.raw())?)?;
    Ok(d)
}

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
    operation: Option<Py<EcommpayOperation>>,
    #[pyo3(get)]
    is_success: bool,
    callback: polypay::ecommpay::EcommpayCallback,
    raw: pyo3::sync::PyOnceLock<Py<PyDict>>,
}

impl PartialEq for EcommpayCallback {
    fn eq(&self, other: &Self) -> bool {
        self.callback == other.callback
    }
}

/// `operation` of an ecommpay callback.
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

fn sum(s: Option<polypay::ecommpay::Sum>) -> Option<(i64, String)> {
    s.map(|s| (s.amount, s.currency))
}

impl EcommpayCallback {
    pub fn new(py: Python<'_>, c: polypay::ecommpay::EcommpayCallback) -> PyResult<Self> {
        let operation = match c.operation() {
            Some(op) => Some(Py::new(
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
            )?),
            None => None,
        };
        Ok(EcommpayCallback {
            project_id: c.project_id(),
            payment_id: c.payment_id(),
            payment_type: c.payment_type(),
            payment_status: c.payment_status().map(|s| s.as_str().to_owned()),
            payment_sum: sum(c.payment_sum()),
            operation,
            is_success: c.is_success(),
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
            "EcommpayCallback(project_id={}, payment_id={}, payment_type={}, payment_status={}, payment_sum={}, operation={}, is_success={})",
            self.project_id.map_or("None".to_owned(), |i| i.to_string()),
            text(&self.payment_id),
            text(&self.payment_type),
            text(&self.payment_status),
            self.payment_sum.as_ref().map_or("None".to_owned(), |(a, c)| format!("({a}, {c:?})")),
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

/// Adds what the HTTP exchange said to a model dict.
pub fn with_response<'py, T>(
    py: Python<'py>,
    response: &Response<T>,
    build: impl FnOnce(Python<'py>, &T) -> PyResult<Dict<'py>>,
) -> PyResult<Py<PyAny>> {
    let d = build(py, &response.data)?;
    d.set_item("http_status", response.http_status)?;
    d.set_item("request_id", &response.request_id)?;
    d.set_item("reconciled", response.reconciled)?;
    Ok(d.into_any().unbind())
}
