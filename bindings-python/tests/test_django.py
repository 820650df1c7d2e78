"""A real Django project (settings configured here) receiving sandbox-signed callbacks, with
sync and async views, under Django's test Client (WSGI), AsyncClient (ASGI) and real HTTP."""

from __future__ import annotations

import asyncio
import functools
import gc
import inspect
import logging
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Awaitable, Dict, Iterator, List, Tuple

import django
import pytest
from django.conf import settings

from .conftest import Sandbox

RECEIVED: List[Any] = []
# What the async handlers did: STARTED on entry, APPLIED once the (simulated) change is done.
STARTED: List[str] = []
APPLIED: List[str] = []
HANDLER_SECONDS = 0.05

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="test-only",
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
        INSTALLED_APPS=[],
        POLYPAY_PAYCORE_SECRET_KEY="sk_test_sandbox",
        POLYPAY_ECOMMPAY_SECRET_KEY="ecommpay_sandbox_secret",
    )
    django.setup()

from asgiref.sync import iscoroutinefunction, markcoroutinefunction  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import AsyncClient, Client  # noqa: E402
from django.urls import path  # noqa: E402

from polypay import testing  # noqa: E402
from polypay.django import ecommpay_callback, paycore_callback  # noqa: E402


@paycore_callback
def paycore_view(request: HttpRequest, event: Any) -> None:
    RECEIVED.append(event)


@ecommpay_callback
def ecommpay_view(request: HttpRequest, callback: Any) -> None:
    RECEIVED.append(callback)


@paycore_callback
def failing_view(request: HttpRequest, event: Any) -> None:
    raise RuntimeError("handler failed")


# async def views: the decorator must await them (before the fix they got 200 and never ran).


@paycore_callback
async def async_paycore_view(request: HttpRequest, event: Any) -> None:
    STARTED.append(event.id)
    await asyncio.sleep(HANDLER_SECONDS)
    APPLIED.append(event.id)


@paycore_callback
async def async_failing_view(request: HttpRequest, event: Any) -> None:
    STARTED.append(event.id)
    await asyncio.sleep(0.01)
    raise RuntimeError("database unavailable")  # before the change is applied


@ecommpay_callback
async def async_ecommpay_view(request: HttpRequest, callback: Any) -> None:
    STARTED.append(callback.payment_id)
    await asyncio.sleep(HANDLER_SECONDS)
    APPLIED.append(callback.payment_id)


@ecommpay_callback
async def async_ecommpay_failing_view(request: HttpRequest, callback: Any) -> None:
    STARTED.append(callback.payment_id)
    await asyncio.sleep(0.01)
    raise RuntimeError("database unavailable")


@paycore_callback(secret_key="sk_test_explicit")
async def async_own_response_view(request: HttpRequest, event: Any) -> HttpResponse:
    await asyncio.sleep(0.01)
    APPLIED.append(event.id)
    return HttpResponse("accepted " + event.id, status=202, content_type="text/plain")


@paycore_callback(secret_key=lambda request: ["sk_test_rotated_in", "sk_test_explicit"])
def rotated_view(request: HttpRequest, event: Any) -> None:
    APPLIED.append(event.id)


RENDEZVOUS: Dict[str, Any] = {}


@paycore_callback
async def async_rendezvous_view(request: HttpRequest, event: Any) -> None:
    # Two callbacks that each wait for the other: they only complete if Django runs the view
    # natively in the event loop (concurrently), not serialised through a worker thread.
    RENDEZVOUS["arrived"] += 1
    if RENDEZVOUS["arrived"] == 2:
        RENDEZVOUS["both"].set()
    await asyncio.wait_for(RENDEZVOUS["both"].wait(), timeout=5)
    APPLIED.append(event.id)


FLAKY_CALLS: List[Tuple[str, str]] = []


@paycore_callback
async def async_flaky_view(request: HttpRequest, event: Any) -> None:
    # Fails the first delivery of each (invoice, status): the gateway must retry it.
    key = (event.id, event.status)
    FLAKY_CALLS.append(key)
    await asyncio.sleep(0.01)
    if FLAKY_CALLS.count(key) == 1:
        raise RuntimeError("database unavailable")
    APPLIED.append(f"{event.id}:{event.status}")


class _AwaitableHandler:
    """A callable object whose __call__ is async: not an `async def` function."""

    async def __call__(self, request: HttpRequest, event: Any) -> None:
        STARTED.append(event.id)
        APPLIED.append(event.id)


unmarked_view = paycore_callback(_AwaitableHandler())
marked_view = paycore_callback(markcoroutinefunction(_AwaitableHandler()))


urlpatterns = [
    path("paycore/callback", paycore_view),
    path("ecommpay/callback", ecommpay_view),
    path("paycore/failing", failing_view),
    path("async/paycore/callback", async_paycore_view),
    path("async/paycore/failing", async_failing_view),
    path("async/ecommpay/callback", async_ecommpay_view),
    path("async/ecommpay/failing", async_ecommpay_failing_view),
    path("async/paycore/own-response", async_own_response_view),
    path("async/paycore/rendezvous", async_rendezvous_view),
    path("async/paycore/flaky", async_flaky_view),
    path("paycore/unmarked", unmarked_view),
    path("paycore/marked", marked_view),
    path("paycore/rotated", rotated_view),
]

SandboxCallback = Tuple[bytes, str, str]


@pytest.fixture(scope="module")
def sandbox_callback(sandbox: Sandbox) -> SandboxCallback:
    """(body, X-Signature, invoice id) of a callback the sandbox really sent."""
    import polypay

    sandbox.clear_faults()
    # A tiny receiver captures the callbacks the sandbox really sends (bytes + X-Signature).
    captured: List[Any] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers["Content-Length"])
            captured.append((self.rfile.read(length), self.headers["X-Signature"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = polypay.PayCoreClient(**sandbox.client_kwargs())
        invoice = client.create_payment_invoice(
            service="test_usd_test", amount="9.99", currency="USD",
            service_fields={"status": "success"},
            callback_url=f"http://127.0.0.1:{server.server_port}/cb",
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(b"processed" in b for b, _ in captured):
            time.sleep(0.02)
    finally:
        server.shutdown()
    body, signature = next((b, s) for b, s in captured if b"processed" in b)
    return body, signature, invoice.id


@pytest.fixture()
def records() -> Iterator[None]:
    RECEIVED.clear()
    STARTED.clear()
    APPLIED.clear()
    yield
    RECEIVED.clear()
    STARTED.clear()
    APPLIED.clear()


def test_paycore_callback_view(sandbox_callback: SandboxCallback, records: None) -> None:
    body, signature, invoice_id = sandbox_callback
    web = Client(enforce_csrf_checks=True)
    RECEIVED.clear()
    ok = web.post("/paycore/callback", body, content_type="application/json",
                  HTTP_X_SIGNATURE=signature)
    assert ok.status_code == 200
    assert len(RECEIVED) == 1 and RECEIVED[0].id == invoice_id

    tampered = body.replace(b"processed", b"processing")
    bad = web.post("/paycore/callback", tampered, content_type="application/json",
                   HTTP_X_SIGNATURE=signature)
    assert bad.status_code == 400 and len(RECEIVED) == 1
    missing = web.post("/paycore/callback", body, content_type="application/json")
    assert missing.status_code == 400 and len(RECEIVED) == 1
    assert web.get("/paycore/callback").status_code == 405

    # 200 only after the handler returns: a failing handler gives 500 (the gateway retries).
    failing = Client(raise_request_exception=False)
    assert failing.post("/paycore/failing", body, content_type="application/json",
                        HTTP_X_SIGNATURE=signature).status_code == 500


def test_ecommpay_callback_view() -> None:
    body = testing.ecommpay_callback("ecommpay_sandbox_secret", payment_id="order-7")
    web = Client(enforce_csrf_checks=True)
    RECEIVED.clear()
    assert web.post("/ecommpay/callback", body, content_type="application/json").status_code == 200
    assert RECEIVED[0].payment_id == "order-7" and RECEIVED[0].is_success
    tampered = body.replace(b"3550", b"1")
    assert web.post("/ecommpay/callback", tampered, content_type="application/json").status_code == 400
    assert len(RECEIVED) == 1


def test_testing_builders_round_trip() -> None:
    import polypay

    body, headers = testing.paycore_callback("sk_test_x", status="refunded", amount="5.10")
    event = polypay.paycore.verify_callback(body, headers["X-Signature"], "sk_test_x")
    assert event.status == "refunded" and event.is_final and not event.is_success
    from decimal import Decimal

    assert event.invoice is not None and event.invoice.amount == Decimal("5.1")
    cb = polypay.ecommpay.verify_callback(
        testing.ecommpay_callback("s", status="decline"), "s"
    )
    assert cb.payment_status == "decline" and not cb.is_success


# --- async def views, under Django's AsyncClient (ASGI) and its sync Client (WSGI) -------------

PAYCORE_SECRET = "sk_test_sandbox"
ECOMMPAY_SECRET = "ecommpay_sandbox_secret"
CLIENTS = ["asgi", "wsgi"]


def post(
    kind: str,
    url: str,
    body: bytes,
    headers: Dict[str, str],
    raise_request_exception: bool = True,
) -> Tuple[Any, float]:
    """POSTs through AsyncClient ("asgi": the async view runs in the event loop) or Client
    ("wsgi": Django runs it through async_to_sync); returns the response and the seconds taken."""
    started = time.monotonic()
    if kind == "asgi":
        web: Any = AsyncClient(
            enforce_csrf_checks=True, raise_request_exception=raise_request_exception
        )

        async def send() -> Any:
            return await web.post(url, body, content_type="application/json", headers=headers)

        response = asyncio.run(send())
    else:
        response = Client(
            enforce_csrf_checks=True, raise_request_exception=raise_request_exception
        ).post(url, body, content_type="application/json", headers=headers)
    return response, time.monotonic() - started


def get(kind: str, url: str) -> Any:
    if kind == "asgi":
        return asyncio.run(AsyncClient().get(url))
    return Client().get(url)


def paycore_signed(invoice_id: str, secret: str = PAYCORE_SECRET) -> Tuple[bytes, Dict[str, str]]:
    body, headers = testing.paycore_callback(secret, id=invoice_id)
    return body, {"X-Signature": headers["X-Signature"]}


def test_decorated_views_keep_their_kind() -> None:
    for view in (async_paycore_view, async_failing_view, async_ecommpay_view,
                 async_ecommpay_failing_view, async_own_response_view, marked_view):
        assert iscoroutinefunction(view), view
        assert inspect.iscoroutinefunction(view), view
        assert view.csrf_exempt is True
    for view in (paycore_view, ecommpay_view, failing_view, unmarked_view):
        assert not iscoroutinefunction(view), view
        assert view.csrf_exempt is True
    assert async_paycore_view.__name__ == "async_paycore_view"
    assert async_paycore_view.__wrapped__ is not None

    # A pass-through decorator stacked on top (functools.wraps, as Django < 5.0's csrf_exempt)
    # keeps the mark: Django still awaits the view.
    def passthrough(view: Any) -> Any:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return view(*args, **kwargs)

        return wrapper

    assert iscoroutinefunction(passthrough(async_paycore_view))


@pytest.mark.parametrize("kind", CLIENTS)
def test_async_paycore_view_real_sandbox_callback(
    kind: str, sandbox_callback: SandboxCallback, records: None
) -> None:
    body, signature, invoice_id = sandbox_callback
    ok, seconds = post(kind, "/async/paycore/callback", body, {"X-Signature": signature})
    # The response exists only once the handler completed: it ran exactly once, to the end.
    assert ok.status_code == 200 and ok.content == b"OK"
    assert STARTED == [invoice_id] and APPLIED == [invoice_id]
    assert seconds >= HANDLER_SECONDS

    tampered = body.replace(b"processed", b"processing")
    bad, _ = post(kind, "/async/paycore/callback", tampered, {"X-Signature": signature})
    assert bad.status_code == 400 and bad.content == b"invalid callback"
    missing, _ = post(kind, "/async/paycore/callback", body, {})
    assert missing.status_code == 400
    wrong_key, _ = post(kind, "/async/paycore/callback", *paycore_signed(invoice_id, "sk_test_x"))
    assert wrong_key.status_code == 400
    assert get(kind, "/async/paycore/callback").status_code == 405
    assert STARTED == [invoice_id] and APPLIED == [invoice_id]  # refused: handler not run


@pytest.mark.parametrize("kind", CLIENTS)
def test_async_handler_exception_gives_500(
    kind: str, records: None, caplog: pytest.LogCaptureFixture
) -> None:
    body, headers = paycore_signed("cpi_FAILS00000001")
    with caplog.at_level(logging.ERROR):
        failed, _ = post(kind, "/async/paycore/failing", body, headers,
                         raise_request_exception=False)
    assert failed.status_code == 500  # the gateway retries
    assert STARTED == ["cpi_FAILS00000001"] and APPLIED == []
    ours = [r for r in caplog.records if r.name == "polypay"]
    assert len(ours) == 1 and ours[0].levelno == logging.ERROR
    assert "cpi_FAILS00000001" in ours[0].getMessage()
    assert "RuntimeError" in ours[0].getMessage()
    for secret in (PAYCORE_SECRET, headers["X-Signature"]):
        assert secret not in caplog.text and secret.encode() not in failed.content

    # The exception reaches Django (which turns it into the 500 and logs the traceback).
    with pytest.raises(RuntimeError, match="database unavailable"):
        post(kind, "/async/paycore/failing", body, headers)
    assert APPLIED == []


@pytest.mark.parametrize("kind", CLIENTS)
def test_async_ecommpay_view(kind: str, records: None) -> None:
    body = testing.ecommpay_callback(ECOMMPAY_SECRET, payment_id="order-9")
    ok, seconds = post(kind, "/async/ecommpay/callback", body, {})
    assert ok.status_code == 200 and STARTED == ["order-9"] and APPLIED == ["order-9"]
    assert seconds >= HANDLER_SECONDS
    tampered = body.replace(b"3550", b"1")
    bad, _ = post(kind, "/async/ecommpay/callback", tampered, {})
    assert bad.status_code == 400 and STARTED == ["order-9"]
    other_key = testing.ecommpay_callback("another_secret", payment_id="order-10")
    assert post(kind, "/async/ecommpay/callback", other_key, {})[0].status_code == 400
    assert get(kind, "/async/ecommpay/callback").status_code == 405

    failed, _ = post(kind, "/async/ecommpay/failing", body, {}, raise_request_exception=False)
    assert failed.status_code == 500
    assert STARTED == ["order-9", "order-9"] and APPLIED == ["order-9"]


@pytest.mark.parametrize("kind", CLIENTS)
def test_async_view_own_response_and_explicit_secret(kind: str, records: None) -> None:
    response, _ = post(kind, "/async/paycore/own-response",
                       *paycore_signed("cpi_OWN000000001", "sk_test_explicit"))
    assert response.status_code == 202 and response.content == b"accepted cpi_OWN000000001"
    # secret_key= wins over settings.POLYPAY_PAYCORE_SECRET_KEY.
    refused, _ = post(kind, "/async/paycore/own-response", *paycore_signed("cpi_OWN000000002"))
    assert refused.status_code == 400 and APPLIED == ["cpi_OWN000000001"]


@pytest.mark.parametrize("kind", CLIENTS)
def test_a_key_being_rotated_verifies_with_either_key(kind: str, records: None) -> None:
    for n, key in enumerate(["sk_test_rotated_in", "sk_test_explicit"]):
        response, _ = post(kind, "/paycore/rotated", *paycore_signed(f"cpi_ROT{n}", key))
        assert response.status_code == 200
    refused, _ = post(kind, "/paycore/rotated", *paycore_signed("cpi_ROT9", "sk_test_other"))
    assert refused.status_code == 400 and APPLIED == ["cpi_ROT0", "cpi_ROT1"]


def test_async_view_runs_natively_in_the_event_loop(records: None) -> None:
    async def main() -> List[Any]:
        RENDEZVOUS.update(arrived=0, both=asyncio.Event())
        web = AsyncClient()
        sends: List[Awaitable[Any]] = []
        for invoice_id in ("cpi_CONCURRENT001", "cpi_CONCURRENT002"):
            body, headers = paycore_signed(invoice_id)
            sends.append(web.post("/async/paycore/rendezvous", body,
                                  content_type="application/json", headers=headers))
        return list(await asyncio.gather(*sends))

    responses = asyncio.run(main())
    assert [r.status_code for r in responses] == [200, 200]
    assert sorted(APPLIED) == ["cpi_CONCURRENT001", "cpi_CONCURRENT002"]


@pytest.mark.parametrize("kind", CLIENTS)
def test_awaitable_returning_callables(
    kind: str, records: None, caplog: pytest.LogCaptureFixture
) -> None:
    body, headers = paycore_signed("cpi_CALLABLE00001")
    # Marked with markcoroutinefunction: an async view, awaited.
    ok, _ = post(kind, "/paycore/marked", body, headers)
    assert ok.status_code == 200 and APPLIED == ["cpi_CALLABLE00001"]
    # Not recognisable as async: refused with 500 (retried) instead of a 200 that drops it.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        refused, _ = post(kind, "/paycore/unmarked", body, headers, raise_request_exception=False)
        gc.collect()
    assert refused.status_code == 500 and STARTED == ["cpi_CALLABLE00001"]
    assert not [w for w in caught if "never awaited" in str(w.message)]
    with pytest.raises(TypeError, match="markcoroutinefunction"):
        post(kind, "/paycore/unmarked", body, headers)


@pytest.mark.parametrize("kind", CLIENTS)
def test_sync_views_unchanged(kind: str, records: None) -> None:
    body, headers = paycore_signed("cpi_SYNC000000001")
    ok, _ = post(kind, "/paycore/callback", body, headers)
    assert ok.status_code == 200 and ok.content == b"OK"
    assert [e.id for e in RECEIVED] == ["cpi_SYNC000000001"]
    bad, _ = post(kind, "/paycore/callback", body.replace(b"100.55", b"100.56"), headers)
    assert bad.status_code == 400 and bad.content == b"invalid callback" and len(RECEIVED) == 1
    assert get(kind, "/paycore/callback").status_code == 405
    failed, _ = post(kind, "/paycore/failing", body, headers, raise_request_exception=False)
    assert failed.status_code == 500
    with pytest.raises(RuntimeError, match="handler failed"):
        post(kind, "/paycore/failing", body, headers)
    ecommpay_body = testing.ecommpay_callback(ECOMMPAY_SECRET, payment_id="order-11")
    assert post(kind, "/ecommpay/callback", ecommpay_body, {})[0].status_code == 200
    assert RECEIVED[-1].payment_id == "order-11"



def test_async_view_served_over_http_gateway_retries(records: None) -> None:
    """The whole loop over real HTTP: Django's threaded WSGI server (as runserver) serves the
    async view; a sandbox with fast retries delivers the invoice's callbacks. Each status's first
    delivery gets 500 (the handler raised) and is retried; the retry gets 200."""
    import json
    import os
    import signal
    import subprocess

    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.test.utils import override_settings

    import polypay

    from .conftest import ROOT

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    FLAKY_CALLS.clear()
    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(WSGIHandler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    binary = os.environ.get("POLYPAY_BIN") or str(ROOT / "target" / "debug" / "polypay")
    proc = subprocess.Popen(
        [binary, "sandbox", "--port", "0", "--print-config", "--time-scale", "0.001"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert proc.stdout is not None
        sandbox = Sandbox(json.loads(proc.stdout.readline()))
        with override_settings(ALLOWED_HOSTS=["127.0.0.1"]):
            client = polypay.PayCoreClient(**sandbox.client_kwargs())
            invoice = client.create_payment_invoice(
                service="test_usd_test", amount="3.50", currency="USD",
                service_fields={"status": "success"},
                callback_url=f"http://127.0.0.1:{server.server_port}/async/paycore/flaky",
            )
            statuses = ["created", "process_pending", "processed"]
            expected = [(status, code) for status in statuses for code in (500, 200)]
            deadline = time.monotonic() + 20
            log: List[Tuple[str, int]] = []
            while time.monotonic() < deadline and log != expected:
                time.sleep(0.05)
                entries = sandbox.admin("GET", "/callbacks", params={"invoice_id": invoice.id})
                log = [(e["transaction_status"], e["response_code"])
                       for e in sorted(entries["data"], key=lambda e: e["at"])]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        server.shutdown()
        server.server_close()
    # The gateway saw 500 then 200 for each status; each status was applied exactly once.
    assert log == expected
    assert APPLIED == [f"{invoice.id}:{status}" for status in statuses]
    assert FLAKY_CALLS == [(invoice.id, status) for status in statuses for _ in range(2)]
