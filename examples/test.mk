# Examples (included by the root Makefile): the Express shop's and the Kotlin console's own tests
# (both in `make test`), and the apps part of `make demo` (examples/demo.py, which also runs the
# Django shop of examples/django-shop). Each target installs what it needs, quickly when done.
TEST_TARGETS += test-express-shop test-kotlin-console

EXPRESS_SHOP := examples/express-shop
KOTLIN_CONSOLE := examples/kotlin-console
# Built by kotlin-package (bindings-uniffi/test.mk) into the local Maven repository.
POLYPAY_KOTLIN_JAR := $(HOME)/.m2/repository/io/polypay/polypay-kotlin/0.1.0/polypay-kotlin-0.1.0.jar
KOTLIN_CONSOLE_CLASSPATH := $(KOTLIN_CONSOLE)/target/classpath.txt

.PHONY: express-shop kotlin-console test-express-shop test-kotlin-console demo-apps

# The shop's npm packages (express, and polypay as a link to bindings-node); npm ci only when
# package-lock.json changed.
express-shop: node-package
	@cd $(EXPRESS_SHOP) && if [ ! -d node_modules ] || ! cmp -s package-lock.json node_modules/.package-lock.stamp; then \
		npm ci --no-audit --no-fund && cp package-lock.json node_modules/.package-lock.stamp; \
	fi

test-express-shop: express-shop
	cd $(EXPRESS_SHOP) && POLYPAY_BIN=$(CURDIR)/$(POLYPAY) node --test test/

# Compiled classes + target/classpath.txt, rebuilt only when the program or the library changed.
$(KOTLIN_CONSOLE_CLASSPATH): $(KOTLIN_CONSOLE)/pom.xml $(wildcard $(KOTLIN_CONSOLE)/src/main/kotlin/io/polypay/examples/*.kt) $(POLYPAY_KOTLIN_JAR)
	cd $(KOTLIN_CONSOLE) && mvn -q -B package -DskipTests

kotlin-console: kotlin-package
	@$(MAKE) --no-print-directory $(KOTLIN_CONSOLE_CLASSPATH)

test-kotlin-console: kotlin-package
	cd $(KOTLIN_CONSOLE) && mvn -q -B package

demo-apps: python-package express-shop kotlin-console
	$(PY) examples/demo.py
