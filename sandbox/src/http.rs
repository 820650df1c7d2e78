//! Response helpers: the documented error bodies, JSON written like the real server, HTML pages.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

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

/// 429 with `Retry-After` (seconds).
pub fn too_many_requests(retry_after: u64) -> Response {
    let body = json!({"errors": [{
        "status": "Too Many Requests",
        "code": "429",
        "title": "Too many requests or duplicate request detected"
    }]});
    let mut resp = bytes_response(
        StatusCode::TOO_MANY_REQUESTS,
        "application/json",
        polypay::json::to_php_json(&body),
    );
    resp.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_str(&retry_after.to_string()).expect("digits"),
    );
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

pub fn html(status: StatusCode, body: String) -> Response {
    bytes_response(status, "text/html; charset=utf-8", body.into_bytes())
}

pub fn redirect(location: &str) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::SEE_OTHER;
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
