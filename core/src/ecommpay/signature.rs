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

use super::callback::Picked;
use super::{json_feed, php, php_array};
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
        self.sign_params(params)
    }

    /// Signs parameters that feed themselves to the canonical form (see [`Params`]).
    pub fn sign_params<P: Params + ?Sized>(
        &self,
        params: &P,
    ) -> std::result::Result<String, P::Error> {
        Ok(STANDARD.encode(self.digest(&Flattened::of(params)?)))
    }

    fn digest(&self, flat: &Flattened) -> [u8; 64] {
        let mut mac = self.mac.clone();
        // One update over the joined string: many small updates cost more than the copy.
        mac.update(flat.joined().as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Constant-time check of a base64 signature against the canonical form.
    fn verify_flat(&self, flat: &Flattened, signature: &str) -> bool {
        let expected = self.digest(flat);
        let mut given = [0u8; 64];
        match STANDARD.decode_slice(signature.as_bytes(), &mut given) {
            Ok(64) => bool::from(given.ct_eq(&expected)),
            _ => false,
        }
    }

    /// Constant-time check of a base64 signature against `params`.
    pub(crate) fn verify(&self, params: &Map<String, Value>, signature: &str) -> Result<bool> {
        Ok(self.verify_flat(&Flattened::of(params)?, signature))
    }

    /// Verifies a callback body in one pass over its text, without building a document:
    /// whether the signature matches, with the members the typed fields read (`None` when one
    /// is not in the usual shape). `None` when the body needs the exact path (not a plain
    /// object, no usable signature, repeated or integer-like keys, any error there): the caller
    /// then parses it fully, which also gives the precise error.
    pub(super) fn verify_callback_text(&self, body: &[u8]) -> Option<(bool, Option<Picked>)> {
        let text = streamable(body)?;
        let mut out = Canonical::new(32);
        let mut found = Signatures::default();
        let mut head = Picked::head();
        let mut de = serde_json::Deserializer::from_str(text);
        let usual =
            json_feed::feed_object(&mut de, &mut out, Some(&mut found), Some(&mut head)).ok()?;
        de.end().ok()?;
        let signature = found.signature()?;
        let flat = out.finish()?;
        Some((self.verify_flat(&flat, &signature), usual.then_some(head)))
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer { secret: <redacted> }")
    }
}

/// `sign(params, secret)` of the reference SDK.
pub fn sign(params: &Map<String, Value>, secret: &str) -> Result<String> {
    sign_params(params, secret)
}

/// [`sign`] for any [`Params`].
pub fn sign_params<P: Params + ?Sized>(
    params: &P,
    secret: &str,
) -> std::result::Result<String, P::Error> {
    Signer::cached(secret).sign_params(params)
}

thread_local! {
    /// The last secret's HMAC key schedule (see [`Signer::cached`]).
    static LAST_SIGNER: std::cell::RefCell<Option<(Box<[u8]>, Signer)>> = const { std::cell::RefCell::new(None) };
}

impl Signer {
    /// The signer of `secret`, from the per-thread cache of the last secret used: callers
    /// nearly always pass the same one, and preparing the key is a third of the cost of a
    /// short signature.
    pub(crate) fn cached(secret: &str) -> Signer {
        let cached = LAST_SIGNER.with(|last| {
            let last = last.borrow();
            let (key, signer) = last.as_ref()?;
            bool::from(key.ct_eq(secret.as_bytes())).then(|| signer.clone())
        });
        cached.unwrap_or_else(|| {
            let signer = Signer::new(secret);
            LAST_SIGNER.with(|last| {
                *last.borrow_mut() = Some((secret.as_bytes().into(), signer.clone()));
            });
            signer
        })
    }
}

/// The exact string that is signed, for diagnosing a signature mismatch.
pub fn string_to_sign(params: &Map<String, Value>) -> Result<String> {
    string_to_sign_params(params)
}

/// [`string_to_sign`] for any [`Params`].
pub fn string_to_sign_params<P: Params + ?Sized>(
    params: &P,
) -> std::result::Result<String, P::Error> {
    Ok(Flattened::of(params)?.joined())
}

/// Parameters that can feed themselves, value by value, to the canonical form: a
/// `serde_json` map, JSON text ([`JsonParams`]), or a binding's native mapping, which then
/// needs no intermediate `serde_json` document.
pub trait Params {
    type Error: From<Error>;
    /// Feeds every parameter, in order, to `out`.
    fn feed(&self, out: &mut Canonical) -> std::result::Result<(), Self::Error>;
    /// The parameters as a map: only called for the rare inputs that need PHP's array
    /// semantics (integer-like top-level keys, repeated keys), see [`Canonical::needs_map`].
    fn to_map(&self) -> std::result::Result<Map<String, Value>, Self::Error>;
}

impl Params for Map<String, Value> {
    type Error = Error;

    fn feed(&self, out: &mut Canonical) -> Result<()> {
        fn feed_map(map: &Map<String, Value>, out: &mut Canonical) -> Result<()> {
            for (key, value) in map {
                feed_value(key, value, out)?;
            }
            Ok(())
        }
        fn feed_value(key: &str, value: &Value, out: &mut Canonical) -> Result<()> {
            match value {
                Value::Object(map) => {
                    if out.open(key, false)? {
                        feed_map(map, out)?;
                        out.close();
                    }
                }
                Value::Array(list) => {
                    if out.open(key, true)? {
                        let mut index = itoa::Buffer::new();
                        for (i, item) in list.iter().enumerate() {
                            feed_value(index.format(i), item, out)?;
                        }
                        out.close();
                    }
                }
                Value::Null => out.scalar(key, Scalar::Null),
                Value::Bool(b) => out.scalar(key, Scalar::Bool(*b)),
                Value::String(s) => out.scalar(key, Scalar::Str(s)),
                Value::Number(n) => out.scalar(key, Scalar::Number(n.as_str())),
            }
            Ok(())
        }
        feed_map(self, out)
    }

    fn to_map(&self) -> Result<Map<String, Value>> {
        Ok(self.clone())
    }
}

/// Parameters given as JSON text (an object), fed to the canonical form straight from the
/// parser: no document is built unless the input needs PHP's array semantics.
pub struct JsonParams<'a> {
    text: &'a [u8],
    argument: &'a str,
}

impl<'a> JsonParams<'a> {
    pub fn new(text: &'a [u8], argument: &'a str) -> JsonParams<'a> {
        JsonParams { text, argument }
    }
}

impl Params for JsonParams<'_> {
    type Error = Error;

    fn feed(&self, out: &mut Canonical) -> Result<()> {
        // Anything unusual (bad UTF-8, too large, invalid JSON, too deep) takes the exact path,
        // whose guarded parser gives the precise error.
        let fast = streamable(self.text).and_then(|text| {
            let mut de = serde_json::Deserializer::from_str(text);
            json_feed::feed_object(&mut de, out, None, None).ok()?;
            de.end().ok()
        });
        if fast.is_none() {
            out.require_map();
        }
        Ok(())
    }

    fn to_map(&self) -> Result<Map<String, Value>> {
        crate::json::parse_object(self.text, self.argument)
    }
}

/// JSON text the one-pass readers take as it is; anything else (too large, not UTF-8) is left
/// to the guarded parser of the exact path, which reports it precisely.
pub(super) fn streamable(bytes: &[u8]) -> Option<&str> {
    if bytes.len() > crate::json::MAX_INPUT_BYTES {
        return None;
    }
    std::str::from_utf8(bytes).ok()
}

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
    fn of<P: Params + ?Sized>(params: &P) -> std::result::Result<Flattened, P::Error> {
        let mut out = Canonical::new(16);
        params.feed(&mut out)?;
        match out.finish() {
            Some(flat) => Ok(flat),
            None => Ok(Flattened::with_php_arrays(&params.to_map()?)?),
        }
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

    fn sort(&mut self) {
        let text = self.text.as_bytes();
        let path = |e: &Element| &text[e.start..e.path_end];
        if self.elements.iter().all(|e| e.plain) {
            // Without digits or whitespace, natural order is byte order: a total order, so
            // the standard (stable) sort is safe and fast.
            self.elements.sort_by(|a, b| path(a).cmp(path(b)));
        } else {
            stable_sort(&mut self.elements, |a, b| {
                if a.plain && b.plain {
                    path(a).cmp(path(b))
                } else {
                    php::natcmp(path(a), path(b))
                }
            });
        }
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

/// The top level: no prefix (flat parameters never allocate a frame).
const ROOT: Frame = Frame {
    base_len: 0,
    truthy: false,
    plain: true,
};

/// One open container while the canonical form is fed.
#[derive(Clone, Copy)]
struct Frame {
    /// Children's paths start with `path[..base_len]` (0 when the prefix is PHP-falsy).
    base_len: usize,
    /// The prefix is kept (`"prefix:"`); PHP drops a prefix of `""` or `"0"`.
    truthy: bool,
    /// The prefix has no digits or whitespace.
    plain: bool,
}

/// The canonical form being built, fed parameter by parameter in the caller's order (see
/// [`Params`]). Keys named in [`IGNORED_KEYS`] are skipped with their values, at every depth.
pub struct Canonical {
    text: String,
    elements: Vec<Element>,
    path: String,
    /// The open containers, innermost last (empty at the top level).
    frames: Vec<Frame>,
    /// Set when two elements may share a path (keys with ':' or the top-level "0"/"" quirk);
    /// only then is the cost of de-duplication paid.
    may_collide: bool,
    /// Set when a path is a PHP integer key (or the feeder asked): PHP array semantics then
    /// change the result, and the exact map-based path is taken instead.
    needs_map: bool,
}

impl Canonical {
    fn new(params: usize) -> Canonical {
        // Sized for flat parameters up front: growing these buffers costs more than the sort.
        Canonical {
            text: String::with_capacity(48 * params + 64),
            elements: Vec::with_capacity(params + 8),
            path: String::with_capacity(64),
            frames: Vec::new(),
            may_collide: false,
            needs_map: false,
        }
    }

    /// Adds `key: value` in the innermost open container.
    pub fn scalar(&mut self, key: &str, value: Scalar<'_>) {
        let Some(plain) = self.push_key(key) else {
            return;
        };
        let start = self.text.len();
        self.text.push_str(&self.path);
        let path_end = self.text.len();
        self.text.push(':');
        push_scalar(&mut self.text, value);
        self.elements.push(Element {
            start,
            path_end,
            end: self.text.len(),
            plain,
        });
    }

    /// Opens the container `key` (a list when `list`: its keys are the indices). `Ok(false)`
    /// when the key is ignored: the caller then skips the container and does not close it.
    pub fn open(&mut self, key: &str, list: bool) -> Result<bool> {
        if self.frames.len() + 1 >= MAX_DEPTH {
            return Err(Error::invalid(
                "params",
                "too_deep",
                format!("nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        let top_level = self.frames.is_empty();
        let Some(plain) = self.push_key(key) else {
            return Ok(false);
        };
        self.may_collide |= top_level && (key.is_empty() || key == "0");
        // PHP writes `($prefix ? $prefix . ':' : '') . $key`: a prefix of "" or "0" is falsy
        // and is dropped altogether, so the children of top-level "0" have bare paths.
        let truthy = !(self.path.is_empty() || self.path == "0");
        self.frames.push(Frame {
            base_len: if truthy { self.path.len() } else { 0 },
            truthy,
            // List indices are digits: their children are never plain.
            plain: plain && !list,
        });
        Ok(true)
    }

    /// Closes the innermost container.
    pub fn close(&mut self) {
        self.frames.pop();
    }

    /// Asks for the exact, map-based path (e.g. the feeder saw a repeated key).
    pub fn require_map(&mut self) {
        self.needs_map = true;
    }

    /// Writes the element's path into `self.path`; `None` for an ignored key.
    fn push_key(&mut self, key: &str) -> Option<bool> {
        if IGNORED_KEYS.contains(&key) {
            return None;
        }
        let frame = self.frames.last().copied().unwrap_or(ROOT);
        self.path.truncate(frame.base_len);
        if frame.truthy {
            self.path.push(':');
        } else if php_array::php_integer(key).is_some() {
            self.needs_map = true;
        }
        let (mut colon, mut plain) = (false, frame.plain || !frame.truthy);
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
        Some(plain)
    }

    /// The sorted elements, or `None` when the exact map-based path must be taken.
    fn finish(self) -> Option<Flattened> {
        if self.needs_map {
            return None;
        }
        let mut flat = Flattened {
            text: self.text,
            elements: self.elements,
        };
        if self.may_collide {
            flat.keep_last_of_each_path();
        }
        flat.sort();
        Some(flat)
    }
}

/// The signatures a callback body carries, seen while it is fed (see `json_feed`).
#[derive(Default)]
pub(super) struct Signatures {
    /// Top-level `signature`: `Some(None)` when present but not a usable string.
    pub(super) top: Option<Option<String>>,
    /// `general.signature`, likewise.
    pub(super) general: Option<Option<String>>,
}

impl Signatures {
    /// `signature ?? general.signature` when it is a usable string; `None` leaves the exact
    /// path to report what is wrong.
    fn signature(self) -> Option<String> {
        let found = match self.top {
            Some(top) => top,
            None => self.general?,
        }?;
        (!found.is_empty() && found != "0").then_some(found)
    }
}

/// How PHP turns a scalar into text: null → "", booleans → 1/0, integers in decimal, floats
/// with `precision = 14`. A JSON number is an integer when its text has no `.`, `e` or `E`
/// and it fits in 64 bits, as PHP's `json_decode` decides.
pub(crate) fn push_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => push_scalar(out, Scalar::Null),
        Value::Bool(b) => push_scalar(out, Scalar::Bool(*b)),
        Value::String(s) => push_scalar(out, Scalar::Str(s)),
        Value::Number(n) => push_scalar(out, Scalar::Number(n.as_str())),
        Value::Array(_) | Value::Object(_) => unreachable!("containers are flattened"),
    }
}

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
    fn json_text_streams_when_it_can() {
        let streamed = |json: &str| {
            let mut out = Canonical::new(4);
            JsonParams::new(json.as_bytes(), "p")
                .feed(&mut out)
                .unwrap();
            out.finish().map(|flat| flat.joined())
        };
        assert_eq!(
            streamed(r#"{"b":{"c":[1,2.50,"x\u00e9"]},"a":true,"frame_mode":{"z":1}}"#).as_deref(),
            Some("a:1;b:c:0:1;b:c:1:2.5;b:c:2:xé")
        );
        // PHP keeps the last of repeated keys, integer-like keys renumber, and invalid text
        // gets its precise error: all three take the exact path.
        assert_eq!(streamed(r#"{"a":{"x":1},"a":{"y":2}}"#), None);
        assert_eq!(streamed(r#"{"0":1}"#), None);
        assert_eq!(streamed(r#"{"a":"#), None);
        let exact = |json: &str| string_to_sign_params(&JsonParams::new(json.as_bytes(), "p"));
        assert_eq!(exact(r#"{"a":{"x":1},"a":{"y":2}}"#).unwrap(), "a:y:2");
        assert_eq!(exact(r#"{"a":"#).unwrap_err().code(), "invalid_json");
    }

    #[test]
    fn callbacks_verify_in_one_pass() {
        let signer = Signer::new("k");
        let verified = |body: &str| {
            signer
                .verify_callback_text(body.as_bytes())
                .map(|(matched, _)| matched)
        };
        let doc = params(
            r#"{"project_id":1,"payment":{"id":"p","sum":{"amount":100}},"ops":[{"id":1}]}"#,
        );
        let sig = signer.sign(&doc).unwrap();
        let body = format!(
            r#"{{"project_id":1,"signature":"{sig}","payment":{{"id":"p","signature":"x","sum":{{"amount":100}}}},"ops":[{{"id":1,"signature":{{"n":1}}}}]}}"#
        );
        assert_eq!(verified(&body), Some(true));
        let general = format!(
            r#"{{"general":{{"signature":"{sig}"}},"project_id":1,"payment":{{"id":"p","sum":{{"amount":100}}}},"ops":[{{"id":1}}]}}"#
        );
        assert_eq!(verified(&general), Some(true));
        let tampered = body.replace(r#""amount":100"#, r#""amount":101"#);
        assert_eq!(verified(&tampered), Some(false));
        assert_eq!(verified(r#"{"signature":"0"}"#), None);
        assert_eq!(verified(r#"{"signature":12}"#), None);
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
