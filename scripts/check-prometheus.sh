#!/usr/bin/env bash
# Checks the Prometheus rules deploy/prometheus/xatm-rules.yml with
# promtool: that they parse (`promtool check rules`), then their unit
# tests (`promtool test rules` on xatm-rules.test.yml); and that every
# query of the Grafana dashboard deploy/grafana/xatm-dashboard.json parses
# as PromQL (checked as recording rules, its variables replaced). Fails
# when promtool is missing: scripts/install-promtool.sh installs it.
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

# A rules file is YAML, and JSON is YAML: one recording rule per query.
DASH_RULES=$(mktemp --suffix=.json)
trap 'rm -f "$DASH_RULES"' EXIT
python3 - "$ROOT/deploy/grafana/xatm-dashboard.json" >"$DASH_RULES" <<'PY'
import json, re, sys
dash = json.load(open(sys.argv[1], encoding='utf-8'))
rules = []
def walk(panels):
    for p in panels:
        for t in p.get('targets', []):
            expr = t['expr'].replace('$__rate_interval', '5m')
            expr = re.sub(r'\$\w+', '.*', expr)
            rules.append({'record': 'dashboard:panel_%d:%s' % (p['id'], t['refId']),
                          'expr': expr})
        walk(p.get('panels', []))
walk(dash['panels'])
if not rules:
    sys.exit('check-prometheus: no query in the dashboard')
json.dump({'groups': [{'name': 'dashboard', 'rules': rules}]}, sys.stdout)
PY
echo "Checking the queries of deploy/grafana/xatm-dashboard.json"
promtool check rules "$DASH_RULES" | sed 1d
