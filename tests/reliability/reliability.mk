# The fault campaign (issue 9), included by the root Makefile:
#   make reliability        full: RELIABILITY_PAYMENTS payment invoices + RELIABILITY_PAYOUTS payouts
#                           per client (Python sync, Python asyncio, Node, Kotlin); writes the table
#                           into bench/RESULTS.md
#   make test-reliability   short version (part of `make test`): 100 + 25 per client, plus the
#                           checker's own tests (it must catch a duplicate, a lost call, ...)
# Each client runs against a fresh `polypay sandbox` injecting faults on ~20% of API requests;
# see tests/reliability/README.md. Outputs (configs, results, logs) go to target/reliability/.
TEST_TARGETS += test-reliability

RELIABILITY_PAYMENTS ?= 2000
RELIABILITY_PAYOUTS ?= 500
RELIABILITY_CONCURRENCY ?= 32
RELIABILITY_DIR := tests/reliability
RELIABILITY_KT := $(RELIABILITY_DIR)/drivers/kotlin
RELIABILITY_CAMPAIGN = cd $(RELIABILITY_DIR) && $(PY) campaign.py --concurrency $(RELIABILITY_CONCURRENCY)

.PHONY: reliability test-reliability reliability-deps reliability-kotlin-driver

# The Kotlin driver depends on io.polypay:polypay-kotlin from ~/.m2 (kotlin-package installs it);
# compiling writes its runtime classpath to target/classpath.txt.
reliability-kotlin-driver: kotlin-package
	cd $(RELIABILITY_KT) && mvn -q -B compile

reliability-deps: python-package node-package reliability-kotlin-driver

reliability: reliability-deps
	$(RELIABILITY_CAMPAIGN) --payments $(RELIABILITY_PAYMENTS) --payouts $(RELIABILITY_PAYOUTS) \
		--results $(CURDIR)/bench/RESULTS.md
	cd $(RELIABILITY_DIR) && $(PY) gate_campaign.py --calls 500

test-reliability: reliability-deps
	cd $(RELIABILITY_DIR) && $(PY) -m pytest -q -p no:cacheprovider test_checker.py
	cd $(RELIABILITY_DIR) && $(PY) -m ruff check --no-cache .
	$(RELIABILITY_CAMPAIGN) --payments 100 --payouts 25
	cd $(RELIABILITY_DIR) && $(PY) gate_campaign.py --calls 40
