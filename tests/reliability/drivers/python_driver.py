"""Fault-campaign driver for the Python package: `python_driver.py sync|async CONFIG OUT`.

Runs the plan of creates from CONFIG (see ../README.md) through `polypay.PayCoreClient` (a thread
pool) or `polypay.AsyncPayCoreClient` (asyncio tasks), records every call's outcome and duration,
snapshots the sandbox's statistics, then settles each `outcome_unknown` error by looking its
`reference_id` up with the same client. Writes the result JSON to OUT."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional

import polypay


def client_kwargs(cfg: Dict[str, Any]) -> Dict[str, Any]:
    return dict(
        base_url=cfg["base_url"],
        account_id=cfg["account_id"],
        api_key=cfg["api_key"],
        timeout=cfg["deadline_s"],
        request_timeout=cfg["request_timeout_s"],
        connect_timeout=cfg["connect_timeout_s"],
        max_retries=cfg["max_retries"],
    )


def success(invoice: Any) -> Dict[str, Any]:
    return {"ok": True, "id": invoice.id, "status": invoice.status, "reconciled": invoice.response.reconciled}


def failure(error: BaseException) -> Dict[str, Any]:
    # Anything that is not a polypay error is a crash of the binding: recorded as such.
    return {
        "ok": False,
        "error": {
            "kind": getattr(error, "kind", "crash:" + type(error).__name__),
            "code": getattr(error, "code", None),
            "http_status": getattr(error, "http_status", None),
            "outcome_unknown": getattr(error, "outcome_unknown", None),
            "message": str(error)[:300],
        },
    }


def record(i: int, item: Dict[str, Any], started: float, outcome: Dict[str, Any]) -> Dict[str, Any]:
    duration_ms = (time.monotonic() - started) * 1000
    return {"i": i, "kind": item["kind"], "reference_id": item["fields"]["reference_id"],
            "duration_ms": round(duration_ms, 1), **outcome}


def settled(found: Optional[Any], attempts: int) -> Dict[str, Any]:
    return {"found": found is not None, "id": found.id if found else None, "attempts": attempts}


def admin_stats(cfg: Dict[str, Any]) -> Any:
    with urllib.request.urlopen(cfg["base_url"] + "/__sandbox/stats", timeout=30) as r:
        return json.load(r)


def run_sync(cfg: Dict[str, Any]) -> Dict[str, Any]:
    client = polypay.PayCoreClient(**client_kwargs(cfg))
    create = {"payment": client.create_payment_invoice, "payout": client.create_payout_invoice}
    find = {"payment": client.find_payment_invoice, "payout": client.find_payout_invoice}

    def one(i: int, item: Dict[str, Any]) -> Dict[str, Any]:
        started = time.monotonic()
        try:
            outcome = success(create[item["kind"]](item["fields"]))
        except Exception as error:  # noqa: BLE001 - every outcome is recorded and judged later
            outcome = failure(error)
        return record(i, item, started, outcome)

    started = time.monotonic()
    with ThreadPoolExecutor(cfg["concurrency"]) as pool:
        calls = list(pool.map(one, range(len(cfg["plan"])), cfg["plan"]))
    wall_s = time.monotonic() - started
    stats = admin_stats(cfg)

    if any(not call["ok"] and call["error"]["outcome_unknown"] for call in calls):
        time.sleep(cfg["settle_after_s"])  # a lost create may still be landing
    for call in calls:
        if not call["ok"] and call["error"]["outcome_unknown"]:
            for attempt in range(1, cfg["settle_attempts"] + 1):
                try:
                    call["settled"] = settled(find[call["kind"]](call["reference_id"]), attempt)
                    break
                except polypay.PolypayError as error:
                    call["settled"] = {"error": str(error)[:300], "attempts": attempt}
                    time.sleep(1)
    return {"wall_s": wall_s, "stats_after_calls": stats, "calls": calls}


async def run_async(cfg: Dict[str, Any]) -> Dict[str, Any]:
    client = polypay.AsyncPayCoreClient(**client_kwargs(cfg))
    create = {"payment": client.create_payment_invoice, "payout": client.create_payout_invoice}
    find = {"payment": client.find_payment_invoice, "payout": client.find_payout_invoice}
    limit = asyncio.Semaphore(cfg["concurrency"])

    async def one(i: int, item: Dict[str, Any]) -> Dict[str, Any]:
        async with limit:
            started = time.monotonic()
            try:
                outcome = success(await create[item["kind"]](item["fields"]))
            except Exception as error:  # noqa: BLE001 - every outcome is recorded and judged later
                outcome = failure(error)
            return record(i, item, started, outcome)

    started = time.monotonic()
    calls: List[Dict[str, Any]] = await asyncio.gather(
        *(one(i, item) for i, item in enumerate(cfg["plan"]))
    )
    wall_s = time.monotonic() - started
    stats = await asyncio.to_thread(admin_stats, cfg)

    if any(not call["ok"] and call["error"]["outcome_unknown"] for call in calls):
        await asyncio.sleep(cfg["settle_after_s"])  # a lost create may still be landing
    for call in calls:
        if not call["ok"] and call["error"]["outcome_unknown"]:
            for attempt in range(1, cfg["settle_attempts"] + 1):
                try:
                    found = await find[call["kind"]](call["reference_id"])
                    call["settled"] = settled(found, attempt)
                    break
                except polypay.PolypayError as error:
                    call["settled"] = {"error": str(error)[:300], "attempts": attempt}
                    await asyncio.sleep(1)
    return {"wall_s": wall_s, "stats_after_calls": stats, "calls": calls}


def main() -> None:
    mode, config_path, out_path = sys.argv[1:4]
    with open(config_path, encoding="utf-8") as f:
        cfg = json.load(f)
    result = run_sync(cfg) if mode == "sync" else asyncio.run(run_async(cfg))
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"client": cfg["client"], **result}, f)


if __name__ == "__main__":
    main()
