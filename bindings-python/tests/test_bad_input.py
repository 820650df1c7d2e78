"""Bad input: each case raises the documented exception, and nothing reaches the sandbox."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, List, Tuple, Type

import pytest

import polypay
from polypay import ecommpay, paycore

from .conftest import Sandbox

GOOD = {"service": "test_usd_test", "amount": "1.00", "currency": "USD"}


def deep(n: int) -> Any:
    value: Any = "x"
    for _ in range(n):
        value = {"k": value}
    return value


def cases(c: Any) -> List[Tuple[str, Callable[[], Any], Type[BaseException], str]]:
    """(id, call, exception class, text the message must contain)."""
    return [
        ("float-amount", lambda: c.create_payment_invoice(GOOD, amount=1.5), TypeError, "Decimal"),
        ("float-refund", lambda: c.refund_payment_invoice("cpi_1", amount=0.1), TypeError, "amount"),
        ("float-prerequest", lambda: c.payment_prerequest(currency="USD", amount=2.5), TypeError, "amount"),
        ("negative-amount", lambda: c.create_payment_invoice(GOOD, amount="-5"), ValueError, "amount"),
        ("zero-amount", lambda: c.create_payment_invoice(GOOD, amount=0), ValueError, "amount"),
        ("too-many-decimals", lambda: c.create_payment_invoice(GOOD, amount=Decimal("1.001")), ValueError, "amount"),
        ("nan-amount", lambda: c.create_payment_invoice(GOOD, amount=Decimal("NaN")), ValueError, "amount"),
        ("bad-currency", lambda: c.create_payment_invoice(GOOD, currency="usd"), ValueError, "currency"),
        ("unknown-currency", lambda: c.create_payment_invoice(GOOD, currency="XXZ"), ValueError, "currency"),
        ("missing-service", lambda: c.create_payment_invoice(amount="1", currency="USD"), ValueError, "service"),
        ("unknown-field", lambda: c.create_payment_invoice(GOOD, colour="red"), ValueError, "colour"),
        ("non-mapping-request", lambda: c.create_payment_invoice([("a", 1)]), TypeError, "request"),
        ("bool-amount", lambda: c.create_payment_invoice(GOOD, amount=True), ValueError, "amount"),
        ("object-amount", lambda: c.create_payment_invoice(GOOD, amount=object()), TypeError, "amount"),
        ("int-key", lambda: c.create_payment_invoice(GOOD, metadata={1: "x"}), TypeError, "keys must be str"),
        ("too-deep", lambda: c.create_payment_invoice(GOOD, metadata=deep(70)), ValueError, "64"),
        ("id-not-str", lambda: c.get_payment_invoice(123), TypeError, "id"),
        ("id-with-slash", lambda: c.get_payment_invoice("../balances"), ValueError, "id"),
        ("negative-timeout", lambda: c.balances(timeout=-1), ValueError, "timeout"),
        ("bad-return-url", lambda: c.create_payment_invoice(GOOD, return_url="javascript:x"), ValueError, "return_url"),
        ("page-size-zero", lambda: c.list_payment_invoices(page_size=0), ValueError, "page_size"),
        ("empty-secret-sign", lambda: paycore.sign_callback(b"{}", ""), ValueError, "secret"),
        ("whitespace-secret", lambda: polypay.EcommpayGate(112, "secret\n"), ValueError, "secret_key"),
        ("empty-secret-verify", lambda: ecommpay.verify_callback(b"{}", ""), ValueError, "secret"),
        ("non-mapping-params", lambda: ecommpay.sign([1, 2], "s"), TypeError, "params"),
        ("parsed-body", lambda: paycore.verify_callback({"data": {}}, "sig", "sk_test_x"), TypeError, "raw request body"),
        ("invalid-utf8-body", lambda: ecommpay.verify_callback(b'{"a":"\xff"}', "secret"), ValueError, "body"),
        ("huge-body", lambda: ecommpay.verify_callback(b" " * (10 * 1024 * 1024 + 1), "secret"), ValueError, "body"),
        ("hpp-float", lambda: paycore.hpp_url({"public_key": "pk_test_x", "amount": 1.5, "currency": "USD"}), TypeError, "Decimal"),
        ("hpp-bad-env", lambda: paycore.hpp_url({"public_key": "pk_test_x", "amount": 1, "currency": "USD"}, env="nowhere"), ValueError, "env"),
        ("inf-float-param", lambda: ecommpay.sign({"a": float("inf")}, "s"), ValueError, "params[a]"),
        ("gate-float-amount", lambda: polypay.EcommpayGate(112, "s").payment_page_url(payment_id="x", payment_amount=35.5), TypeError, "payment_amount"),
        ("gate-bad-currency", lambda: polypay.EcommpayGate(112, "s").payment_page_url(payment_id="x", payment_currency="EURO"), ValueError, "payment_currency"),
        ("gate-project-id-str", lambda: polypay.EcommpayGate("112", "s"), TypeError, "project_id"),  # type: ignore[arg-type]
        ("gate-project-id-bool", lambda: polypay.EcommpayGate(True, "s"), TypeError, "project_id"),
        ("gate-bool-amount", lambda: polypay.EcommpayGate(112, "s").payment_page_url(payment_id="x", payment_amount=True), TypeError, "payment_amount"),
        ("gate-naive-best-before", lambda: polypay.EcommpayGate(112, "s").payment_page_url(payment_id="x", best_before=datetime(2030, 1, 2)), TypeError, "best_before"),
        ("set-key", lambda: ecommpay.sign({"a": {1, 2}}, "s"), TypeError, "params[a]"),
    ]


def test_bad_inputs_raise_and_send_nothing(sb: Sandbox) -> None:
    client = polypay.PayCoreClient(**sb.client_kwargs())
    all_cases = cases(client)
    assert len(all_cases) >= 20
    before = sb.api_requests()
    for name, call, exc, text in all_cases:
        with pytest.raises(exc) as info:
            result = call()
            if hasattr(result, "__next__"):
                next(result)
            pytest.fail(f"{name}: did not raise")
        assert isinstance(info.value, polypay.PolypayError), name
        assert text in str(info.value), (name, str(info.value))
    assert sb.api_requests() == before, "a bad input reached the gateway"


def test_mappings_and_ordered_input() -> None:
    params = OrderedDict([("project_id", 1), ("payment_id", "x")])
    assert ecommpay.sign(params, "s") == ecommpay.sign(dict(params), "s")
    # Big ints stay exact; Decimal keeps its text.
    assert ecommpay.string_to_sign({"n": 2**70}) == "n:1.1805916207174E+21"
    assert ecommpay.string_to_sign({"n": 2**40}) == f"n:{2**40}"
    assert ecommpay.string_to_sign({"d": Decimal("10.50")}) == "d:10.5"
