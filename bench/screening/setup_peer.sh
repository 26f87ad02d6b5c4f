#!/usr/bin/env bash
# Builds the peer's own virtual environment for the screening benchmark: OpenSanctions'
# nomenklatura (logic-v2 and name-based matchers). nomenklatura pins duckdb<2 and builds PyICU,
# so it lives apart from counterflow's environment. Needs Debian's libicu-dev, pkg-config, g++.
# Re-runnable: an existing environment is kept and only brought to the pinned version.
# NOMENKLATURA_VERSION=... overrides the pin (the benchmark reports the version it ran).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
VENV=bench/.venv-peer
NOMENKLATURA_VERSION="${NOMENKLATURA_VERSION:-4.17.4}"
if ! pkg-config --exists icu-uc 2>/dev/null || ! command -v g++ >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libicu-dev pkg-config g++ >/dev/null
  else
    echo "install libicu-dev, pkg-config and g++ first" >&2; exit 1
  fi
fi
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip
"$VENV/bin/pip" install -q --disable-pip-version-check "nomenklatura==$NOMENKLATURA_VERSION" "duckdb<2"
"$VENV/bin/python" bench/screening/peer_nomenklatura.py info
echo "peer ready in $VENV"
