"""The shared bad-input table (tests/bad-input/cases.json) through the Python API: each case
raises its documented exception (class, code, argument), sends nothing to a local listener that
stands in for the gateway, and shows no secret. Also checks that TABLE.md is up to date."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from decimal import Decimal
from typing import Any, Dict, Iterator, List

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


class Listener:
    """A local port that accepts connections and never answers; counts what reached it."""

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


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.socket.close()


def make_client(options: Dict[str, Any], listener: Listener) -> polypay.PayCoreClient:
    kwargs = dict(options)
    if "base_url" not in kwargs and "env" not in kwargs:
        kwargs["base_url"] = listener.url
    # Were anything sent, the call would end quickly and the connection be counted.
    return polypay.PayCoreClient(**kwargs, max_retries=0, timeout=2.0, request_timeout=1.0)


def run(case: Dict[str, Any], listener: Listener) -> Any:
    op, i = case["operation"], case["input"]
    if op == "client.new":
        return make_client(i["options"], listener)
    if op.startswith("client."):
        client = make_client({**TABLE["client_defaults"], **i.get("client", {})}, listener)
        if op == "client.create_payment_invoice":
            return client.create_payment_invoice(value(i["request"]))
        if op == "client.refund_payment_invoice":
            return client.refund_payment_invoice(i["id"], **value(i["request"]))
        if op == "client.payment_prerequest":
            return client.payment_prerequest(**value(i["request"]))
        if op == "client.get_payment_invoice":
            return client.get_payment_invoice(i["id"])
    if op == "paycore.verify_callback":
        return paycore.verify_callback(body(i["body"]), text(i["signature"]), text(i["secret"]))
    if op == "paycore.hpp_url":
        extra = {k: i[k] for k in ("env", "base_url") if k in i}
        return paycore.hpp_url(value(i["params"]), **extra)
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
    try:
        run(case, listener)
    except polypay.PolypayError as e:
        error = e
    except Exception as e:  # any other exception is undocumented: show it whole
        pytest.fail(f"not a PolypayError: {e!r}")
    else:
        pytest.fail("did not fail")
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
    assert listener.connections() == 0, "a bad input reached the gateway"


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


def test_table_md_is_up_to_date() -> None:
    check = subprocess.run(
        [sys.executable, str(BAD_INPUT / "table.py"), "--check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
