"""Helpers of the release-artifact checks (packaging/*/): the standard library only, so that they
run under Debian's /usr/bin/python3 in a clean room (`env -i PATH=/usr/bin:/bin`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import venv
import zipfile
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

GLIBC_LIMIT = (2, 17)
ELF_MAGIC = b"\x7fELF"


def fail(message: str) -> None:
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def step(message: str) -> None:
    print(f"  - {message}", flush=True)


def version_text(v: Tuple[int, ...]) -> str:
    return ".".join(map(str, v))


def glibc_versions(path: Path) -> List[Tuple[int, ...]]:
    """Every GLIBC_x.y[.z] version the ELF file's dynamic symbols ask for (objdump -T, or readelf
    --dyn-syms when objdump is missing)."""
    if shutil.which("objdump"):
        cmd = ["objdump", "-T", str(path)]
    else:
        cmd = ["readelf", "--dyn-syms", "--wide", str(path)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return sorted({tuple(int(p) for p in m.split(".")) for m in re.findall(r"GLIBC_(\d+(?:\.\d+)+)", out)})


def check_glibc(path: Path, label: str) -> Tuple[int, ...]:
    versions = glibc_versions(path)
    if not versions:
        fail(f"{label}: no GLIBC_ symbol versions found (not a dynamically linked glibc ELF?)")
    highest = versions[-1]
    if highest > GLIBC_LIMIT:
        newer = [version_text(v) for v in versions if v > GLIBC_LIMIT]
        fail(f"{label}: needs GLIBC_{version_text(highest)} > {version_text(GLIBC_LIMIT)} "
             f"(symbol versions {', '.join(newer)})")
    step(f"{label}: highest GLIBC_ symbol version {version_text(highest)} "
         f"(<= {version_text(GLIBC_LIMIT)})")
    return highest


def wheel_elves(wheel: Path, into: Path) -> Dict[str, Path]:
    """Extracts the ELF files of a wheel; {member name: extracted path}."""
    found = {}
    with zipfile.ZipFile(wheel) as z:
        for info in z.infolist():
            with z.open(info) as f:
                if f.read(4) != ELF_MAGIC:
                    continue
            target = into / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(info))
            found[info.filename] = target
    return found


def fresh_venv(where: Path) -> Path:
    """A new venv of the running interpreter (Debian's python3 in the clean room), with pip."""
    venv.EnvBuilder(with_pip=True, clear=True).create(where)
    return where / "bin" / "python"


def pip_install_offline(python: Path, dist: Path, *requirements: str) -> None:
    """pip install from dist/ only: no index, no network; a dependency it cannot find there fails."""
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-index",
                    "--disable-pip-version-check", "--no-cache-dir",
                    "--find-links", str(dist), *requirements], check=True)


def readme_block(readme: Path, marker: str, language: str) -> str:
    """The first ```language fenced block after the line holding `marker`."""
    text = readme.read_text(encoding="utf-8")
    at = text.find(marker)
    if at < 0:
        fail(f"{readme}: no {marker!r} marker")
    m = re.compile(r"^```" + re.escape(language) + r"[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M).search(text, at)
    if not m:
        fail(f"{readme}: no ```{language} block after {marker!r}")
    return m.group(1)


class Sandbox:
    """`polypay sandbox --port 0 --print-config`: its config line, then SIGTERM on exit."""

    def __init__(self, binary: Path, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [str(binary), "sandbox", "--port", "0", "--print-config", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.kill()
            fail(f"{binary} sandbox did not start")
        self.config = json.loads(line)
        self.base_url: str = self.config["base_url"]

    def admin(self, path: str) -> dict:
        with urllib.request.urlopen(self.base_url + "/__sandbox" + path, timeout=10) as r:
            return json.load(r)

    def api_requests(self) -> int:
        stats = self.admin("/stats")["requests"]
        return sum(n for route, n in stats.items() if "/__sandbox" not in route)

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def assert_clean_room() -> None:
    """The proof is only worth something where no Rust toolchain can be reached."""
    for tool in ("cargo", "rustc", "maturin"):
        if shutil.which(tool):
            fail(f"not a clean room: {tool} is on PATH ({shutil.which(tool)})")
    step(f"clean room: PATH={os.environ.get('PATH')}, no cargo/rustc/maturin, "
         f"Python {sys.version.split()[0]} ({sys.executable})")


def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="polypay-dist-") as d:
        yield Path(d)


def elapsed(start: float) -> str:
    return f"{time.monotonic() - start:.1f} s"


def run_checked(cmd: List[str], *, env: Optional[Dict[str, str]] = None, cwd: Optional[Path] = None,
                input: Optional[str] = None, timeout: float = 120) -> str:
    r = subprocess.run(cmd, env=env, cwd=cwd, input=input, capture_output=True, text=True,
                       timeout=timeout)
    if r.returncode != 0:
        fail(f"{' '.join(cmd)} exited {r.returncode}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}")
    return r.stdout
