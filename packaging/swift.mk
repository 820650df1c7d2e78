# Swift release artifact (issue 15), included by the root Makefile (after packaging/jvm.mk, whose
# release library and variables it uses).
#
#   make dist-swift       dist/swift/polypay-swift/: the SwiftPM package consumers depend on
#                         (Package.swift at its root, the generated bindings, the hand-written
#                         extensions, PolypayPackage.version), its archive
#                         dist/swift/polypay-swift-VERSION.tar.gz, and the Linux library
#                         dist/swift/linux-x86_64/libpolypay_uniffi.so (release, stripped, glibc 2.17)
#   make test-dist-swift  a fresh Swift package in the trixie chroot resolves that package by URL
#                         and version tag and runs the README's Swift quickstart against
#                         `polypay sandbox` (packaging/swift/test_dist_swift.py)
#
# Apple platforms: the release workflow (.github/workflows/release.yml) builds the XCFramework
# and writes the same package with a binary target (make-package.sh with XCFRAMEWORK_URL).
DIST_TARGETS += dist-swift
TEST_DIST_TARGETS += test-dist-swift

.PHONY: dist-swift test-dist-swift

SWIFT_DIST := $(DIST_DIR)/swift
SWIFT_PACKAGE := $(SWIFT_DIST)/polypay-swift
SWIFT_ARCHIVE := $(SWIFT_DIST)/polypay-swift-$(POLYPAY_VERSION).tar.gz
SWIFT_DIST_SO := $(SWIFT_DIST)/linux-x86_64/libpolypay_uniffi.so
SWIFT_PACKAGE_SOURCES := $(wildcard packaging/swift/*.in packaging/swift/*.md packaging/swift/*.sh) \
	$(filter-out %/Polypay.swift %/PolypayFFI.h,$(wildcard bindings-uniffi/swift/Sources/*/*))
TEST_DIST_SWIFT_STAMP := target/dist-swift/test-dist-swift.stamp

dist-swift: $(SWIFT_ARCHIVE) $(SWIFT_DIST_SO)

# Generated in library mode from the same sources as the release library (see UNIFFI_METADATA_LIB
# in packaging/jvm.mk), as the jar's Kotlin is.
$(SWIFT_ARCHIVE): $(UNIFFI_DIST_SO) $(SWIFT_PACKAGE_SOURCES) | uniffi-lib
	packaging/swift/make-package.sh $(SWIFT_PACKAGE) $(UNIFFI_METADATA_LIB) $(UNIFFI_BINDGEN) $(POLYPAY_VERSION)
	rm -f $(SWIFT_DIST)/polypay-swift-*.tar.gz
	tar -czf $@ -C $(SWIFT_DIST) polypay-swift

$(SWIFT_DIST_SO): $(UNIFFI_DIST_SO)
	mkdir -p $(@D)
	cp $< $@

test-dist-swift: $(TEST_DIST_SWIFT_STAMP)

$(TEST_DIST_SWIFT_STAMP): $(SWIFT_ARCHIVE) $(SWIFT_DIST_SO) bindings-uniffi/swift/README.md \
		bindings-uniffi/swift/setup-toolchain.sh $(wildcard packaging/swift/*.py) | uniffi-lib
	python3 packaging/swift/test_dist_swift.py --package $(SWIFT_PACKAGE) --lib $(dir $(SWIFT_DIST_SO)) \
		--version $(POLYPAY_VERSION) --readme bindings-uniffi/swift/README.md --root $(SWIFT_ROOT) \
		--polypay "$$(if [ -x $(DIST_DIR)/polypay ]; then echo $(DIST_DIR)/polypay; else echo $(POLYPAY); fi)"
	mkdir -p $(@D)
	touch $@
