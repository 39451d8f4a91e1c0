#!/usr/bin/env bash
# Builds the API reference of the public headers (include/xatm) with Doxygen
# and docs/Doxyfile, and fails on any warning: every public class, struct,
# enum, function, member function and data member must be documented, and
# the comments must be well-formed. Prints each warning as FILE:LINE: text.
#
#   scripts/check-api-docs.sh [OUTDIR]
#
# The HTML lands in OUTDIR/html/index.html; without OUTDIR it goes to a
# temporary directory that is removed afterwards (a check only). Fails, not
# skips, when doxygen is missing (scripts/install-deps.sh installs it).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)

if ! command -v doxygen >/dev/null; then
  echo "check-api-docs: doxygen not found (scripts/install-deps.sh installs it)" >&2
  exit 1
fi

if [ $# -ge 1 ]; then
  OUT=$1
  mkdir -p "$OUT"
  OUT=$(cd "$OUT" && pwd)
else
  OUT=$(mktemp -d /tmp/xatm-api-docs.XXXXXX)
  trap 'rm -rf "$OUT"' EXIT
fi

# docs/Doxyfile names its inputs relative to the repository root; the
# output directory given last overrides its own (build/api-docs).
LOG="$OUT/doxygen-warnings.txt"
rc=0
(cd "$ROOT" &&
  { cat docs/Doxyfile; printf 'OUTPUT_DIRECTORY = "%s"\n' "$OUT"; } |
  doxygen -) >"$LOG" 2>&1 || rc=$?

# QUIET = YES: anything doxygen prints is a warning or an error.
if [ "$rc" -ne 0 ] || [ -s "$LOG" ]; then
  sed "s|^$ROOT/||" "$LOG" >&2
  echo "check-api-docs: FAILED: $(grep -c . "$LOG") warning line(s)," \
    "doxygen exit status $rc (document each public entity named above)" >&2
  exit 1
fi

headers=$(find "$ROOT/include/xatm" -name '*.h' | wc -l)
echo "check-api-docs: $headers public headers documented, no warnings"
if [ $# -ge 1 ]; then echo "check-api-docs: HTML in $OUT/html/index.html"; fi
