"""A small real Django site for the exactly-once tests (tests/test_ledger.py): the database comes
from LEDGER_DATABASE_URL (`sqlite:///path` or `postgresql://…`)."""

import os
from urllib.parse import urlsplit

SECRET_KEY = "test-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "ledger_shop.urls"
INSTALLED_APPS = ["polypay.django", "ledger_shop"]
MIDDLEWARE: list = []
USE_TZ = True
POLYPAY_PAYCORE_SECRET_KEY = os.environ.get("LEDGER_PAYCORE_SECRET", "sk_test_ledger")
POLYPAY_ECOMMPAY_SECRET_KEY = "ecommpay_ledger_secret"

_url = urlsplit(os.environ["LEDGER_DATABASE_URL"])
if _url.scheme == "sqlite":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _url.path,
            # Every transaction takes the write lock first, and waits for it.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _url.path.lstrip("/"),
            "USER": _url.username,
            "HOST": _url.hostname,
            "PORT": _url.port,
        }
    }
LOGGING = {"version": 1, "disable_existing_loggers": False}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
