"""The Gate part of the fault campaign (issue 17): ecommpay refunds and payouts through the Gate
client while `polypay sandbox` injects faults on the Gate's write endpoints, judged from the
sandbox's own answers afterwards.

    python gate_campaign.py --calls 40            # in `make test-reliability`
    python gate_campaign.py --clients node --calls 200

For each client (`python-sync`: polypay.EcommpayGateApi on threads; `node`: bindings-node;
`kotlin`: io.polypay:polypay-kotlin with coroutines), on a
fresh sandbox: N payments are paid (the sandbox's Payment Page shortcut); the driver then sends
N refunds (each with its own `merchant_refund_id`) and N payouts (each with its own
`payment_id`), 16 in flight, while ~30% of those requests meet a fault: 500 or 502 after
committing, 503, a reset before anything, the answer lost after committing, a cut-off 2xx, a
request held past the client's timeout, and a late commit (the connection drops at once and the
sandbox commits 300 ms later). The status lookups meet 503s too. Then, with the faults removed,
the checker asks the sandbox for every payment:

- never doubled: at most one payout per `payment_id`, at most one refund per
  `merchant_refund_id`;
- nothing lost: a call that answered "accepted" has exactly one; a call that failed with
  `outcome_unknown: false` has none (a flag that lies is a violation); a call that failed with
  `outcome_unknown: true` may have either, and is counted;
- every error carries the call's `payment_id`, and only transient kinds occur.

Then, per client, the late-commit scenario: every write's connection drops and the sandbox
commits it 1.5 s later, after the call's 1.2 s deadline and its single lookup (no retries): each
call must end with `outcome_unknown: true`, and each write must be found afterwards.

Exits 1 on any violation; the summary goes to target/reliability/gate.json."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CLI = ROOT / "target" / "debug" / "polypay"
WRITES = "POST /v2/payment/card/"
FAULTS = [
    ("commit_500", {"status": 500, "commit": True}),
    ("commit_502", {"status": 502, "commit": True}),
    ("s503", {"status": 503}),
    ("reset", "reset"),
    ("lost", "created_response_lost"),
    ("malformed", "malformed_json"),
    ("delay", {"delay_ms": 1500}),
    ("late_commit", {"type": "late_commit", "commit_after_ms": 300}),
]
P_EACH = round(1 - (1 - 0.30) ** (1 / len(FAULTS)), 5)
TRANSIENT = {"server", "rate_limited", "timeout", "connection", "decode"}


class Sandbox:
    def __init__(self, seed: int) -> None:
        self.process = subprocess.Popen(
            [str(CLI), "sandbox", "--port", "0", "--print-config", "--seed", str(seed)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        assert self.process.stdout is not None
        self.config = json.loads(self.process.stdout.readline())
        self.base_url: str = self.config["base_url"]

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + "/__sandbox" + path, data=data, method=method,
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as r:
            text = r.read()
            return json.loads(text) if text else None

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def plan(client: str, calls: int) -> List[Dict[str, Any]]:
    tag = f"{client}-{uuid.uuid4().hex[:6]}"
    items = []
    for i in range(calls):
        items.append({"kind": "refund", "payment_id": f"{tag}-paid-{i}", "merchant_refund_id": f"{tag}-rf-{i}",
                      "request": {"general": {"payment_id": f"{tag}-paid-{i}"},
                                  "payment": {"amount": 400, "currency": "USD", "merchant_refund_id": f"{tag}-rf-{i}"}}})
        items.append({"kind": "payout", "payment_id": f"{tag}-po-{i}",
                      "request": {"general": {"payment_id": f"{tag}-po-{i}"}, "customer": {"id": "c-1"},
                                  "payment": {"amount": 700, "currency": "USD"},
                                  "card": {"pan": "5519283812030000", "year": 2040, "month": 1}}})
    return items


def driver(client: str, config: Path, out: Path) -> List[str]:
    if client == "python-sync":
        return [sys.executable, str(HERE / "drivers" / "gate_python.py"), str(config), str(out)]
    if client == "node":
        return ["node", str(HERE / "drivers" / "gate_node.js"), str(config), str(out)]
    if client == "kotlin":
        build = HERE / "drivers" / "kotlin" / "target"
        classpath = f"{build / 'classes'}:{(build / 'classpath.txt').read_text().strip()}"
        return ["java", f"-Djna.library.path={ROOT / 'target' / 'debug'}", "-cp", classpath,
                "polypay.reliability.GateDriverKt", str(config), str(out)]
    raise SystemExit(f"no Gate driver for {client}")


def held(sb: Sandbox, item: Dict[str, Any]) -> int:
    """How many of the call's operations the sandbox holds (status request, signed, no faults)."""
    import polypay

    gate = polypay.EcommpayGateApi(sb.config["ecommpay"]["project_id"], sb.config["ecommpay"]["secret_key"],
                                   base_url=sb.base_url, status_delay=0)
    try:
        payment = gate.payment_status(general={"payment_id": item["payment_id"]})
    except polypay.NotFoundError:
        return 0
    if item["kind"] == "payout":
        return sum(op.type == "payout" for op in payment.operations)
    ops = payment.raw.get("operations", [])
    return sum(op.get("merchant_refund_id") == item["merchant_refund_id"] for op in ops)


def run(client: str, calls: int, seed: int, work: Path, late: bool = False) -> Dict[str, Any]:
    """The campaign for one client; `late`: the late-commit scenario instead (every write's
    connection drops and it commits 1.5 s later, past the call's 1.2 s deadline and its one
    lookup, so every call must end `outcome_unknown: true`, and each lands afterwards)."""
    sb = Sandbox(seed)
    try:
        items = plan(client, calls)
        for item in items:
            if item["kind"] == "refund":
                sb.admin("POST", "/ecommpay/payments",
                         {"payment_id": item["payment_id"], "payment_amount": 1000, "payment_currency": "USD"})
        if late:
            sb.admin("POST", "/faults", {"id": "late", "route": WRITES,
                                         "effect": {"type": "late_commit", "commit_after_ms": 1500}})
        else:
            for name, effect in FAULTS:
                sb.admin("POST", "/faults", {"id": name, "route": WRITES, "probability": P_EACH, "effect": effect})
            sb.admin("POST", "/faults", {"id": "status_503", "route": "POST /v2/payment/status",
                                         "probability": 0.05, "effect": {"status": 503}})
        config = {"client": client, "base_url": sb.base_url, "project_id": sb.config["ecommpay"]["project_id"],
                  "secret_key": sb.config["ecommpay"]["secret_key"], "concurrency": 16,
                  "deadline_s": 1.2 if late else 10, "request_timeout_s": 1,
                  "status_delay_s": 0.2 if late else 0.4, "max_retries": 0 if late else 2, "plan": items}
        name = f"gate-{client}{'-late' if late else ''}"
        config_path, out_path = work / f"{name}.config.json", work / f"{name}.result.json"
        config_path.write_text(json.dumps(config))
        started = time.monotonic()
        subprocess.run(driver(client, config_path, out_path), check=True, timeout=900)
        wall_s = time.monotonic() - started
        result = json.loads(out_path.read_text())
        stats = sb.admin("GET", "/stats")
        sb.admin("DELETE", "/faults")
        time.sleep(2.5 if late else 1.0)  # late commits land
        summary = judge(client + (" late-commit" if late else ""), lambda item: held(sb, item), items,
                        result["calls"], stats, wall_s)
        if late and summary["unknown_landed"] != len(items):
            summary["violations"].append(
                f"{client} late-commit: {summary['unknown_landed']} of {len(items)} late writes landed "
                f"with outcome_unknown")
        return summary
    finally:
        sb.stop()


def judge(client: str, count: Callable[[Dict[str, Any]], int], items: List[Dict[str, Any]],
          calls: List[Dict[str, Any]], stats: Dict[str, Any], wall_s: float) -> Dict[str, Any]:
    """The invariants of the module docstring; `count` says how many of an item's operations
    the sandbox holds."""
    violations: List[str] = []
    counts = {"calls": len(calls), "accepted": 0, "reconciled": 0, "errors": 0, "outcome_unknown": 0,
              "unknown_landed": 0, "duplicates": 0, "lost": 0}
    for call in calls:
        item = items[call["i"]]
        n = count(item)
        what = f"{client} {item['kind']} {item['payment_id']}"
        if n > 1:
            counts["duplicates"] += 1
            violations.append(f"{what}: {n} operations (doubled)")
        if call["ok"]:
            counts["accepted"] += 1
            counts["reconciled"] += bool(call["reconciled"])
            if n != 1:
                counts["lost"] += 1
                violations.append(f"{what}: accepted but the sandbox holds {n}")
            continue
        error = call["error"]
        counts["errors"] += 1
        if error["kind"] not in TRANSIENT:
            violations.append(f"{what}: error of kind {error['kind']} ({error['message']})")
        if error.get("payment_id") != item["payment_id"]:
            violations.append(f"{what}: the error carries payment_id {error.get('payment_id')!r}")
        if error["outcome_unknown"]:
            counts["outcome_unknown"] += 1
            counts["unknown_landed"] += n
        elif n != 0:
            counts["lost"] += 1
            violations.append(f"{what}: outcome_unknown false, yet the sandbox holds {n}")
    faults = sum(rule.get("fired", 0) for rule in stats.get("faults", []))
    return {"client": client, **counts, "faults_injected": faults, "wall_s": round(wall_s, 1),
            "violations": violations}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=40, help="refunds, and as many payouts, per client")
    parser.add_argument("--clients", default="python-sync,node,kotlin")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--late-calls", type=int, default=5, help="refunds and payouts of the late-commit scenario")
    args = parser.parse_args()
    work = ROOT / "target" / "reliability"
    work.mkdir(parents=True, exist_ok=True)
    parser_clients = args.clients.split(",")
    summaries = [run(client, args.calls, args.seed, work) for client in parser_clients]
    summaries += [run(client, args.late_calls, args.seed, work, late=True) for client in parser_clients]
    (work / "gate.json").write_text(json.dumps(summaries, indent=2))
    print("| client | calls | accepted | reconciled | errors | outcome unknown (landed) | faults | duplicates | lost |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for s in summaries:
        print(f"| {s['client']} | {s['calls']} | {s['accepted']} | {s['reconciled']} | {s['errors']} | "
              f"{s['outcome_unknown']} ({s['unknown_landed']}) | {s['faults_injected']} | {s['duplicates']} | {s['lost']} |")
    violations = [v for s in summaries for v in s["violations"]]
    for v in violations[:50]:
        print("VIOLATION", v)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
