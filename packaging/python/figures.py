"""Writes the sizes and build times of the Python and CLI release artifacts (`make dist-figures`,
after `make dist-python dist-cli`) into bench/RESULTS.md, between its markers; the rest of the
file is kept. Build times are those of the last build of each artifact (target/dist-build/*.seconds)."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import subprocess
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- release-python-cli:begin -->", "<!-- release-python-cli:end -->"
GOAL = 5_000_000


def mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


def tool(cmd: list) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return "?"


def seconds(build: Path, name: str) -> str:
    f = build / f"{name}.seconds"
    if not f.exists():
        return "not recorded"
    s = int(f.read_text().strip())
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


def member_size(wheel: Path, suffix: str) -> int:
    with zipfile.ZipFile(wheel) as z:
        return next(i.file_size for i in z.infolist() if i.filename.endswith(suffix))


def glibc(path: Path) -> str:
    out = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True).stdout
    versions = {tuple(int(p) for p in v.split(".")) for v in re.findall(r"GLIBC_(\d+(?:\.\d+)+)", out)}
    return ".".join(map(str, max(versions))) if versions else "?"


def glibc_in_wheel(wheel: Path, suffix: str) -> str:
    with zipfile.ZipFile(wheel) as z, tempfile.TemporaryDirectory() as d:
        name = next(n for n in z.namelist() if n.endswith(suffix))
        return glibc(Path(z.extract(name, d)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dist", type=Path, required=True)
    ap.add_argument("--build", type=Path, required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--note", default="", help="how the build times were taken (cold/warm)")
    args = ap.parse_args()
    dist, v = args.dist, args.version
    tag = "manylinux2014_x86_64.manylinux_2_17_x86_64"
    wheel = dist / f"polypay-{v}-cp39-abi3-{tag}.whl"
    sdist = dist / f"polypay-{v}.tar.gz"
    cli = dist / "polypay"
    cli_wheel = dist / f"polypay_cli-{v}-py3-none-{tag}.whl"
    so = member_size(wheel, "_native.abi3.so")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {tool(['rustc', '-V'])}, " \
              f"{tool([str(ROOT / 'target/venv-python/bin/maturin'), '--version'])}, " \
              f"zig {tool([str(ROOT / 'target/venv-python/bin/python'), '-m', 'ziglang', 'version'])}, " \
              f"{tool([str(ROOT / 'target/venv-python/bin/cargo-zigbuild'), '--version'])}"
    rows = [
        ("`polypay/_native.abi3.so` (in the wheel, unpacked)", so, glibc_in_wheel(wheel, "_native.abi3.so"), True),
        (f"`{wheel.name}`", wheel.stat().st_size, "", False),
        (f"`{sdist.name}` (sdist)", sdist.stat().st_size, "", False),
        ("`dist/polypay` (CLI with `polypay sandbox`)", cli.stat().st_size, glibc(cli), True),
        (f"`{cli_wheel.name}`", cli_wheel.stat().st_size, "", False),
    ]
    lines = [
        BEGIN,
        "## Release artifacts: Python wheel, sdist and CLI (issue 15)",
        "",
        f"- Date: {now}; written by `make dist-figures` (packaging/python/figures.py) from `dist/`.",
        f"- Machine: {machine}.",
        "- Command: `make dist-python dist-cli` — release profile (`lto = \"fat\"`, `codegen-units = 1`, "
        "`strip = true`), zig linker for glibc 2.17 (maturin `--zig --compatibility manylinux2014`; "
        "the CLI with `cargo zigbuild --target x86_64-unknown-linux-gnu.2.17`), target dir "
        "`target/dist-build`.",
        "",
        "| artifact | size | highest GLIBC_ | native library ≤ 5 MB |",
        "| --- | ---: | ---: | --- |",
    ]
    for name, size, g, native in rows:
        met = ("yes" if size <= GOAL else "**no**") if native else ""
        lines.append(f"| {name} | {mb(size)} ({size:,} B) | {g} | {met} |")
    lines += [
        "",
        "Build times (wall clock, 2 cores" + (f"; {args.note}" if args.note else "") + "): "
        f"wheel + sdist (`maturin build --release --zig --sdist`) {seconds(args.build, 'python')}; "
        f"CLI (`cargo zigbuild --release`) {seconds(args.build, 'cli')}; "
        f"`polypay-cli` wheel (`maturin build`, same target dir) {seconds(args.build, 'cli-wheel')}.",
        END,
    ]
    block = "\n".join(lines)
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(text)
    print(block)


if __name__ == "__main__":
    main()
