"""PayCore.io / Corefy / Paymega: callback signatures (``X-Signature``), verified callback
events, Hosted Payment Page links and auto-redirect forms.

Amounts accept ``decimal.Decimal``, ``int`` and ``str``; a ``float`` is refused (TypeError)."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Union

from . import _native
from .models import CallbackEvent, HppForm

__all__ = [
    "sign_callback",
    "verify_signature",
    "verify_callback",
    "hpp_url",
    "hpp_form",
    "HppForm",
    "CallbackEvent",
]

Body = Union[bytes, bytearray, memoryview, str]


def sign_callback(body: Body, secret: str) -> str:
    """The ``X-Signature`` of raw bytes: base64(sha1(secret + body + secret))."""
    return _native.paycore_sign_callback(body, secret)


def verify_signature(body: Body, signature: str, secret: str) -> None:
    """Checks ``signature`` over the exact bytes only; raises SignatureVerificationError."""
    _native.paycore_verify_signature(body, signature, secret)


def verify_callback(body: Body, signature: str, secret: str) -> CallbackEvent:
    """Verifies the ``X-Signature`` header over the **raw** body, then reads the event.

    ``event.invoice`` is the payment or payout invoice in its new state (``None`` for resource
    types this version does not model); ``event.raw`` is the whole callback document."""
    return _native.paycore_verify_callback(body, signature, secret)


def hpp_url(
    params: Mapping[str, Any], *, env: str = "paycore", base_url: Optional[str] = None
) -> str:
    """The Hosted Payment Page link. ``base_url`` (a custom deployment) wins over ``env``."""
    return _native.paycore_hpp_url(params, env, base_url)


def hpp_form(
    params: Mapping[str, Any],
    *,
    env: str = "paycore",
    base_url: Optional[str] = None,
    button_label: str = "Pay",
) -> HppForm:
    """The auto-redirect form (action, fields, and ready-to-serve escaped ``html``)."""
    return _native.paycore_hpp_form(params, env, base_url, button_label)
