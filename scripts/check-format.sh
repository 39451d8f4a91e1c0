#!/usr/bin/env bash
# Checks that every tracked C++ file (*.cc, *.h) is formatted as the
# repository's .clang-format says. Lists the files that are not, with the
# command that formats them; fails when clang-format is missing.
#
#   scripts/check-format.sh [REPO_DIR]
set -euo pipefail
ROOT=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$ROOT"
if ! command -v clang-format >/dev/null; then
  echo "check-format: clang-format not found (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
mapfile -t files < <(git ls-files '*.cc' '*.h')
# One run over every file; --dry-run names each line that would change.
if ! out=$(clang-format --dry-run --Werror "${files[@]}" 2>&1); then
  bad=$(echo "$out" | grep -oE '^[^: ]+\.(cc|h):[0-9]+' | cut -d: -f1 | sort -u)
  echo "check-format: files not formatted as .clang-format says:" >&2
  echo "${bad:-$out}" | sed 's/^/  /' >&2
  echo "format them with: clang-format -i FILE..." >&2
  exit 1
fi
echo "check-format: ${#files[@]} C++ files formatted"
