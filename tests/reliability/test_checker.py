"""The checker and the merchant app must catch what the campaign exists to catch: a doubled
invoice, a lost call, a wrong settlement, a blown deadline, a callback applied twice."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List

import pytest
from polypay import testing

from checker import check_client
from merchant import Merchant

SECRET = "sk_test_sandbox"
FLOW = ["created", "process_pending", "processed"]


def item(ref: str) -> Dict[str, Any]:
    return {"kind": "payment", "expect": "processed",
            "fields": {"reference_id": ref, "amount": "10.50", "currency": "USD"}}


def invoice(ref: str, id: str) -> Dict[str, Any]:
    """The admin API's entry for an invoice whose callbacks were refused 3 times, then delivered."""
    logs: Dict[str, Any] = {}
    for n in range(3):
        logs[str(1000 + n)] = {"status": "failed", "response_code": 500, "transaction_status": "created"}
    for n, status in enumerate(FLOW):
        logs[str(1003 + n)] = {"status": "done", "response_code": 200, "transaction_status": status}
    attributes = {"reference_id": ref, "amount": 10.5, "status": "processed", "callback_logs": logs}
    return {"kind": "payment", "resource": {"id": id, "attributes": attributes}}


def deliver(merchant: Merchant, ref: str, id: str, statuses: List[str]) -> List[int]:
    answers = []
    for status in statuses:
        body, headers = testing.paycore_callback(SECRET, id=id, reference_id=ref, status=status)
        answers.append(merchant.receive(body, headers["X-Signature"]))
    return answers


@pytest.fixture()
def merchant() -> Iterator[Merchant]:
    m = Merchant(SECRET, fail_first=3)
    yield m
    m.server.server_close()


def baseline(merchant: Merchant) -> Dict[str, Any]:
    """Two calls: one plain success, one whose outcome was unknown and the lookup found it."""
    assert deliver(merchant, "a", "cpi_a", ["created"] * 4 + FLOW[1:]) == [500, 500, 500, 200, 200, 200]
    deliver(merchant, "b", "cpi_b", ["created"] * 4 + FLOW[1:])
    cfg = {"deadline_s": 10.0, "plan": [item("a"), item("b")]}
    result = {
        "client": "test", "wall_s": 1.0,
        "stats_after_calls": {"requests": {"POST /api/payment-invoices": 3}, "faults_injected": 1},
        "calls": [
            {"i": 0, "kind": "payment", "reference_id": "a", "duration_ms": 5.0, "ok": True,
             "id": "cpi_a", "status": "processed", "reconciled": False},
            {"i": 1, "kind": "payment", "reference_id": "b", "duration_ms": 9000.0, "ok": False,
             "error": {"kind": "timeout", "outcome_unknown": True},
             "settled": {"found": True, "id": "cpi_b", "attempts": 1}},
        ],
    }
    invoices = [invoice("a", "cpi_a"), invoice("b", "cpi_b")]
    stats = {"requests": {"POST /api/payment-invoices": 3},
             "callbacks": {"exhausted": 0, "dropped": 0, "pending": 0, "attempts": 12, "delivered": 6}}
    return {"cfg": cfg, "result": result, "invoices": invoices, "faults": [], "stats_final": stats}


def judge(merchant: Merchant, case: Dict[str, Any]) -> Dict[str, Any]:
    return check_client(case["cfg"], case["result"], case["invoices"], case["faults"],
                        case["stats_final"], merchant)


def test_a_clean_run_passes(merchant: Merchant) -> None:
    summary = judge(merchant, baseline(merchant))
    assert summary["ok"], summary["problems"]
    assert (summary["duplicates"], summary["lost"], summary["retries"]) == (0, 0, 1)
    assert summary["callbacks"]["final_exactly_once"] == 2


def test_a_doubled_invoice_is_caught(merchant: Merchant) -> None:
    case = baseline(merchant)
    case["invoices"].append(invoice("a", "cpi_a2"))
    summary = judge(merchant, case)
    assert summary["duplicates"] == 1 and not summary["ok"]


def test_an_invoice_nobody_asked_for_is_caught(merchant: Merchant) -> None:
    case = baseline(merchant)
    case["invoices"].append(invoice("zzz", "cpi_z"))
    assert judge(merchant, case)["duplicates"] == 1


@pytest.mark.parametrize("breakage", ["returned_missing", "error_but_exists", "settled_wrong", "unsettled"])
def test_a_lost_call_is_caught(merchant: Merchant, breakage: str) -> None:
    case = baseline(merchant)
    calls = case["result"]["calls"]
    if breakage == "returned_missing":
        calls[0]["id"] = "cpi_other"
    elif breakage == "error_but_exists":
        calls[0] = {**calls[0], "ok": False, "error": {"kind": "server", "outcome_unknown": False}}
    elif breakage == "settled_wrong":
        calls[1]["settled"] = {"found": False, "id": None, "attempts": 1}
    else:
        calls[1]["settled"] = {"error": "lookup failed", "attempts": 5}
    summary = judge(merchant, case)
    assert summary["lost"] == 1 and not summary["ok"]


def test_a_blown_deadline_is_caught(merchant: Merchant) -> None:
    case = baseline(merchant)
    case["result"]["calls"][0]["duration_ms"] = 12_000.0
    summary = judge(merchant, case)
    assert summary["over_deadline"] == 1 and not summary["ok"]


def test_an_unexpected_error_is_caught(merchant: Merchant) -> None:
    case = baseline(merchant)
    case["result"]["calls"][1]["error"]["kind"] = "validation"
    summary = judge(merchant, case)
    assert summary["unexpected_errors"] == 1 and not summary["ok"]


def test_a_callback_applied_twice_is_caught(merchant: Merchant) -> None:
    case = baseline(merchant)
    assert deliver(merchant, "a", "cpi_a", ["processed"]) == [200]  # a repeat reaches the app
    summary = judge(merchant, case)
    assert summary["callbacks"]["final_exactly_once"] == 1 and not summary["ok"]


def test_a_wrong_final_state_is_caught(merchant: Merchant) -> None:
    case = baseline(merchant)
    case["invoices"][0]["resource"]["attributes"]["status"] = "process_failed"
    summary = judge(merchant, case)
    assert summary["callbacks"]["final_exactly_once"] == 1 and not summary["ok"]


def test_the_merchant_refuses_bad_signatures(merchant: Merchant) -> None:
    body, _ = testing.paycore_callback(SECRET, status="processed")
    assert merchant.receive(body, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=") == 400
    assert merchant.bad_signatures == 1 and not merchant.applied


def test_the_gate_checker_catches_doubles_losses_and_lying_flags() -> None:
    from gate_campaign import judge, plan

    items = plan("t", 3)  # refund, payout, refund, payout, refund, payout
    ok = {"ok": True, "reconciled": False}

    def failed(outcome_unknown: bool, payment_id: str, kind: str = "server") -> dict:
        return {"ok": False, "error": {"kind": kind, "code": "x", "outcome_unknown": outcome_unknown,
                                      "payment_id": payment_id, "message": "m"}}

    def calls(*outcomes: dict) -> list:
        return [{"i": i, **o} for i, o in enumerate(outcomes)]

    held = {0: 1, 1: 1, 2: 0, 3: 1, 4: 0, 5: 0}
    clean = judge("t", lambda item: held[items.index(item)], items,
                  calls(ok, ok, failed(False, items[2]["payment_id"]), failed(True, items[3]["payment_id"]),
                        failed(True, items[4]["payment_id"]), failed(False, items[5]["payment_id"])), {}, 0)
    assert clean["violations"] == [] and clean["unknown_landed"] == 1
    doubled = judge("t", lambda item: 2, items[:1], calls(ok), {}, 0)
    assert doubled["duplicates"] == 1 and doubled["violations"]
    lost = judge("t", lambda item: 0, items[:1], calls(ok), {}, 0)
    assert lost["lost"] == 1
    lying = judge("t", lambda item: 1, items[:1], calls(failed(False, items[0]["payment_id"])), {}, 0)
    assert lying["lost"] == 1 and "outcome_unknown false" in lying["violations"][0]
    unnamed = judge("t", lambda item: 0, items[:1], calls(failed(True, "")), {}, 0)
    assert "carries payment_id" in unnamed["violations"][0]
    odd_kind = judge("t", lambda item: 0, items[:1], calls(failed(False, items[0]["payment_id"], "crash:X")), {}, 0)
    assert "of kind crash:X" in odd_kind["violations"][0]
