"""`make dist-figures` (after `make dist`): writes the size, highest GLIBC_ symbol version and
build time of every release artifact in dist/ into bench/RESULTS.md, between its markers (the rest
of the file is kept). Build times are those of the last build of each native library
(target/dist-*/*.seconds, written by the packaging/*.mk rules); NOTE says how they were taken."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "packaging" / "python"))
from distcheck import glibc_versions, version_text  # noqa: E402
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- release-artifacts:begin -->", "<!-- release-artifacts:end -->"
GOAL = 5_000_000
TAG = "manylinux2014_x86_64.manylinux_2_17_x86_64"


def mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


def tool(cmd: list) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return "?"


def seconds(path: Path) -> str:
    if not path.exists():
        return "not recorded"
    s = int(path.read_text().strip())
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


def glibc(path: Path) -> str:
    versions = glibc_versions(path)
    return version_text(versions[-1]) if versions else "?"


def from_zip(archive: Path, suffix: str, into: Path) -> Path:
    with zipfile.ZipFile(archive) as z:
        return Path(z.extract(next(n for n in z.namelist() if n.endswith(suffix)), into))


def from_tgz(archive: Path, suffix: str, into: Path) -> Path:
    with tarfile.open(archive) as t:
        member = next(m for m in t.getmembers() if m.name.endswith(suffix))
        t.extract(member, into, filter="data")
        return into / member.name


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dist", type=Path, required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--note", default="", help="how the build times were taken (cold/warm, total)")
    args = ap.parse_args()
    dist, v = args.dist, args.version
    maven = dist / "maven" / "io" / "polypay" / "polypay-kotlin" / v
    wheel = dist / f"polypay-{v}-cp39-abi3-{TAG}.whl"
    node_platform = dist / f"polypay-linux-x64-gnu-{v}.tgz"
    jar = maven / f"polypay-kotlin-{v}.jar"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        natives = [  # (what, file, where it ships, build time)
            ("Python module `polypay/_native.abi3.so`", from_zip(wheel, "_native.abi3.so", work / "py"),
             f"`{wheel.name}`", ROOT / "target/dist-build/python.seconds"),
            ("Node addon `polypay.linux-x64-gnu.node`", from_tgz(node_platform, ".node", work / "node"),
             f"`{node_platform.name}`", ROOT / "target/dist-node/addon.seconds"),
            ("Kotlin/Swift library `libpolypay_uniffi.so`", from_zip(jar, "libpolypay_uniffi.so", work / "jar"),
             f"`{jar.name}` (`linux-x86-64/`), `dist/swift/linux-x86_64/`", ROOT / "target/dist-uniffi/library.seconds"),
            ("CLI and sandbox `polypay` (a program, with clap and the sandbox's axum server)", dist / "polypay",
             "`dist/polypay`, the `polypay-cli` wheel and npm package", ROOT / "target/dist-build/cli.seconds"),
        ]
        native_rows = [(what, f.stat().st_size, glibc(f), ships, seconds(t)) for what, f, ships, t in natives]
    packages = [wheel, dist / f"polypay-{v}.tar.gz", dist / f"polypay_cli-{v}-py3-none-{TAG}.whl",
                dist / f"polypay-{v}.tgz", node_platform, dist / f"polypay-cli-{v}.tgz", jar,
                maven / f"polypay-kotlin-{v}-sources.jar", maven / f"polypay-kotlin-{v}-javadoc.jar",
                dist / "swift" / f"polypay-swift-{v}.tar.gz"]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    venv = ROOT / "target/venv-python/bin"
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, {tool(['rustc', '-V'])}, "
               f"{tool([str(venv / 'maturin'), '--version'])}, "
               f"{tool([str(venv / 'cargo-zigbuild'), '--version'])}, "
               f"zig {tool([str(venv / 'python'), '-m', 'ziglang', 'version'])}")
    lines = [
        BEGIN,
        "### Every artifact of `make dist` (written by `make dist-figures`)",
        "",
        f"- Date: {now}. Machine: {machine}.",
        "- Command: `make dist` then `make dist-figures NOTE=…` (packaging/figures.py). Release profile "
        "(`lto = \"fat\"`, `codegen-units = 1`, `strip = true`), TLS by rustls with `ring`, linked by zig "
        "for glibc 2.17: maturin `--zig --compatibility manylinux2014` (Python module, CLI), "
        "`napi build -x` and `cargo zigbuild` (Node addon, uniffi library).",
        "",
        "| native file | size | ≤ 5 MB | highest GLIBC_ | ships in | build (wall clock) |",
        "| --- | ---: | --- | ---: | --- | ---: |",
    ]
    for what, size, g, ships, took in native_rows:
        lines.append(f"| {what} | {mb(size)} ({size:,} B) | {'yes' if size <= GOAL else '**no**'} | {g} | {ships} | {took} |")
    lines += ["", "| package | size |", "| --- | ---: |"]
    for p in packages:
        lines.append(f"| `{p.name}` | {mb(p.stat().st_size)} ({p.stat().st_size:,} B) |")
    if args.note:
        lines += ["", args.note]
    lines.append(END)
    block = "\n".join(lines)
    text = RESULTS.read_text()
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        at = text.index("## Release artifacts\n") + len("## Release artifacts\n")
        text = text[:at] + "\n" + block + "\n" + text[at:]
    RESULTS.write_text(text)
    print(block)


if __name__ == "__main__":
    main()
