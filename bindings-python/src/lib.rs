//! `polypay._native`: the thin pyo3 layer over the polypay core. Conversion and idiom only;
//! every rule lives in the core. The public API is the pure-Python package around it.

use polypay::ecommpay;
use polypay::paycore::{self, Environment, HppParams};
use pyo3::prelude::*;
use pyo3::types::PyString;

mod client;
mod convert;
mod errors;
mod logging;
mod models;
mod records;
mod runtime;

use convert::{body_bytes, text, to_object, Floats, PyParams};
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

/// PHP `(string)$float` (precision 14), as floats are signed.
#[pyfunction]
fn ecommpay_php_float(value: f64) -> String {
    ecommpay::php::float_to_string(value)
}

#[pyclass(module = "polypay._native", frozen)]
struct EcommpayGate {
    gate: ecommpay::Gate,
}

#[pymethods]
impl EcommpayGate {
    #[new]
    #[pyo3(signature = (project_id, secret_key, base_url=None))]
    fn new(
        py: Python<'_>,
        project_id: i64,
        secret_key: &Bound<'_, PyString>,
        base_url: Option<&str>,
    ) -> PyResult<Self> {
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

    /// The signed URL of a payment built from `fields` (`project_id` first, then
    /// `interface_type`, `payment_id`, then the rest in order; `booking_info` as a dict).
    fn payment_page_url(&self, py: Python<'_>, fields: &Bound<'_, PyAny>) -> PyResult<String> {
        let fields = to_object(fields, "payment", Floats::Allow)?;
        self.gate.payment_page_url_from_fields(fields).py_err(py)
    }

    /// The signed URL for raw parameters (nothing added).
    fn params_url(&self, py: Python<'_>, params: &Bound<'_, PyAny>) -> PyResult<String> {
        let params = to_object(params, "params", Floats::Allow)?;
        self.gate.params_url(&params).py_err(py)
    }

    fn sign(&self, py: Python<'_>, params: &Bound<'_, PyAny>) -> PyResult<String> {
        self.gate
            .sign_params(&py_params(params))
            .map_err(|e| e.into_py(py))
    }

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
    logging::install();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(ecommpay_sign, m)?)?;
    m.add_function(wrap_pyfunction!(ecommpay_string_to_sign, m)?)?;
    m.add_function(wrap_pyfunction!(ecommpay_payment_page_url, m)?)?;
    m.add_function(wrap_pyfunction!(ecommpay_verify_callback, m)?)?;
    m.add_function(wrap_pyfunction!(ecommpay_natcmp, m)?)?;
    m.add_function(wrap_pyfunction!(ecommpay_php_float, m)?)?;
    m.add_class::<EcommpayGate>()?;
    m.add_class::<models::EcommpayCallback>()?;
    m.add_class::<models::EcommpayOperation>()?;
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
    records::add_classes(m)?;
    m.add_function(wrap_pyfunction!(records::record_stubs, m)?)?;
    m.add_function(wrap_pyfunction!(records::open_enums_source, m)?)?;
    Ok(())
}
