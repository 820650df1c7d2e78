# The two commands of the README: `make demo` (the main job) and `make test` (everything).
# Both work from a fresh clone; each target installs what it needs.

CARGO ?= cargo
POLYPAY := target/debug/polypay

# Each binding adds its own test target (test-python, test-node, ...) from bindings-*/test.mk:
#   TEST_TARGETS += test-python
TEST_TARGETS :=
-include $(wildcard bindings-*/test.mk)
# The fault campaign: `make reliability` (full) and test-reliability (short, in `make test`).
-include tests/reliability/reliability.mk
# The Django example shop and the real-browser test: test-django-shop, test-browser.
-include tests/browser/test.mk
# The Express shop and the Kotlin console (test-express-shop, test-kotlin-console), demo-apps.
-include examples/test.mk
# Fuzzing (`make fuzz`) and the dependency audit (`make audit`, in `make test`).
-include fuzz/fuzz.mk
# Release artifacts: each packaging/*.mk adds its parts to `make dist` (→ dist/) and to
# `make test-dist` (clean-room installs without Rust, last in `make test`):
#   DIST_TARGETS += dist-python        TEST_DIST_TARGETS += test-dist-python
DIST_TARGETS :=
TEST_DIST_TARGETS :=
-include $(wildcard packaging/*.mk)
# The documentation site: `make docs` (→ site/) and test-docs (samples, links, browser), last.
-include tests/docs/docs.mk

.PHONY: demo test test-rust rust-toolchain bench vectors dist test-dist dist-figures

demo: rust-toolchain
	$(CARGO) build --quiet --locked -p polypay-cli
	./examples/cli-demo.sh $(POLYPAY)
	$(MAKE) --no-print-directory demo-apps

# The release artifacts near the end: their clean-room tests reuse what the binding tests installed
# (the Swift chroot, the debug uniffi library for the generated sources); then the documentation,
# whose getting-started pages install those artifacts.
test: test-rust $(TEST_TARGETS) test-dist test-docs

rust-toolchain:
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }
	@if command -v rustup >/dev/null; then \
		for c in rustfmt clippy; do rustup component list --installed | grep -q "^$$c" || rustup component add $$c; done; \
	fi

test-rust: rust-toolchain
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) test --workspace --locked

# Every benchmark in one run, each writing its section of bench/RESULTS.md (figures, machine,
# command, date): the core (Criterion) and its client harness, the constant-time test, then the
# Python and Node packages built in release mode next to the official ecommpay SDKs,
# requests/httpx and fetch. Run it on an otherwise idle machine.
bench: rust-toolchain python-venv node-package
	$(CARGO) bench --locked -p polypay-bench --bench core --bench client
	$(CARGO) run --quiet --release --locked -p polypay-bench --example ct_timing > target/bench/ct_timing.txt
	python3 bench/report.py
	$(CARGO) build --quiet --release --locked -p polypay-cli
	cd bindings-python && VIRTUAL_ENV=$(CURDIR)/$(PY_VENV) PATH=$(CURDIR)/$(PY_VENV)/bin:$$PATH \
		flock $(CURDIR)/$(PY_VENV)/.install-lock $(PY) -m maturin develop --release --quiet --locked
	rm -f $(PY_VENV)/.polypay-installed  # the next test run puts the debug build back
	POLYPAY_BIN=$(CURDIR)/target/release/polypay $(PY) bindings-python/bench.py
	cd bindings-node && npx napi build --platform --release --output-dir build-release
	cd bindings-node && POLYPAY_BIN=$(CURDIR)/target/release/polypay node bench.mjs

dist: $(DIST_TARGETS)

# Every artifact's size, glibc floor and build time into bench/RESULTS.md; NOTE="…" says how
# the build was taken (e.g. the wall clock of a cold `make dist`).
dist-figures: dist
	python3 packaging/figures.py --dist $(DIST_DIR) --version $(POLYPAY_VERSION) $(if $(NOTE),--note '$(NOTE)')

test-dist: $(TEST_DIST_TARGETS)

# Regenerates tests/vectors/*.json from the PHP and Python oracles (needs php-cli).
vectors:
	python3 tests/vectors/gen/generate.py
