//! The ecommpay Payment Page: `GET {payment_page_base_url}/payment?…&signature=…` checks the
//! signature with the core, shows the card form, and on payment POSTs a signed callback
//! (docs §3 shape) to the project's callback URL.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as Ax};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use crate::callbacks::{Job, Payload};
use crate::cards;
use crate::config::EcommpayProjectConfig;
use crate::ecommpay_sessions::{PendingCard, Session};
use crate::gate::GatePayment;
use crate::html::{
    error_page, page, EcommpayCardPage, EcommpayRefusedPage, EcommpayResultPage,
    EcommpayThreeDsPage,
};
use crate::http::redirect;
use crate::state::State;
use crate::util::{nest_pairs, parse_pairs, str_of};

type St = Ax<Arc<State>>;

fn project<'a>(st: &'a State, params: &Map<String, Value>) -> Option<&'a EcommpayProjectConfig> {
    let id: i64 = match params.get("project_id")? {
        Value::String(s) => s.trim().parse().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    st.config.ecommpay.iter().find(|p| p.project_id == id)
}

fn bad_request(title: &str, message: &str, string_to_sign: Option<&str>) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        &EcommpayRefusedPage {
            title,
            message,
            string_to_sign,
        },
    )
}

/// Minor units → major units text with the currency's digits (`3550 USD` → `35.50`).
fn major(amount: i64, currency: &str) -> String {
    let exponent = polypay::Currency::parse(currency)
        .ok()
        .and_then(|c| c.exponent())
        .unwrap_or(2);
    let d = rust_decimal::Decimal::new(amount, exponent);
    format!("{:.*}", exponent as usize, d)
}

fn minor_amount(params: &Map<String, Value>) -> Option<i64> {
    match params.get("payment_amount")? {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
    .filter(|a| *a > 0)
}

fn card_page(session: &Session, error: Option<&str>) -> Response {
    let p = &session.params;
    let currency = str_of(p, "payment_currency").unwrap_or("");
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page(
        status,
        &EcommpayCardPage {
            project_id: session.project_id,
            payment_id: str_of(p, "payment_id").unwrap_or(""),
            amount: &major(minor_amount(p).unwrap_or(0), currency),
            currency,
            description: str_of(p, "payment_description"),
            error,
            action: &format!("/ecommpay/pay/{}", session.id),
        },
    )
}

/// `GET /ecommpay/payment`.
pub async fn payment_get(Ax(st): St, RawQuery(query): RawQuery) -> Response {
    let pairs = parse_pairs(query.as_deref().unwrap_or("").as_bytes());
    let mut params = nest_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let signature = params.shift_remove("signature");
    let expected = polypay::ecommpay::string_to_sign(&params).unwrap_or_default();
    let Some(project) = project(&st, &params) else {
        return bad_request(
            "Unknown project",
            "project_id is missing or names no project of this sandbox.",
            None,
        );
    };
    let signature = match signature {
        Some(Value::String(s)) if !s.is_empty() => s,
        _ => {
            return bad_request(
                "Signature missing",
                "The signature parameter is missing.",
                Some(&expected),
            )
        }
    };
    let computed = polypay::ecommpay::sign(&params, &project.secret_key).unwrap_or_default();
    if computed != signature {
        return bad_request(
            "Signature mismatch",
            "The signature does not match the parameters. Check the project's secret key and that the URL carries exactly the signed parameters.",
            Some(&expected),
        );
    }
    let mut problems = Vec::new();
    if str_of(&params, "payment_id").is_none_or(str::is_empty) {
        problems.push(("payment_id".to_owned(), "is required".to_owned()));
    }
    if minor_amount(&params).is_none() {
        problems.push((
            "payment_amount".to_owned(),
            "must be a positive integer (minor units)".to_owned(),
        ));
    }
    match str_of(&params, "payment_currency").map(polypay::Currency::parse) {
        Some(Ok(_)) => {}
        _ => problems.push((
            "payment_currency".to_owned(),
            "must be an ISO 4217 code".to_owned(),
        )),
    }
    if !problems.is_empty() {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid payment parameters",
            &problems,
        );
    }
    let session = Session {
        id: st.ids.id("eps_"),
        project_id: project.project_id,
        params,
        created: chrono::Utc::now(),
        pending_card: None,
        result: None,
    };
    let page = card_page(&session, None);
    st.ecommpay.lock().unwrap().insert(session);
    page
}

fn session(st: &State, id: &str) -> Option<Session> {
    st.ecommpay.lock().unwrap().get(id).cloned()
}

fn session_missing() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Payment not found",
        &[(
            String::new(),
            "This payment session does not exist (or was forgotten).".into(),
        )],
    )
}

/// `POST /ecommpay/pay/{session}`: the card form.
pub async fn pay_post(Ax(st): St, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(s) = session(&st, &id) else {
        return session_missing();
    };
    if s.result.is_some() {
        return finish(&s);
    }
    let pairs = parse_pairs(&body);
    let form = nest_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    match cards::evaluate(&form) {
        Err(message) => card_page(&s, Some(&message)),
        Ok(decision) => {
            let pending = PendingCard {
                success: decision.payment.success,
                account: decision.account,
            };
            if decision.three_ds {
                if let Some(s) = st.ecommpay.lock().unwrap().get_mut(&id) {
                    s.pending_card = Some(pending);
                }
                redirect(&format!("/ecommpay/3ds/{id}"))
            } else {
                complete(&st, &id, pending)
            }
        }
    }
}

pub async fn pay_get(Ax(st): St, Path(id): Path<String>) -> Response {
    match session(&st, &id) {
        Some(s) if s.result.is_some() => finish(&s),
        Some(s) => card_page(&s, None),
        None => session_missing(),
    }
}

pub async fn three_ds_get(Ax(st): St, Path(id): Path<String>) -> Response {
    let Some(s) = session(&st, &id) else {
        return session_missing();
    };
    if s.result.is_some() || s.pending_card.is_none() {
        return pay_get(Ax(st), Path(id)).await;
    }
    page(
        StatusCode::OK,
        &EcommpayThreeDsPage {
            action: &format!("/ecommpay/3ds/{id}"),
        },
    )
}

pub async fn three_ds_post(Ax(st): St, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(s) = session(&st, &id) else {
        return session_missing();
    };
    let Some(mut pending) = s.pending_card.clone() else {
        return pay_get(Ax(st), Path(id)).await;
    };
    if s.result.is_some() {
        return finish(&s);
    }
    if parse_pairs(&body)
        .iter()
        .any(|(k, v)| k == "action" && v == "cancel")
    {
        pending.success = false;
    }
    complete(&st, &id, pending)
}

pub async fn result_get(Ax(st): St, Path(id): Path<String>) -> Response {
    let Some(s) = session(&st, &id) else {
        return session_missing();
    };
    let Some(result) = &s.result else {
        return card_page(&s, None);
    };
    let status = result["payment"]["status"].as_str().unwrap_or("");
    let (word, class) = if paid(result) {
        ("Paid", "status-processed")
    } else {
        ("Declined", "status-failed")
    };
    page(
        StatusCode::OK,
        &EcommpayResultPage {
            word,
            class,
            payment_id: result["payment"]["id"].as_str().unwrap_or(""),
            status,
        },
    )
}

/// After the payment: 303 to the merchant's success/fail URL when given, else the result page.
fn finish(s: &Session) -> Response {
    let success = s.result.as_ref().is_some_and(paid);
    let keys: &[&str] = if success {
        &["merchant_success_url", "redirect_success_url"]
    } else {
        &["merchant_fail_url", "redirect_fail_url"]
    };
    let target = keys
        .iter()
        .find_map(|k| str_of(&s.params, k).filter(|u| crate::util::is_http_url(u)));
    match target {
        Some(url) => redirect(url),
        None => redirect(&format!("/ecommpay/result/{}", s.id)),
    }
}

/// Paid, or authorised for a later capture.
fn paid(result: &Value) -> bool {
    matches!(
        result["payment"]["status"].as_str(),
        Some("success" | "awaiting capture")
    )
}

fn date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%z").to_string()
}

/// Builds, signs and sends the callback, then records the result on the session.
fn complete(st: &State, id: &str, pending: PendingCard) -> Response {
    let Some(s) = session(st, id) else {
        return session_missing();
    };
    let Some(project) = st
        .config
        .ecommpay
        .iter()
        .find(|p| p.project_id == s.project_id)
    else {
        return session_missing();
    };
    let p = &s.params;
    let now = chrono::Utc::now();
    // A two-step payment (`card_operation_type=auth`) holds the amount until captured.
    let auth = str_of(p, "card_operation_type") == Some("auth");
    let (status, operation_type) = match (pending.success, auth) {
        (true, true) => ("awaiting capture", "auth"),
        (true, false) => ("success", "sale"),
        (false, true) => ("decline", "auth"),
        (false, false) => ("decline", "sale"),
    };
    let currency = str_of(p, "payment_currency").unwrap_or("").to_owned();
    let sum = json!({"amount": minor_amount(p).unwrap_or(0), "currency": currency});
    let operation_id = 1_000_000_000_000u64 + st.ids.number() % 1_000_000_000_000;
    let mut body = Map::new();
    body.insert("project_id".into(), json!(s.project_id));
    body.insert(
        "payment".into(),
        json!({
            "id": str_of(p, "payment_id").unwrap_or(""),
            "type": "purchase",
            "status": status,
            "date": date(now),
            "method": "card",
            "sum": sum,
            "description": str_of(p, "payment_description").unwrap_or(""),
        }),
    );
    let mut account = pending.account.clone();
    let token = pending
        .success
        .then(|| st.ids.token("", 64).to_ascii_lowercase());
    if let Some(token) = &token {
        account["token"] = json!(token);
    }
    body.insert("account".into(), account.clone());
    let register = p
        .get("recurring_register")
        .is_some_and(|v| *v == json!(1) || *v == json!(true) || *v == "1" || *v == "true");
    let recurring_id = (pending.success && register).then(|| st.ids.number() % 1_000_000_000);
    if let Some(id) = recurring_id {
        body.insert("recurring".into(), json!({"id": id, "type": "U"}));
    }
    if let Some(customer) = str_of(p, "customer_id").filter(|c| !c.is_empty()) {
        body.insert("customer".into(), json!({"id": customer}));
    }
    body.insert(
        "operation".into(),
        json!({
            "id": operation_id,
            "type": operation_type,
            "status": if pending.success { "success" } else { "decline" },
            "date": date(now),
            "created_date": date(s.created),
            "request_id": format!("{}-00001", st.ids.token("", 40).to_ascii_lowercase()),
            "sum_initial": sum,
            "sum_converted": sum,
            "code": if pending.success { "0" } else { "20000" },
            "message": if pending.success { "Success" } else { "General decline" },
            "provider": {
                "id": 1234,
                "payment_id": format!("{}", st.ids.number() % 100_000_000_000),
                "auth_code": if pending.success { format!("{:06}", st.ids.number() % 1_000_000) } else { String::new() },
                "endpoint_id": 1234,
                "date": date(now),
            },
        }),
    );
    let operation = body["operation"].clone();
    let signature = polypay::ecommpay::sign(&body, &project.secret_key).unwrap_or_default();
    body.insert("signature".into(), json!(signature));
    let document = Value::Object(body);
    let url = str_of(p, "merchant_callback_url")
        .filter(|u| crate::util::is_http_url(u))
        .map(str::to_owned)
        .or_else(|| project.callback_url.clone())
        .or_else(|| st.config.callback_url.clone());
    {
        let mut gate = st.gate.lock().unwrap();
        for credential in token
            .into_iter()
            .chain(recurring_id.map(|id| format!("recurring:{id}")))
        {
            gate.remember_credential(credential, true);
        }
        gate.insert(GatePayment {
            project_id: s.project_id,
            payment_id: str_of(p, "payment_id").unwrap_or("").to_owned(),
            payment_type: "purchase".into(),
            status: status.into(),
            amount: minor_amount(p).unwrap_or(0),
            currency,
            description: str_of(p, "payment_description").unwrap_or("").to_owned(),
            account,
            customer_id: str_of(p, "customer_id").map(str::to_owned),
            operations: vec![operation],
            refunded: 0,
            card_success: pending.success,
            callback_url: url.clone(),
        });
    }
    if let Some(url) = url {
        st.deliverer.enqueue(Job {
            queue_key: format!("ecommpay:{id}"),
            invoice_id: str_of(p, "payment_id").unwrap_or("").to_owned(),
            url,
            payload: Payload::Ecommpay {
                body: serde_json::to_vec(&document).expect("JSON"),
                transaction_status: status.into(),
            },
        });
    }
    let updated = {
        let mut sessions = st.ecommpay.lock().unwrap();
        match sessions.get_mut(id) {
            Some(s) => {
                s.pending_card = None;
                s.result = Some(document);
                s.clone()
            }
            None => return session_missing(),
        }
    };
    finish(&updated)
}

/// `POST /__sandbox/ecommpay/payments`: a payment made as if on the Payment Page, for tests
/// and demos that need a paid (or authorised) payment to refund, capture or charge again.
/// Body: `payment_id`, `payment_amount`, `payment_currency` and any other Payment Page
/// parameter (`card_operation_type`, `recurring_register`, `customer_id`,
/// `merchant_callback_url`), with `card_number` (default: the success card without 3-D
/// Secure) and `project_id` (default: the first project). Answers the callback document.
pub async fn pay_direct(Ax(st): St, body: Bytes) -> Response {
    let Ok(Value::Object(mut params)) = serde_json::from_slice::<Value>(&body) else {
        return crate::http::plain_json(
            StatusCode::BAD_REQUEST,
            &json!({"error": "the body must be a JSON object"}),
        );
    };
    let card = params
        .remove("card_number")
        .and_then(|c| c.as_str().map(str::to_owned))
        .unwrap_or_else(|| "5519283812030000".into());
    let project_id = match params.get("project_id").and_then(Value::as_i64) {
        Some(id) => id,
        None => st.config.ecommpay[0].project_id,
    };
    params.insert("project_id".into(), json!(project_id));
    if project(&st, &params).is_none() || minor_amount(&params).is_none() {
        return crate::http::plain_json(
            StatusCode::BAD_REQUEST,
            &json!({"error": "a known project_id and a positive payment_amount are needed"}),
        );
    }
    let form: Map<String, Value> = [
        ("card_number", card.as_str()),
        ("expiry", "12/40"),
        ("cvv", "123"),
        ("card_holder", "Sandbox Tester"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), json!(v)))
    .collect();
    let decision = match cards::evaluate(&form) {
        Ok(decision) => decision,
        Err(message) => {
            return crate::http::plain_json(StatusCode::BAD_REQUEST, &json!({ "error": message }))
        }
    };
    let id = st.ids.id("eps_");
    st.ecommpay.lock().unwrap().insert(Session {
        id: id.clone(),
        project_id,
        params,
        created: chrono::Utc::now(),
        pending_card: None,
        result: None,
    });
    complete(
        &st,
        &id,
        PendingCard {
            success: decision.payment.success,
            account: decision.account,
        },
    );
    match session(&st, &id).and_then(|s| s.result) {
        Some(document) => crate::http::plain_json(StatusCode::OK, &document),
        None => session_missing(),
    }
}
