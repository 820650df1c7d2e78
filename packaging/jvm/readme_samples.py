"""README samples for the clean-room tests of packaging/jvm and packaging/swift.

A sample is a fenced code block preceded by the line `<!-- readme-sample: NAME -->` (the
convention of bindings-uniffi's ReadmeTest/ReadmeTests, which also check that each block equals
its tested region). The dist tests take the blocks from the README itself, so a README sample
that stops working with the published artifact fails `make test-dist`.
"""

import re
import sys
from pathlib import Path

_MARKER = re.compile(r"^\s*<!--\s*readme-sample:\s*([\w.-]+)\s*-->\s*$")


def samples(readme: Path, lang: str) -> dict[str, str]:
    """Every marked ```LANG block of README, by name, its common indentation removed."""
    lines = readme.read_text(encoding="utf-8").split("\n")
    found: dict[str, str] = {}
    i = 0
    while i < len(lines):
        opening = lines[i].strip()
        if not opening.startswith("```"):
            i += 1
            continue
        fence = opening[: len(opening) - len(opening.lstrip("`"))]
        info = opening[len(fence):].strip()
        end = i + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        if end == len(lines):
            sys.exit(f"{readme}:{i + 1}: unclosed code block")
        marker = _MARKER.match(lines[i - 1]) if i > 0 else None
        if marker and info.split()[:1] == [lang]:
            name = marker.group(1)
            if name in found:
                sys.exit(f"{readme}: sample {name} twice")
            found[name] = _dedent(lines[i + 1:end])
        i = end + 1
    return found


def _dedent(lines: list[str]) -> str:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    indent = min((len(l) - len(l.lstrip()) for l in lines if l.strip()), default=0)
    return "\n".join(l[indent:] if l.strip() else "" for l in lines) + "\n"


def require(found: dict[str, str], readme: Path, *names: str) -> None:
    """Fails with a clear message when the README no longer has a sample the test drives."""
    missing = [n for n in names if n not in found]
    if missing:
        sys.exit(f"{readme}: no sample {', '.join(missing)} (found: {', '.join(found) or 'none'});"
                 " the dist test runs these: update packaging/ with the README")
