#!/bin/sh
# Starts the shop on $PORT (default 8000): applies the migrations, then serves with Django's
# threaded server. PYTHON is the interpreter that has Django and polypay (default python3).
set -e
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
"$PYTHON" manage.py migrate --noinput --verbosity 0
exec "$PYTHON" manage.py runserver --noreload "${HOST:-127.0.0.1}:${PORT:-8000}"
