//! Python values <-> `serde_json::Value`, by hand: the core's serde_json keeps key order and exact
//! number lexemes (`preserve_order` + `arbitrary_precision`), which generic converters lose.
//!
//! In: dict/Mapping (str keys only), list/tuple, str, int (exact digits), bool, None,
//! `decimal.Decimal` (its exact text) and, only where allowed, float (shortest repr). Depth is
//! capped at 64 containers. Out: int for integer lexemes, `Decimal` for every other number (money
//! never becomes a binary float), str, bool, None, list, dict (order kept).

use std::str::FromStr;

use polypay::ecommpay::{Canonical, Params, Scalar};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMapping, PyMemoryView,
    PyString, PyTuple, PyType,
};
use serde_json::{Map, Number, Value};

pub const MAX_DEPTH: usize = 64;

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

pub fn decimal_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DECIMAL.import(py, "decimal", "Decimal")
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Floats {
    /// Floats are PHP floats to ecommpay: signed with PHP's float formatting.
    Allow,
    /// Money APIs: a float is refused with a TypeError (use Decimal or str).
    Refuse,
}

struct Ctx<'a> {
    argument: &'a str,
    floats: Floats,
    path: Vec<String>,
}

impl Ctx<'_> {
    fn where_(&self) -> String {
        let mut out = self.argument.to_owned();
        for seg in &self.path {
            out.push('[');
            out.push_str(seg);
            out.push(']');
        }
        out
    }
}

/// Converts a mapping argument (`params`, `fields`, ...) to a JSON object.
pub fn to_object(
    obj: &Bound<'_, PyAny>,
    argument: &str,
    floats: Floats,
) -> PyResult<Map<String, Value>> {
    let mut ctx = Ctx {
        argument,
        floats,
        path: Vec::new(),
    };
    if obj.is_instance_of::<PyDict>() || obj.cast::<PyMapping>().is_ok() {
        match convert(obj, &mut ctx, 1)? {
            Value::Object(map) => Ok(map),
            _ => unreachable!("a mapping converts to an object"),
        }
    } else {
        Err(crate::errors::type_error(
            argument,
            format!(
                "{argument} must be a mapping (dict), not {}",
                type_name(obj)
            ),
        ))
    }
}

/// Converts one value (a keyword argument) to JSON.
pub fn to_value(obj: &Bound<'_, PyAny>, argument: &str) -> PyResult<Value> {
    let mut ctx = Ctx {
        argument,
        floats: Floats::Allow,
        path: Vec::new(),
    };
    convert(obj, &mut ctx, 1)
}

pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

fn number(text: &str, ctx: &Ctx<'_>) -> PyResult<Value> {
    Number::from_str(text).map(Value::Number).map_err(|_| {
        crate::errors::value_error(
            &ctx.where_(),
            format!("{}: {text} is not a finite number", ctx.where_()),
        )
    })
}

fn convert(obj: &Bound<'_, PyAny>, ctx: &mut Ctx<'_>, depth: usize) -> PyResult<Value> {
    let py = obj.py();
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(owned(s)?));
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(i) = obj.cast::<PyInt>() {
        if let Ok(v) = i.extract::<i64>() {
            return Ok(Value::Number(v.into()));
        }
        let text = i.str()?;
        return number(&text.to_cow()?, ctx);
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return match ctx.floats {
            Floats::Refuse => Err(crate::errors::type_error(&ctx.where_(), format!(
                "{}: float is not accepted for money (binary floats are inexact); use decimal.Decimal or a str such as \"100.55\"",
                ctx.where_()
            ))),
            Floats::Allow => {
                let v = f.value();
                if !v.is_finite() {
                    return Err(crate::errors::value_error(&ctx.where_(), format!(
                        "{}: {v} is not a finite number",
                        ctx.where_()
                    )));
                }
                let text = f.repr()?;
                number(&text.to_cow()?, ctx)
            }
        };
    }
    if obj.is_instance(decimal_type(py)?)? {
        let text = obj.str()?;
        return number(&text.to_cow()?, ctx);
    }
    if depth >= MAX_DEPTH {
        return Err(crate::errors::value_error(
            &ctx.where_(),
            format!("{}: nested deeper than {MAX_DEPTH} levels", ctx.where_()),
        ));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = Map::with_capacity(dict.len());
        for (k, v) in dict.iter() {
            let key = dict_key(&k, ctx)?;
            ctx.path.push(key.clone());
            let value = convert(&v, ctx, depth + 1)?;
            ctx.path.pop();
            map.insert(key, value);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for (i, item) in obj.try_iter()?.enumerate() {
            ctx.path.push(i.to_string());
            out.push(convert(&item?, ctx, depth + 1)?);
            ctx.path.pop();
        }
        return Ok(Value::Array(out));
    }
    if let Ok(mapping) = obj.cast::<PyMapping>() {
        let mut map = Map::new();
        for item in mapping.items()?.iter() {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
            let key = dict_key(&k, ctx)?;
            ctx.path.push(key.clone());
            let value = convert(&v, ctx, depth + 1)?;
            ctx.path.pop();
            map.insert(key, value);
        }
        return Ok(Value::Object(map));
    }
    Err(crate::errors::type_error(
        &ctx.where_(),
        format!(
            "{}: {} is not supported (use dict, list, str, int, bool, None or Decimal)",
            ctx.where_(),
            type_name(obj)
        ),
    ))
}

fn dict_key(key: &Bound<'_, PyAny>, ctx: &Ctx<'_>) -> PyResult<String> {
    match key.cast::<PyString>() {
        Ok(s) => owned(s),
        Err(_) => Err(crate::errors::type_error(
            &ctx.where_(),
            format!("{}: keys must be str, not {}", ctx.where_(), type_name(key)),
        )),
    }
}

/// `Value` -> Python: integers as int, other numbers as `decimal.Decimal`.
pub fn to_py(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Null => py.None(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Value::String(s) => PyString::new(py, s).into_any().unbind(),
        Value::Number(n) => number_to_py(py, n)?,
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any().unbind()
        }
        Value::Object(map) => map_to_py(py, map)?.into_any().unbind(),
    })
}

pub fn map_to_py<'py>(py: Python<'py>, map: &Map<String, Value>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in map {
        dict.set_item(k, to_py(py, v)?)?;
    }
    Ok(dict)
}

fn number_to_py(py: Python<'_>, n: &Number) -> PyResult<Py<PyAny>> {
    if let Some(i) = n.as_i64() {
        return Ok(i.into_pyobject(py)?.into_any().unbind());
    }
    let text = n.as_str();
    if text.contains(['.', 'e', 'E']) {
        Ok(decimal_type(py)?.call1((text,))?.unbind())
    } else {
        Ok(py.get_type::<PyInt>().call1((text,))?.unbind())
    }
}

pub fn decimal_to_py(py: Python<'_>, d: &rust_decimal::Decimal) -> PyResult<Py<PyAny>> {
    Ok(decimal_type(py)?
        .call1((d.normalize().to_string(),))?
        .unbind())
}

/// Accepts `bytes`, `bytearray`, `memoryview` or `str` (encoded as UTF-8) as a raw body.
pub fn body_bytes(obj: &Bound<'_, PyAny>, argument: &str) -> PyResult<Vec<u8>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(owned(s)?.into_bytes());
    }
    if obj.is_instance_of::<PyDict>() || obj.is_instance_of::<PyList>() {
        return Err(crate::errors::type_error(argument, format!(
            "{argument} must be the raw request body (bytes or str, e.g. Django's request.body), not a parsed {}: re-serialised JSON no longer matches its signature",
            type_name(obj)
        )));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    obj.py()
        .get_type::<PyBytes>()
        .call1((obj,))
        .ok()
        .filter(|_| obj.is_instance_of::<PyMemoryView>())
        .and_then(|b| b.cast_into::<PyBytes>().ok())
        .map(|b| b.as_bytes().to_vec())
        .ok_or_else(|| {
            crate::errors::type_error(
                argument,
                format!("{argument} must be bytes or str, not {}", type_name(obj)),
            )
        })
}

/// A Python mapping fed straight to the ecommpay canonical form, with no `serde_json` document
/// in between (the hot path of signing). Anything unusual (a value it cannot read, an ignored
/// key holding a container, integer-like keys) takes the exact path through [`to_object`],
/// which also raises the precise error.
pub struct PyParams<'a, 'py> {
    pub obj: &'a Bound<'py, PyAny>,
    pub argument: &'a str,
}

/// Errors of [`PyParams`]: the exact path's Python exception, or a core error.
pub enum FeedError {
    Py(PyErr),
    Core(polypay::Error),
}

impl From<polypay::Error> for FeedError {
    fn from(e: polypay::Error) -> Self {
        FeedError::Core(e)
    }
}

impl FeedError {
    pub fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            FeedError::Py(e) => e,
            FeedError::Core(e) => crate::errors::to_pyerr(py, &e),
        }
    }
}

impl Params for PyParams<'_, '_> {
    type Error = FeedError;

    fn feed(&self, out: &mut Canonical) -> Result<(), FeedError> {
        match self.obj.cast::<PyDict>() {
            Ok(dict) if feed_dict(dict, out).is_some() => {}
            _ => out.require_map(),
        }
        Ok(())
    }

    fn to_map(&self) -> Result<Map<String, Value>, FeedError> {
        to_object(self.obj, self.argument, Floats::Allow).map_err(FeedError::Py)
    }
}

/// `None` sends the parameters to the exact path.
fn feed_dict(dict: &Bound<'_, PyDict>, out: &mut Canonical) -> Option<()> {
    for (key, value) in dict.iter() {
        let key = utf8(key.cast::<PyString>().ok()?)?;
        feed_value(key, &value, out)?;
    }
    Some(())
}

fn feed_value(key: &str, value: &Bound<'_, PyAny>, out: &mut Canonical) -> Option<()> {
    if value.is_none() {
        out.scalar(key, Scalar::Null);
    } else if let Ok(s) = value.cast::<PyString>() {
        out.scalar(key, Scalar::Str(utf8(s)?));
    } else if let Ok(b) = value.cast::<PyBool>() {
        out.scalar(key, Scalar::Bool(b.is_true()));
    } else if let Ok(i) = value.cast::<PyInt>() {
        out.scalar(key, Scalar::Int(i.extract::<i64>().ok()?));
    } else if let Ok(dict) = value.cast::<PyDict>() {
        // An ignored key's container is left to the exact path, which still checks its values.
        if !out.open(key, false).ok()? {
            return None;
        }
        feed_dict(dict, out)?;
        out.close();
    } else if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        if !out.open(key, true).ok()? {
            return None;
        }
        let mut index = itoa::Buffer::new();
        for (i, item) in value.try_iter().ok()?.enumerate() {
            feed_value(index.format(i), &item.ok()?, out)?;
        }
        out.close();
    } else {
        // Floats, Decimals, big ints, other mappings: rare in parameters, exact path.
        return None;
    }
    Some(())
}

/// A secret or other text argument. A lone surrogate (what `os.environ` holds for undecodable
/// bytes) is an `InvalidArgumentError` naming the argument: Python's own UnicodeEncodeError
/// would carry the value, the secret itself, in its repr.
pub fn text<'a>(s: &'a Bound<'_, PyString>, argument: &str) -> PyResult<&'a str> {
    utf8(s).ok_or_else(|| {
        crate::errors::invalid_value(
            "invalid_utf8",
            argument,
            format!("{argument} is not valid Unicode (a lone surrogate: undecodable bytes from the environment?)"),
        )
    })
}

/// A `str` as a Rust `String` (a lone surrogate raises Python's own UnicodeEncodeError).
fn owned(s: &Bound<'_, PyString>) -> PyResult<String> {
    match utf8(s) {
        Some(text) => Ok(text.to_owned()),
        None => Ok(s.to_cow()?.into_owned()),
    }
}

/// The UTF-8 text of a `str`, borrowed from the object's own cache. `PyString::to_str` is not
/// available under `abi3-py39` (the function joined the limited API in 3.10) and `to_cow`
/// then copies through a new `bytes` object for every key and value. The function itself has
/// been in every CPython 3 since 3.3, with the same signature, so calling it is sound.
fn utf8<'a>(s: &'a Bound<'_, PyString>) -> Option<&'a str> {
    extern "C" {
        fn PyUnicode_AsUTF8AndSize(
            unicode: *mut pyo3::ffi::PyObject,
            size: *mut pyo3::ffi::Py_ssize_t,
        ) -> *const std::os::raw::c_char;
    }
    let mut size: pyo3::ffi::Py_ssize_t = 0;
    // SAFETY: `s` is a live str; the returned buffer is owned by it and lives as long as it
    // does (we borrow it for 'a); NULL (lone surrogates) is an error, cleared below.
    let data = unsafe { PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut size) };
    if data.is_null() {
        // The exact path raises the UnicodeEncodeError itself.
        drop(PyErr::take(s.py()));
        return None;
    }
    let bytes = unsafe { std::slice::from_raw_parts(data.cast::<u8>(), size as usize) };
    // SAFETY: CPython guarantees valid UTF-8 here.
    Some(unsafe { std::str::from_utf8_unchecked(bytes) })
}
