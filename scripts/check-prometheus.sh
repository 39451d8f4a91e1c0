#!/usr/bin/env bash
# Checks the Prometheus rules deploy/prometheus/xatm-rules.yml with
# promtool: that they parse (`promtool check rules`), then their unit
# tests (`promtool test rules` on xatm-rules.test.yml). Fails when promtool
# is missing: scripts/install-promtool.sh installs it.
#
#   scripts/check-prometheus.sh [REPO_DIR]
set -euo pipefail

ROOT=${1:-$(cd "$(dirname "$0")/.." && pwd)}
if ! command -v promtool >/dev/null; then
  echo "check-prometheus: promtool not found (scripts/install-promtool.sh installs it)" >&2
  exit 1
fi
cd "$ROOT/deploy/prometheus"
promtool check rules xatm-rules.yml
promtool test rules xatm-rules.test.yml
