//! The core's `tracing` events (requests, failed attempts, retries, reconciliation) forwarded to
//! a logger of the host app: Kotlin's `Polypay.setLogger { level, target, message -> }` (or any
//! `PolypayLogger`), Swift's `setLogger(logger:minLevel:)`. The parity of the Python binding's
//! `polypay` logger (bindings-python/src/logging.rs).
//!
//! * **No secrets.** The core never puts a key in an event (keys are `Secret`, redacted in
//!   `Debug`; events carry method, path without query, status, request id, timings, the kind of
//!   a failure, the reference id being reconciled). Only events whose target starts with
//!   `polypay` are forwarded: nothing of reqwest, hyper or rustls, whose events could show
//!   headers.
//! * **Cheap when nobody listens.** One subscriber is installed as this library's global default
//!   on the first `set_logger` (`tracing::subscriber::set_global_default`, once); `set_logger`
//!   then only swaps the sink and the threshold. Every event of the core asks `enabled` first,
//!   which is one atomic load: without a logger, or below its level, nothing is formatted.
//! * **A logger that fails does not fail the call**: a foreign exception (a Rust panic on this
//!   side) is caught and the event dropped.

use std::fmt::{self, Write as _};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Once, RwLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

/// The level of an event, and a logger's threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, uniffi::Enum)]
pub enum LogLevel {
    Trace,
    /// Every response and every failed attempt (method, path, status, request id, time).
    Debug,
    /// Reconciliation of a create whose outcome was unknown.
    Info,
    Warn,
    Error,
}

impl LogLevel {
    fn rank(self) -> u8 {
        match self {
            LogLevel::Trace => 1,
            LogLevel::Debug => 2,
            LogLevel::Info => 3,
            LogLevel::Warn => 4,
            LogLevel::Error => 5,
        }
    }

    fn of(level: &Level) -> LogLevel {
        match *level {
            Level::TRACE => LogLevel::Trace,
            Level::DEBUG => LogLevel::Debug,
            Level::INFO => LogLevel::Info,
            Level::WARN => LogLevel::Warn,
            Level::ERROR => LogLevel::Error,
        }
    }
}

/// Receives the SDK's log events. Called on the SDK's worker threads, possibly at the same time
/// from several: be thread-safe and quick, and do not throw (an exception drops the event).
/// `target` is where the event comes from (`polypay`); `message` is the event's text followed by
/// its fields as ` name=value` (never a key or secret).
#[uniffi::export(with_foreign)]
pub trait PolypayLogger: Send + Sync {
    fn log(&self, level: LogLevel, target: String, message: String);
}

/// 0: no logger; else the rank of the lowest level forwarded.
static THRESHOLD: AtomicU8 = AtomicU8::new(0);
static SINK: RwLock<Option<Arc<dyn PolypayLogger>>> = RwLock::new(None);
static INSTALL: Once = Once::new();

/// Sends the SDK's events at or above `min_level` to `logger`, from now on and for every client
/// (it is global); `None` stops forwarding. Replaces the logger set before.
#[uniffi::export]
pub fn set_logger(logger: Option<Arc<dyn PolypayLogger>>, min_level: LogLevel) {
    INSTALL.call_once(|| {
        // Fails only if this library already has a global subscriber, which only this does.
        let _ = tracing::subscriber::set_global_default(Bridge);
    });
    let mut sink = SINK.write().unwrap_or_else(|e| e.into_inner());
    let threshold = if logger.is_some() {
        min_level.rank()
    } else {
        0
    };
    *sink = logger;
    THRESHOLD.store(threshold, Ordering::Release);
}

fn forwarded(metadata: &Metadata<'_>) -> bool {
    metadata.target().starts_with("polypay")
}

struct Bridge;

/// The event's message, then ` name=value` for each field.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }
}

impl Subscriber for Bridge {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // `sometimes`: `enabled` (the atomic threshold) decides at each event.
        if forwarded(metadata) {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        let threshold = THRESHOLD.load(Ordering::Acquire);
        threshold != 0 && forwarded(metadata) && LogLevel::of(metadata.level()).rank() >= threshold
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _span: &Id, _values: &Record<'_>) {}
    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}
    fn enter(&self, _span: &Id) {}
    fn exit(&self, _span: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let Some(logger) = SINK.read().unwrap_or_else(|e| e.into_inner()).clone() else {
            return;
        };
        let mut text = Text::default();
        event.record(&mut text);
        text.message.push_str(&text.fields);
        let metadata = event.metadata();
        let level = LogLevel::of(metadata.level());
        let target = metadata.target().to_owned();
        // A foreign exception is a panic here (uniffi): the event is dropped, the call goes on.
        let _ = catch_unwind(AssertUnwindSafe(|| logger.log(level, target, text.message)));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::client::{ClientOptions, PayCoreClient};

    const API_KEY: &str = "api_key_NEVER_LOGGED_1234";
    const SECRET_KEY: &str = "sk_test_NEVER_LOGGED_5678";

    #[derive(Default)]
    struct Collect(Mutex<Vec<(LogLevel, String, String)>>);

    impl PolypayLogger for Collect {
        fn log(&self, level: LogLevel, target: String, message: String) {
            self.0.lock().unwrap().push((level, target, message));
        }
    }

    impl Collect {
        fn take(&self) -> Vec<(LogLevel, String, String)> {
            std::mem::take(&mut self.0.lock().unwrap())
        }
    }

    struct Panics;

    impl PolypayLogger for Panics {
        fn log(&self, _: LogLevel, _: String, _: String) {
            panic!("a logger that throws");
        }
    }

    /// A server that answers every request 503 and then 200 with an empty balance list; the
    /// requests' heads are kept (to show the key was sent, so could have leaked).
    async fn server(heads: Arc<Mutex<Vec<String>>>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let mut n = 0;
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                n += 1;
                let first = n % 2 == 1;
                let heads = heads.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16384];
                    let mut read = 0;
                    while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf[read..]).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => read += k,
                        }
                    }
                    heads
                        .lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&buf[..read]).into_owned());
                    let (status, body) = if first {
                        (
                            "503 Service Unavailable",
                            r#"{"errors":[{"title":"busy"}]}"#,
                        )
                    } else {
                        ("200 OK", r#"{"data":[]}"#)
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nx-request-id: req-{n}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                });
            }
        });
        format!("http://{address}")
    }

    // One test: the logger is global to the library.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn events_reach_the_logger_without_secrets_and_stop_with_none() {
        let heads = Arc::new(Mutex::new(Vec::new()));
        let base_url = server(heads.clone()).await;
        let client = PayCoreClient::new(ClientOptions {
            account_id: Some("coma_visible".into()),
            api_key: Some(API_KEY.into()),
            secret_key: Some(SECRET_KEY.into()),
            base_url: Some(base_url),
            max_retries: Some(2),
            ..Default::default()
        })
        .unwrap();
        let collect = Arc::new(Collect::default());

        // No logger yet: nothing is collected.
        let _ = client.raw_balances(None, None).await;
        assert!(collect.take().is_empty());

        set_logger(Some(collect.clone()), LogLevel::Debug);
        let _ = client.raw_balances(None, None).await;
        let events = collect.take();
        assert!(
            heads
                .lock()
                .unwrap()
                .iter()
                .any(|h| h.to_ascii_lowercase().contains("authorization: basic ")),
            "the key was sent (Basic account_id:api_key)"
        );
        assert!(
            events
                .iter()
                .any(|(level, target, m)| *level == LogLevel::Debug
                    && target == "polypay"
                    && m.starts_with("response")
                    && m.contains("status=503")),
            "{events:?}"
        );
        assert!(
            events
                .iter()
                .any(|(_, _, m)| m.starts_with("attempt failed")),
            "{events:?}"
        );
        for (_, target, message) in &events {
            assert!(target.starts_with("polypay"), "{target}");
            for secret in [API_KEY, SECRET_KEY, "NEVER_LOGGED", "Basic", "uthorization"] {
                assert!(!message.contains(secret), "{message}");
            }
        }

        // Above the level: the debug events are not forwarded.
        set_logger(Some(collect.clone()), LogLevel::Info);
        let _ = client.raw_balances(None, None).await;
        assert!(collect.take().is_empty());

        // A logger that fails does not fail the call.
        set_logger(Some(Arc::new(Panics)), LogLevel::Trace);
        let e = client.raw_balances(None, None).await.err();
        assert!(e.as_ref().is_none_or(|e| e.kind() != "cancelled"), "{e:?}");

        // None: forwarding stops.
        set_logger(Some(collect.clone()), LogLevel::Debug);
        set_logger(None, LogLevel::Debug);
        let _ = client.raw_balances(None, None).await;
        assert!(collect.take().is_empty());
    }
}
