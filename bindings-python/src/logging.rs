//! The core's `tracing` events (requests, failed attempts, retries, reconciliation) forwarded to
//! Python's `logging` on the `polypay` logger. The core never puts secrets in events (keys are
//! `Secret`, redacted in `Debug`); the Python side adds a redacting filter as a second guard.
//!
//! To stay free when nobody listens, events are only forwarded at or above a level that the
//! Python package sets (`set_log_level`) from the `polypay` logger's effective level when a
//! client is created.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

/// Python level number / 10 (1 debug .. 5 critical); 0 = off.
static THRESHOLD: AtomicU8 = AtomicU8::new(0);
static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

#[pyfunction]
pub fn set_log_level(level: i32) {
    let t = if level <= 0 {
        0
    } else {
        (level / 10).clamp(1, 5) as u8
    };
    THRESHOLD.store(t, Ordering::Relaxed);
}

fn py_level(level: &Level) -> u8 {
    match *level {
        Level::TRACE | Level::DEBUG => 1,
        Level::INFO => 2,
        Level::WARN => 3,
        Level::ERROR => 4,
    }
}

struct Bridge;

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
            if !self.0.is_empty() {
                self.0.insert_str(0, "");
            }
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

impl Subscriber for Bridge {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if metadata.target().starts_with("polypay") {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        let threshold = THRESHOLD.load(Ordering::Relaxed);
        threshold != 0
            && metadata.target().starts_with("polypay")
            && py_level(metadata.level()) >= threshold
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _span: &Id, _values: &Record<'_>) {}
    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}
    fn enter(&self, _span: &Id) {}
    fn exit(&self, _span: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut message = Message(String::new());
        event.record(&mut message);
        let level = py_level(event.metadata().level()) as i32 * 10;
        if crate::runtime::exiting() || unsafe { pyo3::ffi::Py_IsInitialized() } == 0 {
            return;
        }
        Python::attach(|py| {
            let logger = LOGGER.get_or_try_init(py, || {
                py.import("logging")?
                    .call_method1("getLogger", ("polypay",))
                    .map(Bound::unbind)
            });
            if let Ok(logger) = logger {
                let _ = logger
                    .bind(py)
                    .call_method1("log", (level, message.0.trim_start()));
            }
        });
    }
}

pub fn install() {
    let _ = tracing::subscriber::set_global_default(Bridge);
}
