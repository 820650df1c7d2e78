"""ecommpay Payment Page: signing (byte for byte the PHP SDK's algorithm), signed URLs and
callback verification.

Parameters are a mapping whose order is kept (it decides the URL's order). Values may be
``str``, ``int`` (any size, exact), ``bool``, ``None`` (dropped), ``decimal.Decimal`` (its exact
text), ``float`` (a PHP float: signed as PHP prints it), lists and nested mappings.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Union

from . import _native
from .models import EcommpayCallback

__all__ = [
    "sign",
    "string_to_sign",
    "payment_page_url",
    "verify_callback",
    "EcommpayGate",
    "EcommpayCallback",
    "best_before",
    "natcmp",
    "php_float",
    "DEFAULT_BASE_URL",
]

DEFAULT_BASE_URL = "https://paymentpage.ecommpay.com"

Body = Union[bytes, bytearray, memoryview, str]


# The native functions themselves (documented in Rust): a Python wrapper would add its call
# overhead to every signature.
sign = _native.ecommpay_sign
string_to_sign = _native.ecommpay_string_to_sign
best_before = _native.ecommpay_best_before


def payment_page_url(
    params: Mapping[str, Any], secret: str, base_url: Optional[str] = None
) -> str:
    """The signed Payment Page URL for ``params`` (nothing is added to them)."""
    return _native.ecommpay_payment_page_url(params, secret, base_url)


def verify_callback(body: Body, secret: str) -> EcommpayCallback:
    """Verifies a callback from its **raw** body (``request.body``, never parsed JSON).

    Raises :class:`polypay.SignatureVerificationError` when the signature does not match and
    :class:`polypay.InvalidArgumentError` when the body is not a JSON object."""
    return _native.ecommpay_verify_callback(body, secret)


def natcmp(a: Union[str, bytes], b: Union[str, bytes]) -> int:
    """PHP ``strnatcmp`` (-1, 0, 1): the order of signed parameter paths."""
    return _native.ecommpay_natcmp(a, b)


def php_float(value: float) -> str:
    """PHP ``(string)$float`` with precision 14: how floats are signed."""
    return _native.ecommpay_php_float(value)


# The native class itself: a Python wrapper would add its call overhead to every URL.
EcommpayGate = _native.EcommpayGate
