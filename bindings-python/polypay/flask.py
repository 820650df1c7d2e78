"""Flask views for PayCore and ecommpay callbacks: verified before your code runs, and applied
exactly once with a ledger.

.. code-block:: python

    from polypay.flask import paycore_callback
    from polypay.sqlalchemy import SqlAlchemyLedger

    ledger = SqlAlchemyLedger(engine)

    @app.post("/callbacks/paycore")
    @paycore_callback(secret_key=["sk_live_new", "sk_live_old"], ledger=ledger)
    def paycore_webhook(event, conn):      # once per state change of the invoice
        conn.execute(orders.update().where(...).values(status=event.status))

The view answers 400 without calling your function when the signature is missing or wrong, and
200 only after your function returned and the ledger's transaction committed (an exception gives
Flask's 500, so the gateway retries). With a ledger, your function gets the ledger's transaction
handle as its second argument, and a duplicate or older delivery is answered 200 without calling
it (``on_skip(event, verdict)`` sees those). ``secret_key``: one secret, a list tried in turn
(key rotation), or a function of the request returning either (several accounts, test vs live).

Verification reads the raw bytes (``request.get_data()``): a body already consumed as a form
(``request.form`` read first) cannot be verified, and is refused with an error that says so."""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable, Optional

from .errors import ConfigurationError, InvalidArgumentError, SignatureVerificationError
from .ledger import (
    VERDICT_HEADER,
    Ledger,
    Secrets,
    apply_once,
    secrets_for,
    verify_ecommpay,
    verify_paycore,
)

__all__ = ["paycore_callback", "ecommpay_callback"]

logger = logging.getLogger("polypay")

CONSUMED_BODY = (
    "polypay.flask: the request body was already consumed (request.form or request.stream was "
    "read before this view), so its signature cannot be checked: the signature covers the exact "
    "bytes. Read nothing from the request before the decorated view, or call "
    "request.get_data() (which caches the raw body) first."
)


def _raw_body() -> bytes:
    from flask import request

    body = request.get_data(cache=True)
    if not body and (request.content_length or 0) > 0:
        raise ConfigurationError(CONSUMED_BODY, argument="request")
    return body


def _callback_view(
    verify: Callable[[Any, bytes], Any],
    label: str,
    ledger: Optional[Ledger],
    on_skip: Optional[Callable[[Any, str], None]],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def view(*args: Any, **kwargs: Any) -> Any:
            from flask import Response, request

            try:
                event = verify(request, _raw_body())
            except (SignatureVerificationError, InvalidArgumentError) as error:
                logger.warning("%s callback refused: %s", label, error.code)
                return Response("invalid callback", status=400, mimetype="text/plain")

            def run(tx: Any) -> Any:
                return func(event, tx, *args, **kwargs) if ledger else func(event, *args, **kwargs)

            verdict, result = apply_once(ledger, event, run)
            if verdict != "apply" and on_skip is not None:
                on_skip(event, verdict)
            response = result if isinstance(result, Response) else None
            if response is None:
                response = Response("OK", status=200, mimetype="text/plain")
            response.headers.setdefault(VERDICT_HEADER, verdict)
            return response

        return view

    return decorate


def paycore_callback(
    secret_key: Secrets,
    *,
    ledger: Optional[Ledger] = None,
    on_skip: Optional[Callable[[Any, str], None]] = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorates ``view(event)`` (``view(event, tx)`` with a ledger): ``event`` is the
    verified CallbackEvent."""

    def verify(request: Any, body: bytes) -> Any:
        keys = secrets_for(secret_key, request)
        return verify_paycore(body, request.headers.get("X-Signature", ""), keys)

    return _callback_view(verify, "PayCore", ledger, on_skip)


def ecommpay_callback(
    secret_key: Secrets,
    *,
    ledger: Optional[Ledger] = None,
    on_skip: Optional[Callable[[Any, str], None]] = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorates ``view(callback)`` (``view(callback, tx)`` with a ledger): ``callback`` is the
    verified EcommpayCallback."""

    def verify(request: Any, body: bytes) -> Any:
        return verify_ecommpay(body, secrets_for(secret_key, request))

    return _callback_view(verify, "ecommpay", ledger, on_skip)
