"""`make test-dist-swift`: the published Swift package, proven in a clean room (Linux).

The package of dist/swift/polypay-swift/ is committed into a git repository tagged with the
workspace version (what the release workflow pushes as polypay-swift), and a fresh Swift package
in the Debian trixie chroot (bindings-uniffi/swift/setup-toolchain.sh, as `make test-swift`)
depends on it by URL and version (`.package(url: "file://...", exact: VERSION)`), so SwiftPM
resolves the tag and finds Package.swift at the repository root as it would from a server. Its
executable holds the Swift samples of bindings-uniffi/swift/README.md (taken from the README
here) and a small main; it is built and run in an empty environment (no cargo/rustc, a new HOME)
against `polypay sandbox` (started on the host: the chroot shares its network), linking the
release library of dist/swift/linux-x86_64/ (-Xlinker -L, LD_LIBRARY_PATH), whose highest
GLIBC_ symbol version must be <= 2.17.
"""

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "jvm"))
from readme_samples import require, samples  # noqa: E402
from sandbox import Sandbox  # noqa: E402

CLEAN_PATH = "/usr/bin:/bin"
INSIDE = "/polypay-dist"  # the test's folder inside the chroot (replaced at each run)

CONSUMER_MANIFEST = """// swift-tools-version:5.9
// A consumer of the published polypay-swift (written by packaging/swift/test_dist_swift.py).
import PackageDescription

let package = Package(
    name: "Consumer",
    dependencies: [
        .package(url: "file://{inside}/polypay-swift.git", exact: "{version}"),
    ],
    targets: [
        .executableTarget(name: "Quickstart", dependencies: [.product(name: "Polypay", package: "polypay-swift")]),
    ]
)
"""

# Drives the README's functions (swift-client: createInvoice; swift-hpp-callback:
# paymentPageUrl, onCallback) as the bindings' ReadmeTests do.
MAIN_SWIFT = """import Foundation
import Polypay

let args = CommandLine.arguments
guard args.count == 6 else { fatalError("usage: Quickstart BASE_URL ACCOUNT_ID API_KEY PUBLIC_KEY SECRET_KEY") }
let (baseUrl, accountId, apiKey, publicKey, secretKey) = (args[1], args[2], args[3], args[4], args[5])
let reference = "dist-swift-" + UUID().uuidString.prefix(8).lowercased()
guard let invoice = try await createInvoice(baseUrl: baseUrl, accountId: accountId, apiKey: apiKey, referenceId: reference) else {
    fatalError("the quickstart created no invoice")
}
precondition(invoice.id.hasPrefix("cpi_") && invoice.referenceId == reference && invoice.amount == Decimal(string: "100.55"), "\\(invoice)")
// Another error than a validation one is rethrown.
do {
    _ = try await createInvoice(baseUrl: baseUrl, accountId: accountId, apiKey: "wrong_key", referenceId: reference + "x")
    fatalError("a wrong key was accepted")
} catch let error as PolypayError {
    guard case .Authentication = error else { fatalError("wrong key: \\(error)") }
}

let url = try paymentPageUrl(baseUrl: baseUrl, publicKey: publicKey)
precondition(url.hasPrefix(baseUrl + "/hpp/"), url)
let body = Data(#"{"data":{"type":"payment-invoices","id":"cpi_1","attributes":{"status":"processed","resolution":"ok","amount":1,"currency":"USD"}}}"#.utf8)
let verified = try onCallback(body: body, xSignature: try paycoreSignCallback(body: body, secret: secretKey), secretKey: secretKey)
precondition(verified, "callback not final and successful")

print("polypay-swift \\(PolypayPackage.version)")
print("quickstart ok: \\(invoice.id) \\(invoice.status) \\(url)")
"""


def fail(message: str) -> None:
    sys.exit(f"test-dist-swift: {message}")


def git(repo: Path, *args: str) -> None:
    env = {"PATH": CLEAN_PATH, "HOME": str(repo.parent), "GIT_CONFIG_NOSYSTEM": "1", "LANG": "C.UTF-8",
           "GIT_AUTHOR_NAME": "polypay release", "GIT_AUTHOR_EMAIL": "release@example.invalid",
           "GIT_COMMITTER_NAME": "polypay release", "GIT_COMMITTER_EMAIL": "release@example.invalid"}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--package", type=Path, required=True, help="dist/swift/polypay-swift")
    parser.add_argument("--lib", type=Path, required=True, help="the folder holding libpolypay_uniffi.so")
    parser.add_argument("--version", required=True)
    parser.add_argument("--readme", type=Path, required=True)
    parser.add_argument("--polypay", type=Path, required=True)
    parser.add_argument("--root", type=Path, required=True, help="the trixie chroot (target/trixie)")
    args = parser.parse_args()

    package, lib, root = args.package.resolve(), args.lib.resolve(), args.root.resolve()
    manifest = package / "Package.swift"
    if not manifest.is_file():
        fail(f"{manifest} missing")
    for generated in ("Sources/Polypay/Polypay.swift", "Sources/PolypayFFI/PolypayFFI.h", "Sources/PolypayFFI/module.modulemap"):
        if not (package / generated).is_file():
            fail(f"{package / generated} missing (generated by the build)")
    if f'version = "{args.version}"' not in (package / "Sources/Polypay/PolypayPackage.swift").read_text():
        fail(f"PolypayPackage.version is not {args.version}")
    so = lib / "libpolypay_uniffi.so"
    subprocess.run([str(HERE.parent / "jvm" / "check-native.sh"), str(so)], check=True)

    found = samples(args.readme, "swift")
    require(found, args.readme, "swift-client", "swift-hpp-callback", "swift-package")
    # A Package.swift fragment, not code of a target (ReadmeTests compiles it against look-alike
    # types); this consumer's own manifest depends on the package by URL and tag instead.
    del found["swift-package"]

    subprocess.run([str(Path("bindings-uniffi/swift/setup-toolchain.sh").resolve()), str(root)], check=True)
    if not (root / "usr/bin/git").exists():
        fail(f"no git in {root}: SwiftPM needs it to resolve a package by URL (setup-toolchain.sh installs it)")

    work = root / INSIDE.lstrip("/")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    # The published package as its own git repository, tagged with the version.
    repo = work / "polypay-swift"
    shutil.copytree(package, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"polypay-swift {args.version}")
    git(repo, "tag", args.version)
    git(work, "clone", "-q", "--bare", str(repo), str(work / "polypay-swift.git"))
    shutil.rmtree(repo)
    (work / "lib").mkdir()
    shutil.copy2(so, work / "lib" / so.name)

    consumer = work / "consumer"
    sources = consumer / "Sources/Quickstart"
    sources.mkdir(parents=True)
    (consumer / "Package.swift").write_text(CONSUMER_MANIFEST.format(inside=INSIDE, version=args.version))
    for name, code in found.items():  # every Swift sample compiles; two of them run
        (sources / f"{name.replace('-', '_')}.swift").write_text(code)
    (sources / "main.swift").write_text(MAIN_SWIFT)
    (work / "home").mkdir()

    script = (f"cd {INSIDE}/consumer && swift build -Xlinker -L{INSIDE}/lib && "
              f'LD_LIBRARY_PATH={INSIDE}/lib .build/debug/Quickstart "$@"')
    env = ["env", "-i", f"PATH={CLEAN_PATH}", f"HOME={INSIDE}/home", "LANG=C.UTF-8"]
    proc_mounted = False
    if subprocess.run(["mountpoint", "-q", str(root / "proc")]).returncode != 0:
        subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=True)
        proc_mounted = True
    try:
        with Sandbox(args.polypay.resolve()) as sandbox:
            run = subprocess.run(["chroot", str(root), *env, "/bin/sh", "-c", script, "sh", *sandbox.args()],
                                 capture_output=True, text=True, timeout=1800)
    finally:
        if proc_mounted:
            subprocess.run(["umount", str(root / "proc")])
    sys.stdout.write(run.stdout[-6000:])
    sys.stderr.write(run.stderr[-6000:])
    if run.returncode != 0:
        fail(f"the consumer's build or run exited {run.returncode}")
    lines = run.stdout.splitlines()
    if f"polypay-swift {args.version}" not in lines or not any(l.startswith("quickstart ok: cpi_") for l in lines):
        fail("the quickstart did not report success")
    resolved = (consumer / "Package.resolved").read_text() if (consumer / "Package.resolved").is_file() else ""
    if f'"version" : "{args.version}"' not in resolved:
        fail(f"SwiftPM did not resolve polypay-swift {args.version} by its tag:\n{resolved}")
    print(f"test-dist-swift: a fresh Swift package resolved polypay-swift {args.version} by URL and tag and ran the "
          "README's Swift quickstart (no Rust on PATH)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
