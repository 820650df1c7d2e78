//! The one place where a core `Error` becomes a Python exception: the classes live in
//! `polypay/errors.py`; `polypay.errors._from_core` picks the class from the kind.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};

use crate::convert;

static FROM_CORE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

pub fn to_pyerr(py: Python<'_>, error: &polypay::Error) -> PyErr {
    match build(py, error) {
        Ok(err) => err,
        Err(err) => err,
    }
}

fn build(py: Python<'_>, error: &polypay::Error) -> PyResult<PyErr> {
    let factory = FROM_CORE.import(py, "polypay.errors", "_from_core")?;
    let details = PyDict::new(py);
    details.set_item("kind", error.kind().as_str())?;
    details.set_item("code", error.code())?;
    details.set_item("message", error.message())?;
    details.set_item("argument", error.argument())?;
    details.set_item("http_status", error.http_status())?;
    details.set_item("request_id", error.request_id())?;
    details.set_item("body", error.body())?;
    details.set_item("retryable", error.retryable())?;
    details.set_item("outcome_unknown", error.outcome_unknown())?;
    details.set_item("retry_after", error.retry_after().map(|d| d.as_secs_f64()))?;
    let fields = PyList::empty(py);
    for (name, message) in error.fields() {
        fields.append((name, message))?;
    }
    details.set_item("fields", fields)?;
    let existing = match error.existing() {
        Some(value) => convert::to_py(py, value)?,
        None => py.None(),
    };
    details.set_item("existing", existing)?;
    details.set_item("reference_id", error.reference_id())?;
    details.set_item("payment_id", error.payment_id())?;
    let instance = factory.call1((details,))?;
    Ok(PyErr::from_value(instance))
}

pub trait IntoPyResult<T> {
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, polypay::Error> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_pyerr(py, &e))
    }
}

fn invalid(
    code: &'static str,
    argument: &str,
    message: String,
    fallback: fn(String) -> PyErr,
) -> PyErr {
    Python::attach(|py| {
        let build = || -> PyResult<PyErr> {
            let factory = FROM_CORE.import(py, "polypay.errors", "_from_core")?;
            let details = PyDict::new(py);
            details.set_item("kind", "invalid_input")?;
            details.set_item("code", code)?;
            details.set_item("message", &message)?;
            details.set_item("argument", argument)?;
            Ok(PyErr::from_value(factory.call1((details,))?))
        };
        build().unwrap_or_else(|_| fallback(message.clone()))
    })
}

/// A `polypay.InvalidArgumentTypeError` (a TypeError) about `argument` (a name or a parameter
/// path such as `fields[amount]`), which the message names too.
pub fn type_error(argument: &str, message: String) -> PyErr {
    invalid("python_type", argument, message, |m| {
        pyo3::exceptions::PyTypeError::new_err(m)
    })
}

/// A `polypay.InvalidArgumentError` (a ValueError) with its own code.
pub fn invalid_value(code: &'static str, argument: &str, message: String) -> PyErr {
    invalid(code, argument, message, |m| {
        pyo3::exceptions::PyValueError::new_err(m)
    })
}

/// A `polypay.InvalidArgumentError` (a ValueError) about `argument`, which the message names.
pub fn value_error(argument: &str, message: String) -> PyErr {
    invalid("invalid_value", argument, message, |m| {
        pyo3::exceptions::PyValueError::new_err(m)
    })
}
