"""polypay: one payment SDK (PayCore.io / Paymega Commerce API, ecommpay Payment Page) over a
Rust core. See ``polypay.ecommpay``, ``polypay.paycore``, :class:`PayCoreClient`,
:class:`AsyncPayCoreClient`, :class:`EcommpayGateApi` (ecommpay Gate), ``polypay.django`` and
``polypay.testing``."""

from typing import TYPE_CHECKING
from typing import Any as _Any

from . import errors
from ._native import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APIResponseError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    MethodNotAllowedError,
    NotFoundError,
    OperationCancelledError,
    PermissionDeniedError,
    PolypayError,
    RateLimitError,
    SignatureVerificationError,
    ValidationError,
    cancelled_call_error,
)

if TYPE_CHECKING:
    from . import ecommpay, paycore
    from ._native import LedgerEvent
    from .client import AsyncPayCoreClient, PayCoreClient
    from .ecommpay import EcommpayGate
    from .enums import PaymentInvoiceStatus, PayoutInvoiceStatus, Resolution
    from .gate import AsyncEcommpayGateApi, EcommpayGateApi, GateAccepted, GatePayment
    from .models import (
        Balances,
        CallbackEvent,
        EcommpayCallback,
        HppForm,
        PaymentInvoice,
        PaymentService,
        PayoutInvoice,
        PayoutService,
        Prerequest,
        Refund,
        ResponseInfo,
    )

# The rest loads on first use (PEP 562): `import polypay` stays cheap for processes that only
# verify callbacks, and the model classes are built when first needed.
_LAZY = {
    "ecommpay": ("polypay", "ecommpay"),
    "paycore": ("polypay", "paycore"),
    "PayCoreClient": ("polypay.client", "PayCoreClient"),
    "AsyncPayCoreClient": ("polypay.client", "AsyncPayCoreClient"),
    "EcommpayGate": ("polypay.ecommpay", "EcommpayGate"),
    **{
        name: ("polypay.gate", name)
        for name in ("EcommpayGateApi", "AsyncEcommpayGateApi", "GateAccepted", "GatePayment")
    },
    "PaymentInvoiceStatus": ("polypay.enums", "PaymentInvoiceStatus"),
    "PayoutInvoiceStatus": ("polypay.enums", "PayoutInvoiceStatus"),
    "Resolution": ("polypay.enums", "Resolution"),
    "LedgerEvent": ("polypay._native", "LedgerEvent"),
    **{
        name: ("polypay.models", name)
        for name in (
            "Balances",
            "CallbackEvent",
            "EcommpayCallback",
            "HppForm",
            "PaymentInvoice",
            "PaymentService",
            "PayoutInvoice",
            "PayoutService",
            "Prerequest",
            "Refund",
            "ResponseInfo",
        )
    },
}


def __getattr__(name: str) -> _Any:
    import importlib

    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'polypay' has no attribute {name!r}") from None
    value = (
        importlib.import_module(f"polypay.{attribute}")
        if module == "polypay"
        else getattr(importlib.import_module(module), attribute)
    )
    globals()[name] = value
    return value


def __dir__() -> "list[str]":
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "__version__",
    "ecommpay",
    "paycore",
    "errors",
    "PayCoreClient",
    "AsyncPayCoreClient",
    "EcommpayGate",
    "EcommpayGateApi",
    "AsyncEcommpayGateApi",
    "GateAccepted",
    "GatePayment",
    "PolypayError",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "MethodNotAllowedError",
    "ConflictError",
    "ValidationError",
    "RateLimitError",
    "APIError",
    "APIResponseError",
    "APIConnectionError",
    "APITimeoutError",
    "OperationCancelledError",
    "cancelled_call_error",
    "SignatureVerificationError",
    "ConfigurationError",
    "PaymentInvoice",
    "PayoutInvoice",
    "Refund",
    "ResponseInfo",
    "PaymentInvoiceStatus",
    "PayoutInvoiceStatus",
    "Resolution",
    "PaymentService",
    "PayoutService",
    "Balances",
    "Prerequest",
    "CallbackEvent",
    "EcommpayCallback",
    "HppForm",
    "LedgerEvent",
]
