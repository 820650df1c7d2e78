# CLI release artifacts (issue 15): `make dist-cli` builds `polypay` (the CLI with `polypay
# sandbox`) once, for glibc 2.17: maturin --zig --compatibility manylinux2014 builds the Python
# wheel `polypay-cli` (bindings = "bin", project in packaging/cli/: `pipx install polypay-cli`
# gives a `polypay` command), and the binary it packed is also dist/polypay, the portable binary
# (and the npm package's). `make test-dist-cli` installs that wheel in a clean room and runs it.
include packaging/python/tools.mk

DIST_TARGETS += dist-cli
TEST_DIST_TARGETS += test-dist-cli
.PHONY: dist-cli test-dist-cli

CLI_BIN := $(DIST_DIR)/polypay
CLI_WHEEL := $(DIST_DIR)/polypay_cli-$(POLYPAY_VERSION)-py3-none-$(DIST_PLATFORM_TAG).whl
CLI_WHEEL_BIN := polypay_cli-$(POLYPAY_VERSION).data/scripts/polypay
CLI_DIST_SOURCES := $(shell find core/src sandbox/src cli/src -name '*.rs') \
	Cargo.toml Cargo.lock core/Cargo.toml sandbox/Cargo.toml sandbox/sandbox.example.toml \
	cli/Cargo.toml packaging/cli/pyproject.toml packaging/cli/README.md

dist-cli: $(CLI_BIN) $(CLI_WHEEL)

# One build: the wheel's binary is dist/polypay (the test compares the two).
$(CLI_BIN) $(CLI_WHEEL) &: $(CLI_DIST_SOURCES) $(DIST_TOOLS_OK)
	rm -rf $(DIST_BUILD)/cli-out && mkdir -p $(DIST_BUILD)/cli-out $(DIST_DIR)
	start=$$(date +%s) && cd packaging/cli && $(MATURIN_ENV) $(PY) -m maturin build --release --locked \
		--zig --compatibility manylinux2014 --target $(DIST_TRIPLE) \
		--out $(CURDIR)/$(DIST_BUILD)/cli-out && \
		echo $$(( $$(date +%s) - start )) > $(CURDIR)/$(DIST_BUILD)/cli.seconds
	cp $(DIST_BUILD)/$(DIST_TRIPLE)/release/polypay $(DIST_BUILD)/cli-out/polypay
	$(PY) packaging/python/check_wheel.py --auditwheel $(PY_VENV)/bin/auditwheel \
		--name polypay_cli --tag py3-none-$(DIST_PLATFORM_TAG) --version $(POLYPAY_VERSION) \
		--elf $(CLI_WHEEL_BIN) $(DIST_BUILD)/cli-out/*.whl
	rm -f $(DIST_DIR)/polypay_cli-*.whl
	mv $(DIST_BUILD)/cli-out/polypay $(DIST_BUILD)/cli-out/*.whl $(DIST_DIR)/

test-dist-cli: dist-cli
	home=$$(mktemp -d) && $(CLEAN_ROOM) HOME=$$home /usr/bin/python3 packaging/cli/test_dist.py \
		--dist $(DIST_DIR) --binary $(CLI_BIN) --wheel $(CLI_WHEEL) --wheel-binary $(CLI_WHEEL_BIN) \
		--version $(POLYPAY_VERSION) --vectors tests/vectors/ecommpay_sign.json; \
		status=$$?; rm -rf $$home; exit $$status
