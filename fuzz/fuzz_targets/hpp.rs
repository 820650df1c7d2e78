//! Hosted Payment Page builder: `HppParams::from_json`, the link and the auto-redirect form.
//!
//! Input: JSON parameters, optionally preceded by `base URL \0` for a custom deployment.
//! Invariants: nothing panics; accepted parameters always give a link whose query decodes back
//! to exactly the fields, and a form whose HTML no value can break out of (the number of
//! quotes and angle brackets is fixed by the number of fields).
#![no_main]

use libfuzzer_sys::fuzz_target;
use polypay::paycore::{Environment, HppParams};
use serde_json::{Map, Value};

const LABEL: &str = "<Pay & go>";

fuzz_target!(|data: &[u8]| {
    let (env, json) = match data.iter().position(|&b| b == 0) {
        Some(at) => match Environment::custom(&String::from_utf8_lossy(&data[..at])) {
            Ok(env) => (env, &data[at + 1..]),
            Err(_) => return,
        },
        None => (Environment::PayCore, data),
    };
    let Ok(params) = serde_json::from_slice::<Map<String, Value>>(json) else {
        return;
    };
    let Ok(hpp) = HppParams::from_json(&params) else {
        return;
    };
    hpp.validate().expect("from_json accepted it");
    let fields = hpp.fields();

    let url = hpp.url(&env).expect("valid parameters give a link");
    let query = url
        .strip_prefix(&format!("{}?", env.hpp_url()))
        .expect("the link starts with the HPP address");
    let decoded: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(decoded, fields, "the query does not decode to the fields");

    let form = hpp.form(&env).expect("valid parameters give a form");
    assert_eq!(form.action, env.process_url());
    assert_eq!(form.fields, fields);
    let html = form.to_html(LABEL);
    let n = fields.len();
    let count = |c: char| html.matches(c).count();
    assert_eq!(
        count('"'),
        8 + 6 * n,
        "a value broke out of an attribute:\n{html}"
    );
    assert_eq!(count('<'), 4 + n, "a value opened a tag:\n{html}");
    assert_eq!(count('>'), 4 + n, "a value closed a tag:\n{html}");
    assert_eq!(html.matches("<input ").count(), n);
});
