//! JSON text fed straight into the canonical form by serde_json's streaming parser: the same
//! grammar as the guarded parser, but no document, no per-key allocation. Anything the
//! canonical form cannot take as it comes (a repeated key, an object with very many keys) is
//! an error here, and the callers then take the exact, document-based path.
//!
//! The same pass can keep a callback's signatures ([`Signatures`]) and pick the members its
//! typed fields read ([`Picked`]), so a callback is verified and read without a document.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::canonical::{Canonical, Params};
use super::scalar::Scalar;
use crate::error::{Error, Result};

/// How serde_json (`arbitrary_precision`) hands a number to `deserialize_any`: a one-entry map
/// under this key, holding the exact lexeme. serde_json's own `Value` reads it the same way.
pub(super) const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Repeated keys are found by comparing hashes of the keys seen so far in the object; larger
/// objects go to the exact path rather than pay for a set.
const MAX_KEYS_CHECKED: usize = 64;

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
            feed_object(&mut de, out, None, None).ok()?;
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

struct Feed<'a> {
    out: &'a mut Canonical,
    /// Callbacks: every `signature` key is skipped, and the two that carry it are kept here.
    signatures: Option<&'a mut Signatures>,
    /// Set when a picked member is not in the usual shape (an object written as a list, say).
    unusual: bool,
}

/// Feeds a top-level JSON object. Callbacks also pass the signatures to look for and the
/// members to pick (`head`); `Ok(false)` then says a picked member was not in the usual shape,
/// and `head` is not to be read.
pub(super) fn feed_object<'de, D: Deserializer<'de>>(
    de: D,
    out: &mut Canonical,
    signatures: Option<&mut Signatures>,
    head: Option<&mut Picked>,
) -> Result<bool, D::Error> {
    let mut feed = Feed {
        out,
        signatures,
        unusual: false,
    };
    de.deserialize_map(ObjectVisitor {
        feed: &mut feed,
        pick: head,
    })?;
    Ok(!feed.unusual)
}

/// The signatures a callback body carries, kept while it is fed.
#[derive(Default)]
pub(super) struct Signatures {
    /// Top-level `signature`: `Some(None)` when present but not a usable string.
    top: Option<Option<String>>,
    /// `general.signature`, likewise.
    general: Option<Option<String>>,
}

impl Signatures {
    /// `signature ?? general.signature` when it is a usable string; `None` leaves the exact
    /// path to report what is wrong.
    pub(super) fn signature(self) -> Option<String> {
        let found = match self.top {
            Some(top) => top,
            None => self.general?,
        }?;
        (!found.is_empty() && found != "0").then_some(found)
    }
}

/// The members to pick out of an object, each with its own spec when it is read as an object.
pub(super) struct Spec(pub(super) &'static [(&'static str, Option<&'static Spec>)]);

/// The picked members of one object, by their position in its [`Spec`], filled while the
/// object is fed; everything else is never built.
pub(super) struct Picked {
    spec: &'static Spec,
    slots: Vec<Slot>,
}

enum Slot {
    Absent,
    Value(Value),
    Object(Picked),
}

/// Where one picked member goes.
struct Member<'p> {
    slot: &'p mut Slot,
    /// The member's own spec when it is read as an object.
    inner: Option<&'static Spec>,
}

impl<'p> Member<'p> {
    /// Keeps a scalar member; `false` when an object was expected here (the body is not in
    /// the usual shape, and the caller reads it whole instead).
    fn scalar(self, value: Scalar<'_>) -> bool {
        if self.inner.is_some() {
            return false;
        }
        let value = match value {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Str(s) => Value::String(s.to_owned()),
            Scalar::Int(i) => Value::from(i),
            Scalar::Number(lexeme) => match lexeme.parse() {
                Ok(number) => Value::Number(number),
                Err(_) => return false,
            },
        };
        *self.slot = Slot::Value(value);
        true
    }

    /// The object to fill with this member's own members; `None` when a scalar was expected.
    fn object(self) -> Option<&'p mut Picked> {
        *self.slot = Slot::Object(Picked::new(self.inner?));
        match self.slot {
            Slot::Object(picked) => Some(picked),
            _ => None,
        }
    }
}

impl Picked {
    pub(super) fn new(spec: &'static Spec) -> Picked {
        Picked {
            spec,
            slots: spec.0.iter().map(|_| Slot::Absent).collect(),
        }
    }

    /// The picked scalar `key`.
    pub(super) fn value(&self, key: &str) -> Option<&Value> {
        match self.slot(key)? {
            Slot::Value(value) => Some(value),
            _ => None,
        }
    }

    /// The picked object `key`.
    pub(super) fn object(&self, key: &str) -> Option<&Picked> {
        match self.slot(key)? {
            Slot::Object(picked) => Some(picked),
            _ => None,
        }
    }

    fn slot(&self, key: &str) -> Option<&Slot> {
        let at = self.spec.0.iter().position(|(name, _)| *name == key)?;
        self.slots.get(at)
    }

    /// Where the member `key` goes, when it is one of the picked.
    fn member(&mut self, key: &str) -> Option<Member<'_>> {
        let at = self.spec.0.iter().position(|(name, _)| *name == key)?;
        Some(Member {
            slot: &mut self.slots[at],
            inner: self.spec.0[at].1,
        })
    }
}

struct ObjectVisitor<'f, 'a, 'p> {
    feed: &'f mut Feed<'a>,
    pick: Option<&'p mut Picked>,
}

impl<'de> Visitor<'de> for ObjectVisitor<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        entries(self.feed, &mut map, None, 0, false, self.pick)
    }
}

/// The entries of an object whose first key may already have been read.
fn entries<'de, A: MapAccess<'de>>(
    feed: &mut Feed<'_>,
    map: &mut A,
    mut first: Option<Cow<'de, str>>,
    depth: usize,
    general: bool,
    mut pick: Option<&mut Picked>,
) -> Result<(), A::Error> {
    let mut seen = [0u64; MAX_KEYS_CHECKED];
    let mut count = 0;
    loop {
        let key = match first.take() {
            Some(key) => key,
            None => match map.next_key_seed(KeySeed)? {
                Some(key) => key,
                None => return Ok(()),
            },
        };
        let hash = fnv1a(key.as_bytes());
        if count == MAX_KEYS_CHECKED || seen[..count].contains(&hash) {
            return Err(de::Error::custom("repeated key (or too many to check)"));
        }
        seen[count] = hash;
        count += 1;
        if key == "signature" {
            if let Some(signatures) = feed.signatures.as_deref_mut() {
                let slot = match (depth, general) {
                    (0, _) => Some(&mut signatures.top),
                    (1, true) => Some(&mut signatures.general),
                    _ => None,
                };
                match slot {
                    Some(slot) => {
                        let value: Option<serde_json::Value> = map.next_value()?;
                        match value {
                            // PHP's `??` skips a null top-level signature.
                            None if depth == 0 => {}
                            Some(serde_json::Value::String(s)) => *slot = Some(Some(s)),
                            _ => *slot = Some(None),
                        }
                    }
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                continue;
            }
        }
        map.next_value_seed(ValueSeed {
            member: pick.as_deref_mut().and_then(|p| p.member(&key)),
            feed,
            key: &key,
            depth,
            general: depth == 0 && key == "general",
        })?;
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A key, borrowed from the text when it has no escapes.
pub(super) struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

/// The value of `key` inside the innermost open container.
struct ValueSeed<'f, 'a, 'k, 'p> {
    feed: &'f mut Feed<'a>,
    key: &'k str,
    /// Where the value goes when it is a picked member.
    member: Option<Member<'p>>,
    /// Depth of the container holding this value (0 = top level).
    depth: usize,
    /// The value is the top-level `general`.
    general: bool,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'p> ValueSeed<'_, '_, '_, 'p> {
    fn scalar(self, value: Scalar<'_>) {
        if let Some(member) = self.member {
            self.feed.unusual |= !member.scalar(value);
        }
        self.feed.out.scalar(self.key, value);
    }

    /// The picked object this container's members go to, if any.
    fn picked_object(&mut self) -> Option<&'p mut Picked> {
        let picked = self.member.take()?.object();
        self.feed.unusual |= picked.is_none();
        picked
    }

    /// Opens a container; `false` when its key is ignored and its contents must be skipped.
    fn open<E: de::Error>(&mut self, list: bool) -> Result<bool, E> {
        self.feed.out.open(self.key, list).map_err(E::custom)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.scalar(Scalar::Null);
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.scalar(Scalar::Bool(v));
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.scalar(Scalar::Str(v));
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.scalar(Scalar::Int(v));
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.scalar(Scalar::Number(itoa::Buffer::new().format(v)));
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        // Not reached with `arbitrary_precision` (numbers come as lexemes); a binary float
        // has lost its text, so let the exact path decide.
        Err(E::custom("number without its lexeme"))
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let first = map.next_key_seed(KeySeed)?;
        if first.as_deref() == Some(NUMBER_TOKEN) {
            let lexeme: String = map.next_value()?;
            self.scalar(Scalar::Number(&lexeme));
            return Ok(());
        }
        let pick = self.picked_object();
        if !self.open(false)? {
            self.feed.unusual |= pick.is_some();
            if first.is_some() {
                map.next_value::<IgnoredAny>()?;
            }
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        if first.is_some() {
            entries(
                self.feed,
                &mut map,
                first,
                self.depth + 1,
                self.general,
                pick,
            )?;
        }
        self.feed.out.close();
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        // A picked member is never a list in the usual shape.
        self.feed.unusual |= self.member.take().is_some();
        if !self.open(true)? {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        let mut index = itoa::Buffer::new();
        let mut i = 0usize;
        loop {
            let key = index.format(i);
            let seed = ValueSeed {
                member: None,
                feed: self.feed,
                key,
                depth: self.depth + 1,
                general: false,
            };
            if seq.next_element_seed(seed)?.is_none() {
                break;
            }
            i += 1;
        }
        self.feed.out.close();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecommpay::canonical::string_to_sign_params;

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
}
