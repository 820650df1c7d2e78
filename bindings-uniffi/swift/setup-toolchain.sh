#!/bin/sh
# Sets up (once, cached) a Debian trixie chroot with swiftlang, as docs/toolchains.md describes.
# Usage: setup-toolchain.sh ROOT   (e.g. target/trixie). Idempotent: quick when already there.
# Fails loudly if anything cannot be installed; never skips. ca-certificates: the sandbox binary
# (run inside the chroot by the tests) builds a rustls client that needs the system roots. git:
# SwiftPM resolves a package by URL and tag with it (make test-dist-swift, packaging/swift.mk).
# The Debian mirror is the machine's own (its apt sources), never a hard-coded host:
# packaging/swift/debian-mirror.sh prints it (DEBIAN_MIRROR overrides).
set -eu
ROOT=${1:?usage: setup-toolchain.sh ROOT}
# The marker names the package set: change both together.
MARKER="$ROOT/.polypay-toolchain-v3"
if [ -f "$MARKER" ]; then exit 0; fi
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }
if [ ! -f "$ROOT/.debootstrap-ok" ]; then
	# Never delete a half-made chroot with something still mounted inside it.
	if [ -d "$ROOT" ] && grep -q " $(realpath "$ROOT")/" /proc/mounts; then
		echo "setup-toolchain: mounts under $ROOT, unmount them first" >&2; exit 1
	fi
	MIRROR=$("$(dirname "$0")/../../packaging/swift/debian-mirror.sh")
	rm -rf "$ROOT"
	debootstrap --variant=minbase trixie "$ROOT" "$MIRROR"
	touch "$ROOT/.debootstrap-ok"
fi
mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
trap 'umount "$ROOT/proc" 2>/dev/null || true' EXIT INT TERM
chroot "$ROOT" apt-get update -qq
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	swiftlang libc6-dev libstdc++-14-dev ca-certificates git
chroot "$ROOT" env LD_LIBRARY_PATH=/usr/libexec/swift/lib/swift/linux swiftc --version
touch "$MARKER"
