//! A client's logging hooks: the core's [`Observer`] forwarded to one JS function (the
//! `on('request')` / `on('response')` dispatcher of `PayCoreClient`), set and cleared as
//! listeners come and go. Without a listener, a request costs one uncontended lock.

use std::sync::{Arc, RwLock};

use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Status;
use napi_derive::napi;
use polypay::paycore::client::{Exchange, Observer};

/// One HTTP request of a client call (`event: 'request'`) or its answer (`'response'`): never
/// a header, a body or the query.
#[napi(object, object_from_js = false)]
pub struct HttpExchange {
    #[napi(ts_type = "'request' | 'response'")]
    pub event: String,
    pub method: String,
    pub path: String,
    /// 1 for the first attempt, 2 for the first retry, …
    pub attempt: u32,
    /// The answer's HTTP status (responses that got one).
    pub status: Option<u32>,
    pub request_id: Option<String>,
    /// From sending to the end of the answer (responses).
    pub elapsed_ms: Option<f64>,
    /// Why no answer came: the error's code (`timeout`, `connection`, …).
    pub error: Option<String>,
}

/// Called on the main thread for each exchange; weak, so it never keeps the process alive.
pub type Listener = ThreadsafeFunction<HttpExchange, (), HttpExchange, Status, false, true>;

#[derive(Default)]
pub struct Hooks {
    listener: RwLock<Option<Arc<Listener>>>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hooks")
    }
}

impl Hooks {
    pub fn set(&self, listener: Option<Listener>) {
        *self.listener.write().unwrap() = listener.map(Arc::new);
    }

    fn emit(&self, event: &str, exchange: &Exchange) {
        let Some(listener) = self.listener.read().unwrap().clone() else {
            return;
        };
        listener.call(
            HttpExchange {
                event: event.to_owned(),
                method: exchange.method.clone(),
                path: exchange.path.clone(),
                attempt: exchange.attempt,
                status: exchange.status.map(u32::from),
                request_id: exchange.request_id.clone(),
                elapsed_ms: exchange.elapsed_ms.map(|ms| ms as f64),
                error: exchange.error.clone(),
            },
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    }
}

impl Observer for Hooks {
    fn on_request(&self, exchange: &Exchange) {
        self.emit("request", exchange);
    }
    fn on_response(&self, exchange: &Exchange) {
        self.emit("response", exchange);
    }
}
