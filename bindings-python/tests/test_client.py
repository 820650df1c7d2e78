"""Every client operation and every exception kind, against `polypay sandbox`."""

from __future__ import annotations

import asyncio
import pickle
from decimal import Decimal
from typing import Any

import pytest

import polypay

from .conftest import Sandbox, ref


def create(client: Any, **extra: Any) -> polypay.PaymentInvoice:
    fields = dict(
        service="test_usd_test",
        amount=Decimal("100.55"),
        currency="USD",
        service_fields={"status": "success"},
    )
    fields.update(extra)
    return client.create_payment_invoice(fields)  # type: ignore[no-any-return]


def test_payment_invoice_lifecycle(client: Any, sb: Sandbox) -> None:
    reference = ref()
    invoice = create(client, reference_id=reference, metadata={"order": 42})
    assert invoice.id.startswith("cpi_")
    assert invoice.status == "processed" and invoice.is_final and invoice.is_success
    assert invoice.status is polypay.PaymentInvoiceStatus.PROCESSED
    assert invoice.amount == Decimal("100.55") and isinstance(invoice.amount, Decimal)
    assert invoice.currency == "USD" and invoice.reference_id == reference
    assert invoice.response.http_status == 201 and invoice.response.reconciled is False
    assert invoice.raw["id"] == invoice.id
    assert "raw" not in repr(invoice) and "sandbox_api_key" not in repr(invoice)
    assert sb.invoices(reference) == 1

    got = client.get_payment_invoice(invoice.id)
    assert got.id == invoice.id and got.response.http_status == 200
    assert got.created is not None and got.created.tzinfo is not None
    found = client.find_payment_invoice(reference)
    assert found is not None and found.id == invoice.id
    assert client.find_payment_invoice("no-such-" + reference) is None

    listed = list(client.list_payment_invoices(reference_id=reference))
    assert [i.id for i in listed] == [invoice.id]

    refund = client.refund_payment_invoice(invoice.id, amount="10.05")
    assert isinstance(refund, polypay.Refund)
    assert refund.amount == Decimal("10.05")
    got_refund = client.get_refund(refund.id)
    assert got_refund.id == refund.id and got_refund.original_id == invoice.id
    assert got_refund.response.http_status == 200
    assert [r.id for r in client.list_refunds(reference_id=refund.reference_id)] == [refund.id]
    assert refund.id in [r.id for r in client.list_refunds(page_size=1)]

    payout_services = list(client.list_payout_services(page_size=1))
    assert len(payout_services) > 1
    assert all(type(s) is polypay.PayoutService for s in payout_services)
    assert client.get_payout_service(payout_services[0].id).id == payout_services[0].id

    public = client.get_payment_invoice_public(invoice.id)
    assert public.id == invoice.id


def test_same_reference_id_never_doubles(client: Any, sb: Sandbox) -> None:
    reference = ref()
    first = create(client, reference_id=reference)
    second = create(client, reference_id=reference)
    assert second.id == first.id and second.response.reconciled
    assert sb.invoices(reference) == 1


def test_lazy_pagination(client: Any, sb: Sandbox) -> None:
    for _ in range(5):
        create(client)
    before = sb.stats()["requests"].get("GET /api/payment-invoices", 0)
    pages = client.list_payment_invoices(page_size=2)
    first = next(pages)
    after_one = sb.stats()["requests"].get("GET /api/payment-invoices", 0)
    assert after_one == before + 1  # one page fetched, not all of them
    items = [first] + [i for _, i in zip(range(4), pages)]
    assert len({i.id for i in items}) == 5
    assert sb.stats()["requests"].get("GET /api/payment-invoices", 0) == before + 3


def test_payouts(client: Any) -> None:
    reference = ref()
    payout = client.create_payout_invoice(
        service="test_usd", amount="12.50", currency="USD", fields={"account": "12345"},
        reference_id=reference,
    )
    assert isinstance(payout, polypay.PayoutInvoice)
    assert payout.id.startswith("cpoi_") and payout.amount == Decimal("12.5")
    assert client.get_payout_invoice(payout.id).id == payout.id
    assert client.find_payout_invoice(reference).id == payout.id  # type: ignore[union-attr]
    assert [p.id for p in client.list_payout_invoices(reference_id=reference)] == [payout.id]
    assert client.get_payout_invoice_public(payout.id).id == payout.id


def test_public_api_services_balances(client: Any) -> None:
    pre = client.payment_prerequest(currency="USD", amount=Decimal("10"))
    assert isinstance(pre, polypay.Prerequest) and pre.services
    assert client.payout_prerequest(currency="USD", amount="10").services
    public = client.create_payment_invoice_public(
        service="test_usd_test", amount=5, currency="USD", service_fields={"status": "success"}
    )
    assert public.id.startswith("cpi_")
    services = list(client.list_payment_services(page_size=3))
    assert len(services) > 3
    one = client.get_payment_service(services[0].id)
    assert one.id == services[0].id
    balances = client.balances()
    assert isinstance(balances, polypay.Balances) and balances.currencies
    assert client.mode == "test"


def test_exceptions(sb: Sandbox, client: Any) -> None:
    bad = polypay.PayCoreClient(**sb.client_kwargs(api_key="wrong_key"))
    with pytest.raises(polypay.AuthenticationError) as auth:
        bad.balances()
    assert auth.value.http_status == 401 and auth.value.body

    with pytest.raises(polypay.NotFoundError) as nf:
        client.get_payment_invoice("cpi_doesnotexist")
    assert nf.value.http_status == 404 and not nf.value.retryable

    with pytest.raises(polypay.ValidationError) as val:
        create(client, service="no_such_service")
    assert val.value.http_status in (400, 422) and val.value.fields

    sb.fault({"route": "GET /api/account/balances", "effect": {"status": 429, "retry_after": 1}})
    no_retry = polypay.PayCoreClient(**sb.client_kwargs(max_retries=0))
    with pytest.raises(polypay.RateLimitError) as rl:
        no_retry.balances()
    assert rl.value.retry_after == 1 and rl.value.retryable
    sb.clear_faults()

    sb.fault({"route": "GET /api/account/balances", "effect": {"status": 503}})
    with pytest.raises(polypay.APIError) as api:
        no_retry.balances()
    assert api.value.http_status == 503 and api.value.outcome_unknown is False
    sb.clear_faults()

    sb.fault({"route": "GET /api/account/balances", "effect": {"status": 403}})
    with pytest.raises(polypay.PermissionDeniedError):
        no_retry.balances()
    sb.clear_faults()

    sb.fault({"route": "GET /api/account/balances", "effect": {"delay_ms": 3000}})
    with pytest.raises(polypay.APITimeoutError) as to:
        no_retry.balances(timeout=0.3)
    assert isinstance(to.value, polypay.APIConnectionError)
    sb.clear_faults()

    sb.fault({"route": "GET /api/account/balances", "effect": "reset"})
    with pytest.raises(polypay.APIConnectionError):
        no_retry.balances()
    sb.clear_faults()

    sb.fault({"route": "POST /api/payment-invoices", "effect": {"status": 409}})
    with pytest.raises(polypay.ConflictError) as conflict:
        create(no_retry)
    assert conflict.value.http_status == 409 and conflict.value.reference_id
    sb.clear_faults()

    unreachable = polypay.PayCoreClient(
        account_id="coma_x", api_key="k", base_url="http://127.0.0.1:9", max_retries=0
    )
    with pytest.raises(polypay.APIConnectionError):
        unreachable.balances()

    with pytest.raises(polypay.ConfigurationError):
        polypay.PayCoreClient(public_key="sk_test_oops", base_url=sb.base_url)
    with pytest.raises(polypay.ConfigurationError):
        polypay.PayCoreClient(base_url=sb.base_url).balances()

    with pytest.raises(polypay.SignatureVerificationError):
        client.verify_callback(b"{}", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")

    # Exceptions survive pickling (Celery results, multiprocessing).
    again = pickle.loads(pickle.dumps(nf.value))
    assert type(again) is polypay.NotFoundError and again.http_status == 404


def test_retry_and_reconcile(sb: Sandbox, client: Any) -> None:
    sb.fault({"route": "GET /api/account/balances", "nth": 1, "effect": {"status": 503, "retry_after": 0}})
    assert client.balances().response.http_status == 200

    reference = ref()
    sb.fault({"route": "POST /api/payment-invoices", "nth": 1, "effect": "created_response_lost"})
    invoice = create(client, reference_id=reference)
    assert invoice.response.reconciled and invoice.reference_id == reference
    assert sb.invoices(reference) == 1


def test_async_client(sb: Sandbox) -> None:
    async def main() -> None:
        client = polypay.AsyncPayCoreClient(**sb.client_kwargs())
        reference = ref()
        invoice = await client.create_payment_invoice(
            service="test_usd_test", amount="7.25", currency="USD",
            service_fields={"status": "success"}, reference_id=reference,
        )
        assert invoice.is_success
        assert (await client.get_payment_invoice(invoice.id)).id == invoice.id
        assert (await client.find_payment_invoice(reference)).id == invoice.id  # type: ignore[union-attr]
        assert [i.id async for i in client.list_payment_invoices(reference_id=reference)] == [invoice.id]
        refund = await client.refund_payment_invoice(invoice.id, amount=Decimal("1"))
        assert refund.amount == Decimal("1")
        assert (await client.get_refund(refund.id)).original_id == invoice.id
        listed = [r.id async for r in client.list_refunds(reference_id=refund.reference_id)]
        assert listed == [refund.id]
        payout_services = [s async for s in client.list_payout_services()]
        got = await client.get_payout_service(payout_services[0].id)
        assert type(got) is polypay.PayoutService and got.id == payout_services[0].id
        payout = await client.create_payout_invoice(
            service="test_usd", amount="3", currency="USD", fields={"account": "12345"}
        )
        assert (await client.get_payout_invoice(payout.id)).id == payout.id
        assert (await client.balances()).currencies
        assert (await client.payment_prerequest(currency="USD")).services
        assert (await client.payout_prerequest(currency="USD", amount="5")).services
        services = [s async for s in client.list_payment_services()]
        assert (await client.get_payment_service(services[0].id)).id == services[0].id
        assert (await client.get_payment_invoice_public(invoice.id)).id == invoice.id
        assert (await client.get_payout_invoice_public(payout.id)).id == payout.id
        assert (await client.create_payment_invoice_public(
            service="test_usd_test", amount=1, currency="USD", service_fields={"status": "success"}
        )).id.startswith("cpi_")
        assert await client.find_payout_invoice("nothing-" + reference) is None
        assert [p async for p in client.list_payout_invoices(reference_id="nothing")] == []
        with pytest.raises(polypay.NotFoundError):
            await client.get_payment_invoice("cpi_nope")

    asyncio.run(main())


def test_repr_has_no_secrets(sb: Sandbox) -> None:
    client = polypay.PayCoreClient(**sb.client_kwargs())
    text = repr(client)
    assert "sandbox_api_key" not in text and "sk_test_sandbox" not in text
    assert "<redacted>" in text
    gate = polypay.EcommpayGate(112, "ecommpay_sandbox_secret")
    assert "ecommpay_sandbox_secret" not in repr(gate)


def test_records_are_frozen_native_classes_from_the_core_table(client: Any, sb: Sandbox) -> None:
    body = (
        b'{"data":{"type":"payment-invoices","id":"cpi_1","attributes":{"status":"brand_new_status",'
        b'"amount":"100.50","metadata":{"big":123456789012345678901234567890,"n":1.5},'
        b'"created":"1597833098","flow_data":{"action":"https://pay.example/x","params":[]}}}}'
    )
    secret = sb.config["paycore"]["secret_key_test"]
    event = client.verify_callback(body, polypay.paycore.sign_callback(body, secret))
    assert type(event) is polypay.CallbackEvent and event.event_type == "payment-invoices"
    assert event.status == "brand_new_status" and event.raw["data"]["id"] == "cpi_1"
    invoice = event.invoice
    assert type(invoice) is polypay.PaymentInvoice
    # Statuses are str enums; a value this version does not know is kept as an OTHER member.
    assert invoice.status == "brand_new_status" and not invoice.is_final
    assert isinstance(invoice.status, polypay.PaymentInvoiceStatus) and invoice.status.name == "OTHER"
    assert str(invoice.status) == "brand_new_status"
    assert invoice.amount == Decimal("100.5") and invoice.resolution is None
    assert invoice.metadata == {"big": 123456789012345678901234567890, "n": Decimal("1.5")}
    assert invoice.created is not None and invoice.created.isoformat() == "2020-08-19T10:31:38+00:00"
    assert invoice.flow_data is not None and invoice.flow_data.method == "GET"
    assert invoice.raw == event.raw["data"] and invoice.response is None
    assert repr(invoice).startswith(
        "PaymentInvoice(id='cpi_1', status=<PaymentInvoiceStatus.OTHER: 'brand_new_status'>, resolution=None"
    )
    assert "FlowData(action='https://pay.example/x', method='GET', params={})" in repr(invoice)
    with pytest.raises(AttributeError):
        invoice.status = "processed"  # type: ignore[misc]
