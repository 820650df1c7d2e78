//! One tokio runtime per process, fork-safe (the lancedb `python/src/runtime.rs` pattern).
//!
//! The runtime lives behind an `AtomicPtr`. A `pthread_atfork` child handler forgets it (its
//! threads do not exist in the child, so it is leaked, never dropped) and bumps a generation
//! counter; the next use builds a fresh runtime. Clients compare the generation to rebuild their
//! connection pool, whose sockets and driver belonged to the parent's runtime.

use std::future::Future;
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::Once;

use pyo3_async_runtimes::generic::{ContextExt, JoinError, Runtime as GenericRuntime};
use pyo3_async_runtimes::TaskLocals;
use tokio::runtime::Runtime;

static RUNTIME: AtomicPtr<Runtime> = AtomicPtr::new(ptr::null_mut());
static GENERATION: AtomicU64 = AtomicU64::new(0);
static AT_FORK: Once = Once::new();

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

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        JoinHandle(get().spawn(fut))
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        JoinHandle(get().spawn_blocking(f))
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
