#!/usr/bin/env python3
"""Runs every code sample of the documentation site (docs/**/*.md) and of every README.md.

Each Markdown file runs as one script, top to bottom, the way a reader follows it: one bash
session (`set -euo pipefail`) in a fresh temporary directory, with a sandbox already running and
its variables exported (`polypay sandbox env`). Fenced blocks, by language:

- sh, bash: run in that session (`cd`, `export`, `. .venv/bin/activate`, `cmd &` carry over);
- python: written to a file and run with the `python` on PATH at that point;
- js: written to a file and run with `node` (an ES module when a line starts with `import `);
- json, toml, xml: parsed; text: output shown to the reader, not run;
- rust: only in a file that a crate includes as doctests (`#[cfg(doctest)] #[doc =
  include_str!("…")]`), so that `cargo test` compiles and runs it;
- kotlin, swift: must carry `<!-- readme-sample: NAME -->` and equal the region NAME of the
  Kotlin/Swift test sources, which run it (ReadmeTest.kt, ReadmeTests.swift compare the bytes;
  this script checks the region exists);
- anything else fails: a block nobody runs is a block that rots.

An HTML comment on the line above a fence changes that:
- `<!-- sample: file NAME -->`: the block is written to NAME at that point of the page, not run;
- `<!-- sample: dry-run -->` (sh only): `make …` lines are checked with `make -n` in the
  repository and the rest with `bash -n`, for commands that cannot run inside `make test`
  (make test itself, fuzzing, benchmarks).

The getting-started pages (docs/getting-started/) start as a new user does: nothing of polypay
on PATH or NODE_PATH, only the release artifacts in `dist/` and the machine's own tools, so
they must install what they use. Every other page finds the CLI (`target/debug`), a Python
with the package (`target/venv-python`) and the Node package already there.

The page's background jobs are killed when it ends (its own process group). Usage:
    run_samples.py [FILE.md ...]     (default: every page and README)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parents[2]
PAGE_TIMEOUT = 300
SKIP_DIRS = {".git", "node_modules", "target", "site", "dist", ".build", "build", ".venv"}
SHELL = {"sh", "bash"}
PARSED = {"json", "toml", "xml"}
REGION_LANGS = {"kotlin": "bindings-uniffi/kotlin/src/test", "swift": "bindings-uniffi/swift/Tests"}
_MARKER = re.compile(r"^<!--\s*(sample|readme-sample):\s*(.*?)\s*-->$")
_REGION = re.compile(r"^\s*//\s*readme-sample:\s*([\w.-]+)\s+begin\s*$", re.MULTILINE)
_DOCTEST = re.compile(r'#\[cfg\(doctest\)\]\s*#\[doc = include_str!\("([^"]+)"\)\]')


@dataclass
class Block:
    where: str  # file:line of the opening fence
    lang: str
    text: str
    marker: tuple[str, str] | None  # ("sample", "file NAME") or ("readme-sample", NAME)


class SampleError(Exception):
    pass


def markdown_files() -> list[Path]:
    found = []
    for directory, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        here = Path(directory)
        in_docs = here == ROOT / "docs" or ROOT / "docs" in here.parents
        found += [here / f for f in sorted(files) if f == "README.md" or (in_docs and f.endswith(".md"))]
    return found


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file (indented ones too: content tabs, lists)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    rel = path.relative_to(ROOT)
    out, i = [], 0
    while i < len(lines):
        stripped = lines[i].lstrip()
        fence = stripped[: len(stripped) - len(stripped.lstrip("`"))]
        info = stripped[len(fence):].strip()
        if len(fence) < 3 or "`" in info:
            i += 1
            continue
        indent = len(lines[i]) - len(stripped)
        end = i + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        if end == len(lines):
            raise SampleError(f"{rel}:{i + 1}: unclosed code block")
        body = [line[indent:] if line[:indent].strip() == "" else line for line in lines[i + 1:end]]
        marker = _MARKER.match(lines[i - 1].strip()) if i > 0 else None
        out.append(Block(f"{rel}:{i + 1}", info.split()[0] if info else "",
                         "\n".join(body) + "\n", marker.groups() if marker else None))
        i = end + 1
    return out


def regions(lang: str) -> set[str]:
    names: set[str] = set()
    for source in (ROOT / REGION_LANGS[lang]).rglob("*"):
        if source.suffix in (".kt", ".swift"):
            names.update(_REGION.findall(source.read_text(encoding="utf-8")))
    return names


def doctest_files() -> set[Path]:
    """The Markdown files a crate's lib.rs includes as doctests."""
    found = set()
    for lib in ROOT.glob("*/src/lib.rs"):
        found.update((lib.parent / m).resolve() for m in _DOCTEST.findall(lib.read_text(encoding="utf-8")))
    return found


def check_parsed(block: Block) -> None:
    try:
        if block.lang == "json":
            json.loads(block.text)
        elif block.lang == "toml":
            tomllib.loads(block.text)
        else:
            ElementTree.fromstring(block.text)
    except Exception as e:
        raise SampleError(f"{block.where}: the {block.lang} block does not parse: {e}") from e


def dry_run(block: Block) -> None:
    for line in block.text.splitlines():
        command = line.split("#")[0].strip()
        if command.startswith("make "):
            args = shlex.split(command)[1:]
            done = subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SampleError(f"{block.where}: `{command}` (make -n): {done.stderr.strip()}")
    done = subprocess.run(["bash", "-n"], input=block.text, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SampleError(f"{block.where}: not valid bash: {done.stderr.strip()}")


def page_script(path: Path, page: list[Block], work: Path) -> tuple[str, dict[str, int]]:
    """The bash script that follows PAGE top to bottom, and what it runs, by kind."""
    counts = {"sh": 0, "python": 0, "js": 0, "file": 0, "parsed": 0, "region": 0, "doctest": 0, "dry-run": 0}
    script = ["set -euo pipefail", 'trap \'echo "failed in the block at $SAMPLE_AT" >&2\' ERR']
    region_names = {lang: regions(lang) for lang in REGION_LANGS}
    for n, block in enumerate(page):
        kind, arg = block.marker or ("", "")
        if kind == "readme-sample" and block.lang not in REGION_LANGS:
            raise SampleError(f"{block.where}: readme-sample marks kotlin/swift blocks only")
        saved = work / ".samples" / f"{n:02d}"
        script.append(f"SAMPLE_AT={shlex.quote(block.where)}")
        if kind == "sample" and arg.startswith("file "):
            target = arg.removeprefix("file ").strip()
            if not target or target.startswith("/") or ".." in Path(target).parts:
                raise SampleError(f"{block.where}: `sample: file` needs a relative path")
            saved.write_text(block.text, encoding="utf-8")
            script.append(f"mkdir -p \"$(dirname {shlex.quote(target)})\" && "
                          f"cp {shlex.quote(str(saved))} {shlex.quote(target)}")
            counts["file"] += 1
        elif kind == "sample" and arg == "dry-run":
            if block.lang not in SHELL:
                raise SampleError(f"{block.where}: dry-run is for sh blocks")
            dry_run(block)
            counts["dry-run"] += 1
        elif kind == "sample":
            raise SampleError(f"{block.where}: unknown marker `sample: {arg}`")
        elif block.lang in SHELL:
            script.append(block.text)
            counts["sh"] += 1
        elif block.lang == "python":
            saved.with_suffix(".py").write_text(block.text, encoding="utf-8")
            script.append(f"python {shlex.quote(str(saved.with_suffix('.py')))}")
            counts["python"] += 1
        elif block.lang in ("js", "javascript"):
            module = re.search(r"^import\s", block.text, re.MULTILINE)
            file = saved.with_suffix(".mjs" if module else ".cjs")
            file.write_text(block.text, encoding="utf-8")
            script.append(f"node {shlex.quote(str(file))}")
            counts["js"] += 1
        elif block.lang in PARSED:
            check_parsed(block)
            counts["parsed"] += 1
        elif block.lang == "text":
            pass
        elif block.lang == "rust":
            if path.resolve() not in doctest_files():
                raise SampleError(f"{block.where}: a rust block runs only as a doctest: include the file with "
                                  "#[cfg(doctest)] #[doc = include_str!(…)] in its crate's lib.rs")
            counts["doctest"] += 1
        elif block.lang in REGION_LANGS:
            if kind != "readme-sample":
                raise SampleError(f"{block.where}: a {block.lang} block needs <!-- readme-sample: NAME -->"
                                  f" naming the region of {REGION_LANGS[block.lang]} that runs it")
            if arg not in region_names[block.lang]:
                raise SampleError(f"{block.where}: no region `// readme-sample: {arg} begin` in "
                                  f"{REGION_LANGS[block.lang]}")
            counts["region"] += 1
        else:
            raise SampleError(f"{block.where}: nothing runs a `{block.lang or 'plain'}` block "
                              "(use sh, python, js, json, toml, xml, text, kotlin or swift)")
    return "\n".join(script) + "\n", counts


class Sandbox:
    """`polypay sandbox --port 0`, its variables as `polypay sandbox env` prints them."""

    def __init__(self, polypay: Path):
        self.process = subprocess.Popen(
            [str(polypay), "sandbox", "--port", "0", "--print-config", "--time-scale", "0.001"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        config = json.loads(self.process.stdout.readline())
        exports = subprocess.run([str(polypay), "sandbox", "env", "--base-url", config["base_url"]],
                                 check=True, capture_output=True, text=True).stdout
        self.env = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1)
                        for line in exports.splitlines())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


def run_page(path: Path, base_env: dict[str, str], polypay: Path) -> dict[str, int]:
    page = blocks(path)
    with tempfile.TemporaryDirectory(prefix="polypay-sample-") as tmp:
        work = Path(tmp)
        (work / ".samples").mkdir()
        script, counts = page_script(path, page, work)
        if not any(counts[k] for k in ("sh", "python", "js", "file")):
            return counts
        if (ROOT / "dist").is_dir():
            (work / "dist").symlink_to(ROOT / "dist")
        sandbox = Sandbox(polypay)
        env = {**base_env, **sandbox.env}
        if (ROOT / "docs" / "getting-started") in path.resolve().parents:
            env.update(PATH=os.environ.get("PATH", ""), NODE_PATH="")
        log = work / ".samples" / "output.log"
        try:
            with log.open("w") as out:
                process = subprocess.Popen(["bash", "-c", script], cwd=work, env=env,
                                           stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
                try:
                    process.wait(timeout=PAGE_TIMEOUT)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                    raise SampleError(f"{path.relative_to(ROOT)}: still running after {PAGE_TIMEOUT} s:\n"
                                      f"{tail(log.read_text(errors='replace'))}") from None
                finally:
                    try:  # the page's background jobs (servers, sandboxes) end with it
                        os.killpg(process.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        finally:
            sandbox.stop()
        if process.returncode != 0:
            raise SampleError(f"{path.relative_to(ROOT)}: exit {process.returncode}:\n"
                              f"{tail(log.read_text(errors='replace'))}")
    return counts


def tail(output: str, lines: int = 80) -> str:
    return "\n".join("    " + line for line in output.splitlines()[-lines:])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*", type=Path)
    args = ap.parse_args()
    files = [f.resolve() for f in args.files] or markdown_files()
    polypay = ROOT / "target/debug/polypay"
    node_path = ROOT / "target/samples/node_path"
    node_path.mkdir(parents=True, exist_ok=True)
    if not (node_path / "polypay").is_symlink():
        (node_path / "polypay").symlink_to(ROOT / "bindings-node")
    base_env = {
        **os.environ,
        "PATH": os.pathsep.join([str(ROOT / "target/debug"), str(ROOT / "target/venv-python/bin"),
                                 os.environ.get("PATH", "")]),
        "NODE_PATH": os.pathsep.join([str(node_path), str(ROOT / "bindings-node/node_modules")]),
    }
    for leaked in ("VIRTUAL_ENV", "PYTHONPATH", "POLYPAY_ENV"):
        base_env.pop(leaked, None)
    totals: dict[str, int] = {}
    failures = []
    started = time.monotonic()
    for path in files:
        t0 = time.monotonic()
        try:
            counts = run_page(path, base_env, polypay)
        except SampleError as e:
            failures.append(str(e))
            print(f"FAIL {path.relative_to(ROOT)}", flush=True)
            continue
        for k, v in counts.items():
            totals[k] = totals.get(k, 0) + v
        ran = sum(counts.values())
        if ran:
            print(f"ok   {path.relative_to(ROOT)} ({ran} blocks, {time.monotonic() - t0:.1f} s)", flush=True)
    for failure in failures:
        print(f"\n{failure}", file=sys.stderr)
    summary = ", ".join(f"{v} {k}" for k, v in totals.items() if v)
    print(f"samples: {len(files)} files, {summary} ({time.monotonic() - started:.0f} s)"
          + (f"; {len(failures)} failed" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
