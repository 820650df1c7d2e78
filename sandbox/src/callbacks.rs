//! Callback delivery: asynchronous, ordered per invoice, retried on a linear schedule
//! (+1 min, +2 min, … scaled by `time_scale`) until the receiver answers HTTP 200.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::model::{CallbackLog, Invoice};
use crate::state::State;
use crate::util::{now, now_f64};

/// Attempts per callback, as documented (the first one plus 99 retries).
pub const MAX_ATTEMPTS: u32 = 100;
/// Callbacks waiting or being retried, at most; more are dropped (and logged as dropped), so a
/// dead receiver under load cannot grow memory without bound.
pub const MAX_PENDING: usize = 50_000;

pub enum Payload {
    /// A PayCore invoice callback: rendered from the invoice as it was at the status change,
    /// signed with the secret key of the operation's mode.
    Invoice {
        snapshot: Arc<Invoice>,
        secret: String,
    },
    /// An ecommpay callback (already signed inside the body).
    Ecommpay {
        body: Vec<u8>,
        transaction_status: String,
    },
}

pub struct Job {
    pub queue_key: String,
    pub invoice_id: String,
    pub url: String,
    pub payload: Payload,
}

pub struct Deliverer {
    queues: Mutex<HashMap<String, VecDeque<Job>>>,
    log: Mutex<VecDeque<Value>>,
    log_cap: usize,
    next_log_id: AtomicU64,
    client: reqwest::Client,
    time_scale: f64,
    generation: AtomicU64,
    pub attempts: AtomicU64,
    pub delivered: AtomicU64,
    pub failed_attempts: AtomicU64,
    pub exhausted: AtomicU64,
    pub dropped: AtomicU64,
    in_flight: std::sync::atomic::AtomicUsize,
}

impl Deliverer {
    pub fn new(time_scale: f64, log_cap: usize) -> Deliverer {
        let client = polypay::tls::http_client_builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("polypay-sandbox/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("HTTP client");
        Deliverer {
            queues: Mutex::new(HashMap::new()),
            log: Mutex::new(VecDeque::new()),
            log_cap,
            next_log_id: AtomicU64::new(1),
            client,
            time_scale,
            generation: AtomicU64::new(0),
            attempts: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            failed_attempts: AtomicU64::new(0),
            exhausted: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            in_flight: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Queues a callback behind the earlier ones of the same invoice; starts a worker if none runs.
    pub fn enqueue(&self, state: &Arc<State>, job: Job) {
        if self.in_flight.load(Ordering::Relaxed) >= MAX_PENDING {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            self.push_log(json!({
                "id": null, "kind": "paycore", "invoice_id": job.invoice_id, "url": job.url,
                "attempt": 0, "at": now_f64(), "response_code": null, "delivered": false,
                "error": format!("dropped: {MAX_PENDING} callbacks are already waiting"),
            }));
            return;
        }
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let mut queues = self.queues.lock().unwrap();
        match queues.get_mut(&job.queue_key) {
            Some(queue) => queue.push_back(job),
            None => {
                let key = job.queue_key.clone();
                queues.insert(key.clone(), VecDeque::from([job]));
                let generation = self.generation.load(Ordering::SeqCst);
                tokio::spawn(worker(state.clone(), key, generation));
            }
        }
    }

    /// Callbacks waiting or being retried.
    pub fn pending(&self) -> usize {
        self.queues
            .lock()
            .unwrap()
            .values()
            .map(VecDeque::len)
            .sum()
    }

    /// Drops every queued callback and stops the workers; clears the log.
    pub fn reset(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.queues.lock().unwrap().clear();
        self.in_flight.store(0, Ordering::Relaxed);
        self.log.lock().unwrap().clear();
        for counter in [
            &self.attempts,
            &self.delivered,
            &self.failed_attempts,
            &self.exhausted,
            &self.dropped,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }

    pub fn log(&self, invoice_id: Option<&str>, limit: usize) -> Vec<Value> {
        let log = self.log.lock().unwrap();
        log.iter()
            .rev()
            .filter(|e| invoice_id.is_none_or(|id| e["invoice_id"] == id))
            .take(limit)
            .cloned()
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect()
    }

    fn push_log(&self, mut entry: Value) {
        let id = self.next_log_id.fetch_add(1, Ordering::Relaxed);
        entry["id"] = json!(format!("cbl_{id}"));
        let mut log = self.log.lock().unwrap();
        log.push_back(entry);
        while log.len() > self.log_cap {
            log.pop_front();
        }
    }

    fn current(&self, generation: u64) -> bool {
        self.generation.load(Ordering::SeqCst) == generation
    }
}

async fn worker(state: Arc<State>, key: String, generation: u64) {
    loop {
        let deliverer = &state.deliverer;
        if !deliverer.current(generation) {
            return;
        }
        let job = {
            let mut queues = deliverer.queues.lock().unwrap();
            match queues.get_mut(&key).and_then(VecDeque::pop_front) {
                Some(job) => job,
                None => {
                    queues.remove(&key);
                    return;
                }
            }
        };
        deliver(&state, job, generation).await;
        if state.deliverer.current(generation) {
            let _ =
                state
                    .deliverer
                    .in_flight
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                        Some(v.saturating_sub(1))
                    });
        }
        // Leave the entry in place until the queue is seen empty, so enqueue never starts a
        // second worker for this invoice.
    }
}

async fn deliver(state: &Arc<State>, job: Job, generation: u64) {
    let deliverer = &state.deliverer;
    let (body, signature, transaction_status, timeout, kind) = match &job.payload {
        Payload::Invoice { snapshot, secret } => {
            let body = state.json_bytes(&json!({ "data": snapshot.resource(&state.base_url) }));
            let signature = polypay::paycore::sign_callback(&body, secret).unwrap_or_default();
            // Documented timeouts: total 20 s for test operations, 60 s for live ones.
            let timeout = if snapshot.test_mode { 20 } else { 60 };
            (
                body,
                Some(signature),
                snapshot.status.to_string(),
                timeout,
                "paycore",
            )
        }
        Payload::Ecommpay {
            body,
            transaction_status,
        } => (
            body.clone(),
            None,
            transaction_status.clone(),
            20,
            "ecommpay",
        ),
    };
    let body_text = String::from_utf8_lossy(&body).into_owned();
    for attempt in 1..=MAX_ATTEMPTS {
        if !deliverer.current(generation) {
            return;
        }
        let mut request = deliverer
            .client
            .post(&job.url)
            .header("content-type", "application/json")
            .timeout(Duration::from_secs(timeout))
            .body(body.clone());
        if let Some(sig) = &signature {
            request = request.header("x-signature", sig);
        }
        deliverer.attempts.fetch_add(1, Ordering::Relaxed);
        let (code, error) = match request.send().await {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(e) => (None, Some(error_text(&e))),
        };
        let delivered = code == Some(200);
        if delivered {
            deliverer.delivered.fetch_add(1, Ordering::Relaxed);
        } else {
            deliverer.failed_attempts.fetch_add(1, Ordering::Relaxed);
        }
        if !deliverer.current(generation) {
            return;
        }
        if kind == "paycore" {
            state.record_callback(
                &job.invoice_id,
                CallbackLog {
                    status: if delivered { "done" } else { "failed" },
                    processed: now(),
                    response_code: code,
                    transaction_status: transaction_status.clone(),
                },
            );
        }
        let next_retry =
            (!delivered && attempt < MAX_ATTEMPTS).then(|| delay(attempt, deliverer.time_scale));
        deliverer.push_log(json!({
            "id": null,
            "kind": kind,
            "invoice_id": job.invoice_id,
            "url": job.url,
            "attempt": attempt,
            "transaction_status": transaction_status,
            "at": now_f64(),
            "response_code": code,
            "error": error,
            "delivered": delivered,
            "next_retry_in_ms": next_retry.map(|d| d.as_millis() as u64),
            "signature": signature,
            "body": body_text,
        }));
        match next_retry {
            None if delivered => return,
            None => {
                deliverer.exhausted.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Some(wait) => tokio::time::sleep(wait).await,
        }
    }
}

/// The wait after the `attempt`-th failure: attempt × 1 minute, scaled.
pub fn delay(attempt: u32, time_scale: f64) -> Duration {
    Duration::from_secs_f64(60.0 * f64::from(attempt) * time_scale)
}

fn error_text(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
