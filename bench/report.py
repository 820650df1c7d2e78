#!/usr/bin/env python3
"""Writes the Criterion figures of `cargo bench -p polypay-bench --bench core` into bench/RESULTS.md.

Only this script's own section of RESULTS.md is replaced (between its markers), so other
benchmark reports can live in the same file. Figures are Criterion's median estimates.
"""

import datetime
import json
import os
import platform
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRITERION = os.path.join(ROOT, "target", "criterion")
RESULTS = os.path.join(ROOT, "bench", "RESULTS.md")
SECTION = "core"
COMMAND = "make bench  (cargo bench -p polypay-bench --bench core --bench client; python3 bench/report.py)"

# (criterion id, what it measures)
ROWS = [
    ("ecommpay/sign_typical10", "ecommpay sign, 10-parameter payment (Gate/Signer, key prepared once)"),
    ("ecommpay/sign_typical10_new_key", "ecommpay sign, 10 parameters, `sign(params, secret)` (key set up per call)"),
    ("ecommpay/string_to_sign_typical10", "  of which: canonical string (flatten + natural sort)"),
    ("ecommpay/bare_hmac_sha512_prekeyed_typical10", "  bare HMAC-SHA512 + base64 of the same 333-byte string, key prepared"),
    ("ecommpay/bare_hmac_sha512_base64_typical10", "  bare HMAC-SHA512 + base64, key set up per call"),
    ("ecommpay/sign_nested_callback", "ecommpay sign, nested callback body (34 leaves, 3 levels)"),
    ("ecommpay/verify_callback", "ecommpay callback verify (parse raw body + strip + sign + compare)"),
    ("ecommpay/payment_page_url_typical10", "ecommpay Payment Page URL, 10 parameters"),
    ("paycore/verify/1024", "PayCore X-Signature verify, 1 KB body"),
    ("paycore/bare_sha1/1024", "  bare SHA-1 over the same 1 KB"),
    ("paycore/verify/65536", "PayCore X-Signature verify, 64 KB body"),
    ("paycore/bare_sha1/65536", "  bare SHA-1 over the same 64 KB"),
    ("hpp/url_from_json", "HPP URL from JSON parameters (validate + build)"),
    ("hpp/url_from_params", "HPP URL from typed parameters"),
]

# Official SDKs on this machine, docs/ecommpay.md §7 (same inputs).
PEERS = {
    "ecommpay/sign_typical10": [("official Python SDK 1.0.6", 7.4), ("official Node SDK 0.1.7", 3.4)],
    "ecommpay/sign_nested_callback": [("official Python SDK", 23.9), ("official Node SDK", 8.5)],
    "ecommpay/payment_page_url_typical10": [("official Python SDK", 28.7), ("official Node SDK", 5.2)],
    "ecommpay/verify_callback": [("official Python SDK", 45.9), ("official Node SDK", 11.7)],
}


def median_ns(bench_id):
    path = os.path.join(CRITERION, *bench_id.split("/"), "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


def fmt(ns):
    return "%.2f µs" % (ns / 1000) if ns >= 1000 else "%.0f ns" % ns


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return "%s, %d cores, %s, %s" % (cpu, os.cpu_count() or 0, platform.system(), rustc)


def main():
    try:
        figures = {bench_id: median_ns(bench_id) for bench_id, _ in ROWS}
    except FileNotFoundError as e:
        sys.exit("no Criterion results (%s): run `cargo bench -p polypay-bench --bench core` first" % e.filename)

    lines = [
        "## Core (issue 2): signing, verification, URLs",
        "",
        "- Date: %s" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "- Machine: %s" % machine(),
        "- Command: `%s`" % COMMAND,
        "- Figures: Criterion median per call, single thread.",
        "",
        "| operation | median | compared with |",
        "| --- | ---: | --- |",
    ]
    for bench_id, label in ROWS:
        peers = "; ".join("%s %.1f µs (%.1f× faster)" % (name, us, us * 1000 / figures[bench_id])
                          for name, us in PEERS.get(bench_id, []))
        lines.append("| %s | %s | %s |" % (label, fmt(figures[bench_id]), peers))

    sign = figures["ecommpay/sign_typical10"]
    verify_1k = figures["paycore/verify/1024"]
    ratio_64k = figures["paycore/verify/65536"] / figures["paycore/bare_sha1/65536"]
    targets = [
        ("ecommpay sign, 10 parameters ≤ 1.5 µs", fmt(sign), sign <= 1500),
        ("PayCore verify, 1 KB ≤ 3 µs", fmt(verify_1k), verify_1k <= 3000),
        ("PayCore verify, 64 KB within 1.5× of bare SHA-1 (same run)", "%.2f×" % ratio_64k, ratio_64k <= 1.5),
    ]
    lines += ["", "| target | measured | met |", "| --- | ---: | --- |"]
    lines += ["| %s | %s | %s |" % (t, m, "yes" if ok else "**no**") for t, m, ok in targets]

    timing = os.path.join(ROOT, "target", "bench", "ct_timing.txt")
    if os.path.exists(timing):
        lines += [
            "",
            "## Constant-time signature comparison (statistical test)",
            "",
            "`cargo run --release -p polypay-bench --example ct_timing`: dudect-style Welch t-test of",
            "refusing signatures wrong in their first vs last byte, interleaved at random; |t| < 4.5",
            "is no evidence of a timing difference; an early-exit comparison is the control.",
            "",
        ] + ["    " + line for line in open(timing).read().strip().splitlines()]

    client = os.path.join(ROOT, "target", "bench", "client.json")
    if os.path.exists(client):
        rows = json.load(open(client))
        lines += [
            "",
            "## API client (issue 3): overhead over a bare HTTP call",
            "",
            "`get_payment_invoice` (request, retries armed, typed model with `raw`) against a loopback",
            "axum server returning the 3 KB reference invoice with keep-alive, next to a bare",
            "`reqwest` GET + `serde_json` parse of the same response. The two alternate (ABBA) in %d"
            " rounds" % rows[0]["rounds"],
            "in one process (`cargo bench -p polypay-bench --bench client`); the ratio is the median",
            "of the per-round ratios.",
            "",
            "| case | SDK µs/call | bare µs/call | SDK / bare | target ≤ 1.10 |",
            "| --- | ---: | ---: | ---: | --- |",
        ]
        for row in rows:
            lines.append("| %s | %.1f | %.1f | %.3f | %s |" % (
                row["case"], row["sdk_us_per_call"], row["bare_us_per_call"], row["overhead_ratio"],
                "yes" if row["overhead_ratio"] <= 1.10 else "**no**"))

    begin, end = "<!-- %s:begin -->" % SECTION, "<!-- %s:end -->" % SECTION
    block = "%s\n%s\n%s" % (begin, "\n".join(lines), end)
    text = open(RESULTS).read() if os.path.exists(RESULTS) else \
        "# Benchmark results\n\nEvery figure with its machine, command and date. Regenerate with `make bench`.\n"
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(RESULTS, "w") as f:
        f.write(text)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
