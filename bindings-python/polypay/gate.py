"""The ecommpay Gate API, server to server: payment status, refunds, capture and cancel of a
two-step payment, payouts and charges with a stored credential (COF).

A request is the documented body (nested mappings) without ``general.project_id`` and
``general.signature``, which the client adds: ``gate.refund(general={"payment_id": "o-1"},
payment={"amount": 500, "currency": "USD"})``. Amounts are integers in minor units.

A write answers :class:`GateAccepted`: the gateway took the request; the result comes by
callback (``polypay.ecommpay.verify_callback``) or by :meth:`EcommpayGateApi.wait_for_result`.
Nothing is doubled: a write whose outcome is unknown is looked up through the status endpoint
by its ``payment_id`` (a refund by its ``merchant_refund_id``, generated when missing) before
anything is sent again; an error then says ``outcome_unknown`` and carries ``payment_id``."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Mapping, Optional

from . import _native
from ._native import GateAccepted, GatePayment
from ._native import GateOperation as _Op
from .client import _cancellable, _fields, _log_done, _log_failed, logger
from .errors import cancelled_call_error

__all__ = ["EcommpayGateApi", "AsyncEcommpayGateApi", "GateAccepted", "GatePayment", "DEFAULT_API_URL"]

DEFAULT_API_URL = "https://api.ecommpay.com"


class _Base:
    __slots__ = ("_native",)

    def __init__(
        self,
        project_id: int,
        secret_key: str,
        *,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        request_timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        proxy: Optional[str] = None,
        user_agent: Optional[str] = None,
        allow_insecure_http: Optional[bool] = None,
        status_delay: Optional[float] = None,
    ) -> None:
        """``project_id`` and ``secret_key`` of the ecommpay project; ``base_url`` is
        ``https://api.ecommpay.com`` unless given (``polypay sandbox`` in tests). ``timeout``
        is the whole budget of a call in seconds (60 s), including the wait of
        ``status_delay`` (10 s, the documented minimum) before a status request that follows
        a request. The other options are the Commerce client's."""
        _native.set_log_level(logger.getEffectiveLevel())
        self._native = _native.NativeGateApi(
            project_id,
            secret_key,
            base_url=base_url,
            timeout=timeout,
            request_timeout=request_timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            proxy=proxy,
            user_agent=user_agent,
            allow_insecure_http=allow_insecure_http,
            status_delay=status_delay,
        )

    @property
    def project_id(self) -> int:
        return self._native.project_id

    @property
    def base_url(self) -> str:
        return self._native.base_url

    def __repr__(self) -> str:
        return repr(self._native).replace("GateApi", type(self).__name__, 1)


class EcommpayGateApi(_Base):
    """Blocking Gate client. Thread-safe; it holds the project's secret key: servers only."""

    __slots__ = ()

    def _call(
        self,
        op: _Op,
        request: Mapping[str, Any],
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> Any:
        started = time.perf_counter()
        try:
            result = self._native.call(op, request, method=method, timeout=timeout)
        except Exception as error:
            _log_failed(op.method, started, error)
            raise
        _log_done(op.method, started, result)
        return result

    def wait_for_result(
        self, accepted: GateAccepted, *, timeout: Optional[float] = None
    ) -> GatePayment:
        """The final status of an accepted request, asked of the status endpoint (first after
        ``status_delay``, then at that interval) until its operation is final. For when the
        callback is late or lost; ``APITimeoutError`` (``outcome_unknown``) past ``timeout``."""
        return self._native.wait_for_result(accepted, timeout=timeout)

    # ---- generated from the core's Gate table (tests/test_generated.py) ----
    def payment_status(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> GatePayment:
        """The payment's current state and its operations, by `general.payment_id`.

        ``POST /v2/payment/status``.
        The body goes as a ``request`` mapping and/or keyword arguments (its top-level keys);
        ``method`` is the endpoint's payment method (``card`` by default)."""
        return self._call(_Op.PaymentStatus, _fields(request, fields), method=method, timeout=timeout)

    def request_status(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> GatePayment:
        """What became of one request, by its `request_id` (for requests the gateway refused).

        ``POST /v2/payment/status/request``.
        The body goes as a ``request`` mapping and/or keyword arguments (its top-level keys);
        ``method`` is the endpoint's payment method (``card`` by default)."""
        return self._call(_Op.RequestStatus, _fields(request, fields), method=method, timeout=timeout)

    def refund(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> GateAccepted:
        """Refunds all of a payment, or `payment.amount` of it; never doubled (`merchant_refund_id`).

        ``POST /v2/payment/{method}/refund``.
        The body goes as a ``request`` mapping and/or keyword arguments (its top-level keys);
        ``method`` is the endpoint's payment method (``card`` by default)."""
        return self._call(_Op.Refund, _fields(request, fields), method=method, timeout=timeout)

    def capture(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> GateAccepted:
        """Debits an authorised (two-step) payment: all of it, or `payment.amount`.

        ``POST /v2/payment/{method}/capture``.
        The body goes as a ``request`` mapping and/or keyword arguments (its top-level keys);
        ``method`` is the endpoint's payment method (``card`` by default)."""
        return self._call(_Op.Capture, _fields(request, fields), method=method, timeout=timeout)

    def cancel(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> GateAccepted:
        """Releases an authorised (two-step) payment's hold.

        ``POST /v2/payment/{method}/cancel``.
        The body goes as a ``request`` mapping and/or keyword arguments (its top-level keys);
        ``method`` is the endpoint's payment method (``card`` by default)."""
        return self._call(_Op.Cancel, _fields(request, fields), method=method, timeout=timeout)

    def payout(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> GateAccepted:
        """Pays out to a card (`card`) under a new `general.payment_id`; never doubled.

        ``POST /v2/payment/{method}/payout``.
        The body goes as a ``request`` mapping and/or keyword arguments (its top-level keys);
        ``method`` is the endpoint's payment method (``card`` by default)."""
        return self._call(_Op.Payout, _fields(request, fields), method=method, timeout=timeout)

    def payout_by_token(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> GateAccepted:
        """Pays out to a card saved earlier (`token`) under a new `general.payment_id`.

        ``POST /v2/payment/{method}/payout/token``.
        The body goes as a ``request`` mapping and/or keyword arguments (its top-level keys);
        ``method`` is the endpoint's payment method (``card`` by default)."""
        return self._call(_Op.PayoutByToken, _fields(request, fields), method=method, timeout=timeout)

    def recurring_charge(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> GateAccepted:
        """Charges a stored credential (`recurring.id`) under a new `general.payment_id` (COF).

        ``POST /v2/payment/{method}/recurring``.
        The body goes as a ``request`` mapping and/or keyword arguments (its top-level keys);
        ``method`` is the endpoint's payment method (``card`` by default)."""
        return self._call(_Op.RecurringCharge, _fields(request, fields), method=method, timeout=timeout)
    # ---- end of generated ----


class AsyncEcommpayGateApi(_Base):
    """The same operations as awaitables, for asyncio."""

    __slots__ = ()

    async def _call(
        self,
        op: _Op,
        request: Mapping[str, Any],
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> Any:
        started = time.perf_counter()
        token = _native.CancelToken()
        try:
            future = self._native.call_async(
                op, request, method=method, timeout=timeout, cancel=token
            )
            result = await _cancellable(op, future, token)
        except asyncio.CancelledError as cancelled:
            _log_failed(op.method, started, cancelled_call_error(cancelled) or cancelled)
            raise
        except Exception as error:
            _log_failed(op.method, started, error)
            raise
        _log_done(op.method, started, result)
        return result

    async def wait_for_result(
        self, accepted: GateAccepted, *, timeout: Optional[float] = None
    ) -> GatePayment:
        """See :meth:`EcommpayGateApi.wait_for_result`."""
        token = _native.CancelToken()
        future = self._native.wait_for_result_async(accepted, timeout=timeout, cancel=token)
        return await _cancellable(_Op.PaymentStatus, future, token)

    # ---- generated from the core's Gate table (tests/test_generated.py) ----
    async def payment_status(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> GatePayment:
        """The payment's current state and its operations, by `general.payment_id`.

        ``POST /v2/payment/status``.
        The body goes as a ``request`` mapping and/or keyword arguments (its top-level keys);
        ``method`` is the endpoint's payment method (``card`` by default)."""
        return await self._call(_Op.PaymentStatus, _fields(request, fields), method=method, timeout=timeout)

    async def request_status(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> GatePayment:
        """What became of one request, by its `request_id` (for requests the gateway refused).

        ``POST /v2/payment/status/request``.
        The body goes as a ``request`` mapping and/or keyword arguments (its top-level keys);
        ``method`` is the endpoint's payment method (``card`` by default)."""
        return await self._call(_Op.RequestStatus, _fields(request, fields), method=method, timeout=timeout)

    async def refund(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> GateAccepted:
        """Refunds all of a payment, or `payment.amount` of it; never doubled (`merchant_refund_id`).

        ``POST /v2/payment/{method}/refund``.
        The body goes as a ``request`` mapping and/or keyword arguments (its top-level keys);
        ``method`` is the endpoint's payment method (``card`` by default)."""
        return await self._call(_Op.Refund, _fields(request, fields), method=method, timeout=timeout)

    async def capture(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> GateAccepted:
        """Debits an authorised (two-step) payment: all of it, or `payment.amount`.

        ``POST /v2/payment/{method}/capture``.
        The body goes as a ``request`` mapping and/or keyword arguments (its top-level keys);
        ``method`` is the endpoint's payment method (``card`` by default)."""
        return await self._call(_Op.Capture, _fields(request, fields), method=method, timeout=timeout)

    async def cancel(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> GateAccepted:
        """Releases an authorised (two-step) payment's hold.

        ``POST /v2/payment/{method}/cancel``.
        The body goes as a ``request`` mapping and/or keyword arguments (its top-level keys);
        ``method`` is the endpoint's payment method (``card`` by default)."""
        return await self._call(_Op.Cancel, _fields(request, fields), method=method, timeout=timeout)

    async def payout(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> GateAccepted:
        """Pays out to a card (`card`) under a new `general.payment_id`; never doubled.

        ``POST /v2/payment/{method}/payout``.
        The body goes as a ``request`` mapping and/or keyword arguments (its top-level keys);
        ``method`` is the endpoint's payment method (``card`` by default)."""
        return await self._call(_Op.Payout, _fields(request, fields), method=method, timeout=timeout)

    async def payout_by_token(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> GateAccepted:
        """Pays out to a card saved earlier (`token`) under a new `general.payment_id`.

        ``POST /v2/payment/{method}/payout/token``.
        The body goes as a ``request`` mapping and/or keyword arguments (its top-level keys);
        ``method`` is the endpoint's payment method (``card`` by default)."""
        return await self._call(_Op.PayoutByToken, _fields(request, fields), method=method, timeout=timeout)

    async def recurring_charge(
        self,
        request: Optional[Mapping[str, Any]] = None,
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> GateAccepted:
        """Charges a stored credential (`recurring.id`) under a new `general.payment_id` (COF).

        ``POST /v2/payment/{method}/recurring``.
        The body goes as a ``request`` mapping and/or keyword arguments (its top-level keys);
        ``method`` is the endpoint's payment method (``card`` by default)."""
        return await self._call(_Op.RecurringCharge, _fields(request, fields), method=method, timeout=timeout)
    # ---- end of generated ----
