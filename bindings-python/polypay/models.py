"""Typed results. PayCore's models are frozen native classes made from the core's record table
(one definition for every language): typed attributes, ``raw`` (the resource exactly as the
gateway sent it, as a dict: key order kept, integers as ``int``, every other number as
``decimal.Decimal``, so money is never a binary float) and ``response``.

Results of API calls carry ``response``: ``http_status``, ``request_id`` and ``reconciled`` (True
when the invoice was found by ``reference_id`` after an attempt whose outcome was unknown). It is
``None`` on list items, lookups and callbacks."""

from __future__ import annotations

from . import _native

__all__ = [
    "ResponseInfo",
    "FlowData",
    "PaymentInvoice",
    "PayoutInvoice",
    "Refund",
    "PaymentService",
    "PayoutService",
    "CurrencyAccount",
    "Balances",
    "PrerequestService",
    "Prerequest",
    "CallbackEvent",
    "EcommpayOperation",
    "EcommpayCallback",
    "HppForm",
]

ResponseInfo = _native.ResponseInfo
FlowData = _native.FlowData
PaymentInvoice = _native.PaymentInvoice
PayoutInvoice = _native.PayoutInvoice
Refund = _native.Refund
PaymentService = _native.PaymentService
PayoutService = _native.PayoutService
CurrencyAccount = _native.CurrencyAccount
Balances = _native.Balances
PrerequestService = _native.PrerequestService
Prerequest = _native.Prerequest
CallbackEvent = _native.CallbackEvent
HppForm = _native.HppForm


# Native classes: typed fields read at verification, ``raw`` built on first access.
EcommpayCallback = _native.EcommpayCallback
EcommpayOperation = _native.EcommpayOperation
