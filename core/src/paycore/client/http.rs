//! One HTTP exchange, its translation into the crate's `Error`, and the loop that applies the
//! retry/reconcile policy within a call's deadline.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use super::config::{Config, Exchange, Mode};
use super::policy::{self, Attempt, CallKind, Decision};
use super::Response;
use crate::error::{ApiDetails, Error, ErrorKind, Result};
use crate::money::{printable, Amount};

/// Responses larger than this are refused (a gateway answer is a few kilobytes).
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// How much of an error body is kept on the error.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// One API call: what to send and how the policy treats it.
#[derive(Clone)]
pub(crate) struct Call {
    method: Method,
    /// A path below the base URL, or an absolute URL on the same origin (pagination links).
    target: String,
    body: Option<Vec<u8>>,
    kind: CallKind,
    private: bool,
    /// For creates: how to find the entity again and tell it from another request's.
    reconcile: Option<Arc<dyn Reconciler>>,
    dialect: Dialect,
}

/// How a gateway's answers read: which 2xx answers are the result, and what an error status
/// means. The Commerce API's is [`COMMERCE`]; ecommpay's Gate has its own.
#[derive(Clone, Copy)]
pub(crate) struct Dialect {
    /// A 2xx answer: the result, or the error and what the attempt proves.
    pub accept: fn(&Call, Response<Value>) -> Attempted,
    /// A non-2xx answer (status, request id, `Retry-After`, body).
    pub refusal: fn(u16, Option<String>, Option<Duration>, &[u8]) -> Failed,
}

/// An attempt's error, with what the attempt proves.
pub(crate) type Failed = (Error, Attempt);
/// One attempt's answer, or its failure.
pub(crate) type Attempted = std::result::Result<Response<Value>, Failed>;

pub(crate) const COMMERCE: Dialect = Dialect {
    accept,
    refusal: |status, request_id, retry_after, body| {
        (
            status_error(status, request_id, retry_after, body),
            Attempt::Status {
                status,
                retry_after,
            },
        )
    },
};

/// How a create whose outcome is unknown is found again: the lookup to send, what its answer
/// proves, and whether what is found is this request's.
pub(crate) trait Reconciler: Send + Sync {
    /// The merchant's id the create is found by, and its name (for logs).
    fn key(&self) -> &str;
    fn key_name(&self) -> &'static str;
    fn lookup(&self) -> Call;
    /// How long after the create was first sent a lookup may be (the Gate's 10 s).
    fn not_before(&self) -> Duration {
        Duration::ZERO
    }
    fn judge(&self, found: Result<Response<Value>>) -> Lookup;
    /// The result for the entity found, or the error when it is another request's.
    fn recognise(
        &self,
        found: Value,
        http_status: u16,
        request_id: Option<&str>,
    ) -> Result<Response<Value>>;
}

/// The Commerce API's reconciliation: its `reference_id`, the list path that finds it, and
/// the request's own amount, currency and service to compare with what is found.
pub(crate) struct Reconcile {
    pub reference_id: String,
    pub lookup: String,
    pub identity: Map<String, Value>,
}

impl Reconciler for Reconcile {
    fn key(&self) -> &str {
        &self.reference_id
    }

    fn key_name(&self) -> &'static str {
        "reference_id"
    }

    fn lookup(&self) -> Call {
        Call::get(self.lookup.clone(), true)
    }

    fn judge(&self, found: Result<Response<Value>>) -> Lookup {
        match found {
            Ok(page) => lookup_reference(&page.data, &self.reference_id),
            Err(_) => Lookup::Unproven,
        }
    }

    fn recognise(
        &self,
        found: Value,
        http_status: u16,
        request_id: Option<&str>,
    ) -> Result<Response<Value>> {
        recognised(self, found, http_status, request_id)
    }
}

impl Call {
    pub fn get(target: String, private: bool) -> Call {
        Call {
            method: Method::GET,
            target,
            body: None,
            kind: CallKind::Read,
            private,
            reconcile: None,
            dialect: COMMERCE,
        }
    }

    pub fn post(target: impl Into<String>, body: Vec<u8>, kind: CallKind) -> Call {
        Call {
            method: Method::POST,
            target: target.into(),
            body: Some(body),
            kind,
            private: false,
            reconcile: None,
            dialect: COMMERCE,
        }
    }

    pub fn private(mut self) -> Call {
        self.private = true;
        self
    }

    pub fn reconciled_by(mut self, reconcile: impl Reconciler + 'static) -> Call {
        self.reconcile = Some(Arc::new(reconcile));
        self
    }

    pub fn in_dialect(mut self, dialect: Dialect) -> Call {
        self.dialect = dialect;
        self
    }

    pub fn kind(&self) -> CallKind {
        self.kind
    }
}

/// The connection pool and credentials behind a `Client`.
pub(crate) struct Transport {
    pub config: Config,
    pub mode: Option<Mode>,
    http: reqwest::Client,
    base: String,
    auth: Option<HeaderValue>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("config", &self.config)
            .finish()
    }
}

impl Transport {
    pub fn new(config: Config) -> Result<Transport> {
        let mode = config.check()?;
        let mut user_agent = format!("polypay/{} (rust)", env!("CARGO_PKG_VERSION"));
        if let Some(suffix) = &config.user_agent_suffix {
            user_agent.push(' ');
            user_agent.push_str(suffix);
        }
        let mut builder = crate::tls::http_client_builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.request_timeout)
            .user_agent(user_agent)
            .pool_idle_timeout(Duration::from_secs(60))
            // A redirect would re-send the customer's data (and the credentials) elsewhere.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(proxy) = &config.proxy {
            let proxy = reqwest::Proxy::all(proxy).map_err(|_| {
                Error::configuration("invalid_proxy", "proxy is not a valid proxy URL")
                    .with_argument("proxy")
            })?;
            builder = builder.proxy(proxy);
        }
        let http = builder.build().map_err(|e| {
            Error::configuration(
                "http_client",
                format!("cannot build the HTTP client: {}", e.without_url()),
            )
        })?;
        let auth = match (&config.account_id, &config.api_key) {
            (Some(account), Some(key)) => {
                let token = STANDARD.encode(format!("{account}:{}", key.expose()));
                let mut value = HeaderValue::from_str(&format!("Basic {token}")).map_err(|_| {
                    Error::configuration(
                        "invalid_credentials",
                        "account_id/api_key contain invalid characters",
                    )
                })?;
                value.set_sensitive(true);
                Some(value)
            }
            _ => None,
        };
        Ok(Transport {
            base: config.environment.base_url().to_owned(),
            config,
            mode,
            http,
            auth,
        })
    }

    /// Runs a call under the policy until it succeeds, fails for good, the deadline passes or
    /// `cancel` fires.
    pub async fn run(
        &self,
        call: Call,
        deadline: Duration,
        cancel: Option<&CancellationToken>,
    ) -> Result<Response<Value>> {
        // A deadline too far to represent is as good as none (the config caps it at a day).
        let deadline = Instant::now()
            .checked_add(deadline)
            .unwrap_or_else(|| Instant::now() + super::MAX_TIMEOUT);
        let never = CancellationToken::new();
        let cancel = cancel.unwrap_or(&never);
        self.run_until(&call, deadline, cancel).await
    }

    async fn run_until(
        &self,
        call: &Call,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<Response<Value>> {
        if call.private && self.auth.is_none() {
            return Err(Error::configuration(
                "missing_credentials",
                "the Private API needs account_id and api_key",
            ));
        }
        let write = call.kind != CallKind::Read;
        let mut failures = 0;
        // Sticky: once an attempt of a write may have reached the gateway, only finding the
        // entity settles it; no later answer (429, 422, 5xx, an empty lookup) clears it.
        let mut may_have_landed = false;
        let mut first_sent: Option<Instant> = None;
        loop {
            if cancel.is_cancelled() {
                return Err(cancelled(may_have_landed));
            }
            first_sent.get_or_insert_with(Instant::now);
            let sent = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(cancelled(write || may_have_landed)),
                sent = self.send(call, deadline, failures + 1) => sent,
            };
            let (error, attempt) =
                match sent.and_then(|response| (call.dialect.accept)(call, response)) {
                    Ok(response) => return Ok(response),
                    Err(failure) => failure,
                };
            may_have_landed |= attempt.outcome_unknown(call.kind);
            failures += 1;
            let decision = policy::decide(call.kind, attempt, failures, &self.config.retry);
            tracing::debug!(
                target: "polypay",
                method = %call.method, path = %strip_query(&call.target), kind = %error.kind(),
                status = ?error.http_status(), request_id = ?error.request_id(), failures, ?decision,
                "attempt failed"
            );
            macro_rules! fail {
                ($error:expr) => {
                    Err(finish($error, call.kind, attempt, may_have_landed))
                };
            }
            let (delay, resend) = match decision {
                Decision::Done => return fail!(error),
                Decision::Retry(delay) => match wait(delay, deadline, cancel).await {
                    Waited::Slept => continue,
                    Waited::PastDeadline => return fail!(error),
                    Waited::Cancelled => return Err(cancelled(may_have_landed)),
                },
                Decision::ReturnExisting => {
                    let Some(reconcile) = &call.reconcile else {
                        return fail!(error);
                    };
                    if let Some(existing) = error.existing().filter(|e| has_id(e)) {
                        let existing = existing.clone();
                        return reconcile.recognise(existing, 409, error.request_id());
                    }
                    // A 409 says it exists but did not show it: look it up, never re-send.
                    may_have_landed = true;
                    (Duration::ZERO, false)
                }
                Decision::Reconcile { delay, resend } => (delay, resend),
            };
            let Some(reconcile) = &call.reconcile else {
                return fail!(error);
            };
            // Some gateways answer a lookup only some time after the request (the Gate's 10 s).
            let earliest = first_sent.map_or(Duration::ZERO, |sent| {
                (sent + reconcile.not_before()).saturating_duration_since(Instant::now())
            });
            match wait(delay.max(earliest), deadline, cancel).await {
                Waited::Slept => {}
                Waited::PastDeadline => return fail!(error),
                Waited::Cancelled => return Err(cancelled(may_have_landed)),
            }
            let key = reconcile.key();
            tracing::info!(target: "polypay", %key, "outcome unknown: reconciling by {}", reconcile.key_name());
            let lookup = reconcile.lookup();
            let found = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(cancelled(may_have_landed)),
                found = Box::pin(self.run_until(&lookup, deadline, cancel)) => found,
            };
            let answer = found
                .as_ref()
                .ok()
                .map(|page| (page.http_status, page.request_id.clone()));
            match reconcile.judge(found) {
                Lookup::Found(resource) => {
                    tracing::info!(target: "polypay", %key, "reconciled: it exists");
                    let (status, request_id) = answer.unwrap_or((200, None));
                    return reconcile.recognise(resource, status, request_id.as_deref());
                }
                // Not there: sending again with the same merchant id cannot double it (a late
                // arrival of the first is refused as a duplicate and is then found).
                Lookup::Absent if resend => continue,
                // An empty answer is no proof while a late commit may still land, and a page
                // that ignored the filter or is malformed proves nothing at all.
                _ => return fail!(error),
            }
        }
    }

    async fn send(
        &self,
        call: &Call,
        deadline: Instant,
        attempt: u32,
    ) -> std::result::Result<Response<Value>, (Error, Attempt)> {
        let Some(observer) = &self.config.observer else {
            return self.exchange(call, deadline).await;
        };
        let mut seen = Exchange {
            method: call.method.to_string(),
            path: strip_query(&call.target).to_owned(),
            attempt,
            status: None,
            request_id: None,
            elapsed_ms: None,
            error: None,
        };
        observer.on_request(&seen);
        let started = Instant::now();
        let outcome = self.exchange(call, deadline).await;
        seen.elapsed_ms = Some(started.elapsed().as_millis() as u64);
        match &outcome {
            Ok(response) => {
                seen.status = Some(response.http_status);
                seen.request_id.clone_from(&response.request_id);
            }
            Err((error, _)) => {
                seen.status = error.http_status();
                seen.request_id = error.request_id().map(str::to_owned);
                if seen.status.is_none() {
                    seen.error = Some(error.code().to_owned());
                }
            }
        }
        observer.on_response(&seen);
        outcome
    }

    async fn exchange(
        &self,
        call: &Call,
        deadline: Instant,
    ) -> std::result::Result<Response<Value>, (Error, Attempt)> {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err((
                Error::new(
                    ErrorKind::Timeout,
                    "deadline",
                    "the call's deadline passed before the request was sent",
                ),
                Attempt::NotSent,
            ));
        }
        let url = if call.target.starts_with("https://") || call.target.starts_with("http://") {
            call.target.clone()
        } else {
            format!("{}{}", self.base, call.target)
        };
        let mut request = self
            .http
            .request(call.method.clone(), url)
            .header(ACCEPT, "application/json");
        if call.private {
            request = request.header(AUTHORIZATION, self.auth.clone().expect("checked"));
        }
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let started = Instant::now();
        let attempt = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let request_id = request_id(response.headers());
            let retry_after = retry_after(response.headers());
            let body = read_body(response).await?;
            Ok::<_, reqwest::Error>((status, request_id, retry_after, body))
        };
        // The read timeout is reset by every chunk, so only a timer for the whole attempt
        // bounds a trickled body: the attempt's limit or the call's deadline, the nearer.
        let limit = remaining.min(self.config.request_timeout);
        let outcome = tokio::time::timeout(limit, attempt).await;
        let (status, request_id, retry_after, body) = match outcome {
            Ok(result) => result.map_err(transport_error)?,
            Err(_) => {
                return Err((
                    Error::new(
                        ErrorKind::Timeout,
                        "timeout",
                        format!("no complete answer within {} ms", limit.as_millis()),
                    ),
                    Attempt::Lost,
                ))
            }
        };
        tracing::debug!(
            target: "polypay",
            method = %call.method, path = %strip_query(&call.target), status, request_id = ?request_id,
            elapsed_ms = started.elapsed().as_millis() as u64, "response"
        );
        if (200..300).contains(&status) {
            return match serde_json::from_slice::<Value>(&body) {
                Ok(data) => Ok(Response {
                    data,
                    http_status: status,
                    request_id,
                    reconciled: false,
                }),
                // For a write this is "it may have happened, but we cannot tell".
                Err(_) => Err((
                    Error::new(
                        ErrorKind::Decode,
                        "invalid_json",
                        format!("HTTP {status} with a body that is not JSON"),
                    )
                    .with_api(details(status, request_id, &body)),
                    Attempt::Lost,
                )),
            };
        }
        Err((call.dialect.refusal)(
            status,
            request_id,
            retry_after,
            &body,
        ))
    }
}

/// The body, or its first [`MAX_RESPONSE_BYTES`] when the gateway sends more.
async fn read_body(mut response: reqwest::Response) -> reqwest::Result<bytes::Bytes> {
    if response
        .content_length()
        .is_some_and(|n| n <= MAX_RESPONSE_BYTES as u64)
    {
        return response.bytes().await;
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_RESPONSE_BYTES {
            body.truncate(MAX_RESPONSE_BYTES);
            break;
        }
    }
    Ok(body.into())
}

/// Sets the error's `outcome_unknown` (sticky over the call's attempts) and `retryable`.
fn finish(error: Error, kind: CallKind, attempt: Attempt, may_have_landed: bool) -> Error {
    let retryable = match kind {
        // A create is looked up by reference_id before it is sent again: calling again is safe.
        CallKind::Read | CallKind::Create => attempt.transient() || may_have_landed,
        CallKind::Write => attempt == Attempt::NotSent,
    };
    error
        .with_outcome_unknown(may_have_landed || attempt.outcome_unknown(kind))
        .with_retryable(retryable)
}

/// The caller cancelled the call (an aborted promise, a cancelled task).
fn cancelled(may_have_landed: bool) -> Error {
    Error::new(
        ErrorKind::Cancelled,
        "cancelled",
        if may_have_landed {
            "the call was cancelled after the request may have reached the gateway"
        } else {
            "the call was cancelled before anything was sent"
        },
    )
    .with_outcome_unknown(may_have_landed)
    .with_retryable(true)
}

enum Waited {
    Slept,
    PastDeadline,
    Cancelled,
}

/// Sleeps unless that would pass the deadline (a server's `Retry-After` of any size included).
async fn wait(delay: Duration, deadline: Instant, cancel: &CancellationToken) -> Waited {
    if delay >= deadline.saturating_duration_since(Instant::now()) {
        return Waited::PastDeadline;
    }
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Waited::Cancelled,
        _ = tokio::time::sleep(delay) => Waited::Slept,
    }
}

/// A write's 2xx must carry the entity: one without an `id` (`{}`, `{"data": []}`) says it
/// landed without saying what it is, so it is treated as an answer lost after sending.
fn accept(
    call: &Call,
    response: Response<Value>,
) -> std::result::Result<Response<Value>, (Error, Attempt)> {
    if call.kind == CallKind::Read || has_id(&response.data["data"]) {
        return Ok(response);
    }
    Err((
        decode_error(
            &response,
            "a 2xx answer to a create without the created entity",
        ),
        Attempt::Lost,
    ))
}

fn has_id(resource: &Value) -> bool {
    resource["id"].as_str().is_some_and(|id| !id.is_empty())
}

/// The entity found for a create (409 or lookup), if it is this request's and not another
/// request's that reused the `reference_id`.
fn recognised(
    reconcile: &Reconcile,
    resource: Value,
    http_status: u16,
    request_id: Option<&str>,
) -> Result<Response<Value>> {
    if let Some(field) = differing_field(&reconcile.identity, &resource) {
        return Err(Error::new(
            ErrorKind::Conflict,
            "reference_reused",
            format!(
                "reference_id '{}' belongs to an existing invoice with another {field}: \
                 this request was not created; use a new reference_id for a new payment",
                printable(&reconcile.reference_id)
            ),
        )
        .with_argument("reference_id")
        .with_api(ApiDetails {
            http_status: Some(http_status),
            request_id: request_id.map(str::to_owned),
            existing: Some(resource),
            ..ApiDetails::default()
        }));
    }
    Ok(Response {
        data: serde_json::json!({ "data": resource }),
        http_status,
        request_id: request_id.map(str::to_owned),
        reconciled: true,
    })
}

/// The first of amount (compared as exact decimals), currency and service on which the
/// request and the found entity disagree; a field the entity does not show is not judged.
fn differing_field(identity: &Map<String, Value>, resource: &Value) -> Option<&'static str> {
    let attributes = resource.get("attributes").unwrap_or(resource);
    ["amount", "currency", "service"].into_iter().find(|field| {
        let (Some(asked), Some(found)) = (identity.get(*field), attributes.get(*field)) else {
            return false;
        };
        if found.is_null() {
            return false;
        }
        match (Amount::from_json(asked), Amount::from_json(found)) {
            (Ok(a), Ok(b)) if *field == "amount" => a != b,
            _ => asked.as_str() != found.as_str() || asked.as_str().is_none(),
        }
    })
}

fn transport_error(error: reqwest::Error) -> (Error, Attempt) {
    let error = error.without_url();
    // A failure to connect means the request never left: nothing can have happened.
    let attempt = if error.is_connect() {
        Attempt::NotSent
    } else {
        Attempt::Lost
    };
    let mut cause = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        cause.push_str(": ");
        cause.push_str(&inner.to_string());
        source = inner.source();
    }
    let error = if error.is_timeout() {
        Error::new(
            ErrorKind::Timeout,
            "timeout",
            format!("no answer in time ({cause})"),
        )
    } else {
        Error::new(
            ErrorKind::Connection,
            "connection",
            format!("connection failed ({cause})"),
        )
    };
    (error, attempt)
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    ["x-request-id", "request-id", "x-correlation-id"]
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `Retry-After`: delta seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let seconds = (at.timestamp() - chrono::Utc::now().timestamp()).max(0);
    Some(Duration::from_secs(seconds as u64))
}

pub(crate) fn details(status: u16, request_id: Option<String>, body: &[u8]) -> ApiDetails {
    let shown = &body[..body.len().min(MAX_ERROR_BODY)];
    ApiDetails {
        http_status: Some(status),
        request_id,
        body: Some(String::from_utf8_lossy(shown).into_owned()),
        ..ApiDetails::default()
    }
}

/// Maps an HTTP error status and its documented body shapes onto the crate's `Error`.
pub(crate) fn status_error(
    status: u16,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Error {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let errors = json.as_ref().and_then(|j| j.get("errors"));
    let mut info = details(status, request_id, body);
    info.retry_after = retry_after;
    // 422 as a field map: {"errors": {"amount": "This value should be greater than 0."}}
    if let Some(Value::Object(map)) = errors {
        flatten_fields("", map, &mut info.fields);
    }
    // The alternative shape: {"request_id", "error_type", "error_codes": [...]}
    if let Some(codes) = json
        .as_ref()
        .and_then(|j| j.get("error_codes"))
        .and_then(Value::as_array)
    {
        for code in codes {
            match code {
                Value::String(s) => info.fields.push((s.clone(), s.clone())),
                Value::Object(o) => info.fields.push((
                    o.get("field")
                        .or_else(|| o.get("code"))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                    o.get("message")
                        .or_else(|| o.get("title"))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                )),
                _ => {}
            }
        }
        if info.request_id.is_none() {
            info.request_id = json
                .as_ref()
                .and_then(|j| j["request_id"].as_str())
                .map(str::to_owned);
        }
    }
    if status == 409 {
        info.existing = json
            .as_ref()
            .and_then(|j| j.get("data"))
            .filter(|d| d.is_object())
            .cloned();
    }
    // {"errors": [{"status": "Unauthorized", "code": "401", "title"?, "detail"?}]}
    let said = match errors {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|e| {
                ["detail", "title", "status"]
                    .iter()
                    .find_map(|k| e.get(*k).and_then(Value::as_str))
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => info
            .fields
            .iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect::<Vec<_>>()
            .join("; "),
    };
    let (kind, code, hint) = match status {
        401 => (
            ErrorKind::Authentication,
            "unauthorized",
            "check account_id/api_key (private) or public_key (public)",
        ),
        403 => (
            ErrorKind::Permission,
            "forbidden",
            "these credentials may not call this method (IP allow-list?)",
        ),
        404 => (
            ErrorKind::NotFound,
            "not_found",
            "no such resource or method",
        ),
        405 => (
            ErrorKind::MethodNotAllowed,
            "method_not_allowed",
            "wrong HTTP method",
        ),
        409 => (
            ErrorKind::Conflict,
            "conflict",
            "an entity with this reference_id already exists",
        ),
        400 | 422 => (
            ErrorKind::Validation,
            "invalid_data",
            "the gateway refused the data or account settings",
        ),
        429 => (ErrorKind::RateLimited, "rate_limited", "too many requests"),
        300..=399 => (
            ErrorKind::Decode,
            "redirect",
            "the gateway redirected; polypay never follows redirects with your data and keys (check base_url)",
        ),
        500..=599 => (ErrorKind::Server, "server_error", "the gateway failed"),
        400..=499 => (
            ErrorKind::Validation,
            "client_error",
            "the gateway refused the request",
        ),
        _ => (
            ErrorKind::Decode,
            "unexpected_status",
            "unexpected HTTP status",
        ),
    };
    let message = if said.is_empty() {
        format!("HTTP {status}: {hint}")
    } else {
        format!("HTTP {status}: {said} ({hint})")
    };
    Error::new(kind, code, message).with_api(info)
}

fn flatten_fields(
    prefix: &str,
    map: &serde_json::Map<String, Value>,
    out: &mut Vec<(String, String)>,
) {
    for (key, value) in map {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::String(message) => out.push((name, message.clone())),
            Value::Array(messages) => {
                for message in messages {
                    out.push((
                        name.clone(),
                        message
                            .as_str()
                            .map_or_else(|| message.to_string(), str::to_owned),
                    ));
                }
            }
            Value::Object(inner) => flatten_fields(&name, inner, out),
            other => out.push((name, other.to_string())),
        }
    }
}

/// What a lookup by `reference_id` proves.
pub(crate) enum Lookup {
    Found(Value),
    /// A well-formed, empty answer: nothing with this reference (yet).
    Absent,
    /// A malformed page, or items with other references (the gateway ignored the filter, so
    /// the entity may be on another page): proves nothing.
    Unproven,
}

pub(crate) fn lookup_reference(document: &Value, reference_id: &str) -> Lookup {
    let Some(items) = document["data"].as_array() else {
        return Lookup::Unproven;
    };
    let reference = |item: &Value| {
        let attributes = item.get("attributes").unwrap_or(item);
        attributes["reference_id"].as_str() == Some(reference_id)
    };
    match items.iter().find(|item| reference(item)) {
        Some(item) if has_id(item) => Lookup::Found(item.clone()),
        Some(_) => Lookup::Unproven,
        None if items.is_empty() => Lookup::Absent,
        None => Lookup::Unproven,
    }
}

pub(crate) fn decode_error(response: &Response<Value>, why: &str) -> Error {
    Error::new(ErrorKind::Decode, "unexpected_shape", why.to_owned()).with_api(ApiDetails {
        http_status: Some(response.http_status),
        request_id: response.request_id.clone(),
        body: Some(response.data.to_string()),
        ..ApiDetails::default()
    })
}

fn strip_query(target: &str) -> &str {
    target.split('?').next().unwrap_or(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_error_bodies_map_to_kinds_and_fields() {
        let e = status_error(
            401,
            Some("r1".into()),
            None,
            br#"{"errors":[{"status":"Unauthorized","code":"401"}]}"#,
        );
        assert_eq!(
            (e.kind(), e.http_status(), e.request_id()),
            (ErrorKind::Authentication, Some(401), Some("r1"))
        );
        assert!(e.message().contains("Unauthorized"));

        let e = status_error(422, None, None, br#"{"errors":{"amount":"This value should be greater than 0.","customer":{"reference_id":"required"}}}"#);
        assert_eq!(e.kind(), ErrorKind::Validation);
        assert_eq!(
            e.fields(),
            &[
                (
                    "amount".to_owned(),
                    "This value should be greater than 0.".to_owned()
                ),
                ("customer.reference_id".to_owned(), "required".to_owned())
            ]
        );

        let e = status_error(422, None, None, br#"{"request_id":"abc","error_type":"validation","error_codes":[{"field":"amount","message":"too small"}]}"#);
        assert_eq!((e.request_id(), e.fields().len()), (Some("abc"), 1));

        let e = status_error(409, None, None, br#"{"errors":[{"status":"Conflict","code":"409"}],"data":{"type":"payment-invoices","id":"cpi_1"}}"#);
        assert_eq!(
            (e.kind(), e.existing().unwrap()["id"].as_str()),
            (ErrorKind::Conflict, Some("cpi_1"))
        );

        let e = status_error(429, None, Some(Duration::from_secs(2)), b"");
        assert_eq!(
            (e.kind(), e.retry_after()),
            (ErrorKind::RateLimited, Some(Duration::from_secs(2)))
        );

        let e = status_error(503, None, None, b"<html>busy</html>");
        assert_eq!(
            (e.kind(), e.body()),
            (ErrorKind::Server, Some("<html>busy</html>"))
        );
        for (status, kind) in [
            (403, ErrorKind::Permission),
            (404, ErrorKind::NotFound),
            (405, ErrorKind::MethodNotAllowed),
            (400, ErrorKind::Validation),
        ] {
            assert_eq!(status_error(status, None, None, b"{}").kind(), kind);
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&soon).unwrap());
        let parsed = retry_after(&headers).unwrap();
        assert!(
            parsed >= Duration::from_secs(28) && parsed <= Duration::from_secs(30),
            "{parsed:?}"
        );
    }
}
