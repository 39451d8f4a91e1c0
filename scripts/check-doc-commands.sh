#!/usr/bin/env bash
# Runs the shell examples of README.md and docs/*.md that are marked
# <!-- doc-run: GROUP -->, each group in a throwaway directory with the
# xatm binary given, and compares their output with the output the
# documentation shows (scripts/check-doc-commands.py says how, and its
# wildcard rule). Exits non-zero naming the file, the line and the
# difference.
#
#   scripts/check-doc-commands.sh --xatm FILE [--group G]... [--skip G]... [--list] [REPO_DIR]
set -euo pipefail
exec python3 "$(dirname "$0")/check-doc-commands.py" "$@"
