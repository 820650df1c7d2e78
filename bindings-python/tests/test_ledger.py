"""Exactly-once callbacks in a real Django site run by gunicorn with several worker processes
behind one URL, on SQLite and on PostgreSQL (a throwaway cluster started by
tests/postgres/with-postgres, which `make test-python` runs pytest under).

Hundreds of signed callbacks, each state delivered one to three times, shuffled, from 16
threads at once, while the shop's handler fails after writing 20% of the time (a failed delivery
is retried, as a gateway does). Afterwards: each state change was applied exactly once, no
entity moved backwards, every entity ends in its last state, and every 200 that applied a change
was sent after that change had committed (checked from another connection as the answer
arrives)."""

from __future__ import annotations

import contextlib
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

import polypay

SITE = Path(__file__).resolve().parent / "ledger_site"
ROOT = Path(__file__).resolve().parents[2]
PAYCORE_SECRET = "sk_test_ledger"
ECOMMPAY_SECRET = "ecommpay_ledger_secret"
WORKERS = 4

# Lifecycles the deliveries follow (each a path through the gateway's documented statuses).
PAYCORE_PATHS = [
    ["created", "process_pending", "processed", "refunded"],
    ["created", "processing", "process_failed"],
    ["created", "processed", "partially_refunded"],
]
ECOMMPAY_PATHS = [
    ["processing", "awaiting 3ds result", "success", "refunded"],
    ["processing", "decline"],
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def paycore_body(invoice: str, status: str, at: int) -> Tuple[bytes, Dict[str, str]]:
    updated = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(at))
    body = json.dumps({"data": {"type": "payment-invoices", "id": invoice, "attributes": {
        "status": status, "updated": updated, "amount": 10, "currency": "USD",
        "reference_id": f"ref-{invoice}"}}}).encode()
    return body, {"X-Signature": polypay.paycore.sign_callback(body, PAYCORE_SECRET)}


def ecommpay_body(payment: str, status: str, at: int) -> Tuple[bytes, Dict[str, str]]:
    date = time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(at))
    doc: Dict[str, Any] = {"project_id": 1, "payment": {"id": payment, "status": status,
                                                        "date": date}}
    doc["signature"] = polypay.ecommpay.sign(doc, ECOMMPAY_SECRET)
    return json.dumps(doc).encode(), {}


class Database:
    """The site's database, read from the test's side (another connection)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def rows(self, sql: str, *args: Any) -> List[Tuple[Any, ...]]:
        if self.url.startswith("sqlite:"):
            with sqlite3.connect(self.url[len("sqlite://"):], timeout=30) as conn:
                return list(conn.execute(sql.replace("%s", "?"), args))
        import psycopg

        with psycopg.connect(self.url) as conn:
            cursor = conn.execute(sql, args)
            return cursor.fetchall() if cursor.description else []


SERVERS = {
    "django": [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--log-level",
               "warning", "wsgi:application", "--bind"],
    "flask": [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--log-level",
              "warning", "flask_app:app", "--bind"],
    "fastapi": [sys.executable, "-m", "uvicorn", "--workers", str(WORKERS), "--log-level",
                "warning", "fastapi_app:app", "--host", "127.0.0.1", "--port"],
}
TABLES = {
    "django": [sys.executable, "-m", "django", "migrate", "-v0", "--run-syncdb"],
    "flask": [sys.executable, "-c", "import sa_shop; sa_shop.create_tables()"],
}
TABLES["fastapi"] = TABLES["flask"]


def database_url(engine: str, tmp_path: Path) -> str:
    if engine == "sqlite":
        return f"sqlite://{tmp_path / 'shop.sqlite3'}"
    url = os.environ.get("DATABASE_URL", "")
    assert url.startswith("postgresql://"), (
        "no PostgreSQL: run the tests under tests/postgres/with-postgres (make test-python "
        "does), which starts a throwaway cluster and sets DATABASE_URL"
    )
    Database(url).rows("DROP TABLE IF EXISTS polypay_callback_ledger, ledger_shop_statechange, "
                       "ledger_shop_absorbed, django_migrations")
    return url


@contextlib.contextmanager
def running_site(framework: str, url: str, **env_extra: str) -> Iterator[str]:
    """The site on a free port, WORKERS processes behind it; yields its base URL."""
    env = dict(os.environ, LEDGER_DATABASE_URL=url, LEDGER_FAIL_RATE="0.2",
               DJANGO_SETTINGS_MODULE="settings", PYTHONPATH=str(SITE), **env_extra)
    subprocess.run(TABLES[framework], env=env, cwd=SITE, check=True)
    port = free_port()
    where = f"127.0.0.1:{port}" if framework != "fastapi" else str(port)
    server = subprocess.Popen(SERVERS[framework] + [where], env=env, cwd=SITE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/callbacks/paycore", timeout=1)
        except urllib.error.HTTPError:
            break  # 405 for a GET: the site is up
        except OSError:
            assert server.poll() is None and time.monotonic() < deadline, "the site did not start"
            time.sleep(0.2)
    try:
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(params=[(framework, engine) for framework in SERVERS
                        for engine in ("sqlite", "postgresql")],
                ids=lambda p: "-".join(p))
def site(request: pytest.FixtureRequest, tmp_path: Path):
    framework, engine = request.param
    url = database_url(engine, tmp_path)
    with running_site(framework, url) as base:
        yield base, Database(url), framework, engine


Delivery = Tuple[str, str, str, str, int, Callable[[str, str, int], Tuple[bytes, Dict[str, str]]]]


def deliver_all(base: str, db: Database, deliveries: List[Delivery]) -> Counter:
    """Posts every delivery until it gets a 200 (16 threads); returns what the answers said."""
    seen: Counter = Counter()
    lock = threading.Lock()

    def post(delivery: Delivery) -> None:
        route, kind, entity, status, at, build = delivery
        body, headers = build(entity, status, at)
        while True:
            request = urllib.request.Request(base + route, data=body, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    verdict = answer.headers["Polypay-Verdict"]
            except urllib.error.HTTPError as error:
                assert error.code == 500, error.code
                with lock:
                    seen["handler failed"] += 1
                continue
            if verdict == "apply":
                # Acknowledged only once committed: another connection sees it already.
                found = db.rows("SELECT count(*) FROM ledger_shop_statechange WHERE "
                                "kind = %s AND entity_id = %s AND status = %s",
                                kind, entity, status)
                assert found[0][0] == 1, (entity, status, found)
            with lock:
                seen[verdict] += 1
            return

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(post, deliveries))
    seen["deliveries"] = len(deliveries)
    return seen


def test_every_state_change_is_applied_exactly_once_across_workers(site) -> None:
    base, db, framework, engine = site
    rng = random.Random(18)
    deliveries: List[Delivery] = []
    order: Dict[Tuple[str, str], List[str]] = {}
    start = 1_900_000_000
    for n in range(120):
        paycore = n % 4 != 3
        kind = "paycore.payment" if paycore else "ecommpay.payment"
        route = "/callbacks/paycore" if paycore else "/callbacks/ecommpay"
        if paycore and framework == "django" and n % 2:
            route = "/callbacks/paycore-async"
        entity = f"cpi_{n}" if paycore else f"order-{n}"
        lifecycle = rng.choice(PAYCORE_PATHS if paycore else ECOMMPAY_PATHS)
        build = paycore_body if paycore else ecommpay_body
        for step, status in enumerate(lifecycle):
            for _ in range(rng.randint(1, 3)):  # duplicates
                deliveries.append((route, kind, entity, status, start + n * 10 + step, build))
        order[(kind, entity)] = lifecycle
    rng.shuffle(deliveries)  # reordered
    seen = deliver_all(base, db, deliveries)

    ledger = {(k, e): s for k, e, s in db.rows(
        "SELECT kind, entity_id, status FROM polypay_callback_ledger")}
    changes = db.rows("SELECT kind, entity_id, status FROM ledger_shop_statechange ORDER BY id")
    # Exactly once: no state change recorded twice (a failed handler's row was rolled back).
    assert len(changes) == len(set(changes))
    assert ledger == {key: lifecycle[-1] for key, lifecycle in order.items()}, (
        "every entity ends in the last state of its lifecycle")
    # Never backwards: each entity's changes follow its lifecycle's order.
    for key, lifecycle in order.items():
        steps = [lifecycle.index(s) for k, e, s in changes if (k, e) == key]
        assert steps == sorted(steps), (key, steps)
    assert seen["apply"] == len(changes)
    assert seen["duplicate"] > 0 and seen["stale"] > 0 and seen["handler failed"] > 0
    assert seen["apply"] + seen["duplicate"] + seen["stale"] == seen["deliveries"]
    figures = dict(seen, framework=framework, engine=engine, workers=WORKERS,
                   entities=len(order))
    out = ROOT / "target" / "ledger"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{framework}-{engine}.json").write_text(json.dumps(figures, indent=1) + "\n")
    print(figures)


def test_callbacks_carry_their_ledger_event_and_the_rule_decides() -> None:
    body, headers = paycore_body("cpi_7", "SUCCESSFUL", 1_900_000_000)
    event = polypay.paycore.verify_callback(body, headers["X-Signature"], PAYCORE_SECRET)
    assert event.ledger_event == polypay.LedgerEvent("paycore.payment", "cpi_7", "processed",
                                                     1_900_000_000)
    assert event.ledger_event.decide() == "apply"
    assert event.ledger_event.decide("processed", 1_900_000_000) == "duplicate"
    assert event.ledger_event.decide("refunded", 1_800_000_000) == "stale"
    body, _ = ecommpay_body("order-7", "partially refunded", 1_900_000_000)
    callback = polypay.ecommpay.verify_callback(body, ECOMMPAY_SECRET)
    assert callback.ledger_event is not None
    assert (callback.ledger_event.kind, callback.ledger_event.entity_id) == (
        "ecommpay.payment", "order-7")
    # A second partial refund (newer) applies; the first one replayed is a duplicate.
    assert callback.ledger_event.decide("partially refunded", 1_899_999_000) == "apply"
    assert callback.ledger_event.decide("partially refunded", 1_900_000_000) == "duplicate"


@pytest.mark.parametrize("kind, entity, status, code", [
    ("paycore", "cpi_1", "processed", "unknown_kind"),
    ("paycore.payment", "", "processed", "missing"),
    ("paycore.payment", "cpi_1", " ", "missing"),
])
def test_a_bad_ledger_event_is_a_typed_error(kind: str, entity: str, status: str,
                                              code: str) -> None:
    with pytest.raises(polypay.InvalidArgumentError) as raised:
        polypay.LedgerEvent(kind, entity, status)
    assert raised.value.code == code


def test_the_ledger_migration_matches_its_model(tmp_path: Path) -> None:
    env = dict(os.environ, LEDGER_DATABASE_URL=f"sqlite://{tmp_path / 'x.sqlite3'}",
               DJANGO_SETTINGS_MODULE="settings", PYTHONPATH=str(SITE))
    check = subprocess.run(
        [sys.executable, "-m", "django", "makemigrations", "polypay", "--check", "--dry-run"],
        env=env, cwd=SITE, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_on_skip_needs_the_ledger() -> None:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure()
        django.setup()
    from polypay.django import paycore_callback

    with pytest.raises(TypeError, match="exactly_once=True"):
        paycore_callback(on_skip=lambda request, event, verdict: None)(lambda request, event: None)


def test_memory_ledger_applies_once_and_forgets_a_failed_handler() -> None:
    from polypay.ledger import MemoryLedger

    ledger = MemoryLedger()
    event = polypay.LedgerEvent("paycore.payment", "cpi_1", "processed", 10)
    calls: List[str] = []

    def fails(tx: Any) -> None:
        raise RuntimeError("the shop's database is down")

    with pytest.raises(RuntimeError):
        ledger.apply(event, fails)
    assert ledger.last("paycore.payment", "cpi_1") is None
    assert ledger.apply(event, lambda tx: calls.append("first")) == ("apply", None)
    assert ledger.apply(event, lambda tx: calls.append("again")) == ("duplicate", None)
    older = polypay.LedgerEvent("paycore.payment", "cpi_1", "created", 5)
    assert ledger.apply(older, lambda tx: calls.append("older"))[0] == "stale"
    assert calls == ["first"]
    with ThreadPoolExecutor(8) as pool:
        refunds = list(pool.map(
            lambda _: ledger.apply(polypay.LedgerEvent("paycore.payment", "cpi_1", "refunded", 20),
                                   lambda tx: calls.append("refunded"))[0], range(16)))
    assert sorted(Counter(refunds).items()) == [("apply", 1), ("duplicate", 15)]
    assert calls == ["first", "refunded"]


def flask_app(**options: Any):
    import flask

    from polypay.flask import paycore_callback

    app = flask.Flask(__name__)
    seen: List[str] = []

    @app.post("/callbacks/paycore")
    @paycore_callback(**options)
    def paycore(event, *tx):
        seen.append(event.status)

    return app, seen


def test_flask_verifies_with_any_current_key_and_refuses_a_consumed_body() -> None:
    from polypay.ledger import MemoryLedger

    app, seen = flask_app(secret_key=["sk_new", PAYCORE_SECRET], ledger=MemoryLedger())
    client = app.test_client()
    body, headers = paycore_body("cpi_9", "processed", 1_900_000_000)
    answer = client.post("/callbacks/paycore", data=body, headers=headers)
    assert (answer.status_code, answer.headers["Polypay-Verdict"]) == (200, "apply")
    answer = client.post("/callbacks/paycore", data=body, headers=headers)
    assert (answer.status_code, answer.headers["Polypay-Verdict"]) == (200, "duplicate")
    forged = client.post("/callbacks/paycore", data=body.replace(b"processed", b"refunded"),
                         headers=headers)
    assert forged.status_code == 400
    assert seen == ["processed"]

    # Only keys of other accounts: refused as a bad signature.
    other, _ = flask_app(secret_key=lambda request: ["sk_other"])
    assert other.test_client().post("/callbacks/paycore", data=body,
                                    headers=headers).status_code == 400
    # No key at all: a configuration error, never a silent 200.
    none, _ = flask_app(secret_key=lambda request: [])
    none.testing = True
    with pytest.raises(polypay.ConfigurationError):
        none.test_client().post("/callbacks/paycore", data=body, headers=headers)

    consumed, _ = flask_app(secret_key=PAYCORE_SECRET)
    consumed.testing = True
    consumed.before_request(lambda: __import__("flask").request.form and None)
    with pytest.raises(polypay.ConfigurationError, match="request.get_data"):
        consumed.test_client().post("/callbacks/paycore", data={"a": "b"})


def test_starlette_answers_500_when_the_handler_fails_and_applies_the_retry() -> None:
    from starlette.applications import Starlette
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from polypay.ledger import MemoryLedger
    from polypay.starlette import paycore_callback

    failures = [RuntimeError("first attempt fails")]
    seen: List[str] = []

    async def handler(event, tx):
        if failures:
            raise failures.pop()
        seen.append(event.status)

    app = Starlette(routes=[Route("/cb", paycore_callback(
        handler, secret_key=PAYCORE_SECRET, ledger=MemoryLedger()), methods=["POST"])])
    client = TestClient(app, raise_server_exceptions=False)
    body, headers = paycore_body("cpi_3", "processed", 1_900_000_000)
    assert client.post("/cb", content=body, headers=headers).status_code == 500
    answer = client.post("/cb", content=body, headers=headers)
    assert (answer.status_code, answer.headers["polypay-verdict"]) == (200, "apply")
    assert client.post("/cb", content=body, headers=headers).headers["polypay-verdict"] == (
        "duplicate")
    assert client.post("/cb", content=b"{}", headers=headers).status_code == 400
    assert seen == ["processed"]


# Orders the sandbox pays (and refunds) in the sandbox-delivered test.
INVOICES = 300

# Where each status the sandbox's payment invoices pass through sits in the lifecycle.
STAGE = {"created": 0, "process_pending": 1, "processed": 2, "process_failed": 2,
         "partially_refunded": 4, "refunded": 5}


@pytest.mark.parametrize("engine", ["postgresql"])
def test_the_sandbox_delivers_duplicated_reordered_concurrent_callbacks(
        engine: str, tmp_path: Path, sandbox_time_scaled: Any) -> None:
    """The gateway side is `polypay sandbox` itself: its payment invoices go through their
    lifecycle (and refunds), their callbacks go to a Django site of WORKERS processes whose
    handler fails 20% of the time (the sandbox retries), and then the sandbox replays every
    callback it sent twice more, shuffled and all at once."""
    sandbox = sandbox_time_scaled
    url = database_url(engine, tmp_path)
    secret = sandbox.paycore["secret_key_test"]
    with running_site("django", url, LEDGER_PAYCORE_SECRET=secret) as base:
        client = polypay.PayCoreClient(**sandbox.client_kwargs())
        rng = random.Random(180)
        invoices = []
        for n in range(INVOICES):
            outcome = rng.choice(["success", "success", "fail"])
            invoices.append(client.create_payment_invoice(
                service="test_usd_test", amount="10.00", currency="USD",
                service_fields={"status": outcome}, reference_id=f"ledger-{n}-{rng.random()}",
                callback_url=base + "/callbacks/paycore").id)
        db = Database(url)
        deadline = time.monotonic() + 60
        while any(client.get_payment_invoice(i).status not in ("processed", "process_failed")
                  for i in invoices):
            assert time.monotonic() < deadline, "the sandbox's test payments did not finish"
            time.sleep(0.2)
        settle(sandbox)
        for invoice in invoices:
            status = client.get_payment_invoice(invoice).status
            if status == "processed" and rng.random() < 0.5:
                then = rng.choice(["partially_refunded", "refunded"])
                sandbox.admin("POST", f"/invoices/{invoice}/status", json={"status": then})
        settle(sandbox)
        for invoice in invoices:
            sandbox.admin("POST", f"/invoices/{invoice}/callbacks", json={
                "replay": True, "copies": 2, "order": "shuffle", "concurrent": True})
        settle(sandbox)

        final = {i: client.get_payment_invoice(i).status for i in invoices}
        ledger = {e: s for k, e, s in db.rows(
            "SELECT kind, entity_id, status FROM polypay_callback_ledger")}
        changes = db.rows("SELECT entity_id, status FROM ledger_shop_statechange ORDER BY id")
        absorbed = Counter(v for (v,) in db.rows("SELECT verdict FROM ledger_shop_absorbed"))
    assert ledger == final, "every invoice ends in the sandbox's last state"
    assert len(changes) == len(set(changes)), "a state change applied twice"
    for invoice in invoices:
        stages = [STAGE[s] for e, s in changes if e == invoice]
        assert stages == sorted(stages) and len(set(stages)) == len(stages), (invoice, stages)
    callbacks = sandbox.stats()["callbacks"]
    assert callbacks["exhausted"] == 0 and callbacks["pending"] == 0
    assert callbacks["failed_attempts"] > 0 and absorbed["duplicate"] > 0 and absorbed["stale"] > 0
    assert callbacks["delivered"] == len(changes) + absorbed["duplicate"] + absorbed["stale"]
    figures = {"framework": "django (sandbox delivering)", "engine": engine, "workers": WORKERS,
               "entities": len(invoices), "deliveries": callbacks["delivered"],
               "apply": len(changes), "duplicate": absorbed["duplicate"],
               "stale": absorbed["stale"], "handler failed": callbacks["failed_attempts"]}
    out = ROOT / "target" / "ledger"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"django-sandbox-{engine}.json").write_text(json.dumps(figures, indent=1) + "\n")
    print(figures)


@pytest.fixture()
def sandbox_time_scaled() -> Iterator[Any]:
    """A sandbox of its own whose callback retries come after milliseconds, not minutes."""
    from .conftest import Sandbox

    binary = os.environ.get("POLYPAY_BIN") or str(ROOT / "target" / "debug" / "polypay")
    proc = subprocess.Popen([binary, "sandbox", "--port", "0", "--print-config",
                             "--time-scale", "0.0005"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    try:
        yield Sandbox(json.loads(line))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def settle(sandbox: Any, timeout: float = 120) -> None:
    """Waits until the sandbox has no callback waiting or being retried."""
    deadline = time.monotonic() + timeout
    while sandbox.stats()["callbacks"]["pending"] > 0:
        assert time.monotonic() < deadline, sandbox.stats()["callbacks"]
        time.sleep(0.1)
