#!/usr/bin/env bash
# One command from a fresh clone: install counterflow into ./.venv and run the main job.
# Extra arguments go to 'counterflow demo' (e.g. --list PATH).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" ""
exec .venv/bin/counterflow demo "$@"
