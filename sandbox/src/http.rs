//! Response helpers: the documented error bodies, JSON written like the real server, redirects.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use hyper::body::{Frame, SizeHint};
use serde_json::{json, Map, Value};
use tokio::time::Sleep;

use crate::state::State;
use crate::validate::Errors;

/// Marks a response that must not be sent: the connection is closed instead (fault injection).
#[derive(Clone, Copy, Debug)]
pub struct DropConnection;

pub fn bytes_response(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// JSON as the configured server writes it (PHP escapes by default).
pub fn json(state: &State, status: StatusCode, value: &Value) -> Response {
    bytes_response(status, "application/json", state.json_bytes(value))
}

/// Plain JSON (admin API).
pub fn plain_json(status: StatusCode, value: &Value) -> Response {
    bytes_response(
        status,
        "application/json",
        serde_json::to_vec_pretty(value).expect("JSON"),
    )
}

pub fn reason(status: StatusCode) -> &'static str {
    match status.as_u16() {
        429 => "Too Many Requests",
        other => StatusCode::from_u16(other)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error"),
    }
}

/// `{"errors":[{"status":"Unauthorized","code":"401"}]}` (401, 403, 404, 405, 5xx faults).
pub fn error_array(status: StatusCode) -> Response {
    let body = if status == StatusCode::INTERNAL_SERVER_ERROR {
        internal_error_body()
    } else {
        json!({"errors": [{"status": reason(status), "code": status.as_u16().to_string()}]})
    };
    bytes_response(
        status,
        "application/json",
        polypay::json::to_php_json(&body),
    )
}

pub fn internal_error_body() -> Value {
    json!({"errors": [{
        "status": "internal_error",
        "code": "500",
        "title": "internal_error",
        "detail": "Internal server error."
    }]})
}

pub fn status_error(code: u16) -> Response {
    error_array(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
}

/// The error answer of a status fault: the documented body of that status (429 with its title;
/// 409 with the duplicate title but without `data`), and `Retry-After` verbatim when given.
pub fn fault_status(code: u16, retry_after: Option<&str>) -> Response {
    let title = match code {
        429 => Some("Too many requests or duplicate request detected"),
        409 => Some("reference_id already exists"),
        _ => None,
    };
    let mut resp = match title {
        Some(title) => {
            let status = StatusCode::from_u16(code).expect("409 and 429 are statuses");
            let body = json!({"errors": [{
                "status": reason(status),
                "code": code.to_string(),
                "title": title,
            }]});
            bytes_response(
                status,
                "application/json",
                polypay::json::to_php_json(&body),
            )
        }
        None => status_error(code),
    };
    if let Some(v) = retry_after.and_then(|text| HeaderValue::from_str(text).ok()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

pub fn bad_request(detail: &str) -> Response {
    let body = json!({"errors": [{"status": "Bad Request", "code": "400", "title": "Invalid request", "detail": detail}]});
    bytes_response(
        StatusCode::BAD_REQUEST,
        "application/json",
        polypay::json::to_php_json(&body),
    )
}

/// 422 `{"errors":{"field":"message"}}`.
pub fn validation(errors: &Errors) -> Response {
    bytes_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        "application/json",
        polypay::json::to_php_json(&errors.to_json()),
    )
}

/// 409 with the existing entity, in the same shape as its GET.
pub fn conflict(state: &State, existing: Value, title: &str) -> Response {
    let body = json!({
        "errors": [{"status": "Conflict", "code": "409", "title": title}],
        "data": existing,
    });
    json(state, StatusCode::CONFLICT, &body)
}

pub fn redirect(location: &str) -> Response {
    redirect_with(StatusCode::SEE_OTHER, location)
}

pub fn redirect_with(status: StatusCode, location: &str) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// Parses a JSON request body (objects only, key order and number lexemes kept).
pub fn parse_body(bytes: &[u8]) -> Result<Map<String, Value>, Response> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    polypay::json::parse_object(bytes, "body").map_err(|e| bad_request(e.message()))
}

/// A body sent `chunk` bytes at a time with a pause between chunks (the `trickle` fault). Its
/// exact size hint makes hyper send `Content-Length`, so the client waits for every byte.
pub struct Trickle {
    rest: Bytes,
    chunk: usize,
    interval: Duration,
    pause: Option<Pin<Box<Sleep>>>,
}

impl Trickle {
    pub fn new(body: Bytes, chunk: usize, interval: Duration) -> Trickle {
        Trickle {
            rest: body,
            chunk: chunk.max(1),
            interval,
            pause: None,
        }
    }
}

impl hyper::body::Body for Trickle {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.rest.is_empty() {
            return Poll::Ready(None);
        }
        if let Some(pause) = self.pause.as_mut() {
            if pause.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        let n = self.chunk.min(self.rest.len());
        let data = self.rest.split_to(n);
        let interval = self.interval;
        self.pause = Some(Box::pin(tokio::time::sleep(interval)));
        Poll::Ready(Some(Ok(Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.rest.len() as u64)
    }
}
