# The two commands of the README: `make demo` (the main job) and `make test` (everything).
# Both work from a fresh clone; each target installs what it needs.

CARGO ?= cargo
POLYPAY := target/debug/polypay

# Each binding adds its own test target (test-python, test-node, ...) from bindings-*/test.mk:
#   TEST_TARGETS += test-python
TEST_TARGETS :=
-include $(wildcard bindings-*/test.mk)

.PHONY: demo test test-rust rust-toolchain bench vectors

demo: rust-toolchain
	$(CARGO) build --quiet --locked -p polypay-cli
	./examples/cli-demo.sh $(POLYPAY)

test: test-rust $(TEST_TARGETS)

rust-toolchain:
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }
	@if command -v rustup >/dev/null; then \
		for c in rustfmt clippy; do rustup component list --installed | grep -q "^$$c" || rustup component add $$c; done; \
	fi

test-rust: rust-toolchain
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) test --workspace --locked

# Criterion benchmarks; writes the figures, machine, command and date into bench/RESULTS.md.
bench: rust-toolchain
	$(CARGO) bench --locked -p polypay-bench --bench core --bench client
	python3 bench/report.py

# Regenerates tests/vectors/*.json from the PHP and Python oracles (needs php-cli).
vectors:
	python3 tests/vectors/gen/generate.py
