"""Requests and retries on the `polypay` logger, with no secret in any record."""

from __future__ import annotations

import logging

import pytest

import polypay

from .conftest import Sandbox


def test_requests_and_retries_logged_without_secrets(sb: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="polypay")
    client = polypay.PayCoreClient(**sb.client_kwargs())
    sb.fault({"route": "GET /api/account/balances", "nth": 1, "effect": {"status": 503, "retry_after": 0}})
    client.balances()
    with pytest.raises(polypay.NotFoundError):
        client.get_payment_invoice("cpi_missing")
    records = [r for r in caplog.records if r.name == "polypay"]
    text = "\n".join(r.getMessage() for r in records)
    assert "attempt failed" in text  # the retry, from the core
    assert "balances -> 200" in text  # the request, from the client
    assert "get_payment_invoice failed: NotFoundError" in text
    for secret in ("sandbox_api_key", "sk_test_sandbox", "Basic "):
        assert secret not in text
    polypay._native.set_log_level(logging.WARNING)
