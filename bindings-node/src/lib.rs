//! The native half of the Node package `polypay`: conversion and idiom only.
//!
//! Values cross the boundary as JSON text on purpose: the TypeScript layer turns JS values
//! into JSON with one small recursive converter (key order kept, non-finite numbers refused,
//! depth ≤ 64), and the core parses that text with its guarded parser, which keeps key order
//! and exact number lexemes (`serde_json` with `preserve_order` + `arbitrary_precision`).
//! Results come back as JSON text too: money and decimal fields as strings (exact), `raw`
//! exactly as received (the JS side parses numbers in it as JS numbers).
//!
//! Every core error is mapped once, by [`to_napi`], to an error whose message is a JSON record
//! of the error (kind, code, message, argument, HTTP details) after a marker; the TS layer
//! turns it into the matching `PolypayError` subclass.
//!
//! No panic may abort Node: every sync export is `#[napi(catch_unwind)]` (a panic becomes a JS
//! `Error`), napi-rs rejects the promise of a panicking async export, and work on the libuv
//! pool runs under [`contained`]. Cancellation keeps the facts: an `AbortSignal` cancels a
//! `CancellationToken` and the call runs on `Client::with_cancel`, so an aborted create still
//! reports its `reference_id` and whether it may have been sent.

#![allow(clippy::needless_pass_by_value)]

// Every call allocates a few short-lived strings and maps, which mimalloc serves more cheaply
// than glibc's allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};

use futures_util::{Stream, StreamExt};
use napi::bindgen_prelude::{AsyncTask, Buffer, Either, Either5, Either7};
use napi::{Env, Error as NapiError, Status, Task};
use napi_derive::napi;
use polypay::ecommpay;
use polypay::paycore::client::{
    timeout_from_millis, Arguments, ClientOptions, Item, Operation as CoreOperation, OperationName,
    Secret,
};
use polypay::paycore::{self, CallbackEvent, Client, Environment, HppParams};
use serde_json::{json, Map, Value};
use tokio_util::sync::CancellationToken;

pub mod gate;
mod hooks;
mod records;

use records::{
    Balances, PaymentInvoice, PaymentService, PayoutInvoice, PayoutService, Prerequest, Refund,
};

/// Prefix of every message produced by [`to_napi`]; the TS layer looks for it.
const MARKER: &str = "\u{1}polypay:";

/// The one mapping of a core error to a JS error (see the module docs).
pub(crate) fn to_napi(e: polypay::Error) -> NapiError {
    let fields: Map<String, Value> = e
        .fields()
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let record = json!({
        "kind": e.kind().as_str(),
        "code": e.code(),
        "message": e.message(),
        "argument": e.argument(),
        "httpStatus": e.http_status(),
        "requestId": e.request_id(),
        "body": e.body(),
        "retryAfter": e.retry_after().map(|d| d.as_secs_f64()),
        "fields": fields,
        "existing": e.existing(),
        "referenceId": e.reference_id(),
        "paymentId": e.payment_id(),
        "retryable": e.retryable(),
        "outcomeUnknown": e.outcome_unknown(),
    });
    NapiError::new(Status::GenericFailure, format!("{MARKER}{record}"))
}

pub(crate) fn core<T>(result: polypay::Result<T>) -> napi::Result<T> {
    result.map_err(to_napi)
}

fn parse_object(text: &str, argument: &str) -> napi::Result<Map<String, Value>> {
    core(polypay::json::parse_object(text.as_bytes(), argument))
}

fn body_bytes(body: &Either<Buffer, String>) -> &[u8] {
    match body {
        Either::A(buffer) => buffer.as_ref(),
        Either::B(text) => text.as_bytes(),
    }
}

// ------------------------------------------------------------------------------ values → JSON

// ------------------------------------------------------------------------------ ecommpay

/// The ecommpay signature of a JSON object given as text (order and lexemes kept).
#[napi(catch_unwind)]
pub fn ecommpay_sign(params_json: String, secret: String) -> napi::Result<String> {
    core(ecommpay::sign_params(&json_params(&params_json), &secret))
}

/// The signature of flat parameters given as `key NUL value NUL ...` (see `flatPairs` in
/// lib/convert.ts): the common case, without JSON on either side. `None` when the text does not
/// split into `pairs` pairs (a key or value held a NUL): the caller then passes JSON.
#[napi(catch_unwind)]
pub fn ecommpay_sign_pairs(
    joined: String,
    pairs: u32,
    secret: String,
) -> napi::Result<Option<String>> {
    // memchr finds the separators faster than `str::split`'s char searcher.
    let mut parts = Vec::with_capacity(2 * pairs as usize);
    let mut start = 0;
    for end in memchr::memchr_iter(0, joined.as_bytes()).chain([joined.len()]) {
        parts.push(&joined[start..end]);
        start = end + 1;
    }
    if parts.len() != 2 * pairs as usize {
        return Ok(None);
    }
    core(ecommpay::sign_params(&FlatPairs(parts), &secret)).map(Some)
}

/// Parameters fed to the canonical form from `key NUL value` pairs, values as text (the
/// canonical form prints integers and their decimal strings alike): keys and values alternate.
struct FlatPairs<'a>(Vec<&'a str>);

impl ecommpay::Params for FlatPairs<'_> {
    type Error = polypay::Error;

    fn feed(&self, out: &mut ecommpay::Canonical) -> polypay::Result<()> {
        for pair in self.0.chunks_exact(2) {
            out.scalar(pair[0], ecommpay::Scalar::Str(pair[1]));
        }
        Ok(())
    }

    fn to_map(&self) -> polypay::Result<Map<String, Value>> {
        Ok(self
            .0
            .chunks_exact(2)
            .map(|pair| (pair[0].to_owned(), Value::String(pair[1].to_owned())))
            .collect())
    }
}

/// Parameters read straight from their JSON text by the core (no intermediate document).
fn json_params(text: &str) -> ecommpay::JsonParams<'_> {
    ecommpay::JsonParams::new(text.as_bytes(), "params")
}

#[napi(catch_unwind)]
pub fn ecommpay_string_to_sign(params_json: String) -> napi::Result<String> {
    core(ecommpay::string_to_sign_params(&json_params(&params_json)))
}

#[napi(catch_unwind)]
pub fn ecommpay_payment_page_url(
    params_json: String,
    secret: String,
    base_url: Option<String>,
) -> napi::Result<String> {
    let params = parse_object(&params_json, "params")?;
    core(ecommpay::payment_page_url(
        &params,
        &secret,
        base_url.as_deref(),
    ))
}

/// Verifies a raw callback body; the verified callback as JSON text.
#[napi(catch_unwind)]
pub fn ecommpay_verify_callback(
    body: Either<Buffer, String>,
    secret: String,
) -> napi::Result<String> {
    let callback = core(ecommpay::verify_callback(body_bytes(&body), &secret))?;
    Ok(records::EcommpayCallback::json(&callback))
}

/// PHP `strnatcmp` sign (−1/0/1), as used to order ecommpay paths (for the vectors).
#[napi(catch_unwind)]
pub fn ecommpay_natcmp(a: String, b: String) -> i32 {
    ecommpay::php::natcmp(a.as_bytes(), b.as_bytes()) as i32
}

/// `best_before` text of an instant in milliseconds since the epoch (a `Date`'s value).
#[napi(catch_unwind)]
pub fn ecommpay_best_before(epoch_millis: f64) -> napi::Result<String> {
    let text = (epoch_millis.is_finite() && epoch_millis.abs() < 9.0e15)
        .then(|| ecommpay::php::date_c_from_unix_millis(epoch_millis.floor() as i64))
        .flatten();
    text.ok_or_else(|| {
        to_napi(polypay::Error::invalid(
            "at",
            "invalid_date",
            "bestBefore needs a valid Date",
        ))
    })
}

/// PHP `(string)$float` with precision=14 (for the vectors).
#[napi(catch_unwind)]
pub fn ecommpay_php_float(value: f64) -> String {
    ecommpay::php::float_to_string(value)
}

// A gate's operations are functions of its checked settings, not methods of a `#[napi]` class:
// a class method pays for napi-rs's borrow tracking on every call (more than the rest of a
// signature's overhead), and the core keeps the last secret's prepared key per thread.

/// Checks an `EcommpayGate`'s settings; the normalised Payment Page base URL.
#[napi(catch_unwind)]
pub fn ecommpay_gate_base_url(
    project_id: i64,
    secret_key: String,
    base_url: Option<String>,
) -> napi::Result<String> {
    let gate = core(ecommpay::Gate::new(
        project_id,
        &secret_key,
        base_url.as_deref(),
    ))?;
    Ok(gate.base_url().to_owned())
}

/// The signed URL of a payment: without `project_id`, the fields of a payment (checked,
/// `project_id` and `payment_id` first, as in every binding); with it, parameters signed whole,
/// in their order.
#[napi(catch_unwind)]
pub fn ecommpay_gate_payment_page_url(
    params_json: String,
    project_id: i64,
    secret_key: String,
    base_url: String,
) -> napi::Result<String> {
    let gate = core(ecommpay::Gate::new(
        project_id,
        &secret_key,
        Some(&base_url),
    ))?;
    core(gate.payment_page_url_from_json(params_json.as_bytes()))
}

// ------------------------------------------------------------------------------ PayCore

#[napi(catch_unwind)]
pub fn paycore_sign_callback(body: Either<Buffer, String>, secret: String) -> napi::Result<String> {
    core(paycore::sign_callback(body_bytes(&body), &secret))
}

/// Checks the `X-Signature` only (throws a `signature` error when it does not match).
#[napi(catch_unwind)]
pub fn paycore_verify_signature(
    body: Either<Buffer, String>,
    signature: String,
    secret: String,
) -> napi::Result<()> {
    core(paycore::verify_callback(
        body_bytes(&body),
        &signature,
        &secret,
    ))
}

/// Verifies the signature over the exact bytes, then reads the event.
#[napi(catch_unwind)]
pub fn paycore_verify_callback(
    body: Either<Buffer, String>,
    signature: String,
    secret: String,
) -> napi::Result<records::CallbackEvent> {
    let event = core(paycore::callback::verify(
        body_bytes(&body),
        &signature,
        &secret,
    ))?;
    Ok(records::CallbackEvent::new(&event))
}

fn hpp(
    params_json: &str,
    env: Option<String>,
    base_url: Option<String>,
) -> napi::Result<(HppParams, Environment)> {
    let environment = core(Environment::resolve(env.as_deref(), base_url.as_deref()))?;
    let params = parse_object(params_json, "params")?;
    Ok((core(HppParams::from_json(&params))?, environment))
}

#[napi(catch_unwind)]
pub fn paycore_hpp_url(
    params_json: String,
    env: Option<String>,
    base_url: Option<String>,
) -> napi::Result<String> {
    let (params, environment) = hpp(&params_json, env, base_url)?;
    core(params.url(&environment))
}

/// The auto-redirect form: its data and the HTML.
#[napi(catch_unwind)]
pub fn paycore_hpp_form(
    params_json: String,
    env: Option<String>,
    base_url: Option<String>,
    button_label: Option<String>,
) -> napi::Result<records::HppForm> {
    let (params, environment) = hpp(&params_json, env, base_url)?;
    let form = core(params.form(&environment))?;
    Ok(records::HppForm::new(
        &form,
        button_label.as_deref().unwrap_or("Pay"),
    ))
}

// ------------------------------------------------------------------------------ exactly-once ledger

/// What a ledger holds for an entity: the status applied last and its time (unix seconds).
#[napi(object)]
pub struct LedgerApplied {
    pub status: String,
    pub time: Option<i64>,
}

/// What a delivery means for its entity, given what was applied last (`null`: nothing yet):
/// `apply`, `duplicate` or `stale`. The core's rule, so that every binding decides alike.
#[napi(catch_unwind, ts_return_type = "'apply' | 'duplicate' | 'stale'")]
pub fn ledger_decide(
    event: records::LedgerEvent,
    last: Option<LedgerApplied>,
) -> napi::Result<String> {
    use polypay::ledger::{Applied, LedgerEvent, Lifecycle};
    // The core names the parts as in Rust (`entity_id`); JS code passed `event.entityId`.
    let named = |error: polypay::Error| match error.argument().map(camel_case) {
        Some(name) => error.with_argument(format!("event.{name}")),
        None => error,
    };
    let lifecycle = core(Lifecycle::parse(&event.kind).map_err(named))?;
    let event = core(
        LedgerEvent::new(lifecycle, &event.entity_id, &event.status, event.time).map_err(named),
    )?;
    let last = last.map(|l| Applied {
        status: l.status,
        time: l.time,
    });
    Ok(event.decide(last.as_ref()).as_str().to_owned())
}

// ------------------------------------------------------------------------------ off the main thread

/// Runs `f`, turning a panic into an error: for work on a libuv worker thread, where napi-rs
/// does not catch panics itself (a panic there would abort the process).
fn contained<T>(f: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|panic| Err(napi::bindgen_prelude::panic_to_error(panic)))
}

/// An ecommpay callback verified on the libuv thread pool (see
/// [`ecommpay_verify_callback_async`]).
pub struct VerifyEcommpayCallback {
    body: Either<Buffer, String>,
    secret: String,
}

impl Task for VerifyEcommpayCallback {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> napi::Result<String> {
        contained(|| {
            let callback = core(ecommpay::verify_callback(
                body_bytes(&self.body),
                &self.secret,
            ))?;
            Ok(records::EcommpayCallback::json(&callback))
        })
    }

    fn resolve(&mut self, _env: Env, output: String) -> napi::Result<String> {
        Ok(output)
    }
}

/// `ecommpayVerifyCallback` on the libuv thread pool: the same result (or error), without
/// holding the event loop while a large body is parsed and hashed.
#[napi(catch_unwind, ts_return_type = "Promise<string>")]
pub fn ecommpay_verify_callback_async(
    body: Either<Buffer, String>,
    secret: String,
) -> AsyncTask<VerifyEcommpayCallback> {
    AsyncTask::new(VerifyEcommpayCallback { body, secret })
}

/// A PayCore callback verified on the libuv thread pool (see [`paycore_verify_callback_async`]).
pub struct VerifyPaycoreCallback {
    body: Either<Buffer, String>,
    signature: String,
    secret: String,
}

impl Task for VerifyPaycoreCallback {
    type Output = CallbackEvent;
    type JsValue = records::CallbackEvent;

    fn compute(&mut self) -> napi::Result<CallbackEvent> {
        contained(|| {
            core(paycore::callback::verify(
                body_bytes(&self.body),
                &self.signature,
                &self.secret,
            ))
        })
    }

    fn resolve(&mut self, _env: Env, event: CallbackEvent) -> napi::Result<records::CallbackEvent> {
        Ok(records::CallbackEvent::new(&event))
    }
}

/// `paycoreVerifyCallback` on the libuv thread pool: the same event (or error).
#[napi(catch_unwind, ts_return_type = "Promise<CallbackEvent>")]
pub fn paycore_verify_callback_async(
    body: Either<Buffer, String>,
    signature: String,
    secret: String,
) -> AsyncTask<VerifyPaycoreCallback> {
    AsyncTask::new(VerifyPaycoreCallback {
        body,
        signature,
        secret,
    })
}

/// Panics with `message`, on purpose: the tests prove with it that a panic in a sync export
/// becomes a JS `Error` (every sync export is `catch_unwind`) instead of aborting Node.
#[napi(catch_unwind)]
pub fn panic_probe(message: String) {
    panic!("{message}");
}

/// The same in an async export (napi-rs rejects the promise of a panicking future).
#[napi]
pub async fn panic_probe_async(message: String) {
    panic!("{message}");
}

// ------------------------------------------------------------------------------ cancellation

/// The cancellation tokens of calls that may be aborted from JS (`AbortSignal`), by id. The
/// entry is made by whichever comes first, the call or the abort: a token remembers being
/// cancelled, so an abort that arrives before the call started still cancels it (the core
/// then sends nothing). The JS side removes the entry when the call has settled.
fn cancels() -> &'static Mutex<HashMap<u32, CancellationToken>> {
    static CANCELS: OnceLock<Mutex<HashMap<u32, CancellationToken>>> = OnceLock::new();
    CANCELS.get_or_init(Default::default)
}

pub(crate) fn cancel_token(id: u32) -> CancellationToken {
    let mut map = cancels().lock().unwrap_or_else(|e| e.into_inner());
    map.entry(id).or_default().clone()
}

/// Aborts the call registered under `id`: it ends with a `cancelled` error that keeps the facts
/// (a create's `referenceId`, `outcomeUnknown` when it may have been sent).
#[napi(catch_unwind)]
pub fn abort_call(id: u32) {
    cancel_token(id).cancel();
}

/// Forgets `id` (the JS side calls it once the call has settled).
#[napi(catch_unwind)]
pub fn release_call(id: u32) {
    cancels()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&id);
}

/// A per-call timeout in milliseconds, by the core's one rule for user timeouts.
fn call_client(client: &Client, timeout_ms: Option<f64>) -> napi::Result<Client> {
    Ok(match timeout_ms {
        Some(ms) => client.with_deadline(core(timeout_from_millis(ms, "options.timeout"))?),
        None => client.clone(),
    })
}

// ------------------------------------------------------------------------------ client

/// The core's [`ClientOptions`] under their JS names; times in milliseconds, counts as JS
/// numbers (so that `NaN`, `Infinity` and fractions meet the core's rules like any value).
#[napi(object)]
pub struct NativeClientOptions {
    pub env: Option<String>,
    pub base_url: Option<String>,
    pub public_key: Option<String>,
    pub account_id: Option<String>,
    pub api_key: Option<String>,
    pub secret_key: Option<String>,
    pub timeout: Option<f64>,
    pub connect_timeout: Option<f64>,
    pub request_timeout: Option<f64>,
    pub max_retries: Option<f64>,
    pub page_size: Option<f64>,
    pub proxy: Option<String>,
    pub user_agent: Option<String>,
    pub allow_insecure_http: Option<bool>,
}

/// A JS number as a count; one that is not a whole number in `u32` becomes `u32::MAX`, which
/// every count option refuses with its own message.
pub(crate) fn count(value: f64) -> u32 {
    if value.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&value) {
        value as u32
    } else {
        u32::MAX
    }
}

/// The JS name of an option or argument the core names in snake_case (`page_size` →
/// `pageSize`).
fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

/// An error about an option, naming it as JS code does (`options.pageSize`).
pub(crate) fn option_error(error: polypay::Error) -> polypay::Error {
    match error.argument().map(camel_case) {
        Some(name) => error.with_argument(format!("options.{name}")),
        None => error,
    }
}

fn client_options(options: NativeClientOptions) -> polypay::Result<ClientOptions> {
    let millis =
        |value: Option<f64>, name: &str| value.map(|ms| timeout_from_millis(ms, name)).transpose();
    Ok(ClientOptions {
        env: options.env,
        base_url: options.base_url,
        public_key: options.public_key,
        account_id: options.account_id,
        api_key: options.api_key.map(Secret::new),
        secret_key: options.secret_key.map(Secret::new),
        timeout: millis(options.timeout, "timeout")?,
        connect_timeout: millis(options.connect_timeout, "connect_timeout")?,
        request_timeout: millis(options.request_timeout, "request_timeout")?,
        max_retries: options.max_retries.map(count),
        page_size: options.page_size.map(count),
        proxy: options.proxy,
        user_agent: options.user_agent,
        allow_insecure_http: options.allow_insecure_http,
    })
}

macro_rules! node_operations {
    ($( $(#[doc = $doc:literal])* $variant:ident $name:ident: $access:ident $semantics:ident ($input:ident) -> $output:ident; )*) => {
        /// The Commerce API operations: the core's operation table.
        #[napi]
        pub enum Operation {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl From<Operation> for OperationName {
            fn from(operation: Operation) -> OperationName {
                match operation {
                    $( Operation::$variant => OperationName::$variant, )*
                }
            }
        }
    };
}

/// The operation table's rows, from which `scripts/operations.mjs` writes the client's methods
/// (internal).
#[napi(catch_unwind)]
pub fn operation_table() -> Vec<OperationRow> {
    OperationName::ALL
        .iter()
        .map(|&name| OperationRow {
            variant: name.variant().into(),
            name: name.as_str().into(),
            access: format!("{:?}", name.access()),
            semantics: format!("{:?}", name.semantics()),
            input: format!("{:?}", name.input()),
            output: name.output().into(),
            doc: name.doc().iter().map(|line| line.to_string()).collect(),
        })
        .collect()
}

/// A row of the operation table (see `operationTable`).
#[napi(object, object_from_js = false)]
pub struct OperationRow {
    pub variant: String,
    pub name: String,
    pub access: String,
    pub semantics: String,
    pub input: String,
    pub output: String,
    pub doc: Vec<String>,
}

polypay::paycore_operations!(node_operations);

/// An operation's arguments; each operation reads those it takes.
#[napi(object)]
pub struct CallArgs {
    pub id: Option<String>,
    pub reference_id: Option<String>,
    /// The request object as JSON text (key order and exact numbers kept).
    pub request: Option<String>,
    pub page_size: Option<f64>,
}

/// The checked operation; a missing or bad argument is named as the JS method names it.
fn operation(operation: Operation, args: CallArgs) -> polypay::Result<CoreOperation> {
    let fields = args
        .request
        .map(|text| polypay::json::parse_object(text.as_bytes(), "request"))
        .transpose()?;
    let arguments = Arguments {
        id: args.id,
        reference_id: args.reference_id,
        fields,
        page_size: args.page_size.map(count),
    };
    CoreOperation::new(operation.into(), arguments).map_err(|error| {
        let renamed = match error.argument() {
            Some("fields") => "request",
            Some("reference_id") => "referenceId",
            Some("page_size") => "options.pageSize",
            _ => return error,
        };
        error.with_argument(renamed)
    })
}

type ItemStream = Pin<Box<dyn Stream<Item = polypay::Result<Item>> + Send>>;

/// A lazy list: each `next()` reads one item, fetching the next page when needed.
#[napi]
pub struct NativePager {
    stream: Arc<tokio::sync::Mutex<ItemStream>>,
    /// The list's own cancellation token (its client runs `with_cancel` on it): `abort()`
    /// ends the page being read, and every later `next()`, with a `cancelled` error. A token
    /// per list rather than an entry in the calls' registry: it lives exactly as long as the
    /// list, however the iteration ends.
    cancel: CancellationToken,
}

#[napi]
impl NativePager {
    /// The next item, or `null` at the end.
    #[napi]
    pub async fn next(
        &self,
    ) -> napi::Result<
        Option<Either5<PaymentInvoice, PayoutInvoice, PaymentService, PayoutService, Refund>>,
    > {
        // Items already read with a page are not handed out once the list is aborted.
        if self.cancel.is_cancelled() {
            return Err(to_napi(polypay::Error::new(
                polypay::ErrorKind::Cancelled,
                "cancelled",
                "the list was cancelled",
            )));
        }
        let mut stream = self.stream.lock().await;
        match stream.next().await {
            None => Ok(None),
            Some(Ok(item)) => Ok(Some(records::list_item(item))),
            Some(Err(e)) => Err(to_napi(e)),
        }
    }

    /// Cancels the list (its `AbortSignal` fired).
    #[napi(catch_unwind)]
    pub fn abort(&self) {
        self.cancel.cancel();
    }
}

/// The Commerce API client (cheap to share; one connection pool).
#[napi]
pub struct NativeClient {
    client: Client,
    hooks: Arc<hooks::Hooks>,
}

#[napi]
impl NativeClient {
    #[napi(constructor, catch_unwind)]
    pub fn new(options: NativeClientOptions) -> napi::Result<Self> {
        let hooks = Arc::new(hooks::Hooks::default());
        let config = client_options(options)
            .and_then(ClientOptions::into_config)
            .map(|mut config| {
                config.observer = Some(hooks.clone());
                config
            })
            .map_err(option_error);
        let client = core(config.and_then(Client::new))?;
        Ok(NativeClient { client, hooks })
    }

    /// The function told of every HTTP request and answer (`null`: none).
    #[napi(
        catch_unwind,
        ts_args_type = "listener: ((exchange: HttpExchange) => void) | null"
    )]
    pub fn set_listener(&self, listener: Option<hooks::Listener>) {
        self.hooks.set(listener);
    }

    /// The mode the keys imply: `"test"`, `"live"` or `null`.
    #[napi(getter, catch_unwind)]
    pub fn mode(&self) -> Option<String> {
        self.client
            .mode()
            .map(|m| format!("{m:?}").to_ascii_lowercase())
    }

    /// Runs `operation` (not a list); its model, or `null` for a lookup that found nothing. `timeout_ms` overrides the
    /// overall deadline of this call (retries included), checked by the core's rule;
    /// `cancel_id` names its token in the registry (see `abortCall`).
    #[napi]
    pub async fn call(
        &self,
        operation: Operation,
        args: CallArgs,
        timeout_ms: Option<f64>,
        cancel_id: Option<u32>,
    ) -> napi::Result<
        Option<
            Either7<
                Prerequest,
                PaymentInvoice,
                PayoutInvoice,
                Refund,
                PaymentService,
                PayoutService,
                Balances,
            >,
        >,
    > {
        let mut client = call_client(&self.client, timeout_ms)?;
        if let Some(id) = cancel_id {
            client = client.with_cancel(cancel_token(id));
        }
        let operation = core(self::operation(operation, args))?;
        let outcome = client.execute(&operation).await.map_err(to_napi)?;
        Ok(records::answer(outcome))
    }

    /// The lazy pages of a list `operation`.
    #[napi(catch_unwind)]
    pub fn list(
        &self,
        operation: Operation,
        args: CallArgs,
        timeout_ms: Option<f64>,
    ) -> napi::Result<NativePager> {
        let operation = core(self::operation(operation, args))?;
        let cancel = CancellationToken::new();
        let client = call_client(&self.client, timeout_ms)?.with_cancel(cancel.clone());
        let pager = core(client.pager(&operation))?;
        let stream: ItemStream = Box::pin(pager.into_stream());
        Ok(NativePager {
            stream: Arc::new(tokio::sync::Mutex::new(stream)),
            cancel,
        })
    }

    /// Verifies a callback with the configured `secretKey`.
    #[napi(catch_unwind)]
    pub fn verify_callback(
        &self,
        body: Either<Buffer, String>,
        signature: String,
    ) -> napi::Result<records::CallbackEvent> {
        let event = core(self.client.verify_callback(body_bytes(&body), &signature))?;
        Ok(records::CallbackEvent::new(&event))
    }
}
