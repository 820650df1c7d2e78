//! One parameter value and the text PHP makes of it, as both the canonical form and the
//! Payment Page query write it.

use std::fmt::Write;

use serde_json::Value;

use super::php;

/// One parameter value, as the canonical form reads it.
#[derive(Clone, Copy, Debug)]
pub enum Scalar<'a> {
    Null,
    Bool(bool),
    Str(&'a str),
    Int(i64),
    /// A JSON number lexeme (`3550`, `10.5`, `1e3`): integers stay exact, others are PHP floats.
    Number(&'a str),
}

/// How PHP turns a scalar into text: null → "", booleans → 1/0, integers in decimal, floats
/// with `precision = 14`. A JSON number is an integer when its text has no `.`, `e` or `E`
/// and it fits in 64 bits, as PHP's `json_decode` decides.
pub(super) fn push_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => push_scalar(out, Scalar::Null),
        Value::Bool(b) => push_scalar(out, Scalar::Bool(*b)),
        Value::String(s) => push_scalar(out, Scalar::Str(s)),
        Value::Number(n) => push_scalar(out, Scalar::Number(n.as_str())),
        Value::Array(_) | Value::Object(_) => unreachable!("containers are flattened"),
    }
}

/// [`push_value`] for a [`Scalar`].
pub(super) fn push_scalar(out: &mut String, value: Scalar<'_>) {
    match value {
        Scalar::Null => {}
        Scalar::Bool(true) => out.push('1'),
        Scalar::Bool(false) => out.push('0'),
        Scalar::Str(s) => out.push_str(s),
        Scalar::Int(i) => out.push_str(itoa::Buffer::new().format(i)),
        Scalar::Number(lexeme) => {
            let digits = lexeme.strip_prefix('-').unwrap_or(lexeme);
            let integral = digits.bytes().all(|b| b.is_ascii_digit());
            if integral && digits.len() <= 18 {
                // A JSON integer lexeme is already PHP's decimal form, but for "-0".
                out.push_str(if lexeme == "-0" { "0" } else { lexeme });
            } else if let (true, Ok(i)) = (integral, lexeme.parse::<i64>()) {
                let _ = write!(out, "{i}");
            } else {
                out.push_str(&php::float_to_string(
                    lexeme.parse::<f64>().unwrap_or(f64::NAN),
                ));
            }
        }
    }
}
