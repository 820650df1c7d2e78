"""Exceptions raised by polypay.

Every exception derives from :class:`PolypayError` and carries ``kind`` and ``code`` (stable,
machine-readable), ``argument`` (the argument or parameter path concerned), ``http_status``,
``request_id``, ``body`` (the gateway's answer as received), ``retryable`` and
``outcome_unknown`` (a create may have happened: reconcile by ``reference_id``).

A cancelled asyncio call (``task.cancel()``, ``asyncio.wait_for``/``asyncio.timeout``, a
TaskGroup) raises ``asyncio.CancelledError`` as asyncio expects, with the call's
:class:`OperationCancelledError` (``reference_id``, ``outcome_unknown``) as its ``__cause__``;
:func:`cancelled_call_error` finds it.

Invalid arguments raise :class:`InvalidArgumentError` (a ``ValueError``) or
:class:`InvalidArgumentTypeError` (a ``TypeError``), whose message names the argument.
The core's error kinds map to these classes in :func:`_from_core`, the only place that does it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

__all__ = [
    "PolypayError",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "MethodNotAllowedError",
    "ConflictError",
    "ValidationError",
    "RateLimitError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "APIResponseError",
    "OperationCancelledError",
    "SignatureVerificationError",
    "ConfigurationError",
    "cancelled_call_error",
]


class PolypayError(Exception):
    """The base class of every polypay error."""

    kind: str = "error"

    def __init__(
        self,
        message: str,
        *,
        code: Optional[str] = None,
        argument: Optional[str] = None,
        http_status: Optional[int] = None,
        request_id: Optional[str] = None,
        body: Optional[str] = None,
        retryable: bool = False,
        outcome_unknown: bool = False,
        reference_id: Optional[str] = None,
        payment_id: Optional[str] = None,
        fields: Optional[Dict[str, str]] = None,
        existing: Optional[Dict[str, Any]] = None,
        retry_after: Optional[float] = None,
        kind: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if kind is not None:
            self.kind = kind
        self.code = code
        self.argument = argument
        self.http_status = http_status
        self.request_id = request_id
        self.body = body
        self.retryable = retryable
        self.outcome_unknown = outcome_unknown
        self.reference_id = reference_id
        #: The ecommpay ``payment_id`` of the Gate request (reconcile by it).
        self.payment_id = payment_id
        self.fields: Dict[str, str] = dict(fields or {})
        self.existing = existing
        self.retry_after = retry_after

    def __repr__(self) -> str:
        extra = "".join(
            f", {name}={getattr(self, name)!r}"
            for name in ("code", "argument", "http_status", "request_id")
            if getattr(self, name) is not None
        )
        return f"{type(self).__name__}({self.message!r}{extra})"

    def __reduce__(self) -> Any:  # picklable (Celery, multiprocessing)
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))


def _rebuild(cls: "type[PolypayError]", message: str, state: Dict[str, Any]) -> PolypayError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class InvalidArgumentError(PolypayError, ValueError):
    """An argument has an unusable value (bad currency, negative amount, bad JSON...).
    Nothing was sent."""

    kind = "invalid_input"


class InvalidArgumentTypeError(PolypayError, TypeError):
    """An argument has the wrong type (a float amount, a parsed body...). Nothing was sent."""

    kind = "invalid_input"


class ConfigurationError(PolypayError, ValueError):
    """Keys or settings that cannot work together (pk/sk swapped, whitespace, live vs test)."""

    kind = "configuration"


class SignatureVerificationError(PolypayError, ValueError):
    """A callback's signature is missing, malformed or does not match."""

    kind = "signature"


class AuthenticationError(PolypayError):
    """401: the credentials were refused. Nothing was created."""

    kind = "authentication"


class PermissionDeniedError(PolypayError):
    """403: these credentials may not call this method."""

    kind = "permission"


class NotFoundError(PolypayError):
    """404: no such resource."""

    kind = "not_found"


class MethodNotAllowedError(PolypayError):
    """405: wrong HTTP method (a bug on the gateway's or our side)."""

    kind = "method_not_allowed"


class ConflictError(PolypayError):
    """409: an entity with this ``reference_id`` exists; it is in ``.existing``."""

    kind = "conflict"


class ValidationError(PolypayError):
    """400/422: the gateway refused the data; ``.fields`` maps field to message."""

    kind = "validation"


class RateLimitError(PolypayError):
    """429: too many requests; ``.retry_after`` is in seconds (or None)."""

    kind = "rate_limited"


class APIError(PolypayError):
    """5xx: the gateway failed. For a create, check ``outcome_unknown``."""

    kind = "server"


class APIResponseError(APIError):
    """The gateway answered something that could not be read."""

    kind = "decode"


class APIConnectionError(PolypayError):
    """The connection failed or broke."""

    kind = "connection"


class APITimeoutError(APIConnectionError):
    """No answer within the timeout or the call's deadline."""

    kind = "timeout"


class OperationCancelledError(PolypayError):
    """The call was cancelled: its asyncio task was cancelled (``task.cancel()``, an
    ``asyncio.wait_for`` or ``asyncio.timeout`` that expired, a TaskGroup or anyio scope that
    cancelled it).

    It keeps the facts: ``reference_id`` (for a create, the one sent, generated if you gave
    none) and ``outcome_unknown`` (True when the request may have reached the gateway: find it
    later by ``reference_id``; False when nothing was sent).

    asyncio needs cancellation to surface as ``asyncio.CancelledError`` itself (``asyncio.timeout``
    and ``TaskGroup`` of Python 3.11 and 3.12 recognise only that exact class), so this error is
    not raised on its own: it is the ``__cause__`` of the ``CancelledError`` the call raises (and
    so in the chain of the ``TimeoutError`` of ``wait_for``/``timeout``). Get it with
    :func:`cancelled_call_error`; a bare ``except PolypayError`` does not see cancellations,
    which must propagate."""

    kind = "cancelled"


def cancelled_call_error(error: BaseException) -> Optional[PolypayError]:
    """The polypay error of a call ended by cancellation, from the exception that reached you:
    the ``asyncio.CancelledError`` of a cancelled task, or the ``TimeoutError`` of
    ``asyncio.wait_for``/``asyncio.timeout``. Normally an :class:`OperationCancelledError`
    (another polypay error when the call failed just before it was cancelled); None when the
    exception does not come from a cancelled polypay call. ::

        try:
            invoice = await client.create_payment_invoice(...)
        except asyncio.CancelledError as cancelled:
            facts = polypay.cancelled_call_error(cancelled)
            if facts is not None and facts.outcome_unknown:
                remember_to_reconcile(facts.reference_id)
            raise  # always: the task was asked to stop
    """
    import asyncio  # here: `import polypay` stays cheap for callback-only processes

    seen = set()
    current: Optional[BaseException] = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, asyncio.CancelledError):
            if isinstance(current.__cause__, PolypayError):
                return current.__cause__
            # asyncio re-raises a task's cancellation as a new CancelledError whose
            # __context__ is the one the task raised (Python 3.9 and 3.10).
            current = current.__cause__ or current.__context__
        else:
            # wait_for and timeout raise TimeoutError from the CancelledError.
            current = current.__cause__
    return None


_BY_KIND = {
    "configuration": ConfigurationError,
    "signature": SignatureVerificationError,
    "authentication": AuthenticationError,
    "permission": PermissionDeniedError,
    "not_found": NotFoundError,
    "method_not_allowed": MethodNotAllowedError,
    "conflict": ConflictError,
    "validation": ValidationError,
    "rate_limited": RateLimitError,
    "server": APIError,
    "decode": APIResponseError,
    "connection": APIConnectionError,
    "timeout": APITimeoutError,
    "cancelled": OperationCancelledError,
}

# Raised by the binding for a Python value of the wrong type (TypeError); every core
# invalid_input (a bad value, including a JSON value of the wrong kind) is a ValueError.
_TYPE_CODES = frozenset({"python_type"})


def _from_core(details: Dict[str, Any]) -> PolypayError:
    """Builds the exception for a core error (called from the native module)."""
    kind = details["kind"]
    message = details["message"]
    argument = details.get("argument")
    if argument:
        message = f"{argument}: {message}"
    if kind == "invalid_input":
        cls: type = (
            InvalidArgumentTypeError if details.get("code") in _TYPE_CODES else InvalidArgumentError
        )
    else:
        cls = _BY_KIND.get(kind, PolypayError)
    fields: List[Tuple[str, str]] = details.get("fields") or []
    error: PolypayError = cls(
        message,
        kind=kind,
        code=details.get("code"),
        argument=argument,
        http_status=details.get("http_status"),
        request_id=details.get("request_id"),
        body=details.get("body"),
        retryable=bool(details.get("retryable")),
        outcome_unknown=bool(details.get("outcome_unknown")),
        reference_id=details.get("reference_id"),
        payment_id=details.get("payment_id"),
        fields=dict(fields),
        existing=details.get("existing"),
        retry_after=details.get("retry_after"),
    )
    return error


def _type_error(argument: str, message: str) -> InvalidArgumentTypeError:
    """A binding-side type error whose message names the argument."""
    return InvalidArgumentTypeError(f"{argument}: {message}", code="python_type", argument=argument)
