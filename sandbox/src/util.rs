//! Small helpers: clock, deterministic ids, PHP-style JSON, bracket forms.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rust_decimal::Decimal;
use serde_json::{Map, Number, Value};
use url::Url;

/// Unix seconds now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Unix time with fractions, for the delivery log.
pub fn now_f64() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// splitmix64: tiny, fast and stable across versions, so `--seed` runs replay exactly.
#[derive(Clone, Debug)]
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Mixes a seed with a label, so independent streams (ids, each fault rule) do not interfere.
pub fn derive_seed(seed: u64, label: &str) -> u64 {
    // FNV-1a over the label, then one splitmix round with the seed.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in label.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    SplitMix::new(seed ^ h).next_u64()
}

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Stable pseudo-random text from a label (service and currency-account ids).
pub fn stable_id(prefix: &str, label: &str) -> String {
    let mut rng = SplitMix::new(derive_seed(0x5EED, label));
    let mut out = String::with_capacity(prefix.len() + 16);
    out.push_str(prefix);
    for _ in 0..16 {
        out.push(ALPHABET[(rng.next_u64() % 62) as usize] as char);
    }
    out
}

/// Ids for invoices, refunds and the like: from the OS CSPRNG (unguessable), or from a seeded
/// generator with `--seed` (reproducible runs).
pub struct IdGen {
    seeded: Option<Mutex<SplitMix>>,
    request_base: u64,
    request_counter: AtomicU64,
}

impl IdGen {
    pub fn new(seed: Option<u64>) -> IdGen {
        IdGen {
            seeded: seed.map(|s| Mutex::new(SplitMix::new(derive_seed(s, "ids")))),
            request_base: rand::random::<u64>(),
            request_counter: AtomicU64::new(0),
        }
    }

    /// Restarts the seeded stream (admin reset); no effect without a seed.
    pub fn reseed(&self, seed: Option<u64>) {
        if let (Some(rng), Some(seed)) = (&self.seeded, seed) {
            *rng.lock().unwrap() = SplitMix::new(derive_seed(seed, "ids"));
        }
    }

    pub fn id(&self, prefix: &str) -> String {
        self.token(prefix, 16)
    }

    pub fn token(&self, prefix: &str, len: usize) -> String {
        let mut out = String::with_capacity(prefix.len() + len);
        out.push_str(prefix);
        match &self.seeded {
            Some(rng) => {
                let mut rng = rng.lock().unwrap();
                for _ in 0..len {
                    out.push(ALPHABET[(rng.next_u64() % 62) as usize] as char);
                }
            }
            None => {
                use rand::RngExt;
                let mut rng = rand::rng();
                for _ in 0..len {
                    out.push(ALPHABET[rng.random_range(0..62usize)] as char);
                }
            }
        }
        out
    }

    /// A number from the same stream (ecommpay operation ids and the like).
    pub fn number(&self) -> u64 {
        match &self.seeded {
            Some(rng) => rng.lock().unwrap().next_u64(),
            None => rand::random::<u64>(),
        }
    }

    /// A unique `X-Request-Id` (never seeded: it is not part of the replayable behaviour).
    pub fn request_id(&self) -> String {
        let n = self.request_counter.fetch_add(1, Ordering::Relaxed);
        format!("{:016x}{:08x}", self.request_base, n)
    }
}

/// An exact decimal as a JSON number with its shortest digits (`100`, `123.45`).
pub fn num(d: Decimal) -> Value {
    let text = d.normalize().to_string();
    Value::Number(Number::from_str(&text).unwrap_or_else(|_| Number::from(0)))
}

/// JSON as the configured server writes it: PHP's escapes (`\/`, `\uXXXX`) or plain.
pub fn json_bytes(value: &Value, php_json: bool) -> Vec<u8> {
    if php_json {
        polypay::json::to_php_json(value)
    } else {
        serde_json::to_vec(value).expect("JSON")
    }
}

/// A JSON object, or `[]` when it is empty: PHP's `json_encode` of an empty array.
pub fn php_obj(map: Map<String, Value>) -> Value {
    if map.is_empty() {
        Value::Array(Vec::new())
    } else {
        Value::Object(map)
    }
}

/// Balance strings with the currency's digits (`"0.00"`, `"0.00000000"`).
pub fn money_string(d: Decimal, exponent: Option<u32>) -> String {
    let digits = exponent.unwrap_or(2) as usize;
    format!("{:.*}", digits, d.round_dp(digits as u32))
}

/// An amount for people: the currency's digits (`10.50`), or as given when it has no minor unit.
pub fn display_amount(d: Decimal, exponent: Option<u32>) -> String {
    match exponent {
        Some(e) => format!("{:.*}", e as usize, d),
        None => d.normalize().to_string(),
    }
}

/// Splits `customer[address][city]` into `["customer", "address", "city"]`.
fn bracket_path(name: &str) -> Vec<String> {
    let (head, mut rest) = match name.find('[') {
        Some(i) if name.ends_with(']') => (&name[..i], &name[i..]),
        _ => return vec![name.to_owned()],
    };
    let mut parts = vec![head.to_owned()];
    while let Some(stripped) = rest.strip_prefix('[') {
        match stripped.find(']') {
            Some(end) => {
                parts.push(stripped[..end].to_owned());
                rest = &stripped[end + 1..];
            }
            None => return vec![name.to_owned()],
        }
    }
    if !rest.is_empty() {
        return vec![name.to_owned()];
    }
    parts
}

/// Form or query pairs with PHP bracket names, nested into a JSON object of strings
/// (`customer[reference_id]=c1` → `{"customer":{"reference_id":"c1"}}`). Order is kept; a
/// later duplicate wins, as in PHP.
pub fn nest_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Map<String, Value> {
    let mut root = Map::new();
    for (name, value) in pairs {
        let path = bracket_path(name);
        insert_path(&mut root, &path, value);
    }
    root
}

fn insert_path(map: &mut Map<String, Value>, path: &[String], value: &str) {
    let key = if path[0].is_empty() {
        map.len().to_string()
    } else {
        path[0].clone()
    };
    if path.len() == 1 {
        map.insert(key, Value::String(value.to_owned()));
        return;
    }
    let entry = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    insert_path(entry.as_object_mut().unwrap(), &path[1..], value);
}

/// Parses `application/x-www-form-urlencoded` bytes into owned pairs.
pub fn parse_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

/// Flattens a nested object back to bracket names (`customer[reference_id]`), for hidden inputs.
pub fn flatten_brackets(map: &Map<String, Value>) -> Vec<(String, String)> {
    fn walk(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(m) => {
                for (k, v) in m {
                    walk(&format!("{prefix}[{k}]"), v, out);
                }
            }
            Value::Array(list) => {
                for (i, v) in list.iter().enumerate() {
                    walk(&format!("{prefix}[{i}]"), v, out);
                }
            }
            Value::String(s) => out.push((prefix.to_owned(), s.clone())),
            Value::Null => {}
            other => out.push((prefix.to_owned(), other.to_string())),
        }
    }
    let mut out = Vec::new();
    for (k, v) in map {
        walk(k, v, &mut out);
    }
    out
}

/// A string attribute, if present and a string.
pub fn str_of<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Value::as_str)
}

/// An absolute `http(s)://host…` URL without whitespace, as the platform accepts for return and
/// callback URLs (and one that [`with_query`] can extend).
pub fn is_http_url(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    matches!(rest, Some(r) if !r.is_empty() && !r.starts_with('/') && !r.chars().any(char::is_whitespace))
        && Url::parse(text).is_ok()
}

/// `url` with `name=value` added to its query, before any fragment (`None` if it is no URL).
pub fn with_query(url: &str, name: &str, value: &str) -> Option<String> {
    let mut url = Url::parse(url).ok()?;
    url.query_pairs_mut().append_pair(name, value);
    Some(url.into())
}

/// The pairs of a query string (`filter[reference_id]`, `page[size]`, `limit`, ...).
pub fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query.map(|q| parse_pairs(q.as_bytes())).unwrap_or_default()
}

/// The last non-empty value of `key` in query pairs.
pub fn query_param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_nest_and_flatten() {
        let map = nest_pairs([
            ("public_key", "pk"),
            ("customer[reference_id]", "c1"),
            ("customer[address][full_address]", "Main st"),
            ("service_fields[status]", "success"),
            ("odd[", "x"),
        ]);
        assert_eq!(
            Value::Object(map.clone()),
            serde_json::json!({"public_key":"pk","customer":{"reference_id":"c1","address":{"full_address":"Main st"}},"service_fields":{"status":"success"},"odd[":"x"})
        );
        let flat = flatten_brackets(&map);
        assert_eq!(
            flat[2],
            ("customer[address][full_address]".into(), "Main st".into())
        );
    }

    #[test]
    fn seeded_ids_replay() {
        let a = IdGen::new(Some(7));
        let b = IdGen::new(Some(7));
        assert_eq!(a.id("cpi_"), b.id("cpi_"));
        assert_eq!(a.id("cpi_").len(), 20);
        assert_ne!(IdGen::new(None).id("x"), IdGen::new(None).id("x"));
    }

    #[test]
    fn urls_and_money() {
        assert_eq!(
            with_query("http://a/b?x=1#f", "invoice_id", "cpi_1").as_deref(),
            Some("http://a/b?x=1&invoice_id=cpi_1#f")
        );
        assert_eq!(
            with_query("http://a/b", "k", "a b&c").as_deref(),
            Some("http://a/b?k=a+b%26c")
        );
        assert_eq!(with_query("not a URL", "k", "v"), None);
        assert!(is_http_url("https://shop.example/back?x=1"));
        assert!(!is_http_url("https://shop.example:99999/"));
        assert!(!is_http_url("javascript:alert(1)"));
        assert_eq!(money_string(Decimal::new(5, 1), Some(2)), "0.50");
        assert_eq!(money_string(Decimal::ZERO, Some(8)), "0.00000000");
        assert_eq!(num(Decimal::new(10000, 2)).to_string(), "100");
    }
}
