"""Asyncio cancellation keeps the facts (issue 14, point 7), against the real sandbox.

A cancelled AsyncPayCoreClient call fires its native CancelToken instead of dropping the Rust
future: the core ends the call with a `cancelled` error that keeps the create's reference_id and
says whether the request may have reached the gateway. The task still ends with a plain
`asyncio.CancelledError` (what asyncio.timeout and TaskGroup of Python 3.11/3.12 require), whose
`__cause__` is that polypay.OperationCancelledError."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from typing import Any, List, Optional

import pytest

import polypay
from polypay import _native
from polypay import client as client_module

from .conftest import Sandbox, ref

CREATE = "POST /api/payment-invoices"
# A create the sandbox holds before answering (it commits it when the delay ends)...
STALL = {"route": CREATE, "nth": 1, "effect": {"delay_ms": 1500}}
# ...and one it commits at once, then answers a byte at a time: the client is stuck reading.
TRICKLE = {"route": CREATE, "nth": 1, "effect": {"type": "trickle", "chunk_bytes": 1, "interval_ms": 200}}
# A cancelled call ends well before STALL's delay, even on a loaded 2-core CI machine.
PROMPTLY = 1.2


def fields(**extra: Any) -> Any:
    out = dict(service="test_usd_test", amount="12.00", currency="USD",
               service_fields={"status": "success"})
    out.update(extra)
    return out


def assert_unknown_create(error: Optional[polypay.PolypayError], reference: Optional[str]) -> str:
    assert isinstance(error, polypay.OperationCancelledError), repr(error)
    assert isinstance(error, polypay.PolypayError) and not isinstance(error, asyncio.CancelledError)
    assert (error.kind, error.code) == ("cancelled", "cancelled")
    assert error.outcome_unknown is True and error.retryable is True
    assert error.reference_id is not None
    if reference is not None:
        assert error.reference_id == reference
    return error.reference_id


async def found_later(client: polypay.AsyncPayCoreClient, reference: str, within: float = 4.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        found = await client.find_payment_invoice(reference)
        if found is not None or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


def test_task_cancel_keeps_the_facts_and_the_invoice_is_found(sb: Sandbox) -> None:
    """No reference_id given: the error carries the generated one, which finds the invoice."""
    sb.fault(TRICKLE)

    async def main() -> None:
        client = polypay.AsyncPayCoreClient(**sb.client_kwargs())
        task = asyncio.ensure_future(client.create_payment_invoice(fields()))
        await asyncio.sleep(0.3)
        assert not task.done()
        cancelled_at = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as cancelled:
            await task
        assert time.monotonic() - cancelled_at < PROMPTLY, "the call stops at once"
        assert task.cancelled()
        assert type(cancelled.value) is asyncio.CancelledError
        error = polypay.cancelled_call_error(cancelled.value)
        assert error is cancelled.value.__cause__
        reference = assert_unknown_create(error, None)
        assert len(reference) == 36, reference  # generated

        found = await client.find_payment_invoice(reference)
        assert found is not None and found.reference_id == reference
        # Creating again with that reference_id returns it: never a second invoice.
        again = await client.create_payment_invoice(fields(reference_id=reference))
        assert again.id == found.id and again.response.reconciled
        assert sb.invoices(reference) == 1

    asyncio.run(main())


def test_a_cancelled_stalled_create_is_found_afterwards(sb: Sandbox) -> None:
    sb.fault({"route": CREATE, "nth": 1, "effect": {"delay_ms": 600}})

    async def main() -> None:
        client = polypay.AsyncPayCoreClient(**sb.client_kwargs())
        reference = ref()
        task = asyncio.ensure_future(client.create_payment_invoice(fields(reference_id=reference)))
        await asyncio.sleep(0.15)
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as cancelled:
            await task
        assert_unknown_create(polypay.cancelled_call_error(cancelled.value), reference)
        # The sandbox finishes a request whose client left, as a gateway does.
        found = await found_later(client, reference)
        assert found is not None and found.reference_id == reference
        assert sb.invoices(reference) == 1

    asyncio.run(main())


def test_wait_for_raises_timeout_error_with_the_facts(sb: Sandbox) -> None:
    sb.fault(STALL)

    async def main() -> None:
        client = polypay.AsyncPayCoreClient(**sb.client_kwargs())
        reference = ref()
        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError) as timed_out:
            await asyncio.wait_for(client.create_payment_invoice(fields(reference_id=reference)), 0.2)
        assert time.monotonic() - started < PROMPTLY
        error = polypay.cancelled_call_error(timed_out.value)
        assert_unknown_create(error, reference)
        if sys.version_info >= (3, 11):
            # TimeoutError <- (cause) CancelledError <- (cause) OperationCancelledError
            cause = timed_out.value.__cause__
            assert type(cause) is asyncio.CancelledError and cause.__cause__ is error

    asyncio.run(main())


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is new in 3.11")
def test_asyncio_timeout_raises_timeout_error_with_the_facts(sb: Sandbox) -> None:
    sb.fault(STALL)

    async def main() -> None:
        client = polypay.AsyncPayCoreClient(**sb.client_kwargs())
        reference = ref()
        with pytest.raises(TimeoutError) as timed_out:
            async with asyncio.timeout(0.2):  # type: ignore[attr-defined]
                await client.create_payment_invoice(fields(reference_id=reference))
        assert_unknown_create(polypay.cancelled_call_error(timed_out.value), reference)
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0  # type: ignore[attr-defined]
        # The task goes on normally afterwards.
        assert (await client.balances()).currencies

    asyncio.run(main())


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.TaskGroup is new in 3.11")
def test_task_group_cancels_a_create_that_keeps_its_facts(sb: Sandbox) -> None:
    sb.fault(STALL)
    seen: List[polypay.PolypayError] = []

    async def main() -> None:
        client = polypay.AsyncPayCoreClient(**sb.client_kwargs())
        reference = ref()

        async def pay() -> None:
            try:
                await client.create_payment_invoice(fields(reference_id=reference))
            except asyncio.CancelledError as cancelled:
                error = polypay.cancelled_call_error(cancelled)
                assert error is not None
                seen.append(error)
                raise

        async def fail() -> None:
            await asyncio.sleep(0.15)
            raise KeyError("sibling")

        with pytest.raises(BaseException) as group:
            async with asyncio.TaskGroup() as tg:  # type: ignore[attr-defined]
                tg.create_task(pay())
                tg.create_task(fail())
        # The group reports the sibling's failure only: the cancelled create is no error.
        assert [type(e) for e in group.value.exceptions] == [KeyError]  # type: ignore[attr-defined]
        assert_unknown_create(seen[0], reference)

    asyncio.run(main())


def test_anyio_cancel_scope(sb: Sandbox) -> None:
    anyio = pytest.importorskip("anyio")
    sb.fault(STALL)
    seen: List[polypay.PolypayError] = []

    async def main() -> None:
        client = polypay.AsyncPayCoreClient(**sb.client_kwargs())
        reference = ref()
        with anyio.move_on_after(0.2) as scope:
            try:
                await client.create_payment_invoice(fields(reference_id=reference))
            except asyncio.CancelledError as cancelled:
                error = polypay.cancelled_call_error(cancelled)
                assert error is not None
                seen.append(error)
                raise
        assert scope.cancelled_caught
        assert_unknown_create(seen[0], reference)

    asyncio.run(main())


def test_a_cancelled_read_is_known_not_to_change_anything(sb: Sandbox) -> None:
    sb.fault({"route": "GET /api/account/balances", "effect": {"delay_ms": 1500}})

    async def main() -> None:
        client = polypay.AsyncPayCoreClient(**sb.client_kwargs())
        task = asyncio.ensure_future(client.balances())
        await asyncio.sleep(0.15)
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as cancelled:
            await task
        error = polypay.cancelled_call_error(cancelled.value)
        assert isinstance(error, polypay.OperationCancelledError)
        assert error.outcome_unknown is False and error.reference_id is None

    asyncio.run(main())


def test_a_cancelled_async_list_stops_with_the_cancelled_error(sb: Sandbox) -> None:
    sb.fault({"route": "GET /api/payment-invoices", "effect": {"delay_ms": 1500}})

    async def main() -> None:
        client = polypay.AsyncPayCoreClient(**sb.client_kwargs())

        async def read_all() -> Any:
            return [i async for i in client.list_payment_invoices(page_size=5)]

        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError) as timed_out:
            await asyncio.wait_for(read_all(), 0.2)
        assert time.monotonic() - started < PROMPTLY
        error = polypay.cancelled_call_error(timed_out.value)
        assert isinstance(error, polypay.OperationCancelledError) and not error.outcome_unknown

    asyncio.run(main())


def test_cancelled_call_error_finds_nothing_in_other_exceptions() -> None:
    assert polypay.cancelled_call_error(asyncio.CancelledError()) is None
    assert polypay.cancelled_call_error(TimeoutError()) is None
    unrelated = asyncio.CancelledError()
    unrelated.__context__ = polypay.APIError("handled earlier")  # not its cause
    assert polypay.cancelled_call_error(unrelated) is None


# The two corners of the binding's side of it, without the network.


def test_a_call_that_completed_as_it_was_cancelled_says_so() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        future: "asyncio.Future[Any]" = loop.create_future()
        token = _native.CancelToken()
        task = asyncio.ensure_future(
            client_module._cancellable(_native.Operation.CreatePaymentInvoice, future, token)
        )
        await asyncio.sleep(0)
        future.set_result(None)  # the answer arrived...
        task.cancel()  # ...and the task was cancelled before it could take it
        with pytest.raises(asyncio.CancelledError) as cancelled:
            await task
        error = polypay.cancelled_call_error(cancelled.value)
        assert isinstance(error, polypay.OperationCancelledError)
        assert error.outcome_unknown is True and "completed" in str(error)
        assert token.cancelled

    asyncio.run(main())


def test_the_wait_for_a_cancelled_call_is_bounded(monkeypatch: Any) -> None:
    monkeypatch.setattr(client_module, "_CANCEL_GRACE", 0.05)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        never: "asyncio.Future[Any]" = loop.create_future()
        token = _native.CancelToken()
        task = asyncio.ensure_future(client_module._cancellable(_native.Operation.Balances, never, token))
        await asyncio.sleep(0)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as cancelled:
            await task
        assert time.monotonic() - started < PROMPTLY
        assert polypay.cancelled_call_error(cancelled.value) is None  # no facts to give
        assert token.cancelled
        never.cancel()

    asyncio.run(main())


def test_cancel_token() -> None:
    token = _native.CancelToken()
    assert not token.cancelled and "false" in repr(token)
    token.cancel()
    token.cancel()  # idempotent
    assert token.cancelled


# A program that exits right after an await: the runtime's last completion used to take the GIL
# of a finalizing interpreter now and then (a segfault or an abort at exit).
_EXIT_RIGHT_AFTER = """
import asyncio, sys
import polypay

async def main(kwargs):
    client = polypay.AsyncPayCoreClient(**kwargs)
    await client.find_payment_invoice("py-exit-none")
    # and one call still in flight (held by the sandbox) when the loop closes
    asyncio.get_running_loop().create_task(client.get_payment_invoice("cpi_held"))
    await asyncio.sleep(0)

asyncio.run(main(eval(sys.argv[1])))
"""


def test_a_program_exits_cleanly_right_after_async_calls(sb: Sandbox) -> None:
    sb.fault({"route": "GET /api/payment-invoices/cpi_held", "effect": {"delay_ms": 5000}})
    kwargs = repr(sb.client_kwargs())
    failures = []
    for _ in range(30):
        run = subprocess.run([sys.executable, "-c", _EXIT_RIGHT_AFTER, kwargs],
                             capture_output=True, text=True, timeout=30)
        if run.returncode != 0:
            failures.append((run.returncode, run.stderr[-300:]))
    assert failures == []
