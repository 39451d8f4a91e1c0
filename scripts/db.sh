#!/usr/bin/env bash
# Throwaway PostgreSQL 15 and MariaDB 10.11 servers on loopback, no Docker.
#
#   scripts/db.sh start DIR            initialise (first time) and start both
#   scripts/db.sh start DIR --tls      the same with TLS on in both servers
#   scripts/db.sh start DIR --standby  also a synchronous PostgreSQL standby
#   scripts/db.sh stop DIR             stop them all
#   scripts/db.sh kill pg|my DIR       kill -9 one server (crash tests; pg:
#                                      the primary)
#   scripts/db.sh up pg|my DIR         start one server again after a kill
#   scripts/db.sh promote DIR          promote the standby to a primary
#
# XATM_PG_MAX_PREPARED sets PostgreSQL's max_prepared_transactions at
# initialisation (default 1000: the recovery backlog test prepares 300 at
# once; the recovery benchmark needs as many as its pairs).
#
# XATM_MY_OPTIONS adds options to mariadbd's command line at every start
# (e.g. "--log-bin --sync-binlog=0" for a test of the binary log's setting).
#
# MariaDB runs with TZ=$XATM_MY_TZ (default America/New_York) in its
# environment: its default time zone (SYSTEM) has daylight saving, so tests
# see any time arithmetic done in the session's zone instead of UTC.
#
# `start` writes DIR/env.sh with the connection settings (and the MariaDB
# password, mode 0600) for tests and the demo: `. DIR/env.sh`.
# With --tls (chosen when DIR is first initialised, kept by later starts) a
# throwaway CA made with openssl signs the servers' certificate (SAN
# localhost and 127.0.0.1): DIR/tls/{ca.pem, server.pem, server-key.pem,
# client.pem, client-key.pem} and wrong-ca.pem, a second CA that signed
# nothing. env.sh then also sets XATM_TLS_DIR. Plain connections are still
# accepted: clients choose TLS. MariaDB also gets the user xatm_x509 (same
# password) that must present a client certificate.
# With --standby (also chosen at initialisation; --tls may come with it) a
# copy of the PostgreSQL primary (pg_basebackup -R) runs in DIR/pg-standby
# on its own port, streaming; the primary names it in
# synchronous_standby_names with synchronous_commit = on, so a commit is
# acknowledged only once the standby has flushed it. `start` returns when
# the standby is `sync`; commits wait while it is down. env.sh then also
# sets XATM_PG_STANDBY_PORT and XATM_TEST_PG_STANDBY_CONNINFO. `promote`
# (pg_ctl promote) returns once the standby accepts writes; the old primary
# of DIR is then never started again.
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
standby_pid() {
  head -1 "$DIR/pg-standby/data/postmaster.pid" 2>/dev/null || true
}
my_pid() { cat "$DIR/my/mysqld.pid" 2>/dev/null || true; }

pg_up() {
  if pid_alive "$(pg_pid)"; then return 0; fi
  rm -f "$DIR/pg/data/postmaster.pid"
  as_pg "$PGBIN/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -w -t 30 \
    start >/dev/null
}

STANDBY_NAME=xatm_standby

# psql as the superuser on the server at port $1, unaligned: one value per
# line.
pg_admin() {
  local port=$1
  shift
  psql -X -q -At -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -v ON_ERROR_STOP=1 "$@"
}

standby_up() {
  if pid_alive "$(standby_pid)"; then return 0; fi
  rm -f "$DIR/pg-standby/data/postmaster.pid"
  as_pg "$PGBIN/pg_ctl" -D "$DIR/pg-standby/data" \
    -l "$DIR/pg-standby/server.log" -w -t 30 start >/dev/null
}

# A promoted standby leaves DIR's old primary behind: started again it
# would be a second primary, with a history the new one does not have.
promoted() {
  [ -d "$DIR/pg-standby" ] && [ ! -e "$DIR/pg-standby/data/standby.signal" ]
}

refuse_old_primary() {
  if promoted; then
    die "the standby of $DIR was promoted: its old primary must not run again"
  fi
}

# Until the primary reports the standby streaming and synchronous.
wait_for_sync() {
  local q="SELECT state || ' ' || sync_state FROM pg_stat_replication
    WHERE application_name = '$STANDBY_NAME'"
  for _ in $(seq 1 300); do
    if [ "$(pg_admin "$PG_PORT" -c "$q" 2>/dev/null)" = "streaming sync" ]; then
      return 0
    fi
    sleep 0.1
  done
  die "the standby on port $PG_STANDBY_PORT did not become synchronous"
}

# A base backup of the running primary becomes the standby (-R: it
# follows the primary); then the primary makes it synchronous. In that
# order: a synchronous_standby_names copied into the standby would make
# it wait, once promoted, for a standby of its own that never comes.
# --no-sync: the standby's first start syncs its whole data directory
# anyway (a backup starts like a crashed server).
standby_init() {
  mkdir -p "$DIR/pg-standby"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$DIR/pg-standby"; fi
  as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U postgres \
    -D "$DIR/pg-standby/data" -R -X stream --checkpoint=fast --no-sync
  # Its name in the primary's pg_stat_replication is its cluster_name. It
  # keeps max_prepared_transactions of the copied configuration: a hot
  # standby needs at least the primary's.
  cat >>"$DIR/pg-standby/data/postgresql.conf" <<CONF
port = $PG_STANDBY_PORT
unix_socket_directories = '$DIR/pg-standby'
cluster_name = '$STANDBY_NAME'
hot_standby = on
CONF
  standby_up
  cat >>"$DIR/pg/data/postgresql.conf" <<CONF
synchronous_standby_names = '$STANDBY_NAME'
synchronous_commit = on
CONF
  as_pg "$PGBIN/pg_ctl" -D "$DIR/pg/data" reload >/dev/null
}

my_up() {
  if pid_alive "$(my_pid)"; then return 0; fi
  local opts=(--no-defaults --datadir="$DIR/my/data" --socket="$DIR/my/mysqld.sock"
    --port="$MY_PORT" --bind-address=127.0.0.1 --pid-file="$DIR/my/mysqld.pid"
    --log-error="$DIR/my/server.log" --innodb-log-file-size=16M
    --max-connections=500 --skip-name-resolve)
  if [ "$(id -u)" -eq 0 ]; then opts+=(--user=root); fi
  # shellcheck disable=SC2206  # words of an option list, on purpose
  if [ -n "${XATM_MY_OPTIONS:-}" ]; then opts+=($XATM_MY_OPTIONS); fi
  if [ -d "$DIR/tls" ]; then
    opts+=(--ssl-ca="$DIR/tls/ca.pem" --ssl-cert="$DIR/tls/server.pem"
      --ssl-key="$DIR/tls/server-key.pem")
  fi
  rm -f "$DIR/my/mysqld.pid"
  TZ="${XATM_MY_TZ:-America/New_York}" setsid /usr/sbin/mariadbd "${opts[@]}" </dev/null >/dev/null 2>&1 &
  for _ in $(seq 1 300); do
    if mariadb-admin --no-defaults --socket="$DIR/my/mysqld.sock" -uroot \
      ping >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  tail -20 "$DIR/my/server.log" >&2 || true
  die "MariaDB did not start"
}

# A throwaway CA, the servers' certificate signed by it, a client
# certificate, and a second CA that signed nothing (for refusal tests).
# Short-lived EC keys: made in milliseconds, for tests and demos only.
tls_init() {
  local t="$DIR/tls"
  mkdir -p "$t"
  (
    cd "$t"
    umask 077
    local key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    for ca in ca wrong-ca; do
      openssl req -x509 "${key[@]}" -days 30 -subj "/CN=xatm throwaway $ca" \
        -keyout "$ca-key.pem" -out "$ca.pem" 2>/dev/null
    done
    # name:SAN pairs: the server's names, the client's name.
    for leaf in "server:DNS:localhost,IP:127.0.0.1" "client:DNS:xatm-client"; do
      local name=${leaf%%:*}
      openssl req "${key[@]}" -subj "/CN=xatm-$name" -keyout "$name-key.pem" \
        -out "$name.csr" 2>/dev/null
      openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca-key.pem \
        -CAcreateserial -days 30 -out "$name.pem" \
        -extfile <(echo "subjectAltName=${leaf#*:}") 2>/dev/null
      rm -f "$name.csr"
    done
    chmod 644 ./*.pem
    chmod 600 ./*-key.pem
  )
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
  if [ -d "$DIR/tls" ]; then
    # PostgreSQL wants its key owned by its own user, mode 0600.
    cp "$DIR/tls/server.pem" "$DIR/tls/server-key.pem" "$DIR/pg/data/"
    chmod 600 "$DIR/pg/data/server-key.pem"
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres: "$DIR/pg/data/server.pem" "$DIR/pg/data/server-key.pem"
    fi
    cat >>"$DIR/pg/data/postgresql.conf" <<CONF
ssl = on
ssl_cert_file = 'server.pem'
ssl_key_file = 'server-key.pem'
CONF
  fi
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
  if [ -d "$DIR/tls" ]; then
    # Only with a client certificate signed by DIR/tls/ca.pem.
    mariadb --no-defaults --socket="$DIR/my/mysqld.sock" -uroot <<SQL
CREATE USER '${DB_USER}_x509'@'%' IDENTIFIED BY '$MY_PASSWORD' REQUIRE X509;
GRANT ALL PRIVILEGES ON ${DB_NAME}_test.* TO '${DB_USER}_x509'@'%';
SQL
  fi
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
  if [ -d "$DIR/tls" ]; then
    echo "export XATM_TLS_DIR='$DIR/tls'" >>"$DIR/env.sh"
  fi
  if [ -d "$DIR/pg-standby" ]; then
    cat >>"$DIR/env.sh" <<ENV
export XATM_PG_STANDBY_PORT=$PG_STANDBY_PORT
export XATM_TEST_PG_STANDBY_CONNINFO='host=127.0.0.1 port=$PG_STANDBY_PORT dbname=${DB_NAME}_test user=$DB_USER'
ENV
  fi
}

load_env() {
  [ -r "$DIR/env.sh" ] || die "$DIR/env.sh missing: run 'scripts/db.sh start $DIR' first"
  # shellcheck disable=SC1091
  . "$DIR/env.sh"
  PG_PORT=$XATM_PG_PORT MY_PORT=$XATM_MY_PORT MY_PASSWORD=$XATM_MY_PASSWORD
  PG_STANDBY_PORT=${XATM_PG_STANDBY_PORT:-}
}

cmd=${1:-}
case "$cmd" in
  start)
    DIR=$(realpath -m "${2:?usage: db.sh start DIR [--tls] [--standby]}")
    TLS=0 STANDBY=0
    for opt in "${@:3}"; do
      case "$opt" in
        --tls) TLS=1 ;;
        --standby) STANDBY=1 ;;
        *) die "unknown option $opt: usage: db.sh start DIR [--tls] [--standby]" ;;
      esac
    done
    mkdir -p "$DIR"
    chmod 755 "$DIR"
    if [ -r "$DIR/env.sh" ] && [ "$TLS" -eq 1 ] && [ ! -d "$DIR/tls" ]; then
      die "$DIR was initialised without --tls: use a new DIR for TLS"
    fi
    if [ -r "$DIR/env.sh" ] && [ "$STANDBY" -eq 1 ] &&
      [ ! -d "$DIR/pg-standby" ]; then
      die "$DIR was initialised without --standby: use a new DIR for a standby"
    fi
    if [ -r "$DIR/env.sh" ]; then
      load_env
      refuse_old_primary
      pg_up
      if [ -d "$DIR/pg-standby" ]; then
        standby_up
        wait_for_sync
      fi
      my_up
    else
      PG_PORT=$(pick_port "${XATM_PG_PORT:-25432}")
      MY_PORT=$(pick_port "${XATM_MY_PORT:-23306}")
      [ "$PG_PORT" != "$MY_PORT" ] || MY_PORT=$(pick_port $((MY_PORT + 1)))
      if [ "$TLS" -eq 1 ]; then tls_init; fi
      pg_init
      my_init
      if [ "$STANDBY" -eq 1 ]; then
        # Both servers listen now: the pick avoids their ports.
        PG_STANDBY_PORT=$(pick_port $((PG_PORT + 1)))
        standby_init
        wait_for_sync
      fi
      write_env
    fi
    echo "db.sh: PostgreSQL on 127.0.0.1:$PG_PORT, MariaDB on 127.0.0.1:$MY_PORT ($DIR$([ -d "$DIR/tls" ] && echo ", TLS"))"
    if [ -d "$DIR/pg-standby" ]; then
      echo "db.sh: synchronous PostgreSQL standby on 127.0.0.1:$PG_STANDBY_PORT"
    fi
    ;;
  stop)
    DIR=$(realpath -m "${2:?usage: db.sh stop DIR}")
    if pid_alive "$(pg_pid)"; then
      as_pg "$PGBIN/pg_ctl" -D "$DIR/pg/data" -m fast -w stop >/dev/null || true
    fi
    if pid_alive "$(standby_pid)"; then
      as_pg "$PGBIN/pg_ctl" -D "$DIR/pg-standby/data" -m fast -w stop \
        >/dev/null || true
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
    if [ "$which" = pg ]; then
      refuse_old_primary
      pg_up
    else
      my_up
    fi
    ;;
  promote)
    DIR=$(realpath -m "${2:?usage: db.sh promote DIR}")
    load_env
    [ -d "$DIR/pg-standby" ] || die "$DIR has no standby (start DIR --standby)"
    promoted && die "the standby of $DIR is already promoted"
    pid_alive "$(standby_pid)" || die "the standby of $DIR is not running"
    as_pg "$PGBIN/pg_ctl" -D "$DIR/pg-standby/data" -w -t 60 promote >/dev/null
    # Out of recovery is not yet writable for every backend: a transaction
    # id assigned proves it is.
    for _ in $(seq 1 300); do
      if pg_admin "$PG_STANDBY_PORT" -c "SELECT txid_current()" \
        >/dev/null 2>&1; then
        echo "db.sh: PostgreSQL primary now on 127.0.0.1:$PG_STANDBY_PORT (promoted standby)"
        exit 0
      fi
      sleep 0.1
    done
    die "the promoted standby on port $PG_STANDBY_PORT accepts no writes"
    ;;
  *)
    # The comment at the top, all of it.
    awk 'NR > 1 && !/^#/ { exit } NR > 1 { print }' "$0" >&2
    exit 2
    ;;
esac
