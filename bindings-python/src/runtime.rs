//! One tokio runtime per process, fork-safe (the lancedb `python/src/runtime.rs` pattern).
//!
//! The runtime lives behind an `AtomicPtr`. A `pthread_atfork` child handler forgets it (its
//! threads do not exist in the child, so it is leaked, never dropped) and bumps a generation
//! counter; the next use builds a fresh runtime. Clients compare the generation to rebuild their
//! connection pool, whose sockets and driver belonged to the parent's runtime.
//!
//! Interpreter exit: a task that finishes after Python started finalizing would take the GIL on a
//! dying interpreter (a crash, seen with asyncio programs that exit right after an await). An
//! `atexit` hook ([`drain_at_exit`]) stops every task of ours at its next await, lets those that
//! already hold or wait for the GIL finish (it waits with the GIL released), and from then on
//! nothing of ours enters Python.

use std::future::Future;
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Once, OnceLock};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use tokio::sync::watch;

use pyo3_async_runtimes::generic::{ContextExt, JoinError, Runtime as GenericRuntime};
use pyo3_async_runtimes::TaskLocals;
use tokio::runtime::Runtime;

static RUNTIME: AtomicPtr<Runtime> = AtomicPtr::new(ptr::null_mut());
static GENERATION: AtomicU64 = AtomicU64::new(0);
static AT_FORK: Once = Once::new();
static EXITING: AtomicBool = AtomicBool::new(false);
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static EXIT: OnceLock<watch::Sender<bool>> = OnceLock::new();
/// How long exit waits for tasks caught inside Python to leave it.
const EXIT_GRACE: Duration = Duration::from_secs(5);

extern "C" fn child_after_fork() {
    // Only async-signal-safe work here: two atomic stores.
    RUNTIME.store(ptr::null_mut(), Ordering::SeqCst);
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

pub fn install_fork_handler() {
    AT_FORK.call_once(|| unsafe {
        libc::pthread_atfork(None, None, Some(child_after_fork));
    });
}

/// Changes in a forked child: anything bound to an older generation must be rebuilt.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::SeqCst)
}

pub fn get() -> &'static Runtime {
    let current = RUNTIME.load(Ordering::Acquire);
    if !current.is_null() {
        // SAFETY: a published runtime is never freed (leaked after fork, static otherwise).
        return unsafe { &*current };
    }
    let fresh = Box::into_raw(Box::new(
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("polypay-tokio")
            .enable_all()
            .build()
            .expect("cannot start the tokio runtime"),
    ));
    match RUNTIME.compare_exchange(ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => unsafe { &*fresh },
        Err(existing) => {
            // Another thread won the race: ours never ran anything.
            drop(unsafe { Box::from_raw(fresh) });
            unsafe { &*existing }
        }
    }
}

/// True once the interpreter is exiting: code on our threads must not enter Python any more.
pub fn exiting() -> bool {
    EXITING.load(Ordering::SeqCst)
}

fn exit_signal() -> watch::Receiver<bool> {
    EXIT.get_or_init(|| watch::channel(false).0).subscribe()
}

/// Counts a task that may enter Python until it is dropped.
struct InFlight;

impl InFlight {
    fn start() -> InFlight {
        IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The `atexit` hook (registered by the module): see the module documentation.
#[pyfunction]
pub fn drain_at_exit(py: Python<'_>) {
    EXITING.store(true, Ordering::SeqCst);
    if let Some(exit) = EXIT.get() {
        exit.send_replace(true);
    }
    py.detach(|| {
        let deadline = Instant::now() + EXIT_GRACE;
        while IN_FLIGHT.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// Registers [`drain_at_exit`] with Python's `atexit`.
pub fn register_exit_hook(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let hook = wrap_pyfunction!(drain_at_exit, module)?;
    module
        .py()
        .import("atexit")?
        .call_method1("register", (hook,))?;
    Ok(())
}

/// Runs `future` to completion on the shared runtime (call it with the GIL released).
pub fn block_on<F: Future>(future: F) -> F::Output {
    get().handle().block_on(future)
}

tokio::task_local! {
    static TASK_LOCALS: std::cell::OnceCell<TaskLocals>;
}

/// The shared runtime as a `pyo3_async_runtimes` runtime, for `future_into_py`.
pub struct PolypayRuntime;

pub struct TokioJoinError(tokio::task::JoinError);

impl JoinError for TokioJoinError {
    fn is_panic(&self) -> bool {
        self.0.is_panic()
    }
    fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        self.0.into_panic()
    }
}

pub struct JoinHandle(tokio::task::JoinHandle<()>);

impl Future for JoinHandle {
    type Output = Result<(), TokioJoinError>;
    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map_err(TokioJoinError)
    }
}

impl GenericRuntime for PolypayRuntime {
    type JoinError = TokioJoinError;
    type JoinHandle = JoinHandle;

    /// The task ends at its next await once the interpreter exits (its result has nobody left).
    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let in_flight = InFlight::start();
        let mut exit = exit_signal();
        JoinHandle(get().spawn(async move {
            let _in_flight = in_flight;
            if exiting() {
                return;
            }
            tokio::select! {
                () = fut => {}
                _ = exit.wait_for(|exiting| *exiting) => {}
            }
        }))
    }

    /// Not run once the interpreter exits: `f` would enter Python (to resolve an asyncio future).
    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        let in_flight = InFlight::start();
        JoinHandle(get().spawn_blocking(move || {
            let _in_flight = in_flight;
            if !exiting() {
                f();
            }
        }))
    }
}

impl ContextExt for PolypayRuntime {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = std::cell::OnceCell::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS
            .try_with(|c| c.get().cloned())
            .unwrap_or_default()
    }
}
