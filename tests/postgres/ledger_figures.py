"""The exactly-once tests' figures (target/ledger/*.json, written by
bindings-python/tests/test_ledger.py and bindings-node/test/ledger-workers.test.js) as the
Markdown table of bench/RESULTS.md and the README.

    python3 tests/postgres/ledger_figures.py"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    runs = [json.loads(p.read_text()) for p in sorted((ROOT / "target" / "ledger").glob("*.json"))]
    if not runs:
        print("no figures: run the exactly-once tests first", file=sys.stderr)
        return 1
    print("| app | database | worker processes | entities | deliveries | applied | "
          "duplicates absorbed | stale refused | handler failures (retried) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in runs:
        print(f"| {r['framework']} | {r['engine']} | {r['workers']} | {r['entities']} | "
              f"{r['deliveries']:,} | {r['apply']:,} | {r['duplicate']:,} | {r['stale']:,} | "
              f"{r['handler failed']:,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
