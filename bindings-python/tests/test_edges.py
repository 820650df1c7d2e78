"""Issue 14's edges through the Python API, sync and async, against the real `polypay sandbox`
over HTTP: each fault a gateway commits on a bad day, staged with a sandbox fault rule, and what
the caller sees. The invoices the sandbox holds afterwards are the judge (nothing doubled,
nothing lost). Asyncio cancellation is in test_cancel.py."""

from __future__ import annotations

import asyncio
import inspect
import time
from decimal import Decimal
from typing import Any, Callable, Iterator

import pytest

import polypay

from .conftest import Sandbox, ref

CREATE = "POST /api/payment-invoices"
LIST = "GET /api/payment-invoices"
BALANCES = "GET /api/account/balances"


class Blocking:
    """An AsyncPayCoreClient whose calls run to completion in `asyncio.run`, so that one test
    body drives both clients (async lists are collected, then iterated)."""

    def __init__(self, client: polypay.AsyncPayCoreClient) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            if inspect.isawaitable(result):
                return asyncio.run(_awaited(result))

            async def collect() -> Any:
                return [item async for item in result]

            return iter(asyncio.run(collect()))

        return call


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


@pytest.fixture(params=["sync", "async"])
def make(request: Any, sb: Sandbox) -> Callable[..., Any]:
    """make(**client_options) -> a PayCoreClient, or an AsyncPayCoreClient behind `Blocking`."""

    def build(**extra: Any) -> Any:
        kwargs = sb.client_kwargs(**extra)
        if request.param == "sync":
            return polypay.PayCoreClient(**kwargs)
        return Blocking(polypay.AsyncPayCoreClient(**kwargs))

    return build


def create(client: Any, reference: str, amount: Any = "10.00", **extra: Any) -> Any:
    return client.create_payment_invoice(
        service="test_usd_test", amount=amount, currency="USD",
        service_fields={"status": "success"}, reference_id=reference, **extra,
    )


def eventually(find: Callable[[], Any], within: float = 4.0) -> Any:
    """Polls `find` until it returns something (the sandbox commits some requests later)."""
    deadline = time.monotonic() + within
    while True:
        found = find()
        if found is not None or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


# 1. No panic from any timeout a user gives: the core's one rule, InvalidArgumentError.

BAD_TIMEOUTS = [float("nan"), -1, 0, 1e19, 1e300, float("inf"), float("-inf"), -0.0, 1e-12,
                86400.5, 10**400]
CLIENTS = [polypay.PayCoreClient, polypay.AsyncPayCoreClient]


@pytest.mark.parametrize("value", BAD_TIMEOUTS, ids=lambda v: repr(v)[:12])
@pytest.mark.parametrize("argument", ["timeout", "request_timeout", "connect_timeout"])
@pytest.mark.parametrize("cls", CLIENTS, ids=lambda c: c.__name__)
def test_constructor_timeouts_are_checked(cls: Any, argument: str, value: Any, sb: Sandbox) -> None:
    with pytest.raises(polypay.InvalidArgumentError) as refused:
        cls(**sb.client_kwargs(**{argument: value}))
    assert refused.value.argument == argument and refused.value.code == "invalid_timeout"
    assert str(refused.value).startswith(f"{argument}: ") and "86400" in str(refused.value)


@pytest.mark.parametrize("value", ["5", True, b"1", [1]], ids=repr)
def test_timeouts_of_another_type_name_the_argument(value: Any, sb: Sandbox) -> None:
    for argument in ("timeout", "request_timeout", "connect_timeout"):
        with pytest.raises(polypay.InvalidArgumentTypeError) as refused:
            polypay.PayCoreClient(**sb.client_kwargs(**{argument: value}))
        assert refused.value.argument == argument and argument in str(refused.value)


@pytest.mark.parametrize(
    "argument, value, code",
    [
        ("max_retries", 11, "bad_retries"),
        ("page_size", 0, "bad_page_size"),
        ("page_size", 1001, "bad_page_size"),
    ],
)
def test_counts_out_of_the_core_bounds_name_the_option(
    argument: str, value: int, code: str, sb: Sandbox
) -> None:
    with pytest.raises(polypay.InvalidArgumentError) as refused:
        polypay.PayCoreClient(**sb.client_kwargs(**{argument: value}))
    assert (refused.value.argument, refused.value.code) == (argument, code)
    if argument == "page_size":
        client = polypay.PayCoreClient(**sb.client_kwargs())
        with pytest.raises(polypay.InvalidArgumentError) as listed:
            client.list_payment_invoices(page_size=value)
        assert (listed.value.argument, listed.value.code) == (argument, code)


def test_options_left_at_none_take_the_core_defaults(sb: Sandbox) -> None:
    none = {k: None for k in ("env", "timeout", "request_timeout", "connect_timeout",
                              "max_retries", "page_size", "proxy", "user_agent",
                              "allow_insecure_http")}
    client = polypay.PayCoreClient(**{**sb.client_kwargs(), **none})
    assert client.balances().currencies is not None
    paged = polypay.PayCoreClient(**sb.client_kwargs(page_size=1, max_retries=10))
    assert [i.id for i in paged.list_payment_invoices()] == [
        i.id for i in client.list_payment_invoices()
    ]


def sync_calls(c: polypay.PayCoreClient, t: Any) -> Iterator[Callable[[], Any]]:
    yield lambda: c.balances(timeout=t)
    yield lambda: c.get_payment_invoice("cpi_x", timeout=t)
    yield lambda: c.find_payment_invoice("r", timeout=t)
    yield lambda: c.create_payment_invoice(service="test_usd_test", amount="1", currency="USD", timeout=t)
    yield lambda: c.refund_payment_invoice("cpi_x", amount="1", timeout=t)
    yield lambda: c.payment_prerequest(currency="USD", timeout=t)
    yield lambda: c.list_payment_invoices(timeout=t)
    yield lambda: c.list_payout_invoices(timeout=t)
    yield lambda: c.list_payment_services(timeout=t)


def async_calls(c: polypay.AsyncPayCoreClient, t: Any) -> Iterator[Callable[[], Any]]:
    yield lambda: c.balances(timeout=t)
    yield lambda: c.get_payment_invoice("cpi_x", timeout=t)
    yield lambda: c.find_payment_invoice("r", timeout=t)
    yield lambda: c.create_payment_invoice(service="test_usd_test", amount="1", currency="USD", timeout=t)
    yield lambda: c.refund_payment_invoice("cpi_x", amount="1", timeout=t)
    yield lambda: c.payout_prerequest(currency="USD", amount="5", timeout=t)
    yield lambda: c.list_payment_invoices(timeout=t)
    yield lambda: c.list_payout_invoices(timeout=t)
    yield lambda: c.list_payment_services(timeout=t)


@pytest.mark.parametrize("value", BAD_TIMEOUTS, ids=lambda v: repr(v)[:12])
def test_per_call_timeouts_are_checked_and_nothing_is_sent(value: Any, sb: Sandbox) -> None:
    before = sb.api_requests()
    client = polypay.PayCoreClient(**sb.client_kwargs())
    for call in sync_calls(client, value):
        with pytest.raises(polypay.InvalidArgumentError) as refused:
            call()
        assert (refused.value.argument, refused.value.code) == ("timeout", "invalid_timeout")

    async def main() -> None:
        client = polypay.AsyncPayCoreClient(**sb.client_kwargs())
        for call in async_calls(client, value):
            with pytest.raises(polypay.InvalidArgumentError) as refused:
                result = call()
                if inspect.isawaitable(result):
                    await result
            assert (refused.value.argument, refused.value.code) == ("timeout", "invalid_timeout")

    asyncio.run(main())
    assert sb.api_requests() == before


def test_the_largest_timeouts_are_accepted(sb: Sandbox) -> None:
    client = polypay.PayCoreClient(**sb.client_kwargs(timeout=86400, request_timeout=86400,
                                                      connect_timeout=86400.0))
    assert client.balances(timeout=86400).currencies


# 2. A create committed, then answered 5xx: reconciled, or unknown with its reference_id.


def test_commit_then_5xx_is_reconciled_not_doubled(make: Any, sb: Sandbox) -> None:
    for status in (500, 503):
        reference = ref()
        sb.clear_faults()
        sb.fault({"route": CREATE, "nth": 1,
                  "effect": {"status": status, "commit": True, "retry_after": 0}})
        invoice = create(make(), reference)
        assert invoice.response.reconciled and invoice.reference_id == reference, status
        assert sb.invoices(reference) == 1, status


def test_commit_then_5xx_with_the_lookup_failing_too_is_unknown(make: Any, sb: Sandbox) -> None:
    reference = ref()
    sb.fault({"route": CREATE, "nth": 1, "effect": {"status": 503, "commit": True, "retry_after": 0}})
    sb.fault({"route": LIST, "effect": {"status": 500}})
    with pytest.raises(polypay.APIError) as unknown:
        create(make(max_retries=0), reference)
    assert unknown.value.http_status == 503
    assert unknown.value.outcome_unknown is True and unknown.value.retryable is True
    assert unknown.value.reference_id == reference
    sb.clear_faults()
    # What "unknown" means: look it up later by reference_id. It was created, once.
    found = make().find_payment_invoice(reference)
    assert found is not None and found.reference_id == reference
    assert sb.invoices(reference) == 1


# 3. A 2xx of the wrong shape to a create means it landed: reconciled.


def test_a_wrong_shaped_2xx_is_reconciled(make: Any, sb: Sandbox) -> None:
    for status, body in ((200, {}), (201, {"data": []}),
                         (201, {"data": {"type": "payment-invoices", "attributes": {}}})):
        reference = ref()
        sb.clear_faults()
        sb.fault({"route": CREATE, "nth": 1,
                  "effect": {"type": "wrong_shape", "status": status, "body": body}})
        invoice = create(make(), reference)
        assert invoice.response.reconciled and invoice.id.startswith("cpi_"), body
        assert invoice.reference_id == reference and sb.invoices(reference) == 1, body


# 4. A 409 without data: looked up, never re-sent.


def test_a_409_without_data_is_found_by_lookup(make: Any, sb: Sandbox) -> None:
    client = make()
    reference = ref()
    first = create(client, reference)
    posts = sb.stats()["requests"].get(CREATE, 0)
    sb.fault({"route": CREATE, "nth": 1, "effect": {"status": 409}})
    again = create(client, reference)
    assert again.id == first.id and again.response.reconciled
    assert sb.stats()["requests"].get(CREATE, 0) == posts + 1, "a 409 is never re-sent"
    assert sb.invoices(reference) == 1

    # The 409 of the very request that created it (committed, then answered without data).
    reference = ref()
    sb.clear_faults()
    sb.fault({"route": CREATE, "nth": 1, "effect": {"status": 409, "commit": True}})
    invoice = create(client, reference)
    assert invoice.response.reconciled and invoice.reference_id == reference
    assert sb.invoices(reference) == 1


def test_a_409_without_data_and_nothing_found_is_unknown(make: Any, sb: Sandbox) -> None:
    reference = ref()
    sb.fault({"route": CREATE, "nth": 1, "effect": {"status": 409}})
    with pytest.raises(polypay.ConflictError) as conflict:
        create(make(), reference)
    assert conflict.value.outcome_unknown is True and conflict.value.reference_id == reference
    assert sb.invoices(reference) == 0


# 5. A reused reference_id with another amount is a typed conflict, not someone else's invoice.


def test_a_reused_reference_with_another_amount_is_a_conflict(make: Any, sb: Sandbox) -> None:
    client = make()
    reference = ref()
    first = create(client, reference, amount="10.00")
    with pytest.raises(polypay.ConflictError) as reused:
        create(client, reference, amount="11.00")
    error = reused.value
    assert (error.code, error.argument, error.outcome_unknown) == ("reference_reused", "reference_id", False)
    assert error.existing is not None and error.existing["id"] == first.id
    assert "amount" in str(error) and reference in str(error)
    # The same amount written differently is the same request: the invoice, not a conflict.
    same = create(client, reference, amount=Decimal("10.0"))
    assert same.id == first.id and same.response.reconciled
    assert sb.invoices(reference) == 1


# 6. A late commit: the request dropped now, committed later.


def test_a_late_commit_is_unknown_then_found(make: Any, sb: Sandbox) -> None:
    client = make(max_retries=0)
    reference = ref()
    sb.fault({"route": CREATE, "nth": 1,
              "effect": {"type": "late_commit", "commit_after_ms": 600}})
    started = time.monotonic()
    with pytest.raises(polypay.PolypayError) as unknown:
        create(client, reference)
    assert unknown.value.outcome_unknown is True and unknown.value.reference_id == reference
    assert isinstance(unknown.value, polypay.APIConnectionError), repr(unknown.value)
    if time.monotonic() - started < 0.4:
        # Nothing there yet: an empty lookup is no proof it will not appear.
        assert client.find_payment_invoice(reference) is None
    found = eventually(lambda: client.find_payment_invoice(reference))
    assert found is not None and found.reference_id == reference
    assert sb.invoices(reference) == 1


# 7. No redirect is followed (it would re-send the data and the key elsewhere).


def redirect_target_hits(sb: Sandbox) -> int:
    return sb.stats()["requests"].get("GET /__sandbox/redirect-target", 0) + sb.stats()[
        "requests"
    ].get("POST /__sandbox/redirect-target", 0)


def test_redirects_are_typed_errors_never_followed(make: Any, sb: Sandbox) -> None:
    client = make(max_retries=0)
    for status in (301, 302, 307, 308):
        sb.clear_faults()
        sb.fault({"route": BALANCES, "effect": {"type": "redirect", "status": status}})
        with pytest.raises(polypay.APIResponseError) as redirected:
            client.balances()
        assert (redirected.value.code, redirected.value.http_status) == ("redirect", status)

    reference = ref()
    sb.clear_faults()
    sb.fault({"route": CREATE, "effect": {"type": "redirect", "status": 307}})
    with pytest.raises(polypay.APIResponseError) as redirected:
        create(client, reference)
    assert redirected.value.code == "redirect"
    assert redirected.value.outcome_unknown is True and redirected.value.reference_id == reference
    assert sb.invoices(reference) == 0
    assert redirect_target_hits(sb) == 0, "nothing followed a redirect"


# 8. The deadline bounds everything: a trickled body, a Retry-After of any size.


def test_a_trickled_body_ends_at_the_call_deadline(make: Any, sb: Sandbox) -> None:
    sb.fault({"route": BALANCES, "effect": {"type": "trickle", "chunk_bytes": 1, "interval_ms": 50}})
    client = make()
    started = time.monotonic()
    with pytest.raises(polypay.APITimeoutError):
        client.balances(timeout=0.5)
    assert time.monotonic() - started < 1.5


def test_a_huge_retry_after_is_bounded_by_the_deadline(make: Any, sb: Sandbox) -> None:
    client = make()
    for effect, cls in (
        ({"status": 503, "retry_after": 18446744073709551615}, polypay.APIError),
        ({"status": 429, "retry_after": "Wed, 21 Oct 2065 07:28:00 GMT"}, polypay.RateLimitError),
    ):
        sb.clear_faults()
        sb.fault({"route": BALANCES, "effect": effect})
        started = time.monotonic()
        with pytest.raises(cls) as refused:
            client.balances(timeout=1.0)
        # A wait longer than the deadline is not waited at all: the answer is the error.
        assert time.monotonic() - started < 0.6, effect
        assert refused.value.http_status == effect["status"]
        assert refused.value.retry_after is None or refused.value.retry_after >= 0

    # A Retry-After that is no delay at all: the usual backoff, still within the deadline.
    sb.clear_faults()
    sb.fault({"route": BALANCES, "effect": {"status": 503, "retry_after": "-1"}})
    started = time.monotonic()
    with pytest.raises((polypay.APIError, polypay.APITimeoutError)):
        client.balances(timeout=1.0)
    assert time.monotonic() - started < 1.5


# 9. Pagination ends.


def test_cyclic_links_are_an_error_not_an_endless_loop(make: Any, sb: Sandbox) -> None:
    client = make()
    for _ in range(3):
        create(client, ref())
    for effect in ({"type": "cyclic_links"}, {"type": "cyclic_links", "alternate": True}):
        sb.clear_faults()
        sb.fault({"route": LIST, "effect": effect})
        before = sb.stats()["requests"].get(LIST, 0)
        started = time.monotonic()
        with pytest.raises(polypay.APIResponseError) as cycle:
            list(client.list_payment_invoices(page_size=1))
        assert cycle.value.code == "pagination_cycle", effect
        assert time.monotonic() - started < 2
        assert sb.stats()["requests"].get(LIST, 0) - before <= 3, effect
