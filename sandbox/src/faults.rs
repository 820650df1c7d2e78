//! Fault injection rules: which requests (route, probability / N-th / every N-th, times) get
//! which effect (an HTTP status, a delay, a dropped connection, broken JSON, a lost response,
//! a late commit, a wrong-shaped 2xx, a redirect, a trickled body, a cyclic `links.next`).

use axum::http::HeaderValue;
use serde_json::{json, Map, Value};

use crate::util::{derive_seed, SplitMix};

/// Where a `redirect` effect points when the rule names no `location` (under the base URL):
/// an admin endpoint that answers 200 and records nothing but the request count.
pub const REDIRECT_TARGET: &str = "/__sandbox/redirect-target";

const EFFECT_NAMES: &str = "reset, malformed_json, created_response_lost, late_commit, \
wrong_shape, redirect, trickle, cyclic_links, or an object with status or delay_ms";

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Answer normally (a delay-only rule).
    Pass,
    /// Answer with this error status and its usual body. Without `commit` the handler does not
    /// run (nothing is committed); with it, it runs first and its answer is thrown away.
    Status {
        status: u16,
        /// The `Retry-After` header, verbatim (digits, an HTTP-date or any garbage).
        retry_after: Option<String>,
        commit: bool,
    },
    /// Close the connection without a response, before the handler runs.
    Reset,
    /// Run the handler, then answer 200 with its JSON body cut in half.
    MalformedJson,
    /// Run the handler (the create is committed), then close the connection without a response.
    CreatedResponseLost,
    /// Read the request, close the connection without a response at once, and run the handler
    /// `after_ms` later in a task of its own (the entity appears after the client gave up).
    LateCommit { after_ms: u64 },
    /// Run the handler if `commit`, then answer this 2xx status with this JSON body.
    WrongShape {
        status: u16,
        body: Value,
        commit: bool,
    },
    /// Run the handler if `commit`, then answer this 3xx status with `Location`
    /// (default: [`REDIRECT_TARGET`] on this sandbox).
    Redirect {
        status: u16,
        location: Option<String>,
        commit: bool,
    },
    /// Run the handler, then send its body `chunk_bytes` at a time, `interval_ms` apart.
    Trickle {
        chunk_bytes: usize,
        interval_ms: u64,
    },
    /// Run the handler, then point the answer's `links.next` back at the request itself (or,
    /// with `alternate`, pages after the first back at the first page).
    CyclicLinks { alternate: bool },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    pub delay_ms: u64,
    pub action: Action,
}

#[derive(Debug, Clone)]
enum Trigger {
    Always,
    Probability(f64),
    Nth(u64),
    Every(u64),
}

#[derive(Debug, Clone)]
pub struct FaultRule {
    pub id: String,
    method: Option<String>,
    prefix: Option<String>,
    trigger: Trigger,
    times: Option<u64>,
    pub effect: Effect,
    source: Value,
    matched: u64,
    fired: u64,
    rng: SplitMix,
}

impl FaultRule {
    /// Parses a rule; `index` names it (`fault_<index>`) when it has no `id`.
    pub fn parse(rule: &Value, index: u64) -> Result<FaultRule, String> {
        let obj = rule.as_object().ok_or("a fault rule is a JSON object")?;
        for key in obj.keys() {
            if ![
                "id",
                "route",
                "probability",
                "nth",
                "every",
                "times",
                "effect",
            ]
            .contains(&key.as_str())
            {
                return Err(format!("unknown key '{key}'"));
            }
        }
        let id = match obj.get("id") {
            None | Some(Value::Null) => format!("fault_{index}"),
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err("id must be a non-empty string".into()),
        };
        let route = obj
            .get("route")
            .and_then(Value::as_str)
            .unwrap_or("*")
            .trim();
        let (method, prefix) = parse_route(route)?;
        let count = |key: &str| -> Result<Option<u64>, String> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => match v.as_u64() {
                    Some(n) if n >= 1 => Ok(Some(n)),
                    _ => Err(format!("{key} must be an integer >= 1")),
                },
            }
        };
        let probability = match obj.get("probability") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_f64() {
                Some(p) if (0.0..=1.0).contains(&p) => Some(p),
                _ => return Err("probability must be a number between 0 and 1".into()),
            },
        };
        let nth = count("nth")?;
        let every = count("every")?;
        let trigger = match (probability, nth, every) {
            (None, None, None) => Trigger::Always,
            (Some(p), None, None) => Trigger::Probability(p),
            (None, Some(n), None) => Trigger::Nth(n),
            (None, None, Some(n)) => Trigger::Every(n),
            _ => return Err("give at most one of probability, nth, every".into()),
        };
        let effect = parse_effect(obj.get("effect").ok_or("effect is required")?)?;
        let mut source = Map::new();
        source.insert("id".into(), json!(id));
        for (k, v) in obj {
            if k != "id" {
                source.insert(k.clone(), v.clone());
            }
        }
        Ok(FaultRule {
            id,
            method,
            prefix,
            trigger,
            times: count("times")?,
            effect,
            source: Value::Object(source),
            matched: 0,
            fired: 0,
            rng: SplitMix::new(0),
        })
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.prefix.as_deref().is_none_or(|p| path.starts_with(p))
    }

    pub fn to_json(&self) -> Value {
        let mut v = self.source.clone();
        let obj = v.as_object_mut().expect("object");
        obj.insert("matched".into(), json!(self.matched));
        obj.insert("fired".into(), json!(self.fired));
        v
    }
}

/// `"*"`, `"POST /api/payment-invoices"`, `"* /api/"` or just `"/api/"`.
fn parse_route(route: &str) -> Result<(Option<String>, Option<String>), String> {
    if route.is_empty() || route == "*" {
        return Ok((None, None));
    }
    let mut parts = route.split_whitespace();
    let first = parts.next().unwrap_or("*");
    let second = parts.next();
    if parts.next().is_some() {
        return Err(format!(
            "route '{route}' should be \"METHOD /path-prefix\" or \"*\""
        ));
    }
    let (method, prefix) = match second {
        Some(path) => (first, Some(path)),
        None if first.starts_with('/') => ("*", Some(first)),
        None => (first, None),
    };
    if let Some(p) = prefix {
        if !p.starts_with('/') {
            return Err(format!("route path '{p}' must start with /"));
        }
    }
    let method = (method != "*").then(|| method.to_ascii_uppercase());
    Ok((method, prefix.filter(|p| *p != "/").map(str::to_owned)))
}

fn parse_effect(effect: &Value) -> Result<Effect, String> {
    let no_keys = Map::new();
    let (obj, name) = match effect {
        Value::String(name) => (&no_keys, Some(name.as_str())),
        Value::Object(obj) => match obj.get("type") {
            None => (obj, None),
            Some(Value::String(name)) => (obj, Some(name.as_str())),
            Some(_) => return Err("effect type must be a string".into()),
        },
        _ => return Err("effect must be a string or an object".into()),
    };
    // Keys each effect accepts besides `type` and `delay_ms`.
    let allowed: &[&str] = match name {
        None => &["status", "retry_after", "commit"],
        Some("reset" | "malformed_json" | "created_response_lost" | "response_lost") => &[],
        Some("pass" | "delay") => &[],
        Some("late_commit") => &["commit_after_ms"],
        Some("wrong_shape") => &["body", "status", "commit"],
        Some("redirect") => &["status", "location", "commit"],
        Some("trickle") => &["chunk_bytes", "interval_ms"],
        Some("cyclic_links") => &["alternate"],
        Some(other) => return Err(format!("unknown effect '{other}' (use {EFFECT_NAMES})")),
    };
    for key in obj.keys() {
        if key != "type" && key != "delay_ms" && !allowed.contains(&key.as_str()) {
            let what = name.map_or("a status effect".to_owned(), |n| format!("effect {n}"));
            let mut keys = vec!["type", "delay_ms"];
            keys.extend_from_slice(allowed);
            if name.is_none() {
                keys.remove(0);
            }
            return Err(format!(
                "unknown effect key '{key}' for {what} (allowed: {})",
                keys.join(", ")
            ));
        }
    }
    let uint = |key: &str, default: u64| -> Result<u64, String> {
        match obj.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_u64()
                .ok_or_else(|| format!("{key} must be a non-negative integer")),
        }
    };
    let flag = |key: &str, default: bool| -> Result<bool, String> {
        match obj.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| format!("{key} must be true or false")),
        }
    };
    let status_in =
        |range: std::ops::RangeInclusive<u16>, default: Option<u16>, what: &str| match obj
            .get("status")
        {
            None => default.ok_or_else(|| format!("status is required ({what})")),
            Some(v) => v
                .as_u64()
                .and_then(|s| u16::try_from(s).ok())
                .filter(|s| range.contains(s))
                .ok_or_else(|| format!("status must be {what}")),
        };
    let delay_ms = uint("delay_ms", 0)?;
    let action = match name {
        None if obj.contains_key("status") => {
            let status = status_in(400..=599, None, "an HTTP error status (400-599)")?;
            let retry_after = match obj.get("retry_after") {
                None => (status == 429 || status == 503).then(|| "1".to_owned()),
                Some(v) => Some(retry_after(v)?),
            };
            Action::Status {
                status,
                retry_after,
                commit: flag("commit", false)?,
            }
        }
        None if delay_ms > 0 && obj.len() == 1 => Action::Pass,
        None if delay_ms > 0 => return Err("retry_after and commit need a status".into()),
        None => return Err("an effect object needs status, type or delay_ms".into()),
        Some("reset") => Action::Reset,
        Some("malformed_json") => Action::MalformedJson,
        Some("created_response_lost" | "response_lost") => Action::CreatedResponseLost,
        Some("pass" | "delay") => Action::Pass,
        Some("late_commit") => Action::LateCommit {
            after_ms: uint("commit_after_ms", 1000)?,
        },
        Some("wrong_shape") => Action::WrongShape {
            status: status_in(200..=299, Some(200), "a success status (200-299)")?,
            body: obj.get("body").cloned().unwrap_or_else(|| json!({})),
            commit: flag("commit", true)?,
        },
        Some("redirect") => Action::Redirect {
            status: match status_in(300..=399, Some(302), "301, 302, 303, 307 or 308")? {
                s @ (301 | 302 | 303 | 307 | 308) => s,
                _ => return Err("status must be 301, 302, 303, 307 or 308".into()),
            },
            location: match obj.get("location") {
                None => None,
                Some(Value::String(s)) if HeaderValue::from_str(s).is_ok() => Some(s.clone()),
                Some(_) => return Err("location must be a string valid in a header (a URL)".into()),
            },
            commit: flag("commit", false)?,
        },
        Some("trickle") => Action::Trickle {
            chunk_bytes: match uint("chunk_bytes", 8)? {
                0 => return Err("chunk_bytes must be >= 1".into()),
                n => usize::try_from(n).unwrap_or(usize::MAX),
            },
            interval_ms: uint("interval_ms", 200)?,
        },
        Some("cyclic_links") => Action::CyclicLinks {
            alternate: flag("alternate", false)?,
        },
        Some(_) => unreachable!("names were checked above"),
    };
    Ok(Effect { delay_ms, action })
}

/// `retry_after`: an integer up to 2^64-1 (seconds), or a string sent verbatim.
fn retry_after(value: &Value) -> Result<String, String> {
    match value {
        Value::Number(n) => n.as_u64().map(|seconds| seconds.to_string()).ok_or_else(|| {
            "retry_after must be an integer from 0 to 18446744073709551615 (seconds) or a string"
                .into()
        }),
        Value::String(s) if HeaderValue::from_str(s).is_ok() => Ok(s.clone()),
        _ => Err(
            "retry_after must be an integer (seconds) or a string valid in a header (visible ASCII)"
                .into(),
        ),
    }
}

/// The active rules with their counters and random streams.
pub struct FaultSet {
    seed: u64,
    rules: Vec<FaultRule>,
    next_index: u64,
    pub injected: u64,
}

impl FaultSet {
    pub fn new(seed: u64) -> FaultSet {
        FaultSet {
            seed,
            rules: Vec::new(),
            next_index: 1,
            injected: 0,
        }
    }

    /// Adds a rule; its random stream depends only on the seed and the rule id.
    pub fn add(&mut self, rule: &Value) -> Result<Value, String> {
        let mut parsed = FaultRule::parse(rule, self.next_index)?;
        if self.rules.iter().any(|r| r.id == parsed.id) {
            return Err(format!("a fault with id '{}' exists", parsed.id));
        }
        self.next_index += 1;
        parsed.rng = SplitMix::new(derive_seed(self.seed, &parsed.id));
        let shown = parsed.to_json();
        self.rules.push(parsed);
        Ok(shown)
    }

    pub fn remove(&mut self, id: &str) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        before != self.rules.len()
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn list(&self) -> Vec<Value> {
        self.rules.iter().map(FaultRule::to_json).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The effect for this request, if a rule fires. Every matching rule counts the request
    /// (so `nth` numbers the route's requests whatever other rules do); when several fire on
    /// the same request, the first in order wins and only it counts as fired.
    pub fn decide(&mut self, method: &str, path: &str) -> Option<(String, Effect)> {
        let mut chosen: Option<usize> = None;
        for (index, rule) in self.rules.iter_mut().enumerate() {
            if !rule.matches(method, path) || rule.times.is_some_and(|t| rule.fired >= t) {
                continue;
            }
            rule.matched += 1;
            let fire = match rule.trigger {
                Trigger::Always => true,
                Trigger::Probability(p) => rule.rng.next_f64() < p,
                Trigger::Nth(n) => rule.matched == n,
                Trigger::Every(n) => rule.matched % n == 0,
            };
            if fire && chosen.is_none() {
                chosen = Some(index);
            }
        }
        let rule = &mut self.rules[chosen?];
        rule.fired += 1;
        self.injected += 1;
        Some((rule.id.clone(), rule.effect.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let r = FaultRule::parse(
            &json!({"route": "POST /api/payment-invoices", "nth": 3, "effect": {"status": 503}}),
            1,
        )
        .unwrap();
        assert!(r.matches("POST", "/api/payment-invoices/cpi_1/refund"));
        assert!(!r.matches("GET", "/api/payment-invoices"));
        assert_eq!(
            r.effect.action,
            Action::Status {
                status: 503,
                retry_after: Some("1".into()),
                commit: false,
            }
        );
        let r = FaultRule::parse(&json!({"route": "*", "effect": "reset"}), 1).unwrap();
        assert!(r.matches("GET", "/anything"));
        assert!(FaultRule::parse(&json!({"effect": "explode"}), 1).is_err());
        assert!(FaultRule::parse(&json!({"nth": 1, "every": 2, "effect": "reset"}), 1).is_err());
        let r = FaultRule::parse(&json!({"effect": {"delay_ms": 10}}), 1).unwrap();
        assert_eq!(
            r.effect,
            Effect {
                delay_ms: 10,
                action: Action::Pass
            }
        );
    }

    #[test]
    fn nth_every_times_and_seeded_probability() {
        let mut set = FaultSet::new(42);
        set.add(&json!({"id": "a", "route": "GET /x", "nth": 2, "effect": "reset"}))
            .unwrap();
        let fired: Vec<bool> = (0..4).map(|_| set.decide("GET", "/x").is_some()).collect();
        assert_eq!(fired, [false, true, false, false]);

        let mut set = FaultSet::new(42);
        set.add(&json!({"route": "/x", "every": 2, "times": 2, "effect": "reset"}))
            .unwrap();
        let fired: Vec<bool> = (0..8).map(|_| set.decide("PUT", "/x").is_some()).collect();
        assert_eq!(
            fired,
            [false, true, false, true, false, false, false, false]
        );

        let pattern = |seed| {
            let mut set = FaultSet::new(seed);
            set.add(&json!({"probability": 0.5, "effect": "reset"}))
                .unwrap();
            (0..64)
                .map(|_| set.decide("GET", "/").is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(pattern(1), pattern(1));
        assert_ne!(pattern(1), pattern(2));
    }

    fn action(effect: Value) -> Result<Action, String> {
        FaultRule::parse(&json!({ "effect": effect }), 1).map(|r| r.effect.action)
    }

    #[test]
    fn status_commit_and_retry_after() {
        assert_eq!(
            action(json!({"status": 409, "commit": true})).unwrap(),
            Action::Status {
                status: 409,
                retry_after: None,
                commit: true
            }
        );
        assert_eq!(
            action(json!({"status": 502, "commit": true})).unwrap(),
            Action::Status {
                status: 502,
                retry_after: None,
                commit: true
            }
        );
        let huge = action(json!({"status": 503, "retry_after": 18446744073709551615u64})).unwrap();
        assert_eq!(
            huge,
            Action::Status {
                status: 503,
                retry_after: Some("18446744073709551615".into()),
                commit: false
            }
        );
        let date = action(json!({"status": 429, "retry_after": "Wed, 21 Oct 2065 07:28:00 GMT"}));
        assert_eq!(
            date.unwrap(),
            Action::Status {
                status: 429,
                retry_after: Some("Wed, 21 Oct 2065 07:28:00 GMT".into()),
                commit: false
            }
        );
        // Beyond u64, negative, fractional, or not valid in a header: refused.
        let too_big: Value = serde_json::from_str(
            r#"{"effect": {"status": 503, "retry_after": 18446744073709551616}}"#,
        )
        .unwrap();
        assert!(FaultRule::parse(&too_big, 1).is_err());
        for bad in [
            json!(-1),
            json!(1.5),
            json!("a\nb"),
            json!(true),
            json!(null),
        ] {
            let err = action(json!({"status": 503, "retry_after": bad})).unwrap_err();
            assert!(err.contains("retry_after"), "{err}");
        }
        assert!(action(json!({"status": 503, "commit": "yes"})).is_err());
        assert!(action(json!({"status": 302})).is_err());
        assert!(action(json!({"delay_ms": 5, "commit": true})).is_err());
    }

    #[test]
    fn new_effect_types_and_defaults() {
        assert_eq!(
            action(json!({"type": "late_commit", "commit_after_ms": 2000})).unwrap(),
            Action::LateCommit { after_ms: 2000 }
        );
        assert_eq!(
            action(json!("late_commit")).unwrap(),
            Action::LateCommit { after_ms: 1000 }
        );
        assert_eq!(
            action(json!({"type": "wrong_shape", "body": {"data": []}})).unwrap(),
            Action::WrongShape {
                status: 200,
                body: json!({"data": []}),
                commit: true
            }
        );
        assert_eq!(
            action(json!({"type": "wrong_shape", "status": 201, "body": "x", "commit": false}))
                .unwrap(),
            Action::WrongShape {
                status: 201,
                body: json!("x"),
                commit: false
            }
        );
        assert_eq!(
            action(json!("wrong_shape")).unwrap(),
            Action::WrongShape {
                status: 200,
                body: json!({}),
                commit: true
            }
        );
        assert!(action(json!({"type": "wrong_shape", "status": 500})).is_err());
        assert_eq!(
            action(json!({"type": "redirect", "status": 307, "location": "http://127.0.0.1:1/x", "commit": true}))
                .unwrap(),
            Action::Redirect {
                status: 307,
                location: Some("http://127.0.0.1:1/x".into()),
                commit: true
            }
        );
        assert_eq!(
            action(json!("redirect")).unwrap(),
            Action::Redirect {
                status: 302,
                location: None,
                commit: false
            }
        );
        for status in [300, 304, 305, 200, 404] {
            assert!(action(json!({"type": "redirect", "status": status})).is_err());
        }
        assert!(action(json!({"type": "redirect", "location": 5})).is_err());
        assert_eq!(
            action(json!({"type": "trickle", "chunk_bytes": 3, "interval_ms": 50})).unwrap(),
            Action::Trickle {
                chunk_bytes: 3,
                interval_ms: 50
            }
        );
        assert_eq!(
            action(json!("trickle")).unwrap(),
            Action::Trickle {
                chunk_bytes: 8,
                interval_ms: 200
            }
        );
        assert!(action(json!({"type": "trickle", "chunk_bytes": 0})).is_err());
        assert_eq!(
            action(json!({"type": "cyclic_links"})).unwrap(),
            Action::CyclicLinks { alternate: false }
        );
        assert_eq!(
            action(json!({"type": "cyclic_links", "alternate": true})).unwrap(),
            Action::CyclicLinks { alternate: true }
        );
        // delay_ms combines with every type.
        let r = FaultRule::parse(
            &json!({"every": 2, "effect": {"type": "trickle", "delay_ms": 7}}),
            1,
        )
        .unwrap();
        assert_eq!(r.effect.delay_ms, 7);
    }

    #[test]
    fn unknown_keys_and_types_are_named() {
        let err = action(json!({"type": "trickle", "chunk_size": 8})).unwrap_err();
        assert!(
            err.contains("'chunk_size'") && err.contains("chunk_bytes"),
            "{err}"
        );
        let err = action(json!({"type": "late_commit", "commit": true})).unwrap_err();
        assert!(
            err.contains("'commit'") && err.contains("late_commit"),
            "{err}"
        );
        let err = action(json!({"status": 503, "body": {}})).unwrap_err();
        assert!(err.contains("'body'"), "{err}");
        let err = action(json!({"type": "explode"})).unwrap_err();
        assert!(
            err.contains("'explode'") && err.contains("late_commit"),
            "{err}"
        );
        assert!(action(json!({"type": 5})).is_err());
        assert!(action(json!({"status": 503, "type": "reset"})).is_err());
    }
}
