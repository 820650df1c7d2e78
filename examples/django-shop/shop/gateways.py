"""The shop's use of polypay: where the customer is sent to pay, and the API client.

Clients are created once per process (they keep connections and are thread-safe) and are built
from settings, so tests and deployments only change settings."""

from __future__ import annotations

import functools
from datetime import datetime
from decimal import Decimal
from typing import Any

import polypay
from django.conf import settings

from .models import Order
from .payments import ECOMMPAY_STATES, PAYCORE_STATES, News, unix

PRODUCTS = {
    "tea": ("Green tea, 250 g", Decimal("12.50")),
    "mug": ("Stoneware mug", Decimal("8.99")),
    "kettle": ("Copper kettle", Decimal("45.00")),
}


def order_url(order: Order) -> str:
    return f"{settings.SHOP_BASE_URL}/orders/{order.pk}"


@functools.cache
def _client(base_url: str, public_key: str, account_id: str, api_key: str,
            secret_key: str) -> polypay.PayCoreClient:
    return polypay.PayCoreClient(base_url=base_url, public_key=public_key, account_id=account_id,
                                 api_key=api_key, secret_key=secret_key, timeout=30)


def paycore_client() -> polypay.PayCoreClient:
    return _client(settings.PAYCORE_BASE_URL, settings.PAYCORE_PUBLIC_KEY,
                   settings.PAYCORE_ACCOUNT_ID, settings.PAYCORE_API_KEY,
                   settings.PAYCORE_SECRET_KEY)


@functools.cache
def _gate(project_id: int, secret_key: str, base_url: str) -> polypay.EcommpayGate:
    return polypay.EcommpayGate(project_id, secret_key, base_url)


def ecommpay_gate() -> polypay.EcommpayGate:
    return _gate(settings.ECOMMPAY_PROJECT_ID, settings.ECOMMPAY_SECRET_KEY,
                 settings.ECOMMPAY_BASE_URL)


@functools.cache
def _gate_api(project_id: int, secret_key: str, base_url: str,
              status_delay: float) -> polypay.EcommpayGateApi:
    return polypay.EcommpayGateApi(project_id, secret_key, base_url=base_url,
                                   status_delay=status_delay, timeout=30)


def ecommpay_api() -> polypay.EcommpayGateApi:
    """The Gate API of the shop's ecommpay project: refunds and payment status."""
    return _gate_api(settings.ECOMMPAY_PROJECT_ID, settings.ECOMMPAY_SECRET_KEY,
                     settings.ECOMMPAY_GATE_URL, settings.ECOMMPAY_STATUS_DELAY)


def ecommpay_refund(order: Order) -> polypay.GateAccepted:
    """A full refund through Gate. The fixed merchant_refund_id makes a second click (or a
    retry) find the first refund instead of refunding twice."""
    return ecommpay_api().refund(
        general={"payment_id": order.reference_id,
                 "merchant_callback_url": f"{settings.SHOP_BASE_URL}/callbacks/ecommpay"},
        payment={"merchant_refund_id": f"refund-{order.reference_id}",
                 "description": f"Refund of order {order.pk}"},
    )


def hpp_params(order: Order) -> dict[str, Any]:
    """The Hosted Payment Page parameters. The callback URL is the account's (the HPP cannot
    set one); the customer comes back to the order page."""
    return {
        "public_key": settings.PAYCORE_PUBLIC_KEY,
        "amount": order.amount,
        "currency": order.currency,
        "reference_id": order.reference_id,
        "description": PRODUCTS[order.product][0],
        "return_url": order_url(order),
    }


def paycore_hpp_url(order: Order) -> str:
    return polypay.paycore.hpp_url(hpp_params(order), base_url=settings.PAYCORE_BASE_URL)


def paycore_hpp_form(order: Order) -> polypay.HppForm:
    # The form posts to the public "process" route, which needs the service chosen up front.
    params = dict(hpp_params(order), service=f"payment_card_{order.currency.lower()}_hpp")
    return polypay.paycore.hpp_form(params, base_url=settings.PAYCORE_BASE_URL)


def paycore_test_invoice(order: Order, test_status: str) -> polypay.PaymentInvoice:
    """An invoice on the sandbox's test service, created by the shop itself (private API); its
    outcome is `test_status`. Safe to retry: the reference_id makes a second call return it."""
    return paycore_client().create_payment_invoice(
        service=f"test_{order.currency.lower()}_test",
        amount=order.amount,
        currency=order.currency,
        reference_id=order.reference_id,
        description=PRODUCTS[order.product][0],
        service_fields={"status": test_status},
        callback_url=f"{settings.SHOP_BASE_URL}/callbacks/paycore",
    )


def ecommpay_url(order: Order) -> str:
    return ecommpay_gate().payment_page_url(
        payment_id=order.reference_id,
        payment_amount=minor_units(order.amount),
        payment_currency=order.currency,
        payment_description=PRODUCTS[order.product][0],
        merchant_success_url=order_url(order),
        merchant_fail_url=order_url(order),
        merchant_callback_url=f"{settings.SHOP_BASE_URL}/callbacks/ecommpay",
    )


def minor_units(amount: Decimal) -> int:
    return int((amount * 100).to_integral_exact())  # 2-decimal currencies (USD)


def paycore_news(invoice: polypay.PaymentInvoice) -> News:
    return News(
        invoice_id=invoice.id,
        status=invoice.status,
        target=PAYCORE_STATES.get(invoice.status),
        updated=unix(invoice.updated),
        amount=invoice.amount,
        currency=invoice.currency,
    )


def ecommpay_news(callback: polypay.EcommpayCallback) -> News:
    operation: dict[str, Any] = callback.raw.get("operation") or {}
    status = callback.payment_status or ""
    amount: Decimal | None = None
    currency: str | None = None
    if callback.payment_sum is not None:
        amount = Decimal(callback.payment_sum[0]) / 100
        currency = callback.payment_sum[1]
    return News(
        invoice_id=str(operation.get("id", "")),
        status=status,
        target=ECOMMPAY_STATES.get(status),
        updated=_ecommpay_time(operation.get("date")),
        amount=amount,
        currency=currency,
    )


def ecommpay_status_news(payment: polypay.GatePayment) -> News:
    """A Gate status answer as news: the payment's state as of its last operation."""
    last = payment.operations[-1] if payment.operations else None
    status = payment.status or ""
    amount: Decimal | None = None
    currency: str | None = None
    if payment.sum is not None:
        amount = Decimal(payment.sum[0]) / 100
        currency = payment.sum[1]
    operations: list[dict[str, Any]] = payment.raw.get("operations") or []
    return News(
        invoice_id=last.id or "" if last else "",
        status=status,
        target=ECOMMPAY_STATES.get(status),
        updated=_ecommpay_time(operations[-1].get("date")) if operations else None,
        amount=amount,
        currency=currency,
    )


def _ecommpay_time(value: Any) -> int | None:
    """ecommpay dates look like 2026-11-22T08:54:10+0000."""
    try:
        return unix(datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z"))
    except ValueError:
        return None
