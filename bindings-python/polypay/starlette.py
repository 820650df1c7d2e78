"""Starlette and FastAPI endpoints for PayCore and ecommpay callbacks: verified before your code
runs, and applied exactly once with a ledger.

.. code-block:: python

    from polypay.starlette import paycore_callback
    from polypay.sqlalchemy import SqlAlchemyLedger

    async def paid(event, conn):            # or a plain def; once per state change
        conn.execute(orders.update().where(...).values(status=event.status))

    app.add_api_route("/callbacks/paycore", methods=["POST"],
                      endpoint=paycore_callback(paid, secret_key=resolve_secret,
                                                ledger=SqlAlchemyLedger(engine)))

The endpoint reads the raw body (``await request.body()``; a body already read as JSON stays
available), answers 400 without calling your handler when the signature is missing or wrong, and
200 only after the handler returned and the ledger's transaction committed; an exception gives
a 500, so the gateway retries. With a ledger, the handler gets the ledger's transaction handle
as its second argument and runs in a worker thread (the ledger's database calls block) — an
``async def`` handler is awaited back on the event loop, inside that transaction; a duplicate or
older delivery is answered 200 without calling it (``on_skip(event, verdict)`` sees those).
``secret_key``: one secret, a list tried in turn (key rotation), or a function of the request
returning either (several accounts, test vs live)."""

from __future__ import annotations

import inspect
import logging
from typing import Any, Awaitable, Callable, Optional

import anyio.from_thread
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from .errors import InvalidArgumentError, SignatureVerificationError
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

Endpoint = Callable[[Request], Awaitable[Response]]


def _endpoint(
    handler: Callable[..., Any],
    verify: Callable[[Request, bytes], Any],
    label: str,
    ledger: Optional[Ledger],
    on_skip: Optional[Callable[[Any, str], None]],
) -> Endpoint:
    is_async = inspect.iscoroutinefunction(handler)

    async def endpoint(request: Request) -> Response:
        if request.method != "POST":
            return PlainTextResponse("method not allowed", status_code=405)
        try:
            event = verify(request, await request.body())
        except (SignatureVerificationError, InvalidArgumentError) as error:
            logger.warning("%s callback refused: %s", label, error.code)
            return PlainTextResponse("invalid callback", status_code=400)
        if ledger is None:
            result = handler(event)
            if inspect.isawaitable(result):
                result = await result
            verdict = "apply"
        else:

            def run(tx: Any) -> Any:
                if is_async:
                    return anyio.from_thread.run(handler, event, tx)
                return handler(event, tx)

            verdict, result = await anyio.to_thread.run_sync(apply_once, ledger, event, run)
            if verdict != "apply" and on_skip is not None:
                on_skip(event, verdict)
        response = result if isinstance(result, Response) else PlainTextResponse("OK")
        response.headers.setdefault(VERDICT_HEADER, verdict)
        return response

    return endpoint


def paycore_callback(
    handler: Callable[..., Any],
    *,
    secret_key: Secrets,
    ledger: Optional[Ledger] = None,
    on_skip: Optional[Callable[[Any, str], None]] = None,
) -> Endpoint:
    """An endpoint calling ``handler(event)`` (``handler(event, tx)`` with a ledger) with the
    verified CallbackEvent."""

    def verify(request: Request, body: bytes) -> Any:
        keys = secrets_for(secret_key, request)
        return verify_paycore(body, request.headers.get("x-signature", ""), keys)

    return _endpoint(handler, verify, "PayCore", ledger, on_skip)


def ecommpay_callback(
    handler: Callable[..., Any],
    *,
    secret_key: Secrets,
    ledger: Optional[Ledger] = None,
    on_skip: Optional[Callable[[Any, str], None]] = None,
) -> Endpoint:
    """An endpoint calling ``handler(callback)`` (``handler(callback, tx)`` with a ledger) with
    the verified EcommpayCallback."""

    def verify(request: Request, body: bytes) -> Any:
        return verify_ecommpay(body, secrets_for(secret_key, request))

    return _endpoint(handler, verify, "ecommpay", ledger, on_skip)
