#!/bin/sh
# Writes the consumable SwiftPM package of polypay (issue 15): a folder with Package.swift at its
# root (what SwiftPM resolves from a git tag or a path), the uniffi bindings generated from the
# release library, the hand-written extensions of bindings-uniffi/swift/Sources/, and a version
# constant (PolypayPackage.version, the workspace version).
#
# Usage (repository root): make-package.sh OUT LIBRARY BINDGEN VERSION
#   OUT      the package folder to write (replaced), e.g. dist/swift/polypay-swift
#   LIBRARY  the built libpolypay_uniffi (.so/.dylib): library-mode generation reads its metadata
#   BINDGEN  the workspace's uniffi-bindgen (target/debug/uniffi-bindgen)
#   VERSION  the workspace version ([workspace.package] of Cargo.toml)
# Apple platforms use the release XCFramework: XCFRAMEWORK_URL and XCFRAMEWORK_CHECKSUM (from
# `swift package compute-checksum`, set by the release workflow) make it a remote binary target;
# without them it is PolypayFFI.xcframework beside Package.swift (a local build).
set -eu
OUT=${1:?usage: make-package.sh OUT LIBRARY BINDGEN VERSION}
LIBRARY=${2:?LIBRARY}
BINDGEN=${3:?BINDGEN}
VERSION=${4:?VERSION}
HERE=$(dirname "$0")
SRC=bindings-uniffi/swift

GEN=$(mktemp -d)
trap 'rm -rf "$GEN"' EXIT INT TERM
"$BINDGEN" generate --library "$LIBRARY" --language swift --no-format --out-dir "$GEN" >/dev/null
for f in Polypay.swift PolypayFFI.h; do
	test -s "$GEN/$f" || { echo "make-package: uniffi-bindgen wrote no $f" >&2; exit 1; }
done

rm -rf "$OUT"
mkdir -p "$OUT/Sources/Polypay" "$OUT/Sources/PolypayFFI"
cp "$GEN/Polypay.swift" "$OUT/Sources/Polypay/Polypay.swift"
cp "$GEN/PolypayFFI.h" "$OUT/Sources/PolypayFFI/PolypayFFI.h"
cp "$SRC/Sources/PolypayFFI/module.modulemap" "$OUT/Sources/PolypayFFI/module.modulemap"
# The hand-written sources (every .swift of Sources/Polypay but the generated one).
for f in "$SRC"/Sources/Polypay/*.swift; do
	[ "$(basename "$f")" = Polypay.swift ] || cp "$f" "$OUT/Sources/Polypay/"
done
cat > "$OUT/Sources/Polypay/PolypayPackage.swift" <<SWIFT
// Written by packaging/swift/make-package.sh from the workspace version (Cargo.toml).

/// The package itself.
public enum PolypayPackage {
    /// The polypay release these bindings and their library belong to.
    public static let version = "$VERSION"
}
SWIFT

if [ -n "${XCFRAMEWORK_URL:-}" ]; then
	: "${XCFRAMEWORK_CHECKSUM:?XCFRAMEWORK_CHECKSUM goes with XCFRAMEWORK_URL}"
	APPLE=".binaryTarget(name: \"PolypayFFI\", url: \"$XCFRAMEWORK_URL\", checksum: \"$XCFRAMEWORK_CHECKSUM\")"
else
	APPLE='.binaryTarget(name: "PolypayFFI", path: "PolypayFFI.xcframework")'
fi
sed -e "s|@VERSION@|$VERSION|g" -e "s|@APPLE_FFI_TARGET@|$APPLE|" "$HERE/Package.swift.in" > "$OUT/Package.swift"
sed -e "s|@VERSION@|$VERSION|g" "$HERE/PACKAGE-README.md" > "$OUT/README.md"
echo "make-package: $OUT (polypay-swift $VERSION)"
