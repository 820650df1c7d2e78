"""Exactly-once callbacks: what every framework helper shares.

Gateways deliver callbacks at least once, out of order, to whichever process the load balancer
picks. A ledger keeps, per entity (an invoice, a payment), the state applied last, in the app's
own database; each delivery locks the entity's row in the transaction of the handler, and the
core's rule (:meth:`polypay.LedgerEvent.decide`) says whether it is a new state (``"apply"``: the
handler runs, and the row is updated in the same transaction), the same again (``"duplicate"``)
or older (``"stale"``). Either of the last two is answered 200 without running the handler.

- :class:`MemoryLedger`: in process memory, for tests and single-process apps.
- :class:`polypay.sqlalchemy.SqlAlchemyLedger`: any SQLAlchemy database (Flask, FastAPI, ...).
- ``polypay.django``: the decorators' ``exactly_once=True`` (a Django app with its migration).

The secrets of a helper: one secret, several (tried in turn while a key is rotated), or a
function of the request that picks them (by account, test vs live)."""

from __future__ import annotations

import threading
from typing import (
    Any,
    Callable,
    Dict,
    List,
    Literal,
    Optional,
    Protocol,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)

from . import ecommpay, paycore
from ._native import LedgerEvent
from .errors import ConfigurationError, SignatureVerificationError

__all__ = [
    "LedgerEvent",
    "Verdict",
    "Ledger",
    "MemoryLedger",
    "Secrets",
    "secrets_for",
    "verify_paycore",
    "verify_ecommpay",
    "VERDICT_HEADER",
]

Verdict = Literal["apply", "duplicate", "stale"]
T = TypeVar("T")

# The answer's header naming what the ledger decided (for logs and tests; gateways ignore it).
VERDICT_HEADER = "Polypay-Verdict"

Secrets = Union[str, Sequence[str], Callable[[Any], Union[str, Sequence[str]]]]


class Ledger(Protocol):
    def apply(
        self, event: LedgerEvent, handler: Callable[[Any], T]
    ) -> Tuple[Verdict, Optional[T]]:
        """Runs ``handler(tx)`` if ``event`` is a new state of its entity, in the transaction
        that records it (``tx``: the ledger's transaction handle, or None); returns the verdict
        and the handler's result. A handler that raises leaves nothing recorded."""
        ...


class MemoryLedger:
    """A ledger in this process's memory: deliveries of one entity run one at a time."""

    def __init__(self) -> None:
        self._applied: Dict[Tuple[str, str], Tuple[str, Optional[int]]] = {}
        self._locks: Dict[Tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def apply(
        self, event: LedgerEvent, handler: Callable[[Any], T]
    ) -> Tuple[Verdict, Optional[T]]:
        key = (event.kind, event.entity_id)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            last = self._applied.get(key)
            verdict = event.decide(*last) if last else event.decide()
            if verdict != "apply":
                return verdict, None
            result = handler(None)
            self._applied[key] = (event.status, event.time)
            return verdict, result

    def last(self, kind: str, entity_id: str) -> Optional[Tuple[str, Optional[int]]]:
        """The status and time applied last for the entity."""
        return self._applied.get((kind, entity_id))


def secrets_for(source: Secrets, request: Any) -> List[str]:
    """The secret(s) to try for ``request``, from one, a list, or a function of the request."""
    found = source(request) if callable(source) else source
    keys = [found] if isinstance(found, str) else list(found)
    if not keys or not all(isinstance(k, str) and k for k in keys):
        raise ConfigurationError(
            "no callback secret: give a non-empty secret, a list of them, or a function of "
            "the request that returns them",
            argument="secret_key",
        )
    return keys


def _first_match(verify: Callable[[str], T], secrets: List[str]) -> T:
    # Each check is constant-time; trying the keys in turn only tells which one matched.
    failure: Optional[SignatureVerificationError] = None
    for secret in secrets:
        try:
            return verify(secret)
        except SignatureVerificationError as error:
            failure = error
    assert failure is not None
    raise failure


def verify_paycore(body: bytes, signature: str, secrets: List[str]) -> paycore.CallbackEvent:
    """The event verified with the first of ``secrets`` that matches."""
    return _first_match(lambda s: paycore.verify_callback(body, signature, s), secrets)


def verify_ecommpay(body: bytes, secrets: List[str]) -> ecommpay.EcommpayCallback:
    """The callback verified with the first of ``secrets`` that matches."""
    return _first_match(lambda s: ecommpay.verify_callback(body, s), secrets)


def apply_once(
    ledger: Optional[Ledger], event: Any, run: Callable[[Any], T]
) -> Tuple[Verdict, Optional[T]]:
    """``run(tx)`` through ``ledger`` when the event has a lifecycle; otherwise at once."""
    ledger_event = getattr(event, "ledger_event", None)
    if ledger is None or ledger_event is None:
        return "apply", run(None)
    return ledger.apply(ledger_event, run)
