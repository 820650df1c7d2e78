//! ecommpay Gate (`POST /v2/payment/…`): signed requests are accepted at once with
//! `{"status": "success", "request_id", …}`, processed `gate_delay_ms` later (the test cards
//! decide payouts; a stored token or recurring id charges its card again) and reported by a
//! signed callback; `/v2/payment/status` answers the payment with all its operations.
//!
//! Payment Page payments are Gate payments too: they can be refunded, and an `auth` one
//! (`card_operation_type=auth`) captured or cancelled.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State as Ax};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use crate::callbacks::{Job, Payload};
use crate::cards::TEST_CARDS;
use crate::config::EcommpayProjectConfig;
use crate::http::plain_json;
use crate::state::State;

type St = Ax<Arc<State>>;

/// A payment as the Gate knows it.
#[derive(Clone, Debug)]
pub struct GatePayment {
    pub project_id: i64,
    pub payment_id: String,
    /// `purchase`, `payout` or `recurring`.
    pub payment_type: String,
    pub status: String,
    pub amount: i64,
    pub currency: String,
    pub description: String,
    pub account: Value,
    pub customer_id: Option<String>,
    pub operations: Vec<Value>,
    pub refunded: i64,
    /// Whether the card charges succeed (a token's or recurring id's later payments).
    pub card_success: bool,
    pub callback_url: Option<String>,
}

#[derive(Default)]
pub struct GateStore {
    payments: HashMap<(i64, String), GatePayment>,
    /// request id → payment.
    requests: HashMap<String, (i64, String)>,
    /// card token or recurring id → whether its card succeeds.
    credentials: HashMap<String, bool>,
}

impl GateStore {
    pub fn insert(&mut self, payment: GatePayment) {
        for op in &payment.operations {
            if let Some(request_id) = op["request_id"].as_str() {
                self.requests.insert(
                    request_id.to_owned(),
                    (payment.project_id, payment.payment_id.clone()),
                );
            }
        }
        self.payments
            .insert((payment.project_id, payment.payment_id.clone()), payment);
    }

    pub fn remember_credential(&mut self, credential: String, success: bool) {
        self.credentials.insert(credential, success);
    }
}

fn date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%z").to_string()
}

fn gate_error(status: StatusCode, code: &str, message: &str) -> Response {
    plain_json(
        status,
        &json!({"status": "error", "code": code, "message": message}),
    )
}

/// The verified request and its project, or the refusal.
fn verified<'a>(
    st: &'a State,
    body: &[u8],
) -> Result<(Map<String, Value>, &'a EcommpayProjectConfig), Response> {
    let Ok(Value::Object(mut request)) = serde_json::from_slice::<Value>(body) else {
        return Err(gate_error(
            StatusCode::BAD_REQUEST,
            "1",
            "The request body must be a JSON object",
        ));
    };
    let general = request.get("general").and_then(Value::as_object);
    let project_id = general
        .and_then(|g| g.get("project_id"))
        .or_else(|| request.get("project_id"))
        .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
    let Some(project) =
        project_id.and_then(|id| st.config.ecommpay.iter().find(|p| p.project_id == id))
    else {
        return Err(gate_error(
            StatusCode::UNAUTHORIZED,
            "2",
            "Unknown project_id",
        ));
    };
    let signature = match request.get_mut("general").and_then(Value::as_object_mut) {
        Some(general) if general.contains_key("signature") => general.remove("signature"),
        _ => request.remove("signature"),
    };
    let signature = signature.and_then(|s| s.as_str().map(str::to_owned));
    let expected = polypay::ecommpay::sign(&request, &project.secret_key).unwrap_or_default();
    if signature.as_deref() != Some(expected.as_str()) {
        return Err(gate_error(
            StatusCode::UNAUTHORIZED,
            "3",
            "Invalid signature",
        ));
    }
    if has_semicolon(&Value::Object(request.clone())) {
        return Err(gate_error(
            StatusCode::BAD_REQUEST,
            "1005",
            "Keys and values may not contain ';'",
        ));
    }
    Ok((request, project))
}

/// The Gate refuses `;` in keys and values (it would make the signed string ambiguous).
fn has_semicolon(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains(';'),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains(';') || has_semicolon(v)),
        Value::Array(list) => list.iter().any(has_semicolon),
        _ => false,
    }
}

fn sum_of(request: &Value) -> (Option<i64>, Option<String>) {
    let payment = request.get("payment");
    (
        payment
            .and_then(|p| p.get("amount"))
            .and_then(Value::as_i64)
            .filter(|a| *a > 0),
        payment
            .and_then(|p| p.get("currency"))
            .and_then(Value::as_str)
            .map(str::to_owned),
    )
}

/// The status document of a payment (the callback's shape, with `operations[]`), signed.
fn document(payment: &GatePayment, secret: &str, last: Option<&Value>) -> Value {
    let mut body = Map::new();
    body.insert("project_id".into(), json!(payment.project_id));
    body.insert(
        "payment".into(),
        json!({
            "id": payment.payment_id,
            "type": payment.payment_type,
            "status": payment.status,
            "date": date(chrono::Utc::now()),
            "method": "card",
            "sum": {"amount": payment.amount, "currency": payment.currency},
            "description": payment.description,
        }),
    );
    if !payment.account.is_null() {
        body.insert("account".into(), payment.account.clone());
    }
    if let Some(customer) = &payment.customer_id {
        body.insert("customer".into(), json!({ "id": customer }));
    }
    match last {
        Some(op) => body.insert("operation".into(), op.clone()),
        None => body.insert("operations".into(), json!(payment.operations)),
    };
    let signature = polypay::ecommpay::sign(&body, secret).unwrap_or_default();
    body.insert("signature".into(), json!(signature));
    Value::Object(body)
}

/// `POST /v2/payment/status`.
pub async fn status(Ax(st): St, body: Bytes) -> Response {
    let (request, project) = match verified(&st, &body) {
        Ok(v) => v,
        Err(refusal) => return refusal,
    };
    let payment_id = request["general"]["payment_id"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| {
            request["general"]["payment_id"]
                .as_i64()
                .map(|n| n.to_string())
        });
    let Some(payment_id) = payment_id else {
        return gate_error(
            StatusCode::BAD_REQUEST,
            "1001",
            "general.payment_id is required",
        );
    };
    answer_status(&st, project, &payment_id)
}

fn answer_status(st: &State, project: &EcommpayProjectConfig, payment_id: &str) -> Response {
    let found = st
        .gate
        .lock()
        .unwrap()
        .payments
        .get(&(project.project_id, payment_id.to_owned()))
        .cloned();
    match found {
        Some(payment) => plain_json(
            StatusCode::OK,
            &document(&payment, &project.secret_key, None),
        ),
        None => gate_error(StatusCode::NOT_FOUND, "3061", "Transaction not found"),
    }
}

/// `POST /v2/payment/status/request`.
pub async fn request_status(Ax(st): St, body: Bytes) -> Response {
    let (request, project) = match verified(&st, &body) {
        Ok(v) => v,
        Err(refusal) => return refusal,
    };
    let request_id = request["request_id"].as_str().unwrap_or_default();
    let found = st.gate.lock().unwrap().requests.get(request_id).cloned();
    match found {
        Some((project_id, payment_id)) if project_id == project.project_id => {
            answer_status(&st, project, &payment_id)
        }
        _ => gate_error(StatusCode::NOT_FOUND, "3061", "Request not found"),
    }
}

/// `POST /v2/payment/{method…}/{operation}`: refund, capture, cancel, payout, payout by
/// token and recurring charge.
pub async fn operation(Ax(st): St, Path(path): Path<String>, body: Bytes) -> Response {
    let (request, project) = match verified(&st, &body) {
        Ok((request, project)) => (Value::Object(request), project),
        Err(refusal) => return refusal,
    };
    let kind = if path.ends_with("/payout/token") {
        "payout_token"
    } else {
        path.rsplit('/').next().unwrap_or_default()
    };
    let payment_id = match request["general"]["payment_id"].as_str() {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => {
            return gate_error(
                StatusCode::BAD_REQUEST,
                "1001",
                "general.payment_id is required",
            )
        }
    };
    let request_id = format!(
        "{}-{:08}",
        st.ids.token("", 40).to_ascii_lowercase(),
        st.ids.number() % 100_000_000
    );
    let accepted = match kind {
        "refund" | "capture" | "cancel" => {
            on_existing(&st, project, &request, &payment_id, kind, &request_id)
        }
        "payout" | "payout_token" | "recurring" => {
            new_payment(&st, project, &request, &payment_id, kind, &request_id)
        }
        _ => return gate_error(StatusCode::NOT_FOUND, "1002", "Unknown endpoint"),
    };
    if let Err(refusal) = accepted {
        return refusal;
    }
    let delay = Duration::from_millis(st.config.gate_delay_ms);
    let state = st.clone();
    let (project_id, secret) = (project.project_id, project.secret_key.clone());
    let key = (project_id, payment_id.clone());
    let processed = request_id.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        process(&state, key, &processed, &secret);
    });
    plain_json(
        StatusCode::OK,
        &json!({
            "status": "success",
            "request_id": request_id,
            "project_id": project_id,
            "payment_id": payment_id,
        }),
    )
}

fn operation_value(kind: &str, request_id: &str, amount: i64, currency: &str) -> Value {
    let now = date(chrono::Utc::now());
    json!({
        "id": 2_000_000_000_000u64 + rand::random::<u32>() as u64,
        "type": kind,
        "status": "processing",
        "date": now,
        "created_date": now,
        "request_id": request_id,
        "sum_initial": {"amount": amount, "currency": currency},
        "sum_converted": {"amount": amount, "currency": currency},
        "code": "0",
        "message": "Success",
    })
}

fn callback_url(st: &State, project: &EcommpayProjectConfig, request: &Value) -> Option<String> {
    request["general"]["merchant_callback_url"]
        .as_str()
        .filter(|u| crate::util::is_http_url(u))
        .map(str::to_owned)
        .or_else(|| project.callback_url.clone())
        .or_else(|| st.config.callback_url.clone())
}

/// A refund, capture or cancel of an existing payment: checked and recorded as processing.
fn on_existing(
    st: &State,
    project: &EcommpayProjectConfig,
    request: &Value,
    payment_id: &str,
    kind: &str,
    request_id: &str,
) -> Result<(), Response> {
    let mut gate = st.gate.lock().unwrap();
    let Some(payment) = gate
        .payments
        .get_mut(&(project.project_id, payment_id.to_owned()))
    else {
        return Err(gate_error(
            StatusCode::BAD_REQUEST,
            "3061",
            "Transaction not found",
        ));
    };
    let refund_id = request["payment"]["merchant_refund_id"].as_str();
    let duplicate = kind == "refund"
        && refund_id.is_some_and(|id| {
            payment
                .operations
                .iter()
                .any(|op| op["merchant_refund_id"].as_str() == Some(id))
        });
    if duplicate {
        return Err(gate_error(
            StatusCode::BAD_REQUEST,
            "3230",
            "The operation with such merchant_refund_id already exists",
        ));
    }
    let busy = payment
        .operations
        .iter()
        .any(|op| op["status"] == "processing");
    if busy {
        return Err(gate_error(
            StatusCode::BAD_REQUEST,
            "3029",
            "Another operation is in progress",
        ));
    }
    let (amount, currency) = sum_of(request);
    if currency.as_deref().is_some_and(|c| c != payment.currency) {
        return Err(gate_error(
            StatusCode::BAD_REQUEST,
            "3016",
            "Currency differs from the payment's",
        ));
    }
    let remaining = payment.amount - payment.refunded;
    let amount = match kind {
        "refund" => {
            if !matches!(payment.status.as_str(), "success" | "partially refunded") {
                return Err(gate_error(
                    StatusCode::BAD_REQUEST,
                    "3030",
                    "The payment cannot be refunded in its status",
                ));
            }
            let amount = amount.unwrap_or(remaining);
            if amount > remaining {
                return Err(gate_error(
                    StatusCode::BAD_REQUEST,
                    "3027",
                    "The refund amount exceeds the payment's remaining amount",
                ));
            }
            amount
        }
        _ => {
            if payment.status != "awaiting capture" {
                return Err(gate_error(
                    StatusCode::BAD_REQUEST,
                    "3030",
                    "The payment is not awaiting capture",
                ));
            }
            let amount = amount.unwrap_or(payment.amount);
            if amount > payment.amount {
                return Err(gate_error(
                    StatusCode::BAD_REQUEST,
                    "3027",
                    "The amount exceeds the authorised amount",
                ));
            }
            amount
        }
    };
    let mut op = operation_value(kind, request_id, amount, &payment.currency);
    if let Some(id) = request["payment"]["merchant_refund_id"].as_str() {
        op["merchant_refund_id"] = json!(id);
    }
    payment.operations.push(op);
    if let Some(url) = callback_url(st, project, request) {
        payment.callback_url = Some(url);
    }
    let key = (project.project_id, payment_id.to_owned());
    gate.requests.insert(request_id.to_owned(), key);
    Ok(())
}

/// A payout or a charge: a new payment, refused when its `payment_id` exists.
fn new_payment(
    st: &State,
    project: &EcommpayProjectConfig,
    request: &Value,
    payment_id: &str,
    kind: &str,
    request_id: &str,
) -> Result<(), Response> {
    let (Some(amount), Some(currency)) = sum_of(request) else {
        return Err(gate_error(
            StatusCode::BAD_REQUEST,
            "1001",
            "payment.amount and payment.currency are required",
        ));
    };
    if polypay::Currency::parse(&currency).is_err() {
        return Err(gate_error(
            StatusCode::BAD_REQUEST,
            "1001",
            "payment.currency is not a currency",
        ));
    }
    let mut gate = st.gate.lock().unwrap();
    if gate
        .payments
        .contains_key(&(project.project_id, payment_id.to_owned()))
    {
        return Err(gate_error(
            StatusCode::BAD_REQUEST,
            "3041",
            "Payment with such id already exists",
        ));
    }
    let (card_success, account) = match kind {
        "payout" => {
            let pan = request["card"]["pan"].as_str().unwrap_or_default();
            let success = TEST_CARDS.iter().any(|(n, _, ok)| *n == pan && *ok);
            let mask = if pan.len() >= 10 {
                format!("{}******{}", &pan[..6], &pan[pan.len() - 4..])
            } else {
                String::new()
            };
            (success, json!({"number": mask}))
        }
        "payout_token" => {
            let token = request["token"].as_str().unwrap_or_default();
            match gate.credentials.get(token) {
                Some(success) => (*success, json!({"token": token})),
                None => return Err(gate_error(StatusCode::BAD_REQUEST, "3184", "Unknown token")),
            }
        }
        _ => {
            let id = request["recurring"]["id"]
                .as_i64()
                .map(|n| n.to_string())
                .or_else(|| request["recurring"]["id"].as_str().map(str::to_owned))
                .unwrap_or_default();
            match gate.credentials.get(&format!("recurring:{id}")) {
                Some(success) => (*success, Value::Null),
                None => {
                    return Err(gate_error(
                        StatusCode::BAD_REQUEST,
                        "3184",
                        "Unknown recurring id",
                    ))
                }
            }
        }
    };
    let payment_type = if kind == "recurring" {
        "recurring"
    } else {
        "payout"
    };
    gate.insert(GatePayment {
        project_id: project.project_id,
        payment_id: payment_id.to_owned(),
        payment_type: payment_type.into(),
        status: "processing".into(),
        amount,
        currency: currency.clone(),
        description: request["payment"]["description"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        account,
        customer_id: request["customer"]["id"].as_str().map(str::to_owned),
        operations: vec![operation_value(payment_type, request_id, amount, &currency)],
        refunded: 0,
        card_success,
        callback_url: callback_url(st, project, request),
    });
    Ok(())
}

/// Finishes the request's operation and sends the callback.
fn process(st: &State, key: (i64, String), request_id: &str, secret: &str) {
    let (document, url) = {
        let mut gate = st.gate.lock().unwrap();
        let Some(payment) = gate.payments.get_mut(&key) else {
            return;
        };
        let Some(index) = payment
            .operations
            .iter()
            .position(|op| op["request_id"] == request_id)
        else {
            return;
        };
        let op = &mut payment.operations[index];
        let kind = op["type"].as_str().unwrap_or_default().to_owned();
        let amount = op["sum_initial"]["amount"].as_i64().unwrap_or(0);
        let success = match kind.as_str() {
            "payout" | "recurring" => payment.card_success,
            _ => true,
        };
        op["status"] = json!(if success { "success" } else { "decline" });
        if !success {
            op["code"] = json!("20000");
            op["message"] = json!("General decline");
        }
        let op = op.clone();
        payment.status = match (kind.as_str(), success) {
            ("refund", _) => {
                payment.refunded += amount;
                if payment.refunded >= payment.amount {
                    "refunded".into()
                } else {
                    "partially refunded".into()
                }
            }
            ("capture", _) => {
                payment.amount = amount;
                "success".into()
            }
            ("cancel", _) => "canceled".into(),
            (_, true) => "success".into(),
            (_, false) => "decline".into(),
        };
        (
            document(payment, secret, Some(&op)),
            payment.callback_url.clone(),
        )
    };
    if let Some(url) = url {
        let status = document["payment"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        st.deliverer.enqueue(Job {
            queue_key: format!("ecommpay:{}:{}", key.0, key.1),
            invoice_id: key.1.clone(),
            url,
            payload: Payload::Ecommpay {
                body: serde_json::to_vec(&document).expect("JSON"),
                transaction_status: status,
            },
        });
    }
}
