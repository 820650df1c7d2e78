"""polypay: one payment SDK (PayCore.io / Paymega Commerce API, ecommpay Payment Page) over a
Rust core. See ``polypay.ecommpay``, ``polypay.paycore``, :class:`PayCoreClient`,
:class:`AsyncPayCoreClient`, ``polypay.django`` and ``polypay.testing``."""

from . import ecommpay, errors, paycore
from ._native import __version__
from .client import AsyncPayCoreClient, PayCoreClient
from .ecommpay import EcommpayGate
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
    PermissionDeniedError,
    PolypayError,
    RateLimitError,
    SignatureVerificationError,
    ValidationError,
)
from .models import (
    Balances,
    CallbackEvent,
    EcommpayCallback,
    HppForm,
    PaymentInvoice,
    PaymentService,
    PayoutInvoice,
    Prerequest,
    Refund,
)

__all__ = [
    "__version__",
    "ecommpay",
    "paycore",
    "errors",
    "PayCoreClient",
    "AsyncPayCoreClient",
    "EcommpayGate",
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
    "SignatureVerificationError",
    "ConfigurationError",
    "PaymentInvoice",
    "PayoutInvoice",
    "Refund",
    "PaymentService",
    "Balances",
    "Prerequest",
    "CallbackEvent",
    "EcommpayCallback",
    "HppForm",
]
