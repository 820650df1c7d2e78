"""The fault campaign (issue 9): `make reliability` (full) and `make test-reliability` (short).

For each client (Python sync, Python asyncio, Node, Kotlin), on a fresh `polypay sandbox` that
injects faults on ~20% of API requests and sends callbacks to a merchant app refusing the first
3 deliveries of each invoice: the client's driver creates the payment invoices and payouts of a
plan, then the checker judges the sandbox's state (checker.py). Then, per client, the
late-commit scenario: creates that reach the sandbox after the client's timeout (late_proxy.py).
Prints the table, writes every summary to target/reliability/summary.json, and with
--results FILE the table between `<!-- reliability:begin -->` and `<!-- reliability:end -->`
in FILE. Exits 1 on any violation."""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List

from checker import check_client
from late_proxy import LateCommitProxy
from merchant import Merchant

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEBUG = ROOT / "target" / "debug"

# The faults: each rule fires on its own seeded stream with the same probability, so that
# 1 - (1 - p)^len(KINDS) = 20% of API requests get one. The delay outlasts the clients' request
# timeout. The last four are what a gateway does on a bad day after doing the work (issue 14):
# malformed_json and wrong_shape commit and answer a 2xx that cannot be read; commit_5xx commits
# and answers 502; late_commit drops the connection at once and commits 1.2 s later, after the
# client's first lookup has found nothing.
REQUEST_TIMEOUT_S = 1.0
KINDS = [
    ("s500", {"status": 500}),
    ("s502", {"status": 502}),
    ("s503", {"status": 503}),  # Retry-After: 1
    ("s504", {"status": 504}),
    ("s429", {"status": 429, "retry_after": 1}),
    ("reset", "reset"),
    ("delay", {"delay_ms": 1500}),
    ("lost", "created_response_lost"),
    ("malformed", "malformed_json"),
    # Only on creates: an empty list answered to a lookup is a lie no client can see through.
    ("wrong_shape", {"type": "wrong_shape", "status": 201, "body": {"data": []}}, "POST /api/"),
    ("commit_5xx", {"status": 502, "commit": True}),
    ("late_commit", {"type": "late_commit", "commit_after_ms": 1200}),
]
FAULT_SHARE = 0.20
P_EACH = round(1 - (1 - FAULT_SHARE) ** (1 / len(KINDS)), 5)
FAULTS = [
    {"id": kind[0], "route": kind[2] if len(kind) > 2 else "/api/", "probability": P_EACH, "effect": kind[1]}
    for kind in KINDS
]
MAX_DELAY_S = 1.5

CLIENTS = ["python-sync", "python-async", "node", "kotlin"]


def driver_command(client: str, config: Path, out: Path) -> List[str]:
    drivers = HERE / "drivers"
    if client in ("python-sync", "python-async"):
        mode = client.split("-")[1]
        return [sys.executable, str(drivers / "python_driver.py"), mode, str(config), str(out)]
    if client == "node":
        return ["node", str(drivers / "node_driver.js"), str(config), str(out)]
    if client == "kotlin":
        build = drivers / "kotlin" / "target"
        classpath = f"{build / 'classes'}:{(build / 'classpath.txt').read_text().strip()}"
        return ["java", f"-Djna.library.path={DEBUG}", "-cp", classpath,
                "polypay.reliability.DriverKt", str(config), str(out)]
    raise ValueError(f"unknown client {client}")


def plan(client: str, payments: int, payouts: int) -> List[Dict[str, Any]]:
    """The creates, with exact decimal amounts as strings; one payment in 7 is declined."""
    run = uuid.uuid4().hex[:8]
    items = []
    for i in range(payments):
        declined = i % 7 == 3
        items.append({
            "kind": "payment",
            "expect": "process_failed" if declined else "processed",
            "fields": {
                "reference_id": f"{client}-{run}-pay-{i}",
                "service": "test_usd_test",
                "amount": f"{1 + i % 9973}.{i % 100:02d}",
                "currency": "USD",
                "test_mode": True,
                "service_fields": {"status": "fail" if declined else "success"},
            },
        })
    for i in range(payouts):
        items.append({
            "kind": "payout",
            "expect": "processed",
            "fields": {
                "reference_id": f"{client}-{run}-out-{i}",
                "service": "test_usd",
                "amount": f"{1 + i % 997}.{(i * 7) % 100:02d}",
                "currency": "USD",
                "test_mode": True,
                "fields": {"account": f"{4000 + i}"},
            },
        })
    random.Random(0).shuffle(items)  # payments and payouts interleaved, the same way each run
    return items


class Sandbox:
    def __init__(self, callback_url: str, seed: int, faults: List[Dict[str, Any]]) -> None:
        args = [str(DEBUG / "polypay"), "sandbox", "--port", "0", "--print-config",
                "--seed", str(seed), "--time-scale", "0.001", "--callback-url", callback_url]
        for rule in faults:
            args += ["--fault", json.dumps(rule)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the sandbox did not start")
        self.config = json.loads(line)
        self.base_url: str = self.config["base_url"]
        armed = [f["id"] for f in self.admin("/faults")["data"]]
        if armed != [f["id"] for f in faults]:
            self.stop()
            raise RuntimeError(f"the sandbox armed {armed}")

    def admin(self, path: str) -> Any:
        with urllib.request.urlopen(self.base_url + "/__sandbox" + path, timeout=60) as r:
            return json.load(r)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def run_client(client: str, args: argparse.Namespace, work: Path, late: bool = False) -> Dict[str, Any]:
    """One client's run: the fault campaign, or with `late` the late-commit scenario (no sandbox
    faults; every create reaches the sandbox 1.5 s late, after the client's 1 s request timeout,
    and no retries left, so the client must reconcile with the create still in flight)."""
    name = f"{client} late-commit" if late else client
    with Merchant("sk_test_sandbox", fail_first=3) as merchant, ExitStack() as stack:
        sandbox = Sandbox(merchant.url, args.seed, [] if late else FAULTS)
        stack.callback(sandbox.stop)
        base_url = sandbox.base_url
        if late:
            proxy = stack.enter_context(LateCommitProxy(sandbox.base_url, MAX_DELAY_S))
            base_url = proxy.url
        creds = sandbox.config["paycore"]
        cfg = {
            "client": name,
            "base_url": base_url,
            "account_id": creds["account_id"],
            "api_key": creds["api_key"],
            "deadline_s": args.deadline,
            "request_timeout_s": REQUEST_TIMEOUT_S,
            "connect_timeout_s": 1.0,
            "max_retries": 0 if late else 2,
            "concurrency": args.concurrency,
            "settle_attempts": 5,
            # Reconcile once the outcome can no longer change: after the longest a request can
            # still be in flight (the delay fault and the late proxy hold requests 1.5 s).
            "settle_after_s": 2.0,
            "plan": plan(client, args.late_calls, 0) if late else plan(client, args.payments, args.payouts),
        }
        slug = name.replace(" ", "-")
        config_path, out_path = work / f"{slug}.config.json", work / f"{slug}.result.json"
        config_path.write_text(json.dumps(cfg))
        out_path.unlink(missing_ok=True)
        started = time.monotonic()
        with open(work / f"{slug}.log", "w") as log:
            subprocess.run(driver_command(client, config_path, out_path), check=True,
                           stdout=log, stderr=subprocess.STDOUT, timeout=args.driver_timeout)
        driver_s = time.monotonic() - started
        result = json.loads(out_path.read_text())
        # Let any delayed request finish and every callback be delivered before judging.
        time.sleep(MAX_DELAY_S + 0.5)
        deadline = time.monotonic() + 120
        while sandbox.admin("/stats")["callbacks"]["pending"] and time.monotonic() < deadline:
            time.sleep(0.2)
        invoices = sandbox.admin("/invoices?limit=1000000")["data"]
        summary = check_client(cfg, result, invoices, sandbox.admin("/faults")["data"],
                               sandbox.admin("/stats"), merchant)
        if late:  # the proxy's late creates are this scenario's faults; they all land after the calls
            final = sandbox.admin("/stats")["requests"]
            summary["api_requests"] = sum(n for route, n in final.items() if " /api/" in route)
            summary["faults_injected"] = proxy.delayed
            summary["fault_share"] = proxy.delayed / max(summary["api_requests"], 1)
        summary["driver_s"] = round(driver_s, 2)
        return summary


def table(summaries: List[Dict[str, Any]]) -> str:
    head = ("| client | calls | faults injected | retries | reconciliations | duplicates | lost "
            "| errors (outcome unknown → settled) | max call / deadline | callbacks: final state once | wall |")
    rows = [head, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in summaries:
        errors = sum(s["errors_by_kind"].values())
        cb = s["callbacks"]
        rows.append(
            f"| {s['client']} | {s['calls']:,} ({s['payments']:,} + {s['payouts']:,}) "
            f"| {s['faults_injected']:,} of {s['api_requests']:,} ({s['fault_share']:.1%}) "
            f"| {s['retries']:,} | {s['reconciliations']:,} ({s['reconciled_results']:,} found) "
            f"| {s['duplicates']} | {s['lost']} "
            f"| {errors} ({s['outcome_unknown']} → {s['settled_found']} found, {s['settled_absent']} absent) "
            f"| {s['max_call_s']:.2f} s / {s['deadline_s']:g} s "
            f"| {cb['final_exactly_once']:,} / {cb['orders']:,} ({cb['refused']:,} refused) "
            f"| {s['wall_s']:.1f} s |"
        )
    return "\n".join(rows)


def write_results(path: Path, args: argparse.Namespace, summaries: List[Dict[str, Any]], text: str) -> None:
    begin, end = "<!-- reliability:begin -->", "<!-- reliability:end -->"
    kinds = ", ".join(kind[0] for kind in KINDS)
    section = "\n".join([
        begin,
        "## Fault campaign (`make reliability`)",
        "",
        f"- Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; machine: {platform.machine()}, "
        f"{os.cpu_count()} cores; debug builds (sandbox and bindings), loopback.",
        f"- Command: `make reliability RELIABILITY_PAYMENTS={args.payments} RELIABILITY_PAYOUTS={args.payouts}` "
        f"({args.concurrency} calls in flight per client; deadline {args.deadline:g} s, request timeout "
        f"{REQUEST_TIMEOUT_S:g} s, 2 retries).",
        f"- Faults on every `/api/` request, {len(KINDS)} seeded rules of p = {P_EACH} each ({kinds}; "
        "the delay outlasts the request timeout); callbacks to a merchant app that answers 500 to "
        "the first 3 deliveries of each invoice (`--time-scale 0.001`).",
        ("- *late-commit* rows: no sandbox faults, but every create reaches the sandbox 1.5 s late "
         "through a proxy (tests/reliability/late_proxy.py) and is committed although the client "
         "timed out at 1 s; `max_retries` 0, so the client's one lookup runs while the create is "
         "still in flight."),
        "- Retries: creates the sandbox received beyond one per call; reconciliations: lookups by "
        "`reference_id` it received (\"found\": results returned from one). Duplicates and lost are "
        "judged from the sandbox's state (tests/reliability/checker.py).",
        "",
        text,
        end,
    ])
    content = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if pattern.search(content):
        content = pattern.sub(lambda _: section, content)
    else:
        content = content.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(content, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--payments", type=int, default=2000)
    parser.add_argument("--payouts", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--deadline", type=float, default=10.0, help="each call's deadline, seconds")
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--late-calls", type=int, default=5,
                        help="payments per client in the late-commit scenario (0: skip it)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--driver-timeout", type=float, default=1800)
    parser.add_argument("--results", type=Path, help="write the table into this markdown file")
    args = parser.parse_args()

    work = ROOT / "target" / "reliability"
    work.mkdir(parents=True, exist_ok=True)
    summaries = []
    started = time.monotonic()
    for client in args.clients.split(","):
        print(f"reliability: {client}: {args.payments} payments + {args.payouts} payouts ...", flush=True)
        summary = run_client(client, args, work)
        summaries.append(summary)
        print(f"reliability: {client}: {'ok' if summary['ok'] else 'FAILED'} in {summary['driver_s']} s", flush=True)
    for client in args.clients.split(",") if args.late_calls else []:
        print(f"reliability: {client}: late-commit scenario, {args.late_calls} payments ...", flush=True)
        summary = run_client(client, args, work, late=True)
        summaries.append(summary)
        print(f"reliability: {client} late-commit: {'ok' if summary['ok'] else 'FAILED'}", flush=True)
    (work / "summary.json").write_text(json.dumps(summaries, indent=2))
    text = table(summaries)
    print(text)
    print(f"reliability: {time.monotonic() - started:.0f} s in all")
    failed = [s for s in summaries if not s["ok"]]
    for s in failed:
        print(f"\n{s['client']}: {len(s['problems'])} violation(s):", file=sys.stderr)
        for problem in s["problems"][:50]:
            print("  " + problem, file=sys.stderr)
    if args.results:
        write_results(args.results, args, summaries, text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
