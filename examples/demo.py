#!/usr/bin/env python3
"""`make demo`, the apps part: real merchant apps against `polypay sandbox`, driven over HTTP as a
browser would drive them.

For each shop (Express, Django) it starts a sandbox whose callback URL is that shop's, starts the
shop, and runs the flows: card payment with 3-D Secure (hosted page link), declined card (the
auto-redirect form), test-service payment, ecommpay payment and its refund through Gate, refund, and, on
Express, a payout.
Every page is fetched and every form submitted from the HTML the servers return (hidden fields,
CSRF tokens and cookies included); redirects are followed one by one, as a browser does. Then it
waits for the shop's verified callbacks, compares them with the sandbox's delivery log, and
checks the final state on both sides. The Kotlin console program runs meanwhile against a third
sandbox. Exits non-zero on any mismatch.

Usage: demo.py [--shops express,django] [--no-kotlin]   (run with target/venv-python/bin/python)
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
POLYPAY = Path(os.environ.get("POLYPAY_BIN", ROOT / "target" / "debug" / "polypay"))
PYTHON = os.environ.get("DEMO_PYTHON", sys.executable)
WAIT = 20.0  # seconds a callback or a status may take

BOLD, GREEN, RED, DIM, RESET = (
    ("\033[1m", "\033[32m", "\033[31m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("",) * 5
)


class Mismatch(Exception):
    """What the demo observed differs from what it expected."""


# ----------------------------------------------------------------------------------- HTML forms


@dataclass
class Form:
    id: str | None
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # what a browser would send as is
    buttons: list[dict[str, str]] = field(default_factory=list)
    selects: dict[str, list[str]] = field(default_factory=dict)


class Page(HTMLParser):
    """The forms, links and element texts by id of an HTML page."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self.text_by_id: dict[str, str] = {}
        self._form: Form | None = None
        self._select: str | None = None
        self._open_ids: list[tuple[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self._open_ids.append((tag, a["id"]))
            self.text_by_id.setdefault(a["id"], "")
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "form":
            self._form = Form(a.get("id"), a.get("action", ""), a.get("method", "get").upper())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind not in ("submit", "button", "checkbox", "radio") or "checked" in a:
                self._form.fields[a["name"]] = a.get("value", "")
        elif tag == "button":
            self._form.buttons.append(a)
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form.selects[self._select] = []
        elif tag == "option" and self._select:
            value = a.get("value", "")
            self._form.selects[self._select].append(value)
            if "selected" in a or self._select not in self._form.fields:
                self._form.fields[self._select] = value

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        if self._open_ids and self._open_ids[-1][0] == tag:
            self._open_ids.pop()

    def handle_data(self, data):
        for _, element_id in self._open_ids:
            self.text_by_id[element_id] += data

    def form(self, predicate, what: str) -> Form:
        for f in self.forms:
            if predicate(f):
                return f
        raise Mismatch(f"no {what} on the page (forms: {[f.id or f.action for f in self.forms]})")


# --------------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sandbox:
    def __init__(self, callback_url: str | None, log: Path):
        args = [str(POLYPAY), "sandbox", "--port", "0", "--print-config", "--time-scale", "0.01"]
        if callback_url:
            args += ["--callback-url", callback_url]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log.open("wb"), text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise Mismatch(f"the sandbox did not start (see {log})")
        self.config = json.loads(line)
        self.base_url = self.config["base_url"]

    def admin(self, method: str, path: str, **kw):
        r = requests.request(method, f"{self.base_url}/__sandbox{path}", timeout=10, **kw)
        r.raise_for_status()
        return json.loads(r.text, parse_float=Decimal)  # money stays exact

    def invoice(self, invoice_id: str) -> dict:
        return self.admin("GET", f"/invoices/{invoice_id}")["data"]["resource"]["attributes"]

    def delivered(self, invoice_id: str) -> list[dict]:
        """Callbacks the receiver answered with 200, oldest first."""
        log = self.admin("GET", f"/callbacks?invoice_id={invoice_id}&limit=100")["data"]
        done = [{**d, "at": float(d["at"])} for d in log if d["response_code"] == 200]
        return sorted(done, key=lambda d: d["at"])

    def stop(self):
        stop(self.proc)


def stop(proc: subprocess.Popen):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class ShopSpec:
    name: str
    command: list[str]
    env: dict[str, str]
    payouts: bool


def shop_specs(tmp: Path) -> dict[str, ShopSpec]:
    return {
        "express": ShopSpec("Express shop", ["node", str(ROOT / "examples/express-shop/server.js")], {}, True),
        "django": ShopSpec(
            "Django shop",
            [str(ROOT / "examples/django-shop/run.sh")],
            {"PYTHON": PYTHON, "SHOP_DATABASE": str(tmp / "django-shop.sqlite3")},
            False,
        ),
    }


class Shop:
    def __init__(self, spec: ShopSpec, tmp: Path):
        self.spec = spec
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sandbox = Sandbox(f"{self.url}/callbacks/paycore", tmp / f"sandbox-{self.port}.log")
        self.log = tmp / f"shop-{self.port}.log"
        env = {
            **os.environ,
            **spec.env,
            "PORT": str(self.port),
            "SHOP_BASE_URL": self.url,
            "PAYCORE_BASE_URL": self.sandbox.base_url,
        }
        self.proc = subprocess.Popen(
            spec.command, env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
        )
        until = time.monotonic() + 60
        while True:
            try:
                if requests.get(self.url + "/", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if self.proc.poll() is not None or time.monotonic() > until:
                raise Mismatch(f"{spec.name} did not start: {shlex.join(spec.command)}\n{self.log.read_text()[-2000:]}")
            time.sleep(0.1)

    def stop(self):
        stop(self.proc)
        self.sandbox.stop()


# ------------------------------------------------------------------------------------- report


class Flow:
    """One flow's steps, printed as they happen."""

    def __init__(self, title: str):
        self.title = title
        self.t0 = time.monotonic()
        self.wall0 = time.time()
        print(f"\n{BOLD}-- {title}{RESET}")

    def step(self, text: str, started: float | None = None):
        ms = f"{(time.monotonic() - started) * 1000:7.0f} ms" if started is not None else " " * 10
        print(f"   {ms}  {text}")

    def note(self, text: str):
        print(f"   {' ' * 10}  {DIM}{text}{RESET}")


def short(url: str, shop: Shop) -> str:
    parts = urlsplit(url)
    where = "shop" if parts.port == shop.port else "sandbox"
    path = parts.path + (f"?{parts.query[:48]}{'…' if len(parts.query) > 48 else ''}" if parts.query else "")
    return f"{where} {path}"


class Browser:
    """A cookie-keeping client that follows redirects one at a time, reporting each request."""

    def __init__(self, shop: Shop, flow: Flow):
        self.http = requests.Session()
        self.shop, self.flow = shop, flow

    def request(self, method: str, url: str, data: dict | None = None, note: str = "") -> requests.Response:
        started = time.monotonic()
        r = self.http.request(method, url, data=data, allow_redirects=False, timeout=30)
        where = f" → {short(urljoin(url, r.headers['location']), self.shop)}" if r.is_redirect else ""
        self.flow.step(f"{method} {short(url, self.shop)}{note}  {r.status_code}{where}", started)
        if r.status_code >= 400:
            raise Mismatch(f"{method} {url}: HTTP {r.status_code}: {r.text[:300]}")
        return r

    def follow(self, r: requests.Response) -> requests.Response:
        """Follows 30x like a browser (303 → GET), up to the first page that is not a redirect."""
        for _ in range(10):
            if not r.is_redirect:
                return r
            r = self.request("GET", urljoin(r.url, r.headers["location"]))
        raise Mismatch("too many redirects")

    def submit(
        self,
        page_url: str,
        form: Form,
        values: dict[str, str] | None = None,
        button: dict | None = None,
        note: str = "",
    ) -> requests.Response:
        data = {**form.fields, **(values or {})}
        if button and button.get("name"):
            data[button["name"]] = button.get("value", "")
        return self.request(form.method, urljoin(page_url, form.action or page_url), data, note)


# -------------------------------------------------------------------------------------- flows


CARDS = {"3ds_success": "5123817234060000", "success": "5519283812030000", "fail": "4302912837020000"}


def order_json(shop: Shop, order_id: str) -> dict:
    r = requests.get(f"{shop.url}/orders/{order_id}.json", timeout=10)
    r.raise_for_status()
    return r.json()


def wait_until(what: str, probe, timeout: float = WAIT):
    until = time.monotonic() + timeout
    last = None
    while time.monotonic() < until:
        ok, last = probe()
        if ok:
            return last
        time.sleep(0.05)
    raise Mismatch(f"timed out after {timeout:.0f} s waiting for {what}; last seen: {str(last)[:400]}")


def place_order(b: Browser, gateway: str, product: int, test_status: str | None = None) -> requests.Response:
    """Shop home → the product-th product's page (as listed) → the Pay form with the gateway chosen."""
    shop = b.shop
    home = b.request("GET", shop.url + "/")
    links = list(dict.fromkeys(h for h in Page(home.text).links if "/products/" in h))
    if not links:
        raise Mismatch("no product links on the home page")
    product_url = urljoin(home.url, links[product % len(links)])
    page = Page(b.request("GET", product_url).text)
    form = page.form(lambda f: f.action.endswith("/orders"), "order form")
    if gateway not in form.selects.get("gateway", []):
        raise Mismatch(f"gateway {gateway} not offered: {form.selects.get('gateway')}")
    values = {"gateway": gateway}
    if test_status:
        values["test_status"] = test_status
    sku = urlsplit(product_url).path.rstrip("/").split("/")[-1]
    return b.submit(product_url, form, values, note=f" (product={sku}, gateway={gateway})")


def pay_on_hosted_page(b: Browser, r: requests.Response, card: str) -> requests.Response:
    """From the order's redirect (or the auto-redirect form page) to the shop's return URL."""
    if r.status_code == 200:  # the auto-redirect form: a browser submits it
        page = Page(r.text)
        form = page.form(lambda f: f.method == "POST", "auto-redirect form")
        b.flow.note(f"auto-redirect form to {form.action} with {len(form.fields)} fields")
        r = b.submit(r.url, form)
    r = b.follow(r)
    page = Page(r.text)
    form = page.form(lambda f: "card_number" in f.fields, "card form")
    card_data = {
        "card_number": card,
        "expiry_month": "12",
        "expiry_year": "30",
        "cvv": "123",
        "card_holder": "JANE DOE",
    }
    r = b.submit(r.url, form, card_data, note=f" (card {card[:4]}…{card[-4:]})")
    location = urljoin(r.url, r.headers.get("location", ""))
    if "/3ds/" in urlsplit(location).path:
        r = b.request("GET", location)
        page = Page(r.text)
        form = page.form(lambda f: any(x.get("id") == "confirm" for x in f.buttons), "3-D Secure form")
        confirm = next(x for x in form.buttons if x.get("id") == "confirm")
        r = b.submit(r.url, form, button=confirm, note=" (3-D Secure: Confirm)")
    return r


def land_on_order(b: Browser, r: requests.Response) -> str:
    """Follows to the shop's order page; returns the order id."""
    r = b.follow(r)
    parts = urlsplit(r.url)
    if parts.port != b.shop.port or not parts.path.startswith("/orders/"):
        raise Mismatch(f"expected to land on the shop's order page, got {r.url}")
    shown = Page(r.text).text_by_id.get("status", "?").strip()
    b.flow.note(f"order page shows status {shown!r} (callbacks may still be on their way)")
    return parts.path.split("/")[2]


def check_callbacks(
    flow: Flow, shop: Shop, order_id: str, expect_status: str, gateway_id_of, gateway_status: str, extra: int = 0
) -> dict:
    """Waits for the order's final status and for its callbacks to match the sandbox's delivery log."""
    started = time.monotonic()

    def probe():
        o = order_json(shop, order_id)
        gid = gateway_id_of(o)
        if o["status"] != expect_status or not gid:
            return False, o
        delivered = shop.sandbox.delivered(gid)
        same = [c["status"] for c in o["callbacks"]] == [d["transaction_status"] for d in delivered]
        return same and len(delivered) >= extra, (o, delivered)

    o, delivered = wait_until(f"order {order_id} {expect_status} with every delivered callback recorded", probe)
    flow.step(f"shop order {order_id}: {expect_status}, {len(o['callbacks'])} callbacks recorded", started)
    for c, d in zip(o["callbacks"], delivered, strict=True):
        at = d["at"] - flow.wall0
        flow.note(
            f"callback {c['status']:<16} delivered {at:+6.2f} s, HTTP 200 (signature verified by the shop), "
            f"applied={'yes' if c['applied'] else 'no'}"
        )
    last = o["callbacks"][-1] if o["callbacks"] else {}
    expect(
        extra or (last.get("status") == delivered[-1]["transaction_status"] and last.get("applied")),
        f"the callback that brought {expect_status} was not applied: {o['callbacks']}",
    )
    gid = gateway_id_of(o)
    if gateway_status:
        side = shop.sandbox.invoice(gid)
        if side["status"] != gateway_status:
            raise Mismatch(f"sandbox invoice {gid} is {side['status']}, expected {gateway_status}")
        expect(
            Decimal(o["amount"]) == side["amount"] and o["currency"] == side["currency"],
            f"amounts differ: shop {o['amount']} {o['currency']}, sandbox {side['amount']} {side['currency']}",
        )
        flow.step(
            f"sandbox invoice {gid}: {side['status']}, {side['amount']} {side['currency']} (= the shop's {o['amount']})"
        )
    return o


def expect(condition: bool, message: str):
    if not condition:
        raise Mismatch(message)


def flow_card_success(shop: Shop, state: dict):
    flow = Flow(f"{shop.spec.name}: card payment with 3-D Secure (hosted page link)")
    b = Browser(shop, flow)
    r = place_order(b, "paycore", 0)
    order_id = land_on_order(b, pay_on_hosted_page(b, r, CARDS["3ds_success"]))
    o = check_callbacks(flow, shop, order_id, "paid", lambda o: o["invoice_id"], "processed")
    # The gateway sends the last callback again: listed, not applied, nothing changes.
    started = time.monotonic()
    shop.sandbox.admin("POST", f"/invoices/{o['invoice_id']}/callbacks")
    again = check_callbacks(flow, shop, order_id, "paid", lambda o: o["invoice_id"], "", extra=len(o["callbacks"]) + 1)
    last = again["callbacks"][-1]
    expect(
        len(again["callbacks"]) == len(o["callbacks"]) + 1 and not last["applied"],
        f"re-sent callback: {again['callbacks']}",
    )
    flow.step(
        f"duplicate {last['status']} callback re-sent by the gateway: recorded, applied=no, order still paid", started
    )
    # The gateway replays every callback it sent, newest first: each one is now a duplicate or
    # older than what the shop applied, and polypay's ledger absorbs it.
    started = time.monotonic()
    replay = {"replay": True, "order": "reverse"}
    queued = shop.sandbox.admin("POST", f"/invoices/{o['invoice_id']}/callbacks", json=replay)["queued"]
    seen = len(again["callbacks"])
    replayed = check_callbacks(flow, shop, order_id, "paid", lambda o: o["invoice_id"], "", extra=seen + queued)
    new = replayed["callbacks"][seen:]
    expect(len(new) == queued and not any(c["applied"] for c in new), f"replayed callbacks: {new}")
    flow.step(
        f"{queued} earlier callbacks replayed newest first ({', '.join(c['status'] for c in new)}): "
        "the ledger absorbed each as a duplicate or stale, order still paid",
        started,
    )
    state["refundable"] = order_id
    return flow


def flow_card_declined(shop: Shop, state: dict):
    flow = Flow(f"{shop.spec.name}: declined card (auto-redirect form)")
    b = Browser(shop, flow)
    r = place_order(b, "paycore-form", 1)
    expect(r.status_code == 200, f"paycore-form: expected the form page (200), got {r.status_code}")
    order_id = land_on_order(b, pay_on_hosted_page(b, r, CARDS["fail"]))
    check_callbacks(flow, shop, order_id, "failed", lambda o: o["invoice_id"], "process_failed")
    return flow


def flow_test_service(shop: Shop, state: dict):
    flow = Flow(f"{shop.spec.name}: test-service payment (private API, test_usd_test)")
    b = Browser(shop, flow)
    r = place_order(b, "paycore-test", 2, test_status="success")
    order_id = land_on_order(b, r)
    check_callbacks(flow, shop, order_id, "paid", lambda o: o["invoice_id"], "processed")
    return flow


def flow_ecommpay(shop: Shop, state: dict):
    flow = Flow(f"{shop.spec.name}: ecommpay Payment Page")
    b = Browser(shop, flow)
    r = place_order(b, "ecommpay", 0)
    expect(r.is_redirect and "/ecommpay/payment?" in r.headers["location"], "expected a 303 to the Payment Page")
    expect("signature=" in r.headers["location"], "the Payment Page URL is not signed")
    order_id = land_on_order(b, pay_on_hosted_page(b, r, CARDS["success"]))
    o = check_callbacks(flow, shop, order_id, "paid", lambda o: o["reference_id"], "")
    payments = shop.sandbox.admin("GET", "/ecommpay/payments")["data"]
    sent = next((p for p in payments if p["payment"]["id"] == o["reference_id"]), None)
    expect(sent is not None and sent["payment"]["status"] == "success", f"sandbox ecommpay payment: {sent}")
    minor = Decimal(o["amount"]) * 100  # ecommpay amounts are in minor units
    expect(
        sent["payment"]["sum"] == {"amount": minor, "currency": o["currency"]},
        f"ecommpay sum {sent['payment']['sum']}, shop {o['amount']} {o['currency']}",
    )
    flow.step(
        f"sandbox ecommpay payment {o['reference_id']}: {sent['payment']['status']}, "
        f"{sent['payment']['sum']['amount']} minor units {o['currency']} (= the shop's {o['amount']})"
    )
    state["ecommpay_refundable"] = order_id
    return flow


def flow_ecommpay_refund(shop: Shop, state: dict):
    flow = Flow(f"{shop.spec.name}: refund of the ecommpay payment (Gate API)")
    order_id = state.get("ecommpay_refundable")
    expect(order_id is not None, "no paid ecommpay order to refund (the ecommpay flow failed)")
    b = Browser(shop, flow)
    r = b.request("GET", f"{shop.url}/orders/{order_id}")
    form = Page(r.text).form(lambda f: f.action.rstrip("/").endswith("/refund"), "Refund button")
    b.follow(b.submit(r.url, form, note=" (Refund: the shop sends POST /v2/payment/card/refund)"))
    o = check_callbacks(flow, shop, order_id, "refunded", lambda o: o["reference_id"], "")
    expect(o["callbacks"][-1]["status"] == "refunded" and o["callbacks"][-1]["applied"], f"callbacks {o['callbacks']}")
    # The gateway's own word, by a signed status request: one sale, one refund.
    config = shop.sandbox.config["ecommpay"]
    import polypay

    gate = polypay.EcommpayGateApi(config["project_id"], config["secret_key"], base_url=config["gate_base_url"])
    payment = gate.payment_status(general={"payment_id": o["reference_id"]})
    kinds = [op.type for op in payment.operations]
    expect(payment.status == "refunded" and kinds == ["sale", "refund"], f"Gate status {payment!r}: {kinds}")
    flow.step(f"Gate status of {o['reference_id']}: {payment.status}, operations {', '.join(kinds)} (one refund)")
    return flow


def flow_refund(shop: Shop, state: dict):
    flow = Flow(f"{shop.spec.name}: refund of the card payment (private API)")
    order_id = state.get("refundable")
    expect(order_id is not None, "no paid card order to refund (the card flow failed)")
    b = Browser(shop, flow)
    r = b.request("GET", f"{shop.url}/orders/{order_id}")
    form = Page(r.text).form(lambda f: f.action.rstrip("/").endswith("/refund"), "Refund button")
    b.follow(b.submit(r.url, form, note=" (Refund)"))
    o = check_callbacks(flow, shop, order_id, "refunded", lambda o: o["invoice_id"], "refunded")
    expect(o["callbacks"][-1]["status"] == "refunded" and o["callbacks"][-1]["applied"], f"callbacks {o['callbacks']}")
    return flow


def flow_payout(shop: Shop, state: dict):
    flow = Flow(f"{shop.spec.name}: payout (private API)")
    started = time.monotonic()
    r = requests.post(
        f"{shop.url}/payouts", json={"amount": "5.00", "currency": "USD", "account": "4111111111"}, timeout=30
    )
    flow.step(f"POST shop /payouts {{amount 5.00 USD, account 4111111111}}  {r.status_code}", started)
    expect(r.status_code == 201, f"POST /payouts: {r.status_code} {r.text[:300]}")
    created = r.json()
    started = time.monotonic()

    def probe():
        p = requests.get(f"{shop.url}/payouts/{created['id']}.json", timeout=10).json()
        delivered = shop.sandbox.delivered(created["invoice_id"])
        same = [c["status"] for c in p.get("callbacks", [])] == [d["transaction_status"] for d in delivered]
        return p["status"] == "processed" and same, (p, delivered)

    p, delivered = wait_until(f"payout {created['id']} processed", probe)
    flow.step(f"shop payout {p['id']} ({p['reference_id']}): {p['status']}", started)
    for c, d in zip(p["callbacks"], delivered, strict=True):
        flow.note(
            f"callback {c['status']:<16} delivered {d['at'] - flow.wall0:+6.2f} s, HTTP 200 (signature verified by "
            f"the shop), applied={'yes' if c['applied'] else 'no'}"
        )
    side = shop.sandbox.invoice(created["invoice_id"])
    expect(side["status"] == "processed", f"sandbox payout {created['invoice_id']}: {side['status']}")
    flow.step(
        f"sandbox payout invoice {created['invoice_id']}: {side['status']}, amount {side['amount']} {side['currency']}"
    )
    return flow


FLOWS = [flow_card_success, flow_card_declined, flow_test_service, flow_ecommpay, flow_ecommpay_refund, flow_refund]


# ------------------------------------------------------------------------------------- kotlin


def start_kotlin(tmp: Path):
    """The Kotlin console against its own sandbox (its invoices carry their own callback URL)."""
    sandbox = Sandbox(None, tmp / "sandbox-kotlin.log")
    folder = ROOT / "examples/kotlin-console"
    classpath = (folder / "target/classpath.txt").read_text().strip()
    command = [
        "java",
        f"-Djna.library.path={ROOT / 'target/debug'}",
        "-cp",
        f"{folder / 'target/classes'}:{classpath}",
        "io.polypay.examples.MainKt",
    ]
    env = {**os.environ, "PAYCORE_BASE_URL": sandbox.base_url}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return sandbox, proc, time.monotonic()


def finish_kotlin(sandbox: Sandbox, proc: subprocess.Popen, started: float) -> list[str]:
    flow = Flow("Kotlin console (examples/kotlin-console): test-service payment, then a payout")
    problems = []
    try:
        out, _ = proc.communicate(timeout=120)
        for line in out.splitlines():
            if not line.startswith("RESULT "):
                flow.note(line)
        flow.step(f"program exited with {proc.returncode}", started)
        result = next((json.loads(x[7:]) for x in out.splitlines() if x.startswith("RESULT ")), None)
        if proc.returncode != 0 or result is None:
            raise Mismatch(f"the Kotlin program failed (exit {proc.returncode})")
        for kind in ("payment", "payout"):
            r = result[kind]
            side = sandbox.invoice(r["id"])["status"]
            delivered = [d["transaction_status"] for d in sandbox.delivered(r["id"])]
            if side != "processed" or r["status"] != "processed" or delivered != r["callbacks"]:
                raise Mismatch(
                    f"{kind} {r['id']}: program says {r['status']} {r['callbacks']}, "
                    f"sandbox says {side}, delivered {delivered}"
                )
            flow.step(
                f"{kind} {r['id']}: program {r['status']}, sandbox {side}; "
                f"callbacks verified by the program = delivered by the sandbox ({' -> '.join(delivered)})"
            )
        print(f"   {GREEN}ok{RESET}")
    except (Mismatch, subprocess.TimeoutExpired, requests.RequestException, KeyError) as e:
        print(f"   {RED}FAILED: {e}{RESET}")
        problems.append(f"Kotlin console: {e}")
    finally:
        stop(proc)
        sandbox.stop()
    return problems


# --------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shops", default="express,django")
    parser.add_argument("--no-kotlin", action="store_true")
    args = parser.parse_args()
    begun = time.monotonic()
    results: list[tuple[str, float, str | None]] = []
    tmp = Path(tempfile.mkdtemp(prefix="polypay-demo-"))
    specs = shop_specs(tmp)
    print(f"{BOLD}== polypay apps demo{RESET} (logs in {tmp})")
    kotlin = None if args.no_kotlin else start_kotlin(tmp)
    for key in [s for s in args.shops.split(",") if s]:
        spec = specs[key]
        started = time.monotonic()
        try:
            shop = Shop(spec, tmp)
        except Mismatch as e:
            print(f"\n{RED}{spec.name} FAILED to start: {e}{RESET}")
            results.append((f"{spec.name}: start", 0.0, str(e)))
            continue
        print(
            f"\n{BOLD}== {spec.name} at {shop.url}{RESET} (sandbox {shop.sandbox.base_url}, "
            f"callbacks → {shop.url}/callbacks/paycore; started in {time.monotonic() - started:.1f} s)"
        )
        state: dict = {}
        try:
            for run in FLOWS + ([flow_payout] if spec.payouts else []):
                flow_start = time.monotonic()
                title = run.__name__.removeprefix("flow_").replace("_", " ")
                try:
                    run(shop, state)
                    took = time.monotonic() - flow_start
                    print(f"   {GREEN}ok{RESET} in {took:.2f} s")
                    results.append((f"{spec.name}: {title}", took, None))
                except (Mismatch, requests.RequestException, KeyError, ValueError) as e:
                    took = time.monotonic() - flow_start
                    print(f"   {RED}FAILED: {e}{RESET}")
                    results.append((f"{spec.name}: {title}", took, str(e)))
        finally:
            shop.stop()
    if kotlin:
        sandbox, proc, started = kotlin
        problems = finish_kotlin(sandbox, proc, started)
        results.append(
            ("Kotlin console: payment + payout", time.monotonic() - started, problems[0] if problems else None)
        )

    print(f"\n{BOLD}== Summary{RESET}")
    for name, took, problem in results:
        mark = f"{GREEN}ok    {RESET}" if problem is None else f"{RED}FAILED{RESET}"
        print(f"   {mark} {name:<55} {took:6.2f} s" + (f"  {problem}" if problem else ""))
    failed = sum(1 for r in results if r[2] is not None)
    total = time.monotonic() - begun
    verdict = (
        f"{GREEN}all {len(results)} flows passed{RESET}"
        if not failed
        else f"{RED}{failed} of {len(results)} flows FAILED{RESET}"
    )
    print(f"\n{BOLD}demo finished in {total:.1f} s: {verdict}")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
