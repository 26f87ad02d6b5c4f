#!/usr/bin/env bash
# One command from a fresh clone: install counterflow with its dev and spark extras into ./.venv,
# then run the linters, the type checker and the whole test suite. Extra arguments go to pytest.
# The Spark tests need Java (17 or newer) and skip without it or pyspark unless
# COUNTERFLOW_REQUIRE_SPARK=1 (as .ci/run sets).
# Real-data tests read ../shared/data; they skip without it unless
# COUNTERFLOW_REQUIRE_SHARED_DATA=1 (as .ci/run sets), which makes them mandatory.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" "[dev,spark]"
echo "== ruff"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
# Spark's driver binds to loopback (no network name lookups on a machine without DNS)
export SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1}
.venv/bin/pytest "$@"
