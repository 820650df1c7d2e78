"""`make test-dist-cli`: the `polypay` binary and the `polypay-cli` wheel from dist/, proven where
no Rust exists (run by Debian's /usr/bin/python3 under `env -i PATH=/usr/bin:/bin`).

Checks the highest GLIBC_ symbol version of dist/polypay (<= 2.17), that the wheel carries that
very binary, installs the wheel into a fresh venv with pip from dist/ alone, and runs the
installed `polypay`: --version, `ecommpay sign` (the secret from POLYPAY_ECOMMPAY_SECRET) against
the published ecommpay example, and `polypay sandbox` as a CI job would start it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
from distcheck import (  # noqa: E402
    Sandbox,
    assert_clean_room,
    check_glibc,
    elapsed,
    fail,
    fresh_venv,
    pip_install_offline,
    run_checked,
    step,
    wheel_elves,
    workdir,
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dist", type=Path, required=True)
    ap.add_argument("--binary", type=Path, required=True)
    ap.add_argument("--wheel", type=Path, required=True)
    ap.add_argument("--wheel-binary", required=True, help="the binary's member name in the wheel")
    ap.add_argument("--version", required=True)
    ap.add_argument("--vectors", type=Path, required=True)
    args = ap.parse_args()
    start = time.monotonic()
    print(f"test-dist-cli: {args.binary} and {args.wheel.name}")
    assert_clean_room()
    dist = args.dist.resolve()

    check_glibc(args.binary, f"{args.binary} ({args.binary.stat().st_size / 1e6:.2f} MB)")
    for work in workdir():
        elves = wheel_elves(args.wheel, work / "unzipped")
        if list(elves) != [args.wheel_binary]:
            fail(f"{args.wheel.name}: native files {sorted(elves)}, expected {args.wheel_binary}")
        packed = elves[args.wheel_binary]
        check_glibc(packed, f"{args.wheel.name}!{args.wheel_binary}")
        if sha256(packed) != sha256(args.binary):
            fail(f"the wheel's {args.wheel_binary} is not {args.binary} (sha256 differ)")
        step(f"the wheel carries {args.binary} itself (sha256 {sha256(packed)[:16]}…)")

        python = fresh_venv(work / "venv")
        pip_install_offline(python, dist, f"polypay-cli=={args.version}")
        polypay = work / "venv" / "bin" / "polypay"
        if not polypay.is_file():
            fail(f"pip install polypay-cli put no polypay command in {polypay.parent}")
        env = {"PATH": f"{polypay.parent}:{os.environ['PATH']}", "HOME": os.environ.get("HOME", str(work))}
        version = run_checked(["polypay", "--version"], env=env).strip()
        if version != f"polypay {args.version}":
            fail(f"polypay --version says {version!r}, expected 'polypay {args.version}'")
        step(f"pip install --no-index polypay-cli: `polypay --version` -> {version}")

        case = next(c for c in json.loads(args.vectors.read_text())["cases"]
                    if c["id"] == "sign-docs-example")
        signature = run_checked(["polypay", "ecommpay", "sign", "--json", "-"], input=case["params_json"],
                                env={**env, "POLYPAY_ECOMMPAY_SECRET": case["secret"]}).strip()
        if signature != case["signature"]:
            fail(f"polypay ecommpay sign gave {signature!r}, the published example is {case['signature']!r}")
        step(f"`polypay ecommpay sign` (POLYPAY_ECOMMPAY_SECRET) reproduces the ecommpay docs "
             f"example: {signature[:24]}…")

        with Sandbox(polypay) as sb:
            health = sb.admin("/stats")
            if "requests" not in health:
                fail(f"polypay sandbox /__sandbox/stats answered {health}")
            invoice = run_checked(
                ["polypay", "paycore", "api", "create-payment-invoice", "--json",
                 json.dumps({"reference_id": "dist-cli-1", "amount": "100.55", "currency": "USD",
                             "service": "test_usd_test", "service_fields": {"status": "success"}})],
                env={**env, "POLYPAY_BASE_URL": sb.base_url,
                     "POLYPAY_ACCOUNT_ID": sb.config["paycore"]["account_id"],
                     "POLYPAY_API_KEY": sb.config["paycore"]["api_key"]})
            created = json.loads(invoice)
            if created.get("reference_id") != "dist-cli-1":
                fail(f"create-payment-invoice answered {invoice}")
        step(f"`polypay sandbox --port 0 --print-config` served at {sb.base_url}; "
             f"`polypay paycore api create-payment-invoice` -> {created.get('id')} ({created.get('status')})")
    print(f"test-dist-cli: ok ({elapsed(start)})")


if __name__ == "__main__":
    main()
