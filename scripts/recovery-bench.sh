#!/usr/bin/env bash
# Recovery at scale: N in-doubt global transactions (a PostgreSQL and a
# MariaDB branch prepared each, half with a COMMIT record) resolved by ONE
# `xatm recover`, timed and checked (bench/recovery_bench.cc).
#
#   scripts/recovery-bench.sh BUILD_DIR DB_DIR [PAIRS] [THREADS]
#
# BUILD_DIR holds cli/xatm and bench/recovery_bench (-DXATM_BUILD_BENCH=ON);
# XATM_BIN=PATH times another xatm binary (an older build, say).
# DB_DIR: servers of scripts/db.sh; started (and initialised with
# max_prepared_transactions large enough) when not running. Each run uses
# a fresh node id, log directory and accounts in the `bank` databases.
set -euo pipefail

BUILD=$(realpath "${1:?usage: recovery-bench.sh BUILD_DIR DB_DIR [PAIRS] [THREADS]}")
DB_DIR=$(realpath -m "${2:?usage: recovery-bench.sh BUILD_DIR DB_DIR [PAIRS] [THREADS]}")
PAIRS=${3:-10000}
THREADS=${4:-8}
HERE=$(cd "$(dirname "$0")" && pwd)
XATM=${XATM_BIN:-$BUILD/cli/xatm}

XATM_PG_MAX_PREPARED=$((PAIRS + 200)) "$HERE/db.sh" start "$DB_DIR" >&2
# shellcheck disable=SC1091
. "$DB_DIR/env.sh"
max_prepared=$(psql -X -Atq -h 127.0.0.1 -p "$XATM_PG_PORT" -U postgres \
  -d postgres -c 'SHOW max_prepared_transactions')
if [ "$max_prepared" -lt "$PAIRS" ]; then
  echo "recovery-bench.sh: $DB_DIR allows $max_prepared prepared transactions," \
    "fewer than $PAIRS: use a new DB_DIR" >&2
  exit 2
fi

WORK=$(mktemp -d /tmp/xatm-recovery-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
NODE=rb$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$WORK/xatm.ini" <<INI
node = $NODE
log_dir = log
grace_period = 10

[resource.pg]
type = postgresql
conninfo = host=127.0.0.1 port=$XATM_PG_PORT dbname=bank user=xatm
pool_size = 16

[resource.my]
type = mysql
host = 127.0.0.1
port = $XATM_MY_PORT
user = xatm
database = bank
password_env = XATM_MY_PASSWORD
pool_size = 16
INI
"$XATM" --config "$WORK/xatm.ini" --log-level warn init >/dev/null
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
"$BUILD/bench/recovery_bench" --config "$WORK/xatm.ini" --xatm "$XATM" \
  --pairs "$PAIRS" --threads "$THREADS" \
  --server-pids "$(head -1 "$DB_DIR/pg/data/postmaster.pid"),$(cat "$DB_DIR/my/mysqld.pid")" || rc=$?
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $rc
