"""Statuses and resolutions: `str` enums that keep a value this version does not know (as
an ``OTHER`` member). Generated from the core's table by ``_native.open_enums_source()``;
``tests/test_generated.py`` keeps this file equal to it."""

from ._open_enum import OpenEnum

__all__ = ["PaymentInvoiceStatus", "PayoutInvoiceStatus", "Resolution"]


class PaymentInvoiceStatus(OpenEnum):
    """`status` of a payment invoice (paycore-api docs §4.1)."""

    CREATED = "created"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    PROCESSING = "processing"
    PROCESS_PENDING = "process_pending"
    PROCESSED = "processed"
    PARTIALLY_PROCESSED = "partially_processed"
    PROCESS_ERROR = "process_error"
    PROCESS_FAILED = "process_failed"
    REFUNDING = "refunding"
    REFUND_PENDING = "refund_pending"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    REFUND_ERROR = "refund_error"
    REFUND_FAILED = "refund_failed"
    CHARGED_BACK = "charged_back"
    PARTIALLY_CHARGED_BACK = "partially_charged_back"


class PayoutInvoiceStatus(OpenEnum):
    """`status` of a payout invoice (paycore-api docs §4.2)."""

    CREATED = "created"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    PROCESSING = "processing"
    PROCESS_PENDING = "process_pending"
    PROCESSED = "processed"
    PARTIALLY_PROCESSED = "partially_processed"
    PROCESS_ERROR = "process_error"
    PROCESS_FAILED = "process_failed"
    CANCELING = "canceling"
    CANCEL_PENDING = "cancel_pending"
    PARTIALLY_CANCELED = "partially_canceled"
    CANCELED = "canceled"
    CANCEL_ERROR = "cancel_error"
    CANCEL_FAILED = "cancel_failed"


class Resolution(OpenEnum):
    """`resolution`: why an invoice has its status (`ok` is possible with a failed
    status). The public API writes `OK`, the private API `ok`."""

    OK = "ok"
    EXPIRED = "expired"
    GENERAL_DECLINE = "general_decline"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    ANTIFRAUD_ERROR = "antifraud_error"
    INVALID_CARD = "invalid_card"
    INVALID_DETAILS = "invalid_details"
    ISSUER_DECLINE = "issuer_decline"
    AUTH_3DS_REQUIRED = "auth_3ds_required"
    FATAL_ERROR = "fatal_error"
    INTERNAL_ERROR = "internal_error"
