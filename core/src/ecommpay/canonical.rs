//! The canonical form: the string the ecommpay signature is computed over (docs §1).
//!
//! Parameters are flattened to `path:value` elements (`customer:address:city:Riga`), sorted
//! by path in PHP natural order (stable, so ties keep the caller's order), joined with `;`.
//! Values come in through [`Params`], one at a time; the rare inputs whose paths PHP turns
//! into integer array keys take the exact path of [`php_array`].

mod php_array;

use std::cmp::Ordering;
use std::collections::hash_map::Entry;
use std::collections::HashMap;

use serde_json::{Map, Value};

use super::php;
use super::scalar::{push_scalar, Scalar};
use crate::error::{Error, Result};
use crate::json::MAX_DEPTH;

/// Keys that are never signed, at any depth.
const IGNORED_KEYS: &[&str] = &["frame_mode"];

/// The parameters of a signature, fed value by value into the canonical form: the one
/// extension point for inputs other than a `serde_json` map. [`JsonParams`](super::JsonParams)
/// feeds JSON text straight from the parser, and the bindings feed their native mappings
/// (a Python dict, pairs from JavaScript) without building a `serde_json` document.
///
/// # The canonical form
///
/// Every scalar becomes one `path:value` element. The path is the keys from the top level
/// down joined by `:` (a `:` inside a key is doubled; list items are keyed by their index;
/// the children of a top-level `""` or `"0"` have no prefix, as in PHP). The value is the text
/// PHP makes of the [`Scalar`]: null → empty, booleans → `1`/`0`, integers in decimal, other
/// numbers as PHP floats. Empty containers and `frame_mode` keys (at any depth, with their
/// contents) give no element. The elements are sorted by path in PHP natural order, stably,
/// and joined with `;`: `{"b":{"c":[1,true]},"a":"x"}` → `a:x;b:c:0:1;b:c:1:1`.
///
/// # Implementing it
///
/// [`feed`](Params::feed) walks the parameters in their order and calls, on `out`:
///
/// - [`Canonical::scalar`] for each scalar value, with its own key;
/// - [`Canonical::open`] before a container's members and [`Canonical::close`] after them;
///   when `open` returns `Ok(false)` (an ignored key) the members are skipped and `close` is
///   not called;
/// - [`Canonical::require_map`] when the input holds something that cannot be fed as it comes
///   (a repeated key, a value the feeder does not read): the signature is then computed from
///   [`to_map`](Params::to_map) instead, by the exact path, which also reports precise errors.
///
/// `to_map` gives the same parameters as a map; it is only called after `require_map` and for
/// the rare parameters whose paths PHP turns into integer array keys (a top-level `"10"`).
/// `Error` carries the feeder's own failures (a Python exception, say) next to the core's.
///
/// ```
/// use polypay::ecommpay::{string_to_sign_params, Canonical, Params, Scalar};
/// use serde_json::{Map, Value};
///
/// /// Flat `key, value` pairs of text.
/// struct Pairs<'a>(&'a [(&'a str, &'a str)]);
///
/// impl Params for Pairs<'_> {
///     type Error = polypay::Error;
///
///     fn feed(&self, out: &mut Canonical) -> polypay::Result<()> {
///         for (key, value) in self.0 {
///             out.scalar(key, Scalar::Str(value));
///         }
///         Ok(())
///     }
///
///     fn to_map(&self) -> polypay::Result<Map<String, Value>> {
///         Ok(self.0.iter().map(|(k, v)| (k.to_string(), Value::from(*v))).collect())
///     }
/// }
///
/// let pairs = Pairs(&[("payment_id", "X1"), ("amount", "3550"), ("frame_mode", "popup")]);
/// assert_eq!(string_to_sign_params(&pairs)?, "amount:3550;payment_id:X1");
/// # Ok::<(), polypay::Error>(())
/// ```
pub trait Params {
    type Error: From<Error>;
    /// Feeds every parameter, in order, to `out`.
    fn feed(&self, out: &mut Canonical) -> std::result::Result<(), Self::Error>;
    /// The parameters as a map, for the exact path (see above).
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

/// One `path:value` element, as byte offsets into [`Flattened::text`].
#[derive(Clone, Copy)]
struct Element {
    start: usize,
    path_end: usize,
    end: usize,
    /// The path has no digits and no whitespace: natural order is then plain byte order.
    plain: bool,
    /// The path's first 16 bytes, big-endian and zero-padded: byte order agrees with the
    /// paths' wherever two prefixes differ, so most comparisons of a sort need no `memcmp`.
    prefix: u128,
}

impl Element {
    fn prefix_of(path: &[u8]) -> u128 {
        let mut bytes = [0u8; 16];
        let n = path.len().min(16);
        bytes[..n].copy_from_slice(&path[..n]);
        u128::from_be_bytes(bytes)
    }
}

/// The flattened elements, sorted: all element texts live in one buffer.
pub(super) struct Flattened {
    text: String,
    elements: Vec<Element>,
}

impl Flattened {
    pub(super) fn of<P: Params + ?Sized>(params: &P) -> std::result::Result<Flattened, P::Error> {
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
                prefix: 0,
            });
        }
        Ok(flat)
    }

    fn sort(&mut self) {
        let text = self.text.as_bytes();
        let path = |e: &Element| &text[e.start..e.path_end];
        let bytewise =
            |a: &Element, b: &Element| a.prefix.cmp(&b.prefix).then_with(|| path(a).cmp(path(b)));
        if self.elements.iter().all(|e| e.plain) {
            // Without digits or whitespace, natural order is byte order: a total order, so
            // the standard (stable) sort is safe and fast.
            self.elements.sort_by(bytewise);
        } else {
            stable_sort(&mut self.elements, |a, b| {
                if a.plain && b.plain {
                    bytewise(a, b)
                } else {
                    php::natcmp(path(a), path(b))
                }
            });
        }
    }

    /// The sorted elements joined by `;`: the string to sign.
    pub(super) fn joined(&self) -> String {
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
/// [`Params`]). `frame_mode` keys are skipped with their values, at every depth.
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
    pub(super) fn new(params: usize) -> Canonical {
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
            prefix: Element::prefix_of(self.path.as_bytes()),
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
    pub(super) fn finish(self) -> Option<Flattened> {
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
