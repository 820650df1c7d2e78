//! JSON text fed straight into the canonical form by serde_json's streaming parser: the same
//! grammar as the guarded parser, but no document, no per-key allocation. Anything the
//! canonical form cannot take as it comes (a repeated key, an object with very many keys) is
//! an error here, and the callers then take the exact, document-based path.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::callback::{Member, Picked};
use super::signature::{Canonical, Scalar, Signatures};

/// How serde_json (`arbitrary_precision`) hands a number to `deserialize_any`: a one-entry map
/// under this key, holding the exact lexeme. serde_json's own `Value` reads it the same way.
pub(super) const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Repeated keys are found by comparing hashes of the keys seen so far in the object; larger
/// objects go to the exact path rather than pay for a set.
const MAX_KEYS_CHECKED: usize = 64;

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
