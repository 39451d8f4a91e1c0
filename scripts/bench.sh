#!/usr/bin/env bash
# The `xatm bench` modes side by side, interleaved so that drift on a
# shared machine hits every mode alike: ROUNDS times, for 1, 4 and 8
# clients, local then raw then 2pc then saga, SECONDS each. With
# STORE_CONFIG (the same databases, `decision_store = RESOURCE`), two more
# rows per round: 2pc and saga with their decisions (saga records) in that
# database (shown as 2pc-db and saga-db). Prints every run's JSON line to
# stderr and a Markdown table of the medians over the rounds, with each
# mode's transfers/s and p99 as a ratio of local's (the medians of the
# per-round ratios, each run against the local run of its own round).
#
#   scripts/bench.sh XATM_BINARY CONFIG [ROUNDS] [SECONDS] [ACCOUNTS] [STORE_CONFIG]
#
# Defaults: 3 rounds, 10 s, 1000 accounts per database; BENCH_CLIENTS in
# the environment replaces the client counts (default "1 4 8").
set -euo pipefail

XATM=${1:?usage: bench.sh XATM_BINARY CONFIG [ROUNDS] [SECONDS] [ACCOUNTS]}
CONFIG=${2:?usage: bench.sh XATM_BINARY CONFIG [ROUNDS] [SECONDS] [ACCOUNTS]}
ROUNDS=${3:-3}
SECONDS_PER_RUN=${4:-10}
ACCOUNTS=${5:-1000}
STORE_CONFIG=${6:-}
CLIENTS=${BENCH_CLIENTS:-"1 4 8"}
MODES="local raw 2pc saga"
[ -z "$STORE_CONFIG" ] || MODES="$MODES 2pc-db saga-db"

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
      case $mode in
        *-db)
          config=$STORE_CONFIG
          run_mode=${mode%-db}
          ;;
      esac
      line=$("$XATM" --config "$config" bench --clients "$clients" \
        --seconds "$SECONDS_PER_RUN" --accounts "$ACCOUNTS" --mode "$run_mode" \
        --json) || echo "bench.sh: round $round $mode/$clients exited $?" >&2
      echo "$line" >&2
      echo "$round $clients $mode $line" >>"$RUNS"
    done
  done
done

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# KEY of one run: round, clients, mode.
value() { (grep "^$1 $2 $3 " "$RUNS" || true) | field "$4"; }

# The per-round ratios of MODE's KEY to local's, at CLIENTS (a round whose
# run failed or whose local value is 0 gives none).
ratios() {
  local clients=$1 mode=$2 key=$3 round v base
  for round in $(seq 1 "$ROUNDS"); do
    v=$(value "$round" "$clients" "$mode" "$key")
    base=$(value "$round" "$clients" local "$key")
    [ -n "$v" ] && [ -n "$base" ] || continue
    awk -v v="$v" -v b="$base" 'BEGIN { if (b > 0) printf "%.2f\n", v / b }'
  done
}

echo "| clients | mode | transfers/s | aborted/s | p50 ms | p95 ms | p99 ms | transfers/s vs local | p99 vs local |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|"
for clients in $CLIENTS; do
  for mode in $MODES; do
    cell=$(grep "^[0-9]* $clients $mode " "$RUNS" || true)
    row="| $clients | $mode"
    for key in tps aborted_per_s p50_ms p95_ms p99_ms; do
      row+=" | $(echo "$cell" | field "$key" | median)"
    done
    for key in tps p99_ms; do
      ratio=$(ratios "$clients" "$mode" "$key" | median)
      row+=" | ${ratio:+${ratio}x}"
    done
    echo "$row |"
  done
done
