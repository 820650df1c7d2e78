//! Exactly-once callbacks: the core's ledger rule (`polypay::ledger`) across the FFI. A verified
//! callback carries its `ledger_event`; `ledger_decide` says what it means for its entity given
//! the status and time the app's ledger row holds. The table and its locking live in the host
//! (Kotlin: `JdbcCallbackLedger`); the rule lives in the core, the same in every binding.

use polypay::ledger::{self, Applied, Lifecycle, Verdict};

use crate::error::Result;

/// A verified callback as the ledger sees it: one row per `(kind, entity_id)`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LedgerEvent {
    /// The entity's lifecycle: `paycore.payment`, `paycore.payout`, `ecommpay.payment` or
    /// `ecommpay.operation` (the ledger's `kind` column).
    pub kind: String,
    /// The invoice id (`cpi_…`, `cpo_…`), ecommpay `payment_id` or operation id.
    pub entity_id: String,
    /// The new status, canonical (aliases and case folded).
    pub status: String,
    /// The gateway's time of this state, unix seconds (PayCore `updated`, ecommpay
    /// `operation.date`), when the callback has one.
    pub time: Option<i64>,
}

impl From<&ledger::LedgerEvent> for LedgerEvent {
    fn from(e: &ledger::LedgerEvent) -> Self {
        LedgerEvent {
            kind: e.lifecycle.as_str().to_owned(),
            entity_id: e.entity_id.clone(),
            status: e.status.clone(),
            time: e.time,
        }
    }
}

/// What a delivery means for its entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum LedgerVerdict {
    /// A new state: run the handler and record it.
    Apply,
    /// The state applied last, delivered again: acknowledge, do nothing.
    Duplicate,
    /// Older than what was applied, or a move the lifecycle does not allow: acknowledge, do
    /// nothing.
    Stale,
}

impl From<Verdict> for LedgerVerdict {
    fn from(v: Verdict) -> Self {
        match v {
            Verdict::Apply => LedgerVerdict::Apply,
            Verdict::Duplicate => LedgerVerdict::Duplicate,
            Verdict::Stale => LedgerVerdict::Stale,
        }
    }
}

/// What `event` means given the entity's last applied `last_status` and `last_time` (both null:
/// nothing applied yet). An unknown `kind` or an empty `entity_id`/`status` is `InvalidInput`.
#[uniffi::export(default(last_status = None, last_time = None))]
pub fn ledger_decide(
    event: LedgerEvent,
    last_status: Option<String>,
    last_time: Option<i64>,
) -> Result<LedgerVerdict> {
    let lifecycle = Lifecycle::parse(&event.kind)?;
    let event = ledger::LedgerEvent::new(lifecycle, &event.entity_id, &event.status, event.time)?;
    let last = last_status.map(|status| Applied {
        status,
        time: last_time,
    });
    Ok(event.decide(last.as_ref()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, id: &str, status: &str, time: i64) -> LedgerEvent {
        LedgerEvent {
            kind: kind.into(),
            entity_id: id.into(),
            status: status.into(),
            time: Some(time),
        }
    }

    #[test]
    fn decides_with_the_core_rule_and_refuses_bad_parts() {
        let e = event("paycore.payment", "cpi_1", "SUCCESSFUL", 10);
        assert_eq!(
            ledger_decide(e.clone(), None, None).unwrap(),
            LedgerVerdict::Apply
        );
        let last = Some("processed".to_owned());
        assert_eq!(
            ledger_decide(e.clone(), last, Some(10)).unwrap(),
            LedgerVerdict::Duplicate
        );
        let refunded = Some("refunded".to_owned());
        assert_eq!(
            ledger_decide(e, refunded, Some(5)).unwrap(),
            LedgerVerdict::Stale
        );
        let bad = ledger_decide(event("paycore", "cpi_1", "processed", 1), None, None);
        assert!(
            matches!(bad, Err(crate::PolypayError::InvalidInput { ref code, .. }) if code == "unknown_kind")
        );
        let empty = ledger_decide(event("paycore.payment", " ", "processed", 1), None, None);
        assert!(
            matches!(empty, Err(crate::PolypayError::InvalidInput { ref code, .. }) if code == "missing")
        );
    }
}
