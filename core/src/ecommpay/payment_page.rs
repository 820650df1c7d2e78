//! Payment Page URLs (docs §2) and the `Payment` builder (docs §2.4, §4).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use std::borrow::Cow;

use super::canonical::{Canonical, Params};
use super::json_feed::{streamable, KeySeed, NUMBER_TOKEN};
use super::php;
use super::scalar::{push_scalar, push_value, Scalar};
use super::signature::Signer;
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
        &Signer::cached(secret),
        &PageBase::new(base_url.unwrap_or(DEFAULT_BASE_URL))?,
    )
}

/// A Payment Page base URL that passed [`crate::urls::check`]: http(s), no credentials, query
/// or fragment, https unless the host is loopback; trailing slashes dropped.
#[derive(Clone, Debug)]
pub(crate) struct PageBase(String);

impl PageBase {
    pub fn new(base_url: &str) -> Result<PageBase> {
        let base = base_url.trim_end_matches('/');
        // The default is known good: skip parsing it on every URL.
        if base != DEFAULT_BASE_URL {
            let url = crate::urls::check(base, "base_url", crate::urls::UrlUse::Base)?;
            if url.scheme() == "http" && !crate::urls::is_loopback(&url) {
                return Err(Error::invalid(
                    "base_url",
                    "insecure_http",
                    format!(
                        "'{}' is plain http: the Payment Page needs https (plain http only to a loopback address)",
                        printable(base_url)
                    ),
                ));
            }
        }
        Ok(PageBase(base.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub(crate) fn signed_url(
    params: &Map<String, Value>,
    signer: &Signer,
    base: &PageBase,
) -> Result<String> {
    let base = base.as_str();
    let cleaned;
    let params = if contains_null(params) {
        cleaned = without_nulls(params);
        &cleaned
    } else {
        params
    };
    let signature = signer.sign(params)?;
    Ok(payment_url(base, params.len(), &signature, |url| {
        append_query(url, &mut String::with_capacity(64), params.iter());
    }))
}

/// `base/payment?` + the query `write_query` appends + the signature, last.
fn payment_url(
    base: &str,
    fields: usize,
    signature: &str,
    write_query: impl FnOnce(&mut String),
) -> String {
    let mut url = String::with_capacity(base.len() + 160 + 48 * fields);
    url.push_str(base);
    url.push_str("/payment?");
    write_query(&mut url);
    if !url.ends_with('?') {
        url.push('&');
    }
    url.push_str("signature=");
    php::push_urlencoded(&mut url, signature);
    url
}

/// The signed URL for JSON text (the Node binding's form): the fields of a payment, as
/// [`Payment::from_fields`] takes them, or whole parameters signed as given when they include
/// `project_id`. The common case (flat fields: strings, numbers, booleans, all valid) is signed
/// and written without building a document; anything else (nesting, nulls, `booking_info`, a
/// repeated key, a field to refuse) takes the exact path, which also gives the precise error.
pub(crate) fn signed_url_from_json(
    project_id: i64,
    text: &[u8],
    signer: &Signer,
    base_url: &PageBase,
) -> Result<String> {
    if let Some(fields) = streamable(text).and_then(|text| FlatFields::read(project_id, text)) {
        let base = base_url.as_str();
        let signature = signer.sign_params(&fields)?;
        return Ok(payment_url(base, fields.entries.len(), &signature, |url| {
            let (mut name, mut value) = (String::with_capacity(64), String::with_capacity(64));
            for (key, flat) in &fields.entries {
                name.clear();
                php::push_urlencoded(&mut name, key);
                value.clear();
                push_scalar(&mut value, flat.scalar());
                push_pair(url, &name, &value);
            }
        }));
    }
    let fields = crate::json::parse_object(text, "params")?;
    if fields.contains_key("project_id") {
        return signed_url(&fields, signer, base_url);
    }
    signed_url(
        &Payment::from_fields(project_id, fields)?.into_params()?,
        signer,
        base_url,
    )
}

/// A flat payment in query order: `project_id`, `interface_type`, `payment_id`, then the
/// other fields as given.
struct FlatFields<'a> {
    entries: Vec<(Cow<'a, str>, Flat<'a>)>,
}

enum Flat<'a> {
    Text(Cow<'a, str>),
    /// A JSON number's lexeme (not an integer that fits `i64`).
    Number(String),
    Bool(bool),
    Int(i64),
}

impl Flat<'_> {
    fn scalar(&self) -> Scalar<'_> {
        match self {
            Flat::Text(text) => Scalar::Str(text),
            Flat::Number(lexeme) => Scalar::Number(lexeme),
            Flat::Bool(b) => Scalar::Bool(*b),
            Flat::Int(i) => Scalar::Int(*i),
        }
    }
}

impl<'a> FlatFields<'a> {
    /// `None` unless every field is flat and passes the checks of [`Payment::from_fields`]
    /// and [`Payment::check`] (their errors are left to them).
    fn read(project_id: i64, text: &'a str) -> Option<FlatFields<'a>> {
        use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};

        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Vec<(Cow<'de, str>, Flat<'de>)>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut fields = Vec::with_capacity(16);
                while let Some(key) = map.next_key_seed(KeySeed)? {
                    fields.push((key, map.next_value_seed(FlatSeed)?));
                }
                Ok(fields)
            }
        }

        struct FlatSeed;
        impl<'de> DeserializeSeed<'de> for FlatSeed {
            type Value = Flat<'de>;
            fn deserialize<D: Deserializer<'de>>(
                self,
                de: D,
            ) -> std::result::Result<Flat<'de>, D::Error> {
                de.deserialize_any(self)
            }
        }
        // Anything but these (null, a list, an object) is an error, and the exact path runs.
        impl<'de> Visitor<'de> for FlatSeed {
            type Value = Flat<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string, a number or a boolean")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Flat<'de>, E> {
                Ok(Flat::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Flat<'de>, E> {
                Ok(Flat::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_bool<E>(self, v: bool) -> std::result::Result<Flat<'de>, E> {
                Ok(Flat::Bool(v))
            }
            // Integers that fit 64 bits come as these, as to serde_json's own `Value`.
            fn visit_i64<E>(self, v: i64) -> std::result::Result<Flat<'de>, E> {
                Ok(Flat::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Flat<'de>, E> {
                Ok(Flat::Number(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Flat<'de>, A::Error> {
                // `arbitrary_precision` hands a number over as a one-entry map.
                match map.next_key_seed(KeySeed)? {
                    Some(token) if token == NUMBER_TOKEN => Ok(Flat::Number(map.next_value()?)),
                    _ => Err(serde::de::Error::custom("an object")),
                }
            }
        }

        let mut de = serde_json::Deserializer::from_str(text);
        let fields = de.deserialize_map(Fields).ok()?;
        de.end().ok()?;
        if fields.len() > 32 {
            return None;
        }
        let (mut interface_type, mut payment_id) = (None, None);
        let mut entries = Vec::with_capacity(fields.len() + 1);
        entries.push((Cow::Borrowed("project_id"), Flat::Int(project_id)));
        for (key, value) in fields {
            // A repeated key: the guarded parser reports it.
            if entries[1..].iter().any(|(k, _)| *k == key) {
                return None;
            }
            let usual = match (key.as_ref(), &value) {
                ("project_id" | "booking_info", _) => false,
                ("interface_type", Flat::Text(_)) if interface_type.is_none() => {
                    interface_type = Some(value);
                    continue;
                }
                ("payment_id", Flat::Text(_)) if payment_id.is_none() => {
                    payment_id = Some(value);
                    continue;
                }
                ("interface_type" | "payment_id", _) => false,
                ("payment_amount", Flat::Int(amount)) => *amount > 0,
                ("payment_amount", Flat::Number(n)) => n.parse::<i64>().is_ok_and(|a| a > 0),
                ("payment_amount", _) => false,
                ("payment_currency", Flat::Text(code)) => Currency::parse(code).is_ok(),
                ("payment_currency", _) => false,
                _ => true,
            };
            if !usual {
                return None;
            }
            entries.push((key, value));
        }
        // What `Payment::check` refuses, or judges with more care, takes the exact path.
        let semicolon = |value: &Flat| matches!(value, Flat::Text(t) if t.contains(';'));
        let has = |name: &str| entries.iter().any(|(k, _)| k == name);
        let complete = matches!(&payment_id, Some(Flat::Text(id)) if !id.is_empty())
            && has("payment_amount")
            && has("payment_currency")
            && !has("recurring_register")
            && !has("account_token");
        let clean = !entries.iter().any(|(k, v)| k.contains(';') || semicolon(v))
            && !payment_id.iter().chain(&interface_type).any(semicolon);
        if !(complete && clean) {
            return None;
        }
        // After project_id: interface_type, then payment_id.
        if let Some(value) = payment_id {
            entries.insert(1, (Cow::Borrowed("payment_id"), value));
        }
        if let Some(value) = interface_type {
            entries.insert(1, (Cow::Borrowed("interface_type"), value));
        }
        Some(FlatFields { entries })
    }
}

impl Params for FlatFields<'_> {
    type Error = Error;

    fn feed(&self, out: &mut Canonical) -> Result<()> {
        for (key, value) in &self.entries {
            out.scalar(key, value.scalar());
        }
        Ok(())
    }

    fn to_map(&self) -> Result<Map<String, Value>> {
        let value = |flat: &Flat<'_>| match flat {
            Flat::Text(text) => Value::String(text.to_string()),
            Flat::Number(lexeme) => lexeme.parse().map_or(Value::Null, Value::Number),
            Flat::Bool(b) => Value::Bool(*b),
            Flat::Int(i) => Value::from(*i),
        };
        Ok(self
            .entries
            .iter()
            .map(|(key, flat)| (key.to_string(), value(flat)))
            .collect())
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

/// The first key or string value with a `;`, as a dotted path.
fn semicolon_at(map: &Map<String, Value>, at: &str) -> Option<String> {
    map.iter().find_map(|(key, value)| {
        let path = if at.is_empty() {
            key.clone()
        } else {
            format!("{at}.{key}")
        };
        if key.contains(';') {
            return Some(path);
        }
        match value {
            Value::String(s) if s.contains(';') => Some(path),
            Value::Object(inner) => semicolon_at(inner, &path),
            Value::Array(list) => list.iter().enumerate().find_map(|(i, item)| match item {
                Value::String(s) if s.contains(';') => Some(format!("{path}.{i}")),
                Value::Object(inner) => semicolon_at(inner, &format!("{path}.{i}")),
                _ => None,
            }),
            _ => None,
        }
    })
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
        self.set("best_before", Value::String(php::date_c(&at)))
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

    /// What the Payment Page needs of a purchase (docs §2.3): a payment id, an amount and a
    /// currency; a customer id when a card is saved for later (`recurring_register`) or paid
    /// by its token (`account_token`); and no `;` in a key or a value, which would make the
    /// signed string ambiguous (the Gate refuses it).
    fn check(&self) -> Result<()> {
        let head = [self.payment_id.as_deref(), self.interface_type.as_deref()];
        if head.into_iter().flatten().any(|v| v.contains(';')) {
            return Err(Error::invalid(
                "payment_id",
                "semicolon",
                "contains ';', which would make the signed string ambiguous",
            ));
        }
        if let Some(path) = semicolon_at(&self.params, "") {
            return Err(Error::invalid(
                path,
                "semicolon",
                "contains ';', which would make the signed string ambiguous",
            ));
        }
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
        // A wrong value is named before a missing one.
        if self.payment_id.as_deref().is_none_or(str::is_empty) {
            return Err(Error::invalid(
                "payment_id",
                "missing_argument",
                "is required: the merchant's unique id of this payment",
            ));
        }
        for name in ["payment_amount", "payment_currency"] {
            if self.params.get(name).is_none_or(Value::is_null) {
                return Err(Error::invalid(name, "missing_argument", "is required"));
            }
        }
        let saves_card = self.params.get("recurring_register").is_some_and(|v| {
            !matches!(v, Value::Null | Value::Bool(false)) && *v != 0 && *v != "0"
        });
        let needs_customer = saves_card || self.params.contains_key("account_token");
        let has_customer = self
            .params
            .get("customer_id")
            .is_some_and(|v| v.as_str().map_or(!v.is_null(), |s| !s.is_empty()));
        if needs_customer && !has_customer {
            return Err(Error::invalid(
                "customer_id",
                "missing_argument",
                "is required with recurring_register or account_token (a saved card belongs to a customer)",
            ));
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
    use proptest::strategy::Strategy as _;

    /// The one-pass URL of JSON fields against the exact path (document, `from_fields`,
    /// `signed_url`): the same URL, or the same error.
    fn same_as_exact(json: &str) -> bool {
        let signer = Signer::new("secret");
        let base = PageBase::new(DEFAULT_BASE_URL).unwrap();
        let fast = signed_url_from_json(7, json.as_bytes(), &signer, &base);
        let exact = crate::json::parse_object(json.as_bytes(), "params").and_then(|fields| {
            if fields.contains_key("project_id") {
                return signed_url(&fields, &signer, &base);
            }
            signed_url(
                &Payment::from_fields(7, fields)?.into_params()?,
                &signer,
                &base,
            )
        });
        match (&fast, &exact) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{json}"),
            (Err(a), Err(b)) => {
                assert_eq!((a.code(), a.argument()), (b.code(), b.argument()), "{json}")
            }
            _ => panic!("{json}: {fast:?} vs {exact:?}"),
        }
        FlatFields::read(7, json).is_some()
    }

    #[test]
    fn one_pass_url_matches_the_exact_path() {
        const PAID: &str = r#""payment_id":"X1","payment_amount":1,"payment_currency":"JPY""#;
        let flat = [
            r#"{"payment_id":"X1","payment_amount":3550,"payment_currency":"USD","customer_id":"c"}"#.to_owned(),
            format!(r#"{{"customer_id":"c","interface_type":"{{\"id\": 99}}",{PAID},"b":true,"f":false}}"#),
            format!(r#"{{"a b":"x&y=z+ü","k\u00e9y":"v\n\"q\"","rate":10.50,"big":123456789012345678901,"e":1e3,{PAID}}}"#),
            format!(r#"{{"frame_mode":"popup",{PAID}}}"#),
            format!(r#"{{"":"empty","0":"zero","5":"five","a:b":"colon","z":"-0",{PAID}}}"#),
        ];
        for json in &flat {
            assert!(same_as_exact(json), "{json} took the exact path");
        }
        // Refused, by the exact path's checks.
        let refused = [
            (r#"{}"#.to_owned(), "payment_id", "missing_argument"),
            (
                r#"{"payment_id":"X1","payment_currency":"USD"}"#.to_owned(),
                "payment_amount",
                "missing_argument",
            ),
            (
                r#"{"payment_id":"X1","payment_amount":1}"#.to_owned(),
                "payment_currency",
                "missing_argument",
            ),
            (
                format!(r#"{{{PAID},"recurring_register":true}}"#),
                "customer_id",
                "missing_argument",
            ),
            (
                format!(r#"{{{PAID},"account_token":"t"}}"#),
                "customer_id",
                "missing_argument",
            ),
            (
                format!(r#"{{{PAID},"payment_description":"a;b"}}"#),
                "payment_description",
                "semicolon",
            ),
            (format!(r#"{{{PAID},"a;b":"c"}}"#), "a;b", "semicolon"),
            (
                r#"{"payment_id":"a;b","payment_amount":1,"payment_currency":"JPY"}"#.to_owned(),
                "payment_id",
                "semicolon",
            ),
        ];
        for (json, argument, code) in &refused {
            assert!(!same_as_exact(json), "{json} took the one pass");
            let error = signed_url_from_json(
                7,
                json.as_bytes(),
                &Signer::new("s"),
                &PageBase::new(DEFAULT_BASE_URL).unwrap(),
            )
            .unwrap_err();
            assert_eq!(
                (error.argument(), error.code()),
                (Some(*argument), *code),
                "{json}"
            );
        }
        let saved = format!(r#"{{{PAID},"recurring_register":true,"customer_id":"c"}}"#);
        assert!(
            !same_as_exact(&saved),
            "checked with care on the exact path"
        );
        let exact = [
            r#"{"project_id":1,"payment_id":"X"}"#,
            r#"{"payment_id":12}"#,
            r#"{"payment_amount":35.5}"#,
            r#"{"payment_amount":"3550"}"#,
            r#"{"payment_amount":0}"#,
            r#"{"payment_amount":-1}"#,
            r#"{"payment_currency":"EURO"}"#,
            r#"{"payment_currency":1}"#,
            r#"{"booking_info":{"total":1}}"#,
            r#"{"customer":{"id":"c"}}"#,
            r#"{"list":[1,2]}"#,
            r#"{"a":null}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"payment_id":"a","payment_id":"b"}"#,
            r#"{"a":"#,
            r#"[]"#,
        ];
        for json in exact {
            assert!(!same_as_exact(json), "{json} took the one pass");
        }
        let many: Vec<String> = (0..40).map(|i| format!(r#""k{i}":{i}"#)).collect();
        assert!(!same_as_exact(&format!("{{{}}}", many.join(","))));
    }

    proptest::proptest! {
        #[test]
        fn one_pass_url_matches_on_generated_fields(
            fields in proptest::collection::vec((
                proptest::sample::select(vec![
                    "payment_id", "payment_amount", "payment_currency", "interface_type",
                    "customer_id", "", "0", "7", "a:b", "frame_mode", "x y", "ü",
                ]),
                proptest::prop_oneof![
                    "[a-zA-Z0-9 &=+%ü:;\\\\\"]{0,8}".prop_map(serde_json::Value::String),
                    proptest::prelude::any::<i64>().prop_map(serde_json::Value::from),
                    proptest::prelude::any::<bool>().prop_map(serde_json::Value::Bool),
                    proptest::sample::select(vec!["USD", "EUR", "XXX", "usd"])
                        .prop_map(serde_json::Value::from),
                    proptest::sample::select(vec!["1.5", "1e2", "-0", "0.1"])
                        .prop_map(|n| serde_json::Value::Number(n.parse().unwrap())),
                ],
            ), 0..8),
        ) {
            let body: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(*k)))
                .collect();
            same_as_exact(&format!("{{{}}}", body.join(",")));
        }
    }

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
    fn page_bases_go_through_the_one_validator() {
        for (base, code) in [
            ("http://paymentpage.example.com", "insecure_http"),
            ("https://u:p@paymentpage.example.com", "url_credentials"),
            ("http://localhost:1@evil.example", "url_credentials"),
            ("javascript:alert(1)", "invalid_url"),
            ("https://paymentpage.example.com/?x=1", "invalid_url"),
        ] {
            assert_eq!(PageBase::new(base).unwrap_err().code(), code, "{base}");
        }
        for base in [
            "http://127.0.0.1:8080/",
            "https://pay.example.test/checkout//",
            DEFAULT_BASE_URL,
        ] {
            assert!(
                !PageBase::new(base).unwrap().as_str().ends_with('/'),
                "{base}"
            );
        }
    }

    #[test]
    fn helpers_match_php() {
        let paid = || {
            Payment::new(1)
                .payment_id("p-1")
                .payment_amount(100)
                .payment_currency("USD")
        };
        let at = DateTime::parse_from_rfc3339("2030-01-02T03:04:05.123Z").unwrap();
        let params = paid().best_before(at).to_params().unwrap();
        assert_eq!(params["best_before"], "2030-01-02T03:04:05+00:00");
        let info = serde_json::json!({"description": "Tour/Ü", "total": 100});
        let params = paid().booking_info(&info).unwrap().to_params().unwrap();
        let decoded = STANDARD
            .decode(params["booking_info"].as_str().unwrap())
            .unwrap();
        assert_eq!(decoded, br#"{"description":"Tour\/\u00dc","total":100}"#);
        assert_eq!(
            paid().payment_amount(0).to_params().unwrap_err().code(),
            "not_minor_units"
        );
        assert_eq!(
            paid()
                .payment_currency("usd")
                .to_params()
                .unwrap_err()
                .argument(),
            Some("payment_currency")
        );
    }
}
