#!/usr/bin/env bash
# Total transfers/s of 1, 2 and 3 xatm nodes at once on the same databases,
# with the decisions in a database (every node shares the decision store).
# Each node is an `xatm bench` process with a node id and bench accounts of
# its own; a round runs 1, then 2, then 3 nodes, CLIENTS clients each, for
# SECONDS, and the rounds interleave so that drift on a shared machine hits
# every node count alike. Prints every run's JSON lines to stderr and a
# Markdown table of the medians over the rounds.
#
#   scripts/nodes-bench.sh XATM_BINARY STORE_CONFIG [ROUNDS] [SECONDS] [CLIENTS]
#
# STORE_CONFIG is a config with `decision_store = RESOURCE`; its `node = `
# line is replaced per node (nb1, nb2, nb3). Defaults: 3 rounds, 10 s, 4
# clients per node.
set -euo pipefail

USAGE="usage: nodes-bench.sh XATM_BINARY STORE_CONFIG [ROUNDS] [SECONDS] [CLIENTS]"
XATM=${1:?$USAGE}
CONFIG=${2:?$USAGE}
ROUNDS=${3:-3}
SECONDS_PER_RUN=${4:-10}
CLIENTS=${5:-4}
ACCOUNTS=1000
grep -q '^decision_store *= *[^f ]' "$CONFIG" ||
  { echo "nodes-bench.sh: $CONFIG has no database decision_store" >&2; exit 2; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# One config per node: the same databases and store, its own node id (a
# relative log_dir stays relative to the original file's directory).
CONFIG_DIR=$(cd "$(dirname "$CONFIG")" && pwd)
for n in 1 2 3; do
  sed -e "s/^node *=.*/node = nb$n/" \
    -e "s|^log_dir *= *\([^/].*\)|log_dir = $CONFIG_DIR/\1|" \
    "$CONFIG" >"$WORK/nb$n.ini"
done
"$XATM" --config "$WORK/nb1.ini" init >/dev/null

# The number after "KEY": in a JSON line.
field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"; }

for round in $(seq 1 "$ROUNDS"); do
  for nodes in 1 2 3; do
    pids=()
    for n in $(seq 1 "$nodes"); do
      "$XATM" --config "$WORK/nb$n.ini" bench --clients "$CLIENTS" \
        --seconds "$SECONDS_PER_RUN" --accounts "$ACCOUNTS" \
        --account-prefix "nb$n-" --json >"$WORK/run-$n.json" &
      pids+=($!)
    done
    failed=0
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    total=0
    for n in $(seq 1 "$nodes"); do
      line=$(cat "$WORK/run-$n.json")
      echo "round $round, $nodes nodes, nb$n: $line" >&2
      [ "$(echo "$line" | field conserved)" = true ] &&
        [ "$(echo "$line" | field prepared_left)" = 0 ] || failed=1
      total=$(awk -v a="$total" -v b="$(echo "$line" | field tps)" \
        'BEGIN {print a + b}')
      echo "$nodes $(echo "$line" | field p50_ms) $(echo "$line" | field p99_ms)" \
        >>"$WORK/latency"
    done
    [ "$failed" -eq 0 ] ||
      { echo "nodes-bench.sh: a node failed its checks" >&2; exit 1; }
    echo "$nodes $total" >>"$WORK/totals"
  done
done

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

one=$(awk '$1 == 1 {print $2}' "$WORK/totals" | median)
echo "| nodes | clients in all | transfers/s (all nodes) | vs 1 node | p50 ms | p99 ms |"
echo "|---:|---:|---:|---:|---:|---:|"
for nodes in 1 2 3; do
  total=$(awk -v n="$nodes" '$1 == n {print $2}' "$WORK/totals" | median)
  p50=$(awk -v n="$nodes" '$1 == n {print $2}' "$WORK/latency" | median)
  p99=$(awk -v n="$nodes" '$1 == n {print $3}' "$WORK/latency" | median)
  ratio=$(awk -v a="$total" -v b="$one" 'BEGIN {printf "%.2f", a / b}')
  echo "| $nodes | $((nodes * CLIENTS)) | $total | ${ratio}x | $p50 | $p99 |"
done
