//! The property of `wire/scenario.rs` over generated gateway behaviour (the `client_wire`
//! fuzz target explores the same space for longer: `make fuzz`).

mod wire;

use proptest::prelude::*;
use wire::scenario::{check, Scenario};

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_answer_keeps_the_promises(bytes in proptest::collection::vec(any::<u8>(), 0..18)) {
        let scenario = Scenario::from_bytes(&bytes);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let verdict = runtime.block_on(check(scenario.clone()));
        prop_assert!(verdict.is_ok(), "{:?}: {}", scenario, verdict.unwrap_err());
    }
}

/// The sequences that decide the outcome flag, spelled out (random bytes reach them rarely):
/// something that may have landed, a lookup that does not see it yet, then a clear refusal of
/// the re-sent create. A client that let the last answer decide would fail here.
#[test]
fn a_refusal_after_a_possible_landing_keeps_the_outcome_unknown() {
    use serde_json::json;
    use wire::scenario::Step;
    use wire::Reply;
    let landed = [
        Reply::json(503, json!({})),
        Reply::json(502, json!({})),
        Reply::Drop,
        Reply::json(201, json!({})),
        Reply::Answer(302, vec![("location".into(), "/x".into())], Vec::new()),
        Reply::Truncate(201, b"{\"data\"".to_vec()),
    ];
    let refusals = [
        Reply::json(422, json!({"errors": {"amount": "refused"}})),
        Reply::json(401, json!({})),
        Reply::json(403, json!({})),
    ];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for first in &landed {
        for last in &refusals {
            let scenario = Scenario {
                create: true,
                max_retries: 1,
                steps: vec![
                    Step {
                        reply: first.clone(),
                        commit: true,
                    },
                    Step {
                        reply: Reply::json(200, json!({"data": []})),
                        commit: false,
                    },
                    Step {
                        reply: last.clone(),
                        commit: false,
                    },
                ],
            };
            let verdict = runtime.block_on(check(scenario.clone()));
            assert!(verdict.is_ok(), "{scenario:?}: {}", verdict.unwrap_err());
        }
    }
}
