"""Django integration: callback views that verify before your code runs.

.. code-block:: python

    # settings.py
    POLYPAY_PAYCORE_SECRET_KEY = "sk_live_..."     # X-Signature secret (or a list while a
                                                   # key is rotated, or a function of the request)
    POLYPAY_ECOMMPAY_SECRET_KEY = "..."            # ecommpay project secret

    # views.py
    from polypay.django import paycore_callback, ecommpay_callback

    @paycore_callback
    def paycore_webhook(request, event):
        if event.is_success:
            Order.objects.filter(ref=event.invoice.reference_id).update(paid=True)

    @ecommpay_callback
    async def ecommpay_webhook(request, callback):     # async views work too
        await Order.objects.filter(ref=callback.payment_id).aupdate(paid=callback.is_success)

The decorated view is CSRF-exempt and POST-only. It answers 400 without calling your function
when the signature is missing or wrong, and 200 only after your function returns (an exception
gives Django's 500, so the gateway retries). Your function may return its own HttpResponse.

With ``exactly_once=True`` each state change is applied once, however often and in whatever
order the gateway delivers it, across every process of the site: add ``"polypay.django"`` to
``INSTALLED_APPS`` and ``migrate``. The view then runs inside a transaction that holds the
entity's ledger row (``SELECT … FOR UPDATE``; SQLite's write lock), only when the core's rule
says the delivery is a new state (``"apply"``); a duplicate or an older state (``"stale"``) is
answered 200 without calling it. The ledger row is written in the same transaction as the
view's own changes, so a view that raises leaves nothing behind and the redelivery applies it.
The answer carries ``Polypay-Verdict: apply|duplicate|stale``.

.. code-block:: python

    @paycore_callback(exactly_once=True)
    def paycore_webhook(request, event):     # runs once per state change of the invoice
        Order.objects.filter(ref=event.invoice.reference_id).update(status=event.status)

``async def`` views are supported: the decorator then returns an async view (Django runs it
natively under ASGI, through ``async_to_sync`` under WSGI), awaits your coroutine and answers
200 only once it has completed; an exception it raises gives 500, as for a sync view. A callable
that is not an ``async def`` but returns an awaitable must be marked with
``asgiref.sync.markcoroutinefunction``; unmarked, the view refuses it with a ``TypeError`` (500,
so the callback is retried, never silently dropped).

Verification always uses ``request.body``, the raw bytes. Never verify ``request.data``
(Django REST framework) or ``json.loads(...)`` output re-serialised: a re-encoded body (key
order, escaped slashes, number formats) no longer matches its signature — the most common
webhook bug. With DRF, decorate a plain Django view, or read ``request.body`` before
``request.data``.
"""

from __future__ import annotations

import functools
import inspect
import logging
from typing import Any, Callable, List, Optional, TypeVar, Union

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
)
from django.utils.log import log_response
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..errors import InvalidArgumentError, SignatureVerificationError
from ..ledger import VERDICT_HEADER, Secrets, secrets_for, verify_ecommpay, verify_paycore

try:  # asgiref >= 3.6 (Django >= 4.2): also recognises markcoroutinefunction()-marked callables
    from asgiref.sync import iscoroutinefunction as _iscoroutinefunction
    from asgiref.sync import markcoroutinefunction as _markcoroutinefunction
except ImportError:  # pragma: no cover - older asgiref (Django 3.2 to 4.1)
    _iscoroutinefunction = inspect.iscoroutinefunction

    def _markcoroutinefunction(func: Any) -> Any:
        return func


__all__ = ["paycore_callback", "ecommpay_callback"]

logger = logging.getLogger("polypay")

F = TypeVar("F", bound=Callable[..., Any])

# Verifies request.body and returns the verified object; raises SignatureVerificationError or
# InvalidArgumentError when the callback must be refused.
_Verify = Callable[[HttpRequest], Any]


def _secrets(explicit: Optional[Secrets], name: str, request: HttpRequest) -> List[str]:
    """``secret_key``, else the setting: a secret, a list of them tried in turn (a key being
    rotated), or a function of the request returning either (several accounts)."""
    value = explicit if explicit is not None else getattr(settings, name, None)
    if not value:
        from ..errors import ConfigurationError

        raise ConfigurationError(f"{name} is not set in Django settings", argument=name)
    return secrets_for(value, request)


def _finish(result: Any, applied: Any = None) -> HttpResponse:
    response = result if isinstance(result, HttpResponse) else None
    if response is None:
        response = HttpResponse("OK", content_type="text/plain")
    if applied is not None and VERDICT_HEADER not in response:
        response[VERDICT_HEADER] = "apply"
    return response


def _verified(verify: _Verify, request: HttpRequest, label: str) -> Union[Any, HttpResponse]:
    """The verified event, or the 400 response refusing the callback."""
    try:
        return verify(request)
    except (SignatureVerificationError, InvalidArgumentError) as error:
        logger.warning("%s callback refused: %s", label, error.code)
        return HttpResponseBadRequest("invalid callback", content_type="text/plain")


def _handler_failed(label: str, event: Any, error: BaseException) -> None:
    # The event's id and the exception's type only: never the body, the signature or the
    # exception's message (they may carry customer data). Django logs the traceback with the
    # error response ("django.request"), and an error status makes the gateway retry.
    ident = getattr(event, "id", None) or getattr(event, "payment_id", None)
    logger.error(
        "%s callback %s not acknowledged: the handler raised %s",
        label,
        ident,
        type(error).__name__,
    )


def _not_allowed(request: HttpRequest) -> HttpResponse:
    # What django.views.decorators.http.require_POST does (done here for async views because
    # Django < 5.0 has no async-aware require_POST / csrf_exempt).
    response = HttpResponseNotAllowed(["POST"])
    log_response(
        "Method Not Allowed (%s): %s",
        request.method,
        request.path,
        response=response,
        request=request,
    )
    return response


# Called with (request, event, verdict) for a delivery the ledger absorbs.
OnSkip = Callable[[HttpRequest, Any, str], None]


def _apply_once(
    request: HttpRequest,
    event: Any,
    run: Callable[[], Any],
    using: Optional[str],
    on_skip: Optional[OnSkip],
) -> Any:
    """Runs ``run`` if the ledger says ``event`` is a new state, in one transaction with the
    ledger row; returns its result, or the 200 response for a duplicate or stale delivery."""
    ledger_event = getattr(event, "ledger_event", None)
    if ledger_event is None:  # not an entity with a lifecycle (an unmodelled resource type)
        return run()
    from django.db import transaction
    from django.utils import timezone

    from .models import CallbackLedgerEntry as Entry

    key = {"kind": ledger_event.kind, "entity_id": ledger_event.entity_id}
    entries = Entry.objects.using(using)
    with transaction.atomic(using=using):
        # The row exists before it is locked: an INSERT that waits for a concurrent one to
        # commit, then a row lock that orders every delivery of the entity.
        entries.bulk_create([Entry(**key)], ignore_conflicts=True)
        row = entries.select_for_update().get(**key)
        verdict = ledger_event.decide(row.status, row.time)
        if verdict != "apply":
            logger.info(
                "%s %s %s: %s, not applied",
                ledger_event.kind,
                ledger_event.entity_id,
                ledger_event.status,
                verdict,
            )
            if on_skip is not None:
                on_skip(request, event, verdict)
            response = HttpResponse("OK", content_type="text/plain")
            response[VERDICT_HEADER] = verdict
            return response
        result = run()
        row.status, row.time, row.applied_at = (
            ledger_event.status,
            ledger_event.time,
            timezone.now(),
        )
        row.save(update_fields=["status", "time", "applied_at"])
    return result


def _decorate(
    func: Callable[..., Any],
    verify: _Verify,
    label: str,
    exactly_once: bool = False,
    using: Optional[str] = None,
    on_skip: Optional[OnSkip] = None,
) -> Callable[..., Any]:
    if on_skip is not None and not exactly_once:
        raise TypeError(
            "on_skip is called for deliveries the ledger absorbs: it needs exactly_once=True"
        )
    if _iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != "POST":
                return _not_allowed(request)
            event = _verified(verify, request, label)
            if isinstance(event, HttpResponse):
                return event
            try:
                if exactly_once:
                    # Django's transactions are synchronous: the ledger's runs in a thread, and
                    # the view's coroutine back on the event loop (its ORM calls come back to
                    # that thread, so they are inside the transaction).
                    from asgiref.sync import async_to_sync, sync_to_async

                    def run() -> Any:
                        return async_to_sync(func)(request, event, *args, **kwargs)

                    result = await sync_to_async(_apply_once)(request, event, run, using, on_skip)
                else:
                    result = await func(request, event, *args, **kwargs)
            except Exception as error:
                _handler_failed(label, event, error)
                raise
            return _finish(result, event if exactly_once else None)

        async_view.csrf_exempt = True  # type: ignore[attr-defined]
        # Already an `async def`; the mark also survives a pass-through decorator stacked on
        # top with functools.wraps (Django < 5.0's own), so Django still awaits the view.
        return _markcoroutinefunction(async_view)  # type: ignore[no-any-return]

    @csrf_exempt
    @require_POST
    @functools.wraps(func)
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        event = _verified(verify, request, label)
        if isinstance(event, HttpResponse):
            return event
        try:
            if exactly_once:
                result = _apply_once(
                    request,
                    event,
                    lambda: _sync_result(func(request, event, *args, **kwargs), func, label),
                    using,
                    on_skip,
                )
            else:
                result = _sync_result(func(request, event, *args, **kwargs), func, label)
        except Exception as error:
            _handler_failed(label, event, error)
            raise
        return _finish(result, event if exactly_once else None)

    return view  # type: ignore[no-any-return]


def _sync_result(result: Any, func: Callable[..., Any], label: str) -> Any:
    if inspect.isawaitable(result):
        # An async handler this decorator could not recognise (not an `async def`, not
        # marked): answering 200 would drop the callback without running it.
        if inspect.iscoroutine(result):
            result.close()
        name = getattr(func, "__qualname__", type(func).__qualname__)
        raise TypeError(
            f"the {label} callback view {name} returned an awaitable: declare it "
            "`async def`, or mark it with asgiref.sync.markcoroutinefunction, so that the "
            "decorator awaits it"
        )
    return result


def paycore_callback(
    view: Optional[F] = None,
    *,
    secret_key: Optional[Secrets] = None,
    exactly_once: bool = False,
    using: Optional[str] = None,
    on_skip: Optional[OnSkip] = None,
) -> Any:
    """Decorates ``view(request, event)`` (a function or an ``async def``): ``event`` is the
    verified CallbackEvent. The secret comes from
    ``secret_key`` or ``settings.POLYPAY_PAYCORE_SECRET_KEY``. ``exactly_once``: run the view
    once per state change of the invoice, through the ledger in database ``using``;
    ``on_skip(request, event, verdict)`` sees the deliveries it absorbs (in its transaction)."""

    def verify(request: HttpRequest) -> Any:
        keys = _secrets(secret_key, "POLYPAY_PAYCORE_SECRET_KEY", request)
        return verify_paycore(request.body, request.headers.get("X-Signature", ""), keys)

    def decorate(func: F) -> F:
        return _decorate(func, verify, "PayCore", exactly_once, using, on_skip)  # type: ignore[return-value]

    return decorate(view) if view is not None else decorate


def ecommpay_callback(
    view: Optional[F] = None,
    *,
    secret_key: Optional[Secrets] = None,
    exactly_once: bool = False,
    using: Optional[str] = None,
    on_skip: Optional[OnSkip] = None,
) -> Any:
    """Decorates ``view(request, callback)`` (a function or an ``async def``): ``callback`` is
    the verified EcommpayCallback. The secret comes from ``secret_key`` or
    ``settings.POLYPAY_ECOMMPAY_SECRET_KEY``. ``exactly_once``: run the view once per state
    change of the payment, through the ledger in database ``using``;
    ``on_skip(request, callback, verdict)`` sees the deliveries it absorbs (in its transaction)."""

    def verify(request: HttpRequest) -> Any:
        keys = _secrets(secret_key, "POLYPAY_ECOMMPAY_SECRET_KEY", request)
        return verify_ecommpay(request.body, keys)

    def decorate(func: F) -> F:
        return _decorate(func, verify, "ecommpay", exactly_once, using, on_skip)  # type: ignore[return-value]

    return decorate(view) if view is not None else decorate
