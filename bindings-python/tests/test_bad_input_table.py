"""The shared bad-input table (tests/bad-input/cases.json) through the Python API: each case
raises its documented exception (class, code, argument), sends nothing to a local listener that
stands in for the gateway (a case with a ``server`` answer: exactly one request, answered with
that canned response), and shows no secret. Also checks that TABLE.md and its copy on the site (docs/project.md) are
up to date."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from decimal import Decimal
from typing import Any, Dict, Iterator, List, Optional

import pytest

import polypay
from polypay import ecommpay, paycore

from .conftest import ROOT

BAD_INPUT = ROOT / "tests" / "bad-input"
TABLE: Dict[str, Any] = json.loads((BAD_INPUT / "cases.json").read_text(encoding="utf-8"))
CASES: List[Dict[str, Any]] = TABLE["cases"]
PYTHON_CLASSES = {
    "invalid_input": "InvalidArgumentError",
    "configuration": "ConfigurationError",
    "signature": "SignatureVerificationError",
    "conflict": "ConflictError",
}


def deep(depth: int) -> Dict[str, Any]:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value  # type: ignore[no-any-return]


def value(v: Any) -> Any:
    """An input value as a Python program would pass it (floats, Decimal NaN, real nesting)."""
    if isinstance(v, dict):
        if "$float" in v:
            return float(v["$float"])
        if "$nan" in v:
            return Decimal("NaN")
        if "$deep" in v:
            return deep(v["$deep"])
        return {k: value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [value(x) for x in v]
    return v


def text(v: Any) -> Any:
    """A string argument; ``$lone_surrogate`` appends U+DCFF, what ``os.environ`` holds for an
    undecodable byte (surrogateescape)."""
    if isinstance(v, dict) and "$lone_surrogate" in v:
        return v["$lone_surrogate"] + "\udcff"
    return v


def body(v: Any) -> Any:
    if isinstance(v, str):
        return v.encode()
    if "$bytes_hex" in v:
        return bytes.fromhex(v["$bytes_hex"])
    if "$repeat" in v:
        return v["$repeat"].encode() * v["count"]
    if "$deep" in v:  # as text: json.dumps would recurse 10,000 deep
        return ('{"a":' * v["$deep"] + '"x"' + "}" * v["$deep"]).encode()
    if "$parsed" in v:
        return json.loads(v["$parsed"])  # what a framework hands over after parsing
    raise AssertionError(f"unknown body {v}")


def read_request(conn: socket.socket) -> None:
    """Reads one request (head and ``Content-Length`` body), so that closing after the answer
    does not reset the connection under unread bytes."""
    conn.settimeout(5)
    data = b""
    while True:
        end = data.find(b"\r\n\r\n")
        if end >= 0:
            length = 0
            for line in data[:end].decode("latin-1").lower().split("\r\n"):
                if line.startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            if len(data) >= end + 4 + length:
                return
        try:
            chunk = conn.recv(4096)
        except OSError:
            return
        if not chunk:
            return
        data += chunk


class Answering:
    """Answers every connection's request with a case's ``server`` status and JSON body
    (``Connection: close``, so connections are requests) until :meth:`finish`."""

    def __init__(self, sock: socket.socket, server: Dict[str, Any]) -> None:
        body = json.dumps(server["body"]).encode()
        self.response = (
            b"HTTP/1.1 %d Canned\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % (server["status"], len(body))
        ) + body
        self.socket = sock
        self.served = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.socket.accept()
            except BlockingIOError:
                self.stop.wait(0.005)
                continue
            with conn:
                read_request(conn)
                conn.sendall(self.response)
                conn.shutdown(socket.SHUT_WR)
            self.served += 1

    def finish(self) -> int:
        self.stop.set()
        self.thread.join()
        return self.served


class Listener:
    """A local port that accepts connections and never answers; counts what reached it. For a
    case with a ``server`` answer, :meth:`answer` serves that canned response meanwhile."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.socket.setblocking(False)
        self.url = "http://127.0.0.1:%d" % self.socket.getsockname()[1]

    def connections(self) -> int:
        n = 0
        while True:
            try:
                conn, _ = self.socket.accept()
            except BlockingIOError:
                return n
            conn.close()
            n += 1

    def answer(self, server: Dict[str, Any]) -> Answering:
        return Answering(self.socket, server)


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.socket.close()


def make_client(options: Dict[str, Any], listener: Listener) -> polypay.PayCoreClient:
    # Were anything sent, the call would end quickly and the connection be counted; a case's own
    # options (timeouts in seconds, as Python takes them) win.
    kwargs: Dict[str, Any] = {"max_retries": 0, "timeout": 2.0, "request_timeout": 1.0}
    kwargs.update({k: value(v) for k, v in options.items()})
    if "base_url" not in kwargs and "env" not in kwargs:
        kwargs["base_url"] = listener.url
    return polypay.PayCoreClient(**kwargs)


def run(case: Dict[str, Any], listener: Listener) -> Any:
    op, i = case["operation"], case["input"]
    if op == "client.new":
        return make_client(i["options"], listener)
    if op.startswith("client."):
        client = make_client({**TABLE["client_defaults"], **i.get("client", {})}, listener)
        # A per-call timeout (seconds): this call's deadline.
        call: Dict[str, Any] = {"timeout": value(i["timeout"])} if "timeout" in i else {}
        if op == "client.create_payment_invoice":
            return client.create_payment_invoice(value(i["request"]), **call)
        if op == "client.refund_payment_invoice":
            return client.refund_payment_invoice(i["id"], **value(i["request"]), **call)
        if op == "client.payment_prerequest":
            return client.payment_prerequest(**value(i["request"]), **call)
        if op == "client.get_payment_invoice":
            return client.get_payment_invoice(i["id"], **call)
    if op == "paycore.verify_callback":
        return paycore.verify_callback(body(i["body"]), text(i["signature"]), text(i["secret"]))
    if op == "paycore.hpp_url":
        extra = {k: i[k] for k in ("env", "base_url") if k in i}
        return paycore.hpp_url(value(i["params"]), **extra)
    if op == "paycore.hpp_form":
        extra = {k: i[k] for k in ("env", "base_url") if k in i}
        return paycore.hpp_form(value(i["params"]), **extra)
    if op == "ecommpay.verify_callback":
        return ecommpay.verify_callback(body(i["body"]), text(i["secret"]))
    if op == "ecommpay.sign":
        return ecommpay.sign(value(i["params"]), text(i["secret"]))
    if op.startswith("ecommpay.gate"):
        gate = polypay.EcommpayGate(i["project_id"], text(i["secret_key"]), i.get("base_url"))
        if op == "ecommpay.gate.payment_page_url":
            return gate.payment_page_url(**value(i["payment"]))
        return gate
    raise AssertionError(f"unknown operation {op}")


def expected(case: Dict[str, Any]) -> Dict[str, Any]:
    e = {**case["expect"], **case.get("python", {})}
    e.setdefault("class", PYTHON_CLASSES[e["kind"]])
    return e


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input(case: Dict[str, Any], listener: Listener) -> None:
    want = expected(case)
    # A case with a `server` answer gets it; every other case is met with silence.
    answering: Optional[Answering] = listener.answer(case["server"]) if "server" in case else None
    try:
        run(case, listener)
    except polypay.PolypayError as e:
        error = e
    except TypeError as e:
        # Python refused the call itself (a required keyword argument): the case says so.
        assert want["class"] == "TypeError", f"not a PolypayError: {e!r}"
        assert want["argument"] in str(e), str(e)
        return
    except Exception as e:  # any other exception is undocumented: show it whole
        pytest.fail(f"not a PolypayError: {e!r}")
    else:
        pytest.fail("did not fail")
    finally:
        served = answering.finish() if answering else 0
    got = (type(error).__name__, error.code)
    assert got == (want["class"], want["code"]), f"{got}: {error!r}"
    assert getattr(polypay, want["class"]) is type(error)
    if "argument" in want:
        # errors.py: every exception carries the argument (or parameter path) it concerns.
        # Python names it its own way (fields[amount], request), so it must be set and named.
        assert error.argument, f"no argument: {error!r}"
        assert error.argument in str(error), repr(error)
    shown = f"{error} {error!r}"
    for secret in TABLE["secrets"]:
        assert secret not in shown
    # `sends: true`: exactly one request (the create, never sent again after the 409).
    sent = served + listener.connections()
    if want.get("sends"):
        assert sent == 1, f"{sent} requests reached the gateway, expected 1"
    else:
        assert sent == 0, "a bad input reached the gateway"


def test_the_listener_counts_a_request_that_is_sent(listener: Listener) -> None:
    client = make_client(TABLE["client_defaults"], listener)
    with pytest.raises(polypay.APITimeoutError):
        client.get_payment_invoice("cpi_BADINPUT")
    assert listener.connections() == 1


def test_the_table_is_complete() -> None:
    assert len(CASES) >= 25
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    for case in CASES:
        assert {"id", "description", "operation", "input", "expect"} <= case.keys(), case["id"]
        assert case["expect"]["kind"] in PYTHON_CLASSES, case["id"]
        # Only a case with a canned answer may reach the gateway, and it must.
        assert ("server" in case) == bool(case["expect"].get("sends")), case["id"]


def test_table_md_is_up_to_date() -> None:
    check = subprocess.run(
        [sys.executable, str(BAD_INPUT / "table.py"), "--check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
