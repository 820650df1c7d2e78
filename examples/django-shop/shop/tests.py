"""The shop against a real `polypay sandbox`, over real HTTP both ways: the tests drive the shop
(Django's live server) with requests, the sandbox sends its signed callbacks to the shop.

Run: `python manage.py test shop` (POLYPAY_BIN: the polypay CLI, default target/debug/polypay)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import polypay
import requests
from django.test import LiveServerTestCase, override_settings
from polypay import testing

from . import gateways
from .models import Order

ROOT = Path(__file__).resolve().parents[3]
CARD_OK, CARD_FAILS = "5519283812030000", "4302912837020000"


class Forms(HTMLParser):
    """The forms of a page: {form id or action: (action, {hidden field: value})}."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: dict[str, Any] = {}
        self._current: dict[str, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[Any]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._current = {}
            self.forms[a.get("id") or a["action"]] = (a["action"], self._current)
        elif tag == "input" and self._current is not None and a.get("type") == "hidden":
            self._current[a["name"]] = a.get("value", "")


class ShopTestCase(LiveServerTestCase):
    sandbox: subprocess.Popen[str]
    base: str  # the sandbox

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()  # starts the shop on a free port
        binary = os.environ.get("POLYPAY_BIN") or str(ROOT / "target" / "debug" / "polypay")
        cls.sandbox = subprocess.Popen(
            [binary, "sandbox", "--port", "0", "--print-config", "--time-scale", "0.001",
             "--callback-url", f"{cls.live_server_url}/callbacks/paycore"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert cls.sandbox.stdout is not None
        config = json.loads(cls.sandbox.stdout.readline())
        cls.base = config["base_url"]
        cls.overrides = override_settings(
            SHOP_BASE_URL=cls.live_server_url,
            PAYCORE_BASE_URL=cls.base,
            ECOMMPAY_BASE_URL=config["ecommpay"]["payment_page_base_url"],
            ECOMMPAY_GATE_URL=config["ecommpay"]["gate_base_url"],
            ECOMMPAY_STATUS_DELAY=0.2,
        )
        cls.overrides.enable()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.overrides.disable()
        cls.sandbox.send_signal(signal.SIGTERM)
        try:
            cls.sandbox.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cls.sandbox.kill()
        super().tearDownClass()

    def setUp(self) -> None:
        self.http = requests.Session()

    # helpers

    def shop(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        return self.http.request(method, self.live_server_url + path, timeout=30, **kwargs)

    def order(self, order_id: int) -> dict[str, Any]:
        r = self.shop("GET", f"/orders/{order_id}.json")
        self.assertEqual(r.status_code, 200)
        return r.json()  # type: ignore[no-any-return]

    def wait_for(self, order_id: int, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + 15
        while True:
            doc = self.order(order_id)
            if check(doc):
                return doc
            if time.monotonic() > deadline:
                self.fail(f"order {order_id} never got there: {doc}")
            time.sleep(0.05)

    def buy(self, gateway: str, product: str = "tea", **fields: str) -> requests.Response:
        return self.shop("POST", "/orders", data=dict(product=product, gateway=gateway, **fields))

    def new_test_order(self, test_status: str) -> int:
        r = self.buy("paycore-test", test_status=test_status)
        self.assertEqual(r.status_code, 303)
        return int(r.headers["Location"].rsplit("/", 1)[1])

    def delivered(self, invoice_id: str, status: str) -> dict[str, Any]:
        """A callback the sandbox delivered to the shop: its exact bytes and signature."""
        deadline = time.monotonic() + 10
        while True:
            log = requests.get(f"{self.base}/__sandbox/callbacks",
                               params={"invoice_id": invoice_id}, timeout=10).json()["data"]
            for c in log:
                if c["delivered"] and c["transaction_status"] == status:
                    return c  # type: ignore[no-any-return]
            if time.monotonic() > deadline:
                self.fail(f"no {status} callback delivered for {invoice_id}: {log}")
            time.sleep(0.05)

    def post_paycore(self, body: bytes, signature: str | None) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Signature"] = signature
        return self.shop("POST", "/callbacks/paycore", data=body, headers=headers)

    def pay_card(self, page_url: str, form_id: str, card: str) -> requests.Response:
        """What a customer does on a hosted card page; returns the gateway's redirect."""
        page = self.http.get(page_url, timeout=10)
        self.assertEqual(page.status_code, 200, page.text)
        action, hidden = Forms(page.text).forms[form_id]
        fields = dict(hidden, card_number=card, expiry_month="12", expiry_year="30", cvv="123",
                      card_holder="JANE DOE")
        r = self.http.post(urljoin(page.url, action), data=fields, allow_redirects=False,
                           timeout=10)
        self.assertEqual(r.status_code, 303, r.text)
        return r

    # the payment flows

    def test_paycore_test_service_success(self) -> None:
        order_id = self.new_test_order("success")
        doc = self.wait_for(order_id, lambda d: d["status"] == "paid")
        self.assertEqual(doc["amount"], "12.50")
        self.assertEqual(doc["currency"], "USD")
        self.assertTrue(doc["invoice_id"].startswith("cpi_"))
        callbacks = self.wait_for(order_id, lambda d: len(d["callbacks"]) == 3)["callbacks"]
        self.assertEqual([c["status"] for c in callbacks],
                         ["created", "process_pending", "processed"])
        self.assertTrue(callbacks[-1]["applied"])
        # The invoice really is the sandbox's, under the order's reference_id.
        invoice = requests.get(f"{self.base}/__sandbox/invoices/{doc['invoice_id']}",
                               timeout=10).json()["data"]["resource"]
        self.assertEqual(invoice["attributes"]["reference_id"], doc["reference_id"])
        page = self.shop("GET", f"/orders/{order_id}").text
        self.assertIn('<span id="status">Paid</span>', page)
        self.assertIn('id="refund"', page)

    def test_paycore_test_service_fail_and_pending(self) -> None:
        failed = self.new_test_order("fail")
        self.wait_for(failed, lambda d: d["status"] == "failed")
        self.assertIn('<span id="status">Failed</span>', self.shop("GET", f"/orders/{failed}").text)
        pending = self.new_test_order("pending")
        doc = self.wait_for(pending, lambda d: [c["status"] for c in d["callbacks"]]
                            == ["created", "process_pending"])
        self.assertEqual(doc["status"], "pending")

    def test_hosted_payment_page(self) -> None:
        r = self.buy("paycore", product="mug")
        self.assertEqual(r.status_code, 303)
        hpp = r.headers["Location"]
        self.assertTrue(hpp.startswith(f"{self.base}/hpp/?public_key=pk_test_sandbox&amount=8.99"))
        back = self.pay_card(hpp, "form-payment_card_usd_hpp", CARD_OK)
        order_path, _, query = back.headers["Location"].partition("?")
        self.assertTrue(query.startswith("invoice_id=cpi_"))
        order_id = int(order_path.rsplit("/", 1)[1])
        doc = self.wait_for(order_id, lambda d: d["status"] == "paid")
        self.assertEqual((doc["amount"], doc["gateway"]), ("8.99", "paycore"))
        self.assertEqual(query, f"invoice_id={doc['invoice_id']}")

    def test_hosted_payment_page_form_declined(self) -> None:
        r = self.buy("paycore-form", product="kettle")
        self.assertEqual(r.status_code, 200)
        action, fields = Forms(r.text).forms[f"{self.base}/public-api/payment-invoices/process"]
        self.assertEqual(fields["amount"], "45")  # exact decimal text, trailing zeros dropped
        order_id = int(fields["return_url"].rsplit("/", 1)[1])
        step = self.http.post(action, data=fields, allow_redirects=False, timeout=10)
        self.assertEqual(step.status_code, 303, step.text)
        self.pay_card(urljoin(action, step.headers["Location"]), "card-form", CARD_FAILS)
        self.wait_for(order_id, lambda d: d["status"] == "failed")

    def test_ecommpay_payment_page(self) -> None:
        r = self.buy("ecommpay")
        self.assertEqual(r.status_code, 303)
        url = r.headers["Location"]
        self.assertIn("payment_amount=1250&payment_currency=USD", url)
        back = self.pay_card(url, "card-form", CARD_OK)
        order_id = int(back.headers["Location"].rsplit("/", 1)[1])
        doc = self.wait_for(order_id, lambda d: d["status"] == "paid")
        self.assertEqual(len(doc["callbacks"]), 1)
        self.assertTrue(doc["callbacks"][0]["applied"])
        self.assertIsInstance(doc["updated"], int)
        # Reconciling asks the Gate's status endpoint; the order is already paid.
        r = self.shop("POST", f"/orders/{order_id}/reconcile",
                      headers={"Accept": "application/json"})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["reconciled"]["payment"]["status"], "success")
        self.assertFalse(r.json()["reconciled"]["applied"])

    def test_ecommpay_refund_through_gate(self) -> None:
        back = self.pay_card(self.buy("ecommpay").headers["Location"], "card-form", CARD_OK)
        order_id = int(back.headers["Location"].rsplit("/", 1)[1])
        self.wait_for(order_id, lambda d: d["status"] == "paid")
        self.assertIn('id="refund"', self.shop("GET", f"/orders/{order_id}").text)
        r = self.shop("POST", f"/orders/{order_id}/refund", headers={"Accept": "application/json"})
        self.assertEqual(r.status_code, 202, r.text)
        self.assertTrue(r.json()["refund"]["request_id"])
        self.assertFalse(r.json()["refund"]["reconciled"])
        # A second click: before the callback, the same refund, found (never a second one);
        # after it, refused (the order is refunded).
        again = self.shop("POST", f"/orders/{order_id}/refund",
                          headers={"Accept": "application/json"})
        if again.status_code == 202:
            self.assertTrue(again.json()["refund"]["reconciled"])
        else:
            self.assertEqual(again.status_code, 409, again.text)
        doc = self.wait_for(order_id, lambda d: d["status"] == "refunded")
        self.assertIn(("refunded", True), [(c["status"], c["applied"]) for c in doc["callbacks"]])
        reference = Order.objects.get(pk=order_id).reference_id
        payment = gateways.ecommpay_api().payment_status(general={"payment_id": reference})
        self.assertEqual([op.type for op in payment.operations], ["sale", "refund"])
        self.assertEqual(self.shop("POST", f"/orders/{order_id}/refund").status_code, 409)

    def test_ecommpay_tampered_callback(self) -> None:
        self.assertEqual(self.buy("ecommpay").status_code, 303)
        order = Order.objects.get()
        order_id, ref = order.pk, order.reference_id
        good = testing.ecommpay_callback("ecommpay_sandbox_secret", payment_id=ref,
                                         amount=1250, currency="USD")
        tampered = good.replace(b'"status":"success"', b'"status":"decline"', 1)
        self.assertNotEqual(good, tampered)
        r = self.shop("POST", "/callbacks/ecommpay", data=tampered,
                      headers={"Content-Type": "application/json"})
        self.assertEqual(r.status_code, 400)
        self.assertEqual(self.order(order_id)["callbacks"], [])
        wrong_amount = testing.ecommpay_callback("ecommpay_sandbox_secret", payment_id=ref,
                                                 amount=1, currency="USD")
        self.assertEqual(self.shop("POST", "/callbacks/ecommpay", data=wrong_amount).status_code,
                         200)
        doc = self.order(order_id)
        self.assertEqual((doc["status"], doc["callbacks"][0]["applied"]), ("pending", False))

    # callbacks: tampered, duplicate, out of order

    def test_tampered_paycore_callback_changes_nothing(self) -> None:
        order_id = self.new_test_order("pending")
        doc = self.wait_for(order_id, lambda d: len(d["callbacks"]) == 2)
        real = self.delivered(doc["invoice_id"], "process_pending")
        forged = real["body"].replace('"status":"process_pending"', '"status":"processed"')
        self.assertEqual(self.post_paycore(forged.encode(), real["signature"]).status_code, 400)
        self.assertEqual(self.post_paycore(forged.encode(), None).status_code, 400)
        self.assertEqual(self.shop("GET", "/callbacks/paycore").status_code, 405)
        self.assertEqual(self.order(order_id), doc)
        # The untouched bytes still verify (and change nothing: a duplicate).
        self.assertEqual(self.post_paycore(real["body"].encode(), real["signature"]).status_code,
                         200)
        self.assertEqual(self.order(order_id)["callbacks"][-1]["applied"], False)

    def test_duplicate_callback_changes_nothing(self) -> None:
        order_id = self.new_test_order("success")
        doc = self.wait_for(order_id, lambda d: d["status"] == "paid" and len(d["callbacks"]) == 3)
        # The sandbox sends the current state (processed) again.
        r = requests.post(f"{self.base}/__sandbox/invoices/{doc['invoice_id']}/callbacks",
                          timeout=10)
        self.assertEqual(r.status_code, 202, r.text)
        after = self.wait_for(order_id, lambda d: len(d["callbacks"]) == 4)
        self.assertEqual(after["callbacks"][-1]["status"], "processed")
        self.assertFalse(after["callbacks"][-1]["applied"])
        self.assertEqual({k: after[k] for k in ("status", "updated", "invoice_id")},
                         {k: doc[k] for k in ("status", "updated", "invoice_id")})

    def test_out_of_order_callbacks(self) -> None:
        # Callbacks signed exactly as the gateway signs them, sent in a bad order.
        order = Order.objects.create(product="tea", amount="12.50", currency="USD",
                                     gateway="paycore", reference_id="order-ooo-1")
        t = int(time.time())

        def send(status: str, updated: int) -> dict[str, Any]:
            body, headers = testing.paycore_callback(
                "sk_test_sandbox", id="cpi_OUTOFORDER01", status=status, updated=updated,
                reference_id=order.reference_id, amount="12.50", currency="USD")
            self.assertEqual(self.post_paycore(body, headers["X-Signature"]).status_code, 200)
            doc = self.order(order.pk)
            self.assertEqual(doc["callbacks"][-1]["status"], status)
            return doc

        first = send("process_pending", t + 10)  # the invoice's first news: its id
        self.assertEqual((first["status"], first["invoice_id"], first["updated"]),
                         ("pending", "cpi_OUTOFORDER01", t + 10))
        # A later stage of the lifecycle applies, whatever its time says (the ledger's rule).
        paid = send("processed", t + 5)
        self.assertEqual((paid["status"], paid["updated"]), ("paid", t + 5))
        again = send("processed", t + 20)  # the same state again: a duplicate
        self.assertEqual((again["status"], again["updated"]), ("paid", t + 5))
        late = send("process_pending", t + 15)  # an earlier stage: stale
        self.assertEqual((late["status"], late["updated"]), ("paid", t + 5))
        final = send("process_failed", t + 30)  # an outcome never turns into another
        self.assertEqual((final["status"], final["updated"]), ("paid", t + 5))
        refunded = send("refunded", t + 40)
        self.assertEqual(refunded["status"], "refunded")
        replay = send("processed", t + 50)  # an old state replayed after the refund
        self.assertEqual(replay["status"], "refunded")
        self.assertEqual([c["applied"] for c in replay["callbacks"]],
                         [True, True, False, False, False, True, False])

    def test_real_callback_replayed_late(self) -> None:
        order_id = self.new_test_order("success")
        doc = self.wait_for(order_id, lambda d: d["status"] == "paid" and len(d["callbacks"]) == 3)
        pending = self.delivered(doc["invoice_id"], "process_pending")
        r = self.post_paycore(pending["body"].encode(), pending["signature"])
        self.assertEqual(r.status_code, 200)
        after = self.order(order_id)
        self.assertEqual((after["status"], after["updated"]), ("paid", doc["updated"]))
        self.assertEqual((after["callbacks"][-1]["status"], after["callbacks"][-1]["applied"]),
                         ("process_pending", False))

    # reconcile and refund

    def test_reconcile_when_callbacks_are_lost(self) -> None:
        # An order whose payment happened but whose callbacks go to a dead address.
        order = Order.objects.create(product="tea", amount="12.50", currency="USD",
                                     gateway="paycore-test", reference_id="order-lost-1")
        self.assertEqual(self.shop("POST", f"/orders/{order.pk}/reconcile",
                                   headers={"Accept": "application/json"}).json()["reconciled"],
                         {"invoice": None, "applied": False})
        client = polypay.PayCoreClient(base_url=self.base, account_id="coma_sandbox",
                                       api_key="sandbox_api_key")
        invoice = client.create_payment_invoice(
            service="test_usd_test", amount="12.50", currency="USD",
            reference_id=order.reference_id, service_fields={"status": "success"},
            callback_url="http://127.0.0.1:9/nobody-listens")
        self.assertEqual(self.order(order.pk)["status"], "pending")
        r = self.shop("POST", f"/orders/{order.pk}/reconcile")
        self.assertEqual((r.status_code, r.headers["Location"]), (303, f"/orders/{order.pk}"))
        doc = self.order(order.pk)
        self.assertEqual((doc["status"], doc["invoice_id"]), ("paid", invoice.id))
        self.assertEqual(doc["callbacks"], [])
        again = self.shop("POST", f"/orders/{order.pk}/reconcile",
                          headers={"Accept": "application/json"}).json()
        self.assertEqual(again["reconciled"],
                         {"invoice": {"invoice_id": invoice.id, "status": "processed"},
                          "applied": False})

    def test_refund(self) -> None:
        order_id = self.new_test_order("success")
        self.wait_for(order_id, lambda d: d["status"] == "paid")
        r = self.shop("POST", f"/orders/{order_id}/refund", headers={"Accept": "application/json"})
        self.assertEqual(r.status_code, 202, r.text)
        self.assertEqual(r.json()["refund"]["status"], "processed")
        doc = self.wait_for(order_id, lambda d: d["status"] == "refunded")
        self.assertIn(("refunded", True), [(c["status"], c["applied"]) for c in doc["callbacks"]])
        page = self.shop("GET", f"/orders/{order_id}").text
        self.assertIn('<span id="status">Refunded</span>', page)
        self.assertNotIn('id="refund"', page)
        # Not twice: the order is no longer paid.
        self.assertEqual(self.shop("POST", f"/orders/{order_id}/refund").status_code, 409)
        invoice = requests.get(f"{self.base}/__sandbox/invoices/{doc['invoice_id']}",
                               timeout=10).json()
        self.assertEqual(invoice["data"]["resource"]["attributes"]["refunded_amount"], 12.5)

    def test_refund_needs_a_paid_order(self) -> None:
        order_id = self.new_test_order("fail")
        self.wait_for(order_id, lambda d: d["status"] == "failed")
        r = self.shop("POST", f"/orders/{order_id}/refund", headers={"Accept": "application/json"})
        self.assertEqual(r.status_code, 409)
        self.assertEqual(r.json()["order"]["status"], "failed")

    # bad input

    def test_bad_input(self) -> None:
        self.assertEqual(self.buy("paycore", product="nope").status_code, 400)
        self.assertEqual(self.buy("bitcoin").status_code, 400)
        self.assertEqual(self.buy("paycore-test", test_status="maybe").status_code, 400)
        self.assertEqual(self.shop("GET", "/orders/999999.json").status_code, 404)
        self.assertEqual(self.shop("GET", "/products/nope").status_code, 404)
        self.assertEqual(self.shop("GET", "/orders").status_code, 405)
        self.assertEqual(self.post_paycore(b"not json", "x").status_code, 400)
        self.assertEqual(Order.objects.count(), 0)

    def test_pages(self) -> None:
        index = self.shop("GET", "/").text
        self.assertIn('href="/products/tea"', index)
        self.assertIn("12.50 USD", index)
        product = self.shop("GET", "/products/tea").text
        self.assertIn('<select name="gateway" id="gateway">', product)
        for gateway in ("paycore", "paycore-form", "paycore-test", "ecommpay"):
            self.assertIn(f'<option value="{gateway}"', product)
        self.assertIn('<button type="submit" id="pay">Pay</button>', product)
