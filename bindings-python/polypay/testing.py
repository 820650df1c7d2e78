"""Helpers for your own tests: build callbacks signed exactly as the gateways sign them, and
post them to your views (Django's test client, requests, httpx...)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, Dict, Mapping, Optional, Tuple, Union

from . import _native

__all__ = ["paycore_callback", "paycore_invoice_document", "ecommpay_callback"]


_MARK = "\u0000polypay-decimal:"


def _dumps(document: Any) -> bytes:
    """Compact JSON; Decimals written as plain JSON numbers with their exact text."""

    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return _MARK + str(value)
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    text = json.dumps(document, separators=(",", ":"), default=default)
    text = re.sub(r'"\\u0000polypay-decimal:([^"]*)"', r"\1", text)
    return text.encode()


def paycore_invoice_document(
    *,
    id: str = "cpi_TEST0000000001",
    type: str = "payment-invoices",
    status: str = "processed",
    resolution: str = "ok",
    amount: Union[Decimal, int, str] = Decimal("100.55"),
    currency: str = "USD",
    reference_id: Optional[str] = "order-1",
    test_mode: bool = True,
    **attributes: Any,
) -> Dict[str, Any]:
    """A JSON:API callback document for a payment (or payout) invoice."""
    attrs: Dict[str, Any] = {
        "status": status,
        "resolution": resolution,
        "reference_id": reference_id,
        "amount": Decimal(str(amount)),
        "currency": currency,
        "test_mode": test_mode,
    }
    attrs.update(attributes)
    return {"data": {"type": type, "id": id, "attributes": attrs}}


def paycore_callback(
    secret: str, document: Optional[Mapping[str, Any]] = None, **invoice: Any
) -> Tuple[bytes, Dict[str, str]]:
    """``(body, headers)`` of a PayCore callback signed with ``secret`` (``X-Signature``).

    ``document`` is sent as given; otherwise :func:`paycore_invoice_document` builds one from
    the keyword arguments."""
    body = _dumps(document if document is not None else paycore_invoice_document(**invoice))
    signature = _native.paycore_sign_callback(body, secret)
    return body, {"X-Signature": signature, "Content-Type": "application/json"}


def ecommpay_callback(
    secret: str,
    *,
    project_id: int = 112,
    payment_id: str = "order-1",
    status: str = "success",
    amount: int = 3550,
    currency: str = "EUR",
    extra: Optional[Mapping[str, Any]] = None,
) -> bytes:
    """The raw body of an ecommpay callback with its ``signature`` inside, as ecommpay sends."""
    body: Dict[str, Any] = {
        "project_id": project_id,
        "payment": {
            "id": payment_id,
            "type": "purchase",
            "status": status,
            "sum": {"amount": amount, "currency": currency},
        },
        "operation": {
            "id": 1,
            "type": "sale",
            "status": status,
            "sum_initial": {"amount": amount, "currency": currency},
        },
    }
    if extra:
        body.update(extra)
    body["signature"] = _native.ecommpay_sign(body, secret)
    return _dumps(body)
