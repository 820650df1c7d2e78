"""How news from a gateway moves an order. Callbacks and reconciliation both go through
`apply_news`, so they follow exactly the same rules:

* only forward moves: pending -> paid | failed, paid -> refunded (final states never go back);
* the amount and currency must be the order's.

Callbacks come late, twice, or out of order: polypay's ledger (the callback views'
`exactly_once=True`) passes each invoice's state changes here once, in the lifecycle's order, and
the deliveries it absorbs are recorded with applied=False (`record_absorbed`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from .models import Callback, Order

logger = logging.getLogger("shop")

# The gateways' status words -> the order status they mean (None: says nothing about it).
PAYCORE_STATES = {
    "created": Order.PENDING,
    "process_pending": Order.PENDING,
    "processed": Order.PAID,
    "process_failed": Order.FAILED,
    "expired": Order.FAILED,
    "refund_pending": Order.PAID,
    "refund_failed": Order.PAID,
    "partially_refunded": Order.PAID,  # the shop refunds in full only
    "refunded": Order.REFUNDED,
}
ECOMMPAY_STATES = {
    "processing": Order.PENDING,
    "awaiting 3ds result": Order.PENDING,
    "success": Order.PAID,
    "decline": Order.FAILED,
    "refunded": Order.REFUNDED,
}

NEXT = {
    Order.PENDING: {Order.PAID, Order.FAILED},
    Order.PAID: {Order.REFUNDED},
    Order.FAILED: set(),
    Order.REFUNDED: set(),
}


@dataclass(frozen=True)
class News:
    invoice_id: str
    status: str  # the gateway's status word, kept as sent
    target: str | None  # the order status it means
    updated: int | None  # the gateway's time of this state, unix seconds
    amount: Decimal | None
    currency: str | None


def unix(value: datetime | None) -> int | None:
    return int(value.timestamp()) if value is not None else None


def apply_news(order_id: int, news: News, *, record: bool) -> tuple[Order, bool]:
    """Applies `news` if it moves the order forward; returns the order and whether it did."""
    # The settings open SQLite transactions IMMEDIATE: this one holds the write lock from its
    # first statement, so concurrent callbacks for the order are applied one at a time.
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        applied = _moves(order, news)
        if applied:
            order.status = news.target or order.status
            order.updated = news.updated
            order.invoice_id = news.invoice_id
            order.save(update_fields=["status", "updated", "invoice_id"])
        if record:
            Callback.objects.create(
                order=order,
                invoice_id=news.invoice_id,
                status=news.status,
                updated=news.updated,
                applied=applied,
            )
    logger.info(
        "order %s: %s %s (updated %s) %s -> %s",
        order.pk, news.invoice_id, news.status, news.updated,
        "applied" if applied else "not applied", order.status,
    )
    return order, applied


def record_absorbed(order_id: int, news: News) -> None:
    """A delivery the ledger did not pass on (a duplicate, or older than what was applied)."""
    Callback.objects.create(order_id=order_id, invoice_id=news.invoice_id, status=news.status,
                            updated=news.updated, applied=False)


def _moves(order: Order, news: News) -> bool:
    if news.target is None:
        return False
    if news.amount is not None and (news.amount != order.amount or news.currency != order.currency):
        logger.warning("order %s: %s is for %s %s, not ours", order.pk, news.invoice_id,
                       news.amount, news.currency)
        return False
    # The first news of an invoice while pending (its id) counts too.
    learns_invoice = news.target == order.status == Order.PENDING and not order.invoice_id
    return news.target in NEXT[order.status] or learns_invoice
