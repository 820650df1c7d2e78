//! The reference SDK's flattening with real PHP array semantics, for the rare parameters whose
//! paths are integers (top-level keys like "10", or children of the falsy top-level key "0").
//!
//! PHP turns such string keys into integer keys, and `array_merge` (run for every nested value)
//! renumbers integer keys 0, 1, 2… and appends them instead of overwriting. So
//! `{"10":"a","9":"b","n":{"x":1}}` signs as `10:a;9:b;n:x:1`: after renumbering, "10:a" sorts
//! under key 0. Every operation here is O(1) amortised, so hostile input stays linear.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::IGNORED_KEYS;
use crate::ecommpay::scalar::push_value;
use crate::error::{Error, Result};
use crate::json::MAX_DEPTH;

/// A PHP array key: a string, or an integer that is either explicit or "renumbered" (its value
/// is then its rank among the array's integer keys, as `array_merge` leaves it).
#[derive(Clone, Copy, PartialEq)]
enum IntKey {
    Explicit(i64),
    Renumbered,
}

enum Key {
    Str(String),
    Int(IntKey),
}

#[derive(Default)]
struct PhpArray {
    entries: Vec<(Key, String)>,
    strings: HashMap<String, usize>,
    /// Positions of integer-keyed entries in order: index = rank.
    int_positions: Vec<usize>,
    explicit: HashMap<i64, usize>,
}

impl PhpArray {
    /// `$array[$path] = $text`, with PHP's conversion of canonical integer strings.
    fn assign(&mut self, path: &str, text: String) {
        match php_integer(path) {
            Some(int) => {
                let found = self.explicit.get(&int).copied().or_else(|| {
                    let position = *self.int_positions.get(usize::try_from(int).ok()?)?;
                    matches!(self.entries[position].0, Key::Int(IntKey::Renumbered))
                        .then_some(position)
                });
                match found {
                    Some(position) => self.entries[position].1 = text,
                    None => {
                        self.explicit.insert(int, self.entries.len());
                        self.push_int(IntKey::Explicit(int), text);
                    }
                }
            }
            None => match self.strings.get(path) {
                Some(&position) => self.entries[position].1 = text,
                None => {
                    self.strings.insert(path.to_owned(), self.entries.len());
                    self.entries.push((Key::Str(path.to_owned()), text));
                }
            },
        }
    }

    fn push_int(&mut self, key: IntKey, text: String) {
        self.int_positions.push(self.entries.len());
        self.entries.push((Key::Int(key), text));
    }

    /// `$this = array_merge($this, $other)`.
    fn merge(&mut self, other: PhpArray) {
        for position in self.explicit.drain().map(|(_, p)| p) {
            self.entries[position].0 = Key::Int(IntKey::Renumbered);
        }
        for (key, text) in other.entries {
            match key {
                Key::Int(_) => self.push_int(IntKey::Renumbered, text),
                Key::Str(path) => self.assign(&path, text),
            }
        }
    }

    /// The entries with the key `ksort` compares (integer keys as decimal text).
    fn into_sort_keys(self) -> Vec<(String, String)> {
        let mut rank_of = HashMap::with_capacity(self.int_positions.len());
        for (rank, &position) in self.int_positions.iter().enumerate() {
            rank_of.insert(position, rank);
        }
        self.entries
            .into_iter()
            .enumerate()
            .map(|(position, (key, text))| {
                let sort_key = match key {
                    Key::Str(path) => path,
                    Key::Int(IntKey::Explicit(int)) => int.to_string(),
                    Key::Int(IntKey::Renumbered) => rank_of[&position].to_string(),
                };
                (sort_key, text)
            })
            .collect()
    }
}

/// PHP's rule for array keys: "0" or an optional '-' then a non-zero digit and digits, in range.
pub(crate) fn php_integer(key: &str) -> Option<i64> {
    if !key.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return None;
    }
    let digits = key.strip_prefix('-').unwrap_or(key);
    let canonical = key == "0"
        || (digits.starts_with(|c: char| ('1'..='9').contains(&c))
            && digits.bytes().all(|b| b.is_ascii_digit()));
    if canonical {
        key.parse().ok()
    } else {
        None
    }
}

/// `getParamsToSign` with PHP arrays: `(sort key, "path:value")` pairs in array order.
pub(crate) fn elements(params: &Map<String, Value>) -> Result<Vec<(String, String)>> {
    Ok(walk(params.iter(), "", 0)?.into_sort_keys())
}

fn walk<'a>(
    entries: impl Iterator<Item = (&'a String, &'a Value)>,
    prefix: &str,
    depth: usize,
) -> Result<PhpArray> {
    if depth >= MAX_DEPTH {
        return Err(Error::invalid(
            "params",
            "too_deep",
            format!("nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    let truthy = !(prefix.is_empty() || prefix == "0");
    let mut array = PhpArray::default();
    for (key, value) in entries {
        if IGNORED_KEYS.contains(&key.as_str()) {
            continue;
        }
        let escaped = key.replace(':', "::");
        let path = if truthy {
            format!("{prefix}:{escaped}")
        } else {
            escaped
        };
        match value {
            Value::Object(map) => array.merge(walk(map.iter(), &path, depth + 1)?),
            Value::Array(list) => {
                let indices: Vec<String> = (0..list.len()).map(|i| i.to_string()).collect();
                array.merge(walk(indices.iter().zip(list), &path, depth + 1)?);
            }
            scalar => {
                let mut text = path.clone();
                text.push(':');
                push_value(&mut text, scalar);
                array.assign(&path, text);
            }
        }
    }
    Ok(array)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_keys_follow_php() {
        assert_eq!(php_integer("0"), Some(0));
        assert_eq!(php_integer("-5"), Some(-5));
        for not_int in [
            "-0",
            "01",
            "1.0",
            "",
            "-",
            "9223372036854775808",
            "1a",
            " 1",
        ] {
            assert_eq!(php_integer(not_int), None, "{not_int}");
        }
    }
}
