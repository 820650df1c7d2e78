"""Gate request-signing vectors (`ecommpay_gate.json`), signed by an independent oracle: the
official ecommpay Python SDK's `SignatureHandler` (PyPI `ecommpay-sdk`, as `make test`
installs it in target/venv-python).

    target/venv-python/bin/python tests/vectors/gen/gate.py           # rewrite the file
    target/venv-python/bin/python tests/vectors/gen/gate.py --check   # exit 1 if it would change

Each case is what a client sends for one Gate operation: the caller's `request` (the documented
body without `general.project_id` and `general.signature`), the endpoint, and the `body` sent,
with the project id added to `general` and the SDK's signature in `general.signature` (at the
top level for the request-status call, which has no `general`). Only data every official SDK
signs alike (strings, integers; no floats, nulls or booleans).
"""

import copy
import json
import sys
from pathlib import Path

from payment_page_sdk.signature_handler import SignatureHandler

OUT = Path(__file__).resolve().parent.parent / "ecommpay_gate.json"
PROJECT_ID = 42
SECRET = "gate-vector-secret"

CASES = [
    ("payment-status", "payment_status", None, "/v2/payment/status",
     {"general": {"payment_id": "order-1001"}}),
    ("request-status", "request_status", None, "/v2/payment/status/request",
     {"request_id": "5c87ac4d9b3e1f0e-05001856"}),
    ("refund-partial", "refund", None, "/v2/payment/card/refund",
     {"general": {"payment_id": "order-1001", "merchant_callback_url": "https://shop.example/ecommpay"},
      "payment": {"amount": 250, "currency": "USD", "description": "Returned: 1 mug",
                  "merchant_refund_id": "rf-1001-1"}}),
    ("refund-full", "refund", None, "/v2/payment/card/refund",
     {"general": {"payment_id": "order-1001"}, "payment": {"merchant_refund_id": "rf-1001-2"}}),
    ("refund-paypal", "refund", "wallet/paypal", "/v2/payment/wallet/paypal/refund",
     {"general": {"payment_id": "pp-77"},
      "payment": {"amount": 1999, "currency": "EUR", "merchant_refund_id": "rf-77"}}),
    ("capture-partial", "capture", None, "/v2/payment/card/capture",
     {"general": {"payment_id": "auth-5"}, "payment": {"amount": 800, "currency": "GBP"}}),
    ("cancel", "cancel", None, "/v2/payment/card/cancel",
     {"general": {"payment_id": "auth-6"}}),
    ("payout-card", "payout", None, "/v2/payment/card/payout",
     {"general": {"payment_id": "po-9"},
      "customer": {"id": "cust-3", "ip_address": "198.51.100.7", "email": "winner@example.com"},
      "payment": {"amount": 25000, "currency": "EUR", "description": "Winnings: week 12"},
      "card": {"pan": "5519283812030000", "year": 2030, "month": 7, "card_holder": "ANA TESTER"}}),
    ("payout-token", "payout_by_token", None, "/v2/payment/card/payout/token",
     {"general": {"payment_id": "po-10"}, "customer": {"id": "cust-3", "ip_address": "198.51.100.7"},
      "payment": {"amount": 300, "currency": "USD"}, "token": "7d1d8f0a9c2e4b6aa1f3"}),
    ("recurring-charge", "recurring_charge", None, "/v2/payment/card/recurring",
     {"general": {"payment_id": "sub-2026-12"}, "customer": {"id": "cust-8", "ip_address": "203.0.113.9"},
      "payment": {"amount": 1000, "currency": "USD", "description": "December"},
      "recurring": {"id": 1079}, "interface_type": {"id": 18}}),
    ("receipt-list", "payout", None, "/v2/payment/card/payout",
     {"general": {"payment_id": "po-11"}, "customer": {"id": "c", "ip_address": "192.0.2.1"},
      "payment": {"amount": 100, "currency": "JPY"}, "card": {"pan": "4302912837020000", "year": 2031, "month": 12},
      "receipt_data": {"positions": [{"quantity": "10", "amount": "108", "description": "Keyboard"},
                                     {"quantity": "1", "amount": "20", "description": "Cable: USB-C"}]}}),
]


def signed(request: dict) -> dict:
    body = copy.deepcopy(request)
    handler = SignatureHandler(SECRET)
    if "general" in body:
        body["general"]["project_id"] = PROJECT_ID
        body["general"]["signature"] = handler.sign(body)
    else:
        body["project_id"] = PROJECT_ID
        body["signature"] = handler.sign(body)
    return body


def document() -> dict:
    return {
        "description": "ecommpay Gate requests as a client sends them: the request given, the "
        "endpoint, and the body with the project id and the official Python SDK's signature.",
        "generator": "tests/vectors/gen/gate.py (ecommpay-sdk SignatureHandler)",
        "project_id": PROJECT_ID,
        "secret": SECRET,
        "cases": [
            {"id": id_, "operation": op, "method": method, "path": path, "request": request,
             "body": signed(request)}
            for id_, op, method, path, request in CASES
        ],
    }


def main() -> int:
    text = json.dumps(document(), indent=2, ensure_ascii=False) + "\n"
    if sys.argv[1:] == ["--check"]:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT.name} differs from what the generator writes", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
