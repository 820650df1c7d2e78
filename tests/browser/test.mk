# The Django example shop and the real-browser test (included by the root Makefile):
#   make test-django-shop   the shop's Django tests against a real sandbox, and ruff
#   make test-browser       Debian's chromium (playwright-core) pays in the shop; screenshots in
#                           target/browser/
# Both are part of `make test`; each installs what it needs (chromium from apt, playwright-core
# from npm, the polypay package through python-package), quickly when already there.
TEST_TARGETS += test-django-shop test-browser

SHOP_DIR := examples/django-shop
BROWSER_DIR := tests/browser
CHROMIUM ?= /usr/bin/chromium

.PHONY: test-django-shop test-browser browser-deps

test-django-shop: python-package
	cd $(SHOP_DIR) && POLYPAY_BIN=$(CURDIR)/$(POLYPAY) SHOP_LOG_LEVEL=WARNING \
		SHOP_TEST_DATABASE=$(CURDIR)/target/django-shop-test.sqlite3 $(PY) manage.py test shop
	cd $(SHOP_DIR) && $(PY) -m ruff check .

browser-deps:
	@test -x $(CHROMIUM) || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }
	@command -v node >/dev/null || { echo "node not found: install Node.js >= 20" >&2; exit 1; }
	@cd $(BROWSER_DIR) && if [ ! -d node_modules ] || ! cmp -s package-lock.json node_modules/.package-lock.stamp; then \
		npm ci --no-audit --no-fund && cp package-lock.json node_modules/.package-lock.stamp; \
	fi

test-browser: python-package browser-deps
	cd $(BROWSER_DIR) && POLYPAY_BIN=$(CURDIR)/$(POLYPAY) PYTHON=$(PY) CHROMIUM=$(CHROMIUM) \
		node --test shop.test.mjs
