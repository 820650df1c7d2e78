# Node release artifacts (issue 15), included by the root Makefile.
#
# `make dist-node` puts three `npm pack` tarballs into dist/:
#   polypay-<v>.tgz                the main package (TypeScript layer, ESM entry points, types); its
#                                  optionalDependencies name the platform packages built here
#   polypay-linux-x64-gnu-<v>.tgz  the napi-rs platform package: the addon, release profile
#                                  (stripped, fat LTO, one codegen unit), linked for glibc 2.17 by
#                                  zig (`napi build -x`, cargo-zigbuild)
#   polypay-cli-<v>.tgz            `npx polypay …`: a launcher and dist/polypay (from `make dist-cli`)
# `make test-dist-node` installs them in a clean room (no cargo/rustc on PATH, fresh HOME) and
# runs the README's quickstart (CommonJS and ESM) against the sandbox, a `tsc --strict` consumer,
# the unsupported-platform errors and `npx polypay` (packaging/node/test_dist.mjs).
# The addon is rebuilt only when its sources change.
include packaging/python/tools.mk

DIST_TARGETS += dist-node
TEST_DIST_TARGETS += test-dist-node
.PHONY: dist-node dist-node-cli test-dist-node node-dist-deps

NODE_DIST_DIR := dist
NODE_DIST_BUILD := target/dist-node
# The npm version: bindings-node/package.json's, stamped into the three packages by pack.mjs.
NODE_DIST_VERSION := $(shell sed -n 's/^  "version": "\(.*\)",$$/\1/p' bindings-node/package.json | head -n 1)
NODE_DIST_ADDON := $(NODE_DIST_BUILD)/artifacts/polypay.linux-x64-gnu.node
NODE_DIST_MAIN := $(NODE_DIST_DIR)/polypay-$(NODE_DIST_VERSION).tgz
NODE_DIST_PLATFORM := $(NODE_DIST_DIR)/polypay-linux-x64-gnu-$(NODE_DIST_VERSION).tgz
NODE_DIST_CLI := $(NODE_DIST_DIR)/polypay-cli-$(NODE_DIST_VERSION).tgz
NODE_DIST_RUST := $(shell find core/src bindings-node/src -name '*.rs') Cargo.toml Cargo.lock \
	core/Cargo.toml bindings-node/Cargo.toml bindings-node/build.rs
NODE_DIST_JS := $(shell find bindings-node/lib bindings-node/esm bindings-node/npm -type f) \
	bindings-node/package.json bindings-node/tsconfig.json bindings-node/native.d.ts \
	bindings-node/README.md packaging/node/pack.mjs
# The sandbox the quickstart runs against: the portable binary when built, else the debug one.
NODE_DIST_SANDBOX = $(if $(wildcard $(NODE_DIST_DIR)/polypay),$(NODE_DIST_DIR)/polypay,$(POLYPAY))

dist-node: $(NODE_DIST_MAIN) $(NODE_DIST_PLATFORM) dist-node-cli

# bindings-node's devDependencies: @napi-rs/cli, typescript (the same check as test.mk's).
node-dist-deps:
	@command -v node >/dev/null || { echo "node not found: install Node.js >= 18" >&2; exit 1; }
	@cd bindings-node && if [ ! -d node_modules ] || ! cmp -s package-lock.json node_modules/.package-lock.stamp; then \
		npm install --no-audit --no-fund && cp package-lock.json node_modules/.package-lock.stamp; \
	fi

# Linked for glibc 2.17 by zig: `napi build -x` runs cargo-zigbuild with the target
# x86_64-unknown-linux-gnu.2.17 (cargo-zigbuild and ziglang from the configured Python index, in
# the venv of packaging/python/tools.mk), in a cargo target dir of its own (target/dist-node/cargo:
# maturin's and napi's zig settings differ, so a shared one would rebuild back and forth). (napi's own
# `--use-napi-cross` toolchain is gcc 4.8.5, which fails on mimalloc v3's C: see
# bench/RESULTS.md.) The build time goes to target/dist-node/addon.seconds.
$(NODE_DIST_ADDON): $(NODE_DIST_RUST) | $(DIST_TOOLS_OK) node-dist-deps rust-toolchain
	rm -rf $(NODE_DIST_BUILD)/artifacts && mkdir -p $(NODE_DIST_BUILD)/artifacts
	start=$$(date +%s) && cd bindings-node && $(DIST_ENV) npx napi build --platform --release -x \
		--target $(DIST_TRIPLE).2.17 --target-dir $(CURDIR)/$(NODE_DIST_BUILD)/cargo \
		--output-dir $(CURDIR)/$(NODE_DIST_BUILD)/artifacts \
		--no-js --dts native.d.ts -- --locked && \
		echo $$(( $$(date +%s) - start )) > $(CURDIR)/$(NODE_DIST_BUILD)/addon.seconds
	test -f $@

$(NODE_DIST_MAIN) $(NODE_DIST_PLATFORM) &: $(NODE_DIST_ADDON) $(NODE_DIST_JS) | node-dist-deps
	node packaging/node/pack.mjs addon $(NODE_DIST_BUILD)/artifacts $(NODE_DIST_DIR)
	touch $(NODE_DIST_MAIN) $(NODE_DIST_PLATFORM)

# dist/polypay is packaging/cli.mk's (make dist-cli); repacking it takes a second.
NODE_DIST_CLI_BINARY ?= $(NODE_DIST_DIR)/polypay
dist-node-cli: dist-cli
	node packaging/node/pack.mjs cli $(NODE_DIST_CLI_BINARY) $(NODE_DIST_DIR) linux-x64-gnu

# The clean room: only /usr/bin and /bin on PATH, a fresh HOME (no npm user config; the
# registry and CA settings of the machine's global npmrc apply). typescript and @types/node for
# the tsc consumer come through a cache kept in target/dist-node/npm-cache.
test-dist-node: dist-node
	@test -x "$(NODE_DIST_SANDBOX)" || $(MAKE) --no-print-directory node-package
	home=$$(mktemp -d) && env -i PATH=/usr/bin:/bin LANG=C.UTF-8 HOME=$$home \
		npm_config_cache=$(CURDIR)/$(NODE_DIST_BUILD)/npm-cache \
		/usr/bin/node packaging/node/test_dist.mjs --root $(CURDIR) --dist $(CURDIR)/$(NODE_DIST_DIR) \
		--version $(NODE_DIST_VERSION) --sandbox $(abspath $(NODE_DIST_SANDBOX)); \
		status=$$?; rm -rf $$home; exit $$status
