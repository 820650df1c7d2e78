"""Gate fault-campaign driver for the Python package: `gate_python.py CONFIG OUT`.

Sends the plan's refunds and payouts through `polypay.EcommpayGateApi` on a thread pool and
records every call's outcome (see ../gate_campaign.py)."""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict

import polypay


def main() -> None:
    config_path, out_path = sys.argv[1:3]
    with open(config_path, encoding="utf-8") as f:
        cfg = json.load(f)
    gate = polypay.EcommpayGateApi(
        cfg["project_id"], cfg["secret_key"], base_url=cfg["base_url"], timeout=cfg["deadline_s"],
        request_timeout=cfg["request_timeout_s"], max_retries=cfg["max_retries"],
        status_delay=cfg["status_delay_s"],
    )
    send = {"refund": gate.refund, "payout": gate.payout}

    def one(i: int, item: Dict[str, Any]) -> Dict[str, Any]:
        started = time.monotonic()
        try:
            accepted = send[item["kind"]](item["request"])
            outcome: Dict[str, Any] = {"ok": True, "reconciled": accepted.reconciled}
        except Exception as error:  # noqa: BLE001 - every outcome is recorded and judged later
            outcome = {"ok": False, "error": {
                "kind": getattr(error, "kind", "crash:" + type(error).__name__),
                "code": getattr(error, "code", None),
                "outcome_unknown": getattr(error, "outcome_unknown", None),
                "payment_id": getattr(error, "payment_id", None),
                "message": str(error)[:300],
            }}
        return {"i": i, "duration_ms": round((time.monotonic() - started) * 1000, 1), **outcome}

    with ThreadPoolExecutor(cfg["concurrency"]) as pool:
        calls = list(pool.map(one, range(len(cfg["plan"])), cfg["plan"]))
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"client": cfg["client"], "calls": calls}, f)


if __name__ == "__main__":
    main()
