//! The cross-language contract: every case of `tests/vectors/*.json` through the Rust API.
//! Expected values come from independent oracles (PHP built-ins, Python's hashlib/urllib);
//! see tests/vectors/README.md.

use std::cmp::Ordering;
use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use polypay::ecommpay::{self, php};
use polypay::paycore::{self, CallbackEvent, Environment, HppParams};
use polypay::ErrorKind;
use serde_json::{Map, Value};

fn load(name: &str) -> Value {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "tests", "vectors", name]
        .iter()
        .collect();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn cases(file: &Value) -> &Vec<Value> {
    file["cases"].as_array().expect("cases")
}

fn text<'a>(case: &'a Value, key: &str) -> &'a str {
    case[key]
        .as_str()
        .unwrap_or_else(|| panic!("{}: no {key}", case["id"]))
}

/// `params_json` is authoritative: exact key order and number lexemes.
fn params(case: &Value) -> Map<String, Value> {
    serde_json::from_str(text(case, "params_json")).unwrap()
}

/// Runs every case, reporting all failures at once.
fn check_all(file: &str, check: impl Fn(&Value) -> Result<(), String>) {
    let doc = load(file);
    let failures: Vec<String> = cases(&doc)
        .iter()
        .filter_map(|case| check(case).err().map(|e| format!("{}: {e}", case["id"])))
        .collect();
    assert!(
        failures.is_empty(),
        "{file}: {} of {} cases failed:\n{}",
        failures.len(),
        cases(&doc).len(),
        failures.join("\n")
    );
}

fn expect_eq(
    what: &str,
    got: impl PartialEq<String> + std::fmt::Debug,
    want: &str,
) -> Result<(), String> {
    if got == want.to_owned() {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

#[test]
fn ecommpay_sign() {
    check_all("ecommpay_sign.json", |case| {
        let p = params(case);
        expect_eq(
            "string_to_sign",
            ecommpay::string_to_sign(&p).map_err(|e| e.to_string())?,
            text(case, "string_to_sign"),
        )?;
        // The same parameters fed straight from their JSON text (the bindings' path).
        let json = ecommpay::JsonParams::new(text(case, "params_json").as_bytes(), "params");
        expect_eq(
            "string_to_sign from JSON text",
            ecommpay::string_to_sign_params(&json).map_err(|e| e.to_string())?,
            text(case, "string_to_sign"),
        )?;
        expect_eq(
            "signature from JSON text",
            ecommpay::Signer::new(text(case, "secret"))
                .sign_params(&json)
                .map_err(|e| e.to_string())?,
            text(case, "signature"),
        )?;
        expect_eq(
            "signature",
            ecommpay::sign(&p, text(case, "secret")).map_err(|e| e.to_string())?,
            text(case, "signature"),
        )
    });
}

#[test]
fn ecommpay_natsort() {
    check_all("ecommpay_natsort.json", |case| {
        let got = match php::natcmp(text(case, "a").as_bytes(), text(case, "b").as_bytes()) {
            Ordering::Less => -1,
            Ordering::Equal => 0,
            Ordering::Greater => 1,
        };
        let want = case["cmp"].as_i64().unwrap();
        if got == want {
            Ok(())
        } else {
            Err(format!(
                "natcmp({:?}, {:?}) = {got}, want {want}",
                case["a"], case["b"]
            ))
        }
    });
}

#[test]
fn php_float_strings() {
    check_all("php_float.json", |case| {
        let value: f64 = text(case, "json_lexeme").parse().unwrap();
        expect_eq(
            "php_string",
            php::float_to_string(value),
            text(case, "php_string"),
        )
    });
}

#[test]
fn ecommpay_urls() {
    check_all("ecommpay_url.json", |case| {
        let url = ecommpay::payment_page_url(
            &params(case),
            text(case, "secret"),
            case["base_url"].as_str(),
        )
        .map_err(|e| e.to_string())?;
        expect_eq("url", url, text(case, "url"))
    });
}

#[test]
fn ecommpay_callbacks() {
    check_all("ecommpay_callback.json", |case| {
        let result = ecommpay::verify_callback(text(case, "body").as_bytes(), text(case, "secret"));
        match (result, case["valid"].as_bool().unwrap()) {
            (Ok(callback), true) => {
                expect_eq(
                    "payment_id",
                    callback.payment_id().unwrap_or_default(),
                    case["payment_id"].as_str().unwrap_or(""),
                )?;
                let status = callback
                    .payment_status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default();
                expect_eq(
                    "payment_status",
                    status,
                    case["payment_status"].as_str().unwrap_or(""),
                )?;
                // The signed content, recomputed from what the callback kept.
                expect_eq(
                    "string_to_sign",
                    ecommpay::string_to_sign(callback.raw()).unwrap(),
                    text(case, "string_to_sign"),
                )
            }
            (Err(error), false) => {
                let kind = match error.kind() {
                    ErrorKind::Signature => "signature",
                    ErrorKind::InvalidInput => "invalid_input",
                    other => return Err(format!("unexpected kind {other}")),
                };
                expect_eq("error", kind.to_owned(), text(case, "error"))
            }
            (Ok(_), false) => Err(format!("accepted, want error {}", case["error"])),
            (Err(error), true) => Err(format!("rejected ({}: {error}), want valid", error.code())),
        }
    });
}

fn body_bytes(case: &Value) -> Vec<u8> {
    match case["body_base64"].as_str() {
        Some(b64) => STANDARD.decode(b64).unwrap(),
        None => text(case, "body").as_bytes().to_vec(),
    }
}

#[test]
fn paycore_signatures() {
    check_all("paycore_signature.json", |case| {
        let body = body_bytes(case);
        let secret = text(case, "secret");
        expect_eq(
            "signature",
            paycore::sign_callback(&body, secret).map_err(|e| e.to_string())?,
            text(case, "signature"),
        )?;
        for check in case["verify"].as_array().unwrap() {
            let result = paycore::verify_callback(&body, text(check, "signature"), secret);
            match (result, check["error"].as_str()) {
                (Ok(()), None) => {}
                (Err(e), Some(code)) if e.code() == code && e.kind() == ErrorKind::Signature => {}
                (got, want) => {
                    return Err(format!(
                        "verify {:?}: got {got:?}, want {want:?}",
                        check["signature"]
                    ))
                }
            }
        }
        Ok(())
    });
    let doc = load("paycore_signature.json");
    for case in doc["secret_errors"].as_array().unwrap() {
        let err = paycore::sign_callback(b"{}", text(case, "secret")).unwrap_err();
        assert_eq!(err.code(), text(case, "error"), "{case}");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}

#[test]
fn paycore_callbacks() {
    check_all("paycore_callback.json", |case| {
        let result = paycore::callback::verify(
            text(case, "body").as_bytes(),
            text(case, "signature"),
            text(case, "secret"),
        );
        match (result, case["error"].as_str()) {
            (Ok(event), None) => {
                let want = &case["expected"];
                expect_eq("type", event.event_type().to_owned(), text(want, "type"))?;
                expect_eq("id", event.id().to_owned(), text(want, "id"))?;
                expect_eq(
                    "status",
                    event.status().to_owned(),
                    want["status"].as_str().unwrap_or(""),
                )?;
                if event.is_final() != want["is_final"].as_bool().unwrap()
                    || event.is_success() != want["is_success"].as_bool().unwrap()
                {
                    return Err(format!(
                        "is_final/is_success {}/{}",
                        event.is_final(),
                        event.is_success()
                    ));
                }
                let (amount, currency, reference_id, test_mode, resolution) = match &event {
                    CallbackEvent::PaymentInvoice { invoice, .. } => (
                        invoice.amount,
                        invoice.currency.clone(),
                        invoice.reference_id.clone(),
                        invoice.test_mode,
                        invoice.resolution.as_ref().map(|r| r.as_str().to_owned()),
                    ),
                    CallbackEvent::PayoutInvoice { invoice, .. } => (
                        invoice.amount,
                        invoice.currency.clone(),
                        invoice.reference_id.clone(),
                        invoice.test_mode,
                        invoice.resolution.as_ref().map(|r| r.as_str().to_owned()),
                    ),
                    _ => (None, None, None, None, None),
                };
                let got = serde_json::json!({
                    "amount": amount.map(|a| a.to_string()),
                    "currency": currency,
                    "reference_id": reference_id,
                    "test_mode": test_mode,
                    "resolution": resolution.map(|r| r.to_lowercase()),
                });
                let want_subset = serde_json::json!({
                    "amount": want["amount"],
                    "currency": want["currency"],
                    "reference_id": want["reference_id"],
                    "test_mode": want["test_mode"],
                    "resolution": want["resolution"].as_str().map(str::to_lowercase),
                });
                if got == want_subset {
                    Ok(())
                } else {
                    Err(format!("fields {got} != {want_subset}"))
                }
            }
            (Err(error), Some(kind)) => expect_eq("error", error.kind().as_str().to_owned(), kind),
            (got, want) => Err(format!("got {got:?}, want error {want:?}")),
        }
    });
}

fn environment(case: &Value) -> Environment {
    Environment::resolve(case["env"].as_str(), case["base_url"].as_str()).unwrap()
}

#[test]
fn paycore_hpp() {
    check_all("paycore_hpp.json", |case| {
        let hpp = HppParams::from_json(&params(case)).map_err(|e| e.to_string())?;
        let env = environment(case);
        expect_eq("url", hpp.url(&env).unwrap(), text(case, "url"))?;
        if let Some(refusal) = case.get("form_error") {
            let error = hpp
                .form(&env)
                .expect_err("a form without what a create needs");
            expect_eq(
                "kind",
                error.kind().as_str().to_owned(),
                text(refusal, "kind"),
            )?;
            return expect_eq(
                "argument",
                error.argument().unwrap_or_default().to_owned(),
                text(refusal, "argument"),
            );
        }
        let form = hpp.form(&env).unwrap();
        expect_eq("action", form.action.clone(), text(&case["form"], "action"))?;
        let want: Vec<(String, String)> =
            serde_json::from_value(case["form"]["fields"].clone()).unwrap();
        if form.fields == want {
            Ok(())
        } else {
            Err(format!("fields {:?} != {want:?}", form.fields))
        }
    });
    let doc = load("paycore_hpp.json");
    for case in doc["errors"].as_array().unwrap() {
        let err = HppParams::from_json(&params(case)).expect_err(text(case, "id"));
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{}: {err}", case["id"]);
    }
}

/// Gate requests as the client sends them: the body (project id added, signature in
/// `general.signature`) and the path equal what the official Python SDK's signer gave, and the
/// signed body verifies as a callback would.
#[test]
fn ecommpay_gate_requests() {
    let doc = load("ecommpay_gate.json");
    let secret = doc["secret"].as_str().unwrap().to_owned();
    let gate = ecommpay::GateApi::new(
        doc["project_id"].as_i64().unwrap(),
        &secret,
        ecommpay::GateOptions::default(),
    )
    .unwrap();
    check_all("ecommpay_gate.json", |case| {
        let operation = ecommpay::GateOperation::parse(text(case, "operation"))
            .ok_or_else(|| format!("unknown operation {}", case["operation"]))?;
        let request = ecommpay::GateRequest {
            body: case["request"].as_object().unwrap().clone(),
            method: case["method"].as_str().map(str::to_owned),
        };
        let (path, body) = gate
            .signed_request(operation, request)
            .map_err(|e| format!("{e:?}"))?;
        expect_eq("path", path.as_str(), text(case, "path"))?;
        if Value::Object(body.clone()) != case["body"] {
            return Err(format!("body: got {body:?}, want {}", case["body"]));
        }
        let raw = serde_json::to_vec(&body).unwrap();
        ecommpay::verify_callback(&raw, &secret)
            .map(drop)
            .map_err(|e| format!("the signed body does not verify: {e:?}"))
    });
}
