import os
import random

from django.urls import path

from polypay.django import ecommpay_callback, paycore_callback

from .models import Absorbed, StateChange

FAIL_RATE = float(os.environ.get("LEDGER_FAIL_RATE", "0"))


class HandlerFailed(Exception):
    pass


def record(kind: str, entity_id: str, status: str) -> None:
    StateChange.objects.create(kind=kind, entity_id=entity_id, status=status)
    # Fails after writing: the ledger's transaction must take the write back with it.
    if random.random() < FAIL_RATE:
        raise HandlerFailed("the shop's handler failed")


def absorbed(request, event, verdict):
    ledger = event.ledger_event
    Absorbed.objects.create(kind=ledger.kind, entity_id=ledger.entity_id, status=ledger.status,
                            verdict=verdict)


@paycore_callback(exactly_once=True, on_skip=absorbed)
def paycore(request, event):
    record("paycore.payment", event.id, event.ledger_event.status)


@paycore_callback(exactly_once=True)
async def paycore_async(request, event):
    await StateChange.objects.acreate(kind="paycore.payment", entity_id=event.id,
                                      status=event.ledger_event.status)
    if random.random() < FAIL_RATE:
        raise HandlerFailed("the shop's handler failed")


@ecommpay_callback(exactly_once=True)
def ecommpay(request, callback):
    record("ecommpay.payment", callback.payment_id, callback.ledger_event.status)


urlpatterns = [
    path("callbacks/paycore", paycore),
    path("callbacks/paycore-async", paycore_async),
    path("callbacks/ecommpay", ecommpay),
]
