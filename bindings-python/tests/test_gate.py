"""The ecommpay Gate client (sync and asyncio) against `polypay sandbox` over real HTTP."""

import asyncio
import uuid
from typing import Any, Dict

import pytest

import polypay
from polypay import AsyncEcommpayGateApi, EcommpayGateApi, GateAccepted, GatePayment

from .conftest import Sandbox


def pid() -> str:
    return "py-gate-" + uuid.uuid4().hex[:12]


def gate_kwargs(sb: Sandbox, **extra: Any) -> Dict[str, Any]:
    kwargs: Dict[str, Any] = dict(base_url=sb.ecommpay["gate_base_url"], status_delay=0.1, timeout=10)
    kwargs.update(extra)
    return kwargs


@pytest.fixture()
def gate(sb: Sandbox) -> EcommpayGateApi:
    return EcommpayGateApi(sb.ecommpay["project_id"], sb.ecommpay["secret_key"], **gate_kwargs(sb))


def paid(sb: Sandbox, payment_id: str, **params: Any) -> Dict[str, Any]:
    """A payment made as on the Payment Page (the sandbox's shortcut)."""
    body = {"payment_id": payment_id, "payment_amount": 1000, "payment_currency": "USD", **params}
    return sb.admin("POST", "/ecommpay/payments", json=body)  # type: ignore[no-any-return]


def test_a_refund_is_accepted_then_settled(sb: Sandbox, gate: EcommpayGateApi) -> None:
    payment_id = pid()
    paid(sb, payment_id)
    accepted = gate.refund(general={"payment_id": payment_id}, payment={"amount": 250, "currency": "USD"})
    assert isinstance(accepted, GateAccepted)
    assert (accepted.operation, accepted.payment_id, accepted.reconciled) == ("refund", payment_id, False)
    assert accepted.request_id and accepted.merchant_refund_id
    payment = gate.wait_for_result(accepted)
    assert isinstance(payment, GatePayment)
    assert (payment.status, payment.is_final) == ("partially refunded", True)
    op = payment.operation_for(accepted.request_id)
    assert op is not None and (op.type, op.status, op.sum_initial) == ("refund", "success", (250, "USD"))
    assert payment.raw["payment"]["id"] == payment_id and "signature" not in payment.raw
    # The rest: the amount omitted refunds what remains.
    rest = gate.refund({"general": {"payment_id": payment_id}})
    assert gate.wait_for_result(rest).status == "refunded"


def test_status_two_step_payouts_and_stored_credentials(sb: Sandbox, gate: EcommpayGateApi) -> None:
    held = pid()
    paid(sb, held, card_operation_type="auth")
    assert gate.payment_status(general={"payment_id": held}).status == "awaiting capture"
    captured = gate.capture(general={"payment_id": held})
    assert gate.wait_for_result(captured).status == "success"

    first = paid(sb, pid(), recurring_register=1)
    token, recurring_id = first["account"]["token"], first["recurring"]["id"]
    payout = gate.payout_by_token(
        general={"payment_id": pid()}, token=token, payment={"amount": 300, "currency": "USD"}
    )
    assert gate.wait_for_result(payout).payment_type == "payout"
    charge = gate.recurring_charge(
        general={"payment_id": pid()}, recurring={"id": recurring_id}, payment={"amount": 1000, "currency": "USD"}
    )
    charged = gate.wait_for_result(charge)
    assert (charged.status, charged.payment_type, charged.sum) == ("success", "recurring", (1000, "USD"))
    declined = gate.payout(
        general={"payment_id": pid()},
        payment={"amount": 500, "currency": "EUR"},
        card={"pan": "4302912837020000", "year": 2040, "month": 1},
    )
    result = gate.wait_for_result(declined)
    assert result.status == "decline" and result.operations[-1].code == "20000"


def test_a_payout_committed_before_a_5xx_is_reconciled_not_doubled(sb: Sandbox, gate: EcommpayGateApi) -> None:
    sb.fault({"route": "POST /v2/payment/card/payout", "nth": 1, "effect": {"status": 502, "commit": True}})
    payment_id = pid()
    accepted = gate.payout(
        general={"payment_id": payment_id},
        payment={"amount": 700, "currency": "USD"},
        card={"pan": "5519283812030000", "year": 2040, "month": 1},
    )
    assert accepted.reconciled
    payment = gate.wait_for_result(accepted)
    assert [op.type for op in payment.operations] == ["payout"]


def test_errors_carry_the_payment_id_and_the_outcome(sb: Sandbox, gate: EcommpayGateApi) -> None:
    with pytest.raises(polypay.NotFoundError) as not_found:
        gate.payment_status(general={"payment_id": "never-made"})
    assert not_found.value.outcome_unknown is False
    payment_id = pid()
    paid(sb, payment_id)
    with pytest.raises(polypay.ValidationError) as refused:
        gate.refund(general={"payment_id": payment_id}, payment={"amount": 5000, "currency": "USD"})
    assert (refused.value.payment_id, refused.value.outcome_unknown) == (payment_id, False)
    sb.fault({"route": "POST /v2/payment", "effect": {"status": 503}})
    with pytest.raises(polypay.APIError) as unknown:
        gate.refund(general={"payment_id": payment_id}, timeout=1)
    assert (unknown.value.payment_id, unknown.value.outcome_unknown) == (payment_id, True)


@pytest.mark.parametrize(
    "request_body, argument, code",
    [
        ({}, "general.payment_id", "missing_argument"),
        ({"general": {"payment_id": "p"}, "payment": {"description": "a;b"}}, "payment.description", "semicolon"),
        ({"general": {"payment_id": "p"}, "payment": {"amount": "10", "currency": "USD"}}, "payment.amount", "bad_amount"),
        ({"general": {"payment_id": "p", "project_id": 1}}, "general.project_id", "project_mismatch"),
    ],
)
def test_bad_requests_are_refused_before_sending(
    sb: Sandbox, gate: EcommpayGateApi, request_body: Dict[str, Any], argument: str, code: str
) -> None:
    before = sb.api_requests()
    with pytest.raises(polypay.InvalidArgumentError) as error:
        gate.refund(request_body)
    assert (error.value.argument, error.value.code) == (argument, code)
    assert sb.api_requests() == before


def test_a_float_amount_is_a_type_error(gate: EcommpayGateApi) -> None:
    with pytest.raises(polypay.InvalidArgumentTypeError):
        gate.refund(general={"payment_id": "p"}, payment={"amount": 10.5, "currency": "USD"})


def test_the_secret_never_shows(sb: Sandbox) -> None:
    gate = EcommpayGateApi(sb.ecommpay["project_id"], "a-very-secret-key", **gate_kwargs(sb))
    assert "a-very-secret-key" not in repr(gate) and "EcommpayGateApi(" in repr(gate)
    with pytest.raises(polypay.AuthenticationError) as error:
        gate.payment_status(general={"payment_id": "x"})
    assert "a-very-secret-key" not in str(error.value)


def test_async_refund_and_wait(sb: Sandbox) -> None:
    payment_id = pid()
    paid(sb, payment_id)

    async def main() -> GatePayment:
        gate = AsyncEcommpayGateApi(sb.ecommpay["project_id"], sb.ecommpay["secret_key"], **gate_kwargs(sb))
        accepted = await gate.refund(general={"payment_id": payment_id})
        return await gate.wait_for_result(accepted)

    assert asyncio.run(main()).status == "refunded"


def test_every_operation_asynchronously(sb: Sandbox) -> None:
    held, released, paid_id = pid(), pid(), pid()
    paid(sb, held, card_operation_type="auth")
    paid(sb, released, card_operation_type="auth")
    first = paid(sb, paid_id, recurring_register=1, customer_id="c-9")

    async def main() -> Dict[str, str]:
        gate = AsyncEcommpayGateApi(sb.ecommpay["project_id"], sb.ecommpay["secret_key"], **gate_kwargs(sb))
        card = {"pan": "5519283812030000", "year": 2040, "month": 1}
        usd = {"amount": 100, "currency": "USD"}
        writes = {
            "capture": await gate.capture(general={"payment_id": held}),
            "cancel": await gate.cancel(general={"payment_id": released}),
            "refund": await gate.refund(general={"payment_id": paid_id}, payment={"amount": 100, "currency": "USD"}),
            "payout": await gate.payout(general={"payment_id": pid()}, payment=usd, card=card),
            "payout_by_token": await gate.payout_by_token(
                general={"payment_id": pid()}, payment=usd, token=first["account"]["token"]),
            "recurring_charge": await gate.recurring_charge(
                general={"payment_id": pid()}, payment=usd, recurring={"id": first["recurring"]["id"]}),
        }
        assert {name: a.operation for name, a in writes.items()} == {name: name for name in writes}
        final = {name: (await gate.wait_for_result(a)).status or "" for name, a in writes.items()}
        by_request = await gate.request_status(request_id=writes["refund"].request_id)
        assert by_request.payment_id == paid_id
        status = await gate.payment_status(general={"payment_id": paid_id})
        assert [op.type for op in status.operations] == ["sale", "refund"]
        return final

    assert asyncio.run(main()) == {
        "capture": "success", "cancel": "canceled", "refund": "partially refunded",
        "payout": "success", "payout_by_token": "success", "recurring_charge": "success",
    }
