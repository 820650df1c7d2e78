//! `PayCoreClient`: the core async client. Network methods are `async` on the uniffi tokio
//! runtime (Kotlin `suspend fun`, Swift `async throws`); request fields cross as JSON text.
//!
//! Cancellation: uniffi cannot carry a cancelled call's facts across the FFI. A cancelled Kotlin
//! coroutine drops the Rust future at once (the create's generated `reference_id` and whether it
//! may have been sent are lost), and a cancelled Swift task is not seen by the Rust future at
//! all. So every network method is exported as `raw_<name>` with a trailing `CallToken`, run on
//! the core's `Client::with_cancel`, and the hand-written Kotlin (`PayCoreClientCalls.kt`) and
//! Swift (`PayCoreClient+Calls.swift`) wrappers with the original names fire the token when the
//! caller is cancelled: the call then ends with `PolypayError::Cancelled` and its facts.

use std::fmt;
use std::sync::Arc;

use polypay::paycore::client::{
    timeout_from_secs, Arguments, ClientOptions as CoreOptions, Item, Operation, OperationName,
    Outcome, Pager, Secret,
};
use polypay::paycore::Client;
use tokio_util::sync::CancellationToken;

use crate::error::{PolypayError, Result};
use crate::models::{
    Balances, CallbackEvent, PaymentInvoice, PaymentService, PayoutInvoice, PayoutService,
    Prerequest, Refund, ResponseInfo,
};
use crate::params;

/// Client settings. Give `base_url` (the local `polypay sandbox`, a white label) or `env`
/// (`"paycore"`, `"corefy"`, `"paymega"`; the default is `"paycore"`); `base_url` wins when both
/// are given. Keys as needed: public key for public calls, account id + API key for private
/// calls, secret key for callbacks. Times are in seconds (more than 0, at most 86400).
///
/// `api_key` and `secret_key` never show: `Debug`/`Display` here, and so Kotlin `toString()` and
/// Swift `description`/`debugDescription` (exported below), print `<redacted>` in their place;
/// Swift's `dump`/`Mirror` are covered by `ClientOptions+Redacted.swift`.
#[derive(Clone, Default, uniffi::Record)]
#[uniffi::export(Debug, Display)]
pub struct ClientOptions {
    #[uniffi(default = None)]
    pub public_key: Option<String>,
    #[uniffi(default = None)]
    pub account_id: Option<String>,
    #[uniffi(default = None)]
    pub api_key: Option<String>,
    #[uniffi(default = None)]
    pub secret_key: Option<String>,
    #[uniffi(default = None)]
    pub env: Option<String>,
    #[uniffi(default = None)]
    pub base_url: Option<String>,
    /// Deadline of one call, retries included (60 s when null).
    #[uniffi(default = None)]
    pub timeout: Option<f64>,
    /// One attempt (30 s when null).
    #[uniffi(default = None)]
    pub request_timeout: Option<f64>,
    /// Connecting (10 s when null).
    #[uniffi(default = None)]
    pub connect_timeout: Option<f64>,
    /// 0-10 (2 when null).
    #[uniffi(default = None)]
    pub max_retries: Option<u32>,
    /// Items per page request of every list, 1-1000 (the gateway's default when null).
    #[uniffi(default = None)]
    pub page_size: Option<u32>,
    /// e.g. `http://proxy.internal:3128`.
    #[uniffi(default = None)]
    pub proxy: Option<String>,
    #[uniffi(default = None)]
    pub user_agent: Option<String>,
    /// Plain `http://` to a host that is not loopback (never with live keys).
    #[uniffi(default = None)]
    pub allow_insecure_http: Option<bool>,
}

impl ClientOptions {
    /// The core's options: every default and limit is the core's.
    fn into_core(self) -> Result<CoreOptions> {
        Ok(CoreOptions {
            env: self.env,
            base_url: self.base_url,
            public_key: self.public_key,
            account_id: self.account_id,
            api_key: self.api_key.map(Secret::new),
            secret_key: self.secret_key.map(Secret::new),
            timeout: seconds(self.timeout, "timeout")?,
            request_timeout: seconds(self.request_timeout, "request_timeout")?,
            connect_timeout: seconds(self.connect_timeout, "connect_timeout")?,
            max_retries: self.max_retries,
            page_size: self.page_size,
            proxy: self.proxy,
            user_agent: self.user_agent,
            allow_insecure_http: self.allow_insecure_http,
        })
    }
}

/// What an app may hold: the public key, never an API key or the callback secret (those belong
/// on a server). Only the Public API: pre-requests, public invoice create/get.
#[derive(Clone, Debug, uniffi::Record)]
pub struct PublicClientOptions {
    pub public_key: String,
    #[uniffi(default = None)]
    pub env: Option<String>,
    #[uniffi(default = None)]
    pub base_url: Option<String>,
    #[uniffi(default = None)]
    pub timeout: Option<f64>,
    #[uniffi(default = None)]
    pub request_timeout: Option<f64>,
    #[uniffi(default = None)]
    pub connect_timeout: Option<f64>,
    #[uniffi(default = None)]
    pub max_retries: Option<u32>,
    #[uniffi(default = None)]
    pub proxy: Option<String>,
    #[uniffi(default = None)]
    pub user_agent: Option<String>,
}

fn seconds(value: Option<f64>, name: &str) -> Result<Option<std::time::Duration>> {
    Ok(value.map(|v| timeout_from_secs(v, name)).transpose()?)
}

/// `Some(<redacted>)` or `None`: whether a secret is set shows, never its value.
struct Redacted<'a>(&'a Option<String>);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(_) => f.write_str("Some(<redacted>)"),
            None => f.write_str("None"),
        }
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("public_key", &self.public_key)
            .field("account_id", &self.account_id)
            .field("api_key", &Redacted(&self.api_key))
            .field("secret_key", &Redacted(&self.secret_key))
            .field("env", &self.env)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_retries", &self.max_retries)
            .field("page_size", &self.page_size)
            .field("proxy", &self.proxy)
            .field("user_agent", &self.user_agent)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

/// The same text as `Debug` (Kotlin's `toString()` prefers `Display`).
impl fmt::Display for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Cancels the calls it is given to (a `raw_*` method's `token`): once `cancel()` ran, they end
/// with a `Cancelled` error that keeps the facts (a create's `reference_id`, and
/// `outcome_unknown` when the request may have reached the gateway); a call given a cancelled
/// token sends nothing. The Kotlin and Swift wrappers make one per call; use one yourself only
/// to cancel a `raw_*` call from outside a coroutine or task.
#[derive(Debug, Default, uniffi::Object)]
pub struct CallToken {
    token: CancellationToken,
}

#[uniffi::export]
impl CallToken {
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(CallToken::default())
    }

    /// Ends the calls running with this token, and those started with it later. Idempotent.
    pub fn cancel(&self) {
        self.token.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}

impl CallToken {
    pub(crate) fn cancellation(&self) -> CancellationToken {
        self.token.clone()
    }
}

/// A PayCore API client: one connection pool, safe to share between threads and coroutines.
/// It holds the API key and the callback secret, so it belongs on a server: an Android or iOS
/// app embeds [`PublicPayCoreClient`] (the public key alone) and asks its server for the rest.
#[derive(uniffi::Object)]
pub struct PayCoreClient {
    client: Client,
}

#[uniffi::export]
impl PayCoreClient {
    #[uniffi::constructor]
    pub fn new(options: ClientOptions) -> Result<Arc<Self>> {
        let config = options.into_core()?.into_config()?;
        Ok(Arc::new(PayCoreClient {
            client: Client::new(config)?,
        }))
    }

    pub fn base_url(&self) -> String {
        self.client.config().environment.base_url().to_owned()
    }

    /// `"test"`, `"live"` or null, from the keys.
    pub fn mode(&self) -> Option<String> {
        self.client.mode().map(|m| {
            match m {
                polypay::paycore::client::Mode::Test => "test",
                polypay::paycore::client::Mode::Live => "live",
            }
            .to_owned()
        })
    }

    /// Verifies a callback with the client's secret key.
    pub fn verify_callback(&self, body: Vec<u8>, signature: String) -> Result<CallbackEvent> {
        Ok(CallbackEvent::new(
            &self.client.verify_callback(&body, &signature)?,
        ))
    }
}

/// The client of one call: its own deadline (the core's one rule for user timeouts,
/// `invalid_timeout` otherwise) and its token.
fn per_call(
    client: &Client,
    timeout: Option<f64>,
    token: Option<Arc<CallToken>>,
) -> Result<Client> {
    let client = match timeout {
        Some(t) => client.with_deadline(timeout_from_secs(t, "timeout")?),
        None => client.clone(),
    };
    Ok(match token {
        Some(token) => client.with_cancel(token.token.clone()),
        None => client,
    })
}

/// The PayCore client an app may embed: the Public API with the public key alone.
#[derive(uniffi::Object)]
pub struct PublicPayCoreClient {
    client: Client,
}

#[uniffi::export]
impl PublicPayCoreClient {
    #[uniffi::constructor]
    pub fn new(options: PublicClientOptions) -> Result<Arc<Self>> {
        let PublicClientOptions {
            public_key,
            env,
            base_url,
            timeout,
            request_timeout,
            connect_timeout,
            max_retries,
            proxy,
            user_agent,
        } = options;
        let options = ClientOptions {
            public_key: Some(public_key),
            env,
            base_url,
            timeout,
            request_timeout,
            connect_timeout,
            max_retries,
            proxy,
            user_agent,
            ..ClientOptions::default()
        };
        Ok(Arc::new(PublicPayCoreClient {
            client: Client::new(options.into_core()?.into_config()?)?,
        }))
    }

    pub fn base_url(&self) -> String {
        self.client.config().environment.base_url().to_owned()
    }
}

/// A uniffi record made from an operation's outcome or a list's item.
trait Answer: Sized {
    fn answer(outcome: Outcome) -> Option<Self>;
    fn item(item: Item) -> Option<Self>;
}

macro_rules! answers {
    ($($record:ident: $($item:ident)?;)*) => {$(
        impl Answer for $record {
            fn answer(outcome: Outcome) -> Option<Self> {
                match outcome {
                    Outcome::$record(r) => Some($record::new(&r.data, ResponseInfo::of(&r))),
                    _ => None,
                }
            }

            #[allow(unreachable_patterns)]
            fn item(item: Item) -> Option<Self> {
                match item {
                    $(Item::$item(i) => Some($record::new(&i, None)),)?
                    _ => None,
                }
            }
        }
    )*};
}

answers! {
    Prerequest: ;
    PaymentInvoice: PaymentInvoice;
    PayoutInvoice: PayoutInvoice;
    Refund: Refund;
    PaymentService: PaymentService;
    PayoutService: PayoutService;
    Balances: ;
}

fn unexpected(name: OperationName) -> PolypayError {
    polypay::Error::new(
        polypay::ErrorKind::Decode,
        "unexpected_outcome",
        format!("{} answered another kind of result", name.as_str()),
    )
    .into()
}

async fn run<T: Answer>(client: Client, name: OperationName, arguments: Arguments) -> Result<T> {
    let operation = Operation::new(name, arguments)?;
    T::answer(client.execute(&operation).await?).ok_or_else(|| unexpected(name))
}

async fn find<T: Answer>(
    client: Client,
    name: OperationName,
    reference_id: String,
) -> Result<Option<T>> {
    let arguments = Arguments {
        reference_id: Some(reference_id),
        ..Arguments::default()
    };
    let operation = Operation::new(name, arguments)?;
    match client.execute(&operation).await? {
        Outcome::Found(item) => Ok(item.and_then(T::item)),
        _ => Err(unexpected(name)),
    }
}

async fn list<T: Answer>(
    client: Client,
    name: OperationName,
    arguments: Arguments,
    limit: Option<u32>,
) -> Result<Vec<T>> {
    let operation = Operation::new(name, arguments)?;
    let items = client
        .pager(&operation)?
        .collect(limit.map(|l| l as usize))
        .await?;
    items
        .into_iter()
        .map(|item| T::item(item).ok_or_else(|| unexpected(name)))
        .collect()
}

fn fields(json: &str) -> Result<Option<serde_json::Map<String, serde_json::Value>>> {
    Ok(Some(params(json, "fields")?))
}

// The network methods, one per row of the core's operation table, exported as `raw_<name>` with
// a trailing `token`: Kotlin and Swift users call the hand-written wrappers with the original
// names, which pass a token fired by coroutine/task cancellation (see the module comment).
macro_rules! uniffi_operation {
    ($client:ident Fields $variant:ident $name:ident $output:ident) => { pastey::paste! {
        #[uniffi::export(async_runtime = "tokio")]
        impl $client {
            #[uniffi::method(default(timeout = None, token = None))]
            pub async fn [<raw_ $name>](&self, fields_json: String, timeout: Option<f64>, token: Option<Arc<CallToken>>) -> Result<$output> {
                let arguments = Arguments { fields: fields(&fields_json)?, ..Arguments::default() };
                run(per_call(&self.client, timeout, token)?, OperationName::$variant, arguments).await
            }
        }
    }};
    ($client:ident Id $variant:ident $name:ident $output:ident) => { pastey::paste! {
        #[uniffi::export(async_runtime = "tokio")]
        impl $client {
            #[uniffi::method(default(timeout = None, token = None))]
            pub async fn [<raw_ $name>](&self, id: String, timeout: Option<f64>, token: Option<Arc<CallToken>>) -> Result<$output> {
                let arguments = Arguments { id: Some(id), ..Arguments::default() };
                run(per_call(&self.client, timeout, token)?, OperationName::$variant, arguments).await
            }
        }
    }};
    ($client:ident IdFields $variant:ident $name:ident $output:ident) => { pastey::paste! {
        #[uniffi::export(async_runtime = "tokio")]
        impl $client {
            #[uniffi::method(default(timeout = None, token = None))]
            pub async fn [<raw_ $name>](&self, id: String, fields_json: String, timeout: Option<f64>, token: Option<Arc<CallToken>>) -> Result<$output> {
                let arguments = Arguments { id: Some(id), fields: fields(&fields_json)?, ..Arguments::default() };
                run(per_call(&self.client, timeout, token)?, OperationName::$variant, arguments).await
            }
        }
    }};
    ($client:ident Nothing $variant:ident $name:ident $output:ident) => { pastey::paste! {
        #[uniffi::export(async_runtime = "tokio")]
        impl $client {
            #[uniffi::method(default(timeout = None, token = None))]
            pub async fn [<raw_ $name>](&self, timeout: Option<f64>, token: Option<Arc<CallToken>>) -> Result<$output> {
                run(per_call(&self.client, timeout, token)?, OperationName::$variant, Arguments::default()).await
            }
        }
    }};
    ($client:ident ReferenceId $variant:ident $name:ident $output:ident) => { pastey::paste! {
        #[uniffi::export(async_runtime = "tokio")]
        impl $client {
            /// The entity with this reference id, or null.
            #[uniffi::method(default(timeout = None, token = None))]
            pub async fn [<raw_ $name>](&self, reference_id: String, timeout: Option<f64>, token: Option<Arc<CallToken>>) -> Result<Option<$output>> {
                find(per_call(&self.client, timeout, token)?, OperationName::$variant, reference_id).await
            }
        }
    }};
    ($client:ident Filter $variant:ident $name:ident $output:ident) => { pastey::paste! {
        #[uniffi::export(async_runtime = "tokio")]
        impl $client {
            /// Every item, newest first, fetched page by page up to `limit` items (all if null).
            #[uniffi::method(default(reference_id = None, page_size = None, limit = None, token = None))]
            pub async fn [<raw_ $name>](&self, reference_id: Option<String>, page_size: Option<u32>, limit: Option<u32>, token: Option<Arc<CallToken>>) -> Result<Vec<$output>> {
                let arguments = Arguments { reference_id, page_size, ..Arguments::default() };
                list(per_call(&self.client, None, token)?, OperationName::$variant, arguments, limit).await
            }

            /// The same list read lazily: nothing is fetched until the first `next`.
            #[uniffi::method(default(reference_id = None, page_size = None))]
            pub fn [<raw_ $name _pager>](&self, reference_id: Option<String>, page_size: Option<u32>) -> Result<Arc<[<$output Pager>]>> {
                let arguments = Arguments { reference_id, page_size, ..Arguments::default() };
                let operation = Operation::new(OperationName::$variant, arguments)?;
                let pager = self.client.pager(&operation)?;
                Ok(Arc::new([<$output Pager>] { pager: tokio::sync::Mutex::new(pager) }))
            }
        }

        /// A list read one item at a time, fetching the next page when the last is used up.
        #[derive(uniffi::Object)]
        pub struct [<$output Pager>] {
            pager: tokio::sync::Mutex<Pager<Item>>,
        }

        #[uniffi::export(async_runtime = "tokio")]
        impl [<$output Pager>] {
            /// The next item, or null at the end; `token` ends a page fetch (a `Cancelled` error).
            #[uniffi::method(default(token = None))]
            pub async fn next(&self, token: Option<Arc<CallToken>>) -> Result<Option<$output>> {
                let mut pager = self.pager.lock().await;
                let item = match token {
                    Some(token) => token.token.run_until_cancelled(pager.next()).await.unwrap_or_else(|| Err(polypay::Error::new(
                        polypay::ErrorKind::Cancelled, "cancelled", "the list was cancelled",
                    ))),
                    None => pager.next().await,
                }?;
                item.map(|item| $output::item(item).ok_or_else(|| unexpected(OperationName::$variant))).transpose()
            }
        }
    }};
}

macro_rules! uniffi_operations {
    ($( $(#[$doc:meta])* $variant:ident $name:ident: $access:ident $semantics:ident ($input:ident) -> $output:ident; )*) => {
        $(
            uniffi_operation!(PayCoreClient $input $variant $name $output);
            uniffi_operations!(@public $access $input $variant $name $output);
        )*
    };
    (@public Public $input:ident $variant:ident $name:ident $output:ident) => {
        uniffi_operation!(PublicPayCoreClient $input $variant $name $output);
    };
    (@public Private $($rest:tt)*) => {};
}

polypay::paycore_operations!(uniffi_operations);

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    use std::time::Duration;

    use super::*;

    const API_KEY: &str = "api_key_DO_NOT_SHOW_1234";
    const SECRET_KEY: &str = "sk_test_DO_NOT_SHOW_5678";

    fn options() -> ClientOptions {
        ClientOptions {
            public_key: Some("pk_test_visible".into()),
            account_id: Some("coma_visible".into()),
            api_key: Some(API_KEY.into()),
            secret_key: Some(SECRET_KEY.into()),
            env: None,
            base_url: Some("http://127.0.0.1:9".into()),
            timeout: None,
            request_timeout: None,
            connect_timeout: None,
            max_retries: None,
            page_size: None,
            proxy: None,
            user_agent: None,
            allow_insecure_http: None,
        }
    }

    #[test]
    fn debug_and_display_redact_the_keys() {
        let options = options();
        for text in [
            format!("{options:?}"),
            format!("{options:#?}"),
            format!("{options}"),
            options.to_string(),
        ] {
            assert!(!text.contains(API_KEY), "{text}");
            assert!(!text.contains(SECRET_KEY), "{text}");
            assert!(!text.contains("DO_NOT_SHOW"), "{text}");
            assert!(text.contains("api_key: Some(<redacted>)"), "{text}");
            assert!(text.contains("secret_key: Some(<redacted>)"), "{text}");
            // What is not secret still shows, for debugging.
            assert!(
                text.contains("pk_test_visible") && text.contains("coma_visible"),
                "{text}"
            );
        }
        let none = ClientOptions {
            api_key: None,
            secret_key: None,
            ..options
        };
        assert!(format!("{none:?}").contains("api_key: None, secret_key: None"));
    }

    #[test]
    fn bad_times_are_invalid_input_never_a_panic() {
        let bad = [
            f64::NAN,
            -f64::NAN,
            -1.0,
            -0.0,
            0.0,
            1e-300,
            f64::MIN_POSITIVE,
            86_400.000_001,
            1e19,
            1e300,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        // The core's one rule for user timeouts, as the binding's error.
        let seconds =
            |value: f64, name: &str| timeout_from_secs(value, name).map_err(PolypayError::from);
        for value in bad {
            let e = seconds(value, "timeout").unwrap_err();
            assert!(
                matches!(&e, PolypayError::InvalidInput { code, argument, .. }
                    if code == "invalid_timeout" && argument.as_deref() == Some("timeout")),
                "{value}: {e:?}"
            );
        }
        assert_eq!(seconds(1.5, "t").unwrap(), Duration::from_millis(1500));
        assert_eq!(seconds(86_400.0, "t").unwrap(), Duration::from_secs(86_400));
        assert_eq!(seconds(1e-9, "t").unwrap(), Duration::from_nanos(1));

        let client = PayCoreClient::new(options()).unwrap();
        for name in ["timeout", "request_timeout", "connect_timeout"] {
            for value in bad {
                let mut o = options();
                match name {
                    "timeout" => o.timeout = Some(value),
                    "request_timeout" => o.request_timeout = Some(value),
                    _ => o.connect_timeout = Some(value),
                }
                let e = PayCoreClient::new(o).err().expect("refused");
                assert_eq!(e.kind(), "invalid_input", "{name} {value}");
                assert!(
                    matches!(&e, PolypayError::InvalidInput { argument, .. } if argument.as_deref() == Some(name)),
                    "{name} {value}: {e:?}"
                );
                assert!(!e.to_string().contains(API_KEY) && !e.to_string().contains(SECRET_KEY));
            }
            // The per-call timeout goes through the same check.
            for value in bad {
                assert_eq!(
                    per_call(&client.client, Some(value), None)
                        .err()
                        .unwrap()
                        .kind(),
                    "invalid_input"
                );
            }
        }
    }

    /// The first poll of a future that must finish without waiting (no runtime needed).
    fn at_once<T>(future: impl Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(value) => value,
            Poll::Pending => panic!("the call waited"),
        }
    }

    #[test]
    fn a_cancelled_token_ends_calls_before_sending_with_the_facts() {
        // Port 9 (discard) is never reached: the token is checked before anything is sent.
        let client = PayCoreClient::new(options()).unwrap();
        let token = CallToken::new();
        assert!(!token.is_cancelled());
        token.cancel();
        token.cancel(); // idempotent
        assert!(token.is_cancelled());

        let fields = r#"{"service":"s","amount":"1.00","currency":"USD"}"#.to_owned();
        let e = at_once(client.raw_create_payment_invoice(fields, None, Some(token.clone())))
            .unwrap_err();
        match &e {
            PolypayError::Cancelled {
                kind,
                code,
                outcome_unknown,
                reference_id,
                ..
            } => {
                assert_eq!((kind.as_str(), code.as_str()), ("cancelled", "cancelled"));
                assert!(!outcome_unknown, "nothing was sent: {e:?}");
                // The generated reference_id (a UUID) comes back with the error.
                assert_eq!(reference_id.as_deref().map(str::len), Some(36), "{e:?}");
            }
            other => panic!("expected Cancelled, got {other:?}"),
        }
        let refund = at_once(client.raw_refund_payment_invoice(
            "cpi_1".into(),
            r#"{"amount":"1.00","reference_id":"r-1"}"#.into(),
            None,
            Some(token.clone()),
        ))
        .unwrap_err();
        assert!(
            matches!(&refund, PolypayError::Cancelled { reference_id: Some(r), outcome_unknown: false, .. } if r == "r-1"),
            "{refund:?}"
        );
        // Reads and lists go through the same token.
        let read = at_once(client.raw_balances(None, Some(token.clone()))).unwrap_err();
        assert_eq!(read.kind(), "cancelled");
        let list =
            at_once(client.raw_list_payment_invoices(None, None, None, Some(token))).unwrap_err();
        assert_eq!(list.kind(), "cancelled");
        // Input errors still come first (nothing to cancel).
        let bad =
            at_once(client.raw_create_payment_invoice("x".into(), None, Some(CallToken::new())));
        assert_eq!(bad.unwrap_err().kind(), "invalid_input");
    }
}
