//! The client's side of the wire as a property (issue 14): whatever a gateway answers —
//! any status, `Retry-After`, body, trickle, cut or dropped connection, for creates and the
//! lookups that reconcile them — a call never panics, ends within its deadline, never sends a
//! create under another `reference_id`, and never says `outcome_unknown: false` for a create
//! that may have landed. Run by the property test in `make test` (`wire_property.rs`) and by
//! the `client_wire` fuzz target (`make fuzz`), both from raw bytes decoded here.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use polypay::paycore::client::{Config, PaymentInvoiceRequest, RetryPolicy};
use polypay::paycore::{Client, Environment};
use polypay::Money;
use serde_json::json;

use super::{filtered_reference, Reply, Seen, Server, Store};

// Answers never contradict the store about r-fuzz (another amount under the same reference is
// `reference_reused`, tested in edges.rs): a gateway that lies about an entity cannot be judged.

/// One scripted answer, and whether the gateway commits the create before giving it.
#[derive(Clone, Debug)]
pub struct Step {
    pub reply: Reply,
    pub commit: bool,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub create: bool,
    pub max_retries: u32,
    pub steps: Vec<Step>,
}

const STATUSES: &[u16] = &[
    200, 201, 204, 301, 302, 303, 307, 308, 400, 401, 403, 404, 405, 409, 422, 429, 500, 502, 503,
    504, 599, 100, 199, 600, 999,
];

const BODIES: &[&str] = &[
    "",
    "{}",
    "null",
    "[]",
    r#"{"data":[]}"#,
    r#"{"data":{}}"#,
    r#"{"data":{"id":""}}"#,
    r#"{"data":{"id":"cpi_FUZZ","attributes":{"reference_id":"r-fuzz","amount":"1.00","currency":"USD"}}}"#,
    r#"{"data":[{"id":"cpi_OTHER","attributes":{"reference_id":"another"}}]}"#,
    r#"{"data":[{"id":"cpi_FUZZ","attributes":{"reference_id":"r-fuzz","amount":"1.00","currency":"USD"}}]}"#,
    r#"{"errors":[{"status":"Conflict"}]}"#,
    r#"{"errors":{"amount":["bad"]}}"#,
    "<html>busy</html>",
    "{\"data\":",
];

const RETRY_AFTER: &[&str] = &[
    "0",
    "1",
    "18446744073709551615",
    "99999999999999999999999999",
    "-1",
    "1.5",
    "Wed, 21 Oct 2065 07:28:00 GMT",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "soon",
];

impl Scenario {
    /// Decodes arbitrary bytes: the first two choose the call, then two bytes per step.
    pub fn from_bytes(data: &[u8]) -> Scenario {
        let mut bytes = data.iter().copied();
        let head = bytes.next().unwrap_or(0);
        let retries = bytes.next().unwrap_or(0);
        let mut steps = Vec::new();
        while let (Some(a), Some(b)) = (bytes.next(), bytes.next()) {
            if steps.len() == 8 {
                break;
            }
            steps.push(step(a, b));
        }
        Scenario {
            create: head & 1 == 0,
            max_retries: u32::from(retries % 3),
            steps,
        }
    }
}

fn step(a: u8, b: u8) -> Step {
    let status = STATUSES[usize::from(a) % STATUSES.len()];
    let body = BODIES[usize::from(b) % BODIES.len()].as_bytes().to_vec();
    let reply = match a % 11 {
        0 => Reply::Drop,
        1 => Reply::Truncate(status, body),
        2 if b % 5 == 0 => Reply::Stall,
        3 => Reply::Trickle {
            status,
            body,
            chunk: 1 + usize::from(b % 4),
            every: Duration::from_millis(30),
        },
        4 | 5 => Reply::Answer(
            status,
            vec![(
                "retry-after".into(),
                RETRY_AFTER[usize::from(b) % RETRY_AFTER.len()].into(),
            )],
            body,
        ),
        // Common in practice and decisive for the oracle: a lookup that does not see the
        // commit yet, and a refusal of the re-sent create.
        6 => Reply::json(200, json!({"data": []})),
        7 => Reply::json(422, json!({"errors": {"amount": "refused"}})),
        _ => Reply::Answer(status, Vec::new(), body),
    };
    Step {
        commit: b & 0x80 != 0,
        reply,
    }
}

/// The gateway may commit only where its answer leaves the outcome open: a 2xx, a 3xx, 400,
/// 429, a 5xx or anything unreadable. A 401/403/404/405/409/422 is a refusal a gateway means.
fn may_commit(reply: &Reply) -> bool {
    match reply {
        Reply::Answer(status, ..) | Reply::Trickle { status, .. } => {
            !matches!(status, 401 | 403 | 404 | 405 | 409 | 422)
        }
        _ => true,
    }
}

pub const DEADLINE: Duration = Duration::from_millis(400);

/// Runs the scenario against a scripted server; `Err` describes a broken promise.
pub async fn check(scenario: Scenario) -> Result<(), String> {
    let steps = Arc::new(Mutex::new(scenario.steps.clone().into_iter()));
    let references: Arc<Mutex<Vec<String>>> = Arc::default();
    let (server_steps, seen_references) = (Arc::clone(&steps), Arc::clone(&references));
    let server = Server::start(Arc::new(move |seen: &Seen<'_>, store: &Store| {
        let next = server_steps.lock().unwrap().next();
        if seen.method == "POST" {
            let body: serde_json::Value = serde_json::from_slice(seen.body).unwrap_or_default();
            let reference = body["data"]["attributes"]["reference_id"]
                .as_str()
                .unwrap_or("");
            seen_references.lock().unwrap().push(reference.to_owned());
            return match next {
                Some(step) => {
                    if step.commit && may_commit(&step.reply) {
                        store.commit(seen.body);
                    }
                    step.reply
                }
                None => Reply::json(201, json!({"data": store.commit(seen.body)})),
            };
        }
        match next {
            Some(step) => step.reply,
            None => {
                let found =
                    filtered_reference(seen.target).map_or_else(Vec::new, |r| store.find(&r));
                Reply::json(200, json!({"data": found}))
            }
        }
    }))
    .await;
    let mut config = Config::new(Environment::custom(&server.base).map_err(|e| e.to_string())?);
    config.account_id = Some("coma_fuzz".into());
    config.api_key = Some("fuzz_key".into());
    config.request_timeout = Duration::from_millis(150);
    config.deadline = DEADLINE;
    config.retry = RetryPolicy {
        max_retries: scenario.max_retries,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..RetryPolicy::default()
    };
    let client = Client::new(config).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let outcome = if scenario.create {
        let request = PaymentInvoiceRequest::new("card_usd", Money::parse("1.00", "USD").unwrap())
            .set("reference_id", "r-fuzz");
        client.create_payment_invoice(&request).await.map(|_| ())
    } else {
        client.get_payment_invoice("cpi_FUZZ").await.map(|_| ())
    };
    let took = started.elapsed();
    // Timers fire late on a loaded machine: the slack is generous, a hang is not.
    if took > DEADLINE + Duration::from_millis(700) {
        return Err(format!("took {took:?}, deadline {DEADLINE:?}"));
    }
    if let Some(other) = references.lock().unwrap().iter().find(|r| *r != "r-fuzz") {
        return Err(format!(
            "a create was sent under another reference_id: {other}"
        ));
    }
    if let (true, Err(error)) = (scenario.create, &outcome) {
        let landed = !server.store.find("r-fuzz").is_empty();
        if landed && !error.outcome_unknown() {
            return Err(format!(
                "the invoice landed, but the error said outcome_unknown false: {error:?}"
            ));
        }
        if error.reference_id() != Some("r-fuzz") {
            return Err(format!(
                "the create's error lost its reference_id: {error:?}"
            ));
        }
    }
    Ok(())
}
