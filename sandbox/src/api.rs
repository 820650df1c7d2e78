//! The Commerce API: private (`/api`, Basic auth, JSON:API) and public (`/public-api`, flat).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as Ax};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use crate::accounts::Account;
use crate::http::{self, conflict, status_error, validation};
use crate::model::Invoice;
use crate::services::Kind;
use crate::state::{CreateError, RefundError, State};
use crate::util::php_obj;
use crate::validate::{self, public_creation_refused, Errors, Origin, NOT_BLANK};

type St = Ax<Arc<State>>;

/// Default and largest page sizes of the listings.
pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

fn auth<'a>(st: &'a State, headers: &HeaderMap) -> Result<&'a Account, Response> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    st.accounts.authenticate(header).map_err(status_error)
}

/// `data.attributes` of a JSON:API document, after checking `data.type`. With `flat_ok`, a
/// body without `data` is taken as the attributes themselves (the flat payout example).
fn attributes(
    doc: &Map<String, Value>,
    types: &[&str],
    flat_ok: bool,
) -> Result<Map<String, Value>, Response> {
    let data = match doc.get("data") {
        Some(Value::Object(d)) => d,
        None if flat_ok && !doc.is_empty() => return Ok(doc.clone()),
        None | Some(Value::Null) => return Err(validation(&Errors::single("data", NOT_BLANK))),
        Some(_) => {
            return Err(validation(&Errors::single(
                "data",
                "This value should be of type object.",
            )))
        }
    };
    match data.get("type") {
        None | Some(Value::Null) => {}
        Some(Value::String(t)) if types.contains(&t.as_str()) => {}
        Some(_) => {
            return Err(validation(&Errors::single(
                "data.type",
                &format!("This value is not valid. Use \"{}\".", types[0]),
            )))
        }
    }
    match data.get("attributes") {
        Some(Value::Object(a)) => Ok(a.clone()),
        Some(Value::Array(a)) if a.is_empty() => Ok(Map::new()),
        None | Some(Value::Null) => Ok(Map::new()),
        Some(_) => Err(validation(&Errors::single(
            "data.attributes",
            "This value should be of type object.",
        ))),
    }
}

fn resource(st: &State, inv: &Invoice) -> Value {
    inv.resource(&st.base_url)
}

fn created(st: &State, value: Value) -> Response {
    http::json(st, StatusCode::CREATED, &json!({ "data": value }))
}

fn ok(st: &State, value: Value) -> Response {
    http::json(st, StatusCode::OK, &json!({ "data": value }))
}

fn existing_reference(
    st: &State,
    account: &Account,
    kind: Kind,
    attrs: &Map<String, Value>,
) -> Option<Arc<Invoice>> {
    match attrs.get("reference_id") {
        Some(Value::String(r)) if !r.is_empty() => st.by_reference(account.index, kind, r),
        _ => None,
    }
}

const DUPLICATE: &str = "reference_id already exists";

// ---------------------------------------------------------------- private API

pub async fn create_payment(Ax(st): St, headers: HeaderMap, body: Bytes) -> Response {
    let account = match auth(&st, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let doc = match http::parse_body(&body) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let attrs = match attributes(&doc, &["payment-invoices", "payment-invoice"], false) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Some(existing) = existing_reference(&st, account, Kind::Payment, &attrs) {
        return conflict(&st, resource(&st, &existing), DUPLICATE);
    }
    let req = match validate::payment(account, &attrs, Origin::Private, None) {
        Ok(r) => r,
        Err(e) => return validation(&e),
    };
    match st.create_payment(account, req) {
        Ok(inv) => created(&st, resource(&st, &inv)),
        Err(CreateError::Conflict(inv)) => conflict(&st, resource(&st, &inv), DUPLICATE),
        Err(CreateError::Invalid(e)) => validation(&e),
    }
}

pub async fn create_payout(Ax(st): St, headers: HeaderMap, body: Bytes) -> Response {
    let account = match auth(&st, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let doc = match http::parse_body(&body) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let attrs = match attributes(&doc, &["payout-invoices", "payout-invoice"], true) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Some(existing) = existing_reference(&st, account, Kind::Payout, &attrs) {
        return conflict(&st, resource(&st, &existing), DUPLICATE);
    }
    let req = match validate::payout(account, &attrs) {
        Ok(r) => r,
        Err(e) => return validation(&e),
    };
    match st.create_payout(account, req) {
        Ok(inv) => created(&st, resource(&st, &inv)),
        Err(CreateError::Conflict(inv)) => conflict(&st, resource(&st, &inv), DUPLICATE),
        Err(CreateError::Invalid(e)) => validation(&e),
    }
}

async fn get_private(st: Arc<State>, headers: HeaderMap, id: String, kind: Kind) -> Response {
    let account = match auth(&st, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match st.get_owned(account.index, kind, &id) {
        Some(inv) => ok(&st, resource(&st, &inv)),
        None => status_error(404),
    }
}

pub async fn get_payment(Ax(st): St, headers: HeaderMap, Path(id): Path<String>) -> Response {
    get_private(st, headers, id, Kind::Payment).await
}

pub async fn get_payout(Ax(st): St, headers: HeaderMap, Path(id): Path<String>) -> Response {
    get_private(st, headers, id, Kind::Payout).await
}

fn page_size(pairs: &[(String, String)], errors: &mut Errors) -> usize {
    match crate::util::query_param(pairs, "page[size]") {
        None => DEFAULT_PAGE_SIZE,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if n >= 1 => n.min(MAX_PAGE_SIZE),
            _ => {
                errors.add("page.size", "This value should be a positive integer.");
                DEFAULT_PAGE_SIZE
            }
        },
    }
}

/// `/api/payment-invoices?page[after]=cpi_…&page[size]=20`: the brackets stay as the platform
/// writes them (a URL serializer would write `page%5Bafter%5D`).
fn page_link(kind: Kind, cursor: &str, invoice_id: &str, size: usize) -> String {
    let invoice_id: String = form_urlencoded::byte_serialize(invoice_id.as_bytes()).collect();
    format!(
        "/api/{}?page[{cursor}]={invoice_id}&page[size]={size}",
        kind.resource_type()
    )
}

async fn list_private(
    st: Arc<State>,
    headers: HeaderMap,
    query: Option<String>,
    kind: Kind,
) -> Response {
    let account = match auth(&st, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let pairs = crate::util::query_pairs(query.as_deref());
    let mut errors = Errors::default();
    let size = page_size(&pairs, &mut errors);
    if !errors.is_empty() {
        return validation(&errors);
    }
    let reference = crate::util::query_param(&pairs, "filter[reference_id]");
    let (items, has_more, has_newer) = match reference {
        Some(r) => {
            let found: Vec<Arc<Invoice>> = st
                .by_reference(account.index, kind, r)
                .into_iter()
                .collect();
            (found, false, false)
        }
        None => {
            let after = crate::util::query_param(&pairs, "page[after]");
            let before = crate::util::query_param(&pairs, "page[before]");
            match st.list(account.index, kind, size, after, before) {
                Ok(page) => (page.items, page.has_more, page.has_newer),
                Err(_) => {
                    let field = if before.is_some() {
                        "page.before"
                    } else {
                        "page.after"
                    };
                    return validation(&Errors::single(
                        field,
                        "This value is not a known invoice id.",
                    ));
                }
            }
        }
    };
    let first = items.first().map(|i| i.id.clone());
    let last = items.last().map(|i| i.id.clone());
    let next = match (&last, has_more) {
        (Some(last), true) => page_link(kind, "after", last, size),
        _ => String::new(),
    };
    let prev = match (&first, has_newer) {
        (Some(first), true) => page_link(kind, "before", first, size),
        _ => String::new(),
    };
    let data: Vec<Value> = items.iter().map(|i| resource(&st, i)).collect();
    let body = json!({
        "meta": {"count": data.len(), "size": size, "before": first, "after": last},
        "links": {"prev": prev, "next": next},
        "data": data,
    });
    http::json(&st, StatusCode::OK, &body)
}

pub async fn list_payments(Ax(st): St, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    list_private(st, headers, q, Kind::Payment).await
}

pub async fn list_payouts(Ax(st): St, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    list_private(st, headers, q, Kind::Payout).await
}

pub async fn refund(
    Ax(st): St,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let account = match auth(&st, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let doc = match http::parse_body(&body) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let attrs = match attributes(&doc, &["refund", "refunds"], true) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match st.refund(account, &id, &attrs) {
        Ok(refund) => created(&st, refund.resource()),
        Err(RefundError::NotFound) => status_error(404),
        Err(RefundError::Invalid(e)) => validation(&e),
        Err(RefundError::Conflict(existing)) => conflict(&st, existing.resource(), DUPLICATE),
    }
}

pub async fn get_refund(Ax(st): St, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let account = match auth(&st, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match st.get_refund(account.index, &id) {
        Some(r) => ok(&st, r.resource()),
        None => status_error(404),
    }
}

/// `GET /api/refunds`: cursor pages like the invoices' (`page[after]`, `links.next`), or the
/// refund made with `filter[reference_id]`.
pub async fn list_refunds(Ax(st): St, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let account = match auth(&st, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let pairs = crate::util::query_pairs(q.as_deref());
    let mut errors = Errors::default();
    let size = page_size(&pairs, &mut errors);
    if !errors.is_empty() {
        return validation(&errors);
    }
    let (refunds, has_more) = match crate::util::query_param(&pairs, "filter[reference_id]") {
        Some(r) => (
            st.refund_by_reference(account.index, r)
                .into_iter()
                .collect(),
            false,
        ),
        None => match st.refunds_page(
            account.index,
            size,
            crate::util::query_param(&pairs, "page[after]"),
        ) {
            Ok(page) => page,
            Err(_) => {
                return validation(&Errors::single(
                    "page.after",
                    "This value is not a known refund id.",
                ))
            }
        },
    };
    let next = match refunds.last() {
        Some(last) if has_more => {
            let after: String = form_urlencoded::byte_serialize(last.id.as_bytes()).collect();
            format!("/api/refunds?page[after]={after}&page[size]={size}")
        }
        _ => String::new(),
    };
    let data: Vec<Value> = refunds.iter().map(|r| r.resource()).collect();
    let body = json!({
        "meta": {"count": data.len(), "size": size},
        "links": {"prev": "", "next": next},
        "data": data,
    });
    http::json(&st, StatusCode::OK, &body)
}

async fn list_services(
    st: Arc<State>,
    headers: HeaderMap,
    query: Option<String>,
    kind: Kind,
) -> Response {
    let account = match auth(&st, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let pairs = crate::util::query_pairs(query.as_deref());
    let mut errors = Errors::default();
    let size = page_size(&pairs, &mut errors);
    let number = match crate::util::query_param(&pairs, "page[number]") {
        None => 1,
        Some(t) => match t.parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => {
                errors.add("page.number", "This value should be a positive integer.");
                1
            }
        },
    };
    if !errors.is_empty() {
        return validation(&errors);
    }
    let services: Vec<_> = account.services.iter().filter(|s| s.kind == kind).collect();
    let total = services.len();
    let pages = total.div_ceil(size).max(1);
    let data: Vec<Value> = services
        .iter()
        .skip((number - 1) * size)
        .take(size)
        .map(|s| s.resource())
        .collect();
    let path = match kind {
        Kind::Payment => "/api/payment-services",
        Kind::Payout => "/api/payout-services",
    };
    let link = |n: usize| format!("{path}?page[number]={n}&page[size]={size}");
    let body = json!({
        "meta": {"total": total, "pages": pages, "page": number},
        "links": {
            "first": link(1),
            "next": if number < pages { link(number + 1) } else { String::new() },
            "last": link(pages),
        },
        "data": data,
    });
    http::json(&st, StatusCode::OK, &body)
}

pub async fn payment_services(Ax(st): St, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    list_services(st, headers, q, Kind::Payment).await
}

pub async fn payout_services(Ax(st): St, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    list_services(st, headers, q, Kind::Payout).await
}

async fn get_service(st: Arc<State>, headers: HeaderMap, id: String, kind: Kind) -> Response {
    let account = match auth(&st, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match account
        .services
        .iter()
        .find(|s| s.kind == kind && (s.id == id || s.code == id))
    {
        Some(s) => ok(&st, s.resource()),
        None => status_error(404),
    }
}

pub async fn payment_service(Ax(st): St, headers: HeaderMap, Path(id): Path<String>) -> Response {
    get_service(st, headers, id, Kind::Payment).await
}

pub async fn payout_service(Ax(st): St, headers: HeaderMap, Path(id): Path<String>) -> Response {
    get_service(st, headers, id, Kind::Payout).await
}

pub async fn balances(Ax(st): St, headers: HeaderMap) -> Response {
    let account = match auth(&st, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let body = json!({"data": {
        "type": "account",
        "id": account.cfg.account_id,
        "attributes": {"currency_accounts": st.balances(account)},
        "links": {"self": "/api/account/balances"},
    }});
    http::json(&st, StatusCode::OK, &body)
}

// ---------------------------------------------------------------- public API

/// The account and mode of a body's `public_key`: 401 when unknown, 422 when missing.
pub fn public_account<'a>(
    st: &'a State,
    body: &Map<String, Value>,
) -> Result<(&'a Account, bool), Response> {
    match body.get("public_key") {
        Some(Value::String(k)) if !k.is_empty() => {
            st.accounts.public_key(k).ok_or_else(|| status_error(401))
        }
        _ => Err(validation(&Errors::single("public_key", NOT_BLANK))),
    }
}

fn account_info(account: &Account) -> Value {
    json!({
        "name": account.cfg.name,
        "description": account.cfg.description,
        "icon": null,
        "website": account.cfg.website,
    })
}

async fn prerequest(st: Arc<State>, body: Bytes, kind: Kind) -> Response {
    let doc = match http::parse_body(&body) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let (account, test_mode) = match public_account(&st, &doc) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut errors = Errors::default();
    let currency = match doc.get("currency").and_then(Value::as_str) {
        None | Some("") => {
            errors.add("currency", NOT_BLANK);
            None
        }
        Some(c) => match polypay::Currency::parse(c) {
            Ok(c) => Some(c),
            Err(_) => {
                errors.add("currency", "This value is not a valid currency.");
                None
            }
        },
    };
    let amount = match doc.get("amount") {
        None | Some(Value::Null) if kind == Kind::Payout => {
            errors.add("amount", NOT_BLANK);
            None
        }
        None | Some(Value::Null) => None,
        Some(v) => match polypay::Amount::from_json(v) {
            Ok(a) if !a.is_zero() => Some(a.as_decimal()),
            _ => {
                errors.add("amount", "This value should be greater than 0.");
                None
            }
        },
    };
    if !errors.is_empty() {
        return validation(&errors);
    }
    let currency = currency.expect("checked");
    let mut services = Map::new();
    let mut methods = Map::new();
    for s in account
        .services
        .iter()
        .filter(|s| s.kind == kind && s.currency == currency && s.available_in(test_mode))
    {
        // Payment prerequests do not filter by amount (the customer may pay in another
        // currency); payout prerequests do.
        if kind == Kind::Payout {
            if let Some(a) = amount {
                if a < s.amount_min || a > s.amount_max {
                    continue;
                }
            }
        }
        services.insert(s.code.clone(), s.prerequest_entry());
        methods
            .entry(s.method.clone())
            .or_insert_with(|| crate::services::method_entry(&s.method));
    }
    let mut data = Map::new();
    data.insert("currency".into(), json!(currency.code()));
    if kind == Kind::Payout {
        data.insert(
            "amount".into(),
            amount.map(crate::util::num).unwrap_or(Value::Null),
        );
    }
    data.insert("test_mode".into(), json!(test_mode));
    data.insert("services".into(), php_obj(services));
    data.insert("methods".into(), php_obj(methods));
    data.insert("account".into(), account_info(account));
    http::json(&st, StatusCode::OK, &json!({ "data": data }))
}

pub async fn payment_prerequest(Ax(st): St, body: Bytes) -> Response {
    prerequest(st, body, Kind::Payment).await
}

pub async fn payout_prerequest(Ax(st): St, body: Bytes) -> Response {
    prerequest(st, body, Kind::Payout).await
}

pub async fn public_create(Ax(st): St, body: Bytes) -> Response {
    let doc = match http::parse_body(&body) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let (account, test_mode) = match public_account(&st, &doc) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Some(e) = public_creation_refused(account) {
        return validation(&e);
    }
    if let Some(existing) = existing_reference(&st, account, Kind::Payment, &doc) {
        return conflict(&st, existing.flat(&st.base_url), DUPLICATE);
    }
    let req = match validate::payment(account, &doc, Origin::PublicJson, Some(test_mode)) {
        Ok(r) => r,
        Err(e) => return validation(&e),
    };
    match st.create_payment(account, req) {
        Ok(inv) => created(&st, inv.flat(&st.base_url)),
        Err(CreateError::Conflict(inv)) => conflict(&st, inv.flat(&st.base_url), DUPLICATE),
        Err(CreateError::Invalid(e)) => validation(&e),
    }
}

/// A public GET by id. A `public_key` in the query (how the SDK authorises it) must be one of
/// the invoice's account (401 when unknown, 404 when another account's); without one the
/// invoice is served as to older clients (the msdk sends none), its id being unguessable.
async fn public_get(st: Arc<State>, id: String, query: Option<String>, kind: Kind) -> Response {
    let pairs = crate::util::query_pairs(query.as_deref());
    let account = match crate::util::query_param(&pairs, "public_key") {
        None => None,
        Some(key) => match st.accounts.public_key(key) {
            Some((account, _)) => Some(account.index),
            None => return status_error(401),
        },
    };
    match st
        .get(&id)
        .filter(|i| i.kind == kind && account.is_none_or(|a| a == i.account))
    {
        Some(inv) => ok(&st, inv.flat(&st.base_url)),
        None => status_error(404),
    }
}

pub async fn public_get_payment(
    Ax(st): St,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    public_get(st, id, q, Kind::Payment).await
}

pub async fn public_get_payout(
    Ax(st): St,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    public_get(st, id, q, Kind::Payout).await
}

pub async fn not_found() -> Response {
    status_error(404)
}

pub async fn method_not_allowed() -> Response {
    status_error(405)
}
