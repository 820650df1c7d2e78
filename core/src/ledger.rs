//! Exactly-once callbacks: the pure rule that decides whether a verified callback changes what a
//! shop has applied for an entity (an invoice, a payment, an operation), repeats it, or is older.
//!
//! Gateways deliver callbacks at least once, in no set order (paycore-api docs §5 "Ordering":
//! "use the `updated` attribute … duplicates happen"; ecommpay retries until it gets a 200). Each
//! binding keeps a ledger row per entity in the app's own database (the table
//! [`TABLE`]), locks it in the transaction of the merchant's handler, and asks [`decide`] what the
//! delivery means; this module owns the rule so that every language applies the same one.
//!
//! The rule, with the last applied status and time of the entity:
//! - nothing applied yet: apply;
//! - the same status again: a duplicate, unless the status is a resting point of a process that
//!   can run again (a second partial refund, another failed refund) and the event is newer;
//! - after a terminal status (failed, expired, refunded, …): nothing moves the entity any more;
//! - a later stage of the lifecycle: apply, whatever the times say (callbacks carry whole
//!   seconds, so fast transitions share a time);
//! - the same stage: apply only when the last status is not final and the event is newer;
//! - an earlier stage: stale, except a new round of a process that can run again (a refund after
//!   a partial refund), when newer;
//! - a status this version does not know, on either side: apply only when newer.

use chrono::DateTime;

use crate::ecommpay::{OperationStatus, PaymentStatus};
use crate::error::{Error, Result};
use crate::paycore::model::{PaymentInvoiceStatus, PayoutInvoiceStatus};

/// The ledger's table in every binding: `kind`, `entity_id` (together unique), `status`, `time`.
pub const TABLE: &str = "polypay_callback_ledger";

/// Which documented lifecycle an entity follows; its text is the ledger's `kind` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lifecycle {
    /// A PayCore payment invoice (`cpi_…`; paycore-api docs §4.1).
    PaycorePayment,
    /// A PayCore payout invoice (`cpo_…`; §4.2).
    PaycorePayout,
    /// An ecommpay payment, by the merchant's `payment_id` (`payment.status`).
    EcommpayPayment,
    /// An ecommpay operation, by its `operation.id` (`operation.status`).
    EcommpayOperation,
}

impl Lifecycle {
    pub const ALL: [Lifecycle; 4] = [
        Lifecycle::PaycorePayment,
        Lifecycle::PaycorePayout,
        Lifecycle::EcommpayPayment,
        Lifecycle::EcommpayOperation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::PaycorePayment => "paycore.payment",
            Lifecycle::PaycorePayout => "paycore.payout",
            Lifecycle::EcommpayPayment => "ecommpay.payment",
            Lifecycle::EcommpayOperation => "ecommpay.operation",
        }
    }

    pub fn parse(text: &str) -> Result<Lifecycle> {
        Lifecycle::ALL
            .into_iter()
            .find(|l| l.as_str() == text)
            .ok_or_else(|| {
                let known: Vec<_> = Lifecycle::ALL.iter().map(|l| l.as_str()).collect();
                Error::invalid(
                    "kind",
                    "unknown_kind",
                    format!("must be one of {}, got {text:?}", known.join(", ")),
                )
            })
    }

    /// The status's canonical text (aliases and case folded: `SUCCESSFUL` → `processed`).
    pub fn canonical_status(self, status: &str) -> String {
        match self {
            Lifecycle::PaycorePayment => PaymentInvoiceStatus::parse(status).as_str().to_owned(),
            Lifecycle::PaycorePayout => PayoutInvoiceStatus::parse(status).as_str().to_owned(),
            Lifecycle::EcommpayPayment => PaymentStatus::parse(status).as_str().to_owned(),
            Lifecycle::EcommpayOperation => OperationStatus::parse(status).as_str().to_owned(),
        }
    }

    fn stage(self, status: &str) -> Option<Stage> {
        match self {
            Lifecycle::PaycorePayment => paycore_payment(&PaymentInvoiceStatus::parse(status)),
            Lifecycle::PaycorePayout => paycore_payout(&PayoutInvoiceStatus::parse(status)),
            Lifecycle::EcommpayPayment => ecommpay_payment(&PaymentStatus::parse(status)),
            Lifecycle::EcommpayOperation => ecommpay_operation(&OperationStatus::parse(status)),
        }
    }
}

/// A verified callback as the ledger sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEvent {
    pub lifecycle: Lifecycle,
    pub entity_id: String,
    /// Canonical (see [`Lifecycle::canonical_status`]).
    pub status: String,
    /// The gateway's time of this state, in unix seconds (PayCore `updated`, ecommpay
    /// `operation.date`), when the callback has one.
    pub time: Option<i64>,
}

/// What the ledger holds for an entity: the status applied last and its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub status: String,
    pub time: Option<i64>,
}

/// What a delivery means for the entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// A new state: run the handler and record it.
    Apply,
    /// The state applied last, delivered again.
    Duplicate,
    /// Older than what was applied, or a move the lifecycle does not allow.
    Stale,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Apply => "apply",
            Verdict::Duplicate => "duplicate",
            Verdict::Stale => "stale",
        }
    }
}

impl LedgerEvent {
    /// Checks the parts: a non-empty entity id and status (the status is made canonical).
    pub fn new(
        lifecycle: Lifecycle,
        entity_id: &str,
        status: &str,
        time: Option<i64>,
    ) -> Result<LedgerEvent> {
        for (argument, value) in [("entity_id", entity_id), ("status", status)] {
            if value.trim().is_empty() {
                return Err(Error::invalid(argument, "missing", "must not be empty"));
            }
        }
        Ok(LedgerEvent {
            lifecycle,
            entity_id: entity_id.to_owned(),
            status: lifecycle.canonical_status(status),
            time,
        })
    }

    /// What this event is for its entity, given what was applied last (`None`: nothing yet).
    pub fn decide(&self, last: Option<&Applied>) -> Verdict {
        let Some(last) = last else {
            return Verdict::Apply;
        };
        let newer = matches!((self.time, last.time), (Some(a), Some(b)) if a > b);
        let old = self.lifecycle.stage(&last.status);
        if self.status == self.lifecycle.canonical_status(&last.status) {
            let repeats = matches!(old, Some(Stage { again: Some(_), .. }));
            return if repeats && newer {
                Verdict::Apply
            } else {
                Verdict::Duplicate
            };
        }
        let apply_if = |yes: bool| if yes { Verdict::Apply } else { Verdict::Stale };
        match (self.lifecycle.stage(&self.status), old) {
            (_, Some(old)) if old.end == End::Terminal => Verdict::Stale,
            (Some(new), Some(old)) if new.rank > old.rank => Verdict::Apply,
            (Some(new), Some(old)) if new.rank == old.rank => {
                apply_if(newer && (old.end == End::Open || old.again.is_some()))
            }
            (Some(new), Some(old)) => apply_if(newer && old.again.is_some_and(|f| new.rank >= f)),
            _ => apply_if(newer),
        }
    }
}

/// [`LedgerEvent::decide`] as a function of its parts.
pub fn decide(event: &LedgerEvent, last: Option<&Applied>) -> Verdict {
    event.decide(last)
}

/// An ecommpay date (`2024-05-14T10:22:41+0000`, or RFC 3339) in unix seconds.
pub(crate) fn ecommpay_time(text: &str) -> Option<i64> {
    let text = text.trim();
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|t| t.timestamp())
}

/// Where a status sits in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stage {
    rank: u8,
    end: End,
    /// A resting point of a process that can run again (refunds, cancels): the same status with
    /// a newer time is a new change, and a newer status down to this rank starts another round.
    again: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// More is expected.
    Open,
    /// An outcome, which may still be followed by a later stage (a refund after `processed`),
    /// but never by another outcome of its own stage.
    Final,
    /// Nothing follows.
    Terminal,
}

const fn at(rank: u8, end: End) -> Option<Stage> {
    Some(Stage {
        rank,
        end,
        again: None,
    })
}

/// Final, and a new round of its process may start again from `floor`.
const fn again(rank: u8, floor: u8) -> Option<Stage> {
    Some(Stage {
        rank,
        end: End::Final,
        again: Some(floor),
    })
}

fn paycore_payment(status: &PaymentInvoiceStatus) -> Option<Stage> {
    use End::*;
    use PaymentInvoiceStatus::*;
    match status {
        Created => at(0, Open),
        Processing | ProcessPending | ProcessError | PartiallyProcessed => at(1, Open),
        Processed => at(2, Final),
        ProcessFailed | Expired | Terminated => at(2, Terminal),
        Refunding | RefundPending | RefundError => at(3, Open),
        PartiallyRefunded | RefundFailed | PartiallyChargedBack => again(4, 3),
        Refunded | ChargedBack => at(5, Terminal),
        Other(_) => None,
    }
}

fn paycore_payout(status: &PayoutInvoiceStatus) -> Option<Stage> {
    use End::*;
    use PayoutInvoiceStatus::*;
    match status {
        Created => at(0, Open),
        Processing | ProcessPending | ProcessError | PartiallyProcessed => at(1, Open),
        Processed => at(2, Final),
        ProcessFailed | Expired | Terminated => at(2, Terminal),
        Canceling | CancelPending | CancelError => at(3, Open),
        PartiallyCanceled | CancelFailed => again(4, 3),
        Canceled => at(5, Terminal),
        Other(_) => None,
    }
}

fn ecommpay_payment(status: &PaymentStatus) -> Option<Stage> {
    use End::*;
    use PaymentStatus::*;
    match status {
        Processing
        | Awaiting3dsResult
        | AwaitingRedirectResult
        | AwaitingCustomer
        | AwaitingClarification => at(1, Open),
        // A two-step payment, authorised: captured (`success`) or cancelled next.
        AwaitingCapture => at(2, Open),
        Success => at(3, Final),
        Decline | Canceled | Expired | Error | InternalError | ExternalError => at(3, Terminal),
        PartiallyRefunded | PartiallyReversed => again(4, 4),
        Refunded | Reversed => at(5, Terminal),
        Other(_) => None,
    }
}

fn ecommpay_operation(status: &OperationStatus) -> Option<Stage> {
    use End::*;
    use OperationStatus::*;
    match status {
        Processing
        | AwaitingApproval
        | Awaiting3dsResult
        | AwaitingRedirectResult
        | AwaitingCustomer
        | ExternalProcessing => at(1, Open),
        Success | Decline | Expired | ExternalError | InternalError => at(2, Terminal),
        Unknown | Other(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Verdict::*;

    fn event(lifecycle: Lifecycle, status: &str, time: i64) -> LedgerEvent {
        LedgerEvent::new(lifecycle, "id-1", status, Some(time)).unwrap()
    }

    fn applied(status: &str, time: i64) -> Applied {
        Applied {
            status: status.to_owned(),
            time: Some(time),
        }
    }

    /// Plays `deliveries` (status, time) in order and returns each verdict, recording applied ones.
    fn play(lifecycle: Lifecycle, deliveries: &[(&str, i64)]) -> Vec<Verdict> {
        let mut last: Option<Applied> = None;
        deliveries
            .iter()
            .map(|&(status, time)| {
                let e = event(lifecycle, status, time);
                let verdict = e.decide(last.as_ref());
                if verdict == Apply {
                    last = Some(Applied {
                        status: e.status.clone(),
                        time: e.time,
                    });
                }
                verdict
            })
            .collect()
    }

    #[test]
    fn the_first_delivery_applies_and_a_repeat_is_a_duplicate() {
        let e = event(Lifecycle::PaycorePayment, "processed", 100);
        assert_eq!(e.decide(None), Apply);
        assert_eq!(e.decide(Some(&applied("processed", 100))), Duplicate);
        // A redelivery whose `updated` moved (the gateway touched the invoice) is still the same
        // state: `processed` is not a status that can come again.
        let later = event(Lifecycle::PaycorePayment, "processed", 160);
        assert_eq!(later.decide(Some(&applied("processed", 100))), Duplicate);
    }

    #[test]
    fn aliases_and_case_are_the_same_status() {
        let e = event(Lifecycle::PaycorePayment, "SUCCESSFUL", 100);
        assert_eq!(e.status, "processed");
        assert_eq!(e.decide(Some(&applied("processed", 100))), Duplicate);
        let cancelled = event(Lifecycle::EcommpayPayment, "cancelled", 5);
        assert_eq!(cancelled.decide(Some(&applied("canceled", 5))), Duplicate);
    }

    #[test]
    fn final_states_never_regress_whatever_the_times_say() {
        // An old `processed` replayed after `refunded`, even with a newer time.
        let old = event(Lifecycle::PaycorePayment, "processed", 500);
        assert_eq!(old.decide(Some(&applied("refunded", 100))), Stale);
        // One outcome never turns into another.
        let failed = event(Lifecycle::PaycorePayment, "process_failed", 500);
        assert_eq!(failed.decide(Some(&applied("processed", 100))), Stale);
        let paid = event(Lifecycle::PaycorePayment, "processed", 500);
        assert_eq!(paid.decide(Some(&applied("expired", 100))), Stale);
        let success = event(Lifecycle::EcommpayPayment, "success", 500);
        assert_eq!(success.decide(Some(&applied("decline", 100))), Stale);
        // Nothing after a terminal status, not even a status this version does not know.
        let unknown = event(Lifecycle::PaycorePayment, "brand_new", 500);
        assert_eq!(unknown.decide(Some(&applied("refunded", 100))), Stale);
    }

    #[test]
    fn a_later_stage_applies_even_in_the_same_second() {
        assert_eq!(
            play(
                Lifecycle::PaycorePayment,
                &[("created", 10), ("processed", 10), ("refunded", 10)]
            ),
            [Apply, Apply, Apply]
        );
        // Batched: the final state only.
        assert_eq!(
            play(
                Lifecycle::PaycorePayment,
                &[("refunded", 10), ("created", 9)]
            ),
            [Apply, Stale]
        );
    }

    #[test]
    fn reordered_deliveries_end_in_the_last_state() {
        // The whole lifecycle delivered backwards, then forwards: only the newest state sticks.
        let forwards = [
            ("created", 1),
            ("process_pending", 2),
            ("processed", 3),
            ("refund_pending", 4),
            ("refunded", 5),
        ];
        let mut backwards = forwards;
        backwards.reverse();
        let all: Vec<_> = backwards.iter().chain(forwards.iter()).copied().collect();
        let verdicts = play(Lifecycle::PaycorePayment, &all);
        assert_eq!(verdicts[0], Apply);
        assert_eq!(verdicts.iter().filter(|v| **v == Apply).count(), 1);
        assert_eq!(verdicts.last(), Some(&Duplicate));
    }

    #[test]
    fn within_a_stage_the_newer_time_wins_until_an_outcome() {
        let pending = event(Lifecycle::PaycorePayment, "process_pending", 20);
        assert_eq!(pending.decide(Some(&applied("processing", 10))), Apply);
        assert_eq!(pending.decide(Some(&applied("processing", 20))), Stale);
        assert_eq!(pending.decide(Some(&applied("processing", 30))), Stale);
        let no_time = LedgerEvent::new(Lifecycle::PaycorePayment, "x", "process_pending", None);
        assert_eq!(
            no_time.unwrap().decide(Some(&applied("processing", 10))),
            Stale
        );
    }

    #[test]
    fn a_process_that_can_run_again_takes_a_newer_round() {
        // Two partial refunds, then a stale replay of the first, then the full refund.
        assert_eq!(
            play(
                Lifecycle::PaycorePayment,
                &[
                    ("processed", 1),
                    ("partially_refunded", 2),
                    ("refunding", 3),
                    ("partially_refunded", 4),
                    ("partially_refunded", 2),
                    ("refunding", 3),
                    ("refunded", 5),
                ]
            ),
            [Apply, Apply, Apply, Apply, Duplicate, Stale, Apply]
        );
        // A failed refund after a partial one, and the partial state seen again without a newer
        // time: a duplicate.
        assert_eq!(
            play(
                Lifecycle::PaycorePayment,
                &[
                    ("partially_refunded", 2),
                    ("refund_failed", 3),
                    ("refund_failed", 3)
                ]
            ),
            [Apply, Apply, Duplicate]
        );
        // Never back before the outcome.
        let processing = event(Lifecycle::PaycorePayment, "processing", 9);
        assert_eq!(
            processing.decide(Some(&applied("partially_refunded", 2))),
            Stale
        );
        // ecommpay: a second partial refund of a payment, by the operation's date.
        assert_eq!(
            play(
                Lifecycle::EcommpayPayment,
                &[
                    ("success", 1),
                    ("partially refunded", 2),
                    ("partially refunded", 3),
                    ("partially refunded", 2),
                    ("success", 4),
                    ("refunded", 5),
                ]
            ),
            [Apply, Apply, Apply, Duplicate, Stale, Apply]
        );
    }

    #[test]
    fn payouts_and_two_step_payments_follow_their_lifecycles() {
        assert_eq!(
            play(
                Lifecycle::PaycorePayout,
                &[
                    ("processed", 2),
                    ("created", 1),
                    ("canceling", 3),
                    ("canceled", 4),
                    ("processed", 5)
                ]
            ),
            [Apply, Stale, Apply, Apply, Stale]
        );
        assert_eq!(
            play(
                Lifecycle::EcommpayPayment,
                &[
                    ("awaiting capture", 1),
                    ("processing", 2),
                    ("canceled", 3),
                    ("success", 4)
                ]
            ),
            [Apply, Stale, Apply, Stale]
        );
        assert_eq!(
            play(
                Lifecycle::EcommpayOperation,
                &[
                    ("processing", 1),
                    ("awaiting 3ds result", 2),
                    ("success", 3),
                    ("decline", 4)
                ]
            ),
            [Apply, Apply, Apply, Stale]
        );
    }

    #[test]
    fn unknown_statuses_move_only_forward_in_time() {
        let new = event(Lifecycle::PaycorePayment, "settled_somehow", 20);
        assert_eq!(new.decide(Some(&applied("processing", 10))), Apply);
        assert_eq!(new.decide(Some(&applied("processing", 20))), Stale);
        let known = event(Lifecycle::PaycorePayment, "processed", 30);
        assert_eq!(known.decide(Some(&applied("settled_somehow", 20))), Apply);
        assert_eq!(known.decide(Some(&applied("settled_somehow", 40))), Stale);
    }

    #[test]
    fn kinds_round_trip_and_bad_parts_are_refused() {
        for lifecycle in Lifecycle::ALL {
            assert_eq!(Lifecycle::parse(lifecycle.as_str()).unwrap(), lifecycle);
        }
        let error = Lifecycle::parse("paycore").unwrap_err();
        assert_eq!(error.code(), "unknown_kind");
        assert!(error.to_string().contains("paycore.payment"));
        let empty = LedgerEvent::new(Lifecycle::PaycorePayment, " ", "processed", None);
        assert_eq!(empty.unwrap_err().code(), "missing");
        let empty = LedgerEvent::new(Lifecycle::PaycorePayment, "cpi_1", "", None);
        assert_eq!(empty.unwrap_err().code(), "missing");
    }

    #[test]
    fn ecommpay_dates_read_both_offsets() {
        assert_eq!(ecommpay_time("2024-05-14T10:22:41+0000"), Some(1715682161));
        assert_eq!(ecommpay_time("2024-05-14T12:22:41+02:00"), Some(1715682161));
        assert_eq!(ecommpay_time("yesterday"), None);
    }
}
