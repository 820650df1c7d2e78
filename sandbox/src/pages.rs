//! The Hosted Payment Page and the hosted card step: server-rendered HTML that works without
//! JavaScript. Every value is HTML-escaped.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as Ax};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use crate::api::public_creation_refused;
use crate::cards;
use crate::http::{html, redirect};
use crate::model::Invoice;
use crate::services::{Flow, Kind, Service};
use crate::state::{CreateError, State};
use crate::util::{
    display_amount, esc, flatten_brackets, nest_pairs, parse_pairs, str_of, with_query,
};
use crate::validate::{self, Errors, Origin};

type St = Ax<Arc<State>>;

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;color:#1d2330}\
main{max-width:520px;margin:32px auto;background:#fff;border-radius:10px;padding:24px 28px;box-shadow:0 1px 4px rgba(0,0,0,.12)}\
h1{font-size:1.4em;margin:0 0 4px}.amount{font-size:1.8em;font-weight:600;margin:8px 0}\
.muted{color:#667}.field{margin:10px 0;flex:1}.row{display:flex;gap:10px}\
label{display:block;font-size:.85em;color:#445;margin-bottom:3px}\
input,select{width:100%;box-sizing:border-box;padding:8px;border:1px solid #bbc;border-radius:6px;font-size:1em}\
button{background:#2b59c3;color:#fff;border:0;border-radius:6px;padding:10px 18px;font-size:1em;margin-top:12px;cursor:pointer}\
button.secondary{background:#889}.method{border-top:1px solid #e3e5ea;margin-top:18px;padding-top:10px}\
.errors{background:#fdecea;color:#8a1c12;border-radius:6px;padding:8px 12px}\
.status-processed{color:#1b7f3b}.status-failed{color:#b3261e}.help{margin-top:16px;font-size:.85em}\
td,th{padding:2px 8px;text-align:left}footer{text-align:center;color:#99a;font-size:.8em;margin:12px}";

/// A whole page.
pub fn layout(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>{STYLE}</style></head>\
<body><main>{body}</main><footer>polypay sandbox — test payments only</footer></body></html>\n",
        esc(title)
    )
}

pub fn error_page(status: StatusCode, title: &str, messages: &[(String, String)]) -> Response {
    let mut items = String::new();
    for (field, message) in messages {
        if field.is_empty() {
            items.push_str(&format!("<li>{}</li>", esc(message)));
        } else {
            items.push_str(&format!(
                "<li><code>{}</code>: {}</li>",
                esc(field),
                esc(message)
            ));
        }
    }
    let body = format!(
        "<h1 id=\"error-title\">{}</h1><div class=\"errors\" id=\"errors\"><ul>{items}</ul></div>",
        esc(title)
    );
    html(status, layout(title, &body))
}

fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        esc(name),
        esc(value)
    )
}

fn amount_text(invoice_amount: &str, currency: &str) -> String {
    format!(
        "<div class=\"amount\" id=\"amount\">{} {}</div>",
        esc(invoice_amount),
        esc(currency)
    )
}

fn describe(description: Option<&str>) -> String {
    match description {
        Some(d) if !d.is_empty() => format!("<p id=\"description\">{}</p>", esc(d)),
        _ => String::new(),
    }
}

fn status_select(name: &str) -> String {
    format!(
        "<div class=\"field\"><label for=\"status\">Test status</label>\
<select id=\"status\" name=\"{}\"><option value=\"success\">success</option>\
<option value=\"pending\">pending</option><option value=\"fail\">fail</option></select></div>",
        esc(name)
    )
}

fn errors_box(message: Option<&str>) -> String {
    match message {
        Some(m) => format!("<div class=\"errors\" id=\"errors\">{}</div>", esc(m)),
        None => String::new(),
    }
}

fn method_name(service: &Service) -> &str {
    match service.method.as_str() {
        "payment_card" => "Payment card",
        "test" => "Test",
        other => other,
    }
}

/// The step where the customer pays an existing invoice (card form or test status).
fn pay_page(st: &State, inv: &Invoice, error: Option<&str>) -> Response {
    let account = &st.accounts[inv.account];
    let action = format!("/hpp/pay/{}", inv.id);
    let form = match inv.service.flow {
        Flow::Hpp => format!(
            "<form method=\"post\" action=\"{}\" id=\"card-form\">{}</form>{}",
            esc(&action),
            cards::form_fields("pay"),
            cards::help()
        ),
        Flow::Test => format!(
            "<form method=\"post\" action=\"{}\" id=\"test-form\">{}<button type=\"submit\" id=\"pay\">Pay</button></form>",
            esc(&action),
            status_select("status")
        ),
    };
    let body = format!(
        "<h1>{}</h1><p class=\"muted\" id=\"merchant\">{}</p>{}{}\
<p class=\"muted\">Invoice <code id=\"invoice-id\">{}</code> · {}{}</p>{}{}",
        esc(method_name(&inv.service)),
        esc(&account.cfg.name),
        amount_text(
            &display_amount(inv.amount, inv.service.currency.exponent()),
            inv.service.currency.code()
        ),
        describe(inv.description.as_deref()),
        esc(&inv.id),
        esc(&inv.service.code),
        if inv.test_mode { " · test mode" } else { "" },
        errors_box(error),
        form
    );
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    html(status, layout(&format!("Pay {}", account.cfg.name), &body))
}

/// The URL the customer goes back to for the invoice's state, with `invoice_id` appended:
/// `return_urls.success|fail|pending`, else `return_url`, else `return_urls.pending`.
pub fn return_target(inv: &Invoice) -> Option<String> {
    let key = match inv.status.as_ref() {
        "processed" | "partially_refunded" | "refunded" => "success",
        "process_failed" | "expired" | "terminated" => "fail",
        _ => "pending",
    };
    let urls = inv.return_urls.as_deref();
    let url = urls
        .and_then(|u| str_of(u, key))
        .map(str::to_owned)
        .or_else(|| inv.return_url.clone())
        .or_else(|| urls.and_then(|u| str_of(u, "pending")).map(str::to_owned))?;
    Some(with_query(&url, "invoice_id", &inv.id))
}

/// After a payment step: 303 to the merchant's return URL, else to the result page.
fn finish(inv: &Invoice) -> Response {
    match return_target(inv) {
        Some(url) => redirect(&url),
        None => redirect(&format!("/hpp/result/{}", inv.id)),
    }
}

fn result_word(status: &str) -> (&'static str, &'static str) {
    match status {
        "processed" => ("Paid", "status-processed"),
        "partially_refunded" | "refunded" => ("Refunded", "status-processed"),
        "process_failed" => ("Failed", "status-failed"),
        "expired" => ("Expired", "status-failed"),
        _ => ("Pending", "status-pending"),
    }
}

fn result_page(st: &State, inv: &Invoice) -> Response {
    let (word, class) = result_word(&inv.status);
    let back = match return_target(inv) {
        Some(url) => format!(
            "<p><a id=\"return-link\" href=\"{}\">Return to the merchant</a></p>",
            esc(&url)
        ),
        None => String::new(),
    };
    let body = format!(
        "<h1 id=\"result\" class=\"{class}\">{word}</h1>{}{}\
<p class=\"muted\">Invoice <code id=\"invoice-id\">{}</code> · status <code id=\"invoice-status\">{}</code> · resolution <code id=\"invoice-resolution\">{}</code></p>{back}",
        amount_text(&display_amount(inv.amount, inv.service.currency.exponent()), inv.service.currency.code()),
        describe(inv.description.as_deref()),
        esc(&inv.id),
        esc(&inv.status),
        esc(&inv.resolution),
    );
    html(
        StatusCode::OK,
        layout(
            &format!("{word} — {}", st.accounts[inv.account].cfg.name),
            &body,
        ),
    )
}

/// The invoice's current step: pay form, 3-D Secure, or the result.
fn invoice_page(st: &State, inv: &Invoice) -> Response {
    if inv.pending_card.is_some() && inv.is_payable() {
        return redirect(&format!("/hpp/3ds/{}", inv.id));
    }
    if inv.is_payable() {
        pay_page(st, inv, None)
    } else {
        result_page(st, inv)
    }
}

fn payment_invoice(st: &State, id: &str) -> Option<Arc<Invoice>> {
    st.get(id).filter(|i| i.kind == Kind::Payment)
}

fn not_found_page() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Invoice not found",
        &[(String::new(), "No payment invoice has this id.".into())],
    )
}

/// Takes a card or test-status payment for a payable invoice, from form fields.
fn take_payment(st: &Arc<State>, inv: &Invoice, form: &Map<String, Value>) -> Response {
    match inv.service.flow {
        Flow::Test => {
            let status = str_of(form, "status")
                .or_else(|| {
                    form.get("service_fields")
                        .and_then(|f| f.get("status"))
                        .and_then(Value::as_str)
                })
                .unwrap_or("");
            if !["success", "pending", "fail"].contains(&status) {
                return pay_page(
                    st,
                    inv,
                    Some("Choose a test status: success, pending or fail."),
                );
            }
            match st.pay_test(&inv.id, status) {
                Some(done) => finish(&done),
                None => not_found_page(),
            }
        }
        Flow::Hpp => match cards::evaluate(form) {
            Err(message) => pay_page(st, inv, Some(&message)),
            Ok(decision) if decision.three_ds => {
                st.hold_card(&inv.id, decision.payment);
                redirect(&format!("/hpp/3ds/{}", inv.id))
            }
            Ok(decision) => match st.finish_card(&inv.id, decision.payment) {
                Some(done) => finish(&done),
                None => not_found_page(),
            },
        },
    }
}

pub async fn pay_get(Ax(st): St, Path(id): Path<String>) -> Response {
    match payment_invoice(&st, &id) {
        Some(inv) => invoice_page(&st, &inv),
        None => not_found_page(),
    }
}

pub async fn pay_post(Ax(st): St, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(inv) = payment_invoice(&st, &id) else {
        return not_found_page();
    };
    if !inv.is_payable() {
        return finish(&inv);
    }
    let pairs = parse_pairs(&body);
    let form = nest_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    take_payment(&st, &inv, &form)
}

pub async fn three_ds_get(Ax(st): St, Path(id): Path<String>) -> Response {
    let Some(inv) = payment_invoice(&st, &id) else {
        return not_found_page();
    };
    if inv.pending_card.is_none() || !inv.is_payable() {
        return invoice_page(&st, &inv);
    }
    let mask = inv
        .pending_card
        .as_ref()
        .and_then(|c| c.payload.get("payment_card"))
        .and_then(|c| c.get("mask"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let body = format!(
        "<h1>3-D Secure</h1><p>Confirm the payment of</p>{}<p>with the card <code id=\"card-mask\">{}</code> \
(this is the sandbox's stand-in for the issuer's confirmation page).</p>\
<form method=\"post\" action=\"/hpp/3ds/{}\" id=\"three-ds-form\">\
<button type=\"submit\" name=\"action\" value=\"confirm\" id=\"confirm\">Confirm</button> \
<button type=\"submit\" name=\"action\" value=\"cancel\" id=\"cancel\" class=\"secondary\">Cancel</button></form>",
        amount_text(&display_amount(inv.amount, inv.service.currency.exponent()), inv.service.currency.code()),
        esc(mask),
        esc(&inv.id)
    );
    html(StatusCode::OK, layout("3-D Secure", &body))
}

pub async fn three_ds_post(Ax(st): St, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(inv) = payment_invoice(&st, &id) else {
        return not_found_page();
    };
    let Some(mut card) = st.take_pending_card(&id) else {
        return invoice_page(&st, &inv);
    };
    let pairs = parse_pairs(&body);
    if pairs.iter().any(|(k, v)| k == "action" && v == "cancel") {
        card.success = false;
        card.resolution = "auth_fatal_error".into();
    }
    match st.finish_card(&id, card) {
        Some(done) => finish(&done),
        None => not_found_page(),
    }
}

pub async fn result_get(Ax(st): St, Path(id): Path<String>) -> Response {
    match payment_invoice(&st, &id) {
        Some(inv) => result_page(&st, &inv),
        None => not_found_page(),
    }
}

/// `GET /hpp/`: `?cpi=` opens an existing invoice; otherwise the checkout page for
/// `public_key`, `amount`, `currency` (+ optional HPP parameters), one form per method.
pub async fn hpp_get(Ax(st): St, RawQuery(query): RawQuery) -> Response {
    let pairs = parse_pairs(query.as_deref().unwrap_or("").as_bytes());
    let params = nest_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if let Some(cpi) = str_of(&params, "cpi").filter(|c| !c.is_empty()) {
        return match payment_invoice(&st, cpi) {
            Some(inv) => invoice_page(&st, &inv),
            None => not_found_page(),
        };
    }
    let Some((account, test_mode)) = str_of(&params, "public_key").and_then(|k| st.public_key(k))
    else {
        return error_page(
            StatusCode::UNAUTHORIZED,
            "Unknown public key",
            &[(
                "public_key".into(),
                "Pass the account's pk_test_… or pk_live_… key.".into(),
            )],
        );
    };
    if let Some(e) = public_creation_refused(account) {
        return error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Payment not possible",
            &e.0,
        );
    }
    let mut errors = Errors::default();
    let currency = match str_of(&params, "currency").map(polypay::Currency::parse) {
        Some(Ok(c)) => Some(c),
        Some(Err(_)) => {
            errors.add("currency", "This value is not a valid currency.");
            None
        }
        None => {
            errors.add("currency", validate::NOT_BLANK);
            None
        }
    };
    let amount = match str_of(&params, "amount").map(polypay::Amount::parse) {
        Some(Ok(a)) if !a.is_zero() => Some(a.as_decimal()),
        Some(_) => {
            errors.add("amount", "This value should be a number greater than 0.");
            None
        }
        None => {
            errors.add("amount", validate::NOT_BLANK);
            None
        }
    };
    if let Some(customer) = params.get("customer") {
        if str_of(customer.as_object().unwrap_or(&Map::new()), "reference_id")
            .is_none_or(str::is_empty)
        {
            errors.add("customer.reference_id", validate::NOT_BLANK);
        }
    }
    if !errors.is_empty() {
        return error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid payment request",
            &errors.0,
        );
    }
    let (currency, amount) = (currency.expect("checked"), amount.expect("checked"));
    let wanted = str_of(&params, "service").filter(|s| !s.is_empty());
    let services: Vec<&Arc<Service>> = account
        .services
        .iter()
        .filter(|s| s.kind == Kind::Payment && s.currency == currency && s.available_in(test_mode))
        .filter(|s| wanted.is_none_or(|w| w == s.code))
        .filter(|s| amount >= s.amount_min && amount <= s.amount_max)
        .collect();
    if services.is_empty() {
        let why = match wanted {
            Some(w) => {
                format!("The service '{w}' is not available for this currency, amount and mode.")
            }
            None => "No payment method is available for this currency, amount and mode.".into(),
        };
        return error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Payment not possible",
            &[("service".into(), why)],
        );
    }
    // Every parameter travels on as hidden inputs, except those each form sets itself.
    let carried: String = flatten_brackets(&params)
        .iter()
        .filter(|(k, _)| k != "service" && !k.starts_with("service_fields[") && k != "cpi")
        .map(|(k, v)| hidden(k, v))
        .collect();
    let given_fields = params
        .get("service_fields")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut forms = String::new();
    let mut card_forms = 0;
    for s in &services {
        let mut inner = format!("{carried}{}", hidden("service", &s.code));
        match s.flow {
            Flow::Hpp => {
                card_forms += 1;
                let button = if card_forms == 1 {
                    "pay".to_owned()
                } else {
                    format!("pay-{}", s.code)
                };
                let fields = if card_forms == 1 {
                    cards::form_fields(&button)
                } else {
                    // Later card forms get their own ids (names stay the same).
                    cards::form_fields(&button)
                        .replace("id=\"", &format!("id=\"{}-", s.code))
                        .replace("for=\"", &format!("for=\"{}-", s.code))
                };
                inner.push_str(&fields);
            }
            Flow::Test => {
                for (k, v) in flatten_brackets(&given_fields) {
                    inner.push_str(&hidden(&format!("service_fields[{k}]"), &v));
                }
                if !given_fields.contains_key("status") {
                    inner.push_str(&status_select("service_fields[status]"));
                }
                inner.push_str(&format!(
                    "<button type=\"submit\" id=\"pay-{}\">Pay</button>",
                    esc(&s.code)
                ));
            }
        }
        forms.push_str(&format!(
            "<section class=\"method\" id=\"method-{code}\"><h2>{name}</h2>\
<form method=\"post\" action=\"/hpp/\" id=\"form-{code}\">{inner}</form></section>",
            code = esc(&s.code),
            name = esc(method_name(s)),
        ));
    }
    let help = if card_forms > 0 {
        cards::help()
    } else {
        String::new()
    };
    let body = format!(
        "<h1 id=\"merchant\">{}</h1>{}{}<p class=\"muted\">{}</p>{forms}{help}",
        esc(&account.cfg.name),
        amount_text(
            &display_amount(amount, currency.exponent()),
            currency.code()
        ),
        describe(str_of(&params, "description")),
        if test_mode {
            "Test mode"
        } else {
            "Live mode (sandbox)"
        },
    );
    html(
        StatusCode::OK,
        layout(&format!("Pay {}", account.cfg.name), &body),
    )
}

/// Creates a public invoice from form fields; the error page when it cannot be created.
fn create_from_form(st: &Arc<State>, form: &Map<String, Value>) -> Result<Arc<Invoice>, Response> {
    let Some((account, test_mode)) = str_of(form, "public_key").and_then(|k| st.public_key(k))
    else {
        return Err(error_page(
            StatusCode::UNAUTHORIZED,
            "Unknown public key",
            &[(
                "public_key".into(),
                "Pass the account's pk_test_… or pk_live_… key.".into(),
            )],
        ));
    };
    if let Some(e) = public_creation_refused(account) {
        return Err(error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Payment not possible",
            &e.0,
        ));
    }
    let req = validate::payment(account, form, Origin::Form, Some(test_mode)).map_err(|e| {
        error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid payment request",
            &e.0,
        )
    })?;
    match st.create_payment(account, req) {
        Ok(inv) => Ok(inv),
        Err(CreateError::Invalid(e)) => Err(error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid payment request",
            &e.0,
        )),
        Err(CreateError::Conflict(existing)) => {
            let body = format!(
                "<h1 id=\"error-title\">Already created</h1><div class=\"errors\" id=\"errors\">An invoice with this \
<code>reference_id</code> exists.</div><p><a id=\"existing-link\" href=\"/hpp/?cpi={}\">Open invoice {}</a></p>",
                esc(&existing.id),
                esc(&existing.id)
            );
            Err(html(StatusCode::CONFLICT, layout("Already created", &body)))
        }
    }
}

/// `POST /hpp/`: create the invoice and pay it in one step (card fields or the test status).
pub async fn hpp_post(Ax(st): St, body: Bytes) -> Response {
    let pairs = parse_pairs(&body);
    let form = nest_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let inv = match create_from_form(&st, &form) {
        Ok(inv) => inv,
        Err(page) => return page,
    };
    if !inv.is_payable() || inv.service.flow == Flow::Test {
        // The test status came with the create and was applied there (or is still to be chosen).
        return if inv.is_payable() && !inv.fields.contains_key("status") {
            redirect(&format!("/hpp/pay/{}", inv.id))
        } else {
            finish(&inv)
        };
    }
    take_payment(&st, &inv, &form)
}

/// `POST /public-api/payment-invoices/process`: create, then 303 to the payment step.
pub async fn process_post(Ax(st): St, body: Bytes) -> Response {
    let pairs = parse_pairs(&body);
    let form = nest_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    match create_from_form(&st, &form) {
        Ok(inv) => redirect(&inv.action_url(&st.base_url)),
        Err(page) => page,
    }
}

/// `GET /`: what runs here.
pub async fn index(Ax(st): St) -> Response {
    let account = &st.accounts[0];
    let project = &st.config.ecommpay[0];
    let body = format!(
        "<h1>polypay sandbox</h1><p>A local PayCore/Paymega Commerce gateway and ecommpay Payment Page.</p>\
<ul><li>Private API: <code>{base}/api</code> (Basic <code>{acc}</code> : <code>{key}</code>)</li>\
<li>Public API: <code>{base}/public-api</code> (<code>{pk}</code>, <code>{pkl}</code>)</li>\
<li>Hosted Payment Page: <a href=\"/hpp/?public_key={pk}&amp;amount=10.00&amp;currency=USD&amp;description=Sandbox+order\">{base}/hpp/</a></li>\
<li>ecommpay Payment Page: <code>{base}/ecommpay/payment</code> (project {pid})</li>\
<li>Admin: <a href=\"/__sandbox/config\">/__sandbox/config</a>, <a href=\"/__sandbox/invoices\">invoices</a>, \
<a href=\"/__sandbox/callbacks\">callbacks</a>, <a href=\"/__sandbox/stats\">stats</a></li></ul>",
        base = esc(&st.base_url),
        acc = esc(&account.cfg.account_id),
        key = esc(&account.cfg.api_key),
        pk = esc(&account.cfg.public_key_test),
        pkl = esc(&account.cfg.public_key_live),
        pid = project.project_id,
    );
    html(StatusCode::OK, layout("polypay sandbox", &body))
}
