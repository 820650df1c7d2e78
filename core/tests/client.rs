//! The Commerce API client over real HTTP against local servers: every endpoint and both
//! response shapes, every error kind, pagination, and the fault sequences that must neither
//! lose nor double an invoice (counting requests and invoices).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use polypay::paycore::client::{
    Config, ListOptions, PaymentInvoiceRequest, PayoutInvoiceRequest, PrerequestRequest,
    RefundRequest, RetryPolicy,
};
use polypay::paycore::{BlockingClient, Client, Environment, PaymentInvoiceStatus};
use polypay::{Currency, ErrorKind, Money};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{body_partial_json, header, header_exists, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const API_KEY: &str = "API_KEY_never_shown";
const SECRET: &str = "sk_test_SECRET_never_shown";

fn config(base: &str) -> Config {
    let mut config = Config::new(Environment::custom(base).unwrap());
    config.public_key = Some("pk_test_public".into());
    config.account_id = Some("coma_test".into());
    config.api_key = Some(API_KEY.into());
    config.secret_key = Some(SECRET.into());
    config.request_timeout = Duration::from_millis(500);
    config.deadline = Duration::from_secs(5);
    config.retry = RetryPolicy {
        initial_backoff: Duration::from_millis(20),
        jitter: Arc::new(|| 1.0),
        ..RetryPolicy::default()
    };
    config
}

fn client(server: &MockServer) -> Client {
    Client::new(config(&server.uri())).unwrap()
}

fn usd(amount: &str) -> Money {
    Money::parse(amount, "USD").unwrap()
}

fn invoice_resource(id: &str, reference_id: &str, status: &str) -> Value {
    json!({
        "type": "payment-invoices", "id": id,
        "attributes": {
            "serial_number": id.trim_start_matches("cpi_"), "status": status, "resolution": "ok",
            "amount": 100.55, "payment_amount": 100.55, "currency": "USD", "reference_id": reference_id,
            "test_mode": true, "metadata": [], "created": 1597833098, "updated": 1597833207,
            "flow_data": {"action": "https://cardgate.example/hpp/cgi_1", "method": "GET", "params": []},
            "callback_logs": [], "brand_new_attribute": {"kept": true}
        },
        "relationships": [], "links": {"self": format!("/api/payment-invoices/{id}")}
    })
}

async fn count(server: &MockServer, verb: &str, route: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == route)
        .count()
}

// ------------------------------------------------------------------ endpoints

#[tokio::test]
async fn private_create_sends_json_api_with_basic_auth_and_a_generated_reference() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/payment-invoices"))
        .and(header("authorization", "Basic Y29tYV90ZXN0OkFQSV9LRVlfbmV2ZXJfc2hvd24="))
        .and(body_partial_json(json!({"data": {"type": "payment-invoices", "attributes": {
            "service": "payment_card_usd_hpp", "currency": "USD", "amount": 100.55, "test_mode": true}}})))
        .respond_with(|req: &Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap();
            let reference = body["data"]["attributes"]["reference_id"].as_str().unwrap().to_owned();
            ResponseTemplate::new(201)
                .insert_header("X-Request-Id", "req-123")
                .set_body_json(json!({"data": invoice_resource("cpi_NEW", &reference, "process_pending")}))
        })
        .expect(1)
        .mount(&server)
        .await;
    let request =
        PaymentInvoiceRequest::new("payment_card_usd_hpp", usd("100.55")).set("description", "Tea");
    let created = client(&server)
        .create_payment_invoice(&request)
        .await
        .unwrap();
    assert_eq!(
        (
            created.http_status,
            created.request_id.as_deref(),
            created.reconciled
        ),
        (201, Some("req-123"), false)
    );
    assert_eq!(created.id, "cpi_NEW");
    assert_eq!(created.status, PaymentInvoiceStatus::ProcessPending);
    assert_eq!(created.amount.unwrap().to_string(), "100.55");
    assert!(uuid_like(created.reference_id.as_deref().unwrap()));
    assert_eq!(
        created.flow_data.as_ref().unwrap().action,
        "https://cardgate.example/hpp/cgi_1"
    );
    assert_eq!(
        created.raw["attributes"]["brand_new_attribute"]["kept"],
        true
    );
}

fn uuid_like(text: &str) -> bool {
    text.len() == 36 && text.matches('-').count() == 4
}

#[tokio::test]
async fn get_find_and_payouts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/payment-invoices/cpi_1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": invoice_resource("cpi_1", "r-1", "processed")})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/payment-invoices"))
        .and(query_param("filter[reference_id]", "r-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "meta": {"count": 1, "size": 20}, "links": {"prev": "", "next": ""},
            "data": [invoice_resource("cpi_1", "r-1", "processed")]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/payment-invoices"))
        .and(query_param("filter[reference_id]", "nope"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"meta": {}, "links": {"prev": "", "next": ""}, "data": []})),
        )
        .mount(&server)
        .await;
    let payout = json!({"type": "payout-invoices", "id": "cpoi_1", "attributes": {"status": "processed", "reference_id": "p-1", "amount": "10.00", "currency": "USD"}});
    Mock::given(method("POST")).and(path("/api/payout-invoices"))
        .and(body_partial_json(json!({"data": {"type": "payout-invoices", "attributes": {"service": "test_usd", "fields": {"account": "12345"}}}})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"data": payout})))
        .mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/api/payout-invoices/cpoi_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": payout})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/payout-invoices"))
        .and(query_param("filter[reference_id]", "p-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"links": {"next": ""}, "data": [payout]})),
        )
        .mount(&server)
        .await;

    let c = client(&server);
    let got = c.get_payment_invoice("cpi_1").await.unwrap();
    assert!(got.is_final() && got.is_success());
    assert_eq!(
        c.find_payment_invoice("r-1").await.unwrap().unwrap().id,
        "cpi_1"
    );
    assert!(c.find_payment_invoice("nope").await.unwrap().is_none());

    let request = PayoutInvoiceRequest::new("test_usd", usd("10"), json!({"account": "12345"}))
        .set("reference_id", "p-1");
    let created = c.create_payout_invoice(&request).await.unwrap();
    assert_eq!(
        (created.id.as_str(), created.amount.unwrap().to_string()),
        ("cpoi_1", "10".to_owned())
    );
    assert!(c.get_payout_invoice("cpoi_1").await.unwrap().is_success());
    assert_eq!(
        c.find_payout_invoice("p-1").await.unwrap().unwrap().id,
        "cpoi_1"
    );
    assert_eq!(
        c.get_payment_invoice("../x").await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[tokio::test]
async fn refunds_services_and_balances() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/api/payment-invoices/cpi_1/refund"))
        .and(body_partial_json(json!({"data": {"type": "refund", "attributes": {"amount": 10.5}}})))
        .respond_with(|req: &Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap();
            let attributes = &body["data"]["attributes"];
            ResponseTemplate::new(201).set_body_json(json!({"data": {"type": "refunds", "id": "ref_1", "attributes": {
                "reference_id": attributes["reference_id"], "original_id": "cpi_1", "status": "processed",
                "amount": 10.5, "fee": 0, "currency": "USD", "created": 1597833300}}}))
        })
        .mount(&server).await;
    let service = |id: &str, code: &str| {
        json!({"type": "payment-services", "id": id, "attributes": {
        "service": code, "service_method": "test", "service_currency": "USD", "available": true, "active": true,
        "enabled": true, "amount_min": 0.01, "amount_max": 9999999, "test_mode": true}})
    };
    Mock::given(method("GET")).and(path("/api/payment-services")).and(query_param("page[number]", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"meta": {"total": 3, "pages": 2, "page": 2},
            "links": {"first": "/api/payment-services?page[number]=1&page[size]=2", "next": "", "last": "/api/payment-services?page[number]=2&page[size]=2"},
            "data": [service("comcps_3", "test_eur_test")]})))
        .mount(&server).await;
    Mock::given(method("GET")).and(path("/api/payment-services"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"meta": {"total": 3, "pages": 2, "page": 1},
            "links": {"first": "/api/payment-services?page[number]=1&page[size]=2", "next": "/api/payment-services?page[number]=2&page[size]=2"},
            "data": [service("comcps_1", "test_usd_test"), service("comcps_2", "payment_card_usd_hpp")]})))
        .mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/api/payment-services/comcps_1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": service("comcps_1", "test_usd_test")})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/api/account/balances"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"type": "account", "id": "coma_test",
            "attributes": {"currency_accounts": {"USD": {"account_id": "comca_1", "active_balance": "1500.55",
            "pending_balance": "0.00", "reserved_balance": "0.00", "overdraft_limit": "0.00", "balance_lower_limit": null}}},
            "links": {"self": "/api/account/balances"}}})))
        .mount(&server).await;

    let c = client(&server);
    let refund = c
        .refund_payment_invoice("cpi_1", &RefundRequest::new("10.50".parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(
        (refund.id.as_str(), refund.original_id.as_deref()),
        ("ref_1", Some("cpi_1"))
    );
    assert!(uuid_like(refund.reference_id.as_deref().unwrap()));
    let services = c
        .list_payment_services(Some(2))
        .collect(None)
        .await
        .unwrap();
    let codes: Vec<_> = services
        .iter()
        .map(|s| s.service.clone().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["test_usd_test", "payment_card_usd_hpp", "test_eur_test"]
    );
    assert_eq!(
        c.get_payment_service("comcps_1")
            .await
            .unwrap()
            .amount_max
            .unwrap()
            .to_string(),
        "9999999"
    );
    let balances = c.balances().await.unwrap();
    assert_eq!(
        balances.currencies[0].active_balance.unwrap().to_string(),
        "1500.55"
    );
}

#[tokio::test]
async fn public_api_in_both_documented_shapes() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/public-api/payment-prerequest"))
        .and(body_partial_json(json!({"public_key": "pk_test_public", "currency": "USD"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"currency": "USD", "test_mode": true,
            "services": {"test_usd_test": {"code": "test_usd_test", "method": "test", "flow": "test", "currency": "USD",
            "fields": [{"key": "status", "required": true}], "amount_min": 0.01, "amount_max": 9999999}},
            "methods": {"test": {"code": "test"}}, "account": {"name": "4Docs"}}})))
        .mount(&server).await;
    // The older shape: {type, attributes} and amounts as strings.
    Mock::given(method("POST")).and(path("/public-api/payout-prerequest"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"type": "payout-prerequest", "attributes": {
            "currency": "USD", "services": {"test_usd": {"method": "test", "amount_min": "0.01000000", "amount_max": "100.00000000"}}}}})))
        .mount(&server).await;
    Mock::given(method("POST")).and(path("/public-api/payment-invoices"))
        .respond_with(|req: &Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap();
            assert!(body.get("test_mode").is_none(), "the key decides the mode: {body}");
            ResponseTemplate::new(201).set_body_json(json!({"data": {"id": "cpi_PUB", "status": "process_pending",
                "resolution": "OK", "amount": 123.45, "currency": "USD", "reference_id": body["reference_id"],
                "active_payment": {"payload": {"action": "https://cardgate.example/hpp/x", "method": "GET", "params": []},
                "status": "invoked", "resolution": "OK"}}}))
        })
        .mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/public-api/payment-invoices/cpi_PUB"))
        .and(query_param("public_key", "pk_test_public"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": {"id": "cpi_PUB", "status": "processed", "resolution": "OK"}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/public-api/payout-invoices/cpoi_PUB"))
        .and(query_param("public_key", "pk_test_public"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"id": "cpoi_PUB", "status": "canceled"}})),
        )
        .mount(&server)
        .await;

    let c = client(&server);
    let usd = Currency::parse("USD").unwrap();
    let pre = c
        .payment_prerequest(&PrerequestRequest::new(usd))
        .await
        .unwrap();
    assert_eq!(
        (pre.services[0].code.as_str(), pre.services[0].fields.len()),
        ("test_usd_test", 1)
    );
    let payout_pre = c
        .payout_prerequest(&PrerequestRequest::new(usd).set("amount", "10"))
        .await
        .unwrap();
    assert_eq!(
        payout_pre.services[0].amount_min.unwrap().to_string(),
        "0.01"
    );
    let request =
        PaymentInvoiceRequest::new("payment_card_usd_hpp", usd_money()).set("test_mode", true);
    let created = c.create_payment_invoice_public(&request).await.unwrap();
    assert_eq!(
        created.flow_data.as_ref().unwrap().action,
        "https://cardgate.example/hpp/x"
    );
    assert!(c
        .get_payment_invoice_public("cpi_PUB")
        .await
        .unwrap()
        .is_success());
    assert!(c
        .get_payout_invoice_public("cpoi_PUB")
        .await
        .unwrap()
        .is_final());
}

fn usd_money() -> Money {
    usd("123.45")
}

#[tokio::test]
async fn lists_follow_cursor_links_lazily() {
    let server = MockServer::start().await;
    for (after, ids, next) in [
        (
            None,
            ["cpi_6", "cpi_5"],
            "/api/payment-invoices?page[after]=cpi_5&page[size]=2",
        ),
        (
            Some("cpi_5"),
            ["cpi_4", "cpi_3"],
            "/api/payment-invoices?page[after]=cpi_3&page[size]=2",
        ),
        (Some("cpi_3"), ["cpi_2", "cpi_1"], ""),
    ] {
        let data: Vec<Value> = ids
            .iter()
            .map(|id| invoice_resource(id, &format!("r-{id}"), "processed"))
            .collect();
        let mut mock = Mock::given(method("GET"))
            .and(path("/api/payment-invoices"))
            .and(query_param("page[size]", "2"));
        mock = match after {
            Some(a) => mock.and(query_param("page[after]", a)),
            None => mock.and(wiremock::matchers::query_param_is_missing("page[after]")),
        };
        mock.respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"meta": {"count": 6, "size": 2},
            "links": {"prev": "", "next": next}, "data": data})),
        )
        .mount(&server)
        .await;
    }
    let c = client(&server);
    let mut pager = c.list_payment_invoices(&ListOptions {
        reference_id: None,
        page_size: Some(2),
    });
    assert_eq!(pager.next().await.unwrap().unwrap().id, "cpi_6");
    assert_eq!(pager.next().await.unwrap().unwrap().id, "cpi_5");
    assert_eq!(
        count(&server, "GET", "/api/payment-invoices").await,
        1,
        "pages are fetched only when needed"
    );
    let mut rest = Vec::new();
    while let Some(invoice) = pager.next().await.unwrap() {
        rest.push(invoice.id);
    }
    assert_eq!(rest, ["cpi_4", "cpi_3", "cpi_2", "cpi_1"]);
    assert_eq!(count(&server, "GET", "/api/payment-invoices").await, 3);
    let limited = c
        .list_payment_invoices(&ListOptions {
            reference_id: None,
            page_size: Some(2),
        })
        .collect(Some(3))
        .await
        .unwrap();
    assert_eq!(limited.len(), 3);
}

#[tokio::test]
async fn pagination_never_follows_links_to_another_host() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).and(path("/api/payout-invoices"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"links": {"next": "https://evil.example/api/payout-invoices?page[after]=x"},
            "data": [{"type": "payout-invoices", "id": "cpoi_1", "attributes": {"status": "processed"}}]})))
        .mount(&server).await;
    let mut pager = client(&server).list_payout_invoices(&ListOptions::default());
    let err = pager.next().await.unwrap_err();
    assert_eq!(
        (err.kind(), err.code()),
        (ErrorKind::Decode, "foreign_link")
    );
}

// ------------------------------------------------------------------ error kinds

#[tokio::test]
async fn every_http_error_kind() {
    let cases: Vec<(u16, Value, ErrorKind)> = vec![
        (
            401,
            json!({"errors": [{"status": "Unauthorized", "code": "401"}]}),
            ErrorKind::Authentication,
        ),
        (
            403,
            json!({"errors": [{"status": "Forbidden", "code": "403"}]}),
            ErrorKind::Permission,
        ),
        (
            404,
            json!({"errors": [{"status": "Not Found", "code": "404"}]}),
            ErrorKind::NotFound,
        ),
        (
            405,
            json!({"errors": [{"status": "Method Not Allowed", "code": "405"}]}),
            ErrorKind::MethodNotAllowed,
        ),
        (
            422,
            json!({"errors": {"amount": "This value should be greater than 0."}}),
            ErrorKind::Validation,
        ),
        (
            500,
            json!({"errors": [{"status": "internal_error", "code": "500", "title": "internal_error", "detail": "Internal server error."}]}),
            ErrorKind::Server,
        ),
    ];
    for (status, body, kind) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/api/payment-invoices/cpi_1"))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("X-Request-Id", "rid")
                    .set_body_json(body),
            )
            .mount(&server)
            .await;
        let err = client(&server)
            .get_payment_invoice("cpi_1")
            .await
            .unwrap_err();
        assert_eq!(
            (err.kind(), err.http_status(), err.request_id()),
            (kind, Some(status), Some("rid")),
            "{status}"
        );
        assert!(!err.outcome_unknown(), "reads never create anything");
        assert_eq!(err.retryable(), status >= 500, "{status}");
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains(API_KEY) && !shown.contains("never_shown"),
            "{shown}"
        );
        if status == 422 {
            assert_eq!(err.fields()[0].0, "amount");
        }
    }
}

#[tokio::test]
async fn decode_timeout_and_connection_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/payment-invoices/cpi_bad"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"data\": {\"id\": "))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/payment-invoices/cpi_slow"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(3))
                .set_body_json(json!({})),
        )
        .mount(&server)
        .await;
    let mut fast = config(&server.uri());
    fast.retry = RetryPolicy::none();
    let c = Client::new(fast).unwrap();
    assert_eq!(
        c.get_payment_invoice("cpi_bad").await.unwrap_err().kind(),
        ErrorKind::Decode
    );
    let err = c.get_payment_invoice("cpi_slow").await.unwrap_err();
    assert_eq!((err.kind(), err.retryable()), (ErrorKind::Timeout, true));

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let c = Client::new(config(&format!("http://{closed}"))).unwrap();
    let started = Instant::now();
    let err = c.get_payment_invoice("cpi_1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection);
    assert!(
        started.elapsed() >= Duration::from_millis(20 + 40),
        "retried with backoff"
    );
    let err = c
        .create_payment_invoice(&PaymentInvoiceRequest::new("s", usd("1")))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.outcome_unknown()),
        (ErrorKind::Connection, false),
        "never sent: nothing created"
    );
}

// ------------------------------------------------------------------ nothing lost, nothing doubled

/// What the fake gateway does with the next create.
#[derive(Clone, Copy, Debug)]
enum Script {
    /// Refuse without creating.
    Fail(u16),
    /// Create, then answer with an error (the answer lies about the outcome).
    CreateThenFail(u16),
    /// Create, then answer too late.
    CreateThenStall,
    /// Answer too late, without creating (yet: a real gateway may still commit it).
    Stall,
    /// Refuse with 429 and Retry-After: 1.
    RateLimit,
    Create,
}

/// A stateful gateway: creates commit invoices (unique per reference_id, 409 with the
/// existing one), `filter[reference_id]` finds them.
#[derive(Clone, Default)]
struct FakeGateway {
    invoices: Arc<Mutex<Vec<Value>>>,
    script: Arc<Mutex<VecDeque<Script>>>,
}

impl FakeGateway {
    fn with_script(script: &[Script]) -> FakeGateway {
        let gateway = FakeGateway::default();
        gateway
            .script
            .lock()
            .unwrap()
            .extend(script.iter().copied());
        gateway
    }

    async fn mount(&self, server: &MockServer) {
        Mock::given(method("POST"))
            .and(path("/api/payment-invoices"))
            .respond_with(self.clone())
            .mount(server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/payment-invoices"))
            .respond_with(self.clone())
            .mount(server)
            .await;
    }

    fn invoices_with(&self, reference: &str) -> usize {
        let invoices = self.invoices.lock().unwrap();
        invoices
            .iter()
            .filter(|i| i["attributes"]["reference_id"] == reference)
            .count()
    }
}

impl Respond for FakeGateway {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut invoices = self.invoices.lock().unwrap();
        if request.method.as_str() == "GET" {
            let wanted = request
                .url
                .query_pairs()
                .find(|(k, _)| k == "filter[reference_id]")
                .map(|(_, v)| v.into_owned());
            let found: Vec<Value> = invoices
                .iter()
                .filter(|i| {
                    Some(i["attributes"]["reference_id"].as_str().unwrap().to_owned()) == wanted
                })
                .cloned()
                .collect();
            return ResponseTemplate::new(200)
                .set_body_json(json!({"links": {"next": ""}, "data": found}));
        }
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let reference = body["data"]["attributes"]["reference_id"]
            .as_str()
            .unwrap()
            .to_owned();
        if let Some(existing) = invoices
            .iter()
            .find(|i| i["attributes"]["reference_id"] == reference.as_str())
        {
            return ResponseTemplate::new(409).set_body_json(
                json!({"errors": [{"status": "Conflict", "code": "409"}], "data": existing}),
            );
        }
        let step = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Script::Create);
        let mut commit = || {
            let invoice = invoice_resource(
                &format!("cpi_{}", invoices.len() + 1),
                &reference,
                "process_pending",
            );
            invoices.push(invoice.clone());
            invoice
        };
        match step {
            Script::Fail(status) => ResponseTemplate::new(status)
                .set_body_json(json!({"errors": [{"code": status.to_string()}]})),
            Script::CreateThenFail(status) => {
                commit();
                ResponseTemplate::new(status)
            }
            Script::CreateThenStall => ResponseTemplate::new(201)
                .set_body_json(json!({"data": commit()}))
                .set_delay(Duration::from_secs(3)),
            Script::Stall => ResponseTemplate::new(503).set_delay(Duration::from_secs(3)),
            Script::RateLimit => ResponseTemplate::new(429).insert_header("Retry-After", "1"),
            Script::Create => ResponseTemplate::new(201).set_body_json(json!({"data": commit()})),
        }
    }
}

fn create_request(reference: &str) -> PaymentInvoiceRequest {
    PaymentInvoiceRequest::new("payment_card_usd_hpp", usd("100.55")).set("reference_id", reference)
}

#[tokio::test]
async fn two_503s_then_created() {
    let server = MockServer::start().await;
    let gateway = FakeGateway::with_script(&[Script::Fail(503), Script::Fail(503), Script::Create]);
    gateway.mount(&server).await;
    let created = client(&server)
        .create_payment_invoice(&create_request("r-503"))
        .await
        .unwrap();
    assert!(!created.reconciled);
    assert_eq!(count(&server, "POST", "/api/payment-invoices").await, 3);
    assert_eq!(
        count(&server, "GET", "/api/payment-invoices").await,
        2,
        "looked up before each re-send"
    );
    assert_eq!(gateway.invoices_with("r-503"), 1);
}

#[tokio::test]
async fn created_then_500_is_found_by_reference_not_sent_again() {
    let server = MockServer::start().await;
    let gateway = FakeGateway::with_script(&[Script::CreateThenFail(500)]);
    gateway.mount(&server).await;
    let found = client(&server)
        .create_payment_invoice(&create_request("r-500"))
        .await
        .unwrap();
    assert!(found.reconciled);
    assert_eq!(found.reference_id.as_deref(), Some("r-500"));
    assert_eq!(count(&server, "POST", "/api/payment-invoices").await, 1);
    assert_eq!(gateway.invoices_with("r-500"), 1);
}

#[tokio::test]
async fn timeout_then_found_by_reference() {
    let server = MockServer::start().await;
    let gateway = FakeGateway::with_script(&[Script::CreateThenStall]);
    gateway.mount(&server).await;
    let found = client(&server)
        .create_payment_invoice(&create_request("r-timeout"))
        .await
        .unwrap();
    assert!(found.reconciled);
    assert_eq!(count(&server, "POST", "/api/payment-invoices").await, 1);
    assert_eq!(gateway.invoices_with("r-timeout"), 1);
}

#[tokio::test]
async fn conflict_returns_the_existing_invoice() {
    let server = MockServer::start().await;
    let gateway = FakeGateway::default();
    gateway.mount(&server).await;
    let c = client(&server);
    let first = c
        .create_payment_invoice(&create_request("r-dup"))
        .await
        .unwrap();
    let again = c
        .create_payment_invoice(&create_request("r-dup"))
        .await
        .unwrap();
    assert_eq!(
        (again.id.clone(), again.http_status, again.reconciled),
        (first.id.clone(), 409, true)
    );
    assert_eq!(count(&server, "POST", "/api/payment-invoices").await, 2);
    assert_eq!(gateway.invoices_with("r-dup"), 1);
}

#[tokio::test]
async fn rate_limited_waits_for_retry_after_then_reconciles() {
    let server = MockServer::start().await;
    let gateway = FakeGateway::with_script(&[Script::RateLimit, Script::Create]);
    gateway.mount(&server).await;
    let started = Instant::now();
    let created = client(&server)
        .create_payment_invoice(&create_request("r-429"))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured: {:?}",
        started.elapsed()
    );
    assert!(!created.reconciled);
    assert_eq!(count(&server, "POST", "/api/payment-invoices").await, 2);
    assert_eq!(count(&server, "GET", "/api/payment-invoices").await, 1);
    assert_eq!(gateway.invoices_with("r-429"), 1);
}

#[tokio::test]
async fn out_of_retries_after_5xx_stays_unknown_though_lookups_found_nothing() {
    let server = MockServer::start().await;
    let gateway =
        FakeGateway::with_script(&[Script::Fail(502), Script::Fail(503), Script::Fail(504)]);
    gateway.mount(&server).await;
    let err = client(&server)
        .create_payment_invoice(&create_request("r-down"))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.http_status()),
        (ErrorKind::Server, Some(504))
    );
    // A 5xx may come after the gateway committed, and the commit may show up after the
    // lookup: an empty lookup is no proof, so the outcome stays unknown.
    assert!(err.outcome_unknown());
    assert!(err.retryable());
    assert_eq!(err.reference_id(), Some("r-down"));
    assert_eq!(count(&server, "POST", "/api/payment-invoices").await, 3);
    assert_eq!(gateway.invoices_with("r-down"), 0);
}

#[tokio::test]
async fn a_lost_last_attempt_stays_unknown_even_when_the_lookup_finds_nothing() {
    let server = MockServer::start().await;
    let gateway = FakeGateway::with_script(&[Script::Stall, Script::Stall, Script::Stall]);
    gateway.mount(&server).await;
    let err = client(&server)
        .create_payment_invoice(&create_request("r-slow"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    // The gateway may commit the last create after the lookup: only reconciling later by
    // reference_id can tell, so the caller must not create it again under a new one.
    assert!(err.outcome_unknown());
    assert!(err.retryable());
    assert_eq!(err.reference_id(), Some("r-slow"));
}

#[tokio::test]
async fn the_deadline_bounds_the_whole_call() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/payment-invoices/cpi_1"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let mut slow_backoff = config(&server.uri());
    slow_backoff.retry = RetryPolicy {
        max_retries: 10,
        initial_backoff: Duration::from_millis(400),
        jitter: Arc::new(|| 1.0),
        ..RetryPolicy::default()
    };
    slow_backoff.deadline = Duration::from_secs(1);
    let started = Instant::now();
    let err = Client::new(slow_backoff)
        .unwrap()
        .get_payment_invoice("cpi_1")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    // Ten retries would take ~25 s; the 1 s deadline stops it (slack for a loaded machine).
    assert!(
        started.elapsed() < Duration::from_millis(1800),
        "{:?}",
        started.elapsed()
    );
    // 0 ms, +400 ms; the next wait (800 ms) would pass the deadline.
    assert_eq!(
        count(&server, "GET", "/api/payment-invoices/cpi_1").await,
        2
    );
}

/// A raw HTTP server: the first create's connection is dropped without an answer and without
/// creating; then lookups find nothing and the second create succeeds.
#[tokio::test]
async fn reset_then_not_found_then_created() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let server_log = Arc::clone(&log);
    tokio::spawn(async move {
        let mut posts = 0;
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buffer = vec![0u8; 64 * 1024];
            let mut read = 0;
            // Read the head and the Content-Length body.
            let text = loop {
                let n = socket.read(&mut buffer[read..]).await.unwrap();
                read += n;
                let text = String::from_utf8_lossy(&buffer[..read]).into_owned();
                if let Some(head_end) = text.find("\r\n\r\n") {
                    let length = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length: ")
                                .map(|v| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if read >= head_end + 4 + length || n == 0 {
                        break text;
                    }
                }
            };
            let first_line = text.lines().next().unwrap().to_owned();
            server_log.lock().unwrap().push(first_line.clone());
            if first_line.starts_with("POST") {
                posts += 1;
                if posts == 1 {
                    drop(socket); // reset: no answer, nothing created
                    continue;
                }
                let body = json!({"data": invoice_resource("cpi_AFTER_RESET", "r-reset", "process_pending")}).to_string();
                let response = format!("HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
                socket.write_all(response.as_bytes()).await.unwrap();
            } else {
                let body = json!({"links": {"next": ""}, "data": []}).to_string();
                let response = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
                socket.write_all(response.as_bytes()).await.unwrap();
            }
        }
    });
    let created = Client::new(config(&base))
        .unwrap()
        .create_payment_invoice(&create_request("r-reset"))
        .await
        .unwrap();
    assert_eq!(
        (created.id.as_str(), created.reconciled),
        ("cpi_AFTER_RESET", false)
    );
    let log = log.lock().unwrap().clone();
    let posts = log.iter().filter(|l| l.starts_with("POST")).count();
    let lookups = log
        .iter()
        .filter(|l| l.starts_with("GET /api/payment-invoices?filter%5Breference_id%5D=r-reset"))
        .count();
    assert_eq!((posts, lookups), (2, 1), "{log:?}");
}

// ------------------------------------------------------------------ configuration, before any request

#[tokio::test]
async fn configuration_errors_come_before_any_request() {
    let server = MockServer::start().await;
    let mut no_private = config(&server.uri());
    no_private.account_id = None;
    no_private.api_key = None;
    let err = Client::new(no_private)
        .unwrap()
        .get_payment_invoice("cpi_1")
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.code()),
        (ErrorKind::Configuration, "missing_credentials")
    );

    let mut live = config(&server.uri());
    live.public_key = Some("pk_live_x".into());
    live.secret_key = Some("sk_live_y".into());
    let err = Client::new(live)
        .unwrap()
        .create_payment_invoice(&create_request("r").set("test_mode", true))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.code()),
        (ErrorKind::Configuration, "mode_mismatch")
    );

    let mut swapped = config(&server.uri());
    swapped.public_key = Some("sk_test_x".into());
    assert_eq!(
        Client::new(swapped).unwrap_err().code(),
        "secret_key_as_public_key"
    );
    let err = client(&server)
        .create_payment_invoice(&create_request("r").set("amount", "1.001"))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.argument()),
        (ErrorKind::InvalidInput, Some("amount"))
    );
    assert_eq!(
        Client::new(Config::new(
            Environment::custom("http://pay.example.com").unwrap()
        ))
        .unwrap_err()
        .code(),
        "insecure_http"
    );
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was sent"
    );
}

#[tokio::test]
async fn secrets_stay_out_of_debug_output() {
    let server = MockServer::start().await;
    let c = client(&server);
    let shown = format!("{c:?}");
    assert!(
        !shown.contains(API_KEY) && !shown.contains(SECRET),
        "{shown}"
    );
}

#[test]
fn blocking_client_works_and_refuses_async_contexts() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(MockServer::start());
    runtime.block_on(
        Mock::given(method("GET"))
            .and(path("/api/payment-invoices/cpi_1"))
            .and(header_exists("authorization"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"data": invoice_resource("cpi_1", "r", "processed")})),
            )
            .mount(&server),
    );
    let blocking = BlockingClient::new(config(&server.uri())).unwrap();
    assert_eq!(blocking.get_payment_invoice("cpi_1").unwrap().id, "cpi_1");
    let inside = runtime.block_on(async { blocking.get_payment_invoice("cpi_1").map(|_| ()) });
    assert_eq!(inside.unwrap_err().code(), "blocking_in_async");
}

#[tokio::test]
async fn verify_callback_uses_the_configured_secret() {
    let server = MockServer::start().await;
    let body = br#"{"data":{"type":"payment-invoices","id":"cpi_1","attributes":{"status":"processed","amount":"1.00"}}}"#;
    let signature = polypay::paycore::sign_callback(body, SECRET).unwrap();
    let c = client(&server);
    assert!(c.verify_callback(body, &signature).unwrap().is_success());
    let err = c.verify_callback(&body[1..], &signature).unwrap_err();
    assert_eq!((err.kind(), err.code()), (ErrorKind::Signature, "mismatch"));
    let mut no_secret = config(&server.uri());
    no_secret.secret_key = None;
    let err = Client::new(no_secret)
        .unwrap()
        .verify_callback(body, &signature)
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.code()),
        (ErrorKind::Configuration, "missing_secret_key")
    );
}

/// The payout body of the stored reference (`shared/reference/paycore-play-with-api.md`, "Create
/// payout over Commerce Private API") goes out attribute for attribute. The reference writes it
/// flat; the core wraps it as the Private API's other creates are written in the references
/// (JSON:API, `payment-invoices` in the Paymega page), with the resource type the API answers
/// (`payout-invoices`). `test_mode` is true here because the client holds test keys.
#[tokio::test]
async fn a_payout_goes_out_with_the_reference_example_attributes() {
    let example = json!({
        "test_mode": true,
        "currency": "EUR",
        "amount": 100,
        "description": "Test payout",
        "reference_id": "f3WbQNCAMAQs2DMWLyBiKF9jwv36z1TCS",
        "service": "payment_card_uah",
        "fields": {"card_number": "5404367504475264"}
    });
    let server = MockServer::start().await;
    let sent = Arc::new(Mutex::new(None::<Value>));
    let seen = sent.clone();
    Mock::given(method("POST"))
        .and(path("/api/payout-invoices"))
        .respond_with(move |req: &Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap();
            *seen.lock().unwrap() = Some(body);
            ResponseTemplate::new(201).set_body_json(json!({"data": {"type": "payout-invoices",
                "id": "cpoi_REF", "attributes": {"status": "process_pending",
                "reference_id": "f3WbQNCAMAQs2DMWLyBiKF9jwv36z1TCS", "amount": 100, "currency": "EUR"}}}))
        })
        .mount(&server)
        .await;
    let request = PayoutInvoiceRequest::from_json(example.as_object().unwrap()).unwrap();
    let payout = client(&server)
        .create_payout_invoice(&request)
        .await
        .unwrap();
    assert_eq!(payout.id, "cpoi_REF");
    let body = sent.lock().unwrap().take().unwrap();
    assert_eq!(body["data"]["type"], "payout-invoices");
    assert_eq!(body["data"]["attributes"], example);
}

/// Records what the client tells its observer.
#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<(&'static str, polypay::paycore::client::Exchange)>>);

impl polypay::paycore::client::Observer for Recorder {
    fn on_request(&self, exchange: &polypay::paycore::client::Exchange) {
        self.0.lock().unwrap().push(("request", exchange.clone()));
    }
    fn on_response(&self, exchange: &polypay::paycore::client::Exchange) {
        self.0.lock().unwrap().push(("response", exchange.clone()));
    }
}

#[tokio::test]
async fn the_observer_sees_every_attempt_and_its_answer_without_secrets() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/payment-invoices/cpi_1"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/payment-invoices/cpi_1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "req-7")
                .set_body_json(json!({"data": invoice_resource("cpi_1", "ref-1", "processed")})),
        )
        .mount(&server)
        .await;
    let recorder = Arc::new(Recorder::default());
    let mut observed = config(&server.uri());
    observed.observer = Some(recorder.clone());
    let c = Client::new(observed).unwrap();
    c.get_payment_invoice("cpi_1").await.unwrap();

    let seen = recorder.0.lock().unwrap().clone();
    let summary: Vec<_> = seen
        .iter()
        .map(|(what, e)| {
            (
                *what,
                e.method.as_str(),
                e.path.as_str(),
                e.attempt,
                e.status,
            )
        })
        .collect();
    let path = "/api/payment-invoices/cpi_1";
    assert_eq!(
        summary,
        [
            ("request", "GET", path, 1, None),
            ("response", "GET", path, 1, Some(503)),
            ("request", "GET", path, 2, None),
            ("response", "GET", path, 2, Some(200)),
        ]
    );
    assert!(seen[3].1.elapsed_ms.is_some());
    let text = format!("{seen:?}");
    assert!(!text.contains(API_KEY) && !text.contains(SECRET) && !text.contains("pk_test"));

    // No answer at all: the error's code instead of a status.
    let mut unreachable = config("http://127.0.0.1:9");
    let recorder = Arc::new(Recorder::default());
    unreachable.observer = Some(recorder.clone());
    unreachable.retry.max_retries = 0;
    let c = Client::new(unreachable).unwrap();
    c.get_payment_invoice("cpi_1").await.unwrap_err();
    let seen = recorder.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!((seen[1].1.status, seen[1].1.error.is_some()), (None, true));
}
