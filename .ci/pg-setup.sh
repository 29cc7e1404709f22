#!/usr/bin/env bash
# Installs what the PostgreSQL storage tests need on a Debian/Ubuntu CI runner: the server binaries
# (the tests start their own throwaway cluster with initdb/pg_ctl; the system service is not used)
# and psycopg2 for the Optuna 4 interop test. Alternatively set MNIST_SEARCH_PG_URL to an existing server.
set -euo pipefail
if [ -x /usr/lib/postgresql/15/bin/initdb ] && /usr/bin/python3 -c 'import psycopg2' 2>/dev/null; then exit 0; fi
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
sudo_ apt-get update -qq
DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq postgresql python3-psycopg2 >/dev/null
# The package starts a system cluster on some distributions; the tests do not need it.
sudo_ service postgresql stop >/dev/null 2>&1 || true
