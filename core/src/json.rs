//! Guarded JSON parsing shared by every entry point that takes JSON from outside.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Largest JSON document (parameters or callback body) the SDK accepts.
pub const MAX_INPUT_BYTES: usize = 10 * 1024 * 1024;
/// Deepest nesting the SDK accepts; real payment documents are 3–5 levels deep.
pub const MAX_DEPTH: usize = 64;

/// Parses a JSON object, keeping key order and number lexemes, within the size and depth limits.
pub fn parse_object(bytes: &[u8], argument: &str) -> Result<Map<String, Value>> {
    match parse_value(bytes, argument)? {
        Value::Object(map) => Ok(map),
        other => Err(Error::invalid(
            argument,
            "not_an_object",
            format!("expected a JSON object, got {}", type_name(&other)),
        )),
    }
}

pub fn parse_value(bytes: &[u8], argument: &str) -> Result<Value> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(Error::invalid(
            argument,
            "too_large",
            format!(
                "{} bytes is more than the {} byte limit",
                bytes.len(),
                MAX_INPUT_BYTES
            ),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::invalid(
            argument,
            "invalid_utf8",
            format!(
                "not valid UTF-8 (first bad byte at offset {})",
                e.valid_up_to()
            ),
        )
    })?;
    // serde_json stops at 128 levels by itself, so parsing never overflows the stack.
    let value: Value = serde_json::from_str(text).map_err(|e| {
        if e.to_string().contains("recursion limit") {
            too_deep(argument)
        } else {
            Error::invalid(argument, "invalid_json", format!("not valid JSON: {e}"))
        }
    })?;
    check_depth(&value, argument)?;
    Ok(value)
}

/// Rejects values nested deeper than [`MAX_DEPTH`] (containers count as one level each).
pub fn check_depth(value: &Value, argument: &str) -> Result<()> {
    fn depth_exceeds(value: &Value, remaining: usize) -> bool {
        match value {
            Value::Object(map) => {
                remaining == 0
                    || map
                        .values()
                        .any(|child| depth_exceeds(child, remaining - 1))
            }
            Value::Array(list) => {
                remaining == 0 || list.iter().any(|child| depth_exceeds(child, remaining - 1))
            }
            _ => false,
        }
    }
    if depth_exceeds(value, MAX_DEPTH) {
        Err(too_deep(argument))
    } else {
        Ok(())
    }
}

fn too_deep(argument: &str) -> Error {
    Error::invalid(
        argument,
        "too_deep",
        format!("nested deeper than {MAX_DEPTH} levels"),
    )
}

pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A `serde_json` formatter that writes strings the way PHP `json_encode` does by default:
/// `/` escaped as `\/` and every non-ASCII character as `\uXXXX` (UTF-16 units).
pub struct PhpJsonFormatter;

impl serde_json::ser::Formatter for PhpJsonFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut units = [0u16; 2];
        for ch in fragment.chars() {
            if ch == '/' {
                writer.write_all(b"\\/")?;
            } else if ch.is_ascii() {
                writer.write_all(&[ch as u8])?;
            } else {
                for unit in ch.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
}

/// Writes JSON as the PHP gateways do (`json_encode` defaults): escaped slashes and `\uXXXX`.
pub fn to_php_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PhpJsonFormatter);
    serde::Serialize::serialize(value, &mut serializer).expect("writing JSON to memory");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> String {
        format!("{}1{}", "[".repeat(levels), "]".repeat(levels))
    }

    #[test]
    fn json_encode_like_php() {
        let value = serde_json::json!({"url": "a/b", "name": "Jürgen 😀"});
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, PhpJsonFormatter);
        serde::Serialize::serialize(&value, &mut ser).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"url":"a\/b","name":"J\u00fcrgen \ud83d\ude00"}"#
        );
    }

    #[test]
    fn depth_limit_is_inclusive() {
        assert!(parse_value(nested(MAX_DEPTH).as_bytes(), "body").is_ok());
        let err = parse_value(nested(MAX_DEPTH + 1).as_bytes(), "body").unwrap_err();
        assert_eq!(err.code(), "too_deep");
        // Far beyond serde_json's own limit: still a typed error, no stack overflow.
        let err = parse_value(nested(10_000).as_bytes(), "body").unwrap_err();
        assert_eq!(err.code(), "too_deep");
    }

    #[test]
    fn rejects_non_objects_and_bad_bytes() {
        assert_eq!(
            parse_object(b"[]", "params").unwrap_err().code(),
            "not_an_object"
        );
        assert_eq!(
            parse_object(b"{\"a\":\"\xff\"}", "params")
                .unwrap_err()
                .code(),
            "invalid_utf8"
        );
        assert_eq!(
            parse_object(b"{", "params").unwrap_err().code(),
            "invalid_json"
        );
        let big = vec![b' '; MAX_INPUT_BYTES + 1];
        assert_eq!(
            parse_object(&big, "params").unwrap_err().code(),
            "too_large"
        );
    }

    #[test]
    fn keeps_key_order_and_number_lexemes() {
        let map = parse_object(br#"{"b":1,"a":10.0,"c":1e21}"#, "p").unwrap();
        let keys: Vec<_> = map.keys().cloned().collect();
        assert_eq!(keys, ["b", "a", "c"]);
        assert_eq!(map["a"].to_string(), "10.0");
        assert_eq!(map["c"].to_string(), "1e+21");
    }
}

/// Lenient readers for documents the gateways write: PHP habits (`[]` for `{}`, numbers as
/// strings, `"1"` for true) are accepted; anything unreadable reads as absent, and the raw
/// document stays available to the caller.
pub(crate) mod read {
    use chrono::{DateTime, Utc};
    use rust_decimal::Decimal;
    use serde_json::{Map, Value};

    pub fn string(obj: &Map<String, Value>, key: &str) -> Option<String> {
        string_of(obj.get(key)?)
    }

    pub fn string_of(value: &Value) -> Option<String> {
        match value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.as_str().to_owned()),
            _ => None,
        }
    }

    pub fn decimal(obj: &Map<String, Value>, key: &str) -> Option<Decimal> {
        let parse = |text: &str| {
            if text.contains(['e', 'E']) {
                Decimal::from_scientific(text).ok()
            } else {
                Decimal::from_str_exact(text).ok()
            }
        };
        match obj.get(key)? {
            Value::Number(n) => parse(n.as_str()).map(|d| d.normalize()),
            Value::String(s) => parse(s.trim()).map(|d| d.normalize()),
            _ => None,
        }
    }

    pub fn integer(obj: &Map<String, Value>, key: &str) -> Option<i64> {
        integer_of(obj.get(key)?)
    }

    pub fn integer_of(value: &Value) -> Option<i64> {
        match value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn boolean(obj: &Map<String, Value>, key: &str) -> Option<bool> {
        match obj.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => n.as_i64().map(|i| i != 0),
            Value::String(s) => match s.as_str() {
                "1" | "true" => Some(true),
                "0" | "false" | "" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// Unix seconds (number or numeric string) or an RFC 3339 date-time.
    pub fn timestamp(obj: &Map<String, Value>, key: &str) -> Option<DateTime<Utc>> {
        if let Some(seconds) = integer(obj, key) {
            return DateTime::from_timestamp(seconds, 0);
        }
        match obj.get(key)? {
            Value::String(s) => DateTime::parse_from_rfc3339(s.trim())
                .ok()
                .map(|t| t.with_timezone(&Utc)),
            _ => None,
        }
    }

    /// An object, where PHP may have written an empty one as `[]` (or `null`).
    pub fn object<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
        match obj.get(key)? {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    /// Like [`object`], but an owned map that is empty when absent or written as `[]`.
    pub fn map(obj: &Map<String, Value>, key: &str) -> Map<String, Value> {
        object(obj, key).cloned().unwrap_or_default()
    }
}
