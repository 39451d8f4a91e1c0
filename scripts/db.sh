#!/usr/bin/env bash
# Throwaway PostgreSQL 15 and MariaDB 10.11 servers on loopback, no Docker.
#
#   scripts/db.sh start DIR        initialise (first time) and start both
#   scripts/db.sh stop DIR         stop both
#   scripts/db.sh kill pg|my DIR   kill -9 one server (crash tests)
#   scripts/db.sh up pg|my DIR     start one server again after a kill
#
# XATM_PG_MAX_PREPARED sets PostgreSQL's max_prepared_transactions at
# initialisation (default 1000: the recovery backlog test prepares 300 at
# once; the recovery benchmark needs as many as its pairs).
#
# `start` writes DIR/env.sh with the connection settings (and the MariaDB
# password, mode 0600) for tests and the demo: `. DIR/env.sh`.
set -euo pipefail

PGBIN=/usr/lib/postgresql/15/bin
DB_NAME=${XATM_DB_NAME:-bank}
DB_USER=xatm

die() { echo "db.sh: $*" >&2; exit 1; }

# Runs a command as the owner of the PostgreSQL data directory: initdb and
# postgres refuse to run as root.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
  local p=$1
  while ! port_free "$p"; do p=$((p + 1)); done
  echo "$p"
}

# A killed server can linger as a zombie: only a live, non-zombie pid counts.
pid_alive() {
  local pid=$1
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  local state
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ "$state" != "Z" ]
}

pg_pid() { head -1 "$DIR/pg/data/postmaster.pid" 2>/dev/null || true; }
my_pid() { cat "$DIR/my/mysqld.pid" 2>/dev/null || true; }

pg_up() {
  if pid_alive "$(pg_pid)"; then return 0; fi
  rm -f "$DIR/pg/data/postmaster.pid"
  as_pg "$PGBIN/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -w -t 30 \
    start >/dev/null
}

my_up() {
  if pid_alive "$(my_pid)"; then return 0; fi
  local opts=(--no-defaults --datadir="$DIR/my/data" --socket="$DIR/my/mysqld.sock"
    --port="$MY_PORT" --bind-address=127.0.0.1 --pid-file="$DIR/my/mysqld.pid"
    --log-error="$DIR/my/server.log" --innodb-log-file-size=16M
    --max-connections=500 --skip-name-resolve)
  if [ "$(id -u)" -eq 0 ]; then opts+=(--user=root); fi
  rm -f "$DIR/my/mysqld.pid"
  setsid /usr/sbin/mariadbd "${opts[@]}" </dev/null >/dev/null 2>&1 &
  for _ in $(seq 1 300); do
    if mariadb-admin --no-defaults --socket="$DIR/my/mysqld.sock" -uroot \
      ping >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  tail -20 "$DIR/my/server.log" >&2 || true
  die "MariaDB did not start"
}

pg_init() {
  mkdir -p "$DIR/pg"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$DIR/pg"; fi
  as_pg "$PGBIN/initdb" -D "$DIR/pg/data" -U postgres --auth=trust -E UTF8 \
    --no-locale >/dev/null
  cat >>"$DIR/pg/data/postgresql.conf" <<CONF
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR/pg'
max_prepared_transactions = ${XATM_PG_MAX_PREPARED:-1000}
max_connections = 300
CONF
  pg_up
  local psql=(psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1)
  "${psql[@]}" -d postgres -c "CREATE ROLE $DB_USER LOGIN"
  for db in "$DB_NAME" "${DB_NAME}_test"; do
    "${psql[@]}" -d postgres -c "CREATE DATABASE $db OWNER $DB_USER"
  done
}

my_init() {
  mkdir -p "$DIR/my"
  local opts=(--no-defaults --datadir="$DIR/my/data" --auth-root-authentication-method=normal
    --skip-test-db --skip-name-resolve)
  if [ "$(id -u)" -eq 0 ]; then opts+=(--user=root); fi
  mariadb-install-db "${opts[@]}" --innodb-log-file-size=16M >/dev/null
  my_up
  MY_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  mariadb --no-defaults --socket="$DIR/my/mysqld.sock" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS $DB_NAME;
CREATE DATABASE IF NOT EXISTS ${DB_NAME}_test;
CREATE USER '$DB_USER'@'%' IDENTIFIED BY '$MY_PASSWORD';
GRANT ALL PRIVILEGES ON $DB_NAME.* TO '$DB_USER'@'%';
GRANT ALL PRIVILEGES ON ${DB_NAME}_test.* TO '$DB_USER'@'%';
SQL
}

write_env() {
  umask 077
  cat >"$DIR/env.sh" <<ENV
export XATM_DB_DIR='$DIR'
export XATM_PG_PORT=$PG_PORT
export XATM_MY_PORT=$MY_PORT
export XATM_MY_PASSWORD='$MY_PASSWORD'
export XATM_TEST_PG_CONNINFO='host=127.0.0.1 port=$PG_PORT dbname=${DB_NAME}_test user=$DB_USER'
export XATM_TEST_MY_HOST=127.0.0.1
export XATM_TEST_MY_PORT=$MY_PORT
export XATM_TEST_MY_USER=$DB_USER
export XATM_TEST_MY_DATABASE=${DB_NAME}_test
ENV
}

load_env() {
  [ -r "$DIR/env.sh" ] || die "$DIR/env.sh missing: run 'scripts/db.sh start $DIR' first"
  # shellcheck disable=SC1091
  . "$DIR/env.sh"
  PG_PORT=$XATM_PG_PORT MY_PORT=$XATM_MY_PORT MY_PASSWORD=$XATM_MY_PASSWORD
}

cmd=${1:-}
case "$cmd" in
  start)
    DIR=$(realpath -m "${2:?usage: db.sh start DIR}")
    mkdir -p "$DIR"
    chmod 755 "$DIR"
    if [ -r "$DIR/env.sh" ]; then
      load_env
      pg_up
      my_up
    else
      PG_PORT=$(pick_port "${XATM_PG_PORT:-25432}")
      MY_PORT=$(pick_port "${XATM_MY_PORT:-23306}")
      [ "$PG_PORT" != "$MY_PORT" ] || MY_PORT=$(pick_port $((MY_PORT + 1)))
      pg_init
      my_init
      write_env
    fi
    echo "db.sh: PostgreSQL on 127.0.0.1:$PG_PORT, MariaDB on 127.0.0.1:$MY_PORT ($DIR)"
    ;;
  stop)
    DIR=$(realpath -m "${2:?usage: db.sh stop DIR}")
    if pid_alive "$(pg_pid)"; then
      as_pg "$PGBIN/pg_ctl" -D "$DIR/pg/data" -m fast -w stop >/dev/null || true
    fi
    pid=$(my_pid)
    if pid_alive "$pid"; then
      kill "$pid" || true
      for _ in $(seq 1 100); do pid_alive "$pid" || break; sleep 0.1; done
    fi
    echo "db.sh: stopped servers in $DIR"
    ;;
  kill)
    which=${2:?usage: db.sh kill pg|my DIR}
    DIR=$(realpath -m "${3:?usage: db.sh kill pg|my DIR}")
    if [ "$which" = pg ]; then pid=$(pg_pid); else pid=$(my_pid); fi
    pid_alive "$pid" || die "$which is not running"
    kill -9 "$pid"
    for _ in $(seq 1 100); do pid_alive "$pid" || break; sleep 0.05; done
    ;;
  up)
    which=${2:?usage: db.sh up pg|my DIR}
    DIR=$(realpath -m "${3:?usage: db.sh up pg|my DIR}")
    load_env
    if [ "$which" = pg ]; then pg_up; else my_up; fi
    ;;
  *)
    sed -n '2,11p' "$0" >&2
    exit 2
    ;;
esac
