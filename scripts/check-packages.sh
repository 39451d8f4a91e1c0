#!/usr/bin/env bash
# Makes the Debian packages xatm and libxatm-dev from a finished build
# (cpack -G DEB, cmake/Packaging.cmake), checks their files and Depends,
# installs both with apt-get, runs `xatm --help`, finds the man page,
# builds examples/two_phase_transfer.cc with pkg-config against the
# installed files and runs it (against the test servers when scripts/db.sh's
# env.sh is sourced, as in CI), then purges both packages, and anything
# apt-get installed with them, also on failure.
#
#   scripts/check-packages.sh BUILD_DIR
#
# Needs root (or sudo) for apt-get. Refuses to run when either package is
# already installed: the machine is left as it was found.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=$(cd "${1:?usage: check-packages.sh BUILD_DIR}" && pwd)
PACKAGES=(xatm libxatm-dev)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
apt_get() {
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -y -qq "$@" >/dev/null
}
die() { echo "check-packages: $*" >&2; exit 1; }
installed() {
  dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" {print $2}' | sort
}

for p in "${PACKAGES[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    die "$p is installed already; remove it first (this check removes what it installs)"
  fi
done

WORK=$(mktemp -d)
chmod 755 "$WORK"  # apt-get reads the .deb files as user _apt
BEFORE="$WORK/packages-before"
installed >"$BEFORE"
cleanup() {
  # Our two packages, and whatever apt-get pulled in for them.
  local added
  added=$(installed | comm -13 "$BEFORE" - | tr '\n' ' ')
  if [ -n "$added" ]; then
    # shellcheck disable=SC2086  # a list of package names
    apt_get purge $added || echo "check-packages: could not purge $added" >&2
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "check-packages: cpack -G DEB in $BUILD_DIR"
(cd "$BUILD_DIR" && cpack -G DEB -B "$WORK/out" >/dev/null)
cp "$WORK"/out/xatm_*.deb "$WORK"/out/libxatm-dev_*.deb "$WORK"/
chmod 644 "$WORK"/*.deb
CLI_DEB=$(ls "$WORK"/xatm_*.deb)
DEV_DEB=$(ls "$WORK"/libxatm-dev_*.deb)

# Each package: its size, its Depends, and the files it must hold.
inspect() {
  local deb=$1 depends_pattern=$2
  shift 2
  local files fields
  files=$(dpkg-deb -c "$deb" | awk '{print $NF}')
  fields=$(dpkg-deb -f "$deb" Package Version Maintainer Depends)
  echo "$(basename "$deb") ($(du -k "$deb" | cut -f1) KB, $(echo "$files" | grep -vc '/$') files)"
  awk '{print "  " $0}' <<<"$fields"
  echo "$fields" | grep -Eq "^Depends: .*$depends_pattern" ||
    die "$(basename "$deb"): Depends misses $depends_pattern"
  for f in "$@"; do
    echo "$files" | grep -Eq "^$f\$" || die "$(basename "$deb") lacks $f"
  done
}
inspect "$CLI_DEB" 'libpq5.*libmysqlcppconn7v5|libmysqlcppconn7v5.*libpq5' \
  ./usr/bin/xatm ./usr/share/man/man1/xatm.1 \
  ./usr/share/bash-completion/completions/xatm \
  ./usr/lib/systemd/system/xatm-recovery.service \
  ./usr/share/xatm/sql/postgresql.sql ./usr/share/xatm/sql/mysql.sql
inspect "$DEV_DEB" \
  'libpq-dev, libmariadb-dev, libmysqlcppconn-dev, libspdlog-dev, prometheus-cpp-dev, nlohmann-json3-dev, libboost-program-options-dev' \
  ./usr/include/xatm/xatm.h './usr/lib/(.*/)?libxatm_core\.a' \
  './usr/lib/(.*/)?libxatm_recovery\.a' \
  './usr/lib/(.*/)?cmake/xatm/xatmConfig\.cmake' \
  './usr/lib/(.*/)?pkgconfig/xatm\.pc'

echo "check-packages: apt-get install ./$(basename "$CLI_DEB") ./$(basename "$DEV_DEB")"
apt_get install --no-install-recommends "$CLI_DEB" "$DEV_DEB"

help=$(xatm --help)
echo "$help" | grep -q 'transfer' || die "xatm --help does not list transfer"
echo "check-packages: $(command -v xatm) --help ok"
if grep -qs '^path-exclude=/usr/share/man' /etc/dpkg/dpkg.cfg.d/*; then
  echo "check-packages: dpkg excludes /usr/share/man here; man page not checked"
elif command -v man >/dev/null; then
  [ "$(man -w xatm)" = /usr/share/man/man1/xatm.1 ] || die "man -w xatm: $(man -w xatm)"
  echo "check-packages: man -w xatm ok"
else
  [ -f /usr/share/man/man1/xatm.1 ] || die "no /usr/share/man/man1/xatm.1"
fi

if command -v systemd-analyze >/dev/null; then
  # Parses the unit and finds its ExecStart= on systemd's path.
  systemd-analyze verify /usr/lib/systemd/system/xatm-recovery.service ||
    die "systemd-analyze verify xatm-recovery.service failed"
  echo "check-packages: systemd-analyze verify xatm-recovery.service ok"
fi

# The installed development files, as an application finds them.
[ "$(pkg-config --variable=pcfiledir xatm)" = "$(dpkg -L libxatm-dev | grep '/xatm\.pc$' | xargs dirname)" ] ||
  die "pkg-config finds an xatm.pc other than the package's"
cmake -S "$ROOT/examples" -B "$WORK/cmake" >/dev/null ||
  die "cmake does not configure examples/ with the installed package"
# shellcheck disable=SC2046  # the flags are words
g++ -std=c++17 -o "$WORK/two_phase_transfer" \
  "$ROOT/examples/two_phase_transfer.cc" $(pkg-config --cflags --libs xatm)
echo "check-packages: examples/two_phase_transfer.cc built with pkg-config"
if [ -n "${XATM_TEST_PG_CONNINFO:-}" ]; then
  out=$("$WORK/two_phase_transfer" "$WORK/log") || { echo "$out"; exit 1; }
  echo "$out" | tail -1
fi

apt_get purge "${PACKAGES[@]}"
dpkg-query -W -f='${Status}' xatm 2>/dev/null | grep -q "ok installed" &&
  die "xatm still installed after purge"
echo "check-packages: installed, used and purged both packages"
