//! Hosted Payment Page links and the auto-redirect payment form (paycore-api docs §3.4, §3.5).
//!
//! Parameters are emitted in one fixed, documented order (nested free-form maps keep the
//! caller's order), so the same input always gives the same bytes. The query string uses the
//! `application/x-www-form-urlencoded` serializer browsers use for the documented GET form.

use serde_json::{Map, Value};

use super::environment::Environment;
use crate::error::{Error, Result};
use crate::json;
use crate::money::{Amount, Currency, Money};

/// The customer block (`customer[...]`); `reference_id` is required whenever it is sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Customer {
    pub reference_id: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    pub individual_tax_id: Option<String>,
    pub address: Option<Address>,
    pub metadata: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Address {
    pub country: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
    pub post_code: Option<String>,
    pub street: Option<String>,
    pub full_address: Option<String>,
}

/// Everything the Hosted Payment Page accepts. Either `cpi` (an invoice created earlier, which
/// needs nothing else) or `public_key`, `amount` and `currency` must be given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HppParams {
    pub public_key: String,
    pub amount: Option<Amount>,
    pub currency: Option<Currency>,
    pub reference_id: Option<String>,
    pub description: Option<String>,
    /// Unix seconds (UTC).
    pub expires: Option<i64>,
    pub customer: Option<Customer>,
    pub service: Option<String>,
    pub service_fields: Map<String, Value>,
    pub cpi: Option<String>,
    pub return_url: Option<String>,
    pub locale: Option<String>,
    pub display: Map<String, Value>,
    pub style: Map<String, Value>,
    pub metadata: Map<String, Value>,
}

/// The auto-redirect form as data, for templates that render their own markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HppForm {
    pub action: String,
    pub method: &'static str,
    pub fields: Vec<(String, String)>,
}

const TOP_LEVEL: &[&str] = &[
    "public_key",
    "amount",
    "currency",
    "reference_id",
    "description",
    "expires",
    "customer",
    "service",
    "service_fields",
    "cpi",
    "return_url",
    "locale",
    "display",
    "style",
    "metadata",
];
const CUSTOMER: &[&str] = &[
    "reference_id",
    "email",
    "phone",
    "name",
    "date_of_birth",
    "individual_tax_id",
    "address",
    "metadata",
];
const ADDRESS: &[&str] = &[
    "country",
    "region",
    "city",
    "post_code",
    "street",
    "full_address",
];

impl HppParams {
    /// Reads and validates parameters given as a JSON object (the form the CLI and the
    /// bindings use). Unknown keys are refused, so a typo never silently drops a field.
    pub fn from_json(params: &Map<String, Value>) -> Result<HppParams> {
        check_keys(params, TOP_LEVEL, "")?;
        let mut hpp = HppParams {
            public_key: string_field(params, "public_key", "public_key")?.unwrap_or_default(),
            reference_id: string_field(params, "reference_id", "reference_id")?,
            description: string_field(params, "description", "description")?,
            service: string_field(params, "service", "service")?,
            cpi: string_field(params, "cpi", "cpi")?,
            return_url: string_field(params, "return_url", "return_url")?,
            locale: string_field(params, "locale", "locale")?,
            service_fields: scalar_map(params, "service_fields")?,
            display: scalar_map(params, "display")?,
            style: scalar_map(params, "style")?,
            metadata: scalar_map(params, "metadata")?,
            ..HppParams::default()
        };
        if let Some(amount) = present(params, "amount") {
            hpp.amount = Some(Amount::from_json(amount)?);
        }
        if let Some(currency) = present(params, "currency") {
            let code = currency
                .as_str()
                .ok_or_else(|| wrong_type("currency", "a string"))?;
            hpp.currency = Some(Currency::parse(code)?);
        }
        if let Some(expires) = present(params, "expires") {
            hpp.expires = Some(unix_seconds(expires)?);
        }
        if let Some(customer) = present(params, "customer") {
            hpp.customer = Some(read_customer(customer)?);
        }
        hpp.validate()?;
        Ok(hpp)
    }

    /// Checks what the gateway would refuse, before any customer is sent there.
    pub fn validate(&self) -> Result<()> {
        if self.public_key.is_empty() && self.cpi.is_none() {
            return Err(Error::invalid(
                "public_key",
                "missing",
                "is required (your pk_test_… or pk_live_… key) unless `cpi` opens an existing invoice",
            ));
        }
        if self.public_key.starts_with("sk_") {
            return Err(Error::invalid(
                "public_key",
                "secret_key",
                "is a secret key (sk_…): never put it in a browser URL; use the public key (pk_…)",
            ));
        }
        if self.public_key.trim() != self.public_key {
            return Err(Error::invalid(
                "public_key",
                "whitespace",
                "has leading or trailing whitespace",
            ));
        }
        match (&self.amount, &self.currency) {
            (Some(amount), Some(currency)) => {
                Money::new(*amount, *currency)?;
            }
            (None, None) if self.cpi.is_some() => {}
            (None, _) => {
                return Err(Error::invalid(
                    "amount",
                    "missing",
                    "is required unless an existing invoice is opened with `cpi`",
                ))
            }
            (_, None) => {
                return Err(Error::invalid(
                    "currency",
                    "missing",
                    "is required unless an existing invoice is opened with `cpi`",
                ))
            }
        }
        if let Some(customer) = &self.customer {
            if customer.reference_id.is_empty() {
                return Err(Error::invalid(
                    "customer.reference_id",
                    "missing",
                    "is required when a customer is given",
                ));
            }
        }
        if let Some(url) = &self.return_url {
            crate::urls::check(url, "return_url", crate::urls::UrlUse::Link)?;
        }
        Ok(())
    }

    /// The `(name, value)` pairs in their fixed order, nested names in bracket notation.
    pub fn fields(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut put = |name: String, value: Option<String>| {
            if let Some(value) = value {
                out.push((name, value));
            }
        };
        put(
            "public_key".into(),
            Some(self.public_key.clone()).filter(|k| !k.is_empty()),
        );
        put("amount".into(), self.amount.map(|a| a.to_string()));
        put(
            "currency".into(),
            self.currency.map(|c| c.code().to_owned()),
        );
        put("reference_id".into(), self.reference_id.clone());
        put("description".into(), self.description.clone());
        put("expires".into(), self.expires.map(|e| e.to_string()));
        if let Some(c) = &self.customer {
            put(
                "customer[reference_id]".into(),
                Some(c.reference_id.clone()),
            );
            put("customer[email]".into(), c.email.clone());
            put("customer[phone]".into(), c.phone.clone());
            put("customer[name]".into(), c.name.clone());
            put("customer[date_of_birth]".into(), c.date_of_birth.clone());
            put(
                "customer[individual_tax_id]".into(),
                c.individual_tax_id.clone(),
            );
            if let Some(a) = &c.address {
                for (key, value) in [
                    ("country", &a.country),
                    ("region", &a.region),
                    ("city", &a.city),
                    ("post_code", &a.post_code),
                    ("street", &a.street),
                    ("full_address", &a.full_address),
                ] {
                    put(format!("customer[address][{key}]"), value.clone());
                }
            }
            for (key, value) in &c.metadata {
                put(format!("customer[metadata][{key}]"), scalar_text(value));
            }
        }
        put("service".into(), self.service.clone());
        for (key, value) in &self.service_fields {
            put(format!("service_fields[{key}]"), scalar_text(value));
        }
        put("cpi".into(), self.cpi.clone());
        put("return_url".into(), self.return_url.clone());
        put("locale".into(), self.locale.clone());
        for (name, map) in [
            ("display", &self.display),
            ("style", &self.style),
            ("metadata", &self.metadata),
        ] {
            for (key, value) in map {
                put(format!("{name}[{key}]"), scalar_text(value));
            }
        }
        out
    }

    /// The Hosted Payment Page link to send the customer to.
    pub fn url(&self, env: &Environment) -> Result<String> {
        self.validate()?;
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in self.fields() {
            query.append_pair(&name, &value);
        }
        Ok(format!("{}?{}", env.hpp_url(), query.finish()))
    }

    /// The auto-redirect form (POST to `/public-api/payment-invoices/process`) as data.
    /// That endpoint creates the invoice and sends the browser straight on to the provider, so
    /// it needs what a create needs: `public_key`, `service`, `amount` and `currency` (docs §3.4).
    pub fn form(&self, env: &Environment) -> Result<HppForm> {
        self.validate()?;
        let missing = [
            ("public_key", self.public_key.is_empty()),
            ("service", self.service.as_deref().is_none_or(str::is_empty)),
            ("amount", self.amount.is_none()),
            ("currency", self.currency.is_none()),
        ];
        if let Some((name, _)) = missing.iter().find(|(_, absent)| *absent) {
            return Err(Error::invalid(
                *name,
                "missing",
                "is required by the auto-redirect form (POST /public-api/payment-invoices/process); \
                 the plain HPP link lets the customer choose instead",
            ));
        }
        Ok(HppForm {
            action: env.process_url(),
            method: "POST",
            fields: self.fields(),
        })
    }
}

impl HppForm {
    /// The form as HTML with hidden inputs and a submit button; every value is escaped.
    pub fn to_html(&self, button_label: &str) -> String {
        use html_escape::encode_quoted_attribute as attr;
        let mut html = format!(
            "<form action=\"{}\" method=\"post\" accept-charset=\"utf-8\">\n",
            attr(&self.action)
        );
        for (name, value) in &self.fields {
            html.push_str(&format!(
                "  <input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                attr(name),
                attr(value)
            ));
        }
        html.push_str(&format!(
            "  <button type=\"submit\">{}</button>\n</form>\n",
            html_escape::encode_text(button_label)
        ));
        html
    }
}

fn present<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn check_keys(obj: &Map<String, Value>, allowed: &[&str], prefix: &str) -> Result<()> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some(key) => Err(Error::invalid(
            format!("{prefix}{key}"),
            "unknown_parameter",
            format!(
                "is not a Hosted Payment Page parameter; known here: {}",
                allowed.join(", ")
            ),
        )),
    }
}

fn wrong_type(argument: &str, expected: &str) -> Error {
    Error::invalid(argument, "wrong_type", format!("must be {expected}"))
}

fn string_field(obj: &Map<String, Value>, key: &str, argument: &str) -> Result<Option<String>> {
    match present(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(wrong_type(argument, "a string")),
    }
}

fn scalar_map(obj: &Map<String, Value>, key: &str) -> Result<Map<String, Value>> {
    match present(obj, key) {
        None => Ok(Map::new()),
        Some(Value::Object(map)) => {
            for (k, v) in map {
                if v.is_object() || v.is_array() {
                    return Err(wrong_type(
                        &format!("{key}.{k}"),
                        "a string, number or boolean",
                    ));
                }
            }
            Ok(map.clone())
        }
        Some(_) => Err(wrong_type(key, "an object")),
    }
}

/// How a scalar appears in the query: booleans as `true`/`false` like the official widget.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.as_str().to_owned()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

fn unix_seconds(value: &Value) -> Result<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp()),
        _ => None,
    }
    .ok_or_else(|| wrong_type("expires", "unix seconds or an RFC 3339 date-time"))
}

fn read_customer(value: &Value) -> Result<Customer> {
    let obj = value
        .as_object()
        .ok_or_else(|| wrong_type("customer", "an object"))?;
    check_keys(obj, CUSTOMER, "customer.")?;
    let s = |key: &str| string_field(obj, key, &format!("customer.{key}"));
    let address = match present(obj, "address") {
        None => None,
        Some(Value::Object(a)) => {
            check_keys(a, ADDRESS, "customer.address.")?;
            let s = |key: &str| string_field(a, key, &format!("customer.address.{key}"));
            Some(Address {
                country: s("country")?,
                region: s("region")?,
                city: s("city")?,
                post_code: s("post_code")?,
                street: s("street")?,
                full_address: s("full_address")?,
            })
        }
        Some(_) => return Err(wrong_type("customer.address", "an object")),
    };
    Ok(Customer {
        reference_id: s("reference_id")?.unwrap_or_default(),
        email: s("email")?,
        phone: s("phone")?,
        name: s("name")?,
        date_of_birth: s("date_of_birth")?,
        individual_tax_id: s("individual_tax_id")?,
        address,
        metadata: scalar_map(obj, "metadata").map_err(|e| {
            let argument = format!("customer.{}", e.argument().unwrap_or("metadata"));
            e.with_argument(argument)
        })?,
    })
}

/// Parses JSON parameters (as the CLI reads them) and builds the link in one step.
pub fn hpp_url(params_json: &[u8], env: &Environment) -> Result<String> {
    HppParams::from_json(&json::parse_object(params_json, "params")?)?.url(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(json: &str) -> Result<HppParams> {
        HppParams::from_json(&json::parse_object(json.as_bytes(), "params").unwrap())
    }

    #[test]
    fn fixed_order_and_form_encoding() {
        let p = params(
            r#"{"currency":"USD","amount":"100.50","public_key":"pk_test_x",
                "customer":{"email":"a@b.c","reference_id":"c 1"},"display":{"hide_header":true},
                "description":"Tea & ~cake*"}"#,
        )
        .unwrap();
        assert_eq!(
            p.url(&Environment::PayCore).unwrap(),
            "https://com.paycore.io/hpp/?public_key=pk_test_x&amount=100.5&currency=USD\
             &description=Tea+%26+%7Ecake*&customer%5Breference_id%5D=c+1\
             &customer%5Bemail%5D=a%40b.c&display%5Bhide_header%5D=true"
        );
    }

    #[test]
    fn html_escapes_every_value() {
        let p = params(
            r#"{"public_key":"pk_test_\"><script>","amount":1,"currency":"USD","service":"s",
                "description":"<img src=x onerror='alert(1)'>&"}"#,
        )
        .unwrap();
        let html = p.form(&Environment::Paymega).unwrap().to_html("Pay <now>");
        assert!(!html.contains("<script>") && !html.contains("<img") && !html.contains("'alert"));
        assert!(html.contains("value=\"&lt;img src=x onerror=&#x27;alert(1)&#x27;&gt;&amp;\""));
        assert!(html.contains("value=\"pk_test_&quot;&gt;&lt;script&gt;\""));
        assert!(html.contains(">Pay &lt;now&gt;</button>"));
    }

    #[test]
    fn refuses_what_the_gateway_would() {
        let code = |json: &str| params(json).unwrap_err().code();
        assert_eq!(code(r#"{"amount":1,"currency":"USD"}"#), "missing");
        assert_eq!(
            code(r#"{"public_key":"sk_test_x","amount":1,"currency":"USD"}"#),
            "secret_key"
        );
        assert_eq!(
            code(r#"{"public_key":"pk_x","amount":-1,"currency":"USD"}"#),
            "negative_amount"
        );
        assert_eq!(
            code(r#"{"public_key":"pk_x","amount":"1.001","currency":"USD"}"#),
            "too_many_decimals"
        );
        assert_eq!(
            code(r#"{"public_key":"pk_x","amout":1,"currency":"USD"}"#),
            "unknown_parameter"
        );
        assert_eq!(
            code(r#"{"public_key":"pk_x","amount":1,"currency":"USD","customer":{"name":"A"}}"#),
            "missing"
        );
        assert_eq!(
            code(r#"{"public_key":"pk_x","amount":1,"currency":"USD","return_url":"shop/x"}"#),
            "invalid_url"
        );
        assert!(params(r#"{"public_key":"pk_x","cpi":"cpi_123"}"#).is_ok());
    }
}
