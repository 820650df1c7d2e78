//! Every row of the operation table that issue 17 added, run through `Operation` and
//! `Client::execute`/`Client::pager` (the path every binding takes) against `polypay sandbox`
//! over real HTTP.

use polypay::paycore::client::{
    Arguments, Config, Item, Operation, OperationName, Outcome, PaymentInvoiceRequest,
    RefundRequest,
};
use polypay::paycore::{Client, Environment};
use polypay::Money;
use polypay_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use serde_json::json;

async fn sandbox() -> RunningSandbox {
    Sandbox::start(SandboxConfig {
        seed: Some(17),
        time_scale: 0.001,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

fn client(sandbox: &RunningSandbox) -> Client {
    let mut config = Config::new(Environment::custom(sandbox.base_url()).unwrap());
    config.account_id = Some("coma_sandbox".into());
    config.api_key = Some("sandbox_api_key".into());
    Client::new(config).unwrap()
}

async fn execute(client: &Client, name: OperationName, arguments: Arguments) -> Outcome {
    let operation = Operation::new(name, arguments).unwrap();
    client.execute(&operation).await.unwrap()
}

async fn list(client: &Client, name: OperationName, arguments: Arguments) -> Vec<Item> {
    let operation = Operation::new(name, arguments).unwrap();
    client
        .pager(&operation)
        .unwrap()
        .collect(None)
        .await
        .unwrap()
}

fn id(id: &str) -> Arguments {
    Arguments {
        id: Some(id.into()),
        ..Arguments::default()
    }
}

#[tokio::test]
async fn refunds_are_read_back_by_id_listed_in_pages_and_found_by_reference() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let invoice = client
        .create_payment_invoice(
            &PaymentInvoiceRequest::new("test_usd_test", Money::parse("30.00", "USD").unwrap())
                .set("service_fields", json!({"status": "success"})),
        )
        .await
        .unwrap();
    let mut made = Vec::new();
    for (amount, reference) in [
        ("10.00", "refund-a"),
        ("5.50", "refund-b"),
        ("1.25", "refund-c"),
    ] {
        let request = RefundRequest::new(amount.parse().unwrap()).set("reference_id", reference);
        made.push(
            client
                .refund_payment_invoice(&invoice.id, &request)
                .await
                .unwrap()
                .data,
        );
    }

    let Outcome::Refund(got) = execute(&client, OperationName::GetRefund, id(&made[1].id)).await
    else {
        panic!("get_refund answers a refund")
    };
    assert_eq!(got.data, made[1]);
    assert_eq!(got.http_status, 200);
    assert_eq!(got.original_id.as_deref(), Some(invoice.id.as_str()));

    // One item per page: three pages, newest first.
    let every = Arguments {
        page_size: Some(1),
        ..Arguments::default()
    };
    let listed: Vec<String> = list(&client, OperationName::ListRefunds, every)
        .await
        .into_iter()
        .map(|item| match item {
            Item::Refund(r) => r.id,
            other => panic!("a refund list yields refunds, not {other:?}"),
        })
        .collect();
    let mut expected: Vec<String> = made.iter().map(|r| r.id.clone()).collect();
    expected.reverse();
    assert_eq!(listed, expected);

    let by_reference = Arguments {
        reference_id: Some("refund-b".into()),
        ..Arguments::default()
    };
    let found = list(&client, OperationName::ListRefunds, by_reference).await;
    assert!(matches!(&found[..], [Item::Refund(r)] if r.id == made[1].id));

    let missing = client.get_refund("ref_nope").await.unwrap_err();
    assert_eq!(missing.kind(), polypay::ErrorKind::NotFound);
}

#[tokio::test]
async fn payout_services_are_listed_and_read_back() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let every = Arguments {
        page_size: Some(1),
        ..Arguments::default()
    };
    let services = list(&client, OperationName::ListPayoutServices, every).await;
    assert!(
        services.len() > 1,
        "several payout services, over several pages"
    );
    for item in &services {
        let Item::PayoutService(service) = item else {
            panic!("a payout service list yields payout services, not {item:?}")
        };
        assert_eq!(service.raw["type"], "payout-services");
    }
    let Item::PayoutService(first) = &services[0] else {
        unreachable!()
    };
    let Outcome::PayoutService(got) =
        execute(&client, OperationName::GetPayoutService, id(&first.id)).await
    else {
        panic!("get_payout_service answers a payout service")
    };
    assert_eq!(&got.data, first);
    let missing = client.get_payout_service("comcpos_nope").await.unwrap_err();
    assert_eq!(missing.kind(), polypay::ErrorKind::NotFound);
}

#[tokio::test]
async fn public_gets_are_authorised_with_the_public_key() {
    let sandbox = sandbox().await;
    let private = client(&sandbox);
    let invoice = private
        .create_payment_invoice(
            &PaymentInvoiceRequest::new("test_usd_test", Money::parse("3.00", "USD").unwrap())
                .set("service_fields", json!({"status": "success"})),
        )
        .await
        .unwrap();
    let public = |key: &str| {
        let mut config = Config::new(Environment::custom(sandbox.base_url()).unwrap());
        config.public_key = Some(key.into());
        Client::new(config).unwrap()
    };
    let got = public("pk_test_sandbox")
        .get_payment_invoice_public(&invoice.id)
        .await
        .unwrap();
    assert_eq!(got.id, invoice.id);
    // The sandbox refuses a key it does not know, as the gateway does.
    let unknown = public("pk_test_nobody")
        .get_payment_invoice_public(&invoice.id)
        .await
        .unwrap_err();
    assert_eq!(unknown.kind(), polypay::ErrorKind::Authentication);
    // Without a public key the call is refused before anything is sent.
    let before = sandbox.state().stats_json()["requests_total"].clone();
    let missing = private
        .get_payout_invoice_public("cpoi_any")
        .await
        .unwrap_err();
    assert_eq!(
        (missing.kind(), missing.code()),
        (polypay::ErrorKind::Configuration, "missing_public_key")
    );
    assert_eq!(sandbox.state().stats_json()["requests_total"], before);
}
