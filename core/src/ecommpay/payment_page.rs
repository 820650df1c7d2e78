//! Payment Page URLs (docs §2) and the `Payment` builder (docs §2.4, §4).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use super::php;
use super::signature::{push_value, Signer};
use crate::error::{Error, Result};
use crate::money::{printable, Currency};

pub const DEFAULT_BASE_URL: &str = "https://paymentpage.ecommpay.com";

/// The signed Payment Page URL for `params`, exactly as the PHP SDK builds it: parameters in
/// the caller's order (`http_build_query`, RFC 1738), nested values in bracket notation,
/// booleans as 1/0 and the signature last. Nothing is added to `params`.
///
/// Null values are dropped (at every depth) before signing *and* before building the query,
/// so the URL always carries exactly what was signed.
pub fn payment_page_url(
    params: &Map<String, Value>,
    secret: &str,
    base_url: Option<&str>,
) -> Result<String> {
    signed_url(
        params,
        &Signer::new(secret),
        base_url.unwrap_or(DEFAULT_BASE_URL),
    )
}

pub(crate) fn signed_url(
    params: &Map<String, Value>,
    signer: &Signer,
    base_url: &str,
) -> Result<String> {
    let base = normalise_base_url(base_url)?;
    let cleaned;
    let params = if contains_null(params) {
        cleaned = without_nulls(params);
        &cleaned
    } else {
        params
    };
    let signature = signer.sign(params)?;
    let mut url = String::with_capacity(base.len() + 160 + 48 * params.len());
    url.push_str(base);
    url.push_str("/payment?");
    let mut name = String::with_capacity(64);
    append_query(&mut url, &mut name, params.iter());
    if !url.ends_with('?') {
        url.push('&');
    }
    url.push_str("signature=");
    php::push_urlencoded(&mut url, &signature);
    Ok(url)
}

pub(crate) fn normalise_base_url(base_url: &str) -> Result<&str> {
    let base = base_url.trim_end_matches('/');
    let host = base
        .strip_prefix("https://")
        .or_else(|| base.strip_prefix("http://"));
    match host {
        Some(h) if !h.is_empty() && !h.contains(['?', '#', ' ']) => Ok(base),
        _ => Err(Error::invalid(
            "base_url",
            "invalid_url",
            format!(
                "'{}' is not an http(s) URL such as {DEFAULT_BASE_URL}",
                printable(base_url)
            ),
        )),
    }
}

/// `http_build_query`: `name=value` pairs joined by `&`, nested keys as `parent%5Bchild%5D`.
/// `name` holds the encoded name of the enclosing container while its children are written.
fn append_query<'a>(
    out: &mut String,
    name: &mut String,
    entries: impl Iterator<Item = (&'a String, &'a Value)>,
) {
    let parent_len = name.len();
    for (key, value) in entries {
        name.truncate(parent_len);
        if parent_len == 0 {
            php::push_urlencoded(name, key);
        } else {
            name.push_str("%5B");
            php::push_urlencoded(name, key);
            name.push_str("%5D");
        }
        match value {
            Value::Null => {}
            Value::Object(map) => append_query(out, name, map.iter()),
            Value::Array(list) => {
                let indices: Vec<String> = (0..list.len()).map(|i| i.to_string()).collect();
                append_query(out, name, indices.iter().zip(list));
            }
            Value::String(text) => push_pair(out, name, text),
            scalar => {
                let mut text = String::new();
                push_value(&mut text, scalar);
                push_pair(out, name, &text);
            }
        }
    }
    name.truncate(parent_len);
}

fn push_pair(out: &mut String, name: &str, value: &str) {
    if !out.ends_with('?') {
        out.push('&');
    }
    out.push_str(name);
    out.push('=');
    php::push_urlencoded(out, value);
}

fn contains_null(params: &Map<String, Value>) -> bool {
    fn null_in(value: &Value) -> bool {
        match value {
            Value::Null => true,
            Value::Object(map) => contains_null(map),
            Value::Array(list) => list.iter().any(null_in),
            _ => false,
        }
    }
    params.values().any(null_in)
}

/// Drops nulls at every depth. A list that loses an element becomes an index-keyed map, so
/// the remaining items keep their indices in both the signature and the query.
fn without_nulls(params: &Map<String, Value>) -> Map<String, Value> {
    fn clean(value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(without_nulls(map)),
            Value::Array(list) if list.iter().any(Value::is_null) => Value::Object(
                list.iter()
                    .enumerate()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(i, v)| (i.to_string(), clean(v)))
                    .collect(),
            ),
            Value::Array(list) => Value::Array(list.iter().map(clean).collect()),
            scalar => scalar.clone(),
        }
    }
    params
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), clean(v)))
        .collect()
}

/// `booking_info` as ecommpay takes it: base64 of its PHP `json_encode` text.
fn encode_booking_info(info: &Value) -> Result<Value> {
    let empty = match info {
        Value::Object(map) => map.is_empty(),
        Value::Array(list) => list.is_empty(),
        _ => true,
    };
    if empty {
        return Err(Error::invalid(
            "booking_info",
            "empty",
            "must be a non-empty object",
        ));
    }
    let json = crate::json::to_php_json(info);
    Ok(Value::String(STANDARD.encode(json)))
}

macro_rules! string_setters {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {
        $(
            $(#[$meta])*
            pub fn $name(self, value: impl Into<String>) -> Self {
                self.set(stringify!($name), Value::String(value.into()))
            }
        )+
    };
}

/// A Payment Page purchase. `project_id` comes first, then `interface_type` (when set),
/// then `payment_id`, then every other parameter in the order it was set.
#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    project_id: i64,
    interface_type: Option<String>,
    payment_id: Option<String>,
    params: Map<String, Value>,
}

impl Payment {
    pub fn new(project_id: i64) -> Payment {
        Payment {
            project_id,
            interface_type: None,
            payment_id: None,
            params: Map::new(),
        }
    }

    /// A payment from named fields, as the bindings receive them: `payment_id`,
    /// `interface_type` and `booking_info` go to their setters, every other field to
    /// [`Payment::set`] in order. `project_id` is refused: it comes from the gate.
    pub fn from_fields(project_id: i64, mut fields: Map<String, Value>) -> Result<Payment> {
        if fields.contains_key("project_id") {
            return Err(Error::invalid(
                "payment",
                "project_id_given",
                "payment[project_id]: it comes from the gate, do not pass it",
            ));
        }
        let text = |value: Value| match value {
            Value::String(s) => s,
            other => other.to_string(),
        };
        // The map is kept as it is (no copy): the head fields leave it, booking_info is
        // encoded in place.
        let payment_id = fields.shift_remove("payment_id").map(text);
        let interface_type = fields.shift_remove("interface_type").map(text);
        if let Some(info) = fields.get_mut("booking_info") {
            *info = encode_booking_info(info)?;
        }
        Ok(Payment {
            project_id,
            interface_type,
            payment_id,
            params: fields,
        })
    }

    /// The integration id ecommpay assigns to an SDK, as the JSON text they expect
    /// (e.g. `{"id": 99}`); not sent unless set.
    pub fn interface_type(mut self, json_text: impl Into<String>) -> Self {
        self.interface_type = Some(json_text.into());
        self
    }

    pub fn payment_id(mut self, id: impl Into<String>) -> Self {
        self.payment_id = Some(id.into());
        self
    }

    /// The amount in minor units (cents): 3550 is 35.50.
    pub fn payment_amount(self, minor_units: i64) -> Self {
        self.set("payment_amount", Value::from(minor_units))
    }

    /// Any parameter, including ones this SDK does not list (nested maps are allowed).
    pub fn set(mut self, key: &str, value: Value) -> Self {
        self.params.insert(key.to_owned(), value);
        self
    }

    string_setters!(
        /// ISO 4217 alpha-3, checked when the URL is built.
        payment_currency,
        payment_description,
        customer_id,
        customer_email,
        customer_first_name,
        customer_last_name,
        /// 4–24 digits.
        customer_phone,
        customer_country,
        customer_state,
        customer_city,
        /// `DD-MM-YYYY`.
        customer_day_of_birth,
        billing_postal,
        billing_country,
        billing_region,
        billing_city,
        billing_address,
        language_code,
        region_code,
        account_token,
        operation_type,
        force_payment_method,
        merchant_success_url,
        merchant_fail_url,
        redirect_success_url,
        redirect_fail_url,
        mode,
    );

    /// Until when the page accepts payment, written as PHP `DateTime::format('c')`.
    pub fn best_before(self, at: DateTime<FixedOffset>) -> Self {
        let text = at.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
        self.set("best_before", Value::String(text))
    }

    /// Booking details: base64 of the JSON as PHP `json_encode` writes it (key order kept,
    /// `/` and non-ASCII escaped).
    pub fn booking_info(self, info: &Value) -> Result<Self> {
        Ok(self.set("booking_info", encode_booking_info(info)?))
    }

    /// The parameters in their order, checked: a positive integer amount and a known currency.
    pub fn to_params(&self) -> Result<Map<String, Value>> {
        self.clone().into_params()
    }

    fn check(&self) -> Result<()> {
        if let Some(amount) = self.params.get("payment_amount") {
            if amount.as_i64().is_none_or(|a| a <= 0) {
                return Err(Error::invalid(
                    "payment_amount",
                    "not_minor_units",
                    "must be a positive whole number of minor units (3550 for 35.50)",
                ));
            }
        }
        if let Some(currency) = self.params.get("payment_currency") {
            Currency::parse(currency.as_str().unwrap_or_default())
                .map_err(|e| e.with_argument("payment_currency"))?;
        }
        Ok(())
    }

    /// [`Payment::to_params`] without copying the parameters.
    pub fn into_params(self) -> Result<Map<String, Value>> {
        self.check()?;
        let mut params = self.params;
        // The fixed head goes in front, last first; a value given through `set` wins.
        let mut put_first = |key: &str, value: Option<Value>| {
            if let Some(value) = params.shift_remove(key).or(value) {
                params.shift_insert(0, key.to_owned(), value);
            }
        };
        put_first("payment_id", self.payment_id.map(Value::String));
        put_first("interface_type", self.interface_type.map(Value::String));
        put_first("project_id", Some(Value::from(self.project_id)));
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_url_example() {
        let payment = Payment::new(12345)
            .interface_type(r#"{"id": 99}"#)
            .payment_id("X03936")
            .payment_amount(3550)
            .payment_currency("USD")
            .payment_description("Guyliner purchase")
            .customer_first_name("Jack")
            .customer_last_name("Sparrow")
            .customer_phone("02081234567");
        let url = payment_page_url(&payment.to_params().unwrap(), "secret", None).unwrap();
        assert_eq!(
            url,
            "https://paymentpage.ecommpay.com/payment?project_id=12345&interface_type=%7B%22id%22%3A+99%7D\
             &payment_id=X03936&payment_amount=3550&payment_currency=USD&payment_description=Guyliner+purchase\
             &customer_first_name=Jack&customer_last_name=Sparrow&customer_phone=02081234567\
             &signature=ztdWnqSelVXfemnVKG5mwmeGsUAWyHGrmHgH1iAXvT38eamaYZVS80lIApgjAn%2FxR5R1FTAtNelszWOhFOZQUw%3D%3D"
        );
    }

    #[test]
    fn nulls_are_dropped_from_url_and_signature_alike() {
        let params: Map<String, Value> =
            serde_json::from_str(r#"{"a":null,"list":[1,null,3],"c":{"d":null,"e":true}}"#)
                .unwrap();
        let url = payment_page_url(&params, "s", Some("http://localhost:8080/")).unwrap();
        let expected_sig = Signer::new("s")
            .sign(&serde_json::from_str(r#"{"list":{"0":1,"2":3},"c":{"e":true}}"#).unwrap())
            .unwrap();
        assert_eq!(
            url,
            format!(
                "http://localhost:8080/payment?list%5B0%5D=1&list%5B2%5D=3&c%5Be%5D=1&signature={}",
                php::urlencode(&expected_sig)
            )
        );
    }

    #[test]
    fn helpers_match_php() {
        let at = DateTime::parse_from_rfc3339("2030-01-02T03:04:05.123Z").unwrap();
        let params = Payment::new(1).best_before(at).to_params().unwrap();
        assert_eq!(params["best_before"], "2030-01-02T03:04:05+00:00");
        let info = serde_json::json!({"description": "Tour/Ü", "total": 100});
        let params = Payment::new(1)
            .booking_info(&info)
            .unwrap()
            .to_params()
            .unwrap();
        let decoded = STANDARD
            .decode(params["booking_info"].as_str().unwrap())
            .unwrap();
        assert_eq!(decoded, br#"{"description":"Tour\/\u00dc","total":100}"#);
        assert_eq!(
            Payment::new(1)
                .payment_amount(0)
                .to_params()
                .unwrap_err()
                .code(),
            "not_minor_units"
        );
        assert_eq!(
            Payment::new(1)
                .payment_currency("usd")
                .to_params()
                .unwrap_err()
                .argument(),
            Some("payment_currency")
        );
    }
}
