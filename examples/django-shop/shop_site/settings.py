"""Settings of the example shop. Everything that differs between machines comes from the
environment; the defaults are those of `polypay sandbox` on its default port."""

import os
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str) -> str:
    return os.environ.get(name) or default


PORT = env("PORT", "8000")
SHOP_BASE_URL = env("SHOP_BASE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")

PAYCORE_BASE_URL = env("PAYCORE_BASE_URL", "http://127.0.0.1:12380").rstrip("/")
PAYCORE_PUBLIC_KEY = env("PAYCORE_PUBLIC_KEY", "pk_test_sandbox")
PAYCORE_SECRET_KEY = env("PAYCORE_SECRET_KEY", "sk_test_sandbox")
PAYCORE_ACCOUNT_ID = env("PAYCORE_ACCOUNT_ID", "coma_sandbox")
PAYCORE_API_KEY = env("PAYCORE_API_KEY", "sandbox_api_key")
ECOMMPAY_PROJECT_ID = int(env("ECOMMPAY_PROJECT_ID", "112"))
ECOMMPAY_SECRET_KEY = env("ECOMMPAY_SECRET_KEY", "ecommpay_sandbox_secret")
ECOMMPAY_BASE_URL = env("ECOMMPAY_BASE_URL", f"{PAYCORE_BASE_URL}/ecommpay").rstrip("/")
# The Gate API (refunds, status); https://api.ecommpay.com for a real project.
ECOMMPAY_GATE_URL = env("ECOMMPAY_GATE_URL", PAYCORE_BASE_URL).rstrip("/")
# Seconds before a status request may follow a request: 10, as documented; less on a sandbox.
ECOMMPAY_STATUS_DELAY = float(env("ECOMMPAY_STATUS_DELAY", "10"))

# Read by the polypay.django callback decorators.
POLYPAY_PAYCORE_SECRET_KEY = PAYCORE_SECRET_KEY
POLYPAY_ECOMMPAY_SECRET_KEY = ECOMMPAY_SECRET_KEY

# A development key: set DJANGO_SECRET_KEY (and DJANGO_DEBUG=0) anywhere real.
SECRET_KEY = env("DJANGO_SECRET_KEY", "django-insecure-example-shop-only")
DEBUG = env("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", urlsplit(SHOP_BASE_URL).hostname or ""]

# polypay.django: the exactly-once ledger the callback views use (its table comes with migrate).
INSTALLED_APPS = ["polypay.django", "shop"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "shop_site.urls"
WSGI_APPLICATION = "shop_site.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {},
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env("SHOP_DATABASE", str(BASE_DIR / "db.sqlite3")),
        # IMMEDIATE: a transaction takes SQLite's write lock when it starts, so two callbacks for
        # one order (the gateway retries, duplicates) apply one after the other, never interleaved.
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        # The tests use a file too: the sandbox's callbacks reach the live server's threads.
        "TEST": {"NAME": env("SHOP_TEST_DATABASE", str(BASE_DIR / "test-db.sqlite3"))},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
STATIC_URL = "static/"  # no static files: the pages carry their own CSS
TIME_ZONE = "UTC"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "shop": {"handlers": ["console"], "level": env("SHOP_LOG_LEVEL", "INFO")},
        "polypay": {"handlers": ["console"], "level": "WARNING"},
    },
}
