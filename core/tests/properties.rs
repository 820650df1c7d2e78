//! Invariants checked on generated inputs (proptest).

use std::cmp::Ordering;

use polypay::ecommpay::{self, php::natcmp};
use polypay::paycore::{self, Environment, HppParams};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Keys that cannot tie under natural order (no whitespace, no leading zero) and cannot
/// collide after `::` escaping (no ':'), so key order is the only thing a shuffle changes.
fn key() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_-]{0,6}"
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::Bool),
        ".{0,12}".prop_map(Value::String),
        Just(Value::Null),
        (-1e6f64..1e6)
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
    ]
}

fn params() -> impl Strategy<Value = Map<String, Value>> {
    let leaf = scalar();
    let value = leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..12).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    prop::collection::btree_map(key(), value, 1..8).prop_map(|m| m.into_iter().collect())
}

/// The same map with keys reversed at every depth (lists keep their order: indices matter).
fn reversed(map: &Map<String, Value>) -> Map<String, Value> {
    fn rev(value: &Value) -> Value {
        match value {
            Value::Object(m) => Value::Object(reversed(m)),
            Value::Array(l) => Value::Array(l.iter().map(rev).collect()),
            other => other.clone(),
        }
    }
    map.iter().rev().map(|(k, v)| (k.clone(), rev(v))).collect()
}

proptest! {
    #[test]
    fn paycore_verify_accepts_its_own_signature(body in prop::collection::vec(any::<u8>(), 0..2048),
                                                secret in "sk_(test|live)_[A-Za-z0-9]{1,40}") {
        let signature = paycore::sign_callback(&body, &secret).unwrap();
        prop_assert!(paycore::verify_callback(&body, &signature, &secret).is_ok());
        if !body.is_empty() {
            let mut tampered = body.clone();
            tampered[body.len() / 2] ^= 1;
            prop_assert_eq!(
                paycore::verify_callback(&tampered, &signature, &secret).unwrap_err().code(),
                "mismatch"
            );
        }
    }

    #[test]
    fn ecommpay_key_order_never_changes_the_signature(p in params(), secret in ".{0,20}") {
        prop_assert_eq!(ecommpay::sign(&p, &secret).unwrap(), ecommpay::sign(&reversed(&p), &secret).unwrap());
    }

    #[test]
    fn ecommpay_callbacks_verify_whatever_their_key_order_and_layout(p in params(), secret in "[!-~]{1,20}") {
        let mut body = p.clone();
        body.insert("signature".into(), Value::String(ecommpay::sign(&p, &secret).unwrap()));
        let compact = serde_json::to_vec(&body).unwrap();
        prop_assert!(ecommpay::verify_callback(&compact, &secret).is_ok());
        let reordered_pretty = serde_json::to_vec_pretty(&reversed(&body)).unwrap();
        prop_assert!(ecommpay::verify_callback(&reordered_pretty, &secret).is_ok());
    }

    #[test]
    fn natural_order_is_antisymmetric(a in "[0-9a :\t_-]{0,8}", b in "[0-9a :\t_-]{0,8}") {
        prop_assert_eq!(natcmp(a.as_bytes(), b.as_bytes()), natcmp(b.as_bytes(), a.as_bytes()).reverse());
        prop_assert_eq!(natcmp(a.as_bytes(), a.as_bytes()), Ordering::Equal);
    }

    #[test]
    fn hpp_url_parses_back_to_its_inputs(
        amount in (1u64..10_000_000, 0u32..3).prop_map(|(units, scale)| rust_decimal::Decimal::new(units as i64, scale)),
        currency in prop::sample::select(vec!["USD", "EUR", "UAH", "JPY", "BTC"]),
        description in "\\PC{0,30}",
        reference_id in "[ -~]{1,20}",
        metadata in prop::collection::btree_map("[a-z]{1,5}", "\\PC{0,10}", 0..4),
    ) {
        let mut params = Map::new();
        params.insert("public_key".into(), Value::from("pk_test_abc"));
        let amount = if currency == "JPY" { amount.trunc() } else { amount };
        prop_assume!(!amount.is_zero());
        params.insert("amount".into(), Value::from(amount.to_string()));
        params.insert("currency".into(), Value::from(currency));
        params.insert("reference_id".into(), Value::from(reference_id.clone()));
        params.insert("description".into(), Value::from(description.clone()));
        params.insert("metadata".into(), Value::Object(metadata.iter().map(|(k, v)| (k.clone(), Value::from(v.clone()))).collect()));
        let hpp = HppParams::from_json(&params).unwrap();
        let url = hpp.url(&Environment::Paymega).unwrap();
        let query = url.strip_prefix("https://api.paymega.io/hpp/?").unwrap();
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        prop_assert_eq!(&pairs, &hpp.fields());
        let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        prop_assert_eq!(get("description"), Some(description));
        prop_assert_eq!(get("reference_id"), Some(reference_id));
        prop_assert_eq!(get("currency"), Some(currency.to_owned()));
        prop_assert_eq!(get("amount").unwrap().parse::<rust_decimal::Decimal>().unwrap(), amount);
        for (k, v) in &metadata {
            prop_assert_eq!(get(&format!("metadata[{k}]")), Some(v.clone()));
        }
    }
}
