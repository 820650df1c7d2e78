# The documentation site (included by the root Makefile), last in `make test`: its getting-started
# pages install the release artifacts that test-dist built.
#   make docs        mkdocs (Material) into site/, offline, with the Python (mkdocstrings), Node
#                    (TypeDoc), Kotlin (Dokka) and Swift (DocC) API references; --strict fails on
#                    a broken Markdown link or anchor, then every link of the built HTML is checked
#   make test-docs   docs, then every code sample of docs/ and of every README.md run against the
#                    sandbox (tests/samples/run_samples.py), and a real browser that navigates and
#                    searches the site, with screenshots in target/docs/
DOCS_VENV := target/venv-docs
DOCS_DEPS := mkdocs==1.6.1 mkdocs-material==9.8.1 mkdocstrings==1.0.8 mkdocstrings-python==2.0.11
MKDOCS := NO_MKDOCS_2_WARNING=1 $(DOCS_VENV)/bin/mkdocs

.PHONY: docs docs-api test-docs

$(DOCS_VENV)/.deps-ok:
	@test -x $(DOCS_VENV)/bin/python || python3 -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/pip install --quiet --disable-pip-version-check $(DOCS_DEPS)
	touch $@

tests/docs/node_modules/.package-lock.stamp: tests/docs/package-lock.json
	cd tests/docs && npm ci --no-audit --no-fund --silent && cp package-lock.json node_modules/.package-lock.stamp

# The Swift reference compiles in the chroot that test-swift sets up (run first if it is missing).
docs-api: node-package uniffi-lib
	docs/api/node.sh
	docs/api/kotlin.sh
	@test -f target/trixie/polypay/lib/libpolypay_uniffi.so || $(MAKE) --no-print-directory test-swift
	docs/api/swift.sh

docs: $(DOCS_VENV)/.deps-ok tests/docs/node_modules/.package-lock.stamp python-package docs-api
	rm -rf site
	$(MKDOCS) build --strict --quiet
	python3 tests/docs/check_links.py site

test-docs: docs dist python-package node-package browser-deps
	python3 tests/samples/run_samples.py
	cd $(BROWSER_DIR) && SITE=$(CURDIR)/site CHROMIUM=$(CHROMIUM) node --test docs-site.test.mjs
