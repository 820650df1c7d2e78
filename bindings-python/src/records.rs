//! The core's models as frozen Python classes, expanded from the core's record table, with
//! their stubs: [`record_stubs`] is the `_native.pyi` text of every record, which
//! `tests/test_stubs.py` compares with the file (and `mypy.stubtest` checks the file against the
//! module). Money is `decimal.Decimal`, times are aware `datetime`s (UTC), objects the gateway
//! sent are dicts (key order kept, integers as `int`, other numbers as `Decimal`).

use chrono::{DateTime, Utc};
use polypay::paycore::client::{Item, Outcome, Response};
use polypay::paycore::model;
use pyo3::prelude::*;
use pyo3::types::PyList;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::convert::{decimal_to_py, map_to_py, to_py};

/// Converts a core field to its Python record type; the target is the field's type.
trait Lower<T> {
    fn lower(&self, py: Python<'_>) -> PyResult<T>;
}

impl Lower<String> for String {
    fn lower(&self, _: Python<'_>) -> PyResult<String> {
        Ok(self.clone())
    }
}

impl Lower<bool> for bool {
    fn lower(&self, _: Python<'_>) -> PyResult<bool> {
        Ok(*self)
    }
}

impl Lower<Py<PyAny>> for Decimal {
    fn lower(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        decimal_to_py(py, self)
    }
}

impl Lower<DateTime<Utc>> for DateTime<Utc> {
    fn lower(&self, _: Python<'_>) -> PyResult<DateTime<Utc>> {
        Ok(*self)
    }
}

impl Lower<Py<PyAny>> for Map<String, Value> {
    fn lower(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(map_to_py(py, self)?.into_any().unbind())
    }
}

impl Lower<Py<PyAny>> for Vec<Value> {
    fn lower(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let list = PyList::empty(py);
        for item in self {
            list.append(to_py(py, item)?)?;
        }
        Ok(list.into_any().unbind())
    }
}

impl<C: Lower<R>, R> Lower<Option<R>> for Option<C> {
    fn lower(&self, py: Python<'_>) -> PyResult<Option<R>> {
        self.as_ref().map(|c| c.lower(py)).transpose()
    }
}

impl<C: Lower<R>, R> Lower<Vec<R>> for Vec<C> {
    fn lower(&self, py: Python<'_>) -> PyResult<Vec<R>> {
        self.iter().map(|c| c.lower(py)).collect()
    }
}

// Open enums are their text (a value this SDK does not know stays as sent).
macro_rules! lower_open_enums {
    ($( $(#[$doc:meta])* $name:ident { $($variants:tt)* } )*) => {$(
        impl Lower<String> for model::$name {
            fn lower(&self, _: Python<'_>) -> PyResult<String> {
                Ok(self.as_str().to_owned())
            }
        }
    )*};
}

polypay::paycore_open_enums!(lower_open_enums);

/// What the HTTP exchange said about a result.
#[pyclass(module = "polypay", frozen, get_all, eq)]
#[derive(PartialEq)]
pub struct ResponseInfo {
    http_status: u16,
    request_id: Option<String>,
    /// Found by `reference_id` after an attempt whose outcome was unknown (or a 409).
    reconciled: bool,
}

#[pymethods]
impl ResponseInfo {
    fn __repr__(&self) -> String {
        format!(
            "ResponseInfo(http_status={}, request_id={}, reconciled={})",
            self.http_status,
            self.request_id
                .as_ref()
                .map_or("None".to_owned(), |r| format!("'{r}'")),
            if self.reconciled { "True" } else { "False" },
        )
    }
}

fn response_info<T>(py: Python<'_>, response: &Response<T>) -> PyResult<Py<ResponseInfo>> {
    Py::new(
        py,
        ResponseInfo {
            http_status: response.http_status,
            request_id: response.request_id.clone(),
            reconciled: response.reconciled,
        },
    )
}

/// `repr` of a record: its name and the `repr` of each field named (not `raw`/`response`).
fn record_repr(record: &Bound<'_, PyAny>, name: &str, fields: &[&str]) -> PyResult<String> {
    let mut parts = Vec::with_capacity(fields.len());
    for field in fields {
        parts.push(format!("{field}={}", record.getattr(*field)?.repr()?));
    }
    Ok(format!("{name}({})", parts.join(", ")))
}

// One frozen class per model. The munching rules turn each field's kind into the stored Rust
// type, its stub type, and its value from the core's model (`$m`).
macro_rules! python_records {
    ($( $(#[$doc:meta])* $name:ident $role:ident {
        $( $field:ident: $kind:ident $(($inner:ident))? ),* $(,)?
    } derived { $( $derived:ident ),* } )*) => {
        $( python_records!(@munch m py [$(#[$doc])* $name $role { $($derived)* } { $($field)* }] [] [] [] $( $field $kind $(($inner))?, )*); )*

        /// Registers every record class.
        pub fn add_classes(module: &Bound<'_, PyModule>) -> PyResult<()> {
            module.add_class::<ResponseInfo>()?;
            module.add_class::<CallbackEvent>()?;
            $( module.add_class::<$name>()?; )*
            Ok(())
        }

        /// The `_native.pyi` text of the records, in table order.
        pub const RECORD_STUBS: &[&str] = &[$( $name::STUB, )*];
    };
    (@munch $m:ident $py:ident $head:tt [$($decl:tt)*] [$($init:tt)*] [$($stub:tt)*] $field:ident Text, $($rest:tt)*) => {
        python_records!(@munch $m $py $head [$($decl)* $field: String,] [$($init)* $field: $m.$field.lower($py)?,] [$($stub)* $field ["str"]] $($rest)*);
    };
    (@munch $m:ident $py:ident $head:tt [$($decl:tt)*] [$($init:tt)*] [$($stub:tt)*] $field:ident OptText, $($rest:tt)*) => {
        python_records!(@munch $m $py $head [$($decl)* $field: Option<String>,] [$($init)* $field: $m.$field.lower($py)?,] [$($stub)* $field ["Optional[str]"]] $($rest)*);
    };
    (@munch $m:ident $py:ident $head:tt [$($decl:tt)*] [$($init:tt)*] [$($stub:tt)*] $field:ident OptBool, $($rest:tt)*) => {
        python_records!(@munch $m $py $head [$($decl)* $field: Option<bool>,] [$($init)* $field: $m.$field,] [$($stub)* $field ["Optional[bool]"]] $($rest)*);
    };
    (@munch $m:ident $py:ident $head:tt [$($decl:tt)*] [$($init:tt)*] [$($stub:tt)*] $field:ident OptMoney, $($rest:tt)*) => {
        python_records!(@munch $m $py $head [$($decl)* $field: Option<Py<PyAny>>,] [$($init)* $field: $m.$field.lower($py)?,] [$($stub)* $field ["Optional[Decimal]"]] $($rest)*);
    };
    (@munch $m:ident $py:ident $head:tt [$($decl:tt)*] [$($init:tt)*] [$($stub:tt)*] $field:ident OptTime, $($rest:tt)*) => {
        python_records!(@munch $m $py $head [$($decl)* $field: Option<DateTime<Utc>>,] [$($init)* $field: $m.$field.lower($py)?,] [$($stub)* $field ["Optional[datetime]"]] $($rest)*);
    };
    (@munch $m:ident $py:ident $head:tt [$($decl:tt)*] [$($init:tt)*] [$($stub:tt)*] $field:ident JsonMap, $($rest:tt)*) => {
        python_records!(@munch $m $py $head [$($decl)* $field: Py<PyAny>,] [$($init)* $field: $m.$field.lower($py)?,] [$($stub)* $field ["Dict[str, Any]"]] $($rest)*);
    };
    (@munch $m:ident $py:ident $head:tt [$($decl:tt)*] [$($init:tt)*] [$($stub:tt)*] $field:ident JsonList, $($rest:tt)*) => {
        python_records!(@munch $m $py $head [$($decl)* $field: Py<PyAny>,] [$($init)* $field: $m.$field.lower($py)?,] [$($stub)* $field ["List[Any]"]] $($rest)*);
    };
    (@munch $m:ident $py:ident $head:tt [$($decl:tt)*] [$($init:tt)*] [$($stub:tt)*] $field:ident Enum($inner:ident), $($rest:tt)*) => {
        python_records!(@munch $m $py $head [$($decl)* $field: String,] [$($init)* $field: $m.$field.lower($py)?,] [$($stub)* $field ["str"]] $($rest)*);
    };
    (@munch $m:ident $py:ident $head:tt [$($decl:tt)*] [$($init:tt)*] [$($stub:tt)*] $field:ident OptEnum($inner:ident), $($rest:tt)*) => {
        python_records!(@munch $m $py $head [$($decl)* $field: Option<String>,] [$($init)* $field: $m.$field.lower($py)?,] [$($stub)* $field ["Optional[str]"]] $($rest)*);
    };
    (@munch $m:ident $py:ident $head:tt [$($decl:tt)*] [$($init:tt)*] [$($stub:tt)*] $field:ident OptRecord($inner:ident), $($rest:tt)*) => {
        python_records!(@munch $m $py $head [$($decl)* $field: Option<Py<$inner>>,] [$($init)* $field: $m.$field.as_ref().map(|v| $inner::py($py, v)).transpose()?,] [$($stub)* $field ["Optional[", stringify!($inner), "]"]] $($rest)*);
    };
    (@munch $m:ident $py:ident $head:tt [$($decl:tt)*] [$($init:tt)*] [$($stub:tt)*] $field:ident List($inner:ident), $($rest:tt)*) => {
        python_records!(@munch $m $py $head [$($decl)* $field: Vec<Py<$inner>>,] [$($init)* $field: $m.$field.iter().map(|v| $inner::py($py, v)).collect::<PyResult<_>>()?,] [$($stub)* $field ["List[", stringify!($inner), "]"]] $($rest)*);
    };
    (@munch $m:ident $py:ident [$(#[$doc:meta])* $name:ident Resource { $($derived:ident)* } { $($shown:ident)* }] [$($decl:tt)*] [$($init:tt)*] [$($sfield:ident [$($stype:tt)*])*]) => {
        $(#[$doc])*
        #[pyclass(module = "polypay", frozen, get_all)]
        pub struct $name {
            $($decl)*
            $( $derived: bool, )*
            /// The resource as received (for a callback, the whole document).
            raw: Py<PyAny>,
            /// What the HTTP exchange said (`None` on callbacks, list items and lookups).
            response: Option<Py<ResponseInfo>>,
        }

        impl $name {
            const STUB: &'static str = concat!(
                "@final\nclass ", stringify!($name), ":\n",
                $( "    @property\n    def ", stringify!($sfield), "(self) -> ", $($stype)*, ": ...\n", )*
                $( "    @property\n    def ", stringify!($derived), "(self) -> bool: ...\n", )*
                "    @property\n    def raw(self) -> Dict[str, Any]: ...\n",
                "    @property\n    def response(self) -> Optional[ResponseInfo]: ...\n",
            );

            /// The record of a model, its `raw` the model's own.
            pub fn py($py: Python<'_>, $m: &model::$name) -> PyResult<Py<$name>> {
                Self::build($py, $m, to_py($py, &$m.raw)?, None)
            }

            /// The record of a call's answer, with the response's facts.
            pub fn answered($py: Python<'_>, response: &Response<model::$name>) -> PyResult<Py<PyAny>> {
                let info = response_info($py, response)?;
                Ok(Self::build($py, &response.data, to_py($py, &response.data.raw)?, Some(info))?.into_any())
            }

            /// The record of a model with the given `raw` and response.
            pub fn build(
                $py: Python<'_>,
                $m: &model::$name,
                raw: Py<PyAny>,
                response: Option<Py<ResponseInfo>>,
            ) -> PyResult<Py<$name>> {
                Py::new($py, $name { $($init)* $( $derived: $m.$derived(), )* raw, response })
            }
        }

        #[pymethods]
        impl $name {
            fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
                record_repr(slf.as_any(), stringify!($name), &[$( stringify!($shown), )* $( stringify!($derived), )*])
            }
        }
    };
    (@munch $m:ident $py:ident [$(#[$doc:meta])* $name:ident Part { $($derived:ident)* } { $($shown:ident)* }] [$($decl:tt)*] [$($init:tt)*] [$($sfield:ident [$($stype:tt)*])*]) => {
        $(#[$doc])*
        #[pyclass(module = "polypay", frozen, get_all)]
        pub struct $name {
            $($decl)*
            $( $derived: bool, )*
        }

        impl $name {
            const STUB: &'static str = concat!(
                "@final\nclass ", stringify!($name), ":\n",
                $( "    @property\n    def ", stringify!($sfield), "(self) -> ", $($stype)*, ": ...\n", )*
                $( "    @property\n    def ", stringify!($derived), "(self) -> bool: ...\n", )*
            );

            /// The record of a model.
            pub fn py($py: Python<'_>, $m: &model::$name) -> PyResult<Py<$name>> {
                Py::new($py, $name { $($init)* $( $derived: $m.$derived(), )* })
            }
        }

        #[pymethods]
        impl $name {
            fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
                record_repr(slf.as_any(), stringify!($name), &[$( stringify!($shown), )* $( stringify!($derived), )*])
            }
        }
    };
}

polypay::paycore_records!(python_records);

/// A call's answer: its record with the response's facts, or `None` for a lookup that found
/// nothing.
pub fn answer(py: Python<'_>, outcome: Outcome) -> PyResult<Py<PyAny>> {
    match outcome {
        Outcome::Prerequest(r) => Prerequest::answered(py, &r),
        Outcome::PaymentInvoice(r) => PaymentInvoice::answered(py, &r),
        Outcome::PayoutInvoice(r) => PayoutInvoice::answered(py, &r),
        Outcome::Refund(r) => Refund::answered(py, &r),
        Outcome::PaymentService(r) => PaymentService::answered(py, &r),
        Outcome::Balances(r) => Balances::answered(py, &r),
        Outcome::Found(None) => Ok(py.None()),
        Outcome::Found(Some(item)) => list_item(py, &item),
    }
}

/// An item of a list, as its record.
pub fn list_item(py: Python<'_>, item: &Item) -> PyResult<Py<PyAny>> {
    Ok(match item {
        Item::PaymentInvoice(i) => PaymentInvoice::py(py, i)?.into_any(),
        Item::PayoutInvoice(i) => PayoutInvoice::py(py, i)?.into_any(),
        Item::PaymentService(s) => PaymentService::py(py, s)?.into_any(),
    })
}

/// A verified PayCore callback, in the shape every binding shows: `invoice` is the payment or
/// payout invoice (`None` for resource types the core does not model), `raw` the whole document.
#[pyclass(module = "polypay", frozen, get_all)]
pub struct CallbackEvent {
    event_type: String,
    id: String,
    status: String,
    is_final: bool,
    is_success: bool,
    invoice: Option<Py<PyAny>>,
    raw: Py<PyAny>,
}

#[pymethods]
impl CallbackEvent {
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let fields = [
            "event_type",
            "id",
            "status",
            "is_final",
            "is_success",
            "invoice",
        ];
        record_repr(slf.as_any(), "CallbackEvent", &fields)
    }
}

impl CallbackEvent {
    pub fn py(py: Python<'_>, event: &polypay::paycore::CallbackEvent) -> PyResult<Py<Self>> {
        use polypay::paycore::CallbackEvent as Core;
        let invoice = match event {
            Core::PaymentInvoice { invoice, .. } => {
                Some(PaymentInvoice::py(py, invoice)?.into_any())
            }
            Core::PayoutInvoice { invoice, .. } => Some(PayoutInvoice::py(py, invoice)?.into_any()),
            _ => None,
        };
        Py::new(
            py,
            CallbackEvent {
                event_type: event.event_type().to_owned(),
                id: event.id().to_owned(),
                status: event.status().to_owned(),
                is_final: event.is_final(),
                is_success: event.is_success(),
                invoice,
                raw: to_py(py, event.raw())?,
            },
        )
    }
}

/// The `_native.pyi` text of the records (see the module docs).
#[pyfunction]
pub fn record_stubs() -> String {
    RECORD_STUBS.join("\n")
}
