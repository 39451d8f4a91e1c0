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
#   scripts/bench.sh [--plot FILE.png] XATM_BINARY CONFIG [ROUNDS] [SECONDS] [ACCOUNTS] [STORE_CONFIG]
#
# --plot also draws the table as a PNG (scripts/bench-plot.sh, gnuplot).
# Defaults: 3 rounds, 10 s, 1000 accounts per database; BENCH_CLIENTS in
# the environment replaces the client counts (default "1 4 8"). With
# BENCH_DB_DIR (a scripts/db.sh directory, the servers the configs name),
# the table also shows the CPU time per transfer of the xatm process, of
# PostgreSQL (the postmaster and every backend) and of MariaDB, in
# microseconds: where the time of a transfer goes on a machine whose cores
# the three share.
set -euo pipefail

PLOT=""
if [ "${1:-}" = "--plot" ]; then
  PLOT=${2:?usage: bench.sh --plot FILE.png XATM_BINARY CONFIG ...}
  shift 2
  command -v gnuplot >/dev/null || {
    echo "bench.sh: --plot needs gnuplot (apt-get install gnuplot-nox)" >&2
    exit 1
  }
fi
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
trap 'rm -f "$RUNS" "$RUNS.line" "$RUNS.time" "$RUNS.table"' EXIT

# The decision log (and schema) the 2pc mode needs; idempotent.
"$XATM" --config "$CONFIG" init >/dev/null
[ -z "$STORE_CONFIG" ] || "$XATM" --config "$STORE_CONFIG" init >/dev/null

# The number after "KEY": in a JSON line.
field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"; }

TICK=$(getconf CLK_TCK)
# CPU clock ticks used so far by process PID and its children, the living
# (their own counters) and the ended (the parent's cutime and cstime).
tree_ticks() {
  local pid=$1 total=0 p
  for p in "$pid" $(pgrep -P "$pid" || true); do
    # Fields 14-17 of /proc/PID/stat, counted after the ")" of the name.
    total=$((total + $(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null |
      awk '{print $12 + $13 + $14 + $15}' || echo 0)))
  done
  echo "$total"
}
server_ticks() {
  [ -n "${BENCH_DB_DIR:-}" ] || return 0
  echo "$(tree_ticks "$(head -1 "$BENCH_DB_DIR/pg/data/postmaster.pid")") \
$(tree_ticks "$(cat "$BENCH_DB_DIR/my/mysqld.pid")")"
}

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
      before=$(server_ticks)
      TIMEFORMAT='%3U %3S'
      { time "$XATM" --config "$config" bench --clients "$clients" \
        --seconds "$SECONDS_PER_RUN" --accounts "$ACCOUNTS" --mode "$run_mode" \
        --json >"$RUNS.line" 2>/dev/null; } 2>"$RUNS.time" ||
        echo "bench.sh: round $round $mode/$clients exited $?" >&2
      line=$(cat "$RUNS.line")
      if [ -n "${BENCH_DB_DIR:-}" ]; then
        # Microseconds of CPU per transfer, added to the run's JSON line.
        line=$(echo "$line" | awk -v t="$(cat "$RUNS.time")" \
          -v s0="$before" -v s1="$(server_ticks)" -v hz="$TICK" '
          {
            n = $0; sub(/.*"transfers":/, "", n); sub(/[,}].*/, "", n)
            split(t, x, " "); split(s0, a, " "); split(s1, b, " ")
            if (n > 0) {
              us = 1e6 / n
              sub(/}$/, sprintf(",\"xatm_us\":%.0f,\"postgres_us\":%.0f,\"mariadbd_us\":%.0f}",
                (x[1] + x[2]) * us, (b[1] - a[1]) / hz * us,
                (b[2] - a[2]) / hz * us))
            }
            print
          }')
      fi
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

CPU_KEYS=""
[ -z "${BENCH_DB_DIR:-}" ] || CPU_KEYS="xatm_us postgres_us mariadbd_us"
header="| clients | mode | transfers/s | aborted/s | p50 ms | p95 ms | p99 ms | transfers/s vs local | p99 vs local |"
rule="|---:|---|---:|---:|---:|---:|---:|---:|---:|"
if [ -n "$CPU_KEYS" ]; then
  header+=" CPU us/transfer: xatm | postgres | mariadbd |"
  rule+="---:|---:|---:|"
fi
{
echo "$header"
echo "$rule"
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
    for key in $CPU_KEYS; do
      row+=" | $(echo "$cell" | field "$key" | median)"
    done
    echo "$row |"
  done
done
} | tee "$RUNS.table"
[ -z "$PLOT" ] || "$(dirname "$0")/bench-plot.sh" "$RUNS.table" "$PLOT" \
  "xatm bench: $ROUNDS round(s) of ${SECONDS_PER_RUN} s per mode, medians" >&2
