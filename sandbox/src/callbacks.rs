//! Callback delivery: asynchronous, ordered per invoice, retried on a linear schedule
//! (+1 min, +2 min, … scaled by `time_scale`) until the receiver answers HTTP 200.
//!
//! A [`Deliverer`] needs only an HTTP client, its [`Settings`] and a [`Recorder`] for the
//! outcome of each PayCore attempt (the state keeps them on the invoice).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::model::{CallbackLog, Invoice};
use crate::util::{json_bytes, now, now_f64};

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
    /// A callback sent before, sent again byte for byte (`replay`).
    Replay {
        kind: &'static str,
        body: Vec<u8>,
        signature: Option<String>,
        transaction_status: String,
    },
}

impl Payload {
    fn kind(&self) -> &'static str {
        match self {
            Payload::Invoice { .. } => "paycore",
            Payload::Ecommpay { .. } => "ecommpay",
            Payload::Replay { kind, .. } => kind,
        }
    }
}

/// How `replay` sends an invoice's earlier callbacks again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplayOrder {
    /// As they were first sent.
    AsSent,
    /// Newest first: every older state arrives after a newer one.
    Reverse,
    /// In a random order.
    Shuffle,
}

pub struct Job {
    /// Jobs of one key are delivered one after the other, in order.
    pub queue_key: String,
    pub invoice_id: String,
    pub url: String,
    pub payload: Payload,
}

/// What delivery needs to know of the sandbox.
pub struct Settings {
    /// Base of the links inside invoice callbacks.
    pub base_url: String,
    /// Write invoice callbacks as the PHP server does (`\/`, `\uXXXX`).
    pub php_json: bool,
    /// Scales the retry schedule (1.0: the documented minutes).
    pub time_scale: f64,
    /// Delivery log entries kept.
    pub log_cap: usize,
}

/// Receives each PayCore attempt's outcome, with the invoice id.
pub type Recorder = Box<dyn Fn(&str, CallbackLog) + Send + Sync>;

/// The HTTP client callbacks go out with.
pub fn http_client() -> reqwest::Client {
    polypay::tls::http_client_builder()
        .no_proxy()
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("polypay-sandbox/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("HTTP client")
}

/// Queues callbacks and delivers them from one task per queue key.
pub struct Deliverer {
    shared: Arc<Shared>,
}

struct Shared {
    settings: Settings,
    client: reqwest::Client,
    record: Recorder,
    queues: Mutex<HashMap<String, VecDeque<Job>>>,
    log: Mutex<VecDeque<Value>>,
    next_log_id: AtomicU64,
    /// Bumped by a reset: workers of an older generation stop.
    generation: AtomicU64,
    in_flight: AtomicUsize,
    attempts: AtomicU64,
    delivered: AtomicU64,
    failed_attempts: AtomicU64,
    exhausted: AtomicU64,
    dropped: AtomicU64,
}

/// A callback as it goes out, the same on every attempt.
struct Request {
    body: Vec<u8>,
    signature: Option<String>,
    transaction_status: String,
    timeout: Duration,
}

impl Deliverer {
    pub fn new(settings: Settings, client: reqwest::Client, record: Recorder) -> Deliverer {
        Deliverer {
            shared: Arc::new(Shared {
                settings,
                client,
                record,
                queues: Mutex::new(HashMap::new()),
                log: Mutex::new(VecDeque::new()),
                next_log_id: AtomicU64::new(1),
                generation: AtomicU64::new(0),
                in_flight: AtomicUsize::new(0),
                attempts: AtomicU64::new(0),
                delivered: AtomicU64::new(0),
                failed_attempts: AtomicU64::new(0),
                exhausted: AtomicU64::new(0),
                dropped: AtomicU64::new(0),
            }),
        }
    }

    /// Queues a callback behind the earlier ones of its key; starts a worker if none runs.
    /// Must be called inside a Tokio runtime.
    pub fn enqueue(&self, job: Job) {
        let shared = &self.shared;
        if shared.in_flight.load(Ordering::Relaxed) >= MAX_PENDING {
            shared.dropped.fetch_add(1, Ordering::Relaxed);
            shared.push_log(json!({
                "id": null, "kind": job.payload.kind(), "invoice_id": job.invoice_id,
                "url": job.url, "attempt": 0, "at": now_f64(), "response_code": null,
                "delivered": false,
                "error": format!("dropped: {MAX_PENDING} callbacks are already waiting"),
            }));
            return;
        }
        shared.in_flight.fetch_add(1, Ordering::Relaxed);
        let mut queues = shared.queues.lock().unwrap();
        match queues.get_mut(&job.queue_key) {
            Some(queue) => queue.push_back(job),
            None => {
                let key = job.queue_key.clone();
                queues.insert(key.clone(), VecDeque::from([job]));
                let generation = shared.generation.load(Ordering::SeqCst);
                tokio::spawn(shared.clone().work(key, generation));
            }
        }
    }

    /// Callbacks waiting, being delivered or waiting for a retry (a job leaves its queue when
    /// its delivery starts, and counts until its last attempt ends).
    pub fn pending(&self) -> usize {
        self.shared.in_flight.load(Ordering::Relaxed)
    }

    /// Drops every queued callback and stops the workers; clears the log and the counters.
    pub fn reset(&self) {
        let shared = &self.shared;
        shared.generation.fetch_add(1, Ordering::SeqCst);
        shared.queues.lock().unwrap().clear();
        shared.in_flight.store(0, Ordering::Relaxed);
        shared.log.lock().unwrap().clear();
        for counter in [
            &shared.attempts,
            &shared.delivered,
            &shared.failed_attempts,
            &shared.exhausted,
            &shared.dropped,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }

    /// The delivery log, oldest first: the last `limit` entries (of one invoice, if given).
    pub fn log(&self, invoice_id: Option<&str>, limit: usize) -> Vec<Value> {
        let log = self.shared.log.lock().unwrap();
        let mut entries: Vec<Value> = log
            .iter()
            .rev()
            .filter(|e| invoice_id.is_none_or(|id| e["invoice_id"] == id))
            .take(limit)
            .cloned()
            .collect();
        entries.reverse();
        entries
    }

    /// Sends every distinct callback delivered so far for `invoice_id` (a PayCore invoice or an
    /// ecommpay payment) again, `copies` times each, in `order`: one after the other from one
    /// queue, or all at once when `concurrent`. Returns how many were queued (0: none was sent).
    pub fn replay(
        &self,
        invoice_id: &str,
        copies: usize,
        order: ReplayOrder,
        concurrent: bool,
    ) -> usize {
        // The first attempt of each job: the same bytes went out on every retry.
        let sent: Vec<Value> = self
            .log(Some(invoice_id), usize::MAX)
            .into_iter()
            .filter(|e| e["attempt"] == 1 && e["body"].is_string())
            .collect();
        let mut jobs: Vec<(Value, usize)> = sent
            .iter()
            .flat_map(|e| (0..copies).map(move |n| (e.clone(), n)))
            .collect();
        match order {
            ReplayOrder::AsSent => {}
            ReplayOrder::Reverse => jobs.reverse(),
            ReplayOrder::Shuffle => {
                use rand::seq::SliceRandom;
                jobs.shuffle(&mut rand::rng());
            }
        }
        let count = jobs.len();
        let serial = format!("replay:{invoice_id}:{}", rand::random::<u64>());
        for (n, (entry, _)) in jobs.into_iter().enumerate() {
            let text = |key: &str| entry[key].as_str().unwrap_or_default().to_owned();
            let kind = if entry["kind"] == "ecommpay" {
                "ecommpay"
            } else {
                "paycore"
            };
            self.enqueue(Job {
                // Concurrent: a queue (and a worker) per callback.
                queue_key: if concurrent {
                    format!("{serial}:{n}")
                } else {
                    serial.clone()
                },
                invoice_id: invoice_id.to_owned(),
                url: text("url"),
                payload: Payload::Replay {
                    kind,
                    body: text("body").into_bytes(),
                    signature: entry["signature"].as_str().map(str::to_owned),
                    transaction_status: text("transaction_status"),
                },
            });
        }
        count
    }

    /// The counters of `GET /__sandbox/stats`.
    pub fn stats(&self) -> Value {
        let s = &self.shared;
        json!({
            "attempts": s.attempts.load(Ordering::Relaxed),
            "delivered": s.delivered.load(Ordering::Relaxed),
            "failed_attempts": s.failed_attempts.load(Ordering::Relaxed),
            "exhausted": s.exhausted.load(Ordering::Relaxed),
            "dropped": s.dropped.load(Ordering::Relaxed),
            "pending": self.pending(),
        })
    }
}

impl Shared {
    fn push_log(&self, mut entry: Value) {
        let id = self.next_log_id.fetch_add(1, Ordering::Relaxed);
        entry["id"] = json!(format!("cbl_{id}"));
        let mut log = self.log.lock().unwrap();
        log.push_back(entry);
        while log.len() > self.settings.log_cap {
            log.pop_front();
        }
    }

    fn current(&self, generation: u64) -> bool {
        self.generation.load(Ordering::SeqCst) == generation
    }

    /// Delivers the jobs of one key until its queue is empty.
    async fn work(self: Arc<Self>, key: String, generation: u64) {
        loop {
            if !self.current(generation) {
                return;
            }
            let job = {
                let mut queues = self.queues.lock().unwrap();
                match queues.get_mut(&key).and_then(VecDeque::pop_front) {
                    Some(job) => job,
                    None => {
                        queues.remove(&key);
                        return;
                    }
                }
            };
            self.deliver(job, generation).await;
            if self.current(generation) {
                let _ = self
                    .in_flight
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                        Some(v.saturating_sub(1))
                    });
            }
            // Leave the entry in place until the queue is seen empty, so enqueue never starts a
            // second worker for this key.
        }
    }

    fn request(&self, payload: &Payload) -> Request {
        match payload {
            Payload::Invoice { snapshot, secret } => {
                let document = json!({ "data": snapshot.resource(&self.settings.base_url) });
                let body = json_bytes(&document, self.settings.php_json);
                let signature = polypay::paycore::sign_callback(&body, secret).unwrap_or_default();
                Request {
                    body,
                    signature: Some(signature),
                    transaction_status: snapshot.status.to_string(),
                    // Documented timeouts: total 20 s for test operations, 60 s for live ones.
                    timeout: Duration::from_secs(if snapshot.test_mode { 20 } else { 60 }),
                }
            }
            Payload::Ecommpay {
                body,
                transaction_status,
            } => Request {
                body: body.clone(),
                signature: None,
                transaction_status: transaction_status.clone(),
                timeout: Duration::from_secs(20),
            },
            Payload::Replay {
                body,
                signature,
                transaction_status,
                ..
            } => Request {
                body: body.clone(),
                signature: signature.clone(),
                transaction_status: transaction_status.clone(),
                timeout: Duration::from_secs(20),
            },
        }
    }

    async fn deliver(&self, job: Job, generation: u64) {
        let kind = job.payload.kind();
        let request = self.request(&job.payload);
        let body_text = String::from_utf8_lossy(&request.body).into_owned();
        for attempt in 1..=MAX_ATTEMPTS {
            if !self.current(generation) {
                return;
            }
            let mut post = self
                .client
                .post(&job.url)
                .header("content-type", "application/json")
                .timeout(request.timeout)
                .body(request.body.clone());
            if let Some(signature) = &request.signature {
                post = post.header("x-signature", signature);
            }
            self.attempts.fetch_add(1, Ordering::Relaxed);
            let (code, error) = match post.send().await {
                Ok(response) => (Some(response.status().as_u16()), None),
                Err(e) => (None, Some(error_text(&e))),
            };
            let delivered = code == Some(200);
            if delivered {
                self.delivered.fetch_add(1, Ordering::Relaxed);
            } else {
                self.failed_attempts.fetch_add(1, Ordering::Relaxed);
            }
            if !self.current(generation) {
                return;
            }
            if let Payload::Invoice { .. } = job.payload {
                (self.record)(
                    &job.invoice_id,
                    CallbackLog {
                        status: if delivered { "done" } else { "failed" },
                        processed: now(),
                        response_code: code,
                        transaction_status: request.transaction_status.clone(),
                    },
                );
            }
            let next_retry = (!delivered && attempt < MAX_ATTEMPTS)
                .then(|| delay(attempt, self.settings.time_scale));
            self.push_log(json!({
                "id": null,
                "kind": kind,
                "invoice_id": job.invoice_id,
                "url": job.url,
                "attempt": attempt,
                "transaction_status": request.transaction_status,
                "at": now_f64(),
                "response_code": code,
                "error": error,
                "delivered": delivered,
                "next_retry_in_ms": next_retry.map(|d| d.as_millis() as u64),
                "signature": request.signature,
                "body": body_text,
            }));
            match next_retry {
                None if delivered => return,
                None => {
                    self.exhausted.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Some(wait) => tokio::time::sleep(wait).await,
            }
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

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use rust_decimal::Decimal;

    use super::*;
    use crate::accounts::Account;
    use crate::config::AccountConfig;
    use crate::services::Kind;

    /// Retries after 6 ms, 12 ms, …
    const TIME_SCALE: f64 = 0.0001;

    type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

    /// A local callback receiver: answers `statuses` in turn, then 200, and keeps each request.
    async fn receiver(statuses: &[u16]) -> (String, Received) {
        #[derive(Clone)]
        struct Inbox {
            statuses: Arc<Mutex<VecDeque<u16>>>,
            received: Received,
        }
        async fn receive(
            State(inbox): State<Inbox>,
            headers: HeaderMap,
            body: Bytes,
        ) -> StatusCode {
            inbox.received.lock().unwrap().push((headers, body));
            let status = inbox.statuses.lock().unwrap().pop_front().unwrap_or(200);
            StatusCode::from_u16(status).unwrap()
        }
        let inbox = Inbox {
            statuses: Arc::new(Mutex::new(statuses.iter().copied().collect())),
            received: Received::default(),
        };
        let received = inbox.received.clone();
        let app = axum::Router::new().fallback(receive).with_state(inbox);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/callbacks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, received)
    }

    type Attempts = Arc<Mutex<Vec<(String, CallbackLog)>>>;

    fn deliverer(attempts: Attempts) -> Deliverer {
        let settings = Settings {
            base_url: "http://sandbox.test".into(),
            php_json: true,
            time_scale: TIME_SCALE,
            log_cap: 100,
        };
        let record = move |invoice_id: &str, log| {
            attempts.lock().unwrap().push((invoice_id.to_owned(), log));
        };
        Deliverer::new(settings, http_client(), Box::new(record))
    }

    async fn eventually(what: &str, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn invoice_callbacks_are_signed_and_retried_until_200() {
        let (url, received) = receiver(&[503, 500]).await;
        let attempts = Attempts::default();
        let deliverer = deliverer(attempts.clone());
        let account = Account::new(0, AccountConfig::default());
        let service = account.service(Kind::Payment, "payment_card_usd_hpp");
        let mut invoice = Invoice::new(
            Kind::Payment,
            "cpi_1".into(),
            &account,
            service.unwrap(),
            Decimal::new(1050, 2),
            true,
        );
        invoice.status = "processed".into();
        deliverer.enqueue(Job {
            queue_key: "cpi_1".into(),
            invoice_id: "cpi_1".into(),
            url,
            payload: Payload::Invoice {
                snapshot: Arc::new(invoice),
                secret: "sk_test_1".into(),
            },
        });
        eventually("three attempts", || attempts.lock().unwrap().len() == 3).await;

        let received = received.lock().unwrap().clone();
        assert_eq!(received.len(), 3);
        for (headers, body) in &received {
            assert_eq!(body, &received[0].1, "every attempt sends the same body");
            assert_eq!(headers["content-type"], "application/json");
            let signature = headers["x-signature"].to_str().unwrap();
            polypay::paycore::verify_callback(body, signature, "sk_test_1").unwrap();
        }
        let document: Value = serde_json::from_slice(&received[0].1).unwrap();
        assert_eq!(document["data"]["id"], "cpi_1");
        assert_eq!(document["data"]["attributes"]["status"], "processed");

        let outcomes: Vec<(String, &str, Option<u16>)> = attempts
            .lock()
            .unwrap()
            .iter()
            .map(|(id, log)| (id.clone(), log.status, log.response_code))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("cpi_1".into(), "failed", Some(503)),
                ("cpi_1".into(), "failed", Some(500)),
                ("cpi_1".into(), "done", Some(200)),
            ]
        );
        let waits: Vec<Value> = deliverer
            .log(Some("cpi_1"), 10)
            .iter()
            .map(|entry| entry["next_retry_in_ms"].clone())
            .collect();
        let ms = |attempt| json!(delay(attempt, TIME_SCALE).as_millis() as u64);
        assert_eq!(waits, [ms(1), ms(2), Value::Null]);
        let stats = deliverer.stats();
        assert_eq!(
            (
                &stats["attempts"],
                &stats["delivered"],
                &stats["failed_attempts"]
            ),
            (&json!(3), &json!(1), &json!(2))
        );
    }

    #[tokio::test]
    async fn callbacks_of_one_key_keep_their_order_through_retries() {
        let (url, received) = receiver(&[500]).await;
        let attempts = Attempts::default();
        let deliverer = deliverer(attempts.clone());
        for n in 1..=2 {
            deliverer.enqueue(Job {
                queue_key: "ecommpay:eps_1".into(),
                invoice_id: "ORDER-1".into(),
                url: url.clone(),
                payload: Payload::Ecommpay {
                    body: format!(r#"{{"n":{n}}}"#).into_bytes(),
                    transaction_status: "success".into(),
                },
            });
        }
        eventually("both delivered", || deliverer.stats()["delivered"] == 2).await;

        let received = received.lock().unwrap();
        let bodies: Vec<&[u8]> = received.iter().map(|(_, body)| &body[..]).collect();
        assert_eq!(bodies, [br#"{"n":1}"#, br#"{"n":1}"#, br#"{"n":2}"#]);
        assert!(
            received.iter().all(|(h, _)| !h.contains_key("x-signature")),
            "ecommpay callbacks are signed inside the body"
        );
        assert!(
            attempts.lock().unwrap().is_empty(),
            "no invoice to record on"
        );
    }
}
