#!/usr/bin/env bash
# Checks every relative link and anchor in the tracked *.md files, and that
# the file names source comments mention exist (scripts/check-links.py
# says how). Exits non-zero with a list of what is broken.
#
#   scripts/check-links.sh [REPO_DIR]
set -euo pipefail
exec python3 "$(dirname "$0")/check-links.py" "$@"
