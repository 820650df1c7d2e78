#!/usr/bin/env bash
# The Kotlin API reference: Dokka (org.jetbrains.dokka:dokka-maven-plugin 2.2.0, HTML) over
# polypay-kotlin, i.e. the uniffi-generated bindings (target/generated-sources/uniffi, written
# again here by the pom's generate-sources step from target/debug/libpolypay_uniffi.so) plus the
# hand-written src/main/kotlin (client calls, errors' details, ledger, logging), into
# target/docs/api/kotlin/ (index.html at its root). Run from the repository root after `make
# test-kotlin` (or `make uniffi-lib`): it reuses that library, uniffi-bindgen and the Maven
# repository's plugins; the site build copies the output to site/reference/api/kotlin/.
#
# Dokka is configured in the pom's `dist` profile (the javadoc jar of `make dist-jvm`): module
# name, offline mode (no links fetched from the JDK's and Kotlin's online docs), both source
# folders. The HTML goal writes into the Maven build folder, which this script points into
# target/docs/ so that the tests' build folder is not touched.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/target/docs/api/kotlin"
build="$root/target/docs/kotlin-build"
for f in target/debug/libpolypay_uniffi.so target/debug/uniffi-bindgen; do
  if [ ! -e "$root/$f" ]; then
    echo "docs/api/kotlin.sh: $f is missing: run make test-kotlin (or make uniffi-lib) first" >&2
    exit 2
  fi
done
command -v mvn >/dev/null || { echo "docs/api/kotlin.sh: mvn not found (install Maven and a JDK 17)" >&2; exit 2; }
rm -rf "$out" "$build/dokka"
cd "$root/bindings-uniffi/kotlin"
mvn -q -B -Pdist -Dpolypay.buildDir="$build" \
  generate-sources org.jetbrains.dokka:dokka-maven-plugin:2.2.0:dokka
mkdir -p "$(dirname "$out")"
# The HTML goal's default output folder is ${project.basedir}/target/dokka (not the build folder).
src="$root/bindings-uniffi/kotlin/target/dokka"
test -f "$src/index.html" || { echo "docs/api/kotlin.sh: Dokka wrote no $src/index.html" >&2; exit 1; }
rm -rf "$out"
mv "$src" "$out"
test -f "$out/index.html"
echo "Kotlin API reference: $out/index.html"
