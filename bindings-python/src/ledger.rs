//! The exactly-once rule of the core (`polypay::ledger`) as a frozen class; the ledgers that
//! store what was applied live in Python (`polypay.ledger`, `polypay.django`).

use polypay::ledger::{self, Applied, Lifecycle};
use pyo3::prelude::*;

use crate::errors::IntoPyResult;

/// A verified callback as the ledger sees it: `kind` (`paycore.payment`, `paycore.payout`,
/// `ecommpay.payment`, `ecommpay.operation`), `entity_id`, the canonical `status`, and `time`
/// (the gateway's time of this state, unix seconds, when the callback has one).
#[pyclass(module = "polypay", frozen, eq, hash, get_all)]
#[derive(PartialEq, Eq, Hash)]
pub struct LedgerEvent {
    kind: &'static str,
    entity_id: String,
    status: String,
    time: Option<i64>,
}

impl LedgerEvent {
    pub fn from_core(event: Option<ledger::LedgerEvent>) -> Option<LedgerEvent> {
        event.map(|e| LedgerEvent {
            kind: e.lifecycle.as_str(),
            entity_id: e.entity_id,
            status: e.status,
            time: e.time,
        })
    }

    fn core(&self) -> ledger::LedgerEvent {
        ledger::LedgerEvent {
            lifecycle: Lifecycle::parse(self.kind).expect("a kind of Lifecycle::ALL"),
            entity_id: self.entity_id.clone(),
            status: self.status.clone(),
            time: self.time,
        }
    }
}

#[pymethods]
impl LedgerEvent {
    #[new]
    #[pyo3(signature = (kind, entity_id, status, time=None))]
    fn new(
        py: Python<'_>,
        kind: &str,
        entity_id: &str,
        status: &str,
        time: Option<i64>,
    ) -> PyResult<Self> {
        let lifecycle = Lifecycle::parse(kind).py_err(py)?;
        let event = ledger::LedgerEvent::new(lifecycle, entity_id, status, time).py_err(py)?;
        Ok(LedgerEvent::from_core(Some(event)).expect("given"))
    }

    /// `"apply"`, `"duplicate"` or `"stale"`, given the status and time applied last for the
    /// entity (`None`: nothing yet).
    #[pyo3(signature = (last_status=None, last_time=None))]
    fn decide(&self, last_status: Option<String>, last_time: Option<i64>) -> &'static str {
        let last = last_status.map(|status| Applied {
            status,
            time: last_time,
        });
        self.core().decide(last.as_ref()).as_str()
    }

    fn __repr__(&self) -> String {
        format!(
            "LedgerEvent(kind={:?}, entity_id={:?}, status={:?}, time={})",
            self.kind,
            self.entity_id,
            self.status,
            self.time.map_or("None".to_owned(), |t| t.to_string())
        )
    }
}
