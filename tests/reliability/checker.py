"""The campaign's invariants, judged from the sandbox's own state (its admin API), the driver's
record of every call, and the merchant app's record of every callback it applied.

Per client:
- exactly one invoice per reference_id (no duplicate, nothing the plan did not ask for);
- no call lost: each call returned the invoice the sandbox holds for its reference_id, or failed
  with `outcome_unknown` false and the invoice truly does not exist, or with `outcome_unknown`
  true and the client's lookup by reference_id settled it (found exactly the sandbox's invoice,
  or nothing when the sandbox has nothing);
- the outcome flag is judged after every delayed request and late commit has landed (the campaign
  waits for them): an error that said `outcome_unknown` false must have no invoice at the end;
- every call within its deadline (plus a small scheduling slack);
- callbacks: every order with an invoice ends in the expected final state, applied exactly once,
  after exactly `fail_first` refused deliveries, in the order the sandbox delivered them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any, Dict, List, Tuple

from merchant import Merchant

# Statuses that end an invoice (the plan only asks for outcomes that end).
FINAL = {"processed", "process_failed"}
# Errors a faulted gateway can cause; anything else (validation, a crash...) is a defect.
TRANSIENT_KINDS = {"server", "rate_limited", "timeout", "connection", "decode"}
# A call may overrun its deadline by this much (thread/event-loop scheduling on a busy machine).
DEADLINE_SLACK_S = 0.5


def index_invoices(entries: List[Dict[str, Any]]) -> Dict[Tuple[str, str], List[Dict[str, Any]]]:
    """(kind, reference_id) -> the sandbox's invoices (their JSON:API attributes, with id)."""
    found: Dict[Tuple[str, str], List[Dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        resource = entry["resource"]
        attributes = dict(resource["attributes"], id=resource["id"])
        found[(entry["kind"], attributes["reference_id"])].append(attributes)
    return found


def check_client(
    cfg: Dict[str, Any],
    result: Dict[str, Any],
    invoices: List[Dict[str, Any]],
    faults: List[Dict[str, Any]],
    stats_final: Dict[str, Any],
    merchant: Merchant,
) -> Dict[str, Any]:
    plan = cfg["plan"]
    calls = result["calls"]
    problems: List[str] = []
    held = index_invoices(invoices)
    planned = {(item["kind"], item["fields"]["reference_id"]): item for item in plan}

    if len(calls) != len(plan) or sorted(c["i"] for c in calls) != list(range(len(plan))):
        problems.append(f"the driver recorded {len(calls)} calls for a plan of {len(plan)}")

    # Exactly one invoice per reference_id, and none the plan did not ask for.
    duplicates = 0
    for key, found in held.items():
        if key not in planned:
            duplicates += len(found)
            problems.append(f"unplanned invoice {found[0]['id']} for {key}")
        elif len(found) > 1:
            duplicates += len(found) - 1
            problems.append(f"{key}: {len(found)} invoices {[f['id'] for f in found]}")

    lost = 0
    errors: Counter[str] = Counter()
    unknown = settled_found = settled_absent = reconciled = unexpected = 0
    max_call_s = 0.0
    over_deadline = 0
    for call in calls:
        key = (call["kind"], call["reference_id"])
        item = planned.get(key)
        found = held.get(key, [])
        ids = [f["id"] for f in found]
        duration_s = call["duration_ms"] / 1000
        max_call_s = max(max_call_s, duration_s)
        if duration_s > cfg["deadline_s"] + DEADLINE_SLACK_S:
            over_deadline += 1
            problems.append(f"{key}: took {duration_s:.2f} s, deadline {cfg['deadline_s']} s")
        if call["ok"]:
            reconciled += bool(call.get("reconciled"))
            if call["id"] not in ids:
                lost += 1
                problems.append(f"{key}: returned {call['id']}, the sandbox holds {ids}")
            elif item is not None:
                mine = next(f for f in found if f["id"] == call["id"])
                if Decimal(str(mine["amount"])) != Decimal(item["fields"]["amount"]):
                    problems.append(f"{key}: amount {mine['amount']} != {item['fields']['amount']}")
                if call["status"] != item["expect"]:
                    problems.append(f"{key}: returned status {call['status']}, expected {item['expect']}")
            continue
        error = call["error"]
        errors[error["kind"]] += 1
        if error["kind"] not in TRANSIENT_KINDS:
            unexpected += 1
            problems.append(f"{key}: unexpected error {error}")
        if not error["outcome_unknown"]:
            if found:
                lost += 1
                problems.append(f"{key}: error said nothing was created ({error}), the sandbox holds {ids}")
            continue
        unknown += 1
        settled = call.get("settled") or {"error": "never settled"}
        if "error" in settled:
            lost += 1
            problems.append(f"{key}: outcome unknown and the lookup failed: {settled}")
        elif settled["found"]:
            settled_found += 1
            if settled["id"] not in ids:
                lost += 1
                problems.append(f"{key}: lookup found {settled['id']}, the sandbox holds {ids}")
        else:
            settled_absent += 1
            if found:
                lost += 1
                problems.append(f"{key}: lookup found nothing, the sandbox holds {ids}")

    callbacks = check_callbacks(cfg, held, planned, merchant, stats_final, problems)

    # Requests during the calls (the settlement's lookups come after); creates from the final
    # counts, since only the calls send creates and a late one may arrive after the snapshot.
    requests = result["stats_after_calls"]["requests"]
    api_requests = sum(n for route, n in requests.items() if " /api/" in route)
    lookups = requests.get("GET /api/payment-invoices", 0) + requests.get("GET /api/payout-invoices", 0)
    final = stats_final["requests"]
    creates_sent = final.get("POST /api/payment-invoices", 0) + final.get("POST /api/payout-invoices", 0)
    injected = result["stats_after_calls"]["faults_injected"]
    return {
        "client": result["client"],
        "calls": len(calls),
        "payments": sum(1 for item in plan if item["kind"] == "payment"),
        "payouts": sum(1 for item in plan if item["kind"] == "payout"),
        "wall_s": round(result["wall_s"], 2),
        "api_requests": api_requests,
        "faults_injected": injected,
        "fault_share": round(injected / api_requests, 4) if api_requests else 0.0,
        "faults_fired_by_rule": {f["id"]: f["fired"] for f in faults},
        # Creates sent again after a lookup found nothing (or the first never left).
        "retries": creates_sent - len(plan),
        # Lookups by reference_id the clients made (each retried lookup counts).
        "reconciliations": lookups,
        "reconciled_results": reconciled,
        "errors_by_kind": dict(errors),
        "outcome_unknown": unknown,
        "settled_found": settled_found,
        "settled_absent": settled_absent,
        "unexpected_errors": unexpected,
        "duplicates": duplicates,
        "lost": lost,
        "deadline_s": cfg["deadline_s"],
        "max_call_s": round(max_call_s, 3),
        "over_deadline": over_deadline,
        "callbacks": callbacks,
        "problems": problems,
        "ok": not problems,
    }


def check_callbacks(
    cfg: Dict[str, Any],
    held: Dict[Tuple[str, str], List[Dict[str, Any]]],
    planned: Dict[Tuple[str, str], Dict[str, Any]],
    merchant: Merchant,
    stats_final: Dict[str, Any],
    problems: List[str],
) -> Dict[str, Any]:
    counters = stats_final["callbacks"]
    for name in ("exhausted", "dropped", "pending"):
        if counters[name]:
            problems.append(f"callbacks: {counters[name]} {name}")
    if merchant.bad_signatures:
        problems.append(f"callbacks: {merchant.bad_signatures} with a bad signature")
    orders = exactly_once = 0
    for key, item in planned.items():
        found = held.get(key, [])
        applied = merchant.applied.get(key, [])
        if len(found) != 1:
            if applied and not found:
                problems.append(f"{key}: callbacks applied {applied} but the sandbox holds no invoice")
            continue
        orders += 1
        invoice = found[0]
        finals = [status for _, status in applied if status in FINAL]
        # What the sandbox says it delivered (200) to this invoice, in order of its log keys.
        logs = invoice.get("callback_logs") or {}
        entries = [logs[k] for k in sorted(logs, key=int)] if isinstance(logs, dict) else []
        done = [e["transaction_status"] for e in entries if e["status"] == "done"]
        refused_logged = sum(1 for e in entries if e["status"] == "failed" and e["response_code"] == 500)
        wrong = []
        if invoice["status"] != item["expect"]:
            wrong.append(f"sandbox status {invoice['status']}, expected {item['expect']}")
        if finals != [item["expect"]]:
            wrong.append(f"final states applied {finals}, expected [{item['expect']}] once")
        if len({status for _, status in applied}) != len(applied):
            wrong.append(f"a status applied twice: {applied}")
        if any(invoice_id != invoice["id"] for invoice_id, _ in applied):
            wrong.append(f"callbacks of another invoice applied: {applied}")
        if [status for _, status in applied] != done:
            wrong.append(f"applied {applied}, the sandbox delivered {done}")
        if merchant.refused.get(invoice["id"], 0) != merchant.fail_first or refused_logged != merchant.fail_first:
            wrong.append(
                f"refused {merchant.refused.get(invoice['id'], 0)} deliveries, "
                f"the sandbox logged {refused_logged}, expected {merchant.fail_first}"
            )
        if wrong:
            problems.append(f"{key} {invoice['id']} callbacks: " + "; ".join(wrong))
        else:
            exactly_once += 1
    return {
        "orders": orders,
        "final_exactly_once": exactly_once,
        "refused": sum(merchant.refused.values()),
        "applied": sum(len(a) for a in merchant.applied.values()),
        "attempts": counters["attempts"],
        "delivered": counters["delivered"],
    }
