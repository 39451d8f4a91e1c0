#!/usr/bin/env bash
# xatm in one command on a fresh Debian 12 machine: installs what is
# missing, builds the xatm tool, starts throwaway PostgreSQL and MariaDB
# servers, creates an account in each database and moves money between
# them, each transfer one atomic global transaction.
#
#   scripts/demo.sh
#
# Everything lives under .xatm-demo/ in the repository (servers, config,
# decision log). Running it again reuses all of it. The servers keep running
# afterwards; the last line says how to stop them.
#
# XATM_DEMO_DIR=DIR puts all of it in DIR instead of .xatm-demo (relative:
# to the repository). XATM_DEMO_XATM=FILE runs that xatm binary, built
# already: nothing is installed or built. scripts/check-doc-commands.sh sets
# both to run the README's tour in a throwaway directory.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DEMO=${XATM_DEMO_DIR:-.xatm-demo}
BUILD=build/release
XATM_BIN=${XATM_DEMO_XATM:-$BUILD/cli/xatm}
JOBS=${XATM_JOBS:-$(nproc)}

step() { echo; echo "== $*"; }

# Runs xatm on the demo config, showing the command first.
xatm() {
  echo "\$ xatm $*"
  "$XATM_BIN" --config "$DEMO/xatm.ini" "$@"
}

# Creates an account unless it exists already (a second run).
create_account() {
  local out
  echo "\$ xatm create-account $1 --balance $2"
  if out=$("$XATM_BIN" --config "$DEMO/xatm.ini" create-account "$1" \
    --balance "$2" 2>&1); then
    echo "$out"
  elif [[ $out == *"already exists"* ]]; then
    echo "$1 exists already (kept with its balance)"
  else
    echo "$out" >&2
    exit 1
  fi
}

# A transfer that aborts (say, after many runs, for lack of funds) is a
# normal outcome: say so and go on. Anything else stops the demo.
transfer() {
  local rc=0
  xatm transfer --from "$1" --to "$2" --amount "$3" || rc=$?
  case $rc in
    0) ;;
    1) echo "(aborted: nothing changed in either database)" ;;
    3) echo "(in doubt: the commit is decided; recovery finishes it)" ;;
    *) exit "$rc" ;;
  esac
  xatm balance
}

if [ -z "${XATM_DEMO_XATM:-}" ]; then
  step "installing dependencies"
  scripts/install-deps.sh

  step "building xatm into $BUILD"
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DXATM_BUILD_TESTS=OFF \
    -DXATM_BUILD_BENCH=OFF >/dev/null
  cmake --build "$BUILD" --target xatm -j"$JOBS"
fi

step "starting PostgreSQL and MariaDB in $DEMO/db"
scripts/db.sh start "$DEMO/db"
# Ports and the MariaDB password (an environment variable, never a file
# that xatm reads).
# shellcheck disable=SC1091
. "$DEMO/db/env.sh"

step "writing $DEMO/xatm.ini"
cat >"$DEMO/xatm.ini" <<INI
# xatm demo configuration (written by scripts/demo.sh).
node = demo
# Relative paths are taken from this file's directory: $DEMO/log.
log_dir = log

[resource.pg]
type = postgresql
conninfo = host=127.0.0.1 port=$XATM_PG_PORT dbname=bank user=xatm

[resource.my]
type = mysql
host = 127.0.0.1
port = $XATM_MY_PORT
user = xatm
database = bank
password_env = XATM_MY_PASSWORD
INI
cat "$DEMO/xatm.ini"

step "creating the tables"
xatm init

step "creating accounts"
create_account pg:alice 100.00
create_account my:bob 50.00
xatm balance

step "moving 25.50 from PostgreSQL to MariaDB"
transfer pg:alice my:bob 25.50

step "moving 10.25 from MariaDB to PostgreSQL"
transfer my:bob pg:alice 10.25

step "done"
# Lines to paste as printed, in any shell and directory: absolute paths,
# and the MariaDB password's variable (XATM_MY_PASSWORD, named by
# password_env) from the servers' env file rather than on the screen.
echo "Try more in any shell: paste these lines (the first sets"
echo "XATM_MY_PASSWORD, which password_env names in xatm.ini):"
DEMO_ABS=$(realpath -ms "$DEMO")
XATM_ABS=$(realpath -ms "$XATM_BIN")
printf '  . %q\n' "$DEMO_ABS/db/env.sh"
printf '  %q --config %q balance\n' "$XATM_ABS" "$DEMO_ABS/xatm.ini"
printf '  %q --config %q --help\n' "$XATM_ABS" "$DEMO_ABS/xatm.ini"
echo "The servers keep running. Stop them with:"
printf '  %q stop %q\n' "$ROOT/scripts/db.sh" "$DEMO_ABS/db"
