#!/usr/bin/env bash
# Checks that the man page (docs/man/xatm.1) and the bash completion
# (scripts/completion/xatm.bash) name every command of cli/command_table.cc,
# every option of each command and every global option, and that the man
# page lists every configuration key adapters/config/config.cc accepts; then that the
# man page renders without warnings (groff or man, when installed) and the
# completion is shellcheck-clean (when shellcheck is installed).
# scripts/check-cli-docs.py says how. Exits non-zero naming what is missing.
#
#   scripts/check-cli-docs.sh [REPO_DIR]
set -euo pipefail
exec python3 "$(dirname "$0")/check-cli-docs.py" "$@"
