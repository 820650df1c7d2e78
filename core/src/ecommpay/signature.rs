//! The ecommpay signature: the PHP SDK's canonical form, HMAC-SHA512, base64 (docs §1).
//!
//! Parameters are flattened to `path:value` elements (`customer:address:city:Riga`), sorted
//! by path in PHP natural order (stable, so ties keep the caller's order), joined with `;`.

use std::cmp::Ordering;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt::Write;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::Sha512;
use subtle::ConstantTimeEq;

use super::{php, php_array};
use crate::error::{Error, Result};
use crate::json::MAX_DEPTH;

/// Keys that are never signed, at any depth.
pub(crate) const IGNORED_KEYS: &[&str] = &["frame_mode"];

/// Signs with one secret; the HMAC key schedule is computed once and reused.
#[derive(Clone)]
pub struct Signer {
    mac: Hmac<Sha512>,
}

impl Signer {
    /// Any secret is accepted here, as in the reference SDK; [`super::Gate`] is stricter.
    pub fn new(secret: &str) -> Signer {
        Signer {
            mac: Hmac::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length"),
        }
    }

    pub fn sign(&self, params: &Map<String, Value>) -> Result<String> {
        Ok(STANDARD.encode(self.digest(&Flattened::new(params)?)))
    }

    fn digest(&self, flat: &Flattened) -> [u8; 64] {
        let mut mac = self.mac.clone();
        // One update over the joined string: many small updates cost more than the copy.
        mac.update(flat.joined().as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Constant-time check of a base64 signature against `params`.
    pub(crate) fn verify(&self, params: &Map<String, Value>, signature: &str) -> Result<bool> {
        let expected = self.digest(&Flattened::new(params)?);
        let mut given = [0u8; 64];
        Ok(
            match STANDARD.decode_slice(signature.as_bytes(), &mut given) {
                Ok(64) => bool::from(given.ct_eq(&expected)),
                _ => false,
            },
        )
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer { secret: <redacted> }")
    }
}

/// `sign(params, secret)` of the reference SDK.
pub fn sign(params: &Map<String, Value>, secret: &str) -> Result<String> {
    Signer::new(secret).sign(params)
}

/// The exact string that is signed, for diagnosing a signature mismatch.
pub fn string_to_sign(params: &Map<String, Value>) -> Result<String> {
    Ok(Flattened::new(params)?.joined())
}

/// One `path:value` element, as byte offsets into [`Flattened::text`].
#[derive(Clone, Copy)]
struct Element {
    start: usize,
    path_end: usize,
    end: usize,
    /// The path has no digits and no whitespace: natural order is then plain byte order.
    plain: bool,
}

/// The flattened elements, sorted: all element texts live in one buffer.
struct Flattened {
    text: String,
    elements: Vec<Element>,
}

impl Flattened {
    fn new(params: &Map<String, Value>) -> Result<Flattened> {
        // Sized for flat parameters up front: growing these buffers costs more than the sort.
        let mut walker = Walker {
            text: String::with_capacity(48 * params.len() + 64),
            elements: Vec::with_capacity(params.len() + 8),
            path: String::with_capacity(64),
            ..Walker::default()
        };
        walker.walk(params.iter(), 0, true, 0)?;
        if walker.integer_keys {
            return Flattened::with_php_arrays(params);
        }
        let mut flat = Flattened {
            text: walker.text,
            elements: walker.elements,
        };
        if walker.may_collide {
            flat.keep_last_of_each_path();
        }
        let text = flat.text.as_bytes();
        let path = |e: &Element| &text[e.start..e.path_end];
        if flat.elements.iter().all(|e| e.plain) {
            // Without digits or whitespace, natural order is byte order: a total order, so
            // the standard (stable) sort is safe and fast.
            flat.elements.sort_by(|a, b| path(a).cmp(path(b)));
        } else {
            stable_sort(&mut flat.elements, |a, b| {
                if a.plain && b.plain {
                    path(a).cmp(path(b))
                } else {
                    php::natcmp(path(a), path(b))
                }
            });
        }
        Ok(flat)
    }

    /// The slow, exact path for integer-like paths (see [`php_array`]).
    fn with_php_arrays(params: &Map<String, Value>) -> Result<Flattened> {
        let mut pairs = php_array::elements(params)?;
        stable_sort(&mut pairs, |a, b| {
            php::natcmp(a.0.as_bytes(), b.0.as_bytes())
        });
        let mut flat = Flattened {
            text: String::new(),
            elements: Vec::with_capacity(pairs.len()),
        };
        for (_, text) in pairs {
            let start = flat.text.len();
            flat.text.push_str(&text);
            let end = flat.text.len();
            flat.elements.push(Element {
                start,
                path_end: end,
                end,
                plain: false,
            });
        }
        Ok(flat)
    }

    /// The sorted elements joined by `;`: the string to sign.
    fn joined(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + self.elements.len());
        for (i, e) in self.elements.iter().enumerate() {
            if i > 0 {
                out.push(';');
            }
            out.push_str(&self.text[e.start..e.end]);
        }
        out
    }

    /// PHP `array_merge`: a repeated path keeps its first position and takes the last value.
    fn keep_last_of_each_path(&mut self) {
        let text = self.text.as_bytes();
        let mut first_at: HashMap<&[u8], usize> = HashMap::new();
        let mut kept: Vec<Element> = Vec::with_capacity(self.elements.len());
        for &element in &self.elements {
            match first_at.entry(&text[element.start..element.path_end]) {
                Entry::Occupied(at) => kept[*at.get()] = element,
                Entry::Vacant(slot) => {
                    slot.insert(kept.len());
                    kept.push(element);
                }
            }
        }
        self.elements = kept;
    }
}

#[derive(Default)]
struct Walker {
    text: String,
    elements: Vec<Element>,
    path: String,
    /// Set when two elements may share a path (keys with ':' or the top-level "0"/"" quirk);
    /// only then is the cost of de-duplication paid.
    may_collide: bool,
    /// Set when a path is a PHP integer key: PHP array semantics then change the result.
    integer_keys: bool,
}

impl Walker {
    fn walk<'a>(
        &mut self,
        entries: impl Iterator<Item = (&'a String, &'a Value)>,
        prefix_len: usize,
        prefix_plain: bool,
        depth: usize,
    ) -> Result<()> {
        if depth >= MAX_DEPTH {
            return Err(Error::invalid(
                "params",
                "too_deep",
                format!("nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        // PHP writes `($prefix ? $prefix . ':' : '') . $key`: a prefix of "" or "0" is falsy
        // and is dropped altogether, so the children of top-level "0" have bare paths.
        let truthy = {
            let prefix = &self.path[..prefix_len];
            !(prefix.is_empty() || prefix == "0")
        };
        let base_len = if truthy { prefix_len } else { 0 };
        for (key, value) in entries {
            if IGNORED_KEYS.contains(&key.as_str()) {
                continue;
            }
            self.path.truncate(base_len);
            if truthy {
                self.path.push(':');
            } else if php_array::php_integer(key).is_some() {
                self.integer_keys = true;
            }
            let (mut colon, mut plain) = (false, prefix_plain || !truthy);
            for byte in key.bytes() {
                colon |= byte == b':';
                plain &= !byte.is_ascii_digit() && !php::is_space(byte);
            }
            if colon {
                self.may_collide = true;
                self.path.push_str(&key.replace(':', "::"));
            } else {
                self.path.push_str(key);
            }
            let path_len = self.path.len();
            match value {
                Value::Object(map) => {
                    self.may_collide |= depth == 0 && (key.is_empty() || key == "0");
                    self.walk(map.iter(), path_len, plain, depth + 1)?;
                }
                Value::Array(list) => {
                    self.may_collide |= depth == 0 && (key.is_empty() || key == "0");
                    let indices: Vec<String> = (0..list.len()).map(|i| i.to_string()).collect();
                    // List indices are digits: their children are never plain.
                    self.walk(indices.iter().zip(list), path_len, false, depth + 1)?;
                }
                scalar => {
                    let start = self.text.len();
                    self.text.push_str(&self.path);
                    let path_end = self.text.len();
                    self.text.push(':');
                    push_scalar(&mut self.text, scalar);
                    self.elements.push(Element {
                        start,
                        path_end,
                        end: self.text.len(),
                        plain,
                    });
                }
            }
        }
        self.path.truncate(base_len);
        Ok(())
    }
}

/// How PHP turns a scalar into text: null → "", booleans → 1/0, integers in decimal, floats
/// with `precision = 14`. A JSON number is an integer when its text has no `.`, `e` or `E`
/// and it fits in 64 bits, as PHP's `json_decode` decides.
pub(crate) fn push_scalar(out: &mut String, value: &Value) {
    match value {
        Value::Null => {}
        Value::Bool(true) => out.push('1'),
        Value::Bool(false) => out.push('0'),
        Value::String(s) => out.push_str(s),
        Value::Number(n) => {
            let lexeme = n.as_str();
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
        Value::Array(_) | Value::Object(_) => unreachable!("containers are flattened"),
    }
}

/// A stable merge sort that, unlike `slice::sort_by`, never panics when the comparison is not
/// a total order (natural order can be inconsistent on contrived keys).
fn stable_sort<T>(items: &mut Vec<T>, cmp: impl Fn(&T, &T) -> Ordering + Copy) {
    if items.len() <= 24 {
        for i in 1..items.len() {
            let mut j = i;
            while j > 0 && cmp(&items[j - 1], &items[j]) == Ordering::Greater {
                items.swap(j - 1, j);
                j -= 1;
            }
        }
        return;
    }
    let mut right = items.split_off(items.len() / 2);
    stable_sort(items, cmp);
    stable_sort(&mut right, cmp);
    let left = std::mem::take(items);
    items.reserve(left.len() + right.len());
    let (mut left, mut right) = (left.into_iter().peekable(), right.into_iter().peekable());
    while let (Some(l), Some(r)) = (left.peek(), right.peek()) {
        if cmp(l, r) == Ordering::Greater {
            items.push(right.next().expect("peeked"));
        } else {
            items.push(left.next().expect("peeked"));
        }
    }
    items.extend(left);
    items.extend(right);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn docs_example() {
        let p = params(
            r#"{"project_id":12345,"payment_id":"X03936","payment_amount":3550,"payment_currency":"USD",
            "payment_description":"Guyliner purchase","customer_first_name":"Jack",
            "customer_last_name":"Sparrow","customer_phone":"02081234567"}"#,
        );
        assert_eq!(
            string_to_sign(&p).unwrap(),
            "customer_first_name:Jack;customer_last_name:Sparrow;customer_phone:02081234567;\
             payment_amount:3550;payment_currency:USD;payment_description:Guyliner purchase;\
             payment_id:X03936;project_id:12345"
        );
        assert_eq!(
            sign(&p, "secret").unwrap(),
            "e+kuzNpbptuGG4G7WxjuT8EFh90v2eMCh2EQ4y+hq5XX/aptGzhpi7a0uk/c7HdXj7M2o33WLrMNLEKD8yl3Kg=="
        );
    }

    #[test]
    fn quirks() {
        // Children of top-level "0" get no "0:" prefix; later duplicates win in place.
        let p = params(r#"{"x":"first","0":{"x":"second","y":1}}"#);
        assert_eq!(string_to_sign(&p).unwrap(), "x:second;y:1");
        let p = params(r#"{"a:b":1,"a":{"b":2,"frame_mode":"x"},"frame_mode":"popup"}"#);
        assert_eq!(string_to_sign(&p).unwrap(), "a::b:1;a:b:2");
        let p = params(r#"{"ab":1,"a b":2}"#);
        assert_eq!(string_to_sign(&p).unwrap(), "ab:1;a b:2");
        let p = params(r#"{"e":{},"l":[],"n":null,"t":true,"f":false}"#);
        assert_eq!(string_to_sign(&p).unwrap(), "f:0;n:;t:1");
    }

    #[test]
    fn sorts_long_lists_naturally() {
        let list: Vec<Value> = (0..30).map(Value::from).collect();
        let mut p = Map::new();
        p.insert("arr".into(), Value::Array(list));
        let text = string_to_sign(&p).unwrap();
        let expected: Vec<String> = (0..30).map(|i| format!("arr:{i}:{i}")).collect();
        assert_eq!(text, expected.join(";"));
    }
}
