//! The client at the edges a real gateway reaches (issue 14): every numbered rule of "nothing
//! doubled, nothing lost", over real HTTP against a scripted raw server that answers exactly
//! what a hostile gateway would. The same rules against `polypay sandbox` fault effects are in
//! `sandbox_edges.rs`; the property over arbitrary answers is in `wire_property.rs`.

mod wire;

use std::sync::Arc;
use std::time::{Duration, Instant};

use polypay::paycore::client::{Config, ListOptions, PaymentInvoiceRequest, RetryPolicy};
use polypay::paycore::{Client, Environment};
use polypay::{ErrorKind, Money};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use wire::{lookup_answer, Reply, Seen, Server, Store};

fn config(base: &str) -> Config {
    let mut config = Config::new(Environment::custom(base).unwrap());
    config.account_id = Some("coma_test".into());
    config.api_key = Some("API_KEY".into());
    config.request_timeout = Duration::from_millis(400);
    config.deadline = Duration::from_secs(3);
    config.retry = RetryPolicy {
        initial_backoff: Duration::from_millis(10),
        jitter: Arc::new(|| 1.0),
        ..RetryPolicy::default()
    };
    config
}

fn client(server: &Server) -> Client {
    Client::new(config(&server.base)).unwrap()
}

fn request(reference: &str) -> PaymentInvoiceRequest {
    PaymentInvoiceRequest::new("card_usd", Money::parse("10.50", "USD").unwrap())
        .set("reference_id", reference)
}

/// Creates go through `create`, lookups are answered honestly from the store.
async fn gateway(
    create: impl Fn(&Seen<'_>, &Store, usize) -> Reply + Send + Sync + 'static,
) -> Server {
    let posts = std::sync::atomic::AtomicUsize::new(0);
    Server::start(Arc::new(move |seen: &Seen<'_>, store: &Store| {
        if seen.method == "POST" {
            let n = posts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            create(seen, store, n)
        } else {
            lookup_answer(store, seen.target)
        }
    }))
    .await
}

const LOOKUP: &str = "GET /api/payment-invoices?filter";

// 1. No panic from any value a server or a user supplies.

#[tokio::test]
async fn huge_retry_after_is_capped_by_the_deadline_not_a_panic() {
    for value in [
        "18446744073709551615",
        "99999999999999999999999",
        "Wed, 21 Oct 2065 07:28:00 GMT",
        "-5",
        "soon",
    ] {
        let value = value.to_owned();
        let server = Server::start(Arc::new(move |_: &Seen<'_>, _: &Store| {
            Reply::Answer(
                503,
                vec![("retry-after".into(), value.clone())],
                b"{}".to_vec(),
            )
        }))
        .await;
        let started = Instant::now();
        let error = client(&server)
            .get_payment_invoice("cpi_1")
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Server);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn user_deadlines_of_any_size_never_overflow() {
    let server =
        gateway(|seen, store, _| Reply::json(201, json!({"data": store.commit(seen.body)}))).await;
    let huge = client(&server).with_deadline(Duration::MAX);
    assert!(huge.create_payment_invoice(&request("r-max")).await.is_ok());
    let mut config = config(&server.base);
    config.deadline = Duration::MAX;
    let error = Client::new(config).unwrap_err();
    assert_eq!(
        (error.kind(), error.argument()),
        (ErrorKind::InvalidInput, Some("deadline"))
    );
    config = self::config(&server.base);
    config.request_timeout = Duration::ZERO;
    assert_eq!(Client::new(config).unwrap_err().code(), "invalid_timeout");
}

// 2. "May have landed" is sticky.

#[tokio::test]
async fn a_5xx_after_commit_then_a_422_stays_unknown_and_is_found_later() {
    // The first create commits and answers 503; the lookup runs before the commit is visible
    // (it answers empty); the re-sent create is refused with 422.
    let server = Server::start(Arc::new(|seen: &Seen<'_>, store: &Store| {
        if seen.method == "POST" && seen.index == 0 {
            store.commit(seen.body);
            return Reply::json(503, json!({"errors": [{"status": "Service Unavailable"}]}));
        }
        if seen.method == "POST" {
            return Reply::json(422, json!({"errors": {"amount": "limit"}}));
        }
        Reply::json(200, json!({"data": []}))
    }))
    .await;
    let error = client(&server)
        .create_payment_invoice(&request("r-sticky"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert!(
        error.outcome_unknown(),
        "a 503 came first: it may have landed"
    );
    assert_eq!(error.reference_id(), Some("r-sticky"));
    assert_eq!(server.store.find("r-sticky").len(), 1);
}

#[tokio::test]
async fn every_5xx_and_a_lost_answer_make_a_create_unknown() {
    for (reply, kind) in [
        (Reply::json(500, json!({})), ErrorKind::Server),
        (Reply::json(502, json!({})), ErrorKind::Server),
        (Reply::json(503, json!({})), ErrorKind::Server),
        (Reply::json(504, json!({})), ErrorKind::Server),
        (Reply::Drop, ErrorKind::Connection),
        (
            Reply::Truncate(201, b"{\"data\":{\"id\"".to_vec()),
            ErrorKind::Connection,
        ),
        (
            Reply::Answer(201, vec![], b"{\"data\": {\"id\": ".to_vec()),
            ErrorKind::Decode,
        ),
    ] {
        let server = gateway(move |seen, store, _| {
            store.commit(seen.body);
            reply.clone()
        })
        .await;
        let mut config = config(&server.base);
        config.retry.max_retries = 0;
        let result = Client::new(config)
            .unwrap()
            .create_payment_invoice(&request("r-5xx"))
            .await;
        // The honest lookup finds what was committed: the call ends with the entity.
        let invoice = result.unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert!(invoice.reconciled);
        assert_eq!(server.store.len(), 1);
    }
}

// 3. A 2xx of the wrong shape on a create means it landed.

#[tokio::test]
async fn a_wrong_shaped_2xx_is_reconciled_by_reference() {
    for body in [
        json!({}),
        json!({"data": []}),
        json!({"data": {"status": "created"}}),
    ] {
        let answer = body.clone();
        let server = gateway(move |seen, store, _| {
            store.commit(seen.body);
            Reply::json(201, answer.clone())
        })
        .await;
        let invoice = client(&server)
            .create_payment_invoice(&request("r-shape"))
            .await
            .unwrap_or_else(|e| panic!("{body}: {e}"));
        assert!(invoice.reconciled, "{body}");
        assert_eq!(
            (server.store.len(), server.requests(LOOKUP)),
            (1, 1),
            "{body}"
        );
    }
    // When the lookup cannot find it either, the outcome is unknown, never "not created".
    // Both the create and the lookup answer 200 with an empty list.
    let server = Server::start(Arc::new(|_: &Seen<'_>, _: &Store| {
        Reply::json(200, json!({"data": []}))
    }))
    .await;
    let mut config = config(&server.base);
    config.retry.max_retries = 0;
    let error = Client::new(config)
        .unwrap()
        .create_payment_invoice(&request("r-shape2"))
        .await
        .unwrap_err();
    assert_eq!(
        (error.kind(), error.outcome_unknown()),
        (ErrorKind::Decode, true)
    );
    assert_eq!(error.reference_id(), Some("r-shape2"));
}

// 4. 409 without a usable entity.

#[tokio::test]
async fn a_409_without_data_is_looked_up() {
    let server = gateway(|seen, store, _| {
        store.commit(seen.body);
        Reply::json(409, json!({"errors": [{"status": "Conflict"}]}))
    })
    .await;
    let invoice = client(&server)
        .create_payment_invoice(&request("r-409"))
        .await
        .unwrap();
    assert!(invoice.reconciled);
    assert_eq!((server.requests("POST"), server.requests(LOOKUP)), (1, 1));

    // Not found either: the 409 says something exists, so the outcome is unknown.
    let server = Server::start(Arc::new(|seen: &Seen<'_>, _: &Store| {
        if seen.method == "POST" {
            Reply::json(409, json!({"errors": [{"status": "Conflict"}], "data": []}))
        } else {
            Reply::json(200, json!({"data": []}))
        }
    }))
    .await;
    let error = client(&server)
        .create_payment_invoice(&request("r-409b"))
        .await
        .unwrap_err();
    assert_eq!(
        (error.kind(), error.outcome_unknown()),
        (ErrorKind::Conflict, true)
    );
    assert_eq!(server.requests("POST"), 1, "a 409 is never re-sent");
}

// 5. A reused reference_id with another amount, currency or service.

#[tokio::test]
async fn a_reused_reference_with_another_amount_is_a_typed_conflict() {
    let other = json!({"type": "payment-invoices", "id": "cpi_OTHER",
        "attributes": {"reference_id": "r-reused", "amount": "99.00", "currency": "USD"}});
    let existing = other.clone();
    let server = gateway(move |_, _, _| {
        Reply::json(
            409,
            json!({"errors": [{"status": "Conflict"}], "data": existing.clone()}),
        )
    })
    .await;
    let error = client(&server)
        .create_payment_invoice(&request("r-reused"))
        .await
        .unwrap_err();
    assert_eq!(
        (error.kind(), error.code(), error.outcome_unknown()),
        (ErrorKind::Conflict, "reference_reused", false)
    );
    assert_eq!(error.existing().unwrap()["id"], "cpi_OTHER");
    assert!(error.message().contains("amount"), "{}", error.message());

    // The same through reconciliation, and for the currency; an equal amount written
    // differently ("10.5" for "10.50") is the same request.
    for (amount, currency, verdict) in [
        ("10.50", "EUR", Some("currency")),
        ("10.5", "USD", None),
        ("10.51", "USD", Some("amount")),
    ] {
        let found = json!({"type": "payment-invoices", "id": "cpi_FOUND",
            "attributes": {"reference_id": "r-lookup", "amount": amount, "currency": currency}});
        let server = Server::start(Arc::new(move |seen: &Seen<'_>, _: &Store| {
            if seen.method == "POST" {
                Reply::Drop
            } else {
                Reply::json(200, json!({"data": [found.clone()]}))
            }
        }))
        .await;
        let result = client(&server)
            .create_payment_invoice(&request("r-lookup"))
            .await;
        match verdict {
            None => assert_eq!(result.unwrap().id, "cpi_FOUND"),
            Some(field) => {
                let error = result.unwrap_err();
                assert_eq!(error.code(), "reference_reused");
                assert!(error.message().contains(field), "{}", error.message());
            }
        }
    }
}

// 6. Lookups are checked.

#[tokio::test]
async fn a_lookup_that_ignores_the_filter_proves_nothing() {
    let server = Server::start(Arc::new(|seen: &Seen<'_>, _: &Store| {
        if seen.method == "POST" {
            Reply::json(503, json!({}))
        } else {
            // Someone else's invoices: the filter was ignored.
            Reply::json(
                200,
                json!({"data": [{"id": "cpi_X", "attributes": {"reference_id": "another"}}]}),
            )
        }
    }))
    .await;
    let error = client(&server)
        .create_payment_invoice(&request("r-filter"))
        .await
        .unwrap_err();
    assert!(error.outcome_unknown());
    assert_eq!(
        server.requests("POST"),
        1,
        "no proof of absence: not re-sent"
    );
    let find = client(&server).find_payment_invoice("r-filter").await;
    assert_eq!(find.unwrap_err().kind(), ErrorKind::Decode);

    for malformed in [
        json!({}),
        json!({"data": {"id": "cpi_1"}}),
        json!({"data": [{"attributes": {"reference_id": "r-m"}}]}),
    ] {
        let page = malformed.clone();
        let server = Server::start(Arc::new(move |_: &Seen<'_>, _: &Store| {
            Reply::json(200, page.clone())
        }))
        .await;
        let find = client(&server).find_payment_invoice("r-m").await;
        assert!(find.is_err(), "{malformed} proves nothing");
    }
}

// 7. Cancellation keeps the facts.

#[tokio::test]
async fn a_cancelled_create_carries_its_reference_and_an_unknown_outcome() {
    let server = gateway(|_, _, _| Reply::Stall).await;
    let cancel = CancellationToken::new();
    let handle = client(&server).with_cancel(cancel.clone());
    let call = tokio::spawn(async move {
        handle
            .create_payment_invoice(&PaymentInvoiceRequest::new(
                "card_usd",
                Money::parse("1.00", "USD").unwrap(),
            ))
            .await
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    cancel.cancel();
    let error = call.await.unwrap().unwrap_err();
    assert_eq!(
        (error.kind(), error.outcome_unknown()),
        (ErrorKind::Cancelled, true)
    );
    let generated = error.reference_id().expect("the generated reference_id");
    assert_eq!(generated.len(), 36, "{generated}");

    // Cancelled before anything was sent: known not to have happened.
    let cancel = CancellationToken::new();
    cancel.cancel();
    let error = client(&server)
        .with_cancel(cancel)
        .create_payment_invoice(&request("r-early"))
        .await
        .unwrap_err();
    assert_eq!(
        (error.kind(), error.outcome_unknown()),
        (ErrorKind::Cancelled, false)
    );
    assert_eq!(error.reference_id(), Some("r-early"));
}

// 8. The deadline is a hard bound, a trickled body included.

#[tokio::test]
async fn a_trickled_body_cannot_outlast_the_deadline() {
    let server = Server::start(Arc::new(|_: &Seen<'_>, _: &Store| Reply::Trickle {
        status: 200,
        body: vec![b' '; 10_000],
        chunk: 1,
        every: Duration::from_millis(50),
    }))
    .await;
    let mut config = config(&server.base);
    // Each byte resets a read timer; only the call's deadline can end it.
    config.request_timeout = Duration::from_secs(60);
    config.deadline = Duration::from_millis(800);
    let started = Instant::now();
    let error = Client::new(config)
        .unwrap()
        .get_payment_invoice("cpi_1")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

// 9. No redirects.

#[tokio::test]
async fn redirects_are_never_followed() {
    let elsewhere = Server::start(Arc::new(|_: &Seen<'_>, _: &Store| {
        Reply::json(200, json!({"data": []}))
    }))
    .await;
    let location = format!("{}/stolen", elsewhere.base);
    for status in [301, 302, 303, 307, 308] {
        let to = location.clone();
        let server = Server::start(Arc::new(move |_: &Seen<'_>, _: &Store| {
            Reply::Answer(status, vec![("location".into(), to.clone())], Vec::new())
        }))
        .await;
        let error = client(&server)
            .get_payment_invoice("cpi_1")
            .await
            .unwrap_err();
        assert_eq!(
            (error.code(), error.http_status()),
            ("redirect", Some(status))
        );
        let error = client(&server)
            .create_payment_invoice(&request("r-redirect"))
            .await
            .unwrap_err();
        assert!(error.outcome_unknown(), "{status}: sent, then redirected");
    }
    assert_eq!(elsewhere.requests(""), 0, "nothing followed a redirect");
}

// 10. Pagination ends.

#[tokio::test]
async fn a_cyclic_next_link_is_an_error_not_an_endless_loop() {
    for next in ["/api/payment-invoices?page=2", "/api/payment-invoices"] {
        let next = next.to_owned();
        let server = Server::start(Arc::new(move |seen: &Seen<'_>, _: &Store| {
            let item = json!({"id": format!("cpi_{}", seen.index), "attributes": {}});
            // Page 2 links back to page 1 (or page 1 to itself).
            let link = if seen.target.contains("page=2") {
                "/api/payment-invoices"
            } else {
                next.as_str()
            };
            Reply::json(200, json!({"data": [item], "links": {"next": link}}))
        }))
        .await;
        let started = Instant::now();
        let result = client(&server)
            .list_payment_invoices(&ListOptions::default())
            .collect(None)
            .await;
        assert_eq!(result.unwrap_err().code(), "pagination_cycle");
        assert!(server.requests("GET") <= 2 && started.elapsed() < Duration::from_secs(2));
    }
}

// 11. One URL validator.

#[test]
fn base_urls_go_through_the_one_validator() {
    for (base, code) in [
        ("http://localhost:1@evil.example", "url_credentials"),
        ("javascript:alert(1)", "invalid_url"),
        ("file:///etc/passwd", "invalid_url"),
        ("https://pay.example/\n", "invalid_url"),
    ] {
        assert_eq!(
            Environment::custom(base).unwrap_err().code(),
            code,
            "{base}"
        );
    }
    let mut request = request("r-url");
    for (url, code) in [
        ("javascript:alert(1)", "invalid_url"),
        ("http://shop.example/cb", "insecure_http"),
        ("https://u:p@shop.example/cb", "url_credentials"),
    ] {
        request = request.set("callback_url", url);
        assert_eq!(request.validate().unwrap_err().code(), code, "{url}");
    }
}
