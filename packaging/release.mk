# Release checks (issue 15), included by the root Makefile:
#   make lint-workflows     actionlint over .github/workflows/ (the release workflow builds what
#                           this machine cannot: other platforms, Android, iOS); in `make test`.
#                           actionlint is a Go module, installed once with `go install` (the
#                           machine's Go module proxy) into target/tools/.
#   make test-dist-version  one version: the workspace's, in every package, artifact and the
#                           CHANGELOG (packaging/release/check_versions.py); in `make test-dist`.
TEST_TARGETS += lint-workflows
TEST_DIST_TARGETS += test-dist-version

.PHONY: lint-workflows test-dist-version

ACTIONLINT_VERSION := v1.7.12
ACTIONLINT := target/tools/actionlint-$(ACTIONLINT_VERSION)/actionlint

$(ACTIONLINT):
	@command -v go >/dev/null || { echo "lint-workflows: go not found (install Go)" >&2; exit 1; }
	GOBIN=$(CURDIR)/$(@D) go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

# Shell scripts in `run:` steps are checked with shellcheck when it is installed (Debian's
# package; installed here when missing, so every machine lints the same way).
lint-workflows: $(ACTIONLINT)
	@command -v shellcheck >/dev/null || { apt-get update -qq && apt-get install -y -qq shellcheck >/dev/null; }
	$(ACTIONLINT) -no-color -shellcheck=$$(command -v shellcheck)
	@echo "lint-workflows: $$(ls .github/workflows/*.yml | wc -l) workflow(s) clean (actionlint $(ACTIONLINT_VERSION), shellcheck $$(shellcheck --version | sed -n 's/^version: //p'))"

# Reads the debug CLI, the package installed in the Python venv, package.json files, poms and
# dist/ (the jar of dist-jvm, the Swift package of dist-swift, and whatever wheels and tarballs
# the other dist targets made).
test-dist-version: dist python-package uniffi-lib
	python3 packaging/release/check_versions.py --venv-python $(PY_VENV)
