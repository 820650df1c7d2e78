#!/usr/bin/env bash
# The Swift API reference: DocC over the Polypay module, with the Linux toolchain of the Debian
# trixie chroot that `make test-swift` sets up (target/trixie, bindings-uniffi/swift/setup-toolchain.sh),
# into target/docs/api/swift/ (documentation/polypay/index.html; static hosting under
# reference/api/swift/, where the site build copies it).
#
# Run from the repository root, as root (chroot), after `make test-swift`: it reuses the chroot,
# the debug library it copied in (/polypay/lib) and the generated sources it wrote into
# bindings-uniffi/swift/Sources. The module is built once more, in a build folder of its own
# (/polypay/docs-build, kept between runs) so that the tests' incremental build stays valid, with
# the compiler writing the symbol graphs that `docc convert` turns into the HTML site.
#
# What Linux cannot give: DocC here documents the Swift API as compiled for Linux (the same
# declarations as on Apple platforms: the bindings have no platform conditionals), without
# Xcode's documentation archive (.doccarchive import) or links into Apple's Foundation docs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
ROOT=${SWIFT_ROOT:-target/trixie}
out="$root/target/docs/api/swift"
here=bindings-uniffi/swift
docc=/usr/libexec/swift/bin/docc
if [ ! -x "$ROOT$docc" ] || [ ! -f "$ROOT/polypay/lib/libpolypay_uniffi.so" ]; then
  echo "docs/api/swift.sh: no Swift toolchain or library in $ROOT: run make test-swift first" >&2
  exit 2
fi
if [ ! -f "$here/Sources/Polypay/Polypay.swift" ] || [ ! -f "$here/Sources/PolypayFFI/PolypayFFI.h" ]; then
  echo "docs/api/swift.sh: the generated bindings are missing in $here/Sources: run make test-swift first" >&2
  exit 2
fi
[ "$(id -u)" = 0 ] || { echo "docs/api/swift.sh: needs root (chroot into $ROOT)" >&2; exit 2; }

W="$ROOT/polypay"
rm -rf "$W/docs-package" "$W/symbol-graphs" "$W/docs-out"
mkdir -p "$W/docs-package" "$W/symbol-graphs"
cp -r "$here/Package.swift" "$here/Sources" "$here/Tests" "$W/docs-package/"

mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
trap 'umount "$ROOT/proc" 2>/dev/null || true' EXIT INT TERM
chroot "$ROOT" /bin/sh -c "set -e; cd /polypay/docs-package
	swift build --target Polypay --scratch-path /polypay/docs-build -Xlinker -L/polypay/lib \
		-Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc /polypay/symbol-graphs
	$docc convert --additional-symbol-graph-dir /polypay/symbol-graphs \
		--fallback-display-name Polypay --fallback-bundle-identifier io.polypay.Polypay \
		--fallback-bundle-version 0.1.0 \
		--transform-for-static-hosting --hosting-base-path reference/api/swift \
		--output-path /polypay/docs-out"
test -f "$W/docs-out/documentation/polypay/index.html" || {
  echo "docs/api/swift.sh: docc wrote no documentation/polypay/index.html" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$(dirname "$out")"
cp -r "$W/docs-out" "$out"
echo "Swift API reference: $out/documentation/polypay/index.html"
