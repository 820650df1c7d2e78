# Kotlin and Swift bindings (uniffi): `make test-kotlin`, `make test-swift` (both in `make test`).
# Each builds the library (debug, shared target/) and the CLI (its sandbox serves the flow
# tests); cargo makes the second build a no-op. Missing toolchains fail loudly, never skip:
#   test-kotlin: Maven + JDK 17 (on every machine of this project; Maven Central for plugins),
#                under tests/postgres/with-postgres (a throwaway PostgreSQL for JdbcCallbackLedger).
#   test-kotlin-ktor: the Ktor routes module (bindings-uniffi/kotlin-ktor, io.polypay:polypay-ktor)
#                against the polypay-kotlin that kotlin-package installs in the local Maven
#                repository, under tests/postgres/with-postgres as well.
#   test-swift:  root, debootstrap (installed from Debian if absent) and a cached Debian trixie
#                chroot with swiftlang in target/trixie (bindings-uniffi/swift/setup-toolchain.sh).
TEST_TARGETS += test-kotlin test-kotlin-ktor test-swift

SWIFT_ROOT := target/trixie

.PHONY: test-kotlin test-kotlin-ktor test-swift uniffi-lib kotlin-package

uniffi-lib:
	$(CARGO) build --quiet --locked -p polypay-uniffi -p polypay-cli

# Installs io.polypay:polypay-kotlin into the local Maven repository for the examples and the
# reliability campaign; consumers load target/debug/libpolypay_uniffi.so with -Djna.library.path.
# Reinstalled only when the library or the Kotlin sources change.
KOTLIN_STAMP := target/kotlin-package.stamp

kotlin-package: uniffi-lib $(KOTLIN_STAMP)

$(KOTLIN_STAMP): target/debug/libpolypay_uniffi.so bindings-uniffi/kotlin/pom.xml \
		$(shell find bindings-uniffi/kotlin/src/main -type f)
	@command -v mvn >/dev/null || { echo "kotlin-package: mvn not found (install Maven and a JDK 17)" >&2; exit 1; }
	cd bindings-uniffi/kotlin && mvn -q -B install -DskipTests
	touch $@

test-kotlin: uniffi-lib
	@command -v mvn >/dev/null || { echo "test-kotlin: mvn not found (install Maven and a JDK 17)" >&2; exit 1; }
	cd bindings-uniffi/kotlin && $(CURDIR)/tests/postgres/with-postgres mvn -q -B test

# Ktor stays out of polypay-kotlin: its routes are a module of their own, built on the installed
# library (so kotlin-package first).
test-kotlin-ktor: kotlin-package
	cd bindings-uniffi/kotlin-ktor && $(CURDIR)/tests/postgres/with-postgres mvn -q -B test

test-swift: uniffi-lib
	bindings-uniffi/swift/run-tests.sh $(SWIFT_ROOT)
