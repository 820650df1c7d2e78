"""Every case of tests/vectors/*.json through the public Python API."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any, Dict

import pytest

import polypay
from polypay import ecommpay, paycore

from .conftest import load_vectors


def exact(text: str) -> Any:
    """params_json with exact lexemes and order: ints stay ints, other numbers Decimal."""
    return json.loads(text, parse_float=Decimal)


SIGN = load_vectors("ecommpay_sign.json")["cases"]
URL = load_vectors("ecommpay_url.json")["cases"]
ECB = load_vectors("ecommpay_callback.json")["cases"]
NAT = load_vectors("ecommpay_natsort.json")["cases"]
FLOAT = load_vectors("php_float.json")["cases"]
PSIG = load_vectors("paycore_signature.json")
PCB = load_vectors("paycore_callback.json")["cases"]
HPP = load_vectors("paycore_hpp.json")


@pytest.mark.parametrize("case", SIGN, ids=[c["id"] for c in SIGN])
def test_ecommpay_sign(case: Dict[str, Any]) -> None:
    params = exact(case["params_json"])
    assert ecommpay.string_to_sign(params) == case["string_to_sign"]
    assert ecommpay.sign(params, case["secret"]) == case["signature"]


@pytest.mark.parametrize("case", URL, ids=[c["id"] for c in URL])
def test_ecommpay_url(case: Dict[str, Any]) -> None:
    params = exact(case["params_json"])
    url = ecommpay.payment_page_url(params, case["secret"], case["base_url"])
    assert url == case["url"]


@pytest.mark.parametrize("case", ECB, ids=[c["id"] for c in ECB])
def test_ecommpay_callback(case: Dict[str, Any]) -> None:
    body = case["body"].encode("utf-8")
    if case["error"] is None:
        cb = ecommpay.verify_callback(body, case["secret"])
        assert cb.payment_id == case["payment_id"]
        if isinstance(case["payment_status"], str):
            assert cb.payment_status == case["payment_status"] or (
                cb.payment_status is not None
                and cb.payment_status.lower() in ("canceled", "cancelled")
            )
        assert "signature" not in cb.raw
        assert cb.is_success == (case["payment_status"] == "success")
        # The typed members (read in the verifying pass) agree with the parsed body.
        raw = cb.raw

        def member(obj: Any, key: str) -> Any:
            value = obj.get(key) if isinstance(obj, dict) else None
            return str(value) if isinstance(value, (int, Decimal)) and not isinstance(value, bool) else value

        account = raw.get("account")
        token = member(account, "token")
        assert cb.card_token == (token if token is not None else member(raw, "token"))
        assert cb.card_mask == member(account, "number")
        assert cb.customer_id == member(raw.get("customer"), "id")
        assert cb.recurring_id == member(raw.get("recurring"), "id")
        assert cb.payment_method == member(raw.get("payment"), "method")
        if case["id"] == "cb-success":
            assert (cb.card_mask, cb.card_token, cb.payment_method) == ("531234******4321", "c0ffee12ab", "card")
            assert 'card_token="c0ffee12ab"' in repr(cb) and "recurring_id=None" in repr(cb)
    elif case["error"] == "signature":
        with pytest.raises(polypay.SignatureVerificationError):
            ecommpay.verify_callback(body, case["secret"])
    else:
        with pytest.raises(polypay.InvalidArgumentError) as info:
            ecommpay.verify_callback(body, case["secret"])
        assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("case", NAT, ids=[c["id"] for c in NAT])
def test_natcmp(case: Dict[str, Any]) -> None:
    assert ecommpay.natcmp(case["a"], case["b"]) == case["cmp"]


@pytest.mark.parametrize("case", FLOAT, ids=[c["id"] for c in FLOAT])
def test_php_float(case: Dict[str, Any]) -> None:
    assert ecommpay.php_float(float(case["json_lexeme"])) == case["php_string"]
    # The same value signed as a parameter (floats are PHP floats to ecommpay).
    params = json.loads('{"f":%s}' % case["json_lexeme"], parse_float=Decimal, parse_int=Decimal)
    assert ecommpay.string_to_sign(params) == "f:" + case["php_string"]


def _body(case: Dict[str, Any]) -> bytes:
    if "body_base64" in case and case["body_base64"] is not None:
        return base64.b64decode(case["body_base64"])
    return case["body"].encode("utf-8")  # type: ignore[no-any-return]


@pytest.mark.parametrize("case", PSIG["cases"], ids=[c["id"] for c in PSIG["cases"]])
def test_paycore_signature(case: Dict[str, Any]) -> None:
    body = _body(case)
    assert paycore.sign_callback(body, case["secret"]) == case["signature"]
    for check in case["verify"]:
        if check["valid"]:
            paycore.verify_signature(body, check["signature"], case["secret"])
        else:
            with pytest.raises(polypay.SignatureVerificationError) as info:
                paycore.verify_signature(body, check["signature"], case["secret"])
            assert info.value.code == check["error"]


@pytest.mark.parametrize("case", PSIG["secret_errors"], ids=lambda c: repr(c["secret"]))
def test_paycore_secret_errors(case: Dict[str, Any]) -> None:
    with pytest.raises(polypay.PolypayError) as info:
        paycore.sign_callback(b"{}", case["secret"])
    assert info.value.code == case["error"]


@pytest.mark.parametrize("case", PCB, ids=[c["id"] for c in PCB])
def test_paycore_callback(case: Dict[str, Any]) -> None:
    body = case["body"].encode("utf-8")
    if case["error"] == "signature":
        with pytest.raises(polypay.SignatureVerificationError):
            paycore.verify_callback(body, case["signature"], case["secret"])
        return
    if case["error"] == "invalid_input":
        with pytest.raises(polypay.InvalidArgumentError):
            paycore.verify_callback(body, case["signature"], case["secret"])
        return
    event = paycore.verify_callback(body, case["signature"], case["secret"])
    expected = case["expected"]
    assert event.id == expected["id"]
    assert event.status == expected["status"]
    assert event.is_final == expected["is_final"]
    assert event.is_success == expected["is_success"]
    assert event.raw == json.loads(case["body"], parse_float=Decimal)
    assert event.event_type == expected["type"]
    invoice = event.invoice
    if invoice is None:
        assert expected["type"] not in ("payment-invoices", "payout-invoices")
        return
    assert invoice.raw == event.raw["data"]
    if expected["resolution"] is None:
        assert invoice.resolution is None
    else:
        assert invoice.resolution is not None
        assert invoice.resolution.lower() == expected["resolution"].lower()
    if expected["amount"] is None:
        assert invoice.amount is None
    else:
        assert invoice.amount == Decimal(expected["amount"])
        assert isinstance(invoice.amount, Decimal)
    assert invoice.currency == expected["currency"]
    assert invoice.reference_id == expected["reference_id"]
    assert invoice.test_mode == expected["test_mode"]
    # The client uses its configured secret for the same check.
    client = polypay.PayCoreClient(
        secret_key=case["secret"], base_url="http://127.0.0.1:9"
    )
    assert client.verify_callback(body, case["signature"]).id == expected["id"]


@pytest.mark.parametrize("case", HPP["cases"], ids=[c["id"] for c in HPP["cases"]])
def test_hpp(case: Dict[str, Any]) -> None:
    params = exact(case["params_json"])
    kwargs: Dict[str, Any] = {"env": case["env"] or "paycore", "base_url": case["base_url"]}
    assert paycore.hpp_url(params, **kwargs) == case["url"]
    if "form_error" in case:
        with pytest.raises(polypay.InvalidArgumentError) as refused:
            paycore.hpp_form(params, **kwargs)
        assert refused.value.argument == case["form_error"]["argument"]
        return
    form = paycore.hpp_form(params, **kwargs)
    assert form.action == case["form"]["action"]
    assert form.method == case["form"]["method"]
    assert [list(f) for f in form.fields] == case["form"]["fields"]
    assert form.html.startswith("<") and case["form"]["action"] in form.html


@pytest.mark.parametrize("case", HPP["errors"], ids=[c["id"] for c in HPP["errors"]])
def test_hpp_errors(case: Dict[str, Any]) -> None:
    params = exact(case["params_json"])
    with pytest.raises(polypay.InvalidArgumentError) as info:
        paycore.hpp_url(params, env=case["env"] or "paycore")
    assert isinstance(info.value, ValueError)
    with pytest.raises(polypay.InvalidArgumentError):
        paycore.hpp_form(params, env=case["env"] or "paycore")


def test_gate_payment_page_url_orders_and_encodes_its_keyword_arguments() -> None:
    from datetime import datetime, timedelta, timezone
    from urllib.parse import parse_qsl, urlsplit

    gate = polypay.EcommpayGate(112, "secret")
    url = gate.payment_page_url(
        customer_id="c-1",
        payment_id="order-1",
        booking_info={"firstname": "Jane", "price": 1},
        best_before=datetime(2030, 1, 2, 3, 4, 5, 999, tzinfo=timezone(timedelta(hours=3))),
        payment_currency="EUR",
        payment_amount=3550,
        language_code="en",
    )
    pairs = parse_qsl(urlsplit(url).query)
    assert [key for key, _ in pairs] == [
        "project_id", "payment_id", "payment_amount", "payment_currency", "customer_id",
        "language_code", "best_before", "booking_info", "signature",
    ]
    params = dict(pairs)
    assert params["best_before"] == "2030-01-02T03:04:05+03:00"
    assert json.loads(base64.b64decode(params["booking_info"])) == {"firstname": "Jane", "price": 1}
    signature = params.pop("signature")
    # Integers and their decimal text sign alike, so the URL's own values check the signature.
    assert ecommpay.sign(params, "secret") == signature


def test_best_before_is_written_as_php_date_c() -> None:
    from datetime import datetime, timedelta, timezone

    at = datetime(2030, 1, 2, 3, 4, 5, 999, tzinfo=timezone(timedelta(hours=3)))
    assert ecommpay.best_before(at) == "2030-01-02T03:04:05+03:00"
    assert ecommpay.best_before(at.astimezone(timezone.utc)) == "2030-01-02T00:04:05+00:00"
    with pytest.raises(polypay.InvalidArgumentTypeError):
        ecommpay.best_before(datetime(2030, 1, 2))


GATE = load_vectors("ecommpay_gate.json")


@pytest.mark.parametrize("case", GATE["cases"], ids=lambda c: c["id"])
def test_ecommpay_gate_request_signatures(case: Dict[str, Any]) -> None:
    """A Gate request body signs as the official Python SDK signed it, and verifies."""
    body = case["body"]
    place = body["general"] if "general" in body else body
    unsigned = json.loads(json.dumps(body))
    (unsigned["general"] if "general" in unsigned else unsigned).pop("signature")
    assert polypay.ecommpay.sign(unsigned, GATE["secret"]) == place["signature"]
    assert polypay.ecommpay.verify_callback(json.dumps(body), GATE["secret"]).payment_id == (
        body.get("general", {}).get("payment_id")
    )
