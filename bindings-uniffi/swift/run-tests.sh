#!/bin/sh
# Runs the XCTest suite on Linux inside the cached Debian trixie chroot (docs/toolchains.md).
# Usage (from the repository root, after `cargo build -p polypay-uniffi -p polypay-cli`):
#   bindings-uniffi/swift/run-tests.sh [ROOT]          ROOT defaults to target/trixie
# Generates the Swift bindings from target/debug/libpolypay_uniffi.so (library mode), sets up
# the chroot if needed, copies the package, library, CLI (sandbox) and vectors into it, and runs
# `swift test` there. /proc is mounted only for the run and unmounted by a trap.
set -eu
ROOT=${1:-target/trixie}
HERE=bindings-uniffi/swift
LIB=target/debug/libpolypay_uniffi.so
test -f "$LIB" || { echo "$LIB missing: cargo build -p polypay-uniffi first" >&2; exit 1; }

GEN=target/uniffi-swift
rm -rf "$GEN"
target/debug/uniffi-bindgen generate --library "$LIB" --language swift --no-format --out-dir "$GEN"
cp "$GEN/Polypay.swift" "$HERE/Sources/Polypay/Polypay.swift"
cp "$GEN/PolypayFFI.h" "$HERE/Sources/PolypayFFI/PolypayFFI.h"

"$HERE/setup-toolchain.sh" "$ROOT"

W="$ROOT/polypay"
mkdir -p "$W/lib" "$W/package"
cp "$LIB" "$W/lib/"
cp target/debug/polypay "$W/lib/polypay"
rm -rf "$W/vectors" && cp -r tests/vectors "$W/vectors"
rm -rf "$W/bad-input" && cp -r tests/bad-input "$W/bad-input"
# The repository's README.md, every README.md of bindings-uniffi/ and every page of docs/, folders
# kept (as in the repository): ReadmeTests checks their ```swift blocks.
rm -rf "$W/readmes" && mkdir -p "$W/readmes"
R=$(cd "$W/readmes" && pwd)
cp README.md "$R/"
find bindings-uniffi \( -name target -o -name build -o -name '.*' \) -prune -o \
	-name README.md -type f -exec cp --parents {} "$R/" \;
if [ -d docs ]; then
	find docs -name '.*' -prune -o -name '*.md' -type f -exec cp --parents {} "$R/" \;
fi
# Sources replaced, .build kept (incremental builds across runs).
rm -rf "$W/package/Sources" "$W/package/Tests"
cp -r "$HERE/Package.swift" "$HERE/Sources" "$HERE/Tests" "$W/package/"

mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
trap 'umount "$ROOT/proc" 2>/dev/null || true' EXIT INT TERM
chroot "$ROOT" /bin/sh -c 'cd /polypay/package && \
	LD_LIBRARY_PATH=/polypay/lib POLYPAY_VECTORS=/polypay/vectors POLYPAY_BAD_INPUT=/polypay/bad-input \
	POLYPAY_CLI=/polypay/lib/polypay POLYPAY_READMES=/polypay/readmes \
	swift test -Xlinker -L/polypay/lib'
