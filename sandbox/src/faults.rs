//! Fault injection rules: which requests (route, probability / N-th / every N-th, times) get
//! which effect (an HTTP status, a delay, a dropped connection, broken JSON, a lost response).

use serde_json::{json, Map, Value};

use crate::util::{derive_seed, SplitMix};

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Answer normally (a delay-only rule).
    Pass,
    /// Answer with this status instead of running the handler (nothing is committed).
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    /// Close the connection without a response, before the handler runs.
    Reset,
    /// Run the handler, then answer 200 with its JSON body cut in half.
    MalformedJson,
    /// Run the handler (the create is committed), then close the connection without a response.
    CreatedResponseLost,
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
    let named = |name: &str| -> Result<Action, String> {
        match name {
            "reset" => Ok(Action::Reset),
            "malformed_json" => Ok(Action::MalformedJson),
            "created_response_lost" | "response_lost" => Ok(Action::CreatedResponseLost),
            "pass" | "delay" => Ok(Action::Pass),
            other => Err(format!(
                "unknown effect '{other}' (use reset, malformed_json, created_response_lost or an object)"
            )),
        }
    };
    match effect {
        Value::String(name) => Ok(Effect {
            delay_ms: 0,
            action: named(name)?,
        }),
        Value::Object(obj) => {
            for key in obj.keys() {
                if !["status", "retry_after", "delay_ms", "type"].contains(&key.as_str()) {
                    return Err(format!("unknown effect key '{key}'"));
                }
            }
            let delay_ms = match obj.get("delay_ms") {
                None => 0,
                Some(v) => v
                    .as_u64()
                    .ok_or("delay_ms must be a non-negative integer")?,
            };
            let retry_after = match obj.get("retry_after") {
                None => None,
                Some(v) => Some(
                    v.as_u64()
                        .ok_or("retry_after must be a non-negative integer (seconds)")?,
                ),
            };
            let action = match (obj.get("status"), obj.get("type")) {
                (Some(status), None) => {
                    let status = status
                        .as_u64()
                        .filter(|s| (400..=599).contains(s))
                        .ok_or("status must be an HTTP error status (400-599)")?
                        as u16;
                    Action::Status {
                        status,
                        retry_after: retry_after.or((status == 429 || status == 503).then_some(1)),
                    }
                }
                (None, Some(Value::String(name))) => named(name)?,
                (None, None) if delay_ms > 0 => Action::Pass,
                _ => return Err("an effect object needs status, type or delay_ms".into()),
            };
            Ok(Effect { delay_ms, action })
        }
        _ => Err("effect must be a string or an object".into()),
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
                retry_after: Some(1)
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
}
