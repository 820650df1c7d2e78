//! The Hosted Payment Page and the hosted card step: the routes that fill in the `html` pages.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as Ax};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};
use url::{Position, Url};

use crate::cards;
use crate::html::{
    error_page, page, CheckoutPage, ConflictPage, IndexPage, Method, MethodForm, PayPage,
    ResultPage, ThreeDsPage,
};
use crate::http::redirect;
use crate::model::Invoice;
use crate::services::{Flow, Kind, Service};
use crate::state::{CreateError, State};
use crate::util::{display_amount, flatten_brackets, nest_pairs, parse_pairs, str_of, with_query};
use crate::validate::{self, public_creation_refused, Errors, Origin};

type St = Ax<Arc<State>>;

fn method_name(service: &Service) -> &str {
    match service.method.as_str() {
        "payment_card" => "Payment card",
        "test" => "Test",
        other => other,
    }
}

fn invoice_amount(inv: &Invoice) -> String {
    display_amount(inv.amount, inv.service.currency.exponent())
}

/// The step where the customer pays an existing invoice (card form or test status).
fn pay_page(st: &State, inv: &Invoice, error: Option<&str>) -> Response {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page(
        status,
        &PayPage {
            method: method_name(&inv.service),
            merchant: &st.accounts[inv.account].cfg.name,
            amount: &invoice_amount(inv),
            currency: inv.service.currency.code(),
            description: inv.description.as_deref(),
            invoice_id: &inv.id,
            service: &inv.service.code,
            test_mode: inv.test_mode,
            error,
            card: inv.service.flow == Flow::Hpp,
            action: &format!("/hpp/pay/{}", inv.id),
        },
    )
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
    with_query(&url, "invoice_id", &inv.id)
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
    page(
        StatusCode::OK,
        &ResultPage {
            word,
            class,
            merchant: &st.accounts[inv.account].cfg.name,
            amount: &invoice_amount(inv),
            currency: inv.service.currency.code(),
            description: inv.description.as_deref(),
            invoice_id: &inv.id,
            status: &inv.status,
            resolution: &inv.resolution,
            return_url: return_target(inv).as_deref(),
        },
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
    page(
        StatusCode::OK,
        &ThreeDsPage {
            amount: &invoice_amount(&inv),
            currency: inv.service.currency.code(),
            card_mask: mask,
            action: &format!("/hpp/3ds/{}", inv.id),
        },
    )
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
    let Some((account, test_mode)) =
        str_of(&params, "public_key").and_then(|k| st.accounts.public_key(k))
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
    let carried: Vec<(String, String)> = flatten_brackets(&params)
        .into_iter()
        .filter(|(k, _)| k != "service" && !k.starts_with("service_fields[") && k != "cpi")
        .collect();
    let given_fields = params
        .get("service_fields")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut card_forms = 0;
    let methods = services
        .iter()
        .map(|s| {
            let mut hidden = carried.clone();
            hidden.push(("service".into(), s.code.clone()));
            let form = match s.flow {
                Flow::Hpp => {
                    card_forms += 1;
                    if card_forms == 1 {
                        MethodForm::Card {
                            id_prefix: String::new(),
                            button_id: "pay".into(),
                        }
                    } else {
                        MethodForm::Card {
                            id_prefix: format!("{}-", s.code),
                            button_id: format!("pay-{}", s.code),
                        }
                    }
                }
                Flow::Test => {
                    hidden.extend(
                        flatten_brackets(&given_fields)
                            .into_iter()
                            .map(|(k, v)| (format!("service_fields[{k}]"), v)),
                    );
                    MethodForm::Test {
                        choose_status: !given_fields.contains_key("status"),
                    }
                }
            };
            Method {
                code: &s.code,
                name: method_name(s),
                hidden,
                form,
            }
        })
        .collect();
    page(
        StatusCode::OK,
        &CheckoutPage {
            merchant: &account.cfg.name,
            amount: &display_amount(amount, currency.exponent()),
            currency: currency.code(),
            description: str_of(&params, "description"),
            test_mode,
            methods,
            has_card_form: card_forms > 0,
        },
    )
}

/// Creates a public invoice from form fields; the error page when it cannot be created.
fn create_from_form(st: &Arc<State>, form: &Map<String, Value>) -> Result<Arc<Invoice>, Response> {
    let Some((account, test_mode)) =
        str_of(form, "public_key").and_then(|k| st.accounts.public_key(k))
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
        Err(CreateError::Conflict(existing)) => Err(page(
            StatusCode::CONFLICT,
            &ConflictPage {
                invoice_id: &existing.id,
                link: &checkout_link(st, &[("cpi", &existing.id)]),
            },
        )),
    }
}

/// `/hpp/?…`: a link to the hosted checkout, relative like the pages' other links.
fn checkout_link(st: &State, query: &[(&str, &str)]) -> String {
    let mut url = Url::parse(&st.base_url)
        .and_then(|base| base.join("/hpp/"))
        .expect("the sandbox's base URL is a URL");
    url.query_pairs_mut().extend_pairs(query);
    url[Position::BeforePath..].to_owned()
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
    let checkout_link = checkout_link(
        &st,
        &[
            ("public_key", &account.cfg.public_key_test),
            ("amount", "10.00"),
            ("currency", "USD"),
            ("description", "Sandbox order"),
        ],
    );
    page(
        StatusCode::OK,
        &IndexPage {
            base_url: &st.base_url,
            account_id: &account.cfg.account_id,
            api_key: &account.cfg.api_key,
            public_key_test: &account.cfg.public_key_test,
            public_key_live: &account.cfg.public_key_live,
            project_id: project.project_id,
            checkout_link: &checkout_link,
        },
    )
}
