"""`make test-dist-python`: the `polypay` wheel from dist/, proven where no Rust exists.

Run by Debian's /usr/bin/python3 in a clean room (`env -i PATH=/usr/bin:/bin HOME=<empty>`):
checks that cargo/rustc are out of reach, the highest GLIBC_ symbol version of the native module
in the wheel (<= 2.17), the sdist's contents, then installs the wheel into a fresh venv with pip
from dist/ alone (--no-index: any dependency it would need fails the test) with the root README's
own `pip install dist/…` line (which brings the `polypay` command of polypay-cli too), and runs
the Python quickstart, taken from the binding's README by this test, against `dist/polypay
sandbox`.
"""

from __future__ import annotations

import argparse
import glob
import os
import shlex
import sys
import tarfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from distcheck import (  # noqa: E402
    Sandbox,
    assert_clean_room,
    check_glibc,
    elapsed,
    fail,
    fresh_venv,
    pip_install_offline,
    readme_block,
    run_checked,
    step,
    wheel_elves,
    workdir,
)

MARKER = "<!-- quickstart"
INSTALL_MARKER = "<!-- install-from-dist"


def readme_pip_install(readme: Path, root: Path) -> list[str]:
    """The arguments of the root README's `pip install dist/…` line, globs expanded in ROOT."""
    lines = [line.split("#")[0].split() for line in readme_block(readme, INSTALL_MARKER, "sh").splitlines()]
    pip = [words[2:] for words in lines if words[:2] == ["pip", "install"]]
    if len(pip) != 1:
        fail(f"{readme}: expected one `pip install` line after {INSTALL_MARKER!r}, found {len(pip)}")
    found = []
    for pattern in pip[0]:
        matches = sorted(glob.glob(pattern, root_dir=root))
        if len(matches) != 1:
            fail(f"{readme}: `{pattern}` matches {matches} in {root}, expected one file")
        found.append(str(root / matches[0]))
    return found


def check_sdist(sdist: Path, version: str) -> None:
    with tarfile.open(sdist) as t:
        names = t.getnames()
    root = f"polypay-{version}/"
    needed = ["PKG-INFO", "pyproject.toml", "Cargo.lock", "polypay/__init__.py", "polypay/py.typed",
              "polypay/_native.pyi"]
    missing = [n for n in needed if not any(x.startswith(root) and x.endswith("/" + n) or x == root + n
                                             for x in names)]
    if missing:
        fail(f"{sdist.name} lacks {missing}")
    for source in ("core/src/lib.rs", "bindings-python/src/lib.rs"):
        if not any(x.endswith(source) for x in names):
            fail(f"{sdist.name} lacks {source} (the Rust sources it builds from)")
    binaries = [x for x in names if x.endswith((".so", ".whl"))]
    if binaries:
        fail(f"{sdist.name} carries built files: {binaries}")
    step(f"{sdist.name}: {len(names)} files, {sdist.stat().st_size / 1e6:.2f} MB, "
         f"Rust sources and Cargo.lock inside, no built module")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dist", type=Path, required=True)
    ap.add_argument("--wheel", type=Path, required=True)
    ap.add_argument("--sdist", type=Path, required=True)
    ap.add_argument("--sandbox", type=Path, required=True)
    ap.add_argument("--readme", type=Path, required=True)
    ap.add_argument("--root-readme", type=Path, required=True)
    ap.add_argument("--version", required=True)
    args = ap.parse_args()
    start = time.monotonic()
    print(f"test-dist-python: {args.wheel.name}")
    assert_clean_room()
    dist = args.dist.resolve()

    for work in workdir():
        elves = wheel_elves(args.wheel, work / "unzipped")
        if list(elves) != ["polypay/_native.abi3.so"]:
            fail(f"{args.wheel.name}: native files {sorted(elves)}, expected polypay/_native.abi3.so")
        so = elves["polypay/_native.abi3.so"]
        check_glibc(so, f"polypay/_native.abi3.so ({so.stat().st_size / 1e6:.2f} MB)")
        check_sdist(args.sdist, args.version)

        python = fresh_venv(work / "venv")
        wheels = readme_pip_install(args.root_readme, args.root_readme.resolve().parent)
        if str(args.wheel.resolve()) not in wheels:
            fail(f"{args.root_readme}: its pip install line does not install {args.wheel}")
        pip_install_offline(python, dist, *wheels)
        where = run_checked([str(python), "-c", "import polypay, sys; "
                             "print(polypay.__version__, polypay._native.__file__)"], cwd=work).split()
        if where[0] != args.version:
            fail(f"polypay.__version__ is {where[0]}, expected {args.version}")
        if not where[1].startswith(str(work / "venv")):
            fail(f"polypay imported from {where[1]}, not from the fresh venv")
        cli = run_checked([str(work / "venv" / "bin" / "polypay"), "--version"], cwd=work).strip()
        if not cli.endswith(args.version):
            fail(f"the venv's polypay --version says {cli!r}, expected {args.version}")
        step(f"{args.root_readme}'s `pip install {shlex.join(Path(w).name for w in wheels)}` "
             f"(--no-index, a fresh venv of {sys.executable}): polypay {where[0]}, `{cli}`")

        code = readme_block(args.readme, MARKER, "python")
        sample = work / "quickstart.py"
        sample.write_text(code, encoding="utf-8")
        with Sandbox(args.sandbox.resolve(), "--seed", "7") as sb:
            c = sb.config
            env = {
                "PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(work)),
                "LANG": "C.UTF-8",
                "POLYPAY_BASE_URL": sb.base_url,
                "POLYPAY_ACCOUNT_ID": c["paycore"]["account_id"],
                "POLYPAY_API_KEY": c["paycore"]["api_key"],
                "POLYPAY_PUBLIC_KEY": c["paycore"]["public_key_test"],
                "POLYPAY_SECRET_KEY": c["paycore"]["secret_key_test"],
                "POLYPAY_ECOMMPAY_PROJECT_ID": str(c["ecommpay"]["project_id"]),
                "POLYPAY_ECOMMPAY_SECRET": c["ecommpay"]["secret_key"],
                # As `polypay sandbox env` exports them: the Gate API, and the Payment Page.
                "POLYPAY_ECOMMPAY_BASE_URL": c["ecommpay"]["gate_base_url"],
                "POLYPAY_ECOMMPAY_PAYMENT_PAGE_URL": c["ecommpay"]["payment_page_base_url"],
            }
            out = run_checked([str(python), str(sample)], env=env, cwd=work, timeout=120)
            print("    | " + out.rstrip().replace("\n", "\n    | "))
            calls = sb.api_requests()
            if calls < 2:
                fail(f"the quickstart made {calls} Commerce API request(s) to the sandbox")
            if c["ecommpay"]["payment_page_base_url"] not in out:
                fail("the quickstart printed no Payment Page URL of the sandbox")
        step(f"README quickstart ({args.readme}, {len(code.splitlines())} lines) ran against "
             f"{args.sandbox} sandbox: {calls} API requests")
    print(f"test-dist-python: ok ({elapsed(start)})")


if __name__ == "__main__":
    main()
