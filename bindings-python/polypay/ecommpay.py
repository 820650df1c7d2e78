"""ecommpay Payment Page: signing (byte for byte the PHP SDK's algorithm), signed URLs and
callback verification.

Parameters are a mapping whose order is kept (it decides the URL's order). Values may be
``str``, ``int`` (any size, exact), ``bool``, ``None`` (dropped), ``decimal.Decimal`` (its exact
text), ``float`` (a PHP float: signed as PHP prints it), lists and nested mappings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Mapping, Optional, Union

from . import _native
from .errors import _type_error
from .models import EcommpayCallback

__all__ = [
    "sign",
    "string_to_sign",
    "payment_page_url",
    "verify_callback",
    "EcommpayGate",
    "EcommpayCallback",
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


class EcommpayGate:
    """A project's connection to the Payment Page. Thread-safe; create it once."""

    __slots__ = ("_gate",)

    def __init__(self, project_id: int, secret_key: str, base_url: Optional[str] = None) -> None:
        if isinstance(project_id, bool) or not isinstance(project_id, int):
            raise _type_error("project_id", f"must be an int, not {type(project_id).__name__}")
        self._gate = _native.EcommpayGate(project_id, secret_key, base_url)

    @property
    def project_id(self) -> int:
        return self._gate.project_id

    @property
    def base_url(self) -> str:
        return self._gate.base_url

    def payment_page_url(
        self,
        *,
        payment_id: str,
        payment_amount: Optional[int] = None,
        payment_currency: Optional[str] = None,
        best_before: Optional[datetime] = None,
        booking_info: Optional[Mapping[str, Any]] = None,
        **params: Any,
    ) -> str:
        """The signed URL of a payment: ``project_id`` first, then ``payment_id`` and the other
        keyword arguments in order. ``payment_amount`` is in minor units (3550 is 35.50)."""
        fields: Dict[str, Any] = {"payment_id": payment_id}
        if payment_amount is not None:
            if isinstance(payment_amount, bool) or not isinstance(payment_amount, int):
                raise _type_error(
                    "payment_amount",
                    "must be an int number of minor units (3550 for 35.50), "
                    f"not {type(payment_amount).__name__}",
                )
            fields["payment_amount"] = payment_amount
        if payment_currency is not None:
            fields["payment_currency"] = payment_currency
        fields.update(params)
        if best_before is not None:
            if not isinstance(best_before, datetime) or best_before.tzinfo is None:
                raise _type_error("best_before", "must be a timezone-aware datetime")
            fields["best_before"] = best_before.isoformat(timespec="seconds")
        if booking_info is not None:
            fields["booking_info"] = booking_info
        return self._gate.payment_page_url(fields)

    def params_url(self, params: Mapping[str, Any]) -> str:
        """The signed URL for raw parameters (nothing added)."""
        return self._gate.params_url(params)

    def sign(self, params: Mapping[str, Any]) -> str:
        return self._gate.sign(params)

    def verify_callback(self, body: Body) -> EcommpayCallback:
        """Verifies a callback from its raw body; see :func:`verify_callback`."""
        return self._gate.verify_callback(body)

    def __repr__(self) -> str:
        return repr(self._gate)
