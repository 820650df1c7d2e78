# JVM/Kotlin release artifact (issue 15), included by the root Makefile.
#
#   make dist-jvm       dist/maven/: a file:// Maven repository holding io.polypay:polypay-kotlin
#                       (jar with the native library at JNA's linux-x86-64/ resource path, sources
#                       jar, Dokka javadoc jar, pom with its dependencies, checksums, metadata)
#   make test-dist-jvm  a fresh Maven project (temporary folder) depends on it through that file://
#                       repository and runs the README's Kotlin quickstart against `polypay
#                       sandbox`, without Rust on PATH and without JVM flags; the library's highest
#                       GLIBC_ symbol version must be <= 2.17
#
# The native library (libpolypay_uniffi.so) is built once for both JVM and Swift (packaging/swift.mk)
# in release (the workspace's [profile.release]: fat LTO, stripped) for glibc 2.17 with
# cargo-zigbuild, in a target directory of its own: maturin's zig wrappers differ from
# cargo-zigbuild's, so sharing target/dist-build would rebuild every crate back and forth. Everything
# is redone only when its sources change (file targets and stamps).
include packaging/python/tools.mk

DIST_TARGETS += dist-jvm
TEST_DIST_TARGETS += test-dist-jvm

.PHONY: dist-jvm test-dist-jvm uniffi-dist-lib

# The release library as cargo leaves it, and the copy that ships (stripped, checked), in the
# folder layout JNA reads from the classpath: <os>-<arch>/lib<name>.so.
UNIFFI_DIST_BUILD := target/dist-uniffi/cargo
UNIFFI_RELEASE_SO := $(UNIFFI_DIST_BUILD)/$(DIST_TRIPLE)/release/libpolypay_uniffi.so
UNIFFI_NATIVES := target/dist-uniffi/natives
UNIFFI_DIST_SO := $(UNIFFI_NATIVES)/linux-x86-64/libpolypay_uniffi.so
UNIFFI_SOURCES := $(shell find core/src bindings-uniffi/src -type f) core/Cargo.toml \
	bindings-uniffi/Cargo.toml bindings-uniffi/uniffi.toml Cargo.toml Cargo.lock
# The generator and the library it reads (debug, from `uniffi-lib` in bindings-uniffi/test.mk).
# Library mode reads the metadata from the symbol table, which the stripped release library no
# longer has; both libraries are built from the same sources here, and uniffi's checksums (checked
# when the library loads) would catch any difference.
UNIFFI_BINDGEN := target/debug/uniffi-bindgen
UNIFFI_METADATA_LIB := target/debug/libpolypay_uniffi.so

JVM_DIST_REPO := $(DIST_DIR)/maven
JVM_ARTIFACT_DIR := $(JVM_DIST_REPO)/io/polypay/polypay-kotlin/$(POLYPAY_VERSION)
JVM_JAR := $(JVM_ARTIFACT_DIR)/polypay-kotlin-$(POLYPAY_VERSION).jar
# Its own Maven build folder, so that the dist build and `make test-kotlin` never share output.
JVM_BUILD_DIR := $(CURDIR)/target/dist-jvm/maven-build
JVM_SOURCES := bindings-uniffi/kotlin/pom.xml $(shell find bindings-uniffi/kotlin/src/main -type f)
TEST_DIST_JVM_STAMP := target/dist-jvm/test-dist-jvm.stamp

uniffi-dist-lib: $(UNIFFI_DIST_SO)

# Rebuilt (cargo decides) when a source is newer; the tools are only needed, not a reason.
$(UNIFFI_RELEASE_SO): $(UNIFFI_SOURCES) | $(DIST_TOOLS_OK)
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }
	start=$$(date +%s) && CARGO_TARGET_DIR=$(CURDIR)/$(UNIFFI_DIST_BUILD) $(DIST_ENV) $(CARGO) zigbuild --quiet \
		--release --locked -p polypay-uniffi --lib --target $(DIST_TRIPLE).2.17 && \
		echo $$(( $$(date +%s) - start )) > target/dist-uniffi/library.seconds

# strip: a no-op when [profile.release] already strips; kept so the shipped file is stripped
# whatever the profile says. Checked: ELF x86-64, no .symtab, GLIBC_ <= 2.17, size printed.
# Replaced only when its bytes change, so an unchanged library rebuilds nothing downstream.
$(UNIFFI_DIST_SO): $(UNIFFI_RELEASE_SO) packaging/jvm/check-native.sh
	mkdir -p $(@D)
	strip --strip-unneeded -o $@.new $<
	packaging/jvm/check-native.sh $@.new
	if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

dist-jvm: $(JVM_JAR)

$(JVM_JAR): $(UNIFFI_DIST_SO) $(JVM_SOURCES) | uniffi-lib
	@command -v mvn >/dev/null || { echo "dist-jvm: mvn not found (install Maven and a JDK 17)" >&2; exit 1; }
	rm -rf $(JVM_BUILD_DIR) $(JVM_ARTIFACT_DIR)
	cd bindings-uniffi/kotlin && mvn -q -B -Pdist -Dmaven.test.skip=true \
		-Dpolypay.buildDir=$(JVM_BUILD_DIR) \
		-Dpolypay.library=$(CURDIR)/$(UNIFFI_METADATA_LIB) -Dpolypay.bindgen=$(CURDIR)/$(UNIFFI_BINDGEN) \
		-Dpolypay.natives=$(CURDIR)/$(UNIFFI_NATIVES) \
		-DaltDeploymentRepository=polypay-dist::file://$(CURDIR)/$(JVM_DIST_REPO) deploy
	@ls -l $(JVM_ARTIFACT_DIR)/*.jar $(JVM_ARTIFACT_DIR)/*.pom
	mkdir -p $(@D)
	touch $@

test-dist-jvm: $(TEST_DIST_JVM_STAMP)

# The sandbox: the CLI engineer's dist/polypay when `make dist-cli` made it, else the debug CLI.
$(TEST_DIST_JVM_STAMP): $(JVM_JAR) bindings-uniffi/kotlin/README.md $(wildcard packaging/jvm/*) | uniffi-lib
	python3 packaging/jvm/test_dist_jvm.py --repo $(JVM_DIST_REPO) --version $(POLYPAY_VERSION) \
		--readme bindings-uniffi/kotlin/README.md \
		--polypay "$$(if [ -x $(DIST_DIR)/polypay ]; then echo $(DIST_DIR)/polypay; else echo $(POLYPAY); fi)" \
		--cache target/dist-jvm/m2
	mkdir -p $(@D)
	touch $@
