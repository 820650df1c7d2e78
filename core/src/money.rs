//! Exact money: decimal amounts (never binary floats) and currency codes with their minor units.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::{Error, Result};

/// Codes the platforms use beyond ISO 4217, with the decimals their services accept.
const EXTRA_CURRENCIES: &[(&str, u32)] = &[
    ("BTC", 8),
    ("ETH", 18),
    ("LTC", 8),
    ("BCH", 8),
    ("DOGE", 8),
    ("USDT", 6),
    ("USDC", 6),
    ("TRX", 6),
    ("XRP", 6),
    ("TON", 9),
    ("SOL", 9),
];

/// A currency code the SDK knows: ISO 4217 alpha-3 or one of the platforms' crypto codes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    exponent: Option<u32>,
}

impl Currency {
    /// Looks a code up; codes are case-sensitive upper case as the gateways send them.
    pub fn parse(code: &str) -> Result<Currency> {
        if let Some(iso) = iso_currency::Currency::from_code(code) {
            return Ok(Currency {
                code: iso.code(),
                exponent: iso.exponent().map(u32::from),
            });
        }
        if let Some(&(code, exponent)) = EXTRA_CURRENCIES.iter().find(|(c, _)| *c == code) {
            return Ok(Currency {
                code,
                exponent: Some(exponent),
            });
        }
        let hint = if code.trim().to_ascii_uppercase() != code
            && Currency::parse(&code.trim().to_ascii_uppercase()).is_ok()
        {
            format!(" (did you mean '{}'?)", code.trim().to_ascii_uppercase())
        } else {
            String::new()
        };
        Err(Error::invalid(
            "currency",
            "unknown_currency",
            format!("'{}' is not a known currency code{hint}", printable(code)),
        ))
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point in the currency's minor unit (USD 2, JPY 0, BTC 8);
    /// `None` where no minor unit is defined (XTS, XAU), which allows any precision.
    pub fn exponent(&self) -> Option<u32> {
        self.exponent
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code)
    }
}

impl FromStr for Currency {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Currency::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code)
    }
}

/// A non-negative decimal amount in major units (`100.55` dollars), exact to the digit.
///
/// It is stored normalised (`100.50` and `100.5` are the same amount) and written to JSON
/// as a plain number with no exponent and no binary-float artefacts.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Amount(Decimal);

impl Amount {
    pub fn new(value: Decimal) -> Result<Amount> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(Error::invalid(
                "amount",
                "negative_amount",
                format!("{value} is negative"),
            ));
        }
        Ok(Amount(value.normalize().abs()))
    }

    /// Parses a plain decimal string such as `"100.55"` (no sign, exponent or spaces).
    pub fn parse(text: &str) -> Result<Amount> {
        let plain = !text.is_empty()
            && text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && text.bytes().filter(|&b| b == b'.').count() <= 1
            && !text.starts_with('.')
            && !text.ends_with('.');
        if !plain {
            let code = if text.trim_start().starts_with('-') {
                "negative_amount"
            } else {
                "not_a_number"
            };
            return Err(Error::invalid(
                "amount",
                code,
                format!(
                    "'{}' is not a plain decimal amount such as \"100.55\"",
                    printable(text)
                ),
            ));
        }
        let value = Decimal::from_str_exact(text).map_err(|_| {
            Error::invalid(
                "amount",
                "out_of_range",
                format!(
                    "'{}' has more digits than an exact amount can hold (28)",
                    printable(text)
                ),
            )
        })?;
        Amount::new(value)
    }

    /// Converts a binary float as its shortest decimal form (`0.1` → `0.1`, not `0.1000000000000000055…`).
    /// For bindings whose languages only have floats (JavaScript numbers).
    pub fn from_f64(value: f64) -> Result<Amount> {
        if !value.is_finite() {
            return Err(Error::invalid(
                "amount",
                "not_a_number",
                format!("{value} is not a finite amount"),
            ));
        }
        if value < 0.0 {
            return Err(Error::invalid(
                "amount",
                "negative_amount",
                format!("{value} is negative"),
            ));
        }
        // Rust prints the shortest digits that round-trip, without an exponent.
        Amount::parse(&format!("{value}"))
    }

    /// Reads an amount from a JSON number (exact lexeme, exponents allowed) or a numeric string,
    /// as the gateways send both.
    pub fn from_json(value: &Value) -> Result<Amount> {
        match value {
            Value::Number(number) => {
                let lexeme = number.as_str();
                let parsed = if lexeme.contains(['e', 'E']) {
                    Decimal::from_scientific(lexeme)
                } else {
                    Decimal::from_str_exact(lexeme)
                };
                parsed
                    .map_err(|_| {
                        Error::invalid(
                            "amount",
                            "out_of_range",
                            format!("{lexeme} cannot be held exactly"),
                        )
                    })
                    .and_then(Amount::new)
            }
            Value::String(text) => Amount::parse(text.trim()),
            other => Err(Error::invalid(
                "amount",
                "not_a_number",
                format!(
                    "expected a number or a decimal string, got {}",
                    crate::json::type_name(other)
                ),
            )),
        }
    }

    pub fn as_decimal(&self) -> Decimal {
        self.0
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    /// Digits after the decimal point once trailing zeros are dropped.
    pub fn decimals(&self) -> u32 {
        self.0.scale()
    }

    /// The amount as a JSON number with its exact digits.
    pub fn to_json(&self) -> Value {
        Value::Number(serde_json::Number::from_str(&self.to_string()).expect("decimal digits"))
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({})", self.0)
    }
}

impl FromStr for Amount {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Amount::parse(s)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Amount::from_json(&value).map_err(serde::de::Error::custom)
    }
}

/// A positive amount in a currency, with no more decimals than the currency's minor unit allows.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Amount,
    currency: Currency,
}

impl Money {
    pub fn new(amount: Amount, currency: Currency) -> Result<Money> {
        if amount.is_zero() {
            return Err(Error::invalid(
                "amount",
                "zero_amount",
                "must be greater than 0",
            ));
        }
        if let Some(exponent) = currency.exponent() {
            if amount.decimals() > exponent {
                return Err(Error::invalid(
                    "amount",
                    "too_many_decimals",
                    format!(
                        "{amount} has {} decimals but {} allows {exponent}",
                        amount.decimals(),
                        currency.code()
                    ),
                ));
            }
        }
        Ok(Money { amount, currency })
    }

    /// `Money::parse("100.55", "USD")`.
    pub fn parse(amount: &str, currency: &str) -> Result<Money> {
        Money::new(Amount::parse(amount)?, Currency::parse(currency)?)
    }

    pub fn amount(&self) -> Amount {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({} {})", self.amount, self.currency)
    }
}

/// Shows user input in a message without flooding it: at most 40 characters.
pub(crate) fn printable(text: &str) -> String {
    let mut shown: String = text.chars().take(40).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    shown.escape_debug().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_serialize_without_float_artefacts() {
        for (input, json) in [
            ("100.55", "100.55"),
            ("100.50", "100.5"),
            ("0.0000001", "0.0000001"),
            ("1000000", "1000000"),
            ("0.30", "0.3"),
        ] {
            let amount = Amount::parse(input).unwrap();
            assert_eq!(serde_json::to_string(&amount).unwrap(), json);
        }
        assert_eq!(
            Amount::from_f64(0.1 + 0.2).unwrap().to_string(),
            "0.30000000000000004"
        );
        assert_eq!(Amount::from_f64(1e-7).unwrap().to_string(), "0.0000001");
        assert_eq!(Amount::from_f64(100.55).unwrap().to_string(), "100.55");
    }

    #[test]
    fn amounts_read_numbers_and_strings_exactly() {
        let doc: Value =
            serde_json::from_str(r#"[100.55, "100.55", 1e2, 12345678.123456789012, "0.01000000"]"#)
                .unwrap();
        let got: Vec<String> = doc
            .as_array()
            .unwrap()
            .iter()
            .map(|v| Amount::from_json(v).unwrap().to_string())
            .collect();
        assert_eq!(
            got,
            ["100.55", "100.55", "100", "12345678.123456789012", "0.01"]
        );
    }

    #[test]
    fn bad_amounts_are_typed_errors() {
        for (input, code) in [
            ("-1", "negative_amount"),
            ("NaN", "not_a_number"),
            ("inf", "not_a_number"),
            ("1e5", "not_a_number"),
            ("", "not_a_number"),
            (" 1", "not_a_number"),
            ("1.", "not_a_number"),
            ("1.2.3", "not_a_number"),
            ("1".repeat(40).as_str(), "out_of_range"),
        ] {
            assert_eq!(Amount::parse(input).unwrap_err().code(), code, "{input}");
        }
        assert_eq!(
            Amount::from_f64(f64::NAN).unwrap_err().code(),
            "not_a_number"
        );
        assert_eq!(
            Amount::from_f64(f64::INFINITY).unwrap_err().code(),
            "not_a_number"
        );
        assert_eq!(
            Amount::from_f64(-0.5).unwrap_err().code(),
            "negative_amount"
        );
    }

    #[test]
    fn money_checks_the_currency_precision() {
        assert!(Money::parse("100.55", "USD").is_ok());
        assert_eq!(
            Money::parse("100.555", "USD").unwrap_err().code(),
            "too_many_decimals"
        );
        assert_eq!(
            Money::parse("1.5", "JPY").unwrap_err().code(),
            "too_many_decimals"
        );
        assert!(Money::parse("0.12345678", "BTC").is_ok());
        assert!(Money::parse("0.123456789012345678", "ETH").is_ok());
        assert!(Money::parse("1.123", "XTS").is_ok());
        assert_eq!(Money::parse("0", "USD").unwrap_err().code(), "zero_amount");
        assert_eq!(
            Money::parse("0.00", "USD").unwrap_err().code(),
            "zero_amount"
        );
        assert_eq!(
            Money::parse("1", "ABC").unwrap_err().code(),
            "unknown_currency"
        );
        let lower = Money::parse("1", "usd").unwrap_err();
        assert!(lower.message().contains("did you mean 'USD'"), "{lower}");
    }
}
