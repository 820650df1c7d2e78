"""`make test-dist-version`: one version everywhere (issue 15).

The one source is [workspace.package] version of the root Cargo.toml. Every crate takes it
(version.workspace = true); the rest must equal it:
  * what users see: `polypay --version` (debug CLI, and dist/polypay when built),
    `polypay.__version__` (the package installed in target/venv-python), the jar manifest's
    Implementation-Version (dist/maven/), PolypayPackage.version of the Swift package (dist/swift/);
  * what registries read: the pom (and every pom depending on io.polypay:polypay-kotlin), both npm
    packages' package.json (bindings-node, its platform packages and the CLI's npm package under
    packaging/, with their optionalDependencies), the version of every wheel, sdist and npm
    tarball in dist/;
  * CHANGELOG.md has a section for it.
pyproject.toml takes the version from Cargo (dynamic), which the wheel names prove.
Prints each place with its version; exits 1 naming every one that differs.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import tomllib
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}
SKIP_DIRS = {"node_modules", "target", ".git", "dist"}


def tracked(root: Path, name: str) -> list[Path]:
    """Files called NAME in the source tree (build output, dependencies and hidden folders are
    not entered: target/ holds the Swift chroot)."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        if name in files:
            found.append(Path(folder) / name)
    return sorted(found)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--venv-python", type=Path, required=True)
    args = parser.parse_args()
    root = args.root.resolve()
    workspace = tomllib.loads((root / "Cargo.toml").read_text())
    version = workspace["workspace"]["package"]["version"]
    seen: list[tuple[str, str]] = []

    def record(where: str, value: str | None) -> None:
        seen.append((where, value if value is not None else "(none)"))

    # Crates: every member inherits the workspace version.
    for member in workspace["workspace"]["members"]:
        package = tomllib.loads((root / member / "Cargo.toml").read_text())["package"]
        value = package.get("version")
        record(f"{member}/Cargo.toml", version if value == {"workspace": True} else str(value))

    # The CLI binaries.
    for cli in (root / "target/debug/polypay", root / "dist/polypay"):
        if cli.is_file():
            out = subprocess.run([str(cli), "--version"], capture_output=True, text=True, check=True).stdout.split()
            record(f"{cli.relative_to(root)} --version", out[-1] if out else None)
    if not any(w.endswith("--version") for w, _ in seen):
        sys.exit("check-versions: no polypay CLI built (target/debug/polypay)")

    # The Python package as installed.
    python = args.venv_python / "bin/python"
    out = subprocess.run([str(python), "-c", "import polypay; print(polypay.__version__)"],
                         capture_output=True, text=True, check=True).stdout.strip()
    record(f"polypay.__version__ ({args.venv_python})", out)

    # npm packages: bindings-node, its platform packages, the CLI's npm package; pinned optionals.
    for pkg in tracked(root, "package.json"):
        rel = pkg.relative_to(root)
        if not (rel.parts[0] in ("bindings-node", "packaging")):
            continue  # examples and tests depend on the package, they are not published
        data = json.loads(pkg.read_text())
        if data.get("private"):
            continue
        record(f"{rel} version", data.get("version"))
        for dep, wanted in (data.get("optionalDependencies") or {}).items():
            if dep.startswith("polypay"):
                record(f"{rel} optionalDependencies.{dep}", wanted)

    # Maven: the pom, and poms depending on polypay-kotlin.
    for pom_path in tracked(root, "pom.xml"):
        rel = pom_path.relative_to(root)
        pom = ET.parse(pom_path).getroot()
        if pom.findtext("m:artifactId", namespaces=POM_NS) == "polypay-kotlin":
            record(f"{rel} version", pom.findtext("m:version", namespaces=POM_NS))
        for dep in pom.findall("m:dependencies/m:dependency", POM_NS):
            if dep.findtext("m:artifactId", namespaces=POM_NS) == "polypay-kotlin":
                record(f"{rel} dependency polypay-kotlin", dep.findtext("m:version", namespaces=POM_NS))

    # The built artifacts in dist/.
    dist = root / "dist"
    jars = sorted((dist / "maven/io/polypay/polypay-kotlin").glob("*/polypay-kotlin-*[0-9].jar"))
    if not jars:
        sys.exit("check-versions: no jar in dist/maven (make dist-jvm)")
    for jar_path in jars:
        with zipfile.ZipFile(jar_path) as jar:
            manifest = jar.read("META-INF/MANIFEST.MF").decode()
        match = re.search(r"^Implementation-Version: (\S+)", manifest, re.M)
        record(f"{jar_path.relative_to(root)} Implementation-Version", match.group(1) if match else None)
    swift_version = dist / "swift/polypay-swift/Sources/Polypay/PolypayPackage.swift"
    if swift_version.is_file():
        match = re.search(r'version = "([^"]+)"', swift_version.read_text())
        record(f"{swift_version.relative_to(root)} PolypayPackage.version", match.group(1) if match else None)
    for archive in sorted(dist.rglob("*.whl")) + sorted(dist.rglob("*.tar.gz")):
        rel = archive.relative_to(root)
        if archive.name.endswith(".whl"):
            record(f"{rel}", archive.name.split("-")[1])  # name-version-tags.whl
        elif archive.name.startswith("polypay-swift-"):
            record(f"{rel}", archive.name[len("polypay-swift-"):-len(".tar.gz")])
        elif re.match(r"^polypay[_-]cli-|^polypay-\d", archive.name):  # sdists
            record(f"{rel}", archive.name[:-len(".tar.gz")].rsplit("-", 1)[1])
    for tgz in sorted(dist.rglob("*.tgz")):  # npm pack tarballs
        with tarfile.open(tgz) as tar:
            data = json.load(tar.extractfile("package/package.json"))
        record(f"{tgz.relative_to(root)} package.json", data.get("version"))
        for dep, wanted in (data.get("optionalDependencies") or {}).items():
            if dep.startswith("polypay"):
                record(f"{tgz.relative_to(root)} optionalDependencies.{dep}", wanted)

    changelog = (root / "CHANGELOG.md").read_text() if (root / "CHANGELOG.md").is_file() else ""
    record("CHANGELOG.md section", version if re.search(rf"^## \[{re.escape(version)}\]", changelog, re.M) else None)

    width = max(len(w) for w, _ in seen)
    wrong = [(w, v) for w, v in seen if v != version]
    for where, value in seen:
        print(f"  {where:<{width}}  {value}{'' if value == version else '   <-- differs'}")
    if wrong:
        sys.exit(f"check-versions: {len(wrong)} of {len(seen)} places differ from the workspace version {version}")
    print(f"check-versions: {len(seen)} places carry the workspace version {version}")


if __name__ == "__main__":
    main()
