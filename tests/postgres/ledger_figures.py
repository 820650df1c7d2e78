"""The exactly-once tests' figures (target/ledger/*.json, written by
bindings-python/tests/test_ledger.py and bindings-node/test/ledger-workers.test.js) as the
Markdown table of bench/RESULTS.md and docs/project.md (the site).

    python3 tests/postgres/ledger_figures.py            # prints it
    python3 tests/postgres/ledger_figures.py --write    # between <!-- ledger:… --> in both"""

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def table() -> str:
    files = sorted((ROOT / "target" / "ledger").glob("*.json"))
    runs = [json.loads(p.read_text()) for p in files]
    times = sorted(p.stat().st_mtime for p in files)
    span = [time.strftime("%Y-%m-%d %H:%M", time.gmtime(t)) for t in (times[0], times[-1])]
    lines = [
        f"Each row from the test's last run; the runs of {span[0]} to {span[1]} UTC:",
        "",
        "| app | database | worker processes | entities | deliveries | applied | "
        "duplicates absorbed | stale refused | handler failures (retried) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in runs:
        lines.append(
            f"| {r['framework']} | {r['engine']} | {r['workers']} | {r['entities']} | "
            f"{r['deliveries']:,} | {r['apply']:,} | {r['duplicate']:,} | {r['stale']:,} | "
            f"{r['handler failed']:,} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    if not list((ROOT / "target" / "ledger").glob("*.json")):
        print("no figures: run the exactly-once tests first", file=sys.stderr)
        return 1
    text = table()
    if "--write" not in sys.argv[1:]:
        print(text, end="")
        return 0
    begin, end = "<!-- ledger:begin -->\n", "<!-- ledger:end -->"
    for doc in (ROOT / "docs" / "project.md", ROOT / "bench" / "RESULTS.md"):
        before, rest = doc.read_text().split(begin, 1)
        _, after = rest.split(end, 1)
        doc.write_text(before + begin + text + end + after)
    return 0


if __name__ == "__main__":
    sys.exit(main())
