//! The `polypay` binary as users and other tests drive it: stdin in, stdout/stderr and exit codes out.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs the CLI with `stdin`, the secrets' variables removed, then `env` set.
fn polypay_env(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_polypay"));
    command
        .args(args)
        .env_remove("POLYPAY_SECRET_KEY")
        .env_remove("POLYPAY_ECOMMPAY_SECRET")
        .env_remove("POLYPAY_API_KEY")
        .env_remove("POLYPAY_ACCOUNT_ID")
        .env_remove("POLYPAY_PUBLIC_KEY")
        .env_remove("POLYPAY_BASE_URL")
        .env_remove("POLYPAY_ENV");
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command
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

/// Runs the CLI with no secret in its environment.
fn polypay(args: &[&str], stdin: &[u8]) -> Output {
    polypay_env(args, &[], stdin)
}

/// The ecommpay commands with the secret in POLYPAY_ECOMMPAY_SECRET.
fn ecommpay(args: &[&str], secret: &str, stdin: &[u8]) -> Output {
    let mut all = vec!["ecommpay"];
    all.extend_from_slice(args);
    polypay_env(&all, &[("POLYPAY_ECOMMPAY_SECRET", secret)], stdin)
}

/// The paycore commands with the secret in POLYPAY_SECRET_KEY.
fn paycore(args: &[&str], secret: &str, stdin: &[u8]) -> Output {
    let mut all = vec!["paycore"];
    all.extend_from_slice(args);
    polypay_env(&all, &[("POLYPAY_SECRET_KEY", secret)], stdin)
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
    let out = ecommpay(&["sign", "--explain"], "secret", DOCS_PARAMS.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "e+kuzNpbptuGG4G7WxjuT8EFh90v2eMCh2EQ4y+hq5XX/aptGzhpi7a0uk/c7HdXj7M2o33WLrMNLEKD8yl3Kg==\n"
    );
    assert!(stderr(&out).starts_with("customer_first_name:Jack;customer_last_name:Sparrow;"));
}

#[test]
fn ecommpay_url_adds_nothing() {
    let out = ecommpay(&["url"], "secret", br#"{"project_id":1,"b":"x y"}"#);
    assert_eq!(out.status.code(), Some(0));
    let url = stdout(&out);
    assert!(
        url.starts_with("https://paymentpage.ecommpay.com/payment?project_id=1&b=x+y&signature="),
        "{url}"
    );
}

#[test]
fn ecommpay_verify_exit_codes() {
    let signature = stdout(&ecommpay(
        &["sign"],
        "k",
        br#"{"payment":{"id":"p1","status":"success"}}"#,
    ));
    let body = format!(
        r#"{{"payment":{{"id":"p1","status":"success"}},"signature":"{}"}}"#,
        signature.trim()
    );
    let ok = ecommpay(&["verify"], "k", body.as_bytes());
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(stdout(&ok).contains(r#""payment_id":"p1""#));

    let tampered = ecommpay(
        &["verify"],
        "k",
        body.replace("success", "decline").as_bytes(),
    );
    assert_eq!(tampered.status.code(), Some(1));
    assert!(stderr(&tampered).contains("mismatch"));

    let garbage = ecommpay(&["verify"], "k", b"not json");
    assert_eq!(garbage.status.code(), Some(2));
}

#[test]
fn paycore_sign_and_verify() {
    let body = br#"{"data":{"type":"payment-invoices","id":"cpi_TEST123","attributes":{"status":"processed","resolution":"ok","reference_id":"order-1","amount":100,"currency":"USD","test_mode":true}}}"#;
    let out = paycore(&["sign"], "sk_test_EXAMPLEKEY", body);
    assert_eq!(stdout(&out), "R7a2MuC2EwiC2MPFd+8JNv0z9jw=\n");

    let ok = paycore(
        &["verify", "--signature", "R7a2MuC2EwiC2MPFd+8JNv0z9jw="],
        "sk_test_EXAMPLEKEY",
        body,
    );
    assert_eq!(ok.status.code(), Some(0));
    assert!(stdout(&ok).contains(r#""status":"processed""#));
    assert!(stdout(&ok).contains(r#""is_success":true"#));

    let hex = paycore(
        &[
            "verify",
            "--signature",
            "47b6b632e0b6130882d8c3c577ef0936fd33f63c",
        ],
        "sk_test_EXAMPLEKEY",
        body,
    );
    assert_eq!(hex.status.code(), Some(1));
    assert!(stderr(&hex).contains("hex"));

    let public_key = paycore(&["sign"], "pk_test_x", body);
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

    // The auto-redirect form creates the invoice: it needs a service too.
    let form_params = br#"{"public_key":"pk_test_1","amount":"100.50","currency":"USD","reference_id":"r 1","service":"payment_card_usd_hpp"}"#;
    let form = polypay(&["paycore", "hpp-form", "--format", "json"], form_params);
    let data: serde_json::Value = serde_json::from_slice(&form.stdout).unwrap();
    assert_eq!(
        data["action"],
        "https://com.paycore.io/public-api/payment-invoices/process"
    );
    assert_eq!(data["fields"][1], serde_json::json!(["amount", "100.5"]));

    let html = polypay(
        &["paycore", "hpp-form"],
        br#"{"public_key":"pk_test_1","amount":1,"currency":"USD","service":"s","description":"\"><script>"}"#,
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
        let out = ecommpay(&["sign"], "s", &input);
        assert_eq!(out.status.code(), Some(2), "{reason}");
        let err = stderr(&out);
        assert!(err.contains(reason), "{reason}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // 64 levels in all is still fine.
    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(63), "]".repeat(63));
    assert_eq!(
        ecommpay(&["sign"], "s", deep.as_bytes()).status.code(),
        Some(0)
    );
}

const DOCS_SIGNATURE: &str =
    "e+kuzNpbptuGG4G7WxjuT8EFh90v2eMCh2EQ4y+hq5XX/aptGzhpi7a0uk/c7HdXj7M2o33WLrMNLEKD8yl3Kg==\n";
const PAYCORE_BODY: &[u8] = br#"{"data":{"type":"payment-invoices","id":"cpi_TEST123","attributes":{"status":"processed","resolution":"ok","reference_id":"order-1","amount":100,"currency":"USD","test_mode":true}}}"#;
const PAYCORE_SIGNATURE: &str = "R7a2MuC2EwiC2MPFd+8JNv0z9jw=";

/// A file under the test target's scratch directory, removed on drop.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(contents: &[u8]) -> TempFile {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "polypay-cli-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }

    /// `@PATH`, as `--json` takes it.
    fn at(&self) -> String {
        format!("@{}", self.path())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn the_secret_comes_from_the_environment_a_file_or_stdin() {
    let params = TempFile::new(DOCS_PARAMS.as_bytes());
    let with_newline = TempFile::new(b"secret\n");
    let with_crlf = TempFile::new(b"secret\r\n");
    let bare = TempFile::new(b"secret");
    let wrong = [("POLYPAY_ECOMMPAY_SECRET", "not-the-secret")];
    let docs = DOCS_PARAMS.as_bytes();
    let cases: Vec<(&str, Output)> = vec![
        ("env", ecommpay(&["sign"], "secret", docs)),
        (
            "env, --json -",
            ecommpay(&["sign", "--json", "-"], "secret", docs),
        ),
        (
            "env, --json @file",
            ecommpay(&["sign", "--json", &params.at()], "secret", b""),
        ),
        (
            "env, inline --json",
            ecommpay(&["sign", "--json", DOCS_PARAMS], "secret", b""),
        ),
        (
            "--secret-file (newline stripped)",
            polypay(
                &["ecommpay", "sign", "--secret-file", with_newline.path()],
                docs,
            ),
        ),
        (
            "--secret-file (CRLF stripped)",
            polypay(
                &["ecommpay", "sign", "--secret-file", with_crlf.path()],
                docs,
            ),
        ),
        (
            "--secret-file over the environment",
            polypay_env(
                &["ecommpay", "sign", "--secret-file", bare.path()],
                &wrong,
                docs,
            ),
        ),
        (
            "--secret-file - with --json @file",
            polypay(
                &[
                    "ecommpay",
                    "sign",
                    "--secret-file",
                    "-",
                    "--json",
                    &params.at(),
                ],
                b"secret\n",
            ),
        ),
    ];
    for (how, out) in cases {
        assert_eq!(out.status.code(), Some(0), "{how}: {}", stderr(&out));
        assert_eq!(stdout(&out), DOCS_SIGNATURE, "{how}");
    }

    // url and verify take the same sources.
    let url = polypay(
        &[
            "ecommpay",
            "url",
            "--secret-file",
            "-",
            "--json",
            &params.at(),
        ],
        b"secret",
    );
    assert!(
        stdout(&url).contains("&signature=e%2BkuzNpb"),
        "{}",
        stderr(&url)
    );
    let callback = format!(
        "{},\"signature\":\"{}\"}}",
        DOCS_PARAMS.trim_end_matches('}'),
        DOCS_SIGNATURE.trim()
    );
    let callback_file = TempFile::new(callback.as_bytes());
    let verify = polypay(
        &[
            "ecommpay",
            "verify",
            "--secret-file",
            "-",
            "--json",
            &callback_file.at(),
        ],
        b"secret\n",
    );
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));
    assert!(stdout(&verify).starts_with(r#"{"valid":true"#));

    // PayCore: the raw body from --body (or --json) @file, the key from a file or stdin.
    let body = TempFile::new(PAYCORE_BODY);
    let key = TempFile::new(b"sk_test_EXAMPLEKEY\n");
    let paycore_cases: Vec<(&str, Output)> = vec![
        (
            "env, --body @file",
            paycore(&["sign", "--body", &body.at()], "sk_test_EXAMPLEKEY", b""),
        ),
        (
            "--secret-file, stdin body",
            polypay(
                &["paycore", "sign", "--secret-file", key.path()],
                PAYCORE_BODY,
            ),
        ),
        (
            "--secret-file -, --json @file",
            polypay(
                &[
                    "paycore",
                    "sign",
                    "--secret-file",
                    "-",
                    "--json",
                    &body.at(),
                ],
                b"sk_test_EXAMPLEKEY\n",
            ),
        ),
    ];
    for (how, out) in paycore_cases {
        assert_eq!(out.status.code(), Some(0), "{how}: {}", stderr(&out));
        assert_eq!(stdout(&out), format!("{PAYCORE_SIGNATURE}\n"), "{how}");
    }
    let verified = polypay(
        &[
            "paycore",
            "verify",
            "--secret-file",
            "-",
            "--body",
            &body.at(),
            "--signature",
            PAYCORE_SIGNATURE,
        ],
        b"sk_test_EXAMPLEKEY",
    );
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    assert!(stdout(&verified).contains(r#""is_success":true"#));

    // Bodies without secrets: hpp-url reads --json @file too.
    let hpp = TempFile::new(br#"{"public_key":"pk_test_1","amount":"1","currency":"USD"}"#);
    let url = polypay(&["paycore", "hpp-url", "--json", &hpp.at()], b"");
    assert_eq!(url.status.code(), Some(0), "{}", stderr(&url));
    assert!(stdout(&url).starts_with("https://com.paycore.io/hpp/?public_key=pk_test_1"));
}

#[test]
fn a_missing_or_empty_secret_exits_2_naming_where_it_goes() {
    let empty = TempFile::new(b"");
    let just_newline = TempFile::new(b"\n");
    let cases: Vec<(Output, &[&str])> = vec![
        (
            polypay(&["ecommpay", "sign"], DOCS_PARAMS.as_bytes()),
            &["POLYPAY_ECOMMPAY_SECRET", "--secret-file", "missing"],
        ),
        (
            polypay(&["ecommpay", "verify"], b"{}"),
            &["POLYPAY_ECOMMPAY_SECRET", "--secret-file"],
        ),
        (
            polypay(&["ecommpay", "url"], b"{}"),
            &["POLYPAY_ECOMMPAY_SECRET", "--secret-file"],
        ),
        (
            polypay(&["paycore", "sign"], PAYCORE_BODY),
            &["POLYPAY_SECRET_KEY", "--secret-file", "missing"],
        ),
        (
            polypay(&["paycore", "verify", "--signature", "x"], PAYCORE_BODY),
            &["POLYPAY_SECRET_KEY", "--secret-file"],
        ),
        (
            ecommpay(&["sign"], "", DOCS_PARAMS.as_bytes()),
            &["POLYPAY_ECOMMPAY_SECRET", "empty"],
        ),
        (
            paycore(&["sign"], "", PAYCORE_BODY),
            &["POLYPAY_SECRET_KEY", "empty"],
        ),
        (
            polypay(&["ecommpay", "sign", "--secret-file", empty.path()], b"{}"),
            &["--secret-file", "empty"],
        ),
        (
            polypay(
                &["paycore", "sign", "--secret-file", just_newline.path()],
                PAYCORE_BODY,
            ),
            &["--secret-file", "empty"],
        ),
        (
            polypay(
                &["ecommpay", "sign", "--secret-file", "-", "--json", "{}"],
                b"",
            ),
            &["--secret-file", "empty"],
        ),
        (
            polypay(
                &[
                    "ecommpay",
                    "sign",
                    "--secret-file",
                    "/nonexistent/polypay-key",
                ],
                b"{}",
            ),
            &["--secret-file", "cannot read /nonexistent/polypay-key"],
        ),
        (
            // stdin cannot carry both the secret and the body
            polypay(&["ecommpay", "sign", "--secret-file", "-"], b"secret\n{}"),
            &["--json", "--secret-file", "stdin"],
        ),
        (
            polypay(
                &["paycore", "sign", "--secret-file", "-", "--body", "-"],
                b"sk_test_x\n{}",
            ),
            &["--body", "--secret-file", "stdin"],
        ),
    ];
    for (out, needles) in cases {
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{needles:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty());
        for needle in needles {
            assert!(err.contains(needle), "{needle} in {err}");
        }
    }
}

#[test]
fn the_secret_never_appears_in_any_output() {
    const SECRET: &str = "TOPSECRET-4242-do-not-print";
    let callback = format!(
        "{},\"signature\":\"{}\"}}",
        DOCS_PARAMS.trim_end_matches('}'),
        DOCS_SIGNATURE.trim()
    );
    let padded = format!(" {SECRET}");
    let public = format!("pk_test_{SECRET}");
    let secret_file = TempFile::new(format!("{SECRET}\n\n").as_bytes());
    let public_file = TempFile::new(public.as_bytes());
    let params = TempFile::new(DOCS_PARAMS.as_bytes());
    let runs: Vec<(&str, Output)> = vec![
        (
            "sign --explain",
            ecommpay(&["sign", "--explain"], SECRET, DOCS_PARAMS.as_bytes()),
        ),
        ("url", ecommpay(&["url"], SECRET, DOCS_PARAMS.as_bytes())),
        ("bad JSON", ecommpay(&["sign", "--explain"], SECRET, b"{")),
        (
            "invalid signature",
            ecommpay(&["verify"], SECRET, callback.as_bytes()),
        ),
        (
            "whitespace",
            ecommpay(&["sign"], &padded, DOCS_PARAMS.as_bytes()),
        ),
        (
            "two newlines in the file",
            polypay(
                &["ecommpay", "sign", "--secret-file", secret_file.path()],
                DOCS_PARAMS.as_bytes(),
            ),
        ),
        (
            "stdin secret, --explain",
            polypay(
                &[
                    "ecommpay",
                    "sign",
                    "--explain",
                    "--secret-file",
                    "-",
                    "--json",
                    &params.at(),
                ],
                SECRET.as_bytes(),
            ),
        ),
        ("paycore sign", paycore(&["sign"], SECRET, PAYCORE_BODY)),
        (
            "paycore public key",
            paycore(&["sign"], &public, PAYCORE_BODY),
        ),
        (
            "paycore public key file",
            polypay(
                &["paycore", "sign", "--secret-file", public_file.path()],
                PAYCORE_BODY,
            ),
        ),
        (
            "paycore verify mismatch",
            paycore(
                &["verify", "--signature", PAYCORE_SIGNATURE],
                &format!("sk_test_{SECRET}"),
                PAYCORE_BODY,
            ),
        ),
        (
            "api with a public key as secret key",
            polypay_env(
                &["paycore", "api", "balances"],
                &[("POLYPAY_SECRET_KEY", &public)],
                b"",
            ),
        ),
        (
            "api with a public key file",
            polypay(
                &[
                    "paycore",
                    "api",
                    "balances",
                    "--secret-file",
                    public_file.path(),
                ],
                b"",
            ),
        ),
        (
            "api with a padded api key",
            polypay_env(
                &["paycore", "api", "balances"],
                &[
                    ("POLYPAY_API_KEY", &padded),
                    ("POLYPAY_ACCOUNT_ID", "coma_x"),
                ],
                b"",
            ),
        ),
        (
            "api key file with two newlines",
            polypay_env(
                &[
                    "paycore",
                    "api",
                    "balances",
                    "--api-key-file",
                    secret_file.path(),
                ],
                &[("POLYPAY_ACCOUNT_ID", "coma_x")],
                b"",
            ),
        ),
    ];
    for (what, out) in runs {
        let (out_text, err_text) = (stdout(&out), stderr(&out));
        assert!(
            !out_text.contains(SECRET) && !err_text.contains(SECRET),
            "{what}: the secret was printed:\n{out_text}\n{err_text}"
        );
    }
    // The errors name the secret's source instead.
    let public_key = paycore(&["sign"], &public, PAYCORE_BODY);
    assert_eq!(public_key.status.code(), Some(2));
    assert!(stderr(&public_key).contains("POLYPAY_SECRET_KEY: is a public key"));
    let file = polypay(
        &["ecommpay", "sign", "--secret-file", secret_file.path()],
        DOCS_PARAMS.as_bytes(),
    );
    assert_eq!(file.status.code(), Some(2));
    assert!(
        stderr(&file).contains("--secret-file: has leading or trailing whitespace"),
        "{}",
        stderr(&file)
    );
    let padded_env = ecommpay(&["url"], &padded, DOCS_PARAMS.as_bytes());
    assert_eq!(padded_env.status.code(), Some(2));
    assert!(stderr(&padded_env).contains("POLYPAY_ECOMMPAY_SECRET: has leading or trailing"));
}

#[test]
fn bodies_from_missing_or_oversized_files_exit_2() {
    let missing = "@/nonexistent/polypay-body.json";
    let big = TempFile::new(&vec![b' '; 10 * 1024 * 1024 + 1]);
    for args in [
        vec!["ecommpay", "sign", "--json", missing],
        vec!["ecommpay", "verify", "--json", missing],
        vec!["paycore", "sign", "--body", missing],
        vec!["paycore", "hpp-url", "--json", missing],
        vec!["ecommpay", "sign", "--json", &big.at()],
        vec!["paycore", "verify", "--signature", "x", "--body", &big.at()],
    ] {
        let out = polypay_env(
            &args,
            &[
                ("POLYPAY_ECOMMPAY_SECRET", "s"),
                ("POLYPAY_SECRET_KEY", "sk_test_x"),
            ],
            b"",
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("cannot read /nonexistent/polypay-body.json")
                || err.contains("larger than the 10 MB limit"),
            "{args:?}: {err}"
        );
    }
    // `@` alone is a usage error.
    let out = polypay(&["paycore", "hpp-url", "--json", "@"], b"");
    assert_eq!(out.status.code(), Some(2));
    // The Commerce API: a typed error before any request.
    let out = polypay(
        &[
            "paycore",
            "api",
            "create-payment-invoice",
            "--json",
            missing,
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let error = json_err(&out);
    assert_eq!(
        (error["kind"].as_str(), error["argument"].as_str()),
        (Some("invalid_input"), Some("--json"))
    );
}

#[test]
fn paycore_api_refuses_bad_timeouts() {
    for value in [
        "NaN",
        "nan",
        "-1",
        "-0.5",
        "0",
        "0.0",
        "1e19",
        "1e300",
        "inf",
        "-inf",
        "infinity",
        "86400.001",
        "1e-300",
    ] {
        let out = polypay(&["paycore", "api", "balances", "--timeout", value], b"");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{value}: {err}");
        assert!(!err.contains("panicked"), "{value}: {err}");
        let error = json_err(&out);
        assert_eq!(error["kind"], "invalid_input", "{value}: {error}");
        assert_eq!(error["code"], "invalid_timeout", "{value}: {error}");
        assert_eq!(error["argument"], "--timeout", "{value}: {error}");
        assert!(
            error["message"].as_str().unwrap().contains("86400"),
            "{error}"
        );
    }
    // Not a number at all: clap's usage error, exit 2 as well.
    let out = polypay(&["paycore", "api", "balances", "--timeout", "soon"], b"");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_shows_no_secret_on_the_command_line() {
    for args in [
        vec!["--help"],
        vec!["ecommpay", "sign", "--help"],
        vec!["ecommpay", "verify", "--help"],
        vec!["ecommpay", "url", "--help"],
        vec!["paycore", "sign", "--help"],
        vec!["paycore", "verify", "--help"],
        vec!["paycore", "api", "--help"],
    ] {
        let out = polypay(&args, b"");
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let help = stdout(&out);
        assert!(help.contains("--secret-file"), "{args:?}: {help}");
        assert!(!help.contains("--secret <"), "{args:?}: {help}");
    }
    // --secret is gone; clap's error does not echo the value.
    for args in [
        vec!["ecommpay", "sign", "--secret", "TOPSECRET-clap"],
        vec!["ecommpay", "sign", "--secret=TOPSECRET-clap"],
    ] {
        let out = polypay(&args, b"{}");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!stderr(&out).contains("TOPSECRET-clap"), "{}", stderr(&out));
    }
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
        self.api_command(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// `polypay paycore api ARGS` configured for this sandbox by its environment.
    fn api_command(&self, args: &[&str]) -> Command {
        let paycore = &self.config["paycore"];
        let mut command = Command::new(env!("CARGO_BIN_EXE_polypay"));
        command
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
            );
        command
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
    for key in [
        "project_id",
        "secret_key",
        "payment_page_base_url",
        "gate_base_url",
    ] {
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
    let refund_id = refund["id"].as_str().unwrap();
    assert_eq!(
        json_out(&sandbox.api(&["get-refund", "--id", refund_id]))["id"],
        refund_id
    );
    let reference = refund["reference_id"].as_str().unwrap();
    let refunds = json_out(&sandbox.api(&["list-refunds", "--reference-id", reference]));
    assert_eq!(refunds[0]["id"], refund_id);
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
    let payout_services = json_out(&sandbox.api(&["list-payout-services", "--page-size", "1"]));
    let first = payout_services[0]["id"].as_str().unwrap();
    assert_eq!(payout_services[0]["type"], "payout-services");
    assert_eq!(
        json_out(&sandbox.api(&["get-payout-service", "--id", first]))["id"],
        first
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

#[test]
fn paycore_api_takes_secrets_and_bodies_from_files_and_stdin() {
    let sandbox = SandboxProcess::start();
    let paycore = &sandbox.config["paycore"];
    let api_key = paycore["api_key"].as_str().unwrap();
    let key_file = TempFile::new(format!("{api_key}\n").as_bytes());
    let secret_file =
        TempFile::new(format!("{}\n", paycore["secret_key_test"].as_str().unwrap()).as_bytes());
    let body = TempFile::new(
        br#"{"reference_id": "cli-files-1", "amount": "3", "currency": "USD", "service": "test_usd_test", "service_fields": {"status": "success"}}"#,
    );
    let run = |args: &[&str], stdin: &[u8]| -> Output {
        let mut command = sandbox.api_command(args);
        command
            .env_remove("POLYPAY_API_KEY")
            .env_remove("POLYPAY_SECRET_KEY");
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    };

    let created = run(
        &[
            "create-payment-invoice",
            "--json",
            &body.at(),
            "--api-key-file",
            key_file.path(),
            "--secret-file",
            secret_file.path(),
            "--timeout",
            "30",
        ],
        b"",
    );
    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    let id = json_out(&created)["id"].as_str().unwrap().to_owned();

    // The API key from stdin, the body from a file.
    let again = run(
        &[
            "create-payment-invoice",
            "--json",
            &body.at(),
            "--api-key-file",
            "-",
        ],
        format!("{api_key}\n").as_bytes(),
    );
    assert_eq!(json_out(&again)["id"], id.as_str(), "{}", stderr(&again));
    // The body from stdin, the key from a file.
    let refund = run(
        &[
            "refund-payment-invoice",
            "--id",
            &id,
            "--json",
            "-",
            "--api-key-file",
            key_file.path(),
        ],
        br#"{"amount": "1"}"#,
    );
    assert_eq!(json_out(&refund)["original_id"], id.as_str());

    let empty = TempFile::new(b"\n");
    let failures: Vec<(Vec<&str>, &[u8], &str)> = vec![
        (
            vec!["balances", "--api-key-file", empty.path()],
            b"",
            "--api-key-file",
        ),
        (
            vec!["balances", "--api-key-file", "-", "--secret-file", "-"],
            b"",
            "--secret-file",
        ),
        (
            vec![
                "create-payment-invoice",
                "--api-key-file",
                "-",
                "--json",
                "-",
            ],
            b"",
            "--json",
        ),
        (
            vec!["balances", "--api-key-file", "/nonexistent/polypay-key"],
            b"",
            "--api-key-file",
        ),
    ];
    for (args, stdin, argument) in failures {
        let out = run(&args, stdin);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let error = json_err(&out);
        assert_eq!(error["kind"], "invalid_input", "{error}");
        assert_eq!(error["argument"], argument, "{error}");
    }
    // An empty POLYPAY_API_KEY is named, not taken for a missing one.
    let out = sandbox
        .api_command(&["balances"])
        .env("POLYPAY_API_KEY", "")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json_err(&out)["argument"], "POLYPAY_API_KEY");
}

impl SandboxProcess {
    /// `polypay ecommpay api ARGS` configured for this sandbox by its environment.
    fn gate(&self, args: &[&str]) -> Output {
        let ecommpay = &self.config["ecommpay"];
        Command::new(env!("CARGO_BIN_EXE_polypay"))
            .args(["ecommpay", "api"])
            .args(args)
            .args(["--status-delay", "0.1"])
            .env(
                "POLYPAY_ECOMMPAY_BASE_URL",
                ecommpay["gate_base_url"].as_str().unwrap(),
            )
            .env(
                "POLYPAY_ECOMMPAY_PROJECT_ID",
                ecommpay["project_id"].to_string(),
            )
            .env(
                "POLYPAY_ECOMMPAY_SECRET",
                ecommpay["secret_key"].as_str().unwrap(),
            )
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

#[test]
fn ecommpay_api_operations_against_the_sandbox() {
    let sandbox = SandboxProcess::start();
    let base = sandbox.config["base_url"].as_str().unwrap();
    let paid = post_json(
        base,
        "/__sandbox/ecommpay/payments",
        r#"{"payment_id": "cli-1", "payment_amount": 900, "payment_currency": "USD"}"#,
    );
    assert_eq!(paid["payment"]["status"], "success");

    let status = sandbox.gate(&["payment-status", "--payment-id", "cli-1"]);
    assert_eq!(json_out(&status)["payment"]["status"], "success");

    let refund = sandbox.gate(&[
        "refund",
        "--json",
        r#"{"general": {"payment_id": "cli-1"}, "payment": {"amount": 400, "currency": "USD"}}"#,
    ]);
    let accepted = json_out(&refund);
    assert_eq!(
        (
            accepted["operation"].as_str(),
            accepted["payment_id"].as_str(),
            accepted["reconciled"].as_bool()
        ),
        (Some("refund"), Some("cli-1"), Some(false))
    );
    assert!(accepted["request_id"].is_string());
    // The sandbox processes a Gate request 300 ms after accepting it.
    std::thread::sleep(std::time::Duration::from_millis(600));

    let waited = sandbox.gate(&[
        "refund",
        "--wait",
        "--json",
        r#"{"general": {"payment_id": "cli-1"}}"#,
    ]);
    assert_eq!(json_out(&waited)["payment"]["status"], "refunded");

    // Errors: one JSON object on stderr and the exit code of the kind.
    let missing = sandbox.gate(&["payment-status", "--payment-id", "never"]);
    assert_eq!(
        (missing.status.code(), json_err(&missing)["kind"].as_str()),
        (Some(6), Some("not_found"))
    );
    let refused = sandbox.gate(&[
        "refund",
        "--json",
        r#"{"general": {"payment_id": "cli-1"}, "payment": {"amount": 1, "currency": "USD"}}"#,
    ]);
    let error = json_err(&refused);
    assert_eq!(
        (
            refused.status.code(),
            error["kind"].as_str(),
            error["payment_id"].as_str()
        ),
        (Some(9), Some("validation"), Some("cli-1"))
    );
    let bad = sandbox.gate(&["refund", "--json", r#"{"general": {"payment_id": "a;b"}}"#]);
    assert_eq!(
        (bad.status.code(), json_err(&bad)["code"].as_str()),
        (Some(2), Some("semicolon"))
    );
    let unconfigured = polypay(
        &["ecommpay", "api", "payment-status", "--payment-id", "x"],
        b"",
    );
    assert_eq!(
        unconfigured.status.code(),
        Some(3),
        "{}",
        stderr(&unconfigured)
    );
}

/// A JSON POST over a plain socket (the CLI's tests have no HTTP client of their own).
fn post_json(base: &str, path: &str, body: &str) -> serde_json::Value {
    use std::io::Read;
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    serde_json::from_str(body).unwrap()
}

#[test]
fn sandbox_env_prints_exports_a_shell_evaluates() {
    let sandbox = SandboxProcess::start();
    let base_url = sandbox.config["base_url"].as_str().unwrap();
    let script = format!(
        "eval \"$('{}' sandbox env --base-url {base_url})\" && \
         printf '%s\\n' \"$POLYPAY_BASE_URL\" \"$POLYPAY_ACCOUNT_ID\" \"$POLYPAY_SECRET_KEY\" \
         \"$POLYPAY_ECOMMPAY_PROJECT_ID\" \"$POLYPAY_ECOMMPAY_BASE_URL\" \"$POLYPAY_ECOMMPAY_PAYMENT_PAGE_URL\"",
        env!("CARGO_BIN_EXE_polypay")
    );
    let out = Command::new("sh").args(["-c", &script]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let paycore = &sandbox.config["paycore"];
    let ecommpay = &sandbox.config["ecommpay"];
    assert_eq!(
        stdout(&out).lines().collect::<Vec<_>>(),
        [
            base_url,
            paycore["account_id"].as_str().unwrap(),
            paycore["secret_key_test"].as_str().unwrap(),
            &ecommpay["project_id"].to_string(),
            ecommpay["gate_base_url"].as_str().unwrap(),
            ecommpay["payment_page_base_url"].as_str().unwrap(),
        ]
    );
}

#[test]
fn sandbox_env_gives_up_when_no_sandbox_answers() {
    let out = polypay(
        &[
            "sandbox",
            "env",
            "--base-url",
            "http://127.0.0.1:9",
            "--wait",
            "0.3",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no sandbox answered at http://127.0.0.1:9"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}
