# Fuzzing and dependency checks (issue 9), included by the root Makefile.
#
#   make fuzz     each cargo-fuzz target for FUZZ_SECONDS (nightly, libFuzzer, AddressSanitizer
#                 with leak detection), after replaying fuzz/regressions/; starts from the
#                 committed seeds in fuzz/corpus/<target>/ and writes what it finds to
#                 target/fuzz-corpus/<target>/ (the committed corpus is not touched).
#   make fuzz-cmin  minimises the committed corpus (after copying new finds into it by hand).
#   make audit    cargo deny: licenses, bans and sources always; advisories when the RustSec
#                 database (github.com) can be fetched. Part of `make test`.

FUZZ_SECONDS ?= 300
FUZZ_TARGETS ?= paycore_callback ecommpay_sign ecommpay_callback hpp sandbox_request client_wire
# No input may take more than 10 s (-timeout) or make the process exceed 2 GiB (-rss_limit_mb).
FUZZ_FLAGS ?= -rss_limit_mb=2048 -timeout=10 -max_len=8192 -print_final_stats=1
CARGO_FUZZ_VERSION := 0.13.2
CARGO_DENY_VERSION := 0.20.2
# Duplicate versions are warnings: one line each, without the dependency tree.
DENY_FLAGS ?= --hide-inclusion-graph
FUZZ_OUT := $(CURDIR)/target/fuzz-corpus

TEST_TARGETS += audit

.PHONY: fuzz fuzz-tools fuzz-build fuzz-regressions fuzz-cmin audit

fuzz-tools: rust-toolchain
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@cargo fuzz --version 2>/dev/null | grep -q '$(CARGO_FUZZ_VERSION)' || $(CARGO) install --locked cargo-fuzz@$(CARGO_FUZZ_VERSION)

fuzz-build: fuzz-tools
	cd fuzz && cargo +nightly fuzz build

# Every input that once crashed a target must keep passing.
fuzz-regressions: fuzz-build
	@cd fuzz && for t in $(FUZZ_TARGETS); do \
		if [ -n "$$(ls regressions/$$t 2>/dev/null)" ]; then \
			cargo +nightly fuzz run $$t regressions/$$t/* -- -runs=1 || exit 1; \
		fi; \
	done

fuzz: fuzz-regressions
	@cd fuzz && for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_OUT)/$$t && \
		echo "== fuzz $$t for $(FUZZ_SECONDS) s" && \
		cargo +nightly fuzz run $$t $(FUZZ_OUT)/$$t corpus/$$t -- \
			-max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) || exit 1; \
	done

# Keeps one input per covered edge (-use_counters=0), so the committed corpus stays small.
fuzz-cmin: fuzz-build
	cd fuzz && for t in $(FUZZ_TARGETS); do cargo +nightly fuzz cmin $$t corpus/$$t -- -use_counters=0 || exit 1; done

audit: rust-toolchain
	@cargo deny --version 2>/dev/null | grep -q '$(CARGO_DENY_VERSION)' || $(CARGO) install --locked cargo-deny@$(CARGO_DENY_VERSION)
	@if timeout 30 git ls-remote --quiet https://github.com/rustsec/advisory-db HEAD >/dev/null 2>&1; then \
		cargo deny --locked check $(DENY_FLAGS) && cargo deny --manifest-path fuzz/Cargo.toml --locked check $(DENY_FLAGS); \
	else \
		echo "audit: WARNING: github.com is unreachable, so the RustSec advisory database cannot be fetched:"; \
		echo "audit: WARNING: advisories NOT checked; checking licenses, bans and sources only."; \
		cargo deny --locked check $(DENY_FLAGS) licenses bans sources && \
		cargo deny --manifest-path fuzz/Cargo.toml --locked check $(DENY_FLAGS) licenses bans sources; \
	fi
