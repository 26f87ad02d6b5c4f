#!/usr/bin/env bash
# One command from a fresh clone: install counterflow with its dev extras into ./.venv, then run
# the linters, the type checker and the whole test suite. Extra arguments go to pytest.
# Real-data tests read ../shared/data; they skip without it unless
# COUNTERFLOW_REQUIRE_SHARED_DATA=1 (as .ci/run sets), which makes them mandatory.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" "[dev]"
echo "== ruff"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
.venv/bin/pytest "$@"
