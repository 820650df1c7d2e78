//! When to retry, when to reconcile, when to stop: one pure function, so the rules that keep
//! payments from being lost or doubled are testable case by case (docs §6).
//!
//! - Reads are retried on connection failures, timeouts, 429 and 5xx, with exponential backoff
//!   and jitter, honouring `Retry-After`.
//! - A create (a POST carrying a `reference_id`) is never blindly re-sent. When its outcome is
//!   unknown (timeout, broken connection, unreadable answer, 400, 429, 5xx) the client first looks
//!   the reference up: found → that is the result; not found → send again, within the budget.
//!   A 409 means it exists already: the existing entity is the result.
//! - Other writes (refunds) are re-sent only when the request provably never left.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Retry budget and backoff shape. Defaults follow the best payment SDKs: 2 retries,
/// 0.5 s doubling to a 5 s cap, 50–100 % jitter.
#[derive(Clone)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Returns a factor in [0.5, 1.0] applied to each backoff; replace it in tests.
    pub jitter: Arc<dyn Fn() -> f64 + Send + Sync>,
}

/// Retries after the first attempt (of a read, or of a create reconciled first).
pub const DEFAULT_MAX_RETRIES: u32 = 2;

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: DEFAULT_MAX_RETRIES,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(5),
            jitter: Arc::new(|| 0.5 + rand::random::<f64>() * 0.5),
        }
    }
}

impl RetryPolicy {
    /// No retries at all (reconciliation of unknown create outcomes still happens).
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// The wait before the next attempt after `failures` failed attempts (1-based).
    pub fn backoff(&self, failures: u32, retry_after: Option<Duration>) -> Duration {
        let exponent = failures.saturating_sub(1).min(16);
        let base = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        let factor = (self.jitter)();
        let factor = if factor.is_nan() {
            1.0
        } else {
            factor.clamp(0.0, 1.0)
        };
        let jittered = base.mul_f64(factor);
        retry_after.map_or(jittered, |after| after.max(jittered))
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_retries", &self.max_retries)
            .field("initial_backoff", &self.initial_backoff)
            .field("max_backoff", &self.max_backoff)
            .finish()
    }
}

/// The retry rules a call falls under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// GET: safe to repeat.
    Read,
    /// POST with a `reference_id` that can be looked up afterwards.
    Create,
    /// POST that cannot be looked up (refund): only re-sent when it never left.
    Write,
}

/// How one attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// A readable 2xx answer.
    Success,
    /// An HTTP error status.
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// The request never left (connection refused, DNS failure): nothing can have happened.
    NotSent,
    /// The request left but no readable answer came back (timeout, reset, truncated body).
    Lost,
}

impl Attempt {
    /// Worth trying again: the request never left, its answer was lost, or the gateway was
    /// busy (429) or failing (5xx).
    pub fn transient(self) -> bool {
        match self {
            Attempt::Status { status, .. } => status == 429 || status >= 500,
            Attempt::NotSent | Attempt::Lost => true,
            Attempt::Success => false,
        }
    }

    /// Whether the server may have acted on a write whose answer this was.
    pub fn outcome_unknown(self, kind: CallKind) -> bool {
        kind != CallKind::Read
            && match self {
                Attempt::Lost => true,
                // A redirect answered after the body was sent, 400 (some gateways say it for
                // a failure after processing began), 429 and every 5xx: it may have landed.
                Attempt::Status { status, .. } => {
                    (300..400).contains(&status) || status == 400 || status == 429 || status >= 500
                }
                Attempt::NotSent | Attempt::Success => false,
            }
    }
}

/// What to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Return this attempt's result (success or error) to the caller.
    Done,
    /// Send the same request again after the delay.
    Retry(Duration),
    /// After the delay, look the reference up: found → return it; not found → send again if
    /// `resend`, else report that nothing was created.
    Reconcile { delay: Duration, resend: bool },
    /// 409: return the existing entity from the error body.
    ReturnExisting,
}

/// The policy: `failures` counts the failed attempts so far, this one included.
pub fn decide(kind: CallKind, attempt: Attempt, failures: u32, policy: &RetryPolicy) -> Decision {
    let budget_left = failures <= policy.max_retries;
    let retry_after = match attempt {
        Attempt::Status { retry_after, .. } => retry_after,
        _ => None,
    };
    let delay = || policy.backoff(failures, retry_after);
    match (kind, attempt) {
        (_, Attempt::Success) => Decision::Done,
        (CallKind::Create, Attempt::Status { status: 409, .. }) => Decision::ReturnExisting,
        (_, Attempt::NotSent) if budget_left => Decision::Retry(delay()),
        (CallKind::Read, a) if a.transient() && budget_left => Decision::Retry(delay()),
        (CallKind::Create, a) if a.outcome_unknown(CallKind::Create) => Decision::Reconcile {
            delay: match a {
                // The answer was lost, not refused: look it up at once.
                Attempt::Lost => Duration::ZERO,
                _ => delay(),
            },
            resend: budget_left,
        },
        _ => Decision::Done,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            jitter: Arc::new(|| 1.0),
            ..RetryPolicy::default()
        }
    }

    fn status(status: u16) -> Attempt {
        Attempt::Status {
            status,
            retry_after: None,
        }
    }

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn backoff_doubles_to_the_cap_with_jitter_and_retry_after() {
        let p = policy();
        assert_eq!(p.backoff(1, None), MS(500));
        assert_eq!(p.backoff(2, None), MS(1000));
        assert_eq!(p.backoff(4, None), MS(4000));
        assert_eq!(p.backoff(5, None), MS(5000));
        assert_eq!(p.backoff(60, None), MS(5000));
        assert_eq!(p.backoff(1, Some(MS(3000))), MS(3000));
        assert_eq!(p.backoff(3, Some(MS(100))), MS(2000));
        let half = RetryPolicy {
            jitter: Arc::new(|| 0.5),
            ..RetryPolicy::default()
        };
        assert_eq!(half.backoff(2, None), MS(500));
    }

    #[test]
    fn reads_retry_transient_failures_within_the_budget() {
        let p = policy();
        for a in [
            Attempt::NotSent,
            Attempt::Lost,
            status(429),
            status(500),
            status(503),
            status(504),
        ] {
            assert!(
                matches!(decide(CallKind::Read, a, 1, &p), Decision::Retry(_)),
                "{a:?}"
            );
            assert!(
                matches!(decide(CallKind::Read, a, 2, &p), Decision::Retry(_)),
                "{a:?}"
            );
            assert_eq!(decide(CallKind::Read, a, 3, &p), Decision::Done, "{a:?}");
        }
        for s in [400, 401, 403, 404, 405, 409, 422] {
            assert_eq!(
                decide(CallKind::Read, status(s), 1, &p),
                Decision::Done,
                "{s}"
            );
        }
        let limited = Attempt::Status {
            status: 429,
            retry_after: Some(MS(2500)),
        };
        assert_eq!(
            decide(CallKind::Read, limited, 1, &p),
            Decision::Retry(MS(2500))
        );
        assert_eq!(
            decide(CallKind::Read, Attempt::Success, 1, &p),
            Decision::Done
        );
    }

    #[test]
    fn creates_reconcile_instead_of_resending() {
        let p = policy();
        assert_eq!(
            decide(CallKind::Create, Attempt::Lost, 1, &p),
            Decision::Reconcile {
                delay: Duration::ZERO,
                resend: true
            }
        );
        for s in [400, 429, 500, 502, 503, 504] {
            assert_eq!(
                decide(CallKind::Create, status(s), 1, &p),
                Decision::Reconcile {
                    delay: MS(500),
                    resend: true
                },
                "{s}"
            );
            // Out of budget: still reconcile (to know the outcome), but do not send again.
            assert_eq!(
                decide(CallKind::Create, status(s), 3, &p),
                Decision::Reconcile {
                    delay: MS(2000),
                    resend: false
                },
                "{s}"
            );
        }
        assert_eq!(
            decide(CallKind::Create, status(409), 1, &p),
            Decision::ReturnExisting
        );
        assert!(matches!(
            decide(CallKind::Create, Attempt::NotSent, 1, &p),
            Decision::Retry(_)
        ));
        assert_eq!(
            decide(CallKind::Create, Attempt::NotSent, 3, &p),
            Decision::Done
        );
        for s in [401, 403, 404, 405, 422] {
            assert_eq!(
                decide(CallKind::Create, status(s), 1, &p),
                Decision::Done,
                "{s}"
            );
        }
    }

    #[test]
    fn other_writes_are_only_resent_when_never_sent() {
        let p = policy();
        assert!(matches!(
            decide(CallKind::Write, Attempt::NotSent, 1, &p),
            Decision::Retry(_)
        ));
        for a in [
            Attempt::Lost,
            status(500),
            status(503),
            status(429),
            status(409),
            status(422),
        ] {
            assert_eq!(decide(CallKind::Write, a, 1, &p), Decision::Done, "{a:?}");
        }
    }

    #[test]
    fn outcome_is_unknown_only_for_writes_that_may_have_landed() {
        assert!(Attempt::Lost.outcome_unknown(CallKind::Create));
        assert!(status(503).outcome_unknown(CallKind::Write));
        assert!(status(400).outcome_unknown(CallKind::Create));
        assert!(!status(422).outcome_unknown(CallKind::Create));
        assert!(!status(401).outcome_unknown(CallKind::Create));
        assert!(!Attempt::NotSent.outcome_unknown(CallKind::Create));
        assert!(!Attempt::Lost.outcome_unknown(CallKind::Read));
    }
}
