//! The bad-input table (tests/bad-input/cases.json) through the Rust API: every case fails with
//! the expected kind, code and argument, without a panic, without a secret in the error, and
//! without a single connection to the (local, never answering) gateway — except a case with a
//! `server` answer, which expects exactly one request and gets that canned HTTP response.
//!
//! Timeouts are seconds, as a Rust program takes them from a user: `timeout_from_secs`, then
//! `Config` (`timeout` is the deadline) or, per call, `Client::with_deadline`.
//!
//! Parameter maps go through `polypay::json::parse_object` as JSON text, the way the Kotlin and
//! Swift bindings pass them, so "special" inputs (float lexemes, NaN, 10,000-deep nesting) are
//! expanded to text here exactly as there.

use std::future::Future;
use std::io::{ErrorKind as IoErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use polypay::ecommpay::{self, Gate};
use polypay::paycore::client::{
    timeout_from_secs, Config, PaymentInvoiceRequest, PrerequestRequest, RefundRequest,
    RetryPolicy, Secret,
};
use polypay::paycore::{self, Client, Environment, HppParams};
use polypay::{Error, Result};
use serde_json::{Map, Value};

fn table() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/bad-input/cases.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("cases.json")).expect("JSON")
}

/// `{"a":{"a":…"x"…}}`, `depth` objects deep.
fn deep_text(depth: usize) -> String {
    format!("{}\"x\"{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

fn special<'a>(value: &'a Value, tag: &str) -> Option<&'a Value> {
    value.as_object().and_then(|o| o.get(tag))
}

/// JSON text of an input value, with the special tags written as raw lexemes.
fn json_text(value: &Value) -> String {
    if let Some(lexeme) = special(value, "$float") {
        return lexeme.as_str().expect("$float is a string").to_owned();
    }
    if special(value, "$nan").is_some() {
        return "NaN".to_owned();
    }
    if let Some(depth) = special(value, "$deep") {
        return deep_text(depth.as_u64().expect("$deep is a number") as usize);
    }
    match value {
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), json_text(v)))
                .collect();
            format!("{{{}}}", items.join(","))
        }
        Value::Array(list) => {
            let items: Vec<String> = list.iter().map(json_text).collect();
            format!("[{}]", items.join(","))
        }
        scalar => scalar.to_string(),
    }
}

/// The bytes of a body input. A `$parsed` body is what a typed language can pass instead of the
/// raw bytes: the document parsed and written back.
fn body(value: &Value) -> Vec<u8> {
    if let Some(text) = value.as_str() {
        return text.as_bytes().to_vec();
    }
    if let Some(hex) = special(value, "$bytes_hex").and_then(Value::as_str) {
        return (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
            .collect();
    }
    if let Some(unit) = special(value, "$repeat").and_then(Value::as_str) {
        let count = value["count"].as_u64().expect("count") as usize;
        return unit.repeat(count).into_bytes();
    }
    if let Some(depth) = special(value, "$deep") {
        return deep_text(depth.as_u64().expect("depth") as usize).into_bytes();
    }
    if let Some(text) = special(value, "$parsed").and_then(Value::as_str) {
        let parsed: Value = serde_json::from_str(text).expect("$parsed JSON");
        return serde_json::to_vec(&parsed).expect("JSON");
    }
    panic!("unknown body input {value}");
}

fn object(input: &Value, key: &str, argument: &str) -> Result<Map<String, Value>> {
    polypay::json::parse_object(json_text(&input[key]).as_bytes(), argument)
}

fn text<'a>(input: &'a Value, key: &str) -> &'a str {
    input[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is a string"))
}

fn opt_text<'a>(input: &'a Value, key: &str) -> Option<&'a str> {
    input.get(key).and_then(Value::as_str)
}

/// A number of seconds: a plain number, or a `$float` lexeme (`1e300`, `NaN`) read as an f64.
fn seconds(value: &Value) -> f64 {
    match special(value, "$float").and_then(Value::as_str) {
        Some(lexeme) => lexeme.parse().expect("$float lexeme"),
        None => value.as_f64().expect("seconds are a number"),
    }
}

/// Runs a client call to its end on a runtime of its own.
fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// A local port that accepts TCP connections and never answers: any request is counted. For a
/// case with a `server` answer, [`Listener::answer`] serves that canned response meanwhile.
struct Listener {
    socket: TcpListener,
    url: String,
}

impl Listener {
    fn new() -> Listener {
        let socket = TcpListener::bind("127.0.0.1:0").expect("bind");
        socket.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", socket.local_addr().expect("address"));
        Listener { socket, url }
    }

    /// Connections made since the last call (the kernel queues them even though nobody accepts).
    fn connections(&self) -> usize {
        let mut n = 0;
        loop {
            match self.socket.accept() {
                Ok(_) => n += 1,
                Err(e) if e.kind() == IoErrorKind::WouldBlock => return n,
                Err(e) => panic!("accept: {e}"),
            }
        }
    }

    /// Until [`Answering::finish`], answers every connection's request with `server`'s status
    /// and JSON body (`Connection: close`, so connections are requests) and counts them.
    fn answer(&self, server: &Value) -> Answering {
        let socket = self.socket.try_clone().expect("clone");
        let status = server["status"].as_u64().expect("server.status");
        let body = serde_json::to_vec(&server["body"]).expect("JSON");
        let mut response = format!(
            "HTTP/1.1 {status} Canned\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        response.extend(body);
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = thread::spawn(move || {
            let mut served = 0;
            while !stopped.load(Ordering::SeqCst) {
                match socket.accept() {
                    Ok((mut conn, _)) => {
                        read_request(&mut conn);
                        let _ = conn.write_all(&response);
                        let _ = conn.shutdown(Shutdown::Write);
                        served += 1;
                    }
                    Err(e) if e.kind() == IoErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(5))
                    }
                    Err(e) => panic!("accept: {e}"),
                }
            }
            served
        });
        Answering { stop, thread }
    }
}

/// A listener answering with a canned response (see [`Listener::answer`]).
struct Answering {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<usize>,
}

impl Answering {
    /// Stops answering; the number of requests answered.
    fn finish(self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().expect("answering thread")
    }
}

/// Reads one request (head and `Content-Length` body), so that closing after the answer does
/// not reset the connection under unread bytes.
fn read_request(conn: &mut TcpStream) {
    conn.set_nonblocking(false).expect("blocking");
    conn.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().expect("Content-Length"));
            if data.len() >= end + 4 + length {
                return;
            }
        }
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&chunk[..n]),
        }
    }
}

fn client(options: &Map<String, Value>, listener: &Listener) -> Result<Client> {
    let get = |key: &str| options.get(key).and_then(Value::as_str);
    // The listener stands in for the gateway unless the case names a deployment itself.
    let base_url = get("base_url").or(if get("env").is_none() {
        Some(listener.url.as_str())
    } else {
        None
    });
    let mut config = Config::new(Environment::resolve(get("env"), base_url)?);
    config.public_key = get("public_key").map(str::to_owned);
    config.account_id = get("account_id").map(str::to_owned);
    config.api_key = get("api_key").map(Secret::new);
    config.secret_key = get("secret_key").map(Secret::new);
    // Were anything sent, the call would end quickly and the connection be counted; a case's
    // own timeouts (seconds) win.
    config.request_timeout = Duration::from_secs(1);
    config.deadline = Duration::from_secs(2);
    for (name, field) in [
        ("timeout", &mut config.deadline),
        ("request_timeout", &mut config.request_timeout),
        ("connect_timeout", &mut config.connect_timeout),
    ] {
        if let Some(value) = options.get(name) {
            *field = timeout_from_secs(seconds(value), name)?;
        }
    }
    config.retry = RetryPolicy::none();
    Client::new(config)
}

/// Runs one case; `Ok(())` means it did not fail, which is itself a failure of the case.
fn run(case: &Value, defaults: &Map<String, Value>, listener: &Listener) -> Result<()> {
    let input = &case["input"];
    let with_defaults = || {
        let mut options = defaults.clone();
        if let Some(overrides) = input.get("client").and_then(Value::as_object) {
            options.extend(overrides.clone());
        }
        let client = client(&options, listener)?;
        // A per-call timeout: this call's deadline.
        Ok::<_, Error>(match input.get("timeout") {
            Some(t) => client.with_deadline(timeout_from_secs(seconds(t), "timeout")?),
            None => client,
        })
    };
    match case["operation"].as_str().expect("operation") {
        "client.new" => client(input["options"].as_object().expect("options"), listener).map(drop),
        "client.create_payment_invoice" => {
            let request = PaymentInvoiceRequest::from_json(&object(input, "request", "fields")?)?;
            block_on(with_defaults()?.create_payment_invoice(&request)).map(drop)
        }
        "client.refund_payment_invoice" => {
            let request = RefundRequest::from_json(&object(input, "request", "fields")?)?;
            block_on(with_defaults()?.refund_payment_invoice(text(input, "id"), &request)).map(drop)
        }
        "client.payment_prerequest" => {
            let request = PrerequestRequest::from_json(&object(input, "request", "fields")?)?;
            block_on(with_defaults()?.payment_prerequest(&request)).map(drop)
        }
        "client.get_payment_invoice" => {
            block_on(with_defaults()?.get_payment_invoice(text(input, "id"))).map(drop)
        }
        "paycore.verify_callback" => paycore::callback::verify(
            &body(&input["body"]),
            text(input, "signature"),
            text(input, "secret"),
        )
        .map(drop),
        "paycore.hpp_url" => {
            let params = object(input, "params", "params")?;
            let env = Environment::resolve(opt_text(input, "env"), opt_text(input, "base_url"))?;
            HppParams::from_json(&params)?.url(&env).map(drop)
        }
        "paycore.hpp_form" => {
            let params = object(input, "params", "params")?;
            let env = Environment::resolve(opt_text(input, "env"), opt_text(input, "base_url"))?;
            HppParams::from_json(&params)?.form(&env).map(drop)
        }
        "ecommpay.verify_callback" => {
            ecommpay::verify_callback(&body(&input["body"]), text(input, "secret")).map(drop)
        }
        "ecommpay.sign" => {
            ecommpay::sign(&object(input, "params", "params")?, text(input, "secret")).map(drop)
        }
        "ecommpay.gate" | "ecommpay.gate.payment_page_url" => {
            let gate = Gate::new(
                input["project_id"].as_i64().expect("project_id"),
                text(input, "secret_key"),
                opt_text(input, "base_url"),
            )?;
            if input.get("payment").is_none() {
                return Ok(());
            }
            let mut payment = gate.payment();
            for (key, value) in object(input, "payment", "payment")? {
                payment = match (key.as_str(), value) {
                    ("payment_id", Value::String(id)) => payment.payment_id(id),
                    (key, value) => payment.set(key, value),
                };
            }
            gate.payment_page_url(&payment).map(drop)
        }
        other => panic!("unknown operation {other}"),
    }
}

/// What Rust must raise: `expect`, with the case's `rust` overrides.
fn expected(case: &Value) -> Map<String, Value> {
    let mut expect = case["expect"].as_object().expect("expect").clone();
    if let Some(overrides) = case.get("rust").and_then(Value::as_object) {
        expect.extend(overrides.clone());
    }
    expect
}

fn check(case: &Value, outcome: Result<()>, secrets: &[&str]) -> Option<String> {
    let error: Error = match outcome {
        Ok(()) => return Some("did not fail".into()),
        Err(e) => e,
    };
    let expect = expected(case);
    let got = (
        error.kind().as_str(),
        error.code(),
        error.argument().unwrap_or_default(),
    );
    let want = (
        expect["kind"].as_str().expect("kind"),
        expect["code"].as_str().expect("code"),
        expect
            .get("argument")
            .and_then(Value::as_str)
            .unwrap_or(got.2),
    );
    if got != want {
        return Some(format!("got {got:?}, expected {want:?}: {error}"));
    }
    let shown = format!("{error} {error:?}");
    secrets
        .iter()
        .find(|s| shown.contains(*s))
        .map(|s| format!("the error shows the secret {s:?}: {shown}"))
}

#[test]
fn every_bad_input_fails_with_its_documented_error_and_sends_nothing() {
    let table = table();
    let defaults = table["client_defaults"].as_object().expect("defaults");
    let secrets: Vec<&str> = table["secrets"]
        .as_array()
        .expect("secrets")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let cases = table["cases"].as_array().expect("cases");
    assert!(cases.len() >= 25, "{} cases", cases.len());
    let listener = Listener::new();
    let mut failures = Vec::new();
    for case in cases {
        let id = case["id"].as_str().expect("id");
        // e.g. a string that is not valid Unicode: a `&str` cannot hold it.
        if let Some(reason) = expected(case).get("not_expressible") {
            assert!(reason.as_str().is_some_and(|r| !r.is_empty()), "{id}");
            continue;
        }
        // A case with a `server` answer gets it; every other case is met with silence.
        let answering = case.get("server").map(|server| listener.answer(server));
        let outcome = catch_unwind(AssertUnwindSafe(|| run(case, defaults, &listener)));
        let problem = match outcome {
            Err(_) => Some("panicked".to_owned()),
            Ok(result) => check(case, result, &secrets),
        };
        let sent = answering.map_or(0, Answering::finish) + listener.connections();
        // `sends: true`: exactly one request (the create, never sent again after the 409).
        let sends = expected(case).get("sends") == Some(&Value::Bool(true));
        if sent != usize::from(sends) {
            failures.push(format!(
                "{id}: {sent} connection(s) reached the gateway, expected {}",
                usize::from(sends)
            ));
        }
        if let Some(problem) = problem {
            failures.push(format!("{id}: {problem}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_listener_counts_a_request_that_is_sent() {
    // The "nothing was sent" check can fail: a valid request is counted.
    let listener = Listener::new();
    let options = table()["client_defaults"].as_object().unwrap().clone();
    let client = client(&options, &listener).unwrap();
    let error = block_on(client.get_payment_invoice("cpi_BADINPUT")).unwrap_err();
    assert_eq!(error.kind().as_str(), "timeout", "{error}");
    assert_eq!(listener.connections(), 1);
}
