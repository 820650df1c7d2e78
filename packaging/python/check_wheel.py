"""Checks a freshly built wheel before it goes to dist/ (run by `make dist-python`/`dist-cli`):
its file name (name, version, tags), that auditwheel finds it consistent with manylinux_2_17
x86_64 (manylinux2014) or older, and the highest GLIBC_ symbol version of every ELF inside."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from distcheck import GLIBC_LIMIT, check_glibc, fail, step, version_text, wheel_elves  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--auditwheel", required=True)
    ap.add_argument("--name", required=True, help="the distribution name in the file name")
    ap.add_argument("--version", required=True)
    ap.add_argument("--tag", required=True, help="python-abi-platform tag expected in the file name")
    ap.add_argument("--elf", action="append", default=[], help="member that must be an ELF file")
    ap.add_argument("wheels", nargs="*")
    args = ap.parse_args()
    if len(args.wheels) != 1:
        fail(f"expected one wheel, found {args.wheels}")
    wheel = Path(args.wheels[0])
    expected = f"{args.name}-{args.version}-{args.tag}.whl"
    if wheel.name != expected:
        fail(f"wheel is {wheel.name}, expected {expected}")
    step(f"{wheel.name}: {wheel.stat().st_size / 1e6:.2f} MB")

    out = subprocess.run([args.auditwheel, "show", str(wheel)], capture_output=True, text=True)
    print(out.stdout.strip())
    if out.returncode != 0:
        fail(f"auditwheel show failed: {out.stderr}")
    text = " ".join(out.stdout.split())
    m = re.search(r'consistent with the following platform tag: "manylinux_(\d+)_(\d+)_(\w+)"', text)
    if not m:
        fail("auditwheel show did not name a manylinux platform tag")
    glibc, arch = (int(m.group(1)), int(m.group(2))), m.group(3)
    if arch != "x86_64" or glibc > GLIBC_LIMIT:
        fail(f"auditwheel: manylinux_{m.group(1)}_{m.group(2)}_{arch}, "
             f"not manylinux_2_17_x86_64 (manylinux2014) or older")
    step(f"auditwheel: consistent with manylinux_{glibc[0]}_{glibc[1]}_{arch} "
         f"(<= manylinux_{version_text(GLIBC_LIMIT).replace('.', '_')}: the manylinux2014 tag holds)")

    with tempfile.TemporaryDirectory() as d, zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            fail(f"{wheel.name}: members stored twice: {duplicates}")
        elves = wheel_elves(wheel, Path(d))
        for member in args.elf:
            if member not in elves:
                fail(f"{wheel.name}: no ELF member {member} (ELF members: {sorted(elves)})")
        if len(elves) != len(args.elf):
            fail(f"{wheel.name}: ELF members {sorted(elves)}, expected exactly {args.elf}")
        for member, path in sorted(elves.items()):
            check_glibc(path, f"{wheel.name}!{member} ({path.stat().st_size / 1e6:.2f} MB)")
        step(f"{len(z.namelist())} files in the wheel")


if __name__ == "__main__":
    main()
