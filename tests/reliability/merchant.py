"""A tiny merchant app for the callback part of the campaign.

It verifies each PayCore callback's X-Signature over the raw body (polypay), answers 500 to the
first `fail_first` deliveries of each invoice (as a crashing app would: nothing is applied), then
applies the callback to its order (keyed by kind and reference_id) and answers 200. Everything it
applied is kept, repeats included, so the checker can tell "applied exactly once" from "deduped"."""

from __future__ import annotations

import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Tuple

import polypay
from polypay import paycore

OrderKey = Tuple[str, str]  # ("payment" | "payout", reference_id)


class Merchant:
    def __init__(self, secret_key: str, fail_first: int = 3) -> None:
        self.secret_key = secret_key
        self.fail_first = fail_first
        self.lock = threading.Lock()
        self.deliveries: Dict[str, int] = defaultdict(int)  # invoice id -> deliveries seen
        self.refused: Dict[str, int] = defaultdict(int)  # invoice id -> 500s answered
        # order -> [(invoice id, status)] in the order they were applied
        self.applied: Dict[OrderKey, List[Tuple[str, str]]] = defaultdict(list)
        self.bad_signatures = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/paycore/callback"

    def __enter__(self) -> "Merchant":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def receive(self, body: bytes, signature: str) -> int:
        """The app's callback route: returns the HTTP status to answer."""
        try:
            event = paycore.verify_callback(body, signature, self.secret_key)
        except polypay.SignatureVerificationError:
            with self.lock:
                self.bad_signatures += 1
            return 400
        invoice = event.invoice
        kind = "payout" if isinstance(invoice, polypay.PayoutInvoice) else "payment"
        with self.lock:
            self.deliveries[event.id] += 1
            if self.deliveries[event.id] <= self.fail_first:
                self.refused[event.id] += 1
                return 500
            self.applied[(kind, getattr(invoice, "reference_id", None) or "")].append(
                (event.id, event.status)
            )
        return 200

    def _handler(self) -> type:
        merchant = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: the sandbox reuses its connections

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status = merchant.receive(body, self.headers.get("X-Signature", ""))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # thousands of deliveries: no access log

        return Handler
