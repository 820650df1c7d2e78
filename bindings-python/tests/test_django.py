"""A real Django project (settings configured here) receiving sandbox-signed callbacks."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, List

import django
from django.conf import settings

from .conftest import Sandbox

RECEIVED: List[Any] = []

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

from django.http import HttpRequest  # noqa: E402
from django.test import Client  # noqa: E402
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


urlpatterns = [
    path("paycore/callback", paycore_view),
    path("ecommpay/callback", ecommpay_view),
    path("paycore/failing", failing_view),
]


def test_paycore_callback_view(sb: Sandbox) -> None:
    import polypay

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
        client = polypay.PayCoreClient(**sb.client_kwargs())
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

    web = Client(enforce_csrf_checks=True)
    RECEIVED.clear()
    ok = web.post("/paycore/callback", body, content_type="application/json",
                  HTTP_X_SIGNATURE=signature)
    assert ok.status_code == 200
    assert len(RECEIVED) == 1 and RECEIVED[0].id == invoice.id

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

    assert event.amount == Decimal("5.1")
    cb = polypay.ecommpay.verify_callback(
        testing.ecommpay_callback("s", status="decline"), "s"
    )
    assert cb.payment_status == "decline" and not cb.is_success
