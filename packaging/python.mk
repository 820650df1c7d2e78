# Python release artifacts (issue 15): `make dist-python` puts into dist/ one abi3 wheel of
# `polypay` (CPython >= 3.9, manylinux_2_17_x86_64 / manylinux2014) and its sdist;
# `make test-dist-python` installs the wheel in a clean room (no Rust on PATH, Debian's
# /usr/bin/python3, pip with --no-index) and runs the README's quickstart against
# `dist/polypay sandbox`. Rebuilt only when their sources change (the wheel and sdist are the targets).
include packaging/python/tools.mk

DIST_TARGETS += dist-python
TEST_DIST_TARGETS += test-dist-python
.PHONY: dist-python test-dist-python

PY_WHEEL := $(DIST_DIR)/polypay-$(POLYPAY_VERSION)-cp39-abi3-$(DIST_PLATFORM_TAG).whl
PY_SDIST := $(DIST_DIR)/polypay-$(POLYPAY_VERSION).tar.gz
PY_DIST_SOURCES := $(shell find core/src bindings-python/src bindings-python/polypay -type f \
	\( -name '*.rs' -o -name '*.py' -o -name '*.pyi' -o -name py.typed \)) \
	Cargo.toml Cargo.lock core/Cargo.toml bindings-python/Cargo.toml \
	bindings-python/pyproject.toml bindings-python/README.md

dist-python: $(PY_WHEEL) $(PY_SDIST)

# Built into a staging directory and moved to dist/ only once auditwheel agrees with the tag.
$(PY_WHEEL) $(PY_SDIST) &: $(PY_DIST_SOURCES) $(DIST_TOOLS_OK)
	rm -rf $(DIST_BUILD)/python-out && mkdir -p $(DIST_BUILD) $(DIST_DIR)
	start=$$(date +%s) && cd bindings-python && $(MATURIN_ENV) $(PY) -m maturin build --release \
		--locked --zig --compatibility manylinux2014 --target $(DIST_TRIPLE) -i $(PY) \
		--out $(CURDIR)/$(DIST_BUILD)/python-out && \
		echo $$(( $$(date +%s) - start )) > $(CURDIR)/$(DIST_BUILD)/python.seconds
	# The sdist on its own: `build --sdist` builds the wheel from it, where --locked refuses the
	# trimmed workspace's Cargo.lock.
	cd bindings-python && $(MATURIN_ENV) $(PY) -m maturin sdist --out $(CURDIR)/$(DIST_BUILD)/python-out
	$(PY) packaging/python/check_wheel.py --auditwheel $(PY_VENV)/bin/auditwheel \
		--name polypay --tag cp39-abi3-$(DIST_PLATFORM_TAG) --version $(POLYPAY_VERSION) \
		--elf polypay/_native.abi3.so \
		$(DIST_BUILD)/python-out/*.whl
	rm -f $(DIST_DIR)/polypay-*.whl $(DIST_DIR)/polypay-*.tar.gz
	mv $(DIST_BUILD)/python-out/*.whl $(DIST_BUILD)/python-out/*.tar.gz $(DIST_DIR)/
	touch $(PY_WHEEL) $(PY_SDIST)

# The clean room: only /usr/bin and /bin on PATH (no cargo, rustc, maturin), a fresh HOME (no pip
# configuration), Debian's python3. The test itself takes the quickstart from the README.
test-dist-python: dist-python dist-cli
	home=$$(mktemp -d) && $(CLEAN_ROOM) HOME=$$home /usr/bin/python3 packaging/python/test_dist.py \
		--dist $(DIST_DIR) --wheel $(PY_WHEEL) --sdist $(PY_SDIST) \
		--sandbox $(DIST_DIR)/polypay --readme bindings-python/README.md --root-readme README.md \
		--version $(POLYPAY_VERSION); \
		status=$$?; rm -rf $$home; exit $$status
