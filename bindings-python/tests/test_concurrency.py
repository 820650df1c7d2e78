"""16 threads sharing one client, 200 concurrent async calls, and fork safety."""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import polypay

from .conftest import Sandbox, ref


def test_16_threads_share_one_client(sb: Sandbox) -> None:
    client = polypay.PayCoreClient(**sb.client_kwargs())
    invoice = client.create_payment_invoice(
        service="test_usd_test", amount="2", currency="USD", service_fields={"status": "success"}
    )
    barrier = threading.Barrier(16)

    def work(i: int) -> str:
        barrier.wait()
        ids = {client.get_payment_invoice(invoice.id).id for _ in range(10)}
        created = client.create_payment_invoice(
            service="test_usd_test", amount=str(i + 1), currency="USD",
            service_fields={"status": "success"}, reference_id=f"thread-{i}-{ref()}",
        )
        assert ids == {invoice.id}
        return created.id

    with ThreadPoolExecutor(16) as pool:
        created = list(pool.map(work, range(16)))
    assert len(set(created)) == 16


def test_200_concurrent_async_calls(sb: Sandbox) -> None:
    async def main() -> None:
        client = polypay.AsyncPayCoreClient(**sb.client_kwargs())
        invoice = await client.create_payment_invoice(
            service="test_usd_test", amount="3", currency="USD",
            service_fields={"status": "success"},
        )
        # A heartbeat proves the event loop is never blocked while the calls run.
        beats = 0
        done = asyncio.Event()

        async def heartbeat() -> None:
            nonlocal beats
            while not done.is_set():
                beats += 1
                await asyncio.sleep(0.001)

        hb = asyncio.create_task(heartbeat())
        results = await asyncio.gather(*(client.get_payment_invoice(invoice.id) for _ in range(200)))
        done.set()
        await hb
        assert len(results) == 200 and {r.id for r in results} == {invoice.id}
        assert beats > 1

    asyncio.run(main())


def test_client_created_before_fork_works_in_child(sb: Sandbox) -> None:
    client = polypay.PayCoreClient(**sb.client_kwargs(timeout=10))
    assert client.balances().currencies  # the runtime and the pool exist in the parent
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: the gunicorn --preload / Celery prefork situation
        code = 1
        try:
            os.close(read)
            invoice = client.create_payment_invoice(
                service="test_usd_test", amount="4", currency="USD",
                service_fields={"status": "success"},
            )
            os.write(write, invoice.id.encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    child_id = os.read(read, 100).decode()
    os.close(read)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert child_id.startswith("cpi_")
    # The parent still works afterwards, and sees what the child created.
    assert client.get_payment_invoice(child_id).id == child_id
