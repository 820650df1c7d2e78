"""The PayCore Commerce API clients: :class:`PayCoreClient` (blocking, releases the GIL while
it waits) and :class:`AsyncPayCoreClient` (asyncio). Both run on one Rust runtime per process,
which survives ``fork()`` (gunicorn ``--preload``, Celery prefork).

Nothing lost, nothing doubled: creates carry a ``reference_id`` (generated when omitted) and are
reconciled by it after an unknown outcome; reads are retried on 429/5xx/timeouts within the
call's ``timeout`` (the whole deadline, retries included).

Cancelling an async call (``task.cancel()``, ``asyncio.wait_for``/``asyncio.timeout``, a
TaskGroup) stops it at once and raises ``asyncio.CancelledError`` whose ``__cause__`` is the
call's :class:`~polypay.OperationCancelledError`, with the create's ``reference_id`` and
``outcome_unknown`` (see :func:`polypay.cancelled_call_error`)."""

from __future__ import annotations

import asyncio
import logging
import time
from decimal import Decimal
from typing import (
    Any,
    AsyncIterator,
    Dict,
    Iterator,
    Mapping,
    Optional,
    TypeVar,
    Union,
)

from . import _native
from ._native import Operation as _Op
from .errors import OperationCancelledError, cancelled_call_error
from .models import (
    Balances,
    CallbackEvent,
    PaymentInvoice,
    PaymentService,
    PayoutInvoice,
    Prerequest,
    Refund,
)

__all__ = ["PayCoreClient", "AsyncPayCoreClient", "Amount"]

Amount = Union[Decimal, int, str]
Body = Union[bytes, bytearray, memoryview, str]
T = TypeVar("T")

logger = logging.getLogger("polypay")


def _fields(
    request: Optional[Mapping[str, Any]], reference_id: Optional[str], extra: Dict[str, Any]
) -> Dict[str, Any]:
    if request is not None and not isinstance(request, Mapping):
        from .errors import InvalidArgumentTypeError

        raise InvalidArgumentTypeError(
            f"request must be a mapping (dict), not {type(request).__name__}",
            code="python_type",
            argument="request",
        )
    out: Dict[str, Any] = dict(request or {})
    out.update(extra)
    if reference_id is not None:
        out["reference_id"] = reference_id
    return out


def _drop_none(**values: Any) -> Dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class _Base:
    __slots__ = ("_native",)

    def __init__(
        self,
        *,
        public_key: Optional[str] = None,
        account_id: Optional[str] = None,
        api_key: Optional[str] = None,
        secret_key: Optional[str] = None,
        env: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        request_timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        page_size: Optional[int] = None,
        proxy: Optional[str] = None,
        user_agent: Optional[str] = None,
        allow_insecure_http: Optional[bool] = None,
    ) -> None:
        """``public_key`` (pk_…) for the Public API and HPP, ``account_id`` + ``api_key`` for the
        Private API, ``secret_key`` (sk_…) for callbacks. ``env`` is ``"paycore"`` (the default)
        or ``"paymega"``; ``base_url`` (a custom deployment or the sandbox) wins over it.
        ``timeout`` is the whole budget of a call in seconds, retries included (60 s);
        ``request_timeout`` bounds one attempt (30 s), ``connect_timeout`` connecting (10 s);
        ``max_retries`` 0–10 (2); ``page_size`` (1–1000) the items per page request of every
        list that sets none; ``proxy`` e.g. ``"http://proxy.internal:3128"``. Any option left
        at None takes the core's default, the same in every language."""
        _native.set_log_level(logger.getEffectiveLevel())
        self._native = _native.NativeClient(
            public_key=public_key,
            account_id=account_id,
            api_key=api_key,
            secret_key=secret_key,
            env=env,
            base_url=base_url,
            timeout=timeout,
            request_timeout=request_timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            page_size=page_size,
            proxy=proxy,
            user_agent=user_agent,
            allow_insecure_http=allow_insecure_http,
        )

    @property
    def base_url(self) -> str:
        return self._native.base_url

    @property
    def mode(self) -> Optional[str]:
        """``"test"`` or ``"live"`` from the keys (None when they do not say)."""
        return self._native.mode

    def verify_callback(
        self, body: Body, signature: str
    ) -> CallbackEvent:
        """Verifies a callback's ``X-Signature`` over the raw body with the configured
        ``secret_key`` (see :func:`polypay.paycore.verify_callback`)."""
        return self._native.verify_callback(body, signature)

    def __repr__(self) -> str:
        return repr(self._native).replace("PayCoreClient", type(self).__name__, 1)


def _log_done(op: str, started: float, result: Any) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        response = getattr(result, "response", None)
        logger.debug(
            "%s -> %s request_id=%s reconciled=%s in %.1f ms",
            op,
            getattr(response, "http_status", None),
            getattr(response, "request_id", None),
            getattr(response, "reconciled", False),
            (time.perf_counter() - started) * 1000,
        )


def _log_failed(op: str, started: float, error: BaseException) -> None:
    if logger.isEnabledFor(logging.INFO):
        logger.info(
            "%s failed: %s (%s) status=%s request_id=%s in %.1f ms",
            op,
            type(error).__name__,
            getattr(error, "code", None),
            getattr(error, "http_status", None),
            getattr(error, "request_id", None),
            (time.perf_counter() - started) * 1000,
        )


class PayCoreClient(_Base):
    """Blocking client. Thread-safe: share one instance between threads. It holds the API key
    and the callback secret: it belongs on a server, never in code shipped to browsers or apps
    (those use the public key alone: the Node, Kotlin and Swift ``PublicPayCoreClient``)."""

    __slots__ = ()

    def _call(self, op: _Op, *, timeout: Optional[float] = None, **args: Any) -> Any:
        started = time.perf_counter()
        try:
            result = self._native.call(op, timeout=timeout, **args)
        except Exception as error:
            _log_failed(op.method, started, error)
            raise
        _log_done(op.method, started, result)
        return result

    # Public API (public_key)
    def payment_prerequest(
        self, currency: str, amount: Optional[Amount] = None, *, timeout: Optional[float] = None
    ) -> Prerequest:
        fields = _drop_none(currency=currency, amount=amount)
        return self._call(_Op.PaymentPrerequest, fields=fields, timeout=timeout)  # type: ignore[no-any-return]

    def payout_prerequest(
        self, currency: str, amount: Optional[Amount] = None, *, timeout: Optional[float] = None
    ) -> Prerequest:
        fields = _drop_none(currency=currency, amount=amount)
        return self._call(_Op.PayoutPrerequest, fields=fields, timeout=timeout)  # type: ignore[no-any-return]

    def create_payment_invoice_public(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        reference_id: Optional[str] = None,
        timeout: Optional[float] = None,
        **kwargs: Any,
    ) -> PaymentInvoice:
        body = _fields(request, reference_id, kwargs)
        return self._call(_Op.CreatePaymentInvoicePublic, fields=body, timeout=timeout)  # type: ignore[no-any-return]

    def get_payment_invoice_public(
        self, id: str, *, timeout: Optional[float] = None
    ) -> PaymentInvoice:
        return self._call(_Op.GetPaymentInvoicePublic, id=id, timeout=timeout)  # type: ignore[no-any-return]

    def get_payout_invoice_public(
        self, id: str, *, timeout: Optional[float] = None
    ) -> PayoutInvoice:
        return self._call(_Op.GetPayoutInvoicePublic, id=id, timeout=timeout)  # type: ignore[no-any-return]

    # Private API (account_id + api_key)
    def create_payment_invoice(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        reference_id: Optional[str] = None,
        timeout: Optional[float] = None,
        **kwargs: Any,
    ) -> PaymentInvoice:
        """Creates a payment invoice (``service``, ``amount``, ``currency`` and optional fields,
        as a ``request`` mapping and/or keyword arguments). Safe to call again with the same
        ``reference_id``: an existing invoice is returned, never a second one."""
        body = _fields(request, reference_id, kwargs)
        return self._call(_Op.CreatePaymentInvoice, fields=body, timeout=timeout)  # type: ignore[no-any-return]

    def get_payment_invoice(self, id: str, *, timeout: Optional[float] = None) -> PaymentInvoice:
        return self._call(_Op.GetPaymentInvoice, id=id, timeout=timeout)  # type: ignore[no-any-return]

    def find_payment_invoice(
        self, reference_id: str, *, timeout: Optional[float] = None
    ) -> Optional[PaymentInvoice]:
        return self._call(_Op.FindPaymentInvoice, reference_id=reference_id, timeout=timeout)  # type: ignore[no-any-return]

    def list_payment_invoices(
        self,
        *,
        reference_id: Optional[str] = None,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> Iterator[PaymentInvoice]:
        """Newest first; pages are fetched lazily as you iterate."""
        return _iterate(
            self._native.list(
                _Op.ListPaymentInvoices,
                reference_id=reference_id,
                page_size=page_size,
                timeout=timeout,
            )
        )

    def refund_payment_invoice(
        self,
        id: str,
        *,
        amount: Amount,
        reference_id: Optional[str] = None,
        description: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> Refund:
        fields = _drop_none(amount=amount, reference_id=reference_id, description=description)
        return self._call(_Op.RefundPaymentInvoice, id=id, fields=fields, timeout=timeout)  # type: ignore[no-any-return]

    def create_payout_invoice(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        reference_id: Optional[str] = None,
        timeout: Optional[float] = None,
        **kwargs: Any,
    ) -> PayoutInvoice:
        body = _fields(request, reference_id, kwargs)
        return self._call(_Op.CreatePayoutInvoice, fields=body, timeout=timeout)  # type: ignore[no-any-return]

    def get_payout_invoice(self, id: str, *, timeout: Optional[float] = None) -> PayoutInvoice:
        return self._call(_Op.GetPayoutInvoice, id=id, timeout=timeout)  # type: ignore[no-any-return]

    def find_payout_invoice(
        self, reference_id: str, *, timeout: Optional[float] = None
    ) -> Optional[PayoutInvoice]:
        return self._call(_Op.FindPayoutInvoice, reference_id=reference_id, timeout=timeout)  # type: ignore[no-any-return]

    def list_payout_invoices(
        self,
        *,
        reference_id: Optional[str] = None,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> Iterator[PayoutInvoice]:
        return _iterate(
            self._native.list(
                _Op.ListPayoutInvoices,
                reference_id=reference_id,
                page_size=page_size,
                timeout=timeout,
            )
        )

    def list_payment_services(
        self, *, page_size: Optional[int] = None, timeout: Optional[float] = None
    ) -> Iterator[PaymentService]:
        return _iterate(
            self._native.list(_Op.ListPaymentServices, page_size=page_size, timeout=timeout)
        )

    def get_payment_service(self, id: str, *, timeout: Optional[float] = None) -> PaymentService:
        return self._call(_Op.GetPaymentService, id=id, timeout=timeout)  # type: ignore[no-any-return]

    def balances(self, *, timeout: Optional[float] = None) -> Balances:
        return self._call(_Op.Balances, timeout=timeout)  # type: ignore[no-any-return]


def _iterate(pager: Any) -> Iterator[Any]:
    while True:
        item = pager.next()
        if item is None:
            return
        yield item


async def _aiterate(pager: Any, token: Any) -> AsyncIterator[Any]:
    while True:
        item = await _cancellable("list", pager.next_async(), token)
        if item is None:
            return
        yield item


# Once its token fires, a native call ends at once (the core stops waiting on the network and
# answers `cancelled`); this only bounds the wait for that answer should it never come. It is
# generous because the answer needs CPU: under anyio, whose scopes re-cancel the task on every
# loop turn until it leaves them, a starved machine can take a long while to deliver it, and
# a grace that runs out loses the facts (the task ends with a bare CancelledError).
_CANCEL_GRACE = 10.0

# Operations that a cancellation may leave done on the gateway.
_WRITES = frozenset(
    {
        "create_payment_invoice_public",
        "create_payment_invoice",
        "create_payout_invoice",
        "refund_payment_invoice",
    }
)


async def _cancellable(op: str, future: "asyncio.Future[Any]", token: Any) -> Any:
    """Awaits a native call. When the awaiting task is cancelled, the call is not dropped (that
    would lose what it knows): its token fires, the core ends it with a ``cancelled`` error
    that keeps the facts, and the task's ``CancelledError`` is raised with that error as its
    ``__cause__``. It stays a plain ``CancelledError``, the only class that ``asyncio.timeout``
    and ``TaskGroup`` (Python 3.11, 3.12) treat as cancellation."""
    try:
        # The shield keeps asyncio from cancelling the native future, which would drop the call.
        return await asyncio.shield(future)
    except asyncio.CancelledError as cancelled:
        error = await _ended_by_cancel(op, future, token)
        if error is None:
            raise
        raise cancelled from error


async def _ended_by_cancel(
    op: str, future: "asyncio.Future[Any]", token: Any
) -> Optional[BaseException]:
    """Fires the call's token and returns the error the call ended with."""
    token.cancel()
    loop = asyncio.get_running_loop()
    give_up = loop.time() + _CANCEL_GRACE
    while not future.done() and loop.time() < give_up:
        try:
            await asyncio.wait((future,), timeout=give_up - loop.time())
        except asyncio.CancelledError:
            # Cancelled again while the call stops: anyio's scopes cancel the task until it
            # leaves them. Keep waiting (the grace bounds it); the task ends cancelled anyway.
            pass
    if not future.done() or future.cancelled():
        return None
    error = future.exception()
    if error is not None:
        return error  # normally the core's OperationCancelledError
    # The call completed just before the cancellation reached the task: its result is lost
    # with the task, so say what a cancelled call says, the reference_id of what it did.
    result = future.result()
    write = op in _WRITES
    return OperationCancelledError(
        "the call was cancelled after it completed; its result was discarded"
        + (": find it by reference_id" if write else ""),
        kind="cancelled",
        code="cancelled",
        retryable=True,
        outcome_unknown=write,
        reference_id=getattr(result, "reference_id", None),
    )


class AsyncPayCoreClient(_Base):
    """The same operations as awaitables, for asyncio (FastAPI, async Django, aiohttp).
    The work runs on the shared Rust runtime; your event loop is never blocked."""

    __slots__ = ()

    async def _call(self, op: _Op, *, timeout: Optional[float] = None, **args: Any) -> Any:
        started = time.perf_counter()
        token = _native.CancelToken()
        try:
            future = self._native.call_async(op, timeout=timeout, cancel=token, **args)
            result = await _cancellable(op.method, future, token)
        except asyncio.CancelledError as cancelled:
            _log_failed(op.method, started, cancelled_call_error(cancelled) or cancelled)
            raise
        except Exception as error:
            _log_failed(op.method, started, error)
            raise
        _log_done(op.method, started, result)
        return result

    async def payment_prerequest(
        self, currency: str, amount: Optional[Amount] = None, *, timeout: Optional[float] = None
    ) -> Prerequest:
        fields = _drop_none(currency=currency, amount=amount)
        return await self._call(_Op.PaymentPrerequest, fields=fields, timeout=timeout)  # type: ignore[no-any-return]

    async def payout_prerequest(
        self, currency: str, amount: Optional[Amount] = None, *, timeout: Optional[float] = None
    ) -> Prerequest:
        fields = _drop_none(currency=currency, amount=amount)
        return await self._call(_Op.PayoutPrerequest, fields=fields, timeout=timeout)  # type: ignore[no-any-return]

    async def create_payment_invoice_public(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        reference_id: Optional[str] = None,
        timeout: Optional[float] = None,
        **kwargs: Any,
    ) -> PaymentInvoice:
        body = _fields(request, reference_id, kwargs)
        return await self._call(_Op.CreatePaymentInvoicePublic, fields=body, timeout=timeout)  # type: ignore[no-any-return]

    async def get_payment_invoice_public(
        self, id: str, *, timeout: Optional[float] = None
    ) -> PaymentInvoice:
        return await self._call(_Op.GetPaymentInvoicePublic, id=id, timeout=timeout)  # type: ignore[no-any-return]

    async def get_payout_invoice_public(
        self, id: str, *, timeout: Optional[float] = None
    ) -> PayoutInvoice:
        return await self._call(_Op.GetPayoutInvoicePublic, id=id, timeout=timeout)  # type: ignore[no-any-return]

    async def create_payment_invoice(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        reference_id: Optional[str] = None,
        timeout: Optional[float] = None,
        **kwargs: Any,
    ) -> PaymentInvoice:
        body = _fields(request, reference_id, kwargs)
        return await self._call(_Op.CreatePaymentInvoice, fields=body, timeout=timeout)  # type: ignore[no-any-return]

    async def get_payment_invoice(
        self, id: str, *, timeout: Optional[float] = None
    ) -> PaymentInvoice:
        return await self._call(_Op.GetPaymentInvoice, id=id, timeout=timeout)  # type: ignore[no-any-return]

    async def find_payment_invoice(
        self, reference_id: str, *, timeout: Optional[float] = None
    ) -> Optional[PaymentInvoice]:
        return await self._call(_Op.FindPaymentInvoice, reference_id=reference_id, timeout=timeout)  # type: ignore[no-any-return]

    def list_payment_invoices(
        self,
        *,
        reference_id: Optional[str] = None,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> AsyncIterator[PaymentInvoice]:
        token = _native.CancelToken()
        pager = self._native.list(
            _Op.ListPaymentInvoices,
            reference_id=reference_id,
            page_size=page_size,
            timeout=timeout,
            cancel=token,
        )
        return _aiterate(pager, token)

    async def refund_payment_invoice(
        self,
        id: str,
        *,
        amount: Amount,
        reference_id: Optional[str] = None,
        description: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> Refund:
        fields = _drop_none(amount=amount, reference_id=reference_id, description=description)
        return await self._call(_Op.RefundPaymentInvoice, id=id, fields=fields, timeout=timeout)  # type: ignore[no-any-return]

    async def create_payout_invoice(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        reference_id: Optional[str] = None,
        timeout: Optional[float] = None,
        **kwargs: Any,
    ) -> PayoutInvoice:
        body = _fields(request, reference_id, kwargs)
        return await self._call(_Op.CreatePayoutInvoice, fields=body, timeout=timeout)  # type: ignore[no-any-return]

    async def get_payout_invoice(
        self, id: str, *, timeout: Optional[float] = None
    ) -> PayoutInvoice:
        return await self._call(_Op.GetPayoutInvoice, id=id, timeout=timeout)  # type: ignore[no-any-return]

    async def find_payout_invoice(
        self, reference_id: str, *, timeout: Optional[float] = None
    ) -> Optional[PayoutInvoice]:
        return await self._call(_Op.FindPayoutInvoice, reference_id=reference_id, timeout=timeout)  # type: ignore[no-any-return]

    def list_payout_invoices(
        self,
        *,
        reference_id: Optional[str] = None,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> AsyncIterator[PayoutInvoice]:
        token = _native.CancelToken()
        pager = self._native.list(
            _Op.ListPayoutInvoices,
            reference_id=reference_id,
            page_size=page_size,
            timeout=timeout,
            cancel=token,
        )
        return _aiterate(pager, token)

    def list_payment_services(
        self, *, page_size: Optional[int] = None, timeout: Optional[float] = None
    ) -> AsyncIterator[PaymentService]:
        token = _native.CancelToken()
        pager = self._native.list(
            _Op.ListPaymentServices, page_size=page_size, timeout=timeout, cancel=token
        )
        return _aiterate(pager, token)

    async def get_payment_service(
        self, id: str, *, timeout: Optional[float] = None
    ) -> PaymentService:
        return await self._call(_Op.GetPaymentService, id=id, timeout=timeout)  # type: ignore[no-any-return]

    async def balances(self, *, timeout: Optional[float] = None) -> Balances:
        return await self._call(_Op.Balances, timeout=timeout)  # type: ignore[no-any-return]
