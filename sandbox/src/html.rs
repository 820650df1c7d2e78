//! The HTML pages: askama templates under `sandbox/templates/`, which HTML-escape every value
//! they show. Each page is a struct of what it shows; handlers fill it in and [`page`] sends it.
//! The pages work without JavaScript.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use crate::http::bytes_response;

/// Renders a page as the response.
pub fn page(status: StatusCode, page: &impl Template) -> Response {
    let html = page.render().expect("pages render into a String");
    bytes_response(status, "text/html; charset=utf-8", html.into_bytes())
}

/// A refusal: field → message pairs (an empty field for a message about no field).
pub fn error_page(status: StatusCode, title: &str, messages: &[(String, String)]) -> Response {
    page(status, &ErrorPage { title, messages })
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    messages: &'a [(String, String)],
}

/// A create whose `reference_id` exists: a link to the existing invoice.
#[derive(Template)]
#[template(path = "conflict.html")]
pub struct ConflictPage<'a> {
    pub invoice_id: &'a str,
    pub link: &'a str,
}

/// `GET /`: what runs here.
#[derive(Template)]
#[template(path = "index.html")]
pub struct IndexPage<'a> {
    pub base_url: &'a str,
    pub account_id: &'a str,
    pub api_key: &'a str,
    pub public_key_test: &'a str,
    pub public_key_live: &'a str,
    pub project_id: i64,
    pub checkout_link: &'a str,
}

/// The hosted checkout: one form per payment method.
#[derive(Template)]
#[template(path = "checkout.html")]
pub struct CheckoutPage<'a> {
    pub merchant: &'a str,
    pub amount: &'a str,
    pub currency: &'a str,
    pub description: Option<&'a str>,
    pub test_mode: bool,
    pub methods: Vec<Method<'a>>,
    pub has_card_form: bool,
}

pub struct Method<'a> {
    pub code: &'a str,
    pub name: &'a str,
    /// The checkout's parameters, carried on to the create.
    pub hidden: Vec<(String, String)>,
    pub form: MethodForm,
}

pub enum MethodForm {
    Card {
        /// Sets the ids of a second card form apart (its names stay the same).
        id_prefix: String,
        button_id: String,
    },
    Test {
        /// The checkout did not choose the test status: the customer does.
        choose_status: bool,
    },
}

/// The step where the customer pays an existing invoice: the card form or the test status.
#[derive(Template)]
#[template(path = "pay.html")]
pub struct PayPage<'a> {
    pub method: &'a str,
    pub merchant: &'a str,
    pub amount: &'a str,
    pub currency: &'a str,
    pub description: Option<&'a str>,
    pub invoice_id: &'a str,
    pub service: &'a str,
    pub test_mode: bool,
    pub error: Option<&'a str>,
    pub card: bool,
    pub action: &'a str,
}

/// An invoice's outcome, with the way back to the merchant when there is one.
#[derive(Template)]
#[template(path = "result.html")]
pub struct ResultPage<'a> {
    pub word: &'a str,
    pub class: &'a str,
    pub merchant: &'a str,
    pub amount: &'a str,
    pub currency: &'a str,
    pub description: Option<&'a str>,
    pub invoice_id: &'a str,
    pub status: &'a str,
    pub resolution: &'a str,
    pub return_url: Option<&'a str>,
}

/// The hosted card step's 3-D Secure confirmation.
#[derive(Template)]
#[template(path = "three_ds.html")]
pub struct ThreeDsPage<'a> {
    pub amount: &'a str,
    pub currency: &'a str,
    pub card_mask: &'a str,
    pub action: &'a str,
}

/// An ecommpay Payment Page request refused; for signature errors, the string that was signed.
#[derive(Template)]
#[template(path = "ecommpay_refused.html")]
pub struct EcommpayRefusedPage<'a> {
    pub title: &'a str,
    pub message: &'a str,
    pub string_to_sign: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "ecommpay_card.html")]
pub struct EcommpayCardPage<'a> {
    pub project_id: i64,
    pub payment_id: &'a str,
    pub amount: &'a str,
    pub currency: &'a str,
    pub description: Option<&'a str>,
    pub error: Option<&'a str>,
    pub action: &'a str,
}

#[derive(Template)]
#[template(path = "ecommpay_three_ds.html")]
pub struct EcommpayThreeDsPage<'a> {
    pub action: &'a str,
}

#[derive(Template)]
#[template(path = "ecommpay_result.html")]
pub struct EcommpayResultPage<'a> {
    pub word: &'a str,
    pub class: &'a str,
    pub payment_id: &'a str,
    pub status: &'a str,
}
