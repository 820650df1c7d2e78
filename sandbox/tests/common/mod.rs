//! Shared test helpers: start a sandbox on a free port, talk to it over real HTTP, and
//! receive its callbacks on a local axum listener.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use polypay_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use scraper::{Html, Selector};
use serde_json::{json, Value};
use tokio::sync::Notify;

pub const ACCOUNT: &str = "coma_sandbox";
pub const API_KEY: &str = "sandbox_api_key";
pub const PK_TEST: &str = "pk_test_sandbox";
pub const PK_LIVE: &str = "pk_live_sandbox";
pub const SK_TEST: &str = "sk_test_sandbox";
pub const SK_LIVE: &str = "sk_live_sandbox";

/// The private payment attribute keys, in the order of the reference documentation.
pub const PRIVATE_PAYMENT_KEYS: &[&str] = &[
    "serial_number",
    "status",
    "resolution",
    "moderation_required",
    "amount",
    "payment_amount",
    "currency",
    "service_currency",
    "reference_id",
    "test_mode",
    "fee",
    "deposit",
    "processed",
    "processed_amount",
    "refunded_amount",
    "processed_fee",
    "processed_deposit",
    "metadata",
    "flow_data",
    "flow",
    "payment_flow",
    "created",
    "updated",
    "payload",
    "description",
    "descriptor",
    "callback_url",
    "return_url",
    "original_data",
    "rrn",
    "approval_code",
    "reserved_amount",
    "reserve_expires",
    "unreserved",
    "source",
    "callback_logs",
];

/// The public (flat) payment invoice keys of the reference documentation.
pub const PUBLIC_PAYMENT_KEYS: &[&str] = &[
    "id",
    "serial_number",
    "created",
    "test_mode",
    "reference_id",
    "currency",
    "amount",
    "payment_amount",
    "processed_amount",
    "refunded_amount",
    "description",
    "has_return_url",
    "status",
    "resolution",
    "service",
    "service_method",
    "service_flow",
    "service_currency",
    "metadata",
    "active_payment",
];

pub async fn start() -> RunningSandbox {
    start_with(SandboxConfig::default()).await
}

pub async fn start_with(config: SandboxConfig) -> RunningSandbox {
    Sandbox::start(config).await.expect("sandbox starts")
}

/// A client that does not follow redirects (the tests check the 303s) and uses no proxy.
pub fn client() -> reqwest::Client {
    polypay::tls::http_client_builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

pub fn keys(value: &Value) -> Vec<String> {
    value
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Reply {
    pub async fn read(r: reqwest::Response) -> Reply {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            json,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Api {
    pub fn new(sandbox: &RunningSandbox) -> Api {
        Api {
            base: sandbox.base_url().to_owned(),
            http: client(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Reply {
        Reply::read(
            self.http
                .get(self.url(path))
                .basic_auth(ACCOUNT, Some(API_KEY))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn get_anon(&self, path: &str) -> Reply {
        Reply::read(self.http.get(self.url(path)).send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        Reply::read(
            self.http
                .post(self.url(path))
                .basic_auth(ACCOUNT, Some(API_KEY))
                .json(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn post_anon(&self, path: &str, body: &Value) -> Reply {
        Reply::read(
            self.http
                .post(self.url(path))
                .json(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn post_form(&self, path: &str, pairs: &[(String, String)]) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        Reply::read(
            self.http
                .post(self.url(path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// POST /api/payment-invoices with these attributes.
    pub async fn create_payment(&self, attributes: Value) -> Reply {
        self.post(
            "/api/payment-invoices",
            &json!({"data": {"type": "payment-invoices", "attributes": attributes}}),
        )
        .await
    }

    pub async fn create_payout(&self, attributes: Value) -> Reply {
        self.post(
            "/api/payout-invoices",
            &json!({"data": {"type": "payout-invoices", "attributes": attributes}}),
        )
        .await
    }

    pub async fn invoice(&self, id: &str) -> Value {
        let kind = if id.starts_with("cpoi_") {
            "payout-invoices"
        } else {
            "payment-invoices"
        };
        let r = self.get(&format!("/api/{kind}/{id}")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["data"].clone()
    }

    pub async fn admin_post(&self, path: &str, body: &Value) -> Reply {
        Reply::read(
            self.http
                .post(self.url(path))
                .json(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        Reply::read(self.http.delete(self.url(path)).send().await.unwrap()).await
    }
}

/// A valid private create for the test service with the given outcome.
pub fn test_payment(reference: &str, outcome: &str) -> Value {
    json!({
        "reference_id": reference,
        "service": "test_usd_test",
        "currency": "USD",
        "amount": 100,
        "test_mode": true,
        "service_fields": {"status": outcome},
    })
}

/// A valid private create for the hosted card service.
pub fn card_payment(reference: &str) -> Value {
    json!({
        "reference_id": reference,
        "service": "payment_card_usd_hpp",
        "currency": "USD",
        "amount": 123.45,
        "test_mode": true,
        "description": "Invoice Example",
    })
}

#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn signature(&self) -> &str {
        self.headers
            .get("x-signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn status(&self) -> String {
        self.json()["data"]["attributes"]["status"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }
}

#[derive(Clone, Default)]
struct Inbox {
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
    notify: Arc<Notify>,
}

/// A local HTTP listener that records callbacks and answers from a script (default 200).
pub struct Receiver {
    pub url: String,
    inbox: Inbox,
    _task: tokio::task::JoinHandle<()>,
}

async fn record(
    State(inbox): State<Inbox>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    inbox.got.lock().unwrap().push(Received {
        path: uri.path().to_owned(),
        headers,
        body,
        at: Instant::now(),
    });
    inbox.notify.notify_waiters();
    let code = inbox.script.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(code).unwrap()
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inbox = Inbox::default();
        let app = axum::Router::new()
            .fallback(record)
            .with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            url,
            inbox,
            _task: task,
        }
    }

    /// Answers the next requests with these statuses, then 200.
    pub fn script(&self, codes: &[u16]) {
        self.inbox
            .script
            .lock()
            .unwrap()
            .extend(codes.iter().copied());
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.got.lock().unwrap().clone()
    }

    /// Waits until `n` requests have arrived (10 s at most).
    pub async fn wait(&self, n: usize) -> Vec<Received> {
        self.wait_where(n, |_| true).await
    }

    /// Waits until `n` requests to paths starting with `prefix` have arrived.
    pub async fn wait_path(&self, prefix: &str, n: usize) -> Vec<Received> {
        let prefix = prefix.to_owned();
        self.wait_where(n, move |r| r.path.starts_with(&prefix))
            .await
    }

    pub async fn wait_where(&self, n: usize, filter: impl Fn(&Received) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.inbox.notify.notified();
            let got: Vec<Received> = self.received().into_iter().filter(|r| filter(r)).collect();
            if got.len() >= n {
                return got;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let statuses: Vec<String> = got
                    .iter()
                    .map(|r| String::from_utf8_lossy(&r.body).into_owned())
                    .collect();
                panic!("expected {n} callbacks, got {}: {statuses:#?}", got.len());
            }
            let _ = tokio::time::timeout(left.min(Duration::from_millis(200)), notified).await;
        }
    }
}

/// A form of a hosted page, read as a browser would: its action and its hidden inputs.
pub fn form_in(html: &str, form_id: &str) -> (String, Vec<(String, String)>) {
    let doc = Html::parse_document(html);
    let form = doc
        .select(&Selector::parse(&format!("form[id=\"{form_id}\"]")).unwrap())
        .next()
        .unwrap_or_else(|| panic!("no form {form_id} in {html}"));
    let action = form.value().attr("action").unwrap().to_owned();
    let hidden = form
        .select(&Selector::parse("input[type=hidden]").unwrap())
        .map(|input| {
            let input = input.value();
            (
                input.attr("name").unwrap().to_owned(),
                input.attr("value").unwrap_or_default().to_owned(),
            )
        })
        .collect();
    (action, hidden)
}

/// The text a browser shows for a page (character references decoded, tags left out).
pub fn page_text(html: &str) -> String {
    Html::parse_document(html).root_element().text().collect()
}

pub fn card(number: &str) -> Vec<(String, String)> {
    vec![
        ("card_number".into(), number.into()),
        ("expiry_month".into(), "12".into()),
        ("expiry_year".into(), "30".into()),
        ("cvv".into(), "123".into()),
        ("card_holder".into(), "Jane Doe".into()),
    ]
}

/// The path and query of a Location header, relative to the sandbox.
pub fn location(reply: &Reply) -> String {
    reply
        .header("location")
        .unwrap_or_else(|| panic!("no Location: {} {}", reply.status, reply.text))
        .to_owned()
}

/// Polls an admin GET until `done` accepts its JSON (5 s at most); returns that JSON.
pub async fn eventually(api: &Api, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let doc = api.get_anon(path).await.json;
        if done(&doc) || Instant::now() > deadline {
            return doc;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
