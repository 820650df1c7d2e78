# CLI release artifacts (issue 15): `make dist-cli` builds `polypay` (the CLI with `polypay
# sandbox`) once, for glibc 2.17 with cargo-zigbuild (target x86_64-unknown-linux-gnu.2.17), into
# dist/polypay, and ships the same binary as the Python wheel `polypay-cli` (maturin, bindings =
# "bin", project in packaging/cli/: `pipx install polypay-cli` gives a `polypay` command), tagged
# manylinux2014. `make test-dist-cli` installs that wheel in a clean room and runs it.
include packaging/python/tools.mk

DIST_TARGETS += dist-cli
TEST_DIST_TARGETS += test-dist-cli
.PHONY: dist-cli test-dist-cli

CLI_TRIPLE := x86_64-unknown-linux-gnu
CLI_BIN := $(DIST_DIR)/polypay
CLI_WHEEL := $(DIST_DIR)/polypay_cli-$(POLYPAY_VERSION)-py3-none-$(DIST_PLATFORM_TAG).whl
CLI_WHEEL_BIN := polypay_cli-$(POLYPAY_VERSION).data/scripts/polypay
CLI_DIST_SOURCES := $(shell find core/src sandbox/src cli/src -name '*.rs') \
	Cargo.toml Cargo.lock core/Cargo.toml sandbox/Cargo.toml sandbox/sandbox.example.toml \
	cli/Cargo.toml packaging/cli/pyproject.toml packaging/cli/README.md

dist-cli: $(CLI_BIN) $(CLI_WHEEL)

# cargo-zigbuild first (dist/polypay), then maturin in the same target directory and with the
# same zig linker settings: it finds the binary up to date and packs it as it is (the test
# compares the two).
$(CLI_BIN) $(CLI_WHEEL) &: $(CLI_DIST_SOURCES) $(DIST_TOOLS_OK)
	rm -rf $(DIST_BUILD)/cli-out && mkdir -p $(DIST_BUILD)/cli-out $(DIST_DIR)
	start=$$(date +%s) && $(DIST_ENV) cargo zigbuild --release --locked -p polypay-cli \
		--target $(CLI_TRIPLE).2.17 && \
		echo $$(( $$(date +%s) - start )) > $(DIST_BUILD)/cli.seconds
	cp $(DIST_BUILD)/$(CLI_TRIPLE)/release/polypay $(DIST_BUILD)/cli-out/polypay
	start=$$(date +%s) && cd packaging/cli && $(DIST_ENV) $(PY) -m maturin build --release --locked \
		--zig --compatibility manylinux2014 --target $(CLI_TRIPLE) \
		--out $(CURDIR)/$(DIST_BUILD)/cli-out && \
		echo $$(( $$(date +%s) - start )) > $(CURDIR)/$(DIST_BUILD)/cli-wheel.seconds
	$(PY) packaging/python/check_wheel.py --auditwheel $(PY_VENV)/bin/auditwheel \
		--name polypay_cli --tag py3-none-$(DIST_PLATFORM_TAG) --version $(POLYPAY_VERSION) \
		--elf $(CLI_WHEEL_BIN) $(DIST_BUILD)/cli-out/*.whl
	rm -f $(DIST_DIR)/polypay_cli-*.whl
	mv $(DIST_BUILD)/cli-out/polypay $(DIST_BUILD)/cli-out/*.whl $(DIST_DIR)/
	touch $(CLI_BIN) $(CLI_WHEEL)

test-dist-cli: dist-cli
	home=$$(mktemp -d) && $(CLEAN_ROOM) HOME=$$home /usr/bin/python3 packaging/cli/test_dist.py \
		--dist $(DIST_DIR) --binary $(CLI_BIN) --wheel $(CLI_WHEEL) --wheel-binary $(CLI_WHEEL_BIN) \
		--version $(POLYPAY_VERSION) --vectors tests/vectors/ecommpay_sign.json; \
		status=$$?; rm -rf $$home; exit $$status
