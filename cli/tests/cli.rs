//! The `polypay` binary as users and other tests drive it: stdin in, stdout/stderr and exit codes out.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn polypay(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_polypay"))
        .args(args)
        .env_remove("POLYPAY_SECRET_KEY")
        .env_remove("POLYPAY_ECOMMPAY_SECRET")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("polypay runs");
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    // Write on a thread: the CLI may stop reading early (oversized input).
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

const DOCS_PARAMS: &str = r#"{"project_id":12345,"payment_id":"X03936","payment_amount":3550,"payment_currency":"USD","payment_description":"Guyliner purchase","customer_first_name":"Jack","customer_last_name":"Sparrow","customer_phone":"02081234567"}"#;

#[test]
fn ecommpay_sign_and_explain() {
    let out = polypay(
        &["ecommpay", "sign", "--secret", "secret", "--explain"],
        DOCS_PARAMS.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "e+kuzNpbptuGG4G7WxjuT8EFh90v2eMCh2EQ4y+hq5XX/aptGzhpi7a0uk/c7HdXj7M2o33WLrMNLEKD8yl3Kg==\n"
    );
    assert!(stderr(&out).starts_with("customer_first_name:Jack;customer_last_name:Sparrow;"));
}

#[test]
fn ecommpay_url_adds_nothing() {
    let out = polypay(
        &["ecommpay", "url", "--secret", "secret"],
        br#"{"project_id":1,"b":"x y"}"#,
    );
    assert_eq!(out.status.code(), Some(0));
    let url = stdout(&out);
    assert!(
        url.starts_with("https://paymentpage.ecommpay.com/payment?project_id=1&b=x+y&signature="),
        "{url}"
    );
}

#[test]
fn ecommpay_verify_exit_codes() {
    let signature = stdout(&polypay(
        &["ecommpay", "sign", "--secret", "k"],
        br#"{"payment":{"id":"p1","status":"success"}}"#,
    ));
    let body = format!(
        r#"{{"payment":{{"id":"p1","status":"success"}},"signature":"{}"}}"#,
        signature.trim()
    );
    let ok = polypay(&["ecommpay", "verify", "--secret", "k"], body.as_bytes());
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(stdout(&ok).contains(r#""payment_id":"p1""#));

    let tampered = polypay(
        &["ecommpay", "verify", "--secret", "k"],
        body.replace("success", "decline").as_bytes(),
    );
    assert_eq!(tampered.status.code(), Some(1));
    assert!(stderr(&tampered).contains("mismatch"));

    let garbage = polypay(&["ecommpay", "verify", "--secret", "k"], b"not json");
    assert_eq!(garbage.status.code(), Some(2));
}

#[test]
fn paycore_sign_and_verify() {
    let body = br#"{"data":{"type":"payment-invoices","id":"cpi_TEST123","attributes":{"status":"processed","resolution":"ok","reference_id":"order-1","amount":100,"currency":"USD","test_mode":true}}}"#;
    let out = polypay(&["paycore", "sign", "--secret", "sk_test_EXAMPLEKEY"], body);
    assert_eq!(stdout(&out), "R7a2MuC2EwiC2MPFd+8JNv0z9jw=\n");

    let ok = polypay(
        &[
            "paycore",
            "verify",
            "--secret",
            "sk_test_EXAMPLEKEY",
            "--signature",
            "R7a2MuC2EwiC2MPFd+8JNv0z9jw=",
        ],
        body,
    );
    assert_eq!(ok.status.code(), Some(0));
    assert!(stdout(&ok).contains(r#""status":"processed""#));
    assert!(stdout(&ok).contains(r#""is_success":true"#));

    let hex = polypay(
        &[
            "paycore",
            "verify",
            "--secret",
            "sk_test_EXAMPLEKEY",
            "--signature",
            "47b6b632e0b6130882d8c3c577ef0936fd33f63c",
        ],
        body,
    );
    assert_eq!(hex.status.code(), Some(1));
    assert!(stderr(&hex).contains("hex"));

    let public_key = polypay(&["paycore", "sign", "--secret", "pk_test_x"], body);
    assert_eq!(public_key.status.code(), Some(2));
    assert!(stderr(&public_key).contains("public key"));
}

#[test]
fn secrets_come_from_the_environment_too() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_polypay"))
        .args(["paycore", "sign"])
        .env("POLYPAY_SECRET_KEY", "sk_test_EXAMPLEKEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out), "J1JYUuEJGY/kxpIK2LIdpzOxO1k=\n");
}

#[test]
fn paycore_hpp_url_and_form() {
    let params =
        br#"{"public_key":"pk_test_1","amount":"100.50","currency":"USD","reference_id":"r 1"}"#;
    let url = polypay(&["paycore", "hpp-url", "--env", "paymega"], params);
    assert_eq!(
        stdout(&url),
        "https://api.paymega.io/hpp/?public_key=pk_test_1&amount=100.5&currency=USD&reference_id=r+1\n"
    );
    let custom = polypay(
        &[
            "paycore",
            "hpp-url",
            "--base-url",
            "https://pay.example.com/",
        ],
        params,
    );
    assert!(stdout(&custom).starts_with("https://pay.example.com/hpp/?"));

    let form = polypay(&["paycore", "hpp-form", "--format", "json"], params);
    let data: serde_json::Value = serde_json::from_slice(&form.stdout).unwrap();
    assert_eq!(
        data["action"],
        "https://com.paycore.io/public-api/payment-invoices/process"
    );
    assert_eq!(data["fields"][1], serde_json::json!(["amount", "100.5"]));

    let html = polypay(
        &["paycore", "hpp-form"],
        br#"{"public_key":"pk_test_1","amount":1,"currency":"USD","description":"\"><script>"}"#,
    );
    assert!(stdout(&html).contains(r#"value="&quot;&gt;&lt;script&gt;""#));

    let bad = polypay(
        &["paycore", "hpp-url"],
        br#"{"public_key":"pk_test_1","amount":"1.001","currency":"USD"}"#,
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("amount"));
}

#[test]
fn unusable_input_exits_2_with_one_line() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("larger than", vec![b' '; 10 * 1024 * 1024 + 1]),
        ("UTF-8", b"{\"a\":\"\xff\xfe\"}".to_vec()),
        ("JSON object", b"[1,2]".to_vec()),
        ("not valid JSON", b"{".to_vec()),
        (
            "deeper than 64",
            format!("{{\"a\":{}1{}}}", "[".repeat(64), "]".repeat(64)).into_bytes(),
        ),
    ];
    for (reason, input) in cases {
        let out = polypay(&["ecommpay", "sign", "--secret", "s"], &input);
        assert_eq!(out.status.code(), Some(2), "{reason}");
        let err = stderr(&out);
        assert!(err.contains(reason), "{reason}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // 64 levels in all is still fine.
    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(63), "]".repeat(63));
    assert_eq!(
        polypay(&["ecommpay", "sign", "--secret", "s"], deep.as_bytes())
            .status
            .code(),
        Some(0)
    );
}

/// A `polypay sandbox --port 0 --print-config` process, stopped on drop.
struct SandboxProcess {
    child: std::process::Child,
    config: serde_json::Value,
}

impl SandboxProcess {
    fn start() -> SandboxProcess {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_polypay"))
            .args(["sandbox", "--port", "0", "--print-config"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let config: serde_json::Value =
            serde_json::from_str(&line).expect("one JSON line once listening");
        SandboxProcess { child, config }
    }

    fn api(&self, args: &[&str]) -> Output {
        let paycore = &self.config["paycore"];
        Command::new(env!("CARGO_BIN_EXE_polypay"))
            .args(["paycore", "api"])
            .args(args)
            .env(
                "POLYPAY_BASE_URL",
                self.config["base_url"].as_str().unwrap(),
            )
            .env(
                "POLYPAY_PUBLIC_KEY",
                paycore["public_key_test"].as_str().unwrap(),
            )
            .env(
                "POLYPAY_ACCOUNT_ID",
                paycore["account_id"].as_str().unwrap(),
            )
            .env("POLYPAY_API_KEY", paycore["api_key"].as_str().unwrap())
            .env(
                "POLYPAY_SECRET_KEY",
                paycore["secret_key_test"].as_str().unwrap(),
            )
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn json_out(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("stdout: {} stderr: {}", stdout(output), stderr(output)))
}

fn json_err(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stderr).unwrap_or_else(|_| panic!("stderr: {}", stderr(output)))
}

#[test]
fn sandbox_print_config_has_every_credential() {
    let sandbox = SandboxProcess::start();
    let c = &sandbox.config;
    assert!(c["base_url"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    for key in [
        "account_id",
        "api_key",
        "public_key_test",
        "secret_key_test",
        "public_key_live",
        "secret_key_live",
    ] {
        assert!(c["paycore"][key].is_string(), "{key}");
    }
    for key in ["project_id", "secret_key", "payment_page_base_url"] {
        assert!(!c["ecommpay"][key].is_null(), "{key}");
    }
}

#[test]
fn paycore_api_operations_against_the_sandbox() {
    let sandbox = SandboxProcess::start();
    let create = sandbox.api(&[
        "create-payment-invoice",
        "--json",
        r#"{"reference_id": "cli-1", "amount": "100.55", "currency": "USD", "service": "test_usd_test", "service_fields": {"status": "success"}}"#,
    ]);
    assert_eq!(create.status.code(), Some(0), "{}", stderr(&create));
    let invoice = json_out(&create);
    assert_eq!(
        (invoice["status"].as_str(), invoice["reference_id"].as_str()),
        (Some("processed"), Some("cli-1"))
    );
    assert_eq!(invoice["amount"].to_string(), "100.55");
    let id = invoice["id"].as_str().unwrap().to_owned();

    assert_eq!(
        json_out(&sandbox.api(&["get-payment-invoice", "--id", &id]))["id"],
        id.as_str()
    );
    assert_eq!(
        json_out(&sandbox.api(&["find-payment-invoice", "--reference-id", "cli-1"]))["id"],
        id.as_str()
    );
    assert_eq!(
        json_out(&sandbox.api(&["find-payment-invoice", "--reference-id", "none"])),
        serde_json::Value::Null
    );
    for i in 2..=4 {
        let body = format!(
            r#"{{"reference_id": "cli-{i}", "amount": 5, "currency": "USD", "service": "test_usd_test", "service_fields": {{"status": "pending"}}}}"#
        );
        assert_eq!(
            sandbox
                .api(&["create-payment-invoice", "--json", &body])
                .status
                .code(),
            Some(0)
        );
    }
    let all = json_out(&sandbox.api(&["list-payment-invoices", "--page-size", "2"]));
    assert_eq!(all.as_array().unwrap().len(), 4, "every item across pages");
    let limited =
        json_out(&sandbox.api(&["list-payment-invoices", "--page-size", "2", "--limit", "3"]));
    assert_eq!(limited.as_array().unwrap().len(), 3);
    let refund = json_out(&sandbox.api(&[
        "refund-payment-invoice",
        "--id",
        &id,
        "--json",
        r#"{"amount": "10"}"#,
    ]));
    assert_eq!(refund["original_id"], id.as_str());
    let payout = json_out(&sandbox.api(&[
        "create-payout-invoice",
        "--json",
        r#"{"amount": "7.50", "currency": "USD", "service": "test_usd", "fields": {"account": "12345"}}"#,
    ]));
    assert_eq!(payout["status"], "processed");
    assert!(json_out(&sandbox.api(&["balances"]))["currency_accounts"]["USD"].is_object());
    assert!(
        json_out(&sandbox.api(&["list-payment-services"]))
            .as_array()
            .unwrap()
            .len()
            > 5
    );
    let pre = json_out(&sandbox.api(&["payment-prerequest", "--json", r#"{"currency": "USD"}"#]));
    assert!(pre["services"]["test_usd_test"].is_object());

    // Failures: one JSON object on stderr, an exit code per kind.
    let cases: Vec<(Vec<&str>, u8, &str)> = vec![
        (
            vec!["get-payment-invoice", "--id", "cpi_nothing"],
            6,
            "not_found",
        ),
        (
            vec![
                "create-payment-invoice",
                "--json",
                r#"{"amount": "1.001", "currency": "USD", "service": "test_usd_test"}"#,
            ],
            2,
            "invalid_input",
        ),
        (
            vec![
                "create-payment-invoice",
                "--json",
                r#"{"amount": "99999999", "currency": "USD", "service": "test_usd_test"}"#,
            ],
            9,
            "validation",
        ),
        (vec!["get-payment-invoice"], 2, "invalid_input"),
        (
            vec![
                "refund-payment-invoice",
                "--id",
                &id,
                "--json",
                r#"{"amount": "1000"}"#,
            ],
            9,
            "validation",
        ),
    ];
    for (args, code, kind) in cases {
        let out = sandbox.api(&args);
        assert_eq!(
            out.status.code(),
            Some(code as i32),
            "{args:?}: {}",
            stderr(&out)
        );
        let error = json_err(&out);
        assert_eq!(error["kind"], kind, "{error}");
        for field in ["http_status", "request_id", "outcome_unknown", "message"] {
            assert!(error.get(field).is_some(), "{field} in {error}");
        }
    }
    let mut wrong = Command::new(env!("CARGO_BIN_EXE_polypay"));
    wrong
        .args(["paycore", "api", "balances"])
        .env(
            "POLYPAY_BASE_URL",
            sandbox.config["base_url"].as_str().unwrap(),
        )
        .env("POLYPAY_ACCOUNT_ID", "coma_sandbox")
        .env("POLYPAY_API_KEY", "wrong-key");
    let out = wrong.output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(
        !stderr(&out).contains("wrong-key"),
        "the API key never appears"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_polypay"))
        .args(["paycore", "api", "balances"])
        .env(
            "POLYPAY_BASE_URL",
            sandbox.config["base_url"].as_str().unwrap(),
        )
        .env_remove("POLYPAY_ACCOUNT_ID")
        .env_remove("POLYPAY_API_KEY")
        .output()
        .unwrap();
    assert_eq!(
        (out.status.code(), json_err(&out)["kind"].as_str()),
        (Some(3), Some("configuration"))
    );
}
