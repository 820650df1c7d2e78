//! `polypay._native`: the thin pyo3 layer over the polypay core. Conversion and idiom only;
//! every rule lives in the core. The public API is the pure-Python package around it.

// Every call allocates a few short-lived strings and maps, which mimalloc serves more cheaply
// than glibc's allocator (see "Issue 16, last figures" in bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use chrono::{DateTime, FixedOffset};
use polypay::ecommpay;
use polypay::paycore::{self, Environment, HppParams};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyString};
use serde_json::Map;

mod client;
mod convert;
mod errors;
mod gate;
mod ledger;
mod logging;
mod models;
mod records;
mod runtime;

use convert::{body_bytes, text, to_object, to_value, Floats, PyParams};
use errors::IntoPyResult;

// ---- ecommpay -------------------------------------------------------------------------------

/// The base64 HMAC-SHA512 signature of `params` (a mapping), byte for byte the PHP SDK's.
#[pyfunction]
fn ecommpay_sign(
    py: Python<'_>,
    params: &Bound<'_, PyAny>,
    secret: &Bound<'_, PyString>,
) -> PyResult<String> {
    let secret = text(secret, "secret")?;
    ecommpay::sign_params(&py_params(params), secret).map_err(|e| e.into_py(py))
}

/// The canonical `path:value;...` text that `sign` signs (for debugging a mismatch).
#[pyfunction]
fn ecommpay_string_to_sign(py: Python<'_>, params: &Bound<'_, PyAny>) -> PyResult<String> {
    ecommpay::string_to_sign_params(&py_params(params)).map_err(|e| e.into_py(py))
}

/// `params` for signing, read without an intermediate document. Anything but a dict (other
/// mappings, wrong types) takes the exact path, which converts it or raises the TypeError.
fn py_params<'a, 'py>(params: &'a Bound<'py, PyAny>) -> PyParams<'a, 'py> {
    PyParams {
        obj: params,
        argument: "params",
    }
}

#[pyfunction]
#[pyo3(signature = (params, secret, base_url=None))]
fn ecommpay_payment_page_url(
    py: Python<'_>,
    params: &Bound<'_, PyAny>,
    secret: &Bound<'_, PyString>,
    base_url: Option<&str>,
) -> PyResult<String> {
    let secret = text(secret, "secret")?;
    let params = to_object(params, "params", Floats::Allow)?;
    ecommpay::payment_page_url(&params, secret, base_url).py_err(py)
}

#[pyfunction]
fn ecommpay_verify_callback(
    py: Python<'_>,
    body: &Bound<'_, PyAny>,
    secret: &Bound<'_, PyString>,
) -> PyResult<models::EcommpayCallback> {
    let secret = text(secret, "secret")?;
    let body = body_bytes(body, "body")?;
    let callback = ecommpay::verify_callback(&body, secret).py_err(py)?;
    models::EcommpayCallback::new(py, callback)
}

/// PHP `strnatcmp` as used to order signed paths: -1, 0 or 1.
#[pyfunction]
fn ecommpay_natcmp(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<i32> {
    let a = body_bytes(a, "a")?;
    let b = body_bytes(b, "b")?;
    Ok(ecommpay::php::natcmp(&a, &b) as i32)
}

/// `best_before` as the Payment Page expects it (PHP's `DateTime::format('c')`) from a
/// timezone-aware `datetime`.
#[pyfunction]
fn ecommpay_best_before(at: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(ecommpay::php::date_c(&aware_datetime(at, "at")?))
}

fn aware_datetime(at: &Bound<'_, PyAny>, argument: &str) -> PyResult<DateTime<FixedOffset>> {
    at.extract().map_err(|_| {
        errors::type_error(
            argument,
            format!("{argument}: must be a timezone-aware datetime"),
        )
    })
}

/// PHP `(string)$float` (precision 14), as floats are signed.
#[pyfunction]
fn ecommpay_php_float(value: f64) -> String {
    ecommpay::php::float_to_string(value)
}

/// A project's connection to the Payment Page. Thread-safe; create it once.
#[pyclass(module = "polypay._native", frozen)]
struct EcommpayGate {
    gate: ecommpay::Gate,
}

/// Python's `int` (not `bool`, which is one) as an `i64`, else a TypeError naming `argument`.
fn int_arg(value: &Bound<'_, PyAny>, argument: &str, what: &str) -> PyResult<i64> {
    let refused = || {
        errors::type_error(
            argument,
            format!(
                "{argument}: must be {what}, not {}",
                convert::type_name(value)
            ),
        )
    };
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(refused());
    }
    value.extract().map_err(|_| refused())
}

#[pymethods]
impl EcommpayGate {
    #[new]
    #[pyo3(signature = (project_id, secret_key, base_url=None))]
    fn new(
        py: Python<'_>,
        project_id: &Bound<'_, PyAny>,
        secret_key: &Bound<'_, PyString>,
        base_url: Option<&str>,
    ) -> PyResult<Self> {
        let project_id = int_arg(project_id, "project_id", "an int")?;
        let secret_key = text(secret_key, "secret_key")?;
        let gate = ecommpay::Gate::new(project_id, secret_key, base_url).py_err(py)?;
        Ok(EcommpayGate { gate })
    }

    #[getter]
    fn project_id(&self) -> i64 {
        self.gate.project_id()
    }

    #[getter]
    fn base_url(&self) -> &str {
        self.gate.base_url()
    }

    /// The signed URL of a payment: `project_id` first, then `payment_id` and the other
    /// keyword arguments in order. `payment_amount` is in minor units (3550 is 35.50),
    /// `best_before` a timezone-aware `datetime`, `booking_info` a mapping.
    #[pyo3(signature = (
        *, payment_id, payment_amount=None, payment_currency=None, best_before=None,
        booking_info=None, **params
    ))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments
    fn payment_page_url(
        &self,
        py: Python<'_>,
        payment_id: &Bound<'_, PyAny>,
        payment_amount: Option<&Bound<'_, PyAny>>,
        payment_currency: Option<&Bound<'_, PyAny>>,
        best_before: Option<&Bound<'_, PyAny>>,
        booking_info: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<String> {
        let mut fields = Map::new();
        fields.insert("payment_id".into(), to_value(payment_id, "payment_id")?);
        if let Some(amount) = payment_amount.filter(|a| !a.is_none()) {
            let what = "an int number of minor units (3550 for 35.50)";
            let amount = int_arg(amount, "payment_amount", what)?;
            fields.insert("payment_amount".into(), amount.into());
        }
        if let Some(currency) = payment_currency.filter(|c| !c.is_none()) {
            fields.insert(
                "payment_currency".into(),
                to_value(currency, "payment_currency")?,
            );
        }
        if let Some(params) = params {
            fields.extend(to_object(params.as_any(), "payment", Floats::Allow)?);
        }
        if let Some(at) = best_before.filter(|b| !b.is_none()) {
            let at = aware_datetime(at, "best_before")?;
            fields.insert("best_before".into(), ecommpay::php::date_c(&at).into());
        }
        if let Some(info) = booking_info.filter(|b| !b.is_none()) {
            fields.insert("booking_info".into(), to_value(info, "booking_info")?);
        }
        self.gate.payment_page_url_from_fields(fields).py_err(py)
    }

    /// The signed URL for raw parameters (nothing added).
    fn params_url(&self, py: Python<'_>, params: &Bound<'_, PyAny>) -> PyResult<String> {
        let params = to_object(params, "params", Floats::Allow)?;
        self.gate.params_url(&params).py_err(py)
    }

    /// The signature of `params` with the project's secret.
    fn sign(&self, py: Python<'_>, params: &Bound<'_, PyAny>) -> PyResult<String> {
        self.gate
            .sign_params(&py_params(params))
            .map_err(|e| e.into_py(py))
    }

    /// Verifies a callback from its raw body; see `polypay.ecommpay.verify_callback`.
    fn verify_callback(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
    ) -> PyResult<models::EcommpayCallback> {
        let body = body_bytes(body, "body")?;
        let callback = self.gate.verify_callback(&body).py_err(py)?;
        models::EcommpayCallback::new(py, callback)
    }

    fn __repr__(&self) -> String {
        format!(
            "EcommpayGate(project_id={}, secret_key=<redacted>, base_url={:?})",
            self.gate.project_id(),
            self.gate.base_url()
        )
    }
}

// ---- PayCore --------------------------------------------------------------------------------

#[pyfunction]
fn paycore_sign_callback(
    py: Python<'_>,
    body: &Bound<'_, PyAny>,
    secret: &Bound<'_, PyString>,
) -> PyResult<String> {
    let secret = text(secret, "secret")?;
    let body = body_bytes(body, "body")?;
    paycore::sign_callback(&body, secret).py_err(py)
}

/// Checks the X-Signature only (raises SignatureVerificationError).
#[pyfunction]
fn paycore_verify_signature(
    py: Python<'_>,
    body: &Bound<'_, PyAny>,
    signature: &Bound<'_, PyString>,
    secret: &Bound<'_, PyString>,
) -> PyResult<()> {
    let signature = text(signature, "signature")?;
    let secret = text(secret, "secret")?;
    let body = body_bytes(body, "body")?;
    paycore::verify_callback(&body, signature, secret).py_err(py)
}

#[pyfunction]
fn paycore_verify_callback<'py>(
    py: Python<'py>,
    body: &Bound<'py, PyAny>,
    signature: &Bound<'_, PyString>,
    secret: &Bound<'_, PyString>,
) -> PyResult<Py<records::CallbackEvent>> {
    let signature = text(signature, "signature")?;
    let secret = text(secret, "secret")?;
    let body = body_bytes(body, "body")?;
    let event = paycore::callback::verify(&body, signature, secret).py_err(py)?;
    records::CallbackEvent::py(py, &event)
}

fn hpp(
    py: Python<'_>,
    params: &Bound<'_, PyAny>,
    env: Option<&str>,
    base_url: Option<&str>,
) -> PyResult<(HppParams, Environment)> {
    let params = to_object(params, "params", Floats::Refuse)?;
    let env = Environment::resolve(env, base_url).py_err(py)?;
    let params = HppParams::from_json(&params).py_err(py)?;
    Ok((params, env))
}

#[pyfunction]
#[pyo3(signature = (params, env=None, base_url=None))]
fn paycore_hpp_url(
    py: Python<'_>,
    params: &Bound<'_, PyAny>,
    env: Option<&str>,
    base_url: Option<&str>,
) -> PyResult<String> {
    let (params, env) = hpp(py, params, env, base_url)?;
    params.url(&env).py_err(py)
}

/// `{"action", "method", "fields": [(name, value), ...], "html"}`.
#[pyfunction]
#[pyo3(signature = (params, env=None, base_url=None, button_label="Pay"))]
fn paycore_hpp_form<'py>(
    py: Python<'py>,
    params: &Bound<'py, PyAny>,
    env: Option<&str>,
    base_url: Option<&str>,
    button_label: &str,
) -> PyResult<records::HppForm> {
    let (params, env) = hpp(py, params, env, base_url)?;
    let form = params.form(&env).py_err(py)?;
    Ok(records::HppForm::new(&form, button_label))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    runtime::install_fork_handler();
    runtime::register_exit_hook(m)?;
    logging::install();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(ecommpay_sign, m)?)?;
    m.add_function(wrap_pyfunction!(ecommpay_string_to_sign, m)?)?;
    m.add_function(wrap_pyfunction!(ecommpay_payment_page_url, m)?)?;
    m.add_function(wrap_pyfunction!(ecommpay_verify_callback, m)?)?;
    m.add_function(wrap_pyfunction!(ecommpay_natcmp, m)?)?;
    m.add_function(wrap_pyfunction!(ecommpay_php_float, m)?)?;
    m.add_function(wrap_pyfunction!(ecommpay_best_before, m)?)?;
    m.add_class::<EcommpayGate>()?;
    m.add_class::<models::EcommpayCallback>()?;
    m.add_class::<models::EcommpayOperation>()?;
    m.add_class::<ledger::LedgerEvent>()?;
    m.add_function(wrap_pyfunction!(paycore_sign_callback, m)?)?;
    m.add_function(wrap_pyfunction!(paycore_verify_signature, m)?)?;
    m.add_function(wrap_pyfunction!(paycore_verify_callback, m)?)?;
    m.add_function(wrap_pyfunction!(paycore_hpp_url, m)?)?;
    m.add_function(wrap_pyfunction!(paycore_hpp_form, m)?)?;
    m.add_function(wrap_pyfunction!(logging::set_log_level, m)?)?;
    m.add_class::<client::NativeClient>()?;
    m.add_class::<client::Operation>()?;
    m.add_class::<client::NativePager>()?;
    m.add_class::<client::CancelToken>()?;
    m.add_class::<gate::NativeGateApi>()?;
    m.add_class::<gate::GateOperation>()?;
    m.add_class::<gate::GateAccepted>()?;
    m.add_class::<gate::GatePayment>()?;
    records::add_classes(m)?;
    m.add_function(wrap_pyfunction!(records::record_stubs, m)?)?;
    m.add_function(wrap_pyfunction!(records::open_enums_source, m)?)?;
    Ok(())
}
