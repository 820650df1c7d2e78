# Node package (bindings-node): included by the root Makefile.
TEST_TARGETS += test-node

NODE_DIR := bindings-node

.PHONY: test-node node-package
# The CLI (its sandbox serves the tests) and the built package; the examples build on this too.
node-package:
	@command -v node >/dev/null || { echo "node not found: install Node.js >= 18" >&2; exit 1; }
	@cd $(NODE_DIR) && if [ ! -d node_modules ] || ! cmp -s package-lock.json node_modules/.package-lock.stamp; then \
		npm install --no-audit --no-fund && cp package-lock.json node_modules/.package-lock.stamp; \
	fi
	$(CARGO) build --quiet --locked -p polypay-cli
	cd $(NODE_DIR) && npm run --silent build

# Under a throwaway PostgreSQL: the ledger's tests need one (DATABASE_URL), and fail without it.
test-node: node-package
	cd $(NODE_DIR) && POLYPAY_BIN=$(CURDIR)/target/debug/polypay $(CURDIR)/tests/postgres/with-postgres node --test test/
	cd $(NODE_DIR) && npm run --silent typecheck
