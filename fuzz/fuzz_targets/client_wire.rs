//! The Commerce API client's side of the wire (issue 14): arbitrary statuses, `Retry-After`
//! values, bodies, trickles and cut or dropped connections, for reads and for creates and the
//! lookups that reconcile them. The invariants are `core/tests/wire/scenario.rs`'s (also a
//! property test in `make test`): no panic, every call within its deadline, one
//! `reference_id` per create, and never `outcome_unknown: false` for a create that landed.
#![no_main]

#[path = "../../core/tests/wire/mod.rs"]
mod wire;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wire::scenario::{check, Scenario};

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let scenario = Scenario::from_bytes(data);
    if let Err(broken) = runtime().block_on(check(scenario.clone())) {
        panic!("{scenario:?}: {broken}");
    }
});
