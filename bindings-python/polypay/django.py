"""Django integration: callback views that verify before your code runs.

.. code-block:: python

    # settings.py
    POLYPAY_PAYCORE_SECRET_KEY = "sk_live_..."     # X-Signature secret
    POLYPAY_ECOMMPAY_SECRET_KEY = "..."            # ecommpay project secret

    # views.py
    from polypay.django import paycore_callback, ecommpay_callback

    @paycore_callback
    def paycore_webhook(request, event):
        if event.is_success:
            Order.objects.filter(ref=event.reference_id).update(paid=True)

    @ecommpay_callback
    def ecommpay_webhook(request, callback):
        ...

The decorated view is CSRF-exempt and POST-only. It answers 400 without calling your function
when the signature is missing or wrong, and 200 only after your function returns (an exception
gives Django's 500, so the gateway retries). Your function may return its own HttpResponse.

Verification always uses ``request.body``, the raw bytes. Never verify ``request.data``
(Django REST framework) or ``json.loads(...)`` output re-serialised: a re-encoded body (key
order, escaped slashes, number formats) no longer matches its signature — the most common
webhook bug. With DRF, decorate a plain Django view, or read ``request.body`` before
``request.data``.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable, Optional, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import ecommpay as _ecommpay
from . import paycore as _paycore
from .errors import InvalidArgumentError, SignatureVerificationError

__all__ = ["paycore_callback", "ecommpay_callback"]

logger = logging.getLogger("polypay")

F = TypeVar("F", bound=Callable[..., Any])


def _setting(explicit: Optional[str], name: str) -> str:
    value = explicit if explicit is not None else getattr(settings, name, None)
    if not value:
        from .errors import ConfigurationError

        raise ConfigurationError(f"{name} is not set in Django settings", argument=name)
    return str(value)


def _finish(result: Any) -> HttpResponse:
    if isinstance(result, HttpResponse):
        return result
    return HttpResponse("OK", content_type="text/plain")


def paycore_callback(
    view: Optional[F] = None, *, secret_key: Optional[str] = None
) -> Any:
    """Decorates ``view(request, event)``: ``event`` is the verified PaymentInvoice,
    PayoutInvoice or CallbackEvent. The secret comes from ``secret_key`` or
    ``settings.POLYPAY_PAYCORE_SECRET_KEY``."""

    def decorate(func: F) -> F:
        @csrf_exempt
        @require_POST
        @functools.wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            secret = _setting(secret_key, "POLYPAY_PAYCORE_SECRET_KEY")
            signature = request.headers.get("X-Signature", "")
            try:
                event = _paycore.verify_callback(request.body, signature, secret)
            except (SignatureVerificationError, InvalidArgumentError) as error:
                logger.warning("PayCore callback refused: %s", error.code)
                return HttpResponseBadRequest("invalid callback", content_type="text/plain")
            return _finish(func(request, event, *args, **kwargs))

        return wrapper  # type: ignore[return-value]

    return decorate(view) if view is not None else decorate


def ecommpay_callback(
    view: Optional[F] = None, *, secret_key: Optional[str] = None
) -> Any:
    """Decorates ``view(request, callback)``: ``callback`` is the verified EcommpayCallback.
    The secret comes from ``secret_key`` or ``settings.POLYPAY_ECOMMPAY_SECRET_KEY``."""

    def decorate(func: F) -> F:
        @csrf_exempt
        @require_POST
        @functools.wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            secret = _setting(secret_key, "POLYPAY_ECOMMPAY_SECRET_KEY")
            try:
                callback = _ecommpay.verify_callback(request.body, secret)
            except (SignatureVerificationError, InvalidArgumentError) as error:
                logger.warning("ecommpay callback refused: %s", error.code)
                return HttpResponseBadRequest("invalid callback", content_type="text/plain")
            return _finish(func(request, callback, *args, **kwargs))

        return wrapper  # type: ignore[return-value]

    return decorate(view) if view is not None else decorate
