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
    PayoutService,
    Prerequest,
    Refund,
)

__all__ = ["PayCoreClient", "AsyncPayCoreClient", "Amount"]

Amount = Union[Decimal, int, str]
Body = Union[bytes, bytearray, memoryview, str]
T = TypeVar("T")

logger = logging.getLogger("polypay")


def _fields(request: Optional[Mapping[str, Any]], keywords: Dict[str, Any]) -> Dict[str, Any]:
    """A request's fields: the ``request`` mapping updated by the keyword arguments."""
    if request is not None and not isinstance(request, Mapping):
        from .errors import InvalidArgumentTypeError

        raise InvalidArgumentTypeError(
            f"request must be a mapping (dict), not {type(request).__name__}",
            code="python_type",
            argument="request",
        )
    return {**request, **keywords} if request else keywords


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

    def _list(self, op: _Op, **args: Any) -> Iterator[Any]:
        return _iterate(self._native.list(op, **args))

    # ---- generated from the core's operation table (tests/test_generated.py) ----
    def payment_prerequest(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> Prerequest:
        """Payment services and methods available for a currency and amount.

        The fields go as a ``request`` mapping and/or keyword arguments."""
        return self._call(_Op.PaymentPrerequest, fields=_fields(request, fields), timeout=timeout)

    def payout_prerequest(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> Prerequest:
        """Payout services available for a currency and amount.

        The fields go as a ``request`` mapping and/or keyword arguments."""
        return self._call(_Op.PayoutPrerequest, fields=_fields(request, fields), timeout=timeout)

    def create_payment_invoice_public(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> PaymentInvoice:
        """Creates a payment invoice with the public key (the account must allow it).

        The fields go as a ``request`` mapping and/or keyword arguments."""
        return self._call(_Op.CreatePaymentInvoicePublic, fields=_fields(request, fields), timeout=timeout)

    def get_payment_invoice_public(
        self,
        id: str,
        *,
        timeout: Optional[float] = None,
    ) -> PaymentInvoice:
        """A payment invoice by id, through the Public API."""
        return self._call(_Op.GetPaymentInvoicePublic, id=id, timeout=timeout)

    def get_payout_invoice_public(
        self,
        id: str,
        *,
        timeout: Optional[float] = None,
    ) -> PayoutInvoice:
        """A payout invoice by id, through the Public API."""
        return self._call(_Op.GetPayoutInvoicePublic, id=id, timeout=timeout)

    def create_payment_invoice(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> PaymentInvoice:
        """Creates a payment invoice; never doubled (reconciled by `reference_id`).

        The fields go as a ``request`` mapping and/or keyword arguments."""
        return self._call(_Op.CreatePaymentInvoice, fields=_fields(request, fields), timeout=timeout)

    def get_payment_invoice(
        self,
        id: str,
        *,
        timeout: Optional[float] = None,
    ) -> PaymentInvoice:
        """A payment invoice by id."""
        return self._call(_Op.GetPaymentInvoice, id=id, timeout=timeout)

    def find_payment_invoice(
        self,
        reference_id: str,
        *,
        timeout: Optional[float] = None,
    ) -> Optional[PaymentInvoice]:
        """The payment invoice with this `reference_id`, if any."""
        return self._call(_Op.FindPaymentInvoice, reference_id=reference_id, timeout=timeout)

    def list_payment_invoices(
        self,
        *,
        reference_id: Optional[str] = None,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> Iterator[PaymentInvoice]:
        """Every payment invoice, newest first, page by page.

        Pages are fetched as you iterate."""
        return self._list(_Op.ListPaymentInvoices, reference_id=reference_id, page_size=page_size, timeout=timeout)

    def refund_payment_invoice(
        self,
        id: str,
        request: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> Refund:
        """Refunds all or part of a payment invoice (`amount` required); never re-sent once it may
        have arrived: an unknown outcome is an error saying `outcome_unknown`.

        The fields go as a ``request`` mapping and/or keyword arguments."""
        return self._call(_Op.RefundPaymentInvoice, id=id, fields=_fields(request, fields), timeout=timeout)

    def get_refund(
        self,
        id: str,
        *,
        timeout: Optional[float] = None,
    ) -> Refund:
        """A refund by id (`ref_…`)."""
        return self._call(_Op.GetRefund, id=id, timeout=timeout)

    def list_refunds(
        self,
        *,
        reference_id: Optional[str] = None,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> Iterator[Refund]:
        """Every refund, newest first, page by page (`reference_id` finds the one made with it).

        Pages are fetched as you iterate."""
        return self._list(_Op.ListRefunds, reference_id=reference_id, page_size=page_size, timeout=timeout)

    def create_payout_invoice(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> PayoutInvoice:
        """Creates a payout invoice; never doubled (reconciled by `reference_id`).

        The fields go as a ``request`` mapping and/or keyword arguments."""
        return self._call(_Op.CreatePayoutInvoice, fields=_fields(request, fields), timeout=timeout)

    def get_payout_invoice(
        self,
        id: str,
        *,
        timeout: Optional[float] = None,
    ) -> PayoutInvoice:
        """A payout invoice by id."""
        return self._call(_Op.GetPayoutInvoice, id=id, timeout=timeout)

    def find_payout_invoice(
        self,
        reference_id: str,
        *,
        timeout: Optional[float] = None,
    ) -> Optional[PayoutInvoice]:
        """The payout invoice with this `reference_id`, if any."""
        return self._call(_Op.FindPayoutInvoice, reference_id=reference_id, timeout=timeout)

    def list_payout_invoices(
        self,
        *,
        reference_id: Optional[str] = None,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> Iterator[PayoutInvoice]:
        """Every payout invoice, newest first, page by page.

        Pages are fetched as you iterate."""
        return self._list(_Op.ListPayoutInvoices, reference_id=reference_id, page_size=page_size, timeout=timeout)

    def list_payment_services(
        self,
        *,
        reference_id: Optional[str] = None,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> Iterator[PaymentService]:
        """The payment services configured on the account, page by page.

        Pages are fetched as you iterate."""
        return self._list(_Op.ListPaymentServices, reference_id=reference_id, page_size=page_size, timeout=timeout)

    def get_payment_service(
        self,
        id: str,
        *,
        timeout: Optional[float] = None,
    ) -> PaymentService:
        """A payment service by id."""
        return self._call(_Op.GetPaymentService, id=id, timeout=timeout)

    def list_payout_services(
        self,
        *,
        reference_id: Optional[str] = None,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> Iterator[PayoutService]:
        """The payout services configured on the account, page by page.

        Pages are fetched as you iterate."""
        return self._list(_Op.ListPayoutServices, reference_id=reference_id, page_size=page_size, timeout=timeout)

    def get_payout_service(
        self,
        id: str,
        *,
        timeout: Optional[float] = None,
    ) -> PayoutService:
        """A payout service by id."""
        return self._call(_Op.GetPayoutService, id=id, timeout=timeout)

    def balances(
        self,
        *,
        timeout: Optional[float] = None,
    ) -> Balances:
        """Balances per currency account."""
        return self._call(_Op.Balances, timeout=timeout)
    # ---- end of generated ----


def _iterate(pager: Any) -> Iterator[Any]:
    while True:
        item = pager.next()
        if item is None:
            return
        yield item


async def _aiterate(op: _Op, pager: Any, token: Any) -> AsyncIterator[Any]:
    while True:
        item = await _cancellable(op, pager.next_async(), token)
        if item is None:
            return
        yield item


# Once its token fires, a native call ends at once (the core stops waiting on the network and
# answers `cancelled`); this only bounds the wait for that answer should it never come. It is
# generous because the answer needs CPU: under anyio, whose scopes re-cancel the task on every
# loop turn until it leaves them, a starved machine can take a long while to deliver it, and
# a grace that runs out loses the facts (the task ends with a bare CancelledError).
_CANCEL_GRACE = 10.0

# A Commerce or a Gate operation: what a cancelled call needs to know of it.
_AnyOp = Union[_Op, "_native.GateOperation"]


async def _cancellable(op: _AnyOp, future: "asyncio.Future[Any]", token: Any) -> Any:
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
    op: _AnyOp, future: "asyncio.Future[Any]", token: Any
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
    write = op.writes
    return OperationCancelledError(
        "the call was cancelled after it completed; its result was discarded"
        + (": find it by reference_id" if write else ""),
        kind="cancelled",
        code="cancelled",
        retryable=True,
        outcome_unknown=write,
        reference_id=getattr(result, "reference_id", None),
        payment_id=getattr(result, "payment_id", None),
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
            result = await _cancellable(op, future, token)
        except asyncio.CancelledError as cancelled:
            _log_failed(op.method, started, cancelled_call_error(cancelled) or cancelled)
            raise
        except Exception as error:
            _log_failed(op.method, started, error)
            raise
        _log_done(op.method, started, result)
        return result

    def _list(self, op: _Op, **args: Any) -> AsyncIterator[Any]:
        token = _native.CancelToken()
        return _aiterate(op, self._native.list(op, cancel=token, **args), token)

    # ---- generated from the core's operation table (tests/test_generated.py) ----
    async def payment_prerequest(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> Prerequest:
        """Payment services and methods available for a currency and amount.

        The fields go as a ``request`` mapping and/or keyword arguments."""
        return await self._call(_Op.PaymentPrerequest, fields=_fields(request, fields), timeout=timeout)

    async def payout_prerequest(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> Prerequest:
        """Payout services available for a currency and amount.

        The fields go as a ``request`` mapping and/or keyword arguments."""
        return await self._call(_Op.PayoutPrerequest, fields=_fields(request, fields), timeout=timeout)

    async def create_payment_invoice_public(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> PaymentInvoice:
        """Creates a payment invoice with the public key (the account must allow it).

        The fields go as a ``request`` mapping and/or keyword arguments."""
        return await self._call(_Op.CreatePaymentInvoicePublic, fields=_fields(request, fields), timeout=timeout)

    async def get_payment_invoice_public(
        self,
        id: str,
        *,
        timeout: Optional[float] = None,
    ) -> PaymentInvoice:
        """A payment invoice by id, through the Public API."""
        return await self._call(_Op.GetPaymentInvoicePublic, id=id, timeout=timeout)

    async def get_payout_invoice_public(
        self,
        id: str,
        *,
        timeout: Optional[float] = None,
    ) -> PayoutInvoice:
        """A payout invoice by id, through the Public API."""
        return await self._call(_Op.GetPayoutInvoicePublic, id=id, timeout=timeout)

    async def create_payment_invoice(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> PaymentInvoice:
        """Creates a payment invoice; never doubled (reconciled by `reference_id`).

        The fields go as a ``request`` mapping and/or keyword arguments."""
        return await self._call(_Op.CreatePaymentInvoice, fields=_fields(request, fields), timeout=timeout)

    async def get_payment_invoice(
        self,
        id: str,
        *,
        timeout: Optional[float] = None,
    ) -> PaymentInvoice:
        """A payment invoice by id."""
        return await self._call(_Op.GetPaymentInvoice, id=id, timeout=timeout)

    async def find_payment_invoice(
        self,
        reference_id: str,
        *,
        timeout: Optional[float] = None,
    ) -> Optional[PaymentInvoice]:
        """The payment invoice with this `reference_id`, if any."""
        return await self._call(_Op.FindPaymentInvoice, reference_id=reference_id, timeout=timeout)

    def list_payment_invoices(
        self,
        *,
        reference_id: Optional[str] = None,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> AsyncIterator[PaymentInvoice]:
        """Every payment invoice, newest first, page by page.

        Pages are fetched as you iterate."""
        return self._list(_Op.ListPaymentInvoices, reference_id=reference_id, page_size=page_size, timeout=timeout)

    async def refund_payment_invoice(
        self,
        id: str,
        request: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> Refund:
        """Refunds all or part of a payment invoice (`amount` required); never re-sent once it may
        have arrived: an unknown outcome is an error saying `outcome_unknown`.

        The fields go as a ``request`` mapping and/or keyword arguments."""
        return await self._call(_Op.RefundPaymentInvoice, id=id, fields=_fields(request, fields), timeout=timeout)

    async def get_refund(
        self,
        id: str,
        *,
        timeout: Optional[float] = None,
    ) -> Refund:
        """A refund by id (`ref_…`)."""
        return await self._call(_Op.GetRefund, id=id, timeout=timeout)

    def list_refunds(
        self,
        *,
        reference_id: Optional[str] = None,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> AsyncIterator[Refund]:
        """Every refund, newest first, page by page (`reference_id` finds the one made with it).

        Pages are fetched as you iterate."""
        return self._list(_Op.ListRefunds, reference_id=reference_id, page_size=page_size, timeout=timeout)

    async def create_payout_invoice(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> PayoutInvoice:
        """Creates a payout invoice; never doubled (reconciled by `reference_id`).

        The fields go as a ``request`` mapping and/or keyword arguments."""
        return await self._call(_Op.CreatePayoutInvoice, fields=_fields(request, fields), timeout=timeout)

    async def get_payout_invoice(
        self,
        id: str,
        *,
        timeout: Optional[float] = None,
    ) -> PayoutInvoice:
        """A payout invoice by id."""
        return await self._call(_Op.GetPayoutInvoice, id=id, timeout=timeout)

    async def find_payout_invoice(
        self,
        reference_id: str,
        *,
        timeout: Optional[float] = None,
    ) -> Optional[PayoutInvoice]:
        """The payout invoice with this `reference_id`, if any."""
        return await self._call(_Op.FindPayoutInvoice, reference_id=reference_id, timeout=timeout)

    def list_payout_invoices(
        self,
        *,
        reference_id: Optional[str] = None,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> AsyncIterator[PayoutInvoice]:
        """Every payout invoice, newest first, page by page.

        Pages are fetched as you iterate."""
        return self._list(_Op.ListPayoutInvoices, reference_id=reference_id, page_size=page_size, timeout=timeout)

    def list_payment_services(
        self,
        *,
        reference_id: Optional[str] = None,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> AsyncIterator[PaymentService]:
        """The payment services configured on the account, page by page.

        Pages are fetched as you iterate."""
        return self._list(_Op.ListPaymentServices, reference_id=reference_id, page_size=page_size, timeout=timeout)

    async def get_payment_service(
        self,
        id: str,
        *,
        timeout: Optional[float] = None,
    ) -> PaymentService:
        """A payment service by id."""
        return await self._call(_Op.GetPaymentService, id=id, timeout=timeout)

    def list_payout_services(
        self,
        *,
        reference_id: Optional[str] = None,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> AsyncIterator[PayoutService]:
        """The payout services configured on the account, page by page.

        Pages are fetched as you iterate."""
        return self._list(_Op.ListPayoutServices, reference_id=reference_id, page_size=page_size, timeout=timeout)

    async def get_payout_service(
        self,
        id: str,
        *,
        timeout: Optional[float] = None,
    ) -> PayoutService:
        """A payout service by id."""
        return await self._call(_Op.GetPayoutService, id=id, timeout=timeout)

    async def balances(
        self,
        *,
        timeout: Optional[float] = None,
    ) -> Balances:
        """Balances per currency account."""
        return await self._call(_Op.Balances, timeout=timeout)
    # ---- end of generated ----
