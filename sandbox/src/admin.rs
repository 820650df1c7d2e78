//! The admin API under `/__sandbox/` (never subject to fault injection).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as Ax};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use crate::http::plain_json;
use crate::services::Kind;
use crate::state::State;

type St = Ax<Arc<State>>;

fn error(status: StatusCode, message: &str) -> Response {
    plain_json(status, &json!({ "error": message }))
}

/// The `--print-config` document.
pub fn config_json(st: &State) -> Value {
    let a = &st.accounts[0].cfg;
    let p = &st.config.ecommpay[0];
    json!({
        "base_url": st.base_url,
        "paycore": {
            "account_id": a.account_id,
            "api_key": a.api_key,
            "public_key_test": a.public_key_test,
            "secret_key_test": a.secret_key_test,
            "public_key_live": a.public_key_live,
            "secret_key_live": a.secret_key_live,
        },
        "ecommpay": {
            "project_id": p.project_id,
            "secret_key": p.secret_key,
            "payment_page_base_url": format!("{}/ecommpay", st.base_url),
            "gate_base_url": st.base_url,
        },
    })
}

pub async fn config(Ax(st): St) -> Response {
    let mut doc = config_json(&st);
    doc["settings"] = json!({
        "time_scale": st.config.time_scale,
        "seed": st.config.seed,
        "callback_url": st.config.callback_url,
        "max_invoices_per_account": st.config.max_invoices_per_account,
        "max_callback_log": st.config.max_callback_log,
        "invoice_lifetime_secs": st.config.invoice_lifetime_secs,
        "php_json": st.config.php_json,
    });
    plain_json(StatusCode::OK, &doc)
}

pub async fn accounts(Ax(st): St) -> Response {
    let list: Vec<Value> = st
        .accounts
        .iter()
        .map(|a| {
            let services: Vec<Value> = a
                .services
                .iter()
                .map(|s| {
                    json!({
                        "id": s.id, "code": s.code, "kind": s.kind.as_str(), "method": s.method,
                        "flow": s.flow_name(), "currency": s.currency.code(),
                        "amount_min": crate::util::num(s.amount_min), "amount_max": crate::util::num(s.amount_max),
                        "live": s.live, "test": s.test,
                    })
                })
                .collect();
            json!({
                "account_id": a.cfg.account_id,
                "name": a.cfg.name,
                "status": a.cfg.status,
                "api_key": a.cfg.api_key,
                "public_key_test": a.cfg.public_key_test,
                "secret_key_test": a.cfg.secret_key_test,
                "public_key_live": a.cfg.public_key_live,
                "secret_key_live": a.cfg.secret_key_live,
                "callback_url": a.cfg.callback_url,
                "forbid_public_creation": a.cfg.forbid_public_creation,
                "balances": st.balances(a),
                "services": services,
            })
        })
        .collect();
    plain_json(StatusCode::OK, &json!({ "data": list }))
}

fn invoice_entry(st: &State, inv: &crate::model::Invoice) -> Value {
    json!({
        "kind": inv.kind.as_str(),
        "account_id": st.accounts[inv.account].cfg.account_id,
        "callback_target": st.callback_target(inv),
        "resource": inv.resource(&st.base_url),
    })
}

pub async fn invoices(Ax(st): St, RawQuery(q): RawQuery) -> Response {
    let pairs = crate::util::query_pairs(q.as_deref());
    let account = match crate::util::query_param(&pairs, "account_id") {
        Some(id) => match st.accounts.iter().position(|a| a.cfg.account_id == id) {
            Some(i) => Some(i),
            None => return error(StatusCode::NOT_FOUND, "no such account"),
        },
        None => None,
    };
    let kind = match crate::util::query_param(&pairs, "type") {
        None => None,
        Some("payment" | "payment-invoices") => Some(Kind::Payment),
        Some("payout" | "payout-invoices") => Some(Kind::Payout),
        Some(_) => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "type is payment or payout",
            )
        }
    };
    let limit = crate::util::query_param(&pairs, "limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(100usize);
    let list: Vec<Value> = st
        .all_invoices(
            crate::util::query_param(&pairs, "reference_id"),
            account,
            kind,
            limit,
        )
        .iter()
        .map(|i| invoice_entry(&st, i))
        .collect();
    plain_json(
        StatusCode::OK,
        &json!({ "count": list.len(), "data": list }),
    )
}

pub async fn invoice(Ax(st): St, Path(id): Path<String>) -> Response {
    match st.get(&id) {
        Some(inv) => plain_json(StatusCode::OK, &json!({ "data": invoice_entry(&st, &inv) })),
        None => error(StatusCode::NOT_FOUND, "no such invoice"),
    }
}

/// `{"status": "processed", "resolution"?: "ok"}`: force a transition and send its callback.
pub async fn set_status(Ax(st): St, Path(id): Path<String>, body: Bytes) -> Response {
    let doc: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("not JSON: {e}")),
    };
    let Some(status) = doc.get("status").and_then(Value::as_str) else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "status is required");
    };
    if st.get(&id).is_none() {
        return error(StatusCode::NOT_FOUND, "no such invoice");
    }
    match st.force_status(&id, status, doc.get("resolution").and_then(Value::as_str)) {
        Ok(inv) => plain_json(
            StatusCode::OK,
            &json!({ "data": inv.resource(&st.base_url) }),
        ),
        Err(e) => error(StatusCode::UNPROCESSABLE_ENTITY, &e),
    }
}

/// `{"replay": true, "copies": 1..=20, "order": "as_sent"|"reverse"|"shuffle", "concurrent":
/// bool}`: the callbacks already sent, again.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Replay {
    replay: bool,
    #[serde(default = "one")]
    copies: usize,
    #[serde(default = "as_sent")]
    order: crate::callbacks::ReplayOrder,
    #[serde(default)]
    concurrent: bool,
}

fn one() -> usize {
    1
}

fn as_sent() -> crate::callbacks::ReplayOrder {
    crate::callbacks::ReplayOrder::AsSent
}

/// Without a body (or with `{}`): the callback of the invoice's current state again. With a [`Replay`] body:
/// every callback already delivered for the invoice (or ecommpay payment) again, duplicated,
/// reordered and concurrent as asked, byte for byte.
pub async fn resend(Ax(st): St, Path(id): Path<String>, body: Bytes) -> Response {
    let asks_replay = serde_json::from_slice::<Value>(&body)
        .is_ok_and(|doc| doc.as_object().is_some_and(|o| !o.is_empty()));
    if asks_replay {
        let replay: Replay = match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => return error(StatusCode::BAD_REQUEST, &format!("replay: {e}")),
        };
        if !replay.replay || !(1..=20).contains(&replay.copies) {
            return error(
                StatusCode::BAD_REQUEST,
                "replay: needs \"replay\": true and copies from 1 to 20",
            );
        }
        let queued = st
            .deliverer
            .replay(&id, replay.copies, replay.order, replay.concurrent);
        if queued == 0 {
            return error(StatusCode::NOT_FOUND, "no callback was sent for it yet");
        }
        return plain_json(StatusCode::ACCEPTED, &json!({ "queued": queued }));
    }
    match st.resend_callback(&id) {
        Some(Some(url)) => plain_json(StatusCode::ACCEPTED, &json!({ "queued": true, "url": url })),
        Some(None) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no callback URL: set one on the invoice, the account or --callback-url",
        ),
        None => error(StatusCode::NOT_FOUND, "no such invoice"),
    }
}

pub async fn callbacks(Ax(st): St, RawQuery(q): RawQuery) -> Response {
    let pairs = crate::util::query_pairs(q.as_deref());
    let limit = crate::util::query_param(&pairs, "limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(1000usize);
    let log = st
        .deliverer
        .log(crate::util::query_param(&pairs, "invoice_id"), limit);
    plain_json(StatusCode::OK, &json!({ "count": log.len(), "data": log }))
}

pub async fn faults_list(Ax(st): St) -> Response {
    let list = st.faults.lock().unwrap().list();
    plain_json(StatusCode::OK, &json!({ "data": list }))
}

/// One rule or an array of rules.
pub async fn faults_add(Ax(st): St, body: Bytes) -> Response {
    let doc: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("not JSON: {e}")),
    };
    let rules = match doc {
        Value::Array(list) => list,
        one => vec![one],
    };
    let mut faults = st.faults.lock().unwrap();
    let mut added = Vec::new();
    for rule in &rules {
        match faults.add(rule) {
            Ok(shown) => added.push(shown),
            Err(e) => {
                for a in &added {
                    faults.remove(a["id"].as_str().unwrap_or(""));
                }
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &format!("fault {rule}: {e}"),
                );
            }
        }
    }
    plain_json(StatusCode::CREATED, &json!({ "data": added }))
}

pub async fn faults_clear(Ax(st): St) -> Response {
    st.faults.lock().unwrap().clear();
    plain_json(StatusCode::OK, &json!({ "data": [] }))
}

pub async fn fault_delete(Ax(st): St, Path(id): Path<String>) -> Response {
    if st.faults.lock().unwrap().remove(&id) {
        plain_json(StatusCode::OK, &json!({ "deleted": id }))
    } else {
        error(StatusCode::NOT_FOUND, "no such fault")
    }
}

pub async fn reset(Ax(st): St) -> Response {
    match st.reset() {
        Ok(()) => plain_json(StatusCode::OK, &json!({ "reset": true })),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}

pub async fn stats(Ax(st): St) -> Response {
    plain_json(StatusCode::OK, &st.stats_json())
}

pub async fn ecommpay_payments(Ax(st): St) -> Response {
    let list = st.ecommpay.lock().unwrap().payments(1000);
    plain_json(
        StatusCode::OK,
        &json!({ "count": list.len(), "data": list }),
    )
}

/// Expires every payable invoice whose `expires` has passed, now (instead of within a second).
pub async fn expire(Ax(st): St) -> Response {
    let n = st.expire_due();
    plain_json(StatusCode::OK, &json!({ "expired": n }))
}

/// Where a `redirect` fault points by default: answers 200 and changes nothing (its hits are
/// counted in the statistics like every request, which shows whether a client followed).
pub async fn redirect_target(method: axum::http::Method) -> Response {
    plain_json(
        StatusCode::OK,
        &json!({ "redirect_target": true, "method": method.as_str() }),
    )
}

pub async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such admin endpoint")
}
