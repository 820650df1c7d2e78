"""Typed results. Every model is a frozen dataclass with typed attributes and ``.raw``: the
resource exactly as the gateway sent it, as a dict (key order kept; integers as ``int``, every
other number as ``decimal.Decimal``, so money is never a binary float).

Results of API calls also carry ``http_status``, ``request_id`` and ``reconciled`` (True when the
invoice was found by ``reference_id`` after an attempt whose outcome was unknown)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple, Union

from . import _native

__all__ = [
    "FlowData",
    "PaymentInvoice",
    "PayoutInvoice",
    "Refund",
    "PaymentService",
    "CurrencyAccount",
    "Balances",
    "PrerequestService",
    "Prerequest",
    "CallbackEvent",
    "EcommpayOperation",
    "EcommpayCallback",
    "HppForm",
]


def _time(value: Optional[str]) -> Optional[datetime]:
    # The core writes UTC as `Z`, which fromisoformat reads only from Python 3.11.
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


@dataclass(frozen=True)
class FlowData:
    """Where to send the customer next."""

    action: str
    method: str
    params: Dict[str, Any]


@dataclass(frozen=True)
class PaymentInvoice:
    id: str
    status: str
    resolution: Optional[str]
    reference_id: Optional[str]
    amount: Optional[Decimal]
    currency: Optional[str]
    payment_amount: Optional[Decimal]
    processed_amount: Optional[Decimal]
    refunded_amount: Optional[Decimal]
    service: Optional[str]
    test_mode: Optional[bool]
    description: Optional[str]
    metadata: Dict[str, Any]
    flow_data: Optional[FlowData]
    created: Optional[datetime]
    updated: Optional[datetime]
    is_final: bool
    is_success: bool
    raw: Dict[str, Any] = field(repr=False)
    http_status: Optional[int] = field(default=None, repr=False)
    request_id: Optional[str] = field(default=None, repr=False)
    reconciled: bool = field(default=False, repr=False)


@dataclass(frozen=True)
class PayoutInvoice:
    id: str
    status: str
    resolution: Optional[str]
    reference_id: Optional[str]
    amount: Optional[Decimal]
    currency: Optional[str]
    service: Optional[str]
    test_mode: Optional[bool]
    description: Optional[str]
    metadata: Dict[str, Any]
    created: Optional[datetime]
    updated: Optional[datetime]
    is_final: bool
    is_success: bool
    raw: Dict[str, Any] = field(repr=False)
    http_status: Optional[int] = field(default=None, repr=False)
    request_id: Optional[str] = field(default=None, repr=False)
    reconciled: bool = field(default=False, repr=False)


@dataclass(frozen=True)
class Refund:
    id: str
    status: Optional[str]
    reference_id: Optional[str]
    original_id: Optional[str]
    amount: Optional[Decimal]
    fee: Optional[Decimal]
    currency: Optional[str]
    description: Optional[str]
    created: Optional[datetime]
    raw: Dict[str, Any] = field(repr=False)
    http_status: Optional[int] = field(default=None, repr=False)
    request_id: Optional[str] = field(default=None, repr=False)
    reconciled: bool = field(default=False, repr=False)


@dataclass(frozen=True)
class PaymentService:
    id: str
    service: Optional[str]
    method: Optional[str]
    currency: Optional[str]
    available: Optional[bool]
    active: Optional[bool]
    enabled: Optional[bool]
    amount_min: Optional[Decimal]
    amount_max: Optional[Decimal]
    test_mode: Optional[bool]
    raw: Dict[str, Any] = field(repr=False)
    http_status: Optional[int] = field(default=None, repr=False)
    request_id: Optional[str] = field(default=None, repr=False)
    reconciled: bool = field(default=False, repr=False)


@dataclass(frozen=True)
class CurrencyAccount:
    currency: str
    account_id: Optional[str]
    active_balance: Optional[Decimal]
    pending_balance: Optional[Decimal]
    reserved_balance: Optional[Decimal]
    overdraft_limit: Optional[Decimal]
    balance_lower_limit: Optional[Decimal]


@dataclass(frozen=True)
class Balances:
    account_id: str
    currencies: List[CurrencyAccount]
    raw: Dict[str, Any] = field(repr=False)
    http_status: Optional[int] = field(default=None, repr=False)
    request_id: Optional[str] = field(default=None, repr=False)
    reconciled: bool = field(default=False, repr=False)


@dataclass(frozen=True)
class PrerequestService:
    code: str
    method: Optional[str]
    flow: Optional[str]
    currency: Optional[str]
    amount_min: Optional[Decimal]
    amount_max: Optional[Decimal]
    fields: List[Any]


@dataclass(frozen=True)
class Prerequest:
    currency: Optional[str]
    test_mode: Optional[bool]
    services: List[PrerequestService]
    methods: Dict[str, Any]
    raw: Dict[str, Any] = field(repr=False)
    http_status: Optional[int] = field(default=None, repr=False)
    request_id: Optional[str] = field(default=None, repr=False)
    reconciled: bool = field(default=False, repr=False)


@dataclass(frozen=True)
class CallbackEvent:
    """A verified PayCore callback about a resource this SDK does not model (e.g. refunds)."""

    event_type: str
    id: str
    status: Optional[str]
    is_final: bool
    is_success: bool
    raw: Dict[str, Any] = field(repr=False)


# Native classes: typed fields read at verification, ``raw`` built on first access.
EcommpayCallback = _native.EcommpayCallback
EcommpayOperation = _native.EcommpayOperation


@dataclass(frozen=True)
class HppForm:
    """The auto-redirect payment form: render ``html`` or build your own from the fields."""

    action: str
    method: str
    fields: List[Tuple[str, str]]
    html: str = field(repr=False)


_META = ("http_status", "request_id", "reconciled")


def _meta(d: Dict[str, Any]) -> Dict[str, Any]:
    return {k: d[k] for k in _META if k in d}


def _payment(d: Dict[str, Any], raw_key: str = "raw") -> PaymentInvoice:
    flow = d["flow_data"]
    return PaymentInvoice(
        id=d["id"],
        status=d["status"],
        resolution=d["resolution"],
        reference_id=d["reference_id"],
        amount=d["amount"],
        currency=d["currency"],
        payment_amount=d["payment_amount"],
        processed_amount=d["processed_amount"],
        refunded_amount=d["refunded_amount"],
        service=d["service"],
        test_mode=d["test_mode"],
        description=d["description"],
        metadata=d["metadata"],
        flow_data=FlowData(**flow) if flow else None,
        created=_time(d["created"]),
        updated=_time(d["updated"]),
        is_final=d["is_final"],
        is_success=d["is_success"],
        raw=d[raw_key],
        **_meta(d),
    )


def _payout(d: Dict[str, Any], raw_key: str = "raw") -> PayoutInvoice:
    return PayoutInvoice(
        id=d["id"],
        status=d["status"],
        resolution=d["resolution"],
        reference_id=d["reference_id"],
        amount=d["amount"],
        currency=d["currency"],
        service=d["service"],
        test_mode=d["test_mode"],
        description=d["description"],
        metadata=d["metadata"],
        created=_time(d["created"]),
        updated=_time(d["updated"]),
        is_final=d["is_final"],
        is_success=d["is_success"],
        raw=d[raw_key],
        **_meta(d),
    )


def _build(d: Any) -> Any:
    """Native dict -> model (None stays None)."""
    if d is None:
        return None
    t = d["type"]
    if t == "payment_invoice":
        return _payment(d)
    if t == "payout_invoice":
        return _payout(d)
    if t == "refund":
        return Refund(
            id=d["id"],
            status=d["status"],
            reference_id=d["reference_id"],
            original_id=d["original_id"],
            amount=d["amount"],
            fee=d["fee"],
            currency=d["currency"],
            description=d["description"],
            created=_time(d["created"]),
            raw=d["raw"],
            **_meta(d),
        )
    if t == "payment_service":
        return PaymentService(
            **{k: d[k] for k in PaymentService.__dataclass_fields__ if k not in _META},
            **_meta(d),
        )
    if t == "balances":
        return Balances(
            account_id=d["account_id"],
            currencies=[CurrencyAccount(**c) for c in d["currencies"]],
            raw=d["raw"],
            **_meta(d),
        )
    if t == "prerequest":
        return Prerequest(
            currency=d["currency"],
            test_mode=d["test_mode"],
            services=[PrerequestService(**s) for s in d["services"]],
            methods=d["methods"],
            raw=d["raw"],
            **_meta(d),
        )
    raise ValueError(f"unknown native result type {t!r}")


def _callback(d: Dict[str, Any]) -> Union[PaymentInvoice, PayoutInvoice, CallbackEvent]:
    """A verified PayCore callback: the invoice, whose ``raw`` is the whole callback document."""
    t = d["type"]
    if t == "payment_invoice":
        return _payment(d, "document")
    if t == "payout_invoice":
        return _payout(d, "document")
    return CallbackEvent(
        event_type=d["event_type"],
        id=d["id"],
        status=d["status"],
        is_final=d["is_final"],
        is_success=d["is_success"],
        raw=d["document"],
    )
