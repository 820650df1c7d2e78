# Python binding: `make test-python` (part of `make test`). Installs what it needs into
# target/venv-python (idempotent; quick when already there), builds the sandbox binary and the
# extension (maturin develop: debug profile, the shared target/), then runs pytest (vectors,
# sandbox, threads, asyncio, fork, Django), mypy.stubtest on the native module, and ruff.
TEST_TARGETS += test-python

PY_VENV := target/venv-python
PY := $(CURDIR)/$(PY_VENV)/bin/python
# The exactly-once tests (tests/test_ledger.py) run Django, Flask and FastAPI sites with several
# workers (gunicorn, uvicorn) on SQLite and PostgreSQL (psycopg, SQLAlchemy).
PY_DEPS := maturin pytest mypy django requests httpx ecommpay-sdk ruff gunicorn 'psycopg[binary]' \
	sqlalchemy flask fastapi uvicorn

.PHONY: test-python python-venv python-package

$(PY_VENV)/.deps-ok:
	@test -x $(PY) || python3 -m venv $(PY_VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(PY_DEPS)
	touch $@

python-venv: $(PY_VENV)/.deps-ok

# The CLI (its sandbox serves the tests) and the package installed into the venv; the examples
# and the reliability campaign build on this too. The install (editable: the .py files are
# live) is redone only when the Rust sources change, under a lock so that parallel users of the
# venv never see it half-installed.
PY_NATIVE_SOURCES := $(shell find core/src bindings-python/src -name '*.rs') Cargo.lock \
	bindings-python/Cargo.toml bindings-python/pyproject.toml

$(PY_VENV)/.polypay-installed: $(PY_NATIVE_SOURCES) $(PY_VENV)/.deps-ok
	cd bindings-python && VIRTUAL_ENV=$(CURDIR)/$(PY_VENV) PATH=$(CURDIR)/$(PY_VENV)/bin:$$PATH \
		flock $(CURDIR)/$(PY_VENV)/.install-lock $(PY) -m maturin develop --quiet --locked
	touch $@

python-package: python-venv $(PY_VENV)/.polypay-installed
	$(CARGO) build --quiet --locked -p polypay-cli

# Under a throwaway PostgreSQL cluster (Debian's packages; tests/postgres/with-postgres).
test-python: python-package
	cd bindings-python && POLYPAY_BIN=$(CURDIR)/$(POLYPAY) $(CURDIR)/tests/postgres/with-postgres \
		$(PY) -m pytest -q tests
	cd bindings-python && $(PY) -m mypy.stubtest polypay._native --allowlist stubtest-allowlist.txt
	cd bindings-python && $(PY) -m mypy --ignore-missing-imports polypay
	cd bindings-python && $(PY) -m ruff check polypay tests bench.py
	$(PY) tests/vectors/gen/gate.py --check  # the Gate vectors still come from the official SDK
