#!/usr/bin/env bash
# The `xatm bench` modes side by side, interleaved so that drift on a
# shared machine hits every mode alike: ROUNDS times, for 1, 4 and 8
# clients, local then raw then 2pc, SECONDS each. With STORE_CONFIG (the
# same databases, `decision_store = RESOURCE`), a fourth row per round:
# 2pc with its decisions in that database (shown as 2pc-db). Prints every
# run's JSON line to stderr and a Markdown table of the medians over the
# rounds.
#
#   scripts/bench.sh XATM_BINARY CONFIG [ROUNDS] [SECONDS] [ACCOUNTS] [STORE_CONFIG]
#
# Defaults: 3 rounds, 10 s, 1000 accounts per database.
set -euo pipefail

XATM=${1:?usage: bench.sh XATM_BINARY CONFIG [ROUNDS] [SECONDS] [ACCOUNTS]}
CONFIG=${2:?usage: bench.sh XATM_BINARY CONFIG [ROUNDS] [SECONDS] [ACCOUNTS]}
ROUNDS=${3:-3}
SECONDS_PER_RUN=${4:-10}
ACCOUNTS=${5:-1000}
STORE_CONFIG=${6:-}
CLIENTS="1 4 8"
MODES="local raw 2pc"
[ -z "$STORE_CONFIG" ] || MODES="$MODES 2pc-db"

RUNS=$(mktemp)
trap 'rm -f "$RUNS"' EXIT

# The decision log (and schema) the 2pc mode needs; idempotent.
"$XATM" --config "$CONFIG" init >/dev/null
[ -z "$STORE_CONFIG" ] || "$XATM" --config "$STORE_CONFIG" init >/dev/null

# The number after "KEY": in a JSON line.
field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"; }

for round in $(seq 1 "$ROUNDS"); do
  for clients in $CLIENTS; do
    for mode in $MODES; do
      config=$CONFIG
      run_mode=$mode
      if [ "$mode" = 2pc-db ]; then
        config=$STORE_CONFIG
        run_mode=2pc
      fi
      line=$("$XATM" --config "$config" bench --clients "$clients" \
        --seconds "$SECONDS_PER_RUN" --accounts "$ACCOUNTS" --mode "$run_mode" \
        --json) || echo "bench.sh: round $round $mode/$clients exited $?" >&2
      echo "$line" >&2
      echo "$clients $mode $line" >>"$RUNS"
    done
  done
done

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

echo "| clients | mode | transfers/s | aborted/s | p50 ms | p95 ms | p99 ms |"
echo "|---:|---|---:|---:|---:|---:|---:|"
for clients in $CLIENTS; do
  for mode in $MODES; do
    cell=$(grep "^$clients $mode " "$RUNS" || true)
    row="| $clients | $mode"
    for key in tps aborted_per_s p50_ms p95_ms p99_ms; do
      row+=" | $(echo "$cell" | field "$key" | median)"
    done
    echo "$row |"
  done
done
