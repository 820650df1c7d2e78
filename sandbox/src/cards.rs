//! The documented test cards (paycore-api docs §7) and what the card form decides.
//!
//! | card             | 3-D Secure | result  |
//! |------------------|------------|---------|
//! | 5123817234060000 | yes        | success |
//! | 5519283812030000 | no         | success |
//! | 4412397212080000 | yes        | fail    |
//! | 4302912837020000 | no         | fail    |
//!
//! Any other number fails with `invalid_card`; expiry 07/77 fails with `invalid_expire_date`
//! and a past expiry with `card_expired`. The CVV may be any 3 or 4 digits. The form itself is
//! `card_fields` in `templates/macros.html`.

use chrono::Datelike;
use serde_json::{json, Map, Value};

use crate::model::CardPayment;
use crate::util::str_of;

pub const TEST_CARDS: &[(&str, bool, bool)] = &[
    ("5123817234060000", true, true),
    ("5519283812030000", false, true),
    ("4412397212080000", true, false),
    ("4302912837020000", false, false),
];

pub struct Decision {
    pub payment: CardPayment,
    pub three_ds: bool,
    /// The card as ecommpay's callback `account` object.
    pub account: Value,
}

/// Reads the card form: `Err(message)` when something must be re-entered.
pub fn evaluate(form: &Map<String, Value>) -> Result<Decision, String> {
    let number: String = str_of(form, "card_number")
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if !(12..=19).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err("Enter the card number (12 to 19 digits).".into());
    }
    let (month_text, year_text) = match (str_of(form, "expiry_month"), str_of(form, "expiry_year"))
    {
        (Some(m), Some(y)) if !m.trim().is_empty() => (m.trim().to_owned(), y.trim().to_owned()),
        _ => match str_of(form, "expiry").and_then(|e| e.split_once('/')) {
            Some((m, y)) => (m.trim().to_owned(), y.trim().to_owned()),
            None => return Err("Enter the expiry date (month and year).".into()),
        },
    };
    let month: u32 = month_text
        .parse()
        .ok()
        .filter(|m| (1..=12).contains(m))
        .ok_or("The expiry month must be 01 to 12.")?;
    let year: i32 = match year_text.len() {
        2 => year_text
            .parse::<i32>()
            .map(|y| 2000 + y)
            .map_err(|_| "The expiry year must be YY or YYYY.")?,
        4 => year_text
            .parse::<i32>()
            .map_err(|_| "The expiry year must be YY or YYYY.")?,
        _ => return Err("The expiry year must be YY or YYYY.".into()),
    };
    let cvv = str_of(form, "cvv").unwrap_or("").trim();
    if !(3..=4).contains(&cvv.len()) || !cvv.bytes().all(|b| b.is_ascii_digit()) {
        return Err("Enter the CVV (3 or 4 digits).".into());
    }
    let holder = str_of(form, "card_holder")
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(|h| h.to_uppercase());

    let known = TEST_CARDS.iter().find(|(n, _, _)| *n == number);
    let today = chrono::Utc::now();
    let (three_ds, success, resolution) = match known {
        _ if month == 7 && year == 2077 => (false, false, "invalid_expire_date"),
        _ if (year, month) < (today.year(), today.month()) => (false, false, "card_expired"),
        Some((_, three_ds, true)) => (*three_ds, true, "ok"),
        Some((_, three_ds, false)) => (*three_ds, false, "general_decline"),
        None => (false, false, "invalid_card"),
    };
    let brand = if number.starts_with('4') {
        "visa"
    } else if number.starts_with('5') || number.starts_with('2') {
        "mastercard"
    } else {
        "unknown"
    };
    let first = &number[..6];
    let last = &number[number.len() - 4..];
    let mask = format!("{first}{}{last}", "*".repeat(number.len() - 10));
    let expiry_month = format!("{month:02}");
    let expiry_year = format!("{:02}", year % 100);
    let mut card = Map::new();
    card.insert("last".into(), json!(last));
    card.insert("mask".into(), json!(mask));
    card.insert("brand".into(), json!(brand));
    card.insert("first".into(), json!(first));
    card.insert("holder".into(), json!(holder));
    card.insert("network".into(), json!(brand));
    card.insert("expiry_year".into(), json!(expiry_year));
    card.insert("issuer_name".into(), json!("POLYPAY SANDBOX BANK"));
    card.insert("expiry_month".into(), json!(expiry_month));
    card.insert("issuer_country".into(), json!("US"));
    let mut payload = Map::new();
    payload.insert("token".into(), Value::Null);
    payload.insert("client_ip".into(), json!(""));
    payload.insert("payment_card".into(), Value::Object(card));
    Ok(Decision {
        payment: CardPayment {
            payload,
            success,
            resolution: resolution.into(),
        },
        three_ds,
        account: json!({
            "number": mask,
            "type": brand,
            "card_holder": holder.unwrap_or_default(),
            "expiry_month": expiry_month,
            "expiry_year": year.to_string(),
        }),
    })
}
